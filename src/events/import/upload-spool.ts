import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';

/**
 * An upload as it arrives, in a temporary file: the body is read at the sender's pace without
 * holding a database connection, and is copied into storage in one short transaction once it
 * is all here (ten stalled uploads used to hold ten pooled connections).
 */
export class UploadSpool {
  /** A failure of the file stream, kept for the next write (a stream's 'error' with no listener ends the process). */
  private failure: Error | null = null;

  private constructor(
    private readonly dir: string,
    private readonly out: ReturnType<typeof createWriteStream>,
  ) {
    out.on('error', (err) => (this.failure ??= err));
  }

  static async open(): Promise<UploadSpool> {
    const dir = await mkdtemp(join(tmpdir(), 'crm-upload-'));
    return new UploadSpool(dir, createWriteStream(join(dir, 'file'), { mode: 0o600 }));
  }

  async write(data: Buffer): Promise<void> {
    if (this.failure || this.out.destroyed) throw this.failure ?? new Error('The upload spool is closed');
    if (!this.out.write(data)) await once(this.out, 'drain');
  }

  async end(): Promise<void> {
    if (this.out.writableFinished) return;
    this.out.end();
    await once(this.out, 'finish');
  }

  /** The spooled bytes, in pieces, for copying into storage. */
  read(): AsyncIterable<Buffer> {
    return createReadStream(join(this.dir, 'file'), { highWaterMark: 1024 * 1024 });
  }

  async dispose(): Promise<void> {
    this.out.destroy();
    await rm(this.dir, { recursive: true, force: true });
  }
}
