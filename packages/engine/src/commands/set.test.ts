import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createTestEngine } from '../testing.js';
import { ReplyError, ReplySet, SimpleString, type Reply } from '../reply.js';
import type { RespTestClient } from '../../../../test/helpers/resp-client.js';
import { redisServerPath } from '../../../../test/helpers/redis.js';
import { engineRespClient, useRedisOracle, type EngineRespClient } from '../../../../test/helpers/oracle.js';

// ------------------------------------------------------------------ helpers

const OK = new SimpleString('OK');
const err = (message: string) => new ReplyError(message);
const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
const SYNTAX = 'ERR syntax error';
const NOT_INTEGER = 'ERR value is not an integer or out of range';
const MUST_BE_POSITIVE = 'ERR value is out of range, must be positive';

const sorted = (r: Reply): string[] => {
  const items = r instanceof ReplySet ? r.items : (r as Reply[]);
  return items.map(String).sort();
};

/** A harness whose sets are created through SADD. */
function engine(config: Record<string, string> = {}) {
  return createTestEngine({ config });
}

// ------------------------------------------------------------------ members

describe('SADD, SREM, SCARD, SISMEMBER, SMISMEMBER, SMEMBERS', () => {
  it('adds, counts duplicates once, removes, and deletes the emptied key', () => {
    const t = engine();
    expect(t.run('SADD', 's', 'a', 'b', 'a')).toBe(2);
    expect(t.run('SADD', 's', 'b', 'c')).toBe(1);
    expect(t.run('SCARD', 's')).toBe(3);
    expect(t.run('SISMEMBER', 's', 'a')).toBe(1);
    expect(t.run('SISMEMBER', 's', 'z')).toBe(0);
    expect(t.run('SMISMEMBER', 's', 'a', 'z', 'c')).toEqual([1, 0, 1]);
    expect(sorted(t.run('SMEMBERS', 's'))).toEqual(['a', 'b', 'c']);
    expect(t.run('SREM', 's', 'a', 'z', 'a')).toBe(1);
    expect(t.run('SREM', 's', 'b', 'c')).toBe(2);
    expect(t.run('EXISTS', 's')).toBe(0);
    expect(t.run('TYPE', 's')).toEqual(new SimpleString('none'));
  });

  it('answers for missing keys as for empty sets', () => {
    const t = engine();
    expect(t.run('SREM', 'none', 'a')).toBe(0);
    expect(t.run('SCARD', 'none')).toBe(0);
    expect(t.run('SISMEMBER', 'none', 'a')).toBe(0);
    expect(t.run('SMISMEMBER', 'none', 'a', 'b')).toEqual([0, 0]);
    expect(t.run('SMEMBERS', 'none')).toEqual([]);
  });

  it('is binary safe', () => {
    const t = engine();
    expect(t.run('SADD', 's', '', '\x00\r\n', '\xff')).toBe(3);
    expect(t.run('SISMEMBER', 's', '\x00\r\n')).toBe(1);
    expect(sorted(t.run('SMEMBERS', 's'))).toEqual(['', '\x00\r\n', '\xff']);
  });

  it('answers WRONGTYPE on other types and leaves them alone', () => {
    const t = engine();
    t.run('SET', 'str', 'x');
    for (const argv of [['SADD', 'str', 'a'], ['SREM', 'str', 'a'], ['SCARD', 'str'], ['SISMEMBER', 'str', 'a'],
      ['SMISMEMBER', 'str', 'a'], ['SMEMBERS', 'str'], ['SPOP', 'str'], ['SPOP', 'str', '1'], ['SPOP', 'str', '0'],
      ['SRANDMEMBER', 'str'], ['SRANDMEMBER', 'str', '0'], ['SRANDMEMBER', 'str', '-5'], ['SSCAN', 'str', '0'],
      ['SSCAN', 'str', '0', 'COUNT', '0'], ['SINTER', 'none', 'str'], ['SUNION', 'str'], ['SDIFF', 'none', 'str'],
      ['SINTERCARD', '2', 'none', 'str'], ['SINTERSTORE', 'd', 'str'], ['SMOVE', 'str', 'd', 'a']]) {
      expect(t.run(...argv), argv.join(' ')).toEqual(err(WRONGTYPE));
    }
    expect(t.run('GET', 'str')).toBe('x');
  });

  it('replies with a RESP3 set for SMEMBERS, integers for SMISMEMBER', () => {
    const t = engine();
    t.run('HELLO', '3');
    t.run('SADD', 's', '2', '1');
    expect(t.run('SMEMBERS', 's')).toEqual(new ReplySet(['1', '2']));
    expect(t.run('SMEMBERS', 'none')).toEqual(new ReplySet([]));
    expect(t.run('SMISMEMBER', 's', '1', '3')).toEqual([1, 0]);
    expect(t.run('SISMEMBER', 's', '1')).toBe(1);
  });
});

// ------------------------------------------------------------------ encodings

describe('encodings and order', () => {
  it('keeps integer sets as an intset, answered ascending, and converts as Redis 7.0 does', () => {
    const t = engine();
    t.run('SADD', 's', '10', '-3', '7', '9223372036854775807', '-9223372036854775808');
    expect(t.run('OBJECT', 'ENCODING', 's')).toBe('intset');
    expect(t.run('SMEMBERS', 's')).toEqual(['-9223372036854775808', '-3', '7', '10', '9223372036854775807']);
    for (const notInt of ['01', '-0', '+1', '1.0', ' 1', '9223372036854775808']) {
      t.run('SADD', 'n', notInt);
      expect(t.run('OBJECT', 'ENCODING', 'n'), notInt).toBe('hashtable');
      t.run('DEL', 'n');
    }
    t.run('SADD', 's', 'x');
    expect(t.run('OBJECT', 'ENCODING', 's')).toBe('hashtable');
    t.run('SREM', 's', 'x');
    expect(t.run('OBJECT', 'ENCODING', 's')).toBe('hashtable'); // never back
  });

  it('follows set-max-intset-entries', () => {
    const t = engine({ 'set-max-intset-entries': '3' });
    t.run('SADD', 's', '1', '2', '3');
    expect(t.run('OBJECT', 'ENCODING', 's')).toBe('intset');
    t.run('SADD', 's', '4');
    expect(t.run('OBJECT', 'ENCODING', 's')).toBe('hashtable');
    t.run('CONFIG', 'SET', 'set-max-intset-entries', '0');
    t.run('SADD', 'z', '1');
    expect(t.run('OBJECT', 'ENCODING', 'z')).toBe('hashtable');
  });

  it('512 integers stay an intset, the 513th converts', () => {
    const t = engine();
    t.run('SADD', 's', ...Array.from({ length: 512 }, (_, i) => String(512 - i)));
    expect(t.run('OBJECT', 'ENCODING', 's')).toBe('intset');
    expect((t.run('SMEMBERS', 's') as string[]).slice(0, 3)).toEqual(['1', '2', '3']);
    t.run('SADD', 's', '0');
    expect(t.run('OBJECT', 'ENCODING', 's')).toBe('hashtable');
    expect(t.run('SCARD', 's')).toBe(513);
  });

  it('COPY makes an independent set in the same encoding', () => {
    const t = engine();
    t.run('SADD', 'i', '1', '2');
    t.run('SADD', 'h', 'a', 'b');
    expect(t.run('COPY', 'i', 'i2')).toBe(1);
    expect(t.run('COPY', 'h', 'h2')).toBe(1);
    t.run('SADD', 'i2', '3');
    t.run('SREM', 'h2', 'a');
    expect(t.run('SMEMBERS', 'i')).toEqual(['1', '2']);
    expect(t.run('SMEMBERS', 'i2')).toEqual(['1', '2', '3']);
    expect(sorted(t.run('SMEMBERS', 'h'))).toEqual(['a', 'b']);
    expect(t.run('OBJECT', 'ENCODING', 'h2')).toBe('hashtable');
  });
});

// ------------------------------------------------------------------ random members

describe('SPOP', () => {
  it('pops one member, or nil, and deletes the emptied key', () => {
    const t = engine();
    t.run('SADD', 's', 'a', 'b');
    const first = t.run('SPOP', 's') as string;
    expect(['a', 'b']).toContain(first);
    expect(t.run('SISMEMBER', 's', first)).toBe(0);
    t.run('SPOP', 's');
    expect(t.run('EXISTS', 's')).toBe(0);
    expect(t.run('SPOP', 's')).toBe(null);
  });

  it('pops count distinct members; 0 gives an empty set; count >= size takes all (ascending for an intset)', () => {
    const t = engine();
    t.run('SADD', 's', ...Array.from({ length: 20 }, (_, i) => String(i)));
    expect(t.run('SPOP', 's', '0')).toEqual([]);
    const popped = t.run('SPOP', 's', '15') as string[];
    expect(new Set(popped).size).toBe(15);
    expect(t.run('SCARD', 's')).toBe(5);
    for (const m of popped) expect(t.run('SISMEMBER', 's', m)).toBe(0);
    const rest = t.run('SPOP', 's', '9223372036854775807') as string[];
    expect(rest).toEqual([...rest].sort((a, b) => Number(a) - Number(b)));
    expect(sorted([...popped, ...rest])).toEqual(Array.from({ length: 20 }, (_, i) => String(i)).sort());
    expect(t.run('EXISTS', 's')).toBe(0);
    expect(t.run('SPOP', 'none', '3')).toEqual([]);
  });

  it('checks the count before the key, and refuses extra arguments first', () => {
    const t = engine();
    t.run('SET', 'str', 'x');
    for (const c of ['-1', 'x', '01', '-0', '9223372036854775808', '']) {
      expect(t.run('SPOP', 'str', c), c).toEqual(err(MUST_BE_POSITIVE));
    }
    expect(t.run('SPOP', 'str', '1', '2')).toEqual(err(SYNTAX));
  });

  it('answers a RESP3 set with a count, a bulk string without', () => {
    const t = engine();
    t.run('HELLO', '3');
    t.run('SADD', 's', 'a', 'b', 'c');
    expect(t.run('SPOP', 's', '1')).toBeInstanceOf(ReplySet);
    expect(t.run('SPOP', 's', '0')).toEqual(new ReplySet([]));
    expect(t.run('SPOP', 'none', '2')).toEqual(new ReplySet([]));
    expect(typeof t.run('SPOP', 's')).toBe('string');
  });
});

describe('SRANDMEMBER', () => {
  it('follows Redis\'s count cases', () => {
    const t = engine();
    const members = Array.from({ length: 10 }, (_, i) => `m${i}`);
    t.run('SADD', 's', ...members);
    expect(members).toContain(t.run('SRANDMEMBER', 's'));
    expect(t.run('SRANDMEMBER', 's', '0')).toEqual([]);
    for (const count of [1, 3, 4, 9]) {
      const r = t.run('SRANDMEMBER', 's', String(count)) as string[];
      expect(r.length).toBe(count);
      expect(new Set(r).size).toBe(count);
      for (const m of r) expect(members).toContain(m);
    }
    expect(sorted(t.run('SRANDMEMBER', 's', '10'))).toEqual([...members].sort());
    expect(sorted(t.run('SRANDMEMBER', 's', '9223372036854775807'))).toEqual([...members].sort());
    const repeats = t.run('SRANDMEMBER', 's', '-30') as string[];
    expect(repeats.length).toBe(30);
    for (const m of repeats) expect(members).toContain(m);
    expect(t.run('SCARD', 's')).toBe(10); // read only
  });

  it('answers the whole intset ascending when count >= size', () => {
    const t = engine();
    t.run('SADD', 's', '3', '1', '2');
    expect(t.run('SRANDMEMBER', 's', '5')).toEqual(['1', '2', '3']);
  });

  it('missing keys: nil, or an empty array (RESP3 too)', () => {
    const t = engine();
    expect(t.run('SRANDMEMBER', 'none')).toBe(null);
    expect(t.run('SRANDMEMBER', 'none', '5')).toEqual([]);
    expect(t.run('SRANDMEMBER', 'none', '-5')).toEqual([]);
    t.run('HELLO', '3');
    expect(t.run('SRANDMEMBER', 'none', '5')).toEqual([]);
    t.run('SADD', 's', 'a');
    expect(t.run('SRANDMEMBER', 's', '1')).toEqual(['a']); // an array, not a set
  });

  it('RELIABILITY #14: LLONG_MIN is Redis\'s range error, checked before the key and any allocation', () => {
    const t = engine();
    t.run('SET', 'str', 'x');
    t.run('SADD', 's', 'a');
    const range = 'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807';
    for (const key of ['s', 'str', 'none']) expect(t.run('SRANDMEMBER', key, '-9223372036854775808')).toEqual(err(range));
    for (const c of ['x', '-9223372036854775809', '9223372036854775808', '01', '-0']) {
      expect(t.run('SRANDMEMBER', 's', c), c).toEqual(err(NOT_INTEGER));
    }
    expect(t.run('SRANDMEMBER', 's', '1', '2')).toEqual(err(SYNTAX));
    expect(t.run('SRANDMEMBER', 'none', '-9223372036854775807')).toEqual([]);
  });

  it('refuses a repeat count no reply could hold (stricter than Redis, which runs out of memory)', () => {
    const t = engine();
    t.run('SADD', 's', 'a');
    const r = t.run('SRANDMEMBER', 's', '-9223372036854775807');
    expect(r).toBeInstanceOf(ReplyError);
    expect((r as ReplyError).message).toMatch(/^ERR value is out of range/);
    expect(t.run('SRANDMEMBER', 's', '-100000')).toHaveLength(100_000);
  });
});

// ------------------------------------------------------------------ SMOVE

describe('SMOVE', () => {
  it('moves a member, creating the destination and deleting an emptied source', () => {
    const t = engine();
    t.run('SADD', 'src', '1', 'a');
    expect(t.run('SMOVE', 'src', 'dst', '1')).toBe(1);
    expect(t.run('OBJECT', 'ENCODING', 'dst')).toBe('intset');
    expect(t.run('SMOVE', 'src', 'dst', 'a')).toBe(1);
    expect(t.run('EXISTS', 'src')).toBe(0);
    expect(t.run('OBJECT', 'ENCODING', 'dst')).toBe('hashtable');
    expect(sorted(t.run('SMEMBERS', 'dst'))).toEqual(['1', 'a']);
    expect(t.run('SMOVE', 'dst', 'dst', 'a')).toBe(1);
    expect(t.run('SMOVE', 'dst', 'dst', 'zz')).toBe(0);
    expect(t.run('SMOVE', 'dst', 'other', 'zz')).toBe(0);
    t.run('SADD', 'other', 'a');
    expect(t.run('SMOVE', 'dst', 'other', 'a')).toBe(1); // already there: still moved
    expect(t.run('SMEMBERS', 'dst')).toEqual(['1']);
  });

  it('a missing source answers 0 before the destination\'s type is checked', () => {
    const t = engine();
    t.run('SET', 'str', 'x');
    t.run('SADD', 's', 'a');
    expect(t.run('SMOVE', 'none', 'str', 'a')).toBe(0);
    expect(t.run('SMOVE', 's', 'str', 'a')).toEqual(err(WRONGTYPE));
    expect(t.run('SMOVE', 's', 'str', 'nomember')).toEqual(err(WRONGTYPE));
    expect(t.run('SMOVE', 'str', 's', 'a')).toEqual(err(WRONGTYPE));
    expect(t.run('SISMEMBER', 's', 'a')).toBe(1);
  });
});

// ------------------------------------------------------------------ algebra

describe('SINTER, SUNION, SDIFF and their STORE forms, SINTERCARD', () => {
  function setup() {
    const t = engine();
    t.run('SADD', 'a', '1', '2', '3', '4');
    t.run('SADD', 'b', '3', '4', '5', 'x');
    t.run('SADD', 'c', '4', 'x', 'y');
    return t;
  }

  it('computes the results, missing keys as empty sets', () => {
    const t = setup();
    expect(t.run('SINTER', 'a', 'b')).toEqual(['3', '4']); // smallest is an intset: ascending
    expect(sorted(t.run('SINTER', 'a', 'b', 'c'))).toEqual(['4']);
    expect(t.run('SINTER', 'a', 'none')).toEqual([]);
    expect(sorted(t.run('SUNION', 'a', 'c', 'none'))).toEqual(['1', '2', '3', '4', 'x', 'y']);
    expect(t.run('SUNION', 'a', 'none')).toEqual(['1', '2', '3', '4']);
    expect(t.run('SDIFF', 'a', 'b')).toEqual(['1', '2']);
    expect(sorted(t.run('SDIFF', 'b', 'a', 'none'))).toEqual(['5', 'x']);
    expect(t.run('SDIFF', 'none', 'a')).toEqual([]);
    expect(t.run('SDIFF', 'a', 'a')).toEqual([]);
    expect(t.run('SINTER', 'a', 'a')).toEqual(['1', '2', '3', '4']);
  });

  it('SINTERCARD counts with an optional LIMIT (0: none, the last one wins)', () => {
    const t = setup();
    expect(t.run('SINTERCARD', '2', 'a', 'b')).toBe(2);
    expect(t.run('SINTERCARD', '2', 'a', 'b', 'LIMIT', '1')).toBe(1);
    expect(t.run('SINTERCARD', '2', 'a', 'b', 'limit', '0')).toBe(2);
    expect(t.run('SINTERCARD', '1', 'a', 'LIMIT', '1', 'LIMIT', '3')).toBe(3);
    expect(t.run('SINTERCARD', '1', 'a', 'LIMIT', '9223372036854775807')).toBe(4);
    expect(t.run('SINTERCARD', '2', 'a', 'none')).toBe(0);
  });

  it('SINTERCARD errors come in Redis\'s order: numkeys, options, then types', () => {
    const t = setup();
    t.run('SET', 'str', 'v');
    expect(t.run('SINTERCARD', '0', 'a')).toEqual(err('ERR numkeys should be greater than 0'));
    expect(t.run('SINTERCARD', 'x', 'a')).toEqual(err('ERR numkeys should be greater than 0'));
    expect(t.run('SINTERCARD', '-1', 'a')).toEqual(err('ERR numkeys should be greater than 0'));
    expect(t.run('SINTERCARD', '99999999999999999999', 'a')).toEqual(err('ERR numkeys should be greater than 0'));
    expect(t.run('SINTERCARD', '2', 'a')).toEqual(err("ERR Number of keys can't be greater than number of args"));
    expect(t.run('SINTERCARD', '9223372036854775807', 'a')).toEqual(err("ERR Number of keys can't be greater than number of args"));
    expect(t.run('SINTERCARD', '1', 'str', 'LIMIT', '-1')).toEqual(err("ERR LIMIT can't be negative"));
    expect(t.run('SINTERCARD', '1', 'str', 'LIMIT', 'x')).toEqual(err("ERR LIMIT can't be negative"));
    expect(t.run('SINTERCARD', '1', 'str', 'LIMIT')).toEqual(err(SYNTAX));
    expect(t.run('SINTERCARD', '1', 'none', 'str')).toEqual(err(SYNTAX));
    expect(t.run('SINTERCARD', '1', 'str')).toEqual(err(WRONGTYPE));
  });

  it('STORE forms overwrite any destination (dropping its TTL) and delete it for an empty result', () => {
    const t = setup();
    t.run('SET', 'd', 'string', 'EX', '100');
    expect(t.run('SINTERSTORE', 'd', 'a', 'b')).toBe(2);
    expect(t.run('TYPE', 'd')).toEqual(new SimpleString('set'));
    expect(t.run('TTL', 'd')).toBe(-1);
    expect(t.run('OBJECT', 'ENCODING', 'd')).toBe('intset');
    expect(t.run('SUNIONSTORE', 'd', 'a', 'b')).toBe(6);
    expect(t.run('OBJECT', 'ENCODING', 'd')).toBe('hashtable');
    expect(t.run('SDIFFSTORE', 'd', 'a', 'b')).toBe(2);
    expect(t.run('SMEMBERS', 'd')).toEqual(['1', '2']);
    expect(t.run('SINTERSTORE', 'd', 'a', 'none')).toBe(0);
    expect(t.run('EXISTS', 'd')).toBe(0);
    t.run('RPUSH', 'list', 'x');
    expect(t.run('SUNIONSTORE', 'list', 'none')).toBe(0);
    expect(t.run('EXISTS', 'list')).toBe(0);
    expect(t.run('SDIFFSTORE', 'a', 'a', 'b')).toBe(2); // the destination may be a source
    expect(t.run('SMEMBERS', 'a')).toEqual(['1', '2']);
    expect(t.run('SINTERSTORE', 'e', 'str-none', 'd')).toBe(0);
  });

  it('checks every source\'s type, even after a missing one', () => {
    const t = setup();
    t.run('SET', 'str', 'v');
    expect(t.run('SINTER', 'none', 'str')).toEqual(err(WRONGTYPE));
    expect(t.run('SINTERSTORE', 'd', 'none', 'str')).toEqual(err(WRONGTYPE));
    expect(t.run('SDIFFSTORE', 'd', 'a', 'str')).toEqual(err(WRONGTYPE));
    expect(t.run('SUNIONSTORE', 'str', 'a')).toBe(4); // the destination is not a source
  });

  it('answers RESP3 sets', () => {
    const t = setup();
    t.run('HELLO', '3');
    expect(t.run('SINTER', 'a', 'b')).toEqual(new ReplySet(['3', '4']));
    expect(t.run('SUNION', 'none')).toEqual(new ReplySet([]));
    expect(t.run('SDIFF', 'a', 'b')).toEqual(new ReplySet(['1', '2']));
  });
});

// ------------------------------------------------------------------ SSCAN

describe('SSCAN', () => {
  it('answers a whole intset at once with cursor 0, whatever the cursor and COUNT', () => {
    const t = engine();
    t.run('SADD', 's', '3', '1', '2');
    expect(t.run('SSCAN', 's', '0')).toEqual(['0', ['1', '2', '3']]);
    expect(t.run('SSCAN', 's', '5', 'COUNT', '1')).toEqual(['0', ['1', '2', '3']]);
    expect(t.run('SSCAN', 's', '0', 'MATCH', '[12]')).toEqual(['0', ['1', '2']]);
    expect(t.run('SSCAN', 's', '0', 'match', '2', 'count', '1', 'match', '3')).toEqual(['0', ['3']]);
  });

  it('iterates a hashtable set completely through cursors, under modification', () => {
    const t = engine();
    const members = Array.from({ length: 300 }, (_, i) => `m${i}`);
    t.run('SADD', 's', ...members);
    const seen = new Set<string>();
    let cursor = '0';
    let calls = 0;
    do {
      const [next, batch] = t.run('SSCAN', 's', cursor, 'COUNT', '20') as [string, string[]];
      for (const m of batch) seen.add(m);
      cursor = next;
      calls++;
      t.run('SREM', 's', `m${299 - calls}`); // removes members not yet returned, maybe
      t.run('SADD', 's', `new${calls}`);
    } while (cursor !== '0' && calls < 1000);
    expect(cursor).toBe('0');
    expect(calls).toBeGreaterThan(5);
    for (const m of members.slice(0, 250)) expect(seen.has(m), m).toBe(true); // present throughout
  });

  it('filters with MATCH after reading COUNT members', () => {
    const t = engine();
    t.run('SADD', 's', 'apple', 'avocado', 'banana', 'x');
    const [cursor, batch] = t.run('SSCAN', 's', '0', 'MATCH', 'a*', 'COUNT', '100') as [string, string[]];
    expect(cursor).toBe('0');
    expect([...batch].sort()).toEqual(['apple', 'avocado']);
  });

  it('checks the cursor, then the key, then the options', () => {
    const t = engine();
    t.run('SET', 'str', 'x');
    t.run('SADD', 's', 'a');
    expect(t.run('SSCAN', 'str', 'x')).toEqual(err('ERR invalid cursor'));
    expect(t.run('SSCAN', 'none', 'x')).toEqual(err('ERR invalid cursor'));
    expect(t.run('SSCAN', 'none', '0', 'COUNT', '0')).toEqual(['0', []]); // options unread
    expect(t.run('SSCAN', 'str', '0', 'bogus')).toEqual(err(WRONGTYPE));
    expect(t.run('SSCAN', 's', '0', 'COUNT', '0')).toEqual(err(SYNTAX));
    expect(t.run('SSCAN', 's', '0', 'COUNT', '-1')).toEqual(err(SYNTAX));
    expect(t.run('SSCAN', 's', '0', 'COUNT', 'x')).toEqual(err(NOT_INTEGER));
    expect(t.run('SSCAN', 's', '0', 'MATCH')).toEqual(err(SYNTAX));
    expect(t.run('SSCAN', 's', '0', 'TYPE', 'set')).toEqual(err(SYNTAX));
    expect(t.run('SSCAN', 's', '18446744073709551616')).toEqual(err('ERR invalid cursor'));
    t.run('SADD', 'i', '1');
    expect(t.run('SSCAN', 'i', '-1')).toEqual(['0', ['1']]); // strtoul's wrap-around, then an intset's whole answer
  });
});

// ------------------------------------------------------------------ keyspace hooks

describe('keyspace interplay', () => {
  it('reports every change to WATCH-style hooks and leaves no empty keys', () => {
    const t = engine();
    const modified: string[] = [];
    const original = t.engine.onKeyModified.bind(t.engine);
    t.engine.onKeyModified = (db, key) => { modified.push(key); original(db, key); };
    t.run('SADD', 's', 'a', 'b');
    t.run('SADD', 's', 'a'); // no change
    t.run('SREM', 's', 'z'); // no change
    t.run('SREM', 's', 'a');
    t.run('SPOP', 's');
    t.run('SADD', 't', '1');
    t.run('SMOVE', 't', 'u', '1');
    expect(modified).toEqual(['s', 's', 's', 't', 't', 'u']);
    expect(t.run('DBSIZE')).toBe(1);
  });

  it('expired sets are gone for every command', () => {
    const t = engine();
    t.run('SADD', 's', 'a');
    t.run('PEXPIRE', 's', '10');
    t.clock.advance(20);
    expect(t.run('SCARD', 's')).toBe(0);
    expect(t.run('SMOVE', 's', 'd', 'a')).toBe(0);
    expect(t.run('SADD', 's', 'b')).toBe(1);
    expect(t.run('TTL', 's')).toBe(-1);
  });

  it('FLUSHALL, RENAME and TYPE see sets', () => {
    const t = engine();
    t.run('SADD', 's', 'a');
    expect(t.run('TYPE', 's')).toEqual(new SimpleString('set'));
    expect(t.run('RENAME', 's', 'r')).toEqual(OK);
    expect(t.run('SMEMBERS', 'r')).toEqual(['a']);
    expect(t.run('FLUSHALL')).toEqual(OK);
    expect(t.run('SCARD', 'r')).toBe(0);
  });
});

// ------------------------------------------------------------------ differential against real Redis

const redis = useRedisOracle('set');

describe.skipIf(!redisServerPath)('differential against real Redis', () => {
  const NAMES = ['sadd', 'srem', 'scard', 'sismember', 'smismember', 'smembers', 'spop', 'srandmember', 'smove',
    'sinter', 'sintercard', 'sinterstore', 'sunion', 'sunionstore', 'sdiff', 'sdiffstore', 'sscan'];

  it('COMMAND INFO and COMMAND DOCS of every set command, RESP2 and RESP3', async () => {
    const ours = engineRespClient(createTestEngine().engine);
    const r = redis.client;
    for (const protocol of ['2', '3']) {
      await r.call('HELLO', protocol);
      ours.call('HELLO', protocol);
      for (const name of NAMES) {
        for (const sub of ['INFO', 'DOCS']) {
          expect(ours.call('COMMAND', sub, name), `${sub} ${name} RESP${protocol}`).toEqual(await r.call('COMMAND', sub, name));
        }
      }
    }
    await r.call('HELLO', '2');
  });

  it('fixed cases: errors, edge counts, encodings, RESP3 shapes', async () => {
    const r = redis.client;
    const groups: string[][][] = [
      [['SET', 'str', 'v'], ['SPOP', 'str', 'x'], ['SPOP', 'str', '-1'], ['SPOP', 'str', '1', '2'], ['SRANDMEMBER', 'str', 'x'],
        ['SRANDMEMBER', 'str', '-9223372036854775808'], ['SRANDMEMBER', 'nokey', '-9223372036854775807'], ['SMOVE', 'nokey', 'str', 'a'],
        ['SINTERCARD', '0', 'a'], ['SINTERCARD', '3', 'a', 'b'], ['SINTERCARD', '1', 'str', 'LIMIT', 'x'], ['SINTERCARD', '1', 'a', 'b'],
        ['SINTERCARD', '1', 'str'], ['SSCAN', 'str', 'x'], ['SSCAN', 'str', '0'], ['SSCAN', 'nokey', '0', 'COUNT', '0'], ['SADD', 'str', 'a']],
      [['SADD', 's', '5', '-1', '9223372036854775807', '-9223372036854775808', '70000', '9007199254740993'], ['SMEMBERS', 's'],
        ['OBJECT', 'ENCODING', 's'], ['SSCAN', 's', '7'], ['SSCAN', 's', '0', 'COUNT', '0'], ['SSCAN', 's', '0', 'MATCH', '*7*'],
        ['SRANDMEMBER', 's', '100'], ['SPOP', 's', '0'], ['SMISMEMBER', 's', '5', '05', 'x'], ['SADD', 's', '05'],
        ['OBJECT', 'ENCODING', 's'], ['SCARD', 's']],
      [['CONFIG', 'SET', 'set-max-intset-entries', '2'], ['SADD', 'a', '1', '2'], ['OBJECT', 'ENCODING', 'a'], ['SADD', 'a', '3'],
        ['OBJECT', 'ENCODING', 'a'], ['SADD', 'b', '2', '3'], ['SINTERSTORE', 'c', 'a', 'b'], ['OBJECT', 'ENCODING', 'c'], ['SMEMBERS', 'c'],
        ['SMOVE', 'a', 'n', '1'], ['OBJECT', 'ENCODING', 'n'], ['SUNIONSTORE', 'u', 'b', 'n'], ['OBJECT', 'ENCODING', 'u'],
        ['CONFIG', 'SET', 'set-max-intset-entries', '512']],
      [['HELLO', '3'], ['SADD', 's', '1', '2', '3'], ['SMEMBERS', 's'], ['SMEMBERS', 'nokey'], ['SPOP', 'nokey', '2'], ['SPOP', 's', '0'],
        ['SRANDMEMBER', 'nokey', '2'], ['SRANDMEMBER', 'nokey'], ['SINTER', 's', 'nokey'], ['SDIFF', 's', 's'], ['SUNION', 's'],
        ['SMISMEMBER', 's', '1', '4'], ['SSCAN', 's', '0'], ['SPOP', 's', '3'], ['SPOP', 's'], ['HELLO', '2']],
    ];
    for (const commands of groups) {
      await r.call('FLUSHALL');
      const ours = engineRespClient(createTestEngine().engine);
      for (const argv of commands) {
        const [x, y] = [ours.call(...argv), await r.call(...argv)];
        if (argv[0] !== 'HELLO') expect(x, argv.join(' ')).toEqual(y); // HELLO's reply has the client id
      }
    }
  });

  // Random sequences: a few keys, members that exercise both encodings and the int widths.
  const KEYS = ['k1', 'k2', 'k3', 'str'];
  const MEMBERS = ['0', '1', '2', '3', '7', '-1', '40000', '-3000000000', '9007199254740993', '9223372036854775807',
    '-9223372036854775808', '01', 'a', 'b', 'c', '', 'x y'];
  const key = fc.constantFrom(...KEYS);
  const member = fc.constantFrom(...MEMBERS);
  const members = fc.array(member, { minLength: 1, maxLength: 6 });
  const keys = fc.array(key, { minLength: 1, maxLength: 3 });
  const count = fc.constantFrom('0', '1', '2', '3', '5', '20', '-1', '-3', '-20', 'x');
  type Argv = string[];
  const command: fc.Arbitrary<Argv> = fc.oneof(
    { weight: 6, arbitrary: fc.tuple(key, members).map(([k, m]) => ['SADD', k, ...m]) },
    { weight: 3, arbitrary: fc.tuple(key, members).map(([k, m]) => ['SREM', k, ...m]) },
    fc.tuple(key).map(([k]) => ['SCARD', k]),
    fc.tuple(key, member).map(([k, m]) => ['SISMEMBER', k, m]),
    fc.tuple(key, members).map(([k, m]) => ['SMISMEMBER', k, ...m]),
    { weight: 2, arbitrary: fc.tuple(key).map(([k]) => ['SMEMBERS', k]) },
    { weight: 2, arbitrary: fc.tuple(key, fc.option(count, { nil: undefined })).map(([k, c]) => (c === undefined ? ['SPOP', k] : ['SPOP', k, c])) },
    { weight: 2, arbitrary: fc.tuple(key, fc.option(count, { nil: undefined })).map(([k, c]) => (c === undefined ? ['SRANDMEMBER', k] : ['SRANDMEMBER', k, c])) },
    fc.tuple(key, key, member).map(([a, b, m]) => ['SMOVE', a, b, m]),
    fc.tuple(fc.constantFrom('SINTER', 'SUNION', 'SDIFF'), keys).map(([c, ks]) => [c, ...ks]),
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom('SINTERSTORE', 'SUNIONSTORE', 'SDIFFSTORE'), key, keys).map(([c, d, ks]) => [c, d, ...ks]) },
    fc.tuple(keys, fc.constantFrom([], ['LIMIT', '1'], ['LIMIT', '0'], ['LIMIT', '-1'], ['FOO'])).map(([ks, o]) => ['SINTERCARD', String(ks.length), ...ks, ...o]),
    fc.tuple(key, fc.constantFrom([], ['COUNT', '2'], ['MATCH', '*1*'], ['COUNT', '0'])).map(([k, o]) => ['SSCAN', k, '0', ...o]),
    { weight: 2, arbitrary: fc.tuple(key).map(([k]) => ['OBJECT', 'ENCODING', k]) },
    fc.constantFrom<Argv>(['SET', 'str', 'v'], ['DEL', 'k1'], ['TYPE', 'k2'], ['EXISTS', 'k3']),
  );

  const SET_VALUED = new Set(['SMEMBERS', 'SINTER', 'SUNION', 'SDIFF']);
  const isError = (x: Reply): boolean => x instanceof ReplyError;
  const items = (x: Reply): Reply[] => (x instanceof ReplySet ? x.items : (x as Reply[]));

  /** Compares one command's replies; random ones by shape, size and membership. Returns when done. */
  async function step(ours: EngineRespClient, r: RespTestClient, argv: Argv): Promise<void> {
    const name = argv[0]!;
    const label = argv.join(' ');
    if (name === 'SPOP' || name === 'SRANDMEMBER') {
      // The states agree before the pick (checked), so both answer from the same members.
      const mine = ours.call('SMEMBERS', argv[1]!);
      const theirs = await r.call('SMEMBERS', argv[1]!);
      const before = isError(mine) ? [] : items(mine).map(String);
      expect(isError(mine) ? mine : [...before].sort(), `members before ${label}`).toEqual(isError(theirs) ? theirs : items(theirs).map(String).sort());
      const x = ours.call(...argv);
      const y = await r.call(...argv);
      if (isError(x) || isError(y) || x === null || y === null) return expect(x, label).toEqual(y);
      const xs = typeof x === 'string' ? [x] : items(x).map(String);
      const ys = typeof y === 'string' ? [y] : items(y).map(String);
      expect(typeof x === 'string' ? 'bulk' : x instanceof ReplySet ? 'set' : 'array', label).toBe(typeof y === 'string' ? 'bulk' : y instanceof ReplySet ? 'set' : 'array');
      expect(xs.length, label).toBe(ys.length);
      for (const m of xs) expect(before, label).toContain(m);
      const distinct = name === 'SPOP' || argv[2] === undefined || Number(argv[2]) >= 0;
      if (distinct) expect(new Set(xs).size, label).toBe(xs.length);
      if (name === 'SPOP' && [...xs].sort().join() !== [...ys].sort().join()) {
        // Resynchronise: Redis gives back what it popped and pops what we popped.
        await r.call('SADD', argv[1]!, ...ys);
        await r.call('SREM', argv[1]!, ...xs);
      }
      return;
    }
    let x = ours.call(...argv);
    let y = await r.call(...argv);
    if (name === 'SSCAN' && Array.isArray(x) && Array.isArray(y) && (x[0] !== '0' || y[0] !== '0')) {
      // A hashtable scan: cursors differ between implementations; compare full iterations.
      const all = async (call: (...a: string[]) => Reply | Promise<Reply>, first: Reply[]): Promise<string[]> => {
        const seen = new Set(items(first[1]!).map(String));
        let cursor = first[0] as string;
        while (cursor !== '0') {
          const next = (await call('SSCAN', argv[1]!, cursor, ...argv.slice(3))) as Reply[];
          for (const m of items(next[1]!)) seen.add(String(m));
          cursor = next[0] as string;
        }
        return [...seen].sort();
      };
      x = await all((...a) => ours.call(...a), x);
      y = await all((...a) => r.call(...a), y);
    } else if (name === 'SSCAN' && Array.isArray(x) && Array.isArray(y)) {
      const enc = ours.call('OBJECT', 'ENCODING', argv[1]!);
      if (enc !== 'intset') { x = items(x[1]!).map(String).sort(); y = items(y[1]!).map(String).sort(); }
    }
    if (SET_VALUED.has(name) && !isError(x) && !isError(y)) {
      // Intsets answer in ascending order on both sides: SMEMBERS of one is compared as is.
      const ordered = name === 'SMEMBERS' && ours.call('OBJECT', 'ENCODING', argv[1]!) === 'intset';
      if (!ordered) {
        expect(x instanceof ReplySet, label).toBe(y instanceof ReplySet);
        x = items(x).map(String).sort();
        y = items(y).map(String).sort();
      }
    }
    expect(x, label).toEqual(y);
  }

  async function runSequence(protocol: '2' | '3', maxIntset: string, commands: Argv[]): Promise<void> {
    const r = redis.client;
    await r.call('FLUSHALL');
    await r.call('HELLO', protocol);
    await r.call('CONFIG', 'SET', 'set-max-intset-entries', maxIntset);
    const ours = engineRespClient(createTestEngine({ config: { 'set-max-intset-entries': maxIntset } }).engine);
    ours.call('HELLO', protocol);
    for (const argv of commands) await step(ours, r, argv);
    for (const k of KEYS) {
      expect(ours.call('OBJECT', 'ENCODING', k), `final encoding of ${k}`).toEqual(await r.call('OBJECT', 'ENCODING', k));
    }
  }

  it('random sequences agree (RESP2, RESP3, several intset limits)', async () => {
    try {
      await fc.assert(fc.asyncProperty(
        fc.array(command, { minLength: 1, maxLength: 30 }), fc.constantFrom<'2' | '3'>('2', '2', '3'), fc.constantFrom('512', '512', '3', '0'),
        (cmds, protocol, maxIntset) => runSequence(protocol, maxIntset, cmds),
      ), { numRuns: 300 });
    } finally {
      await redis.client.call('HELLO', '2');
      await redis.client.call('CONFIG', 'SET', 'set-max-intset-entries', '512');
    }
  });

  it('big sets: SRANDMEMBER / SPOP cases by size, the algebra and encodings at scale', async () => {
    const r = redis.client;
    await r.call('FLUSHALL');
    const ours = engineRespClient(createTestEngine().engine);
    const ints = Array.from({ length: 600 }, (_, i) => String(i * 7 - 1000));
    const strs = Array.from({ length: 300 }, (_, i) => `s${i}`);
    const setup: Argv[] = [['SADD', 'i', ...ints.slice(0, 500)], ['SADD', 'j', ...ints], ['SADD', 'h', ...strs, ...ints.slice(0, 100)]];
    for (const argv of setup) expect(ours.call(...argv)).toEqual(await r.call(...argv));
    for (const argv of [['SRANDMEMBER', 'j', '10'], ['SRANDMEMBER', 'j', '300'], ['SRANDMEMBER', 'j', '599'], ['SRANDMEMBER', 'j', '-700'],
      ['SRANDMEMBER', 'i', '200'], ['SPOP', 'j', '10'], ['SPOP', 'h', '350'], ['SPOP', 'i', '499']]) {
      await step(ours, r, argv);
    }
    for (const argv of [['SINTER', 'i', 'j', 'h'], ['SUNION', 'i', 'h'], ['SDIFF', 'j', 'i'], ['SDIFF', 'h', 'i', 'j'],
      ['SINTERSTORE', 'd1', 'j', 'h'], ['SDIFFSTORE', 'd2', 'j', 'h'], ['SUNIONSTORE', 'd3', 'i', 'j'], ['SINTERCARD', '2', 'j', 'h', 'LIMIT', '5'],
      ['SSCAN', 'h', '0', 'COUNT', '50']]) {
      await step(ours, r, argv);
    }
    for (const k of ['i', 'j', 'h', 'd1', 'd2', 'd3']) expect(ours.call('OBJECT', 'ENCODING', k), k).toEqual(await r.call('OBJECT', 'ENCODING', k));
  });
});
