import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { connect, createMemoryStore, ReplyError, type Nodis } from '@nodis/client';
import { startServer, type NodisServer } from '@nodis/server';
import { decodeCommand, decodeValue, FrameSplitter, helloFields, NativeWriter, type Reply } from '@nodis/protocol';
import { parseSocketUrl } from '../packages/client/src/transports/socket.js';
import { redisAvailable, startRedis, type RedisProcess } from './helpers/redis.js';

/**
 * The socket transport (nodis's native protocol over a Unix socket, `unix:///path`) and what it
 * shares with the resp transport (transports/stream.ts): URLs and the handshake, protocol
 * version checks, a server that dies and comes back, connect and command timeouts, AbortSignal
 * per call (over socket, resp to nodis, resp to a real Redis, and the memory transport), and
 * automatic pipelining. Every wait is bounded (`within`): a hang fails its test, not the run.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
const serverBin = path.join(here, '..', 'packages', 'server', 'dist', 'bin.js');

const dir = mkdtempSync(path.join(tmpdir(), 'nodis-sock-'));
let seq = 0;
/** A fresh socket path for a fake server. */
const sockPath = (name: string): string => path.join(dir, `${name}-${++seq}.sock`);
/** A fresh key, so tests sharing a server never see each other's data. */
const key = (name: string): string => `${name}:${++seq}`;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** p, or a rejection naming `what` if it has not settled within ms (a hang fails the test). */
/** A Unix socket server that accepts connections and never answers. */
async function muteServer(name: string): Promise<{ path: string; accepted: net.Socket[]; close: () => Promise<void> }> {
  const path = sockPath(name);
  const accepted: net.Socket[] = [];
  const mute = net.createServer((s) => { accepted.push(s); s.on('error', () => {}); });
  await new Promise<void>((r) => mute.listen(path, r));
  const close = async (): Promise<void> => {
    for (const s of accepted) s.destroy();
    await new Promise((r) => mute.close(r));
  };
  return { path, accepted, close };
}

function within<T>(p: Promise<T>, ms: number, what = 'the call'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`TEST: ${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: Error };
const outcome = (p: Promise<unknown>): Promise<Outcome> =>
  p.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error: error as Error }));

/** Polls until check() is true (bounded). */
async function until(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`TEST: ${what} did not happen within ${ms} ms`);
    await sleep(5);
  }
}

// ---------------------------------------------------------------------------------------------
// Fake native servers: read the client's frames, answer with NativeWriter.

interface Fake {
  path: string;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Command frames received (after the hello), every connection. */
  readonly commands: string[][];
  close(): Promise<void>;
}

interface FakeConnection {
  socket: net.Socket;
  /** Writes one or more replies: write(w) calls NativeWriter methods. */
  reply(write: (w: NativeWriter) => void): void;
}

/**
 * A native-protocol server on a fresh Unix socket. onHello gets the client's hello fields;
 * onCommand each command frame. Neither answers unless it calls conn.reply.
 */
async function fakeNative(handlers: {
  onHello(conn: FakeConnection, fields: Record<string, Reply> | undefined): void;
  onCommand?(conn: FakeConnection, argv: string[], index: number): void;
}): Promise<Fake> {
  const p = sockPath('fake');
  let connections = 0;
  const commands: string[][] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const conn: FakeConnection = {
      socket,
      reply(write) {
        const w = new NativeWriter();
        write(w);
        if (!socket.destroyed) socket.write(Buffer.from(w.take()));
      },
    };
    const splitter = new FrameSplitter();
    let frames = 0;
    socket.on('data', (chunk: Buffer) => {
      splitter.feed(chunk, () => undefined, (buf, start, end) => {
        if (frames++ === 0) {
          handlers.onHello(conn, helloFields(decodeValue(buf, start, end)));
        } else {
          const argv = decodeCommand(buf, start, end, 512 * 1024 * 1024);
          commands.push(argv);
          handlers.onCommand?.(conn, argv, commands.length - 1);
        }
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(p, resolve));
  return {
    path: p,
    get connections() { return connections; },
    commands,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/** The hello a version-1 nodis server sends. */
const goodHello = (conn: FakeConnection): void =>
  conn.reply((w) => w.hello({ protocol: 'nodis-native', version: 1, server: 'fake', id: 7 }));

// ---------------------------------------------------------------------------------------------
// One in-process nodis for most tests (RESP and native sockets), a real Redis when installed.

let server: NodisServer;
let redis: RedisProcess | undefined;

beforeAll(async () => {
  server = await startServer({ config: { port: '0', unixsocket: 'r.sock', nativesocket: 'n.sock', dir }, logLevel: 'nothing' });
  if (redisAvailable) redis = await startRedis();
  else process.stderr.write('NOTE: redis-server is not installed: the AbortSignal tests over resp to a real Redis are SKIPPED\n');
});

afterAll(async () => {
  await server?.close();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const nativeUrl = (query = ''): string => `unix://${server.nativesocket}${query}`;

/** Clients opened by a test, closed after it (even when it fails). */
async function withClients(open: () => Promise<Nodis>, n: number, body: (...dbs: Nodis[]) => Promise<void>): Promise<void> {
  const dbs: Nodis[] = [];
  try {
    for (let i = 0; i < n; i++) dbs.push(await open());
    await body(...dbs);
  } finally {
    await Promise.all(dbs.map((d) => within(d.close(), 5000, 'close()').catch(() => {})));
  }
}

// ---------------------------------------------------------------------------------------------

describe('socket URLs', () => {
  it('reads the socket path, database and credentials', () => {
    expect(parseSocketUrl('unix:///abs/path/nodis-native.sock')).toMatchObject({ path: '/abs/path/nodis-native.sock', db: 0, display: '/abs/path/nodis-native.sock' });
    expect(parseSocketUrl('unix:///abs/path/nodis-native.sock')).not.toHaveProperty('password');
    expect(parseSocketUrl('unix:///run/n.sock?db=2')).toMatchObject({ path: '/run/n.sock', db: 2 });
    expect(parseSocketUrl('unix:///run/n.sock?password=p%26w%3D&username=ann')).toMatchObject({ path: '/run/n.sock', db: 0, password: 'p&w=', username: 'ann' });
    expect(parseSocketUrl('unix:///run/n.sock?db=15&password=pw')).toMatchObject({ db: 15, password: 'pw' });
    // Percent-encoding in the path (a space, a non-ASCII directory name).
    expect(parseSocketUrl('unix:///tmp/my%20dir/caf%C3%A9/n.sock').path).toBe('/tmp/my dir/café/n.sock');
  });

  it('refuses what it cannot use, saying why', () => {
    expect(() => parseSocketUrl('not a url')).toThrow("'not a url' is not a URL");
    expect(() => parseSocketUrl('unix:///run/n.sock?db=x')).toThrow("database 'x' in 'unix:///run/n.sock?db=x' is not a number");
    expect(() => parseSocketUrl('unix:///run/n.sock?db=-1')).toThrow("database '-1'");
    expect(() => parseSocketUrl('redis://localhost:6379')).toThrow("'redis:' URLs are not this transport's (unix://)");
    expect(() => parseSocketUrl('redis+unix:///run/r.sock')).toThrow("'redis+unix:' URLs are not this transport's (unix://)");
    expect(() => parseSocketUrl('unix://')).toThrow('names no socket path');
  });

  it('connect(unix:///path?db=3) selects database 3', async () => {
    const k = key('dbsel');
    await withClients(() => connect(nativeUrl('?db=3')), 1, async (db3) => {
      await withClients(() => connect(nativeUrl()), 1, async (db0) => {
        expect(await db3.call('CLIENT', 'INFO')).toMatch(/ db=3 /);
        expect(await db0.call('CLIENT', 'INFO')).toMatch(/ db=0 /);
        expect(await db3.set(k, 'three')).toBe('OK');
        expect(await db0.get(k)).toBeNull();
        // The same key seen from database 3 over RESP.
        const resp3 = await connect(`redis+unix://${server.unixsocket}?db=3`);
        try {
          expect(await resp3.get(k)).toBe('three');
        } finally {
          await resp3.close();
        }
      });
    });
  });

  it('authenticates with requirepass; a wrong password rejects with WRONGPASS', async () => {
    const authDir = mkdtempSync(path.join(dir, 'auth-'));
    const guarded = await startServer({ config: { port: '0', unixsocket: '', nativesocket: 'n.sock', dir: authDir, requirepass: 'pw' }, logLevel: 'nothing' });
    try {
      const base = `unix://${guarded.nativesocket}`;
      // No password: the connection opens, commands are refused.
      await withClients(() => connect(base), 1, async (db) => {
        await expect(db.get('k')).rejects.toThrow('NOAUTH Authentication required.');
      });
      await withClients(() => connect(`${base}?password=pw&db=2`), 1, async (db) => {
        expect(await db.set('k', 'v')).toBe('OK');
        expect(await db.call('CLIENT', 'INFO')).toMatch(/ db=2 /);
      });
      await withClients(() => connect(`${base}?username=default&password=pw`), 1, async (db) => {
        expect(await db.ping()).toBe('PONG');
      });
      const wrong = connect(`${base}?password=nope`);
      await expect(wrong).rejects.toBeInstanceOf(ReplyError);
      await expect(wrong).rejects.toThrow('WRONGPASS invalid username-password pair or user is disabled.');
    } finally {
      await guarded.close();
    }
  });
});

describe('socket handshake: protocol versions and the wrong kind of socket', () => {
  it('a server of protocol version 2 is refused, naming both versions', async () => {
    const fake = await fakeNative({ onHello: (conn) => conn.reply((w) => w.hello({ protocol: 'nodis-native', version: 2, server: 'future', id: 1 })) });
    try {
      const err = await within(connect(`unix://${fake.path}`, { connectTimeout: 2000 }).then(() => undefined, (e: Error) => e), 5000, 'connect');
      expect(err).toBeInstanceOf(Error);
      expect(err!.message).toContain(fake.path);
      expect(err!.message).toContain('protocol version 2');
      expect(err!.message).toContain('speaks version 1');
      expect(err!.message).toContain('upgrade');
      expect(fake.commands).toEqual([]); // nothing was sent after the refused hello
    } finally {
      await fake.close();
    }
  });

  it('the client sends a version-1 hello that names itself', async () => {
    let hello: Record<string, Reply> | undefined;
    const fake = await fakeNative({ onHello: (conn, fields) => { hello = fields; goodHello(conn); } });
    try {
      const db = await within(connect(`unix://${fake.path}`, { connectTimeout: 2000 }), 5000, 'connect');
      await db.close();
      expect(hello).toMatchObject({ protocol: 'nodis-native', version: 1 });
      expect(String(hello!.client)).toContain('@nodis/client');
    } finally {
      await fake.close();
    }
  });

  it('a server that answers the hello with an error frame is refused with its text', async () => {
    const fake = await fakeNative({
      onHello: (conn) => {
        conn.reply((w) => w.error('NOPROTO this server speaks nodis-native version 3 only'));
        conn.socket.end();
      },
    });
    try {
      const connecting = within(connect(`unix://${fake.path}`, { connectTimeout: 2000 }), 5000, 'connect');
      await expect(connecting).rejects.toThrow('NOPROTO this server speaks nodis-native version 3 only');
      await expect(connecting).rejects.toThrow(`${fake.path} refused the connection`);
    } finally {
      await fake.close();
    }
  });

  it('a hello answer that is not a nodis-native hello is refused', async () => {
    const fake = await fakeNative({ onHello: (conn) => conn.reply((w) => w.hello({ protocol: 'something-else', version: 1 })) });
    try {
      await expect(within(connect(`unix://${fake.path}`, { connectTimeout: 2000 }), 5000, 'connect'))
        .rejects.toThrow('something else than a nodis-native hello');
    } finally {
      await fake.close();
    }
  });

  it('a peer that answers in RESP is refused with a hint to use redis+unix://', async () => {
    const p = sockPath('resp-talker');
    const talker = net.createServer((socket) => {
      socket.on('error', () => {});
      socket.once('data', () => socket.write('-ERR unknown command\r\n'));
    });
    await new Promise<void>((r) => talker.listen(p, r));
    try {
      const connecting = within(connect(`unix://${p}`, { connectTimeout: 2000 }), 5000, 'connect');
      await expect(connecting).rejects.toThrow('does not speak the nodis native protocol');
      await expect(connecting).rejects.toThrow('redis+unix://');
    } finally {
      await new Promise((r) => talker.close(r));
    }
  });

  it("unix:// pointed at nodis's RESP socket fails within connectTimeout, naming the likely cause", async () => {
    // nodis's RESP listener reads the binary hello as the start of an inline command and
    // waits for its line end, so it never answers: the client gives up at connectTimeout and
    // says that no native hello came back.
    const connecting = within(connect(`unix://${server.unixsocket}`, { connectTimeout: 1000 }), 6000, 'connect to the RESP socket');
    const err = await connecting.then(() => undefined, (e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).not.toContain('TEST:'); // settled by the client, not by our bound
    expect(err!.message).toBe(`nodis: could not connect to ${server.unixsocket} within 1000 ms (no nodis native hello came back: for a RESP socket, use redis+unix://)`);
  });
});

// ---------------------------------------------------------------------------------------------

describe('a real nodis-server killed and restarted under load', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  /** Starts node packages/server/dist/bin.js and waits for its ready line (bounded). */
  function spawnServer(serverDir: string): Promise<ChildProcess> {
    const proc = spawn(process.execPath, [serverBin, '--port', '0', '--dir', serverDir, '--nativesocket', 'n.sock', '--unixsocket', 'r.sock', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    return within(new Promise<ChildProcess>((resolve, reject) => {
      let out = '';
      let errOut = '';
      proc.stdout!.setEncoding('utf8').on('data', (s: string) => {
        out += s;
        if (out.includes('Ready to accept connections')) resolve(proc);
      });
      proc.stderr!.setEncoding('utf8').on('data', (s: string) => { errOut += s; });
      proc.once('exit', (code, signal) => reject(new Error(`nodis-server exited (${code ?? signal}) before it was ready: ${out}${errOut}`)));
    }), 15_000, 'nodis-server start');
  }

  async function kill(proc: ChildProcess): Promise<void> {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await within(exited, 5000, 'nodis-server exit');
  }

  it('calls in flight fail as lost, calls while down fail to connect, the same clients work once it is back', async () => {
    const serverDir = mkdtempSync(path.join(dir, 'restart-'));
    const nsock = path.join(serverDir, 'n.sock');
    const rsock = path.join(serverDir, 'r.sock');
    let proc = await spawnServer(serverDir);
    expect(existsSync(nsock) && existsSync(rsock)).toBe(true);
    const opts = { connectTimeout: 1000 };
    const clients = {
      socket: await connect(`unix://${nsock}`, opts),
      resp: await connect(`redis+unix://${rsock}`, opts),
    };
    // Blocked calls are certainly in flight when the server dies.
    const blockers = {
      socket: await connect(`unix://${nsock}`, opts),
      resp: await connect(`redis+unix://${rsock}`, opts),
    };
    try {
      const names = ['socket', 'resp'] as const;
      for (const n of names) expect(await clients[n].incr(`n:${n}`)).toBe(1);
      const blocked = names.map((n) => outcome(blockers[n].blpop('q', '0')));
      await until(async () => /blocked_clients:2/.test(String(await clients.socket.info('clients'))), 5000, 'both BLPOPs blocking');

      // A stream of INCRs, 8 in flight per client, until the kill.
      let stopped = false;
      const results: Record<(typeof names)[number], Outcome[]> = { socket: [], resp: [] };
      const workers = names.flatMap((n) => Array.from({ length: 8 }, async () => {
        while (!stopped) results[n].push(await outcome(clients[n].incr(`n:${n}`)));
      }));
      await until(async () => results.socket.length >= 40 && results.resp.length >= 40, 10_000, '40 INCRs per client');
      await kill(proc);
      stopped = true;
      await within(Promise.all(workers), 10_000, 'the INCR stream after the kill');

      // The blocked calls: lost, never hanging, never re-sent.
      for (const b of await within(Promise.all(blocked), 5000, 'the blocked BLPOPs')) {
        expect(b.ok).toBe(false);
        expect((b as { error: Error }).error.message).toMatch(/^nodis: the connection to .* was lost; the call may or may not have run$/);
      }
      for (const n of names) {
        const ok = results[n].filter((r) => r.ok).map((r) => (r as { value: unknown }).value as number);
        const failed = results[n].filter((r) => !r.ok).map((r) => (r as { error: Error }).error.message);
        expect(ok.length).toBeGreaterThanOrEqual(40);
        // Every value the server gave out is distinct and in 2..(1 + successes + lost calls that ran).
        expect(new Set(ok).size).toBe(ok.length);
        for (const v of ok) expect(v).toBeGreaterThanOrEqual(2);
        expect(failed.length).toBeGreaterThanOrEqual(1); // 8 were in flight at the kill
        for (const m of failed) expect(m).toMatch(/was lost; the call may or may not have run|could not connect/);
        expect(failed.some((m) => m.includes('was lost; the call may or may not have run'))).toBe(true);
      }

      // Down: new calls fail to connect (after the backoff), bounded.
      for (const n of names) {
        await expect(within(clients[n].incr(`n:${n}`), 8000, `${n} INCR while down`)).rejects.toThrow('could not connect');
        await expect(within(clients[n].incr(`n:${n}`), 8000, `${n} second INCR while down`)).rejects.toThrow('could not connect');
      }

      // Back on the same paths (the stale socket files are replaced): the same client objects
      // reconnect by themselves. Persistence is off (--appendonly no), so the counters start again at 1.
      proc = await spawnServer(serverDir);
      for (const n of names) {
        let first: Outcome | undefined;
        const deadline = Date.now() + 10_000;
        for (;;) {
          first = await within(outcome(clients[n].incr(`n:${n}`)), 8000, `${n} INCR after the restart`);
          if (first.ok || Date.now() > deadline) break;
          expect(first.error.message).toContain('could not connect');
          await sleep(50);
        }
        expect(first).toEqual({ ok: true, value: 1 });
        expect(await clients[n].incr(`n:${n}`)).toBe(2);
      }
      // The blockers too: their connection was lost while blocked; they work again.
      for (const n of names) {
        let pong: Outcome | undefined;
        const deadline = Date.now() + 10_000;
        do pong = await within(outcome(blockers[n].ping()), 8000, `${n} blocker PING`);
        while (!pong.ok && Date.now() < deadline && (await sleep(50), true));
        expect(pong).toEqual({ ok: true, value: 'PONG' });
      }
      expect(await clients.socket.llen('q')).toBe(0);
    } finally {
      for (const c of [...Object.values(clients), ...Object.values(blockers)]) await within(c.close(), 5000, 'close').catch(() => {});
      await kill(proc);
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('timeouts', () => {
  it('connectTimeout: a socket that accepts and never answers the hello', async () => {
    const { path: p, accepted, close } = await muteServer('mute');
    try {
      const err = await within(connect(`unix://${p}`, { connectTimeout: 300 }).then(() => undefined, (e: Error) => e), 5000, 'connect');
      expect(err?.message).toBe(`nodis: could not connect to ${p} within 300 ms (no nodis native hello came back: for a RESP socket, use redis+unix://)`);
      expect(accepted.length).toBe(1);
    } finally {
      await close();
    }
  });

  it('connectTimeout: resp to a TCP port that accepts and never answers AUTH', async () => {
    const accepted: net.Socket[] = [];
    const mute = net.createServer((s) => { accepted.push(s); s.on('error', () => {}); });
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    const { port } = mute.address() as net.AddressInfo;
    try {
      await expect(within(connect(`redis://:pw@127.0.0.1:${port}`, { connectTimeout: 300 }), 5000, 'connect'))
        .rejects.toThrow(`nodis: could not connect to 127.0.0.1:${port} within 300 ms`);
    } finally {
      for (const s of accepted) s.destroy();
      await new Promise((r) => mute.close(r));
    }
  });

  it('commandTimeout: a late reply rejects its call and is dropped; the next call gets its own reply', async () => {
    // Answers the first command only once the second arrives (after the client gave up on
    // it), then the second at once: in order, as a real server would.
    const fake = await fakeNative({
      onHello: goodHello,
      onCommand: (conn, _argv, index) => {
        if (index === 1) conn.reply((w) => { w.simple('LATE'); w.int(2); });
      },
    });
    try {
      const db = await connect(`unix://${fake.path}`, { commandTimeout: 200 });
      try {
        const late = within(db.call('PING'), 5000, 'PING');
        await expect(late).rejects.toThrow(`nodis: no reply from ${fake.path} within 200 ms (the command may or may not have run)`);
        expect(await within(db.call('INCR', 'n'), 5000, 'INCR')).toBe(2);
        expect(fake.commands).toEqual([['PING'], ['INCR', 'n']]);
        expect(fake.connections).toBe(1); // the timeout did not cost the connection
      } finally {
        await db.close();
      }
    } finally {
      await fake.close();
    }
  });

  it('commandTimeout does not cut a blocking command short (socket, real nodis)', async () => {
    await withClients(() => connect(nativeUrl(), { commandTimeout: 50 }), 1, async (db) => {
      expect(await within(db.blpop(key('q'), '0.3'), 5000, 'BLPOP 0.3')).toBeNull();
      expect(await db.ping()).toBe('PONG');
    });
  });
});

// ---------------------------------------------------------------------------------------------
// AbortSignal, the same scenarios over every transport that honours it.

interface Variant {
  name: string;
  /** Opens another client of the same store. */
  open(): Promise<Nodis>;
  /** A call already sent may have run (socket, resp); memory stops only what has not run. */
  stream: boolean;
  skip?: boolean;
}

let memoryStore = createMemoryStore();
const variants: Variant[] = [
  { name: 'socket → nodis', open: () => connect(nativeUrl()), stream: true },
  { name: 'resp → nodis', open: () => connect(`redis+unix://${server.unixsocket}`), stream: true },
  { name: 'resp → redis-server', open: () => connect(`redis://127.0.0.1:${redis!.port}`), stream: true, skip: !redisAvailable },
  { name: 'memory', open: () => connect({ store: memoryStore }), stream: false },
];

/** The reason AbortController.abort() gives: a DOMException named AbortError. */
function expectAbortError(o: Outcome, signal: AbortSignal): void {
  expect(o.ok, `expected a rejection, got ${JSON.stringify(o)}`).toBe(false);
  const e = (o as { error: Error }).error;
  expect(e).toBe(signal.reason);
  expect(e.name).toBe('AbortError');
}

describe.each(variants)('AbortSignal over $name', (v) => {
  beforeAll(() => { memoryStore = createMemoryStore(); });

  it.skipIf(v.skip)('(a) a pre-aborted signal rejects at once with its reason and sends nothing', async () => {
    const n = key('a');
    await withClients(v.open, 1, async (db) => {
      const signal = AbortSignal.abort();
      const o = await within(outcome(db.with({ signal }).incr(n)), 1000, 'pre-aborted INCR');
      expectAbortError(o, signal);
      await expect(db.with({ signal }).pipeline().incr(n).incr(n).exec()).rejects.toBe(signal.reason);
      expect(await db.incr(n)).toBe(1); // none of the aborted INCRs ran
    });
  });

  it.skipIf(v.skip)('(b) an aborted BLPOP 0 rejects with AbortError; the connection stays usable and nothing was popped', async () => {
    const q = key('b');
    await withClients(v.open, 2, async (db, other) => {
      const ac = new AbortController();
      const call = outcome(db.with({ signal: ac.signal }).blpop(q, '0'));
      setTimeout(() => ac.abort(), 20);
      expectAbortError(await within(call, 5000, 'aborted BLPOP'), ac.signal);
      expect(await within(db.ping(), 5000, 'PING after the abort')).toBe('PONG');
      expect(await other.rpush(q, 'kept')).toBe(1);
      expect(await other.lpop(q)).toBe('kept');
      // A later BLPOP on the same connection waits for its element (no leftover unblock).
      const next = db.blpop(q, '0');
      await sleep(20);
      expect(await other.rpush(q, 'next')).toBe(1);
      expect(await within(next, 5000, 'BLPOP after the abort')).toEqual([q, 'next']);
      expect(await other.llen(q)).toBe(0);
    });
  });

  it.skipIf(v.skip)('(c) an element pushed right before the abort is never lost (30 rounds)', async () => {
    const q = key('c');
    await withClients(v.open, 2, async (db, other) => {
      let resolved = 0;
      let aborted = 0;
      for (let i = 0; i < 30; i++) {
        const ac = new AbortController();
        const element = `e${i}`;
        const call = outcome(db.with({ signal: ac.signal }).blpop(q, '0'));
        if (i % 2 === 1) await sleep(2); // sometimes blocked on the server, sometimes not yet
        switch (i % 3) {
          case 0: // push sent in the same tick as the abort
            void other.rpush(q, element);
            ac.abort();
            break;
          case 1: // push answered (the element was handed to the BLPOP), then the abort
            await other.rpush(q, element);
            ac.abort();
            break;
          default: // abort first, then the push a little later (the release may or may not win)
            ac.abort();
            await sleep(i % 5 * 3);
            await other.rpush(q, element);
        }
        const o = await within(call, 5000, `round ${i}'s BLPOP`);
        // Settle the push (case 0) before looking at the list.
        await within(other.ping(), 5000, 'PING');
        const left = await other.lpop(q);
        if (o.ok) {
          expect(o.value, `round ${i}`).toEqual([q, element]);
          expect(left, `round ${i}: popped by the BLPOP and still in the list`).toBeNull();
          resolved++;
        } else {
          expectAbortError(o, ac.signal);
          expect(left, `round ${i}: the aborted BLPOP rejected, so the element must still be there`).toBe(element);
          aborted++;
        }
        expect(await other.llen(q)).toBe(0);
      }
      expect(resolved + aborted).toBe(30);
      // The connection still answers in order after 30 aborts.
      expect(await within(db.echo('still in order'), 5000, 'ECHO')).toBe('still in order');
    });
  });

  it.skipIf(v.skip)('(d) AbortSignal.timeout(50) on BLPOP 0 rejects with its TimeoutError; the connection stays usable', async () => {
    const q = key('d');
    await withClients(v.open, 2, async (db, other) => {
      const signal = AbortSignal.timeout(50);
      const o = await within(outcome(db.with({ signal }).blpop(q, '0')), 5000, 'BLPOP with AbortSignal.timeout');
      expect(o.ok).toBe(false);
      expect((o as { error: Error }).error).toBe(signal.reason);
      expect((o as { error: Error }).error.name).toBe('TimeoutError');
      expect(await within(db.ping(), 5000, 'PING')).toBe('PONG');
      expect(await other.rpush(q, 'x')).toBe(1);
      expect(await other.lrange(q, 0, -1)).toEqual(['x']);
    });
  });

  it.skipIf(v.skip)('(e) aborting a call waiting for its reply rejects it with the reason; later calls get their own replies', async () => {
    const q = key('eq');
    const n = key('en');
    await withClients(v.open, 2, async (db, other) => {
      // The INCR waits behind a blocked BLPOP on the same connection.
      const head = db.blpop(q, '0');
      const ac = new AbortController();
      const incr = outcome(db.with({ signal: ac.signal }).incr(n));
      const echo = db.echo('mine');
      await sleep(20);
      ac.abort(new Error('changed my mind'));
      const o = await within(incr, 2000, 'the aborted INCR (while the BLPOP still blocks)');
      expect(o.ok).toBe(false);
      expect((o as { error: Error }).error).toBe(ac.signal.reason);
      expect(await other.rpush(q, 'go')).toBe(1);
      expect(await within(head, 5000, 'the BLPOP')).toEqual([q, 'go']);
      expect(await within(echo, 5000, 'ECHO')).toBe('mine');
      // Sent before the abort, the INCR ran over a socket; memory had not run it yet.
      expect(await db.incr(n)).toBe(v.stream ? 2 : 1);
      // Aborted in the same tick it was issued: rejected; its reply, if any, is not handed to the next call.
      const ac2 = new AbortController();
      const first = outcome(db.with({ signal: ac2.signal }).echo('first'));
      ac2.abort();
      const second = db.echo('second');
      const f = await within(first, 2000, 'the aborted ECHO');
      // Memory runs a call as it is issued (nothing is in flight): it had already answered.
      if (v.stream) expectAbortError(f, ac2.signal);
      else expect(f).toEqual({ ok: true, value: 'first' });
      expect(await within(second, 2000, 'the next ECHO')).toBe('second');
    });
  });

  // (Memory has no connecting to abort: no (f) for it.)
  if (v.stream) it.skipIf(v.skip)('(f) connect(url, { signal }) with an aborted signal rejects with its reason', async () => {
    const url = v.name.startsWith('socket') ? nativeUrl() : v.name.includes('redis-server') ? `redis://127.0.0.1:${redis!.port}` : `redis+unix://${server.unixsocket}`;
    const signal = AbortSignal.abort();
    await expect(within(connect(url, { signal }), 5000, 'connect')).rejects.toBe(signal.reason);
  });
});

describe.each([
  { name: 'socket', url: () => nativeUrl() },
  { name: 'resp', url: () => `redis+unix://${server.unixsocket}` },
])('abort edge cases over $name → nodis', ({ url }) => {
  it('aborting a blocking call queued behind another blocked call leaves the first one waiting', async () => {
    // The aborted call is queued on the server behind the first: it is released only once it is
    // the one blocking (CLIENT UNBLOCK releases whatever the connection waits on), so the first
    // call keeps waiting for its element and nothing the second might pop is lost.
    const q1 = key('first');
    const q2 = key('second');
    await withClients(() => connect(url()), 2, async (db, other) => {
      const first = outcome(db.blpop(q1, '0'));
      const ac = new AbortController();
      const second = outcome(db.with({ signal: ac.signal }).blpop(q2, '0'));
      await until(async () => /blocked_clients:1\b/.test(String(await other.info('clients'))), 5000, 'the first BLPOP blocking');
      ac.abort();
      const show = (o: Outcome): unknown => (o.ok ? o.value : o.error.message.startsWith('TEST:') ? o.error.message : o.error.name);
      // Neither settles while the first waits.
      const early = await outcome(within(Promise.race([first, second]), 300, 'either BLPOP'));
      expect(early.ok).toBe(false);
      expect(await other.rpush(q1, 'for-first')).toBe(1);
      const firstSeen = show(await within(first, 3000, 'the first BLPOP'));
      const secondSeen = show(await within(second, 3000, 'the aborted second BLPOP'));
      expect({ first: firstSeen, second: secondSeen }).toEqual({ first: [q1, 'for-first'], second: 'AbortError' });
      expect(await other.exists(q2)).toBe(0);
      expect(await db.ping()).toBe('PONG');
    });
  });

  it('connect(url, { signal }) aborted during the handshake rejects with the reason', async () => {
    const { path: p, accepted, close } = await muteServer('mute-abort');
    try {
      const ac = new AbortController();
      // The native hello, or (resp) the SELECT, goes unanswered.
      const target = url().startsWith('unix:') ? `unix://${p}` : `redis+unix://${p}?db=1`;
      const connecting = outcome(connect(target, { signal: ac.signal, connectTimeout: 5000 }));
      await until(async () => accepted.length === 1, 5000, 'the connection accepted');
      ac.abort();
      expectAbortError(await within(connecting, 2000, 'the aborted connect'), ac.signal);
    } finally {
      await close();
    }
  });

  it('a blocking call aborted while the client waits to reconnect does not block once connected', async () => {
    const restartDir = mkdtempSync(path.join(dir, 'reconnect-abort-'));
    const config = { port: '0', unixsocket: 'r.sock', nativesocket: 'n.sock', dir: restartDir };
    let own = await startServer({ config, logLevel: 'nothing' });
    const target = url().startsWith('unix:') ? `unix://${own.nativesocket}` : `redis+unix://${own.unixsocket}`;
    const db = await connect(target, { connectTimeout: 1000 });
    try {
      expect(await db.ping()).toBe('PONG');
      await own.close();
      // Two failed attempts: the next one waits (backoff) before connecting.
      await expect(within(db.ping(), 5000, 'PING while down')).rejects.toThrow(/was lost|could not connect/);
      await expect(within(db.ping(), 5000, 'PING while down')).rejects.toThrow('could not connect');
      own = await startServer({ config, logLevel: 'nothing' });
      const ac = new AbortController();
      const call = outcome(db.with({ signal: ac.signal }).blpop(key('never'), '0'));
      ac.abort(); // before the reconnection (still in its backoff)
      expectAbortError(await within(call, 3000, 'the BLPOP aborted while reconnecting'), ac.signal);
      expect(await within(db.ping(), 5000, 'PING after')).toBe('PONG');
    } finally {
      await within(db.close(), 5000, 'close').catch(() => {});
      await own.close();
    }
  });
});

describe('memory transport: an abort in the same tick as the push that served a blocked BLPOP', () => {
  // The push runs synchronously and serves the parked BLPOP; its reply is handed over in a
  // microtask. An abort in between must not drop that reply: the element would be lost, and
  // the reply left behind would be given to the client's next call.
  it('the popped element is neither lost nor handed to the next call', async () => {
    const store = createMemoryStore();
    await withClients(() => connect({ store }), 2, async (db, other) => {
      const ac = new AbortController();
      const call = outcome(db.with({ signal: ac.signal }).blpop('q', '0'));
      const pushed = other.rpush('q', 'x');
      ac.abort();
      expect(await pushed).toBe(1);
      const o = await within(call, 2000, 'BLPOP');
      const left = await other.lpop('q');
      const next = await within(db.echo('after'), 2000, 'ECHO');
      const seen = { blpop: o.ok ? o.value : (o.error as Error).name, left, next };
      const resolvedWithIt = { blpop: ['q', 'x'], left: null, next: 'after' };
      const abortedAndKept = { blpop: 'AbortError', left: 'x', next: 'after' };
      expect([resolvedWithIt, abortedAndKept], JSON.stringify(seen)).toContainEqual(seen);
    });
  });
});

describe('AbortSignal over the thread transport', () => {
  it('honours a pre-aborted signal (and only that)', async () => {
    const n = key('thread');
    await withClients(() => connect(server.handle()), 1, async (db) => {
      const signal = AbortSignal.abort();
      expectAbortError(await within(outcome(db.with({ signal }).incr(n)), 2000, 'INCR'), signal);
      await expect(db.with({ signal }).pipeline().incr(n).exec()).rejects.toBe(signal.reason);
      expect(await db.incr(n)).toBe(1);
    });
  });
});

// ---------------------------------------------------------------------------------------------

describe('socket transport: pipelining and large values', () => {
  it('1000 calls issued in one tick leave in a few socket writes and resolve in order', async () => {
    const n = key('pipe');
    await withClients(() => connect(nativeUrl()), 1, async (db) => {
      // White box: count writes on the transport's socket (private in StreamTransport).
      const socket = (db.transport as unknown as { socket: net.Socket }).socket;
      expect(socket).toBeInstanceOf(net.Socket);
      let writes = 0;
      const write = socket.write.bind(socket) as (...a: unknown[]) => boolean;
      socket.write = ((...a: unknown[]) => { writes++; return write(...a); }) as typeof socket.write;
      const calls = Array.from({ length: 1000 }, () => db.incr(n));
      const values = await within(Promise.all(calls), 10_000, '1000 INCRs');
      expect(values).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
      expect(writes).toBeGreaterThanOrEqual(1);
      expect(writes).toBeLessThanOrEqual(3);
    });
  });

  it('a pipeline of 1000 and single calls interleaved keep their order', async () => {
    const n = key('mix');
    await withClients(() => connect(nativeUrl()), 1, async (db) => {
      const before = db.incr(n);
      const batch = db.pipeline();
      for (let i = 0; i < 1000; i++) batch.incr(n);
      const piped = batch.exec();
      const after = db.incr(n);
      expect(await before).toBe(1);
      const replies = await within(piped, 10_000, 'the pipeline');
      expect(replies.map(([e, v]) => (e === null ? v : e.message))).toEqual(Array.from({ length: 1000 }, (_, i) => i + 2));
      expect(await after).toBe(1002);
    });
  });

  it('a 5 MB Buffer and a 5 MB multibyte UTF-8 string round-trip', async () => {
    const kb = key('bigbuf');
    const ks = key('bigstr');
    await withClients(() => connect(nativeUrl()), 1, async (db) => {
      const bytes = randomBytes(5 * 1024 * 1024);
      expect(await db.set(kb, bytes)).toBe('OK');
      const back = await within(db.getBuffer(kb), 10_000, 'GET 5 MB') as Buffer;
      expect(Buffer.isBuffer(back)).toBe(true);
      expect(back.length).toBe(bytes.length);
      expect(back.equals(bytes)).toBe(true);
      expect(await db.strlen(kb)).toBe(bytes.length);

      // 2-, 3- and 4-byte UTF-8 sequences, cut nowhere in the middle.
      const unit = 'é→世界🙂 ascii ñ';
      const text = unit.repeat(Math.ceil((5 * 1024 * 1024) / Buffer.byteLength(unit)));
      expect(await db.set(ks, text)).toBe('OK');
      const got = await within(db.get(ks), 10_000, 'GET 5 MB text');
      expect(typeof got).toBe('string');
      expect((got as string).length).toBe(text.length);
      expect(got === text).toBe(true);
      expect(await db.strlen(ks)).toBe(Buffer.byteLength(text, 'utf8'));
      const gotBytes = await db.getBuffer(ks) as Buffer;
      expect(gotBytes.equals(Buffer.from(text, 'utf8'))).toBe(true);
    });
  });
});
