import { NOT_FLOAT, NOT_INTEGER, SYNTAX } from './errors.js';

/**
 * Number parsing exactly as Redis's `string2ll` / `string2ld` accept them, and an
 * ArgParser with a latched first error (parse everything, check once).
 * Arguments are latin1 strings: one char per byte.
 */

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

/**
 * Redis's string2ll: optional '-', no '+', no leading zeros, no spaces, int64 range.
 * Returns a number when it is a safe integer, a bigint otherwise, undefined when invalid.
 */
export function parseInt64(s: string): number | bigint | undefined {
  const len = s.length;
  if (len === 0 || len > 20) return undefined;
  let i = 0;
  let negative = false;
  if (s.charCodeAt(0) === 45 /* - */) {
    if (len === 1) return undefined;
    negative = true;
    i = 1;
  }
  const first = s.charCodeAt(i);
  if (first === 48 /* 0 */) return len === 1 ? 0 : undefined; // "0" only; "-0" and "01" are invalid
  if (first < 49 || first > 57) return undefined;
  if (len - i <= 15) {
    let n = 0;
    for (; i < len; i++) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) return undefined;
      n = n * 10 + c;
    }
    return negative ? -n : n;
  }
  for (let j = i; j < len; j++) {
    const c = s.charCodeAt(j);
    if (c < 48 || c > 57) return undefined;
  }
  const big = BigInt(s);
  if (big < INT64_MIN || big > INT64_MAX) return undefined;
  if (big >= -9007199254740991n && big <= 9007199254740991n) return Number(big);
  return big;
}

/** parseInt64 that only accepts JS-safe integers (enough for counts, indices, offsets). */
export function parseSafeInt(s: string): number | undefined {
  const v = parseInt64(s);
  return typeof v === 'number' ? v : undefined;
}

const DECIMAL_DOUBLE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const HEX_DOUBLE = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;
const INFINITE_DOUBLE = /^([+-]?)(?:inf|infinity)$/i;

/**
 * A double exactly as Redis's string2d accepts it (getDoubleFromObject: ZADD scores, WEIGHTS):
 * glibc strtod over the whole argument, in the C locale: decimals, `inf`/`infinity` with a
 * sign (case-insensitive) and hex floats (`0x1p-3`); refused: what strtod flags as out of range
 * (overflow to ±inf, `1e400`, and underflow to zero, `1e-400`; a subnormal result such as
 * `1e-310` is accepted), leading space, trailing bytes, NaN. Undefined when refused.
 */
export function parseDouble(s: string): number | undefined {
  const len = s.length;
  if (len === 0) return undefined;
  // The common case first, without the regex: up to 15 decimal digits, maybe after a '-', is an
  // exact double (strtod takes leading zeros too; "-0" is -0 for both).
  if (len <= 16) {
    let i = s.charCodeAt(0) === 45 /* - */ ? 1 : 0;
    if (i < len && len - i <= 15) {
      for (; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c < 48 || c > 57) break;
      }
      if (i === len) return Number(s);
    }
  }
  if (DECIMAL_DOUBLE.test(s)) {
    const d = Number(s);
    if (d === Infinity || d === -Infinity) return undefined; // overflow: ERANGE with HUGE_VAL
    if (d === 0 && /[1-9]/.test(mantissaOf(s))) return undefined; // underflow: ERANGE with zero
    return d;
  }
  const inf = INFINITE_DOUBLE.exec(s);
  if (inf !== null) return inf[1] === '-' ? -Infinity : Infinity;
  const hex = HEX_DOUBLE.exec(s);
  if (hex === null) return undefined;
  const intDigits = hex[2]!;
  const fracDigits = hex[3] ?? '';
  // strtod needs a hex digit after "0x" (else it parses the "0" alone and stops at the "x").
  if (intDigits.length + fracDigits.length === 0) return undefined;
  const mantissa = BigInt('0x0' + intDigits + fracDigits);
  const sign = hex[1] === '-' ? -1 : 1;
  if (mantissa === 0n) return sign * 0;
  // An exponent beyond any double's reach only matters through its sign: clamp it.
  const p = hex[4] === undefined ? 0 : Math.max(-1e6, Math.min(1e6, Number(hex[4])));
  const v = scaleBinary(mantissa, p - 4 * fracDigits.length);
  return v === undefined ? undefined : sign * v;
}

/** The digits before any exponent (to tell 0e5, a true zero, from 1e-400, an underflow). */
function mantissaOf(s: string): string {
  const e = s.search(/[eE]/);
  return e < 0 ? s : s.slice(0, e);
}

/**
 * mantissa × 2^exp rounded to the nearest double (ties to even), as strtod rounds; undefined
 * on overflow or when the result rounds to zero.
 */
function scaleBinary(mantissa: bigint, exp: number): number | undefined {
  const bits = mantissa.toString(2).length;
  const top = bits - 1 + exp; // the exponent of the leading bit
  if (top > 1023) return undefined;
  if (top >= -1022) {
    // Normal: keep 64 bits plus a sticky bit; Number() then rounds to 53 bits correctly.
    let m = mantissa;
    let e = exp;
    if (bits > 64) {
      const shift = BigInt(bits - 64);
      const sticky = (m & ((1n << shift) - 1n)) !== 0n ? 1n : 0n;
      m = (m >> shift) | sticky;
      e += bits - 64;
    }
    const v = timesPow2(Number(m), e);
    return Number.isFinite(v) ? v : undefined;
  }
  // Subnormal: the quantum is 2^-1074; round mantissa × 2^(exp + 1074) to an integer.
  const shift = -(exp + 1074);
  let q: bigint;
  if (shift <= 0) {
    q = mantissa << BigInt(-shift);
  } else {
    const s = BigInt(shift);
    q = mantissa >> s;
    const rest = mantissa & ((1n << s) - 1n);
    const half = 1n << (s - 1n);
    if (rest > half || (rest === half && (q & 1n) === 1n)) q++;
  }
  if (q === 0n) return undefined;
  return Number(q) * Number.MIN_VALUE;
}

/** x × 2^e in steps that keep the intermediate results normal (exact for normal results). */
function timesPow2(x: number, e: number): number {
  let v = x;
  let k = e;
  while (k > 1000) { v *= 2 ** 1000; k -= 1000; }
  while (k < -1000) { v *= 2 ** -1000; k += 1000; }
  return v * 2 ** k;
}

/** What strtod returns for a well-formed number beyond a double's range: ±inf or ±0. */
export function outOfRangeDouble(s: string): number | undefined {
  if (DECIMAL_DOUBLE.test(s)) return Number(s);
  const hex = HEX_DOUBLE.exec(s);
  if (hex === null) return undefined;
  const digits = hex[2]! + (hex[3] ?? '');
  if (digits.length === 0) return undefined;
  const sign = hex[1] === '-' ? -1 : 1;
  const mantissa = BigInt('0x0' + digits);
  if (mantissa === 0n) return sign * 0;
  const top = mantissa.toString(2).length - 1 + Number(hex[4] ?? 0) - 4 * (hex[3] ?? '').length;
  return sign * (top > 0 ? Infinity : 0);
}

/**
 * Walks argv from a position; the first error latches and later calls return neutral values,
 * so a handler parses all options and checks `error` once:
 *
 *   const p = new ArgParser(argv, 3);
 *   while (p.hasNext()) { const t = p.token(); ... }
 *   if (p.error) return ctx.reply.error(p.error);
 */
export class ArgParser {
  error: string | undefined;
  constructor(readonly argv: readonly string[], public pos = 1) {}

  hasNext(): boolean { return this.error === undefined && this.pos < this.argv.length; }
  remaining(): number { return this.argv.length - this.pos; }

  fail(message: string): void { this.error ??= message; }

  /** The next raw argument, or '' with a syntax error when there is none. */
  next(): string {
    if (this.pos >= this.argv.length) { this.fail(SYNTAX); return ''; }
    return this.argv[this.pos++]!;
  }

  /** The next argument upper-cased, for option keywords. */
  token(): string { return this.next().toUpperCase(); }

  /** Consumes the next argument when it equals `word` (case-insensitive). */
  accept(word: string): boolean {
    const a = this.argv[this.pos];
    if (a !== undefined && a.length === word.length && a.toUpperCase() === word) { this.pos++; return true; }
    return false;
  }

  /** An int64 that fits a JS safe integer, else `ERR value is not an integer or out of range`. */
  int(message: string = NOT_INTEGER): number {
    const v = parseInt64(this.next());
    if (typeof v !== 'number') { this.fail(message); return 0; }
    return v;
  }

  /** A full-range int64 as bigint. */
  int64(message: string = NOT_INTEGER): bigint {
    const v = parseInt64(this.next());
    if (v === undefined) { this.fail(message); return 0n; }
    return BigInt(v);
  }

  float(message: string = NOT_FLOAT): number {
    const v = parseDouble(this.next());
    if (v === undefined) { this.fail(message); return 0; }
    return v;
  }
}

/**
 * a + b in int64 arithmetic, as INCRBY and HINCRBY need it: a number while the sum is a safe
 * integer, a bigint beyond, undefined on overflow (`ERR increment or decrement would overflow`).
 */
export function addInt64(a: number | bigint, b: number | bigint): number | bigint | undefined {
  if (typeof a === 'number' && typeof b === 'number') {
    const sum = a + b;
    // Exact: both are safe integers and so is the double sum (any inexact sum is >= 2^53).
    if (Number.isSafeInteger(sum)) return sum;
  }
  const sum = BigInt(a) + BigInt(b);
  if (sum > INT64_MAX || sum < INT64_MIN) return undefined;
  return sum >= -9007199254740991n && sum <= 9007199254740991n ? Number(sum) : sum;
}
