/**
 * `npm run bench -- hubspot`: 50,000 new people synced to the fake HubSpot under a
 * 190-per-10-s budget (a Professional account), through the real SDK and the real drain;
 * printed beside the ceiling that budget allows (1,900 contacts/s at 100 a batch), with the
 * requests in flight (the limiter should be the only limit). Then every one of them changed
 * again (updates by HubSpot id) with 10% of requests failing with a 5xx. At the end, proof that
 * the fake holds every contact exactly once, with the right properties, and that no property
 * holding a value was blanked (`wiped`; sales' values in HubSpot stay). Last, a fifth of them
 * changed once more with HubSpot answering 150 ms late: still the limiter's pace, not the round
 * trips'. BENCH_PEOPLE scales it.
 */
import type { INestApplication } from '@nestjs/common';
import { Pool } from 'pg';
import { createApp } from '../src/app';
import { loadEnvironment } from '../src/config/app-config';
import { HubspotSyncService } from '../src/hubspot/hubspot-sync.service';
import { FakeHubSpot } from '../test/hubspot-fake/fake-hubspot';
import { round, temporaryDatabase } from './harness';

const PEOPLE = Number(process.env.BENCH_PEOPLE ?? 50_000);
const BUDGET = 190;
const CEILING = (BUDGET / 10) * 100;
const SLOW_MS = 150;

async function seed(pool: Pool): Promise<void> {
  await pool.query(`
    WITH p AS (
      INSERT INTO person (first_name, last_name, email, phone, position, company_name, status)
      SELECT 'Bench', 'Person ' || i, 'bench' || i || '@example.no', '+4740' || lpad(i::text, 6, '0'), 'CTO', 'Company ' || (i % 500), 'new'
        FROM generate_series(1, ${PEOPLE}) AS i RETURNING id
    ), c AS (
      INSERT INTO capture (person_id, source, source_ref, received_at, payload, mapped, inquiry_type, legal_bases, consents_given, policy_version,
                           retention_anchor, retention_anchor_at, retention_due_at, actor_type)
      SELECT id, 'web_form', 'bench', now(), '{}', '{}', 'expert_take', '{"handle_request":"contract","communication_history":"legitimate_interest"}',
             '{service_updates}', 'en-1', 'collection', now(), now() + interval '8 years', 'system' FROM p RETURNING id, person_id
    ), ce AS (
      INSERT INTO consent_event (person_id, purpose, action, source, capture_id, policy_version, wording, actor_type)
      SELECT person_id, 'service_updates', 'granted', 'web_form', id, 'en-1', 'wording', 'system' FROM c
    )
    INSERT INTO hubspot_outbox (person_id, kind) SELECT person_id, 'upsert' FROM c`);
  // What autovacuum does within its first minute (the outbox is set to be analysed after 1% changes).
  await pool.query(`ANALYZE person, capture, consent_event, hubspot_outbox`);
}

/** Drains until nothing waits; rows backing off after a failure are waited for. */
interface Run {
  seconds: number;
  /** Requests sent and not yet answered, on average. */
  inFlight: number;
  /** Requests ready and waiting for the limiter, on average: above 0, the limiter is the only limit. */
  waiting: number;
}

async function syncAll(sync: HubspotSyncService, pool: Pool): Promise<Run> {
  const started = Date.now();
  let samples = 0;
  let sending = 0;
  let waiting = 0;
  const sampler = setInterval(() => {
    samples++;
    sending += sync.requests.sending;
    waiting += sync.requests.waiting;
  }, 5);
  try {
    for (;;) {
      await sync.drain();
      const [{ left, next }] = (await pool.query(`SELECT count(*)::int AS left, min(available_at) AS next FROM hubspot_outbox WHERE done_at IS NULL AND failed_at IS NULL`)).rows;
      if (left === 0) return { seconds: (Date.now() - started) / 1000, inFlight: sending / Math.max(1, samples), waiting: waiting / Math.max(1, samples) };
      await new Promise((r) => setTimeout(r, Math.max(20, new Date(next).getTime() - Date.now())));
    }
  } finally {
    clearInterval(sampler);
  }
}

function verify(fake: FakeHubSpot, jobTitle: string): { lost: number; duplicated: number; wrong: number } {
  const contacts = fake.contacts();
  const seen = new Map<string, number>();
  let wrong = 0;
  for (const c of contacts) {
    seen.set(c.properties.email, (seen.get(c.properties.email) ?? 0) + 1);
    const i = /^bench(\d+)@example\.no$/.exec(c.properties.email)?.[1];
    const p = c.properties;
    if (!i || p.lastname !== `Person ${i}` || p.firstname !== 'Bench' || p.jobtitle !== jobTitle || !p.hs_legal_basis || p.crm_consent_service_updates !== 'granted' || p.lifecyclestage !== 'lead') wrong++;
  }
  let lost = 0;
  for (let i = 1; i <= PEOPLE; i++) if (!seen.has(`bench${i}@example.no`)) lost++;
  const duplicated = [...seen.values()].reduce((sum, n) => sum + (n - 1), 0) + (contacts.length - seen.size);
  return { lost, duplicated, wrong };
}

export async function run(): Promise<void> {
  const database = await temporaryDatabase();
  const fake = new FakeHubSpot({ rateLimit: { perTenSeconds: BUDGET } });
  const { url } = await fake.start();
  const pool = new Pool({ connectionString: database.url, max: 2 });
  pool.on('error', (e) => console.error('bench pool', e.message));
  let app: INestApplication | undefined;
  try {
    const env = loadEnvironment({ LOG_LEVEL: 'silent', JOBS_ENABLED: 'false', HUBSPOT_ACCESS_TOKEN: 'bench', HUBSPOT_BASE_URL: url, HUBSPOT_RATE_LIMIT_PER_10S: String(BUDGET), ...(process.env.HUBSPOT_SENDERS ? { HUBSPOT_SENDERS: process.env.HUBSPOT_SENDERS } : {}) });
    app = await createApp({ ...env, databaseUrl: database.url, databaseAppUrl: database.appUrl, jwtSecret: 'x'.repeat(32) });
    await app.init();
    const sync = app.get(HubspotSyncService);
    await sync.prepare();
    await seed(pool);
    console.log(`hubspot: ${PEOPLE} people, budget ${BUDGET} requests per rolling 10 s (ceiling ${CEILING} contacts/s at 100 a batch)`);

    const { seconds, inFlight, waiting } = await syncAll(sync, pool);
    const rate = PEOPLE / seconds;
    const clean = verify(fake, 'CTO');
    const rateLimited = fake.counters.rateLimited;
    const requestsBefore = fake.counters.requests;
    console.log(`  clean:       ${round(rate, 0)} contacts/s (${round(seconds, 1)} s), ${round(rate / CEILING, 3)} of the ceiling, ${rateLimited} requests rate-limited, requests in flight ${round(inFlight, 2)} and waiting for the limiter ${round(waiting, 2)} on average (${env.HUBSPOT_SENDERS} senders), lost ${clean.lost}, duplicated ${clean.duplicated}, wrong ${clean.wrong}`);

    // Again, every contact changed, with one request in ten failing.
    fake.failRate(0.1, 502, 42);
    await pool.query(`UPDATE person SET position = 'CEO'`);
    await pool.query(`INSERT INTO hubspot_outbox (person_id, kind) SELECT id, 'upsert' FROM person`);
    const faultyRun = await syncAll(sync, pool);
    const rateWithFaults = PEOPLE / faultyRun.seconds;
    const faulty = verify(fake, 'CEO');
    const [{ failed }] = (await pool.query(`SELECT count(*)::int AS failed FROM person WHERE sync_state <> 'synced'`)).rows;
    const wiped = fake.counters.blanked;
    console.log(`  10% 5xx:     ${round(rateWithFaults, 0)} contacts/s (${round(faultyRun.seconds, 1)} s), ${fake.counters.serverErrors} of ${fake.counters.requests - requestsBefore} requests failed and were retried, in flight ${round(faultyRun.inFlight, 2)}, waiting ${round(faultyRun.waiting, 2)}, lost ${faulty.lost}, duplicated ${faulty.duplicated}, wrong ${faulty.wrong}, not synced ${failed}`);

    // A slower HubSpot (every answer 150 ms late, as over a long link): a fifth of them changed again.
    fake.failRate(0);
    const slowPeople = Math.ceil(PEOPLE / 5);
    await pool.query(`UPDATE person SET position = 'CFO' WHERE id IN (SELECT id FROM person ORDER BY id LIMIT $1)`, [slowPeople]);
    await pool.query(`INSERT INTO hubspot_outbox (person_id, kind) SELECT id, 'upsert' FROM person WHERE position = 'CFO'`);
    await pool.query(`ANALYZE hubspot_outbox`);
    fake.delayNext(1_000_000, SLOW_MS);
    const slowRun = await syncAll(sync, pool);
    fake.clearFaults();
    const slowRate = slowPeople / slowRun.seconds;
    console.log(`  slow answers: ${round(slowRate, 0)} contacts/s (${slowPeople} people, ${round(slowRun.seconds, 1)} s) with HubSpot answering ${SLOW_MS} ms late, ${round(slowRate / CEILING, 3)} of the ceiling, in flight ${round(slowRun.inFlight, 2)}, waiting ${round(slowRun.waiting, 2)}`);
    console.log(`  wiped:       ${wiped} properties holding a value were blanked`);
    console.log(
      JSON.stringify({
        bench: 'hubspot', contacts: PEOPLE, rate: round(rate, 1), ceiling: CEILING, ratio: round(rate / CEILING, 3), in_flight: round(inFlight, 2), waiting_for_limiter: round(waiting, 2), rate_limited: rateLimited,
        lost: Math.max(clean.lost, faulty.lost), duplicated: Math.max(clean.duplicated, faulty.duplicated), wiped, rate_with_faults: round(rateWithFaults, 1),
        rate_slow_hubspot: round(slowRate, 1), ratio_slow_hubspot: round(slowRate / CEILING, 3),
      }),
    );
  } finally {
    await app?.close();
    await pool.end();
    await fake.stop();
    await database.close();
  }
}
