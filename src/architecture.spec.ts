import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';

/**
 * The folders of src/ import in one direction only: features on top of leads, screening and
 * policy, on top of the shared words and the plumbing. A folder cycle means a shared word in
 * the wrong home, or a layer upside down. Files directly in src/ (main, app, the entity list)
 * put the whole together and are exempt. Type-only and dynamic imports count too.
 */
const BOTTOM = ['domain', 'common', 'config', 'access', 'audit', 'database'];
const SRC = __dirname;

interface Edge {
  from: string;
  to: string;
  where: string;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

const folderOf = (path: string) => relative(SRC, path).split(sep)[0];
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g;

function edges(): Edge[] {
  const found: Edge[] = [];
  for (const file of sources(SRC)) {
    if (!relative(SRC, file).includes(sep)) continue; // a composition root
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const target = normalize(join(dirname(file), m[1]));
      if (!target.startsWith(SRC + sep)) continue;
      const to = folderOf(target);
      const from = folderOf(file);
      if (to !== from && existsSync(join(SRC, to)) && statSync(join(SRC, to)).isDirectory()) {
        found.push({ from, to, where: `${relative(SRC, file)}: ${m[0]}` });
      }
    }
  }
  return found;
}

/** Every cycle between folders, each named once by its folders in order. */
function cycles(all: Edge[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const e of all) next.set(e.from, (next.get(e.from) ?? new Set()).add(e.to));
  const found = new Map<string, string[]>();
  const walk = (path: string[]) => {
    for (const to of next.get(path[path.length - 1]) ?? []) {
      if (to === path[0]) {
        const start = path.indexOf([...path].sort()[0]);
        const cycle = [...path.slice(start), ...path.slice(0, start)];
        found.set(cycle.join('>'), cycle);
      } else if (!path.includes(to) && to > path[0]) walk([...path, to]);
    }
  };
  for (const folder of next.keys()) walk([folder]);
  return [...found.values()];
}

describe('folders import in one direction', () => {
  const all = edges();

  it('has no cycle between folders of src/', () => {
    const report = cycles(all).map((cycle) => {
      const lines = cycle.map((from, i) => all.find((e) => e.from === from && e.to === cycle[(i + 1) % cycle.length])!.where);
      return `${[...cycle, cycle[0]].join(' -> ')}\n  ${lines.join('\n  ')}`;
    });
    expect(report).toEqual([]);
  });

  it('keeps the shared words (domain/) free of every other folder', () => {
    expect(all.filter((e) => e.from === 'domain').map((e) => e.where)).toEqual([]);
  });

  it('keeps the plumbing (domain, common, config, access, audit, database) free of the features', () => {
    const upward = all.filter((e) => BOTTOM.includes(e.from) && !BOTTOM.includes(e.to));
    expect(upward.map((e) => e.where)).toEqual([]);
  });

  it('sees imports of every kind, and names a cycle by its import lines', () => {
    const made: Edge[] = [
      { from: 'a', to: 'b', where: 'a/x.ts' },
      { from: 'b', to: 'c', where: 'b/y.ts' },
      { from: 'c', to: 'a', where: 'c/z.ts' },
      { from: 'c', to: 'd', where: 'c/w.ts' },
    ];
    expect(cycles(made)).toEqual([['a', 'b', 'c']]);
    const kinds = `import type { A } from '../x/a';\nimport { B } from "../y/b";\nconst c = await import('../z/c');\nimport '../w/side-effect';`;
    expect([...kinds.matchAll(IMPORT)].map((m) => m[1])).toEqual(['../x/a', '../y/b', '../z/c', '../w/side-effect']);
  });
});
