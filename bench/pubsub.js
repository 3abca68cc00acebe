#!/usr/bin/env node
// Pub/Sub throughput (issue 8): messages per second from one publisher to 1 and to 10
// subscribers, side by side:
//   thread:        our client, thread transport → nodis (publisher and subscribers in this
//                  process's main thread, beside the owner worker thread)
//   native:        our client, unix:// (nodis's native protocol) → nodis     (forked load process)
//   ours-resp:     our client, redis+unix:// → nodis RESP                    (forked load process)
//   ioredis-nodis: ioredis → nodis RESP (Unix socket)                        (forked load process)
//   ioredis-redis: ioredis → redis-server (Unix socket): the baseline       (forked load process)
//   ours-redis:    our client, redis+unix:// → redis-server                 (forked load process)
// Targets (issue 8): RESP path ≥ 1.0× redis-server (ioredis → nodis vs ioredis → redis-server:
// the same client, so the ratio is the servers'), thread path ≥ 5× ioredis → redis-server.
//
//   npx turbo run build --output-logs=errors-only && node bench/pubsub.js [--rounds 3] [--seconds 2] [--payload 16] [--quick]
//
// Method (bench/pubsub/load.mjs): in each row the publisher sends PUBLISH in pipelines of 100
// for --seconds, never more than 20,000 messages ahead of the slowest subscriber (so the rate is
// what the subscribers sustain, and no one reaches the pubsub output limit); every subscriber checks that sequence numbers arrive in order; the row ends
// when every subscriber has every message, and its rate is messages published per second up to
// then. Rounds alternate the row order; medians are reported. This machine has 2 cores: the load
// thread and the server being measured share them (the other server idles). Compare ratios
// from one run, never absolute figures across runs (PERFORMANCE.md). --quick is a smoke run
// (1 round of 0.3 s) written to pubsub-quick-partial.json, never to pubsub.json.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, withTimeout, opt as optOf, checkPrerequisites, writeResults, exitWhenDone, startRedis } from './lib.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, def) => optOf(args, name, def);
const QUICK = args.includes('--quick') || /^(1|true|yes)$/i.test(process.env.NODIS_BENCH_QUICK ?? '');
const ROUNDS = Number(opt('rounds', QUICK ? 1 : 3));
const SECONDS = Number(opt('seconds', QUICK ? 0.3 : 2));
const PAYLOAD = Number(opt('payload', 16));
checkPrerequisites(here, [['rounds', ROUNDS], ['seconds', SECONDS], ['payload', PAYLOAD]]);

const { startServer } = await import('@nodis/server');
const { runRow } = await import('./pubsub/load.mjs');

const started = performance.now();
const dir = mkdtempSync(path.join(os.tmpdir(), 'nodis-bench-pubsub-'));

const server = await startServer({ config: { port: '0', dir, appendonly: 'no', unixsocket: 'nodis.sock', nativesocket: 'nodis-native.sock' }, logLevel: 'warning' });
const redis = await startRedis(dir);
const load = fork(path.join(here, 'pubsub/load.mjs'), [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
await withTimeout(new Promise((r) => load.once('message', r)), 20_000, 'load process start');
let nextId = 1;
function inLoadProcess(target, options) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const onMessage = (m) => {
      if (m.id !== id) return;
      load.off('message', onMessage);
      if (m.type === 'error') reject(new Error(m.message)); else resolve(m.result);
    };
    load.on('message', onMessage);
    load.send({ type: 'run', id, target, options });
  });
}

const TARGETS = [
  { id: 'thread', label: 'our client, thread → nodis', run: (o) => runRow({ client: 'ours', handle: server.handle() }, o) },
  { id: 'native', label: 'our client, native unix:// → nodis', run: (o) => inLoadProcess({ client: 'ours', url: `unix://${server.nativesocket}` }, o) },
  { id: 'ours-resp', label: 'our client, RESP → nodis', run: (o) => inLoadProcess({ client: 'ours', url: `redis+unix://${server.unixsocket}` }, o) },
  { id: 'ioredis-nodis', label: 'ioredis → nodis', run: (o) => inLoadProcess({ client: 'ioredis', path: server.unixsocket }, o) },
  { id: 'ioredis-redis', label: 'ioredis → redis-server', run: (o) => inLoadProcess({ client: 'ioredis', path: redis.sock }, o) },
  // The same servers through a client that is not the bottleneck (ioredis is: nodis's owner
  // idles ≈ 80% under ioredis's load): our RESP client → redis-server, beside ours-resp.
  { id: 'ours-redis', label: 'our client, RESP → redis-server', run: (o) => inLoadProcess({ client: 'ours', url: `redis+unix://${redis.sock}` }, o) },
];
const SUBSCRIBERS = [1, 10];

const results = {};
let failures = 0;
let row = 0;
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? TARGETS : [...TARGETS].reverse();
  for (const subscribers of SUBSCRIBERS) {
    for (const t of order) {
      const key = `${t.id}/${subscribers}`;
      const options = { subscribers, seconds: SECONDS, payloadBytes: PAYLOAD, channel: `bench:${row++}` };
      try {
        const r = await withTimeout(t.run(options), (SECONDS + 40) * 1000, key);
        if (!r.inOrder) throw new Error('messages arrived out of order');
        (results[key] ??= []).push(r);
        process.stdout.write(`round ${round + 1} ${key}: ${Math.round(r.rate)} msg/s\n`);
      } catch (e) {
        failures++;
        console.error(`round ${round + 1} ${key}: FAILED: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
}

const fmt = (x) => (x === undefined ? '—' : x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : x >= 1e4 ? `${(x / 1e3).toFixed(0)} k` : `${(x / 1e3).toFixed(1)} k`);
const summary = {};
console.log(`\nmessages/s published (median of ${ROUNDS}), ${PAYLOAD}-byte payload, pipelines of 100 PUBLISH; ratio to ioredis → redis-server`);
for (const subscribers of SUBSCRIBERS) {
  console.log(`\n${subscribers} subscriber${subscribers > 1 ? 's' : ''}:`);
  const base = median((results[`ioredis-redis/${subscribers}`] ?? []).map((r) => r.rate));
  for (const t of TARGETS) {
    const runs = results[`${t.id}/${subscribers}`] ?? [];
    const rate = runs.length ? median(runs.map((r) => r.rate)) : undefined;
    const ratio = rate !== undefined && base ? rate / base : undefined;
    summary[`${t.id}/${subscribers}`] = { label: t.label, subscribers, rate, deliveries: rate === undefined ? undefined : rate * subscribers, ratio, runs: runs.map((r) => Math.round(r.rate)) };
    console.log(`  ${t.label.padEnd(36)} ${fmt(rate).padStart(9)} msg/s  ${ratio === undefined ? '' : `${ratio.toFixed(2)}×`}`);
  }
}
const target = (id, need) => SUBSCRIBERS.map((s) => ({ subscribers: s, ratio: summary[`${id}/${s}`]?.ratio, need, met: (summary[`${id}/${s}`]?.ratio ?? 0) >= need }));
const targets = { resp: target('ioredis-nodis', 1.0), thread: target('thread', 5.0) };
// The servers compared through our RESP client (ours-resp / ours-redis): not a target, a check.
const serverRatio = Object.fromEntries(SUBSCRIBERS.map((s) => {
  const a = summary[`ours-resp/${s}`]?.rate;
  const b = summary[`ours-redis/${s}`]?.rate;
  return [s, a !== undefined && b ? a / b : undefined];
}));
console.log('\ntargets: RESP (ioredis → nodis) ≥ 1.0×, thread ≥ 5×:');
for (const [name, rows] of Object.entries(targets)) {
  for (const r of rows) console.log(`  ${name}, ${r.subscribers} sub: ${r.ratio === undefined ? '—' : `${r.ratio.toFixed(2)}×`} ${r.met ? 'met' : 'NOT met'}`);
}
for (const [s, r] of Object.entries(serverRatio)) console.log(`servers through our RESP client, ${s} sub: nodis / redis-server = ${r === undefined ? '—' : `${r.toFixed(2)}×`}`);

load.send({ type: 'stop' });
await server.close();
await redis.stop();
rmSync(dir, { recursive: true, force: true });
const file = path.join(here, 'results', QUICK ? 'pubsub-quick-partial.json' : 'pubsub.json');
writeResults(file, { date: new Date().toISOString(), rounds: ROUNDS, seconds: SECONDS, payloadBytes: PAYLOAD, window: 20_000, summary, targets, serverRatioThroughOurRespClient: serverRatio }, started);
exitWhenDone('pubsub.js', failures);
