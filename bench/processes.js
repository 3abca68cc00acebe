#!/usr/bin/env node
// Processes (issue 6): nodis served to ANOTHER process. The load runs in forked child processes
// (bench/processes/load.mjs), one per target (client → server), so one client library's garbage
// and JIT state never weigh on another's rows; nodis's owner is a worker thread of this process (startServer), and
// redis-server is a fresh child of its own. Side by side, over TCP 127.0.0.1 and Unix sockets:
//   nodis-native: our client (@nodis/client, unix://<nativesocket>) → nodis's native protocol
//                 (MessagePack frames; Unix socket only: its rows are in the Unix groups)
//   our client (@nodis/client, redis:// and redis+unix://) → nodis RESP
//   ioredis → nodis RESP
//   ioredis → redis-server
// INCR awaited one at a time and pipelined (pipeline() and Promise.all of 100 and 1000; ioredis
// auto-pipelines the Promise.all rows), SET and GET of 16 B, 1 KB and 100 KB values (pipeline()
// of 100, and awaited for 100 KB). Prints ops/s with the ratios to ioredis → redis-server in the
// same mode and socket, the issue's targets (native pipelined INCR ≥ 1 M ops/s; native awaited
// INCR ≥ 1.2× ioredis → redis-server over Unix), and writes bench/results/processes.json.
//
//   npx turbo run build --output-logs=errors-only && node bench/processes.js
//     [--rounds 3] [--seconds 1] [--warmup 0.2] [--full] [--retry-hung] [--quick]
//     [--sockets unix,tcp] [--modes incr-await,get-1k-p100,...] [--ours-redis] [--cpu-prof DIR]
//
// Default (≈ 2.5 minutes): over the Unix socket (the issue's comparison) every mode, with INCR
// batches of 100 as Promise.all and of 1000 as pipeline(); over TCP the awaited INCR. --full
// runs every mode over both sockets (≈ 6 minutes, written to processes-full.json); --modes and
// --sockets restrict the run (written to processes-partial.json). --ours-redis adds our client
// → redis-server (is a gap in the client or in the server?); --cpu-prof DIR profiles the load
// process.
// --quick (or NODIS_BENCH_QUICK=1) is a smoke run (≈ 15–30 s): the default plan in 1 round of 0.2 s
// with 0.05 s warm-ups (--rounds/--seconds/--warmup still override), every reply still checked;
// its numbers are only a sign of life, so it writes processes-quick-partial.json (git-ignored)
// and never processes.json.
//
// Method: one row = one (client → server, socket, mode). The load process first primes each
// connection (≈ 0.1 s of INCR and small pipelines). Each run of a row warms up for --warmup s
// (round 1, or a round in which the load process was replaced; otherwise 0.05 s: code and
// connections are warm by then) and then measures --seconds s, INCR on a fresh key; loops stop
// at the deadline or at a fixed op cap. A run with no answer in time is reported as hung: the
// load process is killed and replaced, and that row is not re-run (--retry-hung re-runs it).
// Rounds alternate the order (forward, then reversed) so drifting load hits every row alike;
// medians are reported. The child checks every reply (INCR counts up by one, SET says OK, GET
// returns the value's length, and its bytes on 1 reply in 16); afterwards this process reads the
// key back over its own connection (the INCR key must equal the INCRs counted, a SET/GET key
// must hold the value). Awaited rows sample 1 op in 16 for p50/p99.
//
// This machine has 2 cores: the load process, nodis's owner thread and redis-server share them
// (the server not being measured sits idle). Compare ratios from one run, not absolute figures
// across runs (PERFORMANCE.md).
import { fork, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, withTimeout, opt as optOf, checkPrerequisites, writeResults, exitWhenDone, startRedis } from './lib.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, def) => optOf(args, name, def);
/** Smoke run: does every row work end to end? (Numbers too short to compare.) */
const QUICK = args.includes('--quick') || /^(1|true|yes)$/i.test(process.env.NODIS_BENCH_QUICK ?? '');
const ROUNDS = Number(opt('rounds', QUICK ? 1 : 3));
const SECONDS = Number(opt('seconds', QUICK ? 0.2 : 1));
const WARMUP = Number(opt('warmup', QUICK ? 0.05 : 0.2));
/** Warm-up after round 1: the JIT and the connections are warm; this only restarts the flow. */
const REWARM = Math.min(WARMUP, 0.05);
const FULL = args.includes('--full');
const OURS_REDIS = args.includes('--ours-redis');
/** --cpu-prof DIR: the load process writes a V8 CPU profile there (where does the client spend?). */
const CPU_PROF = opt('cpu-prof', '');
/** Op cap per measurement: every loop ends at its deadline or here, whichever comes first. */
const MAX_OPS = 100_000_000;
/**
 * A run that takes longer than this is reported as hung (and the load process replaced): a run
 * lasts its warm-up and measurement plus one batch (≤ 0.2 s for 100 × 100 KB here).
 */
const RUN_TIMEOUT_MS = (WARMUP + SECONDS) * 1_000 + 3_000;
/** A row that hung is not run again in later rounds (each hang costs seconds), unless asked. */
const RETRY_HUNG = args.includes('--retry-hung');

checkPrerequisites(here, [['rounds', ROUNDS], ['seconds', SECONDS], ['warmup', WARMUP]]);

const { startServer } = await import('@nodis/server');
const { default: Redis } = await import('ioredis');

// --- what runs ------------------------------------------------------------------------------

/** Modes, in run order; `p` marks the pipelined ones (no latency sampling). */
const MODES = [
  { id: 'incr-await', label: 'INCR, awaited one at a time', latency: true },
  { id: 'incr-pipeline-100', label: 'INCR, pipeline() of 100' },
  { id: 'incr-all-100', label: 'INCR, Promise.all of 100 (ioredis: auto-pipelining)' },
  { id: 'incr-pipeline-1000', label: 'INCR, pipeline() of 1000' },
  { id: 'incr-all-1000', label: 'INCR, Promise.all of 1000 (ioredis: auto-pipelining)' },
  ...['16', '1k', '100k'].flatMap((size) => ['set', 'get'].map((cmd) => ({
    id: `${cmd}-${size}-p100`, label: `${cmd.toUpperCase()} ${size === '16' ? '16 B' : size === '1k' ? '1 KB' : '100 KB'}, pipeline() of 100`,
  }))),
  { id: 'set-100k-await', label: 'SET 100 KB, awaited one at a time', latency: true },
  { id: 'get-100k-await', label: 'GET 100 KB, awaited one at a time', latency: true },
];
/** Targets, in run order and table order; `sockets` limits one to the sockets its server offers. */
const TARGETS = [
  { id: 'nodis-native', label: 'our client, native unix:// → nodis', client: 'ours', server: 'nodis', native: true, sockets: ['unix'] },
  { id: 'ours-nodis', label: 'our client → nodis', client: 'ours', server: 'nodis' },
  { id: 'ioredis-nodis', label: 'ioredis → nodis', client: 'ioredis', server: 'nodis' },
  { id: 'ioredis-redis', label: 'ioredis → redis-server', client: 'ioredis', server: 'redis' },
  ...(OURS_REDIS ? [{ id: 'ours-redis', label: 'our client → redis-server', client: 'ours', server: 'redis' }] : []),
];
const BASELINE = 'ioredis-redis';
const NATIVE = 'nodis-native';
const servesSocket = (t, socket) => t.sockets === undefined || t.sockets.includes(socket);

const modeFilter = opt('modes', '').split(',').filter(Boolean);
const sockets = opt('sockets', 'unix,tcp').split(',').filter(Boolean);
for (const m of modeFilter) if (!MODES.some((x) => x.id === m)) { console.error(`unknown mode ${m}; modes: ${MODES.map((x) => x.id).join(', ')}`); process.exit(2); }
for (const s of sockets) if (s !== 'unix' && s !== 'tcp') { console.error(`unknown socket ${s} (unix, tcp)`); process.exit(2); }
/**
 * The default plan, sized to run in about 2 minutes: over Unix every mode, with pipelined INCR
 * batches of 100 as Promise.all (automatic pipelining) and of 1000 as pipeline() (the two styles
 * give within ≈ 10 % of each other here; --full runs both sizes in both styles); over TCP the
 * awaited INCR (the latency target). --full runs every mode over both sockets (≈ 5 minutes).
 */
const DEFAULT_PLAN = {
  unix: MODES.map((m) => m.id).filter((id) => id !== 'incr-pipeline-100' && id !== 'incr-all-1000'),
  tcp: ['incr-await'],
};
const planned = (mode, socket) => (modeFilter.length ? modeFilter.includes(mode.id) : FULL || DEFAULT_PLAN[socket].includes(mode.id));
/** Groups (mode × socket) in run order; each holds one row per target. */
const GROUPS = sockets.flatMap((socket) => MODES.filter((m) => planned(m, socket)).map((mode) => ({ mode, socket })));
const ROWS = GROUPS.flatMap((g) => TARGETS.filter((t) => servesSocket(t, g.socket)).map((t) => ({ id: `${t.id}/${g.socket}/${g.mode.id}`, target: t, socket: g.socket, mode: g.mode })));
if (ROWS.length === 0) {
  console.error('nothing to run (check --modes and --sockets)');
  process.exit(2);
}

const fmt = (x) => (x === undefined ? '—' : x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : x >= 1e4 ? `${(x / 1e3).toFixed(0)} k` : x >= 1e3 ? `${(x / 1e3).toFixed(1)} k` : x.toFixed(0));
const fmtUs = (x) => (x === undefined ? '—' : x >= 100 ? x.toFixed(0) : x.toFixed(1));

// --- servers --------------------------------------------------------------------------------

// --- the load process ---------------------------------------------------------------------------

class LoadProcess {
  static async start(targets) {
    const execArgv = CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(CPU_PROF, Object.keys(targets).join('+'))] : [];
    const child = fork(path.join(here, 'processes/load.mjs'), [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const p = new LoadProcess(child);
    const ready = p.answer('setup');
    child.send({ type: 'setup', targets });
    try {
      await withTimeout(ready, 20_000, 'load process setup');
    } catch (e) {
      await p.stop();
      throw e;
    }
    return p;
  }

  constructor(child) {
    this.child = child;
    this.waiting = new Map();
    this.nextId = 1;
    this.exited = new Promise((r) => child.once('exit', r));
    child.on('message', (m) => {
      const id = m.type === 'ready' ? 'setup' : m.type === 'stopped' ? 'stop' : m.id ?? 'setup';
      const w = this.waiting.get(id);
      if (!w) return;
      this.waiting.delete(id);
      if (m.type === 'error') w.reject(Object.assign(new Error(m.message), { childStack: m.stack }));
      else w.resolve(m);
    });
    child.on('exit', (code, signal) => {
      for (const w of this.waiting.values()) w.reject(new Error(`load process exited (${signal ?? `code ${code}`})`));
      this.waiting.clear();
    });
  }

  answer(id) {
    return new Promise((resolve, reject) => this.waiting.set(id, { resolve, reject }));
  }

  run(request) {
    const id = this.nextId++;
    const p = this.answer(id);
    this.child.send({ type: 'run', id, ...request });
    return withTimeout(p, RUN_TIMEOUT_MS, `row ${request.target}/${request.socket}/${request.mode}`);
  }

  async kill() {
    this.child.kill('SIGKILL');
    await withTimeout(this.exited, 5000, 'load process exit').catch(() => {});
  }

  async stop() {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const p = this.answer('stop');
      try {
        this.child.send({ type: 'stop' });
        await withTimeout(p, 5000, 'load process stop');
      } catch {
        this.child.kill('SIGKILL');
      }
    }
    await withTimeout(this.exited, 5000, 'load process exit').catch(() => this.child.kill('SIGKILL'));
  }
}

// --- main -------------------------------------------------------------------------------------

const started = performance.now();
const loadStart = os.loadavg();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-processes-'));
mkdirSync(path.join(tmp, 'nodis'));
mkdirSync(path.join(tmp, 'redis'));
let server;
let redis;
/**
 * One load process per target (client → server): a client library's garbage and JIT state never
 * slow another's rows (sharing one process cost our client up to half its pipelined rate).
 */
const loads = new Map();
/** This process's own connections, used only between rows to read keys back. */
const checkers = {};
const samples = new Map(ROWS.map((r) => [r.id, []]));
let failures = 0;
/** The round in which the load process was last replaced (its rows warm up fully). */
let coldRound = -1;

let interrupted = false;
let stopping;
const stopAll = () => (stopping ??= (async () => {
  await Promise.all([...loads.values()].map((l) => l.stop().catch(() => {})));
  for (const c of Object.values(checkers)) c.disconnect();
  await server?.close().catch((e) => console.error(`stopping nodis: ${e.message}`));
  await redis?.stop().catch((e) => console.error(`stopping redis-server: ${e.message}`));
  rmSync(tmp, { recursive: true, force: true });
})());
// Ctrl-C mid-run still stops the children and removes the temp dir.
process.once('SIGINT', () => {
  interrupted = true;
  console.error('interrupted: stopping');
  void stopAll().finally(() => process.exit(130));
});

try {
  server = await startServer({ config: { port: '0', unixsocket: 'nodis.sock', nativesocket: 'nodis-native.sock', dir: path.join(tmp, 'nodis') }, logLevel: 'nothing' });
  if (!server.nativesocket) throw new Error('nodis did not open its native socket (config nativesocket)');
  redis = await startRedis(path.join(tmp, 'redis'));
  const where = {
    nodis: { tcp: { host: '127.0.0.1', port: server.port }, unix: server.unixsocket },
    redis: { tcp: { host: '127.0.0.1', port: redis.port }, unix: redis.sock },
  };
  // The native target has the native socket as its only way in.
  const whereOf = (t) => (t.native ? { native: true, unix: server.nativesocket } : where[t.server]);
  for (const s of ['nodis', 'redis']) {
    checkers[s] = new Redis({ host: '127.0.0.1', port: where[s].tcp.port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    checkers[s].on('error', () => {});
    await checkers[s].connect();
  }
  const targets = Object.fromEntries(TARGETS.map((t) => [t.id, { client: t.client, ...whereOf(t) }]));
  const startLoad = (id) => LoadProcess.start({ [id]: targets[id] });
  for (const id of Object.keys(targets)) loads.set(id, await startLoad(id));
  console.error(`${QUICK ? 'quick (smoke) run: ' : ''}${ROWS.length} rows × ${ROUNDS} round${ROUNDS > 1 ? 's' : ''} of ${SECONDS} s; nodis on ${server.port}, ${server.unixsocket} and ${server.nativesocket} (native), redis-server on ${redis.port} and ${redis.sock}`);

  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ROWS : [...ROWS].reverse();
    for (const row of order) {
      if (interrupted) break;
      // INCR rows count on a fresh key; SET/GET rows reuse one set of keys per target, socket
      // and size (the load process fills the GET keys once).
      const key = row.mode.id.startsWith('incr-') ? `processes:${row.id}:${round}` : `processes:${row.target.id}/${row.socket}/${row.mode.id.split('-')[1]}`;
      const rowStart = performance.now();
      const hungBefore = samples.get(row.id).find((s) => /\(hung\)/.test(s.error ?? ''));
      if (hungBefore !== undefined && !RETRY_HUNG) {
        samples.get(row.id).push({ round: round + 1, error: `not run: hung in round ${hungBefore.round}`, skipped: true });
        process.stderr.write(`round ${round + 1}/${ROUNDS} ${row.id.padEnd(40)} skipped (hung in round ${hungBefore.round})\n`);
        continue;
      }
      let result;
      try {
        if (!loads.has(row.target.id)) {
          loads.set(row.target.id, await startLoad(row.target.id));
          // A replaced load process is cold: full warm-ups for the rest of this round.
          coldRound = round;
        }
        result = await loads.get(row.target.id).run({
          target: row.target.id, socket: row.socket, mode: row.mode.id, key,
          seconds: SECONDS, warmup: round === 0 || round === coldRound ? WARMUP : REWARM, maxOps: MAX_OPS, sample: row.mode.latency === true,
        });
        delete result.type;
        delete result.id;
        // Read back over this process's own connection.
        const checker = checkers[row.target.server];
        if (row.mode.id.startsWith('incr-')) {
          const value = Number(await checker.get(key));
          result.check = value === result.totalOps ? 'ok' : `${key} is ${value}, ${result.totalOps} INCRs counted`;
        } else {
          const value = await checker.get(result.checkKey);
          result.check = value !== null && value.length === result.valueLength && value.startsWith(result.valueHead) ? 'ok'
            : `${result.checkKey} holds ${value === null ? 'nothing' : `${value.length} bytes`}, expected ${result.valueLength}`;
        }
      } catch (e) {
        if (interrupted) break;
        result = { error: e.message, stack: e.childStack ?? e.stack };
        console.error(`round ${round + 1}, ${row.id}: ${e.message}${e.childStack ? `\n${e.childStack}` : ''}`);
        const load = loads.get(row.target.id);
        if (/hung|exited/.test(e.message) && load !== undefined) {
          // A hung or dead load process cannot run the next row: replace it. Killed, not asked
          // to stop: closing a connection politely would wait behind the reply that never came.
          await load.kill();
          loads.delete(row.target.id);
        }
      }
      if (result.check !== undefined && result.check !== 'ok') console.error(`round ${round + 1}, ${row.id}: check failed: ${result.check}`);
      if (result.error !== undefined || (result.check !== undefined && result.check !== 'ok')) failures++;
      if (result.error === undefined) result.opsPerSec = result.ops / result.seconds;
      samples.get(row.id).push({ round: round + 1, ...result });
      process.stderr.write(`round ${round + 1}/${ROUNDS} ${row.id.padEnd(40)} ${(result.error ? 'ERROR' : `${fmt(result.opsPerSec)}/s`).padEnd(10)} (${((performance.now() - rowStart) / 1000).toFixed(1)} s)\n`);
    }
  }
} finally {
  await stopAll();
}

// --- report ---------------------------------------------------------------------------------

const rows = ROWS.map((row) => {
  const ok = samples.get(row.id).filter((s) => s.error === undefined);
  const out = {
    id: row.id, client: row.target.client, server: row.target.server, target: row.target.label,
    ...(row.target.native ? { protocol: 'native' } : {}),
    socket: row.socket, mode: row.mode.id, modeLabel: row.mode.label,
    opsPerSec: ok.length ? median(ok.map((s) => s.opsPerSec)) : undefined,
    p50Us: row.mode.latency && ok.length ? median(ok.map((s) => s.p50Us)) : undefined,
    p90Us: row.mode.latency && ok.length ? median(ok.map((s) => s.p90Us)) : undefined,
    p99Us: row.mode.latency && ok.length ? median(ok.map((s) => s.p99Us)) : undefined,
    rounds: samples.get(row.id).map(({ stack, checkKey, valueHead, ...s }) => s),
  };
  const problems = samples.get(row.id).filter((s) => s.error !== undefined || (s.check !== undefined && s.check !== 'ok'));
  out.status = problems.length === 0 ? 'ok' : problems.map((s) => `round ${s.round}: ${s.error ?? s.check}`).join('; ');
  // For the table: "hung in rounds 1, 3" rather than the whole message each time (the JSON has it).
  const hung = problems.filter((s) => /\(hung\)/.test(s.error ?? ''));
  const other = problems.filter((s) => !hung.includes(s));
  out.problem = [
    ...(hung.length ? [`no reply, hung (round${hung.length > 1 ? 's' : ''} ${hung.map((s) => s.round).join(', ')})`] : []),
    ...other.filter((s) => !s.skipped).map((s) => `round ${s.round}: ${s.error ?? s.check}`),
    ...(other.some((s) => s.skipped) ? [`not re-run in round${other.filter((s) => s.skipped).length > 1 ? 's' : ''} ${other.filter((s) => s.skipped).map((s) => s.round).join(', ')} (--retry-hung)`] : []),
  ].join('; ');
  return out;
});
for (const r of rows) if (r.problem === '') delete r.problem;
const byId = new Map(rows.map((r) => [r.id, r]));
for (const r of rows) {
  const base = byId.get(`${BASELINE}/${r.socket}/${r.mode}`);
  if (r.id.split('/')[0] !== BASELINE && base?.opsPerSec && r.opsPerSec) r.ratioToIoredisRedis = Number((r.opsPerSec / base.opsPerSec).toFixed(2));
}

console.log(`\nFrom a second process (fork), median of ${ROUNDS} alternating round${ROUNDS > 1 ? 's' : ''} of ${SECONDS} s; ${os.cpus().length} CPUs, Node ${process.version}, load average ${loadStart.map((x) => x.toFixed(1)).join(' ')} at the start, ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} at the end.`);
if (QUICK) console.log('QUICK (smoke) run: rounds too short to compare; this only shows that every row runs and checks out.');
console.log('nodis: startServer() in the bench process (owner = a worker thread); redis-server: a fresh child. Ratios ÷ ioredis → redis-server in the same mode and socket.');
const extra = OURS_REDIS ? ' our client → redis-server |' : '';
console.log(`| mode | socket | native unix:// → nodis | our client → nodis | ioredis → nodis | ioredis → redis-server |${extra} native÷redis | ours÷redis | ioredis→nodis ÷ redis | check |`);
console.log(`|---|---|---|---|---|---|${OURS_REDIS ? '---|' : ''}---|---|---|---|`);
const cell = (r) => (r === undefined ? '—' : r.opsPerSec === undefined ? 'ERROR' : `${fmt(r.opsPerSec)}/s${r.p50Us !== undefined ? ` (p50 ${fmtUs(r.p50Us)} µs, p99 ${fmtUs(r.p99Us)})` : ''}`);
const ratio = (r) => (r?.ratioToIoredisRedis === undefined ? '—' : `${r.ratioToIoredisRedis.toFixed(2)}×`);
for (const g of GROUPS) {
  const get = (t) => byId.get(`${t}/${g.socket}/${g.mode.id}`);
  const group = TARGETS.map((t) => get(t.id)).filter((r) => r !== undefined);
  const status = group.every((r) => r.status === 'ok') ? 'ok' : group.filter((r) => r.status !== 'ok').map((r) => `${r.target}: ${r.problem}`).join('; ');
  const native = get(NATIVE);
  const nativeCell = native === undefined ? 'n/a (Unix only)' : cell(native);
  const nativeRatio = native === undefined ? 'n/a' : ratio(native);
  console.log(`| ${g.mode.label} | ${g.socket} | ${nativeCell} | ${cell(get('ours-nodis'))} | ${cell(get('ioredis-nodis'))} | ${cell(get('ioredis-redis'))} |${OURS_REDIS ? ` ${cell(get('ours-redis'))} |` : ''} ${nativeRatio} | ${ratio(get('ours-nodis'))} | ${ratio(get('ioredis-nodis'))} | ${status} |`);
}

const notes = [];
if (QUICK) notes.push(`quick (smoke) run: ${ROUNDS} round of ${SECONDS} s per row; the numbers only show that the rows run.`);
if (GROUPS.some((g) => g.mode.id !== 'incr-await' && !g.mode.latency) && !OURS_REDIS) {
  notes.push('pipelined rows are mostly bound by the client (compare ioredis → nodis with ioredis → redis-server): there "ours÷redis" and "native÷redis" compare our client with ioredis more than nodis with redis-server; --ours-redis adds our client → redis-server.');
}
if (rows.some((r) => /\(hung\)/.test(r.status))) {
  notes.push(`"hung": the load process had no reply ${RUN_TIMEOUT_MS / 1000} s into a run (warm-up and measurement take ${WARMUP + SECONDS} s); it was killed and replaced, and the next row went on${RETRY_HUNG ? '' : '; a row that hung is not re-run in later rounds (--retry-hung re-runs it)'}.`);
}
for (const n of notes) console.log(`note: ${n}`);

/** The issue's targets, with what was measured: the native rows first, then the resp client's for comparison. */
const targets = [];
const bestIncrPipelined = (targetId) => rows.filter((r) => r.id.startsWith(`${targetId}/`) && /^incr-(pipeline|all)-/.test(r.mode) && r.opsPerSec !== undefined)
  .sort((a, b) => b.opsPerSec - a.opsPerSec)[0];
const metText = (ok) => (ok ? 'met' : 'not met');
{
  const best = bestIncrPipelined(NATIVE);
  const resp = bestIncrPipelined('ours-nodis');
  targets.push({
    target: 'native pipelined INCR ≥ 1 M ops/s from one client process', row: best?.id, goal: 1_000_000, measured: best?.opsPerSec,
    met: best === undefined ? 'not measured' : metText(best.opsPerSec >= 1e6),
    // "best mode; other native INCR modes; the resp client's best", by mode id (the labels hold parentheses).
    note: [
      best ? best.mode : undefined,
      ...GROUPS.filter((g) => g.socket === 'unix' && /^incr-(pipeline|all)-/.test(g.mode.id)).map((g) => byId.get(`${NATIVE}/unix/${g.mode.id}`))
        .filter((r) => r !== undefined && r !== best && r.opsPerSec !== undefined).map((r) => `${r.mode} ${fmt(r.opsPerSec)}/s`),
      resp ? `resp client → nodis ${resp.mode} ${fmt(resp.opsPerSec)}/s (${resp.socket})` : undefined,
    ].filter(Boolean).join('; ') || undefined,
  });
}
const awaitedTarget = (id, what) => {
  const r = byId.get(id);
  if (r === undefined) return;
  const base = byId.get(`${BASELINE}/${r.socket}/incr-await`);
  targets.push({
    target: `${what} awaited INCR one at a time ≥ 1.2× ioredis → redis-server (${r.socket === 'unix' ? 'Unix socket' : 'TCP'})`, row: r.id, goal: 1.2,
    measured: r.ratioToIoredisRedis, met: r.ratioToIoredisRedis === undefined ? 'not measured' : metText(r.ratioToIoredisRedis >= 1.2),
    note: `${r.target} ${fmt(r.opsPerSec)}/s${r.p50Us !== undefined ? ` (p50 ${fmtUs(r.p50Us)} µs)` : ''} vs ioredis → redis-server ${fmt(base?.opsPerSec)}/s${base?.p50Us !== undefined ? ` (p50 ${fmtUs(base.p50Us)} µs)` : ''}`,
  });
};
awaitedTarget(`${NATIVE}/unix/incr-await`, 'native');
// The issue's awaited target is the native one; the resp client's ratios stay for comparison.
for (const socket of sockets) awaitedTarget(`ours-nodis/${socket}/incr-await`, 'for comparison, resp client:');
console.log('\n| issue 6 target | measured | |');
console.log('|---|---|---|');
for (const t of targets) {
  const m = t.measured === undefined ? (t.note ?? 'n/a') : t.goal < 100 ? `${t.measured.toFixed(2)}× (${t.note})` : `${fmt(t.measured)}/s${t.note ? ` (${t.note})` : ''}`;
  console.log(`| ${t.target} | ${m} | ${t.met} |`);
}

mkdirSync(path.join(here, 'results'), { recursive: true });
// The default run writes processes.json; --full and restricted runs write beside it, and a
// quick run to a git-ignored file of its own (its numbers must not replace a real run's).
const partial = modeFilter.length > 0 || opt('sockets', '') !== '';
const file = path.join(here, 'results', QUICK ? 'processes-quick-partial.json' : partial ? 'processes-partial.json' : FULL ? 'processes-full.json' : 'processes.json');
const version = (pkg) => { try { return JSON.parse(readFileSync(path.join(here, '../node_modules', pkg, 'package.json'), 'utf8')).version; } catch { return undefined; } };
writeResults(file, {
  date: new Date().toISOString(),
  node: process.version,
  machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, platform: `${os.platform()} ${os.release()}`, totalMemMB: Math.round(os.totalmem() / 2 ** 20), loadavgStart: loadStart, loadavgEnd: os.loadavg() },
  redis: spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout.trim(),
  ioredis: version('ioredis'),
  command: `node ${process.argv.slice(1).map((a) => path.relative(process.cwd(), a) || a).join(' ')}`,
  options: { rounds: ROUNDS, seconds: SECONDS, warmup: WARMUP, rewarm: REWARM, full: FULL, quick: QUICK, sockets, modes: modeFilter.length ? modeFilter : 'default', oursRedis: OURS_REDIS },
  method: 'load from forked child processes, one per client → server target; nodis owner = a worker thread of the bench process; redis-server a fresh child (--save "" --appendonly no); medians of alternating rounds; every reply checked in the child, keys read back by the parent; p50/p90/p99 from 1 in 16 awaited ops',
  native: `${NATIVE} rows: @nodis/client over unix://<nativesocket> (nodis's native protocol, MessagePack frames; Unix socket only)`,
  seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
  rows,
  targets,
  notes,
}, started);
exitWhenDone('bench/processes.js', failures);
