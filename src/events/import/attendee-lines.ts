import { Readable } from 'node:stream';
import { countCsvRecords, readRecordPieces, readRecords, UnreadableFileError, type FileShape } from './attendee-file';
import { rowReader, type RowContext, type RowResult } from './attendee-row';
import type { ColumnPlan } from './header-map';

const isBlank = (cells: string[]) => cells.every((c) => !c || !c.trim());

/** A buffer as a stream of small pieces, so the decoder and parser never hold it twice over. */
export function bufferStream(buffer: Buffer, piece = 64 * 1024): Readable {
  function* pieces() {
    for (let at = 0; at < buffer.length; at += piece) yield buffer.subarray(at, at + piece);
  }
  return Readable.from(pieces(), { objectMode: false });
}

/** The header: the first record with anything in it. */
export async function readHeader(source: Readable, shape: FileShape): Promise<{ header: string[]; line: number }> {
  for await (const record of readRecords(source, shape)) {
    if (!isBlank(record.cells)) return { header: record.cells, line: record.line };
  }
  throw new UnreadableFileError('The file has no header row (and no attendees).');
}

/**
 * Every data record after the header, read into an attendee, a rejection, or someone not
 * attending; a piece of the file at a time (the loop over a piece's lines costs no step of
 * the stream each).
 */
export async function* attendeeLines(source: Readable, shape: FileShape, columns: ColumnPlan[], ctx: RowContext): AsyncGenerator<{ line: number; result: RowResult }[]> {
  const read = rowReader(columns);
  let headerSeen = false;
  for await (const records of readRecordPieces(source, shape)) {
    const lines: { line: number; result: RowResult }[] = [];
    for (const record of records) {
      if (!headerSeen) headerSeen = !isBlank(record.cells);
      else lines.push({ line: record.line, result: read(record, ctx) });
    }
    if (lines.length) yield lines;
  }
}

/** How many data records the file has (the progress total, and a check the whole file is readable). */
export async function countLines(source: Readable, shape: FileShape): Promise<number> {
  if (shape.format === 'csv') return Math.max(0, (await countCsvRecords(source, shape)) - 1);
  let headerSeen = false;
  let count = 0;
  for await (const record of readRecords(source, shape)) {
    if (isBlank(record.cells)) continue;
    if (headerSeen) count++;
    headerSeen = true;
  }
  return count;
}
