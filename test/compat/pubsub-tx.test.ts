import { describe, expect, it } from 'vitest';
import net from 'node:net';
import { redisAvailable } from '../helpers/redis.js';
import { expectCommandDocsMatch, useServerPair } from '../helpers/oracle.js';
import { RespTestClient, canon } from '../helpers/resp-client.js';
import { createTestEngine } from '@nodis/engine';

/**
 * Differential test of the pubsub and transactions groups: the same scripts of raw RESP
 * commands, on several connections at once (subscribers, publishers, watchers), go to a
 * nodis-server and to a redis-server; every connection's reply stream must be the same bytes.
 *
 * How a script runs (the same on both servers): steps go one at a time; after each, the runner
 * waits for that step's replies on its connection (message frames pushed by other clients are
 * told apart by their shape and not counted), so the server has run the step before the next
 * one is sent, and the streams come out in one order. At the end each open connection sends
 * RESET, a barrier: its +RESET comes after every message written to it.
 *
 * What is compared as a set, because Redis's own order is its hash tables' (not deterministic
 * across runs or implementations), and said where it is used:
 * - UNSUBSCRIBE / PUNSUBSCRIBE / SUNSUBSCRIBE without arguments: the names (counts in order);
 * - PUBSUB CHANNELS / SHARDCHANNELS: the list;
 * - one PUBLISH matching several patterns of one client: the order of its pmessages.
 * Also normalised: the `id` of HELLO's reply (connection counters differ), and CLIENT INFO /
 * INFO, reduced to the fields this file checks.
 *
 * One known difference is kept out of the scripts: a RESP3 client publishing to a channel it
 * listens to gets the message AFTER its PUBLISH reply from nodis, before it from Redis 7.0
 * (where it can land inside an EXEC array); Redis 7.2 changed to nodis's order. The engine
 * test (packages/engine/src/pubsub.test.ts) pins nodis's order.
 */

type Unordered = 'names' | 'elements';
interface Step {
  conn: number;
  argv: string[];
  /** Reply frames to wait for (default: computed from the command, see expectedFrames). */
  frames?: number;
  unordered?: Unordered;
  /** Replace the reply (CLIENT INFO / INFO text) by these fields only. */
  fields?: string[];
  /** The server closes the connection after the reply (QUIT). */
  closes?: boolean;
}

/** `conn: CMD arg arg` lines; an argument in JSON quotes may hold spaces and escapes. */
function script(text: string, options: Record<number, Omit<Step, 'conn' | 'argv'>> = {}): Step[] {
  const steps: Step[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\d+):\s*(.*)$/.exec(line);
    if (!m) throw new Error(`bad script line: ${line}`);
    const argv = (m[2]!.match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? []).map((a) => (a.startsWith('"') ? JSON.parse(a) as string : a));
    steps.push({ conn: Number(m[1]), argv, ...(options[steps.length] ?? {}) });
  }
  return steps;
}

// ---------------------------------------------------------------- RESP frames as raw bytes

/** Splits a latin1 RESP2/RESP3 stream into complete frames (raw text); returns where it stopped. */
function splitFrames(data: string, from: number, out: string[]): number {
  let pos = from;
  for (;;) {
    const end = frameEnd(data, pos);
    if (end < 0) return pos;
    out.push(data.slice(pos, end));
    pos = end;
  }
}

function frameEnd(data: string, pos: number): number {
  if (pos >= data.length) return -1;
  const eol = data.indexOf('\r\n', pos);
  if (eol < 0) return -1;
  const type = data[pos]!;
  const header = data.slice(pos + 1, eol);
  const next = eol + 2;
  switch (type) {
    case '+': case '-': case ':': case '_': case ',': case '#': case '(':
      return next;
    case '$': case '=': case '!': {
      const n = Number(header);
      if (n < 0) return next;
      return data.length >= next + n + 2 ? next + n + 2 : -1;
    }
    case '*': case '~': case '>': case '%': case '|': {
      let n = Number(header);
      if (n < 0) return next;
      if (type === '%' || type === '|') n *= 2;
      let p = next;
      for (let i = 0; i < n; i++) {
        p = frameEnd(data, p);
        if (p < 0) return -1;
      }
      return p;
    }
    default:
      throw new Error(`not RESP at ${pos}: ${JSON.stringify(data.slice(pos, pos + 40))}`);
  }
}

/** The bulk strings of a flat aggregate frame (message frames, subscribe confirmations). */
function bulks(frame: string): string[] {
  const out: string[] = [];
  const re = /\$(\d+)\r\n/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(frame)) !== null) {
    const start = m.index + m[0].length;
    out.push(frame.slice(start, start + Number(m[1])));
    re.lastIndex = start + Number(m[1]) + 2;
  }
  return out;
}

const bulk = (s: string) => `$${s.length}\r\n${s}\r\n`;

/** A message pushed to a subscriber, not a reply: never counted as one. */
function isMessage(frame: string): boolean {
  if (!/^[*>][34]\r\n/.test(frame)) return false;
  const kind = bulks(frame)[0];
  return kind === 'message' || kind === 'pmessage' || kind === 'smessage';
}

// ---------------------------------------------------------------- the runner

interface ConnState {
  socket: net.Socket;
  data: string;
  parsed: number;
  frames: string[];
  replies: number;
  closed: boolean;
  inMulti: boolean;
  subs: Record<'channel' | 'pattern' | 'shard', Set<string>>;
  wake: (() => void) | undefined;
}

const SUB_KIND: Record<string, ['channel' | 'pattern' | 'shard', boolean]> = {
  subscribe: ['channel', true], psubscribe: ['pattern', true], ssubscribe: ['shard', true],
  unsubscribe: ['channel', false], punsubscribe: ['pattern', false], sunsubscribe: ['shard', false],
};
const NO_ARITY_OK = new Set(['unsubscribe', 'punsubscribe', 'sunsubscribe']);

/** Reply frames a step produces on its own connection, and the subscription model updated. */
function expectedFrames(c: ConnState, argv: string[]): number {
  const name = argv[0]!.toLowerCase();
  if (c.inMulti) {
    if (name === 'exec' || name === 'discard' || name === 'reset') c.inMulti = false;
    return 1;
  }
  if (name === 'reset') {
    c.inMulti = false;
    for (const s of Object.values(c.subs)) s.clear();
  }
  const kind = SUB_KIND[name];
  if (kind === undefined) return 1;
  const args = argv.slice(1);
  if (args.length === 0 && !NO_ARITY_OK.has(name)) return 1; // arity error
  const [k, adding] = kind;
  const set = c.subs[k];
  if (adding) {
    for (const a of args) set.add(a);
    return args.length;
  }
  if (args.length === 0) {
    const n = set.size;
    set.clear();
    return Math.max(1, n);
  }
  for (const a of args) set.delete(a);
  return args.length;
}

interface StepRecord { step: Step; first: number; count: number }

async function runScript(port: number, steps: Step[], protocol: 2 | 3): Promise<Map<number, string[]>> {
  const conns = new Map<number, ConnState>();
  const records = new Map<number, StepRecord[]>();
  const open = async (n: number): Promise<ConnState> => {
    const existing = conns.get(n);
    if (existing) return existing;
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
    const c: ConnState = {
      socket, data: '', parsed: 0, frames: [], replies: 0, closed: false, inMulti: false,
      subs: { channel: new Set(), pattern: new Set(), shard: new Set() }, wake: undefined,
    };
    socket.on('data', (chunk) => {
      c.data += chunk.toString('latin1');
      const before = c.frames.length;
      c.parsed = splitFrames(c.data, c.parsed, c.frames);
      for (let i = before; i < c.frames.length; i++) if (!isMessage(c.frames[i]!)) c.replies++;
      c.wake?.();
    });
    socket.on('error', () => {});
    socket.on('close', () => { c.closed = true; c.wake?.(); });
    conns.set(n, c);
    records.set(n, []);
    if (protocol === 3) await send(n, { conn: n, argv: ['HELLO', '3'] });
    return c;
  };
  const waitFor = (c: ConnState, done: () => boolean, what: string) => new Promise<void>((resolve, reject) => {
    if (done()) return resolve();
    const timer = setTimeout(() => { c.wake = undefined; reject(new Error(`timed out waiting for ${what}; stream so far: ${JSON.stringify(c.data.slice(-600))}`)); }, 5000);
    c.wake = () => {
      if (!done()) return;
      c.wake = undefined;
      clearTimeout(timer);
      resolve();
    };
  });
  const send = async (n: number, step: Step) => {
    const c = conns.get(n)!;
    const want = step.frames ?? expectedFrames(c, step.argv);
    const first = c.replies;
    const target = first + want;
    c.socket.write(RespTestClient.encode(step.argv));
    await waitFor(c, () => c.replies >= target || c.closed, `${want} replies to ${step.argv.join(' ')}`);
    if (step.closes) await waitFor(c, () => c.closed, 'the close');
    // In a transaction once MULTI answered OK (a subscriber's MULTI is refused).
    if (step.argv[0]!.toLowerCase() === 'multi' && !c.inMulti) c.inMulti = lastReply(c) === '+OK\r\n';
    records.get(n)!.push({ step, first, count: want });
  };
  for (const step of steps) {
    await open(step.conn);
    await send(step.conn, step);
  }
  // The barrier: RESET's reply follows every message already written to the connection.
  for (const [n, c] of conns) if (!c.closed) await send(n, { conn: n, argv: ['RESET'] });
  for (const c of conns.values()) c.socket.destroy();
  const out = new Map<number, string[]>();
  for (const [n, c] of conns) {
    if (c.parsed !== c.data.length) throw new Error(`connection ${n}: ${c.data.length - c.parsed} bytes of an incomplete frame`);
    out.set(n, normalise(c.frames, records.get(n)!));
  }
  return out;
}

function lastReply(c: ConnState): string | undefined {
  for (let i = c.frames.length - 1; i >= 0; i--) if (!isMessage(c.frames[i]!)) return c.frames[i];
  return undefined;
}

/** The replies of each step, in the frame list (message frames skipped). */
function replyIndexes(frames: string[]): number[] {
  const idx: number[] = [];
  frames.forEach((f, i) => { if (!isMessage(f)) idx.push(i); });
  return idx;
}

function normalise(input: string[], records: StepRecord[]): string[] {
  const frames = input.map((f) => f.replace(/\$2\r\nid\r\n:\d+\r\n/, '$2\r\nid\r\n:<id>\r\n'));
  const replies = replyIndexes(frames);
  for (const { step, first, count } of records) {
    const at = replies.slice(first, first + count);
    if (step.unordered === 'names') {
      // UNSUBSCRIBE with no argument: Redis walks its dict; the counts still go down one by one.
      const names = at.map((i) => bulks(frames[i]!)[1]!).sort();
      at.forEach((i, j) => {
        const [kind] = bulks(frames[i]!);
        const count = frames[i]!.slice(frames[i]!.lastIndexOf(':'));
        frames[i] = `${frames[i]![0]}3\r\n${bulk(kind!)}${bulk(names[j]!)}${count}`;
      });
    } else if (step.unordered === 'elements') {
      for (const i of at) {
        const items = bulks(frames[i]!).sort();
        frames[i] = `*${items.length}\r\n${items.map(bulk).join('')}`;
      }
    }
    if (step.fields !== undefined) {
      for (const i of at) {
        const text = frames[i]!.replace(/^[$=]\d+\r\n(txt:)?/, '');
        const kept = step.fields.map((f) => new RegExp(`(?:^|[ \\n])(${f}[=:][^ \\r\\n]*)`).exec(text)?.[1] ?? `${f}?`);
        frames[i] = `<fields ${frames[i]![0]} ${kept.join(' ')}>`;
      }
    }
  }
  // pmessages of one publish through several patterns: Redis's order is its pattern dict's.
  for (let i = 0; i < frames.length;) {
    const tail = (f: string) => (isMessage(f) && bulks(f)[0] === 'pmessage' ? bulks(f).slice(2).join('\0') : undefined);
    const t = tail(frames[i]!);
    let j = i + 1;
    if (t !== undefined) while (j < frames.length && tail(frames[j]!) === t) j++;
    if (j - i > 1) frames.splice(i, j - i, ...frames.slice(i, j).sort());
    i = j;
  }
  return frames;
}

/** canon()'s tree with PUBSUB's subcommands sorted by name: INFO's list, DOCS's map (flat in RESP2). */
function sortSubcommands(r: unknown): unknown {
  const isSub = (x: unknown) => typeof x === 'string' && x.startsWith('pubsub|');
  if (Array.isArray(r)) {
    const items = r.map(sortSubcommands);
    if (items.length > 1 && items.every((x) => Array.isArray(x) && isSub(x[0]))) {
      return [...items].sort((a, b) => String((a as unknown[])[0]).localeCompare(String((b as unknown[])[0])));
    }
    if (items.length > 1 && items.length % 2 === 0 && items.every((x, i) => i % 2 === 1 || isSub(x))) {
      const pairs: [unknown, unknown][] = [];
      for (let i = 0; i < items.length; i += 2) pairs.push([items[i], items[i + 1]]);
      return pairs.sort((a, b) => String(a[0]).localeCompare(String(b[0]))).flat();
    }
    return items;
  }
  if (r !== null && typeof r === 'object' && 'map' in r) {
    const entries = (r as { map: [unknown, unknown][] }).map.map(([k, v]) => [sortSubcommands(k), sortSubcommands(v)] as [unknown, unknown]);
    if (entries.length > 1 && entries.every(([k]) => isSub(k))) entries.sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    return { map: entries };
  }
  return r;
}

// ---------------------------------------------------------------- the scripts

const SCRIPTS: Record<string, Step[]> = {
  'subscribe and unsubscribe replies and counts, every kind': script(`
    1: SUBSCRIBE a a b
    1: PSUBSCRIBE p* p?
    1: SSUBSCRIBE s1 s2 s1
    1: UNSUBSCRIBE b never
    1: PUNSUBSCRIBE p?
    1: SUNSUBSCRIBE s2 nope
    1: UNSUBSCRIBE
    1: PUNSUBSCRIBE
    1: SUNSUBSCRIBE
    1: UNSUBSCRIBE
    1: PUNSUBSCRIBE
    1: SUNSUBSCRIBE
    1: UNSUBSCRIBE never
    1: SUBSCRIBE
    1: PSUBSCRIBE
    1: SSUBSCRIBE
    1: SUBSCRIBE "bin\\u0000\\r\\nchan" ""
    1: UNSUBSCRIBE "bin\\u0000\\r\\nchan" ""
  `),
  'the subscriber context: refused commands, PING, QUIT allowed, left with the last subscription': script(`
    1: SUBSCRIBE a
    1: GET k
    1: SET k v
    1: PUBLISH elsewhere x
    1: MULTI
    1: EXEC
    1: WATCH k
    1: PUBSUB NUMSUB a
    1: CLIENT GETNAME
    1: NOSUCH
    1: GET
    1: PING
    1: PING hello
    1: PING a b
    1: PSUBSCRIBE x*
    1: UNSUBSCRIBE a
    1: GET k
    1: PUNSUBSCRIBE x*
    1: GET k
    1: PING
    2: SSUBSCRIBE s
    2: GET k
    2: SUNSUBSCRIBE s
    2: GET k
    3: SUBSCRIBE q
    3: QUIT
  `, { 25: { closes: true } }),
  'publish fan-out: channel and pattern subscribers, counts, binary payloads, shard channels': script(`
    1: SUBSCRIBE news.tech news.art
    2: PSUBSCRIBE news.* *.tech sport.*
    3: SUBSCRIBE news.tech
    3: PSUBSCRIBE news.*
    4: SSUBSCRIBE news.tech
    5: PUBLISH news.tech hello
    5: PUBLISH news.art "a\\u0000b\\r\\nc"
    5: PUBLISH sport.tech go
    5: PUBLISH nobody x
    5: SPUBLISH news.tech shard-msg
    5: SPUBLISH nobody x
    5: PUBLISH "" empty-channel
    5: PUBLISH news.tech ""
    2: PUNSUBSCRIBE *.tech
    5: PUBLISH sport.tech again
    5: PUBLISH
    5: PUBLISH a b c
    5: SPUBLISH a
  `),
  'glob patterns as Redis matches them': script(`
    1: PSUBSCRIBE h?llo
    2: PSUBSCRIBE h*llo
    3: PSUBSCRIBE h[ae]llo
    4: PSUBSCRIBE h[^e]llo
    5: PSUBSCRIBE h\\*llo [a- a[b-a]c * x[!y] \\\\ [\\]]
    6: PUBLISH hello 1
    6: PUBLISH hallo 2
    6: PUBLISH hxllo 3
    6: PUBLISH heeeello 4
    6: PUBLISH h*llo 5
    6: PUBLISH a 6
    6: PUBLISH abc 7
    6: PUBLISH x!y 8
    6: PUBLISH xz 9
    6: PUBLISH \\ 10
    6: PUBLISH ] 11
    6: PUBLISH "" 12
  `),
  'PUBSUB introspection and its errors': script(`
    1: SUBSCRIBE news.tech news.art weather
    2: SUBSCRIBE news.tech
    2: PSUBSCRIBE news.* w*
    3: PSUBSCRIBE news.*
    4: SSUBSCRIBE shard.1 other
    5: PUBSUB CHANNELS
    5: PUBSUB CHANNELS news.*
    5: PUBSUB CHANNELS nothing*
    5: PUBSUB CHANNELS news.\\*
    5: PUBSUB SHARDCHANNELS
    5: PUBSUB SHARDCHANNELS sh*
    5: PUBSUB NUMSUB news.tech weather zz news.tech
    5: PUBSUB NUMSUB
    5: PUBSUB NUMPAT
    5: PUBSUB SHARDNUMSUB shard.1 news.tech
    5: PUBSUB SHARDNUMSUB
    5: PUBSUB CHANNELS a b
    5: PUBSUB SHARDCHANNELS a b
    5: PUBSUB NUMPAT x
    5: PUBSUB FOO
    5: PUBSUB
    5: PUBSUB HELP
    5: PUBSUB HELP x
    5: pubsub numsub news.tech
    5: INFO stats
    1: UNSUBSCRIBE
    2: PUNSUBSCRIBE
    5: PUBSUB NUMPAT
    5: PUBSUB CHANNELS
    5: INFO stats
  `, {
    5: { unordered: 'elements' }, 6: { unordered: 'elements' }, 9: { unordered: 'elements' },
    24: { fields: ['pubsub_channels', 'pubsub_patterns', 'pubsubshard_channels'] },
    25: { unordered: 'names' }, 26: { unordered: 'names' }, 28: { unordered: 'elements' },
    29: { fields: ['pubsub_channels', 'pubsub_patterns', 'pubsubshard_channels'] },
  }),
  'unsubscribing everything at once (names compared as a set, counts in order)': script(`
    1: SUBSCRIBE c1 c2 c3 c4 c5
    1: PSUBSCRIBE p1 p2 p3
    1: SSUBSCRIBE s1 s2 s3
    1: UNSUBSCRIBE
    1: PUNSUBSCRIBE
    1: SUNSUBSCRIBE
    1: PING
  `, { 3: { unordered: 'names' }, 4: { unordered: 'names' }, 5: { unordered: 'names' } }),
  'RESET and QUIT of a subscriber drop its subscriptions': script(`
    1: SUBSCRIBE a b
    1: PSUBSCRIBE a*
    2: SUBSCRIBE a
    3: PUBSUB NUMSUB a b
    3: PUBSUB NUMPAT
    1: RESET
    1: GET k
    3: PUBSUB NUMSUB a b
    3: PUBSUB NUMPAT
    3: PUBLISH a x
    2: QUIT
    3: PUBSUB NUMSUB a
    3: PUBLISH a y
  `, { 10: { closes: true } }),
  'transactions: queueing, EXECABORT, runtime errors, nesting and control errors': script(`
    1: MULTI
    1: SET a 1
    1: NOSUCH x
    1: GET
    1: CONFIG NOSUCH
    1: SET b 1
    1: EXEC
    1: GET a
    1: SET s str
    1: MULTI
    1: LPUSH s x
    1: INCR a
    1: INCR s
    1: SET a 5
    1: INCR a
    1: HSET s f v
    1: EXEC
    1: EXEC
    1: DISCARD
    1: MULTI
    1: MULTI
    1: WATCH x
    1: PING
    1: EXEC
    1: MULTI x
    1: EXEC x
    1: DISCARD x
    1: MULTI
    1: SET queued-then-aborted 1
    1: EXEC x
    1: EXEC
    1: GET queued-then-aborted
    1: WATCH
    1: UNWATCH x
    1: MULTI
    1: SAVE
    1: PING
    1: EXEC
    1: MULTI
    1: SHUTDOWN NOSAVE
    1: EXEC
    1: MULTI
    1: EXEC
    1: MULTI
    1: SET k v
    1: DISCARD
    1: GET k
    1: MULTI
    1: SELECT 1
    1: SET x y
    1: SELECT 99
    1: EXEC
    1: GET x
    1: MULTI
    1: UNWATCH
    1: EXEC
    1: unwatch
    1: multi
    1: ping
    1: exec
  `),
  'WATCH: touched by other clients, FLUSHDB / FLUSHALL / SWAPDB, RENAME, MOVE, no-ops that do not count': script(`
    1: FLUSHALL
    1: WATCH nokey
    2: FLUSHALL
    1: MULTI
    1: PING
    1: EXEC
    1: SET k v
    1: WATCH k
    2: FLUSHDB
    1: MULTI
    1: EXEC
    1: SET k v
    1: WATCH k
    2: SELECT 1
    2: FLUSHDB
    1: MULTI
    1: EXEC
    1: WATCH nokey
    2: SET nokey 1
    2: SWAPDB 0 1
    1: MULTI
    1: EXEC
    1: FLUSHALL
    1: WATCH nokey
    2: SWAPDB 0 1
    1: MULTI
    1: EXEC
    1: SET k v
    1: WATCH k
    2: SELECT 0
    2: GET k
    2: EXISTS k
    2: EXPIRE k 1000
    1: MULTI
    1: EXEC
    1: WATCH k
    2: PERSIST k
    1: MULTI
    1: EXEC
    1: WATCH k
    2: RENAME k k2
    1: MULTI
    1: EXEC
    1: WATCH k2
    2: MOVE k2 3
    1: MULTI
    1: EXEC
    1: WATCH k3
    2: SELECT 1
    2: SET k3 x
    1: MULTI
    1: EXEC
    1: WATCH k3
    1: SET k3 own
    1: MULTI
    1: EXEC
    1: WATCH k4 k4 k5
    2: SELECT 0
    2: SET k5 1
    1: MULTI
    1: EXEC
    1: WATCH k6
    2: DEL k6
    2: PERSIST k6
    2: EXPIRE k6 100
    2: LPOP k6
    1: MULTI
    1: EXEC
    1: SET k7 1
    1: WATCH k7
    2: SET k7 1
    1: MULTI
    1: EXEC
    1: SET k8 1
    1: WATCH k8
    2: SETNX k8 2
    2: GETRANGE k8 0 1
    1: MULTI
    1: EXEC
    1: WATCH k9
    2: LPUSH k9 a
    2: LPOP k9
    1: MULTI
    1: EXEC
    1: WATCH w1
    1: UNWATCH
    2: SET w1 x
    1: MULTI
    1: EXEC
    1: WATCH w2
    1: MULTI
    2: SET w2 x
    1: GET w2
    1: EXEC
    1: WATCH w3
    1: MULTI
    1: NOSUCH
    2: SET w3 x
    1: EXEC
  `),
  'blocking commands inside MULTI answer at once': script(`
    1: MULTI
    1: BLPOP nolist 0
    1: BRPOP nolist 0
    1: BLMOVE nolist x LEFT RIGHT 0
    1: BRPOPLPUSH nolist x 0
    1: BZPOPMIN z 0
    1: BZPOPMAX z 0
    1: BLMPOP 0 1 nolist LEFT
    1: BZMPOP 0 1 z MIN
    1: RPUSH l a b
    1: BLPOP l 0
    1: EXEC
    1: PING
  `),
  'pub/sub inside transactions: PUBLISH at EXEC, SUBSCRIBE queued': script(`
    1: SUBSCRIBE ch
    2: MULTI
    2: PUBLISH ch one
    2: PUBLISH ch two
    2: PUBLISH none x
    1: PING
    2: EXEC
    3: MULTI
    3: SUBSCRIBE t1
    3: SET after 1
    3: EXEC
    3: GET after
    3: UNSUBSCRIBE
  `, { 10: { frames: 1 } }),
  'CLIENT INFO and CLIENT LIST fields for subscribers and transactions': script(`
    1: CLIENT INFO
    1: MULTI
    1: CLIENT INFO
    1: EXEC
    1: WATCH k
    2: SET k 1
    1: CLIENT INFO
    1: UNWATCH
    1: MULTI
    1: SET z 1
    1: GET z
    1: CLIENT INFO
    1: EXEC
    1: CLIENT INFO
  `, Object.fromEntries([0, 3, 6, 12, 13].map((i) => [i, { fields: ['flags', 'db', 'sub', 'psub', 'ssub', 'multi', 'cmd'] }]))),
};

/** RESP3 subscribers may run any command: CLIENT INFO while subscribed shows P and the counts. */
const RESP3_ONLY: Record<string, Step[]> = {
  'RESP3 subscribers run other commands; CLIENT INFO shows their subscriptions': script(`
    1: SUBSCRIBE a b
    1: PSUBSCRIBE x
    1: SSUBSCRIBE s
    1: SET k v
    1: GET k
    1: PING
    1: PING hi
    1: CLIENT INFO
    1: MULTI
    1: GET k
    1: EXEC
    1: UNSUBSCRIBE
    1: PUNSUBSCRIBE
    1: CLIENT INFO
    1: SUNSUBSCRIBE
    1: CLIENT INFO
    1: HELLO 2
    1: SUBSCRIBE z
    1: GET k
    1: HELLO 3
  `, {
    7: { fields: ['flags', 'sub', 'psub', 'ssub', 'multi'] }, 11: { unordered: 'names' },
    13: { fields: ['flags', 'sub', 'psub', 'ssub'] }, 15: { fields: ['flags', 'sub', 'psub', 'ssub'] },
  }),
};

describe.skipIf(!redisAvailable)('pub/sub and transactions against redis-server, byte for byte', () => {
  const pair = useServerPair('pubsub-tx');
  const ports = () => ({ nodis: pair.nodis.socket.remotePort!, redis: pair.redis.socket.remotePort! });

  const cases: [string, 2 | 3, Step[]][] = [
    ...Object.entries(SCRIPTS).flatMap(([name, steps]) => [[name, 2, steps], [name, 3, steps]] as [string, 2 | 3, Step[]][]),
    ...Object.entries(RESP3_ONLY).map(([name, steps]) => [name, 3, steps] as [string, 2 | 3, Step[]]),
  ];

  it.each(cases)('%s (RESP%i)', async (_name, protocol, steps) => {
    const { nodis, redis } = ports();
    // Each script starts from empty data sets.
    await Promise.all([pair.nodis.call('FLUSHALL'), pair.redis.call('FLUSHALL')]);
    const theirs = await runScript(redis, steps, protocol);
    await Promise.all([pair.nodis.call('FLUSHALL'), pair.redis.call('FLUSHALL')]);
    const ours = await runScript(nodis, steps, protocol);
    expect([...ours.keys()]).toEqual([...theirs.keys()]);
    for (const [conn, frames] of theirs) {
      expect(frames.length, `connection ${conn}`).toBeGreaterThan(0);
      expect(ours.get(conn)!.join(''), `connection ${conn}`).toBe(frames.join(''));
    }
  });

  it('COMMAND INFO and COMMAND DOCS of the pubsub and transactions commands', async () => {
    await expectCommandDocsMatch(ports().redis, [
      'subscribe', 'unsubscribe', 'psubscribe', 'punsubscribe', 'ssubscribe', 'sunsubscribe', 'publish', 'spublish',
      'multi', 'exec', 'discard', 'watch', 'unwatch',
    ]);
  });

  it('COMMAND INFO and COMMAND DOCS of PUBSUB, its subcommands compared as a set', async () => {
    // Redis lists a container's subcommands in the order of a dict hashed with a seed drawn at
    // start: two redis-servers list PUBSUB's in different orders. Everything else is compared as is.
    const client = await RespTestClient.connect(ports().redis);
    try {
      for (const protocol of ['2', '3']) {
        const t = createTestEngine();
        t.run('HELLO', protocol);
        const commands = [['COMMAND', 'INFO', 'pubsub'], ['COMMAND', 'DOCS', 'pubsub']];
        const theirs = await client.pipeline([['HELLO', protocol], ...commands]);
        commands.forEach((argv, i) => {
          const ours = sortSubcommands(canon(t.run(...argv)));
          expect(JSON.stringify(ours).length, argv.join(' ')).toBeGreaterThan(500);
          expect(ours, `${argv.join(' ')} (RESP${protocol})`).toEqual(sortSubcommands(canon(theirs[i + 1]!)));
        });
      }
    } finally {
      client.close();
    }
  });
});
