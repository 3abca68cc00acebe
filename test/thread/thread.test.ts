import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { startServer, type NodisServer } from '@nodis/server';
import { connect, connectSync, NodisClient, ReplyError, type Nodis, type Transport } from '@nodis/client';

/**
 * The thread transport end to end (issue 5): a real owner (startServer), real worker threads
 * and a real piscina pool, talking RESP through SharedArrayBuffer rings.
 *
 * Worker code is plain .mjs under fixtures/ and imports the BUILT packages (dist/): vitest's
 * `--conditions source` is stripped from their execArgv, as Node cannot run the .ts sources.
 */

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/**
 * Node flags for workers, pools and children: none. They must not inherit vitest's
 * `--conditions source` (see above), and need nothing else it passes.
 */
const cleanExecArgv = (): string[] => [];

/** Rejects with a clear message instead of hanging. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

const live = new Set<Worker>();

function spawn(file: string, workerData: Record<string, unknown>): Worker {
  const w = new Worker(fixture(file), { workerData, execArgv: cleanExecArgv(), stdout: false, stderr: false });
  live.add(w);
  w.once('exit', () => live.delete(w));
  return w;
}

/** The next message from a worker; rejects if it errors or exits first, or on timeout. */
function nextMessage<T>(w: Worker, what: string, ms = 15_000): Promise<T> {
  return within(new Promise<T>((resolve, reject) => {
    const cleanup = (): void => { w.off('message', onMessage); w.off('error', onError); w.off('exit', onExit); };
    const onMessage = (m: T): void => { cleanup(); resolve(m); };
    const onError = (e: Error): void => { cleanup(); reject(e); };
    const onExit = (code: number): void => { cleanup(); reject(new Error(`worker exited (code ${code}) before ${what}`)); };
    w.on('message', onMessage);
    w.on('error', onError);
    w.on('exit', onExit);
  }), ms, what);
}

/** Waits for `ready()` to hold, polling; fails after `ms` instead of hanging. */
async function until(ready: () => Promise<boolean> | boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

type ClientInfo = Record<string, string>;

async function clientList(db: Nodis): Promise<ClientInfo[]> {
  const text = (await db.call('CLIENT', 'LIST')) as string;
  return text.split('\n').filter(Boolean).map((line) => Object.fromEntries(line.split(' ').map((kv) => {
    const eq = kv.indexOf('=');
    return [kv.slice(0, eq), kv.slice(eq + 1)];
  })));
}

let server: NodisServer;
let db: Nodis;
/** Every server of this file keeps its (future) data files here, not in ./data. */
const dataDir = mkdtempSync(path.join(tmpdir(), 'nodis-thread-'));
const serverConfig = { port: '0', unixsocket: '', dir: dataDir };

beforeAll(async () => {
  server = await startServer({ config: serverConfig, logLevel: 'nothing' });
  db = await connect(server.handle());
});

afterEach(async () => {
  await Promise.all([...live].map((w) => w.terminate()));
});

afterAll(async () => {
  await db?.close();
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('many threads, one store', () => {
  it('4 threads × M INCRs (2 sync, 2 async pipelined) end at exactly 4×M', async () => {
    const M = 5000;
    const modes = ['sync', 'async', 'sync', 'async'];
    const workers = modes.map((mode) => spawn('incr-worker.mjs', { handle: server.handle(), key: 'nm:counter', count: M, mode, burst: 64 }));
    const results = await Promise.all(workers.map((w, i) => nextMessage<{ done: boolean; last: number }>(w, `worker ${i} finishing`, 40_000)));
    for (const r of results) {
      expect(r.done).toBe(true);
      expect(r.last).toBeGreaterThanOrEqual(M);
      expect(r.last).toBeLessThanOrEqual(4 * M);
    }
    // Exactly one thread saw the final value.
    expect(results.filter((r) => r.last === 4 * M)).toHaveLength(1);
    expect(await db.get('nm:counter')).toBe(String(4 * M));
  });

  it('interleaved LPUSH/RPOP from many threads lose and duplicate nothing', async () => {
    const producers = 3;
    const consumers = 3;
    const count = 1500;
    const common = { handle: server.handle(), list: 'q:items', doneKey: 'q:producers-done', producers, count, deadlineMs: 30_000 };
    const cs = Array.from({ length: consumers }, (_, i) => spawn('list-worker.mjs', { ...common, role: 'consumer', id: `c${i}` }));
    const ps = Array.from({ length: producers }, (_, i) => spawn('list-worker.mjs', { ...common, role: 'producer', id: `p${i}` }));
    const pushed = await Promise.all(ps.map((w, i) => nextMessage<{ pushed: number }>(w, `producer ${i}`, 40_000)));
    expect(pushed.map((p) => p.pushed)).toEqual([count, count, count]);
    const popped = await Promise.all(cs.map((w, i) => nextMessage<{ popped: string[] }>(w, `consumer ${i}`, 40_000)));
    const all = popped.flatMap((p) => p.popped);
    const expected: string[] = [];
    for (let p = 0; p < producers; p++) for (let i = 0; i < count; i++) expected.push(`p${p}:${i}`);
    expect(all.length).toBe(expected.length);
    expect(new Set(all).size).toBe(all.length);
    expect([...all].sort()).toEqual([...expected].sort());
    // Each producer's items leave in the order they went in (LPUSH + RPOP is a FIFO) within each consumer.
    for (const { popped: mine } of popped) {
      for (let p = 0; p < producers; p++) {
        const seq = mine.filter((x) => x.startsWith(`p${p}:`)).map((x) => Number(x.slice(x.indexOf(':') + 1)));
        expect(seq).toEqual([...seq].sort((a, b) => a - b));
      }
    }
    expect(await db.llen('q:items')).toBe(0);
  });
});

describe('piscina', () => {
  let pool: Piscina | undefined;
  afterEach(async () => {
    await pool?.destroy();
    pool = undefined;
  });

  it('tasks share counters and a queue through the handle in the pool\'s workerData', async () => {
    pool = new Piscina({
      filename: fixture('piscina-task.mjs'), minThreads: 3, maxThreads: 3, workerData: { handle: server.handle() },
      execArgv: cleanExecArgv(),
    });
    const tasks = 60;
    const threads = await within(Promise.all(Array.from({ length: tasks }, (_, i) => pool!.run({
      counter: 'pool:wd:counter', queue: 'pool:wd:jobs', incrs: 50, job: `job-${i}`,
    }))), 40_000, 'piscina tasks');
    expect(threads).toHaveLength(tasks);
    expect(await db.get('pool:wd:counter')).toBe(String(tasks * 50));
    const jobs = (await db.lrange('pool:wd:jobs', 0, -1)) as string[];
    expect([...jobs].sort()).toEqual(Array.from({ length: tasks }, (_, i) => `job-${i}`).sort());
  });

  it('tasks share counters and a queue through the handle in the task arguments', async () => {
    pool = new Piscina({ filename: fixture('piscina-task.mjs'), minThreads: 2, maxThreads: 4, execArgv: cleanExecArgv() });
    const handle = server.handle();
    const tasks = 80;
    const threads = await within(Promise.all(Array.from({ length: tasks }, (_, i) => pool!.run({
      handle, counter: 'pool:arg:counter', queue: 'pool:arg:jobs', incrs: 25, job: `job-${i}`,
    }))), 40_000, 'piscina tasks');
    expect(threads).toHaveLength(tasks);
    expect(await db.get('pool:arg:counter')).toBe(String(tasks * 25));
    expect(await db.llen('pool:arg:jobs')).toBe(tasks);
    const jobs = (await db.lrange('pool:arg:jobs', 0, -1)) as string[];
    expect(new Set(jobs).size).toBe(tasks);
  });
});

describe('dying threads', () => {
  it('a worker terminated mid-pipeline does not disturb the others, and its client goes away', async () => {
    const victim = spawn('pipeline-loop.mjs', { handle: server.handle(), key: 'victim' });
    const victimThread = victim.threadId;
    await nextMessage(victim, 'the victim sending pipelines');
    const M = 3000;
    const steady = [
      spawn('incr-worker.mjs', { handle: server.handle(), key: 'steady', count: M, mode: 'sync' }),
      spawn('incr-worker.mjs', { handle: server.handle(), key: 'steady', count: M, mode: 'async', burst: 50 }),
    ];
    const finished = steady.map((w, i) => nextMessage<{ done: boolean }>(w, `steady worker ${i}`, 40_000));
    // Kill the victim while it is busy (its loop never pauses) and the others are running.
    await until(async () => Number(await db.get('steady')) > 0, 'the steady workers are under way');
    await victim.terminate();
    const results = await Promise.all(finished);
    expect(results.every((r) => r.done)).toBe(true);
    expect(await db.get('steady')).toBe(String(2 * M));
    // The owner forgets the dead thread's client.
    await until(async () => !(await clientList(db)).some((c) => c.addr === `thread:${victimThread}`),
      `CLIENT LIST no longer lists thread:${victimThread}`);
    // Its counter is whole, and new threads are served.
    expect(await db.get('victim')).toMatch(/^\d+$/);
    const again = spawn('incr-worker.mjs', { handle: server.handle(), key: 'steady', count: 100, mode: 'sync' });
    await nextMessage(again, 'a new worker after the kill');
    expect(await db.get('steady')).toBe(String(2 * M + 100));
  });

  /** Spawns a worker blocked in BLPOP on `key`; resolves once CLIENT LIST shows it blocked. */
  async function blockedWaiter(key: string): Promise<{ worker: Worker; id: number }> {
    const worker = spawn('blpop-worker.mjs', { handle: server.handle(), key });
    const { id } = await nextMessage<{ id: number }>(worker, `a waiter on ${key} connecting`);
    await until(async () => (await clientList(db)).some((c) => c.id === String(id) && c.cmd === 'blpop'), `the waiter on ${key} is blocked`);
    return { worker, id };
  }

  it('a thread blocked in BLPOP that is terminated does not steal a later push from a live waiter', async () => {
    const key = 'dead:waiter';
    // The doomed one blocks first, so it is first in line; it must lose its place when it dies.
    const dead = await blockedWaiter(key);
    const alive = await blockedWaiter(key);
    const served = nextMessage<{ type: string; got: unknown }>(alive.worker, 'the live waiter served (not the dead one)', 3000);
    await dead.worker.terminate();
    expect(await db.rpush(key, 'item-1')).toBe(1);
    expect(await served).toEqual({ type: 'got', got: [key, 'item-1'] });
    expect(await db.llen(key)).toBe(0);
    await until(async () => !(await clientList(db)).some((c) => c.id === String(dead.id)), 'the dead waiter leaves CLIENT LIST');
  });

  // A worker that uses only the sync API (connectSync at the top of its module, then a
  // CPU-bound loop of sync calls) never turns its event loop after connecting. These two
  // tests kill such a worker and expect the owner to notice, as it does for any other thread.
  it('a worker terminated inside a loop of sync calls leaves CLIENT LIST', async () => {
    const w = spawn('sync-worker.mjs', { handle: server.handle(), key: 'syncloop:n', mode: 'loop' });
    const { id } = await nextMessage<{ id: number }>(w, 'the sync worker connecting');
    await until(async () => Number(await db.get('syncloop:n')) > 100, 'the sync worker is looping');
    await w.terminate();
    await until(async () => !(await clientList(db)).some((c) => c.id === String(id)),
      `the dead sync worker's client (id ${id}) leaves CLIENT LIST`);
  });

  it('a thread blocked in a sync BLPOP that is terminated does not steal a later push', async () => {
    const key = 'syncdead:q';
    const w = spawn('sync-worker.mjs', { handle: server.handle(), key, mode: 'blpop' });
    const { id } = await nextMessage<{ id: number }>(w, 'the sync waiter connecting');
    await until(async () => (await clientList(db)).some((c) => c.id === String(id) && c.cmd === 'blpop'), 'the sync waiter is blocked');
    await w.terminate();
    // Give the owner every chance to notice the death before pushing.
    await until(async () => !(await clientList(db)).some((c) => c.id === String(id)), 'the dead sync waiter leaves CLIENT LIST', 2000)
      .catch(() => undefined);
    expect(await db.rpush(key, 'precious')).toBe(1);
    expect(await db.lrange(key, 0, -1), 'the item pushed after the waiter died is still there').toEqual(['precious']);
  });
});

describe('big values', () => {
  it('a 100 MB value round-trips through the rings, async and sync', async () => {
    const size = 100 * 1024 * 1024;
    // A 997-byte pattern (prime, so coprime with every ring size): a shifted, dropped or
    // repeated chunk cannot match.
    const pattern = Buffer.alloc(997);
    for (let i = 0; i < pattern.length; i++) pattern[i] = (i * 131 + 7) & 255;
    const value = Buffer.allocUnsafe(size).fill(pattern);
    expect(await db.set('big', value)).toBe('OK');
    const back = (await db.getBuffer('big')) as Buffer;
    expect(back.length).toBe(size);
    expect(back.equals(value)).toBe(true);
    // The sync path, both ways: a request and a reply far larger than either ring.
    value.writeUInt8(value.readUInt8(0) ^ 0xff, 0);
    value.writeUInt8(value.readUInt8(size - 1) ^ 0xff, size - 1);
    expect(db.sync.set('big', value)).toBe('OK');
    const viaSync = db.sync.getBuffer('big') as Buffer;
    expect(viaSync.length).toBe(size);
    expect(viaSync.equals(value)).toBe(true);
    expect(await db.del('big')).toBe(1);
  });

  it('both rings full at once: a big request behind big replies completes, async and sync', async () => {
    // 40 GETs of 1 MiB each fill the reply ring many times over while a 12 MiB SET fills the
    // request ring: the owner must keep reading replies out (it never blocks on a full reply
    // ring) and the client must keep reading replies while it waits for request room.
    const small = { ringBytes: 64 * 1024 };
    const c = await connect(server.handle(), small);
    try {
      const mib = Buffer.alloc(1 << 20, 'r');
      expect(await c.set('r', mib)).toBe('OK');
      const big = Buffer.alloc(12 << 20, 'w');
      const p = c.pipeline();
      for (let i = 0; i < 40; i++) p.getBuffer('r');
      p.set('w', big);
      for (let i = 0; i < 40; i++) p.getBuffer('r');
      const replies = await within(p.exec(), 20_000, 'the pipeline with both rings full');
      expect(replies.length).toBe(81);
      expect(replies.every(([e]) => e === null)).toBe(true);
      expect((replies[0]![1] as Buffer).equals(mib)).toBe(true);
      expect(replies[40]![1]).toBe('OK');
      expect((replies[80]![1] as Buffer).equals(mib)).toBe(true);
      // Sync: async GETs still in flight (their replies fill the reply ring) while a sync SET
      // larger than the request ring waits for room.
      const gets = Array.from({ length: 20 }, () => c.getBuffer('r'));
      expect(c.sync.set('w2', big)).toBe('OK');
      const got = await within(Promise.all(gets), 20_000, 'the async GETs around a sync SET');
      expect(got.every((g) => (g as Buffer).equals(mib))).toBe(true);
      expect(c.sync.strlen('w2')).toBe(12 << 20);
    } finally {
      await c.close();
    }
  });
});

describe('idle owner', () => {
  it('a process hosting an idle store uses next to no CPU', async () => {
    const child = fork(fixture('idle-cpu.mjs'), [dataDir], { execArgv: cleanExecArgv(), stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    try {
      const report = await within(new Promise<{ n: number; cpuMs: number; wallMs: number }>((resolve, reject) => {
        child.once('message', (m) => resolve(m as { n: number; cpuMs: number; wallMs: number }));
        child.once('error', reject);
        child.once('exit', (code) => reject(new Error(`idle-cpu child exited (code ${code}) without a report`)));
      }), 20_000, 'the idle-cpu child');
      expect(report.n).toBe(6000);
      expect(report.wallMs).toBeGreaterThanOrEqual(990);
      expect(report.cpuMs).toBeLessThan(100);
    } finally {
      child.kill();
    }
  });
});

describe('sync and async on one client', () => {
  it('interleave in issue order', async () => {
    const p1 = db.incr('mix:x');
    const v = db.sync.incr('mix:x');
    const p2 = db.incr('mix:x');
    expect(v).toBe(2);
    expect(await p1).toBe(1);
    expect(await p2).toBe(3);
  });

  it('many in-flight async replies resolve in order while sync calls run between them', async () => {
    const order: number[] = [];
    const promises: Promise<unknown>[] = [];
    const expected: number[] = [];
    const syncValues: number[] = [];
    for (let i = 1; i <= 2000; i++) {
      expected.push(i);
      if (i % 100 === 0) {
        syncValues.push(db.sync.incr('mix:y') as number);
        order.push(i);
      } else {
        promises.push(db.incr('mix:y').then((r) => { order.push(r as number); return r; }));
      }
    }
    const settled = await within(Promise.all(promises), 10_000, 'async replies');
    expect(syncValues).toEqual(expected.filter((i) => i % 100 === 0));
    expect(settled).toEqual(expected.filter((i) => i % 100 !== 0));
    // Async promises resolved in order (sync values were recorded at their issue time; the
    // promises resolve later, so only the async ones are compared for resolution order).
    expect(order.filter((i) => i % 100 !== 0)).toEqual(expected.filter((i) => i % 100 !== 0));
  });

  it('a pipeline and a sync call in the same tick keep their order', async () => {
    const pipe = db.pipeline().call('SET', 'mix:z', '10').call('INCR', 'mix:z').exec();
    const v = db.sync.incr('mix:z');
    expect(v).toBe(12);
    expect(await pipe).toEqual([[null, 'OK'], [null, 11]]);
  });

  it('connectSync gives a client usable at once', () => {
    const c = connectSync(server.handle());
    try {
      expect(c.sync.ping()).toBe('PONG');
      expect(c.sync.set('cs:k', 'v')).toBe('OK');
      expect(db.sync.get('cs:k')).toBe('v');
    } finally {
      void c.close();
    }
  });
});

describe('blocking commands over rings', () => {
  it('an async BLPOP in one thread is served by an RPUSH from another', async () => {
    const waiter = spawn('blpop-worker.mjs', { handle: server.handle(), key: 'blk:q' });
    const { id } = await nextMessage<{ id: number }>(waiter, 'the waiter connecting');
    await until(async () => (await clientList(db)).some((c) => c.id === String(id) && c.cmd === 'blpop'), 'the waiter is blocked');
    const got = nextMessage<{ type: string; got: unknown }>(waiter, 'the waiter served');
    expect(await db.rpush('blk:q', 'hello')).toBe(1);
    expect(await got).toEqual({ type: 'got', got: ['blk:q', 'hello'] });
    expect(await db.llen('blk:q')).toBe(0);
  });

  it('a sync BLPOP with a 0.1 s timeout returns null', () => {
    expect(db.sync.blpop('blk:empty', '0.1')).toBeNull();
    expect(db.sync.ping()).toBe('PONG');
  });

  it('a sync BLPOP is served by another thread\'s push', async () => {
    const pusher = new Worker(`
      const { workerData } = require('node:worker_threads');
      import('@nodis/client').then(async ({ connect }) => {
        const db = await connect(workerData.handle);
        await new Promise((r) => setTimeout(r, 100));
        await db.rpush('blk:sync', 'from-worker');
        await db.close();
      });
    `, { eval: true, workerData: { handle: server.handle() }, execArgv: cleanExecArgv() });
    live.add(pusher);
    pusher.once('exit', () => live.delete(pusher));
    // Blocks this thread (bounded by its 10 s timeout) until the worker pushes.
    expect(db.sync.blpop('blk:sync', '10')).toEqual(['blk:sync', 'from-worker']);
  });
});

describe('errors', () => {
  const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';

  it('sync calls throw ReplyError with Redis\'s message', () => {
    db.sync.set('err:str', 'abc');
    let caught: unknown;
    try { db.sync.call('LPUSH', 'err:str', 'x'); } catch (e) { caught = e; }
    expect(caught).toBeInstanceOf(ReplyError);
    expect((caught as ReplyError).message).toBe(WRONGTYPE);
    expect(() => db.sync.incr('err:str')).toThrow('ERR value is not an integer or out of range');
    // The client is still in step afterwards.
    expect(db.sync.incr('err:n')).toBe(1);
  });

  it('async calls reject with ReplyError with Redis\'s message', async () => {
    await db.set('err:str2', 'abc');
    const err = await db.call('LPUSH', 'err:str2', 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplyError);
    expect((err as ReplyError).message).toBe(WRONGTYPE);
    const results = await db.pipeline().call('LPUSH', 'err:str2', 'x').call('INCR', 'err:n2').exec();
    expect(results[0]![0]).toBeInstanceOf(ReplyError);
    expect(results[0]![0]!.message).toBe(WRONGTYPE);
    expect(results[1]).toEqual([null, 1]);
  });

  it('sync on a transport that cannot block gives a clear error', async () => {
    const fake: Transport = {
      kind: 'fake',
      send: () => Promise.resolve(1),
      sendBatch: (batch) => Promise.resolve(batch.map(() => 1)),
      close: () => Promise.resolve(),
    };
    const client = new NodisClient(fake) as Nodis;
    expect(() => client.sync.incr('x')).toThrow('nodis: the fake transport has no synchronous calls; use the async methods');
    expect(() => client.sync.call('PING')).toThrow(/no synchronous calls/);
    expect(await client.incr('x')).toBe(1);
  });
});

describe('bad input', () => {
  it('a client that writes a malformed frame into its ring is dropped; others are served', async () => {
    const bad = await connect(server.handle());
    const badId = await bad.call('CLIENT', 'ID');
    const other = spawn('incr-worker.mjs', { handle: server.handle(), key: 'bad:other', count: 2000, mode: 'async', burst: 20 });
    const otherDone = nextMessage<{ done: boolean }>(other, 'the other worker', 30_000);
    // Reach into the transport: its private request ring and doorbell.
    const transport = bad.transport as unknown as {
      requests: { write(b: Uint8Array): number };
      ringDoorbell(): void;
    };
    expect(transport.requests.write(Buffer.from('*2\r\n$4\r\nPING\r\n$-7\r\n'))).toBe(19);
    transport.ringDoorbell();
    // A call behind the garbage: the owner answers the protocol error and closes.
    const err = await within(bad.ping().catch((e: unknown) => e), 5000, 'the bad client\'s call to settle');
    // The error reply to the garbage is the first reply, so it answers the call behind it.
    expect(err).toBeInstanceOf(ReplyError);
    expect((err as Error).message).toBe('ERR Protocol error: invalid bulk length');
    await expect(within(bad.ping(), 5000, 'a call on the dropped client')).rejects.toThrow(/closed/);
    expect(() => bad.sync.ping()).toThrow(/closed/);
    await until(async () => !(await clientList(db)).some((c) => c.id === String(badId)), 'the bad client leaves CLIENT LIST');
    expect(await otherDone).toEqual({ done: true, last: expect.any(Number) });
    expect(await db.get('bad:other')).toBe('2000');
    expect(await db.ping()).toBe('PONG');
    await bad.close();
  });

  it('a handle passed to another process fails clearly there', async () => {
    const child = fork(fixture('other-process.mjs'), { execArgv: cleanExecArgv(), stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    try {
      const reply = await within(new Promise<{ ok: boolean; message?: string }>((resolve, reject) => {
        child.once('message', (m) => resolve(m as { ok: boolean; message?: string }));
        child.once('error', reject);
        child.once('exit', (code) => reject(new Error(`child exited (code ${code}) without an answer`)));
        // JSON serialization: the SharedArrayBuffer cannot cross a process boundary at all.
        child.send(server.handle());
      }), 15_000, 'the other process');
      expect(reply.ok).toBe(false);
      expect(reply.message).toContain(`belongs to process ${process.pid}`);
      expect(reply.message).toMatch(/another process|only in the threads of the process/);
    } finally {
      child.kill();
    }
  });

  it('maxclients refuses extra thread clients with a clear error', async () => {
    const [, original] = (await db.call('CONFIG', 'GET', 'maxclients')) as [string, string];
    const count = (await clientList(db)).length;
    await db.call('CONFIG', 'SET', 'maxclients', String(count));
    try {
      await expect(within(connect(server.handle()), 5000, 'connect over maxclients'))
        .rejects.toThrow('nodis: the store refused the connection: max number of clients reached');
      expect(() => connectSync(server.handle())).toThrow('max number of clients reached');
      const w = spawn('connect-worker.mjs', { handle: server.handle() });
      expect(await nextMessage(w, 'a worker connecting over maxclients')).toEqual({
        ok: false, message: 'nodis: the store refused the connection: max number of clients reached',
      });
      // Existing clients are unaffected.
      expect(await db.ping()).toBe('PONG');
    } finally {
      await db.call('CONFIG', 'SET', 'maxclients', original);
    }
    const w = spawn('connect-worker.mjs', { handle: server.handle() });
    expect(await nextMessage(w, 'a worker connecting under maxclients')).toEqual({ ok: true, pong: 'PONG' });
  });
});

describe('a stopped owner', () => {
  it('fails pending, sync and new calls with a clear error instead of hanging', async () => {
    const doomed = await startServer({ config: serverConfig, logLevel: 'nothing' });
    const handle = doomed.handle();
    const c = await connect(handle);
    const watcher = await connect(handle);
    let closed = false;
    try {
      const id = await c.call('CLIENT', 'ID');
      const pending = c.blpop('never', '0');
      const settled = pending.then(() => 'resolved', (e: unknown) => e);
      await until(async () => (await clientList(watcher)).some((x) => x.id === String(id) && x.cmd === 'blpop'), 'the BLPOP is blocked');
      // A worker blocked in a sync BLPOP, too: its Atomics.wait must end with an error.
      const w = spawn('sync-worker.mjs', { handle, key: 'never-sync', mode: 'blpop' });
      const { id: wid } = await nextMessage<{ id: number }>(w, 'the sync waiter connecting');
      await until(async () => (await clientList(watcher)).some((x) => x.id === String(wid) && x.cmd === 'blpop'), 'the sync BLPOP is blocked');
      const workerFailed = within(new Promise<Error>((resolve, reject) => {
        w.once('error', resolve);
        w.once('message', (m) => reject(new Error(`the sync BLPOP answered ${JSON.stringify(m)}`)));
        w.once('exit', (code) => reject(new Error(`the worker exited (${code}) without an error`)));
      }), 5000, 'the worker\'s sync BLPOP to fail');
      await doomed.close();
      closed = true;
      expect((await workerFailed).message).toMatch(/store has stopped|closed/);
      const err = await within(settled, 5000, 'the pending BLPOP to fail');
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(/store has stopped|connection is closed|closed the connection/);
      expect(() => c.sync.ping()).toThrow(/stopped|closed/);
      await expect(within(c.ping(), 5000, 'an async call after close')).rejects.toThrow(/stopped|closed/);
      await expect(within(connect(handle), 5000, 'connect to a stopped store')).rejects.toThrow('nodis: the store behind this handle has stopped');
      expect(() => connectSync(handle)).toThrow('stopped');
    } finally {
      await c.close();
      await watcher.close();
      if (!closed) await doomed.close();
    }
  });
});

describe('hosting', () => {
  it("a store only threads use: portZero 'off' opens no TCP port (redis-server's --port 0)", async () => {
    const threadsOnly = await startServer({ config: { ...serverConfig, port: '0', unixsocket: '' }, portZero: 'off', logLevel: 'nothing' });
    try {
      expect(threadsOnly.port).toBe(0);
      const db = await connect(threadsOnly.handle());
      try {
        expect(await db.incr('n')).toBe(1);
        expect(await db.call('CONFIG', 'GET', 'port')).toEqual(['port', '0']);
      } finally {
        await db.close();
      }
    } finally {
      await threadsOnly.close();
    }
  });
});
