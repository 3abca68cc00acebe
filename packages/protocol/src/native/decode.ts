/**
 * Decoding native frame bodies (format.ts): a command's argv on the owner, any reply value on
 * the client. Both check every length against the frame's end, so a truncated or padded body is
 * an error, never a read past the frame.
 */
import {
  ReplyDouble, ReplyError, ReplyMap, ReplyPush, ReplySet, ReplyVerbatim, SimpleString, type Reply,
} from '../values.js';
import { describeType, EXT_ERROR, EXT_PUSH, EXT_SET, EXT_VERBATIM } from './format.js';
import { commandName, latin1String, ReusedString } from '../resp/parser.js';

type Latin1Sliceable = Buffer & { latin1Slice(start: number, end: number): string; utf8Slice(start: number, end: number): string };

/** A body that is not a well-formed value of the expected shape. */
export class FrameError extends Error {}

const truncated = (): FrameError => new FrameError('truncated frame');

/**
 * A command: an array of str | bin | int | float. Returns argv as latin1 strings (the bytes),
 * numbers in decimal, or throws FrameError. `maxArgLength` bounds each str/bin.
 */
export function decodeCommand(buf: Buffer, start: number, end: number, maxArgLength: number): string[] {
  const b = buf as Latin1Sliceable;
  let pos = start;
  if (pos >= end) throw new FrameError('empty frame');
  const head = b[pos++]!;
  let count: number;
  if (head >= 0x90 && head <= 0x9f) count = head & 0x0f;
  else if (head === 0xdc) { if (pos + 2 > end) throw truncated(); count = b.readUInt16BE(pos); pos += 2; }
  else if (head === 0xdd) { if (pos + 4 > end) throw truncated(); count = b.readUInt32BE(pos); pos += 4; }
  else throw new FrameError(`a command must be an array of arguments, got ${describeType(head)}`);
  if (count === 0) throw new FrameError('empty command');
  // Every argument takes at least one byte: a count the frame cannot hold is refused before
  // anything is allocated for it.
  if (count > end - pos) throw truncated();
  const argv = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    if (pos >= end) throw truncated();
    const t = b[pos++]!;
    let n: number;
    if (t >= 0xa0 && t <= 0xbf) n = t & 0x1f;
    else if (t === 0xc4 || t === 0xd9) { if (pos + 1 > end) throw truncated(); n = b[pos++]!; }
    else if (t === 0xc5 || t === 0xda) { if (pos + 2 > end) throw truncated(); n = b.readUInt16BE(pos); pos += 2; }
    else if (t === 0xc6 || t === 0xdb) { if (pos + 4 > end) throw truncated(); n = b.readUInt32BE(pos); pos += 4; }
    else {
      const r = new Reader(b, pos - 1, end, true);
      const v = r.scalarNumber();
      if (v === undefined) throw new FrameError(`command arguments must be strings, binary or numbers, got ${describeType(t)}`);
      argv[i] = v;
      pos = r.pos;
      continue;
    }
    if (n > maxArgLength) throw new FrameError('invalid bulk length');
    if (pos + n > end) throw truncated();
    // Short strings are built in JS; a repeated command name, or first argument (usually the
    // key: a counter, a queue), reuses the last string with those bytes, so the keyspace's Map
    // finds the very string it hashed before.
    argv[i] = i === 0 ? commandName(b, pos, pos + n) : i === 1 ? firstArguments.get(b, pos, pos + n) : latin1String(b, pos, pos + n);
    pos += n;
  }
  if (pos !== end) throw new FrameError(`${end - pos} bytes after the command`);
  return argv;
}

/** The last first argument decoded (see decodeCommand). */
const firstArguments = new ReusedString(64);

/**
 * Decodes one whole value spanning exactly [start, end). Throws FrameError. bin values are
 * views into buf, or with `latin1` latin1 strings (for a caller that reuses buf afterwards).
 */
export function decodeValue(buf: Buffer, start: number, end: number, latin1 = false): Reply {
  const r = new Reader(buf as Latin1Sliceable, start, end, latin1);
  if (start >= end) throw new FrameError('empty frame');
  const v = r.value(0);
  if (r.pos !== end) throw new FrameError(`${end - r.pos} bytes after the value`);
  return v;
}

/** Nesting deeper than this is refused (a hostile frame of nested arrays would overflow the stack). */
const MAX_DEPTH = 512;

class Reader {
  constructor(readonly buf: Latin1Sliceable, public pos: number, readonly end: number, readonly latin1Bytes = false) {}

  private need(n: number): void {
    if (this.pos + n > this.end) throw truncated();
  }

  private u8(): number { this.need(1); return this.buf[this.pos++]!; }
  private u16(): number { this.need(2); const v = this.buf.readUInt16BE(this.pos); this.pos += 2; return v; }
  private u32(): number { this.need(4); const v = this.buf.readUInt32BE(this.pos); this.pos += 4; return v; }

  /** An int or float at pos, as decimal text; undefined (pos unchanged) for other types. */
  scalarNumber(): string | undefined {
    const t = this.buf[this.pos]!;
    const isInt = t <= 0x7f || t >= 0xe0 || (t >= 0xcc && t <= 0xd3);
    if (!isInt && t !== 0xca && t !== 0xcb) return undefined;
    const v = this.value(0) as number | bigint | ReplyDouble;
    if (v instanceof ReplyDouble) {
      const d = v.value;
      return Number.isNaN(d) ? 'nan' : d === Infinity ? 'inf' : d === -Infinity ? '-inf' : String(d);
    }
    return String(v);
  }

  private int64(signed: boolean): number | bigint {
    this.need(8);
    const v = signed ? this.buf.readBigInt64BE(this.pos) : this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
  }

  private bytes(n: number): Buffer | string {
    this.need(n);
    const v = this.latin1Bytes ? latin1String(this.buf, this.pos, this.pos + n) : this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  private utf8(n: number): string {
    this.need(n);
    const v = this.buf.utf8Slice(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  private latin1(n: number): string {
    this.need(n);
    const v = this.buf.latin1Slice(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  private array(n: number, depth: number): Reply[] {
    if (n > this.end - this.pos) throw truncated();
    const out = new Array<Reply>(n);
    for (let i = 0; i < n; i++) out[i] = this.value(depth + 1);
    return out;
  }

  private map(n: number, depth: number): ReplyMap {
    if (2 * n > this.end - this.pos) throw truncated();
    const entries = new Array<[Reply, Reply]>(n);
    for (let i = 0; i < n; i++) entries[i] = [this.value(depth + 1), this.value(depth + 1)];
    return new ReplyMap(entries);
  }

  private ext(n: number, depth: number): Reply {
    const type = this.u8();
    this.need(n);
    const end = this.pos + n;
    switch (type) {
      case EXT_ERROR:
        return new ReplyError(this.utf8(n));
      case EXT_SET:
      case EXT_PUSH: {
        const inner = new Reader(this.buf, this.pos, end, this.latin1Bytes);
        const items = inner.value(depth + 1);
        if (!Array.isArray(items) || inner.pos !== end) throw new FrameError(`extension ${type} must hold exactly one array`);
        this.pos = end;
        return type === EXT_SET ? new ReplySet(items) : new ReplyPush(items);
      }
      case EXT_VERBATIM: {
        if (n < 3) throw new FrameError('verbatim string without a format');
        const format = this.latin1(3);
        return new ReplyVerbatim(format, this.latin1(n - 3));
      }
      default:
        throw new FrameError(`unknown extension type ${type}`);
    }
  }

  value(depth: number): Reply {
    if (depth > MAX_DEPTH) throw new FrameError('values nested too deep');
    const t = this.u8();
    if (t <= 0x7f) return t;
    if (t >= 0xe0) return t - 0x100;
    if (t >= 0xa0 && t <= 0xbf) return new SimpleString(this.utf8(t & 0x1f));
    if (t >= 0x90 && t <= 0x9f) return this.array(t & 0x0f, depth);
    if (t >= 0x80 && t <= 0x8f) return this.map(t & 0x0f, depth);
    switch (t) {
      case 0xc0: return null;
      case 0xc2: return false;
      case 0xc3: return true;
      case 0xc4: return this.bytes(this.u8());
      case 0xc5: return this.bytes(this.u16());
      case 0xc6: return this.bytes(this.u32());
      case 0xc7: return this.ext(this.u8(), depth);
      case 0xc8: return this.ext(this.u16(), depth);
      case 0xc9: return this.ext(this.u32(), depth);
      case 0xca: { this.need(4); const v = this.buf.readFloatBE(this.pos); this.pos += 4; return new ReplyDouble(v); }
      case 0xcb: { this.need(8); const v = this.buf.readDoubleBE(this.pos); this.pos += 8; return new ReplyDouble(v); }
      case 0xcc: return this.u8();
      case 0xcd: return this.u16();
      case 0xce: return this.u32();
      case 0xcf: return this.int64(false);
      case 0xd0: { this.need(1); return this.buf.readInt8(this.pos++); }
      case 0xd1: { this.need(2); const v = this.buf.readInt16BE(this.pos); this.pos += 2; return v; }
      case 0xd2: { this.need(4); const v = this.buf.readInt32BE(this.pos); this.pos += 4; return v; }
      case 0xd3: return this.int64(true);
      case 0xd4: return this.ext(1, depth);
      case 0xd5: return this.ext(2, depth);
      case 0xd6: return this.ext(4, depth);
      case 0xd7: return this.ext(8, depth);
      case 0xd8: return this.ext(16, depth);
      case 0xd9: return new SimpleString(this.utf8(this.u8()));
      case 0xda: return new SimpleString(this.utf8(this.u16()));
      case 0xdb: return new SimpleString(this.utf8(this.u32()));
      case 0xdc: return this.array(this.u16(), depth);
      case 0xdd: return this.array(this.u32(), depth);
      case 0xde: return this.map(this.u16(), depth);
      case 0xdf: return this.map(this.u32(), depth);
      default: throw new FrameError('unused type byte 0xc1');
    }
  }
}

/** A decoded map's str keys as a plain object (the hellos). */
export function helloFields(v: Reply): Record<string, Reply> | undefined {
  if (!(v instanceof ReplyMap)) return undefined;
  const out: Record<string, Reply> = {};
  for (const [k, x] of v.entries) {
    const key = k instanceof SimpleString ? k.value : Buffer.isBuffer(k) ? k.toString('utf8') : undefined;
    if (key === undefined) return undefined;
    out[key] = x instanceof SimpleString ? x.value : Buffer.isBuffer(x) ? x.toString('utf8') : x;
  }
  return out;
}
