import { BooleanField, Datagrid, DateField, List, NullableBooleanInput, TextField, TextInput } from 'react-admin';

const filters = [<TextInput key="q" source="q" label="Name or domain" alwaysOn />, <NullableBooleanInput key="customer" source="customer" label="Active customer" />];

/** Companies and which are active customers (whose people only their account managers see). */
export function CompanyList() {
  return (
    <List title="Companies and customers" filters={filters} perPage={50} exporter={false}>
      <Datagrid bulkActionButtons={false} rowClick="show">
        <TextField source="name" sortable={false} />
        <TextField source="domain" sortable={false} emptyText="—" />
        <BooleanField source="isCustomer" label="Customer" sortable={false} />
        <DateField source="lastServiceDeliveryAt" label="Last service delivered" sortable={false} emptyText="—" />
      </Datagrid>
    </List>
  );
}
