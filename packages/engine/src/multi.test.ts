import { describe, expect, it } from 'vitest';
import { createTestEngine, describeValue, seededRandom, type EngineHarness } from './testing.js';
import { CapturingWriter, ReplyError, ReplyVerbatim, SimpleString, type Reply } from './reply.js';
import type { Client } from './client.js';
import type { Propagator } from './engine.js';

/**
 * MULTI / EXEC / DISCARD / WATCH / UNWATCH in the engine (multi.ts, commands/transactions.ts,
 * Engine.exec): queueing, EXECABORT, runtime errors, WATCH touched by every kind of change
 * (other clients, expiry with an injected clock, FLUSH*, SWAPDB), blocking commands inside
 * EXEC, the AOF records of a transaction, CLIENT LIST. Expected replies were checked against
 * redis-server 7.0.15 (test/compat/pubsub-tx.test.ts compares them over the wire).
 */

const OK = new SimpleString('OK');
const QUEUED = new SimpleString('QUEUED');
const EXECABORT = new ReplyError('EXECABORT Transaction discarded because of previous errors.');

interface Peer {
  client: Client;
  run(...argv: string[]): Reply;
}

function peer(t: EngineHarness, protocol: 2 | 3 = 2): Peer {
  const writer = new CapturingWriter(protocol);
  const client = t.engine.createClient({ reply: writer, kind: 'tcp', addr: '127.0.0.1:1', laddr: '127.0.0.1:2' });
  return {
    client,
    run(...argv) {
      t.engine.execute(client, argv);
      const replies = writer.take();
      if (replies.length !== 1) throw new Error(`${argv.join(' ')}: ${replies.length} replies`);
      return replies[0]!;
    },
  };
}

/** Runs `argv` inside MULTI ... EXEC on `p`, checking each is QUEUED; returns EXEC's reply. */
function transaction(p: Peer, ...commands: string[][]): Reply {
  expect(p.run('MULTI')).toEqual(OK);
  for (const argv of commands) expect(p.run(...argv), argv.join(' ')).toEqual(QUEUED);
  return p.run('EXEC');
}

describe('queueing and EXEC', () => {
  it('queues commands and answers them in one array; the data changes only at EXEC', () => {
    const t = createTestEngine();
    const a = peer(t);
    const b = peer(t);
    expect(a.run('MULTI')).toEqual(OK);
    expect(a.run('SET', 'k', 'v')).toEqual(QUEUED);
    expect(a.run('INCR', 'n')).toEqual(QUEUED);
    expect(a.run('GET', 'k')).toEqual(QUEUED);
    expect(b.run('GET', 'k')).toBeNull();
    expect(a.run('EXEC')).toEqual([OK, 1, 'v']);
    expect(b.run('GET', 'k')).toBe('v');
    // An empty transaction answers an empty array.
    expect(transaction(a)).toEqual([]);
  });

  it('EXEC, DISCARD without MULTI; nested MULTI and WATCH inside MULTI are errors that do not abort', () => {
    const t = createTestEngine();
    const a = peer(t);
    expect(a.run('EXEC')).toEqual(new ReplyError('ERR EXEC without MULTI'));
    expect(a.run('DISCARD')).toEqual(new ReplyError('ERR DISCARD without MULTI'));
    expect(a.run('MULTI')).toEqual(OK);
    expect(a.run('MULTI')).toEqual(new ReplyError('ERR MULTI calls can not be nested'));
    expect(a.run('WATCH', 'x')).toEqual(new ReplyError('ERR WATCH inside MULTI is not allowed'));
    expect(a.run('SET', 'a', '1')).toEqual(QUEUED);
    expect(a.run('EXEC')).toEqual([OK]);
    expect(a.run('EXEC')).toEqual(new ReplyError('ERR EXEC without MULTI'));
  });

  it('DISCARD drops the queue and the watched keys', () => {
    const t = createTestEngine();
    const a = peer(t);
    const b = peer(t);
    a.run('WATCH', 'w');
    a.run('MULTI');
    a.run('SET', 'k', 'v');
    expect(a.run('DISCARD')).toEqual(OK);
    expect(a.run('GET', 'k')).toBeNull();
    b.run('SET', 'w', 'changed');
    // No longer watching: a new transaction runs.
    expect(transaction(a, ['SET', 'k', 'v2'])).toEqual([OK]);
  });

  it('UNWATCH inside MULTI is queued (and harmless); UNWATCH outside forgets the keys', () => {
    const t = createTestEngine();
    const a = peer(t);
    const b = peer(t);
    a.run('WATCH', 'w');
    b.run('SET', 'w', '1');
    // Redis queues UNWATCH: too late to save this transaction.
    expect(transaction(a, ['UNWATCH'], ['PING'])).toBeNull();
    a.run('WATCH', 'w');
    expect(a.run('UNWATCH')).toEqual(OK);
    b.run('SET', 'w', '2');
    expect(transaction(a, ['PING'])).toEqual([new SimpleString('PONG')]);
  });

  it('runtime errors are elements of the array and nothing is rolled back', () => {
    const t = createTestEngine();
    const a = peer(t);
    a.run('SET', 's', 'str');
    a.run('SET', 'n', '5');
    const wrongType = new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value');
    expect(transaction(a, ['LPUSH', 's', 'x'], ['INCR', 'n'], ['INCR', 's'], ['SET', 'after', '1'], ['HSET', 's', 'f', 'v'])).toEqual([
      wrongType, 6, new ReplyError('ERR value is not an integer or out of range'), OK, wrongType,
    ]);
    expect(a.run('GET', 'n')).toBe('6');
    expect(a.run('GET', 'after')).toBe('1');
  });

  it('a queued SELECT changes the database for the rest of the queue and after EXEC', () => {
    const t = createTestEngine();
    const a = peer(t);
    expect(transaction(a, ['SELECT', '1'], ['SET', 'x', 'y'], ['SELECT', '99'])).toEqual([
      OK, OK, new ReplyError('ERR DB index is out of range'),
    ]);
    expect(a.run('GET', 'x')).toBe('y');
    expect(a.client.db.index).toBe(1);
  });
});

describe('EXECABORT: errors while queueing', () => {
  it('an unknown command or a wrong argument count aborts the transaction, later commands still queue', () => {
    const t = createTestEngine();
    const a = peer(t);
    a.run('MULTI');
    expect(a.run('SET', 'a', '1')).toEqual(QUEUED);
    expect(a.run('NOSUCH', 'x')).toEqual(new ReplyError("ERR unknown command 'NOSUCH', with args beginning with: 'x' "));
    expect(a.run('GET')).toEqual(new ReplyError("ERR wrong number of arguments for 'get' command"));
    expect(a.run('CONFIG', 'NOSUCH')).toEqual(new ReplyError("ERR unknown subcommand 'NOSUCH'. Try CONFIG HELP."));
    expect(a.run('SET', 'b', '1')).toEqual(QUEUED);
    expect(a.run('EXEC')).toEqual(EXECABORT);
    expect(a.run('GET', 'a')).toBeNull();
    // The transaction is over: the next one is fresh.
    expect(transaction(a, ['SET', 'a', '2'])).toEqual([OK]);
  });

  it('a refused EXEC (arity, NOAUTH, the subscriber context) ends the transaction with EXECABORT and the reason', () => {
    const t = createTestEngine();
    const a = peer(t);
    const b = peer(t);
    a.run('WATCH', 'w');
    a.run('MULTI');
    a.run('SET', 'k', 'v');
    expect(a.run('EXEC', 'x')).toEqual(new ReplyError("EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command"));
    expect(a.run('EXEC')).toEqual(new ReplyError('ERR EXEC without MULTI'));
    expect(a.run('GET', 'k')).toBeNull();
    expect(t.engine.watching.size).toBe(0);
    // Without MULTI too.
    expect(a.run('exec', 'x')).toEqual(new ReplyError("EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command"));
    b.run('SUBSCRIBE', 'ch');
    expect(b.run('EXEC')).toEqual(new ReplyError("EXECABORT Transaction discarded because of: Can't execute 'exec': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"));
    const locked = createTestEngine({ config: { requirepass: 'pw' } });
    expect(peer(locked).run('EXEC')).toEqual(new ReplyError('EXECABORT Transaction discarded because of: NOAUTH Authentication required.'));
  });

  it('SAVE and SHUTDOWN are refused inside MULTI (Command not allowed inside a transaction), not queued', () => {
    let shutdowns = 0;
    const t = createTestEngine({ hooks: { shutdown: () => { shutdowns++; } } });
    const a = peer(t);
    for (const cmd of [['SAVE'], ['SHUTDOWN'], ['SHUTDOWN', 'NOSAVE']]) {
      a.run('MULTI');
      expect(a.run(...cmd)).toEqual(new ReplyError('ERR Command not allowed inside a transaction'));
      expect(a.run('PING')).toEqual(QUEUED);
      expect(a.run('EXEC')).toEqual(EXECABORT);
    }
    expect(shutdowns).toBe(0);
  });

  it('NOAUTH: a client that is not authenticated cannot start one; one that loses it while queueing aborts', () => {
    const t = createTestEngine({ config: { requirepass: 'pw' } });
    const a = peer(t);
    const noauth = new ReplyError('NOAUTH Authentication required.');
    expect(a.run('MULTI')).toEqual(noauth);
    expect(a.run('DISCARD')).toEqual(noauth);
    expect(a.run('AUTH', 'pw')).toEqual(OK);
    a.run('MULTI');
    expect(a.run('SET', 'k', 'v')).toEqual(QUEUED);
    // What an ACL change does in Redis; nodis has no ACL users, so the test sets it directly.
    a.client.authenticated = false;
    expect(a.run('GET', 'k')).toEqual(noauth);
    a.client.authenticated = true;
    expect(a.run('EXEC')).toEqual(EXECABORT);
    expect(a.run('GET', 'k')).toBeNull();
  });

  it('persistence errors: a write refused while queueing aborts; a write queue refused whole at EXEC, before WATCH\'s nil', () => {
    const t = createTestEngine();
    const a = peer(t);
    const b = peer(t);
    const misconf = 'MISCONF Errors writing to the AOF file: No space left on device';
    t.engine.writeError = misconf;
    a.run('MULTI');
    expect(a.run('GET', 'k')).toEqual(QUEUED);
    expect(a.run('SET', 'k', 'v')).toEqual(new ReplyError(misconf));
    expect(a.run('EXEC')).toEqual(EXECABORT);
    // Reads only: EXEC runs.
    expect(transaction(a, ['GET', 'k'])).toEqual([null]);
    t.engine.writeError = undefined;
    a.run('WATCH', 'w');
    a.run('MULTI');
    a.run('SET', 'k', 'v');
    b.run('SET', 'w', 'touched');
    t.engine.writeError = misconf;
    // Redis refuses EXEC itself (its queue writes) before looking at the watched keys.
    expect(a.run('EXEC')).toEqual(new ReplyError(`EXECABORT Transaction discarded because of: ${misconf}`));
    t.engine.writeError = undefined;
    expect(a.run('GET', 'k')).toBeNull();
    expect(a.run('EXEC')).toEqual(new ReplyError('ERR EXEC without MULTI'));
  });
});

describe('WATCH', () => {
  /** WATCH `key` on a, let `touch` act, and return a's EXEC reply for a transaction of one SET. */
  function afterTouch(t: EngineHarness, key: string, touch: () => void): Reply {
    const a = peer(t);
    expect(a.run('WATCH', key)).toEqual(OK);
    touch();
    return transaction(a, ['SET', 'result', 'ran']);
  }

  it('another client\'s write, DEL, EXPIRE, PERSIST, RENAME (either side), MOVE, a list push and pop make EXEC answer nil', () => {
    const cases: [string, (b: Peer) => void, (b: Peer) => void][] = [
      ['SET', () => {}, (b) => b.run('SET', 'k', 'other')],
      ['SET with the same value', () => {}, (b) => b.run('SET', 'k', 'v')],
      ['DEL', () => {}, (b) => b.run('DEL', 'k')],
      ['EXPIRE', () => {}, (b) => b.run('EXPIRE', 'k', '1000')],
      ['PERSIST of a key with a TTL', (b) => b.run('EXPIRE', 'k', '1000'), (b) => b.run('PERSIST', 'k')],
      ['RENAME away', () => {}, (b) => b.run('RENAME', 'k', 'k2')],
      ['MOVE', () => {}, (b) => b.run('MOVE', 'k', '3')],
      ['APPEND', () => {}, (b) => b.run('APPEND', 'k', 'x')],
      ['INCRBYFLOAT', (b) => b.run('SET', 'k', '1'), (b) => b.run('INCRBYFLOAT', 'k', '0.5')],
    ];
    for (const [label, setup, touch] of cases) {
      const t = createTestEngine();
      const b = peer(t);
      b.run('SET', 'k', 'v');
      setup(b);
      expect(afterTouch(t, 'k', () => touch(b)), label).toBeNull();
      expect(b.run('GET', 'result'), label).toBeNull();
    }
    const t = createTestEngine();
    const b = peer(t);
    b.run('SET', 'src', 'v');
    expect(afterTouch(t, 'dst', () => b.run('RENAME', 'src', 'dst'))).toBeNull();
    expect(afterTouch(t, 'l', () => { b.run('RPUSH', 'l', 'a'); b.run('LPOP', 'l'); })).toBeNull();
    b.run('SELECT', '3');
    b.run('SET', 'moved', 'v');
    expect(afterTouch(t, 'moved', () => b.run('MOVE', 'moved', '0'))).toBeNull();
  });

  it('reads, writes to other keys or databases, and no-ops on a missing key leave it alone', () => {
    const t = createTestEngine();
    const b = peer(t);
    b.run('SET', 'k', 'v');
    const untouched = () => {
      b.run('GET', 'k');
      b.run('EXISTS', 'k');
      b.run('SET', 'other', '1');
      b.run('SELECT', '1');
      b.run('SET', 'k', 'db1');
      b.run('SELECT', '0');
      b.run('DEL', 'missing');
      b.run('PERSIST', 'k');
      b.run('EXPIRE', 'missing', '100');
      b.run('SET', 'k', 'x', 'NX');
    };
    expect(afterTouch(t, 'k', untouched)).toEqual([OK]);
    expect(afterTouch(t, 'missing', untouched)).toEqual([OK]);
  });

  it('a key that does not exist at WATCH and is created meanwhile fails EXEC', () => {
    const t = createTestEngine();
    const b = peer(t);
    expect(afterTouch(t, 'new', () => b.run('SET', 'new', '1'))).toBeNull();
    expect(afterTouch(t, 'newlist', () => b.run('LPUSH', 'newlist', '1'))).toBeNull();
  });

  it('the watching client\'s own write fails its transaction too', () => {
    const t = createTestEngine();
    const a = peer(t);
    a.run('WATCH', 'k');
    a.run('SET', 'k', 'mine');
    expect(transaction(a, ['GET', 'k'])).toBeNull();
  });

  it('FLUSHDB and FLUSHALL touch watched keys that exist; a watched missing key stays clean', () => {
    const t = createTestEngine();
    const b = peer(t);
    b.run('SET', 'k', 'v');
    expect(afterTouch(t, 'k', () => b.run('FLUSHDB'))).toBeNull();
    b.run('SET', 'k', 'v');
    expect(afterTouch(t, 'k', () => b.run('FLUSHALL'))).toBeNull();
    expect(afterTouch(t, 'missing', () => b.run('FLUSHALL'))).toEqual([OK]);
    // FLUSHDB of another database: not ours.
    b.run('SET', 'k', 'v');
    expect(afterTouch(t, 'k', () => { b.run('SELECT', '1'); b.run('FLUSHDB'); b.run('SELECT', '0'); })).toEqual([OK]);
  });

  it('SWAPDB touches watched keys whose content changes: present on either side', () => {
    const t = createTestEngine();
    const b = peer(t);
    // Missing in db0, present in db1: the swap brings it in.
    b.run('SELECT', '1');
    b.run('SET', 'k', 'from1');
    b.run('SELECT', '0');
    expect(afterTouch(t, 'k', () => b.run('SWAPDB', '0', '1'))).toBeNull();
    // Now present in db0 (from1) and missing in db1: the swap takes it away.
    expect(afterTouch(t, 'k', () => b.run('SWAPDB', '0', '1'))).toBeNull();
    // Missing on both sides: nothing changes.
    expect(afterTouch(t, 'nowhere', () => b.run('SWAPDB', '0', '1'))).toEqual([OK]);
  });

  it('expiry: a key alive at WATCH that expires fails EXEC, whether nobody noticed, a read removed it (lazy) or the cron did (active)', () => {
    for (const how of ['unnoticed', 'lazy', 'active'] as const) {
      const t = createTestEngine();
      const b = peer(t);
      b.run('SET', 'k', 'v', 'PX', '100');
      const a = peer(t);
      a.run('WATCH', 'k');
      t.clock.advance(101);
      if (how === 'lazy') expect(b.run('GET', 'k')).toBeNull();
      if (how === 'active') {
        for (let i = 0; i < 100 && t.engine.dbs[0]!.hasEntry('k'); i++) t.engine.cron();
        expect(t.engine.dbs[0]!.hasEntry('k')).toBe(false);
      }
      expect(transaction(a, ['SET', 'result', 'ran']), how).toBeNull();
    }
  });

  it('a stale key (already expired at WATCH) does not fail EXEC when it is removed, but a new value does', () => {
    for (const how of ['unnoticed', 'lazy', 'active', 'flushdb'] as const) {
      const t = createTestEngine();
      const b = peer(t);
      const db = t.engine.dbs[0]!;
      b.run('SET', 'k', 'v', 'PX', '100');
      t.clock.advance(200);
      expect(db.hasEntry('k')).toBe(true); // expired, not removed yet
      const a = peer(t);
      a.run('WATCH', 'k');
      if (how === 'lazy') b.run('GET', 'k');
      if (how === 'active') for (let i = 0; i < 100 && db.hasEntry('k'); i++) t.engine.cron();
      if (how === 'flushdb') b.run('FLUSHDB');
      expect(transaction(a, ['SET', 'result', how]), how).toEqual([OK]);
    }
    const t = createTestEngine();
    const b = peer(t);
    b.run('SET', 'k', 'v', 'PX', '100');
    t.clock.advance(200);
    const a = peer(t);
    a.run('WATCH', 'k');
    b.run('GET', 'k'); // removed: logically no change
    b.run('SET', 'k', 'fresh'); // a real change
    expect(transaction(a, ['GET', 'k'])).toBeNull();
  });

  it('WATCH of several keys: any one touched fails; watching twice is the same', () => {
    const t = createTestEngine();
    const b = peer(t);
    const a = peer(t);
    a.run('WATCH', 'x', 'y', 'x');
    a.run('WATCH', 'z');
    b.run('SET', 'z', '1');
    expect(transaction(a, ['PING'])).toBeNull();
    // EXEC unwatches: the next transaction runs.
    b.run('SET', 'x', '1');
    expect(transaction(a, ['PING'])).toEqual([new SimpleString('PONG')]);
    expect(t.engine.watching.size).toBe(0);
  });

  it('an optimistic GET+SET retry loop of 4 interleaved clients ends at the exact total', () => {
    const t = createTestEngine();
    const clients = [peer(t), peer(t), peer(t), peer(t)];
    const remaining = [25, 25, 25, 25];
    // Each client: WATCH, GET, then (after others may have run) MULTI SET EXEC; retry on nil.
    const state = clients.map(() => ({ phase: 0, value: 0 }));
    const random = seededRandom(8);
    let turns = 0;
    let retries = 0;
    while (remaining.some((r) => r > 0) && turns++ < 100_000) {
      const i = Math.floor(random() * 4);
      if (remaining[i] === 0) continue;
      const c = clients[i]!;
      const s = state[i]!;
      if (s.phase === 0) {
        c.run('WATCH', 'counter');
        s.value = Number(c.run('GET', 'counter') ?? '0');
        s.phase = 1;
      } else {
        const r = transaction(c, ['SET', 'counter', String(s.value + 1)]);
        if (r === null) retries++;
        else remaining[i]!--;
        s.phase = 0;
      }
    }
    expect(clients[0]!.run('GET', 'counter')).toBe('100');
    expect(retries).toBeGreaterThan(0);
  });

  it('RESET and a disconnect forget the watched keys and the transaction', () => {
    const t = createTestEngine();
    const a = peer(t);
    a.run('WATCH', 'k');
    a.run('MULTI');
    a.run('SET', 'k', 'v');
    expect(a.run('RESET')).toEqual(new SimpleString('RESET'));
    expect(a.run('EXEC')).toEqual(new ReplyError('ERR EXEC without MULTI'));
    expect(t.engine.watching.size).toBe(0);
    const b = peer(t);
    b.run('WATCH', 'k', 'j');
    b.run('MULTI');
    t.engine.removeClient(b.client);
    expect(t.engine.watching.size).toBe(0);
    expect(b.client.multi).toBeUndefined();
  });
});

describe('blocking commands inside EXEC answer at once', () => {
  it('BLPOP / BRPOP / BLMPOP / BZPOPMIN give a nil array, BLMOVE / BRPOPLPUSH a nil bulk; with data they pop', () => {
    const t = createTestEngine();
    const a = peer(t);
    expect(transaction(a,
      ['BLPOP', 'none', '0'], ['BRPOP', 'none', '0'], ['BLMPOP', '0', '1', 'none', 'LEFT'], ['BZPOPMIN', 'none', '0'],
      ['BLMOVE', 'none', 'dst', 'LEFT', 'RIGHT', '0'], ['BRPOPLPUSH', 'none', 'dst', '0'],
      ['RPUSH', 'l', 'x'], ['BLPOP', 'l', '0'],
    )).toEqual([null, null, null, null, null, null, 1, ['l', 'x']]);
    expect(a.client.blocked).toBe(false);
    expect(a.run('PING')).toEqual(new SimpleString('PONG'));
  });

  it('a transaction\'s push serves a client blocked outside it, after EXEC', () => {
    const t = createTestEngine();
    const waiter = new CapturingWriter(2);
    const w = t.engine.createClient({ reply: waiter, kind: 'tcp' });
    t.engine.execute(w, ['BLPOP', 'q', '0']);
    expect(waiter.take()).toEqual([]);
    const a = peer(t);
    expect(transaction(a, ['RPUSH', 'q', '1', '2'], ['LLEN', 'q'])).toEqual([2, 2]);
    expect(waiter.take()).toEqual([['q', '1']]);
    expect(a.run('LRANGE', 'q', '0', '-1')).toEqual(['2']);
  });
});

describe('the AOF records of a transaction', () => {
  function recording(t: EngineHarness): [number, ...string[]][] {
    const records: [number, ...string[]][] = [];
    const propagator: Propagator = { append: (db, argv) => { records.push([db, ...argv]); } };
    t.engine.propagator = propagator;
    return records;
  }

  it('writes are wrapped in MULTI ... EXEC; reads and failed commands are not logged', () => {
    const t = createTestEngine();
    const records = recording(t);
    const a = peer(t);
    a.run('SET', 's', 'str');
    records.length = 0;
    transaction(a, ['SET', 'a', '1'], ['GET', 'a'], ['INCR', 's'], ['EXPIRE', 'a', '100'], ['SELECT', '2'], ['LPUSH', 'l', 'x']);
    expect(records).toEqual([
      [0, 'MULTI'],
      [0, 'SET', 'a', '1'],
      [0, 'PEXPIREAT', 'a', String(t.clock.now + 100_000)],
      [2, 'LPUSH', 'l', 'x'],
      [0, 'EXEC'],
    ]);
  });

  it('a read-only transaction, an aborted one, a discarded one and a WATCH failure log nothing', () => {
    const t = createTestEngine();
    const records = recording(t);
    const a = peer(t);
    const b = peer(t);
    transaction(a, ['GET', 'a'], ['PING'], ['EXISTS', 'a'], ['SET', 'n', 'v', 'XX']);
    a.run('MULTI');
    a.run('SET', 'a', '1');
    a.run('NOSUCH');
    a.run('EXEC');
    a.run('MULTI');
    a.run('SET', 'a', '1');
    a.run('DISCARD');
    a.run('WATCH', 'w');
    b.run('GET', 'w');
    a.run('MULTI');
    a.run('SET', 'a', '1');
    expect(records).toEqual([]);
    b.run('SET', 'w', '1');
    records.length = 0;
    expect(a.run('EXEC')).toBeNull();
    expect(records).toEqual([]);
  });

  it('lazy expiry during EXEC is logged inside the transaction as a DEL', () => {
    const t = createTestEngine();
    const records = recording(t);
    const a = peer(t);
    a.run('SET', 'old', 'v', 'PX', '10');
    t.clock.advance(20);
    records.length = 0;
    expect(transaction(a, ['GET', 'old'], ['SET', 'b', '1'])).toEqual([null, OK]);
    expect(records).toEqual([[0, 'MULTI'], [0, 'DEL', 'old'], [0, 'SET', 'b', '1'], [0, 'EXEC']]);
  });

  it('replaying the records in a fresh engine gives the same data', () => {
    const t = createTestEngine();
    const records = recording(t);
    const a = peer(t);
    transaction(a, ['SET', 'a', '1'], ['INCRBY', 'a', '41'], ['RPUSH', 'l', 'x', 'y'], ['SELECT', '1'], ['SADD', 's', 'm']);
    a.run('SELECT', '0');
    transaction(a, ['DEL', 'l'], ['HSET', 'h', 'f', 'v']);
    const replay = createTestEngine();
    const loader = peer(replay);
    let db = -1;
    for (const [index, ...argv] of records) {
      if (index !== db) { loader.run('SELECT', String(index)); db = index; }
      loader.run(...argv);
    }
    expect(replay.engine.dbs[0]!.peek('l')).toBeUndefined();
    for (const [k, i] of [['a', 0], ['h', 0], ['s', 1]] as const) {
      expect(describeValue(replay.engine.dbs[i]!.peek(k)!), k).toBe(describeValue(t.engine.dbs[i]!.peek(k)!));
    }
    expect(replay.engine.dbs[0]!.size).toBe(2);
  });
});

describe('CLIENT LIST while in a transaction', () => {
  const line = (p: Peer): string => (p.run('CLIENT', 'INFO') as ReplyVerbatim).text;

  it('flag x and multi=<queued>; flag d once a watched key is touched; cmd=exec inside EXEC', () => {
    const t = createTestEngine();
    const a = peer(t, 3);
    const b = peer(t);
    expect(line(a)).toMatch(/ flags=N .* multi=-1 /);
    a.run('WATCH', 'k');
    b.run('SET', 'k', '1');
    expect(line(a)).toMatch(/ flags=d /);
    a.run('UNWATCH');
    a.run('MULTI');
    a.run('SET', 'x', '1');
    a.run('GET', 'x');
    const listed = (b.run('CLIENT', 'LIST') as string).split('\n').find((l) => l.startsWith(`id=${a.client.id} `))!;
    expect(listed).toMatch(/ flags=x .* multi=2 /);
    // As Redis: during EXEC the client is still in its transaction, and its command is exec.
    const inside = a.run('CLIENT', 'INFO');
    expect(inside).toEqual(QUEUED);
    const [, , info] = a.run('EXEC') as [Reply, Reply, ReplyVerbatim];
    expect(info.text).toMatch(/ flags=x .* multi=3 .* cmd=exec /);
    // After EXEC, CLIENT LIST names exec, not the transaction's last command.
    expect((b.run('CLIENT', 'LIST') as string)).toMatch(new RegExp(`id=${a.client.id} .* flags=N .* multi=-1 .* cmd=exec `));
  });
});
