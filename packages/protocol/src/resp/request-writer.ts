/**
 * The client side of RESP requests: encodes commands (`*N` arrays of bulk strings) into one
 * growing buffer, so every command issued in one tick leaves in one write (one ring publish,
 * one socket write). Arguments are latin1 strings (one char per byte), as everywhere in nodis.
 *
 * Arguments of LARGE_ARGUMENT bytes or more are not copied into the buffer: the buffer so far
 * and the argument's own bytes become separate pieces, so a 100 MB value is encoded once.
 */

import { writeLatin1, writeRespHeader, type LatinWritable } from '../slab.js';

const LARGE_ARGUMENT = 64 * 1024;
const INITIAL = 4096;


export class RequestWriter {
  private buf: LatinWritable = Buffer.allocUnsafe(INITIAL) as LatinWritable;
  private pos = 0;
  private readonly pieces: Buffer[] = [];
  private piecesLength = 0;

  /** Bytes encoded and not yet taken. */
  get length(): number { return this.piecesLength + this.pos; }

  /** Appends one command. */
  command(argv: readonly string[]): void {
    let need = 16;
    for (let i = 0; i < argv.length; i++) {
      const n = argv[i]!.length;
      need += 16 + (n < LARGE_ARGUMENT ? n : 0);
    }
    this.reserve(need);
    this.header(42 /* * */, argv.length);
    for (let i = 0; i < argv.length; i++) {
      const s = argv[i]!;
      const n = s.length;
      this.header(36 /* $ */, n);
      if (n >= LARGE_ARGUMENT) {
        this.cut();
        const piece = Buffer.from(s, 'latin1');
        this.pieces.push(piece);
        this.piecesLength += piece.length;
      } else {
        this.pos = writeLatin1(this.buf, this.pos, s);
      }
      this.buf[this.pos++] = 13;
      this.buf[this.pos++] = 10;
    }
  }

  /** Takes every byte encoded so far, as one or more Buffers (owned by the caller). */
  take(): Buffer[] {
    this.cut();
    const out = this.pieces.splice(0);
    this.piecesLength = 0;
    return out;
  }

  /**
   * Like take(), but the last piece is a view of the internal buffer, which the next command()
   * overwrites: for callers that copy the bytes out at once (into a ring), saving an
   * allocation per batch. Copy whatever must outlive the next command().
   */
  borrow(): Buffer[] {
    const out = this.pieces.splice(0);
    this.piecesLength = 0;
    if (this.pos !== 0) {
      out.push(this.buf.subarray(0, this.pos));
      this.pos = 0;
    }
    return out;
  }

  /** Ends the current buffer as a piece; later bytes go to a fresh one. */
  private cut(): void {
    if (this.pos === 0) return;
    this.pieces.push(this.buf.subarray(0, this.pos));
    this.piecesLength += this.pos;
    this.buf = Buffer.allocUnsafe(Math.max(INITIAL, this.buf.length)) as LatinWritable;
    this.pos = 0;
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.cut();
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n) as LatinWritable;
  }

  /** `*N\r\n` or `$N\r\n`; reserve() has made room for it. */
  private header(type: number, n: number): void {
    this.pos = writeRespHeader(this.buf, this.pos, type, n);
  }
}
