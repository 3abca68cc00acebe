/**
 * Reply values as JS objects (what a RESP reply parser or a capturing writer produces),
 * and the double formatting every writer shares.
 */

/**
 * Redis 7.0 formats doubles for replies with printf's `%.17g` (ZSCORE 1.1 → 1.1000000000000001).
 * `toExponential(16)` gives the same digits; this rewrites it into %g's shape.
 */
export function formatDouble(d: number): string {
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (Number.isNaN(d)) return 'nan';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  if (Number.isInteger(d) && Math.abs(d) < 1e17) return String(d);
  const p = d.toExponential(16); // 17 significant digits: "1.1000000000000001e+0"
  const e = p.indexOf('e');
  const exp = Number(p.slice(e + 1));
  // %g prints fixed notation for -4 <= exponent < precision, with precision-1-exponent decimals.
  if (exp >= -4 && exp < 17) return trimFraction(d.toFixed(16 - exp));
  return `${trimFraction(p.slice(0, e))}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

function trimFraction(s: string): string {
  if (s.indexOf('.') === -1) return s;
  let end = s.length;
  while (s.charCodeAt(end - 1) === 48 /* 0 */) end--;
  if (s.charCodeAt(end - 1) === 46 /* . */) end--;
  return s.slice(0, end);
}

/** A reply error as a value, for the capturing writer and clients. */
export class ReplyError extends Error {
  /** The first word of the message: ERR, WRONGTYPE, NOAUTH ... */
  readonly code: string;
  constructor(message: string) {
    super(message);
    this.name = 'ReplyError';
    const space = message.indexOf(' ');
    this.code = space === -1 ? message : message.slice(0, space);
  }
}

/** A simple-string reply as a value, so tests can tell `+OK` from a bulk "OK". */
export type Reply =
  | string | number | bigint | boolean | null | Uint8Array | ReplyError | SimpleString
  | Reply[] | ReplyMap | ReplySet | ReplyPush | ReplyDouble | ReplyVerbatim;

export class SimpleString {
  constructor(readonly value: string) {}
  toString(): string { return this.value; }
}
export class ReplyMap { constructor(readonly entries: [Reply, Reply][]) {} }
export class ReplySet { constructor(readonly items: Reply[]) {} }
export class ReplyPush { constructor(readonly items: Reply[]) {} }
export class ReplyDouble { constructor(readonly value: number) {} }
export class ReplyVerbatim { constructor(readonly format: string, readonly text: string) {} }
