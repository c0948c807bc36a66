import { generatePdfPassword, printable, renderAccessPdf, type AccessCopy } from './access-pdf';
import { pdfjs } from '../../test/helpers/pdfjs';


async function open(pdf: Buffer, password?: string) {
  return pdfjs.getDocument({ data: new Uint8Array(pdf), password, isEvalSupported: false, useSystemFonts: false, verbosity: 0 }).promise;
}

async function textOf(pdf: Buffer, password: string): Promise<{ pages: number; text: string }> {
  const doc = await open(pdf, password);
  let text = '';
  for (let i = 1; i <= doc.numPages; i++) {
    const content = await (await doc.getPage(i)).getTextContent();
    text += content.items.map((item) => ('str' in item ? item.str : '')).join(' ');
  }
  const pages = doc.numPages;
  await doc.destroy();
  return { pages, text };
}

const copy = (sections: AccessCopy['sections']): AccessCopy => ({ title: 'Access copy for a data subject', generatedAt: '2026-12-05T10:00:00.000Z', sections });

describe('[RIGHT-ACCESS] the access copy as a password-protected PDF', () => {
  it('opens with its password and holds the person’s data; without it, or with a wrong one, it does not open', async () => {
    const password = generatePdfPassword();
    const pdf = await renderAccessPdf(copy([{ title: 'Person', rows: [{ firstName: 'Åse', lastName: 'Ørnes-Blåbærsen', email: 'ase.ornes@fjell.example' }] }]), password);
    expect(pdf.subarray(0, 8).toString()).toBe('%PDF-1.7');
    const { text } = await textOf(pdf, password);
    expect(text).toContain('ase.ornes@fjell.example');
    expect(text).toContain('Ørnes-Blåbærsen');
    await expect(open(pdf)).rejects.toMatchObject({ name: 'PasswordException' });
    await expect(open(pdf, `${password}x`)).rejects.toMatchObject({ name: 'PasswordException' });
    expect(pdf.toString('latin1')).not.toContain('ase.ornes@fjell.example'); // encrypted, not just locked
    expect(pdf.toString('latin1')).toContain('/CFM /AESV3'); // AES-256
  });

  it('renders what a person may have sent without throwing: emoji, Cyrillic, CJK, NUL and control characters; long sections over pages', async () => {
    const password = generatePdfPassword();
    const rows = Array.from({ length: 150 }, (_, i) => ({ line: i, message: `Hei 👋 Привет 你好 \u0000\u0007 tab\there ${'lorem ipsum '.repeat(8)}` }));
    const pdf = await renderAccessPdf(copy([{ title: 'Captures', rows }, { title: 'Timeline', rows: [] }]), password);
    const { pages, text } = await textOf(pdf, password);
    expect(pages).toBeGreaterThan(3);
    expect(text).toContain('Hei ?');
    expect(text).toContain('(none)');
  });

  it('keeps Norwegian letters, drops control characters, cuts a huge value saying so', () => {
    expect(printable('Blåbær\u0000\u001b[31m, 😀')).toBe('Blåbær[31m, ?');
    expect(printable('x'.repeat(25_000))).toMatch(/\[… 5000 more characters, in the JSON copy\]$/);
    expect(printable({ a: 1 })).toBe('{"a":1}');
    expect(printable(null)).toBe('');
    expect(printable(new Date('2026-12-05T10:00:00Z'))).toBe('2026-12-05T10:00:00.000Z');
  });

  it('passwords are 20 characters from an alphabet without look-alikes, and differ each time', () => {
    const a = generatePdfPassword();
    expect(a).toMatch(/^[abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789]{20}$/);
    expect(generatePdfPassword()).not.toBe(a);
  });
});
