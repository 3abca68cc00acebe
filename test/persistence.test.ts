import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CapturingWriter, Engine, type Reply } from '@nodis/engine';
import { Persistence } from '../packages/server/src/persist/persistence.js';
import { nodeFs, type PersistFs } from '../packages/server/src/persist/fs.js';
import { RespTestClient } from './helpers/resp-client.js';

/**
 * Persistence end to end (issue 7, "How we will know"):
 * 1. kill -9 at random moments under write load: with `appendfsync always` nothing acknowledged
 *    is lost and nothing is corrupt; with `everysec` the loss is measured and printed.
 * 2. torn writes: the AOF's last batch cut at every byte offset loads as the earlier batches
 *    (tail dropped, file truncated) or is refused (aof-load-truncated no); a damaged middle batch
 *    and a truncated snapshot are refused naming file and offset; never wrong data.
 * 3. round trip of every type, TTLs, 16 databases, binary keys/values through SAVE, the AOF,
 *    BGREWRITEAOF + more writes, and SHUTDOWN; keys that expired while down are gone.
 * 4. -LOADING while a large snapshot loads; SHUTDOWN/SIGTERM during loading must not save a
 *    half-loaded data set over the good snapshot (Redis forces NOSAVE while loading).
 * 5. bad inputs: unwritable data directory, newer snapshot format, random AOF, bad manifests,
 *    Redis-format (unchecksummed) AOF records damaged in the middle.
 * And the `always` reply barrier across a rewrite's switch of incr files (in-process, with
 * fsyncs completed by the test).
 *
 * Servers are real child processes (packages/server/dist/bin.js: run the build first) on free
 * ports with data directories under os.tmpdir(); the file-format tests (2, 5) load in-process
 * through Persistence with the real file system. Every wait is bounded.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
const serverBin = path.join(here, '..', 'packages', 'server', 'dist', 'bin.js');
const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'nodis-persist-'));
const children = new Set<ChildProcess>();
const immutable: string[] = [];
let dirSeq = 0;

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of immutable) spawnSync('chattr', ['-i', d]);
  fs.rmSync(tmpRoot, { recursive: true, force: true });
});

function freshDir(name: string): string {
  const d = path.join(tmpRoot, `${name}-${++dirSeq}`);
  fs.mkdirSync(d, { recursive: true });
  return d;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
    s.on('error', reject);
  });
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms); }),
  ]);
}

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const tick = () => new Promise<void>((r) => setImmediate(r));

/** Polls `check` until it returns true (bounded). */
async function until(check: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await pause(20);
  }
}

// ---------------------------------------------------------------------------------------------
// Child nodis-server processes

interface Child {
  proc: ChildProcess;
  port: number;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnNodis(dir: string, port: number, args: readonly string[]): Child {
  const proc = spawn(process.execPath, [serverBin, '--port', String(port), '--dir', dir, '--unixsocket', '', '--nativesocket', '', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(proc);
  let out = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', (s: string) => { out += s; });
  proc.stderr!.setEncoding('utf8').on('data', (s: string) => { err += s; });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.once('exit', (code, signal) => { children.delete(proc); resolve({ code, signal }); });
  });
  return { proc, port, stdout: () => out, stderr: () => err, exited };
}

/** Starts nodis-server and resolves once it logs "Ready to accept connections" (bounded). */
async function startNodis(dir: string, args: readonly string[] = [], ms = 20_000): Promise<Child> {
  const port = await freePort();
  const child = spawnNodis(dir, port, args);
  await within(new Promise<void>((resolve, reject) => {
    const onData = () => { if (child.stdout().includes('Ready to accept connections')) resolve(); };
    child.proc.stdout!.on('data', onData);
    onData();
    void child.exited.then(({ code, signal }) => reject(new Error(`nodis-server exited (${code ?? signal}) before it was ready:\n${child.stdout()}${child.stderr()}`)));
  }), ms, `nodis-server start in ${dir}`);
  return child;
}

/** Runs nodis-server expecting it to stop by itself (a refused start); bounded. */
async function runToExit(dir: string, args: readonly string[] = [], ms = 20_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnNodis(dir, await freePort(), args);
  const { code } = await within(child.exited, ms, `nodis-server in ${dir} to exit`);
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

/**
 * Runs nodis-server where a refusal is expected, but it may start instead (a bug): resolves
 * how it ended, killing it if it became ready (bounded either way).
 */
async function startOrExit(dir: string, args: readonly string[] = [], ms = 20_000): Promise<{ code: number | null; stdout: string; stderr: string; started: boolean }> {
  const child = spawnNodis(dir, await freePort(), args);
  const started = await within(new Promise<boolean>((resolve) => {
    const onData = () => { if (child.stdout().includes('Ready to accept connections')) resolve(true); };
    child.proc.stdout!.on('data', onData);
    void child.exited.then(() => resolve(false));
  }), ms, `nodis-server in ${dir} to start or exit`);
  if (started) await killHard(child);
  const { code } = await child.exited;
  return { code: started ? null : code, stdout: child.stdout(), stderr: child.stderr(), started };
}

async function killHard(child: Child): Promise<void> {
  if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL');
  await within(child.exited, 10_000, 'nodis-server to die');
}

/** A refused start: exit code 1, the message on stderr, no JavaScript stack trace anywhere. */
function expectCleanRefusal(r: { code: number | null; stdout: string; stderr: string }, pattern: RegExp): void {
  expect(r.code, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`).toBe(1);
  expect(r.stderr).toMatch(/^nodis-server: /m);
  expect(r.stderr).toMatch(pattern);
  expect(`${r.stdout}\n${r.stderr}`).not.toMatch(/^\s+at .+(:\d+:\d+\)?|\(node:)/m);
}

async function info(c: RespTestClient, section: string): Promise<Record<string, string>> {
  const text = String(await c.call('INFO', section));
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** Everysec: waits until everything written is covered by an fsync (aof_buffer_length:0). */
async function waitSynced(c: RespTestClient): Promise<void> {
  await until(async () => (await info(c, 'persistence')).aof_buffer_length === '0', 10_000, 'aof_buffer_length:0');
}

function isError(r: unknown): r is Error {
  return r instanceof Error;
}

// ---------------------------------------------------------------------------------------------
// In-process stores: an Engine with the server's Persistence over the real file system

interface Store {
  engine: Engine;
  persistence: Persistence;
  logs: string[];
  run(...argv: string[]): Reply;
  call(argv: string[]): Promise<Reply>;
}

function openStore(dir: string, config: Record<string, string> = {}, fsys?: PersistFs): Store {
  const logs: string[] = [];
  let persistence: Persistence | undefined;
  const engine = new Engine({
    config: { dir, appendonly: 'yes', appendfsync: 'always', save: '', ...config },
    hooks: { persistence: (which) => persistence!.command(which) },
  });
  persistence = new Persistence({ engine, log: (level, m) => logs.push(`${level} ${m}`), serverVersion: '7.0.15', ...(fsys ? { fs: fsys } : {}) });
  const writer = new CapturingWriter();
  const client = engine.createClient({ reply: writer, kind: 'memory', addr: 'test' });
  const run = (...argv: string[]): Reply => {
    engine.execute(client, argv);
    return writer.takeOne();
  };
  return { engine, persistence, logs, run, call: (argv) => Promise.resolve(run(...argv)) };
}

/** Loads `dir` in a fresh store; resolves the store, or the Error the load threw. */
async function loadDir(dir: string, config: Record<string, string> = {}): Promise<{ store: Store; error: Error | undefined }> {
  const store = openStore(dir, config);
  try {
    await store.persistence.load();
    return { store, error: undefined };
  } catch (e) {
    return { store, error: e as Error };
  } finally {
    // Release the AOF file it opened after loading; nothing is written (no save points).
    try { store.persistence.shutdown(false); } catch { /* the load failed: nothing open */ }
  }
}

// ---------------------------------------------------------------------------------------------
// The data set, read through commands into a canonical form (RESP client or in-process store)

interface Entry { type: string; expireAt: number; value: unknown }
type Dump = Map<string, Entry>[];
type Caller = (argv: string[]) => Promise<Reply>;

function readCommand(type: string, key: string): string[] {
  switch (type) {
    case 'string': return ['GET', key];
    case 'list': return ['LRANGE', key, '0', '-1'];
    case 'set': return ['SMEMBERS', key];
    case 'zset': return ['ZRANGE', key, '0', '-1', 'WITHSCORES'];
    case 'hash': return ['HGETALL', key];
    default: return ['TYPE', key];
  }
}

function canonicalValue(type: string, r: Reply): unknown {
  if (isError(r)) return { error: r.message };
  if (type === 'set') return [...(r as string[])].sort();
  if (type === 'hash') {
    const flat = r as string[];
    const pairs: [string, string][] = [];
    for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i]!, flat[i + 1]!]);
    return pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }
  return r;
}

async function dumpAll(call: Caller, databases = 16): Promise<Dump> {
  const out: Dump = [];
  for (let db = 0; db < databases; db++) {
    await call(['SELECT', String(db)]);
    const keys = [...((await call(['KEYS', '*'])) as string[])].sort();
    const entries = new Map<string, Entry>();
    for (const key of keys) {
      const type = String(await call(['TYPE', key]));
      const expireAt = Number(await call(['PEXPIRETIME', key]));
      entries.set(key, { type, expireAt, value: canonicalValue(type, await call(readCommand(type, key))) });
    }
    out.push(entries);
  }
  await call(['SELECT', '0']);
  return out;
}

/** The same over RESP, pipelined per database (data sets of thousands of keys). */
async function dumpServer(c: RespTestClient, databases = 16): Promise<Dump> {
  const out: Dump = [];
  for (let db = 0; db < databases; db++) {
    await c.call('SELECT', String(db));
    const keys = [...((await c.call('KEYS', '*')) as string[])].sort();
    const types = (await c.pipeline(keys.map((k) => ['TYPE', k]))).map(String);
    const ttls = await c.pipeline(keys.map((k) => ['PEXPIRETIME', k]));
    const values = await c.pipeline(keys.map((k, i) => readCommand(types[i]!, k)));
    const entries = new Map<string, Entry>();
    keys.forEach((k, i) => entries.set(k, { type: types[i]!, expireAt: Number(ttls[i]), value: canonicalValue(types[i]!, values[i]!) }));
    out.push(entries);
  }
  await c.call('SELECT', '0');
  return out;
}

function show(s: unknown): string {
  const text = typeof s === 'string' ? s : JSON.stringify(s) ?? String(s);
  const short = text.length > 80 ? `${text.slice(0, 80)}… (${text.length} chars)` : text;
  return JSON.stringify(short);
}

/** Differences between two dumps, described briefly (a 1 MB value must not flood the report). */
function diffDumps(expected: Dump, actual: Dump, ignore: (db: number, key: string) => boolean = () => false): string[] {
  const diffs: string[] = [];
  for (let db = 0; db < Math.max(expected.length, actual.length); db++) {
    const e = expected[db] ?? new Map<string, Entry>();
    const a = actual[db] ?? new Map<string, Entry>();
    for (const [k, ev] of e) {
      if (ignore(db, k)) continue;
      const av = a.get(k);
      if (av === undefined) { diffs.push(`db ${db} key ${show(k)}: missing`); continue; }
      if (av.type !== ev.type) diffs.push(`db ${db} key ${show(k)}: type ${av.type}, expected ${ev.type}`);
      else if (JSON.stringify(av.value) !== JSON.stringify(ev.value)) diffs.push(`db ${db} key ${show(k)}: value ${show(av.value)}, expected ${show(ev.value)}`);
      if (av.expireAt !== ev.expireAt) diffs.push(`db ${db} key ${show(k)}: expire at ${av.expireAt}, expected ${ev.expireAt}`);
    }
    for (const k of a.keys()) if (!e.has(k) && !ignore(db, k)) diffs.push(`db ${db} key ${show(k)}: unexpected`);
  }
  return diffs;
}

// ---------------------------------------------------------------------------------------------
// AOF files

const AOF_DIR = 'appendonlydir';
const MANIFEST = 'appendonly.aof.manifest';

interface Batch { start: number; bodyStart: number; end: number }

/** The `#CRC <hex> <len>` batches of an incr file, by offset. */
function batchesOf(buf: Buffer): Batch[] {
  const out: Batch[] = [];
  let at = 0;
  while (at < buf.length) {
    const nl = buf.indexOf('\r\n', at, 'latin1');
    const line = buf.toString('latin1', at, nl);
    const m = /^#CRC [0-9a-f]{8} (\d+)$/.exec(line);
    if (m === null) throw new Error(`no batch header at offset ${at}: ${JSON.stringify(line.slice(0, 40))}`);
    const bodyStart = nl + 2;
    const end = bodyStart + Number(m[1]);
    out.push({ start: at, bodyStart, end });
    at = end;
  }
  return out;
}

/** A data directory holding exactly this manifest text and these AOF files. */
function aofDir(name: string, manifest: string, files: Record<string, Buffer | string>): string {
  const dir = freshDir(name);
  fs.mkdirSync(path.join(dir, AOF_DIR));
  fs.writeFileSync(path.join(dir, AOF_DIR, MANIFEST), manifest);
  for (const [f, bytes] of Object.entries(files)) fs.writeFileSync(path.join(dir, AOF_DIR, f), bytes);
  return dir;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

// ---------------------------------------------------------------------------------------------
// 2. Torn and damaged files, loaded in-process through Persistence (real file system)

describe('torn writes and damaged files', () => {
  /** An AOF of four batches written by the real AofLog, and the data set after each batch. */
  async function writeFourBatches(): Promise<{ manifest: string; incrName: string; incr: Buffer; batches: Batch[]; after: Dump[] }> {
    const dir = freshDir('aof-src');
    const store = openStore(dir);
    await store.persistence.load();
    const reader = store.engine.createClient({ reply: new CapturingWriter(), kind: 'memory', addr: 'reader' });
    const readerWriter = reader.reply as CapturingWriter;
    const read: Caller = async (argv) => { store.engine.execute(reader, argv); return readerWriter.takeOne(); };
    const r = store.run;
    const after: Dump[] = [];
    const groups: string[][][] = [
      [['SET', 'a', '1'], ['RPUSH', 'l', 'x', 'y', 'z'], ['HSET', 'h', 'f', 'v', 'g', 'w'], ['SELECT', '3'], ['SET', 'bin', '\x00\xff\r\n'], ['SET', 'k\x00\r\n', 'v']],
      [['SELECT', '0'], ['SADD', 's', '1', '2', '3', 'x'], ['ZADD', 'z', '-inf', 'lo', '+inf', 'hi', '1.5', 'mid'], ['INCR', 'n'], ['SET', 'big', 'q'.repeat(200)],
        ['SET', 't', 'v', 'PXAT', String(Date.now() + 3_600_000)]],
      [['APPEND', 'a', 'xyz'], ['LPOP', 'l'], ['HDEL', 'h', 'g'], ['SELECT', '5'], ['SET', 'five', '5']],
      [['SELECT', '0'], ['SET', 'a', 'over'], ['LPUSH', 'l2', 'p', 'q'], ['INCRBY', 'n', '10'], ['SELECT', '3'], ['SET', 'bin2', '\xfe'], ['DEL', 'bin'],
        ['SETBIT', 'bits', '100', '1'], ['PFADD', 'hll', 'a', 'b', 'c']],
    ];
    for (const group of groups) {
      for (const argv of group) expect(isError(r(...argv)), argv.join(' ')).toBe(false);
      await tick(); // the AofLog writes its batch at setImmediate
      after.push(await dumpAll(read));
    }
    store.persistence.shutdown(false);
    const manifest = fs.readFileSync(path.join(dir, AOF_DIR, MANIFEST), 'latin1');
    const incrName = /file (\S+\.incr\.aof) seq \d+ type i/.exec(manifest)![1]!;
    const incr = fs.readFileSync(path.join(dir, AOF_DIR, incrName));
    const batches = batchesOf(incr);
    expect(batches.length).toBe(4);
    return { manifest, incrName, incr, batches, after };
  }

  it('the last batch cut at every byte offset loads as the earlier batches, and the file is truncated to them', async () => {
    const src = await writeFourBatches();
    const last = src.batches[3]!;
    const dir = aofDir('torn', src.manifest, {});
    const file = path.join(dir, AOF_DIR, src.incrName);
    let loads = 0;
    for (let cut = last.start; cut < last.end; cut++) {
      fs.writeFileSync(path.join(dir, AOF_DIR, MANIFEST), src.manifest);
      fs.writeFileSync(file, src.incr.subarray(0, cut));
      const { store, error } = await loadDir(dir);
      expect(error, `cut at ${cut}`).toBeUndefined();
      const diffs = diffDumps(src.after[2]!, await dumpAll(store.call));
      expect(diffs, `cut at ${cut}`).toEqual([]);
      expect(fs.statSync(file).size, `cut at ${cut}: truncated to the valid length`).toBe(last.start);
      if (cut > last.start) expect(store.logs.join('\n'), `cut at ${cut}`).toMatch(new RegExp(`torn tail after offset ${last.start}`));
      loads++;
    }
    expect(loads).toBe(last.end - last.start);
    // And the whole file loads everything.
    fs.writeFileSync(file, src.incr);
    const whole = await loadDir(dir);
    expect(whole.error).toBeUndefined();
    expect(diffDumps(src.after[3]!, await dumpAll(whole.store.call))).toEqual([]);
  });

  it('with aof-load-truncated no, every cut inside the last batch is refused naming the file and offset', async () => {
    const src = await writeFourBatches();
    const last = src.batches[3]!;
    const dir = aofDir('torn-no', src.manifest, {});
    const file = path.join(dir, AOF_DIR, src.incrName);
    for (let cut = last.start + 1; cut < last.end; cut++) {
      fs.writeFileSync(file, src.incr.subarray(0, cut));
      const { store, error } = await loadDir(dir, { 'aof-load-truncated': 'no' });
      expect(error, `cut at ${cut}`).toBeInstanceOf(Error);
      expect(error!.message).toContain(file);
      expect(error!.message).toContain(`offset ${last.start}`);
      expect(fs.statSync(file).size, 'the file is left as it was').toBe(cut);
      expect(store.engine.dbs.every((db) => db.size === 0), 'nothing half-loaded stays').toBe(true);
    }
  });

  it('a flipped byte anywhere in a middle batch is refused naming the file and offset (or, if harmless, loads everything)', async () => {
    const src = await writeFourBatches();
    const middle = src.batches[1]!;
    const dir = aofDir('flip', src.manifest, {});
    const file = path.join(dir, AOF_DIR, src.incrName);
    const accepted: number[] = [];
    const wrong: string[] = [];
    for (const mask of [0x01, 0x80]) {
      for (let at = middle.start; at < middle.end; at++) {
        const bytes = Buffer.from(src.incr);
        bytes[at]! ^= mask;
        fs.writeFileSync(path.join(dir, AOF_DIR, MANIFEST), src.manifest);
        fs.writeFileSync(file, bytes);
        const { store, error } = await loadDir(dir);
        if (error !== undefined) {
          expect(error.message, `flip ${mask} at ${at}`).toContain(file);
          expect(error.message, `flip ${mask} at ${at}`).toMatch(/offset \d+/);
          continue;
        }
        accepted.push(at);
        const diffs = diffDumps(src.after[3]!, await dumpAll(store.call));
        if (diffs.length > 0 || fs.statSync(file).size !== bytes.length) {
          wrong.push(`flip 0x${mask.toString(16)} at ${at} (${JSON.stringify(String.fromCharCode(src.incr[at]!))}): loaded ${diffs.length} differences (${diffs.slice(0, 2).join('; ')}), file now ${fs.statSync(file).size} of ${bytes.length} bytes`);
        }
      }
    }
    if (accepted.length > 0) console.log(`[persistence] middle-batch flips that loaded (harmless header flips): offsets ${accepted.join(',')}`);
    expect(wrong).toEqual([]);
  });

  it('a middle batch whose length field was damaged to point past the end is damage, not a torn tail', async () => {
    const src = await writeFourBatches();
    const middle = src.batches[1]!;
    const header = src.incr.toString('latin1', middle.start, middle.bodyStart - 2);
    const length = header.split(' ')[2]!;
    // Make the length's first digit a 9: the batch now claims to run past the end of the file.
    const digitAt = middle.bodyStart - 2 - length.length;
    const bytes = Buffer.from(src.incr);
    bytes[digitAt] = length.startsWith('9') ? 0x38 : 0x39;
    const claimed = Number(bytes.toString('latin1', digitAt, middle.bodyStart - 2));
    expect(middle.bodyStart + claimed).toBeGreaterThan(bytes.length);
    const dir = aofDir('len', src.manifest, { [src.incrName]: bytes });
    const file = path.join(dir, AOF_DIR, src.incrName);
    const { store, error } = await loadDir(dir);
    const lost = error === undefined ? diffDumps(src.after[3]!, await dumpAll(store.call)) : [];
    expect({
      refused: error !== undefined,
      fileSize: fs.statSync(file).size,
      lostOrWrong: lost.length,
    }, `loaded with ${lost.length} differences from the full data set (${lost.slice(0, 3).join('; ')}); log: ${store.logs.join(' | ')}`).toEqual({
      refused: true, fileSize: bytes.length, lostOrWrong: 0,
    });
    expect(error!.message).toContain(file);
    expect(error!.message).toMatch(/offset \d+/);
  });

  it('a snapshot cut at any offset, or with any byte flipped, is refused with a clear message', async () => {
    const dir = freshDir('snap-src');
    const store = openStore(dir, { appendonly: 'no' });
    await store.persistence.load();
    const r = store.run;
    for (let i = 0; i < 3000; i++) r('SET', `key:${i}`, `${i}:${'v'.repeat(150)}`);
    r('RPUSH', 'list', 'a', 'b', 'c');
    r('ZADD', 'z', '-inf', 'lo', '1', 'one');
    r('HSET', 'h', 'f', 'v');
    r('SADD', 's', 'x', 'y');
    expect(String(r('SAVE'))).toBe('OK');
    const good = fs.readFileSync(path.join(dir, 'dump.rdb'));
    expect(good.length).toBeGreaterThan(300_000);
    const headerEnd = 16 + good.readUInt32BE(12);
    const cuts = new Set<number>([0, 1, 7, 8, 11, 12, 15, 16, 17, headerEnd - 1, headerEnd, headerEnd + 1, headerEnd + 7, headerEnd + 8, good.length - 28, good.length - 27, good.length - 20, good.length - 1]);
    // Block boundaries: each block header names its length.
    for (let at = headerEnd; at < good.length - 28;) {
      const len = good.readUInt32BE(at);
      cuts.add(at + 8 + len - 1).add(at + 8 + len);
      at += 8 + len;
    }
    while (cuts.size < 70) cuts.add(Math.floor(Math.random() * good.length));
    const caseDir = freshDir('snap-cut');
    const file = path.join(caseDir, 'dump.rdb');
    for (const cut of cuts) {
      fs.writeFileSync(file, good.subarray(0, cut));
      const { store: s, error } = await loadDir(caseDir, { appendonly: 'no' });
      expect(error, `cut at ${cut}`).toBeInstanceOf(Error);
      expect(error!.message, `cut at ${cut}`).toContain(file);
      expect(error!.message, `cut at ${cut}`).toMatch(/truncated|not a nodis snapshot/);
      expect(s.engine.dbs.every((db) => db.size === 0)).toBe(true);
    }
    const flips = new Set<number>([8, 9, 10, 11, 12, 13, 14, 15, headerEnd, headerEnd + 4, good.length - 1, good.length - 10]);
    while (flips.size < 60) flips.add(Math.floor(Math.random() * good.length));
    for (const at of flips) {
      const bytes = Buffer.from(good);
      bytes[at]! ^= 0x10;
      fs.writeFileSync(file, bytes);
      const { store: s, error } = await loadDir(caseDir, { appendonly: 'no' });
      expect(error, `flip at ${at}`).toBeInstanceOf(Error);
      expect(error!.message, `flip at ${at}`).toContain(file);
      expect(s.engine.dbs.every((db) => db.size === 0)).toBe(true);
    }
    // The whole file loads (the cases above failed for their damage, not for the file itself).
    fs.writeFileSync(file, good);
    const whole = await loadDir(caseDir, { appendonly: 'no' });
    expect(whole.error).toBeUndefined();
    expect(whole.store.engine.dbs[0]!.size).toBe(3004);

    // The real binary, once: exit code 1, the message on stderr, no stack trace.
    const cut = headerEnd + 1000 + Math.floor(Math.random() * (good.length - headerEnd - 2000));
    fs.writeFileSync(file, good.subarray(0, cut));
    const run = await runToExit(caseDir, ['--appendonly', 'no']);
    expectCleanRefusal(run, /dump\.rdb is truncated: .* at offset \d+/);
  });
});

// ---------------------------------------------------------------------------------------------
// 5. Bad inputs

/** A good snapshot file's bytes (a few keys), written by the real writer. */
async function goodSnapshot(): Promise<Buffer> {
  const dir = freshDir('snap-good');
  const store = openStore(dir, { appendonly: 'no' });
  await store.persistence.load();
  store.run('SET', 'a', '1');
  store.run('RPUSH', 'l', 'x');
  expect(String(store.run('SAVE'))).toBe('OK');
  return fs.readFileSync(path.join(dir, 'dump.rdb'));
}

/** An AOF after a rewrite (a base and an incr file), its files by name, and its data set. */
async function rewrittenAof(): Promise<{ files: Record<string, Buffer>; manifest: string; data: Dump }> {
  const dir = freshDir('aof-rw');
  const store = openStore(dir);
  await store.persistence.load();
  for (let i = 0; i < 50; i++) store.run('SET', `k:${i}`, String(i));
  await tick();
  expect(String(store.run('BGREWRITEAOF'))).toMatch(/rewriting started/);
  await until(() => store.persistence.info().aof_rewrite_in_progress === 0, 10_000, 'the rewrite');
  store.run('SET', 'after', 'rewrite');
  await tick();
  const data = await dumpAll(store.call);
  store.persistence.shutdown(false);
  const files: Record<string, Buffer> = {};
  for (const f of fs.readdirSync(path.join(dir, AOF_DIR))) if (f !== MANIFEST) files[f] = fs.readFileSync(path.join(dir, AOF_DIR, f));
  return { files, manifest: fs.readFileSync(path.join(dir, AOF_DIR, MANIFEST), 'latin1'), data };
}

describe('bad inputs', () => {
  it('a data directory below a regular file: clear error at start, exit code 1, no stack trace', async () => {
    const parent = freshDir('notdir');
    fs.writeFileSync(path.join(parent, 'file'), 'x');
    const r = await runToExit(path.join(parent, 'file', 'data'));
    expectCleanRefusal(r, /Can't create the data directory .*file\/data.*ENOTDIR/);
  });

  const chattrWorks = (() => {
    const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'nodis-chattr-'));
    const ok = spawnSync('chattr', ['+i', probe]).status === 0;
    spawnSync('chattr', ['-i', probe]);
    fs.rmSync(probe, { recursive: true, force: true });
    return ok;
  })();

  it.skipIf(!chattrWorks)('an immutable data directory (chattr +i) with appendonly yes: clear error at start, exit code 1', async () => {
    const dir = freshDir('immutable');
    expect(spawnSync('chattr', ['+i', dir]).status).toBe(0);
    immutable.push(dir);
    const r = await runToExit(dir, ['--appendonly', 'yes']);
    expectCleanRefusal(r, new RegExp(`${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*(not permitted|EPERM)|(not permitted|EPERM).*${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });

  it.skipIf(!chattrWorks)('an immutable data directory with appendonly no and a save point: writes get MISCONF once the save fails (as Redis)', async () => {
    const dir = freshDir('immutable-save');
    expect(spawnSync('chattr', ['+i', dir]).status).toBe(0);
    immutable.push(dir);
    const server = await startNodis(dir, ['--appendonly', 'no', '--save', '1 1']);
    const c = await RespTestClient.connect(server.port);
    try {
      expect(String(await c.call('SET', 'a', '1'))).toBe('OK');
      // Redis 7.0.15 here: the save point's BGSAVE fails within ~1 s, rdb_last_bgsave_status:err,
      // and every write gets -MISCONF (stop-writes-on-bgsave-error yes, the default).
      await until(async () => (await info(c, 'persistence')).rdb_last_bgsave_status === 'err', 8000, 'the failed save point');
      const reply = await c.call('SET', 'b', '2');
      expect(isError(reply) ? reply.message : String(reply)).toMatch(/^MISCONF /);
    } finally {
      c.close();
      await killHard(server);
    }
  });

  it('a snapshot whose header says a newer format version is refused (in-process, as an AOF base, and by the binary)', async () => {
    const good = await goodSnapshot();
    const newer = Buffer.from(good);
    newer.writeUInt32BE(good.readUInt32BE(8) + 1, 8);
    const dir = freshDir('newer');
    fs.writeFileSync(path.join(dir, 'dump.rdb'), newer);
    const { error } = await loadDir(dir, { appendonly: 'no' });
    expect(error?.message).toContain(path.join(dir, 'dump.rdb'));
    expect(error?.message).toMatch(/newer than this nodis reads/);
    expectCleanRefusal(await runToExit(dir, ['--appendonly', 'no']), /dump\.rdb has snapshot format version 2, newer than this nodis reads/);

    const base = 'appendonly.aof.1.base.snapshot';
    const aof = aofDir('newer-base', `file ${base} seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n`, { [base]: newer, 'appendonly.aof.1.incr.aof': '' });
    const asBase = await loadDir(aof);
    expect(asBase.error?.message).toContain(path.join(aof, AOF_DIR, base));
    expect(asBase.error?.message).toMatch(/newer than this nodis reads/);
  });

  it('an AOF incr file of random bytes is refused, naming the file and offset (30 random files, and the binary once)', async () => {
    const manifest = 'file appendonly.aof.1.incr.aof seq 1 type i\n';
    const outcomes: string[] = [];
    for (let i = 0; i < 30; i++) {
      const bytes = randomBytes(4096);
      const dir = aofDir('random', manifest, { 'appendonly.aof.1.incr.aof': bytes });
      const file = path.join(dir, AOF_DIR, 'appendonly.aof.1.incr.aof');
      const { error } = await loadDir(dir);
      if (error === undefined || !error.message.includes(file) || !/offset \d+/.test(error.message)) {
        outcomes.push(`first byte 0x${bytes[0]!.toString(16)}: ${error?.message ?? 'LOADED'} (file now ${fs.statSync(file).size} bytes)`);
      }
    }
    expect(outcomes).toEqual([]);
    // A random file that starts like a command, then garbage.
    const dir = aofDir('random-bin', manifest, { 'appendonly.aof.1.incr.aof': Buffer.concat([Buffer.from('*2\r\n$3\r\nGET\r\n'), randomBytes(2000)]) });
    const r = await startOrExit(dir, ['--appendonly', 'yes']);
    expect(r.started, `the server started on a random AOF; its log:\n${r.stdout}`).toBe(false);
    expectCleanRefusal(r, /appendonly\.aof\.1\.incr\.aof.*offset \d+/);
  });

  it('an empty manifest is refused (as Redis: "Found an empty AOF manifest"), and the AOF files are not deleted', async () => {
    const src = await rewrittenAof();
    const dir = aofDir('empty-manifest', '', src.files);
    const before = fs.readdirSync(path.join(dir, AOF_DIR)).sort();
    const { error } = await loadDir(dir);
    const after = fs.readdirSync(path.join(dir, AOF_DIR)).sort();
    const kept = Object.keys(src.files).filter((f) => fs.existsSync(path.join(dir, AOF_DIR, f)) && sha(fs.readFileSync(path.join(dir, AOF_DIR, f))) === sha(src.files[f]!));
    expect({ refused: error !== undefined, kept: kept.sort() }, `files before ${before.join(',')}, after ${after.join(',')}; error: ${error?.message}`).toEqual({
      refused: true, kept: Object.keys(src.files).sort(),
    });
    expect(error!.message).toMatch(/manifest/i);
  });

  it('an empty manifest is refused by the binary too (exit code 1)', async () => {
    const src = await rewrittenAof();
    const dir = aofDir('empty-manifest-bin', '', src.files);
    const r = await startOrExit(dir, ['--appendonly', 'yes']);
    expect(r.started, `the server started with an empty manifest; its log:\n${r.stdout}`).toBe(false);
    expectCleanRefusal(r, /manifest/i);
  });

  it('a manifest naming a missing incr or base file: clear error naming it', async () => {
    const src = await rewrittenAof();
    const names = Object.keys(src.files);
    const base = names.find((f) => f.endsWith('.base.snapshot'))!;
    const incr = names.find((f) => f.endsWith('.incr.aof'))!;
    expect(base).toBeDefined();
    expect(incr).toBeDefined();
    // The untouched files load the data set (so the failures below are for the missing file).
    const whole = await loadDir(aofDir('whole', src.manifest, src.files));
    expect(whole.error).toBeUndefined();
    expect(diffDumps(src.data, await dumpAll(whole.store.call))).toEqual([]);
    for (const missing of [base, incr]) {
      const files = { ...src.files };
      delete files[missing];
      const dir = aofDir('missing', src.manifest, files);
      const { error } = await loadDir(dir);
      expect(error?.message).toContain(path.join(dir, AOF_DIR, missing));
      expect(error?.message).toMatch(/does not exist/);
      expectCleanRefusal(await runToExit(dir, ['--appendonly', 'yes']), new RegExp(`${missing.replace(/\./g, '\\.')}.*does not exist`));
    }
    // A manifest that is not a manifest.
    const garbage = aofDir('garbage-manifest', 'hello world\n', src.files);
    const g = await loadDir(garbage);
    expect(g.error?.message).toMatch(/Invalid AOF manifest file format: .*appendonly\.aof\.manifest line 1/);
  });
});

describe('Redis-format (unchecksummed) AOF records', () => {
  const resp = (...argv: string[]) => RespTestClient.encode(argv);

  it('a file Redis wrote loads', async () => {
    const bytes = Buffer.concat([resp('SELECT', '0'), resp('SET', 'a', '1'), resp('SET', 'big', 'b'.repeat(100)), resp('SET', 'c', '3')]);
    const { store, error } = await loadDir(aofDir('redis-aof', 'file appendonly.aof.1.incr.aof seq 1 type i\n', { 'appendonly.aof.1.incr.aof': bytes }));
    expect(error).toBeUndefined();
    expect(store.engine.dbs[0]!.size).toBe(3);
  });

  it('a damaged line in the middle is refused (as Redis: "Bad file format"), not taken for a torn tail and truncated', async () => {
    const head = Buffer.concat([resp('SELECT', '0'), resp('SET', 'a', '1')]);
    const damaged = Buffer.from(resp('SET', 'big', 'b'.repeat(100)).toString('latin1').replace('$100\r\n', '$100\x00\x00'), 'latin1');
    const tail = resp('SET', 'c', '3');
    const bytes = Buffer.concat([head, damaged, tail]);
    const dir = aofDir('redis-aof-damaged', 'file appendonly.aof.1.incr.aof seq 1 type i\n', { 'appendonly.aof.1.incr.aof': bytes });
    const file = path.join(dir, AOF_DIR, 'appendonly.aof.1.incr.aof');
    const { store, error } = await loadDir(dir);
    expect({ refused: error !== undefined, fileSize: fs.statSync(file).size }, `log: ${store.logs.join(' | ')}`).toEqual({ refused: true, fileSize: bytes.length });
    expect(error!.message).toContain(file);
    expect(error!.message).toMatch(new RegExp(`offset ${head.length}`));
  });
});

// ---------------------------------------------------------------------------------------------
// 3. Round trip against a model

/** What the test wrote, in the canonical form dumpServer reads (value undefined: not modelled). */
class Model {
  readonly dbs: Map<string, Entry>[] = Array.from({ length: 16 }, () => new Map<string, Entry>());
  readonly commands: string[][] = [];
  private db = 0;

  select(db: number): void {
    this.db = db;
    this.commands.push(['SELECT', String(db)]);
  }

  /** Sends `argv` (pipelined later) and records the key's expected state. */
  cmd(argv: string[], key?: string, entry?: Partial<Entry> & { type: string }): void {
    this.commands.push(argv);
    if (key !== undefined && entry !== undefined) this.dbs[this.db]!.set(key, { expireAt: -1, value: undefined, ...entry });
  }

  get(key: string): Entry { return this.dbs[this.db]!.get(key)!; }

  async flush(c: RespTestClient): Promise<void> {
    const replies = await c.pipeline(this.commands.splice(0));
    const errors = replies.flatMap((r) => (isError(r) ? [r.message] : []));
    expect(errors).toEqual([]);
  }
}

function bitmapBytes(offsets: number[]): string {
  const max = Math.max(...offsets);
  const buf = Buffer.alloc((max >> 3) + 1);
  for (const o of offsets) buf[o >> 3]! |= 0x80 >> (o & 7);
  return buf.toString('latin1');
}

const BIT_OFFSETS = [0, 7, 8, 100, 1000, 99_999];

/** Every type, binary keys and values, large values, TTLs, all 16 databases. */
function populate(m: Model, now: number): void {
  const all256 = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('latin1');
  const large = randomBytes(1 << 20).toString('latin1');
  m.select(0);
  m.cmd(['SET', 'str', 'hello'], 'str', { type: 'string', value: 'hello' });
  m.cmd(['SET', 'bin:all', all256], 'bin:all', { type: 'string', value: all256 });
  m.cmd(['SET', all256, 'key of every byte'], all256, { type: 'string', value: 'key of every byte' });
  m.cmd(['SET', '\x00\xff\r\n key', 'binary key'], '\x00\xff\r\n key', { type: 'string', value: 'binary key' });
  m.cmd(['SET', 'large', large], 'large', { type: 'string', value: large });
  m.cmd(['SET', 'int', '12345'], 'int', { type: 'string', value: '12345' });
  m.cmd(['INCR', 'cnt']); m.cmd(['INCR', 'cnt']); m.cmd(['INCR', 'cnt']);
  m.cmd(['INCRBY', 'cnt', '-10'], 'cnt', { type: 'string', value: '-7' });
  m.cmd(['INCRBYFLOAT', 'float', '10.5']);
  m.cmd(['INCRBYFLOAT', 'float', '0.25'], 'float', { type: 'string', value: '10.75' });
  const raw = 'abc' + 'x'.repeat(60);
  m.cmd(['SET', 'raw', 'abc']);
  m.cmd(['APPEND', 'raw', 'x'.repeat(60)]);
  m.cmd(['SETRANGE', 'raw', '1', 'ZZ'], 'raw', { type: 'string', value: `a${'ZZ'}${raw.slice(3)}` });
  m.cmd(['RPUSH', 'list', 'a', 'b', 'c']);
  m.cmd(['LPUSH', 'list', 'z'], 'list', { type: 'list', value: ['z', 'a', 'b', 'c'] });
  const big = randomBytes(100_000).toString('latin1');
  m.cmd(['RPUSH', 'list:bin', '\x00', '\xff\r\n', big], 'list:bin', { type: 'list', value: ['\x00', '\xff\r\n', big] });
  const long = Array.from({ length: 1000 }, (_, i) => `e${i}`);
  m.cmd(['RPUSH', 'list:long', ...long], 'list:long', { type: 'list', value: long });
  m.cmd(['SADD', 'set:int', '1', '2', '3', '-5'], 'set:int', { type: 'set', value: ['-5', '1', '2', '3'].sort() });
  m.cmd(['SADD', 'set:str', 'a', 'b', '\x00bin\xff'], 'set:str', { type: 'set', value: ['a', 'b', '\x00bin\xff'].sort() });
  const members = Array.from({ length: 600 }, (_, i) => `m${i}`);
  m.cmd(['SADD', 'set:big', ...members], 'set:big', { type: 'set', value: [...members].sort() });
  m.cmd(['ZADD', 'zset', '-inf', 'ninf', '+inf', 'pinf', '1.5', 'a', '-2.25', 'b', '3', 'c', '0', 'zero'], 'zset', {
    type: 'zset', value: ['ninf', '-inf', 'b', '-2.25', 'zero', '0', 'a', '1.5', 'c', '3', 'pinf', 'inf'],
  });
  const zbig = Array.from({ length: 200 }, (_, i) => [String(i), `z${i}`]);
  m.cmd(['ZADD', 'zset:big', ...zbig.flat()], 'zset:big', { type: 'zset', value: zbig.flatMap(([s, mm]) => [mm, s]) });
  m.cmd(['ZADD', 'zset:bin', '1', '\x00\xff'], 'zset:bin', { type: 'zset', value: ['\x00\xff', '1'] });
  m.cmd(['HSET', 'hash', 'f1', 'v1', 'f2', '\x00\xff'], 'hash', { type: 'hash', value: [['f1', 'v1'], ['f2', '\x00\xff']] });
  const fields = Array.from({ length: 200 }, (_, i) => [`f${i}`, `v${i}`] as [string, string]);
  m.cmd(['HSET', 'hash:big', ...fields.flat()], 'hash:big', { type: 'hash', value: [...fields].sort((a, b) => (a[0] < b[0] ? -1 : 1)) });
  for (const o of BIT_OFFSETS) m.cmd(['SETBIT', 'bits', String(o), '1']);
  m.dbs[0]!.set('bits', { type: 'string', expireAt: -1, value: bitmapBytes(BIT_OFFSETS) });
  m.cmd(['PFADD', 'hll', ...Array.from({ length: 1000 }, (_, i) => `u${i}`)], 'hll', { type: 'string' }); // bytes: compared with the reads
  m.cmd(['SET', 'ttl:str', 'v', 'PXAT', String(now + 3_600_000)], 'ttl:str', { type: 'string', value: 'v', expireAt: now + 3_600_000 });
  m.cmd(['HSET', 'ttl:hash', 'f', 'v']);
  m.cmd(['PEXPIREAT', 'ttl:hash', String(now + 7_200_000)], 'ttl:hash', { type: 'hash', value: [['f', 'v']], expireAt: now + 7_200_000 });
  m.cmd(['SET', 'ttl:rel', 'v', 'EX', '5000']); // relative: logged as PXAT; compared with the reads
  m.dbs[0]!.set('ttl:rel', { type: 'string', value: 'v', expireAt: NaN });
  for (let db = 1; db < 16; db++) {
    m.select(db);
    m.cmd(['SET', `db:${db}`, `v${db}`], `db:${db}`, { type: 'string', value: `v${db}` });
    m.cmd(['RPUSH', `bin\x00${db}`, '\xfe', String(db)], `bin\x00${db}`, { type: 'list', value: ['\xfe', String(db)] });
    m.cmd(['HSET', `h:${db}`, 'db', String(db)], `h:${db}`, { type: 'hash', value: [['db', String(db)]] });
  }
  m.select(0);
}

/** Model entries against a dump: unmodelled values and relative expiries are taken from the dump. */
function modelDump(m: Model, read: Dump): Dump {
  return m.dbs.map((entries, db) => {
    const out = new Map<string, Entry>();
    for (const [k, e] of entries) {
      const r = read[db]?.get(k);
      out.set(k, {
        type: e.type,
        value: e.value === undefined ? r?.value : e.value,
        expireAt: Number.isNaN(e.expireAt) && r !== undefined && r.expireAt > Date.now() ? r.expireAt : e.expireAt,
      });
    }
    return out;
  });
}

/** Keys that expire while the server is down: 2.5 s to live, enough for any stop() below. */
function addGoneKeys(m: Model): number {
  const deadline = Date.now() + 2500;
  m.select(0);
  m.cmd(['SET', 'gone:str', 'x', 'PXAT', String(deadline)]);
  m.cmd(['RPUSH', 'gone:list', 'a']);
  m.cmd(['PEXPIREAT', 'gone:list', String(deadline)]);
  m.select(7);
  m.cmd(['HSET', 'gone:hash', 'f', 'v']);
  m.cmd(['PEXPIREAT', 'gone:hash', String(deadline)]);
  m.select(0);
  return deadline;
}

const isGone = (_db: number, key: string) => key.startsWith('gone:');

interface RoundTrip {
  name: string;
  args: string[];
  restartArgs?: string[];
  /** Extra writes after populate (the model follows them). */
  extra?(c: RespTestClient, m: Model): Promise<void>;
  /** Makes the data durable and stops the server. */
  stop(c: RespTestClient, server: Child): Promise<void>;
  /** Checks on the files before the restart. */
  files?(dir: string): void;
}

async function roundTrip(t: RoundTrip): Promise<{ dir: string; before: Dump }> {
  const dir = freshDir(`rt-${t.name}`);
  const server = await startNodis(dir, t.args);
  const c = await RespTestClient.connect(server.port);
  const m = new Model();
  let before: Dump;
  let deadline: number;
  try {
    populate(m, Date.now());
    await m.flush(c);
    await t.extra?.(c, m);
    before = await dumpServer(c);
    expect(diffDumps(modelDump(m, before), before), 'the server holds what the test wrote').toEqual([]);
    deadline = addGoneKeys(m);
    await m.flush(c);
    await c.call('SELECT', '0');
    expect(await c.call('EXISTS', 'gone:str', 'gone:list'), 'the keys that expire while down exist before the stop').toBe(2);
    await t.stop(c, server);
  } finally {
    c.close();
    await killHard(server);
  }
  t.files?.(dir);
  // The keys' time passes while the server is down.
  if (Date.now() <= deadline) await pause(deadline - Date.now() + 20);
  const again = await startNodis(dir, t.restartArgs ?? t.args);
  const c2 = await RespTestClient.connect(again.port);
  try {
    // Before anything touches a key: the load itself dropped the expired ones.
    const keyspace = await info(c2, 'keyspace');
    expect(keyspace.db0, 'db0 in INFO keyspace').toMatch(new RegExp(`^keys=${before[0]!.size},`));
    expect(keyspace.db7, 'db7 in INFO keyspace').toMatch(new RegExp(`^keys=${before[7]!.size},`));
    const after = await dumpServer(c2);
    expect(diffDumps(before, after, isGone), `${t.name}: the data set after the restart`).toEqual([]);
    expect(diffDumps(modelDump(m, after), after, isGone), `${t.name}: the data set after the restart, against the model`).toEqual([]);
    expect([...after[0]!.keys(), ...after[7]!.keys()].filter((k) => k.startsWith('gone:'))).toEqual([]);
  } finally {
    c2.close();
    await killHard(again);
  }
  return { dir, before };
}

/** SHUTDOWN: the connection closes without a reply; the server exits 0. */
async function shutdown(c: RespTestClient, server: Child, ...args: string[]): Promise<void> {
  const reply = await c.call('SHUTDOWN', ...args).catch((e: Error) => e);
  expect(isError(reply) ? reply.message : String(reply)).toBe('connection closed');
  const { code } = await within(server.exited, 15_000, 'exit after SHUTDOWN');
  expect(code).toBe(0);
}

describe('round trip: every type, TTLs, 16 databases, binary keys and values', () => {
  it('(a) SAVE, kill -9, restart with appendonly no; then the snapshot becomes the AOF base (appendonly yes)', async () => {
    const { dir, before } = await roundTrip({
      name: 'save',
      args: ['--appendonly', 'no', '--save', ''],
      async stop(c, server) {
        expect(String(await c.call('SAVE'))).toBe('OK');
        await killHard(server);
      },
      files(d) { expect(fs.existsSync(path.join(d, 'dump.rdb'))).toBe(true); },
    });
    // Turning the AOF on over a snapshot keeps the data (the snapshot becomes its base), twice.
    for (let i = 0; i < 2; i++) {
      const s = await startNodis(dir, ['--appendonly', 'yes', '--save', '']);
      const c = await RespTestClient.connect(s.port);
      try {
        expect(diffDumps(before, await dumpServer(c), isGone)).toEqual([]);
        await waitSynced(c);
      } finally {
        c.close();
        await killHard(s);
      }
    }
    expect(fs.readFileSync(path.join(dir, AOF_DIR, MANIFEST), 'latin1')).toMatch(/type b/);
  });

  it('(b) AOF everysec: synced, kill -9, restart', async () => {
    await roundTrip({
      name: 'aof',
      args: ['--appendonly', 'yes', '--appendfsync', 'everysec', '--save', ''],
      async stop(c, server) {
        await waitSynced(c);
        await killHard(server);
      },
    });
  });

  it('(c) BGREWRITEAOF with writes during and after it, kill -9, restart', async () => {
    await roundTrip({
      name: 'rewrite',
      args: ['--appendonly', 'yes', '--appendfsync', 'everysec', '--save', ''],
      async extra(c, m) {
        // Enough keys that the rewrite runs in many slices while the writes below land.
        m.select(13);
        for (let i = 0; i < 20_000; i++) m.cmd(['SET', `bulk:${i}`, `v${i}:${'b'.repeat(40)}`], `bulk:${i}`, { type: 'string', value: `v${i}:${'b'.repeat(40)}` });
        m.select(0);
        // Keys for the multi-key and cross-database writes below.
        m.cmd(['SET', 'mv', 'moving'], 'mv', { type: 'string', value: 'moving' });
        m.cmd(['SET', 'cp', 'copied'], 'cp', { type: 'string', value: 'copied' });
        m.cmd(['SET', 'ren', 'renamed'], 'ren', { type: 'string', value: 'renamed' });
        m.cmd(['RPUSH', 'src:list', 'l1', 'l2'], 'src:list', { type: 'list', value: ['l1', 'l2'] });
        m.cmd(['SADD', 'src:set', 's1', 's2'], 'src:set', { type: 'set', value: ['s1', 's2'] });
        await m.flush(c);
        m.commands.push(['BGREWRITEAOF']);
        // Writes that race the rewrite (the copy-on-write path): sent in the same pipeline.
        m.select(13);
        for (let i = 0; i < 1000; i++) m.cmd(['SET', `bulk:${i}`, `new${i}`], `bulk:${i}`, { type: 'string', value: `new${i}` });
        for (let i = 1000; i < 2000; i++) { m.cmd(['DEL', `bulk:${i}`]); m.dbs[13]!.delete(`bulk:${i}`); }
        for (let i = 19_000; i < 20_000; i++) m.cmd(['APPEND', `bulk:${i}`, '+'], `bulk:${i}`, { type: 'string', value: `v${i}:${'b'.repeat(40)}+` });
        m.select(0);
        m.cmd(['APPEND', 'str', ' world'], 'str', { type: 'string', value: 'hello world' });
        m.cmd(['LPUSH', 'list', 'new'], 'list', { type: 'list', value: ['new', 'z', 'a', 'b', 'c'] });
        m.cmd(['ZADD', 'zset', '2', 'a'], 'zset', { type: 'zset', value: ['ninf', '-inf', 'b', '-2.25', 'zero', '0', 'a', '2', 'c', '3', 'pinf', 'inf'] });
        m.cmd(['HDEL', 'hash', 'f1'], 'hash', { type: 'hash', value: [['f2', '\x00\xff']] });
        m.cmd(['DEL', 'set:str']); m.dbs[0]!.delete('set:str');
        m.cmd(['INCR', 'cnt'], 'cnt', { type: 'string', value: '-6' });
        m.cmd(['SETBIT', 'bits', '5', '1'], 'bits', { type: 'string', value: bitmapBytes([...BIT_OFFSETS, 5]) });
        m.cmd(['PFADD', 'hll', 'extra1', 'extra2'], 'hll', { type: 'string' });
        m.cmd(['MOVE', 'mv', '5']); m.dbs[0]!.delete('mv'); m.dbs[5]!.set('mv', { type: 'string', value: 'moving', expireAt: -1 });
        m.cmd(['COPY', 'cp', 'cp2', 'DB', '6']); m.dbs[6]!.set('cp2', { type: 'string', value: 'copied', expireAt: -1 });
        m.cmd(['RENAME', 'ren', 'ren2']); m.dbs[0]!.delete('ren'); m.dbs[0]!.set('ren2', { type: 'string', value: 'renamed', expireAt: -1 });
        m.cmd(['LMOVE', 'src:list', 'dst:list', 'LEFT', 'RIGHT'], 'src:list', { type: 'list', value: ['l2'] });
        m.dbs[0]!.set('dst:list', { type: 'list', value: ['l1'], expireAt: -1 });
        m.cmd(['SMOVE', 'src:set', 'dst:set', 's1'], 'src:set', { type: 'set', value: ['s2'] });
        m.dbs[0]!.set('dst:set', { type: 'set', value: ['s1'], expireAt: -1 });
        m.select(3);
        m.cmd(['SET', 'db:3', 'changed'], 'db:3', { type: 'string', value: 'changed' });
        m.cmd(['SWAPDB', '14', '15']);
        [m.dbs[14], m.dbs[15]] = [m.dbs[15]!, m.dbs[14]!];
        m.select(0);
        const replies = await c.pipeline(m.commands.splice(0));
        expect(replies.flatMap((r) => (isError(r) ? [r.message] : []))).toEqual([]);
        expect(replies.map(String)).toContain('Background append only file rewriting started');
        await until(async () => {
          const p = await info(c, 'persistence');
          return p.aof_rewrite_in_progress === '0' && p.aof_rewrites === '1';
        }, 20_000, 'the rewrite to finish');
        expect((await info(c, 'persistence')).aof_last_bgrewrite_status).toBe('ok');
        // And writes after it, into the new incr file.
        m.cmd(['SET', 'after:rewrite', 'yes'], 'after:rewrite', { type: 'string', value: 'yes' });
        m.cmd(['RPUSH', 'list', 'tail'], 'list', { type: 'list', value: ['new', 'z', 'a', 'b', 'c', 'tail'] });
        await m.flush(c);
      },
      async stop(c, server) {
        await waitSynced(c);
        await killHard(server);
      },
      files(d) {
        const manifest = fs.readFileSync(path.join(d, AOF_DIR, MANIFEST), 'latin1');
        expect(manifest).toMatch(/^file appendonly\.aof\.\d+\.base\.snapshot seq \d+ type b$/m);
        expect(manifest.match(/type i/g)?.length).toBe(1);
      },
    });
  });

  it('(d) SHUTDOWN with the AOF (appendfsync always), restart', async () => {
    await roundTrip({
      name: 'shutdown-aof',
      args: ['--appendonly', 'yes', '--appendfsync', 'always', '--save', ''],
      stop: (c, server) => shutdown(c, server),
    });
  });

  it('(d) SHUTDOWN with save points and no AOF (the snapshot is written at exit), restart', async () => {
    await roundTrip({
      name: 'shutdown-save',
      args: ['--appendonly', 'no', '--save', '3600 1'],
      stop: (c, server) => shutdown(c, server),
      files(d) { expect(fs.existsSync(path.join(d, 'dump.rdb'))).toBe(true); },
    });
  });
});

// ---------------------------------------------------------------------------------------------
// 1. kill -9 at random moments under write load

/** What the writers sent and what the server acknowledged, across restarts. */
class Ledger {
  /** Counter → acknowledged INCRs (after a restart: the durable value). */
  readonly incrAcked = new Map<string, number>();
  readonly incrSent = new Map<string, number>();
  /** Counter → the highest value an INCR reply reported. */
  readonly incrMaxReply = new Map<string, number>();
  readonly setAcked = new Map<string, string>();
  readonly setSent = new Map<string, string>();
  acks = 0;
  errorReplies = 0;

  bump(map: Map<string, number>, key: string, by = 1): void { map.set(key, (map.get(key) ?? 0) + by); }
}

interface Check { lostIncrs: number; lostSets: number; holes: number; problems: string[]; keys: number }

/**
 * Reads every counter and every key ever sent, checks them against the ledger, then makes the
 * ledger the durable truth (so the next round's loss is counted on its own).
 */
async function checkLedger(c: RespTestClient, ledger: Ledger): Promise<Check> {
  const problems: string[] = [];
  let lostIncrs = 0;
  let lostSets = 0;
  const counters = [...ledger.incrSent.keys()];
  const values = counters.length === 0 ? [] : (await c.call('MGET', ...counters)) as (string | null)[];
  counters.forEach((k, i) => {
    const raw = values[i] ?? null;
    const v = raw === null ? 0 : Number(raw);
    const acked = ledger.incrAcked.get(k) ?? 0;
    const sent = ledger.incrSent.get(k) ?? 0;
    if (!Number.isInteger(v)) problems.push(`${k}: corrupt value ${JSON.stringify(raw)}`);
    if (v > sent) problems.push(`${k}: ${v} is more than the ${sent} INCRs ever sent`);
    // Lost: acknowledged INCRs missing, by count and by the highest value a reply reported.
    const floor = Math.max(acked, ledger.incrMaxReply.get(k) ?? 0);
    if (v < floor) lostIncrs += floor - v;
    ledger.incrAcked.set(k, v);
    ledger.incrSent.set(k, v);
    ledger.incrMaxReply.set(k, v);
  });
  const keys = [...ledger.setSent.keys()];
  let present = 0;
  // Holes: per writer, a lost acknowledged key older than a kept one (keys carry a sequence).
  const lostSeq = new Map<string, number>();
  const keptSeq = new Map<string, number>();
  for (let i = 0; i < keys.length; i += 2000) {
    const chunk = keys.slice(i, i + 2000);
    const got = (await c.call('MGET', ...chunk)) as (string | null)[];
    chunk.forEach((k, j) => {
      const v = got[j] ?? null;
      const writer = k.split(':').slice(0, 3).join(':');
      const seq = Number(k.split(':')[3]);
      if (v !== null) {
        present++;
        if (v !== ledger.setSent.get(k)) problems.push(`${JSON.stringify(k)}: corrupt value ${show(v)}, sent ${show(ledger.setSent.get(k))}`);
        ledger.setAcked.set(k, v);
        keptSeq.set(writer, Math.max(keptSeq.get(writer) ?? -1, seq));
      } else {
        if (ledger.setAcked.has(k)) {
          lostSets++;
          lostSeq.set(writer, Math.min(lostSeq.get(writer) ?? Infinity, seq));
        }
        ledger.setAcked.delete(k);
        ledger.setSent.delete(k);
      }
    });
  }
  let holes = 0;
  for (const [w, seq] of lostSeq) if ((keptSeq.get(w) ?? -1) > seq) holes++;
  const dbsize = Number(await c.call('DBSIZE'));
  const expected = present + counters.filter((k, i) => values[i] !== null && values[i] !== undefined).length;
  if (dbsize !== expected) problems.push(`DBSIZE ${dbsize}, expected ${expected} (keys the writers never sent?)`);
  return { lostIncrs, lostSets, holes, problems, keys: dbsize };
}

/** W clients, each with `depth` commands in flight, write until the server dies. */
async function writeUntilKilled(server: Child, ledger: Ledger, round: number, killAfterMs: number): Promise<number> {
  const W = 3;
  const depth = 4;
  const clients = await Promise.all(Array.from({ length: W }, () => RespTestClient.connect(server.port)));
  const acksBefore = ledger.acks;
  let seq = 0;
  const loop = async (c: RespTestClient, w: number, lane: number): Promise<void> => {
    for (let n = 0; ; n++) {
      const op = (n + lane) % 3;
      let argv: string[];
      let key: string;
      if (op === 2) {
        const s = seq++;
        key = `k:${round}:${w}:${s}`;
        const value = `${round}/${w}/${s}/${randomBytes(1 + (s % 60)).toString('hex')}\x00\xff`;
        argv = ['SET', key, value];
        ledger.setSent.set(key, value);
      } else {
        key = op === 0 ? `cnt:${w}` : 'cnt:all';
        argv = ['INCR', key];
        ledger.bump(ledger.incrSent, key);
      }
      let reply: Reply;
      try {
        reply = await c.call(...argv);
      } catch {
        return; // the connection died with the server: this command may or may not have run
      }
      if (isError(reply)) { ledger.errorReplies++; continue; }
      ledger.acks++;
      if (op === 2) ledger.setAcked.set(key, argv[2]!);
      else {
        ledger.bump(ledger.incrAcked, key);
        ledger.incrMaxReply.set(key, Math.max(ledger.incrMaxReply.get(key) ?? 0, Number(reply)));
      }
    }
  };
  const loops = clients.flatMap((c, w) => Array.from({ length: depth }, (_, lane) => loop(c, w, lane)));
  await pause(killAfterMs);
  await killHard(server);
  await within(Promise.all(loops), 10_000, 'the writers to notice the kill');
  for (const c of clients) c.close();
  return ledger.acks - acksBefore;
}

describe('crash: kill -9 at random moments under write load (3 clients × 4 in flight)', () => {
  async function crashRounds(policy: 'always' | 'everysec', rounds: number): Promise<{ totals: Check; acked: number; perRound: string[] }> {
    const dir = freshDir(`crash-${policy}`);
    const ledger = new Ledger();
    const totals: Check = { lostIncrs: 0, lostSets: 0, holes: 0, problems: [], keys: 0 };
    const perRound: string[] = [];
    let acked = 0;
    for (let round = 0; round <= rounds; round++) {
      const server = await startNodis(dir, ['--appendonly', 'yes', '--appendfsync', policy, '--save', '']);
      const c = await RespTestClient.connect(server.port);
      const check = await checkLedger(c, ledger);
      c.close();
      totals.lostIncrs += check.lostIncrs;
      totals.lostSets += check.lostSets;
      totals.holes += check.holes;
      totals.problems.push(...check.problems.map((p) => `after kill ${round}: ${p}`));
      totals.keys = check.keys;
      if (round > 0) perRound.push(`${check.lostIncrs + check.lostSets}`);
      if (round === rounds) {
        await killHard(server);
        break;
      }
      acked += await writeUntilKilled(server, ledger, round, 50 + Math.floor(Math.random() * 350));
    }
    return { totals, acked, perRound };
  }

  it('appendfsync always: 20 kills, every acknowledged write is there after each restart, nothing corrupt', async () => {
    const started = Date.now();
    const { totals, acked } = await crashRounds('always', 20);
    console.log(`[persistence] always: 20 kill -9 rounds, ${acked} acknowledged writes, ${totals.keys} keys at the end, lost ${totals.lostIncrs} INCRs and ${totals.lostSets} SETs (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    expect(acked).toBeGreaterThan(200);
    expect(totals.problems).toEqual([]);
    expect({ lostIncrs: totals.lostIncrs, lostSets: totals.lostSets }).toEqual({ lostIncrs: 0, lostSets: 0 });
  }, 120_000);

  it('appendfsync everysec: loss measured and reported (not asserted), nothing corrupt', async () => {
    const started = Date.now();
    const { totals, acked, perRound } = await crashRounds('everysec', 8);
    console.log(`[persistence] everysec: 8 kill -9 rounds, ${acked} acknowledged writes, lost ${totals.lostIncrs} acknowledged INCRs and ${totals.lostSets} acknowledged SETs (per round: ${perRound.join(', ')}), holes ${totals.holes} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    expect(acked).toBeGreaterThan(200);
    expect(totals.problems).toEqual([]);
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------
// 4. Loading a large data set

describe('loading a large snapshot', () => {
  const N = 600_000;
  let dir = '';
  let snapshotSha = '';
  let good: Buffer | undefined;

  /** 600k small keys written straight into an in-process engine, then SAVE (the real writer). */
  async function bigSnapshot(): Promise<void> {
    if (good !== undefined) {
      // A test before may have damaged it: put the good snapshot back.
      fs.writeFileSync(path.join(dir, 'dump.rdb'), good);
      return;
    }
    dir = freshDir('loading');
    const started = Date.now();
    const store = openStore(dir, { appendonly: 'no' });
    await store.persistence.load();
    const db = store.engine.dbs[0]!;
    for (let i = 0; i < N; i++) db.loadEntry(`key:${i}`, `v${i}`, undefined);
    const built = Date.now();
    expect(String(store.run('SAVE'))).toBe('OK');
    const file = fs.readFileSync(path.join(dir, 'dump.rdb'));
    snapshotSha = sha(file);
    good = file;
    console.log(`[persistence] ${N} keys: built in ${built - started} ms, SAVE in ${Date.now() - built} ms, ${(file.length / 1e6).toFixed(1)} MB`);
  }

  /** Starts the server on the big snapshot and connects as soon as its port listens (before loading ends). */
  async function startLoading(args: string[]): Promise<{ child: Child; c: RespTestClient; connectedAt: number; spawnedAt: number }> {
    const port = await freePort();
    const spawnedAt = Date.now();
    const child = spawnNodis(dir, port, ['--appendonly', 'no', ...args]);
    let c: RespTestClient | undefined;
    const deadline = Date.now() + 20_000;
    while (c === undefined) {
      if (child.proc.exitCode !== null) throw new Error(`nodis-server exited: ${child.stdout()}${child.stderr()}`);
      if (Date.now() > deadline) throw new Error('could not connect within 20 s');
      c = await RespTestClient.connect(port).catch(() => undefined);
      if (c === undefined) await pause(5);
    }
    return { child, c, connectedAt: Date.now(), spawnedAt };
  }

  afterAll(() => { good = undefined; });

  it('clients connected during the load get -LOADING and INFO says loading:1; afterwards the data is there', async (ctx) => {
    await bigSnapshot();
    const { child, c, connectedAt, spawnedAt } = await startLoading(['--save', '']);
    try {
      let loadingReplies = 0;
      let infoLoading = 0;
      const pingsDuringLoad: string[] = [];
      let loaded = false;
      const deadline = Date.now() + 60_000;
      while (!loaded) {
        if (Date.now() > deadline) throw new Error('still loading after 60 s');
        const [ping, get, inf] = await c.pipeline([['PING'], ['GET', 'key:0'], ['INFO', 'persistence']]);
        if (isError(get)) {
          expect(get.message).toBe('LOADING Redis is loading the dataset in memory');
          loadingReplies++;
          pingsDuringLoad.push(isError(ping) ? ping.message : String(ping));
          if (/\r\nloading:1\r\n/.test(String(inf))) infoLoading++;
          await pause(10);
        } else {
          expect(get).toBe('v0');
          loaded = true;
        }
      }
      const loadedAt = Date.now();
      console.log(`[persistence] load of ${N} keys: connected ${connectedAt - spawnedAt} ms after spawn, ${loadingReplies} -LOADING replies, ready after ${loadedAt - spawnedAt} ms; PING during load: ${[...new Set(pingsDuringLoad)].join(' / ') || '-'}; progress lines: ${(child.stdout().match(/Loading dump\.rdb: \d+%/g) ?? []).length}`);
      expect(Number(await c.call('DBSIZE'))).toBe(N);
      expect(await c.call('GET', `key:${N - 1}`)).toBe(`v${N - 1}`);
      expect((await info(c, 'persistence')).loading).toBe('0');
      if (loadingReplies === 0) {
        console.log('[persistence] the load finished before the first command: -LOADING not observed (not faked)');
        ctx.skip();
      }
      expect(infoLoading).toBe(loadingReplies);
      // Redis 7.0 answers PING with -LOADING too (PING has no `loading` flag).
      expect(new Set(pingsDuringLoad)).toEqual(new Set(['LOADING Redis is loading the dataset in memory']));
    } finally {
      c.close();
      await killHard(child);
    }
    expect(sha(fs.readFileSync(path.join(dir, 'dump.rdb')))).toBe(snapshotSha);
  }, 120_000);

  for (const how of ['SHUTDOWN', 'SIGTERM'] as const) {
    it(`${how} during the load does not save the half-loaded data set over the snapshot (Redis forces NOSAVE while loading)`, async (ctx) => {
      await bigSnapshot();
      const { child, c } = await startLoading(['--save', '3600 1']);
      let sawLoading = false;
      try {
        const [get] = await c.pipeline([['GET', 'key:0']]);
        sawLoading = isError(get) && get.message.startsWith('LOADING');
        if (sawLoading) {
          if (how === 'SHUTDOWN') await c.call('SHUTDOWN').catch(() => undefined);
          else child.proc.kill('SIGTERM');
          await within(child.exited, 30_000, 'exit after the stop request');
        }
      } finally {
        c.close();
        await killHard(child);
      }
      if (!sawLoading) {
        console.log(`[persistence] ${how} during load: the load ended before the first command; not tested`);
        ctx.skip();
      }
      const after = fs.readFileSync(path.join(dir, 'dump.rdb'));
      let keys = -1;
      if (sha(after) !== snapshotSha) {
        const { store, error } = await loadDir(dir, { appendonly: 'no' });
        keys = error === undefined ? store.engine.dbs[0]!.size : -2;
        for (const db of store.engine.dbs) db.clear();
      }
      expect({ unchanged: sha(after) === snapshotSha, keysInSnapshotNow: keys }, child.stdout().split('\n').filter((l) => /shutdown|Saving|saved|SIGTERM/i.test(l)).join('\n')).toEqual({ unchanged: true, keysInSnapshotNow: -1 });
    }, 120_000);
  }
});

// ---------------------------------------------------------------------------------------------
// The reply barrier (appendfsync always) across a rewrite

describe('appendfsync always: replies held for durability', () => {
  it('a reply waiting for its fsync is released once the data is durable when BGREWRITEAOF switches files, not only when the rewrite ends', async () => {
    // fsyncs on the thread pool complete when the test says so; fsyncSync is real.
    const held: ((e: Error | null) => void)[] = [];
    const fsys: PersistFs = { ...nodeFs, fsync: (_fd, done) => { held.push(done); } };
    const dir = freshDir('barrier');
    const store = openStore(dir, { appendfsync: 'always' }, fsys);
    await store.persistence.load();
    for (let i = 0; i < 5000; i++) store.run('SET', `k:${i}`, 'v');
    await tick();
    for (const done of held.splice(0)) done(null);
    expect(store.persistence.mustWait()).toBe(false);

    store.run('SET', 'a', '1');
    // Its reply must wait for an fsync; the batch is written and the fsync started at the end
    // of the event-loop turn (or when a connection asks first).
    expect(store.persistence.mustWait()).toBe(true);
    await tick();
    expect(held.length).toBe(1);
    expect(store.persistence.mustWait()).toBe(true);
    let released = false;
    store.persistence.whenDurable(() => { released = true; });
    // BGREWRITEAOF (or the automatic rewrite) switches to a new incr file: the old one is
    // written and fsynced synchronously first, so 'a' is durable from here on.
    expect(String(store.run('BGREWRITEAOF'))).toMatch(/rewriting started/);
    // The fsync started for the reply completes.
    held.shift()!(null);
    for (let i = 0; i < 5; i++) await tick();
    const stillRewriting = store.persistence.info().aof_rewrite_in_progress;
    const waitingNow = store.persistence.mustWait();
    const releasedBeforeRewriteEnd = released;
    // Let the rewrite's own fsync complete, and the job end.
    await until(() => {
      for (const done of held.splice(0)) done(null);
      return store.persistence.info().aof_rewrite_in_progress === 0;
    }, 10_000, 'the rewrite');
    store.persistence.shutdown(false);
    expect(stillRewriting, 'the rewrite is still running at the check').toBe(1);
    expect(waitingNow, 'nothing is waiting for an fsync any more').toBe(false);
    expect(releasedBeforeRewriteEnd, `the waiting reply was released ${released ? 'only when the rewrite ended' : 'never'}`).toBe(true);
  });
});

describe('appendfsync everysec and no: the reply leaves after the write() (kill -9 loses nothing, as Redis)', () => {
  for (const policy of ['everysec', 'no'] as const) {
    it(`${policy}: when a reply may be sent, its command is already in the file (the OS has it)`, async () => {
      const dir = freshDir(`write-before-reply-${policy}`);
      const store = openStore(dir, { appendfsync: policy });
      await store.persistence.load();
      const manifest = fs.readFileSync(path.join(dir, AOF_DIR, MANIFEST), 'latin1');
      const file = path.join(dir, AOF_DIR, /file (\S+\.incr\.aof) seq \d+ type i/.exec(manifest)![1]!);
      const before = fs.statSync(file).size;
      expect(String(store.run('SET', 'k', 'acknowledged'))).toBe('OK');
      // A connection sends "+OK" once the barrier lets it (at once, or when it calls back):
      // by then a kill -9 must not lose the SET. Redis write()s its AOF buffer in beforeSleep,
      // before any reply goes out, and lost 0 writes under kill -9 in every appendfsync mode
      // (RELIABILITY.md).
      const sizeWhenReplyMayLeave = await new Promise<number>((resolve) => {
        if (!store.persistence.mustWait()) return resolve(fs.statSync(file).size);
        store.persistence.whenDurable(() => resolve(fs.statSync(file).size));
      });
      store.persistence.shutdown(false);
      expect(sizeWhenReplyMayLeave, 'the record is in the file when the reply may leave').toBeGreaterThan(before);
    });
  }
});

describe('files a crash left behind', () => {
  it('temp files of interrupted snapshots are deleted at start; other files stay', async () => {
    const dir = freshDir('stale-temps');
    for (const name of ['temp-4242.snapshot', 'temp-4242-dump.rdb', 'temp-notes.txt', 'keep.me']) {
      fs.writeFileSync(path.join(dir, name), 'leftover');
    }
    const { error } = await loadDir(dir, { appendonly: 'no' });
    expect(error).toBeUndefined();
    expect(fs.readdirSync(dir).sort()).toEqual(['keep.me', 'temp-notes.txt']);
  });
});
