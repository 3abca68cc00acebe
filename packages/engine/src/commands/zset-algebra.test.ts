import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createTestEngine, type EngineHarness } from '../testing.js';
import { ReplyDouble, ReplyError, SimpleString } from '../reply.js';
import type { Engine } from '../engine.js';
import type { Database } from '../keyspace.js';
import { ZSetValue } from '../types/zset.js';
import { parseDouble } from '../args.js';
import type { RespTestClient } from '../../../../test/helpers/resp-client.js';
import { redisServerPath } from '../../../../test/helpers/redis.js';
import { engineRespClient, expectCommandDocsMatch, useRedisOracle, type EngineRespClient } from '../../../../test/helpers/oracle.js';

// ------------------------------------------------------------------ helpers

const err = (message: string) => new ReplyError(message);
const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
const SYNTAX = 'ERR syntax error';
const NOT_INTEGER = 'ERR value is not an integer or out of range';
const WEIGHT_NOT_FLOAT = 'ERR weight value is not a float';
const LIMIT_NEGATIVE = "ERR LIMIT can't be negative";
const atLeastOne = (name: string) => `ERR at least 1 input key is needed for '${name}' command`;

/**
 * ZADD as these tests need it, applied to the value directly: the algebra is tested without
 * depending on commands/zset.ts. Scores are strings as ZADD takes them; a wrong-typed key is
 * left alone (the caller checks that Redis answered WRONGTYPE).
 */
function seed(e: Engine, db: Database, key: string, pairs: readonly string[]): void {
  const limits = {
    maxListpackEntries: e.config.getNumber('zset-max-listpack-entries'),
    maxListpackValue: e.config.getNumber('zset-max-listpack-value'),
  };
  const z = db.lookup(key);
  if (z !== undefined && !(z instanceof ZSetValue)) return;
  const created = z === undefined;
  const value = z ?? new ZSetValue();
  for (let i = 0; i < pairs.length; i += 2) {
    const score = parseDouble(pairs[i]!);
    if (score === undefined) throw new Error(`bad score ${pairs[i]}`);
    // Redis leaves a member whose score compares equal alone (0 and -0 included), and its
    // listpack stores -0 as "0" (the sign survives only in a skiplist).
    if (value.score(pairs[i + 1]!) === score) continue;
    value.set(pairs[i + 1]!, score, limits);
    if (Object.is(score, -0) && value.isListpack) value.set(pairs[i + 1]!, 0, limits);
  }
  if (created) db.set(key, value);
}

function engine(config: Record<string, string> = {}): EngineHarness & { zadd(key: string, ...pairs: string[]): void } {
  const t = createTestEngine({ config });
  return Object.assign(t, { zadd: (key: string, ...pairs: string[]) => seed(t.engine, t.client.db, key, pairs) });
}

// ------------------------------------------------------------------ results

describe('ZUNION, ZINTER, ZDIFF', () => {
  it('combine by score then member bytes, with scores when asked', () => {
    const t = engine();
    t.zadd('a', '1', 'a', '2', 'b', '3', 'c');
    t.zadd('b', '10', 'b', '20', 'c', '30', 'd');
    expect(t.run('ZUNION', '2', 'a', 'b')).toEqual(['a', 'b', 'c', 'd']);
    expect(t.run('ZUNION', '2', 'a', 'b', 'WITHSCORES')).toEqual(['a', '1', 'b', '12', 'c', '23', 'd', '30']);
    expect(t.run('ZINTER', '2', 'a', 'b', 'WITHSCORES')).toEqual(['b', '12', 'c', '23']);
    expect(t.run('ZDIFF', '2', 'a', 'b', 'WITHSCORES')).toEqual(['a', '1']);
    expect(t.run('ZDIFF', '2', 'b', 'a', 'withscores')).toEqual(['d', '30']);
    expect(t.run('ZINTERCARD', '2', 'a', 'b')).toBe(2);
    // Equal scores: member bytes decide (latin1 code units are bytes).
    t.zadd('e', '1', '\xff', '1', 'b', '1', '', '1', 'B');
    expect(t.run('ZUNION', '1', 'e')).toEqual(['', 'B', 'b', '\xff']);
  });

  it('missing keys are empty; plain sets score 1', () => {
    const t = engine();
    t.zadd('z', '5', 'a', '0.5', 'x');
    t.run('SADD', 's', 'a', 'y', '7');
    expect(t.run('ZUNION', '2', 'z', 'nokey', 'WITHSCORES')).toEqual(['x', '0.5', 'a', '5']);
    expect(t.run('ZUNION', '2', 'z', 's', 'WITHSCORES')).toEqual(['x', '0.5', '7', '1', 'y', '1', 'a', '6']);
    expect(t.run('ZINTER', '2', 'z', 'nokey')).toEqual([]);
    expect(t.run('ZINTER', '2', 's', 'z', 'WITHSCORES')).toEqual(['a', '6']);
    expect(t.run('ZDIFF', '2', 's', 'z', 'WITHSCORES')).toEqual(['7', '1', 'y', '1']);
    expect(t.run('ZDIFF', '2', 'nokey', 'z')).toEqual([]);
    expect(t.run('ZDIFF', '2', 'z', 'z')).toEqual([]);
    expect(t.run('ZINTERCARD', '2', 'z', 's')).toBe(1);
    expect(t.run('ZINTERCARD', '1', 'nokey')).toBe(0);
  });

  it('RESP3 answers [member, double] pairs', () => {
    const t = engine();
    t.run('HELLO', '3');
    t.zadd('a', '1.5', 'a', 'inf', 'b');
    expect(t.run('ZUNION', '1', 'a', 'WITHSCORES')).toEqual([['a', new ReplyDouble(1.5)], ['b', new ReplyDouble(Infinity)]]);
    expect(t.run('ZUNION', '1', 'a')).toEqual(['a', 'b']);
    expect(t.run('ZUNION', '1', 'nokey', 'WITHSCORES')).toEqual([]);
  });

  it('weights multiply; NaN (inf × 0, inf + -inf) becomes 0 as in Redis', () => {
    const t = engine();
    t.zadd('zi', 'inf', 'a', '-inf', 'b', '5', 'c');
    t.zadd('zn', '-inf', 'a', 'inf', 'b', '-inf', 'c');
    expect(t.run('ZUNION', '2', 'zi', 'zn', 'WITHSCORES')).toEqual(['c', '-inf', 'a', '0', 'b', '0']);
    expect(t.run('ZUNION', '2', 'zi', 'zn', 'WEIGHTS', '0', '1', 'WITHSCORES')).toEqual(['a', '-inf', 'c', '-inf', 'b', 'inf']);
    expect(t.run('ZUNION', '1', 'zi', 'WEIGHTS', '0', 'WITHSCORES')).toEqual(['a', '0', 'b', '0', 'c', '0']);
    expect(t.run('ZINTER', '2', 'zi', 'zn', 'AGGREGATE', 'MIN', 'WITHSCORES')).toEqual(['a', '-inf', 'b', '-inf', 'c', '-inf']);
    expect(t.run('ZINTER', '2', 'zi', 'zn', 'aggregate', 'max', 'WITHSCORES')).toEqual(['c', '5', 'a', 'inf', 'b', 'inf']);
    expect(t.run('ZUNION', '1', 'zi', 'WEIGHTS', '-0', 'WITHSCORES')).toEqual(['a', '0', 'b', '0', 'c', '-0']);
  });

  it('ZINTER ignores a NaN from a later source under MIN and MAX; ZUNION counts it as 0', () => {
    const t = engine();
    t.zadd('x', 'inf', 'a', '1', 'b');
    t.zadd('y', 'inf', 'a', '2', 'b', '3', 'c');
    expect(t.run('ZINTER', '2', 'x', 'y', 'WEIGHTS', '1', '0', 'AGGREGATE', 'MIN', 'WITHSCORES')).toEqual(['b', '0', 'a', 'inf']);
    expect(t.run('ZINTER', '2', 'x', 'y', 'WEIGHTS', '1', '0', 'AGGREGATE', 'MAX', 'WITHSCORES')).toEqual(['b', '1', 'a', 'inf']);
    expect(t.run('ZINTER', '2', 'x', 'y', 'WEIGHTS', '0', '1', 'AGGREGATE', 'MIN', 'WITHSCORES')).toEqual(['a', '0', 'b', '0']);
    expect(t.run('ZUNION', '2', 'x', 'y', 'WEIGHTS', '1', '0', 'AGGREGATE', 'MIN', 'WITHSCORES')).toEqual(['a', '0', 'b', '0', 'c', '0']);
  });

  it('adds in order of cardinality, smallest first, stable for equal sizes (as Redis rounds)', () => {
    const t = engine();
    t.zadd('A', '1e16', 'x', '1', 'p', '2', 'q');
    t.zadd('B', '1', 'x');
    t.zadd('C', '1', 'x', '5', 'r');
    // B, C, A: (1 + 1) + 1e16, whatever the argument order.
    expect(t.run('ZINTER', '3', 'A', 'B', 'C', 'WITHSCORES')).toEqual(['x', '10000000000000002']);
    expect(t.run('ZUNION', '3', 'A', 'B', 'C', 'WITHSCORES')).toEqual(['p', '1', 'q', '2', 'r', '5', 'x', '10000000000000002']);
    t.zadd('D', '1e16', 'x', '1', 'p');
    t.zadd('E', '1', 'x', '1', 'q');
    t.zadd('F', '1', 'x', '1', 'r');
    expect(t.run('ZUNION', '3', 'D', 'E', 'F', 'WITHSCORES')).toEqual(['p', '1', 'q', '1', 'r', '1', 'x', '10000000000000000']);
    expect(t.run('ZUNION', '3', 'E', 'F', 'D', 'WITHSCORES')).toEqual(['p', '1', 'q', '1', 'r', '1', 'x', '10000000000000002']);
    expect(t.run('ZINTER', '3', 'E', 'F', 'D', 'WITHSCORES')).toEqual(['x', '10000000000000002']);
  });

  it('a key given twice counts twice', () => {
    const t = engine();
    t.zadd('a', '1', 'a', '2', 'b');
    expect(t.run('ZUNION', '2', 'a', 'a', 'WITHSCORES')).toEqual(['a', '2', 'b', '4']);
    expect(t.run('ZINTER', '2', 'a', 'a', 'WEIGHTS', '1', '3', 'WITHSCORES')).toEqual(['a', '4', 'b', '8']);
  });

  it('options: repeats override, WITHSCORES twice is fine, case-insensitive', () => {
    const t = engine();
    t.zadd('a', '1', 'a', '2', 'b', '3', 'c');
    t.zadd('b', '10', 'b', '20', 'c', '30', 'd');
    expect(t.run('ZUNION', '2', 'a', 'b', 'AGGREGATE', 'min', 'AGGREGATE', 'max', 'WITHSCORES')).toEqual(['a', '1', 'b', '10', 'c', '20', 'd', '30']);
    expect(t.run('ZUNION', '2', 'a', 'b', 'WEIGHTS', '1', '2', 'weights', '3', '4', 'WITHSCORES')).toEqual(['a', '3', 'b', '46', 'c', '89', 'd', '120']);
    expect(t.run('ZUNION', '2', 'a', 'b', 'WITHSCORES', 'withscores')).toEqual(['a', '1', 'b', '12', 'c', '23', 'd', '30']);
    expect(t.run('ZINTERCARD', '1', 'a', 'LIMIT', '1', 'limit', '2')).toBe(2);
    expect(t.run('ZINTERCARD', '1', 'a', 'LIMIT', '0')).toBe(3);
    expect(t.run('ZINTERCARD', '1', 'a', 'LIMIT', '9223372036854775807')).toBe(3);
  });
});

// ------------------------------------------------------------------ errors

describe('errors, in Redis order', () => {
  it('numkeys', () => {
    const t = engine();
    t.zadd('a', '1', 'a');
    for (const name of ['zunion', 'zinter', 'zdiff', 'zintercard']) {
      expect(t.run(name.toUpperCase(), '0', 'a'), name).toEqual(err(atLeastOne(name)));
      expect(t.run(name, '-9223372036854775808', 'a'), name).toEqual(err(atLeastOne(name)));
      expect(t.run(name, 'x', 'a'), name).toEqual(err(NOT_INTEGER));
      expect(t.run(name, '01', 'a'), name).toEqual(err(NOT_INTEGER));
      expect(t.run(name, '9223372036854775808', 'a'), name).toEqual(err(NOT_INTEGER));
      expect(t.run(name, '2', 'a'), name).toEqual(err(SYNTAX));
      expect(t.run(name, '9223372036854775807', 'a'), name).toEqual(err(SYNTAX));
    }
    for (const name of ['zunionstore', 'zinterstore', 'zdiffstore']) {
      expect(t.run(name, 'd', '-1', 'a'), name).toEqual(err(atLeastOne(name)));
      expect(t.run(name, 'd', '1.0', 'a'), name).toEqual(err(NOT_INTEGER));
      expect(t.run(name, 'd', '3', 'a', 'b'), name).toEqual(err(SYNTAX));
    }
    expect(t.run('ZUNIONSTORE', 'd', '1')).toEqual(err('ERR wrong number of arguments for \'zunionstore\' command'));
    expect(t.run('ZUNION', '1')).toEqual(err('ERR wrong number of arguments for \'zunion\' command'));
    expect(t.run('EXISTS', 'd')).toBe(0);
  });

  it('options', () => {
    const t = engine();
    t.zadd('a', '1', 'a');
    expect(t.run('ZUNION', '2', 'a', 'b', 'WEIGHTS', '1')).toEqual(err(SYNTAX));
    expect(t.run('ZUNION', '2', 'a', 'b', 'WEIGHTS', '1', '2', '3')).toEqual(err(SYNTAX));
    expect(t.run('ZUNION', '2', 'a', 'b', 'WEIGHTS', '1', 'x')).toEqual(err(WEIGHT_NOT_FLOAT));
    expect(t.run('ZUNION', '2', 'a', 'b', 'WEIGHTS', 'x', '1', 'FOO')).toEqual(err(WEIGHT_NOT_FLOAT));
    expect(t.run('ZUNION', '2', 'a', 'b', 'FOO', 'WEIGHTS', 'x', '1')).toEqual(err(SYNTAX));
    for (const w of ['nan', '1e400', '1e-400', ' 1', '1 ', '', 'infinit', '0x', '1e']) {
      expect(t.run('ZINTER', '1', 'a', 'WEIGHTS', w), JSON.stringify(w)).toEqual(err(WEIGHT_NOT_FLOAT));
    }
    expect(t.run('ZUNION', '1', 'a', 'AGGREGATE', 'avg')).toEqual(err(SYNTAX));
    expect(t.run('ZUNION', '1', 'a', 'AGGREGATE')).toEqual(err(SYNTAX));
    expect(t.run('ZUNIONSTORE', 'd', '1', 'a', 'WITHSCORES')).toEqual(err(SYNTAX));
    expect(t.run('ZINTERSTORE', 'd', '1', 'a', 'WITHSCORES')).toEqual(err(SYNTAX));
    expect(t.run('ZDIFFSTORE', 'd', '1', 'a', 'WITHSCORES')).toEqual(err(SYNTAX));
    expect(t.run('ZDIFF', '1', 'a', 'WEIGHTS', '1')).toEqual(err(SYNTAX));
    expect(t.run('ZDIFF', '1', 'a', 'AGGREGATE', 'SUM')).toEqual(err(SYNTAX));
    expect(t.run('ZINTER', '1', 'a', 'LIMIT', '1')).toEqual(err(SYNTAX));
    expect(t.run('ZINTERCARD', '1', 'a', 'WITHSCORES')).toEqual(err(SYNTAX));
    expect(t.run('ZINTERCARD', '1', 'a', 'WEIGHTS', '1')).toEqual(err(SYNTAX));
    expect(t.run('ZINTERCARD', '1', 'a', 'LIMIT')).toEqual(err(SYNTAX));
    for (const l of ['-1', 'x', '-0', '01', '99999999999999999999']) {
      expect(t.run('ZINTERCARD', '1', 'a', 'LIMIT', l), l).toEqual(err(LIMIT_NEGATIVE));
    }
    expect(t.run('EXISTS', 'd')).toBe(0);
  });

  it('WRONGTYPE for a source of another type, before the options are read', () => {
    const t = engine();
    t.run('SET', 'str', 'v');
    t.run('RPUSH', 'list', 'v');
    t.zadd('a', '1', 'a');
    for (const argv of [['ZUNION', '2', 'a', 'str'], ['ZINTER', '2', 'nokey', 'list'], ['ZDIFF', '1', 'str', 'FOO'],
      ['ZUNION', '2', 'a', 'str', 'WEIGHTS', 'x'], ['ZINTERCARD', '2', 'a', 'str', 'LIMIT', '-1'],
      ['ZUNIONSTORE', 'd', '1', 'str'], ['ZINTERSTORE', 'a', '2', 'a', 'list'], ['ZDIFFSTORE', 'd', '2', 'a', 'str', 'WITHSCORES']]) {
      expect(t.run(...argv), argv.join(' ')).toEqual(err(WRONGTYPE));
    }
    // numkeys comes first.
    expect(t.run('ZUNION', '2', 'str')).toEqual(err(SYNTAX));
    expect(t.run('ZUNION', '1', 'a', 'WITHSCORES')).toEqual(['a', '1']); // nothing was changed
    expect(t.run('EXISTS', 'd')).toBe(0);
  });
});

// ------------------------------------------------------------------ stores

describe('ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE', () => {
  it('store the result, replacing any type and dropping the TTL', () => {
    const t = engine();
    t.zadd('a', '1', 'a', '2', 'b', '3', 'c');
    t.zadd('b', '10', 'b', '20', 'c', '30', 'd');
    t.run('SET', 'd', 'string');
    t.run('EXPIRE', 'd', '100');
    expect(t.run('ZUNIONSTORE', 'd', '2', 'a', 'b', 'WEIGHTS', '2', '1')).toBe(4);
    expect(t.run('TYPE', 'd')).toEqual(new SimpleString('zset'));
    expect(t.run('TTL', 'd')).toBe(-1);
    expect(t.run('ZUNION', '1', 'd', 'WITHSCORES')).toEqual(['a', '2', 'b', '14', 'c', '26', 'd', '30']);
    t.run('RPUSH', 'l', 'x');
    expect(t.run('ZINTERSTORE', 'l', '2', 'a', 'b', 'AGGREGATE', 'MAX')).toBe(2);
    expect(t.run('ZUNION', '1', 'l', 'WITHSCORES')).toEqual(['b', '10', 'c', '20']);
    expect(t.run('ZDIFFSTORE', 'x', '2', 'b', 'a')).toBe(1);
    expect(t.run('ZUNION', '1', 'x', 'WITHSCORES')).toEqual(['d', '30']);
  });

  it('an empty result deletes the destination and answers 0', () => {
    const t = engine();
    t.zadd('a', '1', 'a');
    t.run('SET', 'd', 'v');
    expect(t.run('ZINTERSTORE', 'd', '2', 'a', 'nokey')).toBe(0);
    expect(t.run('EXISTS', 'd')).toBe(0);
    t.run('SET', 'd', 'v');
    expect(t.run('ZDIFFSTORE', 'd', '2', 'a', 'a')).toBe(0);
    expect(t.run('EXISTS', 'd')).toBe(0);
    expect(t.run('ZUNIONSTORE', 'd', '1', 'nokey')).toBe(0);
    expect(t.run('EXISTS', 'd')).toBe(0);
  });

  it('a destination that is also a source', () => {
    const t = engine();
    t.zadd('a', '1', 'a', '2', 'b');
    t.zadd('b', '5', 'b', '6', 'c');
    expect(t.run('ZUNIONSTORE', 'a', '2', 'a', 'b')).toBe(3);
    expect(t.run('ZUNION', '1', 'a', 'WITHSCORES')).toEqual(['a', '1', 'c', '6', 'b', '7']);
    expect(t.run('ZINTERSTORE', 'b', '2', 'a', 'b')).toBe(2);
    expect(t.run('ZUNION', '1', 'b', 'WITHSCORES')).toEqual(['b', '12', 'c', '12']);
    expect(t.run('ZDIFFSTORE', 'a', '2', 'a', 'b')).toBe(1);
    expect(t.run('ZUNION', '1', 'a', 'WITHSCORES')).toEqual(['a', '1']);
  });

  it('picks the encoding from the final size, as Redis does for a stored result', () => {
    const t = engine({ 'zset-max-listpack-entries': '3', 'zset-max-listpack-value': '8' });
    t.zadd('big', '1', 'a', '2', 'b', '3', 'c', '4', 'd');
    t.zadd('small', '1', 'a', '2', 'b');
    expect(t.run('OBJECT', 'ENCODING', 'big')).toBe('skiplist');
    expect(t.run('ZINTERSTORE', 'd', '2', 'big', 'small')).toBe(2);
    expect(t.run('OBJECT', 'ENCODING', 'd')).toBe('listpack');
    expect(t.run('ZUNIONSTORE', 'd', '1', 'big')).toBe(4);
    expect(t.run('OBJECT', 'ENCODING', 'd')).toBe('skiplist');
    t.zadd('long', '1', 'a-long-member');
    expect(t.run('ZUNIONSTORE', 'd', '1', 'long')).toBe(1);
    expect(t.run('OBJECT', 'ENCODING', 'd')).toBe('skiplist');
    t.run('CONFIG', 'SET', 'zset-max-listpack-entries', '0');
    expect(t.run('ZDIFFSTORE', 'd', '1', 'small')).toBe(2);
    expect(t.run('OBJECT', 'ENCODING', 'd')).toBe('skiplist');
  });

  it('notifies the keyspace (WATCH) for a store and for a deleted destination', () => {
    const t = engine();
    const seen: string[] = [];
    const host = t.client.db.host;
    const original = host.onKeyModified.bind(host);
    host.onKeyModified = (db, key) => { seen.push(key); original(db, key); };
    t.zadd('a', '1', 'a');
    seen.length = 0;
    t.run('ZUNIONSTORE', 'd', '1', 'a');
    expect(seen).toEqual(['d']);
    seen.length = 0;
    t.run('ZINTERSTORE', 'd', '2', 'a', 'nokey');
    expect(seen).toEqual(['d']);
    seen.length = 0;
    t.run('ZINTERSTORE', 'd', '2', 'a', 'nokey'); // nothing to delete
    expect(seen).toEqual([]);
  });
});

// ------------------------------------------------------------------ scale and hostile input

describe('scale and hostile input', () => {
  it('ZUNIONSTORE over 10,000 keys, and ZINTER over 10,000 with WEIGHTS', () => {
    const t = engine();
    const keys: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      keys.push(`k${i}`);
      t.zadd(`k${i}`, String(i), `m${i % 100}`, '1', 'common');
    }
    expect(t.run('ZUNIONSTORE', 'd', String(keys.length), ...keys)).toBe(101);
    const stored = t.run('ZUNION', '1', 'd', 'WITHSCORES') as string[];
    expect(stored[stored.indexOf('common') + 1]).toBe('10000');
    expect(stored.slice(-2)).toEqual(['m99', String(99 * 100 + 100 * 99 * 100 / 2)]);
    const weights = keys.map(() => '2');
    expect(t.run('ZINTER', String(keys.length), ...keys, 'WEIGHTS', ...weights, 'WITHSCORES')).toEqual(['common', '20000']);
    expect(t.run('ZINTERCARD', String(keys.length), ...keys)).toBe(1);
    expect(t.run('ZDIFFSTORE', 'e', String(keys.length), ...keys)).toBe(0);
  });

  it('big inputs: union, intersection and both difference methods agree with a model', () => {
    const t = engine();
    const n = 20_000;
    const pairsA: string[] = [];
    const pairsB: string[] = [];
    for (let i = 0; i < n; i++) pairsA.push(String(i % 97), `m${i}`);
    for (let i = 0; i < n; i += 3) pairsB.push(String(-i), `m${i}`);
    t.zadd('A', ...pairsA);
    t.zadd('B', ...pairsB);
    t.zadd('tiny', '1', 'm0');
    expect(t.run('ZUNIONSTORE', 'u', '2', 'A', 'B')).toBe(n);
    expect(t.run('ZINTERCARD', '2', 'A', 'B')).toBe(Math.ceil(n / 3));
    expect(t.run('ZINTERCARD', '2', 'A', 'B', 'LIMIT', '10')).toBe(10);
    // A − B with work one (|A| × 2 / 2) ≤ work two (|A| + |B|): lookups; A − tiny − tiny: copy and remove.
    expect(t.run('ZDIFFSTORE', 'd1', '2', 'A', 'B')).toBe(n - Math.ceil(n / 3));
    expect(t.run('ZDIFFSTORE', 'd2', '4', 'A', 'B', 'tiny', 'tiny')).toBe(n - Math.ceil(n / 3));
    expect(t.run('ZUNION', '1', 'd1')).toEqual(t.run('ZUNION', '1', 'd2'));
    // The model: A's members not in B, by (score, member bytes).
    const model: [number, string][] = [];
    for (let i = 0; i < n; i++) if (i % 3 !== 0) model.push([i % 97, `m${i}`]);
    model.sort((x, y) => x[0] - y[0] || (x[1] < y[1] ? -1 : 1));
    expect(t.run('ZDIFF', '2', 'A', 'B', 'WITHSCORES')).toEqual(model.flatMap(([sc, m]) => [m, String(sc)]));
    expect(t.run('ZDIFF', '3', 'A', 'B', 'tiny', 'WITHSCORES')).toEqual(model.flatMap(([sc, m]) => [m, String(sc)]));
  });
});

describe('parseDouble (Redis string2d)', () => {
  it('accepts what strtod takes whole, refuses overflow and underflow to zero', () => {
    const cases: [string, number | undefined][] = [
      ['1', 1], ['-0', -0], ['+1', 1], ['1.', 1], ['.5', 0.5], ['1e5', 1e5], ['-2.5E-3', -2.5e-3], ['inf', Infinity],
      ['-Infinity', -Infinity], ['+INF', Infinity], ['0x10', 16], ['0X1P-2', 0.25], ['0x.8', 0.5], ['-0x0', -0], ['0x1.8p1', 3],
      ['0x1p-1074', 5e-324], ['0x1.8p-1074', 1e-323], ['0x1p1023', 2 ** 1023], ['1e-310', 1e-310], ['3e-324', 5e-324],
      ['0e99999', 0], ['0x1.0000000000000fffp0', 1.0000000000000002],
      ['0x1p-1075', undefined], ['0x1p1024', undefined], ['0x1.fffffffffffff8p1023', undefined], ['1e400', undefined],
      ['1e-400', undefined], ['2e-324', undefined], ['1.7976931348623159e308', undefined], ['nan', undefined],
      ['0x', undefined], ['0x1P', undefined], ['1e', undefined], [' 1', undefined], ['1 ', undefined], ['', undefined],
      ['infinit', undefined], ['1\x00', undefined], ['.', undefined], ['e1', undefined], ['--1', undefined],
      // the integer fast path and its edges
      ['0', 0], ['007', 7], ['-', undefined], ['-12a', undefined], ['123456789012345', 123456789012345],
      ['-999999999999999', -999999999999999], ['9007199254740993', 9007199254740992], ['12345678901234567890', 12345678901234567890],
    ];
    for (const [s, v] of cases) expect(parseDouble(s), JSON.stringify(s)).toBe(v);
  });
});

// ------------------------------------------------------------------ differential against real Redis

const redis = useRedisOracle('sorted-set algebra');

const NAMES = ['zunion', 'zinter', 'zdiff', 'zunionstore', 'zinterstore', 'zdiffstore', 'zintercard'];
const STORES = new Set(['ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE']);

describe.skipIf(!redisServerPath)('differential against real Redis', () => {
  it('COMMAND INFO and COMMAND DOCS, RESP2 and RESP3', async () => {
    await expectCommandDocsMatch(redis.port, NAMES);
  });

  type Argv = string[];

  /** One command on both; ZADD is applied to nodis directly (see seed), the rest is executed. */
  async function step(ours: EngineRespClient, r: RespTestClient, argv: Argv): Promise<void> {
    const label = argv.join(' ');
    const theirs = await r.call(...argv);
    if (argv[0] === 'ZADD') {
      if (!(theirs instanceof ReplyError)) seed(ours.engine, ours.client.db, argv[1]!, argv.slice(2));
      return;
    }
    expect(ours.call(...argv), label).toEqual(theirs);
    if (STORES.has(argv[0]!)) {
      for (const check of [['ZUNION', '1', argv[1]!, 'WITHSCORES'], ['OBJECT', 'ENCODING', argv[1]!], ['TTL', argv[1]!]]) {
        expect(ours.call(...check), `${check.join(' ')} after ${label}`).toEqual(await r.call(...check));
      }
    }
  }

  async function runSequence(protocol: '2' | '3', entries: string, commands: Argv[]): Promise<void> {
    const r = redis.client;
    await r.call('FLUSHALL');
    await r.call('HELLO', protocol);
    await r.call('CONFIG', 'SET', 'zset-max-listpack-entries', entries);
    const ours = engineRespClient(createTestEngine({ config: { 'zset-max-listpack-entries': entries } }).engine);
    ours.call('HELLO', protocol);
    for (const argv of commands) await step(ours, r, argv);
  }

  it('fixed cases', async () => {
    const long = 'L'.repeat(65);
    await runSequence('2', '128', [
      ['ZADD', 'A', '1e16', 'x', '1', 'p', '2', 'q'], ['ZADD', 'B', '1', 'x'], ['ZADD', 'C', '1', 'x', '5', 'r'],
      ['ZUNION', '3', 'A', 'B', 'C', 'WITHSCORES'], ['ZINTER', '3', 'C', 'A', 'B', 'WITHSCORES'],
      ['ZADD', 'zi', 'inf', 'a', '-inf', 'b', '5', 'c'], ['ZADD', 'zn', '-inf', 'a', 'inf', 'b', '-inf', 'c'], ['SADD', 's', 'a', 'c', 'z'],
      ['ZUNION', '3', 'zi', 'zn', 's', 'WEIGHTS', '1', '1', '-2', 'WITHSCORES'], ['ZINTER', '2', 'zi', 's', 'WEIGHTS', '1', 'inf', 'WITHSCORES'],
      ['ZINTER', '2', 'zi', 'zn', 'WEIGHTS', '1', '0', 'AGGREGATE', 'MIN', 'WITHSCORES'],
      ['ZUNION', '1', 'zi', 'WEIGHTS', '0x1p-1074', 'WITHSCORES'], ['ZUNION', '1', 'zi', 'WEIGHTS', '1e-310', 'WITHSCORES'],
      ['ZUNION', '1', 'zi', 'WEIGHTS', '0x1p1024'], ['ZUNION', '1', 'zi', 'WEIGHTS', '-0', 'WITHSCORES'],
      ['SET', 'str', 'v'], ['ZUNION', '2', 'str', 'zi', 'WEIGHTS', 'x'], ['ZUNIONSTORE', 'str', '2', 'zi', 's'],
      ['ZADD', 'lng', '1', long, '2', 'short'], ['ZINTERSTORE', 'd', '2', 'lng', 'lng'], ['ZDIFFSTORE', 'd', '2', 'lng', 'zi'],
      ['ZADD', 'lng2', '1', 'short'], ['ZDIFFSTORE', 'd', '2', 'lng', 'lng2'], ['ZINTERSTORE', 'd', '2', 'lng', 'lng2'],
      ['EXPIRE', 'd', '1000'], ['ZUNIONSTORE', 'd', '1', 'zi'], ['ZINTERSTORE', 'd', '2', 'zi', 'nokey'], ['EXISTS', 'd'],
      ['ZINTERCARD', '3', 'zi', 'zn', 's', 'LIMIT', '1'], ['ZINTERCARD', '0', 'x'], ['ZDIFF', '2', 's', 'zi', 'WITHSCORES'],
      ['ZUNIONSTORE', 'd', '99999999999999999999', 'a'], ['ZUNIONSTORE', 'd', '9223372036854775807', 'a'],
      ['COMMAND', 'GETKEYS', 'ZUNIONSTORE', 'd', '2', 'a', 'b', 'WEIGHTS', '1', '2'], ['COMMAND', 'GETKEYS', 'ZINTERCARD', '2', 'a', 'b', 'LIMIT', '1'],
      ['COMMAND', 'GETKEYSANDFLAGS', 'ZDIFFSTORE', 'd', '1', 'a'], ['COMMAND', 'GETKEYS', 'ZUNION', '5', 'a'], ['COMMAND', 'GETKEYS', 'ZINTER', 'x', 'a'],
    ]);
    await runSequence('3', '1', [
      ['ZADD', 'a', '1.5', 'a', '2', 'b'], ['SADD', 's', '1', '2'], ['ZUNION', '2', 'a', 's', 'WITHSCORES'], ['ZUNION', '2', 'a', 's'],
      ['ZINTER', '1', 'nokey', 'WITHSCORES'], ['ZDIFF', '1', 'a', 'WITHSCORES'], ['ZINTERCARD', '2', 'a', 's'],
      ['ZUNIONSTORE', 'd', '1', 's'], ['ZINTERSTORE', 'd', '2', 'a', 'a'], ['ZDIFFSTORE', 'd', '2', 'a', 's'],
      ['ZINTERSTORE', 'e', '2', 'a', 's'], ['EXISTS', 'e'],
    ]);
    await runSequence('2', '0', [['ZADD', 'a', '1', 'a'], ['ZUNIONSTORE', 'd', '1', 'a'], ['ZDIFFSTORE', 'd', '1', 'a']]);
  });

  // Random sequences over a few keys: sorted sets, a plain set, a string.
  const KEYS = ['z1', 'z2', 'z3', 's1', 'str'];
  const MEMBERS = ['a', 'b', 'c', 'd', '', '1', '2', '\x00\xff', 'M'.repeat(70)];
  const SCORES = ['0', '-0', '1', '2', '1.5', '-3', 'inf', '-inf', '1e16', '1e-310', '0x10', '3'];
  const WEIGHTS = ['1', '0', '-1', '2', '0.5', 'inf', '-inf', '-0', '1e16', '1e-300', 'x', '0x1p-1074', '1e400'];
  const key = fc.constantFrom(...KEYS);
  const member = fc.constantFrom(...MEMBERS);
  const keys = fc.array(key, { minLength: 1, maxLength: 4 });
  const dst = fc.constantFrom('d', 'd', 'z1', 'str');

  /** Options for n keys: WEIGHTS (mostly n of them), AGGREGATE, WITHSCORES, LIMIT, junk. */
  const options = (n: number): fc.Arbitrary<string[]> => fc.array(fc.oneof(
    { weight: 4, arbitrary: fc.tuple(fc.array(fc.constantFrom(...WEIGHTS), { minLength: n, maxLength: n }), fc.constantFrom(0, 0, 0, -1, 1))
      .map(([ws, d]) => ['WEIGHTS', ...(d < 0 ? ws.slice(1) : d > 0 ? [...ws, '1'] : ws)]) },
    { weight: 3, arbitrary: fc.constantFrom('SUM', 'MIN', 'MAX', 'max', 'avg').map((a) => ['AGGREGATE', a]) },
    { weight: 3, arbitrary: fc.constant(['WITHSCORES']) },
    fc.constantFrom(['LIMIT', '1'], ['LIMIT', '0'], ['LIMIT', '-1'], ['FOO'], ['AGGREGATE']),
  ), { maxLength: 3 }).map((groups) => groups.flat());

  const numkeys = (n: number): fc.Arbitrary<string> => fc.oneof({ weight: 12, arbitrary: fc.constant(String(n)) },
    fc.constantFrom('0', '-1', 'x', String(n + 1), String(Math.max(1, n - 1))));

  const command: fc.Arbitrary<Argv> = fc.oneof(
    { weight: 5, arbitrary: fc.tuple(key, fc.array(fc.tuple(fc.constantFrom(...SCORES), member), { minLength: 1, maxLength: 5 }))
      .map(([k, ps]) => ['ZADD', k, ...ps.flat()]) },
    { weight: 2, arbitrary: fc.tuple(key, fc.array(member, { minLength: 1, maxLength: 4 })).map(([k, ms]) => ['SADD', k, ...ms]) },
    { weight: 6, arbitrary: fc.tuple(fc.constantFrom('ZUNION', 'ZINTER', 'ZDIFF', 'ZINTERCARD'), keys)
      .chain(([c, ks]) => fc.tuple(numkeys(ks.length), options(ks.length)).map(([n, o]) => [c, n, ...ks, ...o])) },
    { weight: 6, arbitrary: fc.tuple(fc.constantFrom('ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE'), dst, keys)
      .chain(([c, d, ks]) => fc.tuple(numkeys(ks.length), options(ks.length)).map(([n, o]) => [c, d, n, ...ks, ...o])) },
    fc.constantFrom<Argv>(['SET', 'str', 'v'], ['DEL', 'z1'], ['DEL', 's1'], ['EXPIRE', 'd', '1000'], ['RPUSH', 'z3', 'x'], ['DEL', 'z3']),
  );

  it('random sequences agree (RESP2 and RESP3, several listpack limits)', async () => {
    try {
      await fc.assert(fc.asyncProperty(
        fc.array(command, { minLength: 1, maxLength: 25 }), fc.constantFrom<'2' | '3'>('2', '2', '3'), fc.constantFrom('128', '128', '2', '0'),
        (cmds, protocol, entries) => runSequence(protocol, entries, cmds),
      ), { numRuns: 400 });
    } finally {
      await redis.client.call('HELLO', '2');
      await redis.client.call('CONFIG', 'SET', 'zset-max-listpack-entries', '128');
    }
  });
});
