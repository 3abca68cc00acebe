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

/**
 * Redis's string2d / strtod-based float parsing used by INCRBYFLOAT, ZADD and friends:
 * no leading/trailing space, the whole string consumed, `inf`/`-inf`/`+inf` accepted
 * (case-insensitive), NaN rejected.
 */
export function parseDouble(s: string): number | undefined {
  const len = s.length;
  if (len === 0 || len > 5000) return undefined;
  const c0 = s.charCodeAt(0);
  const cl = s.charCodeAt(len - 1);
  if (isSpace(c0) || isSpace(cl)) return undefined;
  const lower = s.toLowerCase();
  if (lower === 'inf' || lower === '+inf' || lower === 'infinity' || lower === '+infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  // strtod's grammar: [sign] digits [. digits] [e [sign] digits], or hex floats (rare; refused here).
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s)) return undefined;
  const d = Number(s);
  return Number.isNaN(d) ? undefined : d;
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
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
