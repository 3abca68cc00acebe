import {
  ReplyDouble, ReplyError, ReplyMap, ReplyPush, ReplySet, ReplyVerbatim, SimpleString, type Reply,
} from '@nodis/protocol';

/**
 * Between JS values and the engine's byte strings (latin1: one char per byte).
 * Arguments: strings are UTF-8 encoded, Buffers/Uint8Arrays are taken as bytes, numbers and
 * bigints are written in decimal. Replies: bulk strings are decoded as UTF-8 (or kept as Buffer
 * in `buffers` mode), simple strings as strings, integers as numbers (bigint beyond 2^53),
 * doubles as numbers, RESP3 maps as plain objects when every key is a string, else Map.
 */

export type Arg = string | number | bigint | Buffer | Uint8Array;

/**
 * True when every char is < 0x80, so UTF-8 and latin1 agree and no re-encoding is needed.
 * Long strings ask C++: any char from 0x80 up takes at least two UTF-8 bytes, so the UTF-8
 * length equals the length only for ASCII (a JS loop costs ≈ 1.3 ms per MB here).
 */
function isAscii(s: string): boolean {
  const n = s.length;
  if (n > 64) return Buffer.byteLength(s, 'utf8') === n;
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** The last string encoded and its bytes: a key used call after call is checked once. */
let lastText = '';
let lastBytes = '';

export function encodeArg(a: Arg): string {
  if (typeof a === 'string') {
    if (a === lastText) return lastBytes;
    const bytes = isAscii(a) ? a : Buffer.from(a, 'utf8').toString('latin1');
    lastText = a;
    lastBytes = bytes;
    return bytes;
  }
  if (typeof a === 'number' || typeof a === 'bigint') return String(a);
  if (Buffer.isBuffer(a)) return a.toString('latin1');
  if (a instanceof Uint8Array) return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('latin1');
  throw new TypeError(`nodis: cannot send a value of type ${typeof a} as a command argument`);
}

export function decodeBytes(s: string, buffers: boolean): string | Buffer {
  if (buffers) return Buffer.from(s, 'latin1');
  return isAscii(s) ? s : Buffer.from(s, 'latin1').toString('utf8');
}

export type Value =
  | string | number | bigint | boolean | null | Buffer | Value[] | { [k: string]: Value } | Map<Value, Value> | Set<Value>;

/** Converts a reply value; errors nested in arrays (EXEC) stay ReplyError values. */
export function decodeReply(r: Reply, buffers: boolean): Value | ReplyError {
  if (typeof r === 'string') return decodeBytes(r, buffers);
  // Bytes (the native protocol's bin): views into received data, so Buffers are copied (a view
  // would keep the whole read chunk alive) and text is decoded straight from them.
  if (r instanceof Uint8Array) {
    const b = Buffer.isBuffer(r) ? r : Buffer.from(r.buffer, r.byteOffset, r.byteLength);
    return buffers ? Buffer.from(b) : b.toString('utf8');
  }
  if (r === null || typeof r === 'number' || typeof r === 'bigint' || typeof r === 'boolean') return r;
  if (r instanceof SimpleString) return r.value;
  if (r instanceof ReplyError) return r;
  if (Array.isArray(r)) return r.map((x) => decodeReply(x, buffers) as Value);
  if (r instanceof ReplyDouble) return r.value;
  if (r instanceof ReplyVerbatim) return decodeBytes(r.text, buffers);
  if (r instanceof ReplyMap) {
    const entries = r.entries.map(([k, v]) => [decodeReply(k, buffers), decodeReply(v, buffers)] as const);
    if (entries.every(([k]) => typeof k === 'string')) {
      const o: Record<string, Value> = {};
      for (const [k, v] of entries) o[k as string] = v as Value;
      return o;
    }
    return new Map(entries as [Value, Value][]);
  }
  if (r instanceof ReplySet) return r.items.map((x) => decodeReply(x, buffers) as Value);
  if (r instanceof ReplyPush) return r.items.map((x) => decodeReply(x, buffers) as Value);
  throw new TypeError('nodis: unexpected reply value');
}
