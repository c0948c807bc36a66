import { MAX_NESTING, storable, storableValue } from './outside-text';

describe('outside text', () => {
  it('replaces NUL and lone surrogates with U+FFFD and keeps whole pairs', () => {
    expect(storable('a\u0000b')).toBe('a\ufffdb');
    expect(storable('x\ud83dy\ude00z')).toBe('x\ufffdy\ufffdz');
    expect(storable('ok \ud83d\ude00')).toBe('ok \ud83d\ude00');
  });

  it('makes every string of a body storable, keys included', () => {
    expect(storableValue({ 'na\u0000me': ['\ud800', { deep: 'x\u0000' }], n: 1, b: null })).toEqual({ 'na\ufffdme': ['\ufffd', { deep: 'x\ufffd' }], n: 1, b: null });
  });

  it('leaves values that are not text alone (dates, buffers)', () => {
    const when = new Date(0);
    const bytes = Buffer.from([0, 1]);
    expect(storableValue({ when, bytes })).toEqual({ when, bytes });
  });

  it('refuses a body nested deeper than the limit with a 400', () => {
    let nested: unknown = 'leaf';
    for (let i = 0; i < MAX_NESTING + 1; i++) nested = [nested];
    expect(() => storableValue(nested)).toThrow(expect.objectContaining({ status: 400, response: expect.objectContaining({ detail: expect.stringMatching(/nests deeper than 32 levels/) }) }));
    let fine: unknown = 'leaf';
    for (let i = 0; i < MAX_NESTING; i++) fine = { a: fine };
    expect(() => storableValue(fine)).not.toThrow();
  });
});
