import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { crc32 } from 'node:zlib';
import {
  AofBatchBuilder, AofCorruptError, AofReader, encodeAofBatch, parseCommand, type AofEnd, type ByteSource,
} from './aof-format.js';

/**
 * The AOF's batches and its reader, attacked: random argv (every byte value, empty strings,
 * arguments bigger than the reader's 4 MiB window), files cut at every offset, every byte of a
 * batch flipped, files Redis wrote, and garbage. The rules under test:
 * - a file cut anywhere reads as the complete batches before the cut, then a torn end at the
 *   start of the cut batch: never a partial command, never a throw;
 * - damage in a batch that other verified batches follow is corruption (AofCorruptError at the
 *   batch's checksum line); damage confined to the last batch is a torn tail (dropped).
 */

type Rec = [db: number, argv: string[]];

function source(buf: Buffer, log?: { reads: number; maxRead: number }): ByteSource {
  return {
    size: buf.length,
    read(position, length) {
      if (log) { log.reads++; log.maxRead = Math.max(log.maxRead, length); }
      return buf.subarray(position, Math.min(buf.length, position + length));
    },
  };
}

interface ReadResult {
  argv: string[][];
  ends: number[];
  end: AofEnd | undefined;
  error: unknown;
}

/** Reads a file to its end or to the first throw. */
function readAll(buf: Buffer): ReadResult {
  const reader = new AofReader(source(buf));
  const argv: string[][] = [];
  const ends: number[] = [];
  let error: unknown;
  try {
    for (let c = reader.next(); c !== undefined; c = reader.next()) {
      argv.push(c.argv);
      ends.push(c.end);
    }
    // After the end, next() keeps answering undefined.
    expect(reader.next()).toBeUndefined();
  } catch (e) {
    error = e;
  }
  return { argv, ends, end: reader.end, error };
}

/** Reads a file that must load; returns the commands. */
function readClean(buf: Buffer): { argv: string[][]; ends: number[]; end: AofEnd } {
  const r = readAll(buf);
  if (r.error !== undefined) throw r.error;
  return { argv: r.argv, ends: r.ends, end: r.end! };
}

interface BuiltFile {
  file: Buffer;
  /** Offset of each batch's checksum line. */
  starts: number[];
  /** Offset after each batch. */
  ends: number[];
  /** The commands each batch holds, SELECTs included. */
  commands: string[][][];
}

/** Writes batches with one builder (its SELECT state runs across batches, as in a live file). */
function buildFile(batches: readonly (readonly Rec[])[]): BuiltFile {
  const builder = new AofBatchBuilder();
  const parts: Buffer[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  const commands: string[][][] = [];
  let at = 0;
  let selected = -1;
  for (const batch of batches) {
    const expected: string[][] = [];
    for (const [db, argv] of batch) {
      builder.append(db, argv);
      if (db !== selected) {
        expected.push(['SELECT', String(db)]);
        selected = db;
      }
      expected.push([...argv]);
    }
    expect(builder.pending).toBeGreaterThan(0);
    const bytes = builder.take();
    expect(builder.pending).toBe(0);
    starts.push(at);
    at += bytes.length;
    ends.push(at);
    parts.push(bytes);
    commands.push(expected);
  }
  return { file: Buffer.concat(parts), starts, ends, commands };
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('latin1');
}

/** Deterministic bytes (xorshift), so failures reproduce. */
function pseudoRandomBytes(n: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  let x = seed | 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Every byte value, CRLFs, and RESP/annotation look-alikes inside arguments. */
const arg = fc.oneof(
  fc.uint8Array({ maxLength: 40 }).map(latin1),
  fc.constantFrom('', '\r\n', '*1\r\n$1\r\nx\r\n', '#CRC 00000000 5\r\n', '$-1', '\x00', '\xff\xfe', '#TS:1\r\n'),
);
const argvArb = fc.array(arg, { minLength: 1, maxLength: 6 });
const recordArb: fc.Arbitrary<Rec> = fc.tuple(fc.integer({ min: 0, max: 15 }), argvArb);
const batchesArb = fc.array(fc.array(recordArb, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 6 });

const flat = (commands: string[][][], upTo = commands.length): string[][] => commands.slice(0, upTo).flat();

/** A few batches with binary content, and a last batch of ~200 bytes. */
function sampleFile(): BuiltFile {
  return buildFile([
    [[0, ['SET', 'a', '1']], [0, ['RPUSH', 'l', '', '\r\n', '\x00\xff']]],
    [[3, ['HSET', 'h\r\n', 'f', 'v'.repeat(30)]], [3, ['DEL', 'a']]],
    [[3, ['SADD', 's', 'x', 'y', 'z']], [1, ['INCR', 'n']]],
    [[0, ['SET', 'bin\x00\r\n', latin1(pseudoRandomBytes(100, 7))]], [2, ['ZADD', 'z', '1.5', 'm', '-inf', 'n']]],
  ]);
}

// ---------------------------------------------------------------- round trips

describe('AofBatchBuilder + AofReader round trip', () => {
  it('random argv batches (every byte, empty strings, RESP look-alikes) come back exactly, with SELECTs', () => {
    fc.assert(fc.property(batchesArb, (batches) => {
      const built = buildFile(batches);
      const r = readClean(built.file);
      expect(r.argv).toEqual(flat(built.commands));
      // Each command reports the end of the batch that holds it.
      const expectedEnds = built.commands.flatMap((cmds, i) => cmds.map(() => built.ends[i]!));
      expect(r.ends).toEqual(expectedEnds);
      expect(r.end).toEqual({ truncated: false, validUpTo: built.file.length });
    }), { numRuns: 200 });
  });

  it('writes a SELECT only when the database changes, across batches, and again after resetSelection()', () => {
    const builder = new AofBatchBuilder();
    expect(builder.take().length).toBe(0); // nothing appended: nothing to write
    builder.append(2, ['SET', 'a', '1']);
    builder.append(2, ['SET', 'b', '2']);
    const first = builder.take();
    builder.append(2, ['DEL', 'a']);
    const second = builder.take();
    builder.resetSelection();
    builder.append(2, ['DEL', 'b']);
    const third = builder.take();
    expect(readClean(Buffer.concat([first, second, third])).argv).toEqual([
      ['SELECT', '2'], ['SET', 'a', '1'], ['SET', 'b', '2'], ['DEL', 'a'], ['SELECT', '2'], ['DEL', 'b'],
    ]);
    // The batch format itself: a checksum line with the crc32 and length of the RESP body.
    const text = first.toString('latin1');
    const body = '*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n';
    const crc = crc32(Buffer.from(body, 'latin1')).toString(16).padStart(8, '0');
    expect(text).toBe(`#CRC ${crc} ${body.length}\r\n${body}`);
    expect(encodeAofBatch([[2, ['SET', 'a', '1']], [2, ['SET', 'b', '2']]]).equals(first)).toBe(true);
  });

  it('thousands of commands in many batches', () => {
    const batches: Rec[][] = [];
    for (let b = 0; b < 60; b++) {
      const batch: Rec[] = [];
      for (let i = 0; i < 100; i++) batch.push([(b + (i >> 5)) % 4, ['SET', `k:${b}:${i}`, `v${i}`.repeat(i % 7)]]);
      batches.push(batch);
    }
    const built = buildFile(batches);
    const r = readClean(built.file);
    expect(r.argv.length).toBe(flat(built.commands).length);
    expect(r.argv.filter((a) => a[0] === 'SET').length).toBe(6000);
    expect(r.argv).toEqual(flat(built.commands));
  });

  it('arguments of 5 MB cross the 4 MiB read window, in batches and in plain RESP commands', () => {
    const big = latin1(pseudoRandomBytes(5 * 1024 * 1024, 99));
    const built = buildFile([
      [[0, ['SET', 'small', 'x']]],
      [[0, ['SET', 'big', big]], [0, ['APPEND', 'big', big.slice(0, 1000)]]],
      [[1, ['SET', 'after', '']]],
      [[1, ['SET', 'big2', big.slice(17)]]],
    ]);
    const log = { reads: 0, maxRead: 0 };
    const reader = new AofReader(source(built.file, log));
    const argv: string[][] = [];
    for (let c = reader.next(); c !== undefined; c = reader.next()) argv.push(c.argv);
    expect(argv.length).toBe(flat(built.commands).length);
    expect(argv[2]![2] === big).toBe(true);
    expect(argv[6]![2] === big.slice(17)).toBe(true);
    expect(argv).toEqual(flat(built.commands));
    expect(reader.end).toEqual({ truncated: false, validUpTo: built.file.length });

    // The same commands as Redis writes them (no checksum lines).
    const plain = Buffer.concat([
      Buffer.from('*3\r\n$3\r\nSET\r\n$5\r\nsmall\r\n$1\r\nx\r\n', 'latin1'),
      respCommand(['SET', 'big', big]),
      respCommand(['SET', 'big2', big.slice(3)]),
      Buffer.from('*2\r\n$3\r\nDEL\r\n$5\r\nsmall\r\n', 'latin1'),
    ]);
    const p = readClean(plain);
    expect(p.argv.map((a) => a[1])).toEqual(['small', 'big', 'big2', 'small']);
    expect(p.argv[1]![2] === big && p.argv[2]![2] === big.slice(3)).toBe(true);
    expect(p.end).toEqual({ truncated: false, validUpTo: plain.length });
  });

  it('~8 MB of small batches and plain commands: checksum lines and commands straddle the read window\'s edges', () => {
    const batches: Rec[][] = [];
    for (let b = 0; b < 1500; b++) {
      const batch: Rec[] = [];
      for (let i = 0; i < 20; i++) batch.push([b % 3, ['RPUSH', `list:${b}`, 'x'.repeat((b * 7 + i * 13) % 200), '\r\n']]);
      batches.push(batch);
    }
    const built = buildFile(batches);
    const plain: Buffer[] = [];
    for (let i = 0; i < 20_000; i++) plain.push(respCommand(['SET', `k${i}`, 'y'.repeat(i % 300)]));
    const foreign = Buffer.concat(plain);
    const file = Buffer.concat([foreign, built.file]);
    expect(file.length).toBeGreaterThan(6 * 1024 * 1024);
    const r = readClean(file);
    expect(r.argv.length).toBe(20_000 + flat(built.commands).length);
    expect(r.argv.slice(0, 3)).toEqual([['SET', 'k0', ''], ['SET', 'k1', 'y'], ['SET', 'k2', 'yy']]);
    expect(r.argv.slice(20_000)).toEqual(flat(built.commands));
    expect(r.end).toEqual({ truncated: false, validUpTo: file.length });
  });

  it('an empty file is a clean end at 0', () => {
    const r = readClean(Buffer.alloc(0));
    expect(r.argv).toEqual([]);
    expect(r.end).toEqual({ truncated: false, validUpTo: 0 });
  });
});

/** One command as plain RESP (what Redis writes). */
function respCommand(argv: string[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${argv.length}\r\n`, 'latin1')];
  for (const a of argv) parts.push(Buffer.from(`$${a.length}\r\n`, 'latin1'), Buffer.from(a, 'latin1'), Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------- torn tails

describe('a file cut short', () => {
  it('at every offset: the complete batches, then a torn end at the cut batch, never a partial command or a throw', () => {
    const built = sampleFile();
    for (let cut = 0; cut <= built.file.length; cut++) {
      const r = readAll(built.file.subarray(0, cut));
      expect(r.error, `cut at ${cut}`).toBeUndefined();
      // The batch the cut falls in (or the number of complete batches when on a boundary).
      let complete = 0;
      while (complete < built.ends.length && built.ends[complete]! <= cut) complete++;
      expect(r.argv, `cut at ${cut}`).toEqual(flat(built.commands, complete));
      const boundary = complete === built.starts.length ? built.file.length : built.starts[complete]!;
      if (cut === boundary) {
        expect(r.end, `cut at ${cut}`).toEqual({ truncated: false, validUpTo: cut });
      } else {
        expect(r.end?.truncated, `cut at ${cut}`).toBe(true);
        expect(r.end?.validUpTo, `cut at ${cut}`).toBe(built.starts[complete]);
        expect(r.end?.reason).toEqual(expect.any(String));
      }
    }
  });

  it('inside a 5 MB batch, around the 4 MiB window: torn at the batch start', () => {
    const big = latin1(pseudoRandomBytes(5 * 1024 * 1024, 3));
    const built = buildFile([[[0, ['SET', 'a', '1']]], [[0, ['SET', 'big', big]]]]);
    const start = built.starts[1]!;
    const w = 4 * 1024 * 1024;
    const cuts = [start + 1, start + 20, start + 40, start + w - 1, start + w, start + w + 1, start + w + 30,
      built.file.length - 3, built.file.length - 2, built.file.length - 1];
    for (let i = 0; i < 10; i++) cuts.push(start + 1 + Math.floor(Math.random() * (built.file.length - start - 1)));
    for (const cut of cuts) {
      const r = readAll(built.file.subarray(0, cut));
      expect(r.error, `cut at ${cut}`).toBeUndefined();
      expect(r.argv).toEqual(flat(built.commands, 1));
      expect(r.end?.truncated, `cut at ${cut}`).toBe(true);
      expect(r.end?.validUpTo).toBe(start);
    }
  });

  it('Redis-style commands cut anywhere: the complete commands, torn at the cut one', () => {
    const cmds = [['SET', 'k', 'v'], ['RPUSH', 'l', '', '\r\n'], ['DEL', 'k']];
    const parts = cmds.map(respCommand);
    const file = Buffer.concat(parts);
    const starts: number[] = [];
    let at = 0;
    for (const p of parts) { starts.push(at); at += p.length; }
    for (let cut = 0; cut <= file.length; cut++) {
      const r = readAll(file.subarray(0, cut));
      expect(r.error, `cut at ${cut}`).toBeUndefined();
      let complete = 0;
      while (complete < parts.length && starts[complete]! + parts[complete]!.length <= cut) complete++;
      expect(r.argv).toEqual(cmds.slice(0, complete));
      const boundary = complete === parts.length ? file.length : starts[complete]!;
      expect(r.end).toEqual(cut === boundary ? { truncated: false, validUpTo: cut } : expect.objectContaining({ truncated: true, validUpTo: boundary }));
    }
  });
});

// ---------------------------------------------------------------- damage

describe('flipped bytes', () => {
  const masks = [0x01, 0x02, 0x10, 0x20, 0x80, 0xff];

  it('anywhere in a middle batch: AofCorruptError at that batch\'s checksum line, after the batches before it', () => {
    const built = sampleFile();
    for (const target of [1, 2]) {
      const from = built.starts[target]!;
      const to = built.ends[target]!;
      for (let at = from; at < to; at++) {
        for (const mask of masks) {
          const file = Buffer.from(built.file);
          file[at] = file[at]! ^ mask;
          const r = readAll(file);
          const what = `batch ${target}, byte ${at - from} (${JSON.stringify(String.fromCharCode(built.file[at]!))}) ^ 0x${mask.toString(16)}`;
          expect(r.error, what).toBeInstanceOf(AofCorruptError);
          expect((r.error as AofCorruptError).offset, what).toBe(from);
          expect((r.error as AofCorruptError).message, what).toMatch(new RegExp(`at offset ${from}$`));
          expect(r.argv, what).toEqual(flat(built.commands, target));
        }
      }
    }
  });

  it('anywhere in the last batch: a torn tail, dropped (never corruption, never a partial batch)', () => {
    const built = sampleFile();
    const last = built.starts.length - 1;
    const from = built.starts[last]!;
    for (let at = from; at < built.file.length; at++) {
      for (const mask of masks) {
        const file = Buffer.from(built.file);
        file[at] = file[at]! ^ mask;
        const r = readAll(file);
        const what = `byte ${at - from} (${JSON.stringify(String.fromCharCode(built.file[at]!))}) ^ 0x${mask.toString(16)}`;
        expect(r.error, what).toBeUndefined();
        expect(r.argv, what).toEqual(flat(built.commands, last));
        expect(r.end, what).toEqual(expect.objectContaining({ truncated: true, validUpTo: from }));
      }
    }
  });

  it('anywhere in the first batch: corruption at 0 — or, when the flip turns the checksum line into another annotation, the batch\'s intact commands load unchecked', () => {
    const built = sampleFile();
    const lineEnd = built.file.indexOf('\r\n');
    for (let at = 0; at < built.ends[0]!; at++) {
      for (const mask of masks) {
        const file = Buffer.from(built.file);
        file[at] = file[at]! ^ mask;
        const r = readAll(file);
        const what = `byte ${at} ^ 0x${mask.toString(16)}`;
        const stillAnnotation = at >= 1 && at <= 4 && file[0] === 0x23 && file.indexOf('\r\n') === lineEnd;
        if (stillAnnotation) {
          // Redis's loader skips any '#' line; a file's first batch has no verified batch
          // before it to prove the file is nodis's. The body is intact, so nothing is lost.
          expect(r.error, what).toBeUndefined();
          expect(r.argv, what).toEqual(flat(built.commands));
        } else {
          expect(r.error, what).toBeInstanceOf(AofCorruptError);
          expect((r.error as AofCorruptError).offset, what).toBe(0);
          expect(r.argv, what).toEqual([]);
        }
      }
    }
  });

  it('a middle batch whose length runs past the end of the file is corruption, not a torn tail (the batches after it survive)', () => {
    const built = sampleFile();
    const start = built.starts[1]!;
    const text = built.file.toString('latin1');
    const lineEnd = text.indexOf('\r\n', start);
    const line = text.slice(start, lineEnd);
    for (const length of ['99999', '999999999999999', String(built.file.length)]) {
      const damaged = Buffer.from(text.slice(0, start) + line.replace(/ \d+$/, ` ${length}`) + text.slice(lineEnd), 'latin1');
      const r = readAll(damaged);
      expect(r.error, length).toBeInstanceOf(AofCorruptError);
      expect((r.error as AofCorruptError).offset).toBe(start);
      expect(r.argv).toEqual(flat(built.commands, 1));
    }
  });

  it('a damaged length never makes the reader load the rest of a big file at once', () => {
    // 30 batches of 1 MB; the first claims 15 digits' worth of bytes.
    const mb = 'x'.repeat(1024 * 1024);
    const batches: Rec[][] = [];
    for (let i = 0; i < 30; i++) batches.push([[0, ['SET', `k${i}`, mb]]]);
    const built = buildFile(batches);
    const text = built.file.toString('latin1');
    const lineEnd = text.indexOf('\r\n');
    const damaged = Buffer.from(text.slice(0, lineEnd).replace(/ \d+$/, ' 999999999999999') + text.slice(lineEnd), 'latin1');
    const log = { reads: 0, maxRead: 0 };
    const reader = new AofReader(source(damaged, log));
    expect(() => reader.next()).toThrow(AofCorruptError);
    expect(log.maxRead).toBeLessThanOrEqual(8 * 1024 * 1024);
  });
});

// ---------------------------------------------------------------- foreign files and garbage

/** Redis 7.0.15's appendonly.aof.1.incr.aof (aof-timestamp-enabled yes), byte for byte. */
const REDIS_INCR = '#TS:1795512604\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n'
  + '*2\r\n$6\r\nSELECT\r\n$1\r\n1\r\n*3\r\n$3\r\nSET\r\n$3\r\nbin\r\n$4\r\na\r\nb\r\n'
  + '*5\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n*3\r\n$9\r\nPEXPIREAT\r\n$1\r\nl\r\n$13\r\n1795513604806\r\n'
  + '*4\r\n$4\r\nHSET\r\n$1\r\nh\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\ne\r\n$0\r\n\r\n'
  + '#TS:1795512606\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n*5\r\n$4\r\nSADD\r\n$1\r\ns\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n';

/** Redis 7.0.15's base file after BGREWRITEAOF with aof-use-rdb-preamble no. */
const REDIS_BASE = Buffer.from(
  'I1RTOjE3OTU1MTI2MDkNCioyDQokNg0KU0VMRUNUDQokMQ0KMA0KKjMNCiQzDQpTRVQNCiQxDQprDQokMQ0Kdg0KKjMNCiQzDQpTRVQNCiQxDQplDQokMA0KDQoqMg0KJDYNClNFTEVDVA0KJDENCjENCio0DQokNQ0KSE1TRVQNCiQxDQpoDQokMQ0KZg0KJDENCnYNCiozDQokMw0KU0VUDQokMw0KYmluDQokNA0KYQ0KYg0KKjUNCiQ1DQpSUFVTSA0KJDENCmwNCiQxDQphDQokMQ0KYg0KJDENCmMNCiozDQokOQ0KUEVYUElSRUFUDQokMQ0KbA0KJDEzDQoxNzk1NTEzNjA0ODA2DQoqMg0KJDYNClNFTEVDVA0KJDENCjINCio2DQokNA0KWkFERA0KJDENCnoNCiQ0DQotaW5mDQokMQ0KYg0KJDMNCjEuNQ0KJDENCmENCio1DQokNA0KU0FERA0KJDENCnMNCiQxDQoxDQokMQ0KMg0KJDENCjMNCg==',
  'base64',
);

describe('files Redis writes, and garbage', () => {
  it('loads Redis\'s incr file (plain RESP, #TS annotations, no checksum lines)', () => {
    const file = Buffer.from(REDIS_INCR, 'latin1');
    const r = readClean(file);
    expect(r.argv).toEqual([
      ['SELECT', '0'], ['SET', 'k', 'v'], ['SELECT', '1'], ['SET', 'bin', 'a\r\nb'], ['RPUSH', 'l', 'a', 'b', 'c'],
      ['PEXPIREAT', 'l', '1795513604806'], ['HSET', 'h', 'f', 'v'], ['SELECT', '0'], ['SET', 'e', ''],
      ['SELECT', '2'], ['SADD', 's', '1', '2', '3'],
    ]);
    expect(r.end).toEqual({ truncated: false, validUpTo: file.length });
    // Each foreign command is its own unit.
    expect(new Set(r.ends).size).toBe(r.ends.length);
  });

  it('loads Redis\'s rewritten base file', () => {
    const r = readClean(REDIS_BASE);
    expect(r.argv.map((a) => a[0])).toEqual(['SELECT', 'SET', 'SET', 'SELECT', 'HMSET', 'SET', 'RPUSH', 'PEXPIREAT', 'SELECT', 'ZADD', 'SADD']);
    expect(r.argv[9]).toEqual(['ZADD', 'z', '-inf', 'b', '1.5', 'a']);
  });

  it('nodis batches appended after Redis\'s commands (a Redis AOF taken over) load in order', () => {
    const built = buildFile([[[0, ['SET', 'x', '1']]], [[4, ['DEL', 'k']]]]);
    const file = Buffer.concat([Buffer.from(REDIS_INCR, 'latin1'), built.file]);
    const r = readClean(file);
    expect(r.argv.slice(-4)).toEqual([['SELECT', '0'], ['SET', 'x', '1'], ['SELECT', '4'], ['DEL', 'k']]);
  });

  it('random bytes: AofCorruptError', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const file = pseudoRandomBytes(64 * 1024, seed);
      if (seed % 3 === 0) file[0] = 0x2a; // '*'
      if (seed % 3 === 1) file[0] = 0x23; // '#'
      const r = readAll(file);
      expect(r.error, `seed ${seed}`).toBeInstanceOf(AofCorruptError);
      expect(r.argv).toEqual([]);
    }
  });

  it('a file of only \'*\' garbage: AofCorruptError, not a torn tail', () => {
    for (const file of ['*'.repeat(100_000), `*${'9'.repeat(70_000)}`, '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n' + '$'.repeat(1000)]) {
      const r = readAll(Buffer.from(file, 'latin1'));
      expect(r.error, file.slice(0, 20)).toBeInstanceOf(AofCorruptError);
      expect((r.error as AofCorruptError).offset).toBe(0);
    }
  });

  it('a checksum line with a huge or malformed length, alone: a torn tail or corruption, never a throw of another kind', () => {
    const body = '*1\r\n$4\r\nPING\r\n';
    const crc = crc32(Buffer.from(body)).toString(16).padStart(8, '0');
    // Past the end of the file and nothing after: what a torn write of a big batch would leave.
    const huge = readAll(Buffer.from(`#CRC ${crc} 999999999999999\r\n${body}`, 'latin1'));
    expect(huge.error).toBeUndefined();
    expect(huge.end).toEqual(expect.objectContaining({ truncated: true, validUpTo: 0 }));
    // More digits than any length: not something our writer makes.
    for (const line of [`#CRC ${crc} 9999999999999999`, `#CRC ${crc} -1`, `#CRC ${crc.toUpperCase()}x 14`, `#CRC ${crc}  14`]) {
      const r = readAll(Buffer.from(`${line}\r\n${body}${encodeAofBatch([[0, ['PING']]]).toString('latin1')}`, 'latin1'));
      expect(r.error, line).toBeInstanceOf(AofCorruptError);
      expect((r.error as AofCorruptError).offset, line).toBe(0);
    }
  });

  it('a verified batch whose body is not RESP is corruption even at the end of the file', () => {
    for (const body of ['*0\r\n', '*1\r\n$4\r\nPI', 'PING\r\n', '*1\r\n$2\r\nPING\r\n']) {
      const header = `#CRC ${crc32(Buffer.from(body, 'latin1')).toString(16).padStart(8, '0')} ${body.length}\r\n`;
      const r = readAll(Buffer.from(header + body, 'latin1'));
      expect(r.error, body).toBeInstanceOf(AofCorruptError);
    }
  });

  it('an annotation line without an end: torn near the end of the file, corruption when long', () => {
    const short = readAll(Buffer.from('*1\r\n$4\r\nPING\r\n#TS:17955', 'latin1'));
    expect(short.error).toBeUndefined();
    expect(short.argv).toEqual([['PING']]);
    expect(short.end).toEqual(expect.objectContaining({ truncated: true, validUpTo: 14 }));
    const long = readAll(Buffer.from(`#${'x'.repeat(300)}`, 'latin1'));
    expect(long.error).toBeInstanceOf(AofCorruptError);
  });
});

describe('parseCommand', () => {
  const p = (s: string) => parseCommand(Buffer.from(s, 'latin1'), 0);

  it('parses one command and says where the next begins', () => {
    expect(p('*2\r\n$3\r\nGET\r\n$0\r\n\r\nrest')).toEqual({ argv: ['GET', ''], next: 19 });
  });

  it('undefined while the buffer ends inside the command', () => {
    const full = '*2\r\n$3\r\nGET\r\n$1\r\nk\r\n';
    for (let n = 0; n < full.length; n++) expect(p(full.slice(0, n)), `${n}`).toBeUndefined();
  });

  it('a description of the damage for what is not a command', () => {
    for (const bad of ['$3\r\nGET\r\n', '*0\r\n', '*-1\r\n', '*x\r\n', '*1\r\n*1\r\n', '*1\r\n$-1\r\n', '*1\r\n$1\r\nab\r\n',
      `*1\r\n$${'9'.repeat(16)}\r\n`, `*${'1'.repeat(40)}\r\n`, `*1${' '.repeat(40)}\r\n`]) {
      expect(typeof p(bad), JSON.stringify(bad)).toBe('string');
    }
  });
});
