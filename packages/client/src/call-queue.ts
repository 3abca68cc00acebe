import { ReplyPush, SimpleString, type Reply } from '@nodis/protocol';

/** What a call waiting for its reply holds: a batch (a pipeline) collects `left` replies. */
export interface QueuedCall {
  /** Replies still to come for a batch; 0 for a single command. */
  left: number;
  /** A batch's replies so far; undefined for a single command. */
  batch: Reply[] | undefined;
  /**
   * A command answered by pushes (SUBSCRIBE … on a RESP3 connection): the first item of its
   * confirmations ('subscribe'); `left` of them complete it (collected in `batch`). A non-push
   * reply answers it at once: the server refused it (an error), and then sends no push.
   */
  pushKind?: string | undefined;
}

/** A push's first item (its kind: 'message', 'subscribe' …) as a latin1 string. */
export function pushKindOf(push: ReplyPush): string | undefined {
  const first = push.items[0];
  if (typeof first === 'string') return first;
  if (first instanceof Uint8Array) return Buffer.from(first.buffer, first.byteOffset, first.byteLength).toString('latin1');
  if (first instanceof SimpleString) return first.value;
  return undefined;
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
    if (call.pushKind === undefined && call.batch !== undefined) {
      call.batch.push(reply);
      if (--call.left !== 0) return undefined;
      reply = call.batch as Reply;
    }
    this.advance();
    return { call, reply };
  }

  /**
   * Routes a reply: a push (when `onPush` is set: the connection has pub/sub) is a confirmation
   * of the oldest call if that call waits for pushes of its kind (sendPushAnswered), else a
   * message handed to onPush; any other reply goes to the oldest call (settle). Returns the
   * call and its whole reply once complete.
   */
  route(reply: Reply, onPush: ((push: ReplyPush) => void) | undefined): { call: C; reply: Reply } | undefined {
    if (!(reply instanceof ReplyPush) || onPush === undefined) return this.settle(reply);
    const call = this.calls[this.head];
    if (call === undefined || call.pushKind === undefined || pushKindOf(reply) !== call.pushKind) {
      onPush(reply);
      return undefined;
    }
    call.batch!.push(reply);
    if (--call.left > 0) return undefined;
    this.advance();
    return { call, reply: call.batch as Reply };
  }

  private advance(): void {
    this.calls[this.head++] = undefined as unknown as C;
    if (this.head === this.calls.length) {
      this.calls = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.calls.length) {
      this.calls = this.calls.slice(this.head);
      this.head = 0;
    }
  }

  /** Removes and returns every waiting call (the connection is gone). */
  drain(): C[] {
    const waiting = this.calls.slice(this.head);
    this.calls = [];
    this.head = 0;
    return waiting;
  }
}
