import { temporaryDatabase } from '../bench/harness';

/** Starts one embedded PostgreSQL for the whole run and migrates the template database (`crm`). */
export default async function globalSetup(): Promise<void> {
  const database = await temporaryDatabase();
  // Workers inherit the environment: each test file clones the template from this server.
  process.env.CRM_TEST_TEMPLATE_URL = database.url;
  process.env.CRM_TEST_SERVICE_URL = database.appUrl;
  (globalThis as Record<string, unknown>).__crmTestDatabase = database;
}
