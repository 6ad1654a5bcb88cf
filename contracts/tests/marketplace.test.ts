import { beforeEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { Cl } from "@stacks/transactions";
import {
  call,
  deployer,
  errorCodes,
  expectErr,
  expectOk,
  faucet,
  hash32,
  printed,
  read,
  resetSimnet,
  stxBalance,
  stxTransfers,
  toJs,
  uintConstants,
  wallet1,
  wallet2,
  wallet3,
  wallet4,
} from "./helpers";

const ERR = errorCodes("marketplace");
const REPUTATION_ERR = errorCodes("reputation");
const REGISTRY_ERR = errorCodes("registry");
const { MAX_FEE_BPS, BPS_DENOMINATOR } = uintConstants("marketplace");

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

function registerIdentity(who: string) {
  expectOk(call("identity", "register", [Cl.stringUtf8("member"), Cl.uint(1)], who));
}

/** Registers `owner` if needed and a dataset it owns; returns the dataset id. */
function datasetOf(owner: string, label: string): bigint {
  if (read("identity", "is-registered", [Cl.principal(owner)]).type === "false") registerIdentity(owner);
  const res = call(
    "registry",
    "register-dataset",
    [Cl.buffer(hash32(label)), Cl.stringAscii("vcf"), Cl.stringAscii(`s3://genoflow/${label}`)],
    owner,
  );
  return (toJs(res.result) as { ok: bigint }).ok;
}

function list(who: string, datasetId: bigint, price: bigint) {
  return call("marketplace", "list-dataset", [Cl.uint(datasetId), Cl.uint(price)], who);
}

function updatePrice(who: string, listingId: bigint, price: bigint) {
  return call("marketplace", "update-price", [Cl.uint(listingId), Cl.uint(price)], who);
}

function delist(who: string, listingId: bigint) {
  return call("marketplace", "delist", [Cl.uint(listingId)], who);
}

function purchase(who: string, listingId: bigint) {
  return call("marketplace", "purchase", [Cl.uint(listingId)], who);
}

function setFee(bps: bigint, by = deployer) {
  return call("marketplace", "set-fee-bps", [Cl.uint(bps)], by);
}

function transferDataset(who: string, datasetId: bigint, to: string) {
  return call("registry", "transfer-dataset", [Cl.uint(datasetId), Cl.principal(to)], who);
}

function listing(listingId: bigint) {
  return toJs(read("marketplace", "get-listing", [Cl.uint(listingId)]));
}

function hasPurchased(listingId: bigint, who: string): boolean {
  return read("marketplace", "has-purchased", [Cl.uint(listingId), Cl.principal(who)]).type === "true";
}

function hasAccess(datasetId: bigint, who: string): boolean {
  return read("marketplace", "has-access", [Cl.uint(datasetId), Cl.principal(who)]).type === "true";
}

/** The fee rule: price * bps / 10000, rounded down. */
function feeOf(price: bigint, bps: bigint): bigint {
  return (price * bps) / BPS_DENOMINATOR;
}

// ---------------------------------------------------------------------------
// Unit tests
// ---------------------------------------------------------------------------

describe("marketplace.list-dataset", () => {
  let dataset: bigint;
  beforeEach(() => {
    dataset = datasetOf(wallet1, "genome-1");
  });

  it("lists a dataset for its owner with ids from u1", () => {
    const res = list(wallet1, dataset, 1_000_000n);
    expectOk(res, Cl.uint(1));
    expect(printed(res)).toEqual([
      { topic: "listing-created", "listing-id": 1n, "dataset-id": dataset, seller: wallet1, price: 1_000_000n },
    ]);
    expect(listing(1n)).toEqual({ "dataset-id": dataset, seller: wallet1, price: 1_000_000n, active: true });
    expect(read("marketplace", "get-active-listing", [Cl.uint(dataset)])).toStrictEqual(Cl.some(Cl.uint(1)));
    expect(read("marketplace", "get-listing", [Cl.uint(2)])).toStrictEqual(Cl.none());
  });

  it("refuses anyone but the dataset owner, and unknown datasets (u401)", () => {
    expectErr(list(wallet2, dataset, 10n), ERR.ERR_NOT_DATASET_OWNER);
    expectErr(list(deployer, dataset, 10n), ERR.ERR_NOT_DATASET_OWNER);
    expectErr(list(wallet1, 99n, 10n), ERR.ERR_NOT_DATASET_OWNER);
  });

  it("refuses a zero price (u402)", () => {
    expectErr(list(wallet1, dataset, 0n), ERR.ERR_INVALID_PRICE);
  });

  it("refuses a second active listing of the same dataset (u403), allows one after delisting", () => {
    expectOk(list(wallet1, dataset, 10n), Cl.uint(1));
    expectErr(list(wallet1, dataset, 20n), ERR.ERR_ALREADY_LISTED);
    expectOk(delist(wallet1, 1n));
    expectOk(list(wallet1, dataset, 20n), Cl.uint(2));
  });

  it("closes the stale listing of a previous owner when the new owner lists", () => {
    registerIdentity(wallet2);
    expectOk(list(wallet1, dataset, 10n), Cl.uint(1));
    expectOk(transferDataset(wallet1, dataset, wallet2));
    const res = list(wallet2, dataset, 30n);
    expectOk(res, Cl.uint(2));
    expect(printed(res)).toEqual([
      { topic: "listing-closed-stale", "listing-id": 1n, seller: wallet1 },
      { topic: "listing-created", "listing-id": 2n, "dataset-id": dataset, seller: wallet2, price: 30n },
    ]);
    expect(listing(1n)).toMatchObject({ active: false });
    expect(read("marketplace", "get-active-listing", [Cl.uint(dataset)])).toStrictEqual(Cl.some(Cl.uint(2)));
  });
});

describe("marketplace.update-price and delist", () => {
  let dataset: bigint;
  beforeEach(() => {
    dataset = datasetOf(wallet1, "genome-1");
    expectOk(list(wallet1, dataset, 100n), Cl.uint(1));
  });

  it("changes the price", () => {
    const res = updatePrice(wallet1, 1n, 250n);
    expectOk(res);
    expect(printed(res)).toEqual([{ topic: "listing-price-updated", "listing-id": 1n, price: 250n }]);
    expect(listing(1n)).toMatchObject({ price: 250n, active: true });
  });

  it("update-price refuses a zero price (u402)", () => {
    expectErr(updatePrice(wallet1, 1n, 0n), ERR.ERR_INVALID_PRICE);
  });

  it("update-price refuses anyone but the seller (u404)", () => {
    expectErr(updatePrice(wallet2, 1n, 1n), ERR.ERR_NOT_SELLER);
    expectErr(updatePrice(deployer, 1n, 1n), ERR.ERR_NOT_SELLER);
    expect(listing(1n)).toMatchObject({ price: 100n });
  });

  it("update-price refuses an unknown listing (u405)", () => {
    expectErr(updatePrice(wallet1, 2n, 5n), ERR.ERR_UNKNOWN_LISTING);
  });

  it("update-price refuses an inactive listing (u406)", () => {
    expectOk(delist(wallet1, 1n));
    expectErr(updatePrice(wallet1, 1n, 5n), ERR.ERR_LISTING_INACTIVE);
  });

  it("delists", () => {
    const res = delist(wallet1, 1n);
    expectOk(res);
    expect(printed(res)).toEqual([{ topic: "listing-delisted", "listing-id": 1n, "dataset-id": dataset }]);
    expect(listing(1n)).toMatchObject({ active: false });
    expect(read("marketplace", "get-active-listing", [Cl.uint(dataset)])).toStrictEqual(Cl.none());
  });

  it("delist refuses anyone but the seller (u404)", () => {
    expectErr(delist(wallet2, 1n), ERR.ERR_NOT_SELLER);
    expectErr(delist(deployer, 1n), ERR.ERR_NOT_SELLER);
  });

  it("delist refuses an unknown listing (u405)", () => {
    expectErr(delist(wallet1, 3n), ERR.ERR_UNKNOWN_LISTING);
  });

  it("delist refuses an inactive listing (u406)", () => {
    expectOk(delist(wallet1, 1n));
    expectErr(delist(wallet1, 1n), ERR.ERR_LISTING_INACTIVE);
  });
});

describe("marketplace.purchase", () => {
  let dataset: bigint;
  beforeEach(() => {
    dataset = datasetOf(wallet1, "genome-1");
  });

  it("pays the fee to the treasury and the rest to the seller, rounding the fee down", () => {
    const price = 1_000_003n;
    const fee = 25_000n; // 1_000_003 * 250 / 10_000 = 25_000.075
    expect(read("marketplace", "get-fee-bps", [])).toStrictEqual(Cl.uint(250));
    expect(feeOf(price, 250n)).toBe(fee);
    expectOk(list(wallet1, dataset, price), Cl.uint(1));
    const before = [wallet2, wallet1, deployer].map(stxBalance);
    const res = purchase(wallet2, 1n);
    expectOk(res);
    expect(stxTransfers(res)).toEqual([
      { sender: wallet2, recipient: deployer, amount: fee },
      { sender: wallet2, recipient: wallet1, amount: price - fee },
    ]);
    expect([wallet2, wallet1, deployer].map(stxBalance)).toEqual([
      before[0] - price,
      before[1] + price - fee,
      before[2] + fee,
    ]);
    expect(printed(res)).toEqual([
      {
        topic: "listing-purchased",
        "listing-id": 1n,
        "dataset-id": dataset,
        buyer: wallet2,
        seller: wallet1,
        price,
        fee,
        treasury: deployer,
      },
    ]);
    expect(hasPurchased(1n, wallet2)).toBe(true);
    expect(hasPurchased(1n, wallet3)).toBe(false);
    expect(hasAccess(dataset, wallet2)).toBe(true);
    expect(hasAccess(dataset, wallet1)).toBe(true);
    expect(hasAccess(dataset, wallet3)).toBe(false);
    expect(listing(1n)).toMatchObject({ active: true });
  });

  it("moves no fee when it rounds down to zero, and the whole price at fee 0", () => {
    expectOk(list(wallet1, dataset, 39n), Cl.uint(1)); // 39 * 250 / 10_000 = 0.975
    const res = purchase(wallet2, 1n);
    expect(stxTransfers(res)).toEqual([{ sender: wallet2, recipient: wallet1, amount: 39n }]);
    expectOk(setFee(0n));
    const again = purchase(wallet3, 1n);
    expect(stxTransfers(again)).toEqual([{ sender: wallet3, recipient: wallet1, amount: 39n }]);
  });

  it("takes the maximum fee of 10% exactly", () => {
    expectOk(setFee(MAX_FEE_BPS));
    expectOk(list(wallet1, dataset, 12_345n), Cl.uint(1));
    const res = purchase(wallet2, 1n);
    expect(stxTransfers(res)).toEqual([
      { sender: wallet2, recipient: deployer, amount: 1_234n },
      { sender: wallet2, recipient: wallet1, amount: 11_111n },
    ]);
  });

  it("lets a treasury buyer keep the fee instead of paying itself", () => {
    expectOk(list(wallet1, dataset, 10_000n), Cl.uint(1));
    const before = stxBalance(deployer);
    const res = purchase(deployer, 1n);
    expectOk(res);
    expect(stxTransfers(res)).toEqual([{ sender: deployer, recipient: wallet1, amount: 9_750n }]);
    expect(stxBalance(deployer)).toBe(before - 9_750n);
  });

  it("refuses an unknown listing (u405)", () => {
    expectErr(purchase(wallet2, 1n), ERR.ERR_UNKNOWN_LISTING);
  });

  it("refuses an inactive listing (u406), buyers keep access", () => {
    expectOk(list(wallet1, dataset, 10n), Cl.uint(1));
    expectOk(purchase(wallet2, 1n));
    expectOk(delist(wallet1, 1n));
    expectErr(purchase(wallet3, 1n), ERR.ERR_LISTING_INACTIVE);
    expect(hasAccess(dataset, wallet2)).toBe(true);
  });

  it("refuses the seller (u407)", () => {
    expectOk(list(wallet1, dataset, 10n), Cl.uint(1));
    expectErr(purchase(wallet1, 1n), ERR.ERR_BUYER_IS_SELLER);
  });

  it("refuses a second purchase by the same buyer (u408) and charges nothing", () => {
    expectOk(list(wallet1, dataset, 10n), Cl.uint(1));
    expectOk(purchase(wallet2, 1n));
    const before = stxBalance(wallet2);
    expectErr(purchase(wallet2, 1n), ERR.ERR_ALREADY_PURCHASED);
    expect(stxBalance(wallet2)).toBe(before);
  });

  it("refuses when the seller no longer owns the dataset (u409)", () => {
    expectOk(list(wallet1, dataset, 10n), Cl.uint(1));
    expectOk(transferDataset(wallet1, dataset, wallet3));
    expectErr(purchase(wallet2, 1n), ERR.ERR_SELLER_NOT_OWNER);
    expect(hasAccess(dataset, wallet3)).toBe(true);
    expect(hasAccess(dataset, wallet1)).toBe(false);
  });

  it("passes STX transfer errors through: insufficient balance is (err u1)", () => {
    const balance = stxBalance(wallet4);
    expectOk(list(wallet1, dataset, balance + 1n), Cl.uint(1));
    expect(purchase(wallet4, 1n).result).toStrictEqual(Cl.error(Cl.uint(1)));
    expect(stxBalance(wallet4)).toBe(balance);
    expect(hasPurchased(1n, wallet4)).toBe(false);
  });
});

describe("marketplace through another contract", () => {
  // A contract a user calls: contract-caller is the contract, tx-sender the user.
  const proxy = `
    (define-public (list-for-me (dataset-id uint))
      (contract-call? '${deployer}.marketplace list-dataset dataset-id u10))
    (define-public (buy-for-me (listing-id uint))
      (contract-call? '${deployer}.marketplace purchase listing-id))`;

  it("cannot act as the seller: listing checks contract-caller (u401)", () => {
    const dataset = datasetOf(wallet1, "genome-1");
    simnet.deployContract("market-proxy", proxy, { clarityVersion: 4 }, deployer);
    const res = simnet.callPublicFn("market-proxy", "list-for-me", [Cl.uint(dataset)], wallet1);
    expect(res.result).toStrictEqual(Cl.error(Cl.uint(ERR.ERR_NOT_DATASET_OWNER)));
  });

  it("pays from the user's wallet (tx-sender) under Clarity 4, and the user is the buyer", () => {
    const dataset = datasetOf(wallet1, "genome-1");
    expectOk(list(wallet1, dataset, 1_000n), Cl.uint(1));
    simnet.deployContract("market-proxy", proxy, { clarityVersion: 4 }, deployer);
    const res = simnet.callPublicFn("market-proxy", "buy-for-me", [Cl.uint(1)], wallet2);
    expect(res.result).toStrictEqual(Cl.ok(Cl.bool(true)));
    expect(stxTransfers(res)).toEqual([
      { sender: wallet2, recipient: deployer, amount: 25n },
      { sender: wallet2, recipient: wallet1, amount: 975n },
    ]);
    expect(hasPurchased(1n, wallet2)).toBe(true);
  });
});

describe("marketplace.set-fee-bps, set-treasury, set-contract-owner", () => {
  it("sets the fee up to 10%", () => {
    const res = setFee(MAX_FEE_BPS);
    expectOk(res);
    expect(printed(res)).toEqual([{ topic: "fee-set", "fee-bps": MAX_FEE_BPS }]);
    expect(read("marketplace", "get-fee-bps", [])).toStrictEqual(Cl.uint(MAX_FEE_BPS));
  });

  it("refuses a fee above 10% (u410)", () => {
    expectErr(setFee(MAX_FEE_BPS + 1n), ERR.ERR_FEE_TOO_HIGH);
  });

  it("set-fee-bps refuses anyone but the owner (u400)", () => {
    expectErr(setFee(0n, wallet1), ERR.ERR_UNAUTHORIZED);
  });

  it("sends later fees to a new treasury", () => {
    const res = call("marketplace", "set-treasury", [Cl.principal(faucet)], deployer);
    expectOk(res);
    expect(printed(res)).toEqual([{ topic: "treasury-set", treasury: faucet }]);
    expect(read("marketplace", "get-treasury", [])).toStrictEqual(Cl.principal(faucet));
    const dataset = datasetOf(wallet1, "genome-1");
    expectOk(list(wallet1, dataset, 400n), Cl.uint(1));
    expect(stxTransfers(purchase(wallet2, 1n))).toEqual([
      { sender: wallet2, recipient: faucet, amount: 10n },
      { sender: wallet2, recipient: wallet1, amount: 390n },
    ]);
  });

  it("set-treasury refuses anyone but the owner (u400)", () => {
    expectErr(call("marketplace", "set-treasury", [Cl.principal(wallet1)], wallet1), ERR.ERR_UNAUTHORIZED);
  });

  it("hands ownership over", () => {
    expectOk(call("marketplace", "set-contract-owner", [Cl.principal(wallet1)], deployer));
    expect(read("marketplace", "get-contract-owner", [])).toStrictEqual(Cl.principal(wallet1));
    expectErr(setFee(1n), ERR.ERR_UNAUTHORIZED);
    expectOk(setFee(1n, wallet1));
  });

  it("set-contract-owner refuses anyone but the owner (u400)", () => {
    expectErr(
      call("marketplace", "set-contract-owner", [Cl.principal(wallet1)], wallet1),
      ERR.ERR_UNAUTHORIZED,
    );
  });
});

// ---------------------------------------------------------------------------
// Stateful property test: list, update, delist, transfer, buy and rate
// ---------------------------------------------------------------------------

const PEOPLE = [deployer, wallet1, wallet2, wallet3, wallet4];
const DATASET_OWNERS = [wallet1, wallet2, wallet3];

interface MarketModel {
  feeBps: bigint;
  treasury: string;
  datasetOwners: string[]; // index = dataset id - 1
  listings: { datasetId: bigint; seller: string; price: bigint; active: boolean }[];
  activeListing: Map<bigint, bigint>;
  purchases: Set<string>; // `${listingId}/${buyer}`
  ratings: Map<string, bigint>; // `${listingId}/${rater}`
  reputation: Map<string, { ratings: bigint; total: bigint }>;
  balances: Map<string, bigint>;
  totalStx: bigint;
}

type Real = Record<string, never>;

/** Successful calls per command over all runs: the property must exercise every path. */
const succeeded = new Map<string, number>();
function success(command: string) {
  succeeded.set(command, (succeeded.get(command) ?? 0) + 1);
}

function checkMarketInvariants(model: MarketModel) {
  // STX: every balance is what the model predicts and the total is conserved.
  const stx = simnet.getAssetsMap().get("STX")!;
  let total = 0n;
  for (const who of [...PEOPLE, faucet]) {
    expect(stx.get(who), `balance of ${who}`).toBe(model.balances.get(who));
    total += stx.get(who)!;
  }
  expect(total).toBe(model.totalStx);
  model.listings.forEach((l, i) => {
    const id = BigInt(i + 1);
    expect(listing(id)).toEqual({ "dataset-id": l.datasetId, seller: l.seller, price: l.price, active: l.active });
    for (const who of PEOPLE) {
      const bought = model.purchases.has(`${id}/${who}`);
      expect(hasPurchased(id, who)).toBe(bought);
      const rating = read("reputation", "get-rating", [Cl.uint(id), Cl.principal(who)]);
      // ratings only by buyers, at most one each
      expect(toJs(rating)).toBe(model.ratings.get(`${id}/${who}`) ?? null);
      if (rating.type === "some") expect(bought).toBe(true);
    }
  });
  for (const who of PEOPLE) {
    const rep = model.reputation.get(who) ?? { ratings: 0n, total: 0n };
    expect(toJs(read("reputation", "get-reputation", [Cl.principal(who)]))).toEqual({
      ...rep,
      endorsements: 0n,
    });
  }
  model.datasetOwners.forEach((owner, i) => {
    const id = BigInt(i + 1);
    for (const who of PEOPLE) {
      const bought = model.listings.some((l, j) => l.datasetId === id && model.purchases.has(`${j + 1}/${who}`));
      expect(hasAccess(id, who)).toBe(owner === who || bought);
    }
  });
}

class List implements fc.Command<MarketModel, Real> {
  constructor(readonly who: string, readonly datasetId: bigint, readonly price: bigint) {}
  check = () => true;
  run(model: MarketModel) {
    const res = list(this.who, this.datasetId, this.price);
    const owner = model.datasetOwners[Number(this.datasetId) - 1];
    const activeId = model.activeListing.get(this.datasetId);
    const active = activeId === undefined ? undefined : model.listings[Number(activeId) - 1];
    if (owner !== this.who) expectErr(res, ERR.ERR_NOT_DATASET_OWNER);
    else if (this.price === 0n) expectErr(res, ERR.ERR_INVALID_PRICE);
    else if (active && active.seller === this.who) expectErr(res, ERR.ERR_ALREADY_LISTED);
    else {
      if (active) active.active = false;
      model.listings.push({ datasetId: this.datasetId, seller: this.who, price: this.price, active: true });
      model.activeListing.set(this.datasetId, BigInt(model.listings.length));
      expectOk(res, Cl.uint(model.listings.length));
      success("list");
    }
    checkMarketInvariants(model);
  }
  toString = () => `list(${this.who.slice(0, 5)}, d${this.datasetId}, ${this.price})`;
}

/** Shared checks of update-price and delist, in the contract's order. */
function sellerCheck(model: MarketModel, who: string, listingId: bigint) {
  const l = model.listings[Number(listingId) - 1];
  if (!l) return ERR.ERR_UNKNOWN_LISTING;
  if (l.seller !== who) return ERR.ERR_NOT_SELLER;
  if (!l.active) return ERR.ERR_LISTING_INACTIVE;
  return undefined;
}

class UpdatePrice implements fc.Command<MarketModel, Real> {
  constructor(readonly who: string, readonly listingId: bigint, readonly price: bigint) {}
  check = () => true;
  run(model: MarketModel) {
    const res = updatePrice(this.who, this.listingId, this.price);
    const refused = sellerCheck(model, this.who, this.listingId) ?? (this.price === 0n ? ERR.ERR_INVALID_PRICE : undefined);
    if (refused !== undefined) expectErr(res, refused);
    else {
      expectOk(res);
      model.listings[Number(this.listingId) - 1].price = this.price;
      success("update-price");
    }
    checkMarketInvariants(model);
  }
  toString = () => `update-price(${this.who.slice(0, 5)}, l${this.listingId}, ${this.price})`;
}

class Delist implements fc.Command<MarketModel, Real> {
  constructor(readonly who: string, readonly listingId: bigint) {}
  check = () => true;
  run(model: MarketModel) {
    const res = delist(this.who, this.listingId);
    const refused = sellerCheck(model, this.who, this.listingId);
    if (refused !== undefined) expectErr(res, refused);
    else {
      expectOk(res);
      const l = model.listings[Number(this.listingId) - 1];
      l.active = false;
      model.activeListing.delete(l.datasetId);
      success("delist");
    }
    checkMarketInvariants(model);
  }
  toString = () => `delist(${this.who.slice(0, 5)}, l${this.listingId})`;
}

class TransferDataset implements fc.Command<MarketModel, Real> {
  constructor(readonly who: string, readonly datasetId: bigint, readonly to: string) {}
  check = () => true;
  run(model: MarketModel) {
    const res = transferDataset(this.who, this.datasetId, this.to);
    const index = Number(this.datasetId) - 1;
    if (model.datasetOwners[index] !== this.who) expectErr(res, REGISTRY_ERR.ERR_NOT_OWNER);
    else {
      expectOk(res);
      model.datasetOwners[index] = this.to;
      success("transfer");
    }
    checkMarketInvariants(model);
  }
  toString = () => `transfer(${this.who.slice(0, 5)}, d${this.datasetId} -> ${this.to.slice(0, 5)})`;
}

class Purchase implements fc.Command<MarketModel, Real> {
  constructor(readonly who: string, readonly listingId: bigint) {}
  check = () => true;
  run(model: MarketModel) {
    const res = purchase(this.who, this.listingId);
    const l = model.listings[Number(this.listingId) - 1];
    const key = `${this.listingId}/${this.who}`;
    if (!l) expectErr(res, ERR.ERR_UNKNOWN_LISTING);
    else if (!l.active) expectErr(res, ERR.ERR_LISTING_INACTIVE);
    else if (l.seller === this.who) expectErr(res, ERR.ERR_BUYER_IS_SELLER);
    else if (model.purchases.has(key)) expectErr(res, ERR.ERR_ALREADY_PURCHASED);
    else if (model.datasetOwners[Number(l.datasetId) - 1] !== l.seller) expectErr(res, ERR.ERR_SELLER_NOT_OWNER);
    else {
      expectOk(res);
      const fee = feeOf(l.price, model.feeBps);
      const paidFee = this.who === model.treasury ? 0n : fee;
      const add = (who: string, amount: bigint) => model.balances.set(who, model.balances.get(who)! + amount);
      add(this.who, -(l.price - fee) - paidFee);
      add(l.seller, l.price - fee);
      add(model.treasury, paidFee);
      model.purchases.add(key);
      success("purchase");
    }
    checkMarketInvariants(model);
  }
  toString = () => `purchase(${this.who.slice(0, 5)}, l${this.listingId})`;
}

class Rate implements fc.Command<MarketModel, Real> {
  constructor(readonly who: string, readonly listingId: bigint, readonly score: bigint) {}
  check = () => true;
  run(model: MarketModel) {
    const res = call("reputation", "rate", [Cl.uint(this.listingId), Cl.uint(this.score)], this.who);
    const key = `${this.listingId}/${this.who}`;
    if (!model.purchases.has(key)) expectErr(res, REPUTATION_ERR.ERR_NOT_BUYER);
    else if (this.score < 1n || this.score > 5n) expectErr(res, REPUTATION_ERR.ERR_INVALID_SCORE);
    else if (model.ratings.has(key)) expectErr(res, REPUTATION_ERR.ERR_ALREADY_RATED);
    else {
      expectOk(res);
      model.ratings.set(key, this.score);
      const seller = model.listings[Number(this.listingId) - 1].seller;
      const rep = model.reputation.get(seller) ?? { ratings: 0n, total: 0n };
      model.reputation.set(seller, { ratings: rep.ratings + 1n, total: rep.total + this.score });
      success("rate");
    }
    checkMarketInvariants(model);
  }
  toString = () => `rate(${this.who.slice(0, 5)}, l${this.listingId}, ${this.score})`;
}

/** The seller of an existing listing (chosen by `pick`) updates its price: runs the success path often. */
class SellerUpdatePrice implements fc.Command<MarketModel, Real> {
  constructor(readonly pick: number, readonly price: bigint) {}
  check = (model: Readonly<MarketModel>) => model.listings.length > 0;
  run(model: MarketModel) {
    const id = (this.pick % model.listings.length) + 1;
    new UpdatePrice(model.listings[id - 1].seller, BigInt(id), this.price).run(model);
  }
  toString = () => `seller-update-price(#${this.pick}, ${this.price})`;
}

/** The seller of an existing listing (chosen by `pick`) delists it. */
class SellerDelist implements fc.Command<MarketModel, Real> {
  constructor(readonly pick: number) {}
  check = (model: Readonly<MarketModel>) => model.listings.length > 0;
  run(model: MarketModel) {
    const id = (this.pick % model.listings.length) + 1;
    new Delist(model.listings[id - 1].seller, BigInt(id)).run(model);
  }
  toString = () => `seller-delist(#${this.pick})`;
}

/** The current owner of a dataset (chosen by `pick`) lists it. */
class OwnerList implements fc.Command<MarketModel, Real> {
  constructor(readonly pick: number, readonly price: bigint) {}
  check = () => true;
  run(model: MarketModel) {
    const index = this.pick % model.datasetOwners.length;
    new List(model.datasetOwners[index], BigInt(index + 1), this.price).run(model);
  }
  toString = () => `owner-list(#${this.pick}, ${this.price})`;
}

/** Someone buys an existing listing (chosen by `pick`). */
class PickPurchase implements fc.Command<MarketModel, Real> {
  constructor(readonly pick: number, readonly who: string) {}
  check = (model: Readonly<MarketModel>) => model.listings.length > 0;
  run(model: MarketModel) {
    new Purchase(this.who, BigInt((this.pick % model.listings.length) + 1)).run(model);
  }
  toString = () => `pick-purchase(#${this.pick}, ${this.who.slice(0, 5)})`;
}

/** A buyer of an existing purchase (chosen by `pick`) rates it. */
class BuyerRate implements fc.Command<MarketModel, Real> {
  constructor(readonly pick: number, readonly score: bigint) {}
  check = (model: Readonly<MarketModel>) => model.purchases.size > 0;
  run(model: MarketModel) {
    const purchases = [...model.purchases];
    const [id, buyer] = purchases[this.pick % purchases.length].split("/");
    new Rate(buyer, BigInt(id), this.score).run(model);
  }
  toString = () => `buyer-rate(#${this.pick}, ${this.score})`;
}

describe("marketplace + reputation: stateful property", () => {
  it("no double purchase, ratings only by buyers, exact and conserved STX", async () => {
    const person = fc.constantFrom(...PEOPLE);
    // Mostly dataset owners, so that sellers act on their own listings often.
    const actor = fc.oneof(
      { arbitrary: fc.constantFrom(...DATASET_OWNERS), weight: 3 },
      { arbitrary: person, weight: 1 },
    );
    const datasetId = fc.bigInt(1n, BigInt(DATASET_OWNERS.length));
    const listingId = fc.bigInt(1n, 4n);
    const price = fc.oneof(
      { arbitrary: fc.constant(0n), weight: 1 },
      { arbitrary: fc.bigInt(1n, 50n), weight: 3 },
      { arbitrary: fc.bigInt(1n, 10_000_000n), weight: 3 },
    );
    const score = fc.bigInt(0n, 6n);
    // Random calls (mostly refused) plus calls aimed at existing listings and
    // purchases, so that every success path runs many times; duplicates weigh.
    const ownerList = fc.tuple(fc.nat(), price).map(([pick, p]) => new OwnerList(pick, p));
    const pickPurchase = fc.tuple(fc.nat(), person).map(([pick, w]) => new PickPurchase(pick, w));
    const buyerRate = fc.tuple(fc.nat(), score).map(([pick, s]) => new BuyerRate(pick, s));
    const commands = [
      fc.tuple(actor, datasetId, price).map(([w, d, p]) => new List(w, d, p)),
      ownerList,
      ownerList,
      fc.tuple(actor, listingId, price).map(([w, l, p]) => new UpdatePrice(w, l, p)),
      fc.tuple(fc.nat(), price).map(([pick, p]) => new SellerUpdatePrice(pick, p)),
      fc.tuple(actor, listingId).map(([w, l]) => new Delist(w, l)),
      fc.nat().map((pick) => new SellerDelist(pick)),
      fc.tuple(actor, datasetId, person).map(([w, d, t]) => new TransferDataset(w, d, t)),
      fc.tuple(person, listingId).map(([w, l]) => new Purchase(w, l)),
      pickPurchase,
      pickPurchase,
      pickPurchase,
      fc.tuple(person, listingId, score).map(([w, l, s]) => new Rate(w, l, s)),
      buyerRate,
      buyerRate,
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.bigInt(0n, MAX_FEE_BPS),
        fc.constantFrom(deployer, faucet),
        fc.commands(commands, { maxCommands: 40, size: "max" }),
        async (feeBps, treasury, cmds) => {
          await resetSimnet();
          DATASET_OWNERS.forEach((owner, i) => expect(datasetOf(owner, `dataset ${i}`)).toBe(BigInt(i + 1)));
          expectOk(setFee(feeBps));
          expectOk(call("marketplace", "set-treasury", [Cl.principal(treasury)], deployer));
          const balances = new Map([...PEOPLE, faucet].map((who) => [who, stxBalance(who)]));
          const model: MarketModel = {
            feeBps,
            treasury,
            datasetOwners: [...DATASET_OWNERS],
            listings: [],
            activeListing: new Map(),
            purchases: new Set(),
            ratings: new Map(),
            reputation: new Map(),
            balances,
            totalStx: [...balances.values()].reduce((a, b) => a + b, 0n),
          };
          fc.modelRun(() => ({ model, real: {} }), cmds);
        },
      ),
      { numRuns: 30 },
    );
    console.log("marketplace property: successful calls", Object.fromEntries(succeeded));
    for (const command of ["list", "update-price", "delist", "transfer", "purchase", "rate"]) {
      expect(succeeded.get(command) ?? 0, command).toBeGreaterThan(0);
    }
  });
});
