import { BlockingRegistry } from './blocking.js';
import { Client, type ClientOptions } from './client.js';
import type { Command } from './command.js';
import { allCommands } from './commands/index.js';
import { Config, type ConfigParam } from './config.js';
import { installActiveExpire } from './expire.js';
import { Database, installAccessTracking, type KeyspaceHost } from './keyspace.js';
import { CommandTable, checkKeyTypes, type ResolvedCommand } from './table.js';
import { LOADING, NOAUTH } from './errors.js';
import { PubSub } from './pubsub.js';
import { NOTIFY_EXPIRED, NOTIFY_KEYEVENT, NOTIFY_KEYSPACE, notifyMask } from './notify.js';
import { Watching } from './multi.js';

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
  /**
   * SAVE, BGSAVE, BGREWRITEAOF: the host's persistence runs them. Each returns the reply:
   * a simple string on success, or an Error whose message is the error reply.
   */
  persistence?(command: 'save' | 'bgsave' | 'bgsave-schedule' | 'bgrewriteaof'): string | Error;
}

/**
 * Where write commands go once they ran (the append-only file): one record per command that
 * changed the data set, in execution order, with the database it ran in. `argv` is the
 * command's own when replaying it reproduces its effect, else the effect a handler wrote with
 * Engine.propagate (EXPIRE → PEXPIREAT, SPOP → SREM ...). The array must not be kept mutated.
 */
export interface Propagator {
  append(db: number, argv: readonly string[]): void;
}

/**
 * Held replies: under `appendfsync always` a reply may leave only once the fsync that covers
 * what its command saw has completed. Hosts ask before sending replies.
 */
export interface ReplyBarrier {
  /**
   * 0 when replies written so far may be sent now; else a ticket: the point (in bytes of log)
   * the disk must reach first. Every command run before the call is covered by it.
   */
  durabilityTicket(): number;
  /** Calls `ready` once the disk has reached `ticket` (then ask for a ticket again). */
  onDurable(ticket: number, ready: () => void): void;
}

/**
 * A snapshot in progress (BGSAVE, AOF rewrite) that must see the data set as it was when it
 * began: before a command changes keys, the guard saves their old values (copy-on-write by key).
 */
export interface SnapshotGuard {
  /** `client.db` is the database the command runs in. */
  beforeCommand(client: Client, command: Command, argv: readonly string[]): void;
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
  /** Changes to the data set so far (Redis's server.dirty): save points and the AOF count them. */
  dirty = 0;
  /** The data set is being loaded from disk: only commands flagged `loading` run. */
  loading = false;
  /**
   * Set while persistence is failing (a failed BGSAVE with stop-writes-on-bgsave-error, an
   * AOF that cannot be written): write commands, and PING as in Redis, get this error.
   */
  writeError: string | undefined;
  /** The append-only file, when one is open; undefined: nothing is logged. */
  propagator: Propagator | undefined;
  /** Set by the host when replies may have to wait for the disk (persistence). */
  replyBarrier: ReplyBarrier | undefined;
  /** A snapshot in progress; undefined when none. */
  snapshotGuard: SnapshotGuard | undefined;
  /** Set by propagate(): the running handler logged its effect itself. */
  private propagatedByHandler = false;
  /**
   * The command being run, and its argv: a blocking command remembers them, so a snapshot
   * that begins while it waits can guard its keys when it is served (two fields, set on every
   * command: no allocation).
   */
  currentCommand: Command | undefined;
  currentArgv: string[] = [];
  /** Channels, patterns and their subscribers. */
  readonly pubsub = new PubSub();
  /** notify-keyspace-events as a bit mask (notify.ts); 0: off. */
  notifyFlags = 0;
  /** WATCHed keys and the clients watching them. */
  readonly watching = new Watching();
  /**
   * EXEC's log records are wrapped in MULTI ... EXEC, as Redis propagates them, so a replay
   * applies a transaction whole: 0 outside EXEC, 1 inside before its first record, 2 after.
   */
  private execLog = 0;
  private execLogDb = 0;

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
    this.blocking = new BlockingRegistry(() => this.time, (ms) => this.hooks.wakeAt?.(ms), this);
    this.stats = {
      startTime: this.time, totalConnections: 0, totalCommands: 0, expiredKeys: 0,
      rejectedConnections: 0, keyspaceHits: 0, keyspaceMisses: 0, netInputBytes: 0, netOutputBytes: 0,
    };
    installAccessTracking(this);
    installActiveExpire(this);
    // The mask comes from the value as given: CONFIG GET prints `KEAn` as Redis does (`AKE`,
    // no `n`), but the `n` still counts.
    this.notifyFlags = notifyMask(options.config?.['notify-keyspace-events'] ?? this.config.get('notify-keyspace-events'));
    this.config.onChange('notify-keyspace-events', (_value, raw) => { this.notifyFlags = notifyMask(raw); });
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
    this.pubsub.removeClient(client);
    this.watching.unwatchAll(client);
    client.multi = undefined;
    this.clients.delete(client.id);
  }

  /**
   * Runs one command for a client; exactly one reply is written to client.reply (QUEUED inside
   * MULTI). argv[0] is the command name; every element is a latin1 (byte) string.
   * The checks come in Redis 7.0's order (processCommand): unknown command and arity,
   * authentication, commands refused inside MULTI, persistence errors, RESP2 subscriber mode,
   * loading, then MULTI queues. A check failing inside MULTI makes EXEC abort (EXECABORT);
   * EXEC itself refused ends the transaction (refuse).
   */
  execute(client: Client, argv: string[]): void {
    this.time = this.clock();
    client.lastInteraction = this.time;
    if (argv.length === 0) return;
    // (EXEC's arity error aborts the transaction like its other refusals: refuse.)
    const resolved = this.table.resolve(client, argv, this.refuseBound);
    if (resolved === undefined) return;
    const flags = resolved.flags;
    const name = resolved.fullName;
    if (!client.authenticated && !flags.has('no_auth')) return this.refuse(client, name, NOAUTH);
    // SAVE, SHUTDOWN ... are refused inside MULTI, not queued (Redis's CMD_NO_MULTI), and EXEC aborts.
    if (client.multi !== undefined && flags.has('no_multi')) return this.refuse(client, name, 'ERR Command not allowed inside a transaction');
    if (!client.loader) {
      if (this.writeError !== undefined && (flags.has('write') || name === 'ping')) return this.refuse(client, name, this.writeError);
      if (client.pubsub !== undefined && client.reply.protocol === 2 && client.pubsub.total !== 0 && !SUBSCRIBER_COMMANDS.has(name)) {
        return this.refuse(client, name, `ERR Can't execute '${name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`);
      }
      if (this.loading && !flags.has('loading')) return this.refuse(client, name, LOADING);
    }
    const multi = client.multi;
    if (multi !== undefined && !TRANSACTION_CONTROL.has(resolved.fullName)) {
      multi.queue(resolved, argv);
      client.reply.simple('QUEUED');
      return;
    }
    const pubsub = this.pubsub;
    pubsub.running = client;
    this.call(client, resolved, argv);
    if (this.blocking.hasReady) this.blocking.serveReady();
    pubsub.running = undefined;
    pubsub.flushSelf(client);
  }

  /** A check refused the command: inside MULTI, EXEC will abort. */
  private rejected(client: Client): void {
    if (client.multi !== undefined) client.multi.aborted = true;
  }

  private readonly refuseBound = (client: Client, fullName: string, message: string): void => this.refuse(client, fullName, message);

  /**
   * Answers a check's refusal. A refused EXEC ends the transaction (in MULTI or not) with
   * Redis's execCommandAbort reply: the reason without its ERR prefix.
   */
  private refuse(client: Client, fullName: string, message: string): void {
    if (fullName !== 'exec') {
      client.reply.error(message);
      return this.rejected(client);
    }
    client.multi = undefined;
    this.watching.unwatchAll(client);
    client.reply.error(`EXECABORT Transaction discarded because of: ${message.startsWith('ERR ') ? message.slice(4) : message}`);
  }

  /** Runs a resolved command (top level or inside EXEC): key types, the snapshot guard, the log. */
  private call(client: Client, resolved: ResolvedCommand, argv: string[]): void {
    if (!checkKeyTypes(client, resolved, argv)) return;
    // Inside EXEC, CLIENT LIST's cmd= stays `exec` (Redis's lastcmd).
    if (!client.inExec) client.lastCommand = resolved.fullName;
    this.stats.totalCommands++;
    this.currentCommand = resolved.command;
    this.currentArgv = argv;
    if (this.propagator === undefined && this.snapshotGuard === undefined) {
      try {
        resolved.command.run!(client, argv);
      } catch (e) {
        this.internalError(client, resolved.fullName, e);
      }
    } else {
      this.runLogged(client, resolved, argv);
    }
  }

  /**
   * EXEC: runs the queued commands, one reply each inside one array; nil when a WATCHed key
   * changed; EXECABORT when a command was refused while queueing. Keys are unwatched first.
   * Commands that would block answer at once, as if their timeout had passed (mayBlock).
   */
  exec(client: Client): void {
    const multi = client.multi;
    if (multi === undefined) return client.reply.error('ERR EXEC without MULTI');
    client.multi = undefined;
    // A write transaction while persistence is failing: refused whole (Redis's execCommandAbort).
    // Redis checks this before EXEC runs at all, so it wins over the two answers below.
    if (this.writeError !== undefined && multi.hasWrite && !client.loader) {
      this.watching.unwatchAll(client);
      return client.reply.error(`EXECABORT Transaction discarded because of: ${this.writeError}`);
    }
    if (multi.aborted) {
      this.watching.unwatchAll(client);
      return client.reply.error('EXECABORT Transaction discarded because of previous errors.');
    }
    if (this.watching.isDirty(client, this.time)) {
      this.watching.unwatchAll(client);
      return client.reply.nullArray();
    }
    this.watching.unwatchAll(client);
    const commands = multi.commands;
    client.reply.array(commands.length);
    const outer = this.execLog;
    if (outer === 0) this.execLog = 1;
    client.inExec = true;
    // The state stays while the queue runs, as in Redis: CLIENT LIST shows flags=x multi=N.
    client.multi = multi;
    try {
      for (const { resolved, argv } of commands) this.call(client, resolved, argv);
    } finally {
      client.inExec = false;
      if (client.multi === multi) client.multi = undefined;
      if (outer === 0) {
        if (this.execLog === 2) this.propagator?.append(this.execLogDb, ['EXEC']);
        this.execLog = 0;
      }
      // The records are written: EXEC itself is not logged again.
      this.propagatedByHandler = true;
    }
  }

  /** The log, with EXEC's MULTI opened before its first record. */
  private log(db: number, argv: readonly string[]): void {
    const propagator = this.propagator;
    if (propagator === undefined) return;
    if (this.execLog === 1) {
      this.execLog = 2;
      this.execLogDb = db;
      propagator.append(db, ['MULTI']);
    }
    propagator.append(db, argv);
  }

  /** execute() with persistence on: the snapshot guard before, the log record after. */
  private runLogged(client: Client, resolved: ResolvedCommand, argv: string[]): void {
    const db = client.db;
    const dirty = this.dirty;
    this.propagatedByHandler = false;
    try {
      // PFCOUNT is flagged readonly but stores its cached count in the value.
      if (this.snapshotGuard !== undefined && (resolved.flags.has('write') || resolved.fullName === 'pfcount')) {
        this.snapshotGuard.beforeCommand(client, resolved.command, argv);
      }
      resolved.command.run!(client, argv);
    } catch (e) {
      this.internalError(client, resolved.fullName, e);
    }
    // Redis's rule: a command is logged when it changed the data set (dirty moved). A handler
    // that logged its effect itself (propagate) is not logged again.
    if (this.dirty !== dirty && !this.propagatedByHandler) this.log(db.index, argv);
    this.propagatedByHandler = false;
  }

  /**
   * A handler logs what it did instead of its own argv, when replaying the argv would not do
   * the same (relative times, random picks, floats formatted once): EXPIRE → PEXPIREAT,
   * SPOP → SREM, INCRBYFLOAT → SET ... KEEPTTL, BLPOP → LPOP. Call it once per record, in
   * order, after the change; with no propagator it costs nothing but the call.
   */
  propagate(db: Database, argv: readonly string[]): void {
    this.propagatedByHandler = true;
    this.log(db.index, argv);
  }

  /** Counts a change the keyspace does not see key by key (FLUSHALL, SWAPDB). */
  markDirty(): void {
    this.dirty++;
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
  onExpired(db: Database, key: string): void {
    this.stats.expiredKeys++;
    // The log records expiry as a DEL, as Redis does, so a replay (where nothing expires)
    // meets the key's end at the same point in the command stream.
    this.log(db.index, ['DEL', key]);
    if ((this.notifyFlags & NOTIFY_EXPIRED) !== 0) this.publishEvent('expired', db, key);
    if (this.watching.size !== 0) this.watching.touch(db, key);
  }
  onKeyModified(db: Database, key: string): void {
    this.dirty++;
    // A key that changed may now serve blocked clients: a push, but also RENAME, COPY, MOVE
    // or RESTORE creating a list (Redis signals in dbAdd). One Map lookup when nobody waits.
    this.blocking.signal(db, key);
    if (this.watching.size !== 0) this.watching.touch(db, key);
  }

  /** Publishes a keyspace event (its class is enabled: notify.ts checks before calling). */
  publishEvent(event: string, db: Database, key: string): void {
    const flags = this.notifyFlags;
    if ((flags & NOTIFY_KEYSPACE) !== 0) this.pubsub.publish(`__keyspace@${db.index}__:${key}`, event);
    if ((flags & NOTIFY_KEYEVENT) !== 0) this.pubsub.publish(`__keyevent@${db.index}__:${event}`, key);
  }
}

/** What a RESP2 client may run while subscribed (Redis's pubsub context). */
const SUBSCRIBER_COMMANDS = new Set([
  'ping', 'subscribe', 'psubscribe', 'ssubscribe', 'unsubscribe', 'punsubscribe', 'sunsubscribe', 'quit', 'reset',
]);

/** Commands that run at once inside MULTI instead of being queued. */
const TRANSACTION_CONTROL = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);

