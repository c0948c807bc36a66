import { Box, Button, Stack, Table, TableBody, TableCell, TableHead, TableRow, TextField, Typography } from '@mui/material';
import { useEffect, useState } from 'react';
import { Title, useNotify } from 'react-admin';
import { api } from '../common/api';

interface Preview { asOf: string; items: { channel: string; action: string; count: number }[]; retained: { reason: string; until: string; persons: number }[] }
interface Hold { id: string; personId: string | null; companyId: string | null; reason: string; until: string; endedAt: string | null }
interface Run { id: string; occurredAt: string; changes: Record<string, { after: unknown }> | null }

const day = (d: Date) => d.toISOString().slice(0, 10);

/** What the daily sweep would remove on a date, what legal holds keep, and past sweeps' reports. */
export function RetentionPage() {
  const notify = useNotify();
  const [asOf, setAsOf] = useState(day(new Date()));
  const [preview, setPreview] = useState<Preview | null>(null);
  const [holds, setHolds] = useState<Hold[]>([]);
  const [runs, setRuns] = useState<Run[]>([]);
  const [hold, setHold] = useState({ target: '', reason: '', until: day(new Date(Date.now() + 365 * 86400_000)) });
  const fail = (err: unknown) => notify((err as Error).message, { type: 'error' });
  const load = () =>
    Promise.all([api<Hold[]>('/api/retention/holds'), api<{ items: Run[] }>('/api/retention/runs?limit=20')]).then(([h, r]) => (setHolds(h), setRuns(r.items)), fail);
  useEffect(() => void load(), []); // eslint-disable-line react-hooks/exhaustive-deps
  const showPreview = () => api<Preview>(`/api/retention/preview?asOf=${encodeURIComponent(new Date(asOf).toISOString())}`).then(setPreview, fail);
  const place = async () => {
    const [kind, id] = hold.target.includes(':') ? hold.target.split(':', 2) : ['person', hold.target];
    try {
      await api('/api/retention/holds', { method: 'POST', body: { [kind === 'company' ? 'companyId' : 'personId']: id.trim(), reason: hold.reason, until: new Date(hold.until).toISOString() } });
      notify('Hold placed', { type: 'success' });
      setHold({ ...hold, target: '', reason: '' });
      await load();
    } catch (err) {
      fail(err);
    }
  };
  const end = (id: string) => api(`/api/retention/holds/${id}`, { method: 'DELETE' }).then(load, fail);

  return (
    <Stack spacing={3} sx={{ mt: 2, maxWidth: 900 }}>
      <Title title="Retention" />
      <Box component="section">
        <Typography variant="h6" component="h1" gutterBottom>What a sweep would remove</Typography>
        <Stack direction="row" spacing={1}>
          <TextField size="small" type="date" label="On" value={asOf} onChange={(e) => setAsOf(e.target.value)} slotProps={{ inputLabel: { shrink: true } }} />
          <Button variant="outlined" onClick={showPreview}>Preview</Button>
        </Stack>
        {preview && (
          <Table size="small" aria-label="Sweep preview" sx={{ mt: 1 }}>
            <TableHead><TableRow><TableCell>Channel</TableCell><TableCell>Action</TableCell><TableCell align="right">Records</TableCell></TableRow></TableHead>
            <TableBody>
              {preview.items.map((i) => <TableRow key={`${i.channel}-${i.action}`}><TableCell>{i.channel}</TableCell><TableCell>{i.action}</TableCell><TableCell align="right">{i.count}</TableCell></TableRow>)}
              {!preview.items.length && <TableRow><TableCell colSpan={3}>Nothing is due on that day.</TableCell></TableRow>}
              {preview.retained.map((r) => <TableRow key={r.reason}><TableCell colSpan={2}>Retained, with reason: {r.reason} (until {day(new Date(r.until))})</TableCell><TableCell align="right">{r.persons}</TableCell></TableRow>)}
            </TableBody>
          </Table>
        )}
      </Box>
      <Box component="section">
        <Typography variant="h6" component="h2" gutterBottom>Legal holds</Typography>
        <Table size="small" aria-label="Legal holds">
          <TableHead><TableRow><TableCell>On</TableCell><TableCell>Reason</TableCell><TableCell>Until</TableCell><TableCell /></TableRow></TableHead>
          <TableBody>
            {holds.map((h) => (
              <TableRow key={h.id}>
                <TableCell>{h.personId ? `person ${h.personId}` : `company ${h.companyId}`}</TableCell><TableCell>{h.reason}</TableCell><TableCell>{day(new Date(h.until))}</TableCell>
                <TableCell><Button size="small" onClick={() => end(h.id)}>End now</Button></TableCell>
              </TableRow>
            ))}
            {!holds.length && <TableRow><TableCell colSpan={4}>No hold is in force.</TableCell></TableRow>}
          </TableBody>
        </Table>
        <Stack direction="row" spacing={1} sx={{ mt: 1 }}>
          <TextField size="small" label="Person id (or company:ID)" value={hold.target} onChange={(e) => setHold({ ...hold, target: e.target.value })} sx={{ minWidth: 300 }} />
          <TextField size="small" label="Reason" value={hold.reason} onChange={(e) => setHold({ ...hold, reason: e.target.value })} />
          <TextField size="small" type="date" label="Until" value={hold.until} onChange={(e) => setHold({ ...hold, until: e.target.value })} slotProps={{ inputLabel: { shrink: true } }} />
          <Button variant="outlined" disabled={!hold.target.trim() || !hold.reason.trim()} onClick={place}>Place hold</Button>
        </Stack>
      </Box>
      <Box component="section">
        <Typography variant="h6" component="h2" gutterBottom>Past sweeps</Typography>
        <Table size="small" aria-label="Past sweeps">
          <TableHead><TableRow><TableCell>When</TableCell><TableCell>Report</TableCell></TableRow></TableHead>
          <TableBody>
            {runs.map((r) => <TableRow key={r.id}><TableCell>{new Date(r.occurredAt).toLocaleString()}</TableCell><TableCell><code>{JSON.stringify(r.changes).slice(0, 300)}</code></TableCell></TableRow>)}
            {!runs.length && <TableRow><TableCell colSpan={2}>No sweep has run yet.</TableCell></TableRow>}
          </TableBody>
        </Table>
      </Box>
    </Stack>
  );
}
