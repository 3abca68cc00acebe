import { BlockingRegistry } from './blocking.js';
import { Client, type ClientOptions } from './client.js';
import type { Command } from './command.js';
import { allCommands } from './commands/index.js';
import { Config, type ConfigParam } from './config.js';
import { installActiveExpire } from './expire.js';
import { Database, installAccessTracking, type KeyspaceHost } from './keyspace.js';
import { CommandTable, checkAccess } from './table.js';

/**
 * The engine: keyspace, command table, clients and server-wide state. Pure and synchronous:
 * the host (owner thread, memory transport, tests) feeds it argv and drives its timers.
 * One command runs at a time, start to finish, so every command is atomic.
 */

export interface EngineHooks {
  /** SHUTDOWN: the host stops serving and exits. */
  shutdown?(options: { save: boolean | undefined; now: boolean; force: boolean }): void;
  /** A command's handler threw; the engine answered the client and closes it (log it). */
  onInternalError?(command: string, error: unknown): void;
  /** Blocked clients: call engine.expireBlocked() at (or soon after) this time (ms). */
  wakeAt?(ms: number): void;
  /** Extra INFO sections or fields the host knows (server: tcp_port, process_id ...). */
  info?(): Record<string, Record<string, string | number>>;
  /** CONFIG REWRITE: write the running configuration to the config file; throw Error(reason) on failure. */
  rewriteConfig?(): void;
}

export interface EngineOptions {
  /** Clock in ms; tests inject one so expiry needs no sleeping. */
  clock?: () => number;
  /** Initial configuration values (`databases`, `requirepass`, ...), by CONFIG name. */
  config?: Record<string, string>;
  /** Extra config parameters the host owns. */
  extraParams?: ConfigParam[];
  hooks?: EngineHooks;
  /** Commands to add (tests, later families); default: every built-in command. */
  commands?: readonly Command[];
}

export interface EngineStats {
  startTime: number;
  totalConnections: number;
  totalCommands: number;
  expiredKeys: number;
  rejectedConnections: number;
  keyspaceHits: number;
  keyspaceMisses: number;
  netInputBytes: number;
  netOutputBytes: number;
}

export class Engine implements KeyspaceHost {
  /** Cached time of the command being run (ms). */
  time: number;
  readonly clock: () => number;
  readonly config: Config;
  readonly dbs: Database[] = [];
  readonly table: CommandTable;
  readonly clients = new Map<number, Client>();
  readonly hooks: EngineHooks;
  readonly stats: EngineStats;
  /** Clients parked in blocking commands, and the keys they wait on. */
  readonly blocking: BlockingRegistry;
  private nextClientId = 1;

  constructor(options: EngineOptions = {}) {
    this.clock = options.clock ?? Date.now;
    this.time = this.clock();
    this.config = new Config();
    for (const p of options.extraParams ?? []) this.config.define(p);
    for (const [k, v] of Object.entries(options.config ?? {})) this.config.set(k, v, true);
    const databases = this.config.getNumber('databases');
    for (let i = 0; i < databases; i++) this.dbs.push(new Database(i, this));
    this.table = new CommandTable(options.commands ?? allCommands);
    this.hooks = options.hooks ?? {};
    this.blocking = new BlockingRegistry(() => this.time, (ms) => this.hooks.wakeAt?.(ms));
    this.stats = {
      startTime: this.time, totalConnections: 0, totalCommands: 0, expiredKeys: 0,
      rejectedConnections: 0, keyspaceHits: 0, keyspaceMisses: 0, netInputBytes: 0, netOutputBytes: 0,
    };
    installAccessTracking(this);
    installActiveExpire(this);
  }

  createClient(options: ClientOptions): Client {
    const client = new Client(this, this.nextClientId++, options);
    this.clients.set(client.id, client);
    this.stats.totalConnections++;
    return client;
  }

  /** Forgets a client (its connection is gone). Idempotent. */
  removeClient(client: Client): void {
    if (client.closed) return;
    client.closed = true;
    this.blocking.cancel(client);
    this.clients.delete(client.id);
  }

  /**
   * Runs one command for a client; exactly one reply is written to client.reply.
   * argv[0] is the command name; every element is a latin1 (byte) string.
   */
  execute(client: Client, argv: string[]): void {
    this.time = this.clock();
    client.lastInteraction = this.time;
    if (argv.length === 0) return;
    const resolved = this.table.resolve(client, argv);
    if (resolved === undefined) return;
    if (!checkAccess(client, resolved, argv)) return;
    client.lastCommand = resolved.fullName;
    this.stats.totalCommands++;
    try {
      resolved.command.run!(client, argv);
    } catch (e) {
      this.internalError(client, resolved.fullName, e);
    }
    if (this.blocking.hasReady) this.blocking.serveReady();
  }

  /**
   * A handler threw (a bug, or a V8 limit such as a Map past 2^24 entries): the server must not
   * die and the data must stay. The client gets an error and is closed after it, because the
   * handler may have written part of a reply and the stream could be out of step.
   */
  private internalError(client: Client, command: string, e: unknown): void {
    const message = e instanceof Error ? e.message : String(e);
    this.hooks.onInternalError?.(command, e);
    client.reply.error(`ERR internal error in '${command}': ${message.replace(/[\r\n]+/g, ' ')}`);
    client.closeAfterReply = true;
  }

  /** Answers blocked clients whose timeout has passed; the host calls it when wakeAt asked. */
  expireBlocked(): void {
    this.time = this.clock();
    this.blocking.expire(this.time);
  }

  /** Periodic work, called `hz` times a second by the host: active expiry and the like. */
  cron(): void {
    this.time = this.clock();
    for (const task of this.cronTasks) task(this);
  }

  /** Families register periodic work here (active expiry registers itself). */
  readonly cronTasks: ((engine: Engine) => void)[] = [];

  // KeyspaceHost
  onExpired(_db: Database, _key: string): void {
    this.stats.expiredKeys++;
  }
  onKeyModified(db: Database, key: string): void {
    // A key that changed may now serve blocked clients: a push, but also RENAME, COPY, MOVE
    // or RESTORE creating a list (Redis signals in dbAdd). One Map lookup when nobody waits.
    // WATCH and keyspace notifications hook in here too (later issues).
    this.blocking.signal(db, key);
  }
}
