import { parseOutputBufferLimits, type Client, type ClientKind, type Engine } from '@nodis/engine';
import {
  NATIVE_PROTOCOL, NATIVE_VERSION, NativeRequestParser, NativeWriter, RequestParser, RespWriter, type Reply,
} from '@nodis/protocol';

/**
 * One client's command stream on the owner, whatever carries its bytes (a socket, a ring):
 * bytes → RequestParser → engine.execute → RespWriter → the sink, with ONE sink write per input
 * chunk holding every reply that chunk produced (PERFORMANCE.md: writing replies one by one
 * costs 4× at pipeline depth 16).
 *
 * Backpressure: when the sink's backlog passes OUTPUT_SOFT_LIMIT we stop running this client's
 * commands and ask the sink to stop reading, so a client that does not read its replies cannot
 * make the owner buffer without bound. The sink calls drained() when its backlog shrinks.
 */

const OUTPUT_SOFT_LIMIT = 1 << 20;
/** Redis closes an unauthenticated client whose query buffer passes 1 MiB. */
const UNAUTHENTICATED_QUERY_LIMIT = 1 << 20;
/** client-query-buffer-limit default: 1 GiB. */
const QUERY_BUFFER_LIMIT = 1 << 30;
/** Commands a client may queue (behind a blocking command or unread replies) before we close it. */
const MAX_PENDING = 100_000;
/** What the native hello reports as the server's version. */
export const SERVER_VERSION = '0.1.0';

/** A request parser: RESP's or the native protocol's (the same contract). */
interface Parser {
  authenticated: boolean;
  readonly buffered: number;
  feed(chunk: Buffer, onCommand: (argv: string[]) => boolean | void): string | undefined;
}

/** Where a connection's replies go, and how its input is paused. */
export interface ConnectionSink {
  write(bytes: Buffer): void;
  /** Reply bytes accepted by write() but not yet taken by the peer. */
  readonly backlog: number;
  pauseInput(): void;
  resumeInput(): void;
  /** Ends the transport: after the written replies (graceful) or at once. */
  end(graceful: boolean): void;
}

export interface ConnectionOptions {
  kind: ClientKind;
  addr: string;
  laddr: string;
  fd?: number;
  /** The wire protocol: RESP (default) or nodis's native frames (native/format.ts in @nodis/protocol). */
  protocol?: 'resp' | 'native';
  /** The parser must copy what it keeps: the sink reuses a chunk's memory after feed(). */
  copyInput: boolean;
  log: (level: string, msg: string) => void;
}

type Limits = ReturnType<typeof parseOutputBufferLimits>;
/** The engine's parsed client-output-buffer-limit, re-read when it changes. */
const parsedLimits = new WeakMap<Engine, { raw: string; limits: Limits }>();
/** The limits of the client's class: pubsub while it has subscriptions (Redis's getClientType), else normal. */
function outputLimits(engine: Engine, client: Client): Limits['normal'] {
  const raw = engine.config.get('client-output-buffer-limit');
  let cached = parsedLimits.get(engine);
  if (cached === undefined || cached.raw !== raw) {
    cached = { raw, limits: parseOutputBufferLimits(raw) };
    parsedLimits.set(engine, cached);
  }
  const subs = client.pubsub;
  return subs !== undefined && subs.total !== 0 ? cached.limits.pubsub : cached.limits.normal;
}

/** Where backpressure starts: a configured hard (else soft) limit above OUTPUT_SOFT_LIMIT must be reachable. */
function pauseThreshold(limits: Limits['normal']): number {
  return Math.max(OUTPUT_SOFT_LIMIT, limits.hard !== 0 ? limits.hard : limits.soft);
}

/**
 * Connections with replies written outside their own commands (blocked clients served,
 * pub/sub messages), flushed on a microtask, or earlier by a host that is between commands
 * but not returning to the event loop yet: the ring service, whose serving loop can run for
 * milliseconds, flushes after each round so a subscriber's messages leave with the round
 * that published them.
 */
class DeferredReplies {
  private readonly waiting = new Set<CommandConnection>();
  private queued = false;

  add(c: CommandConnection): void {
    this.waiting.add(c);
    if (this.queued) return;
    this.queued = true;
    queueMicrotask(this.flush);
  }

  readonly flush = (): void => {
    this.queued = false;
    if (this.waiting.size === 0) return;
    // Draining can defer more replies (a drained client's queued PUBLISH): they join this pass.
    for (const c of this.waiting) {
      this.waiting.delete(c);
      c.runDeferred();
    }
  };
}

const deferredReplies = new WeakMap<Engine, DeferredReplies>();
function deferredOf(engine: Engine): DeferredReplies {
  let d = deferredReplies.get(engine);
  if (d === undefined) deferredReplies.set(engine, d = new DeferredReplies());
  return d;
}

/** Flushes the replies written outside their clients' own commands; call only between commands. */
export function flushDeferredReplies(engine: Engine): void {
  deferredReplies.get(engine)?.flush();
}

export class CommandConnection {
  readonly client: Client;
  private readonly writer: RespWriter | NativeWriter;
  private readonly parser: Parser;
  /** Native connections: the hello has been accepted (until then only a hello is read). */
  greeted = false;
  /**
   * Commands parsed but not yet run, in arrival order: those behind a blocking command (BLPOP:
   * Redis runs nothing else for a blocked client) and those behind replies the client has not
   * read yet (backpressure per command, not per chunk: one chunk can hold thousands of pipelined
   * GETs). Input pauses while over the limit, which bounds the queue.
   */
  private readonly pending: string[][] = [];
  private inputPaused = false;
  private drainScheduled = false;
  /**
   * Replies are held until the AOF's fsync covers them (appendfsync always); meanwhile this
   * client's further commands wait in `pending`, so what it is told stays behind what is durable.
   */
  private awaitingDurability = false;
  /** Reply bytes the awaited fsync covers (replies written later may need a later one). */
  private heldLength = 0;
  /** A protocol error ended the stream: input is ignored while the last replies go out. */
  private failed = false;
  /** When the output buffer first passed its soft limit (engine ms), 0 while under it. */
  private softLimitSince = 0;
  /**
   * Unread reply bytes past which this client's commands wait (backpressure): OUTPUT_SOFT_LIMIT,
   * or the configured output buffer limit when that is higher, so a client that never reads
   * reaches the limit and is closed as in Redis. Re-read by checkOutputLimits (cron, 10 Hz).
   */
  private pauseAt = OUTPUT_SOFT_LIMIT;

  constructor(private readonly engine: Engine, private readonly sink: ConnectionSink, private readonly options: ConnectionOptions) {
    const maxBulkLength = engine.config.getNumber('proto-max-bulk-len');
    if (options.protocol === 'native') {
      this.writer = new NativeWriter(2);
      this.parser = new NativeRequestParser({ maxArgLength: maxBulkLength, maxFrame: QUERY_BUFFER_LIMIT, onHello: this.onHello });
    } else {
      this.writer = new RespWriter(2);
      this.parser = new RequestParser({ maxBulkLength, copyInput: options.copyInput });
    }
    this.client = engine.createClient({
      reply: this.writer, kind: options.kind, addr: options.addr, laddr: options.laddr,
      ...(options.fd !== undefined ? { fd: options.fd } : {}),
      close: () => this.close(false),
    });
    this.parser.authenticated = this.client.authenticated;
    this.client.outputBytes = () => this.sink.backlog + this.writer.length;
    this.pauseAt = pauseThreshold(outputLimits(engine, this.client));
    // A deferred reply is written while the engine runs another client's command (its push
    // served this blocked client, a PUBLISH wrote a message): drain after that command has
    // finished, so this client's queued commands never run nested inside another command —
    // on a microtask, or sooner when the host calls flushDeferredReplies between commands.
    this.client.onDeferredReply = () => {
      if (this.drainScheduled) return;
      this.drainScheduled = true;
      deferredOf(engine).add(this);
    };
  }

  /** Drains after a deferred reply (DeferredReplies). */
  runDeferred(): void {
    if (!this.drainScheduled) return;
    this.drainScheduled = false;
    if (!this.client.closed) this.drainPending();
  }

  get closed(): boolean { return this.client.closed; }

  /** Bytes from the peer. Runs every complete command, then writes their replies at once. */
  feed(chunk: Buffer): void {
    const client = this.client;
    if (client.closed || this.failed) return;
    this.engine.stats.netInputBytes += chunk.length;
    const error = this.parser.feed(chunk, this.onCommand);
    if (error !== undefined) {
      // A RESP client on the native socket gets the message in RESP, so redis-cli shows it.
      this.options.log('verbose', `Protocol error (${error}) from client: id=${client.id} addr=${client.addr}`);
      if (this.parser instanceof NativeRequestParser && this.parser.respClient) {
        this.sink.write(Buffer.from(`-ERR ${error}\r\n`, 'latin1'));
        this.close(true);
        return;
      }
      // The replies of the commands before the error, then the error, then close — once the
      // replies may go (they may wait for an fsync: drainPending closes after them).
      this.failed = true;
      this.pending.length = 0;
      this.writer.error(`ERR ${error}`);
      client.closeAfterReply = true;
      this.drainPending();
      return;
    }
    if (client.closed) return;
    this.drainPending();
    if (client.closed) return;
    const limit = client.authenticated ? QUERY_BUFFER_LIMIT : UNAUTHENTICATED_QUERY_LIMIT;
    if (this.parser.buffered > limit) {
      this.options.log('warning', `Closing client that reached max query buffer length: id=${client.id} addr=${client.addr}`);
      this.close(false);
    }
  }

  /** The sink's backlog shrank: run what waited for it. */
  drained(): void {
    if (this.sink.backlog === 0 && this.writer.length === 0) this.writer.recycle();
    if (!this.client.closed) this.drainPending();
  }

  /** Ends the connection and removes the client (idempotent). */
  close(graceful: boolean): void {
    this.sink.end(graceful);
    this.engine.removeClient(this.client);
  }

  private flush(): void {
    const writer = this.writer;
    if (writer.length === 0) return;
    const barrier = this.engine.replyBarrier;
    if (barrier !== undefined) {
      if (this.awaitingDurability) return;
      const ticket = barrier.durabilityTicket();
      if (ticket !== 0) {
        this.awaitingDurability = true;
        this.heldLength = writer.length;
        barrier.onDurable(ticket, this.onDurable);
        return;
      }
    }
    this.send();
  }

  /** Hands the written replies (or the first `length` bytes of them) to the sink. */
  private send(length?: number): void {
    const writer = this.writer;
    const bytes = writer.take(length);
    this.engine.stats.netOutputBytes += bytes.length;
    this.sink.write(bytes);
    // Taken whole by the peer (nothing queued): the writer reuses its buffer (slab.ts).
    if (this.sink.backlog === 0) writer.recycle();
  }

  /**
   * client-output-buffer-limit, as Redis's checkClientOutputBufferLimits: over the hard limit,
   * or over the soft limit for longer than its seconds, the client is closed (its replies are
   * dropped). Backpressure alone bounds a client that sends without reading to about
   * `pauseAt` plus one reply; with a limit configured, `pauseAt` lets the buffer reach it, so
   * such a client is freed instead of kept forever. Called after each flush and from the cron.
   */
  checkOutputLimits(now: number): void {
    const client = this.client;
    if (client.closed) return;
    const limits = outputLimits(this.engine, client);
    this.pauseAt = pauseThreshold(limits);
    const used = this.sink.backlog + this.writer.length;
    if (used === 0 && this.softLimitSince === 0) return;
    const hard = limits.hard !== 0 && used >= limits.hard;
    let soft = limits.soft !== 0 && used >= limits.soft;
    if (soft) {
      if (this.softLimitSince === 0) {
        this.softLimitSince = now;
        soft = false;
      } else if (now - this.softLimitSince <= limits.softSeconds * 1000) {
        soft = false;
      }
    } else {
      this.softLimitSince = 0;
    }
    if (hard || soft) {
      this.options.log('warning', `Client id=${client.id} addr=${client.addr} closed for overcoming of output buffer limits.`);
      this.close(false);
    }
  }

  /** Replies not yet taken by the peer; past the soft limit we stop running this client's commands. */
  private overLimit(): boolean {
    return this.sink.backlog + this.writer.length > this.pauseAt;
  }

  private runnable(): boolean {
    const client = this.client;
    return !client.blocked && !client.closeAfterReply && !client.closed && !this.awaitingDurability;
  }

  private readonly onDurable = (): void => {
    this.awaitingDurability = false;
    if (this.client.closed) return;
    // The replies the fsync covers go now, before queued commands run (their replies need a
    // later ticket: running them first would hold these back again, round after round). What
    // was written meanwhile (pub/sub messages, a blocked client served by a later push) waits
    // for a ticket of its own: sending only the covered bytes keeps a subscriber fed while
    // writes never stop (waiting for a moment with nothing new would starve it).
    if (this.writer.length >= this.heldLength && this.heldLength !== 0) this.send(this.heldLength);
    this.drainPending();
  };

  private run(argv: string[]): void {
    this.engine.execute(this.client, argv);
    this.parser.authenticated = this.client.authenticated;
  }

  /** Runs queued commands while the client is neither blocked nor behind on its replies. */
  private drainPending(): void {
    const pending = this.pending;
    for (;;) {
      while (pending.length !== 0 && this.runnable() && !this.overLimit()) this.run(pending.shift()!);
      this.flush();
      // The sink may take everything at once (a loopback socket usually does): then no 'drain'
      // will come to call us back, so go on while commands wait and the backlog allows.
      if (pending.length === 0 || !this.runnable() || this.overLimit()) break;
    }
    const client = this.client;
    if (this.awaitingDurability) return;
    if (client.closeAfterReply && !client.closed) return this.close(true);
    if (this.sink.backlog !== 0) this.checkOutputLimits(this.engine.time);
    if (client.closed) return;
    const hold = this.overLimit();
    if (hold && !this.inputPaused) {
      this.inputPaused = true;
      this.sink.pauseInput();
    } else if (!hold && this.inputPaused && !client.closed) {
      this.inputPaused = false;
      this.sink.resumeInput();
    }
  }

  /** The native hello: the same protocol and version, or a refusal that says which. */
  private readonly onHello = (fields: Record<string, Reply> | undefined): boolean => {
    const client = this.client;
    const writer = this.writer as NativeWriter;
    if (fields === undefined || fields.protocol !== NATIVE_PROTOCOL) {
      writer.error(`ERR Protocol error: expected the ${NATIVE_PROTOCOL} hello ({ protocol: '${NATIVE_PROTOCOL}', version: ${NATIVE_VERSION} }) as the first frame`);
      client.closeAfterReply = true;
      return false;
    }
    if (fields.version !== NATIVE_VERSION) {
      const asked = fields.version === undefined ? 'names no version' : `asked for version ${JSON.stringify(fields.version)}`;
      writer.error(`NOPROTO this server (nodis ${SERVER_VERSION}) speaks ${NATIVE_PROTOCOL} protocol version ${NATIVE_VERSION}; the client ${asked}: upgrade the older of the two`);
      client.closeAfterReply = true;
      return false;
    }
    if (typeof fields.client === 'string') client.libName = fields.client;
    this.greeted = true;
    writer.hello({ protocol: NATIVE_PROTOCOL, version: NATIVE_VERSION, server: SERVER_VERSION, id: client.id });
    return true;
  };

  private readonly onCommand = (argv: string[]): boolean => {
    const client = this.client;
    const pending = this.pending;
    if (pending.length !== 0 || client.blocked || this.awaitingDurability || this.overLimit()) {
      if (pending.length >= MAX_PENDING) {
        this.options.log('warning', `Closing client with too many queued commands: id=${client.id} addr=${client.addr}`);
        this.close(false);
        return false;
      }
      pending.push(argv);
      return true;
    }
    this.run(argv);
    return this.runnable() || client.blocked;
  };
}
