import { describe, expect, it } from "vitest";
import { Cl } from "@stacks/transactions";
import {
  call,
  deployer,
  errorCodes,
  expectErr,
  expectOk,
  printed,
  read,
  stxBalance,
  stxTransfers,
  toJs,
  wallet1,
  wallet2,
  wallet4,
} from "./helpers";

const ERR = errorCodes("subscription");

function setPlan(planId: bigint, price: bigint, duration: bigint, active = true, by = deployer) {
  return call(
    "subscription",
    "set-plan",
    [Cl.uint(planId), Cl.uint(price), Cl.uint(duration), Cl.bool(active)],
    by,
  );
}

function subscribe(who: string, planId = 1n) {
  return call("subscription", "subscribe", [Cl.uint(planId)], who);
}

function isActive(who: string) {
  return read("subscription", "is-active", [Cl.principal(who)]);
}

/** stacks-block-height seen by the next transaction. */
function nextHeight(): bigint {
  return BigInt(simnet.stacksBlockHeight + 1);
}

describe("subscription.set-plan", () => {
  it("creates and changes plans", () => {
    const res = setPlan(1n, 5_000_000n, 144n);
    expectOk(res);
    expect(printed(res)).toEqual([
      { topic: "plan-set", "plan-id": 1n, price: 5_000_000n, duration: 144n, active: true },
    ]);
    expect(toJs(read("subscription", "get-plan", [Cl.uint(1)]))).toEqual({
      price: 5_000_000n,
      duration: 144n,
      active: true,
    });
    expectOk(setPlan(1n, 7n, 10n, false));
    expect(toJs(read("subscription", "get-plan", [Cl.uint(1)]))).toEqual({
      price: 7n,
      duration: 10n,
      active: false,
    });
    expect(read("subscription", "get-plan", [Cl.uint(2)])).toStrictEqual(Cl.none());
  });

  it("refuses anyone but the owner (u300)", () => {
    expectErr(setPlan(1n, 1n, 1n, true, wallet1), ERR.ERR_UNAUTHORIZED);
    expect(read("subscription", "get-plan", [Cl.uint(1)])).toStrictEqual(Cl.none());
  });

  it("refuses a zero duration (u301)", () => {
    expectErr(setPlan(1n, 1n, 0n), ERR.ERR_INVALID_PLAN);
  });
});

describe("subscription.subscribe", () => {
  it("moves exactly the price from the caller to the treasury and sets the expiry", () => {
    expectOk(setPlan(1n, 5_000_000n, 144n));
    const before = { subscriber: stxBalance(wallet1), treasury: stxBalance(deployer) };
    const expiresAt = nextHeight() + 144n;
    const res = subscribe(wallet1);
    expectOk(res, Cl.uint(expiresAt));
    expect(stxTransfers(res)).toEqual([{ sender: wallet1, recipient: deployer, amount: 5_000_000n }]);
    expect(stxBalance(wallet1)).toBe(before.subscriber - 5_000_000n);
    expect(stxBalance(deployer)).toBe(before.treasury + 5_000_000n);
    expect(printed(res)).toEqual([
      {
        topic: "subscribed",
        subscriber: wallet1,
        "plan-id": 1n,
        price: 5_000_000n,
        treasury: deployer,
        "expires-at": expiresAt,
      },
    ]);
    expect(toJs(read("subscription", "get-subscription", [Cl.principal(wallet1)]))).toEqual({
      "plan-id": 1n,
      "expires-at": expiresAt,
    });
    expect(isActive(wallet1)).toStrictEqual(Cl.bool(true));
    expect(isActive(wallet2)).toStrictEqual(Cl.bool(false));
  });

  it("extends an active subscription from its current expiry", () => {
    expectOk(setPlan(1n, 100n, 50n));
    expectOk(setPlan(2n, 300n, 20n));
    const first = nextHeight() + 50n;
    expectOk(subscribe(wallet1), Cl.uint(first));
    simnet.mineEmptyBlocks(10);
    expectOk(subscribe(wallet1, 2n), Cl.uint(first + 20n));
    expect(toJs(read("subscription", "get-subscription", [Cl.principal(wallet1)]))).toEqual({
      "plan-id": 2n,
      "expires-at": first + 20n,
    });
  });

  it("restarts an expired subscription from the current block", () => {
    expectOk(setPlan(1n, 100n, 5n));
    const first = nextHeight() + 5n;
    expectOk(subscribe(wallet1), Cl.uint(first));
    simnet.mineEmptyBlocks(3);
    expect(isActive(wallet1)).toStrictEqual(Cl.bool(true));
    simnet.mineEmptyBlocks(2);
    expect(BigInt(simnet.stacksBlockHeight)).toBe(first);
    expect(isActive(wallet1)).toStrictEqual(Cl.bool(false));
    simnet.mineEmptyBlocks(10);
    const restarted = nextHeight() + 5n;
    expectOk(subscribe(wallet1), Cl.uint(restarted));
  });

  it("moves no STX for a free plan", () => {
    expectOk(setPlan(3n, 0n, 10n));
    const before = stxBalance(wallet1);
    const expiresAt = nextHeight() + 10n;
    const res = subscribe(wallet1, 3n);
    expectOk(res, Cl.uint(expiresAt));
    expect(stxTransfers(res)).toEqual([]);
    expect(stxBalance(wallet1)).toBe(before);
  });

  it("refuses an unknown plan (u302)", () => {
    expectErr(subscribe(wallet1, 9n), ERR.ERR_UNKNOWN_PLAN);
  });

  it("refuses an inactive plan (u303) and moves nothing", () => {
    expectOk(setPlan(1n, 100n, 10n, false));
    const before = stxBalance(wallet1);
    expectErr(subscribe(wallet1), ERR.ERR_PLAN_INACTIVE);
    expect(stxBalance(wallet1)).toBe(before);
    expect(read("subscription", "get-subscription", [Cl.principal(wallet1)])).toStrictEqual(Cl.none());
  });

  it("passes STX transfer errors through: insufficient balance is (err u1)", () => {
    const balance = stxBalance(wallet4);
    expectOk(setPlan(1n, balance + 1n, 10n));
    const res = subscribe(wallet4);
    expect(res.result).toStrictEqual(Cl.error(Cl.uint(1)));
    expect(stxBalance(wallet4)).toBe(balance);
    expect(isActive(wallet4)).toStrictEqual(Cl.bool(false));
  });

  it("passes STX transfer errors through: the treasury paying itself is (err u2)", () => {
    expectOk(setPlan(1n, 100n, 10n));
    expect(subscribe(deployer).result).toStrictEqual(Cl.error(Cl.uint(2)));
  });

  it("charges the caller, never the treasury or another principal", () => {
    expectOk(setPlan(1n, 1_000n, 10n));
    const others = [wallet2, wallet4].map(stxBalance);
    const expiresAt = nextHeight() + 10n;
    expectOk(subscribe(wallet1), Cl.uint(expiresAt));
    expect([wallet2, wallet4].map(stxBalance)).toEqual(others);
    expect(isActive(wallet2)).toStrictEqual(Cl.bool(false));
  });
});

describe("subscription.set-treasury", () => {
  it("sends later payments to the new treasury", () => {
    const res = call("subscription", "set-treasury", [Cl.principal(wallet2)], deployer);
    expectOk(res);
    expect(printed(res)).toEqual([{ topic: "treasury-set", treasury: wallet2 }]);
    expect(read("subscription", "get-treasury", [])).toStrictEqual(Cl.principal(wallet2));
    expectOk(setPlan(1n, 250n, 10n));
    const before = stxBalance(wallet2);
    const sub = subscribe(wallet1);
    expect(stxTransfers(sub)).toEqual([{ sender: wallet1, recipient: wallet2, amount: 250n }]);
    expect(stxBalance(wallet2)).toBe(before + 250n);
  });

  it("refuses anyone but the owner (u300)", () => {
    expectErr(
      call("subscription", "set-treasury", [Cl.principal(wallet1)], wallet1),
      ERR.ERR_UNAUTHORIZED,
    );
    expect(read("subscription", "get-treasury", [])).toStrictEqual(Cl.principal(deployer));
  });
});

describe("subscription.set-contract-owner", () => {
  it("hands ownership over", () => {
    expectOk(call("subscription", "set-contract-owner", [Cl.principal(wallet1)], deployer));
    expect(read("subscription", "get-contract-owner", [])).toStrictEqual(Cl.principal(wallet1));
    expectErr(setPlan(1n, 1n, 1n), ERR.ERR_UNAUTHORIZED);
    expectOk(setPlan(1n, 1n, 1n, true, wallet1));
  });

  it("refuses anyone but the owner (u300)", () => {
    expectErr(
      call("subscription", "set-contract-owner", [Cl.principal(wallet2)], wallet2),
      ERR.ERR_UNAUTHORIZED,
    );
  });
});
