import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReplyMap, ReplySet, SimpleString, type Reply } from '@nodis/protocol';
import { redisAvailable, startRedis, type RedisProcess } from '../../../test/helpers/redis.js';
import { RespTestClient } from '../../../test/helpers/resp-client.js';
import { CommandTable, paramsSyntax, type CommandDoc } from './docs.js';

/**
 * Name and parameters of help entries as redis-cli 7.0.15 printed them (`help @<group>` in its
 * REPL, connected to redis-server 7.0.15, escapes stripped). redis-cli builds these from
 * COMMAND DOCS: compact `|`, argument names, `""` for an empty token.
 */
const REDIS_CLI_PARAMS = [
  'ACL LOG [count|RESET]',
  'BITCOUNT key [start end [BYTE|BIT]]',
  'BITFIELD key [GET encoding offset|[OVERFLOW WRAP|SAT|FAIL] SET encoding offset value|INCRBY encoding offset increment [GET encoding offset|[OVERFLOW WRAP|SAT|FAIL] SET encoding offset value|INCRBY encoding offset increment ...]]',
  'BITFIELD_RO key [GET encoding offset [GET encoding offset ...]]',
  'BITPOS key bit [start [end [BYTE|BIT]]]',
  'BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]',
  'CLIENT KILL ip:port|[ID client-id]|[TYPE NORMAL|MASTER|SLAVE|REPLICA|PUBSUB]|[USER username]|[ADDR ip:port]|[LADDR ip:port]|[SKIPME yes/no] [[ID client-id]|[TYPE NORMAL|MASTER|SLAVE|REPLICA|PUBSUB]|[USER username]|[ADDR ip:port]|[LADDR ip:port]|[SKIPME yes/no] ...]',
  'CLIENT LIST [TYPE NORMAL|MASTER|REPLICA|PUBSUB] [ID client-id [client-id ...]]',
  'COMMAND DOCS [command-name [command-name ...]]',
  'CONFIG GET parameter [parameter ...]',
  'CONFIG SET parameter value [parameter value ...]',
  'EXPIRE key seconds [NX|XX|GT|LT]',
  'FUNCTION RESTORE serialized-value [FLUSH|APPEND|REPLACE]',
  'GEORADIUS key longitude latitude radius M|KM|FT|MI [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC|DESC] [STORE key] [STOREDIST key]',
  'GEOSEARCH key FROMMEMBER member|FROMLONLAT longitude latitude BYRADIUS radius M|KM|FT|MI|BYBOX width height M|KM|FT|MI [ASC|DESC] [COUNT count [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH]',
  'HELLO [protover [AUTH username password] [SETNAME clientname]]',
  'HSET key field value [field value ...]',
  'LATENCY RESET [event [event ...]]',
  'LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]',
  'LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]',
  'MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [[AUTH password]|[AUTH2 username password]] [KEYS key [key ...]]',
  'OBJECT ENCODING key',
  'SCRIPT FLUSH [ASYNC|SYNC]',
  'SET key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]',
  'SINTERCARD numkeys key [key ...] [LIMIT limit]',
  'SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC|DESC] [ALPHA] [STORE destination]',
  'XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [field value ...]',
  'XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-milliseconds] [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID id]',
  'XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key [key ...] id [id ...]',
  'ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]',
  'ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]',
  'ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX]',
];

/** The entry's line as redis-cli shows it: name, a space, parameters (maybe empty). */
const line = (doc: CommandDoc): string => `${doc.name} ${paramsSyntax(doc.arguments)}`;
const nameOf = (params: string): string => {
  const words = params.split(' ');
  // Container entries (`CONFIG GET`) are followed by an upper-case word; XREADGROUP's GROUP is a token.
  return /^[A-Z_-]+$/.test(words[1] ?? '') && words[0] !== 'XREADGROUP' ? `${words[0]} ${words[1]}` : words[0]!;
};

describe('CommandTable from our specs', () => {
  const table = CommandTable.fromSpecs();

  it('finds commands and subcommands case-insensitively', () => {
    expect(table.get('set')?.name).toBe('SET');
    expect(table.get('SeT')).toBe(table.get('SET'));
    expect(table.get('config get')?.name).toBe('CONFIG GET');
    expect(table.get('CONFIG|get')?.name).toBe('CONFIG GET');
    expect(table.get('  config   GET ')?.name).toBe('CONFIG GET');
    expect(table.get('config nosuch')).toBeUndefined();
    expect(table.get('config get extra')).toBeUndefined();
    expect(table.get('nosuch')).toBeUndefined();
    expect(table.get('')).toBeUndefined();
  });

  it('carries the spec data', () => {
    const set = table.get('set')!;
    expect(set).toMatchObject({ summary: 'Set the string value of a key', since: '1.0.0', group: 'string' });
    expect(set.subcommands).toEqual([]);
    const config = table.get('config')!;
    expect(config.subcommands.map((s) => s.name)).toEqual(['CONFIG GET', 'CONFIG HELP', 'CONFIG RESETSTAT', 'CONFIG REWRITE', 'CONFIG SET']);
    expect(table.get('client')!.subcommands.length).toBeGreaterThan(5);
  });

  it('lists top-level commands sorted, and the groups present', () => {
    const names = table.all().map((d) => d.name);
    expect(names).toEqual([...names].sort());
    expect(names).toContain('HSET');
    expect(names.some((n) => n.includes(' '))).toBe(false);
    const groups = table.groups();
    expect(groups).toEqual([...groups].sort());
    expect(groups).toEqual(expect.arrayContaining(['generic', 'hash', 'list', 'server', 'sorted-set', 'string']));
  });

  it('lists every entry (subcommands too) in strcmp order, as redis-cli sorts help entries', () => {
    const names = table.entries().map((d) => d.name);
    expect(names.indexOf('CONFIG')).toBeLessThan(names.indexOf('CONFIG GET'));
    expect(names.indexOf('BITFIELD')).toBeLessThan(names.indexOf('BITFIELD_RO'));
    expect(names).toContain('OBJECT ENCODING');
  });

  it('renders parameters exactly as redis-cli 7.0.15 does, for every listed command we have', () => {
    let compared = 0;
    for (const expected of REDIS_CLI_PARAMS) {
      const doc = table.get(nameOf(expected));
      if (doc === undefined) continue; // a command nodis does not have (yet)
      expect(line(doc)).toBe(expected);
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(18);
  });

  it('renders a command without arguments as an empty parameter list', () => {
    expect(line(table.get('config resetstat')!)).toBe('CONFIG RESETSTAT ');
    expect(line(table.get('config')!)).toBe('CONFIG ');
  });
});

// A COMMAND DOCS reply for SORT (new to us), GET (replacing ours) and XINFO (a container),
// built by hand in both protocol shapes, as Redis 7.0.15 sends them (flags are statuses).
interface DocArg { name: string; type: string; token?: string; flags?: string[]; arguments?: DocArg[] }
const sortArgs: DocArg[] = [
  { name: 'key', type: 'key' },
  { name: 'pattern', type: 'pattern', token: 'BY', flags: ['optional'] },
  { name: 'limit', type: 'block', token: 'LIMIT', flags: ['optional'], arguments: [{ name: 'offset', type: 'integer' }, { name: 'count', type: 'integer' }] },
  { name: 'pattern', type: 'pattern', token: 'GET', flags: ['optional', 'multiple', 'multiple_token'] },
  { name: 'order', type: 'oneof', flags: ['optional'], arguments: [{ name: 'asc', type: 'pure-token', token: 'ASC' }, { name: 'desc', type: 'pure-token', token: 'DESC' }] },
  { name: 'sorting', type: 'pure-token', token: 'ALPHA', flags: ['optional'] },
  { name: 'destination', type: 'key', token: 'STORE', flags: ['optional'] },
];

function resp2Arg(a: DocArg): Reply {
  const out: Reply[] = ['name', a.name, 'type', a.type];
  if (a.token !== undefined) out.push('token', a.token);
  if (a.flags) out.push('flags', a.flags.map((f) => new SimpleString(f)));
  if (a.arguments) out.push('arguments', a.arguments.map(resp2Arg));
  return out;
}
function resp3Arg(a: DocArg): Reply {
  const out: [Reply, Reply][] = [['name', a.name], ['type', a.type]];
  if (a.token !== undefined) out.push(['token', a.token]);
  if (a.flags) out.push(['flags', new ReplySet(a.flags.map((f) => new SimpleString(f)))]);
  if (a.arguments) out.push(['arguments', a.arguments.map(resp3Arg)]);
  return new ReplyMap(out);
}

const resp2Docs: Reply = [
  'sort', ['summary', 'Sort the elements in a list, set or sorted set', 'since', '1.0.0', 'group', 'generic',
    'complexity', 'O(N+M*log(M))', 'arguments', sortArgs.map(resp2Arg)],
  'get', ['summary', 'Newer words', 'since', '1.0.0', 'group', 'string', 'arguments', [resp2Arg({ name: 'key', type: 'key' })]],
  'xinfo', ['summary', 'A container for stream introspection commands', 'since', '5.0.0', 'group', 'stream',
    'subcommands', ['xinfo|stream', ['summary', 'Get information about a stream', 'since', '5.0.0', 'group', 'stream',
      'arguments', [resp2Arg({ name: 'key', type: 'key' }), resp2Arg({ name: 'full', type: 'block', token: 'FULL', flags: ['optional'], arguments: [{ name: 'count', type: 'integer', token: 'COUNT', flags: ['optional'] }] })]]]],
];
const resp3Docs: Reply = new ReplyMap([
  ['sort', new ReplyMap([['summary', 'Sort the elements in a list, set or sorted set'], ['since', '1.0.0'], ['group', 'generic'],
    ['complexity', 'O(N+M*log(M))'], ['arguments', sortArgs.map(resp3Arg)]])],
  ['get', new ReplyMap([['summary', 'Newer words'], ['since', '1.0.0'], ['group', 'string'], ['arguments', [resp3Arg({ name: 'key', type: 'key' })]]])],
  ['xinfo', new ReplyMap([['summary', 'A container for stream introspection commands'], ['since', '5.0.0'], ['group', 'stream'],
    ['subcommands', new ReplyMap([['xinfo|stream', new ReplyMap([['summary', 'Get information about a stream'], ['since', '5.0.0'], ['group', 'stream'],
      ['arguments', [resp3Arg({ name: 'key', type: 'key' }), resp3Arg({ name: 'full', type: 'block', token: 'FULL', flags: ['optional'], arguments: [{ name: 'count', type: 'integer', token: 'COUNT', flags: ['optional'] }] })]]])]])]])],
]);

describe('CommandTable.addCommandDocs', () => {
  it.each([['RESP2', resp2Docs], ['RESP3', resp3Docs]])('merges a %s reply: adds, replaces, reads subcommands', (_proto, reply) => {
    const table = CommandTable.fromSpecs();
    const before = table.all().length;
    expect(table.get('sort')).toBeUndefined();
    expect(table.addCommandDocs(reply)).toBe(3);
    expect(line(table.get('sort')!)).toBe(REDIS_CLI_PARAMS.find((p) => p.startsWith('SORT '))!);
    expect(table.get('sort')).toMatchObject({ group: 'generic', since: '1.0.0', complexity: 'O(N+M*log(M))' });
    expect(table.get('get')!.summary).toBe('Newer words');
    expect(line(table.get('xinfo stream')!)).toBe('XINFO STREAM key [FULL [COUNT count]]');
    expect(table.get('xinfo')!.subcommands.map((s) => s.name)).toEqual(['XINFO STREAM']);
    expect(table.all().length).toBe(before + 2);
    expect(table.all().map((d) => d.name)).toContain('SORT');
    expect(table.groups()).toContain('stream');
  });

  it('reads RESP2 and RESP3 replies to the same table', () => {
    const a = new CommandTable();
    const b = new CommandTable();
    a.addCommandDocs(resp2Docs);
    b.addCommandDocs(resp3Docs);
    expect(a.entries()).toEqual(b.entries());
  });

  it('decodes UTF-8 summaries from latin1 bulk strings and reads Uint8Array bulks', () => {
    const table = new CommandTable();
    const summary = Buffer.from('Café ☕', 'utf8').toString('latin1');
    expect(table.addCommandDocs(['brew', ['summary', summary, 'group', new Uint8Array(Buffer.from('server'))]])).toBe(1);
    expect(table.get('brew')).toMatchObject({ summary: 'Café ☕', group: 'server', since: '' });
  });

  it('files a module command (no group) under "module"', () => {
    const table = new CommandTable();
    table.addCommandDocs(['json.get', ['summary', 's', 'since', '1.0.0', 'module', 'ReJSON']]);
    expect(table.get('json.get')?.group).toBe('module');
  });

  it('ignores anything malformed without throwing', () => {
    const table = CommandTable.fromSpecs();
    const before = table.entries().length;
    const junk: Reply[] = [
      null, 42, 'x', true, new SimpleString('OK'), [], [1, 2, 3], ['lonely'], new ReplyMap([[1, 2]]),
      ['', ['summary', 's']], ['a|b', ['summary', 's']], ['cmd', 'not a doc'], ['cmd', null],
      ['cmd', new ReplySet(['summary', 's'])],
    ];
    for (const reply of junk) expect(table.addCommandDocs(reply)).toBe(0);
    expect(table.entries().length).toBe(before);

    // A doc with bad parts keeps its good parts.
    const odd: Reply = ['odd', [
      'summary', 7, 'since', ['x'], 'arguments', [
        ['name', 'ok', 'type', 'string', 'flags', 'optional'],
        ['type', 'string'], 5, null, ['name', 'x'],
        ['name', 'choice', 'type', 'oneof', 'arguments', 'nope'],
      ],
      'subcommands', ['odd|sub', 'junk', 'other|sub', ['summary', 'wrong parent'], 'odd|a|b', []],
    ]];
    expect(table.addCommandDocs(odd)).toBe(1);
    const doc = table.get('odd')!;
    expect(doc).toMatchObject({ summary: '', since: '', subcommands: [] });
    expect(doc.arguments).toEqual([{ name: 'ok', type: 'string' }, { name: 'choice', type: 'oneof', arguments: [] }]);

    // Nesting deeper than any real command is cut, not followed.
    let deep: Reply = ['name', 'leaf', 'type', 'string'];
    for (let i = 0; i < 10_000; i++) deep = ['name', `b${i}`, 'type', 'block', 'arguments', [deep]];
    expect(table.addCommandDocs(['deep', ['summary', 's', 'arguments', [deep]]])).toBe(1);
    expect(paramsSyntax(table.get('deep')!.arguments).length).toBeLessThan(200);
  });
});

describe.skipIf(!redisAvailable)('COMMAND DOCS from a real redis-server 7.0', () => {
  let redis: RedisProcess;
  let client: RespTestClient;
  beforeAll(async () => {
    redis = await startRedis();
    client = await RespTestClient.connect(redis.port);
  });
  afterAll(async () => {
    client?.close();
    await redis?.stop();
  });

  it('reads RESP2 and RESP3 replies alike, every parameter line as redis-cli prints it', async () => {
    const resp2 = await client.call('COMMAND', 'DOCS');
    await client.call('HELLO', '3');
    const resp3 = await client.call('COMMAND', 'DOCS');
    expect(resp3).toBeInstanceOf(ReplyMap);
    const a = new CommandTable();
    const b = new CommandTable();
    const count = a.addCommandDocs(resp2);
    expect(count).toBeGreaterThan(200);
    expect(b.addCommandDocs(resp3)).toBe(count);
    expect(a.entries()).toEqual(b.entries());
    for (const expected of REDIS_CLI_PARAMS) {
      const doc = a.get(nameOf(expected));
      expect(doc, expected).toBeDefined();
      expect(line(doc!)).toBe(expected);
    }
  });

  it('merged over our specs, the server wins and its extra commands appear', async () => {
    const table = CommandTable.fromSpecs();
    table.addCommandDocs(await client.call('COMMAND', 'DOCS'));
    expect(table.get('sort')).toBeDefined();
    expect(table.get('xinfo stream')).toBeDefined();
    expect(table.groups()).toEqual(expect.arrayContaining(['geo', 'scripting', 'stream']));
  });
});
