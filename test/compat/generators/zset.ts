import fc from 'fast-check';
import { ReplyError, type Reply } from '@nodis/protocol';

/**
 * Sorted-set commands for the repo-wide differential test (and zset.test.ts's own): argv
 * generators over the shared keys, plus `normaliseZset` for the replies that may differ
 * between two correct servers (random picks, hash-table order).
 *
 * Lex ranges are only specified over equal scores, so the lex commands use their own key,
 * LEX_KEY, which only ever receives score 0 (no other generator names it).
 */

export const LEX_KEY = 'zlex';

const SCORES = ['0', '1', '-1', '1.5', '-2.5', '3', '10', 'inf', '-inf', '+inf', '-0', '1e308', '0x10', '1e-310', '5e-324', 'x', 'nan', '1e400', ''];
const MEMBERS = ['a', 'b', 'c', 'd', 'e', 'm1', 'm2', '', '\x00\xff\r\n', 'L'.repeat(65)];
const LEX_MEMBERS = ['a', 'b', 'c', 'ab', 'ba', '', '\x00', '\xff', 'zz'];
const SCORE_BOUNDS = ['-inf', '+inf', 'inf', '0', '(0', '1', '(1', '1.5', '(1.5', '3', '(3', '-1', '(-inf', '(inf', '-0', '', '(', 'x', 'nan', ' 1', '1e400'];
const LEX_BOUNDS = ['-', '+', '[a', '(a', '[b', '(b', '[ab', '[c', '(zz', '[', '(', 'a', '', '+a'];
const INDICES = ['0', '1', '2', '-1', '-2', '-3', '5', '-100', '100', 'x', '9223372036854775807', '-9223372036854775808'];
const COUNTS = ['0', '1', '2', '3', '10', '-1', '-2', 'x'];
const LIMITS = [[], ['LIMIT', '0', '2'], ['LIMIT', '1', '1'], ['LIMIT', '1', '-1'], ['LIMIT', '-1', '2'], ['LIMIT', '0', '0'], ['LIMIT', '5', '1'], ['LIMIT', 'x', '1'], ['LIMIT', '0']];

const tuple = <T extends unknown[]>(...arbs: { [K in keyof T]: fc.Arbitrary<T[K]> }) => fc.tuple<T>(...arbs);

/** Argv generators; `key` yields the shared keys (some of them holding other types). */
export function zsetCommands(key: fc.Arbitrary<string>): fc.Arbitrary<string[]>[] {
  const score = fc.constantFrom(...SCORES);
  const member = fc.constantFrom(...MEMBERS);
  const members = fc.array(member, { minLength: 1, maxLength: 4 });
  const pairs = fc.array(tuple(score, member), { minLength: 1, maxLength: 4 }).map((ps) => ps.flat());
  const goodPairs = fc.array(tuple(fc.constantFrom('0', '1', '2', '-1', '1.5', 'inf', '-0'), member), { minLength: 1, maxLength: 5 }).map((ps) => ps.flat());
  const lexMember = fc.constantFrom(...LEX_MEMBERS);
  const sb = fc.constantFrom(...SCORE_BOUNDS);
  const lb = fc.constantFrom(...LEX_BOUNDS);
  const index = fc.constantFrom(...INDICES);
  const count = fc.constantFrom(...COUNTS);
  const limit = fc.constantFrom(...LIMITS);
  const withScores = fc.constantFrom([], [], ['WITHSCORES']);
  const keys = fc.array(key, { minLength: 1, maxLength: 3 });
  const zaddOptions = fc.subarray(['NX', 'XX', 'GT', 'LT', 'CH', 'INCR'], { maxLength: 2 });
  const rangeOptions = fc.subarray(['BYSCORE', 'REV', 'WITHSCORES'], { maxLength: 3 });
  return [
    // members
    tuple(key, goodPairs).map(([k, p]) => ['ZADD', k, ...p]),
    tuple(key, goodPairs).map(([k, p]) => ['ZADD', k, ...p]),
    tuple(key, zaddOptions, pairs).map(([k, o, p]) => ['ZADD', k, ...o, ...p]),
    tuple(key, zaddOptions, score, member).map(([k, o, s, m]) => ['ZADD', k, 'INCR', ...o, s, m]),
    tuple(key, score, member).map(([k, s, m]) => ['ZINCRBY', k, s, m]),
    tuple(key, members).map(([k, ms]) => ['ZREM', k, ...ms]),
    tuple(fc.constantFrom('ZCARD'), key).map(([c, k]) => [c, k]),
    tuple(fc.constantFrom('ZSCORE', 'ZRANK', 'ZREVRANK'), key, member).map(([c, k, m]) => [c, k, m]),
    tuple(key, members).map(([k, ms]) => ['ZMSCORE', k, ...ms]),
    tuple(key, sb, sb).map(([k, a, b]) => ['ZCOUNT', k, a, b]),
    // ranges
    tuple(key, index, index, withScores).map(([k, a, b, w]) => ['ZRANGE', k, a, b, ...w]),
    tuple(key, sb, sb, rangeOptions, limit).map(([k, a, b, o, l]) => ['ZRANGE', k, a, b, ...o, ...l]),
    tuple(key, index, index, rangeOptions, limit).map(([k, a, b, o, l]) => ['ZRANGE', k, a, b, ...o, ...l]),
    tuple(key, index, index, withScores).map(([k, a, b, w]) => ['ZREVRANGE', k, a, b, ...w]),
    tuple(fc.constantFrom('ZRANGEBYSCORE', 'ZREVRANGEBYSCORE'), key, sb, sb, withScores, limit).map(([c, k, a, b, w, l]) => [c, k, a, b, ...w, ...l]),
    tuple(key, key, index, index, fc.constantFrom([], ['REV'])).map(([d, s, a, b, o]) => ['ZRANGESTORE', d, s, a, b, ...o]),
    tuple(key, key, sb, sb, fc.constantFrom(['BYSCORE'], ['BYSCORE', 'REV'], ['WITHSCORES']), limit).map(([d, s, a, b, o, l]) => ['ZRANGESTORE', d, s, a, b, ...o, ...l]),
    tuple(key, index, index).map(([k, a, b]) => ['ZREMRANGEBYRANK', k, a, b]),
    tuple(key, sb, sb).map(([k, a, b]) => ['ZREMRANGEBYSCORE', k, a, b]),
    // lex ranges, over the score-0 key
    fc.array(lexMember, { minLength: 1, maxLength: 4 }).map((ms) => ['ZADD', LEX_KEY, ...ms.flatMap((m) => ['0', m])]),
    tuple(lb, lb).map(([a, b]) => ['ZLEXCOUNT', LEX_KEY, a, b]),
    tuple(fc.constantFrom('ZRANGEBYLEX', 'ZREVRANGEBYLEX'), lb, lb, limit).map(([c, a, b, l]) => [c, LEX_KEY, a, b, ...l]),
    tuple(lb, lb, fc.constantFrom([], ['REV'], ['WITHSCORES']), limit).map(([a, b, o, l]) => ['ZRANGE', LEX_KEY, a, b, 'BYLEX', ...o, ...l]),
    tuple(key, lb, lb).map(([d, a, b]) => ['ZRANGESTORE', d, LEX_KEY, a, b, 'BYLEX']),
    tuple(lb, lb).map(([a, b]) => ['ZREMRANGEBYLEX', LEX_KEY, a, b]),
    tuple(fc.constantFrom('ZPOPMIN', 'ZPOPMAX', 'ZCARD'), fc.constant(LEX_KEY)).map(([c, k]) => [c, k]),
    // pops
    tuple(fc.constantFrom('ZPOPMIN', 'ZPOPMAX'), key, fc.option(count, { nil: undefined })).map(([c, k, n]) => (n === undefined ? [c, k] : [c, k, n])),
    tuple(keys, fc.constantFrom('MIN', 'MAX', 'max'), fc.constantFrom([], ['COUNT', '2'], ['COUNT', '10'], ['COUNT', '0'])).map(([ks, w, o]) => ['ZMPOP', String(ks.length), ...ks, w, ...o]),
    // blocking pops that find data, or time out at once (10 ms)
    tuple(fc.constantFrom('BZPOPMIN', 'BZPOPMAX'), keys).map(([c, ks]) => [c, ...ks, '0.01']),
    tuple(keys, fc.constantFrom('MIN', 'MAX'), fc.constantFrom([], ['COUNT', '3'])).map(([ks, w, o]) => ['BZMPOP', '0.01', String(ks.length), ...ks, w, ...o]),
    // random picks and scans
    tuple(key, fc.constantFrom([], ['1'], ['3'], ['-3'], ['0'], ['20'], ['2', 'WITHSCORES'], ['-4', 'WITHSCORES'], ['x'], ['1', 'X'])).map(([k, o]) => ['ZRANDMEMBER', k, ...o]),
    tuple(key, fc.constantFrom([], ['MATCH', 'm*'], ['MATCH', '*'], ['COUNT', '0'])).map(([k, o]) => ['ZSCAN', k, '0', 'COUNT', '1000', ...o]),
    fc.oneof(key, fc.constant(LEX_KEY)).map((k) => ['OBJECT', 'ENCODING', k]),
  ];
}

/**
 * Replies two correct servers may give differently: ZRANDMEMBER's picks (compared by shape),
 * ZSCAN's order for a skiplist (compared sorted). Undefined: compare as is.
 */
export function normaliseZset(argv: string[], reply: Reply): unknown | undefined {
  const name = argv[0]!.toUpperCase();
  if (reply instanceof ReplyError || reply === null) return undefined;
  if (name === 'ZRANDMEMBER') {
    if (!Array.isArray(reply)) return typeof reply;
    return { picks: reply.length, nested: reply.length > 0 && Array.isArray(reply[0]) };
  }
  if (name === 'ZSCAN' && Array.isArray(reply) && Array.isArray(reply[1])) {
    const flat = reply[1];
    const pairs: string[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) pairs.push(`${String(flat[i])}=${String(flat[i + 1])}`);
    return [reply[0], pairs.sort()];
  }
  return undefined;
}
