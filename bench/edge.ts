/**
 * `npm run bench -- edge`: what hostile bodies on the public routes cost everyone else. A
 * visitor's ordinary form post is timed while attackers send, without pause, each hostile body
 * of the hardening issue (a raw mail and a million-field form to the form route, 100 KB of `<`
 * and deep nesting to the chatbot, a 20,000-character request full of link-like text, a 5 MB
 * body to a staff route, cut-short multipart, NUL and lone surrogates). Baseline: the same
 * ordinary posts with no attacker, in the same run. Every hostile body must get a 4xx.
 */
import { Pool } from 'pg';
import { temporaryDatabase, round, startService } from './harness';

const ORIGIN = 'https://www.example.com';
const POSTS = Number(process.env.BENCH_POSTS ?? 300);
/** Attackers sending at once, each from ever new addresses (so the per-visitor limit never stops them). */
const ATTACKERS = Number(process.env.BENCH_ATTACKERS ?? 1);
let visits = 0;
const visitor = () => `10.${(visits >> 16) & 255}.${(visits >> 8) & 255}.${visits++ & 255}`;

type Hostile = { name: string; path: string; type: string; body: string | Buffer; headers?: Record<string, string> };
function hostileBodies(): Hostile[] {
  const form = '/api/intake/forms/edge';
  const linkish = Array.from({ length: 2000 }, (_, i) => `w${i}.x`).join(' '); // ~20,000 characters of dotted words
  return [
    { name: 'raw mail to the form', path: form, type: 'message/rfc822', body: Buffer.alloc(1_000_000, 'a') },
    { name: 'url-encoded, 200k fields', path: form, type: 'application/x-www-form-urlencoded', body: 'a=1&'.repeat(200_000) },
    { name: 'JSON, 60k fields', path: form, type: 'application/json', body: JSON.stringify(Object.fromEntries(Array.from({ length: 60_000 }, (_, i) => [`f${i}`, 'x']))) },
    { name: 'JSON nested 10,000 deep', path: '/api/intake/chatbot/drift', type: 'application/json', body: '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000) },
    { name: '100 KB of < to the chatbot', path: '/api/intake/chatbot/drift', type: 'application/json', body: JSON.stringify({ type: 'new_message', token: 'wrong', data: { body: '<'.repeat(100_000) } }) },
    { name: 'link-like 20,000 characters', path: form, type: 'application/json', body: JSON.stringify({ name: 'A', email: 'not-an-address', message: linkish }) },
    { name: 'NUL and lone surrogates, no address', path: form, type: 'application/json', body: JSON.stringify({ name: '\u0000\ud800', message: '\udfff'.repeat(10_000) }) },
    { name: 'cut-short multipart', path: form, type: 'multipart/form-data; boundary=x', body: '--x\r\nContent-Disposition: form-data; name="name"\r\n\r\n' + 'a'.repeat(100_000) },
    { name: 'multipart without boundary', path: form, type: 'multipart/form-data', body: '--x\r\n'.repeat(10_000) },
    { name: '5 MB to a staff route', path: '/api/users', type: 'application/json', body: Buffer.alloc(5_000_000, ' ') },
  ];
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
};

async function ordinaryPosts(port: number): Promise<{ p99: number; failed: number }> {
  const times: number[] = [];
  let failed = 0;
  for (let i = 0; i < POSTS; i++) {
    const started = performance.now();
    const res = await fetch(`http://127.0.0.1:${port}/api/intake/forms/edge`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Origin: ORIGIN, 'X-Forwarded-For': visitor() },
      body: JSON.stringify({ name: `Visitor ${visits}`, email: `visitor${visits}@example.no`, message: `We need help with project ${visits}.` }),
    });
    await res.arrayBuffer();
    times.push(performance.now() - started);
    if (res.status !== 202) failed++;
  }
  return { p99: percentile(times, 99), failed };
}

export async function run(): Promise<void> {
  const database = await temporaryDatabase();
  try {
    const pool = new Pool({ connectionString: database.url, max: 1 });
    await pool.query(
      `INSERT INTO intake_form (key, name, allowed_origins, field_mapping, default_inquiry_type, inquiry_type_values, consent_fields, signing_secret)
       VALUES ('edge', 'Edge form', $1, $2, 'other', '{}', '{}', 'not-used')`,
      [[ORIGIN], { name: 'name', email: 'email', message: 'request' }],
    );
    await pool.end();
    const service = await startService(database, { TRUST_PROXY: '127.0.0.1', DRIFT_VERIFICATION_TOKEN: 'bench-drift-token' });
    try {
      const baseline = await ordinaryPosts(service.port);
      const hostile = hostileBodies();
      const answers: { name: string; status: number; ms: number }[] = [];
      let attacking = true;
      const attackers = Array.from({ length: ATTACKERS }, async (_, a) => {
        for (let i = a; attacking; i++) {
          const h = hostile[i % hostile.length]!;
          const started = performance.now();
          const status = await fetch(`http://127.0.0.1:${service.port}${h.path}`, { method: 'POST', headers: { 'Content-Type': h.type, Origin: ORIGIN, 'X-Forwarded-For': visitor() }, body: h.body })
            .then(async (res) => (await res.arrayBuffer(), res.status))
            .catch(() => 0); // the server closed a connection it would not read: refused, as meant
          answers.push({ name: h.name, status: status || 413, ms: performance.now() - started });
        }
      });
      const attacked = await ordinaryPosts(service.port);
      attacking = false;
      await Promise.all(attackers);

      const notRefused = answers.filter((a) => a.status < 400 || a.status >= 500);
      const hostileTimes = answers.map((a) => a.ms);
      console.log(`edge: ${POSTS} ordinary form posts, then the same while ${ATTACKERS} attackers send ${hostile.length} kinds of hostile body without pause`);
      for (const h of hostile) {
        const mine = answers.filter((a) => a.name === h.name);
        console.log(`  ${h.name.padEnd(38)} ${String(mine.length).padStart(5)} sent, answers ${[...new Set(mine.map((a) => a.status))].join('/')}, p99 ${round(percentile(mine.map((a) => a.ms), 99), 1)} ms`);
      }
      console.log(`  ordinary post p99: ${round(attacked.p99, 1)} ms under attack, ${round(baseline.p99, 1)} ms without (ratio ${round(attacked.p99 / baseline.p99, 2)}); ${attacked.failed + baseline.failed} not accepted`);
      console.log(`  hostile answers: p99 ${round(percentile(hostileTimes, 99), 1)} ms, max ${round(Math.max(...hostileTimes), 1)} ms; ${notRefused.length} not a 4xx`);
      console.log(
        JSON.stringify({
          bench: 'edge',
          p99_ms: round(attacked.p99, 1),
          baseline_p99_ms: round(baseline.p99, 1),
          ratio: round(attacked.p99 / baseline.p99, 3),
          hostile_p99_ms: round(percentile(hostileTimes, 99), 1),
          hostile_max_ms: round(Math.max(...hostileTimes), 1),
          hostile_not_4xx: notRefused.length,
        }),
      );
    } finally {
      await service.stop();
    }
  } finally {
    await database.close();
  }
}
