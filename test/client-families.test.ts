import { beforeAll, describe, expect, it } from 'vitest';
import { ReplyError, type Nodis, type Value } from '@nodis/client';
import { transportTargets, useTransports, type Target } from './helpers/transports.js';

/**
 * Every data family's typed client API (db.<command>(...)) over every transport: memory,
 * thread, socket (native protocol), resp → nodis and resp → redis-server. Each expected reply
 * is Redis's own (the redis-server target checks the expectations themselves), so the same
 * assertion holding on the nodis targets says nodis answers as Redis does, through each
 * transport's encoding of requests and replies. Replies whose order Redis leaves unspecified
 * are sorted. Sizes stay small: this file runs five times.
 */

useTransports();

/** A copy sorted by code unit (strings) or byte order (Buffers). */
const sorted = <T extends Value>(values: Value): T[] => {
  const copy = [...(values as T[])];
  return copy.sort((a, b) => (Buffer.isBuffer(a) && Buffer.isBuffer(b) ? Buffer.compare(a, b) : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));
};

/** The ReplyError a call rejects with (fails the test if it resolves, or rejects otherwise). */
async function replyError(call: Promise<unknown>): Promise<string> {
  const err = await call.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ReplyError);
  return (err as ReplyError).message;
}

const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';

/** Waits (polling INFO through `db`) until `n` clients of the store are blocked. */
async function untilBlocked(db: Nodis, n: number): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (String(await db.info('clients')).includes(`blocked_clients:${n}\r\n`)) return;
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error(`never saw ${n} blocked clients`);
}

/** Every element a SCAN-family command yields from cursor 0 back to 0 (duplicates are allowed by SCAN: deduplicated by the caller). */
async function scanAll(step: (cursor: string) => Promise<Value>): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  for (let rounds = 0; rounds < 10_000; rounds++) {
    const [next, items] = (await step(cursor)) as [string, string[]];
    out.push(...items);
    cursor = next;
    if (cursor === '0') return out;
  }
  throw new Error('the scan never returned to cursor 0');
}

/** `[field, value, ...]` → pairs. */
const pairs = (flat: Value): [Value, Value][] => {
  const a = flat as Value[];
  const out: [Value, Value][] = [];
  for (let i = 0; i + 1 < a.length; i += 2) out.push([a[i]!, a[i + 1]!]);
  return out;
};

const range = (n: number, f: (i: number) => string): string[] => Array.from({ length: n }, (_, i) => f(i));

describe.each(transportTargets())('data families, %s transport', (_name, makeTarget) => {
  let target: Target;
  beforeAll(() => { target = makeTarget(); });

  describe('strings', () => {
    it('SET with NX, XX, GET, PX and KEEPTTL', async () => {
      const db = await target.fresh();
      expect(await db.set('k', 'v', 'NX', 'GET')).toBeNull();
      expect(await db.set('k', 'v2', 'NX', 'GET')).toBe('v');
      expect(await db.get('k')).toBe('v');
      expect(await db.set('k', 'v3', 'XX', 'GET')).toBe('v');
      expect(await db.set('k', 'v4', 'NX')).toBeNull();
      expect(await db.get('k')).toBe('v3');
      expect(await db.set('missing', 'x', 'XX')).toBeNull();
      expect(await db.exists('missing')).toBe(0);

      expect(await db.set('k', 'v', 'PX', 100_000)).toBe('OK');
      const pttl = (await db.pttl('k')) as number;
      expect(pttl).toBeGreaterThan(90_000);
      expect(pttl).toBeLessThanOrEqual(100_000);
      expect(await db.set('k', 'w', 'KEEPTTL')).toBe('OK');
      expect(await db.ttl('k')).toBeGreaterThan(90);
      expect(await db.set('k', 'x')).toBe('OK');
      expect(await db.ttl('k')).toBe(-1);

      expect(await replyError(db.set('k', 'v', 'NX', 'XX'))).toBe('ERR syntax error');
      expect(await replyError(db.set('k', 'v', 'PX', 5000, 'KEEPTTL'))).toBe('ERR syntax error');
      expect(await replyError(db.set('k', 'v', 'EX', 0))).toBe("ERR invalid expire time in 'set' command");
      expect(await replyError(db.set('k', 'v', 'EX', 'abc'))).toBe('ERR value is not an integer or out of range');
      await db.rpush('list', 'a');
      expect(await replyError(db.set('list', 'v', 'GET'))).toBe(WRONGTYPE);
      expect(await db.type('list')).toBe('list');
    });

    it('GETRANGE, APPEND, STRLEN, MSET/MGET, MSETNX', async () => {
      const db = await target.fresh();
      expect(await db.append('s', 'Hello')).toBe(5);
      expect(await db.append('s', ' World')).toBe(11);
      expect(await db.strlen('s')).toBe(11);
      expect(await db.strlen('missing')).toBe(0);
      expect(await db.getrange('s', 0, 4)).toBe('Hello');
      expect(await db.getrange('s', -5, -1)).toBe('World');
      expect(await db.getrange('s', 5, 2)).toBe('');
      expect(await db.getrange('s', 0, 100)).toBe('Hello World');
      expect(await db.getrange('s', -100, 2)).toBe('Hel');
      expect(await db.getrange('missing', 0, -1)).toBe('');

      expect(await db.mset('a', '1', 'b', '2', 'c', '3')).toBe('OK');
      await db.rpush('l', 'x');
      expect(await db.mget('a', 'missing', 'c', 'l')).toEqual(['1', null, '3', null]);
      expect(await db.msetnx('c', 'new', 'd', '4')).toBe(0);
      expect(await db.exists('d')).toBe(0);
      expect(await db.msetnx('d', '4', 'e', '5')).toBe(1);
      expect(await db.mget('d', 'e')).toEqual(['4', '5']);
      expect(await replyError(db.mset('a', '1', 'b'))).toBe("ERR wrong number of arguments for 'mset' command");
      expect(await replyError(db.append('l', 'x'))).toBe(WRONGTYPE);
    });

    it('INCRBYFLOAT formats like Redis and refuses non-floats', async () => {
      const db = await target.fresh();
      expect(await db.incrbyfloat('f', '10.5')).toBe('10.5');
      expect(await db.incrbyfloat('f', '0.1')).toBe('10.6');
      expect(await db.incrbyfloat('f', '-5')).toBe('5.6');
      await db.set('e', '5.0e3');
      expect(await db.incrbyfloat('e', '2.0e2')).toBe('5200');
      expect(await db.incrbyfloat('i', 3)).toBe('3');
      expect(await db.get('i')).toBe('3');
      await db.set('s', 'abc');
      expect(await replyError(db.incrbyfloat('s', 1))).toBe('ERR value is not a valid float');
      expect(await replyError(db.incrbyfloat('f', 'nope'))).toBe('ERR value is not a valid float');
    });

    it('SETRANGE writes bytes, zero-pads, and refuses bad offsets', async () => {
      const db = await target.fresh();
      expect(await db.setrange('b', 3, Buffer.from([0, 255, 10]))).toBe(6);
      expect(await db.getBuffer('b')).toEqual(Buffer.from([0, 0, 0, 0, 255, 10]));
      expect(await db.setrange('b', 1, Buffer.from([0x80, 0x0d]))).toBe(6);
      expect(await db.getBuffer('b')).toEqual(Buffer.from([0, 0x80, 0x0d, 0, 255, 10]));
      expect(await db.strlen('b')).toBe(6);
      expect(await db.setrange('b', 8, 'xy')).toBe(10);
      expect(await db.getrangeBuffer('b', 4, -1)).toEqual(Buffer.from([255, 10, 0, 0, 0x78, 0x79]));
      expect(await db.setrange('missing', 10, '')).toBe(0);
      expect(await db.exists('missing')).toBe(0);
      expect(await db.setrange('missing', 536_870_912, '')).toBe(0);
      expect(await replyError(db.setrange('b', -1, 'x'))).toBe('ERR offset is out of range');
      expect(await replyError(db.setrange('b', 536_870_912, 'x'))).toBe('ERR string exceeds maximum allowed size (proto-max-bulk-len)');
    });

    it('GETDEL and GETEX', async () => {
      const db = await target.fresh();
      await db.set('k', 'v');
      expect(await db.getdel('k')).toBe('v');
      expect(await db.getdel('k')).toBeNull();
      expect(await db.exists('k')).toBe(0);

      await db.set('g', '1');
      expect(await db.getex('g', 'PX', 100_000)).toBe('1');
      expect(await db.pttl('g')).toBeGreaterThan(90_000);
      expect(await db.getex('g')).toBe('1');
      expect(await db.pttl('g')).toBeGreaterThan(90_000);
      expect(await db.getex('g', 'PERSIST')).toBe('1');
      expect(await db.ttl('g')).toBe(-1);
      expect(await db.getex('g', 'EXAT', Math.floor(Date.now() / 1000) + 1000)).toBe('1');
      expect(await db.ttl('g')).toBeGreaterThan(900);
      expect(await db.getex('missing', 'EX', 10)).toBeNull();
      expect(await replyError(db.getex('g', 'EX', 0))).toBe("ERR invalid expire time in 'getex' command");
      expect(await replyError(db.getex('g', 'EX', 10, 'PX', 10))).toBe('ERR syntax error');
      await db.sadd('set', 'a');
      expect(await replyError(db.getdel('set'))).toBe(WRONGTYPE);
    });
  });

  describe('counters', () => {
    it('INCR, DECR, INCRBY, DECRBY, and big integers as bigint', async () => {
      const db = await target.fresh();
      expect(await db.incr('n')).toBe(1);
      expect(await db.incrby('n', 41)).toBe(42);
      expect(await db.decr('n')).toBe(41);
      expect(await db.decrby('n', -9)).toBe(50);
      expect(await db.incrby('n', -60)).toBe(-10);
      expect(await db.get('n')).toBe('-10');
      expect(await db.object('ENCODING', 'n')).toBe('int');

      await db.set('big', '9007199254740993');
      expect(await db.incr('big')).toBe(9007199254740994n);
      await db.set('max', '9223372036854775807');
      expect(await replyError(db.incr('max'))).toBe('ERR increment or decrement would overflow');
      expect(await db.decrby('max', 1)).toBe(9223372036854775806n);
      await db.set('min', '-9223372036854775808');
      expect(await replyError(db.decr('min'))).toBe('ERR increment or decrement would overflow');
      expect(await replyError(db.decrby('n', '-9223372036854775808'))).toBe('ERR decrement would overflow');

      await db.set('sp', ' 1');
      expect(await replyError(db.incr('sp'))).toBe('ERR value is not an integer or out of range');
      expect(await replyError(db.incrby('n', '1.5'))).toBe('ERR value is not an integer or out of range');
      await db.hset('h', 'f', '1');
      expect(await replyError(db.incr('h'))).toBe(WRONGTYPE);
    });
  });

  describe('lists', () => {
    it('LPUSH, RPUSH and LRANGE with negative indices', async () => {
      const db = await target.fresh();
      expect(await db.rpush('l', 'a', 'b', 'c')).toBe(3);
      expect(await db.lpush('l', 'z', 'y')).toBe(5);
      expect(await db.lrange('l', 0, -1)).toEqual(['y', 'z', 'a', 'b', 'c']);
      expect(await db.lrange('l', -2, -1)).toEqual(['b', 'c']);
      expect(await db.lrange('l', -100, 1)).toEqual(['y', 'z']);
      expect(await db.lrange('l', 3, 1)).toEqual([]);
      expect(await db.lrange('l', 10, 20)).toEqual([]);
      expect(await db.lrange('missing', 0, -1)).toEqual([]);
      expect(await db.lindex('l', -1)).toBe('c');
      expect(await db.llen('l')).toBe(5);
      expect(await db.lpushx('missing', 'x')).toBe(0);
      expect(await db.object('ENCODING', 'l')).toBe('quicklist');
      await db.set('s', 'x');
      expect(await replyError(db.lpush('s', 'x'))).toBe(WRONGTYPE);
      expect(await replyError(db.lrange('s', 0, -1))).toBe(WRONGTYPE);
    });

    it('LINSERT and LPOS', async () => {
      const db = await target.fresh();
      await db.rpush('l', 'a', 'b', 'c');
      expect(await db.linsert('l', 'BEFORE', 'b', 'x')).toBe(4);
      expect(await db.linsert('l', 'AFTER', 'c', 'z')).toBe(5);
      expect(await db.lrange('l', 0, -1)).toEqual(['a', 'x', 'b', 'c', 'z']);
      expect(await db.linsert('l', 'AFTER', 'nope', 'x')).toBe(-1);
      expect(await db.linsert('missing', 'BEFORE', 'a', 'x')).toBe(0);
      expect(await replyError(db.linsert('l', 'MIDDLE', 'a', 'x'))).toBe('ERR syntax error');

      await db.rpush('p', 'a', 'b', 'c', '1', '2', '3', 'c', 'c');
      expect(await db.lpos('p', 'c')).toBe(2);
      expect(await db.lpos('p', 'c', 'RANK', 2)).toBe(6);
      expect(await db.lpos('p', 'c', 'RANK', -1)).toBe(7);
      expect(await db.lpos('p', 'c', 'COUNT', 0)).toEqual([2, 6, 7]);
      expect(await db.lpos('p', 'c', 'COUNT', 2, 'RANK', -1)).toEqual([7, 6]);
      expect(await db.lpos('p', 'c', 'MAXLEN', 2)).toBeNull();
      expect(await db.lpos('p', 'c', 'COUNT', 0, 'MAXLEN', 7)).toEqual([2, 6]);
      expect(await db.lpos('p', 'x')).toBeNull();
      expect(await db.lpos('p', 'x', 'COUNT', 0)).toEqual([]);
      expect(await db.lpos('missing', 'x')).toBeNull();
      expect(await replyError(db.lpos('p', 'c', 'RANK', 0))).toBe("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list");
      expect(await replyError(db.lpos('p', 'c', 'COUNT', -1))).toBe("ERR COUNT can't be negative");
      expect(await replyError(db.lpos('p', 'c', 'MAXLEN', -1))).toBe("ERR MAXLEN can't be negative");
    });

    it('LMOVE and LMPOP', async () => {
      const db = await target.fresh();
      await db.rpush('src', 'a', 'b', 'c');
      expect(await db.lmove('src', 'dst', 'LEFT', 'RIGHT')).toBe('a');
      expect(await db.lmove('src', 'dst', 'RIGHT', 'LEFT')).toBe('c');
      expect(await db.lrange('dst', 0, -1)).toEqual(['c', 'a']);
      expect(await db.lrange('src', 0, -1)).toEqual(['b']);
      expect(await db.lmove('dst', 'dst', 'LEFT', 'RIGHT')).toBe('c');
      expect(await db.lrange('dst', 0, -1)).toEqual(['a', 'c']);
      expect(await db.lmove('missing', 'dst', 'LEFT', 'LEFT')).toBeNull();
      expect(await db.lmove('src', 'src2', 'LEFT', 'LEFT')).toBe('b');
      expect(await db.exists('src')).toBe(0);
      expect(await replyError(db.lmove('dst', 'x', 'UP', 'LEFT'))).toBe('ERR syntax error');

      await db.rpush('l', '1', '2', '3', '4');
      expect(await db.lmpop(2, 'missing', 'l', 'LEFT', 'COUNT', 2)).toEqual(['l', ['1', '2']]);
      expect(await db.lmpop(1, 'l', 'RIGHT')).toEqual(['l', ['4']]);
      expect(await db.lmpop(1, 'l', 'RIGHT', 'COUNT', 10)).toEqual(['l', ['3']]);
      expect(await db.exists('l')).toBe(0);
      expect(await db.lmpop(1, 'l', 'LEFT')).toBeNull();
      expect(await replyError(db.lmpop(0, 'l', 'LEFT'))).toBe('ERR numkeys should be greater than 0');
      expect(await replyError(db.lmpop(1, 'l', 'LEFT', 'COUNT', 0))).toBe('ERR count should be greater than 0');
      await db.set('s', 'x');
      expect(await replyError(db.lmpop(1, 's', 'LEFT'))).toBe(WRONGTYPE);
    });

    it('BLPOP is served by another client\'s push', async () => {
      const a = await target.fresh();
      const b = await target.another();
      const popped = a.blpop('other', 'q', 0);
      await untilBlocked(b, 1);
      expect(await b.rpush('q', 'x', 'y')).toBe(2);
      expect(await popped).toEqual(['q', 'x']);
      expect(await b.lrange('q', 0, -1)).toEqual(['y']);
      expect(await a.blpop('q', 0)).toEqual(['q', 'y']);
      expect(await b.exists('q')).toBe(0);
      expect(await a.blpop('q', '0.01')).toBeNull();
      expect(await replyError(a.blpop('q', -1))).toBe('ERR timeout is negative');
    });
  });

  describe('hashes', () => {
    it('HSET, HGETALL as an object, HMGET, HDEL, HINCRBY(FLOAT)', async () => {
      const db = await target.fresh();
      expect(await db.hset('h', 'f1', 'v1', 'f2', 'v2')).toBe(2);
      expect(await db.hset('h', 'f1', 'x', 'f3', 'y')).toBe(1);
      expect(await db.hgetall('h')).toEqual({ f1: 'x', f2: 'v2', f3: 'y' });
      expect(await db.hgetall('missing')).toEqual({});
      expect(await db.hmget('h', 'f1', 'nope', 'f3')).toEqual(['x', null, 'y']);
      expect(await db.hlen('h')).toBe(3);
      expect(await db.hexists('h', 'f2')).toBe(1);
      expect(await db.hstrlen('h', 'f2')).toBe(2);
      expect(await db.hsetnx('h', 'f2', 'no')).toBe(0);
      expect(await db.hdel('h', 'f2', 'nope')).toBe(1);
      expect(sorted(await db.hkeys('h'))).toEqual(['f1', 'f3']);
      expect(await db.object('ENCODING', 'h')).toBe('listpack');

      expect(await db.hincrby('h', 'n', 5)).toBe(5);
      expect(await db.hincrby('h', 'n', -7)).toBe(-2);
      expect(await db.hincrbyfloat('h', 'fl', '10.5')).toBe('10.5');
      expect(await db.hincrbyfloat('h', 'fl', '0.1')).toBe('10.6');
      expect(await db.hincrbyfloat('h', 'n', '1.5')).toBe('-0.5');
      expect(await replyError(db.hincrbyfloat('h', 'f1', 1))).toBe('ERR hash value is not a float');
      expect(await replyError(db.hincrby('h', 'f1', 1))).toBe('ERR hash value is not an integer');
      expect(await replyError(db.hset('h', 'f1'))).toBe("ERR wrong number of arguments for 'hset' command");
      await db.set('s', 'x');
      expect(await replyError(db.hset('s', 'f', 'v'))).toBe(WRONGTYPE);
      expect(await replyError(db.hgetall('s'))).toBe(WRONGTYPE);
    });

    it('HRANDFIELD: a positive count gives distinct fields, a negative one exactly |count|', async () => {
      const db = await target.fresh();
      const fields = ['a', 'b', 'c', 'd', 'e'];
      await db.hset('h', ...fields.flatMap((f) => [f, `v${f}`]));
      expect(fields).toContain(await db.hrandfield('h'));
      const three = (await db.hrandfield('h', 3)) as string[];
      expect(three).toHaveLength(3);
      expect(new Set(three).size).toBe(3);
      for (const f of three) expect(fields).toContain(f);
      expect(sorted(await db.hrandfield('h', 10))).toEqual(fields);
      const many = (await db.hrandfield('h', -10)) as string[];
      expect(many).toHaveLength(10);
      for (const f of many) expect(fields).toContain(f);
      const withValues = pairs(await db.hrandfield('h', -3, 'WITHVALUES'));
      expect(withValues).toHaveLength(3);
      for (const [f, v] of withValues) expect(v).toBe(`v${String(f)}`);
      expect(await db.hrandfield('h', 0)).toEqual([]);
      expect(await db.hrandfield('missing')).toBeNull();
      expect(await db.hrandfield('missing', 5)).toEqual([]);
      expect(await replyError(db.hrandfield('h', 1, 'NOPE'))).toBe('ERR syntax error');
    });

    it('HSCAN iterates every field of a listpack and of a hashtable hash', async () => {
      const db = await target.fresh();
      await db.hset('small', 'a', '1', 'b', '2');
      const [cursor, flat] = (await db.hscan('small', 0)) as [string, string[]];
      expect(cursor).toBe('0');
      expect(Object.fromEntries(pairs(flat))).toEqual({ a: '1', b: '2' });

      const fields = range(200, (i) => `field:${i}`);
      await db.hset('big', ...fields.flatMap((f, i) => [f, String(i)]));
      expect(await db.object('ENCODING', 'big')).toBe('listpack');
      // A value over hash-max-listpack-value (64 bytes) converts the hash: its cursor is a table position.
      await db.hset('big', 'field:0', '0'.repeat(65));
      await db.hset('big', 'field:0', '0');
      expect(await db.object('ENCODING', 'big')).toBe('hashtable');
      const seen = new Map(pairs(await scanAll((c) => db.hscan('big', c, 'COUNT', 30))) as [string, string][]);
      expect(seen.size).toBe(200);
      for (const [i, f] of fields.entries()) expect(seen.get(f)).toBe(String(i));
      const matched = new Set(pairs(await scanAll((c) => db.hscan('big', c, 'MATCH', 'field:1?', 'COUNT', 30))).map(([f]) => f));
      expect([...matched].sort()).toEqual(range(10, (i) => `field:1${i}`));
      expect(await db.hscan('missing', 0)).toEqual(['0', []]);
    });
  });

  describe('sets', () => {
    it('SADD, SINTER, SUNIONSTORE, SMISMEMBER', async () => {
      const db = await target.fresh();
      expect(await db.sadd('s1', 'a', 'b', 'c', 'a')).toBe(3);
      expect(await db.sadd('s1', 'a', 'd')).toBe(1);
      await db.sadd('s2', 'c', 'd', 'e');
      expect(sorted(await db.sinter('s1', 's2'))).toEqual(['c', 'd']);
      expect(await db.sinter('s1', 'missing')).toEqual([]);
      expect(await db.sunionstore('u', 's1', 's2')).toBe(5);
      expect(sorted(await db.smembers('u'))).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect(await db.sunionstore('u', 'missing')).toBe(0);
      expect(await db.exists('u')).toBe(0);
      expect(await db.smismember('s1', 'a', 'x', 'd')).toEqual([1, 0, 1]);
      expect(await db.sismember('s1', 'e')).toBe(0);
      expect(await db.scard('s1')).toBe(4);
      expect(sorted(await db.sdiff('s1', 's2'))).toEqual(['a', 'b']);
      expect(await db.sintercard(2, 's1', 's2')).toBe(2);
      expect(await db.object('ENCODING', 's1')).toBe('hashtable');
      await db.sadd('ints', '3', '1', '2');
      expect(await db.object('ENCODING', 'ints')).toBe('intset');
      expect(sorted(await db.smembers('ints'))).toEqual(['1', '2', '3']);
      await db.set('str', 'x');
      expect(await replyError(db.sadd('str', 'a'))).toBe(WRONGTYPE);
      expect(await replyError(db.sinter('s1', 'str'))).toBe(WRONGTYPE);
    });

    it('SPOP with a count removes that many distinct members', async () => {
      const db = await target.fresh();
      const members = range(10, (i) => `m${i}`);
      await db.sadd('s', ...members);
      const two = (await db.spop('s', 2)) as string[];
      expect(two).toHaveLength(2);
      expect(new Set(two).size).toBe(2);
      for (const m of two) expect(members).toContain(m);
      expect(await db.scard('s')).toBe(8);
      expect(await db.smismember('s', ...two)).toEqual([0, 0]);
      const one = (await db.spop('s')) as string;
      expect(members).toContain(one);
      const rest = (await db.spop('s', 100)) as string[];
      expect(sorted([...two, one, ...rest])).toEqual(sorted(members));
      expect(await db.exists('s')).toBe(0);
      expect(await db.spop('s')).toBeNull();
      expect(await db.spop('s', 2)).toEqual([]);
      expect(await replyError(db.spop('s', -1))).toBe('ERR value is out of range, must be positive');
    });

    it('SSCAN iterates every member', async () => {
      const db = await target.fresh();
      const members = range(300, (i) => `member-${i}`);
      await db.sadd('s', ...members);
      const seen = new Set(await scanAll((c) => db.sscan('s', c, 'COUNT', 40)));
      expect([...seen].sort()).toEqual([...members].sort());
      const matched = new Set(await scanAll((c) => db.sscan('s', c, 'MATCH', '*-29?', 'COUNT', 40)));
      expect([...matched].sort()).toEqual(range(10, (i) => `member-29${i}`));
    });
  });

  describe('sorted sets', () => {
    it('ZADD with NX, XX, GT, LT, CH and INCR', async () => {
      const db = await target.fresh();
      expect(await db.zadd('z', 1, 'a', 2, 'b', 3, 'c')).toBe(3);
      expect(await db.zadd('z', 'NX', 10, 'a', 4, 'd')).toBe(1);
      expect(await db.zscore('z', 'a')).toBe(1);
      expect(await db.zadd('z', 'XX', 10, 'a', 5, 'e')).toBe(0);
      expect(await db.zscore('z', 'a')).toBe(10);
      expect(await db.zscore('z', 'e')).toBeNull();
      expect(await db.zadd('z', 'XX', 'CH', 11, 'a')).toBe(1);
      expect(await db.zadd('z', 'GT', 'CH', 5, 'a')).toBe(0);
      expect(await db.zadd('z', 'LT', 'CH', 5, 'a')).toBe(1);
      expect(await db.zscore('z', 'a')).toBe(5);
      expect(await db.zadd('z', 'GT', 'CH', 1, 'new')).toBe(1);
      expect(await db.zadd('z', 'INCR', '2.5', 'a')).toBe(7.5);
      expect(await db.zadd('z', 'XX', 'INCR', 1, 'nope')).toBeNull();
      expect(await db.zincrby('z', '-0.5', 'a')).toBe(7);
      expect(await db.zincrby('z', 'inf', 'b')).toBe(Infinity);
      expect(await db.zcard('z')).toBe(5);
      expect(await db.zmscore('z', 'a', 'nope')).toEqual([7, null]);
      expect(await db.object('ENCODING', 'z')).toBe('listpack');

      expect(await replyError(db.zadd('z', 'NX', 'XX', 1, 'a'))).toBe('ERR XX and NX options at the same time are not compatible');
      expect(await replyError(db.zadd('z', 'GT', 'LT', 1, 'a'))).toBe('ERR GT, LT, and/or NX options at the same time are not compatible');
      expect(await replyError(db.zadd('z', 'NX', 'GT', 1, 'a'))).toBe('ERR GT, LT, and/or NX options at the same time are not compatible');
      expect(await replyError(db.zadd('z', 'INCR', 1, 'a', 2, 'b'))).toBe('ERR INCR option supports a single increment-element pair');
      expect(await replyError(db.zadd('z', 'nan', 'a'))).toBe('ERR value is not a valid float');
      expect(await replyError(db.zincrby('z', 'abc', 'a'))).toBe('ERR value is not a valid float');
      expect(await replyError(db.zadd('z', 1))).toBe("ERR wrong number of arguments for 'zadd' command");
      await db.set('s', 'x');
      expect(await replyError(db.zadd('s', 1, 'a'))).toBe(WRONGTYPE);
      expect(await replyError(db.zscore('s', 'a'))).toBe(WRONGTYPE);
    });

    it('ZRANGE BYSCORE, BYLEX, REV and LIMIT with exclusive bounds and ±inf', async () => {
      const db = await target.fresh();
      await db.zadd('r', 1, 'a', 2, 'b', 3, 'c', 4, 'd', 5, 'e');
      expect(await db.zrange('r', 0, -1)).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect(await db.zrange('r', -2, -1)).toEqual(['d', 'e']);
      expect(await db.zrange('r', 0, -1, 'REV')).toEqual(['e', 'd', 'c', 'b', 'a']);
      expect(await db.zrange('r', '(1', 3, 'BYSCORE')).toEqual(['b', 'c']);
      expect(await db.zrange('r', '(1', '(3', 'BYSCORE')).toEqual(['b']);
      expect(await db.zrange('r', '-inf', '+inf', 'BYSCORE', 'LIMIT', 1, 2)).toEqual(['b', 'c']);
      expect(await db.zrange('r', '-inf', '+inf', 'BYSCORE', 'LIMIT', 3, -1)).toEqual(['d', 'e']);
      expect(await db.zrange('r', '+inf', '(3', 'BYSCORE', 'REV')).toEqual(['e', 'd']);
      expect(await db.zrange('r', '(4', '+inf', 'BYSCORE', 'WITHSCORES')).toEqual(['e', '5']);
      expect(await db.zrange('r', 3, 1, 'BYSCORE')).toEqual([]);
      expect(await db.zrangebyscore('r', '(2', 'inf', 'WITHSCORES', 'LIMIT', 0, 2)).toEqual(['c', '3', 'd', '4']);
      expect(await db.zrevrangebyscore('r', 2, '-inf')).toEqual(['b', 'a']);
      expect(await db.zcount('r', '(1', '+inf')).toBe(4);
      expect(await db.zrank('r', 'c')).toBe(2);
      expect(await db.zrevrank('r', 'c')).toBe(2);
      expect(await db.zrank('r', 'nope')).toBeNull();

      await db.zadd('lex', 0, 'a', 0, 'b', 0, 'c', 0, 'd');
      expect(await db.zrange('lex', '[b', '(d', 'BYLEX')).toEqual(['b', 'c']);
      expect(await db.zrange('lex', '-', '+', 'BYLEX', 'LIMIT', 1, 2)).toEqual(['b', 'c']);
      expect(await db.zrange('lex', '+', '(b', 'BYLEX', 'REV')).toEqual(['d', 'c']);
      expect(await db.zrangebylex('lex', '(a', '[c')).toEqual(['b', 'c']);
      expect(await db.zlexcount('lex', '-', '(c')).toBe(2);

      expect(await replyError(db.zrange('r', 0, -1, 'LIMIT', 0, 1))).toBe('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX');
      expect(await replyError(db.zrange('r', '(a', 1, 'BYSCORE'))).toBe('ERR min or max is not a float');
      expect(await replyError(db.zrange('lex', 'b', 'd', 'BYLEX'))).toBe('ERR min or max not valid string range item');
    });

    it('ZUNIONSTORE with WEIGHTS and AGGREGATE, ZPOPMIN', async () => {
      const db = await target.fresh();
      await db.zadd('z1', 1, 'a', 2, 'b');
      await db.zadd('z2', 3, 'b', 4, 'c');
      await db.sadd('plain', 'c', 'd');
      expect(await db.zunionstore('out', 2, 'z1', 'z2', 'WEIGHTS', 2, 1)).toBe(3);
      expect(await db.zrange('out', 0, -1, 'WITHSCORES')).toEqual(['a', '2', 'c', '4', 'b', '7']);
      expect(await db.zunionstore('out', 2, 'z1', 'z2', 'AGGREGATE', 'MAX')).toBe(3);
      expect(await db.zrange('out', 0, -1, 'WITHSCORES')).toEqual(['a', '1', 'b', '3', 'c', '4']);
      expect(await db.zunionstore('out', 2, 'z1', 'z2', 'WEIGHTS', 1, -1, 'AGGREGATE', 'MIN')).toBe(3);
      expect(await db.zrange('out', 0, -1, 'WITHSCORES')).toEqual(['c', '-4', 'b', '-3', 'a', '1']);
      expect(await db.zunionstore('out', 2, 'z2', 'plain')).toBe(3);
      expect(await db.zrange('out', 0, -1, 'WITHSCORES')).toEqual(['d', '1', 'b', '3', 'c', '5']);
      expect(await db.zinterstore('out', 2, 'z1', 'z2', 'AGGREGATE', 'SUM')).toBe(1);
      expect(await db.zrange('out', 0, -1, 'WITHSCORES')).toEqual(['b', '5']);
      expect(await db.zunionstore('out', 1, 'missing')).toBe(0);
      expect(await db.exists('out')).toBe(0);
      expect(await replyError(db.zunionstore('out', 2, 'z1', 'z2', 'WEIGHTS', 1))).toBe('ERR syntax error');
      expect(await replyError(db.zunionstore('out', 2, 'z1', 'z2', 'AGGREGATE', 'AVG'))).toBe('ERR syntax error');
      expect(await replyError(db.zunionstore('out', 0, 'z1'))).toBe("ERR at least 1 input key is needed for 'zunionstore' command");

      expect(await db.zpopmin('z2')).toEqual(['b', '3']);
      await db.zadd('p', 1, 'a', 2, 'b', 3, 'c');
      expect(await db.zpopmin('p', 2)).toEqual(['a', '1', 'b', '2']);
      expect(await db.zpopmax('p', 5)).toEqual(['c', '3']);
      expect(await db.exists('p')).toBe(0);
      expect(await db.zpopmin('p')).toEqual([]);
    });

    it('BZPOPMIN is served by another client\'s ZADD', async () => {
      const a = await target.fresh();
      const b = await target.another();
      const popped = a.bzpopmin('other', 'z', 0);
      await untilBlocked(b, 1);
      expect(await b.zadd('z', 2, 'b', 1, 'a')).toBe(2);
      expect(await popped).toEqual(['z', 'a', '1']);
      expect(await b.zrange('z', 0, -1)).toEqual(['b']);
      expect(await a.bzpopmin('z', 0)).toEqual(['z', 'b', '2']);
      expect(await a.bzpopmin('z', '0.01')).toBeNull();
    });
  });

  describe('bitmaps', () => {
    it('SETBIT, GETBIT, BITCOUNT and BITPOS with BYTE and BIT ranges', async () => {
      const db = await target.fresh();
      expect(await db.setbit('b', 7, 1)).toBe(0);
      expect(await db.setbit('b', 7, 1)).toBe(1);
      expect(await db.setbit('b', 9, 1)).toBe(0);
      expect(await db.getBuffer('b')).toEqual(Buffer.from([0x01, 0x40]));
      expect(await db.getbit('b', 7)).toBe(1);
      expect(await db.getbit('b', 6)).toBe(0);
      expect(await db.getbit('b', 1000)).toBe(0);
      expect(await db.getbit('missing', 0)).toBe(0);
      expect(await replyError(db.setbit('b', 2, 2))).toBe('ERR bit is not an integer or out of range');
      expect(await replyError(db.setbit('b', -1, 1))).toBe('ERR bit offset is not an integer or out of range');
      expect(await replyError(db.setbit('b', 4_294_967_296, 1))).toBe('ERR bit offset is not an integer or out of range');

      await db.set('foo', 'foobar');
      expect(await db.bitcount('foo')).toBe(26);
      expect(await db.bitcount('foo', 0, 0)).toBe(4);
      expect(await db.bitcount('foo', 1, 1)).toBe(6);
      expect(await db.bitcount('foo', 1, 1, 'BYTE')).toBe(6);
      expect(await db.bitcount('foo', 5, 30, 'BIT')).toBe(17);
      expect(await db.bitcount('foo', -2, -1, 'BIT')).toBe(1);
      expect(await db.bitcount('missing')).toBe(0);
      expect(await replyError(db.bitcount('foo', 0))).toBe('ERR syntax error');

      await db.set('p1', Buffer.from([0xff, 0xf0, 0x00]));
      expect(await db.bitpos('p1', 0)).toBe(12);
      await db.set('p2', Buffer.from([0x00, 0xff, 0xf0]));
      expect(await db.bitpos('p2', 1)).toBe(8);
      expect(await db.bitpos('p2', 1, 2)).toBe(16);
      expect(await db.bitpos('p2', 1, 2, -1, 'BYTE')).toBe(16);
      expect(await db.bitpos('p2', 1, 7, 15, 'BIT')).toBe(8);
      expect(await db.bitpos('p2', 0, 8, -1, 'BIT')).toBe(20);
      await db.set('zeros', Buffer.from([0, 0, 0]));
      expect(await db.bitpos('zeros', 1)).toBe(-1);
      expect(await db.bitpos('missing', 0)).toBe(0);
      expect(await db.bitpos('missing', 1)).toBe(-1);
      await db.lpush('l', 'x');
      expect(await replyError(db.bitcount('l'))).toBe(WRONGTYPE);
      expect(await replyError(db.setbit('l', 0, 1))).toBe(WRONGTYPE);
    });

    it('BITOP AND, OR, XOR and NOT', async () => {
      const db = await target.fresh();
      await db.set('a', Buffer.from([0xff, 0x0f]));
      await db.set('b', Buffer.from([0x0f, 0xff, 0x01]));
      expect(await db.bitop('AND', 'and', 'a', 'b')).toBe(3);
      expect(await db.getBuffer('and')).toEqual(Buffer.from([0x0f, 0x0f, 0x00]));
      expect(await db.bitop('OR', 'or', 'a', 'b')).toBe(3);
      expect(await db.getBuffer('or')).toEqual(Buffer.from([0xff, 0xff, 0x01]));
      expect(await db.bitop('XOR', 'xor', 'a', 'b', 'missing')).toBe(3);
      expect(await db.getBuffer('xor')).toEqual(Buffer.from([0xf0, 0xf0, 0x01]));
      expect(await db.bitop('NOT', 'not', 'a')).toBe(2);
      expect(await db.getBuffer('not')).toEqual(Buffer.from([0x00, 0xf0]));
      expect(await db.bitop('AND', 'gone', 'missing')).toBe(0);
      expect(await db.exists('gone')).toBe(0);
      expect(await replyError(db.bitop('NOT', 'd', 'a', 'b'))).toBe('ERR BITOP NOT must be called with a single source key.');
      expect(await replyError(db.bitop('NAND', 'd', 'a'))).toBe('ERR syntax error');
    });

    it('BITFIELD with OVERFLOW WRAP, SAT and FAIL', async () => {
      const db = await target.fresh();
      expect(await db.bitfield('bf', 'SET', 'u8', 0, 255, 'GET', 'u8', 0)).toEqual([0, 255]);
      expect(await db.bitfield('bf', 'INCRBY', 'u8', 0, 10)).toEqual([9]);
      expect(await db.bitfield('bf', 'OVERFLOW', 'SAT', 'INCRBY', 'u8', 0, 300)).toEqual([255]);
      expect(await db.bitfield('bf', 'OVERFLOW', 'FAIL', 'INCRBY', 'u8', 0, 1, 'GET', 'u8', 0)).toEqual([null, 255]);
      expect(await db.bitfield('bf', 'SET', 'i8', '#1', -100, 'OVERFLOW', 'SAT', 'INCRBY', 'i8', '#1', -100)).toEqual([0, -128]);
      expect(await db.bitfield('bf', 'OVERFLOW', 'WRAP', 'INCRBY', 'i8', 8, -1)).toEqual([127]);
      expect(await db.bitfield('bf', 'SET', 'i64', 16, '-9223372036854775808', 'GET', 'i64', 16)).toEqual([0, -9223372036854775808n]);
      expect(await db.bitfield('bf', 'GET', 'u4', 0, 'GET', 'i4', 0)).toEqual([15, -1]);
      expect(await db.bitfield_ro('bf', 'GET', 'u8', 0)).toEqual([255]);
      expect(await db.strlen('bf')).toBe(10);
      expect(await db.bitfield('missing')).toEqual([]);
      expect(await replyError(db.bitfield('bf', 'GET', 'u64', 0))).toBe('ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.');
      expect(await replyError(db.bitfield('bf', 'OVERFLOW', 'foo', 'GET', 'u8', 0))).toBe('ERR Invalid OVERFLOW type specified');
      expect(await replyError(db.bitfield('bf', 'GET', 'u8', -1))).toBe('ERR bit offset is not an integer or out of range');
      expect(await replyError(db.bitfield_ro('bf', 'SET', 'u8', 0, 1))).toBe('ERR BITFIELD_RO only supports the GET subcommand');
    });
  });

  describe('HyperLogLog', () => {
    it('PFADD, PFCOUNT and PFMERGE count small sets exactly', async () => {
      const db = await target.fresh();
      expect(await db.pfadd('h1', 'a', 'b', 'c')).toBe(1);
      expect(await db.pfadd('h1', 'a')).toBe(0);
      expect(await db.pfcount('h1')).toBe(3);
      expect(await db.pfadd('h2', 'c', 'd', 'e')).toBe(1);
      expect(await db.pfcount('h1', 'h2')).toBe(5);
      expect(await db.pfmerge('m', 'h1', 'h2')).toBe('OK');
      expect(await db.pfcount('m')).toBe(5);
      expect(await db.pfcount('missing')).toBe(0);
      expect(await db.pfadd('empty')).toBe(1);
      expect(await db.pfadd('empty')).toBe(0);
      expect(await db.pfcount('empty')).toBe(0);
      expect(await db.type('m')).toBe('string');
      expect((await db.getBuffer('m') as Buffer).subarray(0, 4).toString('latin1')).toBe('HYLL');

      await db.pfadd('many', ...range(90, (i) => `el:${i}`));
      expect(await db.pfcount('many')).toBe(90);
      await db.pfadd('many', ...range(90, (i) => `el:${i}`));
      expect(await db.pfcount('many')).toBe(90);
      expect(await db.pfmerge('many', 'h1')).toBe('OK');
      expect(await db.pfcount('many')).toBe(93);

      await db.set('s', 'not an hll');
      expect(await replyError(db.pfadd('s', 'a'))).toBe('WRONGTYPE Key is not a valid HyperLogLog string value.');
      expect(await replyError(db.pfcount('s'))).toBe('WRONGTYPE Key is not a valid HyperLogLog string value.');
      await db.rpush('l', 'x');
      expect(await replyError(db.pfadd('l', 'a'))).toBe(WRONGTYPE);
    });
  });

  describe('keys and expiry', () => {
    it('EXPIRE, PEXPIRE, TTL, PTTL, PERSIST and EXPIRETIME', async () => {
      const db = await target.fresh();
      await db.set('k', 'v');
      expect(await db.ttl('k')).toBe(-1);
      expect(await db.expiretime('k')).toBe(-1);
      expect(await db.ttl('missing')).toBe(-2);
      expect(await db.pttl('missing')).toBe(-2);
      expect(await db.expiretime('missing')).toBe(-2);
      expect(await db.expire('missing', 10)).toBe(0);

      const before = Math.floor(Date.now() / 1000);
      expect(await db.expire('k', 100)).toBe(1);
      const ttl = (await db.ttl('k')) as number;
      expect(ttl).toBeGreaterThanOrEqual(99);
      expect(ttl).toBeLessThanOrEqual(100);
      const at = (await db.expiretime('k')) as number;
      expect(at).toBeGreaterThanOrEqual(before + 99);
      expect(at).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 101);
      // EXPIRETIME rounds the deadline to the nearest second.
      expect(Math.abs((await db.pexpiretime('k')) as number - at * 1000)).toBeLessThanOrEqual(500);

      expect(await db.pexpire('k', 50_000)).toBe(1);
      const pttl = (await db.pttl('k')) as number;
      expect(pttl).toBeGreaterThan(40_000);
      expect(pttl).toBeLessThanOrEqual(50_000);
      expect(await db.expire('k', 100, 'NX')).toBe(0);
      expect(await db.expire('k', 10, 'GT')).toBe(0);
      expect(await db.expire('k', 200, 'GT')).toBe(1);
      expect(await db.expire('k', 300, 'LT')).toBe(0);
      expect(await db.ttl('k')).toBeGreaterThan(150);
      expect(await db.persist('k')).toBe(1);
      expect(await db.persist('k')).toBe(0);
      expect(await db.ttl('k')).toBe(-1);
      expect(await db.expire('k', 10, 'XX')).toBe(0);
      expect(await db.expire('k', -1)).toBe(1);
      expect(await db.exists('k')).toBe(0);

      expect(await replyError(db.expire('k', 'abc'))).toBe('ERR value is not an integer or out of range');
      expect(await replyError(db.expire('k', 10, 'NX', 'XX'))).toBe('ERR NX and XX, GT or LT options at the same time are not compatible');
      expect(await replyError(db.expire('k', 10, 'FOO'))).toBe('ERR Unsupported option FOO');
    });

    it('TYPE, RENAME, RENAMENX, COPY, DEL, EXISTS, UNLINK', async () => {
      const db = await target.fresh();
      await db.set('str', 'v');
      await db.rpush('list', 'a', 'b');
      await db.hset('hash', 'f', 'v');
      await db.sadd('set', 'm');
      await db.zadd('zset', 1, 'm');
      expect(await Promise.all(['str', 'list', 'hash', 'set', 'zset', 'missing'].map((k) => db.type(k))))
        .toEqual(['string', 'list', 'hash', 'set', 'zset', 'none']);

      await db.expire('str', 1000);
      expect(await db.rename('str', 'str2')).toBe('OK');
      expect(await db.exists('str')).toBe(0);
      expect(await db.get('str2')).toBe('v');
      expect(await db.ttl('str2')).toBeGreaterThan(900);
      expect(await db.renamenx('str2', 'list')).toBe(0);
      expect(await db.renamenx('str2', 'str')).toBe(1);
      expect(await db.rename('str', 'str')).toBe('OK');
      expect(await replyError(db.rename('missing', 'x'))).toBe('ERR no such key');

      expect(await db.copy('list', 'list2')).toBe(1);
      expect(await db.copy('list', 'list2')).toBe(0);
      await db.rpush('list', 'c');
      expect(await db.lrange('list2', 0, -1)).toEqual(['a', 'b']);
      expect(await db.copy('list', 'list2', 'REPLACE')).toBe(1);
      expect(await db.lrange('list2', 0, -1)).toEqual(['a', 'b', 'c']);
      expect(await replyError(db.copy('hash', 'hash', 'REPLACE'))).toBe('ERR source and destination objects are the same');
      expect(await db.copy('missing', 'x')).toBe(0);
      expect(await db.copy('zset', 'zset', 'DB', 1)).toBe(1);
      const other = await target.another();
      await other.select(1);
      expect(await other.zscore('zset', 'm')).toBe(1);
      expect(await other.dbsize()).toBe(1);

      expect(await db.exists('list', 'list', 'hash', 'missing')).toBe(3);
      expect(await db.del('list', 'hash', 'missing')).toBe(2);
      expect(await db.unlink('set', 'zset', 'missing')).toBe(2);
      expect(await db.exists('list', 'hash', 'set', 'zset')).toBe(0);
      expect(sorted(await db.keys('*'))).toEqual(['list2', 'str']);
    });

    it('SCAN iterates every key, with MATCH and TYPE', async () => {
      const db = await target.fresh();
      const users = range(150, (i) => `user:${i}`);
      await db.mset(...users.flatMap((k) => [k, 'x']));
      for (let i = 0; i < 20; i++) await db.rpush(`queue:${i}`, 'job');
      await db.hset('user:hash', 'f', 'v');

      const all = new Set(await scanAll((c) => db.scan(c, 'COUNT', 40)));
      expect(all.size).toBe(171);
      const matched = new Set(await scanAll((c) => db.scan(c, 'MATCH', 'user:*', 'COUNT', 40)));
      expect([...matched].sort()).toEqual([...users, 'user:hash'].sort());
      const lists = new Set(await scanAll((c) => db.scan(c, 'TYPE', 'list', 'COUNT', 40)));
      expect([...lists].sort()).toEqual(range(20, (i) => `queue:${i}`).sort());
      const hashes = new Set(await scanAll((c) => db.scan(c, 'MATCH', 'user:*', 'TYPE', 'hash')));
      expect([...hashes]).toEqual(['user:hash']);
      expect(await db.dbsize()).toBe(171);
      expect(await replyError(db.scan('abc'))).toBe('ERR invalid cursor');
    });

    it('OBJECT ENCODING where nodis and Redis agree', async () => {
      const db = await target.fresh();
      await db.set('int', '12345');
      await db.set('embstr', 'hello');
      await db.set('raw', 'x'.repeat(45));
      await db.set('appended', 'a');
      await db.append('appended', 'b');
      await db.rpush('list', 'a');
      await db.hset('smallhash', 'f', 'v');
      await db.hset('bighash', 'f', 'v'.repeat(65));
      await db.sadd('intset', '1', '2');
      await db.sadd('strset', 'a');
      await db.zadd('smallz', 1, 'a');
      await db.zadd('bigz', ...range(129, (i) => `m${i}`).flatMap((m, i) => [i, m]));
      const encodings = await Promise.all(
        ['int', 'embstr', 'raw', 'appended', 'list', 'smallhash', 'bighash', 'intset', 'strset', 'smallz', 'bigz']
          .map((k) => db.object('ENCODING', k)),
      );
      expect(encodings).toEqual(['int', 'embstr', 'raw', 'raw', 'quicklist', 'listpack', 'hashtable', 'intset', 'hashtable', 'listpack', 'skiplist']);
      expect(await db.object('ENCODING', 'missing')).toBeNull();
    });
  });

  describe('binary keys and values', () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const reversed = Buffer.from(bytes).reverse();

    it('every byte 0..255 in keys and values, through every family', async () => {
      const db = await target.fresh();
      expect(await db.set(bytes, reversed)).toBe('OK');
      expect(await db.getBuffer(bytes)).toEqual(reversed);
      expect(await db.strlen(bytes)).toBe(256);
      expect(await db.exists(bytes)).toBe(1);
      expect(await db.getrangeBuffer(bytes, 0, 3)).toEqual(reversed.subarray(0, 4));
      expect(await db.append(bytes, bytes)).toBe(512);
      expect(await db.getBuffer(bytes)).toEqual(Buffer.concat([reversed, bytes]));
      expect(await db.keysBuffer('*')).toEqual([bytes]);
      const [cursor, keys] = (await db.scanBuffer(0)) as [Buffer, Buffer[]];
      expect(cursor.toString()).toBe('0');
      expect(keys).toEqual([bytes]);
      expect(await db.rename(bytes, reversed)).toBe('OK');
      expect(await db.mgetBuffer(bytes, reversed)).toEqual([null, Buffer.concat([reversed, bytes])]);

      expect(await db.hset('h', bytes, reversed)).toBe(1);
      expect(await db.hgetBuffer('h', bytes)).toEqual(reversed);
      expect(await db.hkeysBuffer('h')).toEqual([bytes]);
      expect(await db.rpush('l', bytes, reversed)).toBe(2);
      expect(await db.lrangeBuffer('l', 0, -1)).toEqual([bytes, reversed]);
      expect(await db.lpos('l', reversed)).toBe(1);
      expect(await db.sadd('s', bytes, reversed, bytes)).toBe(2);
      expect(sorted(await db.smembersBuffer('s'))).toEqual(sorted([bytes, reversed]));
      expect(await db.sismember('s', reversed)).toBe(1);
      expect(await db.zadd('z', 1, bytes, 2, reversed)).toBe(2);
      expect(await db.zrangeBuffer('z', 0, -1)).toEqual([bytes, reversed]);
      expect(await db.zscore('z', reversed)).toBe(2);
      expect(await db.type(reversed)).toBe('string');
      expect(await db.pfadd('hll', bytes, reversed)).toBe(1);
      expect(await db.pfcount('hll')).toBe(2);
    });
  });

  describe('RESP3 (HELLO 3), where reply shapes differ from RESP2', () => {
    it('scores as numbers in pairs, maps as objects, sets as arrays', async () => {
      const db = await target.fresh();
      await db.zadd('z', 1, 'a', 2.5, 'b', 3, 'c');
      await db.hset('h', 'f', 'v');
      await db.sadd('s', 'x', 'y');
      // RESP2 first: flat arrays with scores as strings.
      expect(await db.zrange('z', 0, 1, 'WITHSCORES')).toEqual(['a', '1', 'b', '2.5']);
      expect(await db.zrandmember('z', -1, 'WITHSCORES').then((r) => (r as string[]).length)).toBe(2);
      expect(await db.config('GET', 'hash-max-listpack-entries')).toEqual(['hash-max-listpack-entries', '512']);

      const hello = (await db.hello(3)) as Record<string, unknown>;
      expect(hello.proto).toBe(3);
      expect(await db.zrange('z', 0, 1, 'WITHSCORES')).toEqual([['a', 1], ['b', 2.5]]);
      expect(await db.zrangebyscore('z', '(1', '+inf', 'WITHSCORES')).toEqual([['b', 2.5], ['c', 3]]);
      expect(await db.zunion(1, 'z', 'WITHSCORES')).toEqual([['a', 1], ['b', 2.5], ['c', 3]]);
      expect(await db.zrandmember('z', -2, 'WITHSCORES').then((r) => (r as Value[]).length)).toBe(2);
      expect(await db.hrandfield('h', -2, 'WITHVALUES')).toEqual([['f', 'v'], ['f', 'v']]);
      expect(await db.zscore('z', 'b')).toBe(2.5);
      expect(await db.zincrby('z', 1, 'b')).toBe(3.5);
      expect(await db.incrbyfloat('f', '1.5')).toBe('1.5');
      expect(sorted(await db.smembers('s'))).toEqual(['x', 'y']);
      expect(await db.hgetall('h')).toEqual({ f: 'v' });
      expect(await db.config('GET', 'hash-max-listpack-entries')).toEqual({ 'hash-max-listpack-entries': '512' });
      expect(await db.zmpop(1, 'z', 'MIN')).toEqual(['z', [['a', 1]]]);
      expect(await db.zpopmin('z')).toEqual(['c', 3]);
      expect(await db.zpopmax('z', 1)).toEqual([['b', 3.5]]);
      expect(await db.get('missing')).toBeNull();
      expect(await db.zscan('missing', 0)).toEqual(['0', []]);

      await db.hello(2);
      await db.zadd('z', 1, 'a');
      expect(await db.zrange('z', 0, -1, 'WITHSCORES')).toEqual(['a', '1']);
      expect(await db.zmpop(1, 'z', 'MIN')).toEqual(['z', [['a', '1']]]);
    });

    it('a blocked BZPOPMIN answers a double in RESP3', async () => {
      const a = await target.fresh();
      const b = await target.another();
      await a.hello(3);
      const popped = a.bzpopmin('z', 0);
      await untilBlocked(b, 1);
      await b.zadd('z', '0.5', 'm');
      expect(await popped).toEqual(['z', 'm', 0.5]);
    });
  });
});
