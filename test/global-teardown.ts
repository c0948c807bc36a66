import { rmSync } from 'node:fs';
import type { EmbeddedServer } from '../src/database/embedded-postgres';

export default async function globalTeardown(): Promise<void> {
  const state = (globalThis as Record<string, unknown>).__crmTestServer as { server: EmbeddedServer; dataDir: string } | undefined;
  if (!state) return;
  await state.server.stop();
  rmSync(state.dataDir, { recursive: true, force: true });
}
