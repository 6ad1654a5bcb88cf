import { beforeEach, describe, expect, it } from "vitest";
import { Cl } from "@stacks/transactions";
import {
  call,
  deployer,
  errorCodes,
  expectErr,
  expectOk,
  hash32,
  printed,
  read,
  toJs,
  uintConstants,
  wallet1,
  wallet2,
  wallet3,
  wallet4,
} from "./helpers";

const ERR = errorCodes("reputation");
const { MIN_SCORE, MAX_SCORE } = uintConstants("reputation");

function register(who: string) {
  expectOk(call("identity", "register", [Cl.stringUtf8("member"), Cl.uint(2)], who));
}

function verify(who: string) {
  expectOk(call("identity", "set-verified", [Cl.principal(who), Cl.bool(true)], deployer));
}

function rate(who: string, listingId: bigint, score: bigint) {
  return call("reputation", "rate", [Cl.uint(listingId), Cl.uint(score)], who);
}

function endorse(who: string, endorsee: string) {
  return call("reputation", "endorse", [Cl.principal(endorsee)], who);
}

function reputation(who: string) {
  return toJs(read("reputation", "get-reputation", [Cl.principal(who)]));
}

describe("reputation.rate", () => {
  // wallet1 sells listing 1 of dataset 1; wallet2 buys it.
  beforeEach(() => {
    register(wallet1);
    expectOk(
      call(
        "registry",
        "register-dataset",
        [Cl.buffer(hash32("genome")), Cl.stringAscii("bam"), Cl.stringAscii("s3://genoflow/g.bam")],
        wallet1,
      ),
      Cl.uint(1),
    );
    expectOk(call("marketplace", "list-dataset", [Cl.uint(1), Cl.uint(1_000)], wallet1), Cl.uint(1));
    expectOk(call("marketplace", "purchase", [Cl.uint(1)], wallet2));
  });

  it("lets a buyer rate once; the score counts toward the seller", () => {
    expect(reputation(wallet1)).toEqual({ ratings: 0n, total: 0n, endorsements: 0n });
    const res = rate(wallet2, 1n, 4n);
    expectOk(res);
    expect(printed(res)).toEqual([
      { topic: "rated", "listing-id": 1n, rater: wallet2, seller: wallet1, score: 4n },
    ]);
    expect(read("reputation", "get-rating", [Cl.uint(1), Cl.principal(wallet2)])).toStrictEqual(
      Cl.some(Cl.uint(4)),
    );
    expect(reputation(wallet1)).toEqual({ ratings: 1n, total: 4n, endorsements: 0n });
    expect(reputation(wallet2)).toEqual({ ratings: 0n, total: 0n, endorsements: 0n });
    expectOk(call("marketplace", "purchase", [Cl.uint(1)], wallet3));
    expectOk(rate(wallet3, 1n, MIN_SCORE));
    expect(reputation(wallet1)).toEqual({ ratings: 2n, total: 5n, endorsements: 0n });
  });

  it("still lets a buyer rate after the listing is delisted", () => {
    expectOk(call("marketplace", "delist", [Cl.uint(1)], wallet1));
    expectOk(rate(wallet2, 1n, MAX_SCORE));
  });

  it("refuses a caller who did not buy the listing (u501), the seller included", () => {
    expectErr(rate(wallet3, 1n, 5n), ERR.ERR_NOT_BUYER);
    expectErr(rate(wallet1, 1n, 5n), ERR.ERR_NOT_BUYER);
    expectErr(rate(wallet2, 2n, 5n), ERR.ERR_NOT_BUYER);
    expect(reputation(wallet1)).toEqual({ ratings: 0n, total: 0n, endorsements: 0n });
  });

  it("refuses scores outside u1..u5 (u502)", () => {
    expect([MIN_SCORE, MAX_SCORE]).toEqual([1n, 5n]);
    expectErr(rate(wallet2, 1n, 0n), ERR.ERR_INVALID_SCORE);
    expectErr(rate(wallet2, 1n, 6n), ERR.ERR_INVALID_SCORE);
  });

  it("refuses a second rating by the same buyer (u503)", () => {
    expectOk(rate(wallet2, 1n, 2n));
    expectErr(rate(wallet2, 1n, 5n), ERR.ERR_ALREADY_RATED);
    expect(reputation(wallet1)).toEqual({ ratings: 1n, total: 2n, endorsements: 0n });
  });
});

describe("reputation.endorse", () => {
  beforeEach(() => {
    register(wallet1);
    verify(wallet1);
  });

  it("lets a verified identity endorse another principal once", () => {
    const res = endorse(wallet1, wallet2);
    expectOk(res);
    expect(printed(res)).toEqual([{ topic: "endorsed", endorser: wallet1, endorsee: wallet2 }]);
    expect(reputation(wallet2)).toEqual({ ratings: 0n, total: 0n, endorsements: 1n });
    expect(read("reputation", "has-endorsed", [Cl.principal(wallet1), Cl.principal(wallet2)])).toStrictEqual(
      Cl.bool(true),
    );
    expect(read("reputation", "has-endorsed", [Cl.principal(wallet2), Cl.principal(wallet1)])).toStrictEqual(
      Cl.bool(false),
    );
    register(wallet3);
    verify(wallet3);
    expectOk(endorse(wallet3, wallet2));
    expect(reputation(wallet2)).toEqual({ ratings: 0n, total: 0n, endorsements: 2n });
  });

  it("refuses a caller that is not verified (u504): unregistered or merely registered", () => {
    expectErr(endorse(wallet4, wallet1), ERR.ERR_NOT_VERIFIED);
    register(wallet2);
    expectErr(endorse(wallet2, wallet1), ERR.ERR_NOT_VERIFIED);
    expectOk(call("identity", "set-verified", [Cl.principal(wallet1), Cl.bool(false)], deployer));
    expectErr(endorse(wallet1, wallet2), ERR.ERR_NOT_VERIFIED);
    expect(reputation(wallet1)).toEqual({ ratings: 0n, total: 0n, endorsements: 0n });
  });

  it("refuses a self-endorsement (u505)", () => {
    expectErr(endorse(wallet1, wallet1), ERR.ERR_SELF_ENDORSEMENT);
  });

  it("refuses a second endorsement of the same principal (u506)", () => {
    expectOk(endorse(wallet1, wallet2));
    expectErr(endorse(wallet1, wallet2), ERR.ERR_ALREADY_ENDORSED);
    expect(reputation(wallet2)).toEqual({ ratings: 0n, total: 0n, endorsements: 1n });
  });
});

describe("reputation.set-contract-owner", () => {
  it("hands ownership over", () => {
    expectOk(call("reputation", "set-contract-owner", [Cl.principal(wallet1)], deployer));
    expect(read("reputation", "get-contract-owner", [])).toStrictEqual(Cl.principal(wallet1));
    expectErr(call("reputation", "set-contract-owner", [Cl.principal(deployer)], deployer), ERR.ERR_UNAUTHORIZED);
    expectOk(call("reputation", "set-contract-owner", [Cl.principal(deployer)], wallet1));
  });

  it("refuses anyone but the owner (u500)", () => {
    expectErr(call("reputation", "set-contract-owner", [Cl.principal(wallet1)], wallet1), ERR.ERR_UNAUTHORIZED);
  });
});
