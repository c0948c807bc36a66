import PDFDocument from 'pdfkit';
import { randomBytes, randomInt } from 'node:crypto';

/** A copy of everything held on a person, as sections of rows (plain JSON). */
export interface AccessCopy {
  title: string;
  generatedAt: string;
  sections: { title: string; rows: Record<string, unknown>[] }[];
}

/** No look-alikes (0/O, 1/l/I): the DPO reads it out or types it into another channel. */
const PASSWORD_ALPHABET = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const MAX_VALUE = 20_000;

/** A password for one access copy: shown once to the DPO, sent to the person by another channel. */
export function generatePdfPassword(length = 20): string {
  return Array.from({ length }, () => PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)]).join('');
}

/**
 * What the standard PDF font (WinAnsi) can show: Latin-1 and the few CP1252 extras (æøå and the
 * rest of Norwegian among them). Control characters go; anything else becomes '?', so no
 * value a person sent can make the rendering throw. Very long values are cut, saying so.
 */
export function printable(value: unknown): string {
  const text = value === null || value === undefined ? '' : typeof value === 'string' ? value : value instanceof Date ? value.toISOString() : JSON.stringify(value);
  const cut = text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE)} [… ${text.length - MAX_VALUE} more characters, in the JSON copy]` : text;
  return cut
    .replace(/\r\n?/g, '\n')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '')
    .replace(/[^\n\t\u0020-\u00ff\u20ac\u201a-\u201e\u2018\u2019\u201c\u201d\u2020-\u2022\u2026\u2030\u2039\u203a\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014\u2122]/gu, '?');
}

/**
 * The access copy (policy 9.1) as a PDF encrypted with AES-256 (PDF 1.7 extension level 3):
 * it opens only with the password; it may be printed, not changed.
 */
export function renderAccessPdf(copy: AccessCopy, password: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({
      size: 'A4',
      margin: 50,
      pdfVersion: '1.7ext3',
      userPassword: password,
      ownerPassword: randomBytes(32).toString('base64url'),
      permissions: { printing: 'highResolution', modifying: false, copying: true, annotating: false, fillingForms: false, contentAccessibility: true, documentAssembly: false },
      info: { Title: printable(copy.title), Producer: 'lead-intake CRM' },
    });
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    try {
      doc.font('Helvetica-Bold').fontSize(16).text(printable(copy.title));
      doc.font('Helvetica').fontSize(9).fillColor('#555').text(`Generated ${printable(copy.generatedAt)}`).fillColor('black').moveDown();
      for (const section of copy.sections) {
        doc.font('Helvetica-Bold').fontSize(12).text(printable(section.title)).moveDown(0.3);
        if (!section.rows.length) doc.font('Helvetica-Oblique').fontSize(9).text('(none)');
        section.rows.forEach((row, i) => {
          if (section.rows.length > 1) doc.font('Helvetica-Bold').fontSize(9).text(`${i + 1}.`);
          for (const [key, value] of Object.entries(row)) {
            doc.font('Helvetica-Bold').fontSize(9).text(`${printable(key)}: `, { continued: true }).font('Helvetica').text(printable(value) || '-');
          }
          doc.moveDown(0.3);
        });
        doc.moveDown();
      }
      doc.end();
    } catch (err) {
      reject(err);
    }
  });
}
