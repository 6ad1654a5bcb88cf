// GenoFlow's contracts (docs/CONTRACTS.md, version 2) from the page: the calls users
// sign, with the bounds and post-conditions that protect their STX, and the read-only
// calls the screens show. Amounts are µSTX (BigInt), durations and expiries seconds.

import { buffer, principal, serialize, stringAscii, stringUtf8, toJs, uint } from './clarity.js';
import { bytesToHex, concatBytes, hexToBytes, sha256 } from './sha256.js';
import { stxPostCondition } from './transaction.js';

export const ROLES = { 1: 'researcher', 2: 'clinician', 3: 'lab', 4: 'student' };

/** The registry `uri` of a GenoFlow sample. */
export const sampleUri = (sampleId) => `genoflow:sample:${sampleId}`;

/** commitment = SHA-256(hash ‖ salt ‖ consensus bytes of the committer's principal). */
export function makeCommitment(hashHex, salt, committer) {
  return sha256(concatBytes(hexToBytes(hashHex), salt, serialize(principal(committer))));
}

/** SHA-256 over the files' SHA-256 (hex) in upload order: a sample's inputs_hash, hex. */
export function inputsHash(fileHashes) {
  return bytesToHex(sha256(concatBytes(...fileHashes.map(hexToBytes))));
}

const bytes32 = (hex) => {
  const b = hexToBytes(hex);
  if (b.length !== 32) throw new Error('expected 32 bytes');
  return buffer(b);
};

/** The calls, for contracts deployed by `deployer`. */
export class Calls {
  constructor(deployer) {
    this.deployer = deployer;
  }

  id(name) {
    return `${this.deployer}.${name}`;
  }

  call(name, functionName, args, postConditions = []) {
    return { contract: this.id(name), functionName, args, postConditions };
  }

  registerIdentity(name, role) {
    return this.call('identity', 'register', [stringUtf8(name), uint(role)]);
  }

  updateName(name) {
    return this.call('identity', 'update-name', [stringUtf8(name)]);
  }

  commitDataset(commitment) {
    return this.call('registry', 'commit-dataset', [buffer(commitment)]);
  }

  registerSample(inputsHashHex, sampleId, salt) {
    return this.call('registry', 'register-dataset', [bytes32(inputsHashHex), stringAscii('sample'), stringAscii(sampleUri(sampleId)), buffer(salt)]);
  }

  recordResult(datasetId, reportSha256, pipelineId) {
    return this.call('registry', 'record-result', [uint(datasetId), bytes32(reportSha256), bytes32(pipelineId)]);
  }

  listDataset(datasetId, price) {
    return this.call('marketplace', 'list-dataset', [uint(datasetId), uint(price)]);
  }

  updatePrice(listingId, price) {
    return this.call('marketplace', 'update-price', [uint(listingId), uint(price)]);
  }

  delist(listingId) {
    return this.call('marketplace', 'delist', [uint(listingId)]);
  }

  /** Buys at the price shown: `max-price` = that price, and the buyer sends exactly it. */
  purchase(listingId, shownPrice, buyer) {
    return this.call('marketplace', 'purchase', [uint(listingId), uint(shownPrice)], [stxPostCondition(buyer, 'eq', shownPrice)]);
  }

  rate(listingId, score) {
    return this.call('reputation', 'rate', [uint(listingId), uint(score)]);
  }

  /** Subscribes at the price and duration shown, sending exactly the price. */
  subscribe(planId, shownPrice, shownDuration, subscriber) {
    return this.call('subscription', 'subscribe', [uint(planId), uint(shownPrice), uint(shownDuration)], [stxPostCondition(subscriber, 'eq', shownPrice)]);
  }
}

/** Read-only calls through a lib/node.js Node; `sender` is any principal (the caller's). */
export class Reads {
  constructor(node, deployer, sender) {
    this.node = node;
    this.calls = new Calls(deployer);
    this.sender = sender || deployer;
  }

  async read(name, functionName, args) {
    return toJs(await this.node.callReadOnly(this.calls.id(name), functionName, args, this.sender));
  }

  /** {name, role, roleName, verified, registeredAt} or null. */
  async identity(who) {
    const found = await this.read('identity', 'get-identity', [principal(who)]);
    if (!found) return null;
    return { name: found.name, role: Number(found.role), roleName: ROLES[Number(found.role)] || `role ${found.role}`, verified: found.verified, registeredAt: Number(found['registered-at']) };
  }

  /** {ratings, total, verifiedRatings, verifiedTotal, endorsements} as numbers. */
  async reputation(who) {
    const r = await this.read('reputation', 'get-reputation', [principal(who)]);
    return {
      ratings: Number(r.ratings),
      total: Number(r.total),
      verifiedRatings: Number(r['verified-ratings']),
      verifiedTotal: Number(r['verified-total']),
      endorsements: Number(r.endorsements),
    };
  }

  async rating(listingId, rater) {
    const score = await this.read('reputation', 'get-rating', [uint(listingId), principal(rater)]);
    return score === null ? null : Number(score);
  }

  async plan(id) {
    const plan = await this.read('subscription', 'get-plan', [uint(id)]);
    return plan && { id, price: plan.price, duration: plan.duration, active: plan.active };
  }

  /** Plans 1, 2, … until the first id with none (at most `limit`). */
  async plans(limit = 50) {
    const plans = [];
    for (let id = 1; id <= limit; id++) {
      const plan = await this.plan(id);
      if (!plan) break;
      plans.push(plan);
    }
    return plans;
  }

  /** {planId, expiresAt (unix seconds), active} or null. */
  async subscription(who) {
    const found = await this.read('subscription', 'get-subscription', [principal(who)]);
    if (!found) return null;
    const active = await this.read('subscription', 'is-active', [principal(who)]);
    return { planId: Number(found['plan-id']), expiresAt: Number(found['expires-at']), active };
  }

  /** The block height a commitment was made at, or null. */
  async commitment(committer, commitment) {
    const height = await this.read('registry', 'get-commitment', [principal(committer), buffer(commitment)]);
    return height === null ? null : Number(height);
  }
}
