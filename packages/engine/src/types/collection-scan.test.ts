import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SCAN_EPOCH_MOD, dropCollectionCursors, scanCollection, type ScannableCollection } from './collection-scan.js';

/** The smallest collection: a Map and its deletion count, wrapping as the interface allows. */
class Bag implements ScannableCollection<number> {
  readonly scanMap = new Map<string, number>();
  scanDeletions: number;
  constructor(start = 0) { this.scanDeletions = start; }
  add(k: string): void { this.scanMap.set(k, 1); }
  remove(k: string): void {
    if (this.scanMap.delete(k)) this.scanDeletions = (this.scanDeletions + 1) % SCAN_EPOCH_MOD;
  }
}

function fullScan(bag: Bag, count: number, between?: (calls: number) => void): { seen: string[]; calls: number } {
  const seen: string[] = [];
  let cursor = 0n;
  let calls = 0;
  do {
    const r = scanCollection(bag, cursor, count);
    for (const [k] of r.entries) seen.push(k);
    cursor = r.next;
    calls++;
    if (cursor !== 0n) between?.(calls);
    if (calls > 100_000) throw new Error('scan does not end');
  } while (cursor !== 0n);
  return { seen, calls };
}

describe('scanCollection', () => {
  it('returns everything exactly once when nothing changes, COUNT entries per call', () => {
    const bag = new Bag();
    for (let i = 0; i < 95; i++) bag.add(`m${i}`);
    const { seen, calls } = fullScan(bag, 10);
    expect(seen).toEqual([...bag.scanMap.keys()]);
    expect(calls).toBe(10); // 9 full batches and a last one of 5 that ends with cursor 0
  });

  it('ends with cursor 0 on the batch that reaches the end', () => {
    const bag = new Bag();
    for (let i = 0; i < 20; i++) bag.add(`m${i}`);
    const first = scanCollection(bag, 0n, 10);
    expect(first.next).not.toBe(0n);
    const second = scanCollection(bag, first.next, 10);
    expect(second.entries).toHaveLength(10);
    expect(second.next).toBe(0n);
    expect(scanCollection(new Bag(), 0n, 10)).toEqual({ next: 0n, entries: [] });
  });

  it('returns values with the fields', () => {
    const bag = new Bag();
    bag.scanMap.set('a', 7);
    expect(scanCollection(bag, 0n, 10).entries).toEqual([['a', 7]]);
  });

  it('resumes by position without the live iterator, also across deletions', () => {
    const bag = new Bag(SCAN_EPOCH_MOD - 3); // the counter wraps during the scan
    for (let i = 0; i < 50; i++) bag.add(`m${i}`);
    const first = scanCollection(bag, 0n, 20);
    dropCollectionCursors(bag);
    for (let i = 0; i < 10; i++) bag.remove(`m${i}`); // all before the position
    const second = scanCollection(bag, first.next, 20);
    // 20 returned, 10 of them deleted: at least 10 of the rest are known to be before it.
    expect(second.entries.map(([k]) => k)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i + 20}`));
    const late = [...bag.scanMap.keys()].slice(-10);
    dropCollectionCursors(bag);
    bag.remove('m49');
    // One deletion the cursor cannot place: it steps back one entry, so m39 comes again.
    const rest = fullScanFrom(bag, second.next, 20);
    expect(rest).toEqual(['m39', ...late.slice(0, -1)]);
  });

  it('a retried cursor falls back to its position (the iterator was used once)', () => {
    const bag = new Bag();
    for (let i = 0; i < 30; i++) bag.add(`m${i}`);
    const first = scanCollection(bag, 0n, 10);
    const a = scanCollection(bag, first.next, 10);
    const b = scanCollection(bag, first.next, 10); // same cursor again: same batch
    expect(b.entries).toEqual(a.entries);
  });

  it('survives a cursor from elsewhere (any 64-bit value)', () => {
    const bag = new Bag();
    for (let i = 0; i < 10; i++) bag.add(`m${i}`);
    for (const c of [1n, 2n ** 64n - 1n, 123456789n << 32n, 5n]) {
      const r = scanCollection(bag, c, 100);
      expect(r.next).toBe(0n);
      for (const [k] of r.entries) expect(bag.scanMap.has(k)).toBe(true);
    }
  });

  it('cursors of many abandoned scans all resume at their position (live or not)', () => {
    const bag = new Bag();
    for (let i = 0; i < 100; i++) bag.add(`m${i}`);
    // 20 scans started and abandoned: all cursors still work (the old ones by position).
    const cursors: bigint[] = [];
    for (let i = 0; i < 20; i++) {
      bag.add(`extra${i}`);
      cursors.push(scanCollection(bag, 0n, 5 + i).next);
    }
    for (let i = 0; i < 20; i++) {
      const r = scanCollection(bag, cursors[i]!, 1);
      expect(r.entries[0]![0]).toBe(`m${5 + i}`);
    }
  });

  it('a scan never takes the iterator of another scan that is further on (the scan number)', () => {
    const bag = new Bag();
    for (let i = 0; i < 20; i++) bag.add(`k${i}`);
    const a1 = scanCollection(bag, 0n, 2); // A: k0 k1, position 2, exact
    bag.remove('k10'); // after A's position: A's bound will be one short
    const h1 = scanCollection(bag, 0n, 4); // H: k0..k3, position 4, exact
    const a2 = scanCollection(bag, a1.next, 1); // A: k2, bound 2, true position 3
    for (let n = 5; n <= 11; n++) scanCollection(bag, 0n, n); // other scans push H's iterator out
    const a3 = scanCollection(bag, a2.next, 2); // A: k3 k4, bound 4 like H's, true position 5
    expect(a3.entries.map(([k]) => k)).toEqual(['k3', 'k4']);
    // Same epoch and offset; only the scan number tells them apart.
    expect(a3.next & ((1n << 24n) - 1n)).toBe(h1.next & ((1n << 24n) - 1n));
    expect(a3.next).not.toBe(h1.next);
    expect(scanCollection(bag, h1.next, 100).entries.map(([k]) => k)).toContain('k4');
  });

  it('guarantee holds for many concurrent scans of one collection (more than its live iterators)', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 6 })), { minLength: 9, maxLength: 14 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 150 })), { minLength: 20, maxLength: 100 }),
      (scanners, ops) => {
        const bag = new Bag();
        for (let i = 0; i < 100; i++) bag.add(`k${i}`);
        // Each scanner: its COUNT and the step it starts at; what was there when it started.
        const scans = scanners.map(([count, startAt]) => ({ count, startAt, cursor: 0n, seen: new Set<string>(), before: [] as string[], removed: new Set<string>(), done: false }));
        for (let step = 0; scans.some((s) => !s.done); step++) {
          for (const s of scans) {
            if (s.done || step < s.startAt) continue;
            if (step === s.startAt) s.before = [...bag.scanMap.keys()];
            const r = scanCollection(bag, s.cursor, s.count);
            for (const [k] of r.entries) s.seen.add(k);
            s.cursor = r.next;
            s.done = r.next === 0n;
          }
          const [op, x] = ops[step % ops.length]!;
          const k = `k${x}`;
          if (op === 0) bag.add(k);
          else if (op === 1) {
            bag.remove(k);
            for (const s of scans) s.removed.add(k);
          }
        }
        for (const s of scans) for (const k of s.before) if (!s.removed.has(k)) expect(s.seen.has(k), k).toBe(true);
      },
    ), { numRuns: 100 });
  });

  it('guarantee: every element present throughout is returned, under random changes', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 200 }),
      fc.integer({ min: 1, max: 30 }),
      fc.array(fc.tuple(fc.constantFrom('add', 'remove', 'drop'), fc.integer({ min: 0, max: 400 })), { maxLength: 200 }),
      fc.integer({ min: 0, max: SCAN_EPOCH_MOD - 1 }),
      (initial, count, ops, start) => {
        const bag = new Bag(start);
        for (let i = 0; i < initial; i++) bag.add(`k${i}`);
        const before = new Set(bag.scanMap.keys());
        const removed = new Set<string>();
        let step = 0;
        const { seen } = fullScan(bag, count, () => {
          // A few changes between calls, from the op list.
          for (let n = 0; n < 3 && step < ops.length; n++, step++) {
            const [op, x] = ops[step]!;
            const k = `k${x}`;
            if (op === 'add') bag.add(k);
            else if (op === 'remove') { bag.remove(k); removed.add(k); }
            else dropCollectionCursors(bag);
          }
        });
        const got = new Set(seen);
        for (const k of before) if (!removed.has(k)) expect(got.has(k), k).toBe(true);
        for (const k of got) expect(k.startsWith('k')).toBe(true);
      },
    ), { numRuns: 300 });
  });
});

function fullScanFrom(bag: Bag, cursor: bigint, count: number): string[] {
  const out: string[] = [];
  do {
    const r = scanCollection(bag, cursor, count);
    for (const [k] of r.entries) out.push(k);
    cursor = r.next;
  } while (cursor !== 0n);
  return out;
}
