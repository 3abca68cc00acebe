import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  FrameSplitter, NativeReplyParser, NativeRequestWriter, NativeWriter, ReplyMap, decodeValue, helloFields, type Reply,
} from '@nodis/protocol';
import { startServer, type NodisServer } from '@nodis/server';
import { RespTestClient, canon } from './helpers/resp-client.js';
import { redisAvailable, redisServerPath, startRedis, type RedisProcess } from './helpers/redis.js';

/**
 * The native protocol's socket end to end (packages/protocol/src/native/format.ts): the hello,
 * hostile frames, a RESP client on the wrong socket, silent and idle clients, maxclients, and
 * client-output-buffer-limit, each spoken byte by byte over raw sockets. Every wait is bounded
 * (`within`, `until`); after each hostile input the server must go on serving other clients.
 */

const execFileP = promisify(execFile);

/** Resolves p, or rejects once `ms` have passed: nothing in this file waits without bound. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * Polls `check` until it holds, for at most `ms`: for what the server does on its own clock (the
 * cron closes silent, idle and over-limit clients at hz 10), which no reply announces.
 */
async function until(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A frame: the 4-byte big-endian length, then the body. */
function frame(body: readonly number[] | Buffer): Buffer {
  const b = Buffer.from(body);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(b.length);
  return Buffer.concat([header, b]);
}

/** A MessagePack fixstr (under 32 bytes). */
function mpStr(s: string): number[] {
  const bytes = [...Buffer.from(s, 'utf8')];
  if (bytes.length >= 32) throw new Error('mpStr: fixstr only');
  return [0xa0 | bytes.length, ...bytes];
}

function helloFrame(): Buffer {
  const w = new NativeRequestWriter();
  w.hello('native-server.test');
  return Buffer.concat(w.take());
}

function commandFrame(...argv: string[]): Buffer {
  const w = new NativeRequestWriter();
  w.command(argv);
  return Buffer.concat(w.take());
}

/** Every complete frame in `data`, decoded; `rest` = bytes of an incomplete trailing frame. */
function decodeFrames(data: Buffer): { frames: Reply[]; rest: number } {
  const frames: Reply[] = [];
  const splitter = new FrameSplitter();
  const error = splitter.feed(data, () => undefined, (buf, start, end) => { frames.push(decodeValue(buf, start, end)); });
  if (error) throw new Error(String(error));
  return { frames, rest: splitter.buffered };
}

/** Connects to a Unix socket, writes `bytes`, and collects what comes back until the server closes or `ms` pass. */
function rawUnix(socketPath: string, bytes: Buffer | string, ms = 3000): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(socketPath);
    const chunks: Buffer[] = [];
    let closed = false;
    const timer = setTimeout(() => { s.destroy(); resolve({ data: Buffer.concat(chunks), closed }); }, ms);
    s.on('data', (c) => chunks.push(c));
    s.on('error', () => {});
    s.on('close', () => { closed = true; clearTimeout(timer); resolve({ data: Buffer.concat(chunks), closed }); });
    s.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  });
}

/** A native-protocol client over a raw socket: frames by hand, replies through NativeReplyParser. */
class NativeTestClient {
  private readonly parser = new NativeReplyParser();
  private readonly replies: Reply[] = [];
  private readonly waiters: { resolve: (r: Reply) => void; reject: (e: Error) => void }[] = [];
  readonly closed: Promise<void>;
  isClosed = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk) => {
      try {
        this.parser.feed(chunk, (r) => {
          const w = this.waiters.shift();
          if (w) w.resolve(r);
          else this.replies.push(r);
        });
      } catch (e) {
        for (const w of this.waiters.splice(0)) w.reject(e as Error);
        socket.destroy();
      }
    });
    socket.on('error', () => { /* 'close' follows */ });
    this.closed = new Promise((resolve) => socket.on('close', () => {
      this.isClosed = true;
      for (const w of this.waiters.splice(0)) w.reject(new Error('connection closed'));
      resolve();
    }));
  }

  static connect(socketPath: string): Promise<NativeTestClient> {
    return within(new Promise<NativeTestClient>((resolve, reject) => {
      const s = net.connect(socketPath, () => { s.off('error', reject); resolve(new NativeTestClient(s)); });
      s.once('error', reject);
    }), 5000, `connect ${socketPath}`);
  }

  /** Connects and greets; resolves the server's hello fields. */
  static async greeted(socketPath: string): Promise<{ c: NativeTestClient; hello: Record<string, Reply> }> {
    const c = await NativeTestClient.connect(socketPath);
    return { c, hello: await c.hello() };
  }

  write(bytes: Buffer): void { this.socket.write(bytes); }

  next(ms = 5000): Promise<Reply> {
    if (this.replies.length !== 0) return Promise.resolve(this.replies.shift()!);
    if (this.isClosed) return Promise.reject(new Error('connection closed'));
    return within(new Promise<Reply>((resolve, reject) => this.waiters.push({ resolve, reject })), ms, 'a reply frame');
  }

  async hello(): Promise<Record<string, Reply>> {
    this.write(helloFrame());
    const fields = helloFields(await this.next());
    if (fields === undefined) throw new Error('the server hello is not a map');
    return fields;
  }

  call(...argv: string[]): Promise<Reply> {
    this.write(commandFrame(...argv));
    return this.next();
  }

  destroy(): void { this.socket.destroy(); }
}

/** One command on a fresh RESP connection to the server's Unix socket (survives `timeout` closing idle clients). */
async function admin(srv: NodisServer, ...argv: string[]): Promise<Reply> {
  const c = await within(RespTestClient.connectUnix(srv.unixsocket), 5000, 'admin connect');
  try {
    return await within(c.call(...argv), 5000, argv.join(' '));
  } finally {
    c.close();
  }
}

/** The ids CLIENT LIST shows, but for the connection asking. */
async function clientIds(srv: NodisServer): Promise<number[]> {
  const c = await within(RespTestClient.connectUnix(srv.unixsocket), 5000, 'admin connect');
  try {
    const [self, list] = await within(c.pipeline([['CLIENT', 'ID'], ['CLIENT', 'LIST']]), 5000, 'CLIENT LIST');
    return String(list).split('\n').filter(Boolean).map((line) => Number(/^id=(\d+)/.exec(line)?.[1])).filter((id) => id !== self);
  } finally {
    c.close();
  }
}

function infoField(info: Reply, field: string): number {
  const m = new RegExp(`^${field}:(\\d+)\\r?$`, 'm').exec(String(info));
  if (!m) throw new Error(`INFO has no ${field}`);
  return Number(m[1]);
}

/** A fresh native client and a fresh RESP client are both served. */
async function expectStillServing(srv: NodisServer): Promise<void> {
  const { c } = await NativeTestClient.greeted(srv.nativesocket);
  expect(canon(await c.call('PING'))).toEqual({ simple: 'PONG' });
  c.destroy();
  expect(canon(await admin(srv, 'PING'))).toEqual({ simple: 'PONG' });
}

const RESP_ON_NATIVE = 'ERR Protocol error: this socket speaks the nodis native protocol (unix:// in @nodis/client); '
  + 'RESP clients such as redis-cli connect to the RESP socket or port';
const HELLO_EXPECTED = "ERR Protocol error: expected the nodis-native hello ({ protocol: 'nodis-native', version: 1 }) as the first frame";
const MB = 1024 * 1024;

let server: NodisServer;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'nodis-native-'));
  server = await startServer({ config: { port: '0', unixsocket: 'resp.sock', nativesocket: 'native.sock', dir }, logLevel: 'nothing' });
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the hello', () => {
  it('a correct hello gets the server hello, then commands answer in RESP2 shapes, RESP3 types after HELLO 3', async () => {
    expect(server.nativesocket).toBe(path.join(dir, 'native.sock'));
    const { c, hello } = await NativeTestClient.greeted(server.nativesocket);
    expect(hello).toEqual({ protocol: 'nodis-native', version: 1, server: expect.stringMatching(/^\d+\.\d+\.\d+/), id: expect.any(Number) });
    expect(await c.call('CLIENT', 'ID')).toBe(hello.id);

    expect(canon(await c.call('SET', 'hello:k', 'v'))).toEqual({ simple: 'OK' });
    expect(canon(await c.call('GET', 'hello:k'))).toBe('v');
    expect(canon(await c.call('INCR', 'hello:n'))).toEqual({ int: '1' });
    expect(canon(await c.call('INCR', 'hello:n'))).toEqual({ int: '2' });
    expect(canon(await c.call('INCR', 'hello:k'))).toEqual({ error: 'ERR value is not an integer or out of range' });
    expect(await c.call('GET', 'hello:missing')).toBeNull();
    expect(canon(await c.call('HSET', 'hello:h', 'f', '1', 'g', '2'))).toEqual({ int: '2' });
    expect(canon(await c.call('ZADD', 'hello:z', '1.5', 'm'))).toEqual({ int: '1' });
    expect(canon(await c.call('SADD', 'hello:s', 'a'))).toEqual({ int: '1' });
    // RESP2 shapes: a flat array, a bulk score, a plain array.
    expect(canon(await c.call('HGETALL', 'hello:h'))).toEqual(['f', '1', 'g', '2']);
    expect(canon(await c.call('ZSCORE', 'hello:z', 'm'))).toBe('1.5');
    expect(canon(await c.call('SMEMBERS', 'hello:s'))).toEqual(['a']);

    const h3 = await c.call('HELLO', '3');
    expect(h3).toBeInstanceOf(ReplyMap);
    expect((canon(h3) as { map: unknown[] }).map).toContainEqual(['proto', { int: '3' }]);
    expect((canon(h3) as { map: unknown[] }).map).toContainEqual(['id', { int: String(hello.id) }]);
    // RESP3 types: a map (msgpack map), a double (float64), a set (ext 2), verbatim (ext 4).
    expect(canon(await c.call('HGETALL', 'hello:h'))).toEqual({ map: [['f', '1'], ['g', '2']] });
    expect(canon(await c.call('ZSCORE', 'hello:z', 'm'))).toEqual({ double: 1.5 });
    expect(canon(await c.call('SMEMBERS', 'hello:s'))).toEqual({ set: ['a'] });
    const info = canon(await c.call('INFO', 'server')) as { verbatim: [string, string] };
    expect(info.verbatim[0]).toBe('txt');
    expect(info.verbatim[1].startsWith('# Server\r\n')).toBe(true);
    expect(await c.call('GET', 'hello:missing')).toBeNull();
    expect(canon(await c.call('GET', 'hello:k'))).toBe('v');
    expect(canon(await c.call('HELLO', '2'))).toContain('proto');
    expect(canon(await c.call('HGETALL', 'hello:h'))).toEqual(['f', '1', 'g', '2']);
    c.destroy();
  });

  it('booleans are msgpack true/false after HELLO 3 and 1/0 before (the writer: no Redis 7.0 command replies with one)', () => {
    const cases: [2 | 3, Reply[]][] = [[3, [true, false]], [2, [1, 0]]];
    for (const [protocol, expected] of cases) {
      const w = new NativeWriter(protocol);
      w.bool(true);
      w.bool(false);
      expect(decodeFrames(w.take())).toEqual({ frames: expected, rest: 0 });
    }
  });

  it('a hello of version 99: a NOPROTO error naming both versions, then close; nothing after it runs', async () => {
    const hello99 = frame([0x82, ...mpStr('protocol'), ...mpStr('nodis-native'), ...mpStr('version'), 99]);
    const r = await rawUnix(server.nativesocket, Buffer.concat([hello99, commandFrame('SET', 'noproto:ran', '1')]));
    expect(r.closed).toBe(true);
    const { frames, rest } = decodeFrames(r.data);
    expect(rest).toBe(0);
    expect(frames.length).toBe(1);
    const error = canon(frames[0]!) as { error: string };
    expect(error.error).toMatch(/^NOPROTO this server \(nodis \d+\.\d+\.\d+\) speaks nodis-native protocol version 1; the client asked for version 99: upgrade the older of the two$/);
    expect(await admin(server, 'EXISTS', 'noproto:ran')).toBe(0);
    await expectStillServing(server);
  });

  const notHellos: [string, Buffer][] = [
    ['a command array', commandFrame('SET', 'nohello:ran', '1')],
    ['a map without protocol', frame([0x81, ...mpStr('version'), 1])],
    ['another protocol', frame([0x82, ...mpStr('protocol'), ...mpStr('resp'), ...mpStr('version'), 1])],
    ['a map announcing 3 pairs holding half of one', frame([0x83, ...mpStr('protocol')])],
    ['an empty frame', frame([])],
  ];
  for (const [name, bytes] of notHellos) {
    it(`a first frame that is not the hello (${name}): the hello error, then close`, async () => {
      const r = await rawUnix(server.nativesocket, Buffer.concat([bytes, commandFrame('SET', 'nohello:ran', '1')]));
      expect(r.closed).toBe(true);
      expect(decodeFrames(r.data).frames.map(canon)).toEqual([{ error: HELLO_EXPECTED }]);
      expect(await admin(server, 'EXISTS', 'nohello:ran')).toBe(0);
    });
  }

  it('the server keeps serving after the refused hellos', async () => {
    await expectStillServing(server);
  });
});

describe('frame lengths over the limit', () => {
  it('ff ff ff ff after the hello: an error frame naming the length and the limit, close, no allocation', async () => {
    const before = process.memoryUsage();
    const r = await rawUnix(server.nativesocket, Buffer.concat([helloFrame(), commandFrame('PING'), Buffer.from([0xff, 0xff, 0xff, 0xff])]));
    expect(r.closed).toBe(true);
    const { frames, rest } = decodeFrames(r.data);
    expect(rest).toBe(0);
    expect(frames.length).toBe(3);
    expect(helloFields(frames[0]!)?.protocol).toBe('nodis-native');
    expect(frames.slice(1).map(canon)).toEqual([
      { simple: 'PONG' },
      { error: 'ERR Protocol error: a frame of 4294967295 bytes is over the limit of 1073741824 bytes' },
    ]);
    await expectStillServing(server);
    // The owner runs in a worker thread of this process: its allocations show in this rss.
    const after = process.memoryUsage();
    expect(after.rss - before.rss).toBeLessThan(100 * MB);
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(100 * MB);
  });

  it('ff ff ff ff as the very first bytes: not a hello length (its first byte would be 0), so taken for RESP and refused in RESP', async () => {
    // Documents the parser's heuristic (native/parser.ts): the refusal is a RESP error line, not a frame.
    const r = await rawUnix(server.nativesocket, Buffer.from([0xff, 0xff, 0xff, 0xff]));
    expect(r.data.toString('latin1')).toBe(`-${RESP_ON_NATIVE}\r\n`);
    expect(r.closed).toBe(true);
  });

  it('a first frame of 16 MiB - 1 (00 ff ff ff): over the hello limit, an error frame, close', async () => {
    const r = await rawUnix(server.nativesocket, Buffer.from([0x00, 0xff, 0xff, 0xff]));
    expect(r.closed).toBe(true);
    expect(decodeFrames(r.data).frames.map(canon)).toEqual([
      { error: 'ERR Protocol error: a frame of 16777215 bytes is over the limit of 65536 bytes' },
    ]);
  });

  it('a frame of exactly the 1 GiB limit announced and barely sent: held, but memory does not follow the announced length', async () => {
    const before = process.memoryUsage();
    const { c, hello } = await NativeTestClient.greeted(server.nativesocket);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(1024 * MB);
    c.write(Buffer.concat([header, Buffer.from([0x92, ...mpStr('SET'), 0xc6, 0x3f, 0xff, 0xff, 0xf0, 0x61, 0x62])]));
    await expectStillServing(server);
    expect(await clientIds(server)).toContain(hello.id);
    expect(c.isClosed).toBe(false);
    const after = process.memoryUsage();
    expect(after.rss - before.rss).toBeLessThan(100 * MB);
    c.destroy();
    await within(c.closed, 5000, 'close');
    await until(async () => !(await clientIds(server)).includes(hello.id as number), 5000, 'the client leaves CLIENT LIST');
  });
});

describe('malformed frame bodies after the hello', () => {
  const cases: [string, number[], string][] = [
    ['an array announcing 3 elements holding 2', [0x93, 0xc4, 1, 0x61, 0xc4, 1, 0x62], 'ERR Protocol error: truncated frame'],
    ['an array announcing 3 elements in 3 bytes', [0x93, 0xa1, 0x61], 'ERR Protocol error: truncated frame'],
    ['a bin whose length runs past the frame', [0x92, ...mpStr('GET'), 0xc4, 10, 0x61, 0x62, 0x63], 'ERR Protocol error: truncated frame'],
    ['a str8 header cut after its type byte', [0x92, ...mpStr('GET'), 0xd9], 'ERR Protocol error: truncated frame'],
    ['an array32 announcing 2^32-1 elements', [0xdd, 0xff, 0xff, 0xff, 0xff, ...mpStr('GET')], 'ERR Protocol error: truncated frame'],
    ['a float64 cut short', [0x92, ...mpStr('ECHO'), 0xcb, 0x3f, 0xf8], 'ERR Protocol error: truncated frame'],
    ['a bin32 of 2^32-1 bytes', [0x92, ...mpStr('GET'), 0xc6, 0xff, 0xff, 0xff, 0xff, 0x61], 'ERR Protocol error: invalid bulk length'],
    ['trailing garbage after the command', [0x91, ...mpStr('PING'), 0xc0, 0xc0], 'ERR Protocol error: 2 bytes after the command'],
    ['a second value in the frame', [0x91, ...mpStr('PING'), 0x91, ...mpStr('PING')], 'ERR Protocol error: 6 bytes after the command'],
    ['an empty frame', [], 'ERR Protocol error: empty frame'],
    ['an empty array', [0x90], 'ERR Protocol error: empty command'],
    ['a string, not an array', mpStr('PING'), 'ERR Protocol error: a command must be an array of arguments, got a string'],
    ['a map, not an array', [0x81, ...mpStr('a'), 1], 'ERR Protocol error: a command must be an array of arguments, got a map'],
    ['a nested array', [0x92, ...mpStr('ECHO'), 0x90], 'ERR Protocol error: command arguments must be strings, binary or numbers, got an array'],
    ['a nil argument', [0x92, ...mpStr('ECHO'), 0xc0], 'ERR Protocol error: command arguments must be strings, binary or numbers, got nil'],
    ['a boolean argument', [0x92, ...mpStr('ECHO'), 0xc3], 'ERR Protocol error: command arguments must be strings, binary or numbers, got a boolean'],
    ['the unused type byte 0xc1', [0x92, ...mpStr('ECHO'), 0xc1], 'ERR Protocol error: command arguments must be strings, binary or numbers, got an unused type byte'],
  ];
  for (const [name, body, expected] of cases) {
    it(`${name}: the commands before it are answered, then "${expected}" and close`, async () => {
      const bytes = Buffer.concat([helloFrame(), commandFrame('PING'), frame(body), commandFrame('SET', 'bad:ran', '1')]);
      const r = await rawUnix(server.nativesocket, bytes);
      expect(r.closed).toBe(true);
      const { frames, rest } = decodeFrames(r.data);
      expect(rest).toBe(0);
      expect(frames.slice(1).map(canon)).toEqual([{ simple: 'PONG' }, { error: expected }]);
      expect(await admin(server, 'EXISTS', 'bad:ran')).toBe(0);
    });
  }

  it('numbers are arguments in decimal; str and bin are bytes', async () => {
    const { c } = await NativeTestClient.greeted(server.nativesocket);
    c.write(frame([0x93, ...mpStr('SET'), ...mpStr('num:k'), 0xd0, 0xfb])); // int8 -5
    expect(canon(await c.next())).toEqual({ simple: 'OK' });
    c.write(frame([0x93, ...mpStr('INCRBY'), 0xc4, 5, ...Buffer.from('num:k'), 0xcd, 0x01, 0x00])); // uint16 256
    expect(canon(await c.next())).toEqual({ int: '251' });
    const f64 = Buffer.alloc(8);
    f64.writeDoubleBE(1.5);
    c.write(frame([0x92, ...mpStr('ECHO'), 0xcb, ...f64]));
    expect(canon(await c.next())).toBe('1.5');
    c.destroy();
  });

  it('a frame cut off by the client closing: nothing of it runs, the server keeps serving', async () => {
    const body = Buffer.concat([commandFrame('SET', 'cut:ran', '1')]);
    const r = await rawUnix(server.nativesocket, Buffer.concat([helloFrame(), body.subarray(0, body.length - 2)]), 300);
    expect(r.closed).toBe(false);
    expect(await admin(server, 'EXISTS', 'cut:ran')).toBe(0);
    await expectStillServing(server);
  });
});

describe('a RESP client on the native socket', () => {
  it('gets a RESP error line that says which socket to use, then close', async () => {
    for (const request of ['*1\r\n$4\r\nPING\r\n', 'PING\r\n']) {
      const r = await rawUnix(server.nativesocket, request);
      expect(r.data.toString('latin1')).toBe(`-${RESP_ON_NATIVE}\r\n`);
      expect(r.closed).toBe(true);
    }
    await expectStillServing(server);
  });

  const redisCli = redisServerPath ? path.join(path.dirname(redisServerPath), 'redis-cli') : undefined;
  it.skipIf(!redisCli || !existsSync(redisCli))('redis-cli -s <native socket> PING prints that error', async () => {
    const { stdout } = await execFileP(redisCli!, ['-s', server.nativesocket, 'PING'], { timeout: 10_000 });
    expect(stdout).toBe(`${RESP_ON_NATIVE}\n\n`);
    const ok = await execFileP(redisCli!, ['-s', server.unixsocket, 'PING'], { timeout: 10_000 });
    expect(ok.stdout).toBe('PONG\n');
  });
});

describe('silent and idle clients', () => {
  it('native-hello-timeout: a native client that sends no hello (or half of one) is closed; a greeted one stays', async () => {
    expect(canon(await admin(server, 'CONFIG', 'SET', 'native-hello-timeout', '300'))).toEqual({ simple: 'OK' });
    try {
      const known = new Set(await clientIds(server));
      const silent = await NativeTestClient.connect(server.nativesocket);
      const half = await NativeTestClient.connect(server.nativesocket);
      half.write(helloFrame().subarray(0, 6));
      const { c: greeted, hello } = await NativeTestClient.greeted(server.nativesocket);
      let newcomers: number[] = [];
      await until(async () => {
        newcomers = (await clientIds(server)).filter((id) => !known.has(id) && id !== hello.id);
        return newcomers.length === 2;
      }, 5000, 'the silent clients appear in CLIENT LIST');
      await within(Promise.all([silent.closed, half.closed]), 5000, 'the server closes the silent clients');
      const ids = await clientIds(server);
      for (const id of newcomers) expect(ids).not.toContain(id);
      expect(ids).toContain(hello.id);
      // As old as the two that were closed, and still served: the timeout is for the hello only.
      expect(greeted.isClosed).toBe(false);
      expect(canon(await greeted.call('PING'))).toEqual({ simple: 'PONG' });
      greeted.destroy();
    } finally {
      await admin(server, 'CONFIG', 'SET', 'native-hello-timeout', '10000');
    }
  });

  it('timeout 1: an idle RESP client (and an idle native one) is closed after about a second', async () => {
    const resp = await within(RespTestClient.connectUnix(server.unixsocket), 5000, 'connect');
    const respId = await resp.call('CLIENT', 'ID');
    const { c: native, hello } = await NativeTestClient.greeted(server.nativesocket);
    const respClosed = new Promise((r) => resp.socket.on('close', r));
    expect(canon(await admin(server, 'CONFIG', 'SET', 'timeout', '1'))).toEqual({ simple: 'OK' });
    try {
      await within(Promise.all([respClosed, native.closed]), 5000, 'the idle clients are closed');
      const ids = await clientIds(server);
      expect(ids).not.toContain(respId);
      expect(ids).not.toContain(hello.id);
    } finally {
      await admin(server, 'CONFIG', 'SET', 'timeout', '0');
    }
    await expectStillServing(server);
  });
});

describe('1,000 simultaneous connections', () => {
  let small: NodisServer;
  beforeAll(async () => {
    small = await startServer({
      config: { port: '0', unixsocket: 'resp-small.sock', nativesocket: 'native-small.sock', dir, maxclients: '1000' },
      logLevel: 'nothing',
    });
  });
  afterAll(async () => { await small?.close(); });

  it('maxclients 1000: all are served and listed, the next native and RESP connections are refused, and closing frees them', async () => {
    const probe = await within(RespTestClient.connectUnix(small.unixsocket), 5000, 'connect');
    const open: net.Socket[] = [];
    const connectOne = (i: number): Promise<void> => new Promise<void>((resolve, reject) => {
      const kind = i % 3; // native with hello, RESP over the Unix socket, RESP over TCP
      const s = kind === 0 ? net.connect(small.nativesocket) : kind === 1 ? net.connect(small.unixsocket) : net.connect(small.port, '127.0.0.1');
      open.push(s);
      s.once('error', reject);
      s.once('data', (d) => {
        const ok = kind === 0 ? helloFields(decodeFrames(d).frames[0] ?? null)?.protocol === 'nodis-native' : d.toString('latin1') === '+PONG\r\n';
        if (ok) resolve();
        else reject(new Error(`unexpected first reply ${JSON.stringify(d.toString('latin1'))}`));
      });
      s.write(kind === 0 ? helloFrame() : '*1\r\n$4\r\nPING\r\n');
    });
    try {
      // 999 more besides the probe, 100 at a time.
      for (let start = 0; start < 999; start += 100) {
        const batch: Promise<void>[] = [];
        for (let i = start; i < Math.min(999, start + 100); i++) batch.push(connectOne(i));
        await within(Promise.all(batch), 15_000, `connections ${start}..`);
      }
      expect(infoField(await probe.call('INFO', 'clients'), 'connected_clients')).toBe(1000);
      expect(String(await probe.call('CLIENT', 'LIST')).split('\n').filter(Boolean).length).toBe(1000);

      const nativeRefused = await rawUnix(small.nativesocket, helloFrame(), 5000);
      expect(nativeRefused.closed).toBe(true);
      expect(decodeFrames(nativeRefused.data).frames.map(canon)).toEqual([{ error: 'ERR max number of clients reached' }]);
      const respRefused = await rawUnix(small.unixsocket, '*1\r\n$4\r\nPING\r\n', 5000);
      expect(respRefused).toEqual({ data: Buffer.from('-ERR max number of clients reached\r\n'), closed: true });
      expect(infoField(await probe.call('INFO', 'stats'), 'rejected_connections')).toBe(2);
      // The refusals took nothing from the ones in.
      expect(canon(await probe.call('PING'))).toEqual({ simple: 'PONG' });
    } finally {
      for (const s of open) s.destroy();
    }
    await until(async () => infoField(await probe.call('INFO', 'clients'), 'connected_clients') === 1, 10_000, 'connected_clients drops back to 1');
    probe.close();
    await expectStillServing(small);
  });
});

describe('client-output-buffer-limit and backpressure', () => {
  const BIG_1M = 'x'.repeat(MB);
  beforeAll(async () => {
    const c = await within(RespTestClient.connectUnix(server.unixsocket), 5000, 'connect');
    await c.call('SET', 'ob:1m', BIG_1M);
    await c.call('SET', 'ob:3m', 'y'.repeat(3_000_000));
    await c.call('SET', 'ob:5m', 'z'.repeat(5_000_000));
    c.close();
  });

  /** A native client (greeted) and a RESP client on the Unix socket, with their ids, that then stop reading. */
  async function nonReaders(): Promise<{ native: NativeTestClient; nativeId: number; resp: RespTestClient; respId: number }> {
    const { c: native, hello } = await NativeTestClient.greeted(server.nativesocket);
    const resp = await within(RespTestClient.connectUnix(server.unixsocket), 5000, 'connect');
    const respId = Number(await resp.call('CLIENT', 'ID'));
    native.socket.pause();
    resp.socket.pause();
    return { native, nativeId: Number(hello.id), resp, respId };
  }

  function sendGets(clients: { native: NativeTestClient; resp: RespTestClient }, key: string, n: number): void {
    const w = new NativeRequestWriter();
    for (let i = 0; i < n; i++) w.command(['GET', key]);
    clients.native.write(Buffer.concat(w.take()));
    clients.resp.socket.write(Buffer.concat(Array.from({ length: n }, () => RespTestClient.encode(['GET', key]))));
  }

  /** The server dropped both (CLIENT LIST), and each socket, read again, reaches its end. */
  async function expectDropped(clients: { native: NativeTestClient; nativeId: number; resp: RespTestClient; respId: number }, ms: number): Promise<void> {
    await until(async () => {
      const ids = await clientIds(server);
      return !ids.includes(clients.nativeId) && !ids.includes(clients.respId);
    }, ms, 'the server drops the clients over their output limit');
    // Paused, the sockets cannot see the end; reading again they get what was in flight, then it.
    const respClosed = new Promise((r) => clients.resp.socket.on('close', r));
    clients.native.socket.resume();
    clients.resp.socket.resume();
    await within(Promise.all([clients.native.closed, respClosed]), 5000, 'the sockets close');
  }

  async function withLimit(limit: string, body: () => Promise<void>): Promise<void> {
    expect(canon(await admin(server, 'CONFIG', 'SET', 'client-output-buffer-limit', limit))).toEqual({ simple: 'OK' });
    try {
      await body();
    } finally {
      await admin(server, 'CONFIG', 'SET', 'client-output-buffer-limit', 'normal 0 0 0');
    }
  }

  it('normal 4mb 2mb 1: a 5 MB reply passes the hard limit, native and RESP clients are closed at once', async () => {
    await withLimit('normal 4mb 2mb 1', async () => {
      const clients = await nonReaders();
      sendGets(clients, 'ob:5m', 10);
      await expectDropped(clients, 10_000);
      expect(infoField(await admin(server, 'INFO', 'clients'), 'connected_clients')).toBe(1);
    });
    await expectStillServing(server);
  });

  it('normal 4mb 2mb 1: 3 MB of unread replies stay over the soft limit for a second, native and RESP clients are closed', async () => {
    await withLimit('normal 4mb 2mb 1', async () => {
      const clients = await nonReaders();
      sendGets(clients, 'ob:3m', 10);
      await expectDropped(clients, 10_000);
    });
    await expectStillServing(server);
  });

  // With a limit configured, backpressure lets the output buffer reach it (connection.ts
  // pauseAt), so a client that never reads is closed as in Redis instead of paused forever.
  it('normal 4mb 2mb 1: GETs of a 1 MB value, never read, close the client as in Redis (hard, or soft after a second)', async () => {
    await withLimit('normal 4mb 2mb 1', async () => {
      const clients = await nonReaders();
      try {
        sendGets(clients, 'ob:1m', 50);
        await until(async () => {
          const ids = await clientIds(server);
          return !ids.includes(clients.nativeId) && !ids.includes(clients.respId);
        }, 3000, 'the server drops the clients over their output limit');
      } finally {
        clients.native.destroy();
        clients.resp.close();
      }
    });
  });

  it('normal 0 0 0 (the default): 500 unread GETs of 1 MB do not disconnect, and backpressure bounds the memory', async () => {
    expect(String(await admin(server, 'CONFIG', 'GET', 'client-output-buffer-limit'))).toContain('normal 0 0 0');
    const before = process.memoryUsage();
    const clients = await nonReaders();
    try {
      // 2 x 500 MB of replies if the owner buffered them.
      sendGets(clients, 'ob:1m', 500);
      // Waiting is the point here: past the cron's many checks (hz 10), they are still connected.
      await new Promise((r) => setTimeout(r, 2000));
      const ids = await clientIds(server);
      expect(ids).toContain(clients.nativeId);
      expect(ids).toContain(clients.respId);
      expect(clients.native.isClosed).toBe(false);
      // CLIENT LIST shows the unsent replies as Redis lays them out: 16 KiB in obl, the rest
      // in 16 KiB blocks (oll, omem). Backpressure holds about 1 MiB, and at least one reply.
      const list = String(await admin(server, 'CLIENT', 'LIST'));
      for (const id of [clients.nativeId, clients.respId]) {
        const line = list.split('\n').find((l) => l.startsWith(`id=${id} `))!;
        const field = (name: string): number => Number(new RegExp(` ${name}=(\\d+)`).exec(line)![1]);
        expect(field('obl')).toBe(16 * 1024);
        expect(field('omem')).toBeGreaterThan(MB / 2);
        expect(field('omem')).toBeLessThan(4 * MB);
        expect(field('oll')).toBe(Math.ceil(field('omem') / (16 * 1024)));
      }
      const after = process.memoryUsage();
      expect(after.rss - before.rss).toBeLessThan(100 * MB);
      // Another client is served meanwhile.
      expect(canon(await admin(server, 'GET', 'ob:1m'))).toBe(BIG_1M);
    } finally {
      clients.native.destroy();
      clients.resp.close();
    }
    await expectStillServing(server);
  });

  it('a native client that stops reading, then reads again, gets every reply in order', async () => {
    const { c } = await NativeTestClient.greeted(server.nativesocket);
    c.socket.pause();
    const w = new NativeRequestWriter();
    for (let i = 0; i < 20; i++) {
      w.command(['GET', 'ob:1m']);
      w.command(['ECHO', String(i)]);
    }
    c.write(Buffer.concat(w.take()));
    await expectStillServing(server);
    c.socket.resume();
    for (let i = 0; i < 20; i++) {
      const big = await c.next(10_000);
      expect(Buffer.isBuffer(big) && big.length === MB && big.every((b) => b === 0x78)).toBe(true);
      expect(canon(await c.next(10_000))).toBe(String(i));
    }
    c.destroy();
  });
});

describe.skipIf(!redisAvailable)('CONFIG GET/SET client-output-buffer-limit, against redis-server', () => {
  let redis: RedisProcess;
  let nodis: NodisServer;
  let a: RespTestClient;
  let b: RespTestClient;
  beforeAll(async () => {
    [redis, nodis] = await Promise.all([
      startRedis(),
      startServer({ config: { port: '0', unixsocket: 'resp-config.sock', dir }, logLevel: 'nothing' }),
    ]);
    a = await RespTestClient.connectUnix(nodis.unixsocket);
    b = await RespTestClient.connect(redis.port);
  });
  afterAll(async () => {
    a?.close();
    b?.close();
    await Promise.all([nodis?.close(), redis?.stop()]);
  });

  /** The same command on both: byte-identical replies (canon keeps kinds apart). */
  async function same(...argv: string[]): Promise<unknown> {
    const [x, y] = await Promise.all([a.call(...argv), b.call(...argv)]);
    expect(canon(x), argv.join(' ')).toEqual(canon(y));
    return canon(x);
  }

  it('the default value', async () => {
    expect(await same('CONFIG', 'GET', 'client-output-buffer-limit')).toEqual([
      'client-output-buffer-limit', 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60',
    ]);
  });

  const values: string[] = [
    // The brief's cases.
    'normal 1mb 512kb 10', 'pubsub 32mb 8mb 60 normal 0 0 0',
    'normal 1mb', 'master 1 1 1', 'bogus 1 1 1', 'normal x 1 1', 'normal 1 1 -1',
    // Units (k = 1000, kb = 1024, any case), classes (any case, replica = slave), repeats.
    'NORMAL 1K 1KB 5', 'normal 1G 2gB 3', 'normal 1B 1 1', 'replica 1 2 3', 'Slave 5 5 5', 'normal 1mb 1 1 normal 2 2 2',
    // Errors: counts, classes, values; nothing is applied when any group is bad.
    'normal 1 1 1 bogus 1 1 1', 'normal 1 1 1 pubsub x 1 1', 'normal 1 x 1', 'normal 1 1 x', 'normal 1 1 1.5', 'normal -1 1 1',
    'normal +1 1 1', 'normal 1.5mb 1 1', 'normal 0x10 1 1', 'normal 1 1 1x', 'normal 1 1 0x1', 'normal 1 1 +', 'normal 1 1 -',
    'normal 1 1 - 5', 'constructor 1 1 1', 'normal 1constructor 1 1', 'normal 1__proto__ 1 1', '__proto__ 1 1 1',
    // Splitting on single spaces: a doubled or edge space is an (empty) word.
    'normal  1 1 1', ' normal 1 1 1', 'normal 1 1 1 ', 'normal  1 1', 'normal 1 1 ', '',
    // memtoull: saturation past 2^64-1, a unit multiplying modulo 2^64, 128 digits refused, a unit alone is 0.
    'normal 18446744073709551615 1 1', 'normal 18446744073709551616 1 1', 'normal 99999999999gb 1 1',
    'normal 18446744073709551615gb 1 1', `normal ${'1'.repeat(127)} 1 1`, `normal ${'0'.repeat(127)} 1 1`,
    `normal ${'0'.repeat(128)} 1 1`, 'normal mb kb 1',
    // Soft seconds: strtoll into a C int (whitespace, sign, saturation, the low 32 bits), negative refused.
    'normal 1 1 +1', 'normal 1 1 01', 'normal 1 1 -0', 'normal 1 1 2147483647', 'normal 1 1 2147483648',
    'normal 1 1 4294967296', 'normal 1 1 -2147483649', 'normal 1 1 9999999999999999999', 'normal 1 1 -9223372036854775808',
    'normal 1 1 99999999999999999999999', 'normal 1 1 \t5', 'normal 1 1 \v7', 'normal 1 1 \t', `normal 1 1 ${'0'.repeat(40)}9`,
  ];
  it.each(values.map((v) => [JSON.stringify(v).slice(0, 60), v] as const))('CONFIG SET %s, then CONFIG GET', async (_name, value) => {
    await same('CONFIG', 'SET', 'client-output-buffer-limit', value);
    await same('CONFIG', 'GET', 'client-output-buffer-limit');
  });

  it('wrong argument counts', async () => {
    await same('CONFIG', 'SET', 'client-output-buffer-limit');
    await same('CONFIG', 'SET', 'client-output-buffer-limit', 'normal', '1', '1', '1');
  });
});
