import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { ReplyParser, RespWriter } from '@nodis/protocol';
import { createTestEngine } from '../testing.js';
import { ReplyError, ReplyMap, ReplyVerbatim, SimpleString, type Reply } from '../reply.js';
import type { Client } from '../client.js';
import type { Engine, EngineOptions } from '../engine.js';
import { redisServerPath, startRedis, type RedisProcess } from '../../../../test/helpers/redis.js';

// ------------------------------------------------------------------ helpers

const OK = new SimpleString('OK');
const err = (message: string) => new ReplyError(message);
const SYNTAX = 'ERR syntax error';
const NOT_INTEGER = 'ERR value is not an integer or out of range';
const NOAUTH = 'NOAUTH Authentication required.';
const WRONGPASS = 'WRONGPASS invalid username-password pair or user is disabled.';
const HELLO_NOAUTH = 'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time';
const BAD_NAME = 'ERR Client names cannot contain spaces, newlines or special characters.';

/** A client whose replies are the RESP bytes (latin1), to compare with Redis byte for byte. */
function rawClient(engine: Engine, options: { addr?: string; laddr?: string } = {}): { client: Client; run(...argv: string[]): string } {
  const writer = new RespWriter(2);
  const client = engine.createClient({ reply: writer, kind: 'tcp', addr: options.addr ?? '127.0.0.1:50000', laddr: options.laddr ?? '127.0.0.1:7379' });
  return {
    client,
    run(...argv) {
      engine.execute(client, argv);
      return writer.take().toString('latin1');
    },
  };
}

const crlf = (...lines: string[]): string => lines.map((l) => l + '\r\n').join('');

/** HELLO's reply as a list of [field, value] pairs, whatever the protocol. */
function helloFields(reply: Reply): [Reply, Reply][] {
  if (reply instanceof ReplyMap) return reply.entries;
  const flat = reply as Reply[];
  const out: [Reply, Reply][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}

function infoLines(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out.set(line.slice(0, i), line.slice(i + 1));
  }
  return out;
}

// ------------------------------------------------------------------ PING, ECHO, SELECT

describe('PING and ECHO', () => {
  it('PING answers PONG or echoes its message, in both protocols', () => {
    const t = createTestEngine();
    expect(t.run('PING')).toEqual(new SimpleString('PONG'));
    expect(t.run('PING', 'hi\r\n')).toBe('hi\r\n');
    expect(t.run('PING', 'a', 'b')).toEqual(err("ERR wrong number of arguments for 'ping' command"));
    const raw = rawClient(t.engine);
    raw.run('HELLO', '3');
    expect(raw.run('PING')).toBe('+PONG\r\n');
    expect(raw.run('PING', 'x')).toBe('$1\r\nx\r\n');
  });

  it('ECHO returns its argument', () => {
    const t = createTestEngine();
    expect(t.run('ECHO', '\0bytes\xff')).toBe('\0bytes\xff');
    expect(t.run('ECHO')).toEqual(err("ERR wrong number of arguments for 'echo' command"));
  });
});

describe('SELECT', () => {
  it('switches the database and checks the index like Redis', () => {
    const t = createTestEngine();
    expect(t.run('SELECT', '15')).toEqual(OK);
    expect(t.client.db.index).toBe(15);
    expect(t.run('SELECT', '16')).toEqual(err('ERR DB index is out of range'));
    expect(t.run('SELECT', '-1')).toEqual(err('ERR DB index is out of range'));
    expect(t.run('SELECT', 'x')).toEqual(err(NOT_INTEGER));
    expect(t.run('SELECT', '1.5')).toEqual(err(NOT_INTEGER));
    expect(t.run('SELECT', '01')).toEqual(err(NOT_INTEGER));
    expect(t.run('SELECT', '99999999999999999999')).toEqual(err(NOT_INTEGER));
    expect(t.run('SELECT', '99999999999')).toEqual(err('ERR value is out of range, value must between -2147483648 and 2147483647'));
    expect(t.client.db.index).toBe(15);
    expect(t.run('SELECT', '0')).toEqual(OK);
    expect(t.client.db.index).toBe(0);
  });

  it('honours the databases setting', () => {
    const t = createTestEngine({ config: { databases: '2' } });
    expect(t.run('SELECT', '1')).toEqual(OK);
    expect(t.run('SELECT', '2')).toEqual(err('ERR DB index is out of range'));
  });
});

// ------------------------------------------------------------------ AUTH, HELLO, QUIT, RESET

describe('AUTH and NOAUTH', () => {
  it('without requirepass: AUTH password is an error, AUTH default <any> succeeds', () => {
    const t = createTestEngine();
    expect(t.run('AUTH', 'x')).toEqual(err('ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?'));
    expect(t.run('AUTH', 'default', 'anything')).toEqual(OK);
    expect(t.run('AUTH', 'someone', 'x')).toEqual(err(WRONGPASS));
    expect(t.run('AUTH', 'a', 'b', 'c')).toEqual(err(SYNTAX));
    expect(t.run('AUTH')).toEqual(err("ERR wrong number of arguments for 'auth' command"));
  });

  it('with requirepass: commands answer NOAUTH until AUTH succeeds', () => {
    const t = createTestEngine({ config: { requirepass: 'secret' } });
    expect(t.client.authenticated).toBe(false);
    expect(t.run('PING')).toEqual(err(NOAUTH));
    expect(t.run('CLIENT', 'ID')).toEqual(err(NOAUTH));
    // Unknown commands and arity are checked before authentication, as in Redis 7.0.
    expect(t.run('nosuch')).toEqual(err("ERR unknown command 'nosuch', with args beginning with: "));
    expect(t.run('GET')).toEqual(err("ERR wrong number of arguments for 'get' command"));
    expect(t.run('AUTH', 'wrong')).toEqual(err(WRONGPASS));
    expect(t.run('AUTH', 'other', 'secret')).toEqual(err(WRONGPASS));
    expect(t.run('PING')).toEqual(err(NOAUTH));
    expect(t.run('AUTH', 'secret')).toEqual(OK);
    expect(t.run('PING')).toEqual(new SimpleString('PONG'));
    // A failed AUTH does not log an authenticated client out.
    expect(t.run('AUTH', 'wrong')).toEqual(err(WRONGPASS));
    expect(t.run('PING')).toEqual(new SimpleString('PONG'));
    const other = t.newClient();
    expect(other.run('AUTH', 'default', 'secret')).toEqual(OK);
    expect(other.run('PING')).toEqual(new SimpleString('PONG'));
  });

  it('marks AUTH, HELLO, QUIT and RESET no_auth', () => {
    const t = createTestEngine({ config: { requirepass: 'secret' } });
    for (const name of ['auth', 'hello', 'quit', 'reset']) {
      expect(t.engine.table.get(name)!.flags.has('no_auth')).toBe(true);
    }
    expect(t.engine.table.get('ping')!.flags.has('no_auth')).toBe(false);
    expect(t.run('RESET')).toEqual(new SimpleString('RESET'));
    expect(t.run('QUIT')).toEqual(OK);
  });
});

describe('HELLO', () => {
  it('answers the server map, switching to RESP3 before writing it', () => {
    const t = createTestEngine();
    const two = helloFields(t.run('HELLO'));
    expect(two).toEqual([
      ['server', 'redis'], ['version', '7.0.15'], ['proto', 2], ['id', t.client.id],
      ['mode', 'standalone'], ['role', 'master'], ['modules', []],
    ]);
    const three = t.run('HELLO', '3');
    expect(three).toBeInstanceOf(ReplyMap);
    expect(helloFields(three)[2]).toEqual(['proto', 3]);
    expect(t.client.protocol).toBe(3);
    expect(t.run('HELLO', '2')).toBeInstanceOf(Array);
    expect(t.client.protocol).toBe(2);
  });

  it('writes the RESP3 map bytes exactly as Redis', () => {
    const t = createTestEngine();
    const raw = rawClient(t.engine);
    expect(raw.run('HELLO', '3')).toBe(crlf(
      '%7', '$6', 'server', '$5', 'redis', '$7', 'version', '$6', '7.0.15', '$5', 'proto', ':3',
      '$2', 'id', `:${raw.client.id}`, '$4', 'mode', '$10', 'standalone', '$4', 'role', '$6', 'master',
      '$7', 'modules', '*0',
    ));
  });

  it('checks the protocol version and options', () => {
    const t = createTestEngine();
    expect(t.run('HELLO', '4')).toEqual(err('NOPROTO unsupported protocol version'));
    expect(t.run('HELLO', '1')).toEqual(err('NOPROTO unsupported protocol version'));
    expect(t.run('HELLO', 'abc')).toEqual(err('ERR Protocol version is not an integer or out of range'));
    expect(t.run('HELLO', '3', 'AUTH')).toEqual(err("ERR Syntax error in HELLO option 'AUTH'"));
    expect(t.run('HELLO', '3', 'AUTH', 'a')).toEqual(err("ERR Syntax error in HELLO option 'AUTH'"));
    expect(t.run('HELLO', '3', 'SETNAME')).toEqual(err("ERR Syntax error in HELLO option 'SETNAME'"));
    expect(t.run('HELLO', '3', 'foo')).toEqual(err("ERR Syntax error in HELLO option 'foo'"));
    expect(t.run('HELLO', '3', 'SETNAME', 'a b')).toEqual(err(BAD_NAME));
    // None of the failures switched the protocol.
    expect(t.client.protocol).toBe(2);
    t.run('HELLO', '3', 'setname', 'x', 'SETNAME', 'y');
    expect(t.run('CLIENT', 'GETNAME')).toBe('y');
  });

  it('authenticates with AUTH, and refuses to run unauthenticated without it', () => {
    const t = createTestEngine({ config: { requirepass: 'secret' } });
    expect(t.run('HELLO')).toEqual(err(HELLO_NOAUTH));
    expect(t.run('HELLO', '3', 'SETNAME', 'a')).toEqual(err(HELLO_NOAUTH));
    expect(t.client.protocol).toBe(2);
    expect(t.run('HELLO', '3', 'AUTH', 'default', 'nope')).toEqual(err(WRONGPASS));
    expect(t.run('HELLO', '3', 'AUTH', 'default', 'secret', 'SETNAME', 'worker')).toBeInstanceOf(ReplyMap);
    expect(t.client.authenticated).toBe(true);
    expect(t.run('CLIENT', 'GETNAME')).toBe('worker');
  });

  it('stays authenticated when AUTH succeeds but SETNAME is refused (as Redis)', () => {
    const t = createTestEngine({ config: { requirepass: 'secret' } });
    expect(t.run('HELLO', '3', 'AUTH', 'default', 'secret', 'SETNAME', 'a b')).toEqual(err(BAD_NAME));
    expect(t.client.protocol).toBe(2);
    expect(t.run('PING')).toEqual(new SimpleString('PONG'));
  });
});

describe('QUIT and RESET', () => {
  it('QUIT answers OK and asks the transport to close', () => {
    const t = createTestEngine();
    expect(t.run('QUIT', 'extra', 'args')).toEqual(OK);
    expect(t.client.closeAfterReply).toBe(true);
  });

  it('RESET restores a fresh connection', () => {
    const t = createTestEngine();
    t.run('SELECT', '2');
    t.run('CLIENT', 'SETNAME', 'foo');
    t.run('CLIENT', 'NO-EVICT', 'ON');
    t.run('HELLO', '3');
    expect(t.run('RESET')).toEqual(new SimpleString('RESET'));
    expect(t.client.protocol).toBe(2);
    expect(t.client.db.index).toBe(0);
    expect(t.client.noEvict).toBe(false);
    expect(t.run('CLIENT', 'GETNAME')).toBeNull();
    expect(t.run('RESET', 'x')).toEqual(err("ERR wrong number of arguments for 'reset' command"));
  });

  it('RESET logs out when a password is required', () => {
    const t = createTestEngine({ config: { requirepass: 'secret' } });
    t.run('AUTH', 'secret');
    expect(t.run('RESET')).toEqual(new SimpleString('RESET'));
    expect(t.run('PING')).toEqual(err(NOAUTH));
  });
});

// ------------------------------------------------------------------ CLIENT

describe('CLIENT', () => {
  it('ID, SETNAME and GETNAME', () => {
    const t = createTestEngine();
    const other = t.newClient();
    expect(t.run('CLIENT', 'ID')).toBe(t.client.id);
    expect(other.run('CLIENT', 'ID')).toBe(t.client.id + 1);
    expect(t.run('CLIENT', 'GETNAME')).toBeNull();
    expect(t.run('CLIENT', 'SETNAME', 'a b')).toEqual(err(BAD_NAME));
    expect(t.run('CLIENT', 'SETNAME', 'a\nb')).toEqual(err(BAD_NAME));
    expect(t.run('CLIENT', 'SETNAME', 'caf\xe9')).toEqual(err(BAD_NAME));
    expect(t.run('CLIENT', 'SETNAME', 'w-1!~')).toEqual(OK);
    expect(t.run('CLIENT', 'GETNAME')).toBe('w-1!~');
    expect(t.run('CLIENT', 'SETNAME', '')).toEqual(OK);
    expect(t.run('CLIENT', 'GETNAME')).toBeNull();
    expect(t.run('CLIENT', 'ID', 'x')).toEqual(err("ERR wrong number of arguments for 'client|id' command"));
    expect(t.run('CLIENT')).toEqual(err("ERR wrong number of arguments for 'client' command"));
    expect(t.run('CLIENT', 'nosuch')).toEqual(err("ERR unknown subcommand 'nosuch'. Try CLIENT HELP."));
  });

  it('INFO and LIST print the Redis 7.0 line', () => {
    const t = createTestEngine();
    const raw = rawClient(t.engine, { addr: '127.0.0.1:52555', laddr: '127.0.0.1:6379' });
    raw.run('CLIENT', 'SETNAME', 'n1');
    raw.run('SELECT', '3');
    t.clock.advance(2500);
    const line = `id=${raw.client.id} addr=127.0.0.1:52555 laddr=127.0.0.1:6379 fd=-1 name=n1 age=2 idle=0 flags=N db=3`
      + ' sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0'
      + ' omem=0 tot-mem=0 events=r cmd=client|info user=default redir=-1 resp=2\n';
    expect(raw.run('CLIENT', 'INFO')).toBe(`$${line.length}\r\n${line}\r\n`);
    // RESP3: a verbatim string.
    raw.run('HELLO', '3');
    const line3 = line.replace('cmd=client|info', 'cmd=client|list').replace('resp=2', 'resp=3');
    const list = raw.run('CLIENT', 'LIST', 'ID', String(raw.client.id));
    expect(list).toBe(`=${line3.length + 4}\r\ntxt:${line3}\r\n`);
  });

  it('LIST shows every client in id order, with idle time and flags', () => {
    const t = createTestEngine();
    const other = t.newClient();
    other.run('CLIENT', 'NO-EVICT', 'on');
    t.clock.advance(3000);
    const text = t.run('CLIENT', 'LIST') as string;
    const lines = text.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => /^id=(\d+)/.exec(l)![1])).toEqual([String(t.client.id), String(other.client.id)]);
    expect(lines[0]).toContain(' idle=0 flags=N ');
    expect(lines[1]).toContain(' idle=3 flags=e ');
    expect(lines[1]).toContain(' cmd=client|no-evict ');
    expect(t.run('CLIENT', 'LIST', 'TYPE', 'NORMAL')).toBe(text);
    expect(t.run('CLIENT', 'LIST', 'TYPE', 'pubsub')).toBe('');
    expect(t.run('CLIENT', 'LIST', 'TYPE', 'replica')).toBe('');
    expect(t.run('CLIENT', 'LIST', 'ID', String(other.client.id), '999')).toBe(lines[1] + '\n');
    expect(t.run('CLIENT', 'LIST', 'ID', '0')).toBe('');
    expect(t.run('CLIENT', 'LIST', 'TYPE', 'foo')).toEqual(err("ERR Unknown client type 'foo'"));
    expect(t.run('CLIENT', 'LIST', 'ID', 'abc')).toEqual(err('ERR Invalid client ID'));
    expect(t.run('CLIENT', 'LIST', 'ID', '1', 'TYPE', 'normal')).toEqual(err('ERR Invalid client ID'));
    expect(t.run('CLIENT', 'LIST', 'ID')).toEqual(err(SYNTAX));
    expect(t.run('CLIENT', 'LIST', 'TYPE')).toEqual(err(SYNTAX));
    expect(t.run('CLIENT', 'LIST', 'foo')).toEqual(err(SYNTAX));
  });

  it('NO-EVICT takes ON or OFF', () => {
    const t = createTestEngine();
    expect(t.run('CLIENT', 'NO-EVICT', 'on')).toEqual(OK);
    expect(t.client.noEvict).toBe(true);
    expect(t.run('CLIENT', 'NO-EVICT', 'OFF')).toEqual(OK);
    expect(t.client.noEvict).toBe(false);
    expect(t.run('CLIENT', 'NO-EVICT', 'maybe')).toEqual(err(SYNTAX));
  });

  it('KILL by ID calls the victim’s close hook and removes it', () => {
    const t = createTestEngine();
    const closed: number[] = [];
    const victim = t.engine.createClient({ reply: new RespWriter(2), kind: 'tcp', addr: '10.0.0.1:4000', laddr: '127.0.0.1:7379', close: () => closed.push(victim.id) });
    expect(t.run('CLIENT', 'KILL', 'ID', String(victim.id))).toBe(1);
    expect(closed).toEqual([victim.id]);
    expect(victim.closed).toBe(true);
    expect(t.engine.clients.has(victim.id)).toBe(false);
    expect(t.run('CLIENT', 'KILL', 'ID', String(victim.id))).toBe(0);
    expect(closed).toHaveLength(1);
  });

  it('KILL filters combine; SKIPME defaults to yes', () => {
    const t = createTestEngine();
    const closed: string[] = [];
    const make = (addr: string, laddr: string) => t.engine.createClient({ reply: new RespWriter(2), kind: 'tcp', addr, laddr, close: () => closed.push(addr) });
    make('10.0.0.1:1', '127.0.0.1:7379');
    make('10.0.0.2:2', '127.0.0.1:7379');
    make('10.0.0.3:3', '127.0.0.1:7380');
    expect(t.run('CLIENT', 'KILL', 'ADDR', '10.0.0.9:9')).toBe(0);
    expect(t.run('CLIENT', 'KILL', 'ADDR', '10.0.0.1:1', 'LADDR', '127.0.0.1:7380')).toBe(0);
    expect(t.run('CLIENT', 'KILL', 'LADDR', '127.0.0.1:7380', 'USER', 'default')).toBe(1);
    expect(closed).toEqual(['10.0.0.3:3']);
    // TYPE normal matches everyone but the caller (SKIPME yes).
    expect(t.run('CLIENT', 'KILL', 'TYPE', 'normal')).toBe(2);
    expect(closed).toEqual(['10.0.0.3:3', '10.0.0.1:1', '10.0.0.2:2']);
    expect(t.engine.clients.size).toBe(1);
    expect(t.client.closeAfterReply).toBe(false);
    expect(t.run('CLIENT', 'KILL', 'TYPE', 'master')).toBe(0);
  });

  it('KILL of oneself closes after the reply', () => {
    const t = createTestEngine();
    expect(t.run('CLIENT', 'KILL', 'ID', String(t.client.id), 'SKIPME', 'no')).toBe(1);
    expect(t.client.closeAfterReply).toBe(true);
    // The transport closes it; the engine still lists it until then.
    expect(t.client.closed).toBe(false);
  });

  it('KILL old form: ip:port, OK or No such client', () => {
    const t = createTestEngine();
    let closes = 0;
    t.engine.createClient({ reply: new RespWriter(2), kind: 'tcp', addr: '10.0.0.1:1', close: () => closes++ });
    expect(t.run('CLIENT', 'KILL', '1.2.3.4:5')).toEqual(err('ERR No such client'));
    expect(t.run('CLIENT', 'KILL', '10.0.0.1:1')).toEqual(OK);
    expect(closes).toBe(1);
    // The old form does not skip the caller.
    const self = t.client.addr;
    expect(t.run('CLIENT', 'KILL', self)).toEqual(OK);
    expect(t.client.closeAfterReply).toBe(true);
  });

  it('KILL errors as Redis', () => {
    const t = createTestEngine();
    expect(t.run('CLIENT', 'KILL', 'ID', 'abc')).toEqual(err('ERR client-id should be greater than 0'));
    expect(t.run('CLIENT', 'KILL', 'ID', '0')).toEqual(err('ERR client-id should be greater than 0'));
    expect(t.run('CLIENT', 'KILL', 'ID')).toEqual(err('ERR No such client'));
    expect(t.run('CLIENT', 'KILL', 'TYPE', 'foo')).toEqual(err("ERR Unknown client type 'foo'"));
    expect(t.run('CLIENT', 'KILL', 'USER', 'nosuch')).toEqual(err("ERR No such user 'nosuch'"));
    expect(t.run('CLIENT', 'KILL', 'SKIPME', 'maybe')).toEqual(err(SYNTAX));
    expect(t.run('CLIENT', 'KILL', 'MAXAGE', '5')).toEqual(err(SYNTAX));
    expect(t.run('CLIENT', 'KILL', 'ID', '1', 'TYPE')).toEqual(err(SYNTAX));
    expect(t.run('CLIENT', 'KILL')).toEqual(err("ERR wrong number of arguments for 'client|kill' command"));
  });

  it('HELP lists the subcommands', () => {
    const t = createTestEngine();
    const help = t.run('CLIENT', 'HELP') as SimpleString[];
    expect(help[0]).toEqual(new SimpleString('CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:'));
    expect(help.map(String)).toContain('NO-EVICT (ON|OFF)');
    expect(help[help.length - 1]).toEqual(new SimpleString('    Prints this help.'));
  });
});

// ------------------------------------------------------------------ COMMAND

// Redis 7.0.15's replies, pasted from `redis-cli`-less raw captures.
const REDIS_INFO_GET = crlf(
  '*10', '$3', 'get', ':2', '*2', '+readonly', '+fast', ':1', ':1', ':1', '*3', '+@read', '+@string', '+@fast',
  '*0', '*1', '*6', '$5', 'flags', '*2', '+RO', '+access', '$12', 'begin_search', '*4', '$4', 'type', '$5',
  'index', '$4', 'spec', '*2', '$5', 'index', ':1', '$9', 'find_keys', '*4', '$4', 'type', '$5', 'range', '$4',
  'spec', '*6', '$7', 'lastkey', ':0', '$7', 'keystep', ':1', '$5', 'limit', ':0', '*0',
);
const REDIS_INFO_SET = crlf(
  '*10', '$3', 'set', ':-3', '*2', '+write', '+denyoom', ':1', ':1', ':1', '*3', '+@write', '+@string', '+@slow',
  '*0', '*1', '*8', '$5', 'notes', '$48', 'RW and ACCESS due to the optional `GET` argument', '$5', 'flags', '*4',
  '+RW', '+access', '+update', '+variable_flags', '$12', 'begin_search', '*4', '$4', 'type', '$5', 'index', '$4',
  'spec', '*2', '$5', 'index', ':1', '$9', 'find_keys', '*4', '$4', 'type', '$5', 'range', '$4', 'spec', '*6', '$7',
  'lastkey', ':0', '$7', 'keystep', ':1', '$5', 'limit', ':0', '*0',
);
const REDIS_INFO_PING_RESP3 = crlf(
  '*1', '*10', '$4', 'ping', ':-1', '~1', '+fast', ':0', ':0', ':0', '~2', '+@fast', '+@connection', '~2', '$25',
  'request_policy:all_shards', '$29', 'response_policy:all_succeeded', '~0', '~0',
);
const REDIS_DOCS_SELECT = crlf(
  '*2', '$6', 'select', '*10', '$7', 'summary', '$55', 'Change the selected database for the current connection',
  '$5', 'since', '$5', '1.0.0', '$5', 'group', '$10', 'connection', '$10', 'complexity', '$4', 'O(1)', '$9',
  'arguments', '*1', '*4', '$4', 'name', '$5', 'index', '$4', 'type', '$7', 'integer',
);

describe('COMMAND', () => {
  it('INFO of GET and SET is byte for byte Redis’s', () => {
    const t = createTestEngine();
    const raw = rawClient(t.engine);
    expect(raw.run('COMMAND', 'INFO', 'get', 'SET')).toBe('*2\r\n' + REDIS_INFO_GET + REDIS_INFO_SET);
    expect(raw.run('COMMAND', 'INFO', 'get', 'nosuch')).toBe('*2\r\n' + REDIS_INFO_GET + '$-1\r\n');
  });

  it('INFO in RESP3 uses sets, DOCS uses maps', () => {
    const t = createTestEngine();
    const raw = rawClient(t.engine);
    expect(raw.run('COMMAND', 'DOCS', 'select', 'nosuch')).toBe(REDIS_DOCS_SELECT);
    raw.run('HELLO', '3');
    expect(raw.run('COMMAND', 'INFO', 'ping')).toBe(REDIS_INFO_PING_RESP3);
    expect(raw.run('COMMAND', 'INFO', 'nosuch')).toBe('*1\r\n_\r\n');
    expect(raw.run('COMMAND', 'DOCS', 'nosuch')).toBe('%0\r\n');
  });

  it('INFO and DOCS reach subcommands by container|name', () => {
    const t = createTestEngine();
    const [info] = t.run('COMMAND', 'INFO', 'CONFIG|GET') as Reply[][];
    expect(info!.slice(0, 7)).toEqual([
      'config|get', -3,
      [new SimpleString('admin'), new SimpleString('noscript'), new SimpleString('loading'), new SimpleString('stale')],
      0, 0, 0, [new SimpleString('@admin'), new SimpleString('@slow'), new SimpleString('@dangerous')],
    ]);
    const [container] = t.run('COMMAND', 'INFO', 'client') as Reply[][];
    expect(container!.slice(0, 7)).toEqual(['client', -2, [], 0, 0, 0, [new SimpleString('@slow')]]);
    const subs = container![9] as Reply[][];
    expect(subs.map((s) => s[0])).toContain('client|kill');
    const kill = subs.find((s) => s[0] === 'client|kill')!;
    expect(kill[6]).toEqual(['@admin', '@slow', '@dangerous', '@connection'].map((c) => new SimpleString(c)));
    const docs = t.run('COMMAND', 'DOCS', 'config') as Reply[];
    expect(docs[0]).toBe('config');
    const fields = docs[1] as Reply[];
    expect(fields.slice(0, 8)).toEqual(['summary', 'A container for server configuration commands', 'since', '2.0.0', 'group', 'server', 'complexity', 'Depends on subcommand.']);
    expect(fields[8]).toBe('subcommands');
    expect((fields[9] as Reply[]).filter((_, i) => i % 2 === 0)).toEqual(['config|get', 'config|set', 'config|resetstat', 'config|rewrite', 'config|help']);
  });

  it('COMMAND, COMMAND INFO and COMMAND DOCS list every command, each one well-formed in both protocols', () => {
    const t = createTestEngine();
    const count = t.run('COMMAND', 'COUNT') as number;
    expect(count).toBe(t.engine.table.commands.length);
    expect((t.run('COMMAND') as Reply[]).length).toBe(count);
    expect((t.run('COMMAND', 'INFO') as Reply[]).length).toBe(count);
    expect((t.run('COMMAND', 'DOCS') as Reply[]).length).toBe(2 * count);
    for (const protocol of [2, 3] as const) {
      t.writer.protocol = protocol;
      for (const r of t.engine.table.all()) {
        // One complete reply each: the aggregate lengths add up.
        t.engine.execute(t.client, ['COMMAND', 'INFO', r.fullName]);
        t.engine.execute(t.client, ['COMMAND', 'DOCS', r.fullName]);
        expect(t.writer.take()).toHaveLength(2);
      }
    }
  });

  it('LIST with and without FILTERBY', () => {
    const t = createTestEngine();
    const all = t.run('COMMAND', 'LIST') as string[];
    expect(all).toContain('config');
    expect(all.indexOf('config|get')).toBeGreaterThan(all.indexOf('config'));
    expect(t.run('COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'CONFIG|G*')).toEqual(['config|get']);
    const connection = t.run('COMMAND', 'LIST', 'FILTERBY', 'ACLCAT', 'CONNECTION') as string[];
    expect(connection).toEqual(expect.arrayContaining(['ping', 'auth', 'hello', 'client|kill', 'command', 'command|info']));
    expect(connection).not.toContain('client');
    expect(connection).not.toContain('config|get');
    expect(t.run('COMMAND', 'LIST', 'FILTERBY', 'ACLCAT', 'nosuch')).toEqual([]);
    expect(t.run('COMMAND', 'LIST', 'FILTERBY', 'MODULE', 'x')).toEqual([]);
    expect(t.run('COMMAND', 'LIST', 'FILTERBY')).toEqual(err(SYNTAX));
    expect(t.run('COMMAND', 'LIST', 'FILTERBY', 'foo', 'bar')).toEqual(err(SYNTAX));
    expect(t.run('COMMAND', 'LIST', 'foo')).toEqual(err(SYNTAX));
  });

  it('GETKEYS and GETKEYSANDFLAGS', () => {
    const t = createTestEngine();
    expect(t.run('COMMAND', 'GETKEYS', 'GET', 'a')).toEqual(['a']);
    expect(t.run('COMMAND', 'GETKEYS', 'set', 'k', 'v', 'EX', '10')).toEqual(['k']);
    expect(t.run('COMMAND', 'GETKEYSANDFLAGS', 'get', 'a')).toEqual([['a', [new SimpleString('RO'), new SimpleString('access')]]]);
    expect(t.run('COMMAND', 'GETKEYS', 'foo', 'x')).toEqual(err('ERR Invalid command specified'));
    expect(t.run('COMMAND', 'GETKEYS', 'config', 'nosuch', 'x')).toEqual(err('ERR Invalid command specified'));
    expect(t.run('COMMAND', 'GETKEYS', 'ping', 'x')).toEqual(err('ERR The command has no key arguments'));
    expect(t.run('COMMAND', 'GETKEYS', 'config', 'get', 'x')).toEqual(err('ERR The command has no key arguments'));
    expect(t.run('COMMAND', 'GETKEYS', 'get', 'a', 'b')).toEqual(err('ERR Invalid number of arguments specified for command'));
    expect(t.run('COMMAND', 'GETKEYS', 'get')).toEqual(err("ERR wrong number of arguments for 'command|getkeys' command"));
  });

  it('GETKEYS walks range, keyword and keynum key specs', () => {
    const noop = () => undefined;
    const t = createTestEngine({
      commands: [
        ...(createTestEngine().engine.table.commands),
        { name: 'xmset', arity: -3, flags: ['write'], keys: [1, -1, 2], group: 'string', since: '1.0.0', summary: '', run: noop },
        {
          name: 'xunion', arity: -4, flags: ['write', 'movablekeys'], keys: [1, 1, 1], group: 'set', since: '1.0.0', summary: '', run: noop,
          keySpecs: [
            { flags: ['OW', 'update'], beginSearch: { index: 1 }, findKeys: { lastKey: 0, keyStep: 1, limit: 0 } },
            { flags: ['RO', 'access'], beginSearch: { index: 2 }, findKeys: { keyNumIdx: 0, firstKey: 1, keyStep: 1 } },
          ],
        },
        {
          name: 'xread', arity: -4, flags: ['readonly', 'movablekeys'], keys: [0, 0, 0], group: 'stream', since: '1.0.0', summary: '', run: noop,
          keySpecs: [{ flags: ['RO'], beginSearch: { keyword: 'STREAMS', startFrom: 1 }, findKeys: { lastKey: -1, keyStep: 1, limit: 2 } }],
        },
      ],
    });
    expect(t.run('COMMAND', 'GETKEYS', 'xmset', 'a', '1', 'b', '2')).toEqual(['a', 'b']);
    expect(t.run('COMMAND', 'GETKEYS', 'xunion', 'd', '2', 'a', 'b')).toEqual(['d', 'a', 'b']);
    expect(t.run('COMMAND', 'GETKEYS', 'xunion', 'd', '5', 'a')).toEqual(err('ERR Invalid arguments specified for command'));
    expect(t.run('COMMAND', 'GETKEYS', 'xunion', 'd', 'x', 'a')).toEqual(err('ERR Invalid arguments specified for command'));
    expect(t.run('COMMAND', 'GETKEYS', 'xread', 'COUNT', '2', 'streams', 's1', 's2', '0', '0')).toEqual(['s1', 's2']);
    expect(t.run('COMMAND', 'GETKEYS', 'xread', 'COUNT', '2', 'x')).toEqual(err('ERR Invalid arguments specified for command'));
  });

  it('derives ACL categories from flags, group and extras', () => {
    const t = createTestEngine();
    const acl = (name: string) => ((t.run('COMMAND', 'INFO', name) as Reply[][])[0]![6] as SimpleString[]).map(String);
    expect(acl('time')).toEqual(['@fast']);
    expect(acl('lastsave')).toEqual(['@admin', '@fast', '@dangerous']);
    expect(acl('info')).toEqual(['@slow', '@dangerous']);
    expect(acl('shutdown')).toEqual(['@admin', '@slow', '@dangerous']);
    expect(acl('command')).toEqual(['@slow', '@connection']);
    expect(acl('auth')).toEqual(['@fast', '@connection']);
  });

  it('HELP', () => {
    const t = createTestEngine();
    const help = (t.run('COMMAND', 'HELP') as SimpleString[]).map(String);
    expect(help).toHaveLength(21);
    expect(help[0]).toBe('COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:');
    expect(help).toContain('GETKEYSANDFLAGS <full-command>');
  });
});

// ------------------------------------------------------------------ CONFIG

describe('CONFIG', () => {
  it('GET by name (answered as spelled), by glob over names and aliases; RESP3 map', () => {
    const t = createTestEngine();
    expect(t.run('CONFIG', 'GET', 'maxclients')).toEqual(['maxclients', '10000']);
    expect(t.run('CONFIG', 'GET', 'MAXCLIENTS')).toEqual(['MAXCLIENTS', '10000']);
    expect(t.run('CONFIG', 'GET', 'nosuch')).toEqual([]);
    expect(t.run('CONFIG', 'GET', 'timeout', 'timeout')).toEqual(['timeout', '0']);
    expect(t.run('CONFIG', 'GET', 'hash-max-ziplist-entries')).toEqual(['hash-max-ziplist-entries', '512']);
    const glob = t.run('CONFIG', 'GET', 'hash-max-*-entries', 'maxmemory*') as string[];
    expect(glob).toEqual([
      'hash-max-listpack-entries', '512', 'hash-max-ziplist-entries', '512',
      'maxmemory', '0', 'maxmemory-policy', 'noeviction', 'maxmemory-samples', '5',
    ]);
    t.run('HELLO', '3');
    expect(t.run('CONFIG', 'GET', 'timeout')).toEqual(new ReplyMap([['timeout', '0']]));
    expect(t.run('CONFIG', 'GET')).toEqual(err("ERR wrong number of arguments for 'config|get' command"));
  });

  it('SET validates as Redis and normalises values', () => {
    const t = createTestEngine();
    expect(t.run('CONFIG', 'SET', 'maxmemory', '1kb')).toEqual(OK);
    expect(t.run('CONFIG', 'GET', 'maxmemory')).toEqual(['maxmemory', '1024']);
    expect(t.run('CONFIG', 'SET', 'maxmemory-policy', 'ALLKEYS-LRU')).toEqual(OK);
    expect(t.run('CONFIG', 'GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'allkeys-lru']);
    expect(t.run('CONFIG', 'SET', 'hz', '0')).toEqual(OK);
    expect(t.run('CONFIG', 'GET', 'hz')).toEqual(['hz', '1']);
    expect(t.run('CONFIG', 'SET', 'hz', '501')).toEqual(OK);
    expect(t.run('CONFIG', 'GET', 'hz')).toEqual(['hz', '500']);
    expect(t.run('CONFIG', 'SET', 'notify-keyspace-events', 'KEA')).toEqual(OK);
    expect(t.run('CONFIG', 'GET', 'notify-keyspace-events')).toEqual(['notify-keyspace-events', 'AKE']);
    expect(t.run('CONFIG', 'SET', 'notify-keyspace-events', 'gx$m')).toEqual(OK);
    expect(t.run('CONFIG', 'GET', 'notify-keyspace-events')).toEqual(['notify-keyspace-events', 'g$xm']);
    expect(t.run('CONFIG', 'SET', 'save', '3600 1 300 100')).toEqual(OK);
    expect(t.run('CONFIG', 'SET', 'hash-max-ziplist-entries', '64')).toEqual(OK);
    expect(t.run('CONFIG', 'GET', 'hash-max-listpack-entries')).toEqual(['hash-max-listpack-entries', '64']);
  });

  it('SET errors byte for byte', () => {
    const t = createTestEngine();
    const failed = (name: string, reason: string) => err(`ERR CONFIG SET failed (possibly related to argument '${name}') - ${reason}`);
    expect(t.run('CONFIG', 'SET', 'foo', 'bar')).toEqual(err("ERR Unknown option or number of arguments for CONFIG SET - 'foo'"));
    expect(t.run('CONFIG', 'SET', 'maxclients', 'abc')).toEqual(failed('maxclients', "argument couldn't be parsed into an integer"));
    expect(t.run('CONFIG', 'SET', 'maxclients', '05')).toEqual(failed('maxclients', "argument couldn't be parsed into an integer"));
    expect(t.run('CONFIG', 'SET', 'maxclients', '0')).toEqual(failed('maxclients', 'argument must be between 1 and 4294967295 inclusive'));
    expect(t.run('CONFIG', 'SET', 'port', '1')).toEqual(failed('port', "can't set immutable config"));
    expect(t.run('CONFIG', 'SET', 'databases', '1')).toEqual(failed('databases', "can't set immutable config"));
    expect(t.run('CONFIG', 'SET', 'dir', '/tmp')).toEqual(failed('dir', "can't set protected config"));
    expect(t.run('CONFIG', 'SET', 'HZ', '10', 'Hz', '11')).toEqual(failed('Hz', 'duplicate parameter'));
    expect(t.run('CONFIG', 'SET', 'maxclients', '1', 'hz')).toEqual(err(SYNTAX));
    expect(t.run('CONFIG', 'SET', 'timeout', '-1')).toEqual(failed('timeout', 'argument must be between 0 and 2147483647 inclusive'));
    expect(t.run('CONFIG', 'SET', 'maxmemory', '1x')).toEqual(failed('maxmemory', 'argument must be a memory value'));
    expect(t.run('CONFIG', 'SET', 'appendfsync', 'foo')).toEqual(failed('appendfsync', 'argument(s) must be one of the following: everysec, always, no'));
    expect(t.run('CONFIG', 'SET', 'appendonly', 'maybe')).toEqual(failed('appendonly', "argument must be 'yes' or 'no'"));
    expect(t.run('CONFIG', 'SET', 'loglevel', 'foo')).toEqual(failed('loglevel', 'argument(s) must be one of the following: debug, verbose, notice, warning'));
    expect(t.run('CONFIG', 'SET', 'notify-keyspace-events', 'Q')).toEqual(failed('notify-keyspace-events', "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."));
    expect(t.run('CONFIG', 'SET', 'save', '900')).toEqual(failed('save', 'Invalid save parameters'));
    expect(t.run('CONFIG', 'SET', 'proto-max-bulk-len', '10')).toEqual(failed('proto-max-bulk-len', 'argument must be between 1048576 and 9223372036854775807 inclusive'));
    expect(t.run('CONFIG', 'SET', 'maxclients')).toEqual(err("ERR wrong number of arguments for 'config|set' command"));
  });

  it('SET of several parameters is atomic: names are checked first, then values', () => {
    const t = createTestEngine();
    const seen: string[] = [];
    t.engine.config.onChange('hz', (v) => seen.push(v));
    expect(t.run('CONFIG', 'SET', 'hz', '5', 'maxclients', 'x')).toEqual(err("ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an integer"));
    expect(t.run('CONFIG', 'SET', 'hz', 'x', 'foo', '1')).toEqual(err("ERR Unknown option or number of arguments for CONFIG SET - 'foo'"));
    expect(t.run('CONFIG', 'SET', 'maxclients', 'x', 'databases', '1')).toEqual(err("ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config"));
    expect(t.run('CONFIG', 'GET', 'hz')).toEqual(['hz', '10']);
    expect(seen).toEqual([]);
    expect(t.run('CONFIG', 'SET', 'hz', '20', 'maxclients', '50')).toEqual(OK);
    expect(t.run('CONFIG', 'GET', 'hz', 'maxclients')).toEqual(['hz', '20', 'maxclients', '50']);
    expect(seen).toEqual(['20']);
  });

  it('SET requirepass applies to new connections', () => {
    const t = createTestEngine();
    expect(t.run('CONFIG', 'SET', 'requirepass', 'pw')).toEqual(OK);
    expect(t.run('PING')).toEqual(new SimpleString('PONG'));
    const other = t.newClient();
    expect(other.run('PING')).toEqual(err(NOAUTH));
    expect(other.run('AUTH', 'pw')).toEqual(OK);
    const third = t.newClient();
    expect(third.run('PING')).toEqual(err(NOAUTH));
    // Clearing the password lets everyone in, as Redis's nopass default user does.
    expect(t.run('CONFIG', 'SET', 'requirepass', '')).toEqual(OK);
    expect(third.run('PING')).toEqual(new SimpleString('PONG'));
  });

  it('RESETSTAT, REWRITE and HELP', () => {
    const t = createTestEngine();
    t.run('PING');
    t.engine.stats.expiredKeys = 7;
    expect(t.run('CONFIG', 'RESETSTAT')).toEqual(OK);
    expect(t.engine.stats.expiredKeys).toBe(0);
    expect(t.engine.stats.totalCommands).toBe(0);
    expect(t.run('CONFIG', 'REWRITE')).toEqual(err('ERR The server is running without a config file'));
    let rewrites = 0;
    const hosted = createTestEngine({ hooks: { rewriteConfig: () => { rewrites++; } } });
    expect(hosted.run('CONFIG', 'REWRITE')).toEqual(OK);
    expect(rewrites).toBe(1);
    const failing = createTestEngine({ hooks: { rewriteConfig: () => { throw new Error('Permission denied'); } } });
    expect(failing.run('CONFIG', 'REWRITE')).toEqual(err('ERR Rewriting config file: Permission denied'));
    expect((t.run('CONFIG', 'HELP') as Reply[])[1]).toEqual(new SimpleString('GET <pattern>'));
  });
});

// ------------------------------------------------------------------ INFO

describe('INFO', () => {
  it('default sections, headers and CRLF as Redis', () => {
    const t = createTestEngine();
    const text = t.run('INFO') as string;
    const headers = text.split('\r\n').filter((l) => l.startsWith('# '));
    expect(headers).toEqual(['# Server', '# Clients', '# Memory', '# Persistence', '# Stats', '# Replication', '# CPU', '# Modules', '# Errorstats', '# Cluster', '# Keyspace']);
    expect(text.replaceAll('\r\n', '')).not.toContain('\n');
    expect(text.startsWith('# Server\r\nredis_version:7.0.15\r\n')).toBe(true);
    const all = (t.run('INFO', 'all') as string).split('\r\n').filter((l) => l.startsWith('# '));
    expect(all).toContain('# Commandstats');
    expect(all).toContain('# Latencystats');
    const everything = (t.run('INFO', 'everything') as string).split('\r\n').filter((l) => l.startsWith('# '));
    expect(everything).toEqual(all);
  });

  it('selected sections in Redis order, once each; unknown ones ignored', () => {
    const t = createTestEngine();
    t.engine.dbs[0]!.set('a', '1');
    t.engine.dbs[0]!.set('b', '2');
    t.engine.dbs[0]!.setExpire('b', t.clock.now + 10_000);
    t.engine.dbs[3]!.set('c', '3');
    expect(t.run('INFO', 'keyspace', 'CLUSTER', 'cluster')).toBe(
      '# Cluster\r\ncluster_enabled:0\r\n\r\n# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=0\r\ndb3:keys=1,expires=0,avg_ttl=0\r\n',
    );
    expect(t.run('INFO', 'nosuch')).toBe('');
    expect(t.run('INFO', 'modules')).toBe('# Modules\r\n');
  });

  it('reports engine state', () => {
    const t = createTestEngine({ config: { maxclients: '77' } });
    t.newClient();
    t.clock.advance(90_061_000);
    t.engine.stats.expiredKeys = 3;
    t.run('PING');
    const f = infoLines(t.run('INFO') as string);
    expect(f.get('uptime_in_seconds')).toBe('90061');
    expect(f.get('uptime_in_days')).toBe('1');
    expect(f.get('connected_clients')).toBe('2');
    expect(f.get('maxclients')).toBe('77');
    expect(f.get('total_commands_processed')).toBe('2');
    expect(f.get('total_connections_received')).toBe('2');
    expect(f.get('expired_keys')).toBe('3');
    expect(f.get('role')).toBe('master');
    expect(f.get('aof_enabled')).toBe('0');
    expect(f.get('loading')).toBe('0');
    expect(f.get('nodis_version')).toMatch(/^\d+\.\d+\.\d+/);
    expect(Number(f.get('used_memory'))).toBeGreaterThan(0);
    expect(f.get('used_memory_human')).toMatch(/^\d+\.\d\d[KMG]$/);
    expect(f.get('server_time_usec')).toBe(String(t.clock.now * 1000));
  });

  it('merges fields from the host hook in place and after ours', () => {
    const t = createTestEngine({
      hooks: { info: () => ({ server: { tcp_port: 6399, process_id: 42, config_file: '/etc/nodis.conf' }, persistence: { aof_enabled: 1, aof_extra: 'x' } }) },
    });
    const text = t.run('INFO', 'server', 'persistence') as string;
    const f = infoLines(text);
    expect(f.get('tcp_port')).toBe('6399');
    expect(f.get('process_id')).toBe('42');
    expect(f.get('config_file')).toBe('/etc/nodis.conf');
    expect(f.get('aof_enabled')).toBe('1');
    const keys = [...f.keys()];
    expect(keys.indexOf('tcp_port')).toBe(keys.indexOf('run_id') + 1);
    expect(keys[keys.length - 1]).toBe('aof_extra');
  });

  it('is a verbatim string in RESP3', () => {
    const t = createTestEngine();
    t.run('HELLO', '3');
    expect(t.run('INFO', 'cluster')).toEqual(new ReplyVerbatim('txt', '# Cluster\r\ncluster_enabled:0\r\n'));
  });
});

// ------------------------------------------------------------------ TIME, LASTSAVE, ROLE, SHUTDOWN

describe('TIME, LASTSAVE, ROLE', () => {
  it('TIME reads the engine clock', () => {
    const t = createTestEngine();
    t.clock.now = 1_700_000_123_456;
    expect(t.run('TIME')).toEqual(['1700000123', '456000']);
    t.clock.now = 1_700_000_123_456.789;
    expect(t.run('TIME')).toEqual(['1700000123', '456789']);
  });

  it('LASTSAVE is the start time until the host reports a save', () => {
    const t = createTestEngine();
    expect(t.run('LASTSAVE')).toBe(Math.floor(t.engine.stats.startTime / 1000));
    const hosted = createTestEngine({ hooks: { info: () => ({ persistence: { rdb_last_save_time: 1234 } }) } });
    expect(hosted.run('LASTSAVE')).toBe(1234);
  });

  it('ROLE is a master without replicas', () => {
    const t = createTestEngine();
    expect(t.run('ROLE')).toEqual(['master', 0, []]);
  });
});

describe('SHUTDOWN', () => {
  it('calls the host hook with the options and closes without a reply', () => {
    const calls: unknown[] = [];
    const t = createTestEngine({ hooks: { shutdown: (o) => { calls.push(o); } } });
    t.engine.execute(t.client, ['SHUTDOWN', 'nosave', 'NOW']);
    expect(t.writer.pending).toBe(0);
    expect(t.client.closeAfterReply).toBe(true);
    t.engine.execute(t.client, ['SHUTDOWN', 'SAVE', 'FORCE']);
    t.engine.execute(t.client, ['SHUTDOWN']);
    expect(calls).toEqual([
      { save: false, now: true, force: false },
      { save: true, now: false, force: true },
      { save: undefined, now: false, force: false },
    ]);
  });

  it('answers errors as Redis, and an error without a host', () => {
    const withHook: EngineOptions = { hooks: { shutdown: () => { throw new Error('cannot save'); } } };
    const t = createTestEngine(withHook);
    expect(t.run('SHUTDOWN', 'foo')).toEqual(err(SYNTAX));
    expect(t.run('SHUTDOWN', 'SAVE', 'NOSAVE')).toEqual(err(SYNTAX));
    expect(t.run('SHUTDOWN', 'ABORT', 'NOW')).toEqual(err(SYNTAX));
    expect(t.run('SHUTDOWN', 'ABORT')).toEqual(err('ERR No shutdown in progress.'));
    expect(t.run('SHUTDOWN')).toEqual(err('ERR Errors trying to SHUTDOWN. Check logs.'));
    expect(createTestEngine().run('SHUTDOWN')).toEqual(err('ERR Errors trying to SHUTDOWN. Check logs.'));
  });
});

// ------------------------------------------------------------------ differential against real Redis

/** A connection that collects the raw bytes of n replies. */
async function redisRaw(port: number, commands: string[][]): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  const parser = new ReplyParser();
  const chunks: Buffer[] = [];
  let replies = 0;
  const done = new Promise<void>((resolve) => {
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      parser.feed(chunk, () => { if (++replies === commands.length) resolve(); });
    });
    socket.on('close', () => resolve());
  });
  for (const argv of commands) {
    let s = `*${argv.length}\r\n`;
    for (const a of argv) s += `$${a.length}\r\n${a}\r\n`;
    socket.write(Buffer.from(s, 'latin1'));
  }
  await done;
  socket.destroy();
  return Buffer.concat(chunks).toString('latin1');
}

/** Client ids differ between the two servers. */
const maskId = (s: string): string => s.replaceAll(/\$2\r\nid\r\n:\d+\r\n/g, '$2\r\nid\r\n:ID\r\n');

let redis: RedisProcess | undefined;
if (redisServerPath) redis = await startRedis();
else console.warn('NOTE: redis-server is not installed: the server-command differential tests are SKIPPED');
afterAll(async () => { await redis?.stop(); });

describe.skipIf(!redis)('differential against real Redis', () => {
  async function compare(groups: string[][][], config: Record<string, string> = {}): Promise<void> {
    for (const commands of groups) {
      const t = createTestEngine({ config: { port: String(redis!.port), ...config } });
      const raw = rawClient(t.engine);
      const mine = commands.map((argv) => raw.run(...argv)).join('');
      expect(maskId(mine), JSON.stringify(commands)).toBe(maskId(await redisRaw(redis!.port, commands)));
    }
  }

  const ours = ['ping', 'echo', 'quit', 'reset', 'select', 'auth', 'hello', 'info', 'time', 'lastsave', 'shutdown', 'role'];
  const subs: Record<string, string[]> = {
    client: ['id', 'getname', 'setname', 'list', 'info', 'kill', 'no-evict', 'help'],
    command: ['count', 'list', 'info', 'docs', 'getkeys', 'getkeysandflags', 'help'],
    config: ['get', 'set', 'resetstat', 'rewrite', 'help'],
  };

  it('COMMAND INFO and DOCS of every connection/server command, RESP2 and RESP3', async () => {
    const names = [...ours, ...Object.entries(subs).flatMap(([c, list]) => list.map((s) => `${c}|${s}`))];
    await compare(names.map((n) => [['COMMAND', 'INFO', n], ['COMMAND', 'DOCS', n], ['HELLO', '3'], ['COMMAND', 'INFO', n], ['COMMAND', 'DOCS', n]]));
  });

  it('replies and errors', async () => {
    await compare([
      [['PING'], ['PING', 'x'], ['PING', 'a', 'b'], ['ECHO', 'x'], ['HELLO', '3'], ['PING'], ['PING', 'x']],
      [['SELECT', '15'], ['SELECT', '16'], ['SELECT', '-1'], ['SELECT', 'x'], ['SELECT', '99999999999'], ['SELECT', '0']],
      [['AUTH', 'x'], ['AUTH', 'a', 'b'], ['AUTH', 'default', 'x'], ['AUTH', 'a', 'b', 'c']],
      [['HELLO', '4'], ['HELLO', 'abc'], ['HELLO', '2', 'AUTH'], ['HELLO', '2', 'FOO'], ['HELLO', '3', 'SETNAME', 'a b'], ['HELLO', '2', 'AUTH', 'a', 'b'], ['HELLO', '3', 'SETNAME', 'foo'], ['CLIENT', 'GETNAME'], ['HELLO']],
      [['CLIENT', 'SETNAME', 'a b'], ['CLIENT', 'SETNAME', 'x'], ['CLIENT', 'GETNAME'], ['CLIENT', 'SETNAME', ''], ['CLIENT', 'GETNAME'], ['CLIENT', 'NO-EVICT', 'maybe'], ['CLIENT', 'NO-EVICT', 'on']],
      [['CLIENT', 'LIST', 'TYPE', 'foo'], ['CLIENT', 'LIST', 'ID', 'abc'], ['CLIENT', 'LIST', 'foo'], ['CLIENT', 'LIST', 'ID', '99999'], ['CLIENT', 'LIST', 'TYPE', 'pubsub']],
      [['CLIENT', 'KILL', '1.2.3.4:5'], ['CLIENT', 'KILL', 'ID', '99999'], ['CLIENT', 'KILL', 'ID', 'abc'], ['CLIENT', 'KILL', 'ID'], ['CLIENT', 'KILL', 'TYPE', 'foo'], ['CLIENT', 'KILL', 'SKIPME', 'maybe'], ['CLIENT', 'KILL', 'USER', 'nosuch'], ['CLIENT', 'KILL', 'a', 'b', 'c'], ['CLIENT', 'KILL', 'ADDR', '1.2.3.4:5']],
      [['COMMAND', 'GETKEYS', 'foo', 'x'], ['COMMAND', 'GETKEYS', 'ping', 'x'], ['COMMAND', 'GETKEYS', 'config', 'nosuch', 'x'], ['COMMAND', 'GETKEYS', 'get', 'a', 'b'], ['COMMAND', 'GETKEYS', 'GET', 'a'], ['COMMAND', 'HELP'], ['COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'CONFIG|G*'], ['COMMAND', 'LIST', 'FILTERBY', 'MODULE', 'x'], ['COMMAND', 'INFO', 'nosuch']],
      [['CONFIG', 'GET', 'maxclients'], ['CONFIG', 'GET', 'PORT', 'nosuch'], ['CONFIG', 'GET', 'hash-max-ziplist-entries'], ['CONFIG', 'HELP'], ['HELLO', '3'], ['CONFIG', 'GET', 'timeout']],
      [['CONFIG', 'SET', 'foo', 'bar'], ['CONFIG', 'SET', 'maxclients', 'abc'], ['CONFIG', 'SET', 'databases', '1'], ['CONFIG', 'SET', 'dir', '/tmp'], ['CONFIG', 'SET', 'HZ', '10', 'Hz', '11'], ['CONFIG', 'SET', 'maxclients', '1', 'hz'], ['CONFIG', 'SET', 'hz', '5', 'maxclients', 'x'], ['CONFIG', 'SET', 'hz', '501'], ['CONFIG', 'GET', 'hz'], ['CONFIG', 'SET', 'maxmemory-policy', 'foo'], ['CONFIG', 'SET', 'appendfsync', 'x'], ['CONFIG', 'SET', 'maxmemory', '1x'], ['CONFIG', 'SET', 'notify-keyspace-events', 'KEA'], ['CONFIG', 'GET', 'notify-keyspace-events'], ['CONFIG', 'SET', 'save', '900'], ['CONFIG', 'REWRITE']],
      [['INFO', 'cluster'], ['INFO', 'nosuch'], ['INFO', 'modules'], ['ROLE'], ['HELLO', '3'], ['INFO', 'cluster'], ['ROLE']],
      [['SHUTDOWN', 'foo'], ['SHUTDOWN', 'ABORT'], ['SHUTDOWN', 'SAVE', 'NOSAVE']],
      [['SELECT', '2'], ['HELLO', '3'], ['RESET'], ['CLIENT', 'GETNAME'], ['QUIT']],
    ]);
  });

  it('the NOAUTH flow', async () => {
    const admin = await redisRaw(redis!.port, [['CONFIG', 'SET', 'requirepass', 'secret']]);
    expect(admin).toBe('+OK\r\n');
    try {
      await compare([
        [['PING'], ['nosuch'], ['HELLO'], ['HELLO', '3', 'AUTH', 'default', 'nope'], ['HELLO', '3', 'AUTH', 'default', 'secret'], ['PING']],
        [['AUTH', 'nope'], ['AUTH', 'secret'], ['PING'], ['RESET'], ['PING'], ['AUTH', 'default', 'secret'], ['CLIENT', 'ID', 'x']],
      ], { requirepass: 'secret' });
    } finally {
      await redisRaw(redis!.port, [['AUTH', 'secret'], ['CONFIG', 'SET', 'requirepass', '']]);
    }
  });
});
