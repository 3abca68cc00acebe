/**
 * Every error string nodis sends, byte for byte as Redis 7.0 sends them (without the leading
 * '-' and the CRLF, which the protocol writer adds). Clients parse these: do not reword.
 * Functions build the few that carry a name or a value.
 */

export const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
export const SYNTAX = 'ERR syntax error';
export const NOT_INTEGER = 'ERR value is not an integer or out of range';
export const NOT_FLOAT = 'ERR value is not a valid float';
export const OVERFLOW = 'ERR increment or decrement would overflow';
export const NO_SUCH_KEY = 'ERR no such key';
export const NOAUTH = 'NOAUTH Authentication required.';
/** While the data set loads from disk, as Redis answers (clients such as redis-py retry on it). */
export const LOADING = 'LOADING Redis is loading the dataset in memory';
export const WRONGPASS = 'WRONGPASS invalid username-password pair or user is disabled.';
export const AUTH_NOT_CONFIGURED =
  'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?';
export const DB_INDEX_OUT_OF_RANGE = 'ERR DB index is out of range';
export const INVALID_DB_INDEX = 'ERR invalid DB index';
export const STRING_TOO_LONG = 'ERR string exceeds maximum allowed size (proto-max-bulk-len)';
export const OFFSET_OUT_OF_RANGE = 'ERR offset is out of range';
export const INVALID_EXPIRE = (command: string): string =>
  `ERR invalid expire time in '${command}' command`;
export const INVALID_CURSOR = 'ERR invalid cursor';
export const SAME_OBJECT = 'ERR source and destination objects are the same';
export const OOM = "OOM command not allowed when used memory > 'maxmemory'.";
export const DECREMENT_OVERFLOW = 'ERR decrement would overflow';
export const INCR_NAN_OR_INFINITY = 'ERR increment would produce NaN or Infinity';
export const LCS_NOT_STRINGS = 'ERR The specified keys must contain string values';
export const LCS_IDX_WITH_LEN = 'ERR If you want both the length and indexes, please just use IDX.';
export const LCS_TOO_MUCH_MEMORY =
  'ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len';

export function unknownCommand(name: string, args: readonly string[]): string {
  let list = '';
  for (let i = 0; i < args.length && list.length < 128; i++) {
    list += `'${args[i]!.slice(0, 128 - list.length)}' `;
  }
  return `ERR unknown command '${name.slice(0, 128)}', with args beginning with: ${list}`;
}

export function unknownSubcommand(sub: string, container: string): string {
  return `ERR unknown subcommand '${sub.slice(0, 128)}'. Try ${container.toUpperCase()} HELP.`;
}

/** `fullName` is `get` or, for a subcommand, `object|encoding`. */
export function wrongArity(fullName: string): string {
  return `ERR wrong number of arguments for '${fullName}' command`;
}

// Connection and server commands (commands/server.ts).
export const NOPROTO = 'NOPROTO unsupported protocol version';
export const PROTOCOL_NOT_INTEGER = 'ERR Protocol version is not an integer or out of range';
export const HELLO_NOAUTH =
  'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time';
export const helloSyntax = (option: string): string => `ERR Syntax error in HELLO option '${option}'`;
export const CLIENT_NAME_INVALID = 'ERR Client names cannot contain spaces, newlines or special characters.';
export const NO_SUCH_CLIENT = 'ERR No such client';
export const CLIENT_ID_NOT_POSITIVE = 'ERR client-id should be greater than 0';
export const INVALID_CLIENT_ID = 'ERR Invalid client ID';
export const unknownClientType = (type: string): string => `ERR Unknown client type '${type}'`;
export const noSuchUser = (user: string): string => `ERR No such user '${user}'`;
export const INVALID_COMMAND = 'ERR Invalid command specified';
export const COMMAND_HAS_NO_KEYS = 'ERR The command has no key arguments';
export const INVALID_COMMAND_ARITY = 'ERR Invalid number of arguments specified for command';
export const INVALID_COMMAND_ARGUMENTS = 'ERR Invalid arguments specified for command';
export const configSetUnknown = (name: string): string =>
  `ERR Unknown option or number of arguments for CONFIG SET - '${name}'`;
export const configSetFailed = (name: string, reason: string): string =>
  `ERR CONFIG SET failed (possibly related to argument '${name}') - ${reason}`;
export const NO_CONFIG_FILE = 'ERR The server is running without a config file';
export const configRewriteFailed = (reason: string): string => `ERR Rewriting config file: ${reason}`;
export const NO_SHUTDOWN_IN_PROGRESS = 'ERR No shutdown in progress.';
export const SHUTDOWN_FAILED = 'ERR Errors trying to SHUTDOWN. Check logs.';
/** Redis's getIntFromObjectOrReply for an int64 that does not fit a C int (SELECT 99999999999). */
export const INT_OUT_OF_RANGE = 'ERR value is out of range, value must between -2147483648 and 2147483647';

// Keyspace commands (commands/generic.ts).
export const EXPIRE_NX_CONFLICT = 'ERR NX and XX, GT or LT options at the same time are not compatible';
export const EXPIRE_GT_LT_CONFLICT = 'ERR GT and LT options at the same time are not compatible';
/** The option as typed; CR and LF become spaces, as Redis's addReplyErrorFormat does. */
export const unsupportedOption = (option: string): string =>
  `ERR Unsupported option ${option.replace(/[\r\n]/g, ' ')}`;
export const INVALID_FIRST_DB_INDEX = 'ERR invalid first DB index';
export const INVALID_SECOND_DB_INDEX = 'ERR invalid second DB index';
export const LFU_NOT_SELECTED =
  'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.';
export const LFU_SELECTED_NO_IDLE =
  'ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.';
/**
 * nodis only (Redis always tracks access times): OBJECT IDLETIME without an LRU
 * maxmemory-policy, where nodis keeps no per-key access time (see keyspace.ts).
 */
export const LRU_NOT_SELECTED =
  'ERR An LRU maxmemory policy is not selected, access time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.';
/** nodis only: COPY of a collection type that provides no copy() yet. */
export const COPY_NOT_SUPPORTED = 'ERR COPY is not supported for this type';

// Hashes (commands/hash.ts).
export const HASH_NOT_INTEGER = 'ERR hash value is not an integer';
export const HASH_NOT_FLOAT = 'ERR hash value is not a float';
export const VALUE_NAN_OR_INFINITY = 'ERR value is NaN or Infinity';
export const VALUE_OUT_OF_RANGE = 'ERR value is out of range';
/** getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX): a count of exactly LLONG_MIN (HRANDFIELD). */
export const LONG_OUT_OF_RANGE = 'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807';
/**
 * nodis only: a negative count (picks with repetition: HRANDFIELD, and the like) beyond what
 * one reply may hold. Redis 7.0 tries and runs out of memory.
 */
export const randomCountTooLarge = (limit: number): string =>
  `ERR value is out of range, a negative count must be at least -${limit}`;

// Sets (commands/set.ts).
/** getPositiveLongFromObjectOrReply: SPOP's count (also LPOP/RPOP's in Redis). */
export const VALUE_MUST_BE_POSITIVE = 'ERR value is out of range, must be positive';
export const NUMKEYS_NOT_POSITIVE = 'ERR numkeys should be greater than 0';
export const NUMKEYS_TOO_MANY = "ERR Number of keys can't be greater than number of args";
export const LIMIT_NEGATIVE = "ERR LIMIT can't be negative";
/** nodis only: a set past MAX_SET_MEMBERS (types/set.ts), where V8's Map would throw. */
export const setTooLarge = (limit: number): string => `ERR set would exceed ${limit} members, the most a nodis set holds`;

// Lists and blocking (commands/list.ts, CLIENT UNBLOCK).
export const INDEX_OUT_OF_RANGE = 'ERR index out of range';
export const LIST_COUNT_NOT_POSITIVE = 'ERR count should be greater than 0';
export const LPOS_RANK_ZERO =
  "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list";
export const LPOS_COUNT_NEGATIVE = "ERR COUNT can't be negative";
export const LPOS_MAXLEN_NEGATIVE = "ERR MAXLEN can't be negative";
export const TIMEOUT_NOT_FLOAT = 'ERR timeout is not a float or out of range';
export const TIMEOUT_NEGATIVE = 'ERR timeout is negative';
export const UNBLOCK_REASON = 'ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR';
/** What a client unblocked by CLIENT UNBLOCK ... ERROR receives. */
export const UNBLOCKED = 'UNBLOCKED client unblocked via CLIENT UNBLOCK';
/** Redis's addReplySubcommandSyntaxError: the subcommand as typed, the container upper-cased. */
export const subcommandSyntax = (sub: string, container: string): string =>
  `ERR unknown subcommand or wrong number of arguments for '${sub.slice(0, 128)}'. Try ${container.toUpperCase()} HELP.`;

// Bitmaps (commands/bitmap.ts).
export const BIT_OFFSET_NOT_INTEGER = 'ERR bit offset is not an integer or out of range';
export const BIT_NOT_INTEGER = 'ERR bit is not an integer or out of range';
export const BITPOS_BIT_NOT_BINARY = 'ERR The bit argument must be 1 or 0.';
export const BITOP_NOT_SINGLE_SOURCE = 'ERR BITOP NOT must be called with a single source key.';
export const INVALID_BITFIELD_TYPE =
  'ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.';
export const INVALID_OVERFLOW_TYPE = 'ERR Invalid OVERFLOW type specified';
export const BITFIELD_RO_ONLY_GET = 'ERR BITFIELD_RO only supports the GET subcommand';

// HyperLogLog (commands/hyperloglog.ts).
/** A string that is not an HLL (bad header or magic, unknown encoding, dense of the wrong length). */
export const HLL_WRONGTYPE = 'WRONGTYPE Key is not a valid HyperLogLog string value.';
/** An HLL whose sparse opcodes do not describe its 16384 registers. */
export const HLL_CORRUPTED = 'INVALIDOBJ Corrupted HLL object detected';

// Sorted-set algebra (commands/zset-algebra.ts).
export const WEIGHT_NOT_FLOAT = 'ERR weight value is not a float';
/** ZUNION/ZINTER/ZDIFF/ZINTERCARD and the STORE forms given numkeys < 1; `command` lower-case. */
export const atLeastOneInputKey = (command: string): string =>
  `ERR at least 1 input key is needed for '${command}' command`;

// Sorted sets (commands/zset.ts).
export const ZADD_XX_NX = 'ERR XX and NX options at the same time are not compatible';
export const ZADD_GT_LT_NX = 'ERR GT, LT, and/or NX options at the same time are not compatible';
export const ZADD_INCR_PAIRS = 'ERR INCR option supports a single increment-element pair';
export const SCORE_NAN = 'ERR resulting score is not a number (NaN)';
export const SCORE_RANGE_NOT_FLOAT = 'ERR min or max is not a float';
export const LEX_RANGE_INVALID = 'ERR min or max not valid string range item';
export const ZRANGE_LIMIT_NEEDS_BY = 'ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX';
export const ZRANGE_WITHSCORES_BYLEX = 'ERR syntax error, WITHSCORES not supported in combination with BYLEX';
