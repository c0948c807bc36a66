/**
 * `npm run bench -- intake`: web-form submissions per second through the whole service
 * (HTTP, validation, dedupe, person + capture + consent + timeline + audit in one
 * transaction), fired by autocannon, beside a baseline measured in the same run: the same
 * rows inserted straight through `pg`, one transaction per submission.
 */
import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { temporaryDatabase, round, startService } from './harness';

const ORIGIN = 'https://www.example.com';
const DURATION_S = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 32;
const RETURNING_SHARE = 0.3;
/** Distinct visitor addresses the posts come from (each stays well under the per-IP limit in a run). */
const VISITORS = 20_000;
let visits = 0;
const visitor = () => {
  const n = visits++ % VISITORS;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
};

/** Submissions: mostly new people, some returning (an address seen before). */
function* submissions(): Generator<Record<string, string>> {
  const seen: string[] = [];
  for (let i = 0; ; i++) {
    const returning = seen.length > 100 && Math.random() < RETURNING_SHARE;
    const email = returning ? seen[Math.floor(Math.random() * seen.length)] : `lead${i}.${randomUUID().slice(0, 8)}@example.no`;
    if (!returning) seen.push(email);
    yield {
      'your-name': `Bench Person${i}`,
      'your-email': email,
      'tel-734': `+47 4${String(1000000 + (i % 8999999)).slice(-7)}`,
      'your-company': `Company ${i % 500}`,
      // Each text its own: near-identical bursts would be held by screening, which is not what this measures.
      'your-message': `We would like an expert’s take on our project ${i.toString(26).replace(/\d/g, (d) => 'qrstuvwxyz'[Number(d)])}.\nMore details follow.`,
      'menu-inquiry': 'expert',
      'acceptance-updates': '1',
    };
  }
}

async function serviceRun(database: { url: string; appUrl: string }): Promise<{ rate: number; p99: number; accepted: number; errors: number }> {
  const pool = new Pool({ connectionString: database.url, max: 1 });
  await pool.query(
    `INSERT INTO intake_form (key, name, allowed_origins, field_mapping, default_inquiry_type, inquiry_type_values, consent_fields, signing_secret)
     VALUES ('bench', 'Bench form', $1, $2, 'other', $3, $4, 'not-used')`,
    [[ORIGIN], { 'your-name': 'name', 'your-email': 'email', 'tel-734': 'phone', 'your-company': 'company', 'your-message': 'request', 'menu-inquiry': 'inquiryType' }, { expert: 'expert_take' }, { 'acceptance-updates': 'service_updates' }],
  );
  await pool.end();
  // A flood comes from many visitors: each submission names one of VISITORS addresses (behind a
  // proxy, as production runs), so the default per-IP and per-sender limits stay on and are
  // counted as they would be. (All from 127.0.0.1 with the limits lifted, every arrival's per-IP
  // count read the whole run's arrivals: a case the default limit makes impossible.)
  const service = await startService(database, { TRUST_PROXY: '127.0.0.1' });
  try {
    const next = submissions();
    const result = await autocannon({
      url: `http://127.0.0.1:${service.port}/api/intake/forms/bench`,
      connections: CONNECTIONS,
      duration: DURATION_S,
      requests: [
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN },
          setupRequest: (req) => ({ ...req, headers: { ...req.headers, 'x-forwarded-for': visitor() }, body: new URLSearchParams(next.next().value!).toString() }),
        },
      ],
    });
    const accepted = result['2xx'];
    return { rate: accepted / DURATION_S, p99: result.latency.p99, accepted, errors: result.non2xx + result.errors };
  } finally {
    await service.stop();
  }
}

/** The floor: the same rows, one transaction each, straight through pg with no service in between. */
async function baselineRun(url: string): Promise<number> {
  const pool = new Pool({ connectionString: url, max: 10 });
  const next = submissions();
  const deadline = Date.now() + DURATION_S * 1000;
  let done = 0;
  const worker = async () => {
    while (Date.now() < deadline) {
      const s = next.next().value!;
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const { rows } = await client.query(
          `INSERT INTO person (first_name, last_name, email, phone, company_name) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (email) WHERE email IS NOT NULL DO UPDATE SET updated_at = now() RETURNING id`,
          ['Bench', s['your-name'], s['your-email'], s['tel-734'].replace(/\s/g, ''), s['your-company']],
        );
        const personId = rows[0].id;
        const capture = await client.query(
          `INSERT INTO capture (person_id, source, source_ref, received_at, content_type, raw_body, payload, mapped, request, inquiry_type, legal_bases, consents_given, policy_version, retention_anchor, retention_anchor_at, retention_due_at, actor_type)
           VALUES ($1, 'web_form', 'bench', now(), 'application/x-www-form-urlencoded', $2, $3, $4, $5, 'expert_take', $6, '{service_updates}', 'en-1', 'collection', now(), now() + interval '8 years', 'anonymous') RETURNING id`,
          [personId, new URLSearchParams(s).toString(), s, { email: s['your-email'] }, s['your-message'], { handle_request: 'contract' }],
        );
        const captureId = capture.rows[0].id;
        await client.query(`INSERT INTO consent_event (person_id, purpose, action, source, capture_id, policy_version, wording, actor_type) VALUES ($1, 'service_updates', 'granted', 'web_form', $2, 'en-1', 'wording', 'anonymous')`, [personId, captureId]);
        await client.query(`INSERT INTO activity (person_id, type, occurred_at, capture_id, actor_type) VALUES ($1, 'capture', now(), $2, 'anonymous')`, [personId, captureId]);
        await client.query(`INSERT INTO audit_log (actor_type, action, entity_type, entity_id) VALUES ('anonymous', 'person.created', 'person', $1)`, [personId]);
        await client.query('COMMIT');
        done++;
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      } finally {
        client.release();
      }
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  await pool.end();
  return done / ((Date.now() - started) / 1000);
}

export async function run(): Promise<void> {
  const service = await temporaryDatabase();
  const baseline = await temporaryDatabase();
  try {
    console.log(`intake: ${DURATION_S} s of form posts over ${CONNECTIONS} connections from ${VISITORS} visitor addresses (${Math.round(RETURNING_SHARE * 100)}% returning people), default limits`);
    const measured = await serviceRun(service);
    console.log(`  service:  ${round(measured.rate, 0)} accepted submissions/s, p99 ${measured.p99} ms (${measured.accepted} accepted, ${measured.errors} not)`);
    const baselineRate = await baselineRun(baseline.url);
    console.log(`  baseline: ${round(baselineRate, 0)} submissions/s (the same rows straight through pg, one transaction each)`);
    console.log(`  ratio:    ${round(measured.rate / baselineRate)} of the baseline`);
    console.log(JSON.stringify({ bench: 'intake', rate: round(measured.rate, 1), baseline_rate: round(baselineRate, 1), ratio: round(measured.rate / baselineRate, 3), p99_ms: measured.p99 }));
  } finally {
    await service.close();
    await baseline.close();
  }
}
