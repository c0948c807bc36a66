import { freePort } from '../../bench/harness';
import { JobQueue } from '../../src/common/job-queue';
import { EVENT_IMPORT_PURGE, EVENT_IMPORT_RUN } from '../../src/events/event-import.job';
import { JOB_CATALOGUE, type JobEntry } from '../../src/jobs/job-catalogue';
import { FakeHubSpot } from '../hubspot-fake/fake-hubspot';
import { startTestApp, type TestApp } from '../helpers/app';
import { createTestDatabase } from '../helpers/database';
import { IMAP_PASSWORD, IMAP_USER } from '../helpers/imap';

const catalogue = JOB_CATALOGUE as readonly JobEntry[];
const as = (token: string) => ({ Authorization: `Bearer ${token}` });
const crlf = (...lines: string[]) => `${lines.join('\r\n')}\r\n`;

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not by the deadline`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('background jobs: the catalogue on pg-boss', () => {
  it('with JOBS_ENABLED and every integration configured, each job of the catalogue is worked, with its queue options and schedule', async () => {
    const fake = new FakeHubSpot();
    const { url } = await fake.start();
    const t = await startTestApp({
      env: { JOBS_ENABLED: 'true', HUBSPOT_ACCESS_TOKEN: 'token', HUBSPOT_BASE_URL: url, IMAP_HOST: '127.0.0.1', IMAP_PORT: String(await freePort()), IMAP_USER, IMAP_PASSWORD, IMAP_TLS: 'false' },
    });
    try {
      expect([...t.app.get(JobQueue).working()].sort()).toEqual(catalogue.map((j) => j.name).sort());
      const queues = await t.owner.query(
        `SELECT name, policy, retry_limit, retry_delay, retry_backoff, expire_seconds, dead_letter FROM pgboss.queue WHERE name = ANY($1) ORDER BY name`,
        [catalogue.map((j) => j.name)],
      );
      expect(queues).toEqual(
        [...catalogue]
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((j) => ({
            name: j.name,
            policy: j.queue.policy ?? 'standard',
            ...(j.queue.retryLimit !== undefined ? { retry_limit: j.queue.retryLimit } : {}),
            ...(j.queue.retryDelay !== undefined ? { retry_delay: j.queue.retryDelay } : {}),
            ...(j.queue.retryBackoff !== undefined ? { retry_backoff: j.queue.retryBackoff } : {}),
            ...(j.queue.expireInSeconds !== undefined ? { expire_seconds: j.queue.expireInSeconds } : {}),
            dead_letter: j.queue.deadLetter ?? null,
          }))
          .map((expected) => expect.objectContaining(expected)),
      );
      const crons = catalogue.flatMap((j) => ('cron' in j.trigger ? [{ name: j.name, cron: j.trigger.cron }] : []));
      expect(await t.owner.query(`SELECT name, cron FROM pgboss.schedule ORDER BY name`)).toEqual(crons.sort((a, b) => a.name.localeCompare(b.name)));
    } finally {
      await t.close();
      await fake.stop();
    }
  });

  it('without HubSpot or an inbox, their jobs are not worked and the mail poll is not scheduled', async () => {
    const t = await startTestApp({ env: { JOBS_ENABLED: 'true' } });
    try {
      const unconfigured = catalogue.filter((j) => j.needs).map((j) => j.name);
      expect(unconfigured.sort()).toEqual(['hubspot.drain', 'mail.poll']);
      expect([...t.app.get(JobQueue).working()].sort()).toEqual(catalogue.filter((j) => !j.needs).map((j) => j.name).sort());
      expect((await t.owner.query(`SELECT name FROM pgboss.schedule`)).map((r: { name: string }) => r.name)).not.toContain('mail.poll');
    } finally {
      await t.close();
    }
  });

  it('with JOBS_ENABLED=false an instance runs nothing but still sends: its import waits, queued, for an instance that runs jobs', async () => {
    const db = await createTestDatabase();
    const api = await startTestApp({ db, env: { JOBS_ENABLED: 'false' } });
    let worker: TestApp | undefined;
    try {
      const staff = await api.userWith('event_staff');
      const ev = await api.http().post('/api/events').set(as(staff.token)).send({ name: 'API only', date: '2025-09-10', place: 'Oslo', organiserName: 'Org', organiserContact: 'o@org.example' }).expect(201);
      const res = await api.http().post(`/api/events/${ev.body.id}/imports?dryRun=false`).set(as(staff.token)).attach('file', Buffer.from(crlf('Email,First Name', 'api@only.example,Api')), 'list.csv').expect(202);
      expect(api.app.get(JobQueue).working()).toEqual([]);
      expect(await api.owner.query(`SELECT count(*)::int AS n FROM pgboss.schedule`)).toEqual([{ n: 0 }]);
      // The job was sent with the import (same transaction), and waits.
      const [job] = await api.owner.query(`SELECT j.state, j.singleton_key FROM pgboss.job j JOIN event_import i ON i.job_id = j.id WHERE j.name = $1 AND i.id = $2`, [EVENT_IMPORT_RUN, res.body.id]);
      expect(job).toEqual({ state: 'created', singleton_key: res.body.id });

      worker = await startTestApp({ db, env: { JOBS_ENABLED: 'true' } });
      await until('the import done by the other instance', async () => (await api.http().get(`/api/events/${ev.body.id}/imports/${res.body.id}`).set(as(staff.token)).expect(200)).body.status === 'done');
      expect(await api.owner.query(`SELECT first_name FROM person WHERE email = 'api@only.example'`)).toEqual([{ first_name: 'Api' }]);
    } finally {
      await worker?.close();
      await api.close();
      await db.drop();
    }
  });

  it('an import left queued or running without a job (by the poller this replaced) is given one when an instance with jobs starts, and resumes', async () => {
    const db = await createTestDatabase();
    const api = await startTestApp({ db, env: { JOBS_ENABLED: 'false' } });
    let worker: TestApp | undefined;
    try {
      const staff = await api.userWith('event_staff');
      const ev = await api.http().post('/api/events').set(as(staff.token)).send({ name: 'Adopted', date: '2025-09-10', place: 'Oslo', organiserName: 'Org', organiserContact: 'o@org.example' }).expect(201);
      const file = crlf('Email,First Name', 'one@adopted.example,One', 'two@adopted.example,Two');
      const dry = await api.http().post(`/api/events/${ev.body.id}/imports`).set(as(staff.token)).attach('file', Buffer.from(file), 'list.csv').expect(201);
      // As the old runner left it: running, line 2 committed, no job.
      await api.owner.query(
        `UPDATE event_import SET status = 'running', job_id = NULL, runner_token = gen_random_uuid(), attempts = 1, done_through_line = 2, processed_rows = 1,
                outcome = '{"rows":1,"newPersons":1,"matchedPersons":0,"registrations":1,"alreadyRegistered":0,"notAttending":0,"duplicateRows":0,"rejectedRows":0}' WHERE id = $1`,
        [dry.body.id],
      );
      worker = await startTestApp({ db, env: { JOBS_ENABLED: 'true' } });
      await until('the adopted import done', async () => (await api.http().get(`/api/events/${ev.body.id}/imports/${dry.body.id}`).set(as(staff.token)).expect(200)).body.status === 'done');
      expect(await api.owner.query(`SELECT email FROM person WHERE email LIKE '%@adopted.example'`)).toEqual([{ email: 'two@adopted.example' }]);
      const [{ job_id }] = await api.owner.query(`SELECT job_id FROM event_import WHERE id = $1`, [dry.body.id]);
      // Its job completes right after the import is done.
      await until('the adopted job completed', async () => (await api.owner.query(`SELECT state FROM pgboss.job WHERE name = $1 AND id = $2`, [EVENT_IMPORT_RUN, job_id]))[0]?.state === 'completed');
    } finally {
      await worker?.close();
      await api.close();
      await db.drop();
    }
  });

  it(`${EVENT_IMPORT_PURGE}: stored files of uploads never imported, and rejected lines, go after EVENT_IMPORT_KEEP_DAYS; newer ones and queued imports stay`, async () => {
    const t = await startTestApp({ env: { JOBS_ENABLED: 'true', EVENT_IMPORT_KEEP_DAYS: '30' } });
    try {
      const staff = await t.userWith('event_staff');
      const ev = await t.http().post('/api/events').set(as(staff.token)).send({ name: 'Purge', date: '2025-09-10', place: 'Oslo', organiserName: 'Org', organiserContact: 'o@org.example' }).expect(201);
      const upload = async (tag: string) =>
        (await t.http().post(`/api/events/${ev.body.id}/imports`).set(as(staff.token)).attach('file', Buffer.from(crlf('Email,First Name', `${tag}@purge.example,${tag}`, 'not-an-address,Bad')), `${tag}.csv`).expect(201)).body.id as string;
      const [old, recent, queued] = [await upload('old'), await upload('recent'), await upload('queued')];
      await t.owner.query(`UPDATE event_import SET updated_at = now() - interval '31 days' WHERE id = ANY($1)`, [[old, queued]]);
      // A queued import keeps its file whatever its age (it is about to be imported).
      await t.owner.query(`UPDATE event_import SET status = 'queued' WHERE id = $1`, [queued]);
      const stored = async (id: string) => ({
        chunks: Number((await t.owner.query(`SELECT count(*) AS n FROM event_import_chunk WHERE import_id = $1`, [id]))[0].n),
        rejections: Number((await t.owner.query(`SELECT count(*) AS n FROM event_import_rejection WHERE import_id = $1`, [id]))[0].n),
      });
      expect(await stored(old)).toEqual({ chunks: 1, rejections: 1 });

      await t.app.get(JobQueue).send(EVENT_IMPORT_PURGE, {});
      await until('the purge job', async () => (await stored(old)).chunks === 0);
      expect(await stored(old)).toEqual({ chunks: 0, rejections: 0 });
      expect((await t.owner.query(`SELECT file_deleted_at FROM event_import WHERE id = $1`, [old]))[0].file_deleted_at).not.toBeNull();
      expect(await stored(recent)).toEqual({ chunks: 1, rejections: 1 });
      expect(await stored(queued)).toEqual({ chunks: 1, rejections: 1 });
    } finally {
      await t.close();
    }
  });
});
