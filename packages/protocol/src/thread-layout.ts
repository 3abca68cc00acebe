/**
 * What the owner and its thread clients share, besides the rings themselves (ring.ts).
 *
 * The store's control block (one per owner, inside the handle):
 *
 *   offset 0            64               128               192
 *   ┌─────────────────┬────────────────┬─────────────────┬──────────────┐
 *   │ doorbell (i32)  │ ownerParked    │ ownerState      │ unused       │
 *   │ every client    │ (i32) owner    │ (i32) owner,    │              │
 *   │ adds 1          │ writes         │ or its host     │              │
 *   └─────────────────┴────────────────┴─────────────────┴──────────────┘
 *
 * The doorbell is the one word the owner parks on (Atomics.waitAsync). A client that has
 * published requests reads ownerParked; if it is set (a new generation number each time the
 * owner parks) it adds 1 to the doorbell and notifies (once per generation). A busy owner
 * watches the rings themselves, so the doorbell's line is not touched per request. It is the only word several threads
 * write, so it is shared by design; each ring's own indices have one writer each.
 * ownerState goes from RUNNING to STOPPED once, when the owner shuts down or its thread dies;
 * clients waiting for a reply look at it between timed waits so they fail instead of hanging.
 *
 * A connection (one per connect(handle)) is one SharedArrayBuffer the client allocates:
 *
 *   0                  64                 128               256            256 + request ring
 *   ┌──────────────────┬──────────────────┬─────────────────┬──────────────┬──────────────┐
 *   │ clientState (i32)│ ownerState (i32) │ refusal reason  │ request ring │ reply ring   │
 *   │ client writes    │ owner writes     │ owner writes    │ client→owner │ owner→client │
 *   └──────────────────┴──────────────────┴─────────────────┴──────────────┴──────────────┘
 */
import { ringBytes } from './ring.js';

export const CONTROL_DOORBELL = 0;
export const CONTROL_OWNER_PARKED = 16;
export const CONTROL_OWNER_STATE = 32;
export const CONTROL_BYTES = 256;

export const OWNER_RUNNING = 1;
export const OWNER_STOPPED = 2;

/** Connection header words (Int32 indices). */
export const CONN_CLIENT_STATE = 0;
export const CONN_OWNER_STATE = 16;
/**
 * Why the owner refused (with CONN_REFUSED): 1 maxclients, 2 version, 3 malformed, 4 thread
 * exited, 5 the thread's liveness socket never identified itself.
 */
export const CONN_REFUSED_REASON = 32;
export const CONN_HEADER_BYTES = 256;

/** clientState values. */
export const CLIENT_OPEN = 0;
export const CLIENT_CLOSED = 1;
/** Connection ownerState values. */
export const CONN_PENDING = 0;
export const CONN_ACCEPTED = 1;
export const CONN_CLOSED = 2;
export const CONN_REFUSED = 3;

/** Thread handle format version: a client and an owner of different versions refuse each other. */
export const THREAD_PROTOCOL_VERSION = 1;

/**
 * What server.handle() returns: plain data and a SharedArrayBuffer, so it passes through
 * workerData, postMessage and piscina task arguments without a transfer list, any number of
 * times, to any number of threads of this process.
 */
export interface ThreadHandle {
  readonly nodis: 'thread-handle';
  readonly version: number;
  /** Random id of this owner (names its BroadcastChannel). */
  readonly store: string;
  /** The process hosting the owner: a handle is meaningless in any other process. */
  readonly pid: number;
  readonly control: SharedArrayBuffer;
  /**
   * Unix socket a thread keeps open while it has clients: the owner notices the thread dying
   * when it closes, and wakes a thread that waits without blocking by writing a byte to it.
   */
  readonly liveness: string;
}

/** Messages on the store's BroadcastChannel (`channelName(store)`). */
export type ThreadChannelMessage =
  | {
    type: 'connect'; version: number; thread: string; threadId: number; connection: SharedArrayBuffer;
    requestCapacity: number; replyCapacity: number;
    /** The thread's liveness socket has already been sent its token (the owner waits for it). */
    identified: boolean;
  };

export function channelName(store: string): string {
  return `nodis:${store}`;
}

/** Bytes of one connection's SharedArrayBuffer. */
export function connectionBytes(requestCapacity: number, replyCapacity: number): number {
  return CONN_HEADER_BYTES + ringBytes(requestCapacity) + ringBytes(replyCapacity);
}

/** Offsets of the two rings inside a connection's buffer. */
export function connectionRings(requestCapacity: number): { request: number; reply: number } {
  return { request: CONN_HEADER_BYTES, reply: CONN_HEADER_BYTES + ringBytes(requestCapacity) };
}

export function isThreadHandle(x: unknown): x is ThreadHandle {
  return typeof x === 'object' && x !== null && (x as { nodis?: unknown }).nodis === 'thread-handle';
}
