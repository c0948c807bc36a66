/** Public arrivals stored in batches (ScreeningRepository.receive), run on this file's own database without HTTP. */
import { randomUUID } from 'node:crypto';
import { runAsSystem } from '../../src/access/access-context';
import { ScreeningRepository, type Arrival } from '../../src/screening/screening.repository';
import { startServices, type ServiceContext } from './harness';

let t: ServiceContext;
beforeAll(async () => (t = await startServices()));
afterAll(() => t.close());

const arrival = (over: Partial<Arrival> = {}): Arrival => ({
  id: randomUUID(), channel: 'web_form', formId: null, contentType: 'application/json', rawBody: '{}', fields: { message: 'hello' },
  ip: '198.51.100.7', senderEmail: null, textFingerprint: null, ...over,
});

describe('arrivals stored in batches', () => {
  it('counts earlier arrivals of the same batch against the limits: over a limit, nothing is stored and the sender is told when to retry', async () => {
    const repo = t.app.get(ScreeningRepository);
    const batch = [
      ...Array.from({ length: 7 }, (_, i) => arrival({ ip: '198.51.100.7', senderEmail: `s${i}@batch.test` })),
      ...Array.from({ length: 4 }, () => arrival({ ip: null, senderEmail: 'same@batch.test' })),
      arrival({ ip: '198.51.100.8', textFingerprint: 'fp' }),
      arrival({ ip: '198.51.100.9', textFingerprint: 'fp' }),
    ];
    const results = await runAsSystem('test', () => repo.receive(batch, { perIpPerMinute: 5, perEmailPerHour: 3 }));
    expect(results.map((r) => (r.stored ? 'stored' : r.limit))).toEqual([
      ...Array(5).fill('stored'), 'ip', 'ip',
      ...Array(3).fill('stored'), 'email',
      'stored', 'stored',
    ]);
    expect(results.filter((r) => !r.stored).every((r) => !r.stored && r.retryAfterSeconds >= 1)).toBe(true);
    // The second arrival of one text is a near-copy of the first, whoever sent it (the burst rule counts them).
    expect(results.slice(-2).map((r) => r.stored && r.nearCopies)).toEqual([0, 1]);
    const stored = await t.owner.query(`SELECT id FROM intake_submission`);
    expect(new Set(stored.map((r: { id: string }) => r.id))).toEqual(new Set(batch.filter((_, i) => results[i].stored).map((a) => a.id)));
  });

  it('runs for the system only', async () => {
    await expect(t.app.get(ScreeningRepository).receive([arrival()], { perIpPerMinute: 5, perEmailPerHour: 5 })).rejects.toMatchObject({ code: '42501' });
  });
});
