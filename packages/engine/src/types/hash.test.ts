import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ARRAY_MAX_FIELDS, HashValue, type HashLimits } from './hash.js';
import { SCAN_EPOCH_MOD, scanCollection } from './collection-scan.js';

const DEFAULTS: HashLimits = { maxListpackEntries: 512, maxListpackValue: 64 };

function entries(h: HashValue): [string, string][] {
  const out: [string, string][] = [];
  h.forEach((f, v) => { out.push([f, v]); });
  return out;
}

function filled(n: number, limits = DEFAULTS): HashValue {
  const h = new HashValue();
  for (let i = 0; i < n; i++) h.set(`f${i}`, `v${i}`, limits);
  return h;
}

describe('HashValue', () => {
  it('behaves like an insertion-ordered Map, in both of its forms', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 40 }), fc.string({ maxLength: 3 })), { maxLength: 300 }),
      fc.constantFrom(DEFAULTS, { maxListpackEntries: 8, maxListpackValue: 2 }, { maxListpackEntries: 0, maxListpackValue: 64 }),
      (ops, limits) => {
        const h = new HashValue();
        const model = new Map<string, string>();
        let hashtable = false;
        for (const [isSet, n, v] of ops) {
          const f = `f${n}`;
          if (isSet) {
            expect(h.set(f, v, limits)).toBe(!model.has(f));
            model.set(f, v);
            if (f.length > limits.maxListpackValue || v.length > limits.maxListpackValue || model.size > limits.maxListpackEntries) hashtable = true;
          } else {
            expect(h.delete(f)).toBe(model.delete(f));
          }
          expect(h.size).toBe(model.size);
          expect(h.encoding()).toBe(hashtable ? 'hashtable' : 'listpack');
        }
        expect(entries(h)).toEqual([...model]);
        for (let n = 0; n <= 40; n++) {
          expect(h.get(`f${n}`)).toBe(model.get(`f${n}`));
          expect(h.has(`f${n}`)).toBe(model.has(`f${n}`));
        }
      },
    ), { numRuns: 200 });
  });

  it('moves from its array form to a Map past ARRAY_MAX_FIELDS, keeping order and encoding', () => {
    const h = filled(ARRAY_MAX_FIELDS);
    h.set('f0', 'changed', DEFAULTS);
    h.set('extra', 'x', DEFAULTS);
    expect(h.encoding()).toBe('listpack');
    expect(entries(h).map(([f]) => f)).toEqual([...Array.from({ length: ARRAY_MAX_FIELDS }, (_, i) => `f${i}`), 'extra']);
    expect(h.get('f0')).toBe('changed');
  });

  it('counts every removal for cursor scans, modulo 2^30', () => {
    const h = filled(20);
    const start = h.scanDeletions;
    expect(start).toBeGreaterThanOrEqual(0);
    expect(start).toBeLessThan(SCAN_EPOCH_MOD);
    h.delete('f1');
    h.delete('nope');
    h.delete('f2');
    expect(h.scanDeletions).toBe((start + 2) % SCAN_EPOCH_MOD);
    const small = filled(3);
    const s = small.scanDeletions;
    small.delete('f0');
    expect(small.scanDeletions).toBe((s + 1) % SCAN_EPOCH_MOD);
  });

  it('copies are independent and keep the encoding', () => {
    for (const n of [3, 30]) {
      const h = filled(n);
      h.set('long', 'x'.repeat(100), DEFAULTS);
      const c = h.copy();
      expect(c.encoding()).toBe('hashtable');
      expect(entries(c)).toEqual(entries(h));
      c.set('new', '1', DEFAULTS);
      h.delete('f0');
      expect(c.has('f0')).toBe(true);
      expect(h.has('new')).toBe(false);
    }
    const small = filled(2);
    const c = small.copy();
    c.set('f0', 'other', DEFAULTS);
    expect(small.get('f0')).toBe('v0');
    expect(c.encoding()).toBe('listpack');
  });

  it('can be scanned in either form (a small hash gets its Map form, still a listpack)', () => {
    const h = filled(5);
    const r = scanCollection(h, 0n, 100);
    expect(r).toEqual({ next: 0n, entries: entries(h) });
    expect(h.encoding()).toBe('listpack');
    h.set('more', '1', DEFAULTS);
    expect(entries(h).at(-1)).toEqual(['more', '1']);
  });
});

describe('random fields', () => {
  it('randomEntry returns pairs of the hash, in either form', () => {
    for (const n of [1, 5, 40]) {
      const h = filled(n);
      for (let i = 0; i < 100; i++) {
        const [f, v] = h.randomEntry();
        expect(h.get(f)).toBe(v);
      }
    }
  });

  it('randomDistinctEntries: count distinct pairs; selection sampling keeps the hash order', () => {
    for (const [n, count] of [[10, 3], [10, 9], [100, 50], [100, 5], [1000, 3]] as const) {
      const h = filled(n);
      const order = entries(h).map(([f]) => f);
      for (let round = 0; round < 20; round++) {
        const picks = h.randomDistinctEntries(count);
        expect(picks).toHaveLength(count);
        expect(new Set(picks.map(([f]) => f)).size).toBe(count);
        for (const [f, v] of picks) expect(h.get(f)).toBe(v);
        if (count * 3 > n || n <= ARRAY_MAX_FIELDS) {
          const positions = picks.map(([f]) => order.indexOf(f));
          expect(positions).toEqual([...positions].sort((a, b) => a - b));
        }
      }
    }
  });

  it('the Map-form sampler follows additions and removals', () => {
    const h = filled(50);
    h.randomEntry(); // builds it
    h.set('late', 'x', DEFAULTS);
    let sawLate = false;
    for (let i = 0; i < 2000 && !sawLate; i++) sawLate = h.randomEntry()[0] === 'late';
    expect(sawLate).toBe(true);
    for (let i = 0; i < 50; i++) h.delete(`f${i}`);
    for (let i = 0; i < 50; i++) expect(h.randomEntry()).toEqual(['late', 'x']);
    expect(h.randomDistinctEntries(0)).toEqual([]);
  });
});
