import { Alert, Box, Button, MenuItem, Stack, TextField, Typography } from '@mui/material';
import { useState, type ReactNode } from 'react';
import { useNotify, useRecordContext, useRefresh } from 'react-admin';
import { api, download } from '../common/api';

interface Request { id: string; type: string; status: string; personId: string | null; candidates: string[]; identityVerifiedAt: string | null; outcome: Record<string, unknown> | null; completedAt: string | null; extensionReason: string | null }

const DOCUMENTS = ['passport', 'national_id_card', 'driving_licence', 'bank_id', 'residence_permit', 'other_photo_id', 'utility_bill', 'employer_letter', 'known_email_reply'];

function Step({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Box component="section" sx={{ borderTop: '1px solid', borderColor: 'divider', pt: 1.5 }}>
      <Typography variant="subtitle1" component="h2" gutterBottom>{title}</Typography>
      {children}
    </Box>
  );
}

/**
 * The request's next steps, in the order the law gives them: whom it is about, identity checked
 * (two documents, by type only), then fulfilled (or extended once, or refused with the reason).
 */
export function RequestActions() {
  const request = useRecordContext<Request>();
  const notify = useNotify();
  const refresh = useRefresh();
  const [method, setMethod] = useState('');
  const [documents, setDocuments] = useState<[string, string]>(['', '']);
  const [refusal, setRefusal] = useState({ reason: '', options: 'You may complain to Datatilsynet, or seek a judicial remedy.' });
  const [extension, setExtension] = useState({ months: 1, reason: '' });
  const [password, setPassword] = useState('');
  if (!request) return null;
  const base = `/api/privacy-requests/${request.id}`;
  const step = async (path: string, body: unknown, done: string) => {
    try {
      await api(`${base}/${path}`, { method: 'POST', body });
      notify(done, { type: 'success' });
      refresh();
    } catch (err) {
      notify((err as Error).message, { type: 'error' });
    }
  };
  const fetchCopy = async (path: string, name: string, accept: string) => {
    try {
      const headers = await download(`${base}/${path}`, name, accept);
      setPassword(headers.get('x-pdf-password') ?? '');
    } catch (err) {
      notify((err as Error).message, { type: 'error' });
    }
  };
  const open = request.status !== 'completed' && request.status !== 'refused';
  const canFulfil = open && request.identityVerifiedAt && request.personId;

  return (
    <Stack spacing={2} sx={{ maxWidth: 720 }}>
      {open && !request.personId && request.candidates.length > 0 && (
        <Step title="Whom it is about">
          {request.candidates.map((id) => <Button key={id} onClick={() => step('person', { personId: id }, 'Person settled')}>This person: {id}</Button>)}
        </Step>
      )}
      {open && !request.identityVerifiedAt && (
        <Step title="Identity">
          <Stack spacing={1}>
            <TextField size="small" label="How identity was checked" value={method} onChange={(e) => setMethod(e.target.value)} />
            <Stack direction="row" spacing={1}>
              {[0, 1].map((i) => (
                <TextField key={i} select size="small" label={`Document ${i + 1}`} value={documents[i]} sx={{ minWidth: 220 }}
                  onChange={(e) => setDocuments((d) => (i === 0 ? [e.target.value, d[1]] : [d[0], e.target.value]))}>
                  {DOCUMENTS.map((d) => <MenuItem key={d} value={d}>{d.replace(/_/g, ' ')}</MenuItem>)}
                </TextField>
              ))}
            </Stack>
            <Button variant="contained" sx={{ alignSelf: 'flex-start' }} disabled={method.trim().length < 3 || !documents[0] || !documents[1]} onClick={() => step('identity', { method, documents }, 'Identity recorded')}>
              Record the check
            </Button>
          </Stack>
        </Step>
      )}
      {canFulfil && (
        <Step title="Fulfil">
          <Button variant="contained" onClick={() => step('fulfilment', {}, 'Done: the request is completed')}>Carry out the {request.type.replace(/_/g, ' ')}</Button>
        </Step>
      )}
      {open && !request.extensionReason && (
        <Step title="Extend the deadline (once, told to the person in the first month)">
          <Stack direction="row" spacing={1}>
            <TextField select size="small" label="Months" value={extension.months} onChange={(e) => setExtension({ ...extension, months: Number(e.target.value) })} sx={{ width: 110 }}>
              <MenuItem value={1}>1</MenuItem><MenuItem value={2}>2</MenuItem>
            </TextField>
            <TextField size="small" label="Why (told to the person today)" value={extension.reason} onChange={(e) => setExtension({ ...extension, reason: e.target.value })} sx={{ flex: 1 }} />
            <Button disabled={extension.reason.trim().length < 10} onClick={() => step('extension', { ...extension, toldAt: new Date().toISOString() }, 'Deadline extended')}>Extend</Button>
          </Stack>
        </Step>
      )}
      {open && (
        <Step title="Refuse">
          <Stack spacing={1}>
            <TextField size="small" label="Why it is refused" value={refusal.reason} onChange={(e) => setRefusal({ ...refusal, reason: e.target.value })} />
            <TextField size="small" label="The person’s options" value={refusal.options} onChange={(e) => setRefusal({ ...refusal, options: e.target.value })} />
            <Button color="warning" sx={{ alignSelf: 'flex-start' }} disabled={refusal.reason.trim().length < 10} onClick={() => step('refusal', refusal, 'Refused')}>Refuse the request</Button>
          </Stack>
        </Step>
      )}
      {request.identityVerifiedAt && request.personId && (request.type === 'access' || request.type === 'portability') && (
        <Step title="Copies for the person">
          {request.type === 'access' ? (
            <Stack direction="row" spacing={1}>
              <Button onClick={() => fetchCopy('access-copy', 'access-copy.json', 'application/json')}>Access copy (JSON)</Button>
              <Button onClick={() => fetchCopy('access-copy.pdf', 'access-copy.pdf', 'application/pdf')}>Access copy (PDF, encrypted)</Button>
            </Stack>
          ) : (
            <Stack direction="row" spacing={1}>
              <Button onClick={() => fetchCopy('portable-copy', 'portable-copy.json', 'application/json')}>Portable copy (JSON)</Button>
              <Button onClick={() => fetchCopy('portable-copy?format=csv', 'portable-copy.csv', 'text/csv')}>Portable copy (CSV)</Button>
            </Stack>
          )}
          {password && <Alert severity="warning" sx={{ mt: 1 }}>The PDF’s password, shown this once; send it to the person by another channel: <code>{password}</code></Alert>}
        </Step>
      )}
      {request.outcome && (
        <Step title="Outcome">
          <Box component="pre" sx={{ m: 0, whiteSpace: 'pre-wrap', fontSize: 13 }}>{JSON.stringify(request.outcome, null, 2)}</Box>
        </Step>
      )}
    </Stack>
  );
}
