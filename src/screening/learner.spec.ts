import { MAX_TOKENS, MIN_KNOWN_WORDS, NaiveBayes, tokenKey, tokens, train } from './learner';
import { SHIPPED_MODEL } from './model/shipped-model';
import { LEARNER_SIGNALS, learnerWeight } from './screening.service';

describe('[SPAM-WORDS] the naive-Bayes learner', () => {
  const model = train(
    [
      { text: 'cheap pills viagra offer click now free money winner', label: 'spam' },
      { text: 'free money winner claim your prize now click', label: 'spam' },
      { text: 'meeting agenda for the project review on thursday', label: 'ham' },
      { text: 'the project review notes and the thursday meeting', label: 'ham' },
    ],
    'test',
    1,
  );

  it('reads folded words once each, bounded in number whatever arrives', () => {
    expect(tokens('Lånetilbud LÅNETILBUD lanetilbud, 123456789 a')).toEqual(['lanetilbud', '#longnumber']);
    expect(tokens(Array.from({ length: 5_000 }, (_, i) => `w${i}`).join(' '))).toHaveLength(MAX_TOKENS);
  });

  it('tells spam words from ham words, and says nothing on too few known words', () => {
    const nb = new NaiveBayes(model);
    expect(nb.judge('free money winner click now claim').spamProbability).toBeGreaterThan(0.9);
    expect(nb.judge('project review meeting thursday agenda notes').spamProbability).toBeLessThan(0.1);
    expect(nb.judge('free money')).toMatchObject({ known: 2, spamProbability: 0.5, strongest: [] });
    expect(MIN_KNOWN_WORDS).toBeGreaterThan(2);
  });

  it('is unsure, not certain, when the telling words contradict each other (a business mail that mentions an offer)', () => {
    const nb = new NaiveBayes(model);
    const mixed = nb.judge('free money winner click project review meeting thursday');
    expect(mixed.spamProbability).toBeGreaterThan(0.2);
    expect(mixed.spamProbability).toBeLessThan(0.8);
  });

  it('the learner’s signal: its weight from the spam cut-off up, as much for a real inquiry from the ham cut-off down (on mail only), nothing while unsure', () => {
    const mail = LEARNER_SIGNALS.email;
    expect(learnerWeight(mail, mail.spam)).toBe(1);
    expect(learnerWeight(mail, mail.ham!)).toBe(-1);
    expect(learnerWeight(mail, (mail.spam + mail.ham!) / 2)).toBe(0);
    expect(learnerWeight(LEARNER_SIGNALS.web_form, 0.9999)).toBe(0.5);
    expect(learnerWeight(LEARNER_SIGNALS.web_form, 0.001)).toBe(0);
    expect(learnerWeight(LEARNER_SIGNALS.chatbot, 0.9)).toBe(0);
  });

  it('learned counts (by hashed word) move the judgement, and name themselves in the version', () => {
    const text = 'zebra quartz project review meeting thursday agenda notes';
    const before = new NaiveBayes(model).judge(text).spamProbability;
    const learned = { docs: { spam: 3, ham: 0 }, keys: new Map([['zebra', [3, 0]], ['quartz', [3, 0]]].map(([w, c]) => [tokenKey(w as string), c as [number, number]])) };
    const after = new NaiveBayes(model, learned);
    expect(after.judge(text).spamProbability).toBeGreaterThan(before);
    expect(after.version).toBe('test+3s0h');
    expect(tokenKey('zebra')).toMatch(/^[0-9a-f]{16}$/);
    expect(tokenKey('zebra')).not.toBe(tokenKey('zebrb'));
  });

  it('the shipped model was trained on the public training split and names its version', () => {
    expect(SHIPPED_MODEL.version).toMatch(/^nb2-[0-9a-f]{10}$/);
    expect(SHIPPED_MODEL.docs.spam).toBeGreaterThan(300);
    expect(SHIPPED_MODEL.docs.ham).toBeGreaterThan(2_000);
  });
});
