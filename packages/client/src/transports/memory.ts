import { CapturingWriter, DeadlineTimer, Engine, type Client, type EngineOptions } from '@nodis/engine';
import { ReplyError, ReplyPush, type Reply } from '@nodis/protocol';
import type { CallOptions, DuplicateOptions, Transport } from '../transport.js';
import { pushKindOf } from '../call-queue.js';

/**
 * The memory transport: an engine in the caller's thread, no worker, no I/O. For unit tests
 * and single-threaded programs. Commands run synchronously; a blocking command (BLPOP) that
 * finds nothing parks its client, and that client's later commands wait behind it, exactly as
 * over a socket, until another client of the same store serves it or its timeout passes.
 * Several clients share one engine (`connect({ store })`).
 */
export class MemoryStore {
  readonly engine: Engine;

  constructor(options: EngineOptions = {}) {
    const hooks = options.hooks ?? {};
    const timer = new DeadlineTimer(() => this.engine.clock(), () => this.engine.expireBlocked());
    this.engine = new Engine({
      ...options,
      hooks: {
        ...hooks,
        wakeAt: (ms) => {
          hooks.wakeAt?.(ms);
          timer.schedule(ms);
        },
      },
    });
  }

  transport(): MemoryTransport { return new MemoryTransport(this.engine); }
}

interface Pending {
  argv: string[];
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
  /** Aborted after it ran: a nil reply rejects with this reason, a value still resolves. */
  aborted?: unknown;
  /** The engine has run it (its reply is deferred while it blocks, or waiting to be taken). */
  started?: boolean;
  /** Answered by pushes of this kind (SUBSCRIBE over RESP3): `left` of them, collected. */
  pushKind?: string;
  left?: number;
  pushes?: Reply[];
}

export class MemoryTransport implements Transport {
  readonly kind = 'memory';
  /** RESP3 pushes that answer no call: pub/sub messages from other clients of the store. */
  onPush: ((push: ReplyPush) => void) | undefined;
  private readonly writer = new CapturingWriter();
  private readonly client: Client;
  private closed = false;
  /** The command whose reply is deferred (a blocked command), then those queued behind it. */
  private readonly queue: Pending[] = [];
  private drainQueued = false;
  private draining = false;

  constructor(private readonly engine: Engine) {
    this.client = engine.createClient({ reply: this.writer, kind: 'memory', addr: 'memory:0', laddr: 'memory:0' });
    // Deferred replies (and pub/sub messages) arrive while another client's command runs:
    // drain after it, not inside it; one drain for every message a command wrote.
    this.client.onDeferredReply = () => {
      if (this.drainQueued) return;
      this.drainQueued = true;
      queueMicrotask(() => {
        this.drainQueued = false;
        this.drain();
      });
    };
  }

  /** Another client of the same engine; with resp3 it has sent HELLO 3. */
  async duplicate(options?: DuplicateOptions): Promise<MemoryTransport> {
    if (this.closed) throw new Error('nodis: the connection is closed');
    const other = new MemoryTransport(this.engine);
    if (options?.resp3 === true) {
      const hello = await other.send(['HELLO', '3']);
      if (hello instanceof ReplyError) throw hello;
    }
    return other;
  }

  sendSync(argv: string[]): Reply {
    if (this.closed) throw new Error('nodis: the connection is closed');
    if (this.queue.length !== 0) throw new Error('nodis: a blocking command of this client is still waiting; synchronous calls cannot queue behind it');
    this.deliverPushes();
    this.engine.execute(this.client, argv);
    if (this.client.blocked) {
      // Nothing else can run in this thread while we wait: it would wait forever.
      this.engine.blocking.cancel(this.client);
      throw new Error('nodis: a blocking command found nothing to serve it; in a synchronous call it would block this thread forever');
    }
    let reply = this.writer.takeOne();
    while (reply instanceof ReplyPush && this.onPush !== undefined) {
      this.onPush(reply);
      reply = this.writer.takeOne();
    }
    this.deliverPushes();
    if (this.client.closeAfterReply) void this.close();
    return reply;
  }

  /**
   * Hands what waits in the reply stream to onPush while no call is queued: with no call
   * waiting, all of it is pushes (messages).
   */
  private deliverPushes(): void {
    const onPush = this.onPush;
    if (onPush === undefined || this.writer.pending === 0) return;
    for (const r of this.writer.take()) if (r instanceof ReplyPush) onPush(r);
  }

  sendPushAnswered(argv: string[], kind: string, count: number): Promise<Reply> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new Error('nodis: the connection is closed'));
      this.queue.push({ argv, resolve, reject, pushKind: kind, left: count, pushes: [] });
      if (this.queue.length === 1) this.drain();
    });
  }

  send(argv: string[], options?: CallOptions): Promise<Reply> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new Error('nodis: the connection is closed'));
      const signal = options?.signal;
      if (signal?.aborted) return reject(signal.reason);
      const pending: Pending = { argv, resolve, reject };
      if (signal !== undefined) {
        const onAbort = (): void => this.abort(pending, signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        pending.resolve = (r) => { signal.removeEventListener('abort', onAbort); resolve(r); };
        pending.reject = (e) => { signal.removeEventListener('abort', onAbort); reject(e); };
      }
      this.queue.push(pending);
      if (this.queue.length === 1) this.drain();
    });
  }

  async sendBatch(batch: string[][], options?: CallOptions): Promise<Reply[]> {
    return Promise.all(batch.map((argv) => this.send(argv, options)));
  }

  /**
   * A queued call that has not run is dropped. One that ran settles by its reply: a blocked
   * call is released as CLIENT UNBLOCK would (nil: rejected with the reason), and a call whose
   * reply already waits (a push served it in this tick) resolves with it, so nothing popped is
   * lost and no reply goes to the wrong call.
   */
  private abort(pending: Pending, reason: unknown): void {
    const at = this.queue.indexOf(pending);
    if (at < 0) return;
    if (!pending.started) {
      this.queue.splice(at, 1);
      pending.reject(reason as Error);
      return;
    }
    pending.aborted = reason;
    if (this.client.blocked) this.engine.blocking.unblockWithTimeout(this.client);
  }

  /**
   * Runs queued commands in order until one blocks; resolves each as its reply appears. Pushes
   * (RESP3 pub/sub) go to the call they confirm (sendPushAnswered), else to onPush.
   */
  private drain(): void {
    // A push handler may queue a command (an UNSUBSCRIBE) while we deliver: the loop below
    // runs it after the replies in hand, in order, not a nested drain.
    if (this.draining) return;
    this.draining = true;
    try {
      this.drainLoop();
    } finally {
      this.draining = false;
    }
  }

  private drainLoop(): void {
    const writer = this.writer;
    for (;;) {
      // All at once: a SUBSCRIBE of many names writes a push per name.
      for (const reply of writer.pending !== 0 ? writer.take() : []) {
        const head = this.queue[0];
        if (reply instanceof ReplyPush && this.onPush !== undefined) {
          if (head?.started === true && head.pushKind !== undefined && pushKindOf(reply) === head.pushKind) {
            head.pushes!.push(reply);
            if (--head.left! === 0) {
              this.queue.shift();
              head.resolve(head.pushes as Reply);
            }
          } else {
            this.onPush(reply);
          }
          continue;
        }
        if (head?.started !== true) continue; // nobody asked: the engine never sends such a reply
        this.queue.shift();
        if (head.aborted !== undefined && reply === null) head.reject(head.aborted as Error);
        else head.resolve(reply);
        if (this.client.closeAfterReply) {
          void this.close();
          return;
        }
      }
      const head = this.queue[0];
      // Waiting for a deferred reply (a blocked command), or nothing to run.
      if (head === undefined || head.started === true || this.client.blocked || this.closed) return;
      head.started = true;
      this.engine.execute(this.client, head.argv);
    }
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.engine.removeClient(this.client);
      for (const p of this.queue.splice(0)) p.reject(new Error('nodis: the connection is closed'));
    }
    return Promise.resolve();
  }
}
