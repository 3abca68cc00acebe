import fc from 'fast-check';

/**
 * Argv generators for the sorted-set algebra (ZUNION, ZINTER, ZDIFF, their STORE forms,
 * ZINTERCARD) in the repo-wide differential test. Sources are whatever the shared keys hold
 * (sorted sets from ZADD, plain sets, other types for WRONGTYPE); replies are deterministic
 * (results come back by score, then member bytes), so no normaliser is needed.
 */

const WEIGHTS = ['1', '0', '-1', '2', '0.5', 'inf', '-inf', '-0', '1e16', 'x', '0x10', '1e400'];
const AGGREGATES = ['SUM', 'MIN', 'MAX', 'min', 'avg'];

/** numkeys: mostly right, sometimes zero, negative, not a number or past the arguments. */
function numkeys(n: number): fc.Arbitrary<string> {
  return fc.oneof({ weight: 10, arbitrary: fc.constant(String(n)) }, fc.constantFrom('0', '-1', 'x', String(n + 1)));
}

/** Options after the keys: WEIGHTS (mostly one per key), AGGREGATE, WITHSCORES, LIMIT, junk. */
function options(n: number): fc.Arbitrary<string[]> {
  return fc.array(fc.oneof(
    { weight: 4, arbitrary: fc.tuple(fc.array(fc.constantFrom(...WEIGHTS), { minLength: n, maxLength: n }), fc.constantFrom(0, 0, 0, -1, 1))
      .map(([ws, d]) => ['WEIGHTS', ...(d < 0 ? ws.slice(1) : d > 0 ? [...ws, '1'] : ws)]) },
    { weight: 3, arbitrary: fc.constantFrom(...AGGREGATES).map((a) => ['AGGREGATE', a]) },
    { weight: 3, arbitrary: fc.constant(['WITHSCORES']) },
    fc.constantFrom(['LIMIT', '1'], ['LIMIT', '0'], ['LIMIT', '-1'], ['FOO']),
  ), { maxLength: 3 }).map((groups) => groups.flat());
}

export function zsetAlgebraCommands(key: fc.Arbitrary<string>): fc.Arbitrary<string[]>[] {
  const keys = fc.array(key, { minLength: 1, maxLength: 3 });
  return [
    fc.tuple(fc.constantFrom('ZUNION', 'ZINTER', 'ZDIFF', 'ZINTERCARD'), keys)
      .chain(([c, ks]) => fc.tuple(numkeys(ks.length), options(ks.length)).map(([n, o]) => [c, n, ...ks, ...o])),
    fc.tuple(fc.constantFrom('ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE'), key, keys)
      .chain(([c, d, ks]) => fc.tuple(numkeys(ks.length), options(ks.length)).map(([n, o]) => [c, d, n, ...ks, ...o])),
    // A whole sorted set with its scores: how a stored result is compared.
    fc.tuple(key).map(([k]) => ['ZUNION', '1', k, 'WITHSCORES']),
  ];
}
