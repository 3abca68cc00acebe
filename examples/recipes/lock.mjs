// Recipe: a lock (mutual exclusion) between processes, with SET key token NX PX ttl.
//
//   SET lock:report <token> NX PX 10000   → OK when the key did not exist (we hold the lock),
//                                           nil when someone else holds it.
// NX makes "take it if free" one atomic command. PX gives the lock a lease: a holder that dies
// (kill -9, a crash, a lost machine) cannot keep the lock forever; it frees itself ttl ms later.
// The token is random and ours alone, so release can tell our lock from a later holder's.
//
// RELEASE, AND ITS RACE (read this before you copy it)
// The safe release is "delete the key only if it still holds my token" as ONE atomic step, which
// needs a Lua script (EVAL) or WATCH/MULTI/EXEC. nodis has neither yet (they arrive with issue 8
// and later), so release here is two commands: GET, compare, then DEL. Between the GET and the
// DEL our lease could run out and another process could take the lock; our DEL would then delete
// THEIR lock, and a third process could enter beside them.
// To make that window small, release only DELetes while the lease has at least
// `releaseMarginMs` left by our own (monotonic) clock; closer to the end it leaves the key to
// expire by itself. The race then needs this process to stall for longer than the margin
// between its GET and its DEL (a long GC pause, a stopped process, an overloaded server).
// The same holds for any lease-based lock: a holder that outlives its ttl is no longer
// exclusive, so pick a ttl well above the critical section's worst case. When EVAL lands,
// replace release() with the one-liner in README.md; nothing else changes.
//
// Works unchanged against nodis and a real Redis or Valkey (one server: this is not Redlock).
//
// Connect with connect('unix:///path/to/data/nodis-native.sock') (nodis's native socket, the
// fastest way in on one machine) or connect('redis://127.0.0.1:7379') (RESP: nodis, Redis or
// Valkey); the recipe does not care which.

import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

/** withLock could not take the lock before its deadline. */
export class LockTimeoutError extends Error {
  constructor(key, timeoutMs) {
    super(`could not take lock '${key}' within ${timeoutMs} ms`);
    this.name = 'LockTimeoutError';
  }
}

/**
 * The critical section ran, but the lock was not (or may not have been) ours all along: the
 * lease ran out first, or another token was found at release. Its result is in `.result`.
 */
export class LockLostError extends Error {
  constructor(key, why, result) {
    super(`lock '${key}' was lost before release (${why}): the critical section may have overlapped another holder`);
    this.name = 'LockLostError';
    this.result = result;
  }
}

/**
 * Tries once. Resolves to a lock `{ key, token, validUntil, remainingMs() }`, or null when
 * another process holds it. validUntil is on performance.now()'s clock, taken BEFORE the SET was
 * sent, so the server's lease never ends earlier than we think.
 */
export async function acquireLock(db, key, ttlMs) {
  const token = `${process.pid}:${randomUUID()}`;
  const start = performance.now();
  const ok = await db.set(key, token, 'NX', 'PX', ttlMs);
  if (ok !== 'OK') return null;
  const validUntil = start + ttlMs;
  return { key, token, validUntil, remainingMs: () => validUntil - performance.now() };
}

/**
 * Releases a lock taken by acquireLock. Resolves to
 *   'released'  we deleted our own key;
 *   'expiring'  fewer than releaseMarginMs were left: the key is left to expire by itself
 *               (deleting it could race with its expiry, see the top of this file);
 *   'expired'   our lease had already run out: someone else may have held the lock meanwhile;
 *   'lost'      the key holds another token or none: the same, seen from the server.
 * (With a ttl below the margin every release is 'expiring': keep ttls far above it.)
 */
export async function releaseLock(db, lock, releaseMarginMs = 50) {
  const left = lock.remainingMs();
  if (left <= 0) return 'expired';
  if (left < releaseMarginMs) return 'expiring';
  // Not atomic: see RELEASE, AND ITS RACE above. The margin makes the window small, not zero.
  if ((await db.get(lock.key)) !== lock.token) return 'lost';
  await db.del(lock.key);
  return 'released';
}

/**
 * Runs fn(lock) while holding `key`, then releases it, even when fn throws. Retries a taken
 * lock with exponential backoff and full jitter (so waiting processes do not retry in step)
 * until timeoutMs, then rejects with LockTimeoutError. Rejects with LockLostError (fn's result
 * in .result) when the lease ran out or was taken over before release: fn was not exclusive.
 *
 *   await withLock(db, 'lock:report', 10_000, async () => { ...one process at a time... });
 */
export async function withLock(db, key, ttlMs, fn, { timeoutMs = 10_000, retryMinMs = 2, retryMaxMs = 100, releaseMarginMs = 50, onRetry } = {}) {
  const deadline = performance.now() + timeoutMs;
  let delay = retryMinMs;
  for (;;) {
    const lock = await acquireLock(db, key, ttlMs);
    if (lock !== null) {
      let result;
      try {
        result = await fn(lock);
      } catch (e) {
        await releaseLock(db, lock, releaseMarginMs);
        throw e;
      }
      const how = await releaseLock(db, lock, releaseMarginMs);
      if (how === 'expired' || how === 'lost') throw new LockLostError(key, how, result);
      return result;
    }
    const wait = Math.random() * delay;
    if (performance.now() + wait > deadline) throw new LockTimeoutError(key, timeoutMs);
    onRetry?.();
    await sleep(wait);
    delay = Math.min(retryMaxMs, delay * 2);
  }
}
