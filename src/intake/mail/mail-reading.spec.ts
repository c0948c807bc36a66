import { asSent, meetingInvite, nameAndCompany, newText, readMail, screeningText, senderName } from './mail-reading';

const mail = (headers: string[]) =>
  Buffer.from([`From: Kari Lunde <kari@havbruk-data.example>`, `To: post@firm.example`, `Subject: Forespørsel`, `Message-ID: <x@havbruk-data.example>`, ...headers, '', 'Hei, vi trenger en app.'].join('\r\n'));

describe('[SRC-MAIL] which mail is nobody’s request', () => {
  it('a person’s mail is read as a request', async () => {
    expect((await readMail(mail([]))).automatic).toBeNull();
  });

  it.each(['List-Id: <news.example.com>', 'List-Unsubscribe: <https://news.example.com/u/1>', 'List-Unsubscribe-Post: List-Unsubscribe=One-Click', 'List-Post: <mailto:dev@lists.example.com>'])(
    'a newsletter or list post carrying %s is skipped as list mail',
    async (header) => {
      expect((await readMail(mail([header]))).automatic).toBe('mailing_list');
    },
  );

  it('bulk precedence and auto-replies are skipped for what they are', async () => {
    expect((await readMail(mail(['Precedence: bulk']))).automatic).toBe('bulk');
    expect((await readMail(mail(['Auto-Submitted: auto-replied']))).automatic).toBe('auto_submitted');
  });

  const headed = (from: string, subject: string, headers: string[]) =>
    Buffer.from([`From: ${from}`, 'To: post@firm.example', `Subject: ${subject}`, 'Message-ID: <y@kunde.example>', ...headers, '', 'Jeg er borte til 10. mars.'].join('\r\n'));

  it('Precedence: auto_reply is an auto-reply, and MAILER_DAEMON (underscore) a bounce like MAILER-DAEMON', async () => {
    expect((await readMail(headed('Kari <kari@kunde.example>', 'Re: Tilbud', ['Precedence: auto_reply']))).automatic).toBe('auto_reply');
    expect((await readMail(headed('MAILER_DAEMON@mx.kunde.example', 'Undeliverable: Tilbud', []))).automatic).toBe('bounce');
    expect((await readMail(headed('Mail Delivery System <MAILER-DAEMON@mx.kunde.example>', 'Undelivered Mail', []))).automatic).toBe('bounce');
  });

  it.each(['Out of Office: Tilbud', 'Automatic reply: Tilbud', 'Autosvar: Tilbud', 'Automatisk svar: Tilbud', '=?UTF-8?Q?Frav=C3=A6rsmelding?=: Tilbud', 'Abwesenheitsnotiz: Angebot'])(
    'an Exchange reply headed %s with X-Auto-Response-Suppress is an auto-reply',
    async (subject) => {
      expect((await readMail(headed('Kari <kari@kunde.example>', subject, ['X-Auto-Response-Suppress: All']))).automatic).toBe('auto_reply');
    },
  );

  it('an absence subject without a header, or the header on an ordinary subject, is a person’s mail', async () => {
    expect((await readMail(headed('Kari <kari@kunde.example>', 'Out of office question', []))).automatic).toBeNull();
    expect((await readMail(headed('Kari <kari@kunde.example>', 'Automatisk svar på skjema?', []))).automatic).toBeNull();
    expect((await readMail(headed('Kari <kari@kunde.example>', 'Meeting about the app', ['X-Auto-Response-Suppress: All']))).automatic).toBeNull();
  });
});

const FIRM = ['firm.example'];
const eml = (lines: string[]) => Buffer.from(lines.join('\r\n'), 'utf8');
/** A prospect's mail, as a colleague's client attaches it when forwarding. */
const prospectMail = [
  'From: "Lunde, Kari" <Kari.Lunde@havbruk-data.example>', 'To: ola.nordmann@firm.example', 'Subject: App for our fish farms',
  'Date: Mon, 2 Mar 2026 09:00:00 +0100', 'Message-ID: <prospect-1@havbruk-data.example>', 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '',
  'Hei, vi trenger en app for røktere på merdene.',
];
const attachedForward = (from: string) =>
  eml([
    `From: ${from}`, 'To: post@firm.example', 'Subject: Fwd: App for our fish farms', 'Message-ID: <fwd-1@firm.example>', 'In-Reply-To: <colleague-thread@firm.example>',
    'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b"', '',
    '--b', 'Content-Type: text/plain; charset=utf-8', '', 'A good lead for the Bergen team.', '',
    '--b', 'Content-Type: message/rfc822', 'Content-Disposition: attachment; filename="App for our fish farms.eml"', '', ...prospectMail, '',
    '--b--', '',
  ]);
const inlineForward = (body: string[]) =>
  eml(['From: Ola Nordmann <ola.nordmann@firm.example>', 'To: post@firm.example', 'Subject: FW: App for our fish farms', 'Message-ID: <fwd-2@firm.example>', 'Content-Type: text/plain; charset=utf-8', '', ...body]);

describe('[SRC-MAIL] a forwarded mail is the request of whoever wrote it', () => {
  it('a colleague’s forward with the message attached is the prospect’s: their name and address, their text, the colleague’s note kept and named', async () => {
    const mail = asSent(await readMail(attachedForward('Ola Nordmann <ola.nordmann@firm.example>')), FIRM);
    expect(mail.from).toEqual({ address: 'kari.lunde@havbruk-data.example', name: 'Lunde, Kari' });
    expect(senderName(mail)).toEqual({ firstName: 'Kari', lastName: 'Lunde' });
    expect(mail.subject).toBe('App for our fish farms');
    expect(mail.text).toBe('Hei, vi trenger en app for røktere på merdene.\n\nForwarded by ola.nordmann@firm.example, who wrote:\nA good lead for the Bergen team.');
    expect(mail).toMatchObject({ forwardedBy: 'ola.nordmann@firm.example', relayedBy: null, thread: [] });
    expect(mail.forwarded).toMatchObject({ as: 'attached', date: '2026-03-02T08:00:00.000Z', messageId: '<prospect-1@havbruk-data.example>' });
    // The attached message stays a file of the mail too.
    expect(mail.files.map((f) => f.contentType)).toEqual(['message/rfc822']);
  });

  it.each([
    ['Gmail', ['Se under.', '', '---------- Forwarded message ---------', 'From: Kari Lunde <kari.lunde@havbruk-data.example>', 'Date: Mon, Mar 2, 2026 at 9:00 AM', 'Subject: App for our fish farms', 'To: <ola.nordmann@firm.example>', '', '', 'Hei, vi trenger en app.']],
    ['Outlook', ['Se under.', '', '-----Original Message-----', 'From: Kari Lunde [mailto:kari.lunde@havbruk-data.example]', 'Sent: Monday, March 2, 2026 9:00 AM', 'To: Ola Nordmann', 'Subject: App for our fish farms', '', 'Hei, vi trenger en app.']],
    ['Outlook without a marker line', ['Se under.', '', '________________________________', 'From: Kari Lunde <kari.lunde@havbruk-data.example>', 'Sent: 02 March 2026 09:00', 'To: Ola Nordmann <ola.nordmann@firm.example>', 'Subject: App for our fish farms', '', 'Hei, vi trenger en app.']],
    ['Norwegian Outlook', ['Se under.', '', 'Fra: Kari Lunde <kari.lunde@havbruk-data.example>', 'Sendt: mandag 2. mars 2026 09:00', 'Til: Ola Nordmann <ola.nordmann@firm.example>', 'Emne: App for our fish farms', '', 'Hei, vi trenger en app.']],
  ])('a colleague’s inline forward from %s is the prospect’s', async (_client, body) => {
    const mail = asSent(await readMail(inlineForward(body)), FIRM);
    expect(mail.from).toEqual({ address: 'kari.lunde@havbruk-data.example', name: 'Kari Lunde' });
    expect(mail.subject).toBe('App for our fish farms');
    expect(mail.text).toBe('Hei, vi trenger en app.\n\nForwarded by ola.nordmann@firm.example, who wrote:\nSe under.');
    expect(mail.forwardedBy).toBe('ola.nordmann@firm.example');
  });

  it('someone outside the firm who forwards a message stays the lead, and the attached message’s text is read and screened with theirs', async () => {
    const mail = asSent(await readMail(attachedForward('Per Hansen <per@konsulent.example>')), FIRM);
    expect(mail.from).toEqual({ address: 'per@konsulent.example', name: 'Per Hansen' });
    expect(mail).toMatchObject({ forwardedBy: null, thread: ['<colleague-thread@firm.example>'] });
    expect(mail.text).toBe('A good lead for the Bergen team.\n\nAttached message from Lunde, Kari <kari.lunde@havbruk-data.example>:\nSubject: App for our fish farms\n\nHei, vi trenger en app for røktere på merdene.');
    expect(screeningText(mail)).toContain('røktere på merdene');
  });

  it('a colleague forwarding a colleague’s message, or writing what is no forward, stays the sender', async () => {
    const internal = asSent(await readMail(inlineForward(['FYI', '', '-----Original Message-----', 'From: Siri <siri@firm.example>', 'Sent: Monday', '', 'Notes from the meeting.'])), FIRM);
    expect(internal.from.address).toBe('ola.nordmann@firm.example');
    // A letter quoting a form's fields, without a forward marker or a Sent line, is no forward.
    const letter = await readMail(inlineForward(['From: Kari Lunde <kari.lunde@havbruk-data.example>', 'Subject: App', '', 'Message Body:', 'Hei.']));
    expect(letter.forwarded).toBeNull();
  });
});

describe('[SRC-MAIL] a text part that names no charset', () => {
  // Built as bytes: 0xE6 0xF8 0xE5 are æ, ø and å in Latin-1 and windows-1252, and no UTF-8.
  const latin1 = (headers: string[], body: string) => Buffer.concat([Buffer.from([...headers, '', ''].join('\r\n'), 'ascii'), Buffer.from(body, 'latin1')]);

  it('is read as windows-1252 when its bytes are not UTF-8, so the request and screening get æ, ø and å (and Outlook’s dashes and quotes)', async () => {
    // 0x96, 0x93 and 0x94 are –, “ and ” in windows-1252 (control codes in ISO-8859-1).
    const body = Buffer.concat([Buffer.from('Vi ønsker en app for blåbær ', 'latin1'), Buffer.from([0x96]), Buffer.from(' særlig ', 'latin1'), Buffer.from([0x93]), Buffer.from('raskt'), Buffer.from([0x94, 0x2e])]);
    const mail = await readMail(Buffer.concat([latin1(['From: Bjørn <bjorn@blaabaer.example>', 'Subject: App', 'MIME-Version: 1.0', 'Content-Type: text/plain', 'Content-Transfer-Encoding: 8bit'], ''), body]));
    expect(mail.text).toBe('Vi ønsker en app for blåbær – særlig “raskt”.');
    expect(screeningText(mail)).toContain('Vi ønsker en app for blåbær');
  });

  it('in a multipart mail, and in an attached forwarded message, only the part without a charset is read so', async () => {
    const raw = Buffer.concat([
      Buffer.from(['From: Ola <ola.nordmann@firm.example>', 'Subject: Fwd: App', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b"', '', '--b', 'Content-Type: text/plain; charset=utf-8', '', 'Se vedlagt – fra Bjørn.', '', '--b', 'Content-Type: message/rfc822', '', 'From: Bjørn Ærøy <bjorn@blaabaer.example>', 'Subject: App', 'Content-Type: text/plain', '', ''].join('\r\n'), 'utf8'),
      Buffer.from('Vi ønsker en app for blåbær.', 'latin1'),
      Buffer.from('\r\n--b--\r\n', 'ascii'),
    ]);
    const mail = asSent(await readMail(raw), FIRM);
    expect(mail.text).toBe('Vi ønsker en app for blåbær.\n\nForwarded by ola.nordmann@firm.example, who wrote:\nSe vedlagt – fra Bjørn.');
  });

  it('is read as UTF-8 when it is UTF-8', async () => {
    const mail = await readMail(Buffer.from(['From: Bjørn <bjorn@blaabaer.example>', 'Subject: App', 'Content-Type: text/plain', '', 'Vi ønsker en app – for blåbær.'].join('\r\n'), 'utf8'));
    expect(mail.text).toBe('Vi ønsker en app – for blåbær.');
  });
});

describe('[SRC-MAIL] a website’s form mail names the visitor in its text', () => {
  const formMail = (replyTo: string, body: string[]) =>
    Buffer.from(['From: WordPress <wordpress@firm.example>', `Reply-To: ${replyTo}`, 'To: post@firm.example', 'Subject: Kontaktskjema', 'Content-Type: text/plain; charset=utf-8', '', ...body].join('\r\n'), 'utf8');

  it.each([
    ['Contact Form 7’s From line', ['From: Kari Lunde <kari@kunde.example>', 'Subject: App', '', 'Message Body:', 'Vi trenger en app.']],
    ['a Fra line', ['Fra: Kari Lunde <kari@kunde.example>', '', 'Vi trenger en app.']],
    ['a Navn field', ['Navn: Kari Lunde', 'E-post: kari@kunde.example', '', 'Vi trenger en app.']],
    ['a Name field', ['Name: "Kari Lunde"', '', 'Vi trenger en app.']],
  ])('the name comes from %s when the Reply-To has none', async (_line, body) => {
    const mail = asSent(await readMail(formMail('kari@kunde.example', body)), FIRM);
    expect(mail.from).toEqual({ address: 'kari@kunde.example', name: 'Kari Lunde' });
    expect(senderName(mail)).toEqual({ firstName: 'Kari', lastName: 'Lunde' });
  });

  it('the Reply-To’s own name stands; a line naming another address, or no name, gives none', async () => {
    expect(asSent(await readMail(formMail('Kari Lunde <kari@kunde.example>', ['Name: Somebody Else'])), FIRM).from.name).toBe('Kari Lunde');
    expect(asSent(await readMail(formMail('kari@kunde.example', ['From: Ola Vik <ola@kunde.example>'])), FIRM).from.name).toBeNull();
    expect(asSent(await readMail(formMail('kari@kunde.example', ['From: kari@kunde.example'])), FIRM).from.name).toBeNull();
    // A person's own mail is not read for a name line.
    const own = await readMail(Buffer.from(['From: kari@kunde.example', 'Subject: Hei', '', 'Name: Kari Lunde'].join('\r\n')));
    expect(asSent(own, FIRM).from.name).toBeNull();
  });
});

describe('an HTML-only mail is made text within bounds', () => {
  const html = (body: string) =>
    Buffer.from([`From: Kari Lunde <kari@havbruk-data.example>`, `To: post@firm.example`, `Subject: Forespørsel`, `Message-ID: <h@havbruk-data.example>`, 'Content-Type: text/html; charset=utf-8', '', body].join('\r\n'));

  it('as before for real mail: a table and paragraphs become lines of text', async () => {
    const read = await readMail(html('<html><body><p>Hei, vi trenger en <b>app</b>.</p><table><tr><td>Antall</td><td>25</td></tr></table></body></html>'));
    expect(read.text).toContain('Hei, vi trenger en app.');
    expect(read.text).toMatch(/Antall\s+25/);
  });

  it.each([5_000, 100_000])('tags nested %i deep (which made the HTML parser fail, or take seconds) are dropped and the words kept', async (depth) => {
    const read = await readMail(html(`${'<b>'.repeat(depth)}Hei, vi trenger en app.`));
    expect(read.text).toBe('Hei, vi trenger en app.');
  });

  it('nesting deeper than real mail but within the parser’s reach is cut with an ellipsis', async () => {
    const read = await readMail(html(`<p>Hei.</p>${'<div>'.repeat(200)}dypt nede`));
    expect(read.text).toMatch(/^Hei\.\s+…$/);
  });
});

describe('[SRC-MAIL] a company in the display name is the company, not part of the last name', () => {
  const from = async (display: string) => senderName(await readMail(Buffer.from([`From: ${display} <someone@kunde.example>`, 'Subject: App', 'Content-Type: text/plain; charset=utf-8', '', 'Hei.'].join('\r\n'), 'utf8')));

  it.each([
    ['"Ståle Solbakken (Grønland AS)"', { firstName: 'Ståle', lastName: 'Solbakken', companyName: 'Grønland AS' }],
    ['Øystein Bråthen | Nordlys AS', { firstName: 'Øystein', lastName: 'Bråthen', companyName: 'Nordlys AS' }],
    ['Kari Lunde - Havbruk Data', { firstName: 'Kari', lastName: 'Lunde', companyName: 'Havbruk Data' }],
    ['"Kari Lunde, Havbruk Data AS"', { firstName: 'Kari', lastName: 'Lunde', companyName: 'Havbruk Data AS' }],
    ['"Jane Smith, Acme Ltd."', { firstName: 'Jane', lastName: 'Smith', companyName: 'Acme Ltd.' }],
    ['"Lunde, Kari (Havbruk Data AS)"', { firstName: 'Kari', lastName: 'Lunde', companyName: 'Havbruk Data AS' }],
  ])('%s', async (display, expected) => {
    expect(await from(display)).toEqual(expected);
  });

  it.each([
    ['"Lunde, Kari"', { firstName: 'Kari', lastName: 'Lunde' }],
    ['Anne-Marie Smith-Jones', { firstName: 'Anne-Marie', lastName: 'Smith-Jones' }],
    ['"Smith-Jones, Anne-Marie"', { firstName: 'Anne-Marie', lastName: 'Smith-Jones' }],
    ['Kari Lunde', { firstName: 'Kari', lastName: 'Lunde' }],
  ])('%s keeps its name whole, with no company', async (display, expected) => {
    expect(await from(display)).toEqual(expected);
  });

  it('a display name that is only a company in parentheses, or a separator with nothing after it, stays the name', () => {
    expect(nameAndCompany('(Nordlys AS)')).toEqual({ name: '(Nordlys AS)', company: null });
    expect(nameAndCompany('Kari Lunde - ')).toEqual({ name: 'Kari Lunde -', company: null });
  });

  it('reads a hostile display name and gives its answer (no duration asserted: a quadratic read times out)', () => {
    expect(nameAndCompany(`${'a, '.repeat(50_000)}x${' ('.repeat(50_000)})`).name.length).toBeGreaterThan(0);
    expect(nameAndCompany(`${' - '.repeat(50_000)}`)).toMatchObject({ company: null });
  });
});

describe('[SRC-MAIL] a reply’s request is what the person newly wrote, not the earlier mail it quotes', () => {
  const reply = (subject: string, body: string[], type = 'text/plain') =>
    Buffer.from(['From: Kari Lunde <kari@kunde.example>', 'To: ola@firm.example', `Subject: ${subject}`, 'Message-ID: <reply-1@kunde.example>', `Content-Type: ${type}; charset=utf-8`, '', ...body].join('\r\n'), 'utf8');
  const firmText = ['Hei Kari,', 'takk for praten. Vi sender et tilbud innen fredag.', '', 'Ola Nordmann', 'Firm AS | https://firm.example'];

  it('Gmail: the "On … wrote:" line (wrapped over two lines too) and the > quote below it are left out', async () => {
    const gmail = asSent(await readMail(reply('Re: Tilbud', ['Takk, fredag passer fint.', '', 'On Mon, Mar 2, 2026 at 9:00 AM Ola Nordmann <', 'ola@firm.example> wrote:', '', ...firmText.map((l) => `> ${l}`)])), FIRM);
    expect(gmail.request).toBe('Takk, fredag passer fint.');
    // The mail's text keeps it all, for the stored payload.
    expect(gmail.text).toContain('> takk for praten');
    const norwegian = asSent(await readMail(reply('SV: Tilbud', ['Takk!', '', 'man. 2. mar. 2026 kl. 09:00 skrev Ola Nordmann <ola@firm.example>:', ...firmText.map((l) => `> ${l}`)])), FIRM);
    expect(norwegian.request).toBe('Takk!');
  });

  it('Gmail as HTML only: the quoted block is left out too', async () => {
    const html = `<div dir="ltr">Takk, fredag passer fint.</div><br><div class="gmail_quote"><div class="gmail_attr">On Mon, Mar 2, 2026 at 9:00 AM Ola Nordmann &lt;ola@firm.example&gt; wrote:<br></div><blockquote class="gmail_quote">${firmText.join('<br>')}</blockquote></div>`;
    const mail = asSent(await readMail(reply('Re: Tilbud', [html], 'text/html')), FIRM);
    expect(mail.request).toBe('Takk, fredag passer fint.');
  });

  it('answers written between the quotes stay', async () => {
    const mail = asSent(await readMail(reply('Re: Tilbud', ['Se svar under.', '', 'On Mon, Mar 2, 2026 at 9:00 AM Ola Nordmann <ola@firm.example> wrote:', '> Hvor mange brukere?', '', '25 brukere.', '', '> Når trenger dere den?', '', 'Til sommeren.'])), FIRM);
    expect(mail.request).toBe('Se svar under.\n\n25 brukere.\n\nTil sommeren.');
  });

  it.each([
    ['English', ['________________________________', 'From: Ola Nordmann <ola@firm.example>', 'Sent: Monday, March 2, 2026 9:00 AM', 'To: Kari Lunde <kari@kunde.example>', 'Subject: Tilbud', '']],
    ['Norwegian', ['Fra: Ola Nordmann <ola@firm.example>', 'Sendt: mandag 2. mars 2026 09:00', 'Til: Kari Lunde <kari@kunde.example>', 'Emne: Tilbud', '']],
    ['old', ['-----Original Message-----', 'From: Ola Nordmann [mailto:ola@firm.example]', 'Sent: Monday, March 2, 2026 9:00 AM', 'Subject: Tilbud', '']],
  ])('%s Outlook: the earlier mail below its From/Sent block is left out', async (_client, header) => {
    const mail = asSent(await readMail(reply('RE: Tilbud', ['Takk, fredag passer fint.', '', 'Mvh Kari', '', ...header, ...firmText])), FIRM);
    expect(mail.request).toBe('Takk, fredag passer fint.\n\nMvh Kari');
    expect(mail.from.address).toBe('kari@kunde.example');
  });

  it('a forward, a reply with nothing new above the quote, and a quote with no reply line are left whole', async () => {
    const outlookBlock = ['From: Nils Berg <nils@lysverket.example>', 'Sent: Monday, March 2, 2026 9:00 AM', 'Subject: Dataplattform', '', 'Vi trenger hjelp.'];
    expect(newText(['Se under.', '', ...outlookBlock].join('\n'), 'FW: Dataplattform')).toBe(['Se under.', '', ...outlookBlock].join('\n'));
    // Without RE: an Outlook block is no reply header (a forward may have lost its prefix).
    expect(newText(['Se under.', '', ...outlookBlock].join('\n'), 'Dataplattform')).toContain('Vi trenger hjelp.');
    const onlyQuote = ['On Mon, Mar 2, 2026 at 9:00 AM Ola <ola@firm.example> wrote:', '> Hei'].join('\n');
    expect(newText(onlyQuote, 'Re: x')).toBe(onlyQuote);
    // A person's own line ending in "wrote:" that quotes nothing stays, and so does a quote under no reply line.
    expect(newText('On Monday my colleague wrote:\nwe need an app.', 'Re: x')).toBe('On Monday my colleague wrote:\nwe need an app.');
    expect(newText('> your price?\n100 000 kr.', 'Re: x')).toBe('> your price?\n100 000 kr.');
  });

  it('a colleague’s inline forward of a prospect’s reply is the prospect’s, with the prospect’s new text and the colleague’s note', async () => {
    const body = ['Kan noen ta denne?', '', '---------- Forwarded message ---------', 'From: Kari Lunde <kari@kunde.example>', 'Date: Tue, Mar 3, 2026 at 10:00 AM', 'Subject: Re: Tilbud', 'To: <ola@firm.example>', '', 'Ja, vi vil gjerne ha et tilbud.', '', 'On Mon, Mar 2, 2026 at 9:00 AM Ola <ola@firm.example> wrote:', '> Vil dere ha et tilbud?'];
    const mail = asSent(await readMail(inlineForward(body)), FIRM);
    expect(mail.from.address).toBe('kari@kunde.example');
    expect(mail.request).toBe('Ja, vi vil gjerne ha et tilbud.\n\nForwarded by ola.nordmann@firm.example, who wrote:\nKan noen ta denne?');
    expect(mail.text).toContain('> Vil dere ha et tilbud?');
  });

  it('reads a hostile text and gives its answer (no duration asserted: a quadratic read times out)', () => {
    expect(typeof newText(`${'On x wrote:\n'.repeat(20_000)}${'> q\n'.repeat(20_000)}${'From: a\n'.repeat(20_000)}`, 'Re: x')).toBe('string');
  });
});

describe('[SRC-MAIL] a calendar invite', () => {
  const ics = [
    'BEGIN:VCALENDAR', 'METHOD:REQUEST', 'BEGIN:VTIMEZONE', 'TZID:W. Europe Standard Time', 'BEGIN:STANDARD', 'DTSTART:16010101T030000', 'END:STANDARD', 'END:VTIMEZONE',
    'BEGIN:VEVENT', 'SUMMARY;LANGUAGE=nb-NO:Oppstart: app for røktere på', '  merdene', 'DTSTART;TZID="W. Europe Standard Time":20260310T100000', 'DTEND;TZID="W. Europe Standard Time":20260310T110000',
    'LOCATION:Møterom 2\\, Bergen', 'BEGIN:VALARM', 'ACTION:DISPLAY', 'SUMMARY:Reminder', 'END:VALARM', 'END:VEVENT', 'END:VCALENDAR',
  ].join('\r\n');
  const invite = (withFile: boolean) =>
    Buffer.from(
      [
        'From: Kari Lunde <kari@kunde.example>', 'To: ola@firm.example', 'Subject: Invitation: Oppstart', 'Message-ID: <invite-1@kunde.example>', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="m"', '',
        '--m', 'Content-Type: multipart/alternative; boundary="a"', '', '--a', 'Content-Type: text/plain; charset=utf-8', '', 'Du er invitert.', '',
        '--a', 'Content-Type: text/calendar; charset=utf-8; method=REQUEST', 'Content-Transfer-Encoding: 8bit', '', ics, '--a--', '',
        ...(withFile ? ['--m', 'Content-Type: application/ics; name="invite.ics"', 'Content-Disposition: attachment; filename="invite.ics"', 'Content-Transfer-Encoding: 8bit', '', ics] : []),
        '--m--', '',
      ].join('\r\n'),
      'utf8',
    );

  it('Google’s (the calendar part and invite.ics alike): one file, invite.ics', async () => {
    const mail = await readMail(invite(true));
    expect(mail.files.map((f) => [f.filename, f.contentType])).toEqual([['invite.ics', 'application/ics']]);
  });

  it('Outlook’s (the calendar part only): the part is named invite.ics, and the meeting’s summary, start with its time zone and place are read', async () => {
    const mail = await readMail(invite(false));
    expect(mail.files.map((f) => [f.filename, f.contentType])).toEqual([['invite.ics', 'text/calendar']]);
    // The folded SUMMARY unfolded, the quoted TZID kept, the escaped comma read; the alarm's and time zone's lines are not the meeting's.
    expect(mail.invite).toEqual({ summary: 'Oppstart: app for røktere på merdene', start: '20260310T100000 (W. Europe Standard Time)', location: 'Møterom 2, Bergen' });
    expect(mail.text).toBe('Du er invitert.');
  });

  it('two nameless copies of a calendar part keep one', async () => {
    const twice = Buffer.from(invite(false).toString('utf8').replace('--a--', ['--a', 'Content-Type: text/calendar; charset=utf-8; method=REQUEST', 'Content-Transfer-Encoding: 8bit', '', ics, '--a--'].join('\r\n')), 'utf8');
    expect((await readMail(twice)).files.map((f) => f.filename)).toEqual(['invite.ics']);
  });

  it('a calendar with no event, or no calendar, is no invite; a UTC start is as written', () => {
    expect(meetingInvite(Buffer.from('BEGIN:VCALENDAR\r\nEND:VCALENDAR'))).toBeNull();
    expect(meetingInvite(null)).toBeNull();
    expect(meetingInvite(Buffer.from('BEGIN:VEVENT\nDTSTART:20260310T090000Z\nEND:VEVENT'))).toEqual({ summary: null, start: '20260310T090000Z', location: null });
  });

  it('reads a hostile calendar and gives its answer (no duration asserted: a quadratic read times out)', () => {
    expect(meetingInvite(Buffer.from(`BEGIN:VEVENT\r\nSUMMARY${';X="'.repeat(50_000)}\r\n${' a'.repeat(100_000)}`))).toBeNull(); // no event that ends: nothing to show
  });
});
