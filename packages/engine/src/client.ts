import type { Database } from './keyspace.js';
import type { ReplyWriter } from './reply.js';
import type { Engine } from './engine.js';
import type { ClientSubscriptions } from './pubsub.js';
import type { ClientWatch, MultiState } from './multi.js';

export type ClientKind = 'tcp' | 'unix' | 'memory' | 'thread' | 'native';

export interface ClientOptions {
  reply: ReplyWriter;
  kind: ClientKind;
  /** `ip:port` of the peer (CLIENT LIST addr=), or a path / label for other transports. */
  addr?: string;
  /** `ip:port` of our side (laddr=). */
  laddr?: string;
  fd?: number;
  /** Called when another client kills this one (CLIENT KILL) or the engine must drop it. */
  close?: () => void;
}

/**
 * One connection's state, and the context every handler receives (`ctx`): the selected
 * database, the reply writer, authentication. Created by Engine.createClient.
 */
export class Client {
  readonly id: number;
  readonly kind: ClientKind;
  readonly reply: ReplyWriter;
  readonly createdAt: number;
  addr: string;
  laddr: string;
  fd: number;
  name = '';
  db: Database;
  authenticated: boolean;
  /** Time (ms) of the last command, for CLIENT LIST idle= and the idle `timeout`. */
  lastInteraction: number;
  /** Full name of the last command (CLIENT LIST cmd=). */
  lastCommand = 'NULL';
  /** Set by QUIT (and by CLIENT KILL of oneself): close once the pending replies are written. */
  closeAfterReply = false;
  /** Set once the engine has removed the client. */
  closed = false;
  /** The client that replays the append-only file: runs while the engine is loading. */
  loader = false;
  /** CLIENT NO-EVICT / library info and other per-client settings live here as they arrive. */
  libName = '';
  libVersion = '';
  /** CLIENT NO-EVICT ON: exempt from client eviction (CLIENT LIST flag `e`). */
  noEvict = false;
  /** Channels, patterns and shard channels subscribed to (undefined: none yet). */
  pubsub: ClientSubscriptions | undefined;
  /** Inside MULTI: the queued commands. */
  multi: MultiState | undefined;
  /** WATCHed keys, and whether one was touched. */
  watch: ClientWatch | undefined;
  /** EXEC is running this client's queued commands: blocking commands must not block. */
  inExec = false;
  readonly closeHook: (() => void) | undefined;
  /**
   * Set by the host: called when a reply was written for this client outside its own command
   * (a blocked client served by another client's push, or timed out), so the host flushes it.
   */
  onDeferredReply: (() => void) | undefined;
  /**
   * Set by the host: reply bytes written for this client and not yet taken by its peer
   * (CLIENT LIST's obl/oll/omem). Undefined: nothing is buffered (memory transport).
   */
  outputBytes: (() => number) | undefined;

  constructor(readonly engine: Engine, id: number, options: ClientOptions) {
    this.id = id;
    this.kind = options.kind;
    this.reply = options.reply;
    this.addr = options.addr ?? '';
    this.laddr = options.laddr ?? '';
    this.fd = options.fd ?? -1;
    this.db = engine.dbs[0]!;
    this.authenticated = engine.config.get('requirepass') === '';
    this.createdAt = engine.clock();
    this.lastInteraction = this.createdAt;
    this.closeHook = options.close;
  }

  get protocol(): 2 | 3 { return this.reply.protocol; }

  /** True while the client waits in a blocking command (its next commands must wait too). */
  get blocked(): boolean { return this.engine.blocking.isBlocked(this); }

  /**
   * RESET: the state of a fresh connection (db 0, RESP2, no name, authenticated only when no
   * password is set, no transaction, no watched keys, no subscriptions).
   */
  reset(): void {
    this.multi = undefined;
    this.engine.watching.unwatchAll(this);
    this.engine.pubsub.removeClient(this);
    this.db = this.engine.dbs[0]!;
    this.reply.protocol = 2;
    this.name = '';
    this.noEvict = false;
    this.authenticated = this.engine.config.get('requirepass') === '';
  }
}
