import { crc32 } from 'node:zlib';
import type { Client } from '../client.js';
import type { Command } from '../command.js';
import { findKeys } from '../command-docs.js';
import type { Engine, SnapshotGuard } from '../engine.js';
import { shardIndex, type Database, type Value } from '../keyspace.js';
import { parseInt64 } from '../args.js';
import { BINARY_FORM_MIN, VALUE_STRING, dumpValue, loadValue } from './value-codec.js';
import {
  BLOCK_MAX_RECORDS, BLOCK_TARGET_BYTES, SnapshotError, encodeSnapshotBlock, encodeSnapshotFooter, encodeSnapshotHeader,
} from './snapshot-format.js';

/**
 * Writes the data set as it was at one moment, a little at a time, while commands go on
 * changing it (BGSAVE, and the base of an AOF rewrite).
 *
 * Redis forks and lets the kernel copy pages on write; a V8 heap cannot be forked, and copying
 * it to another thread costs as much as writing it. So the owner writes the snapshot itself,
 * in slices of a few milliseconds between which it serves clients, and copies on write *by
 * key*: when the job starts it takes hold of every shard's Maps (keyspace.ts); before a
 * command changes a key the job has not written yet, the engine calls beforeCommand() (it is
 * the engine's SnapshotGuard) and the job writes that key's old value at once, then skips it
 * when its walk reaches it. Keys a command creates are marked too, so the walk skips them.
 *
 * Why this sees the data set of the start:
 * - a key changed in place (LPUSH on a list) is written before the change (the guard runs
 *   before the handler, on the keys COMMAND GETKEYS finds, plus MOVE's and COPY's target db);
 * - FLUSHDB/FLUSHALL give the shards new Maps (Database.clear), so the job's Maps keep their
 *   keys; SWAPDB moves Maps between databases, and the job knows each Map's database of the
 *   start by the Map itself;
 * - a key that expires meanwhile may be missed: loading would drop it anyway (a later load
 *   is later than its expiry), and an AOF tail logs its DEL.
 * - blocked clients served later guard their command's keys first (blocking.ts).
 * The guard remembers the keys it handled in each shard not yet walked, so the walk skips
 * them (a Map may also reinsert a key behind the walk: a handled key). The walk itself does
 * not remember what it wrote — a Set insert per key would double the cost of a snapshot — so
 * the guard cannot tell, in the shard being walked, a key the walk passed from one it has not
 * reached: it writes the key's value again. That copy is the same value of the start (the
 * guard runs before the first change), and loading the second record of a key changes nothing.
 */

interface CapturedShard {
  db: number;
  data: Map<string, Value>;
  expires: Map<string, number>;
  /** Keys written or skipped already; dropped once the shard is walked. */
  handled: Set<string> | undefined;
  finished: boolean;
}

export interface SnapshotJobOptions {
  /** Bytes of the file in order: the header, blocks, and last the footer. */
  write(bytes: Buffer): void;
  server: string;
  /** The clock for time slices (performance.now by default). */
  now?: () => number;
}

export class SnapshotJob implements SnapshotGuard {
  private readonly shards: CapturedShard[] = [];
  private readonly byMap = new Map<Map<string, Value>, CapturedShard>();
  private index = 0;
  private iterator: MapIterator<[string, Value]> | undefined;
  private records: unknown[] = [];
  private recordBytes = 0;
  private fileCrc = 0;
  private blocks = 0;
  private total = 0;
  /** Keys at the start, for progress (INFO current_save_keys_total). */
  readonly keysTotal: number;
  done = false;
  private readonly now: () => number;

  constructor(private readonly engine: Engine, private readonly options: SnapshotJobOptions) {
    this.now = options.now ?? (() => performance.now());
    let keys = 0;
    for (const db of engine.dbs) {
      for (const shard of db.shards) {
        const captured: CapturedShard = { db: db.index, data: shard.data, expires: shard.expires, handled: new Set(), finished: false };
        this.shards.push(captured);
        this.byMap.set(shard.data, captured);
        keys += shard.data.size;
      }
    }
    this.keysTotal = keys;
    this.emit(encodeSnapshotHeader({ created: engine.clock(), server: options.server, databases: engine.dbs.length }));
  }

  /** Keys written so far. */
  get keysProcessed(): number { return this.total; }

  /** Starts guarding the engine's commands (call once, right after construction). */
  attach(): void {
    if (this.engine.snapshotGuard !== undefined && this.engine.snapshotGuard !== this) throw new Error('a snapshot is already in progress');
    this.engine.snapshotGuard = this;
  }

  /** Stops guarding (the job finished, failed or was cancelled). */
  detach(): void {
    if (this.engine.snapshotGuard === this) this.engine.snapshotGuard = undefined;
  }

  /**
   * Walks on for about `budgetMs` (Infinity: to the end). True once the whole file, footer
   * included, has been written.
   */
  step(budgetMs: number): boolean {
    if (this.done) return true;
    const deadline = this.now() + budgetMs;
    let sinceCheck = 0;
    while (this.index < this.shards.length) {
      const shard = this.shards[this.index]!;
      this.iterator ??= shard.data.entries();
      for (;;) {
        const next = this.iterator.next();
        if (next.done) break;
        const [key, value] = next.value;
        if (shard.handled!.has(key)) continue;
        this.record(shard.db, key, value, shard.expires.size === 0 ? undefined : shard.expires.get(key));
        // Checking the clock costs more than a short record: every 64 records.
        if (++sinceCheck >= 64) {
          sinceCheck = 0;
          if (this.now() >= deadline) return false;
        }
      }
      shard.handled = undefined;
      shard.finished = true;
      this.iterator = undefined;
      this.index++;
    }
    this.flushBlock();
    this.emit(encodeSnapshotFooter(this.blocks, this.total, this.fileCrc));
    this.done = true;
    this.detach();
    return true;
  }

  // SnapshotGuard
  beforeCommand(client: Client, command: Command, argv: readonly string[]): void {
    const keys = findKeys(command, argv);
    if (keys !== undefined) for (const k of keys) this.protect(client.db, argv[k.index]!);
    // Keys in another database than the client's: MOVE key db, COPY src dst DB n.
    const name = command.name;
    if (name === 'move' && argv.length === 3) {
      const target = this.database(argv[2]!);
      if (target !== undefined) this.protect(target, argv[1]!);
    } else if (name === 'copy') {
      for (let i = 3; i + 1 < argv.length; i++) {
        if (argv[i]!.toUpperCase() === 'DB') {
          const target = this.database(argv[i + 1]!);
          if (target !== undefined) this.protect(target, argv[2]!);
        }
      }
    }
  }

  private database(arg: string): Database | undefined {
    const n = parseInt64(arg);
    return typeof n === 'number' ? this.engine.dbs[n] : undefined;
  }

  /** Writes the key's value of the start now, if the walk has not reached it. */
  private protect(db: Database, key: string): void {
    const shard = db.shards[shardIndex(key)]!;
    const captured = this.byMap.get(shard.data);
    if (captured === undefined || captured.finished) return;
    const handled = captured.handled!;
    if (handled.has(key)) return;
    handled.add(key);
    const value = captured.data.get(key);
    if (value !== undefined) this.record(captured.db, key, value, captured.expires.size === 0 ? undefined : captured.expires.get(key));
  }

  private record(db: number, key: string, value: Value, expireAt: number | undefined): void {
    if (typeof value === 'string' && value.length < BINARY_FORM_MIN) {
      // Most keys: a short string is its own payload (value-codec.ts); no tuple to allocate.
      this.records.push(db, key, VALUE_STRING, value, expireAt ?? -1);
      this.recordBytes += 24 + key.length + value.length;
    } else {
      const [type, payload] = dumpValue(value);
      this.records.push(db, key, type, payload, expireAt ?? -1);
      // The payload's own bytes: a count of elements (16 bytes each) let a block of hashes with
      // long values grow to any size (10 MB seen in a test; past MAX_BLOCK the file is unreadable).
      this.recordBytes += 24 + key.length + payloadBytes(payload);
    }
    this.total++;
    if (this.recordBytes >= BLOCK_TARGET_BYTES || this.records.length >= BLOCK_MAX_RECORDS * 5) this.flushBlock();
  }

  private flushBlock(): void {
    if (this.records.length === 0) return;
    const [head, body] = encodeSnapshotBlock(this.records);
    this.emit(head);
    this.emit(body);
    this.blocks++;
    this.records = [];
    this.recordBytes = 0;
  }

  private emit(bytes: Buffer): void {
    this.fileCrc = crc32(bytes, this.fileCrc);
    this.options.write(bytes);
  }
}

/** Roughly what a dumped payload packs to (block sizing): its bytes, plus a little per element. */
function payloadBytes(payload: unknown): number {
  if (typeof payload === 'string' || payload instanceof Uint8Array) return payload.length;
  if (!Array.isArray(payload)) return 9;
  let n = 0;
  for (let i = 0; i < payload.length; i++) {
    const e: unknown = payload[i];
    n += (typeof e === 'string' || e instanceof Uint8Array ? e.length : 8) + 2;
  }
  return n;
}

/**
 * Loads one block's records into the engine's databases. `dropExpiredAt`: keys whose expiry is
 * at or before this time are skipped (a snapshot loaded on its own); leave it undefined under
 * an AOF tail, which may still act on them before they expire in its replay.
 * Returns the number of keys loaded; throws SnapshotError on a record that does not make sense.
 */
export function loadSnapshotRecords(engine: Engine, flat: unknown[], name: string, blockOffset: number, dropExpiredAt?: number): number {
  let loaded = 0;
  for (let i = 0; i < flat.length; i += 5) {
    const db = flat[i];
    const key = flat[i + 1];
    const type = flat[i + 2];
    const expireAt = flat[i + 4];
    // Built only for an error: a string per record would cost more than the record.
    const where = (): string => `${name}: record ${i / 5} of the block at offset ${blockOffset}`;
    if (typeof db !== 'number' || !Number.isInteger(db) || db < 0) throw new SnapshotError(`${where()} has no valid database index`);
    const database = engine.dbs[db];
    if (database === undefined) throw new SnapshotError(`${where()} is for database ${db}, but only ${engine.dbs.length} are configured (raise \`databases\`)`);
    if (typeof key !== 'string') throw new SnapshotError(`${where()} has no valid key`);
    if (typeof type !== 'number') throw new SnapshotError(`${where()} has no valid type`);
    if (typeof expireAt !== 'number' || !Number.isFinite(expireAt)) throw new SnapshotError(`${where()} has no valid expiry`);
    if (dropExpiredAt !== undefined && expireAt !== -1 && expireAt <= dropExpiredAt) continue;
    const payload = flat[i + 3];
    let value: Value;
    if (type === VALUE_STRING && typeof payload === 'string') {
      // Most records: a string is its own value (what loadValue returns for it).
      value = payload;
    } else {
      try {
        value = loadValue(type, payload, engine.config);
      } catch (e) {
        throw new SnapshotError(`${where()} (key '${printable(key)}'): ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    // A key written twice (see SnapshotJob) holds the same value both times.
    if (database.loadEntry(key, value, expireAt === -1 ? undefined : expireAt)) loaded++;
  }
  return loaded;
}

function printable(key: string): string {
  const short = key.length > 64 ? `${key.slice(0, 64)}…` : key;
  return short.replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
