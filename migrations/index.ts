import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Every migration in this folder (`<timestamp>-<Name>.ts`), in order; works from source and from dist/. */
export const MIGRATIONS: Function[] = readdirSync(__dirname)
  .filter((f) => /^\d{13}-[\w-]+\.(ts|js)$/.test(f))
  .sort()
  .map((f) => Object.values(require(join(__dirname, f)) as Record<string, Function>)[0]);
