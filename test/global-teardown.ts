export default async function globalTeardown(): Promise<void> {
  const database = (globalThis as Record<string, unknown>).__crmTestDatabase as { close(): Promise<void> } | undefined;
  await database?.close();
}
