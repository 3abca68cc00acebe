/**
 * @nodis/cli as a library: the pieces nodis-cli is made of, for tools and tests.
 * The binary is bin.ts (`nodis-cli`).
 */
export { parseOptions, usage, UsageError, CLI_VERSION, DEFAULT_PORT, type CliOptions, type OutputMode } from './options.js';
export { CliConnection, ConnectError } from './connection.js';
