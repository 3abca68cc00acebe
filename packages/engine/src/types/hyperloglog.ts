import { RawString } from './string.js';

/**
 * HyperLogLog in Redis's own byte format, so a value moves between nodis and redis-server with
 * GET/SET and counts the same on both (the string is the representation; there is no other).
 *
 * Layout (all of it part of the value):
 *
 *   +------+---+-----+-------------------+------------------------------------+
 *   | HYLL | E | 000 | card (8 bytes LE) | registers: dense or sparse opcodes |
 *   +------+---+-----+-------------------+------------------------------------+
 *    0      4   5     8                   16
 *
 * E is 0 (dense) or 1 (sparse). `card` caches the last cardinality PFCOUNT computed; the top
 * bit of its last byte set means "stale". Dense: 16384 registers of 6 bits, packed from the
 * least significant bit of each byte up (12288 bytes). Sparse: a run-length code over the
 * registers in order:
 *
 *   ZERO   00xxxxxx           xxxxxx+1 registers (1..64) at zero
 *   XZERO  01xxxxxx yyyyyyyy  xxxxxxyyyyyyyy+1 registers (1..16384) at zero
 *   VAL    1vvvvvxx           xx+1 registers (1..4) at vvvvv+1 (1..32)
 *
 * A sparse value that would outgrow hll-sparse-max-bytes, or needs a register above 32,
 * becomes dense (and never goes back). Updates edit the sparse code the way Redis does (split
 * the opcode covering the register into at most five bytes, then merge equal neighbouring VAL
 * opcodes within a short window), so the same PFADDs leave the same bytes.
 *
 * Everything here works on bytes; malformed input (a value SET by a client) is detected, never
 * trusted: every loop is bounded by the value's length. A truncated XZERO at the very end reads
 * the byte past the end, as Redis does (see byteAfterEnd).
 */

export const HLL_REGISTERS = 16384;
const HLL_P = 14;
const HLL_P_MASK = HLL_REGISTERS - 1;
const HLL_Q = 64 - HLL_P;
export const HLL_HEADER_SIZE = 16;
const HLL_DENSE_BYTES = (HLL_REGISTERS * 6) / 8;
export const HLL_DENSE_SIZE = HLL_HEADER_SIZE + HLL_DENSE_BYTES;
export const HLL_DENSE = 0;
export const HLL_SPARSE = 1;
const ENCODING_OFFSET = 4;
const CARD_OFFSET = 8;
const CARD_STALE_BYTE = 15;

const SPARSE_VAL_MAX_VALUE = 32;
const SPARSE_VAL_MAX_LEN = 4;
const SPARSE_ZERO_MAX_LEN = 64;

/** 1/(2 ln 2): the estimator's constant for m → ∞. */
const ALPHA_INF = 0.721347520444481703680;

/** What PFCOUNT answers when the estimate leaves int64 (crafted registers): LLONG_MIN, as Redis's llroundl gives. */
export const CARDINALITY_OVERFLOW = -(2n ** 63n);

/** A cardinality: a number while exact in a double, else a bigint. */
export type Cardinality = number | bigint;

// ---------------------------------------------------------------- validity and the header

/**
 * True when the bytes can be used as an HLL (Redis's isHLLObjectOrReply): a full header, the
 * magic, a known encoding, and a dense value of exactly the dense size. A sparse value's
 * opcodes are checked only as they are read.
 */
export function isHll(buf: Uint8Array, length: number): boolean {
  if (length < HLL_HEADER_SIZE) return false;
  if (buf[0] !== 0x48 || buf[1] !== 0x59 || buf[2] !== 0x4c || buf[3] !== 0x4c) return false; // "HYLL"
  const encoding = buf[ENCODING_OFFSET]!;
  if (encoding > HLL_SPARSE) return false;
  return encoding !== HLL_DENSE || length === HLL_DENSE_SIZE;
}

export function hllEncoding(buf: Uint8Array): number {
  return buf[ENCODING_OFFSET]!;
}

/** A new HLL: sparse, all registers zero (one XZERO opcode), cached cardinality 0 and valid. */
export function createHll(): RawString {
  return new RawString(Buffer.from('HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff', 'latin1'), 64);
}

/** The cached cardinality, or undefined when it is stale. */
export function cachedCardinality(buf: Buffer): Cardinality | undefined {
  if ((buf[CARD_STALE_BYTE]! & 0x80) !== 0) return undefined;
  const card = buf.readBigUInt64LE(CARD_OFFSET);
  return card <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(card) : card;
}

/** Stores a computed cardinality in the header (as 8 bytes, the two's complement of a negative one). */
export function setCachedCardinality(buf: Buffer, card: Cardinality): void {
  buf.writeBigUInt64LE(BigInt.asUintN(64, BigInt(card)), CARD_OFFSET);
}

export function invalidateCachedCardinality(buf: Uint8Array): void {
  buf[CARD_STALE_BYTE]! |= 0x80;
}

// ---------------------------------------------------------------- hashing

/**
 * MurmurHash64A (Austin Appleby, public domain) with seed 0xadc83b19 over the element's bytes,
 * as Redis hashes HLL elements. 64-bit values are kept as two uint32 halves; the multiply by
 * the constant is split into 16-bit limbs so every partial product is exact in a double, with
 * Math.imul for the parts that only need their low 32 bits. No BigInt, no allocation.
 */
const M_HI = 0xc6a4a793;
const M_LO = 0x5bd1e995;
const M_LO_0 = M_LO & 0xffff;
const M_LO_1 = M_LO >>> 16;
const SEED = 0xadc83b19;
const TWO_32 = 4294967296;

/** The product's halves (module state: one call's result, read at once by the caller). */
let productHi = 0;
let productLo = 0;

/** (hi, lo) * M mod 2^64 into productHi/productLo. */
function multiplyByM(hi: number, lo: number): void {
  const a0 = lo & 0xffff;
  const a1 = lo >>> 16;
  const middle = a1 * M_LO_0 + a0 * M_LO_1; // < 2^33, exact
  const low = a0 * M_LO_0 + (middle & 0xffff) * 65536; // < 2^33, exact
  const carry = a1 * M_LO_1 + Math.floor(middle / 65536) + Math.floor(low / TWO_32);
  productLo = low >>> 0;
  productHi = (carry + Math.imul(lo, M_HI) + Math.imul(hi, M_LO)) >>> 0;
}

/**
 * The register an element lands in and the run length it offers, packed as
 * `count << 14 | index` (no allocation per element): the low 14 bits of the hash pick the
 * register; the count is 1 + the number of zero bits above them (a sentinel at bit 50 of the
 * shifted hash caps it at 51).
 */
export function hashElement(element: string): number {
  const len = element.length;
  multiplyByM(0, len);
  let hi = productHi;
  let lo = (productLo ^ SEED) >>> 0;
  const blocks = len - (len & 7);
  let i = 0;
  for (; i < blocks; i += 8) {
    let kLo = (element.charCodeAt(i) | (element.charCodeAt(i + 1) << 8) | (element.charCodeAt(i + 2) << 16) | (element.charCodeAt(i + 3) << 24)) >>> 0;
    let kHi = (element.charCodeAt(i + 4) | (element.charCodeAt(i + 5) << 8) | (element.charCodeAt(i + 6) << 16) | (element.charCodeAt(i + 7) << 24)) >>> 0;
    multiplyByM(kHi, kLo);
    kHi = productHi;
    kLo = (productLo ^ (kHi >>> 15)) >>> 0; // k ^= k >> 47
    multiplyByM(kHi, kLo);
    hi ^= productHi;
    lo ^= productLo;
    multiplyByM(hi, lo);
    hi = productHi;
    lo = productLo;
  }
  const rest = len & 7;
  if (rest !== 0) {
    for (let j = rest - 1; j >= 0; j--) {
      const byte = element.charCodeAt(i + j);
      if (j >= 4) hi ^= byte << ((j - 4) * 8);
      else lo ^= byte << (j * 8);
    }
    multiplyByM(hi >>> 0, lo >>> 0);
    hi = productHi;
    lo = productLo;
  }
  lo = (lo ^ (hi >>> 15)) >>> 0;
  multiplyByM(hi, lo);
  hi = productHi;
  lo = (productLo ^ (productHi >>> 15)) >>> 0;

  const index = lo & HLL_P_MASK;
  // The 50 bits above the index, low word first; bit 18 of the high word is the sentinel.
  const restLo = (lo >>> HLL_P) | (hi << (32 - HLL_P));
  const restHi = (hi >>> HLL_P) | (1 << (HLL_Q - 32));
  const count = restLo !== 0 ? trailingZeros(restLo) + 1 : 32 + trailingZeros(restHi) + 1;
  return (count << HLL_P) | index;
}

function trailingZeros(x: number): number {
  return 31 - Math.clz32(x & -x);
}

// ---------------------------------------------------------------- dense registers

/** Register `index` of a dense value (registers start at the header's end). */
export function denseGet(buf: Uint8Array, index: number): number {
  const bit = index * 6;
  const byte = HLL_HEADER_SIZE + (bit >>> 3);
  const shift = bit & 7;
  // The second byte matters only when the register straddles two bytes (never for the last).
  return ((buf[byte]! >>> shift) | ((buf[byte + 1] ?? 0) << (8 - shift))) & 63;
}

function denseWrite(buf: Uint8Array, index: number, value: number): void {
  const bit = index * 6;
  const byte = HLL_HEADER_SIZE + (bit >>> 3);
  const shift = bit & 7;
  buf[byte] = (buf[byte]! & ~(63 << shift)) | (value << shift);
  if (shift > 2) {
    const high = 8 - shift;
    buf[byte + 1] = (buf[byte + 1]! & ~(63 >>> high)) | (value >>> high);
  }
}

/** Raises register `index` to `count`; 1 when it changed. */
function denseSet(buf: Uint8Array, index: number, count: number): 0 | 1 {
  if (denseGet(buf, index) >= count) return 0;
  denseWrite(buf, index, count);
  return 1;
}

/**
 * Histogram scratch: eight 64-counter histograms, one per register position in a 6-byte group.
 * Most registers hold one of a few values, so a single histogram would chain every increment
 * through the same few memory cells; eight independent chains run about twice as fast.
 */
const laneHistograms = new Int32Array(8 * 64);

/** Adds the dense registers' values to `histogram`: 8 registers per 6 bytes. */
function denseHistogram(buf: Uint8Array, histogram: Int32Array): void {
  const h = laneHistograms;
  h.fill(0);
  for (let p = HLL_HEADER_SIZE; p < HLL_DENSE_SIZE; p += 6) {
    const b0 = buf[p]!;
    const b1 = buf[p + 1]!;
    const b2 = buf[p + 2]!;
    const b3 = buf[p + 3]!;
    const b4 = buf[p + 4]!;
    const b5 = buf[p + 5]!;
    h[b0 & 63]!++;
    h[64 + (((b0 >>> 6) | (b1 << 2)) & 63)]!++;
    h[128 + (((b1 >>> 4) | (b2 << 4)) & 63)]!++;
    h[192 + (b2 >>> 2)]!++;
    h[256 + (b3 & 63)]!++;
    h[320 + (((b3 >>> 6) | (b4 << 2)) & 63)]!++;
    h[384 + (((b4 >>> 4) | (b5 << 4)) & 63)]!++;
    h[448 + (b5 >>> 2)]!++;
  }
  for (let i = 0; i < 8 * 64; i++) histogram[i & 63]! += h[i]!;
}

function denseMerge(buf: Uint8Array, max: Uint8Array): void {
  // Math.max rather than a branch: register values are close to random, so branches mispredict.
  for (let p = HLL_HEADER_SIZE, i = 0; p < HLL_DENSE_SIZE; p += 3, i += 4) {
    const b0 = buf[p]!;
    const b1 = buf[p + 1]!;
    const b2 = buf[p + 2]!;
    max[i] = Math.max(max[i]!, b0 & 63);
    max[i + 1] = Math.max(max[i + 1]!, ((b0 >>> 6) | (b1 << 2)) & 63);
    max[i + 2] = Math.max(max[i + 2]!, ((b1 >>> 4) | (b2 << 4)) & 63);
    max[i + 3] = Math.max(max[i + 3]!, b2 >>> 2);
  }
}

/** Raises each dense register to at least max[i]. */
function denseRaise(buf: Uint8Array, max: Uint8Array): void {
  for (let p = HLL_HEADER_SIZE, i = 0; p < HLL_DENSE_SIZE; p += 3, i += 4) {
    const b0 = buf[p]!;
    const b1 = buf[p + 1]!;
    const b2 = buf[p + 2]!;
    const r0 = Math.max(b0 & 63, max[i]!);
    const r1 = Math.max(((b0 >>> 6) | (b1 << 2)) & 63, max[i + 1]!);
    const r2 = Math.max(((b1 >>> 4) | (b2 << 4)) & 63, max[i + 2]!);
    const r3 = Math.max(b2 >>> 2, max[i + 3]!);
    buf[p] = r0 | (r1 << 6);
    buf[p + 1] = (r1 >>> 2) | (r2 << 4);
    buf[p + 2] = (r2 >>> 4) | (r3 << 2);
  }
}

// ---------------------------------------------------------------- sparse opcodes

/**
 * The byte past the end of a sparse value, which Redis reads as the second byte of an XZERO
 * opcode cut off by the end (only in corrupted values). It is the string's terminator, zero,
 * except after Redis splits such a cut-off XZERO: its replacement opcodes then spill one byte
 * past the new end, and later reads see that byte. We keep it here, for the value at that
 * length, so the same later reads see the same byte; any change of length (APPEND, SETRANGE
 * past the end, our own edits) makes it zero again, as Redis's string functions rewrite the
 * terminator.
 */
const spilledBytes = new WeakMap<RawString, { length: number; byte: number }>();

export function byteAfterEnd(raw: RawString): number {
  const spilled = spilledBytes.get(raw);
  return spilled !== undefined && spilled.length === raw.length ? spilled.byte : 0;
}

const isZero = (op: number): boolean => (op & 0xc0) === 0x00;
const isXZero = (op: number): boolean => (op & 0xc0) === 0x40;
const isVal = (op: number): boolean => (op & 0x80) !== 0;
const zeroLength = (op: number): number => (op & 0x3f) + 1;
const xzeroLength = (op: number, next: number): number => (((op & 0x3f) << 8) | next) + 1;
const valValue = (op: number): number => ((op >>> 2) & 0x1f) + 1;
const valLength = (op: number): number => (op & 0x3) + 1;
const valOp = (value: number, length: number): number => 0x80 | ((value - 1) << 2) | (length - 1);

/**
 * Converts a sparse value to dense in place (a new buffer; the header, cached cardinality and
 * the unused bytes included, is kept). False, leaving the value alone, when the opcodes do not
 * describe exactly 16384 registers.
 */
export function sparseToDense(raw: RawString): boolean {
  const src = raw.buf;
  if (src[ENCODING_OFFSET] === HLL_DENSE) return true;
  const dense = Buffer.alloc(HLL_DENSE_SIZE);
  src.copy(dense, 0, 0, HLL_HEADER_SIZE);
  dense[ENCODING_OFFSET] = HLL_DENSE;
  const end = raw.length;
  const after = byteAfterEnd(raw);
  let index = 0;
  let p = HLL_HEADER_SIZE;
  while (p < end) {
    const op = src[p]!;
    if (isZero(op)) {
      index += zeroLength(op);
      p++;
    } else if (isXZero(op)) {
      index += xzeroLength(op, p + 1 < end ? src[p + 1]! : after);
      p += 2;
    } else {
      let run = valLength(op);
      const value = valValue(op);
      if (run + index > HLL_REGISTERS) return false; // past the last register: corrupted
      while (run-- > 0) denseWrite(dense, index++, value);
      p++;
    }
  }
  if (index !== HLL_REGISTERS) return false;
  raw.buf = dense;
  raw.length = HLL_DENSE_SIZE;
  return true;
}

/** Scratch for the opcodes that replace the one being split (at most five bytes). */
const sequence = new Uint8Array(5);

/**
 * Raises register `index` of a sparse value to `count` (Redis's hllSparseSet). 1 when it
 * changed, 0 when it already held as much, -1 when the value is corrupted. May turn the value
 * dense: for a count above 32, or when the edit would take it past `sparseMaxBytes`.
 */
function sparseSet(raw: RawString, index: number, count: number, sparseMaxBytes: number): 0 | 1 | -1 {
  if (count > SPARSE_VAL_MAX_VALUE) return promote(raw, index, count);
  // A split grows the value by at most 3 bytes; the capacity past `length` is zero, which is
  // also what a read one past the end must see.
  raw.reserve(raw.length + 4);
  const buf = raw.buf;
  let end = raw.length;

  // Step 1: find the opcode covering the register.
  let p = HLL_HEADER_SIZE;
  let first = 0;
  let prev = -1;
  let span = 0;
  while (p < end) {
    const op = buf[p]!;
    let opLength = 1;
    if (isZero(op)) span = zeroLength(op);
    else if (isXZero(op)) {
      span = xzeroLength(op, p + 1 < end ? buf[p + 1]! : byteAfterEnd(raw));
      opLength = 2;
    } else span = valLength(op);
    if (index <= first + span - 1) break;
    prev = p;
    p += opLength;
    first += span;
  }
  if (span === 0 || p >= end) return -1; // the opcodes cover fewer registers

  const op = buf[p]!;
  const xzero = isXZero(op);
  const next = xzero ? p + 2 : p + 1;
  const hasNext = next < end;

  // Step 2: the cases that change one byte in place.
  let updated = false;
  if (isVal(op)) {
    if (valValue(op) >= count) return 0;
    if (valLength(op) === 1) {
      buf[p] = valOp(count, 1);
      updated = true;
    }
  } else if (isZero(op) && zeroLength(op) === 1) {
    buf[p] = valOp(count, 1);
    updated = true;
  }

  if (!updated) {
    // Step 3: split the opcode into [before] VAL [after].
    const last = first + span - 1;
    let n = 0;
    if (!isVal(op)) {
      if (index !== first) n = writeZeros(n, index - first);
      sequence[n++] = valOp(count, 1);
      if (index !== last) n = writeZeros(n, last - index);
    } else {
      const current = valValue(op);
      if (index !== first) sequence[n++] = valOp(current, index - first);
      sequence[n++] = valOp(count, 1);
      if (index !== last) sequence[n++] = valOp(current, last - index);
    }
    const delta = n - (xzero ? 2 : 1);
    if (delta > 0 && raw.length + delta > sparseMaxBytes) return promote(raw, index, count);
    if (delta !== 0 && hasNext) buf.copyWithin(next + delta, next, end);
    const oldEnd = end;
    raw.length += delta;
    end += delta;
    buf.set(sequence.subarray(0, n), p);
    spilledBytes.delete(raw);
    if (p + n > end) {
      // Split an XZERO cut off by the end (corrupted input): the last byte lands past the new
      // end, where Redis's terminator was. Keep it there for later reads, not in the buffer,
      // whose capacity must stay zero.
      spilledBytes.set(raw, { length: end, byte: sequence[n - 1]! });
    }
    const written = Math.max(oldEnd, p + n);
    if (written > end) buf.fill(0, end, written);
  }

  // Step 4: merge neighbouring VAL opcodes of equal value, up to five opcodes from the one
  // before the change (the split may have made a VAL equal to its neighbour).
  p = prev >= 0 ? prev : HLL_HEADER_SIZE;
  let window = 5;
  while (p < end && window-- !== 0) {
    const a = buf[p]!;
    if (isXZero(a)) {
      p += 2;
      continue;
    }
    if (isZero(a)) {
      p++;
      continue;
    }
    if (p + 1 < end) {
      const b = buf[p + 1]!;
      if (isVal(b) && valValue(a) === valValue(b)) {
        const length = valLength(a) + valLength(b);
        if (length <= SPARSE_VAL_MAX_LEN) {
          buf[p + 1] = valOp(valValue(a), length);
          buf.copyWithin(p, p + 1, end);
          end--;
          raw.length--;
          buf[end] = 0;
          spilledBytes.delete(raw);
          continue; // try the merged opcode against its right neighbour too
        }
      }
    }
    p++;
  }
  invalidateCachedCardinality(buf);
  return 1;
}

/** Writes a run of zero registers into `sequence` at n: ZERO up to 64, XZERO beyond. */
function writeZeros(n: number, length: number): number {
  if (length > SPARSE_ZERO_MAX_LEN) {
    sequence[n] = 0x40 | ((length - 1) >>> 8);
    sequence[n + 1] = (length - 1) & 0xff;
    return n + 2;
  }
  sequence[n] = length - 1;
  return n + 1;
}

function promote(raw: RawString, index: number, count: number): 1 | -1 {
  if (!sparseToDense(raw)) return -1;
  // The register was below `count` in the sparse form (else nothing needed changing).
  denseWrite(raw.buf, index, count);
  return 1;
}

// ---------------------------------------------------------------- adding, counting, merging

/**
 * Adds one element (PFADD): 1 when a register changed, 0 when none did, -1 when the value is
 * corrupted. The caller invalidates the cached cardinality when anything changed.
 */
export function hllAdd(raw: RawString, element: string, sparseMaxBytes: number): 0 | 1 | -1 {
  const packed = hashElement(element);
  return hllSetRegister(raw, packed & HLL_P_MASK, packed >>> HLL_P, sparseMaxBytes);
}

/** Raises one register to `count` in either encoding: 1 changed, 0 unchanged, -1 corrupted. */
export function hllSetRegister(raw: RawString, index: number, count: number, sparseMaxBytes: number): 0 | 1 | -1 {
  const encoding = raw.buf[ENCODING_OFFSET];
  if (encoding === HLL_DENSE) return denseSet(raw.buf, index, count);
  if (encoding === HLL_SPARSE) return sparseSet(raw, index, count, sparseMaxBytes);
  return -1;
}

/** The register histogram of a sparse value; false when the opcodes do not cover exactly 16384 registers. */
function sparseHistogram(buf: Uint8Array, length: number, after: number, histogram: Int32Array): boolean {
  let index = 0;
  let p = HLL_HEADER_SIZE;
  while (p < length) {
    const op = buf[p]!;
    if (isZero(op)) {
      const run = zeroLength(op);
      index += run;
      histogram[0]! += run;
      p++;
    } else if (isXZero(op)) {
      const run = xzeroLength(op, p + 1 < length ? buf[p + 1]! : after);
      index += run;
      histogram[0]! += run;
      p += 2;
    } else {
      const run = valLength(op);
      index += run;
      histogram[valValue(op)]! += run;
      p++;
    }
  }
  return index === HLL_REGISTERS;
}

/**
 * The cardinality estimate of a valid HLL value (its registers, ignoring the cache), or
 * undefined when a sparse value is corrupted. `after`: the byte past the end (byteAfterEnd).
 */
export function hllCardinality(buf: Uint8Array, length: number, after = 0): Cardinality | undefined {
  const histogram = new Int32Array(64);
  if (buf[ENCODING_OFFSET] === HLL_DENSE) denseHistogram(buf, histogram);
  else if (!sparseHistogram(buf, length, after, histogram)) return undefined;
  return estimate(histogram);
}

/** The cardinality estimate of 16384 plain registers (one byte each: PFCOUNT over several keys). */
export function registersCardinality(registers: Uint8Array): Cardinality {
  const h = laneHistograms;
  h.fill(0);
  for (let i = 0; i < HLL_REGISTERS; i += 8) {
    h[registers[i]! & 63]!++;
    h[64 + (registers[i + 1]! & 63)]!++;
    h[128 + (registers[i + 2]! & 63)]!++;
    h[192 + (registers[i + 3]! & 63)]!++;
    h[256 + (registers[i + 4]! & 63)]!++;
    h[320 + (registers[i + 5]! & 63)]!++;
    h[384 + (registers[i + 6]! & 63)]!++;
    h[448 + (registers[i + 7]! & 63)]!++;
  }
  const histogram = new Int32Array(64);
  for (let i = 0; i < 8 * 64; i++) histogram[i & 63]! += h[i]!;
  return estimate(histogram);
}

/**
 * Folds a valid HLL value into `max` (register-wise maximum, 16384 bytes). False when a sparse
 * value is corrupted (`max` may then be partly updated). `after`: the byte past the end.
 */
export function hllMerge(buf: Uint8Array, length: number, max: Uint8Array, after = 0): boolean {
  if (buf[ENCODING_OFFSET] === HLL_DENSE) {
    denseMerge(buf, max);
    return true;
  }
  let index = 0;
  let p = HLL_HEADER_SIZE;
  while (p < length) {
    const op = buf[p]!;
    if (isZero(op)) {
      index += zeroLength(op);
      p++;
    } else if (isXZero(op)) {
      index += xzeroLength(op, p + 1 < length ? buf[p + 1]! : after);
      p += 2;
    } else {
      let run = valLength(op);
      const value = valValue(op);
      if (run + index > HLL_REGISTERS) return false; // past the last register: corrupted
      while (run-- > 0) {
        if (value > max[index]!) max[index] = value;
        index++;
      }
      p++;
    }
  }
  return index === HLL_REGISTERS;
}

/**
 * PFMERGE's write: raises the destination's registers to `max`, register by register in
 * order, as Redis does (so a sparse destination's opcodes come out byte for byte the same),
 * after converting it to dense when `dense` (some input was dense). False when the
 * destination is corrupted. The cached cardinality is invalidated.
 */
export function hllStoreRegisters(raw: RawString, max: Uint8Array, dense: boolean, sparseMaxBytes: number): boolean {
  if (dense && !sparseToDense(raw)) return false;
  if (raw.buf[ENCODING_OFFSET] === HLL_DENSE) {
    // Same result as raising each register in turn, four registers (3 bytes) at a time.
    denseRaise(raw.buf, max);
    invalidateCachedCardinality(raw.buf);
    return true;
  }
  for (let i = 0; i < HLL_REGISTERS; i++) {
    const value = max[i]!;
    if (value !== 0) hllSetRegister(raw, i, value, sparseMaxBytes);
  }
  invalidateCachedCardinality(raw.buf);
  return true;
}

// ---------------------------------------------------------------- the estimator

/**
 * Otmar Ertl's improved raw estimator ("New cardinality estimation algorithms for HyperLogLog
 * sketches", arXiv:1702.01284), as Redis 7 evaluates it: the same operations in the same order
 * on doubles, so the same histogram gives the same integer. Register values above Q+1 = 51
 * (possible only in a crafted dense value) are not counted, as in Redis.
 */
export function estimate(histogram: Int32Array): Cardinality {
  const m = HLL_REGISTERS;
  let z = m * tau((m - histogram[HLL_Q + 1]!) / m);
  for (let j = HLL_Q; j >= 1; --j) {
    z += histogram[j]!;
    z *= 0.5;
  }
  z += m * sigma(histogram[0]! / m);
  // llroundl: half away from zero (the estimate is never negative); out of int64 range (only
  // crafted registers get there) it yields LLONG_MIN on x86-64, which Redis then reports.
  const e = Math.round((ALPHA_INF * m * m) / z);
  if (!(e < 2 ** 63)) return CARDINALITY_OVERFLOW;
  return e <= Number.MAX_SAFE_INTEGER ? e : BigInt(e);
}

function sigma(x: number): number {
  if (x === 1) return Infinity;
  let previous: number;
  let y = 1;
  let z = x;
  do {
    x *= x;
    previous = z;
    z += x * y;
    y += y;
  } while (previous !== z);
  return z;
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let previous: number;
  let y = 1.0;
  let z = 1 - x;
  do {
    x = Math.sqrt(x);
    previous = z;
    y *= 0.5;
    const d = 1 - x;
    z -= d * d * y;
  } while (previous !== z);
  return z / 3;
}
