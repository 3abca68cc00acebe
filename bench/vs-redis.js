#!/usr/bin/env node
// Side by side: redis-benchmark against nodis-server and a fresh redis-server, in the same run,
// alternating A/B rounds, same client binary, same flags. Prints a table of medians and ratios
// and writes bench/results/vs-redis.json.
//
//   npm run build && node bench/vs-redis.js [--rounds 3] [--requests 100000] [--clients 50] [--unix]
//     [--tests set,get,incr] [--pipelines 1,16] [--name collections]
//
// Both servers get one core's worth of work on this 2-core machine; redis-benchmark takes the other.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? def : args[i + 1];
};
const ROUNDS = Number(opt('rounds', 3));
const REQUESTS = Number(opt('requests', 100000));
const CLIENTS = Number(opt('clients', 50));
const UNIX = args.includes('--unix');
// redis-benchmark test names; issue 3's collection row: --tests lpush,rpop,sadd,hset,spop,lrange_100
const TESTS = opt('tests', 'set,get,incr').split(',');
const PIPELINES = opt('pipelines', '1,16').split(',').map(Number);

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}
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

function runBenchmark(server, pipeline) {
  const target = UNIX ? ['-s', server.sock] : ['-h', '127.0.0.1', '-p', String(server.port)];
  const r = spawnSync('redis-benchmark', [...target, '-t', TESTS.join(','), '-n', String(REQUESTS), '-c', String(CLIENTS), '-P', String(pipeline), '--csv'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`redis-benchmark failed: ${r.stderr}`);
  const out = {};
  for (const line of r.stdout.trim().split('\n').slice(1)) {
    const cells = line.split(',').map((c) => c.replace(/"/g, ''));
    // redis-benchmark names rows like "LRANGE_100 (first 100 elements)": keep the test name.
    out[cells[0].split(' ')[0].toLowerCase()] = { rps: Number(cells[1]), p50: Number(cells[5]), p99: Number(cells[7]) };
  }
  return out;
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

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
      for (const P of PIPELINES) {
        const res = runBenchmark(server, P);
        for (const t of TESTS) ((((samples[kind] ??= {})[P] ??= {})[t] ??= [])).push(res[t]);
      }
    } finally {
      await server.stop();
    }
  }
}
const rows = [];
for (const P of PIPELINES) {
  for (const t of TESTS) {
    const n = samples.nodis[P][t];
    const r = samples.redis[P][t];
    const row = {
      test: t.toUpperCase(), pipeline: P,
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
