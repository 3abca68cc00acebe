// argv: url key M — adds 1 M times (awaited one at a time, then M more at once: automatic
// pipelining) and 2 M times (INCRBY in pipelines of 25): 4 M in all.
import { hit, hitMany } from '../../examples/recipes/counter.mjs';
import { barrier, open, report, run } from './child.mjs';

run(async () => {
  const [, , , key, m] = process.argv;
  const M = Number(m);
  const db = await open();
  await barrier(db, `${key}:go`);
  for (let i = 0; i < M; i++) await hit(db, key);
  await Promise.all(Array.from({ length: M }, () => hit(db, key)));
  for (let i = 0; i < M; i += 25) await hitMany(db, key, Array(Math.min(25, M - i)).fill(2));
  await report({ added: 4 * M });
  await db.close();
});
