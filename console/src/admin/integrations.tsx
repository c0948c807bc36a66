import { Alert, Box, Button, Card, CardContent, Stack, Table, TableBody, TableCell, TableHead, TableRow, TextField as MuiTextField, Typography } from '@mui/material';
import { useEffect, useState } from 'react';
import {
  Create, Datagrid, DateField, DeleteButton, FunctionField, List, NumberInput, SelectInput, Show, SimpleForm, SimpleShowLayout, TextField, TextInput, Title,
  required, useCreate, useNotify, useRecordContext, useRedirect, type RaRecord,
} from 'react-admin';
import { api } from '../common/api';
import { INQUIRY_TYPES } from '../common/choices';
import { RecordLink } from '../common/record-link';

const CHANNELS = ['web_form', 'chatbot', 'email', 'phone', 'messenger', 'event'].map((id) => ({ id, name: id.replace(/_/g, ' ') }));

/** A secret the service shows once (an API key, a form's signing key): here, with a warning, until the page is left. */
function ShownOnce({ label, value }: { label: string; value: string }) {
  return (
    <Alert severity="warning" sx={{ mb: 2 }}>
      <Typography>{label} is shown this once; only its hash is kept. Copy it now:</Typography>
      <Box component="code" sx={{ display: 'block', mt: 1, p: 1, bgcolor: 'grey.100', wordBreak: 'break-all' }}>{value}</Box>
    </Alert>
  );
}

export function ApiKeyList() {
  return (
    <List title="API keys" exporter={false} pagination={false}>
      <Datagrid bulkActionButtons={false} rowClick={false}>
        <TextField source="name" sortable={false} />
        <TextField source="channel" sortable={false} />
        <TextField source="prefix" label="Starts with" sortable={false} />
        <DateField source="lastUsedAt" label="Last used" showTime emptyText="never" sortable={false} />
        <DateField source="revokedAt" label="Revoked" emptyText="—" sortable={false} />
        <FunctionField render={(r: { revokedAt: string | null }) => (r.revokedAt ? null : <DeleteButton label="Revoke" mutationMode="pessimistic" confirmTitle="Revoke this key?" confirmContent="Clients sending it are refused from now on." />)} />
      </Datagrid>
    </List>
  );
}

/** A new key: the key itself is in the answer once, and shown here once. */
export function ApiKeyCreate() {
  const [created, setCreated] = useState<{ key: string } | null>(null);
  const [create] = useCreate();
  const notify = useNotify();
  if (created) {
    return (
      <Card sx={{ mt: 2 }}>
        <Title title="New API key" />
        <CardContent><ShownOnce label="The key" value={created.key} /></CardContent>
      </Card>
    );
  }
  return (
    <Create title="New API key">
      <SimpleForm onSubmit={(data: Record<string, unknown>) => create('api-keys', { data }, { onSuccess: (r: RaRecord) => setCreated(r as unknown as { key: string }), onError: (e) => notify((e as Error).message, { type: 'error' }) })}>
        <TextInput source="name" validate={required()} />
        <SelectInput source="channel" choices={CHANNELS} validate={required()} />
        <TextInput source="formId" label="Form id (a web form relay's key)" />
      </SimpleForm>
    </Create>
  );
}

export function FormList() {
  return (
    <List title="Web forms" exporter={false} pagination={false}>
      <Datagrid bulkActionButtons={false} rowClick="show">
        <FunctionField label="Name" render={() => <RecordLink text={(r) => String(r.name)} />} />
        <TextField source="key" sortable={false} />
        <TextField source="submitPath" label="Posts to" sortable={false} />
        <DateField source="archivedAt" label="Archived" emptyText="—" sortable={false} />
      </Datagrid>
    </List>
  );
}

function EmbedSnippet() {
  const form = useRecordContext<{ key: string; submitPath: string; embedScript: string; honeypotField: string | null }>();
  if (!form) return null;
  const origin = window.location.origin;
  const snippet = [
    `<form method="post" action="${origin}${form.submitPath}">`,
    '  <!-- your fields, named as in the field mapping -->',
    ...(form.honeypotField ? [`  <input type="text" name="${form.honeypotField}" tabindex="-1" autocomplete="off" style="position:absolute;left:-9999px" aria-hidden="true">`] : []),
    '</form>',
    `<script src="${origin}${form.embedScript}" defer></script>`,
  ].join('\n');
  return <Box component="pre" aria-label="Embed snippet" sx={{ p: 1, bgcolor: 'grey.100', whiteSpace: 'pre-wrap', fontSize: 13 }}>{snippet}</Box>;
}

function LastDay() {
  const form = useRecordContext<{ lastDay?: { posts: number; heldForTrap: number; byReason: Record<string, number> } }>();
  if (!form?.lastDay) return null;
  const { posts, heldForTrap, byReason } = form.lastDay;
  return (
    <Box>
      <Typography>Last day: {posts} posts, {heldForTrap} held for a bot trap{posts > 0 && heldForTrap / posts > 0.5 ? ' — most posts trip a trap: check the integration' : ''}.</Typography>
      {Object.entries(byReason).map(([reason, n]) => <Typography key={reason} variant="body2">{reason.replace(/_/g, ' ')}: {n}</Typography>)}
    </Box>
  );
}

export function FormShow() {
  return (
    <Show>
      <SimpleShowLayout>
        <TextField source="name" />
        <TextField source="key" />
        <FunctionField label="Allowed origins" render={(r: { allowedOrigins: string[] }) => r.allowedOrigins.join(', ') || '—'} />
        <FunctionField label="Field mapping" render={(r: { fieldMapping: Record<string, string> }) => Object.entries(r.fieldMapping).map(([k, v]) => `${k} → ${v}`).join(', ')} />
        <TextField source="defaultInquiryType" label="Inquiry type" />
        <TextField source="honeypotField" label="Honeypot field" emptyText="—" />
        <FunctionField label="Embed" render={() => <EmbedSnippet />} />
        <FunctionField label="Bot traps" render={() => <LastDay />} />
      </SimpleShowLayout>
    </Show>
  );
}

/** A new form; the field mapping as JSON (form field → name, email, phone, company, request, …). Its relay key is shown once. */
export function FormCreate() {
  const [secret, setSecret] = useState<string | null>(null);
  const [create] = useCreate();
  const notify = useNotify();
  const redirect = useRedirect();
  if (secret) {
    return (
      <Card sx={{ mt: 2 }}>
        <Title title="New web form" />
        <CardContent>
          <ShownOnce label="The relay’s signing key (X-Signature)" value={secret} />
          <Button onClick={() => redirect('list', 'intake-forms')}>Back to the forms</Button>
        </CardContent>
      </Card>
    );
  }
  const submit = (data: Record<string, unknown>) => {
    let fieldMapping: unknown;
    try {
      fieldMapping = JSON.parse(String(data.fieldMapping ?? '{}'));
    } catch {
      notify('The field mapping must be JSON, e.g. {"your-email": "email"}', { type: 'error' });
      return;
    }
    const allowedOrigins = String(data.allowedOrigins ?? '').split(/[\s,]+/).filter(Boolean);
    create('intake-forms', { data: { ...data, fieldMapping, allowedOrigins } }, { onSuccess: (r: RaRecord) => setSecret(String(r.signingSecret)), onError: (e) => notify((e as Error).message, { type: 'error' }) });
  };
  return (
    <Create title="New web form">
      <SimpleForm onSubmit={submit} defaultValues={{ defaultInquiryType: 'other', fieldMapping: '{"name": "name", "email": "email", "message": "request"}' }}>
        <TextInput source="key" label="Key (lower-case letters, digits, dashes)" validate={required()} />
        <TextInput source="name" validate={required()} />
        <TextInput source="allowedOrigins" label="Allowed origins (the website, e.g. https://www.firm.example)" fullWidth />
        <TextInput source="fieldMapping" label="Field mapping (JSON)" multiline fullWidth validate={required()} />
        <SelectInput source="defaultInquiryType" label="Inquiry type" choices={INQUIRY_TYPES} validate={required()} />
        <TextInput source="honeypotField" label="Honeypot field (hidden; a bot fills it)" />
      </SimpleForm>
    </Create>
  );
}

export function RuleList() {
  return (
    <List title="Screening rules" exporter={false} pagination={false}>
      <Datagrid bulkActionButtons={false} rowClick={false}>
        <TextField source="kind" sortable={false} />
        <TextField source="pattern" sortable={false} />
        <TextField source="tag" sortable={false} />
        <TextField source="weight" sortable={false} />
        <DeleteButton mutationMode="pessimistic" />
      </Datagrid>
    </List>
  );
}

export function RuleCreate() {
  return (
    <Create title="New screening rule" redirect="list">
      <SimpleForm defaultValues={{ kind: 'phrase', tag: 'spam', weight: 0.5 }}>
        <SelectInput source="kind" choices={['word', 'phrase', 'regex'].map((id) => ({ id, name: id }))} validate={required()} />
        <TextInput source="pattern" validate={required()} fullWidth />
        <SelectInput source="tag" choices={['spam', 'misleading'].map((id) => ({ id, name: id }))} validate={required()} />
        <NumberInput source="weight" min={-5} max={5} step={0.1} />
      </SimpleForm>
    </Create>
  );
}

export function SenderList() {
  return (
    <List title="Block and allow list" exporter={false} pagination={false}>
      <Datagrid bulkActionButtons={false} rowClick={false}>
        <TextField source="list" sortable={false} />
        <TextField source="type" sortable={false} />
        <TextField source="value" sortable={false} />
        <TextField source="tag" emptyText="—" sortable={false} />
        <TextField source="reason" emptyText="—" sortable={false} />
        <DateField source="expiresAt" label="Until" emptyText="—" sortable={false} />
        <DeleteButton mutationMode="pessimistic" />
      </Datagrid>
    </List>
  );
}

export function SenderCreate() {
  return (
    <Create title="Block or allow a sender" redirect="list">
      <SimpleForm defaultValues={{ list: 'block', type: 'email', tag: 'spam' }}>
        <SelectInput source="list" choices={['block', 'allow'].map((id) => ({ id, name: id }))} validate={required()} />
        <SelectInput source="type" choices={['email', 'domain', 'ip', 'phone'].map((id) => ({ id, name: id }))} validate={required()} />
        <TextInput source="value" validate={required()} />
        <SelectInput source="tag" choices={['spam', 'swindler'].map((id) => ({ id, name: id }))} />
        <TextInput source="reason" fullWidth />
      </SimpleForm>
    </Create>
  );
}

/** What screening would do with a submission, changing nothing: to try a rule before trusting it. */
export function ScreeningDryRun() {
  const [input, setInput] = useState({ name: '', email: '', text: '' });
  const [result, setResult] = useState<{ outcome: string; score: number; threshold: number; reasons: { code: string; weight?: number }[] } | null>(null);
  const notify = useNotify();
  const run = () => api<typeof result>('/api/screening/dry-run', { method: 'POST', body: input }).then(setResult, (err) => notify((err as Error).message, { type: 'error' }));
  return (
    <Box sx={{ mt: 2, maxWidth: 720 }}>
      <Title title="Screening dry run" />
      <Typography variant="h6" component="h1" gutterBottom>Try screening on a submission (nothing is stored)</Typography>
      <Stack spacing={1}>
        <MuiTextField label="Name" value={input.name} onChange={(e) => setInput({ ...input, name: e.target.value })} />
        <MuiTextField label="E-mail" value={input.email} onChange={(e) => setInput({ ...input, email: e.target.value })} />
        <MuiTextField label="Message" multiline minRows={3} value={input.text} onChange={(e) => setInput({ ...input, text: e.target.value })} />
        <Button variant="contained" onClick={run} sx={{ alignSelf: 'flex-start' }}>Screen it</Button>
      </Stack>
      {result && (
        <Box role="status" sx={{ mt: 2 }}>
          <Typography>Outcome: <strong>{result.outcome}</strong> (score {result.score} of {result.threshold})</Typography>
          {result.reasons.map((r, i) => <Typography key={i} variant="body2">{r.code.replace(/_/g, ' ')}{r.weight !== undefined ? ` ${r.weight}` : ''}</Typography>)}
        </Box>
      )}
    </Box>
  );
}

interface Status { configured: boolean; paused: boolean; pausedUntil: string | null; pauseReason: string | null; backlog: number; oldestWaitingSince: string | null; failed: number; syncedLastMinute: number; syncedTotal: number; lastError: string | null }
interface Failure { personId: string; kind: string; error: string | null; at: string }

/** The sync's state, its failures, and a way to send them again. */
export function HubspotStatus() {
  const [status, setStatus] = useState<Status | null>(null);
  const [failures, setFailures] = useState<Failure[]>([]);
  const notify = useNotify();
  const load = () => Promise.all([api<Status>('/api/hubspot/status'), api<Failure[]>('/api/hubspot/failures')]).then(([s, f]) => (setStatus(s), setFailures(f)), (err) => notify((err as Error).message, { type: 'error' }));
  useEffect(() => void load(), []); // eslint-disable-line react-hooks/exhaustive-deps
  const requeue = async (personId?: string) => {
    try {
      const { requeued } = await api<{ requeued: number }>(personId ? `/api/hubspot/failures/${personId}/requeue` : '/api/hubspot/failures/requeue', { method: 'POST' });
      notify(`${requeued} sent again`, { type: 'success' });
      await load();
    } catch (err) {
      notify((err as Error).message, { type: 'error' });
    }
  };
  return (
    <Box sx={{ mt: 2 }}>
      <Title title="HubSpot sync" />
      <Typography variant="h6" component="h1" gutterBottom>HubSpot sync</Typography>
      {status && (
        <Stack spacing={0.5} role="status">
          <Typography>{!status.configured ? 'Not configured (no HUBSPOT_ACCESS_TOKEN): changes wait in the outbox.' : status.paused ? `Paused until ${status.pausedUntil}: ${status.pauseReason}` : 'Running.'}</Typography>
          <Typography>Waiting: {status.backlog}{status.oldestWaitingSince ? ` (oldest since ${new Date(status.oldestWaitingSince).toLocaleString()})` : ''}. Failed: {status.failed}. Synced in the last minute: {status.syncedLastMinute}; in all: {status.syncedTotal}.</Typography>
          {status.lastError && <Typography>Last error: {status.lastError}</Typography>}
        </Stack>
      )}
      <Table size="small" aria-label="Sync failures" sx={{ mt: 2 }}>
        <TableHead><TableRow><TableCell>Person</TableCell><TableCell>What</TableCell><TableCell>HubSpot said</TableCell><TableCell>When</TableCell><TableCell /></TableRow></TableHead>
        <TableBody>
          {failures.map((f) => (
            <TableRow key={`${f.personId}-${f.kind}`}>
              <TableCell>{f.personId}</TableCell><TableCell>{f.kind}</TableCell><TableCell>{f.error ?? '—'}</TableCell><TableCell>{new Date(f.at).toLocaleString()}</TableCell>
              <TableCell><Button size="small" onClick={() => requeue(f.personId)}>Send again</Button></TableCell>
            </TableRow>
          ))}
          {!failures.length && <TableRow><TableCell colSpan={5}>No failures.</TableCell></TableRow>}
        </TableBody>
      </Table>
      <Button sx={{ mt: 1 }} disabled={!failures.length} onClick={() => requeue()}>Send all again</Button>
    </Box>
  );
}
