import type { Engine } from './engine.js';
import { SHARD_COUNT, type Database, type Shard } from './keyspace.js';

/**
 * Active expiry: removes keys whose time has passed although nobody reads them (reads remove
 * expired keys lazily, in Database.lookup). Redis's slow cycle, adapted to sharded Maps:
 *
 * - It runs from the engine's cron, `hz` times a second, with a time budget of 25% of one
 *   cron period (ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC), measured on a real clock: the engine's
 *   clock is the command time (manual in tests), the budget is about CPU.
 * - Each run visits up to 16 databases round-robin (CRON_DBS_PER_CALL). In each it samples 20
 *   keys with a TTL (ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP) and keeps sampling while more than 10%
 *   of a sample had expired (ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE): a database full of dead keys
 *   is cleaned quickly, one with few costs 20 lookups per run.
 * - Samples come from a persistent iterator per database over its shards' `expires` Maps, one
 *   shard after another, so every key with a TTL is eventually visited (Redis walks its
 *   `expires` table with a scan cursor for the same reason). JS Map iterators stay valid while
 *   entries are added and removed; one that SWAPDB moved to another database is restarted.
 */

const KEYS_PER_LOOP = 20;
const ACCEPTABLE_STALE_PERCENT = 10;
const TIME_PERCENT = 25;
const DBS_PER_CALL = 16;

interface ExpiresCursor {
  shard: number;
  map: Map<string, number> | undefined;
  it: MapIterator<[string, number]> | undefined;
}

export interface ActiveExpireOptions {
  /** Real time in ms for the budget (default performance.now). */
  now?: () => number;
}

export class ActiveExpireCycle {
  private nextDb = 0;
  private readonly cursors = new Map<Database, ExpiresCursor>();
  private readonly now: () => number;
  /** Runs that stopped because the budget ran out (Redis's expired_time_cap_reached_count). */
  timeCapReached = 0;
  /** Keys with a TTL looked at, in all runs. */
  keysSampled = 0;

  constructor(readonly engine: Engine, options: ActiveExpireOptions = {}) {
    this.now = options.now ?? (() => performance.now());
  }

  /** One cycle; returns the number of keys removed. */
  run(): number {
    const dbs = this.engine.dbs;
    const hz = this.engine.config.getNumber('hz') || 10;
    const budget = (1000 / hz) * (TIME_PERCENT / 100);
    const start = this.now();
    let removed = 0;
    const visits = Math.min(DBS_PER_CALL, dbs.length);
    for (let v = 0; v < visits; v++) {
      const db = dbs[this.nextDb]!;
      this.nextDb = (this.nextDb + 1) % dbs.length;
      if (db.expiresCount === 0) continue;
      for (;;) {
        const [sampled, expired] = this.sample(db, KEYS_PER_LOOP);
        removed += expired;
        if (this.now() - start > budget) {
          this.timeCapReached++;
          return removed;
        }
        if (sampled === 0 || expired * 100 <= sampled * ACCEPTABLE_STALE_PERCENT) break;
      }
    }
    return removed;
  }

  /** Looks at up to `count` keys with a TTL in `db`, removing expired ones: [looked at, removed]. */
  private sample(db: Database, count: number): [number, number] {
    let cursor = this.cursors.get(db);
    if (cursor === undefined) {
      cursor = { shard: 0, map: undefined, it: undefined };
      this.cursors.set(db, cursor);
    }
    const now = this.engine.time;
    let sampled = 0;
    let expired = 0;
    // At most one pass over the shards per sample: a database with few keys with a TTL is
    // not sampled twice over, and one whose keys vanished meanwhile cannot keep us spinning.
    for (let shardSteps = 0; sampled < count && shardSteps <= SHARD_COUNT;) {
      const shard: Shard = db.shards[cursor.shard]!;
      if (cursor.it === undefined || cursor.map !== shard.expires) {
        cursor.map = shard.expires;
        cursor.it = shard.expires.entries();
      }
      const next = cursor.it.next();
      if (next.done) {
        cursor.shard = (cursor.shard + 1) % SHARD_COUNT;
        cursor.it = undefined;
        shardSteps++;
        continue;
      }
      sampled++;
      this.keysSampled++;
      const [key, at] = next.value;
      if (at <= now) {
        db.removeExpired(shard, key);
        expired++;
      }
    }
    return [sampled, expired];
  }
}

/** Registers active expiry as an engine cron task. */
export function installActiveExpire(engine: Engine, options: ActiveExpireOptions = {}): ActiveExpireCycle {
  const cycle = new ActiveExpireCycle(engine, options);
  // Nothing expires while the data set loads (keyspace.ts: KeyspaceHost.loading).
  engine.cronTasks.push(() => { if (!engine.loading) cycle.run(); });
  return cycle;
}
