import { ReplyError } from '@nodis/protocol';
import { decodeReply, type Value } from './codec.js';
import { CommandBatch } from './methods.js';
import { shapeReply } from './reply-shapes.js';
import type { CallOptions, Transport } from './transport.js';
import type { PipelineCommands } from './commands.js';

/**
 * A transaction: MULTI, the queued commands and EXEC, sent as one batch so no other call of
 * the client can land in between.
 *
 *   const [ok, n] = await db.multi().set('a', '1').incr('n').exec();
 *
 * exec() resolves to one entry per command: its value (shaped as the command method's), or
 * the ReplyError of a command that failed while running (Redis does not roll back: the
 * others still ran). It resolves to null when a WATCHed key changed (db.transaction), and
 * rejects with Redis's EXECABORT error when a command was refused while queued (an unknown
 * command, a wrong number of arguments): then nothing ran; the refusal is the error's
 * `cause`. Blocking commands inside do not block (BLPOP on an empty list gives null).
 */
export class Multi extends CommandBatch {
  /** exec() was called (db.transaction refuses a multi its callback already ran). */
  executed = false;

  constructor(readonly transport: Transport, private readonly options?: CallOptions) {
    super();
  }

  /** Sends MULTI, the commands and EXEC as one batch; see the class comment for the result. */
  async exec(): Promise<(Value | ReplyError)[] | null> {
    this.executed = true;
    const { commands, buffers } = this.take();
    const replies = await this.transport.sendBatch([['MULTI'], ...commands, ['EXEC']], this.options);
    // MULTI refused: this connection is already inside one (a raw MULTI sent with call()).
    if (replies[0] instanceof ReplyError) throw replies[0];
    const result = replies[replies.length - 1]!;
    if (result instanceof ReplyError) {
      const refused = replies.slice(1, -1).find((r) => r instanceof ReplyError);
      if (refused !== undefined) Object.defineProperty(result, 'cause', { value: refused, configurable: true, writable: true });
      throw result;
    }
    if (result === null) return null;
    if (!Array.isArray(result)) throw new Error('nodis: EXEC answered something else than an array or nil');
    return result.map((r, i) => {
      const v = decodeReply(r, buffers[i] ?? false);
      return v instanceof ReplyError ? v : shapeReply(commands[i]?.[0] ?? '', v);
    });
  }
}

/** A multi with a method per command: `db.multi().incr('a').get('b').exec()`. */
export interface TypedMulti extends Multi, PipelineCommands<TypedMulti> {}
