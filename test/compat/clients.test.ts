import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, type NodisServer } from '@nodis/server';
import { redisAvailable, startRedis, type RedisProcess } from '../helpers/redis.js';

/**
 * Real clients, unchanged, against nodis and against redis-server: the output of the same
 * redis-cli invocations and the same redis-py session must be identical.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
const pythonWithRedis = spawnSync('/usr/bin/python3', ['-c', 'import redis'], { stdio: 'ignore' }).status === 0;
if (!pythonWithRedis) process.stderr.write('NOTE: python3-redis is not installed: the redis-py compatibility test is SKIPPED (apt-get install python3-redis)\n');

describe.skipIf(!redisAvailable)('redis-cli and redis-py against nodis and redis-server', () => {
  let nodis: NodisServer;
  let redis: RedisProcess;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'nodis-clients-'));
    [nodis, redis] = await Promise.all([
      startServer({ config: { port: '0', unixsocket: '', dir }, logLevel: 'nothing' }),
      startRedis(),
    ]);
  });
  afterAll(async () => {
    await Promise.all([nodis?.close(), redis?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const cli = (port: number, args: string[], input?: string) => {
    const r = spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'latin1', input, timeout: 10_000 });
    return { stdout: r.stdout, status: r.status };
  };

  it('redis-cli prints the same for a session of commands (default and --raw, RESP2 and RESP3)', () => {
    const session = [
      'FLUSHALL', 'SET foo bar', 'GET foo', 'GET missing', 'INCR n', 'INCRBY n 10', 'INCRBYFLOAT f 1.5',
      'MSET a 1 b 2 c 3', 'MGET a b missing c', 'EXPIRE a 100', 'TTL a', 'TTL b', 'PERSIST a',
      'SET bin "x\\x00y"', 'GET bin', 'STRLEN bin', 'LCS foo bar IDX WITHMATCHLEN', 'KEYS c*', 'TYPE n',
      'INCR foo', 'NOSUCH', 'GET', 'SET k v NX XX', 'OBJECT ENCODING n', 'OBJECT ENCODING foo',
      'EXISTS a b zzz', 'DEL a b', 'DBSIZE', 'ECHO "hello world"', 'PING',
    ].join('\n') + '\n';
    for (const mode of [[], ['--raw'], ['-3'], ['-3', '--raw']]) {
      const ours = cli(nodis.port, mode, session);
      const theirs = cli(redis.port, mode, session);
      expect(ours.stdout.length).toBeGreaterThan(100);
      expect(ours.stdout).toBe(theirs.stdout);
    }
  });

  it('redis-cli --scan lists every key', () => {
    const fill = Array.from({ length: 300 }, (_, i) => `SET user:${i} v`).join('\n') + '\nSET other x\n';
    for (const port of [nodis.port, redis.port]) cli(port, ['-n', '2'], `FLUSHDB\n${fill}`);
    const list = (port: number) => cli(port, ['-n', '2', '--scan', '--pattern', 'user:*']).stdout.trim().split('\n').sort();
    const ours = list(nodis.port);
    expect(ours).toHaveLength(300);
    expect(ours).toEqual(list(redis.port));
  });

  it('redis-cli INFO keyspace has the same shape', () => {
    for (const port of [nodis.port, redis.port]) cli(port, [], 'FLUSHALL\nSET a 1\nSET b 2 EX 1000\nSELECT 3\nSET c 3\n');
    const keyspace = (port: number) => cli(port, ['INFO', 'keyspace']).stdout.replace(/avg_ttl=\d+/g, 'avg_ttl=N');
    expect(keyspace(nodis.port)).toBe(keyspace(redis.port));
    expect(keyspace(nodis.port)).toContain('db0:keys=2,expires=1');
  });

  it.skipIf(!pythonWithRedis)('a redis-py session prints the same', () => {
    const run = (port: number) => {
      const r = spawnSync('/usr/bin/python3', [path.join(here, 'scripts/redis_py_session.py'), String(port)], { encoding: 'utf8', timeout: 20_000 });
      expect(r.stderr).toBe('');
      return JSON.parse(r.stdout) as [string, unknown][];
    };
    const ours = run(nodis.port);
    const theirs = run(redis.port);
    expect(ours.length).toBeGreaterThan(30);
    for (let i = 0; i < theirs.length; i++) expect(ours[i]).toEqual(theirs[i]);
  });
});
