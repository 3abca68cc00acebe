import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { constants } from 'node:buffer';
import { RequestParser, splitInlineArgs } from './parser.js';

const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');

/** RESP multibulk encoding of argv (latin1 strings). */
function encode(argv: readonly string[]): string {
  let out = `*${argv.length}\r\n`;
  for (const a of argv) out += `$${a.length}\r\n${a}\r\n`;
  return out;
}

interface Outcome { commands: string[][]; error: string | undefined }

/** Feeds the chunks in order; collects commands and the first error. */
function feedAll(chunks: readonly Buffer[], parser = new RequestParser()): Outcome {
  const commands: string[][] = [];
  let error: string | undefined;
  for (const chunk of chunks) {
    error = parser.feed(chunk, (argv) => { commands.push(argv); });
    if (error !== undefined) break;
  }
  return { commands, error };
}

const parseOne = (input: string, parser?: RequestParser): Outcome => feedAll([bytes(input)], parser);

/** Splits input into chunks of the given sizes (cycled). */
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

describe('RequestParser: well-formed requests', () => {
  it('parses a multibulk command', () => {
    expect(parseOne('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n')).toEqual({
      commands: [['SET', 'k', 'value']], error: undefined,
    });
  });

  it('parses empty and binary arguments byte for byte', () => {
    const arg = '\x00\r\n\xff\x80$*\r';
    expect(parseOne(encode(['SET', '', arg])).commands).toEqual([['SET', '', arg]]);
  });

  it('parses arguments of every small and larger length', () => {
    const argv = Array.from({ length: 40 }, (_, n) => 'abcdefghijklmnopqrstuvwxyz0123456789!@#$'.slice(0, n));
    expect(parseOne(encode(argv)).commands).toEqual([argv]);
  });

  it('parses inline commands with LF or CRLF', () => {
    expect(parseOne('PING\r\nECHO  hello   world\nGET k\r\n').commands)
      .toEqual([['PING'], ['ECHO', 'hello', 'world'], ['GET', 'k']]);
  });

  it('skips empty requests: blank lines, *0, *-N (RELIABILITY #10)', () => {
    expect(parseOne('\r\n*0\r\n*-10\r\n   \r\n\n*-9223372036854775808\r\nPING\r\n')).toEqual({
      commands: [['PING']], error: undefined,
    });
  });

  it('delivers a pipelined batch in order', () => {
    const argvs = Array.from({ length: 1000 }, (_, i) => (i % 2 ? ['GET', `key:${i}`] : ['SET', `key:${i}`, `v${i}`]));
    const out = parseOne(argvs.map(encode).join('') + 'PING\r\n');
    expect(out.error).toBeUndefined();
    expect(out.commands).toEqual([...argvs, ['PING']]);
  });

  it('waits for incomplete requests and reports the held bytes', () => {
    const parser = new RequestParser();
    const seen: string[][] = [];
    expect(parser.feed(bytes('*2\r\n$3\r\nGET\r\n$5\r\nab'), (a) => { seen.push(a); })).toBeUndefined();
    expect(seen).toEqual([]);
    // 'GET' completed (3 bytes) plus the 2 payload bytes held.
    expect(parser.buffered).toBe(5);
    parser.feed(bytes('cde\r\n'), (a) => { seen.push(a); });
    expect(seen).toEqual([['GET', 'abcde']]);
    expect(parser.buffered).toBe(0);
  });

  it('stops and discards the rest when onCommand returns false (QUIT)', () => {
    const parser = new RequestParser();
    const seen: string[][] = [];
    const onCommand = (argv: string[]): boolean => { seen.push(argv); return argv[0] !== 'QUIT'; };
    expect(parser.feed(bytes(encode(['PING']) + encode(['QUIT']) + encode(['SET', 'a', 'b']) + '*1\r\n$3\r\nfo'), onCommand))
      .toBeUndefined();
    expect(parser.feed(bytes(encode(['GET', 'a'])), onCommand)).toBeUndefined();
    expect(seen).toEqual([['PING'], ['QUIT']]);
    expect(parser.buffered).toBe(0);
  });

  it('stops inside a chunk that completes a held element', () => {
    const parser = new RequestParser();
    const seen: string[][] = [];
    const onCommand = (argv: string[]): boolean => { seen.push(argv); return false; };
    parser.feed(bytes('*1\r\n$4\r\nQU'), onCommand);
    parser.feed(bytes('IT\r\nPING\r\n'), onCommand);
    expect(seen).toEqual([['QUIT']]);
  });
});

describe('RequestParser: hostile input (RELIABILITY.md, messages of Redis 7.0.15)', () => {
  it('#1 refuses a huge multibulk count without allocating for it', () => {
    const parser = new RequestParser();
    expect(parseOne('*3000000000\r\n', parser).error).toBe('Protocol error: invalid multibulk length');
    expect(parseOne('*2147483648\r\n').error).toBe('Protocol error: invalid multibulk length');
    // INT_MAX is accepted, and costs nothing until arguments arrive.
    const big = new RequestParser();
    expect(big.feed(bytes('*2147483647\r\n$1\r\na\r\n'), () => {})).toBeUndefined();
    expect(big.buffered).toBe(1);
  });

  it('#1 refuses malformed multibulk counts like string2ll', () => {
    for (const header of ['*\r\n', '*05\r\n', '*-0\r\n', '*+1\r\n', '* 1\r\n', '*1 \r\n', '*1x\r\n',
      '*-9223372036854775809\r\n', '*99999999999999999999\r\n', '*1\rX', '*1\x00\r\n']) {
      expect(parseOne(header).error, JSON.stringify(header)).toBe('Protocol error: invalid multibulk length');
    }
  });

  it('#2 refuses a bulk above proto-max-bulk-len before reading its payload', () => {
    const parser = new RequestParser();
    const commands: string[][] = [];
    expect(parser.feed(bytes('*1\r\n$536870913\r\n'), (a) => { commands.push(a); }))
      .toBe('Protocol error: invalid bulk length');
    const limited = new RequestParser({ maxBulkLength: 100 });
    expect(parseOne('*1\r\n$100\r\n', limited).error).toBeUndefined();
    expect(parseOne('*1\r\n$101\r\n', new RequestParser({ maxBulkLength: 100 })).error)
      .toBe('Protocol error: invalid bulk length');
  });

  it('#2/#14 refuses a bulk longer than V8 strings allow, accepts the longest possible', () => {
    expect(constants.MAX_STRING_LENGTH).toBe(536870888);
    // 512 MiB is within proto-max-bulk-len but cannot become a string.
    expect(parseOne('*1\r\n$536870912\r\n').error).toBe('Protocol error: invalid bulk length');
    expect(parseOne('*1\r\n$536870889\r\n').error).toBe('Protocol error: invalid bulk length');
    // Even with a larger configured limit.
    expect(parseOne('*1\r\n$600000000\r\n', new RequestParser({ maxBulkLength: 1e9 })).error)
      .toBe('Protocol error: invalid bulk length');
    const parser = new RequestParser();
    expect(parser.feed(bytes('*1\r\n$536870888\r\nab'), () => {})).toBeUndefined();
    expect(parser.buffered).toBe(2);
  });

  it('#3 refuses negative and non-numeric bulk lengths', () => {
    for (const header of ['$-10', '$-1', '$blabla', '$', '$05', '$+5', '$ 5', '$5 ', '$1.0', '$99999999999999999999999']) {
      expect(parseOne(`*1\r\n${header}\r\n`).error, header).toBe('Protocol error: invalid bulk length');
    }
    expect(parseOne('*1\r\n$5\rx').error).toBe('Protocol error: invalid bulk length');
  });

  it("#4 expects '$' where a bulk header belongs", () => {
    expect(parseOne('*1\r\nfoo\r\n').error).toBe("Protocol error: expected '$', got 'f'");
    expect(parseOne('*1\r\n*1\r\n$4\r\nPING\r\n').error).toBe("Protocol error: expected '$', got '*'");
    // Checked on the first byte, before the rest of the line arrives.
    expect(parseOne('*2\r\n$3\r\nGET\r\nx').error).toBe("Protocol error: expected '$', got 'x'");
    expect(parseOne('*1\r\n\xe9').error).toBe("Protocol error: expected '$', got '\xe9'");
  });

  it('#5 is stricter than Redis: a bulk longer than declared is refused', () => {
    expect(parseOne('*1\r\n$1\r\nabc\r\n').error).toBe('Protocol error: expected CRLF after bulk');
    expect(parseOne('*1\r\n$3\r\nabc\n\r').error).toBe('Protocol error: expected CRLF after bulk');
    expect(parseOne('*1\r\n$3\r\nabcd\r\n').error).toBe('Protocol error: expected CRLF after bulk');
  });

  it('#6 refuses an inline request over 64 KiB', () => {
    expect(parseOne('x'.repeat(70_000)).error).toBe('Protocol error: too big inline request');
    expect(parseOne('x'.repeat(70_000) + '\r\n').error).toBe('Protocol error: too big inline request');
    // The boundary: Redis errors once more than 65536 bytes are pending without a newline.
    const parser = new RequestParser();
    expect(parser.feed(bytes('a'.repeat(65_536)), () => {})).toBeUndefined();
    expect(parser.feed(bytes('b'), () => {})).toBe('Protocol error: too big inline request');
    expect(parseOne(`ECHO ${'a'.repeat(65_531)}\n`).commands[0]?.[1]?.length).toBe(65_531);
    expect(parseOne('x'.repeat(100), new RequestParser({ maxInlineLength: 99 })).error)
      .toBe('Protocol error: too big inline request');
  });

  it('#7 refuses a count string over 64 KiB', () => {
    expect(parseOne('*' + '1'.repeat(70_000)).error).toBe('Protocol error: too big mbulk count string');
    expect(parseOne('*' + '1'.repeat(70_000) + '\r\n').error).toBe('Protocol error: too big mbulk count string');
    expect(parseOne('*1\r\n$' + '1'.repeat(70_000)).error).toBe('Protocol error: too big bulk count string');
    // Within the cap, a long count line is merely invalid.
    expect(parseOne('*' + '1'.repeat(1000) + '\r\n').error).toBe('Protocol error: invalid multibulk length');
  });

  it('#8 refuses NUL-led junk within 64 KiB', () => {
    const junk = Buffer.alloc(200 * 1024);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919 + 13) % 256;
    junk[0] = 0;
    const parser = new RequestParser();
    const commands: string[][] = [];
    const error = parser.feed(junk, (a) => { commands.push(a); });
    expect(error).toMatch(/^Protocol error: /);
    expect(parser.buffered).toBeLessThanOrEqual(64 * 1024);
    expect(commands).toEqual([]);
    // Without any newline, the inline cap decides, chunk by chunk.
    const noNewline = Buffer.alloc(200 * 1024, 0x41);
    noNewline[0] = 0;
    expect(feedAll(chunked(noNewline, [4096])).error).toBe('Protocol error: too big inline request');
    expect(parseOne('\x00PING\r\n').error).toBe('Protocol error: NUL byte in inline request');
  });

  it('#9 refuses unbalanced quotes', () => {
    expect(parseOne('set "a b\r\n').error).toBe('Protocol error: unbalanced quotes in request');
    expect(parseOne("set 'a b\r\n").error).toBe('Protocol error: unbalanced quotes in request');
    expect(parseOne('set "a"b\r\n').error).toBe('Protocol error: unbalanced quotes in request');
  });

  it('#11 applies the unauthenticated limits', () => {
    const unauthenticated = (): RequestParser => Object.assign(new RequestParser(), { authenticated: false });
    expect(parseOne(encode(Array.from({ length: 11 }, () => 'a')), unauthenticated()).error)
      .toBe('Protocol error: unauthenticated multibulk length');
    expect(parseOne(encode(Array.from({ length: 10 }, () => 'a')), unauthenticated()).commands).toHaveLength(1);
    expect(parseOne('*1\r\n$16385\r\n', unauthenticated()).error).toBe('Protocol error: unauthenticated bulk length');
    expect(parseOne(encode(['AUTH', 'x'.repeat(16_384)]), unauthenticated()).commands).toHaveLength(1);
    // Invalid is reported before unauthenticated, as Redis orders the checks.
    expect(parseOne('*1\r\n$536870913\r\n', unauthenticated()).error).toBe('Protocol error: invalid bulk length');
    expect(parseOne('*3000000000\r\n', unauthenticated()).error).toBe('Protocol error: invalid multibulk length');
    // Empty requests are not counted.
    expect(parseOne('*-100\r\nPING\r\n', unauthenticated()).commands).toEqual([['PING']]);
  });

  it('#11 lifts the limits for the rest of the chunk once onCommand authenticates', () => {
    const parser = new RequestParser();
    parser.authenticated = false;
    const seen: string[][] = [];
    const input = encode(['AUTH', 'pw']) + encode(Array.from({ length: 12 }, () => 'a')) + encode(['SET', 'k', 'v'.repeat(20_000)]);
    const error = parser.feed(bytes(input), (argv) => {
      seen.push(argv);
      if (argv[0] === 'AUTH') parser.authenticated = true;
    });
    expect(error).toBeUndefined();
    expect(seen.map((a) => a.length)).toEqual([2, 12, 3]);
  });

  it('delivers the commands before an error, then stays dead', () => {
    const parser = new RequestParser();
    const seen: string[][] = [];
    const error = parser.feed(bytes('PING\r\n' + encode(['GET', 'a']) + '*1\r\nfoo\r\n' + 'PING\r\n'), (a) => { seen.push(a); });
    expect(error).toBe("Protocol error: expected '$', got 'f'");
    expect(seen).toEqual([['PING'], ['GET', 'a']]);
    expect(parser.feed(bytes('PING\r\n'), (a) => { seen.push(a); })).toBe(error);
    expect(seen).toHaveLength(2);
  });
});

describe('splitInlineArgs (sdssplitargs as measured on Redis 7.0.15)', () => {
  const split = (line: string): string[] | string => splitInlineArgs(bytes(line), 0, line.length);
  const cases: [string, string[] | string][] = [
    ['set k v', ['set', 'k', 'v']],
    ['  \t set\tk  \x0b\x0cv  ', ['set', 'k', 'v']],
    ['a\x0bb', ['a\x0bb']], // \v separates only outside a token, like Redis
    ['echo "a\\x41\\n\\q\\x4g\\xZZ"', ['echo', 'aA\nqx4gxZZ']],
    ['echo "\\t\\r\\b\\a\\"\\\\"', ['echo', '\t\r\b\x07"\\']],
    ['echo "\\x"', ['echo', 'x']],
    ['echo "\\x4"', ['echo', 'x4']],
    ['echo "\\xff\\x00\\xAb"', ['echo', '\xff\x00\xab']],
    ["echo 'it\\'s'", ['echo', "it's"]],
    ["echo 'a\\b'", ['echo', 'a\\b']],
    ["echo 'a\\nb\\\\'", 'Protocol error: unbalanced quotes in request'],
    ['echo "abc\\"', 'Protocol error: unbalanced quotes in request'],
    ["echo a'b c'", ['echo', 'ab c']],
    ['echo a"b c"d', 'Protocol error: unbalanced quotes in request'],
    ["echo 'a'\x0b", ['echo', 'a']],
    ['echo "a"\x0c', ['echo', 'a']],
    ['echo "a"\tb', ['echo', 'a', 'b']],
    ["echo '' \"\"", ['echo', '', '']],
    ['echo "a b"c', 'Protocol error: unbalanced quotes in request'],
    ['foo a\rb', ['foo', 'a', 'b']],
    ['echo "a\rb"', ['echo', 'a\rb']],
    ['', []],
    ['   ', []],
    ['a\x00b', 'Protocol error: NUL byte in inline request'],
    ['"a\x00b"', 'Protocol error: NUL byte in inline request'],
    ['caf\xe9 \xff', ['caf\xe9', '\xff']],
  ];
  it.each(cases)('%j', (line, expected) => {
    expect(split(line)).toEqual(expected);
  });

  it('parses quoted inline requests through the parser, CR before LF stripped', () => {
    expect(parseOne('SET "k\\r\\n" \'v w\'\r\n').commands).toEqual([['SET', 'k\r\n', 'v w']]);
    expect(parseOne('ECHO "a"\r\r\n').commands).toEqual([['ECHO', 'a']]);
  });
});

describe('RequestParser: chunking', () => {
  const mixed = bytes(
    encode(['SET', 'key', 'va\r\nlue']) + 'PING\r\n' + '\r\n' + '*0\r\n' + encode(['GET', '']) + '*-3\r\n'
    + 'SET "quoted \\x41" \'single\'  plain\n' + encode(['MSET', 'a', '1', 'b'.repeat(300), '2']) + '  \r\n'
    + encode(['ECHO', 'x'.repeat(20_000)]) + 'QUIT\r\n',
  );
  const expected = [
    ['SET', 'key', 'va\r\nlue'], ['PING'], ['GET', ''], ['SET', 'quoted A', 'single', 'plain'],
    ['MSET', 'a', '1', 'b'.repeat(300), '2'], ['ECHO', 'x'.repeat(20_000)], ['QUIT'],
  ];

  it('parses the stream whole', () => {
    expect(feedAll([mixed])).toEqual({ commands: expected, error: undefined });
  });

  it('parses the same when split at every byte boundary', () => {
    for (let at = 1; at < mixed.length; at += at < 1200 ? 1 : 97) {
      expect(feedAll([mixed.subarray(0, at), mixed.subarray(at)]), `split at ${at}`)
        .toEqual({ commands: expected, error: undefined });
    }
  });

  it('parses the same fed one byte at a time', () => {
    expect(feedAll(chunked(mixed, [1]))).toEqual({ commands: expected, error: undefined });
  });

  it('gives the same error wherever the stream is split', () => {
    const inputs = [
      '*1\r\n$3\r\nabcd\r\n', '*3000000000\r\n', '*1\r\nfoo\r\n', 'set "a b\r\n', '*1\r\n$-10\r\n',
      '*1\r\n$2\r\nab\rX', '*1\rX', '*1\r\n$5\rX', 'PING\r\n*1\r\n$4\r\nPING\r\n*x\r\n',
    ];
    for (const input of inputs) {
      const whole = parseOne(input);
      expect(whole.error, input).toBeDefined();
      const buf = bytes(input);
      for (let at = 1; at < buf.length; at++) {
        expect(feedAll([buf.subarray(0, at), buf.subarray(at)]), `${JSON.stringify(input)} at ${at}`).toEqual(whole);
      }
      expect(feedAll(chunked(buf, [1]))).toEqual(whole);
    }
  });

  it('gives the same cap errors for any chunking', () => {
    const inputs = [
      'x'.repeat(65_537) + '\n', 'x'.repeat(65_536) + '\r\n', '*' + '1'.repeat(65_536) + '\r\n', '*' + '1'.repeat(65_537) + '\r\n',
      '*1\r\n$' + '1'.repeat(65_536) + '\r\n',
    ];
    for (const input of inputs) {
      const whole = parseOne(input);
      const buf = bytes(input);
      for (const sizes of [[1000], [65_535, 1], [65_536, 1, 1], [65_537, 1], [1, 65_536], [3, 7, 65_530]]) {
        expect(feedAll(chunked(buf, sizes)), `${input.slice(0, 3)}… ${input.length} by ${sizes}`).toEqual(whole);
      }
    }
  });

  it('joins a big bulk once, not once per chunk', () => {
    const size = 20 * 1024 * 1024;
    const header = bytes(`*2\r\n$4\r\nECHO\r\n$${size}\r\n`);
    const payload = Buffer.alloc(size, 0x61);
    const input = Buffer.concat([header, payload, bytes('\r\nPING\r\n')]);
    const concat = vi.spyOn(Buffer, 'concat');
    try {
      const out = feedAll(chunked(input, [64 * 1024]));
      expect(out.error).toBeUndefined();
      expect(out.commands.map((c) => c.map((a) => a.length))).toEqual([[4, size], [4]]);
      expect(out.commands[0]![1]!.charCodeAt(size - 1)).toBe(0x61);
      const copied = concat.mock.calls.reduce((sum, [list]) => sum + list.reduce((s, b) => s + b.length, 0), 0);
      expect(copied).toBeLessThan(size * 1.01);
    } finally {
      concat.mockRestore();
    }
  });

  it('holds one-byte segments in a few blocks, not one Buffer each', () => {
    const parser = new RequestParser();
    const held = (): number => (parser as unknown as { parts: Buffer[] }).parts.length;
    const line = bytes(`ECHO ${'a'.repeat(60_000)}`);
    for (let i = 0; i < line.length; i++) expect(parser.feed(line.subarray(i, i + 1), () => {})).toBeUndefined();
    expect(parser.buffered).toBe(line.length);
    expect(held()).toBeLessThan(20);
    const seen: string[][] = [];
    parser.feed(bytes('\r\n'), (a) => { seen.push(a); });
    expect(seen[0]?.[1]?.length).toBe(60_000);
    const payload = bytes(`*2\r\n$4\r\nECHO\r\n$50000\r\n${'b'.repeat(50_000)}`);
    for (let i = 0; i < payload.length; i++) parser.feed(payload.subarray(i, i + 1), () => {});
    expect(held()).toBeLessThan(20);
    parser.feed(bytes('\r\n'), (a) => { seen.push(a); });
    expect(seen[1]?.[1]).toBe('b'.repeat(50_000));
  });

  it('round-trips random argv in random chunks (property)', () => {
    const arg = fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      fc.constantFrom(new Uint8Array(0), bytes('\r\n'), bytes('\r'), bytes('\n'), bytes('\x00'), bytes('$1\r\n*')),
      fc.uint8Array({ minLength: 100, maxLength: 3000 }),
    ).map((b) => Buffer.from(b).toString('latin1'));
    const command = fc.array(arg, { minLength: 1, maxLength: 8 });
    fc.assert(fc.property(
      fc.array(command, { minLength: 1, maxLength: 12 }),
      fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 10 }),
      (commands, sizes) => {
        const input = bytes(commands.map(encode).join(''));
        const out = feedAll(chunked(input, sizes));
        expect(out.error).toBeUndefined();
        expect(out.commands).toEqual(commands);
      },
    ), { numRuns: 300 });
  });
});

describe('RequestParser: copyInput (one read buffer reused for every chunk)', () => {
  /** Feeds each chunk from one reused buffer, then scribbles over it, as the server's reads do. */
  function feedReused(chunks: readonly Buffer[], parser: RequestParser): Outcome {
    const shared = Buffer.alloc(Math.max(1, ...chunks.map((c) => c.length)));
    const commands: string[][] = [];
    let error: string | undefined;
    for (const chunk of chunks) {
      chunk.copy(shared);
      error = parser.feed(shared.subarray(0, chunk.length), (argv) => { commands.push(argv); });
      shared.fill(0xee);
      if (error !== undefined) break;
    }
    return { commands, error };
  }
  const copying = (): RequestParser => new RequestParser({ copyInput: true });
  const input = bytes(
    encode(['SET', 'key', 'va\r\nlue']) + 'PING\r\n' + encode(['ECHO', 'x'.repeat(20_000)])
    + 'ECHO ' + 'y'.repeat(3000) + '\r\n' + encode(['MSET', 'a', 'b'.repeat(1500), 'c', 'd'.repeat(40_000)]),
  );
  const expected = [
    ['SET', 'key', 'va\r\nlue'], ['PING'], ['ECHO', 'x'.repeat(20_000)], ['ECHO', 'y'.repeat(3000)],
    ['MSET', 'a', 'b'.repeat(1500), 'c', 'd'.repeat(40_000)],
  ];

  it('without it, a held tail is kept by reference (the scribble is seen)', () => {
    // Split 17,000 bytes into the 20,000-byte payload: a held tail above what it copies by default.
    const at = input.indexOf('x'.repeat(100)) + 17_000;
    const out = feedReused([input.subarray(0, at), input.subarray(at)], new RequestParser());
    expect(out.commands).not.toEqual(expected);
  });

  it('parses the same wherever the stream is split', () => {
    for (let at = 1; at < input.length; at += at < 200 ? 1 : 89) {
      expect(feedReused([input.subarray(0, at), input.subarray(at)], copying()), `split at ${at}`)
        .toEqual({ commands: expected, error: undefined });
    }
  });

  it('parses the same in small and large chunks', () => {
    for (const sizes of [[1], [7, 1024, 3], [16_384], [17_000, 5], [65_536]]) {
      expect(feedReused(chunked(input, sizes), copying()), `by ${sizes}`).toEqual({ commands: expected, error: undefined });
    }
  });

  it('joins a big bulk arriving in 64 KiB reads', () => {
    const size = 3 * 1024 * 1024 + 7;
    const payload = Buffer.alloc(size);
    for (let i = 0; i < size; i++) payload[i] = (i * 31) & 0xff;
    const big = Buffer.concat([bytes(`*2\r\n$4\r\nECHO\r\n$${size}\r\n`), payload, bytes('\r\nPING\r\n')]);
    const out = feedReused(chunked(big, [64 * 1024]), copying());
    expect(out.error).toBeUndefined();
    expect(out.commands.length).toBe(2);
    expect(out.commands[0]![1] === payload.toString('latin1')).toBe(true);
    expect(out.commands[1]).toEqual(['PING']);
  });

  it('a big bulk goes into one buffer once a quarter has arrived, whatever the pieces', () => {
    const size = 4 * 1024 * 1024 + 3;
    const payload = Buffer.alloc(size);
    for (let i = 0; i < size; i++) payload[i] = (i * 131 + 7) & 0xff;
    const big = Buffer.concat([bytes(`*2\r\n$4\r\nECHO\r\n$${size}\r\n`), payload, bytes('\r\n')]);
    // Pieces that end just below, at and past the quarter mark, by reference and by copy.
    for (const sizes of [[1_048_600, 1, 2_000_000], [1_048_619, 70_000], [999_999, 49_000]]) {
      // By reference the parser may hold the pieces it is given (fresh ones); with copyInput
      // the pieces come from one reused buffer.
      const fresh = (): { commands: string[][]; error: string | undefined } => {
        const parser = new RequestParser();
        const commands: string[][] = [];
        let error: string | undefined;
        for (const piece of chunked(big, sizes)) error ??= parser.feed(Buffer.from(piece), (argv) => { commands.push(argv); });
        return { commands, error };
      };
      for (const out of [fresh(), feedReused(chunked(big, sizes), copying())]) {
        expect(out.error, `by ${sizes}`).toBeUndefined();
        expect(out.commands.length).toBe(1);
        expect(out.commands[0]![1] === payload.toString('latin1'), `by ${sizes}`).toBe(true);
      }
    }
  });

  it('never allocates a bulk from its declared length alone', () => {
    const parser = new RequestParser();
    const before = process.memoryUsage().arrayBuffers;
    parser.feed(bytes('*2\r\n$4\r\nECHO\r\n$400000000\r\n' + 'x'.repeat(100_000)), () => {});
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(50 * 1024 * 1024);
    expect(parser.buffered).toBeLessThan(200_000);
  });

  it('round-trips random argv in random chunks (property)', () => {
    const arg = fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      fc.uint8Array({ minLength: 1000, maxLength: 20_000 }),
    ).map((b) => Buffer.from(b).toString('latin1'));
    fc.assert(fc.property(
      fc.array(fc.array(arg, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 6 }),
      fc.array(fc.integer({ min: 1, max: 20_000 }), { minLength: 1, maxLength: 6 }),
      (commands, sizes) => {
        const out = feedReused(chunked(bytes(commands.map(encode).join('')), sizes), copying());
        expect(out.error).toBeUndefined();
        expect(out.commands).toEqual(commands);
      },
    ), { numRuns: 100 });
  });
});
