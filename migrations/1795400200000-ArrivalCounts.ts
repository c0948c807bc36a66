import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The public intake's rate limits and burst check count recent arrivals by IP, sender and text
 * fingerprint. Under row-level security every counted row is checked against the policy, which
 * needs the row itself: the counts lost their index-only scans and slowed every submission as
 * the table grew. Counting is the system's job and returns numbers only, so it runs here as the
 * owner, and only for the system identity.
 */
export class ArrivalCounts1795400200000 implements MigrationInterface {
  name = 'ArrivalCounts1795400200000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE FUNCTION crm_arrival_counts(from_ip inet, from_sender text, with_fingerprint text)
      RETURNS TABLE (by_ip integer, ip_oldest timestamptz, by_sender integer, sender_oldest timestamptz, near_copies integer)
      LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
      BEGIN
        IF current_setting('crm.identity', true) IS DISTINCT FROM 'system' THEN
          RAISE EXCEPTION 'arrival counts are for the intake itself' USING ERRCODE = '42501';
        END IF;
        RETURN QUERY SELECT
          (SELECT count(*)::int FROM intake_submission s WHERE from_ip IS NOT NULL AND s.ip = from_ip AND s.received_at > now() - interval '1 minute'),
          (SELECT min(s.received_at) FROM intake_submission s WHERE from_ip IS NOT NULL AND s.ip = from_ip AND s.received_at > now() - interval '1 minute'),
          (SELECT count(*)::int FROM intake_submission s WHERE from_sender IS NOT NULL AND s.sender_email = from_sender AND s.received_at > now() - interval '1 hour'),
          (SELECT min(s.received_at) FROM intake_submission s WHERE from_sender IS NOT NULL AND s.sender_email = from_sender AND s.received_at > now() - interval '1 hour'),
          (SELECT count(*)::int FROM intake_submission s WHERE with_fingerprint IS NOT NULL AND s.text_fingerprint = with_fingerprint AND s.received_at > now() - interval '10 minutes');
      END $fn$`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION crm_arrival_counts(inet, text, text)`);
  }
}
