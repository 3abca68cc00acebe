import type { Reply, ReplyPush } from '@nodis/protocol';

/** Per-call options: `db.with({ signal }).blpop('q', 0)`. */
export interface CallOptions {
  /**
   * Aborts the call: it rejects with the signal's reason. Over the socket and resp transports a
   * call already sent may have run (a blocking one is released on the server, and resolves if
   * it had already taken a value); over memory and thread, only a call not yet sent is stopped.
   * A subscription (`db.with({ signal }).subscribe('ch')`) ends when the signal aborts.
   */
  signal?: AbortSignal;
}

/** What duplicate() opens. */
export interface DuplicateOptions {
  /**
   * The connection speaks RESP3 (HELLO 3, sent again after every reconnection), so pub/sub
   * messages and (un)subscribe confirmations arrive as pushes.
   */
  resp3?: boolean;
}

/**
 * What a client needs from a transport. Every transport answers in request order.
 * The optional members serve pub/sub and transactions (every built-in transport has them).
 */
export interface Transport {
  readonly kind: string;
  send(argv: string[], options?: CallOptions): Promise<Reply>;
  /** Several commands sent as one batch (a pipeline); replies in order. */
  sendBatch(batch: string[][], options?: CallOptions): Promise<Reply[]>;
  /** Present on transports that can block the calling thread for a reply (memory, thread). */
  sendSync?(argv: string[]): Reply;
  close(): Promise<void>;
  /**
   * Opens another connection of the same kind to the same store, with the same options (a
   * subscriber connection, a transaction's connection).
   */
  duplicate?(options?: DuplicateOptions): Promise<Transport>;
  /**
   * Sends a command that a RESP3 server answers with `count` pushes whose first item is
   * `kind` (SUBSCRIBE a b → two 'subscribe' pushes); resolves to those pushes (an array), or
   * to the one non-push reply (an error) that refused the command.
   */
  sendPushAnswered?(argv: string[], kind: string, count: number): Promise<Reply>;
  /** RESP3 pushes that answer no call (pub/sub messages). */
  onPush?: ((push: ReplyPush) => void) | undefined;
  /**
   * The connection broke without close(). `reconnects`: the transport reconnects on its next
   * call (socket, resp); otherwise it is finished (thread: the store stopped).
   */
  onConnectionLost?: ((error: Error, reconnects: boolean) => void) | undefined;
  /**
   * While on, pushes arriving with no call in flight are read at once, and they keep this
   * thread's event loop alive (the thread transport; the others read their socket anyway).
   */
  listen?(on: boolean): void;
}
