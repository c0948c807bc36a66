/**
 * `npm run bench -- screening`: the shipped rules against the labelled corpus in
 * test/fixtures/screening: precision, recall and false-positive rate, and how many
 * submissions per second the rules alone screen.
 */
import { engine, loadCorpus, metrics, screenCorpus, shippedRules } from './screening-corpus';
import { round, temporaryDatabase } from './harness';
import { fingerprint, fold } from '../src/screening/text';

const PASSES = Number(process.env.BENCH_PASSES ?? 20);

export async function run(): Promise<void> {
  const database = await temporaryDatabase();
  try {
    const corpus = loadCorpus();
    const service = engine(await shippedRules(database.url));
    const scored = await screenCorpus(service, corpus);
    const m = metrics(scored);
    console.log(`screening: ${corpus.length} labelled submissions (${m.tp + m.fn} spam, ${m.fp + m.tn} ham)`);
    console.log(`  precision ${round(m.precision, 3)}, recall ${round(m.recall, 3)}, false-positive rate ${round(m.fpr, 4)} (tp ${m.tp}, fp ${m.fp}, tn ${m.tn}, fn ${m.fn})`);
    for (const s of scored.filter((x) => x.flagged !== (x.item.label === 'spam'))) {
      console.log(`  ${s.item.label === 'ham' ? 'held ham' : 'missed spam'}: ${s.item.id} (${s.item.kind})${s.reasons.length ? ` for ${s.reasons.join(', ')}` : ''}`);
    }
    // Throughput of the rules alone, in memory.
    await screenCorpus(service, corpus); // warm
    const started = process.hrtime.bigint();
    for (let i = 0; i < PASSES; i++) await screenCorpus(service, corpus);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const rate = (PASSES * corpus.length) / seconds;
    // Baseline, same run: only the text normalisation every rule needs (fold + fingerprint).
    const baseStarted = process.hrtime.bigint();
    for (let i = 0; i < PASSES; i++) for (const item of corpus) fingerprint(fold(`${item.fields.name}\n${item.fields.message}`));
    const baselineRate = (PASSES * corpus.length) / (Number(process.hrtime.bigint() - baseStarted) / 1e9);
    console.log(`  throughput: ${round(rate, 0)} submissions/s through the rules (${PASSES} passes); baseline ${round(baselineRate, 0)}/s folding the text alone (ratio ${round(rate / baselineRate, 3)})`);
    console.log(JSON.stringify({ bench: 'screening', precision: round(m.precision, 4), recall: round(m.recall, 4), fpr: round(m.fpr, 4), rate: round(rate, 0), baseline_rate: round(baselineRate, 0), ratio: round(rate / baselineRate, 4) }));
  } finally {
    await database.close();
  }
}
