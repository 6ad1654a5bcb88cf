// The stand-in's own tests: the server over HTTP (started as `node server.mjs`
// on a free port, blocks mined on demand), and the StandIn class in-process for
// what HTTP cannot set up (a contract that hits a runtime error).
//
//   cd tests/chain-standin && npm ci && npm test
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createInterface } from 'node:readline';
import { initSimnet, tx as simnetTx } from '@stacks/clarinet-sdk';
import {
  Cl,
  Pc,
  PostConditionMode,
  cvToHex,
  getAddressFromPrivateKey,
  makeContractCall,
  makeSTXTokenTransfer,
  sponsorTransaction,
} from '@stacks/transactions';
import { argumentsMismatch, mismatch } from '../lib/abi.mjs';
import { postConditionViolation } from '../lib/postconditions.mjs';
import { FEE_SINK, StandIn, TESTNET_CHAIN_ID, u128Hex } from '../lib/standin.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const MANIFEST = resolve(here, '../../../contracts/Clarinet.toml');
// Clarinet's public devnet keys (contracts/settings/Devnet.toml).
const DEPLOYER = 'ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM';
const WALLET_1_KEY = '7287ba251d44a4d3fd9276c88ce34c5c52a038955511cccaf77e61068649c17801';
const WALLET_2_KEY = '530d9f61984c888536871c6573073bdfc0058896dc1adfe9a6a10dfacadc209101';
const WALLET_3_KEY = 'd655b2523bcd65e34889725c73064feb17ceb796831c0e111ba1a552b0f31b3901';
const DEPLOYER_KEY = '753b7cc01a1a2e86221266a154af739463fce51219d97e4f856cd7200c3bd2a601';
const WALLET_1 = getAddressFromPrivateKey(WALLET_1_KEY, 'testnet');
const WALLET_2 = getAddressFromPrivateKey(WALLET_2_KEY, 'testnet');
const WALLET_3 = getAddressFromPrivateKey(WALLET_3_KEY, 'testnet');
/** What each transaction's simnet block adds to `stacks-block-time`, and what a burn block does. */
const STACKS_BLOCK_SECONDS = 10;
const BURN_BLOCK_SECONDS = 600;

const register = (nonce, fee = 5000, key = WALLET_1_KEY, name = 'alice') =>
  makeContractCall({
    contractAddress: DEPLOYER,
    contractName: 'identity',
    functionName: 'register',
    functionArgs: [Cl.stringUtf8(name), Cl.uint(1)],
    senderKey: key,
    network: 'testnet',
    nonce,
    fee,
    postConditionMode: PostConditionMode.Deny,
  });

describe('the server over HTTP', () => {
  let server;
  let url;

  before(async () => {
    server = spawn(process.execPath, [resolve(here, '../server.mjs'), '--block-ms', '0'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: server.stdout });
    const [first] = await once(lines, 'line');
    const match = first.match(/^listening (http:\/\/127\.0\.0\.1:\d+)$/);
    assert.ok(match, `first line: ${first}`);
    url = match[1];
  });

  after(async () => {
    server.kill('SIGTERM');
    await once(server, 'exit');
  });

  const get = async (path) => {
    const response = await fetch(`${url}${path}`);
    return { status: response.status, body: await response.json() };
  };
  const post = async (path, body, type = 'application/json') => {
    const response = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': type },
      body: body === undefined ? undefined : type === 'application/json' ? JSON.stringify(body) : body,
    });
    return { status: response.status, body: await response.json() };
  };
  const broadcast = (transaction) =>
    post('/v2/transactions', transaction.serializeBytes(), 'application/octet-stream');

  test('accounts answer balance and locked as 0x + 32 hex digits, and the next nonce', async () => {
    const { status, body } = await get(`/v2/accounts/${WALLET_1}?proof=0`);
    assert.equal(status, 200);
    assert.deepEqual(Object.keys(body), ['balance', 'locked', 'unlock_height', 'nonce']);
    assert.equal((await get(`/v2/accounts/${WALLET_1}`)).body.nonce_proof, '');
    assert.equal(body.balance, u128Hex(100_000_000_000_000n));
    assert.match(body.balance, /^0x[0-9a-f]{32}$/);
    assert.equal(body.locked, `0x${'0'.repeat(32)}`);
    assert.equal(body.nonce, 0);
    assert.equal((await get('/v2/accounts/not-an-address')).status, 400);
  });

  test('a contract call is pending, then mined with its result, fee and nonce', async () => {
    const transaction = await register(0);
    const txid = transaction.txid();
    const accepted = await broadcast(transaction);
    assert.deepEqual(accepted, { status: 200, body: txid });

    const pending = await get(`/extended/v1/tx/0x${txid}`);
    assert.equal(pending.body.tx_status, 'pending');
    assert.equal(pending.body.block_height, undefined);
    assert.equal(pending.body.contract_call.function_name, 'register');

    const sinkBefore = BigInt((await get(`/v2/accounts/${FEE_SINK}`)).body.balance);
    const mined = await post('/standin/mine');
    assert.deepEqual(mined.body.executed, [`0x${txid}`]);

    const done = (await get(`/extended/v1/tx/${txid}`)).body;
    assert.equal(done.tx_status, 'success');
    assert.deepEqual(done.tx_result, { hex: cvToHex(Cl.ok(Cl.bool(true))), repr: '(ok true)' });
    assert.equal(done.block_height, mined.body.block_height);
    // The block's stacks-block-time, unix seconds, as the API's block_time.
    assert.equal(done.block_time, mined.body.block_time);
    assert.equal(done.block_time_iso, new Date(done.block_time * 1000).toISOString());
    assert.equal((await get('/standin/status')).body.block_time, done.block_time);

    // Broadcasting a mined transaction again answers its txid, as the node's mempool table still has it.
    assert.deepEqual(await broadcast(transaction), { status: 200, body: txid });

    const account = (await get(`/v2/accounts/${WALLET_1}`)).body;
    assert.equal(account.nonce, 1);
    assert.equal(BigInt(account.balance), 100_000_000_000_000n - 5000n);
    assert.equal(BigInt((await get(`/v2/accounts/${FEE_SINK}`)).body.balance), sinkBefore + 5000n);

    // The contract saw the same height the API reports.
    const read = await post(`/v2/contracts/call-read/${DEPLOYER}/identity/get-identity`, {
      sender: WALLET_1,
      arguments: [cvToHex(Cl.principal(WALLET_1))],
    });
    assert.equal(read.body.okay, true);
    assert.match(read.body.result, /^0x0a0c/); // (some (tuple ...))
    assert.ok(read.body.result.endsWith(cvToHex(Cl.bool(false)).slice(2)));
  });

  test('an error response is mined as abort_by_response and still uses the nonce', async () => {
    const again = await register(1);
    // The node's JSON form of the body: {"tx": hex}.
    const viaJson = await post('/v2/transactions', { tx: Buffer.from(again.serializeBytes()).toString('hex') });
    assert.deepEqual(viaJson, { status: 200, body: again.txid() });
    const timeBefore = (await get('/standin/status')).body.block_time;
    await post('/standin/mine');
    const done = (await get(`/extended/v1/tx/0x${again.txid()}`)).body;
    assert.equal(done.block_time, timeBefore + STACKS_BLOCK_SECONDS); // one block per transaction
    assert.equal(done.tx_status, 'abort_by_response');
    assert.deepEqual(done.tx_result, { hex: cvToHex(Cl.error(Cl.uint(101))), repr: '(err u101)' });
    assert.equal((await get(`/v2/accounts/${WALLET_1}`)).body.nonce, 2);
  });

  test('refusals carry the node shape: error, reason, reason_data, txid', async () => {
    const stale = await register(0, 6000);
    const { status, body } = await broadcast(stale);
    assert.equal(status, 400);
    assert.deepEqual(body, {
      txid: stale.txid(),
      error: 'transaction rejected',
      reason: 'BadNonce',
      reason_data: { expected: 2, actual: 0, principal: WALLET_1, is_origin: true },
    });

    // Undecodable bodies are refused before the mempool, in plain text, as the node does.
    for (const [body, type, why] of [
      [new Uint8Array([0x80, 1, 2]), 'application/octet-stream', /^Failed to deserialize posted transaction/],
      [new Uint8Array([]), 'application/octet-stream', /non-zero-length body/],
      [stale.serializeBytes(), 'text/plain', /Wrong Content-Type/],
      [JSON.stringify({ tx: 'xyz' }), 'application/json', /Failed to parse tx/],
    ]) {
      const response = await fetch(`${url}/v2/transactions`, { method: 'POST', headers: { 'content-type': type }, body });
      assert.equal(response.status, 400);
      assert.match(await response.text(), why);
    }

    const toSelf = await makeSTXTokenTransfer({
      recipient: WALLET_1,
      amount: 5n,
      senderKey: WALLET_1_KEY,
      network: 'testnet',
      nonce: 2,
      fee: 500,
    });
    assert.equal((await broadcast(toSelf)).body.reason, 'TransferRecipientCannotEqualSender');

    const sponsored = await makeContractCall({
      contractAddress: DEPLOYER,
      contractName: 'identity',
      functionName: 'register',
      functionArgs: [Cl.stringUtf8('bob'), Cl.uint(1)],
      senderKey: WALLET_2_KEY,
      network: 'testnet',
      nonce: 0,
      fee: 0,
      sponsored: true,
    });
    const sponsoredSigned = await sponsorTransaction({
      transaction: sponsored,
      sponsorPrivateKey: WALLET_1_KEY,
      fee: 1000,
      sponsorNonce: 2,
      network: 'testnet',
    });
    const refused = await broadcast(sponsoredSigned);
    assert.equal(refused.body.reason, 'ServerFailureOther');
    assert.match(refused.body.reason_data.message, /sponsored/);

    const counts = (await get('/standin/status')).body.counts.rejected;
    assert.equal(counts.BadNonce, 1);
    assert.equal(counts.TransferRecipientCannotEqualSender, 1);
  });

  test('the API answers 404 for unknown transactions and 400 for malformed ids', async () => {
    const unknown = await get(`/extended/v1/tx/0x${'ab'.repeat(32)}`);
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.error, /could not find transaction/);
    assert.equal((await get('/extended/v1/tx/0x1234')).status, 400);
  });

  test('read-only calls: okay false for a missing contract or function, 400 for bad arguments', async () => {
    const missing = await post(`/v2/contracts/call-read/${DEPLOYER}/nothing/get`, { sender: WALLET_1, arguments: [] });
    assert.deepEqual(missing.body.okay, false);
    assert.match(missing.body.cause, /NoSuchContract/);
    const publicFn = await post(`/v2/contracts/call-read/${DEPLOYER}/identity/register`, {
      sender: WALLET_1,
      arguments: [],
    });
    assert.equal(publicFn.body.okay, false);
    assert.match(publicFn.body.cause, /^NotReadOnly/);
    const privateFn = await post(`/v2/contracts/call-read/${DEPLOYER}/registry/tree-depth`, {
      sender: WALLET_1,
      arguments: [cvToHex(Cl.uint(4))],
    });
    assert.match(privateFn.body.cause, /NoSuchPublicFunction/);
    const notJson = await fetch(`${url}/v2/contracts/call-read/${DEPLOYER}/identity/is-registered`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{}',
    });
    assert.equal(notJson.status, 400);
    const badHex = await post(`/v2/contracts/call-read/${DEPLOYER}/identity/is-registered`, {
      sender: WALLET_1,
      arguments: ['0xzz'],
    });
    assert.equal(badHex.status, 400);
    const wrongType = await post(`/v2/contracts/call-read/${DEPLOYER}/identity/is-registered`, {
      sender: WALLET_1,
      arguments: [cvToHex(Cl.uint(1))],
    });
    assert.equal(wrongType.body.okay, false);
    assert.match(wrongType.body.cause, /expected principal/);
  });

  test('post-conditions are evaluated after the call; a violation is reported, not hidden', async () => {
    const call = (key, nonce, contractName, functionName, functionArgs, extra = {}) =>
      makeContractCall({
        contractAddress: DEPLOYER,
        contractName,
        functionName,
        functionArgs,
        senderKey: key,
        network: 'testnet',
        nonce,
        fee: 3000,
        ...extra,
      });
    // Plan 1: 5000 µSTX for an hour (3600 s); subscribers sign for that price and duration.
    const setPlan = await call(DEPLOYER_KEY, 0, 'subscription', 'set-plan', [Cl.uint(1), Cl.uint(5000), Cl.uint(3600), Cl.bool(true)]);
    const planOne = [Cl.uint(1), Cl.uint(5000), Cl.uint(3600)];
    const bare = await call(WALLET_2_KEY, 0, 'subscription', 'subscribe', planOne); // deny mode, no post-condition
    const exact = await call(WALLET_2_KEY, 1, 'subscription', 'subscribe', planOne, {
      postConditions: [Pc.principal(WALLET_2).willSendEq(5000).ustx()],
    });
    const tooTight = await call(WALLET_2_KEY, 2, 'subscription', 'subscribe', planOne, {
      postConditions: [Pc.principal(WALLET_2).willSendLte(4999).ustx()],
    });
    for (const transaction of [setPlan, bare, exact, tooTight]) assert.equal((await broadcast(transaction)).status, 200);
    await post('/standin/mine');
    const view = async (transaction) => (await get(`/extended/v1/tx/${transaction.txid()}`)).body;

    assert.equal((await view(setPlan)).standin_post_condition_violation, undefined);
    const bareView = await view(bare);
    assert.equal(bareView.tx_status, 'success');
    assert.equal(bareView.standin_post_condition_violation, `deny mode: ${WALLET_2} sent 5000 µSTX without a post-condition`);
    assert.equal((await view(exact)).standin_post_condition_violation, undefined);
    assert.match((await view(tooTight)).standin_post_condition_violation, /STX post-condition failed: .* sent 5000 µSTX, condition <= 4999/);
    assert.equal((await get('/standin/status')).body.counts.post_condition_violations, 2);
  });

  test('subscription time is the block time in seconds; advance moves it by burn blocks', async () => {
    const nonce = async (address) => (await get(`/v2/accounts/${address}`)).body.nonce;
    const call = async (key, address, functionName, functionArgs) =>
      makeContractCall({
        contractAddress: DEPLOYER,
        contractName: 'subscription',
        functionName,
        functionArgs,
        senderKey: key,
        network: 'testnet',
        nonce: await nonce(address),
        fee: 3000,
        postConditionMode: PostConditionMode.Allow,
      });
    const isActive = async () =>
      (
        await post(`/v2/contracts/call-read/${DEPLOYER}/subscription/is-active`, {
          sender: WALLET_3,
          arguments: [cvToHex(Cl.principal(WALLET_3))],
        })
      ).body.result;
    // Plan 2: free, 1000 s.
    await broadcast(await call(DEPLOYER_KEY, DEPLOYER, 'set-plan', [Cl.uint(2), Cl.uint(0), Cl.uint(1000), Cl.bool(true)]));
    await post('/standin/mine');
    // A plan shorter than the subscriber signed for is refused (u305).
    const tooShort = await call(WALLET_3_KEY, WALLET_3, 'subscribe', [Cl.uint(2), Cl.uint(0), Cl.uint(1001)]);
    await broadcast(tooShort);
    await post('/standin/mine');
    assert.equal((await get(`/extended/v1/tx/${tooShort.txid()}`)).body.tx_result.repr, '(err u305)');

    const subscribe = await call(WALLET_3_KEY, WALLET_3, 'subscribe', [Cl.uint(2), Cl.uint(0), Cl.uint(1000)]);
    await broadcast(subscribe);
    await post('/standin/mine');
    const subscribed = (await get(`/extended/v1/tx/${subscribe.txid()}`)).body;
    const expiresAt = subscribed.block_time + 1000;
    assert.equal(subscribed.tx_result.repr, `(ok u${expiresAt})`);
    assert.equal(await isActive(), cvToHex(Cl.bool(true)));

    // One burn block: the rest of the current 600 s at most; active still.
    const one = (await post('/standin/advance/1')).body;
    assert.ok(one.block_time > subscribed.block_time && one.block_time <= subscribed.block_time + BURN_BLOCK_SECONDS);
    assert.equal(await isActive(), cvToHex(Cl.bool(true)));
    // Two more: 1200 s more, past the expiry.
    const three = (await post('/standin/advance/2')).body;
    assert.equal(three.block_time, one.block_time + 2 * BURN_BLOCK_SECONDS);
    assert.ok(three.block_time >= expiresAt);
    assert.equal(await isActive(), cvToHex(Cl.bool(false)));
  });

  test('drops: only pending transactions, with a known dropped_* status', async () => {
    const held = await register(9, 5000, WALLET_2_KEY, 'held'); // nonce gap: stays pending
    await broadcast(held);
    assert.equal((await post(`/standin/drop/${held.txid()}?status=dropped_sideways`)).status, 400);
    const dropped = await post(`/standin/drop/${held.txid()}`);
    assert.deepEqual(dropped.body, { tx_id: `0x${held.txid()}`, tx_status: 'dropped_replace_by_fee' });
    assert.equal((await post(`/standin/drop/${held.txid()}`)).status, 409);
    assert.equal((await post(`/standin/drop/${'00'.repeat(32)}`)).status, 404);
    assert.equal((await get(`/extended/v1/tx/${held.txid()}`)).body.tx_status, 'dropped_replace_by_fee');
  });

  test('delay and empty blocks', async () => {
    await post('/standin/delay/300');
    const started = Date.now();
    await get('/standin/status');
    assert.ok(Date.now() - started >= 290);
    await post('/standin/delay/0');
    const before = (await get('/standin/status')).body;
    const advanced = (await post('/standin/advance/5')).body;
    assert.equal(advanced.block_height, before.block_height + 5);
    assert.equal(advanced.burn_block_height, before.burn_block_height + 5);
    // Each burn block is 600 s; the first only completes the current one.
    assert.ok(advanced.block_time > before.block_time + 4 * BURN_BLOCK_SECONDS);
    assert.ok(advanced.block_time <= before.block_time + 5 * BURN_BLOCK_SECONDS);
    assert.deepEqual((await get('/standin/status')).body.block_time, advanced.block_time);
  });
});

describe('runtime errors, in-process', () => {
  test('a runtime error is mined as abort_by_response (err none); the fee is paid', async () => {
    const simnet = await initSimnet(MANIFEST);
    // Stands for a contract bug: an unwrap that fails after a transfer.
    simnet.deployContract(
      'boom',
      '(define-public (boom) (begin (try! (stx-transfer? u5 tx-sender (as-contract tx-sender))) (ok (unwrap-panic (element-at? (list u1) u5)))))',
      { clarityVersion: 2 },
      WALLET_2,
    );
    const standIn = new StandIn(simnet, simnetTx, {
      feeRate: 1,
      chainId: TESTNET_CHAIN_ID,
      blockMs: 0,
      paused: true,
      responseDelayMs: 0,
    });
    const before = standIn.balance(WALLET_2);
    const call = await makeContractCall({
      contractAddress: WALLET_2,
      contractName: 'boom',
      functionName: 'boom',
      functionArgs: [],
      senderKey: WALLET_2_KEY,
      network: 'testnet',
      nonce: 0,
      fee: 700,
    });
    const txid = standIn.admit(call, call.serializeBytes().length);
    standIn.mine();
    const view = standIn.transactionView(txid);
    assert.equal(view.tx_status, 'abort_by_response');
    assert.deepEqual(view.tx_result, { hex: '0x0809', repr: '(err none)' });
    assert.equal(standIn.balance(WALLET_2), before - 700n); // the 5 µSTX transfer was rolled back
    assert.equal(standIn.account(WALLET_2).nonce, 1);
  });
});

describe('argument checks against the ABI', () => {
  const fn = {
    name: 'f',
    args: [
      { name: 'hash', type: { buffer: { length: 32 } } },
      { name: 'proof', type: { list: { type: { buffer: { length: 32 } }, length: 2 } } },
      { name: 'meta', type: { tuple: [{ name: 'n', type: 'uint128' }, { name: 'who', type: { optional: 'principal' } }] } },
      { name: 'name', type: { 'string-utf8': { length: 3 } } },
    ],
  };
  const good = [
    Cl.bufferFromHex('00'.repeat(32)),
    Cl.list([Cl.bufferFromHex('11'.repeat(32))]),
    Cl.tuple({ n: Cl.uint(1), who: Cl.none() }),
    Cl.stringUtf8('héé'),
  ];

  test('a fitting call passes', () => {
    assert.equal(argumentsMismatch(fn, good), null);
  });

  test('each mismatch is named', () => {
    const replace = (index, value) => good.map((arg, at) => (at === index ? value : arg));
    assert.match(argumentsMismatch(fn, good.slice(1)), /takes 4 argument\(s\), got 3/);
    assert.match(argumentsMismatch(fn, replace(0, Cl.bufferFromHex('00'.repeat(33)))), /33 bytes/);
    assert.match(
      argumentsMismatch(fn, replace(1, Cl.list([Cl.bufferFromHex('11'), Cl.bufferFromHex('22'), Cl.bufferFromHex('33')]))),
      /3 elements/,
    );
    assert.match(argumentsMismatch(fn, replace(1, Cl.list([Cl.uint(1)]))), /element 0: expected \(buff 32\), got uint/);
    assert.match(argumentsMismatch(fn, replace(2, Cl.tuple({ n: Cl.uint(1) }))), /tuple of 1 fields/);
    assert.match(
      argumentsMismatch(fn, replace(2, Cl.tuple({ n: Cl.int(1), who: Cl.none() }))),
      /tuple field n: expected uint, got int/,
    );
    assert.match(argumentsMismatch(fn, replace(3, Cl.stringUtf8('four'))), /4 characters/);
    assert.match(argumentsMismatch(fn, replace(3, Cl.stringAscii('abc'))), /expected \(string-utf8 3\), got ascii/);
  });

  test('optional and response halves fit their declared types', () => {
    assert.equal(mismatch({ optional: 'bool' }, Cl.some(Cl.bool(true))), null);
    assert.match(mismatch({ optional: 'bool' }, Cl.some(Cl.uint(1))), /expected bool/);
    assert.equal(mismatch({ response: { ok: 'bool', error: 'uint128' } }, Cl.error(Cl.uint(3))), null);
    assert.equal(mismatch('principal', Cl.contractPrincipal(DEPLOYER, 'identity')), null);
  });
});

describe('post-condition rules', () => {
  const TOKEN = `${WALLET_1}.tok`;
  const wires = async (postConditions, postConditionMode = PostConditionMode.Deny) => {
    const transaction = await makeContractCall({
      contractAddress: DEPLOYER,
      contractName: 'identity',
      functionName: 'update-name',
      functionArgs: [Cl.stringUtf8('x')],
      senderKey: WALLET_1_KEY,
      network: 'testnet',
      nonce: 0,
      fee: 1000,
      postConditions,
      postConditionMode,
    });
    return [transaction.postConditionMode, transaction.postConditions.values];
  };
  const events = [
    { event: 'ft_transfer_event', data: { asset_identifier: `${TOKEN}::gold`, sender: WALLET_1, recipient: TOKEN, amount: '3' } },
    { event: 'nft_transfer_event', data: { asset_identifier: `${TOKEN}::pass`, sender: WALLET_1, recipient: TOKEN, raw_value: cvToHex(Cl.uint(1)) } },
    { event: 'stx_burn_event', data: { sender: WALLET_1, amount: '7' } },
    { event: 'ft_mint_event', data: { asset_identifier: `${TOKEN}::gold`, recipient: WALLET_1, amount: '10' } },
  ];
  const covering = [
    Pc.origin().willSendEq(3).ft(TOKEN, 'gold'),
    Pc.origin().willSendAsset().nft(`${TOKEN}::pass`, Cl.uint(1)),
    Pc.origin().willSendEq(7).ustx(),
  ];

  test('deny mode passes when every movement is covered', async () => {
    const [mode, conditions] = await wires(covering);
    assert.equal(postConditionViolation(mode, conditions, WALLET_1, events), null);
  });

  test('deny mode names the first uncovered movement', async () => {
    const [mode, conditions] = await wires(covering.slice(1));
    assert.match(postConditionViolation(mode, conditions, WALLET_1, events), /sent 3 .*tok::gold without a post-condition/);
    const [, withoutNft] = await wires([covering[0], covering[2]]);
    assert.match(postConditionViolation(mode, withoutNft, WALLET_1, events), /tok::pass 0x0100.*without a post-condition/);
  });

  test('allow mode only checks the conditions given', async () => {
    const [mode, conditions] = await wires([Pc.origin().willSendGte(1).ft(TOKEN, 'gold')], PostConditionMode.Allow);
    assert.equal(postConditionViolation(mode, conditions, WALLET_1, events), null);
    const [, failing] = await wires([Pc.origin().willSendGt(3).ft(TOKEN, 'gold')], PostConditionMode.Allow);
    assert.match(postConditionViolation(mode, failing, WALLET_1, events), /sent 3, condition > 3/);
    const [, notSent] = await wires([Pc.origin().willNotSendAsset().nft(`${TOKEN}::pass`, Cl.uint(1))], PostConditionMode.Allow);
    assert.match(postConditionViolation(mode, notSent, WALLET_1, events), /sent 0x0100/);
    const [, otherPrincipal] = await wires([Pc.principal(WALLET_2).willSendEq(0).ustx()], PostConditionMode.Allow);
    assert.equal(postConditionViolation(mode, otherPrincipal, WALLET_1, events), null);
  });
});
