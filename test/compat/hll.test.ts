import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canon } from '../helpers/resp-client.js';
import { redisAvailable } from '../helpers/redis.js';
import { useServerPair } from '../helpers/oracle.js';

/**
 * HyperLogLogs are strings in Redis's byte format on both servers: a value built by one and
 * moved to the other with GET/SET must count the same there, and take further PFADDs and
 * PFMERGEs into the same bytes. Checked for sparse, dense and merged values, both ways.
 */

const DENSE_SIZE = 12304;

const elements = (prefix: string, from: number, to: number): string[] => {
  const out: string[] = [];
  for (let i = from; i < to; i++) out.push(`${prefix}${i}`);
  return out;
};

describe.skipIf(!redisAvailable)('HyperLogLog values moved between nodis and redis-server', () => {
  const servers = useServerPair('hll');

  /** The same commands on both servers; the replies must be equal, and are returned. */
  const both = async (commands: string[][]): Promise<unknown[]> => {
    const { nodis: n, redis: r } = servers;
    const [ours, theirs] = await Promise.all([n.pipeline(commands), r.pipeline(commands)]);
    commands.forEach((argv, i) => {
      const label = `${i}: ${argv.slice(0, 3).map((a) => (a.length > 30 ? `<${a.length} bytes>` : a)).join(' ')}`;
      expect(canon(ours[i]!), label).toEqual(canon(theirs[i]!));
    });
    return theirs.map(canon);
  };

  /**
   * Each way: builds `key` with `build` on one server, copies it with GET/SET to the other,
   * then both count it, take `more` and count again, with their bytes compared after each step.
   */
  const roundTrip = async (build: string[][], more: string[][]) => {
    const { nodis: n, redis: r } = servers;
    for (const [from, to] of [[r, n], [n, r]] as const) {
      await both([['FLUSHALL']]);
      await from.pipeline(build);
      const value = await from.call('GET', 'k');
      expect(typeof value).toBe('string');
      await to.call('SET', 'k', value as string);
      const steps: string[][] = [['GET', 'k'], ['PFCOUNT', 'k'], ['GET', 'k'], ['PFCOUNT', 'k', 'missing'], ...more, ['GET', 'k'], ['PFCOUNT', 'k'], ['GET', 'k']];
      await both(steps);
    }
  };

  it('sparse values, counted and extended on the other side', async () => {
    await roundTrip([['PFADD', 'k']], [['PFADD', 'k', 'a', 'b', 'c']]);
    await roundTrip([['PFADD', 'k', ...elements('s', 0, 50)]], [['PFADD', 'k', ...elements('s', 40, 90)]]);
    // Near hll-sparse-max-bytes: the extension crosses it and turns dense on both.
    await roundTrip([['PFADD', 'k', ...elements('s', 0, 1200)], ['PFCOUNT', 'k']], [['PFADD', 'k', ...elements('t', 0, 2000)], ['STRLEN', 'k']]);
  });

  it('dense values, and values counted before the move (cached cardinality)', async () => {
    await roundTrip([['PFADD', 'k', ...elements('d', 0, 20_000)]], [['STRLEN', 'k'], ['PFADD', 'k', ...elements('d', 15_000, 40_000)]]);
    await roundTrip([['PFADD', 'k', ...elements('d', 0, 300_000)], ['PFCOUNT', 'k']], [['PFADD', 'k', 'd1'], ['PFADD', 'k', 'new']]);
  });

  it('merged values: sparse stays sparse, any dense input makes them dense', async () => {
    await roundTrip(
      [['PFADD', 'a', ...elements('a', 0, 200)], ['PFADD', 'b', ...elements('b', 0, 300)], ['PFMERGE', 'k', 'a', 'b']],
      [['PFADD', 'k', ...elements('c', 0, 100)], ['PFMERGE', 'k', 'k']],
    );
    await roundTrip(
      [['PFADD', 'a', ...elements('a', 0, 200)], ['PFADD', 'b', ...elements('b', 0, 30_000)], ['PFMERGE', 'k', 'a', 'b']],
      [['STRLEN', 'k'], ['PFADD', 'k', ...elements('c', 0, 1000)]],
    );
    // A merged value moved over merges again with values native to the other side.
    const { nodis: n, redis: r } = servers;
    for (const [from, to] of [[r, n], [n, r]] as const) {
      await both([['FLUSHALL']]);
      await from.pipeline([['PFADD', 'x', ...elements('x', 0, 700)], ['PFADD', 'y', ...elements('y', 0, 900)], ['PFMERGE', 'k', 'x', 'y']]);
      await to.call('SET', 'k', (await from.call('GET', 'k')) as string);
      await both([['PFADD', 'z', ...elements('z', 0, 500)], ['PFADD', 'w', ...elements('w', 0, 50_000)], ['PFCOUNT', 'k', 'z'],
        ['PFMERGE', 'm', 'k', 'z'], ['GET', 'm'], ['PFCOUNT', 'm'], ['PFMERGE', 'k', 'w', 'z'], ['STRLEN', 'k'], ['GET', 'k'], ['PFCOUNT', 'k']]);
    }
  });

  it('the same random PFADD and PFMERGE sequences leave the same bytes on both', async () => {
    const key = fc.constantFrom('a', 'b', 'c');
    const command = fc.oneof(
      fc.tuple(key, fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 800 })).map(([k, from, count]) => ['PFADD', k, ...elements('e', from, from + count)]),
      fc.tuple(key, fc.array(fc.string({ maxLength: 8 }), { maxLength: 5 })).map(([k, es]) => ['PFADD', k, ...es]),
      fc.tuple(key, fc.array(key, { maxLength: 3 })).map(([d, ks]) => ['PFMERGE', d, ...ks]),
      fc.array(key, { minLength: 1, maxLength: 3 }).map((ks) => ['PFCOUNT', ...ks]),
    );
    await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 12 }), async (commands) => {
      await both([['FLUSHALL'], ...commands, ['GET', 'a'], ['GET', 'b'], ['GET', 'c'], ['PFCOUNT', 'a', 'b', 'c']]);
    }), { numRuns: 60 });
  });

  it('dense values built on both agree byte for byte at growing cardinalities', async () => {
    await both([['FLUSHALL']]);
    let added = 0;
    const commands: string[][] = [];
    while (added < 500_000) {
      const next = added + (added < 10_000 ? 1000 : 50_000);
      commands.push(['PFADD', 'k', ...elements('g', added, next)], ['PFCOUNT', 'k']);
      added = next;
    }
    commands.push(['GET', 'k']);
    const replies = await both(commands);
    expect((replies[replies.length - 1] as string).length).toBe(DENSE_SIZE);
  });
});
