import type { Client } from '../client.js';
import { defineCommand, type Command } from '../command.js';
import { parseInt64 } from '../args.js';
import {
  BITFIELD_RO_ONLY_GET, BITOP_NOT_SINGLE_SOURCE, BITPOS_BIT_NOT_BINARY, BIT_NOT_INTEGER,
  BIT_OFFSET_NOT_INTEGER, INVALID_BITFIELD_TYPE, INVALID_OVERFLOW_TYPE, NOT_INTEGER,
  STRING_TOO_LONG, SYNTAX, WRONGTYPE,
} from '../errors.js';
import type { Value } from '../keyspace.js';
import { type ArgumentSpec, keySpec } from '../spec.js';
import {
  applyOverflow, bitop as combineSources, countBitRange, findBit, readField, readSignedField,
  writeField, type BitOperation, type ByteSource, type OverflowMode,
} from '../types/bitmap.js';
import { MAX_RAW_LENGTH, RawString, type StringValue } from '../types/string.js';
import { NOTIFY_GENERIC, NOTIFY_STRING, lookupRead, notify } from '../notify.js';

/**
 * The bitmap family: SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO. A bitmap is a
 * string value (types/string.ts) read as bits, most significant bit of byte 0 first; the bit
 * arithmetic lives in types/bitmap.ts.
 *
 * Error order follows Redis 7.0: every command here but BITCOUNT parses its arguments before
 * it looks at the key, so only BITCOUNT has a central `keyType`; the others check the type
 * themselves. Writes (SETBIT, BITFIELD SET/INCRBY) turn the value into a RawString grown with
 * zero bytes, which OBJECT ENCODING reports as `raw`, as Redis's unshared sds is.
 *
 * Offsets are limited as Redis limits them: an offset whose byte is at or past
 * proto-max-bulk-len is refused (2^32 bits by default). The resulting length is not checked
 * against proto-max-bulk-len (Redis 7.0 does not either); past what a Buffer holds (only with
 * a raised proto-max-bulk-len) nodis answers the string-too-long error.
 */

// ---------------------------------------------------------------- spec helpers

const KEY: ArgumentSpec = { name: 'key', type: 'key' };


const INDEX_UNIT: ArgumentSpec = {
  name: 'index_unit', type: 'oneof', since: '7.0.0', optional: true, arguments: [
    { name: 'byte', type: 'pure-token', token: 'BYTE' },
    { name: 'bit', type: 'pure-token', token: 'BIT' },
  ],
};

const INDEX_UNIT_HISTORY: [string, string][] = [['7.0.0', 'Added the `BYTE|BIT` option.']];

const ENCODING: ArgumentSpec = { name: 'encoding', type: 'string' };
const OFFSET: ArgumentSpec = { name: 'offset', type: 'integer' };

// ---------------------------------------------------------------- value helpers

function isString(v: Value): v is StringValue {
  return typeof v === 'string' || v instanceof RawString;
}

/** Compares an argument with an upper-case keyword without upper-casing a huge argument. */
function isToken(arg: string, upper: string): boolean {
  return arg.length === upper.length && arg.toUpperCase() === upper;
}

/** Byte i of a string value. */
function byteAt(v: StringValue, i: number): number {
  return typeof v === 'string' ? v.charCodeAt(i) : v.buf[i]!;
}

/** A string value's bytes for the scans of types/bitmap.ts: the JS string itself, or a RawString's view. */
function bytesOf(v: StringValue): ByteSource {
  return typeof v === 'string' ? v : v.bytes();
}

/**
 * A bit offset as Redis's getBitOffsetFromArgument reads it: an int64 (string2ll), or with
 * `#` (BITFIELD only) a count of fields multiplied by the field width, wrapping in int64 as
 * Redis's multiplication does; then refused when negative or when its byte is at or past
 * proto-max-bulk-len. An offset beyond 2^53 can only pass under a limit raised past 1 PiB;
 * it is then approximate, which no value is long enough to notice.
 */
function parseBitOffset(ctx: Client, arg: string, fieldBits = 0): number | undefined {
  const byCount = fieldBits > 0 && arg.charCodeAt(0) === 35; /* # */
  const parsed = parseInt64(byCount ? arg.slice(1) : arg);
  if (parsed === undefined) return undefined;
  let offset: number | bigint = parsed;
  if (byCount) {
    offset = typeof parsed === 'number' && Number.isSafeInteger(parsed * fieldBits)
      ? parsed * fieldBits
      : BigInt.asIntN(64, BigInt(parsed) * BigInt(fieldBits));
  }
  if (offset < 0) return undefined;
  const byte = typeof offset === 'bigint' ? offset >> 3n : Math.floor(offset / 8);
  if (byte >= ctx.engine.config.getNumber('proto-max-bulk-len')) return undefined;
  return Number(offset);
}

/**
 * The key's value as a RawString at least `size` bytes long (new bytes zero), for a write in
 * place; Redis's lookupStringForBitCommand. A missing key is created; a JS string is copied
 * into a RawString. Returns the value and whether it is a new object the caller must store
 * (db.set) after writing, or undefined when no Buffer of that size can be had.
 */
function stringForWrite(v: StringValue | undefined, size: number): { raw: RawString; created: boolean } | undefined {
  if (size > MAX_RAW_LENGTH) return undefined;
  try {
    if (v === undefined) {
      // Exactly the size asked: a bitmap set at a high offset first must not double (512 MiB).
      const raw = new RawString('', size);
      raw.length = size;
      return { raw, created: true };
    }
    const created = typeof v === 'string';
    const raw = typeof v === 'string' ? new RawString(v, Math.max(v.length, size)) : v;
    if (size > raw.length) {
      // Capacity past `length` is zero (RawString's invariant), so growing needs no fill.
      raw.reserve(size);
      raw.length = size;
    }
    return { raw, created };
  } catch (e) {
    // Within the limits but the process could not allocate the buffer: refuse, do not crash.
    if (e instanceof RangeError) return undefined;
    throw e;
  }
}

// ---------------------------------------------------------------- SETBIT / GETBIT

// SETBIT key offset value
export const setbit = defineCommand({
  name: 'setbit', arity: 4, flags: ['write', 'denyoom'], keys: [1, 1, 1],
  group: 'bitmap', since: '2.2.0', summary: 'Sets or clears the bit at offset in the string value stored at key',
  complexity: 'O(1)', keySpecs: [keySpec(['RW', 'access', 'update'])],
  arguments: [KEY, OFFSET, { name: 'value', type: 'integer' }],
  run(ctx, argv) {
    const offset = parseBitOffset(ctx, argv[2]!);
    if (offset === undefined) return ctx.reply.error(BIT_OFFSET_NOT_INTEGER);
    const on = argv[3]!;
    if (on !== '0' && on !== '1') return ctx.reply.error(BIT_NOT_INTEGER);
    const key = argv[1]!;
    const v = ctx.db.lookup(key);
    if (v !== undefined && !isString(v)) return ctx.reply.error(WRONGTYPE);
    const byte = Math.floor(offset / 8);
    const oldLength = v === undefined ? 0 : v.length; // a RawString grows in place below
    const target = stringForWrite(v, byte + 1);
    if (target === undefined) return ctx.reply.error(STRING_TOO_LONG);
    const { raw, created } = target;
    const mask = 0x80 >>> (offset % 8);
    const old = raw.buf[byte]!;
    raw.buf[byte] = on === '1' ? old | mask : old & ~mask;
    // Redis signals the key modified even when the bit was already so.
    if (created) ctx.db.set(key, raw, true);
    else ctx.db.host.onKeyModified(ctx.db, key);
    // The event only for a new or grown value or a bit that changed (Redis 7.0's `dirty`).
    if (v === undefined || byte >= oldLength || ((old & mask) !== 0) !== (on === '1')) {
      notify(ctx, NOTIFY_STRING, 'setbit', key);
    }
    ctx.reply.int((old & mask) === 0 ? 0 : 1);
  },
});

// GETBIT key offset
export const getbit = defineCommand({
  name: 'getbit', arity: 3, flags: ['readonly', 'fast'], keys: [1, 1, 1],
  group: 'bitmap', since: '2.2.0', summary: 'Returns the bit value at offset in the string value stored at key',
  complexity: 'O(1)', keySpecs: [keySpec(['RO', 'access'])],
  arguments: [KEY, OFFSET],
  run(ctx, argv) {
    const offset = parseBitOffset(ctx, argv[2]!);
    if (offset === undefined) return ctx.reply.error(BIT_OFFSET_NOT_INTEGER);
    const v = lookupRead(ctx, argv[1]!);
    if (v === undefined) return ctx.reply.int(0);
    if (!isString(v)) return ctx.reply.error(WRONGTYPE);
    const byte = Math.floor(offset / 8);
    if (byte >= v.length) return ctx.reply.int(0);
    ctx.reply.int((byteAt(v, byte) >>> (7 - (offset % 8))) & 1);
  },
});

// ---------------------------------------------------------------- BITCOUNT / BITPOS

/** Far beyond any bit length, still an exact double: where out-of-range int64 indices clamp. */
const INDEX_CLAMP = 2 ** 60;

function clampIndex(x: number | bigint): number {
  if (typeof x === 'number') return x;
  return x < 0n ? -INDEX_CLAMP : INDEX_CLAMP;
}

/**
 * A start/end pair over `total` units as Redis normalises it: negatives count from the end,
 * then both are clamped into [0, total - 1]. The result may be empty (start > end).
 */
function normaliseRange(startArg: number | bigint, endArg: number | bigint, total: number): [number, number] {
  let start = clampIndex(startArg);
  let end = clampIndex(endArg);
  if (start < 0) start += total;
  if (end < 0) end += total;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= total) end = total - 1;
  return [start, end];
}

/** BYTE or BIT (any case), or undefined. */
function parseIndexUnit(arg: string): boolean | undefined {
  if (isToken(arg, 'BIT')) return true;
  if (isToken(arg, 'BYTE')) return false;
  return undefined;
}

// BITCOUNT key [start end [BYTE | BIT]]
export const bitcount = defineCommand({
  name: 'bitcount', arity: -2, flags: ['readonly'], keys: [1, 1, 1],
  group: 'bitmap', since: '2.6.0', summary: 'Count set bits in a string', complexity: 'O(N)',
  keyType: 'string', keySpecs: [keySpec(['RO', 'access'])], history: INDEX_UNIT_HISTORY,
  arguments: [
    KEY,
    {
      name: 'index', type: 'block', optional: true, arguments: [
        { name: 'start', type: 'integer' }, { name: 'end', type: 'integer' }, INDEX_UNIT,
      ],
    },
  ],
  run(ctx, argv) {
    // Redis answers 0 for a missing key before it looks at the other arguments.
    const v = lookupRead(ctx, argv[1]!) as StringValue | undefined;
    if (v === undefined) return ctx.reply.int(0);
    const argc = argv.length;
    if (argc === 2) return ctx.reply.int(v.length === 0 ? 0 : countBitRange(bytesOf(v), 0, v.length * 8 - 1));
    if (argc !== 4 && argc !== 5) return ctx.reply.error(SYNTAX);
    const startArg = parseInt64(argv[2]!);
    if (startArg === undefined) return ctx.reply.error(NOT_INTEGER);
    const endArg = parseInt64(argv[3]!);
    if (endArg === undefined) return ctx.reply.error(NOT_INTEGER);
    // Both negative and crossed: 0 at once, before the unit is even read (as Redis does).
    if (startArg < 0 && endArg < 0 && startArg > endArg) return ctx.reply.int(0);
    let inBits = false;
    if (argc === 5) {
      const unit = parseIndexUnit(argv[4]!);
      if (unit === undefined) return ctx.reply.error(SYNTAX);
      inBits = unit;
    }
    const [start, end] = normaliseRange(startArg, endArg, inBits ? v.length * 8 : v.length);
    if (start > end) return ctx.reply.int(0);
    ctx.reply.int(inBits ? countBitRange(bytesOf(v), start, end) : countBitRange(bytesOf(v), start * 8, end * 8 + 7));
  },
});

// BITPOS key bit [start [end [BYTE | BIT]]]
export const bitpos = defineCommand({
  name: 'bitpos', arity: -3, flags: ['readonly'], keys: [1, 1, 1],
  group: 'bitmap', since: '2.8.7', summary: 'Find first bit set or clear in a string', complexity: 'O(N)',
  keySpecs: [keySpec(['RO', 'access'])], history: INDEX_UNIT_HISTORY,
  arguments: [
    KEY,
    { name: 'bit', type: 'integer' },
    {
      name: 'index', type: 'block', optional: true, arguments: [
        { name: 'start', type: 'integer' },
        {
          name: 'end_index', type: 'block', optional: true, arguments: [{ name: 'end', type: 'integer' }, INDEX_UNIT],
        },
      ],
    },
  ],
  run(ctx, argv) {
    const bitArg = parseInt64(argv[2]!);
    if (bitArg === undefined) return ctx.reply.error(NOT_INTEGER);
    if (bitArg !== 0 && bitArg !== 1) return ctx.reply.error(BITPOS_BIT_NOT_BINARY);
    const bit = bitArg;
    // A missing key is an endless run of zeros, whatever the range (and its syntax).
    const v = lookupRead(ctx, argv[1]!);
    if (v === undefined) return ctx.reply.int(bit === 1 ? -1 : 0);
    if (!isString(v)) return ctx.reply.error(WRONGTYPE);
    const argc = argv.length;
    const len = v.length;
    let start = 0;
    let end = len - 1;
    let inBits = false;
    let endGiven = false;
    if (argc >= 4 && argc <= 6) {
      const startArg = parseInt64(argv[3]!);
      if (startArg === undefined) return ctx.reply.error(NOT_INTEGER);
      if (argc === 6) {
        const unit = parseIndexUnit(argv[5]!);
        if (unit === undefined) return ctx.reply.error(SYNTAX);
        inBits = unit;
      }
      let endArg: number | bigint = INDEX_CLAMP; // no end: to the last unit
      if (argc >= 5) {
        const parsed = parseInt64(argv[4]!);
        if (parsed === undefined) return ctx.reply.error(NOT_INTEGER);
        endArg = parsed;
        endGiven = true;
      }
      [start, end] = normaliseRange(startArg, endArg, inBits ? len * 8 : len);
    } else if (argc !== 3) {
      return ctx.reply.error(SYNTAX);
    }
    if (start > end) return ctx.reply.int(-1);
    const found = inBits ? findBit(bytesOf(v), start, end, bit) : findBit(bytesOf(v), start * 8, end * 8 + 7, bit);
    if (found >= 0) return ctx.reply.int(found);
    // No clear bit and no end given: the string reads as padded with zeros on the right, so
    // the answer is the first bit past its end (the range then always ends with the string).
    ctx.reply.int(bit === 0 && !endGiven ? len * 8 : -1);
  },
});

// ---------------------------------------------------------------- BITOP

const BIT_OPERATIONS: readonly BitOperation[] = ['AND', 'OR', 'XOR', 'NOT'];

// BITOP operation destkey key [key ...]
export const bitop = defineCommand({
  name: 'bitop', arity: -4, flags: ['write', 'denyoom'], keys: [2, -1, 1],
  group: 'bitmap', since: '2.6.0', summary: 'Perform bitwise operations between strings', complexity: 'O(N)',
  keySpecs: [keySpec(['OW', 'update'], 2), keySpec(['RO', 'access'], 3, -1)],
  arguments: [
    { name: 'operation', type: 'string' },
    { name: 'destkey', type: 'key' },
    { name: 'key', type: 'key', multiple: true },
  ],
  run(ctx, argv) {
    const opArg = argv[1]!;
    const op = opArg.length <= 3 ? BIT_OPERATIONS.find((o) => isToken(opArg, o)) : undefined;
    if (op === undefined) return ctx.reply.error(SYNTAX);
    if (op === 'NOT' && argv.length !== 4) return ctx.reply.error(BITOP_NOT_SINGLE_SOURCE);
    const sources: ByteSource[] = [];
    let length = 0;
    for (let i = 3; i < argv.length; i++) {
      const v = lookupRead(ctx, argv[i]!);
      if (v === undefined) {
        sources.push('');
        continue;
      }
      if (!isString(v)) return ctx.reply.error(WRONGTYPE);
      sources.push(bytesOf(v));
      if (v.length > length) length = v.length;
    }
    // The destination, whatever it held, is replaced (its TTL too) or, for an empty result, deleted.
    const dest = argv[2]!;
    if (length === 0) {
      // Even a destination past its time, not yet reclaimed: Redis's dbDelete, a `del` event.
      if (ctx.db.deleteEntry(dest)) notify(ctx, NOTIFY_GENERIC, 'del', dest);
      return ctx.reply.int(0);
    }
    // Computed into a new buffer: a source may be the destination itself.
    const out = new RawString('', length);
    out.length = length;
    combineSources(op, sources, out.buf, length);
    ctx.db.set(dest, out);
    notify(ctx, NOTIFY_STRING, 'set', dest);
    ctx.reply.int(length);
  },
});

// ---------------------------------------------------------------- BITFIELD

interface FieldType {
  signed: boolean;
  bits: number;
}

/** `i1`..`i64` or `u1`..`u63` (lower case, the width as string2ll reads it), or undefined. */
function parseFieldType(arg: string): FieldType | undefined {
  const kind = arg.charCodeAt(0);
  if (kind !== 105 /* i */ && kind !== 117 /* u */) return undefined;
  const signed = kind === 105;
  const bits = parseInt64(arg.slice(1));
  if (typeof bits !== 'number' || bits < 1 || bits > (signed ? 64 : 63)) return undefined;
  return { signed, bits };
}

interface FieldOp {
  kind: 'GET' | 'SET' | 'INCRBY';
  type: FieldType;
  offset: number;
  /** SET's value or INCRBY's increment. */
  arg: bigint;
  /** The OVERFLOW mode in force where the op appears. */
  overflow: OverflowMode;
}

const OVERFLOW_MODES: readonly OverflowMode[] = ['WRAP', 'SAT', 'FAIL'];

/**
 * Parses BITFIELD's subcommands all before anything runs, in Redis's order for each: the
 * subcommand and its argument count (syntax error), the type, the offset, then (SET/INCRBY)
 * the integer. BITFIELD_RO refuses a SET or INCRBY only once all of them parsed. Returns the
 * ops or the error to answer.
 */
function parseFieldOps(ctx: Client, argv: string[], readonly: boolean): FieldOp[] | string {
  const ops: FieldOp[] = [];
  let overflow: OverflowMode = 'WRAP';
  let writes = false;
  for (let j = 2; j < argv.length; j++) {
    const remaining = argv.length - j - 1;
    const sub = argv[j]!;
    let kind: FieldOp['kind'];
    if (isToken(sub, 'GET') && remaining >= 2) kind = 'GET';
    else if (isToken(sub, 'SET') && remaining >= 3) kind = 'SET';
    else if (isToken(sub, 'INCRBY') && remaining >= 3) kind = 'INCRBY';
    else if (isToken(sub, 'OVERFLOW') && remaining >= 1) {
      const modeArg = argv[++j]!;
      const mode = modeArg.length <= 4 ? OVERFLOW_MODES.find((m) => isToken(modeArg, m)) : undefined;
      if (mode === undefined) return INVALID_OVERFLOW_TYPE;
      overflow = mode;
      continue;
    } else {
      return SYNTAX;
    }
    const type = parseFieldType(argv[j + 1]!);
    if (type === undefined) return INVALID_BITFIELD_TYPE;
    const offset = parseBitOffset(ctx, argv[j + 2]!, type.bits);
    if (offset === undefined) return BIT_OFFSET_NOT_INTEGER;
    let arg = 0n;
    if (kind !== 'GET') {
      writes = true;
      const value = parseInt64(argv[j + 3]!);
      if (value === undefined) return NOT_INTEGER;
      arg = BigInt(value);
      j++;
    }
    j += 2;
    ops.push({ kind, type, offset, arg, overflow });
  }
  return readonly && writes ? BITFIELD_RO_ONLY_GET : ops;
}

/**
 * BITFIELD and BITFIELD_RO. With any SET or INCRBY, the key is first made a RawString long
 * enough for the furthest write (created if missing, even when a FAIL overflow then writes
 * nothing, as Redis does); with GETs only, a missing key reads as zeros and is not created.
 */
function bitfieldGeneric(ctx: Client, argv: string[], readonly: boolean): void {
  const parsed = parseFieldOps(ctx, argv, readonly);
  if (typeof parsed === 'string') return ctx.reply.error(parsed);
  const ops = parsed;
  const key = argv[1]!;
  let writeEnd = 0; // bytes the writes need
  for (const op of ops) {
    if (op.kind !== 'GET') writeEnd = Math.max(writeEnd, Math.floor((op.offset + op.type.bits - 1) / 8) + 1);
  }
  // With GETs only Redis reads the key (a miss is a keymiss event); with writes it looks it up to write.
  const v = writeEnd === 0 ? lookupRead(ctx, key) : ctx.db.lookup(key);
  if (v !== undefined && !isString(v)) return ctx.reply.error(WRONGTYPE);
  let value: StringValue | undefined = v;
  const oldLength = v === undefined ? 0 : v.length; // v itself grows when it is a RawString
  let created = false;
  let raw: RawString | undefined;
  if (writeEnd > 0) {
    const target = stringForWrite(v, writeEnd);
    if (target === undefined) return ctx.reply.error(STRING_TOO_LONG);
    ({ raw, created } = target);
    value = raw;
  }
  let changes = 0;
  // Writes that count for the `setbit` event: each one that changed its field, or any done on a
  // new or grown value (Redis 7.0's `dirty`).
  const grown = writeEnd > 0 && (v === undefined || writeEnd > oldLength);
  let notified = 0;
  ctx.reply.array(ops.length);
  for (const op of ops) {
    const { signed, bits } = op.type;
    const src = value === undefined ? '' : typeof value === 'string' ? value : value.buf;
    const length = value === undefined ? 0 : value.length; // a RawString's buf runs past its value
    const current = signed ? readSignedField(src, length, op.offset, bits) : readField(src, length, op.offset, bits);
    if (op.kind === 'GET') {
      ctx.reply.int(current);
      continue;
    }
    // SET checks the value itself (an unsigned field sees a negative one as its uint64 bits,
    // so SAT takes it to the maximum); INCRBY checks the sum.
    const next = op.kind === 'SET'
      ? applyOverflow(signed ? op.arg : BigInt.asUintN(64, op.arg), 0n, bits, signed, op.overflow)
      : applyOverflow(current, op.arg, bits, signed, op.overflow);
    if (next === undefined) {
      ctx.reply.null();
      continue;
    }
    writeField(raw!.buf, op.offset, bits, next);
    changes++;
    if (grown || next !== current) notified++;
    ctx.reply.int(op.kind === 'SET' ? current : next);
  }
  // A value grown for writes that all failed (OVERFLOW FAIL) is still changed: Redis 7.0 keeps
  // the zero padding without counting it as a change, so its AOF loses it; ours logs it.
  if (created) ctx.db.set(key, raw!, true);
  else if (changes > 0 || (raw !== undefined && raw.length !== oldLength)) ctx.db.host.onKeyModified(ctx.db, key);
  if (notified > 0) notify(ctx, NOTIFY_STRING, 'setbit', key);
}

// BITFIELD key [GET encoding offset | [OVERFLOW WRAP | SAT | FAIL] <SET encoding offset value | INCRBY encoding offset increment>
//   [GET encoding offset | [OVERFLOW WRAP | SAT | FAIL] <SET encoding offset value | INCRBY encoding offset increment> ...]]
export const bitfield = defineCommand({
  name: 'bitfield', arity: -2, flags: ['write', 'denyoom'], keys: [1, 1, 1],
  group: 'bitmap', since: '3.2.0', summary: 'Perform arbitrary bitfield integer operations on strings',
  complexity: 'O(1) for each subcommand specified',
  keySpecs: [keySpec(['RW', 'access', 'update', 'variable_flags'], 1, 0, 'This command allows both access and modification of the key')],
  arguments: [
    KEY,
    {
      name: 'operation', type: 'oneof', optional: true, multiple: true, arguments: [
        { name: 'encoding_offset', type: 'block', token: 'GET', arguments: [ENCODING, OFFSET] },
        {
          name: 'write', type: 'block', arguments: [
            {
              name: 'wrap_sat_fail', type: 'oneof', token: 'OVERFLOW', optional: true, arguments: [
                { name: 'wrap', type: 'pure-token', token: 'WRAP' },
                { name: 'sat', type: 'pure-token', token: 'SAT' },
                { name: 'fail', type: 'pure-token', token: 'FAIL' },
              ],
            },
            {
              name: 'write_operation', type: 'oneof', arguments: [
                { name: 'encoding_offset_value', type: 'block', token: 'SET', arguments: [ENCODING, OFFSET, { name: 'value', type: 'integer' }] },
                { name: 'encoding_offset_increment', type: 'block', token: 'INCRBY', arguments: [ENCODING, OFFSET, { name: 'increment', type: 'integer' }] },
              ],
            },
          ],
        },
      ],
    },
  ],
  run(ctx, argv) { bitfieldGeneric(ctx, argv, false); },
});

// BITFIELD_RO key [GET encoding offset [GET encoding offset ...]]
export const bitfieldRo = defineCommand({
  name: 'bitfield_ro', arity: -2, flags: ['readonly', 'fast'], keys: [1, 1, 1],
  group: 'bitmap', since: '6.0.0',
  summary: 'Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD',
  complexity: 'O(1) for each subcommand specified', keySpecs: [keySpec(['RO', 'access'])],
  arguments: [
    KEY,
    {
      name: 'encoding_offset', type: 'block', token: 'GET', optional: true, multiple: true, multipleToken: true,
      arguments: [ENCODING, OFFSET],
    },
  ],
  run(ctx, argv) { bitfieldGeneric(ctx, argv, true); },
});

export const bitmapCommands: Command[] = [setbit, getbit, bitcount, bitpos, bitop, bitfield, bitfieldRo];
