#!/usr/bin/env node
// nodis-cli --pipe against redis-cli --pipe (issue 9): mass insertion of a generated RESP file
// of --keys `SET key:N value:N` into one fresh redis-server, by each CLI in turn.
// Target: nodis-cli ≥ 0.8× redis-cli's rate.
//
//   npx turbo run build --output-logs=errors-only && node bench/cli-pipe.js [--keys 1000000] [--rounds 3] [--quick]
//
// Method: the file is written once to a temp dir (≈ 49 MB for 1M keys) and read by each run
// from its stdin (a regular file, as `cmd < file`). Before every run the server is emptied
// (FLUSHALL) so each CLI inserts into an empty keyspace; the time is the child's wall time from
// spawn to exit (process start included: that is what a user waits for), and a run counts only
// if it printed `errors: 0, replies: N` and DBSIZE is N afterwards. Rounds alternate the order;
// medians are reported, and the ratio of the medians. Both CLIs and the server share this
// machine's 2 cores; compare ratios from one run, never absolute figures across runs
// (PERFORMANCE.md). --quick (100k keys, 1 round) writes cli-pipe-quick-partial.json instead.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, withTimeout, opt as optOf, checkPrerequisites, writeResults, exitWhenDone, startRedis } from './lib.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, def) => optOf(args, name, def);
const QUICK = args.includes('--quick') || /^(1|true|yes)$/i.test(process.env.NODIS_BENCH_QUICK ?? '');
const KEYS = Number(opt('keys', QUICK ? 100_000 : 1_000_000));
const ROUNDS = Number(opt('rounds', QUICK ? 1 : 3));
checkPrerequisites(here, [['keys', KEYS], ['rounds', ROUNDS]]);
const CLI = path.join(here, '../packages/cli/dist/bin.js');
if (!existsSync(CLI)) {
  console.error('packages/cli/dist is missing: run npx turbo run build --output-logs=errors-only');
  process.exit(1);
}
if (spawnSync('sh', ['-c', 'command -v redis-cli']).status !== 0) {
  console.error('redis-cli is not installed (apt-get install redis-tools)');
  process.exit(1);
}

const started = performance.now();
const dir = mkdtempSync(path.join(os.tmpdir(), 'nodis-bench-cli-pipe-'));
const file = path.join(dir, 'insert.resp');

/** The input: `SET key:N value:N` as RESP, written in blocks of 10k commands. */
function writeInput() {
  const fd = openSync(file, 'w');
  for (let from = 1; from <= KEYS; from += 10_000) {
    let block = '';
    for (let i = from; i < from + 10_000 && i <= KEYS; i++) {
      const key = `key:${i}`;
      const value = `value:${i}`;
      block += `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${value.length}\r\n${value}\r\n`;
    }
    writeSync(fd, block, null, 'latin1');
  }
  closeSync(fd);
}
writeInput();
const bytes = statSync(file).size;

const redis = await startRedis(dir);
const redisCli = (...argv) => spawnSync('redis-cli', ['-p', String(redis.port), ...argv], { encoding: 'utf8' });

/** One insertion: the CLI's wall time with the file on stdin, checked by its summary and DBSIZE. */
async function insert(command, argv) {
  if (redisCli('FLUSHALL').stdout.trim() !== 'OK') throw new Error('FLUSHALL failed');
  const input = openSync(file, 'r');
  const t0 = performance.now();
  const child = spawn(command, argv, { stdio: [input, 'pipe', 'pipe'] });
  closeSync(input);
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const code = await withTimeout(new Promise((resolve) => child.on('close', resolve)), 300_000, `${command} --pipe`)
    .catch((e) => { child.kill('SIGKILL'); throw e; });
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0 || !out.includes(`errors: 0, replies: ${KEYS}\n`)) throw new Error(`exit code ${code}: ${out}${err}`);
  const dbsize = Number(redisCli('DBSIZE').stdout.trim());
  if (dbsize !== KEYS) throw new Error(`DBSIZE ${dbsize} after inserting ${KEYS} keys`);
  return { seconds, rate: KEYS / seconds };
}

const TARGETS = [
  { id: 'redis-cli', label: 'redis-cli --pipe', run: () => insert('redis-cli', ['-p', String(redis.port), '--pipe']) },
  { id: 'nodis-cli', label: 'nodis-cli --pipe (node dist/bin.js)', run: () => insert(process.execPath, [CLI, '-p', String(redis.port), '--pipe']) },
];

const results = {};
let failures = 0;
console.log(`${KEYS.toLocaleString('en')} SETs, ${(bytes / 1e6).toFixed(1)} MB of RESP, into redis-server on 127.0.0.1:${redis.port}`);
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? TARGETS : [...TARGETS].reverse();
  for (const t of order) {
    try {
      const r = await t.run();
      (results[t.id] ??= []).push(r);
      console.log(`round ${round + 1} ${t.id}: ${r.seconds.toFixed(2)} s, ${Math.round(r.rate).toLocaleString('en')} keys/s`);
    } catch (e) {
      failures++;
      console.error(`round ${round + 1} ${t.id}: FAILED: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

const summary = {};
for (const t of TARGETS) {
  const runs = results[t.id] ?? [];
  summary[t.id] = {
    label: t.label,
    rate: runs.length ? median(runs.map((r) => r.rate)) : undefined,
    seconds: runs.length ? median(runs.map((r) => r.seconds)) : undefined,
    runs: runs.map((r) => Math.round(r.rate)),
  };
}
const base = summary['redis-cli'].rate;
const ours = summary['nodis-cli'].rate;
const ratio = base && ours ? ours / base : undefined;
console.log(`\nkeys/s inserted (median of ${ROUNDS}), ratio to redis-cli --pipe:`);
for (const t of TARGETS) {
  const s = summary[t.id];
  const r = s.rate && base ? s.rate / base : undefined;
  console.log(`  ${t.label.padEnd(36)} ${s.rate === undefined ? '—'.padStart(10) : Math.round(s.rate).toLocaleString('en').padStart(10)} keys/s  ${s.seconds === undefined ? '' : `${s.seconds.toFixed(2)} s`}  ${r === undefined ? '' : `${r.toFixed(2)}×`}`);
}
const target = { need: 0.8, ratio, met: (ratio ?? 0) >= 0.8 };
console.log(`\ntarget: nodis-cli ≥ 0.8× redis-cli: ${ratio === undefined ? '—' : `${ratio.toFixed(2)}×`} ${target.met ? 'met' : 'NOT met'}`);

await redis.stop();
rmSync(dir, { recursive: true, force: true });
const out = path.join(here, 'results', QUICK ? 'cli-pipe-quick-partial.json' : 'cli-pipe.json');
writeResults(out, { date: new Date().toISOString(), keys: KEYS, bytes, rounds: ROUNDS, summary, target }, started);
exitWhenDone('cli-pipe.js', failures);
