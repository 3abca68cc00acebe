import { crc32 } from 'node:zlib';
import { writeLatin1, writeRespHeader } from '@nodis/protocol';

/**
 * The append-only file's records: plain RESP commands, as Redis writes them, in batches that
 * each carry a checksum line:
 *
 *   #CRC <crc32 of the batch, 8 hex digits> <batch length in bytes>\r\n
 *   *2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n ...
 *
 * A batch is what one write() puts in the file (one group commit under `appendfsync always`).
 * Redis's loader skips lines that start with `#` (its own timestamp annotations), so Redis can
 * read these files; nodis also reads Redis's (batches without a checksum line are accepted
 * as they are). Redis's records carry no checksum, so a flipped byte inside a value replays
 * silently there (RELIABILITY.md); here the checksum finds it, and the loader refuses a corrupt
 * batch in the middle of the file, naming the file and the offset.
 *
 * A torn tail — the last batch cut short, or complete in length but failing its checksum,
 * with nothing after it — is what a crash during a write leaves. It was never acknowledged
 * under `always` (the fsync comes before the reply), so the loader may drop it
 * (`aof-load-truncated yes`, the default, as Redis drops a truncated last command).
 *
 * zlib's crc32 (CRC-32/ISO-HDLC) is native in Node ≥ 20.15; CRC32C would need our own table
 * code in JS, several times slower, for the same protection against torn and flipped bytes.
 */

const HEADER_PREFIX = '#CRC ';

/** Encodes commands into one batch, with SELECT records when the database changes. */
export class AofBatchBuilder {
  private buffer = Buffer.allocUnsafe(64 * 1024);
  private length = 0;
  /** The database the file's reader is in after everything appended so far (-1: unknown). */
  private selected = -1;

  /** Bytes appended since the last take(). */
  get pending(): number { return this.length; }

  /** A new file starts with no database selected: the next record writes a SELECT. */
  resetSelection(): void { this.selected = -1; }

  append(db: number, argv: readonly string[]): void {
    if (db !== this.selected) {
      this.writeCommand(['SELECT', String(db)]);
      this.selected = db;
    }
    this.writeCommand(argv);
  }

  /** The batch with its checksum line, ready for one write(); empty when nothing was appended. */
  take(): Buffer {
    if (this.length === 0) return EMPTY;
    const body = this.buffer.subarray(0, this.length);
    const header = `${HEADER_PREFIX}${crc32(body).toString(16).padStart(8, '0')} ${this.length}\r\n`;
    const out = Buffer.allocUnsafe(header.length + this.length);
    out.write(header, 0, 'latin1');
    body.copy(out, header.length);
    this.length = 0;
    // A big batch (a 100 MB SET) should not keep its buffer for ever.
    if (this.buffer.length > 4 * 1024 * 1024) this.buffer = Buffer.allocUnsafe(64 * 1024);
    return out;
  }

  // Runs for every write command while the AOF is on: bytes are written directly (no template
  // strings, no call into C++ for short arguments: writeLatin1).
  private writeCommand(argv: readonly string[]): void {
    let need = 16;
    for (const a of argv) need += a.length + 16;
    this.reserve(need);
    const buf = this.buffer;
    let at = this.length;
    at = writeRespHeader(buf, at, 0x2a /* * */, argv.length);
    for (const a of argv) {
      at = writeRespHeader(buf, at, 0x24 /* $ */, a.length);
      at = writeLatin1(buf, at, a);
      buf[at++] = 0x0d;
      buf[at++] = 0x0a;
    }
    this.length = at;
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }
}

const EMPTY = Buffer.alloc(0);

/** Encodes one command as RESP (a test helper, and the rewrite of foreign records). */
export function encodeAofBatch(records: readonly [db: number, argv: readonly string[]][]): Buffer {
  const builder = new AofBatchBuilder();
  for (const [db, argv] of records) builder.append(db, argv);
  return builder.take();
}

/** The file is damaged before its end: loading must stop (the message names the offset). */
export class AofCorruptError extends Error {
  constructor(readonly offset: number, reason: string) {
    super(`${reason} at offset ${offset}`);
  }
}

/** Reads a file's bytes: `read(position, length)` returns at most `length` bytes from `position`. */
export interface ByteSource {
  readonly size: number;
  read(position: number, length: number): Buffer;
}

export interface AofCommand {
  argv: string[];
  /** Offset of the first byte after the batch (or foreign command) that holds this command. */
  end: number;
}

/** How a parse ended: cleanly, or at a torn tail starting at `validUpTo`. */
export interface AofEnd {
  truncated: boolean;
  /** Bytes that hold complete, verified batches (where --fix truncates). */
  validUpTo: number;
  /** Why the tail is torn, for the warning. */
  reason?: string;
}

const READ_CHUNK = 4 * 1024 * 1024;
const CRC_LINE = /^#CRC ([0-9a-f]{8}) (\d{1,15})$/;
const HEADER_PREFIX_BYTES = Buffer.from(HEADER_PREFIX, 'latin1');

/**
 * The offset of the first checksum line at or after `from` that starts a complete batch
 * passing its checksum, or -1. Reads the file in chunks (a torn tail is searched to its end:
 * one batch). The reader uses it to tell a torn tail from damage; check-aof, to say what
 * --fix would throw away after damage.
 */
export function findVerifiedBatch(source: ByteSource, from: number): number {
  const size = source.size;
  for (let at = from; at < size;) {
    const chunk = source.read(at, Math.min(READ_CHUNK, size - at));
    if (chunk.length === 0) return -1;
    for (let i = chunk.indexOf(HEADER_PREFIX_BYTES); i !== -1; i = chunk.indexOf(HEADER_PREFIX_BYTES, i + 1)) {
      if (isVerifiedBatch(source, at + i)) return at + i;
    }
    if (at + chunk.length >= size) return -1;
    // Overlap by the prefix's length less one, so a prefix across two chunks is found once.
    at += chunk.length - (HEADER_PREFIX_BYTES.length - 1);
  }
  return -1;
}

function isVerifiedBatch(source: ByteSource, at: number): boolean {
  const head = source.read(at, Math.min(64, source.size - at));
  const eol = head.indexOf('\r\n', 0, 'latin1');
  if (eol === -1) return false;
  const m = CRC_LINE.exec(head.toString('latin1', 0, eol));
  if (m === null) return false;
  const bodyAt = at + eol + 2;
  const length = Number(m[2]);
  if (bodyAt + length > source.size) return false;
  const body = source.read(bodyAt, length);
  return body.length === length && crc32(body) === parseInt(m[1]!, 16);
}

/**
 * A pull parser over an AOF file: next() returns commands in order, then undefined at the end
 * (see `end` for a torn tail); throws AofCorruptError for damage before the end.
 */
export class AofReader {
  /** Bytes of `window` start at this file offset. */
  private windowAt = 0;
  private window: Buffer = EMPTY;
  /** Parse position (file offset). */
  private at = 0;
  /** Commands of the current verified batch, and where it ends. */
  private batch: string[][] = [];
  private batchIndex = 0;
  private batchEnd = 0;
  private validUpTo = 0;
  /** A checksummed batch has been verified: the rest of the file is nodis's. */
  private checksummed = false;
  end: AofEnd | undefined;

  constructor(private readonly source: ByteSource) {}

  /** The offset parsed so far (progress reports). */
  get position(): number { return this.at; }

  next(): AofCommand | undefined {
    for (;;) {
      if (this.batchIndex < this.batch.length) {
        return { argv: this.batch[this.batchIndex++]!, end: this.batchEnd };
      }
      if (this.end !== undefined) return undefined;
      if (this.at >= this.source.size) {
        this.end = { truncated: false, validUpTo: this.at };
        return undefined;
      }
      this.readUnit();
    }
  }

  /** Makes bytes [at, at + n) available in the window; false if the file is shorter. */
  private ensure(n: number): boolean {
    const have = this.windowAt + this.window.length - this.at;
    if (have >= n) return true;
    // Past the end: read what there is, so the caller can still look at it (and answer false).
    const available = Math.min(n, this.source.size - this.at);
    if (have >= available) return false;
    const want = Math.max(available, Math.min(READ_CHUNK, this.source.size - this.at));
    const fresh = this.source.read(this.at, want);
    this.window = fresh;
    this.windowAt = this.at;
    return fresh.length >= n;
  }

  private byte(offset: number): number {
    return this.window[offset - this.windowAt]!;
  }

  /** The line at `at` (without CRLF) and the offset after it; undefined if no CRLF within `max`. */
  private line(max: number): { text: string; next: number } | undefined {
    const avail = Math.min(max, this.source.size - this.at);
    this.ensure(avail);
    const start = this.at - this.windowAt;
    const limit = Math.min(this.window.length, start + avail);
    for (let i = start; i + 1 < limit; i++) {
      if (this.window[i] === 0x0d && this.window[i + 1] === 0x0a) {
        return { text: this.window.toString('latin1', start, i), next: this.windowAt + i + 2 };
      }
    }
    return undefined;
  }

  private torn(reason: string): void {
    this.end = { truncated: true, validUpTo: this.validUpTo, reason };
  }

  /**
   * The unit at `start` is damaged (a checksum line that does not parse or claims more bytes
   * than follow, a failing checksum, garbage where a batch should begin). A torn tail — a
   * crash during the last write — can only damage the last batch, so: if a batch that passes
   * its checksum starts anywhere after `start`, the damage is in the middle of the file
   * (a flipped byte, or a damaged length that would otherwise swallow every later batch and
   * have the loader truncate them away); else it is the torn tail.
   */
  private damaged(start: number, reason: string): void {
    if (findVerifiedBatch(this.source, start + 1) !== -1) throw new AofCorruptError(start, reason);
    this.at = start;
    this.torn(reason);
  }

  /** Reads one checksummed batch, an annotation, or one foreign (unchecksummed) command. */
  private readUnit(): void {
    const start = this.at;
    if (!this.ensure(1)) return this.torn('empty read');
    const first = this.byte(start);
    // After a verified batch the file is ours: only checksummed batches follow (and #TS lines
    // or plain commands if Redis appended), so anything else is damage, judged by damaged().
    const ours = this.checksummed;
    if (first === 0x23 /* # */) {
      const line = this.line(256);
      if (line === undefined) {
        if (ours) return this.damaged(start, 'a checksum line without an end');
        if (this.source.size - start < 256) return this.torn('an incomplete annotation line');
        throw new AofCorruptError(start, 'an annotation line without an end');
      }
      if (!line.text.startsWith(HEADER_PREFIX)) {
        if (ours && !line.text.startsWith('#TS:')) return this.damaged(start, 'a damaged checksum line');
        // Another annotation (Redis's #TS:...): skipped, as Redis's loader does.
        this.at = line.next;
        this.validUpTo = this.at;
        return;
      }
      const m = CRC_LINE.exec(line.text);
      if (m === null) return this.damaged(start, 'a malformed checksum line');
      const expected = parseInt(m[1]!, 16);
      const length = Number(m[2]);
      const bodyAt = line.next;
      // Checked before reading: a damaged length must not make us read the rest of the file.
      if (bodyAt + length > this.source.size) {
        return this.damaged(start, `the last batch is cut short (${this.source.size - bodyAt} of ${length} bytes)`);
      }
      this.at = bodyAt;
      // The file is long enough, so fewer bytes means the file changed under us: not a torn tail.
      if (!this.ensure(length)) throw new Error(`a short read of ${length} bytes at offset ${bodyAt}`);
      const body = this.window.subarray(bodyAt - this.windowAt, bodyAt - this.windowAt + length);
      const actual = crc32(body);
      const bodyEnd = bodyAt + length;
      if (actual !== expected) {
        // Nothing verified after it: a write torn by a crash. Something after it: damage.
        return this.damaged(start, `a batch of ${length} bytes fails its checksum (crc32 ${actual.toString(16).padStart(8, '0')}, expected ${m[1]})`);
      }
      const commands: string[][] = [];
      let p = 0;
      while (p < body.length) {
        const parsed = parseCommand(body, p);
        if (typeof parsed === 'string') throw new AofCorruptError(bodyAt + p, `a checksummed batch holds ${parsed}`);
        if (parsed === undefined) throw new AofCorruptError(bodyAt + p, 'a checksummed batch ends inside a command');
        commands.push(parsed.argv);
        p = parsed.next;
      }
      this.batch = commands;
      this.batchIndex = 0;
      this.batchEnd = bodyEnd;
      this.at = bodyEnd;
      this.validUpTo = bodyEnd;
      this.checksummed = true;
      return;
    }
    if (first !== 0x2a /* * */) {
      const reason = `bad file format (expected '*' or '#', got byte 0x${first.toString(16).padStart(2, '0')})`;
      if (ours) return this.damaged(start, reason);
      throw new AofCorruptError(start, reason);
    }
    // A command without a checksum line (a file Redis wrote): parse it where it stands,
    // growing the window until it holds the whole command.
    let want = 64 * 1024;
    for (;;) {
      const complete = this.ensure(want);
      const offsetInWindow = start - this.windowAt;
      const parsed = parseCommand(this.window, offsetInWindow);
      if (typeof parsed === 'string') {
        if (ours) return this.damaged(start, parsed);
        throw new AofCorruptError(start, parsed);
      }
      if (parsed !== undefined) {
        this.batch = [parsed.argv];
        this.batchIndex = 0;
        this.at = this.windowAt + parsed.next;
        this.batchEnd = this.at;
        this.validUpTo = this.at;
        return;
      }
      if (!complete || this.windowAt + this.window.length >= this.source.size) return this.torn('the last command is cut short');
      want *= 4;
    }
  }
}

/**
 * One RESP command at `at`: its argv and the offset after it; undefined when the buffer ends
 * first; a string describing the damage when it is not a well-formed command.
 */
export function parseCommand(buf: Buffer, at: number): { argv: string[]; next: number } | undefined | string {
  const header = readLine(buf, at);
  if (header === undefined) return undefined;
  if (buf[at] !== 0x2a) return `expected '*', got byte 0x${(buf[at] ?? 0).toString(16)}`;
  if (header === null) return 'an argument count line without an end';
  const count = toCount(header.text.slice(1));
  if (count === undefined || count < 1) return `an invalid argument count '${header.text.slice(1, 24)}'`;
  const argv: string[] = [];
  let p = header.next;
  for (let i = 0; i < count; i++) {
    const line = readLine(buf, p);
    if (line === undefined) return undefined;
    if (buf[p] !== 0x24) return `expected '$', got byte 0x${(buf[p] ?? 0).toString(16)}`;
    if (line === null) return 'a bulk length line without an end';
    const length = toCount(line.text.slice(1));
    if (length === undefined) return `an invalid bulk length '${line.text.slice(1, 24)}'`;
    const end = line.next + length;
    if (end + 2 > buf.length) return undefined;
    if (buf[end] !== 0x0d || buf[end + 1] !== 0x0a) return 'a bulk string without its CRLF';
    argv.push(buf.toString('latin1', line.next, end));
    p = end + 2;
  }
  return { argv, next: p };
}

/**
 * A header line (`*<count>` or `$<length>`) at `at`: undefined when the buffer ends first,
 * null when no CRLF comes within 32 bytes (no valid header is that long: damage, which must
 * not read as a command cut short by the end of the file).
 */
function readLine(buf: Buffer, at: number): { text: string; next: number } | undefined | null {
  const limit = Math.min(buf.length, at + 32);
  for (let i = at; i + 1 < limit; i++) {
    if (buf[i] === 0x0d && buf[i + 1] === 0x0a) return { text: buf.toString('latin1', at, i), next: i + 2 };
  }
  return buf.length >= at + 32 ? null : undefined;
}

function toCount(text: string): number | undefined {
  if (!/^\d{1,15}$/.test(text)) return undefined;
  return Number(text);
}
