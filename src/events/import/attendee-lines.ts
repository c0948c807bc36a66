import { Readable } from 'node:stream';
import { countCsvRecords, readRecordPieces, readRecords, UnreadableFileError, type FileRecord, type FileShape } from './attendee-file';
import { rowReader, type RowContext, type RowResult } from './attendee-row';
import { namesContact, type ColumnPlan, type ColumnSample } from './header-map';
import { normaliseEmail } from '../../domain/identity';

const isBlank = (cells: string[]) => cells.every((c) => !c || !c.trim());

/** A buffer as a stream of small pieces, so the decoder and parser never hold it twice over. */
export function bufferStream(buffer: Buffer, piece = 64 * 1024): Readable {
  function* pieces() {
    for (let at = 0; at < buffer.length; at += piece) yield buffer.subarray(at, at + piece);
  }
  return Readable.from(pieces(), { objectMode: false });
}

/** Records searched for the header row: a report's preamble is a few lines, not a file. */
export const HEADER_SEARCH_RECORDS = 50;

/** Data lines sampled after the header to choose between columns that could fill one field (planColumns). */
const SAMPLE_RECORDS = 200;

/** Where the attendee table starts in the file, and what its first data lines hold. */
export interface FileLayout {
  /** The header row's cells. */
  header: string[];
  /** The file's line (or sheet row) the header was read from. */
  line: number;
  /** Non-blank records before it (a preamble): not data lines. */
  leading: number;
  /** False: no record among the first HEADER_SEARCH_RECORDS names an e-mail or phone column, and the first non-blank one was read as the header. */
  found: boolean;
  /** Up to SAMPLE_RECORDS non-blank data lines after the header, column by column. */
  sample: ColumnSample;
}

/**
 * A report's section title naming people who are not the attendees: a Zoom attendee report
 * opens with a "Host Details" (and a webinar's "Panelist Details") table with a header of its
 * own naming an e-mail column, before "Attendee Details". Those tables are the organisers'
 * side, not who registered: their header and rows are preamble, and the header is searched for
 * after them.
 */
const NOT_ATTENDEES_SECTION = /^(?:host|co-?host|panel+ist|alternative host|vert|panel)s?\s+details$|^(?:verter|paneldeltakere|paneldeltagere)$/i;

/** A line of one cell ("Attendee Details"): a report's section title, or a title line of the preamble. */
function sectionTitle(cells: string[]): string | null {
  const filled = cells.filter((c) => c.trim());
  return filled.length === 1 && cells[0].trim() ? cells[0].trim() : null;
}

/**
 * The header row: the first of the leading records that names an e-mail or phone column (or
 * the one the mapping names), so a report's preamble (title, date, host block) is skipped;
 * failing that, the first record with anything in it. A header-like line in a section titled
 * for hosts or panelists (NOT_ATTENDEES_SECTION) is that section's, and skipped with its rows.
 */
export async function readLayout(source: Readable, shape: FileShape, mapping: Record<string, string> | null): Promise<FileLayout> {
  let first: FileRecord | null = null;
  let leading = 0;
  let read = 0;
  let layout: FileLayout | null = null;
  /** Inside a hosts' or panelists' section: its lines are preamble, whatever they name. */
  let skipping: false | 'title' | 'table' = false;
  for await (const record of readRecords(source, shape)) {
    if (layout) {
      if (isBlank(record.cells)) continue;
      const { sample } = layout;
      // Only the cells the line has: a header of many columns does not make every line cost as much.
      for (let i = 0, n = Math.min(sample.filled.length, record.cells.length); i < n; i++) {
        const cell = record.cells[i]?.trim();
        if (!cell) continue;
        sample.filled[i]++;
        if (normaliseEmail(cell)) sample.addresses[i]++;
      }
      if (++sample.rows >= SAMPLE_RECORDS) break;
      continue;
    }
    if (++read > HEADER_SEARCH_RECORDS && first) break;
    if (isBlank(record.cells)) {
      // A blank line after the section's table ends it, even when no title follows.
      if (skipping === 'table') skipping = false;
      continue;
    }
    const title = sectionTitle(record.cells);
    if (title !== null) skipping = NOT_ATTENDEES_SECTION.test(title) ? 'title' : false;
    else if (skipping === 'title') skipping = 'table';
    if (read <= HEADER_SEARCH_RECORDS && !skipping && namesContact(record.cells, mapping)) {
      const zeros = () => new Array<number>(record.cells.length).fill(0);
      layout = { header: record.cells, line: record.line, leading, found: true, sample: { rows: 0, filled: zeros(), addresses: zeros() } };
      continue;
    }
    first ??= record;
    leading++;
  }
  if (layout) return layout;
  // No header to sample for: the columns cannot be read, and planColumns says so.
  if (first) return { header: first.cells, line: first.line, leading: 0, found: false, sample: { rows: 0, filled: [], addresses: [] } };
  throw new UnreadableFileError('The file has no header row (and no attendees).');
}

/**
 * Every data record after the header, read into an attendee, a rejection, or someone not
 * attending; a piece of the file at a time (the loop over a piece's lines costs no step of
 * the stream each).
 */
export async function* attendeeLines(source: Readable, shape: FileShape, headerLine: number, columns: ColumnPlan[], ctx: RowContext): AsyncGenerator<{ line: number; result: RowResult }[]> {
  const read = rowReader(columns);
  for await (const records of readRecordPieces(source, shape)) {
    const lines: { line: number; result: RowResult }[] = [];
    for (const record of records) if (record.line > headerLine) lines.push({ line: record.line, result: read(record, ctx) });
    if (lines.length) yield lines;
  }
}

/** How many data records the file has after its header (the progress total, and a check the whole file is readable). */
export async function countLines(source: Readable, shape: FileShape, layout: Pick<FileLayout, 'line' | 'leading'>): Promise<number> {
  if (shape.format === 'csv') return Math.max(0, (await countCsvRecords(source, shape)) - 1 - layout.leading);
  let count = 0;
  for await (const record of readRecords(source, shape)) if (record.line > layout.line && !isBlank(record.cells)) count++;
  return count;
}
