// Shared helpers for the contract tests: accounts, constants read from the
// contracts' own source, Clarity value conversion, STX balances and events,
// and the Merkle reference used to check `registry.verify-inclusion`.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Cl, ClarityType, serializeCV, type ClarityValue } from "@stacks/transactions";
import type { ParsedTransactionResult } from "@stacks/clarinet-sdk";

// ---------------------------------------------------------------------------
// Accounts
// ---------------------------------------------------------------------------

const accounts = simnet.getAccounts();

function account(name: string): string {
  const address = accounts.get(name);
  if (!address) throw new Error(`account ${name} missing from settings/Devnet.toml`);
  return address;
}

export const deployer = account("deployer");
export const wallet1 = account("wallet_1");
export const wallet2 = account("wallet_2");
export const wallet3 = account("wallet_3");
export const wallet4 = account("wallet_4");
export const faucet = account("faucet");

export const CONTRACT_NAMES = [
  "identity",
  "registry",
  "subscription",
  "oracle",
  "marketplace",
  "reputation",
] as const;
export type ContractName = (typeof CONTRACT_NAMES)[number];

export function contractId(name: ContractName): string {
  return `${deployer}.${name}`;
}

// ---------------------------------------------------------------------------
// Constants, read from the deployed source so tests never copy codes by hand
// ---------------------------------------------------------------------------

export function contractSource(name: ContractName): string {
  const source = simnet.getContractSource(contractId(name));
  if (source === undefined) throw new Error(`contract ${name} is not deployed`);
  return source;
}

const UINT_CONSTANT = /\(define-constant\s+([A-Z0-9_]+)\s+u(\d+)\)/g;
const ERR_CONSTANT = /\(define-constant\s+(ERR_[A-Z0-9_]+)\s+\(err\s+u(\d+)\)\)/g;

function parseConstants(source: string, pattern: RegExp): Record<string, bigint> {
  const found: Record<string, bigint> = {};
  for (const match of source.matchAll(pattern)) found[match[1]] = BigInt(match[2]);
  return found;
}

/** `ERR_NAME -> code` of a contract; a missing name throws so typos fail loudly. */
export function errorCodes(name: ContractName): Record<string, bigint> {
  return strict(name, parseConstants(contractSource(name), ERR_CONSTANT));
}

/** `NAME -> value` of a contract's `(define-constant NAME uNNN)` constants. */
export function uintConstants(name: ContractName): Record<string, bigint> {
  return strict(name, parseConstants(contractSource(name), UINT_CONSTANT));
}

function strict(contract: string, table: Record<string, bigint>): Record<string, bigint> {
  return new Proxy(table, {
    get(target, key: string) {
      if (!(key in target)) throw new Error(`${contract} defines no constant ${key}`);
      return target[key];
    },
  });
}

// ---------------------------------------------------------------------------
// Calls and results
// ---------------------------------------------------------------------------

/** A fresh simnet (contracts deployed, nothing else), for property runs inside one test. */
export async function resetSimnet(): Promise<void> {
  const { manifestPath } = (globalThis as unknown as { options: { clarinet: { manifestPath: string } } })
    .options.clarinet;
  await simnet.initSession(process.cwd(), manifestPath, undefined);
}

export function call(
  contract: ContractName,
  method: string,
  args: ClarityValue[],
  sender: string,
): ParsedTransactionResult {
  return simnet.callPublicFn(contract, method, args, sender);
}

export function read(
  contract: ContractName,
  method: string,
  args: ClarityValue[],
  sender: string = deployer,
): ClarityValue {
  return simnet.callReadOnlyFn(contract, method, args, sender).result;
}

/** A Clarity value as plain JS: uint/int -> bigint, buff -> hex, tuple -> object,
 * optional -> value or null, response -> {ok} / {err}. */
export function toJs(value: ClarityValue): unknown {
  switch (value.type) {
    case ClarityType.UInt:
    case ClarityType.Int:
      return BigInt(value.value);
    case ClarityType.BoolTrue:
      return true;
    case ClarityType.BoolFalse:
      return false;
    case ClarityType.Buffer:
      return value.value;
    case ClarityType.StringASCII:
    case ClarityType.StringUTF8:
      return value.value;
    case ClarityType.PrincipalStandard:
    case ClarityType.PrincipalContract:
      return value.value;
    case ClarityType.OptionalNone:
      return null;
    case ClarityType.OptionalSome:
      return toJs(value.value);
    case ClarityType.ResponseOk:
      return { ok: toJs(value.value) };
    case ClarityType.ResponseErr:
      return { err: toJs(value.value) };
    case ClarityType.List:
      return value.value.map(toJs);
    case ClarityType.Tuple:
      return Object.fromEntries(Object.entries(value.value).map(([k, v]) => [k, toJs(v)]));
  }
}

/** The `(print ...)` payloads of a transaction, as plain JS. */
export function printed(res: ParsedTransactionResult): Record<string, unknown>[] {
  return res.events
    .filter((event) => event.event === "print_event")
    .map((event) => toJs(event.data.value as ClarityValue) as Record<string, unknown>);
}

export interface StxTransfer {
  sender: string;
  recipient: string;
  amount: bigint;
}

export function stxTransfers(res: ParsedTransactionResult): StxTransfer[] {
  return res.events
    .filter((event) => event.event === "stx_transfer_event")
    .map((event) => ({
      sender: event.data.sender,
      recipient: event.data.recipient,
      amount: BigInt(event.data.amount),
    }));
}

export function stxBalance(who: string): bigint {
  return simnet.getAssetsMap().get("STX")?.get(who) ?? 0n;
}

export function expectOk(res: ParsedTransactionResult, value: ClarityValue = Cl.bool(true)) {
  expect(res.result).toStrictEqual(Cl.ok(value));
}

/** The call failed with `code` and changed nothing visible: no event at all. */
export function expectErr(res: ParsedTransactionResult, code: bigint) {
  expect(res.result).toStrictEqual(Cl.error(Cl.uint(code)));
  expect(res.events).toEqual([]);
}

/** STX balances of `who`, in order. */
export function balances(...who: string[]): bigint[] {
  return who.map(stxBalance);
}

/** A call already made (alone, or in a block with others) was refused: the error code, no
 * event, and the STX balances of `who` are still `before`, taken before it. */
export function expectRefusedSince(res: ParsedTransactionResult, code: bigint, who: string[], before: bigint[]) {
  expectErr(res, code);
  expect(balances(...who)).toEqual(before);
}

// ---------------------------------------------------------------------------
// Byte helpers
// ---------------------------------------------------------------------------

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

export function fromHex(text: string): Uint8Array {
  if (!/^([0-9a-f]{2})*$/i.test(text)) throw new Error(`not hex: ${text}`);
  return new Uint8Array(Buffer.from(text, "hex"));
}

/** A deterministic 32-byte value for test data. */
export function hash32(label: string): Uint8Array {
  return sha256(new TextEncoder().encode(label));
}

// ---------------------------------------------------------------------------
// Merkle reference (docs/ARCHITECTURE.md "Attestation and Merkle batches")
// ---------------------------------------------------------------------------

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

export function merkleLeaf(item: Uint8Array): Uint8Array {
  return sha256(LEAF_PREFIX, item);
}

export function merkleNode(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(NODE_PREFIX, left, right);
}

/** All levels of the tree, leaves first; an odd last node is paired with itself. */
function merkleLevels(items: Uint8Array[]): Uint8Array[][] {
  if (items.length === 0) throw new Error("a Merkle tree needs at least one item");
  const levels = [items.map(merkleLeaf)];
  while (levels[levels.length - 1].length > 1) {
    const below = levels[levels.length - 1];
    const above: Uint8Array[] = [];
    for (let i = 0; i < below.length; i += 2) {
      above.push(merkleNode(below[i], below[i + 1] ?? below[i]));
    }
    levels.push(above);
  }
  return levels;
}

export function merkleRoot(items: Uint8Array[]): Uint8Array {
  const levels = merkleLevels(items);
  return levels[levels.length - 1][0];
}

/** Sibling list from leaf to root for leaf `index`. */
export function merkleProof(items: Uint8Array[], index: number): Uint8Array[] {
  const levels = merkleLevels(items);
  const proof: Uint8Array[] = [];
  let position = index;
  for (const level of levels.slice(0, -1)) {
    const sibling = position % 2 === 0 ? position + 1 : position - 1;
    proof.push(level[sibling] ?? level[position]);
    position = Math.floor(position / 2);
  }
  return proof;
}

/** Root computed from a leaf, its index and a proof: the rule the contract implements. */
export function merkleRootFromProof(item: Uint8Array, index: bigint, proof: Uint8Array[]): Uint8Array {
  let node = merkleLeaf(item);
  let position = index;
  for (const sibling of proof) {
    node = position % 2n === 0n ? merkleNode(node, sibling) : merkleNode(sibling, node);
    position /= 2n;
  }
  return node;
}

export interface MerkleVector {
  items: string[];
  root: string;
  proofs: { index: number; proof: string[] }[];
}

const here = dirname(fileURLToPath(import.meta.url));
/** Vectors written by the Rust `shared/stacks` crate, shared by every implementation. */
export const SHARED_MERKLE_VECTORS = resolve(here, "../../tests/vectors/merkle.json");

/** The shared vectors when the Rust crate has written them, else vectors from the
 * reference above (sizes 1..9, 16, 17, 33, every index proven). */
export function loadMerkleVectors(): { source: string; vectors: MerkleVector[] } {
  if (existsSync(SHARED_MERKLE_VECTORS)) {
    const parsed = JSON.parse(readFileSync(SHARED_MERKLE_VECTORS, "utf8"));
    const vectors: MerkleVector[] = Array.isArray(parsed) ? parsed : parsed.merkle;
    if (!Array.isArray(vectors) || vectors.length === 0) {
      throw new Error(`${SHARED_MERKLE_VECTORS} holds no Merkle vectors`);
    }
    return { source: "tests/vectors/merkle.json (Rust shared/stacks)", vectors };
  }
  const vectors = [1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 17, 33].map((size) => {
    const items = Array.from({ length: size }, (_, i) => hash32(`item ${size}/${i}`));
    return {
      items: items.map(hex),
      root: hex(merkleRoot(items)),
      proofs: items.map((_, index) => ({ index, proof: merkleProof(items, index).map(hex) })),
    };
  });
  return { source: "reference implementation in tests/helpers.ts", vectors };
}

// ---------------------------------------------------------------------------
// Registry: commit, then reveal
// ---------------------------------------------------------------------------

/** sha256(hash ++ salt ++ consensus bytes of `who`): what `registry.commit-dataset` takes. */
export function commitment(hash: Uint8Array, salt: Uint8Array, who: string): Uint8Array {
  return sha256(hash, salt, fromHex(serializeCV(Cl.principal(who))));
}

/** Both steps of registering a dataset from `who` (a registered identity): the
 * commitment, an empty block, the reveal. Returns the reveal's result. */
export function registerDataset(
  who: string,
  hash: Uint8Array,
  kind = "vcf",
  uri = `s3://genoflow/${hex(hash)}`,
  salt: Uint8Array = hash32(`salt of ${who} for ${hex(hash)}`),
): ParsedTransactionResult {
  const committed = call("registry", "commit-dataset", [Cl.buffer(commitment(hash, salt, who))], who);
  // A repeated commitment (u207) is fine here: the reveal decides.
  if (committed.result.type !== ClarityType.ResponseOk) {
    expect(committed.result).toStrictEqual(Cl.error(Cl.uint(207n)));
  }
  simnet.mineEmptyBlock();
  return call(
    "registry",
    "register-dataset",
    [Cl.buffer(hash), Cl.stringAscii(kind), Cl.stringAscii(uri), Cl.buffer(salt)],
    who,
  );
}

// ---------------------------------------------------------------------------
// Two-step ownership, the same in every contract
// ---------------------------------------------------------------------------

/** The ownership tests every contract shares: `set-contract-owner` proposes,
 * `accept-contract-owner` by the proposed principal completes, anyone else is
 * refused with the contract's unauthorized code, and `ownerOnly` (a privileged
 * call) follows the owner. */
export function describeTwoStepOwnership(
  contract: ContractName,
  ownerOnly: (by: string) => ParsedTransactionResult,
): void {
  const unauthorized = errorCodes(contract).ERR_UNAUTHORIZED;
  describe(`${contract}: two-step ownership`, () => {
    it("a proposal changes nothing until the proposed owner accepts", () => {
      const proposed = call(contract, "set-contract-owner", [Cl.principal(wallet1)], deployer);
      expectOk(proposed);
      expect(printed(proposed)).toEqual([
        { topic: "contract-owner-proposed", owner: deployer, "pending-owner": wallet1 },
      ]);
      expect(read(contract, "get-pending-owner", [])).toStrictEqual(Cl.some(Cl.principal(wallet1)));
      expect(read(contract, "get-contract-owner", [])).toStrictEqual(Cl.principal(deployer));
      expectErr(ownerOnly(wallet1), unauthorized);

      const accepted = call(contract, "accept-contract-owner", [], wallet1);
      expectOk(accepted);
      expect(printed(accepted)).toEqual([
        { topic: "contract-owner-accepted", "old-owner": deployer, "new-owner": wallet1 },
      ]);
      expect(read(contract, "get-contract-owner", [])).toStrictEqual(Cl.principal(wallet1));
      expect(read(contract, "get-pending-owner", [])).toStrictEqual(Cl.none());
      expectErr(ownerOnly(deployer), unauthorized);
      expect(ownerOnly(wallet1).result.type).toBe(ClarityType.ResponseOk);
    });

    it("a mistyped principal never gets the contract: the owner proposes again", () => {
      expectOk(call(contract, "set-contract-owner", [Cl.principal(wallet3)], deployer));
      expectOk(call(contract, "set-contract-owner", [Cl.principal(wallet1)], deployer));
      expectErr(call(contract, "accept-contract-owner", [], wallet3), unauthorized);
      expectOk(call(contract, "accept-contract-owner", [], wallet1));
    });

    it("refuses anyone but the owner to propose, and anyone but the proposed to accept", () => {
      expectErr(call(contract, "set-contract-owner", [Cl.principal(wallet2)], wallet2), unauthorized);
      expectErr(call(contract, "accept-contract-owner", [], wallet2), unauthorized);
      expectErr(call(contract, "accept-contract-owner", [], deployer), unauthorized);
      expect(read(contract, "get-pending-owner", [])).toStrictEqual(Cl.none());
      expect(read(contract, "get-contract-owner", [])).toStrictEqual(Cl.principal(deployer));
    });

    it("checks contract-caller: a contract relaying the owner's call is not the owner", () => {
      const proxyName = `${contract}-owner-proxy`;
      const proxy = `(define-public (take-over) (contract-call? '${contractId(contract)} set-contract-owner tx-sender))`;
      simnet.deployContract(proxyName, proxy, { clarityVersion: 4 }, deployer);
      const res = call(proxyName as never, "take-over", [], deployer);
      expect(res.result).toStrictEqual(Cl.error(Cl.uint(unauthorized)));
    });
  });
}

// ---------------------------------------------------------------------------
// Attacks refused without moving STX; oracle cross-language vectors
// (identity, registry and oracle tests)
// ---------------------------------------------------------------------------

/** Every principal that can hold STX in the tests: the Devnet accounts and the GenoFlow contracts. */
export function stxHolders(): string[] {
  return [...simnet.getAccounts().values(), ...CONTRACT_NAMES.map(contractId)];
}

/** Runs `attack` (one call or a whole block) and checks that no STX balance of
 * `stxHolders()` changed; returns what `attack` returned. */
export function withoutStxMoved<T>(attack: () => T): T {
  const holders = stxHolders();
  const before = holders.map(stxBalance);
  const result = attack();
  expect(holders.map(stxBalance), "STX balances after a refused call").toEqual(before);
  return result;
}

/** `attack` is refused with `code`: `(err code)`, no event, no STX moved. */
export function expectRefused(
  attack: () => ParsedTransactionResult,
  code: bigint,
): ParsedTransactionResult {
  const res = withoutStxMoved(attack);
  expectErr(res, code);
  return res;
}

export interface OracleVectorMessage {
  key: string;
  value: string;
  timestamp: number;
  message_hash: string;
  signature: string;
  v1_signature: string;
}

export interface OracleVectors {
  contract: string;
  chain_id: number;
  oracle_public_key: string;
  messages: OracleVectorMessage[];
}

/** Written by the Rust `shared/core` tests: signatures the oracle service makes
 * (`GENOFLOW_ORACLE_VECTORS` points the tests at another file). */
export const SHARED_ORACLE_VECTORS =
  process.env.GENOFLOW_ORACLE_VECTORS ?? resolve(here, "../../tests/vectors/oracle.json");

/** The shared oracle vectors, or null while the Rust test has not written them.
 * A file that exists but does not have the agreed shape throws. */
export function loadOracleVectors(): OracleVectors | null {
  if (!existsSync(SHARED_ORACLE_VECTORS)) return null;
  const parsed = JSON.parse(readFileSync(SHARED_ORACLE_VECTORS, "utf8")) as OracleVectors;
  const isHex = (text: unknown, bytes: number) =>
    typeof text === "string" && text.length === 2 * bytes && /^[0-9a-f]*$/i.test(text);
  const problems: string[] = [];
  if (typeof parsed.contract !== "string") problems.push("contract is not a string");
  if (typeof parsed.chain_id !== "number") problems.push("chain_id is not a number");
  if (!isHex(parsed.oracle_public_key, 33)) problems.push("oracle_public_key is not 33 hex bytes");
  if (!Array.isArray(parsed.messages) || parsed.messages.length === 0) {
    problems.push("messages is not a non-empty list");
  } else {
    parsed.messages.forEach((m, i) => {
      for (const [field, bytes] of [
        ["key", 32],
        ["value", 32],
        ["message_hash", 32],
        ["signature", 65],
        ["v1_signature", 65],
      ] as const) {
        if (!isHex(m[field], bytes)) problems.push(`messages[${i}].${field} is not ${bytes} hex bytes`);
      }
      if (!Number.isSafeInteger(m.timestamp) || m.timestamp < 0) {
        problems.push(`messages[${i}].timestamp is not a non-negative integer`);
      }
    });
  }
  if (problems.length > 0) throw new Error(`${SHARED_ORACLE_VECTORS}: ${problems.join("; ")}`);
  return parsed;
}
