import { Client } from 'pg';
import { ConfigurationError } from '../config/app-config';

/** The group role the migrations grant to; the service's login role is a member of it. */
export const SERVICE_GROUP = 'crm_app';

/**
 * Makes the login role of `serviceUrl` a member of `crm_app` with the configured password
 * (creating it when missing; the owner needs CREATEROLE for that, or a DBA creates it first),
 * then proves the service connection is one row-level security applies to: not a superuser, no
 * BYPASSRLS, owner of no table. The service refuses to start otherwise.
 */
export async function prepareServiceRole(ownerUrl: string, serviceUrl: string): Promise<void> {
  const service = new URL(serviceUrl);
  const name = decodeURIComponent(service.username);
  const password = decodeURIComponent(service.password);
  const owner = new Client({ connectionString: ownerUrl });
  await owner.connect();
  try {
    const role = await owner.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [name]);
    const ident = owner.escapeIdentifier(name);
    const secret = password ? ` PASSWORD ${owner.escapeLiteral(password)}` : '';
    if (!role.rowCount) await owner.query(`CREATE ROLE ${ident} LOGIN${secret} IN ROLE ${SERVICE_GROUP}`);
    else {
      const member = await owner.query(`SELECT pg_has_role($1, $2, 'MEMBER') AS member`, [name, SERVICE_GROUP]);
      if (!member.rows[0].member) await owner.query(`GRANT ${SERVICE_GROUP} TO ${ident}`);
      if (secret) await owner.query(`ALTER ROLE ${ident}${secret}`).catch(() => undefined); // keep a DBA-managed password if we may not set it
    }
  } finally {
    await owner.end();
  }

  const client = new Client({ connectionString: serviceUrl });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT r.rolsuper, r.rolbypassrls, pg_has_role(current_user, $1, 'USAGE') AS member,
              EXISTS (SELECT 1 FROM pg_tables t WHERE t.schemaname = 'public' AND pg_has_role(current_user, t.tableowner, 'USAGE')) AS owns
         FROM pg_roles r WHERE r.rolname = current_user`,
      [SERVICE_GROUP],
    );
    const r = rows[0] as { rolsuper: boolean; rolbypassrls: boolean; member: boolean; owns: boolean };
    if (r.rolsuper || r.rolbypassrls || r.owns || !r.member) {
      throw new ConfigurationError(
        `DATABASE_APP_URL must name a role that is a member of ${SERVICE_GROUP}, owns no table and is neither superuser nor BYPASSRLS: ` +
          'row-level security (customer data for account managers only) would not apply to it.',
      );
    }
  } finally {
    await client.end();
  }
}
