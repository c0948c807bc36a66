import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/**
 * One owner for the lead tables (src/leads/): no other folder's code names them in SQL or
 * writes them through their entities, so a rule about lead data (who is owed a HubSpot sync,
 * which clocks move, what an erasure empties) lives in one place. The HubSpot outbox is
 * written by leads' writer and worked by the HubSpot repository, and no one else.
 */
const LEAD_TABLES = ['person', 'company', 'capture', 'consent_event', 'activity'];
const LEAD_ENTITIES = ['Person', 'Company', 'Capture', 'ConsentEvent', 'Activity'];
const OUTBOX_OWNERS = ['leads/', 'hubspot/hubspot.repository.ts'];

const SRC = join(__dirname);
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') ? [path] : [];
  });
}
const files = sources(SRC).map((path) => ({ path: relative(SRC, path).split(sep).join('/'), text: readFileSync(path, 'utf8') }));

/** Statements naming a table, as SQL writes them (keywords in capitals, as everywhere in this code). */
const naming = (table: string) => new RegExp(`\\b(FROM|JOIN|INTO|UPDATE|TABLE|USING)\\s+(ONLY\\s+)?${table}\\b(?!\\.|_)`, 'g');
function offences(text: string, table: string): string[] {
  return [...text.matchAll(naming(table))].map((m) => {
    const line = text.slice(0, m.index).split('\n').length;
    return `line ${line}: ${m[0]}`;
  });
}

describe('the lead tables have one owner', () => {
  it('names person, company, capture, consent_event and activity in SQL only inside src/leads/', () => {
    const found = files
      .filter((f) => !f.path.startsWith('leads/'))
      .flatMap((f) => LEAD_TABLES.flatMap((t) => offences(f.text, t).map((o) => `${f.path} ${o}`)));
    expect(found).toEqual([]);
  });

  it('writes hubspot_outbox only from leads’ writer and the HubSpot repository', () => {
    const found = files
      .filter((f) => !OUTBOX_OWNERS.some((owner) => f.path.startsWith(owner)))
      .flatMap((f) => offences(f.text, 'hubspot_outbox').map((o) => `${f.path} ${o}`));
    expect(found).toEqual([]);
  });

  it('reaches the lead entities only through leads (other entities may relate to them; the entity list loads them)', () => {
    const valueImport = new RegExp(`^import\\s+(?!type\\b)[^;]*\\b(${LEAD_ENTITIES.join('|')})\\b[^;]*from\\s+'[^']*leads/entities/[^']+';`, 'gm');
    const found = files
      .filter((f) => !f.path.startsWith('leads/') && !f.path.includes('/entities/') && !/(^|\/)entities\.ts$/.test(f.path))
      .flatMap((f) => [...f.text.matchAll(valueImport)].map((m) => `${f.path}: ${m[0]}`));
    expect(found).toEqual([]);
  });

  it('catches what it is meant to catch', () => {
    expect(offences('await q(`UPDATE person SET x = 1`)', 'person')).toHaveLength(1);
    expect(offences('`SELECT 1 FROM person_search_idx` and a comment from person', 'person')).toEqual([]);
    expect(offences('JOIN capture c ON c.id = x', 'capture')).toHaveLength(1);
  });
});
