// Recipe: configuration shared by many processes, in one hash, with change detection.
//
//   HSET config:app maxConnections 100 theme dark      the values
//   HINCRBY config:app _version 1                      bumped after every change
//
// Readers poll the cheap `HGET config:app _version` and fetch the whole hash (HGETALL, one
// atomic snapshot) only when the number moved. The writer bumps _version AFTER writing the
// values, so a snapshot is never older than the version it carries: a reader can see new values
// with the previous version number (it then reads the same values again at the next poll, which
// is harmless), never a new version with old values. Readers therefore always end on the latest
// configuration.
//
// Without MULTI (issue 8) the HSET and the HINCRBY are two commands; they are sent together in
// one pipeline (one round trip), but another client's command may run between them, which the
// ordering above makes harmless. Two writers changing the SAME field at once: the last HSET wins,
// as with any hash.
//
// Change NOTIFICATION, instead of polling, needs pub/sub (PUBLISH after the write, SUBSCRIBE in
// readers; or keyspace notifications), which nodis gains with issue 8. The version counter stays
// useful then: a reader that reconnects after a gap compares versions to learn what it missed.
//
// Works unchanged against nodis and a real Redis or Valkey.
//
// Connect with connect('unix:///path/to/data/nodis-native.sock') (nodis's native socket, the
// fastest way in on one machine) or connect('redis://127.0.0.1:7379') (RESP: nodis, Redis or
// Valkey); the recipe does not care which.

import { setTimeout as sleep } from 'node:timers/promises';

const VERSION = '_version';

/** Writes fields (an object of strings/numbers) and bumps the version; resolves to the new version. */
export async function setConfig(db, key, fields) {
  const pairs = Object.entries(fields).flatMap(([f, v]) => [f, String(v)]);
  if (pairs.some((x, i) => i % 2 === 0 && x === VERSION)) throw new Error(`'${VERSION}' is the recipe's own field`);
  const [[err1], [err2, version]] = await db.pipeline().hset(key, ...pairs).hincrby(key, VERSION, 1).exec();
  if (err1) throw err1;
  if (err2) throw err2;
  return Number(version);
}

/** One consistent snapshot: `{ version, values }` (version 0 when nothing was written yet). */
export async function getConfig(db, key) {
  const all = await db.hgetall(key);
  const { [VERSION]: version = '0', ...values } = all;
  return { version: Number(version), values };
}

/**
 * Calls onChange({ version, values }) with the current configuration, then after every change,
 * polling every intervalMs until `signal` aborts. A change made and undone between two polls is
 * still reported (the version moved), with the values as they are now.
 */
export async function watchConfig(db, key, onChange, { intervalMs = 1000, signal } = {}) {
  let seen = -1;
  while (!signal?.aborted) {
    const version = Number((await db.hget(key, VERSION)) ?? 0);
    if (version !== seen) {
      const snapshot = await getConfig(db, key);
      seen = snapshot.version;
      await onChange(snapshot);
    }
    try {
      await sleep(intervalMs, undefined, { signal });
    } catch {
      break; // aborted while waiting
    }
  }
}
