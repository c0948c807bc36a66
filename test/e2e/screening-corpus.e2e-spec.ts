import { engine, loadCorpus, metrics, screenCorpus, shippedRules } from '../../bench/screening-corpus';
import { createTestDatabase } from '../helpers/database';

describe('[SPAM-WORDS][NO-AUTO-DECISION] the shipped rules on the labelled corpus', () => {
  it('hold at most 1% of real inquiries (a lost inquiry is lost business) and at least 80% of the spam (issue 15 asks 95%: not reached, see docs)', async () => {
    const db = await createTestDatabase();
    try {
      const corpus = loadCorpus();
      expect(corpus.length).toBeGreaterThanOrEqual(300);
      const m = metrics(await screenCorpus(engine(await shippedRules(db.url)), corpus));
      expect(m.fpr).toBeLessThanOrEqual(0.01);
      expect(m.recall).toBeGreaterThanOrEqual(0.8);
    } finally {
      await db.drop();
    }
  });
});
