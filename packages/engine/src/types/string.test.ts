import { describe, expect, it } from 'vitest';
import {
  RawString, grownCapacity, lcsTableBytes, longestCommonSubsequence, stringEncoding, stringForReply,
  stringToLatin1, toRawString,
} from './string.js';

const bytes = (s: string) => Buffer.from(s, 'latin1');

describe('RawString', () => {
  it('appends strings and bytes, growing geometrically', () => {
    const r = new RawString('ab');
    expect(r.append('\0\xff')).toBe(4);
    expect(r.append(new Uint8Array([13, 10]))).toBe(6);
    expect(stringToLatin1(r)).toBe('ab\0\xff\r\n');
    const capacities = new Set<number>();
    for (let i = 0; i < 10_000; i++) { r.append('x'); capacities.add(r.buf.length); }
    expect(capacities.size).toBeLessThan(20); // doubling: a handful of reallocations, not thousands
    expect(r.length).toBe(10_006);
  });

  it('keeps capacity zeroed so setRange past the end leaves zero bytes in the gap', () => {
    const r = new RawString('abc', 64);
    expect(r.setRange(10, 'z')).toBe(11);
    expect(stringToLatin1(r)).toBe('abc' + '\0'.repeat(7) + 'z');
    expect(r.setRange(200, 'q')).toBe(201); // beyond capacity: a new zeroed buffer
    expect(stringToLatin1(r).slice(11, 200)).toBe('\0'.repeat(189));
    expect(r.setRange(1, 'BC')).toBe(201);
    expect(stringToLatin1(r).slice(0, 4)).toBe('aBC\0');
  });

  it('grows by doubling below 1 MiB and by 1 MiB beyond', () => {
    expect(grownCapacity(100)).toBe(200);
    expect(grownCapacity(2 * 1024 * 1024)).toBe(3 * 1024 * 1024);
  });

  it('toRawString copies a JS string and returns a RawString itself', () => {
    const r = new RawString('x');
    expect(toRawString(r, 100)).toBe(r);
    const fromString = toRawString('hello', 50);
    expect(fromString.buf.length).toBe(50);
    expect(stringToLatin1(fromString)).toBe('hello');
    expect(stringForReply(fromString)).toEqual(bytes('hello'));
    expect(stringForReply('plain')).toBe('plain');
  });
});

describe('stringEncoding', () => {
  it('int, embstr, raw as Redis decides them', () => {
    expect(stringEncoding('12345')).toBe('int');
    expect(stringEncoding('-9223372036854775808')).toBe('int');
    expect(stringEncoding('9223372036854775808')).toBe('embstr');
    expect(stringEncoding('012')).toBe('embstr');
    expect(stringEncoding('+1')).toBe('embstr');
    expect(stringEncoding('-0')).toBe('embstr');
    expect(stringEncoding('')).toBe('embstr');
    expect(stringEncoding('x'.repeat(44))).toBe('embstr');
    expect(stringEncoding('x'.repeat(45))).toBe('raw');
    expect(stringEncoding(new RawString('1'))).toBe('raw');
  });
});

describe('longestCommonSubsequence', () => {
  const all = { subsequence: true, matches: true, minMatchLength: 0 };

  it('finds the subsequence and its runs from the end', () => {
    const r = longestCommonSubsequence(bytes('ohmytext'), bytes('mynewtext'), all);
    expect(r.length).toBe(6);
    expect(r.subsequence!.toString('latin1')).toBe('mytext');
    expect(r.matches).toEqual([
      { aStart: 4, aEnd: 7, bStart: 5, bEnd: 8, length: 4 },
      { aStart: 2, aEnd: 3, bStart: 0, bEnd: 1, length: 2 },
    ]);
  });

  it('breaks ties by dropping a byte of the second string, as Redis does', () => {
    // "ab" vs "ba": "a" and "b" are both longest; dropping b's last byte first keeps a's "b".
    expect(longestCommonSubsequence(bytes('ab'), bytes('ba'), all).subsequence!.toString('latin1')).toBe('b');
    expect(longestCommonSubsequence(bytes('ba'), bytes('ab'), all).subsequence!.toString('latin1')).toBe('a');
  });

  it('filters short runs but still reports the full length', () => {
    const r = longestCommonSubsequence(bytes('ohmytext'), bytes('mynewtext'), { ...all, minMatchLength: 3 });
    expect(r.matches).toHaveLength(1);
    expect(r.length).toBe(6);
  });

  it('handles empty inputs and computes only what is asked', () => {
    const empty = new Uint8Array(0);
    expect(longestCommonSubsequence(empty, bytes('abc'), all)).toEqual({ length: 0, subsequence: Buffer.alloc(0), matches: [] });
    const lenOnly = longestCommonSubsequence(bytes('abc'), bytes('abc'), { subsequence: false, matches: false, minMatchLength: 0 });
    expect(lenOnly).toEqual({ length: 3 });
  });

  it('uses 32-bit cells when the answer could exceed 16 bits', () => {
    const a = Buffer.alloc(70_000, 'a');
    const r = longestCommonSubsequence(a, Buffer.from('aaa'), { subsequence: false, matches: false, minMatchLength: 0 });
    expect(r.length).toBe(3);
    expect(lcsTableBytes(511, 511)).toBe(1024 * 1024);
  });
});
