/**
 * Cursor scans over one collection (HSCAN, SSCAN, ZSCAN) with Redis's guarantee: a full
 * iteration returns every element present from its start to its end, whatever was added or
 * removed in between; elements may come twice; cursor 0 starts and ends.
 *
 * Same design as the keyspace SCAN (packages/engine/src/scan.ts), for a single Map: the cursor
 * carries a position that is safe on its own, and a table of live Map iterators makes resuming
 * O(1) when the cursor comes back while its iterator is still there.
 *
 *     cursor (unsigned 64-bit) = epoch << 34 | scan << 24 | offset
 *       offset 24 bits   a lower bound on how many entries now in the Map come before the
 *                        position (all of them were returned already); a V8 Map holds fewer
 *                        than 2^24 entries
 *       scan   10 bits   numbers the scans of one collection (from a random start), given when
 *                        a scan starts (cursor 0) and kept by all its cursors
 *       epoch  30 bits   the collection's deletion count (scanDeletions mod 2^30) when issued
 *
 * Entries only ever join a Map at its end, so after d more deletions at least offset - d of the
 * entries before the position are still there, and they are the first ones a fresh iterator
 * yields: skipping max(0, offset - d) of them never skips an element that was not returned.
 * Without its live iterator a cursor thus resumes correctly at O(offset) cost, with duplicates
 * only when elements were deleted in between.
 *
 * Live iterators are kept per collection Map (a WeakMap, so they go when the collection goes:
 * an abandoned scan never keeps a deleted collection's entries alive), at most
 * LIVE_CURSORS_PER_COLLECTION of them, oldest dropped, each used once (resuming leaves a
 * tombstone, so a retried cursor falls back to its position instead of taking over an iterator
 * that has moved on; a cursor issued twice gets a tombstone for the same reason). The bound
 * matters because an iterator pins the Map's old backing store once the Map has been rehashed.
 *
 * Why the scan number: after deletions, a live iterator's bound can be low (a deletion after
 * its position counts as if it were before), so two scans can be issued the same epoch and
 * offset at different true positions; the one behind must never take the iterator of the one
 * ahead (it would skip what lies between). Tombstones catch that only while the behind one's
 * entry is still in the table; collection-scan.test.ts builds the case where eviction dropped
 * it first. With the scan number in the cursor, two scans share cursors only when 1024 others
 * started on the collection between them, and then still need that interleaving. The keyspace SCAN
 * (scan.ts) has the same exposure, with no bits to spare in its cursor for a scan number.
 *
 * Elements added during a scan come back if they land after its position. A scan also stops
 * as soon as its position covers the whole Map, so the last batch ends with cursor 0 instead of
 * costing the client one more call for an empty batch.
 *
 * Small encodings (listpack, intset) do not use this: Redis answers them whole in one call with
 * cursor 0, and so do the commands.
 */

/**
 * Cursor scan over one collection with Redis's SCAN guarantee (every element present for the
 * whole scan is returned at least once), duplicates allowed. K is the Map's key type: strings
 * for hashes, whatever a type keys its Map by otherwise (the scan never looks at keys).
 */
export interface ScannableCollection<T, K = string> {
  /** The backing Map (hash fields → values; for sets: members → true or similar). */
  readonly scanMap: Map<K, T>;
  /**
   * Entries ever removed from scanMap (every removal increments it). It may wrap modulo 2^30
   * (or any multiple of it), which keeps it a small integer (no boxed number per collection);
   * starting it at a random value makes cursors of different collections differ.
   */
  readonly scanDeletions: number;
}

const OFFSET_BITS = 24n;
const OFFSET_MAX = 2 ** 24 - 1;
const OFFSET_MASK = (1n << OFFSET_BITS) - 1n;
const SCAN_IDS = 2 ** 10;
const SCAN_ID_MASK = BigInt(SCAN_IDS - 1);
const EPOCH_SHIFT = 34n;
/** Epochs are deletion counts modulo 2^30: what a collection's counter may wrap at. */
export const SCAN_EPOCH_MOD = 2 ** 30;
const EPOCH_MASK = BigInt(SCAN_EPOCH_MOD - 1);
const LIVE_CURSORS_PER_COLLECTION = 8;

interface LiveTable {
  /** The number the next scan of this collection gets. */
  nextScan: number;
  /** Cursor → its live iterator, or null once used (tombstone); oldest first. */
  cursors: Map<bigint, MapIterator<[unknown, unknown]> | null>;
}

/** Per collection Map. */
const liveCursors = new WeakMap<Map<unknown, unknown>, LiveTable>();

/**
 * Reads about `count` entries (COUNT is a hint, as in Redis: the entries looked at, before any
 * MATCH filter) from `cursor` on. Returns them and the next cursor, 0n when the scan is over.
 * Any cursor is accepted: one that did not come from this collection resumes at some position
 * and at worst repeats entries.
 */
export function scanCollection<T, K = string>(c: ScannableCollection<T, K>, cursor: bigint, count: number): { next: bigint; entries: [K, T][] } {
  const map = c.scanMap;
  const entries: [K, T][] = [];
  const offset = Number(cursor & OFFSET_MASK);
  const epoch = Number((cursor >> EPOCH_SHIFT) & EPOCH_MASK);
  let live = liveCursors.get(map as Map<unknown, unknown>);

  // The position to carry forward: `base` entries before it as of deletion count `baseEpoch`,
  // plus `consumed` entries read since.
  let it: MapIterator<[K, T]>;
  let base: number;
  let baseEpoch: number;
  const resumed = cursor === 0n || live === undefined ? undefined : live.cursors.get(cursor);
  if (resumed != null) {
    live!.cursors.set(cursor, null);
    it = resumed as MapIterator<[K, T]>;
    base = offset;
    baseEpoch = epoch;
  } else {
    it = map.entries();
    let skip = Math.max(0, offset - deletionsSince(c, epoch));
    base = 0;
    while (skip > 0 && !it.next().done) { skip--; base++; }
    baseEpoch = c.scanDeletions % SCAN_EPOCH_MOD;
  }

  let consumed = 0;
  while (consumed < count) {
    const next = it.next();
    if (next.done) return { next: 0n, entries };
    entries.push(next.value);
    consumed++;
  }
  const position = Math.min(OFFSET_MAX, Math.max(0, base - deletionsSince(c, baseEpoch)) + consumed);
  if (position >= map.size) return { next: 0n, entries };

  if (live === undefined) {
    live = { nextScan: Math.floor(Math.random() * SCAN_IDS), cursors: new Map() };
    liveCursors.set(map as Map<unknown, unknown>, live);
  }
  let scanId: bigint;
  if (cursor === 0n) {
    scanId = BigInt(live.nextScan);
    live.nextScan = (live.nextScan + 1) % SCAN_IDS;
  } else {
    scanId = (cursor >> OFFSET_BITS) & SCAN_ID_MASK;
  }
  let nextEpoch = c.scanDeletions % SCAN_EPOCH_MOD;
  if (nextEpoch === 0 && position === 0 && scanId === 0n) nextEpoch = 1; // never 0n, which means "done"
  const next = (BigInt(nextEpoch) << EPOCH_SHIFT) | (scanId << OFFSET_BITS) | BigInt(position);
  const cursors = live.cursors;
  if (cursors.has(next)) {
    // Issued twice: neither scan may take the other's iterator. Re-inserted, so that the
    // tombstone lasts as long as the latest issue.
    cursors.delete(next);
    cursors.set(next, null);
  } else {
    cursors.set(next, it as MapIterator<[unknown, unknown]>);
    if (cursors.size > LIVE_CURSORS_PER_COLLECTION) cursors.delete(cursors.keys().next().value!);
  }
  return { next, entries };
}

/** Deletions in the collection since a cursor's epoch (mod 2^30). */
function deletionsSince(c: { readonly scanDeletions: number }, epoch: number): number {
  return (c.scanDeletions % SCAN_EPOCH_MOD - epoch + SCAN_EPOCH_MOD) % SCAN_EPOCH_MOD;
}

/** Forgets a collection's live iterators: its cursors stay valid and resume by position (tests). */
export function dropCollectionCursors(c: ScannableCollection<unknown, unknown>): void {
  liveCursors.delete(c.scanMap as Map<unknown, unknown>);
}
