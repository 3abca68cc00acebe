#!/usr/bin/env node
import { CLI_VERSION, parseOptions, usage, UsageError, type CliOptions } from './options.js';
import { exitWhenStdoutCloses } from './stdout.js';

/**
 * nodis-cli: redis-cli's command line for nodis (and Redis).
 *   nodis-cli                         the REPL (a terminal), or commands read line by line from stdin
 *   nodis-cli incr counter            one command (-r N -i secs to repeat, -x to read the last argument from stdin)
 *   nodis-cli --pipe < data.resp      mass insertion;  --scan --pattern 'user:*';  --stat;  --latency
 * Each mode lives in a module of its own, loaded only when used, so a one-shot command starts fast.
 */

async function run(o: CliOptions): Promise<number> {
  exitWhenStdoutCloses();
  if (o.help) {
    process.stdout.write(usage());
    return 0;
  }
  if (o.version) {
    process.stdout.write(`nodis-cli ${CLI_VERSION}\n`);
    return 0;
  }
  if (o.passwordOnCommandLine && !o.noAuthWarning) {
    process.stderr.write("Warning: Using a password with '-a' or '-u' option on the command line interface may not be safe.\n");
  }
  if (o.pipe) return (await import('./pipe.js')).runPipe(o);
  if (o.stat) return (await import('./stat.js')).runStat(o);
  if (o.latency || o.latencyHistory) return (await import('./latency.js')).runLatency(o);
  if (o.scan) return (await import('./scan.js')).runScan(o);
  if (o.command.length > 0) return (await import('./one-shot.js')).runOneShot(o);
  if (process.stdin.isTTY) return (await import('./repl.js')).runRepl(o);
  return (await import('./one-shot.js')).runStdinCommands(o);
}

let options: CliOptions;
try {
  options = parseOptions(process.argv.slice(2));
} catch (e) {
  if (!(e instanceof UsageError)) throw e;
  process.stderr.write(`${e.message}\n`);
  process.exit(1);
}
run(options).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    // Modes report what they expect; anything else is a bug, said in one line, not a stack.
    process.stderr.write(`nodis-cli: ${e instanceof Error ? e.message : String(e)}\n`);
    if (process.env.NODIS_CLI_DEBUG) console.error(e);
    process.exitCode = 1;
  },
);
