import { Engine, type EngineOptions } from './engine.js';
import { CapturingWriter, type Reply } from './reply.js';
import type { Client } from './client.js';
import type { Value } from './keyspace.js';
import { RawString } from './types/string.js';
import { ListValue } from './types/list.js';
import { SetValue } from './types/set.js';
import { HashValue } from './types/hash.js';
import { ZSetValue } from './types/zset.js';

/**
 * A harness for engine tests: an engine with a manual clock and a client whose replies are
 * captured as values. `t.run('SET', 'k', 'v')` returns the reply.
 */
export class TestClock {
  constructor(public now = 1_700_000_000_000) {}
  readonly read = (): number => this.now;
  advance(ms: number): void { this.now += ms; }
}

export interface EngineHarness {
  engine: Engine;
  clock: TestClock;
  client: Client;
  writer: CapturingWriter;
  run(...argv: string[]): Reply;
  /** Another client on the same engine. */
  newClient(): { client: Client; run(...argv: string[]): Reply };
}

export function createTestEngine(options: EngineOptions = {}): EngineHarness {
  const clock = new TestClock();
  const engine = new Engine({ clock: clock.read, ...options });
  const make = () => {
    const writer = new CapturingWriter();
    const client = engine.createClient({ reply: writer, kind: 'memory', addr: 'memory' });
    const run = (...argv: string[]): Reply => {
      engine.execute(client, argv);
      return writer.takeOne();
    };
    return { client, writer, run };
  };
  const first = make();
  return { engine, clock, client: first.client, writer: first.writer, run: first.run, newClient: () => make() };
}

/** A seeded PRNG (mulberry32) for tests that must replay the same random run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A value's content as one comparable string: type and elements, sets and hashes sorted.
 * `stringForm` maps a string value's bytes first (a test may mask parts it does not compare).
 */
export function describeValue(v: Value, stringForm: (bytes: string) => string = (b) => b): string {
  if (typeof v === 'string') return `string ${JSON.stringify(stringForm(v))}`;
  if (v instanceof RawString) return `string ${JSON.stringify(stringForm(v.buf.toString('latin1', 0, v.length)))}`;
  if (v instanceof ListValue) return `list ${JSON.stringify(v.toArray())}`;
  if (v instanceof SetValue) return `set ${JSON.stringify(v.members().sort())}`;
  if (v instanceof HashValue) {
    const pairs: [string, string][] = [];
    v.forEach((f, x) => { pairs.push([f, x]); });
    pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return `hash ${JSON.stringify(pairs)}`;
  }
  if (v instanceof ZSetValue) {
    const out: string[] = [];
    if (v.size > 0) v.each(0, v.size - 1, false, (m, s) => { out.push(m, String(s)); });
    return `zset ${JSON.stringify(out)}`;
  }
  return `unknown ${v.type}`;
}
