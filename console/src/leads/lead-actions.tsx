import { Alert, Box, Button, MenuItem, Stack, Table, TableBody, TableCell, TableHead, TableRow, TextField, Typography } from '@mui/material';
import { useEffect, useState } from 'react';
import { useGetIdentity, useNotify, usePermissions, useRecordContext, useRedirect, useRefresh } from 'react-admin';
import { api } from '../common/api';
import { leadName } from './lead-list';

interface Lead { id: string; ownerId: string | null; restrictedAt: string | null; firstName: string | null; lastName: string | null; email: string | null; phone: string | null; companyName: string | null; position: string | null; location: string | null }
interface MergePreview { winnerId: string; loserId: string; moves: Record<string, number>; fieldsFilled: string[]; conflicts: string[] }

const FIELDS: (keyof Lead)[] = ['firstName', 'lastName', 'email', 'phone', 'companyName', 'position', 'location'];

/** Posts an action on the record, tells the outcome, shows the record again. */
export function useLeadAction() {
  const notify = useNotify();
  const refresh = useRefresh();
  return async (path: string, body: unknown, done: string) => {
    try {
      await api(path, { method: 'POST', body });
      notify(done, { type: 'success' });
      refresh();
      return true;
    } catch (err) {
      notify((err as Error).message, { type: 'error' });
      return false;
    }
  };
}

/** Who owns the lead: anyone who may (active sales, account managers, admins), or nobody. */
export function OwnerAction() {
  const lead = useRecordContext<Lead>();
  const { identity } = useGetIdentity();
  const act = useLeadAction();
  const [people, setPeople] = useState<{ id: string; name: string }[]>([]);
  const [owner, setOwner] = useState('');
  useEffect(() => void api<{ id: string; name: string }[]>('/api/users/assignable').then(setPeople, () => undefined), []);
  if (!lead) return null;
  const assign = (ownerId: string | null, done: string) => act(`/api/persons/${lead.id}/owner`, { ownerId }, done).then((ok) => ok && setOwner(''));
  return (
    <Stack direction="row" spacing={1} alignItems="center">
      <TextField select size="small" label="New owner" value={owner} onChange={(e) => setOwner(e.target.value)} sx={{ minWidth: 200 }}>
        <MenuItem value="nobody">nobody</MenuItem>
        {people.filter((p) => p.id !== lead.ownerId).map((p) => <MenuItem key={p.id} value={p.id}>{p.name}</MenuItem>)}
      </TextField>
      <Button variant="outlined" disabled={!owner} onClick={() => assign(owner === 'nobody' ? null : owner, 'Owner changed')}>Change owner</Button>
      {identity && lead.ownerId !== identity.id && <Button onClick={() => assign(String(identity.id), 'You own this lead now')}>Take this lead</Button>}
    </Stack>
  );
}

/**
 * Two records of one person made one: find the other, see side by side what moves and which
 * values differ, choose which record's values stay (the one kept), then merge.
 */
export function MergeAction() {
  const lead = useRecordContext<Lead>();
  const notify = useNotify();
  const redirect = useRedirect();
  const refresh = useRefresh();
  const [q, setQ] = useState('');
  const [candidates, setCandidates] = useState<Lead[] | null>(null);
  const [other, setOther] = useState<Lead | null>(null);
  const [keepThis, setKeepThis] = useState(true);
  const [preview, setPreview] = useState<MergePreview | null>(null);
  // For each field the two records hold differently: whose value the merged record keeps.
  const [picks, setPicks] = useState<Record<string, 'this' | 'other'>>({});
  if (!lead) return null;

  const find = async () => {
    const page = await api<{ items: Lead[] }>(`/api/persons?limit=10&q=${encodeURIComponent(q)}`).catch((err) => (notify((err as Error).message, { type: 'error' }), { items: [] }));
    setCandidates(page.items.filter((p) => p.id !== lead.id));
  };
  /** What the merged record holds for a field: the pick where the two differ, else the kept one's value, its blank filled by the other's. */
  const valueAfter = (f: keyof Lead) => {
    const [kept, dropped] = keepThis ? [lead[f], other?.[f] ?? null] : [other?.[f] ?? null, lead[f]];
    if (preview?.conflicts.includes(f) && picks[f]) return picks[f] === 'this' ? lead[f] : (other?.[f] ?? null);
    return kept ?? dropped;
  };
  const pairOf = (keep: boolean, with_: Lead) => (keep ? { winnerId: lead.id, loserId: with_.id } : { winnerId: with_.id, loserId: lead.id });
  const showPreview = async (with_: Lead, keep: boolean) => {
    setOther(with_);
    setKeepThis(keep);
    setPicks({});
    try {
      setPreview(await api<MergePreview>('/api/persons/merge', { method: 'POST', body: { ...pairOf(keep, with_), dryRun: true } }));
    } catch (err) {
      notify((err as Error).message, { type: 'error' });
    }
  };
  const merge = async () => {
    try {
      const done = await api<MergePreview>('/api/persons/merge', { method: 'POST', body: { ...pairOf(keepThis, other!), dryRun: false } });
      // The merge keeps the kept record's values; a value chosen from the other is then a
      // rectification of the merged record (audited like any other).
      const winner = keepThis ? lead : other!;
      const corrections = Object.fromEntries(FIELDS.filter((f) => valueAfter(f) !== winner[f] && valueAfter(f) !== null).map((f) => [f, valueAfter(f)]));
      if (Object.keys(corrections).length) await api(`/api/persons/${done.winnerId}`, { method: 'PATCH', body: corrections });
      notify('Merged', { type: 'success' });
      setPreview(null);
      setCandidates(null);
      redirect('show', 'persons', done.winnerId);
      refresh(); // the kept record may be this one: show what it holds now
    } catch (err) {
      notify((err as Error).message, { type: 'error' });
    }
  };

  return (
    <Box>
      <Stack direction="row" spacing={1}>
        <TextField size="small" label="Find the other record (name, e-mail, company)" value={q} onChange={(e) => setQ(e.target.value)} sx={{ minWidth: 320 }} />
        <Button variant="outlined" disabled={q.trim().length < 2} onClick={find}>Find</Button>
      </Stack>
      {candidates && !candidates.length && <Typography sx={{ mt: 1 }}>No other record matches.</Typography>}
      {candidates?.map((c) => (
        <Button key={c.id} sx={{ mt: 1, mr: 1 }} size="small" onClick={() => showPreview(c, true)}>Merge with {leadName(c)}{c.email ? ` (${c.email})` : ''}</Button>
      ))}
      {preview && other && (
        <Box sx={{ mt: 2 }}>
          <Table size="small" aria-label="Merge preview">
            <TableHead>
              <TableRow><TableCell>Field</TableCell><TableCell>This record</TableCell><TableCell>{leadName(other)}</TableCell><TableCell>After the merge</TableCell></TableRow>
            </TableHead>
            <TableBody>
              {FIELDS.map((f) => {
                const differs = preview.conflicts.includes(f);
                const pick = picks[f] ?? (keepThis ? 'this' : 'other');
                const choose = (side: 'this' | 'other', value: unknown) =>
                  differs ? <label><input type="radio" name={`merge-${f}`} checked={pick === side} onChange={() => setPicks({ ...picks, [f]: side })} /> {String(value ?? '—')}</label> : String(value ?? '—');
                return (
                  <TableRow key={f} selected={differs}>
                    <TableCell>{f}{differs ? ' (differs: choose)' : ''}</TableCell>
                    <TableCell>{choose('this', lead[f])}</TableCell>
                    <TableCell>{choose('other', other[f])}</TableCell>
                    <TableCell>{valueAfter(f) ?? '—'}</TableCell>
                  </TableRow>
                );
              })}
            </TableBody>
          </Table>
          <Typography sx={{ mt: 1 }}>
            Moves to the record kept: {Object.entries(preview.moves).map(([k, v]) => `${v} ${k}`).join(', ')}.
          </Typography>
          <Stack direction="row" spacing={1} sx={{ mt: 1 }}>
            <Button variant={keepThis ? 'contained' : 'outlined'} onClick={() => showPreview(other, true)}>Keep this record’s values</Button>
            <Button variant={!keepThis ? 'contained' : 'outlined'} onClick={() => showPreview(other, false)}>Keep {leadName(other)}’s values</Button>
            <Button color="warning" variant="contained" onClick={merge}>Merge</Button>
          </Stack>
        </Box>
      )}
    </Box>
  );
}

/** Restriction of processing (policy 9.4): placed and lifted by an admin or the DPO, with the reason. */
export function RestrictionAction() {
  const lead = useRecordContext<Lead>();
  const { permissions } = usePermissions<string[]>();
  const act = useLeadAction();
  const [reason, setReason] = useState('');
  if (!lead || !permissions?.some((r) => r === 'admin' || r === 'dpo')) return null;
  const lifting = Boolean(lead.restrictedAt);
  const submit = async () => {
    const body = lifting ? { reason, personInformedAt: new Date().toISOString() } : { reason };
    if (await act(`/api/persons/${lead.id}/restriction${lifting ? '/lift' : ''}`, body, lifting ? 'Restriction lifted' : 'Processing restricted')) setReason('');
  };
  return (
    <Stack direction="row" spacing={1} alignItems="flex-start">
      <TextField size="small" label={lifting ? 'Why the restriction ends (the person was told today)' : 'Why processing is restricted'} value={reason} onChange={(e) => setReason(e.target.value)} sx={{ flex: 1 }} />
      <Button variant="outlined" color="warning" disabled={!reason.trim()} onClick={submit}>{lifting ? 'Lift the restriction' : 'Restrict processing'}</Button>
    </Stack>
  );
}

export function Restricted() {
  const lead = useRecordContext<Lead>();
  if (!lead?.restrictedAt) return null;
  return <Alert severity="warning">Processing is restricted (since {new Date(lead.restrictedAt).toLocaleDateString()}): the record is kept, not worked.</Alert>;
}

/**
 * A lead becomes a customer's person: of a new or known company, looked after by account managers
 * (whoever converts, if they are one; an admin names them). From then on only they see the person.
 */
export function ConvertAction() {
  const lead = useRecordContext<Lead & { status: string; companyId: string | null }>();
  const { permissions } = usePermissions<string[]>();
  const act = useLeadAction();
  const [company, setCompany] = useState('');
  const [managers, setManagers] = useState<{ id: string; name: string }[]>([]);
  const [managerId, setManagerId] = useState('');
  const isAdmin = Boolean(permissions?.includes('admin'));
  const isManager = Boolean(permissions?.includes('account_manager'));
  useEffect(() => {
    if (isAdmin) void api<{ items: { id: string; name: string; roles: string[]; active: boolean }[] }>('/api/users?limit=200').then((p) => setManagers(p.items.filter((u) => u.active && u.roles.includes('account_manager'))), () => undefined);
  }, [isAdmin]);
  if (!lead || lead.status === 'customer' || !(isAdmin || isManager)) return null;
  const body = {
    ...(lead.companyId && !company.trim() ? { companyId: lead.companyId } : { company: { name: company.trim() || lead.companyName } }),
    ...(managerId ? { accountManagerIds: [managerId] } : {}),
  };
  return (
    <Stack direction="row" spacing={1} alignItems="flex-start">
      <TextField size="small" label={`Customer company${lead.companyName ? ` (default: ${lead.companyName})` : ''}`} value={company} onChange={(e) => setCompany(e.target.value)} sx={{ flex: 1 }} />
      {isAdmin && (
        <TextField select size="small" label="Account manager" value={managerId} onChange={(e) => setManagerId(e.target.value)} sx={{ minWidth: 200 }}>
          {managers.map((m) => <MenuItem key={m.id} value={m.id}>{m.name}</MenuItem>)}
        </TextField>
      )}
      <Button variant="outlined" disabled={(!company.trim() && !lead.companyName && !lead.companyId) || (isAdmin && !isManager && !managerId)} onClick={() => act(`/api/persons/${lead.id}/convert`, body, 'Converted to a customer')}>
        Convert to customer
      </Button>
    </Stack>
  );
}

/** A call, logged on the timeline: the number, which way, how long, what was said. */
export function CallAction() {
  const lead = useRecordContext<Lead>();
  const act = useLeadAction();
  const [call, setCall] = useState({ direction: 'outbound', minutes: '', summary: '' });
  if (!lead) return null;
  const log = async () => {
    const body = { phone: lead.phone ?? '', direction: call.direction, durationSeconds: Math.round(Number(call.minutes || 0) * 60), summary: call.summary || undefined };
    if (await act(`/api/persons/${lead.id}/calls`, body, 'Call logged')) setCall({ direction: 'outbound', minutes: '', summary: '' });
  };
  return (
    <Stack direction="row" spacing={1} alignItems="flex-start">
      <TextField select size="small" label="Call" value={call.direction} onChange={(e) => setCall({ ...call, direction: e.target.value })} sx={{ width: 130 }}>
        <MenuItem value="outbound">we called</MenuItem>
        <MenuItem value="inbound">they called</MenuItem>
      </TextField>
      <TextField size="small" type="number" label="Minutes" value={call.minutes} onChange={(e) => setCall({ ...call, minutes: e.target.value })} sx={{ width: 100 }} />
      <TextField size="small" label="What was said" value={call.summary} onChange={(e) => setCall({ ...call, summary: e.target.value })} sx={{ flex: 1 }} />
      <Button variant="outlined" disabled={!lead.phone || call.minutes === ''} onClick={log}>Log call</Button>
    </Stack>
  );
}

/** An objection to direct marketing (policy 9.6): marketing consents withdrawn, unsubscribed in HubSpot. */
export function ObjectionAction() {
  const lead = useRecordContext<Lead & { marketingObjectionAt: string | null }>();
  const act = useLeadAction();
  if (!lead) return null;
  if (lead.marketingObjectionAt) return <Typography>Objected to direct marketing on {new Date(lead.marketingObjectionAt).toLocaleDateString()}.</Typography>;
  return <Button variant="outlined" color="warning" sx={{ alignSelf: 'flex-start' }} onClick={() => act(`/api/persons/${lead.id}/marketing-objection`, {}, 'Objection recorded: no more marketing')}>They object to direct marketing</Button>;
}

/** A conversation on a messenger (WhatsApp, LinkedIn, …), logged with its transcript on the timeline. */
export function ChatAction() {
  const lead = useRecordContext<Lead>();
  const act = useLeadAction();
  const [chat, setChat] = useState({ service: '', handle: '', transcript: '' });
  if (!lead) return null;
  const log = async () => {
    if (await act(`/api/persons/${lead.id}/chats`, chat, 'Chat logged')) setChat({ service: '', handle: '', transcript: '' });
  };
  return (
    <Stack spacing={1}>
      <Stack direction="row" spacing={1}>
        <TextField size="small" label="Messenger (e.g. whatsapp)" value={chat.service} onChange={(e) => setChat({ ...chat, service: e.target.value })} />
        <TextField size="small" label="Their handle there" value={chat.handle} onChange={(e) => setChat({ ...chat, handle: e.target.value })} />
      </Stack>
      <Stack direction="row" spacing={1} alignItems="flex-start">
        <TextField size="small" label="Transcript" multiline minRows={2} value={chat.transcript} onChange={(e) => setChat({ ...chat, transcript: e.target.value })} sx={{ flex: 1 }} />
        <Button variant="outlined" disabled={!chat.service.trim() || !chat.handle.trim() || !chat.transcript.trim()} onClick={log}>Log chat</Button>
      </Stack>
    </Stack>
  );
}
