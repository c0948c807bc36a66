import type { TestApp } from './app';

/**
 * Uploads an attendee list for direct import and waits until it is done (polling with a
 * deadline, no fixed sleeps); returns the import's id. A failed import fails the test.
 */
export async function importAttendees(t: TestApp, token: string, eventId: string, csv: string): Promise<string> {
  const auth = { Authorization: `Bearer ${token}` };
  const { body: created } = await t.http().post(`/api/events/${eventId}/imports?dryRun=false`).set(auth).attach('file', Buffer.from(csv), 'list.csv').expect(202);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { body } = await t.http().get(`/api/events/${eventId}/imports/${created.id}`).set(auth).expect(200);
    if (body.status === 'done') return created.id as string;
    if (body.status === 'failed' || Date.now() > deadline) throw new Error(`import ${body.status}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
