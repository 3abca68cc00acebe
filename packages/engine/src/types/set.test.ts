import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  SetValue, difference, forEachInIntersection, intersection, intersectionSize, sampleIndices, union,
} from './set.js';

const MAX = 512;

function setOf(members: readonly string[], max = MAX): SetValue {
  const s = new SetValue();
  for (const m of members) s.add(m, max);
  return s;
}

const sorted = (a: readonly string[]) => [...a].sort();
const numeric = (a: readonly string[]) => [...a].sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : BigInt(x) > BigInt(y) ? 1 : 0));

describe('SetValue: intset encoding', () => {
  it('stays an intset for canonical int64 members, sorted ascending', () => {
    const s = setOf(['3', '-1', '100000', '0', '9223372036854775807', '-9223372036854775808', '3']);
    expect(s.encoding()).toBe('intset');
    expect(s.size).toBe(6);
    expect(s.members()).toEqual(['-9223372036854775808', '-1', '0', '3', '100000', '9223372036854775807']);
  });

  it('widens int16 → int32 → double → int64 keeping order and membership, never narrowing', () => {
    const s = setOf(['5', '-7']);
    const steps = ['40000', '-3000000000', '9007199254740991', '9007199254740992', '-9007199254740993'];
    const all = ['5', '-7'];
    for (const m of steps) {
      expect(s.add(m, MAX)).toBe(true);
      all.push(m);
      expect(s.encoding()).toBe('intset');
      expect(s.members()).toEqual(numeric(all));
      for (const x of all) expect(s.has(x)).toBe(true);
    }
    for (const m of steps) expect(s.delete(m)).toBe(true);
    expect(s.members()).toEqual(['-7', '5']);
    expect(s.add('6', MAX)).toBe(true);
    expect(s.members()).toEqual(['-7', '5', '6']);
  });

  it('answers has/delete for non-integers and out-of-width values without converting', () => {
    const s = setOf(['1', '2']);
    for (const m of ['a', '01', '-0', '+1', '1.0', ' 1', '', '9223372036854775808', '70000', '9007199254740993']) {
      expect(s.has(m)).toBe(false);
      expect(s.delete(m)).toBe(false);
    }
    expect(s.encoding()).toBe('intset');
  });

  it('converts to hashtable on a non-integer or past the entry limit, and never back', () => {
    const a = setOf(['1', '2']);
    expect(a.add('x', MAX)).toBe(true);
    expect(a.encoding()).toBe('hashtable');
    expect(a.members()).toEqual(['1', '2', 'x']); // ascending order carried into insertion order
    a.delete('x');
    expect(a.encoding()).toBe('hashtable');

    const b = setOf(['1', '2'], 2);
    expect(b.encoding()).toBe('intset');
    expect(b.add('2', 2)).toBe(false); // a duplicate does not count against the limit
    expect(b.encoding()).toBe('intset');
    b.add('3', 2);
    expect(b.encoding()).toBe('hashtable');
    expect(sorted(b.members())).toEqual(['1', '2', '3']);

    expect(setOf(['1'], 0).encoding()).toBe('hashtable'); // set-max-intset-entries 0
  });

  it('gives memory back as it empties (and keeps working)', () => {
    const s = new SetValue();
    for (let i = 0; i < 500; i++) s.add(String(i * 3), MAX);
    for (let i = 0; i < 495; i++) s.delete(String(i * 3));
    expect(s.members()).toEqual(['1485', '1488', '1491', '1494', '1497']);
    expect(s.add('1', MAX)).toBe(true);
    expect(s.members()[0]).toBe('1');
  });
});

describe('SetValue: hashtable encoding', () => {
  it('adds, finds and removes binary-safe members', () => {
    const s = setOf(['a', '', '\x00\xff', 'b c', '1']);
    expect(s.encoding()).toBe('hashtable');
    expect(s.add('a', MAX)).toBe(false);
    expect(s.has('')).toBe(true);
    expect(s.delete('\x00\xff')).toBe(true);
    expect(s.delete('\x00\xff')).toBe(false);
    expect(sorted(s.members())).toEqual(['', '1', 'a', 'b c']);
  });

  it('keeps canonical safe integers as numbers, other members as strings, without confusing them', () => {
    const s = setOf(['1', '01', '-0', '0', '9007199254740993', '-9007199254740991', 'a'], 2);
    expect(s.encoding()).toBe('hashtable');
    for (const m of ['1', '01', '-0', '0', '9007199254740993', '-9007199254740991', 'a']) expect(s.has(m), m).toBe(true);
    for (const m of ['+1', '1.0', '00', '9007199254740992', '-9007199254740992']) expect(s.has(m), m).toBe(false);
    expect(sorted(s.members())).toEqual(sorted(['1', '01', '-0', '0', '9007199254740993', '-9007199254740991', 'a']));
    expect(s.delete('01')).toBe(true);
    expect(s.has('1')).toBe(true);
    expect(s.delete('1')).toBe(true);
    expect(s.has('1')).toBe(false);
    // An intset in int64 width converts with the same keys.
    const big = setOf(['9223372036854775807', '5', '-9007199254740991']);
    big.add('x', MAX);
    for (const m of ['9223372036854775807', '5', '-9007199254740991', 'x']) expect(big.has(m), m).toBe(true);
    expect(big.members()).toEqual(['-9007199254740991', '5', '9223372036854775807', 'x']);
  });

  it('scans every member present throughout, under swap-removals and inserts', () => {
    const s = setOf(Array.from({ length: 100 }, (_, i) => `m${i}`));
    expect(() => setOf(['1']).scan(0n, 10)).toThrow();
    const seen = new Set<string>();
    let cursor = 0n;
    let round = 0;
    do {
      const r = s.scan(cursor, 7);
      for (const m of r.members) seen.add(m);
      cursor = r.next;
      // Churn between calls: swap-removals must not hide members that stay.
      if (round++ % 2 === 0) { s.delete(`m${90 - round}`); s.add(`new${round}`, MAX); }
    } while (cursor !== 0n);
    for (let i = 0; i < 100; i++) {
      const m = `m${i}`;
      if (s.has(m)) expect(seen.has(m)).toBe(true);
    }
  });
});

describe('SetValue: random members', () => {
  it('sampleIndices returns k distinct indices below n, for every k', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 200 }), fc.nat(), (n, kSeed) => {
      const k = kSeed % (n + 1);
      const picked = sampleIndices(n, k);
      expect(picked.size).toBe(k);
      for (const i of picked) expect(i >= 0 && i < n && Number.isInteger(i)).toBe(true);
    }));
  });

  it('picks every member of a small set eventually (not a fixed subset)', () => {
    for (const members of [['1', '2', '3', '4'], ['a', 'b', 'c', 'd']]) {
      const s = setOf(members);
      const seen = new Set<string>();
      for (let i = 0; i < 400; i++) seen.add(s.randomMember());
      expect(sorted([...seen])).toEqual(sorted(members));
      const distinct = new Set<string>();
      for (let i = 0; i < 400; i++) for (const m of s.randomDistinct(2)) distinct.add(m);
      expect(distinct.size).toBe(4);
    }
  });

  it('popRandom and popRandomMany remove distinct members in both encodings', () => {
    for (const members of [Array.from({ length: 50 }, (_, i) => String(i)), Array.from({ length: 50 }, (_, i) => `s${i}`)]) {
      const s = setOf(members);
      const one = s.popRandom();
      expect(s.has(one)).toBe(false);
      const many = s.popRandomMany(30);
      expect(new Set(many).size).toBe(30);
      expect(s.size).toBe(19);
      for (const m of many) { expect(members).toContain(m); expect(s.has(m)).toBe(false); }
      expect(sorted([...s.members(), ...many, one])).toEqual(sorted(members));
      const rest = s.randomDistinct(18);
      expect(new Set(rest).size).toBe(18);
      for (const m of rest) expect(s.has(m)).toBe(true);
    }
  });

  it('popping from a big hashtable set costs O(1) per member (no tail moves)', () => {
    const n = 200_000;
    const s = new SetValue();
    for (let i = 0; i < n; i++) s.add(`k${i}`, MAX);
    // 200k pops: quadratic work would be 2e10 steps and never finish within the test timeout.
    const popped = s.popRandomMany(n - 1);
    expect(popped.length).toBe(n - 1);
    expect(s.size).toBe(1);
  });
});

describe('SetValue: copy', () => {
  it('copies either encoding independently', () => {
    for (const members of [['1', '2', '3'], ['a', 'b', '1']]) {
      const s = setOf(members);
      const c = s.copy();
      expect(c.encoding()).toBe(s.encoding());
      c.add('z', MAX);
      c.delete(members[0]!);
      expect(sorted(s.members())).toEqual(sorted(members));
      expect(c.has('z')).toBe(true);
      expect(s.has('z')).toBe(false);
    }
  });
});

describe('set algebra', () => {
  const ints = setOf(['1', '2', '3', '4']);
  const mixed = setOf(['3', '4', '5', 'a']);

  it('intersects in the smallest set\'s order, with missing sets empty', () => {
    const out: string[] = [];
    forEachInIntersection([mixed, setOf(['4', '3'])], (m) => { out.push(m); });
    expect(out).toEqual(['3', '4']); // the smaller set is an intset: ascending
    expect(intersection([ints, undefined], MAX).size).toBe(0);
    expect(intersectionSize([ints, mixed], 0)).toBe(2);
    expect(intersectionSize([ints, mixed], 1)).toBe(1);
    expect(intersectionSize([ints, ints], 0)).toBe(4);
    expect(intersection([ints, mixed], MAX).encoding()).toBe('intset');
  });

  it('unions into a set that starts as an intset and converts as Redis\'s does', () => {
    expect(union([ints, undefined, setOf(['9'])], MAX).members()).toEqual(['1', '2', '3', '4', '9']);
    expect(union([ints, mixed], MAX).encoding()).toBe('hashtable');
    expect(union([ints], 3).encoding()).toBe('hashtable');
  });

  it('differences by either method with the same members', () => {
    expect(difference([ints, mixed], MAX).members()).toEqual(['1', '2']);
    expect(difference([undefined, ints], MAX).size).toBe(0);
    expect(difference([ints, ints], MAX).size).toBe(0);
    expect(difference([ints, undefined], MAX).members()).toEqual(['1', '2', '3', '4']);
    // Method 2 (first set much larger than the rest): copy then remove.
    const big = setOf(Array.from({ length: 20 }, (_, i) => String(i)));
    const d = difference([big, setOf(['0']), setOf(['1'])], MAX);
    expect(d.members()).toEqual(Array.from({ length: 18 }, (_, i) => String(i + 2)));
  });

  it('keeps Redis\'s encoding when method 2 passes through a set over the intset limit', () => {
    // 5 members, limit 4: method 2 (5 * 4 / 2 = 10 > 5 + 1 + 1 + 1) copies all 5 first,
    // converting, although the result has 2 members. Method 1 would leave an intset.
    const first = setOf(['1', '2', '3', '4', '5'], 4);
    const d = difference([first, setOf(['3'], 4), setOf(['4'], 4), setOf(['5'], 4)], 4);
    expect(sorted(d.members())).toEqual(['1', '2']);
    expect(d.encoding()).toBe('hashtable');
    const d1 = difference([first, setOf(['4', '5', '6', '7'], 4)], 4); // method 1: 5 <= 9
    expect(d1.encoding()).toBe('intset');
  });
});

describe('SetValue against a model', () => {
  it('behaves as a JS Set whatever the sequence of adds and removes', () => {
    const member = fc.oneof(
      fc.integer({ min: -40, max: 40 }).map(String),
      fc.constantFrom('9223372036854775807', '-9223372036854775808', '9007199254740993', '70000', 'a', 'b', '', '01', '-0'),
    );
    const op = fc.tuple(fc.constantFrom('add', 'delete', 'pop'), member);
    fc.assert(fc.property(fc.array(op, { maxLength: 120 }), fc.constantFrom(0, 3, 16, 512), (ops, max) => {
      const s = new SetValue();
      const model = new Set<string>();
      for (const [kind, m] of ops) {
        if (kind === 'add') expect(s.add(m, max)).toBe(!model.has(m));
        if (kind === 'add') model.add(m);
        if (kind === 'delete') expect(s.delete(m)).toBe(model.delete(m));
        if (kind === 'pop' && model.size > 0) {
          const p = s.popRandom();
          expect(model.delete(p)).toBe(true);
        }
        expect(s.size).toBe(model.size);
      }
      expect(sorted(s.members())).toEqual(sorted([...model]));
      for (const m of model) expect(s.has(m)).toBe(true);
      if (s.encoding() === 'intset') {
        expect(s.size).toBeLessThanOrEqual(max);
        expect(s.members()).toEqual(numeric([...model]));
      }
    }), { numRuns: 300 });
  });
});
