/**
 * `npm run bench -- screening-tune`: how the learner's cut-offs on mail (LEARNER_SIGNALS.email)
 * were chosen. The public mail is the TRAINING parts only (easy-ham-1, spam-1), never the
 * held-out ones: five-fold cross-validation, each fold's screened mails scored by a model trained
 * on every other fold's mails (the skipped ones are labelled text too), together with the
 * shipped rules at the default threshold. The project's real inquiries are scored as if they
 * came by mail (so the project corpus is in-sample for this choice). The rule: the lowest spam
 * cut-off at which the learner alone holds at most 1% of the project's inquiries, and the ham
 * cut-off that then holds the fewest training ham, then catches the most training spam; of equals,
 * the lowest (the learner speaks for a mail against the rules only when it is surest).
 */
import { NaiveBayes, train } from '../src/screening/learner';
import { SHIPPED_MODEL } from '../src/screening/model/shipped-model';
import { RuleSet, WEIGHTS } from '../src/screening/rule-set';
import { LEARNER_SIGNALS, learnerWeight } from '../src/screening/screening.service';
import { round, temporaryDatabase } from './harness';
import { loadParts, TRAINING_PARTS } from './public-corpus';
import { loadCorpus, shippedRules } from './screening-corpus';

const SPAM_CUTOFFS = [0.8, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9999];
const HAM_CUTOFFS = [0.001, 0.01, 0.1, 0.2];
const FOLDS = 5;

export async function run(): Promise<void> {
  const database = await temporaryDatabase();
  try {
    const rules = new RuleSet(await shippedRules(database.url), []);
    const mails = await loadParts(TRAINING_PARTS);
    const text = (m: (typeof mails)[number]) => `${m.fromName}\n${m.text}`;
    // Out-of-fold spam probability for every training mail, and the rules' part of its score.
    const scored = mails.map((m, i) => ({ m, fold: i % FOLDS, p: 0.5, rules: rules.contentReasons({ name: m.fromName, text: m.text }, m.fromAddress, 'email').reduce((s, r) => s + (r.weight ?? 0), 0) }));
    for (let f = 0; f < FOLDS; f++) {
      const model = new NaiveBayes(train(scored.filter((s) => s.fold !== f).map((s) => ({ text: text(s.m), label: s.m.label })), `fold${f}`));
      for (const s of scored.filter((x) => x.fold === f && !x.m.skipped)) s.p = model.judge(text(s.m)).spamProbability;
    }
    const screened = scored.filter((s) => !s.m.skipped);
    const ham = screened.filter((s) => s.m.label === 'ham');
    const spam = screened.filter((s) => s.m.label === 'spam');
    const shipped = new NaiveBayes(SHIPPED_MODEL);
    const inquiries = loadCorpus().filter((i) => i.label === 'ham').map((i) => shipped.judge(`${i.fields.name}\n${i.fields.message}`).spamProbability);
    console.log(`screening-tune: ${mails.length} training mails, ${screened.length} screened (${spam.length} spam), ${FOLDS}-fold out-of-fold scores; ${inquiries.length} project inquiries; rule weights ${JSON.stringify(WEIGHTS)}`);
    let chosen: { spam: number; ham: number; fhr: number; recall: number; inquiries: number } | null = null;
    const rows = [];
    for (const spamCutoff of SPAM_CUTOFFS) {
      const inquiriesHeld = inquiries.filter((p) => p >= spamCutoff).length / inquiries.length;
      for (const hamCutoff of HAM_CUTOFFS) {
        const signal = { weight: LEARNER_SIGNALS.email.weight, spam: spamCutoff, ham: hamCutoff };
        const held = (s: (typeof scored)[number]) => s.rules + learnerWeight(signal, s.p) >= 1;
        const fhr = ham.filter(held).length / ham.length;
        const recall = spam.filter(held).length / spam.length;
        rows.push({ spam: spamCutoff, ham: hamCutoff, fhr: round(fhr, 4), recall: round(recall, 4), inquiries: round(inquiriesHeld, 4) });
        console.log(`  cut-offs ${spamCutoff} / ${hamCutoff}: project inquiries held by the learner alone ${round(100 * inquiriesHeld, 2)}%; cross-validated false holds ${round(100 * fhr, 2)}%, recall ${round(100 * recall, 2)}%`);
        const better = !chosen || (chosen.spam === spamCutoff && (fhr < chosen.fhr || (fhr === chosen.fhr && recall > chosen.recall)));
        if (inquiriesHeld <= 0.01 && better) chosen = { spam: spamCutoff, ham: hamCutoff, fhr, recall, inquiries: inquiriesHeld };
      }
    }
    console.log(`  chosen: ${chosen ? `${chosen.spam} / ${chosen.ham}` : 'none'}`);
    console.log(JSON.stringify({ bench: 'screening-tune', chosen, rows }));
  } finally {
    await database.close();
  }
}
