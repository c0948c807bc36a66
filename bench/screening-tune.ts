/**
 * `npm run bench -- screening-tune`: how the learner's scale (LEARNER_SCALE: the log-odds at
 * which it adds its full weight) was chosen, on the TRAINING parts only (easy-ham-1, spam-1),
 * never the held-out ones. Five-fold cross-validation: each fold's mails are scored by a model
 * trained on the other four, together with the shipped rules at the default threshold. The
 * rule: the most cautious scale (fewest held ham) that still catches 90% of the spam.
 */
import { train, NaiveBayes } from '../src/screening/learner';
import { RuleSet, WEIGHTS } from '../src/screening/rule-set';
import { LEARNER_WEIGHTS } from '../src/screening/screening.service';
import { round, temporaryDatabase } from './harness';
import { loadParts, TRAINING_PARTS } from './public-corpus';
import { shippedRules } from './screening-corpus';

const SCALES = [2.5, 5, 10, 15, 20, 30, 40, 60];
const FOLDS = 5;

export async function run(): Promise<void> {
  const database = await temporaryDatabase();
  try {
    const rules = new RuleSet(await shippedRules(database.url), []);
    const mails = (await loadParts(TRAINING_PARTS)).filter((m) => !m.skipped);
    const text = (m: (typeof mails)[number]) => `${m.fromName}\n${m.text}`;
    // Out-of-fold log-odds for every training mail, and the rules' part of its score.
    const scored = mails.map((m, i) => ({ m, fold: i % FOLDS, logOdds: 0, rules: rules.contentReasons({ name: m.fromName, text: m.text }, m.fromAddress).reduce((s, r) => s + (r.weight ?? 0), 0) }));
    for (let f = 0; f < FOLDS; f++) {
      const model = new NaiveBayes(train(scored.filter((s) => s.fold !== f).map((s) => ({ text: text(s.m), label: s.m.label })), `fold${f}`));
      for (const s of scored.filter((x) => x.fold === f)) s.logOdds = model.judge(text(s.m)).logOdds;
    }
    console.log(`screening-tune: ${mails.length} training mails (${scored.filter((s) => s.m.label === 'spam').length} spam), ${FOLDS}-fold out-of-fold scores; rule weights ${JSON.stringify(WEIGHTS)}`);
    let chosen: number | null = null;
    const rows = [];
    for (const scale of SCALES) {
      const held = (s: (typeof scored)[number]) => s.rules + LEARNER_WEIGHTS.email * Math.max(-1, Math.min(1, s.logOdds / scale)) >= 1;
      const ham = scored.filter((s) => s.m.label === 'ham');
      const spam = scored.filter((s) => s.m.label === 'spam');
      const fhr = ham.filter(held).length / ham.length;
      const recall = spam.filter(held).length / spam.length;
      rows.push({ scale, fhr: round(fhr, 4), recall: round(recall, 4) });
      console.log(`  scale ${String(scale).padStart(4)}: cross-validated false holds ${round(100 * fhr, 2)}%, recall ${round(100 * recall, 2)}%`);
      if (recall >= 0.9) chosen = scale;
    }
    console.log(`  chosen: ${chosen ?? 'none reaches 90% recall'} (the largest scale that keeps recall at 90% or more)`);
    console.log(JSON.stringify({ bench: 'screening-tune', chosen_scale: chosen, rows }));
  } finally {
    await database.close();
  }
}
