import { ArrivalBatcher, MAX_BATCH, WRITERS } from './arrival-batcher';

/** A write the test finishes by hand, recording each batch it was given. */
function controlledWrite() {
  const batches: number[][] = [];
  const pending: { items: number[]; finish(err?: Error): void }[] = [];
  const write = (items: number[]) =>
    new Promise<number[]>((resolve, reject) => {
      const inputs = items;
      batches.push(inputs);
      pending.push({ items: inputs, finish: (err) => (err ? reject(err) : resolve(inputs.map((n) => n * 10))) });
    });
  return { batches, pending, write };
}

const tick = () => new Promise((r) => setImmediate(r));

/** Waits (by turns of the event loop, with a deadline) until `ready` holds. */
async function until(ready: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await tick();
  }
}

/** Finishes every write as it comes, until `all` settles. */
async function finishAll<T>(w: ReturnType<typeof controlledWrite>, all: Promise<T>): Promise<T> {
  let settled = false;
  void all.finally(() => (settled = true)).catch(() => undefined);
  await until(() => {
    while (w.pending.length) w.pending.shift()!.finish();
    return settled;
  });
  return all;
}

describe('micro-batched arrivals (ArrivalBatcher)', () => {
  it('writes an arrival at once while a writer is free, and gathers the rest into one batch behind busy writers', async () => {
    const w = controlledWrite();
    const batcher = new ArrivalBatcher<number, number>(w.write);
    const first = Array.from({ length: WRITERS }, (_, i) => batcher.add(i));
    expect(w.batches).toEqual(Array.from({ length: WRITERS }, (_, i) => [i]));
    const later = [batcher.add(100), batcher.add(101), batcher.add(102)];
    expect(w.batches).toHaveLength(WRITERS); // waiting for a writer (or the wait limit)
    w.pending.shift()!.finish();
    await expect(first[0]).resolves.toBe(0);
    await until(() => w.batches.length > WRITERS);
    expect(w.batches[WRITERS]).toEqual([100, 101, 102]);
    await expect(finishAll(w, Promise.all(later))).resolves.toEqual([1000, 1010, 1020]);
    await expect(finishAll(w, Promise.all(first))).resolves.toEqual(Array.from({ length: WRITERS }, (_, i) => i * 10));
  });

  it('never puts more than MAX_BATCH arrivals in one write', async () => {
    const w = controlledWrite();
    const batcher = new ArrivalBatcher<number, number>(w.write);
    const all = Array.from({ length: WRITERS + MAX_BATCH + 5 }, (_, i) => batcher.add(i));
    await finishAll(w, Promise.all(all));
    expect(w.batches.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: WRITERS + MAX_BATCH + 5 }, (_, i) => i));
    expect(Math.max(...w.batches.map((b) => b.length))).toBeLessThanOrEqual(MAX_BATCH);
  });

  it('writes a gathered batch after MAX_WAIT_MS even if the writers stay busy', async () => {
    const w = controlledWrite();
    const batcher = new ArrivalBatcher<number, number>(w.write);
    for (let i = 0; i < WRITERS; i++) void batcher.add(i);
    const waiting = batcher.add(7);
    await until(() => w.batches.length > WRITERS); // no writer came free: the wait limit let it go
    expect(w.batches[WRITERS]).toEqual([7]);
    await expect(finishAll(w, waiting)).resolves.toBe(70);
  });

  it('retries a failed batch arrival by arrival: a bad arrival fails alone', async () => {
    const batches: number[][] = [];
    const batcher = new ArrivalBatcher<number, number>(async (items) => {
      const inputs = items;
      batches.push(inputs);
      await tick();
      if (inputs.includes(13)) throw new Error('bad arrival');
      return inputs;
    });
    const all = [1, 2, 3, 13, 14].map((n) => batcher.add(n).then((r) => ({ ok: r }), (e: Error) => ({ err: e.message })));
    expect(await Promise.all(all)).toEqual([{ ok: 1 }, { ok: 2 }, { ok: 3 }, { err: 'bad arrival' }, { ok: 14 }]);
    expect(batches.some((b) => b.length > 1 && b.includes(13))).toBe(true); // it was batched, then retried alone
    expect(batches).toContainEqual([13]);
  });
});
