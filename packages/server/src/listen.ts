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
/** Commands a blocked client may queue behind its blocking command before we close it. */
const MAX_PENDING_WHILE_BLOCKED = 100_000;

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

    let paused = false;
    const flush = (): void => {
      if (writer.length === 0) return;
      const bytes = writer.take();
      engine.stats.netOutputBytes += bytes.length;
      socket.write(bytes);
      if (!paused && socket.writableLength > OUTPUT_SOFT_LIMIT) {
        paused = true;
        socket.pause();
      }
    };
    socket.on('drain', () => {
      if (paused) { paused = false; socket.resume(); }
    });

    // While the client is blocked (BLPOP ...), its next commands wait in arrival order, as in
    // Redis; we keep reading so a disconnect is noticed and the wait cancelled.
    const pending: string[][] = [];
    const run = (argv: string[]): boolean => {
      engine.execute(client, argv);
      parser.authenticated = client.authenticated;
      return !client.closeAfterReply && !client.closed;
    };
    const onCommand = (argv: string[]): boolean => {
      if (client.blocked || pending.length !== 0) {
        if (pending.length >= MAX_PENDING_WHILE_BLOCKED) {
          this.log('warning', `Closing blocked client with too many queued commands: id=${client.id} addr=${client.addr}`);
          socket.destroy();
          engine.removeClient(client);
          return false;
        }
        pending.push(argv);
        return true;
      }
      return run(argv);
    };
    client.onDeferredReply = () => {
      while (pending.length !== 0 && !client.blocked && !client.closeAfterReply && !client.closed) run(pending.shift()!);
      flush();
      if (client.closeAfterReply && !client.closed) {
        socket.end();
        engine.removeClient(client);
      }
    };

    socket.on('data', (chunk: Buffer) => {
      if (client.closed) return;
      engine.stats.netInputBytes += chunk.length;
      const error = parser.feed(chunk, onCommand);
      if (error !== undefined) {
        writer.error(`ERR ${error}`);
        flush();
        this.log('verbose', `Protocol error (${error}) from client: id=${client.id} addr=${client.addr}`);
        socket.end();
        engine.removeClient(client);
        return;
      }
      flush();
      if (client.closeAfterReply) {
        socket.end();
        engine.removeClient(client);
        return;
      }
      const limit = client.authenticated ? QUERY_BUFFER_LIMIT : UNAUTHENTICATED_QUERY_LIMIT;
      if (parser.buffered > limit) {
        this.log('warning', `Closing client that reached max query buffer length: id=${client.id} addr=${client.addr}`);
        socket.destroy();
        engine.removeClient(client);
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
