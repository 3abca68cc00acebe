import { defineCommand, type Command } from '../command.js';
import { MultiState } from '../multi.js';
import { keySpec } from '../spec.js';

/**
 * MULTI, EXEC, DISCARD, WATCH, UNWATCH (Redis 7.0). Queueing happens in Engine.execute (every
 * command but these and QUIT/RESET is queued inside MULTI); EXEC runs the queue in
 * Engine.exec; WATCH's bookkeeping is multi.ts.
 */

const FLAGS = ['noscript', 'loading', 'stale', 'fast', 'allow_busy'] as const;

// MULTI
const multi = defineCommand({
  name: 'multi', arity: 1, flags: [...FLAGS], keys: [0, 0, 0], group: 'transactions', since: '1.2.0',
  summary: 'Mark the start of a transaction block', complexity: 'O(1)',
  run(ctx) {
    if (ctx.multi !== undefined) return ctx.reply.error('ERR MULTI calls can not be nested');
    ctx.multi = new MultiState();
    ctx.reply.simple('OK');
  },
});

// EXEC
const exec = defineCommand({
  name: 'exec', arity: 1, flags: ['noscript', 'loading', 'stale', 'skip_slowlog'], keys: [0, 0, 0],
  group: 'transactions', since: '1.2.0', summary: 'Execute all commands issued after MULTI',
  complexity: 'Depends on commands in the transaction',
  run(ctx) { ctx.engine.exec(ctx); },
});

// DISCARD
const discard = defineCommand({
  name: 'discard', arity: 1, flags: [...FLAGS], keys: [0, 0, 0], group: 'transactions', since: '2.0.0',
  summary: 'Discard all commands issued after MULTI', complexity: 'O(N), when N is the number of queued commands',
  run(ctx) {
    if (ctx.multi === undefined) return ctx.reply.error('ERR DISCARD without MULTI');
    ctx.multi = undefined;
    ctx.engine.watching.unwatchAll(ctx);
    ctx.reply.simple('OK');
  },
});

// WATCH key [key ...]
const watch = defineCommand({
  name: 'watch', arity: -2, flags: [...FLAGS], keys: [1, -1, 1], group: 'transactions', since: '2.2.0',
  summary: 'Watch the given keys to determine execution of the MULTI/EXEC block', complexity: 'O(1) for every key.',
  keySpecs: [keySpec(['RO'], 1, -1)],
  arguments: [{ name: 'key', type: 'key', keySpecIndex: 0, multiple: true }],
  run(ctx, argv) {
    if (ctx.multi !== undefined) return ctx.reply.error('ERR WATCH inside MULTI is not allowed');
    // A transaction already doomed stays doomed: nothing more to watch (Redis returns OK too).
    if (ctx.watch?.dirty !== true) {
      for (let i = 1; i < argv.length; i++) ctx.engine.watching.watch(ctx, ctx.db, argv[i]!, ctx.engine.time);
    }
    ctx.reply.simple('OK');
  },
});

// UNWATCH
const unwatch = defineCommand({
  name: 'unwatch', arity: 1, flags: [...FLAGS], keys: [0, 0, 0], group: 'transactions', since: '2.2.0',
  summary: 'Forget about all watched keys', complexity: 'O(1)',
  run(ctx) {
    ctx.engine.watching.unwatchAll(ctx);
    ctx.reply.simple('OK');
  },
});

export const transactionCommands: readonly Command[] = [multi, exec, discard, watch, unwatch];
