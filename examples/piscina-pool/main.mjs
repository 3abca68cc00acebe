// A piscina pool whose tasks share counters and a work queue through nodis.
// Run from the repository root, after `npm run build`: node examples/piscina-pool/main.mjs
import Piscina from 'piscina';
import { startServer } from '@nodis/server';
import { connect } from '@nodis/client';

const THREADS = 4;
const CONSUMERS = 2;
const PRODUCERS = 8;
const JOBS_PER_PRODUCER = 25;
const JOBS = PRODUCERS * JOBS_PER_PRODUCER;
// The end-of-work marker that task.mjs's consumers look for (jobs are numbers, so it cannot clash).
const STOP = 'stop';

// The store lives in an owner thread of this process. Port '0' takes a free loopback port and
// unixsocket '' opens no socket file, so runs never clash with another server. Without this
// config it would serve RESP on 127.0.0.1:7379, where `redis-cli -p 7379` can look inside.
const server = await startServer({ config: { port: '0', unixsocket: '' }, logLevel: 'nothing' });

// The handle is plain data plus SharedArrayBuffers: it reaches every worker through workerData.
const pool = new Piscina({
  filename: new URL('./task.mjs', import.meta.url).href,
  workerData: { store: server.handle() },
  // Consumers hold their thread until they see STOP, so the pool needs threads to spare for
  // the producers: with a pool no larger than CONSUMERS, queued producers would never run.
  minThreads: THREADS,
  maxThreads: THREADS,
});

// The main thread is a client too.
const db = await connect(server.handle());

// Consumers start first and wait on the empty queue; producers fill it while they work.
const consumers = Array.from({ length: CONSUMERS }, () => pool.run(null, { name: 'consume' }));
const producers = Array.from({ length: PRODUCERS }, (_, p) =>
  pool.run({ first: p * JOBS_PER_PRODUCER + 1, count: JOBS_PER_PRODUCER }, { name: 'produce' }));
await Promise.all(producers);

// Every job is queued; one STOP per consumer goes behind them, so each consumer leaves only
// after the queue is drained.
await db.rpush('jobs', ...Array(CONSUMERS).fill(STOP));
const perConsumer = await Promise.all(consumers);

const [produceTasks, consumeTasks, queued, done] = (
  await db.mget('stats:tasks:produce', 'stats:tasks:consume', 'stats:jobs:queued', 'stats:jobs:done')
).map(Number);
const results = (await db.hvals('results')).map(Number);
const sum = results.reduce((a, b) => a + b, 0);
const pending = (await db.llen('jobs')) + (await db.llen('jobs:processing'));

console.log(`tasks run: ${produceTasks} produce, ${consumeTasks} consume`);
console.log(`jobs per consumer: ${perConsumer.join(', ')} (varies from run to run)`);
console.log(`jobs: ${queued} queued, ${done} done, ${results.length} results, ${pending} pending`);
console.log(`totals: tasks=${produceTasks + consumeTasks} jobs=${done} results=${results.length} sum=${sum} pending=${pending}`);

// Each job n stores n², so the results must add up to 1² + 2² + ... + JOBS².
const expectedSum = (JOBS * (JOBS + 1) * (2 * JOBS + 1)) / 6;
const ok = produceTasks === PRODUCERS && consumeTasks === CONSUMERS && queued === JOBS && done === JOBS &&
  results.length === JOBS && sum === expectedSum && pending === 0 &&
  perConsumer.reduce((a, b) => a + b, 0) === JOBS;
if (!ok) {
  console.error(`wrong totals: expected tasks=${PRODUCERS + CONSUMERS} jobs=${JOBS} results=${JOBS} sum=${expectedSum} pending=0`);
  process.exitCode = 1;
}

await pool.destroy();
await db.close();
await server.close();
