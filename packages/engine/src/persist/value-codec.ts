import { constants as bufferConstants } from 'node:buffer';
import type { Config } from '../config.js';
import type { Value } from '../keyspace.js';
import { ARRAY_MAX_FIELDS, HashValue, type HashLimits } from '../types/hash.js';
import { ListValue } from '../types/list.js';
import { SetTooLargeError, SetValue } from '../types/set.js';
import { RawString } from '../types/string.js';
import { ZSetValue, type ZSetLimits } from '../types/zset.js';

/**
 * Every keyspace value as a plain payload that msgpackr packs and unpacks exactly (strings,
 * Uint8Arrays, numbers, flat arrays), and back: the values of a snapshot's records
 * (snapshot-format.ts).
 *
 *   type               payload
 *   0 VALUE_STRING     the latin1 string, or its bytes (Uint8Array; see BINARY_FORM_MIN)
 *   1 VALUE_LIST       [e0, e1, ...]                 head to tail
 *   2 VALUE_SET        [m0, m1, ...]                 members() order
 *   3 VALUE_ZSET       [m0, s0, m1, s1, ...]         sorted-set order; a -0 score is '-0'
 *   4 VALUE_HASH       [f0, v0, f1, v1, ...]         the hash's order
 *   5 VALUE_RAW_STRING bytes (Uint8Array)            a RawString (edited in place)
 *
 * Elements are strings or, like string values, bytes. Flat arrays: no object per element, and
 * msgpackr writes an array of strings in one tight loop.
 *
 * Loading rebuilds each value through its type's own API and lets the type pick its encoding
 * from the current config, as Redis 7.0 recomputes encodings when it loads an RDB file
 * (checked with DEBUG RELOAD on redis-server 7.0.15): a hash that went `hashtable` and
 * shrank comes back `listpack`, a set of integers that once held a string comes back
 * `intset`, a small zset comes back `listpack` (and a -0 score in it becomes 0, as Redis's
 * listpack stores it), a string edited in place of at most 44 bytes comes back `embstr` or
 * `int`. Lists are `quicklist` whatever they hold.
 *
 * Strings. A latin1 JS string is its own payload: free to dump, and msgpackr's str. But
 * msgpackr writes str as UTF-8, where every byte >= 0x80 takes two, and its decoder is slow on
 * them: measured here on random bytes, 256-byte strings unpacked in ~3.4 µs as str against
 * ~0.2 µs as bin (and 1.5× the size); at 16 bytes the Buffer allocation costs more than it
 * saves. So a string of BINARY_FORM_MIN bytes or more that holds a high byte is written as its
 * bytes (bin) and comes back as the same latin1 string; shorter ones and ASCII ones stay str
 * (Buffer.byteLength tells the two apart at ~0.15 ns per byte).
 *
 * A RawString (APPEND, SETRANGE, SETBIT, HLLs) is written as a copy of its bytes: the snapshot
 * writer holds payloads until its block fills, and the RawString may be edited in place
 * meanwhile. It loads back as a RawString, except at most 44 bytes, which load as a latin1
 * string (what a fresh SET of those bytes holds): Redis reports such a value `embstr`/`int`
 * after a load, and nodis reports a RawString `raw`. A payload too long for a V8 string
 * (~512 MiB, possible only for a RawString) always loads as a RawString.
 *
 * Loading refuses, with an Error saying why, anything our writer cannot have produced: an
 * unknown type code, a payload of the wrong shape, elements that are neither strings nor
 * bytes, an odd-length hash or zset array, a score that is not a number (NaN included), zset
 * elements out of order, duplicate members or fields. An empty collection (none exists in a
 * keyspace: the last element's removal deletes the key) throws EmptyValueError, which a loader
 * may catch to skip the key, as Redis skips empty keys in an RDB file. What it does not check:
 * that string characters are below 256 (msgpackr gives back what a latin1 string packed; the
 * snapshot's block checksums catch damage).
 */

/** Type codes written in snapshots: append-only, never renumber (a golden test guards them). */
export const VALUE_STRING = 0;
export const VALUE_LIST = 1;
export const VALUE_SET = 2;
export const VALUE_ZSET = 3;
export const VALUE_HASH = 4;
/** A RawString's bytes: loads as a RawString (bytes a latin1 string carries load as VALUE_STRING). */
export const VALUE_RAW_STRING = 5;

/** The payload: strings, Uint8Arrays (Buffers), numbers, and flat arrays of those. */
export type DumpedValue = unknown;

/** Strings this long or longer that hold a byte >= 0x80 are written as bytes (see the file comment). */
export const BINARY_FORM_MIN = 64;

/** Redis's OBJ_ENCODING_EMBSTR_SIZE_LIMIT: a RawString no longer loads as a plain string. */
const EMBSTR_SIZE_LIMIT = 44;

/** V8's longest string: longer bytes can only be a RawString. */
const MAX_STRING_LENGTH = bufferConstants.MAX_STRING_LENGTH;

/** A loaded collection with no elements; the loader may skip the key (as Redis does) or refuse. */
export class EmptyValueError extends Error {
  constructor(type: string) { super(`empty ${type}`); }
}

// ---------------------------------------------------------------- dumping

/** The value's type code and payload (the payload survives msgpackr pack/unpack exactly). */
export function dumpValue(v: Value): [type: number, payload: DumpedValue] {
  if (typeof v === 'string') return [VALUE_STRING, v.length < BINARY_FORM_MIN ? v : dumpString(v)];
  if (v instanceof RawString) {
    if (v.length <= EMBSTR_SIZE_LIMIT) return [VALUE_STRING, v.buf.toString('latin1', 0, v.length)];
    return [VALUE_RAW_STRING, Buffer.from(v.bytes())];
  }
  if (v instanceof ListValue) return [VALUE_LIST, dumpList(v)];
  if (v instanceof HashValue) return [VALUE_HASH, dumpHash(v)];
  if (v instanceof SetValue) return [VALUE_SET, dumpSet(v)];
  if (v instanceof ZSetValue) return [VALUE_ZSET, dumpZSet(v)];
  throw new Error(`cannot dump a value of type ${v.type}`);
}

/** A latin1 string as its payload: itself, or its bytes when it is long and holds high bytes. */
function dumpString(s: string): string | Buffer {
  if (s.length < BINARY_FORM_MIN || Buffer.byteLength(s, 'utf8') === s.length) return s;
  return Buffer.from(s, 'latin1');
}

// The collection dumps fill an array allocated at its final size: measured ~3× faster than
// push() on 100k elements (growing a large array copies it, and the copies are garbage).

function dumpList(list: ListValue): unknown[] {
  const out = new Array<unknown>(list.length);
  let i = 0;
  list.scan(false, (e) => {
    out[i++] = e.length < BINARY_FORM_MIN ? e : dumpString(e);
    return true;
  });
  return out;
}

function dumpHash(hash: HashValue): unknown[] {
  const out = new Array<unknown>(hash.size * 2);
  let i = 0;
  hash.forEach((f, v) => {
    out[i++] = f.length < BINARY_FORM_MIN ? f : dumpString(f);
    out[i++] = v.length < BINARY_FORM_MIN ? v : dumpString(v);
  });
  return out;
}

function dumpSet(set: SetValue): unknown[] {
  const out = new Array<unknown>(set.size);
  let i = 0;
  set.forEach((m) => {
    out[i++] = m.length < BINARY_FORM_MIN ? m : dumpString(m);
  });
  return out;
}

/** -0 as a string: msgpackr writes -0 as the integer 0. */
const NEGATIVE_ZERO = '-0';

function dumpZSet(zset: ZSetValue): unknown[] {
  const out = new Array<unknown>(zset.size * 2);
  if (zset.size === 0) return out;
  let i = 0;
  zset.each(0, zset.size - 1, false, (m, s) => {
    out[i++] = m.length < BINARY_FORM_MIN ? m : dumpString(m);
    out[i++] = s === 0 && Object.is(s, -0) ? NEGATIVE_ZERO : s;
  });
  return out;
}

// ---------------------------------------------------------------- loading

/**
 * Rebuilds a value, its encoding chosen by the config's current limits. Throws an Error with
 * the reason on a payload that is not well-formed (EmptyValueError for an empty collection).
 */
export function loadValue(type: number, payload: unknown, config: Config): Value {
  switch (type) {
    case VALUE_STRING:
      if (typeof payload === 'string') return payload;
      if (payload instanceof Uint8Array) {
        return payload.length <= MAX_STRING_LENGTH ? latin1(payload) : new RawString(asBuffer(payload));
      }
      throw new Error(`string payload is ${describe(payload)}`);
    case VALUE_RAW_STRING:
      if (!(payload instanceof Uint8Array)) throw new Error(`raw string payload is ${describe(payload)}`);
      return payload.length <= EMBSTR_SIZE_LIMIT ? latin1(payload) : new RawString(asBuffer(payload));
    case VALUE_LIST: return loadList(elements(payload, 'list'));
    case VALUE_SET: return loadSet(elements(payload, 'set'), config);
    case VALUE_ZSET: return loadZSet(elements(payload, 'zset'), config);
    case VALUE_HASH: return loadHash(elements(payload, 'hash'), config);
    default: throw new Error(`unknown value type ${describe(type)}`);
  }
}

/** The payload as a non-empty array. */
function elements(payload: unknown, type: string): unknown[] {
  if (!Array.isArray(payload)) throw new Error(`${type} payload is ${describe(payload)}, not an array`);
  if (payload.length === 0) throw new EmptyValueError(type);
  return payload;
}

/** An element as its latin1 string. */
function element(e: unknown, what: string): string {
  if (typeof e === 'string') return e;
  if (e instanceof Uint8Array && e.length <= MAX_STRING_LENGTH) return latin1(e);
  throw new Error(`${what} is ${describe(e)}`);
}

function loadList(payload: unknown[]): ListValue {
  const list = new ListValue();
  for (let i = 0; i < payload.length; i++) {
    const e = payload[i];
    list.pushTail(typeof e === 'string' ? e : element(e, `list element ${i}`));
  }
  return list;
}

function loadHash(payload: unknown[], config: Config): HashValue {
  const n = payload.length;
  if (n % 2 !== 0) throw new Error(`hash payload has an odd length (${n})`);
  const limits: HashLimits = {
    maxListpackEntries: config.getNumber('hash-max-listpack-entries'),
    maxListpackValue: config.getNumber('hash-max-listpack-value'),
  };
  const small = smallListpackHash(payload, limits);
  if (small !== undefined) return small;
  const hash = new HashValue();
  for (let i = 0; i < n; i += 2) {
    const f = payload[i];
    const v = payload[i + 1];
    const field = typeof f === 'string' ? f : element(f, `hash field ${i >> 1}`);
    const value = typeof v === 'string' ? v : element(v, `hash value ${i >> 1}`);
    if (!hash.set(field, value, limits)) throw new Error(`hash field ${i >> 1} is a duplicate`);
  }
  return hash;
}

/**
 * The common small hash in one step: a hash of at most ARRAY_MAX_FIELDS fields that fits the
 * listpack limits is the [field, value, ...] array HashValue keeps for it (what set() would
 * build one concat at a time: ~8× slower for 5 fields). Undefined when the payload is not that
 * case (then set() builds it, and reports what is wrong).
 */
function smallListpackHash(payload: unknown[], limits: HashLimits): HashValue | undefined {
  const n = payload.length;
  if (n > ARRAY_MAX_FIELDS * 2 || n > limits.maxListpackEntries * 2) return undefined;
  const maxLength = limits.maxListpackValue;
  for (let i = 0; i < n; i++) {
    const e = payload[i];
    if (typeof e !== 'string' || e.length > maxLength) return undefined;
    if ((i & 1) === 0) for (let j = 0; j < i; j += 2) if (payload[j] === e) return undefined;
  }
  return new HashValue(payload.slice() as string[]);
}

function loadSet(payload: unknown[], config: Config): SetValue {
  const maxIntsetEntries = config.getNumber('set-max-intset-entries');
  const set = new SetValue();
  try {
    for (let i = 0; i < payload.length; i++) {
      const m = payload[i];
      if (!set.add(typeof m === 'string' ? m : element(m, `set member ${i}`), maxIntsetEntries)) {
        throw new Error(`set member ${i} is a duplicate`);
      }
    }
  } catch (e) {
    if (e instanceof SetTooLargeError) throw new Error(`set payload is too large: ${e.message}`);
    throw e;
  }
  return set;
}

function loadZSet(payload: unknown[], config: Config): ZSetValue {
  const n = payload.length;
  if (n % 2 !== 0) throw new Error(`zset payload has an odd length (${n})`);
  const members = new Array<string>(n >> 1);
  const scores = new Array<number>(n >> 1);
  let prevScore = -Infinity;
  let prevMember = '';
  for (let i = 0, j = 0; i < n; i += 2, j++) {
    const m = payload[i];
    const member = typeof m === 'string' ? m : element(m, `zset member ${j}`);
    const s = payload[i + 1];
    let score: number;
    if (typeof s === 'number' && s === s) score = s; // s === s: not NaN
    else if (s === NEGATIVE_ZERO) score = -0;
    else throw new Error(`zset score ${j} is ${describe(s)}, not a number`);
    // Strictly ascending by (score, member): the writer walks the set in order.
    if (j > 0 && !(prevScore < score || (prevScore === score && prevMember < member))) {
      throw new Error(`zset element ${j} is out of order (or a duplicate)`);
    }
    members[j] = member;
    scores[j] = score;
    prevScore = score;
    prevMember = member;
  }
  let zset: ZSetValue;
  try {
    zset = ZSetValue.fromSorted(members, scores);
  } catch {
    throw new Error('zset payload holds a member twice');
  }
  const limits: ZSetLimits = {
    maxListpackEntries: config.getNumber('zset-max-listpack-entries'),
    maxListpackValue: config.getNumber('zset-max-listpack-value'),
  };
  // As Redis after loading: listpack when the whole set fits (-0 scores become 0), else skiplist.
  zset.fitEncoding(limits);
  return zset;
}

// ---------------------------------------------------------------- sizes and helpers

/** Rough count of elements, so a writer can account for work (1 for strings). */
export function valueSize(v: Value): number {
  if (typeof v === 'string' || v instanceof RawString) return 1;
  if (v instanceof ListValue) return v.length;
  if (v instanceof HashValue || v instanceof SetValue || v instanceof ZSetValue) return v.size;
  return 1;
}

/** A Buffer over the same bytes (no copy): msgpackr gives Buffers, a plain Uint8Array is possible. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function latin1(bytes: Uint8Array): string {
  return asBuffer(bytes).toString('latin1');
}

/** A short description of an unexpected payload for error messages (never its whole content). */
function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return `an array of ${x.length}`;
  if (x instanceof Uint8Array) return `${x.length} bytes`;
  switch (typeof x) {
    case 'string': return x.length > 20 ? `the string '${x.slice(0, 20)}…'` : `the string '${x}'`;
    case 'number': return String(x);
    case 'object': return 'an object';
    default: return typeof x;
  }
}
