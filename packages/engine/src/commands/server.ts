import { createHash, timingSafeEqual } from 'node:crypto';
import { parseInt64 } from '../args.js';
import type { Client } from '../client.js';
import { defineCommand, type Command } from '../command.js';
import {
  findKeys, hasKeyArguments, aclCategories, writeCommandDocs, writeCommandInfo,
} from '../command-docs.js';
import { ConfigSetError } from '../config.js';
import {
  AUTH_NOT_CONFIGURED, CLIENT_ID_NOT_POSITIVE, CLIENT_NAME_INVALID, COMMAND_HAS_NO_KEYS,
  DB_INDEX_OUT_OF_RANGE, HELLO_NOAUTH, INT_OUT_OF_RANGE, INVALID_CLIENT_ID, INVALID_COMMAND, INVALID_COMMAND_ARGUMENTS,
  INVALID_COMMAND_ARITY, NOPROTO, NOT_INTEGER, NO_CONFIG_FILE, NO_SHUTDOWN_IN_PROGRESS, NO_SUCH_CLIENT,
  PROTOCOL_NOT_INTEGER, SHUTDOWN_FAILED, SYNTAX, UNBLOCKED, UNBLOCK_REASON, WRONGPASS, configRewriteFailed,
  configSetFailed, configSetUnknown, helloSyntax, noSuchUser, subcommandSyntax, unknownClientType, wrongArity,
} from '../errors.js';
import { globMatch } from '../glob.js';
import { REDIS_COMPAT_VERSION, clientInfoLine, infoText } from '../info.js';
import type { ResolvedCommand } from '../table.js';

/**
 * Connection and server commands: PING, AUTH, HELLO, SELECT, CLIENT, COMMAND, CONFIG, INFO,
 * TIME, SHUTDOWN ... Redis 7.0's replies and errors. There is one user, `default`, whose
 * password is `requirepass` (none: every password is accepted).
 */

const CONNECTION_FLAGS = ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'] as const;

// ---- Connection ---------------------------------------------------------------------------

// PING [message]
const ping = defineCommand({
  name: 'ping', arity: -1, flags: ['fast'], keys: [0, 0, 0], group: 'connection', since: '1.0.0',
  summary: 'Ping the server', complexity: 'O(1)',
  tips: ['request_policy:all_shards', 'response_policy:all_succeeded'],
  arguments: [{ name: 'message', type: 'string', optional: true }],
  run(ctx, argv) {
    if (argv.length > 2) return ctx.reply.error(wrongArity('ping'));
    // A RESP2 subscriber gets its pong in the shape of the messages it reads.
    if (ctx.reply.protocol === 2 && ctx.pubsub !== undefined && ctx.pubsub.total !== 0) {
      ctx.reply.array(2);
      ctx.reply.bulk('pong');
      ctx.reply.bulk(argv.length === 2 ? argv[1]! : '');
      return;
    }
    if (argv.length === 2) ctx.reply.bulk(argv[1]!);
    else ctx.reply.simple('PONG');
  },
});

// ECHO message
const echo = defineCommand({
  name: 'echo', arity: 2, flags: ['loading', 'stale', 'fast'], keys: [0, 0, 0], group: 'connection',
  since: '1.0.0', summary: 'Echo the given string', complexity: 'O(1)',
  arguments: [{ name: 'message', type: 'string' }],
  run(ctx, argv) { ctx.reply.bulk(argv[1]!); },
});

// QUIT
const quit = defineCommand({
  name: 'quit', arity: -1, flags: [...CONNECTION_FLAGS], keys: [0, 0, 0], group: 'connection',
  since: '1.0.0', summary: 'Close the connection', complexity: 'O(1)',
  run(ctx) {
    ctx.closeAfterReply = true;
    ctx.reply.simple('OK');
  },
});

// RESET
const reset = defineCommand({
  name: 'reset', arity: 1, flags: [...CONNECTION_FLAGS], keys: [0, 0, 0], group: 'connection',
  since: '6.2.0', summary: 'Reset the connection', complexity: 'O(1)',
  run(ctx) {
    ctx.reset();
    ctx.reply.simple('RESET');
  },
});

// SELECT index
const select = defineCommand({
  name: 'select', arity: 2, flags: ['loading', 'stale', 'fast'], keys: [0, 0, 0], group: 'connection',
  since: '1.0.0', summary: 'Change the selected database for the current connection', complexity: 'O(1)',
  arguments: [{ name: 'index', type: 'integer' }],
  run(ctx, argv) {
    const index = parseInt64(argv[1]!);
    if (index === undefined) return ctx.reply.error(NOT_INTEGER);
    // Redis reads the index as a C int.
    if (index < -2147483648 || index > 2147483647) return ctx.reply.error(INT_OUT_OF_RANGE);
    const db = ctx.engine.dbs[Number(index)];
    if (index < 0 || db === undefined) return ctx.reply.error(DB_INDEX_OUT_OF_RANGE);
    ctx.db = db;
    ctx.reply.simple('OK');
  },
});

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'latin1').digest();
}

/**
 * Checks a username/password pair against the one user. Without `requirepass` the default
 * user has `nopass` and any password matches. Compared through digests in constant time.
 */
function checkPassword(ctx: Client, username: string, password: string): boolean {
  if (username !== 'default') return false;
  const required = ctx.engine.config.get('requirepass');
  if (required === '') return true;
  return timingSafeEqual(sha256(password), sha256(required));
}

// AUTH [username] password
const auth = defineCommand({
  name: 'auth', arity: -2, flags: [...CONNECTION_FLAGS], keys: [0, 0, 0], group: 'connection',
  since: '1.0.0', summary: 'Authenticate to the server',
  complexity: 'O(N) where N is the number of passwords defined for the user',
  history: [['6.0.0', 'Added ACL style (username and password).']],
  arguments: [
    { name: 'username', type: 'string', optional: true, since: '6.0.0' },
    { name: 'password', type: 'string' },
  ],
  run(ctx, argv) {
    if (argv.length > 3) return ctx.reply.error(SYNTAX);
    if (argv.length === 2 && ctx.engine.config.get('requirepass') === '') {
      return ctx.reply.error(AUTH_NOT_CONFIGURED);
    }
    const [username, password] = argv.length === 3 ? [argv[1]!, argv[2]!] : ['default', argv[1]!];
    if (!checkPassword(ctx, username, password)) return ctx.reply.error(WRONGPASS);
    ctx.authenticated = true;
    ctx.reply.simple('OK');
  },
});

/** Redis's client-name rule: printable ASCII without spaces. */
function validClientName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

// HELLO [protover [AUTH username password] [SETNAME clientname]]
const hello = defineCommand({
  name: 'hello', arity: -1, flags: [...CONNECTION_FLAGS], keys: [0, 0, 0], group: 'connection',
  since: '6.0.0', summary: 'Handshake with Redis', complexity: 'O(1)',
  history: [['6.2.0', "`protover` made optional; when called without arguments the command reports the current connection's context."]],
  arguments: [{
    name: 'arguments', type: 'block', optional: true, arguments: [
      { name: 'protover', type: 'integer' },
      {
        name: 'username_password', type: 'block', token: 'AUTH', optional: true,
        arguments: [{ name: 'username', type: 'string' }, { name: 'password', type: 'string' }],
      },
      { name: 'clientname', type: 'string', token: 'SETNAME', optional: true },
    ],
  }],
  run(ctx, argv) {
    let protocol: 2 | 3 | undefined;
    if (argv.length >= 2) {
      const v = parseInt64(argv[1]!);
      if (v === undefined) return ctx.reply.error(PROTOCOL_NOT_INTEGER);
      if (v !== 2 && v !== 3) return ctx.reply.error(NOPROTO);
      protocol = v;
    }
    let credentials: [string, string] | undefined;
    let name: string | undefined;
    for (let i = 2; i < argv.length; i++) {
      const option = argv[i]!;
      const more = argv.length - 1 - i;
      const upper = option.toUpperCase();
      if (upper === 'AUTH' && more >= 2) {
        credentials = [argv[i + 1]!, argv[i + 2]!];
        i += 2;
      } else if (upper === 'SETNAME' && more >= 1) {
        name = argv[++i]!;
      } else {
        return ctx.reply.error(helloSyntax(option));
      }
    }
    if (credentials) {
      if (!checkPassword(ctx, credentials[0], credentials[1])) return ctx.reply.error(WRONGPASS);
      ctx.authenticated = true;
    }
    if (!ctx.authenticated) return ctx.reply.error(HELLO_NOAUTH);
    if (name !== undefined) {
      if (!validClientName(name)) return ctx.reply.error(CLIENT_NAME_INVALID);
      ctx.name = name;
    }
    // The reply itself is already in the new protocol.
    if (protocol !== undefined) ctx.reply.protocol = protocol;
    const w = ctx.reply;
    w.map(7);
    w.bulk('server'); w.bulk('redis');
    w.bulk('version'); w.bulk(REDIS_COMPAT_VERSION);
    w.bulk('proto'); w.int(w.protocol);
    w.bulk('id'); w.int(ctx.id);
    w.bulk('mode'); w.bulk('standalone');
    w.bulk('role'); w.bulk('master');
    w.bulk('modules'); w.array(0);
  },
});

// ---- CLIENT -------------------------------------------------------------------------------

const CLIENT_FLAGS = ['noscript', 'loading', 'stale'] as const;
const CLIENT_ADMIN_FLAGS = ['admin', 'noscript', 'loading', 'stale'] as const;

export function writeHelp(ctx: Client, lines: readonly string[]): void {
  ctx.reply.array(lines.length);
  for (const l of lines) ctx.reply.simple(l);
}

/** Client types as CLIENT LIST TYPE / CLIENT KILL TYPE name them (slave = replica). */
const CLIENT_TYPES: ReadonlySet<string> = new Set(['normal', 'master', 'slave', 'replica', 'pubsub']);

/** A subscribed client is `pubsub`, every other `normal`; there are no replicas or masters. */
function clientType(client: Client): 'normal' | 'pubsub' {
  return client.pubsub !== undefined && client.pubsub.total !== 0 ? 'pubsub' : 'normal';
}

function matchesType(client: Client, type: string): boolean {
  return type === 'normal' || type === 'pubsub' ? clientType(client) === type : false;
}

const clientSubcommands: Command[] = [
  // CLIENT ID
  defineCommand({
    name: 'id', arity: 2, flags: [...CLIENT_FLAGS], keys: [0, 0, 0], group: 'connection', since: '5.0.0',
    summary: 'Returns the client ID for the current connection', complexity: 'O(1)',
    run(ctx) { ctx.reply.int(ctx.id); },
  }),
  // CLIENT GETNAME
  defineCommand({
    name: 'getname', arity: 2, flags: [...CLIENT_FLAGS], keys: [0, 0, 0], group: 'connection', since: '2.6.9',
    summary: 'Get the current connection name', complexity: 'O(1)',
    run(ctx) {
      if (ctx.name === '') ctx.reply.null();
      else ctx.reply.bulk(ctx.name);
    },
  }),
  // CLIENT SETNAME connection-name
  defineCommand({
    name: 'setname', arity: 3, flags: [...CLIENT_FLAGS], keys: [0, 0, 0], group: 'connection', since: '2.6.9',
    summary: 'Set the current connection name', complexity: 'O(1)',
    arguments: [{ name: 'connection-name', type: 'string' }],
    run(ctx, argv) {
      const name = argv[2]!;
      if (!validClientName(name)) return ctx.reply.error(CLIENT_NAME_INVALID);
      ctx.name = name;
      ctx.reply.simple('OK');
    },
  }),
  // CLIENT LIST [TYPE NORMAL | MASTER | REPLICA | PUBSUB] [ID client-id [client-id ...]]
  defineCommand({
    name: 'list', arity: -2, flags: [...CLIENT_ADMIN_FLAGS], keys: [0, 0, 0], group: 'connection', since: '2.4.0',
    summary: 'Get the list of client connections',
    complexity: 'O(N) where N is the number of client connections', tips: ['nondeterministic_output'],
    history: [
      ['2.8.12', 'Added unique client `id` field.'],
      ['5.0.0', 'Added optional `TYPE` filter.'],
      ['6.0.0', 'Added `user` field.'],
      ['6.2.0', 'Added `argv-mem`, `tot-mem`, `laddr` and `redir` fields and the optional `ID` filter.'],
      ['7.0.0', 'Added `resp`, `multi-mem`, `rbs` and `rbp` fields.'],
      ['7.0.3', 'Added `ssub` field.'],
    ],
    arguments: [
      {
        name: 'normal_master_replica_pubsub', type: 'oneof', token: 'TYPE', since: '5.0.0', optional: true,
        arguments: [
          { name: 'normal', type: 'pure-token', token: 'NORMAL' },
          { name: 'master', type: 'pure-token', token: 'MASTER' },
          { name: 'replica', type: 'pure-token', token: 'REPLICA' },
          { name: 'pubsub', type: 'pure-token', token: 'PUBSUB' },
        ],
      },
      {
        name: 'id', type: 'block', token: 'ID', since: '6.2.0', optional: true,
        arguments: [{ name: 'client-id', type: 'integer', multiple: true }],
      },
    ],
    run(ctx, argv) {
      let type: string | undefined;
      let ids: Set<number | bigint> | undefined;
      const option = argv[2]?.toUpperCase();
      if (argv.length === 4 && option === 'TYPE') {
        type = argv[3]!.toLowerCase();
        if (!CLIENT_TYPES.has(type)) return ctx.reply.error(unknownClientType(argv[3]!));
      } else if (argv.length > 3 && option === 'ID') {
        ids = new Set();
        for (let i = 3; i < argv.length; i++) {
          const id = parseInt64(argv[i]!);
          if (id === undefined) return ctx.reply.error(INVALID_CLIENT_ID);
          ids.add(id);
        }
      } else if (argv.length !== 2) {
        return ctx.reply.error(SYNTAX);
      }
      let text = '';
      const now = ctx.engine.time;
      for (const c of ctx.engine.clients.values()) {
        if (type !== undefined && !matchesType(c, type)) continue;
        if (ids !== undefined && !ids.has(c.id)) continue;
        text += clientInfoLine(c, now);
      }
      ctx.reply.verbatim(text, 'txt');
    },
  }),
  // CLIENT INFO
  defineCommand({
    name: 'info', arity: 2, flags: [...CLIENT_FLAGS], keys: [0, 0, 0], group: 'connection', since: '6.2.0',
    summary: 'Returns information about the current client connection.', complexity: 'O(1)',
    tips: ['nondeterministic_output'],
    run(ctx) { ctx.reply.verbatim(clientInfoLine(ctx, ctx.engine.time), 'txt'); },
  }),
  // CLIENT KILL ip:port | [ID client-id] [TYPE ...] [USER username] [ADDR ip:port] [LADDR ip:port] [SKIPME yes/no] ...
  defineCommand({
    name: 'kill', arity: -3, flags: [...CLIENT_ADMIN_FLAGS], keys: [0, 0, 0], group: 'connection', since: '2.4.0',
    summary: 'Kill the connection of a client', complexity: 'O(N) where N is the number of client connections',
    history: [
      ['2.8.12', 'Added new filter format.'],
      ['2.8.12', '`ID` option.'],
      ['3.2.0', 'Added `master` type in for `TYPE` option.'],
      ['5.0.0', 'Replaced `slave` `TYPE` with `replica`. `slave` still supported for backward compatibility.'],
      ['6.2.0', '`LADDR` option.'],
    ],
    arguments: [{
      name: 'filter', type: 'oneof', arguments: [
        { name: 'ip:port', type: 'string', deprecatedSince: '2.8.12' },
        {
          name: 'new-format', type: 'oneof', multiple: true, arguments: [
            { name: 'client-id', type: 'integer', token: 'ID', since: '2.8.12', optional: true },
            {
              name: 'normal_master_slave_pubsub', type: 'oneof', token: 'TYPE', since: '2.8.12', optional: true,
              arguments: [
                { name: 'normal', type: 'pure-token', token: 'NORMAL' },
                { name: 'master', type: 'pure-token', token: 'MASTER', since: '3.2.0' },
                { name: 'slave', type: 'pure-token', token: 'SLAVE' },
                { name: 'replica', type: 'pure-token', token: 'REPLICA', since: '5.0.0' },
                { name: 'pubsub', type: 'pure-token', token: 'PUBSUB' },
              ],
            },
            { name: 'username', type: 'string', token: 'USER', optional: true },
            { name: 'ip:port', type: 'string', token: 'ADDR', optional: true },
            { name: 'ip:port', type: 'string', token: 'LADDR', since: '6.2.0', optional: true },
            { name: 'yes/no', type: 'string', token: 'SKIPME', optional: true },
          ],
        },
      ],
    }],
    run(ctx, argv) { clientKill(ctx, argv); },
  }),
  // CLIENT NO-EVICT ON | OFF
  defineCommand({
    name: 'no-evict', arity: 3, flags: [...CLIENT_ADMIN_FLAGS], keys: [0, 0, 0], group: 'connection', since: '7.0.0',
    summary: 'Set client eviction mode for the current connection', complexity: 'O(1)',
    arguments: [{
      name: 'enabled', type: 'oneof', arguments: [
        { name: 'on', type: 'pure-token', token: 'ON' },
        { name: 'off', type: 'pure-token', token: 'OFF' },
      ],
    }],
    run(ctx, argv) {
      const v = argv[2]!.toUpperCase();
      if (v !== 'ON' && v !== 'OFF') return ctx.reply.error(SYNTAX);
      ctx.noEvict = v === 'ON';
      ctx.reply.simple('OK');
    },
  }),
  // CLIENT UNBLOCK client-id [TIMEOUT | ERROR]
  defineCommand({
    name: 'unblock', arity: -3, flags: [...CLIENT_ADMIN_FLAGS], keys: [0, 0, 0], group: 'connection', since: '5.0.0',
    summary: 'Unblock a client blocked in a blocking command from a different connection',
    complexity: 'O(log N) where N is the number of client connections',
    arguments: [
      { name: 'client-id', type: 'integer' },
      {
        name: 'timeout_error', type: 'oneof', optional: true, arguments: [
          { name: 'timeout', type: 'pure-token', token: 'TIMEOUT' },
          { name: 'error', type: 'pure-token', token: 'ERROR' },
        ],
      },
    ],
    run(ctx, argv) {
      if (argv.length > 4) return ctx.reply.error(subcommandSyntax(argv[1]!, 'client'));
      // Redis reads the reason before the id.
      let withError = false;
      if (argv.length === 4) {
        const reason = argv[3]!.toUpperCase();
        if (reason === 'ERROR') withError = true;
        else if (reason !== 'TIMEOUT') return ctx.reply.error(UNBLOCK_REASON);
      }
      const id = parseInt64(argv[2]!);
      if (id === undefined) return ctx.reply.error(NOT_INTEGER);
      const target = typeof id === 'number' ? ctx.engine.clients.get(id) : undefined;
      const blocking = ctx.engine.blocking;
      const unblocked = target !== undefined
        && (withError ? blocking.unblockWithError(target, UNBLOCKED) : blocking.unblockWithTimeout(target));
      ctx.reply.int(unblocked ? 1 : 0);
    },
  }),
  // CLIENT HELP
  defineCommand({
    name: 'help', arity: 2, flags: ['loading', 'stale'], keys: [0, 0, 0], group: 'connection', since: '5.0.0',
    summary: 'Show helpful text about the different subcommands', complexity: 'O(1)',
    // Redis's text, less the subcommands nodis does not have (CACHING, GETREDIR, PAUSE, UNPAUSE,
    // REPLY, TRACKING, TRACKINGINFO).
    run(ctx) {
      writeHelp(ctx, [
        'CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
        'GETNAME',
        '    Return the name of the current connection.',
        'ID',
        '    Return the ID of the current connection.',
        'INFO',
        '    Return information about the current client connection.',
        'KILL <ip:port>',
        '    Kill connection made from <ip:port>.',
        'KILL <option> <value> [<option> <value> [...]]',
        '    Kill connections. Options are:',
        '    * ADDR (<ip:port>|<unixsocket>:0)',
        '      Kill connections made from the specified address',
        '    * LADDR (<ip:port>|<unixsocket>:0)',
        '      Kill connections made to specified local address',
        '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
        '      Kill connections by type.',
        '    * USER <username>',
        '      Kill connections authenticated by <username>.',
        '    * SKIPME (YES|NO)',
        '      Skip killing current connection (default: yes).',
        'LIST [options ...]',
        '    Return information about client connections. Options:',
        '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
        '      Return clients of specified type.',
        'SETNAME <name>',
        '    Assign the name <name> to the current connection.',
        'UNBLOCK <clientid> [TIMEOUT|ERROR]',
        '    Unblock the specified blocked client.',
        'NO-EVICT (ON|OFF)',
        '    Protect current client connection from eviction.',
        'HELP',
        '    Prints this help.',
      ]);
    },
  }),
];

function clientKill(ctx: Client, argv: string[]): void {
  const engine = ctx.engine;
  let addr: string | undefined;
  let laddr: string | undefined;
  let type: string | undefined;
  let id: number | bigint | undefined;
  let skipMe = true;
  const oldStyle = argv.length === 3;
  if (oldStyle) {
    addr = argv[2]!;
    skipMe = false;
  } else {
    for (let i = 2; i < argv.length; i += 2) {
      const option = argv[i]!.toUpperCase();
      const value = argv[i + 1];
      if (value === undefined) return ctx.reply.error(SYNTAX);
      if (option === 'ID') {
        const n = parseInt64(value);
        if (n === undefined || n < 1) return ctx.reply.error(CLIENT_ID_NOT_POSITIVE);
        id = n;
      } else if (option === 'TYPE') {
        type = value.toLowerCase();
        if (!CLIENT_TYPES.has(type)) return ctx.reply.error(unknownClientType(value));
      } else if (option === 'ADDR') {
        addr = value;
      } else if (option === 'LADDR') {
        laddr = value;
      } else if (option === 'USER') {
        if (value !== 'default') return ctx.reply.error(noSuchUser(value));
      } else if (option === 'SKIPME') {
        const v = value.toUpperCase();
        if (v === 'YES') skipMe = true;
        else if (v === 'NO') skipMe = false;
        else return ctx.reply.error(SYNTAX);
      } else {
        return ctx.reply.error(SYNTAX);
      }
    }
  }
  let killed = 0;
  let killSelf = false;
  for (const c of [...engine.clients.values()]) {
    if (addr !== undefined && c.addr !== addr) continue;
    if (laddr !== undefined && c.laddr !== laddr) continue;
    if (type !== undefined && !matchesType(c, type)) continue;
    if (id !== undefined && c.id !== id) continue;
    if (c === ctx && skipMe) continue;
    killed++;
    // Oneself goes once this reply is written; others go now.
    if (c === ctx) { killSelf = true; continue; }
    engine.removeClient(c);
    c.closeHook?.();
  }
  if (oldStyle) {
    if (killed === 0) ctx.reply.error(NO_SUCH_CLIENT);
    else ctx.reply.simple('OK');
  } else {
    ctx.reply.int(killed);
  }
  if (killSelf) ctx.closeAfterReply = true;
}

// CLIENT <subcommand>
const client = defineCommand({
  name: 'client', arity: -2, flags: [], keys: [0, 0, 0], group: 'connection', since: '2.4.0',
  summary: 'A container for client connection commands', complexity: 'Depends on subcommand.',
  subcommands: clientSubcommands,
});

// ---- COMMAND ------------------------------------------------------------------------------

const COMMAND_FLAGS = ['loading', 'stale'] as const;

/** A command or subcommand by name, `get` or `config|get`, case-insensitive. */
function lookupCommand(ctx: Client, name: string): ResolvedCommand | undefined {
  const parts = name.toLowerCase().split('|');
  if (parts.length > 2) return undefined;
  const top = ctx.engine.table.get(parts[0]!);
  if (top === undefined || parts.length === 1) return top;
  return ctx.engine.table.subcommands(top.fullName)?.get(parts[1]!);
}

function writeAllInfo(ctx: Client): void {
  const all = [...ctx.engine.table.all()];
  ctx.reply.array(all.length);
  for (const r of all) writeCommandInfo(ctx.reply, r.command, r.fullName);
}

/** Every command and subcommand, containers before their subcommands (COMMAND LIST). */
function allResolved(ctx: Client): ResolvedCommand[] {
  const out: ResolvedCommand[] = [];
  for (const r of ctx.engine.table.all()) {
    out.push(r);
    for (const s of ctx.engine.table.subcommands(r.fullName)?.values() ?? []) out.push(s);
  }
  return out;
}

/**
 * COMMAND GETKEYS / GETKEYSANDFLAGS: resolves the command in argv[2..] and finds its keys,
 * answering Redis's errors; undefined when an error was written.
 */
function keysOf(ctx: Client, argv: string[]): { target: string[]; keys: { index: number; flags: string[] }[] } | undefined {
  const target = argv.slice(2);
  let resolved = ctx.engine.table.get(target[0]!);
  if (resolved !== undefined && resolved.command.subcommands && target.length >= 2) {
    resolved = ctx.engine.table.subcommands(resolved.fullName)?.get(target[1]!.toLowerCase());
  }
  if (resolved === undefined) { ctx.reply.error(INVALID_COMMAND); return undefined; }
  const spec = resolved.command;
  if (!hasKeyArguments(spec)) { ctx.reply.error(COMMAND_HAS_NO_KEYS); return undefined; }
  if ((spec.arity > 0 && target.length !== spec.arity) || target.length < -spec.arity) {
    ctx.reply.error(INVALID_COMMAND_ARITY);
    return undefined;
  }
  const keys = findKeys(spec, target) ?? [];
  if (keys.length === 0 && !spec.flags.includes('no_mandatory_keys')) {
    ctx.reply.error(INVALID_COMMAND_ARGUMENTS);
    return undefined;
  }
  return { target, keys };
}

const commandSubcommands: Command[] = [
  // COMMAND COUNT
  defineCommand({
    name: 'count', arity: 2, flags: [...COMMAND_FLAGS], keys: [0, 0, 0], group: 'server', since: '2.8.13',
    summary: 'Get total number of Redis commands', complexity: 'O(1)', aclCategories: ['connection'],
    run(ctx) { ctx.reply.int(ctx.engine.table.commands.length); },
  }),
  // COMMAND LIST [FILTERBY MODULE module-name | ACLCAT category | PATTERN pattern]
  defineCommand({
    name: 'list', arity: -2, flags: [...COMMAND_FLAGS], keys: [0, 0, 0], group: 'server', since: '7.0.0',
    summary: 'Get an array of Redis command names',
    complexity: 'O(N) where N is the total number of Redis commands',
    aclCategories: ['connection'], tips: ['nondeterministic_output_order'],
    arguments: [{
      name: 'filterby', type: 'oneof', token: 'FILTERBY', optional: true, arguments: [
        { name: 'module-name', type: 'string', token: 'MODULE' },
        { name: 'category', type: 'string', token: 'ACLCAT' },
        { name: 'pattern', type: 'pattern', token: 'PATTERN' },
      ],
    }],
    run(ctx, argv) {
      let filter: (r: ResolvedCommand) => boolean = () => true;
      if (argv.length === 5 && argv[2]!.toUpperCase() === 'FILTERBY') {
        const kind = argv[3]!.toUpperCase();
        const value = argv[4]!;
        if (kind === 'MODULE') filter = () => false; // nodis has no modules
        else if (kind === 'ACLCAT') {
          const category = value.toLowerCase();
          filter = (r) => aclCategories(r.command).includes(category);
        } else if (kind === 'PATTERN') filter = (r) => globMatch(value, r.fullName, true);
        else return ctx.reply.error(SYNTAX);
      } else if (argv.length !== 2) {
        return ctx.reply.error(SYNTAX);
      }
      const names = allResolved(ctx).filter(filter).map((r) => r.fullName);
      ctx.reply.array(names.length);
      for (const n of names) ctx.reply.bulk(n);
    },
  }),
  // COMMAND INFO [command-name [command-name ...]]
  defineCommand({
    name: 'info', arity: -2, flags: [...COMMAND_FLAGS], keys: [0, 0, 0], group: 'server', since: '2.8.13',
    summary: 'Get array of specific Redis command details, or all when no argument is given.',
    complexity: 'O(N) where N is the number of commands to look up',
    aclCategories: ['connection'], tips: ['nondeterministic_output_order'],
    history: [['7.0.0', 'Allowed to be called with no argument to get info on all commands.']],
    arguments: [{ name: 'command-name', type: 'string', optional: true, multiple: true }],
    run(ctx, argv) {
      if (argv.length === 2) return writeAllInfo(ctx);
      ctx.reply.array(argv.length - 2);
      for (let i = 2; i < argv.length; i++) {
        const r = lookupCommand(ctx, argv[i]!);
        if (r === undefined) ctx.reply.null(); // `$-1` in RESP2, as Redis answers
        else writeCommandInfo(ctx.reply, r.command, r.fullName);
      }
    },
  }),
  // COMMAND DOCS [command-name [command-name ...]]
  defineCommand({
    name: 'docs', arity: -2, flags: [...COMMAND_FLAGS], keys: [0, 0, 0], group: 'server', since: '7.0.0',
    summary: 'Get array of specific Redis command documentation',
    complexity: 'O(N) where N is the number of commands to look up',
    aclCategories: ['connection'], tips: ['nondeterministic_output_order'],
    arguments: [{ name: 'command-name', type: 'string', optional: true, multiple: true }],
    run(ctx, argv) {
      const found: ResolvedCommand[] = [];
      if (argv.length === 2) found.push(...ctx.engine.table.all());
      for (let i = 2; i < argv.length; i++) {
        const r = lookupCommand(ctx, argv[i]!);
        if (r !== undefined) found.push(r);
      }
      ctx.reply.map(found.length);
      for (const r of found) {
        ctx.reply.bulk(r.fullName);
        writeCommandDocs(ctx.reply, r.command, r.fullName);
      }
    },
  }),
  // COMMAND GETKEYS command [arg [arg ...]]
  defineCommand({
    name: 'getkeys', arity: -4, flags: [...COMMAND_FLAGS], keys: [0, 0, 0], group: 'server', since: '2.8.13',
    summary: 'Extract keys given a full Redis command',
    complexity: 'O(N) where N is the number of arguments to the command', aclCategories: ['connection'],
    run(ctx, argv) {
      const found = keysOf(ctx, argv);
      if (!found) return;
      ctx.reply.array(found.keys.length);
      for (const k of found.keys) ctx.reply.bulk(found.target[k.index]!);
    },
  }),
  // COMMAND GETKEYSANDFLAGS command [arg [arg ...]]
  defineCommand({
    name: 'getkeysandflags', arity: -4, flags: [...COMMAND_FLAGS], keys: [0, 0, 0], group: 'server', since: '7.0.0',
    summary: 'Extract keys and access flags given a full Redis command',
    complexity: 'O(N) where N is the number of arguments to the command', aclCategories: ['connection'],
    run(ctx, argv) {
      const found = keysOf(ctx, argv);
      if (!found) return;
      ctx.reply.array(found.keys.length);
      for (const k of found.keys) {
        ctx.reply.array(2);
        ctx.reply.bulk(found.target[k.index]!);
        ctx.reply.set(k.flags.length);
        for (const f of k.flags) ctx.reply.simple(f);
      }
    },
  }),
  // COMMAND HELP
  defineCommand({
    name: 'help', arity: 2, flags: [...COMMAND_FLAGS], keys: [0, 0, 0], group: 'server', since: '5.0.0',
    summary: 'Show helpful text about the different subcommands', complexity: 'O(1)', aclCategories: ['connection'],
    run(ctx) {
      writeHelp(ctx, [
        'COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
        '(no subcommand)',
        '    Return details about all Redis commands.',
        'COUNT',
        '    Return the total number of commands in this Redis server.',
        'LIST',
        '    Return a list of all commands in this Redis server.',
        'INFO [<command-name> ...]',
        '    Return details about multiple Redis commands.',
        '    If no command names are given, documentation details for all',
        '    commands are returned.',
        'DOCS [<command-name> ...]',
        '    Return documentation details about multiple Redis commands.',
        '    If no command names are given, documentation details for all',
        '    commands are returned.',
        'GETKEYS <full-command>',
        '    Return the keys from a full Redis command.',
        'GETKEYSANDFLAGS <full-command>',
        '    Return the keys and the access flags from a full Redis command.',
        'HELP',
        '    Prints this help.',
      ]);
    },
  }),
];

// COMMAND [subcommand]
const command = defineCommand({
  name: 'command', arity: -1, flags: [...COMMAND_FLAGS], keys: [0, 0, 0], group: 'server', since: '2.8.13',
  summary: 'Get array of Redis command details',
  complexity: 'O(N) where N is the total number of Redis commands',
  aclCategories: ['connection'], tips: ['nondeterministic_output_order'],
  subcommands: commandSubcommands,
  // Only reached without a subcommand (dispatch resolves `COMMAND INFO` to the subcommand).
  run(ctx) { writeAllInfo(ctx); },
});

// ---- CONFIG -------------------------------------------------------------------------------

const CONFIG_FLAGS = ['admin', 'noscript', 'loading', 'stale'] as const;

const configSubcommands: Command[] = [
  // CONFIG GET parameter [parameter ...]
  defineCommand({
    name: 'get', arity: -3, flags: [...CONFIG_FLAGS], keys: [0, 0, 0], group: 'server', since: '2.0.0',
    summary: 'Get the values of configuration parameters',
    complexity: 'O(N) when N is the number of configuration parameters provided',
    history: [['7.0.0', 'Added the ability to pass multiple pattern parameters in one call']],
    arguments: [{ name: 'parameter', type: 'block', multiple: true, arguments: [{ name: 'parameter', type: 'string' }] }],
    run(ctx, argv) {
      const config = ctx.engine.config;
      const matches = new Map<string, string>();
      for (let i = 2; i < argv.length; i++) {
        const pattern = argv[i]!;
        // Without glob characters the name is looked up and answered as the user spelled it.
        if (!/[*?[]/.test(pattern)) {
          const p = config.param(pattern);
          if (p && !matches.has(pattern)) matches.set(pattern, p.value);
          continue;
        }
        for (const [name, p] of config.names()) {
          if (!matches.has(name) && globMatch(pattern, name, true)) matches.set(name, p.value);
        }
      }
      ctx.reply.map(matches.size);
      for (const [name, value] of matches) { ctx.reply.bulk(name); ctx.reply.bulk(value); }
    },
  }),
  // CONFIG SET parameter value [parameter value ...]
  defineCommand({
    name: 'set', arity: -4, flags: [...CONFIG_FLAGS], keys: [0, 0, 0], group: 'server', since: '2.0.0',
    summary: 'Set configuration parameters to the given values',
    complexity: 'O(N) when N is the number of configuration parameters provided',
    tips: ['request_policy:all_nodes', 'response_policy:all_succeeded'],
    history: [['7.0.0', 'Added the ability to set multiple parameters in one call.']],
    arguments: [{
      name: 'parameter_value', type: 'block', multiple: true,
      arguments: [{ name: 'parameter', type: 'string' }, { name: 'value', type: 'string' }],
    }],
    run(ctx, argv) {
      if (argv.length % 2 !== 0) return ctx.reply.error(SYNTAX);
      const config = ctx.engine.config;
      const pairs: [string, string][] = [];
      const seen = new Set<string>();
      // Names first (unknown, immutable, duplicate), then values, so nothing changes on error.
      for (let i = 2; i < argv.length; i += 2) {
        const name = argv[i]!;
        const p = config.param(name);
        if (!p) return ctx.reply.error(configSetUnknown(name));
        if (p.immutable) return ctx.reply.error(configSetFailed(name, "can't set immutable config"));
        if (p.protected) return ctx.reply.error(configSetFailed(name, "can't set protected config"));
        if (seen.has(name.toLowerCase())) return ctx.reply.error(configSetFailed(name, 'duplicate parameter'));
        seen.add(name.toLowerCase());
        pairs.push([name, argv[i + 1]!]);
      }
      try {
        config.setAll(pairs);
      } catch (e) {
        if (e instanceof ConfigSetError) return ctx.reply.error(configSetFailed(e.argument, e.reason));
        throw e;
      }
      // Without a password the default user is `nopass`: Redis stops asking anyone to AUTH.
      if (seen.has('requirepass') && config.get('requirepass') === '') {
        for (const c of ctx.engine.clients.values()) c.authenticated = true;
      }
      ctx.reply.simple('OK');
    },
  }),
  // CONFIG RESETSTAT
  defineCommand({
    name: 'resetstat', arity: 2, flags: [...CONFIG_FLAGS], keys: [0, 0, 0], group: 'server', since: '2.0.0',
    summary: 'Reset the stats returned by INFO', complexity: 'O(1)',
    run(ctx) {
      const s = ctx.engine.stats;
      s.totalConnections = 0;
      s.totalCommands = 0;
      s.expiredKeys = 0;
      s.rejectedConnections = 0;
      s.keyspaceHits = 0;
      s.keyspaceMisses = 0;
      s.netInputBytes = 0;
      s.netOutputBytes = 0;
      ctx.reply.simple('OK');
    },
  }),
  // CONFIG REWRITE
  defineCommand({
    name: 'rewrite', arity: 2, flags: [...CONFIG_FLAGS], keys: [0, 0, 0], group: 'server', since: '2.8.0',
    summary: 'Rewrite the configuration file with the in memory configuration', complexity: 'O(1)',
    run(ctx) {
      const rewrite = ctx.engine.hooks.rewriteConfig;
      if (!rewrite) return ctx.reply.error(NO_CONFIG_FILE);
      try {
        rewrite();
      } catch (e) {
        return ctx.reply.error(configRewriteFailed(e instanceof Error ? e.message : String(e)));
      }
      ctx.reply.simple('OK');
    },
  }),
  // CONFIG HELP
  defineCommand({
    name: 'help', arity: 2, flags: ['loading', 'stale'], keys: [0, 0, 0], group: 'server', since: '5.0.0',
    summary: 'Show helpful text about the different subcommands', complexity: 'O(1)',
    run(ctx) {
      writeHelp(ctx, [
        'CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
        'GET <pattern>',
        '    Return parameters matching the glob-like <pattern> and their values.',
        'SET <directive> <value>',
        '    Set the configuration <directive> to <value>.',
        'RESETSTAT',
        '    Reset statistics reported by the INFO command.',
        'REWRITE',
        '    Rewrite the configuration file.',
        'HELP',
        '    Prints this help.',
      ]);
    },
  }),
];

// CONFIG <subcommand>
const config = defineCommand({
  name: 'config', arity: -2, flags: [], keys: [0, 0, 0], group: 'server', since: '2.0.0',
  summary: 'A container for server configuration commands', complexity: 'Depends on subcommand.',
  subcommands: configSubcommands,
});

// ---- Server -------------------------------------------------------------------------------

// INFO [section [section ...]]
const info = defineCommand({
  name: 'info', arity: -1, flags: ['loading', 'stale'], keys: [0, 0, 0], group: 'server', since: '1.0.0',
  summary: 'Get information and statistics about the server', complexity: 'O(1)',
  aclCategories: ['dangerous'],
  tips: ['nondeterministic_output', 'request_policy:all_shards', 'response_policy:special'],
  history: [['7.0.0', 'Added support for taking multiple section arguments.']],
  arguments: [{ name: 'section', type: 'string', optional: true, multiple: true }],
  run(ctx, argv) { ctx.reply.verbatim(infoText(ctx.engine, argv.slice(1)), 'txt'); },
});

// TIME
const time = defineCommand({
  name: 'time', arity: 1, flags: ['loading', 'stale', 'fast'], keys: [0, 0, 0], group: 'server', since: '2.6.0',
  summary: 'Return the current server time', complexity: 'O(1)', tips: ['nondeterministic_output'],
  run(ctx) {
    const ms = ctx.engine.clock();
    const seconds = Math.floor(ms / 1000);
    const micros = Math.floor((ms - seconds * 1000) * 1000);
    ctx.reply.array(2);
    ctx.reply.bulk(String(seconds));
    ctx.reply.bulk(String(micros));
  },
});

// LASTSAVE
const lastsave = defineCommand({
  name: 'lastsave', arity: 1, flags: ['loading', 'stale', 'fast'], keys: [0, 0, 0], group: 'server', since: '1.0.0',
  summary: 'Get the UNIX time stamp of the last successful save to disk', complexity: 'O(1)',
  aclCategories: ['admin', 'dangerous'], tips: ['nondeterministic_output'],
  // The host's persistence reports rdb_last_save_time through INFO; before any save, as in
  // Redis, it is the start time.
  run(ctx) {
    const fromHost = ctx.engine.hooks.info?.().persistence?.rdb_last_save_time;
    ctx.reply.int(fromHost !== undefined ? Number(fromHost) : Math.floor(ctx.engine.stats.startTime / 1000));
  },
});

/** SAVE, BGSAVE and BGREWRITEAOF hand over to the host's persistence (the server's disk files). */
function persistenceCommand(ctx: Client, which: 'save' | 'bgsave' | 'bgsave-schedule' | 'bgrewriteaof'): void {
  const hook = ctx.engine.hooks.persistence;
  if (hook === undefined) return ctx.reply.error('ERR this store has no persistence (it runs in memory, without a server)');
  const result = hook(which);
  if (result instanceof Error) ctx.reply.error(result.message);
  else ctx.reply.simple(result);
}

// SAVE
const save = defineCommand({
  name: 'save', arity: 1, flags: ['admin', 'noscript', 'no_async_loading', 'no_multi'], keys: [0, 0, 0], group: 'server',
  since: '1.0.0', summary: 'Synchronously save the dataset to disk',
  complexity: 'O(N) where N is the total number of keys in all databases', aclCategories: ['dangerous'],
  run(ctx) { persistenceCommand(ctx, 'save'); },
});

// BGSAVE [SCHEDULE]
const bgsave = defineCommand({
  name: 'bgsave', arity: -1, flags: ['admin', 'noscript', 'no_async_loading'], keys: [0, 0, 0], group: 'server',
  since: '1.0.0', summary: 'Asynchronously save the dataset to disk',
  complexity: 'O(1)', aclCategories: ['dangerous'],
  history: [['3.2.2', 'Added the `SCHEDULE` option.']],
  arguments: [{ name: 'schedule', type: 'pure-token', token: 'SCHEDULE', since: '3.2.2', optional: true }],
  run(ctx, argv) {
    if (argv.length > 2 || (argv.length === 2 && argv[1]!.toUpperCase() !== 'SCHEDULE')) return ctx.reply.error(SYNTAX);
    persistenceCommand(ctx, argv.length === 2 ? 'bgsave-schedule' : 'bgsave');
  },
});

// BGREWRITEAOF
const bgrewriteaof = defineCommand({
  name: 'bgrewriteaof', arity: 1, flags: ['admin', 'noscript', 'no_async_loading'], keys: [0, 0, 0], group: 'server',
  since: '1.0.0', summary: 'Asynchronously rewrite the append-only file', complexity: 'O(1)',
  aclCategories: ['dangerous'],
  run(ctx) { persistenceCommand(ctx, 'bgrewriteaof'); },
});

// SHUTDOWN [NOSAVE | SAVE] [NOW] [FORCE] [ABORT]
const shutdown = defineCommand({
  name: 'shutdown', arity: -1, flags: ['admin', 'noscript', 'loading', 'stale', 'no_multi', 'allow_busy'],
  keys: [0, 0, 0], group: 'server', since: '1.0.0',
  summary: 'Synchronously save the dataset to disk and then shut down the server',
  complexity: 'O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)',
  history: [['7.0.0', 'Added the `NOW`, `FORCE` and `ABORT` modifiers.']],
  arguments: [
    {
      name: 'nosave_save', type: 'oneof', optional: true, arguments: [
        { name: 'nosave', type: 'pure-token', token: 'NOSAVE' },
        { name: 'save', type: 'pure-token', token: 'SAVE' },
      ],
    },
    { name: 'now', type: 'pure-token', token: 'NOW', since: '7.0.0', optional: true },
    { name: 'force', type: 'pure-token', token: 'FORCE', since: '7.0.0', optional: true },
    { name: 'abort', type: 'pure-token', token: 'ABORT', since: '7.0.0', optional: true },
  ],
  run(ctx, argv) {
    let nosave = false;
    let save = false;
    let now = false;
    let force = false;
    let abort = false;
    for (let i = 1; i < argv.length; i++) {
      const t = argv[i]!.toUpperCase();
      if (t === 'NOSAVE') nosave = true;
      else if (t === 'SAVE') save = true;
      else if (t === 'NOW') now = true;
      else if (t === 'FORCE') force = true;
      else if (t === 'ABORT') abort = true;
      else return ctx.reply.error(SYNTAX);
    }
    if ((abort && (nosave || save || now || force)) || (nosave && save)) return ctx.reply.error(SYNTAX);
    // Shutdown is immediate here: there is never one in progress to abort.
    if (abort) return ctx.reply.error(NO_SHUTDOWN_IN_PROGRESS);
    const hook = ctx.engine.hooks.shutdown;
    if (!hook) return ctx.reply.error(SHUTDOWN_FAILED);
    try {
      hook({ save: save ? true : nosave ? false : undefined, now, force });
    } catch {
      return ctx.reply.error(SHUTDOWN_FAILED);
    }
    // As in Redis, a successful SHUTDOWN has no reply: the connection just closes.
    ctx.closeAfterReply = true;
  },
});

// ROLE
const role = defineCommand({
  name: 'role', arity: 1, flags: ['noscript', 'loading', 'stale', 'fast'], keys: [0, 0, 0], group: 'server',
  since: '2.8.12', summary: 'Return the role of the instance in the context of replication', complexity: 'O(1)',
  aclCategories: ['admin', 'dangerous'],
  run(ctx) {
    ctx.reply.array(3);
    ctx.reply.bulk('master');
    ctx.reply.int(0);
    ctx.reply.array(0);
  },
});

export const serverCommands: Command[] = [
  ping, echo, quit, reset, select, auth, hello, client,
  command, config, info, time, lastsave, save, bgsave, bgrewriteaof, shutdown, role,
];
