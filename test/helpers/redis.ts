import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Helpers for tests that talk to real servers over loopback: a free port, a real
 * `redis-server` (Debian's package: the oracle), and the availability check used to skip
 * differential tests — loudly — where redis-server is missing (CI installs it).
 */

export const redisServerPath: string | undefined = (() => {
  const r = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const p = r.stdout.trim();
  return r.status === 0 && p ? p : undefined;
})();

export const redisAvailable = redisServerPath !== undefined;
if (!redisAvailable) {
  process.stderr.write('NOTE: redis-server is not installed: differential tests against real Redis are SKIPPED (apt-get install redis-server)\n');
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface RedisProcess {
  port: number;
  dir: string;
  stop(): Promise<void>;
}

/** Starts a throwaway redis-server on 127.0.0.1, no persistence, and waits until it answers. */
export async function startRedis(extraArgs: string[] = []): Promise<RedisProcess> {
  if (!redisServerPath) throw new Error('redis-server is not installed');
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'nodis-redis-'));
  const child: ChildProcess = spawn(redisServerPath, [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--dir', dir, '--daemonize', 'no', '--loglevel', 'warning', ...extraArgs,
  ], { stdio: 'ignore' });
  await waitForPort(port);
  return {
    port,
    dir,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing answered on port ${port}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
