// Prints what a first visit downloads: the JavaScript index.html loads (its entry and the chunks it
// preloads), gzipped. The budget is 500 KB; a build over it fails, so it cannot grow unnoticed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET_KB = 500;
const dist = new URL('../dist/', import.meta.url).pathname;
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const files = [...html.matchAll(/(?:src|href)="\/console\/([^"]+\.js)"/g)].map((m) => m[1]);
const kb = files.reduce((sum, f) => sum + gzipSync(readFileSync(join(dist, f)), { level: 9 }).length, 0) / 1024;
console.log(`console first load: ${kb.toFixed(1)} KB of JavaScript gzipped, ${files.length} file(s) (budget ${BUDGET_KB} KB)`);
if (kb > BUDGET_KB) {
  console.error(`The console's first load is over its budget of ${BUDGET_KB} KB: split a screen off (React.lazy) or drop a dependency.`);
  process.exit(1);
}
