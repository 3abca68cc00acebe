import net from 'node:net';
import { ReplyParser, ReplyPush, RequestWriter, ReplyError, type Reply } from '@nodis/protocol';
import { commandSpecs } from '@nodis/engine/specs';
import type { Transport } from '../transport.js';
import { CallQueue, type QueuedCall } from '../call-queue.js';

/**
 * The resp transport: RESP over TCP or a Unix socket, to nodis's RESP port or to a real Redis
 * or Valkey, so code moves between them unchanged.
 *
 *   redis://[[user]:password@]host[:port][/db]        (port 6379 unless given)
 *   redis+unix:///path/to.sock[?db=N][&username=U][&password=P]
 *     (as redis-py's unix:// URLs: a URL cannot carry credentials without a host)
 *
 * Every command issued in one tick leaves in one socket write (automatic pipelining); replies
 * come back in order. After the connection is lost, calls in flight fail ("may or may not have
 * run": a command is never sent twice behind the caller's back) and the next call reconnects,
 * waiting longer after each failed attempt (100 ms doubling to 2 s).
 */

export interface RespConnectOptions {
  /** How long connecting (and the AUTH/SELECT handshake) may take, ms; default 5000. */
  connectTimeout?: number;
  /**
   * How long a call waits for its reply before it rejects, ms; default none. Blocking commands
   * (BLPOP …) are exempt: their own timeout argument says how long they wait. The reply, if it
   * comes later, is read and dropped, so later replies still match their calls.
   */
  commandTimeout?: number;
}

/** Commands that may wait on purpose (the specs' `blocking` flag), exempt from commandTimeout. */
const BLOCKING = new Set(commandSpecs.filter((s) => s.flags.includes('blocking')).map((s) => s.name.toUpperCase()));

interface Target {
  path?: string;
  host: string;
  port: number;
  username?: string;
  password?: string;
  db: number;
  display: string;
}

export function parseRespUrl(url: string): Target {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TypeError(`nodis: '${url}' is not a URL (redis://host:port/db or redis+unix:///path)`);
  }
  const username = u.username ? decodeURIComponent(u.username) : undefined;
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  const auth = { ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}) };
  const dbOf = (s: string | null): number => {
    if (s === null || s === '') return 0;
    if (!/^\d+$/.test(s)) throw new TypeError(`nodis: database '${s}' in '${url}' is not a number`);
    return Number(s);
  };
  if (u.protocol === 'redis:') {
    return {
      host: u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1', port: u.port ? Number(u.port) : 6379,
      db: dbOf(u.pathname.replace(/^\//, '')), display: `${u.hostname}:${u.port || 6379}`, ...auth,
    };
  }
  if (u.protocol === 'redis+unix:') {
    if (!u.pathname) throw new TypeError(`nodis: '${url}' names no socket path`);
    const path = decodeURIComponent(u.pathname);
    const username = u.searchParams.get('username') ?? auth.username;
    const password = u.searchParams.get('password') ?? auth.password;
    return {
      path, host: '', port: 0, db: dbOf(u.searchParams.get('db')), display: path,
      ...(username != null ? { username } : {}), ...(password != null ? { password } : {}),
    };
  }
  throw new TypeError(`nodis: '${u.protocol}' URLs are not a resp transport (redis:// or redis+unix://)`);
}

interface Pending extends QueuedCall {
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
  /** commandTimeout's timer; the call was rejected when `abandoned` (its reply is dropped). */
  timer: NodeJS.Timeout | undefined;
  abandoned: boolean;
}

export class RespTransport implements Transport {
  readonly kind = 'resp';
  /** RESP3 push messages (pub/sub), when a push handler is set. */
  onPush: ((push: ReplyPush) => void) | undefined;
  private socket: net.Socket | undefined;
  private connecting: Promise<void> | undefined;
  private parser = new ReplyParser();
  private readonly encoder = new RequestWriter();
  /** Calls awaiting replies, oldest first. */
  private readonly inflight = new CallQueue<Pending>();
  /** A flush is queued for this tick; while (re)connecting, encoded commands wait in the encoder. */
  private flushScheduled = false;
  private closed = false;
  private backoff = 0;
  private lastFailure = 0;

  private constructor(private readonly target: Target, private readonly options: RespConnectOptions) {}

  static async open(url: string, options: RespConnectOptions = {}): Promise<RespTransport> {
    const t = new RespTransport(parseRespUrl(url), options);
    await t.ensureConnected();
    return t;
  }

  send(argv: string[]): Promise<Reply> {
    return this.enqueue([argv], 0);
  }

  sendBatch(batch: string[][]): Promise<Reply[]> {
    if (batch.length === 0) return Promise.resolve([]);
    return this.enqueue(batch, batch.length) as Promise<Reply[]>;
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

  private enqueue(commands: string[][], batchSize: number): Promise<Reply> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new Error('nodis: the connection is closed'));
      for (const argv of commands) this.encoder.command(argv);
      const pending: Pending = { resolve, reject, left: batchSize, batch: batchSize === 0 ? undefined : [], timer: undefined, abandoned: false };
      const timeout = this.options.commandTimeout;
      if (timeout !== undefined && timeout > 0 && !commands.some((argv) => BLOCKING.has(argv[0]!.toUpperCase()))) {
        pending.timer = setTimeout(() => {
          pending.abandoned = true;
          reject(new Error(`nodis: no reply from ${this.target.display} within ${timeout} ms (the command may or may not have run)`));
        }, timeout);
      }
      this.inflight.push(pending);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        queueMicrotask(this.flush);
      }
    });
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.encoder.length === 0 || this.closed) return;
    const socket = this.socket;
    if (socket !== undefined && !socket.destroyed && this.connecting === undefined) {
      for (const piece of this.encoder.take()) socket.write(piece);
      return;
    }
    // Not connected: reconnect first; what was encoded meanwhile goes out after the handshake.
    this.ensureConnected().then(
      () => this.flush(),
      (e: unknown) => this.failAll(e instanceof Error ? e : new Error(String(e))),
    );
  };

  /** Connects (once at a time), then authenticates and selects the database. */
  private ensureConnected(): Promise<void> {
    if (this.socket !== undefined && !this.socket.destroyed && this.connecting === undefined) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => { this.connecting = undefined; });
    return this.connecting;
  }

  private async connect(): Promise<void> {
    const wait = this.backoff === 0 ? 0 : Math.max(0, this.lastFailure + this.backoff - Date.now());
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const { target } = this;
    const timeout = this.options.connectTimeout ?? 5000;
    const socket = target.path !== undefined ? net.connect(target.path) : net.connect({ host: target.host, port: target.port });
    socket.setNoDelay(true);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`nodis: could not connect to ${target.display} within ${timeout} ms`)), timeout);
        socket.once('connect', () => { clearTimeout(timer); resolve(); });
        socket.once('error', (e) => {
          clearTimeout(timer);
          reject(new Error(`nodis: could not connect to ${target.display}: ${e.message}`));
        });
      });
    } catch (e) {
      socket.destroy();
      this.lastFailure = Date.now();
      this.backoff = Math.min(2000, this.backoff === 0 ? 100 : this.backoff * 2);
      throw e;
    }
    if (this.closed) {
      socket.destroy();
      throw new Error('nodis: the connection is closed');
    }
    this.parser = new ReplyParser();
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.onData(socket, chunk));
    socket.on('error', () => { /* 'close' follows */ });
    socket.on('close', () => this.onClose(socket));
    // The handshake: its replies are read like any other, ahead of queued calls.
    const handshake: string[][] = [];
    if (target.password !== undefined) handshake.push(target.username !== undefined ? ['AUTH', target.username, target.password] : ['AUTH', target.password]);
    if (target.db !== 0) handshake.push(['SELECT', String(target.db)]);
    if (handshake.length !== 0) {
      const replies = await new Promise<Reply>((resolve, reject) => {
        const w = new RequestWriter();
        for (const argv of handshake) w.command(argv);
        this.inflight.pushFront({ resolve, reject, left: handshake.length, batch: [], timer: undefined, abandoned: false });
        for (const piece of w.take()) socket.write(piece);
      }) as Reply[];
      const failed = replies.find((r) => r instanceof ReplyError);
      if (failed instanceof ReplyError) {
        socket.destroy();
        throw new ReplyError(failed.message);
      }
    }
    this.backoff = 0;
  }

  private onData(socket: net.Socket, chunk: Buffer): void {
    if (socket !== this.socket) return;
    try {
      this.parser.feed(chunk, (r) => this.onReply(r));
    } catch (e) {
      socket.destroy();
      this.failAll(new Error(`nodis: unreadable reply from ${this.target.display} (${e instanceof Error ? e.message : String(e)}); the connection is closed`));
    }
  }

  private onReply(reply: Reply): void {
    if (reply instanceof ReplyPush && this.onPush !== undefined) {
      this.onPush(reply);
      return;
    }
    const settled = this.inflight.settle(reply);
    if (settled === undefined) return;
    const p = settled.call;
    if (p.timer !== undefined) clearTimeout(p.timer);
    if (!p.abandoned) p.resolve(settled.reply);
  }

  private onClose(socket: net.Socket): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    if (this.closed) return;
    // Never re-sent: the server may or may not have run them.
    this.failAll(new Error(`nodis: the connection to ${this.target.display} was lost; the call may or may not have run`));
  }

  private failAll(error: Error): void {
    const waiting = this.inflight.drain();
    this.encoder.take();
    for (const p of waiting) {
      if (p.timer !== undefined) clearTimeout(p.timer);
      if (!p.abandoned) p.reject(error);
    }
  }
}
