import type { Reply } from '@nodis/protocol';

/** What a client needs from a transport. Every transport answers in request order. */
export interface Transport {
  readonly kind: string;
  send(argv: string[]): Promise<Reply>;
  /** Several commands sent as one batch (a pipeline); replies in order. */
  sendBatch(batch: string[][]): Promise<Reply[]>;
  /** Present on transports that can block the calling thread for a reply (memory, thread). */
  sendSync?(argv: string[]): Reply;
  close(): Promise<void>;
}
