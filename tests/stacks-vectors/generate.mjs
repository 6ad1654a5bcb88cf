// Writes the cross-language vectors that shared/stacks checks (tests/vectors.rs).
//
//   node generate.mjs OUTPUT.json
//
// Everything here is produced by @stacks/transactions (the library wallets and
// apps use), from a seeded generator, so the committed tests/vectors/stacks.json
// is reproducible byte for byte. Merkle vectors come from the Rust crate
// (tests/vectors/merkle.json) and are copied under the "merkle" key.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { c32address } from 'c32check';
import {
  Cl,
  PostConditionMode,
  deserializeCV,
  encodeStructuredDataBytes,
  makeContractCall,
  makeSTXTokenTransfer,
  privateKeyToPublic,
  publicKeyToAddress,
  serializeCV,
  signStructuredData,
} from '@stacks/transactions';
import { sha256 } from '@noble/hashes/sha256';
import { bytesToHex } from '@noble/hashes/utils';

const here = dirname(fileURLToPath(import.meta.url));
const output = process.argv[2];
if (!output) {
  console.error('usage: node generate.mjs OUTPUT.json');
  process.exit(2);
}

// mulberry32: small, seeded, the same on every Node version.
let state = 0x5eed_f10e;
function random() {
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (low, high) => low + Math.floor(random() * (high - low + 1));
const pick = (items) => items[int(0, items.length - 1)];
const bytes = (count) => Uint8Array.from({ length: count }, () => int(0, 255));
const hex = (count) => bytesToHex(bytes(count));
const bigint = (byteCount) => BigInt(`0x${hex(byteCount) || '0'}`);

// A random integer of `byteCount` bytes, two's-complement range.
const signed = (byteCount) => bigint(byteCount) - 2n ** BigInt(8 * byteCount - 1);

const I128_MIN = -(2n ** 127n);
const I128_MAX = 2n ** 127n - 1n;
const U128_MAX = 2n ** 128n - 1n;

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const NAME_TAIL = `${LETTERS}0123456789-_`;
function contractName(maxLength = 40) {
  let name = pick([...LETTERS]);
  const length = int(0, maxLength - 1);
  for (let i = 0; i < length; i++) name += pick([...NAME_TAIL]);
  return name;
}
function tupleKey() {
  let name = pick([...LETTERS]);
  const length = int(0, 12);
  for (let i = 0; i < length; i++) name += pick([...`${NAME_TAIL}!?+<>=/*`]);
  return name;
}
// Clarity orders tuple keys by bytes (a node's `to-consensus-buff?`); @stacks/transactions
// sorts them with localeCompare. Valid vectors only use key sets both orders agree on;
// the invalid vectors hold tuples where they differ.
const byteOrder = (keys) => [...keys].sort().join('\0');
const localeOrder = (keys) => [...keys].sort((a, b) => a.localeCompare(b)).join('\0');
const sameOrder = (keys) => byteOrder(keys) === localeOrder(keys);

function asciiText(maxLength) {
  // Printable ASCII plus the whitespace Clarity allows.
  const length = int(0, maxLength);
  let text = '';
  for (let i = 0; i < length; i++) text += random() < 0.05 ? pick(['\n', '\t', ' ']) : String.fromCharCode(int(0x20, 0x7e));
  return text;
}
function unicodeText(maxLength) {
  const ranges = [
    [0x20, 0x7e],
    [0xa0, 0x2ff],
    [0x370, 0x3ff],
    [0x4e00, 0x4fff],
    [0x1f300, 0x1f64f],
    [0x10000, 0x1007f],
  ];
  const length = int(0, maxLength);
  let text = '';
  for (let i = 0; i < length; i++) text += String.fromCodePoint(int(...pick(ranges)));
  return text;
}
function address(version = pick([22, 26, 20, 21, int(0, 31)])) {
  return c32address(version, hex(20));
}

function atom() {
  switch (int(0, 9)) {
    case 0:
      return Cl.int(pick([I128_MIN, I128_MAX, 0n, -1n, 1n, signed(int(1, 16))]));
    case 1:
      return Cl.uint(pick([0n, 1n, U128_MAX, bigint(int(1, 16))]));
    case 2:
      return Cl.bool(random() < 0.5);
    case 3:
      return Cl.buffer(bytes(pick([0, 1, 20, 32, 33, 65, int(0, 300)])));
    case 4:
      return Cl.stringAscii(asciiText(60));
    case 5:
      return Cl.stringUtf8(unicodeText(40));
    case 6:
      return Cl.standardPrincipal(address());
    case 7:
      return Cl.contractPrincipal(address(), contractName(random() < 0.1 ? 127 : 40));
    case 8:
      return Cl.none();
    default:
      return Cl.uint(int(0, 1000));
  }
}

function value(depth) {
  if (depth <= 0 || random() < 0.3) return atom();
  switch (int(0, 5)) {
    case 0:
      return Cl.some(value(depth - 1));
    case 1:
      return Cl.ok(value(depth - 1));
    case 2:
      return Cl.error(value(depth - 1));
    case 3: {
      // Clarity lists are homogeneous: the other elements take the first one's type.
      const first = value(depth - 1);
      return Cl.list(random() < 0.1 ? [] : [first, ...Array.from({ length: int(0, 5) }, () => similar(first))]);
    }
    default: {
      const fields = {};
      const count = int(1, 5);
      while (Object.keys(fields).length < count) {
        const key = tupleKey();
        if (sameOrder([...Object.keys(fields), key])) fields[key] = value(depth - 1);
      }
      return Cl.tuple(fields);
    }
  }
}

/// A random value of a type that unifies with `template`'s (same kind, same tuple keys).
function similar(template) {
  switch (template.type) {
    case 'int':
      return Cl.int(signed(int(1, 16)));
    case 'uint':
      return Cl.uint(bigint(int(0, 16)));
    case 'true':
    case 'false':
      return Cl.bool(random() < 0.5);
    case 'buffer':
      return Cl.buffer(bytes(int(0, 40)));
    case 'ascii':
      return Cl.stringAscii(asciiText(20));
    case 'utf8':
      return Cl.stringUtf8(unicodeText(10));
    case 'address':
    case 'contract':
      return random() < 0.5 ? Cl.standardPrincipal(address()) : Cl.contractPrincipal(address(), contractName());
    case 'none':
      return Cl.none();
    case 'some':
      return random() < 0.3 ? Cl.none() : Cl.some(similar(template.value));
    case 'ok':
      return Cl.ok(similar(template.value));
    case 'err':
      return Cl.error(similar(template.value));
    case 'list':
      return Cl.list(template.value.length ? Array.from({ length: int(0, 4) }, () => similar(template.value[0])) : []);
    case 'tuple':
      return Cl.tuple(Object.fromEntries(Object.entries(template.value).map(([key, inner]) => [key, similar(inner)])));
    default:
      throw new Error(`no similar value for type ${template.type}`);
  }
}

/// A chain of `containers` single-child containers around an atom.
function deep(containers) {
  let inner = atom();
  for (let i = 0; i < containers; i++) {
    inner = pick([
      () => Cl.some(inner),
      () => Cl.ok(inner),
      () => Cl.error(inner),
      () => Cl.list([inner]),
      () => Cl.tuple({ [tupleKey()]: inner }),
    ])();
  }
  return inner;
}

// ---- values ----
const values = [];
const addValue = (cv) => values.push({ hex: serializeCV(cv) });
for (const extreme of [I128_MIN, I128_MAX, 0n, -1n]) addValue(Cl.int(extreme));
for (const extreme of [0n, 1n, U128_MAX]) addValue(Cl.uint(extreme));
addValue(Cl.stringAscii(''));
addValue(Cl.stringUtf8(''));
addValue(Cl.stringUtf8('𝄞 ñ 中文 😀 \u{10ffff}'));
addValue(Cl.buffer(new Uint8Array(0)));
addValue(Cl.buffer(bytes(4096)));
addValue(Cl.list([]));
addValue(Cl.list(Array.from({ length: 1000 }, () => Cl.uint(bigint(int(0, 16))))));
addValue(Cl.list(Array.from({ length: 200 }, () => Cl.stringUtf8(unicodeText(8)))));
addValue(Cl.contractPrincipal(address(26), contractName(127)));
// @stacks/transactions stops at 127 bytes; the node (and the Rust decoder) also take 128.
addValue(Cl.contractPrincipal(address(22), 'a'.repeat(127)));
for (let containers = 25; containers <= 31; containers++) addValue(deep(containers));
for (let i = 0; i < 400; i++) addValue(value(int(0, 8)));

// ---- invalid values ----
const invalid = [];
const bad = (hexText, why) => invalid.push({ hex: hexText, why });
const lengthHex = (length) => length.toString(16).padStart(8, '0');
const asciiHex = (text) => bytesToHex(new TextEncoder().encode(text));
bad('', 'empty input');
for (const id of [0x0f, 0x10, 0x7f, 0x80, 0xff]) bad(id.toString(16).padStart(2, '0'), `unknown type id 0x${id.toString(16)}`);
for (let i = 0; i < 30; i++) {
  const good = serializeCV(value(int(0, 4)));
  if (good.length > 2) bad(good.slice(0, 2 * int(1, good.length / 2 - 1)), 'truncated value');
  bad(`${good}${hex(int(1, 3))}`, 'trailing bytes after the value');
}
bad('00' + '00'.repeat(15), 'int with 15 of its 16 bytes');
bad('0e00000001ff', 'invalid UTF-8 byte 0xff');
bad('0e00000002c080', 'overlong UTF-8 encoding');
bad('0e00000003eda080', 'UTF-8-encoded surrogate');
bad('0e00000002e282', 'UTF-8 sequence cut short');
bad('0d0000000107', 'string-ascii with a control byte');
bad('0d00000001c3', 'string-ascii with a non-ASCII byte');
for (const version of [32, 33, 128, 255]) {
  const versionHex = version.toString(16).padStart(2, '0');
  bad(`05${versionHex}${hex(20)}`, `standard principal version ${version} is not below 32`);
  bad(`06${versionHex}${hex(20)}01${asciiHex('a')}`, `contract principal version ${version} is not below 32`);
}
bad(`061a${hex(20)}81${asciiHex('a'.repeat(129))}`, 'contract name of 129 bytes');
bad(`061a${hex(20)}ff${asciiHex('a'.repeat(255))}`, 'contract name of 255 bytes');
bad(`061a${hex(20)}00`, 'empty contract name');
bad(`061a${hex(20)}05${asciiHex('1abcd')}`, 'contract name starting with a digit');
bad(`061a${hex(20)}03${asciiHex('a.b')}`, 'contract name with a dot');
bad(`0c0000000181${asciiHex('k'.repeat(129))}03`, 'tuple key of 129 bytes');
bad(`0c0000000103${asciiHex('a b')}03`, 'tuple key with a space');
bad('0c00000000', 'empty tuple');
for (let found = 0; found < 10; ) {
  const keys = Array.from({ length: int(2, 4) }, tupleKey);
  if (new Set(keys).size !== keys.length || sameOrder(keys)) continue;
  const fields = Object.fromEntries(keys.map((key) => [key, atom()]));
  bad(serializeCV(Cl.tuple(fields)), 'tuple keys in localeCompare order, not Clarity byte order');
  found++;
}
bad(`0c00000002016203016103`, 'tuple keys out of order');
bad(`0c00000002016103016103`, 'duplicate tuple key');
for (let i = 0; i < 5; i++) bad(serializeCV(deep(32 + i * 7)), `value nested ${32 + i * 7} containers deep (limit 31 around a value)`);
bad(`0b${lengthHex(3)}0303`, 'list with fewer elements than its count');
bad(`02${lengthHex(1024 * 1024 + 1)}`, 'buffer longer than 1 MiB');
bad(`0d${lengthHex(1024 * 1024 + 1)}`, 'string-ascii longer than 1 MiB');
bad(`0e${lengthHex(0xffffffff)}`, 'string-utf8 longer than 1 MiB');
bad(`0b${lengthHex(0x7fffffff)}03`, 'list count above 1 MiB');
bad(`02${lengthHex(10)}0011`, 'buffer shorter than its length');
bad(serializeCV(Cl.list([Cl.uint(1), Cl.int(1)])), 'list of uint and int');
bad(serializeCV(Cl.list([Cl.some(Cl.uint(1)), Cl.some(Cl.bool(true))])), 'list of optionals of different types');
bad(serializeCV(Cl.list([Cl.ok(Cl.uint(1)), Cl.ok(Cl.stringAscii('a'))])), 'list of responses with different ok types');
bad(serializeCV(Cl.list([Cl.tuple({ a: Cl.uint(1) }), Cl.tuple({ b: Cl.uint(1) })])), 'list of tuples with different keys');
bad(serializeCV(Cl.list([Cl.stringAscii('a'), Cl.stringUtf8('a')])), 'list of string-ascii and string-utf8');
bad(serializeCV(Cl.list([Cl.list([Cl.uint(1)]), Cl.list([Cl.buffer(bytes(1))])])), 'list of lists of different element types');
bad('0a', 'some without a value');
bad('07', 'ok without a value');

// ---- addresses ----
function privateKey(compressed) {
  const key = hex(32);
  return compressed ? `${key}01` : key;
}
const addresses = [];
for (let i = 0; i < 60; i++) {
  const publicKey = privateKeyToPublic(privateKey(i % 3 !== 0));
  for (const version of [22, 26]) addresses.push({ public_key: publicKey, version, address: publicKeyToAddress(version, publicKey) });
  if (i % 4 === 0) {
    const version = pick([20, 21]);
    addresses.push({ public_key: publicKey, version, address: publicKeyToAddress(version, publicKey) });
  }
}

// ---- post-conditions (JSON form of @stacks/transactions v7) ----
function postCondition(network) {
  const owner = pick(['origin', address(network === 'mainnet' ? 22 : 26), `${address(network === 'mainnet' ? 22 : 26)}.${contractName()}`]);
  const asset = `${address(network === 'mainnet' ? 22 : 26)}.${contractName()}::${tupleKey()}`;
  const amount = String(int(0, 2 ** 40));
  switch (int(0, 2)) {
    case 0:
      return { type: 'stx-postcondition', address: owner, condition: pick(['eq', 'gt', 'gte', 'lt', 'lte']), amount };
    case 1:
      return { type: 'ft-postcondition', address: owner, condition: pick(['eq', 'gt', 'gte', 'lt', 'lte']), amount, asset };
    default:
      return { type: 'nft-postcondition', address: owner, condition: pick(['sent', 'not-sent']), asset, assetId: serializeCV(atom()) };
  }
}
const toLibraryPostCondition = (pc) => (pc.type === 'nft-postcondition' ? { ...pc, assetId: deserializeCV(pc.assetId) } : pc);

// ---- contract calls ----
const contractCalls = [];
for (let i = 0; i < 60; i++) {
  const network = pick(['testnet', 'mainnet']);
  const key = privateKey(i % 4 !== 0);
  const contract = `${address(network === 'mainnet' ? 22 : 26)}.${contractName()}`;
  const [contractAddress, name] = contract.split('.');
  const functionName = tupleKey();
  const args = Array.from({ length: int(0, 5) }, () => value(int(0, 3)));
  const mode = pick(['deny', 'allow']);
  const postConditions = random() < 0.5 ? Array.from({ length: int(1, 3) }, () => postCondition(network)) : [];
  const nonce = pick([0, 1, 7, int(0, 2 ** 31), Number.MAX_SAFE_INTEGER]);
  const fee = pick([0, 180, 2000, int(0, 10 ** 9)]);
  const tx = await makeContractCall({
    contractAddress,
    contractName: name,
    functionName,
    functionArgs: args,
    senderKey: key,
    network,
    nonce,
    fee,
    postConditionMode: mode === 'deny' ? PostConditionMode.Deny : PostConditionMode.Allow,
    postConditions: postConditions.map(toLibraryPostCondition),
    validateWithAbi: false,
  });
  const entry = {
    private_key: key,
    network,
    nonce,
    fee,
    contract,
    function: functionName,
    args: args.map(serializeCV),
    post_condition_mode: mode,
  };
  // An addition to the shape: post-conditions in the library's JSON form (absent = none).
  if (postConditions.length) entry.post_conditions = postConditions;
  entry.hex = tx.serialize();
  entry.txid = tx.txid();
  contractCalls.push(entry);
}

// ---- token transfers ----
const tokenTransfers = [];
for (let i = 0; i < 40; i++) {
  const network = pick(['testnet', 'mainnet']);
  const key = privateKey(i % 4 !== 0);
  const recipientAddress = address(network === 'mainnet' ? 22 : 26);
  const recipient = random() < 0.2 ? `${recipientAddress}.${contractName()}` : recipientAddress;
  const amount = pick([0, 1, 12345, int(0, 2 ** 40), Number.MAX_SAFE_INTEGER]);
  let memo = pick(['', 'hello', asciiText(34), unicodeText(8)]);
  while (new TextEncoder().encode(memo).length > 34) memo = memo.slice(0, -1);
  const nonce = pick([0, 3, int(0, 10 ** 6)]);
  const fee = pick([180, 0, int(0, 10 ** 7)]);
  const tx = await makeSTXTokenTransfer({ recipient, amount, senderKey: key, network, nonce, fee, memo });
  tokenTransfers.push({ private_key: key, network, nonce, fee, recipient, amount, memo, hex: tx.serialize(), txid: tx.txid() });
}

// ---- SIP-018 ----
const sip018 = [];
function sip018Case(key, domain, message) {
  const hash = bytesToHex(sha256(encodeStructuredDataBytes({ message, domain })));
  sip018.push({
    private_key: key,
    domain: serializeCV(domain),
    message: serializeCV(message),
    hash,
    signature: signStructuredData({ message, domain, privateKey: key }),
    address_testnet: publicKeyToAddress(26, privateKeyToPublic(key)),
  });
}
// The official test vector of SIP-018.
sip018Case(
  '753b7cc01a1a2e86221266a154af739463fce51219d97e4f856cd7200c3bd2a601',
  Cl.tuple({ name: Cl.stringAscii('Test App'), version: Cl.stringAscii('1.0.0'), 'chain-id': Cl.uint(1) }),
  Cl.stringAscii('Hello World'),
);
for (let i = 0; i < 40; i++) {
  // Wallets sign with compressed keys; the recovered address assumes one.
  const key = privateKey(true);
  const chainId = pick([1, 0x80000000]);
  const domain = Cl.tuple({ name: Cl.stringAscii(pick(['genoflow', asciiText(20)])), version: Cl.stringAscii(pick(['1', '1.0.0'])), 'chain-id': Cl.uint(chainId) });
  const message =
    i % 2 === 0
      ? Cl.tuple({ action: Cl.stringAscii('login'), nonce: Cl.uint(int(0, 2 ** 40)), expires: Cl.uint(int(1.7e9, 2e9)) })
      : value(int(0, 4));
  sip018Case(key, domain, message);
}

const merkle = JSON.parse(readFileSync(join(here, '..', 'vectors', 'merkle.json'), 'utf8'));

const vectors = {
  generator: '@stacks/transactions 7.6.0 via tests/stacks-vectors/generate.mjs',
  values,
  invalid_values: invalid,
  addresses,
  contract_calls: contractCalls,
  token_transfers: tokenTransfers,
  sip018,
  merkle,
};
writeFileSync(output, `${JSON.stringify(vectors, null, 1)}\n`);
const counts = Object.entries(vectors)
  .filter(([, v]) => Array.isArray(v))
  .map(([k, v]) => `${k}=${v.length}`)
  .join(' ');
console.log(`wrote ${output}: ${counts}`);
