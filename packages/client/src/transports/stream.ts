import net from 'node:net';
import { EventLoopPoller, ReplyError, ReplyPush, type Reply } from '@nodis/protocol';
import { commandSpecs } from '@nodis/engine/specs';
import type { CallOptions, DuplicateOptions, Transport } from '../transport.js';
import { CallQueue, type QueuedCall } from '../call-queue.js';

/**
 * What the resp and socket transports share: a byte stream to a server (TCP or a Unix socket)
 * carrying one protocol (the codec), with
 *  - automatic pipelining: every command issued in one tick leaves in one socket write;
 *  - a handshake on every connection: the codec's greeting (the native hello), AUTH, SELECT;
 *    over RESP, CLIENT ID goes ahead of the connection's first blocking command (an abort
 *    releases a blocked call with CLIENT UNBLOCK <id>);
 *  - reconnection: after the connection is lost, calls in flight fail ("may or may not have
 *    run": a command is never sent twice behind the caller's back) and the next call
 *    reconnects, waiting longer after each failed attempt (100 ms doubling to 2 s);
 *  - connect and command timeouts, and AbortSignal per call (CallOptions);
 *  - for pub/sub (a duplicate() with resp3): HELLO 3 in every handshake, pushes to onPush,
 *    commands answered by pushes (sendPushAnswered), onConnectionLost so the subscriber can
 *    subscribe again on the next connection.
 */

export interface StreamConnectOptions {
  /** How long connecting (and the handshake) may take, ms; default 5000. */
  connectTimeout?: number;
  /**
   * How long a call waits for its reply before it rejects, ms; default none. Blocking commands
   * (BLPOP …) are exempt: their own timeout argument says how long they wait. The reply, if it
   * comes later, is read and dropped, so later replies still match their calls.
   */
  commandTimeout?: number;
  /** Aborts the first connection attempt (connect() rejects with the signal's reason). */
  signal?: AbortSignal;
  /**
   * Speak RESP3 (HELLO 3 in every handshake): replies keep their RESP3 types (maps, sets,
   * doubles), and pushes go to onPush. Off by default: RESP2, as Redis clients start.
   */
  resp3?: boolean;
}

/** Where to connect, from a URL. */
export interface StreamTarget {
  path?: string;
  host: string;
  port: number;
  username?: string;
  password?: string;
  db: number;
  /** host:port or the socket path, for messages. */
  display: string;
}

export interface Encoder {
  command(argv: readonly string[]): void;
  take(): Buffer[];
  readonly length: number;
  /** The bytes taken last were written out: their memory may be reused. */
  recycle?(): void;
}

/** One protocol over the stream. */
export interface StreamCodec {
  readonly kind: string;
  encoder(): Encoder;
  parser(): { feed(chunk: Buffer, onReply: (reply: Reply) => void): void };
  /** Encodes what opens every connection, if anything; its one reply goes to `greeted`. */
  greeting?(encoder: Encoder): void;
  /** Checks the greeting's reply; returns the server's id for this connection, or throws. */
  greeted?(reply: Reply, target: StreamTarget): number;
  /** Added to a connect timeout's message after the TCP/Unix connect succeeded (a likely cause). */
  silentPeerHint?: string;
}

/** NODIS_POLL=0 turns polling for replies off (A/B measurements). */
const POLL = process.env.NODIS_POLL !== '0';
/** Encoded bytes after which a batch is written before the rest of it is encoded. */
const EARLY_WRITE_BYTES = 16 * 1024;

/** Commands that may wait on purpose (the specs' `blocking` flag), exempt from commandTimeout. */
const BLOCKING = new Set(commandSpecs.filter((s) => s.flags.includes('blocking')).map((s) => s.name.toUpperCase()));
/** isBlocking's answers by the name as written ('incr', 'INCR'): no upper-casing per call. */
const blockingByName = new Map<string, boolean>();
function isBlocking(name: string): boolean {
  let b = blockingByName.get(name);
  if (b === undefined) {
    b = BLOCKING.has(name.toUpperCase());
    if (blockingByName.size < 10_000) blockingByName.set(name, b);
  }
  return b;
}

interface Pending extends QueuedCall {
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
  /** commandTimeout's timer; the call was rejected when `abandoned` (its reply is dropped). */
  timer: NodeJS.Timeout | undefined;
  abandoned: boolean;
  /** The call's AbortSignal and its listener, removed when the call settles. */
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  /** An aborted blocking call: a nil reply rejects it with the signal's reason, a value resolves it. */
  aborting: boolean;
  blocking: boolean;
  /** Resolved or rejected (its reply may still be due: then `abandoned`). */
  done: boolean;
  /** The commands, until flush() writes them (then undefined, and the call is in `inflight`). */
  commands: string[][] | undefined;
  /** CLIENT UNBLOCK is being sent for this aborted call. */
  unblocking: boolean;
}

function pendingCall(
  resolve: (r: Reply) => void, reject: (e: Error) => void, commands: string[][] | undefined, batchSize: number,
  signal: AbortSignal | undefined, blocking: boolean,
): Pending {
  return {
    resolve, reject, left: batchSize, batch: batchSize === 0 ? undefined : [], timer: undefined, abandoned: false,
    signal, onAbort: undefined, aborting: false, blocking, done: false, commands, unblocking: false, pushKind: undefined,
  };
}

export class StreamTransport implements Transport {
  /** RESP3 push messages (pub/sub), when a push handler is set. */
  onPush: ((push: ReplyPush) => void) | undefined;
  /** The connection was lost (not closed by close()); the next call reconnects. */
  onConnectionLost: ((error: Error, reconnects: boolean) => void) | undefined;
  private socket: net.Socket | undefined;
  private connecting: Promise<void> | undefined;
  private readonly encoder: Encoder;
  /** Calls written to the server, awaiting replies, oldest first. */
  private readonly inflight = new CallQueue<Pending>();
  /**
   * Calls not written yet (this tick's, or all of them while reconnecting), in order. A call
   * aborted (or timed out) here is never sent at all.
   */
  private unsent: Pending[] = [];
  /** Aborted blocking calls in flight, waiting to be released. */
  private aborting = 0;
  /** A flush is queued for this tick. */
  private flushScheduled = false;
  private closed = false;
  private backoff = 0;
  private lastFailure = 0;
  /** Every handshake switches to RESP3 (HELLO 3): the resp3 option, or a subscriber connection. */
  private readonly resp3: boolean;
  /** The server's id for the current connection (the native hello's, or CLIENT ID's), when known. */
  private clientId: number | undefined;
  private readonly readBuffer = Buffer.allocUnsafe(64 * 1024);
  /** CLIENT ID was sent on this connection (ahead of its first blocking command). */
  private idAsked = false;

  constructor(
    private readonly codec: StreamCodec,
    private readonly target: StreamTarget,
    private readonly options: StreamConnectOptions,
  ) {
    this.resp3 = options.resp3 === true;
    this.encoder = codec.encoder();
  }

  /** Another connection to the same server with the same options (not the first connect's signal). */
  duplicate(options?: DuplicateOptions): Promise<StreamTransport> {
    const { signal: _signal, ...rest } = this.options;
    return new StreamTransport(this.codec, this.target, { ...rest, resp3: options?.resp3 === true }).open();
  }

  /** A socket is read whenever it is open: nothing to switch. */
  listen(_on: boolean): void {}

  get kind(): string { return this.codec.kind; }

  /** Connects once, so connect() reports an unreachable server at once. */
  async open(): Promise<this> {
    await this.ensureConnected(this.options.signal);
    return this;
  }

  send(argv: string[], options?: CallOptions): Promise<Reply> {
    return this.enqueue([argv], 0, options);
  }

  sendBatch(batch: string[][], options?: CallOptions): Promise<Reply[]> {
    if (batch.length === 0) return Promise.resolve([]);
    return this.enqueue(batch, batch.length, options) as Promise<Reply[]>;
  }

  sendPushAnswered(argv: string[], kind: string, count: number): Promise<Reply> {
    return this.enqueue([argv], count, undefined, kind);
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.failAll(new Error('nodis: the connection is closed'));
    const socket = this.socket;
    this.socket = undefined;
    if (socket === undefined || socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.end();
    });
  }

  private enqueue(commands: string[][], batchSize: number, options: CallOptions | undefined, pushKind?: string): Promise<Reply> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new Error('nodis: the connection is closed'));
      const signal = options?.signal;
      if (signal?.aborted) return reject(signal.reason);
      let blocking = false;
      for (let i = 0; i < commands.length; i++) if (isBlocking(commands[i]![0]!)) blocking = true;
      // Aborting a blocked call needs this connection's id: ask once, ahead of the first one.
      if (blocking && this.clientId === undefined && !this.idAsked) this.askClientId();
      const pending = pendingCall(resolve, reject, commands, batchSize, signal, blocking);
      if (pushKind !== undefined) pending.pushKind = pushKind;
      const timeout = this.options.commandTimeout;
      if (timeout !== undefined && timeout > 0 && !blocking) {
        pending.timer = setTimeout(() => {
          this.abandon(pending, new Error(`nodis: no reply from ${this.target.display} within ${timeout} ms (the command may or may not have run)`));
        }, timeout);
      }
      if (signal !== undefined) {
        pending.onAbort = () => this.abort(pending);
        signal.addEventListener('abort', pending.onAbort, { once: true });
      }
      this.unsent.push(pending);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        queueMicrotask(this.flush);
      }
    });
  }

  private askClientId(): void {
    this.idAsked = true;
    const internal = (r: Reply): void => { if (typeof r === 'number') this.clientId = r; };
    this.unsent.push(pendingCall(internal, () => {}, [['CLIENT', 'ID']], 0, undefined, false));
  }

  /** Rejects a call now; its reply, when it comes, is read and dropped. */
  private abandon(p: Pending, error: Error): void {
    if (p.done) return;
    p.abandoned = true;
    this.settled(p);
    p.reject(error);
  }

  /** Removes a call's timer and abort listener. */
  private settled(p: Pending): void {
    p.done = true;
    if (p.timer !== undefined) clearTimeout(p.timer);
    if (p.onAbort !== undefined) p.signal!.removeEventListener('abort', p.onAbort);
  }

  /**
   * An AbortSignal fired. A call not written yet is dropped (it never runs). A call in flight
   * that does not block is rejected at once (it may have run). A blocking call may be parked on
   * the server, holding up every later reply: once it is the oldest call in flight (CLIENT
   * UNBLOCK releases whatever the connection is blocked on, so never sooner), it is released
   * from a second connection, and settles by what it then answers: nil rejects it with the
   * signal's reason; a value popped before the release resolves it, so nothing taken from a
   * list is lost to an abort. Without a known client id the connection is closed instead
   * (calls in flight fail) and the next call reconnects.
   */
  private abort(p: Pending): void {
    if (p.done || p.aborting) return;
    if (p.commands !== undefined || !p.blocking) {
      this.abandon(p, p.signal!.reason as Error);
      return;
    }
    p.aborting = true;
    this.aborting++;
    this.releaseAborted();
  }

  /** Starts releasing the oldest call in flight if it is an aborted blocking call. */
  private releaseAborted(): void {
    const p = this.inflight.first();
    if (p === undefined || !p.aborting || p.unblocking || p.done) return;
    p.unblocking = true;
    const id = this.clientId;
    const socket = this.socket;
    if (id === undefined || socket === undefined) {
      socket?.destroy();
      return;
    }
    void this.unblock(p, id, socket);
  }

  /**
   * Sends CLIENT UNBLOCK <id> TIMEOUT from a side connection until the call settles (its command
   * may still be on its way, or a batch may block more than once). One race is left: if the
   * call is served by a push just as an UNBLOCK is sent, and the next call on this connection is
   * blocking too, that next call may be released with its timeout reply.
   */
  private async unblock(p: Pending, id: number, socket: net.Socket): Promise<void> {
    const side = new StreamTransport(this.codec, this.target, { connectTimeout: this.options.connectTimeout ?? 5000 });
    try {
      await side.open();
      while (!p.done && this.socket === socket && !socket.destroyed) {
        const released = await side.send(['CLIENT', 'UNBLOCK', String(id), 'TIMEOUT']);
        if (p.done) break;
        await new Promise((r) => setTimeout(r, released === 1 ? 1 : 5));
      }
    } catch {
      if (!p.done && this.socket === socket) socket.destroy();
    } finally {
      void side.close();
    }
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.unsent.length === 0 || this.closed) return;
    const socket = this.socket;
    if (socket !== undefined && !socket.destroyed && this.connecting === undefined) {
      const unsent = this.unsent;
      this.unsent = [];
      const encoder = this.encoder;
      for (let i = 0; i < unsent.length; i++) {
        const p = unsent[i]!;
        if (p.done) continue; // aborted or timed out before it was sent: it never runs
        const commands = p.commands!;
        p.commands = undefined;
        this.inflight.push(p);
        for (let j = 0; j < commands.length; j++) {
          encoder.command(commands[j]!);
          // A long batch starts moving while the rest is encoded: the server works on the first
          // part (and its replies come back) while this thread encodes the next.
          if (encoder.length >= EARLY_WRITE_BYTES) this.write(socket, encoder);
        }
      }
      this.write(socket, encoder);
      return;
    }
    // Not connected: reconnect first; what was queued meanwhile goes out after the handshake.
    this.ensureConnected(undefined).then(
      () => this.flush(),
      (e: unknown) => this.failAll(e instanceof Error ? e : new Error(String(e))),
    );
  };

  /** Writes what the encoder holds: one write, or one writev for several pieces. */
  private write(socket: net.Socket, encoder: Encoder): void {
    const pieces = encoder.take();
    if (pieces.length === 0) return;
    if (pieces.length === 1) {
      socket.write(pieces[0]!);
    } else {
      // Several pieces (big arguments are pieces of their own): one writev.
      socket.cork();
      for (const piece of pieces) socket.write(piece);
      socket.uncork();
    }
    // Written straight into the kernel (nothing queued in Node): the buffer can be reused.
    if (socket.writableLength === 0) encoder.recycle?.();
    if (POLL) this.poller.touch();
  }

  /** Polls the event loop while replies are due (poll.ts in @nodis/protocol): they often come in µs. */
  private readonly poller = new EventLoopPoller(10, 200, () => this.inflight.length !== 0);

  /** Connects (once at a time), then runs the handshake. */
  private ensureConnected(signal: AbortSignal | undefined): Promise<void> {
    if (this.socket !== undefined && !this.socket.destroyed && this.connecting === undefined) return Promise.resolve();
    this.connecting ??= this.connect(signal).finally(() => { this.connecting = undefined; });
    return this.connecting;
  }

  private failedAttempt(): void {
    this.lastFailure = Date.now();
    this.backoff = Math.min(2000, this.backoff === 0 ? 100 : this.backoff * 2);
  }

  private async connect(signal: AbortSignal | undefined): Promise<void> {
    const wait = this.backoff === 0 ? 0 : Math.max(0, this.lastFailure + this.backoff - Date.now());
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const { target, codec } = this;
    const timeout = this.options.connectTimeout ?? 5000;
    // Reads land in this transport's one buffer (Node's documented `onread`): no fresh 64 KiB
    // buffer per read. The parsers copy what they keep (copyInput), so it is reused at once.
    const parser = codec.parser();
    const onread = {
      buffer: this.readBuffer,
      callback: (n: number, buf: Uint8Array): boolean => {
        if (socket === this.socket) this.onData(socket, parser, (buf as Buffer).subarray(0, n));
        return true;
      },
    };
    const socket = target.path !== undefined ? net.connect({ path: target.path, onread }) : net.connect({ host: target.host, port: target.port, onread });
    socket.setNoDelay(true);
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    /** The socket connected: a timeout now means the peer never answered the handshake. */
    let connected = false;
    // Any failure until the handshake ends destroys the socket and rejects `ready`.
    const ready = new Promise<void>((_, reject) => {
      timer = setTimeout(() => {
        const hint = connected && codec.silentPeerHint !== undefined ? ` (${codec.silentPeerHint})` : '';
        reject(new Error(`nodis: could not connect to ${target.display} within ${timeout} ms${hint}`));
      }, timeout);
      socket.once('error', (e) => reject(new Error(`nodis: could not connect to ${target.display}: ${e.message}`)));
      socket.once('close', () => reject(new Error(`nodis: ${target.display} closed the connection during the handshake`)));
      if (signal !== undefined) {
        onAbort = () => reject(signal.reason);
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      }
    });
    ready.catch(() => {});
    try {
      await Promise.race([ready, new Promise<void>((resolve) => socket.once('connect', resolve))]);
      connected = true;
      if (this.closed) throw new Error('nodis: the connection is closed');
      this.socket = socket;
      await Promise.race([ready, this.handshake(socket)]);
    } catch (e) {
      if (this.socket === socket) this.socket = undefined;
      socket.destroy();
      this.failedAttempt();
      // The handshake's own entry and every call queued meanwhile fail with the reason.
      this.failAll(e instanceof Error ? e : new Error(String(e)));
      throw e;
    } finally {
      clearTimeout(timer);
      if (onAbort !== undefined) signal!.removeEventListener('abort', onAbort);
      socket.removeAllListeners('error');
      socket.removeAllListeners('close');
    }
    socket.on('error', () => { /* 'close' follows */ });
    socket.on('close', () => this.onClose(socket));
    this.backoff = 0;
  }

  /**
   * The codec's greeting, AUTH, SELECT and CLIENT ID, written ahead of any queued call; their
   * replies are read like any other, ahead of the queued calls' replies.
   */
  private async handshake(socket: net.Socket): Promise<void> {
    const { target, codec } = this;
    const w = codec.encoder();
    const greeting = codec.greeting !== undefined;
    if (greeting) codec.greeting!(w);
    const commands: string[][] = [];
    if (target.password !== undefined) commands.push(target.username !== undefined ? ['AUTH', target.username, target.password] : ['AUTH', target.password]);
    // After AUTH: Redis refuses HELLO from a client not yet authenticated.
    if (this.resp3) commands.push(['HELLO', '3']);
    if (target.db !== 0) commands.push(['SELECT', String(target.db)]);
    for (const argv of commands) w.command(argv);
    const count = commands.length + (greeting ? 1 : 0);
    if (count === 0) return;
    const answered = new Promise<Reply[]>((resolve, reject) => {
      this.inflight.pushFront(pendingCall(resolve as (r: Reply) => void, reject, undefined, count, undefined, false));
      for (const piece of w.take()) socket.write(piece);
    });
    answered.catch(() => {});
    const replies = await answered;
    let id: number | undefined;
    if (greeting) id = codec.greeted!(replies.shift()!, target);
    for (const r of replies) {
      if (r instanceof ReplyError) {
        if (this.resp3 && /^(ERR unknown command|NOPROTO)/.test(r.message)) {
          throw new Error(`nodis: ${target.display} cannot switch to RESP3 (${r.message}): RESP3 (and the client's pub/sub) needs nodis, or Redis 6 or later`);
        }
        throw new ReplyError(r.message);
      }
    }
    if (greeting) this.clientId = id;
  }

  private onData(socket: net.Socket, parser: ReturnType<StreamCodec['parser']>, chunk: Buffer): void {
    try {
      parser.feed(chunk, this.onReply);
    } catch (e) {
      socket.destroy();
      this.failAll(new Error(`nodis: unreadable reply from ${this.target.display} (${e instanceof Error ? e.message : String(e)}); the connection is closed`));
    }
  }

  private readonly onReply = (reply: Reply): void => {
    const settled = this.inflight.route(reply, this.onPush);
    if (settled === undefined) return;
    const p = settled.call;
    if (p.aborting) this.aborting--;
    if (this.aborting !== 0) this.releaseAborted();
    if (p.done) return;
    this.settled(p);
    if (p.aborting && settled.reply === null) p.reject(p.signal!.reason as Error);
    else p.resolve(settled.reply);
  };

  private onClose(socket: net.Socket): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    this.clientId = undefined;
    this.idAsked = false;
    if (this.closed) return;
    // Never re-sent: the server may or may not have run them.
    const error = new Error(`nodis: the connection to ${this.target.display} was lost; the call may or may not have run`);
    this.failAll(error);
    this.onConnectionLost?.(error, true);
  }

  private failAll(error: Error): void {
    const waiting = this.inflight.drain();
    for (const p of this.unsent) waiting.push(p);
    this.unsent = [];
    this.aborting = 0;
    this.idAsked = false;
    this.encoder.take();
    for (const p of waiting) {
      if (p.done) continue;
      this.settled(p);
      // An aborted call that never got its reply ends as aborted.
      p.reject(p.aborting ? p.signal!.reason as Error : error);
    }
  }
}
