import { describe, expect, it } from 'vitest';
import { allCommands } from './commands/index.js';
import { defineCommand } from './command.js';
import { createTestEngine } from './testing.js';
import type { Client } from './client.js';
import { CapturingWriter } from './reply.js';

/**
 * The blocking machinery alone, with a test command: `BGETDEL key timeout-ms` pops a string
 * key, or waits for one. SET signals the key as ready (the families' push commands do this).
 */
const bgetdel = defineCommand({
  name: 'bgetdel', arity: 3, flags: ['write', 'blocking'], keys: [1, 1, 1], group: 'generic',
  since: '0.0.0', summary: 'test only',
  run(ctx, argv) {
    const key = argv[1]!;
    const tryServe = (): boolean => {
      const v = ctx.db.lookup(key);
      if (v === undefined) return false;
      ctx.db.delete(key);
      ctx.reply.bulk(v as string);
      return true;
    };
    if (tryServe()) return;
    const ms = Number(argv[2]);
    ctx.engine.blocking.block(ctx, {
      keys: [key],
      deadline: ms === 0 ? 0 : ctx.engine.time + ms,
      tryServe,
      onTimeout: () => ctx.reply.nullArray(),
    });
  },
});
const signallingSet = defineCommand({
  name: 'tset', arity: 3, flags: ['write'], keys: [1, 1, 1], group: 'generic', since: '0.0.0', summary: 'test only',
  run(ctx, argv) {
    ctx.db.set(argv[1]!, argv[2]!);
    ctx.engine.blocking.signal(ctx.db, argv[1]!);
    ctx.reply.simple('OK');
  },
});

function setup() {
  const wakes: number[] = [];
  const t = createTestEngine({ commands: [...allCommands, bgetdel, signallingSet], hooks: { wakeAt: (ms) => wakes.push(ms) } });
  const clients = () => {
    const writer = new CapturingWriter();
    const client: Client = t.engine.createClient({ reply: writer, kind: 'memory' });
    let deferred = 0;
    client.onDeferredReply = () => { deferred++; };
    return { client, writer, deferredCount: () => deferred, send: (...argv: string[]) => t.engine.execute(client, argv) };
  };
  return { ...t, wakes, clients };
}

describe('blocking registry', () => {
  it('serves immediately when data is there, parks the client otherwise', () => {
    const t = setup();
    const a = t.clients();
    t.run('TSET', 'k', 'v');
    a.send('BGETDEL', 'k', '0');
    expect(a.writer.take()).toEqual(['v']);
    a.send('BGETDEL', 'k', '0');
    expect(a.writer.pending).toBe(0);
    expect(a.client.blocked).toBe(true);
  });

  it('wakes waiters in FIFO order, one value each, and tells the host to flush', () => {
    const t = setup();
    const [a, b, c] = [t.clients(), t.clients(), t.clients()];
    a.send('BGETDEL', 'k', '0');
    b.send('BGETDEL', 'k', '0');
    c.send('BGETDEL', 'other', '0');
    t.run('TSET', 'k', 'first');
    expect(a.writer.take()).toEqual(['first']);
    expect(a.deferredCount()).toBe(1);
    expect(b.writer.pending).toBe(0);
    t.run('TSET', 'k', 'second');
    expect(b.writer.take()).toEqual(['second']);
    expect(c.client.blocked).toBe(true);
    expect(t.engine.blocking.blockedCount).toBe(1);
  });

  it('times out with the timeout reply at the deadline, asking the host to wake it', () => {
    const t = setup();
    const a = t.clients();
    a.send('BGETDEL', 'k', '500');
    expect(t.wakes).toEqual([t.clock.now + 500]);
    t.clock.advance(499);
    t.engine.expireBlocked();
    expect(a.writer.pending).toBe(0);
    t.clock.advance(1);
    t.engine.expireBlocked();
    expect(a.writer.take()).toEqual([null]);
    expect(a.client.blocked).toBe(false);
  });

  it('forgets a client that disconnects while blocked, so a later push is not lost to it', () => {
    const t = setup();
    const [a, b] = [t.clients(), t.clients()];
    a.send('BGETDEL', 'k', '0');
    b.send('BGETDEL', 'k', '0');
    t.engine.removeClient(a.client);
    t.run('TSET', 'k', 'v');
    expect(a.writer.pending).toBe(0);
    expect(b.writer.take()).toEqual(['v']);
  });

  it('waits in the database the client blocked in', () => {
    const t = setup();
    const a = t.clients();
    a.send('SELECT', '2');
    a.writer.take();
    a.send('BGETDEL', 'k', '0');
    t.run('TSET', 'k', 'db0');
    expect(a.writer.pending).toBe(0);
    t.run('SELECT', '2');
    t.run('TSET', 'k', 'db2');
    expect(a.writer.take()).toEqual(['db2']);
  });
});

describe('keys that become lists by other means wake blocked clients (as Redis signals in dbAdd)', () => {
  for (const [name, make] of [
    ['RENAME', (run: (...a: string[]) => unknown) => { run('RPUSH', 'src', 'x'); run('RENAME', 'src', 'q'); }],
    ['COPY', (run: (...a: string[]) => unknown) => { run('RPUSH', 'src', 'x'); run('COPY', 'src', 'q'); }],
    ['MOVE', (run: (...a: string[]) => unknown) => { run('SELECT', '1'); run('RPUSH', 'q', 'x'); run('MOVE', 'q', '0'); run('SELECT', '0'); }],
    ['SWAPDB', (run: (...a: string[]) => unknown) => { run('SELECT', '1'); run('RPUSH', 'q', 'x'); run('SELECT', '0'); run('SWAPDB', '0', '1'); }],
  ] as const) {
    it(name, () => {
      const t = setup();
      const a = t.clients();
      a.send('BLPOP', 'q', '0');
      expect(a.client.blocked).toBe(true);
      make(t.run);
      expect(a.writer.take()).toEqual([['q', 'x']]);
      expect(a.client.blocked).toBe(false);
    });
  }
});

describe('a handler that throws', () => {
  it('answers an error, closes that client, and leaves the engine serving', () => {
    const boom = defineCommand({
      name: 'boom', arity: 1, flags: ['fast'], keys: [0, 0, 0], group: 'generic', since: '0.0.0', summary: 'test only',
      run() { throw new RangeError('Map maximum size exceeded'); },
    });
    const t = createTestEngine({ commands: [...allCommands, boom] });
    t.run('SET', 'k', 'v');
    const reply = t.run('BOOM');
    expect(String(reply)).toContain("ERR internal error in 'boom': Map maximum size exceeded");
    expect(t.client.closeAfterReply).toBe(true);
    const other = t.newClient();
    expect(other.run('GET', 'k')).toBe('v');
  });
});
