import { describe, expect, it } from "vitest";
import { tx } from "@stacks/clarinet-sdk";
import { Cl } from "@stacks/transactions";
import {
  balances,
  call,
  contractId,
  deployer,
  describeTwoStepOwnership,
  errorCodes,
  expectErr,
  expectOk,
  expectRefusedSince,
  printed,
  read,
  stxBalance,
  stxTransfers,
  toJs,
  uintConstants,
  wallet1,
  wallet2,
  wallet3,
  wallet4,
} from "./helpers";

const ERR = errorCodes("subscription");
const { MAX_PRICE, MAX_DURATION } = uintConstants("subscription");

/** Seconds. */
const HOUR = 3_600n;
const DAY = 86_400n;
/** `simnet.mineEmptyBlock()` opens a new tenure 600 s (one burn block) later. */
const BURN_BLOCK_SECONDS = 600n;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

function planArgs(planId: bigint, price: bigint, duration: bigint, active = true) {
  return [Cl.uint(planId), Cl.uint(price), Cl.uint(duration), Cl.bool(active)];
}

function setPlan(planId: bigint, price: bigint, duration: bigint, active = true, by = deployer) {
  return call("subscription", "set-plan", planArgs(planId, price, duration, active), by);
}

function plan(planId: bigint) {
  return toJs(read("subscription", "get-plan", [Cl.uint(planId)])) as {
    price: bigint;
    duration: bigint;
    active: boolean;
  } | null;
}

/** What a wallet signs: the plan as it saw it (price and duration), unless told otherwise. */
function subscribeArgs(planId: bigint, maxPrice?: bigint, minDuration?: bigint) {
  const seen = plan(planId);
  return [
    Cl.uint(planId),
    Cl.uint(maxPrice ?? seen?.price ?? 0n),
    Cl.uint(minDuration ?? seen?.duration ?? 0n),
  ];
}

function subscribe(who: string, planId = 1n, maxPrice?: bigint, minDuration?: bigint) {
  return call("subscription", "subscribe", subscribeArgs(planId, maxPrice, minDuration), who);
}

function isActive(who: string): boolean {
  return read("subscription", "is-active", [Cl.principal(who)]).type === "true";
}

function subscription(who: string) {
  return toJs(read("subscription", "get-subscription", [Cl.principal(who)]));
}

function treasury() {
  return read("subscription", "get-treasury", []);
}

/** stacks-block-time of the last block: what the last call saw, and what read-only calls see. */
function now(): bigint {
  return simnet.getBlockTime();
}

// ---------------------------------------------------------------------------
// set-plan
// ---------------------------------------------------------------------------

describe("subscription.set-plan", () => {
  it("creates and changes plans (price in micro-STX, duration in seconds)", () => {
    const res = setPlan(1n, 5_000_000n, DAY);
    expectOk(res);
    expect(printed(res)).toEqual([
      { topic: "plan-set", "plan-id": 1n, price: 5_000_000n, duration: DAY, active: true },
    ]);
    expect(plan(1n)).toEqual({ price: 5_000_000n, duration: DAY, active: true });
    expectOk(setPlan(1n, 7n, 10n, false));
    expect(plan(1n)).toEqual({ price: 7n, duration: 10n, active: false });
    expect(read("subscription", "get-plan", [Cl.uint(2)])).toStrictEqual(Cl.none());
  });

  it("refuses anyone but the owner (u300), checked before the plan (u301)", () => {
    expectErr(setPlan(1n, 1n, 1n, true, wallet1), ERR.ERR_UNAUTHORIZED);
    expectErr(setPlan(1n, 1n, 0n, true, wallet1), ERR.ERR_UNAUTHORIZED);
    expect(plan(1n)).toBeNull();
  });

  it("refuses a zero duration (u301)", () => {
    expectErr(setPlan(1n, 1n, 0n), ERR.ERR_INVALID_PLAN);
    expect(plan(1n)).toBeNull();
  });

  it("caps: a duration above 20 years or a price above 10^18 µSTX is u301, exactly the caps are accepted", () => {
    expect(MAX_DURATION).toBe(20n * 365n * DAY);
    expect(MAX_PRICE).toBe(10n ** 18n);
    expectOk(setPlan(1n, 100n, DAY));
    const who = [deployer, wallet1];
    const before = balances(...who);
    expectRefusedSince(setPlan(1n, 100n, MAX_DURATION + 1n), ERR.ERR_INVALID_PLAN, who, before);
    expectRefusedSince(setPlan(1n, MAX_PRICE + 1n, DAY), ERR.ERR_INVALID_PLAN, who, before);
    const uintMax = 2n ** 128n - 1n;
    expectRefusedSince(setPlan(1n, uintMax, uintMax), ERR.ERR_INVALID_PLAN, who, before);
    expect(plan(1n)).toEqual({ price: 100n, duration: DAY, active: true });
    expectOk(setPlan(1n, MAX_PRICE, MAX_DURATION));
    expect(plan(1n)).toEqual({ price: MAX_PRICE, duration: MAX_DURATION, active: true });
  });

  it("a plan at the duration cap renews without overflow and adds exactly 20 years", () => {
    expectOk(setPlan(1n, 0n, MAX_DURATION));
    const first = subscribe(wallet1);
    const expiresAt = now() + MAX_DURATION;
    expectOk(first, Cl.uint(expiresAt));
    expectOk(subscribe(wallet1), Cl.uint(expiresAt + MAX_DURATION));
  });
});

// ---------------------------------------------------------------------------
// subscribe
// ---------------------------------------------------------------------------

describe("subscription.subscribe", () => {
  it("moves exactly the price from the caller to the treasury; expires-at = block time + duration (s)", () => {
    expectOk(setPlan(1n, 5_000_000n, DAY));
    const before = balances(wallet1, deployer);
    const res = subscribe(wallet1);
    const expiresAt = now() + DAY;
    expectOk(res, Cl.uint(expiresAt));
    expect(stxTransfers(res)).toEqual([{ sender: wallet1, recipient: deployer, amount: 5_000_000n }]);
    expect(balances(wallet1, deployer)).toEqual([before[0] - 5_000_000n, before[1] + 5_000_000n]);
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
    expect(subscription(wallet1)).toEqual({ "plan-id": 1n, "expires-at": expiresAt });
    expect(isActive(wallet1)).toBe(true);
    expect(isActive(wallet2)).toBe(false);
  });

  it("accepts max-price and min-duration equal to the plan, or looser", () => {
    expectOk(setPlan(1n, 1_000n, HOUR));
    expectOk(subscribe(wallet1, 1n, 1_000n, HOUR), Cl.uint(now() + HOUR));
    expectOk(subscribe(wallet2, 1n, 5_000n, 0n), Cl.uint(now() + HOUR));
  });

  it("renewing the same plan adds its duration to the time left, to the second", () => {
    expectOk(setPlan(1n, 100n, DAY));
    expectOk(subscribe(wallet1), Cl.uint(now() + DAY));
    const subscribedAt = now();
    const first = subscribedAt + DAY;
    simnet.mineEmptyBlocks(10); // about 6000 s later, still active
    const renewed = subscribe(wallet1);
    const elapsed = now() - subscribedAt;
    expect(elapsed).toBeGreaterThanOrEqual(6_000n - BURN_BLOCK_SECONDS);
    const leftBefore = DAY - elapsed; // seconds left when the renewal ran
    expectOk(renewed, Cl.uint(first + DAY));
    // Nothing paid for is lost: the time left is the old remainder plus a whole day.
    expect(first + DAY - now()).toBe(leftBefore + DAY);
    expect(subscription(wallet1)).toEqual({ "plan-id": 1n, "expires-at": first + DAY });
  });

  it("restarts an expired subscription from the current block time", () => {
    expectOk(setPlan(1n, 100n, 1_000n));
    expectOk(subscribe(wallet1), Cl.uint(now() + 1_000n));
    const first = now() + 1_000n;
    simnet.mineEmptyBlock(); // at most 600 s
    expect(now()).toBeLessThan(first);
    expect(isActive(wallet1)).toBe(true);
    simnet.mineEmptyBlocks(2);
    expect(now()).toBeGreaterThanOrEqual(first);
    expect(isActive(wallet1)).toBe(false);
    simnet.mineEmptyBlocks(10);
    const restarted = subscribe(wallet1);
    expectOk(restarted, Cl.uint(now() + 1_000n));
    expect(now()).toBeGreaterThan(first + 1_000n);
  });

  it("is active while expires-at > stacks-block-time: false in the block whose time equals expires-at", () => {
    // 10 s per Stacks block inside a tenure: a 30 s plan ends three blocks later.
    expectOk(setPlan(1n, 0n, 30n));
    expectOk(subscribe(wallet1), Cl.uint(now() + 30n));
    const expiresAt = now() + 30n;
    simnet.mineEmptyStacksBlocks(2);
    expect(now()).toBe(expiresAt - 10n);
    expect(isActive(wallet1)).toBe(true);
    simnet.mineEmptyStacksBlock();
    expect(now()).toBe(expiresAt);
    expect(isActive(wallet1)).toBe(false);
  });

  it("a one-day plan (86400 s) is wall-clock time: 200 Stacks blocks (2000 s) do not end it, though v1's day of 144 blocks ended after 144", () => {
    expectOk(setPlan(1n, 100n, DAY));
    expectOk(subscribe(wallet1), Cl.uint(now() + DAY));
    const expiresAt = now() + DAY;
    const start = now();
    simnet.mineEmptyStacksBlocks(200);
    expect(now() - start).toBe(2_000n);
    expect(isActive(wallet1)).toBe(true);
    simnet.mineEmptyBlocks(144);
    expect(now()).toBeGreaterThanOrEqual(expiresAt);
    expect(isActive(wallet1)).toBe(false);
  });

  it("a one-day plan is still active after 143 burn blocks (85800 s) and has ended after 145 (87000 s)", () => {
    simnet.mineEmptyBlock(); // a fresh tenure: its blocks come 10 s apart after the burn block
    const tenureStart = now();
    expectOk(setPlan(1n, 100n, DAY));
    expectOk(subscribe(wallet1), Cl.uint(now() + DAY));
    const expiresAt = now() + DAY;
    expect(now() - tenureStart).toBe(20n);
    simnet.mineEmptyBlocks(143);
    expect(now()).toBe(tenureStart + 143n * BURN_BLOCK_SECONDS);
    expect(isActive(wallet1)).toBe(true);
    simnet.mineEmptyBlock(); // 144 burn blocks: 86400 s after the tenure, 20 s before expiry
    expect(expiresAt - now()).toBe(20n);
    expect(isActive(wallet1)).toBe(true);
    simnet.mineEmptyBlock();
    expect(now()).toBe(tenureStart + 145n * BURN_BLOCK_SECONDS);
    expect(isActive(wallet1)).toBe(false);
  });

  it("a free plan (price 0) moves no STX", () => {
    expectOk(setPlan(3n, 0n, HOUR));
    const before = balances(wallet1, deployer);
    const res = subscribe(wallet1, 3n, 0n, HOUR);
    expectOk(res, Cl.uint(now() + HOUR));
    expect(stxTransfers(res)).toEqual([]);
    expect(printed(res)).toMatchObject([{ topic: "subscribed", price: 0n }]);
    expect(balances(wallet1, deployer)).toEqual(before);
    expect(isActive(wallet1)).toBe(true);
    // The treasury itself can take a free plan: no transfer to itself.
    expectOk(subscribe(deployer, 3n, 0n, HOUR), Cl.uint(now() + HOUR));
  });

  it("refuses an unknown plan (u302) and moves nothing", () => {
    const before = balances(wallet1, deployer);
    expectRefusedSince(subscribe(wallet1, 9n, 100n, 0n), ERR.ERR_UNKNOWN_PLAN, [wallet1, deployer], before);
  });

  it("refuses an inactive plan (u303) before comparing its price (u305), and moves nothing", () => {
    expectOk(setPlan(1n, 100n, 10n, false));
    const before = balances(wallet1, deployer);
    expectRefusedSince(subscribe(wallet1), ERR.ERR_PLAN_INACTIVE, [wallet1, deployer], before);
    expectRefusedSince(subscribe(wallet1, 1n, 0n, 0n), ERR.ERR_PLAN_INACTIVE, [wallet1, deployer], before);
    expect(subscription(wallet1)).toBeNull();
  });

  it("attack: the owner raises the price in the same block, in front of the subscriber: u305, nothing paid", () => {
    expectOk(setPlan(1n, 1_000_000n, DAY));
    const who = [wallet1, deployer];
    const before = balances(...who);
    const signed = subscribeArgs(1n); // max-price 1 STX, min-duration one day
    const [raise, sub] = simnet.mineBlock([
      tx.callPublicFn("subscription", "set-plan", planArgs(1n, 50_000_000n, DAY), deployer),
      tx.callPublicFn("subscription", "subscribe", signed, wallet1),
    ]);
    expectOk(raise);
    expectRefusedSince(sub, ERR.ERR_PLAN_CHANGED, who, before);
    expect(subscription(wallet1)).toBeNull();
    // Signed against the new price, the same subscription goes through.
    const paid = subscribe(wallet1, 1n, 50_000_000n, DAY);
    expectOk(paid, Cl.uint(now() + DAY));
    expect(balances(...who)).toEqual([before[0] - 50_000_000n, before[1] + 50_000_000n]);
  });

  it("attack: the owner shortens the plan in the same block, in front of the subscriber: u305, nothing paid", () => {
    expectOk(setPlan(1n, 1_000_000n, 30n * DAY));
    const who = [wallet1, deployer];
    const before = balances(...who);
    const signed = subscribeArgs(1n);
    const [shorten, sub] = simnet.mineBlock([
      tx.callPublicFn("subscription", "set-plan", planArgs(1n, 1_000_000n, HOUR), deployer),
      tx.callPublicFn("subscription", "subscribe", signed, wallet1),
    ]);
    expectOk(shorten);
    expectRefusedSince(sub, ERR.ERR_PLAN_CHANGED, who, before);
    expect(subscription(wallet1)).toBeNull();
  });

  it("u305 at the boundary: max-price one below the price, min-duration one above the duration", () => {
    expectOk(setPlan(1n, 1_000n, HOUR));
    const who = [wallet1, deployer];
    const before = balances(...who);
    expectRefusedSince(subscribe(wallet1, 1n, 999n, HOUR), ERR.ERR_PLAN_CHANGED, who, before);
    expectRefusedSince(subscribe(wallet1, 1n, 1_000n, HOUR + 1n), ERR.ERR_PLAN_CHANGED, who, before);
  });

  it("attack: switching to another plan while active is u306 (no STX moved); allowed once the first has expired", () => {
    expectOk(setPlan(1n, 100n, HOUR));
    expectOk(setPlan(2n, 300n, DAY));
    expectOk(subscribe(wallet1), Cl.uint(now() + HOUR));
    const expiresAt = now() + HOUR;
    const who = [wallet1, deployer];
    const before = balances(...who);
    expectRefusedSince(subscribe(wallet1, 2n), ERR.ERR_OTHER_PLAN_ACTIVE, who, before);
    expect(subscription(wallet1)).toEqual({ "plan-id": 1n, "expires-at": expiresAt });
    // u305 is checked before u306: a changed plan is reported as changed.
    expectRefusedSince(subscribe(wallet1, 2n, 299n, DAY), ERR.ERR_PLAN_CHANGED, who, before);
    simnet.mineEmptyBlocks(7); // 4200 s > 3600 s
    expect(isActive(wallet1)).toBe(false);
    const switched = subscribe(wallet1, 2n);
    expectOk(switched, Cl.uint(now() + DAY));
    expect(balances(...who)).toEqual([before[0] - 300n, before[1] + 300n]);
    expect(subscription(wallet1)).toEqual({ "plan-id": 2n, "expires-at": now() + DAY });
  });

  it("passes STX transfer errors through: insufficient balance is (err u1)", () => {
    const balance = stxBalance(wallet4);
    expectOk(setPlan(1n, balance + 1n, 10n));
    const res = subscribe(wallet4);
    expect(res.result).toStrictEqual(Cl.error(Cl.uint(1)));
    expect(stxBalance(wallet4)).toBe(balance);
    expect(isActive(wallet4)).toBe(false);
  });

  it("passes STX transfer errors through: the treasury paying itself is (err u2)", () => {
    expectOk(setPlan(1n, 100n, 10n));
    expect(subscribe(deployer).result).toStrictEqual(Cl.error(Cl.uint(2)));
  });

  it("charges the caller, never the treasury or another principal", () => {
    expectOk(setPlan(1n, 1_000n, 10n));
    const others = balances(wallet2, wallet3, wallet4);
    expectOk(subscribe(wallet1), Cl.uint(now() + 10n));
    expect(balances(wallet2, wallet3, wallet4)).toEqual(others);
    expect(isActive(wallet2)).toBe(false);
  });
});

// ---------------------------------------------------------------------------
// set-treasury
// ---------------------------------------------------------------------------

describe("subscription.set-treasury", () => {
  it("sends later payments to the new treasury", () => {
    const res = call("subscription", "set-treasury", [Cl.principal(wallet2)], deployer);
    expectOk(res);
    expect(printed(res)).toEqual([{ topic: "treasury-set", treasury: wallet2 }]);
    expect(treasury()).toStrictEqual(Cl.principal(wallet2));
    expectOk(setPlan(1n, 250n, 10n));
    const before = stxBalance(wallet2);
    const sub = subscribe(wallet1);
    expect(stxTransfers(sub)).toEqual([{ sender: wallet1, recipient: wallet2, amount: 250n }]);
    expect(stxBalance(wallet2)).toBe(before + 250n);
  });

  it("refuses anyone but the owner (u300), checked before the principal (u304)", () => {
    expectErr(call("subscription", "set-treasury", [Cl.principal(wallet1)], wallet1), ERR.ERR_UNAUTHORIZED);
    expectErr(
      call("subscription", "set-treasury", [Cl.principal(contractId("marketplace"))], wallet1),
      ERR.ERR_UNAUTHORIZED,
    );
    expect(treasury()).toStrictEqual(Cl.principal(deployer));
  });

  it("attack: a contract as treasury (whose STX could be locked) is u304; the treasury and later payments are unchanged", () => {
    const who = [deployer, contractId("subscription"), contractId("marketplace")];
    const before = balances(...who);
    for (const contract of [
      contractId("subscription"),
      contractId("marketplace"),
      "SP2JXKMSH007NPYAQHKJPQMAQYAD90NQGTVJVQ02B.sip-010-token", // another network's contract
    ]) {
      const res = call("subscription", "set-treasury", [Cl.principal(contract)], deployer);
      expectRefusedSince(res, ERR.ERR_CONTRACT_TREASURY, who, before);
    }
    expect(treasury()).toStrictEqual(Cl.principal(deployer));
    expectOk(setPlan(1n, 500n, 10n));
    const paying = balances(wallet1, deployer);
    expectOk(subscribe(wallet1), Cl.uint(now() + 10n));
    expect(balances(wallet1, deployer)).toEqual([paying[0] - 500n, paying[1] + 500n]);
  });
});

// ---------------------------------------------------------------------------
// Ownership
// ---------------------------------------------------------------------------

describeTwoStepOwnership("subscription", (by) => setPlan(1n, 1n, 1n, true, by));
