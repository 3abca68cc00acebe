// argv: url key permits rounds — enters the semaphore `rounds` times. Inside, it counts itself
// in and out of `key:inside` (INCR/DECR): INCR answering more than `permits` means the semaphore
// let too many in, recorded in the list `key:violations`. Reports the most it saw inside at once.
import { setTimeout as sleep } from 'node:timers/promises';
import { withPermit } from '../../examples/recipes/semaphore.mjs';
import { barrier, open, report, run } from './child.mjs';

run(async () => {
  const [, , , key, p, rounds] = process.argv;
  const permits = Number(p);
  const db = await open();
  let retries = 0;
  let maxInside = 0;
  await barrier(db, `${key}:go`);
  for (let r = 0; r < Number(rounds); r++) {
    await withPermit(db, key, permits, 5000, async () => {
      const inside = Number(await db.incr(`${key}:inside`));
      maxInside = Math.max(maxInside, inside);
      if (inside > permits) await db.rpush(`${key}:violations`, `pid ${process.pid} round ${r}: ${inside} inside`);
      await sleep(1 + (r % 3)); // hold the permit a little, so that several holders overlap
      await db.decr(`${key}:inside`);
    }, { timeoutMs: 20_000, onRetry: () => { retries++; } });
  }
  await report({ retries, maxInside });
  await db.close();
});
