import type { Client } from '../client.js';
import { defineCommand, type Command } from '../command.js';
import { INT64_MIN, parseDouble, parseInt64 } from '../args.js';
import {
  INVALID_CURSOR, LEX_RANGE_INVALID, LONG_OUT_OF_RANGE, NOT_FLOAT, NOT_INTEGER,
  SCORE_NAN, SCORE_RANGE_NOT_FLOAT, SYNTAX, VALUE_OUT_OF_RANGE, ZADD_GT_LT_NX, ZADD_INCR_PAIRS, ZADD_XX_NX, ZRANGE_LIMIT_NEEDS_BY, ZRANGE_WITHSCORES_BYLEX,
  WRONGTYPE, randomCountTooLarge,
} from '../errors.js';
import { globMatch } from '../glob.js';
import { NOTIFY_GENERIC, NOTIFY_ZSET, lookupRead, notify } from '../notify.js';
import { formatDouble } from '../reply.js';
import { parseScanCursor, parseScanOptions } from '../scan.js';
import { type ArgumentSpec, keySpec } from '../spec.js';
import { scanCollection } from '../types/collection-scan.js';
import { ZSetValue } from '../types/zset.js';
import { MAX_RANDOM_REPEATS } from './set.js';
import {
  WRONG, lexRanks, listpackScoreText, parseLexBound, parseScoreBound,
  replyScored, scoreRanks, zsetAt, zsetLimits,
} from './zset-common.js';

/**
 * The sorted-set family but for the algebra (zset-algebra.ts) and the pops (zset-pop.ts):
 * ZADD and ZINCRBY, membership and ranks, the ranges by rank, score and lex (ZRANGE's unified
 * syntax and the older commands, which Redis 7.0 runs through the same code, hence the same
 * option errors), their removal forms, ZRANDMEMBER and ZSCAN. The data structure is
 * types/zset.ts: ranks and ranges are O(log n + m) there; removing m members (ZREMRANGEBY*)
 * costs m descents of a tree 4 levels deep at 10M members, and emptying a whole set deletes
 * the key instead.
 *
 * Error order follows Redis 7.0.15: most commands parse all their arguments before looking at
 * the key (ZADD's scores, range bounds, counts, ZSCAN's cursor), so only ZREM, ZCARD, ZSCORE,
 * ZMSCORE, ZRANK and ZREVRANK check the type centrally (`keyType`); the others check it in the
 * handler. ZRANK has no WITHSCORE in 7.0 (arity 3).
 *
 * Encodings: a key created by ZADD or ZINCRBY grows as Redis's does (types/zset.ts `set`:
 * listpack until the limits are passed, never back); ZRANGESTORE sizes its destination from a
 * rank range's length, else grows it one member at a time, as Redis 7.0 does (it matters for
 * the encoding's -0 detail, see types/zset.ts).
 */

// ---------------------------------------------------------------- spec helpers

const KEY: ArgumentSpec = { name: 'key', type: 'key' };
const MEMBER: ArgumentSpec = { name: 'member', type: 'string' };
const MEMBERS: ArgumentSpec = { name: 'member', type: 'string', multiple: true };
const LIMIT_ARG: ArgumentSpec = {
  name: 'offset_count', type: 'block', token: 'LIMIT', optional: true,
  arguments: [{ name: 'offset', type: 'integer' }, { name: 'count', type: 'integer' }],
};
const WITHSCORES_ARG: ArgumentSpec = { name: 'withscores', type: 'pure-token', token: 'WITHSCORES', optional: true };
const MIN_MAX = (type: 'double' | 'string', reverse = false): ArgumentSpec[] => (reverse
  ? [{ name: 'max', type }, { name: 'min', type }]
  : [{ name: 'min', type }, { name: 'max', type }]);

const READ = [keySpec(['RO', 'access'])];
const REMOVE = [keySpec(['RW', 'delete'])];

const RANGE_COMPLEXITY = 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.';
const RANGE_BY_COMPLEXITY = 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).';
const REMOVE_COMPLEXITY = 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.';

// ---------------------------------------------------------------- helpers

/**
 * After removing members: the command's event, then an emptied set vanishes (a `del` event),
 * else the key was modified in place.
 */
function afterRemoval(ctx: Client, key: string, z: ZSetValue, event: string): void {
  notify(ctx, NOTIFY_ZSET, event, key);
  if (z.size === 0) {
    ctx.db.delete(key);
    notify(ctx, NOTIFY_GENERIC, 'del', key);
  } else {
    ctx.db.host.onKeyModified(ctx.db, key);
  }
}

/** The sorted set at `key` for reading (a miss is a keymiss event); the central keyType check has run. */
function readZset(ctx: Client, key: string): ZSetValue | undefined {
  return lookupRead(ctx, key) as ZSetValue | undefined;
}

/** zsetAt for reading: the set, undefined when missing (a keymiss event), or WRONGTYPE answered. */
function readZsetAt(ctx: Client, key: string): ZSetValue | undefined | typeof WRONG {
  const v = lookupRead(ctx, key);
  if (v === undefined || v instanceof ZSetValue) return v;
  ctx.reply.error(WRONGTYPE);
  return WRONG;
}

/** getLongFromObject: an int64 (a number; beyond 2^53 only its order matters here). */
function parseLong(arg: string): number | undefined {
  const v = parseInt64(arg);
  return v === undefined ? undefined : Number(v);
}

/** Inclusive ranks [lo, hi]; lo > hi selects nothing. */
type Ranks = [number, number];
const NONE: Ranks = [0, -1];

/** A rank range as Redis resolves it: negatives from the end, clamped; reversed ranks count from the top. */
function rankWindow(size: number, start: number, stop: number, reverse: boolean): Ranks {
  let s = start < 0 ? size + start : start;
  let e = stop < 0 ? size + stop : stop;
  if (s < 0) s = 0;
  if (s > e || s >= size) return NONE;
  if (e >= size) e = size - 1;
  return reverse ? [size - 1 - e, size - 1 - s] : [s, e];
}

/**
 * LIMIT over the ranks [first, end) of a score or lex range: skip `offset` from the start (the
 * top when reversed), keep `limit` (negative: all). A negative offset selects nothing (Redis
 * skips past the end).
 */
function limitWindow([first, end]: [number, number], reverse: boolean, offset: number, limit: number): Ranks {
  if (offset < 0) return NONE;
  const left = end - first - offset;
  if (left <= 0) return NONE;
  const take = limit < 0 ? left : Math.min(left, limit);
  if (take === 0) return NONE;
  return reverse ? [end - offset - take, end - offset - 1] : [first + offset, first + offset + take - 1];
}

/** Ranks lo..hi in order (descending when reversed), with scores when asked (ZRANGE's shapes). */
function replyRanks(ctx: Client, z: ZSetValue, [lo, hi]: Ranks, reverse: boolean, withScores: boolean): void {
  const r = ctx.reply;
  const n = Math.max(0, hi - lo + 1);
  if (!withScores) {
    r.array(n);
    z.each(lo, hi, reverse, (m) => r.bulk(m));
  } else if (r.protocol === 3) {
    r.array(n);
    z.each(lo, hi, reverse, (m, s) => { r.array(2); r.bulk(m); r.double(s); });
  } else {
    r.array(n * 2);
    z.each(lo, hi, reverse, (m, s) => { r.bulk(m); r.double(s); });
  }
}

/** Removes ranks lo..hi (a whole set by deleting its key) and reports the change as `event`. */
function removeRanks(ctx: Client, key: string, z: ZSetValue, [lo, hi]: Ranks, event: string): number {
  if (lo > hi) return 0;
  const n = hi - lo + 1;
  if (n === z.size) {
    notify(ctx, NOTIFY_ZSET, event, key);
    ctx.db.delete(key);
    notify(ctx, NOTIFY_GENERIC, 'del', key);
    return n;
  }
  z.deleteRange(lo, hi);
  afterRemoval(ctx, key, z, event);
  return n;
}

// ---------------------------------------------------------------- ZADD, ZINCRBY

/** Redis's zaddGenericCommand: options, then every score, then the key's type. */
function zaddGeneric(ctx: Client, argv: string[], zincrby: boolean): void {
  let nx = false, xx = false, gt = false, lt = false, ch = false, incr = zincrby;
  let at = 2;
  for (; !zincrby && at < argv.length; at++) {
    // Options are letters; a score that starts with a digit or sign ends them without upper-casing.
    const c = argv[at]!.charCodeAt(0);
    if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122))) break;
    const opt = argv[at]!.toUpperCase();
    if (opt === 'NX') nx = true;
    else if (opt === 'XX') xx = true;
    else if (opt === 'GT') gt = true;
    else if (opt === 'LT') lt = true;
    else if (opt === 'CH') ch = true;
    else if (opt === 'INCR') incr = true;
    else break;
  }
  const elements = argv.length - at;
  if (elements === 0 || elements % 2 !== 0) return ctx.reply.error(SYNTAX);
  if (nx && xx) return ctx.reply.error(ZADD_XX_NX);
  if ((gt && nx) || (lt && nx) || (gt && lt)) return ctx.reply.error(ZADD_GT_LT_NX);
  if (incr && elements > 2) return ctx.reply.error(ZADD_INCR_PAIRS);
  const pairs = elements / 2;
  const scores: number[] = [];
  for (let j = 0; j < pairs; j++) {
    const s = parseDouble(argv[at + 2 * j]!);
    if (s === undefined) return ctx.reply.error(NOT_FLOAT);
    scores.push(s);
  }
  const key = argv[1]!;
  let z = zsetAt(ctx, key);
  if (z === WRONG) return;
  const created = z === undefined;
  if (z === undefined) {
    if (xx) return incr ? ctx.reply.null() : ctx.reply.int(0);
    z = new ZSetValue();
  }
  const limits = zsetLimits(ctx);
  let added = 0, updated = 0, processed = 0, score = 0;
  for (let j = 0; j < pairs; j++) {
    let s = scores[j]!;
    const member = argv[at + 2 * j + 1]!;
    const current = z.score(member);
    if (current !== undefined) {
      if (nx) continue;
      if (incr) {
        s += current;
        // Only one pair with INCR: nothing was changed before this error.
        if (Number.isNaN(s)) return ctx.reply.error(SCORE_NAN);
      }
      if ((lt && s >= current) || (gt && s <= current)) continue;
      processed++;
      score = s;
      // 0 and -0 are the same score: no update (the stored one stays).
      if (s !== current) {
        z.set(member, s, limits);
        updated++;
      }
    } else if (!xx) {
      z.set(member, s, limits);
      added++;
      processed++;
      score = s;
    }
  }
  if (created) ctx.db.set(key, z);
  else if (added + updated > 0) ctx.db.host.onKeyModified(ctx.db, key);
  if (added + updated > 0) notify(ctx, NOTIFY_ZSET, incr ? 'zincr' : 'zadd', key);
  if (!incr) return ctx.reply.int(ch ? added + updated : added);
  if (processed > 0) ctx.reply.double(score);
  else ctx.reply.null();
}

// ZADD key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]
export const zadd = defineCommand({
  name: 'zadd', arity: -4, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1],
  group: 'sorted-set', since: '1.2.0', summary: 'Add one or more members to a sorted set, or update its score if it already exists',
  complexity: 'O(log(N)) for each item added, where N is the number of elements in the sorted set.',
  history: [['2.4.0', 'Accepts multiple elements.'], ['3.0.2', 'Added the `XX`, `NX`, `CH` and `INCR` options.'], ['6.2.0', 'Added the `GT` and `LT` options.']],
  keySpecs: [keySpec(['RW', 'update'])],
  arguments: [
    KEY,
    { name: 'condition', type: 'oneof', since: '3.0.2', optional: true, arguments: [{ name: 'nx', type: 'pure-token', token: 'NX' }, { name: 'xx', type: 'pure-token', token: 'XX' }] },
    { name: 'comparison', type: 'oneof', since: '6.2.0', optional: true, arguments: [{ name: 'gt', type: 'pure-token', token: 'GT' }, { name: 'lt', type: 'pure-token', token: 'LT' }] },
    { name: 'change', type: 'pure-token', token: 'CH', since: '3.0.2', optional: true },
    { name: 'increment', type: 'pure-token', token: 'INCR', since: '3.0.2', optional: true },
    { name: 'score_member', type: 'block', multiple: true, arguments: [{ name: 'score', type: 'double' }, MEMBER] },
  ],
  reply: 'integer: members added (with CH: added or changed); with INCR: the new score, or nil when not applied',
  run(ctx, argv) { zaddGeneric(ctx, argv, false); },
});

// ZINCRBY key increment member
export const zincrby = defineCommand({
  name: 'zincrby', arity: 4, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1],
  group: 'sorted-set', since: '1.2.0', summary: 'Increment the score of a member in a sorted set',
  complexity: 'O(log(N)) where N is the number of elements in the sorted set.',
  keySpecs: [keySpec(['RW', 'access', 'update'])],
  arguments: [KEY, { name: 'increment', type: 'integer' }, MEMBER],
  reply: 'double: the new score',
  run(ctx, argv) { zaddGeneric(ctx, argv, true); },
});

// ---------------------------------------------------------------- members

// ZREM key member [member ...]
export const zrem = defineCommand({
  name: 'zrem', arity: -3, flags: ['write', 'fast'], keys: [1, 1, 1],
  group: 'sorted-set', since: '1.2.0', summary: 'Remove one or more members from a sorted set',
  complexity: 'O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.',
  history: [['2.4.0', 'Accepts multiple elements.']],
  keyType: 'zset', keySpecs: REMOVE, arguments: [KEY, MEMBERS],
  reply: 'integer: the number of members removed',
  run(ctx, argv) {
    const key = argv[1]!;
    const z = ctx.db.lookup(key) as ZSetValue | undefined;
    if (z === undefined) return ctx.reply.int(0);
    let removed = 0;
    for (let i = 2; i < argv.length && z.size > 0; i++) if (z.delete(argv[i]!)) removed++;
    if (removed > 0) afterRemoval(ctx, key, z, 'zrem');
    ctx.reply.int(removed);
  },
});

// ZCARD key
export const zcard = defineCommand({
  name: 'zcard', arity: 2, flags: ['readonly', 'fast'], keys: [1, 1, 1],
  group: 'sorted-set', since: '1.2.0', summary: 'Get the number of members in a sorted set', complexity: 'O(1)',
  keyType: 'zset', keySpecs: [keySpec(['RO'])], arguments: [KEY],
  reply: 'integer: the cardinality, 0 when the key is missing',
  run(ctx, argv) { ctx.reply.int(readZset(ctx, argv[1]!)?.size ?? 0); },
});

// ZSCORE key member
export const zscore = defineCommand({
  name: 'zscore', arity: 3, flags: ['readonly', 'fast'], keys: [1, 1, 1],
  group: 'sorted-set', since: '1.2.0', summary: 'Get the score associated with the given member in a sorted set', complexity: 'O(1)',
  keyType: 'zset', keySpecs: READ, arguments: [KEY, MEMBER],
  reply: 'double, or nil when not a member',
  run(ctx, argv) {
    const s = readZset(ctx, argv[1]!)?.score(argv[2]!);
    if (s === undefined) ctx.reply.null();
    else ctx.reply.double(s);
  },
});

// ZMSCORE key member [member ...]
export const zmscore = defineCommand({
  name: 'zmscore', arity: -3, flags: ['readonly', 'fast'], keys: [1, 1, 1],
  group: 'sorted-set', since: '6.2.0', summary: 'Get the score associated with the given members in a sorted set',
  complexity: 'O(N) where N is the number of members being requested.',
  keyType: 'zset', keySpecs: READ, arguments: [KEY, MEMBERS],
  reply: 'array of doubles, nil for non-members',
  run(ctx, argv) {
    const z = readZset(ctx, argv[1]!);
    ctx.reply.array(argv.length - 2);
    for (let i = 2; i < argv.length; i++) {
      const s = z?.score(argv[i]!);
      if (s === undefined) ctx.reply.null();
      else ctx.reply.double(s);
    }
  },
});

function rankGeneric(ctx: Client, argv: string[], reverse: boolean): void {
  const z = readZset(ctx, argv[1]!);
  const rank = z?.rank(argv[2]!);
  if (rank === undefined) return ctx.reply.null();
  ctx.reply.int(reverse ? z!.size - 1 - rank : rank);
}

// ZRANK key member
export const zrank = defineCommand({
  name: 'zrank', arity: 3, flags: ['readonly', 'fast'], keys: [1, 1, 1],
  group: 'sorted-set', since: '2.0.0', summary: 'Determine the index of a member in a sorted set', complexity: 'O(log(N))',
  keyType: 'zset', keySpecs: READ, arguments: [KEY, MEMBER],
  reply: 'integer, or nil when not a member',
  run(ctx, argv) { rankGeneric(ctx, argv, false); },
});

// ZREVRANK key member
export const zrevrank = defineCommand({
  name: 'zrevrank', arity: 3, flags: ['readonly', 'fast'], keys: [1, 1, 1],
  group: 'sorted-set', since: '2.0.0', summary: 'Determine the index of a member in a sorted set, with scores ordered from high to low',
  complexity: 'O(log(N))',
  keyType: 'zset', keySpecs: READ, arguments: [KEY, MEMBER],
  reply: 'integer, or nil when not a member',
  run(ctx, argv) { rankGeneric(ctx, argv, true); },
});

// ---------------------------------------------------------------- counts

/** ZCOUNT and ZLEXCOUNT: both bounds are parsed (one error for either) before the key is read. */
function countGeneric<Bound>(
  ctx: Client, argv: string[], parseBound: (arg: string) => Bound | undefined, invalid: string,
  ranks: (z: ZSetValue, min: Bound, max: Bound) => [number, number],
): void {
  const min = parseBound(argv[2]!);
  const max = parseBound(argv[3]!);
  if (min === undefined || max === undefined) return ctx.reply.error(invalid);
  const z = readZsetAt(ctx, argv[1]!);
  if (z === WRONG) return;
  if (z === undefined) return ctx.reply.int(0);
  const [first, end] = ranks(z, min, max);
  ctx.reply.int(end - first);
}

// ZCOUNT key min max
export const zcount = defineCommand({
  name: 'zcount', arity: 4, flags: ['readonly', 'fast'], keys: [1, 1, 1],
  group: 'sorted-set', since: '2.0.0', summary: 'Count the members in a sorted set with scores within the given values',
  complexity: 'O(log(N)) with N being the number of elements in the sorted set.',
  keySpecs: READ, arguments: [KEY, ...MIN_MAX('double')],
  reply: 'integer',
  run(ctx, argv) { countGeneric(ctx, argv, parseScoreBound, SCORE_RANGE_NOT_FLOAT, scoreRanks); },
});

// ZLEXCOUNT key min max
export const zlexcount = defineCommand({
  name: 'zlexcount', arity: 4, flags: ['readonly', 'fast'], keys: [1, 1, 1],
  group: 'sorted-set', since: '2.8.9', summary: 'Count the number of members in a sorted set between a given lexicographical range',
  complexity: 'O(log(N)) with N being the number of elements in the sorted set.',
  keySpecs: READ, arguments: [KEY, ...MIN_MAX('string')],
  reply: 'integer',
  run(ctx, argv) { countGeneric(ctx, argv, parseLexBound, LEX_RANGE_INVALID, lexRanks); },
});

// ---------------------------------------------------------------- ranges

type RangeType = 'rank' | 'score' | 'lex';

/** A parsed range query: which ranks it selects in a given set, and how to answer them. */
interface RangeQuery {
  select(z: ZSetValue): Ranks;
  /**
   * By score: the selected members, in reply order, appended to the arrays (one descent and a
   * walk, cheaper than select's ranks then a walk from the first of them).
   */
  collect?: (z: ZSetValue, members: string[], scores: number[]) => void;
  reverse: boolean;
  withScores: boolean;
  type: RangeType;
}

/**
 * Redis's zrangeGenericCommand, steps 1 and 2: the options after `key min max` at argv[at]
 * (each of REV, BYSCORE/BYLEX at most once and only where the command leaves them open; no
 * WITHSCORES when storing; LIMIT anywhere, the last one counting), then the two bounds, given
 * max first when reversed by score or lex. Returns the query or the error to answer.
 */
function parseRange(argv: string[], at: number, store: boolean, fixedType?: RangeType, fixedReverse?: boolean): RangeQuery | string {
  let type = fixedType;
  let reverse = fixedReverse;
  let withScores = false;
  let offset = 0;
  let limit = -1;
  for (let j = at + 3; j < argv.length; j++) {
    const opt = argv[j]!.toUpperCase();
    if (!store && opt === 'WITHSCORES') {
      withScores = true;
    } else if (opt === 'LIMIT' && argv.length - j - 1 >= 2) {
      const o = parseLong(argv[j + 1]!);
      const l = parseLong(argv[j + 2]!);
      if (o === undefined || l === undefined) return NOT_INTEGER;
      offset = o;
      limit = l;
      j += 2;
    } else if (reverse === undefined && opt === 'REV') {
      reverse = true;
    } else if (type === undefined && opt === 'BYLEX') {
      type = 'lex';
    } else if (type === undefined && opt === 'BYSCORE') {
      type = 'score';
    } else {
      return SYNTAX;
    }
  }
  const t = type ?? 'rank';
  const rev = reverse ?? false;
  // Redis tests the count only: LIMIT with a count of -1 passes by rank (and is ignored).
  if (limit !== -1 && t === 'rank') return ZRANGE_LIMIT_NEEDS_BY;
  if (withScores && t === 'lex') return ZRANGE_WITHSCORES_BYLEX;
  let minArg = argv[at + 1]!;
  let maxArg = argv[at + 2]!;
  if (rev && t !== 'rank') [minArg, maxArg] = [maxArg, minArg];
  if (t === 'rank') {
    const start = parseLong(minArg);
    const stop = parseLong(maxArg);
    if (start === undefined || stop === undefined) return NOT_INTEGER;
    return { reverse: rev, withScores, type: t, select: (z) => rankWindow(z.size, start, stop, rev), collect: undefined };
  }
  if (t === 'score') {
    const min = parseScoreBound(minArg);
    const max = parseScoreBound(maxArg);
    if (min === undefined || max === undefined) return SCORE_RANGE_NOT_FLOAT;
    return {
      reverse: rev, withScores, type: t,
      select: (z) => limitWindow(scoreRanks(z, min, max), rev, offset, limit),
      collect: (z, members, scores) => z.scoreWindow(min.value, min.exclusive, max.value, max.exclusive, rev, offset, limit, members, scores),
    };
  }
  const min = parseLexBound(minArg);
  const max = parseLexBound(maxArg);
  if (min === undefined || max === undefined) return LEX_RANGE_INVALID;
  // Built whole, not by spreading a partial object: V8's spread costs ~1 µs here.
  return { reverse: rev, withScores, type: t, select: (z) => limitWindow(lexRanks(z, min, max), rev, offset, limit), collect: undefined };
}

/** ZRANGE and the older range commands: parse, then the key (missing: empty), then answer. */
function rangeGeneric(ctx: Client, argv: string[], fixedType?: RangeType, fixedReverse?: boolean): void {
  const query = parseRange(argv, 1, false, fixedType, fixedReverse);
  if (typeof query === 'string') return ctx.reply.error(query);
  const z = readZsetAt(ctx, argv[1]!);
  if (z === WRONG) return;
  if (z === undefined) return ctx.reply.array(0);
  if (query.collect !== undefined) {
    const members: string[] = [];
    const scores: number[] = [];
    query.collect(z, members, scores);
    return replyScored(ctx, members, scores, query.withScores);
  }
  replyRanks(ctx, z, query.select(z), query.reverse, query.withScores);
}

const ZRANGE_ARGUMENTS: ArgumentSpec[] = [
  { name: 'sortby', type: 'oneof', optional: true, arguments: [{ name: 'byscore', type: 'pure-token', token: 'BYSCORE' }, { name: 'bylex', type: 'pure-token', token: 'BYLEX' }] },
  { name: 'rev', type: 'pure-token', token: 'REV', optional: true },
  LIMIT_ARG,
];
const since62 = (a: ArgumentSpec): ArgumentSpec => ({ ...a, since: '6.2.0' });

// ZRANGE key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
export const zrange = defineCommand({
  name: 'zrange', arity: -4, flags: ['readonly'], keys: [1, 1, 1],
  group: 'sorted-set', since: '1.2.0', summary: 'Return a range of members in a sorted set',
  complexity: RANGE_COMPLEXITY,
  history: [['6.2.0', 'Added the `REV`, `BYSCORE`, `BYLEX` and `LIMIT` options.']],
  keySpecs: READ,
  arguments: [KEY, { name: 'start', type: 'string' }, { name: 'stop', type: 'string' }, ...ZRANGE_ARGUMENTS.map(since62), WITHSCORES_ARG],
  reply: 'array of members (WITHSCORES: RESP2 member, score ...; RESP3 [member, score] pairs)',
  run(ctx, argv) { rangeGeneric(ctx, argv); },
});

// ZRANGESTORE dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]
export const zrangestore = defineCommand({
  name: 'zrangestore', arity: -5, flags: ['write', 'denyoom'], keys: [1, 2, 1],
  group: 'sorted-set', since: '6.2.0', summary: 'Store a range of members from sorted set into another key',
  complexity: 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.',
  keySpecs: [keySpec(['OW', 'update']), keySpec(['RO', 'access'], 2)],
  arguments: [{ name: 'dst', type: 'key' }, { name: 'src', type: 'key' }, ...MIN_MAX('string'), ...ZRANGE_ARGUMENTS],
  reply: 'integer: the number of members stored',
  run(ctx, argv) {
    const query = parseRange(argv, 2, true);
    if (typeof query === 'string') return ctx.reply.error(query);
    const dstKey = argv[1]!;
    const src = readZsetAt(ctx, argv[2]!);
    if (src === WRONG) return;
    const dst = new ZSetValue();
    if (src !== undefined) {
      const limits = zsetLimits(ctx);
      const [lo, hi] = query.select(src);
      // A rank range's length is known first: Redis creates the destination in the encoding
      // that length needs; by score or lex it starts small and converts as it grows.
      if (query.type === 'rank' && hi - lo + 1 > limits.maxListpackEntries) dst.markSkiplist();
      src.each(lo, hi, query.reverse, (m, s) => dst.set(m, s, limits));
    }
    if (dst.size > 0) {
      ctx.db.set(dstKey, dst);
      notify(ctx, NOTIFY_ZSET, 'zrangestore', dstKey);
    } else if (ctx.db.deleteEntry(dstKey)) {
      // Even a destination past its time, not yet reclaimed: Redis's dbDelete, a `del` event.
      notify(ctx, NOTIFY_GENERIC, 'del', dstKey);
    }
    ctx.reply.int(dst.size);
  },
});

// ZREVRANGE key start stop [WITHSCORES]
export const zrevrange = defineCommand({
  name: 'zrevrange', arity: -4, flags: ['readonly'], keys: [1, 1, 1],
  group: 'sorted-set', since: '1.2.0', summary: 'Return a range of members in a sorted set, by index, with scores ordered from high to low',
  complexity: RANGE_COMPLEXITY, deprecatedSince: '6.2.0', replacedBy: '`ZRANGE` with the `REV` argument',
  keySpecs: READ,
  arguments: [KEY, { name: 'start', type: 'integer' }, { name: 'stop', type: 'integer' }, WITHSCORES_ARG],
  reply: 'array of members, highest score first',
  run(ctx, argv) { rangeGeneric(ctx, argv, 'rank', true); },
});

// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
export const zrangebyscore = defineCommand({
  name: 'zrangebyscore', arity: -4, flags: ['readonly'], keys: [1, 1, 1],
  group: 'sorted-set', since: '1.0.5', summary: 'Return a range of members in a sorted set, by score',
  complexity: RANGE_BY_COMPLEXITY, deprecatedSince: '6.2.0', replacedBy: '`ZRANGE` with the `BYSCORE` argument',
  history: [['2.0.0', 'Added the `WITHSCORES` modifier.']],
  keySpecs: READ,
  arguments: [KEY, ...MIN_MAX('double'), { ...WITHSCORES_ARG, since: '2.0.0' }, LIMIT_ARG],
  reply: 'array of members (WITHSCORES: with their scores)',
  run(ctx, argv) { rangeGeneric(ctx, argv, 'score', false); },
});

// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
export const zrevrangebyscore = defineCommand({
  name: 'zrevrangebyscore', arity: -4, flags: ['readonly'], keys: [1, 1, 1],
  group: 'sorted-set', since: '2.2.0', summary: 'Return a range of members in a sorted set, by score, with scores ordered from high to low',
  complexity: RANGE_BY_COMPLEXITY, deprecatedSince: '6.2.0', replacedBy: '`ZRANGE` with the `REV` and `BYSCORE` arguments',
  history: [['2.1.6', '`min` and `max` can be exclusive.']],
  keySpecs: READ,
  arguments: [KEY, ...MIN_MAX('double', true), WITHSCORES_ARG, LIMIT_ARG],
  reply: 'array of members, highest score first (WITHSCORES: with their scores)',
  run(ctx, argv) { rangeGeneric(ctx, argv, 'score', true); },
});

// ZRANGEBYLEX key min max [LIMIT offset count]
export const zrangebylex = defineCommand({
  name: 'zrangebylex', arity: -4, flags: ['readonly'], keys: [1, 1, 1],
  group: 'sorted-set', since: '2.8.9', summary: 'Return a range of members in a sorted set, by lexicographical range',
  complexity: RANGE_BY_COMPLEXITY, deprecatedSince: '6.2.0', replacedBy: '`ZRANGE` with the `BYLEX` argument',
  keySpecs: READ, arguments: [KEY, ...MIN_MAX('string'), LIMIT_ARG],
  reply: 'array of members',
  run(ctx, argv) { rangeGeneric(ctx, argv, 'lex', false); },
});

// ZREVRANGEBYLEX key max min [LIMIT offset count]
export const zrevrangebylex = defineCommand({
  name: 'zrevrangebylex', arity: -4, flags: ['readonly'], keys: [1, 1, 1],
  group: 'sorted-set', since: '2.8.9', summary: 'Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.',
  complexity: RANGE_BY_COMPLEXITY, deprecatedSince: '6.2.0', replacedBy: '`ZRANGE` with the `REV` and `BYLEX` arguments',
  keySpecs: READ, arguments: [KEY, ...MIN_MAX('string', true), LIMIT_ARG],
  reply: 'array of members, highest first',
  run(ctx, argv) { rangeGeneric(ctx, argv, 'lex', true); },
});

// ---------------------------------------------------------------- removal by range

/** ZREMRANGEBY*: the bounds are parsed before the key is looked at; a missing key removes 0. */
function removeRangeGeneric(ctx: Client, key: string, select: ((z: ZSetValue) => Ranks) | string, event: string): void {
  if (typeof select === 'string') return ctx.reply.error(select);
  const z = zsetAt(ctx, key);
  if (z === WRONG) return;
  if (z === undefined) return ctx.reply.int(0);
  ctx.reply.int(removeRanks(ctx, key, z, select(z), event));
}

function halfOpen([first, end]: [number, number]): Ranks {
  return [first, end - 1];
}

// ZREMRANGEBYRANK key start stop
export const zremrangebyrank = defineCommand({
  name: 'zremrangebyrank', arity: 4, flags: ['write'], keys: [1, 1, 1],
  group: 'sorted-set', since: '2.0.0', summary: 'Remove all members in a sorted set within the given indexes',
  complexity: REMOVE_COMPLEXITY, keySpecs: REMOVE,
  arguments: [KEY, { name: 'start', type: 'integer' }, { name: 'stop', type: 'integer' }],
  reply: 'integer: the number of members removed',
  run(ctx, argv) {
    const start = parseLong(argv[2]!);
    const stop = parseLong(argv[3]!);
    removeRangeGeneric(ctx, argv[1]!, start === undefined || stop === undefined
      ? NOT_INTEGER : (z) => rankWindow(z.size, start, stop, false), 'zremrangebyrank');
  },
});

// ZREMRANGEBYSCORE key min max
export const zremrangebyscore = defineCommand({
  name: 'zremrangebyscore', arity: 4, flags: ['write'], keys: [1, 1, 1],
  group: 'sorted-set', since: '1.2.0', summary: 'Remove all members in a sorted set within the given scores',
  complexity: REMOVE_COMPLEXITY, keySpecs: REMOVE, arguments: [KEY, ...MIN_MAX('double')],
  reply: 'integer: the number of members removed',
  run(ctx, argv) {
    const min = parseScoreBound(argv[2]!);
    const max = parseScoreBound(argv[3]!);
    removeRangeGeneric(ctx, argv[1]!, min === undefined || max === undefined
      ? SCORE_RANGE_NOT_FLOAT : (z) => halfOpen(scoreRanks(z, min, max)), 'zremrangebyscore');
  },
});

// ZREMRANGEBYLEX key min max
export const zremrangebylex = defineCommand({
  name: 'zremrangebylex', arity: 4, flags: ['write'], keys: [1, 1, 1],
  group: 'sorted-set', since: '2.8.9', summary: 'Remove all members in a sorted set between the given lexicographical range',
  complexity: REMOVE_COMPLEXITY, keySpecs: REMOVE, arguments: [KEY, ...MIN_MAX('string')],
  reply: 'integer: the number of members removed',
  run(ctx, argv) {
    const min = parseLexBound(argv[2]!);
    const max = parseLexBound(argv[3]!);
    removeRangeGeneric(ctx, argv[1]!, min === undefined || max === undefined
      ? LEX_RANGE_INVALID : (z) => halfOpen(lexRanks(z, min, max)), 'zremrangebylex');
  },
});

// ---------------------------------------------------------------- ZRANDMEMBER

const LONG_MAX_HALF = 2n ** 62n - 1n;

// ZRANDMEMBER key [count [WITHSCORES]]
export const zrandmember = defineCommand({
  name: 'zrandmember', arity: -2, flags: ['readonly'], keys: [1, 1, 1],
  group: 'sorted-set', since: '6.2.0', summary: 'Get one or multiple random elements from a sorted set',
  complexity: 'O(N) where N is the number of elements returned',
  tips: ['nondeterministic_output'], keySpecs: READ,
  arguments: [KEY, { name: 'options', type: 'block', optional: true, arguments: [{ name: 'count', type: 'integer' }, WITHSCORES_ARG] }],
  reply: 'bulk string or nil without count; else array (RESP3 WITHSCORES: [member, score] pairs)',
  run(ctx, argv) {
    const key = argv[1]!;
    if (argv.length === 2) {
      const z = readZsetAt(ctx, key);
      if (z === WRONG) return;
      if (z === undefined) return ctx.reply.null();
      return ctx.reply.bulk(z.random()[0]);
    }
    // Redis's order: the count, the option, the WITHSCORES range, then the key.
    const count = parseInt64(argv[2]!);
    if (count === undefined) return ctx.reply.error(NOT_INTEGER);
    if (count === INT64_MIN) return ctx.reply.error(LONG_OUT_OF_RANGE);
    if (argv.length > 4 || (argv.length === 4 && argv[3]!.toUpperCase() !== 'WITHSCORES')) return ctx.reply.error(SYNTAX);
    const withScores = argv.length === 4;
    if (withScores && (count < -LONG_MAX_HALF || count > LONG_MAX_HALF)) return ctx.reply.error(VALUE_OUT_OF_RANGE);
    const z = readZsetAt(ctx, key);
    if (z === WRONG) return;
    if (z === undefined || count === 0) return ctx.reply.array(0);
    if (count < 0) {
      if (count < -MAX_RANDOM_REPEATS) return ctx.reply.error(randomCountTooLarge(MAX_RANDOM_REPEATS));
      // Repeats allowed, each pick independent; streamed, never held as a list.
      const r = ctx.reply;
      const picks = -Number(count);
      const pairs = withScores && r.protocol === 3;
      r.array(withScores && !pairs ? picks * 2 : picks);
      for (let i = 0; i < picks; i++) {
        const [m, s] = z.random();
        if (pairs) r.array(2);
        r.bulk(m);
        if (withScores) r.double(s);
      }
      return;
    }
    const picked = count >= z.size ? z.slice(0, z.size - 1) : z.randomDistinct(Number(count));
    replyScored(ctx, picked.members, picked.scores, withScores);
  },
});

// ---------------------------------------------------------------- ZSCAN

// ZSCAN key cursor [MATCH pattern] [COUNT count]
export const zscan = defineCommand({
  name: 'zscan', arity: -3, flags: ['readonly'], keys: [1, 1, 1],
  group: 'sorted-set', since: '2.8.0', summary: 'Incrementally iterate sorted sets elements and associated scores',
  complexity: 'O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..',
  tips: ['nondeterministic_output'], keySpecs: READ,
  arguments: [
    KEY, { name: 'cursor', type: 'integer' },
    { name: 'pattern', type: 'pattern', token: 'MATCH', optional: true },
    { name: 'count', type: 'integer', token: 'COUNT', optional: true },
  ],
  reply: 'array: [next cursor, flat array of members and scores (bulk strings, RESP3 too)]',
  run(ctx, argv) {
    // Redis's order: the cursor, the key (missing: an empty scan, options unread), the options.
    const cursor = parseScanCursor(argv[2]!);
    if (cursor === undefined) return ctx.reply.error(INVALID_CURSOR);
    const z = readZsetAt(ctx, argv[1]!);
    if (z === WRONG) return;
    const r = ctx.reply;
    if (z === undefined) {
      r.array(2);
      r.bulk('0');
      return r.array(0);
    }
    const options = parseScanOptions(argv, 3, false);
    if (typeof options === 'string') return r.error(options);
    const { count, pattern } = options;
    let next = 0n;
    const members: string[] = [];
    const texts: string[] = [];
    if (z.isListpack) {
      // A listpack is answered whole, in order, with cursor 0, its scores as it keeps them in text.
      z.each(0, z.size - 1, false, (m, s) => { members.push(m); texts.push(listpackScoreText(s)); });
    } else {
      const batch = scanCollection(z, cursor, count);
      next = batch.next;
      for (const [m, s] of batch.entries) { members.push(m); texts.push(formatDouble(s)); }
    }
    r.array(2);
    r.bulk(next.toString());
    if (pattern === undefined) {
      r.array(members.length * 2);
      members.forEach((m, i) => { r.bulk(m); r.bulk(texts[i]!); });
      return;
    }
    const kept: number[] = [];
    members.forEach((m, i) => { if (globMatch(pattern, m)) kept.push(i); });
    r.array(kept.length * 2);
    for (const i of kept) { r.bulk(members[i]!); r.bulk(texts[i]!); }
  },
});

export const zsetCommands: Command[] = [
  zadd, zincrby, zrem, zcard, zscore, zmscore, zrank, zrevrank, zcount, zlexcount,
  zrange, zrangestore, zrevrange, zrangebyscore, zrevrangebyscore, zrangebylex, zrevrangebylex,
  zremrangebyrank, zremrangebyscore, zremrangebylex, zrandmember, zscan,
];
