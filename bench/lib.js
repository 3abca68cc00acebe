// Helpers the bench scripts share (counters.js, processes.js, vs-redis.js, and the load code
// that runs in their workers and child processes).
import net from 'node:net';
import path from 'node:path';
import { existsSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';

/** `--name value` from the command line, or `def`. */
export function opt(args, name, def) {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? def : args[i + 1];
}

export const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Rejects with "<what>: no answer after N s (hung)" when `promise` takes longer than ms. */
export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer after ${ms / 1000} s (hung)`)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A free loopback TCP port. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
    s.on('error', reject);
  });
}

/** p50/p90/p99 in µs of latency samples in ns. */
export function percentiles(samples) {
  if (samples.length === 0) return {};
  const s = Float64Array.from(samples).sort();
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))] / 1000;
  return { p50Us: at(0.5), p90Us: at(0.9), p99Us: at(0.99), samples: s.length };
}

/** Whole batches: `batchOp()` issues `batch` ops and resolves when all are answered. */
export async function runBatches(batchOp, batch, seconds, maxOps) {
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let ops = 0;
  while (ops < maxOps) {
    await batchOp();
    ops += batch;
    if (performance.now() >= deadline) break;
  }
  return { ops, seconds: (performance.now() - start) / 1000 };
}

/** Per-op latency is sampled on 1 op in SAMPLE_EVERY (two hrtime reads per sample). */
export const SAMPLE_EVERY = 16;

/**
 * `op(i)` awaited one at a time, `chunk` ops between clock reads, until `seconds` pass or
 * maxOps; with `sample`, the latency of 1 op in SAMPLE_EVERY (at most maxSamples).
 */
export async function runAwaited(op, seconds, maxOps, sample, { chunk, maxSamples }) {
  const lat = [];
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let ops = 0;
  while (ops < maxOps) {
    for (let j = 0; j < chunk; j++) {
      if (sample && j % SAMPLE_EVERY === 0 && lat.length < maxSamples) {
        const t0 = process.hrtime.bigint();
        await op(ops + j);
        lat.push(Number(process.hrtime.bigint() - t0));
      } else {
        await op(ops + j);
      }
    }
    ops += chunk;
    if (performance.now() >= deadline) break;
  }
  return { ops, seconds: (performance.now() - start) / 1000, ...(sample ? percentiles(lat) : {}) };
}

/**
 * Exits with a clear message unless every named option is a positive number (warmup may be 0),
 * redis-server is installed and the packages are built.
 */
export function checkPrerequisites(here, options) {
  for (const [name, v] of options) {
    if (!Number.isFinite(v) || v < 0 || (name !== 'warmup' && v === 0)) {
      console.error(`--${name} must be a positive number`);
      process.exit(2);
    }
  }
  if (spawnSync('sh', ['-c', 'command -v redis-server']).status !== 0) {
    console.error('redis-server is not installed (apt-get install redis-server)');
    process.exit(1);
  }
  for (const pkg of ['client', 'server']) {
    if (!existsSync(path.join(here, `../packages/${pkg}/dist/index.js`))) {
      console.error(`packages/${pkg}/dist is missing: run npx turbo run build --output-logs=errors-only`);
      process.exit(1);
    }
  }
}

/** Writes a results file and says where, with the run's duration. */
export function writeResults(file, data, started) {
  writeFileSync(file, JSON.stringify(data, null, 2) + '\n');
  console.log(`\nwritten ${path.relative(process.cwd(), file)} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

/**
 * Sets the exit code (1 when a row failed). Everything should be closed by now; if some handle
 * still keeps the loop alive 5 s later, says so and leaves.
 */
export function exitWhenDone(script, failures) {
  setTimeout(() => {
    console.error(`${script}: something still holds the event loop 5 s after the end; exiting`);
    process.exit(failures ? 1 : 0);
  }, 5000).unref();
  process.exitCode = failures ? 1 : 0;
}

/** True once `where` (a socket path, or { port } on 127.0.0.1) accepts a connection. */
export const canConnect = (where) => new Promise((r) => {
  const s = typeof where === 'string' ? net.connect(where) : net.connect(where.port, '127.0.0.1');
  s.on('connect', () => { s.destroy(); r(true); });
  s.on('error', () => r(false));
});

/**
 * A throwaway redis-server (no persistence) on a free loopback port and a Unix socket `redis.sock`
 * in `dir`; resolves once both accept connections, to { port, sock, stop }.
 */
export async function startRedis(dir) {
  const port = await freePort();
  const sock = path.join(dir, 'redis.sock');
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--unixsocket', sock, '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning'], { stdio: 'ignore' });
  let exited = false;
  const exit = new Promise((r) => child.once('exit', () => { exited = true; r(); }));
  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exit;
    clearTimeout(t);
  };
  for (let i = 0; !(await canConnect(sock)) || !(await canConnect({ port })); i++) {
    if (exited || i >= 200) {
      await stop();
      throw new Error(`redis-server did not start (port ${port}, ${sock})`);
    }
    await sleep(25);
  }
  return { port, sock, stop };
}
