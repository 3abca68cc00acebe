import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CARDINALITY_OVERFLOW, HLL_DENSE, byteAfterEnd, HLL_DENSE_SIZE, HLL_REGISTERS, HLL_SPARSE, cachedCardinality, createHll,
  denseGet, estimate, hashElement, hllAdd, hllCardinality, hllMerge, hllSetRegister, hllStoreRegisters,
  invalidateCachedCardinality, isHll, registersCardinality, setCachedCardinality, sparseToDense,
} from './hyperloglog.js';
import { RawString } from './string.js';

const MAX = 3000;

// ------------------------------------------------------------------ references

const M = 0xc6a4a7935bd1e995n;
const MASK = (1n << 64n) - 1n;

/** MurmurHash64A written the obvious way with BigInt: the reference for the 32-bit-halves version. */
function referenceHash(element: string): { index: number; count: number } {
  const b = Buffer.from(element, 'latin1');
  let h = (0xadc83b19n ^ (BigInt(b.length) * M)) & MASK;
  const blocks = b.length - (b.length & 7);
  for (let i = 0; i < blocks; i += 8) {
    let k = b.readBigUInt64LE(i);
    k = (k * M) & MASK;
    k ^= k >> 47n;
    k = (k * M) & MASK;
    h ^= k;
    h = (h * M) & MASK;
  }
  if (b.length & 7) {
    for (let j = (b.length & 7) - 1; j >= 0; j--) h ^= BigInt(b[blocks + j]!) << BigInt(8 * j);
    h = (h * M) & MASK;
  }
  h ^= h >> 47n;
  h = (h * M) & MASK;
  h ^= h >> 47n;
  let rest = (h >> 14n) | (1n << 50n);
  let count = 1;
  while ((rest & 1n) === 0n) {
    count++;
    rest >>= 1n;
  }
  return { index: Number(h & 16383n), count };
}

/** Decodes any valid HLL value into its 16384 registers (the reference reading of the format). */
function registersOf(raw: RawString): Uint8Array {
  const buf = raw.bytes();
  const regs = new Uint8Array(HLL_REGISTERS);
  if (buf[4] === HLL_DENSE) {
    expect(buf.length).toBe(HLL_DENSE_SIZE);
    for (let i = 0; i < HLL_REGISTERS; i++) {
      let v = 0;
      for (let b = 0; b < 6; b++) {
        const bit = i * 6 + b;
        if ((buf[16 + (bit >> 3)]! >> (bit & 7)) & 1) v |= 1 << b;
      }
      regs[i] = v;
    }
    return regs;
  }
  let idx = 0;
  for (let p = 16; p < buf.length;) {
    const op = buf[p]!;
    if ((op & 0xc0) === 0) {
      idx += (op & 0x3f) + 1;
      p++;
    } else if ((op & 0xc0) === 0x40) {
      idx += (((op & 0x3f) << 8) | buf[p + 1]!) + 1;
      p += 2;
    } else {
      const value = ((op >> 2) & 0x1f) + 1;
      for (let n = (op & 3) + 1; n > 0; n--) regs[idx++] = value;
      p++;
    }
  }
  expect(idx).toBe(HLL_REGISTERS);
  return regs;
}

/** Sparse opcodes as [kind, value, length] for readable expectations. */
function opcodes(raw: RawString): string[] {
  const buf = raw.bytes();
  const out: string[] = [];
  for (let p = 16; p < buf.length;) {
    const op = buf[p]!;
    if ((op & 0xc0) === 0) {
      out.push(`Z${(op & 0x3f) + 1}`);
      p++;
    } else if ((op & 0xc0) === 0x40) {
      out.push(`X${(((op & 0x3f) << 8) | buf[p + 1]!) + 1}`);
      p += 2;
    } else {
      out.push(`V${((op >> 2) & 0x1f) + 1}x${(op & 3) + 1}`);
      p++;
    }
  }
  return out;
}

/** Registers as hex: vitest compares a 16384-element typed array element by element, slowly. */
const hex = (regs: Uint8Array): string => Buffer.from(regs.buffer, regs.byteOffset, regs.length).toString('hex');

function hllFrom(bytes: string | Buffer): RawString {
  return new RawString(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes, bytes.length + 4);
}

const HEADER_SPARSE = 'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80';

function denseWith(values: (i: number) => number): Buffer {
  const buf = Buffer.alloc(HLL_DENSE_SIZE);
  buf.write('HYLL', 0, 'latin1');
  buf[15] = 0x80;
  for (let i = 0; i < HLL_REGISTERS; i++) {
    const v = values(i);
    for (let b = 0; b < 6; b++) if ((v >> b) & 1) buf[16 + ((i * 6 + b) >> 3)]! |= 1 << ((i * 6 + b) & 7);
  }
  return buf;
}

// ------------------------------------------------------------------ hashing

describe('hashElement (MurmurHash64A, seed 0xadc83b19)', () => {
  it('agrees with a BigInt reference on every length and byte', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
      const s = Buffer.from(bytes).toString('latin1');
      const packed = hashElement(s);
      expect({ index: packed & 16383, count: packed >>> 14 }).toEqual(referenceHash(s));
    }), { numRuns: 3000 });
  });

  it('gives counts from 1 to 51 only', () => {
    let min = 64;
    let max = 0;
    for (let i = 0; i < 20000; i++) {
      const count = hashElement(`e${i}`) >>> 14;
      min = Math.min(min, count);
      max = Math.max(max, count);
    }
    expect(min).toBe(1);
    expect(max).toBeGreaterThan(10);
    expect(max).toBeLessThanOrEqual(51);
  });
});

// ------------------------------------------------------------------ representation

describe('sparse representation', () => {
  it('starts as one XZERO of 16384 registers with a valid cached 0', () => {
    const h = createHll();
    expect(h.bytes().toString('latin1')).toBe('HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff');
    expect(isHll(h.buf, h.length)).toBe(true);
    expect(cachedCardinality(h.buf)).toBe(0);
    expect(hllCardinality(h.buf, h.length)).toBe(0);
  });

  it('splits the opcode covering a register and merges equal neighbours', () => {
    const h = createHll();
    expect(hllSetRegister(h, 0, 3, MAX)).toBe(1);
    expect(opcodes(h)).toEqual(['V3x1', 'X16383']);
    expect(hllSetRegister(h, 1, 3, MAX)).toBe(1);
    expect(opcodes(h)).toEqual(['V3x2', 'X16382']);
    expect(hllSetRegister(h, 100, 2, MAX)).toBe(1);
    expect(opcodes(h)).toEqual(['V3x2', 'X98', 'V2x1', 'X16283']);
    expect(hllSetRegister(h, 2, 1, MAX)).toBe(1);
    expect(opcodes(h)).toEqual(['V3x2', 'V1x1', 'X97', 'V2x1', 'X16283']);
    expect(hllSetRegister(h, 2, 3, MAX)).toBe(1); // a VAL of length 1 changes in place, then merges
    expect(opcodes(h)).toEqual(['V3x3', 'X97', 'V2x1', 'X16283']);
    expect(hllSetRegister(h, 1, 2, MAX)).toBe(0); // lower than what it holds
    expect(hllSetRegister(h, 1, 5, MAX)).toBe(1); // splits a VAL run
    expect(opcodes(h)).toEqual(['V3x1', 'V5x1', 'V3x1', 'X97', 'V2x1', 'X16283']);
    expect(hllSetRegister(h, 16383, 1, MAX)).toBe(1);
    expect(opcodes(h)).toEqual(['V3x1', 'V5x1', 'V3x1', 'X97', 'V2x1', 'X16282', 'V1x1']);
    expect(hllSetRegister(h, 50, 4, MAX)).toBe(1); // ZERO runs of 64 or less use the 1-byte opcode
    expect(opcodes(h)).toEqual(['V3x1', 'V5x1', 'V3x1', 'Z47', 'V4x1', 'Z49', 'V2x1', 'X16282', 'V1x1']);
  });

  it('keeps the registers of a simple model through random updates, in both encodings', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: HLL_REGISTERS - 1 }), fc.integer({ min: 1, max: 51 })), { maxLength: 400 }),
      fc.constantFrom(30, 200, 3000),
      (updates, sparseMax) => {
        const h = createHll();
        const model = new Uint8Array(HLL_REGISTERS);
        for (const [index, count] of updates) {
          const changed = model[index]! < count ? 1 : 0;
          if (changed) model[index] = count;
          expect(hllSetRegister(h, index, count, sparseMax)).toBe(changed);
        }
        expect(hex(registersOf(h))).toBe(hex(model));
        if (h.buf[4] === HLL_SPARSE) {
          expect(h.length).toBeLessThanOrEqual(Math.max(18, sparseMax));
          expect(model.every((v) => v <= 32)).toBe(true);
        }
        // The capacity past the value stays zero (RawString's invariant).
        expect(h.buf.subarray(h.length).every((b) => b === 0)).toBe(true);
      },
    ), { numRuns: 200 });
  });

  it('turns dense for a register above 32 or past the byte limit, keeping the header', () => {
    const h = hllFrom('HYLL\x01abc\x01\x02\x03\x04\x05\x06\x07\x08\x7f\xff');
    expect(hllSetRegister(h, 7, 32, MAX)).toBe(1);
    expect(h.buf[4]).toBe(HLL_SPARSE);
    expect(hllSetRegister(h, 9, 33, MAX)).toBe(1);
    expect(h.buf[4]).toBe(HLL_DENSE);
    expect(h.length).toBe(HLL_DENSE_SIZE);
    expect(h.bytes().toString('latin1', 0, 16)).toBe('HYLL\x00abc\x01\x02\x03\x04\x05\x06\x07\x88'); // the update marked the cache stale
    expect([denseGet(h.buf, 7), denseGet(h.buf, 9), denseGet(h.buf, 8)]).toEqual([32, 33, 0]);

    const small = createHll();
    let i = 0;
    while (small.buf[4] === HLL_SPARSE) hllSetRegister(small, (i++ * 97) % HLL_REGISTERS, 1 + (i % 3), 40);
    expect(i).toBeLessThan(20);
  });

  it('adds elements at the register and count their hash gives', () => {
    const h = createHll();
    expect(hllAdd(h, 'x', MAX)).toBe(1);
    const { index, count } = referenceHash('x');
    expect(registersOf(h)[index]).toBe(count);
    expect(hllAdd(h, 'x', MAX)).toBe(0);
    // Redis 7.0.15 stores PFADD k x as: XZERO 16374... (checked on redis-server: 7f f5 84 08)
    expect(h.bytes().subarray(16).toString('hex')).toBe('7ff58408');
  });
});

describe('cached cardinality', () => {
  it('reads, writes and invalidates the 8 header bytes', () => {
    const h = createHll();
    setCachedCardinality(h.buf, 2007);
    expect(h.bytes().toString('hex', 8, 16)).toBe('d707000000000000');
    expect(cachedCardinality(h.buf)).toBe(2007);
    invalidateCachedCardinality(h.buf);
    expect(cachedCardinality(h.buf)).toBeUndefined();
    h.buf.write('\xff\xff\xff\xff\xff\xff\xff\x7f', 8, 'latin1');
    expect(cachedCardinality(h.buf)).toBe(2n ** 63n - 1n);
    setCachedCardinality(h.buf, CARDINALITY_OVERFLOW);
    expect(h.bytes().toString('hex', 8, 16)).toBe('0000000000000080');
    expect(cachedCardinality(h.buf)).toBeUndefined();
  });
});

// ------------------------------------------------------------------ counting

describe('estimate', () => {
  it('is exact for small sets and within a few standard errors (0.81%) for large ones', () => {
    const h = createHll();
    let added = 0;
    const checkpoints = [1, 2, 10, 100, 1000, 10_000, 100_000, 300_000];
    for (const n of checkpoints) {
      while (added < n) hllAdd(h, `member:${added++}`, MAX);
      const card = hllCardinality(h.buf, h.length) as number;
      if (n <= 100) expect(card).toBe(n);
      else expect(Math.abs(card - n) / n).toBeLessThan(0.0081 * 4);
    }
  });

  it('gives the same count for the sparse and dense forms of the same registers', () => {
    const h = createHll();
    for (let i = 0; i < 1500; i++) hllAdd(h, `s${i}`, 100_000);
    expect(h.buf[4]).toBe(HLL_SPARSE);
    const sparse = hllCardinality(h.buf, h.length);
    expect(sparseToDense(h)).toBe(true);
    expect(hllCardinality(h.buf, h.length)).toBe(sparse);
    const regs = new Uint8Array(HLL_REGISTERS);
    expect(hllMerge(h.buf, h.length, regs)).toBe(true);
    expect(registersCardinality(regs)).toBe(sparse);
  });

  it('reports LLONG_MIN when crafted registers put the estimate outside int64, as Redis does', () => {
    const all = (v: number) => { const b = denseWith(() => v); return hllCardinality(b, b.length); };
    expect(all(63)).toBe(CARDINALITY_OVERFLOW);
    expect(all(51)).toBe(CARDINALITY_OVERFLOW);
    expect(all(50)).toBe(CARDINALITY_OVERFLOW);
    // Values checked on redis-server 7.0.15.
    expect(all(1)).toBe(23637);
    const mixed = denseWith((i) => (i < 8000 ? 51 : 3));
    expect(hllCardinality(mixed, mixed.length)).toBe(184766);
    const tau = denseWith((i) => (i < 8000 ? 51 : 0));
    expect(hllCardinality(tau, tau.length)).toBe(12712);
  });

  it('counts an empty histogram as 0', () => {
    const histogram = new Int32Array(64);
    histogram[0] = HLL_REGISTERS;
    expect(estimate(histogram)).toBe(0);
  });
});

// ------------------------------------------------------------------ merging

describe('merging', () => {
  it('takes register-wise maxima across encodings and stores them the way PFMERGE does', () => {
    const a = createHll();
    const b = createHll();
    for (let i = 0; i < 300; i++) hllAdd(a, `a${i}`, MAX);
    for (let i = 0; i < 5000; i++) hllAdd(b, `b${i}`, MAX);
    expect([a.buf[4], b.buf[4]]).toEqual([HLL_SPARSE, HLL_DENSE]);
    const max = new Uint8Array(HLL_REGISTERS);
    expect(hllMerge(a.buf, a.length, max)).toBe(true);
    expect(hllMerge(b.buf, b.length, max)).toBe(true);
    const ra = registersOf(a);
    const rb = registersOf(b);
    expect(hex(max)).toBe(hex(ra.map((v, i) => Math.max(v, rb[i]!))));

    const sparseOut = createHll();
    expect(hllStoreRegisters(sparseOut, ra, false, MAX)).toBe(true);
    expect(sparseOut.bytes().subarray(16)).toEqual(a.bytes().subarray(16)); // same registers, same opcodes
    expect(cachedCardinality(sparseOut.buf)).toBeUndefined();

    const denseOut = createHll();
    expect(hllStoreRegisters(denseOut, max, true, MAX)).toBe(true);
    expect(denseOut.buf[4]).toBe(HLL_DENSE);
    expect(hex(registersOf(denseOut))).toBe(hex(max));
  });
});

// ------------------------------------------------------------------ bad input

describe('malformed values', () => {
  it('accepts only a full header, the magic, a known encoding and an exact dense length', () => {
    const ok = (s: string | Buffer) => { const b = typeof s === 'string' ? Buffer.from(s, 'latin1') : s; return isHll(b, b.length); };
    expect(ok(HEADER_SPARSE)).toBe(true); // no opcodes: valid to open, corrupted to count
    expect(ok(HEADER_SPARSE.slice(0, 15))).toBe(false);
    expect(ok('HYLX' + HEADER_SPARSE.slice(4))).toBe(false);
    expect(ok('HYLL\x02' + HEADER_SPARSE.slice(5))).toBe(false);
    const dense = denseWith(() => 0);
    expect(ok(dense)).toBe(true);
    expect(ok(dense.subarray(0, HLL_DENSE_SIZE - 1))).toBe(false);
    expect(ok(Buffer.concat([dense, Buffer.from('garbage')]))).toBe(false);
  });

  it('detects sparse opcodes that cover fewer or more than 16384 registers', () => {
    for (const body of ['', '\x7f\xff\x80', '\x7f\xfd\x81\x80', '\x7f\xfe', '\x7f\xff\x00', '\x7f\xfc\x83', '\x7f\xff\x7f\xff', '\x7f']) {
      const h = hllFrom(HEADER_SPARSE + body);
      expect(hllCardinality(h.buf, h.length), JSON.stringify(body)).toBeUndefined();
      expect(hllMerge(h.buf, h.length, new Uint8Array(HLL_REGISTERS))).toBe(false);
      expect(sparseToDense(h)).toBe(false);
    }
  });

  it('updates what it can and reports corruption past the covered registers, as Redis does', () => {
    const h = hllFrom(HEADER_SPARSE + '\x7f\xfe'); // 16383 registers
    expect(hllSetRegister(h, 5, 2, MAX)).toBe(1);
    expect(opcodes(h)).toEqual(['Z5', 'V2x1', 'X16377']);
    expect(hllSetRegister(h, 16383, 2, MAX)).toBe(-1);
    expect(hllSetRegister(hllFrom(HEADER_SPARSE), 0, 1, MAX)).toBe(-1);
  });

  it('remembers the byte a split spills past the end of a cut-off XZERO, as Redis\'s terminator holds it', () => {
    const h = hllFrom(`${HEADER_SPARSE}E`); // XZERO 0x45, its second byte past the end: 1281 registers
    expect(byteAfterEnd(h)).toBe(0);
    expect(hllSetRegister(h, 1000, 1, MAX)).toBe(1);
    // XZERO(1000) VAL(1) XZERO(280) is 43 e7 80 41 17: the value ends after 41, and 17 is spilled.
    expect(h.bytes().subarray(16).toString('hex')).toBe('43e78041');
    expect(byteAfterEnd(h)).toBe(0x17);
    expect(h.buf[h.length]).toBe(0); // not in the buffer: its capacity stays zero
    h.append('\x00');
    expect(byteAfterEnd(h)).toBe(0); // any change of length rewrites the terminator
  });

  it('never throws or loops on random bytes after a valid header', () => {
    fc.assert(fc.property(
      fc.uint8Array({ maxLength: 64 }), fc.array(fc.tuple(fc.integer({ min: 0, max: HLL_REGISTERS - 1 }), fc.integer({ min: 1, max: 51 })), { maxLength: 8 }),
      (body, updates) => {
        const h = hllFrom(Buffer.concat([Buffer.from(HEADER_SPARSE, 'latin1'), body]));
        hllCardinality(h.buf, h.length);
        hllMerge(h.buf, h.length, new Uint8Array(HLL_REGISTERS));
        for (const [index, count] of updates) expect([-1, 0, 1]).toContain(hllSetRegister(h, index, count, MAX));
        expect(h.buf.subarray(h.length).every((b) => b === 0)).toBe(true);
      },
    ), { numRuns: 2000 });
  });

  it('handles many huge XZERO runs in linear time', () => {
    const body = Buffer.alloc(2 * 200_000, 0xff);
    for (let i = 0; i < body.length; i += 2) body[i] = 0x7f;
    const h = hllFrom(Buffer.concat([Buffer.from(HEADER_SPARSE, 'latin1'), body]));
    expect(hllCardinality(h.buf, h.length)).toBeUndefined();
    expect(hllMerge(h.buf, h.length, new Uint8Array(HLL_REGISTERS))).toBe(false);
    // The split would pass hll-sparse-max-bytes, and the conversion to dense finds the overflow.
    expect(hllSetRegister(h, 3, 1, MAX)).toBe(-1);
    expect(hllSetRegister(h, 3, 1, 1_000_000)).toBe(1); // under a larger limit the split happens in place
    expect(opcodes(h).slice(0, 3)).toEqual(['Z3', 'V1x1', 'X16380']);
  });
});
