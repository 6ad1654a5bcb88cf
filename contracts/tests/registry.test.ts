import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { tx, type ParsedTransactionResult } from "@stacks/clarinet-sdk";
import { Cl } from "@stacks/transactions";
import {
  call,
  commitment,
  contractId,
  deployer,
  describeTwoStepOwnership,
  errorCodes,
  expectErr,
  expectOk,
  expectRefused,
  fromHex,
  hash32,
  hex,
  loadMerkleVectors,
  merkleLeaf,
  merkleNode,
  merkleRootFromProof,
  printed,
  read,
  registerDataset,
  resetSimnet,
  toJs,
  uintConstants,
  wallet1,
  wallet2,
  wallet3,
  wallet4,
  withoutStxMoved,
} from "./helpers";

const ERR = errorCodes("registry");
const { MAX_BATCH_SIZE } = uintConstants("registry");

function registerIdentity(who: string) {
  expectOk(call("identity", "register", [Cl.stringUtf8("lab"), Cl.uint(3)], who));
}

function setAnchorer(who: string, enabled = true, by = deployer) {
  return call("registry", "set-anchorer", [Cl.principal(who), Cl.bool(enabled)], by);
}

function anchorBatch(who: string, root: Uint8Array, size: bigint) {
  return call("registry", "anchor-batch", [Cl.buffer(root), Cl.uint(size)], who);
}

function verifyInclusion(batchId: bigint, item: Uint8Array, index: bigint, proof: Uint8Array[]) {
  return read("registry", "verify-inclusion", [
    Cl.uint(batchId),
    Cl.buffer(item),
    Cl.uint(index),
    Cl.list(proof.map((p) => Cl.buffer(p))),
  ]);
}

// ---------------------------------------------------------------------------
// Commit, then reveal (v2)
// ---------------------------------------------------------------------------

/** What a client publishes: the dataset and the salt it committed with. */
interface Reveal {
  hash: Uint8Array;
  kind: string;
  uri: string;
  salt: Uint8Array;
}

function dataset(label: string, saltLabel = `salt for ${label}`): Reveal {
  return {
    hash: hash32(label),
    kind: "vcf",
    uri: `s3://genoflow/uploads/${label.replaceAll(" ", "-")}.vcf.gz`,
    salt: hash32(saltLabel),
  };
}

/** The `commit-dataset` arguments of `committer` for `data` (bytes bound to `committer`). */
function commitArgs(data: Reveal, committer: string) {
  return [Cl.buffer(commitment(data.hash, data.salt, committer))];
}

function revealArgs(data: Reveal) {
  return [Cl.buffer(data.hash), Cl.stringAscii(data.kind), Cl.stringAscii(data.uri), Cl.buffer(data.salt)];
}

function commit(who: string, data: Reveal, committer = who) {
  return call("registry", "commit-dataset", commitArgs(data, committer), who);
}

function reveal(who: string, data: Reveal) {
  return call("registry", "register-dataset", revealArgs(data), who);
}

const commitTx = (who: string, data: Reveal, committer = who) =>
  tx.callPublicFn(contractId("registry"), "commit-dataset", commitArgs(data, committer), who);
const revealTx = (who: string, data: Reveal) =>
  tx.callPublicFn(contractId("registry"), "register-dataset", revealArgs(data), who);

function getCommitment(who: string, data: Reveal, committer = who) {
  return read("registry", "get-commitment", [
    Cl.principal(who),
    Cl.buffer(commitment(data.hash, data.salt, committer)),
  ]);
}

function datasetId(hash: Uint8Array) {
  return read("registry", "get-dataset-id", [Cl.buffer(hash)]);
}

/** Every transaction of a block refused with its code, in order, no STX moved. */
function expectBlockRefused(results: ParsedTransactionResult[], codes: (bigint | null)[]) {
  expect(results).toHaveLength(codes.length);
  results.forEach((res, i) => {
    const code = codes[i];
    if (code !== null) expectErr(res, code);
  });
}

describe("registry.make-commitment", () => {
  it("equals the client's sha256(hash ++ salt ++ consensus bytes of the principal)", () => {
    const data = dataset("sample 1");
    const proxy = `${deployer}.some-proxy`;
    for (const who of [deployer, wallet1, wallet2, proxy]) {
      expect(
        read("registry", "make-commitment", [Cl.buffer(data.hash), Cl.buffer(data.salt), Cl.principal(who)]),
        who,
      ).toStrictEqual(Cl.buffer(commitment(data.hash, data.salt, who)));
    }
    // bound to the principal: the same hash and salt commit differently per caller
    expect(hex(commitment(data.hash, data.salt, wallet1))).not.toBe(
      hex(commitment(data.hash, data.salt, wallet2)),
    );
  });
});

describe("registry.commit-dataset", () => {
  it("records the caller's commitment with the block it was made in", () => {
    registerIdentity(wallet1);
    const data = dataset("a");
    const res = commit(wallet1, data);
    expectOk(res);
    expect(printed(res)).toEqual([
      {
        topic: "dataset-committed",
        committer: wallet1,
        commitment: hex(commitment(data.hash, data.salt, wallet1)),
      },
    ]);
    expect(getCommitment(wallet1, data)).toStrictEqual(Cl.some(Cl.uint(simnet.stacksBlockHeight)));
    // nothing registered yet, and the hash stays hidden: no other commitment is known
    expect(datasetId(data.hash)).toStrictEqual(Cl.none());
    expect(getCommitment(wallet2, data, wallet1)).toStrictEqual(Cl.none());
  });

  it("v2: refuses a caller without an identity (u202)", () => {
    const data = dataset("a");
    expectRefused(() => commit(wallet2, data), ERR.ERR_NOT_REGISTERED);
    expect(getCommitment(wallet2, data)).toStrictEqual(Cl.none());
  });

  it("v2: refuses the same commitment twice from the same caller (u207), keeping the first block", () => {
    registerIdentity(wallet1);
    const data = dataset("a");
    expectOk(commit(wallet1, data));
    const madeAt = simnet.stacksBlockHeight;
    expectRefused(() => commit(wallet1, data), ERR.ERR_COMMITMENT_EXISTS);
    expect(getCommitment(wallet1, data)).toStrictEqual(Cl.some(Cl.uint(madeAt)));
  });

  it("v2: an attacker's copy of the victim's commitment bytes, even mined first, does not block the victim", () => {
    registerIdentity(wallet1); // victim
    registerIdentity(wallet2); // attacker
    const data = dataset("victim's sample");
    // The attacker copies the victim's commit-dataset argument from the mempool
    // and gets it mined first, in the same block: both succeed (per caller).
    const [attackerCommit, victimCommit] = simnet.mineBlock([
      commitTx(wallet2, data, wallet1),
      commitTx(wallet1, data),
    ]);
    expectOk(attackerCommit);
    expectOk(victimCommit);
    const madeAt = Cl.some(Cl.uint(simnet.stacksBlockHeight));
    expect(getCommitment(wallet1, data)).toStrictEqual(madeAt);
    expect(getCommitment(wallet2, data, wallet1)).toStrictEqual(madeAt);
    // The copied bytes are bound to the victim: revealing with them gets the attacker nothing.
    expectRefused(() => reveal(wallet2, data), ERR.ERR_NO_COMMITMENT);
    expectOk(reveal(wallet1, data), Cl.uint(1));
    expect(toJs(read("registry", "get-dataset", [Cl.uint(1)]))).toMatchObject({ owner: wallet1 });
  });
});

describe("registry.register-dataset", () => {
  it("registers datasets with ids from u1, owned by the caller", () => {
    registerIdentity(wallet1);
    const hash = hash32("dataset a");
    const res = registerDataset(wallet1, hash, "fastq", "s3://genoflow/uploads/a.fq.gz");
    expectOk(res, Cl.uint(1));
    expect(printed(res)).toEqual([
      {
        topic: "dataset-registered",
        "dataset-id": 1n,
        owner: wallet1,
        hash: hex(hash),
        kind: "fastq",
        uri: "s3://genoflow/uploads/a.fq.gz",
      },
    ]);
    expect(toJs(read("registry", "get-dataset", [Cl.uint(1)]))).toEqual({
      owner: wallet1,
      hash: hex(hash),
      kind: "fastq",
      uri: "s3://genoflow/uploads/a.fq.gz",
      "registered-at": BigInt(simnet.stacksBlockHeight),
    });
    expect(datasetId(hash)).toStrictEqual(Cl.some(Cl.uint(1)));
    expectOk(registerDataset(wallet1, hash32("dataset b")), Cl.uint(2));
    expect(read("registry", "get-dataset", [Cl.uint(3)])).toStrictEqual(Cl.none());
  });

  it("v2: uses the commitment up: get-commitment is none after the reveal, a second reveal is u208", () => {
    registerIdentity(wallet1);
    const data = dataset("a");
    expectOk(commit(wallet1, data));
    expect(getCommitment(wallet1, data)).not.toStrictEqual(Cl.none());
    simnet.mineEmptyBlock();
    expectOk(reveal(wallet1, data), Cl.uint(1));
    expect(getCommitment(wallet1, data)).toStrictEqual(Cl.none());
    expectRefused(() => reveal(wallet1, data), ERR.ERR_NO_COMMITMENT);
  });

  it("v2: after a reveal the hash is u201 for anyone else, even with their own valid commitment", () => {
    registerIdentity(wallet1);
    registerIdentity(wallet2);
    const victim = dataset("same");
    const copy = { ...dataset("same", "the attacker's own salt"), uri: "s3://attacker/same.vcf.gz" };
    expectOk(commit(wallet2, copy)); // the attacker's commitment, made before the victim's reveal
    expectOk(registerDataset(wallet1, victim.hash, victim.kind, victim.uri, victim.salt), Cl.uint(1));
    expectRefused(() => reveal(wallet2, copy), ERR.ERR_HASH_EXISTS);
    expect(toJs(read("registry", "get-dataset", [Cl.uint(1)]))).toMatchObject({
      owner: wallet1,
      uri: victim.uri,
    });
    // the refused reveal changed nothing: the attacker's commitment is still there
    expect(getCommitment(wallet2, copy)).not.toStrictEqual(Cl.none());
    // the victim cannot register the same hash twice either
    expectRefused(
      () => registerDataset(wallet1, victim.hash, victim.kind, victim.uri, hash32("another salt")),
      ERR.ERR_HASH_EXISTS,
    );
  });

  it("v2: refuses a reveal without an identity (u202)", () => {
    const data = dataset("x");
    expectRefused(() => reveal(wallet2, data), ERR.ERR_NOT_REGISTERED);
    expect(datasetId(data.hash)).toStrictEqual(Cl.none());
  });

  it("v2: refuses a reveal without any commitment (u208): the three-argument registration is gone", () => {
    registerIdentity(wallet1);
    const data = dataset("x");
    expectRefused(() => reveal(wallet1, data), ERR.ERR_NO_COMMITMENT);
    expect(datasetId(data.hash)).toStrictEqual(Cl.none());
    const args = simnet
      .getContractsInterfaces()
      .get(contractId("registry"))!
      .functions.find((f) => f.name === "register-dataset")!
      .args.map((arg) => arg.name);
    expect(args).toEqual(["hash", "kind", "uri", "salt"]);
    expect(() =>
      call("registry", "register-dataset", revealArgs(data).slice(0, 3), wallet1),
    ).toThrow(/IncorrectArgumentCount\(4, 3\)/);
  });

  it("v2: refuses a reveal with the wrong salt (u208), then accepts the right one", () => {
    registerIdentity(wallet1);
    const data = dataset("x");
    expectOk(commit(wallet1, data));
    simnet.mineEmptyBlock();
    expectRefused(() => reveal(wallet1, { ...data, salt: hash32("wrong salt") }), ERR.ERR_NO_COMMITMENT);
    expect(datasetId(data.hash)).toStrictEqual(Cl.none());
    expectOk(reveal(wallet1, data), Cl.uint(1));
  });

  it("v2: refuses a reveal of another hash than the committed one (u208)", () => {
    registerIdentity(wallet1);
    const data = dataset("x");
    expectOk(commit(wallet1, data));
    simnet.mineEmptyBlock();
    expectRefused(() => reveal(wallet1, { ...data, hash: hash32("y") }), ERR.ERR_NO_COMMITMENT);
  });

  it("v2: refuses a reveal in the block of its commitment (u209); the next block accepts it", () => {
    registerIdentity(wallet1);
    const data = dataset("x");
    const block = withoutStxMoved(() => simnet.mineBlock([commitTx(wallet1, data), revealTx(wallet1, data)]));
    expectOk(block[0]);
    expectBlockRefused(block, [null, ERR.ERR_COMMITMENT_TOO_RECENT]);
    expect(datasetId(data.hash)).toStrictEqual(Cl.none());
    // the refused reveal left the commitment in place
    expect(getCommitment(wallet1, data)).toStrictEqual(Cl.some(Cl.uint(simnet.stacksBlockHeight)));
    expectOk(reveal(wallet1, data), Cl.uint(1));
  });

  it("v2: front-running in the same block: a copy of the victim's reveal mined first is u208", () => {
    registerIdentity(wallet1); // victim
    registerIdentity(wallet2); // attacker
    const data = dataset("victim's sample");
    expectOk(commit(wallet1, data));
    // The victim's reveal is in the mempool; the attacker copies (hash, kind, uri,
    // salt) with a higher fee, and also tries to commit and reveal at once.
    const own = { ...data, salt: hash32("attacker's salt") };
    const block = withoutStxMoved(() =>
      simnet.mineBlock([
        revealTx(wallet2, data),
        commitTx(wallet2, own),
        revealTx(wallet2, own),
        revealTx(wallet1, data),
      ]),
    );
    expectBlockRefused(block, [ERR.ERR_NO_COMMITMENT, null, ERR.ERR_COMMITMENT_TOO_RECENT, null]);
    expectOk(block[1]);
    expectOk(block[3], Cl.uint(1));
    expect(toJs(read("registry", "get-dataset", [Cl.uint(1)]))).toMatchObject({ owner: wallet1 });
    // In the next block the attacker's own commitment is old enough, but the hash is taken.
    expectRefused(() => reveal(wallet2, own), ERR.ERR_HASH_EXISTS);
    expectRefused(() => reveal(wallet2, data), ERR.ERR_NO_COMMITMENT);
    expect(read("registry", "get-dataset", [Cl.uint(2)])).toStrictEqual(Cl.none());
  });

  it("v2: front-running in the next block: the copied reveal is still u208 and the victim's goes through", () => {
    registerIdentity(wallet1); // victim
    registerIdentity(wallet2); // attacker
    const data = dataset("victim's sample");
    expectOk(commit(wallet1, data));
    // The attacker tries in the block after the commitment, before the victim reveals...
    const first = withoutStxMoved(() => simnet.mineBlock([revealTx(wallet2, data)]));
    expectBlockRefused(first, [ERR.ERR_NO_COMMITMENT]);
    // ...and again in the victim's block, ahead of the victim.
    const second = withoutStxMoved(() =>
      simnet.mineBlock([revealTx(wallet2, data), revealTx(wallet1, data)]),
    );
    expectBlockRefused(second, [ERR.ERR_NO_COMMITMENT, null]);
    expectOk(second[1], Cl.uint(1));
    expect(toJs(read("registry", "get-dataset", [Cl.uint(1)]))).toMatchObject({
      owner: wallet1,
      uri: data.uri,
    });
  });

  it("v2: checks in the order u202, u208, u209, u201", () => {
    registerIdentity(wallet1);
    const taken = dataset("taken");
    expectOk(registerDataset(wallet1, taken.hash, taken.kind, taken.uri, taken.salt), Cl.uint(1));
    // u202 before u208: no identity and no commitment
    expectRefused(() => reveal(wallet2, taken), ERR.ERR_NOT_REGISTERED);
    // u208 before u201: the hash is taken and there is no commitment
    expectRefused(() => reveal(wallet1, taken), ERR.ERR_NO_COMMITMENT);
    // u209 before u201: the hash is taken and the commitment is from this block
    const again = { ...taken, salt: hash32("second salt") };
    const block = simnet.mineBlock([commitTx(wallet1, again), revealTx(wallet1, again)]);
    expectOk(block[0]);
    expectBlockRefused(block, [null, ERR.ERR_COMMITMENT_TOO_RECENT]);
    // and u201 once the commitment is old enough
    expectRefused(() => reveal(wallet1, again), ERR.ERR_HASH_EXISTS);
  });
});

describe("registry.transfer-dataset", () => {
  it("moves ownership to the new owner", () => {
    registerIdentity(wallet1);
    expectOk(registerDataset(wallet1, hash32("d")), Cl.uint(1));
    const res = call("registry", "transfer-dataset", [Cl.uint(1), Cl.principal(wallet2)], wallet1);
    expectOk(res);
    expect(printed(res)).toEqual([
      { topic: "dataset-transferred", "dataset-id": 1n, from: wallet1, to: wallet2 },
    ]);
    expect(toJs(read("registry", "get-dataset", [Cl.uint(1)]))).toMatchObject({ owner: wallet2 });
    // the previous owner has no rights left
    expectErr(
      call("registry", "transfer-dataset", [Cl.uint(1), Cl.principal(wallet1)], wallet1),
      ERR.ERR_NOT_OWNER,
    );
  });

  it("refuses anyone but the owner (u203), even the contract owner", () => {
    registerIdentity(wallet1);
    expectOk(registerDataset(wallet1, hash32("d")), Cl.uint(1));
    for (const who of [wallet2, deployer]) {
      expectErr(
        call("registry", "transfer-dataset", [Cl.uint(1), Cl.principal(who)], who),
        ERR.ERR_NOT_OWNER,
      );
    }
  });

  it("refuses an unknown dataset (u204)", () => {
    expectErr(
      call("registry", "transfer-dataset", [Cl.uint(9), Cl.principal(wallet2)], wallet1),
      ERR.ERR_UNKNOWN_DATASET,
    );
  });
});

describe("registry.record-result", () => {
  const resultHash = hash32("report");
  const pipeline = hash32("pipeline v1");

  function recordResult(who: string, datasetId = 1n, result = resultHash) {
    return call(
      "registry",
      "record-result",
      [Cl.uint(datasetId), Cl.buffer(result), Cl.buffer(pipeline)],
      who,
    );
  }

  it("lets the dataset owner record a result", () => {
    registerIdentity(wallet1);
    expectOk(registerDataset(wallet1, hash32("d")), Cl.uint(1));
    const res = recordResult(wallet1);
    expectOk(res);
    expect(printed(res)).toEqual([
      {
        topic: "result-recorded",
        "dataset-id": 1n,
        "result-hash": Buffer.from(resultHash).toString("hex"),
        pipeline: Buffer.from(pipeline).toString("hex"),
        recorder: wallet1,
      },
    ]);
    expect(toJs(read("registry", "get-result", [Cl.uint(1), Cl.buffer(resultHash)]))).toEqual({
      pipeline: Buffer.from(pipeline).toString("hex"),
      recorder: wallet1,
      "recorded-at": BigInt(simnet.stacksBlockHeight),
    });
  });

  it("lets an anchorer record a result for any dataset", () => {
    registerIdentity(wallet1);
    expectOk(registerDataset(wallet1, hash32("d")), Cl.uint(1));
    expectOk(setAnchorer(wallet3));
    expectOk(recordResult(wallet3));
    expect(toJs(read("registry", "get-result", [Cl.uint(1), Cl.buffer(resultHash)]))).toMatchObject({
      recorder: wallet3,
    });
  });

  it("refuses anyone else (u200)", () => {
    registerIdentity(wallet1);
    expectOk(registerDataset(wallet1, hash32("d")), Cl.uint(1));
    expectErr(recordResult(wallet2), ERR.ERR_UNAUTHORIZED);
    expectErr(recordResult(deployer), ERR.ERR_UNAUTHORIZED);
  });

  it("refuses an unknown dataset (u204)", () => {
    expectErr(recordResult(wallet1, 7n), ERR.ERR_UNKNOWN_DATASET);
  });

  it("refuses recording the same result twice (u206)", () => {
    registerIdentity(wallet1);
    expectOk(registerDataset(wallet1, hash32("d")), Cl.uint(1));
    expectOk(recordResult(wallet1));
    expectErr(recordResult(wallet1), ERR.ERR_RESULT_EXISTS);
    expectOk(recordResult(wallet1, 1n, hash32("another report")));
  });
});

describe("registry.set-anchorer and anchor-batch", () => {
  it("lets the owner enable and disable anchorers", () => {
    const res = setAnchorer(wallet3);
    expectOk(res);
    expect(printed(res)).toEqual([{ topic: "anchorer-set", who: wallet3, enabled: true }]);
    expect(read("registry", "is-anchorer", [Cl.principal(wallet3)])).toStrictEqual(Cl.bool(true));
    expectOk(setAnchorer(wallet3, false));
    expect(read("registry", "is-anchorer", [Cl.principal(wallet3)])).toStrictEqual(Cl.bool(false));
    expectErr(anchorBatch(wallet3, hash32("root"), 4n), ERR.ERR_UNAUTHORIZED);
  });

  it("refuses set-anchorer from anyone but the owner (u200)", () => {
    expectErr(setAnchorer(wallet3, true, wallet3), ERR.ERR_UNAUTHORIZED);
    expect(read("registry", "is-anchorer", [Cl.principal(wallet3)])).toStrictEqual(Cl.bool(false));
  });

  it("anchors batches with ids from u1", () => {
    expectOk(setAnchorer(wallet3));
    const root = hash32("root 1");
    const res = anchorBatch(wallet3, root, 5n);
    expectOk(res, Cl.uint(1));
    expect(printed(res)).toEqual([
      {
        topic: "batch-anchored",
        "batch-id": 1n,
        root: Buffer.from(root).toString("hex"),
        size: 5n,
        anchorer: wallet3,
      },
    ]);
    expect(toJs(read("registry", "get-batch", [Cl.uint(1)]))).toEqual({
      root: Buffer.from(root).toString("hex"),
      size: 5n,
      anchorer: wallet3,
      "anchored-at": BigInt(simnet.stacksBlockHeight),
    });
    expectOk(anchorBatch(wallet3, hash32("root 2"), MAX_BATCH_SIZE), Cl.uint(2));
    expect(read("registry", "get-batch", [Cl.uint(3)])).toStrictEqual(Cl.none());
  });

  it("refuses a non-anchorer, even the contract owner (u200)", () => {
    expectErr(anchorBatch(deployer, hash32("root"), 1n), ERR.ERR_UNAUTHORIZED);
    expectErr(anchorBatch(wallet1, hash32("root"), 1n), ERR.ERR_UNAUTHORIZED);
  });

  it("refuses size 0 and sizes above 2^32 (u205)", () => {
    expect(MAX_BATCH_SIZE).toBe(2n ** 32n);
    expectOk(setAnchorer(wallet3));
    expectErr(anchorBatch(wallet3, hash32("root"), 0n), ERR.ERR_INVALID_SIZE);
    expectErr(anchorBatch(wallet3, hash32("root"), MAX_BATCH_SIZE + 1n), ERR.ERR_INVALID_SIZE);
  });
});

// ---------------------------------------------------------------------------
// Ownership (v2: two steps)
// ---------------------------------------------------------------------------

describeTwoStepOwnership("registry", (by) => setAnchorer(wallet3, true, by));

describe("registry.verify-inclusion", () => {
  const { source, vectors } = loadMerkleVectors();

  it(`accepts every proof of the Merkle vectors (source: ${source})`, () => {
    expect(vectors.length).toBeGreaterThan(0);
    expectOk(setAnchorer(wallet3));
    let batchId = 0n;
    let checked = 0;
    for (const vector of vectors) {
      const items = vector.items.map(fromHex);
      const root = fromHex(vector.root);
      batchId += 1n;
      expectOk(anchorBatch(wallet3, root, BigInt(items.length)), Cl.uint(batchId));
      for (const { index, proof } of vector.proofs) {
        const siblings = proof.map(fromHex);
        // the test's own rule and the vector agree before the contract is asked
        expect(merkleRootFromProof(items[index], BigInt(index), siblings)).toEqual(root);
        expect(verifyInclusion(batchId, items[index], BigInt(index), siblings)).toStrictEqual(
          Cl.bool(true),
        );
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(vectors.length);
  });

  it("rejects a wrong item, a wrong index, a changed sibling and a wrong proof length", () => {
    const vector = vectors.find((v) => v.items.length >= 5)!;
    const items = vector.items.map(fromHex);
    expectOk(setAnchorer(wallet3));
    expectOk(anchorBatch(wallet3, fromHex(vector.root), BigInt(items.length)), Cl.uint(1));
    const { index, proof } = vector.proofs.find((p) => p.index === 2)!;
    const siblings = proof.map(fromHex);
    expect(verifyInclusion(1n, items[index], 2n, siblings)).toStrictEqual(Cl.bool(true));
    expect(verifyInclusion(1n, items[3], 2n, siblings)).toStrictEqual(Cl.bool(false));
    expect(verifyInclusion(1n, items[index], 3n, siblings)).toStrictEqual(Cl.bool(false));
    for (let level = 0; level < siblings.length; level++) {
      const changed = siblings.map((s) => s.slice());
      changed[level][31] ^= 0x01;
      expect(verifyInclusion(1n, items[index], 2n, changed)).toStrictEqual(Cl.bool(false));
    }
    expect(verifyInclusion(1n, items[index], 2n, siblings.slice(0, -1))).toStrictEqual(Cl.bool(false));
    expect(verifyInclusion(1n, items[index], 2n, [...siblings, hash32("extra")])).toStrictEqual(
      Cl.bool(false),
    );
  });

  it("rejects an index >= size even when the hashes would match (odd last node)", () => {
    // size 3: leaf 2 is paired with itself, so index 3 hashes to the same root
    const items = [hash32("a"), hash32("b"), hash32("c")];
    const [leafA, leafB, leafC] = items.map(merkleLeaf);
    const proof = [leafC, merkleNode(leafA, leafB)];
    const root = merkleRootFromProof(items[2], 2n, proof);
    expect(merkleRootFromProof(items[2], 3n, proof)).toEqual(root);
    expectOk(setAnchorer(wallet3));
    expectOk(anchorBatch(wallet3, root, 3n), Cl.uint(1));
    expect(verifyInclusion(1n, items[2], 2n, proof)).toStrictEqual(Cl.bool(true));
    expect(verifyInclusion(1n, items[2], 3n, proof)).toStrictEqual(Cl.bool(false));
  });

  it("is false for an unknown batch", () => {
    expect(verifyInclusion(1n, hash32("a"), 0n, [])).toStrictEqual(Cl.bool(false));
  });

  it("verifies a single-leaf batch with an empty proof", () => {
    const item = hash32("only");
    expectOk(setAnchorer(wallet3));
    expectOk(anchorBatch(wallet3, merkleRootFromProof(item, 0n, []), 1n), Cl.uint(1));
    expect(verifyInclusion(1n, item, 0n, [])).toStrictEqual(Cl.bool(true));
    expect(verifyInclusion(1n, item, 0n, [hash32("x")])).toStrictEqual(Cl.bool(false));
  });

  it("verifies a full 32-element proof in a batch of 2^32 leaves (the largest)", () => {
    const item = hash32("deep item");
    const index = 2n ** 32n - 1n; // the last leaf: the running hash is the right child at every level
    const proof = Array.from({ length: 32 }, (_, level) => hash32(`sibling ${level}`));
    const root = merkleRootFromProof(item, index, proof);
    expectOk(setAnchorer(wallet3));
    expectOk(anchorBatch(wallet3, root, MAX_BATCH_SIZE), Cl.uint(1));
    expect(verifyInclusion(1n, item, index, proof)).toStrictEqual(Cl.bool(true));
    expect(verifyInclusion(1n, item, index - 1n, proof)).toStrictEqual(Cl.bool(false));
  });

  it("verifies a 32-element proof in a batch of 2^31 + 1 leaves (odd last node at every level)", () => {
    // The last leaf of a 2^31 + 1 tree is alone in its half: it is paired with
    // itself on 31 levels, then with the root of the full left half.
    const item = hash32("lonely item");
    const index = 2n ** 31n;
    const proof: Uint8Array[] = [];
    let node = merkleLeaf(item);
    for (let level = 0; level < 31; level++) {
      proof.push(node);
      node = merkleNode(node, node);
    }
    proof.push(hash32("root of the left 2^31 leaves"));
    const root = merkleRootFromProof(item, index, proof);
    expect(root).toEqual(merkleNode(proof[31], node));
    expectOk(setAnchorer(wallet3));
    expectOk(anchorBatch(wallet3, root, 2n ** 31n + 1n), Cl.uint(1));
    expect(verifyInclusion(1n, item, index, proof)).toStrictEqual(Cl.bool(true));
    expect(verifyInclusion(1n, item, index + 1n, proof)).toStrictEqual(Cl.bool(false));
  });
});

// ---------------------------------------------------------------------------
// Stateful property test: commitments, datasets, transfers, results and anchors
// against a model
// ---------------------------------------------------------------------------

interface RegistryModel {
  identities: Set<string>;
  anchorers: Set<string>;
  datasets: { owner: string; hash: string }[];
  hashes: Map<string, number>;
  /** Unrevealed commitments: `committer/hash/salt` -> the block they were made in. */
  commitments: Map<string, { who: string; hash: Uint8Array; salt: Uint8Array; height: number }>;
  /** Commitments revealed (used up): `get-commitment` must answer none. */
  revealed: Map<string, { who: string; hash: Uint8Array; salt: Uint8Array }>;
  results: Set<string>;
  batches: { root: string; size: bigint; anchorer: string }[];
}

type Real = Record<string, never>;

/** Successful calls per command over all runs: the property must exercise every path. */
const succeeded = new Map<string, number>();
function success(command: string) {
  succeeded.set(command, (succeeded.get(command) ?? 0) + 1);
}
const PEOPLE = [deployer, wallet1, wallet2, wallet3, wallet4];
const person = fc.constantFrom(...PEOPLE);
const hashIndex = fc.integer({ min: 0, max: 5 });
const saltIndex = fc.integer({ min: 0, max: 1 });

function modelData(hashIndex: number, saltIndex: number): Reveal {
  return { ...dataset(`dataset ${hashIndex}`, `salt ${saltIndex}`), kind: "fastq" };
}

function commitmentKey(who: string, data: Reveal) {
  return `${who}/${hex(data.hash)}/${hex(data.salt)}`;
}

/** What the model expects of `commit-dataset`; applies a success. */
function expectCommit(model: RegistryModel, who: string, data: Reveal, res: ParsedTransactionResult) {
  const key = commitmentKey(who, data);
  if (!model.identities.has(who)) expectErr(res, ERR.ERR_NOT_REGISTERED);
  else if (model.commitments.has(key)) expectErr(res, ERR.ERR_COMMITMENT_EXISTS);
  else {
    expectOk(res);
    model.commitments.set(key, { who, hash: data.hash, salt: data.salt, height: simnet.stacksBlockHeight });
    model.revealed.delete(key);
    success("commit-dataset");
  }
}

/** What the model expects of `register-dataset`, checks in the contract's order; applies a success. */
function expectReveal(model: RegistryModel, who: string, data: Reveal, res: ParsedTransactionResult) {
  const key = commitmentKey(who, data);
  const made = model.commitments.get(key);
  const hash = hex(data.hash);
  if (!model.identities.has(who)) expectErr(res, ERR.ERR_NOT_REGISTERED);
  else if (!made) {
    expectErr(res, ERR.ERR_NO_COMMITMENT);
    success("refused u208");
  } else if (made.height >= simnet.stacksBlockHeight) {
    expectErr(res, ERR.ERR_COMMITMENT_TOO_RECENT);
    success("refused u209");
  } else if (model.hashes.has(hash)) {
    expectErr(res, ERR.ERR_HASH_EXISTS);
    success("refused u201");
  } else {
    model.datasets.push({ owner: who, hash });
    model.hashes.set(hash, model.datasets.length);
    model.commitments.delete(key);
    model.revealed.set(key, { who, hash: data.hash, salt: data.salt });
    expectOk(res, Cl.uint(model.datasets.length));
    success("register-dataset");
  }
}

function checkRegistryInvariants(model: RegistryModel) {
  model.datasets.forEach((dataset, i) => {
    const onChain = toJs(read("registry", "get-dataset", [Cl.uint(i + 1)])) as Record<string, unknown>;
    expect(onChain.owner).toBe(dataset.owner);
    expect(onChain.hash).toBe(dataset.hash);
    expect(read("registry", "get-dataset-id", [Cl.buffer(fromHex(dataset.hash))])).toStrictEqual(
      Cl.some(Cl.uint(i + 1)),
    );
  });
  expect(read("registry", "get-dataset", [Cl.uint(model.datasets.length + 1)])).toStrictEqual(Cl.none());
  for (const { who, hash, salt, height } of model.commitments.values()) {
    expect(
      read("registry", "get-commitment", [Cl.principal(who), Cl.buffer(commitment(hash, salt, who))]),
    ).toStrictEqual(Cl.some(Cl.uint(height)));
  }
  for (const { who, hash, salt } of model.revealed.values()) {
    expect(
      read("registry", "get-commitment", [Cl.principal(who), Cl.buffer(commitment(hash, salt, who))]),
    ).toStrictEqual(Cl.none());
  }
  model.batches.forEach((batch, i) => {
    expect(toJs(read("registry", "get-batch", [Cl.uint(i + 1)]))).toMatchObject(batch);
  });
  expect(read("registry", "get-batch", [Cl.uint(model.batches.length + 1)])).toStrictEqual(Cl.none());
  for (const who of PEOPLE) {
    expect(read("registry", "is-anchorer", [Cl.principal(who)])).toStrictEqual(
      Cl.bool(model.anchorers.has(who)),
    );
  }
}

class RegisterIdentity implements fc.Command<RegistryModel, Real> {
  constructor(readonly who: string) {}
  check = () => true;
  run(model: RegistryModel) {
    const res = call("identity", "register", [Cl.stringUtf8("p"), Cl.uint(1)], this.who);
    if (model.identities.has(this.who)) {
      expect(res.result).toStrictEqual(Cl.error(Cl.uint(errorCodes("identity").ERR_ALREADY_REGISTERED)));
    } else {
      expectOk(res);
      model.identities.add(this.who);
    }
    checkRegistryInvariants(model);
  }
  toString = () => `register-identity(${this.who.slice(0, 6)})`;
}

class CommitDataset implements fc.Command<RegistryModel, Real> {
  constructor(
    readonly who: string,
    readonly hashIndex: number,
    readonly saltIndex: number,
  ) {}
  check = () => true;
  run(model: RegistryModel) {
    const data = modelData(this.hashIndex, this.saltIndex);
    expectCommit(model, this.who, data, commit(this.who, data));
    checkRegistryInvariants(model);
  }
  toString = () => `commit(${this.who.slice(0, 6)}, #${this.hashIndex}, salt ${this.saltIndex})`;
}

class RevealDataset implements fc.Command<RegistryModel, Real> {
  constructor(
    readonly who: string,
    readonly hashIndex: number,
    readonly saltIndex: number,
  ) {}
  check = () => true;
  run(model: RegistryModel) {
    const data = modelData(this.hashIndex, this.saltIndex);
    expectReveal(model, this.who, data, reveal(this.who, data));
    checkRegistryInvariants(model);
  }
  toString = () => `reveal(${this.who.slice(0, 6)}, #${this.hashIndex}, salt ${this.saltIndex})`;
}

/** Commit and reveal in one block: the reveal is u209 unless an older commitment exists. */
class CommitAndRevealInOneBlock implements fc.Command<RegistryModel, Real> {
  constructor(
    readonly who: string,
    readonly hashIndex: number,
    readonly saltIndex: number,
  ) {}
  check = () => true;
  run(model: RegistryModel) {
    const data = modelData(this.hashIndex, this.saltIndex);
    const [committed, revealed] = simnet.mineBlock([commitTx(this.who, data), revealTx(this.who, data)]);
    expectCommit(model, this.who, data, committed);
    expectReveal(model, this.who, data, revealed);
    checkRegistryInvariants(model);
  }
  toString = () =>
    `commit+reveal in one block(${this.who.slice(0, 6)}, #${this.hashIndex}, salt ${this.saltIndex})`;
}

/** The whole registration: commit, an empty block, reveal. */
class RegisterDataset implements fc.Command<RegistryModel, Real> {
  constructor(
    readonly who: string,
    readonly hashIndex: number,
  ) {}
  check = () => true;
  run(model: RegistryModel) {
    new CommitDataset(this.who, this.hashIndex, 0).run(model);
    simnet.mineEmptyBlock();
    new RevealDataset(this.who, this.hashIndex, 0).run(model);
  }
  toString = () => `register-dataset(${this.who.slice(0, 6)}, #${this.hashIndex})`;
}

/** A registered identity (chosen by `who`) goes through both steps for a hash
 * that is already registered (chosen by `pick`): the reveal must be u201. */
class RegisterTakenHash implements fc.Command<RegistryModel, Real> {
  constructor(
    readonly who: number,
    readonly pick: number,
  ) {}
  check = (model: Readonly<RegistryModel>) => model.datasets.length > 0 && model.identities.size > 0;
  run(model: RegistryModel) {
    const hash = model.datasets[this.pick % model.datasets.length].hash;
    const index = [0, 1, 2, 3, 4, 5].find((i) => hex(modelData(i, 0).hash) === hash)!;
    const people = [...model.identities];
    new RegisterDataset(people[this.who % people.length], index).run(model);
  }
  toString = () => `register-taken-hash(#${this.who}, #${this.pick})`;
}

class TransferDataset implements fc.Command<RegistryModel, Real> {
  constructor(
    readonly who: string,
    readonly datasetId: number,
    readonly to: string,
  ) {}
  check = () => true;
  run(model: RegistryModel) {
    const res = call(
      "registry",
      "transfer-dataset",
      [Cl.uint(this.datasetId), Cl.principal(this.to)],
      this.who,
    );
    const dataset = model.datasets[this.datasetId - 1];
    if (!dataset) expectErr(res, ERR.ERR_UNKNOWN_DATASET);
    else if (dataset.owner !== this.who) expectErr(res, ERR.ERR_NOT_OWNER);
    else {
      expectOk(res);
      dataset.owner = this.to;
      success("transfer");
    }
    checkRegistryInvariants(model);
  }
  toString = () => `transfer(${this.who.slice(0, 6)}, ${this.datasetId} -> ${this.to.slice(0, 6)})`;
}

class RecordResult implements fc.Command<RegistryModel, Real> {
  constructor(
    readonly who: string,
    readonly datasetId: number,
    readonly resultIndex: number,
  ) {}
  check = () => true;
  run(model: RegistryModel) {
    const result = hash32(`result ${this.resultIndex}`);
    const res = call(
      "registry",
      "record-result",
      [Cl.uint(this.datasetId), Cl.buffer(result), Cl.buffer(hash32("pipeline"))],
      this.who,
    );
    const dataset = model.datasets[this.datasetId - 1];
    const key = `${this.datasetId}/${this.resultIndex}`;
    if (!dataset) expectErr(res, ERR.ERR_UNKNOWN_DATASET);
    else if (dataset.owner !== this.who && !model.anchorers.has(this.who)) {
      expectErr(res, ERR.ERR_UNAUTHORIZED);
    } else if (model.results.has(key)) expectErr(res, ERR.ERR_RESULT_EXISTS);
    else {
      expectOk(res);
      model.results.add(key);
      success("record-result");
    }
    checkRegistryInvariants(model);
  }
  toString = () => `record-result(${this.who.slice(0, 6)}, ${this.datasetId}, r${this.resultIndex})`;
}

class SetAnchorer implements fc.Command<RegistryModel, Real> {
  constructor(
    readonly by: string,
    readonly who: string,
    readonly enabled: boolean,
  ) {}
  check = () => true;
  run(model: RegistryModel) {
    const res = setAnchorer(this.who, this.enabled, this.by);
    if (this.by !== deployer) expectErr(res, ERR.ERR_UNAUTHORIZED);
    else {
      expectOk(res);
      if (this.enabled) model.anchorers.add(this.who);
      else model.anchorers.delete(this.who);
    }
    checkRegistryInvariants(model);
  }
  toString = () => `set-anchorer(by ${this.by.slice(0, 6)}, ${this.who.slice(0, 6)}, ${this.enabled})`;
}

class AnchorBatch implements fc.Command<RegistryModel, Real> {
  constructor(
    readonly who: string,
    readonly size: bigint,
    readonly rootIndex: number,
  ) {}
  check = () => true;
  run(model: RegistryModel) {
    const root = hash32(`root ${this.rootIndex}`);
    const res = anchorBatch(this.who, root, this.size);
    if (!model.anchorers.has(this.who)) expectErr(res, ERR.ERR_UNAUTHORIZED);
    else if (this.size === 0n || this.size > MAX_BATCH_SIZE) expectErr(res, ERR.ERR_INVALID_SIZE);
    else {
      model.batches.push({
        root: Buffer.from(root).toString("hex"),
        size: this.size,
        anchorer: this.who,
      });
      expectOk(res, Cl.uint(model.batches.length));
      success("anchor-batch");
    }
    checkRegistryInvariants(model);
  }
  toString = () => `anchor(${this.who.slice(0, 6)}, size ${this.size})`;
}

/** The current owner of an existing dataset (chosen by `pick`) transfers it. */
class OwnerTransfer implements fc.Command<RegistryModel, Real> {
  constructor(
    readonly pick: number,
    readonly to: string,
  ) {}
  check = (model: Readonly<RegistryModel>) => model.datasets.length > 0;
  run(model: RegistryModel) {
    const id = (this.pick % model.datasets.length) + 1;
    new TransferDataset(model.datasets[id - 1].owner, id, this.to).run(model);
  }
  toString = () => `owner-transfer(#${this.pick} -> ${this.to.slice(0, 6)})`;
}

/** The owner of an existing dataset (chosen by `pick`) records a result. */
class OwnerRecordResult implements fc.Command<RegistryModel, Real> {
  constructor(
    readonly pick: number,
    readonly resultIndex: number,
  ) {}
  check = (model: Readonly<RegistryModel>) => model.datasets.length > 0;
  run(model: RegistryModel) {
    const id = (this.pick % model.datasets.length) + 1;
    new RecordResult(model.datasets[id - 1].owner, id, this.resultIndex).run(model);
  }
  toString = () => `owner-record-result(#${this.pick}, r${this.resultIndex})`;
}

/** An enabled anchorer (chosen by `pick`) anchors a batch. */
class AnchorerAnchor implements fc.Command<RegistryModel, Real> {
  constructor(
    readonly pick: number,
    readonly size: bigint,
    readonly rootIndex: number,
  ) {}
  check = (model: Readonly<RegistryModel>) => model.anchorers.size > 0;
  run(model: RegistryModel) {
    const anchorers = [...model.anchorers];
    new AnchorBatch(anchorers[this.pick % anchorers.length], this.size, this.rootIndex).run(model);
  }
  toString = () => `anchorer-anchor(#${this.pick}, size ${this.size})`;
}

describe("registry: stateful property", () => {
  it("commitments, datasets, transfers, results and anchors always match the model", async () => {
    // Random calls (mostly refused) plus calls by the current owners, so that
    // every success path runs many times; duplicates weigh.
    const registerIdentity = person.map((who) => new RegisterIdentity(who));
    const registerDataset = fc.tuple(person, hashIndex).map(([who, h]) => new RegisterDataset(who, h));
    const commitDataset = fc
      .tuple(person, hashIndex, saltIndex)
      .map(([who, h, salt]) => new CommitDataset(who, h, salt));
    const revealDataset = fc
      .tuple(person, hashIndex, saltIndex)
      .map(([who, h, salt]) => new RevealDataset(who, h, salt));
    const commitAndReveal = fc
      .tuple(person, hashIndex, saltIndex)
      .map(([who, h, salt]) => new CommitAndRevealInOneBlock(who, h, salt));
    const resultIndex = fc.integer({ min: 0, max: 2 });
    const batchSize = fc.oneof(
      { arbitrary: fc.constant(0n), weight: 1 },
      { arbitrary: fc.bigInt(1n, MAX_BATCH_SIZE), weight: 4 },
      { arbitrary: fc.constant(MAX_BATCH_SIZE + 1n), weight: 1 },
    );
    const commands = [
      registerIdentity,
      registerIdentity,
      registerDataset,
      registerDataset,
      commitDataset,
      revealDataset,
      revealDataset,
      commitAndReveal,
      fc.tuple(fc.nat(), fc.nat()).map(([who, pick]) => new RegisterTakenHash(who, pick)),
      fc.tuple(fc.nat(), person).map(([pick, to]) => new OwnerTransfer(pick, to)),
      fc.tuple(fc.nat(), resultIndex).map(([pick, r]) => new OwnerRecordResult(pick, r)),
      fc
        .tuple(person, fc.integer({ min: 1, max: 7 }), person)
        .map(([who, id, to]) => new TransferDataset(who, id, to)),
      fc
        .tuple(person, fc.integer({ min: 1, max: 7 }), resultIndex)
        .map(([who, id, r]) => new RecordResult(who, id, r)),
      fc
        .tuple(fc.constantFrom(deployer, deployer, wallet1), person, fc.boolean())
        .map(([by, who, enabled]) => new SetAnchorer(by, who, enabled)),
      fc.tuple(person, batchSize, fc.nat()).map(([who, size, root]) => new AnchorBatch(who, size, root)),
      fc.tuple(fc.nat(), batchSize, fc.nat()).map(([pick, size, root]) => new AnchorerAnchor(pick, size, root)),
    ];
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 40, size: "max" }), async (cmds) => {
        await resetSimnet();
        const model: RegistryModel = {
          identities: new Set(),
          anchorers: new Set(),
          datasets: [],
          hashes: new Map(),
          commitments: new Map(),
          revealed: new Map(),
          results: new Set(),
          batches: [],
        };
        fc.modelRun(() => ({ model, real: {} }), cmds);
      }),
      { numRuns: 40 },
    );
    console.log("registry property: successful calls", Object.fromEntries(succeeded));
    for (const command of [
      "commit-dataset",
      "register-dataset",
      "refused u208",
      "refused u209",
      "refused u201",
      "transfer",
      "record-result",
      "anchor-batch",
    ]) {
      expect(succeeded.get(command) ?? 0, command).toBeGreaterThan(0);
    }
  });
});
