/**
 * The x87 80-bit `long double` that Redis's INCRBYFLOAT (and HINCRBYFLOAT) compute in, emulated
 * exactly with BigInt so replies match byte for byte: `SET f 0.1; INCRBYFLOAT f 0.2` answers
 * `0.3` (a double would give 0.30000000000000004), and `1e300` prints all its integer digits.
 *
 * The format: sign, a 64-bit significand with an explicit integer bit, exponents down to the
 * subnormal floor 2^-16445; finite values stay below 2^16384. Every operation rounds the exact
 * result to nearest, ties to even, as the FPU does in its default mode.
 *
 *   parseLongDouble   Redis's string2ld: glibc strtold (correctly rounded), refusing what Redis
 *                     refuses: leading space, trailing bytes, NaN, overflow, underflow to zero.
 *   addLongDouble     one x87 addition.
 *   formatLongDouble  Redis's human-friendly form: printf("%.17Lf") (exact, ties to even),
 *                     trailing zeros and '.' stripped, "-0" printed as "0".
 */

/** value = (negative ? -1 : 1) * mantissa * 2^exponent; mantissa < 2^64 (0n for zero). */
export interface LongDouble {
  readonly kind: 'finite' | 'inf' | 'nan';
  readonly negative: boolean;
  readonly mantissa: bigint;
  readonly exponent: number;
}

const MANTISSA_BITS = 64;
/** Exponent of the least significant bit of the smallest subnormal. */
const MIN_LSB_EXPONENT = -16445;
/** A finite value's top bit is below 2^16384. */
const MAX_TOP_EXPONENT = 16384;
/** Redis copies the text into a buffer of MAX_LONG_DOUBLE_CHARS (5 KiB) before parsing. */
const MAX_LONG_DOUBLE_CHARS = 5 * 1024;

export const LD_ZERO: LongDouble = { kind: 'finite', negative: false, mantissa: 0n, exponent: 0 };
const INF: LongDouble = { kind: 'inf', negative: false, mantissa: 0n, exponent: 0 };
const NEG_INF: LongDouble = { kind: 'inf', negative: true, mantissa: 0n, exponent: 0 };
const NAN: LongDouble = { kind: 'nan', negative: false, mantissa: 0n, exponent: 0 };

export function isFiniteLongDouble(x: LongDouble): boolean { return x.kind === 'finite'; }

function bitLength(n: bigint): number {
  if (n <= 0xffffffffn) return 32 - Math.clz32(Number(n));
  // Hex digits are exact and four times fewer than binary ones; the first digit gives the rest.
  const hex = n.toString(16);
  return (hex.length - 1) * 4 + 32 - Math.clz32(hexValue(hex.charCodeAt(0)));
}

/** 10^n, cached for the exponents ordinary numbers use. */
const POWERS_OF_TEN: bigint[] = [];
function powerOfTen(n: number): bigint {
  if (n < 400) return (POWERS_OF_TEN[n] ??= 10n ** BigInt(n));
  return 10n ** BigInt(n);
}

/**
 * Rounds the exact value (n + δ) * 2^e, 0 <= δ < 1 (δ > 0 when `sticky`), to the format.
 * Callers that pass `sticky` provide at least two bits beyond the 64 kept, so the lost part
 * is always below the rounding position. Returns zero on underflow and infinity on overflow.
 */
function round(negative: boolean, n: bigint, e: number, sticky: boolean): LongDouble {
  if (n === 0n) return { kind: 'finite', negative, mantissa: 0n, exponent: 0 };
  const bits = bitLength(n);
  let lsb = Math.max(e + bits - MANTISSA_BITS, MIN_LSB_EXPONENT);
  const shift = lsb - e;
  let m: bigint;
  if (shift <= 0) {
    m = n << BigInt(-shift);
  } else {
    const s = BigInt(shift);
    m = n >> s;
    const rest = n - (m << s);
    const half = 1n << (s - 1n);
    if (rest > half || (rest === half && (sticky || (m & 1n) === 1n))) {
      m += 1n;
      if (m === 1n << 64n) { m = 1n << 63n; lsb += 1; }
    }
  }
  if (m === 0n) return { kind: 'finite', negative, mantissa: 0n, exponent: 0 };
  if (lsb + bitLength(m) > MAX_TOP_EXPONENT) return negative ? NEG_INF : INF;
  return { kind: 'finite', negative, mantissa: m, exponent: lsb };
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function isDigit(c: number): boolean { return c >= 48 && c <= 57; }

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

/** Reads [+-]digits at s[i...] as an exponent, saturating far beyond any finite result. */
function readExponent(s: string, i: number): { value: number; end: number } | undefined {
  let j = i;
  let negative = false;
  const c = s.charCodeAt(j);
  if (c === 43 /* + */ || c === 45 /* - */) { negative = c === 45; j++; }
  if (!isDigit(s.charCodeAt(j))) return undefined;
  let v = 0;
  for (; isDigit(s.charCodeAt(j)); j++) {
    if (v < 1e9) v = v * 10 + (s.charCodeAt(j) - 48);
  }
  return { value: negative ? -v : v, end: j };
}

/**
 * Parses a decimal or hex string the way Redis's string2ld does (strtold, the whole string,
 * no leading space, no NaN, no overflow to infinity, no underflow to zero). `inf` and
 * `infinity` (any case, signed) are accepted as infinities. Returns undefined when Redis
 * would answer `ERR value is not a valid float`.
 */
export function parseLongDouble(s: string): LongDouble | undefined {
  const len = s.length;
  if (len === 0 || len >= MAX_LONG_DOUBLE_CHARS || isSpace(s.charCodeAt(0))) return undefined;
  let i = 0;
  let negative = false;
  const c0 = s.charCodeAt(0);
  if (c0 === 43 || c0 === 45) { negative = c0 === 45; i = 1; }
  if ((s.charCodeAt(i) | 0x20) === 105 /* i */) {
    const rest = s.slice(i).toLowerCase();
    return rest === 'inf' || rest === 'infinity' ? (negative ? NEG_INF : INF) : undefined;
  }
  if (s.charCodeAt(i) === 48 && (s.charCodeAt(i + 1) | 0x20) === 120 /* x */) {
    const hex = parseHex(s, i + 2, negative);
    // "0x" without hex digits: strtold reads the "0" and stops at the 'x' (trailing bytes).
    if (hex !== undefined) return hex;
    return undefined;
  }
  return parseDecimal(s, i, negative);
}

function parseDecimal(s: string, start: number, negative: boolean): LongDouble | undefined {
  const len = s.length;
  let i = start;
  while (i < len && isDigit(s.charCodeAt(i))) i++;
  let digits = s.slice(start, i);
  let fractionDigits = 0;
  if (i < len && s.charCodeAt(i) === 46 /* . */) {
    const f = ++i;
    while (i < len && isDigit(s.charCodeAt(i))) i++;
    fractionDigits = i - f;
    digits += s.slice(f, i);
  }
  if (digits.length === 0) return undefined;
  let exp = 0;
  if (i < len && (s.charCodeAt(i) | 0x20) === 101 /* e */) {
    const e = readExponent(s, i + 1);
    if (e === undefined) return undefined; // "1e", "1e+": strtold stops before the 'e'
    exp = e.value;
    i = e.end;
  }
  if (i !== len) return undefined;
  // Significant digits only: leading zeros say nothing about the magnitude.
  let first = 0;
  while (first < digits.length && digits.charCodeAt(first) === 48) first++;
  if (first === digits.length) return { kind: 'finite', negative, mantissa: 0n, exponent: 0 };
  let last = digits.length;
  while (digits.charCodeAt(last - 1) === 48) last--;
  const significant = digits.slice(first, last);
  // value = significant * 10^e10, with 10^(e10 + n - 1) <= value < 10^(e10 + n)
  const e10 = exp - fractionDigits + (digits.length - last);
  const n = significant.length;
  // Beyond the largest finite value (~1.19e4932): overflow, which Redis refuses.
  if (e10 + n - 1 >= 4933) return undefined;
  // Below half the smallest subnormal (~1.8e-4951): underflow to zero, also refused.
  if (e10 + n <= -4952) return undefined;
  const d = BigInt(significant);
  let r: LongDouble;
  if (e10 >= 0) {
    r = round(negative, d * powerOfTen(e10), 0, false);
  } else {
    const den = powerOfTen(-e10);
    // Enough quotient bits for 64 kept plus guard bits; the remainder is the sticky bit.
    const k = Math.max(0, MANTISSA_BITS + 2 + bitLength(den) - bitLength(d));
    const num = d << BigInt(k);
    const q = num / den;
    r = round(negative, q, -k, q * den !== num);
  }
  if (r.kind !== 'finite' || r.mantissa === 0n) return undefined;
  return r;
}

function parseHex(s: string, start: number, negative: boolean): LongDouble | undefined {
  const len = s.length;
  let i = start;
  let n = 0n;
  let chunk = 0;
  let chunkDigits = 0;
  let sawDigit = false;
  let fractionDigits = 0;
  let inFraction = false;
  for (; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c === 46 && !inFraction) { inFraction = true; continue; }
    const h = hexValue(c);
    if (h < 0) break;
    sawDigit = true;
    if (inFraction) fractionDigits++;
    chunk = chunk * 16 + h;
    if (++chunkDigits === 12) { n = (n << 48n) | BigInt(chunk); chunk = 0; chunkDigits = 0; }
  }
  if (!sawDigit) return undefined;
  if (chunkDigits > 0) n = (n << BigInt(chunkDigits * 4)) | BigInt(chunk);
  let exp = 0;
  if (i < len && (s.charCodeAt(i) | 0x20) === 112 /* p */) {
    const e = readExponent(s, i + 1);
    if (e === undefined) return undefined;
    exp = e.value;
    i = e.end;
  }
  if (i !== len) return undefined;
  if (n === 0n) return { kind: 'finite', negative, mantissa: 0n, exponent: 0 };
  const e2 = exp - 4 * fractionDigits;
  const bits = bitLength(n);
  if (e2 + bits - 1 >= MAX_TOP_EXPONENT) return undefined;
  if (e2 + bits < MIN_LSB_EXPONENT - 1) return undefined;
  const r = round(negative, n, e2, false);
  if (r.kind !== 'finite' || r.mantissa === 0n) return undefined;
  return r;
}

/** a + b rounded once, as one x87 `fadd`. inf + -inf is NaN. */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble {
  if (a.kind === 'nan' || b.kind === 'nan') return NAN;
  if (a.kind === 'inf' || b.kind === 'inf') {
    if (a.kind === 'inf' && b.kind === 'inf' && a.negative !== b.negative) return NAN;
    return a.kind === 'inf' ? a : b;
  }
  if (a.mantissa === 0n) {
    // -0 + -0 is -0; x + 0 is x; +0 + -0 is +0 (round to nearest).
    return b.mantissa === 0n ? { ...LD_ZERO, negative: a.negative && b.negative } : b;
  }
  if (b.mantissa === 0n) return a;
  const e = Math.min(a.exponent, b.exponent);
  const av = a.mantissa << BigInt(a.exponent - e);
  const bv = b.mantissa << BigInt(b.exponent - e);
  const sum = (a.negative ? -av : av) + (b.negative ? -bv : bv);
  if (sum === 0n) return LD_ZERO;
  return sum < 0n ? round(true, -sum, e, false) : round(false, sum, e, false);
}

const SCALE_17 = 10n ** 17n;

/** printf("%.17Lf"): the exact value rounded to 17 decimals, ties to even. */
export function formatFixed17(x: LongDouble): string {
  if (x.kind === 'nan') return x.negative ? '-nan' : 'nan';
  if (x.kind === 'inf') return x.negative ? '-inf' : 'inf';
  let q: bigint;
  if (x.exponent >= 0) {
    q = (x.mantissa << BigInt(x.exponent)) * SCALE_17;
  } else {
    const s = BigInt(-x.exponent);
    const num = x.mantissa * SCALE_17;
    q = num >> s;
    const rest = num - (q << s);
    const half = 1n << (s - 1n);
    if (rest > half || (rest === half && (q & 1n) === 1n)) q += 1n;
  }
  const digits = q.toString().padStart(18, '0');
  const cut = digits.length - 17;
  return (x.negative ? '-' : '') + digits.slice(0, cut) + '.' + digits.slice(cut);
}

/**
 * Redis's human-friendly long double (ld2string with LD_STR_HUMAN): `%.17Lf`, then trailing
 * zeros and a trailing '.' removed, and "-0" turned into "0". Infinities print as inf/-inf.
 */
export function formatLongDouble(x: LongDouble): string {
  if (x.kind === 'inf') return x.negative ? '-inf' : 'inf';
  let s = formatFixed17(x);
  let end = s.length;
  while (s.charCodeAt(end - 1) === 48) end--;
  if (s.charCodeAt(end - 1) === 46) end--;
  s = s.slice(0, end);
  return s === '-0' ? '0' : s;
}

export type IncrByFloatResult =
  | { ok: true; value: string }
  | { ok: false; reason: 'not-float' | 'nan-or-inf' };

/**
 * INCRBYFLOAT's arithmetic on texts: the current value (undefined for a missing key) plus the
 * increment, formatted as Redis stores and replies it. The current value is checked first.
 */
export function incrByFloat(current: string | undefined, increment: string): IncrByFloatResult {
  const a = current === undefined ? LD_ZERO : parseLongDouble(current);
  if (a === undefined) return { ok: false, reason: 'not-float' };
  const b = parseLongDouble(increment);
  if (b === undefined) return { ok: false, reason: 'not-float' };
  const sum = addLongDouble(a, b);
  if (sum.kind !== 'finite') return { ok: false, reason: 'nan-or-inf' };
  return { ok: true, value: formatLongDouble(sum) };
}
