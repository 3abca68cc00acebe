import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { globMatch } from './glob.js';
import { redisServerPath, startRedis, type RedisProcess } from '../../../test/helpers/redis.js';
import { RespTestClient } from '../../../test/helpers/resp-client.js';

// ------------------------------------------------------------------ reference

/**
 * An independent reference: the pattern is first parsed into tokens (each consuming exactly one
 * byte, or a star), then matched by dynamic programming over (token, subject position). The
 * facts it encodes are Redis's documented and observed behaviour (see glob.ts); the algorithm
 * shares nothing with the matcher under test. No nesting cap (patterns here are short).
 */
type Token =
  | { kind: 'star' }
  | { kind: 'any' }
  | { kind: 'byte'; byte: number }
  | { kind: 'class'; negated: boolean; members: ((c: number) => boolean)[] };

const fold = (c: number, nocase: boolean) => (nocase && c >= 65 && c <= 90 ? c + 32 : c);
const asSignedChar = (c: number) => (c > 127 ? c - 256 : c);

function tokenize(pattern: string, nocase: boolean): Token[] {
  const bytes = Array.from(pattern, (ch) => ch.charCodeAt(0));
  const tokens: Token[] = [];
  let i = 0;
  while (i < bytes.length) {
    const c = bytes[i]!;
    if (c === 0x2a) { tokens.push({ kind: 'star' }); i++; continue; }
    if (c === 0x3f) { tokens.push({ kind: 'any' }); i++; continue; }
    if (c === 0x5c) {
      // A backslash escapes the next byte; a trailing one is itself.
      const lit = i + 1 < bytes.length ? bytes[i + 1]! : c;
      tokens.push({ kind: 'byte', byte: lit });
      i += i + 1 < bytes.length ? 2 : 1;
      continue;
    }
    if (c !== 0x5b) { tokens.push({ kind: 'byte', byte: c }); i++; continue; }
    // A class: [^...], members are escaped bytes, ranges x-y (two bytes must follow x), bytes.
    i++;
    const negated = bytes[i] === 0x5e;
    if (negated) i++;
    const members: ((c: number) => boolean)[] = [];
    for (;;) {
      if (i >= bytes.length) break; // unterminated: the class runs to the end
      const b = bytes[i]!;
      const rest = bytes.length - i;
      if (b === 0x5c && rest >= 2) {
        const lit = bytes[i + 1]!;
        members.push((x) => x === lit); // escaped bytes never fold
        i += 2;
      } else if (b === 0x5d) {
        i++;
        break;
      } else if (rest >= 3 && bytes[i + 1] === 0x2d) {
        const a = asSignedChar(b);
        const z = asSignedChar(bytes[i + 2]!);
        const lo = fold(Math.min(a, z), nocase);
        const hi = fold(Math.max(a, z), nocase);
        members.push((x) => { const v = fold(asSignedChar(x), nocase); return v >= lo && v <= hi; });
        i += 3;
      } else {
        members.push((x) => fold(x, nocase) === fold(b, nocase));
        i++;
      }
    }
    tokens.push({ kind: 'class', negated, members });
  }
  return tokens;
}

function referenceMatch(pattern: string, subject: string, nocase = false): boolean {
  // Redis never matches an empty subject against a non-empty pattern (not even `*`).
  if (subject.length === 0) return pattern.length === 0;
  const tokens = tokenize(pattern, nocase);
  const s = Array.from(subject, (ch) => ch.charCodeAt(0));
  // can[t][j]: tokens[t..] match s[j..]
  const can: boolean[][] = Array.from({ length: tokens.length + 1 }, () => new Array<boolean>(s.length + 1).fill(false));
  can[tokens.length]![s.length] = true;
  for (let t = tokens.length - 1; t >= 0; t--) {
    const tok = tokens[t]!;
    for (let j = s.length; j >= 0; j--) {
      if (tok.kind === 'star') { can[t]![j] = can[t + 1]![j]! || (j < s.length && can[t]![j + 1]!); continue; }
      if (j === s.length) continue;
      const c = s[j]!;
      let ok: boolean;
      if (tok.kind === 'any') ok = true;
      else if (tok.kind === 'byte') ok = fold(tok.byte, nocase) === fold(c, nocase);
      else ok = tok.members.some((m) => m(c)) !== tok.negated;
      can[t]![j] = ok && can[t + 1]![j + 1]!;
    }
  }
  return can[0]![0]!;
}

// ------------------------------------------------------------------ examples

describe('globMatch', () => {
  // Each row was checked against redis-server 7.0.15 (KEYS on a scratch database).
  const rows: [pattern: string, subject: string, expected: boolean][] = [
    ['*', 'anything', true],
    ['*', '', false], // KEYS and SCAN special-case `*` before matching
    ['**', '', false],
    ['', '', true],
    ['', 'a', false],
    ['h?llo', 'hello', true],
    ['h?llo', 'hllo', false],
    ['h*llo', 'hllo', true],
    ['h*llo', 'heeeello', true],
    ['h[ae]llo', 'hallo', true],
    ['h[ae]llo', 'hillo', false],
    ['h[^e]llo', 'hallo', true],
    ['h[^e]llo', 'hello', false],
    ['h[a-b]llo', 'hbllo', true],
    ['h[b-a]llo', 'hbllo', true], // reversed range
    ['h\\*llo', 'h*llo', true],
    ['h\\*llo', 'hello', false],
    ['\\', '\\', true], // a trailing backslash is itself
    ['[', '[', false], // `[` alone matches nothing
    ['[^', 'x', true], // `[^` matches any one byte
    ['[]', ']', false], // `]` closes at once: an empty class
    ['[]a]', ']a]', false],
    ['[]a]', 'a]', false],
    ['[^]', 'x', true],
    ['[abc', 'b', true], // unterminated class runs to the end
    ['[abc', 'bc', false],
    ['[a-', '-', true], // `-` needs two bytes after it to make a range
    ['[a-]', ']', true], // `[a-]` is the range ] .. a
    ['[a-]', '^', true],
    ['[a-]', '-', false],
    ['[\\]]', ']', true],
    ['[\\-z]', '-', true],
    ['[\\-z]', 'q', false],
    ['[a-\\]', '\\', true],
    ['a*', 'a', true],
    ['a*b*', 'ab', true],
    ['*a', 'a', true],
    ['x*?', 'x', false],
    ['[a-\xe9]', '\x01', true], // signed char: \xe9 is below 'a'
    ['[a-\xe9]', '\xff', true],
    ['[a-\xe9]', 'b', false],
    ['[\x80-\xff]', '\x90', true],
    ['[\x00-\x7f]', '\x90', false],
  ];
  it.each(rows)('%j against %j is %s (as Redis)', (pattern, subject, expected) => {
    expect(globMatch(pattern, subject)).toBe(expected);
    expect(referenceMatch(pattern, subject)).toBe(expected);
  });

  it('folds only A-Z when nocase, and never an escaped byte inside a class', () => {
    expect(globMatch('MAXMEMORY*', 'maxmemory-policy', true)).toBe(true);
    expect(globMatch('MAXMEMORY*', 'maxmemory-policy')).toBe(false);
    expect(globMatch('[L-M]axmemory', 'maxmemory', true)).toBe(true);
    expect(globMatch('[\\M]axmemory', 'maxmemory', true)).toBe(false);
    expect(globMatch('\\Maxmemory', 'maxmemory', true)).toBe(true);
    expect(globMatch('\xc9', '\xe9', true)).toBe(false); // only ASCII letters fold
  });

  it('caps star nesting at 1000 groups, as Redis does', () => {
    const key = 'a'.repeat(1200) + 'b';
    expect(globMatch('a*'.repeat(1000) + 'b', key)).toBe(true);
    expect(globMatch('a*'.repeat(1001) + 'b', key)).toBe(false);
    expect(globMatch('*a'.repeat(1001), 'a'.repeat(1200))).toBe(false);
    // A trailing star group is taken without going deeper.
    expect(globMatch('*a'.repeat(1000) + '*', key)).toBe(true);
  });

  it('answers the pathological patterns of RELIABILITY #15 (bounded work, no recursion)', () => {
    // Timing lives in bench/; here the answers, which a blowup would never reach.
    expect(globMatch('a*'.repeat(60) + 'b', 'a'.repeat(100))).toBe(false);
    expect(globMatch('*'.repeat(10000), 'a'.repeat(100))).toBe(true);
    expect(globMatch('*'.repeat(10000) + 'b', 'a'.repeat(100))).toBe(false);
    expect(globMatch('*a'.repeat(999) + 'b', 'a'.repeat(5000))).toBe(false);
    expect(globMatch('[a'.repeat(5000), 'a')).toBe(true);
  });

  it('agrees with the reference on random patterns and subjects (fast-check)', () => {
    const patternChar = fc.constantFrom(...'ab*?[]^-\\', 'A', '\xe9');
    const subjectChar = fc.constantFrom(...'ab-]^\\[*?', 'A', 'B', '\xe9', '\x01');
    fc.assert(
      fc.property(
        fc.array(patternChar, { maxLength: 10 }).map((a) => a.join('')),
        fc.array(subjectChar, { maxLength: 8 }).map((a) => a.join('')),
        fc.boolean(),
        (pattern, subject, nocase) => globMatch(pattern, subject, nocase) === referenceMatch(pattern, subject, nocase),
      ),
      { numRuns: 20_000 },
    );
  });
});

// ------------------------------------------------------------------ against real Redis

const redis: { process: RedisProcess; conn: RespTestClient } | undefined = redisServerPath
  ? await (async () => {
    const process = await startRedis();
    return { process, conn: await RespTestClient.connect(process.port) };
  })()
  : undefined;
if (!redis) console.warn('NOTE: redis-server is not installed: the glob differential test against real Redis is SKIPPED');

afterAll(async () => {
  redis?.conn.socket.destroy();
  await redis?.process.stop();
});

describe('globMatch against real Redis (KEYS)', () => {
  it.skipIf(!redis)('matches exactly the keys redis-server matches', async () => {
    const conn = redis!.conn;
    // A seeded generator keeps failures reproducible.
    let seed = 12345;
    const rand = (n: number) => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return (seed >>> 8) % n; };
    const pick = (alphabet: string, max: number) => {
      let s = '';
      for (let n = rand(max + 1); n > 0; n--) s += alphabet[rand(alphabet.length)];
      return s;
    };
    let compared = 0;
    for (let round = 0; round < 20; round++) {
      const subjects = [...new Set(Array.from({ length: 40 }, () => pick('ab-]^\\[*?A\xe9\x01', 6)))].filter((s) => s !== '');
      const patterns = Array.from({ length: 40 }, () => pick('ab*?[]^-\\A\xe9', 7)).filter((p) => p !== '*');
      const replies = await conn.pipeline([
        ['FLUSHALL'], ...subjects.map((s) => ['SET', s, '1']), ...patterns.map((p) => ['KEYS', p]),
      ]);
      const matched = replies.slice(1 + subjects.length) as string[][];
      patterns.forEach((p, i) => {
        const got = new Set(matched[i]);
        for (const s of subjects) {
          expect(globMatch(p, s), `${JSON.stringify(p)} ~ ${JSON.stringify(s)}`).toBe(got.has(s));
          compared++;
        }
      });
    }
    expect(compared).toBeGreaterThan(10_000);
  });
});
