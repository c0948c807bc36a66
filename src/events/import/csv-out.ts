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

/** CSV for spreadsheets: a UTF-8 BOM (Excel reads æøå right only with it), CRLF line ends, every cell neutralised. */
export function toCsv(rows: unknown[][], withBom = true): string {
  return (withBom ? '\uFEFF' : '') + stringify(rows.map((r) => r.map(neutralise)), { record_delimiter: 'windows' });
}
