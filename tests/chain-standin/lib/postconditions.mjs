// Evaluates a contract call's post-conditions against the asset movements the
// simnet reported, with the node's rules (stacks-core
// `check_transaction_postconditions`). The simnet has already committed the
// call, so a failure cannot be rolled back: the stand-in reports it (see
// standin.mjs) instead of pretending the call was aborted.
import {
  FungibleConditionCode,
  NonFungibleConditionCode,
  PostConditionMode,
  PostConditionPrincipalId,
  PostConditionType,
  addressToString,
  serializeCV,
} from '@stacks/transactions';

const STX = 'STX';
const STX_BURNED = 'STX (burned)';

/** principal -> {fungible: Map(asset -> amount), nonFungible: Map(asset -> Set(value hex))} */
export function assetMovements(events) {
  const moved = new Map();
  const of = (principal) => {
    if (!moved.has(principal)) moved.set(principal, { fungible: new Map(), nonFungible: new Map() });
    return moved.get(principal);
  };
  const addAmount = (principal, asset, amount) => {
    const { fungible } = of(principal);
    fungible.set(asset, (fungible.get(asset) ?? 0n) + BigInt(amount));
  };
  const addValue = (principal, asset, valueHex) => {
    const { nonFungible } = of(principal);
    if (!nonFungible.has(asset)) nonFungible.set(asset, new Set());
    nonFungible.get(asset).add(valueHex.replace(/^0x/, ''));
  };
  for (const { event, data } of events) {
    switch (event) {
      case 'stx_transfer_event':
        addAmount(data.sender, STX, data.amount);
        break;
      case 'stx_burn_event':
        addAmount(data.sender, STX_BURNED, data.amount);
        break;
      case 'ft_transfer_event':
      case 'ft_burn_event':
        addAmount(data.sender, data.asset_identifier, data.amount);
        break;
      case 'nft_transfer_event':
      case 'nft_burn_event':
        addValue(data.sender, data.asset_identifier, data.raw_value);
        break;
      default:
        break; // mints, prints: nobody sends anything
    }
  }
  return moved;
}

function principalOf(wire, origin) {
  switch (wire.prefix) {
    case PostConditionPrincipalId.Origin:
      return origin;
    case PostConditionPrincipalId.Standard:
      return addressToString(wire.address);
    default:
      return `${addressToString(wire.address)}.${wire.contractName.content}`;
  }
}

const assetOf = (asset) => `${addressToString(asset.address)}.${asset.contractName.content}::${asset.assetName.content}`;

function fungibleHolds(code, limit, sent) {
  switch (code) {
    case FungibleConditionCode.Equal:
      return sent === limit;
    case FungibleConditionCode.Greater:
      return sent > limit;
    case FungibleConditionCode.GreaterEqual:
      return sent >= limit;
    case FungibleConditionCode.Less:
      return sent < limit;
    case FungibleConditionCode.LessEqual:
      return sent <= limit;
    default:
      return false;
  }
}

const CODE_NAMES = { 1: '=', 2: '>', 3: '>=', 4: '<', 5: '<=' };

/**
 * Why the post-conditions fail for these movements, or null when they hold.
 * @param mode the transaction's PostConditionMode
 * @param postConditions the decoded post-condition wires
 * @param origin the sender's address
 * @param events the call's simnet events
 */
export function postConditionViolation(mode, postConditions, origin, events) {
  if (mode !== PostConditionMode.Allow && mode !== PostConditionMode.Deny) {
    return `post-condition mode ${mode} is not evaluated by the stand-in`;
  }
  const moved = assetMovements(events);
  const sentBy = (principal) => moved.get(principal) ?? { fungible: new Map(), nonFungible: new Map() };
  /** principal -> Set(asset) of checked fungible assets; principal -> asset -> Set(value) of NFTs */
  const checked = new Map();
  const checkedValues = new Map();
  const markChecked = (principal, asset) => {
    if (!checked.has(principal)) checked.set(principal, new Set());
    checked.get(principal).add(asset);
  };

  for (const condition of postConditions) {
    const principal = principalOf(condition.principal, origin);
    const sent = sentBy(principal);
    switch (condition.conditionType) {
      case PostConditionType.STX: {
        const transferred = sent.fungible.get(STX) ?? 0n;
        const burned = sent.fungible.get(STX_BURNED) ?? 0n;
        const limit = BigInt(condition.amount);
        if (!fungibleHolds(condition.conditionCode, limit, transferred + burned)) {
          return `STX post-condition failed: ${principal} sent ${transferred + burned} µSTX, condition ${CODE_NAMES[condition.conditionCode]} ${limit}`;
        }
        if (transferred > 0n) markChecked(principal, STX);
        if (burned > 0n) markChecked(principal, STX_BURNED);
        break;
      }
      case PostConditionType.Fungible: {
        const asset = assetOf(condition.asset);
        const amount = sent.fungible.get(asset) ?? 0n;
        const limit = BigInt(condition.amount);
        if (!fungibleHolds(condition.conditionCode, limit, amount)) {
          return `${asset} post-condition failed: ${principal} sent ${amount}, condition ${CODE_NAMES[condition.conditionCode]} ${limit}`;
        }
        markChecked(principal, asset);
        break;
      }
      case PostConditionType.NonFungible: {
        const asset = assetOf(condition.asset);
        const value = serializeCV(condition.assetName);
        const wasSent = sent.nonFungible.get(asset)?.has(value) ?? false;
        const holds =
          condition.conditionCode === NonFungibleConditionCode.MaybeSent ||
          wasSent === (condition.conditionCode === NonFungibleConditionCode.Sends);
        if (!holds) {
          return `${asset} post-condition failed: ${principal} ${wasSent ? 'sent' : 'did not send'} 0x${value}`;
        }
        if (!checkedValues.has(principal)) checkedValues.set(principal, new Map());
        const byAsset = checkedValues.get(principal);
        if (!byAsset.has(asset)) byAsset.set(asset, new Set());
        byAsset.get(asset).add(value);
        break;
      }
      default:
        return `post-condition type ${condition.conditionType} is not evaluated by the stand-in`;
    }
  }

  if (mode === PostConditionMode.Deny) {
    // Every asset that moved must be covered by a post-condition.
    for (const [principal, { fungible, nonFungible }] of moved) {
      for (const [asset, amount] of fungible) {
        if (amount > 0n && !checked.get(principal)?.has(asset)) {
          return `deny mode: ${principal} sent ${amount} ${asset === STX || asset === STX_BURNED ? `µ${asset}` : asset} without a post-condition`;
        }
      }
      for (const [asset, values] of nonFungible) {
        for (const value of values) {
          if (!checkedValues.get(principal)?.get(asset)?.has(value)) {
            return `deny mode: ${principal} sent ${asset} 0x${value} without a post-condition`;
          }
        }
      }
    }
  }
  return null;
}
