import type { CollectionValue } from '../keyspace.js';

/**
 * The list type: a deque of chunks, as Redis's quicklist is a linked list of listpacks.
 *
 *   ring of chunks (power-of-two array, `first` = head chunk):
 *     [ . . C0 C1 C2 . . . ]          C = chunk: a ring buffer of up to CHUNK_SIZE elements
 *           |
 *           v
 *     C0.buf [ e2 e3 . . . . e0 e1 ]  head = 6, size = 4: logical order e0 e1 e2 e3
 *
 * Both levels are rings, so pushing and popping at either end is O(1) (a new chunk is started
 * when the end chunk is full; an empty end chunk is dropped) and an index near either end is
 * found in O(1). An index in the middle costs a walk over the chunk sizes from the nearer end,
 * O(n / CHUNK_SIZE), then O(1) within the chunk; inserting or removing there shifts the
 * shorter side of one chunk, O(CHUNK_SIZE), splitting a full chunk in two or merging a small
 * one into a neighbour so the chunk count stays O(n / CHUNK_SIZE). A plain JS array would make
 * LPUSH/LPOP O(n) (shift/unshift move every element).
 *
 * Elements are latin1 JS strings (one char per byte), shared, never copied: V8 strings are
 * immutable, so COPY's copy() only copies the chunk arrays.
 *
 * Measured here (2 cores, Node 20, through this API, 10-byte elements made as the RESP parser
 * makes them): 10M pushTail 0.55 s, then 10M popHead 0.055 s (pushHead/popTail alike); on a
 * 10M list, index 0 or -1 in ~20-40 ns, the middle in ~12-15 µs (Redis 7.0.15: ~18 µs for
 * LINDEX of the middle of 10M); 40 B per element for 1M elements (the 8-byte slot plus V8's
 * 32-byte string; Redis's listpacks: 12 B), and ~250 B of structure for a 3-element list.
 * CHUNK_SIZE 1024 came out best of 256/512/1024 for the middle without slowing the ends.
 */

/** Elements per chunk at most; a power of two (chunks index with a mask). */
export const CHUNK_SIZE = 1024;
/** A list's first chunk starts this small and doubles, so short lists stay small. */
const SMALL_CAPACITY = 4;
/**
 * Later end chunks start here and double too: a list just past one chunk does not pay for a
 * whole second one, and the doubling copies cost about one move per element.
 */
const NEXT_CAPACITY = 64;
/** A chunk left with fewer elements by a removal in the middle is merged into a neighbour. */
const MERGE_BELOW = CHUNK_SIZE / 4;

/** A ring buffer of at most CHUNK_SIZE elements; its capacity is a power of two. */
class Chunk {
  buf: (string | undefined)[];
  head = 0;
  size = 0;

  constructor(capacity: number) {
    this.buf = new Array<string | undefined>(capacity).fill(undefined);
  }

  at(i: number): string {
    return this.buf[(this.head + i) & (this.buf.length - 1)]!;
  }

  put(i: number, v: string | undefined): void {
    this.buf[(this.head + i) & (this.buf.length - 1)] = v;
  }

  /** Makes room for `n` elements (doubling the capacity as needed, never beyond CHUNK_SIZE). */
  reserve(n: number): void {
    let cap = this.buf.length;
    if (cap >= n) return;
    while (cap < n) cap *= 2;
    this.resize(cap);
  }

  resize(capacity: number): void {
    const next = new Array<string | undefined>(capacity).fill(undefined);
    for (let i = 0; i < this.size; i++) next[i] = this.at(i);
    this.buf = next;
    this.head = 0;
  }

  pushTail(v: string): void {
    this.buf[(this.head + this.size) & (this.buf.length - 1)] = v;
    this.size++;
  }

  pushHead(v: string): void {
    this.head = (this.head - 1) & (this.buf.length - 1);
    this.buf[this.head] = v;
    this.size++;
  }

  popHead(): string {
    const v = this.buf[this.head]!;
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & (this.buf.length - 1);
    this.size--;
    return v;
  }

  popTail(): string {
    const i = (this.head + this.size - 1) & (this.buf.length - 1);
    const v = this.buf[i]!;
    this.buf[i] = undefined;
    this.size--;
    return v;
  }

  /** Inserts before position i (0..size); there must be room. Shifts the shorter side. */
  insert(i: number, v: string): void {
    if (i < this.size >>> 1) {
      this.head = (this.head - 1) & (this.buf.length - 1);
      for (let j = 0; j < i; j++) this.put(j, this.at(j + 1));
    } else {
      for (let j = this.size; j > i; j--) this.put(j, this.at(j - 1));
    }
    this.put(i, v);
    this.size++;
  }

  /** Removes position i, shifting the shorter side. */
  removeAt(i: number): string {
    const v = this.at(i);
    if (i < this.size >>> 1) {
      for (let j = i; j > 0; j--) this.put(j, this.at(j - 1));
      this.put(0, undefined);
      this.head = (this.head + 1) & (this.buf.length - 1);
    } else {
      for (let j = i; j < this.size - 1; j++) this.put(j, this.at(j + 1));
      this.put(this.size - 1, undefined);
    }
    this.size--;
    return v;
  }

  /** Keeps the first n elements. */
  truncate(n: number): void {
    for (let j = n; j < this.size; j++) this.put(j, undefined);
    this.size = n;
  }

  copy(): Chunk {
    const c = new Chunk(this.buf.length);
    for (let i = 0; i < this.size; i++) c.buf[i] = this.at(i);
    c.size = this.size;
    return c;
  }
}

/**
 * Where locate() found an index: the chunk (counted from the head chunk) and the position in
 * it. Module state rather than fields: one command runs at a time, and every list saves 16 bytes.
 */
let foundChunk = 0;
let foundOffset = 0;

export class ListValue implements CollectionValue {
  /** Ring of chunks; `first` is the head chunk's slot, `chunks` how many are in use. */
  private ring: (Chunk | undefined)[] = [undefined];
  private first = 0;
  private chunks = 0;
  private count = 0;

  /** A prototype getter, not a field: no per-list slot. */
  get type(): 'list' { return 'list'; }

  static from(values: Iterable<string>): ListValue {
    const list = new ListValue();
    for (const v of values) list.pushTail(v);
    return list;
  }

  get length(): number { return this.count; }

  /** Redis 7.0 always reports quicklist for lists (listpack-encoded lists arrived in 7.2). */
  encoding(): string { return 'quicklist'; }

  copy(): ListValue {
    const list = new ListValue();
    for (let k = 0; k < this.chunks; k++) list.ringPushTail(this.chunkAt(k).copy());
    list.count = this.count;
    return list;
  }

  // ---------------------------------------------------------------- ends

  pushTail(v: string): void {
    let c = this.chunks === 0 ? undefined : this.chunkAt(this.chunks - 1);
    if (c === undefined || c.size === CHUNK_SIZE) {
      c = new Chunk(this.chunks === 0 ? SMALL_CAPACITY : NEXT_CAPACITY);
      this.ringPushTail(c);
    } else if (c.size === c.buf.length) {
      c.resize(c.buf.length * 2);
    }
    c.pushTail(v);
    this.count++;
  }

  pushHead(v: string): void {
    let c = this.chunks === 0 ? undefined : this.chunkAt(0);
    if (c === undefined || c.size === CHUNK_SIZE) {
      c = new Chunk(this.chunks === 0 ? SMALL_CAPACITY : NEXT_CAPACITY);
      this.ringPushHead(c);
    } else if (c.size === c.buf.length) {
      c.resize(c.buf.length * 2);
    }
    c.pushHead(v);
    this.count++;
  }

  popHead(): string | undefined {
    if (this.count === 0) return undefined;
    const c = this.chunkAt(0);
    const v = c.popHead();
    this.count--;
    if (c.size === 0) this.ringPopHead();
    else if (this.chunks === 1) this.shrinkSole(c);
    return v;
  }

  popTail(): string | undefined {
    if (this.count === 0) return undefined;
    const c = this.chunkAt(this.chunks - 1);
    const v = c.popTail();
    this.count--;
    if (c.size === 0) this.ringPopTail();
    else if (this.chunks === 1) this.shrinkSole(c);
    return v;
  }

  // ---------------------------------------------------------------- by index

  /** The element at index (0 <= index < length), else undefined. */
  at(index: number): string | undefined {
    if (!(index >= 0 && index < this.count)) return undefined;
    return this.locate(index).at(foundOffset);
  }

  /** Replaces the element at index; false when the index is out of range. */
  set(index: number, v: string): boolean {
    if (!(index >= 0 && index < this.count)) return false;
    this.locate(index).put(foundOffset, v);
    return true;
  }

  /** Inserts v before the element at index (index = length appends). */
  insert(index: number, v: string): void {
    if (index <= 0) return this.pushHead(v);
    if (index >= this.count) return this.pushTail(v);
    const c = this.locate(index);
    const k = foundChunk;
    const off = foundOffset;
    this.count++;
    if (c.size < CHUNK_SIZE) {
      c.reserve(c.size + 1);
      c.insert(off, v);
      return;
    }
    if (off === 0) {
      // Before a full chunk's first element: the end of the previous chunk is the same place.
      const prev = this.chunkAt(k - 1); // k > 0: index 0 was handled above
      if (prev.size < CHUNK_SIZE) {
        prev.reserve(prev.size + 1);
        prev.pushTail(v);
        return;
      }
    }
    // Split the full chunk: its upper half moves to a new chunk after it.
    const half = CHUNK_SIZE >>> 1;
    const upper = new Chunk(CHUNK_SIZE);
    for (let j = half; j < c.size; j++) upper.pushTail(c.at(j));
    c.truncate(half);
    this.ringInsert(k + 1, upper);
    if (off <= half) c.insert(off, v);
    else upper.insert(off - half, v);
  }

  /** Removes and returns the element at index (0 <= index < length). */
  removeAt(index: number): string {
    const c = this.locate(index);
    const k = foundChunk;
    const v = c.removeAt(foundOffset);
    this.count--;
    if (c.size === 0) this.ringRemove(k);
    else if (c.size < MERGE_BELOW) this.mergeSmall(k);
    return v;
  }

  // ---------------------------------------------------------------- ranges and scans

  /** Calls fn for each element of [start, end] (0 <= start <= end < length), in order. */
  forEachInRange(start: number, end: number, fn: (v: string) => void): void {
    let c = this.locate(start);
    let k = foundChunk;
    let off = foundOffset;
    for (let left = end - start + 1; left > 0;) {
      const n = Math.min(left, c.size - off);
      for (let j = off; j < off + n; j++) fn(c.at(j));
      left -= n;
      if (left === 0) break;
      c = this.chunkAt(++k);
      off = 0;
    }
  }

  /**
   * Visits elements from the head (or from the tail when `fromTail`) with their index, while fn
   * returns true.
   */
  scan(fromTail: boolean, fn: (v: string, index: number) => boolean): void {
    if (!fromTail) {
      let index = 0;
      for (let k = 0; k < this.chunks; k++) {
        const c = this.chunkAt(k);
        for (let j = 0; j < c.size; j++) if (!fn(c.at(j), index++)) return;
      }
    } else {
      let index = this.count - 1;
      for (let k = this.chunks - 1; k >= 0; k--) {
        const c = this.chunkAt(k);
        for (let j = c.size - 1; j >= 0; j--) if (!fn(c.at(j), index--)) return;
      }
    }
  }

  /** Index of the first element equal to v from the head, or -1. */
  indexOf(v: string): number {
    let found = -1;
    this.scan(false, (e, i) => {
      if (e !== v) return true;
      found = i;
      return false;
    });
    return found;
  }

  /**
   * Removes up to `limit` elements equal to v (Infinity: all), from the head or the tail
   * (LREM's count sign). Returns how many were removed. O(n).
   */
  removeValue(v: string, limit: number, fromTail: boolean): number {
    let removed = 0;
    if (!fromTail) {
      for (let k = 0; k < this.chunks && removed < limit; k++) {
        const c = this.chunkAt(k);
        let w = 0;
        for (let r = 0; r < c.size; r++) {
          const e = c.at(r);
          if (e === v && removed < limit) { removed++; continue; }
          if (w !== r) c.put(w, e);
          w++;
        }
        c.truncate(w);
      }
    } else {
      for (let k = this.chunks - 1; k >= 0 && removed < limit; k--) {
        const c = this.chunkAt(k);
        let w = c.size - 1;
        for (let r = c.size - 1; r >= 0; r--) {
          const e = c.at(r);
          if (e === v && removed < limit) { removed++; continue; }
          if (w !== r) c.put(w, e);
          w--;
        }
        // Kept elements are now at [w + 1, size): drop the front.
        for (let j = 0; j <= w; j++) c.put(j, undefined);
        c.head = (c.head + w + 1) & (c.buf.length - 1);
        c.size -= w + 1;
      }
    }
    if (removed !== 0) {
      this.count -= removed;
      this.compact();
    }
    return removed;
  }

  /** Keeps only [start, end] (0 <= start <= end < length): LTRIM. O(removed / CHUNK_SIZE + CHUNK_SIZE). */
  trim(start: number, end: number): void {
    this.removeHead(start);
    this.removeTail(this.count - (end - start + 1));
  }

  /** Removes the first n elements (n <= length): whole chunks are dropped, not emptied. */
  removeHead(n: number): void {
    this.count -= n;
    while (n > 0) {
      const c = this.chunkAt(0);
      if (c.size <= n) {
        n -= c.size;
        this.ringPopHead();
      } else {
        for (; n > 0; n--) c.popHead();
      }
    }
  }

  /** Removes the last n elements (n <= length). */
  removeTail(n: number): void {
    this.count -= n;
    while (n > 0) {
      const c = this.chunkAt(this.chunks - 1);
      if (c.size <= n) {
        n -= c.size;
        this.ringPopTail();
      } else {
        for (; n > 0; n--) c.popTail();
      }
    }
  }

  toArray(): string[] {
    const out: string[] = [];
    this.scan(false, (v) => { out.push(v); return true; });
    return out;
  }

  /** Chunk sizes from head to tail (tests check the structure's invariants with it). */
  chunkSizes(): number[] {
    const out: number[] = [];
    for (let k = 0; k < this.chunks; k++) out.push(this.chunkAt(k).size);
    return out;
  }

  // ---------------------------------------------------------------- internals

  private chunkAt(k: number): Chunk {
    return this.ring[(this.first + k) & (this.ring.length - 1)]!;
  }

  /** Finds the chunk holding index (0 <= index < length) walking from the nearer end. */
  private locate(index: number): Chunk {
    if (index < this.count - index) {
      let i = index;
      for (let k = 0; ; k++) {
        const c = this.chunkAt(k);
        if (i < c.size) {
          foundChunk = k;
          foundOffset = i;
          return c;
        }
        i -= c.size;
      }
    }
    let i = this.count - 1 - index; // distance from the tail
    for (let k = this.chunks - 1; ; k--) {
      const c = this.chunkAt(k);
      if (i < c.size) {
        foundChunk = k;
        foundOffset = c.size - 1 - i;
        return c;
      }
      i -= c.size;
    }
  }

  /** A list's only chunk gives memory back as it empties (a long list drained to a short one). */
  private shrinkSole(c: Chunk): void {
    const cap = c.buf.length;
    if (cap > SMALL_CAPACITY && c.size <= cap >>> 2) c.resize(cap >>> 1);
  }

  /** Merges the small chunk k into a neighbour when they fit in one chunk together. */
  private mergeSmall(k: number): void {
    const c = this.chunkAt(k);
    if (k > 0) {
      const prev = this.chunkAt(k - 1);
      if (prev.size + c.size <= CHUNK_SIZE) {
        prev.reserve(prev.size + c.size);
        for (let j = 0; j < c.size; j++) prev.pushTail(c.at(j));
        this.ringRemove(k);
        return;
      }
    }
    if (k + 1 < this.chunks) {
      const next = this.chunkAt(k + 1);
      if (next.size + c.size <= CHUNK_SIZE) {
        next.reserve(next.size + c.size);
        for (let j = c.size - 1; j >= 0; j--) next.pushHead(c.at(j));
        this.ringRemove(k);
      }
    }
  }

  /** After bulk removals: drops empty chunks and merges small neighbours. O(chunks + moved). */
  private compact(): void {
    const kept: Chunk[] = [];
    for (let k = 0; k < this.chunks; k++) {
      const c = this.chunkAt(k);
      if (c.size === 0) continue;
      const last = kept[kept.length - 1];
      if (last !== undefined && last.size + c.size <= CHUNK_SIZE && (last.size < MERGE_BELOW || c.size < MERGE_BELOW)) {
        last.reserve(last.size + c.size);
        for (let j = 0; j < c.size; j++) last.pushTail(c.at(j));
        continue;
      }
      kept.push(c);
    }
    let cap = 1;
    while (cap < kept.length) cap *= 2;
    this.ring = new Array<Chunk | undefined>(cap).fill(undefined);
    for (let k = 0; k < kept.length; k++) this.ring[k] = kept[k];
    this.first = 0;
    this.chunks = kept.length;
  }

  private growRing(): void {
    const next = new Array<Chunk | undefined>(this.ring.length * 2).fill(undefined);
    for (let k = 0; k < this.chunks; k++) next[k] = this.chunkAt(k);
    this.ring = next;
    this.first = 0;
  }

  /** Halves the ring when a shrinking list leaves it three quarters empty. */
  private maybeShrinkRing(): void {
    const len = this.ring.length;
    if (len <= 16 || this.chunks > len >>> 2) return;
    const next = new Array<Chunk | undefined>(len >>> 1).fill(undefined);
    for (let k = 0; k < this.chunks; k++) next[k] = this.chunkAt(k);
    this.ring = next;
    this.first = 0;
  }

  private ringPushTail(c: Chunk): void {
    if (this.chunks === this.ring.length) this.growRing();
    this.ring[(this.first + this.chunks) & (this.ring.length - 1)] = c;
    this.chunks++;
  }

  private ringPushHead(c: Chunk): void {
    if (this.chunks === this.ring.length) this.growRing();
    this.first = (this.first - 1) & (this.ring.length - 1);
    this.ring[this.first] = c;
    this.chunks++;
  }

  private ringPopHead(): void {
    this.ring[this.first] = undefined;
    this.first = (this.first + 1) & (this.ring.length - 1);
    this.chunks--;
    this.maybeShrinkRing();
  }

  private ringPopTail(): void {
    this.ring[(this.first + this.chunks - 1) & (this.ring.length - 1)] = undefined;
    this.chunks--;
    this.maybeShrinkRing();
  }

  private setChunk(k: number, c: Chunk | undefined): void {
    this.ring[(this.first + k) & (this.ring.length - 1)] = c;
  }

  /** Inserts a chunk at position k, shifting the later ones. O(chunks). */
  private ringInsert(k: number, c: Chunk): void {
    if (this.chunks === this.ring.length) this.growRing();
    for (let j = this.chunks; j > k; j--) this.setChunk(j, this.chunkAt(j - 1));
    this.setChunk(k, c);
    this.chunks++;
  }

  /** Removes the chunk at position k, shifting the later ones. O(chunks). */
  private ringRemove(k: number): void {
    for (let j = k; j < this.chunks - 1; j++) this.setChunk(j, this.chunkAt(j + 1));
    this.setChunk(this.chunks - 1, undefined);
    this.chunks--;
    this.maybeShrinkRing();
  }
}
