import { beforeEach, describe, expect, it } from "vitest";
import fc from "fast-check";
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
  faucet,
  hash32,
  printed,
  read,
  registerDataset,
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
const SUBSCRIPTION_ERR = errorCodes("subscription");
const { MAX_FEE_BPS, BPS_DENOMINATOR, MAX_PRICE } = uintConstants("marketplace");

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

function registerIdentity(who: string) {
  expectOk(call("identity", "register", [Cl.stringUtf8("member"), Cl.uint(1)], who));
}

/** Registers `owner` if needed and a dataset it owns (commit, then reveal); returns the dataset id. */
function datasetOf(owner: string, label: string): bigint {
  if (read("identity", "is-registered", [Cl.principal(owner)]).type === "false") registerIdentity(owner);
  const res = registerDataset(owner, hash32(label));
  expect(res.result.type, `registering ${label}`).toBe("ok");
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

/** The price a wallet shows its user: the listing's current price (0 when unknown). */
function shownPrice(listingId: bigint): bigint {
  return (listing(listingId) as { price: bigint } | null)?.price ?? 0n;
}

/** A purchase signed for `maxPrice`, by default the price the buyer saw. */
function purchase(who: string, listingId: bigint, maxPrice: bigint = shownPrice(listingId)) {
  return call("marketplace", "purchase", [Cl.uint(listingId), Cl.uint(maxPrice)], who);
}

function setFee(bps: bigint, by = deployer) {
  return call("marketplace", "set-fee-bps", [Cl.uint(bps)], by);
}

function setTreasury(who: string, by = deployer) {
  return call("marketplace", "set-treasury", [Cl.principal(who)], by);
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

function getPurchase(listingId: bigint, who: string) {
  return toJs(read("marketplace", "get-purchase", [Cl.uint(listingId), Cl.principal(who)])) as {
    price: bigint;
    "purchased-at": bigint;
  } | null;
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

  it("caps the price: above 10^18 µSTX is u402, exactly 10^18 is listed", () => {
    expect(MAX_PRICE).toBe(10n ** 18n);
    const who = [wallet1, deployer];
    const before = balances(...who);
    expectRefusedSince(list(wallet1, dataset, MAX_PRICE + 1n), ERR.ERR_INVALID_PRICE, who, before);
    expectRefusedSince(list(wallet1, dataset, 2n ** 128n - 1n), ERR.ERR_INVALID_PRICE, who, before);
    expect(read("marketplace", "get-listing", [Cl.uint(1)])).toStrictEqual(Cl.none());
    expectOk(list(wallet1, dataset, MAX_PRICE), Cl.uint(1));
    expect(listing(1n)).toMatchObject({ price: MAX_PRICE });
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

  it("update-price caps the price: above 10^18 µSTX is u402, exactly 10^18 is accepted", () => {
    const who = [wallet1, deployer];
    const before = balances(...who);
    expectRefusedSince(updatePrice(wallet1, 1n, MAX_PRICE + 1n), ERR.ERR_INVALID_PRICE, who, before);
    expect(listing(1n)).toMatchObject({ price: 100n });
    expectOk(updatePrice(wallet1, 1n, MAX_PRICE));
    expect(listing(1n)).toMatchObject({ price: MAX_PRICE });
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
    const before = balances(wallet2, wallet1, deployer);
    const res = purchase(wallet2, 1n, price);
    expectOk(res);
    expect(stxTransfers(res)).toEqual([
      { sender: wallet2, recipient: deployer, amount: fee },
      { sender: wallet2, recipient: wallet1, amount: price - fee },
    ]);
    expect(balances(wallet2, wallet1, deployer)).toEqual([
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

  it("charges the listing's price, not the buyer's higher max-price", () => {
    expectOk(list(wallet1, dataset, 1_000n), Cl.uint(1));
    const before = stxBalance(wallet2);
    expectOk(purchase(wallet2, 1n, 1_000_000n));
    expect(stxBalance(wallet2)).toBe(before - 1_000n);
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

  it("a purchase at the 10^18 µSTX cap and the 10% fee does not abort: fee 10^17 to the treasury", () => {
    expectOk(setFee(MAX_FEE_BPS));
    expectOk(list(wallet1, dataset, MAX_PRICE), Cl.uint(1));
    simnet.mintSTX(wallet2, MAX_PRICE); // the wallets hold 10^14 µSTX: a buyer at the cap must be richer
    const before = balances(wallet2, wallet1, deployer);
    const res = purchase(wallet2, 1n, MAX_PRICE);
    expectOk(res);
    const fee = 10n ** 17n;
    expect(stxTransfers(res)).toEqual([
      { sender: wallet2, recipient: deployer, amount: fee },
      { sender: wallet2, recipient: wallet1, amount: MAX_PRICE - fee },
    ]);
    expect(balances(wallet2, wallet1, deployer)).toEqual([
      before[0] - MAX_PRICE,
      before[1] + MAX_PRICE - fee,
      before[2] + fee,
    ]);
    expect(getPurchase(1n, wallet2)).toMatchObject({ price: MAX_PRICE });
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
    expectErr(purchase(wallet2, 1n, 1_000n), ERR.ERR_UNKNOWN_LISTING);
  });

  it("refuses an inactive listing (u406), buyers keep access", () => {
    expectOk(list(wallet1, dataset, 10n), Cl.uint(1));
    expectOk(purchase(wallet2, 1n));
    expectOk(delist(wallet1, 1n));
    expectErr(purchase(wallet3, 1n), ERR.ERR_LISTING_INACTIVE);
    expect(hasAccess(dataset, wallet2)).toBe(true);
  });

  it("refuses the seller (u407), before checking access (u408)", () => {
    expectOk(list(wallet1, dataset, 10n), Cl.uint(1));
    expect(hasAccess(dataset, wallet1)).toBe(true);
    expectErr(purchase(wallet1, 1n), ERR.ERR_BUYER_IS_SELLER);
  });

  it("refuses a second purchase by the same buyer (u408) and charges nothing", () => {
    expectOk(list(wallet1, dataset, 10n), Cl.uint(1));
    expectOk(purchase(wallet2, 1n));
    const who = [wallet2, wallet1, deployer];
    const before = balances(...who);
    expectRefusedSince(purchase(wallet2, 1n), ERR.ERR_ALREADY_PURCHASED, who, before);
  });

  it("attack: a buyer with access buying again after delist + relist is u408, not charged twice", () => {
    expectOk(list(wallet1, dataset, 1_000n), Cl.uint(1));
    expectOk(purchase(wallet2, 1n));
    expectOk(delist(wallet1, 1n));
    expectOk(list(wallet1, dataset, 900n), Cl.uint(2));
    const who = [wallet2, wallet1, deployer];
    const before = balances(...who);
    // Before v2 a new listing id was a new purchase: the same data, paid twice.
    expectRefusedSince(purchase(wallet2, 2n), ERR.ERR_ALREADY_PURCHASED, who, before);
    expect(hasPurchased(2n, wallet2)).toBe(false);
    expectOk(purchase(wallet3, 2n)); // a buyer without access pays the new listing
    // Access follows the dataset, also through a new owner's listing.
    registerIdentity(wallet4);
    expectOk(transferDataset(wallet1, dataset, wallet4));
    expectOk(list(wallet4, dataset, 500n), Cl.uint(3));
    const later = balances(wallet2, wallet4, deployer);
    expectRefusedSince(purchase(wallet2, 3n), ERR.ERR_ALREADY_PURCHASED, [wallet2, wallet4, deployer], later);
  });

  it("attack: the dataset's current owner buying the old owner's stale listing is u408 (the old owner u407), nothing paid", () => {
    expectOk(list(wallet1, dataset, 1_000n), Cl.uint(1));
    expectOk(transferDataset(wallet1, dataset, wallet3));
    const who = [wallet1, wallet2, wallet3, deployer];
    const before = balances(...who);
    expectRefusedSince(purchase(wallet3, 1n), ERR.ERR_ALREADY_PURCHASED, who, before);
    expectRefusedSince(purchase(wallet1, 1n), ERR.ERR_BUYER_IS_SELLER, who, before);
    expectRefusedSince(purchase(wallet2, 1n), ERR.ERR_SELLER_NOT_OWNER, who, before);
  });

  it("refuses when the seller no longer owns the dataset (u409), before comparing the price (u411)", () => {
    expectOk(list(wallet1, dataset, 10n), Cl.uint(1));
    expectOk(transferDataset(wallet1, dataset, wallet3));
    expectErr(purchase(wallet2, 1n), ERR.ERR_SELLER_NOT_OWNER);
    expectErr(purchase(wallet2, 1n, 0n), ERR.ERR_SELLER_NOT_OWNER);
    expect(hasAccess(dataset, wallet3)).toBe(true);
    expect(hasAccess(dataset, wallet1)).toBe(false);
  });

  it("attack: the seller raises update-price in the same block, in front of the buyer: u411, buyer not charged; at the old price again it goes through", () => {
    expectOk(list(wallet1, dataset, 1_000_000n), Cl.uint(1));
    const who = [wallet2, wallet1, deployer];
    const before = balances(...who);
    const [raise, buy] = simnet.mineBlock([
      tx.callPublicFn("marketplace", "update-price", [Cl.uint(1), Cl.uint(50_000_000)], wallet1),
      tx.callPublicFn("marketplace", "purchase", [Cl.uint(1), Cl.uint(1_000_000)], wallet2),
    ]);
    expectOk(raise);
    expectRefusedSince(buy, ERR.ERR_PRICE_ABOVE_MAX, who, before);
    expect(hasPurchased(1n, wallet2)).toBe(false);
    expect(hasAccess(dataset, wallet2)).toBe(false);
    expectOk(updatePrice(wallet1, 1n, 1_000_000n));
    const bought = purchase(wallet2, 1n, 1_000_000n);
    expectOk(bought);
    const fee = feeOf(1_000_000n, 250n);
    expect(balances(...who)).toEqual([before[0] - 1_000_000n, before[1] + 1_000_000n - fee, before[2] + fee]);
  });

  it("u411 at the boundary: max-price one below the price is refused, equal is accepted", () => {
    expectOk(list(wallet1, dataset, 777n), Cl.uint(1));
    const who = [wallet2, wallet1, deployer];
    const before = balances(...who);
    expectRefusedSince(purchase(wallet2, 1n, 776n), ERR.ERR_PRICE_ABOVE_MAX, who, before);
    expectRefusedSince(purchase(wallet2, 1n, 0n), ERR.ERR_PRICE_ABOVE_MAX, who, before);
    expectOk(purchase(wallet2, 1n, 777n));
  });

  it("passes STX transfer errors through: insufficient balance is (err u1)", () => {
    const balance = stxBalance(wallet4);
    expectOk(list(wallet1, dataset, balance + 1n), Cl.uint(1));
    expect(purchase(wallet4, 1n).result).toStrictEqual(Cl.error(Cl.uint(1)));
    expect(stxBalance(wallet4)).toBe(balance);
    expect(hasPurchased(1n, wallet4)).toBe(false);
  });
});

describe("marketplace.get-purchase", () => {
  it("returns what the buyer paid and the Stacks block height, unchanged by a later price change", () => {
    const dataset = datasetOf(wallet1, "genome-1");
    expectOk(list(wallet1, dataset, 4_321n), Cl.uint(1));
    expect(getPurchase(1n, wallet2)).toBeNull();
    expectOk(purchase(wallet2, 1n, 5_000n));
    const purchasedAt = BigInt(simnet.stacksBlockHeight); // the purchase's block
    expect(getPurchase(1n, wallet2)).toEqual({ price: 4_321n, "purchased-at": purchasedAt });
    simnet.mineEmptyBlocks(3);
    expectOk(updatePrice(wallet1, 1n, 9_999n));
    expect(getPurchase(1n, wallet2)).toEqual({ price: 4_321n, "purchased-at": purchasedAt });
    expect(getPurchase(1n, wallet3)).toBeNull();
    expect(getPurchase(2n, wallet2)).toBeNull();
  });
});

describe("marketplace through another contract", () => {
  // A contract a user calls: contract-caller is the contract, tx-sender the user.
  const proxy = `
    (define-public (list-for-me (dataset-id uint))
      (contract-call? '${deployer}.marketplace list-dataset dataset-id u10))
    (define-public (buy-for-me (listing-id uint) (max-price uint))
      (contract-call? '${deployer}.marketplace purchase listing-id max-price))`;

  it("cannot act as the seller: listing checks contract-caller (u401)", () => {
    const dataset = datasetOf(wallet1, "genome-1");
    simnet.deployContract("market-proxy", proxy, { clarityVersion: 4 }, deployer);
    const res = simnet.callPublicFn("market-proxy", "list-for-me", [Cl.uint(dataset)], wallet1);
    expect(res.result).toStrictEqual(Cl.error(Cl.uint(ERR.ERR_NOT_DATASET_OWNER)));
  });

  it("pays from the user's wallet (tx-sender) under Clarity 4, the user is the buyer, and max-price still binds", () => {
    const dataset = datasetOf(wallet1, "genome-1");
    expectOk(list(wallet1, dataset, 1_000n), Cl.uint(1));
    simnet.deployContract("market-proxy", proxy, { clarityVersion: 4 }, deployer);
    const before = stxBalance(wallet2);
    const refused = simnet.callPublicFn("market-proxy", "buy-for-me", [Cl.uint(1), Cl.uint(999)], wallet2);
    expect(refused.result).toStrictEqual(Cl.error(Cl.uint(ERR.ERR_PRICE_ABOVE_MAX)));
    expect(stxBalance(wallet2)).toBe(before);
    const res = simnet.callPublicFn("market-proxy", "buy-for-me", [Cl.uint(1), Cl.uint(1_000)], wallet2);
    expect(res.result).toStrictEqual(Cl.ok(Cl.bool(true)));
    expect(stxTransfers(res)).toEqual([
      { sender: wallet2, recipient: deployer, amount: 25n },
      { sender: wallet2, recipient: wallet1, amount: 975n },
    ]);
    expect(hasPurchased(1n, wallet2)).toBe(true);
  });
});

describe("marketplace.set-fee-bps and set-treasury", () => {
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
    const res = setTreasury(faucet);
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

  it("set-treasury refuses anyone but the owner (u400), checked before the principal (u412)", () => {
    expectErr(setTreasury(wallet1, wallet1), ERR.ERR_UNAUTHORIZED);
    expectErr(setTreasury(contractId("marketplace"), wallet1), ERR.ERR_UNAUTHORIZED);
  });

  it("attack: a contract as treasury (whose STX could be locked) is u412; the treasury and where fees go are unchanged", () => {
    const who = [deployer, contractId("marketplace"), contractId("subscription")];
    const before = balances(...who);
    for (const contract of [
      contractId("marketplace"),
      contractId("subscription"),
      "SP2JXKMSH007NPYAQHKJPQMAQYAD90NQGTVJVQ02B.sip-010-token", // another network's contract
    ]) {
      expectRefusedSince(setTreasury(contract), ERR.ERR_CONTRACT_TREASURY, who, before);
    }
    expect(read("marketplace", "get-treasury", [])).toStrictEqual(Cl.principal(deployer));
    const dataset = datasetOf(wallet1, "genome-1");
    expectOk(list(wallet1, dataset, 400n), Cl.uint(1));
    expect(stxTransfers(purchase(wallet2, 1n))).toEqual([
      { sender: wallet2, recipient: deployer, amount: 10n },
      { sender: wallet2, recipient: wallet1, amount: 390n },
    ]);
  });
});

describeTwoStepOwnership("marketplace", (by) => setFee(100n, by));

// ---------------------------------------------------------------------------
// Stateful property test: list, update, delist, relist, transfer, buy, rate
// and subscribe over several accounts
// ---------------------------------------------------------------------------

const PEOPLE = [deployer, wallet1, wallet2, wallet3, wallet4];
const DATASET_OWNERS = [wallet1, wallet2, wallet3];
/** Verified in the identity contract at set-up: its ratings also count as verified. */
const VERIFIED = wallet2;
/** Every account whose STX the sequence can move: their sum never changes (no fees in the simnet). */
const INVOLVED = [...PEOPLE, faucet];
const MIN_RATING_PRICE = 1_000_000n;

interface Reputation {
  ratings: bigint;
  total: bigint;
  "verified-ratings": bigint;
  "verified-total": bigint;
}

interface Plan {
  price: bigint;
  duration: bigint;
  active: boolean;
}

interface MarketModel {
  feeBps: bigint;
  treasury: string;
  /** The subscription contract's treasury: the deployer. */
  subscriptionTreasury: string;
  datasetOwners: string[]; // index = dataset id - 1
  listings: { datasetId: bigint; seller: string; price: bigint; active: boolean }[];
  activeListing: Map<bigint, bigint>;
  purchases: Map<string, { price: bigint; "purchased-at": bigint }>; // `${listingId}/${buyer}`
  datasetBuyers: Set<string>; // `${datasetId}/${buyer}`
  ratings: Map<string, bigint>; // `${listingId}/${rater}`
  sellerRaters: Set<string>; // `${seller}/${rater}`
  reputation: Map<string, Reputation>;
  plans: Map<bigint, Plan>;
  subscriptions: Map<string, { "plan-id": bigint; "expires-at": bigint }>;
  balances: Map<string, bigint>;
  totalStx: bigint;
}

type Real = Record<string, never>;

/** Calls per outcome over all runs: the property must exercise every path it claims. */
const outcomes = new Map<string, number>();
function seen(outcome: string) {
  outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
}

/** A signed bound relative to what the wallet saw (`rel`), or any number at all (`abs`). */
type Bound = { rel: bigint } | { abs: bigint };
function boundOf(bound: Bound, shown: bigint): bigint {
  if ("abs" in bound) return bound.abs;
  return shown + bound.rel < 0n ? 0n : shown + bound.rel;
}
const showBound = (b: Bound) => ("abs" in b ? `${b.abs}` : `seen${b.rel >= 0n ? "+" : ""}${b.rel}`);

function move(model: MarketModel, from: string, to: string, amount: bigint) {
  model.balances.set(from, model.balances.get(from)! - amount);
  model.balances.set(to, model.balances.get(to)! + amount);
}

function modelHasAccess(model: MarketModel, datasetId: bigint, who: string): boolean {
  return model.datasetOwners[Number(datasetId) - 1] === who || model.datasetBuyers.has(`${datasetId}/${who}`);
}

/** After every command: every balance is what the model predicts and their sum is
 * unchanged (nothing created or destroyed). Each command also checks what it touched. */
function checkBalances(model: MarketModel) {
  const stx = simnet.getAssetsMap().get("STX")!;
  let total = 0n;
  for (const who of INVOLVED) {
    expect(stx.get(who), `balance of ${who}`).toBe(model.balances.get(who));
    total += stx.get(who)!;
  }
  expect(total, "sum of all balances").toBe(model.totalStx);
}

function checkListing(model: MarketModel, id: bigint) {
  const l = model.listings[Number(id) - 1];
  const expected = l && { "dataset-id": l.datasetId, seller: l.seller, price: l.price, active: l.active };
  expect(listing(id)).toEqual(expected ?? null);
}

function checkSubscription(model: MarketModel, who: string) {
  const sub = model.subscriptions.get(who) ?? null;
  expect(toJs(read("subscription", "get-subscription", [Cl.principal(who)]))).toEqual(sub);
  const active = sub !== null && sub["expires-at"] > simnet.getBlockTime();
  const isActive = read("subscription", "is-active", [Cl.principal(who)]);
  expect(isActive.type, `is-active ${who}`).toBe(active ? "true" : "false");
}

/** The whole state against the model (slow: after each run): every listing, purchase,
 * rating, reputation, subscription and access. */
function checkEverything(model: MarketModel) {
  checkBalances(model);
  model.listings.forEach((_, i) => {
    const id = BigInt(i + 1);
    checkListing(model, id);
    for (const who of PEOPLE) {
      const bought = model.purchases.get(`${id}/${who}`) ?? null;
      expect(getPurchase(id, who)).toEqual(bought);
      expect(hasPurchased(id, who)).toBe(bought !== null);
      // ratings only by buyers, at most one each
      const rating = read("reputation", "get-rating", [Cl.uint(id), Cl.principal(who)]);
      expect(toJs(rating)).toBe(model.ratings.get(`${id}/${who}`) ?? null);
    }
  });
  for (const who of PEOPLE) {
    const rep = model.reputation.get(who) ?? NO_REPUTATION;
    expect(toJs(read("reputation", "get-reputation", [Cl.principal(who)]))).toEqual({ ...rep, endorsements: 0n });
    checkSubscription(model, who);
  }
  model.datasetOwners.forEach((_, i) => {
    const id = BigInt(i + 1);
    for (const who of PEOPLE) expect(hasAccess(id, who)).toBe(modelHasAccess(model, id, who));
  });
}

const NO_REPUTATION: Reputation = { ratings: 0n, total: 0n, "verified-ratings": 0n, "verified-total": 0n };

class List implements fc.Command<MarketModel, Real> {
  constructor(readonly who: string, readonly datasetId: bigint, readonly price: bigint, readonly name = "list") {}
  check = () => true;
  run(model: MarketModel) {
    const res = list(this.who, this.datasetId, this.price);
    const owner = model.datasetOwners[Number(this.datasetId) - 1];
    const activeId = model.activeListing.get(this.datasetId);
    const active = activeId === undefined ? undefined : model.listings[Number(activeId) - 1];
    if (owner !== this.who) expectErr(res, ERR.ERR_NOT_DATASET_OWNER);
    else if (this.price === 0n || this.price > MAX_PRICE) expectErr(res, ERR.ERR_INVALID_PRICE);
    else if (active && active.seller === this.who) expectErr(res, ERR.ERR_ALREADY_LISTED);
    else {
      if (active) active.active = false;
      model.listings.push({ datasetId: this.datasetId, seller: this.who, price: this.price, active: true });
      model.activeListing.set(this.datasetId, BigInt(model.listings.length));
      expectOk(res, Cl.uint(model.listings.length));
      seen(this.name);
    }
    checkBalances(model);
    model.listings.forEach((l, i) => l.datasetId === this.datasetId && checkListing(model, BigInt(i + 1)));
  }
  toString = () => `${this.name}(${this.who.slice(0, 5)}, d${this.datasetId}, ${this.price})`;
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
    const refused =
      sellerCheck(model, this.who, this.listingId) ??
      (this.price === 0n || this.price > MAX_PRICE ? ERR.ERR_INVALID_PRICE : undefined);
    if (refused !== undefined) expectErr(res, refused);
    else {
      expectOk(res);
      model.listings[Number(this.listingId) - 1].price = this.price;
      seen("update-price");
    }
    checkBalances(model);
    checkListing(model, this.listingId);
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
      seen("delist");
    }
    checkBalances(model);
    checkListing(model, this.listingId);
    const datasetId = model.listings[Number(this.listingId) - 1]?.datasetId;
    if (datasetId !== undefined) {
      const active = read("marketplace", "get-active-listing", [Cl.uint(datasetId)]);
      expect(toJs(active)).toBe(model.activeListing.get(datasetId) ?? null);
    }
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
      seen("transfer");
    }
    checkBalances(model);
    for (const who of PEOPLE) expect(hasAccess(this.datasetId, who)).toBe(modelHasAccess(model, this.datasetId, who));
  }
  toString = () => `transfer(${this.who.slice(0, 5)}, d${this.datasetId} -> ${this.to.slice(0, 5)})`;
}

class Purchase implements fc.Command<MarketModel, Real> {
  constructor(readonly who: string, readonly listingId: bigint, readonly max: Bound) {}
  check = () => true;
  run(model: MarketModel) {
    const l = model.listings[Number(this.listingId) - 1];
    const maxPrice = boundOf(this.max, l?.price ?? 0n);
    const before = stxBalance(this.who);
    const res = purchase(this.who, this.listingId, maxPrice);
    const key = `${this.listingId}/${this.who}`;
    if (!l) expectErr(res, ERR.ERR_UNKNOWN_LISTING);
    else if (!l.active) expectErr(res, ERR.ERR_LISTING_INACTIVE);
    else if (l.seller === this.who) expectErr(res, ERR.ERR_BUYER_IS_SELLER);
    else if (modelHasAccess(model, l.datasetId, this.who)) {
      expectErr(res, ERR.ERR_ALREADY_PURCHASED);
      seen(model.purchases.has(key) ? "u408 same listing" : "u408 access by another listing or ownership");
    } else if (model.datasetOwners[Number(l.datasetId) - 1] !== l.seller) expectErr(res, ERR.ERR_SELLER_NOT_OWNER);
    else if (l.price > maxPrice) {
      expectErr(res, ERR.ERR_PRICE_ABOVE_MAX);
      seen("u411");
    } else {
      const fee = feeOf(l.price, model.feeBps);
      const paidFee = this.who === model.treasury ? 0n : fee;
      if (before < l.price - fee + paidFee) {
        expect(res.result).toStrictEqual(Cl.error(Cl.uint(1))); // insufficient balance
        seen("purchase: insufficient balance");
      } else {
        expectOk(res);
        move(model, this.who, l.seller, l.price - fee);
        move(model, this.who, model.treasury, paidFee);
        model.purchases.set(key, { price: l.price, "purchased-at": BigInt(simnet.stacksBlockHeight) });
        model.datasetBuyers.add(`${l.datasetId}/${this.who}`);
        seen("purchase");
      }
    }
    // No buyer ever pays more than the max-price it signed.
    expect(before - stxBalance(this.who)).toBeLessThanOrEqual(maxPrice);
    expect(getPurchase(this.listingId, this.who)).toEqual(model.purchases.get(key) ?? null);
    if (l) expect(hasAccess(l.datasetId, this.who)).toBe(modelHasAccess(model, l.datasetId, this.who));
    checkBalances(model);
  }
  toString = () => `purchase(${this.who.slice(0, 5)}, l${this.listingId}, max ${showBound(this.max)})`;
}

class Rate implements fc.Command<MarketModel, Real> {
  constructor(readonly who: string, readonly listingId: bigint, readonly score: bigint) {}
  check = () => true;
  run(model: MarketModel) {
    const res = call("reputation", "rate", [Cl.uint(this.listingId), Cl.uint(this.score)], this.who);
    const key = `${this.listingId}/${this.who}`;
    const bought = model.purchases.get(key);
    const seller = model.listings[Number(this.listingId) - 1]?.seller;
    if (!bought) expectErr(res, REPUTATION_ERR.ERR_NOT_BUYER);
    else if (this.score < 1n || this.score > 5n) expectErr(res, REPUTATION_ERR.ERR_INVALID_SCORE);
    else if (model.sellerRaters.has(`${seller}/${this.who}`)) {
      expectErr(res, REPUTATION_ERR.ERR_ALREADY_RATED);
      seen(model.ratings.has(key) ? "u503 same listing" : "u503 same seller, other listing");
    } else if (bought.price < MIN_RATING_PRICE) {
      expectErr(res, REPUTATION_ERR.ERR_PRICE_TOO_LOW);
      seen("u507");
    } else {
      expectOk(res);
      const verified = this.who === VERIFIED;
      model.ratings.set(key, this.score);
      model.sellerRaters.add(`${seller}/${this.who}`);
      const rep = model.reputation.get(seller) ?? NO_REPUTATION;
      model.reputation.set(seller, {
        ratings: rep.ratings + 1n,
        total: rep.total + this.score,
        "verified-ratings": rep["verified-ratings"] + (verified ? 1n : 0n),
        "verified-total": rep["verified-total"] + (verified ? this.score : 0n),
      });
      seen(verified ? "rate (verified)" : "rate");
    }
    const rating = read("reputation", "get-rating", [Cl.uint(this.listingId), Cl.principal(this.who)]);
    expect(toJs(rating)).toBe(model.ratings.get(key) ?? null);
    if (seller !== undefined) {
      const rep = model.reputation.get(seller) ?? NO_REPUTATION;
      expect(toJs(read("reputation", "get-reputation", [Cl.principal(seller)]))).toEqual({ ...rep, endorsements: 0n });
    }
    checkBalances(model);
  }
  toString = () => `rate(${this.who.slice(0, 5)}, l${this.listingId}, ${this.score})`;
}

class Subscribe implements fc.Command<MarketModel, Real> {
  constructor(
    readonly who: string,
    readonly planId: bigint,
    readonly max: Bound,
    readonly minDuration: Bound,
  ) {}
  check = () => true;
  run(model: MarketModel) {
    const plan = model.plans.get(this.planId);
    const maxPrice = boundOf(this.max, plan?.price ?? 0n);
    const minDuration = boundOf(this.minDuration, plan?.duration ?? 0n);
    const before = stxBalance(this.who);
    const res = call(
      "subscription",
      "subscribe",
      [Cl.uint(this.planId), Cl.uint(maxPrice), Cl.uint(minDuration)],
      this.who,
    );
    const time = simnet.getBlockTime(); // the call's stacks-block-time
    const current = model.subscriptions.get(this.who);
    const active = current !== undefined && current["expires-at"] > time;
    if (!plan) expectErr(res, SUBSCRIPTION_ERR.ERR_UNKNOWN_PLAN);
    else if (!plan.active) expectErr(res, SUBSCRIPTION_ERR.ERR_PLAN_INACTIVE);
    else if (plan.price > maxPrice || plan.duration < minDuration) {
      expectErr(res, SUBSCRIPTION_ERR.ERR_PLAN_CHANGED);
      seen("u305");
    } else if (active && current["plan-id"] !== this.planId) {
      expectErr(res, SUBSCRIPTION_ERR.ERR_OTHER_PLAN_ACTIVE);
      seen("u306");
    } else if (plan.price > 0n && this.who === model.subscriptionTreasury) {
      expect(res.result).toStrictEqual(Cl.error(Cl.uint(2))); // a transfer to oneself
    } else {
      const expiresAt = (active ? current["expires-at"] : time) + plan.duration;
      expectOk(res, Cl.uint(expiresAt));
      move(model, this.who, model.subscriptionTreasury, plan.price);
      model.subscriptions.set(this.who, { "plan-id": this.planId, "expires-at": expiresAt });
      seen(active ? "subscribe (renewal)" : "subscribe");
    }
    expect(before - stxBalance(this.who)).toBeLessThanOrEqual(maxPrice);
    checkSubscription(model, this.who);
    checkBalances(model);
  }
  toString = () =>
    `subscribe(${this.who.slice(0, 5)}, p${this.planId}, ` +
    `max ${showBound(this.max)}, min ${showBound(this.minDuration)})`;
}

/** Time passes: `blocks` burn blocks (600 s each), so subscriptions expire. */
class Wait implements fc.Command<MarketModel, Real> {
  constructor(readonly blocks: number) {}
  check = () => true;
  run(model: MarketModel) {
    simnet.mineEmptyBlocks(this.blocks);
    for (const who of model.subscriptions.keys()) checkSubscription(model, who);
    checkBalances(model);
  }
  toString = () => `wait(${this.blocks} burn blocks)`;
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

/** A closed listing (chosen by `pick`): its dataset's current owner lists the dataset again. */
class Relist implements fc.Command<MarketModel, Real> {
  constructor(readonly pick: number, readonly price: bigint) {}
  check = (model: Readonly<MarketModel>) => model.listings.some((l) => !l.active);
  run(model: MarketModel) {
    const closed = model.listings.filter((l) => !l.active);
    const { datasetId } = closed[this.pick % closed.length];
    new List(model.datasetOwners[Number(datasetId) - 1], datasetId, this.price, "relist").run(model);
  }
  toString = () => `relist(#${this.pick}, ${this.price})`;
}

/** Someone buys an existing listing (chosen by `pick`). */
class PickPurchase implements fc.Command<MarketModel, Real> {
  constructor(readonly pick: number, readonly who: string, readonly max: Bound) {}
  check = (model: Readonly<MarketModel>) => model.listings.length > 0;
  run(model: MarketModel) {
    new Purchase(this.who, BigInt((this.pick % model.listings.length) + 1), this.max).run(model);
  }
  toString = () => `pick-purchase(#${this.pick}, ${this.who.slice(0, 5)}, max ${showBound(this.max)})`;
}

/** Someone without access to its dataset (chosen by `pickBuyer`) buys an active listing (chosen by `pick`). */
class BuyActive implements fc.Command<MarketModel, Real> {
  constructor(readonly pick: number, readonly pickBuyer: number, readonly max: Bound) {}
  check = (model: Readonly<MarketModel>) => model.listings.some((l) => l.active);
  run(model: MarketModel) {
    const active = model.listings.flatMap((l, i) => (l.active ? [BigInt(i + 1)] : []));
    const id = active[this.pick % active.length];
    const l = model.listings[Number(id) - 1];
    const buyers = PEOPLE.filter((who) => who !== l.seller && !modelHasAccess(model, l.datasetId, who));
    const who = buyers.length > 0 ? buyers[this.pickBuyer % buyers.length] : PEOPLE[this.pickBuyer % PEOPLE.length];
    new Purchase(who, id, this.max).run(model);
  }
  toString = () => `buy-active(#${this.pick}, #${this.pickBuyer}, max ${showBound(this.max)})`;
}

/** A buyer of a dataset (chosen by `pick`) tries the dataset's active listing: maybe a relisted one. */
class Rebuy implements fc.Command<MarketModel, Real> {
  constructor(readonly pick: number) {}
  check = (model: Readonly<MarketModel>) =>
    [...model.datasetBuyers].some((k) => model.activeListing.has(BigInt(k.split("/")[0])));
  run(model: MarketModel) {
    const candidates = [...model.datasetBuyers].filter((k) => model.activeListing.has(BigInt(k.split("/")[0])));
    const [datasetId, buyer] = candidates[this.pick % candidates.length].split("/");
    new Purchase(buyer, model.activeListing.get(BigInt(datasetId))!, { abs: MAX_PRICE }).run(model);
  }
  toString = () => `rebuy(#${this.pick})`;
}

/** A buyer of an existing purchase (chosen by `pick`) rates it. */
class BuyerRate implements fc.Command<MarketModel, Real> {
  constructor(readonly pick: number, readonly score: bigint) {}
  check = (model: Readonly<MarketModel>) => model.purchases.size > 0;
  run(model: MarketModel) {
    const purchases = [...model.purchases.keys()];
    const [id, buyer] = purchases[this.pick % purchases.length].split("/");
    new Rate(buyer, BigInt(id), this.score).run(model);
  }
  toString = () => `buyer-rate(#${this.pick}, ${this.score})`;
}

describe("marketplace + subscription + reputation: stateful property", () => {
  it("STX conserved after every command, no buyer pays more than its max-price, no double purchase, ratings only by buyers", async () => {
    const person = fc.constantFrom(...PEOPLE);
    // Mostly dataset owners, so that sellers act on their own listings often.
    const actor = fc.oneof(
      { arbitrary: fc.constantFrom(...DATASET_OWNERS), weight: 3 },
      { arbitrary: person, weight: 1 },
    );
    const datasetId = fc.bigInt(1n, BigInt(DATASET_OWNERS.length));
    const listingId = fc.bigInt(1n, 4n);
    // Some prices below min-rating-price (1 STX), most above.
    const price = fc.oneof(
      { arbitrary: fc.constant(0n), weight: 1 },
      { arbitrary: fc.bigInt(1n, 50n), weight: 2 },
      { arbitrary: fc.bigInt(1n, 10_000_000n), weight: 5 },
      { arbitrary: fc.constantFrom(MAX_PRICE, MAX_PRICE + 1n), weight: 1 },
    );
    // What the buyer or subscriber signs: mostly the price it saw, sometimes a little
    // off (a price raised in front of it), sometimes any number.
    const bound: fc.Arbitrary<Bound> = fc.oneof(
      { arbitrary: fc.constant({ rel: 0n }), weight: 3 },
      { arbitrary: fc.bigInt(-3n, 3n).map((rel) => ({ rel })), weight: 2 },
      { arbitrary: fc.bigInt(0n, 20_000_000n).map((abs) => ({ abs })), weight: 1 },
    );
    const minDuration: fc.Arbitrary<Bound> = fc.oneof(
      { arbitrary: fc.constant({ rel: 0n }), weight: 4 },
      { arbitrary: fc.bigInt(-2n, 1n).map((rel) => ({ rel })), weight: 1 },
    );
    const score = fc.bigInt(0n, 6n);
    // Random calls (mostly refused) plus calls aimed at existing listings and
    // purchases, so that every success path runs many times; duplicates weigh.
    const ownerList = fc.tuple(fc.nat(), price).map(([pick, p]) => new OwnerList(pick, p));
    const pickPurchase = fc.tuple(fc.nat(), person, bound).map(([pick, w, m]) => new PickPurchase(pick, w, m));
    const buyerRate = fc.tuple(fc.nat(), score).map(([pick, s]) => new BuyerRate(pick, s));
    const subscribe = fc
      .tuple(person, fc.bigInt(1n, 4n), bound, minDuration)
      .map(([w, p, m, d]) => new Subscribe(w, p, m, d));
    const buyActive = fc.tuple(fc.nat(), fc.nat(), bound).map(([pick, b, m]) => new BuyActive(pick, b, m));
    const relist = fc.tuple(fc.nat(), price).map(([pick, p]) => new Relist(pick, p));
    const sellerDelist = fc.nat().map((pick) => new SellerDelist(pick));
    const commands = [
      fc.tuple(actor, datasetId, price).map(([w, d, p]) => new List(w, d, p)),
      ownerList,
      ownerList,
      relist,
      relist,
      fc.tuple(actor, listingId, price).map(([w, l, p]) => new UpdatePrice(w, l, p)),
      fc.tuple(fc.nat(), price).map(([pick, p]) => new SellerUpdatePrice(pick, p)),
      fc.tuple(actor, listingId).map(([w, l]) => new Delist(w, l)),
      sellerDelist,
      sellerDelist,
      fc.tuple(actor, datasetId, person).map(([w, d, t]) => new TransferDataset(w, d, t)),
      fc.tuple(person, listingId, bound).map(([w, l, m]) => new Purchase(w, l, m)),
      pickPurchase,
      buyActive,
      buyActive,
      buyActive,
      fc.nat().map((pick) => new Rebuy(pick)),
      fc.tuple(person, listingId, score).map(([w, l, s]) => new Rate(w, l, s)),
      buyerRate,
      buyerRate,
      buyerRate,
      subscribe,
      subscribe,
      subscribe,
      fc.integer({ min: 1, max: 3 }).map((n) => new Wait(n)),
    ];
    // Plans 1 and 2 open (durations of a few burn blocks), 3 closed, 4 unknown.
    const plan = (active: boolean) =>
      fc.record({ price: fc.bigInt(0n, 3_000_000n), duration: fc.bigInt(600n, 4_000n), active: fc.constant(active) });
    await fc.assert(
      fc.asyncProperty(
        fc.bigInt(0n, MAX_FEE_BPS),
        fc.constantFrom(deployer, faucet),
        fc.tuple(plan(true), plan(true), plan(false)),
        fc.commands(commands, { maxCommands: 40, size: "max" }),
        async (feeBps, treasury, plans, cmds) => {
          await resetSimnet();
          DATASET_OWNERS.forEach((owner, i) => expect(datasetOf(owner, `dataset ${i}`)).toBe(BigInt(i + 1)));
          expectOk(call("identity", "set-verified", [Cl.principal(VERIFIED), Cl.bool(true)], deployer));
          expectOk(setFee(feeBps));
          expectOk(setTreasury(treasury));
          plans.forEach((p, i) =>
            expectOk(
              call(
                "subscription",
                "set-plan",
                [Cl.uint(i + 1), Cl.uint(p.price), Cl.uint(p.duration), Cl.bool(p.active)],
                deployer,
              ),
            ),
          );
          expect(read("reputation", "get-min-rating-price", [])).toStrictEqual(Cl.uint(MIN_RATING_PRICE));
          const balances = new Map(INVOLVED.map((who) => [who, stxBalance(who)]));
          const model: MarketModel = {
            feeBps,
            treasury,
            subscriptionTreasury: deployer,
            datasetOwners: [...DATASET_OWNERS],
            listings: [],
            activeListing: new Map(),
            purchases: new Map(),
            datasetBuyers: new Set(),
            ratings: new Map(),
            sellerRaters: new Set(),
            reputation: new Map(),
            plans: new Map(plans.map((p, i) => [BigInt(i + 1), p])),
            subscriptions: new Map(),
            balances,
            totalStx: [...balances.values()].reduce((a, b) => a + b, 0n),
          };
          fc.modelRun(() => ({ model, real: {} }), cmds);
          checkEverything(model);
        },
      ),
      { numRuns: 50 },
    );
    console.log("stateful property: outcomes", Object.fromEntries([...outcomes].sort()));
    // Each outcome (by prefix) ran at least once; the rarer ones are only logged.
    const count = (prefix: string) =>
      [...outcomes].filter(([outcome]) => outcome.startsWith(prefix)).reduce((sum, [, n]) => sum + n, 0);
    const required = ["list", "relist", "update-price", "delist", "transfer", "purchase"];
    for (const outcome of [...required, "u408", "u411", "rate", "u507", "subscribe", "u305"]) {
      expect(count(outcome), outcome).toBeGreaterThan(0);
    }
  });
});
