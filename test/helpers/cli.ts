import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * Running nodis-cli (the built binary) and the real redis-cli side by side: each to its end,
 * with stdin fed, stdout kept as bytes, stderr as a latin1 string (lossless), the exit code,
 * and a bounded time (a child still running is killed and the test fails).
 */

export const CLI = path.resolve(import.meta.dirname, '../../packages/cli/dist/bin.js');

export const redisCliPath: string | undefined = (() => {
  const r = spawnSync('sh', ['-c', 'command -v redis-cli'], { encoding: 'utf8' });
  const p = r.stdout.trim();
  return r.status === 0 && p ? p : undefined;
})();

export interface Ran { stdout: Buffer; stderr: string; code: number | null }

/** Runs a program to its end (killed after `timeoutMs`, which fails the test), `input` on its stdin. */
export function run(file: string, args: string[], input?: Buffer | string, timeoutMs = 20_000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${path.basename(file)} ${args.join(' ')}: still running after ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('latin1'), code });
    });
    child.stdin.on('error', () => { /* a program that never reads stdin */ });
    child.stdin.end(input);
  });
}

export const nodisCli = (args: string[], input?: Buffer | string, timeoutMs?: number): Promise<Ran> => run(process.execPath, [CLI, ...args], input, timeoutMs);
export const redisCli = (args: string[], input?: Buffer | string, timeoutMs?: number): Promise<Ran> => run(redisCliPath!, args, input, timeoutMs);
