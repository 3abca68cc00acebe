import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fork, type ChildProcess } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, Subscription, type Message, type Nodis } from '@nodis/client';
import { startServer, type NodisServer } from '@nodis/server';
import { transportTargets, useTransports, type Target } from './helpers/transports.js';
import { redisAvailable, startRedis, type RedisProcess } from './helpers/redis.js';

/**
 * Pub/sub through the client API over every transport (memory, thread, socket, resp → nodis,
 * resp → redis-server): db.subscribe / psubscribe / ssubscribe and their Buffer twins, one
 * subscriber connection per client, unsubscribing by break / close / abort / dispose. Then
 * the acceptance test: 3 publishers and 5 subscribers in worker threads and child
 * processes, and the reconnection of a subscriber connection that the server dropped.
 */

useTransports();

/** Rejects with a clear message instead of hanging. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** The next message of a subscription (bounded). */
async function next<M>(sub: Subscription<M>, what = 'a message'): Promise<M> {
  const r = await within(sub.next(), 10_000, what);
  if (r.done === true) throw new Error(`the subscription ended while waiting for ${what}`);
  return r.value;
}

/** PUBSUB NUMSUB for one channel, as a number. */
async function numsub(db: Nodis, channel: string): Promise<number> {
  const reply = await db.pubsub('NUMSUB', channel) as [string, number];
  return reply[1];
}

describe.each(transportTargets())('pub/sub, %s transport', (_name, makeTarget) => {
  let target: Target;
  beforeAll(() => { target = makeTarget(); });

  it('subscribe delivers { channel, message, pattern: undefined }; publish counts receivers', async () => {
    const db = await target.fresh();
    const pub = await target.another();
    expect(await pub.publish('news', 'nobody yet')).toBe(0);
    const sub = await db.subscribe('news', 'alerts');
    expect(sub).toBeInstanceOf(Subscription);
    expect(sub.names).toEqual(['news', 'alerts']);
    expect(await pub.publish('news', 'hello')).toBe(1);
    expect(await pub.publish('alerts', 'fire ✓')).toBe(1);
    expect(await pub.publish('other', 'not for us')).toBe(0);
    expect(await next(sub)).toEqual({ channel: 'news', message: 'hello', pattern: undefined });
    expect(await next(sub)).toEqual({ channel: 'alerts', message: 'fire ✓', pattern: undefined });
    expect(await numsub(pub, 'news')).toBe(1);
    // The client's own connection still runs commands, and its messages reach its subscriptions.
    expect(await db.set('k', 'v')).toBe('OK');
    expect(await db.publish('news', 'from myself')).toBe(1);
    expect(await next(sub)).toEqual({ channel: 'news', message: 'from myself', pattern: undefined });
    await sub.unsubscribe();
    expect(sub.closed).toBe(true);
    expect(await numsub(pub, 'news')).toBe(0);
    expect(await numsub(pub, 'alerts')).toBe(0);
  });

  it('psubscribe matches glob patterns and reports the pattern', async () => {
    const db = await target.fresh();
    const pub = await target.another();
    const sub = await db.psubscribe('news.*', 'h[ae]llo');
    expect(await pub.publish('news.sport', 'goal')).toBe(1);
    expect(await pub.publish('hallo', 'de')).toBe(1);
    expect(await pub.publish('hillo', 'no')).toBe(0);
    expect(await pub.publish('news', 'no dot')).toBe(0);
    expect(await next(sub)).toEqual({ channel: 'news.sport', message: 'goal', pattern: 'news.*' });
    expect(await next(sub)).toEqual({ channel: 'hallo', message: 'de', pattern: 'h[ae]llo' });
    expect(await pub.pubsub('NUMPAT')).toBe(2);
    await sub.unsubscribe();
    expect(await pub.pubsub('NUMPAT')).toBe(0);
  });

  it('ssubscribe receives SPUBLISH', async () => {
    const db = await target.fresh();
    const pub = await target.another();
    const sub = await db.ssubscribe('orders');
    expect(await pub.spublish('orders', 'o-1')).toBe(1);
    // A plain PUBLISH on the same name is another channel.
    expect(await pub.publish('orders', 'not a shard message')).toBe(0);
    expect(await next(sub)).toEqual({ channel: 'orders', message: 'o-1', pattern: undefined });
    expect(await pub.pubsub('SHARDNUMSUB', 'orders')).toEqual(['orders', 1]);
    await sub.unsubscribe();
    expect(await pub.pubsub('SHARDNUMSUB', 'orders')).toEqual(['orders', 0]);
  });

  it('holds messages the iterator has not pulled, in order', async () => {
    const db = await target.fresh();
    const pub = await target.another();
    const sub = await db.subscribe('burst');
    const sent = Array.from({ length: 300 }, (_, i) => `m${i}`);
    const counts = await Promise.all(sent.map((m) => pub.publish('burst', m)));
    expect(counts.every((c) => c === 1)).toBe(true);
    const got: string[] = [];
    for await (const m of sub) {
      got.push(m.message);
      if (got.length === sent.length) break;
    }
    expect(got).toEqual(sent);
    // break ran return(): unsubscribed, confirmed by the server.
    expect(await numsub(pub, 'burst')).toBe(0);
  });

  it('two Subscriptions on one channel share the server subscription and both get each message', async () => {
    const db = await target.fresh();
    const pub = await target.another();
    const a = await db.subscribe('shared');
    const b = await db.subscribe('shared', 'b-only');
    // One subscriber connection per client: the server counts it once.
    expect(await numsub(pub, 'shared')).toBe(1);
    expect(await pub.publish('shared', 'x')).toBe(1);
    expect(await next(a)).toEqual({ channel: 'shared', message: 'x', pattern: undefined });
    expect(await next(b)).toEqual({ channel: 'shared', message: 'x', pattern: undefined });
    // The channel stays subscribed while one listener remains.
    await a.unsubscribe();
    expect(await numsub(pub, 'shared')).toBe(1);
    expect(await pub.publish('shared', 'y')).toBe(1);
    expect(await next(b)).toEqual({ channel: 'shared', message: 'y', pattern: undefined });
    expect(await a.next()).toEqual({ value: undefined, done: true });
    await b.unsubscribe();
    expect(await numsub(pub, 'shared')).toBe(0);
    expect(await numsub(pub, 'b-only')).toBe(0);
    // A channel subscribed again after its last listener left works as the first time.
    const c = await db.subscribe('shared');
    expect(await pub.publish('shared', 'z')).toBe(1);
    expect(await next(c)).toEqual({ channel: 'shared', message: 'z', pattern: undefined });
  });

  it('close(), an AbortSignal and await using unsubscribe', async () => {
    const db = await target.fresh();
    const pub = await target.another();
    const closed = await db.subscribe('c1');
    const waiting = closed.next();
    closed.close();
    expect(await waiting).toEqual({ value: undefined, done: true });
    // Commands on the subscriber connection run in order: once a later subscribe is
    // confirmed, close()'s UNSUBSCRIBE has run.
    const marker = await db.subscribe('marker');
    expect(await numsub(pub, 'c1')).toBe(0);

    const ac = new AbortController();
    const aborted = await db.with({ signal: ac.signal }).subscribe('c2');
    const got: Message[] = [];
    const loop = (async () => { for await (const m of aborted) got.push(m); })();
    expect(await pub.publish('c2', 'before abort')).toBe(1);
    await within(new Promise<void>((resolve) => {
      const check = (): void => { if (got.length === 1) resolve(); else setImmediate(check); };
      check();
    }), 10_000, 'the message before the abort');
    ac.abort();
    await within(loop, 10_000, 'the loop to end after abort');
    expect(got.map((m) => m.message)).toEqual(['before abort']);
    await marker.unsubscribe();
    expect(await numsub(pub, 'c2')).toBe(0);
    // A signal aborted already: subscribe rejects with its reason.
    await expect(db.subscribe('c3', { signal: AbortSignal.abort(new Error('too late')) })).rejects.toThrow('too late');

    {
      await using disposed = await db.subscribe('c4');
      expect(await numsub(pub, 'c4')).toBe(1);
      expect(disposed.closed).toBe(false);
    }
    expect(await numsub(pub, 'c4')).toBe(0);
  });

  it('Buffer variants keep every byte value (names and payloads)', async () => {
    const db = await target.fresh();
    const pub = await target.another();
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const channel = Buffer.concat([Buffer.from('bin:'), bytes]);
    const sub = await db.subscribeBuffer(channel);
    const psub = await db.psubscribeBuffer(Buffer.concat([Buffer.from('bin:'), Buffer.from('*')]));
    expect(await pub.publish(channel, bytes)).toBe(2);
    const m = await next(sub);
    expect(Buffer.isBuffer(m.channel) && m.channel.equals(channel)).toBe(true);
    expect(Buffer.isBuffer(m.message) && m.message.equals(bytes)).toBe(true);
    expect(m.pattern).toBeUndefined();
    const p = await next(psub);
    expect(p.channel.equals(channel)).toBe(true);
    expect(p.message.equals(bytes)).toBe(true);
    expect(p.pattern?.equals(Buffer.from('bin:*'))).toBe(true);
    const ssub = await db.ssubscribeBuffer(channel);
    expect(await pub.spublish(channel, bytes)).toBe(1);
    expect((await next(ssub)).message.equals(bytes)).toBe(true);
  });

  it('highWaterMark ends a Subscription that holds too many messages, after yielding them', async () => {
    const db = await target.fresh();
    const pub = await target.another();
    const sub = await db.subscribe('flood', { highWaterMark: 5 });
    await Promise.all(Array.from({ length: 8 }, (_, i) => pub.publish('flood', `f${i}`)));
    // A later subscription's confirmation comes after every message above was read.
    const marker = await db.subscribe('marker2');
    const got: string[] = [];
    const error = await (async () => {
      try {
        for await (const m of sub) got.push(m.message);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(got).toEqual(['f0', 'f1', 'f2', 'f3', 'f4']);
    expect(String(error)).toMatch(/held 5 messages not taken \(its highWaterMark\)/);
    await marker.unsubscribe();
    expect(await numsub(pub, 'flood')).toBe(0);
  });

  it('db.close() ends every Subscription', async () => {
    const db = await target.fresh();
    const pub = await target.another();
    const a = await db.subscribe('end1');
    const b = await db.psubscribe('end*');
    const pending = a.next();
    await db.close();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(await b.next()).toEqual({ value: undefined, done: true });
    await expect(db.subscribe('end2')).rejects.toThrow(/closed/);
    // The server drops a closed connection's subscriptions when it sees it go (asynchronously).
    await within((async () => { while (await numsub(pub, 'end1') !== 0) await new Promise((r) => setTimeout(r, 10)); })(), 10_000, 'the server to drop the subscriber');
  });

  it('the raw pub/sub and transaction commands have no methods; db.watch() points to db.transaction', async () => {
    const db = await target.fresh();
    const raw = db as unknown as Record<string, unknown>;
    for (const name of ['unsubscribe', 'punsubscribe', 'sunsubscribe', 'exec', 'discard', 'unwatch', 'execBuffer']) {
      expect(raw[name], name).toBeUndefined();
    }
    expect(() => (raw.watch as () => void)()).toThrow(/db\.transaction\(keys/);
    const sync = db.sync as unknown as Record<string, unknown>;
    expect(sync.subscribe).toBeUndefined();
    expect(sync.multi).toBeUndefined();
    const pipeline = db.pipeline() as unknown as Record<string, unknown>;
    expect(pipeline.multi).toBeUndefined();
    expect(pipeline.watch).toBeUndefined();
    // PUBLISH stays a plain command method.
    expect(await db.publish('nobody', 'x')).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures-pubsub/${name}`, import.meta.url));

interface Peer {
  name: string;
  send(m: unknown): void;
  next<T>(what: string, ms?: number): Promise<T>;
  exited: Promise<number>;
  kill(): void;
}

/** A fixture as a worker thread (no execArgv: vitest's `--conditions source` cannot run in it). */
function workerPeer(name: string, job: Record<string, unknown>): Peer {
  const w = new Worker(fixture('peer.mjs'), { workerData: job, execArgv: [] });
  return peerOf(name, w, (m) => w.postMessage(m), new Promise((r) => w.once('exit', r)), () => void w.terminate());
}

/** A fixture as a child process. */
function childPeer(name: string, job: Record<string, unknown>): Peer {
  const c: ChildProcess = fork(fixture('peer.mjs'), [JSON.stringify(job)], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return peerOf(name, c, (m) => c.send(m as object), new Promise((r) => c.once('exit', (code) => r(code ?? -1))), () => c.kill('SIGKILL'));
}

function peerOf(name: string, emitter: Worker | ChildProcess, send: (m: unknown) => void, exited: Promise<number>, kill: () => void): Peer {
  const inbox: unknown[] = [];
  const waiting: ((m: unknown) => void)[] = [];
  let failure: Error | undefined;
  const fail = (e: Error): void => {
    failure ??= e;
    for (const w of waiting.splice(0)) w(undefined);
  };
  emitter.on('message', (m: unknown) => {
    const w = waiting.shift();
    if (w !== undefined) w(m);
    else inbox.push(m);
  });
  emitter.on('error', (e: Error) => fail(e));
  void exited.then((code) => fail(new Error(`${name} exited (code ${code})`)));
  return {
    name,
    send,
    exited,
    kill,
    next: <T>(what: string, ms = 30_000): Promise<T> => within(new Promise<T>((resolve, reject) => {
      if (inbox.length !== 0) return resolve(inbox.shift() as T);
      if (failure !== undefined) return reject(new Error(`${failure.message} before ${what}`));
      waiting.push((m) => (m === undefined ? reject(new Error(`${failure?.message ?? name + ' failed'} before ${what}`)) : resolve(m as T)));
    }), ms, `${name}: ${what}`),
  };
}

describe('pub/sub across threads and processes', () => {
  let server: NodisServer;
  let dir: string;
  const peers: Peer[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'nodis-pubsub-'));
    server = await startServer({ config: { port: '0', unixsocket: 'resp.sock', nativesocket: 'native.sock', dir }, logLevel: 'nothing' });
  });

  afterAll(async () => {
    for (const p of peers) p.kill();
    await Promise.all(peers.map((p) => p.exited));
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('1,000 messages from each of 3 publishers reach 5 subscribers complete and in per-publisher order', async () => {
    const channel = 'acceptance';
    const count = 1000;
    const publishers = 3;
    const native = `unix://${server.nativesocket}`;
    const respTcp = `redis://127.0.0.1:${server.port}`;
    const respUnix = `redis+unix://${server.unixsocket}`;
    const sub = (role: Record<string, unknown>): Record<string, unknown> => ({ role: 'subscriber', channel, expected: count * publishers, ...role });
    const subscribers = [
      workerPeer('subscriber thread 1', sub({ target: server.handle() })),
      workerPeer('subscriber thread 2', sub({ target: server.handle() })),
      childPeer('subscriber process (socket)', sub({ target: native })),
      childPeer('subscriber process (resp tcp)', sub({ target: respTcp })),
      childPeer('subscriber process (resp unix)', sub({ target: respUnix })),
    ];
    const pub = (id: string, target: unknown): Record<string, unknown> => ({ role: 'publisher', channel, count, id, target });
    const pubs = [
      workerPeer('publisher thread', pub('thread', server.handle())),
      childPeer('publisher process (socket)', pub('socket', native)),
      childPeer('publisher process (resp)', pub('resp', respTcp)),
    ];
    peers.push(...subscribers, ...pubs);
    // Everyone is connected (subscribers confirmed) before the first message is published.
    await Promise.all([...subscribers, ...pubs].map((p) => p.next('ready')));
    for (const p of pubs) p.send('go');
    const published = await Promise.all(pubs.map((p) => p.next<{ receivers: number }>('publishing', 60_000)));
    // Each PUBLISH reached the 5 subscribers.
    expect(published.map((r) => r.receivers)).toEqual([count * 5, count * 5, count * 5]);
    const results = await Promise.all(subscribers.map((s) => s.next<{ received: number; outOfOrder: number; last: Record<string, number> }>('all messages', 60_000)));
    for (const r of results) {
      expect(r.received).toBe(count * publishers);
      expect(r.outOfOrder).toBe(0);
      expect(r.last).toEqual({ thread: count - 1, socket: count - 1, resp: count - 1 });
    }
    // Every peer exits by itself once closed: a subscriber connection does not keep a thread alive after close().
    expect(await within(Promise.all([...subscribers, ...pubs].map((p) => p.exited)), 20_000, 'the peers to exit')).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  }, 120_000);

  const targets = [
    ['thread', () => server.handle()],
    ['socket', () => `unix://${server.nativesocket}`],
    ['resp', () => `redis://127.0.0.1:${server.port}`],
  ] as const;
  for (const [name, target] of targets) {
    it(`a ${name} subscriber connection that the server dropped is opened again and subscribes again`, async () => {
      const db = await connect(target());
      const admin = await connect(target());
      try {
        const sub = await db.subscribe('survive');
        const psub = await db.psubscribe('surv*');
        expect(await admin.publish('survive', 'before')).toBe(2);
        expect(await next(sub)).toEqual({ channel: 'survive', message: 'before', pattern: undefined });
        expect(await next(psub)).toEqual({ channel: 'survive', message: 'before', pattern: 'surv*' });
        expect(await admin.client('KILL', 'TYPE', 'pubsub')).toBe(1);
        // Messages published while no subscriber connection exists are lost (at most once):
        // wait until the client has subscribed again, as the server reports it.
        await within((async () => {
          while (await numsub(admin, 'survive') !== 1 || await admin.pubsub('NUMPAT') !== 1) await new Promise((r) => setTimeout(r, 20));
        })(), 15_000, 'the subscriber to subscribe again');
        expect(await admin.publish('survive', 'after')).toBe(2);
        expect(await next(sub)).toEqual({ channel: 'survive', message: 'after', pattern: undefined });
        expect(await next(psub)).toEqual({ channel: 'survive', message: 'after', pattern: 'surv*' });
        // The client's own connection was not touched.
        expect(await db.ping()).toBe('PONG');
      } finally {
        await db.close();
        await admin.close();
      }
    });
  }

  it('a thread subscriber whose store stops ends with the error', async () => {
    const own = mkdtempSync(path.join(tmpdir(), 'nodis-pubsub-stop-'));
    const doomed = await startServer({ config: { port: '0', unixsocket: '', dir: own }, logLevel: 'nothing' });
    try {
      const db = await connect(doomed.handle());
      const sub = await db.subscribe('x');
      // (Settled into a value at once: it rejects while close() is awaited.)
      const pending = sub.next().then(() => new Error('it resolved'), (e: unknown) => e);
      await doomed.close();
      expect(String(await within(pending, 10_000, 'the subscription to end'))).toMatch(/store has stopped|closed the connection/);
      expect(sub.closed).toBe(true);
      await db.close();
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!redisAvailable)('pub/sub against redis-server: a refused SUBSCRIBE', () => {
  let redis: RedisProcess;
  beforeAll(async () => {
    redis = await startRedis();
    const admin = await connect(`redis://127.0.0.1:${redis.port}`);
    // A user allowed the channels allowed:* only.
    await admin.call('ACL', 'SETUSER', 'limited', 'on', '>pw', '~*', 'resetchannels', '&allowed:*', '+@all');
    await admin.close();
  });
  afterAll(async () => { await redis?.stop(); });

  it('rejects subscribe() with the server\'s error and keeps every other subscription working', async () => {
    const db = await connect(`redis://limited:pw@127.0.0.1:${redis.port}`);
    const pub = await connect(`redis://127.0.0.1:${redis.port}`);
    try {
      const ok = await db.subscribe('allowed:1');
      // The refusal is a plain error reply, not a push: it answers that SUBSCRIBE alone.
      await expect(db.subscribe('allowed:2', 'forbidden')).rejects.toThrow(/^NOPERM/);
      await expect(db.psubscribe('forb*')).rejects.toThrow(/^NOPERM/);
      expect(await numsub(pub, 'allowed:2')).toBe(0);
      const later = await db.subscribe('allowed:3', 'allowed:1');
      expect(await pub.publish('allowed:1', 'one')).toBe(1);
      expect(await pub.publish('allowed:3', 'three')).toBe(1);
      expect(await next(ok)).toEqual({ channel: 'allowed:1', message: 'one', pattern: undefined });
      expect(await next(later)).toEqual({ channel: 'allowed:1', message: 'one', pattern: undefined });
      expect(await next(later)).toEqual({ channel: 'allowed:3', message: 'three', pattern: undefined });
    } finally {
      await db.close();
      await pub.close();
    }
  });
});
