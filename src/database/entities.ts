import { AuditEntry } from '../audit/entities/audit-entry.entity';
import { ApiKey } from '../auth/entities/api-key.entity';
import { StaffUser } from '../auth/entities/staff-user.entity';

/** Every entity, for the data source used by the app, the migration commands and the schema-diff test. */
export const ENTITIES = [StaffUser, ApiKey, AuditEntry];
