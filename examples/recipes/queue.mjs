// Recipe: a reliable work queue: producers push jobs, worker processes take them one at a
// time, and a job taken by a worker that dies is given to another worker.
//
// Keys, for a queue named q:
//   q:pending               list   jobs waiting (LPUSH in, taken from the right: FIFO)
//   q:processing:<worker>   list   the jobs one worker has taken and not yet acknowledged
//   q:alive:<worker>        string the worker's heartbeat, SET ... PX ttl, renewed while it lives
//   q:failed                list   jobs whose handler threw
//
// Taking a job is  BLMOVE q:pending q:processing:<worker> RIGHT LEFT <seconds>: one atomic move,
// so at every instant a job is in exactly one list; no crash can drop it on the floor.
// Finishing it is  LREM q:processing:<worker> 1 <job>: the acknowledgement.
// The reaper looks for processing lists whose worker's heartbeat key has expired and moves their
// jobs back to q:pending, one LMOVE (atomic) at a time, so two reapers at once lose nothing either.
//
// DELIVERY: AT LEAST ONCE. A worker that dies after doing a job but before its LREM will see that
// job done again by another worker; so will a worker that stalls longer than its heartbeat ttl
// (its jobs are taken back while it still works on them; its late LREM then answers 0). Make
// handlers idempotent (or record "done" under the job's id and skip repeats). Jobs are compared
// by value (LREM), so make each job unique, e.g. carry an id.
//
// The reaper finds processing lists with SCAN MATCH q:processing:*, so no registry of workers
// can drift out of step with the lists; SCAN walks the whole keyspace, which is fine for a
// database of modest size or one given to the queue (redis://host:port/<db>, or
// unix:///path/to/nodis-native.sock?db=<db>).
// Worker ids must be unique (hostname, pid and a random part) and must not be reused.
//
// Works unchanged against nodis and a real Redis 6.2+ or Valkey (BLMOVE is 6.2).
//
// Connect with connect('unix:///path/to/data/nodis-native.sock') (nodis's native socket, the
// fastest way in on one machine) or connect('redis://127.0.0.1:7379') (RESP: nodis, Redis or
// Valkey); the recipe does not care which.

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

const keys = (queue, worker) => ({
  pending: `${queue}:pending`,
  processing: `${queue}:processing:${worker}`,
  alive: `${queue}:alive:${worker}`,
  failed: `${queue}:failed`,
});

/** A worker id that no other process, and no later run of this one, will use. */
export function newWorkerId() {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/** Queues jobs (strings); resolves to the queue's length. */
export async function enqueue(db, queue, ...jobs) {
  return Number(await db.lpush(keys(queue).pending, ...jobs));
}

/** Takes the oldest job into this worker's processing list, waiting up to blockSeconds; null if none came. */
export async function take(db, queue, worker, blockSeconds) {
  const k = keys(queue, worker);
  return db.blmove(k.pending, k.processing, 'RIGHT', 'LEFT', blockSeconds);
}

/** Acknowledges a finished job. Resolves to false when the job was no longer ours (reaped). */
export async function ack(db, queue, worker, job) {
  return Number(await db.lrem(keys(queue, worker).processing, 1, job)) === 1;
}

/** "This worker is alive for ttlMs more." Call it well within ttlMs, and before the first take. */
export async function heartbeat(db, queue, worker, ttlMs) {
  await db.set(keys(queue, worker).alive, String(Date.now()), 'PX', ttlMs);
}

// SCAN's MATCH is a glob: escape the queue name's own glob characters.
const globEscape = (s) => s.replace(/[*?[\]\\]/g, '\\$&');

/** Moves the jobs of workers whose heartbeat has expired back to the queue; resolves to them. */
export async function reapDeadWorkers(db, queue) {
  const prefix = `${queue}:processing:`;
  const moved = [];
  let cursor = '0';
  do {
    const [next, found] = await db.scan(cursor, 'MATCH', `${globEscape(prefix)}*`, 'COUNT', 200);
    cursor = next;
    for (const list of found) {
      const worker = list.slice(prefix.length);
      if (Number(await db.exists(keys(queue, worker).alive)) === 1) continue;
      // The worker is gone (or stalled past its ttl). Back to the end that take() serves first.
      for (;;) {
        const job = await db.lmove(list, keys(queue).pending, 'RIGHT', 'RIGHT');
        if (job === null) break;
        moved.push(job);
      }
    }
  } while (cursor !== '0');
  return moved;
}

/**
 * Runs a worker until `signal` aborts: heartbeat, take a job, `await handler(job)`, acknowledge.
 * A job whose handler throws goes to q:failed (pushed there before its LREM: a crash between
 * the two leaves it in both, never in neither). While idle, and every reapEveryMs while busy,
 * it also reaps dead workers' jobs. blockSeconds bounds how long a stop request or a heartbeat
 * waits behind the blocking BLMOVE on this connection: keep it well under ttlMs.
 */
export async function runWorker(db, queue, handler, {
  worker = newWorkerId(), signal, blockSeconds = 1, ttlMs = 10_000, heartbeatMs = ttlMs / 4, reapEveryMs = ttlMs,
} = {}) {
  const k = keys(queue, worker);
  await heartbeat(db, queue, worker, ttlMs);
  const timer = setInterval(() => { heartbeat(db, queue, worker, ttlMs).catch(() => { /* next beat retries */ }); }, heartbeatMs);
  let lastReap = 0;
  try {
    while (!signal?.aborted) {
      const job = await take(db, queue, worker, blockSeconds);
      if (job === null || performance.now() - lastReap > reapEveryMs) {
        lastReap = performance.now();
        await reapDeadWorkers(db, queue);
      }
      if (job === null) continue;
      try {
        await handler(job);
      } catch {
        await db.rpush(k.failed, job);
      }
      await ack(db, queue, worker, job);
    }
  } finally {
    clearInterval(timer);
  }
  // A clean stop: nothing of ours is in flight; drop the heartbeat so no one waits for it.
  await db.del(k.alive);
}
