import { ReplyError, type Reply } from '@nodis/protocol';
import { CliConnection, ConnectError } from './connection.js';
import { quoteBytes } from './format.js';
import type { CliOptions } from './options.js';

/**
 * --scan [--pattern p] [--count n] [-i secs]: every key, one a line, from SCAN calls until the
 * cursor comes back to 0, as redis-cli 7.0 prints them: quoted (`"bin\x01key"`) when the output
 * is a terminal (or --no-raw), the key's bytes as they are otherwise. -i waits between calls.
 *
 * One difference: redis-cli prints a raw key with printf("%s"), so a key holding a NUL byte is
 * cut there; nodis-cli writes all of its bytes.
 */
export async function runScan(o: CliOptions): Promise<number> {
  const conn = new CliConnection(o);
  try {
    const quoted = o.output === 'standard';
    // The pattern's bytes are its UTF-8 encoding; argv elements are latin1 strings (one char a byte).
    const match = o.pattern !== '*' ? ['MATCH', Buffer.from(o.pattern, 'utf8').toString('latin1')] : [];
    let cursor = '0';
    do {
      let reply: Reply;
      try {
        reply = await conn.send(['SCAN', cursor, ...match, 'COUNT', String(o.scanCount ?? 10)]);
      } catch (e) {
        process.stderr.write(e instanceof ConnectError ? `${e.message}\n` : '\nI/O error\n');
        return 1;
      }
      if (reply instanceof ReplyError) {
        process.stderr.write(`SCAN error: ${reply.message}\n`);
        return 1;
      }
      if (!Array.isArray(reply)) {
        process.stderr.write('Non ARRAY response from SCAN!\n');
        return 1;
      }
      if (reply.length !== 2 || !Array.isArray(reply[1])) {
        process.stderr.write('Invalid element count from SCAN!\n');
        return 1;
      }
      cursor = String(reply[0]);
      const keys = reply[1];
      if (keys.length > 0) {
        let out = '';
        for (const key of keys) out += `${quoted ? quoteBytes(bytesOf(key)) : bytesOf(key)}\n`;
        await write(out);
      }
      if (o.interval > 0 && cursor !== '0') await new Promise((r) => setTimeout(r, o.interval * 1000));
    } while (cursor !== '0');
    return 0;
  } finally {
    await conn.close();
  }
}

/** A key as a latin1 string (one char a byte), whatever shape the transport gave it. */
function bytesOf(key: Reply): string {
  if (typeof key === 'string') return key;
  if (key instanceof Uint8Array) return Buffer.from(key).toString('latin1');
  return String(key);
}

/** Writes latin1 text as bytes, waiting when stdout is behind (a pipe to a slow reader). */
function write(latin1: string): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.write(Buffer.from(latin1, 'latin1'))) resolve();
    else process.stdout.once('drain', () => resolve());
  });
}
