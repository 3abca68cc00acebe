import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ZSetValue, type ZSetLimits } from './zset.js';

const LIMITS: ZSetLimits = { maxListpackEntries: 128, maxListpackValue: 64 };

/** The reference: a sorted array of [score, member]. */
function model(entries: Map<string, number>): [number, string][] {
  return [...entries].map(([m, s]): [number, string] => [s, m])
    .sort((x, y) => (x[0] - y[0]) || (x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0));
}

function contents(z: ZSetValue): [number, string][] {
  const out: [number, string][] = [];
  z.each(0, z.size - 1, false, (m, s) => out.push([s, m]));
  return out;
}

describe('ZSetValue', () => {
  it('keeps order, ranks and ranges through random inserts, updates and deletes', () => {
    const op = fc.oneof(
      fc.tuple(fc.constant('set' as const), fc.integer({ min: 0, max: 400 }), fc.integer({ min: -20, max: 20 })),
      fc.tuple(fc.constant('del' as const), fc.integer({ min: 0, max: 400 }), fc.constant(0)),
    );
    fc.assert(fc.property(fc.array(op, { maxLength: 1500 }), (ops) => {
      const z = new ZSetValue();
      const ref = new Map<string, number>();
      for (const [kind, i, score] of ops) {
        const member = `m${i}`;
        if (kind === 'set') { z.set(member, score, LIMITS); ref.set(member, score); } else {
          expect(z.delete(member)).toBe(ref.delete(member));
        }
      }
      z.checkInvariants();
      const sorted = model(ref);
      expect(contents(z)).toEqual(sorted);
      expect(z.size).toBe(ref.size);
      sorted.forEach(([, m], r) => { expect(z.rank(m)).toBe(r); expect(z.at(r)[0]).toBe(m); });
      const reversed: string[] = [];
      z.each(0, z.size - 1, true, (m) => reversed.push(m));
      expect(reversed).toEqual(sorted.map(([, m]) => m).reverse());
      for (const [min, max] of [[-5, 5], [0, 0], [3, -3], [-Infinity, 2]] as const) {
        const [first, end] = z.scoreRange(min, false, max, true);
        expect(end - first).toBe(sorted.filter(([s]) => s >= min && s < max).length);
        if (end > first) expect(z.at(first)[1]).toBeGreaterThanOrEqual(min);
      }
    }), { numRuns: 60 });
  });

  it('holds 200k members with O(log n) ranks, and survives removing them all', () => {
    const z = new ZSetValue();
    const n = 200_000;
    for (let i = 0; i < n; i++) z.set(`member:${i}`, (i * 7919) % n, LIMITS);
    z.checkInvariants();
    expect(z.rank('member:0')).toBe(0);
    expect(z.at(n - 1)[1]).toBe(n - 1);
    const [first, end] = z.scoreRange(1000, true, 2000, false);
    expect([first, end]).toEqual([1001, 2001]);
    expect(z.encoding()).toBe('skiplist');
    for (let i = 0; i < n; i += 2) z.delete(`member:${i}`);
    z.checkInvariants();
    for (let i = 1; i < n; i += 2) z.delete(`member:${i}`);
    expect(z.size).toBe(0);
    z.checkInvariants();
  });

  it('scoreWindow answers score ranges with LIMIT as the ranks do, both ways, any offset', () => {
    // Many ties (scores 0..59 over 3000 members) so windows cross leaves and tie runs; offsets
    // past 2 × FANOUT take the by-rank path.
    const z = new ZSetValue();
    const n = 3000;
    for (let i = 0; i < n; i++) z.set(`m${(i * 7) % n}`, (i * 13) % 60, LIMITS);
    const all = contents(z);
    const bound = fc.tuple(fc.integer({ min: -2, max: 62 }), fc.boolean());
    fc.assert(fc.property(bound, bound, fc.boolean(), fc.integer({ min: -1, max: 400 }), fc.integer({ min: -1, max: 300 }),
      ([min, minEx], [max, maxEx], reverse, offset, limit) => {
        const inRange = all.filter(([s]) => (minEx ? s > min : s >= min) && (maxEx ? s < max : s <= max));
        if (reverse) inRange.reverse();
        const want = offset < 0 ? [] : inRange.slice(offset, limit < 0 ? undefined : offset + limit);
        const members: string[] = [];
        const scores: number[] = [];
        z.scoreWindow(min, minEx, max, maxEx, reverse, offset, limit, members, scores);
        expect(members).toEqual(want.map(([, m]) => m));
        expect(scores).toEqual(want.map(([s]) => s));
      }), { numRuns: 300 });
  });

  it('orders ties by member bytes and lex ranges over equal scores', () => {
    const z = new ZSetValue();
    for (const m of ['b', 'a', '\xff', '\x00', 'ab', 'B']) z.set(m, 0, LIMITS);
    expect(contents(z).map(([, m]) => m)).toEqual(['\x00', 'B', 'a', 'ab', 'b', '\xff']);
    expect(z.lexRange('a', false, 'b', true)).toEqual([2, 4]);
    expect(z.lexRange('a', true, undefined, false)).toEqual([3, 6]);
    expect(z.lexRange(undefined, false, 'a', true)).toEqual([0, 2]);
  });

  it('keeps -0 and 0 as the scores given in a skiplist', () => {
    const z = new ZSetValue();
    z.markSkiplist();
    z.set('x', 0, LIMITS);
    z.set('x', -0, LIMITS);
    expect(Object.is(z.score('x'), -0)).toBe(true);
    expect(Object.is(z.at(0)[1], -0)).toBe(true);
    z.checkInvariants();
  });

  it('stores -0 as 0 while a listpack, as Redis 7.0 writes listpack scores', () => {
    const one = { maxListpackEntries: 1, maxListpackValue: 64 };
    const z = new ZSetValue();
    z.set('a', -0, one);
    expect(Object.is(z.score('a'), 0)).toBe(true);
    // The insertion that converts goes into the skiplist: its -0 stays.
    z.set('b', -0, one);
    expect(z.encoding()).toBe('skiplist');
    expect(Object.is(z.score('b'), -0)).toBe(true);
    expect(Object.is(z.at(0)[1], 0) && Object.is(z.at(1)[1], -0)).toBe(true);
    // A built value that fits a listpack loses its -0s.
    const built = new ZSetValue();
    for (const m of ['p', 'q', 'r']) built.insert(-0, m);
    built.insert(1, 's');
    built.fitEncoding(LIMITS);
    expect(built.encoding()).toBe('listpack');
    expect(['p', 'q', 'r'].every((m) => Object.is(built.score(m), 0) && Object.is(built.at(built.rank(m)!)[1], 0))).toBe(true);
    built.checkInvariants();
  });

  it('picks random elements, distinct ones without repeats', () => {
    const z = new ZSetValue();
    for (let i = 0; i < 1000; i++) z.set(`m${i}`, i, LIMITS);
    const [m, s] = z.random();
    expect(z.score(m)).toBe(s);
    for (const count of [1, 5, 400, 999]) {
      const { members, scores } = z.randomDistinct(count);
      expect(new Set(members).size).toBe(count);
      members.forEach((x, i) => expect(z.score(x)).toBe(scores[i]));
    }
  });

  it('reports listpack until the limits are passed, and copies deeply', () => {
    const z = new ZSetValue();
    const small = { maxListpackEntries: 3, maxListpackValue: 4 };
    z.set('a', 1, small);
    z.set('b', 2, small);
    z.set('c', 3, small);
    expect(z.encoding()).toBe('listpack');
    const dup = z.copy();
    z.set('d', 4, small);
    expect(z.encoding()).toBe('skiplist');
    expect(dup.encoding()).toBe('listpack');
    expect(dup.size).toBe(3);
    z.delete('d');
    expect(z.encoding()).toBe('skiplist');
    z.fitEncoding(small);
    expect(z.encoding()).toBe('listpack');
    const long = new ZSetValue();
    long.set('toolong', 1, small);
    expect(long.encoding()).toBe('skiplist');
  });

  it('fromSorted builds a valid tree of any size that later edits keep valid', () => {
    for (const n of [0, 1, 47, 48, 49, 3000, 150_000]) {
      const members = Array.from({ length: n }, (_, i) => `m${String(i).padStart(7, '0')}`);
      const scores = members.map((_, i) => Math.floor(i / 3));
      const z = ZSetValue.fromSorted(members, scores);
      z.checkInvariants();
      expect(z.size).toBe(n);
      if (n === 0) continue;
      expect(z.rank(members[n - 1]!)).toBe(n - 1);
      expect(z.at(Math.floor(n / 2))).toEqual([members[Math.floor(n / 2)], scores[Math.floor(n / 2)]]);
      for (let i = 0; i < n; i += 7) z.delete(members[i]!);
      for (let i = 0; i < 200; i++) z.set(`new${i}`, i - 100, LIMITS);
      z.checkInvariants();
      const copy = z.copy();
      copy.checkInvariants();
      expect(contents(copy)).toEqual(contents(z));
    }
  });
});
