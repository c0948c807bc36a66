import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Customer data only for its account managers and the employees concerned (policy 6.2(8)),
 * enforced by PostgreSQL row-level security.
 *
 * The service's requests connect as a member of `crm_app`, which owns nothing, so the policies
 * apply to every statement it sends; migrations run as the owner. The application sets who it
 * works for on each connection it hands out (`crm.identity` = staff | system, `crm.user_id`,
 * `crm.roles`); without them no personal row is visible at all.
 *
 * Tables added by later migrations get `crm_app`'s privileges from the default privileges below,
 * and must enable row-level security themselves when they hold personal data.
 */

/** A person is hidden when they belong to an active customer the caller may not see. */
const PERSON_VISIBLE = (t: string) =>
  `crm_sees_all_customers() OR (${t}.customer_company_id IS NULL AND crm_is_identified()) OR ${t}.customer_company_id = ANY ((SELECT crm_visible_customers())::uuid[])`;

/** Rows that belong to one person follow the person's policy (the subquery is itself filtered). */
const ATTACHED_TO_PERSON = (t: string) => `crm_sees_all_customers() OR EXISTS (SELECT 1 FROM person p WHERE p.id = ${t}.person_id)`;

const POLICIES: Record<string, string> = {
  person: PERSON_VISIBLE('person'),
  company: `crm_sees_all_customers() OR (NOT company.is_customer AND crm_is_identified()) OR company.id = ANY ((SELECT crm_visible_customers())::uuid[])`,
  capture: ATTACHED_TO_PERSON('capture'),
  consent_event: ATTACHED_TO_PERSON('consent_event'),
  activity: ATTACHED_TO_PERSON('activity'),
  hubspot_outbox: ATTACHED_TO_PERSON('hubspot_outbox'),
  disclosure: `disclosure.person_id IS NULL AND crm_is_identified() OR ${ATTACHED_TO_PERSON('disclosure')}`,
  // Held arrivals have no person yet: one from a hidden customer's address is hidden with them.
  intake_submission: `crm_sees_all_customers() OR (crm_is_identified() AND NOT crm_email_hidden(intake_submission.sender_email))`,
  review_decision: `crm_sees_all_customers() OR (crm_is_identified() AND NOT crm_submission_hidden(review_decision.submission_id))`,
  audit_log: `crm_sees_all_customers() OR (crm_is_identified() AND NOT crm_entity_hidden(audit_log.entity_type, audit_log.entity_id))`,
};

export class CustomerAccess1795390000000 implements MigrationInterface {
  name = 'CustomerAccess1795390000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "account_manager" ("company_id" uuid NOT NULL, "user_id" uuid NOT NULL, "assigned_by" uuid, "assigned_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_account_manager" PRIMARY KEY ("company_id", "user_id"))`);
    await q.query(`CREATE INDEX "account_manager_user_idx" ON "account_manager" ("user_id") `);
    await q.query(`CREATE TABLE "customer_access_grant" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "company_id" uuid NOT NULL, "user_id" uuid NOT NULL, "reason" text NOT NULL, "granted_by" uuid, "granted_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE, "revoked_at" TIMESTAMP WITH TIME ZONE, "revoked_by" uuid, CONSTRAINT "PK_customer_access_grant" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "customer_access_grant_company_idx" ON "customer_access_grant" ("company_id", "granted_at") `);
    await q.query(`CREATE INDEX "customer_access_grant_user_idx" ON "customer_access_grant" ("user_id", "company_id") `);
    await q.query(`ALTER TABLE "person" ADD "customer_company_id" uuid`);
    await q.query(`CREATE INDEX "person_customer_company_idx" ON "person" ("customer_company_id") WHERE customer_company_id IS NOT NULL`);

    // person.customer_company_id follows company_id and the company's customer flag. The
    // functions run as their owner: they must see the company whoever changes the person.
    await q.query(`CREATE FUNCTION person_customer_company() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      BEGIN
        NEW.customer_company_id := (SELECT c.id FROM company c WHERE c.id = NEW.company_id AND c.is_customer);
        RETURN NEW;
      END $$`);
    await q.query(`CREATE TRIGGER person_customer_company BEFORE INSERT OR UPDATE OF company_id, customer_company_id ON person
      FOR EACH ROW WHEN (NEW.company_id IS NOT NULL OR NEW.customer_company_id IS NOT NULL) EXECUTE FUNCTION person_customer_company()`);
    await q.query(`CREATE FUNCTION company_customer_persons() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      BEGIN
        UPDATE person SET customer_company_id = CASE WHEN NEW.is_customer THEN NEW.id END
         WHERE company_id = NEW.id AND customer_company_id IS DISTINCT FROM (CASE WHEN NEW.is_customer THEN NEW.id END);
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER company_customer_persons AFTER UPDATE OF is_customer ON company
      FOR EACH ROW WHEN (OLD.is_customer IS DISTINCT FROM NEW.is_customer) EXECUTE FUNCTION company_customer_persons()`);
    await q.query(`UPDATE person p SET customer_company_id = c.id FROM company c WHERE c.id = p.company_id AND c.is_customer`);

    // Who the session works for. Unset (NULL) means no one: every test below is then false.
    await q.query(`CREATE FUNCTION crm_is_identified() RETURNS boolean LANGUAGE sql STABLE AS $$
      SELECT coalesce(current_setting('crm.identity', true) IN ('staff', 'system'), false) $$`);
    await q.query(`CREATE FUNCTION crm_sees_all_customers() RETURNS boolean LANGUAGE sql STABLE AS $$
      SELECT coalesce(current_setting('crm.identity', true) = 'system'
          OR (current_setting('crm.identity', true) = 'staff' AND 'admin' = ANY (string_to_array(current_setting('crm.roles', true), ','))), false) $$`);
    // The customers this staff user looks after or was granted (unexpired, unrevoked) right now.
    await q.query(`CREATE FUNCTION crm_visible_customers() RETURNS uuid[] LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
      SELECT coalesce(array_agg(DISTINCT s.company_id), '{}') FROM (
        SELECT am.company_id FROM account_manager am
         WHERE am.user_id = nullif(current_setting('crm.user_id', true), '')::uuid
           AND 'account_manager' = ANY (string_to_array(current_setting('crm.roles', true), ','))
        UNION ALL
        SELECT g.company_id FROM customer_access_grant g
         WHERE g.user_id = nullif(current_setting('crm.user_id', true), '')::uuid
           AND g.revoked_at IS NULL AND (g.expires_at IS NULL OR g.expires_at > now())
      ) s WHERE current_setting('crm.identity', true) = 'staff' $$`);
    // Whether an address, arrival or audited record belongs to a customer hidden from the caller:
    // answered as the owner, so a hidden person counts even though the caller cannot see them.
    await q.query(`CREATE FUNCTION crm_person_hidden(person_id uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
      SELECT coalesce((SELECT NOT (${PERSON_VISIBLE('p')}) FROM person p WHERE p.id = person_id), false) $$`);
    await q.query(`CREATE FUNCTION crm_email_hidden(address text) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
      SELECT address IS NOT NULL AND EXISTS (SELECT 1 FROM person p WHERE p.email = lower(address) AND NOT (${PERSON_VISIBLE('p')})) $$`);
    await q.query(`CREATE FUNCTION crm_submission_hidden(submission_id uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
      SELECT coalesce((SELECT crm_email_hidden(s.sender_email) FROM intake_submission s WHERE s.id = submission_id), false) $$`);
    await q.query(`CREATE FUNCTION crm_entity_hidden(entity_type text, entity_id text) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
      SELECT CASE
        WHEN entity_id IS NULL OR entity_id !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN false
        WHEN entity_type = 'person' THEN crm_person_hidden(entity_id::uuid)
        WHEN entity_type = 'company' THEN coalesce((SELECT c.is_customer AND NOT crm_sees_all_customers() AND NOT c.id = ANY (crm_visible_customers()) FROM company c WHERE c.id = entity_id::uuid), false)
        WHEN entity_type = 'intake_submission' THEN crm_submission_hidden(entity_id::uuid)
        ELSE false END $$`);
    // Staff search: row-level security keeps non-leakproof operators (LIKE) out of index scans, so
    // the matches are found here, as the owner, with the same visibility rule applied explicitly;
    // the caller's query still passes the policies on top. It returns the first k visible matches
    // in the caller's sort order after the caller's cursor, planned for this very pattern (EXECUTE),
    // so a common term walks the sort order and a rare one uses the trigram index, as they would
    // without the rule.
    await q.query(`CREATE FUNCTION crm_person_ids_matching(pattern text, sort text, descending boolean, after_key text, after_id uuid, k integer)
      RETURNS SETOF uuid LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp ROWS 100 AS $fn$
      DECLARE
        key text := CASE sort WHEN 'createdAt' THEN 'p.created_at' WHEN 'updatedAt' THEN 'p.updated_at'
                              WHEN 'name' THEN $k$lower(coalesce(p.last_name, '') || ' ' || coalesce(p.first_name, ''))$k$ END;
        dir text := CASE WHEN descending THEN 'DESC' ELSE 'ASC' END;
        after text := '';
      BEGIN
        IF key IS NULL THEN RAISE EXCEPTION 'unknown sort %', sort USING ERRCODE = '22023'; END IF;
        IF after_id IS NOT NULL THEN
          after := format('AND (%s, p.id) %s ($2::%s, $3)', key, CASE WHEN descending THEN '<' ELSE '>' END, CASE WHEN sort = 'name' THEN 'text' ELSE 'timestamptz' END);
        END IF;
        RETURN QUERY EXECUTE format($q$SELECT p.id FROM person p
          WHERE lower(coalesce(p.first_name, '') || ' ' || coalesce(p.last_name, '') || ' ' || coalesce(p.email, '') || ' ' || coalesce(p.company_name, '')) LIKE $1
            AND (${PERSON_VISIBLE('p')}) %s
          ORDER BY %s %s, p.id %s LIMIT $4$q$, after, key, dir, dir) USING pattern, after_key, after_id, k;
      END $fn$`);

    await q.query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'crm_app') THEN CREATE ROLE crm_app NOLOGIN; END IF;
    END $$`);
    await q.query(`GRANT USAGE ON SCHEMA public TO crm_app`);
    await q.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO crm_app`);
    await q.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO crm_app`);
    // Readiness reads which migrations ran; only the owner writes them.
    await q.query(`REVOKE INSERT, UPDATE, DELETE ON "migrations" FROM crm_app`);
    await q.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO crm_app`);
    await q.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO crm_app`);

    for (const [table, visible] of Object.entries(POLICIES)) {
      await q.query(`ALTER TABLE "${table}" ENABLE ROW LEVEL SECURITY`);
      // Seeing a row needs the rule; writing one needs an identity (a sales user may hand a lead
      // over to a customer, after which they no longer see it).
      // The audit log is written for every actor, the unidentified one included (a refused sign-in).
      const check = table === 'audit_log' ? 'true' : 'crm_is_identified()';
      await q.query(`CREATE POLICY "${table}_customer_access" ON "${table}" USING (${visible}) WITH CHECK (${check})`);
    }
  }

  public async down(q: QueryRunner): Promise<void> {
    for (const table of Object.keys(POLICIES)) {
      await q.query(`DROP POLICY "${table}_customer_access" ON "${table}"`);
      await q.query(`ALTER TABLE "${table}" DISABLE ROW LEVEL SECURITY`);
    }
    await q.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE, SELECT ON SEQUENCES FROM crm_app`);
    await q.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM crm_app`);
    await q.query(`REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM crm_app`);
    await q.query(`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM crm_app`);
    await q.query(`REVOKE USAGE ON SCHEMA public FROM crm_app`);
    // The role is the cluster's, shared by every database on it: it stays.
    await q.query(`DROP FUNCTION crm_person_ids_matching(text, text, boolean, text, uuid, integer)`);
    await q.query(`DROP FUNCTION crm_entity_hidden(text, text)`);
    await q.query(`DROP FUNCTION crm_submission_hidden(uuid)`);
    await q.query(`DROP FUNCTION crm_email_hidden(text)`);
    await q.query(`DROP FUNCTION crm_person_hidden(uuid)`);
    await q.query(`DROP FUNCTION crm_visible_customers()`);
    await q.query(`DROP FUNCTION crm_sees_all_customers()`);
    await q.query(`DROP FUNCTION crm_is_identified()`);
    await q.query(`DROP TRIGGER company_customer_persons ON company`);
    await q.query(`DROP FUNCTION company_customer_persons()`);
    await q.query(`DROP TRIGGER person_customer_company ON person`);
    await q.query(`DROP FUNCTION person_customer_company()`);
    await q.query(`DROP INDEX "public"."person_customer_company_idx"`);
    await q.query(`ALTER TABLE "person" DROP COLUMN "customer_company_id"`);
    await q.query(`DROP INDEX "public"."customer_access_grant_user_idx"`);
    await q.query(`DROP INDEX "public"."customer_access_grant_company_idx"`);
    await q.query(`DROP TABLE "customer_access_grant"`);
    await q.query(`DROP INDEX "public"."account_manager_user_idx"`);
    await q.query(`DROP TABLE "account_manager"`);
  }
}
