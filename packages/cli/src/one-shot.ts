import { setTimeout as sleep } from 'node:timers/promises';
import { ReplyError, type Reply } from '@nodis/protocol';
import { CliConnection, ConnectError } from './connection.js';
import { formatCommandReply, formatReply, type FormatOptions } from './format.js';
import type { CliOptions } from './options.js';
import { splitArgs, toBytes } from './split-args.js';
import { isSubscribeCommand, runSubscribeMode } from './subscribe-mode.js';

/**
 * Commands that are not typed at a prompt, printed as redis-cli prints them:
 *
 *   nodis-cli [-r N] [-i secs] [-x | -X tag] [--quoted-input] cmd args…    runOneShot
 *   printf 'set a 1\nget a\n' | nodis-cli                                  runStdinCommands
 *
 * Output is redis-cli 7.0's byte for byte (format.ts). Exit codes differ on purpose: an error
 * reply makes the exit code 1, where redis-cli exits 0 unless -e is given. Without -e the error
 * is printed where redis-cli prints it (stdout, formatted) and repeats go on; with -e, as
 * redis-cli -e: the message alone on stderr, and the command is not repeated further.
 * A server that can't be reached is a one-line message on stderr and exit code 1.
 */

/** stdout takes bytes: replies are latin1 strings. */
function writeOut(s: string): void {
  if (s.length > 0) process.stdout.write(Buffer.from(s, 'latin1'));
}

function writeErr(s: string): void {
  process.stderr.write(s);
}

/** How replies print for these options over this connection (the REPL uses it too). */
export function formatOf(o: CliOptions, conn: CliConnection): FormatOptions {
  return {
    mode: o.output, bulkDelimiter: toBytes(o.bulkDelimiter), replyDelimiter: toBytes(o.replyDelimiter),
    // nodis's native protocol hands status and error texts over as UTF-8-decoded strings.
    textIsUtf8: conn.raw?.kind === 'socket',
  };
}


/** All of stdin, as bytes (a latin1 string): -x and -X. */
async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('latin1');
}

/** An AbortSignal that fires on Ctrl-C or SIGTERM (ending pub/sub mode cleanly), and its removal. */
function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  return {
    signal: controller.signal,
    dispose: () => { process.off('SIGINT', abort); process.off('SIGTERM', abort); },
  };
}

/** The command line's words as bytes: --quoted-input parses each as one quoted string. */
function commandWords(o: CliOptions): string[] | string {
  const words: string[] = [];
  for (const arg of o.command) {
    const bytes = toBytes(arg);
    if (!o.quotedInput) {
      words.push(bytes);
      continue;
    }
    const parsed = splitArgs(bytes);
    if (parsed === null || parsed.length !== 1) return 'Invalid quoted string\n'; // on stdout, as redis-cli
    words.push(parsed[0]!);
  }
  return words;
}

/** Runs `argv` in pub/sub mode until Ctrl-C; the exit code. */
async function subscribeUntilInterrupted(conn: CliConnection, argv: string[], format: FormatOptions): Promise<number> {
  const { signal, dispose } = interruptSignal();
  try {
    return (await runSubscribeMode(conn, argv, writeOut, format, signal)) ? 0 : 1;
  } finally {
    dispose();
  }
}

/** One command from the command line, -r times, -i seconds apart. */
export async function runOneShot(o: CliOptions): Promise<number> {
  const words = commandWords(o);
  if (typeof words === 'string') {
    writeOut(words);
    return 1;
  }
  if (o.stdinLastArg) {
    words.push(await readAllStdin());
  } else if (o.stdinTag !== undefined) {
    const at = words.indexOf(toBytes(o.stdinTag));
    if (at === -1) {
      writeErr('Using -X option but stdin tag not match.\n');
      return 1;
    }
    words[at] = await readAllStdin();
  }
  const conn = new CliConnection(o);
  try {
    if (isSubscribeCommand(words[0]!)) return await subscribeUntilInterrupted(conn, words, formatOf(o, conn));
    await conn.connect();
    const format = formatOf(o, conn);
    // RESP3 pushes that answer no command (CLIENT TRACKING …), printed with --show-pushes yes.
    conn.onPush = (push) => { if (o.showPushes) writeOut(formatReply(push, format)); };
    const isShutdown = words[0]!.toLowerCase() === 'shutdown';
    let failed = false;
    for (let left = o.repeat; left < 0 || left-- > 0;) {
      let reply: Reply;
      try {
        reply = await conn.send(words);
      } catch (e) {
        // SHUTDOWN that worked ends with the server closing the connection: nothing to say.
        if (isShutdown && e instanceof ConnectError) return 0;
        throw e;
      }
      if (reply instanceof ReplyError) {
        failed = true;
        if (o.exitOnError) {
          // The message's bytes, alone, as redis-cli -e prints it.
          const message = format.textIsUtf8 === true ? Buffer.from(reply.message, 'utf8') : Buffer.from(reply.message, 'latin1');
          process.stderr.write(Buffer.concat([message, Buffer.from('\n')]));
          return 1;
        }
      }
      writeOut(formatCommandReply(words, reply, format));
      if (o.interval > 0 && left !== 0) await sleep(o.interval * 1000);
    }
    return failed ? 1 : 0;
  } catch (e) {
    if (!(e instanceof ConnectError)) throw e;
    writeErr(`${e.message}\n`);
    return 1;
  } finally {
    await conn.close();
  }
}

/**
 * Lines from stdin, split at LF, as bytes (latin1 strings). Chunks are kept until a line is
 * complete and joined once, so a line of any length (a 10 MB value) costs one copy. The last
 * line needs no LF.
 */
async function* stdinLines(): AsyncGenerator<string> {
  let held: Buffer[] = [];
  for await (const data of process.stdin) {
    const chunk = data as Buffer;
    let start = 0;
    for (;;) {
      const lf = chunk.indexOf(10, start);
      if (lf === -1) {
        if (start < chunk.length) held.push(chunk.subarray(start));
        break;
      }
      const tail = chunk.subarray(start, lf);
      const line = held.length === 0 ? tail.toString('latin1') : Buffer.concat([...held, tail]).toString('latin1');
      held = [];
      start = lf + 1;
      yield line;
    }
  }
  if (held.length > 0) yield Buffer.concat(held).toString('latin1');
}

/**
 * A leading number repeats the command (`3 incr n`), as at redis-cli's prompt: a first word
 * that is all number (strtol's view: optional blanks and sign, digits) when more words follow.
 * Returns the count (0 for an invalid one) or undefined when the first word is a command.
 */
export function repeatPrefix(words: string[]): number | undefined {
  if (words.length < 2) return undefined;
  const first = words[0]!;
  if (first === '') return 0; // strtol reads nothing and stops at the end: a count of 0
  if (!/^[\t\n\v\f\r ]*[+-]?\d+$/.test(first)) return undefined;
  const n = Number(first.trim());
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

/**
 * No command and stdin is not a terminal: each line of stdin is a command, as redis-cli's
 * prompt reads lines it cannot edit (no prompt, no history): words split as redis-cli splits
 * them ("Invalid argument(s)" for unbalanced quotes), `N cmd …` repeats, quit / exit stop,
 * SUBSCRIBE enters pub/sub mode until killed. Replies print like one-shot replies, errors on
 * stdout as redis-cli prints them; the exit code is 1 if any command answered an error or
 * could not reach the server (redis-cli exits 0).
 */
export async function runStdinCommands(o: CliOptions): Promise<number> {
  const conn = new CliConnection(o);
  let failed = false;
  try {
    try {
      await conn.connect();
    } catch (e) {
      if (!(e instanceof ConnectError)) throw e;
      // As redis-cli: said now, and again for each command that finds no server.
      writeErr(`${e.message}\n`);
      failed = true;
    }
    for await (const line of stdinLines()) {
      const words = splitArgs(line);
      if (words === null) {
        writeOut('Invalid argument(s)\n');
        continue;
      }
      if (words.length === 0) continue;
      let repeat = repeatPrefix(words);
      if (repeat === 0) {
        writeOut('Invalid redis-cli repeat command option value.\n');
        continue;
      }
      if (repeat !== undefined) words.shift();
      repeat ??= 1;
      const name = words[0]!.toLowerCase();
      if (name === 'quit' || name === 'exit') break;
      if (name === 'clear') {
        writeOut('\x1b[H\x1b[2J');
        continue;
      }
      if (isSubscribeCommand(name)) {
        if ((await subscribeUntilInterrupted(conn, words, formatOf(o, conn))) !== 0) failed = true;
        break;
      }
      while (repeat-- > 0) {
        let reply: Reply;
        try {
          reply = await conn.send(words);
        } catch (e) {
          if (!(e instanceof ConnectError)) throw e;
          writeErr(`${e.message}\n`);
          failed = true;
          break;
        }
        if (reply instanceof ReplyError) failed = true;
        writeOut(formatCommandReply(words, reply, formatOf(o, conn)));
        if (o.interval > 0 && repeat > 0) await sleep(o.interval * 1000);
      }
    }
  } catch (e) {
    if (!(e instanceof ConnectError)) throw e;
    writeErr(`${e.message}\n`);
    failed = true;
  } finally {
    await conn.close();
  }
  return failed ? 1 : 0;
}
