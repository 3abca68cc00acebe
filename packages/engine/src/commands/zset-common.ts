import type { Client } from '../client.js';
import { ZSetValue, type ZSetLimits } from '../types/zset.js';
import { outOfRangeDouble, parseDouble } from '../args.js';
import { WRONGTYPE } from '../errors.js';
import { formatDouble } from '../reply.js';

/**
 * What the sorted-set command files share (zset.ts: members, ranges; zset-pop.ts: the pops;
 * zset-algebra.ts: ZUNION/ZINTER/ZDIFF and their STORE forms): the encoding limits, the
 * lookups and the reply shapes of scored members.
 */

/** zset-max-listpack-entries / -value, read per command (CONFIG SET applies at once). */
export function zsetLimits(ctx: Client): ZSetLimits {
  const config = ctx.engine.config;
  return {
    maxListpackEntries: config.getNumber('zset-max-listpack-entries'),
    maxListpackValue: config.getNumber('zset-max-listpack-value'),
  };
}

/** The sorted set at `key`, undefined when missing; the central keyType check has run. */
export function lookupZset(ctx: Client, key: string): ZSetValue | undefined {
  return ctx.db.lookup(key) as ZSetValue | undefined;
}

export const WRONG = Symbol('wrongtype');

/**
 * The key's sorted set, undefined when missing; WRONGTYPE (answered here) for another type:
 * for the commands that parse their arguments before looking at the key (no central keyType).
 */
export function zsetAt(ctx: Client, key: string): ZSetValue | undefined | typeof WRONG {
  const v = ctx.db.lookup(key);
  if (v === undefined || v instanceof ZSetValue) return v;
  ctx.reply.error(WRONGTYPE);
  return WRONG;
}

/**
 * Members, with their scores when asked, as ZRANGE answers: RESP2 a flat array
 * [member, score, member, score ...] with scores as bulk strings; RESP3 an array of
 * [member, double] pairs. Without scores, an array of members.
 */
export function replyScored(ctx: Client, members: readonly string[], scores: readonly number[], withScores: boolean): void {
  const r = ctx.reply;
  // Touch every member first: independent loads in a tight loop, so the cache misses on
  // members scattered over a big heap overlap instead of queueing one behind each write
  // (measured ≈ 1 µs saved on 10 members of a 1M-member set).
  // (The sum is used below, in a test that never holds, so the loop is not optimised away.)
  let bytes = 0;
  for (let i = 0; i < members.length; i++) bytes += members[i]!.length;
  if (bytes < 0) return;
  if (!withScores) {
    r.array(members.length);
    for (const m of members) r.bulk(m);
    return;
  }
  if (r.protocol === 3) {
    r.array(members.length);
    for (let i = 0; i < members.length; i++) {
      r.array(2);
      r.bulk(members[i]!);
      r.double(scores[i]!);
    }
    return;
  }
  r.array(members.length * 2);
  for (let i = 0; i < members.length; i++) {
    r.bulk(members[i]!);
    r.double(scores[i]!);
  }
}

// ---------------------------------------------------------------- range bounds (zset.ts)

/** A score bound of ZRANGEBYSCORE, ZCOUNT, ZREMRANGEBYSCORE ...: `(` makes it exclusive. */
export interface ScoreBound { value: number; exclusive: boolean }

/**
 * A score bound as Redis's zslParseRange reads it, which is laxer than a score: a bare strtod
 * over a C string. So leading white space is skipped, a NUL byte ends the argument, out-of-range
 * values are taken as strtod returns them (`1e400` is inf, `1e-400` is 0), and an empty
 * argument (or a lone `(`) converts nothing and is 0. NaN is refused. Undefined when invalid
 * (`ERR min or max is not a float`).
 */
export function parseScoreBound(arg: string): ScoreBound | undefined {
  const nul = arg.indexOf('\0');
  let s = nul === -1 ? arg : arg.slice(0, nul);
  const exclusive = s.charCodeAt(0) === 40; /* ( */
  if (exclusive) s = s.slice(1);
  if (s.length === 0) return { value: 0, exclusive };
  const t = s.replace(/^[ \t\n\v\f\r]+/, '');
  // Nothing but white space: strtod converts nothing and leaves the end at the first space.
  if (t.length === 0) return undefined;
  const value = parseDouble(t) ?? outOfRangeDouble(t);
  return value === undefined ? undefined : { value, exclusive };
}

/** A lex bound of ZRANGEBYLEX, ZLEXCOUNT ...: `-` (before everything), `+` (after), or a member. */
export type LexBound = '-' | '+' | { value: string; exclusive: boolean };

/**
 * zslParseLexRangeItem: `[member` inclusive, `(member` exclusive, `-` or `+` alone (checked as
 * a C string: a NUL after the sign still counts as its end). Undefined when invalid
 * (`ERR min or max not valid string range item`).
 */
export function parseLexBound(arg: string): LexBound | undefined {
  const c = arg.charCodeAt(0);
  if (c === 43 /* + */ || c === 45 /* - */) {
    if (arg.length > 1 && arg.charCodeAt(1) !== 0) return undefined;
    return c === 43 ? '+' : '-';
  }
  if (c === 40 /* ( */ || c === 91 /* [ */) return { value: arg.slice(1), exclusive: c === 40 };
  return undefined;
}

/** Ranks [first, end) of the members between two score bounds. */
export function scoreRanks(z: ZSetValue, min: ScoreBound, max: ScoreBound): [number, number] {
  return z.scoreRange(min.value, min.exclusive, max.value, max.exclusive);
}

/**
 * Ranks [first, end) of the members between two lex bounds (meaningful when all scores are
 * equal). `+` as the minimum or `-` as the maximum selects nothing.
 */
export function lexRanks(z: ZSetValue, min: LexBound, max: LexBound): [number, number] {
  if (min === '+' || max === '-') return [0, 0];
  return z.lexRange(
    min === '-' ? undefined : min.value, min !== '-' && min.exclusive,
    max === '+' ? undefined : max.value, max !== '+' && max.exclusive,
  );
}

/**
 * A score as a listpack holds it in text (Redis 7.0's d2string), which is what ZSCAN answers
 * for a listpack: an integer in [-2^62, 2^62] in plain digits (1e18 is "1000000000000000000",
 * -0 is "0"), inf as `inf`, anything else as %.17g.
 */
export function listpackScoreText(score: number): string {
  if (Number.isInteger(score) && score >= -(2 ** 62) && score <= 2 ** 62) return BigInt(score).toString();
  return formatDouble(score);
}
