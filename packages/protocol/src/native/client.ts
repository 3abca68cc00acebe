/**
 * The client's side of the native protocol (format.ts): commands → frames, frames → replies.
 */
import { decodeValue, FrameError } from './decode.js';
import { ARRAY_HEADER, BIN_HEADER, FrameSplitter, NATIVE_PROTOCOL, NATIVE_VERSION, STR_HEADER, writeHeader } from './format.js';
import type { Reply } from '../values.js';
import { writeLatin1, type LatinWritable } from '../slab.js';

/**
 * Arguments this long or longer become pieces of their own: a 100 MB value is never copied.
 * Shorter ones are copied into the (recycled, warm) buffer: cheaper than a fresh Buffer each.
 */
const LARGE_ARGUMENT = 1 << 20;
const INITIAL = 4096;
/** Buffers grow by doubling to this size at most (a bigger single command gets what it needs). */
const MAX_BUFFER = 1 << 20;

/** The bytes of a bin header for n bytes. */
function binHeaderSize(n: number): number {
  return n < 0x100 ? 2 : n < 0x10000 ? 3 : 5;
}

/**
 * Encodes commands as frames into one growing buffer, so every command issued in one tick
 * leaves in one write. Arguments are latin1 strings (one char per byte) and go out as bin.
 */
export class NativeRequestWriter {
  private buf: LatinWritable = Buffer.allocUnsafe(INITIAL) as LatinWritable;
  /** Bytes before `start` were handed out (as views): never written again. */
  private start = 0;
  private pos = 0;
  private readonly pieces: Buffer[] = [];
  private piecesLength = 0;

  /** Bytes encoded and not yet taken. */
  get length(): number { return this.piecesLength + this.pos - this.start; }

  /** The client's hello frame. */
  hello(client: string): void {
    const body = Buffer.concat([
      Buffer.from([0x83]),
      str('protocol'), str(NATIVE_PROTOCOL),
      str('version'), Buffer.from([NATIVE_VERSION]),
      str('client'), str(client),
    ]);
    this.reserve(4 + body.length);
    this.buf.writeUInt32BE(body.length, this.pos);
    body.copy(this.buf, this.pos + 4);
    this.pos += 4 + body.length;
  }

  /** Appends one command frame. */
  command(argv: readonly string[]): void {
    const count = argv.length;
    let body = count < 16 ? 1 : count < 0x10000 ? 3 : 5;
    let inline = 0;
    for (let i = 0; i < count; i++) {
      const n = argv[i]!.length;
      body += binHeaderSize(n) + n;
      inline += n < LARGE_ARGUMENT ? n + 5 : 5;
    }
    this.reserve(4 + 5 + inline);
    let buf = this.buf;
    buf.writeUInt32BE(body, this.pos);
    this.pos = writeHeader(buf, this.pos + 4, count, ARRAY_HEADER);
    for (let i = 0; i < count; i++) {
      const s = argv[i]!;
      const n = s.length;
      this.pos = writeHeader(buf, this.pos, n, BIN_HEADER);
      if (n >= LARGE_ARGUMENT) {
        this.cut();
        buf = this.buf; // the next arguments go to the fresh buffer
        const piece = Buffer.from(s, 'latin1');
        this.pieces.push(piece);
        this.piecesLength += piece.length;
      } else {
        this.pos = writeLatin1(buf, this.pos, s);
      }
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
   * The bytes last taken are no longer needed (the socket copied them into the kernel): the
   * next commands are written over them. Reusing one warm buffer spares fresh memory per batch
   * (touching new pages costs ≈ 3 ms per MB on this VM).
   */
  recycle(): void {
    if (this.pieces.length === 0 && this.pos === this.start) {
      this.start = 0;
      this.pos = 0;
    }
  }

  /** Ends the current piece at pos; later bytes follow it in the same buffer while it has room. */
  private cut(): void {
    if (this.pos === this.start) return;
    const piece = this.buf.subarray(this.start, this.pos);
    this.pieces.push(piece);
    this.piecesLength += piece.length;
    this.start = this.pos;
  }

  /**
   * Makes room for n more bytes. A full buffer is replaced by one at least twice the size of
   * what it held (so a client that sends batches of 60 KB soon encodes each into one buffer,
   * with no copying as it grows); bytes not yet handed out move along.
   */
  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const pending = this.pos - this.start;
    const size = Math.max(INITIAL, 2 * (pending + n), Math.min(2 * this.buf.length, MAX_BUFFER));
    // (Kept while recycled: a buffer that grew to a client's batch size stays that size.)
    const next = Buffer.allocUnsafe(size) as LatinWritable;
    if (pending !== 0) this.buf.copy(next, 0, this.start, this.pos);
    this.buf = next;
    this.start = 0;
    this.pos = pending;
  }
}

function str(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  const header = Buffer.alloc(5);
  return Buffer.concat([header.subarray(0, writeHeader(header, 0, bytes.length, STR_HEADER)), bytes]);
}

/**
 * Frames → reply values: str as SimpleString, ext 1 as ReplyError, and so on (format.ts); bin
 * as Buffer views into the bytes received, or with `copyInput` as latin1 strings (one char per
 * byte, as RESP's ReplyParser gives them), so the caller may reuse its read buffer and split
 * frames are assembled in one reused buffer: no fresh memory per big reply.
 * Throws on a malformed frame: the connection cannot be trusted afterwards.
 */
export class NativeReplyParser {
  private readonly splitter: FrameSplitter;
  private failure: Error | undefined;

  constructor(private readonly options: { copyInput?: boolean } = {}) {
    this.splitter = new FrameSplitter(options.copyInput === true);
  }

  feed(chunk: Buffer, onReply: (reply: Reply) => void): void {
    if (this.failure !== undefined) throw this.failure;
    let error: string | false | undefined;
    try {
      const latin1 = this.options.copyInput === true;
      error = this.splitter.feed(chunk, noLimit, (buf, start, end) => {
        onReply(decodeValue(buf, start, end, latin1));
      });
    } catch (e) {
      this.failure = e instanceof Error ? e : new Error(String(e));
      throw e;
    }
    if (typeof error === 'string') throw (this.failure = new FrameError(error));
  }
}

const noLimit = (): undefined => undefined;
