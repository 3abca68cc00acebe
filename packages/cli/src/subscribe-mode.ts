import type { CliConnection } from './connection.js';
import { formatReply, type FormatOptions } from './format.js';

/**
 * SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE as redis-cli runs them: the command goes out and every
 * confirmation and message is printed as it arrives, until the signal aborts (Ctrl-C).
 * Outside raw mode a line comes first: "Reading messages... (press Ctrl-C to quit)".
 *
 * The subscription gets a connection of its own speaking RESP3 (a duplicate of `conn` with
 * HELLO 3): its confirmations and messages are pushes, handed to onPush in the order they
 * arrive, and printed exactly as redis-cli prints the RESP2 arrays it reads
 * (`1) "message"` / `2) "ch"` / `3) "hello"`): a push formats like an array. The command
 * itself is sent as an ordinary call that pushes never answer; only a refusal (an error reply,
 * e.g. SUBSCRIBE without a channel) settles it: the error is printed and the mode ends.
 *
 * Returns true when it ended on the signal, false when the server refused the command. Throws
 * ConnectError when the server can't be reached or closes the connection. The subscription's
 * connection is closed before it returns; `conn` is left as it was.
 */
export async function runSubscribeMode(
  conn: CliConnection, argv: string[], write: (s: string) => void, format: FormatOptions, signal: AbortSignal,
): Promise<boolean> {
  if (signal.aborted) return true;
  // Connected first: a server that can't be reached is the one thing said (as redis-cli).
  const sub = await conn.duplicate({ resp: 3 });
  if (format.mode !== 'raw') write('Reading messages... (press Ctrl-C to quit)\n');
  const options: FormatOptions = { ...format, textIsUtf8: sub.raw?.kind === 'socket' };
  sub.onPush = (push) => write(formatReply(push, options));
  try {
    const refusal = await sub.send(argv, signal);
    write(formatReply(refusal, options));
    return false;
  } catch (e) {
    if (signal.aborted) return true;
    throw e;
  } finally {
    sub.onPush = () => {};
    await sub.close();
  }
}

/** The commands that enter pub/sub mode. */
export function isSubscribeCommand(name: string): boolean {
  const n = name.toLowerCase();
  return n === 'subscribe' || n === 'psubscribe' || n === 'ssubscribe';
}
