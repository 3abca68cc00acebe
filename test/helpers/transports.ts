import { afterAll, afterEach } from 'vitest';
import { connect, createMemoryStore, type MemoryStore, type Nodis } from '@nodis/client';
import { startServer, type NodisServer } from '@nodis/server';
import { redisAvailable, startRedis, type RedisProcess } from './redis.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * The transports a client-API test runs over, for `describe.each(transportTargets())`:
 * memory (an engine in this thread), thread (a real owner thread, rings), socket (nodis's
 * native protocol on its Unix socket) and resp (RESP over TCP, to nodis and to a real
 * redis-server: code moves between them unchanged).
 *
 * One nodis server and one redis-server per test file (per forked process), started on first
 * use. Call `useTransports()` at the top of a test file: it closes the clients each test
 * opened, and at the end the servers.
 */

export interface Target {
  /** A client of a fresh, empty store. */
  fresh(): Promise<Nodis>;
  /** Another client of the store the last fresh() opened. */
  another(): Promise<Nodis>;
  /** The transport can block the calling thread (db.sync). */
  sync: boolean;
  /** The store is a real redis-server (the oracle), not nodis. */
  redis: boolean;
}

let server: NodisServer | undefined;
let dataDir: string | undefined;
let redis: RedisProcess | undefined;
/** Long-lived clients that flush their store for fresh(): closed once, at the end. */
const admins: Nodis[] = [];
/** Clients opened by fresh()/another(): closed after each test. */
const opened: Nodis[] = [];

async function nodisServer(): Promise<NodisServer> {
  dataDir ??= mkdtempSync(path.join(tmpdir(), 'nodis-client-'));
  server ??= await startServer({ config: { port: '0', unixsocket: '', nativesocket: 'native.sock', dir: dataDir }, logLevel: 'nothing' });
  return server;
}

export const memoryTarget = (): Target => {
  let store: MemoryStore | undefined;
  return {
    fresh: async () => { store = createMemoryStore(); return connect({ store }); },
    another: async () => connect({ store: store ?? createMemoryStore() }),
    sync: true,
    redis: false,
  };
};

/**
 * A target whose clients come from `open()` and share one store, emptied (FLUSHALL) by a
 * long-lived admin client for each fresh().
 */
const sharedStoreTarget = (open: () => Promise<Nodis>, sync: boolean, isRedis = false) => (): Target => {
  let admin: Nodis | undefined;
  const openTracked = async (): Promise<Nodis> => {
    const db = await open();
    opened.push(db);
    return db;
  };
  return {
    fresh: async () => {
      if (admin === undefined) {
        admin = await open();
        admins.push(admin);
      }
      await admin.flushall();
      return openTracked();
    },
    another: openTracked,
    sync,
    redis: isRedis,
  };
};

export const threadTarget = sharedStoreTarget(async () => connect((await nodisServer()).handle()), true);
/** nodis's native protocol on its Unix socket. */
export const nodisSocketTarget = sharedStoreTarget(async () => connect(`unix://${(await nodisServer()).nativesocket}`), false);
/** RESP over TCP to nodis. */
export const nodisRespTarget = sharedStoreTarget(async () => connect(`redis://127.0.0.1:${(await nodisServer()).port}`), false);
/** RESP over TCP to a throwaway redis-server: the oracle. */
export const redisRespTarget = sharedStoreTarget(async () => {
  redis ??= await startRedis();
  return connect(`redis://127.0.0.1:${redis.port}`);
}, false, true);

export type TransportTargets = (readonly [name: string, makeTarget: () => Target])[];

let warned = false;

/** [name, makeTarget] for every transport; resp → redis-server only where redis-server is installed. */
export function transportTargets(): TransportTargets {
  if (!redisAvailable && !warned) {
    warned = true;
    process.stderr.write('NOTE: the resp transport against redis-server is SKIPPED (no redis-server)\n');
  }
  return [
    ['memory', memoryTarget],
    ['thread', threadTarget],
    ['socket', nodisSocketTarget],
    ['resp → nodis', nodisRespTarget],
    ...(redisAvailable ? [['resp → redis-server', redisRespTarget] as const] : []),
  ];
}

/** Closes the clients the current test opened (for afterEach). */
export async function closeOpenedClients(): Promise<void> {
  await Promise.all(opened.splice(0).map((db) => db.close()));
}

/** Closes the admin clients and stops the servers (for afterAll). */
export async function stopTransports(): Promise<void> {
  await closeOpenedClients();
  await Promise.all(admins.splice(0).map((db) => db.close()));
  await server?.close();
  server = undefined;
  await redis?.stop();
  redis = undefined;
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
}

/** Registers closeOpenedClients after each test and stopTransports after the file. */
export function useTransports(): void {
  afterEach(closeOpenedClients);
  afterAll(stopTransports);
}
