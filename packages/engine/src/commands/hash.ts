import type { Client } from '../client.js';
import { defineCommand, type Command } from '../command.js';
import { addInt64, INT64_MIN, parseInt64 } from '../args.js';
import type { Config } from '../config.js';
import {
  HASH_NOT_FLOAT, HASH_NOT_INTEGER, INCR_NAN_OR_INFINITY, INVALID_CURSOR, LONG_OUT_OF_RANGE, NOT_FLOAT,
  NOT_INTEGER, OVERFLOW, SYNTAX, VALUE_NAN_OR_INFINITY, VALUE_OUT_OF_RANGE, WRONGTYPE,
  randomCountTooLarge, wrongArity,
} from '../errors.js';
import { globMatch } from '../glob.js';
import { typeOf, type Value } from '../keyspace.js';
import { parseScanCursor, parseScanOptions } from '../scan.js';
import { type ArgumentSpec, type KeySpec, keySpec } from '../spec.js';
import { scanCollection } from '../types/collection-scan.js';
import { HashValue, type HashLimits } from '../types/hash.js';
import { addLongDouble, formatLongDouble, isFiniteLongDouble, parseLongDouble } from '../types/long-double.js';
import { NO_ARGV } from './generic.js';
import { NOTIFY_GENERIC, NOTIFY_HASH, lookupRead, notify } from '../notify.js';

/**
 * The hash family. The data structure is types/hash.ts; cursors are types/collection-scan.ts.
 *
 * Error order follows Redis 7.0: where Redis checks arguments before the key's type (HSET's
 * and HMSET's pair count, HINCRBY's increment, HINCRBYFLOAT's increment, HRANDFIELD's count,
 * HSCAN's cursor) the spec has no `keyType` and the handler checks the type itself.
 */

// ---------------------------------------------------------------- spec helpers

const KEY: ArgumentSpec = { name: 'key', type: 'key' };
const FIELD: ArgumentSpec = { name: 'field', type: 'string' };
const FIELDS: ArgumentSpec = { name: 'field', type: 'string', multiple: true };
const FIELD_VALUE_PAIRS: ArgumentSpec = {
  name: 'field_value', type: 'block', multiple: true,
  arguments: [FIELD, { name: 'value', type: 'string' }],
};

function keySpecs(...flags: string[]): KeySpec[] {
  return [keySpec(flags)];
}

const ALL_COMPLEXITY = 'O(N) where N is the size of the hash.';

// ---------------------------------------------------------------- helpers

/** The listpack limits, read once per change of the two CONFIG parameters (HSET is hot). */
const limitsByConfig = new WeakMap<Config, HashLimits>();

function hashLimits(ctx: Client): HashLimits {
  const config = ctx.engine.config;
  let limits = limitsByConfig.get(config);
  if (limits === undefined) {
    const current: HashLimits = { maxListpackEntries: 0, maxListpackValue: 0 };
    const update = (): void => {
      current.maxListpackEntries = config.getNumber('hash-max-listpack-entries');
      current.maxListpackValue = config.getNumber('hash-max-listpack-value');
    };
    update();
    config.onChange('hash-max-listpack-entries', update);
    config.onChange('hash-max-listpack-value', update);
    limitsByConfig.set(config, current);
    limits = current;
  }
  return limits;
}

/**
 * Looks up a key the handler type-checks itself: the hash, undefined (missing), or WRONGTYPE
 * answered (null). `read`: a read lookup, whose miss is a keymiss event.
 */
function lookupHash(ctx: Client, key: string, read = false): HashValue | undefined | null {
  const v: Value | undefined = read ? lookupRead(ctx, key) : ctx.db.lookup(key);
  if (v === undefined) return undefined;
  if (typeOf(v) !== 'hash') {
    ctx.reply.error(WRONGTYPE);
    return null;
  }
  return v as HashValue;
}

/** After changing an existing hash in place, or storing a new one; then the command's event. */
function stored(ctx: Client, key: string, hash: HashValue, created: boolean, event: string): void {
  if (created) ctx.db.set(key, hash);
  else ctx.db.host.onKeyModified(ctx.db, key);
  notify(ctx, NOTIFY_HASH, event, key);
}

/** Sets argv's field/value pairs from `start`; returns how many fields were new. */
function setPairs(ctx: Client, argv: string[], start: number): number | undefined {
  if ((argv.length - start) % 2 !== 0) {
    ctx.reply.error(wrongArity(argv[0]!.toLowerCase()));
    return undefined;
  }
  const key = argv[1]!;
  let hash = lookupHash(ctx, key);
  if (hash === null) return undefined;
  const created = hash === undefined;
  hash ??= new HashValue();
  const limits = hashLimits(ctx);
  let added = 0;
  for (let i = start; i < argv.length; i += 2) if (hash.set(argv[i]!, argv[i + 1]!, limits)) added++;
  stored(ctx, key, hash, created, 'hset');
  return added;
}

/** RESP3 gives each field/value pair its own array where RESP2 flattens (HRANDFIELD WITHVALUES). */
function replyPairs(ctx: Client, pairs: readonly [string, string][], withValues: boolean): void {
  const r = ctx.reply;
  if (!withValues) {
    r.array(pairs.length);
    for (const [f] of pairs) r.bulk(f);
  } else if (r.protocol === 3) {
    r.array(pairs.length);
    for (const [f, v] of pairs) { r.array(2); r.bulk(f); r.bulk(v); }
  } else {
    r.array(pairs.length * 2);
    for (const [f, v] of pairs) { r.bulk(f); r.bulk(v); }
  }
}

// ---------------------------------------------------------------- setting

// HSET key field value [field value ...]
export const hset = defineCommand({
  name: 'hset', arity: -4, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1],
  group: 'hash', since: '2.0.0', summary: 'Set the string value of a hash field',
  complexity: 'O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.',
  keySpecs: keySpecs('RW', 'update'),
  history: [['4.0.0', 'Accepts multiple `field` and `value` arguments.']],
  arguments: [KEY, FIELD_VALUE_PAIRS],
  reply: 'integer: the number of fields that were added',
  run(ctx, argv) {
    const added = setPairs(ctx, argv, 2);
    if (added !== undefined) ctx.reply.int(added);
  },
});

// HMSET key field value [field value ...]
export const hmset = defineCommand({
  name: 'hmset', arity: -4, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1],
  group: 'hash', since: '2.0.0', summary: 'Set multiple hash fields to multiple values',
  complexity: 'O(N) where N is the number of fields being set.',
  keySpecs: keySpecs('RW', 'update'),
  deprecatedSince: '4.0.0', replacedBy: '`HSET` with multiple field-value pairs',
  arguments: [KEY, FIELD_VALUE_PAIRS],
  reply: 'simple string: OK',
  run(ctx, argv) {
    if (setPairs(ctx, argv, 2) !== undefined) ctx.reply.simple('OK');
  },
});

// HSETNX key field value
export const hsetnx = defineCommand({
  name: 'hsetnx', arity: 4, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1],
  group: 'hash', since: '2.0.0', summary: 'Set the value of a hash field, only if the field does not exist',
  complexity: 'O(1)', keyType: 'hash', keySpecs: keySpecs('RW', 'insert'),
  arguments: [KEY, FIELD, { name: 'value', type: 'string' }],
  reply: 'integer: 1 when the field was set, 0 when it existed',
  run(ctx, argv) {
    const key = argv[1]!;
    const field = argv[2]!;
    let hash = ctx.db.lookup(key) as HashValue | undefined;
    if (hash?.has(field)) return ctx.reply.int(0);
    const created = hash === undefined;
    hash ??= new HashValue();
    hash.set(field, argv[3]!, hashLimits(ctx));
    stored(ctx, key, hash, created, 'hset');
    ctx.reply.int(1);
  },
});

// ---------------------------------------------------------------- reading fields

// HGET key field
export const hget = defineCommand({
  name: 'hget', arity: 3, flags: ['readonly', 'fast'], keys: [1, 1, 1],
  group: 'hash', since: '2.0.0', summary: 'Get the value of a hash field', complexity: 'O(1)',
  keyType: 'hash', keySpecs: keySpecs('RO', 'access'),
  arguments: [KEY, FIELD],
  reply: 'bulk string: the value, or nil',
  run(ctx, argv) {
    const v = (lookupRead(ctx, argv[1]!) as HashValue | undefined)?.get(argv[2]!);
    if (v === undefined) ctx.reply.null();
    else ctx.reply.bulk(v);
  },
});

// HMGET key field [field ...]
export const hmget = defineCommand({
  name: 'hmget', arity: -3, flags: ['readonly', 'fast'], keys: [1, 1, 1],
  group: 'hash', since: '2.0.0', summary: 'Get the values of all the given hash fields',
  complexity: 'O(N) where N is the number of fields being requested.',
  keyType: 'hash', keySpecs: keySpecs('RO', 'access'),
  arguments: [KEY, FIELDS],
  reply: 'array: the values, nil for missing fields',
  run(ctx, argv) {
    const hash = lookupRead(ctx, argv[1]!) as HashValue | undefined;
    ctx.reply.array(argv.length - 2);
    for (let i = 2; i < argv.length; i++) {
      const v = hash?.get(argv[i]!);
      if (v === undefined) ctx.reply.null();
      else ctx.reply.bulk(v);
    }
  },
});

// HEXISTS key field
export const hexists = defineCommand({
  name: 'hexists', arity: 3, flags: ['readonly', 'fast'], keys: [1, 1, 1],
  group: 'hash', since: '2.0.0', summary: 'Determine if a hash field exists', complexity: 'O(1)',
  keyType: 'hash', keySpecs: keySpecs('RO'),
  arguments: [KEY, FIELD],
  reply: 'integer: 1 when the field exists, else 0',
  run(ctx, argv) {
    const hash = lookupRead(ctx, argv[1]!) as HashValue | undefined;
    ctx.reply.int(hash?.has(argv[2]!) ? 1 : 0);
  },
});

// HSTRLEN key field
export const hstrlen = defineCommand({
  name: 'hstrlen', arity: 3, flags: ['readonly', 'fast'], keys: [1, 1, 1],
  group: 'hash', since: '3.2.0', summary: 'Get the length of the value of a hash field', complexity: 'O(1)',
  keyType: 'hash', keySpecs: keySpecs('RO'),
  arguments: [KEY, FIELD],
  reply: 'integer: the length of the value, 0 when missing',
  run(ctx, argv) {
    const v = (lookupRead(ctx, argv[1]!) as HashValue | undefined)?.get(argv[2]!);
    ctx.reply.int(v === undefined ? 0 : v.length);
  },
});

// HLEN key
export const hlen = defineCommand({
  name: 'hlen', arity: 2, flags: ['readonly', 'fast'], keys: [1, 1, 1],
  group: 'hash', since: '2.0.0', summary: 'Get the number of fields in a hash', complexity: 'O(1)',
  keyType: 'hash', keySpecs: keySpecs('RO'),
  arguments: [KEY],
  reply: 'integer: the number of fields',
  run(ctx, argv) {
    const hash = lookupRead(ctx, argv[1]!) as HashValue | undefined;
    ctx.reply.int(hash === undefined ? 0 : hash.size);
  },
});

// ---------------------------------------------------------------- deleting

// HDEL key field [field ...]
export const hdel = defineCommand({
  name: 'hdel', arity: -3, flags: ['write', 'fast'], keys: [1, 1, 1],
  group: 'hash', since: '2.0.0', summary: 'Delete one or more hash fields',
  complexity: 'O(N) where N is the number of fields to be removed.',
  keyType: 'hash', keySpecs: keySpecs('RW', 'delete'),
  history: [['2.4.0', 'Accepts multiple `field` arguments.']],
  arguments: [KEY, FIELDS],
  reply: 'integer: the number of fields removed',
  run(ctx, argv) {
    const key = argv[1]!;
    const hash = ctx.db.lookup(key) as HashValue | undefined;
    if (hash === undefined) return ctx.reply.int(0);
    let removed = 0;
    for (let i = 2; i < argv.length; i++) {
      if (hash.delete(argv[i]!)) {
        removed++;
        if (hash.size === 0) break; // the key goes; later fields cannot be there
      }
    }
    if (removed > 0) notify(ctx, NOTIFY_HASH, 'hdel', key);
    if (hash.size === 0) {
      ctx.db.delete(key);
      notify(ctx, NOTIFY_GENERIC, 'del', key);
    } else if (removed > 0) {
      ctx.db.host.onKeyModified(ctx.db, key);
    }
    ctx.reply.int(removed);
  },
});

// ---------------------------------------------------------------- whole hash

// HKEYS key
export const hkeys = defineCommand({
  name: 'hkeys', arity: 2, flags: ['readonly'], keys: [1, 1, 1],
  group: 'hash', since: '2.0.0', summary: 'Get all the fields in a hash', complexity: ALL_COMPLEXITY,
  keyType: 'hash', keySpecs: keySpecs('RO', 'access'), tips: ['nondeterministic_output_order'],
  arguments: [KEY],
  reply: 'array: the fields',
  run(ctx, argv) {
    const hash = lookupRead(ctx, argv[1]!) as HashValue | undefined;
    if (hash === undefined) return ctx.reply.array(0);
    const r = ctx.reply;
    r.array(hash.size);
    hash.forEach((f) => r.bulk(f));
  },
});

// HVALS key
export const hvals = defineCommand({
  name: 'hvals', arity: 2, flags: ['readonly'], keys: [1, 1, 1],
  group: 'hash', since: '2.0.0', summary: 'Get all the values in a hash', complexity: ALL_COMPLEXITY,
  keyType: 'hash', keySpecs: keySpecs('RO', 'access'), tips: ['nondeterministic_output_order'],
  arguments: [KEY],
  reply: 'array: the values',
  run(ctx, argv) {
    const hash = lookupRead(ctx, argv[1]!) as HashValue | undefined;
    if (hash === undefined) return ctx.reply.array(0);
    const r = ctx.reply;
    r.array(hash.size);
    hash.forEach((_, v) => r.bulk(v));
  },
});

// HGETALL key
export const hgetall = defineCommand({
  name: 'hgetall', arity: 2, flags: ['readonly'], keys: [1, 1, 1],
  group: 'hash', since: '2.0.0', summary: 'Get all the fields and values in a hash', complexity: ALL_COMPLEXITY,
  keyType: 'hash', keySpecs: keySpecs('RO', 'access'), tips: ['nondeterministic_output_order'],
  arguments: [KEY],
  reply: 'map: fields to values (RESP2: a flat array)',
  run(ctx, argv) {
    const hash = lookupRead(ctx, argv[1]!) as HashValue | undefined;
    if (hash === undefined) return ctx.reply.map(0);
    const r = ctx.reply;
    r.map(hash.size);
    hash.forEach((f, v) => { r.bulk(f); r.bulk(v); });
  },
});

// ---------------------------------------------------------------- counters


// HINCRBY key field increment
export const hincrby = defineCommand({
  name: 'hincrby', arity: 4, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1],
  group: 'hash', since: '2.0.0', summary: 'Increment the integer value of a hash field by the given number',
  complexity: 'O(1)', keySpecs: keySpecs('RW', 'access', 'update'),
  arguments: [KEY, FIELD, { name: 'increment', type: 'integer' }],
  reply: 'integer: the value after the increment',
  run(ctx, argv) {
    const by = parseInt64(argv[3]!);
    if (by === undefined) return ctx.reply.error(NOT_INTEGER);
    const key = argv[1]!;
    const field = argv[2]!;
    let hash = lookupHash(ctx, key);
    if (hash === null) return;
    let current: number | bigint = 0;
    const old = hash?.get(field);
    if (old !== undefined) {
      const n = parseInt64(old);
      if (n === undefined) return ctx.reply.error(HASH_NOT_INTEGER);
      current = n;
    }
    const next = addInt64(current, by);
    if (next === undefined) return ctx.reply.error(OVERFLOW);
    const created = hash === undefined;
    hash ??= new HashValue();
    hash.set(field, String(next), hashLimits(ctx));
    stored(ctx, key, hash, created, 'hincrby');
    ctx.reply.int(next);
  },
});

// HINCRBYFLOAT key field increment
export const hincrbyfloat = defineCommand({
  name: 'hincrbyfloat', arity: 4, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1],
  group: 'hash', since: '2.6.0', summary: 'Increment the float value of a hash field by the given amount',
  complexity: 'O(1)', keySpecs: keySpecs('RW', 'access', 'update'),
  arguments: [KEY, FIELD, { name: 'increment', type: 'double' }],
  reply: 'bulk string: the value after the increment',
  run(ctx, argv) {
    // The same x87 long double arithmetic and formatting as INCRBYFLOAT (types/long-double.ts),
    // with the hash's own error order and messages.
    const by = parseLongDouble(argv[3]!);
    if (by === undefined) return ctx.reply.error(NOT_FLOAT);
    if (!isFiniteLongDouble(by)) return ctx.reply.error(VALUE_NAN_OR_INFINITY);
    const key = argv[1]!;
    const field = argv[2]!;
    let hash = lookupHash(ctx, key);
    if (hash === null) return;
    const old = hash?.get(field);
    let sum = by;
    if (old !== undefined) {
      const current = parseLongDouble(old);
      if (current === undefined) return ctx.reply.error(HASH_NOT_FLOAT);
      sum = addLongDouble(current, by);
    }
    if (!isFiniteLongDouble(sum)) return ctx.reply.error(INCR_NAN_OR_INFINITY);
    const text = formatLongDouble(sum);
    const created = hash === undefined;
    hash ??= new HashValue();
    hash.set(field, text, hashLimits(ctx));
    stored(ctx, key, hash, created, 'hincrbyfloat');
    // Logged as the text stored, as Redis 7 does: the long double sum is not redone on replay.
    ctx.engine.propagate(ctx.db, ctx.engine.propagator === undefined ? NO_ARGV : ['HSET', key, field, text]);
    ctx.reply.bulk(text);
  },
});

// ---------------------------------------------------------------- random fields

const LONG_MAX_HALF = 2n ** 62n - 1n;
/**
 * The most picks a negative count may ask for (with WITHVALUES, twice as many replies): a
 * reply beyond this is refused (Redis 7.0 builds it and runs out of memory).
 */
const RANDOM_PICKS_MAX = 2 ** 24;

// HRANDFIELD key [count [WITHVALUES]]
export const hrandfield = defineCommand({
  name: 'hrandfield', arity: -2, flags: ['readonly'], keys: [1, 1, 1],
  group: 'hash', since: '6.2.0', summary: 'Get one or multiple random fields from a hash',
  complexity: 'O(N) where N is the number of fields returned',
  keySpecs: keySpecs('RO', 'access'), tips: ['nondeterministic_output'],
  arguments: [
    KEY,
    {
      name: 'options', type: 'block', optional: true, arguments: [
        { name: 'count', type: 'integer' },
        { name: 'withvalues', type: 'pure-token', token: 'WITHVALUES', optional: true },
      ],
    },
  ],
  reply: 'bulk string or nil without count; else array (RESP3 WITHVALUES: [field, value] pairs)',
  run(ctx, argv) {
    const key = argv[1]!;
    if (argv.length === 2) {
      const hash = lookupHash(ctx, key, true);
      if (hash === null) return;
      if (hash === undefined) return ctx.reply.null();
      ctx.reply.bulk(hash.randomEntry()[0]);
      return;
    }
    // Redis's order: the count, the option, the WITHVALUES range, then the key.
    const count = parseInt64(argv[2]!);
    if (count === undefined) return ctx.reply.error(NOT_INTEGER);
    if (count === INT64_MIN) return ctx.reply.error(LONG_OUT_OF_RANGE);
    if (argv.length > 4 || (argv.length === 4 && argv[3]!.toUpperCase() !== 'WITHVALUES')) {
      return ctx.reply.error(SYNTAX);
    }
    const withValues = argv.length === 4;
    if (withValues && (count < -LONG_MAX_HALF || count > LONG_MAX_HALF)) return ctx.reply.error(VALUE_OUT_OF_RANGE);
    const hash = lookupHash(ctx, key, true);
    if (hash === null) return;
    if (hash === undefined || count === 0) return ctx.reply.array(0);
    const size = hash.size;
    if (count < 0) {
      if (count < -RANDOM_PICKS_MAX) return ctx.reply.error(randomCountTooLarge(RANDOM_PICKS_MAX));
      // Streamed: up to RANDOM_PICKS_MAX picks are never held as a list.
      const r = ctx.reply;
      const picks = -Number(count);
      const pairs = withValues && r.protocol === 3;
      r.array(withValues && !pairs ? picks * 2 : picks);
      for (let i = 0; i < picks; i++) {
        const [f, v] = hash.randomEntry();
        if (pairs) r.array(2);
        r.bulk(f);
        if (withValues) r.bulk(v);
      }
      return;
    }
    if (count >= size) {
      const all: [string, string][] = [];
      hash.forEach((f, v) => { all.push([f, v]); });
      return replyPairs(ctx, all, withValues);
    }
    replyPairs(ctx, hash.randomDistinctEntries(Number(count)), withValues);
  },
});

// ---------------------------------------------------------------- HSCAN

// HSCAN key cursor [MATCH pattern] [COUNT count]
export const hscan = defineCommand({
  name: 'hscan', arity: -3, flags: ['readonly'], keys: [1, 1, 1],
  group: 'hash', since: '2.8.0', summary: 'Incrementally iterate hash fields and associated values',
  complexity: 'O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..',
  keySpecs: keySpecs('RO', 'access'), tips: ['nondeterministic_output'],
  arguments: [
    KEY,
    { name: 'cursor', type: 'integer' },
    { name: 'pattern', type: 'pattern', token: 'MATCH', optional: true },
    { name: 'count', type: 'integer', token: 'COUNT', optional: true },
  ],
  reply: 'array: [next cursor, flat array of fields and values]',
  run(ctx, argv) {
    // Redis's order: the cursor, the key (missing: an empty scan, options unread), the options.
    const cursor = parseScanCursor(argv[2]!);
    if (cursor === undefined) return ctx.reply.error(INVALID_CURSOR);
    const hash = lookupHash(ctx, argv[1]!, true);
    if (hash === null) return;
    const r = ctx.reply;
    if (hash === undefined) {
      r.array(2);
      r.bulk('0');
      r.array(0);
      return;
    }
    const options = parseScanOptions(argv, 3, false);
    if (typeof options === 'string') return r.error(options);
    const { count, pattern } = options;
    // A listpack hash is answered whole, with cursor 0, whatever the cursor and COUNT (as Redis).
    let next = 0n;
    let entries: [string, string][];
    if (hash.encoding() === 'listpack') {
      entries = [];
      hash.forEach((f, v) => { entries.push([f, v]); });
    } else {
      const batch = scanCollection(hash, cursor, count);
      next = batch.next;
      entries = batch.entries;
    }
    if (pattern !== undefined) entries = entries.filter(([f]) => globMatch(pattern, f));
    r.array(2);
    r.bulk(next.toString());
    r.array(entries.length * 2);
    for (const [f, v] of entries) { r.bulk(f); r.bulk(v); }
  },
});

export const hashCommands: Command[] = [
  hset, hsetnx, hget, hmget, hmset, hdel, hlen, hstrlen, hexists, hkeys, hvals, hgetall,
  hincrby, hincrbyfloat, hrandfield, hscan,
];
