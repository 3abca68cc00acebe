/**
 * The output buffer every reply writer shares (RESP, native). Bytes are written into a slab (a
 * Buffer larger than needed). take() hands out the bytes written since the last take() as a
 * view of the slab and moves on past them, never writing over bytes already handed out, so a
 * socket write of the taken Buffer needs no copy. When the slab is full, pending bytes move to a
 * new one; the old one lives as long as views of it do. Slabs start at 1 KiB and double up to
 * 16 KiB (Redis's per-client reply buffer), so a thousand idle connections cost little; a reply
 * larger than that gets a buffer of its own, kept for reuse up to RETAIN bytes.
 *
 * recycle(): the owner of the views says they were consumed (a socket wrote them straight into
 * the kernel); the writer then starts again at the beginning of the same buffer. Fresh memory
 * is slow to touch on this VM (≈ 3 ms per MB: a new 100 KB buffer per GET of a 100 KB value
 * cost more than the rest of the GET), so a connection keeps writing into warm memory.
 */

const FIRST_SLAB = 1024;
const MAX_SLAB = 16 * 1024;
/** A buffer bigger than this is dropped after take() instead of kept for reuse. */
const RETAIN = 256 * 1024;
const EMPTY = Buffer.alloc(0);

export type LatinWritable = Buffer & { latin1Write(s: string, offset: number, length: number): number };

/** Strings shorter than this are copied byte by byte: cheaper than a call into C++. */
const SHORT_STRING = 24;

/** Writes a latin1 string's bytes (one char per byte) at pos; room must be there. Returns the new pos. */
export function writeLatin1(buf: Buffer, pos: number, s: string): number {
  const n = s.length;
  if (n >= SHORT_STRING) return pos + (buf as LatinWritable).latin1Write(s, pos, n);
  for (let i = 0; i < n; i++) buf[pos++] = s.charCodeAt(i);
  return pos;
}

/**
 * Writes a RESP length header — `*3\r\n`, `$5\r\n` (type is the byte `*` or `$`) — at pos;
 * room must be there. Returns the new pos. Digits byte by byte: no string per header.
 */
export function writeRespHeader(buf: Buffer, pos: number, type: number, n: number): number {
  buf[pos++] = type;
  if (n < 10) {
    buf[pos++] = 48 + n;
  } else {
    const digits = String(n);
    for (let i = 0; i < digits.length; i++) buf[pos++] = digits.charCodeAt(i);
  }
  buf[pos++] = 13;
  buf[pos++] = 10;
  return pos;
}

export abstract class SlabWriter {
  protected buf: LatinWritable = EMPTY as LatinWritable;
  /** Start of the bytes not yet taken. */
  protected start = 0;
  /** End of the bytes written. */
  protected pos = 0;
  /** Size of the next slab. */
  private slabSize = FIRST_SLAB;

  /** Pending encoded bytes count. */
  get length(): number {
    return this.pos - this.start;
  }

  /**
   * The pending bytes (or the first `limit` of them: a reply boundary the caller knows) as one
   * Buffer that stays valid (never overwritten later).
   */
  take(limit?: number): Buffer {
    if (limit !== undefined && limit < this.pos - this.start) {
      const end = this.start + limit;
      const part = this.buf.subarray(this.start, end);
      this.start = end;
      return part;
    }
    const out = this.buf.subarray(this.start, this.pos);
    if (this.buf.length > RETAIN) {
      this.buf = EMPTY as LatinWritable;
      this.start = 0;
      this.pos = 0;
    } else {
      this.start = this.pos;
    }
    return out;
  }

  /** Every byte taken so far was consumed: write over them (see the file comment). */
  recycle(): void {
    if (this.start === this.pos) {
      this.start = 0;
      this.pos = 0;
    }
  }

  /** Makes room for n more bytes. */
  protected reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const pending = this.pos - this.start;
    // At least doubling keeps a reply written in many small pieces linear in its size.
    const size = pending + n <= this.slabSize ? this.slabSize : Math.max(2 * pending, pending + n);
    if (this.slabSize < MAX_SLAB) this.slabSize *= 2;
    const next = Buffer.allocUnsafe(size) as LatinWritable;
    if (pending > 0) this.buf.copy(next, 0, this.start, this.pos);
    const shift = this.start;
    this.buf = next;
    this.start = 0;
    this.pos = pending;
    if (shift !== 0) this.moved(shift);
  }

  /** Pending bytes moved `shift` bytes towards the start (positions a subclass keeps must follow). */
  protected moved(_shift: number): void {}
}
