import { ReplyError, type Reply, type ReplyPush } from '@nodis/protocol';
import { decodeBytes, decodeReply } from './codec.js';
import { pushKindOf } from './call-queue.js';
import type { Transport } from './transport.js';

/**
 * Pub/sub for a client: Subscription objects (async iterators of messages) over ONE
 * subscriber connection per client, opened on the first subscribe() with the transport's
 * duplicate() and switched to RESP3, so every message and every (un)subscribe confirmation is
 * a push and the connection stays usable for PING and the like; the client's own connection
 * keeps serving commands.
 *
 * The Subscriber keeps, per kind (channels, patterns, shard channels), which Subscription
 * objects listen to each name, and which names it has subscribed on the server. A name is
 * subscribed once on the server however many Subscriptions listen to it (each gets every
 * message), and unsubscribed when its last listener goes. Commands on the subscriber
 * connection run in the order sent, so that bookkeeping is what the server holds.
 *
 * Confirmations: SUBSCRIBE a b is sent with sendPushAnswered, answered by one 'subscribe'
 * push per name (the transport matches them to the oldest call; messages in between go to
 * onPush), or by one non-push reply when the server refuses it (an ACL error, CROSSSLOT): the
 * call then rejects with it and nothing of it was subscribed.
 *
 * Lost connection (the server closed it: CLIENT KILL, the pubsub output buffer limit, a
 * restart): the Subscriber subscribes every name again on the next connection (socket and
 * resp reconnect with their backoff, retrying while the server is unreachable; thread opens
 * a new ring connection). Messages published meanwhile are lost: delivery is at most once,
 * as Redis's pub/sub; the Subscriptions go on and are not told of the gap. A subscribe()
 * whose confirmation was due when the connection broke rejects. When the store has stopped
 * (thread: no new connection can be opened) every Subscription ends with the error.
 */

export type SubscriptionKind = 'channel' | 'pattern' | 'shard';

/** A message, text: channel, payload and (for a pattern subscription) the pattern as UTF-8. */
export interface Message {
  channel: string;
  message: string;
  /** The pattern that matched (psubscribe); undefined for channel and shard subscriptions. */
  pattern: string | undefined;
}

/** A message as bytes (subscribeBuffer, psubscribeBuffer, ssubscribeBuffer). */
export interface MessageBuffer {
  channel: Buffer;
  message: Buffer;
  pattern: Buffer | undefined;
}

/** The options of subscribe(), psubscribe() and ssubscribe(), given after the names. */
export interface SubscribeOptions {
  /**
   * Messages a Subscription may hold that the iterator has not taken yet. Past it, the
   * Subscription unsubscribes and ends: the iterator yields what it holds, then throws an
   * error saying so. Default: no limit (a consumer that never pulls holds every message in
   * memory: set one where the consumer may fall behind for long).
   */
  highWaterMark?: number;
  /** Ends the Subscription (the iteration finishes, done) when it aborts. */
  signal?: AbortSignal;
}

const KINDS: readonly SubscriptionKind[] = ['channel', 'pattern', 'shard'];

/** Per kind: the commands and the kind of their confirmation pushes. */
const COMMANDS: Record<SubscriptionKind, { subscribe: string; unsubscribe: string; confirms: string; unconfirms: string }> = {
  channel: { subscribe: 'SUBSCRIBE', unsubscribe: 'UNSUBSCRIBE', confirms: 'subscribe', unconfirms: 'unsubscribe' },
  pattern: { subscribe: 'PSUBSCRIBE', unsubscribe: 'PUNSUBSCRIBE', confirms: 'psubscribe', unconfirms: 'punsubscribe' },
  shard: { subscribe: 'SSUBSCRIBE', unsubscribe: 'SUNSUBSCRIBE', confirms: 'ssubscribe', unconfirms: 'sunsubscribe' },
};

/** A push item as a latin1 (byte) string: the key names are kept by. */
function bytesOf(item: Reply | undefined): string | undefined {
  if (typeof item === 'string') return item;
  if (item instanceof Uint8Array) return Buffer.from(item.buffer, item.byteOffset, item.byteLength).toString('latin1');
  return undefined;
}

type Decode<M> = (channel: Reply, message: Reply, pattern: Reply | undefined) => M;

export const decodeMessage: Decode<Message> = (channel, message, pattern) => ({
  channel: decodeReply(channel, false) as string,
  message: decodeReply(message, false) as string,
  pattern: pattern === undefined ? undefined : decodeReply(pattern, false) as string,
});

export const decodeMessageBuffer: Decode<MessageBuffer> = (channel, message, pattern) => ({
  channel: decodeReply(channel, true) as Buffer,
  message: decodeReply(message, true) as Buffer,
  pattern: pattern === undefined ? undefined : decodeReply(pattern, true) as Buffer,
});

/** What the Subscriber knows of a Subscription (whatever its message type). */
interface Listener {
  readonly kind: SubscriptionKind;
  readonly keys: readonly string[];
  readonly closed: boolean;
  registered: boolean;
  deliver(channel: Reply, message: Reply, pattern: Reply | undefined): void;
  end(error?: Error): void;
}

interface Waiter<M> {
  resolve: (r: IteratorResult<M, undefined>) => void;
  reject: (e: unknown) => void;
}

/**
 * What db.subscribe() resolves to: the messages of its channels (patterns, shard channels),
 * in the order the server sent them, as an async iterator.
 *
 *   const sub = await db.subscribe('news', 'alerts');
 *   for await (const { channel, message } of sub) { if (message === 'stop') break; }
 *
 * Messages that arrive while nobody pulls are held (see SubscribeOptions.highWaterMark).
 * `break` (return()), close(), unsubscribe(), `await using` and the AbortSignal end it and
 * unsubscribe what no other Subscription of the client listens to.
 */
export class Subscription<M = Message> implements AsyncIterableIterator<M, undefined>, AsyncDisposable, Listener {
  /** The names subscribed, as given (UTF-8). */
  readonly names: readonly string[];
  private held: M[] = [];
  private head = 0;
  private readonly waiters: Waiter<M>[] = [];
  /** No message is added any more. */
  private ended = false;
  /** Thrown by next() once the held messages are taken (an overflow, a stopped store). */
  private error: Error | undefined;
  /** The UNSUBSCRIBE this Subscription needed, once it ended. */
  private unsubscribed: Promise<void> | undefined;
  /** Listening in the Subscriber's registry. */
  registered = false;
  /** Called once when the Subscription ends (removes an abort listener). */
  onEnd: (() => void) | undefined;

  /** @internal Made by db.subscribe() and its twins. */
  constructor(
    private readonly hub: Subscriber,
    readonly kind: SubscriptionKind,
    /** The names as byte (latin1) strings, as sent and as pushes carry them. */
    readonly keys: readonly string[],
    private readonly decode: Decode<M>,
    private readonly highWaterMark: number,
  ) {
    this.names = keys.map((k) => decodeBytes(k, false) as string);
  }

  /** The Subscription has ended: no more messages will come (held ones may still be taken). */
  get closed(): boolean { return this.ended; }

  /** @internal A message for one of its names. */
  deliver(channel: Reply, message: Reply, pattern: Reply | undefined): void {
    if (this.ended) return;
    const m = this.decode(channel, message, pattern);
    const waiter = this.waiters.shift();
    if (waiter !== undefined) {
      waiter.resolve({ value: m, done: false });
      return;
    }
    if (this.held.length - this.head >= this.highWaterMark) {
      this.end(new Error(`nodis: the subscription to ${this.names.join(', ')} held ${this.highWaterMark} messages not taken (its highWaterMark) and was ended; messages after them were not received`));
      return;
    }
    this.held.push(m);
  }

  /** @internal Ends it: later messages are not received; `error` is thrown after the held ones. */
  end(error?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.error = error;
    for (const w of this.waiters.splice(0)) {
      if (this.error !== undefined) {
        w.reject(this.error);
        this.error = undefined;
      } else {
        w.resolve({ value: undefined, done: true });
      }
    }
    this.unsubscribed = this.hub.remove(this);
    this.unsubscribed.catch(() => { /* unsubscribe() reports it; close() does not */ });
    const onEnd = this.onEnd;
    this.onEnd = undefined;
    onEnd?.();
  }

  next(): Promise<IteratorResult<M, undefined>> {
    if (this.head < this.held.length) {
      const value = this.held[this.head]!;
      this.held[this.head++] = undefined as M;
      if (this.head === this.held.length) {
        this.held = [];
        this.head = 0;
      } else if (this.head > 1024 && this.head * 2 > this.held.length) {
        this.held = this.held.slice(this.head);
        this.head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.ended) {
      const error = this.error;
      this.error = undefined;
      return error !== undefined ? Promise.reject(error) : Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Ends it now (held messages are dropped); the UNSUBSCRIBE goes out in the background. */
  close(): void {
    this.held = [];
    this.head = 0;
    this.error = undefined;
    this.end();
  }

  /** close(), then waits until the server has confirmed the UNSUBSCRIBE it needed. */
  async unsubscribe(): Promise<void> {
    this.close();
    await this.unsubscribed;
  }

  /** `break` in `for await`: unsubscribes (waiting for the server), then the loop ends. */
  async return(): Promise<IteratorResult<M, undefined>> {
    await this.unsubscribe().catch(() => {});
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this { return this; }

  [Symbol.asyncDispose](): Promise<void> { return this.unsubscribe(); }
}

/** A client's pub/sub: its subscriber connection and who listens to what (see the top). */
export class Subscriber {
  private connection: Transport | undefined;
  private opening: Promise<Transport> | undefined;
  /** Per kind: name (bytes) → the Subscriptions listening. */
  private readonly listeners: Record<SubscriptionKind, Map<string, Set<Listener>>> = {
    channel: new Map(), pattern: new Map(), shard: new Map(),
  };
  /** Per kind: names subscribed on the server (or being), → the SUBSCRIBE that confirms them. */
  private readonly onServer: Record<SubscriptionKind, Map<string, Promise<void>>> = {
    channel: new Map(), pattern: new Map(), shard: new Map(),
  };
  /** Registered Subscriptions: while > 0 the connection listens (keeps a thread alive). */
  private live = 0;
  private closed = false;
  private restoring = false;

  constructor(private readonly main: Transport) {}

  /** Registers a Subscription and resolves once the server has confirmed all its names. */
  async add(sub: Listener): Promise<void> {
    const t = await this.connect();
    if (sub.closed) return;
    sub.registered = true;
    if (this.live++ === 0) t.listen?.(true);
    const listeners = this.listeners[sub.kind];
    const onServer = this.onServer[sub.kind];
    const fresh = new Set<string>();
    const waits = new Set<Promise<void>>();
    for (const key of sub.keys) {
      let set = listeners.get(key);
      if (set === undefined) listeners.set(key, set = new Set());
      set.add(sub);
      const subscribing = onServer.get(key);
      if (subscribing !== undefined) waits.add(subscribing);
      else fresh.add(key);
    }
    if (fresh.size !== 0) waits.add(this.command(t, sub.kind, 'subscribe', [...fresh]));
    await Promise.all(waits);
  }

  /** Unregisters a Subscription; resolves once the UNSUBSCRIBE it needed (if any) is confirmed. */
  remove(sub: Listener): Promise<void> {
    if (!sub.registered) return Promise.resolve();
    sub.registered = false;
    const listeners = this.listeners[sub.kind];
    const onServer = this.onServer[sub.kind];
    const gone: string[] = [];
    for (const key of sub.keys) {
      const set = listeners.get(key);
      if (set === undefined || !set.delete(sub) || set.size !== 0) continue;
      listeners.delete(key);
      if (onServer.delete(key)) gone.push(key);
    }
    const t = this.connection;
    let done = Promise.resolve();
    if (gone.length !== 0 && t !== undefined && !this.closed) {
      // A connection lost meanwhile took the subscription with it: that is unsubscribed too.
      done = this.command(t, sub.kind, 'unsubscribe', gone).catch((e: unknown) => {
        if (e instanceof ReplyError) throw e;
      });
    }
    if (--this.live === 0) t?.listen?.(false);
    return done;
  }

  /** Ends every Subscription (their iterations finish) and closes the subscriber connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const sub of this.subscriptions()) sub.end();
    const t = this.connection ?? await this.opening?.catch(() => undefined);
    this.connection = undefined;
    await t?.close();
  }

  private subscriptions(): Set<Listener> {
    const all = new Set<Listener>();
    for (const kind of KINDS) for (const set of this.listeners[kind].values()) for (const sub of set) all.add(sub);
    return all;
  }

  /** The subscriber connection, opened on first use. */
  private connect(): Promise<Transport> {
    if (this.closed) return Promise.reject(new Error('nodis: the connection is closed'));
    if (this.connection !== undefined) return Promise.resolve(this.connection);
    this.opening ??= (async () => {
      const main = this.main;
      if (main.duplicate === undefined) throw new Error(`nodis: the ${main.kind} transport has no pub/sub (it cannot open a subscriber connection)`);
      const t = await main.duplicate({ resp3: true });
      if (t.sendPushAnswered === undefined) {
        await t.close();
        throw new Error(`nodis: the ${main.kind} transport has no pub/sub (no commands answered by pushes)`);
      }
      if (this.closed) {
        await t.close();
        throw new Error('nodis: the connection is closed');
      }
      t.onPush = this.onPush;
      t.onConnectionLost = this.onLost;
      this.connection = t;
      if (this.live !== 0) t.listen?.(true);
      return t;
    })().finally(() => { this.opening = undefined; });
    return this.opening;
  }

  /**
   * Sends (UN)SUBSCRIBE for names; resolves when every confirmation came, rejects with the
   * server's error. A SUBSCRIBE records its names as on the server until it fails.
   */
  private command(t: Transport, kind: SubscriptionKind, op: 'subscribe' | 'unsubscribe', keys: string[]): Promise<void> {
    const c = COMMANDS[kind];
    const [name, confirms] = op === 'subscribe' ? [c.subscribe, c.confirms] : [c.unsubscribe, c.unconfirms];
    const sent = t.sendPushAnswered!([name, ...keys], confirms, keys.length).then((reply) => {
      if (reply instanceof ReplyError) throw reply;
    });
    if (op === 'subscribe') {
      const onServer = this.onServer[kind];
      for (const key of keys) onServer.set(key, sent);
      // Registered before any caller's handler: the names are forgotten before callers react.
      sent.catch(() => {
        for (const key of keys) if (onServer.get(key) === sent) onServer.delete(key);
      });
    }
    return sent;
  }

  private readonly onPush = (push: ReplyPush): void => {
    const items = push.items;
    switch (pushKindOf(push)) {
      case 'message': return this.deliver('channel', items[1], items[1], items[2], undefined);
      case 'pmessage': return this.deliver('pattern', items[1], items[2], items[3], items[1]);
      case 'smessage': return this.deliver('shard', items[1], items[1], items[2], undefined);
      default: // a confirmation nobody waits for, or a push of another feature: nothing to do
    }
  };

  private deliver(kind: SubscriptionKind, name: Reply | undefined, channel: Reply | undefined, message: Reply | undefined, pattern: Reply | undefined): void {
    const key = bytesOf(name);
    if (key === undefined || channel === undefined || message === undefined) return;
    const set = this.listeners[kind].get(key);
    if (set === undefined) return;
    for (const sub of set) sub.deliver(channel, message, pattern);
  }

  private readonly onLost = (error: Error, reconnects: boolean): void => {
    if (this.closed) return;
    // The server forgot every subscription of that connection.
    for (const kind of KINDS) this.onServer[kind].clear();
    if (!reconnects) {
      // That connection is finished (thread): the next one is a new duplicate.
      const t = this.connection;
      this.connection = undefined;
      void t?.close();
    }
    void this.restore(error);
  };

  /**
   * After a lost connection: subscribes every name listened to again, on the same transport
   * (which reconnects, retrying while the server is unreachable) or on a new connection (a
   * thread's). When no new connection can be had (the store stopped), every Subscription
   * ends with the error that lost the old one; a name the server now refuses ends its
   * Subscriptions with the refusal.
   */
  private async restore(lostWith: Error): Promise<void> {
    if (this.restoring) return;
    this.restoring = true;
    try {
      for (let attempt = 0; !this.closed && this.live !== 0; attempt++) {
        let t: Transport;
        try {
          t = await this.connect();
        } catch {
          for (const sub of this.subscriptions()) sub.end(lostWith);
          return;
        }
        const sent: { kind: SubscriptionKind; keys: string[]; done: Promise<void> }[] = [];
        for (const kind of KINDS) {
          const keys = [...this.listeners[kind].keys()].filter((k) => !this.onServer[kind].has(k));
          if (keys.length !== 0) sent.push({ kind, keys, done: this.command(t, kind, 'subscribe', keys) });
        }
        if (sent.length === 0) return;
        const outcomes = await Promise.allSettled(sent.map((s) => s.done));
        let retry = false;
        outcomes.forEach((o, i) => {
          if (o.status === 'fulfilled') return;
          if (!(o.reason instanceof ReplyError)) {
            retry = true;
            return;
          }
          const { kind, keys } = sent[i]!;
          for (const key of keys) for (const sub of [...this.listeners[kind].get(key) ?? []]) sub.end(o.reason);
        });
        if (!retry) return;
        // The transport waits its own backoff before connecting again; this spaces attempts
        // whose connection opened and then broke at once.
        await new Promise((r) => setTimeout(r, Math.min(2000, 50 * 2 ** Math.min(attempt, 6))));
      }
    } finally {
      this.restoring = false;
    }
  }
}
