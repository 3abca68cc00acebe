#!/usr/bin/env node
// Bytes per key: 1M keys of 16 bytes with 10-byte values, stored through the SET path of the
// engine, against redis-server's used_memory for the same keys. Also the cost of per-key
// access tracking (an LRU maxmemory-policy): bytes per key and ns per GET.
//
//   npm run build && node bench/memory.js
//   npm run build && node bench/memory.js --zset     (one sorted set of 1M members instead)
//   NODIS_ENGINE=/tmp/enginedist/index.js node bench/memory.js     (a private build)
//   REDIS_PORT=6392 (default) is where a throwaway redis-server is started and shut down.
//
// Method: heapUsed after two global.gc() calls, before and after loading; the argv strings
// are made the way the RESP parser makes them (flat latin1 strings from a Buffer), so what is
// counted is exactly what the store keeps. Redis: used_memory before and after loading the same
// keys with a pipeline, into an empty server started with --save '' --appendonly no.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

if (typeof global.gc !== 'function') {
  // Re-run with --expose-gc.
  const r = spawnSync(process.execPath, ['--expose-gc', ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const here = path.dirname(fileURLToPath(import.meta.url));
const enginePath = process.env.NODIS_ENGINE ?? path.join(here, '../packages/engine/dist/index.js');
const { Engine } = await import(pathToFileURL(enginePath).href);
const N = Number(process.env.KEYS ?? 1_000_000);
const ZSET = process.argv.includes('--zset');
/** --zset: member i is `member:%012d` (19 bytes) with score i * 1.5, added 1000 per ZADD. */
const memberOf = (i) => `member:${String(i).padStart(12, '0')}`;
function* zaddCommands() {
  for (let i = 0; i < N; i += 1000) {
    const argv = ['ZADD', 'zbig'];
    for (let j = i; j < Math.min(N, i + 1000); j++) argv.push(String(j * 1.5), memberOf(j));
    yield argv;
  }
}
const REDIS_PORT = Number(process.env.REDIS_PORT ?? 6392);

/** Key i and value i as the parser would produce them: flat one-byte strings. */
const scratch = Buffer.alloc(16);
function keyOf(i) {
  scratch.write(`key:${String(i).padStart(12, '0')}`, 0, 'latin1');
  return scratch.toString('latin1', 0, 16);
}
function valueOf(i) {
  scratch.write(`v${String(i).padStart(9, '0')}`, 0, 'latin1');
  return scratch.toString('latin1', 0, 10);
}

/** A writer that drops replies: only the store's memory is measured. */
const nullWriter = {
  protocol: 2, simple() {}, error(m) { throw new Error(m); }, int() {}, bulk() {}, null() {}, nullArray() {},
  array() {}, map() {}, set() {}, push() {}, double() {}, bool() {}, verbatim() {},
};

function heapUsed() {
  global.gc();
  global.gc();
  return process.memoryUsage().heapUsed;
}

function measureNodisZset() {
  const engine = new Engine({});
  const client = engine.createClient({ reply: nullWriter, kind: 'memory' });
  const before = heapUsed();
  // The argv strings as the parser makes them (flat latin1 strings from a Buffer), made one
  // command at a time: what the set keeps is counted, the argv garbage is collected.
  for (const argv of zaddCommands()) engine.execute(client, argv.map((a) => Buffer.from(a, 'latin1').toString('latin1')));
  const after = heapUsed();
  const zcard = engine.dbs[0].lookup('zbig').size;
  if (zcard !== N) throw new Error(`expected ${N} members, found ${zcard}`);
  return { bytesPerMember: (after - before) / N, engine };
}

function measureNodis(policy) {
  const engine = new Engine({ config: { 'maxmemory-policy': policy } });
  const client = engine.createClient({ reply: nullWriter, kind: 'memory' });
  const before = heapUsed();
  for (let i = 0; i < N; i++) engine.execute(client, ['SET', keyOf(i), valueOf(i)]);
  const after = heapUsed();
  // GET cost over the loaded keyspace, in a scattered order (a stride coprime with N).
  const keys = Array.from({ length: 200_000 }, (_, j) => keyOf((j * 7919) % N));
  const argvs = keys.map((k) => ['GET', k]);
  for (let round = 0; round < 2; round++) for (const argv of argvs) engine.execute(client, argv); // warm up
  const t0 = process.hrtime.bigint();
  const ROUNDS = 5;
  for (let round = 0; round < ROUNDS; round++) for (const argv of argvs) engine.execute(client, argv);
  const ns = Number(process.hrtime.bigint() - t0) / (ROUNDS * argvs.length);
  const size = engine.dbs[0].size;
  if (size !== N) throw new Error(`expected ${N} keys, found ${size}`);
  return { bytesPerKey: (after - before) / N, nsPerGet: ns, engine };
}

// ------------------------------------------------------------------ redis-server

function connect(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

async function waitForPort(port) {
  for (let i = 0; i < 200; i++) {
    try { (await connect(port)).destroy(); return; } catch { await new Promise((r) => setTimeout(r, 25)); }
  }
  throw new Error(`redis-server did not answer on ${port}`);
}

/** Sends RESP commands, resolves once `replies` replies (lines for +/:/- and bulks) are read. */
function send(sock, payload, replies) {
  return new Promise((resolve) => {
    let text = '';
    let seen = 0;
    const onData = (d) => {
      text += d.toString('latin1');
      // Count complete top-level replies: enough for +OK floods and one bulk (INFO) at a time.
      for (;;) {
        if (text.length === 0) break;
        if (text[0] === '$') {
          const nl = text.indexOf('\r\n');
          if (nl < 0) break;
          const len = Number(text.slice(1, nl));
          if (text.length < nl + 2 + len + 2) break;
          const body = text.slice(nl + 2, nl + 2 + len);
          text = text.slice(nl + 4 + len);
          seen++;
          if (seen === replies) { sock.off('data', onData); resolve(body); return; }
        } else {
          const nl = text.indexOf('\r\n');
          if (nl < 0) break;
          text = text.slice(nl + 2);
          seen++;
          if (seen === replies) { sock.off('data', onData); resolve(''); return; }
        }
      }
    };
    sock.on('data', onData);
    sock.write(payload);
  });
}

const resp = (...argv) => `*${argv.length}\r\n${argv.map((a) => `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`).join('')}`;

async function measureRedis() {
  const which = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  if (which.status !== 0) return undefined;
  const dir = mkdtempSync(path.join(tmpdir(), 'nodis-memory-'));
  const child = spawn('redis-server', ['--port', String(REDIS_PORT), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  try {
    await waitForPort(REDIS_PORT);
    const sock = await connect(REDIS_PORT);
    const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await send(sock, resp('INFO', 'memory'), 1))[1]);
    await send(sock, resp('FLUSHALL'), 1);
    const before = await usedMemory();
    const CHUNK = 10_000;
    if (ZSET) {
      let payload = '';
      let n = 0;
      for (const argv of zaddCommands()) { payload += resp(...argv); n++; }
      await send(sock, payload, n);
    }
    for (let i = 0; i < (ZSET ? 0 : N); i += CHUNK) {
      let payload = '';
      const n = Math.min(CHUNK, N - i);
      for (let j = 0; j < n; j++) payload += resp('SET', keyOf(i + j), valueOf(i + j));
      await send(sock, payload, n);
    }
    const after = await usedMemory();
    const version = /redis_version:([^\r\n]+)/.exec(await send(sock, resp('INFO', 'server'), 1))[1];
    sock.end(resp('SHUTDOWN', 'NOSAVE'));
    return { bytesPerKey: (after - before) / N, usedMemoryMB: after / 1e6, version };
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ run

if (ZSET) {
  const z = measureNodisZset();
  z.engine = undefined;
  heapUsed();
  const redis = await measureRedis();
  const rows = [{ store: 'nodis', bytes_per_member: +z.bytesPerMember.toFixed(1) }];
  if (redis) rows.push({ store: `redis-server ${redis.version} used_memory delta`, bytes_per_member: +redis.bytesPerKey.toFixed(1) });
  console.log(`one sorted set of ${N.toLocaleString('en')} members of 19 bytes, stored with ZADD (1000 per call):`);
  console.table(rows);
  mkdirSync(path.join(here, 'results'), { recursive: true });
  writeFileSync(path.join(here, 'results', 'memory-zset.json'), JSON.stringify({
    date: new Date().toISOString(), node: process.version, members: N, command: 'node bench/memory.js --zset', rows,
  }, null, 2) + '\n');
  process.exit(0);
}

const plain = measureNodis('noeviction');
plain.engine = undefined;
heapUsed();
const lru = measureNodis('allkeys-lru');
lru.engine = undefined;
heapUsed();
const redis = await measureRedis();

const rows = [
  { store: 'nodis (no access tracking: default)', bytes_per_key: +plain.bytesPerKey.toFixed(1), ns_per_get: +plain.nsPerGet.toFixed(0) },
  { store: 'nodis, maxmemory-policy allkeys-lru', bytes_per_key: +lru.bytesPerKey.toFixed(1), ns_per_get: +lru.nsPerGet.toFixed(0) },
];
if (redis) rows.push({ store: `redis-server ${redis.version} used_memory delta`, bytes_per_key: +redis.bytesPerKey.toFixed(1), ns_per_get: null });
console.log(`${N.toLocaleString('en')} keys of 16 bytes, 10-byte values, stored with SET:`);
console.table(rows);
mkdirSync(path.join(here, 'results'), { recursive: true });
writeFileSync(path.join(here, 'results', 'memory.json'), JSON.stringify({
  date: new Date().toISOString(), node: process.version, keys: N, command: 'node bench/memory.js', rows,
}, null, 2) + '\n');
