import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type Nodis } from '@nodis/client';
import { startServer, type NodisServer } from '@nodis/server';
import { redisAvailable, startRedis, type RedisProcess } from './helpers/redis.js';
// The recipes are plain .mjs modules (users copy them); the test uses them as they are.
import { acquireLock, releaseLock, withLock, LockTimeoutError } from '../examples/recipes/lock.mjs';
import { acquirePermit, releasePermit } from '../examples/recipes/semaphore.mjs';
import { reapDeadWorkers } from '../examples/recipes/queue.mjs';
import { getConfig } from '../examples/recipes/config.mjs';

/**
 * The coordination recipes of examples/recipes/, each hammered by REAL child processes
 * (child_process.fork, plain Node against the built @nodis/client) that share one server over
 * all three ways in from another process: RESP over TCP (redis://), RESP over the Unix socket
 * (redis+unix://) and the native protocol over the native socket (unix://). The same scenarios
 * (the same fixtures, another URL) run again against a real redis-server: the recipes are
 * Redis-portable.
 *
 * Every wait is bounded: children report over IPC within a deadline, and a child still running
 * when the file ends is killed.
 */

const fixture = (name: string): string => fileURLToPath(new URL(`./recipes/${name}`, import.meta.url));

// Messages a fixture sends: { ready } at its start line, { error } when it fails, then its result.
type Message = Record<string, unknown>;

interface Child {
  proc: ChildProcess;
  messages: Message[];
  stderr: () => string;
  /** The next message with this property (already received or still to come), within ms. */
  next(prop: string, ms?: number): Promise<Message>;
  /** The exit code (null when killed) and signal, within ms. */
  exit(ms?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children = new Set<ChildProcess>();
/** After a failed test its children may still run: kill them before their server goes away. */
function killLeftovers(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
afterAll(killLeftovers);

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms); });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function spawn(name: string, args: (string | number)[]): Child {
  // Plain Node: vitest's execArgv and NODE_OPTIONS carry `--conditions source`, under which
  // Node would load the packages' .ts sources instead of dist/.
  const proc = fork(fixture(name), args.map(String), {
    execArgv: [], env: { ...process.env, NODE_OPTIONS: '' }, stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  children.add(proc);
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const messages: Message[] = [];
  const waiters: (() => void)[] = [];
  proc.on('message', (m) => {
    messages.push(m as Message);
    for (const w of waiters.splice(0)) w();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.once('exit', (code, signal) => {
      children.delete(proc);
      for (const w of waiters.splice(0)) w();
      resolve({ code, signal });
    });
  });
  const describeChild = (): string => `${name} ${args.join(' ')}`;
  return {
    proc,
    messages,
    stderr: () => err,
    next(prop, ms = 15_000) {
      let from = 0;
      return within(new Promise<Message>((resolve, reject) => {
        const look = (): void => {
          const i = messages.findIndex((m, j) => j >= from && (prop in m || 'error' in m));
          if (i >= 0) {
            from = i + 1;
            const m = messages[i]!;
            return 'error' in m && !(prop in m) ? reject(new Error(`${describeChild()} failed: ${String(m.error)}`)) : resolve(m);
          }
          if (proc.exitCode !== null || proc.signalCode !== null) return reject(new Error(`${describeChild()} exited without '${prop}'; stderr:\n${err}`));
          waiters.push(look);
        };
        look();
      }), ms, `'${prop}' from ${describeChild()}`);
    },
    exit: (ms = 15_000) => within(exited, ms, `exit of ${describeChild()}`),
  };
}

/** Starts children, waits until all are at their start line, then releases them together. */
async function startTogether(db: Nodis, goKey: string, kids: Child[]): Promise<void> {
  await Promise.all(kids.map((k) => k.next('ready')));
  await db.rpush(goKey, ...kids.map(() => 'go'));
}

/** Waits for every child's result message and a clean exit; returns the results. */
async function results(kids: Child[], prop: string, ms = 25_000): Promise<Message[]> {
  const out = await Promise.all(kids.map((k) => k.next(prop, ms)));
  for (const k of kids) expect(await k.exit(), k.stderr()).toEqual({ code: 0, signal: null });
  return out;
}

// ─── the scenarios, run against any server by URL ────────────────────────────────────────────

async function counterScenario(db: Nodis, urls: string[]): Promise<void> {
  const M = 250;
  const kids = urls.map((url) => spawn('counter-worker.mjs', [url, 'counter', M]));
  await startTogether(db, 'counter:go', kids);
  const added = await results(kids, 'added');
  expect(added.map((m) => m.added)).toEqual([4 * M, 4 * M, 4 * M, 4 * M]);
  // Exact: 4 processes x (M INCR one by one + M INCR at once + M INCRBY 2 in pipelines).
  expect(await db.get('counter')).toBe(String(4 * 4 * M));
}

async function lockScenario(db: Nodis, urls: string[]): Promise<void> {
  const ROUNDS = 30;
  const kids = urls.map((url) => spawn('lock-worker.mjs', [url, 'lock', ROUNDS]));
  await startTogether(db, 'lock:go', kids);
  const done = await results(kids, 'retries');
  // Nobody was ever inside with another holder, and no read-modify-write was lost.
  expect(await db.lrange('lock:violations', 0, -1)).toEqual([]);
  expect(await db.get('lock:balance')).toBe(String(urls.length * ROUNDS));
  expect(await db.get('lock:inside')).toBe('0');
  expect(await db.exists('lock')).toBe(0);
  // The processes did contend (otherwise exclusion was never put to the test).
  expect(done.reduce((n, m) => n + Number(m.retries), 0)).toBeGreaterThan(0);
}

async function semaphoreScenario(db: Nodis, urls: string[]): Promise<void> {
  const PERMITS = 2;
  const ROUNDS = 25;
  const kids = urls.map((url) => spawn('semaphore-worker.mjs', [url, 'sem', PERMITS, ROUNDS]));
  await startTogether(db, 'sem:go', kids);
  const done = await results(kids, 'maxInside');
  expect(await db.lrange('sem:violations', 0, -1)).toEqual([]);
  const maxInside = Math.max(...done.map((m) => Number(m.maxInside)));
  expect(maxInside).toBeLessThanOrEqual(PERMITS);
  // ...and it is a semaphore, not a lock in disguise: PERMITS holders did overlap.
  expect(maxInside).toBe(PERMITS);
  expect(await db.get('sem:inside')).toBe('0');
  expect(await db.zcard('sem')).toBe(0);
}

async function queueCrashScenario(db: Nodis, urls: string[]): Promise<void> {
  const JOBS = 150;
  const workers = [
    spawn('queue-worker.mjs', [urls[0]!, 'q2', 'w1']),
    spawn('queue-worker.mjs', [urls[1]!, 'q2', 'w2']),
    spawn('queue-worker.mjs', [urls[2]!, 'q2', 'victim', 3]),
  ];
  const [w1, w2, victim] = workers as [Child, Child, Child];
  await Promise.all(workers.map((w) => w.next('ready')));
  for (let i = 0; i < JOBS; i += 30) await db.lpush('q2:pending', ...Array.from({ length: 30 }, (_, j) => `job-${i + j}`));
  // The victim did its 3rd job (counted in q2:done) and dies before acknowledging it.
  const crashed = String((await victim.next('crashing')).crashing);
  victim.proc.kill('SIGKILL');
  expect(await victim.exit()).toEqual({ code: null, signal: 'SIGKILL' });
  expect(await db.lrange('q2:processing:victim', 0, -1)).toEqual([crashed]);
  // Wait until every job is done AND the crashed one was done again: once its heartbeat
  // (ttl 1 s) expires, a surviving worker's reaper moves it back to q2:pending.
  const events = await collectEvents(db, 'q2', JOBS, (seen) => (seen.get(crashed) ?? 0) >= 2);
  for (const w of [w1, w2]) w.proc.send('stop');
  await results([w1, w2], 'handled');
  // At least once: every job is done; the only one done twice is the job whose worker died
  // between doing it and acknowledging it (the survivors never stalled past their ttl).
  const done = await db.hgetall('q2:done') as Record<string, string>;
  expect(Object.keys(done).length).toBe(JOBS);
  expect(Object.entries(done).filter(([, n]) => n !== '1')).toEqual([[crashed, '2']]);
  expect(events.length).toBe(JOBS + 1);
  await expectQueueEmpty(db, 'q2');
}

async function configScenario(db: Nodis, urls: string[]): Promise<void> {
  const K = 40;
  // Writers on urls 0 and 2, readers on 1 and 3: on nodis, each role over two transports.
  const writers = [0, 1].map((id) => spawn('config-worker.mjs', [urls[2 * id]!, 'cfg', 'writer', id, K]));
  const readers = [1, 3].map((i) => spawn('config-worker.mjs', [urls[i]!, 'cfg', 'reader', 2 * K]));
  await startTogether(db, 'cfg:go', [...writers, ...readers]);
  const written = await results(writers, 'versions');
  // Each HINCRBY _version answered a distinct number: together exactly 1..2K.
  expect(written.flatMap((m) => m.versions as number[]).sort((a, b) => a - b)).toEqual(Array.from({ length: 2 * K }, (_, i) => i + 1));
  const final = await getConfig(db, 'cfg');
  expect(final.version).toBe(2 * K);
  expect(final.values).toMatchObject({ w0: String(K), w1: String(K) });
  for (const r of await results(readers, 'seen')) {
    const seen = r.seen as number[];
    // Versions only move forward, and the reader ends on the last one with the last values.
    expect(seen.every((v, i) => i === 0 || v > seen[i - 1]!)).toBe(true);
    expect(r.last).toEqual(final);
  }
}

// ─── nodis ───────────────────────────────────────────────────────────────────────────────────

describe('coordination recipes, forked processes, nodis (TCP, resp Unix socket, native socket)', () => {
  let dir: string;
  let server: NodisServer;
  let db: Nodis;
  let urls: string[];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'nodis-recipes-'));
    server = await startServer({ config: { port: '0', unixsocket: 'nodis.sock', nativesocket: 'native.sock', dir }, logLevel: 'nothing' });
    const tcp = `redis://127.0.0.1:${server.port}`;
    const unix = `redis+unix://${server.unixsocket}`;
    const native = `unix://${server.nativesocket}`;
    // Every scenario mixes the three transports on the same keys (one store, whichever way in):
    // scenarios of 4 run TCP, resp Unix, native, native; those of 3 one of each (urls[0..2]).
    urls = [tcp, unix, native, native];
    db = await connect(tcp);
  });

  afterAll(async () => {
    killLeftovers();
    await db?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counter: 4 processes INCR/INCRBY the same key, the total is exact', async () => {
    await counterScenario(db, urls);
  });

  it('lock: 4 processes, SET NX PX + release; never two holders, no lost read-modify-write', async () => {
    await lockScenario(db, urls);
  });

  it("lock: a holder killed with SIGKILL keeps the lock only until its PX lease ends", async () => {
    // The holder over the native socket, the waiter (this process) over TCP.
    const holder = spawn('lock-worker.mjs', [urls[2]!, 'lock:dead', 'hold', 800]);
    const { held } = await holder.next('held');
    expect(await db.get('lock:dead')).toBe(held);
    expect(await acquireLock(db, 'lock:dead', 800)).toBeNull();
    holder.proc.kill('SIGKILL');
    expect(await holder.exit()).toEqual({ code: null, signal: 'SIGKILL' });
    // Once the lease ends, the next process gets the lock (bounded wait: timeoutMs).
    const got = await withLock(db, 'lock:dead', 1000, async (lock: { token: string }) => {
      expect(await db.get('lock:dead')).toBe(lock.token);
      return 'ran';
    }, { timeoutMs: 10_000, retryMaxMs: 50 });
    expect(got).toBe('ran');
    expect(await db.exists('lock:dead')).toBe(0);
  });

  it('lock: withLock gives up at its deadline; release never deletes another holder\'s token', async () => {
    const mine = await acquireLock(db, 'lock:busy', 10_000);
    expect(mine).not.toBeNull();
    await expect(withLock(db, 'lock:busy', 1000, async () => 'never', { timeoutMs: 50 })).rejects.toBeInstanceOf(LockTimeoutError);
    // Someone else's lock under the same key (ours was lost): release answers 'lost', keeps theirs.
    await db.set('lock:busy', 'someone-else');
    expect(await releaseLock(db, mine)).toBe('lost');
    expect(await db.get('lock:busy')).toBe('someone-else');
    // A lease too close to its end is left to expire rather than raced: nothing is deleted.
    const short = (await acquireLock(db, 'lock:short', 10_000))!;
    expect(await releaseLock(db, { ...short, remainingMs: () => 10 })).toBe('expiring');
    expect(await db.get('lock:short')).toBe(short.token);
    expect(await releaseLock(db, short)).toBe('released');
    expect(await db.exists('lock:short')).toBe(0);
  });

  it('semaphore: 4 processes, 2 permits; never more than 2 inside, and 2 do overlap', async () => {
    await semaphoreScenario(db, urls);
  });

  it('semaphore: why ZCARD and not ZRANK: a late ZADD with an earlier score must not get in', async () => {
    // Holder A is inside with 1 permit. B asked for a shorter lease (or read its clock earlier),
    // so its score is lower, but its ZADD arrives later.
    await db.zadd('sem:why', Date.now() + 60_000, 'A');
    await db.zadd('sem:why', Date.now() + 30_000, 'B');
    // The ZRANK rule ("rank < permits → in") would admit B beside A with 1 permit:
    expect(await db.zrank('sem:why', 'B')).toBe(0);
    await db.zrem('sem:why', 'B');
    // The recipe counts heads instead, so B backs off whatever its score.
    expect(await acquirePermit(db, 'sem:why', 1, 1)).toBeNull();
    expect(await db.zrange('sem:why', 0, -1)).toEqual(['A']);
    // When A leaves, a newcomer gets the permit; an expired lease does not hold one.
    await db.zrem('sem:why', 'A');
    const p = await acquirePermit(db, 'sem:why', 1, 30_000);
    expect(p).not.toBeNull();
    await db.zadd('sem:why', Date.now() - 1, 'dead-holder');
    expect(await releasePermit(db, p)).toBe('released');
    expect(await acquirePermit(db, 'sem:why', 1, 30_000)).not.toBeNull();
    expect(await db.zscore('sem:why', 'dead-holder')).toBeNull();
  });

  it('work queue: 3 worker processes, every job done exactly once, nothing left over', async () => {
    const JOBS = 150;
    const workers = ['w1', 'w2', 'w3'].map((w, i) => spawn('queue-worker.mjs', [urls[i]!, 'q1', w]));
    await Promise.all(workers.map((w) => w.next('ready')));
    for (let i = 0; i < JOBS; i += 30) await db.lpush('q1:pending', ...Array.from({ length: 30 }, (_, j) => `job-${i + j}`));
    const events = await collectEvents(db, 'q1', JOBS, () => true);
    for (const w of workers) w.proc.send('stop');
    const handled = await results(workers, 'handled');
    expect(handled.reduce((n, m) => n + Number(m.handled), 0)).toBe(JOBS);
    expect(events.length).toBe(JOBS);
    const done = await db.hgetall('q1:done') as Record<string, string>;
    expect(Object.keys(done).length).toBe(JOBS);
    expect(Object.entries(done).filter(([, n]) => n !== '1')).toEqual([]);
    await expectQueueEmpty(db, 'q1');
  });

  it('work queue: a worker killed with SIGKILL mid-job; the reaper re-queues its job: at least once, every job done', async () => {
    await queueCrashScenario(db, urls);
  });

  it('work queue: the reaper leaves live workers alone and moves every job of a dead one', async () => {
    await db.lpush('q3:pending', 'waiting');
    await db.set('q3:alive:live', '1', 'PX', 60_000);
    await db.lpush('q3:processing:live', 'a');
    await db.lpush('q3:processing:dead', 'b', 'c', 'd');
    expect((await reapDeadWorkers(db, 'q3')).sort()).toEqual(['b', 'c', 'd']);
    expect(await db.lrange('q3:processing:live', 0, -1)).toEqual(['a']);
    expect(await db.exists('q3:processing:dead')).toBe(0);
    // Re-queued at the end that take() serves first: ahead of the job that was waiting.
    const pending = await db.lrange('q3:pending', 0, -1) as string[];
    expect(pending[0]).toBe('waiting');
    expect(pending.slice(1).sort()).toEqual(['b', 'c', 'd']);
  });

  it('shared config: 2 writer processes, 2 watching readers; readers end on the final version and values', async () => {
    await configScenario(db, urls);
  });
});

/**
 * Reads the workers' done-events (BLPOP on `queue:events`, bounded) until every job was seen
 * once and `until(counts)` holds; returns them all. Each BLPOP waits at most 5 s, the whole at
 * most 20 s: a lost job fails the test instead of hanging it.
 */
async function collectEvents(db: Nodis, queue: string, jobs: number, until: (seen: Map<string, number>) => boolean): Promise<string[]> {
  const seen = new Map<string, number>();
  const events: string[] = [];
  const deadline = Date.now() + 20_000;
  while (seen.size < jobs || !until(seen)) {
    if (Date.now() > deadline) throw new Error(`only ${seen.size} of ${jobs} jobs done within 20 s`);
    const r = await db.blpop(`${queue}:events`, 5) as [string, string] | null;
    if (r === null) throw new Error(`no job done for 5 s (${seen.size} of ${jobs} so far)`);
    events.push(r[1]);
    seen.set(r[1], (seen.get(r[1]) ?? 0) + 1);
  }
  // Events still queued (none expected) count too.
  events.push(...await db.lrange(`${queue}:events`, 0, -1) as string[]);
  return events;
}

async function expectQueueEmpty(db: Nodis, queue: string): Promise<void> {
  expect(await db.llen(`${queue}:pending`)).toBe(0);
  expect(await db.call('SCAN', '0', 'MATCH', `${queue}:processing:*`, 'COUNT', 1000)).toEqual(['0', []]);
  expect(await db.llen(`${queue}:failed`)).toBe(0);
}

// ─── real Redis: the same fixtures, another URL ──────────────────────────────────────────────

describe.skipIf(!redisAvailable)('coordination recipes, forked processes, redis-server (portability)', () => {
  let redis: RedisProcess;
  let db: Nodis;
  let urls: string[];

  beforeAll(async () => {
    redis = await startRedis();
    const url = `redis://127.0.0.1:${redis.port}`;
    urls = [url, url, url, url];
    db = await connect(url);
  });

  afterAll(async () => {
    killLeftovers();
    await db?.close();
    await redis?.stop();
  });

  it('counter: the total is exact on Redis too', async () => {
    await counterScenario(db, urls);
  });

  it('lock: excludes on Redis too', async () => {
    await lockScenario(db, urls);
  });

  it('semaphore: never more than 2 inside on Redis too', async () => {
    await semaphoreScenario(db, urls);
  });

  it('work queue: at least once, every job done, with a worker killed mid-job, on Redis too', async () => {
    await queueCrashScenario(db, urls);
  });

  it('shared config: readers end on the final version on Redis too', async () => {
    await configScenario(db, urls);
  });
});
