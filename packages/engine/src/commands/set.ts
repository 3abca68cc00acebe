import type { Client } from '../client.js';
import { defineCommand, type Command } from '../command.js';
import { INT64_MIN, parseInt64 } from '../args.js';
import {
  INVALID_CURSOR, LIMIT_NEGATIVE, LONG_OUT_OF_RANGE, NOT_INTEGER, NUMKEYS_NOT_POSITIVE,
  NUMKEYS_TOO_MANY, SYNTAX, VALUE_MUST_BE_POSITIVE, WRONGTYPE, randomCountTooLarge, setTooLarge,
} from '../errors.js';
import { globMatch } from '../glob.js';
import { typeOf, type Value } from '../keyspace.js';
import { parseScanCursor, parseScanOptions } from '../scan.js';
import { type ArgumentSpec, type KeySpec, keySpec } from '../spec.js';
import { NO_ARGV } from './generic.js';
import { NOTIFY_GENERIC, NOTIFY_SET, lookupRead, notify } from '../notify.js';
import {
  MAX_SET_MEMBERS, SetTooLargeError, SetValue, difference, forEachInIntersection, intersection,
  intersectionSize, union,
} from '../types/set.js';

/**
 * The set family: SADD/SREM and membership, SPOP/SRANDMEMBER, SMOVE, the set algebra
 * (SINTER/SUNION/SDIFF, their STORE forms, SINTERCARD) and SSCAN. The data structure and the
 * algebra live in types/set.ts.
 *
 * Error order follows Redis 7.0: most commands check the key type centrally (`keyType`), but
 * SPOP and SRANDMEMBER parse their count first, SSCAN its cursor, SINTERCARD its numkeys and
 * LIMIT, and SMOVE answers 0 for a missing source before looking at the destination's type:
 * those check the type in the handler. The algebra checks its keys one by one in the handler,
 * as Redis looks them up, so a missing key before one of another type is a keymiss event
 * before the WRONGTYPE. The STORE forms overwrite a destination of any type.
 *
 * Keyspace events as Redis 7.0: sadd, srem, spop, the STORE names, `del` after a removal that
 * empties the set; reads report a missing key (keymiss) through lookupRead.
 */

// ---------------------------------------------------------------- spec helpers

const KEY: ArgumentSpec = { name: 'key', type: 'key' };
const KEYS: ArgumentSpec = { name: 'key', type: 'key', multiple: true };
const MEMBER: ArgumentSpec = { name: 'member', type: 'string' };
const MEMBERS: ArgumentSpec = { name: 'member', type: 'string', multiple: true };


/** SINTERSTORE and friends: the destination, then the source keys. */
function storeKeySpecs(destinationFlags: string[]): KeySpec[] {
  return [keySpec(destinationFlags), keySpec(['RO', 'access'], 2, -1)];
}

// ---------------------------------------------------------------- value helpers

/**
 * The most repeats SRANDMEMBER answers for a negative count. Redis accepts any count down to
 * -(2^63 - 1) and would build a reply that size; we refuse one that would exhaust the heap.
 */
export const MAX_RANDOM_REPEATS = 2 ** 24;

const SET_TOO_LARGE = setTooLarge(MAX_SET_MEMBERS);

function maxIntset(ctx: Client): number {
  return ctx.engine.config.getNumber('set-max-intset-entries');
}

/** The set at `key` for reading, undefined when missing (a keymiss); the central keyType check has run. */
function lookupSet(ctx: Client, key: string): SetValue | undefined {
  return lookupRead(ctx, key) as SetValue | undefined;
}

function isSet(v: Value): v is SetValue {
  return typeOf(v) === 'set';
}

function replyMembers(ctx: Client, members: readonly string[]): void {
  ctx.reply.set(members.length);
  for (const m of members) ctx.reply.bulk(m);
}

/** After removals: the command's event, then the key goes (a `del` event) when the set is empty. */
function afterRemoval(ctx: Client, key: string, set: SetValue, event: string): void {
  notify(ctx, NOTIFY_SET, event, key);
  if (set.size === 0) {
    ctx.db.delete(key);
    notify(ctx, NOTIFY_GENERIC, 'del', key);
  } else {
    ctx.db.host.onKeyModified(ctx.db, key);
  }
}

/** The source keys' sets, or undefined after answering WRONGTYPE (commands checking in the handler). */
function lookupSets(ctx: Client, keys: readonly string[]): (SetValue | undefined)[] | undefined {
  const sets: (SetValue | undefined)[] = [];
  for (const key of keys) {
    const v = lookupRead(ctx, key);
    if (v !== undefined && !isSet(v)) {
      ctx.reply.error(WRONGTYPE);
      return undefined;
    }
    sets.push(v);
  }
  return sets;
}

// ---------------------------------------------------------------- members

// SADD key member [member ...]
export const sadd = defineCommand({
  name: 'sadd', arity: -3, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1],
  group: 'set', since: '1.0.0', summary: 'Add one or more members to a set',
  complexity: 'O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.',
  history: [['2.4.0', 'Accepts multiple `member` arguments.']],
  keyType: 'set', keySpecs: [keySpec(['RW', 'insert'])],
  arguments: [KEY, MEMBERS],
  reply: 'integer: the number of members added',
  run(ctx, argv) {
    const key = argv[1]!;
    const max = maxIntset(ctx);
    let set = ctx.db.lookup(key) as SetValue | undefined;
    const created = set === undefined;
    if (set === undefined) set = new SetValue();
    else if (set.size + argv.length - 2 > MAX_SET_MEMBERS) {
      // Refuse before changing anything, so the command stays all or nothing.
      let fresh = 0;
      for (let i = 2; i < argv.length; i++) if (!set.has(argv[i]!)) fresh++;
      if (set.size + fresh > MAX_SET_MEMBERS) return ctx.reply.error(SET_TOO_LARGE);
    }
    let added = 0;
    try {
      for (let i = 2; i < argv.length; i++) if (set.add(argv[i]!, max)) added++;
    } catch (e) {
      if (!(e instanceof SetTooLargeError) || !created) throw e;
      return ctx.reply.error(SET_TOO_LARGE); // a new set given too many members: nothing is stored
    }
    if (created) ctx.db.set(key, set);
    else if (added > 0) ctx.db.host.onKeyModified(ctx.db, key);
    if (added > 0) notify(ctx, NOTIFY_SET, 'sadd', key);
    ctx.reply.int(added);
  },
});

// SREM key member [member ...]
export const srem = defineCommand({
  name: 'srem', arity: -3, flags: ['write', 'fast'], keys: [1, 1, 1],
  group: 'set', since: '1.0.0', summary: 'Remove one or more members from a set',
  complexity: 'O(N) where N is the number of members to be removed.',
  history: [['2.4.0', 'Accepts multiple `member` arguments.']],
  keyType: 'set', keySpecs: [keySpec(['RW', 'delete'])],
  arguments: [KEY, MEMBERS],
  reply: 'integer: the number of members removed',
  run(ctx, argv) {
    const key = argv[1]!;
    const set = ctx.db.lookup(key) as SetValue | undefined;
    if (set === undefined) return ctx.reply.int(0);
    let removed = 0;
    for (let i = 2; i < argv.length && set.size > 0; i++) if (set.delete(argv[i]!)) removed++;
    if (removed > 0) afterRemoval(ctx, key, set, 'srem');
    ctx.reply.int(removed);
  },
});

// SCARD key
export const scard = defineCommand({
  name: 'scard', arity: 2, flags: ['readonly', 'fast'], keys: [1, 1, 1],
  group: 'set', since: '1.0.0', summary: 'Get the number of members in a set', complexity: 'O(1)',
  keyType: 'set', keySpecs: [keySpec(['RO'])],
  arguments: [KEY],
  reply: 'integer: the cardinality, 0 when the key is missing',
  run(ctx, argv) {
    ctx.reply.int(lookupSet(ctx, argv[1]!)?.size ?? 0);
  },
});

// SISMEMBER key member
export const sismember = defineCommand({
  name: 'sismember', arity: 3, flags: ['readonly', 'fast'], keys: [1, 1, 1],
  group: 'set', since: '1.0.0', summary: 'Determine if a given value is a member of a set', complexity: 'O(1)',
  keyType: 'set', keySpecs: [keySpec(['RO'])],
  arguments: [KEY, MEMBER],
  reply: 'integer: 1 when a member, else 0',
  run(ctx, argv) {
    ctx.reply.int(lookupSet(ctx, argv[1]!)?.has(argv[2]!) ? 1 : 0);
  },
});

// SMISMEMBER key member [member ...]
export const smismember = defineCommand({
  name: 'smismember', arity: -3, flags: ['readonly', 'fast'], keys: [1, 1, 1],
  group: 'set', since: '6.2.0', summary: 'Returns the membership associated with the given elements for a set',
  complexity: 'O(N) where N is the number of elements being checked for membership',
  keyType: 'set',
  arguments: [KEY, MEMBERS],
  reply: 'array of integers: 1 or 0 for each member',
  run(ctx, argv) {
    const set = lookupSet(ctx, argv[1]!);
    ctx.reply.array(argv.length - 2);
    for (let i = 2; i < argv.length; i++) ctx.reply.int(set?.has(argv[i]!) ? 1 : 0);
  },
});

// SMEMBERS key
export const smembers = defineCommand({
  name: 'smembers', arity: 2, flags: ['readonly'], keys: [1, 1, 1],
  group: 'set', since: '1.0.0', summary: 'Get all the members in a set', complexity: 'O(N) where N is the set cardinality.',
  keyType: 'set', tips: ['nondeterministic_output_order'],
  arguments: [KEY],
  reply: 'set: the members (ascending for an intset)',
  run(ctx, argv) {
    const set = lookupSet(ctx, argv[1]!);
    if (set === undefined) return ctx.reply.set(0);
    ctx.reply.set(set.size);
    set.forEach((m) => { ctx.reply.bulk(m); });
  },
});

// ---------------------------------------------------------------- random members

// SPOP key [count]
export const spop = defineCommand({
  name: 'spop', arity: -2, flags: ['write', 'fast'], keys: [1, 1, 1],
  group: 'set', since: '1.0.0', summary: 'Remove and return one or multiple random members from a set',
  complexity: 'Without the count argument O(1), otherwise O(N) where N is the value of the passed count.',
  history: [['3.2.0', 'Added the `count` argument.']],
  keySpecs: [keySpec(['RW', 'access', 'delete'])],
  tips: ['nondeterministic_output'],
  arguments: [KEY, { name: 'count', type: 'integer', since: '3.2.0', optional: true }],
  reply: 'bulk string (nil when missing) without count; set of the popped members with count',
  run(ctx, argv) {
    if (argv.length > 3) return ctx.reply.error(SYNTAX);
    const key = argv[1]!;
    let count = -1;
    if (argv.length === 3) {
      const n = parseInt64(argv[2]!);
      if (n === undefined || n < 0) return ctx.reply.error(VALUE_MUST_BE_POSITIVE);
      count = typeof n === 'bigint' ? Number.MAX_SAFE_INTEGER : n; // beyond any set's size
    }
    const v = ctx.db.lookup(key);
    if (v !== undefined && !isSet(v)) return ctx.reply.error(WRONGTYPE);
    // The picks are random: the log gets the members removed (SREM), or DEL for the whole set.
    if (count < 0) {
      if (v === undefined) return ctx.reply.null();
      const member = v.popRandom();
      afterRemoval(ctx, key, v, 'spop');
      ctx.engine.propagate(ctx.db, ctx.engine.propagator === undefined ? NO_ARGV : ['SREM', key, member]);
      return ctx.reply.bulk(member);
    }
    if (v === undefined || count === 0) return ctx.reply.set(0);
    if (count >= v.size) {
      // The whole set, in its order (ascending for an intset, as Redis answers).
      const all = v.members();
      notify(ctx, NOTIFY_SET, 'spop', key);
      ctx.db.delete(key);
      notify(ctx, NOTIFY_GENERIC, 'del', key);
      ctx.engine.propagate(ctx.db, ctx.engine.propagator === undefined ? NO_ARGV : ['DEL', key]);
      return replyMembers(ctx, all);
    }
    const popped = v.popRandomMany(count);
    ctx.db.host.onKeyModified(ctx.db, key);
    notify(ctx, NOTIFY_SET, 'spop', key);
    ctx.engine.propagate(ctx.db, ctx.engine.propagator === undefined ? NO_ARGV : ['SREM', key, ...popped]);
    replyMembers(ctx, popped);
  },
});

// SRANDMEMBER key [count]
export const srandmember = defineCommand({
  name: 'srandmember', arity: -2, flags: ['readonly'], keys: [1, 1, 1],
  group: 'set', since: '1.0.0', summary: 'Get one or multiple random members from a set',
  complexity: 'Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.',
  history: [['2.6.0', 'Added the optional `count` argument.']],
  tips: ['nondeterministic_output'],
  arguments: [KEY, { name: 'count', type: 'integer', since: '2.6.0', optional: true }],
  reply: 'bulk string (nil when missing) without count; array with count (repeats when negative)',
  run(ctx, argv) {
    if (argv.length > 3) return ctx.reply.error(SYNTAX);
    let count: number | undefined;
    if (argv.length === 3) {
      // Redis's range is -(2^63 - 1) .. 2^63 - 1, checked here as a bigint: no allocation first.
      const n = parseInt64(argv[2]!);
      if (n === undefined) return ctx.reply.error(NOT_INTEGER);
      if (n === INT64_MIN) return ctx.reply.error(LONG_OUT_OF_RANGE);
      count = typeof n === 'bigint' ? (n > 0n ? Number.MAX_SAFE_INTEGER : -Number.MAX_SAFE_INTEGER) : n;
    }
    const v = lookupRead(ctx, argv[1]!);
    if (v !== undefined && !isSet(v)) return ctx.reply.error(WRONGTYPE);
    if (count === undefined) {
      if (v === undefined) return ctx.reply.null();
      return ctx.reply.bulk(v.randomMember());
    }
    if (v === undefined || count === 0) return ctx.reply.array(0);
    if (count < 0) {
      // With repeats: each pick independent, as Redis's.
      const n = -count;
      if (n > MAX_RANDOM_REPEATS) return ctx.reply.error(randomCountTooLarge(MAX_RANDOM_REPEATS));
      ctx.reply.array(n);
      for (let i = 0; i < n; i++) ctx.reply.bulk(v.randomMember());
      return;
    }
    const members = count >= v.size ? v.members() : v.randomDistinct(count);
    ctx.reply.array(members.length);
    for (const m of members) ctx.reply.bulk(m);
  },
});

// SMOVE source destination member
export const smove = defineCommand({
  name: 'smove', arity: 4, flags: ['write', 'fast'], keys: [1, 2, 1],
  group: 'set', since: '1.0.0', summary: 'Move a member from one set to another', complexity: 'O(1)',
  keySpecs: [keySpec(['RW', 'access', 'delete']), keySpec(['RW', 'insert'], 2)],
  arguments: [
    { name: 'source', type: 'key' }, { name: 'destination', type: 'key' }, MEMBER,
  ],
  reply: 'integer: 1 when moved, 0 when not a member of the source',
  run(ctx, argv) {
    const srcKey = argv[1]!;
    const dstKey = argv[2]!;
    const member = argv[3]!;
    const src = ctx.db.lookup(srcKey);
    const dst = ctx.db.lookup(dstKey);
    // A missing source answers 0 before the destination's type is looked at, as in Redis.
    if (src === undefined) return ctx.reply.int(0);
    if (!isSet(src) || (dst !== undefined && !isSet(dst))) return ctx.reply.error(WRONGTYPE);
    if (src === dst) return ctx.reply.int(src.has(member) ? 1 : 0);
    if (dst !== undefined && dst.size >= MAX_SET_MEMBERS && src.has(member) && !dst.has(member)) {
      return ctx.reply.error(SET_TOO_LARGE);
    }
    if (!src.delete(member)) return ctx.reply.int(0);
    afterRemoval(ctx, srcKey, src, 'srem');
    if (dst === undefined) {
      const created = new SetValue();
      created.add(member, maxIntset(ctx));
      ctx.db.set(dstKey, created);
      notify(ctx, NOTIFY_SET, 'sadd', dstKey);
    } else if (dst.add(member, maxIntset(ctx))) {
      ctx.db.host.onKeyModified(ctx.db, dstKey);
      notify(ctx, NOTIFY_SET, 'sadd', dstKey);
    }
    ctx.reply.int(1);
  },
});

// ---------------------------------------------------------------- set algebra

type Algebra = (sets: readonly (SetValue | undefined)[], maxIntsetEntries: number) => SetValue;

/** SINTER, SUNION, SDIFF: the keys' sets combined, answered as a set. */
function algebraReply(ctx: Client, argv: string[], op: Algebra): void {
  const sets = lookupSets(ctx, argv.slice(1));
  if (sets === undefined) return;
  let result: SetValue;
  try {
    result = op(sets, maxIntset(ctx));
  } catch (e) {
    if (e instanceof SetTooLargeError) return ctx.reply.error(SET_TOO_LARGE);
    throw e;
  }
  ctx.reply.set(result.size);
  result.forEach((m) => { ctx.reply.bulk(m); });
}

/**
 * The STORE forms: the result replaces the destination, whatever it held (the command's
 * event); empty deletes it (a `del` event when there was one).
 */
function algebraStore(ctx: Client, argv: string[], op: Algebra, event: string): void {
  const dstKey = argv[1]!;
  const sets = lookupSets(ctx, argv.slice(2));
  if (sets === undefined) return;
  let result: SetValue;
  try {
    result = op(sets, maxIntset(ctx));
  } catch (e) {
    if (e instanceof SetTooLargeError) return ctx.reply.error(SET_TOO_LARGE);
    throw e;
  }
  if (result.size > 0) {
    ctx.db.set(dstKey, result);
    notify(ctx, NOTIFY_SET, event, dstKey);
  } else if (ctx.db.deleteEntry(dstKey)) {
    // Even a destination past its time, not yet reclaimed: Redis's dbDelete, a `del` event.
    notify(ctx, NOTIFY_GENERIC, 'del', dstKey);
  }
  ctx.reply.int(result.size);
}

// SINTER key [key ...]
export const sinter = defineCommand({
  name: 'sinter', arity: -2, flags: ['readonly'], keys: [1, -1, 1],
  group: 'set', since: '1.0.0', summary: 'Intersect multiple sets',
  complexity: 'O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.',
  tips: ['nondeterministic_output_order'],
  arguments: [KEYS],
  reply: 'set: the intersection (in the smallest set\'s order)',
  run(ctx, argv) {
    // Answered as found, without building a set (Redis does the same).
    const sets = lookupSets(ctx, argv.slice(1));
    if (sets === undefined) return;
    const out: string[] = [];
    forEachInIntersection(sets, (m) => { out.push(m); });
    replyMembers(ctx, out);
  },
});

// SINTERCARD numkeys key [key ...] [LIMIT limit]
export const sintercard = defineCommand({
  name: 'sintercard', arity: -3, flags: ['readonly', 'movablekeys'], keys: [0, 0, 0],
  group: 'set', since: '7.0.0', summary: 'Intersect multiple sets and return the cardinality of the result',
  complexity: 'O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.',
  keySpecs: [{ flags: ['RO', 'access'], beginSearch: { index: 1 }, findKeys: { keyNumIdx: 0, firstKey: 1, keyStep: 1 } }],
  arguments: [
    { name: 'numkeys', type: 'integer' }, KEYS,
    { name: 'limit', type: 'integer', token: 'LIMIT', optional: true },
  ],
  reply: 'integer: the intersection\'s cardinality, at most LIMIT when given',
  run(ctx, argv) {
    const numkeys = parseInt64(argv[1]!);
    if (numkeys === undefined || numkeys < 1) return ctx.reply.error(NUMKEYS_NOT_POSITIVE);
    if (numkeys > argv.length - 2) return ctx.reply.error(NUMKEYS_TOO_MANY);
    const n = Number(numkeys);
    let limit = 0;
    // Options after the keys; a repeated LIMIT overrides.
    for (let i = 2 + n; i < argv.length; i++) {
      const opt = argv[i]!;
      if (opt.length === 5 && opt.toUpperCase() === 'LIMIT' && i + 1 < argv.length) {
        const l = parseInt64(argv[++i]!);
        if (l === undefined || l < 0) return ctx.reply.error(LIMIT_NEGATIVE);
        limit = typeof l === 'bigint' ? 0 : l; // beyond any set's size: no limit
      } else {
        return ctx.reply.error(SYNTAX);
      }
    }
    const sets = lookupSets(ctx, argv.slice(2, 2 + n));
    if (sets === undefined) return;
    ctx.reply.int(intersectionSize(sets, limit));
  },
});

// SINTERSTORE destination key [key ...]
export const sinterstore = defineCommand({
  name: 'sinterstore', arity: -3, flags: ['write', 'denyoom'], keys: [1, -1, 1],
  group: 'set', since: '1.0.0', summary: 'Intersect multiple sets and store the resulting set in a key',
  complexity: 'O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.',
  keySpecs: storeKeySpecs(['RW', 'update']),
  arguments: [{ name: 'destination', type: 'key' }, KEYS],
  reply: 'integer: the size of the stored set',
  run(ctx, argv) { algebraStore(ctx, argv, intersection, 'sinterstore'); },
});

// SUNION key [key ...]
export const sunion = defineCommand({
  name: 'sunion', arity: -2, flags: ['readonly'], keys: [1, -1, 1],
  group: 'set', since: '1.0.0', summary: 'Add multiple sets',
  complexity: 'O(N) where N is the total number of elements in all given sets.',
  tips: ['nondeterministic_output_order'],
  arguments: [KEYS],
  reply: 'set: the union',
  run(ctx, argv) { algebraReply(ctx, argv, union); },
});

// SUNIONSTORE destination key [key ...]
export const sunionstore = defineCommand({
  name: 'sunionstore', arity: -3, flags: ['write', 'denyoom'], keys: [1, -1, 1],
  group: 'set', since: '1.0.0', summary: 'Add multiple sets and store the resulting set in a key',
  complexity: 'O(N) where N is the total number of elements in all given sets.',
  keySpecs: storeKeySpecs(['OW', 'update']),
  arguments: [{ name: 'destination', type: 'key' }, KEYS],
  reply: 'integer: the size of the stored set',
  run(ctx, argv) { algebraStore(ctx, argv, union, 'sunionstore'); },
});

// SDIFF key [key ...]
export const sdiff = defineCommand({
  name: 'sdiff', arity: -2, flags: ['readonly'], keys: [1, -1, 1],
  group: 'set', since: '1.0.0', summary: 'Subtract multiple sets',
  complexity: 'O(N) where N is the total number of elements in all given sets.',
  tips: ['nondeterministic_output_order'],
  arguments: [KEYS],
  reply: 'set: the members of the first set in none of the others',
  run(ctx, argv) { algebraReply(ctx, argv, difference); },
});

// SDIFFSTORE destination key [key ...]
export const sdiffstore = defineCommand({
  name: 'sdiffstore', arity: -3, flags: ['write', 'denyoom'], keys: [1, -1, 1],
  group: 'set', since: '1.0.0', summary: 'Subtract multiple sets and store the resulting set in a key',
  complexity: 'O(N) where N is the total number of elements in all given sets.',
  keySpecs: storeKeySpecs(['OW', 'update']),
  arguments: [{ name: 'destination', type: 'key' }, KEYS],
  reply: 'integer: the size of the stored set',
  run(ctx, argv) { algebraStore(ctx, argv, difference, 'sdiffstore'); },
});

// ---------------------------------------------------------------- SSCAN

// SSCAN key cursor [MATCH pattern] [COUNT count]
export const sscan = defineCommand({
  name: 'sscan', arity: -3, flags: ['readonly'], keys: [1, 1, 1],
  group: 'set', since: '2.8.0', summary: 'Incrementally iterate Set elements',
  complexity: 'O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..',
  tips: ['nondeterministic_output'],
  arguments: [
    KEY, { name: 'cursor', type: 'integer' },
    { name: 'pattern', type: 'pattern', token: 'MATCH', optional: true },
    { name: 'count', type: 'integer', token: 'COUNT', optional: true },
  ],
  reply: 'array: [next cursor, array of members]',
  run(ctx, argv) {
    // Redis's order: the cursor, then the key (missing: an empty scan, options unread), then options.
    const cursor = parseScanCursor(argv[2]!);
    if (cursor === undefined) return ctx.reply.error(INVALID_CURSOR);
    const v = lookupRead(ctx, argv[1]!);
    if (v === undefined) {
      ctx.reply.array(2);
      ctx.reply.bulk('0');
      return ctx.reply.array(0);
    }
    if (!isSet(v)) return ctx.reply.error(WRONGTYPE);
    const options = parseScanOptions(argv, 3, false);
    if (typeof options === 'string') return ctx.reply.error(options);
    const { count, pattern } = options;
    let next = '0';
    let members: string[];
    if (v.encoding() === 'intset') {
      // Small encodings answer whole, with cursor 0, whatever the cursor and COUNT (as Redis).
      members = v.members();
    } else {
      const r = v.scan(cursor, count);
      next = r.next.toString();
      members = r.members;
    }
    if (pattern !== undefined) members = members.filter((m) => globMatch(pattern, m));
    ctx.reply.array(2);
    ctx.reply.bulk(next);
    ctx.reply.array(members.length);
    for (const m of members) ctx.reply.bulk(m);
  },
});

export const setCommands: Command[] = [
  sadd, srem, scard, sismember, smismember, smembers, spop, srandmember, smove,
  sinter, sintercard, sinterstore, sunion, sunionstore, sdiff, sdiffstore, sscan,
];
