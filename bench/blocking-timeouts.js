#!/usr/bin/env node
// How accurately a blocked client times out (issue 3: within ±50 ms): BLPOP on empty keys
// with timeouts from 0.05 s to 1 s against nodis-server, and against redis-server for
// reference, several clients at once; prints the deviation of the measured wait.
//
//   npm run build && node bench/blocking-timeouts.js
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const TIMEOUTS = [0.05, 0.1, 0.25, 0.5, 1];
const CLIENTS = 10;

const freePort = () => new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
});
async function waitFor(port) {
  for (let i = 0; i < 400; i++) {
    const ok = await new Promise((r) => { const s = net.connect(port, '127.0.0.1'); s.on('connect', () => { s.destroy(); r(true); }); s.on('error', () => r(false)); });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('server did not start');
}
async function start(kind) {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), `bt-${kind}-`));
  const child = kind === 'redis'
    ? spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' })
    : spawn(process.execPath, [path.join(here, '../packages/server/dist/bin.js'), '--port', String(port), '--dir', dir, '--unixsocket', '', '--loglevel', 'warning'], { stdio: 'ignore' });
  await waitFor(port);
  return { port, stop: async () => { child.kill('SIGKILL'); await new Promise((r) => child.once('exit', r)); rmSync(dir, { recursive: true, force: true }); } };
}

/** One BLPOP on its own connection; resolves the measured wait in ms. */
function blpop(port, key, timeout) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => {
      const t0 = process.hrtime.bigint();
      s.once('data', (d) => {
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        s.destroy();
        if (!d.toString().startsWith('*-1')) reject(new Error(`unexpected reply ${d}`));
        else resolve(ms);
      });
      s.write(`*3\r\n$5\r\nBLPOP\r\n$${key.length}\r\n${key}\r\n$${String(timeout).length}\r\n${timeout}\r\n`);
    });
    s.on('error', reject);
  });
}

const results = {};
for (const kind of ['nodis', 'redis']) {
  const server = await start(kind);
  const deviations = [];
  try {
    for (const t of TIMEOUTS) {
      const waits = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => blpop(server.port, `empty:${i}`, t)));
      for (const w of waits) deviations.push(w - t * 1000);
    }
  } finally {
    await server.stop();
  }
  deviations.sort((a, b) => a - b);
  results[kind] = {
    samples: deviations.length,
    min_ms: Number(deviations[0].toFixed(1)),
    median_ms: Number(deviations[Math.floor(deviations.length / 2)].toFixed(1)),
    max_ms: Number(deviations[deviations.length - 1].toFixed(1)),
  };
}
console.log(`BLPOP timeout deviation (measured wait - timeout), ${CLIENTS} clients x timeouts ${TIMEOUTS.join(', ')} s:`);
console.table(results);
mkdirSync(path.join(here, 'results'), { recursive: true });
writeFileSync(path.join(here, 'results', 'blocking-timeouts.json'), JSON.stringify({ date: new Date().toISOString(), command: 'node bench/blocking-timeouts.js', results }, null, 2) + '\n');
