import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ReplyScanner } from './pipe.js';

/**
 * The --pipe reply scanner: whatever the replies and wherever the stream is cut, it counts
 * the top-level replies, reports the top-level errors (not those nested in arrays, as
 * redis-cli), skips the set-up replies it is told to, and stops at the marker.
 */

type Node = { kind: 'simple' | 'int' | 'null' | 'double' | 'bool' } | { kind: 'error'; text: string } | { kind: 'bulk' | 'verbatim' | 'blobError'; text: string } | { kind: 'array' | 'set' | 'push' | 'map'; items: Node[] } | { kind: 'nullArray' };

const text = fc.string({ unit: fc.constantFrom('a', 'b', '\r', '\n', '$', '*', '-', '+', ':', '\x00', '\xff'), maxLength: 24 });

const node: fc.Arbitrary<Node> = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom<Node>({ kind: 'simple' }, { kind: 'int' }, { kind: 'null' }, { kind: 'double' }, { kind: 'bool' }, { kind: 'nullArray' }),
    fc.record({ kind: fc.constant('error' as const), text: fc.string({ unit: fc.constantFrom('E', 'R', ' ', 'x'), maxLength: 12 }) }),
    fc.record({ kind: fc.constantFrom('bulk' as const, 'verbatim' as const, 'blobError' as const), text }),
    fc.record({ kind: fc.constantFrom('array' as const, 'set' as const, 'push' as const, 'map' as const), items: fc.array(tie('node'), { maxLength: 4 }) }),
  ),
})).node;

function encode(n: Node, out: string[]): void {
  switch (n.kind) {
    case 'simple': out.push('+OK\r\n'); return;
    case 'int': out.push(':-12\r\n'); return;
    case 'null': out.push('$-1\r\n'); return;
    case 'nullArray': out.push('*-1\r\n'); return;
    case 'double': out.push(',1.5\r\n'); return;
    case 'bool': out.push('#t\r\n'); return;
    case 'error': out.push(`-ERR ${n.text}\r\n`); return;
    case 'bulk': out.push(`$${n.text.length}\r\n${n.text}\r\n`); return;
    case 'verbatim': out.push(`=${n.text.length + 4}\r\ntxt:${n.text}\r\n`); return;
    case 'blobError': out.push(`!${n.text.length + 4}\r\nERR ${n.text}\r\n`); return;
    case 'map': {
      out.push(`%${Math.floor(n.items.length / 2)}\r\n`);
      for (const item of n.items.slice(0, Math.floor(n.items.length / 2) * 2)) encode(item, out);
      return;
    }
    default: {
      const type = { array: '*', set: '~', push: '>' }[n.kind];
      out.push(`${type}${n.items.length}\r\n`);
      for (const item of n.items) encode(item, out);
    }
  }
}

const errorOf = (n: Node): string | undefined => (n.kind === 'error' ? `ERR ${n.text}` : n.kind === 'blobError' ? `ERR ${n.text}` : undefined);

function scan(stream: Buffer, cuts: number[], ignore = 0, marker = Buffer.alloc(20, 'm')): { scanner: ReplyScanner; errors: string[]; setup: [string, number][] } {
  const errors: string[] = [];
  const setup: [string, number][] = [];
  const scanner = new ReplyScanner(ignore, marker, (m, step) => {
    if (step === undefined) errors.push(m.toString('latin1'));
    else setup.push([m.toString('latin1'), step]);
  });
  let at = 0;
  for (const cut of [...cuts.filter((c) => c > 0 && c < stream.length)].sort((a, b) => a - b).concat(stream.length)) {
    scanner.feed(stream.subarray(at, cut));
    at = cut;
  }
  return { scanner, errors, setup };
}

describe('ReplyScanner', () => {
  it('counts top-level replies and reports top-level errors, wherever the stream is cut', () => {
    fc.assert(fc.property(fc.array(node, { maxLength: 12 }), fc.array(fc.nat(400), { maxLength: 8 }), (replies, cuts) => {
      const parts: string[] = [];
      for (const r of replies) encode(r, parts);
      const { scanner, errors } = scan(Buffer.from(parts.join(''), 'latin1'), cuts);
      expect(scanner.replies).toBe(replies.length);
      expect(errors).toEqual(replies.map(errorOf).filter((e) => e !== undefined));
      expect(scanner.markerSeen).toBe(false);
    }), { numRuns: 300 });
  });

  it('cut at every byte: +OK runs, nested arrays, errors inside arrays not counted as errors', () => {
    const stream = Buffer.from('+OK\r\n*2\r\n-ERR inner\r\n*1\r\n$3\r\nabc\r\n-ERR top\r\n:1\r\n%1\r\n+k\r\n$-1\r\n', 'latin1');
    for (let cut = 0; cut <= stream.length; cut++) {
      const { scanner, errors } = scan(stream, [cut, cut + 1]);
      expect([scanner.replies, errors]).toEqual([5, ['ERR top']]);
    }
  });

  it('an attribute (|) is no reply of its own', () => {
    const { scanner } = scan(Buffer.from('|1\r\n+key\r\n:1\r\n+OK\r\n*1\r\n|1\r\n+a\r\n+b\r\n:2\r\n'), []);
    expect(scanner.replies).toBe(2);
  });

  it('stops at the marker, which is not counted; another 20-byte bulk is a reply like any other', () => {
    const marker = Buffer.from('\x00\r\n\xffabcdefghijklmnop', 'latin1');
    const other = '$20\r\n01234567890123456789\r\n';
    const stream = Buffer.from(`+OK\r\n${other}$20\r\n${marker.toString('latin1')}\r\n+AFTER\r\n`, 'latin1');
    for (let cut = 0; cut <= stream.length; cut++) {
      const { scanner } = scan(stream, [cut], 0, marker);
      expect([scanner.replies, scanner.markerSeen]).toEqual([2, true]);
    }
  });

  it('skips the set-up replies, reporting their errors with their step', () => {
    const { scanner, errors, setup } = scan(Buffer.from('-ERR bad password\r\n+OK\r\n+OK\r\n-ERR real\r\n'), [], 2);
    expect(scanner.replies).toBe(2);
    expect(errors).toEqual(['ERR real']);
    expect(setup).toEqual([['ERR bad password', 0]]);
  });

  it('a reply that is not RESP is a protocol error', () => {
    expect(() => scan(Buffer.from('+OK\r\nHTTP/1.1 400\r\n'), [])).toThrow(/Protocol error/);
    expect(() => scan(Buffer.from('$x\r\n'), [])).toThrow(/Protocol error/);
  });
});
