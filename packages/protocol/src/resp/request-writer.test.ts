import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RequestParser } from './parser.js';
import { RequestWriter } from './request-writer.js';

/** What a server would read from the bytes. */
function parse(pieces: readonly Buffer[]): string[][] {
  const out: string[][] = [];
  const parser = new RequestParser();
  for (const piece of pieces) expect(parser.feed(Buffer.from(piece), (argv) => { out.push(argv); })).toBeUndefined();
  return out;
}

describe('RequestWriter', () => {
  it('encodes commands as RESP arrays of bulk strings, byte for byte', () => {
    const w = new RequestWriter();
    w.command(['SET', 'k', 'v\r\n\0']);
    w.command(['PING']);
    expect(Buffer.concat(w.take()).toString('latin1')).toBe('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\nv\r\n\0\r\n*1\r\n$4\r\nPING\r\n');
    expect(w.length).toBe(0);
  });

  it('keeps a large argument as its own piece, in order', () => {
    const w = new RequestWriter();
    const big = 'z'.repeat(200_000);
    w.command(['SET', 'big', big]);
    w.command(['GET', 'big']);
    expect(w.length).toBe(Buffer.byteLength(`*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$200000\r\n${big}\r\n*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n`));
    const pieces = w.take();
    expect(pieces.some((p) => p.length === 200_000)).toBe(true);
    expect(parse(pieces)).toEqual([['SET', 'big', big], ['GET', 'big']]);
  });

  it('borrow() lends its buffer: the bytes are right until the next command overwrites them', () => {
    const w = new RequestWriter();
    w.command(['INCR', 'a']);
    const lent = w.borrow();
    expect(Buffer.concat(lent).toString('latin1')).toBe('*2\r\n$4\r\nINCR\r\n$1\r\na\r\n');
    const copy = Buffer.from(lent[lent.length - 1]!);
    w.command(['DECR', 'b']);
    expect(lent[lent.length - 1]!.equals(copy)).toBe(false); // reused, as documented
    expect(parse(w.borrow())).toEqual([['DECR', 'b']]);
  });

  it('round-trips random argv through the server parser (property)', () => {
    const arg = fc.oneof(
      fc.uint8Array({ maxLength: 30 }),
      fc.uint8Array({ minLength: 60_000, maxLength: 70_000 }),
    ).map((b) => Buffer.from(b).toString('latin1'));
    fc.assert(fc.property(fc.array(fc.array(arg, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 5 }), fc.boolean(), (commands, borrow) => {
      const w = new RequestWriter();
      for (const argv of commands) w.command(argv);
      expect(parse(borrow ? w.borrow() : w.take())).toEqual(commands);
    }), { numRuns: 60 });
  });
});
