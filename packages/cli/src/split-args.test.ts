import { describe, expect, it } from 'vitest';
import { splitArgs, splitWords, toBytes } from './split-args.js';

// Expected words checked against redis-cli 7.0.15 (lines piped into `redis-cli --no-raw` with ECHO).
describe('splitArgs (redis-cli quoting)', () => {
  it.each([
    ['set a b', ['set', 'a', 'b']],
    ['  spaced \t out  ', ['spaced', 'out']],
    ['echo a"b c"', ['echo', 'ab c']],
    ["echo 'it\\'s'", ['echo', "it's"]],
    ['echo "x\\x41\\n"', ['echo', 'xA\n']],
    ['echo "\\q\\\\"', ['echo', 'q\\']],
    ['echo "\\r\\t\\b\\a"', ['echo', '\r\t\b\x07']],
    ['echo "\\xzz"', ['echo', 'xzz']],
    ['echo ""', ['echo', '']],
    ["echo 'a\\nb'", ['echo', 'a\\nb']],
    ['', []],
  ])('%j', (line, words) => {
    expect(splitArgs(line)).toEqual(words);
  });

  it.each(['set "a b', "set 'a b", 'echo "a"b', "echo 'a'b", 'echo "\\"'])('refuses %j (Invalid argument(s))', (line) => {
    expect(splitArgs(line)).toBeNull();
  });

  it('keeps bytes: \\xff escapes and UTF-8 text as latin1 byte strings', () => {
    expect(splitArgs('echo "\\xff\\x00"')).toEqual(['echo', '\xff\x00']);
    expect(splitArgs(toBytes('echo héllo'))).toEqual(['echo', Buffer.from('héllo', 'utf8').toString('latin1')]);
  });

  it('reports where each word starts and ends', () => {
    expect(splitWords('set "a b"  c')).toEqual([
      { value: 'set', start: 0, end: 3 },
      { value: 'a b', start: 4, end: 9 },
      { value: 'c', start: 11, end: 12 },
    ]);
  });

  it('splits a 10 MB word without building it a char at a time', () => {
    const big = 'x'.repeat(10 * 1024 * 1024);
    const words = splitArgs(`set k ${big}`)!;
    expect(words[2]!.length).toBe(big.length);
    const quoted = splitArgs(`set k "${big}\\n"`)!;
    expect(quoted[2]!.length).toBe(big.length + 1);
  });
});
