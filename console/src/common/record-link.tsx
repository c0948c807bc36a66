import { Link, useCreatePath, useRecordContext, useResourceContext } from 'react-admin';

/**
 * A list's first column as a link to the record: rows open on a click, and this makes them open
 * from the keyboard too (react-admin's clickable rows take no focus).
 */
export function RecordLink({ text, to = 'show' }: { text: (record: Record<string, unknown>) => string; to?: 'show' | 'edit' }) {
  const record = useRecordContext();
  const resource = useResourceContext();
  const createPath = useCreatePath();
  if (!record) return null;
  return <Link to={createPath({ resource, id: record.id, type: to })} onClick={(e: { stopPropagation(): void }) => e.stopPropagation()}>{text(record)}</Link>;
}
