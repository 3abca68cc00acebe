import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { createTestEngine } from '../testing.js';
import { ReplyError, SimpleString } from '../reply.js';
import { redisServerPath } from '../../../../test/helpers/redis.js';
import { engineRespClient, expectCommandDocsMatch, useRedisOracle } from '../../../../test/helpers/oracle.js';

// ------------------------------------------------------------------ helpers

const OK = new SimpleString('OK');
const err = (message: string) => new ReplyError(message);
const WRONGTYPE = err('WRONGTYPE Operation against a key holding the wrong kind of value');
const SYNTAX = err('ERR syntax error');
const NOT_INTEGER = err('ERR value is not an integer or out of range');
const BAD_OFFSET = err('ERR bit offset is not an integer or out of range');
const BAD_BIT = err('ERR bit is not an integer or out of range');
const BAD_TYPE = err('ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.');
const BAD_OVERFLOW = err('ERR Invalid OVERFLOW type specified');
const RO_ONLY_GET = err('ERR BITFIELD_RO only supports the GET subcommand');
const NOT_ONE_SOURCE = err('ERR BITOP NOT must be called with a single source key.');
const BIT_NOT_BINARY = err('ERR The bit argument must be 1 or 0.');

const engine = (config: Record<string, string> = {}) => createTestEngine({ config });

// ------------------------------------------------------------------ SETBIT / GETBIT

describe('SETBIT and GETBIT', () => {
  it('sets bits most significant first, growing the string with zero bytes', () => {
    const t = engine();
    expect(t.run('SETBIT', 'k', '1', '1')).toBe(0);
    expect(t.run('GET', 'k')).toBe('\x40');
    expect(t.run('SETBIT', 'k', '1', '1')).toBe(1);
    expect(t.run('SETBIT', 'k', '23', '1')).toBe(0);
    expect(t.run('GET', 'k')).toBe('\x40\x00\x01');
    expect(t.run('SETBIT', 'k', '1', '0')).toBe(1);
    expect(t.run('GET', 'k')).toBe('\x00\x00\x01');
    expect(t.run('GETBIT', 'k', '23')).toBe(1);
    expect(t.run('GETBIT', 'k', '22')).toBe(0);
    expect(t.run('GETBIT', 'k', '4294967295')).toBe(0);
    expect(t.run('GETBIT', 'missing', '7')).toBe(0);
    expect(t.run('STRLEN', 'k')).toBe(3);
    expect(t.run('TYPE', 'k')).toEqual(new SimpleString('string'));
  });

  it('leaves the value a string: APPEND, GET and STRLEN see the bytes, encoding turns raw', () => {
    const t = engine();
    t.run('SET', 'n', '12');
    expect(t.run('OBJECT', 'ENCODING', 'n')).toBe('int');
    expect(t.run('GETBIT', 'n', '2')).toBe(1); // '1' = 0x31
    expect(t.run('OBJECT', 'ENCODING', 'n')).toBe('int'); // reads leave the encoding alone
    expect(t.run('SETBIT', 'n', '0', '0')).toBe(0);
    expect(t.run('OBJECT', 'ENCODING', 'n')).toBe('raw');
    expect(t.run('GET', 'n')).toBe('12');
    expect(t.run('APPEND', 'n', '3')).toBe(3);
    expect(t.run('SETBIT', 'n', '31', '1')).toBe(0);
    expect(t.run('GET', 'n')).toBe('123\x01');
    expect(t.run('INCR', 'n')).toEqual(NOT_INTEGER);
    expect(t.run('SETBIT', 'new', '0', '1')).toBe(0);
    expect(t.run('OBJECT', 'ENCODING', 'new')).toBe('raw');
  });

  it('keeps the TTL and signals the key modified', () => {
    const t = engine();
    t.run('SET', 'k', 'a', 'EX', '100');
    const spy = vi.spyOn(t.engine, 'onKeyModified');
    t.run('SETBIT', 'k', '0', '0'); // unchanged bit: still a write, as in Redis
    t.run('SETBIT', 'k', '20', '1');
    expect(spy.mock.calls.map((c) => c[1])).toEqual(['k', 'k']);
    expect(t.run('TTL', 'k')).toBe(100);
  });

  it('accepts offsets up to 2^32-1 and refuses 2^32, negatives and non-integers', () => {
    const t = engine();
    expect(t.run('SETBIT', 'big', '4294967295', '1')).toBe(0);
    expect(t.run('STRLEN', 'big')).toBe(536870912);
    expect(t.run('GETBIT', 'big', '4294967295')).toBe(1);
    expect(t.run('BITCOUNT', 'big', '-1', '-1')).toBe(1);
    expect(t.run('BITPOS', 'big', '1', '-1')).toBe(4294967295);
    t.run('DEL', 'big');
    for (const offset of ['4294967296', '-1', '1.5', 'x', '', '+1', '01', '#1', '9223372036854775808']) {
      expect(t.run('SETBIT', 'k', offset, '1'), offset).toEqual(BAD_OFFSET);
      expect(t.run('GETBIT', 'k', offset), offset).toEqual(BAD_OFFSET);
    }
    for (const bit of ['2', '-1', 'x', '01', '-0', ' 1', '']) expect(t.run('SETBIT', 'k', '0', bit), bit).toEqual(BAD_BIT);
    expect(t.run('EXISTS', 'k')).toBe(0);
  });

  it('bounds offsets by proto-max-bulk-len, as Redis does', () => {
    const t = engine({ 'proto-max-bulk-len': '1048576' });
    expect(t.run('SETBIT', 'k', '8388607', '1')).toBe(0);
    expect(t.run('SETBIT', 'k', '8388608', '1')).toEqual(BAD_OFFSET);
    expect(t.run('CONFIG', 'SET', 'proto-max-bulk-len', '8589934592')).toEqual(OK);
    expect(t.run('GETBIT', 'k', '68719476735')).toBe(0);
    expect(t.run('GETBIT', 'k', '68719476736')).toEqual(BAD_OFFSET);
  });

  it('answers a write past what a Buffer holds with the string-too-long error', () => {
    const t = engine({ 'proto-max-bulk-len': String(2 ** 50) });
    expect(t.run('SETBIT', 'k', String(2 ** 52), '1')).toEqual(err('ERR string exceeds maximum allowed size (proto-max-bulk-len)'));
    expect(t.run('BITFIELD', 'k', 'SET', 'u8', String(2 ** 52), '1')).toEqual(err('ERR string exceeds maximum allowed size (proto-max-bulk-len)'));
    expect(t.run('GETBIT', 'k', String(2 ** 52))).toBe(0);
    expect(t.run('EXISTS', 'k')).toBe(0);
  });

  it('checks the offset and the bit before the type', () => {
    const t = engine();
    t.run('RPUSH', 'l', 'x');
    expect(t.run('SETBIT', 'l', 'x', '1')).toEqual(BAD_OFFSET);
    expect(t.run('SETBIT', 'l', '0', '2')).toEqual(BAD_BIT);
    expect(t.run('SETBIT', 'l', '0', '1')).toEqual(WRONGTYPE);
    expect(t.run('GETBIT', 'l', 'x')).toEqual(BAD_OFFSET);
    expect(t.run('GETBIT', 'l', '0')).toEqual(WRONGTYPE);
  });
});

// ------------------------------------------------------------------ BITCOUNT

describe('BITCOUNT', () => {
  it('counts in byte and bit ranges with negative indices', () => {
    const t = engine();
    t.run('SET', 's', 'foobar');
    expect(t.run('BITCOUNT', 's')).toBe(26);
    expect(t.run('BITCOUNT', 's', '0', '0')).toBe(4);
    expect(t.run('BITCOUNT', 's', '1', '1')).toBe(6);
    expect(t.run('BITCOUNT', 's', '1', '1', 'byte')).toBe(6);
    expect(t.run('BITCOUNT', 's', '5', '30', 'BIT')).toBe(17);
    expect(t.run('BITCOUNT', 's', '-5', '-1', 'bit')).toBe(2);
    expect(t.run('BITCOUNT', 's', '7', '0', 'BIT')).toBe(0);
    expect(t.run('BITCOUNT', 's', '-100', '100')).toBe(26);
    expect(t.run('BITCOUNT', 's', '0', '9223372036854775807')).toBe(26);
    expect(t.run('BITCOUNT', 's', '-9223372036854775808', '-1')).toBe(26);
    expect(t.run('BITCOUNT', 's', '10', '20')).toBe(0);
  });

  it('answers 0 for crossed negative ranges before reading the unit, and for missing keys before anything', () => {
    const t = engine();
    t.run('SET', 's', 'foobar');
    expect(t.run('BITCOUNT', 's', '-1', '-5', 'FOO')).toBe(0);
    expect(t.run('BITCOUNT', 's', '1', '2', 'FOO')).toEqual(SYNTAX);
    expect(t.run('BITCOUNT', 's', '1')).toEqual(SYNTAX);
    expect(t.run('BITCOUNT', 's', '1', '2', 'BIT', 'x')).toEqual(SYNTAX);
    expect(t.run('BITCOUNT', 's', 'x', '1')).toEqual(NOT_INTEGER);
    expect(t.run('BITCOUNT', 's', '0', '9223372036854775808')).toEqual(NOT_INTEGER);
    expect(t.run('BITCOUNT', 'missing', 'x')).toBe(0);
    expect(t.run('BITCOUNT', 'missing', '1', '2', 'foo')).toBe(0);
    t.run('SET', 'e', '');
    expect(t.run('BITCOUNT', 'e')).toBe(0);
    expect(t.run('BITCOUNT', 'e', '0', '-1', 'BIT')).toBe(0);
    t.run('RPUSH', 'l', 'x');
    expect(t.run('BITCOUNT', 'l', 'x')).toEqual(WRONGTYPE);
  });

  it('counts long values of both representations exactly', () => {
    const t = engine();
    const pattern = '\x81\x00\xff'.repeat(100_000);
    t.run('SET', 'js', pattern);
    expect(t.run('BITCOUNT', 'js')).toBe(1_000_000);
    expect(t.run('BITCOUNT', 'js', '1', '-2')).toBe(1_000_000 - 2 - 8);
    expect(t.run('BITCOUNT', 'js', '7', '-9', 'BIT')).toBe(1_000_000 - 1 - 8);
    expect(t.run('SETBIT', 'raw', String(8 * 1_000_003 - 1), '1')).toBe(0);
    t.run('BITOP', 'OR', 'raw', 'raw', 'js');
    expect(t.run('OBJECT', 'ENCODING', 'raw')).toBe('raw');
    expect(t.run('BITCOUNT', 'raw')).toBe(1_000_001);
  });
});

// ------------------------------------------------------------------ BITPOS

describe('BITPOS', () => {
  it('finds set and clear bits, treating the right as zero padded only without an end', () => {
    const t = engine();
    t.run('SET', 'f', '\xff\xff');
    expect(t.run('BITPOS', 'f', '0')).toBe(16);
    expect(t.run('BITPOS', 'f', '0', '1')).toBe(16);
    expect(t.run('BITPOS', 'f', '0', '0', '-1')).toBe(-1);
    expect(t.run('BITPOS', 'f', '0', '3', '-1', 'BIT')).toBe(-1);
    expect(t.run('BITPOS', 'f', '1', '3', '-1', 'bit')).toBe(3);
    expect(t.run('BITPOS', 'f', '1', '-100', '-50')).toBe(0);
    expect(t.run('BITPOS', 'f', '1', '-1', '-2')).toBe(-1);
    expect(t.run('BITPOS', 'f', '0', '5')).toBe(-1);
    t.run('SET', 's', '\xff\xf0\x00');
    expect(t.run('BITPOS', 's', '0')).toBe(12);
    expect(t.run('BITPOS', 's', '1', '2')).toBe(-1);
    expect(t.run('BITPOS', 's', '0', '8', '11', 'BIT')).toBe(-1);
    expect(t.run('BITPOS', 's', '0', '8', '12', 'BIT')).toBe(12);
    expect(t.run('BITPOS', 's', '1', '1', '1', 'BYTE')).toBe(8);
  });

  it('answers missing and empty keys, and errors, in Redis\'s order', () => {
    const t = engine();
    expect(t.run('BITPOS', 'missing', '0')).toBe(0);
    expect(t.run('BITPOS', 'missing', '1')).toBe(-1);
    expect(t.run('BITPOS', 'missing', '1', 'x', 'y', 'z', 'w')).toBe(-1);
    expect(t.run('BITPOS', 'missing', '2')).toEqual(BIT_NOT_BINARY);
    expect(t.run('BITPOS', 'missing', 'x')).toEqual(NOT_INTEGER);
    t.run('SET', 'e', '');
    expect(t.run('BITPOS', 'e', '0')).toBe(-1);
    expect(t.run('BITPOS', 'e', '1', '0')).toBe(-1);
    expect(t.run('BITPOS', 'e', '0', 'x')).toEqual(NOT_INTEGER);
    t.run('SET', 's', 'ab');
    expect(t.run('BITPOS', 's', '1', '0', 'x', 'foo')).toEqual(SYNTAX);
    expect(t.run('BITPOS', 's', '1', '0', 'x', 'bit')).toEqual(NOT_INTEGER);
    expect(t.run('BITPOS', 's', '1', '0', '1', '2', '3')).toEqual(SYNTAX);
    t.run('RPUSH', 'l', 'x');
    expect(t.run('BITPOS', 'l', '2')).toEqual(BIT_NOT_BINARY);
    expect(t.run('BITPOS', 'l', '1', 'x')).toEqual(WRONGTYPE);
  });

  it('finds a bit deep in a long value', () => {
    const t = engine();
    t.run('SETBIT', 'k', '8000001', '1');
    expect(t.run('BITPOS', 'k', '1')).toBe(8000001);
    expect(t.run('BITPOS', 'k', '1', '3', '-1', 'BIT')).toBe(8000001);
    expect(t.run('BITPOS', 'k', '0', '8000000', '-1', 'BIT')).toBe(8000000);
    t.run('SET', 'ones', '\xff'.repeat(100_001));
    expect(t.run('BITPOS', 'ones', '0')).toBe(800_008);
    expect(t.run('BITPOS', 'ones', '0', '0', '-1')).toBe(-1);
  });
});

// ------------------------------------------------------------------ BITOP

describe('BITOP', () => {
  it('combines zero-padded sources into the destination and replies its length', () => {
    const t = engine();
    t.run('SET', 'a1', 'ab');
    t.run('SET', 'a2', 'abcde');
    expect(t.run('BITOP', 'AND', 'd', 'a1', 'a2')).toBe(5);
    expect(t.run('GET', 'd')).toBe('ab\x00\x00\x00');
    expect(t.run('BITOP', 'or', 'd', 'a1', 'a2', 'missing')).toBe(5);
    expect(t.run('GET', 'd')).toBe('abcde');
    expect(t.run('BITOP', 'Xor', 'd', 'a1', 'a2')).toBe(5);
    expect(t.run('GET', 'd')).toBe('\x00\x00cde');
    expect(t.run('BITOP', 'NOT', 'd', 'a1')).toBe(2);
    expect(t.run('GET', 'd')).toBe('\x9e\x9d');
    expect(t.run('BITOP', 'AND', 'a1', 'a1', 'a2')).toBe(5); // a source may be the destination
    expect(t.run('GET', 'a1')).toBe('ab\x00\x00\x00');
    t.run('SET', 'n', '12');
    expect(t.run('BITOP', 'AND', 'd', 'n')).toBe(2);
    expect(t.run('OBJECT', 'ENCODING', 'd')).toBe('raw');
  });

  it('overwrites a destination of any type, drops its TTL, and deletes it for an empty result', () => {
    const t = engine();
    t.run('RPUSH', 'd', 'x');
    t.run('EXPIRE', 'd', '100');
    t.run('SET', 's', 'foobar');
    expect(t.run('BITOP', 'XOR', 'd', 's', 'missing')).toBe(6);
    expect(t.run('TYPE', 'd')).toEqual(new SimpleString('string'));
    expect(t.run('TTL', 'd')).toBe(-1);
    t.run('SET', 'e', '');
    expect(t.run('BITOP', 'OR', 'd', 'missing', 'e')).toBe(0);
    expect(t.run('EXISTS', 'd')).toBe(0);
    expect(t.run('BITOP', 'NOT', 'd', 'missing')).toBe(0);
    expect(t.run('EXISTS', 'd')).toBe(0);
  });

  it('checks the operation, then NOT\'s arity, then the source types', () => {
    const t = engine();
    t.run('RPUSH', 'l', 'x');
    t.run('SET', 's', 'x');
    expect(t.run('BITOP', 'FOO', 'd', 'l')).toEqual(SYNTAX);
    expect(t.run('BITOP', 'NOTT', 'd', 's')).toEqual(SYNTAX);
    expect(t.run('BITOP', 'not', 'd', 'l', 'l')).toEqual(NOT_ONE_SOURCE);
    expect(t.run('BITOP', 'NOT', 'd', 'l')).toEqual(WRONGTYPE);
    expect(t.run('BITOP', 'AND', 'd', 's', 'l')).toEqual(WRONGTYPE);
    expect(t.run('EXISTS', 'd')).toBe(0);
    expect(t.run('BITOP', 'AND', 'd')).toEqual(err("ERR wrong number of arguments for 'bitop' command"));
  });
});

// ------------------------------------------------------------------ BITFIELD

describe('BITFIELD', () => {
  it('runs several subcommands in order, OVERFLOW applying to those after it', () => {
    const t = engine();
    expect(t.run('BITFIELD', 'k', 'SET', 'u8', '0', '-1', 'OVERFLOW', 'SAT', 'SET', 'u8', '8', '-1', 'SET', 'u8', '16', '256',
      'OVERFLOW', 'FAIL', 'SET', 'u8', '24', '-1', 'SET', 'u8', '24', '255')).toEqual([0, 0, 0, null, 0]);
    expect(t.run('BITFIELD', 'k', 'GET', 'u8', '0', 'GET', 'u8', '8', 'GET', 'u8', '16', 'GET', 'u8', '24', 'GET', 'i8', '0'))
      .toEqual([255, 255, 255, 255, -1]);
    expect(t.run('BITFIELD', 'k', 'SET', 'i8', '0', '128', 'OVERFLOW', 'SAT', 'SET', 'i8', '8', '128', 'SET', 'i8', '16', '-129',
      'overflow', 'wrap', 'SET', 'i8', '24', '-129')).toEqual([-1, -1, -1, -1]);
    expect(t.run('BITFIELD', 'k', 'GET', 'i8', '0', 'GET', 'i8', '8', 'GET', 'i8', '16', 'GET', 'i8', '24')).toEqual([-128, 127, -128, 127]);
    expect(t.run('BITFIELD', 'k', 'incrby', 'u2', '100', '1', 'OVERFLOW', 'SAT', 'INCRBY', 'u2', '102', '1', 'OVERFLOW', 'FAIL', 'INCRBY', 'u2', '104', '1'))
      .toEqual([1, 1, 1]);
    expect(t.run('BITFIELD', 'k', 'OVERFLOW', 'WRAP', 'INCRBY', 'u2', '100', '5', 'OVERFLOW', 'SAT', 'INCRBY', 'u2', '102', '-5',
      'OVERFLOW', 'FAIL', 'INCRBY', 'u2', '104', '-5', 'INCRBY', 'u2', '104', '3')).toEqual([2, 0, null, null]);
    expect(t.run('STRLEN', 'k')).toBe(14);
  });

  it('does exact 64-bit signed and 63-bit unsigned arithmetic', () => {
    const t = engine();
    expect(t.run('BITFIELD', 'k', 'SET', 'i64', '0', '-9223372036854775808', 'INCRBY', 'i64', '0', '-1', 'OVERFLOW', 'SAT',
      'INCRBY', 'i64', '0', '-1', 'INCRBY', 'i64', '0', '9223372036854775807', 'INCRBY', 'i64', '0', '9223372036854775807',
      'OVERFLOW', 'FAIL', 'INCRBY', 'i64', '0', '1', 'INCRBY', 'i64', '0', '-1'))
      .toEqual([0, 9223372036854775807n, 9223372036854775806n, 9223372036854775807n, 9223372036854775807n, null, 9223372036854775806n]);
    expect(t.run('BITFIELD', 'k', 'SET', 'u63', '0', '-1', 'GET', 'u63', '0', 'OVERFLOW', 'SAT', 'SET', 'u63', '0', '-1', 'GET', 'u63', '0',
      'INCRBY', 'u63', '0', '-9223372036854775808', 'OVERFLOW', 'WRAP', 'INCRBY', 'u63', '0', '-9223372036854775808',
      'INCRBY', 'u63', '0', '9223372036854775807'))
      .toEqual([4611686018427387903n, 9223372036854775807n, 9223372036854775807n, 9223372036854775807n, 0, 0, 9223372036854775807n]);
    expect(t.run('BITFIELD', 'k', 'SET', 'i1', '3', '1', 'GET', 'i1', '3', 'GET', 'u1', '3', 'INCRBY', 'i1', '3', '1',
      'OVERFLOW', 'SAT', 'INCRBY', 'i1', '3', '-5', 'INCRBY', 'u1', '5', '5')).toEqual([-1, -1, 1, 0, -1, 1]);
  });

  it('reads unaligned fields of every width', () => {
    const t = engine();
    expect(t.run('BITFIELD', 'k', 'SET', 'u5', '3', '31', 'GET', 'u32', '0', 'GET', 'i13', '2', 'INCRBY', 'i33', '5', '-9999999999',
      'GET', 'u63', '1', 'GET', 'i64', '1', 'GET', 'i64', '7'))
      .toEqual([0, 520093696, 3968, -2483807231, 2139157527546298368n, 4278315055092596736n, -2888997579717083136n]);
  });

  it('multiplies #N offsets by the width, wrapping in int64 as Redis does', () => {
    const t = engine();
    expect(t.run('BITFIELD', 'k', 'SET', 'u8', '#1', '65', 'SET', 'i4', '#5', '-1', 'GET', 'u8', '8', 'GET', 'u4', '20')).toEqual([0, 0, 65, 15]);
    expect(t.run('GET', 'k')).toBe('\x00A\x0f');
    expect(t.run('BITFIELD', 'k', 'GET', 'i8', '#2305843009213693953')).toEqual([65]); // 8 * (2^61 + 1) wraps to 8
    expect(t.run('BITFIELD', 'k', 'GET', 'i8', '#536870911')).toEqual([0]);
    for (const offset of ['#536870912', '#1152921504606846976', '#-1', '#', '##1', '#+1', '#01', '-1', '4294967296', ' 1']) {
      expect(t.run('BITFIELD', 'k', 'GET', 'i8', offset), offset).toEqual(BAD_OFFSET);
    }
  });

  it('grows only for writes, even a failed one, and creates no key for GETs alone', () => {
    const t = engine();
    expect(t.run('BITFIELD', 'm', 'GET', 'u8', '0', 'GET', 'i64', '100')).toEqual([0, 0]);
    expect(t.run('BITFIELD', 'm')).toEqual([]);
    expect(t.run('BITFIELD', 'm', 'OVERFLOW', 'SAT')).toEqual([]);
    expect(t.run('EXISTS', 'm')).toBe(0);
    t.run('SET', 's', 'ab');
    expect(t.run('BITFIELD', 's', 'GET', 'u16', '100')).toEqual([0]);
    expect(t.run('STRLEN', 's')).toBe(2);
    expect(t.run('BITFIELD', 'f', 'OVERFLOW', 'FAIL', 'SET', 'u8', '100', '999')).toEqual([null]);
    expect(t.run('STRLEN', 'f')).toBe(14);
    t.run('SET', 'n', '12');
    expect(t.run('BITFIELD', 'n', 'GET', 'u8', '0')).toEqual([49]);
    expect(t.run('OBJECT', 'ENCODING', 'n')).toBe('int');
    expect(t.run('BITFIELD', 'n', 'OVERFLOW', 'FAIL', 'SET', 'u8', '0', '9999')).toEqual([null]);
    expect(t.run('OBJECT', 'ENCODING', 'n')).toBe('raw');
    expect(t.run('GET', 'n')).toBe('12');
  });

  it('parses every subcommand before looking at the key', () => {
    const t = engine();
    t.run('RPUSH', 'l', 'x');
    expect(t.run('BITFIELD', 'l')).toEqual(WRONGTYPE);
    expect(t.run('BITFIELD', 'l', 'OVERFLOW', 'WRAP')).toEqual(WRONGTYPE);
    expect(t.run('BITFIELD', 'l', 'GET', 'u8', '0')).toEqual(WRONGTYPE);
    expect(t.run('BITFIELD', 'l', 'SET', 'i8', '0', '1')).toEqual(WRONGTYPE);
    expect(t.run('BITFIELD', 'l', 'GET', 'u8', 'x')).toEqual(BAD_OFFSET);
    expect(t.run('BITFIELD', 'l', 'SET', 'i8', '0', 'x')).toEqual(NOT_INTEGER);
    expect(t.run('BITFIELD', 'l', 'OVERFLOW', 'foo')).toEqual(BAD_OVERFLOW);
    expect(t.run('BITFIELD', 'l', 'foo')).toEqual(SYNTAX);
    expect(t.run('BITFIELD', 'm', 'GET', 'u64', '0', 'foo')).toEqual(BAD_TYPE);
    expect(t.run('BITFIELD', 'm', 'GET', 'u8', '0', 'OVERFLOW')).toEqual(SYNTAX);
    expect(t.run('BITFIELD', 'm', 'GET', 'i8')).toEqual(SYNTAX);
    expect(t.run('BITFIELD', 'm', 'SET', 'i8', '0')).toEqual(SYNTAX);
    expect(t.run('BITFIELD', 'm', 'SET', 'i8', '0', '9223372036854775808')).toEqual(NOT_INTEGER);
    expect(t.run('BITFIELD', 'm', 'GeT', 'i8', '0', 'SET', 'u8', '0', '1', 'get', 'u8', '0')).toEqual([0, 0, 1]);
  });

  it('accepts i1..i64 and u1..u63 only', () => {
    const t = engine();
    for (const type of ['i64', 'u63', 'i1', 'u1', 'i32']) expect(t.run('BITFIELD', 'm', 'GET', type, '0'), type).toEqual([0]);
    for (const type of ['u64', 'i65', 'i0', 'u0', 'I8', 'U8', 'i+8', 'i08', 'x8', 'i', '', 'i-1', 'i8 ']) {
      expect(t.run('BITFIELD', 'm', 'GET', type, '0'), type).toEqual(BAD_TYPE);
    }
  });

  it('keeps the TTL and signals the key only when something was written', () => {
    const t = engine();
    t.run('SETBIT', 'k', '0', '1');
    t.run('EXPIRE', 'k', '100');
    const spy = vi.spyOn(t.engine, 'onKeyModified');
    t.run('BITFIELD', 'k', 'GET', 'u8', '0');
    t.run('BITFIELD', 'k', 'OVERFLOW', 'FAIL', 'INCRBY', 'u1', '0', '1');
    expect(spy).not.toHaveBeenCalled();
    t.run('BITFIELD', 'k', 'INCRBY', 'u8', '0', '1');
    expect(spy).toHaveBeenCalledTimes(1);
    expect(t.run('TTL', 'k')).toBe(100);
  });
});

describe('BITFIELD_RO', () => {
  it('reads like BITFIELD GET and refuses SET and INCRBY once all is parsed', () => {
    const t = engine();
    t.run('SET', 'k', 'A');
    expect(t.run('BITFIELD_RO', 'k', 'GET', 'u8', '0', 'get', 'i4', '#1')).toEqual([65, 1]);
    expect(t.run('BITFIELD_RO', 'k')).toEqual([]);
    expect(t.run('BITFIELD_RO', 'm', 'GET', 'u8', '0')).toEqual([0]);
    expect(t.run('EXISTS', 'm')).toBe(0);
    expect(t.run('BITFIELD_RO', 'm', 'SET', 'u8', '0', '1')).toEqual(RO_ONLY_GET);
    expect(t.run('BITFIELD_RO', 'm', 'INCRBY', 'u8', '0', '1')).toEqual(RO_ONLY_GET);
    expect(t.run('BITFIELD_RO', 'm', 'SET', 'u64', '0', '1')).toEqual(BAD_TYPE);
    expect(t.run('BITFIELD_RO', 'm', 'SET', 'u8', 'x', '1')).toEqual(BAD_OFFSET);
    expect(t.run('BITFIELD_RO', 'm', 'SET', 'u8', '0')).toEqual(SYNTAX);
    // The refusal comes after every subcommand parsed, before the type is looked at.
    expect(t.run('BITFIELD_RO', 'm', 'SET', 'u8', '0', 'x')).toEqual(NOT_INTEGER);
    expect(t.run('BITFIELD_RO', 'm', 'INCRBY', 'u1', '0', '0', 'GET', 'x8', '0')).toEqual(BAD_TYPE);
    expect(t.run('BITFIELD_RO', 'm', 'SET', 'u8', '0', '1', 'foo')).toEqual(SYNTAX);
    expect(t.run('BITFIELD_RO', 'm', 'OVERFLOW', 'SAT')).toEqual([]);
    expect(t.run('BITFIELD_RO', 'm', 'OVERFLOW', 'x')).toEqual(BAD_OVERFLOW);
    t.run('RPUSH', 'l', 'x');
    expect(t.run('BITFIELD_RO', 'l', 'SET', 'u8', '0', '1')).toEqual(RO_ONLY_GET);
    expect(t.run('BITFIELD_RO', 'l')).toEqual(WRONGTYPE);
  });
});

// ------------------------------------------------------------------ differential against real Redis

const redis = useRedisOracle('bitmap');

type Argv = string[];

describe.skipIf(!redisServerPath)('differential against real Redis', () => {
  it('COMMAND INFO and COMMAND DOCS of every bitmap command, RESP2 and RESP3', async () => {
    await expectCommandDocsMatch(redis.port, ['setbit', 'getbit', 'bitcount', 'bitpos', 'bitop', 'bitfield', 'bitfield_ro']);
  });

  it('fixed cases: limits, errors, encodings, RESP3', async () => {
    const r = redis.client;
    const groups: Argv[][] = [
      [['SET', 's', 'foobar'], ['SET', 'n', '12'], ['RPUSH', 'l', 'x'], ['SET', 'e', ''],
        ['SETBIT', 'n', '0', '0'], ['OBJECT', 'ENCODING', 'n'], ['BITOP', 'NOT', 'd', 's'], ['OBJECT', 'ENCODING', 'd'], ['GET', 'd'],
        ['BITCOUNT', 's', '1', '1', 'BIT'], ['BITCOUNT', 'e', '0', '-1', 'BIT'], ['BITCOUNT', 'l', '0'], ['BITCOUNT', 'missing', '0'],
        ['BITPOS', 'e', '0'], ['BITPOS', 'l', '3'], ['BITPOS', 's', '0', '-3', '-1', 'bit'], ['BITPOS', 's', '1', '1', '9223372036854775807', 'bit'],
        ['SETBIT', 'l', '4294967296', '1'], ['GETBIT', 's', '4294967295'], ['SETBIT', 's', '1', 'on'],
        ['BITFIELD', 'l', 'GET', 'u64', '0'], ['BITFIELD', 'e', 'SET', 'i64', '#1', '-1', 'GET', 'u63', '65'], ['GET', 'e'],
        ['BITFIELD_RO', 'e', 'INCRBY', 'i8', '0', '1'], ['BITOP', 'NOT', 'd', 'l', 'l'], ['BITOP', 'AND', 'd', 'missing'], ['EXISTS', 'd']],
      [['HELLO', '3'], ['BITFIELD', 'k', 'OVERFLOW', 'FAIL', 'INCRBY', 'i8', '0', '200', 'INCRBY', 'i8', '0', '100', 'GET', 'i8', '0'],
        ['BITFIELD_RO', 'k', 'GET', 'i8', '0'], ['BITFIELD', 'missing'], ['BITCOUNT', 'k'], ['BITPOS', 'k', '1'], ['HELLO', '2']],
      [['CONFIG', 'SET', 'proto-max-bulk-len', '1048576'], ['SETBIT', 'k', '8388607', '1'], ['SETBIT', 'k', '8388608', '1'],
        ['BITFIELD', 'b', 'SET', 'u8', '8388601', '1'], ['STRLEN', 'b'], ['BITFIELD', 'b', 'GET', 'u8', '#1048576'],
        ['CONFIG', 'SET', 'proto-max-bulk-len', '536870912']],
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

  // Random sequences over a few keys, one of them a list for the WRONGTYPE paths.
  const KEYS = ['k1', 'k2', 'k3', 'lst'];
  const key = fc.constantFrom(...KEYS);
  const VALUES = ['', 'a', 'foobar', '12', '\xff\xf0\x00', '\x00'.repeat(9) + '\x01', '\xff'.repeat(40), 'x\x81'.repeat(60)];
  const bitOffset = fc.constantFrom('0', '1', '7', '8', '15', '31', '63', '100', '333', '1000', '-1', '4294967296', 'x', '#1');
  const index = fc.constantFrom('0', '1', '2', '-1', '-2', '5', '-5', '10', '-100', '100', '37', 'x', '9223372036854775807', '-9223372036854775808');
  const unit = fc.constantFrom<Argv>([], ['BIT'], ['BYTE'], ['bit'], ['foo']);
  const fieldType = fc.constantFrom('u1', 'u4', 'u8', 'i8', 'i1', 'u16', 'i32', 'u32', 'i64', 'u63', 'i5', 'i40', 'u64', 'i65', 'x8');
  const fieldOffset = fc.constantFrom('0', '1', '3', '7', '8', '13', '#0', '#1', '#3', '33', '100', '-1', 'x');
  const fieldValue = fc.constantFrom('0', '1', '-1', '100', '255', '-128', '127', '4294967296', '9223372036854775807', '-9223372036854775808', 'x');
  const fieldOp = fc.oneof(
    { weight: 3, arbitrary: fc.tuple(fieldType, fieldOffset).map(([ty, o]) => ['GET', ty, o]) },
    { weight: 3, arbitrary: fc.tuple(fieldType, fieldOffset, fieldValue).map(([ty, o, v]) => ['SET', ty, o, v]) },
    { weight: 3, arbitrary: fc.tuple(fieldType, fieldOffset, fieldValue).map(([ty, o, v]) => ['INCRBY', ty, o, v]) },
    { weight: 2, arbitrary: fc.constantFrom(['OVERFLOW', 'WRAP'], ['OVERFLOW', 'SAT'], ['OVERFLOW', 'fail'], ['OVERFLOW', 'x'], ['OVERFLOW']) },
  );
  const getOp = fc.tuple(fieldType, fieldOffset).map(([ty, o]) => ['GET', ty, o]);
  const command: fc.Arbitrary<Argv> = fc.oneof(
    { weight: 4, arbitrary: fc.tuple(key, bitOffset, fc.constantFrom('0', '1', '1', '2', 'x')).map(([k, o, v]) => ['SETBIT', k, o, v]) },
    { weight: 2, arbitrary: fc.tuple(key, bitOffset).map(([k, o]) => ['GETBIT', k, o]) },
    {
      weight: 3,
      arbitrary: fc.tuple(key, fc.oneof(fc.constant<Argv>([]), fc.tuple(index, index, unit).map(([a, b, u]) => [a, b, ...u]), fc.constant(['1'])))
        .map(([k, rest]) => ['BITCOUNT', k, ...rest]),
    },
    {
      weight: 3,
      arbitrary: fc.tuple(key, fc.constantFrom('0', '1', '1', '0', '2'), fc.integer({ min: 0, max: 3 }), index, index, unit)
        .map(([k, bit, n, a, b, u]) => ['BITPOS', k, bit, ...(n >= 1 ? [a] : []), ...(n >= 2 ? [b] : []), ...(n >= 3 ? u : [])]),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(fc.constantFrom('AND', 'OR', 'XOR', 'NOT', 'not', 'FOO'), key, fc.array(key, { minLength: 1, maxLength: 3 }))
        .map(([op, d, ks]) => ['BITOP', op, d, ...ks]),
    },
    { weight: 4, arbitrary: fc.tuple(key, fc.array(fieldOp, { maxLength: 4 })).map(([k, ops]) => ['BITFIELD', k, ...ops.flat()]) },
    { weight: 1, arbitrary: fc.tuple(key, fc.array(fc.oneof(getOp, getOp, fieldOp), { maxLength: 3 })).map(([k, ops]) => ['BITFIELD_RO', k, ...ops.flat()]) },
    { weight: 2, arbitrary: fc.tuple(key, fc.constantFrom(...VALUES)).map(([k, v]) => ['SET', k, v]) },
    fc.tuple(key, fc.constantFrom(...VALUES)).map(([k, v]) => ['APPEND', k, v]),
    fc.tuple(fc.constantFrom('GET', 'STRLEN', 'TYPE', 'DEL'), key).map(([c, k]) => [c, k]),
    fc.tuple(key).map(([k]) => ['OBJECT', 'ENCODING', k]),
    fc.constant(['RPUSH', 'lst', 'x']),
  );

  async function runSequence(protocol: '2' | '3', commands: Argv[]): Promise<void> {
    const r = redis.client;
    await r.call('FLUSHALL');
    await r.call('HELLO', protocol);
    const ours = engineRespClient(createTestEngine().engine);
    ours.call('HELLO', protocol);
    for (const argv of commands) expect(ours.call(...argv), argv.join(' ')).toEqual(await r.call(...argv));
    for (const k of KEYS) expect(ours.call('GET', k), `final value of ${k}`).toEqual(await r.call('GET', k));
  }

  it('random values: BITCOUNT, BITPOS and BITFIELD GET over random ranges agree', async () => {
    const r = redis.client;
    const byteArb = fc.oneof(fc.constant(0), fc.constant(0xff), fc.integer({ min: 0, max: 255 }));
    const value = fc.array(byteArb, { maxLength: 80 }).map((bytes) => Buffer.from(bytes).toString('latin1'));
    const int = fc.oneof(fc.integer({ min: -700, max: 700 }), fc.integer({ min: -12, max: 12 })).map(String);
    const query: fc.Arbitrary<Argv> = fc.oneof(
      fc.tuple(int, int, unit).map(([a, b, u]) => ['BITCOUNT', 'v', a, b, ...u]),
      fc.tuple(fc.constantFrom('0', '1'), fc.integer({ min: 0, max: 3 }), int, int, fc.constantFrom<Argv>([], ['BIT'], ['BYTE']))
        .map(([bit, n, a, b, u]) => ['BITPOS', 'v', bit, ...(n >= 1 ? [a] : []), ...(n >= 2 ? [b] : []), ...(n >= 3 ? u : [])]),
      fc.tuple(fc.constantFrom('i', 'u'), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 700 }))
        .map(([s, bits, o]) => ['BITFIELD_RO', 'v', 'GET', `${s}${s === 'u' && bits === 64 ? 63 : bits}`, String(o)]),
    );
    await fc.assert(fc.asyncProperty(value, fc.array(query, { minLength: 1, maxLength: 20 }), async (v, queries) => {
      const ours = engineRespClient(createTestEngine().engine);
      const commands = [['SET', 'v', v], ...queries];
      const theirs = await r.pipeline(commands);
      commands.forEach((argv, i) => expect(ours.call(...argv), argv.join(' ')).toEqual(theirs[i]));
    }), { numRuns: 300 });
  });

  it('random sequences agree (RESP2 and RESP3)', async () => {
    try {
      await fc.assert(fc.asyncProperty(
        fc.array(command, { minLength: 1, maxLength: 30 }), fc.constantFrom<'2' | '3'>('2', '3'),
        (cmds, protocol) => runSequence(protocol, cmds),
      ), { numRuns: 300 });
    } finally {
      await redis.client.call('HELLO', '2');
    }
  });
});
