import { RuleSet } from './rule-set';
import type { ScreeningRule } from './entities/screening-rule.entity';
import { containsHtml, containsUrl, countLinks, fingerprint, withoutLinks } from './text';

const rule = (kind: ScreeningRule['kind'], pattern: string): ScreeningRule =>
  ({ id: `${kind}:${pattern}`, kind, pattern, tag: 'spam', createdBy: null, createdAt: new Date(), updatedAt: new Date() }) as ScreeningRule;

describe('[SPAM-WORDS] detectors that mean what they say', () => {
  it('an e-mail address is not a link, nor is a product name in capitals; a URL, www. name or bare domain is', () => {
    expect(countLinks('Please copy ola.nordmann@example.no, kari@firma.no and per@other.example.com')).toBe(0);
    expect(countLinks('We build in ASP.NET, VB.NET and Node.js')).toBe(0);
    expect(countLinks('See https://a.example/x, www.b.com and c.no/path')).toBe(3);
    expect(containsUrl('Cheap meds pills.xyz')).toBe(true);
    expect(withoutLinks('visit https://spam.example/x now')).toBe('visit   now');
  });

  it('HTML is a real tag or attribute, not any <word>', () => {
    expect(containsHtml('We keep a List<Customer> and a Map<String, Order>; write to <your name>')).toBe(false);
    expect(containsHtml('<a href="https://x.example">Bob</a>')).toBe(true);
    expect(containsHtml('<script>alert(1)</script>')).toBe(true);
    expect(containsHtml('<img src=x onerror=alert(1)>')).toBe(true);
    expect(containsHtml('<custom-el onclick="x()">')).toBe(true);
    expect(containsHtml('[url=https://x.example]x[/url]')).toBe(true);
  });

  it('near-copies with other links and numbers share a fingerprint', () => {
    expect(fingerprint('Buy now at https://a.example/1 offer 123 for your company')).toBe(fingerprint('Buy now at www.b.com offer 999 for your company'));
  });
});

/*
 * Hostile input: the shapes that made the old patterns quadratic (many starts of a link or a
 * tag that never close) and an admin rule that backtracks exponentially in a backtracking
 * engine. Asserted by behaviour: a verdict comes back, and screening ten times the text costs
 * about ten times as much (a quadratic pattern would cost a hundred times), measured against
 * itself in this test.
 */
describe('[SPAM-WORDS] every pattern on outside text runs in linear time', () => {
  const hostile = (size: number) => {
    const pieces = ['<a ', 'www.', 'a.', '<', 'http://', 'x@', '[url', '<div ', 'a-', ' '];
    let s = '';
    for (let i = 0; s.length < size; i++) s += pieces[i % pieces.length].repeat(50);
    return s.slice(0, size);
  };
  const rules = new RuleSet([rule('regex', '(a|a)+$'), rule('regex', '(x+x+)+y'), rule('phrase', 'guest post')], []);
  const screen = (text: string) => rules.contentReasons({ name: text.slice(0, 200), text }, 'someone@example.com');

  it('a pathological admin rule, (a|a)+$, screens 29 and 60,000 characters and gives its verdict', () => {
    const reasons = screen(`${'a'.repeat(28)}!`);
    expect(reasons.find((r) => r.code === 'keyword')).toBeUndefined();
    const long = screen('a'.repeat(60_000));
    expect(long.find((r) => r.code === 'keyword')?.evidence).toMatchObject({ pattern: '(a|a)+$' });
    expect(screen(`${'x'.repeat(5_000)}`).find((r) => r.evidence.pattern === '(x+x+)+y')).toBeUndefined();
  });

  it('a 60 KB hostile text is screened and gets its verdict (the quadratic patterns this replaced took 36 s on it)', () => {
    // No duration is asserted (the machine is shared); on quadratic patterns this test times out.
    const reasons = screen(hostile(60_000));
    expect(reasons.map((r) => r.code)).toEqual(expect.arrayContaining(['too_many_links', 'html']));
  });
});

describe('[SPAM-WORDS] all free text is screened', () => {
  const rules = new RuleSet([rule('phrase', 'guest post')], []);

  it('a subject, company or custom field is read like the message; a script the firm does not work in is a weak signal, not a verdict', () => {
    const reasons = rules.contentReasons({ name: 'Ivan', text: 'Hello', fields: { subject: 'Продвижение сайтов в поисковых системах недорого и быстро', company: 'Guest post agency' } }, null);
    const script = reasons.find((r) => r.code === 'foreign_script');
    expect(script).toMatchObject({ weight: expect.any(Number) });
    expect(script!.weight!).toBeLessThan(1);
    expect(script!.decisive).toBeUndefined();
    expect(reasons.find((r) => r.code === 'keyword')?.evidence).toMatchObject({ matches: ['guest post'] });
    expect(rules.contentReasons({ name: 'Kari Nordmann', text: 'Hei, vi ønsker et tilbud på en app for våre ansatte på Ålesund-kontoret.' }, null).map((r) => r.code)).toEqual([]);
  });

  it('more than two links weigh on a web form and in chat, not in a mail (where they held as much ham as they caught spam), and are still shown', () => {
    const text = 'See www.havbruk-data.no, linkedin.com/in/karilunde and github.com/havbruk.';
    const links = (channel?: 'web_form' | 'chatbot' | 'email') => rules.contentReasons({ name: 'Kari', text }, null, channel).find((r) => r.code === 'too_many_links');
    expect(links()).toMatchObject({ weight: 0.5, evidence: { links: 3 } });
    expect(links('chatbot')).toMatchObject({ weight: 0.5 });
    expect(links('email')).toMatchObject({ weight: 0, evidence: { links: 3 } });
  });

  it('a link in a company or position field counts as a link in the name', () => {
    expect(rules.contentReasons({ name: 'Bob', text: 'Hi', fields: { company: 'cheap-pills.xyz' } }, null).find((r) => r.code === 'url_in_name')?.evidence).toEqual({ fields: ['company'] });
  });
});
