import type { Client } from './client.js';
import type { Engine } from './engine.js';
import type { Database } from './keyspace.js';
import { INT64_MAX, parseInt64 } from './args.js';
import { TIMEOUT_NEGATIVE, TIMEOUT_NOT_FLOAT } from './errors.js';
import { parseLongDouble } from './types/long-double.js';

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
  /** The blocking command and its argv: a snapshot in progress guards its keys before it is served. */
  command: Engine['currentCommand'];
  argv: string[];
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
  constructor(
    private readonly now: () => number,
    private readonly wakeAt: (ms: number) => void,
    private readonly engine?: Pick<Engine, 'currentCommand' | 'currentArgv' | 'snapshotGuard' | 'pubsub'>,
  ) {}

  get blockedCount(): number { return this.byClient.size; }

  isBlocked(client: Client): boolean { return this.byClient.has(client); }

  /** Keys a blocked client waits on (CLIENT LIST, INFO). */
  keysOf(client: Client): readonly string[] { return this.byClient.get(client)?.request.keys ?? []; }

  block(client: Client, request: BlockRequest): void {
    if (this.byClient.has(client)) throw new Error('client is already blocked');
    const waiter: Waiter = { client, db: client.db, request, command: this.engine?.currentCommand, argv: this.engine?.currentArgv ?? [] };
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
          // The served client's own keyspace events follow its reply, as for a command it runs.
          const pubsub = this.engine?.pubsub;
          const running = pubsub?.running;
          if (pubsub !== undefined) pubsub.running = client;
          let served = false;
          try {
            const guard = this.engine?.snapshotGuard;
            if (guard !== undefined && waiter.command !== undefined) guard.beforeCommand(client, waiter.command, waiter.argv);
            served = waiter.request.tryServe(key);
          } finally {
            client.db = savedDb;
            if (pubsub !== undefined) pubsub.running = running;
          }
          pubsub?.flushSelf(client);
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

// ---------------------------------------------------------------- timeouts and permission

const TWO_64 = 1n << 64n;

function bitLength(n: bigint): number { return n.toString(2).length; }

/**
 * A blocking command's timeout in seconds, as Redis 7.0's getTimeoutFromObjectOrReply reads it:
 * a long double (strtold: decimals, hex, `inf`), times 1000 rounded to the 64-bit significand,
 * rounded up to whole ms (`ceill`) and cast to long long, where anything beyond the range
 * becomes LLONG_MIN. So 0.0001 waits 1 ms, -0.0005 and even -0.001 (whose long double product is
 * just above -1) wait forever like 0, and `inf` or 1e300 are "negative". Returns the absolute
 * deadline in ms (0 = forever) or the error. A deadline past int64 never fires in Redis
 * (its timeout table is unsigned): forever too, as is anything beyond a safe integer.
 */
export function parseTimeout(arg: string, now: number): number | string {
  const n = parseInt64(arg);
  let ms: number;
  if (n !== undefined) {
    // Integer seconds, the common case: exact without long double arithmetic.
    if (n < 0) return TIMEOUT_NEGATIVE;
    if (typeof n === 'bigint') return BigInt(n) * 1000n > INT64_MAX ? TIMEOUT_NEGATIVE : 0;
    ms = n * 1000;
  } else {
    const x = parseLongDouble(arg);
    if (x === undefined) return TIMEOUT_NOT_FLOAT;
    if (x.kind !== 'finite') return TIMEOUT_NEGATIVE; // (long long) of ±inf is LLONG_MIN
    if (x.mantissa === 0n) return 0;
    // x * 1000 = (m * 1000) * 2^e exactly; round to 64 significant bits, ties to even.
    let m = x.mantissa * 1000n;
    let e = x.exponent;
    const excess = bitLength(m) - 64;
    if (excess > 0) {
      const s = BigInt(excess);
      let q = m >> s;
      const rest = m - (q << s);
      const half = 1n << (s - 1n);
      if (rest > half || (rest === half && (q & 1n) === 1n)) q += 1n;
      if (q === TWO_64) { q >>= 1n; e += 1; }
      m = q;
      e += excess;
    }
    // ceill, then the cast: the integer part, rounded away from zero only for positive values.
    let t: bigint;
    if (e >= 0) {
      t = m << BigInt(e);
    } else {
      const s = BigInt(-e);
      t = m >> s;
      if (!x.negative && (t << s) !== m) t += 1n;
    }
    if (x.negative) t = -t;
    if (t < 0n || t > INT64_MAX) return TIMEOUT_NEGATIVE;
    if (t > BigInt(Number.MAX_SAFE_INTEGER)) return 0;
    ms = Number(t);
  }
  if (ms === 0) return 0;
  const deadline = now + ms;
  return deadline > Number.MAX_SAFE_INTEGER ? 0 : deadline;
}

/**
 * Whether the client may block. Inside EXEC (CLIENT_DENY_BLOCKING in Redis) a blocking command
 * that finds nothing must not block: it answers as if its timeout had expired at once — BLPOP,
 * BRPOP and BLMPOP a null array, BLMOVE and BRPOPLPUSH a null bulk string. The AOF's loader
 * never blocks either (Redis's fake client denies blocking too).
 */
export function mayBlock(ctx: Client): boolean {
  return !ctx.loader && !ctx.inExec;
}
