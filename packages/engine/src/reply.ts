/**
 * ReplyWriter: how handlers answer, whatever the transport (Redis's addReply* family).
 * Aggregates are written as a header (`array(n)`) followed by exactly n elements
 * (a map: n key/value pairs, 2n elements), so writers can stream without building trees.
 * Implementations: the RESP2/RESP3 writer (@nodis/protocol), the capturing writer below
 * (memory transport and tests), later the native/ring writer.
 */
export interface ReplyWriter {
  /** 2 or 3; HELLO changes it, before writing its own reply. */
  protocol: 2 | 3;
  /** `+OK`. Must not contain CR or LF. */
  simple(s: string): void;
  /** A full error line without the leading '-': `ERR syntax error`, `WRONGTYPE ...`. */
  error(message: string): void;
  int(n: number | bigint): void;
  /** A bulk string: latin1 string (one char per byte) or bytes. */
  bulk(b: string | Uint8Array): void;
  /** RESP2 `$-1`, RESP3 `_`. */
  null(): void;
  /** RESP2 `*-1`, RESP3 `_`. */
  nullArray(): void;
  array(length: number): void;
  /** RESP3 `%n`; RESP2 a flat array of 2n. */
  map(pairs: number): void;
  /** RESP3 `~n`; RESP2 an array. */
  set(length: number): void;
  /** RESP3 `>n`; RESP2 an array. */
  push(length: number): void;
  /** RESP3 `,`; RESP2 a bulk string, both formatted as Redis 7.0 does (`%.17g`, `inf`). */
  double(d: number): void;
  /** RESP3 `#t`/`#f`; RESP2 `:1`/`:0`. */
  bool(b: boolean): void;
  /** RESP3 `=len\r\ntxt:...`; RESP2 a bulk string. */
  verbatim(text: string, format: string): void;
}

/**
 * Redis 7.0 formats doubles for replies with printf's `%.17g` (ZSCORE 1.1 → 1.1000000000000001).
 * `toPrecision(17)` gives the same digits; this rewrites it into %g's shape.
 */
export function formatDouble(d: number): string {
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (Number.isNaN(d)) return 'nan';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  if (Number.isInteger(d) && Math.abs(d) < 1e17) return String(d);
  const p = d.toPrecision(17); // "1.1000000000000001" or "1.0000000000000000e+21"
  const e = p.indexOf('e');
  if (e === -1) return trimFraction(p);
  const mantissa = trimFraction(p.slice(0, e));
  const exp = Number(p.slice(e + 1));
  // %g uses exponent notation when exp < -4 or exp >= precision; toPrecision uses it for
  // exp >= precision too, but switches to fixed for small exponents only above -7.
  if (exp >= -4 && exp < 17) return trimFraction(d.toFixed(Math.max(0, 16 - exp)));
  return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
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

interface Frame { kind: 'array' | 'map' | 'set' | 'push'; left: number; items: Reply[] }

/**
 * Builds reply values from the streamed calls. Bulk strings stay latin1 strings (bytes);
 * callers decode. `take()` returns the completed top-level replies since the last call.
 */
export class CapturingWriter implements ReplyWriter {
  protocol: 2 | 3 = 2;
  private readonly done: Reply[] = [];
  private readonly stack: Frame[] = [];

  constructor(protocol: 2 | 3 = 2) { this.protocol = protocol; }

  take(): Reply[] { return this.done.splice(0, this.done.length); }
  /** The single reply of one command (throws if none is complete). */
  takeOne(): Reply {
    if (this.done.length === 0) throw new Error('no complete reply');
    return this.done.shift()!;
  }
  get pending(): number { return this.done.length; }

  private add(v: Reply): void {
    let value = v;
    for (;;) {
      const top = this.stack[this.stack.length - 1];
      if (!top) { this.done.push(value); return; }
      top.items.push(value);
      if (--top.left > 0) return;
      this.stack.pop();
      value = top.kind === 'array' ? top.items
        : top.kind === 'map' ? new ReplyMap(pairs(top.items))
        : top.kind === 'set' ? new ReplySet(top.items)
        : new ReplyPush(top.items);
    }
  }
  private open(kind: Frame['kind'], n: number): void {
    if (n === 0) {
      this.add(kind === 'array' ? [] : kind === 'map' ? new ReplyMap([]) : kind === 'set' ? new ReplySet([]) : new ReplyPush([]));
      return;
    }
    this.stack.push({ kind, left: kind === 'map' ? n * 2 : n, items: [] });
  }

  simple(s: string): void { this.add(new SimpleString(s)); }
  error(message: string): void { this.add(new ReplyError(message)); }
  int(n: number | bigint): void { this.add(typeof n === 'bigint' && n >= -9007199254740991n && n <= 9007199254740991n ? Number(n) : n); }
  bulk(b: string | Uint8Array): void { this.add(typeof b === 'string' ? b : Buffer.from(b).toString('latin1')); }
  null(): void { this.add(null); }
  nullArray(): void { this.add(null); }
  array(length: number): void { this.open('array', length); }
  map(pairsCount: number): void {
    if (this.protocol === 2) this.open('array', pairsCount * 2);
    else this.open('map', pairsCount);
  }
  set(length: number): void { this.open(this.protocol === 2 ? 'array' : 'set', length); }
  push(length: number): void { this.open(this.protocol === 2 ? 'array' : 'push', length); }
  double(d: number): void { this.add(this.protocol === 2 ? formatDouble(d) : new ReplyDouble(d)); }
  bool(b: boolean): void { this.add(this.protocol === 2 ? (b ? 1 : 0) : b); }
  verbatim(text: string, format: string): void { this.add(this.protocol === 2 ? text : new ReplyVerbatim(format, text)); }
}

function pairs(items: Reply[]): [Reply, Reply][] {
  const out: [Reply, Reply][] = [];
  for (let i = 0; i < items.length; i += 2) out.push([items[i]!, items[i + 1]!]);
  return out;
}
