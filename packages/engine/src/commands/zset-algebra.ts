import type { Client } from '../client.js';
import { defineCommand, type Command } from '../command.js';
import { parseDouble, parseInt64 } from '../args.js';
import { LIMIT_NEGATIVE, NOT_INTEGER, SYNTAX, WEIGHT_NOT_FLOAT, WRONGTYPE, atLeastOneInputKey } from '../errors.js';
import type { ArgumentSpec, KeySpec } from '../spec.js';
import { SetValue } from '../types/set.js';
import { ZSetValue } from '../types/zset.js';
import { replyScored, zsetLimits } from './zset-common.js';
import { NOTIFY_GENERIC, NOTIFY_ZSET, lookupRead, notify } from '../notify.js';

/**
 * The sorted-set algebra: ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD, as
 * Redis 7.0's zunionInterDiffGenericCommand behaves.
 *
 * Inputs are sorted sets or plain sets (each member scoring 1); a missing key is empty. The
 * order of checks is Redis's: numkeys, then every source key's type (WRONGTYPE before any
 * option is read, so no central `keyType`), then the options left to right, the first bad one
 * answering. A STORE destination may hold any type: it is replaced, its TTL dropped.
 *
 * Scores are Redis's to the last bit, which fixes the order of the floating-point work:
 * union and intersection visit the sources sorted by cardinality, smallest first (a stable
 * sort, as glibc's qsort is a merge sort), and `weight × score` that is NaN (inf × 0) becomes 0.
 * A SUM that is NaN (inf + -inf) becomes 0. ZINTER is the exception Redis makes: a later
 * source's weighted score is not cleaned, so under MIN or MAX a NaN there is ignored. ZDIFF
 * keeps the first source first and its scores unweighted.
 */

// ---------------------------------------------------------------- parsing

type Op = 'union' | 'inter' | 'diff';
type Source = ZSetValue | SetValue | undefined;

const SUM = 0;
const MIN = 1;
const MAX = 2;

interface Weighted { value: Source; size: number; weight: number }

interface Parsed {
  sources: Weighted[];
  aggregate: number;
  withScores: boolean;
  /** ZINTERCARD's LIMIT; 0: none. */
  limit: number;
}

/** What a command accepts after its keys. */
interface Mode {
  /** The name in "at least 1 input key is needed for '...'". */
  name: string;
  op: Op;
  store: boolean;
  cardinality: boolean;
}

/**
 * Reads numkeys, the source keys and the options from argv[numkeysIndex]; undefined after
 * answering an error.
 */
function parseAlgebra(ctx: Client, argv: readonly string[], numkeysIndex: number, mode: Mode): Parsed | undefined {
  const numkeys = parseInt64(argv[numkeysIndex]!);
  if (numkeys === undefined) return fail(ctx, NOT_INTEGER);
  if (numkeys < 1) return fail(ctx, atLeastOneInputKey(mode.name));
  // Checked before anything is allocated: numkeys may be up to 2^63 - 1.
  if (numkeys > argv.length - numkeysIndex - 1) return fail(ctx, SYNTAX);
  const n = Number(numkeys);

  const sources: Weighted[] = new Array<Weighted>(n);
  for (let i = 0; i < n; i++) {
    const v = lookupRead(ctx, argv[numkeysIndex + 1 + i]!);
    if (v !== undefined && !(v instanceof ZSetValue) && !(v instanceof SetValue)) return fail(ctx, WRONGTYPE);
    sources[i] = { value: v, size: v === undefined ? 0 : v.size, weight: 1 };
  }

  let aggregate = SUM;
  let withScores = false;
  let limit = 0;
  const weighted = mode.op !== 'diff' && !mode.cardinality;
  for (let j = numkeysIndex + 1 + n; j < argv.length;) {
    const remaining = argv.length - j;
    const option = argv[j]!.toUpperCase();
    if (weighted && remaining >= n + 1 && option === 'WEIGHTS') {
      j++;
      for (let i = 0; i < n; i++, j++) {
        const w = parseDouble(argv[j]!);
        if (w === undefined) return fail(ctx, WEIGHT_NOT_FLOAT);
        sources[i]!.weight = w;
      }
    } else if (weighted && remaining >= 2 && option === 'AGGREGATE') {
      const how = argv[j + 1]!.toUpperCase();
      if (how === 'SUM') aggregate = SUM;
      else if (how === 'MIN') aggregate = MIN;
      else if (how === 'MAX') aggregate = MAX;
      else return fail(ctx, SYNTAX);
      j += 2;
    } else if (!mode.store && !mode.cardinality && option === 'WITHSCORES') {
      withScores = true;
      j++;
    } else if (mode.cardinality && remaining >= 2 && option === 'LIMIT') {
      const l = parseInt64(argv[j + 1]!);
      if (l === undefined || l < 0) return fail(ctx, LIMIT_NEGATIVE);
      limit = typeof l === 'bigint' ? 0 : l; // beyond any set's size: no limit
      j += 2;
    } else {
      return fail(ctx, SYNTAX);
    }
  }
  return { sources, aggregate, withScores, limit };
}

function fail(ctx: Client, message: string): undefined {
  ctx.reply.error(message);
  return undefined;
}

// ---------------------------------------------------------------- the algebra

/** The members and scores of a result, in no particular order unless `sorted`. */
interface Result { members: string[]; scores: number[]; sorted: boolean }

/** Calls fn for each member of a source with its score (1 for a plain set's members). */
function forEachScored(source: Source, fn: (member: string, score: number) => void): void {
  if (source === undefined) return;
  if (source instanceof ZSetValue) {
    for (const [m, s] of source.scanMap) fn(m, s);
    return;
  }
  source.forEach((m) => { fn(m, 1); });
}

/** A member's score in a source, undefined when absent. */
function scoreIn(source: Source, member: string): number | undefined {
  if (source === undefined) return undefined;
  if (source instanceof ZSetValue) return source.score(member);
  return source.has(member) ? 1 : undefined;
}

/** Smallest first, stable (glibc's qsort, a merge sort here, keeps equal sizes in key order). */
function bySize(sources: readonly Weighted[]): Weighted[] {
  return sources.slice().sort((a, b) => a.size - b.size);
}

/** Redis's zunionInterAggregate. */
function aggregateInto(target: number, value: number, aggregate: number): number {
  if (aggregate === SUM) {
    const sum = target + value;
    return sum === sum ? sum : 0; // inf + -inf: Redis's convention is 0
  }
  if (aggregate === MIN) return value < target ? value : target;
  return value > target ? value : target;
}

function union(sources: readonly Weighted[], aggregate: number): Result {
  const acc = new Map<string, number>();
  for (const src of bySize(sources)) {
    if (src.size === 0) continue;
    const w = src.weight;
    forEachScored(src.value, (m, s) => {
      let score = w * s;
      if (score !== score) score = 0; // inf × 0
      const old = acc.get(m);
      acc.set(m, old === undefined ? score : aggregateInto(old, score, aggregate));
    });
  }
  const members: string[] = [];
  const scores: number[] = [];
  for (const [m, s] of acc) { members.push(m); scores.push(s); }
  return { members, scores, sorted: false };
}

/**
 * Iterates the smallest source and looks each member up in the others (O(N × K)); calls fn
 * with each member of the intersection and its score; stops when fn returns false.
 */
function forEachInIntersection(
  sources: readonly Weighted[], aggregate: number, fn: (member: string, score: number) => boolean | void,
): void {
  const ordered = bySize(sources);
  const first = ordered[0]!;
  if (first.size === 0) return;
  const w0 = first.weight;
  const source = first.value!;
  const visit = (m: string, s: number): boolean => {
    let score = w0 * s;
    if (score !== score) score = 0;
    for (let j = 1; j < ordered.length; j++) {
      const other = ordered[j]!;
      const found = scoreIn(other.value, m);
      if (found === undefined) return true;
      // Not cleaned of NaN, unlike the first source's: MIN and MAX then keep `score`.
      score = aggregateInto(score, found * other.weight, aggregate);
    }
    return fn(m, score) !== false;
  };
  if (source instanceof ZSetValue) {
    for (const [m, s] of source.scanMap) if (!visit(m, s)) return;
  } else {
    source.forEach((m) => visit(m, 1));
  }
}

function intersection(sources: readonly Weighted[], aggregate: number): Result {
  const members: string[] = [];
  const scores: number[] = [];
  forEachInIntersection(sources, aggregate, (m, s) => { members.push(m); scores.push(s); });
  return { members, scores, sorted: false };
}

/**
 * The first source's members that are in none of the others, with their scores, by Redis's
 * choice of method:
 * 1. look each member of the first source up in the others (the largest first): work about
 *    |first| × sources / 2;
 * 2. copy the first source and remove the members of the others: work about the sum of sizes.
 * Both walk a sorted set in order, so the result of one is sorted.
 */
function difference(sources: readonly Weighted[]): Result {
  const members: string[] = [];
  const scores: number[] = [];
  const first = sources[0]!;
  const result: Result = { members, scores, sorted: first.value instanceof ZSetValue };
  if (first.size === 0) return result;
  let workOne = 0;
  let workTwo = 0;
  for (let j = 0; j < sources.length; j++) {
    // The first source given again: nothing is left.
    if (j > 0 && sources[j]!.value === first.value) return result;
    workOne += first.size;
    workTwo += sources[j]!.size;
  }
  const inOrder = (fn: (m: string, s: number) => void): void => {
    const v = first.value!;
    if (v instanceof ZSetValue) v.each(0, v.size - 1, false, fn);
    else v.forEach((m) => { fn(m, 1); });
  };
  if (Math.floor(workOne / 2) <= workTwo) {
    const others = sources.slice(1).filter((s) => s.size > 0).sort((a, b) => b.size - a.size);
    inOrder((m, s) => {
      for (const o of others) if (scoreIn(o.value, m) !== undefined) return;
      members.push(m);
      scores.push(s);
    });
    return result;
  }
  // A Map keeps insertion order through deletions: the survivors stay in the first's order.
  const left = new Map<string, number>();
  inOrder((m, s) => { left.set(m, s); });
  for (let j = 1; j < sources.length && left.size > 0; j++) {
    forEachScored(sources[j]!.value, (m) => { left.delete(m); });
  }
  for (const [m, s] of left) { members.push(m); scores.push(s); }
  return result;
}

function compute(op: Op, parsed: Parsed): Result {
  if (op === 'union') return union(parsed.sources, parsed.aggregate);
  if (op === 'inter') return intersection(parsed.sources, parsed.aggregate);
  return difference(parsed.sources);
}

// ---------------------------------------------------------------- replies

/** Orders a result by score, then member bytes (latin1 code units compare as bytes). */
function sortResult(r: Result): void {
  if (r.sorted) return;
  const { members, scores } = r;
  const n = members.length;
  const order = new Array<number>(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => {
    const sa = scores[a]!;
    const sb = scores[b]!;
    if (sa !== sb) return sa < sb ? -1 : 1;
    const ma = members[a]!;
    const mb = members[b]!;
    return ma < mb ? -1 : ma > mb ? 1 : 0;
  });
  const m2 = new Array<string>(n);
  const s2 = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const k = order[i]!;
    m2[i] = members[k]!;
    s2[i] = scores[k]!;
  }
  r.members = m2;
  r.scores = s2;
  r.sorted = true;
}

/** ZUNION, ZINTER, ZDIFF: the result in order, with scores when asked. */
function algebraReply(ctx: Client, argv: string[], mode: Mode): void {
  const parsed = parseAlgebra(ctx, argv, 1, mode);
  if (parsed === undefined) return;
  const result = compute(mode.op, parsed);
  sortResult(result);
  replyScored(ctx, result.members, result.scores, parsed.withScores);
}

/**
 * The STORE forms: the result replaces the destination, whatever it held (TTL dropped); an
 * empty result deletes it. The encoding is picked from the final size, as Redis does.
 */
function algebraStore(ctx: Client, argv: string[], mode: Mode): void {
  const parsed = parseAlgebra(ctx, argv, 2, mode);
  if (parsed === undefined) return;
  const result = compute(mode.op, parsed);
  const { members, scores } = result;
  const dstKey = argv[1]!;
  if (members.length === 0) {
    // Even a destination past its time, not yet reclaimed: Redis's dbDelete, a `del` event.
    if (ctx.db.deleteEntry(dstKey)) notify(ctx, NOTIFY_GENERIC, 'del', dstKey);
    return ctx.reply.int(0);
  }
  const limits = zsetLimits(ctx);
  let listpack = members.length <= limits.maxListpackEntries;
  for (let i = 0; i < members.length && listpack; i++) listpack = members[i]!.length <= limits.maxListpackValue;
  // A listpack keeps scores as text, where Redis 7.0 writes -0 as "0": the sign is lost.
  if (listpack) for (let i = 0; i < scores.length; i++) if (scores[i] === 0) scores[i] = 0;
  sortResult(result);
  const zset = ZSetValue.fromSorted(result.members, result.scores);
  zset.fitEncoding(limits);
  ctx.db.set(dstKey, zset);
  notify(ctx, NOTIFY_ZSET, mode.name, dstKey);
  ctx.reply.int(zset.size);
}

// ---------------------------------------------------------------- specs

const NUMKEYS: ArgumentSpec = { name: 'numkeys', type: 'integer' };
const KEYS: ArgumentSpec = { name: 'key', type: 'key', multiple: true };
const DESTINATION: ArgumentSpec = { name: 'destination', type: 'key' };
// Redis's own docs type the weights as integers, though they are floats.
const WEIGHTS: ArgumentSpec = { name: 'weight', type: 'integer', token: 'WEIGHTS', optional: true, multiple: true };
const AGGREGATE: ArgumentSpec = {
  name: 'aggregate', type: 'oneof', token: 'AGGREGATE', optional: true,
  arguments: [
    { name: 'sum', type: 'pure-token', token: 'SUM' },
    { name: 'min', type: 'pure-token', token: 'MIN' },
    { name: 'max', type: 'pure-token', token: 'MAX' },
  ],
};
const WITHSCORES: ArgumentSpec = { name: 'withscores', type: 'pure-token', token: 'WITHSCORES', optional: true };

/** The source keys: `numkeys` at argv[index], the keys right after it. */
const sourcesSpec = (index: number): KeySpec => ({
  flags: ['RO', 'access'], beginSearch: { index }, findKeys: { keyNumIdx: 0, firstKey: 1, keyStep: 1 },
});
const STORE_KEY_SPECS: KeySpec[] = [
  { flags: ['OW', 'update'], beginSearch: { index: 1 }, findKeys: { lastKey: 0, keyStep: 1, limit: 0 } },
  sourcesSpec(2),
];

const UNION_COMPLEXITY = 'O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.';
const INTER_COMPLEXITY = 'O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.';
const DIFF_COMPLEXITY = 'O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.';

// ZUNION numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX] [WITHSCORES]
export const zunion = defineCommand({
  name: 'zunion', arity: -3, flags: ['readonly', 'movablekeys'], keys: [0, 0, 0],
  group: 'sorted-set', since: '6.2.0', summary: 'Add multiple sorted sets', complexity: UNION_COMPLEXITY,
  keySpecs: [sourcesSpec(1)],
  arguments: [NUMKEYS, KEYS, WEIGHTS, AGGREGATE, WITHSCORES],
  reply: 'array: the union by score, with scores when asked',
  run(ctx, argv) { algebraReply(ctx, argv, { name: 'zunion', op: 'union', store: false, cardinality: false }); },
});

// ZINTER numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX] [WITHSCORES]
export const zinter = defineCommand({
  name: 'zinter', arity: -3, flags: ['readonly', 'movablekeys'], keys: [0, 0, 0],
  group: 'sorted-set', since: '6.2.0', summary: 'Intersect multiple sorted sets', complexity: INTER_COMPLEXITY,
  keySpecs: [sourcesSpec(1)],
  arguments: [NUMKEYS, KEYS, WEIGHTS, AGGREGATE, WITHSCORES],
  reply: 'array: the intersection by score, with scores when asked',
  run(ctx, argv) { algebraReply(ctx, argv, { name: 'zinter', op: 'inter', store: false, cardinality: false }); },
});

// ZDIFF numkeys key [key ...] [WITHSCORES]
export const zdiff = defineCommand({
  name: 'zdiff', arity: -3, flags: ['readonly', 'movablekeys'], keys: [0, 0, 0],
  group: 'sorted-set', since: '6.2.0', summary: 'Subtract multiple sorted sets', complexity: DIFF_COMPLEXITY,
  keySpecs: [sourcesSpec(1)],
  arguments: [NUMKEYS, KEYS, WITHSCORES],
  reply: 'array: the first set\'s members in none of the others, by score, with scores when asked',
  run(ctx, argv) { algebraReply(ctx, argv, { name: 'zdiff', op: 'diff', store: false, cardinality: false }); },
});

// ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX]
export const zunionstore = defineCommand({
  name: 'zunionstore', arity: -4, flags: ['write', 'denyoom', 'movablekeys'], keys: [1, 1, 1],
  group: 'sorted-set', since: '2.0.0', summary: 'Add multiple sorted sets and store the resulting sorted set in a new key',
  complexity: 'O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.',
  keySpecs: STORE_KEY_SPECS,
  arguments: [DESTINATION, NUMKEYS, KEYS, WEIGHTS, AGGREGATE],
  reply: 'integer: the size of the stored sorted set',
  run(ctx, argv) { algebraStore(ctx, argv, { name: 'zunionstore', op: 'union', store: true, cardinality: false }); },
});

// ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX]
export const zinterstore = defineCommand({
  name: 'zinterstore', arity: -4, flags: ['write', 'denyoom', 'movablekeys'], keys: [1, 1, 1],
  group: 'sorted-set', since: '2.0.0', summary: 'Intersect multiple sorted sets and store the resulting sorted set in a new key',
  complexity: INTER_COMPLEXITY,
  keySpecs: STORE_KEY_SPECS,
  arguments: [DESTINATION, NUMKEYS, KEYS, WEIGHTS, AGGREGATE],
  reply: 'integer: the size of the stored sorted set',
  run(ctx, argv) { algebraStore(ctx, argv, { name: 'zinterstore', op: 'inter', store: true, cardinality: false }); },
});

// ZDIFFSTORE destination numkeys key [key ...]
export const zdiffstore = defineCommand({
  name: 'zdiffstore', arity: -4, flags: ['write', 'denyoom', 'movablekeys'], keys: [1, 1, 1],
  group: 'sorted-set', since: '6.2.0', summary: 'Subtract multiple sorted sets and store the resulting sorted set in a new key',
  complexity: DIFF_COMPLEXITY,
  keySpecs: STORE_KEY_SPECS,
  arguments: [DESTINATION, NUMKEYS, KEYS],
  reply: 'integer: the size of the stored sorted set',
  run(ctx, argv) { algebraStore(ctx, argv, { name: 'zdiffstore', op: 'diff', store: true, cardinality: false }); },
});

// ZINTERCARD numkeys key [key ...] [LIMIT limit]
export const zintercard = defineCommand({
  name: 'zintercard', arity: -3, flags: ['readonly', 'movablekeys'], keys: [0, 0, 0],
  group: 'sorted-set', since: '7.0.0', summary: 'Intersect multiple sorted sets and return the cardinality of the result',
  complexity: 'O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.',
  keySpecs: [sourcesSpec(1)],
  arguments: [NUMKEYS, KEYS, { name: 'limit', type: 'integer', token: 'LIMIT', optional: true }],
  reply: 'integer: the intersection\'s cardinality, at most LIMIT when given',
  run(ctx, argv) {
    const mode: Mode = { name: 'zintercard', op: 'inter', store: false, cardinality: true };
    const parsed = parseAlgebra(ctx, argv, 1, mode);
    if (parsed === undefined) return;
    let count = 0;
    const limit = parsed.limit;
    forEachInIntersection(parsed.sources, SUM, () => ++count !== limit);
    ctx.reply.int(count);
  },
});

export const zsetAlgebraCommands: Command[] = [
  zunion, zinter, zdiff, zunionstore, zinterstore, zdiffstore, zintercard,
];
