import { NodisClient, type Nodis } from './client.js';
import { MemoryStore } from './transports/memory.js';
import type { EngineOptions } from '@nodis/engine';

export { NodisClient, Pipeline, ReplyError, type Nodis } from './client.js';
export { MemoryStore } from './transports/memory.js';
export type { Arg, Value } from './codec.js';
export type { Transport } from './transport.js';

/**
 * connect(): the one entry point.
 *   connect()                       memory: an engine in this thread (tests, scripts)
 *   connect({ store })              memory: another client of an existing MemoryStore
 * The thread, socket and resp transports arrive with their issues.
 */
export interface ConnectOptions {
  /** Share one in-thread engine between clients. */
  store?: MemoryStore;
  /** Options for a new in-thread engine (clock, config). */
  engine?: EngineOptions;
}

export async function connect(target?: ConnectOptions | string): Promise<Nodis> {
  if (typeof target === 'string') {
    throw new Error(`nodis: transport for '${target}' is not available yet; connect() without arguments gives the in-thread memory store`);
  }
  const store = target?.store ?? new MemoryStore(target?.engine);
  return new NodisClient(store.transport()) as Nodis;
}

/** A memory store that several clients can connect to: `const s = createMemoryStore(); await connect({ store: s })`. */
export function createMemoryStore(options?: EngineOptions): MemoryStore {
  return new MemoryStore(options);
}
