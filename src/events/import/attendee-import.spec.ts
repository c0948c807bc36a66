import iconv from 'iconv-lite';
import { Readable } from 'node:stream';
import type { KnownPerson } from '../event-imports.repository';
import { CsvRecordCounter, detectDelimiter, detectEncoding, readRecords, sniff, UnreadableFileError, UploadInspector, UploadRecordCounter } from './attendee-file';
import { attendeeLines, countLines, readLayout } from './attendee-lines';
import { readRow, type Attendee, orderDate } from './attendee-row';
import { answerDelimiter, neutralise, toCsv } from './csv-out';
import { headerKey, planColumns } from './header-map';
import { FileIdentities, planBatch } from './registration-plan';

const records = async (text: string | Buffer, encoding = 'utf-8', delimiter = ',') => {
  const out: { line: number; cells: string[] }[] = [];
  for await (const r of readRecords(Readable.from([Buffer.isBuffer(text) ? text : Buffer.from(text)]), { format: 'csv', encoding, delimiter })) out.push(r);
  return out;
};
const ctx = { phoneRegion: 'NO', minimumAge: 16, today: new Date('2025-06-01T00:00:00Z') };
const attendee = (email: string | null, phone: string | null, line = 2): Attendee => ({
  line, person: { email, phone }, email, phone, ticketType: null, orderRef: null, attendeeRef: null, attendeeStatus: null, warning: null, warnings: [], registeredAt: null, consents: [], payloadJson: '{}',
});
const known = (id: string, email: string | null, phone: string | null, extra: Partial<KnownPerson> = {}): KnownPerson => ({
  id,
  fields: { firstName: null, lastName: null, position: null, email, phone, skypeId: null, linkedinUrl: null, location: null, companyName: null },
  restricted: false, registered: false, registeredBy: null, phoneTop: true, ...extra,
});

describe('reading attendee files', () => {
  it('detects the encoding from a BOM, from UTF-16 zero bytes, and falls back to Windows-1252', () => {
    expect(detectEncoding(Buffer.from([0xef, 0xbb, 0xbf, 0x41]), true)).toBe('utf-8');
    expect(detectEncoding(Buffer.from([0xff, 0xfe, 0x41, 0x00]), false)).toBe('utf-16le');
    expect(detectEncoding(Buffer.from([0xfe, 0xff, 0x00, 0x41]), false)).toBe('utf-16be');
    expect(detectEncoding(iconv.encode('Email\tName\r\n', 'utf-16le'), false)).toBe('utf-16le');
    expect(detectEncoding(iconv.encode('Email\tName\r\n', 'utf-16be'), false)).toBe('utf-16be');
    expect(detectEncoding(Buffer.from('Navn,E-post\r\nÅse,a@b.no'), true)).toBe('utf-8');
    expect(detectEncoding(iconv.encode('Navn,E-post\r\nÅse,a@b.no', 'windows-1252'), false)).toBe('windows-1252');
  });

  it('tells Mac Excel’s MacRoman and MS-DOS Excel’s CP850 from Windows-1252 by the Norwegian letters each reading gives', async () => {
    const list = 'Fornavn;Etternavn;E-post\rBjørnar;Ødegård;bjornar@mac.example\rÅse;Kværne;ase@mac.example\rBJØRNULF;ÆRØ;b@mac.example\r';
    for (const encoding of ['macintosh', 'cp850', 'windows-1252']) {
      const bytes = iconv.encode(list, encoding);
      expect([encoding, detectEncoding(bytes, false)]).toEqual([encoding, encoding]);
      expect((await records(bytes, encoding, ';'))[1].cells).toEqual(['Bjørnar', 'Ødegård', 'bjornar@mac.example']);
    }
    // What the audit saw: MacRoman and CP850 read as Windows-1252.
    expect(iconv.decode(iconv.encode('Bjørnar', 'macintosh'), 'windows-1252')).toBe('Bj¿rnar');
    expect(iconv.decode(iconv.encode('Bjørnulf', 'cp850'), 'windows-1252')).toBe('Bj›rnulf');
    // Windows-1252 curly quotes are CP850's Æ and æ: words cased like no word do not count, and a tie stays Windows-1252.
    expect(detectEncoding(iconv.encode('Name,Email\r\nSeán O’Brien,s@x.example\r\nDon’t ‘quote’ me,d@x.example\r\n', 'windows-1252'), false)).toBe('windows-1252');
    expect(detectEncoding(iconv.encode('Navn,E-post\r\nKari’s Gøril,k@x.example\r\n', 'windows-1252'), false)).toBe('windows-1252');
    // Without Norwegian letters, nothing tells them apart: Windows-1252, as before.
    expect(detectEncoding(iconv.encode('Name,Email\r\nJosé,j@x.example\r\n', 'windows-1252'), false)).toBe('windows-1252');
  });

  it('checks the whole upload for UTF-8, not only its start', () => {
    const inspector = new UploadInspector();
    inspector.update(Buffer.from(`Navn\r\n${'Ola\r\n'.repeat(20_000)}`));
    inspector.update(iconv.encode('Gøril\r\n', 'windows-1252'));
    expect(inspector.finish('').shape).toEqual({ format: 'csv', encoding: 'windows-1252', delimiter: ',' });
  });

  it('takes the delimiter that splits the header and the first data lines alike, outside quotes', () => {
    const question = 'Hvilke sesjoner, dager, tider og rom passer best, og hvorfor?';
    expect(detectDelimiter(`Navn;E-post;${question}\r\nKari;kari@x.example;Tirsdag, rom 2\r\nOla;ola@x.example;Alle\r\n`)).toBe(';');
    expect(detectDelimiter('Name,Email,Comment\r\nA,a@x.example,fine; thanks\r\nB,b@x.example,"ok; good; great"\r\nC,c@x.example,\r\n')).toBe(',');
    // A report's preamble of one-cell lines counts for no delimiter.
    expect(detectDelimiter('Registration Report\r\n\r\nHost Details\r\nFirst Name,Last Name,Email\r\nAda,Lovaas,ada@x.example\r\n')).toBe(',');
    // The last record of a file's start may be cut off: it does not vote.
    expect(detectDelimiter('Navn;E-post\r\nKari;kari@x.example\r\nA,b,c,d,e,f', true)).toBe(';');
    // Lines of delimiters only are blank: they do not vote.
    expect(detectDelimiter('Navn;E-post\r\n,,,,\r\n,,,,\r\nKari;kari@x.example')).toBe(';');
    expect(detectDelimiter('Fornavn;Etternavn;E-post\r\nx,y,z')).toBe(';');
    expect(detectDelimiter('"a;b";"c;d",e,f\n')).toBe(',');
    expect(detectDelimiter('First Name\tLast Name\tEmail')).toBe('\t');
    expect(detectDelimiter('Email')).toBe(',');
  });

  it('sniffs XLSX and refuses the old .xls format and binary files', () => {
    expect(sniff(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0]), true).format).toBe('xlsx');
    expect(() => sniff(Buffer.from([0xd0, 0xcf, 0x11, 0xe0]), false)).toThrow(UnreadableFileError);
    expect(() => sniff(Buffer.alloc(0), true)).toThrow('empty');
    expect(() => sniff(Buffer.from([0x41, 0x00, 0x00, 0x00, 0x42, 0x43]), false)).toThrow(UnreadableFileError);
  });

  it('gives each record the line it starts on, with CRLF, LF, blank lines and quoted line breaks', async () => {
    for (const nl of ['\r\n', '\n']) {
      const text = ['a,b', '', '1,"x', 'y"', '2,z', '', '', '3,w'].join(nl);
      expect((await records(text)).filter((r) => r.cells.some(Boolean)).map((r) => [r.line, r.cells[0]])).toEqual([[1, 'a'], [3, '1'], [5, '2'], [8, '3']]);
    }
  });

  it('decodes UTF-16 and Windows-1252 and drops the BOM', async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode('Navn\tBy\r\nÅse\tTromsø\r\n', 'utf-16le')]);
    expect((await records(utf16, 'utf-16le', '\t')).map((r) => r.cells)).toEqual([['Navn', 'By'], ['Åse', 'Tromsø']]);
    expect((await records(iconv.encode('Navn\r\nGøril Håland\r\n', 'windows-1252'), 'windows-1252')).map((r) => r.cells)).toEqual([['Navn'], ['Gøril Håland']]);
    expect((await records('\uFEFFEmail\r\na@b.no\r\n')).map((r) => r.cells)).toEqual([['Email'], ['a@b.no']]);
    expect((await records('Email\n\na@b.no')).map((r) => [r.line, r.cells])).toEqual([[1, ['Email']], [2, ['']], [3, ['a@b.no']]]);
  });

  it('counts an upload as it streams in, before its encoding is settled, as the stored file is counted', async () => {
    const texts: [string, string][] = [
      [`\uFEFFNavn;E-post\r\n${'Åse;a@b.no\r\n'.repeat(3000)}"x\r\ny";z\r\n\r\n;;\r\nGøril;g@b.no`, 'utf-8'],
      [`Navn,E-post\r\n${'Per,p@b.no\r\n'.repeat(6000)}Gøril Håland,g@b.no\r\n`, 'windows-1252'],
      [`Navn\tE-post\r\n${'Åse\ta@b.no\r\n'.repeat(4000)}`, 'utf-16le'],
      ['Navn,E-post\r\n"Åse,a@b.no\r\n', 'utf-8'],
    ];
    for (const [text, encoding] of texts) {
      const bytes = encoding === 'utf-16le' ? Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(text, 'utf-16le')]) : iconv.encode(text, encoding);
      const inspector = new UploadInspector();
      const streaming = new UploadRecordCounter();
      for (let at = 0; at < bytes.length; at += 7001) {
        inspector.update(bytes.subarray(at, at + 7001));
        streaming.update(bytes.subarray(at, at + 7001));
      }
      const { shape } = inspector.finish('');
      expect(shape.encoding).toBe(encoding);
      const stored = await countLines(Readable.from([bytes]), shape, { line: 1, leading: 0 }).catch((e: Error) => e.message);
      expect([text.slice(0, 20), (() => { try { return streaming.finish(shape); } catch (e) { return (e as Error).message; } })()]).toEqual([text.slice(0, 20), stored]);
    }
  });

  it('reads a stray CR as the line break it is (also after a closing quote), numbering lines as the counter does', async () => {
    expect((await records('Email,Name\r\na@x.no,"A"\rb@x.no,"B"\r\nc@x.no,C\r\n')).map((r) => [r.line, ...r.cells])).toEqual([
      [1, 'Email', 'Name'], [2, 'a@x.no', 'A'], [3, 'b@x.no', 'B'], [4, 'c@x.no', 'C'],
    ]);
  });

  it('replaces what PostgreSQL cannot store (NUL, a lone surrogate), keeping pairs split between pieces', async () => {
    const pieces = ['Email,Name\r\na@x.no,A\u0000B\r\nb@x.no,\ud83d', '\ude00\r\nc@x.no,\udc00x\r\n'];
    const out: string[][] = [];
    const source = Readable.from(pieces.map((p) => iconv.encode(p, 'utf-16le')));
    for await (const r of readRecords(source, { format: 'csv', encoding: 'utf-16le', delimiter: ',' })) out.push(r.cells);
    expect(out).toEqual([['Email', 'Name'], ['a@x.no', 'A\ufffdB'], ['b@x.no', '\ud83d\ude00'], ['c@x.no', '\ufffdx']]);
  });

  it('turns a malformed CSV into an error staff can act on', async () => {
    await expect(records('a,b\r\n1,"open\r\n')).rejects.toThrow(/quoted field is never closed/);
    await expect(records('a,b\r\n1,x"y\r\n')).rejects.toThrow(/near line 2: a quote appears inside a field/);
  });

  it('the count before a 202 and the reader (csv-parse) agree on every input tried: records, or that the file is unreadable', async () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const alphabet = ['a', 'b', ',', ';', '"', '"', '\r', '\n', '\r\n', ' ', 'ø'];
    const texts = ['', 'a', 'a,', ',', '""', '"a"""', '"a""', 'a\r\n', 'a\r\n\r\n', '\r\nb', 'a,b\r\n1,"x"\r2,y\r\n', 'a,b\r\n1,"x"\n2,y\r\n', 'a\n"b"c'];
    for (let n = 0; n < 3000; n++) texts.push(Array.from({ length: Math.floor(random() * 24) }, () => alphabet[Math.floor(random() * alphabet.length)]).join(''));
    for (const text of texts) {
      const read = await records(text, 'utf-8', ',').then((r) => r.filter((x) => x.cells.some((c) => c.trim())).length, () => 'unreadable');
      const counter = new CsvRecordCounter(',');
      let counted: number | string;
      try {
        for (let i = 0; i < text.length; i += 2) counter.feed(text.slice(i, i + 2));
        counted = counter.finish();
      } catch {
        counted = 'unreadable';
      }
      expect([text, counted]).toEqual([text, read]);
    }
  });

  it('counts records and checks quoting as the reader does, without building them (pieces may split anything)', async () => {
    const samples = [
      'a,b\r\n1,"x\r\ny"\r\n\r\n2,z\r\n,,\r\n  \r\n3,"q"', 'a;b\n1;"x;""q"""\n', 'a\n"never', 'a\nb"c', 'a\n"b"c', 'a,b\r\n"x",y', 'a\rb\rc',
      // Stray line endings: a CR alone (after a closing quote, too) or an LF in a CRLF file, a CRLF in an LF file.
      'a,b\r\n1,"x"\r2,y\r\n', 'a,b\r\n1,x\rB\r\n2,y\r\n', 'a,b\r\n1,"x"\r\r\n2,y\r\n', 'a,b\n1,"x"\r\n2,y\n', 'a,b\r\n1,"x"\n2,y\r\n', 'a,b\r\n1,"x" \r\n',
      // A record longer than csv-parse takes.
      `a\r\n"${'x'.repeat(1024 * 1024 + 10)}"\r\nb`,
    ];
    for (const text of samples) {
      const delimiter = text.includes(';') ? ';' : ',';
      const strip = (m: string) => m.replace(/ near line \d+/, '');
      const parsed = await records(text, 'utf-8', delimiter).then((r) => r.filter((x) => x.cells.some((c) => c.trim())).length, (e: Error) => strip(e.message));
      const counted = (piece: number) => {
        const counter = new CsvRecordCounter(delimiter);
        try {
          for (let i = 0; i < text.length; i += piece) counter.feed(text.slice(i, i + piece));
          return counter.finish();
        } catch (e) {
          return strip((e as Error).message);
        }
      };
      expect([text, counted(1), counted(3), counted(1000)]).toEqual([text, parsed, parsed, parsed]);
    }
  });
});

describe('finding the header row', () => {
  const shape = { format: 'csv' as const, encoding: 'utf-8', delimiter: ',' };
  const zoom = [
    'Registration Report', 'Report Generated:,"Sep 12, 2025 10:15 AM"', 'Topic,Webinar ID,Scheduled Time,# Registered', 'Datasikkerhet i praksis,812 3456 7890,"Sep 10, 2025 09:00 AM",3',
    '', 'Host Details', 'Host Name,Host Email', 'Vera Vert,vera@host.example', '', 'Registrant Details', 'First Name,Last Name,Email,Registration Time',
    'Ada,Lovaas,ada@zoom.example,"Sep 01, 2025"', 'Bo,Berg,not-an-address,"Sep 02, 2025"', '', 'Cy,Dahl,cy@zoom.example,"Sep 03, 2025"',
  ].join('\r\n');
  const file = () => Readable.from([Buffer.from(zoom)]);

  it('skips a report’s preamble: the header is the first leading line naming an e-mail or phone column, and data lines keep the file’s line numbers', async () => {
    const layout = await readLayout(file(), shape, null);
    expect(layout).toMatchObject({ header: ['First Name', 'Last Name', 'Email', 'Registration Time'], line: 11, leading: 8, found: true });
    const { columns } = planColumns(layout.header, { Email: 'email' });
    const read: [number, string][] = [];
    for await (const lines of attendeeLines(file(), shape, layout.line, columns, ctx)) for (const { line, result } of lines) if (result.kind !== 'blank') read.push([line, result.kind]);
    expect(read).toEqual([[12, 'attendee'], [13, 'rejected'], [15, 'attendee']]);
    // The progress total counts the data lines only, counted from storage and as the upload streamed in alike.
    expect(await countLines(file(), shape, layout)).toBe(3);
    const streaming = new UploadRecordCounter();
    streaming.update(Buffer.from(zoom));
    expect(streaming.finish(shape, layout.leading)).toBe(3);
  });

  it('skips a Zoom attendee report’s host and panelist tables (their own header naming Email): the header is the attendees’, and no host line is read', async () => {
    const report = [
      'Attendee Report', 'Report Generated:,"Sep 12, 2025 10:15 AM"', 'Topic,Webinar ID,Actual Start Time,Unique Viewers', 'Datasikkerhet i praksis,812 3456 7890,"Sep 10, 2025 09:00 AM",2', '',
      'Host Details', 'Attended,User Name (Original Name),Email,Join Time,Leave Time,Time in Session (minutes),Country/Region Name', 'Yes,Vera Vert,vera@host.example,"Sep 10, 2025 08:55 AM","Sep 10, 2025 10:02 AM",67,Norway', '',
      'Panelist Details', 'Attended,User Name (Original Name),Email,Join Time,Leave Time,Time in Session (minutes),Country/Region Name', 'Yes,Per Panel,per@panel.example,"Sep 10, 2025 08:58 AM","Sep 10, 2025 10:00 AM",62,Norway', '',
      'Attendee Details', 'Attended,First Name,Last Name,Email,Registration Time,Approval Status,Join Time,Leave Time,Time in Session (minutes)',
      'Yes,Ada,Lovaas,ada@zoom.example,"Sep 01, 2025 08:12 AM",approved,"Sep 10, 2025 09:01 AM","Sep 10, 2025 10:00 AM",59',
      'No,Bo,Berg,bo@zoom.example,"Sep 02, 2025 09:00 AM",approved,,,',
    ].join('\r\n');
    const open = () => Readable.from([Buffer.from(report)]);
    const layout = await readLayout(open(), shape, null);
    expect(layout).toMatchObject({ header: ['Attended', 'First Name', 'Last Name', 'Email', 'Registration Time', 'Approval Status', 'Join Time', 'Leave Time', 'Time in Session (minutes)'], line: 15, leading: 11, found: true });
    const { columns } = planColumns(layout.header, null, layout.sample);
    const emails: (string | null)[] = [];
    for await (const lines of attendeeLines(open(), shape, layout.line, columns, ctx)) for (const { result } of lines) if (result.kind === 'attendee') emails.push(result.attendee.email);
    expect(emails).toEqual(['ada@zoom.example', 'bo@zoom.example']);
    expect(await countLines(open(), shape, layout)).toBe(2);
    // Without its title the host table is an ordinary table: its header is the first naming Email (as before).
    const untitled = report.replace('Host Details\r\n', '').replace('Panelist Details\r\n', '');
    expect(await readLayout(Readable.from([Buffer.from(untitled)]), shape, null)).toMatchObject({ line: 6 });
  });

  it('takes the column the mapping names as the e-mail or phone column as the header’s sign', async () => {
    const text = 'Visitor badges\r\nPrinted 2025-09-01\r\nNavn på kort;Kontakt\r\nKnut;knut@kort.example\r\n';
    const semi = { ...shape, delimiter: ';' };
    expect(await readLayout(Readable.from([Buffer.from(text)]), semi, { Kontakt: 'email' })).toMatchObject({ line: 3, leading: 2, found: true });
    // Named by the mapping only as a column to keep: not a sign of the header.
    expect(await readLayout(Readable.from([Buffer.from(text)]), semi, { Kontakt: 'keep' })).toMatchObject({ header: ['Visitor badges'], line: 1, leading: 0, found: false });
  });

  it('looks no further than the first lines: past them, the first line with anything in it is read as the header', async () => {
    const text = `\r\n${'Notes,More notes\r\n'.repeat(60)}First Name,Email\r\nAda,ada@x.example\r\n`;
    expect(await readLayout(Readable.from([Buffer.from(text)]), shape, null)).toMatchObject({ header: ['Notes', 'More notes'], line: 2, leading: 0, found: false });
    await expect(readLayout(Readable.from([Buffer.from('\r\n,,\r\n')]), shape, null)).rejects.toThrow(UnreadableFileError);
  });
});

describe('the header map', () => {
  it('knows Eventbrite’s and Norwegian headers, ranks competing phone columns, keeps the rest as extra data', () => {
    const { columns, errors } = planColumns(['Order #', 'First Name', 'Surname', 'E-post', 'Work Phone', 'Cell Phone', 'Firma', 'Stilling', 'Dietary needs', 'Dietary needs', ''], null);
    expect(errors).toEqual([]);
    expect(columns.map((c) => [c.header, c.target])).toEqual([
      ['Order #', 'orderRef'], ['First Name', 'firstName'], ['Surname', 'lastName'], ['E-post', 'email'], ['Work Phone', 'phone'], ['Cell Phone', 'phone'],
      ['Firma', 'companyName'], ['Stilling', 'position'], ['Dietary needs', null], ['Dietary needs (2)', null], ['Column 11', null],
    ]);
    expect(headerKey(' E-Post ')).toBe(headerKey('epost'));
  });

  it('gives a field with several candidate columns to the one whose values fit it (a Microsoft Forms export), and samples a bounded number of lines', async () => {
    const header = ['ID', 'Start time', 'Completion time', 'Email', 'Name', 'E-postadresse', 'Fullt navn', 'Email address'];
    const lines = Array.from({ length: 250 }, (_, n) => `${n + 1},9/1/2025 10:00,9/1/2025 10:02,anonymous,,deltaker${n}@forms.example,Deltaker ${n},`);
    const text = [header.join(','), ...lines].join('\r\n');
    const layout = await readLayout(Readable.from([Buffer.from(text)]), { format: 'csv', encoding: 'utf-8', delimiter: ',' }, null);
    expect(layout.sample).toMatchObject({ rows: 200, filled: [200, 200, 200, 200, 0, 200, 200, 0], addresses: [0, 0, 0, 0, 0, 200, 0, 0] });
    const { columns, errors } = planColumns(layout.header, null, layout.sample);
    expect(errors).toEqual([]);
    expect(columns.map((c) => c.target)).toEqual([null, null, null, null, null, 'email', 'fullName', null]);
    expect(readRow({ line: 2, cells: lines[0].split(',') }, columns, ctx)).toMatchObject({ kind: 'attendee', attendee: { email: 'deltaker0@forms.example', person: { firstName: 'Deltaker', lastName: '0' } } });
    // Without a sample (or on a tie) the first candidate keeps the field, as before.
    expect(planColumns(header, null).columns.map((c) => c.target)).toEqual([null, null, null, 'email', 'fullName', null, null, null]);
    // The uploader's mapping is not second-guessed by the sample.
    expect(planColumns(header, { Email: 'email' }, layout.sample).columns.map((c) => c.target)).toEqual([null, null, null, 'email', null, null, 'fullName', null]);
  });

  it('takes the names the dry run shows for repeated and blank headers in a mapping', () => {
    const { columns, errors } = planColumns(['Email', 'Name', 'Email', ''], { 'Email (2)': 'email', 'Column 4': 'keep' });
    expect(errors).toEqual([]);
    expect(columns.map((c) => [c.header, c.target])).toEqual([['Email', null], ['Name', 'fullName'], ['Email (2)', 'email'], ['Column 4', 'keep']]);
    expect(planColumns(['Email', 'Email'], { 'Email (3)': 'email' }).errors).toEqual([{ field: 'mapping.Email (3)', message: 'no column of the file has this header' }]);
  });

  it('lets the user map unknown headers and says what is wrong with a mapping', () => {
    expect(planColumns(['Navn på kort', 'Kontakt'], { 'navn på kort': 'name', Kontakt: 'email' }).columns.map((c) => c.target)).toEqual(['fullName', 'email']);
    expect(planColumns(['A', 'B'], { A: 'email', B: 'email', C: 'phone', D: 'shoe' }).errors.map((e) => e.field).sort()).toEqual(['mapping', 'mapping.C', 'mapping.D']);
    expect(planColumns(['Navn', 'Firma'], null).errors).toEqual([{ field: 'mapping', message: expect.stringContaining('e-mail or phone') }]);
  });
});

describe('reading a line', () => {
  const { columns } = planColumns(['First Name', 'Last Name', 'Email', 'Cell Phone', 'Work Phone', 'Attendee Status', 'Age', 'Home City', 'Home Country'], null);
  const row = (...cells: string[]) => readRow({ line: 7, cells }, columns, ctx);

  it('normalises like every channel: e-mail lower-cased, the best valid phone in E.164, the location from city and country', () => {
    expect(row('Kari', 'Nordmann', ' Kari@Fjord.NO ', '912 34 567', '22 00 00 00', 'Attending', '40', 'Oslo', 'Norway')).toEqual({
      kind: 'attendee',
      attendee: expect.objectContaining({ line: 7, email: 'kari@fjord.no', phone: '+4791234567', person: expect.objectContaining({ firstName: 'Kari', location: 'Oslo, Norway' }) }),
    });
  });

  it('rejects what cannot be a person, and keeps nothing of someone under 16', () => {
    expect(row('A', 'B', '', '', '', '', '', '', '')).toMatchObject({ kind: 'rejected', rejection: { line: 7, reason: 'no_contact' } });
    expect(row('A', 'B', 'nope', '', '', '', '', '', '')).toMatchObject({ kind: 'rejected', rejection: { reason: 'invalid_email', message: 'The e-mail address under "Email" is not valid.' } });
    expect(row('A', 'B', '', '12', '', '', '', '', '')).toMatchObject({ kind: 'rejected', rejection: { reason: 'invalid_phone' } });
    expect(row('A', 'B', 'a@b.no', '', '', '', 'forty', '', '')).toMatchObject({ kind: 'rejected', rejection: { reason: 'invalid_age' } });
    expect(row('A', 'B', 'a@b.no', '', '', '', '15', '', '')).toEqual({ kind: 'rejected', rejection: { line: 7, reason: 'under_16', message: expect.any(String), values: null } });
    expect(row('', '', '', '', '', '', '', '', '')).toEqual({ kind: 'blank' });
  });

  it('reads a phone without a country code as of the line’s country column (ISO code, English or Norwegian name), else as of the default region', () => {
    const phoneOf = (phone: string, country: string) => {
      const r = row('A', 'B', 'a@b.no', phone, '', '', '', '', country);
      return r.kind === 'attendee' ? r.attendee.phone : r;
    };
    for (const country of ['US', 'us', 'United States', 'USA', 'U.S.A.', 'United States of America']) expect([country, phoneOf('(415) 555-0132', country)]).toEqual([country, '+14155550132']);
    for (const country of ['SE', 'Sweden', 'Sverige']) expect([country, phoneOf('070-123 45 67', country)]).toEqual([country, '+46701234567']);
    // The default region still reads a number the line's country does not (a Norwegian mobile of someone living abroad), and a blank or unknown country.
    expect(phoneOf('912 34 567', 'United States')).toBe('+4791234567');
    expect(phoneOf('912 34 567', '')).toBe('+4791234567');
    expect(phoneOf('912 34 567', 'Scandinavia')).toBe('+4791234567');
    // Without the country, the US number is no Norwegian one: dropped, and the warning names the regions tried.
    expect(row('A', 'B', 'a@b.no', '(415) 555-0132', '', '', '', '', 'Norway')).toMatchObject({ kind: 'attendee', attendee: { phone: null, warning: { reason: 'phone_dropped' } } });
    expect(row('A', 'B', 'a@b.no', '555', '', '', '', '', 'Sverige')).toMatchObject({ attendee: { warning: { message: expect.stringContaining('read as SE, then as NO') } } });
  });

  it('reads an age written with a zero fraction ("33,0" from Norwegian Excel, "33.0") as the whole number; any other fraction is no age', () => {
    for (const age of ['33,0', '33.0', '33,00', '33']) expect([age, row('A', 'B', 'a@b.no', '', '', '', age, '', '')]).toEqual([age, { kind: 'attendee', attendee: expect.anything() }]);
    expect(row('A', 'B', 'a@b.no', '', '', '', '15,0', '', '')).toMatchObject({ kind: 'rejected', rejection: { reason: 'under_16', values: null } });
    for (const age of ['33,5', '33.25', ',0', '33,', '3,300']) expect([age, row('A', 'B', 'a@b.no', '', '', '', age, '', '')]).toEqual([age, { kind: 'rejected', rejection: expect.objectContaining({ reason: 'invalid_age' }) }]);
  });

  it('does not register cancelled, refunded, transferred or not-attending tickets', () => {
    for (const status of ['Refunded', 'Cancelled', 'canceled', 'Not Attending', 'Transferred', 'Avbestilt', 'Refundert']) {
      expect(row('A', 'B', 'a@b.no', '', '', status, '', '', '').kind).toBe('not_attending');
    }
    for (const status of ['Attending', 'Checked In', 'Påmeldt', 'Deltar']) expect(row('A', 'B', 'a@b.no', '', '', status, '', '', '').kind).toBe('attendee');
  });

  it('grants a consent on an answer that opens with a clear yes, grants nothing on a no, and warns of any other answer, one line per line', () => {
    const question = 'Vil du ha nyhetsbrev?';
    const { columns: consent, errors } = planColumns(['Email', 'Cell Phone', question], { [question]: 'consent:service_updates' });
    expect(errors).toEqual([]);
    const read = (answer: string, phone = '') => readRow({ line: 4, cells: ['ola@consent.example', phone, answer] }, consent, ctx);
    for (const answer of ['Yes', 'ja', 'Yes, I agree', 'Ja, jeg ønsker nyhetsbrev', '✓', '✔', 'x', 'X', '1', 'TRUE', 'Jeg samtykker']) {
      expect([answer, read(answer)]).toEqual([answer, { kind: 'attendee', attendee: expect.objectContaining({ consents: [{ purpose: 'service_updates', wording: question }], warning: null }) }]);
    }
    for (const answer of ['', 'No', 'Nei', 'Nei, takk', 'false', '0', 'n']) {
      expect([answer, read(answer)]).toEqual([answer, { kind: 'attendee', attendee: expect.objectContaining({ consents: [], warning: null }) }]);
    }
    // A Google Forms checkbox writes its label; "Yesterday", "Japan", "10" do not open with a yes word.
    for (const answer of ['Send me the newsletter', 'Kanskje', 'Yesterday', 'Japan', '10', '?']) {
      expect([answer, read(answer)]).toEqual([answer, {
        kind: 'attendee',
        attendee: expect.objectContaining({
          consents: [],
          warning: { line: 4, reason: 'consent_unclear', message: `The answer under "${question}" is neither yes nor no; no consent was recorded from it.`, values: expect.objectContaining({ [question]: answer }) },
          warnings: [{ field: 'consent:service_updates', message: expect.stringContaining('neither yes nor no') }],
        }),
      }]);
    }
    // With a dropped phone too: one warning line naming both.
    const both = read('Maybe later', '12');
    expect(both).toMatchObject({ kind: 'attendee', attendee: { warning: { reason: 'phone_dropped', message: expect.stringMatching(/imported without it.*neither yes nor no/) } } });
    expect(both.kind === 'attendee' && both.attendee.warnings.map((w) => w.field)).toEqual(['phone', 'consent:service_updates']);
  });

  it('reads a Meetup RSVP column as the attendee status: "No", "Nei", "Declined" or "Not going" is not attending', () => {
    const meetup = planColumns(['Name', 'User ID', 'Email', 'RSVP', 'Guests', 'RSVPed on'], null).columns;
    expect(meetup.find((c) => c.header === 'RSVP')?.target).toBe('attendeeStatus');
    const rsvp = (answer: string) => readRow({ line: 3, cells: ['Ida Meetup', '123', 'ida@meetup.example', answer, '0', '2025-09-01'] }, meetup, ctx).kind;
    for (const answer of ['No', 'no', 'Nei', 'Declined', 'Not going']) expect([answer, rsvp(answer)]).toEqual([answer, 'not_attending']);
    // "No" only as the whole answer: a status that merely contains it is not a no.
    for (const answer of ['Yes', 'Ja', 'Going', 'Noted', 'Nominated speaker']) expect([answer, rsvp(answer)]).toEqual([answer, 'attendee']);
  });
});

describe('who a line is', () => {
  it('follows the identity rules: e-mail first; with an e-mail, only someone known by phone alone matches the phone', () => {
    const plan = planBatch(
      [attendee('a@x.no', null), attendee('b@x.no', '+4791111111'), attendee('c@x.no', '+4792222222'), attendee(null, '+4793333333'), attendee('d@x.no', '+4793333333')],
      [known('A', 'a@x.no', null), known('P1', null, '+4791111111'), known('P2', 'other@x.no', '+4792222222')],
    );
    expect(plan.matched.map((m) => [m.attendee.email, m.known.id])).toEqual([['a@x.no', 'A'], ['b@x.no', 'P1']]);
    expect(plan.created.map((a) => a.email ?? a.phone)).toEqual(['c@x.no', '+4793333333']);
    // d@x.no has the phone of the phone-only person created from the line before it: the same person.
    expect(plan.duplicates).toBe(1);
  });

  it('does nothing for someone registered already, or named twice', () => {
    const plan = planBatch([attendee('a@x.no', null), attendee(null, '+4791111111')], [known('A', 'a@x.no', '+4791111111', { registered: true })]);
    expect(plan).toMatchObject({ created: [], matched: [], alreadyRegistered: 1, duplicates: 1 });
    const seen = new FileIdentities();
    expect([seen.seen(attendee('a@x.no', '+4790000000')), seen.seen(attendee('a@x.no', null)), seen.seen(attendee(null, '+4790000000')), seen.seen(attendee('b@x.no', '+4790000000'))]).toEqual([false, true, true, false]);
  });
});

describe('CSV for spreadsheets', () => {
  it('neutralises cells a spreadsheet would run as a formula', () => {
    expect(['=1+1', '+47', '-2', '@SUM(A1)', '\tx', '\rx', 'plain', 'a=b'].map(neutralise)).toEqual(["'=1+1", "'+47", "'-2", "'@SUM(A1)", "'\tx", "'\rx", 'plain', 'a=b']);
  });

  it('writes the lines back with a semicolon for a semicolon upload, a comma otherwise, after a BOM', () => {
    const rows = [['Line', 'Navn', 'Notat'], [3, 'Åse', 'a; b, c']];
    expect(toCsv(rows, true, answerDelimiter(';'))).toBe('\uFEFFLine;Navn;Notat\r\n3;Åse;"a; b, c"\r\n');
    for (const uploaded of [',', '\t', null]) expect(toCsv(rows, true, answerDelimiter(uploaded))).toBe('\uFEFFLine,Navn,Notat\r\n3,Åse,"a; b, c"\r\n');
  });
});

describe('order dates', () => {
  const today = new Date('2025-09-01T00:00:00Z');
  it('reads the order date as exports write it, a zone-less time as UTC', () => {
    expect(orderDate('2025-08-01 10:00', today)?.toISOString()).toBe('2025-08-01T10:00:00.000Z');
    expect(orderDate('2025-08-01T10:00:00+02:00', today)?.toISOString()).toBe('2025-08-01T08:00:00.000Z');
    expect(orderDate('01.08.2025 kl. 10.30', today)?.toISOString()).toBe('2025-08-01T10:30:00.000Z');
    expect(orderDate('8/1/2025 10:05 PM', today)?.toISOString()).toBe('2025-08-01T22:05:00.000Z');
    expect(orderDate('2025-08-01', today)?.toISOString()).toBe('2025-08-01T00:00:00.000Z');
  });

  it('reads a Google Forms timestamp (its zone as GMT±h) and a Norwegian date with seconds', () => {
    expect(orderDate('2025/08/15 1:23:45 PM GMT+2', today)?.toISOString()).toBe('2025-08-15T11:23:45.000Z');
    expect(orderDate('2025/08/15 12:05:00 AM GMT-5', today)?.toISOString()).toBe('2025-08-15T05:05:00.000Z');
    expect(orderDate('2025/08/15 9:30:00 AM GMT+5:30', today)?.toISOString()).toBe('2025-08-15T04:00:00.000Z');
    expect(orderDate('2025/08/15 13:23:45 GMT', today)?.toISOString()).toBe('2025-08-15T13:23:45.000Z');
    expect(orderDate('2025/08/15', today)?.toISOString()).toBe('2025-08-15T00:00:00.000Z');
    expect(orderDate('15.08.2025 13:23:45', today)?.toISOString()).toBe('2025-08-15T13:23:45.000Z');
  });

  it('is no date when it is none, impossible, or after the import', () => {
    for (const raw of ['yesterday', '2025-02-30 10:00', '31.13.2025', '2026-01-01', '', null, '2025/08/15 13:23:45 PM GMT+2', '2025/02/30 1:00:00 PM GMT+1', '2025/08/15 1:00:00 PM GMT+20', '2025/08/15 1:00:61 PM']) {
      expect([raw, orderDate(raw, today)]).toEqual([raw, null]);
    }
  });

  it('warns on a line whose order date is not read (the registration is dated by the import), as on a dropped phone', () => {
    const { columns } = planColumns(['Timestamp', 'Email address', 'Full name'], { Timestamp: 'orderDate' });
    const read = (when: string) => readRow({ line: 5, cells: [when, 'eva@forms.example', 'Eva Skjema'] }, columns, { ...ctx, today });
    expect(read('2025/08/15 1:23:45 PM GMT+2')).toMatchObject({ kind: 'attendee', attendee: { registeredAt: new Date('2025-08-15T11:23:45Z'), warning: null, warnings: [] } });
    for (const when of ['15 Aug 2025 kl 13', '2026/01/01 1:00:00 PM GMT+1']) {
      expect([when, read(when)]).toEqual([when, {
        kind: 'attendee',
        attendee: expect.objectContaining({
          registeredAt: null,
          warning: { line: 5, reason: 'order_date_dropped', message: expect.stringContaining('under "Timestamp"'), values: expect.objectContaining({ Timestamp: when }) },
          warnings: [{ field: 'orderDate', message: expect.stringContaining('dated by the import') }],
        }),
      }]);
    }
    // No date given: nothing to warn of.
    expect(read('')).toMatchObject({ kind: 'attendee', attendee: { registeredAt: null, warning: null } });
  });
});
