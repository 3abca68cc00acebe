import type { Reply } from '@nodis/protocol';

/** What a call waiting for its reply holds: a batch (a pipeline) collects `left` replies. */
export interface QueuedCall {
  /** Replies still to come for a batch; 0 for a single command. */
  left: number;
  /** A batch's replies so far; undefined for a single command. */
  batch: Reply[] | undefined;
}

/**
 * Calls awaiting replies, oldest first, matched to replies in order (every transport answers
 * in request order). A queue with a moving head: no shift() per reply on long pipelines.
 */
export class CallQueue<C extends QueuedCall> {
  private calls: C[] = [];
  private head = 0;

  get length(): number { return this.calls.length - this.head; }

  push(call: C): void { this.calls.push(call); }

  /** The oldest waiting call (the one the server answers next). */
  first(): C | undefined { return this.calls[this.head]; }

  /** Puts a call ahead of every waiting one (a handshake written before them). */
  pushFront(call: C): void { this.calls.splice(this.head, 0, call); }

  /**
   * Gives the next reply to the oldest call. Returns that call and its whole reply (a batch's
   * array) once complete; undefined while a batch still waits, or when nobody asked.
   */
  settle(reply: Reply): { call: C; reply: Reply } | undefined {
    const call = this.calls[this.head];
    if (call === undefined) return undefined;
    if (call.batch !== undefined) {
      call.batch.push(reply);
      if (--call.left !== 0) return undefined;
      reply = call.batch as Reply;
    }
    this.calls[this.head++] = undefined as unknown as C;
    if (this.head === this.calls.length) {
      this.calls = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.calls.length) {
      this.calls = this.calls.slice(this.head);
      this.head = 0;
    }
    return { call, reply };
  }

  /** Removes and returns every waiting call (the connection is gone). */
  drain(): C[] {
    const waiting = this.calls.slice(this.head);
    this.calls = [];
    this.head = 0;
    return waiting;
  }
}
