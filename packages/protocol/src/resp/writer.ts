/**
 * The server side of RESP: encodes replies, in RESP2 or RESP3 as Redis 7.0 does.
 * Implements the engine's ReplyWriter structurally (this package must not import the engine).
 * Replies are written into a slab (slab.ts): take() hands out views that are never overwritten.
 */
import { formatDouble } from '../values.js';
import { SlabWriter, writeLatin1 } from '../slab.js';

/** Strings shorter than this are copied byte by byte: cheaper than a call into C++. */
const SHORT_STRING = 24;

// Type bytes.
const SIMPLE = 43; // +
const ERROR = 45; // -
const INTEGER = 58; // :
const BULK = 36; // $
const ARRAY = 42; // *
const MAP = 37; // %
const SET = 126; // ~
const PUSH = 62; // >
const DOUBLE = 44; // ,
const VERBATIM = 61; // =

export class RespWriter extends SlabWriter {
  /** 2 or 3; HELLO sets it before writing its own reply. */
  protocol: 2 | 3;

  constructor(protocol: 2 | 3 = 2) {
    super();
    this.protocol = protocol;
  }

  /** Writes `<type><n>\r\n` for a safe integer n. */
  private header(type: number, n: number): void {
    this.reserve(24);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = type;
    if (n >= 0 && n < 10) {
      buf[p++] = 48 + n;
    } else if (n >= 10 && n < 100) {
      buf[p++] = 48 + ((n / 10) | 0);
      buf[p++] = 48 + (n % 10);
    } else {
      p = writeDigits(buf, p, n);
    }
    buf[p++] = 13;
    buf[p++] = 10;
    this.pos = p;
  }

  /** Writes a latin1 string (no framing); room must be reserved. */
  private text(s: string): void {
    this.pos = writeLatin1(this.buf, this.pos, s);
  }

  private crlf(): void {
    this.buf[this.pos++] = 13;
    this.buf[this.pos++] = 10;
  }

  /** A one-line reply: `<type><s>\r\n`. */
  private line(type: number, s: string): void {
    this.reserve(s.length + 3);
    this.buf[this.pos++] = type;
    this.text(s);
    this.crlf();
  }

  private bulkString(s: string): void {
    this.header(BULK, s.length);
    this.reserve(s.length + 2);
    this.text(s);
    this.crlf();
  }

  /** `+OK`. Must not contain CR or LF. */
  simple(s: string): void {
    this.line(SIMPLE, s);
  }

  /**
   * A full error line without the leading '-': `ERR syntax error`. CR and LF at either end are
   * trimmed and those inside become spaces, as Redis's addReplyErrorFormat does, so an error
   * quoting client input can never break the framing.
   */
  error(message: string): void {
    this.line(ERROR, oneLine(message));
  }

  int(n: number | bigint): void {
    if (typeof n === 'number' && Number.isSafeInteger(n)) {
      this.header(INTEGER, n);
      return;
    }
    if (typeof n === 'number' && !Number.isInteger(n)) throw new TypeError(`RESP integer expected, got ${n}`);
    this.line(INTEGER, BigInt(n).toString());
  }

  /** A bulk string: latin1 string (one char per byte) or bytes (copied now). */
  bulk(b: string | Uint8Array): void {
    if (typeof b === 'string') {
      this.bulkString(b);
      return;
    }
    const length = b.length;
    this.header(BULK, length);
    this.reserve(length + 2);
    const buf = this.buf;
    if (length < SHORT_STRING) {
      let p = this.pos;
      for (let i = 0; i < length; i++) buf[p++] = b[i]!;
      this.pos = p;
    } else {
      buf.set(b, this.pos);
      this.pos += length;
    }
    this.crlf();
  }

  /** RESP2 `$-1`, RESP3 `_`. */
  null(): void {
    if (this.protocol === 3) this.underscore();
    else this.minusOne(BULK);
  }

  /** RESP2 `*-1`, RESP3 `_`. */
  nullArray(): void {
    if (this.protocol === 3) this.underscore();
    else this.minusOne(ARRAY);
  }

  private underscore(): void {
    this.reserve(3);
    const buf = this.buf;
    const p = this.pos;
    buf[p] = 95;
    buf[p + 1] = 13;
    buf[p + 2] = 10;
    this.pos = p + 3;
  }

  private minusOne(type: number): void {
    this.reserve(5);
    const buf = this.buf;
    const p = this.pos;
    buf[p] = type;
    buf[p + 1] = 45;
    buf[p + 2] = 49;
    buf[p + 3] = 13;
    buf[p + 4] = 10;
    this.pos = p + 5;
  }

  array(length: number): void {
    this.header(ARRAY, length);
  }

  /** RESP3 `%n`; RESP2 a flat array of 2n. */
  map(pairs: number): void {
    if (this.protocol === 3) this.header(MAP, pairs);
    else this.header(ARRAY, pairs * 2);
  }

  /** RESP3 `~n`; RESP2 an array. */
  set(length: number): void {
    this.header(this.protocol === 3 ? SET : ARRAY, length);
  }

  /** RESP3 `>n`; RESP2 an array. */
  push(length: number): void {
    this.header(this.protocol === 3 ? PUSH : ARRAY, length);
  }

  /** RESP3 `,1.1000000000000001`, `,inf`; RESP2 the same text as a bulk string (Redis 7.0). */
  double(d: number): void {
    if (this.protocol === 3) this.line(DOUBLE, formatDouble(d));
    else this.bulkString(formatDouble(d));
  }

  /** RESP3 `#t`/`#f`; RESP2 `:1`/`:0`. */
  bool(b: boolean): void {
    this.reserve(4);
    const buf = this.buf;
    const p = this.pos;
    if (this.protocol === 3) {
      buf[p] = 35; // #
      buf[p + 1] = b ? 116 : 102; // t f
    } else {
      buf[p] = INTEGER;
      buf[p + 1] = b ? 49 : 48;
    }
    buf[p + 2] = 13;
    buf[p + 3] = 10;
    this.pos = p + 4;
  }

  /**
   * RESP3 `=<len>\r\n<fmt>:<text>\r\n` (fmt is 3 characters: `txt`, `mkd`); RESP2 a bulk string
   * of the text. A format of another length is cut or space-padded to 3 so the framing holds.
   */
  verbatim(text: string, format: string): void {
    if (this.protocol === 2) {
      this.bulkString(text);
      return;
    }
    const fmt = format.length === 3 ? format : (format + '   ').slice(0, 3);
    this.header(VERBATIM, text.length + 4);
    this.reserve(text.length + 6);
    this.text(fmt);
    this.buf[this.pos++] = 58; // :
    this.text(text);
    this.crlf();
  }
}

/** Writes the decimal digits of a safe integer at p; returns the end. */
function writeDigits(buf: Buffer, p: number, n: number): number {
  let value = n;
  if (value < 0) {
    buf[p++] = 45;
    value = -value;
  }
  let digits = 1;
  for (let v = value; v >= 10; v = Math.floor(v / 10)) digits++;
  let i = p + digits;
  const end = i;
  do {
    const q = Math.floor(value / 10);
    buf[--i] = 48 + (value - q * 10);
    value = q;
  } while (value > 0);
  return end;
}

/** Trims CR/LF at both ends and turns inner CR/LF into spaces (Redis's addReplyErrorFormat). */
function oneLine(message: string): string {
  let start = 0;
  let end = message.length;
  let clean = true;
  for (let i = 0; i < end; i++) {
    const c = message.charCodeAt(i);
    if (c === 13 || c === 10) { clean = false; break; }
  }
  if (clean) return message;
  while (start < end && isNewline(message.charCodeAt(start))) start++;
  while (end > start && isNewline(message.charCodeAt(end - 1))) end--;
  let out = '';
  let from = start;
  for (let i = start; i < end; i++) {
    if (isNewline(message.charCodeAt(i))) {
      out += message.slice(from, i) + ' ';
      from = i + 1;
    }
  }
  return out + message.slice(from, end);
}

function isNewline(c: number): boolean {
  return c === 13 || c === 10;
}
