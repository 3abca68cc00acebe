import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { connect, ReplyError } from '@nodis/client';
import { startServer } from '@nodis/server';
import { parseRespUrl } from '../packages/client/src/transports/resp.js';
import { freePort, redisAvailable, startRedis } from './helpers/redis.js';

/**
 * The resp transport's own behaviour: URLs, the AUTH/SELECT handshake, Unix sockets, and what
 * happens when the server goes away and comes back. The command API over it is covered with
 * every other transport in client-api.test.ts.
 */

const dir = mkdtempSync(path.join(tmpdir(), 'nodis-resp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('resp URLs', () => {
  it('reads host, port, credentials and database', () => {
    expect(parseRespUrl('redis://localhost')).toMatchObject({ host: 'localhost', port: 6379, db: 0 });
    expect(parseRespUrl('redis://:s3cr%40t@127.0.0.1:7379/3')).toMatchObject({ host: '127.0.0.1', port: 7379, db: 3, password: 's3cr@t' });
    expect(parseRespUrl('redis://ann:pw@[::1]:6380')).toMatchObject({ host: '::1', port: 6380, username: 'ann', password: 'pw' });
    expect(parseRespUrl('redis+unix:///run/app/redis.sock?db=2')).toMatchObject({ path: '/run/app/redis.sock', db: 2 });
    expect(parseRespUrl('redis+unix:///run/r.sock?password=p%26w&username=ann')).toMatchObject({ path: '/run/r.sock', password: 'p&w', username: 'ann' });
  });

  it('refuses what it cannot use, saying why', () => {
    expect(() => parseRespUrl('not a url')).toThrow('is not a URL');
    expect(() => parseRespUrl('redis://h/x')).toThrow("database 'x'");
    expect(() => parseRespUrl('http://h')).toThrow("'http:' URLs are not this transport's (redis:// or redis+unix://)");
  });

  it('connect() gives a clear error for an unknown transport, and for a refused port', async () => {
    await expect(connect('http://localhost/')).rejects.toThrow("no transport for 'http://localhost/'");
    const port = await freePort();
    await expect(connect(`redis://127.0.0.1:${port}`, { connectTimeout: 2000 })).rejects.toThrow(`could not connect to 127.0.0.1:${port}`);
  });
});

describe('resp handshake and sockets (nodis)', () => {
  it('authenticates, selects the database, and works over a Unix socket', async () => {
    const server = await startServer({ config: { port: '0', unixsocket: 'nodis.sock', dir, requirepass: 'pw' }, logLevel: 'nothing' });
    try {
      await expect(connect(`redis://127.0.0.1:${server.port}`).then((db) => db.get('k'))).rejects.toThrow('NOAUTH');
      await expect(connect(`redis://:wrong@127.0.0.1:${server.port}`)).rejects.toBeInstanceOf(ReplyError);
      const tcp = await connect(`redis://:pw@127.0.0.1:${server.port}/5`);
      const unix = await connect(`redis+unix://${server.unixsocket}?db=5&password=pw`);
      try {
        expect(await tcp.set('k', 'v')).toBe('OK');
        expect(await unix.get('k')).toBe('v');
        expect(await unix.call('CLIENT', 'INFO')).toMatch(/ db=5 /);
      } finally {
        await tcp.close();
        await unix.close();
      }
    } finally {
      await server.close();
    }
  });
});

describe.skipIf(!redisAvailable)('resp against redis-server', () => {
  it('authenticates with a password and selects a database on a real Redis', async () => {
    const redis = await startRedis(['--requirepass', 'pw']);
    try {
      const db = await connect(`redis://:pw@127.0.0.1:${redis.port}/4`);
      try {
        expect(await db.set('k', 'v')).toBe('OK');
        expect(await db.call('CLIENT', 'INFO')).toMatch(/ db=4 /);
      } finally {
        await db.close();
      }
      await expect(connect(`redis://:nope@127.0.0.1:${redis.port}`)).rejects.toThrow('WRONGPASS');
    } finally {
      await redis.stop();
    }
  });

  it('a lost connection fails the calls in flight, and the next call reconnects', async () => {
    const redis = await startRedis();
    const db = await connect(`redis://127.0.0.1:${redis.port}`);
    const killer = await connect(`redis://127.0.0.1:${redis.port}`);
    try {
      expect(await db.incr('n')).toBe(1);
      const blocked = db.blpop('q', '0').then(() => 'resolved', (e: unknown) => e);
      await killer.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
      const err = await blocked;
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toContain('was lost; the call may or may not have run');
      // Not re-sent behind our back, and the next call finds a fresh connection.
      expect(await db.incr('n')).toBe(2);
      expect(await db.llen('q')).toBe(0);
    } finally {
      await db.close();
      await killer.close();
      await redis.stop();
    }
  });
});

describe('resp to a restarted nodis', () => {
  it('calls fail clearly while the server is down and work again once it is back', async () => {
    const port = await freePort();
    const config = { port: String(port), unixsocket: '', dir };
    let server = await startServer({ config, logLevel: 'nothing' });
    const db = await connect(`redis://127.0.0.1:${port}`, { connectTimeout: 2000 });
    try {
      expect(await db.incr('n')).toBe(1);
      await server.close();
      await expect(db.incr('n')).rejects.toThrow(/was lost|could not connect/);
      await expect(db.incr('n')).rejects.toThrow('could not connect');
      server = await startServer({ config, logLevel: 'nothing' });
      // Persistence is off: the store starts empty. The backoff after failures is at most 2 s.
      let value: unknown;
      for (let i = 0; i < 40 && value === undefined; i++) {
        value = await db.incr('n').catch(() => undefined);
        if (value === undefined) await new Promise((r) => setTimeout(r, 100));
      }
      expect(value).toBe(1);
    } finally {
      await db.close();
      await server.close();
    }
  });
});

describe('resp commandTimeout', () => {
  it('a late reply rejects its call and is dropped, so later calls still get their own replies', async () => {
    // A server that answers the first command only once the second arrives (after the client
    // gave up on it), then the second at once: replies in order, as a real server sends them.
    const replies: string[] = [];
    let connections = 0;
    const server = net.createServer((socket) => {
      connections++;
      let seen = 0;
      socket.on('data', (chunk) => {
        const commands = chunk.toString('latin1').split('*').length - 1;
        for (let i = 0; i < commands; i++) {
          seen++;
          if (seen === 2) {
            replies.push('late', 'second');
            socket.write('+LATE\r\n:2\r\n');
          }
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as net.AddressInfo;
    const db = await connect(`redis://127.0.0.1:${port}`, { commandTimeout: 300 });
    try {
      await expect(db.call('PING')).rejects.toThrow('no reply from 127.0.0.1');
      expect(await db.call('INCR', 'n')).toBe(2);
      expect(replies).toEqual(['late', 'second']);
      expect(connections).toBe(1); // the timeout did not cost the connection
    } finally {
      await db.close();
      await new Promise((r) => server.close(r));
    }
  });

  it('does not cut a blocking command short', async () => {
    const server = await startServer({ config: { port: '0', unixsocket: '', dir }, logLevel: 'nothing' });
    const db = await connect(`redis://127.0.0.1:${server.port}`, { commandTimeout: 50 });
    try {
      expect(await db.blpop('q', '0.3')).toBeNull();
      expect(await db.ping()).toBe('PONG');
    } finally {
      await db.close();
      await server.close();
    }
  });
});

describe("resp pointed at nodis's native socket", () => {
  it('fails with the native listener\'s protocol error naming unix://, not a hang', async () => {
    const server = await startServer({ config: { port: '0', unixsocket: '', nativesocket: 'native.sock', dir }, logLevel: 'nothing' });
    try {
      const hint = 'Protocol error: this socket speaks the nodis native protocol (unix:// in @nodis/client)';
      // With no handshake to run, connect() succeeds; the first command is refused.
      const db = await connect(`redis+unix://${server.nativesocket}`, { connectTimeout: 2000 });
      try {
        await expect(db.ping()).rejects.toThrow(hint);
      } finally {
        await db.close();
      }
      // With SELECT in the handshake, connect() itself rejects.
      await expect(connect(`redis+unix://${server.nativesocket}?db=2`, { connectTimeout: 2000 })).rejects.toThrow(hint);
    } finally {
      await server.close();
    }
  });
});
