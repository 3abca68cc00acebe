import fc from 'fast-check';

/**
 * HyperLogLog commands for the repo-wide differential test. Every reply is deterministic (the
 * estimate, the cached bytes GET shows, the errors), so no normaliser is needed.
 *
 * Besides small PFADDs, a PFADD of a numbered run of elements takes values from sparse to dense
 * (past hll-sparse-max-bytes), and SET of crafted values brings the error paths in: a valid
 * sparse value with a stale cache, one covering too few registers (INVALIDOBJ), a cached
 * count trusted without its registers, and a dense one of the wrong length (the HLL WRONGTYPE).
 */

const HEADER = 'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80';
const CRAFTED = [
  `${HEADER}\x7f\xff`,
  `${HEADER}\x7f\xfc\x89\x84`,
  `${HEADER}\x7f\xfe`,
  'HYLL\x01\x00\x00\x00\x07\x00\x00\x00\x00\x00\x00\x00',
  `HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80${'\x00'.repeat(100)}`,
];

export function hyperloglogCommands(key: fc.Arbitrary<string>): fc.Arbitrary<string[]>[] {
  const element = fc.constantFrom('a', 'b', 'c', '1', '2', '', 'x'.repeat(20), '\x00\xff\r\n');
  const run = fc.tuple(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 1, max: 1500 })).map(([from, n]) => {
    const out: string[] = [];
    for (let i = from; i < from + n; i++) out.push(`e${i}`);
    return out;
  });
  return [
    fc.tuple(key, fc.array(element, { maxLength: 4 })).map(([k, es]) => ['PFADD', k, ...es]),
    fc.tuple(key, run).map(([k, es]) => ['PFADD', k, ...es]),
    fc.array(key, { minLength: 1, maxLength: 3 }).map((ks) => ['PFCOUNT', ...ks]),
    fc.tuple(key, fc.array(key, { maxLength: 3 })).map(([d, ks]) => ['PFMERGE', d, ...ks]),
    fc.tuple(key, fc.constantFrom(...CRAFTED)).map(([k, v]) => ['SET', k, v]),
  ];
}
