import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SimpleString } from '@nodis/protocol';
import { startServer, type NodisServer } from '@nodis/server';
import { RespTestClient } from '../helpers/resp-client.js';

/**
 * Blocking list commands end to end over the real server (owner thread, RESP over TCP): a
 * blocked connection is answered later, its pipelined commands wait behind the blocking one,
 * timeouts fire from the owner's timer, and a disconnect while blocked loses nothing.
 * Needs the server package built (`npx tsc -b packages/server`): the owner runs dist JS.
 */

let server: NodisServer;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'nodis-list-blocking-'));
  server = await startServer({ config: { port: '0', dir, unixsocket: '' }, logLevel: 'nothing' });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Polls (through another connection) until `n` clients are blocked: no sleeps of a guessed length. */
async function waitBlocked(c: RespTestClient, n: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const info = (await c.call('INFO', 'clients')) as string;
    if (info.includes(`blocked_clients:${n}\r\n`)) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`never saw ${n} blocked clients`);
}

describe('blocking list commands over RESP', () => {
  it('BLPOP is answered when another client pushes', async () => {
    const a = await RespTestClient.connect(server.port);
    const b = await RespTestClient.connect(server.port);
    const popped = a.call('BLPOP', 'q1', '0');
    await waitBlocked(b, 1);
    expect(await b.call('RPUSH', 'q1', 'hello', 'world')).toBe(2);
    expect(await popped).toEqual(['q1', 'hello']);
    expect(await b.call('LRANGE', 'q1', '0', '-1')).toEqual(['world']);
    a.close();
    b.close();
  });

  it('a command pipelined behind BLPOP is answered only after the BLPOP was served', async () => {
    const a = await RespTestClient.connect(server.port);
    const b = await RespTestClient.connect(server.port);
    let bytesBeforePush = 0;
    let pushed = false;
    a.socket.on('data', (chunk: Buffer) => { if (!pushed) bytesBeforePush += chunk.length; });
    const replies = a.pipeline([['BLPOP', 'q2', '0'], ['PING']]);
    await waitBlocked(b, 1);
    // A round trip on A's own connection would queue too; ask B, which has been answered after
    // the server read A's whole pipeline (both commands arrived in one write).
    expect(await b.call('PING')).toEqual(new SimpleString('PONG'));
    // The PING is queued behind the blocked BLPOP: not one byte has come back to A yet.
    expect(bytesBeforePush).toBe(0);
    pushed = true;
    expect(await b.call('LPUSH', 'q2', 'v')).toBe(1);
    // In order: a PONG answered early would have been taken as the BLPOP's reply.
    expect(await replies).toEqual([['q2', 'v'], new SimpleString('PONG')]);
    a.close();
    b.close();
  });

  it('BLPOP with a timeout answers a null array when it expires', async () => {
    const a = await RespTestClient.connect(server.port);
    expect(await a.call('BLPOP', 'q3', '0.2')).toBe(null);
    expect(await a.call('PING')).toEqual(new SimpleString('PONG'));
    a.close();
  });

  it('a client that disconnects while blocked does not swallow a later push', async () => {
    const a = await RespTestClient.connect(server.port);
    const b = await RespTestClient.connect(server.port);
    const c = await RespTestClient.connect(server.port);
    void a.call('BLPOP', 'q4', '0').catch(() => { /* closed below */ });
    await waitBlocked(c, 1);
    const served = b.call('BRPOP', 'q4', '0');
    await waitBlocked(c, 2);
    a.close();
    await waitBlocked(c, 1);
    expect(await c.call('RPUSH', 'q4', 'only')).toBe(1);
    expect(await served).toEqual(['q4', 'only']);
    expect(await c.call('EXISTS', 'q4')).toBe(0);
    b.close();
    c.close();
  });

  it('BLMOVE hands the element on to a client blocked on the destination', async () => {
    const a = await RespTestClient.connect(server.port);
    const b = await RespTestClient.connect(server.port);
    const c = await RespTestClient.connect(server.port);
    const moved = a.call('BLMOVE', 'q5', 'q6', 'LEFT', 'RIGHT', '0');
    await waitBlocked(c, 1);
    const popped = b.call('BLPOP', 'q6', '0');
    await waitBlocked(c, 2);
    expect(await c.call('RPUSH', 'q5', 'e')).toBe(1);
    expect(await moved).toBe('e');
    expect(await popped).toEqual(['q6', 'e']);
    a.close();
    b.close();
    c.close();
  });
});
