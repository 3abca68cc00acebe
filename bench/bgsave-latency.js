// BGSAVE while serving: how long does a snapshot of N keys stop other clients?
//
//   npx turbo run build && node bench/bgsave-latency.js [--keys 10000000] [--quick]
//
// Fills nodis and redis-server (appendonly no, no save points) with N small keys through
// redis-benchmark, then runs BGSAVE while a client sends PING after PING (awaited, one at a
// time) and records every round trip until the save is done. Reports the longest round trip,
// p99, the save's duration and the file size; writes bench/results/bgsave-latency.json.
// redis-server forks (the kernel copies pages on write); nodis writes the snapshot on the owner
// in 2 ms slices with copy-on-write by key (docs/architecture.md, "BGSAVE without fork").
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkPrerequisites, exitWhenDone, freePort, opt, sleep, withTimeout, writeResults } from './lib.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const keys = Number(opt(args, 'keys', quick ? 1_000_000 : 10_000_000));
checkPrerequisites(here, [['keys', keys]]);
const started = performance.now();

/** One RESP connection with awaited commands (enough for PING, BGSAVE, INFO). */
function connect(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    let buffered = '';
    const waiting = [];
    socket.setEncoding('latin1');
    socket.on('data', (d) => {
      buffered += d;
      for (;;) {
        const reply = parseOne(buffered);
        if (reply === undefined) break;
        buffered = buffered.slice(reply.length);
        waiting.shift()?.(reply.value);
      }
    });
    socket.once('error', reject);
    socket.once('connect', () => resolve({
      call(...argv) {
        socket.write(`*${argv.length}\r\n${argv.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join('')}`);
        return new Promise((r) => waiting.push(r));
      },
      close() { socket.destroy(); },
    }));
  });
}

/** Parses one simple/error/integer/bulk reply: { value, length } or undefined. */
function parseOne(s) {
  const end = s.indexOf('\r\n');
  if (end < 0) return undefined;
  const head = s[0];
  if (head === '$') {
    const n = Number(s.slice(1, end));
    if (n < 0) return { value: null, length: end + 2 };
    if (s.length < end + 2 + n + 2) return undefined;
    return { value: s.slice(end + 2, end + 2 + n), length: end + 2 + n + 2 };
  }
  return { value: s.slice(1, end), length: end + 2 };
}

async function waitForPort(port) {
  for (let i = 0; i < 300; i++) {
    try {
      const c = await connect(port);
      const pong = await withTimeout(c.call('PING'), 5000, 'PING');
      c.close();
      if (pong === 'PONG') return;
    } catch { /* not up yet */ }
    await sleep(100);
  }
  throw new Error(`no server on port ${port}`);
}

async function measure(name, command) {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), `nodis-bgsave-${name}-`));
  const child = spawn(command[0], [...command.slice(1), '--port', String(port), '--dir', dir], { stdio: 'ignore' });
  try {
    await waitForPort(port);
    const fill = spawnSync('redis-benchmark', ['-p', String(port), '-t', 'set', '-n', String(keys), '-r', String(keys), '-d', '10', '-P', '64', '-q'], { encoding: 'utf8', timeout: 600_000 });
    if (fill.status !== 0) throw new Error(`redis-benchmark failed: ${fill.stderr}`);
    const c = await connect(port);
    const dbsize = Number(await c.call('DBSIZE'));
    const pinger = await connect(port);
    // Idle round trips first, for comparison.
    const idle = [];
    for (let i = 0; i < 2000; i++) {
      const t = process.hrtime.bigint();
      await pinger.call('PING');
      idle.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    const t0 = performance.now();
    const reply = await c.call('BGSAVE');
    const during = [];
    let saving = true;
    const deadline = t0 + 600_000;
    let polls = 0;
    while (saving && performance.now() < deadline) {
      const t = process.hrtime.bigint();
      await pinger.call('PING');
      during.push(Number(process.hrtime.bigint() - t) / 1e6);
      if (++polls % 50 === 0) {
        const info = await c.call('INFO', 'persistence');
        saving = /rdb_bgsave_in_progress:1/.test(info);
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    const file = path.join(dir, 'dump.rdb');
    const size = statSync(file, { throwIfNoEntry: false })?.size ?? 0;
    c.close();
    pinger.close();
    const sorted = [...during].sort((a, b) => a - b);
    const idleSorted = [...idle].sort((a, b) => a - b);
    return {
      server: name, keys: dbsize, bgsave: reply, seconds: Number(seconds.toFixed(2)), fileBytes: size,
      pings: during.length,
      maxMs: Number(sorted[sorted.length - 1].toFixed(2)),
      p99Ms: Number(sorted[Math.floor(sorted.length * 0.99)].toFixed(3)),
      p50Ms: Number(sorted[Math.floor(sorted.length * 0.5)].toFixed(3)),
      idleP99Ms: Number(idleSorted[Math.floor(idleSorted.length * 0.99)].toFixed(3)),
    };
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

const rows = [];
let failures = 0;
for (const [name, command] of [
  ['nodis', ['node', path.join(here, '../packages/server/dist/bin.js'), '--appendonly', 'no', '--save', '', '--unixsocket', '', '--nativesocket', '', '--loglevel', 'warning']],
  ['redis-server', ['redis-server', '--appendonly', 'no', '--save', '', '--loglevel', 'warning']],
]) {
  try {
    const row = await measure(name, command);
    rows.push(row);
    console.log(`${name.padEnd(13)} ${row.keys} keys: BGSAVE ${row.seconds} s, ${(row.fileBytes / 1e6).toFixed(1)} MB; PING during it: ${row.pings} round trips, p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms, max ${row.maxMs} ms (idle p99 ${row.idleP99Ms} ms)`);
  } catch (e) {
    failures++;
    console.error(`${name}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
writeResults(path.join(here, 'results/bgsave-latency.json'), { date: new Date().toISOString(), keys, rows }, started);
exitWhenDone('bgsave-latency.js', failures);
