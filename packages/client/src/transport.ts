import type { Reply } from '@nodis/protocol';

/** Per-call options: `db.with({ signal }).blpop('q', 0)`. */
export interface CallOptions {
  /**
   * Aborts the call: it rejects with the signal's reason. Over the socket and resp transports a
   * call already sent may have run (a blocking one is released on the server, and resolves if
   * it had already taken a value); over memory and thread, only a call not yet sent is stopped.
   */
  signal?: AbortSignal;
}

/** What a client needs from a transport. Every transport answers in request order. */
export interface Transport {
  readonly kind: string;
  send(argv: string[], options?: CallOptions): Promise<Reply>;
  /** Several commands sent as one batch (a pipeline); replies in order. */
  sendBatch(batch: string[][], options?: CallOptions): Promise<Reply[]>;
  /** Present on transports that can block the calling thread for a reply (memory, thread). */
  sendSync?(argv: string[]): Reply;
  close(): Promise<void>;
}
