import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit log's hidden-entity check recognised only lower-case ids: a line about a customer's
 * person opened by its upper-case id showed to everyone allowed the audit log. Any text
 * PostgreSQL reads as a uuid is now compared as that uuid.
 */
export class CanonicalEntityIds1795900100000 implements MigrationInterface {
  name = 'CanonicalEntityIds1795900100000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE OR REPLACE FUNCTION crm_entity_hidden(entity_type text, entity_id text) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
      SELECT CASE
        WHEN entity_id IS NULL OR NOT pg_input_is_valid(entity_id, 'uuid') THEN false
        WHEN entity_type = 'person' THEN crm_person_hidden(entity_id::uuid)
        WHEN entity_type = 'company' THEN coalesce((SELECT c.is_customer AND NOT crm_sees_all_customers() AND NOT c.id = ANY (crm_visible_customers()) FROM company c WHERE c.id = entity_id::uuid), false)
        WHEN entity_type = 'intake_submission' THEN crm_submission_hidden(entity_id::uuid)
        ELSE false END $$`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE OR REPLACE FUNCTION crm_entity_hidden(entity_type text, entity_id text) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
      SELECT CASE
        WHEN entity_id IS NULL OR entity_id !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN false
        WHEN entity_type = 'person' THEN crm_person_hidden(entity_id::uuid)
        WHEN entity_type = 'company' THEN coalesce((SELECT c.is_customer AND NOT crm_sees_all_customers() AND NOT c.id = ANY (crm_visible_customers()) FROM company c WHERE c.id = entity_id::uuid), false)
        WHEN entity_type = 'intake_submission' THEN crm_submission_hidden(entity_id::uuid)
        ELSE false END $$`);
  }
}
