/**
 * ReplyWriter: how handlers answer, whatever the transport (Redis's addReply* family).
 * Aggregates are written as a header (`array(n)`) followed by exactly n elements
 * (a map: n key/value pairs, 2n elements), so writers can stream without building trees.
 * Implementations: the RESP2/RESP3 writer (@nodis/protocol), the capturing writer below
 * (memory transport and tests), later the native/ring writer.
 */
import {
  formatDouble, ReplyDouble, ReplyError, ReplyMap, ReplyPush, ReplySet, ReplyVerbatim, SimpleString,
  type Reply,
} from '@nodis/protocol';

export {
  formatDouble, ReplyDouble, ReplyError, ReplyMap, ReplyPush, ReplySet, ReplyVerbatim, SimpleString,
  type Reply,
};

export interface ReplyWriter {
  /** 2 or 3; HELLO changes it, before writing its own reply. */
  protocol: 2 | 3;
  /** `+OK`. Must not contain CR or LF. */
  simple(s: string): void;
  /** A full error line without the leading '-': `ERR syntax error`, `WRONGTYPE ...`. */
  error(message: string): void;
  int(n: number | bigint): void;
  /** A bulk string: latin1 string (one char per byte) or bytes. */
  bulk(b: string | Uint8Array): void;
  /** RESP2 `$-1`, RESP3 `_`. */
  null(): void;
  /** RESP2 `*-1`, RESP3 `_`. */
  nullArray(): void;
  array(length: number): void;
  /** RESP3 `%n`; RESP2 a flat array of 2n. */
  map(pairs: number): void;
  /** RESP3 `~n`; RESP2 an array. */
  set(length: number): void;
  /** RESP3 `>n`; RESP2 an array. */
  push(length: number): void;
  /** RESP3 `,`; RESP2 a bulk string, both formatted as Redis 7.0 does (`%.17g`, `inf`). */
  double(d: number): void;
  /** RESP3 `#t`/`#f`; RESP2 `:1`/`:0`. */
  bool(b: boolean): void;
  /** RESP3 `=len\r\ntxt:...`; RESP2 a bulk string. */
  verbatim(text: string, format: string): void;
}

interface Frame { kind: 'array' | 'map' | 'set' | 'push'; left: number; items: Reply[] }

/**
 * Builds reply values from the streamed calls. Bulk strings stay latin1 strings (bytes);
 * callers decode. `take()` returns the completed top-level replies since the last call.
 */
export class CapturingWriter implements ReplyWriter {
  protocol: 2 | 3 = 2;
  private readonly done: Reply[] = [];
  private readonly stack: Frame[] = [];

  constructor(protocol: 2 | 3 = 2) { this.protocol = protocol; }

  take(): Reply[] { return this.done.splice(0, this.done.length); }
  /** The single reply of one command (throws if none is complete). */
  takeOne(): Reply {
    if (this.done.length === 0) throw new Error('no complete reply');
    return this.done.shift()!;
  }
  get pending(): number { return this.done.length; }

  private add(v: Reply): void {
    let value = v;
    for (;;) {
      const top = this.stack[this.stack.length - 1];
      if (!top) { this.done.push(value); return; }
      top.items.push(value);
      if (--top.left > 0) return;
      this.stack.pop();
      value = top.kind === 'array' ? top.items
        : top.kind === 'map' ? new ReplyMap(pairs(top.items))
        : top.kind === 'set' ? new ReplySet(top.items)
        : new ReplyPush(top.items);
    }
  }
  private open(kind: Frame['kind'], n: number): void {
    if (n === 0) {
      this.add(kind === 'array' ? [] : kind === 'map' ? new ReplyMap([]) : kind === 'set' ? new ReplySet([]) : new ReplyPush([]));
      return;
    }
    this.stack.push({ kind, left: kind === 'map' ? n * 2 : n, items: [] });
  }

  simple(s: string): void { this.add(new SimpleString(s)); }
  error(message: string): void { this.add(new ReplyError(message)); }
  int(n: number | bigint): void { this.add(typeof n === 'bigint' && n >= -9007199254740991n && n <= 9007199254740991n ? Number(n) : n); }
  bulk(b: string | Uint8Array): void { this.add(typeof b === 'string' ? b : Buffer.from(b).toString('latin1')); }
  null(): void { this.add(null); }
  nullArray(): void { this.add(null); }
  array(length: number): void { this.open('array', length); }
  map(pairsCount: number): void {
    if (this.protocol === 2) this.open('array', pairsCount * 2);
    else this.open('map', pairsCount);
  }
  set(length: number): void { this.open(this.protocol === 2 ? 'array' : 'set', length); }
  push(length: number): void { this.open(this.protocol === 2 ? 'array' : 'push', length); }
  double(d: number): void { this.add(this.protocol === 2 ? formatDouble(d) : new ReplyDouble(d)); }
  bool(b: boolean): void { this.add(this.protocol === 2 ? (b ? 1 : 0) : b); }
  verbatim(text: string, format: string): void { this.add(this.protocol === 2 ? text : new ReplyVerbatim(format, text)); }
}

function pairs(items: Reply[]): [Reply, Reply][] {
  const out: [Reply, Reply][] = [];
  for (let i = 0; i < items.length; i += 2) out.push([items[i]!, items[i + 1]!]);
  return out;
}
