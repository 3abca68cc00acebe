import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CHUNK_SIZE, ListValue } from './list.js';

/**
 * The chunked deque against a plain array model: every operation, at the ends and in the
 * middle, on lists long enough to span many chunks, with the structure's invariants checked
 * after each step.
 */

function checkInvariants(list: ListValue, model: string[]): void {
  expect(list.length).toBe(model.length);
  expect(list.toArray()).toEqual(model);
  const sizes = list.chunkSizes();
  expect(sizes.reduce((a, b) => a + b, 0)).toBe(model.length);
  for (const s of sizes) {
    expect(s).toBeGreaterThan(0);
    expect(s).toBeLessThanOrEqual(CHUNK_SIZE);
  }
  // O(n / CHUNK_SIZE) chunks: splits leave halves, small chunks merge with small neighbours.
  expect(sizes.length).toBeLessThanOrEqual(Math.ceil((8 * model.length) / CHUNK_SIZE) + 4);
}

type Op =
  | { kind: 'pushHead' | 'pushTail'; n: number }
  | { kind: 'popHead' | 'popTail'; n: number }
  | { kind: 'insert' | 'removeAt' | 'set' | 'at'; where: number }
  | { kind: 'trim'; a: number; b: number }
  | { kind: 'removeValue'; value: number; limit: number; fromTail: boolean }
  | { kind: 'range'; a: number; b: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constantFrom('pushHead' as const, 'pushTail' as const), n: fc.integer({ min: 1, max: 1500 }) }),
  fc.record({ kind: fc.constantFrom('popHead' as const, 'popTail' as const), n: fc.integer({ min: 1, max: 1000 }) }),
  fc.record({ kind: fc.constantFrom('insert' as const, 'removeAt' as const, 'set' as const, 'at' as const), where: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ kind: fc.constant('trim' as const), a: fc.double({ min: 0, max: 1, noNaN: true }), b: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ kind: fc.constant('removeValue' as const), value: fc.integer({ min: 0, max: 9 }), limit: fc.integer({ min: 0, max: 600 }), fromTail: fc.boolean() }),
  fc.record({ kind: fc.constant('range' as const), a: fc.double({ min: 0, max: 1, noNaN: true }), b: fc.double({ min: 0, max: 1, noNaN: true }) }),
);

describe('ListValue', () => {
  it('pushes and pops at both ends in order', () => {
    const list = new ListValue();
    list.pushTail('b');
    list.pushHead('a');
    list.pushTail('c');
    expect(list.toArray()).toEqual(['a', 'b', 'c']);
    expect(list.popHead()).toBe('a');
    expect(list.popTail()).toBe('c');
    expect(list.popTail()).toBe('b');
    expect(list.popHead()).toBeUndefined();
    expect(list.length).toBe(0);
    expect(list.encoding()).toBe('quicklist');
    expect(list.type).toBe('list');
  });

  it('spans many chunks from either end and reads any index', () => {
    const list = new ListValue();
    const model: string[] = [];
    for (let i = 0; i < 5000; i++) {
      list.pushTail(`t${i}`);
      model.push(`t${i}`);
      list.pushHead(`h${i}`);
      model.unshift(`h${i}`);
    }
    checkInvariants(list, model);
    for (const i of [0, 1, 1023, 1024, 1025, 4999, 5000, 9999]) expect(list.at(i)).toBe(model[i]);
    expect(list.at(-1)).toBeUndefined();
    expect(list.at(10000)).toBeUndefined();
    expect(list.set(7000, 'x')).toBe(true);
    expect(list.set(10000, 'x')).toBe(false);
    model[7000] = 'x';
    checkInvariants(list, model);
  });

  it('copy() is independent of the original', () => {
    const list = ListValue.from(Array.from({ length: 2100 }, (_, i) => String(i)));
    const dup = list.copy();
    list.set(0, 'changed');
    list.popTail();
    dup.pushHead('new');
    expect(dup.length).toBe(2101);
    expect(dup.at(1)).toBe('0');
    expect(dup.at(2100)).toBe('2099');
    expect(list.at(0)).toBe('changed');
    expect(list.length).toBe(2099);
  });

  it('inserting again and again at one middle position splits chunks and keeps order', () => {
    const list = ListValue.from(Array.from({ length: 3000 }, (_, i) => `e${i}`));
    const model = list.toArray();
    for (let i = 0; i < 4000; i++) {
      list.insert(1500, `n${i}`);
      model.splice(1500, 0, `n${i}`);
    }
    checkInvariants(list, model);
    for (let i = 0; i < 6000; i++) {
      const at = (i * 7919) % list.length;
      expect(list.removeAt(at)).toBe(model.splice(at, 1)[0]);
    }
    checkInvariants(list, model);
  });

  it('removeValue from the head, the tail, and all', () => {
    const values = Array.from({ length: 4500 }, (_, i) => (i % 3 === 0 ? 'x' : `v${i}`));
    const fromHead = ListValue.from(values);
    expect(fromHead.removeValue('x', 2, false)).toBe(2);
    expect(fromHead.at(0)).toBe('v1');
    const fromTail = ListValue.from(values);
    expect(fromTail.removeValue('x', 1, true)).toBe(1);
    expect(fromTail.at(fromTail.length - 1)).toBe('v4499');
    expect(fromTail.toArray().filter((v) => v === 'x').length).toBe(1499);
    const all = ListValue.from(values);
    expect(all.removeValue('x', Infinity, false)).toBe(1500);
    checkInvariants(all, values.filter((v) => v !== 'x'));
    expect(all.removeValue('nothing', Infinity, false)).toBe(0);
  });

  it('trim keeps a middle range across chunks', () => {
    const values = Array.from({ length: 5000 }, (_, i) => String(i));
    const list = ListValue.from(values);
    list.trim(1300, 3700);
    checkInvariants(list, values.slice(1300, 3701));
    list.removeHead(list.length);
    checkInvariants(list, []);
  });

  it('scan visits with indexes from either end and stops when asked', () => {
    const list = ListValue.from(['a', 'b', 'a', 'c']);
    const seen: [string, number][] = [];
    list.scan(true, (v, i) => { seen.push([v, i]); return v !== 'b'; });
    expect(seen).toEqual([['c', 3], ['a', 2], ['b', 1]]);
    expect(list.indexOf('a')).toBe(0);
    expect(list.indexOf('z')).toBe(-1);
  });

  it('matches an array under random operations (model-based)', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 40 }), (ops) => {
        const list = new ListValue();
        const model: string[] = [];
        let serial = 0;
        const value = (): string => String(serial++ % 10);
        for (const op of ops) {
          const len = model.length;
          switch (op.kind) {
            case 'pushHead':
              for (let i = 0; i < op.n; i++) { const v = value(); list.pushHead(v); model.unshift(v); }
              break;
            case 'pushTail':
              for (let i = 0; i < op.n; i++) { const v = value(); list.pushTail(v); model.push(v); }
              break;
            case 'popHead':
              for (let i = 0; i < op.n; i++) expect(list.popHead()).toBe(model.shift());
              break;
            case 'popTail':
              for (let i = 0; i < op.n; i++) expect(list.popTail()).toBe(model.pop());
              break;
            case 'insert': {
              const at = Math.floor(op.where * (len + 1));
              const v = value();
              list.insert(at, v);
              model.splice(at, 0, v);
              break;
            }
            case 'removeAt':
              if (len > 0) {
                const at = Math.min(len - 1, Math.floor(op.where * len));
                expect(list.removeAt(at)).toBe(model.splice(at, 1)[0]);
              }
              break;
            case 'set':
              if (len > 0) {
                const at = Math.min(len - 1, Math.floor(op.where * len));
                list.set(at, 'S');
                model[at] = 'S';
              }
              break;
            case 'at': {
              const at = Math.floor(op.where * (len + 1));
              expect(list.at(at)).toBe(model[at]);
              break;
            }
            case 'trim':
              if (len > 0) {
                const a = Math.min(len - 1, Math.floor(Math.min(op.a, op.b) * len));
                const b = Math.min(len - 1, Math.floor(Math.max(op.a, op.b) * len));
                list.trim(a, b);
                model.splice(b + 1);
                model.splice(0, a);
              }
              break;
            case 'removeValue': {
              const v = String(op.value);
              const limit = op.limit === 0 ? Infinity : op.limit;
              let removed = 0;
              if (!op.fromTail) {
                for (let i = 0; i < model.length && removed < limit;) {
                  if (model[i] === v) { model.splice(i, 1); removed++; } else i++;
                }
              } else {
                for (let i = model.length - 1; i >= 0 && removed < limit; i--) {
                  if (model[i] === v) { model.splice(i, 1); removed++; }
                }
              }
              expect(list.removeValue(v, limit, op.fromTail)).toBe(removed);
              break;
            }
            case 'range':
              if (len > 0) {
                const a = Math.min(len - 1, Math.floor(Math.min(op.a, op.b) * len));
                const b = Math.min(len - 1, Math.floor(Math.max(op.a, op.b) * len));
                const got: string[] = [];
                list.forEachInRange(a, b, (v) => got.push(v));
                expect(got).toEqual(model.slice(a, b + 1));
              }
              break;
          }
          checkInvariants(list, model);
        }
      }),
      { numRuns: 150 },
    );
  });
});
