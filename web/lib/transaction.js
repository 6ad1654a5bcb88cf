// Stacks contract-call transactions (SIP-005), built and signed in the page for the
// local development key. Wallets build the same bytes from the same parameters.
//
//   version (0x80 testnet, 0x00 mainnet) ‖ chain id (u32) ‖
//   auth: 0x04 standard, single-sig spending condition
//         [hash mode 0x00 P2PKH ‖ signer hash160 ‖ nonce u64 ‖ fee u64 ‖ key encoding 0x00
//          compressed ‖ signature 65 bytes v ‖ r ‖ s] ‖
//   anchor mode 0x03 any ‖ post-condition mode (0x02 deny) ‖ post-conditions (u32 count, each
//   STX: 0x00 ‖ principal ‖ condition code ‖ amount u64) ‖
//   payload 0x02 contract call [address version ‖ hash160 ‖ contract name (u8 length) ‖
//          function name (u8 length) ‖ u32 count ‖ each argument's Clarity serialization]
//
// Signing: sighash = txid of the transaction with nonce, fee and signature cleared;
// presign = SHA-512/256(sighash ‖ 0x04 ‖ fee ‖ nonce); the signature (low S, recoverable) of
// presign goes in as v ‖ r ‖ s. The txid is the SHA-512/256 of the signed bytes.

import { decodeAddress } from './c32.js';
import { serialize } from './clarity.js';
import { hash160 } from './ripemd160.js';
import { getPublicKey, sign } from './secp256k1.js';
import { bytesToHex, concatBytes } from './sha256.js';
import { sha512_256 } from './sha512.js';

export const TRANSACTION_VERSION = { mainnet: 0x00, testnet: 0x80 };
const AUTH_STANDARD = 0x04;
const HASH_MODE_P2PKH = 0x00;
const KEY_COMPRESSED = 0x00;
const ANCHOR_ANY = 0x03;
export const POST_CONDITION_MODE = { allow: 0x01, deny: 0x02 };
const PAYLOAD_CONTRACT_CALL = 0x02;
const POST_CONDITION_STX = 0x00;
const PRINCIPAL_ORIGIN = 0x01;
const PRINCIPAL_STANDARD = 0x02;
const PRINCIPAL_CONTRACT = 0x03;
export const CONDITION_CODE = { eq: 0x01, gt: 0x02, gte: 0x03, lt: 0x04, lte: 0x05 };
const U64_MAX = (1n << 64n) - 1n;

function u64(value) {
  const v = BigInt(value);
  if (v < 0n || v > U64_MAX) throw new Error(`transaction: ${v} does not fit in 64 bits`);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, v);
  return out;
}

function u32(n) {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

function shortString(text, what) {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length === 0 || bytes.length > 128) throw new Error(`transaction: bad ${what} ${JSON.stringify(text)}`);
  return concatBytes(new Uint8Array([bytes.length]), bytes);
}

/** "ADDR.name" → {address, name}. */
export function splitContractId(contract) {
  const match = /^(S[0-9A-Z]+)\.([a-zA-Z][a-zA-Z0-9-_]*)$/.exec(String(contract));
  if (!match) throw new Error(`${JSON.stringify(contract)} is not a contract id (ADDR.name)`);
  return { address: match[1], name: match[2] };
}

/**
 * An STX post-condition: `address` ("ST…", "ST….name" or "origin") sends `condition`
 * (eq, gt, gte, lt, lte) `amount` µSTX.
 */
export function stxPostCondition(address, condition, amount) {
  if (!(condition in CONDITION_CODE)) throw new Error(`transaction: unknown condition ${condition}`);
  return { type: 'stx', address, condition, amount: BigInt(amount) };
}

/** The wire bytes of a post-condition (what `postConditionToHex` gives). */
export function serializePostCondition(pc) {
  if (pc.type !== 'stx') throw new Error(`transaction: only STX post-conditions, not ${pc.type}`);
  let principal;
  if (pc.address === 'origin') {
    principal = new Uint8Array([PRINCIPAL_ORIGIN]);
  } else {
    const [address, name] = pc.address.split('.');
    const { version, hash } = decodeAddress(address);
    principal = name === undefined
      ? concatBytes(new Uint8Array([PRINCIPAL_STANDARD, version]), hash)
      : concatBytes(new Uint8Array([PRINCIPAL_CONTRACT, version]), hash, shortString(name, 'contract name'));
  }
  return concatBytes(new Uint8Array([POST_CONDITION_STX]), principal, new Uint8Array([CONDITION_CODE[pc.condition]]), u64(pc.amount));
}

/**
 * An unsigned contract call. `publicKey`: the sender's 33-byte compressed key;
 * `args`: Clarity values (lib/clarity.js); amounts and nonce: anything BigInt() takes.
 */
export function contractCall({ network = 'testnet', chainId, publicKey, nonce, fee, contract, functionName, args = [], postConditions = [], postConditionMode = 'deny' }) {
  if (!(network in TRANSACTION_VERSION)) throw new Error(`transaction: unknown network ${network}`);
  if (!(postConditionMode in POST_CONDITION_MODE)) throw new Error(`transaction: unknown post-condition mode ${postConditionMode}`);
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 33) throw new Error('transaction: the sender key must be a compressed public key');
  splitContractId(contract);
  return {
    version: TRANSACTION_VERSION[network],
    chainId: Number(chainId),
    signer: hash160(publicKey),
    nonce: BigInt(nonce),
    fee: BigInt(fee),
    signature: new Uint8Array(65),
    postConditionMode,
    postConditions: [...postConditions],
    contract,
    functionName,
    args: [...args],
  };
}

/** The transaction's bytes. */
export function serializeTransaction(tx) {
  const { address, name } = splitContractId(tx.contract);
  const { version, hash } = decodeAddress(address);
  return concatBytes(
    new Uint8Array([tx.version]),
    u32(tx.chainId),
    new Uint8Array([AUTH_STANDARD, HASH_MODE_P2PKH]),
    tx.signer,
    u64(tx.nonce),
    u64(tx.fee),
    new Uint8Array([KEY_COMPRESSED]),
    tx.signature,
    new Uint8Array([ANCHOR_ANY, POST_CONDITION_MODE[tx.postConditionMode]]),
    u32(tx.postConditions.length),
    ...tx.postConditions.map(serializePostCondition),
    new Uint8Array([PAYLOAD_CONTRACT_CALL, version]),
    hash,
    shortString(name, 'contract name'),
    shortString(tx.functionName, 'function name'),
    u32(tx.args.length),
    ...tx.args.map(serialize),
  );
}

/** The txid (hex) of a transaction or of its bytes. */
export function txid(txOrBytes) {
  const bytes = txOrBytes instanceof Uint8Array ? txOrBytes : serializeTransaction(txOrBytes);
  return bytesToHex(sha512_256(bytes));
}

/** Signs as the origin with a private key (hex or bytes): a new, signed transaction. */
export function signTransaction(tx, privateKey) {
  const signer = hash160(getPublicKey(privateKey));
  if (bytesToHex(signer) !== bytesToHex(tx.signer)) throw new Error('transaction: this key is not the sender');
  const cleared = { ...tx, nonce: 0n, fee: 0n, signature: new Uint8Array(65) };
  const initial = sha512_256(serializeTransaction(cleared));
  const presign = sha512_256(initial, new Uint8Array([AUTH_STANDARD]), u64(tx.fee), u64(tx.nonce));
  const { r, s, recovery } = sign(presign, privateKey);
  const rs = (v) => {
    const hex = v.toString(16).padStart(64, '0');
    return Uint8Array.from(hex.match(/../g), (b) => parseInt(b, 16));
  };
  return { ...tx, signature: concatBytes(new Uint8Array([recovery]), rs(r), rs(s)) };
}
