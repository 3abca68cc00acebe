import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createTestEngine, describeValue, type EngineHarness } from '../testing.js';
import type { Client } from '../client.js';
import type { Engine } from '../engine.js';
import type { Value } from '../keyspace.js';
import { CapturingWriter, type Reply } from '../reply.js';
import { ListValue } from '../types/list.js';
import { SnapshotReader, type SnapshotSource } from './snapshot-format.js';
import { SnapshotJob, loadSnapshotRecords } from './snapshot-job.js';

/**
 * Copy-on-write by key: a SnapshotJob started at T0 writes the data set of T0 although
 * commands change it between its slices — in place, by RENAME/MOVE/COPY across databases,
 * SWAPDB, FLUSHDB/FLUSHALL, blocked clients served later, and expiry. The one allowed
 * difference: a key whose TTL has passed by the end may be missing (loading would drop it).
 */

const NAME = 'bgsave.nds';

// ---------------------------------------------------------------- the data set, canonical

/**
 * A string's bytes; for a HyperLogLog, with its cached cardinality (bytes 8..15) left out:
 * PFCOUNT is a read command (the guard does not run) that stores the cache in the value, so a
 * key the walk reaches later is written with the cache filled in — the same registers, and
 * the cache is exactly their cardinality, so the loaded HLL counts the same.
 */
function maskHllCache(s: string): string {
  return s.startsWith('HYLL') && s.length >= 16 ? `${s.slice(0, 8)}<cache>${s.slice(16)}` : s;
}

function canon(v: Value): string {
  return describeValue(v, maskHllCache);
}

interface Entry { value: string; ttl: number | undefined }

/** Every db's keys, read from the shards' Maps directly (no lookup: nothing expires as we look). */
function state(engine: Engine): Map<string, Entry> {
  const out = new Map<string, Entry>();
  for (const db of engine.dbs) {
    for (const shard of db.shards) {
      for (const [key, v] of shard.data) out.set(`db${db.index} ${JSON.stringify(key)}`, { value: canon(v), ttl: shard.expires.get(key) });
    }
  }
  return out;
}

/**
 * The rule: every key of T0 is there with its T0 value and expiry, except that a key whose
 * expiry had passed by `end` may be missing; and nothing else is there.
 */
function expectStateOfT0(t0: Map<string, Entry>, loaded: Map<string, Entry>, end: number): { missing: number } {
  let missing = 0;
  for (const [key, entry] of t0) {
    const got = loaded.get(key);
    if (got === undefined) {
      expect(entry.ttl !== undefined && entry.ttl <= end, `${key} is missing, but its TTL (${entry.ttl}) had not passed at ${end}`).toBe(true);
      missing++;
      continue;
    }
    expect(got, key).toEqual(entry);
  }
  for (const key of loaded.keys()) expect(t0.has(key), `${key} was not there at T0`).toBe(true);
  return { missing };
}

interface Job { job: SnapshotJob; parts: Buffer[]; ticks: { t: number } }

/** A job whose clock moves 1 per reading: step(0.5) writes one check interval (64 records). */
function startJob(engine: Engine): Job {
  const parts: Buffer[] = [];
  const ticks = { t: 0 };
  const job = new SnapshotJob(engine, { write: (b) => { parts.push(b); }, server: 'test', now: () => ticks.t++ });
  job.attach();
  return { job, parts, ticks };
}

function finish({ job }: Job): void {
  let steps = 0;
  while (!job.step(0.5)) steps++;
  expect(steps).toBeLessThan(100_000);
}

/** Loads a finished job's file into a fresh engine (every record, none dropped). */
function load(parts: Buffer[]): { engine: Engine; loaded: number } {
  const file = Buffer.concat(parts);
  const src: SnapshotSource = { size: file.length, read: (p, n) => file.subarray(p, p + n) };
  const h = createTestEngine();
  const reader = new SnapshotReader(src, NAME);
  reader.readHeader();
  let loaded = 0;
  for (;;) {
    const at = reader.position;
    const block = reader.nextBlock();
    if (block === undefined) break;
    loaded += loadSnapshotRecords(h.engine, block, NAME, at);
  }
  return { engine: h.engine, loaded };
}

function runIn(h: EngineHarness, client: Client, writer: CapturingWriter, argv: string[]): Reply[] {
  h.engine.execute(client, argv);
  return writer.take();
}

/** Clients selected into each database. */
function clients(h: EngineHarness, n: number): { client: Client; writer: CapturingWriter; run(argv: string[]): Reply[] }[] {
  const out = [];
  for (let d = 0; d < n; d++) {
    const writer = new CapturingWriter();
    const client = h.engine.createClient({ reply: writer, kind: 'memory', addr: 'memory' });
    runIn(h, client, writer, ['SELECT', String(d)]);
    out.push({ client, writer, run: (argv: string[]) => runIn(h, client, writer, argv) });
  }
  return out;
}

// ---------------------------------------------------------------- a data set of every type

const TYPES = ['s', 'r', 'n', 'l', 'st', 'si', 'h', 'z', 'b', 'hl'] as const;
type KeyType = typeof TYPES[number];
const DBS = 3;
const ALL_BYTES = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('');

/** perType keys of each type in each of DBS databases; a quarter with short TTLs, a quarter long. */
function fill(h: EngineHarness, perType: number): void {
  const cs = clients(h, DBS);
  for (let d = 0; d < DBS; d++) {
    const run = (...argv: string[]) => { const r = cs[d]!.run(argv); expect(r[0]).not.toBeInstanceOf(Error); };
    for (let j = 0; j < perType; j++) {
      for (const t of TYPES) {
        const k = `${t}:${j}`;
        switch (t) {
          case 's': run('SET', k, j % 7 === 0 ? ALL_BYTES.slice(j % 200) : `v${j}@${d}`); break;
          case 'r': run('SET', k, 'raw'); run('APPEND', k, 'y'.repeat(40 + (j % 20))); break;
          case 'n': run('SET', k, String(j * 1000 - 7)); break;
          case 'l': run('RPUSH', k, 'a', 'b', ...Array.from({ length: j % 6 }, (_, i) => `e${i}`)); break;
          case 'st': run('SADD', k, 'x', 'y', `m${j}`); break;
          case 'si': run('SADD', k, '1', '2', String(j)); break;
          case 'h': run('HSET', k, 'f1', 'v1', 'f2', j % 10 === 0 ? 'w'.repeat(100) : 'v2'); break;
          case 'z': run('ZADD', k, '1', 'a', '2.5', 'b', '-inf', 'c', ...(j % 10 === 0 ? ['+inf', 'd'] : [])); break;
          case 'b': run('SETBIT', k, String(j * 8 + 1), '1'); break;
          case 'hl': run('PFADD', k, 'a', 'b', `c${j}`); break;
        }
        if (j % 4 === 0) run('PEXPIRE', k, String(50 + ((j * 37) % 3000)));
        if (j % 4 === 1) run('EXPIRE', k, '100000');
      }
    }
  }
  for (const c of cs) h.engine.removeClient(c.client);
}

// ---------------------------------------------------------------- random writes meanwhile

type Op =
  | { kind: 'cmd'; db: number; argv: string[] }
  | { kind: 'step'; budget: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'cron' }
  | { kind: 'block'; db: number; queue: string; dst: string }
  | { kind: 'push'; db: number; queue: string };

function opsArb(perType: number): fc.Arbitrary<Op[]> {
  const db = fc.integer({ min: 0, max: DBS - 1 });
  const idx = fc.integer({ min: 0, max: perType + 5 });
  const key = (t: KeyType) => idx.map((j) => `${t}:${j}`);
  const anyKey = fc.tuple(fc.constantFrom(...TYPES), idx).map(([t, j]) => `${t}:${j}`);
  const queue = fc.integer({ min: 0, max: 3 }).map((i) => `q:${i}`);
  const w = (weight: number, arbitrary: fc.Arbitrary<string[]>) => ({ weight, arbitrary });
  const argv = fc.oneof(
    w(3, key('s').map((k) => ['SET', k, 'new'])),
    w(1, fc.tuple(key('s'), fc.integer({ min: 1, max: 500 })).map(([k, ms]) => ['SET', k, 'px', 'PX', String(ms)])),
    w(3, anyKey.map((k) => ['DEL', k])),
    w(2, key('r').map((k) => ['APPEND', k, '+'])),
    w(2, key('r').map((k) => ['SETRANGE', k, '2', 'ZZ'])),
    w(2, key('n').map((k) => ['INCR', k])),
    w(2, key('l').map((k) => ['LPUSH', k, 'pushed'])),
    w(2, key('l').map((k) => ['LPOP', k])),
    w(2, fc.tuple(key('l'), key('l')).map(([a, b]) => ['RPOPLPUSH', a, b])),
    w(2, key('st').map((k) => ['SADD', k, 'new'])),
    w(1, key('si').map((k) => ['SADD', k, '99'])),
    w(2, key('si').map((k) => ['SREM', k, '1'])),
    w(2, key('st').map((k) => ['SPOP', k])),
    w(2, key('h').map((k) => ['HSET', k, 'f1', 'changed', 'f3', 'x'.repeat(80)])),
    w(2, key('h').map((k) => ['HDEL', k, 'f1'])),
    w(2, key('z').map((k) => ['ZADD', k, '5', 'a', '+inf', 'b'])),
    w(2, key('z').map((k) => ['ZREM', k, 'b'])),
    w(2, fc.tuple(key('z'), key('z'), key('z')).map(([d, a, b]) => ['ZUNIONSTORE', d, '2', a, b])),
    w(3, fc.tuple(anyKey, anyKey).map(([a, b]) => ['RENAME', a, b])),
    w(3, fc.tuple(anyKey, db).map(([k, d]) => ['MOVE', k, String(d)])),
    w(3, fc.tuple(anyKey, anyKey, db, fc.boolean()).map(([a, b, d, r]) => ['COPY', a, b, 'DB', String(d), ...(r ? ['REPLACE'] : [])])),
    w(1, fc.tuple(db, db).map(([a, b]) => ['SWAPDB', String(a), String(b)])),
    w(2, anyKey.map((k) => ['EXPIRE', k, '1'])),
    w(2, anyKey.map((k) => ['PERSIST', k])),
    w(2, key('b').map((k) => ['SETBIT', k, '3', '1'])),
    w(2, key('hl').map((k) => ['PFADD', k, 'zz', 'yy'])),
    w(2, key('hl').map((k) => ['PFCOUNT', k])),
    w(1, fc.tuple(key('st'), key('st')).map(([a, b]) => ['SMOVE', a, b, 'x'])),
    w(1, fc.tuple(key('s'), key('s')).map(([a, b]) => ['MSET', a, 'm1', b, 'm2'])),
    w(1, fc.tuple(key('b'), key('b'), key('b')).map(([d, a, b]) => ['BITOP', 'OR', d, a, b])),
    w(1, fc.tuple(key('hl'), key('hl')).map(([d, a]) => ['PFMERGE', d, a])),
    w(1, fc.tuple(key('l'), key('l')).map(([a, b]) => ['LMPOP', '2', a, b, 'LEFT', 'COUNT', '2'])),
    w(1, key('z').map((k) => ['ZMPOP', '1', k, 'MIN'])),
    w(1, fc.tuple(key('st'), key('st'), key('si')).map(([d, a, b]) => ['SUNIONSTORE', d, a, b])),
    w(1, fc.tuple(key('z'), key('z')).map(([d, a]) => ['ZRANGESTORE', d, a, '0', '-1'])),
    w(1, key('s').map((k) => ['GETDEL', k])),
    w(1, key('s').map((k) => ['GETEX', k, 'PX', '100'])),
    w(1, fc.tuple(anyKey, anyKey).map(([a, b]) => ['RENAMENX', a, b])),
    w(1, fc.tuple(anyKey, anyKey).map(([a, b]) => ['UNLINK', a, b])),
    w(1, key('l').map((k) => ['LTRIM', k, '1', '-1'])),
    w(1, key('h').map((k) => ['HINCRBYFLOAT', k, 'n', '1.5'])),
    w(1, key('n').map((k) => ['INCRBYFLOAT', k, '0.5'])),
    w(3, anyKey.map((k) => ['GET', k])),
    w(1, fc.constant(['FLUSHDB'])),
    w(1, fc.constant(['FLUSHALL'])),
  );
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 30, arbitrary: fc.tuple(db, argv).map(([d, a]): Op => ({ kind: 'cmd', db: d, argv: a })) },
    { weight: 6, arbitrary: fc.integer({ min: 1, max: 3 }).map((b): Op => ({ kind: 'step', budget: b - 0.5 })) },
    { weight: 3, arbitrary: fc.integer({ min: 0, max: 200 }).map((ms): Op => ({ kind: 'advance', ms })) },
    { weight: 1, arbitrary: fc.constant<Op>({ kind: 'cron' }) },
    { weight: 1, arbitrary: fc.tuple(db, queue, key('l')).map(([d, q, k]): Op => ({ kind: 'block', db: d, queue: q, dst: k })) },
    { weight: 1, arbitrary: fc.tuple(db, queue).map(([d, q]): Op => ({ kind: 'push', db: d, queue: q })) },
  );
  return fc.array(op, { minLength: 100, maxLength: 400 });
}

// ---------------------------------------------------------------- the property

describe('copy-on-write by key', () => {
  it('random writes between tiny slices: the file holds the data set of T0 (expired keys may be missing)', () => {
    const perType = 100; // 10 types × 100 × 3 dbs = 3,000 keys
    let runs = 0;
    let missingTotal = 0;
    let served = 0;
    fc.assert(fc.property(opsArb(perType), (ops) => {
      runs++;
      const h = createTestEngine();
      fill(h, perType);
      const t0 = state(h.engine);
      expect(t0.size).toBe(TYPES.length * perType * DBS);
      const job = startJob(h.engine);
      expect(job.job.keysTotal).toBe(t0.size);
      const cs = clients(h, DBS);
      const blocked: { run(argv: string[]): Reply[]; writer: CapturingWriter }[] = [];
      for (const op of ops) {
        switch (op.kind) {
          case 'cmd': cs[op.db]!.run(op.argv); break;
          case 'step': job.job.step(op.budget); break;
          case 'advance': h.clock.advance(op.ms); break;
          case 'cron': h.engine.cron(); break;
          case 'block': {
            const [c] = clients(h, op.db + 1).slice(op.db);
            const reply = c!.run(['BLMOVE', op.queue, op.dst, 'LEFT', 'RIGHT', '0']);
            if (reply.length === 0) blocked.push(c!);
            break;
          }
          case 'push': cs[op.db]!.run(['LPUSH', op.queue, 'job']); break;
        }
      }
      finish(job);
      expect(h.engine.snapshotGuard).toBeUndefined();
      served += blocked.filter((c) => c.writer.take().length > 0).length;
      const { engine, loaded } = load(job.parts);
      const { missing } = expectStateOfT0(t0, state(engine), h.clock.now);
      expect(loaded).toBe(t0.size - missing);
      missingTotal += missing;
    }), { numRuns: 12 });
    // The runs did exercise what they claim: expiry and blocked clients served.
    expect(runs).toBeGreaterThanOrEqual(12);
    expect(missingTotal).toBeGreaterThan(0);
    expect(served).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------- the cases one by one

/** Strings in `dbs` databases, `n` keys each. */
function strings(h: EngineHarness, dbs: number, n: number): void {
  const cs = clients(h, dbs);
  for (let d = 0; d < dbs; d++) for (let i = 0; i < n; i++) cs[d]!.run(['SET', `k${i}`, `v${i}@${d}`]);
}

describe('copy-on-write, case by case', () => {
  it('SWAPDB in the middle of the walk: each key is saved under its database of T0', () => {
    const h = createTestEngine();
    strings(h, 3, 400);
    const t0 = state(h.engine);
    const job = startJob(h.engine);
    const cs = clients(h, 3);
    job.job.step(0.5); // part of db 0 written
    cs[0]!.run(['SWAPDB', '0', '2']);
    for (let i = 0; i < 400; i += 3) {
      cs[0]!.run(['SET', `k${i}`, 'changed']);
      cs[2]!.run(['APPEND', `k${i}`, '+']);
      cs[1]!.run(['DEL', `k${i}`]);
    }
    job.job.step(2.5);
    cs[1]!.run(['SWAPDB', '1', '2']);
    cs[2]!.run(['FLUSHDB']);
    cs[2]!.run(['SET', 'k1', 'after flush']);
    for (let i = 0; i < 400; i += 5) cs[1]!.run(['SET', `k${i}`, 'changed again']);
    finish(job);
    expectStateOfT0(t0, state(load(job.parts).engine), h.clock.now);
  });

  it('FLUSHALL, then the same keys written again: the walk still has the old Maps', () => {
    const h = createTestEngine();
    strings(h, 2, 300);
    const t0 = state(h.engine);
    const job = startJob(h.engine);
    const cs = clients(h, 2);
    job.job.step(0.5);
    cs[0]!.run(['FLUSHALL']);
    for (let i = 0; i < 300; i++) cs[i % 2]!.run(['SET', `k${i}`, 'new']);
    finish(job);
    expectStateOfT0(t0, state(load(job.parts).engine), h.clock.now);
    // The live data set is the new one.
    expect(h.engine.dbs[0]!.peek('k0')).toBe('new');
  });

  it('MOVE and COPY … DB into a database the walk has not reached', () => {
    const h = createTestEngine();
    strings(h, 3, 50);
    const cs = clients(h, 3);
    cs[2]!.run(['RPUSH', 'target', 'old']);
    const t0 = state(h.engine);
    const job = startJob(h.engine);
    // Nothing walked yet: db 2 comes last.
    expect(cs[0]!.run(['COPY', 'k1', 'target', 'DB', '2', 'REPLACE'])).toEqual([1]);
    expect(cs[0]!.run(['COPY', 'k2', 'fresh', 'DB', '2'])).toEqual([1]);
    expect(cs[0]!.run(['MOVE', 'k3', '1'])).toEqual([0]); // k3 exists in db 1: not moved
    cs[1]!.run(['DEL', 'k3']);
    expect(cs[0]!.run(['MOVE', 'k3', '1'])).toEqual([1]);
    expect(cs[1]!.run(['MOVE', 'k4', '2'])).toEqual([0]);
    cs[2]!.run(['RENAME', 'k5', 'k6']);
    finish(job);
    expectStateOfT0(t0, state(load(job.parts).engine), h.clock.now);
  });

  it('MOVE and COPY create keys in a database the walk has not reached: they are not in the file', () => {
    const h = createTestEngine();
    const cs = clients(h, 3);
    for (let i = 0; i < 200; i++) cs[0]!.run(['SET', `a${i}`, 'v']);
    for (let i = 0; i < 200; i++) cs[2]!.run(['SET', `other${i}`, 'v']);
    const t0 = state(h.engine);
    const job = startJob(h.engine);
    job.job.step(0.5);
    for (let i = 0; i < 200; i += 2) expect(cs[0]!.run(['MOVE', `a${i}`, '2'])).toEqual([1]);
    for (let i = 1; i < 200; i += 2) expect(cs[0]!.run(['COPY', `a${i}`, `b${i}`, 'DB', '2'])).toEqual([1]);
    finish(job);
    expectStateOfT0(t0, state(load(job.parts).engine), h.clock.now);
  });

  it('a client blocked during the job and served by a later push: its destination is saved first', () => {
    const h = createTestEngine();
    strings(h, 3, 50);
    const cs = clients(h, 3);
    cs[2]!.run(['RPUSH', 'dst', 'a', 'b']);
    const t0 = state(h.engine);
    const job = startJob(h.engine);
    const [waiter] = clients(h, 3).slice(2);
    expect(waiter!.run(['BLMOVE', 'queue', 'dst', 'LEFT', 'RIGHT', '0'])).toEqual([]);
    job.job.step(0.5);
    cs[2]!.run(['LPUSH', 'queue', 'x']);
    expect(waiter!.writer.take()).toEqual(['x']);
    expect((h.engine.dbs[2]!.peek('dst') as ListValue).toArray()).toEqual(['a', 'b', 'x']);
    finish(job);
    expectStateOfT0(t0, state(load(job.parts).engine), h.clock.now);
  });

  // KNOWN BUG (engine.ts / blocking.ts, reported, not fixed here): Engine.execute's fast path
  // (no propagator, no guard) does not set engine.current, so a client that blocked before the
  // job started has no command for blocking.ts to show the guard when it is served: its
  // destination list changes before the walk writes it. Remove `.fails` once fixed.
  it('a client blocked before the job started, served during it: its destination is saved first', () => {
    const h = createTestEngine();
    strings(h, 3, 50);
    const cs = clients(h, 3);
    cs[2]!.run(['RPUSH', 'dst', 'a', 'b']);
    const [waiter] = clients(h, 3).slice(2);
    expect(waiter!.run(['BLMOVE', 'queue', 'dst', 'LEFT', 'RIGHT', '0'])).toEqual([]);
    const t0 = state(h.engine);
    const job = startJob(h.engine);
    cs[2]!.run(['LPUSH', 'queue', 'x']);
    expect(waiter!.writer.take()).toEqual(['x']);
    finish(job);
    expectStateOfT0(t0, state(load(job.parts).engine), h.clock.now);
  });

  it('a key changed in the shard being walked is written twice, with its T0 value both times', () => {
    const h = createTestEngine();
    strings(h, 1, 2000);
    const t0 = state(h.engine);
    const job = startJob(h.engine);
    const cs = clients(h, 1);
    // Part of the way in, change every key: some are behind the walk, some ahead, some in the
    // shard it is in.
    for (let i = 0; i < 10; i++) job.job.step(0.5);
    expect(job.job.keysProcessed).toBe(640);
    for (let i = 0; i < 2000; i++) cs[0]!.run(['APPEND', `k${i}`, '!']);
    finish(job);
    const { engine, loaded } = load(job.parts);
    expect(loaded).toBe(2000);
    expect(job.job.keysProcessed).toBeGreaterThanOrEqual(2000);
    expectStateOfT0(t0, state(engine), h.clock.now);
  });

  it('keys expire meanwhile (lazy, active): missing is allowed only past their TTL', () => {
    const h = createTestEngine();
    const cs = clients(h, 1);
    for (let i = 0; i < 1000; i++) cs[0]!.run(['SET', `k${i}`, 'v', 'PX', String(1 + i)]);
    const t0 = state(h.engine);
    const job = startJob(h.engine);
    job.job.step(0.5);
    h.clock.advance(500);
    for (let i = 0; i < 1000; i += 2) cs[0]!.run(['GET', `k${i}`]);
    h.engine.cron();
    finish(job);
    const { missing } = expectStateOfT0(t0, state(load(job.parts).engine), h.clock.now);
    expect(missing).toBeGreaterThan(0);
  });
});

describe('the job\'s life', () => {
  it('after the job: no guard; a second job runs and sees the data set of its own start', () => {
    const h = createTestEngine();
    strings(h, 2, 100);
    const first = startJob(h.engine);
    expect(h.engine.snapshotGuard).toBe(first.job);
    // One job at a time.
    const other = new SnapshotJob(h.engine, { write: () => {}, server: 'x' });
    expect(() => other.attach()).toThrow('a snapshot is already in progress');
    first.job.attach(); // attaching again is harmless
    finish(first);
    expect(first.job.done).toBe(true);
    expect(first.job.step(0.5)).toBe(true); // stays done, writes nothing more
    expect(h.engine.snapshotGuard).toBeUndefined();
    const cs = clients(h, 2);
    cs[1]!.run(['SET', 'k1', 'between']);
    const t1 = state(h.engine);
    const second = startJob(h.engine);
    expect(h.engine.snapshotGuard).toBe(second.job);
    cs[1]!.run(['SET', 'k1', 'during']);
    finish(second);
    expect(h.engine.snapshotGuard).toBeUndefined();
    expectStateOfT0(t1, state(load(second.parts).engine), h.clock.now);
    expect(state(load(first.parts).engine).get('db1 "k1"')?.value).toBe('string "v1@1"');
  });

  it('detach() stops guarding (a cancelled job); keysTotal and keysProcessed count', () => {
    const h = createTestEngine();
    strings(h, 1, 300);
    const job = startJob(h.engine);
    expect(job.job.keysTotal).toBe(300);
    expect(job.job.keysProcessed).toBe(0);
    job.job.step(0.5);
    expect(job.job.keysProcessed).toBe(64);
    job.job.detach();
    expect(h.engine.snapshotGuard).toBeUndefined();
    h.run('SET', 'k1', 'x');
    expect(job.job.keysProcessed).toBe(64);
  });

  it('blocks stay near BLOCK_TARGET_BYTES when collections hold long elements (a block is packed, held and checked whole)', () => {
    const h = createTestEngine();
    const big = 'v'.repeat(2000);
    for (let i = 0; i < 200; i++) {
      const fields: string[] = [];
      for (let f = 0; f < 20; f++) fields.push(`f${f}`, big);
      h.run('HSET', `h${i}`, ...fields);
      h.run('RPUSH', `l${i}`, big, big, big);
    }
    const job = startJob(h.engine);
    finish(job);
    const file = Buffer.concat(job.parts);
    // Walk the block heads: [u32 length][u32 crc] until the footer mark.
    let at = 16 + file.readUInt32BE(12);
    const lengths: number[] = [];
    for (let length = file.readUInt32BE(at); length !== 0xffffffff; length = file.readUInt32BE(at)) {
      lengths.push(length);
      at += 8 + length;
    }
    expect(lengths.length).toBeGreaterThan(10); // ~10 MB of records
    // A record is ~40 KB: a block ends within one record of the 256 KB target.
    for (const length of lengths) expect(length).toBeLessThan(256 * 1024 + 64 * 1024);
    expect(load(job.parts).loaded).toBe(400);
  });

  it('a step with budget Infinity writes everything in one go, footer included', () => {
    const h = createTestEngine();
    strings(h, 3, 100);
    const t0 = state(h.engine);
    const job = startJob(h.engine);
    expect(job.job.step(Infinity)).toBe(true);
    expect(job.job.keysProcessed).toBe(300);
    expectStateOfT0(t0, state(load(job.parts).engine), h.clock.now);
  });
});
