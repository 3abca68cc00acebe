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
