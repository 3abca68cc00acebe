import { afterAll, beforeAll, expect } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ReplyParser, RespWriter, type Reply } from '@nodis/protocol';
import { createTestEngine, type Client, type Engine } from '@nodis/engine';
import type { NodisServer } from '@nodis/server';
import { RespTestClient } from './resp-client.js';
import { redisServerPath, startRedis, type RedisProcess } from './redis.js';

/**
 * Shared Redis-oracle setup and checks for the family tests and test/compat.
 *
 * - `useRedisOracle(family)`: one throwaway redis-server for a test file (beforeAll/afterAll),
 *   with a connection to it; says loudly when redis-server is missing and the file's
 *   differential tests are skipped.
 * - `engineRespClient(engine)`: an in-process engine answering RESP2 bytes parsed back into
 *   values, so its replies compare with redis-server's as they come off the wire.
 * - `useServerPair(label)`: a nodis-server and a redis-server side by side, a client on each.
 * - `expectCommandDocsMatch`: COMMAND INFO and COMMAND DOCS of each named command, in RESP2 and
 *   RESP3, must equal redis-server's byte for byte (same reply tree).
 *
 * The engine's own tests import the engine by relative path and this file imports
 * '@nodis/engine': both resolve to packages/engine/src (the `source` condition), so one module
 * instance; still, only types come from there for what the tests hand in.
 */

// ---------------------------------------------------------------- one redis-server per file

export interface RedisOracle<C> {
  /** The redis-server process; read it inside tests (it starts in beforeAll). */
  readonly process: RedisProcess;
  readonly port: number;
  /** The connection opened to it; closed in afterAll. */
  readonly client: C;
}

interface Closable { close(): void }

/**
 * Starts a redis-server in beforeAll and stops it in afterAll (both registered where this is
 * called, normally the top of a test file); `connect` opens the connection the tests use
 * (default: a RespTestClient). Where redis-server is not installed nothing starts, a NOTE
 * names `family`'s differential tests as skipped, and the tests skip with
 * `describe.skipIf(!redisServerPath)`.
 */
export function useRedisOracle(family: string): RedisOracle<RespTestClient>;
export function useRedisOracle<C extends Closable>(family: string, connect: (port: number) => Promise<C>): RedisOracle<C>;
export function useRedisOracle(
  family: string,
  connect: (port: number) => Promise<Closable> = (port) => RespTestClient.connect(port),
): RedisOracle<Closable> {
  let process: RedisProcess | undefined;
  let client: Closable | undefined;
  if (!redisServerPath) console.warn(`NOTE: redis-server is not installed: the ${family} differential tests are SKIPPED`);
  beforeAll(async () => {
    if (!redisServerPath) return;
    process = await startRedis();
    client = await connect(process.port);
  });
  afterAll(async () => {
    client?.close();
    await process?.stop();
  });
  return {
    get process() { return started(process); },
    get port() { return started(process).port; },
    get client() { return started(client); },
  };
}

function started<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('not started: use it inside tests (the servers start in beforeAll)');
  return value;
}

// ---------------------------------------------------------------- the engine as a RESP peer

export interface EngineRespClient {
  readonly engine: Engine;
  /** The engine-side client the commands run as (its db, its protocol after HELLO). */
  readonly client: Client;
  /** Runs one command; its reply, RESP-encoded and parsed back. */
  call(...argv: string[]): Reply;
}

/** nodis in process, answering RESP bytes parsed back into values, as redis-server's are. */
export function engineRespClient(engine: Engine): EngineRespClient {
  const writer = new RespWriter(2);
  const client = engine.createClient({ reply: writer, kind: 'tcp', addr: '127.0.0.1:50000', laddr: '127.0.0.1:7379' });
  const parser = new ReplyParser();
  return {
    engine,
    client,
    call(...argv: string[]): Reply {
      engine.execute(client, argv);
      const out: Reply[] = [];
      parser.feed(Buffer.from(writer.take()), (r) => { out.push(r); });
      if (out.length !== 1) throw new Error(`expected one reply to ${argv.join(' ')}, got ${out.length}`);
      return out[0]!;
    },
  };
}

// ---------------------------------------------------------------- nodis-server beside redis-server

export interface ServerPair {
  /** A connection to nodis-server; read it inside tests (it connects in beforeAll). */
  readonly nodis: RespTestClient;
  /** A connection to redis-server. */
  readonly redis: RespTestClient;
}

/**
 * Starts a nodis-server (data dir in a fresh temp directory named after `label`) and a
 * redis-server in beforeAll, a client connected to each, and closes everything in afterAll.
 * Call it inside the `describe.skipIf(!redisAvailable)` block, so the hooks skip with it.
 */
export function useServerPair(label: string): ServerPair {
  let dir: string | undefined;
  let nodis: NodisServer | undefined;
  let redis: RedisProcess | undefined;
  let clients: { nodis: RespTestClient; redis: RespTestClient } | undefined;
  beforeAll(async () => {
    // Loaded here rather than at the top: the engine's family tests import this file and
    // need no server package.
    const { startServer } = await import('@nodis/server');
    dir = mkdtempSync(path.join(tmpdir(), `nodis-${label}-`));
    [nodis, redis] = await Promise.all([
      startServer({ config: { port: '0', unixsocket: '', dir }, logLevel: 'nothing' }),
      startRedis(),
    ]);
    const [n, r] = await Promise.all([RespTestClient.connect(nodis.port), RespTestClient.connect(redis.port)]);
    clients = { nodis: n, redis: r };
  });
  afterAll(async () => {
    clients?.nodis.close();
    clients?.redis.close();
    await Promise.all([nodis?.close(), redis?.stop()]);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });
  return {
    get nodis() { return started(clients).nodis; },
    get redis() { return started(clients).redis; },
  };
}

// ---------------------------------------------------------------- COMMAND INFO / DOCS

export async function expectCommandDocsMatch(port: number, names: readonly string[]): Promise<void> {
  const client = await RespTestClient.connect(port);
  try {
    const commands = names.flatMap((n) => [['COMMAND', 'INFO', n], ['COMMAND', 'DOCS', n]]);
    for (const protocol of ['2', '3']) {
      const t = createTestEngine();
      t.run('HELLO', protocol);
      const theirs = await client.pipeline([['HELLO', protocol], ...commands]);
      commands.forEach((argv, i) => expect(t.run(...argv), `${argv.join(' ')} (RESP${protocol})`).toEqual(theirs[i + 1]));
    }
  } finally {
    client.close();
  }
}
