import { Alert, Box, Button, LinearProgress, MenuItem, Stack, Table, TableBody, TableCell, TableHead, TableRow, TextField, Typography } from '@mui/material';
import { useEffect, useRef, useState, type DragEvent } from 'react';
import { useNotify, useRecordContext } from 'react-admin';
import { api, download, upload } from '../common/api';

interface Counts { rows: number; newPersons: number; matchedPersons: number; registrations: number; alreadyRegistered: number; notAttending: number; duplicateRows: number; rejectedRows: number }
interface Import {
  id: string;
  status: 'analysed' | 'queued' | 'running' | 'done' | 'failed';
  columns: { header: string; target: string | null }[];
  droppedColumns: string[];
  progress: { processed: number; total: number | null };
  analysis: Counts | null;
  outcome: Counts | null;
  rejected: { line: number; reason: string; message: string }[];
  rejectedTruncated: boolean;
}

const TARGETS = ['keep', 'ignore', 'firstName', 'lastName', 'fullName', 'email', 'phone', 'companyName', 'position', 'location', 'city', 'country', 'address', 'skypeId', 'linkedinUrl', 'orderRef', 'orderDate', 'attendeeRef', 'ticketType', 'attendeeStatus', 'age', 'birthDate', 'consent:service_updates', 'consent:request_contact', 'consent:other_services_ask'];
const COUNTS: [keyof Counts, string][] = [
  ['rows', 'lines read'], ['newPersons', 'new persons'], ['matchedPersons', 'matched to known persons'], ['registrations', 'registrations'],
  ['alreadyRegistered', 'already registered'], ['notAttending', 'not attending'], ['duplicateRows', 'duplicate lines'], ['rejectedRows', 'rejected lines'],
];

function CountsTable({ title, counts }: { title: string; counts: Counts }) {
  return (
    <Table size="small" aria-label={title} sx={{ maxWidth: 420 }}>
      <TableHead><TableRow><TableCell>{title}</TableCell><TableCell align="right">lines</TableCell></TableRow></TableHead>
      <TableBody>{COUNTS.map(([key, label]) => <TableRow key={key}><TableCell>{label}</TableCell><TableCell align="right">{counts[key]}</TableCell></TableRow>)}</TableBody>
    </Table>
  );
}

/**
 * An attendee list: dropped or chosen, read as a dry run (what would happen, line by line), columns
 * the import does not know mapped or dropped, then imported in the background with its progress.
 */
export function AttendeeImport() {
  const event = useRecordContext<{ id: string }>();
  const notify = useNotify();
  const [file, setFile] = useState<File | null>(null);
  const [mapping, setMapping] = useState<Record<string, string>>({});
  const [job, setJob] = useState<Import | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const base = `/api/events/${event?.id}/imports`;

  const analyse = async (chosen: File, map: Record<string, string>) => {
    setBusy(true);
    setError('');
    const form = new FormData();
    if (Object.keys(map).length) form.append('mapping', JSON.stringify(map));
    form.append('file', chosen);
    try {
      setJob(await upload<Import>(`${base}?dryRun=true`, form));
    } catch (err) {
      setJob(null);
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const choose = (chosen: File | undefined) => {
    if (!chosen) return;
    setFile(chosen);
    setMapping({});
    void analyse(chosen, {});
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    choose(e.dataTransfer.files[0]);
  };

  // While it runs, the import's progress every second.
  useEffect(() => {
    if (!job || (job.status !== 'queued' && job.status !== 'running')) return;
    const timer = setTimeout(async () => {
      try {
        setJob(await api<Import>(`${base}/${job.id}`));
      } catch (err) {
        setError((err as Error).message);
      }
    }, 1000);
    return () => clearTimeout(timer);
  }, [job, base]);

  const run = async () => {
    try {
      setJob(await api<Import>(`${base}/${job!.id}/run`, { method: 'POST' }));
    } catch (err) {
      notify((err as Error).message, { type: 'error' });
    }
  };

  if (!event) return null;
  const counts = job?.outcome ?? job?.analysis;
  const running = job && (job.status === 'queued' || job.status === 'running');
  return (
    <Stack spacing={2} sx={{ mt: 2 }}>
      <Typography variant="h6" component="h2">Import an attendee list</Typography>
      <Box
        onDragOver={(e) => e.preventDefault()}
        onDrop={onDrop}
        sx={{ border: '2px dashed', borderColor: 'grey.500', borderRadius: 1, p: 3, textAlign: 'center' }}
      >
        <Typography>Drop a CSV or XLSX file here, or</Typography>
        <Button variant="outlined" onClick={() => input.current?.click()} sx={{ mt: 1 }}>Choose a file</Button>
        <input ref={input} type="file" accept=".csv,.xlsx,text/csv" aria-label="Attendee list (CSV or XLSX)" hidden onChange={(e) => choose(e.target.files?.[0])} />
        {file && <Typography sx={{ mt: 1 }}>{file.name}</Typography>}
      </Box>
      {busy && <LinearProgress aria-label="Reading the file" />}
      {error && <Alert severity="error">{error}</Alert>}
      {job && counts && (
        <>
          <Typography role="status">
            {job.status === 'analysed' ? 'Dry run: nothing is imported yet.' : job.status === 'done' ? 'Imported.' : job.status === 'failed' ? 'The import failed; run it again to resume.' : 'Importing…'}
          </Typography>
          {running && (
            <LinearProgress
              variant={job.progress.total ? 'determinate' : 'indeterminate'}
              value={job.progress.total ? (100 * job.progress.processed) / job.progress.total : undefined}
              aria-label={`Imported ${job.progress.processed} of ${job.progress.total ?? '?'} lines`}
            />
          )}
          <CountsTable title={job.status === 'analysed' ? 'What the import would do' : 'What the import did'} counts={counts} />
          {job.droppedColumns.length > 0 && job.status === 'analysed' && (
            <Box>
              <Typography gutterBottom>Columns the import does not know are not stored. Map each to a field, or keep it as received:</Typography>
              <Stack spacing={1}>
                {job.droppedColumns.map((header) => (
                  <TextField key={header} select size="small" label={header} value={mapping[header] ?? ''} sx={{ maxWidth: 320 }} onChange={(e) => setMapping({ ...mapping, [header]: e.target.value })}>
                    {TARGETS.map((t) => <MenuItem key={t} value={t}>{t}</MenuItem>)}
                  </TextField>
                ))}
              </Stack>
              <Button sx={{ mt: 1 }} disabled={!Object.keys(mapping).length || busy} onClick={() => file && analyse(file, mapping)}>Read again with this mapping</Button>
            </Box>
          )}
          {job.rejected.length > 0 && (
            <Box>
              <Table size="small" aria-label="Rejected lines">
                <TableHead><TableRow><TableCell>Line</TableCell><TableCell>Reason</TableCell><TableCell>What to fix</TableCell></TableRow></TableHead>
                <TableBody>{job.rejected.slice(0, 100).map((r) => <TableRow key={r.line}><TableCell>{r.line}</TableCell><TableCell>{r.reason.replace(/_/g, ' ')}</TableCell><TableCell>{r.message}</TableCell></TableRow>)}</TableBody>
              </Table>
              <Button onClick={() => download(`${base}/${job.id}/rejected.csv`, 'rejected.csv').catch((err) => notify((err as Error).message, { type: 'error' }))}>Download the rejected lines</Button>
            </Box>
          )}
          {(job.status === 'analysed' || job.status === 'failed') && <Button variant="contained" onClick={run} sx={{ alignSelf: 'flex-start' }}>Import {job.analysis?.rows ?? ''} lines</Button>}
        </>
      )}
    </Stack>
  );
}

/** The organiser's attendee list (policy 7.4): what the download discloses is said before it, and each download is logged. */
export function AttendeeListDownload() {
  const event = useRecordContext<{ id: string; organiserName: string }>();
  const notify = useNotify();
  const [confirming, setConfirming] = useState(false);
  if (!event) return null;
  return (
    <Box sx={{ mt: 2 }}>
      {!confirming ? (
        <Button variant="outlined" onClick={() => setConfirming(true)}>Attendee list for the organiser…</Button>
      ) : (
        <Alert severity="info" action={<Button onClick={() => download(`/api/events/${event.id}/attendees.csv`, 'attendees.csv').then(() => setConfirming(false), (err) => notify((err as Error).message, { type: 'error' }))}>Download</Button>}>
          This list discloses every registered attendee’s name and contact details to {event.organiserName}. The download is recorded in each person’s disclosure log.
        </Alert>
      )}
    </Box>
  );
}
