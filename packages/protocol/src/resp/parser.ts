/**
 * The server side of RESP: turns the bytes a client sends into argv arrays.
 *
 * Two request forms, chosen by the first byte of each request, as Redis does:
 *
 *   multibulk  *<count>\r\n  then <count> times  $<length>\r\n<length bytes>\r\n
 *   inline     any other first byte: one line up to \n, split like Redis's sdssplitargs
 *
 * The parser keeps its place between chunks: completed arguments of a command in progress are
 * kept as strings, and only the bytes of the one element still incomplete (a header line, an
 * inline line or a bulk payload) are held, as a list of chunk slices (tiny pieces copied into
 * small blocks) joined once when the element completes. So a request split at any byte parses
 * the same, nothing is scanned twice, and a 100 MB bulk arriving in 64 KiB chunks is copied
 * once, not once per chunk.
 *
 * Where Redis 7.0.15's outcome depends on how the bytes were chunked (its size caps are checked
 * only while a line terminator is missing), this parser applies the cap to the line itself, so
 * the outcome is the same for every chunking. Deliberate differences from Redis, all of them
 * refusing input Redis mishandles:
 * - after each bulk payload the next two bytes must be CRLF (Redis skips two bytes unseen and
 *   desyncs): 'Protocol error: expected CRLF after bulk';
 * - a header's CR must be followed by LF (Redis skips the byte unseen): the header is invalid;
 * - the '$' of a bulk header is checked as soon as its first byte arrives (Redis waits for the
 *   line's CR first, so junk without CR gets 'too big bulk count string' there);
 * - a NUL byte in an inline request is refused at once (Redis searches lines with strchr, never
 *   finds the newline past a NUL and waits until 'too big inline request').
 */
import { constants } from 'node:buffer';

export interface RequestParserLimits {
  /** proto-max-bulk-len: the longest bulk argument accepted. */
  maxBulkLength: number;
  /** Redis's PROTO_INLINE_MAX_SIZE: the longest inline request and header line. */
  maxInlineLength: number;
  /**
   * The caller reuses a chunk's memory once feed() returns (one read buffer for every read):
   * every byte held for an incomplete element is copied, none is kept by reference.
   */
  copyInput: boolean;
}

const DEFAULT_LIMITS: RequestParserLimits = {
  maxBulkLength: 512 * 1024 * 1024,
  maxInlineLength: 64 * 1024,
  copyInput: false,
};

/**
 * Arguments are JS strings, and V8 cannot make a string longer than 2^29 - 24 characters
 * (536,870,888), 24 bytes short of the default proto-max-bulk-len. A longer bulk could never
 * become an argument, so it is refused like any other over-long bulk, from its header, before a
 * byte of its payload is read (a RangeError later would come after buffering half a gigabyte).
 */
const MAX_STRING_LENGTH = constants.MAX_STRING_LENGTH;

/** Redis's limits before AUTH (authRequired in networking.c). */
const UNAUTHENTICATED_MAX_ARGS = 10;
const UNAUTHENTICATED_MAX_BULK = 16384;
const MAX_MULTIBULK = 2147483647; // INT_MAX

export const ERR_INVALID_MULTIBULK_LENGTH = 'Protocol error: invalid multibulk length';
export const ERR_INVALID_BULK_LENGTH = 'Protocol error: invalid bulk length';
export const ERR_TOO_BIG_INLINE = 'Protocol error: too big inline request';
export const ERR_TOO_BIG_MBULK_COUNT = 'Protocol error: too big mbulk count string';
export const ERR_TOO_BIG_BULK_COUNT = 'Protocol error: too big bulk count string';
export const ERR_UNBALANCED_QUOTES = 'Protocol error: unbalanced quotes in request';
export const ERR_UNAUTHENTICATED_MULTIBULK = 'Protocol error: unauthenticated multibulk length';
export const ERR_UNAUTHENTICATED_BULK = 'Protocol error: unauthenticated bulk length';
export const ERR_EXPECTED_CRLF = 'Protocol error: expected CRLF after bulk';
export const ERR_INLINE_NUL = 'Protocol error: NUL byte in inline request';
export function errExpectedDollar(byte: number): string {
  return `Protocol error: expected '$', got '${String.fromCharCode(byte)}'`;
}

// What the held bytes (`parts`) are the beginning of.
const HELD_NOTHING = 0;
const HELD_INLINE = 1;
const HELD_MULTIBULK_HEADER = 2;
const HELD_BULK_HEADER = 3;
const HELD_PAYLOAD = 4;

// header() results below zero.
const HEADER_INCOMPLETE = -1;
const HEADER_NEGATIVE = -2; // a valid negative integer
const HEADER_INVALID = -3;
const HEADER_TOO_BIG = -4;

/** Held remainders shorter than this are copied, so a big chunk is not kept alive for them. */
const COPY_HELD_BELOW = 16 * 1024;
/**
 * Held pieces shorter than this are copied into a block instead of being kept one Buffer each:
 * a peer sending one-byte segments must not cost us a Buffer object (~100 bytes) per byte.
 * Blocks start small (idle connections holding a few bytes stay cheap) and double up to 16 KiB.
 */
const SMALL_PIECE = 1024;
const FIRST_BLOCK = 128;
const MAX_BLOCK = 16 * 1024;
/**
 * A bulk payload this long that arrives in pieces goes into one buffer of its final size once
 * a quarter of it has arrived, instead of being held piece by piece and joined at the end: one
 * large allocation instead of two (touching fresh memory is what big values cost: ≈ 330 ms per
 * 100 MB on this VM). Waiting for the quarter keeps the rule of never allocating from a
 * declared length alone: a peer must send bytes to make us hold 4× as many.
 */
const PREALLOCATE_PAYLOAD = 1 << 20;
/** The biggest joined element kept for reuse. */
const SPARE_MAX = 1 << 20;

type LatinSliceable = Buffer & { latin1Slice(start: number, end: number): string };
const fromCharCode = String.fromCharCode;

/**
 * A latin1 string (one char per byte) of buf[start, end). Most arguments are short (keys like
 * redis-benchmark's `key:000000012345` are 16 bytes), and up to 16 bytes building the string in
 * JS measured 1.5-2.5x faster than the native slice call.
 */
export function latin1String(buf: Buffer, start: number, end: number): string {
  const b = buf;
  const s = start;
  switch (end - s) {
    case 0: return '';
    case 1: return fromCharCode(b[s]!);
    case 2: return fromCharCode(b[s]!, b[s + 1]!);
    case 3: return fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!);
    case 4: return fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!);
    case 5: return fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!);
    case 6: return fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!);
    case 7: return fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!);
    case 8: return fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!);
    case 9: return fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!);
    case 10: return fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!);
    case 11: return fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!);
    case 12: return fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!);
    case 13: return fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!);
    case 14: return fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!);
    case 15: return fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!);
    case 16: return fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!);
    default: return (b as LatinSliceable).latin1Slice(s, end);
  }
}

/**
 * A string of buf[start, end) that reuses the last one made in the same slot when the bytes are
 * the same (pipelines and most workloads repeat a command, and often a key): no allocation, and
 * V8 keeps the hash it computed on the string, so a Map lookup with it does not hash again.
 * Strings longer than `max` are made but not remembered.
 */
export class ReusedString {
  private last = '';
  constructor(private readonly max: number) {}

  get(buf: Buffer, start: number, end: number): string {
    const length = end - start;
    const last = this.last;
    if (last.length === length && length !== 0) {
      let i = 0;
      while (i < length && last.charCodeAt(i) === buf[start + i]) i++;
      if (i === length) return last;
    }
    const s = latin1String(buf, start, end);
    if (length <= this.max) this.last = s;
    return s;
  }
}

/** argv[0]: the command name (the command table lookup then reuses the string's hash). */
const commandNames = new ReusedString(24);
export function commandName(buf: Buffer, start: number, end: number): string {
  return commandNames.get(buf, start, end);
}

/**
 * Redis's string2ll over buf[start, end): an optional '-', no '+', no leading zeros, no spaces,
 * at most 20 characters and within int64. Returns the value (inexact beyond 2^53, which only
 * matters for values every caller refuses anyway), HEADER_NEGATIVE for any valid negative, or
 * HEADER_INVALID.
 */
function parseLongLong(buf: Buffer, start: number, end: number): number {
  const length = end - start;
  if (length === 0 || length > 20) return HEADER_INVALID;
  if (length === 1 && buf[start] === 48) return 0;
  let i = start;
  const negative = buf[i] === 45;
  if (negative) i++;
  const first = buf[i];
  if (first === undefined || i >= end || first < 49 || first > 57) return HEADER_INVALID;
  let value = 0;
  for (; i < end; i++) {
    const c = buf[i]!;
    if (c < 48 || c > 57) return HEADER_INVALID;
    value = value * 10 + (c - 48);
  }
  const digits = end - start - (negative ? 1 : 0);
  if (digits > 19) return HEADER_INVALID;
  if (digits === 19) {
    // Exact int64 bound check; only reachable with absurd counts, so a string compare is fine.
    const text = (buf as LatinSliceable).latin1Slice(negative ? start + 1 : start, end);
    if (text > (negative ? '9223372036854775808' : '9223372036854775807')) return HEADER_INVALID;
  }
  return negative ? HEADER_NEGATIVE : value;
}

function isSpace(c: number): boolean {
  // C isspace(): space, \t, \n, \v, \f, \r
  return c === 32 || (c >= 9 && c <= 13);
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Splits an inline request line the way Redis's sdssplitargs does: whitespace separates
 * arguments; "double quotes" take \xHH, \n \r \t \b \a and \<any> escapes; 'single quotes' take
 * only \'; a closing quote must be followed by whitespace or the end of the line; quotes may
 * open in the middle of an argument (a"b c" is `ab c`). Returns the arguments or an error.
 */
export function splitInlineArgs(buf: Buffer, start: number, end: number): string[] | string {
  const args: string[] = [];
  // Arguments never grow: an escape is at least as long as the byte it stands for.
  let scratch: Buffer | undefined;
  let p = start;
  for (;;) {
    while (p < end && isSpace(buf[p]!)) p++;
    if (p >= end) return args;
    scratch ??= Buffer.allocUnsafe(end - start);
    let length = 0;
    let inDouble = false;
    let inSingle = false;
    for (;;) {
      if (p >= end) {
        if (inDouble || inSingle) return ERR_UNBALANCED_QUOTES;
        break;
      }
      const c = buf[p]!;
      if (c === 0) return ERR_INLINE_NUL;
      if (inDouble) {
        if (c === 92 && p + 3 < end && buf[p + 1] === 120
          && hexValue(buf[p + 2]!) >= 0 && hexValue(buf[p + 3]!) >= 0) {
          scratch[length++] = hexValue(buf[p + 2]!) * 16 + hexValue(buf[p + 3]!);
          p += 3;
        } else if (c === 92 && p + 1 < end && buf[p + 1] !== 0) {
          p++;
          const e = buf[p]!;
          scratch[length++] = e === 110 ? 10 : e === 114 ? 13 : e === 116 ? 9 : e === 98 ? 8 : e === 97 ? 7 : e;
        } else if (c === 34) {
          if (p + 1 < end && !isSpace(buf[p + 1]!)) return ERR_UNBALANCED_QUOTES;
          p++;
          break;
        } else {
          scratch[length++] = c;
        }
      } else if (inSingle) {
        if (c === 92 && p + 1 < end && buf[p + 1] === 39) {
          p++;
          scratch[length++] = 39;
        } else if (c === 39) {
          if (p + 1 < end && !isSpace(buf[p + 1]!)) return ERR_UNBALANCED_QUOTES;
          p++;
          break;
        } else {
          scratch[length++] = c;
        }
      } else if (c === 32 || c === 10 || c === 13 || c === 9) {
        break;
      } else if (c === 34) {
        inDouble = true;
      } else if (c === 39) {
        inSingle = true;
      } else {
        scratch[length++] = c;
      }
      p++;
    }
    args.push(latin1String(scratch, 0, length));
  }
}

/**
 * Parses client requests (multibulk and inline) from a byte stream. One per connection.
 * Unless `copyInput` is set, the caller must not modify a chunk's memory after feeding it: an
 * incomplete tail may be held by reference until the next chunk completes it.
 */
export class RequestParser {
  /**
   * When false, Redis's limits for clients that have not authenticated apply (at most 10
   * arguments, bulks of at most 16384 bytes). Read at every header, so a change made inside
   * onCommand (after AUTH) applies to the rest of the same chunk.
   */
  authenticated = true;

  private readonly maxBulkLength: number;
  private readonly maxLineLength: number;
  private readonly copyInput: boolean;

  // The command in progress: arguments so far, how many are still to come, the length of the
  // bulk whose header was read (-1 while expecting a header), and the bytes of argv so far.
  private argv: string[] | null = null;
  private remaining = 0;
  private bulkLength = -1;
  private argvBytes = 0;

  // Bytes of the incomplete element, and which element it is.
  private held: HeldKind = HELD_NOTHING;
  private parts: Buffer[] = [];
  private partsLength = 0;
  /** The block small pieces are copied into; its first blockUsed bytes follow `parts`. */
  private block: Buffer | null = null;
  private blockUsed = 0;
  /**
   * A buffer kept from a joined big element for the next one (at most SPARE_MAX bytes): the
   * element is parsed into strings before it is reused, and warm memory is far cheaper to
   * fill than fresh (slab.ts).
   */
  private spare: Buffer | null = null;
  /** The spare in use as `payload` (payload is a view of it). */
  private payloadSpare: Buffer | null = null;
  /** A big payload's final buffer (PREALLOCATE_PAYLOAD): held bytes are its first partsLength. */
  private payload: Buffer | null = null;
  /** The held header line ends with CR: only its LF is missing. */
  private heldEndsWithCr = false;

  /** Where the line read by header() ends (after its LF). */
  private cursor = 0;
  private error: string | undefined;
  private stopped = false;

  constructor(limits: Partial<RequestParserLimits> = {}) {
    const { maxBulkLength, maxInlineLength, copyInput } = { ...DEFAULT_LIMITS, ...limits };
    this.maxBulkLength = Math.min(maxBulkLength, MAX_STRING_LENGTH);
    this.maxLineLength = maxInlineLength;
    this.copyInput = copyInput;
  }

  /** Bytes held for the incomplete request: its arguments so far and its unparsed tail. */
  get buffered(): number {
    return this.partsLength + (this.argv === null ? 0 : this.argvBytes);
  }

  /**
   * Appends a chunk and calls onCommand(argv) for every complete command, in order. argv
   * elements are latin1 strings (one char per byte). Empty requests (blank inline lines, *0,
   * *-N) are skipped. If onCommand returns false, the rest is discarded and the parser ignores
   * all later input (QUIT). Returns undefined, or a protocol error message without the 'ERR '
   * prefix; commands completed before the error were delivered first, and the parser is dead
   * afterwards (every later feed returns the same message). If onCommand throws, the exception
   * propagates and the rest of the chunk is lost: treat the connection as broken.
   */
  feed(chunk: Buffer, onCommand: (argv: string[]) => boolean | void): string | undefined {
    if (this.error !== undefined) return this.error;
    if (this.stopped || chunk.length === 0) return undefined;
    let pos = 0;
    if (this.held !== HELD_NOTHING) {
      pos = this.completeHeld(chunk, onCommand);
      if (pos < 0) return this.error;
    }
    return this.parse(chunk, pos, onCommand);
  }

  /**
   * Adds a chunk to the held element. When the chunk completes it, parses the element from one
   * joined buffer and returns where the chunk's unread bytes start; otherwise (or on an error or
   * a stop) returns -1.
   */
  private completeHeld(chunk: Buffer, onCommand: (argv: string[]) => boolean | void): number {
    let take: number; // bytes of chunk that complete the element, or -1
    if (this.held === HELD_PAYLOAD) {
      const missing = this.bulkLength + 2 - this.partsLength;
      take = chunk.length >= missing ? missing : -1;
    } else if (this.held === HELD_INLINE) {
      const newline = chunk.indexOf(10);
      take = newline === -1 ? -1 : newline + 1;
      if (take === -1 && this.partsLength + chunk.length > this.maxLineLength) {
        return this.fail(ERR_TOO_BIG_INLINE);
      }
    } else if (this.heldEndsWithCr) {
      take = 1;
    } else {
      const cr = chunk.indexOf(13);
      take = cr === -1 || cr === chunk.length - 1 ? -1 : cr + 2;
      if (take === -1) {
        // Bytes of the line before its CR, which the cap applies to.
        const lineLength = this.partsLength + (cr === -1 ? chunk.length : cr);
        if (lineLength > this.maxLineLength) {
          return this.fail(this.held === HELD_MULTIBULK_HEADER ? ERR_TOO_BIG_MBULK_COUNT : ERR_TOO_BIG_BULK_COUNT);
        }
        this.heldEndsWithCr = cr !== -1;
      }
    }
    if (take === -1) {
      this.append(chunk);
      return -1;
    }
    this.append(take === chunk.length ? chunk : chunk.subarray(0, take));
    this.closeBlock();
    const joined = this.payload !== null ? this.payload : Buffer.concat(this.parts, this.partsLength);
    const reusable = this.payloadSpare ?? (joined.length >= SMALL_PIECE && joined.length <= SPARE_MAX ? joined : null);
    this.releaseHeld();
    // The joined buffer holds exactly the element, so parse() consumes all of it.
    const error = this.parse(joined, 0, onCommand);
    if (reusable !== null && (this.spare === null || this.spare.length < reusable.length)) this.spare = reusable;
    if (error !== undefined || this.stopped) return -1;
    return take;
  }

  private hold(buf: Buffer, pos: number, kind: HeldKind): undefined {
    const tail = buf.subarray(pos);
    this.held = kind;
    this.heldEndsWithCr = kind !== HELD_PAYLOAD && kind !== HELD_INLINE && buf[buf.length - 1] === 13;
    // (With copyInput, append() copies every piece anyway.)
    this.append(!this.copyInput && tail.length >= SMALL_PIECE && tail.length < COPY_HELD_BELOW ? Buffer.from(tail) : tail);
    return undefined;
  }

  /** Adds a piece to the held bytes: small pieces by copy into a block, others by reference. */
  private append(piece: Buffer): void {
    const length = piece.length;
    const spare = this.spare;
    if (this.payload === null && this.held === HELD_PAYLOAD && spare !== null && spare.length >= this.bulkLength + 2) {
      // A payload that fits the spare goes straight into it.
      this.closeBlock();
      const payload = spare.subarray(0, this.bulkLength + 2);
      let at = 0;
      for (const part of this.parts) at += part.copy(payload, at);
      this.parts = [payload];
      this.payload = payload;
      this.payloadSpare = spare;
      this.spare = null;
    }
    if (this.payload === null && this.held === HELD_PAYLOAD && this.bulkLength >= PREALLOCATE_PAYLOAD
      && (this.partsLength + length) * 4 >= this.bulkLength) {
      this.closeBlock();
      const payload = Buffer.allocUnsafe(this.bulkLength + 2);
      let at = 0;
      for (const part of this.parts) at += part.copy(payload, at);
      this.parts = [payload];
      this.payload = payload;
    }
    if (this.payload !== null) {
      piece.copy(this.payload, this.partsLength);
      this.partsLength += length;
      return;
    }
    this.partsLength += length;
    if (length >= SMALL_PIECE) {
      this.closeBlock();
      // A big bulk arriving in reused chunks is copied twice (here, then joined): still linear.
      this.parts.push(this.copyInput ? Buffer.from(piece) : piece);
      return;
    }
    let block = this.block;
    if (block === null || block.length - this.blockUsed < length) {
      this.closeBlock();
      block = Buffer.allocUnsafe(Math.max(length, Math.min(MAX_BLOCK, Math.max(FIRST_BLOCK, this.partsLength))));
      this.block = block;
    }
    piece.copy(block, this.blockUsed);
    this.blockUsed += length;
  }

  private closeBlock(): void {
    if (this.block !== null && this.blockUsed > 0) this.parts.push(this.block.subarray(0, this.blockUsed));
    this.block = null;
    this.blockUsed = 0;
  }

  private releaseHeld(): void {
    this.held = HELD_NOTHING;
    this.payload = null;
    this.payloadSpare = null;
    this.parts = [];
    this.partsLength = 0;
    this.block = null;
    this.blockUsed = 0;
    this.heldEndsWithCr = false;
  }

  private fail(message: string): -1 {
    this.error = message;
    this.argv = null;
    this.releaseHeld();
    return -1;
  }

  private stop(): void {
    this.stopped = true;
    this.argv = null;
    this.releaseHeld();
  }

  /**
   * Reads a header line `<prefix><integer>\r\n` starting at pos. Returns the integer (>= 0) and
   * sets this.cursor after the line, or one of the HEADER_* codes.
   */
  private header(buf: Buffer, pos: number, end: number): number {
    // Fast path for the common shape: 1-10 digits without sign or leading zero, then CRLF.
    let i = pos + 1;
    let c = i < end ? buf[i]! : 0;
    if (c > 48 && c <= 57) {
      let value = c - 48;
      i++;
      const limit = Math.min(end, pos + 11);
      while (i < limit && (c = buf[i]!) >= 48 && c <= 57) {
        value = value * 10 + (c - 48);
        i++;
      }
      if (i + 1 < end && buf[i] === 13 && buf[i + 1] === 10) {
        this.cursor = i + 2;
        return value;
      }
    }
    // Everything else: find the CR the way Redis does, then apply string2ll.
    const cr = buf.indexOf(13, pos + 1);
    if (cr === -1) return end - pos > this.maxLineLength ? HEADER_TOO_BIG : HEADER_INCOMPLETE;
    if (cr - pos > this.maxLineLength) return HEADER_TOO_BIG;
    if (cr + 1 >= end) return HEADER_INCOMPLETE;
    if (buf[cr + 1] !== 10) return HEADER_INVALID;
    this.cursor = cr + 2;
    return parseLongLong(buf, pos + 1, cr);
  }

  /**
   * Parses buf from pos to its end. The command in progress lives in locals here (written back
   * before every exit and callback): this loop is the server's hottest path.
   */
  private parse(buf: Buffer, start: number, onCommand: (argv: string[]) => boolean | void): string | undefined {
    const end = buf.length;
    let pos = start;
    let argv = this.argv;
    let remaining = this.remaining;
    let bulkLength = this.bulkLength;
    let argvBytes = this.argvBytes;
    while (pos < end) {
      if (argv === null) {
        if (buf[pos] !== 42 /* '*' */) {
          const next = this.inline(buf, pos, end, onCommand);
          if (next < 0) return this.error;
          pos = next;
          continue;
        }
        const count = this.header(buf, pos, end);
        if (count < 0) {
          if (count === HEADER_NEGATIVE) { pos = this.cursor; continue; }
          if (count === HEADER_INCOMPLETE) return this.hold(buf, pos, HELD_MULTIBULK_HEADER);
          this.fail(count === HEADER_TOO_BIG ? ERR_TOO_BIG_MBULK_COUNT : ERR_INVALID_MULTIBULK_LENGTH);
          return this.error;
        }
        if (count > MAX_MULTIBULK) { this.fail(ERR_INVALID_MULTIBULK_LENGTH); return this.error; }
        if (count > UNAUTHENTICATED_MAX_ARGS && !this.authenticated) {
          this.fail(ERR_UNAUTHENTICATED_MULTIBULK);
          return this.error;
        }
        pos = this.cursor;
        if (count === 0) continue;
        // Never sized from the declared count: the array grows with the arguments that arrive.
        argv = [];
        remaining = count;
        bulkLength = -1;
        argvBytes = 0;
        this.argv = argv;
        this.remaining = remaining;
        this.bulkLength = -1;
        this.argvBytes = 0;
      } else if (bulkLength < 0) {
        const first = buf[pos]!;
        if (first !== 36 /* '$' */) { this.fail(errExpectedDollar(first)); return this.error; }
        const length = this.header(buf, pos, end);
        if (length < 0) {
          if (length === HEADER_INCOMPLETE) {
            this.argvBytes = argvBytes;
            return this.hold(buf, pos, HELD_BULK_HEADER);
          }
          this.fail(length === HEADER_TOO_BIG ? ERR_TOO_BIG_BULK_COUNT : ERR_INVALID_BULK_LENGTH);
          return this.error;
        }
        if (length > this.maxBulkLength) { this.fail(ERR_INVALID_BULK_LENGTH); return this.error; }
        if (length > UNAUTHENTICATED_MAX_BULK && !this.authenticated) {
          this.fail(ERR_UNAUTHENTICATED_BULK);
          return this.error;
        }
        bulkLength = length;
        this.bulkLength = length;
        pos = this.cursor;
      } else {
        const payloadEnd = pos + bulkLength;
        if (payloadEnd + 2 > end) {
          this.argvBytes = argvBytes;
          return this.hold(buf, pos, HELD_PAYLOAD);
        }
        if (buf[payloadEnd] !== 13 || buf[payloadEnd + 1] !== 10) { this.fail(ERR_EXPECTED_CRLF); return this.error; }
        argv.push(argv.length === 0 ? commandName(buf, pos, payloadEnd) : latin1String(buf, pos, payloadEnd));
        argvBytes += bulkLength;
        pos = payloadEnd + 2;
        bulkLength = -1;
        this.bulkLength = -1;
        if (--remaining === 0) {
          const command = argv;
          argv = null;
          this.argv = null;
          this.remaining = 0;
          if (onCommand(command) === false) { this.stop(); return undefined; }
        } else {
          this.remaining = remaining;
        }
      }
    }
    this.argvBytes = argvBytes;
    return undefined;
  }

  /** Parses one inline request at pos. Returns the position after it, or -1 (held, error, stop). */
  private inline(buf: Buffer, pos: number, end: number, onCommand: (argv: string[]) => boolean | void): number {
    const newline = buf.indexOf(10, pos);
    if (newline === -1) {
      if (end - pos > this.maxLineLength) return this.fail(ERR_TOO_BIG_INLINE);
      this.hold(buf, pos, HELD_INLINE);
      return -1;
    }
    if (newline - pos > this.maxLineLength) return this.fail(ERR_TOO_BIG_INLINE);
    const lineEnd = newline > pos && buf[newline - 1] === 13 ? newline - 1 : newline;
    const args = splitInlineArgs(buf, pos, lineEnd);
    if (typeof args === 'string') return this.fail(args);
    if (args.length > 0 && onCommand(args) === false) {
      this.stop();
      return -1;
    }
    return newline + 1;
  }
}

type HeldKind = typeof HELD_NOTHING | typeof HELD_INLINE | typeof HELD_MULTIBULK_HEADER
  | typeof HELD_BULK_HEADER | typeof HELD_PAYLOAD;
