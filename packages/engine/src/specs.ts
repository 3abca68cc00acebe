import type { Command } from './command.js';
import { allCommands } from './commands/index.js';
import type { CommandSpecData } from './spec.js';

/**
 * Every command's spec without its handler, for the client and CLI.
 * TODO(cli issue): generate this file at build time so importing it does not load handlers.
 */
function strip(c: Command): CommandSpecData {
  const { run: _run, subcommands, ...data } = c;
  return subcommands ? { ...data, subcommands: subcommands.map(strip) } : data;
}

export const commandSpecs: readonly CommandSpecData[] = allCommands.map(strip);
export { commandSyntax } from './syntax.js';
export type * from './spec.js';
