import type {
  GeneratedBufferCommands, GeneratedCommands, GeneratedPipelineBufferCommands, GeneratedPipelineCommands,
  GeneratedSyncBufferCommands, GeneratedSyncCommands,
} from './commands.generated.js';

/**
 * The command methods' types, generated from the engine's specs at build time
 * (scripts/gen-client-commands.mjs → commands.generated.ts): every command is a method with
 * its syntax line and summary as documentation, plus a `…Buffer` twin that returns bytes.
 */
export type Commands = GeneratedCommands & GeneratedBufferCommands;
export type SyncCommands = GeneratedSyncCommands & GeneratedSyncBufferCommands;
/** A pipeline's command methods: each queues its command and returns the pipeline. */
export type PipelineCommands<P> = GeneratedPipelineCommands<P> & GeneratedPipelineBufferCommands<P>;
