import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type NodisServer } from '@nodis/server';
import { freePort, redisAvailable, startRedis, type RedisProcess } from './helpers/redis.js';
import { RespTestClient } from './helpers/resp-client.js';
import { CLI, nodisCli, redisCli, redisCliPath } from './helpers/cli.js';

/**
 * nodis-cli's one-shot modes against the real redis-cli 7.0.15, byte for byte: each command of
 * a table runs through `redis-cli` and through `node packages/cli/dist/bin.js` (build first)
 * against the SAME server, with the same data (the case's database is flushed and set up again
 * before each run), in the default mode (stdout is a pipe: raw), --no-raw, and for RESP3-shaped
 * replies -3 and -3 --no-raw; stdout must be identical. The servers: a real redis-server, and
 * nodis in this process. Then --json/--csv, exit codes against `redis-cli -e`, -x/-X, -r/-i,
 * --quoted-input, commands read from stdin, 10 MB values, an unreachable server, SUBSCRIBE, and
 * nodis's native socket (-u unix://…).
 *
 * nodis-cli exits 1 on an error reply where redis-cli exits 0 unless -e is given (the issue
 * asks for it): exit codes are compared with `redis-cli -e`'s.
 */


if (redisCliPath === undefined) {
  process.stderr.write('NOTE: redis-cli is not installed: nodis-cli is not compared with it, cli-oneshot tests are SKIPPED (apt-get install redis-tools)\n');
}


/** Bytes as a readable string for failure messages (latin1 keeps every byte). */
const show = (b: Buffer): string => JSON.stringify(b.toString('latin1'));

/** Bytes as one char per byte (what the servers and RespTestClient use). */
const latin1 = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');

interface Case {
  argv: string[];
  /** Commands that put the case's data in place (after FLUSHDB). */
  setup?: string[][];
  /** Also run with -3 --no-raw (where RESP3 prints otherwise: maps, sets, doubles, nesting). */
  resp3?: boolean;
  /** And with -3 in raw mode (where RESP3 raw differs: maps print `key value`; booleans). */
  resp3Raw?: boolean;
  /** The reply is an error: nodis-cli exits 1. */
  error?: boolean;
  /** Only on this server (the command exists on one only). */
  only?: 'redis' | 'nodis';
}

const BINARY = 'h\xe9\x00\n\r\t"\\\x7f\x80\xff end';
const UTF8 = latin1('café ✓ ünïcode');
const twelve = Array.from({ length: 12 }, (_, i) => `e${i}`);

const CASES: Case[] = [
  { argv: ['GET', 'missing'] },
  { argv: ['SET', 'k', 'v'] },
  { argv: ['GET', 'bin'], setup: [['SET', 'bin', BINARY]] },
  { argv: ['GET', 'utf'], setup: [['SET', 'utf', UTF8]] },
  { argv: ['GET', 'empty'], setup: [['SET', 'empty', '']] },
  { argv: ['ECHO', 'héllo wörld "quoted" back\\slash\nnewline'] },
  { argv: ['INCR', 'counter'], setup: [['SET', 'counter', '41']] },
  { argv: ['INCRBY', 'max', '1'], setup: [['SET', 'max', '9223372036854775806']] },
  { argv: ['DECRBY', 'n', '47'] },
  { argv: ['INCRBYFLOAT', 'f', '1.1'], setup: [['SET', 'f', '10.5']] },
  { argv: ['MGET', 's', 'missing', 'bin'], setup: [['SET', 's', 'x'], ['SET', 'bin', BINARY]] },
  { argv: ['LRANGE', 'list', '0', '-1'], setup: [['RPUSH', 'list', 'a', 'b', 'c']] },
  { argv: ['LRANGE', 'twelve', '0', '-1'], setup: [['RPUSH', 'twelve', ...twelve]] },
  { argv: ['LRANGE', 'missing', '0', '-1'] },
  { argv: ['LPOS', 'list', 'zz'], setup: [['RPUSH', 'list', 'a']] },
  { argv: ['HGETALL', 'hash'], setup: [['HSET', 'hash', 'f1', 'v1', 'f2', BINARY]], resp3: true, resp3Raw: true },
  { argv: ['HGETALL', 'missing'], resp3: true },
  { argv: ['HRANDFIELD', 'h1', '1', 'WITHVALUES'], setup: [['HSET', 'h1', 'f', 'v']], resp3: true },
  { argv: ['SMEMBERS', 'one'], setup: [['SADD', 'one', 'only']], resp3: true },
  { argv: ['SMEMBERS', 'ints'], setup: [['SADD', 'ints', '3', '1', '2']], resp3: true, resp3Raw: true },
  { argv: ['SMEMBERS', 'missing'], resp3: true },
  { argv: ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'], setup: [['ZADD', 'z', '1.5', 'a', '2', 'b', '-3.25', 'c']], resp3: true, resp3Raw: true },
  { argv: ['ZSCORE', 'z', 'a'], setup: [['ZADD', 'z', '1.1', 'a']], resp3: true },
  { argv: ['ZINCRBY', 'z', '1.1', 'a'], setup: [['ZADD', 'z', '1.5', 'a']], resp3: true },
  { argv: ['ZRANDMEMBER', 'z1', '1', 'WITHSCORES'], setup: [['ZADD', 'z1', '2.5', 'only']], resp3: true },
  { argv: ['SCAN', '0'], setup: [['SET', 'k1', '1'], ['SET', 'k2', '2']] },
  { argv: ['LMPOP', '1', 'list', 'LEFT'], setup: [['RPUSH', 'list', 'a', 'b']] },
  { argv: ['CONFIG', 'GET', 'maxmemory'], resp3: true, resp3Raw: true },
  { argv: ['OBJECT', 'HELP'] },
  { argv: ['COMMAND', 'INFO', 'get'], resp3: true },
  { argv: ['GET', 'list'], setup: [['RPUSH', 'list', 'a']], error: true },
  { argv: ['nosuchcommand', 'a', 'b c'], error: true },
  { argv: ['SET', 'a', 'b', 'c'], error: true },
  { argv: ['GET'], error: true },
  // RESP3 types no nodis command returns: Redis's DEBUG PROTOCOL (enabled on the test redis-server).
  { argv: ['DEBUG', 'PROTOCOL', 'map'], resp3: true, resp3Raw: true, only: 'redis' },
  { argv: ['DEBUG', 'PROTOCOL', 'true'], resp3: true, resp3Raw: true, only: 'redis' },
  { argv: ['DEBUG', 'PROTOCOL', 'verbatim'], resp3: true, only: 'redis' },
];

interface Target {
  name: 'redis' | 'nodis';
  port: number;
  /** Test clients, one per database in use. */
  clients: Map<number, RespTestClient>;
}

async function clientFor(t: Target, db: number): Promise<RespTestClient> {
  let c = t.clients.get(db);
  if (c === undefined) {
    c = await RespTestClient.connect(t.port);
    await c.call('SELECT', String(db));
    t.clients.set(db, c);
  }
  return c;
}

/** Empties database `db` and runs the setup commands there. */
async function reset(t: Target, db: number, setup: string[][] = []): Promise<void> {
  const c = await clientFor(t, db);
  const replies = await c.pipeline([['FLUSHDB'], ...setup]);
  for (const r of replies) if (r instanceof Error) throw r;
}

/** Runs `task` over the items, `width` at a time (the machine has 2 cores; each run is a process). */
async function inPool<T>(items: T[], width: number, task: (item: T, worker: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async (_, worker) => {
    while (next < items.length) await task(items[next++]!, worker);
  }));
}

/** Runs argv through both CLIs with the same data; the differences, described. */
async function compare(t: Target, db: number, flags: string[], c: Pick<Case, 'argv' | 'setup' | 'error'>, input?: Buffer): Promise<string[]> {
  const args = ['-p', String(t.port), '-n', String(db), ...flags, ...c.argv];
  await reset(t, db, c.setup);
  const r = await redisCli(args, input);
  await reset(t, db, c.setup);
  const n = await nodisCli(args, input);
  const what = `[${t.name}] ${flags.join(' ') || '(raw)'} ${c.argv.join(' ')}`;
  const problems: string[] = [];
  if (!r.stdout.equals(n.stdout)) problems.push(`${what}: redis-cli ${show(r.stdout)} vs nodis-cli ${show(n.stdout)}`);
  if (n.code !== (c.error === true ? 1 : 0)) problems.push(`${what}: nodis-cli exited ${n.code} (stderr ${n.stderr})`);
  if (r.code !== 0) problems.push(`${what}: redis-cli exited ${r.code} (stderr ${r.stderr})`);
  if (r.stdout.length === 0) problems.push(`${what}: redis-cli printed nothing`);
  return problems;
}

/** Polls until `check` holds, at most `ms`. */
async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A long-running CLI (SUBSCRIBE): its stdout so far, and a kill that waits for the exit. */
function startLong(file: string, args: string[]): { child: ChildProcess; out: () => Buffer; stop: () => Promise<void> } {
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  child.stdout!.on('data', (d: Buffer) => chunks.push(d));
  return {
    child,
    out: () => Buffer.concat(chunks),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

const targets: Target[] = [];
const nodisTarget = (): Target => targets.find((x) => x.name === 'nodis')!;
let redis: RedisProcess | undefined;
let nodis: NodisServer | undefined;
let dir = '';

describe.skipIf(redisCliPath === undefined)('nodis-cli one-shot output = redis-cli 7.0.15 output', () => {
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'nodis-cli-oneshot-'));
    nodis = await startServer({ config: { port: '0', unixsocket: '', nativesocket: 'native.sock', dir }, logLevel: 'nothing' });
    targets.push({ name: 'nodis', port: nodis.port, clients: new Map() });
    if (redisAvailable) {
      redis = await startRedis(['--enable-debug-command', 'yes']);
      targets.push({ name: 'redis', port: redis.port, clients: new Map() });
    } else {
      process.stderr.write('NOTE: redis-server is not installed: cli-oneshot compares the two CLIs against nodis only\n');
    }
  });

  afterAll(async () => {
    for (const t of targets) for (const c of t.clients.values()) c.close();
    await nodis?.close();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`has a table of at least 30 commands`, () => {
    expect(CASES.filter((c) => c.only === undefined).length).toBeGreaterThanOrEqual(30);
  });

  describe.each(['redis', 'nodis'] as const)('against %s', (name) => {
    const target = (): Target => {
      const t = targets.find((x) => x.name === name);
      if (t === undefined) throw new Error(`${name} is not running`);
      return t;
    };
    const skip = name === 'redis' && !redisAvailable;

    // The -3 variants run against redis-server (nodis's RESP3 through redis-cli is compared in
    // the native-socket test below), or against nodis where redis-server is absent: every run is
    // a process and the machine has 2 cores.
    const resp3Here = name === 'redis' || !redisAvailable;
    it.skipIf(skip)(`prints every reply of the table as redis-cli does: raw, --no-raw${resp3Here ? ', -3 --no-raw, -3' : ''}`, async () => {
      const t = target();
      const runs = CASES.filter((c) => c.only === undefined || c.only === name).flatMap((c) => [
        [], ['--no-raw'],
        ...(resp3Here && c.resp3 === true ? [['-3', '--no-raw']] : []),
        ...(resp3Here && c.resp3Raw === true ? [['-3']] : []),
      ].map((flags) => ({ c, flags })));
      const problems: string[] = [];
      await inPool(runs, 3, async ({ c, flags }, worker) => {
        problems.push(...await compare(t, worker + 1, flags, c));
      });
      expect(problems).toEqual([]);
    }, 120_000);

    it.skipIf(skip)('prints the messages of a one-shot SUBSCRIBE as redis-cli does, until killed', async () => {
      const t = target();
      for (const [i, flags] of [[], ['--no-raw'], ['-3', '--json']].entries()) {
        // Channels of their own per round: the last round's subscribers may still be leaving.
        const news = `news${i}`;
        const sport = `sport${i}`;
        const args = ['-p', String(t.port), ...flags, 'SUBSCRIBE', news, sport];
        const r = startLong(redisCliPath!, args);
        const n = startLong(process.execPath, [CLI, ...args]);
        try {
          const c = await clientFor(t, 0);
          // Both are subscribed once they printed the second confirmation.
          await until(() => r.out().includes(sport) && n.out().includes(sport), 10_000, 'both subscribed');
          expect(await c.call('PUBLISH', news, 'hello "world"')).toBe(2);
          expect(await c.call('PUBLISH', sport, latin1('goal ⚽'))).toBe(2);
          await until(() => r.out().includes('goal') && n.out().includes('goal'), 10_000, 'message printed');
          expect(show(n.out())).toBe(show(r.out()));
        } finally {
          await Promise.all([r.stop(), n.stop()]);
        }
      }
    }, 60_000);
  });

  // The options and modes below are the CLI's own: run against nodis (always there), once.
  describe('options and modes, against nodis', () => {
    it('--json, --quoted-json and --csv, and -d/-D in raw mode', async () => {
      const t = nodisTarget();
      const find = (name: string, key?: string): Case => CASES.find((c) => c.argv[0] === name && (key === undefined || c.argv[1] === key))!;
      const runs = [
        ...[find('HGETALL', 'hash'), find('GET', 'bin')].flatMap((c) => [['--json'], ['--quoted-json'], ['--csv']].map((flags) => ({ c, flags }))),
        { c: find('ZRANGE'), flags: ['--json'] },
        { c: find('GET', 'list'), flags: ['--json'] },
        { c: find('GET', 'list'), flags: ['--csv'] },
        { c: find('COMMAND'), flags: ['--json'] },
        { c: find('HGETALL', 'hash'), flags: ['-2', '--json'] },
        { c: find('MGET'), flags: ['-3', '--json'] },
        { c: find('SMEMBERS', 'ints'), flags: ['-3', '--csv'] },
        { c: find('LRANGE', 'list'), flags: ['-d', ',', '-D', '|'] },
        { c: find('HGETALL', 'hash'), flags: ['-3', '-d', '\\t', '-D', '\\n--'] },
      ];
      const problems: string[] = [];
      await inPool(runs, 3, async ({ c, flags }, worker) => {
        problems.push(...await compare(t, worker + 1, flags, c));
      });
      expect(problems).toEqual([]);
    }, 60_000);

    it('exits as redis-cli -e does; with -e prints the error alone on stderr and stops repeating', async () => {
      const t = nodisTarget();
      const cases = [['GET', 'list'], ['nosuchcommand'], ['LRANGE', 'list', '0', '-1'], ['PING']];
      const problems: string[] = [];
      await inPool(cases, 3, async (argv, worker) => {
        const args = ['-p', String(t.port), '-n', String(worker + 1), '-r', '2', '-e', ...argv];
        await reset(t, worker + 1, [['RPUSH', 'list', 'a']]);
        const r = await redisCli(args);
        const n = await nodisCli(args);
        const plain = await nodisCli(args.filter((a) => a !== '-e'));
        if (n.code !== r.code || !n.stdout.equals(r.stdout) || n.stderr !== r.stderr) {
          problems.push(`${argv.join(' ')} -e: redis-cli ${r.code} ${show(r.stdout)} ${JSON.stringify(r.stderr)} vs nodis-cli ${n.code} ${show(n.stdout)} ${JSON.stringify(n.stderr)}`);
        }
        if (plain.code !== r.code) problems.push(`${argv.join(' ')} without -e: nodis-cli exited ${plain.code}, redis-cli -e ${r.code}`);
      });
      expect(problems).toEqual([]);
    }, 60_000);

    it('-x and -X read an argument from stdin, every byte kept', async () => {
      const t = nodisTarget();
      const bytes = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from('café\n', 'utf8')]);
      const problems = [
        ...await compare(t, 1, ['-x'], { argv: ['SET', 'fromstdin'] }, bytes),
        ...await compare(t, 1, ['-X', 'TAG'], { argv: ['SET', 'TAG', 'TAG'] }, bytes),
        ...await compare(t, 1, ['-x', '--no-raw'], { argv: ['ECHO'] }, bytes),
      ];
      expect(problems).toEqual([]);
      await reset(t, 1);
      expect((await nodisCli(['-p', String(t.port), '-n', '1', '-x', 'SET', 'fromstdin'], bytes)).code).toBe(0);
      expect(await (await clientFor(t, 1)).call('GET', 'fromstdin')).toBe(bytes.toString('latin1'));
      // redis-cli's refusals, word for word.
      for (const args of [['-x', '-X', 'T', 'SET', 'k', 'T'], ['-X', 'NOTHERE', 'SET', 'k', 'v']]) {
        const r = await redisCli(['-p', String(t.port), ...args], 'v');
        const n = await nodisCli(['-p', String(t.port), ...args], 'v');
        expect([n.code, n.stderr, n.stdout.length]).toEqual([r.code, r.stderr, r.stdout.length]);
        expect(n.code).toBe(1);
      }
    });

    it('-r 3 -i 0.01 repeats the command', async () => {
      const t = nodisTarget();
      expect(await compare(t, 1, ['-r', '3', '-i', '0.01'], { argv: ['INCR', 'c'] })).toEqual([]);
      expect(await compare(t, 1, ['-r', '2', '--no-raw'], { argv: ['LPUSH', 'l', 'x'] })).toEqual([]);
      await reset(t, 1);
      expect((await nodisCli(['-p', String(t.port), '-n', '1', '-r', '3', '-i', '0.01', 'INCR', 'c'])).stdout.toString()).toBe('1\n2\n3\n');
    });

    it('--quoted-input parses each word as a quoted string', async () => {
      const t = nodisTarget();
      expect(await compare(t, 1, ['--quoted-input'], { argv: ['SET', '"a\\x00b"', '"c d\\n"'] })).toEqual([]);
      expect(await compare(t, 1, ['--quoted-input', '--no-raw'], { argv: ['ECHO', "'it\\'s'"], setup: [] })).toEqual([]);
      for (const bad of ['a b', '"a"b']) {
        const r = await redisCli(['-p', String(t.port), '--quoted-input', 'GET', bad]);
        const n = await nodisCli(['-p', String(t.port), '--quoted-input', 'GET', bad]);
        expect([n.code, n.stderr, show(n.stdout)]).toEqual([r.code, r.stderr, show(r.stdout)]);
        expect(n.stdout.toString()).toBe('Invalid quoted string\n');
      }
    });

    it('runs the lines of stdin as redis-cli does (quotes, a bad line, repeats, quit)', async () => {
      const t = nodisTarget();
      const lines = [
        'set a 1', 'get a', '', 'set "a b', 'rpush l x y', 'get l', '   ', 'lrange l 0 -1', 'incr a', 'get nokey',
        'set q "x\\ty\\x00"', 'get q', "set 'single' 'it\\'s'", 'get single', 'nosuch cmd', '2 incr a', '0 incr a', '3',
        'echo "caf\\xc3\\xa9"', 'set u café', 'get u', 'ping\r', 'QUIT', 'ping',
      ].join('\n');
      for (const flags of [[], ['--no-raw']]) {
        await reset(t, 1);
        const r = await redisCli(['-p', String(t.port), '-n', '1', ...flags], lines);
        await reset(t, 1);
        const n = await nodisCli(['-p', String(t.port), '-n', '1', ...flags], lines);
        expect(show(n.stdout)).toBe(show(r.stdout));
        expect(r.stdout.toString('latin1')).toContain('Invalid argument(s)\n');
        // Error replies make nodis-cli exit 1 (redis-cli: 0).
        expect([r.code, n.code]).toEqual([0, 1]);
      }
      // No error, no quit, no final newline: exit 0.
      await reset(t, 1);
      const ok = await nodisCli(['-p', String(t.port), '-n', '1'], 'set a 1\nget a');
      expect([ok.stdout.toString(), ok.code]).toEqual(['OK\n1\n', 0]);
    });

    it('takes a 10 MB value through -x and through a 10 MB stdin line', async () => {
      const t = nodisTarget();
      const size = 10 * 1024 * 1024;
      await reset(t, 1);
      const value = Buffer.alloc(size, 'v');
      const x = await nodisCli(['-p', String(t.port), '-n', '1', '-x', 'SET', 'big'], value);
      expect([x.stdout.toString(), x.code]).toEqual(['OK\n', 0]);
      const line = Buffer.concat([Buffer.from('set big2 '), value, Buffer.from('\nstrlen big2\nstrlen big\n')]);
      const l = await nodisCli(['-p', String(t.port), '-n', '1'], line);
      expect([l.stdout.toString(), l.code]).toEqual([`OK\n${size}\n${size}\n`, 0]);
    }, 60_000);
  });

  it('says it cannot reach the server in one line, as redis-cli does, and exits 1', async () => {
    const port = await freePort();
    for (const args of [['-p', String(port), 'PING'], ['-p', String(port), 'SUBSCRIBE', 'x'], ['-s', path.join(dir, 'none.sock'), 'GET', 'k']]) {
      const r = await redisCli(args);
      const n = await nodisCli(args);
      expect(n.stderr).toBe(r.stderr);
      expect(n.stderr).toMatch(/^Could not connect to Redis at [^\n]+: (Connection refused|No such file or directory)\n$/);
      expect([n.code, n.stdout.length]).toEqual([1, 0]);
    }
  });

  it('prints the same through nodis\'s native socket (-u unix://) as through RESP', async () => {
    const t = targets.find((x) => x.name === 'nodis')!;
    const url = `unix://${nodis!.nativesocket}`;
    // Every reply type the native protocol carries its own way: bulk (bin), status (str), error
    // (ext 1), nil, integers up to int64, arrays; and with -3 maps, sets (ext 2), doubles.
    const picks = CASES.filter((c) => c.only === undefined && ['GET', 'SET', 'ECHO', 'INCRBY', 'HGETALL', 'ZRANGE', 'OBJECT', 'nosuchcommand'].includes(c.argv[0]!)
      && c.argv[1] !== 'missing' && c.argv[1] !== 'empty');
    const runs = picks.flatMap((c) => [['--no-raw'], ...(c.resp3 === true ? [['-3', '--no-raw']] : [])].map((flags) => ({ c, flags })));
    const problems: string[] = [];
    await inPool(runs, 3, async ({ c, flags }, worker) => {
      const db = String(worker + 1);
      await reset(t, worker + 1, c.setup);
      const viaResp = await redisCli(['-p', String(t.port), '-n', db, ...flags, ...c.argv]);
      await reset(t, worker + 1, c.setup);
      // The database as a unix:// URL gives it (?db=), and as -n.
      const viaNative = await nodisCli(worker === 0 ? ['-u', `${url}?db=${db}`, ...flags, ...c.argv] : ['-u', url, '-n', db, ...flags, ...c.argv]);
      if (!viaNative.stdout.equals(viaResp.stdout)) problems.push(`${flags.join(' ')} ${c.argv.join(' ')}: ${show(viaResp.stdout)} vs ${show(viaNative.stdout)}`);
      if (viaNative.code !== (c.error === true ? 1 : 0)) problems.push(`${c.argv.join(' ')}: exit ${viaNative.code} ${viaNative.stderr}`);
    });
    expect(problems).toEqual([]);
  }, 120_000);
});

describe.skipIf(redisCliPath === undefined || !redisAvailable)('nodis-cli authentication = redis-cli\'s (-a, --user, -u with credentials, NODISCLI_AUTH)', () => {
  let redis: RedisProcess | undefined;
  let nodis: NodisServer | undefined;
  let authDir: string;
  beforeAll(async () => {
    authDir = mkdtempSync(path.join(tmpdir(), 'nodis-cli-auth-'));
    redis = await startRedis(['--requirepass', 'sesame']);
    nodis = await startServer({ config: { port: '0', unixsocket: '', dir: authDir, requirepass: 'sesame' }, logLevel: 'nothing' });
  });
  afterAll(async () => {
    await nodis?.close();
    await redis?.stop();
    rmSync(authDir, { recursive: true, force: true });
  });

  it.each([
    ['the password', ['-a', 'sesame', '--no-auth-warning', 'ping']],
    ['no password', ['ping']],
    ['a wrong password', ['-a', 'wrong', '--no-auth-warning', 'ping']],
    ['--user default', ['--user', 'default', '-a', 'sesame', '--no-auth-warning', '--no-raw', 'ping']],
    ['the warning', ['-a', 'sesame', 'ping']],
    ['-n with a password', ['-a', 'sesame', '--no-auth-warning', '-n', '3', '--no-raw', 'dbsize']],
  ])('%s: same stdout and stderr against nodis as redis-cli against redis-server', async (_what, args) => {
    const r = await redisCli(['-p', String(redis!.port), ...args]);
    const n = await nodisCli(['-p', String(nodis!.port), ...args]);
    expect(n.stdout.toString('latin1')).toBe(r.stdout.toString('latin1'));
    expect(n.stderr).toBe(r.stderr);
  });

  it('takes credentials and the database from a redis:// URL, and the password from NODISCLI_AUTH', async () => {
    const viaUrl = await nodisCli(['-u', `redis://default:sesame@127.0.0.1:${nodis!.port}/4`, '--no-auth-warning', 'client', 'info']);
    expect(viaUrl.stdout.toString()).toMatch(/ db=4 /);
    const theirs = await redisCli(['-u', `redis://default:sesame@127.0.0.1:${redis!.port}/4`, '--no-auth-warning', 'client', 'info']);
    expect(theirs.stdout.toString()).toMatch(/ db=4 /);
    const env = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, '-p', String(nodis!.port), 'ping'], { env: { ...process.env, NODISCLI_AUTH: 'sesame' } });
      let out = '';
      child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      child.on('error', reject);
      child.on('close', () => resolve(out));
    });
    expect(env).toBe('PONG\n');
  });
});
