#!/usr/bin/env node
/*
 * Builds a target only when it is missing or older than its sources, so `npm run cli` (and the
 * migration commands) start at once on a built tree, and `npm start` and `npm test` serve a
 * console built from the sources they have. Plain JavaScript: it runs before any build.
 * `node scripts/build-if-stale.js` builds dist/; `... console` builds console/dist/.
 * In the Docker image there are no sources, only the built output: nothing to do.
 */
const { execFileSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const TARGETS = {
  // The build's inputs (package.json "build") and its settings.
  service: { inputs: ['src', 'migrations', 'bench', 'test/hubspot-fake', '.swcrc'], built: 'dist/src/cli.js', command: ['run', 'build', '--silent'], name: 'dist/' },
  console: { inputs: ['console/src', 'console/index.html', 'console/vite.config.ts', 'console/package.json', 'console/scripts'], built: 'console/dist/index.html', command: ['run', 'build', '--silent', '-w', 'console'], name: 'console/dist/' },
};
const target = TARGETS[process.argv[2] ?? 'service'];
if (!target) {
  process.stderr.write(`Build what? One of: ${Object.keys(TARGETS).join(', ')}.\n`);
  process.exit(2);
}

/** The newest modification time under a file or folder; 0 when it does not exist. */
function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((max, name) => Math.max(max, newest(join(path, name))), stat.mtimeMs);
}

const sources = Math.max(...target.inputs.map((input) => newest(join(root, input))));
const builtAt = existsSync(join(root, target.built)) ? statSync(join(root, target.built)).mtimeMs : 0;
if (builtAt === 0 && sources === 0) {
  process.stderr.write(`Neither ${target.name} nor its sources are here: nothing to run.\n`);
  process.exit(1);
}
if (sources > builtAt) {
  process.stderr.write(builtAt ? `Sources changed since the last build: building ${target.name}.\n` : `No ${target.name} yet: building it.\n`);
  execFileSync('npm', target.command, { cwd: root, stdio: 'inherit' });
}
