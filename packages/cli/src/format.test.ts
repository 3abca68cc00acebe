import { describe, expect, it } from 'vitest';
import {
  ReplyDouble, ReplyError, ReplyMap, ReplyPush, ReplySet, ReplyVerbatim, SimpleString, type Reply,
} from '@nodis/protocol';
import type { OutputMode } from './options.js';
import { forcesRawOutput, formatCommandReply, formatReply, type FormatOptions } from './format.js';

/*
 * Every expected string below was printed by the real redis-cli 7.0.15 (against redis-server
 * 7.0.15 with enable-debug-command, for DEBUG PROTOCOL's RESP3 types), captured with `od -c`:
 *   redis-cli -p P [-3] [--no-raw | --raw | --csv | --json | --quoted-json] [-d , -D '|'] CMD
 * `--no-raw` is the terminal format ('standard'); without a flag and with stdout a pipe, raw.
 * The exceptions, where redis-cli 7.0 has no format, say so.
 */

const at = (mode: OutputMode, extra: Partial<FormatOptions> = {}): FormatOptions => ({ mode, bulkDelimiter: '\n', replyDelimiter: '\n', ...extra });
const fmt = (reply: Reply, mode: OutputMode, extra: Partial<FormatOptions> = {}): string => formatReply(reply, at(mode, extra));

const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
/** SET ctl with these bytes; GET ctl. */
const CONTROL = '\x01\x07\x08\x0c\x0b\x1f "\\/\x7f\x80<>&\'';
/** SET bin with printf 'h\xe9\x00\n\r\t'. */
const BIN = 'h\xe9\x00\n\r\t';
/** SET u café (UTF-8 from the terminal: bytes). */
const CAFE = 'caf\xc3\xa9';

/** DEBUG PROTOCOL's replies (RESP3). */
const D = {
  array: [0, 1, 2] as Reply,
  set: new ReplySet([0, 1, 2]),
  map: new ReplyMap([[0, false], [1, true], [2, false]]),
  push: new ReplyPush(['server-cpu-usage', 42]),
  verbatim: new ReplyVerbatim('txt', 'This is a verbatim\nstring'),
  double: new ReplyDouble(3.141),
};

/** HELLO 3 (RESP3), with its id fixed. */
const HELLO = new ReplyMap([
  ['server', 'redis'], ['version', '7.0.15'], ['proto', 3], ['id', 114], ['mode', 'standalone'], ['role', 'master'], ['modules', []],
]);

/** ZRANGE z 0 -1 WITHSCORES in RESP3 (z: a 1.5, b 2). */
const ZRANGE3: Reply = [['a', new ReplyDouble(1.5)], ['b', new ReplyDouble(2)]];

/** SCAN 0 (RESP2). */
const SCAN: Reply = ['0', ['bin', 'u', 's', 'n', 'h', 'one', 'z', 'l', 'num']];

const s = (v: string): SimpleString => new SimpleString(v);

/** COMMAND INFO get in RESP2. */
const COMMAND_INFO_GET_2: Reply = [[
  'get', 2, [s('readonly'), s('fast')], 1, 1, 1, [s('@read'), s('@string'), s('@fast')], [],
  [['flags', [s('RO'), s('access')], 'begin_search', ['type', 'index', 'spec', ['index', 1]],
    'find_keys', ['type', 'range', 'spec', ['lastkey', 0, 'keystep', 1, 'limit', 0]]]],
  [],
]];

/** COMMAND INFO get in RESP3: sets and maps, maps nested in map values. */
const COMMAND_INFO_GET_3: Reply = [[
  'get', 2, new ReplySet([s('readonly'), s('fast')]), 1, 1, 1, new ReplySet([s('@read'), s('@string'), s('@fast')]), new ReplySet([]),
  new ReplySet([new ReplyMap([
    ['flags', new ReplySet([s('RO'), s('access')])],
    ['begin_search', new ReplyMap([['type', 'index'], ['spec', new ReplyMap([['index', 1]])]])],
    ['find_keys', new ReplyMap([['type', 'range'], ['spec', new ReplyMap([['lastkey', 0], ['keystep', 1], ['limit', 0]])]])],
  ])]),
  new ReplySet([]),
]];

/** OBJECT HELP: 15 lines, so the indexes are two wide. */
const OBJECT_HELP: Reply = [
  'OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:', 'ENCODING <key>',
  '    Return the kind of internal representation used in order to store the value', '    associated with a <key>.',
  'FREQ <key>', '    Return the access frequency index of the <key>. The returned integer is',
  '    proportional to the logarithm of the recent access frequency of the key.', 'IDLETIME <key>',
  '    Return the idle time of the <key>, that is the approximated number of', '    seconds elapsed since the last access to the key.',
  'REFCOUNT <key>', '    Return the number of references of the value associated with the specified', '    <key>.',
  'HELP', '    Prints this help.',
].map(s);

describe('standard (redis-cli --no-raw, the terminal format)', () => {
  it.each<[string, Reply, string]>([
    ['nil', null, '(nil)\n'],
    ['a bulk string, quoted', 'a"b', '"a\\"b"\n'],
    ['binary bytes', BIN, '"h\\xe9\\x00\\n\\r\\t"\n'],
    ['UTF-8 bytes', CAFE, '"caf\\xc3\\xa9"\n'],
    ['control bytes and 0x7f+', CONTROL, '"\\x01\\a\\b\\x0c\\x0b\\x1f \\"\\\\/\\x7f\\x80<>&\'"\n'],
    ['a bulk string as a Uint8Array (native transport)', new Uint8Array(Buffer.from(BIN, 'latin1')), '"h\\xe9\\x00\\n\\r\\t"\n'],
    ['an integer', 2, '(integer) 2\n'],
    ['a negative integer', -7, '(integer) -7\n'],
    ['an int64 beyond 2^53', 9223372036854775807n, '(integer) 9223372036854775807\n'],
    ['a status', s('PONG'), 'PONG\n'],
    ['an error', new ReplyError(WRONGTYPE), `(error) ${WRONGTYPE}\n`],
    ['an error with a trailing space', new ReplyError("ERR unknown command 'foo', with args beginning with: "), "(error) ERR unknown command 'foo', with args beginning with: \n"],
    ['an empty array', [], '(empty array)\n'],
    ['an empty set (SMEMBERS none, -3)', new ReplySet([]), '(empty set)\n'],
    ['an empty map (HGETALL none, -3)', new ReplyMap([]), '(empty hash)\n'],
    ['an array (LRANGE)', ['a', 'b', 'c'], '1) "a"\n2) "b"\n3) "c"\n'],
    ['one element (SMEMBERS one)', ['x'], '1) "x"\n'],
    ['nested arrays (SCAN)', SCAN, '1) "0"\n2) 1) "bin"\n   2) "u"\n   3) "s"\n   4) "n"\n   5) "h"\n   6) "one"\n   7) "z"\n   8) "l"\n   9) "num"\n'],
    ['a double', D.double, '(double) 3.141\n'],
    ['true', true, '(true)\n'],
    ['false', false, '(false)\n'],
    ['verbatim, unquoted', D.verbatim, 'This is a verbatim\nstring\n'],
    ['DEBUG PROTOCOL array', D.array, '1) (integer) 0\n2) (integer) 1\n3) (integer) 2\n'],
    ['DEBUG PROTOCOL set', D.set, '1~ (integer) 0\n2~ (integer) 1\n3~ (integer) 2\n'],
    ['DEBUG PROTOCOL map', D.map, '1# (integer) 0 => (false)\n2# (integer) 1 => (true)\n3# (integer) 2 => (false)\n'],
    ['a push (--show-pushes yes), like an array', D.push, '1) "server-cpu-usage"\n2) (integer) 42\n'],
    ['HELLO 3', HELLO, '1# "server" => "redis"\n2# "version" => "7.0.15"\n3# "proto" => (integer) 3\n4# "id" => (integer) 114\n5# "mode" => "standalone"\n6# "role" => "master"\n7# "modules" => (empty array)\n'],
    ['ZRANGE WITHSCORES (-3)', ZRANGE3, '1) 1) "a"\n   2) (double) 1.5\n2) 1) "b"\n   2) (double) 2\n'],
    ['CONFIG GET (-3)', new ReplyMap([['maxmemory', '0']]), '1# "maxmemory" => "0"\n'],
    // Not redis-cli's: 7.0 exits with "Unknown reply type: 13" on a big number.
    ['a big number (nodis)', 1234n, '(big number) 1234\n'],
    ['an empty push (nodis)', new ReplyPush([]), '(empty push)\n'],
  ])('%s', (_, reply, expected) => {
    expect(fmt(reply, 'standard')).toBe(expected);
  });

  it('pads indexes to the widest (OBJECT HELP)', () => {
    const out = fmt(OBJECT_HELP, 'standard');
    expect(out.startsWith(' 1) OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\n 2) ENCODING <key>\n')).toBe(true);
    expect(out.endsWith('14) HELP\n15)     Prints this help.\n')).toBe(true);
  });

  it('indents nested arrays by the width of each level (COMMAND INFO get, RESP2)', () => {
    expect(fmt(COMMAND_INFO_GET_2, 'standard')).toBe([
      '1)  1) "get"', '    2) (integer) 2', '    3) 1) readonly', '       2) fast', '    4) (integer) 1', '    5) (integer) 1',
      '    6) (integer) 1', '    7) 1) @read', '       2) @string', '       3) @fast', '    8) (empty array)',
      '    9) 1) 1) "flags"', '          2) 1) RO', '             2) access', '          3) "begin_search"',
      '          4) 1) "type"', '             2) "index"', '             3) "spec"', '             4) 1) "index"',
      '                2) (integer) 1', '          5) "find_keys"', '          6) 1) "type"', '             2) "range"',
      '             3) "spec"', '             4) 1) "lastkey"', '                2) (integer) 0', '                3) "keystep"',
      '                4) (integer) 1', '                5) "limit"', '                6) (integer) 0', '   10) (empty array)', '',
    ].join('\n'));
  });

  it('starts a map value of two or more elements on a new line, one element inline (COMMAND INFO get, RESP3)', () => {
    expect(fmt(COMMAND_INFO_GET_3, 'standard')).toBe([
      '1)  1) "get"', '    2) (integer) 2', '    3) 1~ readonly', '       2~ fast', '    4) (integer) 1', '    5) (integer) 1',
      '    6) (integer) 1', '    7) 1~ @read', '       2~ @string', '       3~ @fast', '    8) (empty set)',
      '    9) 1~ 1# "flags" => ', '             1~ RO', '             2~ access', '          2# "begin_search" => ',
      '             1# "type" => "index"', '             2# "spec" => 1# "index" => (integer) 1', '          3# "find_keys" => ',
      '             1# "type" => "range"', '             2# "spec" => ', '                1# "lastkey" => (integer) 0',
      '                2# "keystep" => (integer) 1', '                3# "limit" => (integer) 0', '   10) (empty set)', '',
    ].join('\n'));
  });

  it('status and error texts from the native protocol (UTF-8 decoded) print as their bytes', () => {
    expect(fmt(new ReplyError("ERR unknown command 'café'"), 'standard', { textIsUtf8: true })).toBe(`(error) ERR unknown command '${CAFE}'\n`);
    expect(fmt(s('é'), 'standard', { textIsUtf8: true })).toBe('\xc3\xa9\n');
    // Over RESP the same text is bytes already.
    expect(fmt(s('\xe9'), 'standard')).toBe('\xe9\n');
  });
});

describe('raw (redis-cli without a flag, stdout not a terminal)', () => {
  it.each<[string, Reply, string]>([
    ['nil', null, '\n'],
    ['bytes, as they are', BIN, `${BIN}\n`],
    ['control bytes', CONTROL, `${CONTROL}\n`],
    ['an integer', 1, '1\n'],
    ['a status', s('OK'), 'OK\n'],
    ['an error: its text and a newline', new ReplyError(WRONGTYPE), `${WRONGTYPE}\n\n`],
    ['an empty array', [], '\n'],
    ['an array', ['a', 'b', 'c'], 'a\nb\nc\n'],
    ['nested arrays are flattened', SCAN, '0\nbin\nu\ns\nn\nh\none\nz\nl\nnum\n'],
    ['a double', D.double, '3.141\n'],
    ['true', true, '(true)\n'],
    ['false', false, '(false)\n'],
    ['verbatim', D.verbatim, 'This is a verbatim\nstring\n'],
    ['a set', D.set, '0\n1\n2\n'],
    ['a map: key space value', D.map, '0 (false)\n1 (true)\n2 (false)\n'],
    ['HELLO 3', HELLO, 'server redis\nversion 7.0.15\nproto 3\nid 114\nmode standalone\nrole master\nmodules \n'],
    ['ZRANGE WITHSCORES (-3)', ZRANGE3, 'a\n1.5\nb\n2\n'],
    ['a push', D.push, 'server-cpu-usage\n42\n'],
  ])('%s', (_, reply, expected) => {
    expect(fmt(reply, 'raw')).toBe(expected);
  });

  it('uses -d between elements and -D after the reply, as written (redis-cli 7.0 does not unescape them)', () => {
    const o = { bulkDelimiter: ',', replyDelimiter: '|' };
    expect(fmt(['a', 'b', 'c'], 'raw', o)).toBe('a,b,c|');
    expect(fmt(new ReplyError(WRONGTYPE), 'raw', o)).toBe(`${WRONGTYPE}\n|`);
    expect(fmt(new ReplyMap([['f1', 'v1'], ['f2', 'v2']]), 'raw', o)).toBe('f1 v1,f2 v2|');
    expect(fmt(['a', 'b', 'c'], 'raw', { bulkDelimiter: '\\t', replyDelimiter: '\\x41' })).toBe('a\\tb\\tc\\x41');
  });
});

describe('csv', () => {
  it.each<[string, Reply, string]>([
    ['nil', null, 'NULL\n'],
    ['a string, quoted as standard', BIN, '"h\\xe9\\x00\\n\\r\\t"\n'],
    ['UTF-8', CAFE, '"caf\\xc3\\xa9"\n'],
    ['a status, quoted', s('OK'), '"OK"\n'],
    ['an integer', 12345, '12345\n'],
    ['an error', new ReplyError(WRONGTYPE), `ERROR,"${WRONGTYPE}"\n`],
    ['an error with bytes to quote', new ReplyError('ERR a"b\x01\xe9\\'), 'ERROR,"ERR a\\"b\\x01\\xe9\\\\"\n'],
    ['an empty array', [], '\n'],
    ['an array', D.array, '0,1,2\n'],
    ['nested arrays are flattened', ['26', ['bin', 'a\x00b']], '"26","bin","a\\x00b"\n'],
    ['a map, flattened', D.map, '0,false,1,true,2,false\n'],
    ['HELLO 3 (an empty array leaves an empty field)', HELLO, '"server","redis","version","7.0.15","proto",3,"id",114,"mode","standalone","role","master","modules",\n'],
    ['ZRANGE WITHSCORES (-3)', ZRANGE3, '"a",1.5,"b",2\n'],
    ['a double', D.double, '3.141\n'],
    ['true', true, 'true\n'],
    ['verbatim, quoted', D.verbatim, '"This is a verbatim\\nstring"\n'],
    ['a push', D.push, '"server-cpu-usage",42\n'],
  ])('%s', (_, reply, expected) => {
    expect(fmt(reply, 'csv')).toBe(expected);
  });
});

describe('json and quoted-json', () => {
  it.each<[string, Reply, string, string]>([
    ['nil', null, 'null\n', 'null\n'],
    ['a string', 'Hello World', '"Hello World"\n', '"Hello World"\n'],
    ['binary bytes', BIN, '"h\xe9\\u0000\\n\\r\\t"\n', '"h\\\\xe9\\\\x00\\\\n\\\\r\\\\t"\n'],
    ['UTF-8', CAFE, `"${CAFE}"\n`, '"caf\\\\xc3\\\\xa9"\n'],
    ['a quote', 'a"b', '"a\\"b"\n', '"a\\\\"b"\n'],
    ['control bytes', CONTROL, '"\\u0001\\u0007\\b\\f\\u000b\\u001f \\"\\\\/\x7f\x80<>&\'"\n',
      '"\\\\x01\\\\a\\\\b\\\\x0c\\\\x0b\\\\x1f \\\\"\\\\\\\\/\\\\x7f\\\\x80<>&\'"\n'],
    ['a status', s('OK'), '"OK"\n', '"OK"\n'],
    ['an integer', 12345, '12345\n', '12345\n'],
    ['an error', new ReplyError(WRONGTYPE), `error:"${WRONGTYPE}"\n`, `error:"${WRONGTYPE}"\n`],
    ['an error with bytes', new ReplyError("ERR 'a\"b\x01\xe9\\'"), 'error:"ERR \'a\\"b\\u0001\xe9\\\\\'"\n', 'error:"ERR \'a\\\\"b\\\\x01\\\\xe9\\\\\\\\\'"\n'],
    ['an empty array', [], '[]\n', '[]\n'],
    ['an empty set', new ReplySet([]), '[]\n', '[]\n'],
    ['an empty map', new ReplyMap([]), '{}\n', '{}\n'],
    ['an array', D.array, '[0,1,2]\n', '[0,1,2]\n'],
    ['a set', D.set, '[0,1,2]\n', '[0,1,2]\n'],
    ['a map with integer keys', D.map, '{"0":false,"1":true,"2":false}\n', '{"0":false,"1":true,"2":false}\n'],
    ['HELLO 3', HELLO, '{"server":"redis","version":"7.0.15","proto":3,"id":114,"mode":"standalone","role":"master","modules":[]}\n',
      '{"server":"redis","version":"7.0.15","proto":3,"id":114,"mode":"standalone","role":"master","modules":[]}\n'],
    ['ZRANGE WITHSCORES (-3)', ZRANGE3, '[["a",1.5],["b",2]]\n', '[["a",1.5],["b",2]]\n'],
    ['nested arrays (SCAN)', ['26', ['bin', 'a\x00b']], '["26",["bin","a\\u0000b"]]\n', '["26",["bin","a\\\\x00b"]]\n'],
    ['a double', D.double, '3.141\n', '3.141\n'],
    ['true', true, 'true\n', 'true\n'],
    ['false', false, 'false\n', 'false\n'],
    ['verbatim', D.verbatim, '"This is a verbatim\\nstring"\n', '"This is a verbatim\\\\nstring"\n'],
    ['a push', D.push, '["server-cpu-usage",42]\n', '["server-cpu-usage",42]\n'],
  ])('%s', (_, reply, json, quoted) => {
    expect(fmt(reply, 'json')).toBe(json);
    expect(fmt(reply, 'quoted-json')).toBe(quoted);
  });

  it('nests maps in maps (COMMAND DOCS get, -3)', () => {
    const docs = new ReplyMap([['get', new ReplyMap([
      ['summary', 'Get the value of a key'], ['since', '1.0.0'], ['group', 'string'], ['complexity', 'O(1)'],
      ['arguments', [new ReplyMap([['name', 'key'], ['type', 'key'], ['key_spec_index', 0]])]],
    ])]]);
    expect(fmt(docs, 'json')).toBe('{"get":{"summary":"Get the value of a key","since":"1.0.0","group":"string","complexity":"O(1)","arguments":[{"name":"key","type":"key","key_spec_index":0}]}}\n');
    expect(fmt(docs, 'csv')).toBe('"get","summary","Get the value of a key","since","1.0.0","group","string","complexity","O(1)","arguments","name","key","type","key","key_spec_index",0\n');
    expect(fmt(docs, 'standard')).toBe([
      '1# "get" => ', '   1# "summary" => "Get the value of a key"', '   2# "since" => "1.0.0"', '   3# "group" => "string"',
      '   4# "complexity" => "O(1)"', '   5# "arguments" => 1) 1# "name" => "key"', '         2# "type" => "key"',
      '         3# "key_spec_index" => (integer) 0', '',
    ].join('\n'));
  });
});

describe('commands printed raw whatever the mode', () => {
  it.each([
    [['INFO', 'server'], true], [['info'], true], [['lolwut'], true], [['client', 'list'], true], [['CLIENT', 'INFO'], true],
    [['memory', 'doctor'], true], [['latency', 'doctor'], true], [['latency', 'graph', 'command'], true], [['cluster', 'info'], true],
    [['client', 'getname'], false], [['config', 'get', 'x'], false], [['latency', 'doctor', 'x'], false], [['get', 'info'], false],
  ])('%j → %s', (argv, raw) => {
    expect(forcesRawOutput(argv as string[])).toBe(raw);
  });

  it('prints them raw, with no -D after them (INFO ends with its own CRLF)', () => {
    const info = '# Server\r\nredis_version:7.0.15\r\n';
    expect(formatCommandReply(['info', 'server'], info, at('standard'))).toBe(info);
    expect(formatCommandReply(['info', 'server'], info, at('json'))).toBe(info);
    expect(formatCommandReply(['info', 'server'], new ReplyVerbatim('txt', info), at('raw', { replyDelimiter: 'XX' }))).toBe(info);
    expect(formatCommandReply(['cluster', 'info'], new ReplyError('ERR This instance has cluster support disabled'), at('standard')))
      .toBe('ERR This instance has cluster support disabled\n');
    expect(formatCommandReply(['get', 'k'], 'v', at('standard'))).toBe('"v"\n');
  });
});

describe('big and deep replies', () => {
  it('formats a million elements in every mode (pieces joined once)', () => {
    const big = Array.from({ length: 1_000_000 }, (_, i) => String(i));
    const standard = fmt(big, 'standard');
    expect(standard.startsWith('      1) "0"\n      2) "1"\n')).toBe(true);
    expect(standard.endsWith('1000000) "999999"\n')).toBe(true);
    expect(fmt(big, 'raw').length).toBe(big.reduce((n, x) => n + x.length + 1, 0));
    expect(fmt(big, 'csv').endsWith(',"999999"\n')).toBe(true);
    expect(fmt(big, 'json').endsWith(',"999999"]\n')).toBe(true);
  });

  it('formats a reply nested 100 000 deep without recursion', () => {
    let deep: Reply = 'x';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(fmt(deep, 'raw')).toBe('x\n');
    expect(fmt(deep, 'csv')).toBe('"x"\n');
    const json = fmt(deep, 'json');
    expect(json.length).toBe(200_000 + 4);
    const standard = fmt(deep, 'standard');
    expect(standard.startsWith('1) 1) 1) ')).toBe(true);
    expect(standard.endsWith('1) "x"\n')).toBe(true);
    let map: Reply = 1;
    for (let i = 0; i < 2_000; i++) map = new ReplyMap([['k', map], ['j', null]]);
    expect(fmt(map, 'json').length).toBeGreaterThan(2_000 * 10);
    expect(fmt(map, 'standard').endsWith('2# "j" => (nil)\n')).toBe(true);
  });

  it('formats a 10 MB string with a few bytes to escape', () => {
    const value = `${'a'.repeat(10 * 1024 * 1024)}\n"`;
    expect(fmt(value, 'standard').length).toBe(value.length + 5); // quotes, \n, \", the newline
    expect(fmt(value, 'json').endsWith('a\\n\\""\n')).toBe(true);
  });
});
