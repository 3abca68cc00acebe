// The measuring thread of bench/counters.js. Every single-thread row runs here, in one worker
// thread, so nodis, ioredis, postMessage and Atomics are all driven from the same kind of
// thread (a worker, as in the use case the issue targets), never from the main thread.
//
// Protocol with the main thread: workerData { handle, redisSocket }; it posts { type: 'ready' }
// (or { type: 'error' }) once connected, then answers each { type: 'run', id, mode, key,
// seconds, warmup, maxOps, batch } with { type: 'result', id, ... } or { type: 'error', id, ... }.
import { parentPort, workerData, Worker } from 'node:worker_threads';
import { connect } from '@nodis/client';
import Redis from 'ioredis';
import { addLoop, CONTROL_INTS, COUNTER, DONE, PEER_OPS, START, STOP } from './atomics.js';
import { percentiles, runAwaited as runAwaitedOps, runBatches, SAMPLE_EVERY } from '../lib.js';

const peerFile = new URL('./peer.js', import.meta.url);
const MAX_SAMPLES = 250_000;
/** One-at-a-time ops per clock check. */
const CHUNK = 256;

let db;
let plain;
let auto;
let counterPeer;
/** The postMessage owner's counter, as this thread expects it to be. */
let counterExpected = 0;
let resolveCounter;

async function setup() {
  db = await connect(workerData.handle);
  // Two ioredis clients: a plain one for awaited calls (auto-pipelining adds nothing there) and
  // one with enableAutoPipelining for the batched row.
  plain = new Redis({ path: workerData.redisSocket, lazyConnect: true, maxRetriesPerRequest: 1 });
  auto = new Redis({ path: workerData.redisSocket, lazyConnect: true, maxRetriesPerRequest: 1, enableAutoPipelining: true });
  await plain.connect();
  await auto.connect();
  counterPeer = new Worker(peerFile, { workerData: { mode: 'counter' } });
  counterPeer.on('message', (n) => resolveCounter(n));
  counterPeer.on('error', (e) => { throw e; });
  // One round trip each, so a broken link fails here rather than in a row.
  await db.incr('counters:setup');
  db.sync.incr('counters:setup');
  await plain.ping();
  await auto.ping();
  if (await counterRoundTrip() !== ++counterExpected) throw new Error('postMessage peer: wrong counter');
}

function counterRoundTrip() {
  return new Promise((resolve) => {
    resolveCounter = resolve;
    counterPeer.postMessage(0);
  });
}

/** One sync op at a time until the deadline or maxOps; samples latency if asked. */
function runSync(op, seconds, maxOps, sample) {
  const lat = [];
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let ops = 0;
  while (ops < maxOps) {
    for (let j = 0; j < CHUNK; j++) {
      if (sample && j % SAMPLE_EVERY === 0 && lat.length < MAX_SAMPLES) {
        const t0 = process.hrtime.bigint();
        op();
        lat.push(Number(process.hrtime.bigint() - t0));
      } else {
        op();
      }
    }
    ops += CHUNK;
    if (performance.now() >= deadline) break;
  }
  return { ops, seconds: (performance.now() - start) / 1000, ...(sample ? percentiles(lat) : {}) };
}

/** runAwaited (lib.js) with this file's chunk and sample cap. */
const runAwaited = (op, seconds, maxOps, sample) => runAwaitedOps(op, seconds, maxOps, sample, { chunk: CHUNK, maxSamples: MAX_SAMPLES });

function promiseBatch(issue, batch) {
  const pending = new Array(batch);
  return () => {
    for (let j = 0; j < batch; j++) pending[j] = issue();
    return Promise.all(pending);
  };
}

function pipelineBatch(key, batch) {
  return async () => {
    const p = db.pipeline();
    for (let j = 0; j < batch; j++) p.call('INCR', key);
    const replies = await p.exec();
    if (replies.length !== batch) throw new Error(`pipeline: ${replies.length} replies for ${batch} commands`);
    for (const [err] of replies) if (err) throw err;
  };
}

/** Atomics.add from this thread alone. */
function atomicsOne(seconds, maxOps) {
  const ctrl = new Int32Array(new SharedArrayBuffer(CONTROL_INTS * 4));
  const start = performance.now();
  const ops = addLoop(ctrl, start + seconds * 1000, maxOps);
  const elapsed = (performance.now() - start) / 1000;
  const value = Atomics.load(ctrl, COUNTER);
  return { ops, seconds: elapsed, check: value === ops ? 'ok' : `counter ${value} ≠ ${ops} adds` };
}

/** Atomics.add from this thread and a peer thread on the same int. */
async function atomicsTwo(seconds, maxOps) {
  const sab = new SharedArrayBuffer(CONTROL_INTS * 4);
  const ctrl = new Int32Array(sab);
  const peer = new Worker(peerFile, { workerData: { mode: 'atomics', sab, maxSeconds: seconds + 5, maxOps } });
  try {
    await new Promise((resolve, reject) => {
      peer.once('message', resolve);
      peer.once('error', reject);
    });
    const start = performance.now();
    Atomics.store(ctrl, START, 1);
    Atomics.notify(ctrl, START);
    const mine = addLoop(ctrl, start + seconds * 1000, maxOps);
    Atomics.store(ctrl, STOP, 1);
    // The peer stops within one chunk; bounded wait all the same.
    if (Atomics.wait(ctrl, DONE, 0, 10_000) === 'timed-out' && Atomics.load(ctrl, DONE) === 0) {
      throw new Error('atomics peer did not stop within 10 s');
    }
    const elapsed = (performance.now() - start) / 1000;
    const total = Atomics.load(ctrl, COUNTER);
    const expected = mine + Atomics.load(ctrl, PEER_OPS);
    // mine/peer show whether both threads really ran at once (on a busy 2-core box one may not).
    return { ops: total, seconds: elapsed, mine, peer: Atomics.load(ctrl, PEER_OPS), check: total === expected ? 'ok' : `counter ${total} ≠ ${expected} adds` };
  } finally {
    await peer.terminate();
  }
}

async function runMode({ mode, key, seconds, maxOps, batch }, sample) {
  switch (mode) {
    case 'nodis-sync': return runSync(() => db.sync.incr(key), seconds, maxOps, sample);
    case 'nodis-await': return runAwaited(() => db.incr(key), seconds, maxOps, sample);
    case 'nodis-batch': return runBatches(promiseBatch(() => db.incr(key), batch), batch, seconds, maxOps);
    case 'nodis-pipeline': return runBatches(pipelineBatch(key, batch), batch, seconds, maxOps);
    case 'redis-await': return runAwaited(() => plain.incr(key), seconds, maxOps, sample);
    case 'redis-auto': return runBatches(promiseBatch(() => auto.incr(key), batch), batch, seconds, maxOps);
    case 'postmessage': {
      const r = await runAwaited(counterRoundTrip, seconds, maxOps, sample);
      counterExpected += r.ops;
      const value = await counterRoundTrip();
      counterExpected++;
      return { ...r, check: value === counterExpected ? 'ok' : `owner counter ${value} ≠ ${counterExpected} messages` };
    }
    case 'atomics-1': return atomicsOne(seconds, maxOps);
    case 'atomics-2': return atomicsTwo(seconds, maxOps);
    default: throw new Error(`unknown mode ${mode}`);
  }
}

parentPort.on('message', async (m) => {
  if (m.type !== 'run') return;
  try {
    // Warm-up with the same code and key, then the measured run; the caller checks the key's
    // final value against totalOps.
    const warm = m.warmup > 0 ? await runMode({ ...m, seconds: m.warmup }, false) : { ops: 0 };
    const r = await runMode(m, m.sample);
    parentPort.postMessage({ type: 'result', id: m.id, ...r, totalOps: warm.ops + r.ops });
  } catch (e) {
    parentPort.postMessage({ type: 'error', id: m.id, message: e instanceof Error ? `${e.name}: ${e.message}` : String(e), stack: e instanceof Error ? e.stack : undefined });
  }
});

async function shutdown() {
  await Promise.allSettled([db?.close(), plain?.quit(), auto?.quit(), counterPeer?.terminate()]);
}

try {
  await setup();
  parentPort.postMessage({ type: 'ready' });
} catch (e) {
  parentPort.postMessage({ type: 'error', id: 'setup', message: e instanceof Error ? `${e.name}: ${e.message}` : String(e), stack: e instanceof Error ? e.stack : undefined });
}

// The main thread asks for a clean stop before terminating this thread.
parentPort.on('message', async (m) => {
  if (m.type !== 'stop') return;
  await shutdown();
  parentPort.postMessage({ type: 'stopped' });
});
