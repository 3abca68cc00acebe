import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ReplyParser, RespWriter } from '@nodis/protocol';
import { createTestEngine } from '../testing.js';
import { defineCommand } from '../command.js';
import { allCommands } from './index.js';
import { parseTimeout } from '../blocking.js';
import { ListValue } from '../types/list.js';
import { CapturingWriter, ReplyError, SimpleString, type Reply } from '../reply.js';
import type { Client } from '../client.js';
import type { Engine } from '../engine.js';
import { redisServerPath, startRedis, type RedisProcess } from '../../../../test/helpers/redis.js';

// ------------------------------------------------------------------ helpers

const OK = new SimpleString('OK');
const err = (message: string) => new ReplyError(message);
const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
const SYNTAX = 'ERR syntax error';
const NOT_INTEGER = 'ERR value is not an integer or out of range';
const NOT_FLOAT = 'ERR timeout is not a float or out of range';
const NEGATIVE = 'ERR timeout is negative';
const RANK_ZERO = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list";

/** Another client on the harness's engine whose deferred replies (blocking) are observable. */
function blockingClient(t: ReturnType<typeof createTestEngine>) {
  const writer = new CapturingWriter();
  const client = t.engine.createClient({ reply: writer, kind: 'memory', addr: 'memory' });
  let deferred = 0;
  client.onDeferredReply = () => { deferred++; };
  return {
    client,
    writer,
    get deferred() { return deferred; },
    /** Sends a command; its reply, or undefined when it blocked. */
    send(...argv: string[]): Reply | undefined {
      t.engine.execute(client, argv);
      return writer.pending === 0 ? undefined : writer.takeOne();
    },
    /** The deferred reply written since (throws if none). */
    reply(): Reply { return writer.takeOne(); },
  };
}

// ------------------------------------------------------------------ pushes and pops

describe('LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP, LLEN', () => {
  it('pushes in order at each end and answers the new length', () => {
    const t = createTestEngine();
    expect(t.run('RPUSH', 'l', 'a', 'b')).toBe(2);
    expect(t.run('LPUSH', 'l', 'x', 'y')).toBe(4);
    expect(t.run('LRANGE', 'l', '0', '-1')).toEqual(['y', 'x', 'a', 'b']);
    expect(t.run('LPUSHX', 'l', '1', '2')).toBe(6);
    expect(t.run('RPUSHX', 'l', '3')).toBe(7);
    expect(t.run('LPUSHX', 'none', 'a')).toBe(0);
    expect(t.run('RPUSHX', 'none', 'a')).toBe(0);
    expect(t.run('EXISTS', 'none')).toBe(0);
    expect(t.run('LLEN', 'l')).toBe(7);
    expect(t.run('LLEN', 'none')).toBe(0);
    expect(t.run('TYPE', 'l')).toEqual(new SimpleString('list'));
    expect(t.run('OBJECT', 'ENCODING', 'l')).toBe('quicklist');
  });

  it('pops one or count elements; an emptied list vanishes', () => {
    const t = createTestEngine();
    t.run('RPUSH', 'l', 'a', 'b', 'c', 'd');
    expect(t.run('LPOP', 'l')).toBe('a');
    expect(t.run('RPOP', 'l')).toBe('d');
    expect(t.run('LPOP', 'l', '0')).toEqual([]);
    expect(t.run('RPOP', 'l', '5')).toEqual(['c', 'b']);
    expect(t.run('EXISTS', 'l')).toBe(0);
    expect(t.run('LPOP', 'l')).toBe(null);
    expect(t.run('LPOP', 'l', '0')).toBe(null); // a null array: count given, no key
    expect(t.run('LPOP', 'l', '-1')).toEqual(err('ERR value is out of range, must be positive'));
    expect(t.run('LPOP', 'l', 'x')).toEqual(err('ERR value is out of range, must be positive'));
    expect(t.run('LPOP', 'l', '1', '2')).toEqual(err("ERR wrong number of arguments for 'lpop' command"));
    expect(t.run('RPOP')).toEqual(err("ERR wrong number of arguments for 'rpop' command"));
  });

  it('COPY makes an independent list', () => {
    const t = createTestEngine();
    t.run('RPUSH', 'l', 'a', 'b');
    expect(t.run('COPY', 'l', 'c')).toBe(1);
    t.run('RPUSH', 'c', 'x');
    t.run('LSET', 'l', '0', 'z');
    expect(t.run('LRANGE', 'l', '0', '-1')).toEqual(['z', 'b']);
    expect(t.run('LRANGE', 'c', '0', '-1')).toEqual(['a', 'b', 'x']);
  });

  it('keeps the TTL when a list is modified in place', () => {
    const t = createTestEngine();
    t.run('RPUSH', 'l', 'a', 'b');
    t.run('PEXPIRE', 'l', '5000');
    t.run('RPUSH', 'l', 'c');
    t.run('LPOP', 'l');
    expect(t.run('PTTL', 'l')).toBe(5000);
    t.clock.advance(5000);
    expect(t.run('LLEN', 'l')).toBe(0);
  });

  it('answers WRONGTYPE, and argument errors first where Redis parses them first', () => {
    const t = createTestEngine();
    t.run('SET', 's', 'x');
    for (const argv of [
      ['LPUSH', 's', 'a'], ['RPUSHX', 's', 'a'], ['LLEN', 's'], ['LPOP', 's'], ['RPOP', 's', '1'],
      ['LINDEX', 's', 'x'], ['LSET', 's', 'x', 'y'], ['LRANGE', 's', '0', '1'], ['LTRIM', 's', '0', '1'],
      ['LREM', 's', '0', 'a'], ['LINSERT', 's', 'BEFORE', 'a', 'b'], ['LPOS', 's', 'a'], ['RPOPLPUSH', 's', 'd'],
      ['LMOVE', 's', 'd', 'LEFT', 'LEFT'], ['LMPOP', '1', 's', 'LEFT'], ['BLPOP', 's', '0'], ['BLMOVE', 's', 'd', 'LEFT', 'LEFT', '0'],
    ]) {
      expect(t.run(...argv), argv.join(' ')).toEqual(err(WRONGTYPE));
    }
    expect(t.run('LPOP', 's', '-1')).toEqual(err('ERR value is out of range, must be positive'));
    expect(t.run('LRANGE', 's', 'a', '1')).toEqual(err(NOT_INTEGER));
    expect(t.run('LINSERT', 's', 'UP', 'a', 'b')).toEqual(err(SYNTAX));
    expect(t.run('LPOS', 's', 'a', 'RANK', '0')).toEqual(err(RANK_ZERO));
    expect(t.run('LMOVE', 's', 'd', 'UP', 'LEFT')).toEqual(err(SYNTAX));
    expect(t.run('BLPOP', 's', 'x')).toEqual(err(NOT_FLOAT));
    expect(t.run('BLMPOP', 'x', '1', 's', 'UP')).toEqual(err(SYNTAX));
    expect(t.run('GET', 's')).toBe('x');
  });
});

// ------------------------------------------------------------------ index and value access

describe('LINDEX, LSET, LRANGE, LTRIM', () => {
  it('reads and writes by index from either end', () => {
    const t = createTestEngine();
    t.run('RPUSH', 'l', 'a', 'b', 'c');
    expect(t.run('LINDEX', 'l', '0')).toBe('a');
    expect(t.run('LINDEX', 'l', '-1')).toBe('c');
    expect(t.run('LINDEX', 'l', '3')).toBe(null);
    expect(t.run('LINDEX', 'l', '-4')).toBe(null);
    expect(t.run('LINDEX', 'l', '9223372036854775807')).toBe(null);
    expect(t.run('LINDEX', 'l', '9223372036854775808')).toEqual(err(NOT_INTEGER));
    expect(t.run('LINDEX', 'none', 'x')).toBe(null); // the key is looked up before the index is parsed
    expect(t.run('LSET', 'l', '-1', 'z')).toEqual(OK);
    expect(t.run('LSET', 'l', '3', 'z')).toEqual(err('ERR index out of range'));
    expect(t.run('LSET', 'l', '-4', 'z')).toEqual(err('ERR index out of range'));
    expect(t.run('LSET', 'l', 'x', 'z')).toEqual(err(NOT_INTEGER));
    expect(t.run('LSET', 'none', 'x', 'z')).toEqual(err('ERR no such key'));
    expect(t.run('LRANGE', 'l', '0', '-1')).toEqual(['a', 'b', 'z']);
  });

  it('LRANGE and LTRIM clamp ranges as Redis does', () => {
    const t = createTestEngine();
    t.run('RPUSH', 'l', '0', '1', '2', '3', '4', '5');
    expect(t.run('LRANGE', 'l', '-100', '100')).toEqual(['0', '1', '2', '3', '4', '5']);
    expect(t.run('LRANGE', 'l', '2', '3')).toEqual(['2', '3']);
    expect(t.run('LRANGE', 'l', '-2', '-1')).toEqual(['4', '5']);
    expect(t.run('LRANGE', 'l', '4', '2')).toEqual([]);
    expect(t.run('LRANGE', 'l', '6', '10')).toEqual([]);
    expect(t.run('LRANGE', 'none', '0', '-1')).toEqual([]);
    expect(t.run('LRANGE', 'l', '0', 'x')).toEqual(err(NOT_INTEGER));
    expect(t.run('LTRIM', 'l', '1', '-2')).toEqual(OK);
    expect(t.run('LRANGE', 'l', '0', '-1')).toEqual(['1', '2', '3', '4']);
    expect(t.run('LTRIM', 'none', '0', '1')).toEqual(OK);
    expect(t.run('LTRIM', 'l', '3', '1')).toEqual(OK);
    expect(t.run('EXISTS', 'l')).toBe(0);
  });

  it('works across chunks on a long list', () => {
    const t = createTestEngine();
    const n = 5000;
    for (let i = 0; i < n; i += 500) t.run('RPUSH', 'l', ...Array.from({ length: 500 }, (_, j) => String(i + j)));
    expect(t.run('LLEN', 'l')).toBe(n);
    expect(t.run('LINDEX', 'l', '2500')).toBe('2500');
    expect(t.run('LINDEX', 'l', '-2500')).toBe('2500');
    expect(t.run('LRANGE', 'l', '1020', '1030')).toEqual(Array.from({ length: 11 }, (_, i) => String(1020 + i)));
    expect(t.run('LINSERT', 'l', 'BEFORE', '3000', 'x')).toBe(n + 1);
    expect(t.run('LINDEX', 'l', '3000')).toBe('x');
    expect(t.run('LREM', 'l', '0', 'x')).toBe(1);
    expect(t.run('LTRIM', 'l', '1000', '3999')).toEqual(OK);
    expect(t.run('LRANGE', 'l', '0', '0')).toEqual(['1000']);
    expect(t.run('LRANGE', 'l', '-1', '-1')).toEqual(['3999']);
  });
});

describe('LINSERT, LREM, LPOS', () => {
  it('LINSERT before and after the first pivot', () => {
    const t = createTestEngine();
    t.run('RPUSH', 'l', 'a', 'b', 'a');
    expect(t.run('LINSERT', 'l', 'before', 'a', 'x')).toBe(4);
    expect(t.run('LINSERT', 'l', 'AFTER', 'a', 'y')).toBe(5);
    expect(t.run('LRANGE', 'l', '0', '-1')).toEqual(['x', 'a', 'y', 'b', 'a']);
    expect(t.run('LINSERT', 'l', 'AFTER', 'nope', 'y')).toBe(-1);
    expect(t.run('LINSERT', 'none', 'AFTER', 'a', 'y')).toBe(0);
    expect(t.run('EXISTS', 'none')).toBe(0);
  });

  it('LREM from the head, the tail, or all', () => {
    const t = createTestEngine();
    t.run('RPUSH', 'l', 'a', 'b', 'a', 'c', 'a');
    expect(t.run('LREM', 'l', '1', 'a')).toBe(1);
    expect(t.run('LRANGE', 'l', '0', '-1')).toEqual(['b', 'a', 'c', 'a']);
    expect(t.run('LREM', 'l', '-1', 'a')).toBe(1);
    expect(t.run('LRANGE', 'l', '0', '-1')).toEqual(['b', 'a', 'c']);
    expect(t.run('LREM', 'l', '0', 'z')).toBe(0);
    expect(t.run('LREM', 'l', 'x', 'a')).toEqual(err(NOT_INTEGER));
    expect(t.run('LREM', 'none', '0', 'a')).toBe(0);
    t.run('LREM', 'l', '0', 'a');
    t.run('LREM', 'l', '0', 'b');
    expect(t.run('LREM', 'l', '0', 'c')).toBe(1);
    expect(t.run('EXISTS', 'l')).toBe(0);
  });

  it('LPOS with RANK, COUNT and MAXLEN', () => {
    const t = createTestEngine();
    t.run('RPUSH', 'l', 'a', 'b', 'c', 'a', 'b', 'c', 'a');
    expect(t.run('LPOS', 'l', 'a')).toBe(0);
    expect(t.run('LPOS', 'l', 'a', 'RANK', '2')).toBe(3);
    expect(t.run('LPOS', 'l', 'a', 'RANK', '-1')).toBe(6);
    expect(t.run('LPOS', 'l', 'a', 'COUNT', '0')).toEqual([0, 3, 6]);
    expect(t.run('LPOS', 'l', 'a', 'RANK', '-1', 'COUNT', '2')).toEqual([6, 3]);
    expect(t.run('LPOS', 'l', 'a', 'RANK', '2', 'COUNT', '2', 'MAXLEN', '5')).toEqual([3]);
    expect(t.run('LPOS', 'l', 'a', 'RANK', '-2', 'MAXLEN', '3')).toBe(null);
    expect(t.run('LPOS', 'l', 'z')).toBe(null);
    expect(t.run('LPOS', 'l', 'z', 'COUNT', '1')).toEqual([]);
    expect(t.run('LPOS', 'none', 'z', 'COUNT', '1')).toEqual([]);
    expect(t.run('LPOS', 'none', 'z')).toBe(null);
    // Redis negates RANK as a long: LONG_MIN stays negative and every match from the tail counts.
    expect(t.run('LPOS', 'l', 'a', 'RANK', '-9223372036854775808', 'COUNT', '1')).toEqual([6, 3, 0]);
    expect(t.run('LPOS', 'l', 'a', 'RANK', '-9223372036854775807', 'COUNT', '1')).toEqual([]);
    expect(t.run('LPOS', 'l', 'a', 'RANK', '0')).toEqual(err(RANK_ZERO));
    expect(t.run('LPOS', 'l', 'a', 'RANK', 'x')).toEqual(err(NOT_INTEGER));
    expect(t.run('LPOS', 'l', 'a', 'COUNT', '-1')).toEqual(err("ERR COUNT can't be negative"));
    expect(t.run('LPOS', 'l', 'a', 'COUNT', 'x')).toEqual(err("ERR COUNT can't be negative"));
    expect(t.run('LPOS', 'l', 'a', 'MAXLEN', '-1')).toEqual(err("ERR MAXLEN can't be negative"));
    expect(t.run('LPOS', 'l', 'a', 'RANK')).toEqual(err(SYNTAX));
    expect(t.run('LPOS', 'l', 'a', 'FOO', '1')).toEqual(err(SYNTAX));
  });
});

// ------------------------------------------------------------------ LMOVE, LMPOP

describe('LMOVE, RPOPLPUSH, LMPOP', () => {
  it('moves between lists and rotates a list onto itself', () => {
    const t = createTestEngine();
    t.run('RPUSH', 'src', 'a', 'b', 'c');
    expect(t.run('LMOVE', 'src', 'dst', 'LEFT', 'RIGHT')).toBe('a');
    expect(t.run('LMOVE', 'src', 'dst', 'right', 'left')).toBe('c');
    expect(t.run('LRANGE', 'dst', '0', '-1')).toEqual(['c', 'a']);
    expect(t.run('RPOPLPUSH', 'dst', 'dst')).toBe('a');
    expect(t.run('LRANGE', 'dst', '0', '-1')).toEqual(['a', 'c']);
    expect(t.run('RPOPLPUSH', 'src', 'dst')).toBe('b');
    expect(t.run('EXISTS', 'src')).toBe(0);
    expect(t.run('RPOPLPUSH', 'src', 'dst')).toBe(null);
    expect(t.run('LMOVE', 'src', 'dst', 'LEFT', 'UP')).toEqual(err(SYNTAX));
  });

  it('a destination of another type: WRONGTYPE, nothing moved; a missing source answers nil first', () => {
    const t = createTestEngine();
    t.run('SET', 's', 'x');
    t.run('RPUSH', 'l', 'a');
    expect(t.run('LMOVE', 'l', 's', 'LEFT', 'LEFT')).toEqual(err(WRONGTYPE));
    expect(t.run('LRANGE', 'l', '0', '-1')).toEqual(['a']);
    expect(t.run('RPOPLPUSH', 'none', 's')).toBe(null);
  });

  it('LMPOP pops from the first non-empty list, with COUNT', () => {
    const t = createTestEngine();
    t.run('SET', 's', 'x');
    t.run('RPUSH', 'l', 'a', 'b', 'c', 'd');
    expect(t.run('LMPOP', '2', 'none', 'l', 'RIGHT', 'COUNT', '3')).toEqual(['l', ['d', 'c', 'b']]);
    expect(t.run('LMPOP', '2', 'l', 's', 'LEFT')).toEqual(['l', ['a']]); // s is never looked at
    expect(t.run('EXISTS', 'l')).toBe(0);
    expect(t.run('LMPOP', '1', 'l', 'LEFT')).toBe(null);
    expect(t.run('LMPOP', '2', 's', 'l', 'LEFT')).toEqual(err(WRONGTYPE));
    expect(t.run('LMPOP', '0', 'l', 'LEFT')).toEqual(err('ERR numkeys should be greater than 0'));
    expect(t.run('LMPOP', 'x', 'l', 'LEFT')).toEqual(err('ERR numkeys should be greater than 0'));
    expect(t.run('LMPOP', '3', 'l', 'LEFT')).toEqual(err(SYNTAX));
    expect(t.run('LMPOP', '1', 'l', 'UP')).toEqual(err(SYNTAX));
    expect(t.run('LMPOP', '1', 'l', 'LEFT', 'COUNT', '0')).toEqual(err('ERR count should be greater than 0'));
    expect(t.run('LMPOP', '1', 'l', 'LEFT', 'COUNT', '1', 'COUNT', '1')).toEqual(err(SYNTAX));
    expect(t.run('LMPOP', '1', 'l', 'LEFT', 'COUNT')).toEqual(err(SYNTAX));
    expect(t.run('LMPOP', '1', 'l')).toEqual(err("ERR wrong number of arguments for 'lmpop' command"));
  });
});

// ------------------------------------------------------------------ timeouts

describe('blocking timeouts', () => {
  const now = 1_000_000;
  it('reads seconds as Redis 7.0 does (long double, ms rounded up)', () => {
    expect(parseTimeout('0', now)).toBe(0);
    expect(parseTimeout('1', now)).toBe(now + 1000);
    expect(parseTimeout('0.2', now)).toBe(now + 200);
    expect(parseTimeout('1.5', now)).toBe(now + 1500);
    expect(parseTimeout('.5', now)).toBe(now + 500);
    expect(parseTimeout('1e-9', now)).toBe(now + 1); // ceil: a positive timeout is at least 1 ms
    expect(parseTimeout('0.0009', now)).toBe(now + 1);
    expect(parseTimeout('0x10', now)).toBe(now + 16000);
    expect(parseTimeout('1E2', now)).toBe(now + 100_000);
    // Negative values that round up to 0 ms wait forever, as in Redis: -0.001's long double
    // product with 1000 is just above -1.
    expect(parseTimeout('-0', now)).toBe(0);
    expect(parseTimeout('-0.0009', now)).toBe(0);
    expect(parseTimeout('-0.001', now)).toBe(0);
    expect(parseTimeout('-0.0011', now)).toBe(NEGATIVE);
    expect(parseTimeout('-1', now)).toBe(NEGATIVE);
    // Beyond long long after the cast (LLONG_MIN): "negative".
    expect(parseTimeout('inf', now)).toBe(NEGATIVE);
    expect(parseTimeout('1e300', now)).toBe(NEGATIVE);
    expect(parseTimeout('9223372036854775807', now)).toBe(NEGATIVE);
    // Huge but representable: never fires.
    expect(parseTimeout('9223372036854775', now)).toBe(0);
    for (const bad of ['x', '', ' 1', '1 ', 'nan', '1e', '0x', '1e5000']) expect(parseTimeout(bad, now)).toBe(NOT_FLOAT);
  });

  it('times out with a null array at the deadline', () => {
    const t = createTestEngine();
    const a = blockingClient(t);
    expect(a.send('BLPOP', 'q', '0.2')).toBeUndefined();
    t.clock.advance(199);
    t.engine.expireBlocked();
    expect(a.writer.pending).toBe(0);
    t.clock.advance(1);
    t.engine.expireBlocked();
    expect(a.reply()).toBe(null);
    expect(a.deferred).toBe(1);
    expect(a.client.blocked).toBe(false);
    expect(a.send('BLMOVE', 'q', 'd', 'LEFT', 'LEFT', '1')).toBeUndefined();
    t.clock.advance(1000);
    t.engine.expireBlocked();
    expect(a.reply()).toBe(null);
  });

  it('writes *-1 in RESP2 and _ in RESP3 on timeout, for every blocking command', () => {
    const t = createTestEngine();
    for (const protocol of [2, 3] as const) {
      const writer = new RespWriter(protocol);
      const client = t.engine.createClient({ reply: writer, kind: 'memory' });
      for (const argv of [['BLPOP', 'q', '1'], ['BRPOP', 'q', '1'], ['BLMPOP', '1', '1', 'q', 'LEFT'], ['BLMOVE', 'q', 'd', 'LEFT', 'LEFT', '1'], ['BRPOPLPUSH', 'q', 'd', '1']]) {
        t.engine.execute(client, argv);
        expect(writer.length).toBe(0);
        t.clock.advance(1000);
        t.engine.expireBlocked();
        expect(writer.take().toString('latin1'), argv.join(' ')).toBe(protocol === 2 ? '*-1\r\n' : '_\r\n');
      }
    }
  });
});

// ------------------------------------------------------------------ blocking semantics

describe('blocking: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP', () => {
  it('serves at once when a list has elements, from the first non-empty key in argument order', () => {
    const t = createTestEngine();
    const a = blockingClient(t);
    t.run('RPUSH', 'k2', 'x', 'y');
    t.run('RPUSH', 'k3', 'z');
    expect(a.send('BLPOP', 'k1', 'k2', 'k3', '0')).toEqual(['k2', 'x']);
    expect(a.send('BRPOP', 'k1', 'k2', 'k3', '0')).toEqual(['k2', 'y']);
    expect(a.send('BRPOP', 'k1', 'k2', 'k3', '0')).toEqual(['k3', 'z']);
    expect(t.run('EXISTS', 'k2', 'k3')).toBe(0);
    expect(a.client.blocked).toBe(false);
  });

  it('a push serves the waiter; the pusher counts the length before the pop', () => {
    const t = createTestEngine();
    const a = blockingClient(t);
    expect(a.send('BLPOP', 'q', '0')).toBeUndefined();
    expect(a.client.blocked).toBe(true);
    expect(t.run('RPUSH', 'q', 'a', 'b')).toBe(2);
    expect(a.reply()).toEqual(['q', 'a']);
    expect(a.deferred).toBe(1);
    expect(t.run('LRANGE', 'q', '0', '-1')).toEqual(['b']);
  });

  it('wakes waiters in FIFO order, one element each, nothing lost', () => {
    const t = createTestEngine();
    const clients = [blockingClient(t), blockingClient(t), blockingClient(t)];
    for (const c of clients) expect(c.send('BLPOP', 'q', '0')).toBeUndefined();
    expect(t.run('RPUSH', 'q', '1', '2')).toBe(2);
    expect(clients[0]!.reply()).toEqual(['q', '1']);
    expect(clients[1]!.reply()).toEqual(['q', '2']);
    expect(clients[2]!.writer.pending).toBe(0);
    expect(t.run('EXISTS', 'q')).toBe(0);
    expect(t.run('LPUSH', 'q', '3', '4')).toBe(2);
    expect(clients[2]!.reply()).toEqual(['q', '4']);
    expect(t.run('LRANGE', 'q', '0', '-1')).toEqual(['3']);
  });

  it('multi-key: a waiter is served from the key that was pushed', () => {
    const t = createTestEngine();
    const a = blockingClient(t);
    const b = blockingClient(t);
    expect(a.send('BLPOP', 'k1', 'k2', '0')).toBeUndefined();
    expect(b.send('BRPOP', 'k2', 'k1', '0')).toBeUndefined();
    t.run('RPUSH', 'k2', 'x');
    expect(a.reply()).toEqual(['k2', 'x']);
    expect(b.writer.pending).toBe(0);
    t.run('RPUSH', 'k1', 'y');
    expect(b.reply()).toEqual(['k1', 'y']);
    expect(t.engine.blocking.blockedCount).toBe(0);
  });

  it('when several keys become ready in one command, the waiter is served from the first signalled (Redis 7.0)', () => {
    // MULTI does not exist yet: a test command pushes to two keys, k2 first, as
    // `MULTI; RPUSH k2 x; RPUSH k1 y; EXEC` does in Redis, which answers [k2, x].
    const push2 = defineCommand({
      name: 'tpush2', arity: 1, flags: ['write'], keys: [0, 0, 0], group: 'list', since: '0.0.0', summary: 'test only',
      run(ctx) {
        for (const [key, v] of [['k2', 'x'], ['k1', 'y']] as const) {
          ctx.db.set(key, ListValue.from([v]));
          ctx.engine.blocking.signal(ctx.db, key);
        }
        ctx.reply.simple('OK');
      },
    });
    const t = createTestEngine({ commands: [...allCommands, push2] });
    const a = blockingClient(t);
    expect(a.send('BLPOP', 'k1', 'k2', '0')).toBeUndefined();
    t.run('TPUSH2');
    expect(a.reply()).toEqual(['k2', 'x']);
    expect(t.run('LRANGE', 'k1', '0', '-1')).toEqual(['y']);
  });

  it('BLMOVE chains: each move wakes the next waiter', () => {
    const t = createTestEngine();
    const a = blockingClient(t);
    const b = blockingClient(t);
    const c = blockingClient(t);
    expect(a.send('BLMOVE', 'q1', 'q2', 'LEFT', 'RIGHT', '0')).toBeUndefined();
    expect(b.send('BRPOPLPUSH', 'q2', 'q3', '0')).toBeUndefined();
    expect(c.send('BLPOP', 'q3', '0')).toBeUndefined();
    expect(t.run('RPUSH', 'q1', 'v')).toBe(1);
    expect(a.reply()).toBe('v');
    expect(b.reply()).toBe('v');
    expect(c.reply()).toEqual(['q3', 'v']);
    expect(t.run('EXISTS', 'q1', 'q2', 'q3')).toBe(0);
  });

  it('BLMOVE from a list to itself keeps the element for the next waiter', () => {
    const t = createTestEngine();
    const a = blockingClient(t);
    const b = blockingClient(t);
    expect(a.send('BLMOVE', 'q', 'q', 'RIGHT', 'LEFT', '0')).toBeUndefined();
    expect(b.send('BLPOP', 'q', '0')).toBeUndefined();
    t.run('RPUSH', 'q', 'v');
    expect(a.reply()).toBe('v');
    expect(b.reply()).toEqual(['q', 'v']);
    expect(t.run('EXISTS', 'q')).toBe(0);
  });

  it('a served BLMOVE whose destination holds another type gets WRONGTYPE; the element stays', () => {
    const t = createTestEngine();
    const a = blockingClient(t);
    const b = blockingClient(t);
    expect(a.send('BLMOVE', 'src', 'dst', 'LEFT', 'LEFT', '0')).toBeUndefined();
    expect(b.send('BLPOP', 'src', '0')).toBeUndefined();
    t.run('SET', 'dst', 'x');
    t.run('RPUSH', 'src', 'a');
    expect(a.reply()).toEqual(err(WRONGTYPE));
    expect(b.reply()).toEqual(['src', 'a']);
  });

  it('BLMPOP is served with up to COUNT elements', () => {
    const t = createTestEngine();
    const a = blockingClient(t);
    expect(a.send('BLMPOP', '0', '2', 'a', 'b', 'RIGHT', 'COUNT', '2')).toBeUndefined();
    t.run('RPUSH', 'b', '1', '2', '3');
    expect(a.reply()).toEqual(['b', ['3', '2']]);
    expect(a.send('BLMPOP', '0', '1', 'b', 'LEFT', 'COUNT', '5')).toEqual(['b', ['1']]);
  });

  it('waits in the database it blocked in', () => {
    const t = createTestEngine();
    const a = blockingClient(t);
    a.send('SELECT', '3');
    expect(a.send('BLPOP', 'q', '0')).toBeUndefined();
    t.run('RPUSH', 'q', 'db0');
    expect(a.writer.pending).toBe(0);
    t.run('SELECT', '3');
    t.run('RPUSH', 'q', 'db3');
    expect(a.reply()).toEqual(['q', 'db3']);
    t.run('SELECT', '0');
    expect(t.run('LRANGE', 'q', '0', '-1')).toEqual(['db0']);
  });

  it('a key replaced by another type keeps the waiter waiting', () => {
    const t = createTestEngine();
    const a = blockingClient(t);
    expect(a.send('BLPOP', 'q', '0')).toBeUndefined();
    t.run('SET', 'q', 'str');
    t.run('DEL', 'q');
    expect(a.writer.pending).toBe(0);
    t.run('LPUSH', 'q', 'v');
    expect(a.reply()).toEqual(['q', 'v']);
  });

  it('a client that disconnects while blocked does not swallow a later push', () => {
    const t = createTestEngine();
    const a = blockingClient(t);
    const b = blockingClient(t);
    a.send('BLPOP', 'q', '0');
    b.send('BLPOP', 'q', '0');
    t.engine.removeClient(a.client);
    expect(t.engine.blocking.blockedCount).toBe(1);
    t.run('RPUSH', 'q', 'v');
    expect(a.writer.pending).toBe(0);
    expect(b.reply()).toEqual(['q', 'v']);
    t.engine.removeClient(b.client);
    t.run('RPUSH', 'q', 'w');
    expect(t.run('LRANGE', 'q', '0', '-1')).toEqual(['w']);
  });

  it('LINSERT and the LMOVE destination wake waiters too', () => {
    const t = createTestEngine();
    const a = blockingClient(t);
    t.run('RPUSH', 'src', 'x');
    expect(a.send('BLPOP', 'dst', '0')).toBeUndefined();
    t.run('LMOVE', 'src', 'dst', 'LEFT', 'LEFT');
    expect(a.reply()).toEqual(['dst', 'x']);
  });

  it('many waiters and pushers: every element is delivered exactly once (no loss, no duplicates)', () => {
    fc.assert(fc.property(
      fc.array(fc.oneof(
        fc.record({ op: fc.constant('block' as const), keys: fc.subarray(['a', 'b', 'c'], { minLength: 1 }), right: fc.boolean() }),
        fc.record({ op: fc.constant('push' as const), key: fc.constantFrom('a', 'b', 'c'), n: fc.integer({ min: 1, max: 3 }) }),
        fc.record({ op: fc.constant('move' as const), from: fc.constantFrom('a', 'b', 'c'), to: fc.constantFrom('a', 'b', 'c') }),
        fc.record({ op: fc.constant('drop' as const), which: fc.nat() }),
      ), { maxLength: 40 }),
      (ops) => {
        const t = createTestEngine();
        let serial = 0;
        const pushed = new Set<string>();
        const received: string[] = [];
        const waiting: ReturnType<typeof blockingClient>[] = [];
        const collect = (r: Reply | undefined): void => {
          if (Array.isArray(r)) received.push(r[1] as string);
        };
        for (const op of ops) {
          if (op.op === 'block') {
            const c = blockingClient(t);
            c.client.onDeferredReply = () => collect(c.writer.takeOne());
            const r = c.send(op.right ? 'BRPOP' : 'BLPOP', ...op.keys, '0');
            if (r === undefined) waiting.push(c);
            else collect(r);
          } else if (op.op === 'push') {
            const values = Array.from({ length: op.n }, () => `v${serial++}`);
            for (const v of values) pushed.add(v);
            t.run('RPUSH', op.key, ...values);
          } else if (op.op === 'move') {
            t.run('LMOVE', op.from, op.to, 'LEFT', 'RIGHT');
          } else if (waiting.length !== 0) {
            const [c] = waiting.splice(op.which % waiting.length, 1);
            t.engine.removeClient(c!.client);
          }
        }
        const left = ['a', 'b', 'c'].flatMap((k) => t.run('LRANGE', k, '0', '-1') as string[]);
        expect([...received, ...left].sort()).toEqual([...pushed].sort());
        // Nobody waits on a key that has elements.
        for (const k of ['a', 'b', 'c']) {
          if ((t.run('LLEN', k) as number) > 0) {
            for (const c of waiting) if (c.client.blocked) expect(t.engine.blocking.keysOf(c.client)).not.toContain(k);
          }
        }
      },
    ), { numRuns: 200 });
  });
});

// ------------------------------------------------------------------ CLIENT UNBLOCK, CLIENT LIST, INFO

describe('blocked clients in CLIENT and INFO', () => {
  it('CLIENT LIST flags=b, INFO blocked_clients, CLIENT UNBLOCK TIMEOUT and ERROR', () => {
    const t = createTestEngine();
    const a = blockingClient(t);
    const b = blockingClient(t);
    a.send('BLPOP', 'q', '0');
    b.send('BLMOVE', 'q', 'd', 'LEFT', 'LEFT', '0');
    const list = String(t.run('CLIENT', 'LIST'));
    expect(list).toContain(`id=${a.client.id} `);
    expect(list).toMatch(new RegExp(`id=${a.client.id} .* flags=b .*cmd=blpop `));
    expect(list).toMatch(new RegExp(`id=${t.client.id} .* flags=N `));
    expect(String(t.run('INFO', 'clients'))).toContain('blocked_clients:2\r\n');
    expect(t.run('CLIENT', 'UNBLOCK', String(a.client.id))).toBe(1);
    expect(a.reply()).toBe(null);
    expect(t.run('CLIENT', 'UNBLOCK', String(b.client.id), 'error')).toBe(1);
    expect(b.reply()).toEqual(err('UNBLOCKED client unblocked via CLIENT UNBLOCK'));
    expect(t.run('CLIENT', 'UNBLOCK', String(b.client.id))).toBe(0);
    expect(String(t.run('INFO', 'clients'))).toContain('blocked_clients:0\r\n');
    expect(t.run('CLIENT', 'UNBLOCK', '99999', 'foo')).toEqual(err('ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR'));
    expect(t.run('CLIENT', 'UNBLOCK', 'x', 'foo')).toEqual(err('ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR'));
    expect(t.run('CLIENT', 'UNBLOCK', 'x')).toEqual(err(NOT_INTEGER));
    expect(t.run('CLIENT', 'UNBLOCK', '1', '2', '3')).toEqual(err("ERR unknown subcommand or wrong number of arguments for 'UNBLOCK'. Try CLIENT HELP."));
    expect(t.run('CLIENT', 'UNBLOCK')).toEqual(err("ERR wrong number of arguments for 'client|unblock' command"));
    t.run('RPUSH', 'q', 'v');
    expect(t.run('LRANGE', 'q', '0', '-1')).toEqual(['v']);
  });
});

// ------------------------------------------------------------------ differential against real Redis

/** One connection to Redis; `run` sends a batch and resolves the raw bytes of its replies. */
class RawConnection {
  private readonly parser = new ReplyParser();
  private chunks: Buffer[] = [];
  private expected = 0;
  private seen = 0;
  private done: (() => void) | undefined;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk) => {
      this.chunks.push(chunk);
      this.parser.feed(chunk, () => {
        if (++this.seen === this.expected) this.done?.();
      });
    });
  }

  static async open(port: number): Promise<RawConnection> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
    socket.setNoDelay(true);
    return new RawConnection(socket);
  }

  /** Sends commands; resolves the raw bytes of their replies. */
  run(commands: string[][]): Promise<string> {
    const replies = this.wait(commands.length);
    this.send(commands);
    return replies;
  }

  send(commands: string[][]): void {
    this.socket.write(Buffer.concat(commands.map(encode)));
  }

  /** Resolves the raw bytes of the next `replies` replies (sent before or after this call). */
  wait(replies: number): Promise<string> {
    this.chunks = [];
    this.seen = 0;
    this.expected = replies;
    return new Promise<void>((resolve) => { this.done = resolve; }).then(() => Buffer.concat(this.chunks).toString('latin1'));
  }

  close(): void { this.socket.destroy(); }
}

function encode(argv: string[]): Buffer {
  let s = `*${argv.length}\r\n`;
  for (const a of argv) s += `$${a.length}\r\n${a}\r\n`;
  return Buffer.from(s, 'latin1');
}

/** A nodis client whose replies are RESP bytes (deferred ones included). */
function rawClient(engine: Engine): { client: Client; run(...argv: string[]): string; take(): string } {
  const writer = new RespWriter(2);
  const client = engine.createClient({ reply: writer, kind: 'tcp', addr: '127.0.0.1:50000', laddr: '127.0.0.1:7379' });
  return {
    client,
    run(...argv) { engine.execute(client, argv); return writer.take().toString('latin1'); },
    take() { return writer.take().toString('latin1'); },
  };
}

let redis: RedisProcess | undefined;
if (redisServerPath) redis = await startRedis();
else console.warn('NOTE: redis-server is not installed: the list differential tests against real Redis are SKIPPED');
afterAll(async () => { await redis?.stop(); });

const LIST_COMMANDS = [
  'lpush', 'rpush', 'lpushx', 'rpushx', 'lpop', 'rpop', 'llen', 'lindex', 'lset', 'lrange', 'ltrim', 'linsert',
  'lrem', 'lpos', 'lmove', 'rpoplpush', 'lmpop', 'blpop', 'brpop', 'blmove', 'brpoplpush', 'blmpop',
];

describe.skipIf(!redis)('differential against real Redis', () => {
  it('COMMAND INFO and COMMAND DOCS of every list command and CLIENT UNBLOCK, RESP2 and RESP3', async () => {
    const conn = await RawConnection.open(redis!.port);
    try {
      for (const name of [...LIST_COMMANDS, 'client|unblock']) {
        const commands = [['COMMAND', 'INFO', name], ['COMMAND', 'DOCS', name], ['HELLO', '3'], ['COMMAND', 'INFO', name], ['COMMAND', 'DOCS', name], ['HELLO', '2']];
        const t = createTestEngine();
        const raw = rawClient(t.engine);
        const mine = commands.map((argv) => raw.run(...argv)).join('');
        const theirs = await conn.run(commands);
        const maskHello = (s: string) => s.replace(/%7\r\n\$6\r\nserver[\s\S]*?\$7\r\nmodules\r\n\*0\r\n/, 'HELLO').replace(/\*14\r\n\$6\r\nserver[\s\S]*?\$7\r\nmodules\r\n\*0\r\n/, 'HELLO');
        expect(maskHello(mine), name).toBe(maskHello(theirs));
      }
    } finally {
      conn.close();
    }
  });

  it('error strings and edge cases, byte for byte', async () => {
    const sequences: string[][][] = [
      [['SET', 's', 'x'], ['LPUSH', 's', 'a'], ['LPUSHX', 's', 'a'], ['LINSERT', 's', 'foo', 'a', 'b'], ['LINSERT', 's', 'before', 'a', 'b'], ['LINSERT', 'nokey', 'foo', 'a', 'b'], ['LINDEX', 's', 'x'], ['LINDEX', 'nokey', 'x'], ['LSET', 's', 'x', 'y'], ['LSET', 'nokey', 'x', 'y'], ['LRANGE', 's', 'a', 'b'], ['LTRIM', 's', 'a', 'b'], ['LREM', 's', 'a', 'b'], ['LPOS', 's', 'a', 'rank', '0'], ['LPOS', 's', 'a'], ['LPOP', 's', 'x'], ['LPOP', 's', '0'], ['LPOP', 'nokey', '0'], ['LPOP', 'nokey', '-1'], ['LPOP', 's', '1', '2'], ['RPOPLPUSH', 'nokey', 's']],
      [['RPUSH', 'l', 'a', 'b', 'c', 'a', 'b', 'c', 'a'], ['OBJECT', 'ENCODING', 'l'], ['LPOS', 'l', 'a', 'RANK', '-9223372036854775808'], ['LPOS', 'l', 'a', 'RANK', '-9223372036854775808', 'COUNT', '1'], ['LPOS', 'l', 'a', 'RANK', '9223372036854775807'], ['LPOS', 'l', 'a', 'COUNT', 'x'], ['LPOS', 'l', 'a', 'MAXLEN', 'x'], ['LPOS', 'l', 'a', 'RANK', '1', 'RANK', '3'], ['LINDEX', 'l', '9223372036854775808'], ['LSET', 'l', '-8', 'x'], ['LRANGE', 'l', '9223372036854775807', '-9223372036854775808'], ['LTRIM', 'l', '-9223372036854775808', '9223372036854775807'], ['LRANGE', 'l', '0', '-1']],
      [['RPUSH', 'l', 'a', 'b', 'c'], ['SET', 's', 'x'], ['LMOVE', 'l', 's', 'left', 'right'], ['LMOVE', 's', 'l', 'left', 'right'], ['LMOVE', 'l', 'd', 'up', 'left'], ['LMPOP', '0', 'l', 'left'], ['LMPOP', '-1', 'l', 'left'], ['LMPOP', '1', 'l'], ['LMPOP', '1', 'l', 'left', 'count', 'x'], ['LMPOP', '2', 'l', 's', 'left'], ['LMPOP', '2', 's', 'l', 'left'], ['LMPOP', '2', 'nokey', 'l', 'right', 'count', '5'], ['LMPOP', '1', 'nokey', 'left']],
      [['SET', 's', 'x'], ['BLPOP', 's', 'x'], ['BLPOP', 's', '-1'], ['BLPOP', 's', '0'], ['BLPOP', 'nokey', 'nan'], ['BLPOP', 'nokey', 'inf'], ['BLPOP', 'nokey', '1e300'], ['BLPOP', 'nokey', '-0.0011'], ['BLPOP', 'nokey', '1e5000'], ['BLMPOP', 'x', '1', 's', 'left'], ['BLMPOP', '-1', '0', 's', 'left'], ['BLMPOP', 'x', '1', 's', 'up'], ['BLMPOP', '0', '1', 's'], ['BLMOVE', 's', 'd', 'left', 'left', '0'], ['BLMOVE', 's', 'd', 'up', 'left', 'x'], ['BLMOVE', 's', 'd', 'left', 'left', 'x'], ['BRPOPLPUSH', 's', 'd', 'x'], ['BRPOPLPUSH', 's', 'd', '0']],
      [['RPUSH', 'a', '1', '2', '3'], ['RPUSH', 'b', 'x'], ['BLPOP', 'nokey', 'a', '0'], ['BRPOP', 'a', 'b', '0'], ['BLMPOP', '0', '2', 'nokey', 'a', 'LEFT', 'COUNT', '9'], ['BLMOVE', 'b', 'b', 'LEFT', 'RIGHT', '0'], ['BRPOPLPUSH', 'b', 'c', '0'], ['HELLO', '3'], ['LPOP', 'nokey', '1'], ['LMPOP', '1', 'nokey', 'LEFT'], ['LPOS', 'c', 'x', 'COUNT', '0'], ['LRANGE', 'c', '0', '-1']],
      [['CLIENT', 'UNBLOCK', 'x', 'foo'], ['CLIENT', 'UnBlock', '1', '2', '3'], ['CLIENT', 'UNBLOCK', '99999'], ['CLIENT', 'UNBLOCK', '99999', 'foo'], ['CLIENT', 'UNBLOCK', '99999', 'ERROR'], ['CLIENT', 'UNBLOCK', '-1'], ['CLIENT', 'UNBLOCK']],
    ];
    const conn = await RawConnection.open(redis!.port);
    try {
      for (const commands of sequences) {
        await conn.run([['FLUSHALL'], ['HELLO', '2']]);
        const t = createTestEngine();
        const raw = rawClient(t.engine);
        const maskHello = (s: string) => s.replace(/%7\r\n\$6\r\nserver[\s\S]*?\$7\r\nmodules\r\n\*0\r\n/, 'HELLO');
        const mine = commands.map((argv) => raw.run(...argv)).join('');
        expect(maskHello(mine), JSON.stringify(commands)).toBe(maskHello(await conn.run(commands)));
      }
    } finally {
      conn.close();
    }
  });

  it('CLIENT HELP matches, UNBLOCK included', async () => {
    const conn = await RawConnection.open(redis!.port);
    try {
      const theirs = await conn.run([['CLIENT', 'HELP']]);
      const t = createTestEngine();
      const mine = rawClient(t.engine).run('CLIENT', 'HELP');
      // nodis lacks CACHING, GETREDIR, PAUSE, UNPAUSE, REPLY, TRACKING and TRACKINGINFO: compare
      // the UNBLOCK lines and what follows SETNAME.
      const unblock = '+UNBLOCK <clientid> [TIMEOUT|ERROR]\r\n+    Unblock the specified blocked client.\r\n';
      expect(theirs).toContain('+    Assign the name <name> to the current connection.\r\n' + unblock);
      expect(mine).toContain('+    Assign the name <name> to the current connection.\r\n' + unblock);
    } finally {
      conn.close();
    }
  });

  it('blocking scenarios over two connections match Redis', async () => {
    const a = await RawConnection.open(redis!.port);
    const b = await RawConnection.open(redis!.port);
    const waitBlocked = async (n: number): Promise<void> => {
      for (let i = 0; i < 200; i++) {
        const info = await b.run([['INFO', 'clients']]);
        if (info.includes(`blocked_clients:${n}\r\n`)) return;
        await new Promise((r) => setTimeout(r, 5));
      }
      throw new Error('the Redis client never blocked');
    };
    // [A's blocking command, B's commands while A waits, B's commands after A was served]
    const scenarios: [string[], string[][], string[][]][] = [
      [['BLPOP', 'q', '0'], [['RPUSH', 'q', 'a', 'b']], [['LRANGE', 'q', '0', '-1']]],
      [['BLMOVE', 'src', 'dst', 'LEFT', 'RIGHT', '0'], [['SET', 'dst', 'x'], ['RPUSH', 'src', 'a']], [['LRANGE', 'src', '0', '-1']]],
      [['BLMPOP', '0', '2', 'a', 'b', 'RIGHT', 'COUNT', '2'], [['RPUSH', 'b', '1', '2', '3']], [['LRANGE', 'b', '0', '-1']]],
      [['BRPOPLPUSH', 'q', 'q', '0'], [['RPUSH', 'q', 'x']], [['LRANGE', 'q', '0', '-1']]],
      [['BRPOP', 'k1', 'k2', '0'], [['LPUSH', 'k2', 'v']], [['EXISTS', 'k2']]],
    ];
    try {
      for (const [blocking, during, after] of scenarios) {
        await b.run([['FLUSHALL']]);
        const t = createTestEngine();
        const ra = rawClient(t.engine);
        const rb = rawClient(t.engine);
        expect(ra.run(...blocking)).toBe('');
        const aReply = a.wait(1);
        a.send([blocking]);
        await waitBlocked(1);
        let mineB = '';
        for (const argv of during) mineB += rb.run(...argv);
        expect(mineB, JSON.stringify(during)).toBe(await b.run(during));
        expect(ra.take(), JSON.stringify(blocking)).toBe(await aReply);
        expect(after.map((argv) => rb.run(...argv)).join('')).toBe(await b.run(after));
      }
      // A timeout in RESP3, and CLIENT UNBLOCK ... ERROR.
      await b.run([['FLUSHALL']]);
      await a.run([['HELLO', '3']]);
      const timedOut = a.wait(1);
      a.send([['BLPOP', 'q', '0.01']]);
      expect(await timedOut).toBe('_\r\n');
      await a.run([['HELLO', '2']]);
      const id = await a.run([['CLIENT', 'ID']]);
      const unblocked = a.wait(1);
      a.send([['BLPOP', 'q', '0']]);
      await waitBlocked(1);
      expect(await b.run([['CLIENT', 'UNBLOCK', id.slice(1, -2), 'ERROR']])).toBe(':1\r\n');
      expect(await unblocked).toBe('-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n');
      const t = createTestEngine();
      const ra = rawClient(t.engine);
      const rb = rawClient(t.engine);
      ra.run('BLPOP', 'q', '0');
      expect(rb.run('CLIENT', 'UNBLOCK', String(ra.client.id), 'ERROR')).toBe(':1\r\n');
      expect(ra.take()).toBe('-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n');
    } finally {
      a.close();
      b.close();
    }
  });

  it('random sequences of list commands reply exactly as Redis (fast-check)', async () => {
    const conn = await RawConnection.open(redis!.port);
    const key = fc.constantFrom('a', 'b', 's');
    const element = fc.constantFrom('x', 'y', 'z', '1', '-1', '', 'x y');
    const index = fc.oneof(fc.integer({ min: -8, max: 8 }).map(String), fc.constantFrom('9223372036854775807', '-9223372036854775808', 'x'));
    const end = fc.constantFrom('LEFT', 'RIGHT', 'left');
    const command: fc.Arbitrary<string[]> = fc.oneof(
      fc.tuple(fc.constantFrom('LPUSH', 'RPUSH', 'LPUSHX', 'RPUSHX'), key, fc.array(element, { minLength: 1, maxLength: 5 })).map(([c, k, es]) => [c, k, ...es]),
      fc.tuple(fc.constantFrom('LPOP', 'RPOP'), key, fc.option(fc.constantFrom('0', '1', '2', '10', '-1'), { nil: undefined })).map(([c, k, n]) => (n === undefined ? [c, k] : [c, k, n])),
      fc.tuple(fc.constantFrom('LLEN', 'TYPE', 'EXISTS'), key).map(([c, k]) => [c, k]),
      fc.tuple(key, index).map(([k, i]) => ['LINDEX', k, i]),
      fc.tuple(key, index, element).map(([k, i, e]) => ['LSET', k, i, e]),
      fc.tuple(fc.constantFrom('LRANGE', 'LTRIM'), key, index, index).map(([c, k, i, j]) => [c, k, i, j]),
      fc.tuple(key, fc.constantFrom('BEFORE', 'AFTER', 'after', 'UP'), element, element).map(([k, w, p, e]) => ['LINSERT', k, w, p, e]),
      fc.tuple(key, fc.constantFrom('0', '1', '-1', '2', '-2'), element).map(([k, n, e]) => ['LREM', k, n, e]),
      fc.tuple(key, element, fc.array(fc.tuple(fc.constantFrom('RANK', 'COUNT', 'MAXLEN'), fc.constantFrom('0', '1', '2', '-1', '-2')), { maxLength: 2 }))
        .map(([k, e, opts]) => ['LPOS', k, e, ...opts.flat()]),
      fc.tuple(key, key, end, end).map(([s, d, f, t]) => ['LMOVE', s, d, f, t]),
      fc.tuple(key, key).map(([s, d]) => ['RPOPLPUSH', s, d]),
      fc.tuple(fc.array(key, { minLength: 1, maxLength: 3 }), end, fc.option(fc.constantFrom('1', '2', '5'), { nil: undefined }))
        .map(([ks, e, n]) => ['LMPOP', String(ks.length), ...ks, e, ...(n === undefined ? [] : ['COUNT', n])]),
    );
    try {
      await fc.assert(fc.asyncProperty(fc.constantFrom(2, 3), fc.array(command, { minLength: 1, maxLength: 25 }), async (protocol, commands) => {
        await conn.run([['FLUSHALL'], ['HELLO', String(protocol)], ['SET', 's', 'str']]);
        const t = createTestEngine();
        const raw = rawClient(t.engine);
        raw.run('HELLO', String(protocol));
        raw.run('SET', 's', 'str');
        const mine = commands.map((argv) => raw.run(...argv)).join('');
        expect(mine).toBe(await conn.run(commands));
      }), { numRuns: 300 });
    } finally {
      conn.close();
    }
  });
});
