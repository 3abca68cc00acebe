import type { Client } from '../client.js';
import { defineCommand, type Command } from '../command.js';
import { INT64_MAX, parseInt64 } from '../args.js';
import {
  COPY_NOT_SUPPORTED, DB_INDEX_OUT_OF_RANGE, EXPIRE_GT_LT_CONFLICT, EXPIRE_NX_CONFLICT,
  INT_OUT_OF_RANGE, INVALID_CURSOR, INVALID_EXPIRE, INVALID_FIRST_DB_INDEX, INVALID_SECOND_DB_INDEX,
  LFU_NOT_SELECTED, LFU_SELECTED_NO_IDLE, LRU_NOT_SELECTED, NOT_INTEGER, NO_SUCH_KEY, SAME_OBJECT,
  SYNTAX, unsupportedOption,
} from '../errors.js';
import { globMatch } from '../glob.js';
import { NOTIFY_GENERIC, lookupRead, notify, peekRead } from '../notify.js';
import { typeOf, type Database, type Value } from '../keyspace.js';
import { parseScanCursor, parseScanOptions, scanKeys } from '../scan.js';
import { type ArgumentSpec, keySpec } from '../spec.js';
import { RawString, stringEncoding } from '../types/string.js';

/**
 * The keyspace family: existence, deletion, renaming, copying and moving keys, iteration
 * (KEYS, SCAN, RANDOMKEY), whole databases (DBSIZE, FLUSHDB, FLUSHALL, SWAPDB), OBJECT, and
 * expiry (EXPIRE and friends, TTL and friends, PERSIST). These commands take any type, so no
 * spec here has a `keyType`. Active expiry lives in expire.ts, cursors in scan.ts, patterns in
 * glob.ts.
 *
 * Lookups that Redis makes with LOOKUP_NOTOUCH (TYPE, EXISTS, TTL, OBJECT) use Database.peek,
 * so they do not count as an access for LRU/LFU; the others use lookup.
 */

// ---------------------------------------------------------------- spec helpers

const KEY: ArgumentSpec = { name: 'key', type: 'key' };
const KEYS: ArgumentSpec = { name: 'key', type: 'key', multiple: true };

/** A key spec at argv[index]: `lastKey` is relative (0: one key, -1: to the end). */

const EXPIRE_CONDITION: ArgumentSpec = {
  name: 'condition', type: 'oneof', since: '7.0.0', optional: true, arguments: [
    { name: 'nx', type: 'pure-token', token: 'NX' },
    { name: 'xx', type: 'pure-token', token: 'XX' },
    { name: 'gt', type: 'pure-token', token: 'GT' },
    { name: 'lt', type: 'pure-token', token: 'LT' },
  ],
};
const EXPIRE_HISTORY: [string, string][] = [['7.0.0', 'Added options: `NX`, `XX`, `GT` and `LT`.']];

const FLUSH_MODE: ArgumentSpec = {
  name: 'async', type: 'oneof', optional: true, arguments: [
    { name: 'async', type: 'pure-token', token: 'ASYNC', since: '4.0.0' },
    { name: 'sync', type: 'pure-token', token: 'SYNC', since: '6.2.0' },
  ],
};
const FLUSH_HISTORY: [string, string][] = [
  ['4.0.0', 'Added the `ASYNC` flushing mode modifier.'],
  ['6.2.0', 'Added the `SYNC` flushing mode modifier.'],
];

// ---------------------------------------------------------------- helpers

/**
 * A database index argument as MOVE and COPY read it (getRangeLongFromObjectOrReply, then
 * selectDb): not an integer, beyond a C int, or no such database: the error to answer.
 */
function databaseArg(ctx: Client, arg: string): Database | string {
  const n = parseInt64(arg);
  if (n === undefined) return NOT_INTEGER;
  if (n < -2147483648 || n > 2147483647) return INT_OUT_OF_RANGE;
  return ctx.engine.dbs[Number(n)] ?? DB_INDEX_OUT_OF_RANGE;
}

/**
 * An independent copy of a value for COPY: latin1 strings are immutable and shared; a
 * RawString (mutable bytes) is copied and stays `raw`, as Redis's dupStringObject keeps the
 * encoding; collections provide copy() (undefined when one does not yet).
 */
function copyValue(v: Value): Value | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof RawString) return new RawString(v.bytes());
  return v.copy?.();
}

// ---------------------------------------------------------------- the log's effect argvs

/**
 * What a handler hands Engine.propagate when no propagator is set: it still calls propagate
 * (which marks the command as logged by its handler) but builds no argv on a hot path.
 */
export const NO_ARGV: readonly string[] = [];

/** 2^63 as a double: the first absolute time whose String() is beyond int64. */
const TWO_63 = 2 ** 63;

/**
 * An absolute expiry (ms, as stored: a double) as a PEXPIREAT / SET PXAT argument that reads
 * back as the same double. Times are integers; beyond 2^53 String() gives the shortest decimal
 * that rounds back to it, and the times that round up to 2^63 are written as INT64_MAX (which
 * rounds to 2^63 again) so that the argument stays within int64.
 */
export function msArgument(ms: number): string {
  return ms >= TWO_63 ? '9223372036854775807' : String(ms);
}

// ---------------------------------------------------------------- existence and deletion

function deleteKeys(ctx: Client, argv: string[]): void {
  let n = 0;
  for (let i = 1; i < argv.length; i++) {
    if (!ctx.db.delete(argv[i]!)) continue;
    notify(ctx, NOTIFY_GENERIC, 'del', argv[i]!);
    n++;
  }
  ctx.reply.int(n);
}

// DEL key [key ...]
export const del = defineCommand({
  name: 'del', arity: -2, flags: ['write'], keys: [1, -1, 1],
  group: 'generic', since: '1.0.0', summary: 'Delete a key',
  complexity: 'O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).',
  tips: ['request_policy:multi_shard', 'response_policy:agg_sum'],
  keySpecs: [keySpec(['RM', 'delete'], 1, -1)],
  arguments: [KEYS],
  reply: 'integer: the number of keys removed',
  run: deleteKeys,
});

// UNLINK key [key ...]
// A removed value is garbage for V8's concurrent collector: nothing to free on our thread,
// so UNLINK is DEL (Redis frees large values in a background thread).
export const unlink = defineCommand({
  name: 'unlink', arity: -2, flags: ['write', 'fast'], keys: [1, -1, 1],
  group: 'generic', since: '4.0.0',
  summary: 'Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.',
  complexity: 'O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.',
  tips: ['request_policy:multi_shard', 'response_policy:agg_sum'],
  keySpecs: [keySpec(['RM', 'delete'], 1, -1)],
  arguments: [KEYS],
  reply: 'integer: the number of keys removed',
  run: deleteKeys,
});

// EXISTS key [key ...]
export const exists = defineCommand({
  name: 'exists', arity: -2, flags: ['readonly', 'fast'], keys: [1, -1, 1],
  group: 'generic', since: '1.0.0', summary: 'Determine if a key exists',
  complexity: 'O(N) where N is the number of keys to check.',
  history: [['3.0.3', 'Accepts multiple `key` arguments.']],
  tips: ['request_policy:multi_shard', 'response_policy:agg_sum'],
  keySpecs: [keySpec(['RO'], 1, -1)],
  arguments: [KEYS],
  reply: 'integer: how many of the keys exist, a key named twice counting twice',
  run(ctx, argv) {
    let n = 0;
    for (let i = 1; i < argv.length; i++) if (peekRead(ctx, argv[i]!) !== undefined) n++;
    ctx.reply.int(n);
  },
});

// TOUCH key [key ...]
export const touch = defineCommand({
  name: 'touch', arity: -2, flags: ['readonly', 'fast'], keys: [1, -1, 1],
  group: 'generic', since: '3.2.1',
  summary: 'Alters the last access time of a key(s). Returns the number of existing keys specified.',
  complexity: 'O(N) where N is the number of keys that will be touched.',
  tips: ['request_policy:multi_shard', 'response_policy:agg_sum'],
  keySpecs: [keySpec(['RO'], 1, -1)],
  arguments: [KEYS],
  reply: 'integer: how many of the keys exist',
  run(ctx, argv) {
    let n = 0;
    for (let i = 1; i < argv.length; i++) if (lookupRead(ctx, argv[i]!) !== undefined) n++;
    ctx.reply.int(n);
  },
});

// TYPE key
export const type = defineCommand({
  name: 'type', arity: 2, flags: ['readonly', 'fast'], keys: [1, 1, 1],
  group: 'generic', since: '1.0.0', summary: 'Determine the type stored at key', complexity: 'O(1)',
  keySpecs: [keySpec(['RO'])],
  arguments: [KEY],
  reply: 'simple string: string, list, set, zset, hash, stream, or none',
  run(ctx, argv) {
    const v = peekRead(ctx, argv[1]!);
    ctx.reply.simple(v === undefined ? 'none' : typeOf(v));
  },
});

// ---------------------------------------------------------------- renaming, copying, moving

function renameGeneric(ctx: Client, argv: string[], nx: boolean): void {
  const from = argv[1]!;
  const to = argv[2]!;
  if (ctx.db.lookup(from) === undefined) return ctx.reply.error(NO_SUCH_KEY);
  if (from === to) return nx ? ctx.reply.int(0) : ctx.reply.simple('OK');
  if (ctx.db.lookup(to) !== undefined && nx) return ctx.reply.int(0);
  ctx.db.rename(from, to);
  notify(ctx, NOTIFY_GENERIC, 'rename_from', from);
  notify(ctx, NOTIFY_GENERIC, 'rename_to', to);
  if (nx) ctx.reply.int(1);
  else ctx.reply.simple('OK');
}

// RENAME key newkey
export const rename = defineCommand({
  name: 'rename', arity: 3, flags: ['write'], keys: [1, 2, 1],
  group: 'generic', since: '1.0.0', summary: 'Rename a key', complexity: 'O(1)',
  keySpecs: [keySpec(['RW', 'access', 'delete'], 1), keySpec(['OW', 'update'], 2)],
  arguments: [KEY, { name: 'newkey', type: 'key' }],
  reply: 'simple string OK; the TTL moves with the key',
  run(ctx, argv) { renameGeneric(ctx, argv, false); },
});

// RENAMENX key newkey
export const renamenx = defineCommand({
  name: 'renamenx', arity: 3, flags: ['write', 'fast'], keys: [1, 2, 1],
  group: 'generic', since: '1.0.0', summary: 'Rename a key, only if the new key does not exist', complexity: 'O(1)',
  history: [['3.2.0', 'The command no longer returns an error when source and destination names are the same.']],
  keySpecs: [keySpec(['RW', 'access', 'delete'], 1), keySpec(['OW', 'insert'], 2)],
  arguments: [KEY, { name: 'newkey', type: 'key' }],
  reply: 'integer: 1 renamed, 0 when newkey exists',
  run(ctx, argv) { renameGeneric(ctx, argv, true); },
});

// COPY source destination [DB destination-db] [REPLACE]
export const copy = defineCommand({
  name: 'copy', arity: -3, flags: ['write', 'denyoom'], keys: [1, 2, 1],
  group: 'generic', since: '6.2.0', summary: 'Copy a key',
  complexity: 'O(N) worst case for collections, where N is the number of nested items. O(1) for string values.',
  keySpecs: [keySpec(['RO', 'access'], 1), keySpec(['OW', 'update'], 2)],
  arguments: [
    { name: 'source', type: 'key' },
    { name: 'destination', type: 'key' },
    { name: 'destination-db', type: 'integer', token: 'DB', optional: true },
    { name: 'replace', type: 'pure-token', token: 'REPLACE', optional: true },
  ],
  reply: 'integer: 1 copied, 0 when the source is missing or the destination exists',
  run(ctx, argv) {
    const source = argv[1]!;
    const destination = argv[2]!;
    let target = ctx.db;
    let replace = false;
    for (let i = 3; i < argv.length; i++) {
      const opt = argv[i]!.toUpperCase();
      if (opt === 'REPLACE') {
        replace = true;
      } else if (opt === 'DB' && i + 1 < argv.length) {
        const db = databaseArg(ctx, argv[++i]!);
        if (typeof db === 'string') return ctx.reply.error(db);
        target = db;
      } else {
        return ctx.reply.error(SYNTAX);
      }
    }
    if (source === destination && target === ctx.db) return ctx.reply.error(SAME_OBJECT);
    const value = lookupRead(ctx, source);
    if (value === undefined) return ctx.reply.int(0);
    if (target.lookup(destination) !== undefined) {
      if (!replace) return ctx.reply.int(0);
      target.delete(destination);
    }
    const dup = copyValue(value);
    if (dup === undefined) return ctx.reply.error(COPY_NOT_SUPPORTED);
    const at = ctx.db.getExpire(source);
    target.set(destination, dup);
    if (at !== undefined) target.setExpire(destination, at);
    notify(ctx, NOTIFY_GENERIC, 'copy_to', destination, target);
    ctx.reply.int(1);
  },
});

// MOVE key db
export const move = defineCommand({
  name: 'move', arity: 3, flags: ['write', 'fast'], keys: [1, 1, 1],
  group: 'generic', since: '1.0.0', summary: 'Move a key to another database', complexity: 'O(1)',
  keySpecs: [keySpec(['RW', 'access', 'update'])],
  arguments: [KEY, { name: 'db', type: 'integer' }],
  reply: 'integer: 1 moved, 0 when the key is missing or exists in the target database',
  run(ctx, argv) {
    const key = argv[1]!;
    const target = databaseArg(ctx, argv[2]!);
    if (typeof target === 'string') return ctx.reply.error(target);
    if (target === ctx.db) return ctx.reply.error(SAME_OBJECT);
    if (ctx.db.lookup(key) === undefined) return ctx.reply.int(0);
    if (target.lookup(key) !== undefined) return ctx.reply.int(0);
    ctx.db.moveTo(key, target);
    notify(ctx, NOTIFY_GENERIC, 'move_from', key);
    notify(ctx, NOTIFY_GENERIC, 'move_to', key, target);
    ctx.reply.int(1);
  },
});

// ---------------------------------------------------------------- iteration

// KEYS pattern
export const keys = defineCommand({
  name: 'keys', arity: 2, flags: ['readonly'], keys: [0, 0, 0],
  group: 'generic', since: '1.0.0', summary: 'Find all keys matching the given pattern',
  complexity: 'O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.',
  aclCategories: ['keyspace', 'dangerous'],
  tips: ['request_policy:all_shards', 'nondeterministic_output_order'],
  arguments: [{ name: 'pattern', type: 'pattern' }],
  reply: 'array of the matching keys',
  run(ctx, argv) {
    const pattern = argv[1]!;
    // `*` alone takes every key, the empty one too (globMatch('*', '') is false, as in Redis).
    const all = pattern === '*';
    const out: string[] = [];
    for (const shard of ctx.db.shards) {
      const volatile = shard.expires.size !== 0;
      for (const key of shard.data.keys()) {
        if (!all && !globMatch(pattern, key)) continue;
        // Like Redis 7.0, expired keys are left out but not removed here.
        if (volatile && ctx.db.isExpired(shard, key)) continue;
        out.push(key);
      }
    }
    ctx.reply.array(out.length);
    for (const key of out) ctx.reply.bulk(key);
  },
});

// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
export const scan = defineCommand({
  name: 'scan', arity: -2, flags: ['readonly'], keys: [0, 0, 0],
  group: 'generic', since: '2.8.0', summary: 'Incrementally iterate the keys space',
  complexity: 'O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.',
  history: [['6.0.0', 'Added the `TYPE` subcommand.']],
  aclCategories: ['keyspace'],
  tips: ['nondeterministic_output', 'request_policy:special'],
  arguments: [
    { name: 'cursor', type: 'integer' },
    { name: 'pattern', type: 'pattern', token: 'MATCH', optional: true },
    { name: 'count', type: 'integer', token: 'COUNT', optional: true },
    { name: 'type', type: 'string', token: 'TYPE', since: '6.0.0', optional: true },
  ],
  reply: 'array: [next cursor, array of keys]',
  run(ctx, argv) {
    const cursor = parseScanCursor(argv[1]!);
    if (cursor === undefined) return ctx.reply.error(INVALID_CURSOR);
    const options = parseScanOptions(argv, 2, true);
    if (typeof options === 'string') return ctx.reply.error(options);
    const { count, pattern, typeName } = options;
    const db = ctx.db;
    const out: string[] = [];
    const filter = pattern === undefined && typeName === undefined ? undefined
      : (key: string, shard: { data: Map<string, Value> }): boolean => {
        if (pattern !== undefined && !globMatch(pattern, key)) return false;
        if (typeName !== undefined && typeOf(shard.data.get(key)!) !== typeName) return false;
        return true;
      };
    const next = scanKeys(db, cursor, count, out, filter);
    ctx.reply.array(2);
    ctx.reply.bulk(next);
    ctx.reply.array(out.length);
    for (const key of out) ctx.reply.bulk(key);
  },
});

// RANDOMKEY
export const randomkey = defineCommand({
  name: 'randomkey', arity: 1, flags: ['readonly'], keys: [0, 0, 0],
  group: 'generic', since: '1.0.0', summary: 'Return a random key from the keyspace', complexity: 'O(1)',
  aclCategories: ['keyspace'],
  tips: ['request_policy:all_shards', 'nondeterministic_output'],
  reply: 'bulk string: a key, or nil when the database is empty',
  run(ctx) {
    const key = ctx.db.randomKey();
    if (key === undefined) ctx.reply.null();
    else ctx.reply.bulk(key);
  },
});

// ---------------------------------------------------------------- whole databases

// DBSIZE
export const dbsize = defineCommand({
  name: 'dbsize', arity: 1, flags: ['readonly', 'fast'], keys: [0, 0, 0],
  group: 'server', since: '1.0.0', summary: 'Return the number of keys in the selected database', complexity: 'O(1)',
  aclCategories: ['keyspace'],
  tips: ['request_policy:all_shards', 'response_policy:agg_sum'],
  reply: 'integer: keys in the database (expired ones not yet removed included)',
  run(ctx) { ctx.reply.int(ctx.db.size); },
});

/**
 * FLUSHDB's and FLUSHALL's one optional argument. ASYNC and SYNC do the same here: clearing a
 * Map is O(1) for us, and the dropped entries are freed by V8's concurrent collector.
 */
function flushArgsOk(ctx: Client, argv: string[]): boolean {
  if (argv.length === 1) return true;
  const mode = argv.length === 2 ? argv[1]!.toUpperCase() : '';
  if (mode === 'ASYNC' || mode === 'SYNC') return true;
  ctx.reply.error(SYNTAX);
  return false;
}

// FLUSHDB [ASYNC | SYNC]
export const flushdb = defineCommand({
  name: 'flushdb', arity: -1, flags: ['write'], keys: [0, 0, 0],
  group: 'server', since: '1.0.0', summary: 'Remove all keys from the current database',
  complexity: 'O(N) where N is the number of keys in the selected database',
  history: FLUSH_HISTORY,
  aclCategories: ['keyspace', 'dangerous'],
  tips: ['request_policy:all_shards', 'response_policy:all_succeeded'],
  arguments: [FLUSH_MODE],
  reply: 'simple string OK',
  run(ctx, argv) {
    if (!flushArgsOk(ctx, argv)) return;
    ctx.engine.watching.touchDb(ctx.db, undefined, ctx.engine.time);
    ctx.db.clear();
    ctx.engine.markDirty();
    ctx.reply.simple('OK');
  },
});

// FLUSHALL [ASYNC | SYNC]
export const flushall = defineCommand({
  name: 'flushall', arity: -1, flags: ['write'], keys: [0, 0, 0],
  group: 'server', since: '1.0.0', summary: 'Remove all keys from all databases',
  complexity: 'O(N) where N is the total number of keys in all databases',
  history: FLUSH_HISTORY,
  aclCategories: ['keyspace', 'dangerous'],
  tips: ['request_policy:all_shards', 'response_policy:all_succeeded'],
  arguments: [FLUSH_MODE],
  reply: 'simple string OK',
  run(ctx, argv) {
    if (!flushArgsOk(ctx, argv)) return;
    for (const db of ctx.engine.dbs) {
      ctx.engine.watching.touchDb(db, undefined, ctx.engine.time);
      db.clear();
    }
    ctx.engine.markDirty();
    ctx.reply.simple('OK');
  },
});

// SWAPDB index1 index2
export const swapdb = defineCommand({
  name: 'swapdb', arity: 3, flags: ['write', 'fast'], keys: [0, 0, 0],
  group: 'server', since: '4.0.0', summary: 'Swaps two Redis databases',
  complexity: 'O(N) where N is the count of clients watching or blocking on keys from both databases.',
  aclCategories: ['keyspace', 'dangerous'],
  arguments: [{ name: 'index1', type: 'integer' }, { name: 'index2', type: 'integer' }],
  reply: 'simple string OK',
  run(ctx, argv) {
    const a = parseInt64(argv[1]!);
    if (a === undefined || a < -2147483648 || a > 2147483647) return ctx.reply.error(INVALID_FIRST_DB_INDEX);
    const b = parseInt64(argv[2]!);
    if (b === undefined || b < -2147483648 || b > 2147483647) return ctx.reply.error(INVALID_SECOND_DB_INDEX);
    const dbs = ctx.engine.dbs;
    const first = dbs[Number(a)];
    const second = dbs[Number(b)];
    if (first === undefined || second === undefined) return ctx.reply.error(DB_INDEX_OUT_OF_RANGE);
    // Clients keep their database index and see the other contents, as in Redis.
    if (first !== second) {
      // WATCHed keys of either database whose contents change (Redis's touchAllWatchedKeysInDb).
      ctx.engine.watching.touchDb(first, second, ctx.engine.time);
      ctx.engine.watching.touchDb(second, first, ctx.engine.time);
      first.swapWith(second);
      ctx.engine.markDirty();
      // Clients blocked in either database may now find their keys (Redis rescans both).
      ctx.engine.blocking.signalAll(first);
      ctx.engine.blocking.signalAll(second);
    }
    ctx.reply.simple('OK');
  },
});

// ---------------------------------------------------------------- OBJECT

const OBJECT_HELP = [
  'OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'ENCODING <key>',
  '    Return the kind of internal representation used in order to store the value',
  '    associated with a <key>.',
  'FREQ <key>',
  '    Return the access frequency index of the <key>. The returned integer is',
  '    proportional to the logarithm of the recent access frequency of the key.',
  'IDLETIME <key>',
  '    Return the idle time of the <key>, that is the approximated number of',
  '    seconds elapsed since the last access to the key.',
  'REFCOUNT <key>',
  '    Return the number of references of the value associated with the specified',
  '    <key>.',
  'HELP',
  '    Prints this help.',
];

/** Redis's OBJ_SHARED_INTEGERS: 0..9999 set as integers are one shared object each. */
const SHARED_INTEGERS = 10000;
/** OBJ_SHARED_REFCOUNT (INT_MAX): what REFCOUNT reports for a shared object. */
const SHARED_REFCOUNT = 2147483647;

const OBJECT_KEY_SPECS = [keySpec(['RO'], 2)];
const OBJECT_TIPS = ['nondeterministic_output'];

// OBJECT ENCODING key
const objectEncoding = defineCommand({
  name: 'encoding', arity: 3, flags: ['readonly'], keys: [2, 2, 1],
  group: 'generic', since: '2.2.3', summary: 'Inspect the internal encoding of a Redis object', complexity: 'O(1)',
  tips: OBJECT_TIPS, keySpecs: OBJECT_KEY_SPECS, arguments: [KEY],
  reply: 'bulk string: the encoding, or nil when the key is missing',
  run(ctx, argv) {
    const v = ctx.db.peek(argv[2]!);
    if (v === undefined) return ctx.reply.null();
    ctx.reply.bulk(typeof v === 'string' || v instanceof RawString ? stringEncoding(v) : v.encoding());
  },
});

// OBJECT REFCOUNT key
// nodis does not count references; it reports what Redis would for the same value: small
// integers are shared objects (INT_MAX) unless an LRU/LFU maxmemory policy with a maxmemory
// limit disables sharing (judged by the configuration now, Redis judges when the value is
// created); every other value has one reference.
const objectRefcount = defineCommand({
  name: 'refcount', arity: 3, flags: ['readonly'], keys: [2, 2, 1],
  group: 'generic', since: '2.2.3', summary: 'Get the number of references to the value of the key', complexity: 'O(1)',
  tips: OBJECT_TIPS, keySpecs: OBJECT_KEY_SPECS, arguments: [KEY],
  reply: 'integer, or nil when the key is missing',
  run(ctx, argv) {
    const v = ctx.db.peek(argv[2]!);
    if (v === undefined) return ctx.reply.null();
    let shared = false;
    if (typeof v === 'string' && stringEncoding(v) === 'int') {
      const n = Number(v);
      const config = ctx.engine.config;
      const sharingOff = config.get('maxmemory') !== '0' && ctx.db.accessTracking !== 'off';
      shared = n >= 0 && n < SHARED_INTEGERS && !sharingOff;
    }
    ctx.reply.int(shared ? SHARED_REFCOUNT : 1);
  },
});

// OBJECT IDLETIME key
// Access times are kept only under an LRU maxmemory-policy (keyspace.ts explains the memory
// cost); otherwise there is no idle time to report, and nodis says so rather than invent one.
const objectIdletime = defineCommand({
  name: 'idletime', arity: 3, flags: ['readonly'], keys: [2, 2, 1],
  group: 'generic', since: '2.2.3', summary: 'Get the time since a Redis object was last accessed', complexity: 'O(1)',
  tips: OBJECT_TIPS, keySpecs: OBJECT_KEY_SPECS, arguments: [KEY],
  reply: 'integer seconds, or nil when the key is missing',
  run(ctx, argv) {
    const key = argv[2]!;
    if (ctx.db.peek(key) === undefined) return ctx.reply.null();
    const tracking = ctx.db.accessTracking;
    if (tracking === 'lfu') return ctx.reply.error(LFU_SELECTED_NO_IDLE);
    if (tracking === 'off') return ctx.reply.error(LRU_NOT_SELECTED);
    ctx.reply.int(ctx.db.idleSeconds(key));
  },
});

// OBJECT FREQ key
const objectFreq = defineCommand({
  name: 'freq', arity: 3, flags: ['readonly'], keys: [2, 2, 1],
  group: 'generic', since: '4.0.0', summary: 'Get the logarithmic access frequency counter of a Redis object', complexity: 'O(1)',
  tips: OBJECT_TIPS, keySpecs: OBJECT_KEY_SPECS, arguments: [KEY],
  reply: 'integer, or nil when the key is missing',
  run(ctx, argv) {
    const key = argv[2]!;
    if (ctx.db.peek(key) === undefined) return ctx.reply.null();
    if (ctx.db.accessTracking !== 'lfu') return ctx.reply.error(LFU_NOT_SELECTED);
    ctx.reply.int(ctx.db.frequency(key));
  },
});

// OBJECT HELP
const objectHelp = defineCommand({
  name: 'help', arity: 2, flags: ['loading', 'stale'], keys: [0, 0, 0],
  group: 'generic', since: '6.2.0', summary: 'Show helpful text about the different subcommands', complexity: 'O(1)',
  reply: 'array of simple strings',
  run(ctx) {
    ctx.reply.array(OBJECT_HELP.length);
    for (const line of OBJECT_HELP) ctx.reply.simple(line);
  },
});

// OBJECT <subcommand> ...
export const object = defineCommand({
  name: 'object', arity: -2, flags: [], keys: [0, 0, 0],
  group: 'generic', since: '2.2.3', summary: 'A container for object introspection commands',
  complexity: 'Depends on subcommand.',
  subcommands: [objectFreq, objectRefcount, objectEncoding, objectHelp, objectIdletime],
});

// ---------------------------------------------------------------- expiry

/** C's LLONG_MAX / 1000 and LLONG_MIN / 1000 (division truncates toward zero). */
const MAX_SECONDS = INT64_MAX / 1000n;
const MIN_SECONDS = -MAX_SECONDS;
/** Below this magnitude, when * 1000 + now is an exact double: no BigInt needed. */
const EXACT_LIMIT = 2 ** 41;

/**
 * EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT: Redis 7.0's expireGenericCommand. Options are read
 * first (so `EXPIRE k abc FOO` complains about FOO), then the time, with int64 overflow
 * checks in the units Redis uses; a time not in the future deletes the key (and answers 1).
 * Times are kept as doubles: beyond 2^53 ms (year 287,396) they are rounded. The log gets the
 * effect, as in Redis 7: PEXPIREAT with the absolute time, or DEL.
 */
function expireGeneric(ctx: Client, argv: string[], unitMs: 1 | 1000, relative: boolean): void {
  let nx = false;
  let xx = false;
  let gt = false;
  let lt = false;
  for (let i = 3; i < argv.length; i++) {
    const opt = argv[i]!;
    switch (opt.length === 2 ? opt.toUpperCase() : '') {
      case 'NX': nx = true; break;
      case 'XX': xx = true; break;
      case 'GT': gt = true; break;
      case 'LT': lt = true; break;
      default: return ctx.reply.error(unsupportedOption(opt));
    }
  }
  if (nx && (xx || gt || lt)) return ctx.reply.error(EXPIRE_NX_CONFLICT);
  if (gt && lt) return ctx.reply.error(EXPIRE_GT_LT_CONFLICT);

  const parsed = parseInt64(argv[2]!);
  if (parsed === undefined) return ctx.reply.error(NOT_INTEGER);
  const now = ctx.engine.time;
  let when: number;
  if (typeof parsed === 'number' && parsed > -EXACT_LIMIT && parsed < EXACT_LIMIT) {
    when = parsed * unitMs + (relative ? now : 0);
  } else {
    let big = BigInt(parsed);
    if (unitMs === 1000) {
      if (big > MAX_SECONDS || big < MIN_SECONDS) return ctx.reply.error(INVALID_EXPIRE(argv[0]!.toLowerCase()));
      big *= 1000n;
    }
    if (relative) {
      if (big > INT64_MAX - BigInt(now)) return ctx.reply.error(INVALID_EXPIRE(argv[0]!.toLowerCase()));
      big += BigInt(now);
    }
    when = Number(big);
  }

  const key = argv[1]!;
  if (ctx.db.lookup(key) === undefined) return ctx.reply.int(0);
  if (nx || xx || gt || lt) {
    const current = ctx.db.getExpire(key);
    if (nx && current !== undefined) return ctx.reply.int(0);
    if (xx && current === undefined) return ctx.reply.int(0);
    // No TTL counts as an infinite one: GT never beats it, LT always does.
    if (gt && (current === undefined || when <= current)) return ctx.reply.int(0);
    if (lt && current !== undefined && when >= current) return ctx.reply.int(0);
  }
  // While loading (replaying the log) a time already past is stored, not applied: nothing
  // expires during a load, as in Redis (checkAlreadyExpired), and the log says when it went.
  if (when <= now && !ctx.engine.loading) {
    ctx.db.delete(key);
    notify(ctx, NOTIFY_GENERIC, 'del', key);
    ctx.engine.propagate(ctx.db, ctx.engine.propagator === undefined ? NO_ARGV : ['DEL', key]);
  } else {
    ctx.db.setExpire(key, when);
    notify(ctx, NOTIFY_GENERIC, 'expire', key);
    // Logged as the absolute time it became, without the options (their condition held): a
    // relative time replayed later would end elsewhere.
    ctx.engine.propagate(ctx.db, ctx.engine.propagator === undefined ? NO_ARGV : ['PEXPIREAT', key, msArgument(when)]);
  }
  ctx.reply.int(1);
}

const EXPIRE_KEY_SPECS = [keySpec(['RW', 'update'])];

// EXPIRE key seconds [NX | XX | GT | LT]
export const expire = defineCommand({
  name: 'expire', arity: -3, flags: ['write', 'fast'], keys: [1, 1, 1],
  group: 'generic', since: '1.0.0', summary: "Set a key's time to live in seconds", complexity: 'O(1)',
  history: EXPIRE_HISTORY, keySpecs: EXPIRE_KEY_SPECS,
  arguments: [KEY, { name: 'seconds', type: 'integer' }, EXPIRE_CONDITION],
  reply: 'integer: 1 set (or deleted, for a time in the past), 0 when the key is missing or a condition failed',
  run(ctx, argv) { expireGeneric(ctx, argv, 1000, true); },
});

// PEXPIRE key milliseconds [NX | XX | GT | LT]
export const pexpire = defineCommand({
  name: 'pexpire', arity: -3, flags: ['write', 'fast'], keys: [1, 1, 1],
  group: 'generic', since: '2.6.0', summary: "Set a key's time to live in milliseconds", complexity: 'O(1)',
  history: EXPIRE_HISTORY, keySpecs: EXPIRE_KEY_SPECS,
  arguments: [KEY, { name: 'milliseconds', type: 'integer' }, EXPIRE_CONDITION],
  reply: 'integer: 1 set (or deleted, for a time in the past), 0 when the key is missing or a condition failed',
  run(ctx, argv) { expireGeneric(ctx, argv, 1, true); },
});

// EXPIREAT key unix-time-seconds [NX | XX | GT | LT]
export const expireat = defineCommand({
  name: 'expireat', arity: -3, flags: ['write', 'fast'], keys: [1, 1, 1],
  group: 'generic', since: '1.2.0', summary: 'Set the expiration for a key as a UNIX timestamp', complexity: 'O(1)',
  history: EXPIRE_HISTORY, keySpecs: EXPIRE_KEY_SPECS,
  arguments: [KEY, { name: 'unix-time-seconds', type: 'unix-time' }, EXPIRE_CONDITION],
  reply: 'integer: 1 set (or deleted, for a time in the past), 0 when the key is missing or a condition failed',
  run(ctx, argv) { expireGeneric(ctx, argv, 1000, false); },
});

// PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT]
export const pexpireat = defineCommand({
  name: 'pexpireat', arity: -3, flags: ['write', 'fast'], keys: [1, 1, 1],
  group: 'generic', since: '2.6.0', summary: 'Set the expiration for a key as a UNIX timestamp specified in milliseconds', complexity: 'O(1)',
  history: EXPIRE_HISTORY, keySpecs: EXPIRE_KEY_SPECS,
  arguments: [KEY, { name: 'unix-time-milliseconds', type: 'unix-time' }, EXPIRE_CONDITION],
  reply: 'integer: 1 set (or deleted, for a time in the past), 0 when the key is missing or a condition failed',
  run(ctx, argv) { expireGeneric(ctx, argv, 1, false); },
});

/**
 * TTL and friends: -2 no key, -1 no TTL; seconds are rounded to nearest ((ms + 500) / 1000).
 * Expiry times beyond 2^53 ms are stored as doubles (rounded by up to 1 s at 2^63), so
 * their arithmetic is done in BigInt: second replies then match Redis, millisecond ones may
 * differ in the last digits (a documented limit: such keys expire after the year 287,396).
 */
function ttlGeneric(ctx: Client, key: string, inMs: boolean, absolute: boolean): void {
  if (peekRead(ctx, key) === undefined) return ctx.reply.int(-2);
  const at = ctx.db.getExpire(key);
  if (at === undefined) return ctx.reply.int(-1);
  if (Number.isSafeInteger(at)) {
    const ms = Math.max(0, absolute ? at : at - ctx.engine.time);
    return ctx.reply.int(inMs ? ms : Math.floor((ms + 500) / 1000));
  }
  let ms = BigInt(at) - (absolute ? 0n : BigInt(ctx.engine.time));
  if (ms < 0n) ms = 0n;
  ctx.reply.int(inMs ? ms : (ms + 500n) / 1000n);
}

const TTL_HISTORY: [string, string][] = [['2.8.0', 'Added the -2 reply.']];

// TTL key
export const ttl = defineCommand({
  name: 'ttl', arity: 2, flags: ['readonly', 'fast'], keys: [1, 1, 1],
  group: 'generic', since: '1.0.0', summary: 'Get the time to live for a key in seconds', complexity: 'O(1)',
  history: TTL_HISTORY, tips: ['nondeterministic_output'], keySpecs: [keySpec(['RO', 'access'])],
  arguments: [KEY],
  reply: 'integer: seconds left, -1 without a TTL, -2 when the key is missing',
  run(ctx, argv) { ttlGeneric(ctx, argv[1]!, false, false); },
});

// PTTL key
export const pttl = defineCommand({
  name: 'pttl', arity: 2, flags: ['readonly', 'fast'], keys: [1, 1, 1],
  group: 'generic', since: '2.6.0', summary: 'Get the time to live for a key in milliseconds', complexity: 'O(1)',
  history: TTL_HISTORY, tips: ['nondeterministic_output'], keySpecs: [keySpec(['RO', 'access'])],
  arguments: [KEY],
  reply: 'integer: milliseconds left, -1 without a TTL, -2 when the key is missing',
  run(ctx, argv) { ttlGeneric(ctx, argv[1]!, true, false); },
});

// EXPIRETIME key
export const expiretime = defineCommand({
  name: 'expiretime', arity: 2, flags: ['readonly', 'fast'], keys: [1, 1, 1],
  group: 'generic', since: '7.0.0', summary: 'Get the expiration Unix timestamp for a key', complexity: 'O(1)',
  keySpecs: [keySpec(['RO', 'access'])],
  arguments: [KEY],
  reply: 'integer: the Unix time in seconds, -1 without a TTL, -2 when the key is missing',
  run(ctx, argv) { ttlGeneric(ctx, argv[1]!, false, true); },
});

// PEXPIRETIME key
export const pexpiretime = defineCommand({
  name: 'pexpiretime', arity: 2, flags: ['readonly', 'fast'], keys: [1, 1, 1],
  group: 'generic', since: '7.0.0', summary: 'Get the expiration Unix timestamp for a key in milliseconds', complexity: 'O(1)',
  keySpecs: [keySpec(['RO', 'access'])],
  arguments: [KEY],
  reply: 'integer: the Unix time in milliseconds, -1 without a TTL, -2 when the key is missing',
  run(ctx, argv) { ttlGeneric(ctx, argv[1]!, true, true); },
});

// PERSIST key
export const persist = defineCommand({
  name: 'persist', arity: 2, flags: ['write', 'fast'], keys: [1, 1, 1],
  group: 'generic', since: '2.2.0', summary: 'Remove the expiration from a key', complexity: 'O(1)',
  keySpecs: [keySpec(['RW', 'update'])],
  arguments: [KEY],
  reply: 'integer: 1 when a TTL was removed, 0 otherwise',
  run(ctx, argv) {
    const key = argv[1]!;
    if (ctx.db.lookup(key) === undefined) return ctx.reply.int(0);
    if (!ctx.db.persist(key)) return ctx.reply.int(0);
    notify(ctx, NOTIFY_GENERIC, 'persist', key);
    ctx.reply.int(1);
  },
});

export const genericCommands: Command[] = [
  del, unlink, exists, touch, type, rename, renamenx, copy, move,
  keys, scan, randomkey, dbsize, flushdb, flushall, swapdb, object,
  expire, pexpire, expireat, pexpireat, ttl, pttl, expiretime, pexpiretime, persist,
];
