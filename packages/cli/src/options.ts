/**
 * nodis-cli's command line: redis-cli's flags, parsed as redis-cli parses them. Options come
 * first; the first word that is not an option starts the command (`nodis-cli -n 2 incr n`). An
 * option that needs a value and has none, or an unknown option, is an error.
 */

export const CLI_VERSION = '0.1.0';

/** nodis-server's default RESP port (`npm start`), where redis-cli's default is 6379. */
export const DEFAULT_PORT = 7379;

export type OutputMode = 'standard' | 'raw' | 'csv' | 'json' | 'quoted-json';

export interface CliOptions {
  host: string;
  port: number;
  /** -s: a RESP Unix socket (overrides host and port). */
  socket: string | undefined;
  /** -u: redis://[user:pass@]host:port[/db], redis+unix:///path, or unix:///path (nodis's native socket). */
  uri: string | undefined;
  /** -a / --pass, else the NODISCLI_AUTH or REDISCLI_AUTH environment variable. */
  password: string | undefined;
  /** --user: AUTH user pass (needs a password). */
  user: string | undefined;
  /** True when the password was given on the command line (the warning). */
  passwordOnCommandLine: boolean;
  /** -n: the database to SELECT after connecting. */
  db: number;
  /** -2 / -3: the protocol; --json implies 3 unless -2 is given. */
  resp: 2 | 3;
  /**
   * How replies print: --raw, --no-raw, --csv, --json, --quoted-json; otherwise `standard`
   * when stdout is a terminal and `raw` when it is not (redis-cli's rule).
   */
  output: OutputMode;
  /** -x: the last argument of the command is read from stdin. */
  stdinLastArg: boolean;
  /** -X tag: the argument equal to `tag` is replaced by stdin. */
  stdinTag: string | undefined;
  /** -r: run the command this many times (negative: forever). */
  repeat: number;
  /** -i: seconds between repeats (and per cycle in --scan/--stat). */
  interval: number;
  /** -d: between the elements of an array in raw output. */
  bulkDelimiter: string;
  /** -D: after each reply in raw output. */
  replyDelimiter: string;
  /** -e: exit 1 when a command answers an error (nodis-cli always does in one-shot mode). */
  exitOnError: boolean;
  /** --quoted-input: the command's words are parsed as quoted strings. */
  quotedInput: boolean;
  /** --show-pushes yes|no: print RESP3 pushes (default: when stdout is a terminal). */
  showPushes: boolean;
  noAuthWarning: boolean;
  verbose: boolean;
  pipe: boolean;
  /** --pipe-timeout: seconds to wait for the last reply after all data is sent (0: forever). */
  pipeTimeout: number;
  stat: boolean;
  latency: boolean;
  latencyHistory: boolean;
  scan: boolean;
  pattern: string;
  /** --count: the COUNT hint of each SCAN call. */
  scanCount: number | undefined;
  help: boolean;
  version: boolean;
  /** The command and its arguments, when given. */
  command: string[];
}

/** A bad command line: printed as is to stderr, exit code 1. */
export class UsageError extends Error {}

/** C's atoi: the leading integer of a string, 0 when there is none (redis-cli parses -p, -n so). */
export function atoi(s: string): number {
  const m = /^\s*([+-]?\d+)/.exec(s);
  return m ? Number.parseInt(m[1]!, 10) : 0;
}

/** C's strtod for -i: the leading number, 0 when there is none. */
function strtod(s: string): number {
  const m = /^\s*([+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)/.exec(s);
  return m ? Number(m[1]) : 0;
}

export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, stdoutIsTTY = process.stdout.isTTY === true): CliOptions {
  const o: CliOptions = {
    host: '127.0.0.1', port: DEFAULT_PORT, socket: undefined, uri: undefined,
    password: env.NODISCLI_AUTH ?? env.REDISCLI_AUTH, user: undefined, passwordOnCommandLine: false,
    db: 0, resp: 2, output: stdoutIsTTY ? 'standard' : 'raw', stdinLastArg: false, stdinTag: undefined,
    repeat: 1, interval: 0, bulkDelimiter: '\n', replyDelimiter: '\n', exitOnError: false,
    quotedInput: false, showPushes: stdoutIsTTY, noAuthWarning: false, verbose: false,
    pipe: false, pipeTimeout: 30, stat: false, latency: false, latencyHistory: false,
    scan: false, pattern: '*', scanCount: undefined, help: false, version: false, command: [],
  };
  let protocolGiven: 2 | 3 | undefined;
  let json = false;
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    const hasValue = i + 1 < argv.length;
    const value = (): string => argv[++i]!;
    // Options with a value are options only when a value follows (redis-cli's `!lastarg`).
    if (hasValue) {
      switch (arg) {
        case '-h': o.host = value(); continue;
        case '-p': o.port = atoi(value()); continue;
        case '-s': o.socket = value(); continue;
        case '-u': o.uri = value(); continue;
        case '-a': case '--pass': o.password = value(); o.passwordOnCommandLine = true; continue;
        case '--user': o.user = value(); continue;
        case '-n': o.db = atoi(value()); continue;
        case '-r': o.repeat = atoi(value()); continue;
        case '-i': o.interval = strtod(value()); continue;
        // Taken as written: redis-cli 7.0 does not unescape them (`-d '\n'` is a backslash and an n).
        case '-d': o.bulkDelimiter = value(); continue;
        case '-D': o.replyDelimiter = value(); continue;
        case '-X': o.stdinTag = value(); continue;
        case '--pattern': o.pattern = value(); continue;
        case '--count': o.scanCount = atoi(value()); continue;
        case '--pipe-timeout': o.pipeTimeout = atoi(value()); continue;
        case '--show-pushes': {
          const v = value().toLowerCase();
          if (v !== 'yes' && v !== 'no') throw new UsageError(`Unknown --show-pushes value '${v}' (valid: 'yes', 'no')`);
          o.showPushes = v === 'yes';
          continue;
        }
        default: break;
      }
    }
    switch (arg) {
      case '--help': o.help = true; continue;
      case '-v': case '--version': o.version = true; continue;
      case '-2': protocolGiven = 2; continue;
      case '-3': protocolGiven = 3; continue;
      case '-x': o.stdinLastArg = true; continue;
      case '-e': o.exitOnError = true; continue;
      case '--raw': o.output = 'raw'; continue;
      case '--no-raw': o.output = 'standard'; continue;
      case '--csv': o.output = 'csv'; continue;
      case '--json': o.output = 'json'; json = true; continue;
      case '--quoted-json': o.output = 'quoted-json'; json = true; continue;
      case '--quoted-input': o.quotedInput = true; continue;
      case '--no-auth-warning': o.noAuthWarning = true; continue;
      case '--verbose': o.verbose = true; continue;
      case '--pipe': o.pipe = true; continue;
      case '--stat': o.stat = true; continue;
      case '--latency': o.latency = true; continue;
      case '--latency-history': o.latencyHistory = true; if (o.interval === 0) o.interval = 15; continue;
      case '--scan': o.scan = true; continue;
      default: break;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      throw new UsageError(`Unrecognized option or bad number of args for: '${arg}'`);
    }
    break; // the command starts here
  }
  if (o.stdinLastArg && o.stdinTag !== undefined) throw new UsageError('Options -x and -X are mutually exclusive.');
  o.command = argv.slice(i);
  o.resp = protocolGiven ?? (json ? 3 : 2);
  if (o.uri !== undefined) applyUri(o, o.uri);
  return o;
}

/** -u: host, port, credentials and database from a redis:// URL (the rest go to the transport as is). */
function applyUri(o: CliOptions, uri: string): void {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    throw new UsageError('Invalid URI scheme');
  }
  if (u.protocol === 'unix:' || u.protocol === 'redis+unix:') {
    // The session's SELECT does the database (the connection drops ?db= from the URL it opens).
    const db = u.searchParams.get('db');
    if (db !== null) o.db = atoi(db);
    return;
  }
  if (u.protocol !== 'redis:') throw new UsageError(u.protocol === 'rediss:' ? 'nodis-cli does not speak TLS (rediss://)' : 'Invalid URI scheme');
  if (u.hostname) o.host = u.hostname.replace(/^\[|\]$/g, '');
  if (u.port) o.port = Number(u.port);
  if (u.password) { o.password = decodeURIComponent(u.password); o.passwordOnCommandLine = true; }
  if (u.username) o.user = decodeURIComponent(u.username);
  const db = u.pathname.replace(/^\//, '');
  if (db !== '') o.db = atoi(db);
  o.uri = undefined; // a plain TCP target now, like -h/-p
}

export function usage(): string {
  return `nodis-cli ${CLI_VERSION}

Usage: nodis-cli [OPTIONS] [cmd [arg [arg ...]]]
  -h <hostname>      Server hostname (default: 127.0.0.1).
  -p <port>          Server port (default: ${DEFAULT_PORT}, nodis-server's; Redis's is 6379).
  -s <socket>        Server socket, RESP (overrides hostname and port).
  -u <uri>           Server URI: redis://[[user]:password@]host[:port][/db],
                     redis+unix:///path/to.sock[?db=N], or unix:///path/to/nodis-native.sock
                     (nodis's native protocol).
  -a <password>      Password to use when connecting to the server.
                     You can also use the NODISCLI_AUTH (or REDISCLI_AUTH) environment
                     variable to pass this password more safely.
  --user <username>  Used to send ACL style 'AUTH username pass'. Needs -a.
  --pass <password>  Alias of -a.
  -n <db>            Database number.
  -2                 Start session in RESP2 protocol mode.
  -3                 Start session in RESP3 protocol mode.
  -r <repeat>        Execute specified command N times (negative: forever).
  -i <interval>      When -r is used, waits <interval> seconds per command.
                     Sub-second times like -i 0.1 work. Also the cycle of --scan and --stat.
  -x                 Read last argument from STDIN.
  -X <tag>           Read <tag> argument from STDIN.
  -d <delimiter>     Delimiter between response bulks for raw formatting (default: \\n).
  -D <delimiter>     Delimiter between responses for raw formatting (default: \\n).
  -e                 Return exit error code when command execution fails (always on for
                     one-shot commands: an error reply exits with 1).
  --raw              Use raw formatting for replies (default when STDOUT is not a tty).
  --no-raw           Force formatted output even when STDOUT is not a tty.
  --quoted-input     Force input to be handled as quoted strings.
  --csv              Output in CSV format.
  --json             Output in JSON format (default RESP3, use -2 if you want to use with RESP2).
  --quoted-json      Same as --json, but produce ASCII-safe quoted strings, not Unicode.
  --show-pushes <yn> Whether to print RESP3 PUSH messages (default: when STDOUT is a tty).
  --stat             Print rolling stats about server: mem, clients, ...
  --latency          Enter a special mode continuously sampling latency.
                     Interactive: runs until Ctrl-C. With --raw or --csv, or when STDOUT is
                     not a tty, samples for 1 second (-i to change it) and prints one line.
  --latency-history  Like --latency but tracking latency changes over time.
                     Default time interval is 15 sec. Change it using -i.
  --pipe             Transfer raw RESP from stdin to server (mass insertion).
  --pipe-timeout <n> In --pipe mode, abort with error if after sending all data
                     no reply is received within <n> seconds. Default: 30. 0 waits forever.
  --scan             List all keys using the SCAN command.
  --pattern <pat>    Keys pattern when using --scan (default: *).
  --count <count>    COUNT hint of each SCAN call in --scan.
  --verbose          Verbose mode.
  --no-auth-warning  Don't show warning message when using password on command line interface.
  --help             Output this help and exit.
  -v, --version      Output version and exit.

Examples:
  cat /etc/passwd | nodis-cli -x set mypasswd
  nodis-cli -r 100 lpush mylist x
  nodis-cli -r 100 -i 1 info | grep used_memory_human:
  nodis-cli --scan --pattern 'user:*'
  nodis-cli --pipe < commands.resp
  nodis-cli -p 6379 ping            (a Redis server: every command works the same)

When no command is given, nodis-cli starts in interactive mode.
Type "help" in interactive mode for information on available commands
and settings.
`;
}
