import { parseInt64 } from '../args.js';
import type { CollectionValue } from '../keyspace.js';
import { SCAN_EPOCH_MOD, scanCollection } from './collection-scan.js';

/**
 * The set type (Redis's `setType*` API): members are latin1 strings, in one of Redis 7.0's two
 * encodings, which OBJECT ENCODING reports and which decide reply order.
 *
 * `intset`: while every member is an integer as Redis's string2ll accepts it (canonical: no
 * '+', no leading zeros, int64 range) and there are at most set-max-intset-entries of them, the
 * members are a sorted typed array, as Redis's intset is a sorted array of int16/int32/int64.
 * The width only ever grows, as Redis's encoding upgrade: Int16Array, Int32Array, Float64Array
 * (integers within the JS safe range, exact in a double), BigInt64Array (the rest of int64).
 * Members come back ascending, as from Redis. Lookups are binary searches; inserts and removals
 * move the tail (O(n), bounded by the entry limit, as in Redis).
 *
 * `hashtable`: a dense array of members plus a Map from member to its position in the array.
 * The array gives SPOP and SRANDMEMBER O(1) random picks; removal swaps the last member into
 * the hole, so it stays O(1) and only the moved member's position is updated in place (a Map
 * update does not move an entry, so iteration order, which SSCAN relies on, is insertion order).
 * A set converts to `hashtable` when a non-integer arrives or the limit is passed, never back.
 * Members that are canonical integers within the JS safe range are kept as numbers (a Smi costs
 * nothing beyond its slot, a string 24 bytes and more). Measured on 1M-member sets (heap growth
 * after SADD; Redis 7.0.15's used_memory in brackets): 40 B per integer member within ±2^31,
 * 56 B beyond (a heap number each), 63 B when they were strings [53 B]; 72 B per 15-byte
 * string member [72 B]; an intset its width plus growth slack: 4.3 B at 1M int32 members [4 B].
 *
 * V8's Map refuses inserts at 2^24 entries, and much earlier under delete/insert churn
 * (RELIABILITY.md): a set stops at MAX_SET_MEMBERS, below where churn was measured safe, and an
 * insert past it throws SetTooLargeError (commands check first or catch it) instead of a
 * RangeError. Redis's sets go to 2^32 - 1 members; a sharded index would lift this limit.
 */

export const MAX_SET_MEMBERS = 2 ** 23;

/** An insert that would take a set past MAX_SET_MEMBERS. The members are left unchanged. */
export class SetTooLargeError extends Error {
  constructor() { super(`set would exceed ${MAX_SET_MEMBERS} members`); }
}

type NumberArray = Int16Array | Int32Array | Float64Array;
type IntArray = NumberArray | BigInt64Array;

const INT16_MIN = -0x8000;
const INT16_MAX = 0x7fff;
const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;

/** A hashtable key: the member, or its value when it is a canonical safe integer. */
type Key = string | number;

function keyOf(member: string): Key {
  const c = member.charCodeAt(0);
  // Only a digit or '-' can start an integer: other members skip the parse.
  if (!((c >= 48 && c <= 57) || c === 45)) return member;
  const v = parseInt64(member);
  return typeof v === 'number' ? v : member;
}

function memberOf(key: Key): string {
  return typeof key === 'number' ? String(key) : key;
}

/** Width ranks: the typed array an intset needs for a value (only ever increases). */
const I16 = 0;
const I32 = 1;
const F64 = 2;
const I64 = 3;

function widthOf(v: number | bigint): number {
  if (typeof v === 'bigint') return I64;
  if (v >= INT16_MIN && v <= INT16_MAX) return I16;
  if (v >= INT32_MIN && v <= INT32_MAX) return I32;
  return F64;
}

function allocate(width: number, capacity: number): IntArray {
  switch (width) {
    case I16: return new Int16Array(capacity);
    case I32: return new Int32Array(capacity);
    case F64: return new Float64Array(capacity);
    default: return new BigInt64Array(capacity);
  }
}

/** Binary search over the first `n` entries: the index of `v`, or -(insertion point) - 1. */
function search<T extends number | bigint>(a: ArrayLike<T>, n: number, v: T): number {
  let lo = 0;
  let hi = n - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const m = a[mid]!;
    if (m < v) lo = mid + 1;
    else if (m > v) hi = mid - 1;
    else return mid;
  }
  return -lo - 1;
}

const EMPTY_INTS = new Int16Array(0);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export class SetValue implements CollectionValue {
  /** intset storage: the first `count` entries, ascending. Unused once `index` is set. */
  private ints: IntArray = EMPTY_INTS;
  private width = I16;
  private count = 0;
  /** hashtable storage: members in a dense array, and member → position in it. */
  private list: Key[] | undefined;
  private index: Map<Key, number> | undefined;
  /**
   * Members ever removed from `index`, from a random start, modulo SCAN_EPOCH_MOD: SSCAN's
   * resume-by-position bound (collection-scan.ts).
   */
  private scanDeletions = 0;

  get type(): 'set' { return 'set'; }

  encoding(): 'intset' | 'hashtable' { return this.index === undefined ? 'intset' : 'hashtable'; }

  get size(): number { return this.list === undefined ? this.count : this.list.length; }

  /**
   * SSCAN over the hashtable encoding (collection-scan.ts): about `count` members from
   * `cursor`, and the next cursor (0n at the end). An intset has no cursor: use members().
   */
  scan(cursor: bigint, count: number): { next: bigint; members: string[] } {
    if (this.index === undefined) throw new Error('scan of an intset');
    // scanCollection only walks the Map; its keys are ours to convert back to members.
    const r = scanCollection({ scanMap: this.index as Map<never, number>, scanDeletions: this.scanDeletions }, cursor, count);
    return { next: r.next, members: r.entries.map((e) => memberOf(e[0] as Key)) };
  }

  has(member: string): boolean {
    if (this.index !== undefined) return this.index.has(keyOf(member));
    return this.count !== 0 && this.findInt(member) >= 0;
  }

  /**
   * Adds a member; false when it was already there. `maxIntsetEntries` is the current
   * set-max-intset-entries: the intset converts when it would hold more (as Redis checks after
   * each insert). Throws SetTooLargeError at MAX_SET_MEMBERS, leaving the members unchanged.
   */
  add(member: string, maxIntsetEntries: number): boolean {
    if (this.index === undefined) {
      const v = parseInt64(member);
      if (v !== undefined) {
        const pos = this.count === 0 ? -1 : this.search(v);
        if (pos >= 0) return false;
        if (this.count + 1 <= maxIntsetEntries) {
          this.insertInt(-pos - 1, v);
          return true;
        }
      }
      this.convert();
    }
    const index = this.index!;
    const key = keyOf(member);
    if (index.has(key)) return false;
    const list = this.list!;
    if (list.length >= MAX_SET_MEMBERS) throw new SetTooLargeError();
    index.set(key, list.length);
    list.push(key);
    return true;
  }

  /** Removes a member; false when it was not there. */
  delete(member: string): boolean {
    if (this.index === undefined) {
      if (this.count === 0) return false;
      const pos = this.findInt(member);
      if (pos < 0) return false;
      this.removeIntAt(pos);
      return true;
    }
    const at = this.index.get(keyOf(member));
    if (at === undefined) return false;
    this.removeListAt(at);
    return true;
  }

  /** Every member: ascending for an intset, in no particular order for a hashtable. */
  members(): string[] {
    if (this.list !== undefined) return this.list.map(memberOf);
    const out = new Array<string>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = String(this.ints[i]!);
    return out;
  }

  /**
   * Calls `fn` for each member, in members() order, without building an array; stops when
   * `fn` returns false. The set must not change meanwhile.
   */
  forEach(fn: (member: string) => boolean | void): void {
    if (this.list !== undefined) {
      const list = this.list;
      for (let i = 0; i < list.length; i++) if (fn(memberOf(list[i]!)) === false) return;
      return;
    }
    for (let i = 0; i < this.count; i++) if (fn(String(this.ints[i]!)) === false) return;
  }

  /** A uniformly random member (the set is not empty). */
  randomMember(): string {
    return this.memberAt(randomBelow(this.size));
  }

  /** Removes and returns a uniformly random member (the set is not empty). O(1) for a hashtable. */
  popRandom(): string {
    const i = randomBelow(this.size);
    if (this.list !== undefined) {
      const m = memberOf(this.list[i]!);
      this.removeListAt(i);
      return m;
    }
    const m = String(this.ints[i]!);
    this.removeIntAt(i);
    return m;
  }

  /**
   * Removes and returns `count` distinct random members (0 < count < size), O(count) for a
   * hashtable; an intset is compacted once, O(size), instead of moving its tail per member.
   */
  popRandomMany(count: number): string[] {
    if (this.list !== undefined) {
      const out = new Array<string>(count);
      for (let k = 0; k < count; k++) out[k] = this.popRandom();
      return out;
    }
    const picked = sampleIndices(this.count, count);
    const out: string[] = [];
    const drop = new Uint8Array(this.count);
    for (const i of picked) {
      drop[i] = 1;
      out.push(String(this.ints[i]!));
    }
    const a = this.ints;
    let w = 0;
    for (let r = 0; r < this.count; r++) {
      if (drop[r] === 0) (a as Float64Array)[w++] = (a as Float64Array)[r]!;
    }
    this.count = w;
    this.shrinkInts();
    return out;
  }

  /** `count` distinct random members (0 < count < size), in no particular order. O(count). */
  randomDistinct(count: number): string[] {
    const out: string[] = [];
    for (const i of sampleIndices(this.size, count)) out.push(this.memberAt(i));
    return out;
  }

  /** An independent copy (COPY), in the same encoding. */
  copy(): SetValue {
    const c = new SetValue();
    if (this.list !== undefined) {
      c.list = this.list.slice();
      c.index = new Map(this.index);
      c.scanDeletions = randomBelow(SCAN_EPOCH_MOD);
    } else {
      c.ints = this.ints.slice(0, Math.max(this.count, 4));
      c.width = this.width;
      c.count = this.count;
    }
    return c;
  }

  // ---------------------------------------------------------------- internals

  private memberAt(i: number): string {
    return this.list !== undefined ? memberOf(this.list[i]!) : String(this.ints[i]!);
  }

  /** The intset position of a member string, or negative when absent (or not an integer). */
  private findInt(member: string): number {
    const v = parseInt64(member);
    return v === undefined ? -1 : this.search(v);
  }

  private search(v: number | bigint): number {
    if (this.width === I64) return search(this.ints as BigInt64Array, this.count, BigInt(v));
    // A bigint (beyond the safe range) needs the I64 width, so it is not in a narrower array;
    // it goes before every member when negative, after them all when positive.
    if (typeof v === 'bigint') return v < 0n ? -1 : -this.count - 1;
    return search(this.ints as NumberArray, this.count, v);
  }

  private insertInt(pos: number, v: number | bigint): void {
    const needed = widthOf(v);
    const grow = this.count === this.ints.length;
    if (needed > this.width || grow) {
      const width = Math.max(needed, this.width);
      const next = allocate(width, grow ? Math.max(4, this.count * 2) : this.ints.length);
      if (width === I64 && this.width !== I64) {
        const dst = next as BigInt64Array;
        for (let i = 0; i < this.count; i++) dst[i] = BigInt(this.ints[i]!);
      } else {
        (next as Float64Array).set(this.ints.subarray(0, this.count) as Float64Array);
      }
      this.ints = next;
      this.width = width;
    }
    const a = this.ints;
    a.copyWithin(pos + 1, pos, this.count);
    if (this.width === I64) (a as BigInt64Array)[pos] = BigInt(v);
    else (a as NumberArray)[pos] = v as number;
    this.count++;
  }

  private removeIntAt(pos: number): void {
    this.ints.copyWithin(pos, pos + 1, this.count);
    this.count--;
    this.shrinkInts();
  }

  /** Gives memory back when an intset is a quarter full (never below 4 slots). */
  private shrinkInts(): void {
    const cap = this.ints.length;
    if (cap > 8 && this.count * 4 <= cap) {
      const next = allocate(this.width, Math.max(4, this.count * 2));
      (next as Float64Array).set(this.ints.subarray(0, this.count) as Float64Array);
      this.ints = next;
    }
  }

  private removeListAt(at: number): void {
    const list = this.list!;
    const index = this.index!;
    const key = list[at]!;
    const last = list.pop()!;
    if (at < list.length) {
      list[at] = last;
      index.set(last, at);
    }
    index.delete(key);
    // Wraps at SCAN_EPOCH_MOD (a power of two), as collection-scan.ts allows: stays a small integer.
    this.scanDeletions = (this.scanDeletions + 1) & (SCAN_EPOCH_MOD - 1);
  }

  /** intset → hashtable, keeping the ascending order as the insertion order. */
  private convert(): void {
    const list: Key[] = [];
    for (let i = 0; i < this.count; i++) {
      const v = this.ints[i]!;
      // An int64 beyond the safe range stays a string key, as keyOf() makes it.
      list.push(typeof v === 'bigint' ? (v >= -MAX_SAFE && v <= MAX_SAFE ? Number(v) : v.toString()) : v);
    }
    const index = new Map<Key, number>();
    for (let i = 0; i < list.length; i++) index.set(list[i]!, i);
    this.list = list;
    this.index = index;
    this.scanDeletions = randomBelow(SCAN_EPOCH_MOD); // cursors of different sets differ
    this.ints = EMPTY_INTS;
    this.count = 0;
  }
}

function randomBelow(n: number): number {
  return Math.floor(Math.random() * n);
}

/**
 * `k` distinct uniform random indices below `n` (k <= n), by Floyd's algorithm: O(k) time and
 * space whatever n is, so SRANDMEMBER and SPOP never copy a big set to sample a few members.
 */
export function sampleIndices(n: number, k: number): Set<number> {
  const picked = new Set<number>();
  for (let j = n - k; j < n; j++) {
    const t = randomBelow(j + 1);
    picked.add(picked.has(t) ? j : t);
  }
  return picked;
}

// ---------------------------------------------------------------- set algebra (SINTER, SUNION, SDIFF)

/**
 * The inputs are sets or undefined (a missing key, an empty set). Like Redis, results that are
 * stored (and SUNION/SDIFF replies) are built as a new set that starts as an intset and
 * converts as members arrive, so the result's encoding and order are Redis's.
 */

/** Sets ordered by cardinality, smallest first (a missing one is empty and sorts first). */
function bySize(sets: readonly (SetValue | undefined)[]): (SetValue | undefined)[] {
  return sets.slice().sort((a, b) => (a?.size ?? 0) - (b?.size ?? 0));
}

/**
 * Calls `fn` for each member of the intersection, in the smallest set's order (ascending when it
 * is an intset); stops early when `fn` returns false.
 */
export function forEachInIntersection(sets: readonly (SetValue | undefined)[], fn: (member: string) => boolean | void): void {
  if (sets.length === 0 || sets.some((s) => s === undefined || s.size === 0)) return;
  const ordered = bySize(sets) as SetValue[];
  const first = ordered[0]!;
  first.forEach((m) => {
    for (let j = 1; j < ordered.length; j++) {
      const s = ordered[j]!;
      if (s !== first && !s.has(m)) return true;
    }
    return fn(m);
  });
}

/** SINTERCARD: the intersection's size, counting no further than `limit` (0: no limit). */
export function intersectionSize(sets: readonly (SetValue | undefined)[], limit: number): number {
  let n = 0;
  forEachInIntersection(sets, () => ++n !== limit);
  return n;
}

export function intersection(sets: readonly (SetValue | undefined)[], maxIntsetEntries: number): SetValue {
  const out = new SetValue();
  forEachInIntersection(sets, (m) => { out.add(m, maxIntsetEntries); });
  return out;
}

export function union(sets: readonly (SetValue | undefined)[], maxIntsetEntries: number): SetValue {
  const out = new SetValue();
  for (const s of sets) s?.forEach((m) => { out.add(m, maxIntsetEntries); });
  return out;
}

/**
 * The members of the first set that are in none of the others, by Redis's choice of method
 * (which decides the result's encoding when it passes through a larger intermediate set):
 * 1. for each member of the first set, look it up in the others: work ~ |first| × sets / 2;
 * 2. copy the first set and remove every member of the others: work ~ sum of the sizes.
 */
export function difference(sets: readonly (SetValue | undefined)[], maxIntsetEntries: number): SetValue {
  const out = new SetValue();
  const first = sets[0];
  if (first === undefined) return out;
  let workOne = 0;
  let workTwo = 0;
  for (const s of sets) {
    if (s === undefined) continue;
    workOne += first.size;
    workTwo += s.size;
  }
  if (Math.floor(workOne / 2) <= workTwo) {
    // Largest others first: a member is most likely found (and dropped) early.
    const others = sets.slice(1).filter((s): s is SetValue => s !== undefined).sort((a, b) => b.size - a.size);
    first.forEach((m) => {
      for (const s of others) if (s === first || s.has(m)) return;
      out.add(m, maxIntsetEntries);
    });
    return out;
  }
  first.forEach((m) => { out.add(m, maxIntsetEntries); });
  for (let j = 1; j < sets.length && out.size > 0; j++) sets[j]?.forEach((m) => { out.delete(m); });
  return out;
}
