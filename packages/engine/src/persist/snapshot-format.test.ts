import { describe, expect, it } from 'vitest';
import { crc32 } from 'node:zlib';
import { Packr } from 'msgpackr';
import { createTestEngine, describeValue, type EngineHarness } from '../testing.js';
import type { Engine } from '../engine.js';
import type { Value } from '../keyspace.js';
import type { Reply } from '../reply.js';
import {
  FOOTER_LENGTH, SNAPSHOT_MAGIC, SNAPSHOT_VERSION, SnapshotError, SnapshotReader, encodeSnapshotBlock, encodeSnapshotFooter,
  encodeSnapshotHeader, type SnapshotHeader, type SnapshotSource,
} from './snapshot-format.js';
import { SnapshotJob, loadSnapshotRecords } from './snapshot-job.js';
import { VALUE_LIST, VALUE_STRING } from './value-codec.js';

/**
 * The snapshot file through SnapshotJob (writer) and SnapshotReader + loadSnapshotRecords
 * (loader): an engine holding every type round-trips exactly; a file cut short anywhere, or
 * with any byte flipped, never loads "successfully" — every byte is under a checksum (blocks
 * under their own, the header and block heads under the footer's file checksum, the footer
 * under its own), so a flip is always a SnapshotError.
 */

const NAME = 'dump.nds';

function source(buf: Buffer): SnapshotSource {
  return { size: buf.length, read: (position, length) => buf.subarray(position, Math.min(buf.length, position + length)) };
}

/** A snapshot of the engine, written in one go. The pieces are kept as emitted (not copied). */
function writeSnapshot(engine: Engine): Buffer {
  const parts: Buffer[] = [];
  const job = new SnapshotJob(engine, { write: (b) => { parts.push(b); }, server: 'test' });
  expect(job.step(Infinity)).toBe(true);
  expect(job.done).toBe(true);
  return Buffer.concat(parts);
}

interface Loaded { h: EngineHarness; header: SnapshotHeader; loaded: number; blocks: number }

/** Reads a snapshot into a fresh engine (throws SnapshotError on damage). */
function loadSnapshot(file: Buffer, options: { dropExpiredAt?: number; config?: Record<string, string> } = {}): Loaded {
  const h = createTestEngine({ config: options.config });
  const reader = new SnapshotReader(source(file), NAME);
  const header = reader.readHeader();
  let loaded = 0;
  let blocks = 0;
  for (;;) {
    const at = reader.position;
    const block = reader.nextBlock();
    if (block === undefined) break;
    blocks++;
    loaded += loadSnapshotRecords(h.engine, block, NAME, at, options.dropExpiredAt);
  }
  expect(reader.finished).toBe(true);
  expect(reader.nextBlock()).toBeUndefined();
  return { h, header, loaded, blocks };
}

/** What loading `file` throws (it must throw a SnapshotError). */
function loadError(file: Buffer): SnapshotError {
  try {
    loadSnapshot(file);
  } catch (e) {
    if (!(e instanceof SnapshotError)) throw new Error(`not a SnapshotError: ${String(e)}`);
    return e;
  }
  throw new Error('loaded successfully');
}

// ---------------------------------------------------------------- the data set, canonical

function canon(v: Value): string {
  return describeValue(v);
}

/** Every db's keys → canonical value and absolute expiry, read from the shards' Maps (nothing expires). */
function dataset(engine: Engine): Map<string, string> {
  const out = new Map<string, string>();
  for (const db of engine.dbs) {
    for (const shard of db.shards) {
      for (const [key, v] of shard.data) out.set(`${db.index} ${JSON.stringify(key)}`, `${canon(v)} ttl=${shard.expires.get(key) ?? 'none'}`);
      for (const key of shard.expires.keys()) if (!shard.data.has(key)) out.set(`${db.index} ${JSON.stringify(key)}`, 'STRAY EXPIRY');
    }
  }
  return out;
}

function expectSameDataset(a: Engine, b: Engine): void {
  const x = dataset(a);
  const y = dataset(b);
  for (const [k, v] of x) expect(y.get(k), k).toBe(v);
  for (const k of y.keys()) expect(x.has(k), `extra key ${k}`).toBe(true);
}

function runArgv(h: EngineHarness, argv: string[]): Reply {
  h.engine.execute(h.client, argv);
  return h.writer.takeOne();
}

const ALL_BYTES = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('');

/** An engine holding every type, encoding and corner the codec knows, in several databases. */
function everyType(): EngineHarness {
  const h = createTestEngine();
  const ok = (...argv: string[]) => expect(runArgv(h, argv)).not.toBeInstanceOf(Error);
  // Strings: embstr, int, int64 extremes, empty, all bytes (binary form), short binary, long,
  // raw (APPEND / SETRANGE / SETBIT), a RawString of at most 44 bytes, counters.
  ok('SET', 'str', 'hello');
  ok('SET', 'int', '12345');
  ok('SET', 'min', '-9223372036854775808');
  ok('SET', 'empty', '');
  ok('SET', 'allbytes', ALL_BYTES);
  ok('SET', 'shortbin', '\x00\xff\r\n\x80');
  ok('SET', '', 'the empty key');
  ok('SET', 'key\x00\r\n\xff', 'binary key');
  ok('SET', 'long', 'x'.repeat(300_000));
  ok('SET', 'raw', 'abc');
  ok('APPEND', 'raw', ALL_BYTES);
  ok('APPEND', 'rawshort', 'tiny');
  ok('SETRANGE', 'sr', '100', 'abc');
  ok('INCR', 'ctr');
  ok('INCRBYFLOAT', 'flt', '1.5');
  ok('SETBIT', 'bits', '1000', '1');
  ok('SETBIT', 'bits', '7', '1');
  // HyperLogLogs: sparse, and dense (past hll-sparse-max-bytes), with a cached cardinality.
  ok('PFADD', 'hll', 'a', 'b', 'c');
  const many: string[] = [];
  for (let i = 0; i < 3000; i++) many.push(`e${i}`);
  ok('PFADD', 'hlldense', ...many);
  ok('PFCOUNT', 'hlldense');
  // Lists.
  ok('RPUSH', 'list', 'a', '', ALL_BYTES, '\r\n', '-1');
  const items: string[] = [];
  for (let i = 0; i < 5000; i++) items.push(`item${i}`);
  ok('RPUSH', 'biglist', ...items);
  // Sets: intset (int64 extremes), hashtable of strings and binary, a big intset-turned-hashtable.
  ok('SADD', 'intset', '1', '-5', '9223372036854775807', '-9223372036854775808');
  ok('SADD', 'strset', 'a', 'b', '\xff\x00', ALL_BYTES);
  const ints: string[] = [];
  for (let i = 0; i < 1000; i++) ints.push(String(i * 7));
  ok('SADD', 'bigset', ...ints);
  // Hashes: listpack (insertion order), hashtable by value size, hashtable by count.
  ok('HSET', 'hash', 'z', '1', 'a', '2', '', 'empty field', 'bin\xff', '\x00');
  ok('HSET', 'hashlong', 'f', 'v'.repeat(100));
  const fields: string[] = [];
  for (let i = 0; i < 600; i++) fields.push(`f${i}`, `v${i}`);
  ok('HSET', 'bighash', ...fields);
  // Sorted sets: inf scores, fractions, big integers, ties ordered by member; a skiplist.
  ok('ZADD', 'zset', '1', 'a', '2.5', 'b', '-inf', 'lo', '+inf', 'hi', '0', 'zero', '1', 'a2', '9007199254740993', 'big');
  const members: string[] = [];
  for (let i = 0; i < 300; i++) members.push(String(i / 3), `m${i}`);
  ok('ZADD', 'bigzset', ...members);
  // TTLs in the future, one far.
  ok('EXPIRE', 'str', '100');
  ok('PEXPIRE', 'list', '12345');
  ok('PEXPIREAT', 'hash', '9999999999999');
  ok('SET', 'soon', 'v', 'PX', '10');
  // Other databases.
  ok('SELECT', '1');
  ok('SET', 'str', 'db1');
  ok('SADD', 'intset', '42');
  ok('EXPIRE', 'str', '50');
  ok('SELECT', '15');
  ok('ZADD', 'zset', '-1', 'x');
  ok('SELECT', '0');
  return h;
}

describe('a snapshot of every type', () => {
  it('loads back into a fresh engine: every key, type, content and TTL in every database', () => {
    const src = everyType();
    const file = writeSnapshot(src.engine);
    const { h, header, loaded, blocks } = loadSnapshot(file);
    expect(header).toEqual({ created: src.clock.now, server: 'test', databases: 16 });
    expect(loaded).toBe(dataset(src.engine).size);
    expect(blocks).toBeGreaterThan(1); // the 300 KB string fills a block on its own
    expectSameDataset(src.engine, h.engine);
    // Through commands: the values work as their types (and the clock is the same).
    h.clock.now = src.clock.now;
    expect(h.run('GET', 'allbytes')).toBe(ALL_BYTES);
    expect(h.run('INCR', 'ctr')).toBe(2);
    expect(h.run('INCRBY', 'min', '1')).toBe(-9223372036854775807n);
    expect(h.run('GETBIT', 'bits', '1000')).toBe(1);
    expect(h.run('PFCOUNT', 'hlldense')).toBe(src.run('PFCOUNT', 'hlldense'));
    expect(h.run('PFCOUNT', 'hll')).toBe(3);
    expect(h.run('APPEND', 'raw', 'z')).toBe(260);
    expect(h.run('OBJECT', 'ENCODING', 'intset')).toBe('intset');
    expect(h.run('OBJECT', 'ENCODING', 'bigset')).toBe('hashtable');
    expect(h.run('OBJECT', 'ENCODING', 'hash')).toBe('listpack');
    expect(h.run('OBJECT', 'ENCODING', 'bighash')).toBe('hashtable');
    expect(h.run('OBJECT', 'ENCODING', 'hashlong')).toBe('hashtable');
    expect(h.run('OBJECT', 'ENCODING', 'bigzset')).toBe('skiplist');
    expect(h.run('HGETALL', 'hash')).toEqual(src.run('HGETALL', 'hash'));
    expect(h.run('ZRANGE', 'zset', '0', '-1', 'WITHSCORES')).toEqual(src.run('ZRANGE', 'zset', '0', '-1', 'WITHSCORES'));
    expect(h.run('PTTL', 'list')).toBe(12345);
    expect(h.run('TTL', 'str')).toBe(100);
    expect(h.run('DBSIZE')).toBe(src.run('DBSIZE'));
  });

  it('an empty data set: a header and a footer, nothing else', () => {
    const src = createTestEngine();
    const file = writeSnapshot(src.engine);
    const { loaded, blocks } = loadSnapshot(file);
    expect(loaded).toBe(0);
    expect(blocks).toBe(0);
    expect(file.length).toBe(16 + file.readUInt32BE(12) + FOOTER_LENGTH);
  });

  it('thousands of keys fill blocks of at most 1,000 records', () => {
    const src = createTestEngine();
    for (let i = 0; i < 4500; i++) src.run('SET', `k${i}`, `v${i}`);
    const file = writeSnapshot(src.engine);
    const { h, loaded, blocks } = loadSnapshot(file);
    expect(loaded).toBe(4500);
    expect(blocks).toBe(5);
    expectSameDataset(src.engine, h.engine);
  });

  it('dropExpiredAt skips keys whose time has passed, and keeps the others', () => {
    const src = everyType();
    const file = writeSnapshot(src.engine);
    const { h } = loadSnapshot(file, { dropExpiredAt: src.clock.now + 10 });
    expect(h.engine.dbs[0]!.peek('soon')).toBeUndefined();
    expect(h.engine.dbs[0]!.getExpire('str')).toBe(src.clock.now + 100_000);
    const { h: all } = loadSnapshot(file);
    expect(all.engine.dbs[0]!.getExpire('soon')).toBe(src.clock.now + 10);
  });

  it('a record for a database this engine does not have is refused, naming `databases`', () => {
    const src = createTestEngine();
    src.run('SELECT', '9');
    src.run('SET', 'k', 'v');
    const file = writeSnapshot(src.engine);
    expect(() => loadSnapshot(file, { config: { databases: '4' } })).toThrow(/database 9, but only 4 are configured \(raise `databases`\)/);
  });
});

// ---------------------------------------------------------------- damage

/** A small file: a few keys, one block. */
function smallFile(): Buffer {
  const src = createTestEngine();
  src.run('SET', 'a', '1');
  src.run('RPUSH', 'l', 'x', 'y');
  src.run('HSET', 'h', 'f', 'v');
  src.run('SELECT', '2');
  src.run('ZADD', 'z', '1', 'm');
  src.run('EXPIRE', 'z', '100');
  return writeSnapshot(src.engine);
}

/** A bigger file: several blocks. */
function bigFile(): Buffer {
  const src = createTestEngine();
  for (let i = 0; i < 2500; i++) src.run('SET', `k${i}`, i % 10 === 0 ? ALL_BYTES : `v${i}`);
  src.run('RPUSH', 'l', ...Array.from({ length: 2000 }, (_, i) => `e${i}`));
  return writeSnapshot(src.engine);
}

describe('a snapshot cut short', () => {
  it('at every offset of a small file: SnapshotError saying it is truncated, never a successful load', () => {
    const file = smallFile();
    expect(loadSnapshot(file).loaded).toBe(4);
    for (let cut = 0; cut < file.length; cut++) {
      const e = loadError(file.subarray(0, cut));
      expect(e.message, `cut at ${cut}`).toMatch(/^dump\.nds is truncated/);
    }
  });

  it('at random offsets of a file of several blocks', () => {
    const file = bigFile();
    const cuts = [file.length - 1, file.length - 8, file.length - FOOTER_LENGTH, file.length - FOOTER_LENGTH - 1];
    for (let i = 0; i < 150; i++) cuts.push(Math.floor(Math.random() * file.length));
    for (const cut of cuts) {
      expect(loadError(file.subarray(0, cut)).message, `cut at ${cut}`).toMatch(/^dump\.nds is truncated/);
    }
  });
});

describe('flipped bytes in a snapshot', () => {
  it('every byte of a small file, several masks: always SnapshotError (no byte is outside a checksum)', () => {
    const file = smallFile();
    for (let at = 0; at < file.length; at++) {
      for (const mask of [0x01, 0x40, 0x80, 0xff]) {
        const damaged = Buffer.from(file);
        damaged[at] = damaged[at]! ^ mask;
        const e = loadError(damaged);
        expect(e.message, `byte ${at} ^ ${mask}`).toMatch(/^dump\.nds/);
      }
    }
  });

  it('random bytes of a file of several blocks', () => {
    const file = bigFile();
    for (let i = 0; i < 300; i++) {
      const at = Math.floor(Math.random() * file.length);
      const damaged = Buffer.from(file);
      damaged[at] = damaged[at]! ^ (1 + Math.floor(Math.random() * 255));
      loadError(damaged);
    }
  });

  it('bytes after the footer', () => {
    const file = smallFile();
    expect(loadError(Buffer.concat([file, Buffer.from([0])])).message).toMatch(/1 unexpected bytes after the footer/);
  });

  it('a damaged block names its offset', () => {
    const file = smallFile();
    const blockAt = 16 + file.readUInt32BE(12);
    const damaged = Buffer.from(file);
    damaged[blockAt + 10] = damaged[blockAt + 10]! ^ 1;
    expect(loadError(damaged).message).toBe(`${NAME}: the block at offset ${blockAt} fails its checksum (damaged file)`);
  });
});

describe('files that are not snapshots this nodis reads', () => {
  it('format version 2: "newer than this nodis reads"', () => {
    const file = Buffer.from(smallFile());
    file.writeUInt32BE(2, 8);
    expect(loadError(file).message).toBe(`${NAME} has snapshot format version 2, newer than this nodis reads (${SNAPSHOT_VERSION}): upgrade nodis to load it`);
    file.writeUInt32BE(0, 8);
    expect(loadError(file).message).toMatch(/invalid snapshot format version 0/);
  });

  it('random bytes, an RDB file, an AOF: "not a nodis snapshot"', () => {
    for (let seed = 0; seed < 20; seed++) {
      const random = Buffer.alloc(4096);
      for (let i = 0; i < random.length; i++) random[i] = (i * 2654435761 + seed * 97) >>> 24;
      expect(loadError(random).message, `seed ${seed}`).toMatch(/^dump\.nds is not a nodis snapshot/);
    }
    expect(loadError(Buffer.from('REDIS0011\xfa\x09redis-ver\x067.0.15', 'latin1')).message).toMatch(/not a nodis snapshot/);
    expect(loadError(Buffer.from('*1\r\n$4\r\nPING\r\n', 'latin1')).message).toMatch(/not a nodis snapshot/);
    expect(loadError(Buffer.from('NODX', 'latin1')).message).toBe(`${NAME} is not a nodis snapshot (4 bytes)`);
    expect(loadError(Buffer.alloc(0)).message).toMatch(/^dump\.nds is truncated: 0 bytes/);
  });

  it('an implausible header length or block length is refused before allocating it', () => {
    const file = Buffer.from(smallFile());
    file.writeUInt32BE(0x7fffffff, 12);
    expect(loadError(file).message).toMatch(/header of 2147483647 bytes at offset 12 is not plausible/);
    const head = encodeSnapshotHeader({ created: 1, server: 's', databases: 16 });
    const claim = Buffer.alloc(8);
    claim.writeUInt32BE(0xfffffff0, 0);
    expect(loadError(Buffer.concat([head, claim, Buffer.alloc(100)])).message).toMatch(/claims 4294967280 bytes \(damaged file\)/);
  });

  it('a header that is not a snapshot header', () => {
    const packr = new Packr({ useRecords: false });
    for (const value of [null, 5, 'text', { created: 1 }]) {
      const body = packr.pack(value);
      const fixed = Buffer.alloc(16);
      fixed.write(SNAPSHOT_MAGIC, 0, 'latin1');
      fixed.writeUInt32BE(1, 8);
      fixed.writeUInt32BE(body.length, 12);
      expect(loadError(Buffer.concat([fixed, body])).message).toMatch(/the header at offset 16 is not a snapshot header/);
    }
  });

  /** A file built by hand from blocks of flat records, with a valid footer. */
  function handMade(blocks: unknown[][]): Buffer {
    const parts: Buffer[] = [encodeSnapshotHeader({ created: 1, server: 'hand', databases: 16 })];
    let records = 0;
    for (const b of blocks) {
      parts.push(...encodeSnapshotBlock(b));
      records += b.length / 5;
    }
    const before = Buffer.concat(parts);
    return Buffer.concat([before, encodeSnapshotFooter(blocks.length, records, crc32(before))]);
  }

  it('well-checksummed blocks whose records make no sense: SnapshotError naming the record and key', () => {
    expect(loadSnapshot(handMade([[0, 'k', VALUE_STRING, 'v', -1]])).loaded).toBe(1);
    const cases: [unknown[], RegExp][] = [
      [[0, 'k', VALUE_STRING, 'v'], /is not a record array/],
      [[-1, 'k', VALUE_STRING, 'v', -1], /record 0 of the block at offset \d+ has no valid database index/],
      [[0.5, 'k', VALUE_STRING, 'v', -1], /no valid database index/],
      [[0, 7, VALUE_STRING, 'v', -1], /has no valid key/],
      [[0, 'k', 'string', 'v', -1], /has no valid type/],
      [[0, 'k', VALUE_STRING, 'v', 'never'], /has no valid expiry/],
      [[0, 'k', 99, 'v', -1], /\(key 'k'\): unknown value type 99/],
      [[0, 'bin\x00', VALUE_LIST, [], -1], /\(key 'bin\\x00'\): empty list/],
      [[0, 'k', VALUE_STRING, 'v', -1, 0, 'k2', VALUE_LIST, 'notalist', -1], /record 1 .*\(key 'k2'\)/],
    ];
    for (const [records, message] of cases) expect(loadError(handMade([records])).message).toMatch(message);
    // The footer's counts must match the blocks.
    const good = handMade([[0, 'k', VALUE_STRING, 'v', -1]]);
    const body = good.subarray(0, good.length - FOOTER_LENGTH);
    const lying = Buffer.concat([body, encodeSnapshotFooter(2, 1, crc32(body))]);
    expect(loadError(lying).message).toMatch(/counts 2 blocks and 1 records, the file holds 1 and 1/);
  });
});
