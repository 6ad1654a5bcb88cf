// The contract-call path of the page against @stacks/transactions: hashes, addresses,
// Clarity values both ways, post-conditions and whole signed contract-call transactions,
// byte for byte and txid for txid; the wallet request; following a transaction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  Cl,
  Pc,
  addressToString,
  deserializeCV,
  deserializeTransaction,
  getAddressFromPrivateKey,
  makeContractCall,
  postConditionToHex,
  privateKeyToPublic,
  serializeCV,
} from '@stacks/transactions';
import * as clarity from '../../lib/clarity.js';
import { decodeAddress, encodeAddress, addressOfPublicKey } from '../../lib/c32.js';
import { sha512_256 } from '../../lib/sha512.js';
import { hash160, ripemd160 } from '../../lib/ripemd160.js';
import { getPublicKey } from '../../lib/secp256k1.js';
import { bytesToHex } from '../../lib/sha256.js';
import { contractCall, serializePostCondition, serializeTransaction, signTransaction, stxPostCondition, txid } from '../../lib/transaction.js';
import { Calls, inputsHash, makeCommitment } from '../../lib/contracts.js';
import { NotSent, followTransaction, outcomeOf, sendWithKey, sendWithWallet, walletParams } from '../../lib/contract-call.js';
import { ERROR_WORDS, errorWords } from '../../lib/contract-errors.js';
import { Node, nodeBaseUrl } from '../../lib/node.js';
import { value } from './values.mjs';
import { generator, seed } from './random.mjs';

const DEPLOYER = 'ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM';
const KEYS = [
  '7287ba251d44a4d3fd9276c88ce34c5c52a038955511cccaf77e61068649c17801', // devnet wallet_1 (compressed)
  '530d9f61984c888536871c6573073bdfc0058896dc1adfe9a6a10dfacadc209101', // wallet_2
  'd655b2523bcd65e34889725c73064feb17ceb796831c0e111ba1a552b0f31b3901', // wallet_3
];
const hex = (bytes) => Buffer.from(bytes).toString('hex');

test(`SHA-512/256 and RIPEMD-160 match node:crypto on random inputs (seed ${seed})`, () => {
  const rng = generator('sha512-256');
  for (let i = 0; i < 200; i++) {
    const bytes = rng.bytes(rng.pick([0, 1, 111, 112, 127, 128, 129, 255, 256, rng.int(0, 2000)]));
    assert.equal(hex(sha512_256(bytes)), createHash('sha512-256').update(bytes).digest('hex'));
    assert.equal(hex(ripemd160(bytes)), createHash('ripemd160').update(bytes).digest('hex'));
  }
  assert.equal(hex(sha512_256(new Uint8Array(0))), 'c672b8d1ef56ed28ab87c3622c5114069bdd3ad7b8f9737498d0c01ecef0967a');
});

test(`c32 addresses match @stacks/transactions for random hashes and versions (seed ${seed})`, () => {
  const rng = generator('c32');
  for (let i = 0; i < 300; i++) {
    const hash = rng.bytes(20);
    for (let z = rng.pick([0, 0, 1, 3, 20]); z > 0; z--) hash[z - 1] = 0; // leading zero bytes
    const version = rng.pick([22, 26, 20, 21, 0, 31]);
    const ours = encodeAddress(version, hash);
    assert.equal(ours, addressToString({ version, hash160: hex(hash) }));
    const back = decodeAddress(ours);
    assert.equal(back.version, version);
    assert.equal(hex(back.hash), hex(hash));
  }
  for (const key of KEYS) assert.equal(addressOfPublicKey(getPublicKey(key)), getAddressFromPrivateKey(key, 'testnet'));
  assert.equal(addressOfPublicKey(getPublicKey(KEYS[0]), 'mainnet'), getAddressFromPrivateKey(KEYS[0], 'mainnet'));
  // One changed character breaks the checksum.
  assert.throws(() => decodeAddress(`${DEPLOYER.slice(0, -1)}N`), /checksum/);
  assert.throws(() => decodeAddress('not an address'), /not a Stacks address/);
});

test(`Clarity: principals and responses serialize as serializeCV, and every value reads back (seed ${seed})`, () => {
  const cases = [
    [clarity.principal(DEPLOYER), Cl.standardPrincipal(DEPLOYER)],
    [clarity.principal(`${DEPLOYER}.marketplace`), Cl.contractPrincipal(DEPLOYER, 'marketplace')],
    [clarity.ok(clarity.uint(7)), Cl.ok(Cl.uint(7))],
    [clarity.err(clarity.uint(411)), Cl.error(Cl.uint(411))],
    [clarity.some(clarity.tuple({ owner: clarity.principal(DEPLOYER), 'registered-at': clarity.uint(3) })), Cl.some(Cl.tuple({ owner: Cl.standardPrincipal(DEPLOYER), 'registered-at': Cl.uint(3) }))],
  ];
  for (const [ours, theirs] of cases) {
    assert.equal(clarity.serializeHex(ours), serializeCV(theirs));
    assert.equal(clarity.serializeHex(clarity.deserialize(serializeCV(theirs))), serializeCV(theirs));
  }
  const rng = generator('clarity-read');
  for (let i = 0; i < 500; i++) {
    const [, theirs] = value(rng);
    const bytes = serializeCV(theirs);
    assert.equal(clarity.serializeHex(clarity.deserialize(`0x${bytes}`)), bytes);
  }
  assert.deepEqual(clarity.toJs(clarity.deserialize(serializeCV(Cl.some(Cl.tuple({ price: Cl.uint(5), active: Cl.bool(true), name: Cl.stringUtf8('Ada') }))))), { price: 5n, active: true, name: 'Ada' });
  assert.equal(clarity.toJs(clarity.deserialize(serializeCV(Cl.none()))), null);
  assert.throws(() => clarity.deserialize('0100'), /too early/);
  assert.throws(() => clarity.deserialize('0303'), /left over/);
  assert.throws(() => clarity.principal('ST1.a.b'), /not a principal/);
});

test('post-conditions serialize as postConditionToHex', () => {
  const buyer = getAddressFromPrivateKey(KEYS[1], 'testnet');
  const cases = [
    [stxPostCondition(buyer, 'eq', 2_500_000n), Pc.principal(buyer).willSendEq(2_500_000n).ustx()],
    [stxPostCondition(buyer, 'eq', 0n), Pc.principal(buyer).willSendEq(0).ustx()],
    [stxPostCondition(buyer, 'lte', (1n << 64n) - 1n), Pc.principal(buyer).willSendLte((1n << 64n) - 1n).ustx()],
    [stxPostCondition(`${DEPLOYER}.marketplace`, 'gte', 1), Pc.principal(`${DEPLOYER}.marketplace`).willSendGte(1).ustx()],
    [stxPostCondition('origin', 'gt', 10), Pc.origin().willSendGt(10).ustx()],
  ];
  for (const [ours, theirs] of cases) assert.equal(hex(serializePostCondition(ours)), postConditionToHex(theirs));
  assert.throws(() => serializePostCondition(stxPostCondition(buyer, 'eq', 1n << 64n)), /64 bits/);
});

/** Every call the page makes, ours and @stacks/transactions' arguments for it. */
function pageCalls(buyer) {
  const calls = new Calls(DEPLOYER);
  const hash = 'ab'.repeat(32);
  const salt = new Uint8Array(32).fill(7);
  const commitment = makeCommitment(hash, salt, buyer);
  const p = (a) => Pc.principal(buyer).willSendEq(a).ustx();
  return [
    [calls.registerIdentity('Ada Lovelace 🧬', 1), 'identity', 'register', [Cl.stringUtf8('Ada Lovelace 🧬'), Cl.uint(1)], []],
    [calls.updateName('Ada'), 'identity', 'update-name', [Cl.stringUtf8('Ada')], []],
    [calls.commitDataset(commitment), 'registry', 'commit-dataset', [Cl.buffer(commitment)], []],
    [calls.registerSample(hash, 'smp-123', salt), 'registry', 'register-dataset', [Cl.buffer(Buffer.from(hash, 'hex')), Cl.stringAscii('sample'), Cl.stringAscii('genoflow:sample:smp-123'), Cl.buffer(salt)], []],
    [calls.recordResult(4, 'cd'.repeat(32), 'ef'.repeat(32)), 'registry', 'record-result', [Cl.uint(4), Cl.buffer(Buffer.from('cd'.repeat(32), 'hex')), Cl.buffer(Buffer.from('ef'.repeat(32), 'hex'))], []],
    [calls.listDataset(4, 2_000_000n), 'marketplace', 'list-dataset', [Cl.uint(4), Cl.uint(2_000_000n)], []],
    [calls.updatePrice(9, 3_000_001n), 'marketplace', 'update-price', [Cl.uint(9), Cl.uint(3_000_001n)], []],
    [calls.delist(9), 'marketplace', 'delist', [Cl.uint(9)], []],
    [calls.purchase(9, 2_000_000n, buyer), 'marketplace', 'purchase', [Cl.uint(9), Cl.uint(2_000_000n)], [p(2_000_000n)]],
    [calls.rate(9, 5), 'reputation', 'rate', [Cl.uint(9), Cl.uint(5)], []],
    [calls.subscribe(1, 5_000_000n, 2_592_000n, buyer), 'subscription', 'subscribe', [Cl.uint(1), Cl.uint(5_000_000n), Cl.uint(2_592_000n)], [p(5_000_000n)]],
  ];
}

test(`signed contract calls are byte-identical to makeContractCall, txid included (seed ${seed})`, async () => {
  const rng = generator('transactions');
  let checked = 0;
  for (const key of KEYS) {
    for (const network of ['testnet', 'mainnet']) {
      const sender = getAddressFromPrivateKey(key, network);
      for (const [call, contractName, functionName, functionArgs, postConditions] of pageCalls(sender)) {
        const nonce = BigInt(rng.pick([0, 1, 25, rng.int(0, 2 ** 31)]));
        const fee = BigInt(rng.pick([10_000, 180, rng.int(1, 2 ** 31)]));
        const chainId = network === 'mainnet' ? 1 : 0x80000000;
        const ours = signTransaction(contractCall({ network, chainId, publicKey: getPublicKey(key), nonce, fee, ...call }), key);
        const theirs = await makeContractCall({
          contractAddress: DEPLOYER, contractName, functionName, functionArgs, postConditions,
          postConditionMode: 'deny', senderKey: key, network, nonce, fee, validateWithAbi: false,
        });
        assert.equal(call.contract, `${DEPLOYER}.${contractName}`);
        assert.equal(hex(serializeTransaction(ours)), theirs.serialize(), `${functionName} on ${network}`);
        assert.equal(txid(ours), theirs.txid());
        checked++;
      }
    }
  }
  assert.equal(checked, 66);
  // The library reads our bytes back, and its signature check accepts them.
  const [call] = pageCalls(getAddressFromPrivateKey(KEYS[0], 'testnet')).at(-1);
  const tx = deserializeTransaction(hex(serializeTransaction(signTransaction(contractCall({ chainId: 0x80000000, publicKey: getPublicKey(KEYS[0]), nonce: 3, fee: 1000, ...call }), KEYS[0]))));
  assert.equal(tx.verifyOrigin().length, 64);
  assert.equal(tx.postConditionMode, 2);
  assert.throws(() => signTransaction(contractCall({ chainId: 1, publicKey: getPublicKey(KEYS[0]), nonce: 0, fee: 0, ...call }), KEYS[1]), /not the sender/);
});

test('the wallet is asked with stx_callContract: hex arguments, hex post-conditions, deny mode, network', async () => {
  const buyer = getAddressFromPrivateKey(KEYS[1], 'testnet');
  const call = new Calls(DEPLOYER).purchase(3, 1_500_000n, buyer);
  const params = walletParams(call, 'testnet');
  assert.deepEqual(params, {
    contract: `${DEPLOYER}.marketplace`,
    functionName: 'purchase',
    functionArgs: [serializeCV(Cl.uint(3)), serializeCV(Cl.uint(1_500_000n))],
    postConditions: [postConditionToHex(Pc.principal(buyer).willSendEq(1_500_000n).ustx())],
    postConditionMode: 'deny',
    network: 'testnet',
  });
  assert.deepEqual(params.functionArgs.map((a) => deserializeCV(a)), [Cl.uint(3), Cl.uint(1_500_000n)]);

  const asked = [];
  const answering = (answer) => ({ request: async (method, p) => { asked.push([method, p]); return answer; } });
  assert.equal(await sendWithWallet(answering({ txid: '0xab' }), call, 'testnet'), 'ab');
  assert.equal(await sendWithWallet(answering({ jsonrpc: '2.0', id: '1', result: { txid: 'cd', transaction: '00' } }), call, 'testnet'), 'cd');
  assert.equal(await sendWithWallet(answering({ status: 'success', result: { txid: 'ef' } }), call, 'testnet'), 'ef');
  assert.equal(asked[0][0], 'stx_callContract');
  assert.deepEqual(asked[0][1], params);

  const rejecting = { request: async () => { throw Object.assign(new Error('User rejected the request'), { code: 4001 }); } };
  await assert.rejects(sendWithWallet(rejecting, call, 'testnet'), (e) => e instanceof NotSent && /declined in the wallet: nothing was sent/.test(e.message));
  await assert.rejects(sendWithWallet(answering({ jsonrpc: '2.0', id: '1', error: { code: 4001, message: 'User denied' } }), call, 'testnet'), /nothing was sent/);
  await assert.rejects(sendWithWallet(answering({ status: 'error', error: { code: -32603, message: 'internal' } }), call, 'testnet'), /did not send the transaction \(internal\): nothing was sent/);
  await assert.rejects(sendWithWallet(answering({}), call, 'testnet'), /without a transaction id/);
});

/** A node whose transactions and read-only calls are scripted, over fetch. */
function fakeNode({ nonce = 4n, views = [] } = {}) {
  const log = [];
  const fetchImpl = async (url, init = {}) => {
    log.push([url, init]);
    const json = (status, body) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    if (url.includes('/v2/accounts/')) return json(200, { balance: '0x0000000000000000000000e8d4a51000', locked: '0x0', nonce: Number(nonce) });
    if (url.endsWith('/v2/transactions')) {
      const bytes = new Uint8Array(init.body);
      return json(200, bytesToHex(sha512_256(bytes)));
    }
    if (url.includes('/extended/v1/tx/')) {
      const view = views.shift();
      return view ? json(200, view) : json(404, { error: 'not found' });
    }
    if (url.includes('/v2/contracts/call-read/')) return json(200, { okay: true, result: `0x${serializeCV(Cl.some(Cl.uint(12)))}` });
    return json(404, {});
  };
  return { node: new Node('/node', fetchImpl), log };
}

test('with the development key the page signs with the account nonce, and the next call before a block uses the next nonce', async () => {
  const { node, log } = fakeNode({ nonce: 4n });
  const key = KEYS[2];
  const address = getAddressFromPrivateKey(key, 'testnet');
  const calls = new Calls(DEPLOYER);
  const nonces = new Map();
  const options = { privateKey: key, address, chainId: 0x80000000, network: 'testnet', nonces };
  const first = await sendWithKey(node, calls.rate(1, 4), options);
  const second = await sendWithKey(node, calls.delist(2), options);
  const sent = log.filter(([url]) => url.endsWith('/v2/transactions')).map(([, init]) => deserializeTransaction(hex(new Uint8Array(init.body))));
  assert.deepEqual(sent.map((t) => t.auth.spendingCondition.nonce), [4n, 5n]);
  assert.deepEqual(sent.map((t) => t.auth.spendingCondition.fee), [10_000n, 10_000n]);
  assert.equal(first, sent[0].txid());
  assert.equal(second, sent[1].txid());
  assert.equal(log[0][0], `/node/v2/accounts/${address}?proof=0`);
  assert.equal(log[1][1].headers['content-type'], 'application/octet-stream');

  const read = await node.callReadOnly(`${DEPLOYER}.reputation`, 'get-rating', [clarity.uint(1), clarity.principal(address)], address);
  assert.deepEqual(clarity.toJs(read), 12n);
  const [url, init] = log.at(-1);
  assert.equal(url, `/node/v2/contracts/call-read/${DEPLOYER}/reputation/get-rating`);
  assert.deepEqual(JSON.parse(init.body), { sender: address, arguments: [`0x${serializeCV(Cl.uint(1))}`, `0x${serializeCV(Cl.standardPrincipal(address))}`] });
});

test('a transaction is followed to its outcome, and contract errors read as words', async () => {
  const result = (cv) => ({ hex: `0x${serializeCV(cv)}`, repr: '' });
  const { node } = fakeNode({
    views: [{ tx_status: 'pending' }, { tx_status: 'pending' }, { tx_status: 'abort_by_response', tx_result: result(Cl.error(Cl.uint(411))) }],
  });
  const pending = [];
  const outcome = await followTransaction(node, 'aa', { interval: 1, onPending: (view) => pending.push(view?.tx_status ?? null) });
  assert.deepEqual(pending, ['pending', 'pending']);
  assert.equal(outcome.status, 'failed');
  assert.equal(outcome.code, 411);
  assert.equal(outcome.words, 'the price changed: nothing was charged');

  assert.deepEqual(outcomeOf({ tx_status: 'success', tx_result: result(Cl.ok(Cl.uint(1))) }).status, 'success');
  assert.equal(outcomeOf({ tx_status: 'pending' }), null);
  assert.match(outcomeOf({ tx_status: 'abort_by_response', tx_result: result(Cl.error(Cl.uint(305))) }).words, /price or duration changed: nothing was charged/);
  assert.match(outcomeOf({ tx_status: 'abort_by_response', tx_result: result(Cl.error(Cl.uint(408))) }).words, /already have access/);
  assert.match(outcomeOf({ tx_status: 'abort_by_post_condition' }).words, /nothing was charged/);
  assert.match(outcomeOf({ tx_status: 'dropped_replace_by_fee' }).words, /dropped/);
  assert.equal(errorWords('u411'), 'the price changed: nothing was charged');
  assert.match(errorWords(999), /error u999/);
});

test('every error code of the v2 contracts has words', () => {
  const dir = join(import.meta.dirname, '..', '..', '..', 'contracts', 'contracts');
  const codes = new Set();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.clar'))) {
    for (const match of readFileSync(join(dir, file), 'utf8').matchAll(/\(define-constant ERR_[A-Z_]+ \(err u(\d+)\)\)/g)) codes.add(Number(match[1]));
  }
  assert.equal(codes.size, 48, 'identity 5, registry 10, subscription 7, oracle 5, marketplace 13, reputation 8');
  for (const code of codes) assert.ok(ERROR_WORDS[code], `u${code} has words`);
  // Nothing else, but the STX transfer errors that pass through purchase and subscribe.
  const extra = Object.keys(ERROR_WORDS).map(Number).filter((c) => !codes.has(c));
  assert.deepEqual(extra, [1, 2, 3, 4]);
});

test('a registration commitment and a sample’s inputs_hash are the contract’s and the server’s', () => {
  const address = getAddressFromPrivateKey(KEYS[0], 'testnet');
  const hash = createHash('sha256').update('inputs').digest('hex');
  const salt = new Uint8Array(32).map((_, i) => i);
  const expected = createHash('sha256')
    .update(Buffer.from(hash, 'hex')).update(salt).update(Buffer.from(serializeCV(Cl.standardPrincipal(address)), 'hex'))
    .digest('hex');
  assert.equal(hex(makeCommitment(hash, salt, address)), expected);
  const files = ['11'.repeat(32), '22'.repeat(32)];
  assert.equal(inputsHash(files), createHash('sha256').update(Buffer.from(files.join(''), 'hex')).digest('hex'));
  assert.equal(hex(hash160(getPublicKey(KEYS[0]))), hex(decodeAddress(address).hash));
  assert.equal(privateKeyToPublic(KEYS[0]), hex(getPublicKey(KEYS[0])));
});

test('the node base: absolute as given, relative under the API base, none without node_base', () => {
  assert.equal(nodeBaseUrl({ api_base: '', node_base: '/node' }), '/node');
  assert.equal(nodeBaseUrl({ api_base: 'https://api.example.org/', node_base: '/node/' }), 'https://api.example.org/node');
  assert.equal(nodeBaseUrl({ api_base: 'https://a', node_base: 'https://node.example.org/' }), 'https://node.example.org');
  assert.equal(nodeBaseUrl({ api_base: '', node_base: null }), null);
});
