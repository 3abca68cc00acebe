import { parseInt64 } from '../args.js';
import { LIST_COUNT_NOT_POSITIVE, NUMKEYS_NOT_POSITIVE, SYNTAX } from '../errors.js';
import type { ArgumentSpec, KeySpec } from '../spec.js';

/**
 * What LMPOP/BLMPOP (list.ts) and ZMPOP/BZMPOP (zset-pop.ts) share: the syntax
 * `numkeys key [key ...] <where> [COUNT count]`, parsed as Redis 7.0's mpopGenericCommand does
 * for both, and its spec. Only the direction token differs (LEFT|RIGHT, MIN|MAX).
 */

export interface MpopArguments<Where> { keys: string[]; where: Where; count: number }

/**
 * Redis's getRangeLongFromObjectOrReply(1, LONG_MAX, message): one message for a non-integer
 * and for a value below 1.
 */
function parsePositive(arg: string, message: string): number | string {
  const v = parseInt64(arg);
  if (v === undefined || v < 1) return message;
  return Number(v);
}

/**
 * `numkeys key [key ...] <where> [COUNT count]` from argv[at]; `parseWhere` reads the direction
 * (undefined: a syntax error). The error string when invalid. Checked in Redis's order:
 * numkeys, the direction's presence and value, then the options left to right.
 */
export function parseMpopArguments<Where>(
  argv: readonly string[], at: number, parseWhere: (arg: string) => Where | undefined,
): MpopArguments<Where> | string {
  const numkeys = parsePositive(argv[at]!, NUMKEYS_NOT_POSITIVE);
  if (typeof numkeys === 'string') return numkeys;
  const whereAt = at + numkeys + 1;
  if (whereAt >= argv.length) return SYNTAX;
  const where = parseWhere(argv[whereAt]!);
  if (where === undefined) return SYNTAX;
  let count = -1;
  for (let j = whereAt + 1; j < argv.length; j++) {
    if (count === -1 && argv[j]!.toUpperCase() === 'COUNT' && j + 1 < argv.length) {
      const c = parsePositive(argv[++j]!, LIST_COUNT_NOT_POSITIVE);
      if (typeof c === 'string') return c;
      count = c;
    } else {
      return SYNTAX;
    }
  }
  return { keys: argv.slice(at + 1, whereAt), where, count: count === -1 ? 1 : count };
}

/** The spec arguments `numkeys key [key ...] <where> [COUNT count]`. */
export function mpopArgumentSpecs(where: ArgumentSpec): ArgumentSpec[] {
  return [
    { name: 'numkeys', type: 'integer' },
    { name: 'key', type: 'key', multiple: true },
    where,
    { name: 'count', type: 'integer', token: 'COUNT', optional: true },
  ];
}

/** The keys of an MPOP: `numkeys` at argv[index], the keys right after it. */
export function mpopKeySpec(index: number): KeySpec {
  return { flags: ['RW', 'access', 'delete'], beginSearch: { index }, findKeys: { keyNumIdx: 0, firstKey: 1, keyStep: 1 } };
}
