import { engine, loadCorpus, metrics, screenCorpus, shippedRules } from '../../bench/screening-corpus';
import { publicFigures, ruleHits } from '../../bench/screening';
import { HELD_OUT_PARTS, TRAINING_PARTS } from '../../bench/public-corpus';
import { createTestDatabase } from '../helpers/database';

/*
 * The screening as shipped, measured (the same code as `npm run bench -- screening`). The
 * learner and the weights were chosen on the public TRAINING split (easy-ham-1, spam-1) only;
 * the held-out parts are read here to report, never to choose. Floors sit just under what was
 * measured, so a change that makes screening worse fails; where issue 15's target is not met
 * the title says so (docs/integrations.md, spam screening, has the figures).
 */
describe('[SPAM-WORDS][NO-AUTO-DECISION] the shipped screening, measured', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('on the project’s inquiries: holds at most 1% of real ones (a lost inquiry is lost business) and at least 80% of the spam (issue 15 asks 95%: not reached)', async () => {
    const corpus = loadCorpus();
    expect(corpus.length).toBeGreaterThanOrEqual(300);
    const m = metrics(await screenCorpus(engine(await shippedRules(db.url)), corpus));
    expect(m.fpr).toBeLessThanOrEqual(0.01);
    expect(m.recall).toBeGreaterThanOrEqual(0.8);
  });

  it('each shipped rule and each signal weighed on mail that fires on the training split catches more spam than it holds ham', async () => {
    const hits = await ruleHits(await shippedRules(db.url));
    expect(hits.filter((h) => h.weighed && (h.spam || h.ham) && h.ham >= h.spam)).toEqual([]);
    // More than two links fails that on mail (newsletters, replies), so it weighs nothing there.
    expect(hits.find((h) => h.pattern === 'signal:too_many_links')).toMatchObject({ weighed: false });
  });

  it('on public mail, through the mail channel’s reading: training split (in-sample) and held-out parts (out-of-sample; issue 15’s targets, 2% false holds and 90% recall, are not reached)', async () => {
    const service = engine(await shippedRules(db.url));
    const figures = Object.fromEntries((await publicFigures(service, [...TRAINING_PARTS, ...HELD_OUT_PARTS])).map((f) => [f.part, f]));
    const rate = (part: string) => figures[part].held / figures[part].screened;
    // Skipped as the mail channel skips them (lists, bulk, bounces), counted apart.
    expect(figures['easy-ham-1'].screened).toBeLessThan(figures['easy-ham-1'].total);
    expect(figures['easy-ham-1'].skipped.mailing_list).toBeGreaterThan(0);
    // In-sample.
    expect(rate('easy-ham-1')).toBeLessThanOrEqual(0.01);
    expect(rate('spam-1')).toBeGreaterThanOrEqual(0.85);
    // Out-of-sample (floors just under today's figures, so a change that loses ground fails).
    expect(rate('spam-2')).toBeGreaterThanOrEqual(0.8);
    expect(rate('easy-ham-2')).toBeLessThanOrEqual(0.05);
    expect(rate('hard-ham-1')).toBeLessThanOrEqual(0.3);
  });
});
