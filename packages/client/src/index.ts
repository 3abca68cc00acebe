import { NodisClient, type Nodis } from './client.js';
import { MemoryStore } from './transports/memory.js';
import { connectThread, connectThreadSync, type ThreadConnectOptions } from './transports/thread.js';
import { openResp, type RespConnectOptions } from './transports/resp.js';
import { openSocket, type SocketConnectOptions } from './transports/socket.js';
import type { EngineOptions } from '@nodis/engine';
import { isThreadHandle, type ThreadHandle } from '@nodis/protocol';

export {
  NodisClient, Pipeline, ReplyError, TransactionClient, type Nodis, type SubscribeArgs, type TypedMulti, type TypedPipeline,
} from './client.js';
export { Multi } from './multi.js';
export { Subscription, type Message, type MessageBuffer, type SubscribeOptions, type SubscriptionKind } from './subscriber.js';
export type { TransactionOptions, TransactionResult } from './transaction.js';
export { MemoryStore } from './transports/memory.js';
export type { Arg, Value } from './codec.js';
export type { DuplicateOptions, Transport } from './transport.js';
export type { ThreadConnectOptions } from './transports/thread.js';
export type { RespConnectOptions } from './transports/resp.js';
export type { SocketConnectOptions } from './transports/socket.js';
export type { CallOptions } from './transport.js';
export type { ThreadHandle } from '@nodis/protocol';

/**
 * connect(): the one entry point.
 *   connect()                       memory: an engine in this thread (tests, scripts)
 *   connect({ store })              memory: another client of an existing MemoryStore
 *   connect(handle)                 thread: a store hosted by this process (server.handle(),
 *                                   passed to this thread through workerData or postMessage)
 *   connect('redis://host:port/db') resp: nodis's RESP port, or a real Redis or Valkey
 *   connect('redis+unix:///path')   resp over a Unix socket
 *   connect('unix:///path')         socket: nodis's native protocol on its native Unix socket
 *                                   (server.nativesocket; nodis-server: ./data/nodis-native.sock)
 */
export interface ConnectOptions {
  /** Share one in-thread engine between clients. */
  store?: MemoryStore;
  /** Options for a new in-thread engine (clock, config). */
  engine?: EngineOptions;
}

export async function connect(target?: ConnectOptions | string | ThreadHandle, options?: ThreadConnectOptions & RespConnectOptions & SocketConnectOptions): Promise<Nodis> {
  if (isThreadHandle(target)) return new NodisClient(await connectThread(target, options)) as Nodis;
  if (typeof target === 'string') {
    if (/^(redis|redis\+unix):/i.test(target)) return new NodisClient(await openResp(target, options)) as Nodis;
    if (/^unix:/i.test(target)) return new NodisClient(await openSocket(target, options)) as Nodis;
    throw new Error(`nodis: no transport for '${target}': use unix:///path (nodis's native socket), redis://host:port or redis+unix:///path (RESP), a thread handle, or nothing (the in-thread memory store)`);
  }
  const store = target?.store ?? new MemoryStore(target?.engine);
  return new NodisClient(store.transport()) as Nodis;
}

/** A memory store that several clients can connect to: `const s = createMemoryStore(); await connect({ store: s })`. */
export function createMemoryStore(options?: EngineOptions): MemoryStore {
  return new MemoryStore(options);
}

/**
 * connectSync(handle): a thread client without await, e.g. at the top of a worker module:
 *   const db = connectSync(workerData.store); db.sync.incr('jobs');
 * Blocks this thread until the owner accepts (it answers in microseconds when idle).
 */
export function connectSync(handle: ThreadHandle, options?: ThreadConnectOptions): Nodis {
  return new NodisClient(connectThreadSync(handle, options)) as Nodis;
}
