import { BooleanField, Datagrid, DateField, FunctionField, List, NullableBooleanInput, TextField, TextInput } from 'react-admin';
import { RecordLink } from '../common/record-link';

const filters = [<TextInput key="q" source="q" label="Name or domain" alwaysOn />, <NullableBooleanInput key="customer" source="customer" label="Active customer" />];

/** Companies and which are active customers (whose people only their account managers see). */
export function CompanyList() {
  return (
    <List title="Companies and customers" filters={filters} perPage={50} exporter={false}>
      <Datagrid bulkActionButtons={false} rowClick="show">
        <FunctionField label="Name" render={() => <RecordLink text={(r) => String(r.name)} />} />
        <TextField source="domain" sortable={false} emptyText="—" />
        <BooleanField source="isCustomer" label="Customer" sortable={false} />
        <DateField source="lastServiceDeliveryAt" label="Last service delivered" sortable={false} emptyText="—" />
      </Datagrid>
    </List>
  );
}
