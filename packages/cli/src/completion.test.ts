import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CommandTable, type ArgDoc } from './docs.js';
import { completeLine, hintFor, MAX_WORDS, scanLine } from './completion.js';
import { splitArgs } from './split-args.js';

const table = CommandTable.fromSpecs();
const candidates = (line: string, cursor?: number): string[] => completeLine(table, line, cursor).candidates;

const SET_OPTIONS = '[NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]';

// SORT (not a nodis command yet) for GET's repeated token and BY/LIMIT; a container of our own.
const withSort = CommandTable.fromSpecs();
const sortArgs: ArgDoc[] = [
  { name: 'key', type: 'key' },
  { name: 'pattern', type: 'pattern', token: 'BY', optional: true },
  { name: 'limit', type: 'block', token: 'LIMIT', optional: true, arguments: [{ name: 'offset', type: 'integer' }, { name: 'count', type: 'integer' }] },
  { name: 'pattern', type: 'pattern', token: 'GET', optional: true, multiple: true, multipleToken: true },
  { name: 'order', type: 'oneof', optional: true, arguments: [{ name: 'asc', type: 'pure-token', token: 'ASC' }, { name: 'desc', type: 'pure-token', token: 'DESC' }] },
  { name: 'sorting', type: 'pure-token', token: 'ALPHA', optional: true },
  { name: 'destination', type: 'key', token: 'STORE', optional: true },
];
withSort.put({ name: 'SORT', summary: 's', since: '1.0.0', group: 'generic', arguments: sortArgs, subcommands: [] });
// MIGRATE's required oneof with an empty token (`key|""`) and KEYS key [key ...].
withSort.put({
  name: 'MIGRATE', summary: 'm', since: '2.6.0', group: 'generic', subcommands: [], arguments: [
    { name: 'host', type: 'string' }, { name: 'port', type: 'integer' },
    { name: 'key-selector', type: 'oneof', arguments: [{ name: 'key', type: 'key' }, { name: 'empty_string', type: 'pure-token', token: '' }] },
    { name: 'destination-db', type: 'integer' }, { name: 'timeout', type: 'integer' },
    { name: 'copy', type: 'pure-token', token: 'COPY', optional: true },
    { name: 'key', type: 'key', token: 'KEYS', optional: true, multiple: true },
  ],
});

describe('scanLine', () => {
  it('splits words with positions, as redis-cli quotes them', () => {
    const s = scanLine(`set "a b" 'it\\'s' x"y z" "\\x41\\n"`);
    expect(s.words.map((w) => w.value)).toEqual(['set', 'a b', "it's", 'xy z', 'A\n']);
    expect(s.words.map((w) => [w.start, w.end])).toEqual([[0, 3], [4, 9], [10, 17], [18, 24], [25, 33]]);
    expect(s.words.map((w) => w.quoted)).toEqual([false, true, true, true, true]);
    expect(s).toMatchObject({ lastWordOpen: true, invalid: false, overflow: false });
  });

  it('treats every isspace char as a separator and knows whether the line ends in a word', () => {
    expect(scanLine(' a\tb\r\nc\v\fd ').words.map((w) => w.value)).toEqual(['a', 'b', 'c', 'd']);
    expect(scanLine('a b ').lastWordOpen).toBe(false);
    expect(scanLine('a b').lastWordOpen).toBe(true);
    expect(scanLine('').words).toEqual([]);
  });

  it('tolerates unbalanced quotes: the rest of the line is the open last word', () => {
    for (const line of ['set "a b', "set 'a b", 'set "a\\"', "set 'a\\'", 'set "', 'set "\\']) {
      const s = scanLine(line);
      expect(s.invalid).toBe(false);
      expect(s.lastWordOpen).toBe(true);
      expect(s.words).toHaveLength(2);
      expect(s.words[1]!.end).toBe(line.length);
    }
    expect(scanLine('set "a b').words[1]!.value).toBe('a b');
  });

  it('flags a closing quote glued to more text, as redis-cli refuses it', () => {
    expect(scanLine('get "a"b').invalid).toBe(true);
    expect(scanLine("get 'a'b c").invalid).toBe(true);
  });

  it('stops after maxWords words and does not read long words', () => {
    expect(scanLine('a b c d', 3).overflow).toBe(true);
    expect(scanLine('a b c', 3).overflow).toBe(false);
    const long = scanLine(`set ${'x'.repeat(100)}`);
    expect(long.words[1]).toMatchObject({ start: 4, end: 104, value: undefined });
  });

  it('agrees with the REPL\'s splitter on every line that splitter accepts', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom('a', 'B', ' ', '\t', '"', "'", '\\', 'x', '4', 'f', 'n'), { maxLength: 24 }), (chars) => {
      const line = chars.join('');
      const words = splitArgs(line);
      const s = scanLine(line);
      if (words === null) {
        // Refused lines: an unclosed quote (open last word) or a glued closing quote.
        expect(s.invalid || (s.lastWordOpen && s.words.at(-1)!.quoted)).toBe(true);
      } else {
        expect(s.invalid).toBe(false);
        expect(s.words.map((w) => w.value)).toEqual(words);
      }
    }), { numRuns: 2000 });
  });
});

describe('completeLine', () => {
  it('completes command names in the case typed', () => {
    expect(completeLine(table, 'hs')).toEqual({ start: 0, candidates: ['hscan', 'hset', 'hsetnx', 'hstrlen'] });
    expect(candidates('HS')).toEqual(['HSCAN', 'HSET', 'HSETNX', 'HSTRLEN']);
    expect(candidates('  hse')).toEqual(['hset', 'hsetnx']);
    expect(completeLine(table, '  hse').start).toBe(2);
    expect(candidates('')).toContain('SET');
    expect(candidates('nosuchprefix')).toEqual([]);
  });

  it('completes subcommands', () => {
    expect(completeLine(table, 'config g')).toEqual({ start: 7, candidates: ['get'] });
    expect(candidates('CONFIG ')).toEqual(['GET', 'HELP', 'RESETSTAT', 'REWRITE', 'SET']);
    const client = candidates('client ');
    expect(client).toEqual(table.get('client')!.subcommands.map((s) => s.name.slice(7).toLowerCase()));
    expect(client).toContain('kill');
    expect(candidates('config nosuch ')).toEqual([]);
  });

  it('offers the tokens of the argument position', () => {
    expect(completeLine(table, 'set k v ')).toEqual({ start: 8, candidates: ['ex', 'exat', 'get', 'keepttl', 'nx', 'px', 'pxat', 'xx'] });
    expect(candidates('SET k v ')).toEqual(['EX', 'EXAT', 'GET', 'KEEPTTL', 'NX', 'PX', 'PXAT', 'XX']);
    expect(completeLine(table, 'set k v e')).toEqual({ start: 8, candidates: ['ex', 'exat'] });
    expect(candidates('set k v E')).toEqual(['EX', 'EXAT']);
    expect(candidates('set k v nx ')).toEqual(['ex', 'exat', 'get', 'keepttl', 'px', 'pxat']);
    expect(candidates('set k v NX get ')).toEqual(['ex', 'exat', 'keepttl', 'px', 'pxat']);
    expect(candidates('set k v ex 10 ')).toEqual(['get', 'nx', 'xx']);
    expect(candidates('zadd z ')).toEqual(['ch', 'gt', 'incr', 'lt', 'nx', 'xx']);
    expect(candidates('zadd z nx 1 m ')).toEqual([]);
  });

  it('offers nothing where a key or a value is expected', () => {
    expect(candidates('set k v ex ')).toEqual([]);
    expect(candidates('set ')).toEqual([]);
    expect(candidates('set k')).toEqual([]);
    expect(candidates('get k ')).toEqual([]); // nothing may follow
    expect(candidates('set k v nx xx ')).toEqual([]); // does not fit the syntax
    expect(candidates('nosuch a ')).toEqual([]);
  });

  it('handles repeated tokens and blocks', () => {
    expect(completeLine(withSort, 'sort k get a ').candidates).toEqual(['alpha', 'asc', 'by', 'desc', 'get', 'limit', 'store']);
    expect(completeLine(withSort, 'sort k limit ').candidates).toEqual([]);
    expect(completeLine(withSort, 'sort k limit 0 10 ').candidates).toEqual(['alpha', 'asc', 'by', 'desc', 'get', 'store']);
    expect(completeLine(withSort, 'migrate h 1 ').candidates).toEqual([]); // '' (MIGRATE's empty token) is no candidate
    expect(completeLine(withSort, 'migrate h 1 "" 0 0 ').candidates).toEqual(['copy', 'keys']);
  });

  it('after help, offers groups and command names, then subcommands', () => {
    const help = candidates('help ');
    expect(help).toContain('@hash');
    expect(help).toContain('hset');
    expect(help).toEqual([...help].sort());
    expect(candidates('help @h')).toEqual(['@hash', '@hyperloglog']);
    expect(candidates('? @h')).toEqual(['@hash', '@hyperloglog']); // redis-cli's other name for help
    expect(candidates('help HS')).toEqual(['HSCAN', 'HSET', 'HSETNX', 'HSTRLEN']);
    expect(candidates('HELP hs')).toEqual(['hscan', 'hset', 'hsetnx', 'hstrlen']);
    expect(candidates('help config ')).toEqual(['get', 'help', 'resetstat', 'rewrite', 'set']);
    expect(candidates('help set ')).toEqual([]);
  });

  it('counts a quoted word as one word and never completes inside quotes', () => {
    expect(candidates('set "a b" v ')).toEqual(candidates('set k v '));
    expect(candidates("set 'a b' \"v w\" n")).toEqual(['nx']);
    expect(completeLine(table, 'set "a b')).toEqual({ start: 8, candidates: [] });
    expect(candidates('set "a"b ')).toEqual([]);
    expect(() => completeLine(table, 'set "a \\')).not.toThrow();
  });

  it('completes the word before the cursor', () => {
    expect(completeLine(table, 'hs foo', 2)).toEqual({ start: 0, candidates: ['hscan', 'hset', 'hsetnx', 'hstrlen'] });
    expect(completeLine(table, 'set k v e tail', 9)).toEqual({ start: 8, candidates: ['ex', 'exat'] });
    expect(completeLine(table, 'hs', 99).start).toBe(0);
  });

  it('returns sorted candidates without duplicates', () => {
    for (const line of ['', 'h', 'help ', 'client ', 'set k v ', 'zadd z ', 'help @', 'bitfield k ']) {
      const c = candidates(line);
      expect(c).toEqual([...new Set(c)].sort());
    }
  });
});

describe('hintFor', () => {
  it('shows the whole syntax once the command name is typed, with a space if none was typed', () => {
    expect(hintFor(table, 'set')).toBe(` key value ${SET_OPTIONS}`);
    expect(hintFor(table, 'set ')).toBe(`key value ${SET_OPTIONS}`);
    expect(hintFor(table, 'SET  ')).toBe(`key value ${SET_OPTIONS}`);
    expect(hintFor(table, 'ping')).toBe(' [message]');
  });

  it('shows what remains after the words typed', () => {
    expect(hintFor(table, 'set foo bar')).toBe(` ${SET_OPTIONS}`);
    expect(hintFor(table, 'set foo bar ')).toBe(SET_OPTIONS);
    expect(hintFor(table, 'set foo')).toBe(` value ${SET_OPTIONS}`);
    expect(hintFor(table, 'set foo bar nx')).toBe(' [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]');
    expect(hintFor(table, 'set foo bar get NX ')).toBe('[EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]');
    expect(hintFor(table, 'set k v ex')).toBe(' seconds [NX|XX] [GET]');
    expect(hintFor(table, 'set k v ex 10 ')).toBe('[NX|XX] [GET]');
    expect(hintFor(table, 'set k v ex 10 nx get keepttl')).toBe('');
  });

  it('shows repeats as [... ...]', () => {
    expect(hintFor(table, 'hset h f v')).toBe(' [field value ...]');
    expect(hintFor(table, 'hset h f')).toBe(' value [field value ...]');
    expect(hintFor(table, 'hset h f v f2 v2 ')).toBe('[field value ...]');
    expect(hintFor(table, 'del a')).toBe(' [key ...]');
    expect(hintFor(table, 'blpop a b ')).toBe('[key ...] timeout');
    expect(hintFor(withSort, 'sort k get a')).toBe(' [GET pattern ...] [BY pattern] [LIMIT offset count] [ASC|DESC] [ALPHA] [STORE destination]');
    expect(hintFor(withSort, 'sort k get')).toBe(' pattern [GET pattern ...] [BY pattern] [LIMIT offset count] [ASC|DESC] [ALPHA] [STORE destination]');
    expect(hintFor(withSort, 'migrate h 1 "" 0 0 keys a')).toBe(' [key ...] [COPY]');
  });

  it('follows optional blocks and options in any order', () => {
    expect(hintFor(table, 'bitcount k 0')).toBe(' end [BYTE|BIT]');
    expect(hintFor(table, 'bitcount k 0 5 ')).toBe('[BYTE|BIT]');
    expect(hintFor(table, 'zadd z ')).toBe('[NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]');
    expect(hintFor(table, 'zadd z ch nx ')).toBe('[GT|LT] [INCR] score member [score member ...]');
    expect(hintFor(table, 'zadd z 1 m')).toBe(' [score member ...]');
  });

  it('shows subcommands for a container, then the subcommand\'s syntax', () => {
    expect(hintFor(table, 'config')).toBe(' GET|HELP|RESETSTAT|REWRITE|SET');
    expect(hintFor(table, 'config ')).toBe('GET|HELP|RESETSTAT|REWRITE|SET');
    expect(hintFor(table, 'config get ')).toBe('parameter [parameter ...]');
    expect(hintFor(table, 'CONFIG GET')).toBe(' parameter [parameter ...]');
    expect(hintFor(table, 'config get a b')).toBe(' [parameter ...]');
    expect(hintFor(table, 'config resetstat ')).toBe('');
  });

  it('is empty for unknown commands, partial names, help, lines off the syntax', () => {
    for (const line of ['', '   ', 'se', 'nosuch ', 'config g', 'config nosuch ', 'config|get ', 'help set', 'help ',
      'get k extra', 'set k v nx xx', 'set k v e', 'get "a"b ']) {
      expect(hintFor(table, line), line).toBe('');
    }
  });

  it('counts quoted words as one and treats an unclosed quote as a word being typed', () => {
    expect(hintFor(table, 'set "a b" "c d" ')).toBe(SET_OPTIONS);
    expect(hintFor(table, 'set "a b')).toBe(` value ${SET_OPTIONS}`);
    expect(hintFor(table, "set 'it\\'s' v nx ")).toBe('[GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]');
  });
});

describe('huge lines', () => {
  // Built once: the VM is slow at touching fresh memory.
  const big = 'x'.repeat(10 << 20);

  it('a 10 MB value: hint and completion still come from the words around it', () => {
    expect(hintFor(table, `set k ${big}`)).toBe(` ${SET_OPTIONS}`);
    expect(hintFor(table, `set k "${big}" `)).toBe(SET_OPTIONS);
    expect(hintFor(table, `set k '${big}`)).toBe(` ${SET_OPTIONS}`);
    expect(completeLine(table, `set k ${big} `).candidates).toContain('nx');
    expect(completeLine(table, `set k ${big} n`).candidates).toEqual(['nx']);
    expect(completeLine(table, `set k ${big}`).candidates).toEqual([]);
    expect(completeLine(table, `hs ${big}`, 2).candidates).toEqual(['hscan', 'hset', 'hsetnx', 'hstrlen']);
    expect(hintFor(table, big)).toBe('');
  });

  it('10 MB of words or escapes: bounded, no hint past MAX_WORDS', () => {
    const words = `rpush l ${'a '.repeat(5 << 20)}`;
    expect(hintFor(table, words)).toBe('');
    expect(completeLine(table, words).candidates).toEqual([]);
    const fewer = `rpush l ${'a '.repeat(MAX_WORDS - 3)}`;
    expect(hintFor(table, fewer)).toBe('[element ...]');
    const escapes = `set k "${'\\"'.repeat(5 << 20)}" `;
    expect(hintFor(table, escapes)).toBe(SET_OPTIONS);
    expect(hintFor(table, `set k v${' '.repeat(10 << 20)}`)).toBe(SET_OPTIONS);
    expect(hintFor(table, `mset ${'"a" '.repeat(3 << 20)}`)).toBe('');
  });
});
