import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import net from 'node:net';
import { ReplyParser, type Reply } from '@nodis/protocol';
import { redisAvailable } from '../helpers/redis.js';
import { useServerPair } from '../helpers/oracle.js';
import { RespTestClient } from '../helpers/resp-client.js';

/**
 * Keyspace notifications, differential: the same commands go to nodis-server and to a real
 * redis-server 7.0.15 under the same notify-keyspace-events, and the keyspace/keyevent
 * messages a subscriber receives (`PSUBSCRIBE __key*__:*`) must be equal, in order.
 *
 * After each step the command connection publishes a marker on a channel the subscriber also
 * listens to: messages are delivered in the order they are published, so every event a step
 * caused (including those of blocked clients it served) arrives before its marker, and each
 * step's events compare on their own. Steps that leave a key past its time read it in the same
 * pipeline, so the active expiry cycle (which runs on its own clock on each server) cannot
 * remove it in between; the tests of the active cycle wait for its `expired` events instead.
 */

const MARK = 'nodis-test:mark';
const PATTERN = '__key*__:*';
/** Long enough for any expiry cycle (hz 10), short enough to fail a test rather than hang it. */
const DEADLINE_MS = 10_000;

type Argv = string[];
/** A command; several sent in one write (nothing runs between them); or a blocking command sent on a third connection. */
type Step = Argv | { pipeline: Argv[] } | { block: Argv };

function text(r: Reply): string {
  if (typeof r === 'string') return r;
  if (r instanceof Uint8Array) return Buffer.from(r).toString('latin1');
  return String(r);
}

/** A subscriber to every keyspace channel and to MARK; collects `channel message` lines. */
class EventLog {
  private events: string[] = [];
  private marks = new Map<string, (events: string[]) => void>();
  private readonly parser = new ReplyParser();
  private confirmations = 0;
  private onConfirm: (() => void) | undefined;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk) => this.parser.feed(chunk, (r) => this.receive(r)));
  }

  static async open(port: number): Promise<EventLog> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1', noDelay: true }, () => resolve(s));
      s.once('error', reject);
    });
    const log = new EventLog(socket);
    const confirmed = new Promise<void>((resolve) => { log.onConfirm = resolve; });
    socket.write(RespTestClient.encode(['PSUBSCRIBE', PATTERN]));
    socket.write(RespTestClient.encode(['SUBSCRIBE', MARK]));
    await confirmed;
    return log;
  }

  private receive(r: Reply): void {
    if (!Array.isArray(r)) throw new Error(`unexpected reply on the subscriber: ${String(r)}`);
    const kind = text(r[0]!);
    if (kind === 'pmessage') {
      this.events.push(`${text(r[2]!)} ${text(r[3]!)}`);
    } else if (kind === 'message') {
      const done = this.marks.get(text(r[2]!));
      this.marks.delete(text(r[2]!));
      done?.(this.take());
    } else if (++this.confirmations === 2) {
      this.onConfirm?.();
    }
  }

  /** Resolves the events received before marker `id` (and since the previous take). */
  untilMark(id: string): Promise<string[]> {
    return new Promise((resolve) => { this.marks.set(id, resolve); });
  }

  take(): string[] { return this.events.splice(0, this.events.length); }

  /** Waits, polling the events already received (no command is sent), until `done` holds for them. */
  async waitFor(done: (events: readonly string[]) => boolean): Promise<string[]> {
    const deadline = Date.now() + DEADLINE_MS;
    while (!done(this.events)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting; events so far: ${JSON.stringify(this.events)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.take();
  }

  close(): void { this.socket.destroy(); }
}

/** One server's side: the command connection (from useServerPair), a subscriber and a connection for blocking commands. */
interface Side {
  name: string;
  conn: RespTestClient;
  blocker: RespTestClient;
  log: EventLog;
  blocked: Promise<Reply>[];
  marks: number;
}

async function openSide(name: string, conn: RespTestClient): Promise<Side> {
  const port = conn.socket.remotePort!;
  return { name, conn, blocker: await RespTestClient.connect(port), log: await EventLog.open(port), blocked: [], marks: 0 };
}

async function blockedClients(side: Side): Promise<number> {
  const info = text(await side.conn.call('INFO', 'clients'));
  return Number(/blocked_clients:(\d+)/.exec(info)?.[1] ?? NaN);
}

/** Runs one step, then the marker; resolves the events the step caused. */
async function runStep(side: Side, step: Step): Promise<string[]> {
  const id = `${side.name}:${++side.marks}`;
  const events = side.log.untilMark(id);
  if (Array.isArray(step)) {
    await side.conn.pipeline([step, ['PUBLISH', MARK, id]]);
  } else if ('pipeline' in step) {
    await side.conn.pipeline([...step.pipeline, ['PUBLISH', MARK, id]]);
  } else {
    let served = false;
    const before = await blockedClients(side);
    side.blocked.push(side.blocker.call(...step.block).then((r) => { served = true; return r; }));
    // Blocked (or already answered, when there was something to pop): only then the next step.
    const deadline = Date.now() + DEADLINE_MS;
    while (!served && await blockedClients(side) === before) {
      if (Date.now() > deadline) throw new Error(`${step.block.join(' ')} neither blocked nor answered`);
      await new Promise((r) => setTimeout(r, 5));
    }
    await side.conn.call('PUBLISH', MARK, id);
  }
  return events;
}

function describeStep(step: Step): string {
  if (Array.isArray(step)) return step.join(' ');
  if ('pipeline' in step) return step.pipeline.map((a) => a.join(' ')).join(' ; ');
  return `(blocked) ${step.block.join(' ')}`;
}

/** Lines of commands, split on spaces (no argument here contains one). */
function steps(lines: string): Argv[] {
  return lines.trim().split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split(/\s+/));
}

describe.skipIf(!redisAvailable)('keyspace notifications: nodis vs redis-server', () => {
  const servers = useServerPair('notify');
  let nodis: Side;
  let redis: Side;

  beforeAll(async () => {
    [nodis, redis] = await Promise.all([openSide('nodis', servers.nodis), openSide('redis', servers.redis)]);
  });
  afterAll(() => {
    for (const side of [nodis, redis]) {
      side?.log.close();
      side?.blocker.close();
    }
  });

  const configure = async (flags: string) => {
    for (const side of [nodis, redis]) {
      await side.conn.call('CONFIG', 'SET', 'notify-keyspace-events', '');
      await side.conn.call('FLUSHALL');
      await side.conn.call('SELECT', '0');
      const r = await side.conn.call('CONFIG', 'SET', 'notify-keyspace-events', flags);
      expect(text(r), `${side.name}: CONFIG SET notify-keyspace-events ${flags}`).toBe('OK');
      // Whatever an earlier test left in flight arrives before this marker and is dropped.
      await runStep(side, ['PING']);
    }
  };

  /** Runs the steps on both servers and compares the events step by step. */
  const expectSameEvents = async (flags: string, script: Step[]) => {
    await configure(flags);
    const ours: { step: string; events: string[] }[] = [];
    const theirs: { step: string; events: string[] }[] = [];
    for (const step of script) {
      const [a, b] = await Promise.all([runStep(nodis, step), runStep(redis, step)]);
      ours.push({ step: describeStep(step), events: a });
      theirs.push({ step: describeStep(step), events: b });
    }
    for (const side of [nodis, redis]) {
      const replies = await Promise.race([
        Promise.all(side.blocked.splice(0)),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${side.name}: a blocked client was never served`)), DEADLINE_MS)),
      ]);
      expect(replies.every((r) => r !== null), `${side.name}: every blocked client was served`).toBe(true);
    }
    expect(ours, `notify-keyspace-events '${flags}'`).toEqual(theirs);
    return theirs;
  };

  // ------------------------------------------------------------------ scripted, family by family

  const STRINGS: Step[] = [
    ...steps(`
      GET a
      SET a 1
      SET a 2 NX
      SET a 3 XX
      SET b 3 XX
      SET b 3 NX GET
      SET b 4 GET
      SET b 5 KEEPTTL
      SET b 5 EX 100
      SET b 6 KEEPTTL
      SET b 7 GET KEEPTTL
      SETNX c 1
      SETNX c 2
      SETEX d 100 x
      SETEX d -1 x
      PSETEX d 100 x
      MGET a nokey b c
      MSET a 1 e 2
      MSETNX f 1 g 2
      MSETNX f 1 h 2
      GETSET a 3
      GETSET newk 3
      GETDEL a
      GETDEL a
      GETEX f
      GETEX f EX 100
      GETEX f PERSIST
      GETEX f PERSIST
      GETEX f PXAT 1
      GETEX nokey EX 100
      APPEND ap x
      APPEND ap y
      STRLEN ap
      STRLEN nokey
      GETRANGE nokey 0 1
      SUBSTR ap 0 1
      SETRANGE sr 2 x
      SETRANGE sr 0 y
      LCS nokey ap
      LCS nokey nokey2
      INCR i
      INCRBY i 5
      DECR i
      DECRBY i 3
      INCRBYFLOAT i 1.5
      INCRBYFLOAT fnew 1.5
      INCR ap
      LPUSH l x
      GET l
      SET l 1 GET
      SET l 1
    `),
    ['APPEND', 'ap', ''], ['APPEND', 'empty', ''], ['SETRANGE', 'ap', '0', ''], ['SETRANGE', 'nothing', '5', ''],
    ['SET', 'e', ''], ['SETRANGE', 'e', '0', ''],
    // A key stored already past its time, then read in the same write: lazy expiry, then the miss.
    { pipeline: [['SET', 'p', '1', 'PXAT', '1'], ['GET', 'p']] },
    { pipeline: [['SET', 'p', '1', 'EXAT', '1'], ['SETNX', 'p', '2']] },
    { pipeline: [['SET', 'p', '1', 'PXAT', '1'], ['SET', 'p', '2']] },
    { pipeline: [['SET', 'p', '1', 'PXAT', '1'], ['SET', 'p', '3', 'KEEPTTL']] },
    { pipeline: [['SET', 'p', '1', 'PXAT', '1'], ['MSET', 'p', '4', 'q', '5']] },
  ];

  const KEYS: Step[] = steps(`
    MSET a 1 b 2 c 3
    DEL a nokey b
    UNLINK c
    EXISTS a nokey
    TOUCH a nokey
    TYPE nokey
    SET a 1
    RENAME nokey x
    RENAME a a
    RENAME a b
    SET c 1
    RENAME b c
    RENAMENX c c
    RENAMENX c d
    SET e 1
    RENAMENX d e
    COPY d f
    COPY nokey f
    COPY d f
    COPY d f REPLACE
    COPY d f DB 1
    COPY d f DB 1 REPLACE
    COPY d d
    MOVE f 1
    MOVE nokey 1
    MOVE e 1
    SELECT 1
    GET e
    RENAME e e2
    MOVE e2 0
    SELECT 0
    KEYS *
    SCAN 0
    DBSIZE
    EXPIRE nokey 100
    EXPIRE e2 100
    EXPIRE e2 100 NX
    EXPIRE e2 200 NX
    PEXPIRE e2 100000 XX
    EXPIRE e2 200 GT
    EXPIRE e2 50 LT
    EXPIRE e2 -1 GT
    EXPIRE e2 -1
    EXPIREAT d 1
    SET p 1
    PEXPIREAT p 9999999999999
    TTL nokey
    PTTL p
    EXPIRETIME nokey
    PEXPIRETIME p
    PERSIST p
    PERSIST p
    PERSIST nokey
    OBJECT ENCODING nokey
    OBJECT ENCODING p
    SWAPDB 0 1
    FLUSHDB
    FLUSHALL
  `);

  const LISTS: Step[] = [
    ...steps(`
      LPUSH l a b c
      RPUSH l d
      LPUSHX nokey a
      RPUSHX l e
      LPOP nokey
      LPOP l
      RPOP l 2
      LPOP l 0
      LLEN nokey
      LINDEX nokey 0
      LSET l 0 x
      LSET l 99 x
      LSET nokey 0 x
      LRANGE nokey 0 1
      LTRIM l 0 -1
      LTRIM l 0 0
      LTRIM nokey 0 0
      LTRIM l 5 10
      RPUSH l a b a c
      LINSERT l BEFORE a z
      LINSERT l AFTER nope z
      LINSERT nokey BEFORE a z
      LREM l 0 a
      LREM l 0 nope
      LREM nokey 0 a
      LPOS nokey a
      LPOS l a
      LMOVE l m LEFT RIGHT
      LMOVE m l RIGHT LEFT
      LMOVE nokey m LEFT LEFT
      LMOVE l l LEFT RIGHT
      RPOPLPUSH l x
      RPOPLPUSH l x
      RPOPLPUSH x x
      LMPOP 2 nokey x LEFT
      LMPOP 2 nokey x2 LEFT
      RPUSH x 1 2 3
      LMPOP 1 x RIGHT COUNT 5
      RPUSH y 1
      BLPOP nokey y 1
      RPUSH y 1 2
      BRPOPLPUSH y z 1
      BLMOVE y z LEFT LEFT 1
      BLMPOP 1 2 nokey z RIGHT COUNT 10
      SET s x
      LPUSH s x
      LMOVE z s LEFT LEFT
    `),
    // Blocked clients served by a later push: the push's events, then the pop's (and del).
    { block: ['BLPOP', 'bq', '0'] },
    ['RPUSH', 'bq', '1', '2'],
    { block: ['BLPOP', 'bq', '0'] },
    ['RPUSH', 'bq', '1'],
    { block: ['BRPOP', 'bq2', 'bq', '0'] },
    ['LPUSH', 'bq', 'v', 'w'],
    { block: ['BLMOVE', 'bq3', 'bdst', 'LEFT', 'RIGHT', '0'] },
    ['LPUSH', 'bq3', 'v'],
    { block: ['BRPOPLPUSH', 'bq3', 'bdst', '0'] },
    ['RPUSH', 'bq3', 'w', 'x'],
    { block: ['BLMPOP', '0', '2', 'bq4', 'bq5', 'LEFT', 'COUNT', '3'] },
    ['RPUSH', 'bq5', 'a', 'b'],
    { block: ['BLPOP', 'bq6', '0'] },
    { pipeline: [['MULTI'], ['RPUSH', 'bq6', 'a'], ['RPUSH', 'bq6', 'b'], ['EXEC']] },
    { block: ['BLPOP', 'bq7', '0'] },
    ['RPUSH', 'src7', 'x'],
    ['LMOVE', 'src7', 'bq7', 'LEFT', 'LEFT'],
  ];

  const HASHES: Step[] = steps(`
    HSET h f 1
    HSET h f 2 g 3
    HSET h f 2
    HMSET h f 1
    HSETNX h f 1
    HSETNX h z 1
    HSETNX nh z 1
    HGET nokey f
    HGET h nofield
    HMGET nokey f
    HEXISTS nokey f
    HSTRLEN nokey f
    HLEN nokey
    HDEL h nofield
    HDEL nokey f
    HDEL h f
    HKEYS nokey
    HVALS nokey
    HGETALL nokey
    HINCRBY h n 1
    HINCRBY nh2 n 1
    HINCRBY h f x
    HINCRBY h g 9223372036854775807
    HINCRBYFLOAT h n 1.5
    HINCRBYFLOAT nh3 n 1.5
    HRANDFIELD nokey
    HRANDFIELD nokey 2
    HRANDFIELD h -3 WITHVALUES
    HSCAN nokey 0
    HDEL h g z n
    HDEL nh z
  `);

  const SETS: Step[] = steps(`
    SADD s a b
    SADD s a
    SADD s c
    SREM s nope
    SREM nokey a
    SREM s a
    SISMEMBER nokey a
    SMISMEMBER nokey a
    SCARD nokey
    SMEMBERS nokey
    SRANDMEMBER nokey
    SRANDMEMBER nokey 3
    SSCAN nokey 0
    SPOP nokey
    SPOP nokey 2
    SPOP s
    SADD t 1 2 3 4
    SPOP t 2
    SPOP t 0
    SPOP t 5
    SADD u 1 2 3
    SPOP u 3
    SADD u 9
    SPOP u
    SMOVE nokey s a
    SADD u 1 2
    SMOVE u s 1
    SMOVE u s nope
    SMOVE u s 2
    SADD v 1
    SMOVE v v 1
    SMOVE v v 2
    SADD s 1
    SMOVE v s 1
    SMOVE s new 1
    SINTER nokey s
    SINTER s nokey
    SINTER nokey nokey2 s
    SUNION nokey s nokey2
    SDIFF nokey s
    SADD s x y
    SADD w x
    SINTERSTORE dst s w
    SINTERSTORE dst s nokey
    SINTERSTORE dst s nokey
    SUNIONSTORE dst s w
    SUNIONSTORE dst s w
    SUNIONSTORE dst2 nokey nokey2
    SDIFFSTORE dst s w
    SDIFFSTORE dst w s
    SINTERCARD 2 s nokey
    SINTERCARD 3 nokey nokey2 s
    SET st x
    SINTER st nokey
    SUNION nokey st
    SUNIONSTORE dst nokey st
    SINTERSTORE dst s st
    SMOVE s st x
  `);

  const ZSETS: Step[] = [
    ...steps(`
      ZADD z 1 a 2 b
      ZADD z 1 a
      ZADD z 3 a
      ZADD z NX 5 a
      ZADD z XX 5 new
      ZADD z XX CH 6 a
      ZADD z INCR 1 a
      ZADD z GT 1 a
      ZADD z2 XX 1 a
      ZADD z3 INCR 1 a
      ZADD z LT INCR 100 a
      ZINCRBY z 1 a
      ZINCRBY z4 1 a
      ZREM z nope
      ZREM nokey a
      ZREM z a
      ZCARD nokey
      ZSCORE nokey a
      ZMSCORE nokey a
      ZRANK nokey a
      ZREVRANK nokey a
      ZCOUNT nokey 0 1
      ZLEXCOUNT nokey - +
      ZRANGE nokey 0 1
      ZRANGE nokey 0 1 BYSCORE
      ZREVRANGE nokey 0 1
      ZRANGEBYSCORE nokey 0 1
      ZREVRANGEBYSCORE nokey 1 0
      ZRANGEBYLEX nokey - +
      ZREVRANGEBYLEX nokey + -
      ZRANGESTORE d nokey 0 1
      ZRANGESTORE d z 0 -1
      ZRANGESTORE d z 0 -1
      ZRANGESTORE d z 5 6
      ZRANGESTORE d z 5 6
      ZADD r 1 a 2 b 3 c 4 d
      ZREMRANGEBYRANK r 0 0
      ZREMRANGEBYRANK r 10 20
      ZREMRANGEBYSCORE r 2 2
      ZREMRANGEBYLEX r - +
      ZREMRANGEBYRANK nokey 0 1
      ZRANDMEMBER nokey
      ZRANDMEMBER nokey 2
      ZSCAN nokey 0
      ZADD p 1 a 2 b 3 c
      ZPOPMIN nokey
      ZPOPMIN p
      ZPOPMAX p 5
      ZPOPMIN p 0
      ZADD p 1 a
      ZPOPMIN p 0
      ZMPOP 2 nokey p MIN
      ZMPOP 1 nokey MIN
      ZADD p 1 a 2 b
      BZPOPMIN nokey p 1
      BZPOPMAX p 1
      BZMPOP 1 1 p MIN
      ZADD s1 1 a 2 b
      ZADD s2 1 b
      SADD plain b c
      ZUNION 2 s1 nokey
      ZINTER 3 nokey nokey2 s1
      ZDIFF 2 s1 nokey
      ZINTERCARD 2 s1 nokey
      ZUNIONSTORE out 2 s1 s2
      ZUNIONSTORE out 2 s1 s2
      ZINTERSTORE out 2 s1 nokey
      ZINTERSTORE out 2 s1 nokey
      ZDIFFSTORE out 2 s1 s2
      ZDIFFSTORE out 2 s2 s1
      ZUNIONSTORE out 3 s1 plain nokey
      SET str x
      ZUNIONSTORE out 2 nokey str
    `),
    { block: ['BZPOPMIN', 'bz', '0'] },
    ['ZADD', 'bz', '1', 'a', '2', 'b'],
    { block: ['BZMPOP', '0', '1', 'bz', 'MAX', 'COUNT', '5'] },
    ['ZADD', 'bz', '3', 'c'],
    { block: ['BZPOPMAX', 'bz2', 'bz3', '0'] },
    ['ZUNIONSTORE', 'bz3', '1', 's1'],
  ];

  const BITS_AND_HLL: Step[] = [
    ...steps(`
      SETBIT b 7 1
      SETBIT b 7 1
      SETBIT b 7 0
      SETBIT nb 7 0
      SETBIT b 200 0
      SETBIT b 200 0
      GETBIT nokey 0
      BITCOUNT nokey
      BITPOS nokey 1
      BITOP AND dst nokey b
      BITOP AND dst nokey nokey2
      BITOP OR dst b b
      BITOP OR dst b b
      BITOP NOT dst2 nokey
      BITFIELD nokey GET u8 0
      BITFIELD bf SET u8 0 1
      BITFIELD bf SET u8 0 1
      BITFIELD bf SET u8 400 0
      BITFIELD bf SET u8 400 0
      BITFIELD bf INCRBY u8 0 1 GET u8 0
      BITFIELD bf INCRBY u8 0 0
      BITFIELD bf GET u8 0
      BITFIELD bf OVERFLOW FAIL INCRBY u2 0 100
      BITFIELD bf OVERFLOW SAT INCRBY u8 0 255
      BITFIELD bf OVERFLOW SAT INCRBY u8 0 255
      BITFIELD bf2 OVERFLOW FAIL INCRBY u2 0 100
      BITFIELD bf3 GET u8 0
      BITFIELD bf4 INCRBY u2 100 0
      BITFIELD_RO nokey GET u8 0
      BITFIELD_RO bf GET u8 0
      PFADD h a b
      PFADD h a
      PFADD h
      PFADD h2
      PFADD h2
      PFCOUNT nokey
      PFCOUNT h nokey
      PFCOUNT h
      PFCOUNT h h2
      PFMERGE m h nokey
      PFMERGE m h
      PFMERGE m2 nokey
      PFMERGE m2
      SET str abc
      PFADD str x
      PFCOUNT nokey str
      PFMERGE m nokey str
    `),
  ];

  /** Keys already past their time met by other commands, each in one write with the command that meets it. */
  const PAST = (...argvs: Argv[]): Step => ({ pipeline: [['SET', 'x', '1', 'PXAT', '1'], ...argvs] });
  const EXPIRED_KEYS: Step[] = [
    ['SET', 'live', '1'],
    PAST(['GET', 'x']), PAST(['EXISTS', 'x']), PAST(['TYPE', 'x']), PAST(['TTL', 'x']), PAST(['SCAN', '0', 'MATCH', 'x']),
    PAST(['KEYS', '*'], ['DEL', 'x']), PAST(['OBJECT', 'ENCODING', 'x']), PAST(['APPEND', 'x', 'y']), PAST(['INCR', 'x']),
    PAST(['RENAME', 'live', 'x']), PAST(['RENAME', 'x', 'live']), PAST(['COPY', 'live', 'x']), PAST(['COPY', 'x', 'live', 'REPLACE']),
    PAST(['MOVE', 'x', '1']), PAST(['SELECT', '1'], ['MOVE', 'x', '0'], ['SELECT', '0']),
    PAST(['LPUSH', 'x', 'a']), PAST(['SADD', 'x', 'a']), PAST(['EXPIRE', 'x', '100']), PAST(['PERSIST', 'x']),
    PAST(['SETNX', 'x', '2']), PAST(['MSETNX', 'x', '2']), PAST(['GETEX', 'x', 'PERSIST']), PAST(['SETRANGE', 'x', '0', 'z']),
    // An empty result deletes the destination without looking at its time (Redis's dbDelete: del,
    // not expired); a result stored over it expires it first.
    PAST(['SUNIONSTORE', 'x', 'nokey']), PAST(['BITOP', 'OR', 'x', 'nokey']), PAST(['ZUNIONSTORE', 'x', '1', 'nokey']),
    PAST(['ZRANGESTORE', 'x', 'nokey', '0', '1']), PAST(['SINTERSTORE', 'x', 'nokey']),
    ['SADD', 'set', 'm'], ['ZADD', 'zset', '1', 'm'],
    PAST(['SUNIONSTORE', 'x', 'set']), PAST(['ZUNIONSTORE', 'x', '1', 'zset']), PAST(['ZRANGESTORE', 'x', 'zset', '0', '1']),
    PAST(['BITOP', 'OR', 'x', 'live']),
  ];

  const SCRIPTS: [string, Step[]][] = [
    ['keys past their time', EXPIRED_KEYS],
    ['strings', STRINGS], ['keys and expiry', KEYS], ['lists and blocking pops', LISTS],
    ['hashes', HASHES], ['sets', SETS], ['sorted sets', ZSETS], ['bitmaps and HyperLogLog', BITS_AND_HLL],
  ];

  /* 'KEg$lshzxnm' is every class these commands use plus new and keymiss; 'KEAnm' says the same (below). */
  const FLAGS = ['KEA', 'KEg$lshzxnm', 'K$', 'El', 'Ex', 'Kgn', 'Em', 'Ez', 'Kh', 'Es'];

  describe.each(SCRIPTS)('%s', (_name, script) => {
    it.each(FLAGS)("events equal redis-server's with notify-keyspace-events '%s'", async (flags) => {
      await expectSameEvents(flags, script);
    });
  });

  it("with notify-keyspace-events '' nothing at all is published", async () => {
    for (const [, script] of SCRIPTS) {
      const result = await expectSameEvents('', script);
      expect(result.flatMap((s) => s.events)).toEqual([]);
    }
  });

  // CONFIG GET prints KEAnm as AKEm (Redis's rendering drops n after A): the n still counts.
  it('KEAnm publishes `new` events, as redis-server does', async () => {
    const result = await expectSameEvents('KEAnm', [['SET', 'k', 'v']]);
    expect(result[0]!.events).toContain('__keyevent@0__:new k');
  });

  // ------------------------------------------------------------------ expiry by the servers' own cycles

  it('the active expiry cycle publishes `expired` for keys no client touches', async () => {
    await configure('KEA');
    const setup: Step = { pipeline: [['SET', 'gone', 'v', 'PX', '50'], ['SET', 'kept', 'v'], ['HSET', 'gone:h', 'f', 'v'], ['PEXPIRE', 'gone:h', '80']] };
    const [a, b] = await Promise.all([runStep(nodis, setup), runStep(redis, setup)]);
    expect(a).toEqual(b);
    // Nothing is sent to either server while waiting: only the cycle can remove the keys.
    const expired = (events: readonly string[]) => events.filter((e) => e.endsWith(' expired') || e.startsWith('__keyevent@0__:expired ')).length === 4;
    const [ours, theirs] = await Promise.all([nodis.log.waitFor(expired), redis.log.waitFor(expired)]);
    // Which of the two keys the cycle meets first is its own affair: compare as sets.
    expect([...ours].sort()).toEqual([...theirs].sort());
    expect([...theirs].sort()).toEqual([
      '__keyevent@0__:expired gone', '__keyevent@0__:expired gone:h', '__keyspace@0__:gone expired', '__keyspace@0__:gone:h expired',
    ]);
    for (const side of [nodis, redis]) expect(await side.conn.call('DBSIZE'), side.name).toBe(1);
  });

  it('a key past its time read by GET: expired then keymiss (Kxm), whichever of lookup and cycle removed it', async () => {
    await configure('Kxm');
    for (const side of [nodis, redis]) await side.conn.call('SET', 'lazy', 'v', 'PX', '1');
    // Poll the clock, not the servers, until the time has passed on both.
    const until = Date.now() + 5;
    while (Date.now() < until) await new Promise((r) => setTimeout(r, 1));
    const [ours, theirs] = await Promise.all([runStep(nodis, ['GET', 'lazy']), runStep(redis, ['GET', 'lazy'])]);
    expect(ours).toEqual(theirs);
    expect(theirs).toEqual(['__keyspace@0__:lazy expired', '__keyspace@0__:lazy keymiss']);
  });

  // ------------------------------------------------------------------ random sequences

  it.each(['KEA', 'KEg$lshzxnm'])("random command sequences give the same events ('%s')", async (flags) => {
    await fc.assert(fc.asyncProperty(fc.array(randomCommand, { minLength: 1, maxLength: 30 }), async (cmds) => {
      await expectSameEvents(flags, cmds);
    }), { numRuns: 60 });
  });
});

// ---------------------------------------------------------------- the random command generator

/*
 * Commands over three keys of every type, so that types collide (WRONGTYPE paths) and
 * collections empty. Only deterministic effects: no SPOP (random picks would leave the servers'
 * sets different), and expiry only far in the future or in the past where the command deletes
 * at once (EXPIRE, GETEX): a key stored past its time would be removed by each server's cycle at
 * its own moment.
 */
const key = fc.constantFrom('a', 'b', 'c');
const member = fc.constantFrom('x', 'y', '1', '2');
const value = fc.constantFrom('1', '10', 'v', '');
const count = fc.constantFrom('0', '1', '2', '5', '-1');
const keys = fc.array(key, { minLength: 1, maxLength: 3 });
const tuple = <T extends unknown[]>(...arbs: { [K in keyof T]: fc.Arbitrary<T[K]> }) => fc.tuple<T>(...arbs);

const randomCommand: fc.Arbitrary<Argv> = fc.oneof(
  // strings
  tuple(key, value, fc.subarray(['NX', 'XX', 'GET', 'KEEPTTL', 'EX 1000'], { maxLength: 2 })).map(([k, v, o]) => ['SET', k, v, ...o.flatMap((x) => x.split(' '))]),
  tuple(fc.constantFrom('GET', 'STRLEN', 'GETDEL', 'INCR', 'DECR', 'TYPE', 'TTL', 'PERSIST', 'EXPIRETIME', 'PFCOUNT', 'BITCOUNT'), key).map(([c, k]) => [c, k]),
  tuple(fc.constantFrom('SETNX', 'GETSET', 'APPEND', 'INCRBY', 'DECRBY', 'INCRBYFLOAT', 'PFADD'), key, value).map(([c, k, v]) => [c, k, v]),
  tuple(key, value).map(([k, v]) => ['SETEX', k, '1000', v]),
  tuple(key, fc.constantFrom(['EX', '1000'], ['PERSIST'], ['EXAT', '1'], [])).map(([k, o]) => ['GETEX', k, ...o]),
  tuple(key, fc.constantFrom('0', '3'), value).map(([k, o, v]) => ['SETRANGE', k, o, v]),
  tuple(key, key).map(([a, b]) => ['LCS', a, b]),
  keys.map((ks) => ['MGET', ...ks]),
  fc.array(tuple(key, value), { minLength: 1, maxLength: 2 }).map((kv) => ['MSET', ...kv.flat()]),
  fc.array(tuple(key, value), { minLength: 1, maxLength: 2 }).map((kv) => ['MSETNX', ...kv.flat()]),
  // keys and expiry
  tuple(fc.constantFrom('DEL', 'UNLINK', 'EXISTS', 'TOUCH'), keys).map(([c, ks]) => [c, ...ks]),
  tuple(fc.constantFrom('RENAME', 'RENAMENX'), key, key).map(([c, a, b]) => [c, a, b]),
  tuple(key, key, fc.constantFrom([], ['REPLACE'], ['DB', '1'], ['DB', '1', 'REPLACE'])).map(([a, b, o]) => ['COPY', a, b, ...o]),
  tuple(key, fc.constantFrom('0', '1')).map(([k, db]) => ['MOVE', k, db]),
  fc.constantFrom<Argv>(['SELECT', '0'], ['SELECT', '1']),
  tuple(fc.constantFrom('EXPIRE', 'PEXPIRE'), key, fc.constantFrom('1000000', '-1', '0'), fc.constantFrom([], ['NX'], ['XX'], ['GT'], ['LT'])).map(([c, k, t, f]) => [c, k, t, ...f]),
  tuple(key).map(([k]) => ['PEXPIREAT', k, '1']),
  // lists
  tuple(fc.constantFrom('LPUSH', 'RPUSH', 'LPUSHX', 'RPUSHX'), key, fc.array(member, { minLength: 1, maxLength: 3 })).map(([c, k, ms]) => [c, k, ...ms]),
  tuple(fc.constantFrom('LPOP', 'RPOP'), key, fc.constantFrom([], ['1'], ['3'], ['0'])).map(([c, k, n]) => [c, k, ...n]),
  tuple(fc.constantFrom('LLEN', 'LPOS'), key).map(([c, k]) => (c === 'LPOS' ? [c, k, 'x'] : [c, k])),
  tuple(key, count, count).map(([k, a, b]) => ['LRANGE', k, a, b]),
  tuple(key, count, count).map(([k, a, b]) => ['LTRIM', k, a, b]),
  tuple(key, count, member).map(([k, i, v]) => ['LSET', k, i, v]),
  tuple(key, count, member).map(([k, n, v]) => ['LREM', k, n, v]),
  tuple(key, fc.constantFrom('BEFORE', 'AFTER'), member, member).map(([k, w, p, v]) => ['LINSERT', k, w, p, v]),
  tuple(key, key, fc.constantFrom('LEFT', 'RIGHT'), fc.constantFrom('LEFT', 'RIGHT')).map(([a, b, x, y]) => ['LMOVE', a, b, x, y]),
  tuple(key, key).map(([a, b]) => ['RPOPLPUSH', a, b]),
  tuple(keys, fc.constantFrom('LEFT', 'RIGHT'), fc.constantFrom([], ['COUNT', '2'])).map(([ks, d, c]) => ['LMPOP', String(ks.length), ...ks, d, ...c]),
  tuple(fc.constantFrom('BLPOP', 'BRPOP'), keys).map(([c, ks]) => [c, ...ks, '0.01']),
  // hashes
  tuple(key, fc.array(tuple(member, value), { minLength: 1, maxLength: 2 })).map(([k, fv]) => ['HSET', k, ...fv.flat()]),
  tuple(fc.constantFrom('HSETNX', 'HINCRBY', 'HINCRBYFLOAT'), key, member, fc.constantFrom('1', '2')).map(([c, k, f, v]) => [c, k, f, v]),
  tuple(fc.constantFrom('HGET', 'HEXISTS', 'HSTRLEN'), key, member).map(([c, k, f]) => [c, k, f]),
  tuple(fc.constantFrom('HDEL', 'HMGET'), key, fc.array(member, { minLength: 1, maxLength: 3 })).map(([c, k, fs]) => [c, k, ...fs]),
  tuple(fc.constantFrom('HLEN', 'HKEYS', 'HGETALL', 'HRANDFIELD'), key).map(([c, k]) => [c, k]),
  tuple(key).map(([k]) => ['HSCAN', k, '0']),
  // sets
  tuple(fc.constantFrom('SADD', 'SREM'), key, fc.array(member, { minLength: 1, maxLength: 3 })).map(([c, k, ms]) => [c, k, ...ms]),
  tuple(fc.constantFrom('SISMEMBER', 'SMISMEMBER'), key, member).map(([c, k, m]) => [c, k, m]),
  tuple(fc.constantFrom('SCARD', 'SMEMBERS', 'SRANDMEMBER'), key).map(([c, k]) => [c, k]),
  tuple(key, key, member).map(([a, b, m]) => ['SMOVE', a, b, m]),
  tuple(fc.constantFrom('SINTER', 'SUNION', 'SDIFF'), keys).map(([c, ks]) => [c, ...ks]),
  tuple(fc.constantFrom('SINTERSTORE', 'SUNIONSTORE', 'SDIFFSTORE'), key, keys).map(([c, d, ks]) => [c, d, ...ks]),
  keys.map((ks) => ['SINTERCARD', String(ks.length), ...ks]),
  // sorted sets
  tuple(key, fc.subarray(['NX', 'XX', 'GT', 'CH', 'INCR'], { maxLength: 2 }), fc.constantFrom('1', '2', '-1'), member)
    .filter(([, o]) => !(o.includes('NX') && (o.includes('XX') || o.includes('GT'))))
    .map(([k, o, s, m]) => ['ZADD', k, ...o, s, m]),
  tuple(key, fc.constantFrom('1', '0'), member).map(([k, n, m]) => ['ZINCRBY', k, n, m]),
  tuple(fc.constantFrom('ZREM', 'ZMSCORE'), key, fc.array(member, { minLength: 1, maxLength: 2 })).map(([c, k, ms]) => [c, k, ...ms]),
  tuple(fc.constantFrom('ZCARD', 'ZRANDMEMBER'), key).map(([c, k]) => [c, k]),
  tuple(fc.constantFrom('ZSCORE', 'ZRANK'), key, member).map(([c, k, m]) => [c, k, m]),
  tuple(key, count, count).map(([k, a, b]) => ['ZRANGE', k, a, b]),
  tuple(key, key, count, count).map(([d, s, a, b]) => ['ZRANGESTORE', d, s, a, b]),
  tuple(fc.constantFrom('ZREMRANGEBYRANK', 'ZREMRANGEBYSCORE'), key, count, count).map(([c, k, a, b]) => [c, k, a, b]),
  tuple(fc.constantFrom('ZPOPMIN', 'ZPOPMAX'), key, fc.constantFrom([], ['2'], ['0'])).map(([c, k, n]) => [c, k, ...n]),
  tuple(keys, fc.constantFrom('MIN', 'MAX')).map(([ks, w]) => ['ZMPOP', String(ks.length), ...ks, w]),
  tuple(fc.constantFrom('BZPOPMIN', 'BZPOPMAX'), keys).map(([c, ks]) => [c, ...ks, '0.01']),
  tuple(fc.constantFrom('ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE'), key, keys).map(([c, d, ks]) => [c, d, String(ks.length), ...ks]),
  tuple(fc.constantFrom('ZUNION', 'ZINTERCARD'), keys).map(([c, ks]) => [c, String(ks.length), ...ks]),
  // bitmaps and HyperLogLog
  tuple(key, fc.constantFrom('0', '7', '100'), fc.constantFrom('0', '1')).map(([k, o, v]) => ['SETBIT', k, o, v]),
  tuple(key, fc.constantFrom('0', '100')).map(([k, o]) => ['GETBIT', k, o]),
  tuple(fc.constantFrom('AND', 'OR'), key, keys).map(([op, d, ks]) => ['BITOP', op, d, ...ks]),
  tuple(key, fc.constantFrom(['GET', 'u8', '0'], ['SET', 'u8', '0', '1'], ['INCRBY', 'u4', '0', '0'], ['OVERFLOW', 'FAIL', 'INCRBY', 'u2', '0', '9'], ['SET', 'u8', '64', '0']))
    .map(([k, o]) => ['BITFIELD', k, ...o]),
  tuple(key, keys).map(([d, ks]) => ['PFMERGE', d, ...ks]),
);
