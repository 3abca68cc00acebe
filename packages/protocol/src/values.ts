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

/**
 * C's printf("%.2f") for x >= 0. toFixed rounds an exact tie away from zero where printf
 * rounds it to even; a double is exactly halfway between hundredths only when it is an odd
 * number of eighths (0.125, 1.375 …: 1.125K is printed 1.12K by Redis).
 */
export function formatFixed2(x: number): string {
  const eighths = x * 8;
  if (!Number.isInteger(eighths) || eighths % 2 === 0) return x.toFixed(2);
  const below = Math.floor(x * 100); // exact: x * 100 = 12.5 * eighths
  const m = below % 2 === 0 ? below : below + 1;
  return `${Math.floor(m / 100)}.${String(m % 100).padStart(2, '0')}`;
}

/** Redis's bytesToHuman (INFO's *_human fields, redis-cli --stat): 1023B, 1.00K, 1.12K, 6.81M. */
export function bytesToHuman(n: number): string {
  if (n < 0) return `-${bytesToHuman(-n)}`;
  const units = ['K', 'M', 'G', 'T', 'P'];
  if (n < 1024) return `${n}B`;
  for (let i = 0, scale = 1024; i < units.length; i++, scale *= 1024) {
    if (n < scale * 1024) return `${formatFixed2(n / scale)}${units[i]}`;
  }
  return `${n}B`; // past 1024P, as Redis: plain bytes
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
