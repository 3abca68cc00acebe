/**
 * The server side of the native protocol (format.ts): replies as MessagePack frames, streamed
 * from the engine's ReplyWriter calls with no value tree. Implements the engine's ReplyWriter
 * structurally, like RespWriter, and downgrades RESP3 types for protocol 2 the same way.
 *
 * Each top-level reply is one frame: its 4-byte length is reserved when the reply starts and
 * filled in when its last element is written. Sets and pushes are extensions holding an array,
 * so their data length is filled in the same way (an ext 32 header).
 */
import { formatDouble } from '../values.js';
import { SlabWriter, writeLatin1 } from '../slab.js';
import {
  ARRAY_HEADER, BIN_HEADER, EXT_ERROR, EXT_PUSH, EXT_SET, EXT_VERBATIM, FRAME_HEADER, MAP_HEADER, STR_HEADER, writeHeader,
} from './format.js';

/** Strings shorter than this are copied byte by byte: cheaper than a call into C++. */
const SHORT_STRING = 24;

export class NativeWriter extends SlabWriter {
  /** 2 or 3; HELLO sets it before writing its own reply. */
  protocol: 2 | 3;

  /**
   * Open aggregates, innermost last: elements still to come, and where a length to fill in
   * starts (a frame's prefix at depth 0, an ext 32 length for a set or push; -1 for none).
   */
  private readonly left: number[] = [];
  private readonly patch: number[] = [];
  /** Where the current top-level frame's length prefix is. */
  private frameStart = -1;

  constructor(protocol: 2 | 3 = 2) {
    super();
    this.protocol = protocol;
  }

  protected override moved(shift: number): void {
    if (this.frameStart >= 0) this.frameStart -= shift;
    const patch = this.patch;
    for (let i = 0; i < patch.length; i++) if (patch[i]! >= 0) patch[i]! -= shift;
  }

  /** Starts a value: opens a frame when none is open. Reserves n more bytes. */
  private begin(n: number): void {
    if (this.left.length === 0) {
      this.reserve(n + FRAME_HEADER);
      this.frameStart = this.pos;
      this.pos += FRAME_HEADER;
    } else {
      this.reserve(n);
    }
  }

  /** A value ended: counts it against its aggregate, closing every aggregate it completes. */
  private end(): void {
    const left = this.left;
    let depth = left.length;
    while (depth !== 0) {
      const remaining = left[depth - 1]! - 1;
      if (remaining !== 0) {
        left[depth - 1] = remaining;
        return;
      }
      left.pop();
      const at = this.patch.pop()!;
      if (at >= 0) this.buf.writeUInt32BE(this.pos - at - 6, at + 1);
      depth--;
    }
    this.buf.writeUInt32BE(this.pos - this.frameStart - FRAME_HEADER, this.frameStart);
    this.frameStart = -1;
  }

  /** Opens an aggregate of n elements whose header was just written (patchAt: ext 32 start or -1). */
  private open(n: number, patchAt: number): void {
    if (n === 0) {
      if (patchAt >= 0) this.buf.writeUInt32BE(this.pos - patchAt - 6, patchAt + 1);
      this.end();
      return;
    }
    this.left.push(n);
    this.patch.push(patchAt);
  }

  private arrayHeader(n: number): void {
    this.pos = writeHeader(this.buf, this.pos, n, ARRAY_HEADER);
  }

  /** bin or str header for n bytes. */
  private bytesHeader(n: number, str: boolean): void {
    this.pos = writeHeader(this.buf, this.pos, n, str ? STR_HEADER : BIN_HEADER);
  }

  /** Writes a latin1 string's bytes (room reserved). */
  private latin1(s: string): void {
    this.pos = writeLatin1(this.buf, this.pos, s);
  }

  /** An ext 8/16/32 header for n data bytes of the given type. */
  private extHeader(type: number, n: number): void {
    const buf = this.buf;
    if (n < 0x100) {
      buf[this.pos] = 0xc7;
      buf[this.pos + 1] = n;
      buf[this.pos + 2] = type;
      this.pos += 3;
    } else if (n < 0x10000) {
      buf[this.pos] = 0xc8;
      buf.writeUInt16BE(n, this.pos + 1);
      buf[this.pos + 3] = type;
      this.pos += 4;
    } else {
      buf[this.pos] = 0xc9;
      buf.writeUInt32BE(n, this.pos + 1);
      buf[this.pos + 5] = type;
      this.pos += 6;
    }
  }

  /**
   * A str of a latin1 string's bytes: simple strings and hello fields. The engine's strings are
   * bytes (an error may quote the bytes of an argument), sent as they are, as RESP does; a
   * client decodes them as UTF-8.
   */
  private text(s: string): void {
    const n = s.length;
    this.begin(n + 5);
    this.bytesHeader(n, true);
    this.latin1(s);
    this.end();
  }

  simple(s: string): void {
    this.text(s);
  }

  /** An error frame: ext 1 with the message's bytes ("ERR syntax error"; latin1, as text()). */
  error(message: string): void {
    const n = message.length;
    this.begin(n + 6);
    this.extHeader(EXT_ERROR, n);
    this.latin1(message);
    this.end();
  }

  int(n: number | bigint): void {
    this.begin(9);
    const buf = this.buf;
    if (typeof n === 'number' && Number.isSafeInteger(n)) {
      if (n >= 0) {
        if (n < 0x80) buf[this.pos++] = n;
        else if (n < 0x100) { buf[this.pos] = 0xcc; buf[this.pos + 1] = n; this.pos += 2; }
        else if (n < 0x10000) { buf[this.pos] = 0xcd; buf.writeUInt16BE(n, this.pos + 1); this.pos += 3; }
        else if (n < 0x100000000) { buf[this.pos] = 0xce; buf.writeUInt32BE(n, this.pos + 1); this.pos += 5; }
        else { buf[this.pos] = 0xcf; buf.writeBigUInt64BE(BigInt(n), this.pos + 1); this.pos += 9; }
      } else if (n >= -32) {
        buf[this.pos++] = n & 0xff;
      } else if (n >= -0x80) { buf[this.pos] = 0xd0; buf.writeInt8(n, this.pos + 1); this.pos += 2; }
      else if (n >= -0x8000) { buf[this.pos] = 0xd1; buf.writeInt16BE(n, this.pos + 1); this.pos += 3; }
      else if (n >= -0x80000000) { buf[this.pos] = 0xd2; buf.writeInt32BE(n, this.pos + 1); this.pos += 5; }
      else { buf[this.pos] = 0xd3; buf.writeBigInt64BE(BigInt(n), this.pos + 1); this.pos += 9; }
    } else {
      if (typeof n === 'number' && !Number.isInteger(n)) throw new TypeError(`integer expected, got ${n}`);
      const b = BigInt(n);
      if (b >= 0n) { buf[this.pos] = 0xcf; buf.writeBigUInt64BE(b, this.pos + 1); }
      else { buf[this.pos] = 0xd3; buf.writeBigInt64BE(b, this.pos + 1); }
      this.pos += 9;
    }
    this.end();
  }

  /** bin: a latin1 string (one char per byte) or bytes (copied now). */
  bulk(b: string | Uint8Array): void {
    const n = b.length;
    this.begin(n + 5);
    this.bytesHeader(n, false);
    if (typeof b === 'string') {
      this.latin1(b);
    } else if (n < SHORT_STRING) {
      const buf = this.buf;
      let p = this.pos;
      for (let i = 0; i < n; i++) buf[p++] = b[i]!;
      this.pos = p;
    } else {
      this.buf.set(b, this.pos);
      this.pos += n;
    }
    this.end();
  }

  null(): void {
    this.begin(1);
    this.buf[this.pos++] = 0xc0;
    this.end();
  }

  nullArray(): void {
    this.null();
  }

  array(length: number): void {
    this.begin(5);
    this.arrayHeader(length);
    this.open(length, -1);
  }

  map(pairs: number): void {
    if (this.protocol === 2) {
      this.array(pairs * 2);
      return;
    }
    this.begin(5);
    this.pos = writeHeader(this.buf, this.pos, pairs, MAP_HEADER);
    this.open(pairs * 2, -1);
  }

  /** ext `type` holding an array of `length`; its data length is filled in when it ends. */
  private wrapped(type: number, length: number): void {
    this.begin(11);
    const at = this.pos;
    this.buf[at] = 0xc9;
    this.buf[at + 5] = type;
    this.pos += 6;
    this.arrayHeader(length);
    this.open(length, at);
  }

  set(length: number): void {
    if (this.protocol === 2) this.array(length);
    else this.wrapped(EXT_SET, length);
  }

  push(length: number): void {
    if (this.protocol === 2) this.array(length);
    else this.wrapped(EXT_PUSH, length);
  }

  /** RESP3 float64; RESP2 a bin of the text Redis 7.0 sends (`%.17g`, `inf`). */
  double(d: number): void {
    if (this.protocol === 2) {
      this.bulk(formatDouble(d));
      return;
    }
    this.begin(9);
    this.buf[this.pos] = 0xcb;
    this.buf.writeDoubleBE(d, this.pos + 1);
    this.pos += 9;
    this.end();
  }

  bool(b: boolean): void {
    if (this.protocol === 2) {
      this.int(b ? 1 : 0);
      return;
    }
    this.begin(1);
    this.buf[this.pos++] = b ? 0xc3 : 0xc2;
    this.end();
  }

  /** RESP3 ext 4: the 3-byte format, then the text (latin1 bytes); RESP2 a bin of the text. */
  verbatim(text: string, format: string): void {
    if (this.protocol === 2) {
      this.bulk(text);
      return;
    }
    const fmt = format.length === 3 ? format : (format + '   ').slice(0, 3);
    const n = text.length + 3;
    this.begin(n + 6);
    this.extHeader(EXT_VERBATIM, n);
    this.latin1(fmt);
    this.latin1(text);
    this.end();
  }

  /** The server's hello reply: a map of text and integer fields. */
  hello(fields: Record<string, string | number>): void {
    const keys = Object.keys(fields);
    this.map3(keys.length);
    for (const k of keys) {
      this.text(k);
      const v = fields[k]!;
      if (typeof v === 'number') this.int(v);
      else this.text(v);
    }
  }

  /** A msgpack map whatever the protocol (the hello precedes HELLO). */
  private map3(pairs: number): void {
    const protocol = this.protocol;
    this.protocol = 3;
    this.map(pairs);
    this.protocol = protocol;
  }
}
