import type { Client } from '../client.js';
import { defineCommand, type Command } from '../command.js';
import { subcommandSyntax } from '../errors.js';
import { globMatch } from '../glob.js';
import { keySpec } from '../spec.js';
import type { SubscriptionKind } from '../pubsub.js';
import { writeHelp } from './server.js';

/**
 * Pub/Sub commands (pubsub.ts holds the registry): SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE, their
 * UNSUBSCRIBEs, PUBLISH, SPUBLISH and PUBSUB CHANNELS / NUMSUB / NUMPAT / SHARDCHANNELS /
 * SHARDNUMSUB, as Redis 7.0 standalone answers them (shard channels are channels of their own,
 * all served by this one node).
 */

const SUBSCRIBE_FLAGS = ['pubsub', 'noscript', 'loading', 'stale'] as const;
const PUBLISH_FLAGS = ['pubsub', 'loading', 'stale', 'fast'] as const;
const PUBSUB_FLAGS = ['pubsub', 'loading', 'stale'] as const;

function subscribeHandler(kind: SubscriptionKind) {
  return (ctx: Client, argv: string[]): void => { ctx.engine.pubsub.subscribe(ctx, kind, argv.slice(1)); };
}

function unsubscribeHandler(kind: SubscriptionKind) {
  return (ctx: Client, argv: string[]): void => {
    ctx.engine.pubsub.unsubscribe(ctx, kind, argv.length > 1 ? argv.slice(1) : undefined);
  };
}

// SUBSCRIBE channel [channel ...]
const subscribe = defineCommand({
  name: 'subscribe', arity: -2, flags: [...SUBSCRIBE_FLAGS], keys: [0, 0, 0], group: 'pubsub', since: '2.0.0',
  summary: 'Listen for messages published to the given channels',
  complexity: 'O(N) where N is the number of channels to subscribe to.',
  arguments: [{ name: 'channel', type: 'string', multiple: true }],
  run: subscribeHandler('channel'),
});

// UNSUBSCRIBE [channel [channel ...]]
const unsubscribe = defineCommand({
  name: 'unsubscribe', arity: -1, flags: [...SUBSCRIBE_FLAGS], keys: [0, 0, 0], group: 'pubsub', since: '2.0.0',
  summary: 'Stop listening for messages posted to the given channels',
  complexity: 'O(N) where N is the number of clients already subscribed to a channel.',
  arguments: [{ name: 'channel', type: 'string', optional: true, multiple: true }],
  run: unsubscribeHandler('channel'),
});

// PSUBSCRIBE pattern [pattern ...]
const psubscribe = defineCommand({
  name: 'psubscribe', arity: -2, flags: [...SUBSCRIBE_FLAGS], keys: [0, 0, 0], group: 'pubsub', since: '2.0.0',
  summary: 'Listen for messages published to channels matching the given patterns',
  complexity: 'O(N) where N is the number of patterns the client is already subscribed to.',
  arguments: [{ name: 'pattern', type: 'block', multiple: true, arguments: [{ name: 'pattern', type: 'pattern' }] }],
  run: subscribeHandler('pattern'),
});

// PUNSUBSCRIBE [pattern [pattern ...]]
const punsubscribe = defineCommand({
  name: 'punsubscribe', arity: -1, flags: [...SUBSCRIBE_FLAGS], keys: [0, 0, 0], group: 'pubsub', since: '2.0.0',
  summary: 'Stop listening for messages posted to channels matching the given patterns',
  complexity: 'O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).',
  arguments: [{ name: 'pattern', type: 'pattern', optional: true, multiple: true }],
  run: unsubscribeHandler('pattern'),
});

// SSUBSCRIBE shardchannel [shardchannel ...]
const ssubscribe = defineCommand({
  name: 'ssubscribe', arity: -2, flags: [...SUBSCRIBE_FLAGS], keys: [1, -1, 1], group: 'pubsub', since: '7.0.0',
  summary: 'Listen for messages published to the given shard channels',
  complexity: 'O(N) where N is the number of shard channels to subscribe to.',
  keySpecs: [keySpec(['not_key'], 1, -1)],
  arguments: [{ name: 'shardchannel', type: 'string', multiple: true }],
  run: subscribeHandler('shard'),
});

// SUNSUBSCRIBE [shardchannel [shardchannel ...]]
const sunsubscribe = defineCommand({
  name: 'sunsubscribe', arity: -1, flags: [...SUBSCRIBE_FLAGS], keys: [1, -1, 1], group: 'pubsub', since: '7.0.0',
  summary: 'Stop listening for messages posted to the given shard channels',
  complexity: 'O(N) where N is the number of clients already subscribed to a shard channel.',
  keySpecs: [keySpec(['not_key'], 1, -1)],
  arguments: [{ name: 'shardchannel', type: 'string', optional: true, multiple: true }],
  run: unsubscribeHandler('shard'),
});

// PUBLISH channel message
const publish = defineCommand({
  name: 'publish', arity: 3, flags: [...PUBLISH_FLAGS], keys: [0, 0, 0], group: 'pubsub', since: '2.0.0',
  summary: 'Post a message to a channel',
  complexity: 'O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).',
  arguments: [{ name: 'channel', type: 'string' }, { name: 'message', type: 'string' }],
  run(ctx, argv) { ctx.reply.int(ctx.engine.pubsub.publish(argv[1]!, argv[2]!)); },
});

// SPUBLISH shardchannel message
const spublish = defineCommand({
  name: 'spublish', arity: 3, flags: [...PUBLISH_FLAGS], keys: [1, 1, 1], group: 'pubsub', since: '7.0.0',
  summary: 'Post a message to a shard channel',
  complexity: 'O(N) where N is the number of clients subscribed to the receiving shard channel.',
  keySpecs: [keySpec(['not_key'], 1, 0)],
  arguments: [{ name: 'shardchannel', type: 'string' }, { name: 'message', type: 'string' }],
  run(ctx, argv) { ctx.reply.int(ctx.engine.pubsub.publishShard(argv[1]!, argv[2]!)); },
});

/** PUBSUB CHANNELS / SHARDCHANNELS: active names matching the pattern (default every one). */
function listChannels(ctx: Client, registry: Map<string, Set<Client>>, argv: string[]): void {
  const pattern = argv.length > 2 ? argv[2]! : undefined;
  const names: string[] = [];
  for (const name of registry.keys()) if (pattern === undefined || globMatch(pattern, name)) names.push(name);
  ctx.reply.array(names.length);
  for (const n of names) ctx.reply.bulk(n);
}

/** PUBSUB NUMSUB / SHARDNUMSUB: name, count pairs in a flat array (a map nowhere in 7.0). */
function countSubscribers(ctx: Client, registry: Map<string, Set<Client>>, argv: string[]): void {
  ctx.reply.array((argv.length - 2) * 2);
  for (let i = 2; i < argv.length; i++) {
    ctx.reply.bulk(argv[i]!);
    ctx.reply.int(registry.get(argv[i]!)?.size ?? 0);
  }
}

const pubsubSubcommands: Command[] = [
  // PUBSUB CHANNELS [pattern]
  defineCommand({
    name: 'channels', arity: -2, flags: [...PUBSUB_FLAGS], keys: [0, 0, 0], group: 'pubsub', since: '2.8.0',
    summary: 'List active channels',
    complexity: 'O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)',
    arguments: [{ name: 'pattern', type: 'pattern', optional: true }],
    run(ctx, argv) {
      if (argv.length > 3) return ctx.reply.error(subcommandSyntax(argv[1]!, 'pubsub'));
      listChannels(ctx, ctx.engine.pubsub.channels, argv);
    },
  }),
  // PUBSUB NUMSUB [channel ...]
  defineCommand({
    name: 'numsub', arity: -2, flags: [...PUBSUB_FLAGS], keys: [0, 0, 0], group: 'pubsub', since: '2.8.0',
    summary: 'Get the count of subscribers for channels',
    complexity: 'O(N) for the NUMSUB subcommand, where N is the number of requested channels',
    arguments: [{ name: 'channel', type: 'string', optional: true, multiple: true }],
    run(ctx, argv) { countSubscribers(ctx, ctx.engine.pubsub.channels, argv); },
  }),
  // PUBSUB NUMPAT
  defineCommand({
    name: 'numpat', arity: 2, flags: [...PUBSUB_FLAGS], keys: [0, 0, 0], group: 'pubsub', since: '2.8.0',
    summary: 'Get the count of unique patterns pattern subscriptions', complexity: 'O(1)',
    run(ctx) { ctx.reply.int(ctx.engine.pubsub.patterns.size); },
  }),
  // PUBSUB SHARDCHANNELS [pattern]
  defineCommand({
    name: 'shardchannels', arity: -2, flags: [...PUBSUB_FLAGS], keys: [0, 0, 0], group: 'pubsub', since: '7.0.0',
    summary: 'List active shard channels',
    complexity: 'O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).',
    arguments: [{ name: 'pattern', type: 'pattern', optional: true }],
    run(ctx, argv) {
      if (argv.length > 3) return ctx.reply.error(subcommandSyntax(argv[1]!, 'pubsub'));
      listChannels(ctx, ctx.engine.pubsub.shardChannels, argv);
    },
  }),
  // PUBSUB SHARDNUMSUB [shardchannel ...]
  defineCommand({
    name: 'shardnumsub', arity: -2, flags: [...PUBSUB_FLAGS], keys: [0, 0, 0], group: 'pubsub', since: '7.0.0',
    summary: 'Get the count of subscribers for shard channels',
    complexity: 'O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels',
    arguments: [{ name: 'shardchannel', type: 'string', optional: true, multiple: true }],
    run(ctx, argv) { countSubscribers(ctx, ctx.engine.pubsub.shardChannels, argv); },
  }),
  // PUBSUB HELP
  defineCommand({
    name: 'help', arity: 2, flags: ['loading', 'stale'], keys: [0, 0, 0], group: 'pubsub', since: '6.2.0',
    summary: 'Show helpful text about the different subcommands', complexity: 'O(1)',
    run(ctx) {
      writeHelp(ctx, [
        'PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
        'CHANNELS [<pattern>]',
        "    Return the currently active channels matching a <pattern> (default: '*').",
        'NUMPAT',
        '    Return number of subscriptions to patterns.',
        'NUMSUB [<channel> ...]',
        '    Return the number of subscribers for the specified channels, excluding',
        '    pattern subscriptions(default: no channels).',
        'SHARDCHANNELS [<pattern>]',
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        'SHARDNUMSUB [<shardchannel> ...]',
        '    Return the number of subscribers for the specified shard level channel(s)',
        'HELP',
        '    Prints this help.',
      ]);
    },
  }),
];

// PUBSUB <subcommand>
const pubsub = defineCommand({
  name: 'pubsub', arity: -2, flags: [], keys: [0, 0, 0], group: 'pubsub', since: '2.8.0',
  summary: 'A container for Pub/Sub commands', complexity: 'Depends on subcommand.',
  subcommands: pubsubSubcommands,
});

export const pubsubCommands: readonly Command[] = [
  subscribe, unsubscribe, psubscribe, punsubscribe, ssubscribe, sunsubscribe, publish, spublish, pubsub,
];
