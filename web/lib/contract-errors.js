// Every error code of GenoFlow's version-2 contracts (docs/CONTRACTS.md), in plain
// words for the person whose transaction failed. Codes are unique across the six
// contracts; u1 and u2 come from STX transfers inside `purchase` and `subscribe`.

export const ERROR_WORDS = {
  // STX transfers (stx-transfer? inside purchase and subscribe): the whole call is undone.
  1: 'not enough STX in your account: nothing was charged',
  2: 'you are the treasury that would be paid: nothing was charged',
  3: 'the amount to pay is not above 0: nothing was charged',
  4: 'the payment was not sent by you: nothing was charged',
  // identity
  100: 'only the owner of the identity contract may do this',
  101: 'you already have an identity',
  102: 'the role must be researcher, clinician, lab or student',
  103: 'the name is empty (or only spaces)',
  104: 'there is no identity for this address: register one on the profile first',
  // registry
  200: 'only the dataset’s owner or an anchorer may do this',
  201: 'this data is already registered on chain',
  202: 'you have no identity yet: register one on your profile first',
  203: 'you are not the owner of this dataset on chain',
  204: 'there is no such dataset on chain',
  205: 'the batch size is 0 or above 2^32',
  206: 'this result is already recorded',
  207: 'you already made this commitment',
  208: 'no commitment of yours matches this data and salt: start the registration again',
  209: 'your commitment is in this same block: wait for the next block and reveal again',
  // subscription
  300: 'only the owner of the subscription contract may do this',
  301: 'the plan’s price or duration is out of range',
  302: 'there is no such plan',
  303: 'this plan is not offered any more',
  304: 'the treasury must be a wallet address, not a contract',
  305: 'the plan’s price or duration changed: nothing was charged',
  306: 'another plan of yours is still active: renew that one, or wait until it expires',
  // marketplace
  400: 'only the owner of the marketplace contract may do this',
  401: 'you do not own this dataset on chain',
  402: 'the price must be between 1 µSTX and 1,000,000,000,000 STX',
  403: 'this dataset already has an active listing',
  404: 'you are not the seller of this listing',
  405: 'there is no such listing',
  406: 'this listing is no longer active',
  407: 'you are the seller: you cannot buy your own listing',
  408: 'you already have access to this data: nothing was charged',
  409: 'the seller no longer owns this data: nothing was charged',
  410: 'the fee is above 10%',
  411: 'the price changed: nothing was charged',
  412: 'the treasury must be a wallet address, not a contract',
  // reputation
  500: 'only the owner of the reputation contract may do this',
  501: 'you did not buy this listing',
  502: 'a rating is 1 to 5',
  503: 'you already rated this seller',
  504: 'only verified identities can endorse',
  505: 'you cannot endorse yourself',
  506: 'you already endorsed them',
  507: 'this purchase paid less than the least price a rating needs',
  // oracle
  600: 'only the owner of the oracle contract may do this',
  601: 'the signer is not an enabled oracle (or the data changed after signing)',
  602: 'the signature does not recover to a key',
  603: 'the value is not newer than the stored one',
  604: 'the timestamp is more than an hour ahead of the chain',
};

/** The words for a contract's error code (a number, BigInt or "u411"). */
export function errorWords(code) {
  const n = Number(String(code).replace(/^u/, ''));
  return ERROR_WORDS[n] || `the contract refused it with error u${n}`;
}
