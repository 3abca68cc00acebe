import fc from 'fast-check';

/**
 * Bitmap commands for the repo-wide differential test: SETBIT GETBIT BITCOUNT BITPOS BITOP
 * BITFIELD BITFIELD_RO on the shared keys, so they meet values of every type (WRONGTYPE
 * paths) and strings other commands wrote. Offsets stay below a few hundred bits (values stay
 * small), plus the invalid ones (negative, 2^32, not an integer). Replies are deterministic:
 * no normaliser is needed.
 */

const bitOffset = fc.constantFrom('0', '1', '7', '8', '15', '63', '100', '333', '-1', '4294967296', 'x', '#1');
const index = fc.constantFrom('0', '1', '2', '-1', '-2', '5', '-5', '10', '-100', '100', '37', 'x', '9223372036854775807', '-9223372036854775808');
const unit = fc.constantFrom<string[]>([], [], ['BIT'], ['BYTE'], ['bit'], ['foo']);
const fieldType = fc.constantFrom('u1', 'u4', 'u8', 'i8', 'i1', 'u16', 'i32', 'u32', 'i64', 'u63', 'i5', 'i40', 'u64', 'i65', 'x8');
const fieldOffset = fc.constantFrom('0', '1', '3', '7', '8', '13', '#0', '#1', '#3', '33', '100', '-1', 'x');
const fieldValue = fc.constantFrom('0', '1', '-1', '100', '255', '-128', '127', '4294967296', '9223372036854775807', '-9223372036854775808', 'x');
const getOp = fc.tuple(fieldType, fieldOffset).map(([t, o]) => ['GET', t, o]);
const fieldOp = fc.oneof(
  { weight: 3, arbitrary: getOp },
  { weight: 3, arbitrary: fc.tuple(fieldType, fieldOffset, fieldValue).map(([t, o, v]) => ['SET', t, o, v]) },
  { weight: 3, arbitrary: fc.tuple(fieldType, fieldOffset, fieldValue).map(([t, o, v]) => ['INCRBY', t, o, v]) },
  { weight: 2, arbitrary: fc.constantFrom(['OVERFLOW', 'WRAP'], ['OVERFLOW', 'SAT'], ['OVERFLOW', 'fail'], ['OVERFLOW', 'x'], ['OVERFLOW']) },
);

export function bitmapCommands(key: fc.Arbitrary<string>): fc.Arbitrary<string[]>[] {
  return [
    fc.tuple(key, bitOffset, fc.constantFrom('0', '1', '1', '2')).map(([k, o, v]) => ['SETBIT', k, o, v]),
    fc.tuple(key, bitOffset).map(([k, o]) => ['GETBIT', k, o]),
    fc.tuple(key, fc.oneof(fc.constant<string[]>([]), fc.tuple(index, index, unit).map(([a, b, u]) => [a, b, ...u])))
      .map(([k, rest]) => ['BITCOUNT', k, ...rest]),
    fc.tuple(key, fc.constantFrom('0', '1', '2'), fc.integer({ min: 0, max: 3 }), index, index, unit)
      .map(([k, bit, n, a, b, u]) => ['BITPOS', k, bit, ...(n >= 1 ? [a] : []), ...(n >= 2 ? [b] : []), ...(n >= 3 ? u : [])]),
    fc.tuple(fc.constantFrom('AND', 'OR', 'XOR', 'NOT', 'not', 'FOO'), key, fc.array(key, { minLength: 1, maxLength: 3 }))
      .map(([op, d, ks]) => ['BITOP', op, d, ...ks]),
    fc.tuple(key, fc.array(fieldOp, { maxLength: 4 })).map(([k, ops]) => ['BITFIELD', k, ...ops.flat()]),
    fc.tuple(key, fc.array(fc.oneof(getOp, getOp, fieldOp), { maxLength: 3 })).map(([k, ops]) => ['BITFIELD_RO', k, ...ops.flat()]),
  ];
}
