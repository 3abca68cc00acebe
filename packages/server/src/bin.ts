#!/usr/bin/env node
import { ConfigError, parseServerArgs, startServer } from './index.js';

/**
 * nodis-server: redis-server's command line.
 *   nodis-server                      RESP on 127.0.0.1:7379 and ./data/nodis.sock, native on ./data/nodis-native.sock
 *   nodis-server /etc/nodis.conf --port 6380 --requirepass secret
 */

const VERSION = '0.1.0';

function usage(): string {
  return [
    'Usage: nodis-server [/path/to/nodis.conf] [options]',
    '       nodis-server -v or --version',
    '       nodis-server -h or --help',
    '       nodis-server --check-aof [--fix] <incr file | manifest | appendonlydir | snapshot>',
    '',
    'Options are redis-server directives with two dashes, e.g.:',
    '  --port 7379 --bind 127.0.0.1 --unixsocket /tmp/nodis.sock --unixsocketperm 700',
    '  --dir ./data --requirepass secret --maxclients 10000 --timeout 0 --databases 16',
    '',
    'Defaults: RESP on 127.0.0.1:7379 and a Unix socket nodis.sock in the data directory (./data);',
    'the native protocol (@nodis/client\'s unix:// URLs) on nodis-native.sock beside it (--nativesocket);',
    'persistence on: an append-only file in ./data/appendonlydir, fsynced every second (--appendonly no, --appendfsync always).',
  ].join('\n');
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '-v' || argv[0] === '--version') {
    process.stdout.write(`nodis-server v=${VERSION} (Redis 7.0 compatible) node=${process.version}\n`);
    return;
  }
  if (argv[0] === '-h' || argv[0] === '--help') {
    process.stdout.write(usage() + '\n');
    return;
  }
  if (argv[0] === '--check-aof') {
    // redis-check-aof's job (persist/check-aof.ts); loaded only here, the server never needs it.
    const { checkAofMain } = await import('./persist/check-aof.js');
    // exitCode, not exit(): stdout may be a pipe still draining the report.
    process.exitCode = await checkAofMain(argv.slice(1));
    return;
  }
  let parsed;
  try {
    parsed = parseServerArgs(argv);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  // Persistence is on by default, so a newcomer's data survives a restart (`--appendonly no` turns it off).
  const config = { dir: 'data', unixsocket: 'nodis.sock', nativesocket: 'nodis-native.sock', appendonly: 'yes', appendfsync: 'everysec', ...parsed.values };
  // As redis-server: --port 0 turns TCP off.
  const server = await startServer({ config, portZero: 'off', ...(parsed.configFile ? { configFile: parsed.configFile } : {}) }).catch((e: unknown) => {
    process.stderr.write(`nodis-server: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
  let signals = 0;
  const stop = (signal: string) => {
    signals++;
    if (signals > 1) process.exit(1);
    process.stdout.write(`Received ${signal} scheduling shutdown...\n`);
    void server.close();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  await server.closed;
  process.exit(0);
}

void main();
