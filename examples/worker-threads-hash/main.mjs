// Plain worker_threads sharing one hash through nodis. The same file is the main thread and,
// loaded again by `new Worker`, each worker.
// Run from the repository root, after `npm run build`: node examples/worker-threads-hash/main.mjs
import { Worker, isMainThread, workerData } from 'node:worker_threads';
import { once } from 'node:events';
import { startServer } from '@nodis/server';
import { connect, connectSync } from '@nodis/client';

const WORKERS = 4;
const REQUESTS = 1000; // per worker
const PAGES = ['/', '/about', '/pricing'];

if (isMainThread) {
  // The store lives in an owner thread of this process. Port '0' takes a free loopback port and
  // unixsocket '' opens no socket file, so runs never clash with another server. Without this
  // config it would serve RESP on 127.0.0.1:7379, where `redis-cli -p 7379` can watch the hash.
  const server = await startServer({ config: { port: '0', unixsocket: '' }, logLevel: 'nothing' });

  // The handle is structured-cloneable (plain data and SharedArrayBuffers): workerData copies
  // it to each worker, no transferList needed, and every worker can connect with it.
  const workers = Array.from({ length: WORKERS }, (_, id) =>
    new Worker(new URL(import.meta.url), { workerData: { store: server.handle(), id } }));
  // once() rejects if a worker throws, so a failing worker fails the example.
  const codes = await Promise.all(workers.map(async (w) => (await once(w, 'exit'))[0]));

  const db = await connect(server.handle());
  const stats = await db.hgetall('stats'); // a plain object { field: value }
  for (const field of Object.keys(stats).sort()) console.log(`${field.padEnd(14)} ${stats[field]}`);

  const hits = PAGES.reduce((sum, page) => sum + Number(stats[`hits:${page}`] ?? 0), 0);
  const done = Object.keys(stats).filter((f) => f.startsWith('worker:') && stats[f] === `done ${REQUESTS}`).length;
  console.log(`totals: hits=${hits} workers done=${done}/${WORKERS}`);

  if (hits !== WORKERS * REQUESTS || done !== WORKERS || codes.some((c) => c !== 0)) {
    console.error(`wrong totals: expected hits=${WORKERS * REQUESTS} workers done=${WORKERS}/${WORKERS}`);
    process.exitCode = 1;
  }
  await db.close();
  await server.close();
} else {
  // A worker: connectSync needs no await, and db.sync calls return the reply directly.
  const { store, id } = workerData;
  const db = connectSync(store);
  db.sync.hset('stats', `worker:${id}`, 'running');
  for (let i = 0; i < REQUESTS; i++) {
    // HINCRBY runs atomically in the owner thread, so increments from all workers add up
    // exactly, with no lock in sight.
    db.sync.hincrby('stats', `hits:${PAGES[(i + id) % PAGES.length]}`, 1);
  }
  db.sync.hset('stats', `worker:${id}`, `done ${REQUESTS}`);
  await db.close();
}
