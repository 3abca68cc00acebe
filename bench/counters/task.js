// The piscina task of bench/counters.js: `ops` INCRs of `key` on nodis, either one at a time
// with the sync client (batch 0) or as async batches of `batch` promises (Promise.all). Each
// pool thread connects once (connectSync at its first task) and keeps the connection.
import { connectSync } from '@nodis/client';

let db;
let store;

export default async function counterTask({ handle, key, ops, batch }) {
  if (db === undefined || store !== handle.store) {
    if (db !== undefined) await db.close();
    db = connectSync(handle);
    store = handle.store;
  }
  if (batch === 0) {
    for (let i = 0; i < ops; i++) db.sync.incr(key);
    return ops;
  }
  const pending = new Array(batch);
  for (let done = 0; done < ops; done += batch) {
    for (let j = 0; j < batch; j++) pending[j] = db.incr(key);
    await Promise.all(pending);
  }
  return ops;
}
