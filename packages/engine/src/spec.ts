/**
 * The shape of a command spec: everything about a command that is data.
 * Dispatch, COMMAND INFO/DOCS, client method names and CLI help all derive from it.
 * This file has no runtime dependencies so the specs can be loaded without the engine.
 */

/** Redis's command flags (COMMAND INFO's second field), lower case as Redis prints them. */
export type CommandFlag =
  | 'write' | 'readonly' | 'denyoom' | 'module' | 'admin' | 'pubsub' | 'noscript'
  | 'blocking' | 'loading' | 'stale' | 'skip_monitor' | 'skip_slowlog' | 'asking' | 'fast'
  | 'no_auth' | 'may_replicate' | 'sentinel' | 'only_sentinel' | 'no_mandatory_keys'
  | 'protected' | 'touches_arbitrary_keys' | 'no_async_loading' | 'no_multi' | 'movablekeys'
  | 'allow_busy';

export type CommandGroup =
  | 'generic' | 'string' | 'list' | 'set' | 'sorted-set' | 'hash' | 'pubsub' | 'transactions'
  | 'connection' | 'server' | 'scripting' | 'hyperloglog' | 'cluster' | 'sentinel' | 'geo'
  | 'stream' | 'bitmap';

export type ArgumentType =
  | 'string' | 'integer' | 'double' | 'key' | 'pattern' | 'unix-time' | 'pure-token'
  | 'oneof' | 'block';

export interface ArgumentSpec {
  name: string;
  type: ArgumentType;
  token?: string;
  optional?: boolean;
  multiple?: boolean;
  /** The token repeats with each element of a multiple argument (e.g. `GET pattern [GET pattern ...]`). */
  multipleToken?: boolean;
  displayText?: string;
  since?: string;
  deprecatedSince?: string;
  /** Which key spec a `key` argument belongs to (COMMAND DOCS key_spec_index); default: its order among key arguments. */
  keySpecIndex?: number;
  arguments?: ArgumentSpec[];
}

/**
 * A key spec as COMMAND INFO reports it, for commands whose keys `keys` cannot describe
 * (several roles, keyword or key-count positions). Flags: RO RW OW RM, access update insert
 * delete, not_key incomplete variable_flags.
 */
export interface KeySpec {
  notes?: string;
  flags: string[];
  beginSearch: { index: number } | { keyword: string; startFrom: number } | 'unknown';
  findKeys: { lastKey: number; keyStep: number; limit: number } | { keyNumIdx: number; firstKey: number; keyStep: number } | 'unknown';
}

/**
 * The common key spec: keys from argv[index] to `lastKey` (0: just that one, -1: the last
 * argument, -2: the one before it ...), every `keyStep`-th. As COMMAND INFO/DOCS print it.
 */
export function keySpec(flags: string[], index = 1, lastKey = 0, notes?: string, keyStep = 1): KeySpec {
  const spec: KeySpec = { flags, beginSearch: { index }, findKeys: { lastKey, keyStep, limit: 0 } };
  if (notes !== undefined) spec.notes = notes;
  return spec;
}

/** The data type a command's keys must hold, checked centrally before the handler runs. */
export type KeyTypeName = 'string' | 'list' | 'set' | 'zset' | 'hash' | 'stream';

export interface CommandSpecData {
  /** Lower-case name; for a subcommand, the subcommand alone (`encoding`), the parent gives the rest. */
  name: string;
  /** Redis's convention: positive = exact count, negative = minimum, both counting the name. */
  arity: number;
  flags: CommandFlag[];
  /** [first, last, step] key positions; [0, 0, 0] for none; last may be negative (from the end). */
  keys: [number, number, number];
  group: CommandGroup;
  since: string;
  summary: string;
  complexity?: string;
  /** ACL categories beyond the ones derived from flags and group (e.g. `dangerous`, `keyspace`). */
  aclCategories?: string[];
  arguments?: ArgumentSpec[];
  /**
   * When set, every key at the key positions that exists must hold this type, else WRONGTYPE is
   * answered before the handler runs. Handlers may then assume the type.
   */
  keyType?: KeyTypeName;
  /** Key positions to type-check when they differ from `keys` (e.g. a destination that is overwritten). */
  typedKeys?: [number, number, number];
  /** Container commands (CONFIG, CLIENT, OBJECT, COMMAND): dispatch on argv[1]. */
  subcommands?: CommandSpecData[];
  /** A short note on the reply shape, for docs and client typing. */
  reply?: string;
  /** COMMAND INFO key specs; default: one spec derived from `keys` and the flags. */
  keySpecs?: KeySpec[];
  /** COMMAND INFO tips: `nondeterministic_output`, `request_policy:all_shards` ... */
  tips?: string[];
  /** COMMAND DOCS history: [version, change]. */
  history?: [string, string][];
  /** Deprecated commands: COMMAND DOCS doc_flags, deprecated_since, replaced_by. */
  deprecatedSince?: string;
  replacedBy?: string;
}
