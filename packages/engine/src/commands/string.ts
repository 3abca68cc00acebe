import type { Command } from '../command.js';

export const stringCommands: Command[] = [];
