import { describe, expect, it } from "vitest";
import {
  Cl,
  privateKeyToPublic,
  serializeCV,
  signMessageHashRsv,
} from "@stacks/transactions";
import {
  call,
  deployer,
  errorCodes,
  expectErr,
  expectOk,
  fromHex,
  hash32,
  hex,
  printed,
  read,
  sha256,
  toJs,
  wallet1,
  wallet2,
} from "./helpers";

const ERR = errorCodes("oracle");

/** secp256k1 group order. */
const CURVE_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

// Fixed test keys (compressed: the 01 suffix), so failures reproduce.
const ORACLE_KEY = `${hex(hash32("genoflow test oracle"))}01`;
const STRANGER_KEY = `${hex(hash32("not an oracle"))}01`;
const ORACLE_PUBKEY = fromHex(privateKeyToPublic(ORACLE_KEY) as string);

const KEY = hash32("clinvar:VCV000012345");
const VALUE = hash32('{"significance":"pathogenic"}');

/** sha256(key ++ value ++ consensus bytes of the uint timestamp), computed off chain. */
function messageHash(key: Uint8Array, value: Uint8Array, timestamp: bigint): Uint8Array {
  return sha256(key, value, fromHex(serializeCV(Cl.uint(timestamp))));
}

/** 65 bytes r ++ s ++ recovery id (low-S: the library signs canonically). */
function sign(privateKey: string, key: Uint8Array, value: Uint8Array, timestamp: bigint): Uint8Array {
  return fromHex(signMessageHashRsv({ messageHash: hex(messageHash(key, value, timestamp)), privateKey }));
}

/** The same signature with s replaced by n - s (and the recovery id flipped): high-S. */
function toHighS(signature: Uint8Array): Uint8Array {
  const s = BigInt(`0x${hex(signature.slice(32, 64))}`);
  const highS = fromHex((CURVE_ORDER - s).toString(16).padStart(64, "0"));
  return Uint8Array.from([...signature.slice(0, 32), ...highS, signature[64] ^ 1]);
}

function setOracle(pubkey: Uint8Array, enabled = true, by = deployer) {
  return call("oracle", "set-oracle", [Cl.buffer(pubkey), Cl.bool(enabled)], by);
}

function submit(timestamp: bigint, signature: Uint8Array, value = VALUE, relayer = wallet2) {
  return call(
    "oracle",
    "submit",
    [Cl.buffer(KEY), Cl.buffer(value), Cl.uint(timestamp), Cl.buffer(signature)],
    relayer,
  );
}

describe("oracle.message-hash", () => {
  it("matches the off-chain hash of key ++ value ++ to-consensus-buff? timestamp", () => {
    for (const timestamp of [0n, 1n, 1_763_777_777n, 2n ** 128n - 1n]) {
      expect(
        read("oracle", "message-hash", [Cl.buffer(KEY), Cl.buffer(VALUE), Cl.uint(timestamp)]),
      ).toStrictEqual(Cl.buffer(messageHash(KEY, VALUE, timestamp)));
    }
  });
});

describe("oracle.set-oracle", () => {
  it("lets the owner enable and disable oracle keys", () => {
    const res = setOracle(ORACLE_PUBKEY);
    expectOk(res);
    expect(printed(res)).toEqual([{ topic: "oracle-set", pubkey: hex(ORACLE_PUBKEY), enabled: true }]);
    expect(read("oracle", "is-oracle", [Cl.buffer(ORACLE_PUBKEY)])).toStrictEqual(Cl.bool(true));
    expectOk(setOracle(ORACLE_PUBKEY, false));
    expect(read("oracle", "is-oracle", [Cl.buffer(ORACLE_PUBKEY)])).toStrictEqual(Cl.bool(false));
  });

  it("refuses anyone but the owner (u600)", () => {
    expectErr(setOracle(ORACLE_PUBKEY, true, wallet1), ERR.ERR_UNAUTHORIZED);
    expect(read("oracle", "is-oracle", [Cl.buffer(ORACLE_PUBKEY)])).toStrictEqual(Cl.bool(false));
  });
});

describe("oracle.submit", () => {
  it("stores a value signed by an enabled oracle, relayed by anyone", () => {
    expectOk(setOracle(ORACLE_PUBKEY));
    const timestamp = 1_763_777_777n;
    const res = submit(timestamp, sign(ORACLE_KEY, KEY, VALUE, timestamp));
    expectOk(res);
    expect(printed(res)).toEqual([
      {
        topic: "oracle-value",
        key: hex(KEY),
        value: hex(VALUE),
        timestamp,
        oracle: hex(ORACLE_PUBKEY),
      },
    ]);
    expect(toJs(read("oracle", "get-value", [Cl.buffer(KEY)]))).toEqual({
      value: hex(VALUE),
      timestamp,
      oracle: hex(ORACLE_PUBKEY),
      "submitted-at": BigInt(simnet.stacksBlockHeight),
    });
  });

  it("accepts newer values and refuses equal or older timestamps (u603)", () => {
    expectOk(setOracle(ORACLE_PUBKEY));
    expectOk(submit(100n, sign(ORACLE_KEY, KEY, VALUE, 100n)));
    expectErr(submit(100n, sign(ORACLE_KEY, KEY, VALUE, 100n)), ERR.ERR_STALE);
    const older = hash32("older");
    expectErr(submit(99n, sign(ORACLE_KEY, KEY, older, 99n), older), ERR.ERR_STALE);
    const newer = hash32("newer");
    expectOk(submit(101n, sign(ORACLE_KEY, KEY, newer, 101n), newer));
    expect(toJs(read("oracle", "get-value", [Cl.buffer(KEY)]))).toMatchObject({
      value: hex(newer),
      timestamp: 101n,
    });
  });

  it("accepts timestamp 0 for a key with no value yet", () => {
    expectOk(setOracle(ORACLE_PUBKEY));
    expectOk(submit(0n, sign(ORACLE_KEY, KEY, VALUE, 0n)));
  });

  it("refuses a key that is not an enabled oracle (u601)", () => {
    expectOk(setOracle(ORACLE_PUBKEY));
    expectErr(submit(5n, sign(STRANGER_KEY, KEY, VALUE, 5n)), ERR.ERR_NOT_ORACLE);
    expectOk(setOracle(ORACLE_PUBKEY, false));
    expectErr(submit(5n, sign(ORACLE_KEY, KEY, VALUE, 5n)), ERR.ERR_NOT_ORACLE);
    expect(read("oracle", "get-value", [Cl.buffer(KEY)])).toStrictEqual(Cl.none());
  });

  it("refuses a signature over other data: it recovers a different key (u601)", () => {
    expectOk(setOracle(ORACLE_PUBKEY));
    const signature = sign(ORACLE_KEY, KEY, VALUE, 7n);
    expectErr(submit(7n, signature, hash32("tampered value")), ERR.ERR_NOT_ORACLE);
    expectErr(submit(8n, signature), ERR.ERR_NOT_ORACLE);
  });

  it("refuses a signature that does not recover (u602)", () => {
    expectOk(setOracle(ORACLE_PUBKEY));
    expectErr(submit(5n, new Uint8Array(65)), ERR.ERR_BAD_SIGNATURE);
    const badRecoveryId = sign(ORACLE_KEY, KEY, VALUE, 5n);
    badRecoveryId[64] = 7;
    expectErr(submit(5n, badRecoveryId), ERR.ERR_BAD_SIGNATURE);
  });

  it("refuses a high-S signature (u602), which the simnet would otherwise recover", () => {
    expectOk(setOracle(ORACLE_PUBKEY));
    const low = sign(ORACLE_KEY, KEY, VALUE, 5n);
    const high = toHighS(low);
    // The simnet's secp256k1-recover? accepts high-S and finds the oracle key...
    const recovered = simnet.execute(
      `(secp256k1-recover? 0x${hex(messageHash(KEY, VALUE, 5n))} 0x${hex(high)})`,
    ).result;
    expect(recovered).toStrictEqual(Cl.ok(Cl.buffer(ORACLE_PUBKEY)));
    // ...but a Stacks node would not, so the contract refuses it everywhere.
    expectErr(submit(5n, high), ERR.ERR_BAD_SIGNATURE);
    expectOk(submit(5n, low));
  });
});

describe("oracle.set-contract-owner", () => {
  it("hands ownership over", () => {
    expectOk(call("oracle", "set-contract-owner", [Cl.principal(wallet1)], deployer));
    expect(read("oracle", "get-contract-owner", [])).toStrictEqual(Cl.principal(wallet1));
    expectErr(setOracle(ORACLE_PUBKEY), ERR.ERR_UNAUTHORIZED);
    expectOk(setOracle(ORACLE_PUBKEY, true, wallet1));
  });

  it("refuses anyone but the owner (u600)", () => {
    expectErr(
      call("oracle", "set-contract-owner", [Cl.principal(wallet1)], wallet1),
      ERR.ERR_UNAUTHORIZED,
    );
  });
});
