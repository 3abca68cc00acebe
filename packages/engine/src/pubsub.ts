import type { Client } from './client.js';
import { globMatch } from './glob.js';

/**
 * Pub/Sub: who listens to what, and delivery. Channels, patterns and shard channels (a single
 * node serves every shard channel, as Redis standalone does) each map a name to the clients
 * subscribed to it; each client keeps the reverse sets (client.pubsub).
 *
 * A message is written into each receiver's reply stream at once, while PUBLISH runs, so every
 * subscriber sees one publisher's messages in the order they were published (one command runs
 * at a time). The host flushes it (onDeferredReply) once the publishing command has finished;
 * a subscriber that does not read is bounded by client-output-buffer-limit's pubsub class.
 *
 * Replies, as Redis 7.0 writes them: RESP2 arrays, RESP3 pushes.
 *   subscribe / psubscribe / ssubscribe / unsubscribe ...   [kind, name or nil, count]
 *   message                                                 ['message', channel, payload]
 *   pmessage                                                ['pmessage', pattern, channel, payload]
 *   smessage                                                ['smessage', channel, payload]
 * The count is channels + patterns (Redis's clientSubscriptionsCount), or the shard channels
 * alone for the shard commands.
 */

export class ClientSubscriptions {
  readonly channels = new Set<string>();
  readonly patterns = new Set<string>();
  readonly shardChannels = new Set<string>();
  /** The count in (un)subscribe replies: channels and patterns. */
  get count(): number { return this.channels.size + this.patterns.size; }
  get total(): number { return this.channels.size + this.patterns.size + this.shardChannels.size; }
}

export type SubscriptionKind = 'channel' | 'pattern' | 'shard';

const REPLY_NAMES: Record<SubscriptionKind, [subscribe: string, unsubscribe: string]> = {
  channel: ['subscribe', 'unsubscribe'],
  pattern: ['psubscribe', 'punsubscribe'],
  shard: ['ssubscribe', 'sunsubscribe'],
};

export class PubSub {
  readonly channels = new Map<string, Set<Client>>();
  readonly patterns = new Map<string, Set<Client>>();
  readonly shardChannels = new Map<string, Set<Client>>();

  private registry(kind: SubscriptionKind): Map<string, Set<Client>> {
    return kind === 'channel' ? this.channels : kind === 'pattern' ? this.patterns : this.shardChannels;
  }

  private own(client: Client, kind: SubscriptionKind): Set<string> {
    const subs = client.pubsub ??= new ClientSubscriptions();
    return kind === 'channel' ? subs.channels : kind === 'pattern' ? subs.patterns : subs.shardChannels;
  }

  private static countFor(client: Client, kind: SubscriptionKind): number {
    const subs = client.pubsub;
    if (subs === undefined) return 0;
    return kind === 'shard' ? subs.shardChannels.size : subs.count;
  }

  /** SUBSCRIBE / PSUBSCRIBE / SSUBSCRIBE: one confirmation per name, in order. */
  subscribe(client: Client, kind: SubscriptionKind, names: readonly string[]): void {
    const mine = this.own(client, kind);
    const registry = this.registry(kind);
    const reply = client.reply;
    for (const name of names) {
      if (!mine.has(name)) {
        mine.add(name);
        let set = registry.get(name);
        if (set === undefined) registry.set(name, set = new Set());
        set.add(client);
      }
      reply.push(3);
      reply.bulk(REPLY_NAMES[kind][0]);
      reply.bulk(name);
      reply.int(PubSub.countFor(client, kind));
    }
  }

  /**
   * UNSUBSCRIBE / PUNSUBSCRIBE / SUNSUBSCRIBE: the names given, or every subscription of that
   * kind when none is; with nothing to drop, one confirmation with a nil name.
   */
  unsubscribe(client: Client, kind: SubscriptionKind, names: readonly string[] | undefined, notify = true): void {
    const mine = client.pubsub === undefined ? undefined : this.own(client, kind);
    const list = names ?? (mine === undefined ? [] : [...mine]);
    const reply = client.reply;
    for (const name of list) {
      this.drop(client, kind, name);
      if (!notify) continue;
      reply.push(3);
      reply.bulk(REPLY_NAMES[kind][1]);
      reply.bulk(name);
      reply.int(PubSub.countFor(client, kind));
    }
    if (notify && list.length === 0) {
      reply.push(3);
      reply.bulk(REPLY_NAMES[kind][1]);
      reply.null();
      reply.int(PubSub.countFor(client, kind));
    }
  }

  private drop(client: Client, kind: SubscriptionKind, name: string): void {
    const subs = client.pubsub;
    if (subs === undefined) return;
    const mine = kind === 'channel' ? subs.channels : kind === 'pattern' ? subs.patterns : subs.shardChannels;
    if (!mine.delete(name)) return;
    const registry = this.registry(kind);
    const set = registry.get(name);
    if (set === undefined) return;
    set.delete(client);
    if (set.size === 0) registry.delete(name);
  }

  /** The client is gone or RESET: every subscription is dropped, without replies. */
  removeClient(client: Client): void {
    const subs = client.pubsub;
    if (subs === undefined) return;
    for (const kind of ['channel', 'pattern', 'shard'] as const) this.unsubscribe(client, kind, undefined, false);
    client.pubsub = undefined;
  }

  /**
   * The client whose command is running (or a blocked client being served): a message for it
   * (a RESP3 client publishing to itself, or a keyspace event its own command caused) waits
   * until its reply is complete, so it can never land inside that reply (an EXEC array).
   * flushSelf() writes it.
   */
  running: Client | undefined;
  private readonly held: { client: Client; items: string[] }[] = [];

  private deliver(client: Client, items: string[]): void {
    if (client === this.running) {
      this.held.push({ client, items });
      return;
    }
    const reply = client.reply;
    reply.push(items.length);
    for (let i = 0; i < items.length; i++) reply.bulk(items[i]!);
    client.onDeferredReply?.();
  }

  /** Writes the messages held for `client` after its reply (Engine.execute, blocked clients served). */
  flushSelf(client: Client): void {
    const held = this.held;
    if (held.length === 0) return;
    let kept = 0;
    for (const entry of held) {
      if (entry.client !== client) {
        held[kept++] = entry;
        continue;
      }
      const reply = client.reply;
      reply.push(entry.items.length);
      for (let i = 0; i < entry.items.length; i++) reply.bulk(entry.items[i]!);
    }
    held.length = kept;
  }

  /** PUBLISH: delivers to channel and pattern subscribers; returns how many received it. */
  publish(channel: string, message: string): number {
    let receivers = 0;
    const direct = this.channels.get(channel);
    if (direct !== undefined) {
      for (const client of direct) this.deliver(client, ['message', channel, message]);
      receivers += direct.size;
    }
    if (this.patterns.size !== 0) {
      for (const [pattern, clients] of this.patterns) {
        if (!globMatch(pattern, channel)) continue;
        for (const client of clients) this.deliver(client, ['pmessage', pattern, channel, message]);
        receivers += clients.size;
      }
    }
    return receivers;
  }

  /** SPUBLISH: shard channel subscribers only. */
  publishShard(channel: string, message: string): number {
    const clients = this.shardChannels.get(channel);
    if (clients === undefined) return 0;
    for (const client of clients) this.deliver(client, ['smessage', channel, message]);
    return clients.size;
  }
}
