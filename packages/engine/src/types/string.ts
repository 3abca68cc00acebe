/**
 * String values. A small string that was set whole is a latin1 JS string (one char per byte,
 * V8's compact one-byte representation). A string that was modified in place (APPEND,
 * SETRANGE, SETBIT) or is near V8's string length limit is a RawString: a byte buffer with
 * spare capacity, so repeated APPENDs are amortised O(1) like Redis's sds. Redis reports the
 * first as `int`/`embstr`, the second as `raw`, and so do we.
 */
export class RawString {
  /** Bytes [0, length) are the value; the rest is capacity. */
  buf: Buffer;
  length: number;

  constructor(initial: Buffer | string, capacity = 0) {
    const src = typeof initial === 'string' ? Buffer.from(initial, 'latin1') : initial;
    this.buf = Buffer.allocUnsafeSlow(Math.max(capacity, src.length));
    src.copy(this.buf, 0);
    this.length = src.length;
  }

  /** A view of the value's bytes (valid until the next mutation). */
  bytes(): Buffer { return this.buf.subarray(0, this.length); }

  /** Makes room for `size` bytes, growing geometrically (as sds does below 1 MiB, then +1 MiB). */
  reserve(size: number): void {
    if (size <= this.buf.length) return;
    const grown = size < 1 << 20 ? size * 2 : size + (1 << 20);
    const next = Buffer.allocUnsafeSlow(grown);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  append(bytes: string | Uint8Array): number {
    const n = typeof bytes === 'string' ? bytes.length : bytes.length;
    this.reserve(this.length + n);
    if (typeof bytes === 'string') this.buf.write(bytes, this.length, 'latin1');
    else this.buf.set(bytes, this.length);
    this.length += n;
    return this.length;
  }
}

export type StringValue = string | RawString;

/** Byte length of a string value. */
export function stringLength(v: StringValue): number {
  return v.length;
}

/** The value as a latin1 string (copies a RawString; fine for small values). */
export function stringToLatin1(v: StringValue): string {
  return typeof v === 'string' ? v : v.buf.toString('latin1', 0, v.length);
}

/** The value for a bulk reply without copying a RawString. */
export function stringForReply(v: StringValue): string | Uint8Array {
  return typeof v === 'string' ? v : v.bytes();
}
