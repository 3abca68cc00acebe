import { RawString, type StringValue } from './types/string.js';
import type { KeyTypeName } from './spec.js';
import type { Config } from './config.js';
import { NOTIFY_NEW } from './notify.js';

/**
 * The keyspace of one logical database.
 *
 * Keys are latin1 strings (binary safe). V8's Map throws at 2^24 entries (and much earlier
 * under delete/insert churn), so keys are spread over SHARD_COUNT Maps by a seeded FNV-1a
 * hash; each shard also has its own expiry Map (key → absolute ms), as Redis keeps a
 * separate `expires` dict. With 64 shards a database holds ~500M keys before any shard nears
 * V8's limit, far beyond what the heap allows (keyspace.big.test.ts stores 17M).
 *
 * Measured (bench/memory.js, 1M keys of 16 bytes, 10-byte values, through SET): 93 B/key,
 * against 104 B/key of used_memory in redis-server 7.0.15. Access tracking for LRU/LFU adds a
 * third Map per shard only when a maxmemory-policy needs it (see AccessTracking).
 *
 * Also here: RANDOMKEY's sampling, RENAME/MOVE's key transfer, and the per-shard deletion
 * count that lets SCAN cursors resume by position (scan.ts).
 */

/** A value of a non-string type: lists, sets, hashes, sorted sets (later issues). */
export interface CollectionValue {
  readonly type: Exclude<KeyTypeName, 'string'>;
  /** OBJECT ENCODING's answer, as Redis names it (listpack, quicklist, intset, ...). */
  encoding(): string;
  /**
   * COPY's hook: an independent deep copy (the two keys must never share mutable state).
   * Every collection type provides it; COPY answers an error for a value without one.
   */
  copy?(): CollectionValue;
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

/** The last key hashed and its shard: one command looks its key up several times (peek, set, expiry). */
let lastKey = '';
let lastShard = 0;

export function shardIndex(key: string): number {
  // A key seen again (the same string, or equal bytes: a pipeline of INCRs on one counter)
  // costs one comparison instead of a pass over its bytes.
  if (key === lastKey) return lastShard;
  // FNV-1a over the latin1 chars; Math.imul keeps it in int32 arithmetic (no float work).
  let h = 0x811c9dc5 ^ SEED;
  for (let i = 0; i < key.length; i++) {
    h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  }
  lastKey = key;
  lastShard = (h ^ (h >>> 15)) & SHARD_MASK;
  return lastShard;
}

export interface Shard {
  readonly data: Map<string, Value>;
  readonly expires: Map<string, number>;
  /**
   * Access stamps, kept only while access tracking is on (an LRU or LFU maxmemory-policy):
   * LRU: the access clock in seconds; LFU: (minutes & 0xffff) << 8 | log counter, as Redis
   * packs its 24-bit `lru` field. Both stay small integers (V8 Smis: no allocation).
   */
  readonly access: Map<string, number>;
  /**
   * Entries ever removed from `data` (from a random start). A SCAN cursor records it so a
   * cursor whose live iterator is gone can resume by position without skipping keys (scan.ts).
   * Every removal from `data` must go through removeEntry so this stays exact.
   */
  deletions: number;
}

/** What the database needs from its engine: the command's cached time and expiry hooks. */
export interface KeyspaceHost {
  /** Milliseconds, fixed for the duration of one command (as Redis caches mstime). */
  readonly time: number;
  /**
   * True while the data set is loaded from disk: nothing expires then (as in Redis), so
   * replaying the log reproduces exactly the state it recorded; keys past their time go after.
   */
  readonly loading: boolean;
  /** Called when a key is found expired and removed (stats, notifications). */
  onExpired(db: Database, key: string): void;
  /** Called whenever a key's value or existence changes (WATCH, blocked clients, the dirty count). */
  onKeyModified(db: Database, key: string): void;
  /** Keyspace notifications (notify.ts): the `new` event is published here, where keys are added. */
  readonly notifyFlags?: number;
  publishEvent?(event: string, db: Database, key: string): void;
}

/**
 * Per-key access data (OBJECT IDLETIME / FREQ, LRU and LFU eviction) costs a second Map entry
 * per key: measured here at +29 B/key on ~93 B/key (16-byte keys, 10-byte values), and
 * +18 ns per lookup with a hot cache, +150 ns with 1M keys (one more cache miss). Redis gets
 * it free in its object header; we pay only when a maxmemory-policy needs it:
 * `off` unless the policy is *-lru (`lru`) or *-lfu (`lfu`).
 */
export type AccessTracking = 'off' | 'lru' | 'lfu';

const TRACK_OFF = 0;
const TRACK_LRU = 1;
const TRACK_LFU = 2;

/** LRU stamps count seconds from here, so they stay small integers. */
const LRU_EPOCH_S = 1_700_000_000;
/** Redis's LFU_INIT_VAL: a new key's counter, so it is not evicted before it can be used. */
export const LFU_INIT_VAL = 5;

function lruClock(timeMs: number): number {
  return Math.floor(timeMs / 1000) - LRU_EPOCH_S;
}

function lfuMinutes(timeMs: number): number {
  return Math.floor(timeMs / 60_000) & 0xffff;
}

/** How far RANDOMKEY walks a shard's iterator per call, at most. */
const RANDOM_WALK = 16;

const DELETIONS_START_RANGE = 2 ** 34;

export class Database {
  readonly shards: Shard[] = [];
  /** LFU tuning (lfu-log-factor, lfu-decay-time), Redis's defaults. */
  lfuLogFactor = 10;
  lfuDecayTime = 1;
  private tracking = TRACK_OFF;
  /** When tracking began: keys without a stamp have been idle at least since then. */
  private trackingSince = 0;
  /** RANDOMKEY's position in each shard (the Map it walks, to notice SWAPDB). */
  private readonly walkers: ({ map: Map<string, Value>; it: MapIterator<string> } | undefined)[] = [];

  constructor(readonly index: number, readonly host: KeyspaceHost) {
    for (let i = 0; i < SHARD_COUNT; i++) {
      this.shards.push({
        data: new Map(), expires: new Map(), access: new Map(),
        deletions: Math.floor(Math.random() * DELETIONS_START_RANGE),
      });
      this.walkers.push(undefined);
    }
  }

  /** Looks a key up, removing it first when its time has passed (lazy expiry). Counts as an access. */
  lookup(key: string): Value | undefined {
    const v = this.peek(key);
    // Access tracking is off by default; only then is the shard looked up a second time.
    if (v !== undefined && this.tracking !== TRACK_OFF) this.recordAccess(this.shards[shardIndex(key)]!, key);
    return v;
  }

  /**
   * lookup() that does not count as an access (Redis's LOOKUP_NOTOUCH: TYPE, TTL, EXISTS,
   * OBJECT); expired keys are still removed.
   */
  peek(key: string): Value | undefined {
    const shard = this.shards[shardIndex(key)]!;
    const v = shard.data.get(key);
    if (v === undefined) return undefined;
    if (shard.expires.size !== 0) {
      const at = shard.expires.get(key);
      if (at !== undefined && at <= this.host.time && !this.host.loading) {
        this.removeExpired(shard, key);
        return undefined;
      }
    }
    return v;
  }

  has(key: string): boolean { return this.lookup(key) !== undefined; }

  /** The key is stored, expired or not; nothing is removed and no access is counted (WATCH). */
  hasEntry(key: string): boolean { return this.shards[shardIndex(key)]!.data.has(key); }

  /**
   * Stores a value. Like Redis's setKey, an existing TTL is removed unless `keepTtl`; a key
   * already past its time is expired first (onExpired), so `keepTtl` never keeps a dead TTL.
   * Adding a key publishes the `new` keyspace event (Redis's dbAdd).
   */
  set(key: string, value: Value, keepTtl = false): void {
    const shard = this.shards[shardIndex(key)]!;
    const data = shard.data;
    const expires = shard.expires;
    if (expires.size !== 0) {
      const at = expires.get(key);
      if (at !== undefined) {
        // A key past its time is expired first, as Redis's lookupKeyWrite does, even where the
        // caller skipped the lookup (SET, MSET): its `expired` event comes before the `new` one.
        if (at <= this.host.time && !this.host.loading) this.removeExpired(shard, key);
        else if (!keepTtl) expires.delete(key);
      }
    }
    const size = data.size;
    data.set(key, value);
    if (this.tracking !== TRACK_OFF) this.stampWrite(shard, key);
    if (data.size !== size) this.added(key);
    this.host.onKeyModified(this, key);
  }

  /** A key was added (Redis's dbAdd): the `new` keyspace event, one bit test when off. */
  private added(key: string): void {
    const host = this.host;
    if (((host.notifyFlags ?? 0) & NOTIFY_NEW) !== 0) host.publishEvent?.('new', this, key);
  }

  /**
   * Replaces an existing key's value by the same content in another form (Redis's
   * dbUnshareStringValue: a latin1 string becomes a RawString before an edit in place). Keeps
   * the TTL and is not a modification: no WATCH, notification or blocking signal.
   */
  replaceRepresentation(key: string, value: Value): void {
    const shard = this.shards[shardIndex(key)]!;
    if (!shard.data.has(key)) throw new Error('replaceRepresentation: no such key');
    shard.data.set(key, value);
  }

  /**
   * Loading from disk: stores a key without the hooks of a command (no dirty count, no
   * blocking signal). False when the key was already there.
   */
  loadEntry(key: string, value: Value, expireAt: number | undefined): boolean {
    const shard = this.shards[shardIndex(key)]!;
    const data = shard.data;
    const size = data.size;
    // One lookup, not has() then set(): a load is mostly inserts. A key seen twice keeps the
    // later value (a snapshot writes a key twice only with the same value: snapshot-job.ts).
    data.set(key, value);
    if (expireAt !== undefined) shard.expires.set(key, expireAt);
    return data.size !== size;
  }

  /** Removes a key; true when it existed (and had not expired). */
  delete(key: string): boolean {
    if (this.peek(key) === undefined) return false;
    this.removeEntry(this.shards[shardIndex(key)]!, key);
    this.host.onKeyModified(this, key);
    return true;
  }

  /**
   * Removes a key whether or not its time has passed, as Redis's dbDelete: what the STORE
   * commands do with an empty result, so an expired destination not yet reclaimed is deleted
   * (a `del` event) rather than expired. True when there was an entry.
   */
  deleteEntry(key: string): boolean {
    const shard = this.shards[shardIndex(key)]!;
    if (!shard.data.has(key)) return false;
    this.removeEntry(shard, key);
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

  /**
   * Removes every key. The shards get fresh Maps rather than clearing the old ones: a snapshot
   * being written (BGSAVE) may still be reading them, and SCAN cursors and RANDOMKEY notice
   * the new Map and start over.
   */
  clear(): void {
    for (let i = 0; i < SHARD_COUNT; i++) {
      const s = this.shards[i]!;
      this.shards[i] = { data: new Map(), expires: new Map(), access: new Map(), deletions: s.deletions + s.data.size };
    }
  }

  /** Exchanges contents with another database (SWAPDB). */
  swapWith(other: Database): void {
    for (let i = 0; i < SHARD_COUNT; i++) {
      const mine = this.shards[i]!;
      this.shards[i] = other.shards[i]!;
      other.shards[i] = mine;
    }
  }

  // ------------------------------------------------------------------ removal and expiry

  /** True when the key (present in `shard`) has an expiry that has passed. */
  isExpired(shard: Shard, key: string): boolean {
    if (shard.expires.size === 0) return false;
    const at = shard.expires.get(key);
    return at !== undefined && at <= this.host.time && !this.host.loading;
  }

  /** Removes a key found expired (lazy or active expiry) and reports it to the host. */
  removeExpired(shard: Shard, key: string): void {
    this.removeEntry(shard, key);
    this.host.onExpired(this, key);
  }

  /** The one place an entry leaves `data`: keeps the deletion count exact for SCAN. */
  private removeEntry(shard: Shard, key: string): void {
    shard.data.delete(key);
    if (shard.expires.size !== 0) shard.expires.delete(key);
    if (shard.access.size !== 0) shard.access.delete(key);
    shard.deletions++;
  }

  // ------------------------------------------------------------------ moving keys

  /**
   * RENAME: moves an existing key's value, TTL and access data to `to`, replacing whatever
   * `to` held. The caller has checked that `from` exists and differs from `to`.
   */
  rename(from: string, to: string): void {
    const src = this.shards[shardIndex(from)]!;
    const value = src.data.get(from)!;
    const at = src.expires.size !== 0 ? src.expires.get(from) : undefined;
    const stamp = src.access.size !== 0 ? src.access.get(from) : undefined;
    this.removeEntry(src, from);
    const dst = this.shards[shardIndex(to)]!;
    if (dst.data.has(to)) this.removeEntry(dst, to);
    this.put(dst, to, value, at, stamp);
    this.host.onKeyModified(this, from);
    this.host.onKeyModified(this, to);
  }

  /**
   * MOVE: moves an existing key (value, TTL, access data) into `target`, where the caller has
   * checked it is absent.
   */
  moveTo(key: string, target: Database): void {
    const src = this.shards[shardIndex(key)]!;
    const value = src.data.get(key)!;
    const at = src.expires.size !== 0 ? src.expires.get(key) : undefined;
    const stamp = src.access.size !== 0 ? src.access.get(key) : undefined;
    this.removeEntry(src, key);
    target.put(target.shards[shardIndex(key)]!, key, value, at, stamp);
    this.host.onKeyModified(this, key);
    target.host.onKeyModified(target, key);
  }

  private put(shard: Shard, key: string, value: Value, at: number | undefined, stamp: number | undefined): void {
    shard.data.set(key, value);
    this.added(key);
    if (at !== undefined) shard.expires.set(key, at);
    if (this.tracking !== TRACK_OFF) {
      if (stamp !== undefined) shard.access.set(key, stamp);
      else this.stampWrite(shard, key);
    }
  }

  // ------------------------------------------------------------------ RANDOMKEY

  /**
   * A random key that has not expired, or undefined when the database is empty (RANDOMKEY).
   * A Map has no random access, so: pick a shard with probability proportional to its size,
   * then walk 1..RANDOM_WALK entries on from where the last pick in that shard stopped (a
   * persistent iterator, restarted at the end). O(SHARD_COUNT + RANDOM_WALK) per call. Keys
   * found expired on the way are removed, as Redis does, so the loop ends.
   */
  randomKey(): string | undefined {
    for (;;) {
      let r = Math.floor(Math.random() * this.size);
      let i = 0;
      for (; i < SHARD_COUNT; i++) {
        const n = this.shards[i]!.data.size;
        if (r < n) break;
        r -= n;
      }
      if (i === SHARD_COUNT) return undefined; // empty
      const shard = this.shards[i]!;
      let walker = this.walkers[i];
      if (walker === undefined || walker.map !== shard.data) {
        walker = { map: shard.data, it: shard.data.keys() };
        this.walkers[i] = walker;
      }
      let key: string | undefined;
      for (let steps = 1 + Math.floor(Math.random() * RANDOM_WALK); steps > 0;) {
        const next = walker.it.next();
        if (next.done) { walker.it = shard.data.keys(); continue; }
        key = next.value;
        steps--;
      }
      if (!this.isExpired(shard, key!)) return key;
      this.removeExpired(shard, key!);
    }
  }

  // ------------------------------------------------------------------ access tracking

  get accessTracking(): AccessTracking {
    return this.tracking === TRACK_LRU ? 'lru' : this.tracking === TRACK_LFU ? 'lfu' : 'off';
  }

  /**
   * Starts, changes or stops access tracking. Existing stamps are dropped on a change (their
   * meaning differs); keys without one count as idle since tracking began (a true lower
   * bound) and, under LFU, as new keys.
   */
  setAccessTracking(mode: AccessTracking): void {
    const next = mode === 'lru' ? TRACK_LRU : mode === 'lfu' ? TRACK_LFU : TRACK_OFF;
    if (next === this.tracking) return;
    this.tracking = next;
    this.trackingSince = this.host.time;
    for (const s of this.shards) s.access.clear();
  }

  /** Seconds since the key was last accessed (LRU tracking; the key exists). */
  idleSeconds(key: string): number {
    const stamp = this.shards[shardIndex(key)]!.access.get(key) ?? lruClock(this.trackingSince);
    return Math.max(0, lruClock(this.host.time) - stamp);
  }

  /** The key's LFU counter after decay (LFU tracking; the key exists): OBJECT FREQ. */
  frequency(key: string): number {
    const stamp = this.shards[shardIndex(key)]!.access.get(key)
      ?? ((lfuMinutes(this.trackingSince) << 8) | LFU_INIT_VAL);
    return this.lfuDecayed(stamp);
  }

  private recordAccess(shard: Shard, key: string): void {
    if (this.tracking === TRACK_LRU) {
      shard.access.set(key, lruClock(this.host.time));
      return;
    }
    const stamp = shard.access.get(key);
    let counter = stamp === undefined ? LFU_INIT_VAL : this.lfuDecayed(stamp);
    counter = this.lfuLogIncrement(counter);
    shard.access.set(key, (lfuMinutes(this.host.time) << 8) | counter);
  }

  /** A write: LRU restamps; LFU keeps an overwritten key's counter (as Redis's dbSetValue). */
  private stampWrite(shard: Shard, key: string): void {
    if (this.tracking === TRACK_LRU) shard.access.set(key, lruClock(this.host.time));
    else if (!shard.access.has(key)) shard.access.set(key, (lfuMinutes(this.host.time) << 8) | LFU_INIT_VAL);
  }

  /** The counter minus one per `lfu-decay-time` minutes since its last access (16-bit minute clock). */
  private lfuDecayed(stamp: number): number {
    const counter = stamp & 0xff;
    const then = stamp >>> 8;
    const now = lfuMinutes(this.host.time);
    const elapsed = now >= then ? now - then : 65535 - then + now;
    const periods = this.lfuDecayTime > 0 ? Math.floor(elapsed / this.lfuDecayTime) : 0;
    return periods > counter ? 0 : counter - periods;
  }

  /** Redis's logarithmic counter: increments with probability 1 / ((counter - 5) * factor + 1). */
  private lfuLogIncrement(counter: number): number {
    if (counter === 255) return 255;
    const base = Math.max(0, counter - LFU_INIT_VAL);
    return Math.random() < 1 / (base * this.lfuLogFactor + 1) ? counter + 1 : counter;
  }
}

/** The access tracking a maxmemory-policy needs. */
export function accessTrackingFor(policy: string): AccessTracking {
  return policy.endsWith('-lru') ? 'lru' : policy.endsWith('-lfu') ? 'lfu' : 'off';
}

/**
 * Keeps every database's access tracking in step with `maxmemory-policy` (and the LFU tuning
 * parameters where the config defines them). Called once by the engine.
 */
export function installAccessTracking(engine: { config: Config; dbs: readonly Database[] }): void {
  const { config, dbs } = engine;
  const apply = (): void => {
    const mode = accessTrackingFor(config.get('maxmemory-policy'));
    const logFactor = config.param('lfu-log-factor');
    const decayTime = config.param('lfu-decay-time');
    for (const db of dbs) {
      if (logFactor) db.lfuLogFactor = Number(logFactor.value);
      if (decayTime) db.lfuDecayTime = Number(decayTime.value);
      db.setAccessTracking(mode);
    }
  };
  apply();
  config.onChange('maxmemory-policy', apply);
  if (config.param('lfu-log-factor')) config.onChange('lfu-log-factor', apply);
  if (config.param('lfu-decay-time')) config.onChange('lfu-decay-time', apply);
}
