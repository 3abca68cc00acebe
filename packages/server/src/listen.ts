import net from 'node:net';
import { chmodSync, unlinkSync, existsSync } from 'node:fs';
import type { Client, Engine } from '@nodis/engine';
import { RequestParser, RespWriter } from '@nodis/protocol';

/**
 * RESP listeners on the owner thread: loopback TCP and a Unix socket, one engine behind both.
 *
 * Per connection: bytes → RequestParser → engine.execute → RespWriter, and ONE socket write per
 * read event with every reply that event produced (PERFORMANCE.md: writing replies one by one
 * costs 4× at pipeline depth 16). Backpressure: when the socket's write buffer passes
 * OUTPUT_SOFT_LIMIT we stop reading from that client until it drains, so a client that does
 * not read its replies cannot make the owner buffer without bound.
 */

const OUTPUT_SOFT_LIMIT = 1 << 20;
/** Redis closes an unauthenticated client whose query buffer passes 1 MiB. */
const UNAUTHENTICATED_QUERY_LIMIT = 1 << 20;
/** client-query-buffer-limit default: 1 GiB. */
const QUERY_BUFFER_LIMIT = 1 << 30;
/** Commands a client may queue (behind a blocking command or unread replies) before we close it. */
const MAX_PENDING = 100_000;

export interface Connection {
  socket: net.Socket;
  client: Client;
}

export class RespListener {
  readonly servers: net.Server[] = [];
  readonly connections = new Set<Connection>();
  private readonly unixPaths: string[] = [];

  constructor(private readonly engine: Engine, private readonly log: (level: string, msg: string) => void) {}

  async listenTcp(host: string, port: number): Promise<number> {
    const server = net.createServer({ noDelay: true }, (socket) => this.accept(socket, 'tcp'));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port, exclusive: true }, () => { server.off('error', reject); resolve(); });
    });
    this.servers.push(server);
    return (server.address() as net.AddressInfo).port;
  }

  async listenUnix(path: string, perm: number): Promise<void> {
    if (existsSync(path)) {
      // A stale socket from a crashed run: remove it only if nobody answers on it.
      const alive = await new Promise<boolean>((resolve) => {
        const probe = net.connect(path, () => { probe.destroy(); resolve(true); });
        probe.on('error', () => resolve(false));
      });
      if (alive) throw new Error(`Unix socket ${path} is in use by another server`);
      unlinkSync(path);
    }
    const server = net.createServer((socket) => this.accept(socket, 'unix'));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => { server.off('error', reject); resolve(); });
    });
    if (perm) chmodSync(path, perm);
    this.servers.push(server);
    this.unixPaths.push(path);
  }

  private accept(socket: net.Socket, kind: 'tcp' | 'unix'): void {
    const engine = this.engine;
    const maxClients = engine.config.getNumber('maxclients');
    if (engine.clients.size >= maxClients) {
      engine.stats.rejectedConnections++;
      socket.end('-ERR max number of clients reached\r\n');
      return;
    }
    const writer = new RespWriter(2);
    const parser = new RequestParser({ maxBulkLength: engine.config.getNumber('proto-max-bulk-len') });
    const addr = kind === 'tcp' ? `${socket.remoteAddress}:${socket.remotePort}` : `${this.unixPath(socket)}:0`;
    const laddr = kind === 'tcp' ? `${socket.localAddress}:${socket.localPort}` : `${this.unixPath(socket)}:0`;
    const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
    const client = engine.createClient({ reply: writer, kind, addr, laddr, fd, close: () => socket.destroy() });
    const connection: Connection = { socket, client };
    this.connections.add(connection);
    parser.authenticated = client.authenticated;

    const close = (graceful: boolean): void => {
      if (graceful) socket.end();
      else socket.destroy();
      engine.removeClient(client);
    };
    const flush = (): void => {
      if (writer.length === 0) return;
      const bytes = writer.take();
      engine.stats.netOutputBytes += bytes.length;
      socket.write(bytes);
    };
    /** Replies not yet handed to the kernel; past the soft limit we stop executing this client's commands. */
    const overLimit = (): boolean => socket.writableLength + writer.length > OUTPUT_SOFT_LIMIT;

    // Commands parsed but not yet run, in arrival order: those behind a blocking command
    // (BLPOP: Redis runs nothing else for a blocked client) and those behind replies the client
    // has not read yet (backpressure per command, not per read event: one read can hold
    // thousands of pipelined GETs). Reading stops while over the limit, which bounds the queue.
    const pending: string[][] = [];
    let readingPaused = false;
    const run = (argv: string[]): void => {
      engine.execute(client, argv);
      parser.authenticated = client.authenticated;
    };
    const runnable = (): boolean => !client.blocked && !client.closeAfterReply && !client.closed;
    /** Runs queued commands while the client is neither blocked nor behind on its replies. */
    const drainPending = (): void => {
      while (pending.length !== 0 && runnable()) {
        if (overLimit()) break;
        run(pending.shift()!);
      }
      flush();
      if (client.closeAfterReply && !client.closed) return close(true);
      const hold = overLimit();
      if (hold && !readingPaused) { readingPaused = true; socket.pause(); }
      else if (!hold && readingPaused && !client.closed) { readingPaused = false; socket.resume(); }
    };
    socket.on('drain', drainPending);
    // A deferred reply is written while the engine runs another client's command (its push
    // served this blocked client): drain on a microtask, after that command has finished,
    // so this client's queued commands never run nested inside another command.
    let drainScheduled = false;
    client.onDeferredReply = () => {
      if (drainScheduled) return;
      drainScheduled = true;
      queueMicrotask(() => {
        drainScheduled = false;
        if (!client.closed) drainPending();
      });
    };

    const onCommand = (argv: string[]): boolean => {
      if (pending.length !== 0 || client.blocked || overLimit()) {
        if (pending.length >= MAX_PENDING) {
          this.log('warning', `Closing client with too many queued commands: id=${client.id} addr=${client.addr}`);
          close(false);
          return false;
        }
        pending.push(argv);
        return true;
      }
      run(argv);
      return runnable() || client.blocked;
    };

    socket.on('data', (chunk: Buffer) => {
      if (client.closed) return;
      engine.stats.netInputBytes += chunk.length;
      const error = parser.feed(chunk, onCommand);
      if (error !== undefined) {
        writer.error(`ERR ${error}`);
        flush();
        this.log('verbose', `Protocol error (${error}) from client: id=${client.id} addr=${client.addr}`);
        return close(true);
      }
      if (client.closed) return;
      drainPending();
      if (client.closed) return;
      const limit = client.authenticated ? QUERY_BUFFER_LIMIT : UNAUTHENTICATED_QUERY_LIMIT;
      if (parser.buffered > limit) {
        this.log('warning', `Closing client that reached max query buffer length: id=${client.id} addr=${client.addr}`);
        close(false);
      }
    });
    socket.on('error', () => { /* reset by peer and the like: 'close' follows */ });
    socket.on('close', () => {
      this.connections.delete(connection);
      engine.removeClient(client);
    });
  }

  private unixPath(socket: net.Socket): string {
    const server = (socket as unknown as { server?: net.Server }).server;
    const a = server?.address();
    return typeof a === 'string' ? a : '';
  }

  /** Closes idle clients (`timeout` seconds, 0 = never). Called from the owner's cron. */
  closeIdle(now: number, timeoutSeconds: number): void {
    if (timeoutSeconds <= 0) return;
    for (const c of this.connections) {
      // Blocked clients have their own timeout (Redis exempts them too).
      if (c.client.blocked) continue;
      if (now - c.client.lastInteraction > timeoutSeconds * 1000) {
        c.socket.destroy();
        this.engine.removeClient(c.client);
      }
    }
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.socket.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    for (const p of this.unixPaths) {
      try { unlinkSync(p); } catch { /* already gone */ }
    }
  }
}
