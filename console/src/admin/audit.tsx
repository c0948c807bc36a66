import { Datagrid, DateField, DateTimeInput, FunctionField, List, TextField, TextInput } from 'react-admin';

const filters = [
  <TextInput key="action" source="action" label="Action (e.g. person.updated)" alwaysOn />,
  <TextInput key="entityType" source="entityType" label="Entity type" />,
  <TextInput key="entityId" source="entityId" label="Entity id" />,
  <TextInput key="actorId" source="actorId" label="Actor id" />,
  <DateTimeInput key="from" source="from" label="From" />,
  <DateTimeInput key="to" source="to" label="Until" />,
];

/** The audit log as the API gives it: personal values are masked there already. */
export function AuditList() {
  return (
    <List title="Audit log" resource="audit" filters={filters} perPage={50} exporter={false}>
      <Datagrid bulkActionButtons={false} rowClick={false}>
        <DateField source="occurredAt" label="When" showTime sortable={false} />
        <TextField source="action" sortable={false} />
        <TextField source="entityType" label="Entity" sortable={false} />
        <TextField source="entityId" label="Entity id" sortable={false} emptyText="—" />
        <FunctionField label="By" render={(r: { actorType: string; actorId: string | null }) => `${r.actorType}${r.actorId ? ` ${r.actorId.slice(0, 8)}` : ''}`} />
        <FunctionField label="Changes" render={(r: { changes?: unknown }) => (r.changes ? JSON.stringify(r.changes).slice(0, 160) : '—')} />
      </Datagrid>
    </List>
  );
}
