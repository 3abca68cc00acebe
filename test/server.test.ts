import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ReplyError, SimpleString } from '@nodis/protocol';
import { startServer, type NodisServer } from '@nodis/server';
import { RespTestClient, rawExchange } from './helpers/resp-client.js';

/**
 * The RESP server end to end: the owner thread, TCP and Unix listeners, connection handling,
 * and the hostile inputs of RELIABILITY.md that concern the connection layer.
 */

let server: NodisServer;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'nodis-server-'));
  server = await startServer({ config: { port: '0', dir, unixsocket: 'nodis.sock' }, logLevel: 'nothing' });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('listeners', () => {
  it('serves RESP on loopback TCP', async () => {
    const c = await RespTestClient.connect(server.port);
    expect(await c.call('PING')).toEqual(new SimpleString('PONG'));
    expect(await c.call('SET', 'k', 'v')).toEqual(new SimpleString('OK'));
    expect(await c.call('GET', 'k')).toBe('v');
    c.close();
  });

  it('serves RESP on the Unix socket in the data directory, same keyspace', async () => {
    expect(server.unixsocket).toBe(path.join(dir, 'nodis.sock'));
    const tcp = await RespTestClient.connect(server.port);
    await tcp.call('SET', 'shared', 'yes');
    const unix = await RespTestClient.connectUnix(server.unixsocket);
    expect(await unix.call('GET', 'shared')).toBe('yes');
    tcp.close();
    unix.close();
  });

  it('answers a pipelined batch in order', async () => {
    const c = await RespTestClient.connect(server.port);
    const cmds: string[][] = [];
    for (let i = 0; i < 500; i++) cmds.push(['INCR', 'pipe:counter']);
    const replies = await c.pipeline(cmds);
    expect(replies).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    c.close();
  });

  it('is binary safe over the wire', async () => {
    const c = await RespTestClient.connect(server.port);
    const bytes = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('');
    await c.call('SET', 'bin\r\n\0key', bytes);
    expect(await c.call('GET', 'bin\r\n\0key')).toBe(bytes);
    c.close();
  });

  it('QUIT replies OK and closes the connection', async () => {
    const r = await rawExchange(server.port, '*1\r\n$4\r\nQUIT\r\n*1\r\n$4\r\nPING\r\n');
    expect(r.data).toBe('+OK\r\n');
    expect(r.closed).toBe(true);
  });

  it('accepts inline commands', async () => {
    const r = await rawExchange(server.port, 'PING\r\nECHO "a b"\r\nQUIT\r\n');
    expect(r.data).toBe('+PONG\r\n$3\r\na b\r\n+OK\r\n');
  });
});

describe('hostile input (RELIABILITY.md)', () => {
  const cases: [string, string, string][] = [
    ['multibulk count of 3e9', '*3000000000\r\n', '-ERR Protocol error: invalid multibulk length\r\n'],
    ['bulk length above 512 MiB', '*1\r\n$600000000\r\n', '-ERR Protocol error: invalid bulk length\r\n'],
    ['bulk length of 2^40', '*1\r\n$1099511627776\r\n', '-ERR Protocol error: invalid bulk length\r\n'],
    ['negative bulk length', '*1\r\n$-10\r\n', '-ERR Protocol error: invalid bulk length\r\n'],
    ['non-numeric bulk length', '*1\r\n$blabla\r\n', '-ERR Protocol error: invalid bulk length\r\n'],
    ['missing $', '*1\r\nfoo\r\n', "-ERR Protocol error: expected '$', got 'f'\r\n"],
    ['nested arrays', '*1\r\n*1\r\n$4\r\nPING\r\n', "-ERR Protocol error: expected '$', got '*'\r\n"],
    ['unbalanced quotes inline', 'set "a b\r\n', '-ERR Protocol error: unbalanced quotes in request\r\n'],
  ];
  for (const [name, input, expected] of cases) {
    it(`${name}: Redis's error, connection closed`, async () => {
      const r = await rawExchange(server.port, input, 2000);
      expect(r.data).toBe(expected);
      expect(r.closed).toBe(true);
    });
  }

  it('a bulk longer than declared is refused (stricter than Redis)', async () => {
    const r = await rawExchange(server.port, '*2\r\n$4\r\nECHO\r\n$1\r\nabc\r\n', 2000);
    expect(r.data.startsWith('-ERR Protocol error')).toBe(true);
    expect(r.closed).toBe(true);
  });

  it('70 KB inline without newline: too big inline request', async () => {
    const r = await rawExchange(server.port, 'a'.repeat(70 * 1024), 2000);
    expect(r.data).toBe('-ERR Protocol error: too big inline request\r\n');
    expect(r.closed).toBe(true);
  });

  it('* then 70 KB of digits: too big mbulk count string', async () => {
    const r = await rawExchange(server.port, '*' + '1'.repeat(70 * 1024), 2000);
    expect(r.data).toBe('-ERR Protocol error: too big mbulk count string\r\n');
    expect(r.closed).toBe(true);
  });

  it('NUL then 200 KB of junk: protocol error within 64 KiB', async () => {
    const r = await rawExchange(server.port, Buffer.concat([Buffer.from([0]), Buffer.alloc(200 * 1024, 0x41)]), 2000);
    expect(r.data.startsWith('-ERR Protocol error')).toBe(true);
    expect(r.closed).toBe(true);
  });

  it('empty requests are ignored', async () => {
    const r = await rawExchange(server.port, '\r\n*0\r\n*-10\r\nPING\r\nQUIT\r\n');
    expect(r.data).toBe('+PONG\r\n+OK\r\n');
  });

  it('a half-sent command followed by a close leaves the server serving, no data lost', async () => {
    const c = await RespTestClient.connect(server.port);
    await c.call('SET', 'survivor', '1');
    const s = net.connect(server.port, '127.0.0.1');
    await new Promise((r) => s.on('connect', r));
    s.end('*3\r\n$3\r\nSET\r\n$8\r\nsurvivor\r\n$5\r\nhal');
    await new Promise((r) => s.on('close', r));
    expect(await c.call('GET', 'survivor')).toBe('1');
    c.close();
  });

  it('the server keeps serving other clients through all of the above', async () => {
    const c = await RespTestClient.connect(server.port);
    expect(await c.call('PING')).toEqual(new SimpleString('PONG'));
    c.close();
  });
});

describe('requirepass', () => {
  let secured: NodisServer;
  beforeAll(async () => {
    secured = await startServer({ config: { port: '0', unixsocket: '', dir, requirepass: 's3cret' }, logLevel: 'nothing' });
  });
  afterAll(async () => { await secured.close(); });

  it('answers NOAUTH before AUTH and serves after', async () => {
    const c = await RespTestClient.connect(secured.port);
    expect(await c.call('GET', 'k')).toEqual(new ReplyError('NOAUTH Authentication required.'));
    expect(await c.call('AUTH', 'wrong')).toEqual(new ReplyError('WRONGPASS invalid username-password pair or user is disabled.'));
    expect(await c.call('AUTH', 's3cret')).toEqual(new SimpleString('OK'));
    expect(await c.call('PING')).toEqual(new SimpleString('PONG'));
    c.close();
  });

  it('limits unauthenticated requests like Redis', async () => {
    const many = await rawExchange(secured.port, '*11\r\n', 2000);
    expect(many.data).toBe('-ERR Protocol error: unauthenticated multibulk length\r\n');
    const big = await rawExchange(secured.port, `*2\r\n$3\r\nGET\r\n$${16 * 1024 + 1}\r\n`, 2000);
    expect(big.data).toBe('-ERR Protocol error: unauthenticated bulk length\r\n');
  });
});

describe('replies larger than the backpressure limit', () => {
  it('one read whose replies pass 1 MiB is answered in full, over TCP and the Unix socket', async () => {
    // 20 GETs of 100 KB in one write: 2 MB of replies. The owner stops at its 1 MiB soft limit,
    // flushes, and must go on by itself when the socket takes it all at once (no 'drain' then).
    const setup = await RespTestClient.connect(server.port);
    await setup.call('SET', 'big100k', 'v'.repeat(100_000));
    setup.close();
    const gets = Buffer.from(RespTestClient.encode(['GET', 'big100k']).toString('latin1').repeat(20), 'latin1');
    for (const c of [await RespTestClient.connect(server.port), await RespTestClient.connectUnix(server.unixsocket)]) {
      const replies = await c.pipeline(Array.from({ length: 20 }, () => ['GET', 'big100k']));
      expect(replies.length).toBe(20);
      expect(replies.every((r) => r === 'v'.repeat(100_000))).toBe(true);
      c.close();
    }
    const raw = await rawExchange(server.port, gets, 3000);
    expect(raw.data.split('$100000\r\n').length - 1).toBe(20);
  });
});

describe('limits and lifecycle', () => {
  it('maxclients refuses the extra connection with Redis\'s error', async () => {
    const small = await startServer({ config: { port: '0', unixsocket: '', dir, maxclients: '2' }, logLevel: 'nothing' });
    const a = await RespTestClient.connect(small.port);
    const b = await RespTestClient.connect(small.port);
    await a.call('PING');
    await b.call('PING');
    const r = await rawExchange(small.port, '', 2000);
    expect(r.data).toBe('-ERR max number of clients reached\r\n');
    a.close();
    b.close();
    await small.close();
  });

  it('SHUTDOWN stops the server and closes its listeners', async () => {
    const sock = path.join(dir, 'shut.sock');
    const s = await startServer({ config: { port: '0', dir, unixsocket: sock }, logLevel: 'nothing' });
    const c = await RespTestClient.connect(s.port);
    void c.call('SHUTDOWN', 'NOSAVE').catch(() => undefined);
    await s.closed;
    const refused = await new Promise<boolean>((resolve) => {
      const x = net.connect(s.port, '127.0.0.1');
      x.on('connect', () => { x.destroy(); resolve(false); });
      x.on('error', () => resolve(true));
    });
    expect(refused).toBe(true);
    expect(existsSync(sock)).toBe(false);
  });

  it('a client that does not read its replies is paused, not buffered without bound', async () => {
    const s = net.connect(server.port, '127.0.0.1');
    await new Promise((r) => s.on('connect', r));
    s.pause();
    const big = 'x'.repeat(512 * 1024);
    const setup = await RespTestClient.connect(server.port);
    await setup.call('SET', 'bigvalue', big);
    // 400 GETs of 512 KiB = 200 MiB of replies if the owner buffered them all.
    const get = RespTestClient.encode(['GET', 'bigvalue']);
    for (let i = 0; i < 400; i++) s.write(get);
    await new Promise((r) => setTimeout(r, 300));
    const info = await setup.call('INFO', 'memory');
    const used = Number(/used_memory:(\d+)/.exec(String(info))?.[1]);
    expect(used).toBeGreaterThan(0);
    expect(used).toBeLessThan(150 * 1024 * 1024);
    // Other clients are still served promptly.
    expect(await setup.call('PING')).toEqual(new SimpleString('PONG'));
    s.destroy();
    setup.close();
  });
});
