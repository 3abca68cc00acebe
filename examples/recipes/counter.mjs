// Recipe: a counter shared by many processes.
//
// INCR and INCRBY run inside the server, one command at a time, so two processes that
// increment at the same moment can never lose an update: there is no read-modify-write on the
// client side for a race to slip into. (GET, add one, SET from each process WOULD lose updates.)
//
// Works unchanged against nodis and a real Redis or Valkey:
//   import { connect } from '@nodis/client';
//   // nodis's native socket: the fastest way in from another process on the same machine
//   const db = await connect('unix:///path/to/data/nodis-native.sock');
//   // or RESP, which a real Redis or Valkey speaks too: redis://127.0.0.1:7379, redis+unix:///path/to.sock
//   await hit(db, 'hits:/');                               // → the new total

/** Adds 1 (or `by`, any integer, negative too) to the counter; resolves to the new total. */
export async function hit(db, key, by = 1) {
  // INCR is the common case and the cheapest to parse; INCRBY for any other step.
  return Number(by === 1 ? await db.incr(key) : await db.incrby(key, by));
}

/**
 * Many increments in one round trip: every command of a pipeline leaves in one write and the
 * replies come back in order. Each INCRBY is still atomic on its own; the batch as a whole is
 * not (other processes' increments may land between them), which a counter does not mind.
 * Resolves to the total after the last one.
 */
export async function hitMany(db, key, steps) {
  const p = db.pipeline();
  for (const by of steps) p.incrby(key, by);
  const replies = await p.exec();
  let last = 0;
  for (const [err, value] of replies) {
    if (err) throw err;
    last = Number(value);
  }
  return last;
}

/** The current total; a counter nobody has touched yet is 0 (GET answers nil). */
export async function total(db, key) {
  return Number((await db.get(key)) ?? 0);
}
