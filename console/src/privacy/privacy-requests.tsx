import { Alert, Box, Button, Stack, TextField as MuiTextField, Typography } from '@mui/material';
import { useState } from 'react';
import {
  ArrayField, Create, Datagrid, DateField, DateTimeInput, FunctionField, List, SelectInput, Show, SimpleForm, SimpleShowLayout, TextField, TextInput, Title, required,
} from 'react-admin';
import { api } from '../common/api';
import { RequestActions } from './request-actions';
import { RecordLink } from '../common/record-link';

const TYPES = ['access', 'rectification', 'erasure', 'restriction', 'objection', 'portability', 'consent_withdrawal'].map((id) => ({ id, name: id.replace(/_/g, ' ') }));
const CHANNELS = ['email', 'letter', 'phone', 'web', 'in_person', 'other'].map((id) => ({ id, name: id.replace(/_/g, ' ') }));
const STATES = [
  { id: 'open', name: 'open' },
  { id: 'overdue', name: 'overdue' },
  { id: 'due_this_week', name: 'due this week' },
  { id: 'closed', name: 'closed' },
  { id: 'all', name: 'all' },
];

interface Request { overdue: boolean; dueAt: string }
interface Found { id: string; firstName: string | null; lastName: string | null; email: string | null; phone: string | null; status: string }

/** Overdue first, then soonest due (the API lists soonest due first; overdue ones are the soonest). */
export function PrivacyRequestList() {
  return (
    <List title="Privacy requests" empty={false} filters={[<SelectInput key="state" source="state" choices={STATES} alwaysOn emptyText="open" />]} exporter={false} pagination={false}>
      <Datagrid rowClick="show" bulkActionButtons={false} rowSx={(r: Request) => (r.overdue ? { backgroundColor: '#fdecea' } : {})}>
        <DateField source="dueAt" label="Due" sortable={false} />
        <FunctionField label="Overdue" render={(r: Request) => (r.overdue ? 'OVERDUE' : '')} />
        <FunctionField label="Type" render={() => <RecordLink text={(r) => String(r.type).replace(/_/g, ' ')} />} />
        <TextField source="status" sortable={false} />
        <TextField source="channel" sortable={false} />
        <DateField source="receivedAt" label="Received" sortable={false} />
      </Datagrid>
    </List>
  );
}

export function PrivacyRequestCreate() {
  return (
    <Create title="New privacy request" redirect="show">
      <SimpleForm defaultValues={{ channel: 'email' }}>
        <SelectInput source="type" choices={TYPES} validate={required()} />
        <TextInput source="identifier" label="E-mail or phone the person gave" />
        <SelectInput source="channel" choices={CHANNELS} validate={required()} />
        <DateTimeInput source="receivedAt" label="Received (default now)" />
        <TextInput source="scope" label="Scope (the purpose withdrawn; direct_marketing or legitimate_interest for an objection)" fullWidth />
      </SimpleForm>
    </Create>
  );
}

export function PrivacyRequestShow() {
  return (
    <Show>
      <SimpleShowLayout>
        <TextField source="type" />
        <TextField source="status" />
        <DateField source="dueAt" label="Due" />
        <FunctionField label="Overdue" render={(r: Request) => (r.overdue ? 'yes' : 'no')} />
        <TextField source="personId" label="Person" emptyText="not settled yet" />
        <TextField source="channel" />
        <TextField source="scope" emptyText="—" />
        <DateField source="receivedAt" label="Received" showTime />
        <TextField source="identityMethod" label="Identity checked by" emptyText="not yet" />
        <FunctionField label="Next" render={() => <RequestActions />} />
        <ArrayField source="actions" label="Steps">
          <Datagrid bulkActionButtons={false} rowClick={false}>
            <DateField source="at" showTime />
            <TextField source="action" />
          </Datagrid>
        </ArrayField>
      </SimpleShowLayout>
    </Show>
  );
}

/** Find anyone an address or number ever named (the DPO's first step on a request). */
export function PersonLookup() {
  const [identifier, setIdentifier] = useState('');
  const [found, setFound] = useState<Found[] | null>(null);
  const [error, setError] = useState('');
  const search = async () => {
    setError('');
    try {
      setFound(await api<Found[]>(`/api/privacy-requests/lookup?identifier=${encodeURIComponent(identifier)}`));
    } catch (err) {
      setFound(null);
      setError((err as Error).message);
    }
  };
  return (
    <Box sx={{ mt: 2, maxWidth: 720 }}>
      <Title title="Find a person" />
      <Typography variant="h6" component="h1" gutterBottom>Find a person by any address or number they ever gave</Typography>
      <Stack direction="row" spacing={1}>
        <MuiTextField label="E-mail or phone" value={identifier} onChange={(e) => setIdentifier(e.target.value)} onKeyDown={(e) => e.key === 'Enter' && search()} sx={{ flex: 1 }} />
        <Button variant="contained" onClick={search} disabled={identifier.trim().length < 3}>Find</Button>
      </Stack>
      {error && <Alert severity="error" sx={{ mt: 2 }}>{error}</Alert>}
      {found !== null && (
        <Box component="table" sx={{ mt: 2, borderCollapse: 'collapse', '& td, & th': { p: 1, borderBottom: '1px solid #ddd', textAlign: 'left' } }}>
          <caption style={{ textAlign: 'left' }}>{found.length ? `${found.length} found` : 'Nobody was given this address or number.'}</caption>
          <thead><tr><th>Name</th><th>E-mail</th><th>Phone</th><th>Status</th><th>Person id</th></tr></thead>
          <tbody>
            {found.map((p) => (
              <tr key={p.id}><td>{[p.firstName, p.lastName].filter(Boolean).join(' ') || '—'}</td><td>{p.email ?? '—'}</td><td>{p.phone ?? '—'}</td><td>{p.status}</td><td>{p.id}</td></tr>
            ))}
          </tbody>
        </Box>
      )}
    </Box>
  );
}
