import { ReplyError } from '@nodis/protocol';
import type { Value } from './codec.js';
import { Multi } from './multi.js';
import type { CallOptions, Transport } from './transport.js';

/**
 * Optimistic transactions (check-and-set): db.transaction(keys, async (tx) => …) WATCHes the
 * keys on a connection of its own, lets the callback read through `tx`, then runs the multi
 * the callback returns; when a watched key changed meanwhile (EXEC answers nil) it runs the
 * callback again, up to `retries` more times.
 *
 * WATCH belongs to a connection, and the client's own connection is shared by every caller
 * (auto-pipelined), so each transaction takes a connection of its own from a small pool of
 * idle ones (opened with the transport's duplicate()): a loop of transactions reuses them.
 */

export interface TransactionOptions {
  /** How many times to run the callback again after a watched key changed; default 100. */
  retries?: number;
}

export const DEFAULT_RETRIES = 100;
/** Idle transaction connections a client keeps. */
const MAX_IDLE = 4;

/** Connections for transactions: reused when idle, opened (duplicate()) when none is. */
export class ConnectionPool {
  private readonly idle: Transport[] = [];
  private readonly busy = new Set<Transport>();
  private closed = false;

  constructor(private readonly main: Transport) {}

  async acquire(): Promise<Transport> {
    if (this.closed) throw new Error('nodis: the connection is closed');
    let t = this.idle.pop();
    if (t === undefined) {
      if (this.main.duplicate === undefined) throw new Error(`nodis: the ${this.main.kind} transport cannot open the connection a transaction needs`);
      t = await this.main.duplicate();
      if (this.closed) {
        await t.close();
        throw new Error('nodis: the connection is closed');
      }
    }
    this.busy.add(t);
    return t;
  }

  /** Back to the pool; closed instead when its state is unknown (`healthy` false) or the pool is full. */
  release(t: Transport, healthy: boolean): void {
    if (!this.busy.delete(t)) return;
    if (healthy && !this.closed && this.idle.length < MAX_IDLE) this.idle.push(t);
    else void t.close();
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.idle.splice(0), ...this.busy];
    this.busy.clear();
    await Promise.all(all.map((t) => t.close()));
  }
}

/**
 * The retry loop. `tx` is the callback's client on `transport`. Resolves to EXEC's results,
 * or null when the callback returned no multi (it chose to write nothing).
 */
export async function runTransaction<T>(
  pool: ConnectionPool,
  keys: readonly string[],
  host: TransactionHost<T>,
  fn: (tx: T) => TransactionResult | Promise<TransactionResult>,
  options: TransactionOptions | undefined,
  callOptions: CallOptions | undefined,
): Promise<(Value | ReplyError)[] | null> {
  const retries = options?.retries ?? DEFAULT_RETRIES;
  if (!Number.isInteger(retries) || retries < 0) throw new RangeError(`nodis: retries must be a whole number ≥ 0, not ${String(retries)}`);
  const transport = await pool.acquire();
  const tx = host.client(transport);
  /** False once a command of ours failed other than by a server's error (lost, aborted): the connection's state is unknown. */
  let healthy = true;
  const ours = async <R>(op: Promise<R>): Promise<R> => {
    try {
      return await op;
    } catch (e) {
      if (!(e instanceof ReplyError)) healthy = false;
      throw e;
    }
  };
  // Leaves the connection as a fresh one: no MULTI left open (a raw one the callback sent),
  // nothing watched. DISCARD outside MULTI is an error reply that changes nothing.
  const reset = (): Promise<unknown> => ours(transport.sendBatch([['DISCARD'], ['UNWATCH']], callOptions));
  try {
    for (let attempt = 0; ; attempt++) {
      // The client's database (one SELECT through it moved it), then WATCH: one round trip.
      const db = host.db();
      const setup: string[][] = db !== undefined ? [['SELECT', db]] : [];
      if (keys.length !== 0) setup.push(['WATCH', ...keys]);
      if (setup.length !== 0) {
        const replies = await ours(transport.sendBatch(setup, callOptions));
        const refused = replies.find((r) => r instanceof ReplyError);
        if (refused !== undefined) throw refused;
      }
      let result: TransactionResult;
      try {
        result = await fn(tx);
      } catch (e) {
        await reset();
        throw e;
      }
      if (result === null || result === undefined) {
        await reset();
        return null;
      }
      if (!(result instanceof Multi) || result.transport !== transport || result.executed) {
        await reset();
        throw new TypeError(result instanceof Multi && result.executed
          ? 'nodis: the transaction callback executed its multi itself: return it without calling exec(), db.transaction runs it'
          : 'nodis: a transaction callback returns tx.multi()… (a multi of its own tx), or nothing to write nothing');
      }
      // EXEC unwatches every key, whatever it answers.
      const replies = await ours(result.exec());
      if (replies !== null) return replies;
      if (attempt >= retries) {
        const what = keys.length !== 0 ? `a watched key (${keys.map((k) => JSON.stringify(k)).join(', ')})` : 'a key the callback watched';
        throw new Error(`nodis: the transaction gave up after ${attempt + 1} attempts: ${what} changed before each EXEC`);
      }
    }
  } finally {
    pool.release(transport, healthy && host.reusable());
  }
}

/** What runTransaction needs from the client. */
export interface TransactionHost<T> {
  /** The callback's client on a transaction's connection. */
  client(transport: Transport): T;
  /** The database to SELECT first (undefined: the connection's own). */
  db(): string | undefined;
  /** The connection may serve another transaction (the callback did not SELECT on it). */
  reusable(): boolean;
}

/** What a transaction callback returns: the multi to run, or nothing to write nothing. */
export type TransactionResult = Multi | null | undefined | void;
