#!/usr/bin/env node
// The engine alone (no I/O): GET/SET/INCR through Engine.execute and the RESP writer, as the
// owner runs them. Target (issue 2): >= 3M ops/s for GET/SET/INCR on this machine; issue 3
// adds LPUSH/RPOP/SADD/SISMEMBER/HSET/HGET; issue 4 sorted sets, bitmaps and HyperLogLog.
//
//   npm run build && node bench/engine.bench.js
import { Bench } from 'tinybench';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../packages/engine/dist/index.js';
import { RespWriter } from '../packages/protocol/dist/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const engine = new Engine();
const writer = new RespWriter(2);
const client = engine.createClient({ reply: writer, kind: 'memory' });
const KEYS = 10_000;
const keys = Array.from({ length: KEYS }, (_, i) => `key:${String(i).padStart(12, '0')}`);
for (const k of keys) engine.execute(client, ['SET', k, 'value:0001']);
writer.take();

// 1000 commands per task call, so tinybench's per-call overhead does not dominate;
// the writer is drained once per batch, as the owner drains it once per read event.
const BATCH = 1000;
let n = 0;
const batch = (argvOf) => () => {
  for (let i = 0; i < BATCH; i++) engine.execute(client, argvOf(n++ % KEYS));
  writer.take();
};
const bench = new Bench({ time: 1500, warmupTime: 300 });
bench
  .add('SET', batch((i) => ['SET', keys[i], 'value:0002']))
  .add('GET', batch((i) => ['GET', keys[i]]))
  .add('INCR', batch((i) => ['INCR', `counter:${i & 255}`]))
  // Collections (issue 3): pushes and pops balance so the list stays small.
  .add('LPUSH', batch((i) => ['LPUSH', `list:${i & 15}`, 'element:0001']))
  .add('RPOP', batch((i) => ['RPOP', `list:${i & 15}`]))
  .add('SADD', batch((i) => ['SADD', `set:${i & 15}`, `member:${i}`]))
  .add('SISMEMBER', batch((i) => ['SISMEMBER', `set:${i & 15}`, `member:${i}`]))
  .add('HSET', batch((i) => ['HSET', `hash:${i & 1023}`, `field:${i & 7}`, 'value:0001']))
  .add('HGET', batch((i) => ['HGET', `hash:${i & 1023}`, `field:${i & 7}`]))
  // Issue 4: sorted sets of 10,000 members (skiplist), bitmaps, HyperLogLog (dense after warm-up).
  .add('ZADD', batch((i) => ['ZADD', `zset:${i & 15}`, String(i & 8191), `member:${i}`]))
  .add('ZSCORE', batch((i) => ['ZSCORE', `zset:${i & 15}`, `member:${i}`]))
  .add('ZRANK', batch((i) => ['ZRANK', `zset:${i & 15}`, `member:${i}`]))
  .add('ZRANGEBYSCORE LIMIT 0 10', batch((i) => ['ZRANGEBYSCORE', `zset:${i & 15}`, String(i & 8191), '+inf', 'LIMIT', '0', '10']))
  .add('SETBIT', batch((i) => ['SETBIT', `bits:${i & 15}`, String(i & 65535), '1']))
  .add('BITCOUNT', batch((i) => ['BITCOUNT', `bits:${i & 15}`]))
  .add('PFADD', batch((i) => ['PFADD', `hll:${i & 15}`, `element:${i}`]))
  .add('PFCOUNT', batch((i) => ['PFCOUNT', `hll:${i & 15}`]));
await bench.run();

const rows = bench.tasks.map((t) => {
  const r = t.result;
  const meanMs = r.latency?.mean ?? r.mean;
  return { command: t.name, ops_per_sec: Math.round((BATCH * 1000) / meanMs) };
});
console.log('engine alone (Engine.execute + RespWriter), commands per second:');
console.table(rows);
mkdirSync(path.join(here, 'results'), { recursive: true });
writeFileSync(path.join(here, 'results', 'engine.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, command: 'node bench/engine.bench.js', rows }, null, 2) + '\n');
