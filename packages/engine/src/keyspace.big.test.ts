import { describe, expect, it } from 'vitest';
import { Database, SHARD_COUNT, type KeyspaceHost } from './keyspace.js';

/**
 * The keyspace holds more keys than one V8 Map can (2^24 = 16,777,216), and keeps working
 * under delete/insert churn (RELIABILITY: Maps throw earlier when deleted slots pile up).
 * Slow by nature: ~35 s and ~2 GB RSS on the 2-core dev VM (2026-11), where a Map insert
 * into tables this large costs ~1.8 µs (TLB and page-fault bound; ~1 µs at 1M keys). Keys are
 * short base-36 strings and every key shares one value string, so it measures the Maps.
 */

const host: KeyspaceHost = {
  time: 1_700_000_000_000,
  onExpired() {},
  onKeyModified() {},
};

const TOTAL = 17_000_000;

describe('a keyspace beyond 2^24 keys', () => {
  it(`stores ${TOTAL.toLocaleString('en')} keys, finds them, and survives churn`, () => {
    const db = new Database(0, host);
    const value = 'v';
    for (let i = 0; i < TOTAL; i++) db.set(i.toString(36), value);

    expect(TOTAL).toBeGreaterThan(2 ** 24);
    expect(db.size).toBe(TOTAL);
    // Every shard stays far below one Map's limit.
    const largest = Math.max(...db.shards.map((s) => s.data.size));
    expect(largest).toBeLessThan(2 ** 23);
    expect(db.shards).toHaveLength(SHARD_COUNT);

    let missing = 0;
    for (let i = 0; i < TOTAL; i += 9973) if (db.lookup(i.toString(36)) !== value) missing++;
    expect(missing).toBe(0);
    expect(db.lookup((TOTAL - 1).toString(36))).toBe(value);
    expect(db.lookup(TOTAL.toString(36))).toBeUndefined();

    // Churn: 1M deletions and 1M fresh insertions, interleaved (keyspace.test.ts churns more
    // operations per live key on a smaller keyspace).
    const CHURN = 1_000_000;
    let failed = 0;
    for (let i = 0; i < CHURN; i++) {
      if (!db.delete(i.toString(36))) failed++;
      db.set((TOTAL + i).toString(36), value);
    }
    expect(failed).toBe(0);
    expect(db.size).toBe(TOTAL);
    expect(db.lookup('0')).toBeUndefined();
    expect(db.lookup((TOTAL + CHURN - 1).toString(36))).toBe(value);
    expect(db.lookup(CHURN.toString(36))).toBe(value);
  }, 300_000);
});
