import { Box, Button, Checkbox, Chip, Stack } from '@mui/material';
import { Fragment, useEffect, type ReactNode } from 'react';
import { Datagrid, DateField, FilterButton, FunctionField, List, TextInput, TopToolbar, useListContext, useNotify, useRefresh, useUnselectAll } from 'react-admin';
import { api } from '../common/api';

interface Reason { code: string; weight?: number; decisive?: boolean; evidence?: Record<string, unknown> }
interface Held { id: string; receivedAt: string; fields: Record<string, unknown>; reasons: Reason[]; score: number | null; threshold: number | null; highlights: string[] }

/** Text with the words screening matched marked, so a reviewer sees at once why it was held. */
export function Highlighted({ text, marks }: { text: string; marks: string[] }) {
  const words = marks.filter((m) => m.trim()).map((m) => m.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  if (!words.length) return <>{text}</>;
  const parts = text.split(new RegExp(`(${words.join('|')})`, 'gi'));
  return <>{parts.map((part, i) => (i % 2 ? <mark key={i}>{part}</mark> : <Fragment key={i}>{part}</Fragment>))}</>;
}

function Fields({ record }: { record: Held }) {
  return (
    <Box component="dl" sx={{ m: 0, display: 'grid', gridTemplateColumns: 'max-content 1fr', columnGap: 1, fontSize: 13 }}>
      {Object.entries(record.fields).map(([name, value]) => (
        <Fragment key={name}>
          <Box component="dt" sx={{ fontWeight: 600 }}>{name}</Box>
          <Box component="dd" sx={{ m: 0, whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}><Highlighted text={String(value ?? '').slice(0, 2000)} marks={record.highlights} /></Box>
        </Fragment>
      ))}
    </Box>
  );
}

const DECISIONS: { decision: 'release' | 'spam' | 'spam_and_block'; label: string; key: string; done: string }[] = [
  { decision: 'release', label: 'Release (r)', key: 'r', done: 'released: processed as if it had passed' },
  { decision: 'spam', label: 'Spam (s)', key: 's', done: 'marked as spam' },
  { decision: 'spam_and_block', label: 'Spam and block sender (b)', key: 'b', done: 'marked as spam, sender blocked' },
];

/**
 * Selecting a row: react-admin's own row checkbox puts its label on a wrapper, not on the input
 * (axe: critical), so this column has its own, labelled checkbox.
 */
function SelectArrival({ record }: { record: Held }) {
  const { selectedIds, onToggleItem } = useListContext();
  const name = String(record.fields.name ?? record.fields.email ?? 'unnamed');
  return (
    <Checkbox
      checked={selectedIds.includes(record.id)}
      onChange={() => onToggleItem(record.id)}
      onClick={(e) => e.stopPropagation()}
      slotProps={{ input: { 'aria-label': `Select the arrival from ${name}, ${new Date(record.receivedAt).toLocaleString()}` } }}
    />
  );
}

/** Decisions on the selected rows; the keys r, s and b do the same while rows are selected. */
function Decide() {
  const { selectedIds, resource } = useListContext();
  const notify = useNotify();
  const refresh = useRefresh();
  const unselectAll = useUnselectAll(resource);
  const decide = async (d: (typeof DECISIONS)[number]) => {
    try {
      const results = await api<{ id: string; outcome: string }[]>('/api/quarantine/decisions', { method: 'POST', body: { ids: selectedIds, decision: d.decision } });
      notify(`${results.length} ${d.done}`, { type: 'success' });
      unselectAll();
      refresh();
    } catch (err) {
      notify((err as Error).message, { type: 'error' });
    }
  };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      // Typing in a field is typing, not a decision; on a row's checkbox, the key decides.
      const target = e.target as HTMLElement;
      if (!selectedIds.length || e.ctrlKey || e.metaKey || e.altKey || target.closest('input:not([type=checkbox]), textarea, select, [contenteditable]')) return;
      const d = DECISIONS.find((x) => x.key === e.key.toLowerCase());
      if (d) void decide(d);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });
  return (
    <Stack direction="row" spacing={1} alignItems="center">
      <span role="status">{selectedIds.length} selected</span>
      {DECISIONS.map((d) => <Button key={d.decision} size="small" disabled={!selectedIds.length} variant={d.decision === 'release' ? 'contained' : 'outlined'} onClick={() => decide(d)}>{d.label}</Button>)}
    </Stack>
  );
}

const reasonChips = (r: Held): ReactNode => (
  <Stack direction="row" spacing={0.5} useFlexGap flexWrap="wrap">
    {r.reasons.map((x, i) => <Chip key={i} size="small" label={`${x.code.replace(/_/g, ' ')}${x.decisive ? ' (decides)' : x.weight !== undefined ? ` ${x.weight > 0 ? '+' : ''}${x.weight}` : ''}`} />)}
  </Stack>
);

const filters = [<TextInput key="reason" source="reason" label="Reason code" />];

export function QuarantineList() {
  return (
    <List title="Quarantine" resource="quarantine" filters={filters} perPage={50} exporter={false} actions={<TopToolbar><Decide /><FilterButton /></TopToolbar>}>
      <Datagrid bulkActionButtons={false} rowClick={false}>
        <FunctionField label="Select" render={(r: Held) => <SelectArrival record={r} />} />
        <DateField source="receivedAt" label="Arrived" showTime sortable={false} />
        <FunctionField label="Score" render={(r: Held) => (r.score === null ? '—' : `${r.score} / ${r.threshold}`)} />
        <FunctionField label="Why held" render={reasonChips} />
        <FunctionField label="What was sent" render={(r: Held) => <Fields record={r} />} />
      </Datagrid>
    </List>
  );
}
