import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createTestEngine } from '../testing.js';
import { ReplyError, SimpleString, type Reply } from '../reply.js';
import { HLL_DENSE_SIZE, HLL_REGISTERS, createHll, hllSetRegister } from '../types/hyperloglog.js';
import { canon } from '../../../../test/helpers/resp-client.js';
import { redisServerPath } from '../../../../test/helpers/redis.js';
import { expectCommandDocsMatch, useRedisOracle } from '../../../../test/helpers/oracle.js';

// ------------------------------------------------------------------ helpers

const OK = new SimpleString('OK');
const err = (message: string) => new ReplyError(message);
const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
const HLL_WRONGTYPE = 'WRONGTYPE Key is not a valid HyperLogLog string value.';
const CORRUPTED = 'INVALIDOBJ Corrupted HLL object detected';

/** A header: sparse or dense, `card` the 8 cache bytes (stale by default). */
const header = (encoding: number, card = '\x00\x00\x00\x00\x00\x00\x00\x80') => `HYLL${String.fromCharCode(encoding)}\x00\x00\x00${card}`;
const EMPTY_SPARSE = `${header(1)}\x7f\xff`;

/** A dense value whose register i holds values(i), as a latin1 string (what SET stores). */
function dense(values: (i: number) => number, card?: string): string {
  const buf = Buffer.alloc(HLL_DENSE_SIZE);
  buf.write(header(0, card), 0, 'latin1');
  for (let i = 0; i < HLL_REGISTERS; i++) {
    const v = values(i);
    for (let b = 0; b < 6; b++) if ((v >> b) & 1) buf[16 + ((i * 6 + b) >> 3)]! |= 1 << ((i * 6 + b) & 7);
  }
  return buf.toString('latin1');
}

/** A valid sparse value with the given registers set (built by the same code PFADD uses). */
function sparse(registers: [number, number][], card?: string): string {
  const h = createHll();
  for (const [index, value] of registers) hllSetRegister(h, index, value, 1 << 30);
  const bytes = h.bytes();
  if (card !== undefined) bytes.write(card, 8, 'latin1');
  return bytes.toString('latin1');
}

const range = (prefix: string, from: number, to: number): string[] => {
  const out: string[] = [];
  for (let i = from; i < to; i++) out.push(`${prefix}${i}`);
  return out;
};

const stringOf = (r: Reply): string => (typeof r === 'string' ? r : Buffer.from(r as Uint8Array).toString('latin1'));

// ------------------------------------------------------------------ behaviour

describe('PFADD', () => {
  it('creates the key even without elements, then reports whether a register changed', () => {
    const t = createTestEngine();
    expect(t.run('PFADD', 'h')).toBe(1);
    expect(t.run('PFADD', 'h')).toBe(0);
    expect(stringOf(t.run('GET', 'h'))).toBe(`${header(1)}\x7f\xff`);
    expect(t.run('PFADD', 'h', 'a', 'b', 'c')).toBe(1);
    expect(t.run('PFADD', 'h', 'a', 'c')).toBe(0);
    expect(t.run('PFCOUNT', 'h')).toBe(3);
    expect(t.run('TYPE', 'h')).toEqual(new SimpleString('string'));
    expect(t.run('OBJECT', 'ENCODING', 'h')).toBe('raw');
  });

  it('stores Redis\'s bytes and turns dense past hll-sparse-max-bytes', () => {
    const t = createTestEngine();
    t.run('PFADD', 'h', 'x');
    expect(stringOf(t.run('GET', 'h'))).toBe(`${header(1)}\x7f\xf5\x84\x08`); // as redis-server stores PFADD h x
    t.run('CONFIG', 'SET', 'hll-sparse-max-bytes', '100');
    t.run('PFADD', 'h', ...range('e', 0, 40));
    expect(t.run('STRLEN', 'h')).toBe(HLL_DENSE_SIZE);
    expect(t.run('PFCOUNT', 'h')).toBe(41);
  });

  it('modifies a value set by SET, keeping its TTL, and leaves unchanged ones unchanged', () => {
    const t = createTestEngine();
    t.run('SET', 'h', EMPTY_SPARSE, 'EX', '100');
    expect(t.run('OBJECT', 'ENCODING', 'h')).toBe('embstr');
    expect(t.run('PFADD', 'h')).toBe(0);
    expect(t.run('OBJECT', 'ENCODING', 'h')).toBe('raw'); // converted for writing, as Redis does
    expect(stringOf(t.run('GET', 'h'))).toBe(EMPTY_SPARSE);
    expect(t.run('PFADD', 'h', 'x')).toBe(1);
    expect(t.run('TTL', 'h')).toBe(100);
    expect(t.run('PFCOUNT', 'h')).toBe(1);
  });
});

describe('PFCOUNT', () => {
  it('caches the estimate in the value, and trusts a valid cache', () => {
    const t = createTestEngine();
    t.run('PFADD', 'h', ...range('m', 0, 2007));
    expect(stringOf(t.run('GETRANGE', 'h', '8', '15'))).toBe('\x00\x00\x00\x00\x00\x00\x00\x80');
    const count = t.run('PFCOUNT', 'h') as number;
    expect(Math.abs(count - 2007)).toBeLessThan(40);
    expect(Buffer.from(stringOf(t.run('GETRANGE', 'h', '8', '15')), 'latin1').readBigUInt64LE(0)).toBe(BigInt(count));
    expect(t.run('PFADD', 'h', 'm1')).toBe(0); // no register changed: the cache stays valid
    expect(stringOf(t.run('GETRANGE', 'h', '15', '15'))).toBe('\x00');

    t.run('SET', 'c', `${header(1, '\x05\x00\x00\x00\x00\x00\x00\x00')}\x7f\xff`);
    expect(t.run('PFCOUNT', 'c')).toBe(5);
    t.run('SET', 'c', `${header(1, '\xff\xff\xff\xff\xff\xff\xff\x7f')}`); // no registers at all, but cached
    expect(t.run('PFCOUNT', 'c')).toBe(2n ** 63n - 1n);
  });

  it('answers 0 for a missing key and counts the union of several keys without writing', () => {
    const t = createTestEngine();
    expect(t.run('PFCOUNT', 'none')).toBe(0);
    expect(t.run('PFCOUNT', 'none', 'none2')).toBe(0);
    t.run('PFADD', 'a', '1', '2', '3');
    t.run('PFADD', 'b', '3', '4');
    t.run('PFADD', 'd', ...range('d', 0, 5000));
    const before = [t.run('GET', 'a'), t.run('GET', 'b')];
    expect(t.run('PFCOUNT', 'a', 'b', 'none')).toBe(4);
    expect([t.run('GET', 'a'), t.run('GET', 'b')]).toEqual(before);
    expect(Math.abs((t.run('PFCOUNT', 'a', 'd', 'a') as number) - 5003)).toBeLessThan(100);
  });

  it('reports LLONG_MIN for registers whose estimate leaves int64, caching it stale as Redis does', () => {
    const t = createTestEngine();
    t.run('SET', 'h', dense(() => 63));
    expect(t.run('PFCOUNT', 'h')).toBe(-(2n ** 63n));
    expect(stringOf(t.run('GETRANGE', 'h', '8', '15'))).toBe('\x00\x00\x00\x00\x00\x00\x00\x80');
  });
});

describe('PFMERGE', () => {
  it('merges into a missing or existing destination, which is an input too', () => {
    const t = createTestEngine();
    t.run('PFADD', 'a', '1', '2', '3');
    t.run('PFADD', 'b', '4', '5');
    expect(t.run('PFMERGE', 'm', 'a', 'b', 'none')).toEqual(OK);
    expect(t.run('PFCOUNT', 'm')).toBe(5);
    t.run('PFADD', 'c', '6');
    expect(t.run('PFMERGE', 'c', 'a')).toEqual(OK);
    expect(t.run('PFCOUNT', 'c')).toBe(4);
    expect(t.run('PFMERGE', 'empty')).toEqual(OK);
    expect(stringOf(t.run('GET', 'empty'))).toBe(EMPTY_SPARSE);
  });

  it('keeps a sparse result for sparse inputs and goes dense when any input is dense', () => {
    const t = createTestEngine();
    t.run('PFADD', 'a', ...range('a', 0, 100));
    t.run('PFADD', 'd', ...range('d', 0, 5000));
    t.run('PFMERGE', 's', 'a');
    expect(t.run('GET', 's')).toEqual(t.run('GET', 'a'));
    t.run('PFMERGE', 'x', 'a', 'd');
    expect(t.run('STRLEN', 'x')).toBe(HLL_DENSE_SIZE);
    expect(t.run('PFCOUNT', 'x')).toBe(t.run('PFCOUNT', 'a', 'd'));
  });
});

describe('errors', () => {
  it('answers WRONGTYPE for other types, and the HLL message for strings that are not HLLs, in key order', () => {
    const t = createTestEngine();
    t.run('RPUSH', 'list', 'a');
    t.run('SET', 'str', 'hello');
    t.run('PFADD', 'h', 'a');
    for (const argv of [['PFADD', 'list'], ['PFADD', 'list', 'a'], ['PFCOUNT', 'list'], ['PFCOUNT', 'list', 'str'],
      ['PFMERGE', 'list', 'h'], ['PFMERGE', 'h', 'list'], ['PFCOUNT', 'h', 'list']]) {
      expect(t.run(...argv), argv.join(' ')).toEqual(err(WRONGTYPE));
    }
    for (const argv of [['PFADD', 'str'], ['PFCOUNT', 'str'], ['PFCOUNT', 'str', 'list'], ['PFMERGE', 'str'], ['PFMERGE', 'h', 'str']]) {
      expect(t.run(...argv), argv.join(' ')).toEqual(err(HLL_WRONGTYPE));
    }
    for (const bad of [header(1).slice(0, 15), `HYLX${header(1).slice(4)}\x7f\xff`, `${header(2)}\x7f\xff`,
      dense(() => 0).slice(0, -1), `${dense(() => 0)}x`, '12345678901234567890']) {
      t.run('SET', 'bad', bad);
      expect(t.run('PFADD', 'bad', 'a')).toEqual(err(HLL_WRONGTYPE));
      expect(t.run('PFCOUNT', 'bad')).toEqual(err(HLL_WRONGTYPE));
    }
    expect(t.run('PFADD')).toEqual(err("ERR wrong number of arguments for 'pfadd' command"));
    expect(t.run('PFMERGE')).toEqual(err("ERR wrong number of arguments for 'pfmerge' command"));
  });

  it('answers INVALIDOBJ for sparse opcodes that do not cover the registers', () => {
    const t = createTestEngine();
    t.run('SET', 'c', `${header(1)}\x7f\xfe`); // 16383 registers
    expect(t.run('PFCOUNT', 'c')).toEqual(err(CORRUPTED));
    expect(t.run('PFCOUNT', 'c', 'c')).toEqual(err(CORRUPTED));
    expect(t.run('PFMERGE', 'm', 'c')).toEqual(err(CORRUPTED));
    expect(t.run('EXISTS', 'm')).toBe(0);
    t.run('SET', 'c', header(1));
    expect(t.run('PFADD', 'c', 'a')).toEqual(err(CORRUPTED));
  });

  it('never throws on random values behind an HLL header', () => {
    const t = createTestEngine();
    fc.assert(fc.property(fc.uint8Array({ maxLength: 48 }), fc.constantFrom(0, 1), fc.array(fc.string({ maxLength: 6 }), { maxLength: 6 }),
      (body, encoding, elements) => {
        t.run('SET', 'k', header(encoding) + Buffer.from(body).toString('latin1'));
        for (const argv of [['PFADD', 'k', ...elements], ['PFCOUNT', 'k'], ['PFCOUNT', 'k', 'none'], ['PFMERGE', 'm', 'k'], ['PFMERGE', 'k']]) {
          const r = t.run(...argv);
          expect(typeof r === 'number' || r instanceof ReplyError || r instanceof SimpleString).toBe(true);
        }
      }), { numRuns: 500 });
  });
});

// ------------------------------------------------------------------ against real Redis

const redis = useRedisOracle('HyperLogLog');

/** Empties redis-server and restores the config the random sequences change. */
async function resetRedis(): Promise<void> {
  await redis.client.pipeline([['FLUSHALL'], ['CONFIG', 'SET', 'hll-sparse-max-bytes', '3000']]);
}

/** Runs the commands on a fresh engine and on redis-server (reset) and compares every reply. */
async function expectSameReplies(commands: string[][], t = createTestEngine()): Promise<void> {
  const conn = redis.client;
  await resetRedis();
  const theirs = await conn.pipeline(commands);
  commands.forEach((argv, i) => {
    expect(canon(t.run(...argv)), `${i}: ${argv.map((a) => (a.length > 40 ? `<${a.length} bytes>` : JSON.stringify(a))).join(' ')}`)
      .toEqual(canon(theirs[i]!));
  });
}

describe.skipIf(!redisServerPath)('differential against redis-server', () => {
  it('COMMAND INFO and COMMAND DOCS', async () => {
    await expectCommandDocsMatch(redis.port, ['pfadd', 'pfcount', 'pfmerge']);
  });

  it('replies, bytes and error strings on edge cases', async () => {
    const all63 = dense(() => 63);
    const tau = dense((i) => (i < 8000 ? 51 : i % 3));
    const highSparse = sparse([[0, 32], [1, 32], [100, 5], [16383, 1]]);
    await expectSameReplies([
      ['PFADD', 'h'], ['GET', 'h'], ['PFCOUNT', 'h'], ['GET', 'h'], ['PFADD', 'h', 'x'], ['GET', 'h'], ['OBJECT', 'ENCODING', 'h'],
      ['SET', 's', EMPTY_SPARSE], ['OBJECT', 'ENCODING', 's'], ['PFCOUNT', 's'], ['OBJECT', 'ENCODING', 's'],
      ['SET', 's', EMPTY_SPARSE], ['PFCOUNT', 's', 's'], ['OBJECT', 'ENCODING', 's'], ['PFMERGE', 's'], ['OBJECT', 'ENCODING', 's'], ['GET', 's'],
      ['SET', 'u', `HYLL\x01abc\x11\x22\x33\x44\x55\x66\x77\x08\x7f\xff`], ['PFADD', 'u', 'x'], ['GET', 'u'],
      ['PFADD', 'u', ...range('u', 0, 2000)], ['GET', 'u'], ['PFCOUNT', 'u'], ['GET', 'u'],
      ['SET', 'big', all63], ['PFCOUNT', 'big'], ['GETRANGE', 'big', '0', '15'], ['PFCOUNT', 'big', 'h'],
      ['SET', 'tau', tau], ['PFCOUNT', 'tau'], ['SET', 'hs', highSparse], ['PFADD', 'hs', ...range('hs', 0, 50)], ['GET', 'hs'],
      ['PFMERGE', 'hs2', 'hs', 'h'], ['GET', 'hs2'], ['PFMERGE', 'hs3', 'hs', 'big'], ['GET', 'hs3'], ['PFCOUNT', 'hs3'],
      ['SET', 'str', 'hello'], ['RPUSH', 'list', 'a'], ['PFADD', 'str'], ['PFCOUNT', 'str', 'list'], ['PFCOUNT', 'list', 'str'],
      ['PFMERGE', 'list'], ['PFMERGE', 'h', 'str'], ['PFADD', 'list'], ['PFADD'], ['PFCOUNT'], ['PFMERGE'],
      ['SET', 'c', `${header(1)}\x7f\xfe`], ['PFADD', 'c', ...range('c', 0, 10)], ['GET', 'c'], ['PFCOUNT', 'c'],
      ['PFCOUNT', 'c', 'h'], ['PFMERGE', 'c'], ['PFMERGE', 'x', 'c'], ['EXISTS', 'x'],
      ['SET', 'c', `${header(1)}\x7f`], ['PFADD', 'c', 'a', 'b', 'c'], ['GET', 'c'], ['PFCOUNT', 'c'],
      ['SET', 'c', `${header(1)}\x7f\xff\x7f\xff`], ['PFADD', 'c', 'a', 'b', 'c'], ['GET', 'c'], ['PFCOUNT', 'c'], ['PFMERGE', 'c'],
      ['SET', 'c', `${header(1)}\x7f\xfc\x87`], ['PFCOUNT', 'c'], ['PFMERGE', 'y', 'c'], ['PFADD', 'c', 'q'], ['GET', 'c'],
      ['SET', 'c', header(1, '\x05\x00\x00\x00\x00\x00\x00\x00')], ['PFCOUNT', 'c'], ['PFADD', 'c'], ['PFADD', 'c', 'a'], ['GET', 'c'],
      ['SET', 'c', header(1, '\xff\xff\xff\xff\xff\xff\xff\x7f')], ['PFCOUNT', 'c'],
      ['SET', 'c', dense(() => 0).slice(0, -1)], ['PFCOUNT', 'c'], ['SET', 'c', `${dense(() => 0)}garbage`], ['PFADD', 'c', 'a'],
      ['SET', 'c', `${header(2)}\x7f\xff`], ['PFMERGE', 'c'], ['SET', 'c', '123'], ['PFCOUNT', 'c'],
      ['SET', 'c', `${header(1)}E`], ['PFADD', 'c', 'r1315'], ['GET', 'c'], ['PFADD', 'c', 'r1617'], ['GET', 'c'], ['PFCOUNT', 'c'],
      ['SET', 'c', `${header(1)}E`], ['PFADD', 'c', 'r1315'], ['PFCOUNT', 'c'], ['PFCOUNT', 'c', 'h'], ['PFMERGE', 'c'], ['GET', 'c'],
      ['SET', 't', EMPTY_SPARSE, 'EX', '1000'], ['PFADD', 't', 'a'], ['PFMERGE', 't', 'h'], ['PFCOUNT', 't'], ['TTL', 't'],
    ]);
  });

  it('random PFADD / PFCOUNT / PFMERGE sequences, with crafted and mutated values', async () => {
    const key = fc.constantFrom('a', 'b', 'c');
    const element = fc.oneof(fc.constantFrom('x', 'y', '', '\x00\xff', 'z'.repeat(17)), fc.integer({ min: 0, max: 300 }).map(String));
    const crafted = fc.oneof(
      fc.array(fc.tuple(fc.integer({ min: 0, max: HLL_REGISTERS - 1 }), fc.integer({ min: 1, max: 32 })), { maxLength: 40 }).map((r) => sparse(r)),
      fc.tuple(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 1, max: 97 })).map(([v, step]) => dense((i) => (i % step === 0 ? v : i % 4))),
      fc.uint8Array({ maxLength: 24 }).map((b) => header(1) + Buffer.from(b).toString('latin1')),
      fc.constantFrom(EMPTY_SPARSE, `${header(1)}\x7f\xfe`, `${header(1)}\x7f\xff\x7f\xff`, header(1, '\x07\x00\x00\x00\x00\x00\x00\x00'), 'hello'),
    );
    const command = fc.oneof(
      fc.tuple(key, fc.array(element, { maxLength: 5 })).map(([k, es]) => ['PFADD', k, ...es]),
      { weight: 2, arbitrary: fc.tuple(key, fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 1, max: 1500 })).map(([k, from, n]) => ['PFADD', k, ...range('r', from, from + n)]) },
      fc.array(key, { minLength: 1, maxLength: 3 }).map((ks) => ['PFCOUNT', ...ks]),
      fc.tuple(key, fc.array(key, { maxLength: 3 })).map(([d, ks]) => ['PFMERGE', d, ...ks]),
      key.map((k) => ['GET', k]),
      key.map((k) => ['OBJECT', 'ENCODING', k]),
      fc.tuple(key, crafted).map(([k, v]) => ['SET', k, v]),
      fc.tuple(key, fc.integer({ min: 0, max: 40 }), fc.uint8Array({ minLength: 1, maxLength: 2 })).map(([k, at, b]) => ['SETRANGE', k, String(at), Buffer.from(b).toString('latin1')]),
      fc.tuple(key, fc.uint8Array({ minLength: 1, maxLength: 2 })).map(([k, b]) => ['APPEND', k, Buffer.from(b).toString('latin1')]),
      fc.constantFrom<string[]>(['CONFIG', 'SET', 'hll-sparse-max-bytes', '60'], ['CONFIG', 'SET', 'hll-sparse-max-bytes', '3000'], ['DEL', 'a']),
    );
    await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 30 }), async (commands) => {
      await expectSameReplies([...commands, ['GET', 'a'], ['GET', 'b'], ['GET', 'c']]);
    }), { numRuns: 120 });
  });

  it('counts the same at every cardinality up to two million, in batches', async () => {
    const t = createTestEngine();
    const conn = redis.client;
    await resetRedis();
    const commands: string[][] = [];
    const batchSizes = [1, 1, 3, 10, 50, 100, 500, 1000, 2000, 5000, 10_000];
    let added = 0;
    for (const n of batchSizes) commands.push(['PFADD', 'big', ...range('big:', added, (added += n))], ['PFCOUNT', 'big'], ['GET', 'big']);
    while (added < 2_000_000) {
      commands.push(['PFADD', 'big', ...range('big:', added, (added += 40_000))], ['PFCOUNT', 'big']);
      if (added % 400_000 === 0) commands.push(['GET', 'big']);
    }
    const theirs = await conn.pipeline(commands);
    let last = 0;
    commands.forEach((argv, i) => {
      const ours = t.run(...argv);
      expect(canon(ours), `${argv[0]} after ${i}`).toEqual(canon(theirs[i]!));
      if (argv[0] === 'PFCOUNT') last = ours as number;
    });
    expect(Math.abs(last - 2_000_000) / 2_000_000).toBeLessThan(0.0081 * 4);
  });
});
