/** JSON texts as the bytes of one JSON array (sent as bytea: no escaped array literal, no giant string on the heap). */
export function jsonArrayBytes(texts: string[]): Buffer {
  let size = 2 + Math.max(0, texts.length - 1);
  for (const t of texts) size += Buffer.byteLength(t);
  const out = Buffer.allocUnsafe(size);
  let at = out.write('[');
  texts.forEach((t, i) => {
    if (i) at += out.write(',', at);
    at += out.write(t, at);
  });
  out.write(']', at);
  return out;
}
