import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ReplySet, type Reply } from '@nodis/protocol';
import { startServer, type NodisServer } from '@nodis/server';
import { RespTestClient } from '../helpers/resp-client.js';
import { redisAvailable, startRedis, type RedisProcess } from '../helpers/redis.js';

/**
 * Differential test: random command sequences go to nodis and to a real redis-server (the
 * oracle), one command at a time, and every reply must be equal (type and bytes).
 * A new command joins by adding a generator below.
 */

const KEYS = ['a', 'b', 'c', 'k:1', 'bin\x00\r\n', ''];
const VALUES = ['0', '1', '-5', '10', '007', '9223372036854775807', '-9223372036854775808', 'abc', '1.5', '-2.5e3', '', ' 1', 'inf', 'x'.repeat(50), '\x00\xff\r\n'];
/** Absolute times far in the future, so replies do not depend on the clock. */
const FUTURE_S = ['4102444800', '4102444801'];

const key = fc.constantFrom(...KEYS);
const value = fc.constantFrom(...VALUES);
const smallInt = fc.constantFrom('0', '1', '-1', '3', '-3', '100', '-100', '9223372036854775807', 'x', '1.5');
const ttl = fc.constantFrom('100', '1000', '0', '-1', 'x', '9223372036854775807');
const expireFlag = fc.constantFrom([], ['NX'], ['XX'], ['GT'], ['LT'], ['NX', 'XX']);

type Argv = string[];
const tuple = <T extends unknown[]>(...arbs: { [K in keyof T]: fc.Arbitrary<T[K]> }) => fc.tuple<T>(...arbs);

const setOptions = fc.subarray(['NX', 'XX', 'GET', 'KEEPTTL', 'EX 1000', 'PX 100000', `EXAT ${FUTURE_S[0]}`, 'PXAT 4102444800000', 'EX 0', 'EX x'], { maxLength: 2 })
  .map((opts) => opts.flatMap((o) => o.split(' ')));

const command: fc.Arbitrary<Argv> = fc.oneof(
  // strings
  tuple(key).map(([k]) => ['GET', k]),
  tuple(key, value, setOptions).map(([k, v, o]) => ['SET', k, v, ...o]),
  tuple(key, value).map(([k, v]) => ['SETNX', k, v]),
  tuple(key, ttl, value).map(([k, t, v]) => ['SETEX', k, t, v]),
  tuple(key, ttl, value).map(([k, t, v]) => ['PSETEX', k, t, v]),
  fc.array(key, { minLength: 1, maxLength: 4 }).map((ks) => ['MGET', ...ks]),
  fc.array(tuple(key, value), { minLength: 1, maxLength: 3 }).map((kv) => ['MSET', ...kv.flat()]),
  fc.array(tuple(key, value), { minLength: 1, maxLength: 3 }).map((kv) => ['MSETNX', ...kv.flat()]),
  tuple(key, value).map(([k, v]) => ['GETSET', k, v]),
  tuple(key).map(([k]) => ['GETDEL', k]),
  tuple(key, fc.constantFrom([], ['PERSIST'], ['EX', '1000'], ['PX', '5000000'], ['EXAT', FUTURE_S[1]!], ['EX', '-1'], ['PERSIST', 'EX', '1'])).map(([k, o]) => ['GETEX', k, ...o]),
  tuple(key, value).map(([k, v]) => ['APPEND', k, v]),
  tuple(key).map(([k]) => ['STRLEN', k]),
  tuple(key, smallInt, smallInt).map(([k, a, b]) => ['GETRANGE', k, a, b]),
  tuple(key, smallInt, smallInt).map(([k, a, b]) => ['SUBSTR', k, a, b]),
  tuple(key, fc.constantFrom('0', '1', '5', '-1', '536870912', 'x'), value).map(([k, o, v]) => ['SETRANGE', k, o, v]),
  tuple(key, key, fc.constantFrom([], ['LEN'], ['IDX'], ['IDX', 'WITHMATCHLEN'], ['IDX', 'MINMATCHLEN', '2'])).map(([a, b, o]) => ['LCS', a, b, ...o]),
  tuple(key).map(([k]) => ['INCR', k]),
  tuple(key).map(([k]) => ['DECR', k]),
  tuple(key, smallInt).map(([k, n]) => ['INCRBY', k, n]),
  tuple(key, smallInt).map(([k, n]) => ['DECRBY', k, n]),
  tuple(key, fc.constantFrom('1', '0.1', '-1.5', '1e10', '3.0e-5', 'abc', 'inf', '5000')).map(([k, n]) => ['INCRBYFLOAT', k, n]),
  // keys
  fc.array(key, { minLength: 1, maxLength: 3 }).map((ks) => ['DEL', ...ks]),
  fc.array(key, { minLength: 1, maxLength: 3 }).map((ks) => ['UNLINK', ...ks]),
  fc.array(key, { minLength: 1, maxLength: 3 }).map((ks) => ['EXISTS', ...ks]),
  fc.array(key, { minLength: 1, maxLength: 3 }).map((ks) => ['TOUCH', ...ks]),
  tuple(key).map(([k]) => ['TYPE', k]),
  tuple(key, key).map(([a, b]) => ['RENAME', a, b]),
  tuple(key, key).map(([a, b]) => ['RENAMENX', a, b]),
  tuple(key, key, fc.constantFrom([], ['REPLACE'], ['DB', '1'], ['DB', '1', 'REPLACE'])).map(([a, b, o]) => ['COPY', a, b, ...o]),
  tuple(key, fc.constantFrom('0', '1', '2', '99', 'x')).map(([k, db]) => ['MOVE', k, db]),
  fc.constantFrom(['KEYS', '*'], ['KEYS', '?'], ['KEYS', 'k*'], ['KEYS', '[a-b]'], ['KEYS', 'bin*']),
  fc.constantFrom(['SCAN', '0', 'COUNT', '1000'], ['SCAN', '0', 'MATCH', '[ab]', 'COUNT', '1000'], ['SCAN', '0', 'TYPE', 'string', 'COUNT', '1000'], ['SCAN', 'x']),
  fc.constantFrom(['DBSIZE'], ['SELECT', '0'], ['SELECT', '1'], ['SELECT', '16'], ['SWAPDB', '0', '1'], ['FLUSHDB'], ['RANDOMKEY']),
  // expiry
  tuple(fc.constantFrom('EXPIRE', 'PEXPIRE'), key, ttl, expireFlag).map(([c, k, t, f]) => [c, k, t, ...f]),
  tuple(fc.constantFrom('EXPIREAT', 'PEXPIREAT'), key, fc.constantFrom(...FUTURE_S, '1', 'x'), expireFlag).map(([c, k, t, f]) => [c, k, t, ...f]),
  tuple(fc.constantFrom('TTL', 'EXPIRETIME', 'PERSIST'), key).map(([c, k]) => [c, k]),
  // connection and errors
  tuple(value).map(([v]) => ['ECHO', v]),
  fc.constantFrom(['PING'], ['PING', 'hi'], ['GET'], ['SET', 'a'], ['NOSUCHCOMMAND', 'x'], ['INCR', 'a', 'b'], ['OBJECT', 'nosuch', 'a']),
);

/** Replies that are equal up to order (KEYS, SCAN) are sorted; RANDOMKEY only has to agree on nil. */
function normalise(argv: Argv, reply: Reply): unknown {
  const name = argv[0]!.toUpperCase();
  if (name === 'KEYS' && Array.isArray(reply)) return [...reply].map(String).sort();
  if (name === 'SCAN' && Array.isArray(reply) && Array.isArray(reply[1])) return [reply[0], [...reply[1]].map(String).sort()];
  if (name === 'RANDOMKEY') return reply === null ? null : 'some key';
  if (reply instanceof ReplySet) return [...reply.items].map(String).sort();
  return reply;
}

describe.skipIf(!redisAvailable)('differential: nodis vs redis-server', () => {
  let nodis: NodisServer;
  let redis: RedisProcess;
  let a: RespTestClient;
  let b: RespTestClient;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'nodis-diff-'));
    [nodis, redis] = await Promise.all([
      startServer({ config: { port: '0', unixsocket: '', dir }, logLevel: 'nothing' }),
      startRedis(),
    ]);
    [a, b] = await Promise.all([RespTestClient.connect(nodis.port), RespTestClient.connect(redis.port)]);
  });
  afterAll(async () => {
    a?.close();
    b?.close();
    await Promise.all([nodis?.close(), redis?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const runSequence = async (protocol: '2' | '3', commands: Argv[]) => {
    for (const c of [a, b]) {
      await c.call('HELLO', protocol);
      await c.call('FLUSHALL');
      await c.call('SELECT', '0');
    }
    for (const argv of commands) {
      const [x, y] = await Promise.all([a.call(...argv), b.call(...argv)]);
      expect({ argv, reply: normalise(argv, x) }).toEqual({ argv, reply: normalise(argv, y) });
    }
  };

  it('agrees on every reply for random sequences (RESP2)', async () => {
    await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 25 }), (cmds) => runSequence('2', cmds)), { numRuns: 300 });
  });

  it('agrees on every reply for random sequences (RESP3)', async () => {
    await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 25 }), (cmds) => runSequence('3', cmds)), { numRuns: 150 });
  });
});
