import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ReplyError, type Reply } from '@nodis/protocol';
import { CliConnection, ConnectError } from './connection.js';
import { CommandTable } from './docs.js';
import { completeLine, hintFor } from './completion.js';
import { formatCommandReply, formatReply } from './format.js';
import { helpText } from './help.js';
import { History, LineEditor } from './line-editor.js';
import { CLI_VERSION, type CliOptions } from './options.js';
import { splitArgs, toBytes } from './split-args.js';
import { formatOf, repeatPrefix } from './one-shot.js';
import { isSubscribeCommand, runSubscribeMode } from './subscribe-mode.js';

/**
 * The interactive session, as redis-cli's: a prompt `127.0.0.1:7379[db]>` (`(TX)` inside
 * MULTI, `not connected>` when the server is away), replies formatted for a person, help from
 * the specs (and from the server's COMMAND DOCS once connected, so a newer server's commands
 * show up), Tab completion and inline hints, history in ~/.nodis_history.
 *
 * Beyond redis-cli 7.0: ^C cancels a running command (a blocked BLPOP is released on the
 * server with CLIENT UNBLOCK) and the session goes on; ^C leaves pub/sub mode back to the
 * prompt. After a lost connection the next command reconnects.
 *
 * REPL words of its own: help [command | @group], quit / exit, clear, connect host port,
 * `N command` (run it N times), :set hints / :set nohints.
 */

/** Where the history lives: $NODISCLI_HISTFILE (`/dev/null` keeps none), else ~/.nodis_history. */
function historyFile(): string | undefined {
  const env = process.env.NODISCLI_HISTFILE;
  if (env === '/dev/null') return undefined;
  if (env !== undefined && env !== '') return env.startsWith('~/') ? path.join(os.homedir(), env.slice(2)) : env;
  return path.join(os.homedir(), '.nodis_history');
}

/** ~/.nodisclirc ($NODISCLI_RCFILE): `:set hints` / `:set nohints` lines, as redis-cli's ~/.redisclirc. */
function readPreferences(): string[] {
  const file = process.env.NODISCLI_RCFILE ?? path.join(os.homedir(), '.nodisclirc');
  try {
    return readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l.startsWith(':set '));
  } catch {
    return [];
  }
}

/** Lines carrying a password are not written to the history (as redis-cli 7). */
function isSensitive(words: string[]): boolean {
  const [a = '', b = '', c = ''] = words.map((w) => w.toLowerCase());
  if (a === 'auth' || a === 'migrate') return true;
  if (a === 'hello' && words.some((w) => w.toLowerCase() === 'auth')) return true;
  if (a === 'acl' && b === 'setuser') return true;
  return a === 'config' && b === 'set' && (c === 'requirepass' || c === 'masterauth' || c === 'masteruser');
}

export async function runRepl(o: CliOptions): Promise<number> {
  const table = CommandTable.fromSpecs();
  let conn = new CliConnection(o, (line) => say(`${line}\n`));
  let hints = true;
  for (const line of readPreferences()) {
    const m = /^:set\s+(hints|nohints)$/.exec(line);
    if (m) hints = m[1] === 'hints';
  }
  let inMulti = false;
  let docsLoaded = false;
  const history = new History(historyFile());
  const editor = new LineEditor({
    input: process.stdin,
    output: process.stdout,
    history,
    complete: (line, cursor) => completeLine(table, line, cursor),
    // hintFor starts its hint with the space it needs.
    hint: (line) => (hints ? hintFor(table, line) : ''),
  });
  /** Writes bytes (latin1 strings: replies) above the edited line. */
  function say(s: string): void {
    editor.write(s);
  }
  function sayBytes(s: string): void {
    process.stdout.write(Buffer.from(s, 'latin1'));
  }
  const restore = (): void => editor.close();
  process.on('exit', restore);

  /** The server's COMMAND DOCS, once per session: its commands join help, hints and completion. */
  async function loadServerDocs(): Promise<void> {
    if (docsLoaded || !conn.connected) return;
    docsLoaded = true;
    try {
      const reply = await conn.send(['COMMAND', 'DOCS']);
      if (!(reply instanceof ReplyError)) table.addCommandDocs(reply);
      // Not authenticated yet: try again after the next command (AUTH, say). Other refusals
      // (a server without COMMAND DOCS) are final: our specs serve.
      else if (reply.message.startsWith('NOAUTH')) docsLoaded = false;
    } catch {
      docsLoaded = false;
    }
  }

  async function connect(): Promise<void> {
    try {
      await conn.connect();
      await loadServerDocs();
    } catch (e) {
      if (!(e instanceof ConnectError)) throw e;
      say(`${e.message}\n`);
    }
  }

  function watchPushes(): void {
    conn.onPush = (push) => { if (o.showPushes) sayBytes(formatReply(push, formatOf(o, conn))); };
  }
  watchPushes();
  await connect();

  /** Runs one command; false when it was cancelled or failed without a reply (a repeat stops). */
  async function runCommand(argv: string[]): Promise<boolean> {
    const name = argv[0]!.toLowerCase();
    const format = formatOf(o, conn);
    if (isSubscribeCommand(name)) {
      const controller = new AbortController();
      editor.onInterrupt = () => controller.abort();
      try {
        await runSubscribeMode(conn, argv, sayBytes, format, controller.signal);
      } catch (e) {
        say(`${e instanceof Error ? e.message : String(e)}\n`);
      } finally {
        editor.onInterrupt = undefined;
      }
      return false;
    }
    const controller = new AbortController();
    editor.onInterrupt = () => controller.abort();
    let reply: Reply;
    try {
      reply = await conn.send(argv, controller.signal);
    } catch (e) {
      if (controller.signal.aborted) say('(interrupted)\n');
      else say(`${e instanceof Error ? e.message : String(e)}\n`);
      if (!conn.connected) inMulti = false;
      return false;
    } finally {
      editor.onInterrupt = undefined;
    }
    if (name === 'multi' && !(reply instanceof ReplyError)) inMulti = true;
    else if ((name === 'exec' || name === 'discard') && !(reply instanceof ReplyError && /without MULTI/.test(reply.message))) inMulti = false;
    else if (reply instanceof ReplyError && /^EXECABORT/.test(reply.message)) inMulti = false;
    sayBytes(formatCommandReply(argv, reply, format));
    if (!docsLoaded) await loadServerDocs();
    return true;
  }

  for (;;) {
    const where = conn.connected ? `${conn.display}${conn.db !== 0 ? `[${conn.db}]` : ''}${inMulti ? '(TX)' : ''}` : 'not connected';
    const line = await editor.readLine(`${where}> `);
    if (line === null) break;
    const words = splitArgs(toBytes(line));
    if (words === null) {
      say('Invalid argument(s)\n');
      continue;
    }
    if (words.length === 0) continue;
    if (!isSensitive(words)) history.add(line);
    const first = words[0]!.toLowerCase();
    if (first === 'quit' || first === 'exit') break;
    if (first === 'help' || first === '?') {
      // Help words are text, not bytes: back from latin1 to what was typed.
      say(helpText(table, words.slice(1).map((w) => Buffer.from(w, 'latin1').toString('utf8')), CLI_VERSION));
      continue;
    }
    if (first === 'clear') {
      editor.clearScreen();
      continue;
    }
    if (first === ':set' && words.length === 2) {
      if (words[1] === 'hints' || words[1] === 'nohints') hints = words[1] === 'hints';
      else say(`unknown :set option '${words[1]}' (hints, nohints)\n`);
      continue;
    }
    if (first === 'connect' && words.length >= 2 && words.length <= 3) {
      await conn.close();
      conn = new CliConnection({ ...o, uri: undefined, socket: undefined, host: words[1]!, port: words[2] !== undefined ? Number(words[2]) : o.port, db: 0 }, (l) => say(`${l}\n`));
      watchPushes();
      inMulti = false;
      docsLoaded = false;
      await connect();
      continue;
    }
    // `3 incr n` runs INCR three times (redis-cli's repeat prefix).
    const repeat = repeatPrefix(words);
    if (repeat === 0) {
      say('Invalid redis-cli repeat command option value.\n');
      continue;
    }
    const argv = repeat === undefined ? words : words.slice(1);
    for (let i = 0; i < (repeat ?? 1); i++) if (!(await runCommand(argv))) break;
  }
  process.off('exit', restore);
  editor.close();
  await conn.close();
  return 0;
}
