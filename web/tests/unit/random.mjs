// A small seeded generator (mulberry32) so a failing case can be replayed:
// GENOFLOW_TEST_SEED=<seed> npm test. Each test file prints its seed.
const seedFromEnv = process.env.GENOFLOW_TEST_SEED;
export const seed = seedFromEnv ? Number(seedFromEnv) >>> 0 : (Date.now() ^ (Math.random() * 2 ** 32)) >>> 0;

export function generator(label) {
  let state = (seed ^ hashLabel(label)) >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  const bytes = (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = int(0, 255);
    return out;
  };
  const pick = (items) => items[int(0, items.length - 1)];
  return { next, int, bytes, pick };
}

function hashLabel(label) {
  let h = 0x811c9dc5;
  for (const ch of label) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return h >>> 0;
}
