import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type NodisServer } from '@nodis/server';
import { freePort, redisAvailable, startRedis, type RedisProcess } from './helpers/redis.js';
import { RespTestClient } from './helpers/resp-client.js';
import { CLI, nodisCli, redisCli, redisCliPath } from './helpers/cli.js';

/**
 * nodis-cli's special modes (build first: the tests run packages/cli/dist/bin.js):
 *  --pipe   the same RESP input through `redis-cli --pipe` and nodis-cli into the same server
 *           (nodis in this process, and a real redis-server): same stdout, stderr, exit code,
 *           same keys inserted; a server that closes or dies mid-stream; --pipe-timeout;
 *  --scan   the same keys as redis-cli prints (raw and quoted), compared sorted as bytes;
 *  --stat   killed after its second data line; the columns hold INFO's figures;
 *  --latency / --latency-history   the one-shot and per-sample lines of non-terminal output;
 *  and an unreachable server in every mode (redis-cli's message, exit code 1).
 * Every child is killed after a bounded time.
 */


if (redisCliPath === undefined) {
  process.stderr.write('NOTE: redis-cli is not installed: nodis-cli modes are not compared with it (apt-get install redis-tools)\n');
}


/**
 * Starts a long-running mode and collects stdout until `enough(text)` (then SIGTERM), or
 * fails after `timeoutMs`.
 */
function runUntil(args: string[], enough: (stdout: string) => boolean, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let done = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`nodis-cli ${args.join(' ')}: not enough output after ${timeoutMs} ms: ${JSON.stringify(out)} ${err}`));
    }, timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString('latin1');
      if (!done && enough(out)) {
        done = true;
        clearTimeout(timer);
        child.kill('SIGTERM');
        resolve(out);
      }
    });
    child.stderr!.on('data', (d: Buffer) => { err += d.toString('latin1'); });
    child.on('close', (code) => {
      if (done) return;
      clearTimeout(timer);
      reject(new Error(`nodis-cli ${args.join(' ')} exited (${code}) early: ${JSON.stringify(out)} ${err}`));
    });
  });
}

const KEYS = 100_000;

function respCommand(argv: readonly string[]): string {
  let out = `*${argv.length}\r\n`;
  for (const a of argv) out += `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`;
  return out;
}

/**
 * KEYS SETs, and among them replies of every shape and some errors: an unknown command, a
 * wrong arity, INCR of a non-number, an inline command, a nested array, nil, and a 20-byte
 * bulk (the size of the end marker, which must not be mistaken for it).
 */
function pipeInput(): { data: Buffer; commands: number; errors: number; keys: number } {
  const parts: string[] = [];
  let commands = 0;
  for (let i = 1; i <= KEYS; i++) {
    parts.push(respCommand(['SET', `key:${i}`, `value:${i}`]));
    commands++;
    if (i === 10) {
      parts.push(respCommand(['NOSUCHCOMMAND', 'x']), respCommand(['GET']), respCommand(['INCR', 'key:1']));
      parts.push('PING\r\n'); // inline
      parts.push(respCommand(['SET', 'twenty', '01234567890123456789']), respCommand(['GET', 'twenty']));
      parts.push(respCommand(['MGET', 'key:1', 'nope', 'key:2']), respCommand(['GET', 'nope']));
      parts.push(respCommand(['SET', 'bin\x00\xff\r\n', 'x']));
      commands += 9;
    }
  }
  return { data: Buffer.from(parts.join(''), 'latin1'), commands, errors: 3, keys: KEYS + 2 };
}

const expectedSummary = (errors: number, replies: number): string =>
  `All data transferred. Waiting for the last reply...\nLast reply received from server.\nerrors: ${errors}, replies: ${replies}\n`;

/** Keys for --scan: plain, binary (not \n: lines are split on it), UTF-8, and others the pattern leaves out. */
const SCAN_KEYS = [
  ...Array.from({ length: 150 }, (_, i) => `user:${i}`),
  'user:bin\x01\xff"q\\', 'user:\xc3\xbc', 'user: space', 'session:1', 'session:2', 'other',
];

async function fill(client: RespTestClient, keys: readonly string[]): Promise<void> {
  await client.call('FLUSHALL');
  await client.pipeline(keys.map((k) => ['SET', k, 'v']));
}

const sortedLines = (b: Buffer): string[] => b.toString('latin1').split('\n').slice(0, -1).sort();

/** The tests every server gets: nodis (in this process) and redis-server. */
function modeTests(name: string, target: () => { port: number; client: RespTestClient }): void {
  describe(`against ${name}`, () => {
    it('--pipe inserts what redis-cli --pipe does and prints the same summary', async () => {
      const { port, client } = target();
      const input = pipeInput();
      await client.call('FLUSHALL');
      const ours = await nodisCli(['-p', String(port), '--pipe'], input.data);
      expect(ours.stdout.toString()).toBe(expectedSummary(input.errors, input.commands));
      expect(ours.stderr).toMatch(/^ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'x' \nERR wrong number of arguments for 'get' command\nERR value is not an integer or out of range\n$/);
      expect(ours.code).toBe(1);
      expect(await client.call('DBSIZE')).toBe(input.keys);
      expect(await client.call('GET', `key:${KEYS}`)).toBe(`value:${KEYS}`);
      if (redisCliPath === undefined) return;
      await client.call('FLUSHALL');
      const theirs = await redisCli(['-p', String(port), '--pipe'], input.data);
      expect(ours.stdout.toString()).toBe(theirs.stdout.toString());
      expect(ours.stderr).toBe(theirs.stderr);
      expect(ours.code).toBe(theirs.code);
      expect(await client.call('DBSIZE')).toBe(input.keys);
    });

    it('--pipe of clean input exits 0, of nothing counts nothing; -n selects the database first', async () => {
      const { port, client } = target();
      await client.call('FLUSHALL');
      const clean = await nodisCli(['-p', String(port), '-n', '3', '--pipe'], respCommand(['SET', 'a', '1']) + respCommand(['RPUSH', 'l', 'x', 'y']));
      expect([clean.stdout.toString(), clean.stderr, clean.code]).toEqual([expectedSummary(0, 2), '', 0]);
      await client.call('SELECT', '3');
      expect(await client.call('DBSIZE')).toBe(2);
      await client.call('SELECT', '0');
      expect(await client.call('DBSIZE')).toBe(0);
      const empty = await nodisCli(['-p', String(port), '--pipe'], '');
      expect([empty.stdout.toString(), empty.code]).toEqual([expectedSummary(0, 0), 0]);
    });

    it('--scan prints the keys redis-cli prints, raw and quoted', async () => {
      const { port, client } = target();
      await fill(client, SCAN_KEYS);
      const want = SCAN_KEYS.filter((k) => k.startsWith('user:')).sort();
      const raw = await nodisCli(['-p', String(port), '--scan', '--pattern', 'user:*']);
      expect(raw.code).toBe(0);
      expect(sortedLines(raw.stdout)).toEqual(want);
      const quoted = await nodisCli(['-p', String(port), '--no-raw', '--scan', '--pattern', 'user:*', '--count', '7', '-i', '0.001']);
      expect(sortedLines(quoted.stdout)).toContain('"user:bin\\x01\\xff\\"q\\\\"');
      expect(sortedLines(quoted.stdout)).toHaveLength(want.length);
      const all = await nodisCli(['-p', String(port), '--scan']);
      expect(sortedLines(all.stdout)).toEqual([...SCAN_KEYS].sort());
      if (redisCliPath === undefined) return;
      for (const args of [['--scan', '--pattern', 'user:*'], ['--no-raw', '--scan', '--pattern', 'user:*'], ['--scan'], ['--scan', '--pattern', 'session:[12]']]) {
        const theirs = await redisCli(['-p', String(port), ...args]);
        const ours = await nodisCli(['-p', String(port), ...args]);
        expect(sortedLines(ours.stdout)).toEqual(sortedLines(theirs.stdout));
      }
    });

    it('--scan writes a key with a NUL byte whole (redis-cli cuts it at the NUL)', async () => {
      const { port, client } = target();
      await fill(client, ['nul\x00key']);
      const ours = await nodisCli(['-p', String(port), '--scan']);
      expect(ours.stdout.toString('latin1')).toBe('nul\x00key\n');
    });

    it('--stat prints the header and a line a cycle, with the INFO figures in redis-cli columns', async () => {
      const { port, client } = target();
      await fill(client, ['a', 'b', 'c']);
      await client.call('SELECT', '5');
      await client.call('SET', 'd', '1');
      await client.call('SELECT', '0');
      const out = await runUntil(['-p', String(port), '--stat', '-i', '0.05'], (s) => s.split('\n').length > 4);
      const lines = out.split('\n');
      expect(lines[0]).toBe('------- data ------ --------------------- load -------------------- - child -');
      expect(lines[1]).toBe('keys       mem      clients blocked requests            connections          ');
      for (const line of lines.slice(2, 4)) {
        // %-11s %-8s ' %-8s' %-8s %-19s ' %-12s'
        expect(line.slice(0, 11)).toBe('4'.padEnd(11));
        expect(line.slice(11, 19)).toMatch(/^\d+(\.\d\d[KMGTP]|B) *$/);
        expect(line.slice(19, 28)).toMatch(/^ [1-9]\d* *$/);
        expect(line.slice(28, 36)).toBe('0'.padEnd(8));
        expect(line.slice(36, 55)).toMatch(/^\d+ \(\+\d+\) *$/);
        expect(line.slice(55)).toMatch(/^ \d+ {2,}$/);
      }
      expect(lines[2]!.slice(36, 55)).toMatch(/^\d+ \(\+0\)/); // no delta before a previous total
      const total = (l: string): number => Number(/^(\d+)/.exec(l.slice(36))![1]);
      const delta = (l: string): number => Number(/\(\+(\d+)\)/.exec(l)![1]);
      expect(delta(lines[3]!)).toBe(total(lines[3]!) - total(lines[2]!));
      expect(delta(lines[3]!)).toBeGreaterThanOrEqual(1); // its own INFO at least
    });

    it('--latency samples for -i seconds and prints one line, in the output format', async () => {
      const { port } = target();
      const raw = await nodisCli(['-p', String(port), '--latency', '-i', '0.1']);
      expect(raw.code).toBe(0);
      expect(raw.stdout.toString()).toMatch(/^\d+ \d+ \d+\.\d\d [1-9]\d*\n$/);
      const csv = await nodisCli(['-p', String(port), '--latency', '--csv', '-i', '0.1']);
      expect(csv.stdout.toString()).toMatch(/^\d+,\d+,\d+\.\d\d,[1-9]\d*\n$/);
      const json = await nodisCli(['-p', String(port), '--latency', '--json', '-i', '0.1']);
      expect(json.stdout.toString()).toMatch(/^\{"min": \d+, "max": \d+, "avg": \d+\.\d\d, "count": [1-9]\d*\}\n$/);
      const [min, max, avg, count] = raw.stdout.toString().trim().split(' ').map(Number) as [number, number, number, number];
      expect(min).toBeLessThanOrEqual(avg);
      expect(avg).toBeLessThanOrEqual(max);
      expect(count).toBeGreaterThan(0);
    });

    it('--latency-history prints every sample and a range line every -i seconds', async () => {
      const { port } = target();
      const out = await runUntil(['-p', String(port), '--latency-history', '-i', '0.1'], (s) => /seconds range\n[\s\S]*\n/.test(s));
      const lines = out.split('\n');
      const range = lines.findIndex((l) => l.startsWith(' -- '));
      expect(lines[range]).toMatch(/^ -- \d+\.\d\d seconds range$/);
      expect(lines.slice(0, range).map((l) => Number(l.split(' ')[3]))).toEqual(Array.from({ length: range }, (_, i) => i + 1));
      expect(lines[range + 1]).toMatch(/^\d+ \d+ \d+\.\d\d 1$/); // the figures start again
    });
  });
}

let nodis: NodisServer;
let nodisClient: RespTestClient;

describe('nodis-cli special modes', () => {
  beforeAll(async () => {
    nodis = await startServer({ config: { port: '0', unixsocket: '' }, logLevel: 'nothing' });
    nodisClient = await RespTestClient.connect(nodis.port);
  });
  afterAll(async () => {
    nodisClient?.close();
    await nodis?.close();
  });

  modeTests('nodis', () => ({ port: nodis.port, client: nodisClient }));

  describe.skipIf(!redisAvailable)('with redis-server', () => {
    let redis: RedisProcess;
    let redisClient: RespTestClient;
    beforeAll(async () => {
      redis = await startRedis();
      redisClient = await RespTestClient.connect(redis.port);
    });
    afterAll(async () => {
      redisClient?.close();
      await redis?.stop();
    });
    modeTests('redis-server', () => ({ port: redis.port, client: redisClient }));

    it('--pipe into a redis-server killed mid-stream: a message, exit code 1, no hang', async () => {
      const victim = await startRedis();
      const watcher = await RespTestClient.connect(victim.port);
      let stopped = false;
      try {
        const child = spawn(process.execPath, [CLI, '-p', String(victim.port), '--pipe'], { stdio: ['pipe', 'pipe', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
        child.stdout.resume();
        child.stdin.on('error', () => {});
        const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        // Some commands in, the server seen to run them, then it dies with the input still open.
        child.stdin.write(Buffer.from(Array.from({ length: 1000 }, (_, i) => respCommand(['SET', `k${i}`, 'v'])).join('')));
        for (let i = 0; i < 400 && (await watcher.call('DBSIZE')) === 0; i++) await new Promise((r) => setTimeout(r, 25));
        watcher.close();
        stopped = true;
        await victim.stop();
        child.stdin.write(respCommand(['SET', 'after', 'v']));
        child.stdin.end();
        const code = await exited;
        clearTimeout(timer);
        expect(code).toBe(1);
        expect(stderr).toMatch(/^Error (reading from|writing to) the server: (Server closed the connection|Connection reset by peer)/);
      } finally {
        watcher.close();
        if (!stopped) await victim.stop();
      }
    });
  });

  describe('--pipe against a server that misbehaves', () => {
    /** A TCP server that reads, and after `closeAfter` bytes (if given) closes every connection; it never replies. */
    async function stubServer(closeAfter?: number): Promise<{ port: number; close(): Promise<void> }> {
      const sockets = new Set<net.Socket>();
      const server = net.createServer((s) => {
        sockets.add(s);
        let seen = 0;
        s.on('error', () => {});
        s.on('close', () => sockets.delete(s));
        s.on('data', (d) => {
          seen += d.length;
          if (closeAfter !== undefined && seen >= closeAfter) s.destroy();
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return {
        port: (server.address() as net.AddressInfo).port,
        close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
      };
    }

    it('a server that closes the connection mid-stream: a message, exit code 1', async () => {
      const stub = await stubServer(100_000);
      try {
        const ran = await nodisCli(['-p', String(stub.port), '--pipe'], pipeInput().data);
        expect(ran.code).toBe(1);
        expect(ran.stderr).toMatch(/^Error (reading from|writing to) the server: (Server closed the connection|Connection reset by peer)/);
      } finally {
        await stub.close();
      }
    });

    it('--pipe-timeout: no reply after the input ends gives up, as redis-cli does', async () => {
      const stub = await stubServer();
      try {
        const ran = await nodisCli(['-p', String(stub.port), '--pipe', '--pipe-timeout', '1'], respCommand(['SET', 'a', '1']));
        expect(ran.stdout.toString()).toBe('All data transferred. Waiting for the last reply...\nerrors: 1, replies: 0\n');
        expect(ran.stderr).toBe('No replies for 1 seconds: exiting.\n');
        expect(ran.code).toBe(1);
      } finally {
        await stub.close();
      }
    });

    it('a unix:// URL (nodis\'s native protocol) is refused with the reason', async () => {
      const ran = await nodisCli(['-u', 'unix:///tmp/no-such-nodis-native.sock', '--pipe'], '');
      expect(ran.code).toBe(1);
      expect(ran.stderr).toMatch(/^--pipe sends raw RESP and needs a RESP connection/);
    });
  });

  it('an unreachable server: redis-cli\'s message and exit code 1 in every mode', async () => {
    const port = await freePort();
    for (const mode of [['--pipe'], ['--scan'], ['--stat'], ['--latency'], ['--latency-history']]) {
      const ran = await nodisCli(['-p', String(port), ...mode], '');
      expect([ran.stdout.toString(), ran.stderr, ran.code]).toEqual(['', `Could not connect to Redis at 127.0.0.1:${port}: Connection refused\n`, 1]);
      if (redisCliPath !== undefined) {
        const theirs = await redisCli(['-p', String(port), ...mode], '', 5_000);
        expect(ran.stderr).toBe(theirs.stderr);
        expect(ran.code).toBe(theirs.code);
      }
    }
  });
});
