import type { QueueDefinition } from '../common/job-queue';
import { EVENT_IMPORT_GIVE_UP, EVENT_IMPORT_PURGE, EVENT_IMPORT_RUN, IMPORT_RUNS } from '../events/event-import.job';

export const HUBSPOT_DRAIN = 'hubspot.drain';
export const QUARANTINE_PURGE = 'quarantine.purge';
export const MAIL_POLL = 'mail.poll';
export const RETENTION_SWEEP = 'retention.sweep';
export const PRIVACY_REMINDERS = 'privacy.reminders';
export const SESSIONS_PURGE = 'sessions.purge';
export const FORM_TRAP_REPORT = 'intake.trap-report';

/** What starts a job: a cron line (pg-boss's, UTC), an ask every few seconds, or a send by a feature. */
export type JobTrigger = { cron: string } | { askEverySeconds: number } | { sentBy: string };

export interface JobEntry {
  name: string;
  /** What it does, in a sentence. */
  does: string;
  trigger: JobTrigger;
  /** Worked only when this is configured (otherwise its schedule is removed). */
  needs?: 'hubspot' | 'imap';
  /** The queue's policy, retries, expiry (longest run before pg-boss retries it elsewhere) and dead-letter queue. */
  queue: Omit<QueueDefinition, 'name'>;
  /** How this instance's worker polls (pg-boss's default: every 2 s). */
  pollingIntervalSeconds?: number;
}

/**
 * Every background job, in one place. Each runs on pg-boss (a queue in PostgreSQL): any instance
 * with JOBS_ENABLED may take a job, a job that fails or whose runner dies (it outlives its
 * expiry) is retried, and a singleton or stately queue keeps two instances from running the
 * same work at once. JobsService registers each of them; any instance may send one.
 */
export const JOB_CATALOGUE = [
  {
    name: HUBSPOT_DRAIN,
    does: 'Sends the HubSpot outbox (person upserts, erasures) within the rate limit.',
    // Asked for every two seconds; pg-boss keeps one ask per window across all instances, and the
    // drain's SKIP LOCKED claims keep two running drains from sending anything twice.
    trigger: { askEverySeconds: 2 },
    needs: 'hubspot',
    queue: { retryLimit: 5, retryBackoff: true },
    pollingIntervalSeconds: 1,
  },
  {
    name: QUARANTINE_PURGE,
    does: 'Deletes held arrivals past the quarantine retention period, unclaimed chatbot conversations, and web-form post keys older than 24 hours.',
    trigger: { cron: '17 3 * * *' },
    queue: {},
  },
  {
    name: RETENTION_SWEEP,
    does: 'Empties captures whose retention clock ended and erases persons with no running clock (policy 8), in bounded batches.',
    // One sweep at a time across all instances; an interrupted one is resumed by the next (each batch looks afresh for what is due).
    trigger: { cron: '41 2 * * *' },
    queue: { policy: 'singleton', expireInSeconds: 60 * 60 },
  },
  {
    name: FORM_TRAP_REPORT,
    does: 'E-mails the admins the web forms that held more than half of their last day’s posts for a bot trap.',
    trigger: { cron: '13 7 * * *' },
    queue: { policy: 'singleton' },
  },
  {
    name: SESSIONS_PURGE,
    does: 'Deletes staff sign-in sessions (refresh-token hashes) expired or revoked over a day ago.',
    trigger: { cron: '23 3 * * *' },
    queue: { policy: 'singleton' },
  },
  {
    name: PRIVACY_REMINDERS,
    does: 'E-mails the DPO about each open privacy request a week before it falls due (once per request).',
    // Each request is claimed (marked reminded) in the statement that finds it: two runs never mail twice.
    trigger: { cron: '7 6 * * *' },
    queue: { policy: 'singleton' },
  },
  {
    name: MAIL_POLL,
    does: 'Takes unread mail from the shared inbox (IMAP).',
    // One poll at a time across all instances; a failed poll is only logged, the next minute's reconnects and takes what was left.
    trigger: { cron: '* * * * *' },
    needs: 'imap',
    queue: { policy: 'singleton' },
  },
  {
    name: EVENT_IMPORT_RUN,
    does: 'Imports one attendee list, batch by batch after its last committed batch; one job per queued import.',
    trigger: { sentBy: 'an upload with dryRun=false, or POST /api/events/{id}/imports/{importId}/run (in the transaction that queues the import)' },
    queue: {
      // One job per import at a time (singletonKey = the import's id): never two runners on one import.
      policy: 'stately',
      // Stopped, failed or abandoned runs are retried and resume after the last committed batch.
      retryLimit: IMPORT_RUNS - 1,
      retryDelay: 5,
      // A runner that died holds its import this long; the largest list (50 MiB) takes a minute or two.
      expireInSeconds: 10 * 60,
      deadLetter: EVENT_IMPORT_GIVE_UP,
    },
  },
  {
    name: EVENT_IMPORT_GIVE_UP,
    does: 'Marks an import failed when pg-boss gave up on its run job (every retry used: crashed or stopped each time).',
    trigger: { sentBy: `pg-boss, as the dead-letter queue of ${EVENT_IMPORT_RUN}` },
    queue: {},
  },
  {
    name: EVENT_IMPORT_PURGE,
    does: 'Deletes stored attendee files never imported, and every import’s rejected lines, after EVENT_IMPORT_KEEP_DAYS.',
    trigger: { cron: '41 * * * *' },
    queue: {},
  },
] as const satisfies readonly JobEntry[];

export type JobName = (typeof JOB_CATALOGUE)[number]['name'];
