import type { Client } from '../client.js';
import { defineCommand, type Command } from '../command.js';
import { addInt64, INT64_MAX, INT64_MIN, parseInt64 } from '../args.js';
import {
  DECREMENT_OVERFLOW, INCR_NAN_OR_INFINITY, INVALID_EXPIRE, LCS_IDX_WITH_LEN, LCS_NOT_STRINGS,
  LCS_TOO_MUCH_MEMORY, NOT_FLOAT, NOT_INTEGER, OFFSET_OUT_OF_RANGE, OVERFLOW, STRING_TOO_LONG,
  SYNTAX, WRONGTYPE, wrongArity,
} from '../errors.js';
import type { Value } from '../keyspace.js';
import { type ArgumentSpec, type KeySpec, keySpec } from '../spec.js';
import { incrByFloat } from '../types/long-double.js';
import { NOTIFY_GENERIC, NOTIFY_STRING, lookupRead, notify } from '../notify.js';
import { NO_ARGV, msArgument } from './generic.js';
import {
  MAX_RAW_LENGTH, RawString, grownCapacity, lcsTableBytes, longestCommonSubsequence,
  stringForReply, stringToBytes, stringToLatin1, toRawString, type StringValue,
} from '../types/string.js';

/**
 * The strings and counters family: GET/SET and their variants, ranges, APPEND, LCS and the
 * integer and float counters. Values are latin1 JS strings or RawStrings (types/string.ts).
 *
 * Error order follows Redis: where Redis parses arguments before looking at the key (GETEX,
 * GETRANGE, SETRANGE, INCRBY, DECRBY), the spec has no `keyType` and the handler checks the
 * type itself, so `INCRBY list abc` answers the integer error as Redis does.
 */

// ---------------------------------------------------------------- spec helpers

const KEY: ArgumentSpec = { name: 'key', type: 'key' };
const VALUE: ArgumentSpec = { name: 'value', type: 'string' };

/** The one key spec every command here has: keys from argv[1], `lastKey` relative, `keyStep` apart. */
function keySpecs(flags: string[], lastKey = 0, keyStep = 1, notes?: string): KeySpec[] {
  return [keySpec(flags, 1, lastKey, notes, keyStep)];
}

const EXPIRATION_TOKENS: ArgumentSpec[] = [
  { name: 'seconds', type: 'integer', token: 'EX' },
  { name: 'milliseconds', type: 'integer', token: 'PX' },
  { name: 'unix-time-seconds', type: 'unix-time', token: 'EXAT' },
  { name: 'unix-time-milliseconds', type: 'unix-time', token: 'PXAT' },
];

// ---------------------------------------------------------------- value helpers

function isString(v: Value): v is StringValue {
  return typeof v === 'string' || v instanceof RawString;
}

function replyValue(ctx: Client, v: StringValue | undefined): void {
  if (v === undefined) ctx.reply.null();
  else ctx.reply.bulk(typeof v === 'string' ? v : v.bytes());
}

/**
 * The longest value APPEND and SETRANGE may build: proto-max-bulk-len (512 MiB by default), and
 * never beyond what a Buffer can hold (a RangeError must not escape when the limit is raised).
 */
function maxStringLength(ctx: Client): number {
  return Math.min(ctx.engine.config.getNumber('proto-max-bulk-len'), MAX_RAW_LENGTH);
}

/** Compares an option argument with an upper-case keyword without upper-casing a huge value. */
function isToken(arg: string, upper: string): boolean {
  return arg.length === upper.length && arg.toUpperCase() === upper;
}

// ---------------------------------------------------------------- expiry options

const LLONG_MAX_DIV_1000 = INT64_MAX / 1000n;
/** Below this, seconds * 1000 + now stays an exact double. */
const EXACT_EXPIRE_LIMIT = 2 ** 42;

type ExpireKind = '' | 'EX' | 'PX' | 'EXAT' | 'PXAT';

interface StringOptions {
  nx: boolean;
  xx: boolean;
  get: boolean;
  keepTtl: boolean;
  persist: boolean;
  expireKind: ExpireKind;
  expireArg: string;
}

/**
 * SET's and GETEX's options with Redis's conflict rules: NX/XX exclude each other, one
 * expiration kind (repeating the same one is allowed, the last wins), KEEPTTL (SET) and
 * PERSIST (GETEX) exclude every expiration. Anything else, or a missing value: syntax error.
 */
function parseStringOptions(argv: string[], start: number, command: 'set' | 'getex'): StringOptions | undefined {
  const o: StringOptions = { nx: false, xx: false, get: false, keepTtl: false, persist: false, expireKind: '', expireArg: '' };
  const isSet = command === 'set';
  for (let j = start; j < argv.length; j++) {
    const arg = argv[j]!;
    const opt = arg.length <= 7 ? arg.toUpperCase() : '';
    const hasNext = j + 1 < argv.length;
    const kind = o.expireKind;
    if (opt === 'NX' && isSet && !o.xx) o.nx = true;
    else if (opt === 'XX' && isSet && !o.nx) o.xx = true;
    else if (opt === 'GET' && isSet) o.get = true;
    else if (opt === 'KEEPTTL' && isSet && !o.persist && kind === '') o.keepTtl = true;
    else if (opt === 'PERSIST' && !isSet && kind === '' && !o.keepTtl) o.persist = true;
    else if ((opt === 'EX' || opt === 'PX' || opt === 'EXAT' || opt === 'PXAT')
      && !o.keepTtl && !o.persist && (kind === '' || kind === opt) && hasNext) {
      o.expireKind = opt;
      o.expireArg = argv[++j]!;
    } else {
      return undefined;
    }
  }
  return o;
}

/**
 * The absolute expiry (ms) for an EX/PX/EXAT/PXAT argument, or the error to answer, with
 * Redis's checks: not an integer; <= 0; seconds beyond INT64_MAX/1000; a relative time whose
 * sum with now leaves int64 (Redis sees it wrap negative): `invalid expire time in '<cmd>'`.
 */
function expireAt(ctx: Client, arg: string, kind: ExpireKind, command: string): number | string {
  const v = parseInt64(arg);
  if (v === undefined) return NOT_INTEGER;
  if (v <= 0) return INVALID_EXPIRE(command);
  const seconds = kind === 'EX' || kind === 'EXAT';
  const relative = kind === 'EX' || kind === 'PX';
  if (typeof v === 'number' && v < EXACT_EXPIRE_LIMIT) {
    const ms = seconds ? v * 1000 : v;
    return relative ? ms + ctx.engine.time : ms;
  }
  let ms = BigInt(v);
  if (seconds) {
    if (ms > LLONG_MAX_DIV_1000) return INVALID_EXPIRE(command);
    ms *= 1000n;
  }
  if (relative) ms += BigInt(ctx.engine.time);
  if (ms > INT64_MAX) return INVALID_EXPIRE(command);
  return Number(ms);
}

// ---------------------------------------------------------------- GET / SET family

// GET key
export const get = defineCommand({
  name: 'get', arity: 2, flags: ['readonly', 'fast'], keys: [1, 1, 1],
  group: 'string', since: '1.0.0', summary: 'Get the value of a key', complexity: 'O(1)',
  keyType: 'string', keySpecs: keySpecs(['RO', 'access']),
  arguments: [KEY],
  run(ctx, argv) {
    replyValue(ctx, lookupRead(ctx, argv[1]!) as StringValue | undefined);
  },
});

// SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]
export const set = defineCommand({
  name: 'set', arity: -3, flags: ['write', 'denyoom'], keys: [1, 1, 1],
  group: 'string', since: '1.0.0', summary: 'Set the string value of a key', complexity: 'O(1)',
  keySpecs: keySpecs(['RW', 'access', 'update', 'variable_flags'], 0, 1, 'RW and ACCESS due to the optional `GET` argument'),
  history: [
    ['2.6.12', 'Added the `EX`, `PX`, `NX` and `XX` options.'],
    ['6.0.0', 'Added the `KEEPTTL` option.'],
    ['6.2.0', 'Added the `GET`, `EXAT` and `PXAT` option.'],
    ['7.0.0', 'Allowed the `NX` and `GET` options to be used together.'],
  ],
  arguments: [
    KEY, VALUE,
    {
      name: 'condition', type: 'oneof', since: '2.6.12', optional: true, arguments: [
        { name: 'nx', type: 'pure-token', token: 'NX' },
        { name: 'xx', type: 'pure-token', token: 'XX' },
      ],
    },
    { name: 'get', type: 'pure-token', token: 'GET', since: '6.2.0', optional: true },
    {
      name: 'expiration', type: 'oneof', optional: true, arguments: [
        { name: 'seconds', type: 'integer', token: 'EX', since: '2.6.12' },
        { name: 'milliseconds', type: 'integer', token: 'PX', since: '2.6.12' },
        { name: 'unix-time-seconds', type: 'unix-time', token: 'EXAT', since: '6.2.0' },
        { name: 'unix-time-milliseconds', type: 'unix-time', token: 'PXAT', since: '6.2.0' },
        { name: 'keepttl', type: 'pure-token', token: 'KEEPTTL', since: '6.0.0' },
      ],
    },
  ],
  run(ctx, argv) {
    const key = argv[1]!;
    const value = argv[2]!;
    if (argv.length === 3) {
      ctx.db.set(key, value);
      notify(ctx, NOTIFY_STRING, 'set', key);
      ctx.reply.simple('OK');
      return;
    }
    const o = parseStringOptions(argv, 3, 'set');
    if (o === undefined) return ctx.reply.error(SYNTAX);
    let at: number | undefined;
    if (o.expireKind !== '') {
      const r = expireAt(ctx, o.expireArg, o.expireKind, 'set');
      if (typeof r === 'string') return ctx.reply.error(r);
      at = r;
    }
    // With GET the key is read first (a miss is a keymiss event), as Redis's getGenericCommand.
    const old = o.get ? lookupRead(ctx, key) : ctx.db.lookup(key);
    // SET ... GET on another type refuses and leaves the key alone.
    if (o.get && old !== undefined && !isString(old)) return ctx.reply.error(WRONGTYPE);
    if ((o.nx && old !== undefined) || (o.xx && old === undefined)) {
      if (o.get) replyValue(ctx, old as StringValue | undefined);
      else ctx.reply.null();
      return;
    }
    // With a new expiry the old one is overwritten rather than deleted and re-added (Map churn).
    ctx.db.set(key, value, o.keepTtl || at !== undefined);
    // A time already past (EXAT/PXAT) is stored as is: the next lookup expires the key, as in Redis.
    if (at !== undefined) ctx.db.setExpire(key, at);
    notify(ctx, NOTIFY_STRING, 'set', key);
    if (at !== undefined) notify(ctx, NOTIFY_GENERIC, 'expire', key);
    // The log gets the effect: any expiry as an absolute PXAT (EX replayed later would end
    // elsewhere), KEEPTTL kept, NX/XX/GET dropped (the condition held; the reply is nobody's).
    ctx.engine.propagate(ctx.db, ctx.engine.propagator === undefined ? NO_ARGV
      : at !== undefined ? ['SET', key, value, 'PXAT', msArgument(at)]
      : o.keepTtl ? ['SET', key, value, 'KEEPTTL'] : ['SET', key, value]);
    if (o.get) replyValue(ctx, old as StringValue | undefined);
    else ctx.reply.simple('OK');
  },
});

// SETNX key value
export const setnx = defineCommand({
  name: 'setnx', arity: 3, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1],
  group: 'string', since: '1.0.0', summary: 'Set the value of a key, only if the key does not exist',
  complexity: 'O(1)', keySpecs: keySpecs(['OW', 'insert']),
  arguments: [KEY, VALUE],
  run(ctx, argv) {
    const key = argv[1]!;
    if (ctx.db.lookup(key) !== undefined) return ctx.reply.int(0);
    ctx.db.set(key, argv[2]!);
    notify(ctx, NOTIFY_STRING, 'set', key);
    ctx.reply.int(1);
  },
});

function setWithExpire(ctx: Client, argv: string[], kind: 'EX' | 'PX'): void {
  const at = expireAt(ctx, argv[2]!, kind, kind === 'EX' ? 'setex' : 'psetex');
  if (typeof at === 'string') return ctx.reply.error(at);
  const key = argv[1]!;
  ctx.db.set(key, argv[3]!, true); // the expiry is overwritten just below
  ctx.db.setExpire(key, at);
  notify(ctx, NOTIFY_STRING, 'set', key);
  notify(ctx, NOTIFY_GENERIC, 'expire', key);
  // Logged with the absolute time, as Redis 7 does (a relative one replayed later would differ).
  ctx.engine.propagate(ctx.db, ctx.engine.propagator === undefined ? NO_ARGV : ['SET', key, argv[3]!, 'PXAT', msArgument(at)]);
  ctx.reply.simple('OK');
}

// SETEX key seconds value
export const setex = defineCommand({
  name: 'setex', arity: 4, flags: ['write', 'denyoom'], keys: [1, 1, 1],
  group: 'string', since: '2.0.0', summary: 'Set the value and expiration of a key', complexity: 'O(1)',
  keySpecs: keySpecs(['OW', 'update']),
  arguments: [KEY, { name: 'seconds', type: 'integer' }, VALUE],
  run(ctx, argv) { setWithExpire(ctx, argv, 'EX'); },
});

// PSETEX key milliseconds value
export const psetex = defineCommand({
  name: 'psetex', arity: 4, flags: ['write', 'denyoom'], keys: [1, 1, 1],
  group: 'string', since: '2.6.0', summary: 'Set the value and expiration in milliseconds of a key',
  complexity: 'O(1)', keySpecs: keySpecs(['OW', 'update']),
  arguments: [KEY, { name: 'milliseconds', type: 'integer' }, VALUE],
  run(ctx, argv) { setWithExpire(ctx, argv, 'PX'); },
});

// MGET key [key ...]
export const mget = defineCommand({
  name: 'mget', arity: -2, flags: ['readonly', 'fast'], keys: [1, -1, 1],
  group: 'string', since: '1.0.0', summary: 'Get the values of all the given keys',
  complexity: 'O(N) where N is the number of keys to retrieve.',
  keySpecs: keySpecs(['RO', 'access'], -1), tips: ['request_policy:multi_shard'],
  arguments: [{ name: 'key', type: 'key', multiple: true }],
  run(ctx, argv) {
    ctx.reply.array(argv.length - 1);
    for (let i = 1; i < argv.length; i++) {
      const v = lookupRead(ctx, argv[i]!);
      // Keys of other types answer nil, not WRONGTYPE.
      if (v !== undefined && isString(v)) ctx.reply.bulk(stringForReply(v));
      else ctx.reply.null();
    }
  },
});

const KEY_VALUE_PAIRS: ArgumentSpec = { name: 'key_value', type: 'block', multiple: true, arguments: [KEY, VALUE] };

// MSET key value [key value ...]
export const mset = defineCommand({
  name: 'mset', arity: -3, flags: ['write', 'denyoom'], keys: [1, -1, 2],
  group: 'string', since: '1.0.1', summary: 'Set multiple keys to multiple values',
  complexity: 'O(N) where N is the number of keys to set.',
  keySpecs: keySpecs(['OW', 'update'], -1, 2), tips: ['request_policy:multi_shard', 'response_policy:all_succeeded'],
  arguments: [KEY_VALUE_PAIRS],
  run(ctx, argv) {
    if (argv.length % 2 === 0) return ctx.reply.error(wrongArity('mset'));
    for (let i = 1; i < argv.length; i += 2) {
      ctx.db.set(argv[i]!, argv[i + 1]!);
      notify(ctx, NOTIFY_STRING, 'set', argv[i]!);
    }
    ctx.reply.simple('OK');
  },
});

// MSETNX key value [key value ...]
export const msetnx = defineCommand({
  name: 'msetnx', arity: -3, flags: ['write', 'denyoom'], keys: [1, -1, 2],
  group: 'string', since: '1.0.1', summary: 'Set multiple keys to multiple values, only if none of the keys exist',
  complexity: 'O(N) where N is the number of keys to set.',
  keySpecs: keySpecs(['OW', 'insert'], -1, 2), tips: ['request_policy:multi_shard', 'response_policy:agg_min'],
  arguments: [KEY_VALUE_PAIRS],
  run(ctx, argv) {
    if (argv.length % 2 === 0) return ctx.reply.error(wrongArity('msetnx'));
    for (let i = 1; i < argv.length; i += 2) {
      if (ctx.db.lookup(argv[i]!) !== undefined) return ctx.reply.int(0);
    }
    for (let i = 1; i < argv.length; i += 2) {
      ctx.db.set(argv[i]!, argv[i + 1]!);
      notify(ctx, NOTIFY_STRING, 'set', argv[i]!);
    }
    ctx.reply.int(1);
  },
});

// GETSET key value
export const getset = defineCommand({
  name: 'getset', arity: 3, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1],
  group: 'string', since: '1.0.0', summary: 'Set the string value of a key and return its old value',
  complexity: 'O(1)', keyType: 'string', keySpecs: keySpecs(['RW', 'access', 'update']),
  deprecatedSince: '6.2.0', replacedBy: '`SET` with the `!GET` argument',
  arguments: [KEY, VALUE],
  run(ctx, argv) {
    const key = argv[1]!;
    const old = lookupRead(ctx, key) as StringValue | undefined;
    ctx.db.set(key, argv[2]!);
    notify(ctx, NOTIFY_STRING, 'set', key);
    replyValue(ctx, old);
  },
});

// GETDEL key
export const getdel = defineCommand({
  name: 'getdel', arity: 2, flags: ['write', 'fast'], keys: [1, 1, 1],
  group: 'string', since: '6.2.0', summary: 'Get the value of a key and delete the key', complexity: 'O(1)',
  keyType: 'string', keySpecs: keySpecs(['RW', 'access', 'delete']),
  arguments: [KEY],
  run(ctx, argv) {
    const key = argv[1]!;
    const v = lookupRead(ctx, key) as StringValue | undefined;
    replyValue(ctx, v);
    if (v !== undefined) {
      ctx.db.delete(key);
      notify(ctx, NOTIFY_GENERIC, 'del', key);
      ctx.engine.propagate(ctx.db, ctx.engine.propagator === undefined ? NO_ARGV : ['DEL', key]);
    }
  },
});

// GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]
export const getex = defineCommand({
  name: 'getex', arity: -2, flags: ['write', 'fast'], keys: [1, 1, 1],
  group: 'string', since: '6.2.0', summary: 'Get the value of a key and optionally set its expiration',
  complexity: 'O(1)', keySpecs: keySpecs(['RW', 'access', 'update'], 0, 1, 'RW and UPDATE because it changes the TTL'),
  arguments: [
    KEY,
    {
      name: 'expiration', type: 'oneof', optional: true,
      arguments: [...EXPIRATION_TOKENS, { name: 'persist', type: 'pure-token', token: 'PERSIST' }],
    },
  ],
  run(ctx, argv) {
    // Redis's order: syntax, then a missing key (nil, whatever the time), type, then the time.
    const o = parseStringOptions(argv, 2, 'getex');
    if (o === undefined) return ctx.reply.error(SYNTAX);
    const key = argv[1]!;
    const v = lookupRead(ctx, key);
    if (v === undefined) return ctx.reply.null();
    if (!isString(v)) return ctx.reply.error(WRONGTYPE);
    let at: number | undefined;
    if (o.expireKind !== '') {
      const r = expireAt(ctx, o.expireArg, o.expireKind, 'getex');
      if (typeof r === 'string') return ctx.reply.error(r);
      at = r;
    }
    replyValue(ctx, v);
    // Logged as its effect on the key (PEXPIREAT with the absolute time, DEL, PERSIST); a plain
    // GETEX, or PERSIST of a key without a TTL, changed nothing and is not logged.
    const propagator = ctx.engine.propagator;
    if (at !== undefined) {
      // Unlike SET, GETEX deletes at once when EXAT/PXAT is already past (not while loading:
      // nothing expires then, as in Redis).
      if (at <= ctx.engine.time && !ctx.engine.loading) {
        ctx.db.delete(key);
        notify(ctx, NOTIFY_GENERIC, 'del', key);
        ctx.engine.propagate(ctx.db, propagator === undefined ? NO_ARGV : ['DEL', key]);
      } else {
        ctx.db.setExpire(key, at);
        notify(ctx, NOTIFY_GENERIC, 'expire', key);
        ctx.engine.propagate(ctx.db, propagator === undefined ? NO_ARGV : ['PEXPIREAT', key, msArgument(at)]);
      }
    } else if (o.persist && ctx.db.persist(key)) {
      notify(ctx, NOTIFY_GENERIC, 'persist', key);
      ctx.engine.propagate(ctx.db, propagator === undefined ? NO_ARGV : ['PERSIST', key]);
    }
  },
});

// ---------------------------------------------------------------- in-place edits and ranges

// APPEND key value
export const append = defineCommand({
  name: 'append', arity: 3, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1],
  group: 'string', since: '2.0.0', summary: 'Append a value to a key',
  complexity: 'O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.',
  keyType: 'string', keySpecs: keySpecs(['RW', 'insert']),
  arguments: [KEY, VALUE],
  run(ctx, argv) {
    const key = argv[1]!;
    const suffix = argv[2]!;
    const v = ctx.db.lookup(key) as StringValue | undefined;
    if (v === undefined) {
      // A new key holds the argument as SET would (int/embstr/raw), not a RawString.
      ctx.db.set(key, suffix);
      notify(ctx, NOTIFY_STRING, 'append', key);
      return ctx.reply.int(suffix.length);
    }
    const total = v.length + suffix.length;
    if (total > maxStringLength(ctx)) return ctx.reply.error(STRING_TOO_LONG);
    const raw = toRawString(v, grownCapacity(total));
    raw.append(suffix);
    ctx.db.set(key, raw, true);
    notify(ctx, NOTIFY_STRING, 'append', key);
    ctx.reply.int(raw.length);
  },
});

// STRLEN key
export const strlen = defineCommand({
  name: 'strlen', arity: 2, flags: ['readonly', 'fast'], keys: [1, 1, 1],
  group: 'string', since: '2.2.0', summary: 'Get the length of the value stored in a key', complexity: 'O(1)',
  keyType: 'string', keySpecs: keySpecs(['RO']),
  arguments: [KEY],
  run(ctx, argv) {
    const v = lookupRead(ctx, argv[1]!) as StringValue | undefined;
    ctx.reply.int(v === undefined ? 0 : v.length);
  },
});

/** Far beyond any string length, still an exact double: where out-of-range int64 indices clamp. */
const INDEX_CLAMP = 2 ** 60;

function clampIndex(x: number | bigint): number {
  if (typeof x === 'number') return x;
  return x < 0n ? -INDEX_CLAMP : INDEX_CLAMP;
}

function getRange(ctx: Client, argv: string[]): void {
  const startArg = parseInt64(argv[2]!);
  if (startArg === undefined) return ctx.reply.error(NOT_INTEGER);
  const endArg = parseInt64(argv[3]!);
  if (endArg === undefined) return ctx.reply.error(NOT_INTEGER);
  const v = lookupRead(ctx, argv[1]!);
  if (v === undefined) return ctx.reply.bulk('');
  if (!isString(v)) return ctx.reply.error(WRONGTYPE);
  // Compared exactly (number and bigint compare by value) before clamping to safe numbers.
  if (startArg < 0 && endArg < 0 && startArg > endArg) return ctx.reply.bulk('');
  const len = v.length;
  let start = clampIndex(startArg);
  let end = clampIndex(endArg);
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len === 0) return ctx.reply.bulk('');
  ctx.reply.bulk(typeof v === 'string' ? v.slice(start, end + 1) : v.buf.subarray(start, end + 1));
}

const RANGE_ARGUMENTS: ArgumentSpec[] = [KEY, { name: 'start', type: 'integer' }, { name: 'end', type: 'integer' }];
const RANGE_COMPLEXITY = 'O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.';

// GETRANGE key start end
export const getrange = defineCommand({
  name: 'getrange', arity: 4, flags: ['readonly'], keys: [1, 1, 1],
  group: 'string', since: '2.4.0', summary: 'Get a substring of the string stored at a key',
  complexity: RANGE_COMPLEXITY, keySpecs: keySpecs(['RO', 'access']),
  arguments: RANGE_ARGUMENTS,
  run: getRange,
});

// SUBSTR key start end
export const substr = defineCommand({
  name: 'substr', arity: 4, flags: ['readonly'], keys: [1, 1, 1],
  group: 'string', since: '1.0.0', summary: 'Get a substring of the string stored at a key',
  complexity: RANGE_COMPLEXITY, keySpecs: keySpecs(['RO', 'access']),
  deprecatedSince: '2.0.0', replacedBy: '`GETRANGE`',
  arguments: RANGE_ARGUMENTS,
  run: getRange,
});

// SETRANGE key offset value
export const setrange = defineCommand({
  name: 'setrange', arity: 4, flags: ['write', 'denyoom'], keys: [1, 1, 1],
  group: 'string', since: '2.2.0', summary: 'Overwrite part of a string at key starting at the specified offset',
  complexity: 'O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.',
  keySpecs: keySpecs(['RW', 'update']),
  arguments: [KEY, { name: 'offset', type: 'integer' }, VALUE],
  run(ctx, argv) {
    const offset = parseInt64(argv[2]!);
    if (offset === undefined) return ctx.reply.error(NOT_INTEGER);
    if (offset < 0) return ctx.reply.error(OFFSET_OUT_OF_RANGE);
    const key = argv[1]!;
    const patch = argv[3]!;
    const v = ctx.db.lookup(key);
    if (v !== undefined && !isString(v)) return ctx.reply.error(WRONGTYPE);
    // An empty patch changes nothing and creates nothing, whatever the offset.
    if (patch.length === 0) return ctx.reply.int(v === undefined ? 0 : v.length);
    // Checked before any allocation: an int64 offset never reaches Buffer.alloc.
    if (typeof offset === 'bigint' || offset + patch.length > maxStringLength(ctx)) {
      return ctx.reply.error(STRING_TOO_LONG);
    }
    const end = offset + patch.length;
    const raw = v === undefined ? new RawString('', end) : toRawString(v, Math.max(v.length, end));
    raw.setRange(offset, patch);
    ctx.db.set(key, raw, true);
    notify(ctx, NOTIFY_STRING, 'setrange', key);
    ctx.reply.int(raw.length);
  },
});

// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]
export const lcs = defineCommand({
  name: 'lcs', arity: -3, flags: ['readonly'], keys: [1, 2, 1],
  group: 'string', since: '7.0.0', summary: 'Find longest common substring',
  complexity: 'O(N*M) where N and M are the lengths of s1 and s2, respectively',
  keySpecs: keySpecs(['RO', 'access'], 1),
  arguments: [
    { name: 'key1', type: 'key' },
    { name: 'key2', type: 'key', keySpecIndex: 0 },
    { name: 'len', type: 'pure-token', token: 'LEN', optional: true },
    { name: 'idx', type: 'pure-token', token: 'IDX', optional: true },
    { name: 'len', type: 'integer', token: 'MINMATCHLEN', optional: true },
    { name: 'withmatchlen', type: 'pure-token', token: 'WITHMATCHLEN', optional: true },
  ],
  run(ctx, argv) {
    // LCS has its own type error (not WRONGTYPE), answered before the options are parsed.
    const a = lookupRead(ctx, argv[1]!);
    const b = lookupRead(ctx, argv[2]!);
    if ((a !== undefined && !isString(a)) || (b !== undefined && !isString(b))) {
      return ctx.reply.error(LCS_NOT_STRINGS);
    }
    let getIdx = false;
    let getLen = false;
    let withMatchLen = false;
    let minMatchLength = 0;
    for (let j = 3; j < argv.length; j++) {
      const arg = argv[j]!;
      if (isToken(arg, 'IDX')) getIdx = true;
      else if (isToken(arg, 'LEN')) getLen = true;
      else if (isToken(arg, 'WITHMATCHLEN')) withMatchLen = true;
      else if (isToken(arg, 'MINMATCHLEN') && j + 1 < argv.length) {
        const n = parseInt64(argv[++j]!);
        if (n === undefined) return ctx.reply.error(NOT_INTEGER);
        minMatchLength = n < 0 ? 0 : typeof n === 'bigint' ? Number.MAX_SAFE_INTEGER : n;
      } else {
        return ctx.reply.error(SYNTAX);
      }
    }
    if (getIdx && getLen) return ctx.reply.error(LCS_IDX_WITH_LEN);
    const aLength = a === undefined ? 0 : a.length;
    const bLength = b === undefined ? 0 : b.length;
    if (lcsTableBytes(aLength, bLength) > ctx.engine.config.getNumber('proto-max-bulk-len')) {
      return ctx.reply.error(LCS_TOO_MUCH_MEMORY);
    }
    let result;
    try {
      result = longestCommonSubsequence(
        a === undefined ? EMPTY : stringToBytes(a),
        b === undefined ? EMPTY : stringToBytes(b),
        { subsequence: !getLen && !getIdx, matches: getIdx, minMatchLength },
      );
    } catch (e) {
      // The table is within the configured limit but the process could not allocate it.
      if (e instanceof RangeError) return ctx.reply.error(LCS_TOO_MUCH_MEMORY);
      throw e;
    }
    if (getIdx) {
      const matches = result.matches!;
      ctx.reply.map(2);
      ctx.reply.bulk('matches');
      ctx.reply.array(matches.length);
      for (const m of matches) {
        ctx.reply.array(withMatchLen ? 3 : 2);
        ctx.reply.array(2);
        ctx.reply.int(m.aStart);
        ctx.reply.int(m.aEnd);
        ctx.reply.array(2);
        ctx.reply.int(m.bStart);
        ctx.reply.int(m.bEnd);
        if (withMatchLen) ctx.reply.int(m.length);
      }
      ctx.reply.bulk('len');
      ctx.reply.int(result.length);
    } else if (getLen) {
      ctx.reply.int(result.length);
    } else {
      ctx.reply.bulk(result.subsequence!);
    }
  },
});

const EMPTY = new Uint8Array(0);

// ---------------------------------------------------------------- counters


/** The value as int64 the way Redis's string2ll reads it, or undefined (not an integer). */
function integerValue(v: StringValue): number | bigint | undefined {
  if (typeof v === 'string') return parseInt64(v);
  return v.length <= 20 ? parseInt64(stringToLatin1(v)) : undefined;
}

/**
 * INCR/DECR/INCRBY/DECRBY: add `by` to the key's int64 value (0 when missing), keeping its TTL.
 * Hot path (INCR on a small counter): one lookup, one parse of a short string, one Map set.
 */
function incrBy(ctx: Client, key: string, v: Value | undefined, by: number | bigint): void {
  let current: number | bigint | undefined = 0;
  if (v !== undefined) {
    current = integerValue(v as StringValue);
    if (current === undefined) return ctx.reply.error(NOT_INTEGER);
  }
  const next = addInt64(current, by);
  if (next === undefined) return ctx.reply.error(OVERFLOW);
  ctx.db.set(key, String(next), true);
  notify(ctx, NOTIFY_STRING, 'incrby', key);
  ctx.reply.int(next);
}

const COUNTER_KEY_SPEC = keySpecs(['RW', 'access', 'update']);

// INCR key
export const incr = defineCommand({
  name: 'incr', arity: 2, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1],
  group: 'string', since: '1.0.0', summary: 'Increment the integer value of a key by one', complexity: 'O(1)',
  keyType: 'string', keySpecs: COUNTER_KEY_SPEC,
  arguments: [KEY],
  run(ctx, argv) {
    const key = argv[1]!;
    incrBy(ctx, key, ctx.db.lookup(key), 1);
  },
});

// DECR key
export const decr = defineCommand({
  name: 'decr', arity: 2, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1],
  group: 'string', since: '1.0.0', summary: 'Decrement the integer value of a key by one', complexity: 'O(1)',
  keyType: 'string', keySpecs: COUNTER_KEY_SPEC,
  arguments: [KEY],
  run(ctx, argv) {
    const key = argv[1]!;
    incrBy(ctx, key, ctx.db.lookup(key), -1);
  },
});

// INCRBY key increment
export const incrby = defineCommand({
  name: 'incrby', arity: 3, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1],
  group: 'string', since: '1.0.0', summary: 'Increment the integer value of a key by the given amount',
  complexity: 'O(1)', keySpecs: COUNTER_KEY_SPEC,
  arguments: [KEY, { name: 'increment', type: 'integer' }],
  run(ctx, argv) {
    const by = parseInt64(argv[2]!);
    if (by === undefined) return ctx.reply.error(NOT_INTEGER);
    const key = argv[1]!;
    const v = ctx.db.lookup(key);
    if (v !== undefined && !isString(v)) return ctx.reply.error(WRONGTYPE);
    incrBy(ctx, key, v, by);
  },
});

// DECRBY key decrement
export const decrby = defineCommand({
  name: 'decrby', arity: 3, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1],
  group: 'string', since: '1.0.0', summary: 'Decrement the integer value of a key by the given number',
  complexity: 'O(1)', keySpecs: COUNTER_KEY_SPEC,
  arguments: [KEY, { name: 'decrement', type: 'integer' }],
  run(ctx, argv) {
    const by = parseInt64(argv[2]!);
    if (by === undefined) return ctx.reply.error(NOT_INTEGER);
    // -LLONG_MIN does not exist; Redis answers its own error before looking at the key.
    if (by === INT64_MIN) return ctx.reply.error(DECREMENT_OVERFLOW);
    const key = argv[1]!;
    const v = ctx.db.lookup(key);
    if (v !== undefined && !isString(v)) return ctx.reply.error(WRONGTYPE);
    incrBy(ctx, key, v, -by);
  },
});

/** string2ld refuses anything this long before parsing (Redis's MAX_LONG_DOUBLE_CHARS buffer). */
const MAX_LONG_DOUBLE_CHARS = 5 * 1024;

// INCRBYFLOAT key increment
export const incrbyfloat = defineCommand({
  name: 'incrbyfloat', arity: 3, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1],
  group: 'string', since: '2.6.0', summary: 'Increment the float value of a key by the given amount',
  complexity: 'O(1)', keyType: 'string', keySpecs: COUNTER_KEY_SPEC,
  arguments: [KEY, { name: 'increment', type: 'double' }],
  run(ctx, argv) {
    const key = argv[1]!;
    const v = ctx.db.lookup(key) as StringValue | undefined;
    if (v !== undefined && v.length >= MAX_LONG_DOUBLE_CHARS) return ctx.reply.error(NOT_FLOAT);
    const r = incrByFloat(v === undefined ? undefined : stringToLatin1(v), argv[2]!);
    if (!r.ok) return ctx.reply.error(r.reason === 'not-float' ? NOT_FLOAT : INCR_NAN_OR_INFINITY);
    // Stored as the formatted text (what Redis stores), keeping the TTL.
    ctx.db.set(key, r.value, true);
    notify(ctx, NOTIFY_STRING, 'incrbyfloat', key);
    // Logged as that text: replaying the increment would redo the long double arithmetic,
    // which need not round the same everywhere (Redis 7 logs the same SET).
    ctx.engine.propagate(ctx.db, ctx.engine.propagator === undefined ? NO_ARGV : ['SET', key, r.value, 'KEEPTTL']);
    ctx.reply.bulk(r.value);
  },
});

export const stringCommands: Command[] = [
  get, set, setnx, setex, psetex, mget, mset, msetnx, getset, getdel, getex,
  append, strlen, getrange, substr, setrange, lcs,
  incr, decr, incrby, decrby, incrbyfloat,
];
