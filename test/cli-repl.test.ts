import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, redisAvailable, startRedis, waitForPort, type RedisProcess } from './helpers/redis.js';
import { RespTestClient } from './helpers/resp-client.js';
import { shellQuote, TmuxSession, tmuxAvailable } from './helpers/tmux.js';

/**
 * nodis-cli's REPL in a real pseudo-terminal (tmux): completion, hints, help, history, the
 * prompt, and the bad inputs the issue lists (unbalanced quotes, a 10 MB line, ^C during a
 * BLPOP, the server killed mid-session). The server is nodis-server in a child process, so it
 * can be killed and started again on the same port.
 */

const root = path.resolve(import.meta.dirname, '..');
const CLI = path.join(root, 'packages/cli/dist/bin.js');
const SERVER = path.join(root, 'packages/server/dist/bin.js');

interface NodisProcess { port: number; child: ChildProcess; stop(): Promise<void> }

async function startNodis(dir: string, port?: number): Promise<NodisProcess> {
  const p = port ?? await freePort();
  const child = spawn(process.execPath, [SERVER, '--port', String(p), '--dir', dir, '--appendonly', 'no', '--save', '', '--unixsocket', '', '--nativesocket', ''], { stdio: 'ignore' });
  await waitForPort(p);
  return {
    port: p,
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

let dir: string;
let server: NodisProcess;
let db: RespTestClient;
const sessions: TmuxSession[] = [];

async function cli(args: string[] = [], env: Record<string, string> = {}): Promise<TmuxSession> {
  const s = await TmuxSession.start(`${shellQuote(process.execPath)} ${shellQuote(CLI)} ${args.map(shellQuote).join(' ')}`, {
    env: { NODISCLI_HISTFILE: path.join(dir, 'history'), NODISCLI_RCFILE: '/dev/null', ...env },
  });
  sessions.push(s);
  return s;
}

describe.skipIf(!tmuxAvailable)('nodis-cli REPL in a terminal', () => {
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'nodis-cli-repl-'));
    server = await startNodis(dir);
    db = await RespTestClient.connect(server.port);
  });
  afterEach(async () => {
    for (const s of sessions.splice(0)) await s.kill();
  });
  afterAll(async () => {
    await db?.close();
    await server?.stop();
    await TmuxSession.killServer();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The prompt as the screen shows it: tmux drops a line's trailing spaces. */
  const prompt = (): string => `127.0.0.1:${server.port}>`;

  it('shows the prompt, runs commands and formats replies as redis-cli does', async () => {
    const t = await cli(['-p', String(server.port)]);
    await t.waitForText(prompt());
    await t.type('set greeting "hello world"');
    await t.send('Enter');
    await t.type('get greeting');
    await t.send('Enter');
    await t.type('rpush l a b');
    await t.send('Enter');
    await t.type('lrange l 0 -1');
    await t.send('Enter');
    await t.type('get nothing');
    await t.send('Enter');
    await t.type('incr greeting');
    await t.send('Enter');
    const screen = await t.waitForText('(error) ERR value is not an integer or out of range');
    expect(screen).toContain(`${prompt()} set greeting "hello world"\nOK\n`);
    expect(screen).toContain(`${prompt()} get greeting\n"hello world"\n`);
    expect(screen).toContain('(integer) 2\n');
    expect(screen).toContain('1) "a"\n2) "b"\n');
    expect(screen).toContain(`${prompt()} get nothing\n(nil)\n`);
  });

  it('Tab cycles through the matching commands (hs<Tab> → the hash commands) and Esc restores the line', async () => {
    const t = await cli(['-p', String(server.port)]);
    await t.waitForText(prompt());
    await t.type('hs');
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      await t.send('Tab');
      const line = await t.waitForTyped((l) => {
        const word = l.slice(prompt().length + 1);
        return /^hs/i.test(word) && word.length > 2 && !seen.includes(word.toLowerCase());
      });
      seen.push(line.slice(prompt().length + 1).toLowerCase());
    }
    expect(seen.sort()).toEqual(['hscan', 'hset', 'hsetnx', 'hstrlen']);
    await t.send('Escape');
    await t.waitForTyped(`${prompt()} hs`);
    // A completed subcommand: `config g<Tab>` → `config get`.
    await t.send('C-u');
    await t.type('config g');
    await t.send('Tab');
    await t.waitForTyped((l) => /^\S+ config get$/i.test(l));
  });

  it('shows the hint for the remaining arguments as you type (set foo bar )', async () => {
    const t = await cli(['-p', String(server.port)]);
    await t.waitForText(prompt());
    await t.type('set foo bar ');
    const screen = await t.waitForText(`${prompt()} set foo bar [NX|XX]`);
    expect(screen.split('\n').pop()).toMatch(/\[NX\|XX\] \[GET\] \[EX seconds\|PX milliseconds\|EXAT unix-time-seconds\|PXAT unix-time-milliseconds\|KEEPTTL\]/);
    // The hint is dimmed (colour 90), not typed text: Enter sends only what was typed.
    const colours = await t.screen(true);
    expect(colours).toMatch(/set foo bar \x1b\[[0-9;]*90[0-9;]*m\[NX\|XX\]/);
    await t.send('Enter');
    await t.waitForText(`set foo bar\nOK`);
    expect(await db.call('GET', 'foo')).toBe('bar');
  });

  it(':set nohints (typed, or in ~/.nodisclirc) turns the hints off; :set hints back on', async () => {
    const rc = path.join(dir, 'nodisclirc');
    writeFileSync(rc, ':set hints\n:set nohints\n');
    const t = await cli(['-p', String(server.port)], { NODISCLI_RCFILE: rc });
    await t.waitForText(prompt());
    await t.type('set k v ');
    await t.waitForText(`${prompt()} set k v`);
    expect(await t.lastLine()).toBe(`${prompt()} set k v`);
    await t.send('C-u');
    await t.type(':set hints');
    await t.send('Enter');
    await t.type('set k v ');
    await t.waitForText(`${prompt()} set k v [NX|XX]`);
  });

  it('help @list lists the list commands; help SET shows syntax, summary, since and group', async () => {
    const t = await cli(['-p', String(server.port)]);
    await t.waitForText(prompt());
    await t.type('help @list');
    await t.send('Enter');
    const screen = await t.waitForText(/RPUSHX key/);
    // The list's end (the terminal is 50 lines high: the start has scrolled away).
    for (const c of ['LPUSH', 'LRANGE', 'LREM', 'RPOP', 'RPUSH']) expect(screen).toContain(`  ${c} `);
    expect(screen).not.toContain('  HSET ');
    await t.send('C-l');
    await t.type('help set');
    await t.send('Enter');
    const set = await t.waitForText(/group: string/);
    expect(set).toMatch(/SET key value \[NX\|XX\] \[GET\]/);
    expect(set).toMatch(/summary: /);
    expect(set).toMatch(/since: 1\.0\.0/);
  });

  it('arrows recall history, within a session and from ~/.nodis_history in the next one', async () => {
    const histfile = path.join(dir, 'history-arrows');
    const t = await cli(['-p', String(server.port)], { NODISCLI_HISTFILE: histfile });
    await t.waitForText(prompt());
    for (const line of ['set h1 one', 'set h2 two', 'get h1']) {
      await t.type(line);
      await t.send('Enter');
    }
    await t.waitForText(`get h1\n"one"`);
    await t.send('Up', 'Up');
    await t.waitForTyped(`${prompt()} set h2 two`);
    await t.send('Down');
    await t.waitForTyped(`${prompt()} get h1`);
    await t.send('Down');
    await t.waitForTyped(prompt());
    await t.type('quit');
    await t.send('Enter');
    await t.waitForText('[exited 0]');
    expect(readFileSync(histfile, 'utf8')).toBe('set h1 one\nset h2 two\nget h1\nquit\n');
    const next = await cli(['-p', String(server.port)], { NODISCLI_HISTFILE: histfile });
    await next.waitForText(prompt());
    await next.send('Up', 'Up');
    await next.waitForTyped(`${prompt()} get h1`);
    await next.send('Enter');
    await next.waitForText(`get h1\n"one"`);
  });

  it('the prompt follows SELECT and MULTI', async () => {
    const t = await cli(['-p', String(server.port), '-n', '2']);
    await t.waitForText(`127.0.0.1:${server.port}[2]>`);
    await t.type('select 5');
    await t.send('Enter');
    await t.waitForText(`127.0.0.1:${server.port}[5]>`);
    await t.type('multi');
    await t.send('Enter');
    await t.waitForText(`127.0.0.1:${server.port}[5](TX)>`);
    await t.type('incr n');
    await t.send('Enter');
    await t.waitForText('QUEUED');
    await t.type('exec');
    await t.send('Enter');
    const screen = await t.waitForText(`1) (integer) 1\n127.0.0.1:${server.port}[5]>`);
    expect(screen).toContain('QUEUED');
  });

  it('unbalanced quotes are refused and the REPL goes on', async () => {
    const t = await cli(['-p', String(server.port)]);
    await t.waitForText(prompt());
    await t.type('set "a b');
    await t.send('Enter');
    await t.waitForText('Invalid argument(s)');
    await t.type("set 'x y' \"a\\x41\\n\"");
    await t.send('Enter');
    await t.waitForText(`\nOK\n${prompt()}`);
    expect(await db.call('GET', 'x y')).toBe('aA\n');
  });

  it('takes a 10 MB line (pasted) and sends it as one command', async () => {
    const value = 'v'.repeat(10 * 1024 * 1024);
    const file = path.join(dir, 'big-line');
    writeFileSync(file, `set big ${value}`);
    const t = await cli(['-p', String(server.port)]);
    await t.waitForText(prompt());
    await t.paste(file);
    // The line scrolls sideways: the prompt stays, the tail of the value shows.
    await t.waitFor((s) => s.split('\n').pop()!.endsWith('vvvvvvvvvv') && s.split('\n').pop()!.startsWith(prompt()), 60_000);
    await t.send('Enter');
    await t.waitForText(/\nOK\n/, 60_000);
    expect(await db.call('STRLEN', 'big')).toBe(value.length);
    await t.type('ping');
    await t.send('Enter');
    await t.waitForText('PONG');
  }, 120_000);

  it('^C cancels a blocking BLPOP on the server, and the REPL survives', async () => {
    const t = await cli(['-p', String(server.port)]);
    await t.waitForText(prompt());
    await t.type('blpop cancelled-queue 0');
    await t.send('Enter');
    // Blocked on the server.
    for (let i = 0; ; i++) {
      const info = String(await db.call('INFO', 'clients'));
      if (/blocked_clients:1/.test(info)) break;
      if (i > 200) throw new Error('the BLPOP never blocked');
      await new Promise((r) => setTimeout(r, 25));
    }
    await t.send('C-c');
    await t.waitForText('(interrupted)');
    await t.waitForText(`(interrupted)\n${prompt()}`);
    expect(String(await db.call('INFO', 'clients'))).toMatch(/blocked_clients:0/);
    // Nothing is taken from the list by the cancelled call.
    await db.call('RPUSH', 'cancelled-queue', 'job');
    await t.type('ping');
    await t.send('Enter');
    await t.waitForText(`ping\nPONG`);
    expect(await db.call('LLEN', 'cancelled-queue')).toBe(1);
  });

  it('^C on a line cancels it; ^D on an empty line ends the session', async () => {
    const t = await cli(['-p', String(server.port)]);
    await t.waitForText(prompt());
    await t.type('set never typed');
    await t.send('C-c');
    await t.waitForText(`set never typed^C\n${prompt()}`);
    expect(await db.call('EXISTS', 'never')).toBe(0);
    await t.send('C-d');
    await t.waitForText('[exited 0]');
  });

  it('says the server went away when it is killed mid-session, and reconnects on the next command', async () => {
    const own = await startNodis(dir);
    const t = await cli(['-p', String(own.port)]);
    const ownPrompt = `127.0.0.1:${own.port}>`;
    await t.waitForText(ownPrompt);
    await t.type('ping');
    await t.send('Enter');
    await t.waitForText('PONG');
    await own.stop();
    await t.type('ping');
    await t.send('Enter');
    const gone = await t.waitForText('not connected>');
    expect(gone).toMatch(/Could not connect to Redis at 127\.0\.0\.1:\d+: Connection refused|Server closed the connection/);
    expect(gone).not.toMatch(/at .*\.js:\d+/); // no stack trace
    const again = await startNodis(dir, own.port);
    try {
      await t.type('ping');
      await t.send('Enter');
      await t.waitForText(`not connected> ping\nPONG\n${ownPrompt}`);
    } finally {
      await again.stop();
    }
  });

  it('starts without a server, says so clearly, and connects when one appears', async () => {
    const port = await freePort();
    const t = await cli(['-p', String(port)]);
    const screen = await t.waitForText('not connected>');
    expect(screen).toContain(`Could not connect to Redis at 127.0.0.1:${port}: Connection refused`);
    const late = await startNodis(dir, port);
    try {
      await t.type('set late yes');
      await t.send('Enter');
      await t.waitForText(`OK\n127.0.0.1:${port}>`);
    } finally {
      await late.stop();
    }
  });
});

describe.skipIf(!tmuxAvailable || !redisAvailable)('nodis-cli REPL against redis-server', () => {
  let redis: RedisProcess;
  beforeAll(async () => {
    dir ??= mkdtempSync(path.join(tmpdir(), 'nodis-cli-repl-'));
    redis = await startRedis();
  });
  afterEach(async () => {
    for (const s of sessions.splice(0)) await s.kill();
  });
  afterAll(async () => {
    await redis?.stop();
    await TmuxSession.killServer();
  });

  it("learns a newer server's commands from COMMAND DOCS (XADD: streams, which nodis lacks)", async () => {
    const t = await cli(['-p', String(redis.port)]);
    const prompt = `127.0.0.1:${redis.port}>`;
    await t.waitForText(prompt);
    await t.type('help xadd');
    await t.send('Enter');
    const screen = await t.waitForText(/group: stream/);
    expect(screen).toMatch(/XADD key/);
    await t.type('xad');
    await t.send('Tab');
    await t.waitForTyped(`${prompt} xadd`);
  });
});
