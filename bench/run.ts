/**
 * `npm run bench -- NAME`: runs bench/NAME.ts. Each benchmark prints its figure beside a
 * baseline measured in the same run, and ends with one JSON line of its figures.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

async function main(): Promise<void> {
  const name = process.argv[2];
  const available = readdirSync(__dirname).filter((f) => /\.js$/.test(f) && !/^(run|harness)\./.test(f)).map((f) => f.replace(/\.js$/, ''));
  if (!name || !existsSync(join(__dirname, `${name}.js`)) || !available.includes(name)) {
    console.error(`Usage: npm run bench -- NAME   (available: ${available.join(', ') || 'none yet'})`);
    process.exitCode = 1;
    return;
  }
  const bench = require(join(__dirname, `${name}.js`)) as { run: () => Promise<void> };
  await bench.run();
}

void main();
