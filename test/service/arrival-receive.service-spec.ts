/** Public arrivals stored in batches (ScreeningRepository.receive), run on this file's own database without HTTP. */
import { randomUUID } from 'node:crypto';
import { runAsSystem } from '../../src/access/access-context';
import { ScreeningRepository, type Arrival } from '../../src/screening/screening.repository';
import { ScreeningService } from '../../src/screening/screening.service';
import { startServices, type ServiceContext } from './harness';

let t: ServiceContext;
beforeAll(async () => (t = await startServices()));
afterAll(() => t.close());

const arrival = (over: Partial<Arrival> = {}): Arrival => ({
  id: randomUUID(), channel: 'web_form', formId: null, contentType: 'application/json', rawBody: '{}', fields: { message: 'hello' },
  ip: '198.51.100.7', senderEmail: null, textFingerprint: null, ...over,
});

describe('arrivals stored in batches', () => {
  it('counts earlier arrivals of the same batch: over the per-IP limit nothing is stored and the sender is told when to retry; the per-sender count is returned, never refused', async () => {
    const repo = t.app.get(ScreeningRepository);
    const batch = [
      ...Array.from({ length: 7 }, (_, i) => arrival({ ip: '198.51.100.7', senderEmail: `s${i}@batch.test` })),
      ...Array.from({ length: 4 }, () => arrival({ ip: null, senderEmail: 'same@batch.test' })),
      arrival({ ip: '198.51.100.8', textFingerprint: 'fp' }),
      arrival({ ip: '198.51.100.9', textFingerprint: 'fp' }),
    ];
    const results = await runAsSystem('test', () => repo.receive(batch, { perIpPerMinute: 5 }));
    expect(results.map((r) => (r.stored ? 'stored' : 'limit' in r ? r.limit : 'retry'))).toEqual([
      ...Array(5).fill('stored'), 'ip', 'ip',
      ...Array(4).fill('stored'),
      'stored', 'stored',
    ]);
    expect(results.slice(7, 11).map((r) => r.stored && r.bySender)).toEqual([0, 1, 2, 3]);
    expect(results.filter((r) => !r.stored).every((r) => !r.stored && 'retryAfterSeconds' in r && r.retryAfterSeconds >= 1)).toBe(true);
    // The second arrival of one text is a near-copy of the first, whoever sent it (the burst rule counts them).
    expect(results.slice(-2).map((r) => r.stored && r.nearCopies)).toEqual([0, 1]);
    const stored = await t.owner.query(`SELECT id FROM intake_submission`);
    expect(new Set(stored.map((r: { id: string }) => r.id))).toEqual(new Set(batch.filter((_, i) => results[i].stored).map((a) => a.id)));
  });

  it('a post taken before (its key, within 24 hours) is not stored again: a batch-mate or a later batch gets the first arrival; a stale claim is taken over', async () => {
    const repo = t.app.get(ScreeningRepository);
    const [{ id: formId }] = await t.owner.query(
      `INSERT INTO intake_form (key, name, allowed_origins, field_mapping, default_inquiry_type, signing_secret) VALUES ('keys', 'Keys', '{}', '{"e":"email"}', 'other', 'x') RETURNING id`,
    );
    const key = Buffer.from('a'.repeat(64), 'hex');
    const limits = { perIpPerMinute: 100 };
    const posts = [arrival({ formId, postKey: key, ip: '203.0.113.1' }), arrival({ formId, postKey: key, ip: '203.0.113.2' }), arrival({ formId, postKey: Buffer.from('b'.repeat(64), 'hex'), ip: '203.0.113.3' })];
    const first = await runAsSystem('test', () => repo.receive(posts, limits));
    expect(first.map((r) => (r.stored ? 'stored' : 'first' in r ? r.first : 'limited'))).toEqual(['stored', posts[0].id, 'stored']);

    const retry = arrival({ formId, postKey: key, ip: '203.0.113.4' });
    expect(await runAsSystem('test', () => repo.receive([retry], limits))).toEqual([{ stored: false, first: posts[0].id, firstContentHash: null }]); // these arrivals carry no content hash

    await t.owner.query(`UPDATE intake_post_key SET claimed_at = now() - interval '25 hours' WHERE submission_id = $1`, [posts[0].id]);
    const later = arrival({ formId, postKey: key, ip: '203.0.113.5' });
    expect((await runAsSystem('test', () => repo.receive([later], limits)))[0]).toMatchObject({ stored: true });
  });

  it('[RIGHT-ERASE] a sender is stored folded, as the per-sender limit and the eraser compare addresses', async () => {
    const { textFingerprint: _, ...post } = arrival({ channel: 'email', ip: null, senderEmail: ' Kari.Lunde@Havbruk-Data.EXAMPLE ' });
    await t.app.get(ScreeningService).receive(post, 'hello');
    expect(await t.owner.query(`SELECT sender_email FROM intake_submission WHERE id = $1`, [post.id])).toEqual([{ sender_email: 'kari.lunde@havbruk-data.example' }]);
  });

  it('runs for the system only', async () => {
    await expect(t.app.get(ScreeningRepository).receive([arrival()], { perIpPerMinute: 5 })).rejects.toMatchObject({ code: '42501' });
  });
});
