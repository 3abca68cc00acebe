import { describe, expect, it } from 'vitest';
import { RespWriter } from './writer.js';

/** Runs fn against a fresh writer and returns what it encoded, as latin1 text. */
function encode(protocol: 2 | 3, fn: (w: RespWriter) => void): string {
  const w = new RespWriter(protocol);
  fn(w);
  return w.take().toString('latin1');
}

describe('RespWriter: every method, RESP2 and RESP3', () => {
  // [name, calls, RESP2 bytes, RESP3 bytes]. Where a command is named, the bytes are what
  // redis-server 7.0.15 sent for that reply shape (after HELLO 2 / HELLO 3).
  const cases: [string, (w: RespWriter) => void, string, string][] = [
    ['simple', (w) => w.simple('OK'), '+OK\r\n', '+OK\r\n'],
    ['simple empty', (w) => w.simple(''), '+\r\n', '+\r\n'],
    ['error', (w) => w.error('ERR syntax error'), '-ERR syntax error\r\n', '-ERR syntax error\r\n'],
    ['int 0', (w) => w.int(0), ':0\r\n', ':0\r\n'],
    ['int 7', (w) => w.int(7), ':7\r\n', ':7\r\n'],
    ['int 42', (w) => w.int(42), ':42\r\n', ':42\r\n'],
    ['int 100', (w) => w.int(100), ':100\r\n', ':100\r\n'],
    ['int -1', (w) => w.int(-1), ':-1\r\n', ':-1\r\n'],
    ['int -42', (w) => w.int(-42), ':-42\r\n', ':-42\r\n'],
    ['int 1234567890', (w) => w.int(1234567890), ':1234567890\r\n', ':1234567890\r\n'],
    ['int max safe', (w) => w.int(Number.MAX_SAFE_INTEGER), ':9007199254740991\r\n', ':9007199254740991\r\n'],
    ['int min safe', (w) => w.int(-Number.MAX_SAFE_INTEGER), ':-9007199254740991\r\n', ':-9007199254740991\r\n'],
    ['int bigint max', (w) => w.int(9223372036854775807n), ':9223372036854775807\r\n', ':9223372036854775807\r\n'],
    ['int bigint min', (w) => w.int(-9223372036854775808n), ':-9223372036854775808\r\n', ':-9223372036854775808\r\n'],
    ['int small bigint', (w) => w.int(5n), ':5\r\n', ':5\r\n'],
    ['int 2^60 as number', (w) => w.int(2 ** 60), ':1152921504606846976\r\n', ':1152921504606846976\r\n'],
    ['bulk string', (w) => w.bulk('hello'), '$5\r\nhello\r\n', '$5\r\nhello\r\n'],
    ['bulk empty', (w) => w.bulk(''), '$0\r\n\r\n', '$0\r\n\r\n'],
    ['bulk binary string', (w) => w.bulk('\x00\r\n\xff'), '$4\r\n\x00\r\n\xff\r\n', '$4\r\n\x00\r\n\xff\r\n'],
    ['bulk bytes', (w) => w.bulk(new Uint8Array([0, 13, 10, 255])), '$4\r\n\x00\r\n\xff\r\n', '$4\r\n\x00\r\n\xff\r\n'],
    ['bulk long string', (w) => w.bulk('x'.repeat(100)), `$100\r\n${'x'.repeat(100)}\r\n`, `$100\r\n${'x'.repeat(100)}\r\n`],
    ['bulk long bytes', (w) => w.bulk(Buffer.alloc(100, 0x79)), `$100\r\n${'y'.repeat(100)}\r\n`, `$100\r\n${'y'.repeat(100)}\r\n`],
    // GET of a missing key
    ['null', (w) => w.null(), '$-1\r\n', '_\r\n'],
    // BLPOP timing out
    ['nullArray', (w) => w.nullArray(), '*-1\r\n', '_\r\n'],
    ['array', (w) => { w.array(2); w.bulk('a'); w.int(1); }, '*2\r\n$1\r\na\r\n:1\r\n', '*2\r\n$1\r\na\r\n:1\r\n'],
    ['empty array', (w) => w.array(0), '*0\r\n', '*0\r\n'],
    // HGETALL h with one field f = v
    ['map', (w) => { w.map(1); w.bulk('f'); w.bulk('v'); }, '*2\r\n$1\r\nf\r\n$1\r\nv\r\n', '%1\r\n$1\r\nf\r\n$1\r\nv\r\n'],
    ['empty map', (w) => w.map(0), '*0\r\n', '%0\r\n'],
    // SMEMBERS s with one member m
    ['set', (w) => { w.set(1); w.bulk('m'); }, '*1\r\n$1\r\nm\r\n', '~1\r\n$1\r\nm\r\n'],
    // SUBSCRIBE ch
    ['push', (w) => { w.push(3); w.bulk('subscribe'); w.bulk('ch'); w.int(1); },
      '*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n', '>3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n'],
    // ZSCORE of scores 1.1, inf, -inf, 0, 1e300, 5e-324, 123456789, 0.1, -1.5e-7, 1e17
    ['double 1.1', (w) => w.double(1.1), '$18\r\n1.1000000000000001\r\n', ',1.1000000000000001\r\n'],
    ['double inf', (w) => w.double(Infinity), '$3\r\ninf\r\n', ',inf\r\n'],
    ['double -inf', (w) => w.double(-Infinity), '$4\r\n-inf\r\n', ',-inf\r\n'],
    ['double 0', (w) => w.double(0), '$1\r\n0\r\n', ',0\r\n'],
    ['double 1e300', (w) => w.double(1e300), '$23\r\n1.0000000000000001e+300\r\n', ',1.0000000000000001e+300\r\n'],
    ['double 5e-324', (w) => w.double(5e-324), '$23\r\n4.9406564584124654e-324\r\n', ',4.9406564584124654e-324\r\n'],
    ['double 123456789', (w) => w.double(123456789), '$9\r\n123456789\r\n', ',123456789\r\n'],
    ['double 0.1', (w) => w.double(0.1), '$19\r\n0.10000000000000001\r\n', ',0.10000000000000001\r\n'],
    ['double -1.5e-7', (w) => w.double(-1.5e-7), '$23\r\n-1.4999999999999999e-07\r\n', ',-1.4999999999999999e-07\r\n'],
    ['double 1e17', (w) => w.double(1e17), '$5\r\n1e+17\r\n', ',1e+17\r\n'],
    ['double nan', (w) => w.double(NaN), '$3\r\nnan\r\n', ',nan\r\n'],
    // EVAL "redis.setresp(3); return true" 0
    ['bool true', (w) => w.bool(true), ':1\r\n', '#t\r\n'],
    ['bool false', (w) => w.bool(false), ':0\r\n', '#f\r\n'],
    // LATENCY DOCTOR (shortened text)
    ['verbatim', (w) => w.verbatim("I'm sorry, Dave.\n", 'txt'), "$17\r\nI'm sorry, Dave.\n\r\n", "=21\r\ntxt:I'm sorry, Dave.\n\r\n"],
    ['verbatim mkd', (w) => w.verbatim('# x', 'mkd'), '$3\r\n# x\r\n', '=7\r\nmkd:# x\r\n'],
    ['verbatim bad format', (w) => w.verbatim('a', 'markdown'), '$1\r\na\r\n', '=5\r\nmar:a\r\n'],
  ];

  it.each(cases)('%s', (_name, fn, resp2, resp3) => {
    expect(encode(2, fn)).toBe(resp2);
    expect(encode(3, fn)).toBe(resp3);
  });

  it('writes the full LATENCY DOCTOR verbatim reply as Redis does', () => {
    const text = "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n";
    expect(encode(3, (w) => w.verbatim(text, 'txt'))).toBe(`=292\r\ntxt:${text}\r\n`);
    expect(encode(2, (w) => w.verbatim(text, 'txt'))).toBe(`$288\r\n${text}\r\n`);
  });

  it('keeps error replies on one line, as addReplyErrorFormat does', () => {
    // Redis: unknown command '\r\nfoo\nbar' → "-ERR unknown command '  foo bar', ..."
    expect(encode(2, (w) => w.error("ERR unknown command '\r\nfoo\nbar'"))).toBe("-ERR unknown command '  foo bar'\r\n");
    expect(encode(2, (w) => w.error('\r\nERR trailing\r\n\n'))).toBe('-ERR trailing\r\n');
    expect(encode(2, (w) => w.error("ERR Protocol error: expected '$', got '\r'"))).toBe("-ERR Protocol error: expected '$', got ' '\r\n");
  });

  it('refuses a non-integer number for int()', () => {
    const w = new RespWriter();
    expect(() => w.int(1.5)).toThrow(TypeError);
    expect(() => w.int(NaN)).toThrow(TypeError);
  });

  it('follows protocol changes between replies', () => {
    const w = new RespWriter();
    w.null();
    w.protocol = 3;
    w.null();
    expect(w.take().toString('latin1')).toBe('$-1\r\n_\r\n');
  });
});

describe('RespWriter: buffers', () => {
  it('copies bytes at bulk() time', () => {
    const w = new RespWriter();
    const small = new Uint8Array([1, 2, 3]);
    const large = Buffer.alloc(1000, 7);
    w.bulk(small);
    w.bulk(large);
    small[0] = 9;
    large.fill(8);
    const out = w.take();
    expect(out[4]).toBe(1);
    expect(out.subarray(16, 1016).every((b) => b === 7)).toBe(true);
  });

  it('counts pending bytes and resets on take()', () => {
    const w = new RespWriter();
    expect(w.length).toBe(0);
    w.simple('OK');
    w.int(12);
    expect(w.length).toBe(10);
    expect(w.take().toString('latin1')).toBe('+OK\r\n:12\r\n');
    expect(w.length).toBe(0);
    expect(w.take().length).toBe(0);
  });

  it('never overwrites a taken buffer', () => {
    const w = new RespWriter();
    const taken: [Buffer, string][] = [];
    for (let round = 0; round < 3000; round++) {
      const expected = `+reply ${round}\r\n$${String(round).length}\r\n${round}\r\n`;
      w.simple(`reply ${round}`);
      w.bulk(String(round));
      taken.push([w.take(), expected]);
      if (round % 500 === 0) { w.bulk('z'.repeat(300_000)); w.take(); } // grow and drop a big slab
    }
    for (const [buf, expected] of taken) expect(buf.toString('latin1')).toBe(expected);
  });

  it('grows for large replies and keeps every byte in order', () => {
    const w = new RespWriter();
    const n = 200_000;
    w.array(n);
    let expected = `*${n}\r\n`;
    for (let i = 0; i < n; i++) {
      w.bulk(`member:${i}`);
      expected += `$${`member:${i}`.length}\r\nmember:${i}\r\n`;
    }
    const big = 'q'.repeat(3 * 1024 * 1024);
    w.bulk(big);
    expected += `$${big.length}\r\n${big}\r\n`;
    expect(w.length).toBe(expected.length);
    expect(w.take().toString('latin1')).toBe(expected);
  });
});
