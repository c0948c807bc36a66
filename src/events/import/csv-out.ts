import { stringify } from 'csv-stringify/sync';

/**
 * A cell a spreadsheet would run as a formula (=, +, -, @, or a leading tab or carriage return)
 * gets a leading single quote, so it shows as text (CSV injection). Phone numbers in E.164
 * ("+47...") are affected too: Excel shows them as typed.
 */
export function neutralise(value: unknown): string {
  const text = value === null || value === undefined ? '' : value instanceof Date ? value.toISOString() : String(value);
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

/**
 * CSV for spreadsheets: a UTF-8 BOM (Excel reads æøå right only with it), CRLF line ends, every
 * cell neutralised; comma-delimited unless `delimiter` is `;` (what Excel in a Norwegian locale
 * splits on when it opens a .csv).
 */
export function toCsv(rows: unknown[][], withBom = true, delimiter: ',' | ';' = ','): string {
  return (withBom ? '\uFEFF' : '') + stringify(rows.map((r) => r.map(neutralise)), { record_delimiter: 'windows', delimiter });
}

/**
 * The delimiter to give back a file's own lines in: a semicolon file came from a spreadsheet
 * that splits on semicolons, and gets them back. A tab file (Excel's "Unicode text") gets
 * commas: Excel opens no .csv split on tabs, whatever its locale.
 */
export const answerDelimiter = (uploaded: string | null): ',' | ';' => (uploaded === ';' ? ';' : ',');
