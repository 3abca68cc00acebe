import { expect } from 'vitest';
import { createTestEngine } from '@nodis/engine';
import { RespTestClient } from './resp-client.js';

/**
 * Shared Redis-oracle checks for the family tests.
 *
 * `expectCommandDocsMatch`: COMMAND INFO and COMMAND DOCS of each named command, in RESP2 and
 * RESP3, must equal redis-server's byte for byte (same reply tree).
 */
export async function expectCommandDocsMatch(port: number, names: readonly string[]): Promise<void> {
  const client = await RespTestClient.connect(port);
  try {
    const commands = names.flatMap((n) => [['COMMAND', 'INFO', n], ['COMMAND', 'DOCS', n]]);
    for (const protocol of ['2', '3']) {
      const t = createTestEngine();
      t.run('HELLO', protocol);
      const theirs = await client.pipeline([['HELLO', protocol], ...commands]);
      commands.forEach((argv, i) => expect(t.run(...argv), `${argv.join(' ')} (RESP${protocol})`).toEqual(theirs[i + 1]));
    }
  } finally {
    client.close();
  }
}
