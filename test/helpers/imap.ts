import type { Socket } from 'node:net';

// hoodiecrow-imap (an in-memory IMAP4rev1 server from npm, used by imapflow's own author for
// client tests) ships no types: the little of it used here.
interface HoodiecrowConnection {
  socket: Socket | null;
}
type CommandHandler = (connection: HoodiecrowConnection, parsed: unknown, data: unknown, callback: () => void) => void;
interface HoodiecrowMessage {
  raw: string;
  flags: string[];
  uid: number;
}
interface Hoodiecrow {
  server: import('node:net').Server;
  listen(port: number, host: string, callback: () => void): void;
  close(callback: () => void): void;
  getMailbox(path: string): { messages: HoodiecrowMessage[] };
  getCommandHandler(command: string): CommandHandler | false;
  setCommandHandler(command: string, handler: CommandHandler): void;
  appendMessage(mailbox: string, flags: string[], internaldate: string | undefined, raw: string): void;
}
const hoodiecrow = require('hoodiecrow-imap') as (options: Record<string, unknown>) => Hoodiecrow;

export const IMAP_USER = 'testuser';
export const IMAP_PASSWORD = 'testpass';

/**
 * A real IMAP server on 127.0.0.1 (hoodiecrow-imap, in memory), with messages preloaded. Raw
 * messages travel as latin1 strings, so every byte arrives as it was written.
 */
export class TestImapServer {
  private server?: Hoodiecrow;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly initial: { raw: Buffer; seen?: boolean }[]) {}

  start(port: number): Promise<void> {
    const server = hoodiecrow({
      plugins: ['ID', 'ENABLE', 'UNSELECT'],
      storage: { INBOX: { messages: this.initial.map((m) => ({ raw: m.raw.toString('latin1'), flags: m.seen ? ['\\Seen'] : [] })) }, '': { separator: '/', folders: {} } },
    });
    server.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
  }

  /** A new message arrives in the inbox. */
  deliver(raw: Buffer): void {
    this.server!.appendMessage('INBOX', [], undefined, raw.toString('latin1'));
  }

  /** The flags of the message with this Message-ID. */
  flagsOf(messageId: string): string[] {
    const message = this.server!.getMailbox('INBOX').messages.find((m) => m.raw.includes(`Message-ID: ${messageId}`));
    if (!message) throw new Error(`no message ${messageId} in the test inbox`);
    return message.flags;
  }

  /** The next time a client sends this command, the server drops the connection instead of answering (once). */
  dropConnectionOn(command: string): void {
    const server = this.server!;
    const original = server.getCommandHandler(command);
    if (!original) throw new Error(`hoodiecrow has no ${command} command`);
    server.setCommandHandler(command, (connection) => {
      server.setCommandHandler(command, original);
      connection.socket?.destroy();
    });
  }

  /** Stops listening and cuts every open connection. */
  stop(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}
