// Random Clarity values built twice: with our lib/clarity.js and with
// @stacks/transactions' Cl, so the two serializations can be compared.
import { Cl } from '@stacks/transactions';
import * as ours from '../../lib/clarity.js';

const NAME_FIRST = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const NAME_REST = NAME_FIRST + '0123456789-_!?+<>=/*';
const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('') + '\t\n\r';
const UNICODE = ['a', 'é', 'ß', '中', '文', '🧬', '\u0000', 'Ω', ' '];

export function clarityName(rng) {
  let name = NAME_FIRST[rng.int(0, NAME_FIRST.length - 1)];
  const length = rng.pick([0, 1, 3, 8, rng.int(0, 40)]);
  for (let i = 0; i < length; i++) name += NAME_REST[rng.int(0, NAME_REST.length - 1)];
  return name;
}

export function asciiText(rng, max = 40) {
  let text = '';
  const length = rng.int(0, max);
  for (let i = 0; i < length; i++) text += PRINTABLE[rng.int(0, PRINTABLE.length - 1)];
  return text;
}

function bigUint(rng) {
  const bits = rng.pick([0, 1, 8, 32, 53, 64, 100, 127, 128]);
  let v = 0n;
  for (let i = 0; i < bits; i += 16) v = (v << 16n) | BigInt(rng.int(0, 0xffff));
  return bits === 0 ? 0n : v & ((1n << BigInt(bits)) - 1n);
}

const byteOrder = (keys) => [...keys].sort().join('\0');
const localeOrder = (keys) => [...keys].sort((x, y) => x.localeCompare(y)).join('\0');
export const sameOrder = (keys) => byteOrder(keys) === localeOrder(keys);

/** [ours, theirs] for a random value; depth bounds nesting. */
export function value(rng, depth = 3) {
  const kinds = ['uint', 'int', 'bool', 'buffer', 'ascii', 'utf8'];
  if (depth > 0) kinds.push('tuple', 'tuple', 'list', 'optional');
  switch (rng.pick(kinds)) {
    case 'uint': {
      const v = rng.next() < 0.5 ? BigInt(rng.int(0, 2 ** 31)) : bigUint(rng);
      return [ours.uint(v), Cl.uint(v)];
    }
    case 'int': {
      let v = bigUint(rng) >> 1n;
      if (rng.next() < 0.5) v = -v - (rng.next() < 0.1 ? 1n : 0n);
      return [ours.int(v), Cl.int(v)];
    }
    case 'bool': {
      const v = rng.next() < 0.5;
      return [ours.bool(v), Cl.bool(v)];
    }
    case 'buffer': {
      const b = rng.bytes(rng.int(0, 70));
      return [ours.buffer(b), Cl.buffer(b)];
    }
    case 'ascii': {
      const t = asciiText(rng);
      return [ours.stringAscii(t), Cl.stringAscii(t)];
    }
    case 'utf8': {
      let t = '';
      for (let i = rng.int(0, 12); i > 0; i--) t += rng.pick(UNICODE);
      return [ours.stringUtf8(t), Cl.stringUtf8(t)];
    }
    case 'optional': {
      if (rng.next() < 0.3) return [ours.none(), Cl.none()];
      const [a, b] = value(rng, depth - 1);
      return [ours.some(a), Cl.some(b)];
    }
    case 'list': {
      // Clarity lists are homogeneous; @stacks does not check, but keep them so.
      const kind = rng.pick(['uint', 'bool', 'ascii']);
      const a = [];
      const b = [];
      for (let i = rng.int(0, 5); i > 0; i--) {
        if (kind === 'uint') {
          const v = bigUint(rng);
          a.push(ours.uint(v));
          b.push(Cl.uint(v));
        } else if (kind === 'bool') {
          const v = rng.next() < 0.5;
          a.push(ours.bool(v));
          b.push(Cl.bool(v));
        } else {
          const t = asciiText(rng, 10);
          a.push(ours.stringAscii(t));
          b.push(Cl.stringAscii(t));
        }
      }
      return [ours.list(a), Cl.list(b)];
    }
    case 'tuple': {
      const a = {};
      const b = {};
      for (let i = rng.int(1, 6); i > 0; i--) {
        const name = clarityName(rng);
        // Clarity orders tuple keys by bytes; @stacks/transactions sorts them with
        // localeCompare. Compare only key sets both orders agree on (the byte order
        // itself is checked on its own in clarity.test.mjs).
        if (!sameOrder([...Object.keys(a), name])) continue;
        const [x, y] = value(rng, depth - 1);
        a[name] = x;
        b[name] = y;
      }
      return [ours.tuple(a), Cl.tuple(b)];
    }
  }
  throw new Error('unreachable');
}
