#!/usr/bin/env node
// Side by side: redis-benchmark against nodis-server and a fresh redis-server, in the same run,
// alternating A/B rounds, same client binary, same flags. Prints a table of medians and ratios
// and writes bench/results/vs-redis.json.
//
//   npm run build && node bench/vs-redis.js [--rounds 3] [--requests 100000] [--clients 50] [--unix]
//     [--tests set,get,incr] [--pipelines 1,16] [--name collections]
//     [--preload-zset zbig:1000000] [--random 1000000]
//     [--custom 'ZRANK zbig member:__rand_int__|ZRANGEBYSCORE zbig __rand_int__ +inf LIMIT 0 10']
//
// --preload-zset KEY:N fills a sorted set with N members `member:%012d` scored 0..N-1 in each
// fresh server before the rounds (redis-benchmark's __rand_int__ is a 12-digit number below
// --random). --custom runs each `|`-separated command as its own row (--tests '' for none).
//
// Both servers get one core's worth of work on this 2-core machine; redis-benchmark takes the other.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, freePort, opt as optOf } from './lib.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, def) => optOf(args, name, def);
const ROUNDS = Number(opt('rounds', 3));
const REQUESTS = Number(opt('requests', 100000));
const CLIENTS = Number(opt('clients', 50));
const UNIX = args.includes('--unix');
// redis-benchmark test names; issue 3's collection row: --tests lpush,rpop,sadd,hset,spop,lrange_100
const TESTS = opt('tests', 'set,get,incr').split(',');
const PIPELINES = opt('pipelines', '1,16').split(',').map(Number);
const CUSTOM = opt('custom', '').split('|').filter(Boolean);
const RANDOM = opt('random', '');
const PRELOAD = opt('preload-zset', '');
/** Row names: the test names, then each custom command's first word (numbered if repeated). */
const customName = (c, i) => `${c.split(' ')[0].toLowerCase()}#${i + 1}`;
const ROWS = [...TESTS.filter(Boolean), ...CUSTOM.map(customName)];

async function waitFor(port, sock) {
  for (let i = 0; i < 400; i++) {
    const ok = await new Promise((r) => {
      const s = sock ? net.connect(sock) : net.connect(port, '127.0.0.1');
      s.on('connect', () => { s.destroy(); r(true); });
      s.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('server did not start');
}

async function start(kind) {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), `bench-${kind}-`));
  const sock = path.join(dir, `${kind}.sock`);
  const child = kind === 'redis'
    ? spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--unixsocket', sock, '--loglevel', 'warning'], { stdio: 'ignore' })
    : spawn(process.execPath, [path.join(here, '../packages/server/dist/bin.js'), '--port', String(port), '--dir', dir, '--unixsocket', sock, '--loglevel', 'warning'], { stdio: 'ignore' });
  await waitFor(port, UNIX ? sock : undefined);
  return {
    port, sock,
    stop: async () => { child.kill('SIGKILL'); await new Promise((r) => child.once('exit', r)); rmSync(dir, { recursive: true, force: true }); },
  };
}

function benchmark(server, pipeline, extra) {
  const target = UNIX ? ['-s', server.sock] : ['-h', '127.0.0.1', '-p', String(server.port)];
  const random = RANDOM ? ['-r', RANDOM] : [];
  const r = spawnSync('redis-benchmark', [...target, '-n', String(REQUESTS), '-c', String(CLIENTS), '-P', String(pipeline), ...random, '--csv', ...extra], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`redis-benchmark failed: ${r.stderr}`);
  return r.stdout.trim().split('\n').slice(1).map((line) => {
    const cells = line.split(',').map((c) => c.replace(/"/g, ''));
    // redis-benchmark names rows like "LRANGE_100 (first 100 elements)": keep the test name.
    return [cells[0].split(' ')[0].toLowerCase(), { rps: Number(cells[1]), p50: Number(cells[5]), p99: Number(cells[7]) }];
  });
}

function runBenchmark(server, pipeline) {
  const out = {};
  if (TESTS.filter(Boolean).length > 0) {
    for (const [name, row] of benchmark(server, pipeline, ['-t', TESTS.join(',')])) out[name] = row;
  }
  CUSTOM.forEach((c, i) => {
    const rows = benchmark(server, pipeline, c.split(' '));
    if (rows.length !== 1) throw new Error(`expected one row for ${c}`);
    out[customName(c, i)] = rows[0][1];
  });
  return out;
}

/** Fills KEY with N members `member:%012d`, scores 0..N-1, 1000 per ZADD, pipelined. */
async function preloadZset(server) {
  const [key, count] = PRELOAD.split(':');
  const n = Number(count);
  const sock = await new Promise((resolve, reject) => {
    const s = UNIX ? net.connect(server.sock) : net.connect(server.port, '127.0.0.1');
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
  const resp = (argv) => `*${argv.length}\r\n${argv.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
  let commands = 0;
  let payload = '';
  for (let i = 0; i < n; i += 1000) {
    const argv = ['ZADD', key];
    for (let j = i; j < Math.min(n, i + 1000); j++) argv.push(String(j), `member:${String(j).padStart(12, '0')}`);
    payload += resp(argv);
    commands++;
  }
  // Each reply is one integer line; wait for all of them.
  await new Promise((resolve) => {
    let lines = 0;
    sock.on('data', (d) => {
      for (const byte of d) if (byte === 10) lines++;
      if (lines >= commands) resolve();
    });
    sock.write(payload);
  });
  sock.destroy();
}


if (spawnSync('sh', ['-c', 'command -v redis-benchmark']).status !== 0) {
  console.error('redis-benchmark is not installed (apt-get install redis-tools)');
  process.exit(1);
}
const samples = {}; // samples[server][P][test] = [{rps,p50,p99}]
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? ['nodis', 'redis'] : ['redis', 'nodis'];
  for (const kind of order) {
    const server = await start(kind);
    try {
      if (PRELOAD) await preloadZset(server);
      for (const P of PIPELINES) {
        const res = runBenchmark(server, P);
        for (const t of ROWS) ((((samples[kind] ??= {})[P] ??= {})[t] ??= [])).push(res[t]);
      }
    } finally {
      await server.stop();
    }
  }
}
const rows = [];
for (const P of PIPELINES) {
  for (const t of ROWS) {
    const n = samples.nodis[P][t];
    const r = samples.redis[P][t];
    const row = {
      test: t.includes('#') ? CUSTOM[Number(t.split('#')[1]) - 1] : t.toUpperCase(), pipeline: P,
      nodis_rps: median(n.map((x) => x.rps)), redis_rps: median(r.map((x) => x.rps)),
      nodis_p50_ms: median(n.map((x) => x.p50)), redis_p50_ms: median(r.map((x) => x.p50)),
      nodis_p99_ms: median(n.map((x) => x.p99)), redis_p99_ms: median(r.map((x) => x.p99)),
    };
    row.ratio = Number((row.nodis_rps / row.redis_rps).toFixed(2));
    rows.push(row);
  }
}
console.log(`redis-benchmark -c ${CLIENTS} -n ${REQUESTS} over ${UNIX ? 'Unix socket' : 'TCP 127.0.0.1'}, median of ${ROUNDS} alternating rounds`);
console.log('| test | -P | nodis rps | redis rps | ratio | nodis p50/p99 ms | redis p50/p99 ms |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.test} | ${r.pipeline} | ${Math.round(r.nodis_rps)} | ${Math.round(r.redis_rps)} | ${r.ratio.toFixed(2)}× | ${r.nodis_p50_ms}/${r.nodis_p99_ms} | ${r.redis_p50_ms}/${r.redis_p99_ms} |`);
}
mkdirSync(path.join(here, 'results'), { recursive: true });
const suffix = opt('name', '') ? `-${opt('name', '')}` : '';
const file = path.join(here, 'results', `vs-redis${suffix}${UNIX ? '-unix' : ''}.json`);
writeFileSync(file, JSON.stringify({
  date: new Date().toISOString(), node: process.version,
  redis: spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout.trim(),
  command: `node ${process.argv.slice(1).map((a) => path.relative(process.cwd(), a) || a).join(' ')}`,
  rows,
}, null, 2) + '\n');
console.log(`written ${path.relative(process.cwd(), file)}`);
