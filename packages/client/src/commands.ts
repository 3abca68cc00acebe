import type { Arg, Value } from './codec.js';

/**
 * The command methods' types. Every top-level command in the engine's specs is a method
 * (see client.ts); this interface names them for the type checker.
 * TODO(client typing): generate per-command parameter names and reply types from the specs.
 */
type Method = (...args: Arg[]) => Promise<Value>;
type SyncMethod = (...args: Arg[]) => Value;

export type Commands = { [name: string]: Method | unknown } & Record<string, Method>;
export type SyncCommands = Record<string, SyncMethod>;
