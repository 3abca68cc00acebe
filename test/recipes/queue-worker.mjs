// argv: url queue worker [crashAt] — runs the queue recipe's worker until the parent sends
// 'stop'. Each job is "done" by counting it in the hash `queue:done` (HINCRBY job 1) and telling
// the parent through the list `queue:events`. With crashAt = n, the n-th job is done but, before
// its acknowledgement, the worker reports { crashing: job } and hangs until the parent kills it
// (SIGKILL): the job stays in its processing list for the reaper.
import { runWorker } from '../../examples/recipes/queue.mjs';
import { hang, open, report, run } from './child.mjs';

run(async () => {
  const [, , , queue, worker, crashAt] = process.argv;
  const db = await open();
  const stop = new AbortController();
  process.on('message', (m) => { if (m === 'stop') stop.abort(); });
  let handled = 0;
  const working = runWorker(db, queue, async (job) => {
    handled++;
    const [[e1], [e2]] = await db.pipeline().hincrby(`${queue}:done`, job, 1).rpush(`${queue}:events`, job).exec();
    if (e1 || e2) throw e1 ?? e2;
    if (handled === Number(crashAt)) {
      await report({ crashing: job });
      await hang();
    }
  }, { worker, signal: stop.signal, blockSeconds: 0.1, ttlMs: 1000, heartbeatMs: 200 });
  await report({ ready: true });
  await working;
  await report({ handled });
  await db.close();
});
