import { readFileSync } from 'node:fs';

/**
 * redis-server's command line and config file, for the directives nodis implements.
 *
 *   nodis-server [/path/to/nodis.conf] [--port 7379] [--bind 127.0.0.1] [--dir ./data] ...
 *
 * As in redis-server, the file is read first and flags override it; a flag is a directive
 * name with `--` and its arguments. Unknown directives stop the server with Redis's message.
 */

/** Directives nodis accepts, with how many arguments each takes (-1: one or more). */
const DIRECTIVES: Record<string, number> = {
  port: 1, bind: -1, unixsocket: 1, unixsocketperm: 1, nativesocket: 1, nativesocketperm: 1,
  'client-output-buffer-limit': 4, 'native-hello-timeout': 1, requirepass: 1, dir: 1, dbfilename: 1,
  maxclients: 1, timeout: 1, databases: 1, hz: 1, maxmemory: 1, 'maxmemory-policy': 1,
  appendonly: 1, appendfsync: 1, save: -1, loglevel: 1, 'protected-mode': 1,
  'proto-max-bulk-len': 1, 'notify-keyspace-events': 1, daemonize: 1, logfile: 1,
};

/** Directives redis-server accepts that have no effect here yet; kept so existing config files load. */
const ACCEPTED_NOOPS = new Set(['daemonize', 'logfile', 'protected-mode']);

export class ConfigError extends Error {}

export interface ParsedConfig {
  /** CONFIG name → value, in the form CONFIG GET prints. */
  values: Record<string, string>;
  configFile: string | undefined;
  /** `--check-aof`, `--version`, `--help` and the like are handled by bin.ts; anything else is here. */
}

/** Splits a config line like Redis's sdssplitargs (quotes and escapes). */
export function splitConfigLine(line: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i]!)) i++;
    if (i >= line.length) break;
    let cur = '';
    const quote = line[i] === '"' || line[i] === "'" ? line[i++] : undefined;
    for (;;) {
      if (i >= line.length) {
        if (quote) return undefined; // unbalanced quotes
        break;
      }
      const ch = line[i]!;
      if (quote) {
        if (ch === '\\' && quote === '"' && i + 1 < line.length) {
          const n = line[i + 1]!;
          cur += n === 'n' ? '\n' : n === 'r' ? '\r' : n === 't' ? '\t' : n;
          i += 2;
          continue;
        }
        if (ch === quote) {
          i++;
          if (i < line.length && !/\s/.test(line[i]!)) return undefined;
          break;
        }
        cur += ch;
        i++;
      } else {
        if (/\s/.test(ch)) break;
        cur += ch;
        i++;
      }
    }
    out.push(cur);
  }
  return out;
}

function applyDirective(values: Record<string, string>, name: string, args: string[]): void {
  const key = name.toLowerCase();
  const arity = DIRECTIVES[key];
  if (arity === undefined || (arity > 0 && args.length !== arity) || args.length === 0) {
    throw new ConfigError('Bad directive or wrong number of arguments');
  }
  if (ACCEPTED_NOOPS.has(key)) return;
  if (key === 'client-output-buffer-limit') {
    // Repeated lines (one per class) accumulate, as in redis.conf.
    values[key] = [values[key] ?? '', args.join(' ')].filter(Boolean).join(' ');
    return;
  }
  if (key === 'save') {
    // `save ""` clears; repeated `save 900 1` lines accumulate, as in redis.conf.
    const joined = args.join(' ').trim();
    values.save = joined === '' ? '' : [values.save ?? '', joined].filter(Boolean).join(' ');
    return;
  }
  values[key] = args.join(' ');
}

function fatal(lineNumber: number, line: string, reason: string): ConfigError {
  return new ConfigError(
    `\n*** FATAL CONFIG FILE ERROR (nodis) ***\nReading the configuration file, at line ${lineNumber}\n>>> '${line}'\n${reason}`,
  );
}

export function parseConfigText(text: string, values: Record<string, string> = {}): Record<string, string> {
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const words = splitConfigLine(line);
    if (!words) throw fatal(index + 1, line, 'Unbalanced quotes in configuration line');
    const [name, ...args] = words;
    try {
      applyDirective(values, name!, args);
    } catch (e) {
      throw fatal(index + 1, line, (e as Error).message);
    }
  });
  return values;
}

/** Parses argv (without node and the script): an optional config file, then `--name value...` flags. */
export function parseServerArgs(argv: readonly string[]): ParsedConfig {
  const values: Record<string, string> = {};
  let i = 0;
  let configFile: string | undefined;
  if (argv[0] !== undefined && !argv[0].startsWith('--')) {
    configFile = argv[0];
    let text: string;
    try {
      text = readFileSync(configFile, 'utf8');
    } catch (e) {
      throw new ConfigError(`Fatal error, can't open config file '${configFile}': ${(e as Error).message}`);
    }
    parseConfigText(text, values);
    i = 1;
  }
  // Flags: each `--name` starts a directive; the words up to the next `--name` are its arguments.
  const lines: string[][] = [];
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) lines.push([a.slice(2)]);
    else if (lines.length === 0) throw new ConfigError(`Invalid argument '${a}'`);
    else lines[lines.length - 1]!.push(a);
  }
  for (const [name, ...args] of lines) {
    try {
      applyDirective(values, name!, args.length === 0 ? [''] : args);
    } catch (e) {
      throw new ConfigError(`Bad directive or wrong number of arguments: '--${name} ${args.join(' ')}'`);
    }
  }
  return { values, configFile };
}
