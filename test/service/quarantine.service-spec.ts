/** People deciding on held arrivals (policy section 8: no automated decisions): ReviewService on a real database, without HTTP. */
import { runAsStaff } from '../../src/access/access-context';
import type { Actor } from '../../src/domain/actor';
import { ReviewService } from '../../src/quarantine/review.service';
import { startServices, type ServiceContext } from './harness';

let t: ServiceContext;
beforeAll(async () => (t = await startServices()));
afterAll(() => t.close());

describe('the quarantine review', () => {
  it('[NO-AUTO-DECISION][SPAM-MANUAL] a person marks held arrivals spam, one by one or in bulk; each decision is logged, and what is not held is left alone', async () => {
    const reviewer = await t.make.staff('sales');
    const actor: Actor = { type: 'user', id: reviewer.id, roles: reviewer.roles, requestId: null, ip: null };
    const first = await t.make.heldArrival();
    const second = await t.make.heldArrival({ email: 'spammer@spam.example' });
    const review = t.app.get(ReviewService);

    const held = await runAsStaff(reviewer.id, reviewer.roles, () => review.held({ limit: 50 }));
    expect(held.items.map((i) => i.id).sort()).toEqual([first.submissionId, second.submissionId].sort());
    expect(held.items[0].highlights).toEqual(['cheap loans']);

    const results = await runAsStaff(reviewer.id, reviewer.roles, () =>
      review.decide(actor, { ids: [first.submissionId, second.submissionId, '00000000-0000-4000-8000-000000000000'], decision: 'spam_and_block' }),
    );
    expect(results.map((r) => r.outcome)).toEqual([expect.stringMatching(/spam/), expect.stringMatching(/spam/), 'not found']);
    const rows = await t.owner.query(`SELECT s.status, d.to_status, d.decided_by FROM intake_submission s JOIN review_decision d ON d.submission_id = s.id ORDER BY s.id`);
    expect(rows).toEqual([
      { status: 'spam', to_status: 'spam', decided_by: reviewer.id },
      { status: 'spam', to_status: 'spam', decided_by: reviewer.id },
    ]);
    // The sender with an address is on the block list now, with who put them there.
    const [entry] = await t.owner.query(`SELECT list, type, value, created_by FROM sender_list_entry WHERE value = 'spammer@spam.example'`);
    expect(entry).toEqual({ list: 'block', type: 'email', value: 'spammer@spam.example', created_by: reviewer.id });
  });
});
