import type { Command } from '../command.js';
import { bitmapCommands } from './bitmap.js';
import { genericCommands } from './generic.js';
import { hashCommands } from './hash.js';
import { hyperloglogCommands } from './hyperloglog.js';
import { listCommands } from './list.js';
import { pubsubCommands } from './pubsub.js';
import { serverCommands } from './server.js';
import { setCommands } from './set.js';
import { stringCommands } from './string.js';
import { transactionCommands } from './transactions.js';
import { zsetCommands } from './zset.js';
import { zsetAlgebraCommands } from './zset-algebra.js';
import { zsetPopCommands } from './zset-pop.js';

/** Every built-in command, family by family. A new family adds one line here. */
export const allCommands: readonly Command[] = [
  ...stringCommands,
  ...listCommands,
  ...hashCommands,
  ...setCommands,
  ...zsetCommands,
  ...zsetAlgebraCommands,
  ...zsetPopCommands,
  ...bitmapCommands,
  ...hyperloglogCommands,
  ...genericCommands,
  ...serverCommands,
  ...pubsubCommands,
  ...transactionCommands,
];
