import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ReplyDouble, ReplyError, ReplyMap, ReplyPush, ReplySet, ReplyVerbatim, SimpleString, type Reply,
} from '../values.js';
import { ReplyParser } from './reply-parser.js';
import { RespWriter } from './writer.js';

const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');

function parseChunks(chunks: readonly Buffer[], parser = new ReplyParser()): Reply[] {
  const out: Reply[] = [];
  for (const chunk of chunks) parser.feed(chunk, (r) => out.push(r));
  return out;
}
const parse = (input: string | Buffer, parser?: ReplyParser): Reply[] =>
  parseChunks([typeof input === 'string' ? bytes(input) : input], parser);

function chunked(input: Buffer, sizes: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  for (let i = 0; pos < input.length; i++) {
    const size = Math.max(1, sizes[i % sizes.length]!);
    out.push(input.subarray(pos, pos + size));
    pos += size;
  }
  return out;
}

/** Writes a reply value through the writer's streaming calls (RESP3 shapes). */
function write(w: RespWriter, r: Reply): void {
  if (r === null) w.null();
  else if (typeof r === 'string') w.bulk(r);
  else if (typeof r === 'number' || typeof r === 'bigint') w.int(r);
  else if (typeof r === 'boolean') w.bool(r);
  else if (r instanceof Uint8Array) w.bulk(r);
  else if (r instanceof SimpleString) w.simple(r.value);
  else if (r instanceof ReplyError) w.error(r.message);
  else if (Array.isArray(r)) { w.array(r.length); for (const x of r) write(w, x); }
  else if (r instanceof ReplyMap) { w.map(r.entries.length); for (const [k, v] of r.entries) { write(w, k); write(w, v); } }
  else if (r instanceof ReplySet) { w.set(r.items.length); for (const x of r.items) write(w, x); }
  else if (r instanceof ReplyPush) { w.push(r.items.length); for (const x of r.items) write(w, x); }
  else if (r instanceof ReplyDouble) w.double(r.value);
  else if (r instanceof ReplyVerbatim) w.verbatim(r.text, r.format);
}

/** What a RESP2 writer turns a RESP3-shaped value into. */
function asResp2(r: Reply): Reply {
  if (typeof r === 'boolean') return r ? 1 : 0;
  if (Array.isArray(r)) return r.map(asResp2);
  if (r instanceof ReplyMap) return r.entries.flatMap(([k, v]) => [asResp2(k), asResp2(v)]);
  if (r instanceof ReplySet || r instanceof ReplyPush) return r.items.map(asResp2);
  if (r instanceof ReplyVerbatim) return r.text;
  if (r instanceof ReplyDouble) {
    const w = new RespWriter(2);
    w.double(r.value);
    return parse(w.take())[0]!;
  }
  return r;
}

describe('ReplyParser: types', () => {
  it('parses every RESP2 type', () => {
    expect(parse('+OK\r\n-ERR bad thing\r\n:42\r\n:-7\r\n$5\r\nhello\r\n$0\r\n\r\n$-1\r\n*-1\r\n*0\r\n*2\r\n$1\r\na\r\n:1\r\n'))
      .toEqual([
        new SimpleString('OK'), new ReplyError('ERR bad thing'), 42, -7, 'hello', '', null, null, [], ['a', 1],
      ]);
    const [error] = parse('-WRONGTYPE Operation against a key holding the wrong kind of value\r\n');
    expect(error).toBeInstanceOf(ReplyError);
    expect((error as ReplyError).code).toBe('WRONGTYPE');
  });

  it('parses every RESP3 type', () => {
    expect(parse(
      '_\r\n,1.5\r\n,inf\r\n,-inf\r\n,1e+17\r\n,-1.4999999999999999e-07\r\n#t\r\n#f\r\n(3492890328409238509324850943850943825024385\r\n'
      + '=15\r\ntxt:Some string\r\n!21\r\nSYNTAX invalid syntax\r\n%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n~2\r\n+x\r\n+y\r\n>2\r\n+message\r\n$2\r\nhi\r\n',
    )).toEqual([
      null, new ReplyDouble(1.5), new ReplyDouble(Infinity), new ReplyDouble(-Infinity), new ReplyDouble(1e17),
      new ReplyDouble(-1.4999999999999999e-7), true, false, 3492890328409238509324850943850943825024385n,
      new ReplyVerbatim('txt', 'Some string'), new ReplyError('SYNTAX invalid syntax'),
      new ReplyMap([[new SimpleString('a'), 1], [new SimpleString('b'), 2]]),
      new ReplySet([new SimpleString('x'), new SimpleString('y')]),
      new ReplyPush([new SimpleString('message'), 'hi']),
    ]);
    const [nan] = parse(',nan\r\n');
    expect(Number.isNaN((nan as ReplyDouble).value)).toBe(true);
  });

  it('parses integers beyond 2^53 as bigint', () => {
    expect(parse(':9007199254740991\r\n:9007199254740992\r\n:-9223372036854775808\r\n:0000000000000000001\r\n')).toEqual([
      9007199254740991, 9007199254740992n, -9223372036854775808n, 1,
    ]);
  });

  it('skips attributes, at the top and inside aggregates', () => {
    expect(parse('|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n*2\r\n:1\r\n|1\r\n+ttl\r\n:3600\r\n:2\r\n|0\r\n+OK\r\n'))
      .toEqual([[1, 2], new SimpleString('OK')]);
  });

  it('returns bulk strings as Buffers on request', () => {
    const [a, b, c] = parse('$3\r\n\x00\xff\r\r\n*1\r\n$1\r\nz\r\n+simple\r\n', new ReplyParser({ bulkAs: 'buffer' }));
    expect(a).toEqual(Buffer.from([0, 255, 13]));
    expect(b).toEqual([Buffer.from('z')]);
    expect(c).toEqual(new SimpleString('simple'));
  });

  it("parses redis-server 7.0.15's HELLO 3 reply", () => {
    const hello = '%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:357\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n';
    expect(parse(hello)).toEqual([new ReplyMap([
      ['server', 'redis'], ['version', '7.0.15'], ['proto', 3], ['id', 357], ['mode', 'standalone'],
      ['role', 'master'], ['modules', []],
    ])]);
  });
});

describe('ReplyParser: malformed replies throw', () => {
  const malformed = [
    '?\r\n', ':12a\r\n', ':\r\n', ':-\r\n', '$-2\r\n', '$x\r\n', '$3\r\nabcd\r\n', '*-2\r\n', '*1x\r\n', '%-1\r\n',
    '#x\r\n', '#tt\r\n', ',abc\r\n', ',\r\n', ',0x10\r\n', ', 1\r\n', '_x\r\n', '=2\r\nab\r\n', '=5\r\ntxt;a\r\n',
    '(12x\r\n', '+OK\rX', '$?\r\n', '*?\r\n',
  ];
  it.each(malformed)('%j', (input) => {
    expect(() => parse(input)).toThrow(Error);
  });

  it('stays dead after an error', () => {
    const parser = new ReplyParser();
    const out: Reply[] = [];
    expect(() => parser.feed(bytes('+OK\r\n:x\r\n'), (r) => out.push(r))).toThrow(/integer/);
    expect(out).toEqual([new SimpleString('OK')]);
    expect(() => parser.feed(bytes('+OK\r\n'), (r) => out.push(r))).toThrow(/integer/);
    expect(out).toHaveLength(1);
  });
});

describe('ReplyParser: round trips and chunking', () => {
  const sample: Reply[] = [
    new SimpleString('OK'), new ReplyError('ERR x'), 0, -12, 9223372036854775807n, 'bulk\r\nwith crlf', '', null,
    [], ['a', ['b', ['c', 3]], null], new ReplyMap([['f', 'v'], [1, new ReplySet(['m'])]]),
    new ReplyPush(['message', 'ch', 'payload']), new ReplyDouble(1.1), new ReplyDouble(-Infinity), true, false,
    new ReplyVerbatim('txt', 'line one\nline two'), 'x'.repeat(70_000),
  ];

  it.each([2, 3] as const)('round-trips writer output (RESP%i)', (protocol) => {
    const w = new RespWriter(protocol);
    for (const r of sample) write(w, r);
    const expected = protocol === 3 ? sample : sample.map(asResp2);
    expect(parse(w.take())).toEqual(expected);
  });

  it('parses the same when split at every byte boundary', () => {
    const w = new RespWriter(3);
    for (const r of sample.slice(0, -1)) write(w, r);
    const input = w.take();
    const expected = sample.slice(0, -1);
    for (let at = 1; at < input.length; at++) {
      expect(parseChunks([input.subarray(0, at), input.subarray(at)]), `split at ${at}`).toEqual(expected);
    }
    expect(parseChunks(chunked(input, [1]))).toEqual(expected);
  });

  it('builds a large array arriving in many chunks', () => {
    const w = new RespWriter(2);
    const n = 100_000;
    w.array(n);
    for (let i = 0; i < n; i++) w.bulk(`member:${i}`);
    const out = parseChunks(chunked(w.take(), [65_536, 7, 1000]));
    expect(out).toHaveLength(1);
    const array = out[0] as string[];
    expect(array).toHaveLength(n);
    expect(array[n - 1]).toBe(`member:${n - 1}`);
  });

  it('round-trips random reply trees in random chunks (property)', () => {
    const leaf: fc.Arbitrary<Reply> = fc.oneof(
      fc.uint8Array({ maxLength: 30 }).map((b) => Buffer.from(b).toString('latin1')),
      fc.stringMatching(/^[^\r\n]{0,20}$/).map((s) => new SimpleString(s)),
      fc.stringMatching(/^ERR [^\r\n]{0,20}$/).map((s) => new ReplyError(s)),
      fc.maxSafeInteger(),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).filter((b) => b > 2n ** 53n || b < -(2n ** 53n)),
      fc.constant(null),
      fc.boolean(),
      fc.double().map((d) => new ReplyDouble(d)),
      fc.string({ maxLength: 20 }).map((s) => new ReplyVerbatim('txt', Buffer.from(s).toString('latin1'))),
    );
    const { tree } = fc.letrec<{ tree: Reply }>((tie) => ({
      tree: fc.oneof({ depthSize: 'small', withCrossShrink: true },
        leaf,
        fc.array(tie('tree'), { maxLength: 5 }),
        fc.array(fc.tuple(tie('tree'), tie('tree')), { maxLength: 4 }).map((e) => new ReplyMap(e)),
        fc.array(tie('tree'), { maxLength: 4 }).map((i) => new ReplySet(i)),
        fc.array(tie('tree'), { maxLength: 4 }).map((i) => new ReplyPush(i))),
    }));
    fc.assert(fc.property(
      fc.array(tree, { minLength: 1, maxLength: 6 }),
      fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 6 }),
      (replies, sizes) => {
        const w = new RespWriter(3);
        for (const r of replies) write(w, r);
        expect(parseChunks(chunked(w.take(), sizes))).toEqual(replies);
      },
    ), { numRuns: 300 });
  });
});
