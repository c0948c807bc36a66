import { CsvError, parse } from 'csv-parse';
import ExcelJS from 'exceljs';
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { Transform as StreamTransform, type Readable, type Transform } from 'node:stream';
import iconv from 'iconv-lite';

/** What the upload looked like, found from its bytes (file names and declared types are not trusted). */
export interface FileShape {
  format: 'csv' | 'xlsx';
  /** CSV only: utf-8, utf-16le, utf-16be, windows-1252, macintosh (Mac Excel) or cp850 (MS-DOS CSV). */
  encoding: string | null;
  /** CSV only: `,`, `;` or a tab. */
  delimiter: string | null;
}

/** One record of the file: where it starts (1-based line, or sheet row) and its cells as text. */
export interface FileRecord {
  line: number;
  cells: string[];
}

/** Why a file cannot be read at all: shown to staff as a 4xx, never a 500. */
export class UnreadableFileError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 415 | 422 = 422,
  ) {
    super(message);
  }
}

const HEAD_BYTES = 64 * 1024;
/** A record longer than this is not an attendee list line (a runaway quote): the file is refused, not held in memory. */
const MAX_RECORD_CHARS = 1024 * 1024;

/**
 * Watches an upload go by, chunk by chunk, without keeping it: its SHA-256, size, first bytes
 * (for sniffing) and whether all of it is valid UTF-8 (a Windows-1252 "ø" may sit on the last line).
 */
export class UploadInspector {
  private readonly hash = createHash('sha256');
  private head = Buffer.alloc(0);
  /** The bytes of a character cut by the end of the last piece. */
  private carry = Buffer.alloc(0);
  private validUtf8 = true;
  bytes = 0;

  update(chunk: Buffer): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    if (this.head.length < HEAD_BYTES) this.head = Buffer.concat([this.head, chunk.subarray(0, HEAD_BYTES - this.head.length)]);
    if (!this.validUtf8) return;
    const piece = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    // Up to three bytes at the end may start a character the next piece completes.
    let cut = piece.length;
    for (let back = 1; back <= 3 && back <= piece.length; back++) {
      const byte = piece[piece.length - back];
      if ((byte & 0xc0) === 0x80) continue; // a continuation byte: look further back
      const needs = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
      if (needs > back) cut = piece.length - back;
      break;
    }
    this.validUtf8 = isUtf8(piece.subarray(0, cut));
    this.carry = Buffer.from(piece.subarray(cut));
  }

  /** The SHA-256 of the bytes seen and of `extra` (the mapping: the same file read another way is another import). */
  finish(extra: string): { sha256: string; bytes: number; shape: FileShape } {
    if (this.carry.length) this.validUtf8 = false; // a character cut off by the end of the file
    this.hash.update('\0mapping\0').update(extra);
    return { sha256: this.hash.digest('hex'), bytes: this.bytes, shape: sniff(this.head, this.validUtf8) };
  }
}

/** The format, encoding and delimiter of a file from its first bytes. */
export function sniff(head: Buffer, validUtf8: boolean): FileShape {
  if (head.length === 0) throw new UnreadableFileError('The file is empty.');
  if (head.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]))) return { format: 'xlsx', encoding: null, delimiter: null };
  if (head.subarray(0, 4).equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0]))) {
    throw new UnreadableFileError('This is an old Excel (.xls) file: save it as .xlsx or CSV and upload that.', 415);
  }
  const encoding = detectEncoding(head, validUtf8);
  const text = iconv.decode(head, encoding);
  if (/\u0000/.test(text)) throw new UnreadableFileError('This does not look like a CSV or XLSX file.', 415);
  return { format: 'csv', encoding, delimiter: detectDelimiter(text, head.length >= HEAD_BYTES) };
}

/**
 * A byte-order mark decides; without one, UTF-16 shows as a zero byte beside most ASCII
 * characters (Excel's "Unicode text" has a BOM, other tools may not), and anything that is not
 * valid UTF-8 is one of the single-byte encodings Excel writes (singleByteEncoding).
 */
export function detectEncoding(head: Buffer, validUtf8: boolean): string {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf-8';
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  const sample = head.subarray(0, Math.min(head.length, 4096) & ~1);
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < sample.length; i += 2) {
    if (sample[i] === 0) evenZeros++;
    if (sample[i + 1] === 0) oddZeros++;
  }
  const pairs = sample.length / 2;
  if (pairs >= 2 && oddZeros > pairs * 0.4 && evenZeros < pairs * 0.1) return 'utf-16le';
  if (pairs >= 2 && evenZeros > pairs * 0.4 && oddZeros < pairs * 0.1) return 'utf-16be';
  return validUtf8 ? 'utf-8' : singleByteEncoding(head);
}

/**
 * What Excel writes for "CSV" on Windows (Windows-1252), for "CSV (Macintosh)" (MacRoman) and
 * for "MS-DOS CSV" (CP850), in that order of preference on a tie.
 */
const SINGLE_BYTE = ['windows-1252', 'macintosh', 'cp850'] as const;

/**
 * Which single-byte encoding a file is in. The three agree on ASCII and differ on every
 * Norwegian letter, and each one's æøå read as another is punctuation or another letter
 * (MacRoman's "ø" is Windows-1252's "¿", CP850's is "›"): the file is read each way, and the
 * reading with the most æøåÆØÅ inside words that look like words wins. A reading with a byte it
 * has no character for (U+FFFD) or a C1 control is out: no real text has one.
 */
function singleByteEncoding(head: Buffer): string {
  let best: { encoding: string; letters: number } | null = null;
  for (const encoding of SINGLE_BYTE) {
    const text = iconv.decode(head, encoding);
    if (/[\u0080-\u009f\ufffd]/.test(text)) continue;
    const letters = norwegianLetters(text);
    if (!best || letters > best.letters) best = { encoding, letters };
  }
  return best?.encoding ?? 'windows-1252';
}

/**
 * æøåÆØÅ in words of two letters or more cased as words are (all lower, all upper, or
 * capitalised): Windows-1252's curly quotes read as CP850 make "O’Brien" into "OÆBrien" and
 * "don’t" into "donÆt", which do not count.
 */
function norwegianLetters(text: string): number {
  let count = 0;
  for (const [word] of text.matchAll(/\p{L}{2,}/gu)) {
    const letters = word.match(/[æøåÆØÅ]/g);
    if (!letters) continue;
    const rest = word.slice(1);
    if (word === word.toLowerCase() || word === word.toUpperCase() || rest === rest.toLowerCase()) count += letters.length;
  }
  return count;
}

const DELIMITERS = [',', ';', '\t'] as const;
/** Records of the file's start that decide its delimiter. */
const DELIMITER_SAMPLE_RECORDS = 100;

/**
 * The delimiter that splits the file's first records (header and data lines together, outside
 * quotes) into the same number of columns most often: a header with a comma inside a question
 * ("Navn;E-post;Hvilke dager, tider og rom?") does not outvote its data lines, and a report's
 * preamble (lines of one cell) counts for none. A tie goes to the one that gives the first
 * record that count, then to more columns, then comma, semicolon, tab. `cutShort`: the text
 * is the start of a longer file, so its last record may be cut off and is not counted.
 */
export function detectDelimiter(text: string, cutShort = false): string {
  const records: number[][] = [];
  let fields = [1, 1, 1];
  let content = false;
  let quoted = false;
  const end = () => {
    if (content) records.push(fields);
    fields = [1, 1, 1];
    content = false;
  };
  for (const ch of text.replace(/^\uFEFF/, '')) {
    if (records.length >= DELIMITER_SAMPLE_RECORDS) break;
    if (ch === '"') {
      quoted = !quoted;
      content = true;
    } else if (quoted) continue;
    else if (ch === '\n' || ch === '\r') end();
    else if (ch === ',') fields[0]++;
    else if (ch === ';') fields[1]++;
    else if (ch === '\t') fields[2]++;
    else if (ch > ' ') content = true;
  }
  if (!cutShort && records.length < DELIMITER_SAMPLE_RECORDS) end();
  let best: { delimiter: string; score: number; first: boolean; columns: number } = { delimiter: ',', score: 0, first: false, columns: 0 };
  DELIMITERS.forEach((delimiter, k) => {
    const often = new Map<number, number>();
    for (const r of records) if (r[k] > 1) often.set(r[k], (often.get(r[k]) ?? 0) + 1);
    for (const [columns, score] of often) {
      const first = records[0]?.[k] === columns;
      const better = score > best.score || (score === best.score && ((first && !best.first) || (first === best.first && columns > best.columns)));
      if (better) best = { delimiter, score, first, columns };
    }
  });
  return best.delimiter;
}

/** A NUL, or half of a UTF-16 surrogate pair without the other half. */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Replaces the characters PostgreSQL cannot store in text or JSON (NUL, a lone surrogate) with
 * U+FFFD, as the decoder does for bytes that are not characters: such a cell is an odd cell,
 * not a batch that fails and with it the whole import.
 */
export function storableText(): Transform {
  let held = '';
  return new StreamTransform({
    decodeStrings: false,
    encoding: 'utf8',
    transform(chunk: string, _encoding, done) {
      let text = held + chunk;
      held = '';
      // A pair's first half at the end waits for its second half in the next piece.
      const last = text.charCodeAt(text.length - 1);
      if (last >= 0xd800 && last <= 0xdbff) [text, held] = [text.slice(0, -1), text.slice(-1)];
      done(null, text.replace(UNSTORABLE, '\ufffd'));
    },
    flush(done) {
      done(null, held.replace(UNSTORABLE, '\ufffd'));
    },
  });
}

/**
 * The file's records as a stream: decoded from its encoding, parsed as it arrives, each with
 * the line it starts on (quoted fields may span lines). Memory stays flat whatever the size.
 */
export async function* readRecords(source: Readable, shape: FileShape): AsyncGenerator<FileRecord> {
  for await (const records of readRecordPieces(source, shape)) yield* records;
}

/**
 * readRecords a few hundred records at a time (an XLSX sheet: as the reader hands them over):
 * one step of the generator per piece rather than per record.
 */
export async function* readRecordPieces(source: Readable, shape: FileShape): AsyncGenerator<FileRecord[]> {
  if (shape.format === 'xlsx') {
    yield* readSheet(source);
    return;
  }
  // Every CR, LF or CRLF outside quotes ends a record (csv-parse would otherwise take the first
  // one it meets as the only one, and refuse a stray CR from an export edited on a Mac halfway
  // through the import). Empty lines come through as records of one empty cell: every record
  // then takes one line plus the line breaks inside its quoted cells, which is how each gets
  // the line it starts on. CsvRecordCounter follows the same rules (the spec holds them together).
  const parser = parse({
    delimiter: shape.delimiter ?? ',',
    record_delimiter: ['\r\n', '\n', '\r'],
    relax_column_count: true,
    skip_empty_lines: false,
    max_record_size: MAX_RECORD_CHARS,
  });
  const decoded = source.pipe(iconv.decodeStream(shape.encoding ?? 'utf-8') as unknown as Transform);
  const clean = decoded.pipe(storableText());
  source.on('error', (err) => decoded.destroy(err));
  decoded.on('error', (err) => clean.destroy(err));
  clean.on('error', (err) => parser.destroy(err));
  clean.pipe(parser);
  let line = 1;
  let piece: FileRecord[] = [];
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      piece.push({ line, cells: record });
      line++;
      for (const cell of record) line += breaks(cell);
      if (piece.length === RECORDS_PER_PIECE) {
        yield piece;
        piece = [];
      }
    }
    if (piece.length) yield piece;
  } catch (err) {
    if (err instanceof CsvError) throw new UnreadableFileError(`The file cannot be read as CSV near line ${(err as { lines?: number }).lines ?? '?'}: ${csvProblem(err.code)}`);
    throw err;
  } finally {
    source.destroy();
  }
}

/** How many records readRecordPieces hands over at a time. */
const RECORDS_PER_PIECE = 256;

/** Line breaks inside a cell (CRLF counts once). */
function breaks(cell: string): number {
  if (cell.indexOf('\n') < 0 && cell.indexOf('\r') < 0) return 0;
  return cell.match(/\r\n|\r|\n/g)!.length;
}

function csvProblem(code: string): string {
  switch (code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted field is never closed.';
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'a quote closes a field in the middle of it.';
    case 'INVALID_OPENING_QUOTE':
    case 'CSV_INVALID_OPENING_QUOTE':
      return 'a quote appears inside a field that did not start with one.';
    case 'CSV_MAX_RECORD_SIZE':
      return 'a record is far too long (a stray quote?).';
    default:
      return 'the content is not well-formed.';
  }
}

const enum Scan {
  FieldStart,
  Unquoted,
  Quoted,
  QuoteInQuoted,
}

/**
 * Counts a CSV file's records and checks its quoting by the rules csv-parse applies, in one
 * pass over the decoded text with no records built: the total for the progress bar, and a file
 * csv-parse would refuse is refused before the 202, not halfway through the import. Lines that
 * hold nothing but delimiters and spaces are not counted (they are not attendees).
 */
export class CsvRecordCounter {
  private state = Scan.FieldStart;
  private readonly delimiter: number;
  private skipLf = false;
  private content = false;
  private line = 1;
  /** The record's size as UTF-8 bytes, counted high (delimiters, quotes, three per non-ASCII character): never under what csv-parse measures. */
  private size = 0;
  records = 0;

  constructor(delimiter: string) {
    this.delimiter = delimiter.charCodeAt(0);
  }

  feed(text: string): void {
    const d = this.delimiter;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (this.skipLf) {
        this.skipLf = false;
        if (c === 10) continue;
      }
      const newline = c === 10 || c === 13;
      // Three for anything past ASCII: as many as UTF-8 needs for one character, so never less than csv-parse counts, however the bytes were decoded.
      this.size += c < 0x80 ? 1 : 3;
      switch (this.state) {
        case Scan.Quoted:
          if (c === 34) this.state = Scan.QuoteInQuoted;
          else if (newline) this.newline(c);
          else if (c > 32) this.content = true;
          continue;
        case Scan.QuoteInQuoted:
          if (c === 34) {
            this.state = Scan.Quoted;
            this.content = true; // "" inside quotes is a quote: the cell is not blank
          } else if (c === d) this.state = Scan.FieldStart;
          else if (newline) this.endRecord(c);
          else throw this.problem('CSV_INVALID_CLOSING_QUOTE');
          continue;
        case Scan.FieldStart:
          if (c === 34) this.state = Scan.Quoted;
          else if (newline) this.endRecord(c);
          else if (c !== d) {
            this.state = Scan.Unquoted;
            if (c > 32) this.content = true;
          }
          continue;
        case Scan.Unquoted:
          if (c === 34) throw this.problem('CSV_INVALID_OPENING_QUOTE');
          if (c === d) this.state = Scan.FieldStart;
          else if (newline) this.endRecord(c);
          else if (c > 32) this.content = true;
          continue;
      }
    }
  }

  /** The number of records; throws for a quoted field still open at the end. */
  finish(): number {
    if (this.state === Scan.Quoted) throw this.problem('CSV_QUOTE_NOT_CLOSED');
    if (this.size > MAX_RECORD_CHARS) throw this.problem('CSV_MAX_RECORD_SIZE');
    if (this.content) this.records++;
    return this.records;
  }

  private newline(c: number): void {
    this.line++;
    this.skipLf = c === 13;
  }

  private endRecord(c: number): void {
    // csv-parse refuses a record this long (a runaway quote, as a rule): refused here too, before the 202.
    if (this.size > MAX_RECORD_CHARS) throw this.problem('CSV_MAX_RECORD_SIZE');
    this.size = 0;
    if (this.content) this.records++;
    this.content = false;
    this.state = Scan.FieldStart;
    this.newline(c);
  }

  private problem(code: string): UnreadableFileError {
    return new UnreadableFileError(`The file cannot be read as CSV near line ${this.line}: ${csvProblem(code)}`);
  }
}

/**
 * Counts a CSV upload's records while it streams in (the progress total, and the check that
 * csv-parse will read all of it), so a direct import need not read the stored file back
 * before its 202. The encoding is only settled by the last byte (UTF-8 or Windows-1252), but
 * those two agree on every character the count looks at (quotes, delimiters, line ends), so
 * the bytes are read one character each until then; UTF-16 shows in the first bytes. The
 * count starts once those first bytes (what the delimiter is sniffed from) are in.
 */
export class UploadRecordCounter {
  private waiting: Buffer[] = [];
  private waitingBytes = 0;
  private counter: CsvRecordCounter | null = null;
  private decode: ((data: Buffer) => string) | null = null;
  private shape: FileShape | null = null;
  private off = false;
  /** What made the file unreadable part-way, kept for `finish` (the upload goes on being stored meanwhile). */
  private failure: unknown = null;

  update(data: Buffer): void {
    if (this.off || this.failure) return;
    try {
      if (this.counter) {
        this.counter.feed(this.decode!(data));
        return;
      }
      this.waiting.push(data);
      this.waitingBytes += data.length;
      if (this.waitingBytes >= HEAD_BYTES) this.start();
    } catch (err) {
      this.failure = err;
    }
  }

  /**
   * The data records (the header and the `leading` records before it excluded) when the file
   * turned out a CSV read as assumed; null when it must be counted from storage. Throws
   * UnreadableFileError for a file csv-parse would refuse.
   */
  finish(shape: FileShape, leading = 0): number | null {
    if (!this.counter && !this.off && !this.failure) {
      try {
        this.start();
      } catch (err) {
        this.failure = err;
      }
    }
    if (this.off || !this.shape || shape.format !== 'csv' || shape.delimiter !== this.shape.delimiter) return null;
    if (shape.encoding!.startsWith('utf-16') !== this.shape.encoding!.startsWith('utf-16')) return null;
    if (this.failure) throw this.failure;
    return Math.max(0, this.counter!.finish() - 1 - leading);
  }

  private start(): void {
    const all = Buffer.concat(this.waiting, this.waitingBytes);
    this.waiting = [];
    let shape: FileShape;
    try {
      shape = sniff(all.subarray(0, HEAD_BYTES), true);
    } catch {
      this.off = true; // an empty or binary file: the upload's own checks say so
      return;
    }
    if (shape.format !== 'csv') {
      this.off = true;
      return;
    }
    this.shape = shape;
    this.counter = new CsvRecordCounter(shape.delimiter ?? ',');
    if (shape.encoding!.startsWith('utf-16')) {
      const decoder = iconv.getDecoder(shape.encoding!);
      this.decode = (data) => decoder.write(data);
    } else this.decode = (data) => data.toString('latin1');
    const bom = !shape.encoding!.startsWith('utf-16') && all[0] === 0xef && all[1] === 0xbb && all[2] === 0xbf ? 3 : 0;
    this.counter.feed(this.decode(all.subarray(bom)));
  }
}

/** Records in a CSV stream, counted by CsvRecordCounter as the text is decoded. */
export async function countCsvRecords(source: Readable, shape: FileShape): Promise<number> {
  const counter = new CsvRecordCounter(shape.delimiter ?? ',');
  const decoded = source.pipe(iconv.decodeStream(shape.encoding ?? 'utf-8') as unknown as Transform);
  source.on('error', (err) => decoded.destroy(err));
  for await (const text of decoded as AsyncIterable<string>) counter.feed(text);
  return counter.finish();
}

/** The first worksheet of an XLSX workbook, rows a few hundred at a time, through exceljs's streaming reader. */
async function* readSheet(source: Readable): AsyncGenerator<FileRecord[]> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookReader(source, { worksheets: 'emit', sharedStrings: 'cache', hyperlinks: 'ignore', styles: 'cache', entries: 'ignore' });
  try {
    for await (const sheet of workbook) {
      let rows: FileRecord[] = [];
      for await (const row of sheet) {
        const values = Array.isArray(row.values) ? row.values : [];
        // exceljs rows are 1-based and sparse.
        const cells: string[] = [];
        for (let i = 1; i < values.length; i++) cells.push(cellText(values[i]).replace(UNSTORABLE, '\ufffd'));
        rows.push({ line: row.number, cells });
        if (rows.length >= 500) {
          yield rows;
          rows = [];
        }
      }
      if (rows.length) yield rows;
      return; // only the first sheet is the attendee list
    }
  } catch (err) {
    if (err instanceof UnreadableFileError) throw err;
    // A damaged or password-protected workbook: say so instead of failing the request.
    throw new UnreadableFileError('The XLSX file cannot be read (damaged, encrypted, or not a workbook).');
  } finally {
    source.destroy();
  }
}

/** A cell as the text staff see in Excel: dates as YYYY-MM-DD, links and rich text as their text, formulas as their result. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? value.toFixed(0) : String(value);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value instanceof Date) {
    const iso = value.toISOString();
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
  }
  if (typeof value === 'object') {
    const v = value as { richText?: { text: string }[]; text?: unknown; result?: unknown; error?: unknown };
    if (Array.isArray(v.richText)) return v.richText.map((r) => r.text).join('');
    if (v.text !== undefined) return cellText(v.text);
    if ('result' in v) return cellText(v.result);
    if (v.error !== undefined) return '';
  }
  return String(value);
}
