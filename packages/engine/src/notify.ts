import type { Client } from './client.js';
import type { Database, Value } from './keyspace.js';

/**
 * Keyspace notifications (notify-keyspace-events), Redis 7.0's classes and channels:
 *   K  keyspace events, on __keyspace@<db>__:<key>, the message is the event name
 *   E  keyevent events, on __keyevent@<db>__:<event>, the message is the key
 *   g generic (DEL, EXPIRE, RENAME ...)  $ string  l list  s set  h hash  z sorted set
 *   x expired  e evicted  t stream  m key miss  d module  n new key;  A = g$lshzxetd
 * Handlers call notify(ctx, CLASS, 'event', key) after the change, in Redis's order; it costs
 * one bit test when notifications are off (the default). Three events come from elsewhere, as
 * in Redis: `new` from Database.set / rename / moveTo where a key is added (dbAdd), `expired`
 * from Engine.onExpired (lazy and active expiry), and `keymiss` from lookupRead / peekRead
 * below, which the read commands use where Redis uses lookupKeyRead.
 * test/compat/notifications.test.ts compares the event streams with redis-server 7.0.15.
 */

export const NOTIFY_KEYSPACE = 1 << 0;
export const NOTIFY_KEYEVENT = 1 << 1;
export const NOTIFY_GENERIC = 1 << 2;
export const NOTIFY_STRING = 1 << 3;
export const NOTIFY_LIST = 1 << 4;
export const NOTIFY_SET = 1 << 5;
export const NOTIFY_HASH = 1 << 6;
export const NOTIFY_ZSET = 1 << 7;
export const NOTIFY_EXPIRED = 1 << 8;
export const NOTIFY_EVICTED = 1 << 9;
export const NOTIFY_STREAM = 1 << 10;
export const NOTIFY_KEY_MISS = 1 << 11;
export const NOTIFY_MODULE = 1 << 13;
export const NOTIFY_NEW = 1 << 14;

const CLASS_BITS: Record<string, number> = {
  g: NOTIFY_GENERIC, $: NOTIFY_STRING, l: NOTIFY_LIST, s: NOTIFY_SET, h: NOTIFY_HASH, z: NOTIFY_ZSET,
  x: NOTIFY_EXPIRED, e: NOTIFY_EVICTED, t: NOTIFY_STREAM, d: NOTIFY_MODULE, m: NOTIFY_KEY_MISS, n: NOTIFY_NEW,
  K: NOTIFY_KEYSPACE, E: NOTIFY_KEYEVENT,
};
const NOTIFY_ALL = NOTIFY_GENERIC | NOTIFY_STRING | NOTIFY_LIST | NOTIFY_SET | NOTIFY_HASH | NOTIFY_ZSET
  | NOTIFY_EXPIRED | NOTIFY_EVICTED | NOTIFY_STREAM | NOTIFY_MODULE;

/** The bit mask of a notify-keyspace-events value (already validated by the config). */
export function notifyMask(flags: string): number {
  let mask = 0;
  for (const ch of flags) mask |= ch === 'A' ? NOTIFY_ALL : (CLASS_BITS[ch] ?? 0);
  // Without K or E nothing is published, whatever the classes (Redis's rule).
  return (mask & (NOTIFY_KEYSPACE | NOTIFY_KEYEVENT)) === 0 ? 0 : mask;
}

/** A keyspace event of class `type` for `key` in `db` (the client's selected db by default). */
export function notify(ctx: Client, type: number, event: string, key: string, db: Database = ctx.db): void {
  const engine = ctx.engine;
  if ((engine.notifyFlags & type) !== 0) engine.publishEvent(event, db, key);
}

/**
 * A lookup for reading (Redis's lookupKeyRead): a missing key is a `keymiss` event (class m).
 * Write lookups (lookupKeyWrite) and OBJECT's (LOOKUP_NONOTIFY) never report a miss: they
 * call db.lookup / db.peek directly.
 */
export function lookupRead(ctx: Client, key: string, db: Database = ctx.db): Value | undefined {
  const v = db.lookup(key);
  if (v === undefined) notify(ctx, NOTIFY_KEY_MISS, 'keymiss', key, db);
  return v;
}

/** lookupRead without counting an access (Redis's LOOKUP_NOTOUCH: EXISTS, TYPE, TTL). */
export function peekRead(ctx: Client, key: string): Value | undefined {
  const v = ctx.db.peek(key);
  if (v === undefined) notify(ctx, NOTIFY_KEY_MISS, 'keymiss', key);
  return v;
}
