import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import {
  AofCorruptError, AofReader, Engine, SnapshotError, SnapshotReader, findVerifiedBatch, loadSnapshotRecords, type ByteSource,
} from '@nodis/engine';
import { parseManifest } from './aof.js';
import { FileSource, errnoText, nodeFs, type PersistFs } from './fs.js';

/**
 * `nodis-server --check-aof [--fix] <file.aof | file.manifest | appendonlydir | file.snapshot>`:
 * redis-check-aof for nodis's files, with its output (Redis 7.0's wording where the two agree),
 * so an operator who knows one reads the other:
 *
 *   AOF analyzed: filename=appendonly.aof.1.incr.aof, size=209, ok_up_to=188, ok_up_to_line=43, diff=21
 *   AOF appendonly.aof.1.incr.aof is not valid. Use the --fix option to try fixing it.
 *
 * What it checks: an incr file batch by batch with the loader's own AofReader (checksums,
 * RESP framing; a file Redis wrote, without checksum lines, command by command); a manifest (or
 * the directory holding it) file by file, the base snapshot with SnapshotReader, every value
 * decoded as loading would, then the incr files in order, stopping at the first invalid one as
 * the loader and redis-check-aof do. Exit code 0: valid (or fixed); 1: not valid, or not fixed.
 *
 * --fix truncates an incr file at `ok_up_to`, the end of its last verified batch:
 * - a torn tail (a crash during a write) is what the server itself drops at start under
 *   `aof-load-truncated yes`; nothing acknowledged under `appendfsync always` is in it;
 * - damage before the end (a batch failing its checksum with data after it) makes the server
 *   refuse to start. Truncating there loses EVERYTHING after the damage, intact batches
 *   included (the report counts them): the alternative is editing the file by hand, or a
 *   backup. The report says so before asking.
 * Only the last incr file of a manifest is truncated (as redis-check-aof): cutting an earlier
 * one would replay later files over a gap. A damaged snapshot (base or SAVE file) cannot be
 * fixed: a snapshot is whole or unusable.
 *
 * ok_up_to_line is the line ok_up_to falls on (1 + the newlines before it); redis-check-aof
 * prints the line its parser had reached when it stopped, a few lines further into a torn
 * command. For a snapshot (a base), as for Redis's RDB preamble, it is 1.
 *
 * Asking: like redis-check-aof, --fix asks "Continue? [y/N]" before truncating, but only when
 * stdin is a terminal. When it is not (a script, a container entrypoint, CI), --fix itself is the
 * consent and the file is truncated without a question — unlike redis-check-aof, which reads
 * the answer from stdin, so `echo n | nodis-server --check-aof --fix f` truncates. Stop the
 * server first: a running server appends to the file being cut.
 */

export interface CheckAofOptions {
  fix?: boolean;
  /**
   * Asked before truncating (the question is the last printed line's companion); true goes ahead.
   * Undefined: go ahead without asking (stdin is not a terminal).
   */
  confirm?: (question: string) => Promise<boolean>;
  /** Each output line as it is produced (the CLI prints them before asking). */
  write?: (line: string) => void;
  fs?: PersistFs;
  /** "already expired" is counted against this time (ms); Date.now() by default. */
  now?: number;
}

export interface CheckAofResult {
  output: string;
  exitCode: 0 | 1;
}

const USAGE = 'Usage: nodis-server --check-aof [--fix] <file.manifest|file.aof|appendonlydir|file.snapshot>';
const SNAPSHOT_MAGIC = 'NODISSNP';
/** How much of a file is read at a time when counting lines or looking for batches. */
const CHUNK = 4 * 1024 * 1024;

/** The command line: `args` are what follows `--check-aof`; returns the exit code. */
export async function checkAofMain(args: readonly string[]): Promise<number> {
  const fix = args.includes('--fix');
  const files = args.filter((a) => a !== '--fix');
  if (files.length !== 1 || files[0]!.startsWith('--')) {
    process.stdout.write(`${USAGE}\n`);
    return 1;
  }
  const options: CheckAofOptions = { fix, write: (line) => process.stdout.write(`${line}\n`) };
  if (fix && process.stdin.isTTY) {
    options.confirm = async (question) => {
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      // End of input (Ctrl-D) is a No, as in redis-check-aof, and must not leave us waiting.
      const closed = new Promise<string>((resolve) => rl.once('close', () => resolve('')));
      try {
        const answer = await Promise.race([rl.question(question).catch(() => ''), closed]);
        return /^y/i.test(answer.trim());
      } finally {
        rl.close();
      }
    };
  }
  const result = await checkAof(files[0]!, options);
  return result.exitCode;
}

/** Checks (and with `fix`, truncates) the AOF at `target`; see the header comment. */
export async function checkAof(target: string, options: CheckAofOptions = {}): Promise<CheckAofResult> {
  const checker = new Checker(options);
  let code: 0 | 1;
  try {
    code = await checker.run(target);
  } catch (e) {
    checker.print(`Cannot read file ${target}: ${errnoText(e)}`);
    code = 1;
  }
  return { output: checker.lines.join('\n') + '\n', exitCode: code };
}

type FileKind = 'manifest' | 'snapshot' | 'rdb' | 'aof';

interface FileVerdict {
  valid: boolean;
  /** The file was invalid and --fix truncated it. */
  fixed?: boolean;
}

class Checker {
  readonly lines: string[] = [];
  private readonly fs: PersistFs;
  private readonly now: number;

  constructor(private readonly options: CheckAofOptions) {
    this.fs = options.fs ?? nodeFs;
    this.now = options.now ?? Date.now();
  }

  print(line: string): void {
    this.lines.push(line);
    this.options.write?.(line);
  }

  async run(target: string): Promise<0 | 1> {
    let file = target;
    if (this.isDirectory(target)) {
      // The data directory itself (`dir`) is taken for its appendonlydir.
      const nested = path.join(target, 'appendonlydir');
      const manifest = this.findManifest(target) ?? (this.isDirectory(nested) ? this.findManifest(nested) : undefined);
      if (manifest === undefined) {
        this.print(`No AOF manifest (*.manifest) in the directory ${target}`);
        return 1;
      }
      file = manifest;
    }
    const size = this.fs.size(file);
    if (size < 0) {
      this.print(`Cannot open file ${file}: No such file or directory`);
      return 1;
    }
    const kind = this.kindOf(file, size);
    if (kind === 'manifest') return this.checkManifest(file);
    if (kind === 'snapshot') {
      this.print('Start checking snapshot file');
      const ok = this.checkSnapshot(file, file);
      this.print(ok ? `Snapshot ${file} is valid` : `Snapshot ${file} is not valid. --fix cannot repair a snapshot: it is whole or unusable (restore a copy; with the AOF on, its files hold the data)`);
      return ok ? 0 : 1;
    }
    if (kind === 'rdb') {
      this.print(`${file} is a Redis RDB file: nodis does not read RDB (redis-check-rdb checks it)`);
      return 1;
    }
    this.print('Start checking AOF file');
    const verdict = await this.checkIncr(file, file, { last: this.isLastIncr(file), label: 'AOF' });
    return verdict.valid || verdict.fixed === true ? 0 : 1;
  }

  /**
   * A file named on its own may still be one incr file of several (the server's error message
   * names the file): --fix must not cut one that later files are replayed after.
   */
  private isLastIncr(file: string): boolean {
    try {
      const dir = path.dirname(file);
      const manifestFile = this.findManifest(dir);
      if (manifestFile === undefined) return true;
      const incrs = parseManifest(this.fs.readFile(manifestFile).toString('latin1'), manifestFile).incrs;
      const index = incrs.findIndex((i) => i.file === path.basename(file));
      return index === -1 || index === incrs.length - 1;
    } catch {
      // No readable manifest beside it: a file on its own.
      return true;
    }
  }

  /** PersistFs has no stat: a directory is what readdir can list. */
  private isDirectory(target: string): boolean {
    try {
      this.fs.readdir(target);
      return true;
    } catch {
      return false;
    }
  }

  /** The manifest in an appendonlydir: appendonly.aof.manifest, or the only *.manifest there. */
  private findManifest(dir: string): string | undefined {
    const names = this.fs.readdir(dir).filter((n) => n.endsWith('.manifest') && !n.startsWith('temp-'));
    const name = names.includes('appendonly.aof.manifest') ? 'appendonly.aof.manifest' : names.length === 1 ? names[0] : undefined;
    return name === undefined ? undefined : path.join(dir, name);
  }

  /** By content, as redis-check-aof tells a manifest from an AOF: a manifest's first line is `file ...`. */
  private kindOf(file: string, size: number): FileKind {
    if (size === 0) return 'aof';
    const source = new FileSource(this.fs, file);
    let head: Buffer;
    try {
      head = source.read(0, Math.min(size, 256));
    } finally {
      source.close();
    }
    const text = head.toString('latin1');
    if (text.startsWith(SNAPSHOT_MAGIC)) return 'snapshot';
    if (text.startsWith('REDIS')) return 'rdb';
    for (const line of text.split('\n')) {
      const t = line.trim();
      if (t === '' || t.startsWith('#')) continue;
      return t.startsWith('file ') ? 'manifest' : 'aof';
    }
    return 'aof';
  }

  private async checkManifest(manifestFile: string): Promise<0 | 1> {
    this.print('Start checking Multi Part AOF');
    let manifest;
    try {
      manifest = parseManifest(this.fs.readFile(manifestFile).toString('latin1'), manifestFile);
    } catch (e) {
      this.print(`${errnoText(e)}, aborting...`);
      return 1;
    }
    const dir = path.dirname(manifestFile);
    if (manifest.base !== undefined) {
      this.print('Start to check BASE AOF (nodis snapshot format).');
      const file = path.join(dir, manifest.base.file);
      if (this.fs.size(file) < 0) {
        this.print(`Cannot open file ${file}: No such file or directory, aborting...`);
        return 1;
      }
      if (this.kindOf(file, this.fs.size(file)) === 'rdb') {
        this.print(`The base ${manifest.base.file} is a Redis RDB file: nodis cannot load it, aborting...`);
        return 1;
      }
      if (!this.checkSnapshot(file, manifest.base.file)) {
        this.print('The snapshot base of the AOF is not sane, aborting. (--fix cannot repair a snapshot: restore the appendonlydir from a copy)');
        return 1;
      }
      this.print(`BASE AOF ${manifest.base.file} is valid`);
    }
    if (manifest.incrs.length > 0) this.print('Start to check INCR files.');
    for (let i = 0; i < manifest.incrs.length; i++) {
      const name = manifest.incrs[i]!.file;
      const file = path.join(dir, name);
      if (this.fs.size(file) < 0) {
        this.print(`Cannot open file ${file}: No such file or directory, aborting...`);
        return 1;
      }
      const verdict = await this.checkIncr(file, name, { last: i === manifest.incrs.length - 1, label: 'INCR AOF' });
      // The loader stops at the first file it cannot replay: so does the check.
      if (!verdict.valid && verdict.fixed !== true) return 1;
    }
    this.print('All AOF files and manifest are valid');
    return 0;
  }

  /**
   * A snapshot (the AOF's base, or a SAVE file): header, every block's checksum and records
   * (decoded as loading decodes them), the footer. `name` is what the report calls it.
   */
  private checkSnapshot(file: string, name: string): boolean {
    const source = new FileSource(this.fs, file);
    let records = 0;
    let keys = 0;
    let expires = 0;
    let expired = 0;
    let blocks = 0;
    let at = 0;
    try {
      this.print(`[offset 0] Checking snapshot file ${name}`);
      const reader = new SnapshotReader(source, name);
      const header = reader.readHeader();
      const version = source.read(8, 4).readUInt32BE(0);
      const created = header.created > 0 ? new Date(header.created).toISOString() : 'unknown';
      this.print(`[offset ${reader.position}] Header: format version ${version}, written by nodis ${header.server || '(unknown version)'} at ${created}, ${header.databases} databases`);
      // Records are loaded into a scratch engine (as the server would load them) and dropped
      // block by block: memory stays at one block's worth, whatever the file's size.
      const engine = new Engine({ config: { databases: String(Math.max(1, Math.min(header.databases, 1024))) } });
      for (;;) {
        at = reader.position;
        const block = reader.nextBlock();
        if (block === undefined) break;
        blocks++;
        records += block.length / 5;
        for (let i = 4; i < block.length; i += 5) {
          const expireAt = block[i];
          if (typeof expireAt === 'number' && expireAt !== -1) {
            expires++;
            if (expireAt <= this.now) expired++;
          }
        }
        keys += loadSnapshotRecords(engine, block, name, at, undefined);
        for (const db of engine.dbs) db.clear();
      }
      this.print(`[offset ${source.size}] Footer OK: ${blocks} block${blocks === 1 ? '' : 's'}, ${records} records, checksums OK`);
      this.printCounts(keys, expires, expired);
      this.print(`AOF analyzed: filename=${name}, size=${source.size}, ok_up_to=${source.size}, ok_up_to_line=1, diff=0`);
      return true;
    } catch (e) {
      if (!(e instanceof SnapshotError)) throw e;
      this.print('--- SNAPSHOT ERROR DETECTED ---');
      this.print(`[offset ${at}] ${e.message}`);
      this.printCounts(keys, expires, expired);
      return false;
    } finally {
      source.close();
    }
  }

  private printCounts(keys: number, expires: number, expired: number): void {
    this.print(`[info] ${keys} keys read`);
    this.print(`[info] ${expires} expires`);
    this.print(`[info] ${expired} already expired`);
  }

  /** One file of RESP batches; with --fix (and the last file), truncated at its last good batch. */
  private async checkIncr(file: string, name: string, where: { last: boolean; label: string }): Promise<FileVerdict> {
    const fs = this.fs;
    const source = new FileSource(fs, file);
    // Closed before truncating, and at the end if not yet: never twice (a closed fd number may
    // already belong to another open in this process).
    let sourceOpen = true;
    const closeSource = (): void => {
      if (!sourceOpen) return;
      sourceOpen = false;
      source.close();
    };
    const size = source.size;
    let okUpTo = size;
    let damage: { offset: number; reason: string; torn: boolean } | undefined;
    try {
      if (size === 0) {
        this.print(`${where.label} ${name} is empty`);
        return { valid: true };
      }
      const reader = new AofReader(source);
      // The end of the last command's batch: where --fix cuts when a batch in the middle is
      // damaged (the reader's own mark is not exposed; annotation lines after it carry no data).
      let lastEnd = 0;
      try {
        for (let command = reader.next(); command !== undefined; command = reader.next()) lastEnd = command.end;
      } catch (e) {
        if (!(e instanceof AofCorruptError)) throw e;
        damage = { offset: e.offset, reason: e.message.replace(/ at offset \d+$/, ''), torn: false };
        okUpTo = lastEnd;
      }
      const end = reader.end;
      if (damage === undefined && end?.truncated === true) {
        okUpTo = end.validUpTo;
        damage = { offset: end.validUpTo, reason: end.reason ?? 'a torn tail', torn: true };
      }
      if (damage !== undefined) this.print(`0x${damage.offset.toString(16).padStart(16)}: ${damage.reason}`);
      this.print(`AOF analyzed: filename=${name}, size=${size}, ok_up_to=${okUpTo}, ok_up_to_line=${countLines(source, okUpTo)}, diff=${size - okUpTo}`);
      if (damage === undefined) {
        this.print(`${where.label} ${name} is valid`);
        return { valid: true };
      }
      let lost = '';
      if (damage.torn) {
        // The reader calls a tail torn only when no verified batch follows it (else it throws).
        this.print(`The damage is a torn tail (what a crash during a write leaves, never acknowledged under appendfsync always): the server drops it at start with aof-load-truncated yes.`);
      } else {
        const after = intactAfter(source, damage.offset + 1);
        lost = after === undefined
          ? ' No batch after it passes a checksum.'
          : ` From offset ${after.offset} on, ${plural(after.commands, 'command')} in ${plural(after.batches, 'batch')} pass their checksums: --fix drops them too.`;
        this.print(`The damage at offset ${damage.offset} is before the end of the file: the server refuses to load it.${lost}`);
      }
      if (this.options.fix !== true) {
        this.print(`AOF ${name} is not valid. Use the --fix option to try fixing it.`);
        return { valid: false };
      }
      if (!where.last) {
        this.print(`Failed to truncate AOF ${name} because it is not the last file`);
        this.print('(later incr files are replayed after it: cutting it would replay them over a gap; restore a copy of the appendonlydir)');
        return { valid: false };
      }
      this.print(`This will shrink the AOF ${name} from ${size} bytes, with ${size - okUpTo} bytes, to ${okUpTo} bytes`);
      if (lost !== '') this.print(`Everything after offset ${okUpTo} is lost, not only the damaged batch.`);
      if (this.options.confirm !== undefined) {
        if (!(await this.options.confirm('Continue? [y/N]: '))) {
          this.print('Aborting...');
          return { valid: false };
        }
      } else {
        this.print('(stdin is not a terminal: --fix goes ahead without asking)');
      }
      closeSource();
      try {
        fs.truncate(file, okUpTo);
        const fd = fs.open(file, 'read');
        try {
          fs.fsyncSync(fd);
        } finally {
          fs.close(fd);
        }
      } catch (e) {
        this.print(`Failed to truncate AOF ${name}: ${errnoText(e)}`);
        return { valid: false };
      }
      this.print(`Successfully truncated AOF ${name}`);
      return { valid: false, fixed: true };
    } finally {
      closeSource();
    }
  }
}

/** Redis's ok_up_to_line: the line `ok_up_to` falls on, counting from 1. */
function countLines(source: FileSource, upTo: number): number {
  let lines = 1;
  for (let at = 0; at < upTo; at += CHUNK) {
    const chunk = source.read(at, Math.min(CHUNK, upTo - at));
    for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) lines++;
    if (chunk.length === 0) break;
  }
  return lines;
}

/**
 * The first batch at or after `from` that passes its checksum, and how much the run of
 * verified batches from there holds (what --fix would throw away with the damage).
 */
function intactAfter(source: FileSource, from: number): { offset: number; batches: number; commands: number } | undefined {
  const offset = findVerifiedBatch(source, from);
  if (offset === -1) return undefined;
  const run = verifiedRun(source, offset);
  return run === undefined ? undefined : { offset, ...run };
}

/** Batches and commands from `offset` up to the end or the next damage; undefined if the first fails. */
function verifiedRun(source: FileSource, offset: number): { batches: number; commands: number } | undefined {
  const view: ByteSource = { size: source.size - offset, read: (position, length) => source.read(offset + position, length) };
  const reader = new AofReader(view);
  let commands = 0;
  let batches = 0;
  let lastEnd = -1;
  try {
    for (let command = reader.next(); command !== undefined; command = reader.next()) {
      commands++;
      if (command.end !== lastEnd) {
        batches++;
        lastEnd = command.end;
      }
    }
  } catch (e) {
    if (!(e instanceof AofCorruptError)) throw e;
  }
  return commands === 0 ? undefined : { batches, commands };
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : noun.endsWith('h') ? 'es' : 's'}`;
}

