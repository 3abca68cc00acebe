#!/usr/bin/env node
// The RESP codec alone (no sockets): the request parser on pipelined SET/GET, the reply writer,
// and the client-side reply parser. Target: > 3M simple commands/s parsed from a pipelined
// buffer on this machine.
//
//   npm run build && node bench/resp.bench.js      (reads packages/protocol/dist)
import { Bench } from 'tinybench';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ReplyParser, RequestParser, RespWriter } from '../packages/protocol/dist/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));

// 16 commands per buffer (8 SET + 8 GET), as redis-benchmark -P 16 sends them.
const encode = (argv) => `*${argv.length}\r\n${argv.map((a) => `$${a.length}\r\n${a}\r\n`).join('')}`;
let pipeline = '';
for (let i = 0; i < 8; i++) {
  const key = `key:${String(i).padStart(12, '0')}`;
  pipeline += encode(['SET', key, 'value:0001']) + encode(['GET', key]);
}
const pipelined = Buffer.from(pipeline, 'latin1');
// The same bytes cut in the middle of a bulk, as a read boundary may fall.
const cut = Math.floor(pipelined.length / 2) + 3;
const firstHalf = pipelined.subarray(0, cut);
const secondHalf = pipelined.subarray(cut);
const inline = Buffer.from('PING\r\n'.repeat(16), 'latin1');

// Many buffers per task call, so tinybench's per-call overhead does not dominate.
const FEEDS = 64;
const COMMANDS_PER_CALL = FEEDS * 16;
let parsed = 0;
const onCommand = (argv) => { parsed += argv.length; };
const parser = new RequestParser();

const REPLIES = 1000;
const writer = new RespWriter(2);
const values = Array.from({ length: 256 }, (_, i) => `value:${String(i).padStart(4, '0')}`);
const writeReplies = () => {
  for (let i = 0; i < REPLIES; i++) {
    switch (i & 3) {
      case 0: writer.simple('OK'); break;
      case 1: writer.bulk(values[i & 255]); break;
      case 2: writer.int(i * 37); break;
      default: writer.null();
    }
  }
  return writer.take();
};
// Copy: take() hands out views of the writer's slab that later writes move past.
const replyBytes = Buffer.from(writeReplies());
const replyParser = new ReplyParser();
let replies = 0;
const onReply = () => { replies++; };

const bench = new Bench({ time: 1500, warmupTime: 300 });
bench
  .add('parse 16-command SET/GET pipeline', () => {
    for (let i = 0; i < FEEDS; i++) parser.feed(pipelined, onCommand);
  })
  .add('parse 16-command pipeline in two chunks', () => {
    for (let i = 0; i < FEEDS; i++) {
      parser.feed(firstHalf, onCommand);
      parser.feed(secondHalf, onCommand);
    }
  })
  .add('parse 16 inline PINGs', () => {
    for (let i = 0; i < FEEDS; i++) parser.feed(inline, onCommand);
  })
  .add('write 1000 replies', () => { writeReplies(); })
  .add('parse 1000 replies (client side)', () => { replyParser.feed(replyBytes, onReply); });
await bench.run();

const perCall = {
  'parse 16-command SET/GET pipeline': COMMANDS_PER_CALL,
  'parse 16-command pipeline in two chunks': COMMANDS_PER_CALL,
  'parse 16 inline PINGs': COMMANDS_PER_CALL,
  'write 1000 replies': REPLIES,
  'parse 1000 replies (client side)': REPLIES,
};
const rows = bench.tasks.map((t) => {
  const r = t.result;
  const meanMs = r.latency?.mean ?? r.mean;
  return { task: t.name, items_per_sec: Math.round((perCall[t.name] * 1000) / meanMs) };
});
console.log('RESP codec alone: commands (parse) or replies (write, client parse) per second:');
console.table(rows);
if (parsed === 0 || replies === 0) throw new Error('nothing was parsed');
mkdirSync(path.join(here, 'results'), { recursive: true });
writeFileSync(path.join(here, 'results', 'resp.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, command: 'node bench/resp.bench.js', rows }, null, 2) + '\n');
