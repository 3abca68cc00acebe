import { describe, expect, it } from 'vitest';
import { SimpleString } from '@nodis/protocol';
import { canon } from '../helpers/resp-client.js';
import { redisAvailable } from '../helpers/redis.js';
import { useServerPair } from '../helpers/oracle.js';

/**
 * The bad inputs issue 4 names, sent over the wire to nodis-server and to redis-server: the
 * same reply (Redis's error, byte for byte), and the server keeps serving afterwards.
 */

/** A sparse HLL whose single XZERO opcode covers more than the 16384 registers. */
const CORRUPT_SPARSE = 'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff\x7f\xff';
/** A dense HLL header with a body of the wrong length. */
const SHORT_DENSE = 'HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00' + '\x00'.repeat(100);

const MANY_KEYS = Array.from({ length: 10_000 }, (_, i) => `src:${i}`);

const CASES: string[][][] = [
  [['ZADD', 'z', 'nan', 'm']],
  [['ZADD', 'z', 'NaN', 'm', '1', 'n']],
  [['ZADD', 'z', '1', 'a', '1', 'b', '1', 'c'], ['ZRANGE', 'z', '(a', '[b', 'BYLEX'], ['ZRANGE', 'z', 'a', '[b', 'BYLEX'],
    ['ZRANGE', 'z', '(a', 'b', 'BYLEX'], ['ZRANGE', 'z', '-', '+', 'BYLEX', 'WITHSCORES'], ['ZRANGEBYLEX', 'z', '[', '+inf'],
    ['ZRANGE', 'z', '0', '-1', 'LIMIT', '0', '1'], ['ZRANGE', 'z', '-inf', '+inf', 'BYSCORE', 'LIMIT', '0', '-5'],
    ['ZRANGEBYSCORE', 'z', '-inf', '+inf', 'LIMIT', '1', '-1'], ['ZRANGEBYSCORE', 'z', '(nan', '+inf']],
  [['ZADD', 'z2', '1', 'x'], ['ZUNIONSTORE', 'dst', String(MANY_KEYS.length), ...MANY_KEYS], ['ZADD', 'src:9999', '2', 'y'],
    ['ZUNIONSTORE', 'dst', String(MANY_KEYS.length), ...MANY_KEYS], ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
    ['ZUNIONSTORE', 'dst', '9223372036854775807', 'a'], ['ZUNIONSTORE', 'dst', '-1', 'a'], ['ZINTERCARD', '100000', 'a']],
  [['SETBIT', 'b', '4294967296', '1'], ['SETBIT', 'b', '4294967295', '2'], ['SETBIT', 'b', '-1', '1'], ['GETBIT', 'b', '4294967296']],
  [['BITFIELD', 'b', 'GET', 'i65', '0'], ['BITFIELD', 'b', 'SET', 'u64', '0', '1'], ['BITFIELD', 'b', 'INCRBY', 'i8', '#-1', '1'],
    ['BITFIELD_RO', 'b', 'SET', 'i8', '0', '1']],
  [['SET', 'h', CORRUPT_SPARSE], ['PFADD', 'h', 'a', 'b', 'c'], ['PFCOUNT', 'h'], ['PFMERGE', 'h2', 'h'],
    ['SET', 'h', SHORT_DENSE], ['PFADD', 'h', 'a'], ['PFCOUNT', 'h'], ['SET', 'h', 'not an hll'], ['PFADD', 'h', 'a']],
];

describe.skipIf(!redisAvailable)('issue 4 bad input, nodis-server against redis-server', () => {
  const servers = useServerPair('bad');

  it.each(CASES.map((c) => [c.map((argv) => argv.slice(0, 4).join(' ')).join(' | ').slice(0, 120), c] as const))('%s', async (_name, commands) => {
    const { nodis: a, redis: b } = servers;
    for (const c of [a, b]) await c.call('FLUSHALL');
    for (const argv of commands) {
      const [x, y] = await Promise.all([a.call(...argv), b.call(...argv)]);
      expect(canon(x), argv.slice(0, 5).join(' ')).toEqual(canon(y));
    }
    expect(await a.call('PING')).toEqual(new SimpleString('PONG'));
  });
});
