import { describe, expect, it } from 'vitest';
import {
  addLongDouble, formatFixed17, formatLongDouble, incrByFloat, parseLongDouble, type LongDouble,
} from './long-double.js';

/** Expected texts below were taken from redis-server 7.0.15 (x86-64) with SET + INCRBYFLOAT. */
function incr(current: string | undefined, by: string): string {
  const r = incrByFloat(current, by);
  if (r.ok) return r.value;
  return r.reason === 'not-float' ? 'ERR value is not a valid float' : 'ERR increment would produce NaN or Infinity';
}

const NOT_FLOAT = 'ERR value is not a valid float';
const NAN_INF = 'ERR increment would produce NaN or Infinity';

describe('long double arithmetic as Redis prints it', () => {
  it('adds in 64-bit precision and prints %.17Lf without trailing zeros', () => {
    expect(incr('0.1', '0.2')).toBe('0.3');
    expect(incr('1.5', '0.0000000000000000049999')).toBe('1.5');
    expect(incr('3.0', '1')).toBe('4');
    expect(incr('5', '1.5E-3')).toBe('5.0015');
    expect(incr('9223372036854775807', '1')).toBe('9223372036854775808');
    expect(incr(undefined, '10.5')).toBe('10.5');
    expect(incr('-5', '2')).toBe('-3');
    expect(incr('2', '-2.5')).toBe('-0.5');
  });

  it('prints every integer digit of large values', () => {
    expect(incr('1e300', '1')).toBe(
      '1000000000000000000008997324079559193870523944273290747938260082321265646596180935755849152083750497190350372508614274835903592556184672983913096260520748646287327135641843653294084255107606016789726652932370030551382947620994540294772781889620606179267611627097410650567187386105690089424915104006144',
    );
    const max = incr(undefined, '1.18973149535723176502e+4932');
    expect(max).toHaveLength(4933);
    expect(max.startsWith('11897314953572317650212638530309702051690633222946242004403237338917370055229707226164')).toBe(true);
    expect(max.endsWith('4846250768992258419305480763620215089022149220528069842018350840586938493815498909445461977893029113576516775406232278298314033473276603952231603422824717528181818844304880921321933550869873395861276073670866652375555675803171490108477320096424318780070008797346032906278943553743564448851907191616455141155761939399690767415156402826543664026760095087523945507341556135867933066031744720924446513532366647649735400851967040771103640538150073486891798364049570606189535005089840913826869535090066783324472578712196604415284924840041850932811908963634175739897166596000759487800619164094854338758520657116541072260996288150123144377944008749301944744330784388995701842710004808305012177123560622895076269042856800047718893158089358515593863176652948089031267747029662545110861548958395087796755464137944895960527975209874813839762578592105756284401759349324162148339565350189196811389091843795734703269406342890087805846940352453479398080674273236297887100867175802531561302356064878709259865288416350972529537091114317204887747405539054009425375424119317944175137064689643861517718849867010341532542385911089624710885385808688837777258648564145934262121086647588489260031762345960769508849149662444156604419552086811989770240')).toBe(true);
  });

  it('rounds %.17Lf ties to even on the exact binary value', () => {
    // 2^-58 = 3.4694...e-18 rounds down; 3 * 2^-59 = 5.2041...e-18 rounds up.
    expect(incr('0', '0x1p-58')).toBe('0');
    expect(incr('0', '0x3p-59')).toBe('0.00000000000000001');
    expect(incr('0', '0.000000000000000005')).toBe('0');
    expect(incr('0', '0.000000000000000015')).toBe('0.00000000000000002');
    expect(incr('0', '0.000000000000000025')).toBe('0.00000000000000002');
    // An exact tie in the 18th decimal: 2^-18 * 10^17 has fractional part .5.
    expect(formatFixed17(parseLongDouble('0x1p-18')!)).toBe('0.00000381469726562');
    expect(formatFixed17(parseLongDouble('0x3p-18')!)).toBe('0.00001144409179688');
  });

  it('prints negative zero and tiny negatives as 0', () => {
    expect(incr('-0', '-0')).toBe('0');
    expect(incr('-1e-30', '0')).toBe('0');
    expect(formatFixed17(parseLongDouble('-1e-30')!)).toBe('-0.00000000000000000');
  });

  it('parses like string2ld: whole string, no spaces, no NaN', () => {
    for (const bad of ['', ' 1', '1 ', '1\t', '\u00001', '1\u0000', '2\u0000abc', 'nan', '-nan', 'nan(123)',
      '0x', '0x1p', '1e', '1e+', '-.', '.', '+', '-', 'abc', '1.2.3', '0x1.8.1', 'infinit', 'infx', '--1', '+-1', '1,5']) {
      expect(parseLongDouble(bad), JSON.stringify(bad)).toBeUndefined();
    }
    expect(incr('5', '0X1P2')).toBe('9');
    expect(incr('5', '0x.8')).toBe('5.5');
    expect(incr('5', '+.5e1')).toBe('10');
    expect(incr('5', '5.')).toBe('10');
    expect(incr(' 1', '1')).toBe(NOT_FLOAT);
    expect(incr('', '1')).toBe(NOT_FLOAT);
  });

  it('accepts infinities but refuses the infinite result', () => {
    expect(incr('5', 'infinity')).toBe(NAN_INF);
    expect(incr('5', '-INF')).toBe(NAN_INF);
    expect(incr('inf', '-inf')).toBe(NAN_INF);
    expect(incr('5', '+Inf')).toBe(NAN_INF);
  });

  it('refuses overflow and underflow to zero, keeps subnormals', () => {
    expect(incr(undefined, '1.18973149535723176508e+4932')).toBe(NOT_FLOAT);
    expect(incr(undefined, '1.2e4932')).toBe(NOT_FLOAT);
    expect(incr(undefined, '1e5000')).toBe(NOT_FLOAT);
    expect(incr(undefined, '1e-5000')).toBe(NOT_FLOAT);
    expect(incr(undefined, '1.8e-4951')).toBe(NOT_FLOAT); // below half the smallest subnormal
    expect(incr(undefined, '1e-4951')).toBe(NOT_FLOAT);
    expect(incr(undefined, '1.9e-4951')).toBe('0'); // rounds up to the smallest subnormal
    expect(incr(undefined, '3.64519953188247460253e-4951')).toBe('0');
    expect(incr(undefined, '0x1p-16445')).toBe('0');
    expect(incr(undefined, '0x1p-16446')).toBe(NOT_FLOAT); // exactly half: ties to even, zero
    expect(incr(undefined, '1e-4940')).toBe('0');
    expect(incr(undefined, '0e99999999999999')).toBe('0'); // zero is never an underflow
    expect(incr(undefined, '1e99999999999999999999')).toBe(NOT_FLOAT);
    // The sum may overflow even when both operands are finite.
    expect(incr('1.18973149535723176502e+4932', '1.18973149535723176502e+4932')).toBe(NAN_INF);
  });

  it('refuses texts of 5120 bytes or more, as Redis copies into a 5 KiB buffer', () => {
    expect(parseLongDouble('1'.padStart(5119, '0'))).toBeDefined();
    expect(parseLongDouble('1'.padStart(5120, '0'))).toBeUndefined();
  });

  it('rounds to 64 significant bits, ties to even', () => {
    const one = parseLongDouble('1')!;
    const halfUlp = parseLongDouble('0x1p-64')!; // half of 1's ulp (2^-63)
    const sum = addLongDouble(one, halfUlp);
    expect(sum.mantissa).toBe(1n << 63n); // tie: stays at the even 1
    const threeQuarters = addLongDouble(one, parseLongDouble('0x3p-65')!);
    expect(threeQuarters.mantissa).toBe((1n << 63n) + 1n);
    const big = parseLongDouble('18446744073709551615')!; // 2^64 - 1 needs 64 bits: exact
    expect(big.mantissa).toBe((1n << 64n) - 1n);
    const rounded = parseLongDouble('36893488147419103231')!; // 2^65 - 1 rounds up to 2^65
    expect(rounded.mantissa * 2n ** BigInt(rounded.exponent)).toBe(1n << 65n);
  });

  it('formats finite values it parsed back to the same value', () => {
    const cases = ['0.1', '123.456', '-987654321.123456789', '1e-10', '4.5e15'];
    for (const c of cases) {
      const x = parseLongDouble(c) as LongDouble;
      const again = parseLongDouble(formatLongDouble(x)) as LongDouble;
      expect(Math.abs(Number(formatLongDouble(again)) - Number(c))).toBeLessThan(1e-9 * Math.max(1, Math.abs(Number(c))));
    }
  });
});
