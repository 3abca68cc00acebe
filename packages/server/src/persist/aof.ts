import { AofBatchBuilder, type Propagator } from '@nodis/engine';
import { errnoText, type PersistFs } from './fs.js';

/**
 * The open append-only file: the engine's propagator, with group commit.
 *
 * Records of write commands are encoded into a batch as the commands run; the batch is written
 * with one write() at the end of the event-loop turn (or when a client's replies are about to
 * be sent, under `always`). Then, by `appendfsync`:
 * - always: an fdatasync on libuv's thread pool covers every batch written before it; replies
 *   of every client wait (connection.ts asks for a ticket) until the fsync that covers the
 *   data they may have seen completes (persistence.ts: durabilityTicket). While one fsync runs, the owner goes on executing; the
 *   next fsync covers everything that arrived meanwhile — one fsync per round, not per write.
 * - everysec: an fdatasync at most once a second, on the thread pool.
 * - no: the OS decides.
 * The owner never waits for the disk: only replies do.
 *
 * Failures, as Redis (and RELIABILITY.md): a failed write is cut back (truncate to the last
 * good length) and retried from the cron; a failed fsync is never retried on the same file —
 * the data may be lost from the page cache — so the AOF is marked broken and the caller
 * rewrites it from memory (a fresh base and incr file). Meanwhile writes are refused with
 * Redis's MISCONF error, and replies waiting for durability keep waiting.
 */

export type FsyncPolicy = 'always' | 'everysec' | 'no';

export interface AofLogEvents {
  /** Durability advanced (an fsync completed, or a batch was written): replies waiting may go. */
  durable(): void;
  /** A write or fsync failed (the message is strerror-like), or recovered (undefined). */
  error(message: string | undefined, kind: 'write' | 'fsync'): void;
}

export class AofLog implements Propagator {
  private readonly builder = new AofBatchBuilder();
  private fd: number;
  /** Bytes in the file (written and not cut back). */
  private written: number;
  /** Bytes covered by a completed fsync. */
  private synced: number;
  private fsyncing = false;
  private flushScheduled = false;
  private lastFsync = 0;
  /** A batch whose write failed: kept and written first on retry. */
  private failedBatch: Buffer | undefined;
  /** An fsync failed: this file can no longer be trusted (rewrite it). */
  broken = false;
  closed = false;
  /** Total bytes appended to this file since opening, buffered ones included (aof_current_size grows with it). */
  private total: number;

  constructor(
    private readonly fsys: PersistFs,
    readonly file: string,
    public policy: FsyncPolicy,
    private readonly events: AofLogEvents,
  ) {
    this.fd = fsys.open(file, 'append');
    const size = Math.max(0, fsys.size(file));
    this.written = size;
    this.synced = size;
    this.total = size;
  }

  /** Size of the file as it will be once pending records are written. */
  get size(): number { return this.total; }

  /** Bytes not yet covered by an fsync (or not yet written). */
  get unsynced(): number { return this.total - this.synced; }

  // Propagator
  append(db: number, argv: readonly string[]): void {
    if (this.closed) return;
    const before = this.builder.pending;
    this.builder.append(db, argv);
    this.total += this.builder.pending - before;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushSoon);
    }
  }

  private readonly flushSoon = (): void => {
    this.flushScheduled = false;
    this.flush();
  };

  /** Records appended and not yet handed to write(). */
  get pending(): number { return this.builder.pending; }

  /** Bytes this file will hold once what was appended is written (a durability ticket). */
  get appended(): number { return this.total; }

  /** Bytes a completed fsync covers. */
  get durable(): number { return this.synced; }

  /** Bytes handed to write() (in the page cache, at least). */
  get writtenBytes(): number { return this.written; }

  /** Writes the pending batch; under `always`, starts an fsync if none runs. */
  flush(): void {
    // A broken file takes nothing more: the rewrite that replaces it holds everything.
    if (this.closed || this.broken) return;
    if (this.failedBatch !== undefined) {
      if (!this.writeBatch(this.failedBatch)) return;
      this.failedBatch = undefined;
      this.events.error(undefined, 'write');
      if (this.policy !== 'always') this.events.durable();
    }
    // The header counts its own bytes in `total` only now: account for the difference.
    const pending = this.builder.pending;
    if (pending !== 0) {
      const batch = this.builder.take();
      this.total += batch.length - pending;
      if (!this.writeBatch(batch)) {
        this.failedBatch = batch;
        return;
      }
      // Under everysec and no, replies wait only for the write (persistence.ts).
      if (this.policy !== 'always') this.events.durable();
    }
    if (this.policy === 'always' && this.written > this.synced) this.startFsync();
  }

  private writeBatch(batch: Buffer): boolean {
    try {
      this.fsys.write(this.fd, batch);
      this.written += batch.length;
      return true;
    } catch (e) {
      // Part of it may be in the file: cut it back so the file ends on a whole batch.
      try {
        this.fsys.truncate(this.file, this.written);
      } catch {
        // Batches appended after a torn one would make the file unloadable (damage in the
        // middle): this file is done; the caller rewrites the AOF from memory.
        this.broken = true;
        this.events.error(errnoText(e), 'fsync');
        return false;
      }
      this.events.error(errnoText(e), 'write');
      return false;
    }
  }

  /** Called by the cron (and at hz): everysec's fsync, and retries of failed writes. */
  tick(now: number): void {
    if (this.closed) return;
    if (this.failedBatch !== undefined) this.flush();
    if (this.policy === 'everysec' && now - this.lastFsync >= 1000 && this.written > this.synced) {
      this.lastFsync = now;
      this.startFsync();
    }
  }

  private startFsync(): void {
    if (this.fsyncing || this.broken || this.closed) return;
    this.fsyncing = true;
    const covers = this.written;
    this.fsys.fsync(this.fd, (error) => {
      this.fsyncing = false;
      if (this.closed) return;
      if (error !== null) {
        this.broken = true;
        this.events.error(errnoText(error), 'fsync');
        return;
      }
      this.synced = Math.max(this.synced, covers);
      this.events.durable();
      // What arrived during this fsync needs the next one.
      if (this.policy === 'always' && this.written > this.synced) this.startFsync();
    });
  }

  /** Writes and fsyncs everything now (shutdown, before switching files). */
  flushSync(): void {
    if (this.closed) return;
    this.flush();
    if (this.failedBatch !== undefined || this.broken) throw new Error('the append-only file cannot be written');
    if (this.written > this.synced) {
      this.fsys.fsyncSync(this.fd);
      this.synced = this.written;
    }
  }

  /** Closes the file; what was not flushed is dropped (call flushSync first to keep it). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.fsys.close(this.fd);
    } catch {
      // Closing after an I/O error may fail too; the descriptor is gone either way.
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The manifest: which files make up the AOF, as Redis 7's multi-part AOF lists them.

export interface AofFileEntry { file: string; seq: number }

export interface AofManifest {
  base: AofFileEntry | undefined;
  /** Replayed in this order after the base. */
  incrs: AofFileEntry[];
}

/**
 * Redis 7's manifest lines: `file <name> seq <n> type <b|i|h>`. History (h) files are
 * leftovers to delete; nodis deletes them itself and never writes h lines.
 */
export function parseManifest(text: string, name: string): AofManifest {
  const manifest: AofManifest = { base: undefined, incrs: [] };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const parts = line.split(' ');
    const fields = new Map<string, string>();
    for (let j = 0; j + 1 < parts.length; j += 2) fields.set(parts[j]!, parts[j + 1]!);
    const file = fields.get('file');
    const seq = Number(fields.get('seq'));
    const type = fields.get('type');
    if (parts.length % 2 !== 0 || file === undefined || file.includes('/') || !Number.isInteger(seq) || seq < 1 || (type !== 'b' && type !== 'i' && type !== 'h')) {
      throw new Error(`Invalid AOF manifest file format: ${name} line ${i + 1}: '${line.slice(0, 120)}'`);
    }
    if (type === 'b') {
      if (manifest.base !== undefined) throw new Error(`Invalid AOF manifest: ${name} names two base files`);
      manifest.base = { file, seq };
    } else if (type === 'i') {
      const last = manifest.incrs[manifest.incrs.length - 1];
      if (last !== undefined && seq <= last.seq) throw new Error(`Invalid AOF manifest: ${name} line ${i + 1}: incr seq ${seq} after ${last.seq}`);
      manifest.incrs.push({ file, seq });
    }
  }
  return manifest;
}

export function formatManifest(m: AofManifest): string {
  let out = '';
  if (m.base) out += `file ${m.base.file} seq ${m.base.seq} type b\n`;
  for (const i of m.incrs) out += `file ${i.file} seq ${i.seq} type i\n`;
  return out;
}
