import type { Command } from '../command.js';

export const genericCommands: Command[] = [];
