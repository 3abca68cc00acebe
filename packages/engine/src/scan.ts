import { parseInt64 } from './args.js';
import { NOT_INTEGER, SYNTAX } from './errors.js';
import { SHARD_COUNT, type Database, type Shard, type Value } from './keyspace.js';

/**
 * SCAN cursors over the sharded keyspace.
 *
 * Redis's guarantee: a full iteration returns every key that was present from its start to
 * its end, whatever was added or removed in between; keys may come twice; the cursor is a
 * decimal string, 0 starts and ends. Redis gets this from a reverse-binary cursor over its
 * hash table. Our keys live in 64 JS Maps, which iterate in insertion order and have no
 * positional access, so the choice was between:
 *
 * 1. A live Map iterator per cursor in a bounded table. V8's iterators survive inserts (new
 *    entries come at the end), deletes (skipped) and rehashes. But when an entry is evicted
 *    from the table (too many concurrent or abandoned scans) the scan must restart the shard:
 *    with more scanners than table slots, every one keeps restarting and none finishes.
 * 2. A position in the cursor: skip N entries of a fresh iterator. Always available, but O(N)
 *    per call (quadratic per shard), and deletions before the position shift it, so skipping
 *    N could pass over keys never returned.
 *
 * We use both. The cursor is a position that is safe on its own, and the table of live
 * iterators only makes resuming O(1):
 *
 *     cursor (unsigned 64-bit) = epoch << 30 | offset << 6 | shard
 *       shard   6 bits   which of the 64 Maps
 *       offset 24 bits   a lower bound on how many entries now in that Map come before the
 *                        position (all of them were returned already); saturates
 *       epoch  34 bits   the Map's deletion count (Shard.deletions, mod 2^34) when issued
 *
 * Entries only ever join a Map at its end, so after d more deletions at least offset - d of
 * the entries before the position are still there, and they are the first ones a fresh
 * iterator yields: skipping max(0, offset - d) of them never skips a key that was not
 * returned. Each reissued cursor recomputes the bound (offset - d + entries consumed), so it
 * stays true across calls. Without its live iterator a cursor thus resumes correctly at O(offset)
 * cost, with duplicates only when keys were deleted in between; with it, at O(1).
 *
 * Live iterators are keyed by the cursor string and used once: resuming replaces the entry by a
 * tombstone, so a client that retries an old cursor falls back to the position (correct)
 * instead of taking over an iterator that has moved on. Two scans issued the same cursor string
 * both fall back too. The table is bounded (LIVE_CURSORS per database, oldest dropped): an
 * abandoned iterator costs little, but it pins the Map's old backing store if the Map was
 * rehashed since, until it is dropped.
 *
 * Keys added during a scan come back if they land after its position (as in Redis, maybe or
 * maybe not). Also as in Redis, a scan ends only if the keyspace does not grow faster than the
 * scan reads: entries appended to the shard being read are read before it moves on.
 *
 * Cursor 0 at shard 0, offset 0 is avoided (it means "done"): such a position gets epoch 1.
 * Cursors that did not come from us (another database, a previous process) decode to some
 * shard and position; a foreign epoch makes d random, so they mostly restart that shard.
 */

const OFFSET_MAX = 2 ** 24 - 1;
const EPOCH_MOD = 2 ** 34;
const LIVE_CURSORS = 256;
const UINT64_MAX = 2n ** 64n - 1n;

interface LiveCursor {
  map: Map<string, Value>;
  it: MapIterator<string>;
}

/** Per database: cursor string → its live iterator, or null once used (tombstone). */
const liveCursors = new WeakMap<Database, Map<string, LiveCursor | null>>();

/**
 * Parses a cursor as Redis does (strtoul base 10, then a check that nothing is left): optional
 * sign ('-' wraps modulo 2^64), leading zeros, "" is 0; a leading space, trailing characters or
 * a value above 2^64 - 1 are invalid (undefined). A NUL byte ends the number, as in C.
 */
export function parseScanCursor(s: string): bigint | undefined {
  const len = s.length;
  if (len === 0) return 0n;
  const c0 = s.charCodeAt(0);
  if (c0 === 32 || (c0 >= 9 && c0 <= 13)) return undefined;
  let i = 0;
  const negative = c0 === 45;
  if (negative || c0 === 43) i = 1;
  let end = i;
  while (end < len) {
    const c = s.charCodeAt(end);
    if (c < 48 || c > 57) break;
    end++;
  }
  if (end === i) return c0 === 0 ? 0n : undefined; // no digits: strtoul stops at the very start
  if (end < len && s.charCodeAt(end) !== 0) return undefined;
  let v = BigInt(s.slice(i, end));
  if (v > UINT64_MAX) return undefined;
  if (negative && v !== 0n) v = UINT64_MAX + 1n - v;
  return v;
}

/**
 * Walks the database from `cursor`, looking at about `count` entries (COUNT is a hint, as in
 * Redis: it bounds the entries looked at, not the keys returned). Keys that pass `filter` and
 * have not expired are pushed to `out`; expired ones met on the way are removed. Returns the
 * next cursor, "0" when the iteration is complete.
 */
export function scanKeys(
  db: Database,
  cursor: bigint,
  count: number,
  out: string[],
  filter?: (key: string, shard: Shard) => boolean,
): string {
  let cache = liveCursors.get(db);
  if (cache === undefined) {
    cache = new Map();
    liveCursors.set(db, cache);
  }
  let shardIndex = Number(cursor & 63n);
  const offset = Number((cursor >> 6n) & BigInt(OFFSET_MAX));
  const epoch = Number(cursor >> 30n);
  let shard = db.shards[shardIndex]!;

  // The position bound to carry forward: `base` entries before the position as of deletion
  // count `baseEpoch`, plus `consumed` entries read since.
  let base: number;
  let baseEpoch: number;
  let it: MapIterator<string>;
  const key = cursor.toString();
  const live = cursor === 0n ? undefined : cache.get(key);
  if (live != null && live.map === shard.data) {
    cache.set(key, null);
    it = live.it;
    base = offset;
    baseEpoch = epoch;
  } else {
    it = shard.data.keys();
    const d = deletionsSince(shard, epoch);
    let skip = offset > d ? offset - d : 0;
    base = 0;
    while (skip > 0 && !it.next().done) { skip--; base++; }
    baseEpoch = shard.deletions % EPOCH_MOD;
  }
  let consumed = 0;

  for (let examined = 0; examined < count;) {
    const next = it.next();
    if (next.done) {
      if (++shardIndex === SHARD_COUNT) return '0';
      shard = db.shards[shardIndex]!;
      it = shard.data.keys();
      base = 0;
      baseEpoch = shard.deletions % EPOCH_MOD;
      consumed = 0;
      continue;
    }
    examined++;
    consumed++;
    const k = next.value;
    if (filter !== undefined && !filter(k, shard)) continue;
    if (db.isExpired(shard, k)) {
      db.removeExpired(shard, k);
      continue;
    }
    out.push(k);
  }

  const position = Math.min(OFFSET_MAX, Math.max(0, base - deletionsSince(shard, baseEpoch)) + consumed);
  let nextEpoch = shard.deletions % EPOCH_MOD;
  if (shardIndex === 0 && position === 0 && nextEpoch === 0) nextEpoch = 1;
  const next = (BigInt(nextEpoch) << 30n) | (BigInt(position) << 6n) | BigInt(shardIndex);
  const nextKey = next.toString();
  if (cache.has(nextKey)) {
    cache.set(nextKey, null); // issued twice: neither may take the other's iterator
  } else {
    cache.set(nextKey, { map: shard.data, it });
    if (cache.size > LIVE_CURSORS) cache.delete(cache.keys().next().value!);
  }
  return nextKey;
}

/** Deletions in the shard since a cursor's epoch (mod 2^34). */
function deletionsSince(shard: Shard, epoch: number): number {
  return (shard.deletions % EPOCH_MOD - epoch + EPOCH_MOD) % EPOCH_MOD;
}

/**
 * Forgets every live iterator of a database: its cursors stay valid and resume by position.
 * For tests (the fallback path) and for a host that wants pinned Map storage back.
 */
export function dropLiveCursors(db: Database): void {
  liveCursors.delete(db);
}

export interface ScanOptions {
  /** COUNT: a hint (default 10). */
  count: number;
  /** MATCH, or undefined for `*` and no MATCH. */
  pattern: string | undefined;
  /** TYPE (SCAN only), lower-cased. */
  typeName: string | undefined;
}

/**
 * SCAN/HSCAN/SSCAN options from argv[from]: MATCH pattern, COUNT count (>= 1), and TYPE for
 * SCAN; later options override earlier ones, as in Redis. Returns Redis's error string on a
 * bad option.
 */
export function parseScanOptions(argv: readonly string[], from: number, allowType: boolean): ScanOptions | string {
  const o: ScanOptions = { count: 10, pattern: undefined, typeName: undefined };
  for (let i = from; i < argv.length; i++) {
    const opt = argv[i]!.toUpperCase();
    const hasValue = i + 1 < argv.length;
    if (opt === 'COUNT' && hasValue) {
      const n = parseInt64(argv[++i]!);
      if (n === undefined) return NOT_INTEGER;
      if (n < 1) return SYNTAX;
      o.count = typeof n === 'number' ? n : Number.MAX_SAFE_INTEGER;
    } else if (opt === 'MATCH' && hasValue) {
      const p = argv[++i]!;
      o.pattern = p === '*' ? undefined : p;
    } else if (allowType && opt === 'TYPE' && hasValue) {
      o.typeName = argv[++i]!.toLowerCase();
    } else {
      return SYNTAX;
    }
  }
  return o;
}
