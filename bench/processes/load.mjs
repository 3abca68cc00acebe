// The load process of bench/processes.js: a child process (child_process.fork) that drives every
// row, so the servers (nodis's owner thread in the parent, redis-server in its own process) and
// the load never share a process, as issue 6 asks.
//
// IPC with the parent:
//   parent → { type: 'setup', targets: { [id]: { client: 'ours'|'ioredis', tcp: {host, port}, unix: path }
//                                     | { client: 'ours', native: true, unix: nativesocket path } } }
//   child  → { type: 'ready' } | { type: 'error', message, stack }
//   parent → { type: 'run', id, target, socket, mode, key, seconds, warmup, maxOps, sample }
//   child  → { type: 'result', id, ops, seconds, totalOps, check, p50Us, ... } | { type: 'error', id, ... }
//   parent → { type: 'stop' }  → child closes its connections, answers { type: 'stopped' }, exits.
import { connect } from '@nodis/client';
import Redis from 'ioredis';
import { runAwaited as runAwaitedOps, runBatches } from '../lib.js';

/** Awaited ops per clock check. */
const CHUNK = 64;
const MAX_SAMPLES = 200_000;
/** SET/GET rows cycle over this many keys per value size, so memory stays bounded. */
const KEYS_PER_SIZE = 100;
const SIZES = { '16': 16, '1k': 1024, '100k': 100 * 1024 };

/** connections[target][socket] = { plain, auto }: adapters with the same small API. */
const connections = {};
/** Key prefixes whose GET keys this process has written. */
const filled = new Set();

/**
 * Queues calls [[cmd, arg1, arg2?]] on a pipeline through its typed methods (ours and ioredis's
 * take the same shape), as an application would write it; resolves to the values, throws the
 * first error.
 */
async function runPipeline(p, calls) {
  for (const [cmd, a, b] of calls) if (b === undefined) p[cmd](a); else p[cmd](a, b);
  const replies = await p.exec();
  const out = new Array(replies.length);
  for (let i = 0; i < replies.length; i++) {
    const [err, v] = replies[i];
    if (err) throw err;
    out[i] = v;
  }
  return out;
}

/** Our client (resp or native): one connection serves awaited, pipeline() and Promise.all rows. */
function oursAdapter(db) {
  return {
    incr: (k) => db.incr(k),
    set: (k, v) => db.set(k, v),
    get: (k) => db.get(k),
    pipeline(calls) {
      return runPipeline(db.pipeline(), calls);
    },
    close: () => db.close(),
  };
}

/** ioredis: `plain` for awaited and pipeline() rows; an auto-pipelining twin for Promise.all. */
function ioredisAdapter(r) {
  return {
    incr: (k) => r.incr(k),
    set: (k, v) => r.set(k, v),
    get: (k) => r.get(k),
    pipeline(calls) {
      return runPipeline(r.pipeline(), calls);
    },
    close: () => r.quit().catch(() => r.disconnect()),
  };
}

async function openIoredis(where, auto) {
  const r = new Redis({
    ...(where.path ? { path: where.path } : { host: where.host, port: where.port }),
    lazyConnect: true,
    enableAutoPipelining: auto,
    // A lost connection fails the row instead of retrying behind the bench's back.
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  r.on('error', () => {}); // reported through the failing call
  await r.connect();
  return ioredisAdapter(r);
}

async function setup(targets) {
  for (const [id, t] of Object.entries(targets)) {
    connections[id] = {};
    // The native protocol has a Unix socket only.
    for (const socket of t.native ? ['unix'] : ['tcp', 'unix']) {
      if (t.client === 'ours') {
        const url = t.native ? `unix://${t.unix}` : socket === 'tcp' ? `redis://${t.tcp.host}:${t.tcp.port}` : `redis+unix://${t.unix}`;
        const a = oursAdapter(await connect(url, { connectTimeout: 5000 }));
        connections[id][socket] = { plain: a, auto: a };
      } else {
        const where = socket === 'tcp' ? t.tcp : { path: t.unix };
        connections[id][socket] = { plain: await openIoredis(where, false), auto: await openIoredis(where, true) };
      }
      // One round trip each, so a broken link fails here rather than in a row.
      const c = connections[id][socket];
      await c.plain.incr('processes:setup');
      await c.auto.incr('processes:setup');
    }
  }
  // Prime the JIT (here and in the servers) on the common paths before any row, so the first
  // row after a (re)start is not the one that pays for compilation: ≈ 0.1 s per connection.
  for (const byTarget of Object.values(connections)) {
    for (const c of Object.values(byTarget)) {
      await runAwaited(() => c.plain.incr('processes:prime'), 0.05, 100_000, false);
      await runBatches(() => c.plain.pipeline(PRIME_BATCH), PRIME_BATCH.length, 0.05, 1_000_000);
    }
  }
}
const PRIME_BATCH = Array.from({ length: 100 }, (_, i) => (i % 2 ? ['incr', 'processes:prime'] : ['get', 'processes:prime']));

/** runAwaited (lib.js) with this file's chunk and sample cap. */
const runAwaited = (op, seconds, maxOps, sample) => runAwaitedOps(op, seconds, maxOps, sample, { chunk: CHUNK, maxSamples: MAX_SAMPLES });

/** The value a SET/GET row writes: recognisable per size, ASCII so both clients send it as is. */
function valueOf(sizeName) {
  const n = SIZES[sizeName];
  const head = `processes:${sizeName}:`;
  return head + 'v'.repeat(n - head.length);
}

/**
 * Builds a row: `{ measure(seconds, maxOps, sample) }` plus `check()` run after it. Every reply is
 * checked as it arrives (INCR counts up by one, SET says OK, GET returns the value written).
 */
async function buildRow({ target, socket, mode, key }) {
  const conn = connections[target]?.[socket];
  if (!conn) throw new Error(`no connection ${target}/${socket}`);
  const { plain, auto } = conn;

  let m = /^incr-(await|pipeline|all)(?:-(\d+))?$/.exec(mode);
  if (m) {
    let count = 0; // INCRs answered so far on this fresh key, warm-up included
    const expect = (v, n) => {
      if (v !== n) throw new Error(`INCR ${key} replied ${v}, expected ${n}`);
    };
    const total = () => count;
    if (m[1] === 'await') {
      return { total, measure: (s, max, sample) => runAwaited(async () => expect(await plain.incr(key), ++count), s, max, sample) };
    }
    const n = Number(m[2]);
    if (m[1] === 'pipeline') {
      const calls = Array.from({ length: n }, () => ['incr', key]);
      return {
        total,
        measure: (s, max) => runBatches(async () => {
          const out = await plain.pipeline(calls);
          count += n;
          expect(out[n - 1], count);
        }, n, s, max),
      };
    }
    // Promise.all of n separate calls: our client batches a tick's calls itself; ioredis with
    // enableAutoPipelining does the same.
    const pending = new Array(n);
    return {
      total,
      measure: (s, max) => runBatches(async () => {
        for (let j = 0; j < n; j++) pending[j] = auto.incr(key);
        const out = await Promise.all(pending);
        count += n;
        expect(out[n - 1], count);
      }, n, s, max),
    };
  }

  m = /^(set|get)-(16|1k|100k)-(await|p(\d+))$/.exec(mode);
  if (m) {
    const [, cmd, sizeName, how, batchText] = m;
    const value = valueOf(sizeName);
    // `key` names this target, socket and size (not the round): SET rows rewrite the same keys
    // with the same value, and GET rows read them, filled once per load process before a clock
    // starts (10 MB per 100 KB target: the VM is slow at touching fresh memory).
    const keys = Array.from({ length: KEYS_PER_SIZE }, (_, i) => `${key}:${i}`);
    if (cmd === 'get' && !filled.has(key)) {
      for (let i = 0; i < KEYS_PER_SIZE; i += 10) await plain.pipeline(keys.slice(i, i + 10).map((k) => ['set', k, value]));
      filled.add(key);
    }
    // Every reply's length is checked; its bytes on one in 16 (comparing 100 KB per reply
    // would cost as much as the work measured).
    let gets = 0;
    const checkGet = (v) => {
      if (typeof v !== 'string' || v.length !== value.length || ((gets++ & 15) === 0 && v !== value)) {
        throw new Error(`GET returned ${typeof v === 'string' ? `${v.length} bytes (${JSON.stringify(v.slice(0, 24))}…)` : String(v)}, expected the ${value.length}-byte value`);
      }
    };
    const checkSet = (v) => {
      if (v !== 'OK') throw new Error(`SET replied ${String(v)}`);
    };
    const check = cmd === 'get' ? checkGet : checkSet;
    if (how === 'await') {
      const op = cmd === 'get'
        ? async (i) => check(await plain.get(keys[i % KEYS_PER_SIZE]))
        : async (i) => check(await plain.set(keys[i % KEYS_PER_SIZE], value));
      return { keys, value, measure: (s, max, sample) => runAwaited(op, s, max, sample) };
    }
    const n = Number(batchText);
    const calls = Array.from({ length: n }, (_, i) => (cmd === 'get' ? ['get', keys[i % KEYS_PER_SIZE]] : ['set', keys[i % KEYS_PER_SIZE], value]));
    return {
      keys, value,
      measure: (s, max) => runBatches(async () => {
        const out = await plain.pipeline(calls);
        if (out.length !== n) throw new Error(`pipeline: ${out.length} replies for ${n} commands`);
        for (const v of out) check(v);
      }, n, s, max),
    };
  }
  throw new Error(`unknown mode ${mode}`);
}

async function run(req) {
  const row = await buildRow(req);
  let totalOps = 0;
  if (req.warmup > 0) totalOps += (await row.measure(req.warmup, req.maxOps, false)).ops;
  const r = await row.measure(req.seconds, req.maxOps, req.sample);
  totalOps += r.ops;
  if (row.total !== undefined && row.total() !== totalOps) throw new Error(`counted ${totalOps} ops but ${row.total()} replies`);
  // keys/value tell the parent what to read back for its own check.
  return { ...r, totalOps, ...(row.keys ? { checkKey: row.keys[0], valueLength: row.value.length, valueHead: row.value.slice(0, 32) } : {}) };
}

process.on('message', async (msg) => {
  try {
    if (msg.type === 'setup') {
      await setup(msg.targets);
      process.send({ type: 'ready' });
    } else if (msg.type === 'run') {
      const r = await run(msg);
      process.send({ type: 'result', id: msg.id, ...r });
    } else if (msg.type === 'stop') {
      for (const byTarget of Object.values(connections)) {
        for (const c of Object.values(byTarget)) {
          await c.plain.close();
          if (c.auto !== c.plain) await c.auto.close();
        }
      }
      process.send({ type: 'stopped' }, () => process.exit(0));
    }
  } catch (e) {
    process.send({ type: 'error', id: msg.id, message: e?.message ?? String(e), stack: e?.stack });
  }
});
// The parent's end of the IPC channel closing means the bench is over (or died): leave.
process.on('disconnect', () => process.exit(0));
