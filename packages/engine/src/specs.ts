import type { Command } from './command.js';
import { allCommands } from './commands/index.js';
import type { CommandSpecData } from './spec.js';

/**
 * Every command's spec without its handler, for the client and CLI. This module loads the
 * handlers to strip them; what Node loads for `@nodis/engine/specs` is dist/specs-data.js,
 * the same data written as JSON at build time (scripts/gen-specs.mjs), so the client and
 * nodis-cli start without the engine. Tests (the `source` condition) read this file.
 */
function strip(c: Command): CommandSpecData {
  const { run: _run, subcommands, ...data } = c;
  return subcommands ? { ...data, subcommands: subcommands.map(strip) } : data;
}

export const commandSpecs: readonly CommandSpecData[] = allCommands.map(strip);
export { commandSyntax } from './syntax.js';
export type * from './spec.js';
