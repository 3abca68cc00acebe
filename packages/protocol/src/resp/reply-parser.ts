/**
 * The client side of RESP: turns the bytes a server (nodis or Redis) sends into reply values.
 * RESP2 and RESP3, except the streamed forms (`$?`, `*?`), which Redis never sends to clients.
 *
 * Aggregates are built on an explicit stack of open frames, and only the bytes of the one
 * element still incomplete are held between chunks (joined once when it completes), so a reply
 * split at any byte parses the same and a million-element array arriving in pieces is never
 * re-parsed from its start.
 */
import {
  ReplyDouble, ReplyError, ReplyMap, ReplyPush, ReplySet, ReplyVerbatim, SimpleString, type Reply,
} from '../values.js';
import { latin1String } from './parser.js';

export interface ReplyParserOptions {
  /** How bulk strings come back: latin1 strings (one char per byte, default) or Buffers. */
  bulkAs?: 'latin1' | 'buffer';
  /**
   * Copy whatever is held between feeds instead of keeping references into the chunk: for
   * callers that reuse the chunk's memory (a shared ring) as soon as feed() returns.
   */
  copyInput?: boolean;
}

// Open aggregate kinds.
const FRAME_ARRAY = 0;
const FRAME_MAP = 1;
const FRAME_SET = 2;
const FRAME_PUSH = 3;
/** `|` attributes: read like a map, then dropped; the reply they annotate follows. */
const FRAME_ATTRIBUTE = 4;

interface Frame {
  kind: number;
  /** Elements still to come (a map counts keys and values). */
  left: number;
  items: Reply[];
}

const NO_PAYLOAD = -1;

export class ReplyParser {
  private readonly bulkAsBuffer: boolean;
  private readonly copyInput: boolean;
  private readonly stack: Frame[] = [];

  /** Bytes of the incomplete element. */
  private parts: Buffer[] = [];
  private partsLength = 0;
  /** A payload (`$`, `=`, `!`) whose header was read: its type byte and length. */
  private payloadType = 0;
  private payloadLength = NO_PAYLOAD;
  private failure: Error | undefined;

  constructor(options: ReplyParserOptions = {}) {
    this.bulkAsBuffer = options.bulkAs === 'buffer';
    this.copyInput = options.copyInput === true;
  }

  /**
   * Calls onReply for every complete top-level reply. Throws an Error on malformed input; the
   * parser is dead afterwards (every later feed throws the same error). An exception thrown by
   * onReply also propagates and kills the parser (the rest of the chunk was not read).
   * The caller must not modify a chunk's memory after feeding it: an incomplete tail may be held
   * by reference until the next chunk completes it.
   */
  feed(chunk: Buffer, onReply: (reply: Reply) => void): void {
    if (this.failure !== undefined) throw this.failure;
    try {
      let pos = 0;
      if (this.partsLength > 0) {
        pos = this.completeHeld(chunk, onReply);
        if (pos < 0) return;
      }
      this.parse(chunk, pos, onReply);
    } catch (error) {
      this.failure = error instanceof Error ? error : new Error(String(error));
      this.parts = [];
      this.partsLength = 0;
      throw this.failure;
    }
  }

  /** Like RequestParser's: completes the held element from the chunk if it can. */
  private completeHeld(chunk: Buffer, onReply: (reply: Reply) => void): number {
    let take = -1;
    if (this.payloadLength !== NO_PAYLOAD) {
      const missing = this.payloadLength + 2 - this.partsLength;
      if (chunk.length >= missing) take = missing;
    } else {
      const last = this.parts[this.parts.length - 1]!;
      if (last[last.length - 1] === 13) {
        take = 1;
      } else {
        const cr = chunk.indexOf(13);
        if (cr !== -1 && cr + 1 < chunk.length) take = cr + 2;
      }
    }
    if (take === -1) {
      this.parts.push(this.copyInput ? Buffer.from(chunk) : chunk);
      this.partsLength += chunk.length;
      return -1;
    }
    this.parts.push(take === chunk.length ? chunk : chunk.subarray(0, take));
    const joined = Buffer.concat(this.parts, this.partsLength + take);
    this.parts = [];
    this.partsLength = 0;
    this.parse(joined, 0, onReply);
    return take;
  }

  private hold(buf: Buffer, pos: number): void {
    const tail = buf.subarray(pos);
    // Copy small tails so one short element does not keep a whole chunk alive.
    this.parts.push(this.copyInput || tail.length < 16 * 1024 ? Buffer.from(tail) : tail);
    this.partsLength = tail.length;
  }

  private parse(buf: Buffer, start: number, onReply: (reply: Reply) => void): void {
    const end = buf.length;
    let pos = start;
    while (pos < end) {
      if (this.payloadLength !== NO_PAYLOAD) {
        const payloadEnd = pos + this.payloadLength;
        if (payloadEnd + 2 > end) { this.hold(buf, pos); return; }
        if (buf[payloadEnd] !== 13 || buf[payloadEnd + 1] !== 10) {
          throw new Error('Protocol error: expected CRLF after bulk payload');
        }
        const type = this.payloadType;
        this.payloadLength = NO_PAYLOAD;
        this.emit(this.payload(type, buf, pos, payloadEnd), onReply);
        pos = payloadEnd + 2;
        continue;
      }
      const type = buf[pos]!;
      const cr = buf.indexOf(13, pos + 1);
      if (cr === -1 || cr + 1 >= end) { this.hold(buf, pos); return; }
      if (buf[cr + 1] !== 10) throw new Error('Protocol error: expected LF after CR');
      const lineStart = pos + 1;
      pos = cr + 2;
      switch (type) {
        case 43: // +
          this.emit(new SimpleString(latin1String(buf, lineStart, cr)), onReply);
          break;
        case 45: // -
          this.emit(new ReplyError(latin1String(buf, lineStart, cr)), onReply);
          break;
        case 58: // :
          this.emit(parseInteger(buf, lineStart, cr), onReply);
          break;
        case 36: // $
        case 61: // =
        case 33: { // !
          const length = parseLength(buf, lineStart, cr);
          if (length === -1 && type === 36) {
            this.emit(null, onReply);
          } else {
            if (length < 0) throw new Error('Protocol error: invalid bulk length');
            this.payloadType = type;
            this.payloadLength = length;
          }
          break;
        }
        case 42: // *
        case 37: // %
        case 126: // ~
        case 62: // >
        case 124: { // |
          const count = parseLength(buf, lineStart, cr);
          if (count === -1 && type === 42) {
            this.emit(null, onReply);
            break;
          }
          if (count < 0) throw new Error('Protocol error: invalid aggregate length');
          const kind = type === 42 ? FRAME_ARRAY : type === 37 ? FRAME_MAP : type === 126 ? FRAME_SET
            : type === 62 ? FRAME_PUSH : FRAME_ATTRIBUTE;
          const left = kind === FRAME_MAP || kind === FRAME_ATTRIBUTE ? count * 2 : count;
          if (left === 0) {
            if (kind !== FRAME_ATTRIBUTE) this.emit(build(kind, []), onReply);
          } else {
            // Items grow as they arrive: never sized from the declared count.
            this.stack.push({ kind, left, items: [] });
          }
          break;
        }
        case 95: // _
          if (cr !== lineStart) throw new Error('Protocol error: invalid null');
          this.emit(null, onReply);
          break;
        case 44: // ,
          this.emit(new ReplyDouble(parseDouble(buf, lineStart, cr)), onReply);
          break;
        case 35: // #
          if (cr !== lineStart + 1 || (buf[lineStart] !== 116 && buf[lineStart] !== 102)) {
            throw new Error('Protocol error: invalid boolean');
          }
          this.emit(buf[lineStart] === 116, onReply);
          break;
        case 40: // (
          this.emit(parseBigNumber(buf, lineStart, cr), onReply);
          break;
        default:
          throw new Error(`Protocol error: unknown reply type ${JSON.stringify(String.fromCharCode(type))}`);
      }
    }
  }

  private payload(type: number, buf: Buffer, start: number, end: number): Reply {
    if (type === 36) {
      return this.bulkAsBuffer ? Buffer.from(buf.subarray(start, end)) : latin1String(buf, start, end);
    }
    if (type === 33) return new ReplyError(latin1String(buf, start, end));
    // = verbatim: "fmt:text"
    if (end - start < 4 || buf[start + 3] !== 58) throw new Error('Protocol error: invalid verbatim string');
    return new ReplyVerbatim(latin1String(buf, start, start + 3), latin1String(buf, start + 4, end));
  }

  /** Adds a complete value to the open aggregate, closing every aggregate it completes. */
  private emit(reply: Reply, onReply: (reply: Reply) => void): void {
    let value = reply;
    for (;;) {
      const top = this.stack[this.stack.length - 1];
      if (top === undefined) {
        onReply(value);
        return;
      }
      top.items.push(value);
      if (--top.left > 0) return;
      this.stack.pop();
      // A finished attribute is dropped and does not count as an element of its parent.
      if (top.kind === FRAME_ATTRIBUTE) return;
      value = build(top.kind, top.items);
    }
  }
}

function build(kind: number, items: Reply[]): Reply {
  switch (kind) {
    case FRAME_ARRAY: return items;
    case FRAME_SET: return new ReplySet(items);
    case FRAME_PUSH: return new ReplyPush(items);
    default: {
      const entries: [Reply, Reply][] = [];
      for (let i = 0; i < items.length; i += 2) entries.push([items[i]!, items[i + 1]!]);
      return new ReplyMap(entries);
    }
  }
}

/** Digits with an optional '-', as a number if exact, otherwise a bigint; NaN if malformed. */
function scanInteger(buf: Buffer, start: number, end: number): number | bigint {
  let i = start;
  const negative = buf[i] === 45;
  if (negative) i++;
  if (i >= end) return NaN;
  let value = 0;
  for (let j = i; j < end; j++) {
    const c = buf[j]!;
    if (c < 48 || c > 57) return NaN;
    value = value * 10 + (c - 48);
  }
  if (end - i > 15) {
    const big = BigInt(latin1String(buf, start, end));
    return big >= -9007199254740991n && big <= 9007199254740991n ? Number(big) : big;
  }
  return negative ? -value : value;
}

function parseInteger(buf: Buffer, start: number, end: number): number | bigint {
  const value = scanInteger(buf, start, end);
  if (typeof value === 'number' && Number.isNaN(value)) throw new Error('Protocol error: invalid integer');
  return value;
}

function parseBigNumber(buf: Buffer, start: number, end: number): bigint {
  const value = scanInteger(buf, start, end);
  if (typeof value === 'number' && Number.isNaN(value)) throw new Error('Protocol error: invalid big number');
  return BigInt(value);
}

/** An aggregate or bulk length: -1 or more, as a safe integer; -2 if malformed. */
function parseLength(buf: Buffer, start: number, end: number): number {
  const value = scanInteger(buf, start, end);
  if (typeof value !== 'number' || Number.isNaN(value) || value < -1) return -2;
  return value;
}

function parseDouble(buf: Buffer, start: number, end: number): number {
  const text = latin1String(buf, start, end);
  switch (text) {
    case 'inf': case '+inf': return Infinity;
    case '-inf': return -Infinity;
    case 'nan': case '-nan': return NaN;
  }
  // Number() alone would also take '', ' 1', '0x10' and 'Infinity'.
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || c === 46 || c === 45 || c === 43 || c === 101 || c === 69)) {
      throw new Error('Protocol error: invalid double');
    }
  }
  const value = text.length === 0 ? NaN : Number(text);
  if (Number.isNaN(value)) throw new Error('Protocol error: invalid double');
  return value;
}
