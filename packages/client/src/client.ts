import { ReplyError, type Reply } from '@nodis/protocol';
import { commandSpecs } from '@nodis/engine/specs';
import { decodeReply, encodeArg, type Arg, type Value } from './codec.js';
import { shapeReply } from './reply-shapes.js';
import type { CallOptions, Transport } from './transport.js';
import type { Commands, PipelineCommands, SyncCommands } from './commands.js';

/**
 * The nodis client: one API over every transport. Command methods come from the engine's
 * command specs (`db.set('k', 'v')`, `db.incr('n')`), with `…Buffer` twins that return bytes
 * (`db.getBuffer('k')`). `db.call('CMD', ...args)` sends anything.
 */

export { ReplyError };

/** argv for the transport: the command name, then every argument as a byte string. */
function argvOf(command: string, args: Arg[]): string[] {
  const argv = new Array<string>(args.length + 1);
  argv[0] = command;
  for (let i = 0; i < args.length; i++) argv[i + 1] = encodeArg(args[i]!);
  return argv;
}

function toReply(command: string, r: Reply, buffers: boolean): Value {
  const v = decodeReply(r, buffers);
  if (v instanceof ReplyError) throw v;
  return shapeReply(command, v as Value);
}

export class Pipeline {
  private readonly batch: string[][] = [];
  private readonly buffers: boolean[] = [];
  constructor(private readonly transport: Transport, private readonly options?: CallOptions) {}

  call(command: string, ...args: Arg[]): this {
    return this.callArgs(command, args, false);
  }

  /** Like call, with that command's bulk strings as Buffers. */
  callBuffer(command: string, ...args: Arg[]): this {
    return this.callArgs(command, args, true);
  }

  /** call / callBuffer with the arguments as an array (what the command methods use). */
  callArgs(command: string, args: Arg[], buffers: boolean): this {
    this.batch.push(argvOf(command, args));
    this.buffers.push(buffers);
    return this;
  }

  get length(): number { return this.batch.length; }

  /** Sends every queued command as one batch; resolves to [error, value] pairs in order. */
  async exec(): Promise<[ReplyError | null, Value][]> {
    const batch = this.batch.splice(0);
    const replies = await this.transport.sendBatch(batch, this.options);
    const buffers = this.buffers.splice(0);
    return replies.map((r, i) => {
      const v = decodeReply(r, buffers[i]!);
      return v instanceof ReplyError ? [v, null] : [null, shapeReply(batch[i]![0]!, v as Value)];
    });
  }
}

export class NodisClient {
  /** Synchronous calls (memory and thread transports): `db.sync.incr('n')` returns the value. */
  readonly sync: SyncCommands & { call(command: string, ...args: Arg[]): Value };
  /** Options for every call made through this client object (see with()). */
  protected readonly callOptions: CallOptions | undefined;

  constructor(readonly transport: Transport) {
    const send = transport.sendSync?.bind(transport);
    const syncCall = (command: string, buffers: boolean, args: Arg[]): Value => {
      if (!send) throw new Error(`nodis: the ${transport.kind} transport has no synchronous calls; use the async methods`);
      return toReply(command, send(argvOf(command, args)), buffers);
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
    return toReply(command, await this.transport.send(argvOf(command, args), this.callOptions), buffers);
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

  close(): Promise<void> { return this.transport.close(); }
  [Symbol.asyncDispose](): Promise<void> { return this.close(); }
}

/** Method names: each top-level command by its lower-case name. */
const COMMAND_NAMES: string[] = commandSpecs
  .map((s) => s.name.toLowerCase())
  .filter((n) => /^[a-z][a-z0-9_]*$/.test(n) && !(n in NodisClient.prototype));

interface CallsCommands {
  callArgs(command: string, args: Arg[], buffers: boolean): unknown;
}

/**
 * `name(...args)` and `nameBuffer(...args)` on a prototype, forwarding to callArgs with the
 * rest array as is (no second spread: one array per call, not three).
 */
function defineCommandMethods(prototype: CallsCommands, name: string): void {
  Object.defineProperty(prototype, name, {
    value: function (this: CallsCommands, ...args: Arg[]) { return this.callArgs(name, args, false); },
    writable: true, configurable: true,
  });
  Object.defineProperty(prototype, `${name}Buffer`, {
    value: function (this: CallsCommands, ...args: Arg[]) { return this.callArgs(name, args, true); },
    writable: true, configurable: true,
  });
}

for (const name of COMMAND_NAMES) {
  defineCommandMethods(NodisClient.prototype, name);
  // (A pipeline's own members win: `exec` runs the pipeline.)
  if (!(name in Pipeline.prototype)) defineCommandMethods(Pipeline.prototype, name);
}

export type Nodis = NodisClient & Commands;
/** A pipeline with a method per command: `db.pipeline().incr('a').get('b').exec()`. */
export interface TypedPipeline extends Pipeline, PipelineCommands<TypedPipeline> {}
