// argv: url key writer id K — K updates: field w<id> = 1..K and `last` = "<id>:<n>".
// argv: url key reader finalVersion — watches (polling every 5 ms) until it sees finalVersion,
// and reports every version it was shown and the last snapshot.
import { setConfig, watchConfig } from '../../examples/recipes/config.mjs';
import { barrier, open, report, run } from './child.mjs';

run(async () => {
  const [, , , key, role, a, b] = process.argv;
  const db = await open();
  if (role === 'writer') {
    await barrier(db, `${key}:go`);
    const versions = [];
    for (let n = 1; n <= Number(b); n++) versions.push(await setConfig(db, key, { [`w${a}`]: n, last: `${a}:${n}` }));
    await report({ versions });
  } else {
    const final = Number(a);
    const seen = [];
    let last;
    const done = new AbortController();
    const deadline = setTimeout(() => done.abort(), 15_000);
    await barrier(db, `${key}:go`);
    await watchConfig(db, key, (snapshot) => {
      seen.push(snapshot.version);
      last = snapshot;
      if (snapshot.version >= final) done.abort();
    }, { intervalMs: 5, signal: done.signal });
    clearTimeout(deadline);
    await report({ seen, last });
  }
  await db.close();
});
