import path from 'node:path';
import {
  AofCorruptError, AofReader, SnapshotJob, SnapshotReader, loadSnapshotRecords,
  type Client, type Engine, type ReplyWriter,
} from '@nodis/engine';
import { AofLog, formatManifest, parseManifest, type AofManifest, type FsyncPolicy } from './aof.js';
import { FileSource, nodeFs, type PersistFs } from './fs.js';

/**
 * Persistence on the owner, as Redis does it and names it:
 * - the snapshot file (`dir`/`dbfilename`): SAVE, BGSAVE, `save <seconds> <changes>` points;
 * - the append-only file (`appendonly yes`), Redis 7's multi-part layout in `dir`/`appenddirname`:
 *   a manifest naming one base (a snapshot) and incr files of RESP commands (aof.ts);
 *   BGREWRITEAOF and auto-aof-rewrite-* replace base and incrs with a fresh base;
 * - loading at start: the AOF when it is on, else the snapshot; clients that connect meanwhile
 *   get -LOADING;
 * - the reply barrier: under `appendfsync always` no reply leaves before the fsync covering it.
 *
 * Background work (BGSAVE, rewrite) runs on the owner in slices (SnapshotJob), one job at a
 * time as Redis runs one child at a time.
 */

export interface PersistenceOptions {
  engine: Engine;
  log: (level: string, message: string) => void;
  fs?: PersistFs;
  /** For the snapshot header. */
  serverVersion: string;
  /** Milliseconds of work per slice of a background job. */
  sliceMs?: number;
}

type JobKind = 'bgsave' | 'rewrite';

interface RunningJob {
  kind: JobKind;
  snapshot: SnapshotJob;
  fd: number;
  temp: string;
  started: number;
  failed: string | undefined;
  /** The rewrite's new files. */
  rewrite?: { baseSeq: number; incr: { file: string; seq: number } };
  fdClosed: boolean;
  cancelled: boolean;
}

const BASE_SUFFIX = '.base.snapshot';
const INCR_SUFFIX = '.incr.aof';
const LOAD_SLICE_MS = 20;
const PROGRESS_EVERY_MS = 1000;

/** Redis's MISCONF replies. */
const MISCONF_BGSAVE = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

export class Persistence {
  readonly engine: Engine;
  private readonly fs: PersistFs;
  private readonly log: (level: string, message: string) => void;
  private readonly sliceMs: number;
  private aof: AofLog | undefined;
  private manifest: AofManifest = { base: undefined, incrs: [] };
  private job: RunningJob | undefined;
  private bgsaveScheduled = false;
  private rewriteScheduled = false;
  /** Replies waiting for durability (connections register here), in ticket order. */
  private readonly waiters: { ticket: number; ready: () => void }[] = [];
  /** Bytes of the AOF files before the open one (durability tickets count across files). */
  private logBase = 0;
  /** The AOF must be rewritten before anything is durable again (an fsync failed). */
  private recovering = false;
  private aofWriteError: string | undefined;
  private bgsaveFailed = false;

  // INFO persistence
  private dirtyAtSave = 0;
  private lastSave: number;
  private lastBgsaveStatus: 'ok' | 'err' = 'ok';
  private lastBgsaveSeconds = -1;
  private saves = 0;
  private lastRewriteStatus: 'ok' | 'err' = 'ok';
  private lastRewriteSeconds = -1;
  private rewrites = 0;
  private rewriteFailures = 0;
  /** After a failed rewrite, automatic ones wait (1 s doubling to 60 s), as Redis backs off. */
  private rewriteRetryAt = 0;
  /** A failed BGSAVE at a save point is retried 5 s after the last try, as Redis. */
  private lastBgsaveTry = 0;
  private aofBaseSize = 0;
  private loadingInfo: { started: number; total: number; loaded: number } | undefined;
  private lastLoadKeys = 0;

  constructor(options: PersistenceOptions) {
    this.engine = options.engine;
    this.fs = options.fs ?? nodeFs;
    this.log = options.log;
    this.sliceMs = options.sliceMs ?? 2;
    this.serverVersion = options.serverVersion;
    this.lastSave = Math.floor(this.engine.clock() / 1000);
    const config = this.engine.config;
    config.onChange('appendfsync', (v) => {
      if (this.aof) this.aof.policy = v as FsyncPolicy;
      this.notifyDurable();
    });
    config.onChange('appendonly', (v) => this.setAppendOnly(v === 'yes'));
    config.onChange('stop-writes-on-bgsave-error', () => this.updateWriteError());
  }

  private readonly serverVersion: string;

  private get dir(): string { return path.resolve(this.engine.config.get('dir')); }
  private get snapshotFile(): string { return path.join(this.dir, this.engine.config.get('dbfilename')); }
  private get aofDir(): string { return path.join(this.dir, this.engine.config.get('appenddirname')); }
  private get aofName(): string { return this.engine.config.get('appendfilename'); }
  private get manifestFile(): string { return path.join(this.aofDir, `${this.aofName}.manifest`); }

  // ------------------------------------------------------------------ loading

  /**
   * Loads the data set (AOF when on, else the snapshot), a slice at a time so clients that
   * connect meanwhile get -LOADING; then opens the AOF. Throws Error with a message that names
   * the file and offset when the files cannot be loaded.
   */
  async load(): Promise<void> {
    const engine = this.engine;
    const started = Date.now();
    this.removeStaleSnapshotTemps();
    engine.loading = true;
    let keys = 0;
    try {
      if (engine.config.get('appendonly') === 'yes') {
        keys = await this.loadAof();
      } else if (this.fs.size(this.snapshotFile) >= 0) {
        keys = await this.loadSnapshotFile(this.snapshotFile, engine.clock());
      }
    } catch (e) {
      // Nothing half-loaded is ever served: the caller stops the server.
      for (const db of engine.dbs) db.clear();
      if (e instanceof LoadStopped) {
        engine.loading = false;
        this.loadingInfo = undefined;
        return;
      }
      throw e;
    } finally {
      engine.loading = false;
      this.loadingInfo = undefined;
    }
    this.dropExpired();
    const seconds = (Date.now() - started) / 1000;
    this.lastLoadKeys = keys;
    this.dirtyAtSave = engine.dirty;
    if (keys > 0 || seconds > 0.5) this.log('notice', `DB loaded from disk: ${seconds.toFixed(3)} seconds`);
    if (engine.config.get('appendonly') === 'yes') {
      try {
        this.openAof();
      } catch (e) {
        throw new Error(`Can't open the append-only file in ${this.aofDir}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  /** Temp files of snapshots a crash interrupted (`temp-<pid>.snapshot`, `temp-<pid>-<dbfilename>`). */
  private removeStaleSnapshotTemps(): void {
    let names: string[];
    try {
      names = this.fs.readdir(this.dir);
    } catch {
      return; // no directory yet
    }
    for (const name of names) {
      if (/^temp-\d+(\.snapshot|-.+)$/.test(name)) this.fs.unlink(path.join(this.dir, name));
    }
  }

  /** Keys whose time passed before or during loading: gone once loading ends (Redis's rule). */
  private dropExpired(): void {
    const engine = this.engine;
    engine.time = engine.clock();
    for (const db of engine.dbs) {
      for (const shard of db.shards) {
        if (shard.expires.size === 0) continue;
        for (const [key, at] of shard.expires) if (at <= engine.time) db.removeExpired(shard, key);
      }
    }
  }

  /** Set by shutdown(): a load in progress stops at its next slice. */
  private closing = false;

  private async yieldNow(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.closing) throw new LoadStopped();
  }

  private async loadSnapshotFile(file: string, dropExpiredAt: number | undefined): Promise<number> {
    const source = new FileSource(this.fs, file);
    try {
      const reader = new SnapshotReader(source, file);
      reader.readHeader();
      this.loadingInfo = { started: Date.now(), total: source.size, loaded: 0 };
      let keys = 0;
      let sliceStart = performance.now();
      let lastProgress = Date.now();
      for (;;) {
        const at = reader.position;
        const block = reader.nextBlock();
        if (block === undefined) break;
        keys += loadSnapshotRecords(this.engine, block, file, at, dropExpiredAt);
        this.loadingInfo.loaded = reader.position;
        if (performance.now() - sliceStart >= LOAD_SLICE_MS) {
          if (Date.now() - lastProgress >= PROGRESS_EVERY_MS) {
            lastProgress = Date.now();
            this.log('notice', `Loading ${path.basename(file)}: ${Math.floor((reader.position / source.size) * 100)}% (${keys} keys)`);
          }
          await this.yieldNow();
          sliceStart = performance.now();
        }
      }
      return keys;
    } finally {
      source.close();
    }
  }

  private async loadAof(): Promise<number> {
    const fs = this.fs;
    if (fs.size(this.manifestFile) < 0) {
      // No AOF yet. A snapshot from `appendonly no` days is loaded rather than ignored (Redis
      // starts empty here, a well-known way to lose data); openAof() then makes it the base.
      if (fs.size(this.snapshotFile) >= 0) {
        this.log('notice', `No AOF manifest in ${this.aofDir}: loading the snapshot ${this.snapshotFile}`);
        this.manifest = { base: undefined, incrs: [] };
        return this.loadSnapshotFile(this.snapshotFile, undefined);
      }
      this.manifest = { base: undefined, incrs: [] };
      return 0;
    }
    this.manifest = parseManifest(fs.readFile(this.manifestFile).toString('latin1'), this.manifestFile);
    if (this.manifest.base === undefined && this.manifest.incrs.length === 0) {
      // Never start empty over files a damaged manifest no longer names (they would be deleted).
      throw new Error(`Found an empty AOF manifest ${this.manifestFile}: refusing to start (restore it, or remove the appendonlydir to start empty)`);
    }
    let keys = 0;
    if (this.manifest.base) {
      const file = path.join(this.aofDir, this.manifest.base.file);
      if (fs.size(file) < 0) throw new Error(`The AOF base file ${file} named in ${this.manifestFile} does not exist`);
      // Keys past their time stay until the tail is replayed: it may act on them first.
      keys = await this.loadSnapshotFile(file, undefined);
      this.aofBaseSize = fs.size(file);
    }
    const incrs = this.manifest.incrs;
    for (let i = 0; i < incrs.length; i++) {
      const file = path.join(this.aofDir, incrs[i]!.file);
      if (fs.size(file) < 0) throw new Error(`The AOF file ${file} named in ${this.manifestFile} does not exist`);
      await this.replay(file, i === incrs.length - 1);
    }
    let total = 0;
    for (const db of this.engine.dbs) total += db.size;
    return Math.max(keys, total);
  }

  /** Set when the AOF must start anew with a base written from memory (CONFIG SET appendonly yes over old files). */
  private needsBase = false;

  private async replay(file: string, last: boolean): Promise<void> {
    const engine = this.engine;
    const source = new FileSource(this.fs, file);
    const errors = { count: 0, first: '' };
    const client: Client = engine.createClient({ reply: new DiscardingWriter(errors), kind: 'memory', addr: 'aof-loader' });
    client.loader = true;
    let commands = 0;
    // The unit (checksummed batch, or foreign command) being replayed, and where the one holding
    // the MULTI of a transaction still open starts: a file may end inside one (below).
    let unitStart = 0;
    let unitEnd = 0;
    let multiStart = 0;
    try {
      const reader = new AofReader(source);
      this.loadingInfo = { started: Date.now(), total: source.size, loaded: 0 };
      let sliceStart = performance.now();
      let lastProgress = Date.now();
      for (;;) {
        let command;
        try {
          command = reader.next();
        } catch (e) {
          if (e instanceof AofCorruptError) {
            throw new Error(`Bad file format reading the append only file ${file}: ${e.message}. Run 'nodis-server --check-aof ${file}' to see the damage; '--check-aof --fix' truncates the file there (losing what follows)`);
          }
          throw e;
        }
        if (command === undefined) break;
        const name = command.argv[0]!;
        if (engine.table.get(name) === undefined) {
          throw new Error(`Unknown command '${name.slice(0, 64)}' reading the append only file ${file} (before offset ${command.end})`);
        }
        if (command.end !== unitEnd) {
          unitStart = unitEnd;
          unitEnd = command.end;
        }
        if (client.multi === undefined && name.length === 5 && name.toLowerCase() === 'multi') multiStart = unitStart;
        engine.execute(client, command.argv);
        commands++;
        if ((commands & 255) === 0 && performance.now() - sliceStart >= LOAD_SLICE_MS) {
          this.loadingInfo.loaded = reader.position;
          if (Date.now() - lastProgress >= PROGRESS_EVERY_MS) {
            lastProgress = Date.now();
            this.log('notice', `Loading ${path.basename(file)}: ${Math.floor((reader.position / source.size) * 100)}% (${commands} commands)`);
          }
          await this.yieldNow();
          sliceStart = performance.now();
        }
      }
      const end = { ...reader.end! };
      // The file ends inside MULTI ... EXEC (a foreign file cut between two commands): the queued
      // commands never ran, and as Redis does, the tail from that MULTI is a torn tail. Left in
      // the file, it would swallow every command appended after it at the next load.
      if (client.multi !== undefined) {
        this.log('warning', `Revert incomplete MULTI/EXEC transaction in AOF file ${file}`);
        end.truncated = true;
        end.validUpTo = Math.min(end.validUpTo, multiStart);
        end.reason ??= 'an incomplete MULTI/EXEC transaction';
      }
      if (end.truncated) {
        if (!last) throw new Error(`The append only file ${file} is truncated at offset ${end.validUpTo} (${end.reason}), and it is not the last file of the AOF: refusing to load`);
        if (this.engine.config.get('aof-load-truncated') !== 'yes') {
          throw new Error(`The append only file ${file} is truncated at offset ${end.validUpTo} (${end.reason}). Start with aof-load-truncated yes to drop the torn tail, or run 'nodis-server --check-aof --fix ${file}'`);
        }
        this.log('warning', `!!! Warning: short read while loading the AOF file ${file}!!! (${end.reason}) — the torn tail after offset ${end.validUpTo} (${source.size - end.validUpTo} bytes, never acknowledged under appendfsync always) is dropped and the file truncated there`);
        source.close();
        this.fs.truncate(file, end.validUpTo);
        // Durable now: the file may stop being the last one (a rewrite) before its next fsync.
        const fd = this.fs.open(file, 'append');
        try {
          this.fs.fsyncSync(fd);
        } finally {
          this.fs.close(fd);
        }
        return;
      }
      if (errors.count > 0) this.log('warning', `${errors.count} commands of ${file} answered errors while loading (the first: ${errors.first})`);
    } finally {
      source.close();
      engine.removeClient(client);
    }
  }

  // ------------------------------------------------------------------ the AOF

  /** Opens the incr file to append to (creating the first manifest when there is none). */
  private openAof(): void {
    const fs = this.fs;
    if (fs.size(this.aofDir) < 0) {
      fs.mkdir(this.aofDir);
      fs.fsyncDir(this.dir); // the new directory's entry, durable
    }
    if (this.manifest.incrs.length === 0 || this.needsBase) {
      // A fresh AOF. With data in memory (a loaded snapshot, appendonly turned on) the base
      // must hold it: write it now, in the foreground (startup, or CONFIG SET).
      const baseSeq = (this.manifest.base?.seq ?? 0) + 1;
      const incrSeq = (this.manifest.incrs[this.manifest.incrs.length - 1]?.seq ?? 0) + 1;
      let base: AofManifest['base'];
      if (this.keyCount() > 0) {
        const file = `${this.aofName}.${baseSeq}${BASE_SUFFIX}`;
        this.writeSnapshotSync(path.join(this.aofDir, file));
        base = { file, seq: baseSeq };
        this.aofBaseSize = fs.size(path.join(this.aofDir, file));
      }
      const incr = { file: `${this.aofName}.${incrSeq}${INCR_SUFFIX}`, seq: incrSeq };
      fs.unlink(path.join(this.aofDir, incr.file)); // a leftover of that name is not ours to extend
      this.aof = this.newLog(incr.file);
      this.writeManifest({ base, incrs: [incr] });
      this.removeUnlisted();
      this.needsBase = false;
    } else {
      const last = this.manifest.incrs[this.manifest.incrs.length - 1]!;
      this.aof = this.newLog(last.file);
      this.removeUnlisted();
    }
    this.engine.propagator = this.aof;
  }

  private newLog(file: string): AofLog {
    return new AofLog(this.fs, path.join(this.aofDir, file), this.engine.config.get('appendfsync') as FsyncPolicy, {
      durable: () => this.notifyDurable(),
      error: (message, kind) => this.onAofError(message, kind),
    });
  }

  private keyCount(): number {
    let n = 0;
    for (const db of this.engine.dbs) n += db.size;
    return n;
  }

  /** Writes a manifest atomically: temp file, fsync, rename, fsync the directory. */
  private writeManifest(m: AofManifest): void {
    const fs = this.fs;
    const temp = path.join(this.aofDir, `temp-${this.aofName}.manifest`);
    const fd = fs.open(temp, 'write');
    try {
      fs.write(fd, Buffer.from(formatManifest(m), 'latin1'));
      fs.fsyncSync(fd);
    } finally {
      fs.close(fd);
    }
    fs.rename(temp, this.manifestFile);
    fs.fsyncDir(this.aofDir);
    this.manifest = m;
  }

  /** fsyncDir off the owner when the file system can (an fsync of a directory takes ~10 ms here). */
  private fsyncDirLater(dir: string, done: (error: Error | null) => void): void {
    if (this.fs.fsyncDirAsync !== undefined) return this.fs.fsyncDirAsync(dir, done);
    try {
      this.fs.fsyncDir(dir);
    } catch (e) {
      return done(e instanceof Error ? e : new Error(String(e)));
    }
    done(null);
  }

  /**
   * writeManifest() with its fsyncs on the thread pool: temp file, fsync, rename, fsync the
   * directory; `done` runs once the new manifest is durable (the old one stands until then).
   */
  private writeManifestLater(m: AofManifest, done: (error: Error | null) => void): void {
    const fs = this.fs;
    const temp = path.join(this.aofDir, `temp-${this.aofName}.manifest`);
    let fd: number;
    try {
      fd = fs.open(temp, 'write');
      fs.write(fd, Buffer.from(formatManifest(m), 'latin1'));
    } catch (e) {
      return done(e instanceof Error ? e : new Error(String(e)));
    }
    fs.fsync(fd, (error) => {
      try {
        fs.close(fd);
        if (error !== null) return done(error);
        fs.rename(temp, this.manifestFile);
      } catch (e) {
        return done(e instanceof Error ? e : new Error(String(e)));
      }
      this.manifest = m;
      this.fsyncDirLater(this.aofDir, done);
    });
  }

  /** Deletes AOF files the manifest no longer names (after a rewrite, or left by a crash). */
  private removeUnlisted(): void {
    const fs = this.fs;
    const keep = new Set<string>([`${this.aofName}.manifest`]);
    if (this.manifest.base) keep.add(this.manifest.base.file);
    for (const i of this.manifest.incrs) keep.add(i.file);
    const prefix = `${this.aofName}.`;
    let removed = false;
    for (const name of fs.readdir(this.aofDir)) {
      const ours = (name.startsWith(prefix) && (name.endsWith(BASE_SUFFIX) || name.endsWith(INCR_SUFFIX))) || name.startsWith(`temp-${this.aofName}`);
      if (ours && !keep.has(name) && !(this.job?.temp === path.join(this.aofDir, name))) {
        fs.unlink(path.join(this.aofDir, name));
        removed = true;
      }
    }
    if (removed) fs.fsyncDir(this.aofDir);
  }

  private setAppendOnly(on: boolean): void {
    if (on && this.aof === undefined) {
      // As Redis's startAppendOnly: the AOF begins with a base holding the data set.
      this.manifest = { base: undefined, incrs: [] };
      try {
        this.fs.mkdir(this.aofDir);
        if (this.fs.size(this.manifestFile) >= 0) this.manifest = parseManifest(this.fs.readFile(this.manifestFile).toString('latin1'), this.manifestFile);
      } catch {
        this.manifest = { base: undefined, incrs: [] };
      }
      this.needsBase = true;
      this.openAof();
      this.log('notice', 'AOF enabled (CONFIG SET appendonly yes): the data set was written as its base');
    } else if (!on && this.aof !== undefined) {
      this.cancelJob('rewrite');
      try {
        this.aof.flushSync();
      } catch (e) {
        this.log('warning', `Closing the AOF: ${e instanceof Error ? e.message : String(e)}`);
      }
      this.aof.close();
      this.aof = undefined;
      this.engine.propagator = undefined;
      this.aofWriteError = undefined;
      this.recovering = false;
      this.updateWriteError();
      this.notifyDurable();
    }
  }

  private onAofError(message: string | undefined, kind: 'write' | 'fsync'): void {
    if (message === undefined) {
      this.log('warning', 'AOF write error looks solved, the server can write again.');
      this.aofWriteError = undefined;
    } else if (kind === 'write') {
      if (this.aofWriteError === undefined) this.log('warning', `Error writing to the AOF file: ${message}`);
      this.aofWriteError = message;
    } else {
      // The page cache may have dropped what the failed fsync covered: never fsync that file
      // again. The data set is written from memory into new files (recover()).
      this.log('warning', `Fsync of the AOF failed (${message}): writing the AOF anew from memory; writes are refused until it is done`);
      this.aofWriteError = message;
      this.enterRecovery();
    }
    this.updateWriteError();
  }

  /**
   * The open AOF file can no longer be trusted: replies wait (tickets of MAX) and writes get
   * MISCONF until recover() has written the whole data set into a new base with a new incr
   * file. Scheduled, not run here: this may be inside a client's flush or a command.
   */
  private enterRecovery(): void {
    if (!this.recovering) {
      this.recovering = true;
      this.rewriteScheduled = false;
      // A rewrite under way took its base before what was lost, and its manifest would keep
      // the broken file: it is abandoned.
      this.cancelJob('rewrite');
    }
    setImmediate(() => this.recover());
  }

  /**
   * Recovery from a broken AOF: a base written in the foreground (the owner stops for the
   * time of a SAVE — a disk failure is no time for a background job whose files could stay
   * half-listed), a fresh incr file, and a manifest naming only them. Retried from the cron
   * while it fails.
   */
  private recover(): void {
    if (!this.recovering || this.aof === undefined || this.closing) return;
    const fs = this.fs;
    const broken = this.aof;
    try {
      const baseSeq = (this.manifest.base?.seq ?? 0) + 1;
      const incrSeq = (this.manifest.incrs[this.manifest.incrs.length - 1]?.seq ?? 0) + 1;
      const baseFile = `${this.aofName}.${baseSeq}${BASE_SUFFIX}`;
      this.writeSnapshotSync(path.join(this.aofDir, baseFile));
      const incr = { file: `${this.aofName}.${incrSeq}${INCR_SUFFIX}`, seq: incrSeq };
      fs.unlink(path.join(this.aofDir, incr.file));
      const next = this.newLog(incr.file);
      try {
        this.writeManifest({ base: { file: baseFile, seq: baseSeq }, incrs: [incr] });
      } catch (e) {
        next.close();
        throw e;
      }
      broken.close();
      this.logBase += broken.appended;
      this.aof = next;
      this.engine.propagator = next;
      this.aofBaseSize = fs.size(path.join(this.aofDir, baseFile));
      this.removeUnlisted();
    } catch (e) {
      this.log('warning', `Writing the AOF anew failed (${e instanceof Error ? e.message : String(e)}); retrying`);
      return;
    }
    this.recovering = false;
    this.aofWriteError = undefined;
    this.updateWriteError();
    this.log('warning', 'The AOF was written anew from memory after the error; writes are accepted again');
    this.notifyDurable(true);
  }

  private updateWriteError(): void {
    let error: string | undefined;
    if (this.aofWriteError !== undefined) error = `MISCONF Errors writing to the AOF file: ${this.aofWriteError}`;
    else if (this.bgsaveFailed && this.engine.config.get('stop-writes-on-bgsave-error') === 'yes' && this.engine.config.get('save') !== '') error = MISCONF_BGSAVE;
    this.engine.writeError = error;
  }

  // ------------------------------------------------------------------ the reply barrier
  //
  // Tickets are positions in the AOF's bytes across files: `logBase` (bytes of the files
  // before the open one, all durable when it was opened) plus the open file's offset. A client
  // waits for the fsync that covers what was appended up to its own replies — not for the disk
  // to catch up with everyone: under steady load that would never come.

  /** ReplyBarrier: 0 when nothing waits for an fsync, else the position replies need. */
  durabilityTicket(): number {
    if (this.recovering) return Number.MAX_SAFE_INTEGER;
    const aof = this.aof;
    if (aof === undefined) return 0;
    const appended = aof.appended;
    // Whatever the policy, a reply never leaves before its command is in the file: a kill -9
    // then loses nothing acknowledged (the OS keeps written pages), as in Redis, which writes
    // its AOF buffer before sending replies. Under everysec and no the replies wait for the
    // batch's write() at the end of this event-loop turn: one write for every client's records.
    if (aof.policy !== 'always') return aof.pending === 0 ? 0 : this.logBase + appended;
    return appended === aof.durable ? 0 : this.logBase + appended;
  }

  /** ReplyBarrier: `ready` runs once the disk reaches `ticket` (a fresh file or recovery releases all). */
  onDurable(ticket: number, ready: () => void): void {
    this.waiters.push({ ticket, ready });
  }

  /** Whether replies would wait now (tests). */
  mustWait(): boolean {
    return this.durabilityTicket() !== 0;
  }

  /** Calls `ready` when everything appended so far is durable (tests). */
  whenDurable(ready: () => void): void {
    this.onDurable(this.durabilityTicket(), ready);
  }

  private notifyDurable(all = false): void {
    const waiters = this.waiters;
    if (waiters.length === 0) return;
    const aof = this.aof;
    // Recovery done, or no AOF (or not `always`) any more: everything may go.
    const reached = all ? Infinity
      : this.recovering ? -1
      : aof === undefined ? Number.MAX_SAFE_INTEGER
      : this.logBase + (aof.policy === 'always' ? aof.durable : aof.writtenBytes);
    // Tickets grow with time, so waiters are in ticket order (recovery tickets are the largest).
    let n = 0;
    while (n < waiters.length && waiters[n]!.ticket <= reached) n++;
    if (n === 0) return;
    const ready = waiters.splice(0, n);
    // Released clients run their queued commands: never inside whatever called us (a command
    // such as BGREWRITEAOF, the cron, CONFIG SET), as connection.ts defers deferred replies.
    queueMicrotask(() => {
      for (const w of ready) w.ready();
    });
  }

  // ------------------------------------------------------------------ snapshots

  /** SAVE: the whole data set, now, in the foreground. */
  private writeSnapshotSync(file: string): void {
    const fs = this.fs;
    const temp = path.join(path.dirname(file), `temp-${process.pid}-${path.basename(file)}`);
    const fd = fs.open(temp, 'write');
    try {
      const job = new SnapshotJob(this.engine, { write: (b) => fs.write(fd, b), server: this.serverVersion });
      job.step(Infinity);
      fs.fsyncSync(fd);
    } catch (e) {
      fs.close(fd);
      fs.unlink(temp);
      throw e;
    }
    fs.close(fd);
    fs.rename(temp, file);
    fs.fsyncDir(path.dirname(file));
  }

  /** The engine's SAVE, BGSAVE and BGREWRITEAOF. */
  command(which: 'save' | 'bgsave' | 'bgsave-schedule' | 'bgrewriteaof'): string | Error {
    if (which === 'save') {
      if (this.job?.kind === 'bgsave') return new Error('ERR Background save already in progress');
      try {
        const started = Date.now();
        this.fs.mkdir(this.dir);
        this.writeSnapshotSync(this.snapshotFile);
        this.saved(started);
        this.log('notice', 'DB saved on disk');
        return 'OK';
      } catch (e) {
        this.log('warning', `Failed saving the DB: ${e instanceof Error ? e.message : String(e)}`);
        return new Error('ERR');
      }
    }
    if (which === 'bgsave' || which === 'bgsave-schedule') {
      if (this.job?.kind === 'bgsave') return new Error('ERR Background save already in progress');
      if (this.job !== undefined) {
        if (which === 'bgsave') return new Error("ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.");
        this.bgsaveScheduled = true;
        return 'Background saving scheduled';
      }
      const error = this.startJob('bgsave');
      return error === undefined ? 'Background saving started' : new Error(`ERR ${error}`);
    }
    if (this.job?.kind === 'rewrite') return new Error('ERR Background append only file rewriting already in progress');
    if (this.job !== undefined) {
      this.rewriteScheduled = true;
      return 'Background append only file rewriting scheduled';
    }
    const error = this.startJob('rewrite');
    return error === undefined ? 'Background append only file rewriting started' : new Error(`ERR ${error}`);
  }

  private saved(started: number): void {
    this.dirtyAtSave = this.engine.dirty;
    this.lastSave = Math.floor(Date.now() / 1000);
    this.lastBgsaveSeconds = Math.round((Date.now() - started) / 1000);
    this.saves++;
    this.lastBgsaveStatus = 'ok';
    this.bgsaveFailed = false;
    this.updateWriteError();
  }

  /** Starts BGSAVE or a rewrite; returns an error message when it cannot start. */
  private startJob(kind: JobKind): string | undefined {
    const error = this.tryStartJob(kind);
    if (error !== undefined && kind === 'bgsave') {
      // As a failed fork in Redis: the save failed (MISCONF with stop-writes-on-bgsave-error).
      this.lastBgsaveStatus = 'err';
      this.bgsaveFailed = true;
      this.log('warning', `Can't save in background: ${error}`);
      this.updateWriteError();
    }
    return error;
  }

  private tryStartJob(kind: JobKind): string | undefined {
    const fs = this.fs;
    let temp: string;
    let rewrite: RunningJob['rewrite'];
    try {
      if (kind === 'bgsave') {
        fs.mkdir(this.dir);
        temp = path.join(this.dir, `temp-${process.pid}.snapshot`);
      } else {
        if (this.engine.config.get('appendonly') !== 'yes' || this.aof === undefined) {
          // Redis rewrites even with appendonly no (it makes the files); nodis does the same
          // by turning the AOF on only for this purpose would surprise: write a base and
          // manifest and keep the AOF off.
          return this.rewriteWhileOff();
        }
        fs.mkdir(this.aofDir);
        // 1. Writes from now on go to a new incr file, listed in the manifest before the first
        //    one lands there: a crash from here on replays old base + old incrs + new incr.
        const baseSeq = (this.manifest.base?.seq ?? 0) + 1;
        const incrSeq = (this.manifest.incrs[this.manifest.incrs.length - 1]?.seq ?? 0) + 1;
        const incr = { file: `${this.aofName}.${incrSeq}${INCR_SUFFIX}`, seq: incrSeq };
        const previous = this.aof;
        if (this.recovering || previous.broken) return 'the AOF is being written anew after an error';
        try {
          previous.flushSync();
        } catch (e) {
          // What the old file holds is not durable: only a base from memory can make it so.
          this.aofWriteError = e instanceof Error ? e.message : String(e);
          this.enterRecovery();
          this.updateWriteError();
          return `the AOF could not be flushed (${this.aofWriteError}): it is being written anew`;
        }
        fs.unlink(path.join(this.aofDir, incr.file));
        const next = this.newLog(incr.file);
        this.writeManifest({ base: this.manifest.base, incrs: [...this.manifest.incrs, incr] });
        previous.close();
        this.logBase += previous.appended;
        this.aof = next;
        this.engine.propagator = next;
        // What waited on the old file is durable now (flushSync above).
        this.notifyDurable();
        temp = path.join(this.aofDir, `temp-${this.aofName}.${baseSeq}${BASE_SUFFIX}`);
        rewrite = { baseSeq, incr };
      }
    } catch (e) {
      return `could not start: ${e instanceof Error ? e.message : String(e)}`;
    }
    let fd: number;
    try {
      fd = fs.open(temp, 'write');
    } catch (e) {
      return `could not open ${temp}: ${e instanceof Error ? e.message : String(e)}`;
    }
    // 2. The snapshot of this moment (no command runs between the switch and here).
    const job: RunningJob = { kind, fd, temp, started: Date.now(), failed: undefined, cancelled: false, fdClosed: false, snapshot: undefined as unknown as SnapshotJob };
    if (rewrite) job.rewrite = rewrite;
    job.snapshot = new SnapshotJob(this.engine, {
      server: this.serverVersion,
      write: (bytes) => {
        if (job.failed !== undefined) return;
        try {
          fs.write(fd, bytes);
        } catch (e) {
          job.failed = e instanceof Error ? e.message : String(e);
        }
      },
    });
    job.snapshot.attach();
    this.job = job;
    this.log('notice', kind === 'bgsave' ? 'Background saving started' : 'Background append only file rewriting started');
    setImmediate(() => this.runSlice(job));
    return undefined;
  }

  /** BGREWRITEAOF with the AOF off: Redis writes the files anyway; so does nodis (base + empty incr). */
  private rewriteWhileOff(): string | undefined {
    try {
      this.fs.mkdir(this.aofDir);
      const baseSeq = (this.manifest.base?.seq ?? 0) + 1;
      const file = `${this.aofName}.${baseSeq}${BASE_SUFFIX}`;
      this.writeSnapshotSync(path.join(this.aofDir, file));
      const incrSeq = (this.manifest.incrs[this.manifest.incrs.length - 1]?.seq ?? 0) + 1;
      const incr = `${this.aofName}.${incrSeq}${INCR_SUFFIX}`;
      this.fs.close(this.fs.open(path.join(this.aofDir, incr), 'append'));
      this.writeManifest({ base: { file, seq: baseSeq }, incrs: [{ file: incr, seq: incrSeq }] });
      this.removeUnlisted();
      this.rewrites++;
      this.lastRewriteStatus = 'ok';
      return undefined;
    } catch (e) {
      this.lastRewriteStatus = 'err';
      return `rewrite failed: ${e instanceof Error ? e.message : String(e)}`;
    }
  }

  private runSlice(job: RunningJob): void {
    if (job.cancelled || this.job !== job) return;
    let done = false;
    try {
      done = job.snapshot.step(this.sliceMs);
    } catch (e) {
      job.failed = e instanceof Error ? e.message : String(e);
    }
    if (job.failed !== undefined) return this.jobFailed(job, job.failed);
    if (!done) {
      setImmediate(() => this.runSlice(job));
      return;
    }
    // 3. Durable before it is named: fsync (thread pool), rename, fsync the directory.
    this.fs.fsync(job.fd, (error) => {
      if (job.cancelled || this.job !== job) return;
      if (error !== null) return this.jobFailed(job, error.message);
      try {
        this.closeJobFile(job);
        this.finishJob(job);
      } catch (e) {
        this.jobFailed(job, e instanceof Error ? e.message : String(e));
      }
    });
  }

  /** The job's file is written and fsynced: name it (the directory fsyncs run on the thread pool). */
  private finishJob(job: RunningJob): void {
    const fs = this.fs;
    const seconds = Math.round((Date.now() - job.started) / 1000);
    const stillOurs = (): boolean => !job.cancelled && this.job === job;
    if (job.kind === 'bgsave') {
      fs.rename(job.temp, this.snapshotFile);
      this.fsyncDirLater(this.dir, (error) => {
        if (!stillOurs()) return;
        if (error !== null) return this.jobFailed(job, `fsync of ${this.dir}: ${error.message}`);
        this.job = undefined;
        this.saved(job.started);
        this.lastBgsaveSeconds = seconds;
        this.log('notice', 'Background saving terminated with success');
        this.startScheduled();
      });
      return;
    }
    const rewrite = job.rewrite!;
    const baseFile = `${this.aofName}.${rewrite.baseSeq}${BASE_SUFFIX}`;
    fs.rename(job.temp, path.join(this.aofDir, baseFile));
    // 4. The new manifest: the new base and the incr file opened at the snapshot's moment.
    this.writeManifestLater({ base: { file: baseFile, seq: rewrite.baseSeq }, incrs: [rewrite.incr] }, (error) => {
      if (!stillOurs()) return;
      if (error !== null) return this.jobFailed(job, `writing the manifest: ${error.message}`);
      this.job = undefined;
      this.removeUnlisted();
      this.aofBaseSize = fs.size(path.join(this.aofDir, baseFile));
      this.rewrites++;
      this.lastRewriteStatus = 'ok';
      this.lastRewriteSeconds = seconds;
      this.rewriteFailures = 0;
      this.log('notice', 'Background AOF rewrite finished successfully');
      this.notifyDurable();
      this.startScheduled();
    });
  }

  /** Closes the job's file once (a descriptor number closed twice may be another file's by then). */
  private closeJobFile(job: RunningJob): void {
    if (job.fdClosed) return;
    job.fdClosed = true;
    try {
      this.fs.close(job.fd);
    } catch {
      // After an I/O error the close may fail too; the descriptor is gone either way.
    }
  }

  private jobFailed(job: RunningJob, reason: string): void {
    job.snapshot.detach();
    this.closeJobFile(job);
    try { this.fs.unlink(job.temp); } catch { /* best effort: the next start deletes temp files */ }
    this.job = undefined;
    if (job.kind === 'bgsave') {
      this.lastBgsaveStatus = 'err';
      this.bgsaveFailed = true;
      this.log('warning', `Background saving error: ${reason} (the previous snapshot is kept)`);
      this.updateWriteError();
    } else {
      this.lastRewriteStatus = 'err';
      this.rewriteFailures++;
      this.log('warning', `Background AOF rewrite failed: ${reason} (the previous AOF files are kept)`);
      this.rewriteRetryAt = Date.now() + Math.min(60_000, 1000 * 2 ** Math.min(6, this.rewriteFailures));
    }
    this.startScheduled();
  }

  private cancelJob(kind: JobKind): void {
    const job = this.job;
    if (job === undefined || job.kind !== kind) return;
    job.cancelled = true;
    job.snapshot.detach();
    this.closeJobFile(job);
    try { this.fs.unlink(job.temp); } catch { /* best effort */ }
    this.job = undefined;
  }

  private startScheduled(): void {
    if (this.job !== undefined) return;
    if (this.rewriteScheduled && this.aof !== undefined) {
      this.rewriteScheduled = false;
      const error = this.startJob('rewrite');
      if (error !== undefined) this.log('warning', `Scheduled AOF rewrite: ${error}`);
    } else if (this.bgsaveScheduled) {
      this.bgsaveScheduled = false;
      const error = this.startJob('bgsave');
      if (error !== undefined) this.log('warning', `Scheduled BGSAVE: ${error}`);
    }
  }

  // ------------------------------------------------------------------ cron

  /** hz times a second: AOF fsync and retries, save points, automatic rewrite. */
  cron(nowMs: number): void {
    const engine = this.engine;
    if (engine.loading) return;
    if (this.recovering) return this.recover();
    this.aof?.tick(nowMs);
    if (this.job === undefined) {
      this.startScheduled();
      if (this.job !== undefined) return;
      // save <seconds> <changes>: after a failed BGSAVE, retry only after 5 s, as Redis.
      const changes = engine.dirty - this.dirtyAtSave;
      const save = engine.config.get('save');
      if (save !== '' && changes > 0) {
        const parts = save.split(' ').map(Number);
        const since = nowMs / 1000 - this.lastSave;
        for (let i = 0; i + 1 < parts.length; i += 2) {
          if (changes >= parts[i + 1]! && since >= parts[i]! && (this.lastBgsaveStatus === 'ok' || nowMs - this.lastBgsaveTry > 5000)) {
            this.log('notice', `${parts[i + 1]} changes in ${parts[i]} seconds. Saving...`);
            this.lastBgsaveTry = nowMs;
            const error = this.startJob('bgsave');
            if (error !== undefined) this.log('warning', `BGSAVE at a save point: ${error}`);
            return;
          }
        }
      }
      // auto-aof-rewrite-percentage / -min-size
      const aof = this.aof;
      const percentage = engine.config.getNumber('auto-aof-rewrite-percentage');
      if (aof !== undefined && percentage > 0) {
        const size = this.aofSize();
        const base = this.aofBaseSize || 1;
        if (nowMs >= this.rewriteRetryAt && size >= engine.config.getNumber('auto-aof-rewrite-min-size') && ((size - base) * 100) / base >= percentage) {
          this.log('notice', `Starting automatic rewriting of AOF on ${Math.floor(((size - base) * 100) / base)}% growth`);
          const error = this.startJob('rewrite');
          if (error !== undefined) {
            this.log('warning', `Automatic AOF rewrite: ${error}`);
            this.rewriteFailures++;
            this.rewriteRetryAt = nowMs + Math.min(60_000, 1000 * 2 ** Math.min(6, this.rewriteFailures));
          }
        }
      }
    }
  }

  /** Base plus incr files, in bytes (aof_current_size). */
  private aofSize(): number {
    let size = this.aofBaseSize;
    for (const i of this.manifest.incrs) {
      if (this.aof !== undefined && path.basename(this.aof.file) === i.file) size += this.aof.size;
      else size += Math.max(0, this.fs.size(path.join(this.aofDir, i.file)));
    }
    return size;
  }

  // ------------------------------------------------------------------ shutdown and INFO

  /**
   * SHUTDOWN and signals: the AOF flushed and fsynced; a snapshot saved when save points are
   * configured (or SAVE was asked), unless NOSAVE. Throws when a requested save fails.
   */
  shutdown(save: boolean | undefined): void {
    this.closing = true;
    if (this.engine.loading) {
      // Half a data set must never overwrite the files (Redis forces NOSAVE while loading).
      this.log('warning', 'Shutdown during loading: the load stops, nothing is saved');
      return;
    }
    this.cancelJob('bgsave');
    this.cancelJob('rewrite');
    if (this.aof !== undefined) {
      try {
        this.aof.flushSync();
      } catch (e) {
        this.log('warning', `Error flushing the AOF at shutdown: ${e instanceof Error ? e.message : String(e)}`);
      }
      this.aof.close();
      this.aof = undefined;
      this.engine.propagator = undefined;
    }
    const wantSave = save ?? this.engine.config.get('save') !== '';
    if (wantSave) {
      this.log('notice', 'Saving the final snapshot before exiting.');
      this.fs.mkdir(this.dir);
      this.writeSnapshotSync(this.snapshotFile);
      this.log('notice', 'DB saved on disk');
    }
  }

  /** INFO persistence, with Redis's field names. */
  info(): Record<string, string | number> {
    const job = this.job;
    const now = Date.now();
    const loading = this.loadingInfo;
    const aofOn = this.aof !== undefined;
    const fields: Record<string, string | number> = {
      loading: loading ? 1 : 0,
      async_loading: 0,
      current_cow_peak: 0,
      current_cow_size: 0,
      current_cow_size_age: 0,
      current_fork_perc: job ? Number(((job.snapshot.keysProcessed / Math.max(1, job.snapshot.keysTotal)) * 100).toFixed(2)) : 0,
      current_save_keys_processed: job ? job.snapshot.keysProcessed : 0,
      current_save_keys_total: job ? job.snapshot.keysTotal : 0,
    };
    if (loading) {
      fields.loading_start_time = Math.floor(loading.started / 1000);
      fields.loading_total_bytes = loading.total;
      fields.loading_loaded_bytes = loading.loaded;
      fields.loading_loaded_perc = Number(((loading.loaded / Math.max(1, loading.total)) * 100).toFixed(2));
      fields.loading_eta_seconds = 1;
    }
    Object.assign(fields, {
      rdb_changes_since_last_save: this.engine.dirty - this.dirtyAtSave,
      rdb_bgsave_in_progress: job?.kind === 'bgsave' ? 1 : 0,
      rdb_last_save_time: this.lastSave,
      rdb_last_bgsave_status: this.lastBgsaveStatus,
      rdb_last_bgsave_time_sec: this.lastBgsaveSeconds,
      rdb_current_bgsave_time_sec: job?.kind === 'bgsave' ? Math.round((now - job.started) / 1000) : -1,
      rdb_saves: this.saves,
      rdb_last_cow_size: 0,
      rdb_last_load_keys_expired: 0,
      rdb_last_load_keys_loaded: this.lastLoadKeys,
      aof_enabled: aofOn ? 1 : 0,
      aof_rewrite_in_progress: job?.kind === 'rewrite' ? 1 : 0,
      aof_rewrite_scheduled: this.rewriteScheduled ? 1 : 0,
      aof_last_rewrite_time_sec: this.lastRewriteSeconds,
      aof_current_rewrite_time_sec: job?.kind === 'rewrite' ? Math.round((now - job.started) / 1000) : -1,
      aof_last_bgrewrite_status: this.lastRewriteStatus,
      aof_rewrites: this.rewrites,
      aof_rewrites_consecutive_failures: this.rewriteFailures,
      aof_last_write_status: this.aofWriteError === undefined ? 'ok' : 'err',
      aof_last_cow_size: 0,
      module_fork_in_progress: 0,
      module_fork_last_cow_size: 0,
    });
    if (aofOn) {
      Object.assign(fields, {
        aof_current_size: this.aofSize(),
        aof_base_size: this.aofBaseSize,
        aof_pending_rewrite: this.rewriteScheduled ? 1 : 0,
        aof_buffer_length: this.aof!.unsynced,
        aof_pending_bio_fsync: 0,
        aof_delayed_fsync: 0,
      });
    }
    return fields;
  }
}

/** Thrown out of a load when the server shuts down meanwhile. */
class LoadStopped extends Error {
  constructor() { super('shutdown during loading'); }
}

/** The AOF loader's replies go nowhere; errors are counted for one warning. */
class DiscardingWriter implements ReplyWriter {
  protocol: 2 | 3 = 2;
  constructor(private readonly errors: { count: number; first: string }) {}
  simple(): void {}
  error(message: string): void {
    if (this.errors.count++ === 0) this.errors.first = message;
  }
  int(): void {}
  bulk(): void {}
  null(): void {}
  nullArray(): void {}
  array(): void {}
  map(): void {}
  set(): void {}
  push(): void {}
  double(): void {}
  bool(): void {}
  verbatim(): void {}
}
