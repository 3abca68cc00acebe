import { CapturingWriter, Engine, type Client, type EngineOptions } from '@nodis/engine';
import type { Reply } from '@nodis/protocol';
import type { Transport } from '../transport.js';

/**
 * The memory transport: an engine in the caller's thread, no worker, no I/O. For unit tests
 * and single-threaded programs; every call runs synchronously, the async API just wraps it.
 * Several clients can share one engine (`createMemoryStore().connect()` twice).
 */
export class MemoryStore {
  readonly engine: Engine;
  constructor(options: EngineOptions = {}) {
    this.engine = new Engine(options);
  }
  transport(): MemoryTransport { return new MemoryTransport(this.engine); }
}

export class MemoryTransport implements Transport {
  readonly kind = 'memory';
  private readonly writer = new CapturingWriter();
  private readonly client: Client;
  private closed = false;

  constructor(private readonly engine: Engine) {
    this.client = engine.createClient({ reply: this.writer, kind: 'memory', addr: 'memory:0', laddr: 'memory:0' });
  }

  sendSync(argv: string[]): Reply {
    if (this.closed) throw new Error('nodis: the connection is closed');
    this.engine.execute(this.client, argv);
    const reply = this.writer.takeOne();
    if (this.client.closeAfterReply) this.close();
    return reply;
  }

  send(argv: string[]): Promise<Reply> {
    try {
      return Promise.resolve(this.sendSync(argv));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  sendBatch(batch: string[][]): Promise<Reply[]> {
    try {
      return Promise.resolve(batch.map((argv) => this.sendSync(argv)));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.engine.removeClient(this.client);
    }
    return Promise.resolve();
  }
}
