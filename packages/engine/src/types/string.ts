import { constants as bufferConstants } from 'node:buffer';
import { parseInt64 } from '../args.js';

/**
 * String values. A small string that was set whole is a latin1 JS string (one char per byte,
 * V8's compact one-byte representation). A string that was modified in place (APPEND,
 * SETRANGE, SETBIT) or is near V8's string length limit is a RawString: a byte buffer with
 * spare capacity, so repeated APPENDs are amortised O(1) like Redis's sds. Redis reports the
 * first as `int`/`embstr`, the second as `raw`, and so do we.
 */

/**
 * Longest value a RawString can hold: Node's Buffer limit (4 GiB on Node 20), far above Redis's
 * 512 MiB, which a JS string cannot reach (V8 stops at 536,870,888 chars).
 */
export const MAX_RAW_LENGTH = bufferConstants.MAX_LENGTH;

/** Capacity to allocate for `size` bytes: double below 1 MiB, then +1 MiB (sds's policy). */
export function grownCapacity(size: number): number {
  const grown = size < 1 << 20 ? size * 2 : size + (1 << 20);
  return Math.min(grown, MAX_RAW_LENGTH);
}

export class RawString {
  /**
   * Bytes [0, length) are the value; the rest is capacity, always zero: buffers come from
   * Buffer.alloc (the OS hands out zeroed pages lazily, so 512 MiB costs nothing up front, where
   * filling an unsafe buffer touches every page) and a value never shrinks. Growing into the
   * capacity (SETRANGE, SETBIT past the end) therefore needs no fill.
   */
  buf: Buffer;
  length: number;

  constructor(initial: Buffer | string, capacity = 0) {
    const size = initial.length;
    this.buf = Buffer.alloc(Math.max(capacity, size));
    if (typeof initial === 'string') this.buf.write(initial, 0, 'latin1');
    else initial.copy(this.buf, 0);
    this.length = size;
  }

  /** A view of the value's bytes (valid until the next mutation). */
  bytes(): Buffer { return this.buf.subarray(0, this.length); }

  /** Makes room for `size` bytes, growing geometrically (as sds does below 1 MiB, then +1 MiB). */
  reserve(size: number): void {
    if (size <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(size, grownCapacity(size)));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  append(bytes: string | Uint8Array): number {
    const n = bytes.length;
    this.reserve(this.length + n);
    if (typeof bytes === 'string') this.buf.write(bytes, this.length, 'latin1');
    else this.buf.set(bytes, this.length);
    this.length += n;
    return this.length;
  }

  /**
   * Writes `bytes` at `offset`, first extending the value with zero bytes when it is shorter
   * (SETRANGE). The caller has checked the resulting length against the configured limit.
   */
  setRange(offset: number, bytes: string): number {
    const end = offset + bytes.length;
    if (end > this.length) {
      this.reserve(end); // the gap [length, offset) is capacity, hence already zero
      this.length = end;
    }
    this.buf.write(bytes, offset, 'latin1');
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

/** The value's bytes (copies a JS string; a RawString's view is valid until its next mutation). */
export function stringToBytes(v: StringValue): Buffer {
  return typeof v === 'string' ? Buffer.from(v, 'latin1') : v.bytes();
}

/** Redis's OBJ_ENCODING_EMBSTR_SIZE_LIMIT: longer strings are `raw`. */
const EMBSTR_SIZE_LIMIT = 44;

/**
 * OBJECT ENCODING of a string value, as Redis's tryObjectEncoding leaves a value set whole:
 * `int` for a canonical int64 (what string2l accepts: no sign '+', no leading zeros, at most
 * 20 chars), `embstr` up to 44 bytes, `raw` beyond; a RawString (modified in place) is `raw`.
 */
export function stringEncoding(v: StringValue): string {
  if (typeof v !== 'string') return 'raw';
  if (v.length <= 20 && parseInt64(v) !== undefined) return 'int';
  return v.length <= EMBSTR_SIZE_LIMIT ? 'embstr' : 'raw';
}

/**
 * The value as a RawString, for a modification in place: a JS string is copied into a new
 * RawString with room for `capacity` bytes; a RawString is returned itself and grows on demand.
 * A key owns its RawString: commands that copy values (COPY and the like) must copy it.
 */
export function toRawString(v: StringValue, capacity: number): RawString {
  return typeof v === 'string' ? new RawString(v, capacity) : v;
}

/** One common run LCS IDX reports: [start, end] in each string, inclusive. */
export interface LcsMatch {
  aStart: number;
  aEnd: number;
  bStart: number;
  bEnd: number;
  length: number;
}

export interface LcsResult {
  /** Length of the longest common subsequence. */
  length: number;
  /** The subsequence itself (when asked for). */
  subsequence?: Buffer;
  /** Its runs, last first, as Redis reports them (when asked for). */
  matches?: LcsMatch[];
}

/** Bytes the DP table takes by Redis's account (uint32 cells), checked against proto-max-bulk-len. */
export function lcsTableBytes(aLength: number, bLength: number): number {
  return (aLength + 1) * (bLength + 1) * 4;
}

/**
 * The longest common subsequence of a and b by the classic O(n*m) table, walked back from the
 * end the way Redis walks it (on a tie between dropping a byte of a or of b, drop b's), so the
 * same subsequence and the same runs come out. Runs shorter than `minMatchLength` are left out
 * of `matches` (0 keeps all). The table is a typed array: 16-bit cells when the answer must fit.
 */
export function longestCommonSubsequence(
  a: Uint8Array, b: Uint8Array, want: { subsequence: boolean; matches: boolean; minMatchLength: number },
): LcsResult {
  const alen = a.length;
  const blen = b.length;
  const width = blen + 1;
  const cells = (alen + 1) * width;
  const table = Math.min(alen, blen) < 0xffff ? new Uint16Array(cells) : new Uint32Array(cells);
  for (let i = 1; i <= alen; i++) {
    const ai = a[i - 1];
    const row = i * width;
    const prev = row - width;
    // Inner loop on plain indices into one flat array: no per-row allocation, no bounds objects.
    for (let j = 1; j <= blen; j++) {
      if (ai === b[j - 1]) {
        table[row + j] = table[prev + j - 1]! + 1;
      } else {
        const up = table[prev + j]!;
        const left = table[row + j - 1]!;
        table[row + j] = up > left ? up : left;
      }
    }
  }
  const length = table[cells - 1]!;
  const result: LcsResult = { length };
  if (!want.subsequence && !want.matches) return result;
  const subsequence = Buffer.alloc(length);
  const matches: LcsMatch[] = [];
  let idx = length;
  let i = alen;
  let j = blen;
  // The run being extended backwards; aStart < 0 when there is none.
  let aStart = -1;
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  while (i > 0 && j > 0) {
    let emit = false;
    if (a[i - 1] === b[j - 1]) {
      subsequence[idx - 1] = a[i - 1]!;
      if (aStart < 0) {
        aStart = aEnd = i - 1;
        bStart = bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else {
        emit = true;
      }
      if (aStart === 0 || bStart === 0) emit = true;
      idx--;
      i--;
      j--;
    } else {
      const up = table[(i - 1) * width + j]!;
      const left = table[i * width + j - 1]!;
      if (up > left) i--;
      else j--;
      if (aStart >= 0) emit = true;
    }
    if (emit) {
      const runLength = aEnd - aStart + 1;
      if (want.minMatchLength === 0 || runLength >= want.minMatchLength) {
        matches.push({ aStart, aEnd, bStart, bEnd, length: runLength });
      }
      aStart = -1;
    }
  }
  if (want.subsequence) result.subsequence = subsequence;
  if (want.matches) result.matches = matches;
  return result;
}
