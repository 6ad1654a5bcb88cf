// Clarity value serialization (the consensus encoding SIP-018 hashes), for the
// types a login message and its domain need plus a few neighbours:
// int, uint, bool, buffer, string-ascii, string-utf8, optional, list, tuple.
//
// Values are plain objects built with the helpers below, e.g.
//   tuple({ action: stringAscii('login'), nonce: uint(7), expires: uint(1700000000) })

import { bytesToHex, concatBytes } from './sha256.js';

const TYPE = {
  int: 0x00,
  uint: 0x01,
  buffer: 0x02,
  true: 0x03,
  false: 0x04,
  none: 0x09,
  some: 0x0a,
  list: 0x0b,
  tuple: 0x0c,
  ascii: 0x0d,
  utf8: 0x0e,
};

const U128_MAX = (1n << 128n) - 1n;
const I128_MIN = -(1n << 127n);
const I128_MAX = (1n << 127n) - 1n;
const CLARITY_NAME = /^[a-zA-Z]([a-zA-Z0-9]|[-_!?+<>=/*])*$/;

function toBigInt(value) {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error(`clarity: ${value} is not a safe integer`);
    return BigInt(value);
  }
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  throw new Error(`clarity: ${String(value)} is not an integer`);
}

export function uint(value) {
  const v = toBigInt(value);
  if (v < 0n || v > U128_MAX) throw new Error(`clarity: uint out of range: ${v}`);
  return { type: 'uint', value: v };
}

export function int(value) {
  const v = toBigInt(value);
  if (v < I128_MIN || v > I128_MAX) throw new Error(`clarity: int out of range: ${v}`);
  return { type: 'int', value: v };
}

export function bool(value) {
  return { type: 'bool', value: Boolean(value) };
}

export function buffer(bytes) {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('clarity: buffer takes a Uint8Array');
  return { type: 'buffer', value: bytes };
}

export function stringAscii(text) {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // Clarity's string-ascii: printable ASCII plus \t \n \r.
    if (!((c >= 0x20 && c <= 0x7e) || c === 0x09 || c === 0x0a || c === 0x0d)) {
      throw new Error(`clarity: string-ascii cannot hold character code ${c}`);
    }
  }
  return { type: 'string-ascii', value: text };
}

export function stringUtf8(text) {
  return { type: 'string-utf8', value: text };
}

export function none() {
  return { type: 'none' };
}

export function some(value) {
  return { type: 'some', value };
}

export function list(values) {
  return { type: 'list', value: [...values] };
}

export function tuple(entries) {
  const value = {};
  for (const [name, v] of Object.entries(entries)) {
    if (name.length > 128 || !CLARITY_NAME.test(name)) {
      throw new Error(`clarity: ${JSON.stringify(name)} is not a tuple key`);
    }
    value[name] = v;
  }
  return { type: 'tuple', value };
}

function u32(n) {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

function i128Bytes(v) {
  const twos = v < 0n ? (1n << 128n) + v : v;
  const hex = twos.toString(16).padStart(32, '0');
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function compareNames(a, b) {
  // Names are ASCII: compare bytes, as Clarity orders a tuple's fields.
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The consensus serialization of a value, as bytes. */
export function serialize(cv) {
  const encoder = new TextEncoder();
  switch (cv.type) {
    case 'int':
      return concatBytes(new Uint8Array([TYPE.int]), i128Bytes(cv.value));
    case 'uint':
      return concatBytes(new Uint8Array([TYPE.uint]), i128Bytes(cv.value));
    case 'bool':
      return new Uint8Array([cv.value ? TYPE.true : TYPE.false]);
    case 'buffer':
      return concatBytes(new Uint8Array([TYPE.buffer]), u32(cv.value.length), cv.value);
    case 'string-ascii': {
      const bytes = encoder.encode(cv.value);
      return concatBytes(new Uint8Array([TYPE.ascii]), u32(bytes.length), bytes);
    }
    case 'string-utf8': {
      const bytes = encoder.encode(cv.value);
      return concatBytes(new Uint8Array([TYPE.utf8]), u32(bytes.length), bytes);
    }
    case 'none':
      return new Uint8Array([TYPE.none]);
    case 'some':
      return concatBytes(new Uint8Array([TYPE.some]), serialize(cv.value));
    case 'list':
      return concatBytes(
        new Uint8Array([TYPE.list]),
        u32(cv.value.length),
        ...cv.value.map(serialize),
      );
    case 'tuple': {
      const names = Object.keys(cv.value).sort(compareNames);
      const parts = [new Uint8Array([TYPE.tuple]), u32(names.length)];
      for (const name of names) {
        const nameBytes = encoder.encode(name);
        parts.push(new Uint8Array([nameBytes.length]), nameBytes, serialize(cv.value[name]));
      }
      return concatBytes(...parts);
    }
    default:
      throw new Error(`clarity: cannot serialize type ${cv.type}`);
  }
}

/** The serialization as lowercase hex without 0x (what wallets take). */
export function serializeHex(cv) {
  return bytesToHex(serialize(cv));
}
