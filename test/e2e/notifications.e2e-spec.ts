import { Logger, type LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { loadEnvironment, type AppConfig } from '../../src/config/app-config';
import { AppConfigModule } from '../../src/config/config.module';
import { NotificationsModule } from '../../src/notifications/notifications.module';
import { NotificationsService, personRecordUrl, requestExcerpt, type NewLeadNotice } from '../../src/notifications/notifications.service';
import { TestSmtpServer } from '../helpers/smtp';

/** Everything Nest's Logger is asked to write, as text, with its level. */
class CollectingLogger implements LoggerService {
  readonly lines: string[] = [];
  private add(level: string, args: unknown[]) {
    this.lines.push(`${level} ${JSON.stringify(args)}`);
  }
  log = (...args: unknown[]) => this.add('log', args);
  error = (...args: unknown[]) => this.add('error', args);
  warn = (...args: unknown[]) => this.add('warn', args);
  debug = (...args: unknown[]) => this.add('debug', args);
  verbose = (...args: unknown[]) => this.add('verbose', args);
  fatal = (...args: unknown[]) => this.add('fatal', args);
}

const PERSON_ID = '3f2b8c1e-7d4a-4e39-9c61-2a5b0d8e4f17';
const OWNER = 'owner.olsen@firm.test';
const SALES_INBOX = 'sales@firm.test';

const lead = (overrides: Partial<NewLeadNotice> = {}): NewLeadNotice => ({
  personId: PERSON_ID,
  personName: 'Åse Bjørnstad',
  company: 'Fjord & <Sons> AS',
  formName: 'Contact us',
  request: 'We need a quote for a mobile banking app.\nOur budget is 40 000 EUR; call me on +47 912 34 567.',
  ownerEmail: OWNER,
  ...overrides,
});

/** A closed port: listen on a free one, then let it go. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe('new-lead notifications', () => {
  const smtp = new TestSmtpServer();
  const logs = new CollectingLogger();
  const services: NotificationsService[] = [];
  let smtpUrl: string;

  const configWith = (env: Record<string, string | undefined>): AppConfig => ({
    ...loadEnvironment({ NODE_ENV: 'test', NOTIFY_FROM: 'Lead desk <crm@firm.test>', PUBLIC_BASE_URL: 'https://crm.firm.test/', ...env }),
    databaseUrl: '',
    databaseAppUrl: '',
    jwtSecret: 'x'.repeat(32),
  });
  const serviceWith = (env: Record<string, string | undefined>) => {
    const service = new NotificationsService(configWith(env));
    services.push(service);
    return service;
  };

  beforeAll(async () => {
    Logger.overrideLogger(logs);
    ({ url: smtpUrl } = await smtp.start());
  });
  beforeEach(() => smtp.clear());
  afterAll(async () => {
    for (const service of services) service.onModuleDestroy();
    await smtp.stop();
  });

  it('goes to the lead\'s owner when it has one', async () => {
    const service = serviceWith({ SMTP_URL: smtpUrl, SALES_INBOX });
    await expect(service.newLead(lead())).resolves.toBe('sent');
    const [mail] = await smtp.waitForMessages(1);
    expect(mail.from).toBe('crm@firm.test');
    expect(mail.to).toEqual([OWNER]);
    expect(mail.header('To')).toContain(OWNER);
    expect(mail.header('From')).toBe('Lead desk <crm@firm.test>');
  });

  it('goes to SALES_INBOX when the lead has no owner', async () => {
    const service = serviceWith({ SMTP_URL: smtpUrl, SALES_INBOX });
    await expect(service.newLead(lead({ ownerEmail: null }))).resolves.toBe('sent');
    await expect(service.newLead(lead({ ownerEmail: '' }))).resolves.toBe('sent');
    const mails = await smtp.waitForMessages(2);
    expect(mails.map((m) => m.to)).toEqual([[SALES_INBOX], [SALES_INBOX]]);
  });

  it('[ACCESS-AM] for an active customer\'s person, goes to that customer\'s account managers only: not the owner, not SALES_INBOX', async () => {
    const service = serviceWith({ SMTP_URL: smtpUrl, SALES_INBOX });
    const managers = ['am.one@firm.test', 'am.two@firm.test'];
    await expect(service.newLead(lead({ accountManagerEmails: managers }))).resolves.toBe('sent');
    const [mail] = await smtp.waitForMessages(1);
    expect([...mail.to].sort()).toEqual(managers);
    expect(mail.raw).not.toContain(OWNER);
    expect(mail.raw).not.toContain(SALES_INBOX);
  });

  it('[ACCESS-AM] for an active customer\'s person whose customer has no account manager, is skipped without connecting', async () => {
    const service = serviceWith({ SMTP_URL: smtpUrl, SALES_INBOX });
    await expect(service.newLead(lead({ accountManagerEmails: [] }))).resolves.toBe('skipped');
    expect(smtp.connections).toBe(0);
    expect(logs.lines.at(-1)).toMatch(/^log .*skipped: the person is an active customer’s, and the customer has no active account manager/);
  });

  it('[RIGHT-RESTRICT] for a restricted person, tells no one, whoever would otherwise be told', async () => {
    const service = serviceWith({ SMTP_URL: smtpUrl, SALES_INBOX });
    await expect(service.newLead(lead({ restricted: true }))).resolves.toBe('skipped');
    await expect(service.newLead(lead({ restricted: true, ownerEmail: null }))).resolves.toBe('skipped');
    await expect(service.newLead(lead({ restricted: true, accountManagerEmails: ['am.one@firm.test'] }))).resolves.toBe('skipped');
    expect(smtp.connections).toBe(0);
    expect(smtp.messages).toHaveLength(0);
    expect(logs.lines.at(-1)).toMatch(/^log .*skipped: processing of the person is restricted/);
  });

  it('names the person, company and form, links to the record, and carries only the first line of the request', async () => {
    const service = serviceWith({ SMTP_URL: smtpUrl, SALES_INBOX });
    await service.newLead(lead());
    const [mail] = await smtp.waitForMessages(1);

    expect(mail.subject).toBe('New lead from Contact us: Åse Bjørnstad');
    for (const body of [mail.text, mail.html]) {
      expect(body).toContain('Åse Bjørnstad');
      expect(body).toContain('Contact us');
      expect(body).toContain(`https://crm.firm.test/persons/${PERSON_ID}`);
      expect(body).toContain('We need a quote for a mobile banking app.…');
    }
    expect(mail.text).toContain('Fjord & <Sons> AS');
    // The HTML alternative escapes every value.
    expect(mail.html).toContain('Fjord &amp; &lt;Sons&gt; AS');
    expect(mail.html).not.toContain('<Sons>');
    // Nothing of the second line, in any part or encoding.
    for (const leaked of ['budget', '40 000', '912 34 567']) {
      expect({ leaked, found: [mail.text, mail.html, mail.subject, mail.raw].some((s) => s.includes(leaked)) }).toEqual({ leaked, found: false });
    }
  });

  it('leaves out a missing company and request', async () => {
    const service = serviceWith({ SMTP_URL: smtpUrl });
    await service.newLead(lead({ company: null, request: '   \n' }));
    const [mail] = await smtp.waitForMessages(1);
    expect(mail.text).not.toMatch(/Company:|Request/);
    expect(mail.text).toContain('Name: Åse Bjørnstad');
  });

  it('cannot be made to add a header through the name, company or form', async () => {
    const service = serviceWith({ SMTP_URL: smtpUrl });
    const result = await service.newLead(lead({ personName: 'Eve\r\nBcc: x@evil.test', company: 'ACME\nX-Injected: yes', formName: 'Contact\r\nTo: y@evil.test' }));
    expect(result).toBe('sent');
    const [mail] = await smtp.waitForMessages(1);
    expect(mail.to).toEqual([OWNER]);
    const names = mail.headers.map((h) => h.name.toLowerCase());
    expect(names).not.toContain('bcc');
    expect(names).not.toContain('x-injected');
    expect(names.filter((n) => n === 'to')).toHaveLength(1);
    expect(mail.raw.slice(0, mail.raw.indexOf('\r\n\r\n'))).not.toMatch(/^(bcc|x-injected):/im);
    expect(mail.subject).toBe('New lead from Contact To: y@evil.test: Eve Bcc: x@evil.test');
  });

  it('without SMTP_URL, is skipped and sends nothing', async () => {
    const service = serviceWith({ SALES_INBOX });
    await expect(service.newLead(lead())).resolves.toBe('skipped');
    expect(smtp.connections).toBe(0);
    expect(smtp.messages).toHaveLength(0);
    expect(logs.lines.at(-1)).toMatch(/^log .*skipped: SMTP_URL is not set.*"Notifications"/);
  });

  it('with no owner and no SALES_INBOX, is skipped without connecting', async () => {
    const service = serviceWith({ SMTP_URL: smtpUrl });
    await expect(service.newLead(lead({ ownerEmail: undefined }))).resolves.toBe('skipped');
    expect(smtp.connections).toBe(0);
    expect(logs.lines.at(-1)).toMatch(/^log .*skipped: the lead has no owner and SALES_INBOX is not set/);
  });

  it('with the SMTP server down, fails quickly and does not throw', async () => {
    const service = serviceWith({ SMTP_URL: `smtp://127.0.0.1:${await closedPort()}` });
    await expect(service.newLead(lead())).resolves.toBe('failed');
    expect(logs.lines.at(-1)).toMatch(/^warn .*failed: ESOCKET \(ECONNREFUSED\)"/);
  });

  it('with an SMTP server that never answers, gives up after SMTP_TIMEOUT_MS instead of hanging', async () => {
    // Accepts the connection and says nothing: without timeouts the caller would wait minutes.
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const service = serviceWith({ SMTP_URL: `smtp://127.0.0.1:${(silent.address() as AddressInfo).port}`, SMTP_TIMEOUT_MS: '300' });
      await expect(service.newLead(lead())).resolves.toBe('failed');
      expect(logs.lines.at(-1)).toMatch(/^warn .*failed: ETIMEDOUT"/);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  }, 30_000);

  it('[SEC-TRANSFER] logs no name, e-mail address or request text, whatever the outcome', async () => {
    const secret = lead({ personName: 'Ingrid Bergersen', company: 'Bergersen Shipping', request: 'Confidential merger talks\nsecond line' });
    logs.lines.length = 0;
    expect(await serviceWith({ SMTP_URL: smtpUrl }).newLead(secret)).toBe('sent');
    expect(await serviceWith({ SALES_INBOX }).newLead({ ...secret, ownerEmail: null })).toBe('skipped');
    expect(await serviceWith({ SMTP_URL: smtpUrl }).newLead({ ...secret, ownerEmail: null })).toBe('skipped');
    expect(await serviceWith({ SMTP_URL: `smtp://127.0.0.1:${await closedPort()}`, SALES_INBOX }).newLead(secret)).toBe('failed');
    // An owner the server refuses: its reply quotes the address, which must not reach the log.
    smtp.refused.add('ingrid.owner@firm.test');
    expect(await serviceWith({ SMTP_URL: smtpUrl }).newLead({ ...secret, ownerEmail: 'ingrid.owner@firm.test' })).toBe('failed');

    const text = logs.lines.join('\n');
    expect(logs.lines.filter((l) => l.startsWith('warn'))).toEqual([
      expect.stringContaining('failed: ESOCKET (ECONNREFUSED)'),
      expect.stringContaining('failed: EENVELOPE (SMTP 550)'),
    ]);
    expect(logs.lines.filter((l) => l.includes('skipped'))).toHaveLength(2);
    for (const value of ['Ingrid', 'Bergersen', 'Confidential', 'merger', 'second line', OWNER, SALES_INBOX, 'ingrid.owner', 'Contact us']) {
      expect({ value, found: text.includes(value) }).toEqual({ value, found: false });
    }
    expect(text).not.toMatch(/[^\s"@]+@[^\s"@]+\.[a-z]+/i);
  });

  it('refuses an SMTP_URL it cannot use at start, without repeating it', () => {
    expect(() => serviceWith({ SMTP_URL: 'smtp://crm:hunter2@[bad' })).toThrow(/^Invalid configuration:\n  SMTP_URL: /);
    expect(() => serviceWith({ SMTP_URL: 'smtp://crm:hunter2@[bad' })).not.toThrow(/hunter2/);
  });

  it('is a global Nest provider that closes its transport with the module', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppConfigModule.forRoot(configWith({ SMTP_URL: smtpUrl })), NotificationsModule] })
      .setLogger(logs)
      .compile();
    const service = moduleRef.get(NotificationsService);
    await expect(service.newLead(lead())).resolves.toBe('sent');
    await smtp.waitForMessages(1);
    const destroy = jest.spyOn(service, 'onModuleDestroy');
    await moduleRef.close();
    expect(destroy).toHaveBeenCalled();
  });
});

describe('what a notification says', () => {
  it('keeps only the first non-blank line of a request, trimmed', () => {
    expect(requestExcerpt('  Hello there  ')).toBe('Hello there');
    expect(requestExcerpt('\n\n  First\r\nSecond')).toBe('First…');
    expect(requestExcerpt('First\u2028Second')).toBe('First…');
    expect(requestExcerpt('Only\n   \n')).toBe('Only');
    expect(requestExcerpt(null)).toBe('');
    expect(requestExcerpt(undefined)).toBe('');
  });

  it('cuts a long first line to 200 characters, ellipsis included', () => {
    const excerpt = requestExcerpt(`${'a'.repeat(300)}\nmore`);
    expect(Array.from(excerpt)).toHaveLength(200);
    expect(excerpt.endsWith('…')).toBe(true);
    expect(requestExcerpt('a'.repeat(200))).toBe('a'.repeat(200));
    expect(requestExcerpt(`${'a'.repeat(200)}\nmore`)).toBe(`${'a'.repeat(199)}…`);
    // Counted in characters, so an emoji is never cut in half.
    expect(Array.from(requestExcerpt('😀'.repeat(250)))).toEqual([...Array(199).fill('😀'), '…']);
  });

  it('links to the person\'s record under PUBLIC_BASE_URL, or localhost and PORT', () => {
    expect(personRecordUrl({ PUBLIC_BASE_URL: 'https://crm.firm.test/', PORT: 3000 }, PERSON_ID)).toBe(`https://crm.firm.test/persons/${PERSON_ID}`);
    expect(personRecordUrl({ PUBLIC_BASE_URL: 'https://firm.test/crm', PORT: 3000 }, 'a/b')).toBe('https://firm.test/crm/persons/a%2Fb');
    expect(personRecordUrl({ PUBLIC_BASE_URL: undefined, PORT: 4000 }, PERSON_ID)).toBe(`http://localhost:4000/persons/${PERSON_ID}`);
  });
});
