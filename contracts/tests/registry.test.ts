import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Cl } from "@stacks/transactions";
import {
  call,
  deployer,
  errorCodes,
  expectErr,
  expectOk,
  fromHex,
  hash32,
  loadMerkleVectors,
  merkleLeaf,
  merkleNode,
  merkleRootFromProof,
  printed,
  read,
  resetSimnet,
  toJs,
  uintConstants,
  wallet1,
  wallet2,
  wallet3,
  wallet4,
} from "./helpers";

const ERR = errorCodes("registry");
const { MAX_BATCH_SIZE } = uintConstants("registry");

function registerIdentity(who: string) {
  expectOk(call("identity", "register", [Cl.stringUtf8("lab"), Cl.uint(3)], who));
}

function registerDataset(who: string, hash: Uint8Array, kind = "fastq", uri = "s3://genoflow/a.fq.gz") {
  return call(
    "registry",
    "register-dataset",
    [Cl.buffer(hash), Cl.stringAscii(kind), Cl.stringAscii(uri)],
    who,
  );
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
        hash: Buffer.from(hash).toString("hex"),
        kind: "fastq",
        uri: "s3://genoflow/uploads/a.fq.gz",
      },
    ]);
    expect(toJs(read("registry", "get-dataset", [Cl.uint(1)]))).toEqual({
      owner: wallet1,
      hash: Buffer.from(hash).toString("hex"),
      kind: "fastq",
      uri: "s3://genoflow/uploads/a.fq.gz",
      "registered-at": BigInt(simnet.stacksBlockHeight),
    });
    expect(read("registry", "get-dataset-id", [Cl.buffer(hash)])).toStrictEqual(Cl.some(Cl.uint(1)));
    expectOk(registerDataset(wallet1, hash32("dataset b")), Cl.uint(2));
    expect(read("registry", "get-dataset", [Cl.uint(3)])).toStrictEqual(Cl.none());
  });

  it("refuses a hash that is already registered, by anyone (u201)", () => {
    registerIdentity(wallet1);
    registerIdentity(wallet2);
    expectOk(registerDataset(wallet1, hash32("same")), Cl.uint(1));
    expectErr(registerDataset(wallet2, hash32("same")), ERR.ERR_HASH_EXISTS);
    expect(toJs(read("registry", "get-dataset", [Cl.uint(1)]))).toMatchObject({ owner: wallet1 });
  });

  it("refuses a caller without an identity (u202)", () => {
    expectErr(registerDataset(wallet2, hash32("x")), ERR.ERR_NOT_REGISTERED);
    expect(read("registry", "get-dataset-id", [Cl.buffer(hash32("x"))])).toStrictEqual(Cl.none());
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

describe("registry.set-contract-owner", () => {
  it("hands ownership over", () => {
    expectOk(call("registry", "set-contract-owner", [Cl.principal(wallet1)], deployer));
    expect(read("registry", "get-contract-owner", [])).toStrictEqual(Cl.principal(wallet1));
    expectErr(setAnchorer(wallet3), ERR.ERR_UNAUTHORIZED);
    expectOk(setAnchorer(wallet3, true, wallet1));
  });

  it("refuses anyone but the owner (u200)", () => {
    expectErr(
      call("registry", "set-contract-owner", [Cl.principal(wallet1)], wallet1),
      ERR.ERR_UNAUTHORIZED,
    );
  });
});

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
// Stateful property test: datasets, transfers, results and anchors against a model
// ---------------------------------------------------------------------------

interface RegistryModel {
  identities: Set<string>;
  anchorers: Set<string>;
  datasets: { owner: string; hash: string }[];
  hashes: Map<string, number>;
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

class RegisterDataset implements fc.Command<RegistryModel, Real> {
  constructor(
    readonly who: string,
    readonly hashIndex: number,
  ) {}
  check = () => true;
  run(model: RegistryModel) {
    const hash = hash32(`dataset ${this.hashIndex}`);
    const key = Buffer.from(hash).toString("hex");
    const res = registerDataset(this.who, hash);
    if (!model.identities.has(this.who)) expectErr(res, ERR.ERR_NOT_REGISTERED);
    else if (model.hashes.has(key)) expectErr(res, ERR.ERR_HASH_EXISTS);
    else {
      model.datasets.push({ owner: this.who, hash: key });
      model.hashes.set(key, model.datasets.length);
      expectOk(res, Cl.uint(model.datasets.length));
      success("register-dataset");
    }
    checkRegistryInvariants(model);
  }
  toString = () => `register-dataset(${this.who.slice(0, 6)}, #${this.hashIndex})`;
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
  it("datasets, transfers, results and anchors always match the model", async () => {
    // Random calls (mostly refused) plus calls by the current owners, so that
    // every success path runs many times; duplicates weigh.
    const registerIdentity = person.map((who) => new RegisterIdentity(who));
    const registerDataset = fc.tuple(person, hashIndex).map(([who, h]) => new RegisterDataset(who, h));
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
          results: new Set(),
          batches: [],
        };
        fc.modelRun(() => ({ model, real: {} }), cmds);
      }),
      { numRuns: 40 },
    );
    console.log("registry property: successful calls", Object.fromEntries(succeeded));
    for (const command of ["register-dataset", "transfer", "record-result", "anchor-batch"]) {
      expect(succeeded.get(command) ?? 0, command).toBeGreaterThan(0);
    }
  });
});
