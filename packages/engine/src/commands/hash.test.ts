import { afterAll, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { createTestEngine, type EngineHarness } from '../testing.js';
import { ReplyError, ReplyMap, SimpleString, type Reply } from '../reply.js';
import { redisServerPath, startRedis, type RedisProcess } from '../../../../test/helpers/redis.js';
import { RespTestClient } from '../../../../test/helpers/resp-client.js';

// ------------------------------------------------------------------ helpers

const OK = new SimpleString('OK');
const err = (message: string) => new ReplyError(message);
const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
const SYNTAX = 'ERR syntax error';
const NOT_INTEGER = 'ERR value is not an integer or out of range';
const NOT_FLOAT = 'ERR value is not a valid float';
const arity = (name: string) => `ERR wrong number of arguments for '${name}' command`;

const sorted = (r: Reply): string[] => [...(r as string[])].map(String).sort();

/** [field, value] pairs of a flat array reply. */
function pairsOf(flat: Reply): [string, string][] {
  const a = flat as string[];
  const out: [string, string][] = [];
  for (let i = 0; i < a.length; i += 2) out.push([a[i]!, a[i + 1]!]);
  return out;
}

/** Runs a full HSCAN; every pair returned (with repeats) and the number of calls. */
function fullHscan(t: EngineHarness, key: string, ...options: string[]): { pairs: [string, string][]; calls: number } {
  const pairs: [string, string][] = [];
  let cursor = '0';
  let calls = 0;
  do {
    const [next, batch] = t.run('HSCAN', key, cursor, ...options) as [string, string[]];
    pairs.push(...pairsOf(batch));
    cursor = next;
    calls++;
  } while (cursor !== '0');
  return { pairs, calls };
}

// ------------------------------------------------------------------ setting and reading

describe('HSET, HSETNX, HMSET, HGET, HMGET', () => {
  it('sets fields, counting the new ones, and reads them back', () => {
    const t = createTestEngine();
    expect(t.run('HSET', 'h', 'a', '1', 'b', '2')).toBe(2);
    expect(t.run('HSET', 'h', 'a', '10', 'c', '3', 'c', '4')).toBe(1); // a exists, c new once
    expect(t.run('HGET', 'h', 'a')).toBe('10');
    expect(t.run('HGET', 'h', 'c')).toBe('4');
    expect(t.run('HGET', 'h', 'nope')).toBeNull();
    expect(t.run('HGET', 'nokey', 'a')).toBeNull();
    expect(t.run('HMGET', 'h', 'a', 'nope', 'b')).toEqual(['10', null, '2']);
    expect(t.run('HMGET', 'nokey', 'a', 'b')).toEqual([null, null]);
    expect(t.run('HMSET', 'h', 'd', '5', 'a', '1')).toEqual(OK);
    expect(t.run('HGETALL', 'h')).toEqual(['a', '1', 'b', '2', 'c', '4', 'd', '5']);
    expect(t.run('TYPE', 'h')).toEqual(new SimpleString('hash'));
  });

  it('keeps binary fields and values, including empty ones', () => {
    const t = createTestEngine();
    expect(t.run('HSET', 'h', '', '', '\x00\xff\r\n', 'v\x00')).toBe(2);
    expect(t.run('HMGET', 'h', '', '\x00\xff\r\n')).toEqual(['', 'v\x00']);
    expect(t.run('HSTRLEN', 'h', '\x00\xff\r\n')).toBe(2);
  });

  it('HSETNX sets only a missing field, creating the key', () => {
    const t = createTestEngine();
    expect(t.run('HSETNX', 'h', 'a', '1')).toBe(1);
    expect(t.run('HSETNX', 'h', 'a', '2')).toBe(0);
    expect(t.run('HGET', 'h', 'a')).toBe('1');
  });

  it('checks the pair count before the type, and the type before anything else', () => {
    const t = createTestEngine();
    t.run('SET', 's', 'x');
    expect(t.run('HSET', 'h', 'a')).toEqual(err(arity('hset')));
    expect(t.run('HSET', 's', 'a', '1', 'b')).toEqual(err(arity('hset')));
    expect(t.run('HMSET', 's', 'a', '1', 'b')).toEqual(err(arity('hmset')));
    expect(t.run('hset', 'h', 'a', '1', 'b')).toEqual(err(arity('hset')));
    expect(t.run('EXISTS', 'h')).toBe(0);
    for (const argv of [['HSET', 's', 'a', '1'], ['HMSET', 's', 'a', '1'], ['HSETNX', 's', 'a', '1'], ['HGET', 's', 'a'], ['HMGET', 's', 'a']]) {
      expect(t.run(...argv), argv.join(' ')).toEqual(err(WRONGTYPE));
    }
    expect(t.run('GET', 's')).toBe('x');
  });

  it('keeps the key\'s TTL when changed in place, and reports every change (WATCH hook)', () => {
    const t = createTestEngine();
    t.run('HSET', 'h', 'a', '1');
    t.run('PEXPIRE', 'h', '5000');
    const modified = vi.spyOn(t.engine, 'onKeyModified');
    t.run('HSET', 'h', 'b', '2');
    t.run('HINCRBY', 'h', 'a', '1');
    t.run('HINCRBYFLOAT', 'h', 'a', '1');
    t.run('HSETNX', 'h', 'c', '3');
    t.run('HDEL', 'h', 'c');
    expect(modified).toHaveBeenCalledTimes(5);
    t.run('HSETNX', 'h', 'a', '3'); // no change, no report
    t.run('HDEL', 'h', 'nope');
    t.run('HGET', 'h', 'a');
    expect(modified).toHaveBeenCalledTimes(5);
    expect(t.run('PTTL', 'h')).toBe(5000);
    t.clock.advance(5000);
    expect(t.run('HGET', 'h', 'a')).toBeNull();
    expect(t.run('HLEN', 'h')).toBe(0);
  });
});

describe('HDEL, HLEN, HSTRLEN, HEXISTS', () => {
  it('deletes fields and the key with its last field', () => {
    const t = createTestEngine();
    t.run('HSET', 'h', 'a', '1', 'b', '22', 'c', '333');
    expect(t.run('HLEN', 'h')).toBe(3);
    expect(t.run('HSTRLEN', 'h', 'c')).toBe(3);
    expect(t.run('HSTRLEN', 'h', 'nope')).toBe(0);
    expect(t.run('HSTRLEN', 'nokey', 'a')).toBe(0);
    expect(t.run('HEXISTS', 'h', 'b')).toBe(1);
    expect(t.run('HDEL', 'h', 'b', 'b', 'nope')).toBe(1);
    expect(t.run('HEXISTS', 'h', 'b')).toBe(0);
    expect(t.run('HGETALL', 'h')).toEqual(['a', '1', 'c', '333']);
    expect(t.run('HDEL', 'h', 'a', 'c', 'a')).toBe(2);
    expect(t.run('EXISTS', 'h')).toBe(0);
    expect(t.run('HDEL', 'h', 'a')).toBe(0);
    expect(t.run('HLEN', 'nokey')).toBe(0);
  });

  it('answers WRONGTYPE for other types', () => {
    const t = createTestEngine();
    t.run('SET', 's', 'x');
    for (const argv of [['HDEL', 's', 'a'], ['HLEN', 's'], ['HSTRLEN', 's', 'a'], ['HEXISTS', 's', 'a'], ['HKEYS', 's'], ['HVALS', 's'], ['HGETALL', 's']]) {
      expect(t.run(...argv), argv.join(' ')).toEqual(err(WRONGTYPE));
    }
  });
});

describe('HKEYS, HVALS, HGETALL', () => {
  it('answer in insertion order (a listpack\'s order), overwrites in place, empty for a missing key', () => {
    const t = createTestEngine();
    t.run('HSET', 'h', 'z', '1', 'a', '2', 'm', '3');
    t.run('HSET', 'h', 'z', '9');
    t.run('HDEL', 'h', 'a');
    t.run('HSET', 'h', 'a', '4');
    expect(t.run('HKEYS', 'h')).toEqual(['z', 'm', 'a']);
    expect(t.run('HVALS', 'h')).toEqual(['9', '3', '4']);
    expect(t.run('HGETALL', 'h')).toEqual(['z', '9', 'm', '3', 'a', '4']);
    expect(t.run('HKEYS', 'nokey')).toEqual([]);
    expect(t.run('HVALS', 'nokey')).toEqual([]);
    expect(t.run('HGETALL', 'nokey')).toEqual([]);
  });

  it('keep the order past the small-array form (more than 16 fields)', () => {
    const t = createTestEngine();
    const fields = Array.from({ length: 40 }, (_, i) => `f${(i * 7) % 40}`);
    for (const f of fields) t.run('HSET', 'h', f, f.toUpperCase());
    t.run('HDEL', 'h', 'f7', 'f14');
    const expected = fields.filter((f) => f !== 'f7' && f !== 'f14');
    expect(t.run('HKEYS', 'h')).toEqual(expected);
    expect(t.run('HVALS', 'h')).toEqual(expected.map((f) => f.toUpperCase()));
    expect(t.run('OBJECT', 'ENCODING', 'h')).toBe('listpack');
  });

  it('HGETALL is a map in RESP3', () => {
    const t = createTestEngine();
    t.run('HSET', 'h', 'a', '1', 'b', '2');
    t.run('HELLO', '3');
    expect(t.run('HGETALL', 'h')).toEqual(new ReplyMap([['a', '1'], ['b', '2']]));
    expect(t.run('HGETALL', 'nokey')).toEqual(new ReplyMap([]));
  });
});

// ------------------------------------------------------------------ encodings

describe('encodings', () => {
  it('listpack until hash-max-listpack-entries fields, then hashtable, never back', () => {
    const t = createTestEngine();
    for (let i = 0; i < 512; i++) t.run('HSET', 'h', `f${i}`, 'v');
    expect(t.run('OBJECT', 'ENCODING', 'h')).toBe('listpack');
    t.run('HSET', 'h', 'f0', 'again'); // not a new field
    expect(t.run('OBJECT', 'ENCODING', 'h')).toBe('listpack');
    t.run('HSET', 'h', 'one-more', 'v');
    expect(t.run('OBJECT', 'ENCODING', 'h')).toBe('hashtable');
    for (let i = 0; i < 500; i++) t.run('HDEL', 'h', `f${i}`);
    expect(t.run('OBJECT', 'ENCODING', 'h')).toBe('hashtable');
    expect(t.run('HLEN', 'h')).toBe(13);
  });

  it('a field or value longer than hash-max-listpack-value makes a hashtable, when it is stored', () => {
    const t = createTestEngine();
    const v64 = 'x'.repeat(64);
    const v65 = 'x'.repeat(65);
    const encodingAfter = (...argv: string[]): Reply => {
      t.run('DEL', 'h');
      t.run('HSET', 'h', 'a', '1');
      t.run(...argv);
      return t.run('OBJECT', 'ENCODING', 'h');
    };
    expect(encodingAfter('HSET', 'h', 'b', v64)).toBe('listpack');
    expect(encodingAfter('HSET', 'h', v64, '1')).toBe('listpack');
    expect(encodingAfter('HSET', 'h', 'b', v65)).toBe('hashtable');
    expect(encodingAfter('HSET', 'h', v65, '1')).toBe('hashtable');
    expect(encodingAfter('HMSET', 'h', 'a', v65)).toBe('hashtable');
    expect(encodingAfter('HSETNX', 'h', 'a', v65)).toBe('listpack'); // not stored
    expect(encodingAfter('HSETNX', 'h', 'b', v65)).toBe('hashtable');
    expect(encodingAfter('HINCRBY', 'h', v65, '1')).toBe('hashtable');
    expect(encodingAfter('HINCRBYFLOAT', 'h', 'b', '1e64')).toBe('listpack'); // 64 characters
    expect(encodingAfter('HINCRBYFLOAT', 'h', 'b', '1e65')).toBe('hashtable');
    expect(encodingAfter('HGET', 'h', v65)).toBe('listpack');
    expect(encodingAfter('HDEL', 'h', v65)).toBe('listpack');
  });

  it('follows CONFIG SET of both limits for later changes', () => {
    const t = createTestEngine();
    t.run('HSET', 'before', 'a', '1', 'b', '2', 'c', '3');
    expect(t.run('CONFIG', 'SET', 'hash-max-listpack-entries', '2', 'hash-max-listpack-value', '3')).toEqual(OK);
    expect(t.run('OBJECT', 'ENCODING', 'before')).toBe('listpack'); // unchanged until written
    t.run('HSET', 'h', 'a', '1', 'b', '2');
    expect(t.run('OBJECT', 'ENCODING', 'h')).toBe('listpack');
    t.run('HSET', 'h', 'c', '3');
    expect(t.run('OBJECT', 'ENCODING', 'h')).toBe('hashtable');
    t.run('HSET', 'v', 'abc', 'abcd');
    expect(t.run('OBJECT', 'ENCODING', 'v')).toBe('hashtable');
    t.run('CONFIG', 'SET', 'hash-max-ziplist-entries', '0'); // the old name
    t.run('HSET', 'z', 'a', '1');
    expect(t.run('OBJECT', 'ENCODING', 'z')).toBe('hashtable');
  });

  it('COPY gives an independent hash with the same fields, order and encoding', () => {
    const t = createTestEngine();
    t.run('HSET', 'h', 'b', '1', 'a', '2');
    expect(t.run('COPY', 'h', 'h2')).toBe(1);
    t.run('HSET', 'h2', 'c', '3');
    t.run('HDEL', 'h', 'b');
    expect(t.run('HGETALL', 'h')).toEqual(['a', '2']);
    expect(t.run('HGETALL', 'h2')).toEqual(['b', '1', 'a', '2', 'c', '3']);
    t.run('HSET', 'big', 'x', 'y'.repeat(100));
    t.run('COPY', 'big', 'big2');
    expect(t.run('OBJECT', 'ENCODING', 'big2')).toBe('hashtable');
  });
});

// ------------------------------------------------------------------ counters

describe('HINCRBY', () => {
  it('adds to an int64 field, creating key and field', () => {
    const t = createTestEngine();
    expect(t.run('HINCRBY', 'h', 'n', '5')).toBe(5);
    expect(t.run('HINCRBY', 'h', 'n', '-7')).toBe(-2);
    expect(t.run('HGET', 'h', 'n')).toBe('-2');
    t.run('HSET', 'h', 'big', '9223372036854775806');
    expect(t.run('HINCRBY', 'h', 'big', '1')).toBe(9223372036854775807n);
    expect(t.run('HINCRBY', 'h', 'big', '1')).toEqual(err('ERR increment or decrement would overflow'));
    expect(t.run('HINCRBY', 'h', 'n', '-9223372036854775808')).toEqual(err('ERR increment or decrement would overflow'));
    expect(t.run('HINCRBY', 'h', 'zero', '-9223372036854775808')).toBe(-9223372036854775808n);
  });

  it('refuses values that are not canonical integers, and checks the increment before the type', () => {
    const t = createTestEngine();
    t.run('HSET', 'h', 's', 'abc', 'f', '1.5', 'sp', ' 1', 'e', '', 'z', '01', 'p', '+1');
    for (const f of ['s', 'f', 'sp', 'e', 'z', 'p']) expect(t.run('HINCRBY', 'h', f, '1'), f).toEqual(err('ERR hash value is not an integer'));
    t.run('SET', 'str', 'x');
    expect(t.run('HINCRBY', 'str', 'a', 'x')).toEqual(err(NOT_INTEGER));
    expect(t.run('HINCRBY', 'str', 'a', '1')).toEqual(err(WRONGTYPE));
    expect(t.run('HINCRBY', 'h', 's', '1.0')).toEqual(err(NOT_INTEGER));
    expect(t.run('HINCRBY', 'h', 's', '9223372036854775808')).toEqual(err(NOT_INTEGER));
  });
});

describe('HINCRBYFLOAT', () => {
  it('computes in long double and prints like INCRBYFLOAT', () => {
    const t = createTestEngine();
    expect(t.run('HINCRBYFLOAT', 'h', 'f', '0.1')).toBe('0.1');
    expect(t.run('HINCRBYFLOAT', 'h', 'f', '0.2')).toBe('0.3');
    expect(t.run('HINCRBYFLOAT', 'h', 'f', '-0.3')).toBe('0');
    expect(t.run('HINCRBYFLOAT', 'h', 'g', '1.0e1')).toBe('10');
    t.run('HSET', 'h', 'big', '9223372036854775807');
    expect(t.run('HINCRBYFLOAT', 'h', 'big', '1')).toBe('9223372036854775808');
    expect(t.run('HINCRBYFLOAT', 'h', 'x', '0x10')).toBe('16');
    expect(t.run('HINCRBYFLOAT', 'h', 'x', '.5')).toBe('16.5');
    expect(t.run('HINCRBYFLOAT', 'h', 'x', '+1')).toBe('17.5');
  });

  it('answers Redis\'s errors in Redis\'s order', () => {
    const t = createTestEngine();
    t.run('SET', 'str', 'x');
    t.run('HSET', 'h', 's', 'abc', 'i', 'inf', 'sp', ' 1', 'e', '');
    expect(t.run('HINCRBYFLOAT', 'str', 'f', 'abc')).toEqual(err(NOT_FLOAT));
    expect(t.run('HINCRBYFLOAT', 'str', 'f', 'inf')).toEqual(err('ERR value is NaN or Infinity'));
    expect(t.run('HINCRBYFLOAT', 'str', 'f', '-inf')).toEqual(err('ERR value is NaN or Infinity'));
    expect(t.run('HINCRBYFLOAT', 'str', 'f', '1')).toEqual(err(WRONGTYPE));
    for (const bad of ['nan', '1e5000', '1e-5000', ' 1', '1 ', '']) expect(t.run('HINCRBYFLOAT', 'h', 'f', bad), bad).toEqual(err(NOT_FLOAT));
    for (const f of ['s', 'sp', 'e']) expect(t.run('HINCRBYFLOAT', 'h', f, '1'), f).toEqual(err('ERR hash value is not a float'));
    expect(t.run('HINCRBYFLOAT', 'h', 'i', '1')).toEqual(err('ERR increment would produce NaN or Infinity'));
    expect(typeof t.run('HINCRBYFLOAT', 'h', 'm', '1e4932')).toBe('string');
    expect(t.run('HINCRBYFLOAT', 'h', 'm', '1e4932')).toEqual(err('ERR increment would produce NaN or Infinity'));
  });
});

// ------------------------------------------------------------------ HRANDFIELD

describe('HRANDFIELD', () => {
  const setup = (n: number) => {
    const t = createTestEngine();
    const fields = Array.from({ length: n }, (_, i) => `f${i}`);
    t.run('HSET', 'h', ...fields.flatMap((f) => [f, f.toUpperCase()]));
    return { t, fields };
  };

  it('without a count: one field, nil for a missing key', () => {
    const { t, fields } = setup(5);
    for (let i = 0; i < 50; i++) expect(fields).toContain(t.run('HRANDFIELD', 'h'));
    expect(t.run('HRANDFIELD', 'nokey')).toBeNull();
    t.run('SET', 's', 'x');
    expect(t.run('HRANDFIELD', 's')).toEqual(err(WRONGTYPE));
  });

  it('a count at least the size answers the whole hash in order; a smaller one distinct fields', () => {
    for (const n of [5, 40, 600]) {
      const { t, fields } = setup(n);
      expect(t.run('HRANDFIELD', 'h', String(n))).toEqual(fields);
      expect(t.run('HRANDFIELD', 'h', '9223372036854775807')).toEqual(fields);
      for (const count of [1, 2, Math.floor(n / 3), Math.floor(n / 2), n - 1]) {
        const r = t.run('HRANDFIELD', 'h', String(count)) as string[];
        expect(r).toHaveLength(count);
        expect(new Set(r).size).toBe(count);
        for (const f of r) expect(fields).toContain(f);
      }
    }
  });

  it('every field turns up, and each about as often (uniform picks)', () => {
    for (const n of [5, 100]) {
      const { t, fields } = setup(n);
      if (n === 100) t.run('HSET', 'h', 'long', 'x'.repeat(100)); // hashtable: Map sampling
      const counts = new Map<string, number>();
      const size = t.run('HLEN', 'h') as number;
      const rounds = 200 * size;
      for (const f of t.run('HRANDFIELD', 'h', String(-rounds)) as string[]) counts.set(f, (counts.get(f) ?? 0) + 1);
      for (const f of fields) {
        const c = counts.get(f) ?? 0;
        expect(c, f).toBeGreaterThan(100); // expected 200: 100 is 7 standard deviations away
        expect(c, f).toBeLessThan(300);
      }
      // Distinct picks of a few from a big hash also reach every field.
      const seen = new Set<string>();
      for (let i = 0; i < 400; i++) for (const f of t.run('HRANDFIELD', 'h', '3') as string[]) seen.add(f);
      for (const f of fields) expect(seen.has(f), f).toBe(true);
    }
  });

  it('sampling stays right while the hash changes', () => {
    const { t } = setup(100);
    t.run('HSET', 'h', 'long', 'x'.repeat(100));
    t.run('HRANDFIELD', 'h', '5'); // builds the sampler
    t.run('HSET', 'h', 'new1', '1', 'new2', '2'); // appended to it
    t.run('HDEL', 'h', ...Array.from({ length: 98 }, (_, i) => `f${i}`)); // forces a rebuild
    const left = ['f98', 'f99', 'long', 'new1', 'new2'];
    for (let i = 0; i < 20; i++) {
      for (const f of t.run('HRANDFIELD', 'h', '-5') as string[]) expect(left).toContain(f);
      const distinct = t.run('HRANDFIELD', 'h', '1') as string[];
      expect(left).toContain(distinct[0]);
    }
    expect(sorted(t.run('HRANDFIELD', 'h', '-200') as string[]).filter((f, i, a) => a.indexOf(f) === i)).toEqual(left.sort());
  });

  it('WITHVALUES: flat in RESP2, [field, value] pairs in RESP3', () => {
    const { t } = setup(3);
    const flat = t.run('HRANDFIELD', 'h', '-4', 'WITHVALUES') as string[];
    expect(flat).toHaveLength(8);
    for (const [f, v] of pairsOf(flat)) expect(v).toBe(f.toUpperCase());
    expect(t.run('HRANDFIELD', 'h', '3', 'withvalues')).toEqual(['f0', 'F0', 'f1', 'F1', 'f2', 'F2']);
    t.run('HELLO', '3');
    expect(t.run('HRANDFIELD', 'h', '5', 'WITHVALUES')).toEqual([['f0', 'F0'], ['f1', 'F1'], ['f2', 'F2']]);
    const pairs = t.run('HRANDFIELD', 'h', '-2', 'WITHVALUES') as [string, string][];
    expect(pairs).toHaveLength(2);
    for (const [f, v] of pairs) expect(v).toBe(f.toUpperCase());
    expect(t.run('HRANDFIELD', 'h', '0', 'WITHVALUES')).toEqual([]);
    expect(t.run('HRANDFIELD', 'h', '2')).toHaveLength(2);
  });

  it('checks the count, the option and the range before the key', () => {
    const { t } = setup(3);
    t.run('SET', 's', 'x');
    expect(t.run('HRANDFIELD', 's', 'x')).toEqual(err(NOT_INTEGER));
    expect(t.run('HRANDFIELD', 'h', 'x', 'foo')).toEqual(err(NOT_INTEGER));
    expect(t.run('HRANDFIELD', 's', '1', 'foo')).toEqual(err(SYNTAX));
    expect(t.run('HRANDFIELD', 'h', '1', 'WITHVALUES', 'x')).toEqual(err(SYNTAX));
    const range = 'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807';
    expect(t.run('HRANDFIELD', 'nokey', '-9223372036854775808')).toEqual(err(range));
    expect(t.run('HRANDFIELD', 's', '-4611686018427387904', 'WITHVALUES')).toEqual(err('ERR value is out of range'));
    expect(t.run('HRANDFIELD', 's', '4611686018427387904', 'WITHVALUES')).toEqual(err('ERR value is out of range'));
    expect(t.run('HRANDFIELD', 's', '0')).toEqual(err(WRONGTYPE));
    expect(t.run('HRANDFIELD', 'h', '4611686018427387903', 'WITHVALUES')).toHaveLength(6);
    expect(t.run('HRANDFIELD', 'nokey', '-4611686018427387903', 'WITHVALUES')).toEqual([]);
    expect(t.run('HRANDFIELD', 'nokey', '3')).toEqual([]);
  });

  it('refuses a negative count too large for one reply (nodis only: Redis runs out of memory)', () => {
    const { t } = setup(3);
    expect(t.run('HRANDFIELD', 'h', '-9223372036854775807')).toEqual(err('ERR value is out of range, a negative count must be at least -16777216'));
    expect(t.run('HRANDFIELD', 'h', '-16777217', 'WITHVALUES')).toEqual(err('ERR value is out of range, a negative count must be at least -16777216'));
    expect(t.run('HRANDFIELD', 'nokey', '-9223372036854775807')).toEqual([]);
  });
});

// ------------------------------------------------------------------ HSCAN

describe('HSCAN', () => {
  it('answers a listpack whole with cursor 0, whatever the cursor and COUNT; MATCH filters fields', () => {
    const t = createTestEngine();
    t.run('HSET', 'h', 'a1', '1', 'b1', '2', 'a2', '3');
    const all = ['a1', '1', 'b1', '2', 'a2', '3'];
    expect(t.run('HSCAN', 'h', '0')).toEqual(['0', all]);
    expect(t.run('HSCAN', 'h', '5', 'COUNT', '1')).toEqual(['0', all]);
    expect(t.run('HSCAN', 'h', '18446744073709551615')).toEqual(['0', all]);
    expect(t.run('HSCAN', 'h', '-1')).toEqual(['0', all]);
    expect(t.run('HSCAN', 'h', '')).toEqual(['0', all]);
    expect(t.run('HSCAN', 'h', '0', 'MATCH', 'a*')).toEqual(['0', ['a1', '1', 'a2', '3']]);
    expect(t.run('HSCAN', 'h', '0', 'match', '1')).toEqual(['0', []]); // values are not matched
    expect(t.run('HSCAN', 'h', '0', 'COUNT', '1', 'MATCH', 'b*', 'COUNT', '2')).toEqual(['0', ['b1', '2']]);
  });

  it('checks the cursor, then the key (a missing one ignores the options), then the options', () => {
    const t = createTestEngine();
    t.run('SET', 's', 'x');
    t.run('HSET', 'h', 'a', '1');
    expect(t.run('HSCAN', 's', 'x')).toEqual(err('ERR invalid cursor'));
    expect(t.run('HSCAN', 'h', '18446744073709551616')).toEqual(err('ERR invalid cursor'));
    expect(t.run('HSCAN', 's', '0', 'foo')).toEqual(err(WRONGTYPE));
    expect(t.run('HSCAN', 'nokey', '0', 'foo')).toEqual(['0', []]);
    expect(t.run('HSCAN', 'nokey', '7')).toEqual(['0', []]);
    expect(t.run('HSCAN', 'h', '0', 'COUNT', '0')).toEqual(err(SYNTAX));
    expect(t.run('HSCAN', 'h', '0', 'COUNT', '-1')).toEqual(err(SYNTAX));
    expect(t.run('HSCAN', 'h', '0', 'COUNT', 'x')).toEqual(err(NOT_INTEGER));
    expect(t.run('HSCAN', 'h', '0', 'MATCH')).toEqual(err(SYNTAX));
    expect(t.run('HSCAN', 'h', '0', 'NOVALUES')).toEqual(err(SYNTAX)); // a 7.4 option
    expect(t.run('HSCAN', 'h', '0', 'TYPE', 'string')).toEqual(err(SYNTAX));
  });

  it('walks a hashtable in COUNT-sized batches, ending with cursor 0', () => {
    const t = createTestEngine();
    const fields = Array.from({ length: 1000 }, (_, i) => `f${i}`);
    t.run('HSET', 'h', ...fields.flatMap((f) => [f, `v${f}`]));
    expect(t.run('OBJECT', 'ENCODING', 'h')).toBe('hashtable');
    const { pairs, calls } = fullHscan(t, 'h', 'COUNT', '100');
    expect(calls).toBe(10);
    expect(pairs.map(([f]) => f)).toEqual(fields);
    for (const [f, v] of pairs) expect(v).toBe(`v${f}`);
    const first = t.run('HSCAN', 'h', '0') as [string, string[]];
    expect(first[1]).toHaveLength(20); // COUNT 10 by default
    const matched = fullHscan(t, 'h', 'MATCH', 'f99*', 'COUNT', '300');
    expect(matched.pairs.map(([f]) => f).sort()).toEqual(['f99', 'f990', 'f991', 'f992', 'f993', 'f994', 'f995', 'f996', 'f997', 'f998', 'f999']);
  });

  it('returns every field present for the whole scan while the hash changes', () => {
    const t = createTestEngine();
    const n = 600;
    t.run('HSET', 'h', ...Array.from({ length: n }, (_, i) => [`f${i}`, 'v']).flat());
    const removed = new Set<string>();
    const seen = new Set<string>();
    let cursor = '0';
    let round = 0;
    do {
      const [next, batch] = t.run('HSCAN', 'h', cursor, 'COUNT', '25') as [string, string[]];
      for (const [f] of pairsOf(batch)) seen.add(f);
      cursor = next;
      // Between calls: delete a few (some not yet returned), add a few.
      const victim = `f${(round * 37) % n}`;
      t.run('HDEL', 'h', victim);
      removed.add(victim);
      t.run('HSET', 'h', `new${round}`, 'v');
      round++;
    } while (cursor !== '0');
    for (let i = 0; i < n; i++) if (!removed.has(`f${i}`)) expect(seen.has(`f${i}`), `f${i}`).toBe(true);
  });
});

// ------------------------------------------------------------------ differential against real Redis

const HASH_COMMANDS = ['hset', 'hsetnx', 'hget', 'hmget', 'hmset', 'hdel', 'hlen', 'hstrlen', 'hexists', 'hkeys', 'hvals', 'hgetall', 'hincrby', 'hincrbyfloat', 'hrandfield', 'hscan'];

let redis: RedisProcess | undefined;
// An output buffer limit, so that a command that would build a huge reply cannot take the machine's memory.
if (redisServerPath) redis = await startRedis(['--client-output-buffer-limit', 'normal 64mb 64mb 0']);
else console.warn('NOTE: redis-server is not installed: the hash differential tests are SKIPPED');
afterAll(async () => { await redis?.stop(); });

const KEYS = ['h1', 'h2', 'str'];
const FIELDS = ['a', 'b', 'c', 'd', 'e', 'n', '', '\x00\xff', 'f'.repeat(70)];
const VALUES = ['0', '1', '-5', '10', '007', '9223372036854775807', '-9223372036854775808', 'abc', '1.5', '-2.5e3', '', ' 1', 'inf', 'x'.repeat(70), '1e63'];
const INCREMENTS = ['1', '-1', '0', '100', '9223372036854775807', '-9223372036854775808', 'x', '1.5', ''];
const FLOAT_INCREMENTS = ['1', '0.1', '-1.5', '1e10', '3.0e-5', 'abc', 'inf', '-inf', 'nan', '1e4932', '0x10'];

const key = fc.constantFrom(...KEYS);
const field = fc.constantFrom(...FIELDS);
const value = fc.constantFrom(...VALUES);
const fieldValues = fc.array(fc.tuple(field, value), { minLength: 1, maxLength: 4 }).map((p) => p.flat());

type Argv = string[];
const command: fc.Arbitrary<Argv> = fc.oneof(
  { arbitrary: fc.tuple(key, fieldValues).map(([k, fv]) => ['HSET', k, ...fv]), weight: 6 },
  fc.tuple(key, fieldValues).map(([k, fv]) => ['HMSET', k, ...fv]),
  fc.tuple(key, field, value).map(([k, f, v]) => ['HSETNX', k, f, v]),
  fc.tuple(key, field).map(([k, f]) => ['HGET', k, f]),
  fc.tuple(key, fc.array(field, { minLength: 1, maxLength: 3 })).map(([k, fs]) => ['HMGET', k, ...fs]),
  { arbitrary: fc.tuple(key, fc.array(field, { minLength: 1, maxLength: 3 })).map(([k, fs]) => ['HDEL', k, ...fs]), weight: 2 },
  fc.tuple(fc.constantFrom('HLEN', 'HKEYS', 'HVALS', 'HGETALL', 'TYPE', 'EXISTS', 'OBJECT ENCODING'), key).map(([c, k]) => [...c.split(' '), k]),
  fc.tuple(fc.constantFrom('HSTRLEN', 'HEXISTS'), key, field).map(([c, k, f]) => [c, k, f]),
  fc.tuple(key, field, fc.constantFrom(...INCREMENTS)).map(([k, f, n]) => ['HINCRBY', k, f, n]),
  fc.tuple(key, field, fc.constantFrom(...FLOAT_INCREMENTS)).map(([k, f, n]) => ['HINCRBYFLOAT', k, f, n]),
  fc.tuple(key, fc.constantFrom([], ['0'], ['1'], ['3'], ['100'], ['-3'], ['-1', 'WITHVALUES'], ['2', 'WITHVALUES'], ['9', 'withvalues'], ['x'], ['1', 'foo'],
    ['-9223372036854775808'], ['4611686018427387904', 'WITHVALUES'])).map(([k, o]) => ['HRANDFIELD', k, ...o]),
  fc.tuple(key, fc.constantFrom(['0', 'COUNT', '1000'], ['0', 'MATCH', '[ab]*', 'COUNT', '1000'], ['0', 'MATCH', '*', 'COUNT', '1000'], ['5'], ['x'], ['0', 'COUNT', '0'],
    ['0', 'NOVALUES'], ['0', 'MATCH'], ['0', 'COUNT', 'x'])).map(([k, o]) => ['HSCAN', k, ...o]),
  fc.tuple(key, value).map(([k, v]) => ['SET', k, v]),
  fc.tuple(key).map(([k]) => ['DEL', k]),
  fc.constantFrom(['HELLO', '3'], ['HELLO', '2'], ['HSET', 'h1'], ['HGET', 'h1'], ['HSCAN', 'h1'], ['HINCRBY', 'h1', 'a']),
);

const WRITES = new Set(['HSET', 'HMSET', 'HSETNX', 'HDEL', 'HINCRBY', 'HINCRBYFLOAT']);

/** Commands whose reply order depends on the encoding: (command, key) → sorted when a hashtable. */
const ORDERED = new Set(['HKEYS', 'HVALS', 'HGETALL', 'HSCAN']);

/** A reply made comparable: pairs of hashtable replies sorted; HELLO's server details dropped. */
function normalise(argv: Argv, reply: Reply, hashtable: boolean): unknown {
  const name = argv[0]!.toUpperCase();
  if (name === 'HELLO') return reply instanceof ReplyError ? reply : 'hello';
  if (!hashtable || reply instanceof ReplyError || !ORDERED.has(name)) return reply;
  if (name === 'HKEYS' || name === 'HVALS') return sorted(reply);
  if (name === 'HGETALL') {
    const pairs = reply instanceof ReplyMap ? reply.entries as [string, string][] : pairsOf(reply);
    return [reply instanceof ReplyMap ? 'map' : 'flat', pairs.map((p) => p.join('=')).sort()];
  }
  // HSCAN of a hashtable: compared whole only from cursor 0 with a COUNT that covers it.
  const [cursor, flat] = reply as [string, string[]];
  if (argv[2] !== '0' || !argv.includes('COUNT')) return ['some cursor', flat.length % 2];
  return [cursor, pairsOf(flat).map((p) => p.join('=')).sort()];
}

/** HRANDFIELD: same error, or same shape and size, with fields and values that are in the hash. */
function checkRandom(argv: Argv, mine: Reply, theirs: Reply, hash: Map<string, string>, protocol: number): void {
  if (mine instanceof ReplyError || theirs instanceof ReplyError || mine === null || theirs === null) {
    expect(mine, argv.join(' ')).toEqual(theirs);
    return;
  }
  if (typeof mine === 'string') {
    expect(typeof theirs).toBe('string');
    expect(hash.has(mine)).toBe(true);
    return;
  }
  const a = mine as Reply[];
  expect(a.length, argv.join(' ')).toBe((theirs as Reply[]).length);
  const withValues = argv.length === 4;
  const pairs: [string, string][] = !withValues ? a.map((f) => [f as string, hash.get(f as string)!])
    : protocol === 3 ? a as [string, string][] : pairsOf(a);
  if (withValues && protocol === 3) for (const p of theirs as Reply[]) expect(p).toHaveLength(2);
  for (const [f, v] of pairs) expect(hash.get(f), `${argv.join(' ')}: ${f}`).toBe(v);
  if (Number(argv[2]) > 0) expect(new Set(pairs.map(([f]) => f)).size).toBe(pairs.length);
}

describe.skipIf(!redis)('differential against real Redis', () => {
  it('COMMAND INFO and DOCS of every hash command, RESP2 and RESP3', async () => {
    const client = await RespTestClient.connect(redis!.port);
    try {
      const commands = HASH_COMMANDS.flatMap((n) => [['COMMAND', 'INFO', n], ['COMMAND', 'DOCS', n]]);
      for (const protocol of ['2', '3']) {
        const t = createTestEngine();
        t.run('HELLO', protocol);
        const theirs = await client.pipeline([['HELLO', protocol], ...commands]);
        commands.forEach((argv, i) => expect(t.run(...argv), argv.join(' ')).toEqual(theirs[i + 1]));
      }
    } finally {
      client.close();
    }
  });

  it('agrees with redis-server on random hash command sequences', async () => {
    const client = await RespTestClient.connect(redis!.port);
    const limits = fc.constantFrom(['512', '64'], ['4', '64'], ['1', '3'], ['0', '64'], ['2', '1']);
    try {
      await fc.assert(fc.asyncProperty(limits, fc.array(command, { minLength: 1, maxLength: 30 }), async ([entries, valueLength], cmds) => {
        const config = { 'hash-max-listpack-entries': entries, 'hash-max-listpack-value': valueLength };
        const t = createTestEngine({ config });
        // Before every command that reads a whole hash, and after every write, both are asked
        // for the key's encoding (compared too).
        const plan: { argv: Argv; probe?: boolean }[] = [];
        for (const argv of cmds) {
          const name = argv[0]!.toUpperCase();
          if (ORDERED.has(name) && argv.length > 1) plan.push({ argv: ['OBJECT', 'ENCODING', argv[1]!], probe: true });
          plan.push({ argv });
          if (WRITES.has(name) && argv.length > 1) plan.push({ argv: ['OBJECT', 'ENCODING', argv[1]!] });
        }
        const theirs = await client.pipeline([
          ['HELLO', '2'], ['FLUSHALL'],
          ['CONFIG', 'SET', 'hash-max-listpack-entries', entries, 'hash-max-listpack-value', valueLength],
          ...plan.map((p) => p.argv),
        ]);
        let protocol = 2;
        let hashtable = false;
        plan.forEach(({ argv, probe }, i) => {
          const mine = t.run(...argv);
          const reply = theirs[i + 3]!;
          const name = argv[0]!.toUpperCase();
          if (name === 'HRANDFIELD') {
            const all = t.run('HGETALL', argv[1]!);
            const hash = new Map(all instanceof ReplyMap ? all.entries as [string, string][] : pairsOf(all));
            checkRandom(argv, mine, reply, hash, protocol);
            return;
          }
          expect({ argv, reply: normalise(argv, mine, hashtable) }).toEqual({ argv, reply: normalise(argv, reply, hashtable) });
          if (probe) hashtable = reply === 'hashtable';
          if (name === 'HELLO' && !(reply instanceof ReplyError)) protocol = Number(argv[1]);
        });
      }), { numRuns: 300 });
    } finally {
      client.close();
    }
  });
});
