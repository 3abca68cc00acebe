import { RawString, type StringValue } from './types/string.js';
import type { KeyTypeName } from './spec.js';

/**
 * The keyspace of one logical database.
 *
 * Keys are latin1 strings (binary safe). V8's Map throws at 2^24 entries (and much earlier
 * under delete/insert churn), so keys are spread over SHARD_COUNT Maps by a seeded FNV-1a
 * hash; each shard also has its own expiry Map (key → absolute ms), as Redis keeps a
 * separate `expires` dict. With 64 shards a database holds ~500M keys before any shard nears
 * V8's limit, far beyond what the heap allows.
 */

/** A value of a non-string type: lists, sets, hashes, sorted sets (later issues). */
export interface CollectionValue {
  readonly type: Exclude<KeyTypeName, 'string'>;
  /** OBJECT ENCODING's answer, as Redis names it (listpack, quicklist, intset, ...). */
  encoding(): string;
}

export type Value = StringValue | CollectionValue;

export function typeOf(v: Value): KeyTypeName {
  if (typeof v === 'string' || v instanceof RawString) return 'string';
  return v.type;
}

export const SHARD_COUNT = 64;
const SHARD_MASK = SHARD_COUNT - 1;

/** Per-process random seed so an attacker cannot aim all keys at one shard. */
const SEED = (Math.random() * 0x7fffffff) | 0;

export function shardIndex(key: string): number {
  // FNV-1a over the latin1 chars; Math.imul keeps it in int32 arithmetic (no float work).
  let h = 0x811c9dc5 ^ SEED;
  for (let i = 0; i < key.length; i++) {
    h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  }
  return (h ^ (h >>> 15)) & SHARD_MASK;
}

export interface Shard {
  readonly data: Map<string, Value>;
  readonly expires: Map<string, number>;
}

/** What the database needs from its engine: the command's cached time and expiry hooks. */
export interface KeyspaceHost {
  /** Milliseconds, fixed for the duration of one command (as Redis caches mstime). */
  readonly time: number;
  /** Called when a key is found expired and removed (stats, notifications). */
  onExpired(db: Database, key: string): void;
  /** Called whenever a key's value or existence changes (WATCH, notifications later). */
  onKeyModified(db: Database, key: string): void;
}

export class Database {
  readonly shards: Shard[] = [];

  constructor(readonly index: number, readonly host: KeyspaceHost) {
    for (let i = 0; i < SHARD_COUNT; i++) this.shards.push({ data: new Map(), expires: new Map() });
  }

  /** Looks a key up, removing it first when its time has passed (lazy expiry). */
  lookup(key: string): Value | undefined {
    const shard = this.shards[shardIndex(key)]!;
    const v = shard.data.get(key);
    if (v === undefined) return undefined;
    if (shard.expires.size !== 0) {
      const at = shard.expires.get(key);
      if (at !== undefined && at <= this.host.time) {
        shard.data.delete(key);
        shard.expires.delete(key);
        this.host.onExpired(this, key);
        return undefined;
      }
    }
    return v;
  }

  has(key: string): boolean { return this.lookup(key) !== undefined; }

  /**
   * Stores a value. Like Redis's setKey, an existing TTL is removed unless `keepTtl`.
   * The caller has already looked the key up (so an expired key is gone).
   */
  set(key: string, value: Value, keepTtl = false): void {
    const shard = this.shards[shardIndex(key)]!;
    shard.data.set(key, value);
    if (!keepTtl && shard.expires.size !== 0) shard.expires.delete(key);
    this.host.onKeyModified(this, key);
  }

  /** Removes a key; true when it existed (and had not expired). */
  delete(key: string): boolean {
    if (this.lookup(key) === undefined) return false;
    const shard = this.shards[shardIndex(key)]!;
    shard.data.delete(key);
    if (shard.expires.size !== 0) shard.expires.delete(key);
    this.host.onKeyModified(this, key);
    return true;
  }

  /** Absolute expiry in ms, or undefined when the key has none (or does not exist). */
  getExpire(key: string): number | undefined {
    const shard = this.shards[shardIndex(key)]!;
    return shard.expires.size === 0 ? undefined : shard.expires.get(key);
  }

  /** Sets an absolute expiry on an existing key. */
  setExpire(key: string, atMs: number): void {
    this.shards[shardIndex(key)]!.expires.set(key, atMs);
    this.host.onKeyModified(this, key);
  }

  /** Removes a key's expiry; true when it had one. */
  persist(key: string): boolean {
    const removed = this.shards[shardIndex(key)]!.expires.delete(key);
    if (removed) this.host.onKeyModified(this, key);
    return removed;
  }

  /** Number of keys, counting ones that have expired but not yet been removed (as DBSIZE does). */
  get size(): number {
    let n = 0;
    for (const s of this.shards) n += s.data.size;
    return n;
  }

  get expiresCount(): number {
    let n = 0;
    for (const s of this.shards) n += s.expires.size;
    return n;
  }

  /** Removes every key. */
  clear(): void {
    for (const s of this.shards) { s.data.clear(); s.expires.clear(); }
  }

  /** Exchanges contents with another database (SWAPDB). */
  swapWith(other: Database): void {
    for (let i = 0; i < SHARD_COUNT; i++) {
      const mine = this.shards[i]!;
      this.shards[i] = other.shards[i]!;
      other.shards[i] = mine;
    }
  }
}
