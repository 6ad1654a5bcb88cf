import { beforeEach, describe, expect, it } from "vitest";
import { Cl } from "@stacks/transactions";
import {
  balances,
  call,
  deployer,
  describeTwoStepOwnership,
  errorCodes,
  expectErr,
  expectOk,
  expectRefusedSince,
  hash32,
  printed,
  read,
  registerDataset,
  stxBalance,
  toJs,
  uintConstants,
  wallet1,
  wallet2,
  wallet3,
  wallet4,
} from "./helpers";

const ERR = errorCodes("reputation");
const { MIN_SCORE, MAX_SCORE } = uintConstants("reputation");
const { BPS_DENOMINATOR } = uintConstants("marketplace");

/** min-rating-price at deploy: 1 STX. */
const MIN_RATING_PRICE = 1_000_000n;
/** The marketplace fee at deploy, basis points. */
const FEE_BPS = 250n;
/** What farming one rating costs a seller who buys its own listing from a sock puppet:
 * the price comes back to the seller, the fee goes to the treasury (tx fees aside). */
const FARMING_COST = (MIN_RATING_PRICE * FEE_BPS) / BPS_DENOMINATOR; // 25_000 µSTX

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

function register(who: string) {
  expectOk(call("identity", "register", [Cl.stringUtf8("member"), Cl.uint(2)], who));
}

function verify(who: string, verified = true) {
  expectOk(call("identity", "set-verified", [Cl.principal(who), Cl.bool(verified)], deployer));
}

/** `seller` (registered) registers a dataset and lists it; returns the listing id. */
function listNew(seller: string, label: string, price: bigint): bigint {
  const registered = registerDataset(seller, hash32(label), "bam", `s3://genoflow/${label}.bam`);
  const datasetId = (toJs(registered.result) as { ok: bigint }).ok;
  const res = call("marketplace", "list-dataset", [Cl.uint(datasetId), Cl.uint(price)], seller);
  return (toJs(res.result) as { ok: bigint }).ok;
}

function buy(who: string, listingId: bigint, maxPrice: bigint) {
  expectOk(call("marketplace", "purchase", [Cl.uint(listingId), Cl.uint(maxPrice)], who));
}

function rate(who: string, listingId: bigint, score: bigint) {
  return call("reputation", "rate", [Cl.uint(listingId), Cl.uint(score)], who);
}

function endorse(who: string, endorsee: string) {
  return call("reputation", "endorse", [Cl.principal(endorsee)], who);
}

function setMinRatingPrice(price: bigint, by = deployer) {
  return call("reputation", "set-min-rating-price", [Cl.uint(price)], by);
}

function reputation(who: string) {
  return toJs(read("reputation", "get-reputation", [Cl.principal(who)]));
}

function rating(listingId: bigint, rater: string) {
  return toJs(read("reputation", "get-rating", [Cl.uint(listingId), Cl.principal(rater)]));
}

/** A reputation: ratings and their sum, the same by verified raters, endorsements. */
function rep(ratings: bigint, total: bigint, verifiedRatings = 0n, verifiedTotal = 0n, endorsements = 0n) {
  return { ratings, total, "verified-ratings": verifiedRatings, "verified-total": verifiedTotal, endorsements };
}

const NONE = rep(0n, 0n);

// ---------------------------------------------------------------------------
// rate
// ---------------------------------------------------------------------------

describe("reputation.rate", () => {
  // wallet1 sells listing 1 (dataset 1) at min-rating-price; wallet2 buys it.
  beforeEach(() => {
    register(wallet1);
    expect(listNew(wallet1, "genome", MIN_RATING_PRICE)).toBe(1n);
    buy(wallet2, 1n, MIN_RATING_PRICE);
  });

  it("lets a buyer rate once; the score counts toward the seller", () => {
    expect(reputation(wallet1)).toEqual(NONE);
    const res = rate(wallet2, 1n, 4n);
    expectOk(res);
    expect(printed(res)).toEqual([
      { topic: "rated", "listing-id": 1n, rater: wallet2, seller: wallet1, score: 4n, verified: false },
    ]);
    expect(rating(1n, wallet2)).toBe(4n);
    expect(reputation(wallet1)).toEqual(rep(1n, 4n));
    expect(reputation(wallet2)).toEqual(NONE);
    buy(wallet3, 1n, MIN_RATING_PRICE);
    expectOk(rate(wallet3, 1n, MIN_SCORE));
    expect(reputation(wallet1)).toEqual(rep(2n, 5n));
  });

  it("still lets a buyer rate after the listing is delisted", () => {
    expectOk(call("marketplace", "delist", [Cl.uint(1)], wallet1));
    expectOk(rate(wallet2, 1n, MAX_SCORE));
  });

  it("a rating moves no STX", () => {
    const who = [wallet1, wallet2, deployer];
    const before = balances(...who);
    expectOk(rate(wallet2, 1n, 3n));
    expect(balances(...who)).toEqual(before);
  });

  it("refuses a caller who did not buy the listing (u501), the seller included, and unknown listings", () => {
    expectErr(rate(wallet3, 1n, 5n), ERR.ERR_NOT_BUYER);
    expectErr(rate(wallet1, 1n, 5n), ERR.ERR_NOT_BUYER);
    expectErr(rate(wallet2, 2n, 5n), ERR.ERR_NOT_BUYER);
    expectErr(rate(wallet3, 1n, 9n), ERR.ERR_NOT_BUYER); // u501 before u502
    expect(reputation(wallet1)).toEqual(NONE);
  });

  it("refuses scores outside u1..u5 (u502)", () => {
    expect([MIN_SCORE, MAX_SCORE]).toEqual([1n, 5n]);
    expectErr(rate(wallet2, 1n, 0n), ERR.ERR_INVALID_SCORE);
    expectErr(rate(wallet2, 1n, 6n), ERR.ERR_INVALID_SCORE);
    expect(rating(1n, wallet2)).toBeNull();
  });

  it("refuses a second rating by the same buyer (u503)", () => {
    expectOk(rate(wallet2, 1n, 2n));
    expectErr(rate(wallet2, 1n, 5n), ERR.ERR_ALREADY_RATED);
    expect(rating(1n, wallet2)).toBe(2n);
    expect(reputation(wallet1)).toEqual(rep(1n, 2n));
  });

  it("attack: the same rater rating the same seller again through a second listing (another dataset) is u503", () => {
    expectOk(rate(wallet2, 1n, 5n));
    expect(listNew(wallet1, "genome-2", MIN_RATING_PRICE)).toBe(2n);
    buy(wallet2, 2n, MIN_RATING_PRICE);
    const who = [wallet1, wallet2, deployer];
    const before = balances(...who);
    expectRefusedSince(rate(wallet2, 2n, 5n), ERR.ERR_ALREADY_RATED, who, before);
    expect(rating(2n, wallet2)).toBeNull();
    expect(reputation(wallet1)).toEqual(rep(1n, 5n));
    // u503 is checked before u507: a cheap second listing is reported as already rated.
    expect(listNew(wallet1, "genome-3", 1n)).toBe(3n);
    buy(wallet2, 3n, 1n);
    expectErr(rate(wallet2, 3n, 5n), ERR.ERR_ALREADY_RATED);
    // ... and u502 before u503.
    expectErr(rate(wallet2, 2n, 0n), ERR.ERR_INVALID_SCORE);
  });

  it("one rating per (seller, rater): the rater can still rate another seller, another rater this seller", () => {
    expectOk(rate(wallet2, 1n, 5n));
    register(wallet3);
    expect(listNew(wallet3, "exome", MIN_RATING_PRICE)).toBe(2n);
    buy(wallet2, 2n, MIN_RATING_PRICE);
    expectOk(rate(wallet2, 2n, 3n));
    buy(wallet4, 1n, MIN_RATING_PRICE);
    expectOk(rate(wallet4, 1n, 1n));
    expect(reputation(wallet1)).toEqual(rep(2n, 6n));
    expect(reputation(wallet3)).toEqual(rep(1n, 3n));
  });

  it("a verified rater's rating counts in verified-ratings/verified-total too, an unverified one's does not", () => {
    register(wallet3);
    verify(wallet3);
    buy(wallet3, 1n, MIN_RATING_PRICE);
    const verified = rate(wallet3, 1n, 5n);
    expectOk(verified);
    expect(printed(verified)).toEqual([
      { topic: "rated", "listing-id": 1n, rater: wallet3, seller: wallet1, score: 5n, verified: true },
    ]);
    expect(reputation(wallet1)).toEqual(rep(1n, 5n, 1n, 5n));
    // wallet2 is not registered; wallet4 registered, not verified.
    expectOk(rate(wallet2, 1n, 2n));
    register(wallet4);
    buy(wallet4, 1n, MIN_RATING_PRICE);
    expectOk(rate(wallet4, 1n, 1n));
    expect(reputation(wallet1)).toEqual(rep(3n, 8n, 1n, 5n));
  });

  it("verification counts as it was when rating: removing it later changes no sum, a rename before rating loses it", () => {
    register(wallet3);
    verify(wallet3);
    buy(wallet3, 1n, MIN_RATING_PRICE);
    expectOk(rate(wallet3, 1n, 4n));
    verify(wallet3, false);
    expect(reputation(wallet1)).toEqual(rep(1n, 4n, 1n, 4n));
    // identity v2: update-name clears the verification, so the next rating is unverified.
    register(wallet4);
    verify(wallet4);
    expectOk(call("identity", "update-name", [Cl.stringUtf8("renamed")], wallet4));
    buy(wallet4, 1n, MIN_RATING_PRICE);
    expectOk(rate(wallet4, 1n, 2n));
    expect(reputation(wallet1)).toEqual(rep(2n, 6n, 1n, 4n));
  });
});

// ---------------------------------------------------------------------------
// min-rating-price: the cost of farming ratings
// ---------------------------------------------------------------------------

describe("reputation: min-rating-price", () => {
  beforeEach(() => {
    register(wallet1);
  });

  it("is 1 STX at deploy", () => {
    expect(read("reputation", "get-min-rating-price", [])).toStrictEqual(Cl.uint(MIN_RATING_PRICE));
    expect(read("marketplace", "get-fee-bps", [])).toStrictEqual(Cl.uint(FEE_BPS));
  });

  it("attack: rating farming at 1 µSTX (seller lists at 1, a sock puppet buys and rates 5) is u507, reputation unchanged", () => {
    expect(listNew(wallet1, "farm", 1n)).toBe(1n);
    const puppet = wallet4;
    buy(puppet, 1n, 1n); // 1 µSTX to the seller, a fee of 0: the v1 attack cost nothing
    const who = [wallet1, puppet, deployer];
    const before = balances(...who);
    expectRefusedSince(rate(puppet, 1n, 5n), ERR.ERR_PRICE_TOO_LOW, who, before);
    expect(rating(1n, puppet)).toBeNull();
    expect(reputation(wallet1)).toEqual(NONE);
  });

  it("u507 at the boundary: a purchase of min-rating-price - 1 is refused, exactly min-rating-price is rated", () => {
    expect(listNew(wallet1, "a", MIN_RATING_PRICE - 1n)).toBe(1n);
    expect(listNew(wallet1, "b", MIN_RATING_PRICE)).toBe(2n);
    buy(wallet2, 1n, MIN_RATING_PRICE);
    buy(wallet3, 2n, MIN_RATING_PRICE);
    expectErr(rate(wallet2, 1n, 5n), ERR.ERR_PRICE_TOO_LOW);
    expectOk(rate(wallet3, 2n, 5n));
    expect(reputation(wallet1)).toEqual(rep(1n, 5n));
  });

  it(`a farmed rating now costs the seller the fee on 1 STX: ${FARMING_COST} µSTX per sock puppet (2.5% of min-rating-price)`, () => {
    expect(listNew(wallet1, "farm", MIN_RATING_PRICE)).toBe(1n);
    const puppets = [wallet2, wallet3, wallet4];
    // The seller funds each puppet with the price; it comes back, less the fee.
    const farmer = () => balances(wallet1, ...puppets).reduce((a, b) => a + b, 0n);
    const before = { farmer: farmer(), treasury: stxBalance(deployer) };
    for (const puppet of puppets) {
      buy(puppet, 1n, MIN_RATING_PRICE);
      expectOk(rate(puppet, 1n, 5n));
    }
    expect(reputation(wallet1)).toEqual(rep(3n, 15n));
    expect(FARMING_COST).toBe(25_000n);
    expect(farmer()).toBe(before.farmer - 3n * FARMING_COST);
    expect(stxBalance(deployer)).toBe(before.treasury + 3n * FARMING_COST);
    // A puppet rates each seller once: a fourth rating needs a fourth puppet (u503).
    expect(listNew(wallet1, "farm-2", MIN_RATING_PRICE)).toBe(2n);
    buy(wallet2, 2n, MIN_RATING_PRICE);
    expectErr(rate(wallet2, 2n, 5n), ERR.ERR_ALREADY_RATED);
  });

  it("set-min-rating-price by a non-owner is u500; the minimum is unchanged", () => {
    expectErr(setMinRatingPrice(1n, wallet1), ERR.ERR_UNAUTHORIZED);
    expectErr(setMinRatingPrice(0n, wallet4), ERR.ERR_UNAUTHORIZED);
    expect(read("reputation", "get-min-rating-price", [])).toStrictEqual(Cl.uint(MIN_RATING_PRICE));
  });

  it("after the owner lowers it, the cheap purchase refused before (u507) can be rated", () => {
    expect(listNew(wallet1, "cheap", 100n)).toBe(1n);
    buy(wallet2, 1n, 100n);
    expectErr(rate(wallet2, 1n, 4n), ERR.ERR_PRICE_TOO_LOW);
    const res = setMinRatingPrice(100n);
    expectOk(res);
    expect(printed(res)).toEqual([{ topic: "min-rating-price-set", price: 100n }]);
    expect(read("reputation", "get-min-rating-price", [])).toStrictEqual(Cl.uint(100n));
    // The refused rating left nothing behind: it is not "already rated".
    expectOk(rate(wallet2, 1n, 4n));
    expect(reputation(wallet1)).toEqual(rep(1n, 4n));
  });

  it("raising it keeps earlier ratings and refuses later cheaper ones; it has no cap", () => {
    expect(listNew(wallet1, "g", MIN_RATING_PRICE)).toBe(1n);
    buy(wallet2, 1n, MIN_RATING_PRICE);
    buy(wallet3, 1n, MIN_RATING_PRICE);
    expectOk(rate(wallet2, 1n, 5n));
    const uintMax = 2n ** 128n - 1n;
    expectOk(setMinRatingPrice(uintMax));
    expect(read("reputation", "get-min-rating-price", [])).toStrictEqual(Cl.uint(uintMax));
    expectErr(rate(wallet3, 1n, 5n), ERR.ERR_PRICE_TOO_LOW);
    expect(reputation(wallet1)).toEqual(rep(1n, 5n));
    expectOk(setMinRatingPrice(0n));
    expectOk(rate(wallet3, 1n, 1n));
    expect(reputation(wallet1)).toEqual(rep(2n, 6n));
  });
});

// ---------------------------------------------------------------------------
// endorse
// ---------------------------------------------------------------------------

describe("reputation.endorse", () => {
  beforeEach(() => {
    register(wallet1);
    verify(wallet1);
  });

  it("lets a verified identity endorse another principal once", () => {
    const res = endorse(wallet1, wallet2);
    expectOk(res);
    expect(printed(res)).toEqual([{ topic: "endorsed", endorser: wallet1, endorsee: wallet2 }]);
    expect(reputation(wallet2)).toEqual(rep(0n, 0n, 0n, 0n, 1n));
    expect(read("reputation", "has-endorsed", [Cl.principal(wallet1), Cl.principal(wallet2)])).toStrictEqual(
      Cl.bool(true),
    );
    expect(read("reputation", "has-endorsed", [Cl.principal(wallet2), Cl.principal(wallet1)])).toStrictEqual(
      Cl.bool(false),
    );
    register(wallet3);
    verify(wallet3);
    expectOk(endorse(wallet3, wallet2));
    expect(reputation(wallet2)).toEqual(rep(0n, 0n, 0n, 0n, 2n));
  });

  it("endorsements and ratings add up in one reputation", () => {
    expect(listNew(wallet1, "genome", MIN_RATING_PRICE)).toBe(1n);
    buy(wallet2, 1n, MIN_RATING_PRICE);
    expectOk(rate(wallet2, 1n, 3n));
    register(wallet3);
    verify(wallet3);
    expectOk(endorse(wallet3, wallet1));
    expect(reputation(wallet1)).toEqual(rep(1n, 3n, 0n, 0n, 1n));
  });

  it("refuses a caller that is not verified (u504): unregistered or merely registered", () => {
    expectErr(endorse(wallet4, wallet1), ERR.ERR_NOT_VERIFIED);
    register(wallet2);
    expectErr(endorse(wallet2, wallet1), ERR.ERR_NOT_VERIFIED);
    verify(wallet1, false);
    expectErr(endorse(wallet1, wallet2), ERR.ERR_NOT_VERIFIED);
    expect(reputation(wallet1)).toEqual(NONE);
  });

  it("refuses a self-endorsement (u505)", () => {
    expectErr(endorse(wallet1, wallet1), ERR.ERR_SELF_ENDORSEMENT);
  });

  it("refuses a second endorsement of the same principal (u506)", () => {
    expectOk(endorse(wallet1, wallet2));
    expectErr(endorse(wallet1, wallet2), ERR.ERR_ALREADY_ENDORSED);
    expect(reputation(wallet2)).toEqual(rep(0n, 0n, 0n, 0n, 1n));
  });
});

// ---------------------------------------------------------------------------
// Ownership
// ---------------------------------------------------------------------------

describeTwoStepOwnership("reputation", (by) => setMinRatingPrice(1n, by));
