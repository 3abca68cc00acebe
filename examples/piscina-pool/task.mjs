// The tasks of the pool. This module is loaded once in each piscina worker thread.
import { workerData } from 'node:worker_threads';
import { connectSync } from '@nodis/client';

// One connection per worker thread, opened when the worker loads this module and shared by
// every task the worker runs. connectSync needs no await, so it fits at module scope.
const db = connectSync(workerData.store);

// Queued by the main thread once all jobs are in: one per consumer.
const STOP = 'stop';

/** Queues `count` jobs (the numbers first, first+1, ...) at the tail of the `jobs` list. */
export async function produce({ first, count }) {
  const jobs = Array.from({ length: count }, (_, i) => first + i);
  // Async calls made in the same tick travel to the store as one batch: one round trip for all
  // three. Each command is still atomic on its own, so concurrent producers never lose a count.
  await Promise.all([
    db.rpush('jobs', ...jobs),
    db.incrby('stats:jobs:queued', count),
    db.incr('stats:tasks:produce'),
  ]);
  return count;
}

/** Takes jobs until it meets STOP; returns how many it processed. */
export function consume() {
  let processed = 0;
  for (;;) {
    // BLMOVE waits for a job and, in the same atomic step, moves it to `jobs:processing`: a job
    // is never only in this thread's memory, so a crashed worker leaves it there for recovery
    // (the "reliable queue" pattern). The sync call blocks this worker thread, which has
    // nothing else to do, and costs no CPU while it waits. A real consumer would wait forever
    // (timeout 0); the 5 s timeout turns a bug into an error instead of a hang.
    const job = db.sync.blmove('jobs', 'jobs:processing', 'LEFT', 'RIGHT', 5);
    if (job === null) throw new Error('no job and no STOP within 5 s');
    if (job !== STOP) {
      const n = Number(job);
      db.sync.hset('results', job, n * n);
      db.sync.incr('stats:jobs:done');
      processed++;
    }
    // Acknowledge: the job is done (or the STOP seen), so it leaves the processing list.
    db.sync.lrem('jobs:processing', 1, job);
    if (job === STOP) break;
  }
  db.sync.incr('stats:tasks:consume');
  return processed;
}
