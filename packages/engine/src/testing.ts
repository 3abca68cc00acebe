import { Engine, type EngineOptions } from './engine.js';
import { CapturingWriter, type Reply } from './reply.js';
import type { Client } from './client.js';

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
