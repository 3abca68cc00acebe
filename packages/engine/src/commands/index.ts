import type { Command } from '../command.js';
import { genericCommands } from './generic.js';
import { hashCommands } from './hash.js';
import { listCommands } from './list.js';
import { serverCommands } from './server.js';
import { setCommands } from './set.js';
import { stringCommands } from './string.js';

/** Every built-in command, family by family. A new family adds one line here. */
export const allCommands: readonly Command[] = [
  ...stringCommands,
  ...listCommands,
  ...hashCommands,
  ...setCommands,
  ...genericCommands,
  ...serverCommands,
];
