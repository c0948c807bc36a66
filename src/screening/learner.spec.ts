import { MAX_TOKENS, MIN_KNOWN_WORDS, NaiveBayes, tokenKey, tokens, train } from './learner';
import { SHIPPED_MODEL } from './model/shipped-model';

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
    expect(nb.judge('free money')).toMatchObject({ known: 2, logOdds: 0 });
    expect(MIN_KNOWN_WORDS).toBeGreaterThan(2);
  });

  it('learned counts (by hashed word) move the judgement, and name themselves in the version', () => {
    const text = 'zebra quartz project review meeting thursday agenda notes';
    const before = new NaiveBayes(model).judge(text).logOdds;
    const learned = { docs: { spam: 3, ham: 0 }, keys: new Map([['zebra', [3, 0]], ['quartz', [3, 0]]].map(([w, c]) => [tokenKey(w as string), c as [number, number]])) };
    const after = new NaiveBayes(model, learned);
    expect(after.judge(text).logOdds).toBeGreaterThan(before);
    expect(after.version).toBe('test+3s0h');
    expect(tokenKey('zebra')).toMatch(/^[0-9a-f]{16}$/);
    expect(tokenKey('zebra')).not.toBe(tokenKey('zebrb'));
  });

  it('the shipped model was trained on the public training split and names its version', () => {
    expect(SHIPPED_MODEL.version).toMatch(/^nb1-[0-9a-f]{10}$/);
    expect(SHIPPED_MODEL.docs.spam).toBeGreaterThan(300);
    expect(SHIPPED_MODEL.docs.ham).toBeGreaterThan(500);
  });
});
