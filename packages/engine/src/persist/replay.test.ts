import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createTestEngine, type EngineHarness } from '../testing.js';
import { CapturingWriter, ReplyError, ReplySet, type Reply } from '../reply.js';
import type { Client } from '../client.js';
import type { Engine } from '../engine.js';
import type { Value } from '../keyspace.js';
import { RawString } from '../types/string.js';
import { ListValue } from '../types/list.js';
import { SetValue } from '../types/set.js';
import { HashValue } from '../types/hash.js';
import { ZSetValue } from '../types/zset.js';

/**
 * The append-only file's rule: replaying the records the engine logged (Engine.propagator), in
 * order, into a fresh engine that is loading (nothing expires, the clock is elsewhere, random
 * picks differ) rebuilds exactly the data set the live engine had when the last of them was
 * written: every database, key, value and absolute expiry time. Handlers whose argv would not
 * replay the same log their effect (EXPIRE → PEXPIREAT, SPOP → SREM, BLPOP → LPOP ...).
 */

type Record = [db: number, argv: string[]];

interface Logged {
  h: EngineHarness;
  records: Record[];
}

function loggedEngine(): Logged {
  const h = createTestEngine();
  const records: Record[] = [];
  h.engine.propagator = { append: (db, argv) => { records.push([db, [...argv]]); } };
  return { h, records };
}

// ---------------------------------------------------------------- the data set, read raw

function describeValue(v: Value): string {
  if (typeof v === 'string') return `string ${JSON.stringify(v)}`;
  if (v instanceof RawString) return `string ${JSON.stringify(v.bytes().toString('latin1'))}`;
  // Collections: content through each type's API, plus the encoding (deterministic: a replay
  // makes the same changes in the same order). String encodings are left out: Redis itself
  // turns an embstr into raw (dbUnshareStringValue) without logging anything.
  if (v instanceof ListValue) return `list ${v.encoding()} ${JSON.stringify(v.toArray())}`;
  if (v instanceof SetValue) return `set ${v.encoding()} ${JSON.stringify(v.members().sort())}`;
  if (v instanceof HashValue) {
    const pairs: [string, string][] = [];
    v.forEach((f, x) => { pairs.push([f, x]); });
    pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return `hash ${v.encoding()} ${JSON.stringify(pairs)}`;
  }
  if (v instanceof ZSetValue) {
    const { members, scores } = v.slice(0, v.size - 1);
    // Object.is tells -0 from 0; both are valid stored scores.
    return `zset ${v.encoding()} ${JSON.stringify(members.map((m, i) => [m, Object.is(scores[i], -0) ? '-0' : String(scores[i])]))}`;
  }
  return `unknown ${v.type}`;
}

/**
 * Every database's keys, values and absolute expiry times, read from the shards' Maps
 * directly (no lookup: nothing expires while we look), as sorted lines.
 */
function describeDataset(engine: Engine): string[] {
  const lines: string[] = [];
  for (const db of engine.dbs) {
    for (const shard of db.shards) {
      for (const [key, v] of shard.data) {
        const at = shard.expires.get(key);
        lines.push(`db${db.index} ${JSON.stringify(key)} ${describeValue(v)} ttl=${at === undefined ? 'none' : String(at)}`);
      }
      for (const [key, at] of shard.expires) {
        if (!shard.data.has(key)) lines.push(`db${db.index} ${JSON.stringify(key)} STRAY EXPIRY ${at}`);
      }
    }
  }
  return lines.sort();
}

/** The first line where two descriptions differ, for a readable failure. */
function firstDifference(live: string[], replayed: string[]): string | undefined {
  const a = new Set(live);
  const b = new Set(replayed);
  for (const l of live) if (!b.has(l)) return `live has, replay lacks: ${l}`;
  for (const l of replayed) if (!a.has(l)) return `replay has, live lacks: ${l}`;
  return undefined;
}

/** A fresh engine that is loading, with a loader client, at another wall-clock time. */
class Replayer {
  readonly h = createTestEngine();
  private readonly writer = new CapturingWriter();
  private readonly loader: Client;
  private next = 0;

  constructor(clockOffset: number) {
    this.h.clock.now += clockOffset;
    this.h.engine.loading = true;
    this.loader = this.h.engine.createClient({ reply: this.writer, kind: 'memory', addr: 'memory' });
    this.loader.loader = true;
  }

  /** Replays records up to `end` (exclusive); throws when one answers an error, unless allowed. */
  replayTo(records: readonly Record[], end: number, allowErrors = false): void {
    for (; this.next < end; this.next++) {
      const [db, argv] = records[this.next]!;
      this.loader.db = this.h.engine.dbs[db]!;
      this.h.engine.execute(this.loader, [...argv]);
      const replies = this.writer.take();
      if (replies.length !== 1) throw new Error(`record ${this.next} ${JSON.stringify(argv)}: ${replies.length} replies on replay`);
      const r = replies[0];
      if (r instanceof ReplyError && !allowErrors) throw new Error(`record ${this.next} ${JSON.stringify(argv)} failed on replay: ${r.message}`);
    }
  }
}

/** Replays every record into a fresh loading engine and checks it holds the live data set. */
function expectReplayMatches(live: Engine, records: readonly Record[], clockOffset = 7 * 86_400_000): void {
  const r = new Replayer(clockOffset);
  r.replayTo(records, records.length);
  const a = describeDataset(live);
  const b = describeDataset(r.h.engine);
  expect(firstDifference(a, b)).toBeUndefined();
  expect(b).toEqual(a);
}

// ---------------------------------------------------------------- the rewrites, one by one

describe('logged effects', () => {
  it('EXPIRE family → PEXPIREAT with the absolute time, or DEL when the time is past', () => {
    const { h, records } = loggedEngine();
    const now = h.clock.now;
    h.run('SET', 'k', 'v');
    records.length = 0;
    expect(h.run('EXPIRE', 'k', '100', 'NX')).toBe(1);
    expect(h.run('PEXPIRE', 'k', '5000', 'LT')).toBe(1);
    expect(h.run('PEXPIRE', 'k', '1', 'GT')).toBe(0); // condition failed: nothing logged
    expect(h.run('EXPIREAT', 'k', String(Math.floor(now / 1000) + 50), 'XX')).toBe(1);
    expect(h.run('PEXPIREAT', 'k', String(now + 12_345))).toBe(1);
    expect(records).toEqual([
      [0, ['PEXPIREAT', 'k', String(now + 100_000)]],
      [0, ['PEXPIREAT', 'k', String(now + 5000)]],
      [0, ['PEXPIREAT', 'k', String((Math.floor(now / 1000) + 50) * 1000)]],
      [0, ['PEXPIREAT', 'k', String(now + 12_345)]],
    ]);
    records.length = 0;
    h.run('SET', 'a', '1');
    h.run('SET', 'b', '1');
    records.length = 0;
    expect(h.run('EXPIRE', 'a', '-1')).toBe(1);
    expect(h.run('PEXPIREAT', 'b', String(now - 1))).toBe(1);
    expect(h.run('EXPIRE', 'missing', '10')).toBe(0);
    expect(records).toEqual([[0, ['DEL', 'a']], [0, ['DEL', 'b']]]);
  });

  it('times beyond 2^53 ms are written so that they read back as the same double', () => {
    const { h, records } = loggedEngine();
    h.run('SET', 'a', 'v');
    h.run('SET', 'b', 'v');
    h.run('SET', 'c', 'v', 'PXAT', '9223372036854775807');
    h.run('PEXPIREAT', 'a', '9223372036854775807');
    h.run('EXPIREAT', 'b', '9223372036854775');
    expect(records.slice(2)).toEqual([
      [0, ['SET', 'c', 'v', 'PXAT', '9223372036854775807']],
      [0, ['PEXPIREAT', 'a', '9223372036854775807']],
      [0, ['PEXPIREAT', 'b', '9223372036854775000']],
    ]);
    expectReplayMatches(h.engine, records);
  });

  it('SETEX, PSETEX and SET with an expiry → SET key value PXAT ms; KEEPTTL kept; NX/XX/GET dropped', () => {
    const { h, records } = loggedEngine();
    const now = h.clock.now;
    h.run('SETEX', 'a', '10', 'v1');
    h.run('PSETEX', 'b', '1500', 'v2');
    h.run('SET', 'c', 'v3', 'EX', '7', 'NX');
    h.run('SET', 'c', 'v4', 'XX', 'GET', 'PX', '250');
    h.run('SET', 'd', 'v5', 'EXAT', String(Math.floor(now / 1000) + 9));
    h.run('SET', 'd', 'v6', 'NX', 'GET', 'KEEPTTL'); // d exists: did nothing
    h.run('SET', 'c', 'v7', 'XX', 'GET', 'KEEPTTL');
    h.run('SET', 'e', 'v8', 'NX');
    expect(records).toEqual([
      [0, ['SET', 'a', 'v1', 'PXAT', String(now + 10_000)]],
      [0, ['SET', 'b', 'v2', 'PXAT', String(now + 1500)]],
      [0, ['SET', 'c', 'v3', 'PXAT', String(now + 7000)]],
      [0, ['SET', 'c', 'v4', 'PXAT', String(now + 250)]],
      [0, ['SET', 'd', 'v5', 'PXAT', String((Math.floor(now / 1000) + 9) * 1000)]],
      [0, ['SET', 'c', 'v7', 'KEEPTTL']],
      [0, ['SET', 'e', 'v8']],
    ]);
    expectReplayMatches(h.engine, records);
  });

  it('a SET that did nothing is not logged and does not move dirty', () => {
    const { h, records } = loggedEngine();
    h.run('SET', 'k', 'v');
    const dirty = h.engine.dirty;
    records.length = 0;
    expect(h.run('SET', 'k', 'w', 'NX', 'EX', '10')).toBeNull();
    expect(h.run('SET', 'missing', 'w', 'XX', 'GET')).toBeNull();
    expect(records).toEqual([]);
    expect(h.engine.dirty).toBe(dirty);
  });

  it('GETEX → PEXPIREAT / DEL / PERSIST; a plain GETEX is not logged; GETDEL → DEL', () => {
    const { h, records } = loggedEngine();
    const now = h.clock.now;
    for (const k of ['a', 'b', 'c', 'd']) h.run('SET', k, 'v');
    const start = records.length;
    h.run('GETEX', 'a', 'EX', '30');
    h.run('GETEX', 'b', 'PXAT', String(now - 5));
    h.run('GETEX', 'a', 'PERSIST');
    h.run('GETEX', 'c', 'PERSIST'); // no TTL to remove
    h.run('GETEX', 'c');
    h.run('GETEX', 'c', 'PX', '20');
    h.run('GETEX', 'c', 'EXAT', String(Math.floor(now / 1000) + 100));
    expect(h.run('GETDEL', 'd')).toBe('v');
    expect(h.run('GETDEL', 'd')).toBeNull();
    expect(records.slice(start)).toEqual([
      [0, ['PEXPIREAT', 'a', String(now + 30_000)]],
      [0, ['DEL', 'b']],
      [0, ['PERSIST', 'a']],
      [0, ['PEXPIREAT', 'c', String(now + 20)]],
      [0, ['PEXPIREAT', 'c', String((Math.floor(now / 1000) + 100) * 1000)]],
      [0, ['DEL', 'd']],
    ]);
    expectReplayMatches(h.engine, records);
  });

  it('SPOP → SREM of the members it took, or DEL when it took the whole set', () => {
    const { h, records } = loggedEngine();
    h.run('SADD', 's', 'a', 'b', 'c', 'd', 'e', 'f');
    h.run('SADD', 't', '1', '2');
    const one = h.run('SPOP', 's') as string;
    const two = h.run('SPOP', 's', '2');
    const popped2 = (two instanceof ReplySet ? two.items : two) as string[];
    expect(popped2).toHaveLength(2);
    h.run('SPOP', 't');
    expect(records[2]).toEqual([0, ['SREM', 's', one]]);
    expect(records[3]![1].slice(0, 2)).toEqual(['SREM', 's']);
    expect([...records[3]![1].slice(2)].sort()).toEqual([...popped2].sort());
    expect(records[4]![1].slice(0, 2)).toEqual(['SREM', 't']);
    // Before the whole set goes, the replay must hold what the random picks left.
    expectReplayMatches(h.engine, records);
    h.run('SPOP', 's', '10');
    h.run('SPOP', 't');
    expect(records.slice(5)).toEqual([[0, ['DEL', 's']], [0, ['SREM', 't', records[5 + 1]![1][2]]]]);
    expect(h.engine.dbs[0]!.size).toBe(0);
    expectReplayMatches(h.engine, records);
  });

  it('INCRBYFLOAT → SET key <result> KEEPTTL; HINCRBYFLOAT → HSET key field <result>', () => {
    const { h, records } = loggedEngine();
    const now = h.clock.now;
    h.run('SET', 'f', '10', 'PX', '9000');
    expect(h.run('INCRBYFLOAT', 'f', '0.1')).toBe('10.1');
    expect(h.run('INCRBYFLOAT', 'g', '3.0e3')).toBe('3000');
    expect(h.run('HINCRBYFLOAT', 'h', 'x', '1.5')).toBe('1.5');
    expect(h.run('HINCRBYFLOAT', 'h', 'x', '0.1')).toBe('1.6');
    expect(records).toEqual([
      [0, ['SET', 'f', '10', 'PXAT', String(now + 9000)]],
      [0, ['SET', 'f', '10.1', 'KEEPTTL']],
      [0, ['SET', 'g', '3000', 'KEEPTTL']],
      [0, ['HSET', 'h', 'x', '1.5']],
      [0, ['HSET', 'h', 'x', '1.6']],
    ]);
    expectReplayMatches(h.engine, records);
  });

  it('blocking pops served at once log the non-blocking pop on the key popped', () => {
    const { h, records } = loggedEngine();
    h.run('RPUSH', 'l', 'a', 'b', 'c', 'd', 'e');
    h.run('ZADD', 'z', '1', 'm1', '2', 'm2', '3', 'm3', '4', 'm4');
    const start = records.length;
    h.run('BLPOP', 'nothing', 'l', '0');
    h.run('BRPOP', 'l', '0');
    h.run('BRPOPLPUSH', 'l', 'dst', '0');
    h.run('BLMOVE', 'l', 'dst', 'LEFT', 'RIGHT', '0');
    h.run('BLMPOP', '0', '2', 'nothing', 'l', 'RIGHT', 'COUNT', '5');
    h.run('LPUSH', 'l', 'x', 'y');
    h.run('LMPOP', '2', 'nothing', 'l', 'LEFT');
    h.run('BZPOPMIN', 'z', '0');
    h.run('BZPOPMAX', 'nothing', 'z', '0');
    h.run('BZMPOP', '0', '1', 'z', 'MAX', 'COUNT', '1');
    h.run('ZMPOP', '1', 'z', 'MIN', 'COUNT', '10');
    expect(records.slice(start)).toEqual([
      [0, ['LPOP', 'l']],
      [0, ['RPOP', 'l']],
      [0, ['RPOPLPUSH', 'l', 'dst']],
      [0, ['LMOVE', 'l', 'dst', 'LEFT', 'RIGHT']],
      [0, ['LMPOP', '1', 'l', 'RIGHT', 'COUNT', '1']],
      [0, ['LPUSH', 'l', 'x', 'y']],
      [0, ['LMPOP', '1', 'l', 'LEFT', 'COUNT', '1']],
      [0, ['ZPOPMIN', 'z']],
      [0, ['ZPOPMAX', 'z']],
      [0, ['ZMPOP', '1', 'z', 'MAX', 'COUNT', '1']],
      [0, ['ZMPOP', '1', 'z', 'MIN', 'COUNT', '1']],
    ]);
    expectReplayMatches(h.engine, records);
  });

  it('blocking pops served later log the pop after the write that served them, in the waiter\'s database', () => {
    const { h, records } = loggedEngine();
    const blocker = () => {
      const writer = new CapturingWriter();
      const client = h.engine.createClient({ reply: writer, kind: 'memory', addr: 'memory' });
      return { client, writer, run: (...argv: string[]) => { h.engine.execute(client, argv); return writer.take(); } };
    };
    const blockers = [blocker(), blocker(), blocker(), blocker(), blocker(), blocker(), blocker()] as const;
    const [b1, b2, b3, b4, b5, b6, b7] = blockers;
    b1.run('SELECT', '1');
    expect(b1.run('BLPOP', 'q', 'r', '0')).toEqual([]);
    expect(b2.run('BRPOPLPUSH', 'q', 'moved', '0')).toEqual([]);
    expect(b3.run('BLMOVE', 'moved', 'final', 'RIGHT', 'LEFT', '0')).toEqual([]);
    expect(b4.run('BLMPOP', '0', '1', 'm', 'RIGHT', 'COUNT', '2')).toEqual([]);
    expect(b5.run('BZPOPMAX', 'z', '0')).toEqual([]);
    expect(b6.run('BZMPOP', '0', '1', 'z2', 'MIN', 'COUNT', '5')).toEqual([]);
    expect(b7.run('BRPOP', 'q', '0')).toEqual([]);
    expect(records).toEqual([]); // blocking logs nothing until served
    h.run('RPUSH', 'q', 'a', 'b'); // db 0: b2 (BRPOPLPUSH) takes b, then b3 moves it on; b7 takes a
    h.run('SELECT', '1');
    h.run('RPUSH', 'r', 'x'); // db 1: b1
    h.run('SELECT', '0');
    h.run('RPUSH', 'm', '1', '2', '3');
    h.run('ZADD', 'z', '1', 'p', '2', 'q');
    h.run('ZADD', 'z2', '1', 'p', '2', 'q');
    expect(records).toEqual([
      [0, ['RPUSH', 'q', 'a', 'b']],
      [0, ['RPOPLPUSH', 'q', 'moved']],
      [0, ['RPOP', 'q']],
      [0, ['LMOVE', 'moved', 'final', 'RIGHT', 'LEFT']],
      [1, ['RPUSH', 'r', 'x']],
      [1, ['LPOP', 'r']],
      [0, ['RPUSH', 'm', '1', '2', '3']],
      [0, ['LMPOP', '1', 'm', 'RIGHT', 'COUNT', '2']],
      [0, ['ZADD', 'z', '1', 'p', '2', 'q']],
      [0, ['ZPOPMAX', 'z']],
      [0, ['ZADD', 'z2', '1', 'p', '2', 'q']],
      [0, ['ZMPOP', '1', 'z2', 'MIN', 'COUNT', '2']],
    ]);
    for (const b of blockers) expect(b.writer.take()).toHaveLength(1);
    expectReplayMatches(h.engine, records);
  });

  it('expiry, lazy or active, is logged as DEL where it happens in the stream', () => {
    const { h, records } = loggedEngine();
    h.run('SET', 'a', '1', 'PX', '100');
    h.run('SET', 'b', '1', 'PX', '100');
    h.run('SELECT', '2');
    h.run('SET', 'c', '1', 'PX', '100');
    h.run('SELECT', '0');
    records.length = 0;
    h.clock.advance(200);
    expect(h.run('GET', 'a')).toBeNull();
    h.engine.cron();
    expect(records.slice(0, 1)).toEqual([[0, ['DEL', 'a']]]);
    expect(records.slice(1).sort()).toEqual([[0, ['DEL', 'b']], [2, ['DEL', 'c']]].sort());
  });

  it('BITFIELD that only grows the value (every write failed on OVERFLOW FAIL) is logged', () => {
    const { h, records } = loggedEngine();
    h.run('SETBIT', 'b', '0', '1');
    expect(h.run('BITFIELD', 'b', 'OVERFLOW', 'FAIL', 'SET', 'u8', '800', '300')).toEqual([null]);
    expect(h.run('STRLEN', 'b')).toBe(101); // as Redis: the padding stays
    expect(records.at(-1)).toEqual([0, ['BITFIELD', 'b', 'OVERFLOW', 'FAIL', 'SET', 'u8', '800', '300']]);
    const dirty = h.engine.dirty;
    h.run('BITFIELD', 'b', 'OVERFLOW', 'FAIL', 'SET', 'u8', '8', '300'); // no growth, no write
    expect(h.engine.dirty).toBe(dirty);
    expectReplayMatches(h.engine, records);
  });

  it('PFADD that changed registers before meeting a corrupted sparse HLL is logged', () => {
    // A sparse HLL whose one opcode (XZERO 8192) covers only the first half of the registers:
    // an element whose register is in the first half is added, one in the second is corrupt.
    const crafted = 'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x5f\xff';
    const probe = createTestEngine();
    const added = (e: string): boolean => {
      probe.run('SET', 'p', crafted);
      return probe.run('PFADD', 'p', e) === 1;
    };
    const names = Array.from({ length: 64 }, (_, i) => `e${i}`);
    const good = names.find(added)!;
    const bad = names.find((e) => !added(e))!;
    expect(good).toBeDefined();
    expect(bad).toBeDefined();
    const { h, records } = loggedEngine();
    h.run('SET', 'p', crafted);
    expect(h.run('PFADD', 'p', good, bad)).toBeInstanceOf(ReplyError);
    expect(h.run('GET', 'p')).not.toBe(crafted);
    expect(records.at(-1)).toEqual([0, ['PFADD', 'p', good, bad]]);
    // The record answers the same error on replay, after the same changes.
    const r = new Replayer(0);
    r.replayTo(records, records.length, true);
    expect(describeDataset(r.h.engine)).toEqual(describeDataset(h.engine));
  });

  it('a replay stores times already past (nothing expires while loading)', () => {
    const { h, records } = loggedEngine();
    h.run('SET', 'k', 'v', 'EX', '10');
    h.run('RPUSH', 'l', 'x');
    h.run('EXPIRE', 'l', '20');
    // Replayed a year later: the times are long past, the keys must still be there.
    const r = new Replayer(365 * 86_400_000);
    r.replayTo(records, records.length);
    expect(describeDataset(r.h.engine)).toEqual(describeDataset(h.engine));
    expect(r.h.engine.dbs[0]!.size).toBe(2);
  });
});

// ---------------------------------------------------------------- random histories

/** An argument: text, or an absolute time `at` ms from the command's time, in s or ms. */
type Arg = string | { at: number; unit: 's' | 'ms' };

type Step =
  | { kind: 'run'; argv: Arg[] }
  | { kind: 'block'; who: number; db: string; argv: Arg[] }
  | { kind: 'advance'; ms: number }
  | { kind: 'cron' }
  | { kind: 'expireBlocked' };

const STRINGS = ['s1', 's2', 'k'];
const LISTS = ['l1', 'l2', 'k'];
const SETS = ['S1', 'S2', 'k'];
const ZSETS = ['z1', 'z2', 'k'];
const HASHES = ['h1', 'h2', 'k'];
const HLLS = ['p1', 'p2', 's1'];
const ANY = [...new Set([...STRINGS, ...LISTS, ...SETS, ...ZSETS, ...HASHES, ...HLLS, 'b1'])];

const anyKey = fc.constantFrom(...ANY);
const strKey = fc.constantFrom(...STRINGS);
const listKey = fc.constantFrom(...LISTS);
const setKey = fc.constantFrom(...SETS);
const zKey = fc.constantFrom(...ZSETS);
const hKey = fc.constantFrom(...HASHES);
const hllKey = fc.constantFrom(...HLLS);
const bitKey = fc.constantFrom('b1', 's1', 'k');
const db = fc.constantFrom('0', '1', '2');
const value = fc.constantFrom('v', 'w', '1', '10', '-3', '2.5', '', 'x\r\n\x00y');
const member = fc.constantFrom('a', 'b', 'c', '1', '2', '300', '-7');
const members = fc.array(member, { minLength: 1, maxLength: 4 });
const field = fc.constantFrom('f1', 'f2', 'f3');
const score = fc.constantFrom('0', '1', '-1', '2.5', '1e3', '-0', 'inf', '-inf', '0.1');
const floatIncr = fc.constantFrom('0.1', '1', '-2.5', '1e3', '3.0e-2', '0.3333333333333333', '-0.1', '5.0e+1');
const count = fc.constantFrom('0', '1', '2', '3', '10');
const end = fc.constantFrom('LEFT', 'RIGHT');
const cond = fc.constantFrom<string[]>([], [], ['NX'], ['XX'], ['GT'], ['LT']);
const absSeconds = fc.integer({ min: -10_000, max: 200_000 }).map((at): Arg => ({ at, unit: 's' }));
const absMs = fc.integer({ min: -10_000, max: 200_000 }).map((at): Arg => ({ at, unit: 'ms' }));
const relSeconds = fc.constantFrom('-1', '0', '1', '2', '5', '100');
const relMs = fc.constantFrom('-5', '0', '1', '300', '1500', '3000', '100000');
const farFuture = fc.constantFrom('9223372036854775807', '9007199254740993', '4611686018427387904');

const setExpiry = fc.oneof(
  fc.constant<Arg[]>([]),
  relSeconds.filter((s) => Number(s) > 0).map((s): Arg[] => ['EX', s]),
  relMs.filter((s) => Number(s) > 0).map((s): Arg[] => ['PX', s]),
  absSeconds.filter((a) => typeof a !== 'string' && a.at > -1_700_000_000).map((a): Arg[] => ['EXAT', a]),
  absMs.map((a): Arg[] => ['PXAT', a]),
  farFuture.map((s): Arg[] => ['PXAT', s]),
  fc.constant<Arg[]>(['KEEPTTL']),
);

const run = (arb: fc.Arbitrary<Arg[]>, weight = 1): fc.WeightedArbitrary<Step> => ({
  weight, arbitrary: arb.map((argv): Step => ({ kind: 'run', argv })),
});

const blockingCommand: fc.Arbitrary<Arg[]> = fc.oneof(
  fc.tuple(fc.constantFrom('BLPOP', 'BRPOP'), fc.uniqueArray(listKey, { minLength: 1, maxLength: 2 }), fc.constantFrom('0', '0.5', '2'))
    .map(([c, ks, t]): Arg[] => [c, ...ks, t]),
  fc.tuple(listKey, listKey, end, end, fc.constantFrom('0', '1')).map(([a, b, e1, e2, t]): Arg[] => ['BLMOVE', a, b, e1, e2, t]),
  fc.tuple(listKey, listKey).map(([a, b]): Arg[] => ['BRPOPLPUSH', a, b, '0']),
  fc.tuple(fc.uniqueArray(listKey, { minLength: 1, maxLength: 2 }), end, count.filter((c) => c !== '0'))
    .map(([ks, e, c]): Arg[] => ['BLMPOP', '0', String(ks.length), ...ks, e, 'COUNT', c]),
  fc.tuple(fc.constantFrom('BZPOPMIN', 'BZPOPMAX'), fc.uniqueArray(zKey, { minLength: 1, maxLength: 2 }))
    .map(([c, ks]): Arg[] => [c, ...ks, '0']),
  fc.tuple(zKey, fc.constantFrom('MIN', 'MAX'), count.filter((c) => c !== '0'))
    .map(([k, w, c]): Arg[] => ['BZMPOP', '1', '1', k, w, 'COUNT', c]),
);

const step: fc.Arbitrary<Step> = fc.oneof(
  // time and expiry
  { weight: 6, arbitrary: fc.constantFrom(0, 1, 10, 299, 500, 1000, 1500, 5000).map((ms): Step => ({ kind: 'advance', ms })) },
  { weight: 2, arbitrary: fc.constant<Step>({ kind: 'cron' }) },
  { weight: 1, arbitrary: fc.constant<Step>({ kind: 'expireBlocked' }) },
  // strings
  run(fc.tuple(strKey, value, fc.constantFrom<string[]>([], [], ['NX'], ['XX']), fc.constantFrom<string[]>([], ['GET']), setExpiry)
    .map(([k, v, c, g, e]): Arg[] => ['SET', k, v, ...c, ...g, ...e]), 6),
  run(fc.tuple(fc.constantFrom('SETEX', 'PSETEX'), strKey, fc.constantFrom('1', '2', '500', '3000'), value).map(([c, k, t, v]): Arg[] => [c, k, t, v]), 2),
  run(fc.tuple(strKey, value).map(([k, v]): Arg[] => ['SETNX', k, v])),
  run(fc.tuple(strKey, value).map(([k, v]): Arg[] => ['GETSET', k, v])),
  run(strKey.map((k): Arg[] => ['GETDEL', k])),
  run(fc.tuple(strKey, fc.oneof(
    fc.constant<Arg[]>([]), fc.constant<Arg[]>(['PERSIST']),
    relSeconds.filter((s) => Number(s) > 0).map((s): Arg[] => ['EX', s]),
    relMs.filter((s) => Number(s) > 0).map((s): Arg[] => ['PX', s]),
    absSeconds.filter((a) => typeof a !== 'string' && a.at > -1_700_000_000).map((a): Arg[] => ['EXAT', a]),
    absMs.map((a): Arg[] => ['PXAT', a]),
  )).map(([k, o]): Arg[] => ['GETEX', k, ...o]), 3),
  run(fc.tuple(strKey, value).map(([k, v]): Arg[] => ['APPEND', k, v])),
  run(fc.tuple(strKey, fc.constantFrom('0', '3', '10'), value).map(([k, o, v]): Arg[] => ['SETRANGE', k, o, v])),
  run(fc.tuple(fc.constantFrom('INCR', 'DECR'), strKey).map(([c, k]): Arg[] => [c, k])),
  run(fc.tuple(fc.constantFrom('INCRBY', 'DECRBY'), strKey, fc.constantFrom('5', '-2')).map(([c, k, n]): Arg[] => [c, k, n])),
  run(fc.tuple(strKey, floatIncr).map(([k, n]): Arg[] => ['INCRBYFLOAT', k, n]), 3),
  run(fc.tuple(strKey, value, strKey, value).map(([a, x, b, y]): Arg[] => ['MSET', a, x, b, y])),
  run(fc.tuple(strKey, value, strKey, value).map(([a, x, b, y]): Arg[] => ['MSETNX', a, x, b, y])),
  // reads (lazy expiry)
  run(fc.tuple(fc.constantFrom('GET', 'EXISTS', 'TYPE', 'TTL', 'STRLEN', 'LLEN', 'SCARD'), anyKey).map(([c, k]): Arg[] => [c, k]), 2),
  run(fc.constantFrom<Arg[]>(['RANDOMKEY'], ['KEYS', '*'], ['DBSIZE'], ['SCAN', '0', 'COUNT', '100'])),
  // keyspace
  run(fc.tuple(fc.constantFrom('DEL', 'UNLINK'), fc.uniqueArray(anyKey, { minLength: 1, maxLength: 2 })).map(([c, ks]): Arg[] => [c, ...ks])),
  run(fc.tuple(fc.constantFrom('EXPIRE', 'PEXPIRE'), anyKey, cond).chain(([c, k, o]) =>
    (c === 'EXPIRE' ? relSeconds : relMs).map((t): Arg[] => [c, k, t, ...o])), 4),
  run(fc.tuple(anyKey, cond, absSeconds).map(([k, o, t]): Arg[] => ['EXPIREAT', k, t, ...o]), 2),
  run(fc.tuple(anyKey, cond, fc.oneof(absMs, absMs, farFuture)).map(([k, o, t]): Arg[] => ['PEXPIREAT', k, t, ...o]), 2),
  run(anyKey.map((k): Arg[] => ['PERSIST', k])),
  run(fc.tuple(fc.constantFrom('RENAME', 'RENAMENX'), anyKey, anyKey).map(([c, a, b]): Arg[] => [c, a, b]), 2),
  run(fc.tuple(anyKey, anyKey, fc.constantFrom<string[]>([], ['REPLACE'])).chain(([a, b, r]) =>
    fc.option(db, { nil: undefined }).map((d): Arg[] => ['COPY', a, b, ...(d === undefined ? [] : ['DB', d]), ...r])), 2),
  run(fc.tuple(anyKey, db).map(([k, d]): Arg[] => ['MOVE', k, d]), 2),
  run(db.map((d): Arg[] => ['SELECT', d]), 3),
  run(fc.tuple(db, db).map(([a, b]): Arg[] => ['SWAPDB', a, b])),
  // Rare: they wipe what the rest built.
  run(fc.constantFrom<Arg[]>(['FLUSHDB'], ['FLUSHDB'], ['FLUSHDB', 'ASYNC'], ['FLUSHALL'])),
  // lists
  run(fc.tuple(fc.constantFrom('LPUSH', 'RPUSH', 'LPUSH', 'RPUSH', 'LPUSHX', 'RPUSHX'), listKey, members).map(([c, k, m]): Arg[] => [c, k, ...m]), 10),
  run(fc.tuple(fc.constantFrom('LPOP', 'RPOP'), listKey, fc.option(count, { nil: undefined }))
    .map(([c, k, n]): Arg[] => (n === undefined ? [c, k] : [c, k, n])), 2),
  run(fc.tuple(listKey, listKey, end, end).map(([a, b, e1, e2]): Arg[] => ['LMOVE', a, b, e1, e2])),
  run(fc.tuple(listKey, listKey).map(([a, b]): Arg[] => ['RPOPLPUSH', a, b])),
  run(fc.tuple(fc.uniqueArray(listKey, { minLength: 1, maxLength: 2 }), end, count.filter((c) => c !== '0'))
    .map(([ks, e, c]): Arg[] => ['LMPOP', String(ks.length), ...ks, e, 'COUNT', c])),
  run(fc.tuple(listKey, fc.constantFrom('0', '1', '-1'), fc.constantFrom('-1', '1', '0')).map(([k, a, b]): Arg[] => ['LTRIM', k, a, b])),
  run(fc.tuple(listKey, fc.constantFrom('0', '1', '-1'), member).map(([k, n, m]): Arg[] => ['LREM', k, n, m])),
  run(fc.tuple(listKey, fc.constantFrom('0', '-1', '5'), member).map(([k, i, m]): Arg[] => ['LSET', k, i, m])),
  run(fc.tuple(listKey, fc.constantFrom('BEFORE', 'AFTER'), member, member).map(([k, w, p, m]): Arg[] => ['LINSERT', k, w, p, m])),
  // blocking, from the blocker clients
  { weight: 8, arbitrary: fc.tuple(fc.integer({ min: 0, max: 2 }), db, blockingCommand).map(([who, d, argv]): Step => ({ kind: 'block', who, db: d, argv })) },
  // sets
  run(fc.tuple(setKey, members).map(([k, m]): Arg[] => ['SADD', k, ...m]), 6),
  run(fc.tuple(setKey, members).map(([k, m]): Arg[] => ['SREM', k, ...m])),
  run(fc.tuple(setKey, fc.option(count, { nil: undefined })).map(([k, n]): Arg[] => (n === undefined ? ['SPOP', k] : ['SPOP', k, n])), 5),
  run(fc.tuple(setKey, setKey, member).map(([a, b, m]): Arg[] => ['SMOVE', a, b, m])),
  run(fc.tuple(fc.constantFrom('SINTERSTORE', 'SUNIONSTORE', 'SDIFFSTORE'), setKey, setKey, setKey).map(([c, d, a, b]): Arg[] => [c, d, a, b])),
  // sorted sets
  run(fc.tuple(zKey, fc.constantFrom<string[]>([], [], ['NX'], ['XX'], ['GT'], ['LT'], ['CH'], ['INCR']), fc.array(fc.tuple(score, member), { minLength: 1, maxLength: 3 }))
    .map(([k, o, ps]): Arg[] => (o[0] === 'INCR' ? ['ZADD', k, 'INCR', ps[0]![0], ps[0]![1]] : ['ZADD', k, ...o, ...ps.flat()])), 6),
  run(fc.tuple(zKey, score, member).map(([k, s, m]): Arg[] => ['ZINCRBY', k, s, m])),
  run(fc.tuple(zKey, members).map(([k, m]): Arg[] => ['ZREM', k, ...m])),
  run(fc.tuple(fc.constantFrom('ZPOPMIN', 'ZPOPMAX'), zKey, fc.option(count, { nil: undefined }))
    .map(([c, k, n]): Arg[] => (n === undefined ? [c, k] : [c, k, n]))),
  run(fc.tuple(fc.uniqueArray(zKey, { minLength: 1, maxLength: 2 }), fc.constantFrom('MIN', 'MAX'), count.filter((c) => c !== '0'))
    .map(([ks, w, c]): Arg[] => ['ZMPOP', String(ks.length), ...ks, w, 'COUNT', c])),
  run(fc.tuple(fc.constantFrom('ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE'), zKey, zKey, zKey).map(([c, d, a, b]): Arg[] => [c, d, '2', a, b])),
  run(fc.tuple(zKey, zKey).map(([d, s]): Arg[] => ['ZRANGESTORE', d, s, '0', '1'])),
  run(fc.tuple(zKey, fc.constantFrom<string[]>(['ZREMRANGEBYSCORE', '-inf', '1'], ['ZREMRANGEBYRANK', '0', '0'], ['ZREMRANGEBYLEX', '-', '[b'])).map(([k, [c, a, b]]): Arg[] => [c!, k, a!, b!])),
  // hashes
  run(fc.tuple(hKey, field, value).map(([k, f, v]): Arg[] => ['HSET', k, f, v]), 3),
  run(fc.tuple(hKey, field, value, field, value).map(([k, f, v, g, w]): Arg[] => ['HMSET', k, f, v, g, w])),
  run(fc.tuple(hKey, field, value).map(([k, f, v]): Arg[] => ['HSETNX', k, f, v])),
  run(fc.tuple(hKey, field).map(([k, f]): Arg[] => ['HDEL', k, f])),
  run(fc.tuple(hKey, field, fc.constantFrom('1', '-5')).map(([k, f, n]): Arg[] => ['HINCRBY', k, f, n])),
  run(fc.tuple(hKey, field, floatIncr).map(([k, f, n]): Arg[] => ['HINCRBYFLOAT', k, f, n]), 3),
  // bitmaps, HyperLogLog
  run(fc.tuple(bitKey, fc.constantFrom('0', '7', '100'), fc.constantFrom('0', '1')).map(([k, o, b]): Arg[] => ['SETBIT', k, o, b])),
  run(fc.tuple(fc.constantFrom('AND', 'OR', 'XOR'), bitKey, bitKey).map(([op, d, a]): Arg[] => ['BITOP', op, d, a, 'b1'])),
  run(fc.tuple(bitKey, bitKey).map(([d, a]): Arg[] => ['BITOP', 'NOT', d, a])),
  run(fc.tuple(bitKey, fc.constantFrom('0', '40', '800'), fc.constantFrom('WRAP', 'SAT', 'FAIL'), fc.constantFrom('3', '200', '300'))
    .map(([k, o, ov, n]): Arg[] => ['BITFIELD', k, 'OVERFLOW', ov, 'INCRBY', 'u8', o, n, 'SET', 'i4', '8', '3'])),
  run(fc.tuple(bitKey, fc.constantFrom('8', '800')).map(([k, o]): Arg[] => ['BITFIELD', k, 'OVERFLOW', 'FAIL', 'SET', 'u8', o, '300'])),
  run(fc.tuple(hllKey, members).map(([k, m]): Arg[] => ['PFADD', k, ...m]), 2),
  run(hllKey.map((k): Arg[] => ['PFCOUNT', k])),
  run(fc.tuple(hllKey, hllKey).map(([d, s]): Arg[] => ['PFMERGE', d, s])),
);

/** Turns time arguments into absolute ones at the command's time. */
function resolve(argv: Arg[], now: number): string[] {
  return argv.map((a) => (typeof a === 'string' ? a : a.unit === 's' ? String(Math.floor((now + a.at) / 1000)) : String(now + a.at)));
}

interface Checkpoint { records: number; state: string[]; after: string }

/** Runs the steps on a logged engine, noting the data set and the log's length after each. */
function runHistory(steps: Step[]): { records: Record[]; checkpoints: Checkpoint[]; engine: Engine } {
  const { h, records } = loggedEngine();
  const main = { client: h.client, writer: h.writer };
  const blockers = [0, 1, 2].map(() => {
    const writer = new CapturingWriter();
    return { writer, client: h.engine.createClient({ reply: writer, kind: 'memory', addr: 'memory' }) };
  });
  const exec = (c: { client: Client; writer: CapturingWriter }, argv: string[]): Reply[] => {
    h.engine.execute(c.client, argv);
    return c.writer.take();
  };
  const checkpoints: Checkpoint[] = [];
  for (const s of steps) {
    let after: string;
    switch (s.kind) {
      case 'advance': h.clock.advance(s.ms); after = `advance ${s.ms}`; break;
      case 'cron': h.engine.cron(); after = 'cron'; break;
      case 'expireBlocked': h.engine.expireBlocked(); after = 'expireBlocked'; break;
      case 'run': {
        const argv = resolve(s.argv, h.clock.now);
        exec(main, argv);
        after = argv.join(' ');
        break;
      }
      case 'block': {
        const b = blockers[s.who]!;
        if (h.engine.blocking.isBlocked(b.client)) { after = 'skip'; break; }
        exec(b, ['SELECT', s.db]);
        const argv = resolve(s.argv, h.clock.now);
        exec(b, argv);
        after = `blocker ${s.who} db ${s.db}: ${argv.join(' ')}`;
        break;
      }
    }
    for (const b of blockers) b.writer.take();
    checkpoints.push({ records: records.length, state: describeDataset(h.engine), after });
  }
  return { records, checkpoints, engine: h.engine };
}

describe('replaying the log rebuilds the data set', () => {
  it('at every point of random histories (expiry, blocking, databases, random picks)', () => {
    fc.assert(fc.property(
      fc.array(step, { minLength: 20, maxLength: 80, size: 'max' }),
      fc.constantFrom(-86_400_000, 3_600_000, 10 * 86_400_000),
      (steps, clockOffset) => {
        const { records, checkpoints } = runHistory(steps);
        const replayer = new Replayer(clockOffset);
        for (let i = 0; i < checkpoints.length; i++) {
          const cp = checkpoints[i]!;
          replayer.replayTo(records, cp.records);
          const replayed = describeDataset(replayer.h.engine);
          const diff = firstDifference(cp.state, replayed);
          if (diff !== undefined) {
            throw new Error(`after step ${i} (${cp.after}): ${diff}\nlog:\n${records.slice(0, cp.records).map(([d, a]) => `  ${d}: ${a.join(' ')}`).join('\n')}`);
          }
        }
      },
    ), { numRuns: 1000 });
  });
});
