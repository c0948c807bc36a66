import { Create, Edit, SaveButton, SelectInput, SimpleForm, TextInput, Toolbar, required } from 'react-admin';
import { INQUIRY_TYPES } from '../common/choices';

/** Rectification: only the fields changed are sent, and each is audited before/after by the service. */
export function LeadEdit() {
  return (
    <Edit title="Rectify" mutationMode="pessimistic" redirect="show">
      <SimpleForm toolbar={<Toolbar><SaveButton label="Save correction" /></Toolbar>}>
        <TextInput source="firstName" />
        <TextInput source="lastName" />
        <TextInput source="email" type="email" />
        <TextInput source="phone" />
        <TextInput source="position" />
        <TextInput source="companyName" label="Company" />
        <TextInput source="location" />
      </SimpleForm>
    </Edit>
  );
}

/** A lead entered by hand: someone who called, or whom staff met. */
export function LeadCreate() {
  return (
    <Create title="New lead" redirect="show">
      <SimpleForm defaultValues={{ source: 'phone', inquiryType: 'services' }}>
        <SelectInput source="source" choices={[{ id: 'phone', name: 'they called' }, { id: 'manual', name: 'met, card, referral' }]} validate={required()} />
        <TextInput source="firstName" />
        <TextInput source="lastName" />
        <TextInput source="email" type="email" />
        <TextInput source="phone" />
        <TextInput source="companyName" label="Company" />
        <SelectInput source="inquiryType" choices={INQUIRY_TYPES} validate={required()} />
        <TextInput source="request" multiline fullWidth />
      </SimpleForm>
    </Create>
  );
}
