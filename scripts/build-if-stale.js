#!/usr/bin/env node
/*
 * Builds dist/ only when it is missing or older than the sources, so `npm run cli` (and the
 * migration commands) start at once on a built tree. Plain JavaScript: it runs before any build.
 * In the Docker image there are no sources, only dist/: nothing to do.
 */
const { execFileSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
// The build's inputs (package.json "build") and its settings.
const INPUTS = ['src', 'migrations', 'bench', 'test/hubspot-fake', '.swcrc'];
const BUILT = join(root, 'dist', 'src', 'cli.js');

/** The newest modification time under a file or folder; 0 when it does not exist. */
function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((max, name) => Math.max(max, newest(join(path, name))), stat.mtimeMs);
}

const sources = Math.max(...INPUTS.map((input) => newest(join(root, input))));
const built = existsSync(BUILT) ? statSync(BUILT).mtimeMs : 0;
if (built === 0 && sources === 0) {
  process.stderr.write('Neither dist/ nor the sources are here: nothing to run.\n');
  process.exit(1);
}
if (sources > built) {
  process.stderr.write(built ? 'Sources changed since the last build: building dist/.\n' : 'No dist/ yet: building it.\n');
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
}
