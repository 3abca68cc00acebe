// argv: url key rounds — takes the lock `rounds` times. Inside, it does what only a lock makes
// safe: a read-modify-write of `key:balance` over several round trips (GET, then SET + 1), and
// it counts itself in and out of `key:inside` (INCR/DECR): INCR answering anything but 1 means
// two holders at once, recorded in the list `key:violations` (bounded: one entry per round).
//
// argv: url key hold ttlMs — takes the lock once with that ttl, reports the token, and hangs
// holding it, until the parent kills this process.
import { setTimeout as sleep } from 'node:timers/promises';
import { acquireLock, withLock } from '../../examples/recipes/lock.mjs';
import { barrier, hang, open, report, run } from './child.mjs';

run(async () => {
  const [, , , key, mode, arg] = process.argv;
  const db = await open();
  if (mode === 'hold') {
    const lock = await acquireLock(db, key, Number(arg));
    if (lock === null) throw new Error('the lock was taken');
    await report({ held: lock.token });
    await hang();
  }
  const rounds = Number(mode);
  let retries = 0;
  await barrier(db, `${key}:go`);
  for (let r = 0; r < rounds; r++) {
    await withLock(db, key, 5000, async () => {
      const inside = Number(await db.incr(`${key}:inside`));
      if (inside !== 1) await db.rpush(`${key}:violations`, `pid ${process.pid} round ${r}: ${inside} inside`);
      const balance = Number((await db.get(`${key}:balance`)) ?? 0);
      await sleep(r % 3); // a little work, so the others do try while we hold the lock
      await db.set(`${key}:balance`, balance + 1);
      await db.decr(`${key}:inside`);
    }, { timeoutMs: 20_000, onRetry: () => { retries++; } });
  }
  await report({ retries });
  await db.close();
});
