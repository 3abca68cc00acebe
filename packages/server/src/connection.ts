import type { Client, ClientKind, Engine } from '@nodis/engine';
import { RequestParser, RespWriter } from '@nodis/protocol';

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
  /** The parser must copy what it keeps: the sink reuses a chunk's memory after feed(). */
  copyInput: boolean;
  log: (level: string, msg: string) => void;
}

export class CommandConnection {
  readonly client: Client;
  private readonly writer = new RespWriter(2);
  private readonly parser: RequestParser;
  /**
   * Commands parsed but not yet run, in arrival order: those behind a blocking command (BLPOP:
   * Redis runs nothing else for a blocked client) and those behind replies the client has not
   * read yet (backpressure per command, not per chunk: one chunk can hold thousands of pipelined
   * GETs). Input pauses while over the limit, which bounds the queue.
   */
  private readonly pending: string[][] = [];
  private inputPaused = false;
  private drainScheduled = false;

  constructor(private readonly engine: Engine, private readonly sink: ConnectionSink, private readonly options: ConnectionOptions) {
    this.parser = new RequestParser({
      maxBulkLength: engine.config.getNumber('proto-max-bulk-len'),
      copyInput: options.copyInput,
    });
    this.client = engine.createClient({
      reply: this.writer, kind: options.kind, addr: options.addr, laddr: options.laddr,
      ...(options.fd !== undefined ? { fd: options.fd } : {}),
      close: () => this.close(false),
    });
    this.parser.authenticated = this.client.authenticated;
    // A deferred reply is written while the engine runs another client's command (its push
    // served this blocked client): drain on a microtask, after that command has finished, so
    // this client's queued commands never run nested inside another command.
    this.client.onDeferredReply = () => {
      if (this.drainScheduled) return;
      this.drainScheduled = true;
      queueMicrotask(() => {
        this.drainScheduled = false;
        if (!this.client.closed) this.drainPending();
      });
    };
  }

  get closed(): boolean { return this.client.closed; }

  /** Bytes from the peer. Runs every complete command, then writes their replies at once. */
  feed(chunk: Buffer): void {
    const client = this.client;
    if (client.closed) return;
    this.engine.stats.netInputBytes += chunk.length;
    const error = this.parser.feed(chunk, this.onCommand);
    if (error !== undefined) {
      this.writer.error(`ERR ${error}`);
      this.flush();
      this.options.log('verbose', `Protocol error (${error}) from client: id=${client.id} addr=${client.addr}`);
      this.close(true);
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
    const bytes = writer.take();
    this.engine.stats.netOutputBytes += bytes.length;
    this.sink.write(bytes);
  }

  /** Replies not yet taken by the peer; past the soft limit we stop running this client's commands. */
  private overLimit(): boolean {
    return this.sink.backlog + this.writer.length > OUTPUT_SOFT_LIMIT;
  }

  private runnable(): boolean {
    const client = this.client;
    return !client.blocked && !client.closeAfterReply && !client.closed;
  }

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
    if (client.closeAfterReply && !client.closed) return this.close(true);
    const hold = this.overLimit();
    if (hold && !this.inputPaused) {
      this.inputPaused = true;
      this.sink.pauseInput();
    } else if (!hold && this.inputPaused && !client.closed) {
      this.inputPaused = false;
      this.sink.resumeInput();
    }
  }

  private readonly onCommand = (argv: string[]): boolean => {
    const client = this.client;
    const pending = this.pending;
    if (pending.length !== 0 || client.blocked || this.overLimit()) {
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
