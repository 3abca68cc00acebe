import type { CommandSpecData } from './spec.js';
import type { Client } from './client.js';

/** A handler: reads argv (argv[0] is the command name), writes exactly one reply to ctx.reply. */
export type Handler = (ctx: Client, argv: string[]) => void;

/** A command: its spec (data) and its handler. Container commands have subcommands instead. */
export interface Command extends CommandSpecData {
  run?: Handler;
  subcommands?: Command[];
}

/** Identity with a type: keeps each spec literal checked against the Command shape. */
export function defineCommand(command: Command): Command {
  return command;
}
