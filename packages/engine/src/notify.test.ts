import { describe, expect, it } from 'vitest';
import { createTestEngine, type EngineHarness } from './testing.js';
import { CapturingWriter, ReplyPush, SimpleString, type Reply } from './reply.js';
import {
  NOTIFY_EXPIRED, NOTIFY_GENERIC, NOTIFY_HASH, NOTIFY_KEY_MISS, NOTIFY_KEYEVENT, NOTIFY_KEYSPACE, NOTIFY_LIST,
  NOTIFY_NEW, NOTIFY_SET, NOTIFY_STRING, NOTIFY_ZSET, notifyMask,
} from './notify.js';

/**
 * Keyspace notifications in the engine (notify.ts and the notify() calls in the families): the
 * class mask, the channels and messages of a few events, `new` and `keymiss`, expiry (lazy and
 * the active cycle) with the manual clock, blocked clients served later, and the RESP3 rule that
 * a subscriber's own events follow its reply. test/compat/notifications.test.ts compares whole
 * event streams with redis-server 7.0.15; the expectations here were checked against it too.
 */

/** A client subscribed to every keyspace and keyevent channel. */
function subscriber(t: EngineHarness, protocol: 2 | 3 = 2) {
  const writer = new CapturingWriter(protocol);
  const client = t.engine.createClient({ reply: writer, kind: 'tcp', addr: '127.0.0.1:1', laddr: '127.0.0.1:2' });
  const send = (...argv: string[]): Reply[] => { t.engine.execute(client, argv); return writer.take(); };
  if (protocol === 3) send('HELLO', '3');
  send('PSUBSCRIBE', '__key*__:*');
  return {
    send,
    /** `channel message` of each keyspace message received since the last call. */
    events(): string[] { return writer.take().map(eventText); },
  };
}

function eventText(r: Reply): string {
  const items = r instanceof ReplyPush ? r.items : r;
  if (!Array.isArray(items) || items[0] !== 'pmessage') throw new Error(`not a pmessage: ${JSON.stringify(r)}`);
  return `${String(items[2])} ${String(items[3])}`;
}

/** Both channels of one event in db 0, as Redis publishes them (keyspace first). */
function both(event: string, key: string, db = 0): string[] {
  return [`__keyspace@${db}__:${key} ${event}`, `__keyevent@${db}__:${event} ${key}`];
}

function setup(flags: string) {
  const t = createTestEngine();
  t.run('CONFIG', 'SET', 'notify-keyspace-events', flags);
  return { t, sub: subscriber(t) };
}

describe('notifyMask', () => {
  it('is 0 without K or E, whatever the classes (nothing would be published)', () => {
    expect(notifyMask('')).toBe(0);
    expect(notifyMask('g$lshz')).toBe(0);
    expect(notifyMask('A')).toBe(0);
  });

  it('A is every class but key miss and new', () => {
    const m = notifyMask('AKE');
    for (const c of [NOTIFY_GENERIC, NOTIFY_STRING, NOTIFY_LIST, NOTIFY_SET, NOTIFY_HASH, NOTIFY_ZSET, NOTIFY_EXPIRED]) {
      expect(m & c).toBe(c);
    }
    expect(m & NOTIFY_KEY_MISS).toBe(0);
    expect(m & NOTIFY_NEW).toBe(0);
    expect(notifyMask('AKEmn') & (NOTIFY_KEY_MISS | NOTIFY_NEW)).toBe(NOTIFY_KEY_MISS | NOTIFY_NEW);
  });

  it('keeps K and E apart and only the classes named', () => {
    expect(notifyMask('Kl')).toBe(NOTIFY_KEYSPACE | NOTIFY_LIST);
    expect(notifyMask('E$x')).toBe(NOTIFY_KEYEVENT | NOTIFY_STRING | NOTIFY_EXPIRED);
  });

  it('follows CONFIG SET notify-keyspace-events', () => {
    const t = createTestEngine();
    expect(t.engine.notifyFlags).toBe(0);
    t.run('CONFIG', 'SET', 'notify-keyspace-events', 'Kg');
    expect(t.engine.notifyFlags).toBe(NOTIFY_KEYSPACE | NOTIFY_GENERIC);
    t.run('CONFIG', 'SET', 'notify-keyspace-events', '');
    expect(t.engine.notifyFlags).toBe(0);
  });
});

describe('keyspace events', () => {
  it('publishes nothing, and never calls publishEvent, while notifications are off', () => {
    const t = createTestEngine();
    const sub = subscriber(t);
    let calls = 0;
    const original = t.engine.publishEvent.bind(t.engine);
    t.engine.publishEvent = (...args) => { calls++; original(...args); };
    for (const argv of [['SET', 'a', '1'], ['GET', 'nope'], ['LPUSH', 'l', 'x'], ['LPOP', 'l'], ['DEL', 'a'], ['EXPIRE', 'nope', '1']]) t.run(...argv);
    expect(calls).toBe(0);
    expect(sub.events()).toEqual([]);
  });

  it('sends the event name on __keyspace@db__:key and the key on __keyevent@db__:event', () => {
    const { t, sub } = setup('KEA');
    t.run('SET', 'k', 'v');
    t.run('DEL', 'k', 'missing');
    expect(sub.events()).toEqual([...both('set', 'k'), ...both('del', 'k')]);
  });

  it('K or E alone, and a class filter, limit what is sent', () => {
    const { t, sub } = setup('El');
    t.run('SET', 's', '1');
    t.run('RPUSH', 'l', 'a');
    t.run('RPOP', 'l');
    // The list emptied: `del` is a generic event, not sent without g.
    expect(sub.events()).toEqual(['__keyevent@0__:rpush l', '__keyevent@0__:rpop l']);
    t.run('CONFIG', 'SET', 'notify-keyspace-events', 'K$');
    t.run('INCRBY', 'n', '2');
    t.run('LPUSH', 'l', 'a');
    expect(sub.events()).toEqual(['__keyspace@0__:n incrby']);
  });

  it('`new` comes when a key is created, before the command\'s own event; not on overwrite', () => {
    const { t, sub } = setup('KEg$lshzn');
    t.run('SET', 'a', '1');
    t.run('SET', 'a', '2');
    t.run('HSET', 'h', 'f', 'v');
    t.run('RENAME', 'a', 'b');
    expect(sub.events()).toEqual([
      ...both('new', 'a'), ...both('set', 'a'),
      ...both('set', 'a'),
      ...both('new', 'h'), ...both('hset', 'h'),
      ...both('new', 'b'), ...both('rename_from', 'a'), ...both('rename_to', 'b'),
    ]);
  });

  it('`keymiss` for reads that miss, not for writes', () => {
    const { t, sub } = setup('Em');
    t.run('GET', 'x');
    t.run('LPOP', 'x');
    t.run('LRANGE', 'y', '0', '-1');
    t.run('MGET', 'p', 'q');
    t.run('EXPIRE', 'x', '10');
    t.run('OBJECT', 'ENCODING', 'x');
    expect(sub.events()).toEqual([
      '__keyevent@0__:keymiss x', '__keyevent@0__:keymiss y', '__keyevent@0__:keymiss p', '__keyevent@0__:keymiss q',
    ]);
  });

  it('emptying a collection sends the command\'s event, then del', () => {
    const { t, sub } = setup('EA');
    t.run('SADD', 's', 'm');
    t.run('SREM', 's', 'm');
    t.run('ZADD', 'z', '1', 'a');
    t.run('ZPOPMIN', 'z', '5');
    expect(sub.events()).toEqual([
      '__keyevent@0__:sadd s', '__keyevent@0__:srem s', '__keyevent@0__:del s',
      '__keyevent@0__:zadd z', '__keyevent@0__:zpopmin z', '__keyevent@0__:del z',
    ]);
  });

  it('EXPIRE in the past deletes (del); in the future it is expire; MOVE and COPY name the target db', () => {
    const { t, sub } = setup('KEg');
    t.run('SET', 'a', '1');
    t.run('SET', 'b', '1');
    t.run('EXPIRE', 'a', '100');
    t.run('EXPIRE', 'b', '-1');
    t.run('COPY', 'a', 'c', 'DB', '3');
    t.run('MOVE', 'a', '2');
    expect(sub.events()).toEqual([
      ...both('expire', 'a'), ...both('del', 'b'),
      ...both('copy_to', 'c', 3),
      ...both('move_from', 'a', 0), ...both('move_to', 'a', 2),
    ]);
  });

  it('a key past its time: `expired` from a lookup (lazy), then keymiss; and from the active cycle with no command', () => {
    const { t, sub } = setup('KEAm');
    t.run('SET', 'lazy', 'v', 'PX', '100');
    t.run('SET', 'active', 'v', 'PX', '100');
    sub.events();
    t.clock.advance(200);
    t.run('GET', 'lazy');
    expect(sub.events()).toEqual([...both('expired', 'lazy'), ...both('keymiss', 'lazy')]);
    t.engine.cron();
    expect(sub.events()).toEqual(both('expired', 'active'));
    expect(t.engine.dbs[0]!.size).toBe(0);
  });

  it('SET over an expired key expires it first: expired, new, set (as Redis\'s lookupKeyWrite)', () => {
    // Not 'KEAn': the config prints A without n (as Redis) and the engine reads the printed value.
    const { t, sub } = setup('KEg$xn');
    t.run('SET', 'k', 'v', 'PX', '10');
    sub.events();
    t.clock.advance(20);
    t.run('SET', 'k', 'w');
    expect(sub.events()).toEqual([...both('expired', 'k'), ...both('new', 'k'), ...both('set', 'k')]);
  });

  it('a blocked pop served by a later push sends the pop\'s events after the push\'s', () => {
    const { t, sub } = setup('EA');
    const blocked = t.newClient();
    t.engine.execute(blocked.client, ['BLPOP', 'q', '0']);
    t.run('RPUSH', 'q', 'x');
    expect(sub.events()).toEqual(['__keyevent@0__:rpush q', '__keyevent@0__:lpop q', '__keyevent@0__:del q']);
  });

  it('a RESP3 subscriber gets the events of its own command after the command\'s reply', () => {
    const t = createTestEngine();
    t.run('CONFIG', 'SET', 'notify-keyspace-events', 'KE$');
    const sub = subscriber(t, 3);
    const replies = sub.send('SET', 'mine', '1');
    expect(replies[0]).toEqual(new SimpleString('OK'));
    expect(replies.slice(1).map(eventText)).toEqual(both('set', 'mine'));
  });

  it('a RESP3 subscriber blocked in BLPOP or BLMOVE and served by another client\'s push gets its reply before its own events', () => {
    const t = createTestEngine();
    t.run('CONFIG', 'SET', 'notify-keyspace-events', 'Egl');
    const writer = new CapturingWriter(3);
    const client = t.engine.createClient({ reply: writer, kind: 'tcp', addr: '127.0.0.1:1', laddr: '127.0.0.1:2' });
    t.engine.execute(client, ['HELLO', '3']);
    t.engine.execute(client, ['PSUBSCRIBE', '__keyevent@0__:*']);
    writer.take();
    for (const [blocking, reply, events] of [
      [['BLPOP', 'q', '0'], ['q', 'x'], ['lpop q', 'del q']],
      [['BLMOVE', 'q', 'dst', 'LEFT', 'RIGHT', '0'], 'x', ['rpush dst', 'lpop q', 'del q']],
    ] as const) {
      t.engine.execute(client, [...blocking]);
      expect(writer.take()).toEqual([]);
      t.run('RPUSH', 'q', 'x');
      const [pushEvent, first, ...after] = writer.take();
      // The push's own event was published while RPUSH ran (not this client's command).
      expect(eventText(pushEvent!)).toBe('__keyevent@0__:rpush q');
      expect(first).toEqual(reply);
      expect(after.map(eventText)).toEqual(events.map((e) => `__keyevent@0__:${e}`));
    }
  });
});
