#!/usr/bin/env node
// Persistence (issue 7): what the append-only file and snapshots cost, nodis-server beside
// redis-server, both fresh child processes on free 127.0.0.1 ports with temporary data dirs.
//
// 1. SET throughput with the AOF off, `appendfsync everysec` and `appendfsync always`:
//    `redis-benchmark -t set -P 16 -c 50 -n <requests> -r 100000 -q` against each server, a fresh
//    server and data dir per run, rounds alternating the order; medians. Targets: nodis everysec
//    ≥ 0.8× nodis with the AOF off; nodis always ≥ 0.8× redis-server always.
// 2. SAVE and restart-load for <keys> small keys (`key:%012d`, 10-byte values, written as
//    pipelined SETs), `appendonly no`: SAVE timed from the client (send to +OK); load = spawn of
//    the process to the first GET answered with the value (polled), and each server's own log
//    line "DB loaded from disk: X seconds". Targets: SAVE and load ≤ 1.5× redis-server's.
//
//   npx turbo run build --output-logs=errors-only && node bench/persistence.js
//     [--rounds 3] [--requests 500000] [--keys 1000000] [--only set|save] [--quick]
//
// The default run takes about 2.5 minutes. --quick (or NODIS_BENCH_QUICK=1) is a smoke run (≈ 15 s): 1 round, 50 000 requests, 100 000
// keys; it writes persistence-quick-partial.json (git-ignored), never persistence.json. --only
// (or a changed --requests/--keys) writes persistence-partial.json.
//
// Checks: every redis-benchmark run must report a rate; afterwards DBSIZE is between 1 and
// 100 000 and, with the AOF on, the append-only files hold at least 20 bytes per request (the
// AOF really was written). The SAVE/load part checks DBSIZE after the fill and after every
// restart, and the first GET's value. A failed check marks the row and the exit code.
//
// This machine has 2 cores: redis-benchmark takes one, the server the other (nodis-server's
// owner thread, plus libuv's thread pool for fsync). Compare ratios within one run
// (PERFORMANCE.md). The data dirs are under os.tmpdir(), the same ext4 disk as the checkout.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, sleep, withTimeout, freePort, opt as optOf, checkPrerequisites, writeResults, exitWhenDone } from './lib.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, def) => optOf(args, name, def);
const QUICK = args.includes('--quick') || /^(1|true|yes)$/i.test(process.env.NODIS_BENCH_QUICK ?? '');
const ROUNDS = Number(opt('rounds', QUICK ? 1 : 3));
const REQUESTS = Number(opt('requests', QUICK ? 50_000 : 500_000));
const KEYS = Number(opt('keys', QUICK ? 100_000 : 1_000_000));
const ONLY = opt('only', '');
const RANDOM_KEYS = 100_000;
const VALUE = 'x'.repeat(10);
const nodisBin = path.join(here, '../packages/server/dist/bin.js');

checkPrerequisites(here, [['rounds', ROUNDS], ['requests', REQUESTS], ['keys', KEYS]]);
if (spawnSync('sh', ['-c', 'command -v redis-benchmark']).status !== 0) {
  console.error('redis-benchmark is not installed (it comes with redis-server: apt-get install redis-server)');
  process.exit(1);
}
if (ONLY !== '' && ONLY !== 'set' && ONLY !== 'save') {
  console.error('--only takes set or save');
  process.exit(2);
}

const MODES = [
  { id: 'no', label: 'AOF off', settings: ['--appendonly', 'no'] },
  { id: 'everysec', label: 'appendfsync everysec', settings: ['--appendonly', 'yes', '--appendfsync', 'everysec'] },
  { id: 'always', label: 'appendfsync always', settings: ['--appendonly', 'yes', '--appendfsync', 'always'] },
];
const SERVERS = ['nodis', 'redis'];
const serverLabel = { nodis: 'nodis-server', redis: 'redis-server' };

// --- a minimal RESP connection (control commands, the fill, the load poll) ---------------------

class Resp {
  /** Connects, or rejects (ECONNREFUSED while a server starts). */
  static connect(port) {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => { socket.removeListener('error', reject); resolve(new Resp(socket)); });
      socket.once('error', reject);
    });
  }

  constructor(socket) {
    this.socket = socket;
    this.buf = Buffer.alloc(0);
    this.waiting = [];
    this.closed = false;
    socket.setNoDelay(true);
    socket.on('data', (d) => this.onData(d));
    const fail = (e) => {
      this.closed = true;
      for (const w of this.waiting.splice(0)) w.reject(e ?? new Error('connection closed'));
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
  }

  /** Sends commands in one write; resolves each reply (an Error object for an error reply). */
  send(commands) {
    let out = '';
    const promises = [];
    for (const argv of commands) {
      out += `*${argv.length}\r\n`;
      for (const a of argv) out += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
      promises.push(new Promise((resolve, reject) => this.waiting.push({ resolve, reject })));
    }
    if (this.closed) return promises.map(() => Promise.reject(new Error('connection closed')));
    this.socket.write(out);
    return promises;
  }

  call(...argv) { return this.send([argv])[0]; }

  close() { this.socket.destroy(); }

  onData(d) {
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    let at = 0;
    while (this.waiting.length > 0) {
      const r = parseReply(this.buf, at);
      if (r === undefined) break;
      at = r.next;
      this.waiting.shift().resolve(r.value);
    }
    this.buf = this.buf.subarray(at);
  }
}

/** One reply at `at`: { value, next }, or undefined when incomplete. */
function parseReply(buf, at) {
  const eol = buf.indexOf('\r\n', at);
  if (eol === -1) return undefined;
  const type = String.fromCharCode(buf[at]);
  const line = buf.toString('latin1', at + 1, eol);
  const next = eol + 2;
  if (type === '+') return { value: line, next };
  if (type === '-') return { value: new Error(line), next };
  if (type === ':') return { value: Number(line), next };
  if (type === '$') {
    const n = Number(line);
    if (n < 0) return { value: null, next };
    if (buf.length < next + n + 2) return undefined;
    return { value: buf.toString('latin1', next, next + n), next: next + n + 2 };
  }
  if (type === '*') {
    const n = Number(line);
    const items = [];
    let p = next;
    for (let i = 0; i < n; i++) {
      const r = parseReply(buf, p);
      if (r === undefined) return undefined;
      items.push(r.value);
      p = r.next;
    }
    return { value: items, next: p };
  }
  throw new Error(`unexpected reply byte ${JSON.stringify(type)}`);
}

// --- servers ------------------------------------------------------------------------------------

const children = new Set();

/**
 * Starts nodis-server or redis-server on a free 127.0.0.1 port with `dir` as data dir; resolves
 * once PING answers (bounded). `settings`: the persistence flags. The log (stdout) is kept.
 */
async function startServer(kind, dir, settings, { waitReady = true } = {}) {
  const port = await freePort();
  const common = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...settings];
  const t0 = performance.now();
  const child = kind === 'nodis'
    ? spawn(process.execPath, [nodisBin, ...common, '--unixsocket', '', '--nativesocket', ''], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn('redis-server', [...common, '--daemonize', 'no', '--logfile', ''], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const server = { kind, port, dir, child, t0, log: '', exited: false };
  const keep = (d) => { if (server.log.length < 1 << 20) server.log += d.toString('utf8'); };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  server.exit = new Promise((r) => child.once('exit', (code, signal) => { server.exited = true; children.delete(child); r({ code, signal }); }));
  server.stop = async () => {
    if (server.exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await server.exit;
    clearTimeout(timer);
  };
  if (waitReady) {
    const deadline = performance.now() + 30_000;
    for (;;) {
      if (server.exited) throw new Error(`${serverLabel[kind]} exited at start: ${server.log.slice(-500)}`);
      try {
        const c = await Resp.connect(port);
        const pong = await withTimeout(c.call('PING'), 5000, 'PING');
        c.close();
        if (pong === 'PONG') {
          server.readySec = (performance.now() - t0) / 1000;
          break;
        }
      } catch {
        // not listening yet, or LOADING
      }
      if (performance.now() > deadline) {
        await server.stop();
        throw new Error(`${serverLabel[kind]} did not answer PING within 30 s: ${server.log.slice(-500)}`);
      }
      await sleep(10);
    }
  }
  return server;
}

function dirBytes(dir) {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const name of readdirSync(dir)) n += statSync(path.join(dir, name)).size;
  return n;
}

// --- 1. SET throughput --------------------------------------------------------------------------

/** One redis-benchmark run: { opsPerSec, p50Ms } or throws. */
function redisBenchmark(port) {
  const timeoutMs = Math.max(60_000, (REQUESTS / 5_000) * 1000);
  return new Promise((resolve, reject) => {
    const child = spawn('redis-benchmark', ['-h', '127.0.0.1', '-p', String(port), '-t', 'set', '-P', '16', '-c', '50', '-n', String(REQUESTS), '-r', String(RANDOM_KEYS), '-q'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      // -q prints progress lines ending in \r, then "SET: 123456.78 requests per second, p50=1.234 msec".
      const m = /SET: ([\d.]+) requests per second(?:, p50=([\d.]+) msec)?/.exec(out.split('\r').pop() ?? '') ?? /SET: ([\d.]+) requests per second(?:, p50=([\d.]+) msec)?/.exec(out);
      if (m === null) reject(new Error(`redis-benchmark ${signal ? `killed (${signal}) after ${timeoutMs / 1000} s` : `exited ${code}`} without a result: ${out.slice(-300).replace(/\s+/g, ' ')}`));
      else resolve({ opsPerSec: Number(m[1]), p50Ms: m[2] === undefined ? undefined : Number(m[2]) });
    });
  });
}

async function setThroughput(tmp, failures) {
  const rows = [];
  for (const kind of SERVERS) for (const mode of MODES) rows.push({ id: `${kind}/${mode.id}`, kind, mode, runs: [] });
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? rows : [...rows].reverse();
    for (const row of order) {
      if (interrupted) return rows;
      const dir = mkdtempSync(path.join(tmp, `set-${row.kind}-${row.mode.id}-`));
      let server;
      const run = { round: round + 1 };
      try {
        server = await startServer(row.kind, dir, row.mode.settings);
        Object.assign(run, await redisBenchmark(server.port));
        const c = await Resp.connect(server.port);
        const size = await withTimeout(c.call('DBSIZE'), 10_000, 'DBSIZE');
        c.close();
        const aofBytes = dirBytes(path.join(dir, 'appendonlydir'));
        run.dbsize = size;
        run.aofBytes = aofBytes;
        const problems = [];
        if (!(size >= 1 && size <= RANDOM_KEYS)) problems.push(`DBSIZE ${size}`);
        if (row.mode.id !== 'no' && aofBytes < REQUESTS * 20) problems.push(`the AOF holds ${aofBytes} bytes for ${REQUESTS} SETs`);
        if (row.mode.id === 'no' && aofBytes !== 0) problems.push(`an AOF of ${aofBytes} bytes with appendonly no`);
        run.check = problems.length ? problems.join('; ') : 'ok';
      } catch (e) {
        run.error = e.message;
      } finally {
        await server?.stop();
        rmSync(dir, { recursive: true, force: true });
      }
      if (run.error !== undefined || run.check !== 'ok') failures.count++;
      row.runs.push(run);
      process.stderr.write(`round ${round + 1}/${ROUNDS} SET ${row.id.padEnd(16)} ${run.error ? `ERROR ${run.error}` : `${fmtOps(run.opsPerSec)}/s${run.check === 'ok' ? '' : ` CHECK FAILED: ${run.check}`}`}\n`);
    }
  }
  for (const row of rows) {
    const ok = row.runs.filter((r) => r.error === undefined);
    row.opsPerSec = ok.length ? median(ok.map((r) => r.opsPerSec)) : undefined;
    const p50s = ok.map((r) => r.p50Ms).filter((x) => x !== undefined);
    row.p50Ms = p50s.length ? median(p50s) : undefined;
  }
  return rows;
}

// --- 2. SAVE and restart-load -------------------------------------------------------------------

const keyOf = (i) => `key:${String(i).padStart(12, '0')}`;

/** KEYS SETs, pipelined 10 000 at a time; every reply must be OK. */
async function fill(port) {
  const c = await Resp.connect(port);
  try {
    const CHUNK = 10_000;
    for (let i = 0; i < KEYS; i += CHUNK) {
      const commands = [];
      for (let j = i; j < Math.min(KEYS, i + CHUNK); j++) commands.push(['SET', keyOf(j), VALUE]);
      const replies = await withTimeout(Promise.all(c.send(commands)), 60_000, 'fill');
      const bad = replies.find((r) => r !== 'OK');
      if (bad !== undefined) throw new Error(`SET replied ${bad instanceof Error ? bad.message : JSON.stringify(bad)}`);
    }
    const size = await c.call('DBSIZE');
    if (size !== KEYS) throw new Error(`DBSIZE ${size} after filling ${KEYS} keys`);
  } finally {
    c.close();
  }
}

/** Spawn to the first GET answered with the value (polled every 5 ms, bounded). */
async function restartAndTime(kind, dir) {
  const server = await startServer(kind, dir, ['--appendonly', 'no'], { waitReady: false });
  const deadline = performance.now() + 120_000;
  let c;
  let loadingReplies = 0;
  try {
    for (;;) {
      if (server.exited) throw new Error(`${serverLabel[kind]} exited while loading: ${server.log.slice(-500)}`);
      if (performance.now() > deadline) throw new Error(`${serverLabel[kind]}: no GET answered within 120 s`);
      if (c === undefined || c.closed) {
        try {
          c = await Resp.connect(server.port);
        } catch {
          c = undefined;
          await sleep(5);
          continue;
        }
      }
      let reply;
      try {
        reply = await withTimeout(c.call('GET', keyOf(0)), 30_000, 'GET');
      } catch {
        c.close();
        c = undefined;
        continue;
      }
      if (reply === VALUE) break;
      if (reply instanceof Error && /^LOADING/.test(reply.message)) {
        loadingReplies++;
        await sleep(5);
        continue;
      }
      throw new Error(`GET ${keyOf(0)} replied ${reply instanceof Error ? reply.message : JSON.stringify(reply)}`);
    }
    const firstGetSec = (performance.now() - server.t0) / 1000;
    const size = await withTimeout(c.call('DBSIZE'), 10_000, 'DBSIZE');
    // The log line is written before the server serves; give the pipe a moment to deliver it.
    const logDeadline = performance.now() + 2000;
    let m;
    while ((m = /DB loaded from disk: ([\d.]+) seconds/.exec(server.log)) === null && performance.now() < logDeadline) await sleep(10);
    return {
      firstGetSec, logLoadSec: m ? Number(m[1]) : undefined, loadingReplies, dbsize: size,
      check: size === KEYS ? (m ? 'ok' : 'no "DB loaded from disk" line in the log') : `DBSIZE ${size} after loading ${KEYS} keys`,
    };
  } finally {
    c?.close();
    await server.stop();
  }
}

async function saveAndLoad(tmp, failures) {
  const result = {};
  const dirs = {};
  // Fill and SAVE each server in turn (one data set in memory at a time).
  for (const kind of SERVERS) {
    if (interrupted) return result;
    const dir = mkdtempSync(path.join(tmp, `save-${kind}-`));
    dirs[kind] = dir;
    const r = { kind, save: [], load: [] };
    result[kind] = r;
    let server;
    try {
      server = await startServer(kind, dir, ['--appendonly', 'no']);
      // What a start costs without data: the part of the load time that is not loading.
      r.emptyStartSec = server.readySec;
      const fillStart = performance.now();
      await fill(server.port);
      r.fillSec = (performance.now() - fillStart) / 1000;
      const c = await Resp.connect(server.port);
      try {
        for (let i = 0; i < ROUNDS; i++) {
          const t0 = performance.now();
          const reply = await withTimeout(c.call('SAVE'), 120_000, 'SAVE');
          const sec = (performance.now() - t0) / 1000;
          if (reply !== 'OK') throw new Error(`SAVE replied ${reply instanceof Error ? reply.message : JSON.stringify(reply)}`);
          r.save.push(sec);
          process.stderr.write(`SAVE ${kind.padEnd(6)} ${KEYS} keys: ${sec.toFixed(3)} s\n`);
        }
      } finally {
        c.close();
      }
      r.snapshotBytes = dirBytes(dir) - dirBytes(path.join(dir, 'appendonlydir'));
    } catch (e) {
      r.error = e.message;
      failures.count++;
      process.stderr.write(`SAVE ${kind}: ERROR ${e.message}\n`);
    } finally {
      await server?.stop();
    }
  }
  // Restarts, alternating the servers round by round.
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? SERVERS : [...SERVERS].reverse();
    for (const kind of order) {
      const r = result[kind];
      if (interrupted || r === undefined || r.error !== undefined) continue;
      try {
        const run = await restartAndTime(kind, dirs[kind]);
        r.load.push({ round: round + 1, ...run });
        if (run.check !== 'ok') failures.count++;
        process.stderr.write(`round ${round + 1}/${ROUNDS} load ${kind.padEnd(6)} first GET after ${run.firstGetSec.toFixed(3)} s, log "${run.logLoadSec ?? '—'} seconds"${run.check === 'ok' ? '' : ` CHECK FAILED: ${run.check}`}\n`);
      } catch (e) {
        r.load.push({ round: round + 1, error: e.message });
        failures.count++;
        process.stderr.write(`round ${round + 1}/${ROUNDS} load ${kind}: ERROR ${e.message}\n`);
      }
    }
  }
  for (const kind of SERVERS) {
    const r = result[kind];
    if (r === undefined) continue;
    r.saveSec = r.save.length ? median(r.save) : undefined;
    const ok = r.load.filter((l) => l.error === undefined);
    r.firstGetSec = ok.length ? median(ok.map((l) => l.firstGetSec)) : undefined;
    const logged = ok.map((l) => l.logLoadSec).filter((x) => x !== undefined);
    r.logLoadSec = logged.length ? median(logged) : undefined;
  }
  return result;
}

// --- main ---------------------------------------------------------------------------------------

const fmtOps = (x) => (x === undefined ? '—' : x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : x >= 1e4 ? `${(x / 1e3).toFixed(0)} k` : x.toFixed(0));
const fmtSec = (x) => (x === undefined ? '—' : `${x.toFixed(3)} s`);
const fmtRatio = (x) => (x === undefined ? '—' : `${x.toFixed(2)}×`);
const ratio = (a, b) => (a === undefined || b === undefined || b === 0 ? undefined : Number((a / b).toFixed(3)));

const started = performance.now();
const loadStart = os.loadavg();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-persistence-'));
const failures = { count: 0 };
let interrupted = false;
const stopAll = async () => {
  for (const c of [...children]) c.kill('SIGKILL');
  await sleep(50);
  rmSync(tmp, { recursive: true, force: true });
};
process.once('SIGINT', () => {
  interrupted = true;
  console.error('interrupted: stopping');
  void stopAll().finally(() => process.exit(130));
});

let setRows = [];
let saveLoad = {};
try {
  console.error(`${QUICK ? 'quick (smoke) run: ' : ''}${ROUNDS} round${ROUNDS > 1 ? 's' : ''}; SET: ${REQUESTS} requests (-P 16 -c 50 -r ${RANDOM_KEYS}); SAVE/load: ${KEYS} keys; data dirs under ${tmp}`);
  if (ONLY !== 'save') setRows = await setThroughput(tmp, failures);
  if (ONLY !== 'set') saveLoad = await saveAndLoad(tmp, failures);
} finally {
  await stopAll();
}

// --- report -------------------------------------------------------------------------------------

const row = (kind, mode) => setRows.find((r) => r.kind === kind && r.mode.id === mode);
const targets = [];
if (setRows.length) {
  console.log(`\nSET throughput, redis-benchmark -t set -P 16 -c 50 -n ${REQUESTS} -r ${RANDOM_KEYS}; median of ${ROUNDS} run${ROUNDS > 1 ? 's' : ''}, each on a fresh server and data dir.`);
  console.log('| persistence | nodis-server | redis-server | nodis ÷ redis | nodis ÷ nodis AOF off | check |');
  console.log('|---|---|---|---|---|---|');
  for (const mode of MODES) {
    const n = row('nodis', mode.id);
    const r = row('redis', mode.id);
    const problems = [n, r].flatMap((x) => x.runs.filter((u) => u.error !== undefined || u.check !== 'ok').map((u) => `${serverLabel[x.kind]} round ${u.round}: ${u.error ?? u.check}`));
    const cell = (x) => (x.opsPerSec === undefined ? 'ERROR' : `${fmtOps(x.opsPerSec)}/s${x.p50Ms !== undefined ? ` (p50 ${x.p50Ms.toFixed(2)} ms)` : ''}`);
    n.ratioToRedis = ratio(n.opsPerSec, r.opsPerSec);
    n.ratioToAofOff = ratio(n.opsPerSec, row('nodis', 'no').opsPerSec);
    r.ratioToAofOff = ratio(r.opsPerSec, row('redis', 'no').opsPerSec);
    console.log(`| ${mode.label} | ${cell(n)} | ${cell(r)} | ${fmtRatio(n.ratioToRedis)} | ${mode.id === 'no' ? '1.00×' : fmtRatio(n.ratioToAofOff)} (redis: ${mode.id === 'no' ? '1.00×' : fmtRatio(r.ratioToAofOff)}) | ${problems.length ? problems.join('; ') : 'ok'} |`);
  }
  const everysec = row('nodis', 'everysec').ratioToAofOff;
  targets.push({ target: 'nodis SET with appendfsync everysec ≥ 0.8× nodis with the AOF off', goal: 0.8, measured: everysec, met: everysec === undefined ? 'not measured' : everysec >= 0.8 ? 'met' : 'not met' });
  const always = row('nodis', 'always').ratioToRedis;
  targets.push({ target: 'nodis SET with appendfsync always ≥ 0.8× redis-server with appendfsync always', goal: 0.8, measured: always, met: always === undefined ? 'not measured' : always >= 0.8 ? 'met' : 'not met' });
}
if (saveLoad.nodis || saveLoad.redis) {
  const n = saveLoad.nodis ?? {};
  const r = saveLoad.redis ?? {};
  console.log(`\nSAVE and restart-load, ${KEYS} keys (key:%012d → 10 bytes), appendonly no; median of ${ROUNDS}.`);
  console.log('| | nodis-server | redis-server | nodis ÷ redis |');
  console.log('|---|---|---|---|');
  console.log(`| fill (pipelined SET, 10 000 a batch) | ${fmtSec(n.fillSec)} | ${fmtSec(r.fillSec)} | ${fmtRatio(ratio(n.fillSec, r.fillSec))} |`);
  console.log(`| SAVE, from the client | ${fmtSec(n.saveSec)} | ${fmtSec(r.saveSec)} | ${fmtRatio(ratio(n.saveSec, r.saveSec))} |`);
  console.log(`| snapshot file | ${n.snapshotBytes === undefined ? '—' : `${(n.snapshotBytes / 2 ** 20).toFixed(1)} MB`} | ${r.snapshotBytes === undefined ? '—' : `${(r.snapshotBytes / 2 ** 20).toFixed(1)} MB`} | ${fmtRatio(ratio(n.snapshotBytes, r.snapshotBytes))} |`);
  console.log(`| start without data: process spawn → first PING answered (one run) | ${fmtSec(n.emptyStartSec)} | ${fmtSec(r.emptyStartSec)} | ${fmtRatio(ratio(n.emptyStartSec, r.emptyStartSec))} |`);
  console.log(`| load: process spawn → first GET answered | ${fmtSec(n.firstGetSec)} | ${fmtSec(r.firstGetSec)} | ${fmtRatio(ratio(n.firstGetSec, r.firstGetSec))} |`);
  console.log(`| load: the log's "DB loaded from disk" | ${fmtSec(n.logLoadSec)} | ${fmtSec(r.logLoadSec)} | ${fmtRatio(ratio(n.logLoadSec, r.logLoadSec))} |`);
  const problems = [n, r].flatMap((x) => [...(x.error ? [`${serverLabel[x.kind]}: ${x.error}`] : []), ...(x.load ?? []).filter((l) => l.error !== undefined || l.check !== 'ok').map((l) => `${serverLabel[x.kind]} load round ${l.round}: ${l.error ?? l.check}`)]);
  if (problems.length) console.log(`problems: ${problems.join('; ')}`);
  const save = ratio(n.saveSec, r.saveSec);
  targets.push({ target: `SAVE of ${KEYS} keys ≤ 1.5× redis-server's`, goal: 1.5, measured: save, met: save === undefined ? 'not measured' : save <= 1.5 ? 'met' : 'not met' });
  const load = ratio(n.firstGetSec, r.firstGetSec);
  targets.push({ target: `restart-load of ${KEYS} keys (spawn → first GET) ≤ 1.5× redis-server's`, goal: 1.5, measured: load, met: load === undefined ? 'not measured' : load <= 1.5 ? 'met' : 'not met' });
  const logLoad = ratio(n.logLoadSec, r.logLoadSec);
  targets.push({ target: `for comparison: the logged load time ("DB loaded from disk") ≤ 1.5× redis-server's`, goal: 1.5, measured: logLoad, met: logLoad === undefined ? 'not measured' : logLoad <= 1.5 ? 'met' : 'not met' });
}
console.log('\n| issue 7 target | measured | |');
console.log('|---|---|---|');
for (const t of targets) console.log(`| ${t.target} | ${fmtRatio(t.measured)} | ${t.met} |`);
if (QUICK) console.log('\nQUICK (smoke) run: one short round; the numbers only show that every row runs and checks out.');
console.log(`\n${os.cpus().length} CPUs, Node ${process.version}, ${spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout.trim().split(' ').slice(0, 3).join(' ')}; load average ${loadStart.map((x) => x.toFixed(1)).join(' ')} at the start, ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} at the end.`);

mkdirSync(path.join(here, 'results'), { recursive: true });
const partial = ONLY !== '' || (!QUICK && (opt('requests', '') !== '' || opt('keys', '') !== ''));
const file = path.join(here, 'results', QUICK ? 'persistence-quick-partial.json' : partial ? 'persistence-partial.json' : 'persistence.json');
writeResults(file, {
  date: new Date().toISOString(),
  node: process.version,
  machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, platform: `${os.platform()} ${os.release()}`, totalMemMB: Math.round(os.totalmem() / 2 ** 20), loadavgStart: loadStart, loadavgEnd: os.loadavg() },
  redis: spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout.trim(),
  command: `node ${process.argv.slice(1).map((a) => path.relative(process.cwd(), a) || a).join(' ')}`,
  options: { rounds: ROUNDS, requests: REQUESTS, keys: KEYS, randomKeys: RANDOM_KEYS, quick: QUICK, only: ONLY || 'all' },
  method: 'nodis-server (packages/server/dist/bin.js) and redis-server as fresh child processes on free 127.0.0.1 ports, data dirs under os.tmpdir(), --save ""; SET: redis-benchmark -t set -P 16 -c 50 -r 100000 -q, one fresh server per run, rounds alternating order, medians; SAVE timed from the client; load = spawn to the first GET answered with the value (polled every 5 ms), and the server log\'s "DB loaded from disk"',
  seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
  set: setRows.map(({ mode, ...r }) => ({ ...r, mode: mode.id, modeLabel: mode.label })),
  saveLoad,
  targets,
}, started);
exitWhenDone('bench/persistence.js', failures.count);
