import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  applyOverflow, bitop, countBitRange, countBits, findBit, overflowOf, popcount32, readField, readSignedField, writeField,
  type BitOperation,
} from './bitmap.js';

// ------------------------------------------------------------------ naive references (one bit at a time)

const bitOf = (bytes: Uint8Array, i: number): number => (i >> 3 < bytes.length ? (bytes[i >> 3]! >> (7 - (i & 7))) & 1 : 0);

function naiveCount(bytes: Uint8Array, fromBit: number, toBit: number): number {
  let n = 0;
  for (let i = fromBit; i <= toBit; i++) n += bitOf(bytes, i);
  return n;
}

function naiveFind(bytes: Uint8Array, fromBit: number, toBit: number, bit: number): number {
  for (let i = fromBit; i <= toBit; i++) if (bitOf(bytes, i) === bit) return i;
  return -1;
}

function naiveRead(bytes: Uint8Array, offset: number, bits: number): bigint {
  let v = 0n;
  for (let i = 0; i < bits; i++) v = (v << 1n) | BigInt(bitOf(bytes, offset + i));
  return v;
}

/** Bytes at an arbitrary alignment inside a larger buffer, so both the word and the byte paths run. */
const bytesArb = fc.tuple(fc.uint8Array({ minLength: 0, maxLength: 200 }), fc.integer({ min: 0, max: 7 }))
  .map(([data, shift]) => {
    const backing = new Uint8Array(data.length + shift);
    backing.set(data, shift);
    return backing.subarray(shift);
  });

/** Mostly-uniform bytes (long 0x00 / 0xff runs) to exercise the word skipping of findBit. */
const runsArb = fc.tuple(fc.integer({ min: 1, max: 300 }), fc.constantFrom(0, 0xff), fc.integer({ min: 0, max: 299 }),
  fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 7 }))
  .map(([n, fill, at, odd, shift]) => {
    const backing = new Uint8Array(n + shift).fill(fill);
    const bytes = backing.subarray(shift);
    if (at < n) bytes[at] = odd;
    return bytes;
  });

describe('popcount', () => {
  it('counts the bits of 32-bit words, including the sign bit', () => {
    expect(popcount32(0)).toBe(0);
    expect(popcount32(-1)).toBe(32);
    expect(popcount32(0x80000000 | 0)).toBe(1);
    expect(popcount32(0x55555555)).toBe(16);
    expect(popcount32(0x0f0f0001)).toBe(9);
  });

  it('countBits and countBitRange agree with a bit-by-bit count at any alignment', () => {
    fc.assert(fc.property(bytesArb, fc.nat(), fc.nat(), (bytes, a, b) => {
      expect(countBits(bytes)).toBe(naiveCount(bytes, 0, bytes.length * 8 - 1));
      if (bytes.length === 0) return;
      const total = bytes.length * 8;
      const from = Math.min(a, b) % total;
      const to = Math.max(from, Math.max(a, b) % total);
      expect(countBitRange(bytes, from, to)).toBe(naiveCount(bytes, from, to));
      const startByte = from >> 3;
      const endByte = to >> 3;
      expect(countBits(bytes, startByte, endByte + 1)).toBe(naiveCount(bytes, startByte * 8, endByte * 8 + 7));
    }), { numRuns: 300 });
  });

  it('counts a few MiB exactly', () => {
    const bytes = new Uint8Array(3 * 1024 * 1024 + 3);
    for (let i = 0; i < bytes.length; i += 3) bytes[i] = 0x81; // 2 bits every 3 bytes
    expect(countBits(bytes)).toBe(Math.ceil(bytes.length / 3) * 2);
    expect(countBits(bytes.subarray(1))).toBe(Math.ceil(bytes.length / 3) * 2 - 2);
  });
});

describe('findBit', () => {
  it('finds the first 1 or 0 in a bit range like a bit-by-bit scan', () => {
    fc.assert(fc.property(fc.oneof(bytesArb, runsArb), fc.nat(), fc.nat(), fc.constantFrom<0 | 1>(0, 1), (bytes, a, b, bit) => {
      if (bytes.length === 0) return;
      const total = bytes.length * 8;
      const from = Math.min(a, b) % total;
      const to = Math.max(from, Math.max(a, b) % total);
      expect(findBit(bytes, from, to, bit)).toBe(naiveFind(bytes, from, to, bit));
      expect(findBit(bytes, 0, total - 1, bit)).toBe(naiveFind(bytes, 0, total - 1, bit));
    }), { numRuns: 400 });
  });

  it('skips long uniform runs to a match near the end', () => {
    const zeros = new Uint8Array(1 << 20);
    zeros[zeros.length - 2] = 0x10;
    expect(findBit(zeros, 0, zeros.length * 8 - 1, 1)).toBe((zeros.length - 2) * 8 + 3);
    const ones = new Uint8Array(1 << 20).fill(0xff);
    expect(findBit(ones, 0, ones.length * 8 - 1, 0)).toBe(-1);
    ones[100000] = 0xfe;
    expect(findBit(ones, 5, ones.length * 8 - 1, 0)).toBe(100000 * 8 + 7);
  });
});

describe('JS string sources, read in 64 KiB pieces', () => {
  // Sparse set bits over ~200 KiB, so ranges cross piece boundaries with few matches.
  const bytes = new Uint8Array(200_003);
  for (let i = 0; i < bytes.length; i += 7919) bytes[i] = 1 << (i % 8);
  bytes.fill(0xff, 65_530, 65_545);
  const str = Buffer.from(bytes).toString('latin1');
  const total = bytes.length * 8;

  it('count and search as the same bytes in a Buffer do', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: total - 1 }), fc.integer({ min: 0, max: total - 1 }), fc.constantFrom<0 | 1>(0, 1), (a, b, bit) => {
      const from = Math.min(a, b);
      const to = Math.max(a, b);
      expect(countBitRange(str, from, to)).toBe(countBitRange(bytes, from, to));
      expect(findBit(str, from, to, bit)).toBe(findBit(bytes, from, to, bit));
    }), { numRuns: 200 });
    expect(countBitRange(str, 0, total - 1)).toBe(naiveCount(bytes, 0, total - 1));
    expect(findBit(str, 65_546 * 8, total - 1, 1)).toBe(naiveFind(bytes, 65_546 * 8, total - 1, 1));
    expect(findBit(str, 65_530 * 8, total - 1, 0)).toBe(65_545 * 8);
  });

  it('combine in BITOP as Buffers do', () => {
    const other = Buffer.alloc(150_001, 0x5a);
    for (const op of ['AND', 'OR', 'XOR'] as const) {
      const a = new Uint8Array(bytes.length);
      const b = new Uint8Array(bytes.length);
      bitop(op, [str, other.toString('latin1')], a, bytes.length);
      bitop(op, [bytes, other], b, bytes.length);
      expect(Buffer.from(a).equals(Buffer.from(b)), op).toBe(true);
    }
    const a = new Uint8Array(bytes.length);
    bitop('NOT', [str], a, bytes.length);
    expect(a[65_531]).toBe(0);
    expect(a[1]).toBe(0xff);
    expect(a[7919]).toBe(~bytes[7919]! & 0xff);
  });
});

describe('bitop', () => {
  const naive = (op: BitOperation, sources: Uint8Array[], length: number): number[] => Array.from({ length }, (_, i) => {
    const at = (s: Uint8Array) => (i < s.length ? s[i]! : 0);
    if (op === 'NOT') return ~at(sources[0]!) & 0xff;
    return sources.map(at).reduce((x, y) => (op === 'AND' ? x & y : op === 'OR' ? x | y : x ^ y));
  });

  it('combines zero-padded sources of any length and alignment', () => {
    fc.assert(fc.property(fc.constantFrom<BitOperation>('AND', 'OR', 'XOR', 'NOT'), fc.array(bytesArb, { minLength: 1, maxLength: 4 }), (op, sources) => {
      const used = op === 'NOT' ? sources.slice(0, 1) : sources;
      const length = Math.max(...used.map((s) => s.length));
      const out = new Uint8Array(length);
      bitop(op, used, out, length);
      expect(Array.from(out)).toEqual(naive(op, used, length));
    }), { numRuns: 300 });
  });
});

describe('bitfield fields', () => {
  it('reads fields most significant bit first, zeros past the end, signed by two\'s complement', () => {
    const bytes = Uint8Array.from([0b10110000, 0xff]);
    expect(readField(bytes, 2, 0, 4)).toBe(0b1011n);
    expect(readSignedField(bytes, 2, 0, 4)).toBe(-5n);
    expect(readField(bytes, 2, 12, 8)).toBe(0xf0n); // runs past the end: zeros
    expect(readField('\x80', 1, 0, 1)).toBe(1n);
    expect(readSignedField('\x80', 1, 0, 64)).toBe(-(2n ** 63n));
    expect(readField('\xff\xff\xff\xff\xff\xff\xff\xff\xff', 9, 3, 63)).toBe(2n ** 63n - 1n);
  });

  it('reads what a bit-by-bit reader reads, for JS strings and buffers', () => {
    fc.assert(fc.property(bytesArb, fc.integer({ min: 0, max: 1700 }), fc.integer({ min: 1, max: 64 }), (bytes, offset, bits) => {
      const expected = naiveRead(bytes, offset, bits);
      expect(readField(bytes, bytes.length, offset, bits)).toBe(expected);
      expect(readField(Buffer.from(bytes).toString('latin1'), bytes.length, offset, bits)).toBe(expected);
      expect(readSignedField(bytes, bytes.length, offset, bits)).toBe(BigInt.asIntN(bits, expected));
    }), { numRuns: 400 });
  });

  it('writes a field and touches no other bit', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 9, maxLength: 40 }), fc.integer({ min: 1, max: 64 }), fc.bigInt(), fc.nat(), (bytes, bits, value, at) => {
      const offset = at % (bytes.length * 8 - bits + 1);
      const before = Uint8Array.from(bytes);
      writeField(bytes, offset, bits, value);
      expect(naiveRead(bytes, offset, bits)).toBe(BigInt.asUintN(bits, value));
      for (let i = 0; i < bytes.length * 8; i++) {
        if (i < offset || i >= offset + bits) expect(bitOf(bytes, i)).toBe(bitOf(before, i));
      }
    }), { numRuns: 300 });
  });

  it('applies WRAP, SAT and FAIL', () => {
    const I64_MIN = -(2n ** 63n);
    expect(applyOverflow(255n, 0n, 8, false, 'FAIL')).toBe(255n);
    expect(applyOverflow(255n, 1n, 8, false, 'WRAP')).toBe(0n);
    expect(applyOverflow(255n, 1n, 8, false, 'SAT')).toBe(255n);
    expect(applyOverflow(0n, -1n, 8, false, 'SAT')).toBe(0n);
    expect(applyOverflow(0n, -1n, 8, false, 'WRAP')).toBe(255n);
    expect(applyOverflow(0n, -1n, 8, false, 'FAIL')).toBeUndefined();
    expect(applyOverflow(2n ** 64n - 1n, 0n, 8, false, 'SAT')).toBe(255n); // SET u8 -1: its uint64 bits are above the range
    expect(applyOverflow(128n, 0n, 8, true, 'WRAP')).toBe(-128n);
    expect(applyOverflow(-129n, 0n, 8, true, 'SAT')).toBe(-128n);
    expect(applyOverflow(2n ** 63n - 1n, 1n, 64, true, 'WRAP')).toBe(I64_MIN);
    expect(applyOverflow(2n ** 63n - 1n, 1n, 64, true, 'SAT')).toBe(2n ** 63n - 1n);
    expect(applyOverflow(I64_MIN, -1n, 64, true, 'SAT')).toBe(I64_MIN);
    expect(applyOverflow(2n ** 63n - 1n, I64_MIN, 63, false, 'SAT')).toBe(0n);
    expect(applyOverflow(0n, 1n, 1, true, 'WRAP')).toBe(-1n);
    expect(applyOverflow(0n, 0n, 1, true, 'FAIL')).toBe(0n);
  });

  it('reports overflow where Redis\'s int64 arithmetic wraps: SET far below a signed range', () => {
    // max - value wraps negative below max - INT64_MAX, and Redis reports an overflow there.
    const I64_MIN = -(2n ** 63n);
    expect(overflowOf(I64_MIN + 15n, 0n, 5, true)).toBe(1);
    expect(overflowOf(I64_MIN + 16n, 0n, 5, true)).toBe(-1);
    expect(applyOverflow(I64_MIN, 0n, 5, true, 'SAT')).toBe(15n);
    expect(applyOverflow(I64_MIN, 0n, 5, true, 'WRAP')).toBe(0n);
    expect(applyOverflow(-17n, 0n, 5, true, 'SAT')).toBe(-16n);
    expect(overflowOf(I64_MIN, 0n, 64, true)).toBe(0);
  });
});
