import { ReplyError, type Reply, type ReplyPush } from '@nodis/protocol';
import { openResp, openSocket, type StreamTransport } from '@nodis/client/stream';
import { DEFAULT_PORT, type CliOptions } from './options.js';

/**
 * The CLI's connection: one @nodis/client stream transport (RESP over TCP or a Unix socket, or
 * nodis's native protocol for unix:// URLs), with redis-cli's session set-up done here rather
 * than in the transport's handshake, so that a failing step is reported and the session goes
 * on, as redis-cli does ("AUTH failed: …", "SELECT 99 failed: …"):
 *   AUTH [user] pass, HELLO 3 (-3), SELECT db — after connecting and again after every
 *   reconnection (the database follows the session's SELECTs).
 * The transport reconnects on the next call after a loss; calls in flight then fail.
 */

/** How long connecting, and the set-up's replies, may take (a peer that accepts and never answers). */
const SETUP_TIMEOUT_MS = 5000;

/** What connecting failed with, worded for a person ("Could not connect to … Connection refused"). */
export class ConnectError extends Error {}

/** errno names to the words of strerror(3) that redis-cli prints. */
const ERRNO_WORDS: Record<string, string> = {
  ECONNREFUSED: 'Connection refused',
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  ETIMEDOUT: 'Connection timed out',
  EHOSTUNREACH: 'No route to host',
  ENETUNREACH: 'Network is unreachable',
  ECONNRESET: 'Connection reset by peer',
  ENOTSOCK: 'Socket operation on non-socket',
  ENOTFOUND: 'Name or service not known',
  EAI_AGAIN: 'Temporary failure in name resolution',
  EADDRNOTAVAIL: 'Cannot assign requested address',
};

/** The words of a transport's connect failure: the errno's, else its message without the "nodis: " prefix. */
export function reasonOf(e: unknown): string {
  if (e instanceof Error && e.name === 'TimeoutError') return `no reply within ${SETUP_TIMEOUT_MS / 1000} s (is it a Redis or nodis server?)`;
  const message = e instanceof Error ? e.message : String(e);
  const code = /\b(E[A-Z_]{3,})\b/.exec(message)?.[1];
  if (code !== undefined && ERRNO_WORDS[code] !== undefined) return ERRNO_WORDS[code]!;
  return message.replace(/^nodis: /, '');
}

export class CliConnection {
  /** For messages and the prompt: host:port or the socket path. */
  readonly display: string;
  /** The database the session is in (the prompt shows it when not 0). */
  db: number;
  private transport: StreamTransport | undefined;
  /** The set-up (AUTH, HELLO, SELECT) must run before the next command. */
  private needsSetup = true;
  /** The connection is up as far as we know (the prompt says `not connected` otherwise). */
  connected = false;
  /**
   * RESP3 pushes that answer no command (CLIENT TRACKING invalidations, messages of a
   * subscription): without a handler a push would be taken for the next command's reply.
   */
  onPush: (push: ReplyPush) => void = () => {};

  constructor(readonly options: CliOptions, private readonly warn: (line: string) => void = (l) => process.stderr.write(`${l}\n`)) {
    this.db = options.db;
    this.display = options.uri !== undefined ? displayOfUri(options.uri) : options.socket ?? `${options.host}:${options.port}`;
  }

  /** The URL the transport opens: credentials and database are the set-up's, not the URL's. */
  private url(): { url: string; native: boolean } {
    const { uri, socket, host, port } = this.options;
    if (uri !== undefined) {
      const u = new URL(uri);
      u.username = '';
      u.password = '';
      u.searchParams.delete('db');
      u.searchParams.delete('username');
      u.searchParams.delete('password');
      return { url: u.href, native: u.protocol === 'unix:' };
    }
    if (socket !== undefined) return { url: `redis+unix://${encodeURI(socket.startsWith('/') ? socket : `${process.cwd()}/${socket}`)}`, native: false };
    const h = host.includes(':') ? `[${host}]` : host;
    return { url: `redis://${h}:${port}`, native: false };
  }

  /** The credentials and database of a unix:// or redis+unix:// URL (query), else the options'. */
  private credentials(): { user: string | undefined; password: string | undefined } {
    let { user, password } = this.options;
    if (this.options.uri !== undefined) {
      const u = new URL(this.options.uri);
      user = u.searchParams.get('username') ?? (u.username ? decodeURIComponent(u.username) : user);
      password = u.searchParams.get('password') ?? (u.password ? decodeURIComponent(u.password) : password);
    }
    return { user, password };
  }

  /** Opens the connection and runs the set-up; throws ConnectError when the server can't be reached. */
  async connect(): Promise<void> {
    if (this.transport === undefined) {
      const { url, native } = this.url();
      try {
        this.transport = native ? await openSocket(url, { connectTimeout: SETUP_TIMEOUT_MS }) : await openResp(url, { connectTimeout: SETUP_TIMEOUT_MS });
      } catch (e) {
        throw new ConnectError(this.connectMessage(e));
      }
      this.transport.onConnectionLost = () => { this.connected = false; this.needsSetup = true; };
      this.transport.onPush = (push) => this.onPush(push);
      this.needsSetup = true;
    }
    if (this.needsSetup) await this.setup();
  }

  /** redis-cli's words, and where the target is nodis's default, how to start the server. */
  private connectMessage(e: unknown): string {
    const line = `Could not connect to ${this.options.uri !== undefined ? this.display : `Redis at ${this.display}`}: ${reasonOf(e)}`;
    const isDefault = this.options.uri === undefined && this.options.socket === undefined && this.options.host === '127.0.0.1' && this.options.port === DEFAULT_PORT;
    return isDefault && /refused/.test(line) ? `${line}\n(is nodis-server running? \`npm start\` serves RESP on 127.0.0.1:${DEFAULT_PORT}; -p 6379 reaches a Redis)` : line;
  }

  /** AUTH, HELLO 3, SELECT as one batch; a refusal is reported and the session goes on. */
  private async setup(): Promise<void> {
    const t = this.transport!;
    const { user, password } = this.credentials();
    const steps: { argv: string[]; failed: (r: ReplyError) => string }[] = [];
    if (password !== undefined) steps.push({ argv: user !== undefined ? ['AUTH', user, password] : ['AUTH', password], failed: (r) => `AUTH failed: ${r.message}` });
    if (this.options.resp === 3) steps.push({ argv: ['HELLO', '3'], failed: (r) => `HELLO 3 failed: ${r.message}` });
    if (this.db !== 0) steps.push({ argv: ['SELECT', String(this.db)], failed: (r) => `SELECT ${this.db} failed: ${r.message}` });
    this.needsSetup = false;
    if (steps.length === 0) {
      // A lazily reconnecting transport: make sure the server is there now.
      try {
        await t.send(['PING'], { signal: AbortSignal.timeout(SETUP_TIMEOUT_MS) });
      } catch (e) {
        this.needsSetup = true;
        throw new ConnectError(this.connectMessage(e));
      }
      this.connected = true;
      return;
    }
    let replies: Reply[];
    try {
      replies = await t.sendBatch(steps.map((s) => s.argv), { signal: AbortSignal.timeout(SETUP_TIMEOUT_MS) });
    } catch (e) {
      this.needsSetup = true;
      throw new ConnectError(this.connectMessage(e));
    }
    this.connected = true;
    replies.forEach((r, i) => {
      if (r instanceof ReplyError) {
        this.warn(steps[i]!.failed(r));
        if (steps[i]!.argv[0] === 'SELECT') this.db = 0;
      }
    });
  }

  /**
   * Sends one command (connecting first if needed) and resolves to its raw reply; a reply
   * error resolves too (it is a ReplyError value). Rejects with ConnectError when the server
   * can't be reached, or with the transport's error when the connection was lost meanwhile.
   * A successful SELECT moves the session to that database.
   */
  async send(argv: string[], signal?: AbortSignal): Promise<Reply> {
    await this.connect();
    let reply: Reply;
    try {
      reply = await this.transport!.send(argv, signal !== undefined ? { signal } : undefined);
    } catch (e) {
      if (!this.connected) throw new ConnectError(`Error: Server closed the connection`);
      throw e;
    }
    if (argv.length === 2 && argv[0]!.toLowerCase() === 'select' && !(reply instanceof ReplyError)) this.db = Number(argv[1]);
    return reply;
  }

  /**
   * Another connection to the same server with the session's set-up (pub/sub mode, a side
   * channel); `overrides` changes options of the copy (`{ resp: 3 }` for pushes).
   */
  async duplicate(overrides: Partial<CliOptions> = {}): Promise<CliConnection> {
    const other = new CliConnection({ ...this.options, db: this.db, ...overrides }, this.warn);
    await other.connect();
    return other;
  }

  /** The transport, for modes that need pushes (RESP3 pub/sub). */
  get raw(): StreamTransport | undefined { return this.transport; }

  async close(): Promise<void> {
    const t = this.transport;
    this.transport = undefined;
    this.connected = false;
    await t?.close();
  }
}

function displayOfUri(uri: string): string {
  try {
    const u = new URL(uri);
    if (u.protocol === 'unix:' || u.protocol === 'redis+unix:') return decodeURIComponent(u.pathname);
    return `${u.hostname}:${u.port || 6379}`;
  } catch {
    return uri;
  }
}
