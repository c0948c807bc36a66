import {
  BooleanField, BooleanInput, CheckboxGroupInput, Create, FunctionField, Datagrid, DateField, Edit, EmailField, List, PasswordInput, SimpleForm, TextField, TextInput, email, required,
} from 'react-admin';
import { RecordLink } from '../common/record-link';

export const ROLE_CHOICES = [
  { id: 'admin', name: 'admin' },
  { id: 'dpo', name: 'privacy officer (dpo)' },
  { id: 'sales', name: 'sales' },
  { id: 'account_manager', name: 'account manager' },
  { id: 'event_staff', name: 'event staff' },
];


export function UserList() {
  return (
    <List title="Users" perPage={50} exporter={false}>
      <Datagrid rowClick="edit" bulkActionButtons={false}>
        <FunctionField label="Name" render={() => <RecordLink to="edit" text={(r) => String(r.name)} />} />
        <EmailField source="email" sortable={false} />
        <TextField source="roles" sortable={false} />
        <BooleanField source="active" sortable={false} />
        <DateField source="lastLoginAt" label="Last sign-in" showTime emptyText="never" sortable={false} />
      </Datagrid>
    </List>
  );
}

export function UserCreate() {
  return (
    <Create title="New user" redirect="list">
      <SimpleForm>
        <TextInput source="email" validate={[required(), email()]} />
        <TextInput source="name" validate={required()} />
        <CheckboxGroupInput source="roles" choices={ROLE_CHOICES} validate={required()} />
        <PasswordInput source="password" label="First password (at least 12 characters; they change it)" validate={required()} autoComplete="new-password" />
      </SimpleForm>
    </Create>
  );
}

/** Roles, deactivation and a password reset: each ends every sign-in of the user (the service does it). */
export function UserEdit() {
  return (
    <Edit title="User" mutationMode="pessimistic" redirect="list">
      <SimpleForm>
        <TextInput source="email" disabled />
        <TextInput source="name" validate={required()} />
        <CheckboxGroupInput source="roles" choices={ROLE_CHOICES} validate={required()} />
        <BooleanInput source="active" />
        <PasswordInput source="password" label="Reset the password (leave empty to keep it)" autoComplete="new-password" />
      </SimpleForm>
    </Edit>
  );
}

