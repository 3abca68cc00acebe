import net from 'node:net';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ReplyParser, RespWriter } from '@nodis/protocol';
import { createTestEngine, type EngineHarness } from '../testing.js';
import { CapturingWriter, ReplyDouble, ReplyError, SimpleString, type Reply } from '../reply.js';
import { ZSetValue } from '../types/zset.js';
import { expectCommandDocsMatch, useRedisOracle } from '../../../../test/helpers/oracle.js';
import { redisServerPath } from '../../../../test/helpers/redis.js';
import { LEX_KEY, normaliseZset, zsetCommands } from '../../../../test/compat/generators/zset.js';

// ------------------------------------------------------------------ helpers

const err = (message: string) => new ReplyError(message);
const d = (x: number) => new ReplyDouble(x);
const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
const SYNTAX = 'ERR syntax error';
const NOT_INTEGER = 'ERR value is not an integer or out of range';
const NOT_FLOAT = 'ERR value is not a valid float';
const RANGE_NOT_FLOAT = 'ERR min or max is not a float';
const LEX_INVALID = 'ERR min or max not valid string range item';
const MUST_BE_POSITIVE = 'ERR value is out of range, must be positive';

function engine(config: Record<string, string> = {}) {
  return createTestEngine({ config });
}

/** Another client on the harness's engine whose deferred replies (blocking) are observable. */
function blockingClient(t: EngineHarness) {
  const writer = new CapturingWriter();
  const client = t.engine.createClient({ reply: writer, kind: 'memory', addr: 'memory' });
  return {
    client,
    writer,
    /** Sends a command; its reply, or undefined when it blocked. */
    send(...argv: string[]): Reply | undefined {
      t.engine.execute(client, argv);
      return writer.pending === 0 ? undefined : writer.takeOne();
    },
    reply(): Reply { return writer.takeOne(); },
  };
}

// ------------------------------------------------------------------ ZADD, ZINCRBY

describe('ZADD and ZINCRBY', () => {
  it('adds, updates, counts added (CH: changed) and keeps the order by score then member', () => {
    const t = engine();
    expect(t.run('ZADD', 'z', '1', 'b', '1', 'a', '0', 'c')).toBe(3);
    expect(t.run('ZADD', 'z', '5', 'a', '2', 'd')).toBe(1);
    expect(t.run('ZADD', 'z', 'CH', '6', 'a', '2', 'd', '7', 'e')).toBe(2);
    expect(t.run('ZRANGE', 'z', '0', '-1', 'WITHSCORES')).toEqual(['c', '0', 'b', '1', 'd', '2', 'a', '6', 'e', '7']);
    // The last pair for a member wins.
    expect(t.run('ZADD', 'z', '1', 'x', '2', 'x')).toBe(1);
    expect(t.run('ZSCORE', 'z', 'x')).toBe('2');
    expect(t.run('TYPE', 'z')).toEqual(new SimpleString('zset'));
  });

  it('honours NX, XX, GT, LT and INCR', () => {
    const t = engine();
    t.run('ZADD', 'z', '5', 'a');
    expect(t.run('ZADD', 'z', 'NX', '1', 'a', '1', 'b')).toBe(1);
    expect(t.run('ZSCORE', 'z', 'a')).toBe('5');
    expect(t.run('ZADD', 'z', 'XX', 'CH', '2', 'a', '2', 'c')).toBe(1);
    expect(t.run('ZSCORE', 'z', 'c')).toBe(null);
    expect(t.run('ZADD', 'z', 'GT', 'CH', '1', 'a', '9', 'b', '3', 'n')).toBe(2); // b raised, n added
    expect(t.run('ZADD', 'z', 'LT', 'CH', '7', 'a', '0', 'b')).toBe(1);
    expect(t.run('ZRANGE', 'z', '0', '-1', 'WITHSCORES')).toEqual(['b', '0', 'a', '2', 'n', '3']);
    expect(t.run('ZADD', 'z', 'INCR', '2.5', 'a')).toBe('4.5');
    expect(t.run('ZADD', 'z', 'INCR', 'NX', '1', 'a')).toBe(null);
    expect(t.run('ZADD', 'z', 'INCR', 'XX', '1', 'new')).toBe(null);
    expect(t.run('ZADD', 'z', 'INCR', 'GT', '-1', 'a')).toBe(null);
    expect(t.run('ZADD', 'z', 'INCR', 'GT', '0', 'a')).toBe(null); // GT and LT want a strict change
    expect(t.run('ZADD', 'z', 'INCR', 'LT', '0', 'a')).toBe(null);
    expect(t.run('ZADD', 'z', 'INCR', 'LT', '-1', 'a')).toBe('3.5');
    expect(t.run('ZADD', 'z', 'INCR', 'GT', '1', 'fresh')).toBe('1');
    expect(t.run('ZINCRBY', 'z', '-10', 'b')).toBe('-10');
    expect(t.run('ZINCRBY', 'z', '1e3', 'brand')).toBe('1000');
    // XX on a missing key creates nothing.
    expect(t.run('ZADD', 'none', 'XX', '1', 'a')).toBe(0);
    expect(t.run('ZADD', 'none', 'XX', 'INCR', '1', 'a')).toBe(null);
    expect(t.run('EXISTS', 'none')).toBe(0);
  });

  it('refuses conflicting options, odd pairs and bad scores before looking at the key', () => {
    const t = engine();
    t.run('SET', 's', 'x');
    expect(t.run('ZADD', 's', 'NX', 'XX', '1', 'a')).toEqual(err('ERR XX and NX options at the same time are not compatible'));
    for (const o of [['GT', 'NX'], ['LT', 'NX'], ['GT', 'LT']]) {
      expect(t.run('ZADD', 's', ...o, '1', 'a')).toEqual(err('ERR GT, LT, and/or NX options at the same time are not compatible'));
    }
    expect(t.run('ZADD', 's', 'INCR', '1', 'a', '2', 'b')).toEqual(err('ERR INCR option supports a single increment-element pair'));
    expect(t.run('ZADD', 's', 'NX', 'XX')).toEqual(err(SYNTAX));
    expect(t.run('ZADD', 's', 'XX', 'NX', '1', 'a', 'x')).toEqual(err(SYNTAX));
    expect(t.run('ZADD', 's', 'INCR', 'XX')).toEqual(err(SYNTAX));
    for (const bad of ['x', 'nan', '1e400', '-1e400', '1e-400', ' 1', '1 ', '', '1\x00']) {
      expect(t.run('ZADD', 's', bad, 'a'), JSON.stringify(bad)).toEqual(err(NOT_FLOAT));
    }
    expect(t.run('ZADD', 's', '1', 'a')).toEqual(err(WRONGTYPE));
    expect(t.run('ZINCRBY', 's', 'x', 'a')).toEqual(err(NOT_FLOAT));
    expect(t.run('ZINCRBY', 's', '1', 'a')).toEqual(err(WRONGTYPE));
    expect(t.run('ZADD', 's')).toEqual(err("ERR wrong number of arguments for 'zadd' command"));
  });

  it('reads scores as strtod does: hex, inf, subnormals; a NaN result is an error', () => {
    const t = engine();
    expect(t.run('ZADD', 'z', '0x10', 'a', '4.9e-324', 'b', '1e-310', 'c', 'Infinity', 'd', '+5', 'e', '.5', 'f', '5.', 'g', '1E+2', 'h', '-INF', 'i')).toBe(9);
    expect(t.run('ZRANGE', 'z', '0', '-1', 'WITHSCORES')).toEqual([
      'i', '-inf', 'b', '4.9406564584124654e-324', 'c', '9.9999999999999694e-311', 'f', '0.5', 'e', '5', 'g', '5',
      'a', '16', 'h', '100', 'd', 'inf']);
    expect(t.run('ZINCRBY', 'z', '-inf', 'd')).toEqual(err('ERR resulting score is not a number (NaN)'));
    expect(t.run('ZADD', 'z', 'INCR', 'GT', '-inf', 'd')).toEqual(err('ERR resulting score is not a number (NaN)'));
    expect(t.run('ZSCORE', 'z', 'd')).toBe('inf');
    expect(t.run('ZINCRBY', 'z', '0.1', 'f')).toBe('0.59999999999999998');
  });

  it('keeps -0 only in a skiplist: a listpack writes it as 0; 0 and -0 never update each other', () => {
    const t = engine();
    expect(t.run('ZADD', 'lp', '-0', 'a')).toBe(1);
    expect(t.run('ZSCORE', 'lp', 'a')).toBe('0');
    expect(t.run('ZINCRBY', 'lp', '-0', 'n')).toBe('-0'); // the reply is the sum; the listpack stores 0
    expect(t.run('ZSCORE', 'lp', 'n')).toBe('0');
    t.run('CONFIG', 'SET', 'zset-max-listpack-entries', '0');
    expect(t.run('ZADD', 'sk', '-0', 'a')).toBe(1);
    expect(t.run('OBJECT', 'ENCODING', 'sk')).toBe('skiplist');
    expect(t.run('ZSCORE', 'sk', 'a')).toBe('-0');
    expect(t.run('ZADD', 'sk', 'CH', '0', 'a')).toBe(0);
    expect(t.run('ZSCORE', 'sk', 'a')).toBe('-0');
    expect(t.run('ZINCRBY', 'sk', '0', 'a')).toBe('0');
    expect(t.run('ZSCORE', 'sk', 'a')).toBe('-0');
    expect(t.run('ZSCAN', 'sk', '0')).toEqual(['0', ['a', '-0']]);
  });

  it('answers RESP3 doubles', () => {
    const t = engine();
    t.run('HELLO', '3');
    expect(t.run('ZADD', 'z', 'INCR', '1.5', 'a')).toEqual(d(1.5));
    expect(t.run('ZINCRBY', 'z', '1', 'a')).toEqual(d(2.5));
    expect(t.run('ZSCORE', 'z', 'a')).toEqual(d(2.5));
    expect(t.run('ZMSCORE', 'z', 'a', 'b')).toEqual([d(2.5), null]);
    expect(t.run('ZRANGE', 'z', '0', '-1', 'WITHSCORES')).toEqual([['a', d(2.5)]]);
  });
});

// ------------------------------------------------------------------ members and counts

describe('ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK, ZCOUNT, ZLEXCOUNT', () => {
  it('answers for members, missing members and missing keys', () => {
    const t = engine();
    t.run('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c');
    expect(t.run('ZCARD', 'z')).toBe(3);
    expect(t.run('ZRANK', 'z', 'c')).toBe(2);
    expect(t.run('ZREVRANK', 'z', 'c')).toBe(0);
    expect(t.run('ZRANK', 'z', 'x')).toBe(null);
    expect(t.run('ZMSCORE', 'z', 'b', 'x', 'a')).toEqual(['2', null, '1']);
    expect(t.run('ZMSCORE', 'none', 'a', 'b')).toEqual([null, null]);
    expect(t.run('ZCARD', 'none')).toBe(0);
    expect(t.run('ZRANK', 'none', 'a')).toBe(null);
    expect(t.run('ZRANK', 'z', 'a', 'WITHSCORE')).toEqual(err("ERR wrong number of arguments for 'zrank' command"));
    expect(t.run('ZREM', 'z', 'a', 'x', 'a')).toBe(1);
    expect(t.run('ZREM', 'none', 'a')).toBe(0);
    expect(t.run('ZREM', 'z', 'b', 'c')).toBe(2);
    expect(t.run('EXISTS', 'z')).toBe(0);
  });

  it('counts by score with exclusive, infinite and strtod-lax bounds', () => {
    const t = engine();
    t.run('ZADD', 'z', '0', 'a', '1', 'b', '2', 'c', '1e308', 'd', '-5', 'e');
    const count = (min: string, max: string) => t.run('ZCOUNT', 'z', min, max);
    expect(count('-inf', '+inf')).toBe(5);
    expect(count('(0', '2')).toBe(2);
    expect(count('0', '(2')).toBe(2);
    expect(count('2', '0')).toBe(0);
    expect(count('(1', '(1')).toBe(0);
    expect(count('1', '1')).toBe(1);
    // zslParseRange is a bare strtod: "" and "(" are 0, leading space and out-of-range pass, a NUL ends it.
    expect(count('', '1')).toBe(2);
    expect(count('(', '1')).toBe(1);
    expect(count(' 1', '5')).toBe(2);
    expect(count('1e400', 'inf')).toBe(0);
    expect(count('-1e400', '1e-400')).toBe(2);
    expect(count('0x1', '0x2')).toBe(2);
    expect(count('1\x00abc', 'inf')).toBe(3);
    for (const [a, b] of [['1 ', '5'], ['nan', '5'], ['(nan', '5'], ['((1', '5'], ['[1', '5'], [' ', '1'], ['-', '+']]) {
      expect(t.run('ZCOUNT', 'z', a!, b!), `${a} ${b}`).toEqual(err(RANGE_NOT_FLOAT));
    }
  });

  it('counts by lex over equal scores', () => {
    const t = engine();
    t.run('ZADD', 'z', '0', 'a', '0', 'b', '0', 'c', '0', 'ab', '0', '');
    const count = (min: string, max: string) => t.run('ZLEXCOUNT', 'z', min, max);
    expect(count('-', '+')).toBe(5);
    expect(count('[a', '[b')).toBe(3);
    expect(count('(a', '(b')).toBe(1);
    expect(count('(', '+')).toBe(4);
    expect(count('[', '+')).toBe(5);
    expect(count('+', '-')).toBe(0);
    expect(count('-', '-')).toBe(0);
    expect(count('+', '+')).toBe(0);
    expect(count('[b', '[a')).toBe(0);
    expect(count('+\x00x', '+')).toBe(0); // a C-string check: the NUL ends the "+"
    for (const [a, b] of [['', '+'], ['+a', '+'], ['a', '[b'], ['-', 'b']]) {
      expect(t.run('ZLEXCOUNT', 'z', a!, b!), `${a} ${b}`).toEqual(err(LEX_INVALID));
    }
  });

  it('checks the type before or after the arguments as Redis does', () => {
    const t = engine();
    t.run('SET', 's', 'x');
    for (const argv of [['ZREM', 's', 'a'], ['ZCARD', 's'], ['ZSCORE', 's', 'a'], ['ZMSCORE', 's', 'a'], ['ZRANK', 's', 'a'],
      ['ZREVRANK', 's', 'a'], ['ZCOUNT', 's', '0', '1'], ['ZLEXCOUNT', 's', '-', '+'], ['ZRANGE', 's', '0', '1'],
      ['ZRANGEBYSCORE', 's', '0', '1'], ['ZRANGEBYLEX', 's', '-', '+'], ['ZRANGESTORE', 'd', 's', '0', '1'],
      ['ZREMRANGEBYRANK', 's', '0', '1'], ['ZREMRANGEBYSCORE', 's', '0', '1'], ['ZREMRANGEBYLEX', 's', '-', '+'],
      ['ZPOPMIN', 's'], ['ZPOPMAX', 's', '0'], ['ZMPOP', '2', 'none', 's', 'MIN'], ['ZRANDMEMBER', 's'], ['ZRANDMEMBER', 's', '0'],
      ['ZSCAN', 's', '0'], ['BZPOPMIN', 'none', 's', '0'], ['BZMPOP', '0', '1', 's', 'MAX']]) {
      expect(t.run(...argv), argv.join(' ')).toEqual(err(WRONGTYPE));
    }
    // Parse errors come first for these.
    expect(t.run('ZCOUNT', 's', 'x', '1')).toEqual(err(RANGE_NOT_FLOAT));
    expect(t.run('ZLEXCOUNT', 's', 'x', '+')).toEqual(err(LEX_INVALID));
    expect(t.run('ZRANGE', 's', 'x', '1')).toEqual(err(NOT_INTEGER));
    expect(t.run('ZREMRANGEBYRANK', 's', 'x', '1')).toEqual(err(NOT_INTEGER));
    expect(t.run('ZPOPMIN', 's', 'x')).toEqual(err(MUST_BE_POSITIVE));
    expect(t.run('ZRANDMEMBER', 's', 'x')).toEqual(err(NOT_INTEGER));
    expect(t.run('ZSCAN', 's', 'x')).toEqual(err('ERR invalid cursor'));
    expect(t.run('BZPOPMIN', 's', 'x')).toEqual(err('ERR timeout is not a float or out of range'));
    expect(t.run('GET', 's')).toBe('x');
  });
});

// ------------------------------------------------------------------ ranges

describe('ZRANGE and the older range commands', () => {
  function filled() {
    const t = engine();
    t.run('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e');
    t.run('ZADD', 'l', '0', 'a', '0', 'b', '0', 'c', '0', 'd');
    return t;
  }

  it('ranges by rank with negative indices, clamping and reversal', () => {
    const t = filled();
    expect(t.run('ZRANGE', 'z', '0', '-1')).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(t.run('ZRANGE', 'z', '-2', '-1', 'WITHSCORES')).toEqual(['d', '4', 'e', '5']);
    expect(t.run('ZRANGE', 'z', '-100', '1')).toEqual(['a', 'b']);
    expect(t.run('ZRANGE', 'z', '3', '1')).toEqual([]);
    expect(t.run('ZRANGE', 'z', '5', '10')).toEqual([]);
    expect(t.run('ZRANGE', 'z', '-9223372036854775808', '9223372036854775807')).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(t.run('ZRANGE', 'z', '0', '1', 'REV')).toEqual(['e', 'd']);
    expect(t.run('ZREVRANGE', 'z', '1', '2', 'WITHSCORES')).toEqual(['d', '4', 'c', '3']);
    expect(t.run('ZRANGE', 'none', '0', '-1')).toEqual([]);
    expect(t.run('ZRANGE', 'z', '0', '9223372036854775808')).toEqual(err(NOT_INTEGER));
    // LIMIT with a count of -1 passes by rank (Redis tests the count only) and is ignored.
    expect(t.run('ZRANGE', 'z', '0', '-1', 'LIMIT', '5', '-1')).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('ranges by score with LIMIT, forward and reversed (max first)', () => {
    const t = filled();
    expect(t.run('ZRANGE', 'z', '(1', '3', 'BYSCORE')).toEqual(['b', 'c']);
    expect(t.run('ZRANGE', 'z', '0', '4', 'BYSCORE', 'LIMIT', '1', '2')).toEqual(['b', 'c']);
    expect(t.run('ZRANGE', 'z', '4', '0', 'BYSCORE', 'REV', 'LIMIT', '1', '2', 'WITHSCORES')).toEqual(['c', '3', 'b', '2']);
    expect(t.run('ZRANGE', 'z', '0', '4', 'BYSCORE', 'LIMIT', '-1', '2')).toEqual([]);
    expect(t.run('ZRANGE', 'z', '0', '4', 'BYSCORE', 'LIMIT', '1', '-5')).toEqual(['b', 'c', 'd']);
    expect(t.run('ZRANGE', 'z', '0', '4', 'BYSCORE', 'LIMIT', '1', '0')).toEqual([]);
    expect(t.run('ZRANGE', 'z', '0', '9', 'BYSCORE', 'LIMIT', '4', '1')).toEqual(['e']);
    expect(t.run('ZRANGEBYSCORE', 'z', '-inf', '+inf', 'LIMIT', '1', '1', 'LIMIT', '0', '5')).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(t.run('ZRANGEBYSCORE', 'z', '2', '(4', 'WITHSCORES')).toEqual(['b', '2', 'c', '3']);
    expect(t.run('ZREVRANGEBYSCORE', 'z', '+inf', '-inf', 'LIMIT', '1', '-1')).toEqual(['d', 'c', 'b', 'a']);
    expect(t.run('ZREVRANGEBYSCORE', 'z', '1', '5')).toEqual([]);
  });

  it('ranges by lex, forward and reversed', () => {
    const t = filled();
    expect(t.run('ZRANGE', 'l', '[b', '[c', 'BYLEX')).toEqual(['b', 'c']);
    expect(t.run('ZRANGE', 'l', '+', '-', 'BYLEX', 'REV', 'LIMIT', '1', '2')).toEqual(['c', 'b']);
    expect(t.run('ZRANGEBYLEX', 'l', '(a', '+')).toEqual(['b', 'c', 'd']);
    expect(t.run('ZREVRANGEBYLEX', 'l', '+', '-', 'LIMIT', '1', '1')).toEqual(['c']);
    expect(t.run('ZRANGEBYLEX', 'l', '+', '-')).toEqual([]);
    expect(t.run('ZRANGEBYLEX', 'l', 'a', '+')).toEqual(err(LEX_INVALID));
  });

  it('refuses misplaced options with Redis\'s messages', () => {
    const t = filled();
    const limitErr = err('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX');
    const lexErr = err('ERR syntax error, WITHSCORES not supported in combination with BYLEX');
    for (const o of [['REV', 'REV'], ['BYSCORE', 'BYSCORE'], ['BYSCORE', 'BYLEX'], ['LIMIT', '0'], ['foo']]) {
      expect(t.run('ZRANGE', 'z', '0', '-1', ...o), o.join(' ')).toEqual(err(SYNTAX));
    }
    expect(t.run('ZRANGE', 'z', '0', '-1', 'WITHSCORES', 'WITHSCORES')).toHaveLength(10);
    expect(t.run('ZRANGE', 'z', '0', '-1', 'LIMIT', '0', '1')).toEqual(limitErr);
    expect(t.run('ZRANGE', 'z', 'x', '1', 'LIMIT', '0', '1')).toEqual(limitErr);
    expect(t.run('ZRANGE', 'z', '0', '-1', 'LIMIT', 'x', '1', 'BYSCORE')).toEqual(err(NOT_INTEGER));
    expect(t.run('ZRANGE', 'z', '-', '+', 'BYLEX', 'WITHSCORES')).toEqual(lexErr);
    expect(t.run('ZRANGE', 'z', 'x', '1', 'BYSCORE')).toEqual(err(RANGE_NOT_FLOAT));
    expect(t.run('ZRANGEBYSCORE', 'z', '0', '4', 'BYSCORE')).toEqual(err(SYNTAX));
    expect(t.run('ZRANGEBYSCORE', 'z', '0', '4', 'REV')).toEqual(err(SYNTAX));
    expect(t.run('ZREVRANGE', 'z', '0', '1', 'REV')).toEqual(err(SYNTAX));
    expect(t.run('ZREVRANGE', 'z', '0', '1', 'LIMIT', '0', '1')).toEqual(limitErr);
    expect(t.run('ZRANGEBYLEX', 'l', '-', '+', 'WITHSCORES')).toEqual(lexErr);
    expect(t.run('ZRANGESTORE', 'd', 'z', '0', '-1', 'WITHSCORES')).toEqual(err(SYNTAX));
    expect(t.run('ZRANGESTORE', 'd', 'z', '0', '-1', 'LIMIT', '0', '1')).toEqual(limitErr);
  });

  it('ZRANGESTORE stores (any old type replaced), deletes the destination on an empty result', () => {
    const t = filled();
    t.run('SET', 'd', 'x', 'EX', '100');
    expect(t.run('ZRANGESTORE', 'd', 'z', '1', '2')).toBe(2);
    expect(t.run('ZRANGE', 'd', '0', '-1', 'WITHSCORES')).toEqual(['b', '2', 'c', '3']);
    expect(t.run('TTL', 'd')).toBe(-1);
    expect(t.run('ZRANGESTORE', 'd', 'z', '(2', '+inf', 'BYSCORE', 'REV', 'LIMIT', '0', '2')).toBe(0); // REV: max first
    expect(t.run('EXISTS', 'd')).toBe(0);
    expect(t.run('ZRANGESTORE', 'd', 'z', '+inf', '(2', 'BYSCORE', 'REV', 'LIMIT', '0', '2')).toBe(2);
    expect(t.run('ZRANGE', 'd', '0', '-1')).toEqual(['d', 'e']);
    expect(t.run('ZRANGESTORE', 'd', 'none', '0', '-1')).toBe(0);
    expect(t.run('EXISTS', 'd')).toBe(0);
    expect(t.run('ZRANGESTORE', 'z', 'z', '0', '0')).toBe(1);
    expect(t.run('ZRANGE', 'z', '0', '-1')).toEqual(['a']);
    expect(t.run('ZRANGESTORE', 'd', 'l', '[b', '+', 'BYLEX')).toBe(3);
  });

  it('ZRANGESTORE picks the encoding as Redis 7.0 does', () => {
    const t = engine({ 'zset-max-listpack-entries': '3', 'zset-max-listpack-value': '3' });
    t.run('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd');
    expect(t.run('OBJECT', 'ENCODING', 'z')).toBe('skiplist');
    t.run('ZREM', 'z', 'd');
    expect(t.run('OBJECT', 'ENCODING', 'z')).toBe('skiplist'); // never converts back
    expect(t.run('ZRANGESTORE', 'd', 'z', '0', '-1')).toBe(3);
    expect(t.run('OBJECT', 'ENCODING', 'd')).toBe('listpack');
    t.run('ZADD', 'long', '1', 'a', '2', 'bbbb');
    expect(t.run('ZRANGESTORE', 'd', 'long', '0', '0')).toBe(1);
    expect(t.run('OBJECT', 'ENCODING', 'd')).toBe('listpack');
    expect(t.run('ZRANGESTORE', 'd', 'long', '1', '1')).toBe(1);
    expect(t.run('OBJECT', 'ENCODING', 'd')).toBe('skiplist');
    // -0 survives where Redis inserts into a skiplist: all of a long rank range, the members
    // past the conversion point of a score range.
    t.run('CONFIG', 'SET', 'zset-max-listpack-entries', '0');
    t.run('ZADD', 'neg', '-0', 'a', '-0', 'b', '-0', 'c', '-0', 'd');
    t.run('CONFIG', 'SET', 'zset-max-listpack-entries', '3');
    t.run('ZRANGESTORE', 'r', 'neg', '0', '-1');
    expect(t.run('ZSCAN', 'r', '0')[1]).toEqual(['a', '-0', 'b', '-0', 'c', '-0', 'd', '-0']);
    t.run('ZRANGESTORE', 's', 'neg', '-inf', '+inf', 'BYSCORE');
    expect(t.run('OBJECT', 'ENCODING', 's')).toBe('skiplist');
    expect(t.run('ZMSCORE', 's', 'a', 'b', 'c', 'd')).toEqual(['0', '0', '0', '-0']);
    t.run('ZRANGESTORE', 'p', 'neg', '0', '2');
    expect(t.run('ZSCAN', 'p', '0')).toEqual(['0', ['a', '0', 'b', '0', 'c', '0']]);
  });
});

describe('ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX', () => {
  it('removes ranges, parses before looking at the key, deletes emptied keys', () => {
    const t = engine();
    t.run('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e');
    expect(t.run('ZREMRANGEBYRANK', 'z', '3', '1')).toBe(0);
    expect(t.run('ZREMRANGEBYRANK', 'z', '-2', '-1')).toBe(2);
    expect(t.run('ZREMRANGEBYSCORE', 'z', '(1', '2')).toBe(1);
    expect(t.run('ZREMRANGEBYSCORE', 'z', '5', '1')).toBe(0);
    expect(t.run('ZRANGE', 'z', '0', '-1')).toEqual(['a', 'c']);
    expect(t.run('ZREMRANGEBYRANK', 'z', '0', '100')).toBe(2);
    expect(t.run('EXISTS', 'z')).toBe(0);
    expect(t.run('ZREMRANGEBYRANK', 'none', '0', '1')).toBe(0);
    expect(t.run('ZREMRANGEBYRANK', 'none', 'x', '1')).toEqual(err(NOT_INTEGER));
    expect(t.run('ZREMRANGEBYSCORE', 'none', 'x', '1')).toEqual(err(RANGE_NOT_FLOAT));
    expect(t.run('ZREMRANGEBYLEX', 'none', 'x', '1')).toEqual(err(LEX_INVALID));
    t.run('ZADD', 'l', '0', 'a', '0', 'b', '0', 'c');
    expect(t.run('ZREMRANGEBYLEX', 'l', '(a', '[b')).toBe(1);
    expect(t.run('ZREMRANGEBYLEX', 'l', '-', '+')).toBe(2);
    expect(t.run('EXISTS', 'l')).toBe(0);
  });
});

// ------------------------------------------------------------------ pops

describe('ZPOPMIN, ZPOPMAX, ZMPOP', () => {
  it('pops by score with the RESP2 and RESP3 shapes', () => {
    const t = engine();
    t.run('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd');
    expect(t.run('ZPOPMIN', 'z')).toEqual(['a', '1']);
    expect(t.run('ZPOPMAX', 'z', '2')).toEqual(['d', '4', 'c', '3']);
    expect(t.run('ZPOPMIN', 'z', '0')).toEqual([]);
    expect(t.run('ZPOPMIN', 'none')).toEqual([]);
    expect(t.run('ZPOPMIN', 'none', '1')).toEqual([]);
    t.run('HELLO', '3');
    t.run('ZADD', 'z', '1', 'a', '3', 'c');
    expect(t.run('ZPOPMIN', 'z')).toEqual(['a', d(1)]); // one flat pair without a count
    expect(t.run('ZPOPMIN', 'z', '1')).toEqual([['b', d(2)]]);
    expect(t.run('ZPOPMAX', 'z', '9223372036854775807')).toEqual([['c', d(3)]]);
    expect(t.run('EXISTS', 'z')).toBe(0);
  });

  it('refuses bad counts before looking at the key', () => {
    const t = engine();
    t.run('ZADD', 'z', '1', 'a');
    expect(t.run('ZPOPMIN', 'z', '-1')).toEqual(err(MUST_BE_POSITIVE));
    expect(t.run('ZPOPMIN', 'z', '9223372036854775808')).toEqual(err(MUST_BE_POSITIVE));
    expect(t.run('ZPOPMIN', 'z', '1', '2')).toEqual(err(SYNTAX));
  });

  it('ZMPOP pops from the first non-empty key, [key, [[member, score] ...]]', () => {
    const t = engine();
    t.run('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c');
    expect(t.run('ZMPOP', '2', 'none', 'z', 'MAX', 'COUNT', '2')).toEqual(['z', [['c', '3'], ['b', '2']]]);
    expect(t.run('ZMPOP', '1', 'z', 'min', 'count', '10')).toEqual(['z', [['a', '1']]]);
    expect(t.run('ZMPOP', '1', 'z', 'MIN')).toBe(null);
    const numkeys = err('ERR numkeys should be greater than 0');
    const count = err('ERR count should be greater than 0');
    for (const [argv, e] of [[['0', 'z', 'MIN'], numkeys], [['x', 'z', 'MIN'], numkeys], [['-1', 'z', 'MIN'], numkeys],
      [['2', 'z', 'MIN'], err(SYNTAX)], [['1', 'z', 'FOO'], err(SYNTAX)], [['1', 'z', 'MIN', 'COUNT'], err(SYNTAX)],
      [['1', 'z', 'MIN', 'COUNT', '0'], count], [['1', 'z', 'MIN', 'COUNT', 'x'], count],
      [['1', 'z', 'MIN', 'COUNT', '1', 'COUNT', '1'], err(SYNTAX)], [['9223372036854775807', 'z', 'MIN'], err(SYNTAX)]] as const) {
      expect(t.run('ZMPOP', ...argv), argv.join(' ')).toEqual(e);
    }
  });
});

describe('blocking: BZPOPMIN, BZPOPMAX, BZMPOP', () => {
  it('answers at once when a key has members', () => {
    const t = engine();
    t.run('ZADD', 'z', '1', 'a', '2', 'b');
    expect(t.run('BZPOPMAX', 'none', 'z', '0')).toEqual(['z', 'b', '2']);
    expect(t.run('BZMPOP', '0', '1', 'z', 'MIN', 'COUNT', '5')).toEqual(['z', [['a', '1']]]);
    t.run('HELLO', '3');
    t.run('ZADD', 'z', '1.5', 'a');
    expect(t.run('BZPOPMIN', 'z', '0')).toEqual(['z', 'a', d(1.5)]);
  });

  it('blocks, and is served by a later ZADD from the key that became ready', () => {
    const t = engine();
    const a = blockingClient(t);
    expect(a.send('BZPOPMIN', 'k1', 'k2', '0')).toBeUndefined();
    expect(t.run('ZADD', 'k2', '2', 'y', '1', 'x')).toBe(2);
    expect(a.reply()).toEqual(['k2', 'x', '1']);
    expect(t.run('ZRANGE', 'k2', '0', '-1')).toEqual(['y']);
    expect(a.client.blocked).toBe(false);
    // BZMPOP takes up to COUNT; the emptied key vanishes.
    expect(a.send('BZMPOP', '0', '2', 'k3', 'k2', 'MAX', 'COUNT', '5')).toEqual(['k2', [['y', '2']]]);
    expect(t.run('EXISTS', 'k2')).toBe(0);
    expect(a.send('BZMPOP', '0', '2', 'k3', 'k4', 'MAX', 'COUNT', '2')).toBeUndefined();
    t.run('ZADD', 'k4', '1', 'p', '2', 'q', '3', 'r');
    expect(a.reply()).toEqual(['k4', [['r', '3'], ['q', '2']]]);
    // Waiters are served in arrival order; ZRANGESTORE creating the key wakes them too.
    const b = blockingClient(t);
    expect(a.send('BZPOPMAX', 'q', '0')).toBeUndefined();
    expect(b.send('BZPOPMAX', 'q', '0')).toBeUndefined();
    expect(t.run('ZRANGESTORE', 'q', 'k4', '0', '-1')).toBe(1);
    expect(a.reply()).toEqual(['q', 'p', '1']);
    expect(b.writer.pending).toBe(0);
    t.run('ZADD', 'q', '7', 'w');
    expect(b.reply()).toEqual(['q', 'w', '7']);
  });

  it('stays blocked while the key holds another type', () => {
    const t = engine();
    const a = blockingClient(t);
    expect(a.send('BZPOPMIN', 'k', '0')).toBeUndefined();
    t.run('SET', 'k', 'x');
    expect(a.writer.pending).toBe(0);
    t.run('DEL', 'k');
    t.run('ZADD', 'k', '1', 'm');
    expect(a.reply()).toEqual(['k', 'm', '1']);
  });

  it('times out with a null array at the deadline (RESP2 *-1, RESP3 _)', () => {
    const t = engine();
    for (const protocol of [2, 3] as const) {
      const writer = new RespWriter(protocol);
      const client = t.engine.createClient({ reply: writer, kind: 'memory' });
      for (const argv of [['BZPOPMIN', 'q', '0.5'], ['BZPOPMAX', 'q', 'r', '1'], ['BZMPOP', '1', '1', 'q', 'MIN']]) {
        t.engine.execute(client, argv);
        expect(writer.take().length).toBe(0);
        t.clock.advance(499);
        t.engine.expireBlocked();
        expect(client.blocked).toBe(true);
        t.clock.advance(501);
        t.engine.expireBlocked();
        expect(writer.take().toString('latin1'), argv.join(' ')).toBe(protocol === 2 ? '*-1\r\n' : '_\r\n');
      }
    }
  });

  it('parses numkeys, the direction and COUNT before the timeout', () => {
    const t = engine();
    expect(t.run('BZMPOP', 'x', '0', 'z', 'MIN')).toEqual(err('ERR numkeys should be greater than 0'));
    expect(t.run('BZMPOP', 'x', '1', 'z', 'UP')).toEqual(err(SYNTAX));
    expect(t.run('BZMPOP', 'x', '1', 'z', 'MIN')).toEqual(err('ERR timeout is not a float or out of range'));
    expect(t.run('BZMPOP', '-1', '1', 'z', 'MIN')).toEqual(err('ERR timeout is negative'));
    expect(t.run('BZPOPMIN', 'z', '-1')).toEqual(err('ERR timeout is negative'));
  });
});

// ------------------------------------------------------------------ random members and scans

describe('ZRANDMEMBER', () => {
  it('answers counts like SRANDMEMBER, with scores when asked', () => {
    const t = engine();
    t.run('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c');
    const scores: Record<string, string> = { a: '1', b: '2', c: '3' };
    expect(Object.keys(scores)).toContain(t.run('ZRANDMEMBER', 'z'));
    expect(t.run('ZRANDMEMBER', 'none')).toBe(null);
    expect(t.run('ZRANDMEMBER', 'none', '5')).toEqual([]);
    expect(t.run('ZRANDMEMBER', 'z', '0')).toEqual([]);
    const two = t.run('ZRANDMEMBER', 'z', '2', 'WITHSCORES') as string[];
    expect(two).toHaveLength(4);
    expect(two[0]).not.toBe(two[2]);
    for (let i = 0; i < 4; i += 2) expect(scores[two[i]!]).toBe(two[i + 1]);
    expect((t.run('ZRANDMEMBER', 'z', '10') as string[]).sort()).toEqual(['a', 'b', 'c']);
    const many = t.run('ZRANDMEMBER', 'z', '-50') as string[];
    expect(many).toHaveLength(50);
    expect(new Set(many).size).toBeLessThanOrEqual(3);
    t.run('HELLO', '3');
    const pairs = t.run('ZRANDMEMBER', 'z', '-2', 'WITHSCORES') as [string, ReplyDouble][];
    expect(pairs).toHaveLength(2);
    for (const [m, s] of pairs) expect(s).toEqual(d(Number(scores[m])));
  });

  it('refuses bad counts with Redis\'s messages, and absurd repeats', () => {
    const t = engine();
    t.run('ZADD', 'z', '1', 'a');
    expect(t.run('ZRANDMEMBER', 'z', '-9223372036854775808')).toEqual(
      err('ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807'));
    expect(t.run('ZRANDMEMBER', 'z', '4611686018427387904', 'WITHSCORES')).toEqual(err('ERR value is out of range'));
    expect(t.run('ZRANDMEMBER', 'z', '-4611686018427387904', 'WITHSCORES')).toEqual(err('ERR value is out of range'));
    expect(t.run('ZRANDMEMBER', 'z', '4611686018427387903', 'WITHSCORES')).toEqual(['a', '1']);
    expect(t.run('ZRANDMEMBER', 'z', '1', 'WITHSCORES', 'x')).toEqual(err(SYNTAX));
    expect(t.run('ZRANDMEMBER', 'z', '1', 'x')).toEqual(err(SYNTAX));
    expect(t.run('ZRANDMEMBER', 'z', '-9223372036854775807')).toEqual(err(`ERR value is out of range, a negative count must be at least -${2 ** 24}`));
  });
});

describe('ZSCAN', () => {
  it('answers a listpack whole with cursor 0 and scores as the listpack writes them', () => {
    const t = engine();
    t.run('ZADD', 'z', '1e18', 'a', '123456789012345678', 'b', '0.1', 'c', '-inf', 'd', '4611686018427388928', 'e');
    expect(t.run('ZSCAN', 'z', '12345')).toEqual(['0', [
      'd', '-inf', 'c', '0.10000000000000001', 'b', '123456789012345680', 'a', '1000000000000000000', 'e', '4.6116860184273889e+18']]);
    expect(t.run('ZSCAN', 'z', '0', 'MATCH', '[ab]')).toEqual(['0', ['b', '123456789012345680', 'a', '1000000000000000000']]);
    expect(t.run('ZSCAN', 'none', '0', 'COUNT', '0')).toEqual(['0', []]);
    expect(t.run('ZSCAN', 'z', '0', 'COUNT', '0')).toEqual(err(SYNTAX));
    expect(t.run('ZSCAN', 'z', '0', 'COUNT', 'x')).toEqual(err(NOT_INTEGER));
    expect(t.run('ZSCAN', 'z', '0', 'MATCH')).toEqual(err(SYNTAX));
    t.run('HELLO', '3');
    expect(t.run('ZSCAN', 'z', '0', 'MATCH', 'c')).toEqual(['0', ['c', '0.10000000000000001']]); // bulk strings in RESP3 too
  });

  it('iterates a skiplist with cursors, every member exactly once when nothing changes', () => {
    const t = engine();
    const n = 1000;
    const args: string[] = [];
    for (let i = 0; i < n; i++) args.push(String(i / 4), `m${i}`);
    t.run('ZADD', 'z', ...args);
    expect(t.run('OBJECT', 'ENCODING', 'z')).toBe('skiplist');
    const seen = new Map<string, string>();
    let cursor = '0';
    let calls = 0;
    do {
      const [next, flat] = t.run('ZSCAN', 'z', cursor, 'COUNT', '37') as [string, string[]];
      for (let i = 0; i < flat.length; i += 2) {
        expect(seen.has(flat[i]!)).toBe(false);
        seen.set(flat[i]!, flat[i + 1]!);
      }
      cursor = next;
      calls++;
    } while (cursor !== '0');
    expect(seen.size).toBe(n);
    expect(seen.get('m5')).toBe('1.25');
    expect(calls).toBeGreaterThan(20);
  });
});

// ------------------------------------------------------------------ encodings and scale

describe('encodings', () => {
  it('converts to skiplist past the limits (entries, member length, 0 entries) and never back', () => {
    const t = engine({ 'zset-max-listpack-entries': '3', 'zset-max-listpack-value': '4' });
    t.run('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c');
    expect(t.run('OBJECT', 'ENCODING', 'z')).toBe('listpack');
    t.run('ZINCRBY', 'z', '1', 'd');
    expect(t.run('OBJECT', 'ENCODING', 'z')).toBe('skiplist');
    t.run('ZPOPMIN', 'z', '3');
    expect(t.run('OBJECT', 'ENCODING', 'z')).toBe('skiplist');
    t.run('ZADD', 'long', '1', 'abcde');
    expect(t.run('OBJECT', 'ENCODING', 'long')).toBe('skiplist');
    t.run('ZADD', 'fits', '1', 'abcd');
    expect(t.run('OBJECT', 'ENCODING', 'fits')).toBe('listpack');
    t.run('CONFIG', 'SET', 'zset-max-listpack-entries', '0');
    t.run('ZADD', 'zero', '1', 'a');
    expect(t.run('OBJECT', 'ENCODING', 'zero')).toBe('skiplist');
    // COPY keeps the encoding and the members.
    expect(t.run('COPY', 'fits', 'c2')).toBe(1);
    expect(t.run('OBJECT', 'ENCODING', 'c2')).toBe('listpack');
    expect(t.run('ZRANGE', 'c2', '0', '-1', 'WITHSCORES')).toEqual(['abcd', '1']);
  });

  it('answers ranges, ranks and pops on 200k members from the tree', () => {
    const t = engine();
    const z = new ZSetValue();
    for (let i = 0; i < 200_000; i++) z.insert(i, `m${i}`);
    z.markSkiplist();
    t.engine.dbs[0]!.set('big', z);
    expect(t.run('ZCARD', 'big')).toBe(200_000);
    expect(t.run('ZRANK', 'big', 'm123456')).toBe(123456);
    expect(t.run('ZRANGE', 'big', '100000', '100002')).toEqual(['m100000', 'm100001', 'm100002']);
    expect(t.run('ZRANGE', 'big', '+inf', '(199997', 'BYSCORE', 'REV', 'LIMIT', '1', '5')).toEqual(['m199998']);
    expect(t.run('ZRANGEBYSCORE', 'big', '50000', '+inf', 'LIMIT', '10', '2')).toEqual(['m50010', 'm50011']);
    expect(t.run('ZCOUNT', 'big', '(1000', '2000')).toBe(1000);
    expect(t.run('ZREMRANGEBYSCORE', 'big', '1000', '(101000')).toBe(100_000);
    expect(t.run('ZPOPMAX', 'big', '2')).toEqual(['m199999', '199999', 'm199998', '199998']);
    expect(t.run('ZCARD', 'big')).toBe(99_998);
    expect(t.run('ZRANK', 'big', 'm101000')).toBe(1000);
    expect(t.run('ZREMRANGEBYRANK', 'big', '0', '-1')).toBe(99_998);
    expect(t.run('EXISTS', 'big')).toBe(0);
  });
});

// ------------------------------------------------------------------ differential against real Redis

/** Where one RESP reply starting at `pos` ends, or -1 when the buffer does not hold it all yet. */
function replyEnd(s: string, pos: number): number {
  const line = s.indexOf('\r\n', pos);
  if (line === -1) return -1;
  const type = s[pos];
  const n = Number(s.slice(pos + 1, line));
  let at = line + 2;
  switch (type) {
    case '$': case '=': case '!':
      if (n < 0) return at;
      return s.length >= at + n + 2 ? at + n + 2 : -1;
    case '*': case '~': case '>': case '%': case '|': {
      const items = n < 0 ? 0 : type === '%' || type === '|' ? n * 2 : n;
      for (let i = 0; i < items; i++) {
        at = replyEnd(s, at);
        if (at === -1) return -1;
      }
      return at;
    }
    default:
      return at;
  }
}

/** A connection to redis-server answering raw reply bytes, one command at a time. */
class RawRedis {
  private data = '';
  private waiting: ((r: string) => void) | undefined;
  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (c) => { this.data += c.toString('latin1'); this.flush(); });
  }
  static async open(port: number): Promise<RawRedis> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
    socket.setNoDelay(true);
    return new RawRedis(socket);
  }
  private flush(): void {
    if (!this.waiting) return;
    const end = replyEnd(this.data, 0);
    if (end === -1) return;
    const reply = this.data.slice(0, end);
    this.data = this.data.slice(end);
    const w = this.waiting;
    this.waiting = undefined;
    w(reply);
  }
  /** Sends a command; resolves its raw reply. */
  call(...argv: string[]): Promise<string> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.socket.write(encode(argv));
      this.flush();
    });
  }
  close(): void { this.socket.destroy(); }
}

function encode(argv: readonly string[]): Buffer {
  let out = `*${argv.length}\r\n`;
  for (const a of argv) out += `$${a.length}\r\n${a}\r\n`;
  return Buffer.from(out, 'latin1');
}

function parse(raw: string): Reply {
  const out: Reply[] = [];
  new ReplyParser().feed(Buffer.from(raw, 'latin1'), (r) => { out.push(r); });
  return out[0]!;
}

/** nodis in process answering raw RESP bytes; a command that blocks is timed out after 10 ms of its clock. */
function nodisRaw(t: EngineHarness) {
  const writer = new RespWriter(2);
  const client = t.engine.createClient({ reply: writer, kind: 'tcp', addr: '127.0.0.1:50000', laddr: '127.0.0.1:7379' });
  return {
    call(...argv: string[]): string {
      t.engine.execute(client, argv);
      if (client.blocked) {
        t.clock.advance(10);
        t.engine.expireBlocked();
      }
      return writer.take().toString('latin1');
    },
  };
}

const redis = useRedisOracle('sorted-set', (port) => RawRedis.open(port));

const NAMES = ['zadd', 'zincrby', 'zrem', 'zcard', 'zscore', 'zmscore', 'zrank', 'zrevrank', 'zcount', 'zlexcount', 'zrange',
  'zrangestore', 'zrevrange', 'zrangebyscore', 'zrevrangebyscore', 'zrangebylex', 'zrevrangebylex', 'zremrangebyrank',
  'zremrangebyscore', 'zremrangebylex', 'zpopmin', 'zpopmax', 'zmpop', 'zrandmember', 'zscan', 'bzpopmin', 'bzpopmax', 'bzmpop'];

describe.skipIf(!redisServerPath)('differential against real Redis', () => {
  it('COMMAND INFO and COMMAND DOCS of every command, RESP2 and RESP3', async () => {
    await expectCommandDocsMatch(redis.port, NAMES);
  });

  /** Runs commands on a fresh nodis and a flushed Redis, comparing raw replies byte for byte. */
  async function exact(commands: string[][], config: Record<string, string> = {}): Promise<void> {
    const r = redis.client;
    await r.call('FLUSHALL');
    await r.call('HELLO', '2');
    const limits = { 'zset-max-listpack-entries': '128', 'zset-max-listpack-value': '64', ...config };
    for (const [k, v] of Object.entries(limits)) await r.call('CONFIG', 'SET', k, v);
    const ours = nodisRaw(engine(limits));
    for (const argv of commands) {
      const [x, y] = [ours.call(...argv), await r.call(...argv)];
      if (argv[0] !== 'HELLO') expect(x, argv.join(' ')).toBe(y); // HELLO's reply has the client id
    }
  }

  it('fixed cases: errors, edge bounds, RESP3 shapes, encodings, listpack score texts', async () => {
    await exact([['SET', 's', 'x'], ['ZADD', 's', 'x', 'a'], ['ZADD', 's', '1', 'a'], ['ZADD', 's', 'GT', 'LT', '1', 'a'],
      ['ZADD', 'z', '0x10', 'a', '1e-310', 'b', '-0', 'c', '1e18', 'd', '123456789012345678', 'e', '0.1', 'f', '-inf', 'g'],
      ['ZSCAN', 'z', '0'], ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'], ['ZSCORE', 'z', 'c'], ['ZMSCORE', 'z', 'a', 'x'],
      ['ZADD', 'z', '1e400', 'x'], ['ZADD', 'z', 'INCR', '1', 'a', '2', 'b'], ['ZINCRBY', 'z', 'inf', 'g'], ['ZINCRBY', 'z', '1', 'g'],
      ['ZADD', 'z', 'XX', 'INCR', '1', 'nope'], ['ZADD', 'none', 'XX', '1', 'a'], ['ZRANK', 'z', 'a', 'WITHSCORE'],
      ['ZCOUNT', 'z', '', '(1'], ['ZCOUNT', 'z', ' 1', 'inf'], ['ZCOUNT', 'z', '1\x00x', 'inf'], ['ZCOUNT', 'z', '1 ', '2'],
      ['ZRANGE', 'z', '(0', '+inf', 'BYSCORE', 'LIMIT', '1', '2', 'WITHSCORES'], ['ZRANGE', 'z', '0', '-1', 'LIMIT', '2', '-1'],
      ['ZRANGE', 'z', '0', '-1', 'LIMIT', '2', '1'], ['ZRANGE', 'z', '-', '+', 'BYLEX', 'WITHSCORES'], ['ZRANGEBYLEX', 'z', 'x', '+'],
      ['ZRANGESTORE', 's', 'z', '0', '1'], ['TYPE', 's'], ['ZRANGESTORE', 's', 'nokey', '0', '1'], ['EXISTS', 's'],
      ['ZPOPMIN', 'z'], ['ZPOPMAX', 'z', '2'], ['ZPOPMIN', 'nokey'], ['ZPOPMIN', 'z', '-1'], ['ZMPOP', '1', 'nokey', 'MIN'],
      ['ZMPOP', '2', 'nokey', 'z', 'MAX', 'COUNT', '2'], ['ZMPOP', '0', 'z', 'MIN'], ['ZMPOP', '1', 'z', 'MIN', 'COUNT', '0'],
      ['ZRANDMEMBER', 'nokey'], ['ZRANDMEMBER', 'nokey', '1'], ['ZRANDMEMBER', 'z', '-9223372036854775808'],
      ['ZRANDMEMBER', 'z', '4611686018427387904', 'WITHSCORES'], ['ZSCAN', 'nokey', '0'], ['ZSCAN', 'z', 'x'],
      ['BZPOPMIN', 'nokey', '0.01'], ['BZMPOP', '0.01', '1', 'nokey', 'MIN'], ['BZPOPMAX', 'nokey', 'z', '0'],
      ['BZMPOP', '0', '1', 'z', 'MIN', 'COUNT', '10']]);
    await exact([['HELLO', '3'], ['ZADD', 'z', '1', 'a', '2.5', 'b', '3', 'c', '4', 'd'], ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
      ['ZRANGEBYSCORE', 'z', '-inf', '+inf', 'WITHSCORES', 'LIMIT', '1', '2'], ['ZSCORE', 'z', 'b'], ['ZMSCORE', 'z', 'b', 'x'],
      ['ZINCRBY', 'z', '1', 'a'], ['ZADD', 'z', 'INCR', 'NX', '1', 'a'], ['ZSCAN', 'z', '0'], ['ZPOPMIN', 'z'], ['ZPOPMIN', 'z', '1'],
      ['ZPOPMIN', 'nokey'], ['ZPOPMAX', 'nokey', '2'], ['ZMPOP', '1', 'z', 'MAX'], ['ZMPOP', '1', 'nokey', 'MAX'],
      ['ZRANDMEMBER', 'z', '5', 'WITHSCORES'], ['ZRANDMEMBER', 'nokey'], ['BZPOPMIN', 'z', '0'], ['BZPOPMIN', 'nokey', '0.01'],
      ['BZMPOP', '0.01', '1', 'nokey', 'MIN'], ['ZADD', 'z', '7', 'x'], ['BZMPOP', '0', '1', 'z', 'MIN'], ['HELLO', '2']]);
    await exact([['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c'], ['OBJECT', 'ENCODING', 'z'], ['ZADD', 'z', '4', 'd'], ['OBJECT', 'ENCODING', 'z'],
      ['ZREM', 'z', 'd'], ['OBJECT', 'ENCODING', 'z'], ['ZRANGESTORE', 'd', 'z', '0', '-1'], ['OBJECT', 'ENCODING', 'd'],
      ['ZADD', 'z', '-0', 'n'], ['ZSCORE', 'z', 'n'], ['ZADD', 'lp', '-0', 'a'], ['ZSCORE', 'lp', 'a'], ['ZADD', 'long', '-0', 'abcd'],
      ['OBJECT', 'ENCODING', 'long'], ['ZSCORE', 'long', 'abcd'], ['ZRANGESTORE', 'd2', 'long', '0', '0'], ['OBJECT', 'ENCODING', 'd2'],
      ['ZRANGESTORE', 'd3', 'z', '-inf', '+inf', 'BYSCORE'], ['OBJECT', 'ENCODING', 'd3'], ['ZMSCORE', 'd3', 'n', 'a', 'c'],
      ['ZRANGE', 'd3', '0', '-1', 'WITHSCORES']],
    { 'zset-max-listpack-entries': '3', 'zset-max-listpack-value': '3' });
  });

  it('blocked clients are served as Redis serves them', async () => {
    const a = await RawRedis.open(redis.port);
    const waitBlocked = async (): Promise<void> => {
      for (let i = 0; i < 200; i++) {
        if ((await redis.client.call('INFO', 'clients')).includes('blocked_clients:1\r\n')) return;
        await new Promise((r) => setTimeout(r, 5));
      }
      throw new Error('the Redis client never blocked');
    };
    const scenarios: [string[], string[][]][] = [
      [['BZPOPMIN', 'q', '0'], [['ZADD', 'q', '2', 'b', '1', 'a'], ['ZRANGE', 'q', '0', '-1']]],
      [['BZPOPMAX', 'k1', 'k2', '0'], [['ZADD', 'k2', '5', 'x', '6', 'y'], ['ZCARD', 'k2']]],
      [['BZMPOP', '0', '2', 'a', 'b', 'MAX', 'COUNT', '2'], [['ZADD', 'b', '1', 'x', '2', 'y', '3', 'z'], ['ZRANGE', 'b', '0', '-1']]],
      [['BZMPOP', '0', '1', 'a', 'MIN', 'COUNT', '5'], [['ZADD', 'a', '1', 'x'], ['EXISTS', 'a']]],
    ];
    try {
      for (const [blocking, during] of scenarios) {
        await redis.client.call('FLUSHALL');
        const t = engine();
        const ours = blockingClient(t);
        const mine = nodisRaw(t);
        expect(ours.send(...blocking)).toBeUndefined();
        const theirs = a.call(...blocking);
        await waitBlocked();
        for (const argv of during) expect(mine.call(...argv), argv.join(' ')).toBe(await redis.client.call(...argv));
        const reply = parse(await theirs);
        expect(ours.reply(), blocking.join(' ')).toEqual(reply);
      }
    } finally {
      a.close();
    }
  });

  // Random sequences over a few keys (one made a string), the generators the repo-wide
  // differential test uses, with default and small listpack limits.
  const KEYS = ['a', 'b', 'c', 's'];
  const command = fc.oneof(
    ...zsetCommands(fc.constantFrom(...KEYS)),
    fc.constantFrom(['SET', 's', 'v'], ['DEL', 'a'], ['SADD', 'c', 'x'], ['DEL', 'c']),
  );

  async function step(ours: ReturnType<typeof nodisRaw>, argv: string[]): Promise<void> {
    const x = ours.call(...argv);
    const y = await redis.client.call(...argv);
    if (x === y) return;
    const label = argv.join(' ');
    const [px, py] = [parse(x), parse(y)];
    const nx = normaliseZset(argv, px);
    if (nx === undefined) return expect(x, label).toBe(y);
    expect(nx, label).toEqual(normaliseZset(argv, py));
    if (argv[0] === 'ZRANDMEMBER' && Array.isArray(px)) {
      // Both answered from the same state: our picks must be members with their scores.
      const all = parse(ours.call('ZRANGE', argv[1]!, '0', '-1', 'WITHSCORES')) as Reply[];
      const flat = all.flat() as Reply[];
      const scores = new Map<string, string>();
      for (let i = 0; i < flat.length; i += 2) scores.set(String(flat[i]), String(flat[i + 1] instanceof ReplyDouble ? (flat[i + 1] as ReplyDouble).value : flat[i + 1]));
      const picks = (px as Reply[]).flat() as Reply[];
      const withScores = argv.length === 4;
      const names: string[] = [];
      for (let i = 0; i < picks.length; i += withScores ? 2 : 1) {
        const m = String(picks[i]);
        names.push(m);
        expect(scores.has(m), label).toBe(true);
      }
      if (Number(argv[2]) > 0) expect(new Set(names).size, label).toBe(names.length);
    }
  }

  async function runSequence(protocol: '2' | '3', limits: [string, string], commands: string[][]): Promise<void> {
    const r = redis.client;
    await r.call('FLUSHALL');
    await r.call('HELLO', protocol);
    const config = { 'zset-max-listpack-entries': limits[0], 'zset-max-listpack-value': limits[1] };
    for (const [k, v] of Object.entries(config)) await r.call('CONFIG', 'SET', k, v);
    const ours = nodisRaw(engine(config));
    ours.call('HELLO', protocol);
    for (const argv of commands) await step(ours, argv);
    for (const k of [...KEYS, LEX_KEY, 'zdst']) {
      for (const argv of [['OBJECT', 'ENCODING', k], ['ZRANGE', k, '0', '-1', 'WITHSCORES'], ['ZSCAN', k, '0', 'COUNT', '1000']]) {
        await step(ours, argv);
      }
    }
  }

  it('random sequences agree (RESP2 and RESP3, several listpack limits)', async () => {
    try {
      await fc.assert(fc.asyncProperty(
        fc.array(command, { minLength: 1, maxLength: 30 }), fc.constantFrom<'2' | '3'>('2', '2', '3'),
        fc.constantFrom<[string, string]>(['128', '64'], ['128', '64'], ['3', '64'], ['2', '3'], ['0', '64']),
        (cmds, protocol, limits) => runSequence(protocol, limits, cmds),
      ), { numRuns: 250 });
    } finally {
      await redis.client.call('HELLO', '2');
      await redis.client.call('CONFIG', 'SET', 'zset-max-listpack-entries', '128');
      await redis.client.call('CONFIG', 'SET', 'zset-max-listpack-value', '64');
    }
  });

  it('big sets: full ZSCAN iterations, ranges and pops agree', async () => {
    const r = redis.client;
    await r.call('FLUSHALL');
    const ours = nodisRaw(engine());
    const args: string[] = [];
    for (let i = 0; i < 400; i++) args.push(String((i * 37) % 101 / 4), `m${i}`);
    for (const argv of [['ZADD', 'z', ...args], ['OBJECT', 'ENCODING', 'z'], ['ZRANGE', 'z', '100', '120', 'WITHSCORES'],
      ['ZRANGE', 'z', '(3', '10', 'BYSCORE', 'REV', 'LIMIT', '5', '10'], ['ZCOUNT', 'z', '1', '(2'], ['ZRANK', 'z', 'm77'],
      ['ZREMRANGEBYRANK', 'z', '10', '19'], ['ZPOPMAX', 'z', '7'], ['ZMPOP', '1', 'z', 'MIN', 'COUNT', '3'], ['ZCARD', 'z'],
      ['ZRANGESTORE', 'd', 'z', '0', '200'], ['OBJECT', 'ENCODING', 'd'], ['ZRANGESTORE', 'd', 'z', '0', '127'], ['OBJECT', 'ENCODING', 'd']]) {
      expect(ours.call(...argv), argv.join(' ')).toBe(await r.call(...argv));
    }
    const scanAll = async (call: (...argv: string[]) => string | Promise<string>): Promise<string[]> => {
      const seen = new Set<string>();
      let cursor = '0';
      do {
        const [next, flat] = parse(await call('ZSCAN', 'z', cursor, 'COUNT', '25')) as [string, string[]];
        for (let i = 0; i < flat.length; i += 2) seen.add(`${flat[i]}=${flat[i + 1]}`);
        cursor = next;
      } while (cursor !== '0');
      return [...seen].sort();
    };
    expect(await scanAll((...a) => ours.call(...a))).toEqual(await scanAll((...a) => r.call(...a)));
  });
});
