import { afterAll, describe, expect, it } from 'vitest';
import { createTestEngine, seededRandom, type EngineHarness } from '../testing.js';
import { ReplyError, ReplyMap, SimpleString, type Reply } from '../reply.js';
import type { CollectionValue } from '../keyspace.js';
import { RawString, stringEncoding } from '../types/string.js';
import { stringCommands } from './string.js';
import { redisServerPath, startRedis, type RedisProcess } from '../../../../test/helpers/redis.js';
import { RespTestClient, canon } from '../../../../test/helpers/resp-client.js';

// ------------------------------------------------------------------ helpers

const OK = new SimpleString('OK');
const err = (message: string) => new ReplyError(message);
const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
const SYNTAX = 'ERR syntax error';
const NOT_INTEGER = 'ERR value is not an integer or out of range';
const NOT_FLOAT = 'ERR value is not a valid float';
const TOO_LONG = 'ERR string exceeds maximum allowed size (proto-max-bulk-len)';

/** A stand-in for a list until the list family exists: only its type matters here. */
const LIST: CollectionValue = { type: 'list', encoding: () => 'quicklist' };

function setup(options: Parameters<typeof createTestEngine>[0] = {}): EngineHarness & { db: EngineHarness['engine']['dbs'][0] } {
  const t = createTestEngine(options);
  return Object.assign(t, { db: t.engine.dbs[0]! });
}

/** Every byte value, CR, LF and NUL included, as a latin1 string. */
const ALL_BYTES = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('');

// ------------------------------------------------------------------ GET / SET

describe('GET and SET', () => {
  it('stores and returns binary-safe values', () => {
    const t = setup();
    expect(t.run('GET', 'k')).toBeNull();
    expect(t.run('SET', 'k', ALL_BYTES)).toEqual(OK);
    expect(t.run('GET', 'k')).toBe(ALL_BYTES);
    expect(t.run('SET', 'a\r\nb\0', 'x\r\n\0y')).toEqual(OK);
    expect(t.run('GET', 'a\r\nb\0')).toBe('x\r\n\0y');
    expect(t.run('SET', 'empty', '')).toEqual(OK);
    expect(t.run('GET', 'empty')).toBe('');
  });

  it('GET of a RawString hands the writer its bytes, not a string copy', () => {
    const t = setup();
    t.run('SETRANGE', 'r', '1', 'bc');
    const seen: unknown[] = [];
    const bulk = t.writer.bulk.bind(t.writer);
    t.writer.bulk = (b) => { seen.push(b); bulk(b); };
    expect(t.run('GET', 'r')).toBe('\0bc');
    expect(seen[0]).toBeInstanceOf(Uint8Array);
  });

  it('GET answers WRONGTYPE on another type; SET overwrites any type', () => {
    const t = setup();
    t.db.set('l', LIST);
    expect(t.run('GET', 'l')).toEqual(err(WRONGTYPE));
    expect(t.run('SET', 'l', 'v')).toEqual(OK);
    expect(t.run('GET', 'l')).toBe('v');
  });

  it('removes the TTL unless KEEPTTL', () => {
    const t = setup();
    t.run('SET', 'k', 'v', 'EX', '100');
    expect(t.db.getExpire('k')).toBe(t.clock.now + 100_000);
    t.run('SET', 'k', 'v2', 'KEEPTTL');
    expect(t.db.getExpire('k')).toBe(t.clock.now + 100_000);
    t.run('SET', 'k', 'v3');
    expect(t.db.getExpire('k')).toBeUndefined();
  });

  it('EX, PX, EXAT, PXAT set the absolute expiry from the cached time', () => {
    const t = setup();
    const now = t.clock.now;
    t.run('SET', 'a', 'v', 'EX', '10');
    t.run('SET', 'b', 'v', 'px', '1500');
    t.run('SET', 'c', 'v', 'EXAT', String(now / 1000 + 20));
    t.run('SET', 'd', 'v', 'PXAT', String(now + 30));
    expect([t.db.getExpire('a'), t.db.getExpire('b'), t.db.getExpire('c'), t.db.getExpire('d')])
      .toEqual([now + 10_000, now + 1500, now + 20_000, now + 30]);
    t.clock.advance(1499);
    expect(t.run('GET', 'b')).toBe('v');
    t.clock.advance(1);
    expect(t.run('GET', 'b')).toBeNull();
    expect(t.run('GET', 'd')).toBeNull();
    expect(t.run('GET', 'a')).toBe('v');
  });

  it('a repeated expiration option is allowed and the last one wins', () => {
    const t = setup();
    expect(t.run('SET', 'k', 'v', 'EX', '10', 'EX', '20')).toEqual(OK);
    expect(t.db.getExpire('k')).toBe(t.clock.now + 20_000);
    expect(t.run('SET', 'k', 'v', 'NX', 'NX')).toBeNull();
    expect(t.run('SET', 'k', 'v', 'XX', 'XX')).toEqual(OK);
  });

  it('EXAT/PXAT in the past store the key, already expired', () => {
    const t = setup();
    expect(t.run('SET', 'k', 'v', 'PXAT', '1')).toEqual(OK);
    expect(t.db.size).toBe(1); // kept until looked up, as Redis does
    expect(t.run('GET', 'k')).toBeNull();
    expect(t.db.size).toBe(0);
    expect(t.engine.stats.expiredKeys).toBe(1);
    expect(t.run('SET', 'k', 'v', 'EXAT', '1', 'GET')).toBeNull();
  });

  it('NX and XX', () => {
    const t = setup();
    expect(t.run('SET', 'k', 'v', 'XX')).toBeNull();
    expect(t.run('GET', 'k')).toBeNull();
    expect(t.run('SET', 'k', 'v', 'NX')).toEqual(OK);
    expect(t.run('SET', 'k', 'w', 'NX')).toBeNull();
    expect(t.run('GET', 'k')).toBe('v');
    expect(t.run('SET', 'k', 'w', 'xx')).toEqual(OK);
    expect(t.run('GET', 'k')).toBe('w');
  });

  it('GET returns the old value, with NX and XX too', () => {
    const t = setup();
    expect(t.run('SET', 'k', 'v1', 'GET')).toBeNull();
    expect(t.run('SET', 'k', 'v2', 'GET')).toBe('v1');
    expect(t.run('SET', 'k', 'v3', 'NX', 'GET')).toBe('v2');
    expect(t.run('GET', 'k')).toBe('v2');
    expect(t.run('SET', 'n', 'v', 'NX', 'GET')).toBeNull();
    expect(t.run('GET', 'n')).toBe('v');
    expect(t.run('SET', 'x', 'v', 'XX', 'GET')).toBeNull();
    expect(t.run('GET', 'x')).toBeNull();
    expect(t.run('SET', 'k', 'v4', 'XX', 'GET', 'EX', '5')).toBe('v2');
    expect(t.db.getExpire('k')).toBe(t.clock.now + 5000);
  });

  it('GET on another type answers WRONGTYPE and does not set', () => {
    const t = setup();
    t.db.set('l', LIST);
    expect(t.run('SET', 'l', 'v', 'GET')).toEqual(err(WRONGTYPE));
    expect(t.db.lookup('l')).toBe(LIST);
    // The expiration is checked before the type.
    expect(t.run('SET', 'l', 'v', 'GET', 'EX', '0')).toEqual(err("ERR invalid expire time in 'set' command"));
    expect(t.run('SET', 'l', 'v', 'GET', 'EX', 'x')).toEqual(err(NOT_INTEGER));
  });

  it('answers Redis option-conflict errors', () => {
    const t = setup();
    for (const opts of [
      ['NX', 'XX'], ['XX', 'NX'], ['EX', '10', 'PX', '100'], ['PX', '1', 'EX', '1'], ['EX', '1', 'EXAT', '1'],
      ['PXAT', '1', 'EXAT', '1'], ['KEEPTTL', 'EX', '10'], ['EX', '10', 'KEEPTTL'], ['EX'], ['PX'], ['EXAT'],
      ['PXAT'], ['PERSIST'], ['FOO'], ['GET', 'x'], ['NX', 'NX', 'XX'], ['KEEPTTL', 'PXAT', '5'],
    ]) {
      expect(t.run('SET', 'k', 'v', ...opts), opts.join(' ')).toEqual(err(SYNTAX));
    }
    expect(t.db.size).toBe(0);
  });

  it('answers invalid expire time for <= 0 and overflow', () => {
    const t = setup();
    const invalid = err("ERR invalid expire time in 'set' command");
    for (const [opt, v] of [
      ['EX', '0'], ['EX', '-1'], ['PX', '0'], ['PX', '-5'], ['EXAT', '0'], ['PXAT', '-1'],
      ['EX', '9223372036854775'], // * 1000 + now leaves int64
      ['EX', '9223372036854776'], // > LLONG_MAX / 1000
      ['PX', '9223372036854775807'], ['PX', '9223372036854775806'],
      ['EXAT', '9223372036854776'], ['EX', '-9223372036854775808'],
    ] as const) {
      expect(t.run('SET', 'k', 'v', opt, v), `${opt} ${v}`).toEqual(invalid);
    }
    expect(t.run('SET', 'k', 'v', 'EX', '1.5')).toEqual(err(NOT_INTEGER));
    expect(t.run('SET', 'k', 'v', 'PX', '9223372036854775808')).toEqual(err(NOT_INTEGER));
    expect(t.run('SET', 'k', 'v', 'EX', ' 1')).toEqual(err(NOT_INTEGER));
    expect(t.db.size).toBe(0);
    // Largest accepted values.
    expect(t.run('SET', 'k', 'v', 'EX', '9223372036854')).toEqual(OK);
    expect(t.run('SET', 'k', 'v', 'PXAT', '9223372036854775807')).toEqual(OK);
    expect(t.run('SET', 'k', 'v', 'EXAT', '9223372036854775')).toEqual(OK);
    expect(t.db.getExpire('k')).toBe(9223372036854775000);
  });

  it('SET arity', () => {
    const t = setup();
    expect(t.run('SET', 'k')).toEqual(err("ERR wrong number of arguments for 'set' command"));
  });
});

describe('SETNX, SETEX, PSETEX', () => {
  it('SETNX sets only a missing key and answers 1 or 0', () => {
    const t = setup();
    expect(t.run('SETNX', 'k', 'a')).toBe(1);
    expect(t.run('SETNX', 'k', 'b')).toBe(0);
    expect(t.run('GET', 'k')).toBe('a');
    t.db.set('l', LIST);
    expect(t.run('SETNX', 'l', 'b')).toBe(0);
    t.run('SET', 'e', 'v', 'PX', '10');
    t.clock.advance(10);
    expect(t.run('SETNX', 'e', 'new')).toBe(1);
  });

  it('SETEX and PSETEX set value and TTL, replacing any type', () => {
    const t = setup();
    t.db.set('l', LIST);
    expect(t.run('SETEX', 'l', '10', 'v')).toEqual(OK);
    expect(t.run('GET', 'l')).toBe('v');
    expect(t.db.getExpire('l')).toBe(t.clock.now + 10_000);
    expect(t.run('PSETEX', 'p', '1500', 'w')).toEqual(OK);
    expect(t.db.getExpire('p')).toBe(t.clock.now + 1500);
    t.clock.advance(1500);
    expect(t.run('GET', 'p')).toBeNull();
  });

  it('SETEX and PSETEX errors name their command', () => {
    const t = setup();
    expect(t.run('SETEX', 'k', '0', 'v')).toEqual(err("ERR invalid expire time in 'setex' command"));
    expect(t.run('SETEX', 'k', '9223372036854775', 'v')).toEqual(err("ERR invalid expire time in 'setex' command"));
    expect(t.run('PSETEX', 'k', '-1', 'v')).toEqual(err("ERR invalid expire time in 'psetex' command"));
    expect(t.run('PSETEX', 'k', '9223372036854775807', 'v')).toEqual(err("ERR invalid expire time in 'psetex' command"));
    expect(t.run('SETEX', 'k', 'abc', 'v')).toEqual(err(NOT_INTEGER));
    expect(t.run('SETEX', 'k', '10')).toEqual(err("ERR wrong number of arguments for 'setex' command"));
    expect(t.db.size).toBe(0);
  });
});

describe('MGET, MSET, MSETNX', () => {
  it('MGET answers nil for missing keys and other types', () => {
    const t = setup();
    t.db.set('l', LIST);
    t.run('SET', 'a', '1');
    t.db.set('r', new RawString('raw'));
    expect(t.run('MGET', 'a', 'l', 'missing', 'r', 'a')).toEqual(['1', null, null, 'raw', '1']);
  });

  it('MSET sets every pair, overwriting types and removing TTLs', () => {
    const t = setup();
    t.db.set('l', LIST);
    t.run('SET', 'a', 'old', 'EX', '10');
    expect(t.run('MSET', 'a', '1', 'l', '2', 'a', '3')).toEqual(OK);
    expect(t.run('MGET', 'a', 'l')).toEqual(['3', '2']);
    expect(t.db.getExpire('a')).toBeUndefined();
    expect(t.run('MSET', 'a', '1', 'b')).toEqual(err("ERR wrong number of arguments for 'mset' command"));
    expect(t.run('MSET', 'a')).toEqual(err("ERR wrong number of arguments for 'mset' command"));
  });

  it('MSETNX sets all or nothing', () => {
    const t = setup();
    expect(t.run('MSETNX', 'a', '1', 'b', '2')).toBe(1);
    expect(t.run('MSETNX', 'c', '3', 'b', '9')).toBe(0);
    expect(t.run('MGET', 'a', 'b', 'c')).toEqual(['1', '2', null]);
    t.db.set('l', LIST);
    expect(t.run('MSETNX', 'l', 'x')).toBe(0);
    expect(t.run('MSETNX', 'x', '1', 'x', '2')).toBe(1);
    expect(t.run('GET', 'x')).toBe('2');
    expect(t.run('MSETNX', 'a', '1', 'b')).toEqual(err("ERR wrong number of arguments for 'msetnx' command"));
  });
});

describe('GETSET, GETDEL, GETEX', () => {
  it('GETSET returns the old value and removes the TTL', () => {
    const t = setup();
    expect(t.run('GETSET', 'k', 'a')).toBeNull();
    t.run('SET', 'k', 'b', 'EX', '100');
    expect(t.run('GETSET', 'k', 'c')).toBe('b');
    expect(t.db.getExpire('k')).toBeUndefined();
    t.db.set('l', LIST);
    expect(t.run('GETSET', 'l', 'x')).toEqual(err(WRONGTYPE));
    expect(t.db.lookup('l')).toBe(LIST);
  });

  it('GETDEL returns and deletes', () => {
    const t = setup();
    expect(t.run('GETDEL', 'k')).toBeNull();
    t.run('SET', 'k', 'v');
    expect(t.run('GETDEL', 'k')).toBe('v');
    expect(t.db.size).toBe(0);
    t.db.set('l', LIST);
    expect(t.run('GETDEL', 'l')).toEqual(err(WRONGTYPE));
    expect(t.db.size).toBe(1);
  });

  it('GETEX with no option just reads', () => {
    const t = setup();
    t.run('SET', 'k', 'v', 'EX', '100');
    expect(t.run('GETEX', 'k')).toBe('v');
    expect(t.db.getExpire('k')).toBe(t.clock.now + 100_000);
  });

  it('GETEX EX/PX/EXAT/PXAT/PERSIST', () => {
    const t = setup();
    const now = t.clock.now;
    t.run('SET', 'k', 'v');
    expect(t.run('GETEX', 'k', 'EX', '10')).toBe('v');
    expect(t.db.getExpire('k')).toBe(now + 10_000);
    expect(t.run('GETEX', 'k', 'px', '50')).toBe('v');
    expect(t.db.getExpire('k')).toBe(now + 50);
    expect(t.run('GETEX', 'k', 'EXAT', String(now / 1000 + 7))).toBe('v');
    expect(t.db.getExpire('k')).toBe(now + 7000);
    expect(t.run('GETEX', 'k', 'PXAT', String(now + 9))).toBe('v');
    expect(t.db.getExpire('k')).toBe(now + 9);
    expect(t.run('GETEX', 'k', 'PERSIST')).toBe('v');
    expect(t.db.getExpire('k')).toBeUndefined();
    expect(t.run('GETEX', 'k', 'EX', '10', 'EX', '20')).toBe('v');
    expect(t.db.getExpire('k')).toBe(now + 20_000);
  });

  it('GETEX with a past EXAT/PXAT deletes the key at once (still replying the value)', () => {
    const t = setup();
    t.run('SET', 'k', 'v');
    expect(t.run('GETEX', 'k', 'EXAT', '1')).toBe('v');
    expect(t.db.size).toBe(0);
    t.run('SET', 'k', 'v');
    expect(t.run('GETEX', 'k', 'PXAT', String(t.clock.now))).toBe('v');
    expect(t.db.size).toBe(0);
  });

  it('GETEX checks syntax, then the key, then the type, then the time', () => {
    const t = setup();
    t.db.set('l', LIST);
    t.run('SET', 'k', 'v');
    expect(t.run('GETEX', 'missing', 'EX', 'abc')).toBeNull();
    expect(t.run('GETEX', 'missing', 'EX', '0')).toBeNull();
    expect(t.run('GETEX', 'missing', 'FOO')).toEqual(err(SYNTAX));
    expect(t.run('GETEX', 'l', 'EX', 'abc')).toEqual(err(WRONGTYPE));
    expect(t.run('GETEX', 'l', 'NX')).toEqual(err(SYNTAX));
    expect(t.run('GETEX', 'l')).toEqual(err(WRONGTYPE));
    expect(t.run('GETEX', 'k', 'EX', '0')).toEqual(err("ERR invalid expire time in 'getex' command"));
    expect(t.run('GETEX', 'k', 'PX', '9223372036854775807')).toEqual(err("ERR invalid expire time in 'getex' command"));
    expect(t.run('GETEX', 'k', 'EX', 'abc')).toEqual(err(NOT_INTEGER));
    for (const opts of [['PERSIST', 'EX', '10'], ['EX', '10', 'PERSIST'], ['KEEPTTL'], ['GET'], ['XX'], ['EX'], ['EX', '1', 'PX', '1']]) {
      expect(t.run('GETEX', 'k', ...opts), opts.join(' ')).toEqual(err(SYNTAX));
    }
    expect(t.db.getExpire('k')).toBeUndefined();
  });
});

// ------------------------------------------------------------------ APPEND, STRLEN, ranges

describe('APPEND and STRLEN', () => {
  it('appends binary data and answers the new length', () => {
    const t = setup();
    expect(t.run('APPEND', 'k', 'ab')).toBe(2);
    expect(t.run('APPEND', 'k', '\0\r\n')).toBe(5);
    expect(t.run('APPEND', 'k', ALL_BYTES)).toBe(261);
    expect(t.run('GET', 'k')).toBe('ab\0\r\n' + ALL_BYTES);
    expect(t.run('STRLEN', 'k')).toBe(261);
    expect(t.run('STRLEN', 'missing')).toBe(0);
  });

  it('a new key keeps a plain encoding, an appended one becomes raw', () => {
    const t = setup();
    t.run('APPEND', 'k', '5');
    expect(stringEncoding(t.db.lookup('k') as string)).toBe('int');
    t.run('APPEND', 'k', '');
    expect(t.db.lookup('k')).toBeInstanceOf(RawString);
    expect(stringEncoding(t.db.lookup('k') as RawString)).toBe('raw');
    // Many appends stay amortised: one buffer grown geometrically.
    for (let i = 0; i < 1000; i++) t.run('APPEND', 'k', 'xy');
    expect(t.run('STRLEN', 'k')).toBe(2001);
    expect((t.db.lookup('k') as RawString).buf.length).toBeLessThan(8192);
  });

  it('keeps the TTL; WRONGTYPE on other types', () => {
    const t = setup();
    t.run('SET', 'k', 'v', 'EX', '100');
    t.run('APPEND', 'k', 'w');
    expect(t.db.getExpire('k')).toBe(t.clock.now + 100_000);
    t.db.set('l', LIST);
    expect(t.run('APPEND', 'l', 'x')).toEqual(err(WRONGTYPE));
    expect(t.run('STRLEN', 'l')).toEqual(err(WRONGTYPE));
  });

  it('refuses to grow past proto-max-bulk-len, before allocating', () => {
    const t = setup({ config: { 'proto-max-bulk-len': '1mb' } });
    const mib = 1024 * 1024;
    t.run('SETRANGE', 'k', String(mib - 2), 'ab'); // exactly 1 MiB
    expect(t.run('STRLEN', 'k')).toBe(mib);
    expect(t.run('APPEND', 'k', 'x')).toEqual(err(TOO_LONG));
    expect(t.run('APPEND', 'k', '')).toBe(mib);
    t.run('SET', 's', 'x'.repeat(mib - 1));
    expect(t.run('APPEND', 's', 'y')).toBe(mib);
    expect(t.run('APPEND', 's', 'z')).toEqual(err(TOO_LONG));
  });
});

describe('GETRANGE and SUBSTR', () => {
  it('handles negative and out-of-range indices like Redis', () => {
    const t = setup();
    t.run('SET', 'k', 'Hello World');
    const cases: [string, string, string][] = [
      ['0', '4', 'Hello'], ['-5', '-1', 'World'], ['0', '-1', 'Hello World'], ['-100', '100', 'Hello World'],
      ['5', '3', ''], ['-1', '-5', ''], ['20', '30', ''], ['10', '10', 'd'], ['0', '0', 'H'],
      ['-1', '0', ''], ['3', '-100', ''], ['-9223372036854775808', '9223372036854775807', 'Hello World'],
      ['9223372036854775807', '9223372036854775807', ''], ['-9223372036854775807', '-9223372036854775808', ''],
      ['-9007199254740993', '-9007199254740994', ''], ['-9007199254740994', '-9007199254740993', 'H'],
      ['0', '-9223372036854775808', 'H'], ['-9223372036854775808', '0', 'H'],
    ];
    for (const [s, e, want] of cases) {
      expect(t.run('GETRANGE', 'k', s, e), `${s} ${e}`).toBe(want);
      expect(t.run('SUBSTR', 'k', s, e), `${s} ${e}`).toBe(want);
    }
  });

  it('empty string, missing key, raw values, errors', () => {
    const t = setup();
    t.run('SET', 'e', '');
    expect(t.run('GETRANGE', 'e', '0', '-1')).toBe('');
    expect(t.run('GETRANGE', 'missing', '0', '-1')).toBe('');
    t.run('SETRANGE', 'r', '2', '\0\xffz');
    expect(t.run('GETRANGE', 'r', '1', '3')).toBe('\0\0\xff');
    t.db.set('l', LIST);
    // Arguments are checked before the key's type, as in Redis.
    expect(t.run('GETRANGE', 'l', 'a', '1')).toEqual(err(NOT_INTEGER));
    expect(t.run('GETRANGE', 'l', '0', '1')).toEqual(err(WRONGTYPE));
    expect(t.run('GETRANGE', 'missing', '0', 'x')).toEqual(err(NOT_INTEGER));
    expect(t.run('GETRANGE', 'e', '9223372036854775808', '1')).toEqual(err(NOT_INTEGER));
  });
});

describe('SETRANGE', () => {
  it('overwrites and zero-pads', () => {
    const t = setup();
    t.run('SET', 'k', 'Hello World');
    expect(t.run('SETRANGE', 'k', '6', 'Redis')).toBe(11);
    expect(t.run('GET', 'k')).toBe('Hello Redis');
    expect(t.run('SETRANGE', 'k', '15', '!')).toBe(16);
    expect(t.run('GET', 'k')).toBe('Hello Redis\0\0\0\0!');
    expect(t.run('SETRANGE', 'n', '3', 'ab')).toBe(5);
    expect(t.run('GET', 'n')).toBe('\0\0\0ab');
    expect(t.db.lookup('n')).toBeInstanceOf(RawString);
    // Growing a RawString leaves no stale bytes in the gap.
    t.run('SETRANGE', 'n', '0', 'xxxxx');
    t.run('SETRANGE', 'n', '100', 'y');
    expect(t.run('GETRANGE', 'n', '5', '99')).toBe('\0'.repeat(95));
  });

  it('an empty value changes nothing and creates nothing', () => {
    const t = setup();
    expect(t.run('SETRANGE', 'n', '5', '')).toBe(0);
    expect(t.db.size).toBe(0);
    t.run('SET', 'k', '12');
    expect(t.run('SETRANGE', 'k', '0', '')).toBe(2);
    expect(t.run('SETRANGE', 'k', '99999999999999', '')).toBe(2);
    expect(t.run('SETRANGE', 'k', '9223372036854775807', '')).toBe(2);
    expect(stringEncoding(t.db.lookup('k') as string)).toBe('int');
  });

  it('keeps the TTL', () => {
    const t = setup();
    t.run('SET', 'k', 'abc', 'PX', '5000');
    t.run('SETRANGE', 'k', '1', 'X');
    expect(t.db.getExpire('k')).toBe(t.clock.now + 5000);
    expect(t.run('GET', 'k')).toBe('aXc');
  });

  it('errors: offset, type, size', () => {
    const t = setup();
    t.db.set('l', LIST);
    expect(t.run('SETRANGE', 'k', '-1', 'x')).toEqual(err('ERR offset is out of range'));
    expect(t.run('SETRANGE', 'k', 'a', 'x')).toEqual(err(NOT_INTEGER));
    expect(t.run('SETRANGE', 'l', 'a', 'x')).toEqual(err(NOT_INTEGER));
    expect(t.run('SETRANGE', 'l', '-1', 'x')).toEqual(err('ERR offset is out of range'));
    expect(t.run('SETRANGE', 'l', '0', 'x')).toEqual(err(WRONGTYPE));
    expect(t.run('SETRANGE', 'l', '0', '')).toEqual(err(WRONGTYPE));
    expect(t.run('SETRANGE', 'k', '536870912', 'x')).toEqual(err(TOO_LONG));
    expect(t.run('SETRANGE', 'k', '536870911', 'xy')).toEqual(err(TOO_LONG));
    expect(t.run('SETRANGE', 'k', '9223372036854775807', 'x')).toEqual(err(TOO_LONG));
    expect(t.run('SETRANGE', 'k', '9223372036854775808', 'x')).toEqual(err(NOT_INTEGER));
    expect(t.db.size).toBe(1);
  });

  it('honours a lowered proto-max-bulk-len at its exact boundary', () => {
    const t = setup({ config: { 'proto-max-bulk-len': '1mb' } });
    const mib = 1024 * 1024;
    expect(t.run('SETRANGE', 'k', String(mib), 'x')).toEqual(err(TOO_LONG));
    expect(t.run('SETRANGE', 'k', String(mib - 1), 'x')).toBe(mib);
    t.run('SET', 's', 'abc');
    expect(t.run('SETRANGE', 's', String(mib - 1), 'xy')).toEqual(err(TOO_LONG));
    expect(t.run('GET', 's')).toBe('abc');
  });

  it('builds a value of exactly 512 MiB as bytes (beyond V8 string limits), and no more', () => {
    // One real allocation of 512 MiB: the only way to show that the limit value itself works.
    const t = setup();
    const size = 512 * 1024 * 1024;
    expect(t.run('SETRANGE', 'big', String(size - 1), 'x')).toBe(size);
    const v = t.db.lookup('big');
    expect(v).toBeInstanceOf(RawString);
    expect(t.run('STRLEN', 'big')).toBe(size);
    expect(t.run('GETRANGE', 'big', '-2', '-1')).toBe('\0x');
    expect(t.run('APPEND', 'big', 'y')).toEqual(err(TOO_LONG));
    expect(t.run('SETRANGE', 'big', String(size - 1), 'xy')).toEqual(err(TOO_LONG));
    expect(t.run('APPEND', 'big', '')).toBe(size);
    expect(t.run('INCRBYFLOAT', 'big', '1')).toEqual(err(NOT_FLOAT));
    expect(t.run('INCR', 'big')).toEqual(err(NOT_INTEGER));
    t.db.clear();
  });
});

// ------------------------------------------------------------------ LCS

describe('LCS', () => {
  function withStrings(a: string, b: string, protocol: 2 | 3 = 2) {
    const t = setup();
    t.writer.protocol = protocol;
    t.run('MSET', 'a', a, 'b', b);
    return t;
  }

  it('returns the subsequence, its length, or its runs', () => {
    const t = withStrings('ohmytext', 'mynewtext');
    expect(t.run('LCS', 'a', 'b')).toBe('mytext');
    expect(t.run('LCS', 'a', 'b', 'LEN')).toBe(6);
    expect(t.run('LCS', 'a', 'b', 'idx')).toEqual(['matches', [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], 'len', 6]);
    expect(t.run('LCS', 'a', 'b', 'IDX', 'MINMATCHLEN', '4', 'WITHMATCHLEN'))
      .toEqual(['matches', [[[4, 7], [5, 8], 4]], 'len', 6]);
    expect(t.run('LCS', 'a', 'b', 'IDX', 'WITHMATCHLEN', 'MINMATCHLEN', '-5'))
      .toEqual(['matches', [[[4, 7], [5, 8], 4], [[2, 3], [0, 1], 2]], 'len', 6]);
    // MINMATCHLEN and WITHMATCHLEN are ignored without IDX.
    expect(t.run('LCS', 'a', 'b', 'LEN', 'WITHMATCHLEN', 'MINMATCHLEN', '2')).toBe(6);
    expect(t.run('LCS', 'a', 'b', 'MINMATCHLEN', '2')).toBe('mytext');
  });

  it('answers a map under RESP3', () => {
    const t = withStrings('ohmytext', 'mynewtext', 3);
    expect(t.run('LCS', 'a', 'b', 'IDX', 'WITHMATCHLEN')).toEqual(new ReplyMap([
      ['matches', [[[4, 7], [5, 8], 4], [[2, 3], [0, 1], 2]]],
      ['len', 6],
    ]));
  });

  it('treats missing keys as empty strings and handles binary', () => {
    const t = withStrings('\0\xff\r\n', 'x\0\r\ny\xff');
    expect(t.run('LCS', 'a', 'b')).toBe('\0\r\n');
    expect(t.run('LCS', 'x', 'y')).toBe('');
    expect(t.run('LCS', 'a', 'y', 'LEN')).toBe(0);
    expect(t.run('LCS', 'x', 'y', 'IDX')).toEqual(['matches', [], 'len', 0]);
  });

  it('errors', () => {
    const t = withStrings('abc', 'abd');
    t.db.set('l', LIST);
    expect(t.run('LCS', 'l', 'a')).toEqual(err('ERR The specified keys must contain string values'));
    expect(t.run('LCS', 'a', 'l', 'FOO')).toEqual(err('ERR The specified keys must contain string values'));
    expect(t.run('LCS', 'a', 'b', 'IDX', 'LEN')).toEqual(err('ERR If you want both the length and indexes, please just use IDX.'));
    expect(t.run('LCS', 'a', 'b', 'FOO')).toEqual(err(SYNTAX));
    expect(t.run('LCS', 'a', 'b', 'MINMATCHLEN')).toEqual(err(SYNTAX));
    expect(t.run('LCS', 'a', 'b', 'MINMATCHLEN', 'x')).toEqual(err(NOT_INTEGER));
    expect(t.run('LCS', 'a')).toEqual(err("ERR wrong number of arguments for 'lcs' command"));
  });

  it('refuses a table beyond proto-max-bulk-len without building it', () => {
    const t = setup({ config: { 'proto-max-bulk-len': '1mb' } });
    // (511 + 1)^2 * 4 bytes = 1 MiB exactly: allowed; one more byte on both: refused.
    t.run('SET', 'a', 'a'.repeat(511));
    expect(t.run('LCS', 'a', 'a', 'LEN')).toBe(511);
    t.run('APPEND', 'a', 'a');
    expect(t.run('LCS', 'a', 'a', 'LEN')).toEqual(err('ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len'));
    t.run('SET', 'b', 'a'.repeat(510));
    expect(t.run('LCS', 'a', 'b', 'LEN')).toBe(510);
    const big = setup();
    big.run('SETRANGE', 'x', String(11585), 'y');
    expect(big.run('LCS', 'x', 'x')).toEqual(err('ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len'));
  });
});

// ------------------------------------------------------------------ counters

describe('INCR, DECR, INCRBY, DECRBY', () => {
  it('count from a missing key and store canonical text', () => {
    const t = setup();
    expect(t.run('INCR', 'k')).toBe(1);
    expect(t.run('INCR', 'k')).toBe(2);
    expect(t.run('DECR', 'k')).toBe(1);
    expect(t.run('INCRBY', 'k', '100')).toBe(101);
    expect(t.run('DECRBY', 'k', '200')).toBe(-99);
    expect(t.run('GET', 'k')).toBe('-99');
    expect(t.run('DECR', 'n')).toBe(-1);
    expect(t.run('INCRBY', 'z', '0')).toBe(0);
    expect(t.run('GET', 'z')).toBe('0');
  });

  it('keep the TTL', () => {
    const t = setup();
    t.run('SET', 'k', '5', 'EX', '100');
    expect(t.run('INCR', 'k')).toBe(6);
    expect(t.db.getExpire('k')).toBe(t.clock.now + 100_000);
    t.clock.advance(100_000);
    expect(t.run('INCR', 'k')).toBe(1);
    expect(t.db.getExpire('k')).toBeUndefined();
  });

  it('use the full int64 range exactly', () => {
    const t = setup();
    t.run('SET', 'k', '9007199254740991');
    expect(t.run('INCR', 'k')).toBe(9007199254740992n);
    expect(t.run('INCR', 'k')).toBe(9007199254740993n);
    expect(t.run('GET', 'k')).toBe('9007199254740993');
    t.run('SET', 'k', '9223372036854775806');
    expect(t.run('INCR', 'k')).toBe(9223372036854775807n);
    expect(t.run('INCR', 'k')).toEqual(err('ERR increment or decrement would overflow'));
    expect(t.run('GET', 'k')).toBe('9223372036854775807');
    t.run('SET', 'k', '-9223372036854775808');
    expect(t.run('DECR', 'k')).toEqual(err('ERR increment or decrement would overflow'));
    expect(t.run('INCRBY', 'k', '9223372036854775807')).toBe(-1);
    t.run('SET', 'k', '1');
    expect(t.run('INCRBY', 'k', '9223372036854775807')).toEqual(err('ERR increment or decrement would overflow'));
    expect(t.run('DECRBY', 'k', '9223372036854775807')).toBe(-9223372036854775806n);
    expect(t.run('DECRBY', 'k', '-9223372036854775807')).toBe(1);
    t.run('SET', 'k', '-2');
    expect(t.run('DECRBY', 'k', '9223372036854775807')).toEqual(err('ERR increment or decrement would overflow'));
    expect(t.run('INCRBY', 'k', '-9223372036854775807')).toEqual(err('ERR increment or decrement would overflow'));
    expect(t.run('DECRBY', 'k', '-9223372036854775808')).toEqual(err('ERR decrement would overflow'));
    expect(t.run('DECRBY', 'missing', '-9223372036854775808')).toEqual(err('ERR decrement would overflow'));
    expect(t.run('INCRBY', 'k', '9223372036854775808')).toEqual(err(NOT_INTEGER));
  });

  it('refuse values and increments that are not canonical integers', () => {
    const t = setup();
    for (const v of ['abc', '1 ', ' 1', '+1', '01', '-0', '1.0', '', '1e3', '99999999999999999999', '0x10']) {
      t.run('SET', 'k', v);
      expect(t.run('INCR', 'k'), JSON.stringify(v)).toEqual(err(NOT_INTEGER));
      expect(t.run('GET', 'k')).toBe(v);
    }
    for (const by of ['abc', '1.5', '+1', '', ' 1']) {
      expect(t.run('INCRBY', 'n', by)).toEqual(err(NOT_INTEGER));
      expect(t.run('DECRBY', 'n', by)).toEqual(err(NOT_INTEGER));
    }
    t.db.set('r', new RawString('41'));
    expect(t.run('INCR', 'r')).toBe(42);
    expect(typeof t.db.lookup('r')).toBe('string');
  });

  it('type errors: INCR checks the key, INCRBY/DECRBY the argument first', () => {
    const t = setup();
    t.db.set('l', LIST);
    expect(t.run('INCR', 'l')).toEqual(err(WRONGTYPE));
    expect(t.run('DECR', 'l')).toEqual(err(WRONGTYPE));
    expect(t.run('INCRBY', 'l', '1')).toEqual(err(WRONGTYPE));
    expect(t.run('INCRBY', 'l', 'x')).toEqual(err(NOT_INTEGER));
    expect(t.run('DECRBY', 'l', 'x')).toEqual(err(NOT_INTEGER));
    expect(t.run('DECRBY', 'l', '1')).toEqual(err(WRONGTYPE));
  });
});

describe('INCRBYFLOAT', () => {
  it('adds in long double and stores the formatted text', () => {
    const t = setup();
    t.run('SET', 'f', '0.1');
    expect(t.run('INCRBYFLOAT', 'f', '0.2')).toBe('0.3');
    expect(t.run('GET', 'f')).toBe('0.3');
    expect(t.run('INCRBYFLOAT', 'n', '10.5')).toBe('10.5');
    expect(t.run('INCRBYFLOAT', 'n', '-5.0e3')).toBe('-4989.5');
    t.run('SET', 'i', '2');
    expect(t.run('INCRBYFLOAT', 'i', '1')).toBe('3');
    expect(t.run('INCR', 'i')).toBe(4);
  });

  it('keeps the TTL', () => {
    const t = setup();
    t.run('SET', 'f', '1', 'EX', '100');
    expect(t.run('INCRBYFLOAT', 'f', '1.5')).toBe('2.5');
    expect(t.db.getExpire('f')).toBe(t.clock.now + 100_000);
  });

  it('errors', () => {
    const t = setup();
    t.db.set('l', LIST);
    expect(t.run('INCRBYFLOAT', 'l', 'abc')).toEqual(err(WRONGTYPE));
    t.run('SET', 'f', 'abc');
    expect(t.run('INCRBYFLOAT', 'f', 'x')).toEqual(err(NOT_FLOAT));
    expect(t.run('INCRBYFLOAT', 'n', 'x')).toEqual(err(NOT_FLOAT));
    expect(t.run('INCRBYFLOAT', 'n', 'nan')).toEqual(err(NOT_FLOAT));
    expect(t.run('INCRBYFLOAT', 'n', '1e5000')).toEqual(err(NOT_FLOAT));
    expect(t.run('INCRBYFLOAT', 'n', 'inf')).toEqual(err('ERR increment would produce NaN or Infinity'));
    t.run('SET', 'e', '');
    expect(t.run('INCRBYFLOAT', 'e', '1')).toEqual(err(NOT_FLOAT));
    expect(t.db.lookup('n')).toBeUndefined();
  });
});

// ------------------------------------------------------------------ encodings and specs

describe('specs', () => {
  it('every command is in the string group with keys and arguments', () => {
    expect(stringCommands.map((c) => c.name).sort()).toEqual([
      'append', 'decr', 'decrby', 'get', 'getdel', 'getex', 'getrange', 'getset', 'incr', 'incrby',
      'incrbyfloat', 'lcs', 'mget', 'mset', 'msetnx', 'psetex', 'set', 'setex', 'setnx', 'setrange',
      'strlen', 'substr',
    ]);
    for (const c of stringCommands) {
      expect(c.group).toBe('string');
      expect(c.keys[0]).toBe(1);
      const first = c.arguments?.[0];
      expect(first?.type === 'block' ? first.arguments?.[0]?.type : first?.type).toBe('key');
      expect(c.summary.length).toBeGreaterThan(10);
      expect(c.complexity).toBeDefined();
      expect(c.keySpecs).toHaveLength(1);
    }
  });
});

// ------------------------------------------------------------------ differential against real Redis

/** A throwaway redis-server (the oracle) when it is installed. */
async function openRedis(): Promise<{ conn: RespTestClient; process: RedisProcess } | undefined> {
  if (!redisServerPath) return undefined;
  const process = await startRedis();
  return { conn: await RespTestClient.connect(process.port), process };
}

const redis = await openRedis();
const redisAvailable = redis !== undefined;
if (!redisAvailable) {
  console.warn('NOTE: no redis-server reachable: the string differential tests against real Redis are SKIPPED');
}

afterAll(async () => {
  redis?.conn.close();
  await redis?.process.stop();
});

/** A small seeded PRNG (mulberry32) so failures reproduce. */

describe('differential against real Redis', () => {
  const P = `nodis-string-test:${process.pid}:${Date.now()}:`;
  const K = { k: `${P}k`, k2: `${P}k2`, l: `${P}l`, m: `${P}m` };

  /** Runs each group from the same state on both sides and compares every reply. */
  async function compare(groups: string[][][], protocol: 2 | 3 = 2): Promise<void> {
    const conn = redis!.conn;
    const t = setup();
    t.writer.protocol = protocol;
    await conn.pipeline([['HELLO', String(protocol)]]);
    for (const group of groups) {
      await conn.pipeline([['DEL', K.k, K.k2, K.l, K.m], ['RPUSH', K.l, 'a']]);
      t.db.clear();
      t.db.set(K.l, LIST);
      const expected = await conn.pipeline(group);
      const actual = group.map((argv) => t.run(...argv));
      for (let i = 0; i < group.length; i++) {
        expect(canon(actual[i]!), group[i]!.join(' ')).toEqual(canon(expected[i]!));
      }
    }
    await conn.pipeline([['DEL', K.k, K.k2, K.l, K.m], ['HELLO', '2']]);
  }

  it.skipIf(!redisAvailable)('replies and error strings byte for byte', async () => {
    const { k, k2, l, m } = K;
    const groups: string[][][] = [
      [['SET', k, 'v', 'EX', '10', 'EX', '20'], ['SET', k, 'v', 'NX', 'NX'], ['SET', k, 'v', 'nx', 'xx'],
        ['SET', k, 'v', 'ex', '10', 'px', '100'], ['SET', k, 'v', 'keepttl', 'ex', '10'], ['SET', k, 'v', 'ex'],
        ['SET', k, 'v', 'ex', '0'], ['SET', k, 'v', 'ex', 'abc'], ['SET', k, 'v', 'ex', '9223372036854775'],
        ['SET', k, 'v', 'px', '9223372036854775807'], ['SET', k, 'v', 'pxat', '9223372036854775807'],
        ['SET', k, 'v', 'get', 'persist'], ['SET', l, 'v', 'get'], ['SET', l, 'v', 'get', 'ex', '0'],
        ['SET', k, 'w', 'GET'], ['SET', k, 'x', 'XX', 'GET'], ['SET', m, 'x', 'XX', 'GET'], ['SET', k, 'y', 'NX', 'GET'],
        ['SET', k, 'v', 'PXAT', '1'], ['GET', k], ['SET', k, 'v', 'EXAT', '1', 'GET'], ['SET', k], ['GET', l]],
      [['SETNX', k, 'a'], ['SETNX', k, 'b'], ['SETNX', l, 'b'], ['SETEX', k, '0', 'v'], ['PSETEX', k, '0', 'v'],
        ['SETEX', k, 'abc', 'v'], ['SETEX', k, '9223372036854775', 'v'], ['PSETEX', k, '9223372036854775807', 'v'],
        ['SETEX', k, '100', 'v'], ['PSETEX', k2, '100000', 'w'], ['MGET', k, k2, l, m], ['SETEX', k, '1']],
      [['MSET', k, '1', k2, '2'], ['MSET', k, '1', k2], ['MSETNX', k, '1'], ['MSETNX', m, '1', k, '2'],
        ['MSETNX', m, '1', l, '2'], ['MGET', m], ['MSETNX', m, '1', m, '2'], ['GET', m], ['MSET', l, 'x'], ['GET', l]],
      [['GETSET', k, 'a'], ['GETSET', k, 'b'], ['GETSET', l, 'c'], ['GETDEL', k], ['GETDEL', k], ['GETDEL', l],
        ['SET', k, 'v'], ['GETEX', m, 'ex', 'abc'], ['GETEX', m, 'ex', '0'], ['GETEX', l, 'ex', 'abc'], ['GETEX', l, 'foo'],
        ['GETEX', l, 'nx'], ['GETEX', k, 'ex', '0'], ['GETEX', k, 'ex', 'abc'], ['GETEX', k, 'persist', 'ex', '10'],
        ['GETEX', k, 'ex', '10', 'persist'], ['GETEX', k, 'ex', '10', 'ex', '20'], ['GETEX', k, 'keepttl'],
        ['GETEX', k, 'PX', '9223372036854775807'], ['GETEX', k, 'PERSIST'], ['GETEX', k], ['GETEX', k, 'exat', '1'], ['GET', k]],
      [['APPEND', k, '5'], ['APPEND', k, '\0\r\n\xff'], ['GET', k], ['STRLEN', k], ['STRLEN', m], ['APPEND', l, 'x'],
        ['STRLEN', l], ['SET', k, 'Hello World'], ['GETRANGE', k, '0', '4'], ['GETRANGE', k, '-5', '-1'],
        ['GETRANGE', k, '-1', '-5'], ['GETRANGE', k, '5', '3'], ['GETRANGE', k, '-100', '100'], ['SUBSTR', k, '2', '-3'],
        ['GETRANGE', k, '-9223372036854775808', '9223372036854775807'], ['GETRANGE', k, '-9007199254740993', '-9007199254740994'],
        ['GETRANGE', m, '0', '-1'], ['GETRANGE', l, 'a', 'b'], ['GETRANGE', l, '0', '1'], ['SUBSTR', l, 'a', '1'],
        ['GETRANGE', k, '1', '9223372036854775808']],
      [['SETRANGE', k, '6', 'Redis'], ['SETRANGE', k, '3', 'ab'], ['GET', k], ['SETRANGE', k, '0', ''], ['SETRANGE', m, '5', ''],
        ['GET', m], ['SETRANGE', k, '-1', 'x'], ['SETRANGE', k, 'a', 'x'], ['SETRANGE', l, 'a', 'x'], ['SETRANGE', l, '-1', 'x'],
        ['SETRANGE', l, '0', 'x'], ['SETRANGE', l, '0', ''], ['SETRANGE', k, '536870912', 'x'], ['SETRANGE', k, '536870911', 'xy'],
        ['SETRANGE', m, '9223372036854775807', 'x'], ['SETRANGE', k, '99999999999999', ''], ['SETRANGE', k, '10', '\0\xff'], ['GET', k]],
      [['INCR', k], ['INCRBY', k, '9223372036854775806'], ['INCR', k], ['DECRBY', k, '-9223372036854775808'],
        ['INCRBY', k, '9223372036854775808'], ['SET', k, '-9223372036854775808'], ['DECR', k], ['INCRBY', k, '-1'],
        ['DECRBY', k, '1'], ['INCRBY', k, '9223372036854775807'], ['INCR', l], ['INCRBY', l, 'x'], ['DECRBY', l, 'x'],
        ['INCRBY', l, '1'], ['SET', k, '01'], ['INCR', k], ['SET', k, '-0'], ['INCR', k], ['SET', k, '+1'], ['DECR', k],
        ['SET', k, '9007199254740991'], ['INCRBY', k, '2'], ['GET', k], ['DECRBY', k, '-3'], ['INCRBY', k2, '-0']],
      [['SET', k, '0.1'], ['INCRBYFLOAT', k, '0.2'], ['INCRBYFLOAT', l, 'abc'], ['INCRBYFLOAT', k, 'inf'],
        ['INCRBYFLOAT', k, 'nan'], ['INCRBYFLOAT', k, ' 1'], ['INCRBYFLOAT', k, '1e5000'], ['SET', k, ''],
        ['INCRBYFLOAT', k, '1'], ['INCRBYFLOAT', m, '1e-4940'], ['INCRBYFLOAT', k2, '0x1p-18'], ['INCRBYFLOAT', k2, '1\0']],
      [['MSET', k, 'ohmytext', k2, 'mynewtext'], ['LCS', k, k2], ['LCS', k, k2, 'LEN'], ['LCS', k, k2, 'IDX'],
        ['LCS', k, k2, 'IDX', 'MINMATCHLEN', '4', 'WITHMATCHLEN'], ['LCS', k, k2, 'idx', 'withmatchlen'],
        ['LCS', k, k2, 'LEN', 'WITHMATCHLEN', 'MINMATCHLEN', '2'], ['LCS', k, m, 'IDX'], ['LCS', l, k], ['LCS', k, l, 'FOO'],
        ['LCS', k, k2, 'IDX', 'LEN'], ['LCS', k, k2, 'FOO'], ['LCS', k, k2, 'MINMATCHLEN'], ['LCS', k, k2, 'MINMATCHLEN', 'x'],
        ['LCS', k, k2, 'IDX', 'MINMATCHLEN', '-5'], ['LCS', k]],
    ];
    await compare(groups);
    // RESP3: LCS IDX is a map; nil is `_`.
    await compare([[['MSET', k, 'ohmytext', k2, 'mynewtext'], ['LCS', k, k2, 'IDX', 'WITHMATCHLEN'], ['GET', m], ['LCS', k, m, 'IDX']]], 3);
  });

  it.skipIf(!redisAvailable)('LCS picks the same subsequence and runs on random inputs', async () => {
    const rand = seededRandom(7);
    const randomString = (n: number, alphabet: string) =>
      Array.from({ length: n }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('');
    const groups: string[][][] = [];
    for (let i = 0; i < 150; i++) {
      const alphabet = i % 3 === 0 ? 'ab' : i % 3 === 1 ? 'abcd' : 'abcdefgh\0\xff';
      const a = randomString(Math.floor(rand() * 40), alphabet);
      const b = randomString(Math.floor(rand() * 40), alphabet);
      groups.push([['MSET', K.k, a, K.k2, b], ['LCS', K.k, K.k2], ['LCS', K.k2, K.k],
        ['LCS', K.k, K.k2, 'IDX', 'WITHMATCHLEN'], ['LCS', K.k, K.k2, 'IDX', 'MINMATCHLEN', String(Math.floor(rand() * 4))]]);
    }
    await compare(groups);
  });

  it.skipIf(!redisAvailable)('INCRBYFLOAT matches Redis on 2000 random pairs', async () => {
    const rand = seededRandom(20240601);
    const int = (n: number) => Math.floor(rand() * n);
    const digits = (n: number) => Array.from({ length: n }, () => String(int(10))).join('');
    const sign = () => (rand() < 0.4 ? '-' : rand() < 0.1 ? '+' : '');
    const numberText = (): string => {
      switch (int(11)) {
        case 0: return sign() + String(int(1_000_000)); // small integers
        case 1: return sign() + (int(9) + 1) + digits(int(25)); // integers beyond 2^64
        case 2: return sign() + digits(int(4) + 1) + '.' + digits(int(20) + 1); // plain decimals
        case 3: return sign() + (int(9) + 1) + '.' + digits(int(18)) + 'e' + (rand() < 0.5 ? '-' : '') + int(4950); // huge range
        case 4: return sign() + String(rand() * 10 ** (int(40) - 20)); // JS double texts
        case 5: return sign() + (rand() * 1000).toExponential(int(20)); // short mantissas
        case 6: return sign() + '0.' + '0'.repeat(int(20)) + digits(int(20) + 1); // tiny
        case 7: return sign() + '0x' + (int(0xffffff) + 1).toString(16) + '.' + int(0xffff).toString(16) + 'p' + (int(400) - 200); // hex
        case 8: return sign() + (int(9) + 1) + '.' + digits(int(20)) + 'e' + (rand() < 0.5 ? 4925 + int(12) : -(4940 + int(15))); // range limits
        case 9: return ['inf', '-Infinity', 'nan', ' 1', '1 ', '1e', '0x', '.', '1.2.3', '', '0x1p', '+-1', '1\0', '0'][int(14)]!; // refused texts
        default: return sign() + digits(int(3) + 1) + '.' + digits(int(3)) + (rand() < 0.3 ? 'e' + (int(40) - 20) : '');
      }
    };
    const pairs: [string, string][] = [];
    for (let i = 0; i < 2000; i++) pairs.push([numberText(), numberText()]);
    const commands: string[][] = [];
    for (const [a, b] of pairs) commands.push(['SET', K.k, a], ['INCRBYFLOAT', K.k, b], ['INCRBYFLOAT', K.k, b]);
    const expected = await redis!.conn.pipeline(commands);
    await redis!.conn.pipeline([['DEL', K.k]]);
    const t = setup();
    const mismatches: string[] = [];
    for (let i = 0; i < commands.length; i++) {
      const actual = t.run(...commands[i]!);
      if (JSON.stringify(canon(actual)) !== JSON.stringify(canon(expected[i]!))) {
        mismatches.push(`${commands[i - 1 - (i % 3 === 2 ? 1 : 0)]!.join(' ')} / ${commands[i]!.join(' ')}: nodis ${JSON.stringify(canon(actual))} redis ${JSON.stringify(canon(expected[i]!))}`);
      }
    }
    expect(mismatches.slice(0, 10)).toEqual([]);
    // The generator must exercise both outcomes, or the comparison proves little.
    const errors = expected.filter((r) => r instanceof ReplyError).length;
    expect(errors).toBeGreaterThan(10);
    expect(errors).toBeLessThan(commands.length / 3);
  });

  it.skipIf(!redisAvailable)('specs match COMMAND INFO and COMMAND DOCS', async () => {
    const names = stringCommands.map((c) => c.name);
    const infos = await redis!.conn.pipeline(names.map((n) => ['COMMAND', 'INFO', n]));
    const docs = await redis!.conn.pipeline(names.map((n) => ['COMMAND', 'DOCS', n]));
    const plain = (r: Reply): unknown => (r instanceof SimpleString ? r.value : Array.isArray(r) ? r.map(plain) : r);
    const toObject = (flat: Reply[]) => {
      const o: Record<string, Reply> = {};
      for (let i = 0; i < flat.length; i += 2) o[flat[i] as string] = flat[i + 1]!;
      return o;
    };
    const argTree = (args: Reply[]): unknown[] => args.map((a) => {
      const o = toObject(a as Reply[]);
      const flags = (plain(o.flags ?? []) as string[]);
      return {
        name: o.name, type: o.type, token: o.token, since: o.since,
        optional: flags.includes('optional') || undefined, multiple: flags.includes('multiple') || undefined,
        arguments: o.arguments ? argTree(o.arguments as Reply[]) : undefined,
      };
    });
    const ourTree = (args: NonNullable<(typeof stringCommands)[number]['arguments']>): unknown[] => args.map((a) => ({
      name: a.name, type: a.type, token: a.token, since: a.since, optional: a.optional || undefined,
      multiple: a.multiple || undefined, arguments: a.arguments ? ourTree(a.arguments) : undefined,
    }));
    stringCommands.forEach((c, i) => {
      const info = (infos[i] as Reply[])[0] as Reply[];
      expect(plain([info[1]!, info[2]!, info[3]!, info[4]!, info[5]!]), c.name).toEqual([c.arity, c.flags, ...c.keys]);
      expect(plain(info[7]!), c.name).toEqual(c.tips ?? []);
      const keySpecs = (info[8] as Reply[][]).map((s) => toObject(s));
      expect(keySpecs.map((s) => plain([s.notes ?? null, s.flags!, s.begin_search!, s.find_keys!])), c.name).toEqual(c.keySpecs!.map((s) => [
        s.notes ?? null, s.flags,
        ['type', 'index', 'spec', ['index', (s.beginSearch as { index: number }).index]],
        ['type', 'range', 'spec', ['lastkey', (s.findKeys as { lastKey: number }).lastKey, 'keystep', (s.findKeys as { keyStep: number }).keyStep, 'limit', 0]],
      ]));
      const doc = toObject((docs[i] as Reply[])[1] as Reply[]);
      expect([doc.summary, doc.since, doc.group, doc.complexity], c.name).toEqual([c.summary, c.since, c.group, c.complexity]);
      expect(doc.deprecated_since, c.name).toEqual(c.deprecatedSince);
      expect(doc.replaced_by, c.name).toEqual(c.replacedBy);
      expect(doc.history ?? undefined, c.name).toEqual(c.history);
      expect(ourTree(c.arguments!), c.name).toEqual(argTree(doc.arguments as Reply[]));
    });
  });
});
