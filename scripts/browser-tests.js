#!/usr/bin/env node
/*
 * The console's browser suite (Playwright), run by `npm test` after the Jest suites. It needs a
 * Chromium: CHROMIUM_PATH, or Debian's chromium-headless-shell (`apt-get install
 * chromium-headless-shell`). Without one it says plainly that it skipped, and passes, unless
 * CONSOLE_BROWSER_REQUIRED=1 (set by .ci/run), which makes a missing browser a failure.
 */
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { createServer } = require('node:net');
const { join } = require('node:path');

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium-headless-shell', '/usr/lib/chromium/headless_shell', '/usr/bin/chromium'].filter(Boolean);

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function main() {
  const browser = CANDIDATES.find((path) => existsSync(path));
  if (!browser) {
    const required = process.env.CONSOLE_BROWSER_REQUIRED === '1';
    process.stderr.write(`\nThe console's browser suite was SKIPPED: no Chromium here (looked for ${CANDIDATES.join(', ')}). Install one with \`apt-get install chromium-headless-shell\`, or set CHROMIUM_PATH.\n`);
    process.exit(required ? 1 : 0);
  }
  const env = { ...process.env, CHROMIUM_PATH: browser, CONSOLE_PORT: String(await freePort()), CONSOLE_PG_PORT: String(await freePort()) };
  process.stdout.write(`\nThe console's browser suite, with ${browser}:\n`);
  const playwright = join(__dirname, '..', 'node_modules', '@playwright', 'test', 'cli.js');
  const run = spawnSync(process.execPath, [playwright, 'test', ...process.argv.slice(2)], { stdio: 'inherit', env, cwd: join(__dirname, '..') });
  process.exit(run.status ?? 1);
}

main();
