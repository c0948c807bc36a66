import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** One message as the SMTP server received it, with its text decoded enough to read. */
export interface ReceivedMail {
  /** Envelope: MAIL FROM and RCPT TO, which is who actually gets the mail whatever the headers say. */
  from: string;
  to: string[];
  /** The message exactly as sent over the wire. */
  raw: string;
  /** Top-level header fields, unfolded, encoded words decoded, in order. */
  headers: { name: string; value: string }[];
  header(name: string): string | undefined;
  subject: string;
  text: string;
  html: string;
}

interface Part {
  headers: { name: string; value: string }[];
  body: string;
}

const headerValue = (headers: Part['headers'], name: string) => headers.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value;

function decodeQuotedPrintable(body: string): string {
  const bytes: number[] = [];
  const text = body.replace(/=\r?\n/g, ''); // soft line breaks
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(text[i], 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** RFC 2047 encoded words (UTF-8 assumed, as nodemailer writes them). */
function decodeWords(value: string): string {
  return value
    .replace(/(\?=)\s+(=\?)/g, '$1$2')
    .replace(/=\?[^?]+\?([QqBb])\?([^?]*)\?=/g, (_m, enc: string, data: string) =>
      enc.toUpperCase() === 'B' ? Buffer.from(data, 'base64').toString('utf8') : decodeQuotedPrintable(data.replace(/_/g, ' ')),
    );
}

function splitPart(raw: string): Part {
  const end = raw.indexOf('\r\n\r\n');
  const head = end === -1 ? raw : raw.slice(0, end);
  const body = end === -1 ? '' : raw.slice(end + 4);
  const headers = head
    .replace(/\r\n(?=[ \t])/g, '')
    .split('\r\n')
    .filter((line) => line.includes(':'))
    .map((line) => ({ name: line.slice(0, line.indexOf(':')).trim(), value: decodeWords(line.slice(line.indexOf(':') + 1).trim()) }));
  return { headers, body };
}

/** The decoded text/plain and text/html parts of a message; enough MIME for nodemailer's output. */
function leafTexts(part: Part, found: { text: string; html: string }): void {
  const type = headerValue(part.headers, 'Content-Type') ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (/^multipart\//i.test(type) && boundary) {
    const sections = part.body.split(`--${boundary}`).slice(1);
    for (const section of sections) {
      if (section.startsWith('--')) break; // the closing delimiter
      leafTexts(splitPart(section.replace(/^\r\n/, '').replace(/\r\n$/, '')), found);
    }
    return;
  }
  const encoding = (headerValue(part.headers, 'Content-Transfer-Encoding') ?? '7bit').toLowerCase();
  const decoded =
    encoding === 'quoted-printable' ? decodeQuotedPrintable(part.body) : encoding === 'base64' ? Buffer.from(part.body, 'base64').toString('utf8') : part.body;
  if (/^text\/html/i.test(type)) found.html += decoded;
  else if (/^text\/plain/i.test(type)) found.text += decoded;
}

function parseMail(from: string, to: string[], raw: string): ReceivedMail {
  const top = splitPart(raw);
  const found = { text: '', html: '' };
  leafTexts(top, found);
  return {
    from,
    to,
    raw,
    headers: top.headers,
    header: (name) => headerValue(top.headers, name),
    subject: headerValue(top.headers, 'Subject') ?? '',
    ...found,
  };
}

/** A local SMTP server on 127.0.0.1 that keeps every message it is sent. */
export class TestSmtpServer {
  readonly messages: ReceivedMail[] = [];
  /** SMTP sessions opened, delivered or not: proves a skipped notification never even connected. */
  connections = 0;
  /** Recipients the server refuses with a 550 that quotes the address, as real servers do. */
  readonly refused = new Set<string>();

  private readonly server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    closeTimeout: 1000,
    onConnect: (_session, callback) => {
      this.connections++;
      callback();
    },
    onRcptTo: (address, _session, callback) => {
      if (!this.refused.has(address.address)) return callback();
      callback(Object.assign(new Error(`<${address.address}>: no such mailbox`), { responseCode: 550 }));
    },
    onData: (stream, session, callback) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', callback);
      stream.on('end', () => {
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        this.messages.push(parseMail(from, session.envelope.rcptTo.map((r) => r.address), Buffer.concat(chunks).toString('utf8')));
        callback();
      });
    },
  });

  async start(): Promise<{ url: string }> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = this.server.server.address() as AddressInfo;
    return { url: `smtp://127.0.0.1:${port}` };
  }

  /** At least n messages, as soon as they have arrived; fails after timeoutMs. */
  async waitForMessages(n: number, timeoutMs = 10_000): Promise<ReceivedMail[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length < n) {
      if (Date.now() > deadline) throw new Error(`Expected ${n} message(s) within ${timeoutMs} ms, got ${this.messages.length}.`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return this.messages;
  }

  /** Forgets what was received and refused, between tests. */
  clear(): void {
    this.messages.length = 0;
    this.connections = 0;
    this.refused.clear();
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
