import fs from 'node:fs';
import path from 'node:path';

/**
 * Every byte persistence reads or writes goes through this one small interface, so tests can
 * put a shim in its place that "loses power": drops every byte no completed fsync covered
 * (RELIABILITY.md: a kill -9 cannot tell `always` from `everysec`, the OS keeps the pages).
 *
 * Everything is synchronous on the owner except fsync: appends and renames cost microseconds
 * (the page cache takes them), an fsync costs milliseconds and runs on libuv's thread pool
 * while the owner serves other clients (group commit: aof.ts).
 */
export interface PersistFs {
  /** Opens for appending (created if missing), writing (truncated), or reading. */
  open(file: string, mode: 'append' | 'write' | 'read'): number;
  /** Writes all of `bytes` at the end (append) or at the current position; throws on error (ENOSPC ...). */
  write(fd: number, bytes: Buffer): void;
  /** Reads up to `length` bytes at `position`. */
  read(fd: number, buffer: Buffer, offset: number, length: number, position: number): number;
  /** fdatasync on the thread pool; the callback gets the error, if any. */
  fsync(fd: number, done: (error: Error | null) => void): void;
  fsyncSync(fd: number): void;
  close(fd: number): void;
  /** Size in bytes, or -1 when the file does not exist. */
  size(file: string): number;
  rename(from: string, to: string): void;
  unlink(file: string): void;
  truncate(file: string, length: number): void;
  /** Makes renames, creations and removals in `dir` durable. */
  fsyncDir(dir: string): void;
  /** fsyncDir on the thread pool (background jobs finishing without stopping the owner). */
  fsyncDirAsync?(dir: string, done: (error: Error | null) => void): void;
  mkdir(dir: string): void;
  readdir(dir: string): string[];
  readFile(file: string): Buffer;
}

/** The real file system. */
export const nodeFs: PersistFs = {
  open(file, mode) {
    return fs.openSync(file, mode === 'append' ? 'a' : mode === 'write' ? 'w' : 'r');
  },
  write(fd, bytes) {
    let off = 0;
    while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off);
  },
  read(fd, buffer, offset, length, position) {
    return fs.readSync(fd, buffer, offset, length, position);
  },
  fsync(fd, done) {
    fs.fdatasync(fd, (e) => done(e));
  },
  fsyncSync(fd) {
    fs.fdatasyncSync(fd);
  },
  close(fd) {
    fs.closeSync(fd);
  },
  size(file) {
    try {
      return fs.statSync(file).size;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return -1;
      throw e;
    }
  },
  rename(from, to) {
    fs.renameSync(from, to);
  },
  unlink(file) {
    try {
      fs.unlinkSync(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  },
  truncate(file, length) {
    fs.truncateSync(file, length);
  },
  fsyncDir(dir) {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  },
  fsyncDirAsync(dir, done) {
    fs.open(dir, 'r', (openError, fd) => {
      if (openError !== null) return done(openError);
      fs.fsync(fd, (syncError) => fs.close(fd, () => done(syncError)));
    });
  },
  mkdir(dir) {
    fs.mkdirSync(dir, { recursive: true });
  },
  readdir(dir) {
    return fs.readdirSync(dir);
  },
  readFile(file) {
    return fs.readFileSync(file);
  },
};

/** A file's bytes through a PersistFs, for the readers in @nodis/engine (AofReader, SnapshotReader). */
export class FileSource {
  readonly size: number;
  private readonly fd: number;

  constructor(private readonly fsys: PersistFs, readonly file: string) {
    this.size = fsys.size(file);
    this.fd = fsys.open(file, 'read');
  }

  read(position: number, length: number): Buffer {
    const n = Math.max(0, Math.min(length, this.size - position));
    const buf = Buffer.allocUnsafe(n);
    let got = 0;
    while (got < n) {
      const r = this.fsys.read(this.fd, buf, got, n - got, position + got);
      if (r === 0) break;
      got += r;
    }
    return got === n ? buf : buf.subarray(0, got);
  }

  private closed = false;

  /** Idempotent: a descriptor number closed twice could belong to another file by then. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.fsys.close(this.fd);
  }
}

/** An I/O error as strerror says it (what Redis prints in MISCONF replies and its log). */
export function errnoText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err?.code) {
    case 'ENOSPC': return 'No space left on device';
    case 'EACCES': return 'Permission denied';
    case 'EROFS': return 'Read-only file system';
    case 'EIO': return 'Input/output error';
    case 'ENOENT': return 'No such file or directory';
    case 'EISDIR': return 'Is a directory';
    default: return err?.message ?? String(e);
  }
}

/** The directory part of a path (persistence fsyncs it after renames). */
export function dirOf(file: string): string {
  return path.dirname(file);
}
