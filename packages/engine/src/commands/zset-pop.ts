import type { Client } from '../client.js';
import { defineCommand, type Command } from '../command.js';
import { parseInt64 } from '../args.js';
import { mayBlock, parseTimeout } from '../blocking.js';
import { SYNTAX, VALUE_MUST_BE_POSITIVE } from '../errors.js';
import { type ArgumentSpec, keySpec } from '../spec.js';
import { ZSetValue } from '../types/zset.js';
import { mpopArgumentSpecs, mpopKeySpec, parseMpopArguments } from './mpop.js';
import { WRONG, replyScored, zsetAt } from './zset-common.js';
import { NOTIFY_GENERIC, NOTIFY_ZSET, notify } from '../notify.js';
import { NO_ARGV } from './generic.js';

/**
 * The sorted-set pops: ZPOPMIN, ZPOPMAX, ZMPOP and the blocking BZPOPMIN, BZPOPMAX, BZMPOP
 * (on top of blocking.ts). Popping m members costs m descents of the tree (types/zset.ts);
 * popping a whole set deletes the key instead. Every command here parses its arguments before
 * looking at a key, so the type is checked in the handler, not centrally.
 */

// ---------------------------------------------------------------- spec helpers

const KEY: ArgumentSpec = { name: 'key', type: 'key' };
const WHERE_ARG: ArgumentSpec = {
  name: 'where', type: 'oneof', arguments: [
    { name: 'min', type: 'pure-token', token: 'MIN' }, { name: 'max', type: 'pure-token', token: 'MAX' },
  ],
};
const MPOP_ARGUMENTS = mpopArgumentSpecs(WHERE_ARG);
const TIMEOUT_ARG: ArgumentSpec = { name: 'timeout', type: 'double' };

const POP = [keySpec(['RW', 'access', 'delete'])];

const POP_COMPLEXITY = 'O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.';
const MPOP_COMPLEXITY = 'O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.';

// ---------------------------------------------------------------- pops

/**
 * Removes up to `count` members from the low (or high) end of a non-empty set, lowest (or
 * highest) first, deleting the key when it empties; the keyspace events zpopmin / zpopmax,
 * then `del` for an emptied set, as Redis 7.0 (blocked clients served later too).
 */
function popMembers(ctx: Client, key: string, z: ZSetValue, max: boolean, count: number): { members: string[]; scores: number[] } {
  const size = z.size;
  const n = Math.min(count, size);
  const popped = max ? z.slice(size - n, size - 1, true) : z.slice(0, n - 1);
  notify(ctx, NOTIFY_ZSET, max ? 'zpopmax' : 'zpopmin', key);
  if (n === size) {
    ctx.db.delete(key);
    notify(ctx, NOTIFY_GENERIC, 'del', key);
  } else {
    for (const m of popped.members) z.delete(m);
    ctx.db.host.onKeyModified(ctx.db, key);
  }
  return popped;
}

/** [key, [[member, score] ...]]: ZMPOP's and BZMPOP's shape, nested pairs in RESP2 too. */
function replyKeyAndPairs(ctx: Client, key: string, popped: { members: string[]; scores: number[] }): void {
  const r = ctx.reply;
  r.array(2);
  r.bulk(key);
  r.array(popped.members.length);
  popped.members.forEach((m, i) => { r.array(2); r.bulk(m); r.double(popped.scores[i]!); });
}

/** [key, member, score]: BZPOPMIN's and BZPOPMAX's shape. */
function replyKeyMemberScore(ctx: Client, key: string, popped: { members: string[]; scores: number[] }): void {
  ctx.reply.array(3);
  ctx.reply.bulk(key);
  ctx.reply.bulk(popped.members[0]!);
  ctx.reply.double(popped.scores[0]!);
}

function zpopGeneric(ctx: Client, argv: string[], max: boolean): void {
  if (argv.length > 3) return ctx.reply.error(SYNTAX);
  const hasCount = argv.length === 3;
  let count = 1;
  if (hasCount) {
    const n = parseInt64(argv[2]!);
    if (n === undefined || n < 0) return ctx.reply.error(VALUE_MUST_BE_POSITIVE);
    count = typeof n === 'bigint' ? Number.MAX_SAFE_INTEGER : n; // beyond any set's size
  }
  const key = argv[1]!;
  const z = zsetAt(ctx, key);
  if (z === WRONG) return;
  if (z === undefined || count === 0) return ctx.reply.array(0);
  const popped = popMembers(ctx, key, z, max, count);
  if (hasCount || ctx.reply.protocol === 2) return replyScored(ctx, popped.members, popped.scores, true);
  // RESP3 without a count: the one pair flat, [member, score], not nested.
  ctx.reply.array(2);
  ctx.reply.bulk(popped.members[0]!);
  ctx.reply.double(popped.scores[0]!);
}

// ZPOPMIN key [count]
export const zpopmin = defineCommand({
  name: 'zpopmin', arity: -2, flags: ['write', 'fast'], keys: [1, 1, 1],
  group: 'sorted-set', since: '5.0.0', summary: 'Remove and return members with the lowest scores in a sorted set',
  complexity: POP_COMPLEXITY, keySpecs: POP,
  arguments: [KEY, { name: 'count', type: 'integer', optional: true }],
  reply: 'array: member, score ... (RESP3 with count: [member, score] pairs)',
  run(ctx, argv) { zpopGeneric(ctx, argv, false); },
});

// ZPOPMAX key [count]
export const zpopmax = defineCommand({
  name: 'zpopmax', arity: -2, flags: ['write', 'fast'], keys: [1, 1, 1],
  group: 'sorted-set', since: '5.0.0', summary: 'Remove and return members with the highest scores in a sorted set',
  complexity: POP_COMPLEXITY, keySpecs: POP,
  arguments: [KEY, { name: 'count', type: 'integer', optional: true }],
  reply: 'array: member, score ... (RESP3 with count: [member, score] pairs)',
  run(ctx, argv) { zpopGeneric(ctx, argv, true); },
});

/** MIN | MAX, case-insensitive: true for MAX; undefined for anything else. */
function parseMax(arg: string): boolean | undefined {
  const where = arg.toUpperCase();
  if (where === 'MAX') return true;
  return where === 'MIN' ? false : undefined;
}

type PopReply = (ctx: Client, key: string, popped: { members: string[]; scores: number[] }) => void;

/**
 * Pops up to `count` members of the set at `key`, answers with `reply` and logs what it did on
 * that key: BZPOPMIN/BZPOPMAX as ZPOPMIN/ZPOPMAX key, ZMPOP/BZMPOP as ZMPOP 1 key MIN|MAX COUNT n.
 * A blocking pop served later runs outside any command (blocking.ts), so only this record
 * reaches the log; and a replay must neither block nor pick another key.
 */
function popAndReply(ctx: Client, key: string, z: ZSetValue, max: boolean, count: number, reply: PopReply): void {
  const popped = popMembers(ctx, key, z, max, count);
  ctx.engine.propagate(ctx.db, ctx.engine.propagator === undefined ? NO_ARGV
    : reply === replyKeyMemberScore ? [max ? 'ZPOPMAX' : 'ZPOPMIN', key]
    : ['ZMPOP', '1', key, max ? 'MAX' : 'MIN', 'COUNT', String(popped.members.length)]);
  reply(ctx, key, popped);
}

/**
 * Pops from the first non-empty set among keys, in argument order, and answers; a key of
 * another type met on the way answers WRONGTYPE. False (nothing answered) when all are missing.
 */
function popFirstNonEmpty(ctx: Client, keys: readonly string[], max: boolean, count: number, reply: PopReply): boolean {
  for (const key of keys) {
    const z = zsetAt(ctx, key);
    if (z === WRONG) return true;
    if (z === undefined) continue;
    popAndReply(ctx, key, z, max, count, reply);
    return true;
  }
  return false;
}

// ZMPOP numkeys key [key ...] MIN | MAX [COUNT count]
export const zmpop = defineCommand({
  name: 'zmpop', arity: -4, flags: ['write', 'movablekeys'], keys: [0, 0, 0],
  group: 'sorted-set', since: '7.0.0', summary: 'Remove and return members with scores in a sorted set',
  complexity: MPOP_COMPLEXITY, keySpecs: [mpopKeySpec(1)], arguments: MPOP_ARGUMENTS,
  reply: 'array [key, [[member, score] ...]], or a null array when every set is empty',
  run(ctx, argv) {
    const args = parseMpopArguments(argv, 1, parseMax);
    if (typeof args === 'string') return ctx.reply.error(args);
    if (!popFirstNonEmpty(ctx, args.keys, args.where, args.count, replyKeyAndPairs)) ctx.reply.nullArray();
  },
});

/**
 * BZPOPMIN, BZPOPMAX, BZMPOP: serve at once from the first non-empty key, else block. A client
 * woken by a key is served from that key, as Redis 7.0 does; a key that now holds another type
 * leaves it waiting.
 */
function blockingPop(ctx: Client, keys: readonly string[], max: boolean, count: number, reply: PopReply, deadline: number): void {
  if (popFirstNonEmpty(ctx, keys, max, count, reply)) return;
  if (!mayBlock(ctx)) return ctx.reply.nullArray();
  ctx.engine.blocking.block(ctx, {
    keys,
    deadline,
    tryServe(ready: string) {
      const z = ctx.db.lookup(ready);
      if (!(z instanceof ZSetValue)) return false;
      popAndReply(ctx, ready, z, max, count, reply);
      return true;
    },
    onTimeout() { ctx.reply.nullArray(); },
  });
}

function bzpopGeneric(ctx: Client, argv: string[], max: boolean): void {
  const deadline = parseTimeout(argv[argv.length - 1]!, ctx.engine.time);
  if (typeof deadline === 'string') return ctx.reply.error(deadline);
  blockingPop(ctx, argv.slice(1, -1), max, 1, replyKeyMemberScore, deadline);
}

const BZPOP_HISTORY: [string, string][] = [['6.0.0', '`timeout` is interpreted as a double instead of an integer.']];

// BZPOPMIN key [key ...] timeout
export const bzpopmin = defineCommand({
  name: 'bzpopmin', arity: -3, flags: ['write', 'noscript', 'blocking', 'fast'], keys: [1, -2, 1],
  group: 'sorted-set', since: '5.0.0', summary: 'Remove and return the member with the lowest score from one or more sorted sets, or block until one is available',
  complexity: 'O(log(N)) with N being the number of elements in the sorted set.', history: BZPOP_HISTORY,
  keySpecs: [keySpec(['RW', 'access', 'delete'], 1, -2)],
  arguments: [{ name: 'key', type: 'key', multiple: true }, TIMEOUT_ARG],
  reply: 'array [key, member, score], or a null array on timeout',
  run(ctx, argv) { bzpopGeneric(ctx, argv, false); },
});

// BZPOPMAX key [key ...] timeout
export const bzpopmax = defineCommand({
  name: 'bzpopmax', arity: -3, flags: ['write', 'noscript', 'blocking', 'fast'], keys: [1, -2, 1],
  group: 'sorted-set', since: '5.0.0', summary: 'Remove and return the member with the highest score from one or more sorted sets, or block until one is available',
  complexity: 'O(log(N)) with N being the number of elements in the sorted set.', history: BZPOP_HISTORY,
  keySpecs: [keySpec(['RW', 'access', 'delete'], 1, -2)],
  arguments: [{ name: 'key', type: 'key', multiple: true }, TIMEOUT_ARG],
  reply: 'array [key, member, score], or a null array on timeout',
  run(ctx, argv) { bzpopGeneric(ctx, argv, true); },
});

// BZMPOP timeout numkeys key [key ...] MIN | MAX [COUNT count]
export const bzmpop = defineCommand({
  name: 'bzmpop', arity: -5, flags: ['write', 'blocking', 'movablekeys'], keys: [0, 0, 0],
  group: 'sorted-set', since: '7.0.0', summary: 'Remove and return members with scores in a sorted set or block until one is available',
  complexity: MPOP_COMPLEXITY, keySpecs: [mpopKeySpec(2)], arguments: [TIMEOUT_ARG, ...MPOP_ARGUMENTS],
  reply: 'array [key, [[member, score] ...]], or a null array on timeout',
  run(ctx, argv) {
    // Redis parses numkeys, the direction and COUNT before the timeout.
    const args = parseMpopArguments(argv, 2, parseMax);
    if (typeof args === 'string') return ctx.reply.error(args);
    const deadline = parseTimeout(argv[1]!, ctx.engine.time);
    if (typeof deadline === 'string') return ctx.reply.error(deadline);
    blockingPop(ctx, args.keys, args.where, args.count, replyKeyAndPairs, deadline);
  },
});

export const zsetPopCommands: Command[] = [zpopmin, zpopmax, zmpop, bzpopmin, bzpopmax, bzmpop];
