import { ReplyError, type Reply } from '@nodis/protocol';
import { commandSpecs } from '@nodis/engine/specs';
import { decodeReply, encodeArg, type Arg, type Value } from './codec.js';
import { shapeReply } from './reply-shapes.js';

/**
 * What the command methods of clients, pipelines and multis share: argv encoding, reply
 * decoding, and the method names derived from the engine's specs.
 */

/** argv for the transport: the command name, then every argument as a byte string. */
export function argvOf(command: string, args: Arg[]): string[] {
  const argv = new Array<string>(args.length + 1);
  argv[0] = command;
  for (let i = 0; i < args.length; i++) argv[i + 1] = encodeArg(args[i]!);
  return argv;
}

/** A reply as the caller gets it; an error reply throws. */
export function toReply(command: string, r: Reply, buffers: boolean): Value {
  const v = decodeReply(r, buffers);
  if (v instanceof ReplyError) throw v;
  return shapeReply(command, v as Value);
}

/**
 * Commands with no generated method: the client's own API stands in for them. Pub/sub needs
 * a connection of its own (db.subscribe / psubscribe / ssubscribe return a Subscription);
 * MULTI … EXEC must leave as one batch (db.multi()); WATCH on the shared, pipelined
 * connection would watch for every caller at once (db.transaction takes a connection of its
 * own). `db.call('WATCH', …)` still sends anything. scripts/gen-client-commands.mjs leaves
 * the same names out of the types.
 */
export const API_COMMANDS: ReadonlySet<string> = new Set([
  'subscribe', 'psubscribe', 'ssubscribe', 'unsubscribe', 'punsubscribe', 'sunsubscribe',
  'multi', 'exec', 'discard', 'watch', 'unwatch',
]);

/** Method names: each top-level command by its lower-case name. */
export const COMMAND_NAMES: readonly string[] = commandSpecs
  .map((s) => s.name.toLowerCase())
  .filter((n) => /^[a-z][a-z0-9_]*$/.test(n) && !API_COMMANDS.has(n));

export interface CallsCommands {
  callArgs(command: string, args: Arg[], buffers: boolean): unknown;
}

/**
 * `name(...args)` and `nameBuffer(...args)` on a prototype, forwarding to callArgs with the
 * rest array as is (no second spread: one array per call, not three). A prototype's own
 * members win (`pipeline.exec` runs the pipeline).
 */
export function defineCommandMethods(prototype: CallsCommands): void {
  for (const name of COMMAND_NAMES) {
    if (name in prototype) continue;
    Object.defineProperty(prototype, name, {
      value: function (this: CallsCommands, ...args: Arg[]) { return this.callArgs(name, args, false); },
      writable: true, configurable: true,
    });
    Object.defineProperty(prototype, `${name}Buffer`, {
      value: function (this: CallsCommands, ...args: Arg[]) { return this.callArgs(name, args, true); },
      writable: true, configurable: true,
    });
  }
}

/**
 * Commands queued to leave as one batch: what db.pipeline() and db.multi() share (a method
 * per command, call/callBuffer, length); each sends them its own way (exec).
 */
export abstract class CommandBatch implements CallsCommands {
  private commands: string[][] = [];
  private buffers: boolean[] = [];

  /** Queues any command: `.call('OBJECT', 'ENCODING', 'k')`. */
  call(command: string, ...args: Arg[]): this {
    return this.callArgs(command, args, false);
  }

  /** Like call, with that command's bulk strings as Buffers. */
  callBuffer(command: string, ...args: Arg[]): this {
    return this.callArgs(command, args, true);
  }

  /** call / callBuffer with the arguments as an array (what the command methods use). */
  callArgs(command: string, args: Arg[], buffers: boolean): this {
    this.commands.push(argvOf(command, args));
    this.buffers.push(buffers);
    return this;
  }

  /** Commands queued. */
  get length(): number { return this.commands.length; }

  /** The queued commands and whether each wants Buffers, taken (the batch is empty after). */
  protected take(): { commands: string[][]; buffers: boolean[] } {
    const taken = { commands: this.commands, buffers: this.buffers };
    this.commands = [];
    this.buffers = [];
    return taken;
  }
}

defineCommandMethods(CommandBatch.prototype);

