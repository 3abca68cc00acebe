import type { CollectionValue } from '../keyspace.js';
import { SCAN_EPOCH_MOD, type ScannableCollection } from './collection-scan.js';

/**
 * The hash type: fields and values are latin1 strings (bytes).
 *
 * Encodings as Redis 7.0 reports them: `listpack` until a hash holds more than
 * hash-max-listpack-entries fields or is given a field or value longer than
 * hash-max-listpack-value bytes, then `hashtable`, never back. Insertion order is kept in both
 * (HGETALL of a listpack answers in Redis's order; a hashtable's order is arbitrary anyway).
 *
 * Memory decides the representation, independently of the encoding reported: up to
 * ARRAY_MAX_FIELDS fields a listpack hash is one exact-size array [field, value, field, value,
 * ...] (like the listpack itself: linear search, in order), beyond that a Map. A `hashtable`
 * hash is always a Map (what cursor scans read).
 *
 * Measured on Node 20 (heapUsed after gc, 200k hashes stored through HSET, 16-byte keys,
 * 6-byte field names, 10-byte values; Redis 7.0.15's used_memory for the same in brackets):
 * 1 field 241 B per hash (122), 2 fields 312 (138), 4: 456 (186), 8: 743 (282), 16: 1320
 * (474), 17 fields, the first Map form: 2041 (474). The container alone: 128 B for 2 fields
 * against 232 B for a Map in the same wrapper, 224 B against 344 B for 8. Most of the rest is
 * the strings, 16 B of header each, rounded to 8 B, where a listpack packs a small entry in
 * 2 bytes plus its data. Linear search over 16 fields costs ≈ 30 ns, a Map lookup ≈ 10 ns.
 */

/** The two limits, as CONFIG names them. */
export interface HashLimits {
  /** hash-max-listpack-entries: more fields than this make a hashtable. */
  maxListpackEntries: number;
  /** hash-max-listpack-value: a field or value longer than this (bytes) makes a hashtable. */
  maxListpackValue: number;
}

/** Beyond this many fields the fields live in a Map (see the file comment). */
export const ARRAY_MAX_FIELDS = 16;

export class HashValue implements CollectionValue, ScannableCollection<string> {
  /** [field0, value0, field1, value1, ...] (exact size) while small; a Map beyond. */
  private data: string[] | Map<string, string>;
  private hashtable = false;
  /** Removals, modulo 2^30 (kept a small integer), from a random start: for cursor scans. */
  private deletions = Math.floor(Math.random() * SCAN_EPOCH_MOD);

  constructor(data: string[] | Map<string, string> = []) {
    this.data = data;
  }

  get type(): 'hash' { return 'hash'; }

  encoding(): 'listpack' | 'hashtable' { return this.hashtable ? 'hashtable' : 'listpack'; }

  /** COPY: same fields, order and encoding; strings are immutable and shared. */
  copy(): HashValue {
    const data = this.data;
    const dup = new HashValue(Array.isArray(data) ? data.slice() : new Map(data));
    dup.hashtable = this.hashtable;
    return dup;
  }

  get size(): number {
    const data = this.data;
    return Array.isArray(data) ? data.length >> 1 : data.size;
  }

  get(field: string): string | undefined {
    const data = this.data;
    if (!Array.isArray(data)) return data.get(field);
    const i = indexOf(data, field);
    return i < 0 ? undefined : data[i + 1];
  }

  has(field: string): boolean {
    const data = this.data;
    return Array.isArray(data) ? indexOf(data, field) >= 0 : data.has(field);
  }

  /**
   * Sets a field; true when it is new. A field or value beyond the listpack limits, or one
   * field too many, turns the hash into a hashtable (as Redis converts before or after adding).
   */
  set(field: string, value: string, limits: HashLimits): boolean {
    if (!this.hashtable && (field.length > limits.maxListpackValue || value.length > limits.maxListpackValue)) {
      this.toHashtable();
    }
    let added: boolean;
    const data = this.data;
    if (Array.isArray(data)) {
      const i = indexOf(data, field);
      if (i >= 0) {
        data[i + 1] = value;
        return false;
      }
      if (data.length < ARRAY_MAX_FIELDS * 2) {
        // concat gives an exact-size array (push would leave room for 16 more elements).
        this.data = data.concat(field, value);
      } else {
        this.toMap().set(field, value);
      }
      added = true;
    } else {
      const before = data.size;
      data.set(field, value);
      added = data.size !== before;
    }
    if (added && !this.hashtable && this.size > limits.maxListpackEntries) this.toHashtable();
    return added;
  }

  /** Removes a field; true when it existed. The caller deletes the key when size reaches 0. */
  delete(field: string): boolean {
    const data = this.data;
    if (Array.isArray(data)) {
      const i = indexOf(data, field);
      if (i < 0) return false;
      const n = data.length;
      for (let j = i + 2; j < n; j++) data[j - 2] = data[j]!;
      data.length = n - 2;
    } else if (!data.delete(field)) {
      return false;
    }
    this.deletions = (this.deletions + 1) % SCAN_EPOCH_MOD;
    return true;
  }

  /** Every field and value, in the hash's order. */
  forEach(visit: (field: string, value: string) => void): void {
    const data = this.data;
    if (Array.isArray(data)) {
      for (let i = 0; i < data.length; i += 2) visit(data[i]!, data[i + 1]!);
    } else {
      for (const [f, v] of data) visit(f, v);
    }
  }

  // ---------------------------------------------------------------- cursor scans

  /** The fields as a Map for scanCollection (a small hash moves to its Map form; the encoding stays). */
  get scanMap(): Map<string, string> {
    const data = this.data;
    return Array.isArray(data) ? this.toMap() : data;
  }

  get scanDeletions(): number { return this.deletions; }

  // ---------------------------------------------------------------- random fields

  /** A uniformly random field and its value; the hash is not empty. */
  randomEntry(): [string, string] {
    const data = this.data;
    if (Array.isArray(data)) {
      const i = randomIndex(data.length >> 1) * 2;
      return [data[i]!, data[i + 1]!];
    }
    const keys = sampler(this, data);
    const f = keys[randomIndex(keys.length)]!;
    return [f, data.get(f)!];
  }

  /**
   * `count` distinct random entries (count < size), each subset equally likely. Small hashes
   * and large counts: one pass of selection sampling (Knuth's algorithm S), in the hash's
   * order. A few from a large hash: random picks until `count` distinct ones, O(count).
   */
  randomDistinctEntries(count: number): [string, string][] {
    const out: [string, string][] = [];
    const size = this.size;
    const data = this.data;
    if (Array.isArray(data) || count * 3 > size) {
      let needed = count;
      let left = size;
      this.forEach((f, v) => {
        if (needed > 0 && Math.random() * left < needed) {
          out.push([f, v]);
          needed--;
        }
        left--;
      });
      return out;
    }
    const keys = sampler(this, data);
    const chosen = new Set<string>();
    while (chosen.size < count) {
      const f = keys[randomIndex(keys.length)]!;
      if (!chosen.has(f)) {
        chosen.add(f);
        out.push([f, data.get(f)!]);
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- conversions

  private toMap(): Map<string, string> {
    const data = this.data;
    if (!Array.isArray(data)) return data;
    const map = new Map<string, string>();
    for (let i = 0; i < data.length; i += 2) map.set(data[i]!, data[i + 1]!);
    this.data = map;
    return map;
  }

  private toHashtable(): void {
    this.toMap();
    this.hashtable = true;
  }
}

/** Position of `field` in a [field, value, ...] array, or -1. */
function indexOf(data: string[], field: string): number {
  for (let i = 0; i < data.length; i += 2) if (data[i] === field) return i;
  return -1;
}

function randomIndex(n: number): number {
  return Math.floor(Math.random() * n);
}

/**
 * Random access into a Map-form hash: an array of its fields, built once and kept (weakly,
 * beside the hash) while no field is removed. Fields added since are appended from a live
 * iterator (a Map adds at the end; the iterator is never run past the last entry, so it stays
 * live), so a hash that only grows or stays the same samples in O(1); a removal since the last
 * build means a rebuild, O(n), as walking the Map would cost anyway.
 */
interface Sampler {
  map: Map<string, string>;
  keys: string[];
  it: MapIterator<string>;
  deletions: number;
}

const samplers = new WeakMap<HashValue, Sampler>();

function sampler(hash: HashValue, map: Map<string, string>): string[] {
  let s = samplers.get(hash);
  if (s === undefined || s.map !== map || s.deletions !== hash.scanDeletions) {
    s = { map, keys: [], it: map.keys(), deletions: hash.scanDeletions };
    samplers.set(hash, s);
  }
  const keys = s.keys;
  while (keys.length < map.size) keys.push(s.it.next().value!);
  return keys;
}
