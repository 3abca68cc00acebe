import type { Client } from '../client.js';
import { defineCommand, type Command } from '../command.js';
import { INT64_MIN, parseInt64 } from '../args.js';
import {
  INDEX_OUT_OF_RANGE, LPOS_COUNT_NEGATIVE, LPOS_MAXLEN_NEGATIVE,
  LPOS_RANK_ZERO, NOT_INTEGER, NO_SUCH_KEY, SYNTAX,
  VALUE_MUST_BE_POSITIVE, WRONGTYPE, wrongArity,
} from '../errors.js';
import type { Value } from '../keyspace.js';
import { type ArgumentSpec, type KeySpec, keySpec } from '../spec.js';
import { ListValue } from '../types/list.js';
import { mayBlock, parseTimeout } from '../blocking.js';
import { mpopArgumentSpecs, mpopKeySpec, parseMpopArguments } from './mpop.js';
import { NO_ARGV } from './generic.js';
import { NOTIFY_GENERIC, NOTIFY_LIST, lookupRead, notify } from '../notify.js';

/**
 * The list family: pushes and pops at both ends, access by index and by value, LMOVE and
 * LMPOP, and the blocking commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP) on top of
 * blocking.ts. The data structure is types/list.ts.
 *
 * Error order follows Redis 7.0.15 command by command: where Redis parses arguments before
 * looking at the key (LRANGE, LTRIM, LREM, LINSERT, LPOS, LPOP with a count, LMOVE), the spec
 * has no `keyType` and the handler checks the type after parsing; where a missing key answers
 * before the type of another key is looked at (LMOVE, LMPOP, BLPOP), likewise.
 *
 * Every command that changes a list reports it (`db.set`, or `db.host.onKeyModified` after an
 * in-place change); the engine marks the key ready for clients blocked on it and serves them
 * after the command. That covers other families creating a list (RENAME, COPY, MOVE) as well.
 */

// ---------------------------------------------------------------- spec helpers

const KEY: ArgumentSpec = { name: 'key', type: 'key' };
const ELEMENTS: ArgumentSpec = { name: 'element', type: 'string', multiple: true };
const TIMEOUT: ArgumentSpec = { name: 'timeout', type: 'double' };
const leftRight = (name: string): ArgumentSpec => ({
  name, type: 'oneof', arguments: [
    { name: 'left', type: 'pure-token', token: 'LEFT' },
    { name: 'right', type: 'pure-token', token: 'RIGHT' },
  ],
});
const MOVE_ARGUMENTS: ArgumentSpec[] = [
  { name: 'source', type: 'key' }, { name: 'destination', type: 'key' },
  leftRight('wherefrom'), leftRight('whereto'),
];
const MPOP_ARGUMENTS = mpopArgumentSpecs(leftRight('where'));

/** A key spec at argv[index]: `lastKey` relative to it (0: one key, -2: up to the timeout). */
const POP_KEY_SPEC = keySpec(['RW', 'access', 'delete']);
const PUSH_KEY_SPEC = keySpec(['RW', 'insert']);
const MOVE_KEY_SPECS: KeySpec[] = [POP_KEY_SPEC, keySpec(['RW', 'insert'], 2)];

const PUSH_COMPLEXITY = 'O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.';
const TIMEOUT_HISTORY: [string, string][] = [['6.0.0', '`timeout` is interpreted as a double instead of an integer.']];

// ---------------------------------------------------------------- helpers

type End = 'head' | 'tail';

function pop(list: ListValue, end: End): string {
  return (end === 'head' ? list.popHead() : list.popTail())!;
}

function push(list: ListValue, v: string, end: End): void {
  if (end === 'head') list.pushHead(v);
  else list.pushTail(v);
}

/**
 * After removing elements: the command's keyspace event, then an emptied list vanishes (and a
 * `del` event follows, as in Redis), else the key was modified in place.
 */
function afterRemoval(ctx: Client, key: string, list: ListValue, event: string): void {
  notify(ctx, NOTIFY_LIST, event, key);
  if (list.length === 0) {
    ctx.db.delete(key);
    notify(ctx, NOTIFY_GENERIC, 'del', key);
  } else {
    ctx.db.host.onKeyModified(ctx.db, key);
  }
}

function popEvent(end: End): string {
  return end === 'head' ? 'lpop' : 'rpop';
}

function pushEvent(end: End): string {
  return end === 'head' ? 'lpush' : 'rpush';
}

/** A list for a key whose type the dispatcher has checked (the spec has `keyType: 'list'`). */
function listAt(ctx: Client, key: string): ListValue | undefined {
  return ctx.db.lookup(key) as ListValue | undefined;
}

/**
 * The key's list; undefined when missing; WRONGTYPE (answered here) when it holds another type.
 * `read`: a read lookup, whose miss is a keymiss event (LRANGE, LPOS), not a write one.
 */
function lookupList(ctx: Client, key: string, read = false): ListValue | undefined | typeof WRONG {
  const v: Value | undefined = read ? lookupRead(ctx, key) : ctx.db.lookup(key);
  if (v === undefined || v instanceof ListValue) return v;
  ctx.reply.error(WRONGTYPE);
  return WRONG;
}
const WRONG = Symbol('wrongtype');

/** An index or count argument as Redis's getLongFromObject reads it; int64s beyond 2^53 stay ordered. */
function parseLong(arg: string): number | undefined {
  const v = parseInt64(arg);
  return v === undefined ? undefined : Number(v);
}

/** LEFT / RIGHT, case-insensitive (getListPositionFromObjectOrReply). */
function parseEnd(arg: string): End | undefined {
  if (arg.length === 4 && arg.toUpperCase() === 'LEFT') return 'head';
  if (arg.length === 5 && arg.toUpperCase() === 'RIGHT') return 'tail';
  return undefined;
}

/**
 * getPositiveLongFromObjectOrReply: one message, by default `value is out of range, must be
 * positive`, for a non-integer and for a negative value alike.
 */
function parseNonNegative(arg: string, message = VALUE_MUST_BE_POSITIVE): number | string {
  const v = parseInt64(arg);
  if (v === undefined || v < 0) return message;
  return Number(v);
}

// ---------------------------------------------------------------- push

function pushGeneric(ctx: Client, argv: string[], end: End, onlyExisting: boolean): void {
  const key = argv[1]!;
  let list = listAt(ctx, key);
  if (list === undefined) {
    if (onlyExisting) return ctx.reply.int(0);
    list = new ListValue();
    for (let i = 2; i < argv.length; i++) push(list, argv[i]!, end);
    ctx.db.set(key, list);
  } else {
    for (let i = 2; i < argv.length; i++) push(list, argv[i]!, end);
    ctx.db.host.onKeyModified(ctx.db, key);
  }
  notify(ctx, NOTIFY_LIST, pushEvent(end), key);
  ctx.reply.int(list.length);
}

// LPUSH key element [element ...]
export const lpush = defineCommand({
  name: 'lpush', arity: -3, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1],
  group: 'list', since: '1.0.0', summary: 'Prepend one or multiple elements to a list',
  complexity: PUSH_COMPLEXITY, history: [['2.4.0', 'Accepts multiple `element` arguments.']],
  keyType: 'list', keySpecs: [PUSH_KEY_SPEC], arguments: [KEY, ELEMENTS],
  reply: 'integer: the length of the list after the push',
  run(ctx, argv) { pushGeneric(ctx, argv, 'head', false); },
});

// RPUSH key element [element ...]
export const rpush = defineCommand({
  name: 'rpush', arity: -3, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1],
  group: 'list', since: '1.0.0', summary: 'Append one or multiple elements to a list',
  complexity: PUSH_COMPLEXITY, history: [['2.4.0', 'Accepts multiple `element` arguments.']],
  keyType: 'list', keySpecs: [PUSH_KEY_SPEC], arguments: [KEY, ELEMENTS],
  reply: 'integer: the length of the list after the push',
  run(ctx, argv) { pushGeneric(ctx, argv, 'tail', false); },
});

// LPUSHX key element [element ...]
export const lpushx = defineCommand({
  name: 'lpushx', arity: -3, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1],
  group: 'list', since: '2.2.0', summary: 'Prepend an element to a list, only if the list exists',
  complexity: PUSH_COMPLEXITY, history: [['4.0.0', 'Accepts multiple `element` arguments.']],
  keyType: 'list', keySpecs: [PUSH_KEY_SPEC], arguments: [KEY, ELEMENTS],
  reply: 'integer: the length of the list after the push, 0 when the key does not exist',
  run(ctx, argv) { pushGeneric(ctx, argv, 'head', true); },
});

// RPUSHX key element [element ...]
export const rpushx = defineCommand({
  name: 'rpushx', arity: -3, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1],
  group: 'list', since: '2.2.0', summary: 'Append an element to a list, only if the list exists',
  complexity: PUSH_COMPLEXITY, history: [['4.0.0', 'Accepts multiple `element` arguments.']],
  keyType: 'list', keySpecs: [PUSH_KEY_SPEC], arguments: [KEY, ELEMENTS],
  reply: 'integer: the length of the list after the push, 0 when the key does not exist',
  run(ctx, argv) { pushGeneric(ctx, argv, 'tail', true); },
});

// ---------------------------------------------------------------- pop

function popGeneric(ctx: Client, argv: string[], end: End): void {
  if (argv.length > 3) return ctx.reply.error(wrongArity(argv[0]!.toLowerCase()));
  const hasCount = argv.length === 3;
  let count = 0;
  if (hasCount) {
    const c = parseNonNegative(argv[2]!);
    if (typeof c === 'string') return ctx.reply.error(c);
    count = c;
  }
  const key = argv[1]!;
  const list = lookupList(ctx, key);
  if (list === WRONG) return;
  if (list === undefined) return hasCount ? ctx.reply.nullArray() : ctx.reply.null();
  if (!hasCount) {
    ctx.reply.bulk(pop(list, end));
  } else {
    const n = Math.min(count, list.length);
    ctx.reply.array(n);
    for (let i = 0; i < n; i++) ctx.reply.bulk(pop(list, end));
    if (n === 0) return;
  }
  afterRemoval(ctx, key, list, popEvent(end));
}

// LPOP key [count]
export const lpop = defineCommand({
  name: 'lpop', arity: -2, flags: ['write', 'fast'], keys: [1, 1, 1],
  group: 'list', since: '1.0.0', summary: 'Remove and get the first elements in a list',
  complexity: 'O(N) where N is the number of elements returned', history: [['6.2.0', 'Added the `count` argument.']],
  keySpecs: [POP_KEY_SPEC], arguments: [KEY, { name: 'count', type: 'integer', since: '6.2.0', optional: true }],
  reply: 'bulk string or nil; with count: array, or a null array when the key does not exist',
  run(ctx, argv) { popGeneric(ctx, argv, 'head'); },
});

// RPOP key [count]
export const rpop = defineCommand({
  name: 'rpop', arity: -2, flags: ['write', 'fast'], keys: [1, 1, 1],
  group: 'list', since: '1.0.0', summary: 'Remove and get the last elements in a list',
  complexity: 'O(N) where N is the number of elements returned', history: [['6.2.0', 'Added the `count` argument.']],
  keySpecs: [POP_KEY_SPEC], arguments: [KEY, { name: 'count', type: 'integer', since: '6.2.0', optional: true }],
  reply: 'bulk string or nil; with count: array, or a null array when the key does not exist',
  run(ctx, argv) { popGeneric(ctx, argv, 'tail'); },
});

// ---------------------------------------------------------------- by index

// LLEN key
export const llen = defineCommand({
  name: 'llen', arity: 2, flags: ['readonly', 'fast'], keys: [1, 1, 1],
  group: 'list', since: '1.0.0', summary: 'Get the length of a list', complexity: 'O(1)',
  keyType: 'list', keySpecs: [keySpec(['RO'])], arguments: [KEY],
  reply: 'integer',
  run(ctx, argv) { ctx.reply.int((lookupRead(ctx, argv[1]!) as ListValue | undefined)?.length ?? 0); },
});

/** A Redis list index (negative counts from the tail) as a position, possibly out of range. */
function position(list: ListValue, index: number): number {
  return index < 0 ? list.length + index : index;
}

// LINDEX key index
export const lindex = defineCommand({
  name: 'lindex', arity: 3, flags: ['readonly'], keys: [1, 1, 1],
  group: 'list', since: '1.0.0', summary: 'Get an element from a list by its index',
  complexity: 'O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).',
  keyType: 'list', keySpecs: [keySpec(['RO', 'access'])],
  arguments: [KEY, { name: 'index', type: 'integer' }],
  reply: 'bulk string, or nil when the index is out of range',
  run(ctx, argv) {
    // Redis looks the key up before parsing the index: a missing key answers nil either way.
    const list = lookupRead(ctx, argv[1]!) as ListValue | undefined;
    if (list === undefined) return ctx.reply.null();
    const index = parseLong(argv[2]!);
    if (index === undefined) return ctx.reply.error(NOT_INTEGER);
    const v = list.at(position(list, index));
    if (v === undefined) ctx.reply.null();
    else ctx.reply.bulk(v);
  },
});

// LSET key index element
export const lset = defineCommand({
  name: 'lset', arity: 4, flags: ['write', 'denyoom'], keys: [1, 1, 1],
  group: 'list', since: '1.0.0', summary: 'Set the value of an element in a list by its index',
  complexity: 'O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).',
  keyType: 'list', keySpecs: [keySpec(['RW', 'update'])],
  arguments: [KEY, { name: 'index', type: 'integer' }, { name: 'element', type: 'string' }],
  reply: 'simple string OK',
  run(ctx, argv) {
    const key = argv[1]!;
    const list = listAt(ctx, key);
    if (list === undefined) return ctx.reply.error(NO_SUCH_KEY);
    const index = parseLong(argv[2]!);
    if (index === undefined) return ctx.reply.error(NOT_INTEGER);
    if (!list.set(position(list, index), argv[3]!)) return ctx.reply.error(INDEX_OUT_OF_RANGE);
    ctx.db.host.onKeyModified(ctx.db, key);
    notify(ctx, NOTIFY_LIST, 'lset', key);
    ctx.reply.simple('OK');
  },
});

/**
 * LRANGE's and LTRIM's start/stop as Redis resolves them: negatives from the tail, start
 * clamped at 0, stop at the last element; undefined when the range is empty.
 */
function resolveRange(length: number, start: number, stop: number): [number, number] | undefined {
  if (start < 0) start += length;
  if (stop < 0) stop += length;
  if (start < 0) start = 0;
  if (start > stop || start >= length) return undefined;
  if (stop >= length) stop = length - 1;
  return [start, stop];
}

// LRANGE key start stop
export const lrange = defineCommand({
  name: 'lrange', arity: 4, flags: ['readonly'], keys: [1, 1, 1],
  group: 'list', since: '1.0.0', summary: 'Get a range of elements from a list',
  complexity: 'O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.',
  keySpecs: [keySpec(['RO', 'access'])],
  arguments: [KEY, { name: 'start', type: 'integer' }, { name: 'stop', type: 'integer' }],
  reply: 'array of bulk strings',
  run(ctx, argv) {
    const start = parseLong(argv[2]!);
    const stop = parseLong(argv[3]!);
    if (start === undefined || stop === undefined) return ctx.reply.error(NOT_INTEGER);
    const list = lookupList(ctx, argv[1]!, true);
    if (list === WRONG) return;
    const range = list === undefined ? undefined : resolveRange(list.length, start, stop);
    if (range === undefined) return ctx.reply.array(0);
    const reply = ctx.reply;
    reply.array(range[1] - range[0] + 1);
    list!.forEachInRange(range[0], range[1], (v) => reply.bulk(v));
  },
});

// LTRIM key start stop
export const ltrim = defineCommand({
  name: 'ltrim', arity: 4, flags: ['write'], keys: [1, 1, 1],
  group: 'list', since: '1.0.0', summary: 'Trim a list to the specified range',
  complexity: 'O(N) where N is the number of elements to be removed by the operation.',
  keySpecs: [keySpec(['RW', 'delete'])],
  arguments: [KEY, { name: 'start', type: 'integer' }, { name: 'stop', type: 'integer' }],
  reply: 'simple string OK',
  run(ctx, argv) {
    const start = parseLong(argv[2]!);
    const stop = parseLong(argv[3]!);
    if (start === undefined || stop === undefined) return ctx.reply.error(NOT_INTEGER);
    const key = argv[1]!;
    const list = lookupList(ctx, key);
    if (list === WRONG) return;
    if (list !== undefined) {
      const range = resolveRange(list.length, start, stop);
      if (range === undefined) list.removeHead(list.length);
      else list.trim(range[0], range[1]);
      afterRemoval(ctx, key, list, 'ltrim');
    }
    ctx.reply.simple('OK');
  },
});

// ---------------------------------------------------------------- by value

// LINSERT key BEFORE | AFTER pivot element
export const linsert = defineCommand({
  name: 'linsert', arity: 5, flags: ['write', 'denyoom'], keys: [1, 1, 1],
  group: 'list', since: '2.2.0', summary: 'Insert an element before or after another element in a list',
  complexity: 'O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).',
  keySpecs: [PUSH_KEY_SPEC],
  arguments: [
    KEY,
    {
      name: 'where', type: 'oneof', arguments: [
        { name: 'before', type: 'pure-token', token: 'BEFORE' },
        { name: 'after', type: 'pure-token', token: 'AFTER' },
      ],
    },
    { name: 'pivot', type: 'string' },
    { name: 'element', type: 'string' },
  ],
  reply: 'integer: the list length after the insert, -1 when the pivot was not found, 0 when the key does not exist',
  run(ctx, argv) {
    const where = argv[2]!.toUpperCase();
    if (where !== 'BEFORE' && where !== 'AFTER') return ctx.reply.error(SYNTAX);
    const key = argv[1]!;
    const list = lookupList(ctx, key);
    if (list === WRONG) return;
    if (list === undefined) return ctx.reply.int(0);
    const at = list.indexOf(argv[3]!);
    if (at === -1) return ctx.reply.int(-1);
    list.insert(where === 'AFTER' ? at + 1 : at, argv[4]!);
    ctx.db.host.onKeyModified(ctx.db, key);
    notify(ctx, NOTIFY_LIST, 'linsert', key);
    ctx.reply.int(list.length);
  },
});

// LREM key count element
export const lrem = defineCommand({
  name: 'lrem', arity: 4, flags: ['write'], keys: [1, 1, 1],
  group: 'list', since: '1.0.0', summary: 'Remove elements from a list',
  complexity: 'O(N+M) where N is the length of the list and M is the number of elements removed.',
  keySpecs: [keySpec(['RW', 'delete'])],
  arguments: [KEY, { name: 'count', type: 'integer' }, { name: 'element', type: 'string' }],
  reply: 'integer: the number of elements removed',
  run(ctx, argv) {
    const count = parseLong(argv[2]!);
    if (count === undefined) return ctx.reply.error(NOT_INTEGER);
    const key = argv[1]!;
    const list = lookupList(ctx, key);
    if (list === WRONG) return;
    if (list === undefined) return ctx.reply.int(0);
    const removed = list.removeValue(argv[3]!, count === 0 ? Infinity : Math.abs(count), count < 0);
    if (removed !== 0) afterRemoval(ctx, key, list, 'lrem');
    ctx.reply.int(removed);
  },
});


// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
export const lpos = defineCommand({
  name: 'lpos', arity: -3, flags: ['readonly'], keys: [1, 1, 1],
  group: 'list', since: '6.0.6', summary: 'Return the index of matching elements on a list',
  complexity: 'O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.',
  keySpecs: [keySpec(['RO', 'access'])],
  arguments: [
    KEY, { name: 'element', type: 'string' },
    { name: 'rank', type: 'integer', token: 'RANK', optional: true },
    { name: 'num-matches', type: 'integer', token: 'COUNT', optional: true },
    { name: 'len', type: 'integer', token: 'MAXLEN', optional: true },
  ],
  reply: 'integer or nil; with COUNT: array of integers',
  run(ctx, argv) {
    let rank = 1;
    let count = -1; // -1: no COUNT option
    let maxlen = 0;
    let unbounded = false;
    for (let j = 3; j < argv.length; j++) {
      const opt = argv[j]!.toUpperCase();
      const hasValue = j + 1 < argv.length;
      if (opt === 'RANK' && hasValue) {
        const r = parseInt64(argv[++j]!);
        if (r === undefined) return ctx.reply.error(NOT_INTEGER);
        if (r === 0) return ctx.reply.error(LPOS_RANK_ZERO);
        // INT64_MIN exactly (as a double, -LONG_MAX would round to the same value).
        unbounded = r === INT64_MIN;
        rank = Number(r);
      } else if (opt === 'COUNT' && hasValue) {
        const c = parseNonNegative(argv[++j]!, LPOS_COUNT_NEGATIVE);
        if (typeof c === 'string') return ctx.reply.error(c);
        count = c;
      } else if (opt === 'MAXLEN' && hasValue) {
        const m = parseNonNegative(argv[++j]!, LPOS_MAXLEN_NEGATIVE);
        if (typeof m === 'string') return ctx.reply.error(m);
        maxlen = m;
      } else {
        return ctx.reply.error(SYNTAX);
      }
    }
    const list = lookupList(ctx, argv[1]!, true);
    if (list === WRONG) return;
    if (list === undefined) return count !== -1 ? ctx.reply.array(0) : ctx.reply.null();
    // A negative rank searches from the tail. Redis negates a long: INT64_MIN stays negative, so
    // every match qualifies and COUNT's stop test (which overflows) never fires.
    const fromTail = rank < 0;
    if (fromTail) rank = -rank;
    const element = argv[2]!;
    const found: number[] = [];
    let matches = 0;
    let scanned = 0;
    list.scan(fromTail, (v, index) => {
      if (maxlen !== 0 && scanned >= maxlen) return false;
      scanned++;
      if (v !== element) return true;
      matches++;
      if (!unbounded && matches < rank) return true;
      found.push(index);
      if (count === -1) return false;
      return unbounded || count === 0 || matches - rank + 1 < count;
    });
    if (count !== -1) {
      ctx.reply.array(found.length);
      for (const i of found) ctx.reply.int(i);
    } else if (found.length !== 0) {
      ctx.reply.int(found[0]!);
    } else {
      ctx.reply.null();
    }
  },
});

// ---------------------------------------------------------------- LMOVE

/**
 * Moves one element from the (non-empty) source list to the destination, as Redis's
 * lmoveGenericCommand: a destination of another type answers WRONGTYPE and moves nothing.
 * Source and destination may be the same list (a rotation). `logAs`: the blocking forms log
 * the move as LMOVE or RPOPLPUSH (see blmoveGeneric); LMOVE and RPOPLPUSH log their own argv.
 */
function moveElement(
  ctx: Client, source: string, destination: string, from: ListValue, whereFrom: End, whereTo: End,
  logAs?: 'LMOVE' | 'RPOPLPUSH',
): void {
  const existing = ctx.db.lookup(destination);
  if (existing !== undefined && !(existing instanceof ListValue)) return ctx.reply.error(WRONGTYPE);
  const v = pop(from, whereFrom);
  if (existing === undefined) {
    const created = new ListValue();
    created.pushTail(v);
    ctx.db.set(destination, created);
  } else {
    push(existing, v, whereTo);
    ctx.db.host.onKeyModified(ctx.db, destination);
  }
  // Redis's order: the push on the destination, then the pop on the source (and its `del`).
  notify(ctx, NOTIFY_LIST, pushEvent(whereTo), destination);
  afterRemoval(ctx, source, from, popEvent(whereFrom));
  if (logAs !== undefined) {
    ctx.engine.propagate(ctx.db, ctx.engine.propagator === undefined ? NO_ARGV
      : logAs === 'RPOPLPUSH' ? ['RPOPLPUSH', source, destination]
      : ['LMOVE', source, destination, endToken(whereFrom), endToken(whereTo)]);
  }
  ctx.reply.bulk(v);
}

/** The LEFT / RIGHT token of an end, for logged argvs. */
function endToken(end: End): string {
  return end === 'head' ? 'LEFT' : 'RIGHT';
}

function lmoveGeneric(ctx: Client, source: string, destination: string, whereFrom: End, whereTo: End): void {
  const from = lookupList(ctx, source);
  if (from === WRONG) return;
  if (from === undefined) return ctx.reply.null();
  moveElement(ctx, source, destination, from, whereFrom, whereTo);
}

// LMOVE source destination LEFT | RIGHT LEFT | RIGHT
export const lmove = defineCommand({
  name: 'lmove', arity: 5, flags: ['write', 'denyoom'], keys: [1, 2, 1],
  group: 'list', since: '6.2.0', summary: 'Pop an element from a list, push it to another list and return it',
  complexity: 'O(1)', keySpecs: MOVE_KEY_SPECS, arguments: MOVE_ARGUMENTS,
  reply: 'bulk string: the element moved, or nil when the source does not exist',
  run(ctx, argv) {
    const whereFrom = parseEnd(argv[3]!);
    const whereTo = parseEnd(argv[4]!);
    if (whereFrom === undefined || whereTo === undefined) return ctx.reply.error(SYNTAX);
    lmoveGeneric(ctx, argv[1]!, argv[2]!, whereFrom, whereTo);
  },
});

// RPOPLPUSH source destination
export const rpoplpush = defineCommand({
  name: 'rpoplpush', arity: 3, flags: ['write', 'denyoom'], keys: [1, 2, 1],
  group: 'list', since: '1.2.0', summary: 'Remove the last element in a list, prepend it to another list and return it',
  complexity: 'O(1)', deprecatedSince: '6.2.0', replacedBy: '`LMOVE` with the `RIGHT` and `LEFT` arguments',
  keySpecs: MOVE_KEY_SPECS, arguments: [{ name: 'source', type: 'key' }, { name: 'destination', type: 'key' }],
  reply: 'bulk string: the element moved, or nil when the source does not exist',
  run(ctx, argv) { lmoveGeneric(ctx, argv[1]!, argv[2]!, 'tail', 'head'); },
});

// ---------------------------------------------------------------- LMPOP

/*
 * The pops below log what they did on the key they popped (LMPOP 1 key ... COUNT n, LPOP key),
 * not their argv: a blocking pop served later runs outside any command (blocking.ts), so only
 * the record written here reaches the log; and a replay must neither block nor pick another key.
 */

/** [key, [elements]]: up to `count` elements popped from a non-empty list (LMPOP, BLMPOP). */
function replyPoppedRange(ctx: Client, key: string, list: ListValue, end: End, count: number): void {
  const n = Math.min(count, list.length);
  ctx.reply.array(2);
  ctx.reply.bulk(key);
  ctx.reply.array(n);
  for (let i = 0; i < n; i++) ctx.reply.bulk(pop(list, end));
  afterRemoval(ctx, key, list, popEvent(end));
  ctx.engine.propagate(ctx.db, ctx.engine.propagator === undefined ? NO_ARGV
    : ['LMPOP', '1', key, endToken(end), 'COUNT', String(n)]);
}

/** [key, element] popped from a non-empty list (BLPOP, BRPOP). */
function replyPoppedOne(ctx: Client, key: string, list: ListValue, end: End): void {
  ctx.reply.array(2);
  ctx.reply.bulk(key);
  ctx.reply.bulk(pop(list, end));
  afterRemoval(ctx, key, list, popEvent(end));
  ctx.engine.propagate(ctx.db, ctx.engine.propagator === undefined ? NO_ARGV
    : [end === 'head' ? 'LPOP' : 'RPOP', key]);
}

/**
 * Pops from the first non-empty list among keys, in argument order, and answers; a key of
 * another type met on the way answers WRONGTYPE. False (nothing answered) when all are empty.
 * `count` undefined: BLPOP's [key, element]; else LMPOP's [key, [elements]].
 */
function popFirstNonEmpty(ctx: Client, keys: readonly string[], end: End, count: number | undefined): boolean {
  for (const key of keys) {
    const list = lookupList(ctx, key);
    if (list === WRONG) return true;
    if (list === undefined) continue;
    if (count === undefined) replyPoppedOne(ctx, key, list, end);
    else replyPoppedRange(ctx, key, list, end, count);
    return true;
  }
  return false;
}

// LMPOP numkeys key [key ...] LEFT | RIGHT [COUNT count]
export const lmpop = defineCommand({
  name: 'lmpop', arity: -4, flags: ['write', 'movablekeys'], keys: [0, 0, 0],
  group: 'list', since: '7.0.0', summary: 'Pop elements from a list',
  complexity: 'O(N+M) where N is the number of provided keys and M is the number of elements returned.',
  keySpecs: [mpopKeySpec(1)], arguments: MPOP_ARGUMENTS,
  reply: 'array [key, [elements]], or a null array when every list is empty',
  run(ctx, argv) {
    const args = parseMpopArguments(argv, 1, parseEnd);
    if (typeof args === 'string') return ctx.reply.error(args);
    if (!popFirstNonEmpty(ctx, args.keys, args.where, args.count)) ctx.reply.nullArray();
  },
});

// ---------------------------------------------------------------- blocking

/**
 * BLPOP, BRPOP, BLMPOP: serve at once from the first non-empty key, else block. A client
 * woken by a key is served from that key (Redis 7.0 serves the key that became ready, not the
 * first in argument order, when several become ready at once); a key that now holds another
 * type, or is empty again, leaves it waiting.
 */
function blockingPop(ctx: Client, keys: readonly string[], end: End, count: number | undefined, deadline: number): void {
  if (popFirstNonEmpty(ctx, keys, end, count)) return;
  if (!mayBlock(ctx)) return ctx.reply.nullArray();
  ctx.engine.blocking.block(ctx, {
    keys,
    deadline,
    tryServe(ready: string) {
      const v = ctx.db.lookup(ready);
      if (!(v instanceof ListValue)) return false;
      if (count === undefined) replyPoppedOne(ctx, ready, v, end);
      else replyPoppedRange(ctx, ready, v, end, count);
      return true;
    },
    onTimeout() { ctx.reply.nullArray(); },
  });
}

function blpopGeneric(ctx: Client, argv: string[], end: End): void {
  const deadline = parseTimeout(argv[argv.length - 1]!, ctx.engine.time);
  if (typeof deadline === 'string') return ctx.reply.error(deadline);
  blockingPop(ctx, argv.slice(1, -1), end, undefined, deadline);
}

// BLPOP key [key ...] timeout
export const blpop = defineCommand({
  name: 'blpop', arity: -3, flags: ['write', 'noscript', 'blocking'], keys: [1, -2, 1],
  group: 'list', since: '2.0.0', summary: 'Remove and get the first element in a list, or block until one is available',
  complexity: 'O(N) where N is the number of provided keys.', history: TIMEOUT_HISTORY,
  keySpecs: [keySpec(['RW', 'access', 'delete'], 1, -2)],
  arguments: [{ name: 'key', type: 'key', multiple: true }, TIMEOUT],
  reply: 'array [key, element], or a null array on timeout',
  run(ctx, argv) { blpopGeneric(ctx, argv, 'head'); },
});

// BRPOP key [key ...] timeout
export const brpop = defineCommand({
  name: 'brpop', arity: -3, flags: ['write', 'noscript', 'blocking'], keys: [1, -2, 1],
  group: 'list', since: '2.0.0', summary: 'Remove and get the last element in a list, or block until one is available',
  complexity: 'O(N) where N is the number of provided keys.', history: TIMEOUT_HISTORY,
  keySpecs: [keySpec(['RW', 'access', 'delete'], 1, -2)],
  arguments: [{ name: 'key', type: 'key', multiple: true }, TIMEOUT],
  reply: 'array [key, element], or a null array on timeout',
  run(ctx, argv) { blpopGeneric(ctx, argv, 'tail'); },
});

// BLMPOP timeout numkeys key [key ...] LEFT | RIGHT [COUNT count]
export const blmpop = defineCommand({
  name: 'blmpop', arity: -5, flags: ['write', 'blocking', 'movablekeys'], keys: [0, 0, 0],
  group: 'list', since: '7.0.0', summary: 'Pop elements from a list, or block until one is available',
  complexity: 'O(N+M) where N is the number of provided keys and M is the number of elements returned.',
  keySpecs: [mpopKeySpec(2)], arguments: [TIMEOUT, ...MPOP_ARGUMENTS],
  reply: 'array [key, [elements]], or a null array on timeout',
  run(ctx, argv) {
    // Redis parses numkeys, the direction and COUNT before the timeout.
    const args = parseMpopArguments(argv, 2, parseEnd);
    if (typeof args === 'string') return ctx.reply.error(args);
    const deadline = parseTimeout(argv[1]!, ctx.engine.time);
    if (typeof deadline === 'string') return ctx.reply.error(deadline);
    blockingPop(ctx, args.keys, args.where, args.count, deadline);
  },
});

/**
 * BLMOVE, BRPOPLPUSH: move at once when the source has elements, else block on the source.
 * When served, a destination that holds another type answers WRONGTYPE to the blocked client
 * and the element stays for the next waiter, as in Redis.
 */
function blmoveGeneric(
  ctx: Client, source: string, destination: string, whereFrom: End, whereTo: End, deadline: number,
  logAs: 'LMOVE' | 'RPOPLPUSH',
): void {
  const from = lookupList(ctx, source);
  if (from === WRONG) return;
  // Logged as the non-blocking move on both paths: served later, the move happens outside any
  // command and only moveElement's record reaches the log.
  if (from !== undefined) return moveElement(ctx, source, destination, from, whereFrom, whereTo, logAs);
  if (!mayBlock(ctx)) return ctx.reply.null();
  ctx.engine.blocking.block(ctx, {
    keys: [source],
    deadline,
    tryServe() {
      const v = ctx.db.lookup(source);
      if (!(v instanceof ListValue)) return false;
      moveElement(ctx, source, destination, v, whereFrom, whereTo, logAs);
      return true;
    },
    onTimeout() { ctx.reply.nullArray(); },
  });
}

// BLMOVE source destination LEFT | RIGHT LEFT | RIGHT timeout
export const blmove = defineCommand({
  name: 'blmove', arity: 6, flags: ['write', 'denyoom', 'noscript', 'blocking'], keys: [1, 2, 1],
  group: 'list', since: '6.2.0', summary: 'Pop an element from a list, push it to another list and return it; or block until one is available',
  complexity: 'O(1)', keySpecs: MOVE_KEY_SPECS, arguments: [...MOVE_ARGUMENTS, TIMEOUT],
  reply: 'bulk string: the element moved, or a null array on timeout',
  run(ctx, argv) {
    const whereFrom = parseEnd(argv[3]!);
    const whereTo = parseEnd(argv[4]!);
    if (whereFrom === undefined || whereTo === undefined) return ctx.reply.error(SYNTAX);
    const deadline = parseTimeout(argv[5]!, ctx.engine.time);
    if (typeof deadline === 'string') return ctx.reply.error(deadline);
    blmoveGeneric(ctx, argv[1]!, argv[2]!, whereFrom, whereTo, deadline, 'LMOVE');
  },
});

// BRPOPLPUSH source destination timeout
export const brpoplpush = defineCommand({
  name: 'brpoplpush', arity: 4, flags: ['write', 'denyoom', 'noscript', 'blocking'], keys: [1, 2, 1],
  group: 'list', since: '2.2.0', summary: 'Pop an element from a list, push it to another list and return it; or block until one is available',
  complexity: 'O(1)', deprecatedSince: '6.2.0', replacedBy: '`BLMOVE` with the `RIGHT` and `LEFT` arguments',
  history: TIMEOUT_HISTORY, keySpecs: MOVE_KEY_SPECS,
  arguments: [{ name: 'source', type: 'key' }, { name: 'destination', type: 'key' }, TIMEOUT],
  reply: 'bulk string: the element moved, or a null array on timeout',
  run(ctx, argv) {
    const deadline = parseTimeout(argv[3]!, ctx.engine.time);
    if (typeof deadline === 'string') return ctx.reply.error(deadline);
    blmoveGeneric(ctx, argv[1]!, argv[2]!, 'tail', 'head', deadline, 'RPOPLPUSH');
  },
});

export const listCommands: Command[] = [
  lpush, rpush, lpushx, rpushx, lpop, rpop, llen, lindex, lset, lrange, ltrim, linsert, lrem, lpos,
  lmove, rpoplpush, lmpop, blpop, brpop, blmpop, blmove, brpoplpush,
];
