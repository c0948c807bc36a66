/**
 * `npm run bench -- retention`: RETENTION_BENCH_PERSONS persons (default 1,000,000), one web-form
 * capture each, 10% of them past their clock. Times the sweep (bounded batches through leads'
 * eraser) beside one set-based SQL statement doing the same deletes on an identical copy (the
 * baseline), and the intake rate (captures through leads' writer) during the sweep beside the rate
 * without it.
 */
import type { INestApplication } from '@nestjs/common';
import { Pool } from 'pg';
import { runAsSystem } from '../src/access/access-context';
import { createApp } from '../src/app';
import { loadEnvironment } from '../src/config/app-config';
import { SYSTEM_ACTOR } from '../src/domain/actor';
import { LeadsService } from '../src/leads/leads.service';
import { RetentionService } from '../src/leads/retention.service';
import { round, temporaryDatabase } from './harness';

const PERSONS = Number(process.env.RETENTION_BENCH_PERSONS ?? 1_000_000);
const INTAKE_SECONDS = 3;
const ASOF = new Date('2026-01-01T00:00:00Z');

/** Persons and captures; every tenth person's capture is due before ASOF. */
async function seed(pool: Pool): Promise<void> {
  await pool.query(`DELETE FROM capture; DELETE FROM hubspot_outbox; DELETE FROM person; DELETE FROM hubspot_suppression`);
  await pool.query(
    `INSERT INTO person (id, first_name, email, sync_state) SELECT gen_random_uuid(), 'P' || n, 'p' || n || '@bench.test', 'synced' FROM generate_series(1, $1) n`,
    [PERSONS],
  );
  await pool.query(
    `INSERT INTO capture (id, person_id, source, received_at, payload, mapped, request, legal_bases, policy_version, retention_anchor, retention_anchor_at, retention_due_at, actor_type)
     SELECT gen_random_uuid(), p.id, 'web_form', at, jsonb_build_object('email', p.email), jsonb_build_object('email', p.email), 'hello', '{}', 'en-1', 'collection', at, at + interval '8 years', 'anonymous'
       FROM (SELECT id, email, CASE WHEN row_number() OVER () % 10 = 0 THEN timestamptz '2017-01-01' ELSE timestamptz '2024-01-01' END AS at FROM person) p`,
  );
  await pool.query('VACUUM ANALYZE person');
  await pool.query('VACUUM ANALYZE capture');
}

/** Captures through leads' writer, one after another, for a fixed time: captures per second. */
async function intakeRate(leads: LeadsService, seconds: number, until?: Promise<unknown>): Promise<number> {
  let n = 0;
  let done = false;
  void until?.then(() => (done = true));
  const start = Date.now();
  while (Date.now() - start < seconds * 1000 && !done) {
    await runAsSystem('bench', () =>
      leads.capture(SYSTEM_ACTOR, { source: 'web_form', receivedAt: new Date(), payload: { n }, person: { email: `intake${n}-${start}@bench.test` }, request: 'hi', inquiryType: 'other', consents: [] }),
    );
    n++;
  }
  return n / ((Date.now() - start) / 1000);
}

export async function run(): Promise<void> {
  const database = await temporaryDatabase();
  const pool = new Pool({ connectionString: database.url, max: 2 });
  let app: INestApplication | undefined;
  try {
    console.log(`retention: ${PERSONS} persons, 10% due (RETENTION_BENCH_PERSONS to change)`);
    await seed(pool);
    const due = PERSONS / 10;
    // Baseline: the same deletes as one set-based statement per table.
    let t0 = Date.now();
    await pool.query(`
      WITH d AS (SELECT p.id FROM person p WHERE NOT EXISTS (SELECT 1 FROM capture c WHERE c.person_id = p.id AND c.retention_due_at > '${ASOF.toISOString()}')),
           c AS (UPDATE capture SET payload = '{}', mapped = '{}', request = NULL, raw_body = NULL WHERE person_id IN (SELECT id FROM d) RETURNING 1)
      UPDATE person SET first_name = NULL, email = NULL, erased_at = now() WHERE id IN (SELECT id FROM d)`);
    const baseline = (Date.now() - t0) / 1000;
    console.log(`  baseline (one statement): ${round(baseline, 2)} s, ${round(due / baseline, 0)} persons/s`);

    await seed(pool);
    const env = loadEnvironment({ LOG_LEVEL: 'silent', JOBS_ENABLED: 'false' });
    app = await createApp({ ...env, databaseUrl: database.url, databaseAppUrl: database.appUrl, jwtSecret: 'x'.repeat(32) });
    const leads = app.get(LeadsService);
    const retention = app.get(RetentionService);
    const quiet = await intakeRate(leads, INTAKE_SECONDS);
    t0 = Date.now();
    const sweeping = retention.sweep({ asOf: ASOF });
    const during = await intakeRate(leads, INTAKE_SECONDS, sweeping);
    const report = await sweeping;
    const seconds = (Date.now() - t0) / 1000;
    const erased = Object.values(report.personsErased).reduce((a, b) => a + b, 0);
    if (erased !== due) throw new Error(`the sweep erased ${erased} persons, ${due} were due`);
    console.log(`  sweep (batches of ${RetentionService.BATCH}): ${round(seconds, 2)} s, ${round(due / seconds, 0)} persons/s, ${report.batches} batches; ${round(seconds / baseline, 2)}x the baseline`);
    console.log(`  intake: ${round(quiet, 1)} captures/s without the sweep, ${round(during, 1)} during it (${round(during / quiet, 3)})`);
    console.log(JSON.stringify({ bench: 'retention', seconds: round(seconds, 3), baseline_seconds: round(baseline, 3), ratio: round(seconds / baseline, 3), intake_ratio: round(during / quiet, 3) }));
  } finally {
    await app?.close();
    await pool.end();
    await database.close();
  }
}
