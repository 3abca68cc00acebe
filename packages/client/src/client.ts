import { ReplyError } from '@nodis/protocol';
import { decodeReply, encodeArg, type Arg, type Value } from './codec.js';
import { shapeReply } from './reply-shapes.js';
import type { CallOptions, Transport } from './transport.js';
import type { Commands, PipelineCommands, SyncCommands } from './commands.js';
import { argvOf, CommandBatch, COMMAND_NAMES, defineCommandMethods, toReply } from './methods.js';
import { Multi, type TypedMulti } from './multi.js';
import {
  decodeMessage, decodeMessageBuffer, Subscriber, Subscription, type Message, type MessageBuffer,
  type SubscribeOptions, type SubscriptionKind,
} from './subscriber.js';
import { ConnectionPool, runTransaction, type TransactionOptions, type TransactionResult } from './transaction.js';

/**
 * The nodis client: one API over every transport. Command methods come from the engine's
 * command specs (`db.set('k', 'v')`, `db.incr('n')`), with `…Buffer` twins that return bytes
 * (`db.getBuffer('k')`). `db.call('CMD', ...args)` sends anything.
 *
 * Beside the commands: db.pipeline(), db.multi() (MULTI/EXEC as one batch),
 * db.transaction(keys, fn) (WATCH and retry, on a connection of its own), db.subscribe() /
 * psubscribe() / ssubscribe() (async iterators of messages, on one subscriber connection per
 * client), db.with({ signal }), db.close() / `await using`.
 */

export { ReplyError };

/** The names, then optionally the options: `db.subscribe('a', 'b', { highWaterMark: 1000 })`. */
export type SubscribeArgs = Arg[] | [...names: Arg[], options: SubscribeOptions];

/** What the objects of one client share, views made by with() included. */
interface Shared {
  /** Pub/sub: opened on the first subscribe(). */
  subscriber: Subscriber | undefined;
  /** Transactions' connections: made on the first transaction(). */
  pool: ConnectionPool | undefined;
  /** The database a SELECT through the client chose last (undefined: the connection's first). */
  db: string | undefined;
}

export class Pipeline extends CommandBatch {
  constructor(private readonly transport: Transport, private readonly options?: CallOptions) {
    super();
  }

  /** Sends every queued command as one batch; resolves to [error, value] pairs in order. */
  async exec(): Promise<[ReplyError | null, Value][]> {
    const { commands, buffers } = this.take();
    const replies = await this.transport.sendBatch(commands, this.options);
    return replies.map((r, i) => {
      const v = decodeReply(r, buffers[i]!);
      return v instanceof ReplyError ? [v, null] : [null, shapeReply(commands[i]![0]!, v as Value)];
    });
  }
}

export class NodisClient {
  /** Synchronous calls (memory and thread transports): `db.sync.incr('n')` returns the value. */
  readonly sync: SyncCommands & { call(command: string, ...args: Arg[]): Value };
  /** Options for every call made through this client object (see with()). */
  protected readonly callOptions: CallOptions | undefined;
  private readonly shared: Shared = { subscriber: undefined, pool: undefined, db: undefined };

  constructor(readonly transport: Transport) {
    const send = transport.sendSync?.bind(transport);
    const syncCall = (command: string, buffers: boolean, args: Arg[]): Value => {
      if (!send) throw new Error(`nodis: the ${transport.kind} transport has no synchronous calls; use the async methods`);
      const value = toReply(command, send(argvOf(command, args)), buffers);
      if (command.length === 6) this.noteSelect(command, args);
      return value;
    };
    const sync: Record<string, unknown> = { call: (command: string, ...args: Arg[]) => syncCall(command, false, args) };
    for (const name of COMMAND_NAMES) {
      sync[name] = (...args: Arg[]) => syncCall(name, false, args);
      sync[`${name}Buffer`] = (...args: Arg[]) => syncCall(name, true, args);
    }
    this.sync = sync as unknown as NodisClient['sync'];
  }

  /** Sends any command; resolves to its decoded reply, rejects with ReplyError on an error reply. */
  call(command: string, ...args: Arg[]): Promise<Value> {
    return this.callArgs(command, args, false);
  }

  /** Like call, with bulk strings as Buffers. */
  callBuffer(command: string, ...args: Arg[]): Promise<Value> {
    return this.callArgs(command, args, true);
  }

  /** call / callBuffer with the arguments as an array (what the command methods use). */
  async callArgs(command: string, args: Arg[], buffers: boolean): Promise<Value> {
    const value = toReply(command, await this.transport.send(argvOf(command, args), this.callOptions), buffers);
    if (command.length === 6) this.noteSelect(command, args);
    return value;
  }

  /**
   * A successful SELECT through this client: its transactions' connections select the same
   * database (they open on the connection's first one). A SELECT inside a pipeline or multi
   * is not followed.
   */
  private noteSelect(command: string, args: Arg[]): void {
    if (command.toLowerCase() === 'select' && args.length === 1) this.shared.db = encodeArg(args[0]!);
  }

  /**
   * The same client (same connection) whose calls take these options:
   *   const ac = new AbortController();
   *   const job = db.with({ signal: ac.signal }).blpop('jobs', 0);
   *   ac.abort();   // job rejects with an AbortError (or resolves, if it had already popped)
   */
  with(options: CallOptions): this {
    const view = Object.create(this) as this;
    Object.defineProperty(view, 'callOptions', { value: options });
    return view;
  }

  /** Queues commands to send as one batch: `await db.pipeline().incr('a').get('b').exec()`. */
  pipeline(): TypedPipeline { return new Pipeline(this.transport, this.callOptions) as TypedPipeline; }

  /**
   * A transaction builder: `await db.multi().set('a', '1').incr('n').exec()` sends MULTI, the
   * commands and EXEC as one batch. exec() resolves to one entry per command (its value, or
   * the ReplyError of a command that failed while running: Redis does not roll back), to null
   * when a WATCHed key changed, and rejects with EXECABORT when a command was refused while
   * queued. `.call('ANY', …)` queues any command. See Multi.
   */
  multi(): TypedMulti { return new Multi(this.transport, this.callOptions) as TypedMulti; }

  /**
   * Optimistic check-and-set: on a connection of its own, WATCHes `keys`, runs `fn(tx)` (read
   * through `tx`: `await tx.get('k')`), then EXECs the multi it returns (`return
   * tx.multi().set('k', v)`). When a watched key changed meanwhile (by anyone, by expiry, by
   * FLUSHALL), runs `fn` again, up to `retries` more times (default 100), then rejects.
   * Resolves to EXEC's results; to null when `fn` returned nothing (nothing is written).
   * If `fn` throws, the keys are unwatched and the error passes through.
   *
   *   const [n] = await db.transaction(['n'], async (tx) => {
   *     const n = Number(await tx.get('n') ?? 0);
   *     return tx.multi().set('n', n + 1);
   *   });
   */
  transaction(
    keys: Arg | readonly Arg[],
    fn: (tx: TransactionClient & Commands) => TransactionResult | Promise<TransactionResult>,
    options?: TransactionOptions,
  ): Promise<(Value | ReplyError)[] | null> {
    const list = (Array.isArray(keys) ? keys : [keys]) as Arg[];
    const shared = this.shared;
    const pool = shared.pool ??= new ConnectionPool(this.transport);
    const callOptions = this.callOptions;
    let tx: TransactionClient | undefined;
    return runTransaction(pool, list.map(encodeArg), {
      client: (t) => {
        tx = new TransactionClient(t);
        return (callOptions !== undefined ? tx.with(callOptions) : tx) as TransactionClient & Commands;
      },
      db: () => shared.db,
      // A connection the callback moved to another database is not reused.
      reusable: () => tx?.shared.db === undefined,
    }, fn, options, callOptions);
  }

  /**
   * Subscribes to channels; resolves once the server has confirmed every one, to a
   * Subscription: an async iterator of `{ channel, message, pattern: undefined }`.
   *
   *   const sub = await db.subscribe('news', 'alerts');
   *   for await (const m of sub) console.log(m.channel, m.message);   // break unsubscribes
   *
   * Every Subscription of a client shares one subscriber connection (RESP3); a channel two of
   * them listen to is subscribed once and each gets every message. Messages that arrive while
   * nobody pulls are held (`{ highWaterMark }` bounds them). `db.with({ signal })` or
   * `{ signal }` ends the Subscription when the signal aborts. After a lost connection the
   * channels are subscribed again on a new one: messages published meanwhile are lost (at
   * most once, as Redis). PUBLISH counts the subscriber connection once per matching
   * subscription (a channel and a pattern that both match count twice), not per Subscription
   * object. Needs RESP3 on the server: nodis, or Redis 6 and later.
   */
  subscribe(...args: SubscribeArgs): Promise<Subscription<Message>> {
    return this.listen('channel', args, decodeMessage);
  }

  /** subscribe() with the messages as Buffers: `{ channel, message, pattern: undefined }`. */
  subscribeBuffer(...args: SubscribeArgs): Promise<Subscription<MessageBuffer>> {
    return this.listen('channel', args, decodeMessageBuffer);
  }

  /**
   * Subscribes to glob-style patterns (`news.*`, `h?llo`, `[ab]*`), as subscribe();
   * messages carry the pattern that matched: `{ channel, message, pattern }`.
   */
  psubscribe(...args: SubscribeArgs): Promise<Subscription<Message>> {
    return this.listen('pattern', args, decodeMessage);
  }

  /** psubscribe() with the messages as Buffers. */
  psubscribeBuffer(...args: SubscribeArgs): Promise<Subscription<MessageBuffer>> {
    return this.listen('pattern', args, decodeMessageBuffer);
  }

  /** Subscribes to shard channels (SPUBLISH), as subscribe(). */
  ssubscribe(...args: SubscribeArgs): Promise<Subscription<Message>> {
    return this.listen('shard', args, decodeMessage);
  }

  /** ssubscribe() with the messages as Buffers. */
  ssubscribeBuffer(...args: SubscribeArgs): Promise<Subscription<MessageBuffer>> {
    return this.listen('shard', args, decodeMessageBuffer);
  }

  private async listen<M>(kind: SubscriptionKind, args: SubscribeArgs, decode: (c: never, m: never, p: never) => M): Promise<Subscription<M>> {
    const last = args[args.length - 1];
    const options: SubscribeOptions = isSubscribeOptions(last) ? last : {};
    const names = (isSubscribeOptions(last) ? args.slice(0, -1) : args) as Arg[];
    if (names.length === 0) throw new TypeError(`nodis: ${kind === 'pattern' ? 'psubscribe' : kind === 'shard' ? 'ssubscribe' : 'subscribe'}() needs at least one name`);
    const highWaterMark = options.highWaterMark ?? Infinity;
    if (!(highWaterMark >= 1)) throw new RangeError(`nodis: highWaterMark must be at least 1, not ${String(options.highWaterMark)}`);
    const signals = [options.signal, this.callOptions?.signal].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    if (signal?.aborted) throw signal.reason;
    const hub = this.shared.subscriber ??= new Subscriber(this.transport);
    const sub = new Subscription<M>(hub, kind, names.map(encodeArg), decode as never, highWaterMark);
    if (signal !== undefined) {
      const onAbort = (): void => sub.close();
      signal.addEventListener('abort', onAbort, { once: true });
      sub.onEnd = () => signal.removeEventListener('abort', onAbort);
    }
    try {
      await hub.add(sub);
    } catch (e) {
      sub.close();
      throw e;
    }
    if (signal?.aborted) {
      sub.close();
      throw signal.reason;
    }
    return sub;
  }

  /** Closes the connection, the subscriber connection (every Subscription ends) and the transaction pool. */
  async close(): Promise<void> {
    const { subscriber, pool } = this.shared;
    await Promise.all([subscriber?.close(), pool?.close(), this.transport.close()]);
  }

  [Symbol.asyncDispose](): Promise<void> { return this.close(); }
}

function isSubscribeOptions(x: unknown): x is SubscribeOptions {
  return typeof x === 'object' && x !== null && !(x instanceof Uint8Array);
}

/**
 * `db.watch()` would WATCH on the shared connection, for every caller of the client at once:
 * it says where to go instead (raw `db.call('WATCH', …)` still sends it).
 */
Object.defineProperty(NodisClient.prototype, 'watch', {
  value: function watch(): never {
    throw new Error('nodis: db.watch() is not available: the client\'s connection is shared by every caller, so WATCH there would not guard your transaction. Use db.transaction(keys, async (tx) => { …; return tx.multi()… }), which WATCHes on a connection of its own');
  },
  writable: true, configurable: true,
});

/**
 * The client a transaction callback gets: commands on the transaction's own connection, plus
 * watch()/unwatch() (WATCH more keys as the callback learns them). Its connection belongs to
 * db.transaction: close() and pub/sub are refused.
 */
export class TransactionClient extends NodisClient {
  /** WATCHes more keys for this transaction (those given to db.transaction already are). */
  async watch(...keys: Arg[]): Promise<'OK'> {
    return await this.callArgs('WATCH', keys, false) as 'OK';
  }

  /** Forgets every watched key of this transaction. */
  async unwatch(): Promise<'OK'> {
    return await this.callArgs('UNWATCH', [], false) as 'OK';
  }

  override close(): Promise<void> {
    return Promise.reject(new Error('nodis: a transaction\'s connection is closed by db.transaction, not by its callback'));
  }

  override transaction(): Promise<never> {
    return Promise.reject(new Error('nodis: transactions do not nest: return tx.multi()… from the callback'));
  }

  override subscribe(): Promise<never> { return refusePubSub(); }
  override subscribeBuffer(): Promise<never> { return refusePubSub(); }
  override psubscribe(): Promise<never> { return refusePubSub(); }
  override psubscribeBuffer(): Promise<never> { return refusePubSub(); }
  override ssubscribe(): Promise<never> { return refusePubSub(); }
  override ssubscribeBuffer(): Promise<never> { return refusePubSub(); }
}

function refusePubSub(): Promise<never> {
  return Promise.reject(new Error('nodis: subscribe on the client (db), not on a transaction\'s tx'));
}

defineCommandMethods(NodisClient.prototype);

export type Nodis = NodisClient & Commands;
/** A pipeline with a method per command: `db.pipeline().incr('a').get('b').exec()`. */
export interface TypedPipeline extends Pipeline, PipelineCommands<TypedPipeline> {}
export type { TypedMulti };
