import { Box, Button, MenuItem, Stack, TextField as MuiTextField, Typography } from '@mui/material';
import { useState } from 'react';
import {
  ArrayField, Datagrid, DateField, EditButton, FunctionField, Labeled, Show, TabbedShowLayout, TextField, TopToolbar, useNotify, useRecordContext, useShowContext,
} from 'react-admin';
import { download } from '../common/api';
import { WORK_STATUSES } from '../common/choices';
import { CallAction, ChatAction, ConvertAction, MergeAction, ObjectionAction, Restricted, RestrictionAction, OwnerAction, useLeadAction } from './lead-actions';
import { leadName } from './lead-list';

interface Lead { id: string; status: string; restrictedAt: string | null; firstName: string | null; lastName: string | null; email: string | null }

function StatusAction() {
  const lead = useRecordContext<Lead>();
  const act = useLeadAction();
  const [status, setStatus] = useState('');
  if (!lead || lead.status === 'customer') return null;
  return (
    <Stack direction="row" spacing={1} alignItems="center">
      <MuiTextField select size="small" label="New status" value={status} onChange={(e) => setStatus(e.target.value)} sx={{ minWidth: 160 }}>
        {WORK_STATUSES.filter((s) => s.id !== lead.status).map((s) => <MenuItem key={s.id} value={s.id}>{s.name}</MenuItem>)}
      </MuiTextField>
      <Button variant="outlined" disabled={!status} onClick={async () => (await act(`/api/persons/${lead.id}/status`, { status }, 'Status changed')) && setStatus('')}>
        Change status
      </Button>
    </Stack>
  );
}

function NoteAction() {
  const lead = useRecordContext<Lead>();
  const act = useLeadAction();
  const [text, setText] = useState('');
  if (!lead) return null;
  return (
    <Stack direction="row" spacing={1} alignItems="flex-start">
      <MuiTextField label="Note" multiline minRows={2} value={text} onChange={(e) => setText(e.target.value)} sx={{ flex: 1 }} />
      <Button variant="outlined" disabled={!text.trim()} onClick={async () => (await act(`/api/persons/${lead.id}/notes`, { text }, 'Note added')) && setText('')}>
        Add note
      </Button>
    </Stack>
  );
}

/**
 * The raw payload is personal data like the rest: shown only when asked for. A native disclosure
 * (react-admin's row expander is hidden from keyboards and screen readers).
 */
function RawPayload() {
  const capture = useRecordContext<{ payload: Record<string, unknown> }>();
  return (
    <Box component="details">
      <summary>Raw payload</summary>
      <Box component="pre" sx={{ m: 0, whiteSpace: 'pre-wrap', fontSize: 12 }}>{JSON.stringify(capture?.payload ?? {}, null, 2)}</Box>
    </Box>
  );
}

interface Attachment { id: string; filename: string | null; size: number; kept: boolean; skippedReason: string | null }

/** Files that came with mail (a capture's, or a timeline entry's): each downloadable (the read is audited), or why it was not kept. */
function Files({ of }: { of: 'captures' | 'timeline' }) {
  const entry = useRecordContext<{ id: string; payload?: { attachments?: Attachment[] }; details?: { attachments?: Attachment[] } | null }>();
  const { record: lead } = useShowContext<{ id: string }>();
  const notify = useNotify();
  const list = (of === 'captures' ? entry?.payload?.attachments : entry?.details?.attachments) ?? [];
  if (!Array.isArray(list) || !list.length || !lead || !entry) return null;
  const base = `/api/persons/${lead.id}/${of}/${entry.id}/attachments`;
  return (
    <Stack spacing={0.5}>
      {list.map((f) =>
        f.kept ? (
          <Button key={f.id} size="small" sx={{ justifyContent: 'flex-start' }} onClick={() => download(`${base}/${f.id}`, f.filename ?? 'attachment', '*/*').catch((err) => notify((err as Error).message, { type: 'error' }))}>
            {f.filename ?? 'attachment'} ({Math.ceil(f.size / 1024)} KB)
          </Button>
        ) : (
          <Typography key={f.id} variant="body2">{f.filename ?? 'attachment'}: not kept ({f.skippedReason})</Typography>
        ),
      )}
    </Stack>
  );
}

const None = ({ text }: { text: string }) => <Typography variant="body2" sx={{ py: 1 }}>{text}</Typography>;

export function LeadShow() {
  return (
    <Show title={<FunctionField render={(r: Lead) => leadName(r)} />} actions={<TopToolbar><EditButton label="Rectify" /></TopToolbar>}>
      <TabbedShowLayout>
        <TabbedShowLayout.Tab label="Summary">
          <Restricted />
          <FunctionField label="Name" render={(r: Lead) => leadName(r)} />
          <TextField source="email" emptyText="—" />
          <TextField source="phone" emptyText="—" />
          <TextField source="position" emptyText="—" />
          <TextField source="companyName" label="Company" emptyText="—" />
          <TextField source="location" emptyText="—" />
          <TextField source="status" />
          <TextField source="ownerName" label="Owner" emptyText="nobody" />
          <Labeled label="Work"><Stack spacing={2} sx={{ width: '100%', maxWidth: 640 }}><OwnerAction /><StatusAction /><NoteAction /><CallAction /><ChatAction /><ConvertAction /><ObjectionAction /><RestrictionAction /></Stack></Labeled>
        </TabbedShowLayout.Tab>
        <TabbedShowLayout.Tab label="Captures" path="captures">
          <ArrayField source="captures">
            <Datagrid bulkActionButtons={false} rowClick={false} empty={<None text="No captures." />}>
              <DateField source="receivedAt" label="Received" showTime />
              <TextField source="source" label="Channel" />
              <TextField source="inquiryType" label="Inquiry" emptyText="—" />
              <TextField source="request" emptyText="—" />
              <FunctionField label="Legal bases" render={(c: { legalBases: Record<string, string> }) => Object.entries(c.legalBases).map(([p, b]) => `${p}: ${b}`).join('; ')} />
              <TextField source="policyVersion" label="Policy" />
              <DateField source="retentionDueAt" label="Kept until" />
              <FunctionField label="Files" render={() => <Files of="captures" />} />
              <FunctionField label="As received" render={() => <RawPayload />} />
            </Datagrid>
          </ArrayField>
        </TabbedShowLayout.Tab>
        <TabbedShowLayout.Tab label="Consent" path="consent">
          <ArrayField source="consents" label="Now">
            <Datagrid bulkActionButtons={false} rowClick={false} empty={<None text="No consent given." />}>
              <TextField source="purpose" />
              <TextField source="state" />
              <DateField source="since" showTime />
            </Datagrid>
          </ArrayField>
          <ArrayField source="consentEvents" label="The ledger">
            <Datagrid bulkActionButtons={false} rowClick={false} empty={<None text="Nothing recorded." />}>
              <DateField source="occurredAt" label="When" showTime />
              <TextField source="purpose" />
              <TextField source="action" />
              <TextField source="source" label="Channel" />
              <TextField source="policyVersion" label="Policy" />
              <TextField source="wording" label="Words shown" />
            </Datagrid>
          </ArrayField>
        </TabbedShowLayout.Tab>
        <TabbedShowLayout.Tab label="Timeline" path="timeline">
          <ArrayField source="timeline">
            <Datagrid bulkActionButtons={false} rowClick={false} empty={<None text="Nothing yet." />}>
              <DateField source="occurredAt" label="When" showTime />
              <TextField source="type" />
              <TextField source="body" emptyText="—" />
              <FunctionField label="Files" render={() => <Files of="timeline" />} />
              <TextField source="actorType" label="By" />
            </Datagrid>
          </ArrayField>
          <ArrayField source="eventRegistrations" label="Events">
            <Datagrid bulkActionButtons={false} rowClick={false} empty={<None text="No event registrations." />}>
              <TextField source="name" label="Event" />
              <DateField source="date" />
              <TextField source="ticketType" emptyText="—" />
            </Datagrid>
          </ArrayField>
        </TabbedShowLayout.Tab>
        <TabbedShowLayout.Tab label="Merge" path="merge">
          <MergeAction />
        </TabbedShowLayout.Tab>
        <TabbedShowLayout.Tab label="Retention and sharing" path="retention">
          <DateField source="retention.keptUntil" label="Kept until (the latest clock)" />
          <TextField source="syncState" label="HubSpot sync" />
          <TextField source="syncError" label="HubSpot's last error" emptyText="—" />
          <ArrayField source="recipients" label="To whom the data went">
            <Datagrid bulkActionButtons={false} rowClick={false} empty={<None text="Nobody outside the firm." />}>
              <TextField source="recipient" />
              <TextField source="kind" label="What" />
              <TextField source="times" />
              <DateField source="lastAt" label="Last" showTime />
            </Datagrid>
          </ArrayField>
        </TabbedShowLayout.Tab>
      </TabbedShowLayout>
    </Show>
  );
}
