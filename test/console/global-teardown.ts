import { existsSync, rmSync } from 'node:fs';
import { SEED_FILE, seed } from './service';

/** SIGINT stops the service as a person at the terminal would: requests end, PostgreSQL stops; then its folder goes. */
export default async function globalTeardown(): Promise<void> {
  if (!existsSync(SEED_FILE)) return; // the set-up failed before it started anything lasting
  const { pid, dataDir } = seed();
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return; // already gone
  }
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      break; // it has exited
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(SEED_FILE, { force: true });
}
