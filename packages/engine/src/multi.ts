import type { Client } from './client.js';
import type { Database } from './keyspace.js';
import type { ResolvedCommand } from './table.js';

/**
 * Transactions: MULTI's queue, and WATCH (optimistic locking) as Redis 7.0 keeps it.
 *
 * A watched key is "touched" by any change to it (Engine.onKeyModified: writes, deletes,
 * expiry, RENAME, MOVE ...), by FLUSHDB/FLUSHALL/SWAPDB when it exists (touchDb), and counts as
 * touched at EXEC if it was alive at WATCH time and has expired since (even if nobody removed
 * it yet). A key already expired at WATCH time is "stale": its deletion is no change.
 */

export class MultiState {
  readonly commands: { resolved: ResolvedCommand; argv: string[] }[] = [];
  /** A command was refused while queueing: EXEC answers EXECABORT. */
  aborted = false;
  /** Some queued command writes (EXEC is refused while persistence fails). */
  hasWrite = false;

  queue(resolved: ResolvedCommand, argv: string[]): void {
    this.commands.push({ resolved, argv });
    if (resolved.flags.has('write')) this.hasWrite = true;
  }
}

interface WatchedKey {
  readonly db: Database;
  readonly key: string;
  /** The key existed but had expired when WATCH ran (Redis's wk->expired). */
  stale: boolean;
}

/** Per client: its watched keys, and whether one was touched (CLIENT_DIRTY_CAS). */
export class ClientWatch {
  readonly keys: WatchedKey[] = [];
  dirty = false;
}

export class Watching {
  /** db → key → the clients watching it (and their entry). */
  private readonly byDb = new Map<Database, Map<string, Map<Client, WatchedKey>>>();
  /** Watched (client, key) pairs: onKeyModified looks here only when it is not 0. */
  size = 0;

  watch(client: Client, db: Database, key: string, now: number): void {
    const state = client.watch ??= new ClientWatch();
    let keys = this.byDb.get(db);
    if (keys === undefined) this.byDb.set(db, keys = new Map());
    let clients = keys.get(key);
    if (clients === undefined) keys.set(key, clients = new Map());
    if (clients.has(client)) return;
    const entry: WatchedKey = { db, key, stale: expiredPresent(db, key, now) };
    clients.set(client, entry);
    state.keys.push(entry);
    this.size++;
  }

  unwatchAll(client: Client): void {
    const state = client.watch;
    if (state === undefined) return;
    client.watch = undefined;
    for (const entry of state.keys) {
      const keys = this.byDb.get(entry.db);
      const clients = keys?.get(entry.key);
      if (clients === undefined || !clients.delete(client)) continue;
      this.size--;
      if (clients.size === 0) keys!.delete(entry.key);
      if (keys!.size === 0) this.byDb.delete(entry.db);
    }
  }

  /** A key changed (or expired): every client watching it must fail its EXEC. */
  touch(db: Database, key: string): void {
    const clients = this.byDb.get(db)?.get(key);
    if (clients === undefined) return;
    for (const [client, entry] of [...clients]) {
      if (entry.stale) {
        // A stale key that is now gone: logically no change (it was already expired).
        if (!present(db, key)) {
          entry.stale = false;
          continue;
        }
      }
      this.dirty(client);
    }
  }

  /**
   * FLUSHDB / FLUSHALL (replacedWith undefined) and SWAPDB (the database taking its place),
   * called before the change: Redis's touchAllWatchedKeysInDb.
   */
  touchDb(emptied: Database, replacedWith: Database | undefined, now: number): void {
    const keys = this.byDb.get(emptied);
    if (keys === undefined) return;
    for (const [key, clients] of [...keys]) {
      const inEmptied = present(emptied, key);
      const inReplacement = replacedWith !== undefined && present(replacedWith, key);
      if (!inEmptied && !inReplacement) continue;
      for (const [client, entry] of [...clients]) {
        if (entry.stale) {
          if (!inReplacement) {
            entry.stale = false;
            continue;
          }
          if (expiredPresent(replacedWith!, key, now)) continue;
        } else if (!inEmptied && expiredPresent(replacedWith!, key, now)) {
          entry.stale = true;
          continue;
        }
        this.dirty(client);
      }
    }
  }

  /** EXEC's check: touched, or a key alive at WATCH time has expired since. */
  isDirty(client: Client, now: number): boolean {
    const state = client.watch;
    if (state === undefined) return false;
    if (state.dirty) return true;
    for (const entry of state.keys) {
      if (!entry.stale && expiredPresent(entry.db, entry.key, now)) return true;
    }
    return false;
  }

  /** Marks the client's transaction failed and stops watching (nothing can undo it). */
  private dirty(client: Client): void {
    const state = client.watch;
    if (state === undefined) return;
    this.unwatchAll(client);
    // Keep the flag for EXEC: a fresh state that only says "dirty".
    const flagged = new ClientWatch();
    flagged.dirty = true;
    client.watch = flagged;
  }
}

/** The key is in the database (expired or not), without removing it. */
function present(db: Database, key: string): boolean {
  return db.hasEntry(key);
}

/** The key is in the database and its time has passed (Redis's keyIsExpired). */
function expiredPresent(db: Database, key: string, now: number): boolean {
  const at = db.getExpire(key);
  return at !== undefined && at <= now && db.hasEntry(key);
}
