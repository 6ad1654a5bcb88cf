// Clarity values and their consensus serialization (what SIP-018 hashes, what a
// contract call carries and what a read-only call answers): int, uint, bool,
// buffer, principal (standard and contract), response (ok, err), optional,
// list, tuple, string-ascii, string-utf8; both ways.
//
// Values are plain objects built with the helpers below, e.g.
//   tuple({ action: stringAscii('login'), nonce: uint(7), expires: uint(1700000000) })

import { decodeAddress, encodeAddress } from './c32.js';
import { bytesToHex, concatBytes, hexToBytes } from './sha256.js';

const TYPE = {
  int: 0x00,
  uint: 0x01,
  buffer: 0x02,
  true: 0x03,
  false: 0x04,
  standard: 0x05,
  contract: 0x06,
  ok: 0x07,
  err: 0x08,
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

/** A principal: "ST…" (standard) or "ST….name" (contract). */
export function principal(text) {
  const [address, name, extra] = String(text).split('.');
  if (extra !== undefined) throw new Error(`clarity: ${JSON.stringify(text)} is not a principal`);
  decodeAddress(address); // throws on a bad address
  if (name !== undefined && (name.length > 128 || !CLARITY_NAME.test(name))) {
    throw new Error(`clarity: ${JSON.stringify(name)} is not a contract name`);
  }
  return { type: 'principal', value: String(text) };
}

export function ok(value) {
  return { type: 'ok', value };
}

export function err(value) {
  return { type: 'err', value };
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
    case 'principal': {
      const [address, name] = cv.value.split('.');
      const { version, hash } = decodeAddress(address);
      if (name === undefined) return concatBytes(new Uint8Array([TYPE.standard, version]), hash);
      const nameBytes = encoder.encode(name);
      return concatBytes(new Uint8Array([TYPE.contract, version]), hash, new Uint8Array([nameBytes.length]), nameBytes);
    }
    case 'ok':
      return concatBytes(new Uint8Array([TYPE.ok]), serialize(cv.value));
    case 'err':
      return concatBytes(new Uint8Array([TYPE.err]), serialize(cv.value));
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

/** Reads one value from bytes (or hex, with or without 0x); refuses trailing bytes. */
export function deserialize(input) {
  const bytes = typeof input === 'string' ? hexToBytes(input) : input;
  const reader = { bytes, at: 0 };
  const value = readValue(reader, 0);
  if (reader.at !== bytes.length) throw new Error('clarity: bytes left over after the value');
  return value;
}

function take(reader, n) {
  if (reader.at + n > reader.bytes.length) throw new Error('clarity: the value ends too early');
  const out = reader.bytes.subarray(reader.at, reader.at + n);
  reader.at += n;
  return out;
}

const readU32 = (reader) => new DataView(take(reader, 4).slice().buffer).getUint32(0);

function readValue(reader, depth) {
  if (depth > 64) throw new Error('clarity: value nested too deep');
  const type = take(reader, 1)[0];
  const decoder = new TextDecoder('utf-8', { fatal: true });
  switch (type) {
    case TYPE.int:
    case TYPE.uint: {
      let v = BigInt(`0x${bytesToHex(take(reader, 16))}`);
      if (type === TYPE.int && v >= 1n << 127n) v -= 1n << 128n;
      return { type: type === TYPE.int ? 'int' : 'uint', value: v };
    }
    case TYPE.buffer:
      return buffer(new Uint8Array(take(reader, readU32(reader))));
    case TYPE.true:
      return bool(true);
    case TYPE.false:
      return bool(false);
    case TYPE.standard:
    case TYPE.contract: {
      const version = take(reader, 1)[0];
      const address = encodeAddress(version, new Uint8Array(take(reader, 20)));
      if (type === TYPE.standard) return { type: 'principal', value: address };
      const name = decoder.decode(take(reader, take(reader, 1)[0]));
      return { type: 'principal', value: `${address}.${name}` };
    }
    case TYPE.ok:
      return ok(readValue(reader, depth + 1));
    case TYPE.err:
      return err(readValue(reader, depth + 1));
    case TYPE.none:
      return none();
    case TYPE.some:
      return some(readValue(reader, depth + 1));
    case TYPE.list: {
      const count = readU32(reader);
      const values = [];
      for (let i = 0; i < count; i++) values.push(readValue(reader, depth + 1));
      return list(values);
    }
    case TYPE.tuple: {
      const count = readU32(reader);
      const value = {};
      for (let i = 0; i < count; i++) {
        const name = decoder.decode(take(reader, take(reader, 1)[0]));
        value[name] = readValue(reader, depth + 1);
      }
      return { type: 'tuple', value };
    }
    case TYPE.ascii:
      return { type: 'string-ascii', value: decoder.decode(take(reader, readU32(reader))) };
    case TYPE.utf8:
      return { type: 'string-utf8', value: decoder.decode(take(reader, readU32(reader))) };
    default:
      throw new Error(`clarity: unknown type byte 0x${type.toString(16).padStart(2, '0')}`);
  }
}

/**
 * A value as plain JavaScript: integers as BigInt, buffers as hex, principals and strings
 * as strings, none as null, some as its value, tuples as objects, lists as arrays,
 * responses as {ok: value} or {err: value}.
 */
export function toJs(cv) {
  switch (cv.type) {
    case 'buffer':
      return bytesToHex(cv.value);
    case 'none':
      return null;
    case 'some':
      return toJs(cv.value);
    case 'ok':
      return { ok: toJs(cv.value) };
    case 'err':
      return { err: toJs(cv.value) };
    case 'list':
      return cv.value.map(toJs);
    case 'tuple':
      return Object.fromEntries(Object.entries(cv.value).map(([k, v]) => [k, toJs(v)]));
    default:
      return cv.value;
  }
}
