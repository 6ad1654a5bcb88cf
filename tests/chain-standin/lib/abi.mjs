// Checks call arguments against a contract's ABI (from the simnet's contract
// interfaces), as the node's mempool admission does before it accepts a call:
// a mismatch is the node's `BadFunctionArgument`.
import { ClarityType } from '@stacks/transactions';

const utf8 = new TextEncoder();

/** The ABI type as Clarity writes it, for messages. */
export function typeName(type) {
  if (typeof type === 'string') return type === 'uint128' ? 'uint' : type === 'int128' ? 'int' : type;
  if (type.buffer) return `(buff ${type.buffer.length})`;
  if (type['string-ascii']) return `(string-ascii ${type['string-ascii'].length})`;
  if (type['string-utf8']) return `(string-utf8 ${type['string-utf8'].length})`;
  if (type.optional) return `(optional ${typeName(type.optional)})`;
  if (type.response) return `(response ${typeName(type.response.ok)} ${typeName(type.response.error)})`;
  if (type.list) return `(list ${type.list.length} ${typeName(type.list.type)})`;
  if (type.tuple) return `(tuple ${type.tuple.map((field) => `(${field.name} ${typeName(field.type)})`).join(' ')})`;
  return JSON.stringify(type);
}

/**
 * Why `value` does not fit `type`, or null when it does.
 * `none`, `(ok ..)`/`(err ..)` halves and empty lists fit any inner type, as in Clarity.
 */
export function mismatch(type, value) {
  const wrong = () => `expected ${typeName(type)}, got ${value.type}`;
  if (typeof type === 'string') {
    switch (type) {
      case 'uint128':
        return value.type === ClarityType.UInt ? null : wrong();
      case 'int128':
        return value.type === ClarityType.Int ? null : wrong();
      case 'bool':
        return value.type === ClarityType.BoolTrue || value.type === ClarityType.BoolFalse ? null : wrong();
      case 'principal':
        return value.type === ClarityType.PrincipalStandard || value.type === ClarityType.PrincipalContract
          ? null
          : wrong();
      case 'trait_reference':
        return value.type === ClarityType.PrincipalContract ? null : wrong();
      default:
        return `unsupported ABI type ${type}`;
    }
  }
  if (type.buffer) {
    if (value.type !== ClarityType.Buffer) return wrong();
    const length = value.value.length / 2;
    return length <= type.buffer.length ? null : `expected ${typeName(type)}, got a buffer of ${length} bytes`;
  }
  if (type['string-ascii']) {
    if (value.type !== ClarityType.StringASCII) return wrong();
    return value.value.length <= type['string-ascii'].length
      ? null
      : `expected ${typeName(type)}, got ${value.value.length} characters`;
  }
  if (type['string-utf8']) {
    if (value.type !== ClarityType.StringUTF8) return wrong();
    const length = [...value.value].length;
    return length <= type['string-utf8'].length
      ? null
      : `expected ${typeName(type)}, got ${length} characters (${utf8.encode(value.value).length} bytes)`;
  }
  if (type.optional) {
    if (value.type === ClarityType.OptionalNone) return null;
    if (value.type !== ClarityType.OptionalSome) return wrong();
    return mismatch(type.optional, value.value);
  }
  if (type.response) {
    if (value.type === ClarityType.ResponseOk) return mismatch(type.response.ok, value.value);
    if (value.type === ClarityType.ResponseErr) return mismatch(type.response.error, value.value);
    return wrong();
  }
  if (type.list) {
    if (value.type !== ClarityType.List) return wrong();
    if (value.value.length > type.list.length) {
      return `expected ${typeName(type)}, got ${value.value.length} elements`;
    }
    for (const [index, element] of value.value.entries()) {
      const inner = mismatch(type.list.type, element);
      if (inner) return `element ${index}: ${inner}`;
    }
    return null;
  }
  if (type.tuple) {
    if (value.type !== ClarityType.Tuple) return wrong();
    const names = Object.keys(value.value);
    if (names.length !== type.tuple.length) {
      return `expected ${typeName(type)}, got a tuple of ${names.length} fields`;
    }
    for (const field of type.tuple) {
      if (!(field.name in value.value)) return `tuple field ${field.name} is missing`;
      const inner = mismatch(field.type, value.value[field.name]);
      if (inner) return `tuple field ${field.name}: ${inner}`;
    }
    return null;
  }
  return `unsupported ABI type ${JSON.stringify(type)}`;
}

/** Why the arguments do not fit the function's signature, or null. */
export function argumentsMismatch(fn, args) {
  if (args.length !== fn.args.length) {
    return `${fn.name} takes ${fn.args.length} argument(s), got ${args.length}`;
  }
  for (const [index, arg] of fn.args.entries()) {
    const why = mismatch(arg.type, args[index]);
    if (why) return `argument ${index} (${arg.name}) of ${fn.name}: ${why}`;
  }
  return null;
}
