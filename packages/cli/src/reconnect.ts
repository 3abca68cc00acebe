import { setTimeout as sleep } from 'node:timers/promises';
import type { Reply } from '@nodis/protocol';
import { CliConnection, ConnectError } from './connection.js';
import type { CliOptions } from './options.js';

/**
 * The connection of the long-running modes (--stat, --latency): when the server goes away,
 * they wait for it as redis-cli does, saying so on the status line
 * (`\r ESC[0K Reconnecting... N \r`, one attempt a second), and go on where they were.
 */
export class ReconnectingSession {
  private conn: CliConnection;

  private constructor(private readonly options: CliOptions) {
    this.conn = new CliConnection(options);
  }

  /**
   * The first connection: when it fails the mode ends, as in redis-cli (the message is
   * printed, and undefined returned for exit code 1).
   */
  static async open(options: CliOptions): Promise<ReconnectingSession | undefined> {
    const session = new ReconnectingSession(options);
    try {
      await session.conn.connect();
      return session;
    } catch (e) {
      if (!(e instanceof ConnectError)) throw e;
      process.stderr.write(`${e.message}\n`);
      return undefined;
    }
  }

  /** The command's reply (an error reply too), once the server answers it, however long that takes. */
  async send(argv: string[]): Promise<Reply> {
    for (let tries = 0; ; ) {
      try {
        const reply = await this.conn.send(argv);
        if (tries > 0) process.stdout.write('\r\x1b[0K');
        return reply;
      } catch {
        process.stdout.write(`\r\x1b[0KReconnecting... ${++tries}\r`);
        // A fresh connection each attempt (the transport's own backoff would stretch the wait).
        await this.conn.close().catch(() => {});
        this.conn = new CliConnection(this.options, () => {});
        await this.conn.connect().catch(() => {});
        await sleep(1000);
      }
    }
  }

  close(): Promise<void> {
    return this.conn.close();
  }
}

