import { describe, expect, it } from "vitest";
import { Cl } from "@stacks/transactions";
import {
  CONTRACT_NAMES,
  call,
  contractId,
  deployer,
  describeTwoStepOwnership,
  errorCodes,
  expectOk,
  expectRefused,
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

function updateName(who: string, name: string) {
  return call("identity", "update-name", [Cl.stringUtf8(name)], who);
}

function setVerified(who: string, verified: boolean, by = deployer) {
  return call("identity", "set-verified", [Cl.principal(who), Cl.bool(verified)], by);
}

function identity(who: string) {
  return toJs(read("identity", "get-identity", [Cl.principal(who)])) as Record<string, unknown> | null;
}

function isVerified(who: string) {
  return read("identity", "is-verified", [Cl.principal(who)]);
}

/** Names of only spaces (U+0020), up to the 64 characters the type allows. */
const BLANK_NAMES = [" ", "   ", " ".repeat(64)];

// ---------------------------------------------------------------------------
// Deployment
// ---------------------------------------------------------------------------

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

  it("gives every contract a deployer-owned contract-owner and no pending owner", () => {
    for (const name of CONTRACT_NAMES) {
      expect(read(name, "get-contract-owner", []), name).toStrictEqual(Cl.principal(deployer));
      expect(read(name, "get-pending-owner", []), name).toStrictEqual(Cl.none());
    }
  });
});

// ---------------------------------------------------------------------------
// identity.register
// ---------------------------------------------------------------------------

describe("identity.register", () => {
  it("registers the caller unverified, at the current block", () => {
    const res = register(wallet1, "Ada Lovelace", ROLE.ROLE_LAB);
    expectOk(res);
    expect(printed(res)).toEqual([
      { topic: "identity-registered", who: wallet1, name: "Ada Lovelace", role: ROLE.ROLE_LAB },
    ]);
    expect(identity(wallet1)).toEqual({
      name: "Ada Lovelace",
      role: ROLE.ROLE_LAB,
      verified: false,
      // the call was mined in the block simnet now reports as current
      "registered-at": BigInt(simnet.stacksBlockHeight),
    });
    expect(read("identity", "is-registered", [Cl.principal(wallet1)])).toStrictEqual(Cl.bool(true));
    expect(isVerified(wallet1)).toStrictEqual(Cl.bool(false));
  });

  it("accepts each of the four roles", () => {
    const roles = [ROLE.ROLE_RESEARCHER, ROLE.ROLE_CLINICIAN, ROLE.ROLE_LAB, ROLE.ROLE_STUDENT];
    expect(roles).toEqual([1n, 2n, 3n, 4n]);
    const people = [wallet1, wallet2, deployer, wallet3];
    roles.forEach((role, i) => expectOk(register(people[i], `person ${i}`, role)));
  });

  it("refuses a second registration (u101)", () => {
    expectOk(register(wallet1));
    expectRefused(() => register(wallet1, "Again"), ERR.ERR_ALREADY_REGISTERED);
    expect(identity(wallet1)).toMatchObject({ name: "Ada" });
  });

  it("refuses roles outside u1..u4 (u102)", () => {
    expectRefused(() => register(wallet1, "Ada", 0n), ERR.ERR_INVALID_ROLE);
    expectRefused(() => register(wallet1, "Ada", 5n), ERR.ERR_INVALID_ROLE);
  });

  it("refuses an empty name (u103)", () => {
    expectRefused(() => register(wallet1, ""), ERR.ERR_EMPTY_NAME);
    expect(identity(wallet1)).toBeNull();
  });

  it("v2: refuses a name of only spaces (u103): one, three and 64 spaces", () => {
    expect(BLANK_NAMES[2].length).toBe(64);
    for (const name of BLANK_NAMES) {
      expectRefused(() => register(wallet1, name), ERR.ERR_EMPTY_NAME);
    }
    expect(identity(wallet1)).toBeNull();
    expect(read("identity", "is-registered", [Cl.principal(wallet1)])).toStrictEqual(Cl.bool(false));
    // the same caller registers with a real name afterwards
    expectOk(register(wallet1, "Ada"));
  });

  it("v2: accepts a name with spaces around letters, stored as given", () => {
    const names = [" Ada ", "  x", "y  ", "Ada  Lovelace", `${" ".repeat(63)}z`];
    const people = [wallet1, wallet2, wallet3, deployer];
    names.slice(0, 4).forEach((name, i) => {
      expectOk(register(people[i], name));
      expect(identity(people[i])).toMatchObject({ name });
    });
    expectOk(updateName(wallet1, names[4]));
    expect(identity(wallet1)).toMatchObject({ name: names[4] });
  });

  it("v2: counts only U+0020 as blank: a tab or a no-break space is a name", () => {
    // Only U+0020 counts as blank (CONTRACTS.md v2); other characters are names.
    expectOk(register(wallet1, "\t"));
    expectOk(register(wallet2, "\u00a0"));
  });

  it("registers the calling principal, never someone else", () => {
    expectOk(register(wallet2));
    expect(read("identity", "is-registered", [Cl.principal(wallet1)])).toStrictEqual(Cl.bool(false));
  });
});

// ---------------------------------------------------------------------------
// identity.update-name
// ---------------------------------------------------------------------------

describe("identity.update-name", () => {
  it("changes the name and keeps the role and registration block", () => {
    expectOk(register(wallet1, "Ada", ROLE.ROLE_CLINICIAN));
    const registeredAt = BigInt(simnet.stacksBlockHeight);
    const res = updateName(wallet1, "Ada K. — ünïcode");
    expectOk(res);
    expect(printed(res)).toEqual([
      {
        topic: "identity-name-updated",
        who: wallet1,
        name: "Ada K. — ünïcode",
        "was-verified": false,
      },
    ]);
    expect(identity(wallet1)).toEqual({
      name: "Ada K. — ünïcode",
      role: ROLE.ROLE_CLINICIAN,
      verified: false,
      "registered-at": registeredAt,
    });
  });

  it("v2: a verified identity that renames itself loses its verification", () => {
    // Set up: the owner vouches for "Ada Lovelace, St Thomas' lab".
    expectOk(register(wallet1, "Ada Lovelace, St Thomas' lab", ROLE.ROLE_LAB));
    expectOk(setVerified(wallet1, true));
    expect(isVerified(wallet1)).toStrictEqual(Cl.bool(true));
    // The attack: keep the badge under another institution's name.
    const res = updateName(wallet1, "Genomics England");
    expectOk(res);
    expect(printed(res)).toEqual([
      { topic: "identity-name-updated", who: wallet1, name: "Genomics England", "was-verified": true },
    ]);
    expect(isVerified(wallet1)).toStrictEqual(Cl.bool(false));
    expect(identity(wallet1)).toMatchObject({
      name: "Genomics England",
      role: ROLE.ROLE_LAB,
      verified: false,
    });
    // Only the owner can vouch for the new name.
    expectRefused(() => setVerified(wallet1, true, wallet1), ERR.ERR_UNAUTHORIZED);
    expect(isVerified(wallet1)).toStrictEqual(Cl.bool(false));
    expectOk(setVerified(wallet1, true));
    expect(isVerified(wallet1)).toStrictEqual(Cl.bool(true));
  });

  it("v2: renaming clears verification even to the same name", () => {
    expectOk(register(wallet1, "Ada"));
    expectOk(setVerified(wallet1, true));
    const res = updateName(wallet1, "Ada");
    expectOk(res);
    expect(printed(res)).toEqual([
      { topic: "identity-name-updated", who: wallet1, name: "Ada", "was-verified": true },
    ]);
    expect(isVerified(wallet1)).toStrictEqual(Cl.bool(false));
  });

  it("refuses an empty name (u103)", () => {
    expectOk(register(wallet1));
    expectRefused(() => updateName(wallet1, ""), ERR.ERR_EMPTY_NAME);
  });

  it("v2: refuses a name of only spaces (u103), and a refused rename keeps name and verification", () => {
    expectOk(register(wallet1, "Ada"));
    expectOk(setVerified(wallet1, true));
    for (const name of BLANK_NAMES) {
      expectRefused(() => updateName(wallet1, name), ERR.ERR_EMPTY_NAME);
    }
    expect(identity(wallet1)).toMatchObject({ name: "Ada", verified: true });
    expect(isVerified(wallet1)).toStrictEqual(Cl.bool(true));
  });

  it("refuses an unregistered caller (u104): the wrong principal cannot rename", () => {
    expectOk(register(wallet1));
    expectRefused(() => updateName(wallet2, "Mallory"), ERR.ERR_NOT_REGISTERED);
    expect(identity(wallet1)).toMatchObject({ name: "Ada" });
    expect(identity(wallet2)).toBeNull();
  });

  it("checks the name after the registration: an unregistered blank rename is u104", () => {
    expectRefused(() => updateName(wallet2, " "), ERR.ERR_NOT_REGISTERED);
  });
});

// ---------------------------------------------------------------------------
// identity.set-verified
// ---------------------------------------------------------------------------

describe("identity.set-verified", () => {
  it("lets the owner verify and unverify", () => {
    expectOk(register(wallet1));
    const res = setVerified(wallet1, true);
    expectOk(res);
    expect(printed(res)).toEqual([{ topic: "identity-verified", who: wallet1, verified: true }]);
    expect(isVerified(wallet1)).toStrictEqual(Cl.bool(true));
    expectOk(setVerified(wallet1, false));
    expect(isVerified(wallet1)).toStrictEqual(Cl.bool(false));
  });

  it("refuses anyone but the owner (u100), including the identity itself", () => {
    expectOk(register(wallet1));
    expectRefused(() => setVerified(wallet1, true, wallet1), ERR.ERR_UNAUTHORIZED);
    expect(isVerified(wallet1)).toStrictEqual(Cl.bool(false));
  });

  it("refuses an unregistered principal (u104)", () => {
    expectRefused(() => setVerified(wallet2, true), ERR.ERR_NOT_REGISTERED);
    expect(isVerified(wallet2)).toStrictEqual(Cl.bool(false));
  });

  it("checks the owner first: a non-owner on an unregistered principal is u100", () => {
    expectRefused(() => setVerified(wallet2, true, wallet1), ERR.ERR_UNAUTHORIZED);
  });
});

// ---------------------------------------------------------------------------
// Ownership (v2: two steps)
// ---------------------------------------------------------------------------

describeTwoStepOwnership("identity", (by) => {
  if (toJs(read("identity", "is-registered", [Cl.principal(wallet2)])) !== true) {
    expectOk(register(wallet2));
  }
  return setVerified(wallet2, true, by);
});
