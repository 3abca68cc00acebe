// Recipe: a counting semaphore: at most `permits` processes inside at once.
//
// The holders live in a sorted set, each member a random token scored by the time its lease
// ends (ms since the epoch). Acquiring is ONE round trip of three pipelined commands, which the
// server runs in this order for this connection:
//
//   ZREMRANGEBYSCORE sem -inf <now>        drop holders whose lease ran out (crashed processes)
//   ZADD sem <now + ttl> <token>           join
//   ZCARD sem                              count everyone present, us included
//
// and we hold a permit when that count is <= permits; otherwise we ZREM our token and retry later.
//
// WHY THIS IS SAFE WITHOUT MULTI: a holder's token stays in the set from before its check until
// it leaves (or its lease ends). Suppose permits+1 processes were inside at once; take the one
// whose ZCARD ran last. When it ran, every other one had already joined (each joined before its
// own, earlier, check) and none had left yet, so that ZCARD counted permits+1 and it would have
// backed off. Other processes joining or leaving between our ZADD and our ZCARD only make the
// count too high (we back off for nothing) or correctly lower: never too low.
//
// WHY NOT THE BETTER-KNOWN "ZADD then ZRANK < permits": the rank orders members by score, not by
// arrival. A process that read its clock earlier (or asked for a shorter lease) but whose ZADD
// arrives later ranks BEFORE a holder that is already inside, sees rank 0, and enters too; and
// equal scores (two leases taken in the same millisecond) are ordered by member, i.e. by the
// random token. It is not rare: with 4 processes and 2 permits, test/recipes.test.ts saw 3
// inside in every run of the ZRANK variant. Ranking by arrival needs the ZADD and the check to
// be atomic (MULTI, or Lua), which nodis does not have yet (issue 8).
//
// WHY NOT "INCR sem; if > permits then DECR": that is safe for the same reason (the count is
// never too low), but a holder killed inside never gives its permit back. The scores here are
// leases: a dead holder's token is dropped by the next acquirer once its ttl has passed.
//
// The price: no fairness (a process may lose every retry while others win) and, under heavy
// contention, everyone can back off at once for a moment; the jittered backoff breaks the tie.
// Leases use Date.now(), so the processes must share a clock (one machine, or NTP-synced ones
// with ttls far above their skew). As with the lock, a holder that outlives its ttl is no
// longer counted: pick a ttl well above the work's worst case.
//
// Works unchanged against nodis and a real Redis or Valkey.
//
// Connect with connect('unix:///path/to/data/nodis-native.sock') (nodis's native socket, the
// fastest way in on one machine) or connect('redis://127.0.0.1:7379') (RESP: nodis, Redis or
// Valkey); the recipe does not care which.

import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

export class SemaphoreTimeoutError extends Error {
  constructor(key, timeoutMs) {
    super(`no permit of semaphore '${key}' within ${timeoutMs} ms`);
    this.name = 'SemaphoreTimeoutError';
  }
}

/** The work ran, but our lease ended (or we were dropped) before we left; result in `.result`. */
export class SemaphoreLostError extends Error {
  constructor(key, why, result) {
    super(`permit of semaphore '${key}' was lost before release (${why})`);
    this.name = 'SemaphoreLostError';
    this.result = result;
  }
}

/**
 * Tries once. Resolves to a permit `{ key, token, validUntil, remainingMs() }` (validUntil on
 * performance.now()'s clock), or null when all permits are taken.
 */
export async function acquirePermit(db, key, permits, ttlMs) {
  const token = `${process.pid}:${randomUUID()}`;
  const start = performance.now();
  const now = Date.now();
  const replies = await db.pipeline()
    .zremrangebyscore(key, '-inf', now)
    .zadd(key, now + ttlMs, token)
    .zcard(key)
    .exec();
  for (const [err] of replies) if (err) throw err;
  const count = Number(replies[2][1]);
  if (count > permits) {
    await db.zrem(key, token);
    return null;
  }
  const validUntil = start + ttlMs;
  return { key, token, validUntil, remainingMs: () => validUntil - performance.now() };
}

/**
 * Gives the permit back. Resolves to 'released', or 'expired' / 'lost' when our lease had run
 * out or our token was already dropped: others may have been admitted in our place meanwhile.
 */
export async function releasePermit(db, permit) {
  const expired = permit.remainingMs() <= 0;
  const removed = Number(await db.zrem(permit.key, permit.token));
  if (expired) return 'expired';
  return removed === 1 ? 'released' : 'lost';
}

/**
 * Runs fn(permit) holding one of `permits` permits of `key`, then releases it (also when fn
 * throws). Retries with exponential backoff and full jitter until timeoutMs, then rejects with
 * SemaphoreTimeoutError; rejects with SemaphoreLostError (result in .result) when the lease ran
 * out before fn finished.
 */
export async function withPermit(db, key, permits, ttlMs, fn, { timeoutMs = 10_000, retryMinMs = 2, retryMaxMs = 100, onRetry } = {}) {
  const deadline = performance.now() + timeoutMs;
  let delay = retryMinMs;
  for (;;) {
    const permit = await acquirePermit(db, key, permits, ttlMs);
    if (permit !== null) {
      let result;
      try {
        result = await fn(permit);
      } catch (e) {
        await releasePermit(db, permit);
        throw e;
      }
      const how = await releasePermit(db, permit);
      if (how !== 'released') throw new SemaphoreLostError(key, how, result);
      return result;
    }
    const wait = Math.random() * delay;
    if (performance.now() + wait > deadline) throw new SemaphoreTimeoutError(key, timeoutMs);
    onRetry?.();
    await sleep(wait);
    delay = Math.min(retryMaxMs, delay * 2);
  }
}
