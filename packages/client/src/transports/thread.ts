import net from 'node:net';
import { writeSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { BroadcastChannel, threadId } from 'node:worker_threads';
import {
  ReplyError, ReplyParser, ReplyPush, RequestWriter, RingBacklog, RingReader, RingWriter, RING_PRODUCER_PARKED, RING_HEAD, RING_TAIL,
  type Parking,
  channelName, connectionBytes, connectionRings, isThreadHandle,
  CONTROL_DOORBELL, CONTROL_OWNER_PARKED, CONTROL_OWNER_STATE, OWNER_RUNNING,
  CONN_CLIENT_STATE, CONN_OWNER_STATE, CONN_PENDING, CONN_ACCEPTED, CONN_REFUSED, CONN_REFUSED_REASON, CLIENT_CLOSED,
  THREAD_PROTOCOL_VERSION, type Reply, type ThreadChannelMessage, type ThreadHandle,
} from '@nodis/protocol';
import type { CallOptions, DuplicateOptions, Transport } from '../transport.js';
import { CallQueue, type QueuedCall } from '../call-queue.js';

/**
 * The thread transport: this thread ↔ the owner through two SharedArrayBuffer rings carrying
 * RESP (protocol/src/ring.ts), for clients in any thread of the process that hosts the store.
 *
 * Async calls are pipelined automatically: every command issued in one tick is encoded into
 * one batch, published with one doorbell, and answered in order. Replies are awaited after a
 * short spin (a busy owner answers in µs; a wake-up of a sleeping thread costs ≈ 40–70 µs on
 * this VM) by parking the reply ring 'remote': the owner then wakes this thread's event loop
 * with a byte on its liveness socket. (Not Atomics.waitAsync: notifying a waitAsync waiter
 * whose thread is being terminated crashed Node 20 in our tests.) Sync calls
 * (`db.sync.incr('n')`) publish the same way and block this thread with Atomics.wait until
 * their reply arrives; replies to earlier async calls met on the way resolve their promises,
 * so both kinds interleave in order.
 *
 * One liveness socket per thread and store tells the owner when this thread dies (its token is
 * written synchronously, so even a thread that never returns to its event loop is known), and
 * tells this thread when the owner dies. Sync waits are also sliced (WAIT_SLICE_MS) and check
 * the store's ownerState word, so a sync call never hangs on a dead owner.
 */

export interface ThreadConnectOptions {
  /** Bytes of each ring (request and reply), a power of two; default 256 KiB. */
  ringBytes?: number;
  /** How long connect waits for the owner to accept, ms; default 5000. */
  connectTimeout?: number;
  /**
   * How long an async call may spin for its replies before letting the event loop wait, µs;
   * default 100. The spin adapts below that (it halves whenever it ends without a reply), so
   * an idle or overloaded store costs little spinning. 0 never spins.
   */
  spinMicros?: number;
}

const DEFAULT_RING_BYTES = 256 * 1024;
/**
 * A sync call spins this long at most for its reply before parking. The budget adapts: it
 * grows while replies come during the spin and halves each time we park anyway, so with more
 * busy threads than cores (where spinning steals the owner's core) callers soon park at once.
 */
const SYNC_SPIN_MICROS = 50;
const SYNC_SPIN_MIN_MICROS = 2;
const WAIT_SLICE_MS = 50;
/** Encoded bytes after which a batch is published before the tick ends. */
const EARLY_FLUSH_BYTES = 4096;

/** Why an owner refused a connection (CONN_REFUSED_REASON). */
const REFUSALS: Record<number, string> = {
  1: 'max number of clients reached',
  2: 'the client and the store speak different thread protocol versions',
  3: 'the connect message was malformed',
  4: 'this thread was already seen exiting',
  5: "this thread's liveness socket never identified itself",
};
/** How often a transport waiting without blocking re-checks its rings anyway, ms. */
const SAFETY_CHECK_MS = 1000;

/** One per store in each thread: the liveness socket and the channel to the owner. */
interface ThreadLink {
  readonly store: string;
  readonly token: string;
  readonly socket: net.Socket;
  readonly channel: BroadcastChannel;
  readonly transports: Set<ThreadTransport>;
  /** Transports with calls in flight: while > 0 the socket keeps this thread's event loop alive. */
  busy: number;
  /** Connections offered and not yet answered. */
  opening: number;
  /** Async connects waiting for the owner's answer: called on every wake-up. */
  readonly connecting: Set<() => void>;
  /** The token reached the socket synchronously (the owner may wait for it before accepting). */
  readonly identified: boolean;
  ownerGone: boolean;
  /**
   * Subscriber connections of this thread (listen(true)): a transport that reads its own
   * replies reads theirs too, so a thread busy with calls takes its messages without waiting
   * for the owner's wake-up to come through its event loop.
   */
  readonly listeners: Set<ThreadTransport>;
}

const links = new Map<string, ThreadLink>();

function linkFor(handle: ThreadHandle): ThreadLink {
  let link = links.get(handle.store);
  if (link !== undefined && !link.ownerGone) return link;
  const token = randomUUID();
  const socket = net.connect(handle.liveness);
  socket.unref();
  socket.on('error', () => { /* 'close' follows */ });
  // A Unix socket is connected by the time net.connect() returns; its token is written now,
  // with a plain write(2), so the owner can tell this thread's death even if this thread
  // never returns to its event loop (a worker looping over sync calls). Where that is not
  // possible, the socket's own (asynchronous) write sends it.
  let identified = false;
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd === 'number' && fd >= 0) {
    try {
      identified = writeSync(fd, `${token}\n`) === token.length + 1;
    } catch {
      identified = false;
    }
  }
  if (!identified) socket.write(`${token}\n`);
  const channel = new BroadcastChannel(channelName(handle.store));
  (channel as unknown as { unref?: () => void }).unref?.();
  const created: ThreadLink = {
    store: handle.store, token, socket, channel, transports: new Set(), busy: 0, opening: 0,
    connecting: new Set(), identified, ownerGone: false, listeners: new Set(),
  };
  // The owner's wake-ups: one byte means "look at your rings" (the content does not matter).
  socket.on('data', () => {
    for (const check of [...created.connecting]) check();
    for (const t of [...created.transports]) t.wake();
  });
  socket.on('close', () => {
    created.ownerGone = true;
    if (links.get(created.store) === created) links.delete(created.store);
    channel.close();
    for (const check of [...created.connecting]) check();
    for (const t of [...created.transports]) t.ownerStopped();
  });
  links.set(handle.store, created);
  return created;
}

function release(link: ThreadLink, transport: ThreadTransport): void {
  link.transports.delete(transport);
  if (link.transports.size === 0) dropLink(link);
}

function dropLink(link: ThreadLink): void {
  if (link.transports.size !== 0 || link.opening !== 0) return;
  // The last client of this thread: the owner forgets the thread when the socket closes.
  if (links.get(link.store) === link) links.delete(link.store);
  link.socket.destroy();
  link.channel.close();
}

export function checkHandle(handle: unknown): asserts handle is ThreadHandle {
  if (!isThreadHandle(handle)) throw new TypeError('nodis: connect() expects a thread handle (server.handle()), a URL, or nothing');
  if (handle.pid !== process.pid || !(handle.control instanceof SharedArrayBuffer)) {
    throw new Error(`nodis: this thread handle belongs to process ${handle.pid}; a handle works only in the threads of the process that hosts the store. From another process, connect over its socket (unix:///path/to/nodis.sock or redis://host:port)`);
  }
  if (handle.version !== THREAD_PROTOCOL_VERSION) {
    throw new Error(`nodis: the store speaks thread protocol ${handle.version}, this client ${THREAD_PROTOCOL_VERSION}; use the same nodis version on both sides`);
  }
  if (Atomics.load(new Int32Array(handle.control), CONTROL_OWNER_STATE) !== OWNER_RUNNING) {
    throw new Error('nodis: the store behind this handle has stopped');
  }
}

interface Pending extends QueuedCall {
  resolve: ((r: Reply) => void) | undefined;
  reject: ((e: Error) => void) | undefined;
  /** Sync calls: the reply lands here. */
  done: boolean;
  reply: Reply;
}

function ringCapacity(options: ThreadConnectOptions): number {
  const n = options.ringBytes ?? DEFAULT_RING_BYTES;
  if (!Number.isInteger(n) || n < 1024 || n > 1 << 30 || (n & (n - 1)) !== 0) {
    throw new RangeError(`nodis: ringBytes must be a power of two between 1024 and 2^30, not ${String(n)}`);
  }
  return n;
}

/** Creates the connection buffer and asks the owner to accept it. */
function offer(handle: ThreadHandle, options: ThreadConnectOptions): { link: ThreadLink; sab: SharedArrayBuffer; capacity: number } {
  checkHandle(handle);
  const capacity = ringCapacity(options);
  const link = linkFor(handle);
  const sab = new SharedArrayBuffer(connectionBytes(capacity, capacity));
  const message: ThreadChannelMessage = {
    type: 'connect', version: THREAD_PROTOCOL_VERSION, thread: link.token, threadId,
    connection: sab, requestCapacity: capacity, replyCapacity: capacity, identified: link.identified,
  };
  link.channel.postMessage(message);
  link.opening++;
  return { link, sab, capacity };
}

function refusal(state: Int32Array): Error {
  const reason = REFUSALS[Atomics.load(state, CONN_REFUSED_REASON)] ?? 'unknown reason';
  return new Error(`nodis: the store refused the connection: ${reason}`);
}

/** connect(handle): resolves once the owner has accepted the connection. */
export async function connectThread(handle: ThreadHandle, options: ThreadConnectOptions = {}): Promise<ThreadTransport> {
  const { link, sab, capacity } = offer(handle, options);
  const state = new Int32Array(sab, 0, 64);
  const timeout = options.connectTimeout ?? 5000;
  // The owner wakes this thread (socket) when it has answered; the timer keeps the event loop
  // alive meanwhile and bounds the wait.
  const outcome = await new Promise<string>((resolve) => {
    const finish = (how: string): void => {
      clearTimeout(timer);
      link.connecting.delete(check);
      resolve(how);
    };
    const check = (): void => {
      if (Atomics.load(state, CONN_OWNER_STATE) !== CONN_PENDING) finish('ok');
      else if (link.ownerGone) finish('owner-gone');
    };
    const timer = setTimeout(() => finish('timed-out'), timeout);
    link.connecting.add(check);
    check();
  });
  return accepted(outcome, state, link, sab, capacity, handle, options);
}

/** connectSync(handle): the same, blocking this thread until the owner answers. */
export function connectThreadSync(handle: ThreadHandle, options: ThreadConnectOptions = {}): ThreadTransport {
  const { link, sab, capacity } = offer(handle, options);
  const state = new Int32Array(sab, 0, 64);
  const outcome = Atomics.wait(state, CONN_OWNER_STATE, CONN_PENDING, options.connectTimeout ?? 5000);
  return accepted(outcome, state, link, sab, capacity, handle, options);
}

function accepted(outcome: string, state: Int32Array, link: ThreadLink, sab: SharedArrayBuffer, capacity: number, handle: ThreadHandle, options: ThreadConnectOptions): ThreadTransport {
  link.opening--;
  const s = Atomics.load(state, CONN_OWNER_STATE);
  if (s === CONN_ACCEPTED) return new ThreadTransport(link, handle, sab, capacity, options);
  dropLink(link);
  if (s === CONN_REFUSED) throw refusal(state);
  if (outcome === 'owner-gone') throw new Error('nodis: the store has stopped (its owner thread exited)');
  if (outcome === 'timed-out' || s === CONN_PENDING) {
    // Tell the owner not to accept it late.
    Atomics.store(state, CONN_CLIENT_STATE, CLIENT_CLOSED);
    throw new Error('nodis: the store did not answer the connection in time (is its owner thread busy or gone?)');
  }
  throw new Error('nodis: the store closed the connection while it was being opened');
}

export class ThreadTransport implements Transport {
  readonly kind = 'thread';
  /** RESP3 push messages (pub/sub), when a push handler is set. */
  onPush: ((push: ReplyPush) => void) | undefined;
  /** The store stopped or dropped this connection (a thread connection never comes back). */
  onConnectionLost: ((error: Error, reconnects: boolean) => void) | undefined;
  /**
   * listen(true): pushes may come with no call in flight (a subscriber connection), so the
   * reply ring stays parked 'remote' (the owner wakes this thread when it writes) and the
   * liveness socket keeps the event loop alive, as while calls are in flight.
   */
  private listening = false;
  private readonly requests: RingWriter;
  private readonly replies: RingReader;
  private readonly state: Int32Array;
  private readonly control: Int32Array;
  private readonly encoder = new RequestWriter();
  private readonly parser = new ReplyParser({ copyInput: true });
  /** Calls awaiting replies, oldest first. */
  private readonly inflight = new CallQueue<Pending>();
  /** Encoded request bytes that did not fit the ring yet (owned copies). */
  private readonly out = new RingBacklog();
  private flushScheduled = false;
  private readWaiting = false;
  private writeWaiting = false;
  private busy = false;
  private closedError: Error | undefined;
  private readonly views: Buffer[] = [];
  private readonly spinMicros: number;
  /** The adaptive async spin budget, µs (≤ spinMicros). */
  private asyncSpin: number;
  /** When the reply ring was last parked 'remote' (performance.now()). */
  private parkedAt = 0;
  private safety: NodeJS.Timeout | undefined;
  private syncSpin = SYNC_SPIN_MICROS;
  /** The owner's parking generation we last woke (each parking needs one notify). */
  private ownerNotified = 0;
  private readonly onReplyBound = (r: Reply): void => this.onReply(r);

  constructor(private readonly link: ThreadLink, private readonly handle: ThreadHandle, sab: SharedArrayBuffer, capacity: number, private readonly options: ThreadConnectOptions) {
    const at = connectionRings(capacity);
    this.state = new Int32Array(sab, 0, 64);
    this.requests = new RingWriter(sab, at.request, capacity);
    this.replies = new RingReader(sab, at.reply, capacity);
    this.control = new Int32Array(handle.control);
    this.spinMicros = options.spinMicros ?? 100;
    this.asyncSpin = this.spinMicros;
    link.transports.add(this);
  }

  private get pendingCount(): number { return this.inflight.length; }

  /** Another connection of this thread to the same store; with resp3 it has sent HELLO 3. */
  async duplicate(options?: DuplicateOptions): Promise<ThreadTransport> {
    // (Works while the store runs, even if this connection was dropped.)
    const other = await connectThread(this.handle, this.options);
    if (options?.resp3 === true) {
      const hello = await other.send(['HELLO', '3']).catch(async (e: unknown) => {
        await other.close();
        throw e;
      });
      if (hello instanceof ReplyError) {
        await other.close();
        throw hello;
      }
    }
    return other;
  }

  listen(on: boolean): void {
    if (this.closedError || this.listening === on) return;
    this.listening = on;
    if (on) {
      this.link.listeners.add(this);
      this.markBusy();
      this.awaitReplies();
    } else {
      this.link.listeners.delete(this);
      this.settleBusy();
    }
  }

  /** Reads what a listener's ring holds (see ThreadLink.listeners). */
  readListening(): void {
    if (this.replies.used !== 0 && !this.closedError) this.read();
  }

  sendPushAnswered(argv: string[], kind: string, count: number): Promise<Reply> {
    return new Promise((resolve, reject) => {
      if (this.closedError) return reject(this.closedError);
      this.encoder.command(argv);
      this.inflight.push({ resolve, reject, done: false, reply: null, left: count, batch: [], pushKind: kind });
      this.markBusy();
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        queueMicrotask(this.flushAsync);
      }
    });
  }

  /** A call sent on the rings runs to its end; an AbortSignal stops only one not sent (CallOptions). */
  send(argv: string[], options?: CallOptions): Promise<Reply> {
    return new Promise((resolve, reject) => {
      if (this.closedError) return reject(this.closedError);
      if (options?.signal?.aborted) return reject(options.signal.reason);
      this.encoder.command(argv);
      this.inflight.push({ resolve, reject, done: false, reply: null, left: 0, batch: undefined, pushKind: undefined });
      this.markBusy();
      // A long batch starts moving before the tick ends, so the owner works while we encode.
      if (this.encoder.length >= EARLY_FLUSH_BYTES && this.out.empty) this.stage();
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        queueMicrotask(this.flushAsync);
      }
    });
  }

  /** A pipeline: encoded and published together, answered by one promise. */
  sendBatch(batch: string[][], options?: CallOptions): Promise<Reply[]> {
    if (batch.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      if (this.closedError) return reject(this.closedError);
      if (options?.signal?.aborted) return reject(options.signal.reason);
      for (const argv of batch) {
        this.encoder.command(argv);
        // As in send(): a long pipeline starts moving while the rest is encoded.
        if (this.encoder.length >= EARLY_FLUSH_BYTES && this.out.empty) this.stage();
      }
      const pending: Pending = {
        resolve: resolve as unknown as (r: Reply) => void, reject, done: false, reply: null,
        left: batch.length, batch: [], pushKind: undefined,
      };
      this.inflight.push(pending);
      this.markBusy();
      if (this.out.empty) this.stage();
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        queueMicrotask(this.flushAsync);
      }
    });
  }

  sendSync(argv: string[]): Reply {
    if (this.closedError) throw this.closedError;
    this.encoder.command(argv);
    const mine: Pending = { resolve: undefined, reject: undefined, done: false, reply: null, left: 0, batch: undefined, pushKind: undefined };
    this.inflight.push(mine);
    this.markBusy();
    // Everything encoded so far (async calls of this tick too) goes first, in order.
    this.flushScheduled = false;
    this.stage();
    while (!this.out.empty) {
      this.writeOut();
      if (this.out.empty) break;
      this.read();
      if (this.closedError) throw this.closedError;
      if (this.replies.used > 0) continue;
      const room = (): boolean => this.requests.free > 0 || this.replies.used > 0;
      if (Atomics.load(this.replies.header, RING_PRODUCER_PARKED) !== 0) {
        // The owner holds replies we have not read (earlier async calls) and stops reading our
        // requests past its backlog limit: what unblocks us is reading replies, so wait for them.
        this.waitSync(this.replies.header, RING_TAIL, this.replies.seenTail, (how) => { this.replies.park(how === 'awake' && this.readWaiting ? 'remote' : how); }, room);
      } else {
        this.waitSync(this.requests.header, RING_HEAD, this.requests.seenHead, (how) => { this.requests.park(how === 'awake' && this.writeWaiting ? 'remote' : how); }, room);
      }
    }
    while (!mine.done) {
      this.read();
      if (mine.done) break;
      if (this.closedError) throw this.closedError;
      this.waitSync(this.replies.header, RING_TAIL, this.replies.seenTail, (how) => { this.replies.park(how === 'awake' && this.readWaiting ? 'remote' : how); }, () => this.replies.used > 0);
    }
    this.settleBusy();
    return mine.reply;
  }

  close(): Promise<void> {
    if (!this.closedError) {
      Atomics.store(this.state, CONN_CLIENT_STATE, CLIENT_CLOSED);
      this.ringDoorbell();
      this.fail(new Error('nodis: the connection is closed'));
      release(this.link, this);
    }
    return Promise.resolve();
  }

  /** The owner has stopped (its liveness socket closed or its state word says so). */
  ownerStopped(): void {
    if (this.closedError) return;
    this.lost(new Error('nodis: the store has stopped (its owner thread exited); the call did not complete'));
    this.link.transports.delete(this);
  }

  /** fail(), then tells onConnectionLost: the connection ended without close(). */
  private lost(error: Error): void {
    this.fail(error);
    this.onConnectionLost?.(error, false);
  }

  private fail(error: Error): void {
    this.closedError = error;
    const waiting = this.inflight.drain();
    this.out.clear();
    this.listening = false;
    this.link.listeners.delete(this);
    this.settleBusy();
    this.readWaiting = false;
    this.writeWaiting = false;
    if (this.safety !== undefined) clearTimeout(this.safety);
    this.safety = undefined;
    for (const p of waiting) p.reject?.(error);
  }

  private markBusy(): void {
    if (this.busy) return;
    this.busy = true;
    if (this.link.busy++ === 0) this.link.socket.ref();
  }

  private settleBusy(): void {
    if (!this.busy || this.pendingCount !== 0 || this.listening) return;
    this.busy = false;
    if (--this.link.busy === 0) this.link.socket.unref();
  }

  /** Moves the encoder's bytes to the ring, keeping owned copies of what does not fit. */
  private stage(): void {
    const pieces = this.encoder.borrow();
    // The last piece is the encoder's own buffer, reused by its next command: copy what waits.
    for (let i = 0; i < pieces.length; i++) this.out.offer(this.requests, pieces[i]!, i === pieces.length - 1);
    this.ringDoorbell();
  }

  /** Writes queued bytes as room allows. */
  private writeOut(): void {
    if (this.out.drainTo(this.requests) !== 0) this.ringDoorbell();
  }

  private ringDoorbell(): void {
    const control = this.control;
    // Only a parked owner needs the doorbell: a busy or spinning one watches our ring itself.
    // (Our ring was published before this load; the owner publishes ownerParked before its
    // last look at the rings: one of us sees the other.)
    const parked = Atomics.load(control, CONTROL_OWNER_PARKED);
    if (parked === 0) return;
    Atomics.add(control, CONTROL_DOORBELL, 1);
    if (parked !== this.ownerNotified) {
      this.ownerNotified = parked;
      Atomics.notify(control, CONTROL_DOORBELL);
    }
  }

  private readonly flushAsync = (): void => {
    if (!this.flushScheduled || this.closedError) return;
    this.flushScheduled = false;
    this.stage();
    if (!this.out.empty) this.awaitRoom();
    this.awaitReplies();
  };

  /** Reads every published reply. */
  private read(): void {
    const replies = this.replies;
    const n = replies.peek(this.views);
    if (n === 0) return;
    try {
      for (const view of this.views) this.parser.feed(view, this.onReplyBound);
    } catch (e) {
      replies.consume(n);
      this.protocolFailure(e);
      return;
    }
    replies.consume(n);
    // The owner has replies waiting for room: tell it there is some.
    if (Atomics.load(replies.header, RING_PRODUCER_PARKED) !== 0) this.ringDoorbell();
  }

  private protocolFailure(e: unknown): void {
    const error = new Error(`nodis: unreadable reply from the store (${e instanceof Error ? e.message : String(e)}); the connection is closed`);
    Atomics.store(this.state, CONN_CLIENT_STATE, CLIENT_CLOSED);
    this.ringDoorbell();
    this.lost(error);
    release(this.link, this);
  }

  private onReply(reply: Reply): void {
    // Undefined while a batch still waits, for a message (onPush has it), or for a reply nobody
    // asked for (the owner never sends one).
    const settled = this.inflight.route(reply, this.onPush);
    if (settled === undefined) return;
    const p = settled.call;
    if (p.resolve !== undefined) p.resolve(settled.reply);
    else {
      p.done = true;
      p.reply = settled.reply;
    }
  }

  /** Why waiting is over for good, if it is. */
  private checkAlive(): void {
    if (this.closedError) return;
    if (Atomics.load(this.control, CONTROL_OWNER_STATE) !== OWNER_RUNNING) return this.ownerStopped();
    if (Atomics.load(this.state, CONN_OWNER_STATE) !== CONN_ACCEPTED && this.replies.used === 0) {
      this.lost(new Error('nodis: the store closed the connection'));
      release(this.link, this);
    }
  }

  /** Blocks this thread until ready() or a state change; spins first, then parks in slices. */
  private waitSync(header: Int32Array, index: number, seen: number, park: (how: Parking) => void, ready: () => boolean): void {
    // Check a few hundred times before reading the clock: most replies come within that.
    for (let i = 0; i < 256; i++) if (ready()) return;
    const until = performance.now() + this.syncSpin / 1000;
    for (let i = 1; ; i++) {
      if (ready()) {
        this.syncSpin = Math.min(SYNC_SPIN_MICROS, this.syncSpin * 1.25 + 1);
        return;
      }
      if ((i & 63) === 0 && performance.now() > until) break;
    }
    this.syncSpin = Math.max(SYNC_SPIN_MIN_MICROS, this.syncSpin / 2);
    park('wait');
    if (!ready()) Atomics.wait(header, index, seen, WAIT_SLICE_MS);
    park('awake');
    this.checkAlive();
  }

  /** The owner woke this thread (a byte on the liveness socket), or the safety timer fired. */
  wake(): void {
    if (this.closedError) return;
    this.checkAlive();
    if (this.closedError) return;
    if (this.writeWaiting) {
      this.writeWaiting = false;
      this.requests.park('awake');
      this.awaitRoom();
    }
    if (this.readWaiting) {
      this.readWaiting = false;
      this.replies.park('awake');
      // (A listener's wait for a message says nothing about how fast calls are answered.)
      if (this.spinMicros > 0 && this.replies.used > 0 && this.pendingCount !== 0) this.learnWait();
      this.awaitReplies();
    }
    if (!this.writeWaiting && !this.readWaiting && this.safety !== undefined) {
      clearTimeout(this.safety);
      this.safety = undefined;
    }
  }

  /** While waiting without blocking, look again now and then whatever the owner says. */
  private armSafety(): void {
    if (this.safety !== undefined) this.safety.refresh();
    else {
      this.safety = setTimeout(() => { this.safety = undefined; this.wake(); }, SAFETY_CHECK_MS);
      this.safety.unref(); // the liveness socket keeps the loop alive while calls are in flight
    }
  }

  /** Writes what waits for room; parks 'remote' (the owner wakes us) while the ring is full. */
  private awaitRoom(): void {
    if (this.writeWaiting || this.closedError) return;
    for (;;) {
      this.writeOut();
      if (this.out.empty || this.closedError) return;
      this.requests.park('remote');
      // Look again after publishing the flag: the owner may have made room just before.
      if (this.requests.free === 0) {
        this.writeWaiting = true;
        this.armSafety();
        return;
      }
      this.requests.park('awake');
    }
  }

  /** Reads replies until none are pending: spins briefly, then parks 'remote'. */
  private awaitReplies(): void {
    if (this.readWaiting || this.closedError) return;
    const replies = this.replies;
    const listeners = this.link.listeners;
    for (;;) {
      this.read();
      if (this.closedError) return;
      if (listeners.size !== 0) for (const t of listeners) if (t !== this) t.readListening();
      if (this.pendingCount === 0 && !this.listening) return this.settleBusy();
      // A listener with no call in flight waits for the owner's wake-up at once: messages come
      // whenever someone publishes, not within a spin.
      if (this.pendingCount !== 0 && this.spinMicros > 0 && this.spinForReplies()) continue;
      replies.park('remote');
      // Look again after publishing the flag: the owner may have published just before.
      if (replies.used === 0) {
        this.readWaiting = true;
        if (this.spinMicros > 0) this.parkedAt = performance.now();
        this.armSafety();
        return;
      }
      replies.park('awake');
    }
  }

  /**
   * Spins up to the adaptive budget for reply bytes. True if some arrived. Waking through the
   * event loop costs ≈ 50–100 µs here (both threads pay), so a wait the owner will end soon is
   * cheaper to watch. The budget learns from the waits: it grows when watching pays, and after
   * a park it becomes 1.5× the wait just seen if that wait was short (a batch the owner was
   * answering: ≈ 0.5 µs a command), or halves if it was long (a slow store, blocked commands,
   * more threads than cores), between 1 µs and 10× spinMicros.
   */
  private spinForReplies(): boolean {
    const replies = this.replies;
    for (let i = 0; i < 64; i++) if (replies.used > 0) return true;
    const until = performance.now() + this.asyncSpin / 1000;
    for (let i = 1; ; i++) {
      if (replies.used > 0) {
        this.asyncSpin = Math.min(this.spinMicros * 10, this.asyncSpin * 1.25 + 1);
        return true;
      }
      if ((i & 31) === 0 && performance.now() > until) return false;
    }
  }

  /** After a park: learn from how long the wait was (see spinForReplies). */
  private learnWait(): void {
    const waited = (performance.now() - this.parkedAt) * 1000;
    const cap = this.spinMicros * 10;
    this.asyncSpin = waited < cap ? Math.min(cap, Math.max(this.asyncSpin, waited * 1.5)) : Math.max(1, this.asyncSpin / 2);
  }


}
