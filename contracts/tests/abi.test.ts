// Keeps contracts/abi.json true: the callable functions (public and read-only) of the six
// contracts as the simnet deploys them, with their argument names, argument types and output
// types written in Clarity's own syntax (`uint`, `(buff 32)`, `(list 32 (buff 32))`, ...).
// The Rust bindings (shared/stacks/src/contracts) are checked against that file by
// shared/stacks/tests/contract_abi.rs, so a contract change that breaks a Rust call fails both
// here (the file is stale) and there (once the file is refreshed).
//
// The test fails on any difference between the simnet and the committed file;
// GENOFLOW_UPDATE_ABI=1 rewrites the file instead:
//
//   GENOFLOW_UPDATE_ABI=1 npx vitest run tests/abi.test.ts
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CONTRACT_NAMES, contractId } from "./helpers";

const ABI_PATH = resolve(dirname(fileURLToPath(import.meta.url)), "..", "abi.json");
const UPDATE = process.env.GENOFLOW_UPDATE_ABI === "1";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A type of the simnet's contract interface, in Clarity's syntax. Throws on a shape it does
 * not know, so nothing is silently left out of the file. */
export function clarityType(type: unknown): string {
  if (typeof type === "string") {
    const atoms: Record<string, string> = {
      uint128: "uint",
      int128: "int",
      bool: "bool",
      principal: "principal",
      none: "none",
      trait_reference: "<trait>",
    };
    if (type in atoms) return atoms[type];
    throw new Error(`unknown Clarity type ${JSON.stringify(type)}`);
  }
  const entries = type instanceof Map ? [...type.entries()] : Object.entries(type as object);
  if (entries.length !== 1) throw new Error(`unknown Clarity type ${JSON.stringify(type)}`);
  const [kind, inner] = entries[0] as [string, any];
  switch (kind) {
    case "buffer":
      return `(buff ${inner.length})`;
    case "string-ascii":
    case "string-utf8":
      return `(${kind} ${inner.length})`;
    case "optional":
      return `(optional ${clarityType(inner)})`;
    case "response":
      return `(response ${clarityType(inner.ok)} ${clarityType(inner.error)})`;
    case "list":
      return `(list ${inner.length} ${clarityType(inner.type)})`;
    case "tuple":
      return `(tuple ${(inner as { name: string; type: unknown }[])
        .map((field) => `(${field.name} ${clarityType(field.type)})`)
        .join(" ")})`;
    default:
      throw new Error(`unknown Clarity type ${JSON.stringify(type)}`);
  }
}

/** The file's content: per contract (by name), its public and read-only functions sorted by
 * name, each with its access, arguments in order and output type. */
function currentAbi(): Json {
  const interfaces = simnet.getContractsInterfaces();
  const abi: { [contract: string]: Json } = {};
  for (const name of [...CONTRACT_NAMES].sort()) {
    const contract = interfaces.get(contractId(name));
    if (!contract) throw new Error(`contract ${contractId(name)} is not deployed`);
    abi[name] = {
      functions: contract.functions
        .filter((f) => f.access !== "private")
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
        .map((f) => ({
          name: f.name,
          access: f.access,
          args: f.args.map((arg) => ({ name: arg.name, type: clarityType(arg.type) })),
          outputs: clarityType(f.outputs.type),
        })),
    };
  }
  return abi;
}

/** JSON with two-space indentation, except that an object or array holding only scalars
 * stays on one line (one argument per line): short, stable diffs. */
export function pretty(value: Json, indent = ""): string {
  const scalar = (v: Json) => v === null || typeof v !== "object";
  if (scalar(value)) return JSON.stringify(value);
  const inner = indent + "  ";
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    if (value.every(scalar)) return `[${value.map((v) => JSON.stringify(v)).join(", ")}]`;
    return `[\n${value.map((v) => inner + pretty(v, inner)).join(",\n")}\n${indent}]`;
  }
  const entries = Object.entries(value as { [key: string]: Json });
  if (entries.length === 0) return "{}";
  if (entries.every(([, v]) => scalar(v))) {
    return `{ ${entries.map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(", ")} }`;
  }
  return `{\n${entries
    .map(([k, v]) => `${inner}${JSON.stringify(k)}: ${pretty(v, inner)}`)
    .join(",\n")}\n${indent}}`;
}

function committedAbi(): string | undefined {
  try {
    return readFileSync(ABI_PATH, "utf8");
  } catch {
    return undefined;
  }
}

describe("contracts/abi.json", () => {
  it("is the six contracts' callable functions as the simnet deploys them", () => {
    const expected = `${pretty(currentAbi())}\n`;
    if (UPDATE && committedAbi() !== expected) writeFileSync(ABI_PATH, expected);
    expect(
      committedAbi(),
      "contracts/abi.json differs from the deployed contracts: check the change, then run " +
        "`GENOFLOW_UPDATE_ABI=1 npx vitest run tests/abi.test.ts` in contracts/ and " +
        "`cargo test -p genoflow-stacks --test contract_abi` (docs/CONTRACTS.md)",
    ).toBe(expected);
  });

  it("writes types in Clarity's syntax", () => {
    expect(clarityType("uint128")).toBe("uint");
    expect(clarityType({ list: { type: { buffer: { length: 32 } }, length: 32 } })).toBe(
      "(list 32 (buff 32))",
    );
    expect(
      clarityType({
        optional: {
          tuple: [
            { name: "owner", type: "principal" },
            { name: "uri", type: { "string-ascii": { length: 256 } } },
          ],
        },
      }),
    ).toBe("(optional (tuple (owner principal) (uri (string-ascii 256))))");
    expect(clarityType({ response: { ok: "bool", error: "uint128" } })).toBe("(response bool uint)");
    expect(() => clarityType({ mystery: {} })).toThrow(/unknown Clarity type/);
  });
});
