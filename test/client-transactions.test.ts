import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, ReplyError } from '@nodis/client';
import { startServer, type NodisServer } from '@nodis/server';
import { transportTargets, useTransports, type Target } from './helpers/transports.js';

/**
 * Transactions through the client API over every transport (memory, thread, socket,
 * resp → nodis, resp → redis-server): db.multi() (MULTI … EXEC as one batch: results,
 * runtime errors without rollback, EXECABORT, blocking commands that do not block),
 * db.transaction() (WATCH, retry on conflict, its pool of connections), and the issue's
 * acceptance test: GET + SET increments under WATCH from 4 processes end at the exact total.
 */

useTransports();

const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';

describe.each(transportTargets())('transactions, %s transport', (_name, makeTarget) => {
  let target: Target;
  beforeAll(() => { target = makeTarget(); });

  it('multi().exec() runs the commands as one transaction and shapes each result', async () => {
    const db = await target.fresh();
    const results = await db.multi().set('a', '1').incr('a').get('a').hset('h', 'f', 'v').hgetall('h').getBuffer('a').exec();
    expect(results).toEqual(['OK', 2, '2', 1, { f: 'v' }, Buffer.from('2')]);
    expect(Buffer.isBuffer(results![5])).toBe(true);
    expect(await db.multi().exec()).toEqual([]);
    const m = db.multi().incr('a');
    expect(m.length).toBe(1);
    expect(await m.exec()).toEqual([3]);
  });

  it('a command failing at run time fails alone: the others are applied (no rollback)', async () => {
    const db = await target.fresh();
    await db.set('s', 'abc');
    const results = await db.multi().incr('n').lpush('s', 'x').incr('n').exec();
    expect(results).toHaveLength(3);
    expect(results![0]).toBe(1);
    expect(results![1]).toBeInstanceOf(ReplyError);
    expect((results![1] as ReplyError).message).toBe(WRONGTYPE);
    expect(results![2]).toBe(2);
    expect(await db.get('n')).toBe('2');
    expect(await db.get('s')).toBe('abc');
  });

  it('a command refused while queued aborts the whole transaction with EXECABORT', async () => {
    const db = await target.fresh();
    const err = await db.multi().set('a', '1').call('NOPE', 'x').incr('a').exec().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplyError);
    expect((err as ReplyError).message).toBe('EXECABORT Transaction discarded because of previous errors.');
    expect(((err as ReplyError).cause as ReplyError).message).toMatch(/^ERR unknown command 'NOPE'/);
    expect(await db.get('a')).toBeNull();
    // Wrong arity is refused while queued too.
    await expect(db.multi().set('a', '1').call('GET').exec()).rejects.toThrow(/^EXECABORT/);
    // The connection is usable afterwards (not left inside MULTI).
    expect(await db.incr('after')).toBe(1);
  });

  it('blocking commands inside a multi do not block', async () => {
    const db = await target.fresh();
    const results = await db.multi().blpop('empty', 0).rpush('l', 'a').blpop('l', 0).brpoplpush('empty', 'x', 0).exec();
    expect(results).toEqual([null, 1, ['l', 'a'], null]);
  });

  it('EXEC answers null when a WATCHed key changed (a connection of its own)', async () => {
    const db = await target.fresh();
    const other = await target.another();
    await db.set('w', '1');
    // This client's connection is this test's alone: a raw WATCH on it is safe here.
    expect(await db.call('WATCH', 'w')).toBe('OK');
    await other.set('w', '2');
    expect(await db.multi().set('w', 'mine').exec()).toBeNull();
    expect(await db.get('w')).toBe('2');
    // EXEC unwatched it: the next transaction runs.
    expect(await db.multi().set('w', 'mine').exec()).toEqual(['OK']);
  });

  it('transaction() watches, runs the callback again after a conflict, and returns EXEC\'s results', async () => {
    const db = await target.fresh();
    const other = await target.another();
    await db.set('balance', '100');
    let runs = 0;
    const results = await db.transaction(['balance'], async (tx) => {
      runs++;
      const balance = Number(await tx.get('balance'));
      // Someone else writes between our read and our EXEC, the first time only.
      if (runs === 1) await other.incrby('balance', 5);
      return tx.multi().set('balance', String(balance - 30)).get('balance');
    });
    expect(runs).toBe(2);
    expect(results).toEqual(['OK', '75']);
    expect(await db.get('balance')).toBe('75');
  });

  it('transaction() gives up after its retries with a clear error', async () => {
    const db = await target.fresh();
    const other = await target.another();
    let runs = 0;
    const err = await db.transaction('hot', async (tx) => {
      runs++;
      await other.incr('hot');
      return tx.multi().set('hot', 'never');
    }, { retries: 2 }).catch((e: unknown) => e);
    expect(runs).toBe(3);
    expect(String(err)).toMatch(/gave up after 3 attempts: a watched key \("hot"\) changed/);
    expect(await db.get('hot')).toBe('3');
  });

  it('a callback that returns nothing or throws leaves no watch behind; the connection is reused', async () => {
    const db = await target.fresh();
    const other = await target.another();
    const ids = new Set<unknown>();
    expect(await db.transaction(['k'], async (tx) => { ids.add(await tx.client('ID')); })).toBeNull();
    await other.set('k', 'changed');
    // Had 'k' stayed watched on the pooled connection, this EXEC would answer nil (and, with
    // no retries, reject).
    expect(await db.transaction([], async (tx) => {
      ids.add(await tx.client('ID'));
      return tx.multi().set('x', '1');
    }, { retries: 0 })).toEqual(['OK']);
    await expect(db.transaction(['k'], async (tx) => {
      ids.add(await tx.client('ID'));
      throw new Error('changed my mind');
    })).rejects.toThrow('changed my mind');
    await other.set('k', 'again');
    expect(await db.transaction([], async (tx) => {
      ids.add(await tx.client('ID'));
      await tx.watch('late');
      expect(await tx.get('k')).toBe('again');
      return tx.multi().incr('y');
    }, { retries: 0 })).toEqual([1]);
    // One connection served them all, and it is not the client's own.
    expect(ids.size).toBe(1);
    expect(ids.has(await db.client('ID'))).toBe(false);
    // Transactions run concurrently each get a connection of their own.
    const concurrent = await Promise.all([1, 2, 3].map((i) => db.transaction([`c${i}`], async (tx) => tx.multi().set(`c${i}`, String(i)))));
    expect(concurrent).toEqual([['OK'], ['OK'], ['OK']]);
  });

  it('transaction() follows the client\'s SELECT; a callback\'s SELECT stays in its transaction', async () => {
    const db = await target.fresh();
    await db.select(1);
    await db.set('k', 'one');
    expect(await db.transaction(['k'], async (tx) => tx.multi().get('k').set('k', 'two'))).toEqual(['one', 'OK']);
    expect(await db.get('k')).toBe('two');
    await db.select(0);
    expect(await db.transaction(['k'], async (tx) => tx.multi().get('k'))).toEqual([null]);
    expect(await db.transaction([], async (tx) => {
      await tx.select(1);
      return tx.multi().get('k');
    })).toEqual(['two']);
    expect(await db.transaction([], async (tx) => tx.multi().get('k'))).toEqual([null]);
  });

  it('transaction() refuses a multi that is not its tx\'s, or already executed, and nesting', async () => {
    const db = await target.fresh();
    await expect(db.transaction(['k'], async () => db.multi().set('k', 'v'))).rejects.toThrow(/returns tx\.multi\(\)/);
    await expect(db.transaction(['k'], async (tx) => {
      const m = tx.multi().set('k', 'v');
      await m.exec();
      return m;
    })).rejects.toThrow(/executed its multi itself/);
    await expect(db.transaction(['k'], async (tx) => {
      await tx.transaction();
      return undefined;
    })).rejects.toThrow(/do not nest/);
    await expect(db.transaction(['k'], async (tx) => { await tx.close(); })).rejects.toThrow(/closed by db\.transaction/);
  });

  it('transaction() results reject with EXECABORT when a queued command is refused', async () => {
    const db = await target.fresh();
    await expect(db.transaction(['k'], async (tx) => tx.multi().set('k', 'v').call('NOPE'))).rejects.toThrow(/^EXECABORT/);
    expect(await db.get('k')).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures-pubsub/${name}`, import.meta.url));

describe('check-and-set from several processes', () => {
  let server: NodisServer;
  let dir: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'nodis-cas-'));
    server = await startServer({ config: { port: '0', unixsocket: 'resp.sock', nativesocket: 'native.sock', dir }, logLevel: 'nothing' });
  });

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('WATCH/MULTI/EXEC retry loops from 4 processes incrementing by GET + SET end at exactly 4N', async () => {
    const n = 250;
    const key = 'cas:counter';
    const jobs = [
      { target: `unix://${server.nativesocket}`, raw: false },
      { target: `redis://127.0.0.1:${server.port}`, raw: false },
      { target: `redis+unix://${server.unixsocket}`, raw: true },
      { target: `unix://${server.nativesocket}`, raw: true },
    ];
    const messages = jobs.map((job) => {
      const c = fork(fixture('peer.mjs'), [JSON.stringify({ role: 'cas', key, count: n, ...job })], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      children.push(c);
      const inbox: unknown[] = [];
      const waiting: ((m: unknown) => void)[] = [];
      c.on('message', (m) => { const w = waiting.shift(); if (w) w(m); else inbox.push(m); });
      const exited = new Promise<number | null>((r) => c.once('exit', r));
      const next = <T>(what: string): Promise<T> => new Promise<T>((resolve, reject) => {
        if (inbox.length !== 0) return resolve(inbox.shift() as T);
        const timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), 90_000);
        waiting.push((m) => { clearTimeout(timer); resolve(m as T); });
        void exited.then((code) => { clearTimeout(timer); reject(new Error(`a cas child exited (code ${code}) before ${what}`)); });
      });
      return { c, next, exited };
    });
    await Promise.all(messages.map((m) => m.next('ready')));
    // All start together, so their loops contend.
    for (const m of messages) m.c.send('go');
    const reports = await Promise.all(messages.map((m) => m.next<{ attempts: number }>('the increments')));
    for (const r of reports) expect(r.attempts).toBeGreaterThanOrEqual(n);
    const db = await connect(`redis://127.0.0.1:${server.port}`);
    try {
      expect(await db.get(key)).toBe(String(4 * n));
    } finally {
      await db.close();
    }
    expect(await Promise.all(messages.map((m) => m.exited))).toEqual([0, 0, 0, 0]);
  }, 120_000);
});
