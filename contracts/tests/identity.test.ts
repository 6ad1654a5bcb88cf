import { describe, expect, it } from "vitest";
import { Cl } from "@stacks/transactions";
import {
  CONTRACT_NAMES,
  call,
  contractId,
  deployer,
  errorCodes,
  expectErr,
  expectOk,
  printed,
  read,
  toJs,
  uintConstants,
  wallet1,
  wallet2,
  wallet3,
} from "./helpers";

const ERR = errorCodes("identity");
const ROLE = uintConstants("identity");

function register(who: string, name = "Ada", role = ROLE.ROLE_RESEARCHER) {
  return call("identity", "register", [Cl.stringUtf8(name), Cl.uint(role)], who);
}

describe("deployment", () => {
  it("runs every contract as Clarity 4 at epoch 3.3", () => {
    expect(simnet.currentEpoch).toBe("3.3");
    const interfaces = simnet.getContractsInterfaces();
    for (const name of CONTRACT_NAMES) {
      const iface = interfaces.get(contractId(name));
      expect(iface, name).toBeDefined();
      expect(iface!.epoch, name).toBe("Epoch33");
      expect(iface!.clarity_version, name).toBe("Clarity4");
    }
  });

  it("gives every contract a deployer-owned contract-owner", () => {
    for (const name of CONTRACT_NAMES) {
      expect(read(name, "get-contract-owner", []), name).toStrictEqual(Cl.principal(deployer));
    }
  });
});

describe("identity.register", () => {
  it("registers the caller unverified, at the current block", () => {
    const res = register(wallet1, "Ada Lovelace", ROLE.ROLE_LAB);
    expectOk(res);
    expect(printed(res)).toEqual([
      { topic: "identity-registered", who: wallet1, name: "Ada Lovelace", role: ROLE.ROLE_LAB },
    ]);
    expect(toJs(read("identity", "get-identity", [Cl.principal(wallet1)]))).toEqual({
      name: "Ada Lovelace",
      role: ROLE.ROLE_LAB,
      verified: false,
      // the call was mined in the block simnet now reports as current
      "registered-at": BigInt(simnet.stacksBlockHeight),
    });
    expect(read("identity", "is-registered", [Cl.principal(wallet1)])).toStrictEqual(Cl.bool(true));
    expect(read("identity", "is-verified", [Cl.principal(wallet1)])).toStrictEqual(Cl.bool(false));
  });

  it("accepts each of the four roles", () => {
    const roles = [ROLE.ROLE_RESEARCHER, ROLE.ROLE_CLINICIAN, ROLE.ROLE_LAB, ROLE.ROLE_STUDENT];
    expect(roles).toEqual([1n, 2n, 3n, 4n]);
    const people = [wallet1, wallet2, deployer, wallet3];
    roles.forEach((role, i) => expectOk(register(people[i], `person ${i}`, role)));
  });

  it("refuses a second registration (u101)", () => {
    expectOk(register(wallet1));
    expectErr(register(wallet1, "Again"), ERR.ERR_ALREADY_REGISTERED);
  });

  it("refuses roles outside u1..u4 (u102)", () => {
    expectErr(register(wallet1, "Ada", 0n), ERR.ERR_INVALID_ROLE);
    expectErr(register(wallet1, "Ada", 5n), ERR.ERR_INVALID_ROLE);
  });

  it("refuses an empty name (u103)", () => {
    expectErr(register(wallet1, ""), ERR.ERR_EMPTY_NAME);
    expect(read("identity", "get-identity", [Cl.principal(wallet1)])).toStrictEqual(Cl.none());
  });

  it("registers the calling principal, never someone else", () => {
    expectOk(register(wallet2));
    expect(read("identity", "is-registered", [Cl.principal(wallet1)])).toStrictEqual(Cl.bool(false));
  });
});

describe("identity.update-name", () => {
  it("changes only the name", () => {
    expectOk(register(wallet1, "Ada", ROLE.ROLE_CLINICIAN));
    const res = call("identity", "update-name", [Cl.stringUtf8("Ada K. — ünïcode")], wallet1);
    expectOk(res);
    expect(printed(res)).toEqual([
      { topic: "identity-name-updated", who: wallet1, name: "Ada K. — ünïcode" },
    ]);
    const identity = toJs(read("identity", "get-identity", [Cl.principal(wallet1)])) as Record<
      string,
      unknown
    >;
    expect(identity.name).toBe("Ada K. — ünïcode");
    expect(identity.role).toBe(ROLE.ROLE_CLINICIAN);
  });

  it("refuses an empty name (u103)", () => {
    expectOk(register(wallet1));
    expectErr(call("identity", "update-name", [Cl.stringUtf8("")], wallet1), ERR.ERR_EMPTY_NAME);
  });

  it("refuses an unregistered caller (u104): the wrong principal cannot rename", () => {
    expectOk(register(wallet1));
    expectErr(
      call("identity", "update-name", [Cl.stringUtf8("Mallory")], wallet2),
      ERR.ERR_NOT_REGISTERED,
    );
    expect(toJs(read("identity", "get-identity", [Cl.principal(wallet1)]))).toMatchObject({
      name: "Ada",
    });
  });
});

describe("identity.set-verified", () => {
  it("lets the owner verify and unverify", () => {
    expectOk(register(wallet1));
    const res = call("identity", "set-verified", [Cl.principal(wallet1), Cl.bool(true)], deployer);
    expectOk(res);
    expect(printed(res)).toEqual([{ topic: "identity-verified", who: wallet1, verified: true }]);
    expect(read("identity", "is-verified", [Cl.principal(wallet1)])).toStrictEqual(Cl.bool(true));
    expectOk(call("identity", "set-verified", [Cl.principal(wallet1), Cl.bool(false)], deployer));
    expect(read("identity", "is-verified", [Cl.principal(wallet1)])).toStrictEqual(Cl.bool(false));
  });

  it("refuses anyone but the owner (u100), including the identity itself", () => {
    expectOk(register(wallet1));
    expectErr(
      call("identity", "set-verified", [Cl.principal(wallet1), Cl.bool(true)], wallet1),
      ERR.ERR_UNAUTHORIZED,
    );
  });

  it("refuses an unregistered principal (u104)", () => {
    expectErr(
      call("identity", "set-verified", [Cl.principal(wallet2), Cl.bool(true)], deployer),
      ERR.ERR_NOT_REGISTERED,
    );
    expect(read("identity", "is-verified", [Cl.principal(wallet2)])).toStrictEqual(Cl.bool(false));
  });
});

describe("identity.set-contract-owner", () => {
  it("hands ownership over; the old owner loses its rights", () => {
    const res = call("identity", "set-contract-owner", [Cl.principal(wallet1)], deployer);
    expectOk(res);
    expect(printed(res)).toEqual([
      { topic: "set-contract-owner", "old-owner": deployer, "new-owner": wallet1 },
    ]);
    expect(read("identity", "get-contract-owner", [])).toStrictEqual(Cl.principal(wallet1));
    expectOk(register(wallet2));
    expectErr(
      call("identity", "set-verified", [Cl.principal(wallet2), Cl.bool(true)], deployer),
      ERR.ERR_UNAUTHORIZED,
    );
    expectOk(call("identity", "set-verified", [Cl.principal(wallet2), Cl.bool(true)], wallet1));
  });

  it("refuses anyone but the owner (u100)", () => {
    expectErr(
      call("identity", "set-contract-owner", [Cl.principal(wallet1)], wallet1),
      ERR.ERR_UNAUTHORIZED,
    );
  });

  it("checks contract-caller: a contract called by the owner is not the owner", () => {
    // A proxy contract relaying the owner's call: tx-sender is the owner, contract-caller is not.
    const proxy = `(define-public (take-over) (contract-call? '${contractId("identity")} set-contract-owner tx-sender))`;
    simnet.deployContract("owner-proxy", proxy, { clarityVersion: 4 }, deployer);
    const res = call("owner-proxy" as never, "take-over", [], deployer);
    expect(res.result).toStrictEqual(Cl.error(Cl.uint(ERR.ERR_UNAUTHORIZED)));
  });
});
