import { beforeAll, describe, expect, it } from 'vitest';
import { connect, createMemoryStore, ReplyError } from '@nodis/client';
import { transportTargets, useTransports, type Target } from './helpers/transports.js';

/**
 * The client API over every transport: memory (an engine in this thread), thread (a real owner
 * thread, rings), socket (nodis's native protocol) and resp (RESP over TCP, to nodis and to a
 * real redis-server: code moves between them unchanged): the same typed methods, encodings,
 * errors, pipelines and blocking behaviour. Tests specific to one transport (an injected
 * clock, a sync BLPOP that would block the memory engine forever) live outside the shared
 * block. Each data family's commands over every transport: client-families.test.ts.
 */

useTransports();

describe.each(transportTargets())('client API, %s transport', (_name, makeTarget) => {
  let target: Target;
  beforeAll(() => { target = makeTarget(); });

  it('runs commands through methods derived from the specs', async () => {
    const db = await target.fresh();
    expect(await db.set('tibs:pyconuk', 'SomeValue')).toBe('OK');
    expect(await db.get('tibs:pyconuk')).toBe('SomeValue');
    expect(await db.incr('counter')).toBe(1);
    expect(await db.incrby('counter', 41)).toBe(42);
    expect(await db.get('missing')).toBeNull();
    expect(await db.mget('tibs:pyconuk', 'missing')).toEqual(['SomeValue', null]);
    await db.close();
  });

  it('round-trips UTF-8 strings and raw bytes', async () => {
    const db = await target.fresh();
    await db.set('ключ', 'значение ✓');
    expect(await db.get('ключ')).toBe('значение ✓');
    expect(await db.strlen('ключ')).toBe(Buffer.byteLength('значение ✓'));
    const bytes = Buffer.from([0, 255, 13, 10, 128]);
    await db.set('bytes', bytes);
    expect(await db.getBuffer('bytes')).toEqual(bytes);
  });

  it('rejects with ReplyError carrying Redis\'s message', async () => {
    const db = await target.fresh();
    await db.set('s', 'abc');
    const err = await db.incr('s').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplyError);
    expect((err as ReplyError).message).toBe('ERR value is not an integer or out of range');
    await expect(db.call('NOSUCH')).rejects.toThrow("ERR unknown command 'NOSUCH', with args beginning with: ");
  });

  it('offers synchronous calls', async () => {
    const db = await target.fresh();
    if (!target.sync) {
      expect(() => db.sync.incr('n')).toThrow('has no synchronous calls; use the async methods');
      return;
    }
    expect(db.sync.incr('n')).toBe(1);
    expect(db.sync.incr('n')).toBe(2);
    // @ts-expect-error: the wrong arity on purpose; the server, not the types, must refuse it
    expect(() => db.sync.incr('n', 'extra')).toThrow("ERR wrong number of arguments for 'incr' command");
  });

  it('sends a pipeline as one batch and reports errors per command', async () => {
    const db = await target.fresh();
    const results = await db.pipeline().call('SET', 'a', '1').call('INCR', 'a').call('INCR', 'nope', 'x').call('GET', 'a').exec();
    expect(results[0]).toEqual([null, 'OK']);
    expect(results[1]).toEqual([null, 2]);
    expect(results[2]![0]).toBeInstanceOf(ReplyError);
    expect(results[3]).toEqual([null, '2']);
  });

  it('returns RESP3 maps as objects after HELLO 3', async () => {
    const db = await target.fresh();
    const hello = (await db.hello('3')) as Record<string, unknown>;
    expect(hello.server).toBe('redis');
    expect(hello.proto).toBe(3);
  });

  it('supports await using / Symbol.asyncDispose', async () => {
    const db = await target.fresh();
    await db[Symbol.asyncDispose]();
    await expect(db.get('x')).rejects.toThrow('closed');
  });

  describe('blocking commands', () => {
    it('a BLPOP waits until another client of the same store pushes; later commands wait behind it', async () => {
      const a = await target.fresh();
      const b = await target.another();
      const popped = a.blpop('queue', '0');
      const after = a.ping();
      let settled = false;
      void popped.then(() => { settled = true; });
      await new Promise((r) => setTimeout(r, 10));
      expect(settled).toBe(false);
      expect(await b.rpush('queue', 'job-1')).toBe(1);
      expect(await popped).toEqual(['queue', 'job-1']);
      expect(await after).toBe('PONG');
      expect(await b.llen('queue')).toBe(0);
    });

    it('a BLPOP with a timeout answers nil when nobody pushes', async () => {
      const db = await target.fresh();
      expect(await db.blpop('empty', '0.05')).toBeNull();
    });
  });

  describe('reply shapes', () => {
    it('HGETALL is an object in RESP2 and RESP3 alike', async () => {
      for (const protocol of ['2', '3']) {
        const db = await target.fresh();
        await db.hello(protocol);
        await db.hset('h', 'name', 'nodis', 'ключ', 'значение');
        expect(await db.hgetall('h')).toEqual({ name: 'nodis', 'ключ': 'значение' });
        expect(await db.hgetall('missing')).toEqual({});
        const [[, viaPipeline]] = await db.pipeline().call('HGETALL', 'h').exec() as [[null, unknown]];
        expect(viaPipeline).toEqual({ name: 'nodis', 'ключ': 'значение' });
        expect(await db.hgetallBuffer('h')).toEqual({ name: Buffer.from('nodis'), 'ключ': Buffer.from('значение') });
      }
    });

    it('sorted-set scores are numbers in RESP2 and RESP3 alike', async () => {
      for (const protocol of ['2', '3']) {
        const db = await target.fresh();
        await db.hello(protocol);
        expect(await db.zadd('z', '1.5', 'a', '-inf', 'b')).toBe(2);
        expect(await db.zscore('z', 'a')).toBe(1.5);
        expect(await db.zscore('z', 'b')).toBe(-Infinity);
        expect(await db.zscore('z', 'missing')).toBeNull();
        expect(await db.zincrby('z', '2', 'a')).toBe(3.5);
        expect(await db.zmscore('z', 'a', 'nope', 'b')).toEqual([3.5, null, -Infinity]);
        expect(await db.zadd('z', 'INCR', '1', 'a')).toBe(4.5);
        expect(await db.zadd('z', 'NX', 'INCR', '1', 'a')).toBeNull();
        expect(await db.zscoreBuffer('z', 'a')).toBe(4.5);
      }
    });
  });
});

describe('client, memory transport only', () => {
  it('shares one store between clients, and an injected clock drives expiry', async () => {
    let now = 1_000_000;
    const store = createMemoryStore({ clock: () => now });
    const a = await connect({ store });
    const b = await connect({ store });
    await a.set('k', 'v', 'PX', 100);
    expect(await b.get('k')).toBe('v');
    now += 101;
    expect(await b.get('k')).toBeNull();
  });

  it('a synchronous BLPOP that would block forever throws instead of hanging', async () => {
    const db = await connect();
    expect(() => db.sync.blpop('empty', '0')).toThrow('block this thread forever');
    expect(db.sync.ping()).toBe('PONG');
  });
});
