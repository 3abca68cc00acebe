import type { Client } from './client.js';
import type { Database } from './keyspace.js';

/**
 * Blocking commands (BLPOP, BLMOVE, BZPOPMIN ...): a client that finds nothing to pop is
 * parked on its keys instead of answered, and served later, in FIFO order per key, when another
 * command makes one of those keys ready — or answered with its timeout reply.
 *
 * The handler calls `engine.blocking.block(ctx, request)` and returns WITHOUT writing a reply.
 * Every key modification (db.set, db.host.onKeyModified: LPUSH, LMOVE's destination, RENAME,
 * COPY, MOVE ...) reaches `signal(db, key)` through Engine.onKeyModified; that costs one Map
 * lookup when nobody waits in that database. After every
 * command (and after EXEC) the engine calls `serveReady()`, which offers each ready key to its
 * waiters in arrival order, as Redis's handleClientsBlockedOnKeys does; serving one may make
 * another key ready (BLMOVE pushes), so it loops until nothing is ready.
 *
 * Replies written here are *deferred*: they are not the answer to a command being executed
 * for that client, so the engine calls `client.onDeferredReply` for the host to flush them.
 * The host also owns time: `hooks.wakeAt(ms)` asks it to call `expire()` by then.
 */

export interface BlockRequest {
  /** Keys waited on, in the client's database at the time of blocking. */
  readonly keys: readonly string[];
  /** Absolute deadline in ms, or 0 to wait forever. */
  readonly deadline: number;
  /**
   * Tries to serve the client now: `key`, one of its keys, may be ready. Writes the reply and
   * returns true when served; returns false (writing nothing) to keep waiting. Runs with ctx.db
   * set to the database the client blocked in. Redis 7.0 serves from the key that became
   * ready (not the first of the client's keys in argument order) when several are ready.
   */
  tryServe(key: string): boolean;
  /** Writes the timeout reply (usually a null array). */
  onTimeout(): void;
}

interface Waiter {
  client: Client;
  db: Database;
  request: BlockRequest;
}

export class BlockingRegistry {
  /** db → key → waiters in arrival order. */
  private readonly waiting = new Map<Database, Map<string, Waiter[]>>();
  private readonly byClient = new Map<Client, Waiter>();
  /** Keys signalled since the last serveReady(), in signal order. */
  private ready: [Database, string][] = [];
  private readonly readySet = new Map<Database, Set<string>>();

  /**
   * @param now the engine's cached command time (ms)
   * @param wakeAt asks the host to call expire() at (or soon after) this time
   */
  constructor(private readonly now: () => number, private readonly wakeAt: (ms: number) => void) {}

  get blockedCount(): number { return this.byClient.size; }

  isBlocked(client: Client): boolean { return this.byClient.has(client); }

  /** Keys a blocked client waits on (CLIENT LIST, INFO). */
  keysOf(client: Client): readonly string[] { return this.byClient.get(client)?.request.keys ?? []; }

  block(client: Client, request: BlockRequest): void {
    if (this.byClient.has(client)) throw new Error('client is already blocked');
    const waiter: Waiter = { client, db: client.db, request };
    this.byClient.set(client, waiter);
    let keys = this.waiting.get(client.db);
    if (!keys) this.waiting.set(client.db, (keys = new Map()));
    for (const key of new Set(request.keys)) {
      const list = keys.get(key);
      if (list) list.push(waiter);
      else keys.set(key, [waiter]);
    }
    if (request.deadline > 0) this.wakeAt(request.deadline);
  }

  /** A key may have become ready for its waiters (data was added to it). */
  signal(db: Database, key: string): void {
    const keys = this.waiting.get(db);
    if (keys === undefined || !keys.has(key)) return;
    let set = this.readySet.get(db);
    if (!set) this.readySet.set(db, (set = new Set()));
    if (set.has(key)) return;
    set.add(key);
    this.ready.push([db, key]);
  }

  /** Every key waited on in a database may have changed (SWAPDB, FLUSHDB). */
  signalAll(db: Database): void {
    for (const key of this.waiting.get(db)?.keys() ?? []) this.signal(db, key);
  }

  get hasReady(): boolean { return this.ready.length !== 0; }

  /** Offers every ready key to its waiters, oldest first, until nothing more is ready. */
  serveReady(): void {
    while (this.ready.length !== 0) {
      const batch = this.ready;
      this.ready = [];
      this.readySet.clear();
      for (const [db, key] of batch) {
        const list = this.waiting.get(db)?.get(key);
        if (!list) continue;
        // Copy: serving removes waiters from this list (and from the lists of their other keys).
        for (const waiter of [...list]) {
          if (!this.byClient.has(waiter.client)) continue;
          const client = waiter.client;
          const savedDb = client.db;
          client.db = waiter.db;
          let served = false;
          try {
            served = waiter.request.tryServe(key);
          } finally {
            client.db = savedDb;
          }
          if (served) {
            this.remove(waiter);
            client.onDeferredReply?.();
          }
        }
      }
    }
  }

  /** Answers every waiter whose deadline has passed with its timeout reply. */
  expire(now: number = this.now()): void {
    let next = 0;
    for (const waiter of [...this.byClient.values()]) {
      const d = waiter.request.deadline;
      if (d === 0) continue;
      if (d <= now) {
        this.remove(waiter);
        waiter.request.onTimeout();
        waiter.client.onDeferredReply?.();
      } else if (next === 0 || d < next) {
        next = d;
      }
    }
    if (next !== 0) this.wakeAt(next);
  }

  /** Forgets a client's wait without replying (disconnect, CLIENT KILL). */
  cancel(client: Client): void {
    const waiter = this.byClient.get(client);
    if (waiter) this.remove(waiter);
  }

  /** Unblocks a client with its timeout reply (CLIENT UNBLOCK ... TIMEOUT). */
  unblockWithTimeout(client: Client): boolean {
    const waiter = this.byClient.get(client);
    if (!waiter) return false;
    this.remove(waiter);
    waiter.request.onTimeout();
    client.onDeferredReply?.();
    return true;
  }

  /** Unblocks a client with an error reply instead (CLIENT UNBLOCK ... ERROR). */
  unblockWithError(client: Client, message: string): boolean {
    const waiter = this.byClient.get(client);
    if (!waiter) return false;
    this.remove(waiter);
    client.reply.error(message);
    client.onDeferredReply?.();
    return true;
  }

  private remove(waiter: Waiter): void {
    this.byClient.delete(waiter.client);
    const keys = this.waiting.get(waiter.db);
    if (!keys) return;
    for (const key of new Set(waiter.request.keys)) {
      const list = keys.get(key);
      if (!list) continue;
      const i = list.indexOf(waiter);
      if (i !== -1) list.splice(i, 1);
      if (list.length === 0) keys.delete(key);
    }
    if (keys.size === 0) this.waiting.delete(waiter.db);
  }
}

/**
 * For hosts: one timer for the earliest blocked-client deadline (engine hook `wakeAt`).
 * Later deadlines are re-armed by expireBlocked(); the timer is unref'd so it never keeps a
 * process alive on its own. setTimeout fires at once above 2^31-1 ms, so long waits are
 * split into steps.
 */
export class DeadlineTimer {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private at = 0;

  constructor(private readonly now: () => number, private readonly fire: () => void) {}

  schedule(ms: number): void {
    if (this.timer !== undefined && this.at <= ms) return;
    this.cancel();
    this.at = ms;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.fire();
    }, Math.min(Math.max(0, ms - this.now()), 2 ** 31 - 1));
    this.timer.unref?.();
  }

  cancel(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
