import { Create, Datagrid, DateField, DateInput, FunctionField, List, NumberField, Show, SimpleForm, SimpleShowLayout, TextField, TextInput, required, usePermissions } from 'react-admin';
import { AttendeeImport, AttendeeListDownload } from './attendee-import';
import { RecordLink } from '../common/record-link';

export function EventList() {
  return (
    <List title="Events" perPage={50} exporter={false} filters={[<TextInput key="q" source="q" label="Name" alwaysOn />]}>
      <Datagrid rowClick="show" bulkActionButtons={false}>
        <FunctionField label="Name" render={() => <RecordLink text={(r) => String(r.name)} />} />
        <DateField source="date" sortable={false} />
        <TextField source="place" sortable={false} />
        <TextField source="organiserName" label="Organiser" sortable={false} />
      </Datagrid>
    </List>
  );
}

export function EventCreate() {
  return (
    <Create title="New event" redirect="show">
      <SimpleForm>
        <TextInput source="name" validate={required()} />
        <DateInput source="date" validate={required()} />
        <TextInput source="place" validate={required()} />
        <TextInput source="organiserName" label="Organiser" validate={required()} />
        <TextInput source="organiserContact" label="Organiser’s contact" validate={required()} />
      </SimpleForm>
    </Create>
  );
}

export function EventShow() {
  const { permissions } = usePermissions<string[]>();
  const works = permissions?.some((r) => r === 'event_staff' || r === 'admin');
  return (
    <Show>
      <SimpleShowLayout>
        <TextField source="name" />
        <DateField source="date" />
        <TextField source="place" />
        <TextField source="organiserName" label="Organiser" />
        <TextField source="organiserContact" label="Organiser’s contact" />
        <NumberField source="registrations" label="Registrations you may see" />
        {works && <AttendeeImport />}
        {works && <AttendeeListDownload />}
      </SimpleShowLayout>
    </Show>
  );
}
