import path from 'node:path';
import type { PersistFs } from '../../packages/server/src/persist/fs.js';

/**
 * An in-memory disk with a page cache, for power-loss tests of persistence (RELIABILITY.md,
 * "Persistence beyond kill -9"). A kill -9 keeps the page cache; a power loss keeps only:
 *
 * - a file's bytes that a COMPLETED fsync covered (`durable`), plus, if the test asks for it,
 *   a random prefix of the bytes written after them (the OS wrote some pages back on its own:
 *   a torn tail);
 * - directory entries (create, rename, unlink, mkdir) that an fsyncDir of that directory made
 *   durable, plus a random PREFIX of the later ones (a journaled file system commits metadata
 *   in order, whenever it likes). A file renamed into place but never fsynced comes back empty.
 *
 * fsync completes when the test says so (completeFsync), never by itself, so a test chooses the
 * moment an acknowledgement may go out; it covers what was written before the call, and at
 * random part of what came after (the kernel writes what is dirty when it gets there), so code
 * may rely on the first and never on the second. mkdir is durable at once unless `strictMkdir`
 * (POSIX: only after fsyncDir of the parent). losePower() forgets pending fsyncs (their callbacks never
 * run) and kills every PersistFs handed out by mount(): the old server's code may still run
 * (setImmediate callbacks, the rest of a synchronous sequence cut by crashAfter()), but its file
 * operations no longer reach the disk — a dead process writes nothing. Mount again to "reboot".
 *
 * Faults: ENOSPC after N more bytes (optionally only for some files), EIO on chosen fsyncs. A
 * file whose fsync failed is "poisoned": as Linux after a writeback error, its unsynced pages
 * are gone and no later fsync makes anything more of it durable (RELIABILITY.md: never fsync a
 * file again after an fsync error).
 */

type Rng = () => number;

class Inode {
  data: Buffer = Buffer.alloc(256);
  len = 0;
  /** The durable bytes: the first `durableLen` of `durableBuf`. */
  private durableBuf: Buffer = Buffer.alloc(0);
  durableLen = 0;
  /** Bytes below durableLen changed since the last sync (truncate, rewrite in place). */
  rewritten = false;
  poisoned = false;

  bytes(): Buffer { return this.data.subarray(0, this.len); }

  writeAt(pos: number, bytes: Buffer): void {
    const end = pos + bytes.length;
    if (end > this.data.length) this.data = grow(this.data, this.len, end);
    if (pos > this.len) this.data.fill(0, this.len, pos);
    bytes.copy(this.data, pos);
    if (pos < this.durableLen) this.rewritten = true;
    this.len = Math.max(this.len, end);
  }

  truncate(length: number): void {
    if (length < this.len) {
      if (length < this.durableLen) this.rewritten = true;
      this.len = length;
    } else if (length > this.len) {
      this.writeAt(this.len, Buffer.alloc(length - this.len));
    }
  }

  /** The first `n` bytes of the current content become durable (a completed fsync, or writeback). */
  syncTo(n: number): void {
    if (this.poisoned) return;
    n = Math.min(n, this.len);
    if (!this.rewritten && n <= this.durableLen) return;
    // Appends (the usual case) copy only the new bytes.
    const from = this.rewritten ? 0 : this.durableLen;
    if (n > this.durableBuf.length) this.durableBuf = grow(this.durableBuf, from, n);
    this.data.copy(this.durableBuf, from, from, n);
    this.durableLen = n;
    // The durable bytes are a prefix of the current ones again.
    this.rewritten = false;
  }

  /** Power is gone: the content is what was durable. */
  revert(): void {
    this.data = Buffer.alloc(Math.max(256, this.durableLen));
    this.durableBuf.copy(this.data, 0, 0, this.durableLen);
    this.len = this.durableLen;
    this.rewritten = false;
  }
}

/** A bigger buffer holding the first `keep` bytes of `buf`, with room for `need`. */
function grow(buf: Buffer, keep: number, need: number): Buffer {
  let size = Math.max(256, buf.length * 2);
  while (size < need) size *= 2;
  const next = Buffer.alloc(size);
  buf.copy(next, 0, 0, keep);
  return next;
}

type Node = Inode | Dir;

type DirOp =
  | { kind: 'link'; name: string; node: Node }
  | { kind: 'unlink'; name: string }
  | { kind: 'rename'; from: string; to: string };

class Dir {
  entries = new Map<string, Node>();
  durable = new Map<string, Node>();
  /** Entry changes since the last fsyncDir, in order. */
  journal: DirOp[] = [];

  apply(op: DirOp, into: Map<string, Node>): void {
    if (op.kind === 'link') into.set(op.name, op.node);
    else if (op.kind === 'unlink') into.delete(op.name);
    else {
      const node = into.get(op.from);
      if (node === undefined) return;
      into.delete(op.from);
      into.set(op.to, node);
    }
  }

  change(op: DirOp): void {
    this.apply(op, this.entries);
    this.journal.push(op);
  }

  sync(): void {
    this.durable = new Map(this.entries);
    this.journal = [];
  }
}

interface OpenFile {
  inode: Inode;
  file: string;
  mode: 'append' | 'write' | 'read';
  pos: number;
}

interface PendingFsync {
  inode: Inode;
  file: string;
  /** File length when fsync was called: what it must cover. */
  upTo: number;
  issuedAt: number;
  done: (error: Error | null) => void;
}

export interface PowerDiskOptions {
  rng?: Rng;
  /** Clock for PendingFsync.issuedAt (the test's fake time). */
  clock?: () => number;
  /**
   * At a power loss, each file's unsynced tail survives in part with this probability, and
   * each directory keeps a random prefix of its uncommitted entry changes with this probability
   * (else none of them). 0: only what fsync/fsyncDir covered survives.
   */
  writebackChance?: number;
  /**
   * A directory created by mkdir is durable only after fsyncDir of its parent (POSIX's rule).
   * false (default): mkdir is durable at once, as on a journaling file system in practice.
   */
  strictMkdir?: boolean;
}

export function fsError(code: string, syscall: string, file?: string): NodeJS.ErrnoException {
  const text: Record<string, string> = {
    ENOENT: 'no such file or directory', ENOSPC: 'no space left on device', EIO: 'i/o error',
    EBADF: 'bad file descriptor', EEXIST: 'file already exists', ENOTDIR: 'not a directory', EISDIR: 'illegal operation on a directory',
  };
  const e = new Error(`${code}: ${text[code] ?? 'error'}, ${syscall}${file !== undefined ? ` '${file}'` : ''}`) as NodeJS.ErrnoException;
  e.code = code;
  e.syscall = syscall;
  if (file !== undefined) e.path = file;
  return e;
}

export class PowerDisk {
  private readonly root = new Dir();
  private readonly fds = new Map<number, OpenFile>();
  private nextFd = 10;
  private pending: PendingFsync[] = [];
  /** Bumped by every power loss: mounts of older generations are dead. */
  generation = 0;
  readonly rng: Rng;
  clock: () => number;
  writebackChance: number;
  strictMkdir: boolean;

  // Faults
  /** Bytes that may still be written before ENOSPC (undefined: unlimited). */
  private spaceLeft: number | undefined;
  private spaceFilter: ((file: string) => boolean) | undefined;
  /** Decides, for each fsync (async or sync), whether it fails with EIO. */
  fsyncFault: ((file: string) => boolean) | undefined;
  /** Mutating operations left before the power goes (undefined: no crash armed). */
  private crashIn: number | undefined;
  /** Called right after every power loss (the test marks its clients' connections dead). */
  onPowerLoss: (() => void) | undefined;
  /** Debugging: told about fsyncs, faults, renames and power losses. */
  trace: ((event: string) => void) | undefined;

  // Counters
  powerLosses = 0;
  fsyncsCompleted = 0;
  fsyncsFailed = 0;

  constructor(options: PowerDiskOptions = {}) {
    this.rng = options.rng ?? Math.random;
    this.clock = options.clock ?? Date.now;
    this.writebackChance = options.writebackChance ?? 0;
    this.strictMkdir = options.strictMkdir ?? false;
  }

  /** A file-system view for one "boot" of the server; it dies at the next power loss. */
  mount(): PersistFs {
    return new Mount(this, this.generation);
  }

  // ------------------------------------------------------------------ the test's controls

  get pendingFsyncs(): number { return this.pending.length; }

  /** Fake times at which the pending fsyncs were issued. */
  pendingIssuedAt(): number[] { return this.pending.map((p) => p.issuedAt); }

  /**
   * Completes one pending fsync (by index in issue order; default: a random one), or returns
   * false when none is pending. Bytes written after the fsync was called may be covered too
   * (the kernel writes what is dirty when it gets there): a random part of them is.
   */
  completeFsync(index?: number): boolean {
    if (this.pending.length === 0) return false;
    const i = index ?? Math.floor(this.rng() * this.pending.length);
    const [p] = this.pending.splice(i, 1);
    if (p === undefined) return false;
    if (this.fsyncFault?.(p.file) === true) {
      p.inode.poisoned = true;
      this.fsyncsFailed++;
      this.trace?.(`fsync ${path.basename(p.file)} up to ${p.upTo}: EIO`);
      p.done(fsError('EIO', 'fdatasync'));
      return true;
    }
    const extra = this.rng() < 0.3 ? Math.floor(this.rng() * Math.max(0, p.inode.len - p.upTo + 1)) : 0;
    p.inode.syncTo(p.upTo + extra);
    this.fsyncsCompleted++;
    this.trace?.(`fsync ${path.basename(p.file)} done: ${p.inode.durableLen} of ${p.inode.len} bytes durable${p.inode.poisoned ? ' (poisoned: nothing new)' : ''}`);
    p.done(null);
    return true;
  }

  /** Completes the pending fsyncs of files `match` accepts (in issue order); returns how many. */
  completeFsyncsOf(match: (file: string) => boolean): number {
    let n = 0;
    for (let i = 0; i < this.pending.length;) {
      if (match(this.pending[i]!.file)) {
        this.completeFsync(i);
        n++;
      } else {
        i++;
      }
    }
    return n;
  }

  /** Completes every pending fsync, including those issued by the callbacks it runs. */
  completeAllFsyncs(limit = 10_000): void {
    for (let i = 0; i < limit && this.completeFsync(0); i++);
  }

  /** Completes the fsyncs issued at or before `time` (fake clock). */
  completeFsyncsIssuedBefore(time: number): void {
    for (let i = 0; i < this.pending.length;) {
      if (this.pending[i]!.issuedAt <= time) this.completeFsync(i);
      else i++;
    }
  }

  /** The OS writes some dirty pages back on its own: a random prefix of some files' unsynced bytes. */
  writeback(): void {
    for (const inode of this.allInodes()) {
      if (inode.len > inode.durableLen && this.rng() < 0.5) {
        inode.syncTo(inode.durableLen + 1 + Math.floor(this.rng() * (inode.len - inode.durableLen)));
      }
    }
  }

  /** The OS wrote the first `bytes` bytes of a file back (a test makes a torn tail durable). */
  writebackFile(file: string, bytes: number): void {
    this.inodeAt(file, 'writeback').syncTo(bytes);
  }

  /** The next `bytes` bytes written (to files `filter` accepts) succeed, then writes fail with ENOSPC. */
  enospcAfter(bytes: number, filter?: (file: string) => boolean): void {
    this.spaceLeft = bytes;
    this.spaceFilter = filter;
  }

  /** Space is back. */
  clearEnospc(): void {
    this.spaceLeft = undefined;
    this.spaceFilter = undefined;
  }

  /** The power goes just before the `n`-th mutating operation from now (1: the next one). */
  crashAfter(n: number): void {
    this.crashIn = n;
  }

  disarmCrash(): void {
    this.crashIn = undefined;
  }

  /**
   * The power goes: every file and directory reverts to what was durable (plus, by
   * `writebackChance`, a random part of what the OS may have written back), pending fsyncs
   * are forgotten and every mount dies.
   */
  losePower(): void {
    this.trace?.('POWER LOSS');
    this.generation++;
    this.powerLosses++;
    this.crashIn = undefined;
    this.pending = [];
    this.fds.clear();
    this.clearEnospc();
    this.fsyncFault = undefined;
    const wb = this.writebackChance;
    // Directories first (which inodes are still reachable), then the inodes' contents.
    const revertDir = (dir: Dir): void => {
      const entries = new Map(dir.durable);
      if (wb > 0 && dir.journal.length > 0 && this.rng() < wb) {
        const keep = Math.floor(this.rng() * (dir.journal.length + 1));
        for (let i = 0; i < keep; i++) dir.apply(dir.journal[i]!, entries);
      }
      dir.entries = entries;
      dir.durable = new Map(entries);
      dir.journal = [];
      for (const node of entries.values()) if (node instanceof Dir) revertDir(node);
    };
    revertDir(this.root);
    for (const inode of this.allInodes()) {
      if (wb > 0 && !inode.poisoned && !inode.rewritten && inode.len > inode.durableLen && this.rng() < wb) {
        inode.syncTo(inode.durableLen + 1 + Math.floor(this.rng() * (inode.len - inode.durableLen)));
      }
      inode.revert();
      // A reboot's fsync works again on a file that failed before (a new page cache).
      inode.poisoned = false;
    }
    this.onPowerLoss?.();
  }

  // ------------------------------------------------------------------ inspection (tests)

  /** A file's current bytes (undefined when missing). */
  fileBytes(file: string): Buffer | undefined {
    const node = this.lookup(file);
    return node instanceof Inode ? Buffer.from(node.bytes()) : undefined;
  }

  /** File names in a directory, sorted. */
  list(dir: string): string[] {
    const node = this.lookup(dir);
    return node instanceof Dir ? [...node.entries.keys()].sort() : [];
  }

  /** Makes everything durable now (a clean state to start a test from). */
  syncEverything(): void {
    const walk = (dir: Dir): void => {
      dir.sync();
      for (const node of dir.entries.values()) {
        if (node instanceof Dir) walk(node);
        else node.syncTo(node.len);
      }
    };
    walk(this.root);
  }

  // ------------------------------------------------------------------ the file system (Mount calls these)

  private *allInodes(): Generator<Inode> {
    const seen = new Set<Inode>();
    const walk = function* (dir: Dir): Generator<Inode> {
      for (const node of dir.entries.values()) {
        if (node instanceof Dir) yield* walk(node);
        else if (!seen.has(node)) {
          seen.add(node);
          yield node;
        }
      }
    };
    yield* walk(this.root);
    // Open but unlinked files still hold pages (they vanish at the power loss anyway).
    for (const f of this.fds.values()) {
      if (!seen.has(f.inode)) {
        seen.add(f.inode);
        yield f.inode;
      }
    }
  }

  private parts(file: string): string[] {
    return path.resolve(file).split('/').filter((p) => p !== '');
  }

  lookup(file: string): Node | undefined {
    let node: Node = this.root;
    for (const part of this.parts(file)) {
      if (!(node instanceof Dir)) return undefined;
      const next: Node | undefined = node.entries.get(part);
      if (next === undefined) return undefined;
      node = next;
    }
    return node;
  }

  private parentOf(file: string, syscall: string): { dir: Dir; name: string } {
    const parts = this.parts(file);
    const name = parts.pop();
    if (name === undefined) throw fsError('EISDIR', syscall, file);
    const dir = this.lookup(`/${parts.join('/')}`);
    if (dir === undefined) throw fsError('ENOENT', syscall, file);
    if (!(dir instanceof Dir)) throw fsError('ENOTDIR', syscall, file);
    return { dir, name };
  }

  private inodeAt(file: string, syscall: string): Inode {
    const node = this.lookup(file);
    if (node === undefined) throw fsError('ENOENT', syscall, file);
    if (!(node instanceof Inode)) throw fsError('EISDIR', syscall, file);
    return node;
  }

  private fd(fd: number, syscall: string): OpenFile {
    const f = this.fds.get(fd);
    if (f === undefined) throw fsError('EBADF', syscall);
    return f;
  }

  /** Counts a mutating operation; true when the power went just now (the operation is lost). */
  tick(): boolean {
    if (this.crashIn === undefined) return false;
    if (--this.crashIn > 0) return false;
    this.losePower();
    return true;
  }

  open(file: string, mode: 'append' | 'write' | 'read'): number {
    let node = this.lookup(file);
    if (node instanceof Dir) throw fsError('EISDIR', 'open', file);
    if (node === undefined) {
      if (mode === 'read') throw fsError('ENOENT', 'open', file);
      const { dir, name } = this.parentOf(file, 'open');
      node = new Inode();
      dir.change({ kind: 'link', name, node });
    } else if (mode === 'write') {
      node.truncate(0);
    }
    const fd = this.nextFd++;
    this.fds.set(fd, { inode: node, file: path.resolve(file), mode, pos: 0 });
    return fd;
  }

  write(fd: number, bytes: Buffer): void {
    const f = this.fd(fd, 'write');
    if (f.mode === 'read') throw fsError('EBADF', 'write');
    let n = bytes.length;
    let full = false;
    if (this.spaceLeft !== undefined && (this.spaceFilter === undefined || this.spaceFilter(f.file))) {
      if (n > this.spaceLeft) {
        n = this.spaceLeft;
        full = true;
      }
      this.spaceLeft -= n;
    }
    const at = f.mode === 'append' ? f.inode.len : f.pos;
    if (n > 0) f.inode.writeAt(at, bytes.subarray(0, n));
    f.pos = at + n;
    if (full) {
      this.trace?.(`write ${path.basename(f.file)} ${bytes.length} bytes at ${at}: ENOSPC after ${n}`);
      throw fsError('ENOSPC', 'write');
    }
  }

  read(fd: number, buffer: Buffer, offset: number, length: number, position: number): number {
    const f = this.fd(fd, 'read');
    const n = Math.max(0, Math.min(length, f.inode.len - position));
    f.inode.data.copy(buffer, offset, position, position + n);
    return n;
  }

  fsync(fd: number, done: (error: Error | null) => void): void {
    const f = this.fd(fd, 'fdatasync');
    this.pending.push({ inode: f.inode, file: f.file, upTo: f.inode.len, issuedAt: this.clock(), done });
  }

  fsyncSync(fd: number): void {
    const f = this.fd(fd, 'fdatasync');
    if (this.fsyncFault?.(f.file) === true) {
      f.inode.poisoned = true;
      this.fsyncsFailed++;
      this.trace?.(`fsyncSync ${path.basename(f.file)}: EIO`);
      throw fsError('EIO', 'fdatasync');
    }
    f.inode.syncTo(f.inode.len);
    this.trace?.(`fsyncSync ${path.basename(f.file)}: ${f.inode.durableLen} bytes durable${f.inode.poisoned ? ' (poisoned: nothing new)' : ''}`);
    this.fsyncsCompleted++;
  }

  close(fd: number): void {
    this.fd(fd, 'close');
    this.fds.delete(fd);
  }

  size(file: string): number {
    const node = this.lookup(file);
    if (node === undefined) return -1;
    return node instanceof Inode ? node.len : 4096;
  }

  rename(from: string, to: string): void {
    this.trace?.(`rename ${path.basename(from)} → ${path.basename(to)}`);
    const a = this.parentOf(from, 'rename');
    const b = this.parentOf(to, 'rename');
    const node = a.dir.entries.get(a.name);
    if (node === undefined) throw fsError('ENOENT', 'rename', from);
    if (a.dir === b.dir) {
      a.dir.change({ kind: 'rename', from: a.name, to: b.name });
    } else {
      b.dir.change({ kind: 'link', name: b.name, node });
      a.dir.change({ kind: 'unlink', name: a.name });
    }
  }

  unlink(file: string): void {
    const { dir, name } = this.parentOf(file, 'unlink');
    const node = dir.entries.get(name);
    if (node === undefined) return; // as nodeFs: a missing file is not an error
    if (node instanceof Dir) throw fsError('EISDIR', 'unlink', file);
    dir.change({ kind: 'unlink', name });
  }

  truncate(file: string, length: number): void {
    this.trace?.(`truncate ${path.basename(file)} to ${length}`);
    const inode = this.inodeAt(file, 'truncate');
    // Cutting a file back frees its blocks.
    if (this.spaceLeft !== undefined && length < inode.len && (this.spaceFilter === undefined || this.spaceFilter(path.resolve(file)))) this.spaceLeft += inode.len - length;
    inode.truncate(length);
  }

  fsyncDir(dir: string): void {
    const node = this.lookup(dir);
    if (node === undefined) throw fsError('ENOENT', 'open', dir);
    if (!(node instanceof Dir)) throw fsError('ENOTDIR', 'fsync', dir);
    node.sync();
  }

  mkdir(dir: string): void {
    let node: Dir = this.root;
    for (const part of this.parts(dir)) {
      const next = node.entries.get(part);
      if (next instanceof Inode) throw fsError('EEXIST', 'mkdir', dir);
      if (next !== undefined) {
        node = next;
        continue;
      }
      const created = new Dir();
      node.change({ kind: 'link', name: part, node: created });
      if (!this.strictMkdir) node.durable.set(part, created);
      node = created;
    }
  }

  readdir(dir: string): string[] {
    const node = this.lookup(dir);
    if (node === undefined) throw fsError('ENOENT', 'scandir', dir);
    if (!(node instanceof Dir)) throw fsError('ENOTDIR', 'scandir', dir);
    return [...node.entries.keys()];
  }

  readFile(file: string): Buffer {
    return Buffer.from(this.inodeAt(file, 'open').bytes());
  }
}

/**
 * One boot's view of the disk. After a power loss it is dead: writes go nowhere, reads find
 * nothing, fsyncs never complete — the old process is gone, whatever its code still runs.
 */
class Mount implements PersistFs {
  private fakeFd = 1_000_000;

  constructor(private readonly disk: PowerDisk, private readonly generation: number) {}

  private get dead(): boolean { return this.disk.generation !== this.generation; }

  /** Mutating operations: may be where the power goes (crashAfter). */
  private mutating(): boolean {
    if (this.dead) return true;
    return this.disk.tick();
  }

  open(file: string, mode: 'append' | 'write' | 'read'): number {
    if (mode === 'read' ? this.dead : this.mutating()) return this.fakeFd++;
    return this.disk.open(file, mode);
  }
  write(fd: number, bytes: Buffer): void {
    if (this.mutating()) return;
    this.disk.write(fd, bytes);
  }
  read(fd: number, buffer: Buffer, offset: number, length: number, position: number): number {
    if (this.dead) return 0;
    return this.disk.read(fd, buffer, offset, length, position);
  }
  fsync(fd: number, done: (error: Error | null) => void): void {
    if (this.mutating()) return; // never completes
    this.disk.fsync(fd, done);
  }
  fsyncSync(fd: number): void {
    if (this.mutating()) return;
    this.disk.fsyncSync(fd);
  }
  close(fd: number): void {
    if (this.dead) return;
    this.disk.close(fd);
  }
  size(file: string): number {
    if (this.dead) return -1;
    return this.disk.size(file);
  }
  rename(from: string, to: string): void {
    if (this.mutating()) return;
    this.disk.rename(from, to);
  }
  unlink(file: string): void {
    if (this.mutating()) return;
    this.disk.unlink(file);
  }
  truncate(file: string, length: number): void {
    if (this.mutating()) return;
    this.disk.truncate(file, length);
  }
  fsyncDir(dir: string): void {
    if (this.mutating()) return;
    this.disk.fsyncDir(dir);
  }
  mkdir(dir: string): void {
    if (this.mutating()) return;
    this.disk.mkdir(dir);
  }
  readdir(dir: string): string[] {
    if (this.dead) return [];
    return this.disk.readdir(dir);
  }
  readFile(file: string): Buffer {
    if (this.dead) return Buffer.alloc(0);
    return this.disk.readFile(file);
  }
}
