import { afterEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { addExtension, FLOAT32_OPTIONS, Packr, Unpackr } from 'msgpackr';
import { FrameSplitter, MAX_HELLO_FRAME } from './format.js';
import { NativeWriter } from './writer.js';
import { decodeCommand, decodeValue, FrameError, helloFields } from './decode.js';
import { NativeRequestParser, type NativeRequestParserOptions } from './parser.js';
import { NativeReplyParser, NativeRequestWriter } from './client.js';
import {
  ReplyDouble, ReplyError, ReplyMap, ReplyPush, ReplySet, ReplyVerbatim, SimpleString, type Reply,
} from '../values.js';

/** A JS string's UTF-8 bytes as a latin1 string (the engine's form). */
const utf8AsLatin1 = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');

const latin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');

// ---- Values in a tagged, class-free shape, so toEqual tells a set from a push, a str from a bin.

type Canon =
  | null | boolean | number | bigint | Canon[] | { bin: string } | { simple: string } | { error: string }
  | { double: number } | { map: [Canon, Canon][] } | { set: Canon[] } | { push: Canon[] } | { verbatim: [string, string] };

const bin = (s: string): Canon => ({ bin: s });
const simple = (s: string): Canon => ({ simple: s });
const err = (s: string): Canon => ({ error: s });
const dbl = (d: number): Canon => ({ double: d });
const map = (...pairs: [Canon, Canon][]): Canon => ({ map: pairs });
const set = (...items: Canon[]): Canon => ({ set: items });
const push = (...items: Canon[]): Canon => ({ push: items });
const verb = (format: string, text: string): Canon => ({ verbatim: [format, text] });

/** decodeValue's output → Canon. */
function canon(v: Reply): Canon {
  if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'bigint') return v;
  if (typeof v === 'string') throw new Error(`decodeValue never yields a JS string, got ${JSON.stringify(v)}`);
  if (v instanceof Uint8Array) return bin(latin1(v));
  if (Array.isArray(v)) return v.map(canon);
  if (v instanceof SimpleString) return simple(v.value);
  if (v instanceof ReplyError) return err(v.message);
  if (v instanceof ReplyDouble) return dbl(v.value);
  if (v instanceof ReplyMap) return { map: v.entries.map(([k, x]): [Canon, Canon] => [canon(k), canon(x)]) };
  if (v instanceof ReplySet) return { set: v.items.map(canon) };
  if (v instanceof ReplyPush) return { push: v.items.map(canon) };
  if (v instanceof ReplyVerbatim) return verb(v.format, v.text);
  throw new Error(`unexpected value ${String(v)}`);
}

// msgpackr, an independent MessagePack implementation, with nodis's extension types registered.
class Tagged { constructor(readonly c: Canon) {} }
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: false, int64AsType: 'auto' } as object);
addExtension({ type: 1, unpack: (d) => new Tagged(err(Buffer.from(d).toString('utf8'))) });
addExtension({ type: 2, unpack: (d) => new Tagged({ set: (unpackr.unpack(d) as unknown[]).map(mp) }) });
addExtension({ type: 3, unpack: (d) => new Tagged({ push: (unpackr.unpack(d) as unknown[]).map(mp) }) });
addExtension({ type: 4, unpack: (d) => new Tagged(verb(latin1(d).slice(0, 3), latin1(d).slice(3))) });
const packr = new Packr({ useRecords: false });

/** msgpackr's output → Canon (floats and ints are both JS numbers there: compare with loose()). */
function mp(v: unknown): Canon {
  if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'bigint') return v;
  if (v instanceof Tagged) return v.c;
  if (v instanceof Uint8Array) return bin(latin1(v));
  if (typeof v === 'string') return simple(v);
  if (Array.isArray(v)) return v.map(mp);
  if (v instanceof Map) return { map: [...v.entries()].map(([k, x]): [Canon, Canon] => [mp(k), mp(x)]) };
  throw new Error(`unexpected msgpackr value ${String(v)}`);
}

/** What msgpackr can tell apart: doubles are plain numbers, int64s within 2^53 are numbers. */
function loose(c: Canon): Canon {
  if (typeof c === 'bigint') return c >= -(2n ** 53n) && c <= 2n ** 53n ? Number(c) : c;
  if (c === null || typeof c !== 'object') return c;
  if (Array.isArray(c)) return c.map(loose);
  if ('double' in c) return c.double;
  if ('map' in c) return { map: c.map.map(([k, x]): [Canon, Canon] => [loose(k), loose(x)]) };
  if ('set' in c) return { set: c.set.map(loose) };
  if ('push' in c) return { push: c.push.map(loose) };
  return c;
}

// ---- Helpers

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
/** n bytes of a pattern, as a latin1 string. */
const pattern = (n: number, seed = 7): string => latin1(Uint8Array.from({ length: n }, (_, i) => (i * seed + 3) & 0xff));
const ALL_BYTES = latin1(Uint8Array.from({ length: 256 }, (_, i) => i));
/** A 4-byte length prefix announcing n bytes. */
const announce = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
/** A frame: the 4-byte length, then the body. */
const frame = (body: Buffer): Buffer => Buffer.concat([announce(body.length), body]);

/** Feeds the chunks to a FrameSplitter and returns copies of the frame bodies (all must be whole). */
function split(chunks: readonly Buffer[], splitter = new FrameSplitter()): Buffer[] {
  const out: Buffer[] = [];
  for (const c of chunks) {
    expect(splitter.feed(c, () => undefined, (b, s, e) => { out.push(Buffer.from(b.subarray(s, e))); })).toBeUndefined();
  }
  expect(splitter.buffered).toBe(0);
  return out;
}

/** The single frame's body a writer call sequence produces (its prefix checked). */
function body(protocol: 2 | 3, fn: (w: NativeWriter) => void): Buffer {
  const w = new NativeWriter(protocol);
  fn(w);
  const bytes = w.take();
  expect(bytes.readUInt32BE(0)).toBe(bytes.length - 4);
  expect(w.length).toBe(0);
  return bytes.subarray(4);
}

const decoded = (b: Buffer): Canon => canon(decodeValue(b, 0, b.length));

/** What fn throws (undefined if nothing). */
function thrown(fn: () => unknown): unknown { try { fn(); } catch (e) { return e; } return undefined; }

// ---- 1. NativeWriter → decodeValue

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const ints = (n: number) => (w: NativeWriter): void => { w.array(n); for (let i = 0; i < n; i++) w.int(i % 200); };
const intsCanon = (n: number): Canon[] => range(n).map((i) => i % 200);
const pairs16: [Canon, Canon][] = range(16).map((i) => [bin(`f${i}`), i]);

type Case = [string, (w: NativeWriter) => void, Canon, Canon];
/** A case whose value is the same in RESP2 and RESP3. */
const same = (name: string, fn: (w: NativeWriter) => void, v: Canon): Case => [name, fn, v, v];
const long = (n: number): string => 's'.repeat(n);
const Dave = 'I\'m sorry, Dave.\n';

/** [name, calls, RESP2 value, RESP3 value]. */
const cases: Case[] = [
  // The engine's strings are bytes (latin1); simple strings and errors go out as those bytes
  // and decode as UTF-8 (an error quoting a UTF-8 argument reads right).
  ...['OK', '', 'héllo ✓ 😀', long(31), long(32), long(300), long(70000)].map((s) => same(`simple ${s.slice(0, 12)}(${s.length})`, (w) => w.simple(utf8AsLatin1(s)), simple(s))),
  ...['ERR syntax error', 'ERR é ✓', `ERR ${long(296)}`, `ERR ${long(69996)}`].map((s) => same(`error ${s.slice(0, 12)}(${s.length})`, (w) => w.error(utf8AsLatin1(s)), err(s))),
  same('null', (w) => w.null(), null),
  same('nullArray', (w) => w.nullArray(), null),
  same('bulk all bytes', (w) => w.bulk(ALL_BYTES), bin(ALL_BYTES)),
  same('bulk short binary', (w) => w.bulk('\x00\r\n\xff\x80'), bin('\x00\r\n\xff\x80')),
  same('bulk Uint8Array view', (w) => w.bulk(Buffer.from(ALL_BYTES, 'latin1').subarray(10, 60)), bin(ALL_BYTES.slice(10, 60))),
  same('bulk short Uint8Array view', (w) => w.bulk(new Uint8Array([9, 0, 255, 13, 10]).subarray(1)), bin('\x00\xff\r\n')),
  ...[0, 15, 16, 65536].map((n) => same(`array ${n}`, ints(n), intsCanon(n))),
  ['map', (w) => { w.map(2); w.bulk('f'); w.bulk('v'); w.simple('g'); w.int(1); },
    [bin('f'), bin('v'), simple('g'), 1], map([bin('f'), bin('v')], [simple('g'), 1])],
  ['map empty', (w) => w.map(0), [], map()],
  ['map 16', (w) => { w.map(16); for (let i = 0; i < 16; i++) { w.bulk(`f${i}`); w.int(i); } }, pairs16.flat(), { map: pairs16 }],
  ['set', (w) => { w.set(2); w.bulk('a'); w.bulk('b'); }, [bin('a'), bin('b')], set(bin('a'), bin('b'))],
  ['set empty', (w) => w.set(0), [], set()],
  ['set of big members', (w) => { w.set(2); w.bulk(long(70000)); w.bulk('b'); }, [bin(long(70000)), bin('b')], set(bin(long(70000)), bin('b'))],
  ['push', (w) => { w.push(3); w.bulk('subscribe'); w.bulk('ch'); w.int(1); },
    [bin('subscribe'), bin('ch'), 1], push(bin('subscribe'), bin('ch'), 1)],
  ['push empty', (w) => w.push(0), [], push()],
  ...([[1.5, '1.5'], [1.1, '1.1000000000000001'], [Infinity, 'inf'], [-Infinity, '-inf'], [NaN, 'nan'], [-0, '-0'],
    [1e300, '1.0000000000000001e+300']] as const).map(([d, text]): Case => [`double ${text}`, (w) => w.double(d), bin(text), dbl(d)]),
  ['bool true', (w) => w.bool(true), 1, true],
  ['bool false', (w) => w.bool(false), 0, false],
  ['verbatim', (w) => w.verbatim(Dave, 'txt'), bin(Dave), verb('txt', Dave)],
  ['verbatim binary', (w) => w.verbatim('\x00\xff', 'mkd'), bin('\x00\xff'), verb('mkd', '\x00\xff')],
  ['verbatim long format', (w) => w.verbatim('a', 'markdown'), bin('a'), verb('mar', 'a')],
  ['verbatim short format', (w) => w.verbatim('a', 'x'), bin('a'), verb('x  ', 'a')],
  ['nested empties', (w) => { w.push(4); w.set(0); w.array(0); w.map(0); w.set(2); w.push(0); w.array(1); w.set(0); },
    [[], [], [], [[], [[]]]], push(set(), [], map(), set(push(), [set()]))],
  ['nested mixed', (w) => {
    w.array(4); w.map(1); w.simple('k'); w.set(1); w.double(2.5); w.error('ERR x'); w.null(); w.push(1); w.bool(true);
  }, [[simple('k'), [bin('2.5')]], err('ERR x'), null, [1]], [map([simple('k'), set(dbl(2.5))]), err('ERR x'), null, push(true)]],
  ['100 nested sets', (w) => { for (let i = 0; i < 100; i++) w.set(1); w.int(7); },
    range(100).reduce<Canon>((c) => [c], 7), range(100).reduce<Canon>((c) => set(c), 7)],
];

/** [value, type byte, decoded]: the smallest MessagePack encoding, decoded back. */
const intCases: [number | bigint, number, number | bigint][] = [
  [0, 0x00, 0], [127, 0x7f, 127], [128, 0xcc, 128], [255, 0xcc, 255], [256, 0xcd, 256], [65535, 0xcd, 65535],
  [65536, 0xce, 65536], [2 ** 32 - 1, 0xce, 2 ** 32 - 1], [2 ** 32, 0xcf, 2 ** 32], [2 ** 53 - 1, 0xcf, 2 ** 53 - 1],
  [-1, 0xff, -1], [-32, 0xe0, -32], [-33, 0xd0, -33], [-128, 0xd0, -128], [-129, 0xd1, -129],
  [-32768, 0xd1, -32768], [-32769, 0xd2, -32769], [-(2 ** 31), 0xd2, -(2 ** 31)], [-(2 ** 31) - 1, 0xd3, -(2 ** 31) - 1],
  [-(2 ** 53) + 1, 0xd3, -(2 ** 53) + 1], [2n ** 63n - 1n, 0xcf, 2n ** 63n - 1n], [-(2n ** 63n), 0xd3, -(2n ** 63n)],
  [5n, 0xcf, 5], [-5n, 0xd3, -5], [2 ** 53, 0xcf, 2n ** 53n],
];

describe('NativeWriter → decodeValue', () => {
  it.each(cases)('%s', (_name, fn, resp2, resp3) => {
    expect(decoded(body(2, fn))).toEqual(resp2);
    expect(decoded(body(3, fn))).toEqual(resp3);
  });

  it.each(intCases)('int %s', (n, type, back) => {
    for (const protocol of [2, 3] as const) {
      const b = body(protocol, (w) => w.int(n));
      expect(b[0]).toBe(type);
      expect(decoded(b)).toEqual(back);
    }
  });

  it.each([0, 1, 23, 24, 31, 32, 255, 256, 65535, 65536])('bulk of %i bytes, string and Uint8Array', (n) => {
    const s = pattern(n);
    const header = n < 0x100 ? 0xc4 : n < 0x10000 ? 0xc5 : 0xc6;
    for (const value of [s, Buffer.from(s, 'latin1'), new Uint8Array(Buffer.from(s, 'latin1'))]) {
      const b = body(2, (w) => w.bulk(value));
      expect(b[0]).toBe(header);
      expect(decoded(b)).toEqual(bin(s));
    }
  });

  // The format of format.ts's header, byte for byte: other languages' decoders rely on it.
  it.each<[string, (w: NativeWriter) => void, string]>([
    ['simple 31', (w) => w.simple(long(31)), 'bf'], ['simple 32', (w) => w.simple(long(32)), 'd920'],
    ['simple 300', (w) => w.simple(long(300)), 'da012c'], ['simple 70000', (w) => w.simple(long(70000)), 'db00011170'],
    ['error', (w) => w.error('ERR x'), 'c7050145525220 78'], ['error 300', (w) => w.error(long(300)), 'c8012c01'],
    ['error 70000', (w) => w.error(long(70000)), 'c90001117001'], ['set empty', (w) => w.set(0), 'c9 00000001 02 90'],
    ['push of 1', (w) => { w.push(1); w.int(1); }, 'c9 00000002 03 91 01'],
    ['verbatim', (w) => w.verbatim('hi', 'txt'), 'c7 05 04 747874 6869'],
    ['double', (w) => w.double(1.5), 'cb 3ff8000000000000'], ['true', (w) => w.bool(true), 'c3'], ['null', (w) => w.null(), 'c0'],
    ['map 15', (w) => { w.map(15); for (let i = 0; i < 30; i++) w.int(0); }, '8f'],
    ['map 16', (w) => { w.map(16); for (let i = 0; i < 32; i++) w.int(0); }, 'de0010'],
    ['array 15', ints(15), '9f'], ['array 16', ints(16), 'dc0010'], ['array 65536', ints(65536), 'dd00010000'],
  ])('RESP3 %s starts with %s', (_name, fn, start) => {
    expect(body(3, fn).subarray(0, hex(start).length).toString('hex')).toBe(hex(start).toString('hex'));
  });

  it('writes replies back to back; FrameSplitter finds each, whatever the takes in between', () => {
    for (const protocol of [2, 3] as const) {
      const w = new NativeWriter(protocol);
      const taken: Buffer[] = [];
      cases.forEach(([, fn], i) => {
        fn(w);
        if (i % 3 === 0) taken.push(Buffer.from(w.take()));
      });
      taken.push(w.take());
      const bodies = split(taken);
      expect(bodies.map((b) => decoded(b))).toEqual(cases.map((c) => (protocol === 2 ? c[2] : c[3])));
    }
  });

  it('keeps open frame and set lengths right when pending bytes move to a new slab', () => {
    for (const protocol of [2, 3] as const) {
      const w = new NativeWriter(protocol);
      w.simple('first');
      const first = Buffer.from(w.take()); // now the pending bytes start inside the slab
      w.push(2); w.set(3); w.bulk('a'.repeat(3000)); w.bulk('b'.repeat(30000)); w.set(0); w.int(-1);
      const bodies = split([first, w.take()]);
      const members = [bin('a'.repeat(3000)), bin('b'.repeat(30000)), protocol === 2 ? [] : set()];
      expect(bodies.map((b) => decoded(b))).toEqual([
        simple('first'),
        protocol === 2 ? [members, -1] : push(set(...members), -1),
      ]);
    }
  });

  it('hello() writes a map in either protocol, and leaves the protocol as it was', () => {
    const fields = { protocol: 'nodis-native', version: 1, server: '0.1.0', id: 70000 };
    const w = new NativeWriter(2);
    w.hello(fields);
    w.map(1); w.bulk('k'); w.bulk('v');
    const [hello, after] = split([w.take()]);
    expect(helloFields(decodeValue(hello!, 0, hello!.length))).toEqual(fields);
    expect(unpackr.unpack(hello!)).toEqual(new Map(Object.entries(fields)));
    expect(decoded(after!)).toEqual([bin('k'), bin('v')]);
  });
});

// ---- 2. Interoperability with msgpackr

describe('msgpackr reads what NativeWriter writes', () => {
  it.each(cases)('%s', (_name, fn, resp2, resp3) => {
    expect(mp(unpackr.unpack(body(2, fn)))).toEqual(loose(resp2));
    expect(mp(unpackr.unpack(body(3, fn)))).toEqual(loose(resp3));
  });

  it.each(intCases)('int %s', (n, _type, back) => {
    expect(unpackr.unpack(body(3, (w) => w.int(n)))).toBe(loose(back));
  });
});

const MAX_ARG = 512 * 1024 * 1024;
const decodeBody = (b: Buffer, max = MAX_ARG): string[] => decodeCommand(b, 0, b.length, max);

describe('decodeCommand reads what msgpackr packs', () => {
  it.each<[string, unknown[], string[]]>([
    ['bin and str', ['SET', 'k', Buffer.from([0, 255])], ['SET', 'k', '\x00\xff']],
    ['str as UTF-8 bytes', ['SET', 'é', '✓'], ['SET', '\xc3\xa9', '\xe2\x9c\x93']],
    ['small ints', ['X', 0, 5, 127, 128, 255, 65536, -1, -33, -129], ['X', '0', '5', '127', '128', '255', '65536', '-1', '-33', '-129']],
    ['32-bit ints', ['X', 2 ** 31, -(2 ** 31) - 1, 2 ** 32 - 1], ['X', '2147483648', '-2147483649', '4294967295']],
    ['big ints', ['X', 2 ** 40, 2n ** 63n - 1n, -(2n ** 63n)], ['X', '1099511627776', '9223372036854775807', '-9223372036854775808']],
    ['floats', ['X', 1.5, -0.25, 0.1, Infinity, -Infinity, NaN], ['X', '1.5', '-0.25', '0.1', 'inf', '-inf', 'nan']],
    ['str8/16/32', ['X', 'a'.repeat(40), 'b'.repeat(300), 'c'.repeat(70000)], ['X', 'a'.repeat(40), 'b'.repeat(300), 'c'.repeat(70000)]],
    ['bin16/32', ['X', Buffer.alloc(300, 1), Buffer.alloc(70000, 2)], ['X', '\x01'.repeat(300), '\x02'.repeat(70000)]],
    ['empty str and bin', ['X', '', Buffer.alloc(0)], ['X', '', '']],
    ['16 arguments', range(16).map(String), range(16).map(String)],
  ])('%s', (_name, argv, expected) => {
    expect(decodeBody(packr.pack(argv))).toEqual(expected);
  });

  it('float32 arguments', () => {
    const f32 = new Packr({ useRecords: false, useFloat32: FLOAT32_OPTIONS.ALWAYS });
    const b = f32.pack(['X', 1.5, -2.25]);
    expect(b.includes(0xca)).toBe(true);
    expect(decodeBody(b)).toEqual(['X', '1.5', '-2.25']);
  });

  it('a hello packed by msgpackr reaches onHello', () => {
    const hellos: unknown[] = [];
    const p = new NativeRequestParser({ maxArgLength: MAX_ARG, maxFrame: 1 << 20, onHello: (f) => { hellos.push(f); return true; } });
    const commands: string[][] = [];
    const stream = Buffer.concat([frame(packr.pack({ protocol: 'nodis-native', version: 1, client: 'py' })), frame(packr.pack(['GET', 'k']))]);
    expect(p.feed(stream, (argv) => { commands.push(argv); })).toBeUndefined();
    expect(hellos).toEqual([{ protocol: 'nodis-native', version: 1, client: 'py' }]);
    expect(commands).toEqual([['GET', 'k']]);
  });
});

describe('NativeRequestWriter.hello', () => {
  const helloOf = (client: string): unknown => {
    const w = new NativeRequestWriter();
    w.hello(client);
    const [b] = split(w.take());
    expect(helloFields(decodeValue(b!, 0, b!.length))).toEqual({ protocol: 'nodis-native', version: 1, client });
    return new Unpackr({ useRecords: false, mapsAsObjects: true }).unpack(b!);
  };

  it.each(['nodis-js/0.1.0', '', 'é ✓', 'c'.repeat(31), 'c'.repeat(32), 'c'.repeat(255)])('client %j', (client) => {
    expect(helloOf(client)).toEqual({ protocol: 'nodis-native', version: 1, client });
  });

  // Was a bug (str() wrote a str8 header whose length byte wrapped for 256+ bytes).
  it('client names of 300 and 70,000 bytes', () => {
    expect(helloOf('c'.repeat(70_000))).toEqual({ protocol: 'nodis-native', version: 1, client: 'c'.repeat(70_000) });
    expect(helloOf('c'.repeat(300))).toEqual({ protocol: 'nodis-native', version: 1, client: 'c'.repeat(300) });
  });
});

// ---- 3. NativeRequestWriter.command → FrameSplitter → decodeCommand

/** Encodes the commands, checks what take() hands out, and decodes them back. */
function roundTrip(commands: readonly string[][]): { argv: string[][]; pieces: Buffer[] } {
  const w = new NativeRequestWriter();
  for (const argv of commands) w.command(argv);
  const length = w.length;
  const pieces = w.take();
  expect(pieces.reduce((n, p) => n + p.length, 0)).toBe(length);
  expect(w.length).toBe(0);
  expect(w.take()).toEqual([]);
  const bodies = split(pieces);
  for (const b of bodies) expect(mp(unpackr.unpack(b))).toEqual(decodeBody(b).map(bin)); // valid MessagePack
  return { argv: bodies.map((b) => decodeBody(b)), pieces };
}

describe('NativeRequestWriter.command → decodeCommand', () => {
  it.each<[string, string[]]>([
    ['PING', ['PING']],
    ['all bytes', ['SET', 'k', ALL_BYTES]],
    ['empty arguments', ['SET', '', '']],
    ...[23, 24, 255, 256, 65535, 65536, 1 << 20].map((n): [string, string[]] => [`argument of ${n}`, ['SET', 'k', pattern(n)]]),
    ['15 arguments', range(15).map(String)],
    ['16 arguments', range(16).map(String)],
    ['65535 arguments', range(65535).map(String)],
    ['65536 arguments', range(65536).map(String)],
  ])('%s', (_name, argv) => {
    expect(roundTrip([argv]).argv).toEqual([argv]);
  });

  it('arguments of 1 MiB and more become pieces of their own, between pipelined commands', () => {
    const big = pattern(1 << 20, 11);
    const huge = pattern(3 << 20, 13);
    const commands = [['PING'], ['SET', 'a', big], ['GET', 'a'], ['SET', 'b', huge], ['SET', 'c', pattern((1 << 20) - 1)], ['PING']];
    const { argv, pieces } = roundTrip(commands);
    expect(argv).toEqual(commands);
    expect(pieces.find((p) => p.length === big.length)?.toString('latin1')).toBe(big);
    expect(pieces.find((p) => p.length === huge.length)?.toString('latin1')).toBe(huge);
    expect(pieces.some((p) => p.length === (1 << 20) - 1)).toBe(false); // below the threshold: copied inline
  });

  // Was a bug: after cut() for a large argument, later arguments of the same command were
  // written into the old buffer, over the frame's own length prefix (`SET k <big>` hid it).
  it.each<[string, string[]]>([
    ['SET k <1 MiB> EX 10', ['SET', 'k', 'v'.repeat(1 << 20), 'EX', '10']],
    ['RPUSH l <1 MiB> <1 MiB>', ['RPUSH', 'l', 'x'.repeat(1 << 20), 'y'.repeat(1 << 20)]],
  ])('an argument after a large one: %s', (_name, argv) => {
    expect(roundTrip([argv]).argv).toEqual([argv]);
  });

  it('round trips random commands (fast-check)', () => {
    const arg = fc.uint8Array({ maxLength: 300 }).map(latin1);
    fc.assert(fc.property(fc.array(fc.array(arg, { minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 8 }), (commands) => {
      expect(roundTrip(commands).argv).toEqual(commands);
    }), { numRuns: 200 });
  });
});

// ---- 4. FrameSplitter

describe('FrameSplitter', () => {
  const bodies = [0, 1, 3, 4, 5, 40, 0, 200].map((n, i) => Buffer.from(pattern(n, i + 3), 'latin1'));
  const stream = Buffer.concat(bodies.map(frame));

  it('gives the same frames however the stream is cut', () => {
    for (let k = 0; k <= stream.length; k++) {
      expect(split([stream.subarray(0, k), stream.subarray(k)])).toEqual(bodies);
    }
    expect(split(range(stream.length).map((i) => stream.subarray(i, i + 1)))).toEqual(bodies);
  });

  it('gives the same frames at random cuts, big frames too (fast-check)', () => {
    const big = [Buffer.alloc(0), Buffer.from(pattern(150000), 'latin1'), Buffer.from('x'), Buffer.from(pattern(70000, 5), 'latin1')];
    const s = Buffer.concat(big.map(frame));
    fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: 1, max: s.length - 1 }), { maxLength: 30 }), (cuts) => {
      const at = [0, ...cuts.sort((a, b) => a - b), s.length];
      const got = split(at.slice(1).map((end, i) => s.subarray(at[i], end)));
      expect(got.map((b) => b.length)).toEqual(big.map((b) => b.length));
      expect(got.every((b, i) => b.equals(big[i]!))).toBe(true);
    }), { numRuns: 100 });
  });

  it('asks tooLong about each announced length, and stops at its message', () => {
    const asked: number[] = [];
    const got: Buffer[] = [];
    const tooLong = (n: number): string | undefined => { asked.push(n); return n > 100 ? `too long: ${n}` : undefined; };
    const input = Buffer.concat([frame(Buffer.from('ab')), frame(Buffer.alloc(50)), hex('000000c8'), frame(Buffer.from('c'))]);
    expect(new FrameSplitter().feed(input, tooLong, (b, st, e) => { got.push(Buffer.from(b.subarray(st, e))); })).toBe('too long: 200');
    expect(asked).toEqual([2, 50, 200]);
    expect(got).toEqual([Buffer.from('ab'), Buffer.alloc(50)]);
  });

  it('onFrame stops it with false or an error message', () => {
    const input = Buffer.concat([frame(Buffer.from('a')), frame(Buffer.from('b')), frame(Buffer.from('c'))]);
    const seen: string[] = [];
    const none = (): undefined => undefined;
    expect(new FrameSplitter().feed(input, none, (b, s, e) => { seen.push(b.toString('latin1', s, e)); return seen.length < 2; })).toBe(false);
    expect(seen).toEqual(['a', 'b']);
    expect(new FrameSplitter().feed(input, none, (b, s, e) => (b.toString('latin1', s, e) === 'a' ? 'bad a' : undefined))).toBe('bad a');
  });

  describe('a frame announcing 2^32-1 bytes', () => {
    afterEach(() => { vi.restoreAllMocks(); });

    it('allocates only as much as arrives', () => {
      const sizes: number[] = [];
      const allocUnsafe = Buffer.allocUnsafe.bind(Buffer);
      vi.spyOn(Buffer, 'allocUnsafe').mockImplementation((n: number) => { sizes.push(n); return allocUnsafe(n); });
      const s = new FrameSplitter();
      const fail = (): never => { throw new Error('no frame is complete'); };
      expect(s.feed(hex('ffffffff'), () => undefined, fail)).toBeUndefined();
      expect(s.buffered).toBeLessThanOrEqual(4);
      expect(Math.max(0, ...sizes)).toBeLessThanOrEqual(64 * 1024);
      let received = 0;
      for (let i = 0; i < 20; i++) {
        expect(s.feed(Buffer.alloc(10000, i), () => undefined, fail)).toBeUndefined();
        received += 10000;
        expect(s.buffered).toBe(received);
        expect(Math.max(...sizes)).toBeLessThanOrEqual(Math.max(64 * 1024, 2 * received));
      }
    });
  });
});

// ---- 5. Bad input

describe('decodeCommand refuses malformed bodies', () => {
  const notArray = 'a command must be an array of arguments, got ';
  const badArg = 'command arguments must be strings, binary or numbers, got ';
  it.each<[string, string, string, number?]>([
    ['empty', '', 'empty frame'], ['a str', 'a0', `${notArray}a string`], ['a map', '80', `${notArray}a map`],
    ['nil', 'c0', `${notArray}nil`], ['an int', '05', `${notArray}an integer`],
    ['an empty array', '90', 'empty command'], ['an empty array 16', 'dc0000', 'empty command'],
    ['a nil argument', '92a1 58 c0', `${badArg}nil`], ['a map argument', '92a1 58 80', `${badArg}a map`],
    ['an array argument', '92a1 58 91a1 59', `${badArg}an array`], ['a bool argument', '91c3', `${badArg}a boolean`],
    ['an ext argument', '91d40100', `${badArg}an extension`], ['0xc1', '91c1', `${badArg}an unused type byte`],
    ['trailing bytes', '91c400 0000', '2 bytes after the command'],
    ['a count beyond the bytes left', 'ddffffffff c400', 'truncated frame'],
    ['a count beyond the bytes left (16)', 'dc0003 c400 c400', 'truncated frame'],
    ['a str over the limit', '91a4 61626364', 'invalid bulk length', 3],
    ['a bin over the limit', '91c404 61626364', 'invalid bulk length', 3],
    ['a bin32 of 4 GiB', '91c6ffffffff 00', 'invalid bulk length'],
    ['a str32 past the end', '91dbffffff00 00', 'truncated frame', 2 ** 32],
  ])('%s', (_name, bytes, message, max = MAX_ARG) => {
    const e = thrown(() => decodeBody(hex(bytes), max));
    expect(e).toBeInstanceOf(FrameError);
    expect((e as Error).message).toBe(message);
  });

  it('accepts an argument of exactly maxArgLength, and reads only inside [start, end)', () => {
    const junk = Buffer.from('\xff\xff\xff', 'latin1');
    const b = Buffer.concat([junk, hex('92 a3616263 c403646566'), junk]);
    expect(decodeCommand(b, 3, b.length - 3, 3)).toEqual(['abc', 'def']);
  });

  it('throws FrameError for every truncation, never reading past the end', () => {
    // The bytes after `end` are the rest of a valid body: a decoder that reads past the end
    // returns the whole command instead of throwing.
    const w = new NativeRequestWriter();
    w.command(['SET', 'key', pattern(300), '', '\xc3\xa9', pattern(70)]);
    w.command(range(20).map(String));
    const bodies = [...split(w.take()), packr.pack(['INCRBYFLOAT', 'k', 1.5, -129, 2n ** 63n - 1n, 70000, 'é', Buffer.from([1])])];
    for (const b of bodies) {
      for (let k = 0; k < b.length; k++) {
        const e = thrown(() => decodeCommand(b, 0, k, MAX_ARG));
        if (!(e instanceof FrameError)) expect.fail(`prefix ${k} of ${b.toString('hex').slice(0, 40)}: ${String(e)}`);
      }
      expect(decodeBody(b).length).toBeGreaterThan(0);
    }
  });
});

/** n nested values: open(i) before the core, as one body. */
const nested = (n: number, open: string, core: string, close = ''): Buffer => hex(open.repeat(n) + core + close.repeat(n));
/** n sets nested inside each other around an int (ext 32 lengths computed inside out). */
const nestedSets = (n: number): Buffer => range(n).reduce((inner) => Buffer.concat([
  hex('c9'), announce(inner.length + 1), hex('02 91'), inner]), hex('01'));

describe('decodeValue refuses malformed bodies', () => {
  it.each<[string, Buffer, string]>([
    ['empty', hex(''), 'empty frame'], ['0xc1', hex('c1'), 'unused type byte 0xc1'],
    ['0xc1 inside an array', hex('92 01 c1'), 'unused type byte 0xc1'], ['trailing bytes', hex('c0c0'), '1 bytes after the value'],
    ['unknown ext type', hex('c7010500'), 'unknown extension type 5'], ['unknown fixext type', hex('d47f00'), 'unknown extension type 127'],
    ...[['array', 'ddffffffff 00'], ['map', 'dfffffffff 00 00'], ['bin', 'c6ffffffff 00'], ['str', 'dbffffffff 00'], ['ext', 'c9ffffffff 02 90']]
      .map(([type, bytes]): [string, Buffer, string] => [`${type} 32 beyond the bytes`, hex(bytes!), 'truncated frame']),
    ['a set holding an int', hex('d40205'), 'extension 2 must hold exactly one array'],
    ['a push holding two values', hex('d5039000'), 'extension 3 must hold exactly one array'],
    ['a verbatim without format', hex('d50461 62'), 'verbatim string without a format'],
    ['10,000 nested arrays', nested(10000, '91', 'c0'), 'values nested too deep'],
    ['10,000 nested map keys', nested(10000, '81', 'c0', 'c0'), 'values nested too deep'],
    ['10,000 nested sets', nestedSets(10000), 'values nested too deep'],
  ])('%s', (_name, bytes, message) => {
    const e = thrown(() => decodeValue(bytes, 0, bytes.length));
    expect(e).toBeInstanceOf(FrameError);
    expect((e as Error).message).toBe(message);
  });

  it('decodes a hundred nested levels', () => {
    expect(decoded(nested(100, '91', '07'))).toEqual(range(100).reduce<Canon>((c) => [c], 7));
    expect(decoded(nestedSets(100))).toEqual(range(100).reduce<Canon>((c) => set(c), 1));
  });

  it('throws FrameError for every truncation of a reply, never reading past the end', () => {
    for (const [, fn, , resp3] of cases) {
      const b = body(3, fn);
      if (b.length > 5000) continue;
      for (let k = 0; k < b.length; k++) {
        const e = thrown(() => decodeValue(b, 0, k));
        if (!(e instanceof FrameError)) expect.fail(`prefix ${k} of ${b.toString('hex').slice(0, 40)}: ${String(e)}`);
      }
      expect(decoded(b)).toEqual(resp3);
    }
  });
});

// ---- NativeRequestParser

function parser(options: Partial<NativeRequestParserOptions> = {}) {
  const hellos: unknown[] = [];
  const commands: string[][] = [];
  const p = new NativeRequestParser({
    maxArgLength: MAX_ARG, maxFrame: 1000, onHello: (f) => { hellos.push(f); return true; }, ...options,
  });
  const feed = (chunk: Buffer): string | undefined => p.feed(chunk, (argv) => { commands.push(argv); });
  return { p, hellos, commands, feed };
}

const helloFrame = (): Buffer => { const w = new NativeRequestWriter(); w.hello('t'); return Buffer.concat(w.take()); };
const commandFrames = (...commands: string[][]): Buffer => {
  const w = new NativeRequestWriter();
  for (const c of commands) w.command(c);
  return Buffer.concat(w.take());
};
const HELLO = { protocol: 'nodis-native', version: 1, client: 't' };

describe('NativeRequestParser', () => {
  it('takes the hello, then commands, at every cut of the stream', () => {
    const stream = Buffer.concat([helloFrame(), commandFrames(['PING'], ['SET', 'k', ALL_BYTES], ['GET', 'k'])]);
    for (let k = 0; k <= stream.length; k++) {
      const { hellos, commands, feed } = parser();
      expect(feed(stream.subarray(0, k))).toBeUndefined();
      expect(feed(stream.subarray(k))).toBeUndefined();
      expect(hellos).toEqual([HELLO]);
      expect(commands).toEqual([['PING'], ['SET', 'k', ALL_BYTES], ['GET', 'k']]);
    }
  });

  // Was a bug: the RESP-client check looked at the first byte of any chunk while nothing was
  // buffered, so a body after a prefix that arrived alone was taken for a RESP client.
  it('takes a hello whose length prefix arrives in a chunk of its own', () => {
    const { hellos, feed } = parser();
    const h = helloFrame();
    expect(feed(h.subarray(0, 4))).toBeUndefined();
    expect(feed(h.subarray(4))).toBeUndefined();
    expect(hellos).toEqual([HELLO]);
  });

  it.each<[string, Buffer]>([
    ['a command', commandFrames(['PING'])],
    ['an empty frame', hex('00000000')],
    ['a map with an int key', frame(hex('810102'))],
    ['an unreadable value', frame(hex('c1'))],
  ])('gives onHello undefined for %s first', (_name, first) => {
    const { hellos, commands, feed } = parser();
    expect(feed(Buffer.concat([first, commandFrames(['GET', 'k'])]))).toBeUndefined();
    expect(hellos).toEqual([undefined]);
    expect(commands).toEqual([['GET', 'k']]);
  });

  it('stops reading when onHello refuses, or onCommand returns false', () => {
    const refused = parser({ onHello: () => false });
    expect(refused.feed(Buffer.concat([helloFrame(), commandFrames(['PING'])]))).toBeUndefined();
    expect(refused.feed(commandFrames(['PING']))).toBeUndefined();
    expect(refused.commands).toEqual([]);
    const stop = new NativeRequestParser({ maxArgLength: MAX_ARG, maxFrame: 1000, onHello: () => true });
    const seen: string[][] = [];
    expect(stop.feed(Buffer.concat([helloFrame(), commandFrames(['A'], ['B'])]), (argv) => { seen.push(argv); return false; })).toBeUndefined();
    expect(stop.feed(commandFrames(['C']), (argv) => { seen.push(argv); })).toBeUndefined();
    expect(seen).toEqual([['A']]);
  });

  it.each(['*1\r\n$4\r\nPING\r\n', 'PING\r\n', '*'])('tells a RESP client (%j) where to go, for good', (input) => {
    const { p, hellos, feed } = parser();
    const error = feed(Buffer.from(input, 'latin1'));
    expect(error).toMatch(/^Protocol error: this socket speaks the nodis native protocol/);
    expect(p.respClient).toBe(true);
    expect(feed(helloFrame())).toBe(error);
    expect(hellos).toEqual([]);
  });

  const limit = { maxUnauthenticatedFrame: 100 };
  it.each<[string, Partial<NativeRequestParserOptions>, boolean, number, number | undefined]>([
    // [name, options, authenticated, announced length, limit it breaks]; maxFrame is 1000
    ['hello of MAX_HELLO_FRAME', {}, true, MAX_HELLO_FRAME, undefined],
    ['hello over MAX_HELLO_FRAME', {}, true, MAX_HELLO_FRAME + 1, MAX_HELLO_FRAME],
    ['hello over maxUnauthenticatedFrame', limit, false, 1000, undefined],
    ['command of maxFrame', {}, true, 1000, undefined],
    ['command over maxFrame', {}, true, 1001, 1000],
    ['unauthenticated command of maxUnauthenticatedFrame', limit, false, 100, undefined],
    ['unauthenticated command over maxUnauthenticatedFrame', limit, false, 101, 100],
    ['unauthenticated command over MAX_HELLO_FRAME (the default)', { maxFrame: 1 << 20 }, false, MAX_HELLO_FRAME + 1, MAX_HELLO_FRAME],
    ['authenticated command over maxUnauthenticatedFrame', limit, true, 1000, undefined],
  ])('bounds frames: %s', (name, options, authenticated, length, broken) => {
    const { p, commands, feed } = parser(options);
    p.authenticated = authenticated;
    const before = name.startsWith('hello') ? Buffer.alloc(0) : Buffer.concat([helloFrame(), commandFrames(['PING'])]);
    const error = feed(Buffer.concat([before, announce(length)]));
    expect(commands).toEqual(before.length > 0 ? [['PING']] : []);
    if (broken === undefined) return expect(error).toBeUndefined();
    expect(error).toBe(`Protocol error: a frame of ${length} bytes is over the limit of ${broken} bytes`);
    expect(feed(commandFrames(['PING']))).toBe(error);
    expect(commands.length).toBe(before.length > 0 ? 1 : 0);
  });

  it('answers a malformed command with a protocol error, after the commands before it, and then always', () => {
    const { commands, feed } = parser();
    const error = feed(Buffer.concat([helloFrame(), commandFrames(['PING']), frame(hex('90')), commandFrames(['GET', 'k'])]));
    expect(error).toBe('Protocol error: empty command');
    expect(commands).toEqual([['PING']]);
    expect(feed(commandFrames(['GET', 'k']))).toBe(error);
    expect(commands).toEqual([['PING']]);
  });

  it('keeps buffered small for a huge announced frame', () => {
    const { p, feed } = parser({ maxFrame: 2 ** 32 - 1 });
    expect(feed(Buffer.concat([helloFrame(), announce(2 ** 32 - 1), Buffer.alloc(10)]))).toBeUndefined();
    expect(p.buffered).toBe(10);
  });
});

// ---- 6. NativeReplyParser

describe('NativeReplyParser', () => {
  it('hands out replies as they complete, then throws for a malformed frame and ever after', () => {
    const w = new NativeWriter(3);
    w.simple('OK'); w.set(1); w.bulk('m');
    const good = w.take();
    const replies: Canon[] = [];
    const p = new NativeReplyParser();
    const onReply = (r: Reply): void => { replies.push(canon(r)); };
    for (let i = 0; i < good.length; i++) p.feed(good.subarray(i, i + 1), onReply);
    expect(replies).toEqual([simple('OK'), set(bin('m'))]);

    const e = thrown(() => p.feed(Buffer.concat([frame(hex('2a')), frame(hex('c1')), frame(hex('2b'))]), onReply));
    expect(e).toBeInstanceOf(FrameError);
    expect(replies).toEqual([simple('OK'), set(bin('m')), 42]);
    expect(thrown(() => p.feed(frame(hex('01')), onReply))).toBe(e);
    expect(replies.length).toBe(3);
  });

  it.each<[string, Buffer]>([
    ['trailing bytes', frame(hex('c0c0'))],
    ['a truncated body', frame(hex('92 01'))],
    ['an empty frame', hex('00000000')],
  ])('throws FrameError for %s', (_name, bytes) => {
    const p = new NativeReplyParser();
    const e = thrown(() => p.feed(bytes, () => undefined));
    expect(e).toBeInstanceOf(FrameError);
    expect(thrown(() => p.feed(frame(hex('c0')), () => undefined))).toBe(e);
  });
});
