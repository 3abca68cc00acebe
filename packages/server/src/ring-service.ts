import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { BroadcastChannel, threadId } from 'node:worker_threads';
import type { Engine } from '@nodis/engine';
import {
  RingBacklog, RingReader, RingWriter, RING_TAIL, channelName, connectionBytes, connectionRings,
  CONTROL_BYTES, CONTROL_DOORBELL, CONTROL_OWNER_PARKED, CONTROL_OWNER_STATE, OWNER_RUNNING, OWNER_STOPPED,
  CONN_CLIENT_STATE, CONN_OWNER_STATE, CONN_ACCEPTED, CONN_CLOSED, CONN_REFUSED, CONN_REFUSED_REASON, CLIENT_CLOSED,
  THREAD_PROTOCOL_VERSION, RING_MIN_CAPACITY, RING_MAX_CAPACITY,
  type ThreadChannelMessage, type ThreadHandle,
} from '@nodis/protocol';
import { CommandConnection, flushDeferredReplies, type ConnectionSink } from './connection.js';

/**
 * The owner's side of the thread transport: clients in other threads of this process write
 * RESP into their request ring and read RESP from their reply ring (protocol/src/ring.ts), and
 * this service feeds those bytes to a CommandConnection exactly as a socket's would be: same
 * parser, same dispatcher, same ordering and backpressure.
 *
 * Scheduling (PERFORMANCE.md: a cross-thread wake costs ≈ 12 µs, a command ≈ 10 ns):
 *   - serve() drains every ring round-robin, at most RING_BUDGET bytes per connection per
 *     round, so no thread starves another, and keeps going while work arrives;
 *   - after a round with no work it watches the rings for up to SPIN_MICROS (a client that
 *     awaits each reply sends its next request within a few µs). The budget adapts: it grows
 *     while spins catch work; a park that turns out short (a client preparing its next batch,
 *     up to SPIN_LEARN_MICROS) stretches it to 1.5× that gap, a long one halves it, so an idle
 *     owner soon parks at once and, with more busy threads than cores, stops burning the core
 *     its clients need;
 *   - then it parks with Atomics.waitAsync on the doorbell, so an idle owner uses no CPU;
 *     clients ring the doorbell only while it is parked;
 *   - it never runs more than SLICE_MS without yielding to the event loop, so sockets and
 *     timers (expiry, BLPOP timeouts) are served while threads keep it busy.
 *
 * Connecting: a client allocates its connection buffer and posts it on the store's
 * BroadcastChannel; the owner accepts it (or refuses: maxclients) through the connection's
 * ownerState word. Liveness: every client thread keeps one Unix socket open to `liveness`;
 * when the thread exits or is terminated, the socket closes and every connection of that
 * thread is dropped (its blocked commands cancelled, its rings released).
 */

const RING_BUDGET = 64 * 1024;
const SPIN_MICROS = 200;
const SPIN_MIN_MICROS = 10;
/** A park shorter than this teaches the spin to cover it next time (see park()). */
const SPIN_LEARN_MICROS = 1000;
const SLICE_MS = 2;

/** How long a connection may wait for its thread's liveness socket to identify itself. */
const IDENTIFY_TIMEOUT_MS = 2000;

/** A client thread: its liveness socket, once identified, and its connections. */
class ThreadEntry {
  socket: net.Socket | undefined;
  readonly connections = new Set<RingConnection>();
  dead = false;
  /** Connections offered before the socket identified itself: accepted when it does. */
  readonly waiting: (() => void)[] = [];

  constructor(readonly token: string) {}

  /**
   * Wakes the thread's event loop (a client waiting without blocking: async calls, a full
   * request ring, an async connect): one byte, and the client looks at every ring of the
   * thread. While the owner is draining rings the byte is held back (`defer`) until it has
   * caught up: a client fed one chunk of replies at a time would otherwise be woken per
   * chunk, a syscall each here and an event-loop turn there.
   */
  wake(defer?: Set<ThreadEntry>): void {
    if (defer !== undefined) defer.add(this);
    else this.socket?.write('w');
  }
}

class RingConnection implements ConnectionSink {
  readonly requests: RingReader;
  readonly replies: RingWriter;
  readonly state: Int32Array;
  readonly command: CommandConnection;
  /** Reply bytes waiting for room in the reply ring (views of the writer's slabs, never reused). */
  private readonly out = new RingBacklog();
  inputPaused = false;
  /** end(true) was called: close once `out` is empty. */
  private ending = false;
  closed = false;
  private readonly views: Buffer[] = [];

  constructor(
    readonly service: RingService,
    engine: Engine,
    readonly thread: ThreadEntry,
    sab: SharedArrayBuffer,
    requestCapacity: number,
    replyCapacity: number,
    threadNumber: number,
    log: (level: string, msg: string) => void,
  ) {
    const at = connectionRings(requestCapacity);
    this.state = new Int32Array(sab, 0, 64);
    this.requests = new RingReader(sab, at.request, requestCapacity);
    this.replies = new RingWriter(sab, at.reply, replyCapacity);
    const label = `thread:${threadNumber}`;
    this.command = new CommandConnection(engine, this, { kind: 'thread', addr: label, laddr: `thread:${threadId}`, copyInput: true, log });
  }

  // ConnectionSink
  write(bytes: Buffer): void {
    if (this.closed) return;
    if (this.out.offer(this.replies, bytes, false) !== 0 && this.replies.wakeConsumer()) {
      this.thread.wake(this.service.deferredWakes);
    }
    // Replies wait for room: the client rings the doorbell after consuming while this is set.
    if (!this.out.empty) this.replies.park('remote');
  }

  get backlog(): number { return this.out.bytes; }
  pauseInput(): void { this.inputPaused = true; }
  resumeInput(): void { this.inputPaused = false; this.service.kick(); }

  end(graceful: boolean): void {
    if (this.closed) return;
    if (graceful && !this.out.empty) {
      this.ending = true;
      return;
    }
    this.finish();
  }

  /** Final: tells the client, forgets the connection. */
  finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.out.clear();
    Atomics.store(this.state, CONN_OWNER_STATE, CONN_CLOSED);
    Atomics.notify(this.state, CONN_OWNER_STATE);
    // A client parked on its reply ring wakes, finds no reply, and reads ownerState.
    Atomics.notify(this.replies.header, RING_TAIL);
    this.thread.wake();
    this.command.close(false);
    this.thread.connections.delete(this);
    this.service.forget(this);
  }

  /** Moves queued replies into the ring as room allows. True if anything moved. */
  flushOut(): boolean {
    if (this.out.empty) return false;
    const moved = this.out.drainTo(this.replies) !== 0;
    if (moved && this.replies.wakeConsumer()) this.thread.wake(this.service.deferredWakes);
    if (this.out.empty) {
      this.replies.park('awake');
      if (this.ending) this.finish();
      else this.command.drained();
    }
    return moved;
  }

  /** Whether poll() would find something to do; cheap enough to spin on. */
  hasWork(): boolean {
    if (this.closed) return false;
    if (!this.out.empty && this.replies.free > 0) return true;
    if (!this.inputPaused && !this.ending && this.requests.used !== 0) return true;
    return Atomics.load(this.state, CONN_CLIENT_STATE) === CLIENT_CLOSED;
  }

  /** One round of this connection's work. True if it did anything. */
  poll(): boolean {
    let worked = this.flushOut();
    if (this.closed) return worked;
    if (Atomics.load(this.state, CONN_CLIENT_STATE) === CLIENT_CLOSED) {
      this.finish();
      return true;
    }
    if (this.inputPaused || this.ending) return worked;
    const n = this.requests.peek(this.views, RING_BUDGET);
    if (n === 0) return worked;
    for (const view of this.views) {
      this.command.feed(view);
      if (this.command.closed) break;
    }
    this.requests.consume(n);
    if (this.requests.wakeProducer()) this.thread.wake(this.service.deferredWakes);
    if (this.command.closed) this.finish();
    return true;
  }
}

export class RingService {
  readonly handle: ThreadHandle;
  private readonly control: Int32Array;
  private readonly channel: BroadcastChannel;
  private readonly liveness: net.Server;
  private readonly threads = new Map<string, ThreadEntry>();
  private connections: RingConnection[] = [];
  private next = 0;
  private scheduled = false;
  private waiting = false;
  private stopped = false;
  private spinMicros = SPIN_MICROS;
  /** Set while serve() drains rings: threads to wake once it has caught up (ThreadEntry.wake). */
  deferredWakes: Set<ThreadEntry> | undefined;
  private readonly wakeSet = new Set<ThreadEntry>();
  /** ownerParked holds a new generation each time we park: clients notify each one once. */
  private parkGeneration = 0;
  private readonly livenessPath: string;

  constructor(private readonly engine: Engine, private readonly log: (level: string, msg: string) => void) {
    const store = randomBytes(12).toString('hex');
    const sab = new SharedArrayBuffer(CONTROL_BYTES);
    this.control = new Int32Array(sab);
    Atomics.store(this.control, CONTROL_OWNER_STATE, OWNER_RUNNING);
    // Linux's abstract socket namespace leaves no file behind; elsewhere a path in tmpdir.
    this.livenessPath = process.platform === 'linux'
      ? `\0nodis-${process.pid}-${store}`
      : path.join(os.tmpdir(), `nodis-${process.pid}-${store}.sock`);
    this.handle = {
      nodis: 'thread-handle', version: THREAD_PROTOCOL_VERSION, store, pid: process.pid,
      control: sab, liveness: this.livenessPath,
    };
    this.channel = new BroadcastChannel(channelName(store));
    this.channel.onmessage = (e: unknown) => this.onChannelMessage((e as { data: ThreadChannelMessage }).data);
    this.liveness = net.createServer((socket) => this.onLivenessSocket(socket));
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.liveness.once('error', reject);
      this.liveness.listen(this.livenessPath, () => { this.liveness.off('error', reject); resolve(); });
    });
    // The server and channel must not keep the owner alive on their own: its cron does.
    this.liveness.unref();
    (this.channel as unknown as { unref?: () => void }).unref?.();
  }

  /** Work arrived that no doorbell announced (a resumed connection, a deferred reply). */
  kick(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(this.serve);
  }

  forget(connection: RingConnection): void {
    const i = this.connections.indexOf(connection);
    if (i !== -1) this.connections.splice(i, 1);
  }

  /** The owner thread is exiting without close(): at least tell waiting clients. */
  markStopped(): void {
    Atomics.store(this.control, CONTROL_OWNER_STATE, OWNER_STOPPED);
    Atomics.notify(this.control, CONTROL_OWNER_STATE);
  }

  /** Stops serving: every client's waiting call fails with a clear error. */
  close(): void {
    if (this.stopped) return;
    this.stopped = true;
    Atomics.store(this.control, CONTROL_OWNER_STATE, OWNER_STOPPED);
    Atomics.notify(this.control, CONTROL_OWNER_STATE);
    for (const c of [...this.connections]) c.finish();
    this.channel.close();
    this.liveness.close();
    for (const t of this.threads.values()) t.socket?.destroy();
    if (process.platform !== 'linux') {
      try { unlinkSync(this.livenessPath); } catch { /* gone */ }
    }
    // Wake a pending waitAsync so it settles.
    Atomics.add(this.control, CONTROL_DOORBELL, 1);
    Atomics.notify(this.control, CONTROL_DOORBELL);
  }

  private thread(token: string): ThreadEntry {
    let entry = this.threads.get(token);
    if (entry === undefined) {
      entry = new ThreadEntry(token);
      this.threads.set(token, entry);
    }
    return entry;
  }

  private onLivenessSocket(socket: net.Socket): void {
    let line = '';
    let entry: ThreadEntry | undefined;
    socket.setEncoding('latin1');
    socket.on('error', () => { /* 'close' follows */ });
    socket.on('data', (chunk: string) => {
      if (entry !== undefined) return;
      line += chunk;
      const nl = line.indexOf('\n');
      if (nl === -1) {
        if (line.length > 256) socket.destroy();
        return;
      }
      const found = this.thread(line.slice(0, nl));
      if (found.socket !== undefined || found.dead) {
        socket.destroy();
        return;
      }
      entry = found;
      entry.socket = socket;
      for (const accept of entry.waiting.splice(0)) accept();
    });
    socket.on('close', () => {
      if (entry === undefined) return;
      entry.dead = true;
      for (const accept of entry.waiting.splice(0)) accept();
      for (const c of [...entry.connections]) c.finish();
      // Keep a tombstone briefly so a connect message still in flight is refused.
      const { token } = entry;
      setTimeout(() => { if (this.threads.get(token)?.dead) this.threads.delete(token); }, 10_000).unref();
    });
  }

  private onChannelMessage(m: ThreadChannelMessage): void {
    if (this.stopped || typeof m !== 'object' || m === null || m.type !== 'connect') return;
    const sab = m.connection;
    if (!(sab instanceof SharedArrayBuffer) || sab.byteLength < 64) return;
    const state = new Int32Array(sab, 0, 64);
    const refuse = (reason: number, why: string): void => {
      this.log('verbose', `Refused a thread connection: ${why}`);
      Atomics.store(state, CONN_REFUSED_REASON, reason);
      Atomics.store(state, CONN_OWNER_STATE, CONN_REFUSED);
      Atomics.notify(state, CONN_OWNER_STATE);
      // An async connect waits for a wake-up on its thread's socket.
      if (typeof m.thread === 'string') this.threads.get(m.thread)?.wake();
    };
    const okCapacity = (c: unknown): c is number => typeof c === 'number' && Number.isInteger(c)
      && c >= RING_MIN_CAPACITY && c <= RING_MAX_CAPACITY && (c & (c - 1)) === 0;
    if (m.version !== THREAD_PROTOCOL_VERSION) return refuse(2, `protocol version ${String(m.version)}, this owner speaks ${THREAD_PROTOCOL_VERSION}`);
    if (!okCapacity(m.requestCapacity) || !okCapacity(m.replyCapacity)
      || sab.byteLength !== connectionBytes(m.requestCapacity, m.replyCapacity) || typeof m.thread !== 'string') {
      return refuse(3, 'malformed connect message');
    }
    // The client gave up waiting (connect timeout) before we got here.
    if (Atomics.load(state, CONN_CLIENT_STATE) === CLIENT_CLOSED) return;
    const entry = this.thread(m.thread);
    const accept = (): void => {
      if (this.stopped || Atomics.load(state, CONN_CLIENT_STATE) === CLIENT_CLOSED) return;
      if (entry.dead) return refuse(4, 'its thread has already exited');
      if (this.engine.clients.size >= this.engine.config.getNumber('maxclients')) {
        this.engine.stats.rejectedConnections++;
        return refuse(1, 'max number of clients reached');
      }
      const connection = new RingConnection(this, this.engine, entry, sab, m.requestCapacity, m.replyCapacity, Number(m.threadId) | 0, this.log);
      entry.connections.add(connection);
      this.connections.push(connection);
      Atomics.store(state, CONN_OWNER_STATE, CONN_ACCEPTED);
      Atomics.notify(state, CONN_OWNER_STATE);
      entry.wake();
      this.kick();
    };
    // A thread's death is seen only through its identified liveness socket, so a connection
    // is accepted once its thread's socket has said who it is (the client writes its token
    // synchronously, before offering, so this is a turn of our own event loop at most). A
    // client that could not write it synchronously says so, and is accepted at once.
    if (entry.socket !== undefined || entry.dead || m.identified !== true) return accept();
    entry.waiting.push(accept);
    setTimeout(() => {
      const i = entry.waiting.indexOf(accept);
      if (i === -1) return;
      entry.waiting.splice(i, 1);
      refuse(5, 'its thread never identified itself on the liveness socket');
    }, IDENTIFY_TIMEOUT_MS).unref();
  }

  /** One round over every connection, starting one further each time (fairness). */
  private pollAll(): boolean {
    const list = this.connections;
    const n = list.length;
    if (n === 0) return false;
    let worked = false;
    const start = this.next++ % n;
    for (let i = 0; i < n; i++) {
      const c = list[(start + i) % n];
      // A poll can close connections (and shrink the list): skip what is gone.
      if (c !== undefined && !c.closed && c.poll()) worked = true;
    }
    return worked;
  }

  private readonly serve = (): void => {
    this.scheduled = false;
    if (this.stopped) return;
    this.deferredWakes = this.wakeSet;
    try {
      this.serveSlice();
    } finally {
      this.deferredWakes = undefined;
      this.flushWakes();
    }
  };

  private serveSlice(): void {
    const deadline = performance.now() + SLICE_MS;
    const engine = this.engine;
    for (let round = 1; ; round++) {
      if (this.pollAll()) {
        // Pub/sub messages and served blocked clients go out with the round that wrote them,
        // not when this loop next yields to the event loop (a microtask would wait for that).
        flushDeferredReplies(engine);
        // Reading the clock costs ≈ 50 ns, as much as a ring poll: every 8th round is enough.
        if ((round & 7) === 0 && performance.now() > deadline) return this.kick();
        continue;
      }
      // Caught up: wake the threads that wait for what we wrote.
      this.flushWakes();
      if (this.spin()) {
        if ((round & 7) === 0 && performance.now() > deadline) return this.kick();
        continue;
      }
      if (!this.park()) return;
    }
  }

  private flushWakes(): void {
    if (this.wakeSet.size === 0) return;
    for (const thread of this.wakeSet) thread.wake();
    this.wakeSet.clear();
  }

  /** True if any connection has something to do (reads a few words per connection). */
  private hasWork(): boolean {
    const list = this.connections;
    for (let i = 0; i < list.length; i++) if (list[i]!.hasWork()) return true;
    return false;
  }

  /**
   * Watches the rings for up to spinMicros. True if work showed up. While we spin, clients
   * publish without touching the doorbell: its line would bounce between threads on every
   * request (a locked add per request), and our own loads of each ring's tail see the work.
   */
  private spin(): boolean {
    // Most requests of a busy client arrive within the first few looks: read the clock later.
    for (let i = 0; i < 32; i++) if (this.hasWork()) return true;
    const until = performance.now() + this.spinMicros / 1000;
    for (let i = 1; ; i++) {
      if (this.hasWork()) {
        this.spinMicros = Math.min(SPIN_LEARN_MICROS, this.spinMicros * 1.25 + 1);
        return true;
      }
      if ((i & 15) === 0 && performance.now() > until) return false;
    }
  }

  /**
   * Parks until a client rings the doorbell. Returns true, not parked, if work showed up
   * meanwhile. Order matters: ownerParked is published before the last look at the rings, and
   * a client publishes its ring before reading ownerParked, so (sequentially consistent
   * atomics) either we see its work or it sees us parked and rings.
   */
  private park(): boolean {
    const control = this.control;
    this.parkGeneration = this.parkGeneration >= 0x3fffffff ? 1 : this.parkGeneration + 1;
    Atomics.store(control, CONTROL_OWNER_PARKED, this.parkGeneration);
    const seen = Atomics.load(control, CONTROL_DOORBELL);
    if (this.hasWork()) {
      Atomics.store(control, CONTROL_OWNER_PARKED, 0);
      return true;
    }
    // An earlier wait is still pending (we were kicked awake meanwhile): a ring notifies it.
    if (this.waiting) return false;
    const result = Atomics.waitAsync(control, CONTROL_DOORBELL, seen);
    if (!result.async) {
      Atomics.store(control, CONTROL_OWNER_PARKED, 0);
      return true;
    }
    this.waiting = true;
    const parkedAt = performance.now();
    void result.value.then(() => {
      this.waiting = false;
      Atomics.store(control, CONTROL_OWNER_PARKED, 0);
      const waited = (performance.now() - parkedAt) * 1000;
      this.spinMicros = waited < SPIN_LEARN_MICROS
        ? Math.min(SPIN_LEARN_MICROS, Math.max(this.spinMicros, waited * 1.5))
        : Math.max(SPIN_MIN_MICROS, this.spinMicros / 2);
      if (!this.scheduled) this.serve();
    });
    return false;
  }
}
