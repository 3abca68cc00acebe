import { formatDouble, ReplyDouble, ReplyError, ReplyMap, ReplyPush, ReplySet, ReplyVerbatim, SimpleString, type Reply } from '@nodis/protocol';
import type { OutputMode } from './options.js';

/**
 * Replies as redis-cli 7.0 prints them, byte for byte (the real redis-cli is the oracle of
 * format.test.ts and test/cli-oneshot.test.ts). Every function returns a latin1 string (one
 * char per byte); the caller writes Buffer.from(s, 'latin1').
 *
 *   standard  the terminal format: `(integer) 1`, `(nil)`, `"quoted\xe9"`, numbered arrays with
 *             nested indentation, `1# "k" => "v"` maps, `1~ "m"` sets, `(double) 1.5`, `(true)`,
 *             `(error) …`, `(empty array)`; verbatim strings and status replies unquoted
 *   raw       the bytes; array elements joined with -d, map pairs as `key value`, -D after the reply
 *   csv       one line: strings quoted as in `standard`, elements joined with commas, NULL,
 *             ERROR,"…"
 *   json      one line of JSON (maps as objects, errors as `error:"…"`, which is not JSON: redis-cli's)
 *   quoted-json  as json, strings are the `standard` quoting with every backslash doubled
 *             (redis-cli 7.0.15's output, not always valid JSON either)
 *
 * Replies can be a million elements long or thousands of levels deep: every format walks the
 * reply with an explicit stack (no recursion) and collects pieces that are joined once.
 *
 * Where redis-cli 7.0 has no format of its own: RESP3 big numbers (redis-cli 7.0 exits with
 * "Unknown reply type: 13") print as `(big number) 123` and as their digits elsewhere; an empty
 * push prints `(empty push)`.
 */

export interface FormatOptions {
  mode: OutputMode;
  /** -d: between the elements of an aggregate, raw mode only. */
  bulkDelimiter: string;
  /** -D: after each reply, raw mode only. */
  replyDelimiter: string;
  /**
   * Status and error texts arrived decoded as UTF-8 (nodis's native protocol sends their bytes
   * in MessagePack str): they are encoded back to bytes. RESP gives bytes (latin1) already.
   */
  textIsUtf8?: boolean;
}

/** A reply as redis-cli prints it after a command: the format, then -D (raw) or a newline (csv, json). */
export function formatReply(reply: Reply, o: FormatOptions): string {
  switch (o.mode) {
    case 'standard': return formatStandard(reply, o);
    case 'raw': return formatRaw(reply, o) + o.replyDelimiter;
    case 'csv': return `${formatCsv(reply, o)}\n`;
    case 'json': case 'quoted-json': return `${formatJson(reply, o)}\n`;
  }
}

/**
 * Commands whose replies redis-cli prints raw whatever the output mode, with nothing after
 * them (their replies are text for a person: INFO, CLIENT LIST, LATENCY DOCTOR …).
 */
export function forcesRawOutput(argv: readonly string[]): boolean {
  const n = argv.length;
  if (n === 0) return false;
  const a = argv[0]!.toLowerCase();
  if (a === 'info' || a === 'lolwut') return true;
  if (n < 2) return false;
  const b = argv[1]!.toLowerCase();
  switch (a) {
    case 'debug': return b === 'htstats' || b === 'htstats-key' || b === 'client-eviction';
    case 'memory': return b === 'malloc-stats' || b === 'doctor';
    case 'cluster': return n === 2 && (b === 'nodes' || b === 'info');
    case 'client': return b === 'list' || b === 'info';
    case 'latency': return (n === 3 && b === 'graph') || (n === 2 && b === 'doctor');
    case 'proxy': return b === 'info';
    default: return false;
  }
}

/** The reply to `argv` as redis-cli prints it: raw and bare for forcesRawOutput commands, else formatReply. */
export function formatCommandReply(argv: readonly string[], reply: Reply, o: FormatOptions): string {
  return forcesRawOutput(argv) ? formatRaw(reply, o) : formatReply(reply, o);
}

// ---------------------------------------------------------------------------------------------
// Leaves

/** A bulk string's bytes as a latin1 string (the native transport may give a Uint8Array). */
function bytesOf(r: string | Uint8Array): string {
  return typeof r === 'string' ? r : Buffer.from(r.buffer, r.byteOffset, r.byteLength).toString('latin1');
}

/** A status or error text's bytes. */
function textOf(s: string, o: FormatOptions): string {
  // ASCII is the same either way (and is nearly always what status and error texts are).
  return o.textIsUtf8 === true && !/^[\x00-\x7f]*$/.test(s) ? Buffer.from(s, 'utf8').toString('latin1') : s;
}

/**
 * A RESP3 big number (`(`): the reply parser makes every big number a bigint, and an integer
 * (`:`, always an int64) a bigint only beyond 2^53. So a bigint within ±2^53 or beyond int64 was
 * a big number; between the two they cannot be told apart and it is taken as an integer, the
 * usual case (INCRBY near int64's limits).
 */
function isBigNumber(n: bigint): boolean {
  return (n >= -9007199254740991n && n <= 9007199254740991n) || n > 9223372036854775807n || n < -9223372036854775808n;
}

const HEX = '0123456789abcdef';

/**
 * redis-cli's quoting of a string (sdscatrepr): "…" with \\ \" \n \r \t \a \b escaped, other
 * bytes outside 0x20–0x7e as \xhh. Plain runs are sliced, not copied a char at a time.
 */
export function quoteBytes(s: string): string {
  const pieces: string[] = ['"'];
  let run = 0;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e && c !== 0x22 && c !== 0x5c) continue;
    if (i > run) pieces.push(s.slice(run, i));
    run = i + 1;
    switch (c) {
      case 0x22: pieces.push('\\"'); break;
      case 0x5c: pieces.push('\\\\'); break;
      case 0x0a: pieces.push('\\n'); break;
      case 0x0d: pieces.push('\\r'); break;
      case 0x09: pieces.push('\\t'); break;
      case 0x07: pieces.push('\\a'); break;
      case 0x08: pieces.push('\\b'); break;
      default: pieces.push(`\\x${HEX[(c >> 4) & 15]}${HEX[c & 15]}`);
    }
  }
  if (run === 0) return `"${s}"`;
  if (run < n) pieces.push(s.slice(run));
  pieces.push('"');
  return pieces.join('');
}

/** A JSON string of a string's bytes: " \ and control bytes escaped, every other byte as is. */
export function jsonBytes(s: string): string {
  const pieces: string[] = ['"'];
  let run = 0;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c) continue;
    if (i > run) pieces.push(s.slice(run, i));
    run = i + 1;
    switch (c) {
      case 0x22: pieces.push('\\"'); break;
      case 0x5c: pieces.push('\\\\'); break;
      case 0x08: pieces.push('\\b'); break;
      case 0x0c: pieces.push('\\f'); break;
      case 0x0a: pieces.push('\\n'); break;
      case 0x0d: pieces.push('\\r'); break;
      case 0x09: pieces.push('\\t'); break;
      default: pieces.push(`\\u00${HEX[c >> 4]}${HEX[c & 15]}`);
    }
  }
  if (run === 0) return `"${s}"`;
  if (run < n) pieces.push(s.slice(run));
  pieces.push('"');
  return pieces.join('');
}

/** --quoted-json's strings: the standard quoting with each backslash doubled. */
function quotedJsonBytes(s: string): string {
  const q = quoteBytes(s);
  return q.indexOf('\\') === -1 ? q : q.replace(/\\/g, '\\\\');
}

/** The elements of an array, set or push; undefined for anything else (maps have entries). */
function listItems(r: Reply): Reply[] | undefined {
  if (Array.isArray(r)) return r;
  if (r instanceof ReplySet || r instanceof ReplyPush) return r.items;
  return undefined;
}

/** Strings, numbers … — what has no elements. */
function scalarText(r: Reply, o: FormatOptions): string | undefined {
  if (typeof r === 'string' || r instanceof Uint8Array) return bytesOf(r);
  if (r instanceof SimpleString) return textOf(r.value, o);
  if (r instanceof ReplyVerbatim) return r.text;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The walk every format shares

/** What a format does at each step of a walk. */
interface Visitor {
  /** A scalar, or an empty aggregate. */
  leaf(r: Reply): void;
  /** An aggregate of `count` (> 0) elements (map entries) begins. */
  open(r: Reply, count: number): void;
  /** Before element i of an array, set or push. */
  item(i: number): void;
  /** Before entry i of a map; true when the visitor printed the key itself (it is not walked). */
  entry(i: number, key: Reply): boolean;
  /** Between a map entry's key and its value. */
  value(v: Reply): void;
  close(r: Reply): void;
}

interface Frame {
  node: Reply;
  list: Reply[] | undefined;
  entries: [Reply, Reply][] | undefined;
  i: number;
  /** A map entry's key was walked: its value is next. */
  atValue: boolean;
}

/**
 * Depth first over a reply with an explicit stack: a reply nested 100 000 deep is no deeper
 * for the JS stack than a flat one, and a million elements are a loop, not a million frames.
 */
function walk(reply: Reply, v: Visitor): void {
  const stack: Frame[] = [];
  let next: Reply | undefined = reply; // Reply has no undefined: it marks "nothing to visit"
  for (;;) {
    if (next !== undefined) {
      const r: Reply = next;
      next = undefined;
      const list = listItems(r);
      const entries = list === undefined && r instanceof ReplyMap ? r.entries : undefined;
      const count = list !== undefined ? list.length : entries !== undefined ? entries.length : 0;
      if (count === 0) {
        v.leaf(r);
      } else {
        v.open(r, count);
        stack.push({ node: r, list, entries, i: 0, atValue: false });
      }
    }
    const top = stack[stack.length - 1];
    if (top === undefined) return;
    if (top.list !== undefined) {
      if (top.i < top.list.length) {
        v.item(top.i);
        next = top.list[top.i++]!;
        continue;
      }
    } else {
      const entries = top.entries!;
      if (top.atValue) {
        const value = entries[top.i++]![1];
        top.atValue = false;
        v.value(value);
        next = value;
        continue;
      }
      if (top.i < entries.length) {
        const key = entries[top.i]![0];
        top.atValue = true;
        if (!v.entry(top.i, key)) next = key;
        continue;
      }
    }
    stack.pop();
    v.close(top.node);
  }
}

// ---------------------------------------------------------------------------------------------
// standard: redis-cli's terminal format

const spacesCache: string[] = [];
function spaces(n: number): string {
  return (spacesCache[n] ??= ' '.repeat(n));
}

/** An aggregate of two or more elements (map entries): as a map's value it starts on a new line. */
function hasSeveralElements(r: Reply): boolean {
  const items = listItems(r);
  if (items !== undefined) return items.length > 1;
  return r instanceof ReplyMap && r.entries.length > 1;
}

function standardLeaf(r: Reply, o: FormatOptions): string {
  if (r === null) return '(nil)\n';
  if (typeof r === 'string' || r instanceof Uint8Array) return `${quoteBytes(bytesOf(r))}\n`;
  if (typeof r === 'number') return `(integer) ${r}\n`;
  if (typeof r === 'bigint') return isBigNumber(r) ? `(big number) ${r}\n` : `(integer) ${r}\n`;
  if (typeof r === 'boolean') return r ? '(true)\n' : '(false)\n';
  if (r instanceof SimpleString) return `${textOf(r.value, o)}\n`;
  if (r instanceof ReplyError) return `(error) ${textOf(r.message, o)}\n`;
  if (r instanceof ReplyDouble) return `(double) ${formatDouble(r.value)}\n`;
  if (r instanceof ReplyVerbatim) return `${r.text}\n`;
  if (r instanceof ReplySet) return '(empty set)\n';
  if (r instanceof ReplyMap) return '(empty hash)\n';
  if (r instanceof ReplyPush) return '(empty push)\n';
  return '(empty array)\n';
}

/**
 * Each element of an aggregate of n starts with its 1-based index right-aligned to the width
 * of n and `) ` (`~ ` in sets, `# ` in maps); its own later lines are indented by that
 * width + 2 more. The first line of a nested aggregate shares its parent's line (`1) 1) "a"`),
 * and so does a map's value of one element (`1# "flags" => 1~ optional`); a map's value of
 * two or more elements starts on a line of its own (`1# "k" => ` newline, indented).
 */
function formatStandard(reply: Reply, o: FormatOptions): string {
  const out: string[] = [];
  /** Per open aggregate: the prefix of its own later lines, its elements' prefix, index width, separator. */
  const levels: { outer: string; inner: string; width: number; sep: string }[] = [];
  let level: { outer: string; inner: string; width: number; sep: string } | undefined;
  const label = (i: number): void => {
    const l = level!;
    const n = String(i + 1);
    out.push(`${i === 0 ? '' : l.outer}${n.length < l.width ? spaces(l.width - n.length) + n : n}${l.sep}`);
  };
  walk(reply, {
    leaf: (r) => { out.push(standardLeaf(r, o)); },
    open: (r, count) => {
      const outer = level?.inner ?? '';
      const width = String(count).length;
      if (level !== undefined) levels.push(level);
      level = { outer, inner: outer + spaces(width + 2), width, sep: r instanceof ReplySet ? '~ ' : r instanceof ReplyMap ? '# ' : ') ' };
    },
    item: label,
    entry: (i) => { label(i); return false; },
    value: (v) => {
      // The key's newline gives way to ` => ` (every format of a key ends with a leaf's "\n").
      let k = out.length - 1;
      while (k > 0 && out[k] === '') k--;
      out[k] = out[k]!.slice(0, -1);
      out.push(hasSeveralElements(v) ? ` => \n${level!.inner}` : ' => ');
    },
    close: () => { level = levels.pop(); },
  });
  return out.join('');
}

// ---------------------------------------------------------------------------------------------
// raw

function rawLeaf(r: Reply, o: FormatOptions): string {
  const text = scalarText(r, o);
  if (text !== undefined) return text;
  if (r === null) return '';
  if (typeof r === 'number' || typeof r === 'bigint') return String(r);
  if (typeof r === 'boolean') return r ? '(true)' : '(false)';
  if (r instanceof ReplyError) return `${textOf(r.message, o)}\n`;
  if (r instanceof ReplyDouble) return formatDouble(r.value);
  return ''; // an empty aggregate
}

/** Raw: the bytes, aggregates' elements joined with -d, map entries as `key value`; nothing after. */
export function formatRaw(reply: Reply, o: FormatOptions): string {
  const out: string[] = [];
  const delimiter = o.bulkDelimiter;
  walk(reply, {
    leaf: (r) => { out.push(rawLeaf(r, o)); },
    open: () => {},
    item: (i) => { if (i > 0) out.push(delimiter); },
    entry: (i) => { if (i > 0) out.push(delimiter); return false; },
    value: () => { out.push(' '); },
    close: () => {},
  });
  return out.join('');
}

// ---------------------------------------------------------------------------------------------
// csv

function csvLeaf(r: Reply, o: FormatOptions): string {
  const text = scalarText(r, o);
  if (text !== undefined) return quoteBytes(text);
  if (r === null) return 'NULL';
  if (typeof r === 'number' || typeof r === 'bigint') return String(r);
  if (typeof r === 'boolean') return r ? 'true' : 'false';
  if (r instanceof ReplyError) return `ERROR,${quoteBytes(textOf(r.message, o))}`;
  if (r instanceof ReplyDouble) return formatDouble(r.value);
  return '';
}

/** CSV: every leaf of the reply, depth first, joined with commas (nesting is flattened). */
function formatCsv(reply: Reply, o: FormatOptions): string {
  const out: string[] = [];
  walk(reply, {
    leaf: (r) => { out.push(csvLeaf(r, o)); },
    open: () => {},
    item: (i) => { if (i > 0) out.push(','); },
    entry: (i) => { if (i > 0) out.push(','); return false; },
    value: () => { out.push(','); },
    close: () => {},
  });
  return out.join('');
}

// ---------------------------------------------------------------------------------------------
// json and quoted-json

function jsonLeaf(r: Reply, o: FormatOptions, str: (s: string) => string): string {
  const text = scalarText(r, o);
  if (text !== undefined) return str(text);
  if (r === null) return 'null';
  if (typeof r === 'number' || typeof r === 'bigint') return String(r);
  if (typeof r === 'boolean') return r ? 'true' : 'false';
  if (r instanceof ReplyError) return `error:${str(textOf(r.message, o))}`;
  if (r instanceof ReplyDouble) return formatDouble(r.value);
  if (r instanceof ReplyMap) return '{}';
  return '[]';
}

/** A map key: strings as JSON strings, anything else as its JSON text in quotes (`{"1":true}`). */
function jsonKey(k: Reply, o: FormatOptions, str: (s: string) => string): string {
  const text = scalarText(k, o);
  if (text !== undefined) return str(text);
  if (listItems(k) !== undefined || k instanceof ReplyMap) return str(formatJson(k, o));
  return str(jsonLeaf(k, o, str));
}

/** JSON (one line): arrays, sets and pushes as arrays, maps as objects. */
function formatJson(reply: Reply, o: FormatOptions): string {
  const str = o.mode === 'quoted-json' ? quotedJsonBytes : jsonBytes;
  const out: string[] = [];
  walk(reply, {
    leaf: (r) => { out.push(jsonLeaf(r, o, str)); },
    open: (r) => { out.push(r instanceof ReplyMap ? '{' : '['); },
    item: (i) => { if (i > 0) out.push(','); },
    entry: (i, key) => { out.push(i > 0 ? ',' : '', jsonKey(key, o, str), ':'); return true; },
    value: () => {},
    close: (r) => { out.push(r instanceof ReplyMap ? '}' : ']'); },
  });
  return out.join('');
}
