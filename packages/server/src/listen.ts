import net from 'node:net';
import { chmodSync, unlinkSync, existsSync } from 'node:fs';
import type { Client, Engine } from '@nodis/engine';
import { EventLoopPoller, NativeWriter } from '@nodis/protocol';
import { CommandConnection, type ConnectionSink } from './connection.js';

/**
 * Socket listeners on the owner thread: RESP on loopback TCP and a Unix socket, the native
 * protocol on a Unix socket of its own; one engine behind all. Each accepted socket becomes a
 * CommandConnection (connection.ts: parse, run, one write per read event, backpressure); this
 * file only accepts, reads and closes sockets.
 */

/** Node's own read size. */
const READ_BUFFER_SIZE = 64 * 1024;
/** Escape hatch (A/B measurements, or a Node whose internals moved): NODIS_FAST_READ=0 keeps Node's default read path. */
const FAST_READ = process.env.NODIS_FAST_READ !== '0';
/** NODIS_POLL=0 turns event-loop polling after requests off (A/B measurements). */
const POLL = process.env.NODIS_POLL !== '0';

export interface Connection {
  socket: net.Socket;
  client: Client;
  command: CommandConnection;
  protocol: 'resp' | 'native';
  /** When it connected (engine time, ms). */
  since: number;
}

export class SocketListener {
  readonly servers: net.Server[] = [];
  readonly connections = new Set<Connection>();
  private readonly unixPaths: string[] = [];

  constructor(private readonly engine: Engine, private readonly log: (level: string, msg: string) => void) {}

  async listenTcp(host: string, port: number): Promise<number> {
    const server = net.createServer({ noDelay: true, pauseOnConnect: true }, (socket) => this.accept(socket, 'tcp', '', 'resp'));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port, exclusive: true }, () => { server.off('error', reject); resolve(); });
    });
    this.servers.push(server);
    return (server.address() as net.AddressInfo).port;
  }

  /** A Unix socket: RESP (unixsocket) or the native protocol (nativesocket). */
  async listenUnix(path: string, perm: number, protocol: 'resp' | 'native' = 'resp'): Promise<void> {
    if (existsSync(path)) {
      // A stale socket from a crashed run: remove it only if nobody answers on it.
      const alive = await new Promise<boolean>((resolve) => {
        const probe = net.connect(path, () => { probe.destroy(); resolve(true); });
        probe.on('error', () => resolve(false));
      });
      if (alive) throw new Error(`Unix socket ${path} is in use by another server`);
      unlinkSync(path);
    }
    const server = net.createServer({ pauseOnConnect: true }, (socket) => this.accept(socket, 'unix', path, protocol));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => { server.off('error', reject); resolve(); });
    });
    if (perm) chmodSync(path, perm);
    this.servers.push(server);
    this.unixPaths.push(path);
  }

  /**
   * One read buffer for every connection of this listener: a read callback consumes it
   * synchronously (the parser copies whatever it keeps, see `copyInput`) before libuv reads
   * again, so connections never need a buffer each.
   */
  private readonly readBuffer = Buffer.allocUnsafe(READ_BUFFER_SIZE);

  /**
   * Re-wraps a connection accepted paused (pauseOnConnect) in a Socket that reads into
   * `readBuffer` through Node's `onread` option instead of allocating a 64 KiB ArrayBuffer per
   * read (malloc, realloc to size, a backing store, a Buffer) and pushing it through the
   * Readable machinery: measured ≈ 14% less owner CPU per request under redis-benchmark -P 16
   * (2026-11-24). Node 20 documents `onread` only for sockets it connects itself, so
   * this uses two undocumented pieces, both stable since Node 12: the Socket constructor's
   * `handle` option (what net.Server itself uses to wrap accepted handles) and `_handle` (to
   * detach the handle from the socket the server made). When either is missing, returns
   * undefined and the caller keeps the server's socket and 'data' events.
   */
  private adopt(accepted: net.Socket, onRead: (length: number, buffer: Buffer) => void): net.Socket | undefined {
    if (!FAST_READ) return undefined;
    const holder = accepted as unknown as { _handle?: { readStart?: unknown } | null };
    const handle = holder._handle;
    if (handle === null || handle === undefined || typeof handle.readStart !== 'function') return undefined;
    let socket: net.Socket;
    try {
      socket = new net.Socket({
        handle, noDelay: true, allowHalfOpen: false, readable: true, writable: true,
        onread: { buffer: this.readBuffer, callback: (n: number, buf: Uint8Array) => { onRead(n, buf as Buffer); } },
      } as net.SocketConstructorOpts);
    } catch {
      return undefined;
    }
    if ((socket as unknown as { _handle?: unknown })._handle !== handle) {
      socket.destroy();
      return undefined;
    }
    // The server's socket no longer owns the handle: destroying it without one closes nothing
    // and takes it out of the server's connection count (server.close() waits for that count;
    // our close() destroys the re-wrapped sockets itself).
    holder._handle = null;
    accepted.destroy();
    return socket;
  }

  private accept(accepted: net.Socket, kind: 'tcp' | 'unix', unixPath: string, protocol: 'resp' | 'native'): void {
    const engine = this.engine;
    const maxClients = engine.config.getNumber('maxclients');
    if (engine.clients.size >= maxClients) {
      engine.stats.rejectedConnections++;
      const refusal = 'ERR max number of clients reached';
      if (protocol === 'native') {
        const writer = new NativeWriter();
        writer.error(refusal);
        accepted.end(writer.take());
      } else {
        accepted.end(`-${refusal}\r\n`);
      }
      // Accepted paused: read (and drop) until the peer's FIN so the socket can close.
      accepted.resume();
      return;
    }
    // Assigned below, before the socket reads: the read callback must exist when adopting.
    let onChunk: (chunk: Buffer) => void = () => {};
    const adopted = this.adopt(accepted, (n, buffer) => { onChunk(buffer.subarray(0, n)); });
    const socket = adopted ?? accepted;
    const addr = kind === 'tcp' ? `${socket.remoteAddress}:${socket.remotePort}` : `${unixPath}:0`;
    const laddr = kind === 'tcp' ? `${socket.localAddress}:${socket.localPort}` : `${unixPath}:0`;
    const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
    const sink: ConnectionSink = {
      write: (bytes) => { socket.write(bytes); },
      get backlog() { return socket.writableLength; },
      pauseInput: () => { socket.pause(); },
      resumeInput: () => { socket.resume(); },
      end: (graceful) => { if (graceful) socket.end(); else socket.destroy(); },
    };
    const command = new CommandConnection(engine, sink, { kind, addr, laddr, fd, protocol, copyInput: adopted !== undefined, log: this.log });
    const connection: Connection = { socket, client: command.client, command, protocol, since: engine.time };
    this.connections.add(connection);
    socket.on('drain', () => command.drained());
    onChunk = (chunk: Buffer): void => {
      command.feed(chunk);
      if (POLL) this.poller.touch();
    };
    if (adopted === undefined) {
      socket.on('data', onChunk);
      socket.resume();
    }
    socket.on('error', () => { /* reset by peer and the like: 'close' follows */ });
    socket.on('close', () => {
      this.connections.delete(connection);
      engine.removeClient(command.client);
    });
  }

  /**
   * Closes idle clients (`timeout` seconds, 0 = never), native clients that sent no hello
   * within `native-hello-timeout` ms, and clients over their output buffer limits. Called from the
   * owner's cron.
   */
  closeIdle(now: number, timeoutSeconds: number): void {
    const helloTimeout = this.engine.config.getNumber('native-hello-timeout');
    for (const c of this.connections) {
      if (c.protocol === 'native' && !c.command.greeted && now - c.since > helloTimeout) {
        this.log('verbose', `Closing native client that sent no hello: id=${c.client.id} addr=${c.client.addr}`);
        c.command.close(false);
        continue;
      }
      c.command.checkOutputLimits(now);
    }
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

  /** Polls the event loop for a while after requests (poll.ts): the next one is often µs away. */
  private readonly poller = new EventLoopPoller(10, 200);

  async close(): Promise<void> {
    for (const c of this.connections) c.socket.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    for (const p of this.unixPaths) {
      try { unlinkSync(p); } catch { /* already gone */ }
    }
  }
}
