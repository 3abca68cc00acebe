import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createTestEngine, type EngineHarness } from '../testing.js';
import { ReplyError, ReplyMap, SimpleString, type Reply } from '../reply.js';
import { shardIndex, type CollectionValue, type Database } from '../keyspace.js';
import { RawString } from '../types/string.js';
import { dropLiveCursors } from '../scan.js';
import { redisServerPath, startRedis, type RedisProcess } from '../../../../test/helpers/redis.js';
import { RespTestClient, canon } from '../../../../test/helpers/resp-client.js';

// ------------------------------------------------------------------ helpers

const OK = new SimpleString('OK');
const err = (message: string) => new ReplyError(message);
const SYNTAX = 'ERR syntax error';
const NOT_INTEGER = 'ERR value is not an integer or out of range';
const INT_RANGE = 'ERR value is out of range, value must between -2147483648 and 2147483647';
const DB_RANGE = 'ERR DB index is out of range';
const SAME = 'ERR source and destination objects are the same';

/** A stand-in for a list until the list family exists; `items` shows whether copies share state. */
class FakeList implements CollectionValue {
  readonly type = 'list' as const;
  constructor(readonly items: string[] = []) {}
  encoding(): string { return 'quicklist'; }
  copy(): FakeList { return new FakeList([...this.items]); }
}

type Harness = EngineHarness & { db: Database; dbs: Database[] };

function setup(options: Parameters<typeof createTestEngine>[0] = {}): Harness {
  const t = createTestEngine(options);
  return Object.assign(t, { db: t.engine.dbs[0]!, dbs: t.engine.dbs });
}

function sorted(reply: Reply): string[] {
  return [...(reply as string[])].sort();
}

// ------------------------------------------------------------------ existence and deletion

describe('DEL, UNLINK, EXISTS, TOUCH, TYPE', () => {
  it('DEL and UNLINK count the keys removed, a repeated key once', () => {
    const t = setup();
    t.run('SET', 'a', '1');
    t.run('SET', 'b', '2');
    t.db.set('l', new FakeList());
    expect(t.run('DEL', 'a', 'a', 'nokey', 'l')).toBe(2);
    expect(t.run('UNLINK', 'b', 'b')).toBe(1);
    expect(t.run('UNLINK', 'nokey')).toBe(0);
    expect(t.db.size).toBe(0);
    expect(t.run('DEL')).toEqual(err("ERR wrong number of arguments for 'del' command"));
  });

  it('EXISTS and TOUCH count a repeated key each time', () => {
    const t = setup();
    t.run('SET', 'a', '1');
    expect(t.run('EXISTS', 'a', 'a', 'nokey')).toBe(2);
    expect(t.run('TOUCH', 'a', 'a', 'nokey')).toBe(2);
    expect(t.run('EXISTS', 'nokey')).toBe(0);
  });

  it('TYPE names the type, none for a missing key', () => {
    const t = setup();
    t.run('SET', 's', 'v');
    t.db.set('l', new FakeList());
    expect(t.run('TYPE', 's')).toEqual(new SimpleString('string'));
    expect(t.run('TYPE', 'l')).toEqual(new SimpleString('list'));
    expect(t.run('TYPE', 'nokey')).toEqual(new SimpleString('none'));
  });

  it('expired keys do not exist, and reading them removes them', () => {
    const t = setup();
    t.run('SET', 'k', 'v', 'PX', '100');
    expect(t.run('EXISTS', 'k')).toBe(1);
    t.clock.advance(100);
    expect(t.db.size).toBe(1); // still stored until someone looks
    expect(t.run('EXISTS', 'k')).toBe(0);
    expect(t.db.size).toBe(0);
    expect(t.engine.stats.expiredKeys).toBe(1);
    expect(t.run('TYPE', 'k')).toEqual(new SimpleString('none'));
  });
});

// ------------------------------------------------------------------ RENAME, COPY, MOVE

describe('RENAME and RENAMENX', () => {
  it('answers no such key for a missing source, even renamed to itself', () => {
    const t = setup();
    expect(t.run('RENAME', 'nokey', 'x')).toEqual(err('ERR no such key'));
    expect(t.run('RENAME', 'nokey', 'nokey')).toEqual(err('ERR no such key'));
    expect(t.run('RENAMENX', 'nokey', 'x')).toEqual(err('ERR no such key'));
  });

  it('renaming a key to itself is OK / 0 and changes nothing', () => {
    const t = setup();
    t.run('SET', 'a', '1', 'PX', '5000');
    expect(t.run('RENAME', 'a', 'a')).toEqual(OK);
    expect(t.run('RENAMENX', 'a', 'a')).toBe(0);
    expect(t.run('GET', 'a')).toBe('1');
    expect(t.run('PTTL', 'a')).toBe(5000);
  });

  it('moves the TTL with the key and replaces the destination (its TTL too)', () => {
    const t = setup();
    t.run('SET', 'a', '1', 'PX', '100000');
    t.run('SET', 'b', '2', 'PX', '5000');
    t.clock.advance(1);
    expect(t.run('RENAME', 'a', 'b')).toEqual(OK);
    expect(t.run('GET', 'b')).toBe('1');
    expect(t.run('PTTL', 'b')).toBe(99999);
    expect(t.run('EXISTS', 'a')).toBe(0);
    t.run('SET', 'c', '3');
    expect(t.run('RENAME', 'c', 'b')).toEqual(OK);
    expect(t.run('PTTL', 'b')).toBe(-1);
    t.db.set('l', new FakeList(['x']));
    expect(t.run('RENAME', 'b', 'l')).toEqual(OK); // any type is replaced
    expect(t.run('TYPE', 'l')).toEqual(new SimpleString('string'));
  });

  it('RENAMENX refuses an existing destination', () => {
    const t = setup();
    t.run('SET', 'a', '1', 'PX', '2000');
    t.run('SET', 'b', '2');
    expect(t.run('RENAMENX', 'a', 'b')).toBe(0);
    expect(t.run('GET', 'b')).toBe('2');
    expect(t.run('RENAMENX', 'a', 'c')).toBe(1);
    expect(t.run('PTTL', 'c')).toBe(2000);
    expect(t.run('EXISTS', 'a')).toBe(0);
  });

  it('an expired destination counts as missing', () => {
    const t = setup();
    t.run('SET', 'a', '1');
    t.run('SET', 'b', '2', 'PX', '10');
    t.clock.advance(10);
    expect(t.run('RENAMENX', 'a', 'b')).toBe(1);
  });
});

describe('COPY', () => {
  it('checks its options before the keys', () => {
    const t = setup();
    t.run('SET', 'b', 'v');
    expect(t.run('COPY', 'b', 'b')).toEqual(err(SAME));
    expect(t.run('COPY', 'nokey', 'nokey')).toEqual(err(SAME));
    expect(t.run('COPY', 'b', 'b', 'DB', '0')).toEqual(err(SAME));
    expect(t.run('COPY', 'b', 'x', 'db', 'abc')).toEqual(err(NOT_INTEGER));
    expect(t.run('COPY', 'b', 'x', 'db', '16')).toEqual(err(DB_RANGE));
    expect(t.run('COPY', 'b', 'x', 'db', '-1')).toEqual(err(DB_RANGE));
    expect(t.run('COPY', 'b', 'x', 'db', '2147483648')).toEqual(err(INT_RANGE));
    expect(t.run('COPY', 'b', 'x', 'foo')).toEqual(err(SYNTAX));
    expect(t.run('COPY', 'b', 'x', 'db')).toEqual(err(SYNTAX));
    expect(t.run('COPY', 'b')).toEqual(err("ERR wrong number of arguments for 'copy' command"));
  });

  it('copies value and TTL; an existing destination needs REPLACE', () => {
    const t = setup();
    t.run('SET', 'b', 'v', 'PX', '100000');
    expect(t.run('COPY', 'nokey', 'x')).toBe(0);
    expect(t.run('COPY', 'b', 'x')).toBe(1);
    expect(t.run('GET', 'x')).toBe('v');
    expect(t.run('PTTL', 'x')).toBe(100000);
    t.run('SET', 'b', 'w');
    expect(t.run('COPY', 'b', 'x')).toBe(0);
    expect(t.run('GET', 'x')).toBe('v');
    expect(t.run('COPY', 'b', 'x', 'replace', 'REPLACE')).toBe(1);
    expect(t.run('GET', 'x')).toBe('w');
    expect(t.run('PTTL', 'x')).toBe(-1); // the source had none now
  });

  it('copies into another database, where the same name is allowed', () => {
    const t = setup();
    t.run('SET', 'b', 'v');
    expect(t.run('COPY', 'b', 'b', 'DB', '12')).toBe(1);
    expect(t.dbs[12]!.lookup('b')).toBe('v');
    expect(t.run('COPY', 'b', 'b', 'DB', '12')).toBe(0);
    expect(t.run('SELECT', '12')).toEqual(OK);
    expect(t.run('GET', 'b')).toBe('v');
  });

  it('a copy never shares mutable state: RawString bytes and collections (the copy hook)', () => {
    const t = setup();
    t.run('SET', 'r', 'abc');
    t.run('APPEND', 'r', 'd'); // now a RawString
    expect(t.db.lookup('r')).toBeInstanceOf(RawString);
    expect(t.run('COPY', 'r', 'r2')).toBe(1);
    t.run('APPEND', 'r', 'e');
    expect(t.run('GET', 'r2')).toBe('abcd');
    expect(t.run('OBJECT', 'ENCODING', 'r2')).toBe('raw');
    const list = new FakeList(['a']);
    t.db.set('l', list);
    expect(t.run('COPY', 'l', 'l2')).toBe(1);
    const copied = t.db.lookup('l2') as FakeList;
    expect(copied).not.toBe(list);
    list.items.push('b');
    expect(copied.items).toEqual(['a']);
  });

  it('answers an error for a collection without a copy hook', () => {
    const t = setup();
    const noCopy: CollectionValue = { type: 'hash', encoding: () => 'listpack' };
    t.db.set('h', noCopy);
    expect(t.run('COPY', 'h', 'h2')).toEqual(err('ERR COPY is not supported for this type'));
    expect(t.run('EXISTS', 'h2')).toBe(0);
  });
});

describe('MOVE', () => {
  it('parses the database first, then refuses the same database', () => {
    const t = setup();
    t.run('SET', 'x', '1');
    expect(t.run('MOVE', 'x', 'abc')).toEqual(err(NOT_INTEGER));
    expect(t.run('MOVE', 'x', '2147483648')).toEqual(err(INT_RANGE));
    expect(t.run('MOVE', 'x', '16')).toEqual(err(DB_RANGE));
    expect(t.run('MOVE', 'x', '-1')).toEqual(err(DB_RANGE));
    expect(t.run('MOVE', 'x', '0')).toEqual(err(SAME));
    expect(t.run('MOVE', 'nokey', '0')).toEqual(err(SAME));
  });

  it('moves the key with its TTL, unless it exists in the target', () => {
    const t = setup();
    t.run('SET', 'x', '1', 'PX', '7000');
    expect(t.run('MOVE', 'nokey', '3')).toBe(0);
    expect(t.run('MOVE', 'x', '3')).toBe(1);
    expect(t.run('EXISTS', 'x')).toBe(0);
    t.run('SELECT', '3');
    expect(t.run('GET', 'x')).toBe('1');
    expect(t.run('PTTL', 'x')).toBe(7000);
    t.run('SELECT', '0');
    t.run('SET', 'x', 'other');
    expect(t.run('MOVE', 'x', '3')).toBe(0);
    expect(t.run('GET', 'x')).toBe('other');
  });
});

// ------------------------------------------------------------------ KEYS, SCAN, RANDOMKEY

describe('KEYS', () => {
  it('returns the matching keys, the empty key only for `*`, never expired ones', () => {
    const t = setup();
    for (const k of ['hello', 'hallo', 'hxllo', 'foo', '']) t.run('SET', k, '1');
    t.run('SET', 'hzllo', '1', 'PX', '1');
    t.clock.advance(1);
    expect(sorted(t.run('KEYS', '*'))).toEqual(['', 'foo', 'hallo', 'hello', 'hxllo']);
    expect(sorted(t.run('KEYS', '**'))).toEqual(['foo', 'hallo', 'hello', 'hxllo']);
    expect(sorted(t.run('KEYS', 'h[ae]llo'))).toEqual(['hallo', 'hello']);
    expect(sorted(t.run('KEYS', 'h?llo'))).toEqual(['hallo', 'hello', 'hxllo']);
    expect(t.run('KEYS', '')).toEqual(['']);
    expect(t.run('KEYS', 'nothing*')).toEqual([]);
  });
});

/** Runs a full SCAN; returns every key returned (with repeats) and the number of calls. */
function scanAll(t: Harness, ...options: string[]): { keys: string[]; calls: number } {
  const keys: string[] = [];
  let cursor = '0';
  let calls = 0;
  do {
    const [next, batch] = t.run('SCAN', cursor, ...options) as [string, string[]];
    keys.push(...batch);
    cursor = next;
    calls++;
  } while (cursor !== '0' && calls < 1_000_000);
  return { keys, calls };
}

describe('SCAN', () => {
  it('parses the cursor as Redis does (strtoul) and checks its options', () => {
    const t = setup();
    for (const c of ['abc', '-', ' 5', '5 ', '0x10', '18446744073709551616', '-18446744073709551616']) {
      expect(t.run('SCAN', c), c).toEqual(err('ERR invalid cursor'));
    }
    for (const c of ['', '+5', '007', '-1', '18446744073709551615', '-18446744073709551615', '5\0abc', '\0abc']) {
      expect(t.run('SCAN', c), JSON.stringify(c)).toEqual(['0', []]);
    }
    expect(t.run('SCAN', 'abc', 'COUNT', '0')).toEqual(err('ERR invalid cursor'));
    expect(t.run('SCAN', '0', 'COUNT', '0')).toEqual(err(SYNTAX));
    expect(t.run('SCAN', '0', 'COUNT', '-1')).toEqual(err(SYNTAX));
    expect(t.run('SCAN', '0', 'COUNT', 'abc')).toEqual(err(NOT_INTEGER));
    expect(t.run('SCAN', '0', 'COUNT', '9223372036854775808')).toEqual(err(NOT_INTEGER));
    expect(t.run('SCAN', '0', 'COUNT', '1', 'COUNT', '0')).toEqual(err(SYNTAX));
    expect(t.run('SCAN', '0', 'MATCH')).toEqual(err(SYNTAX));
    expect(t.run('SCAN', '0', 'TYPE')).toEqual(err(SYNTAX));
    expect(t.run('SCAN', '0', 'foo', 'bar')).toEqual(err(SYNTAX));
    expect(t.run('SCAN', '0', 'COUNT', '9223372036854775807')).toEqual(['0', []]);
  });

  it('a small database comes back in one call; MATCH, TYPE and COUNT apply', () => {
    const t = setup();
    for (const k of ['a1', 'a2', 'b1', '']) t.run('SET', k, 'v');
    t.db.set('list', new FakeList());
    const [cursor, all] = t.run('SCAN', '0') as [string, string[]];
    expect(cursor).toBe('0');
    expect([...all].sort()).toEqual(['', 'a1', 'a2', 'b1', 'list']);
    expect(sorted((t.run('SCAN', '0', 'MATCH', 'a*') as Reply[])[1]!)).toEqual(['a1', 'a2']);
    expect(sorted((t.run('SCAN', '0', 'MATCH', '*') as Reply[])[1]!)).toEqual(['', 'a1', 'a2', 'b1', 'list']);
    expect(sorted((t.run('SCAN', '0', 'TYPE', 'STRING') as Reply[])[1]!)).toEqual(['', 'a1', 'a2', 'b1']);
    expect(sorted((t.run('SCAN', '0', 'type', 'list') as Reply[])[1]!)).toEqual(['list']);
    expect(t.run('SCAN', '0', 'TYPE', 'nosuchtype')).toEqual(['0', []]);
    // COUNT bounds the entries looked at per call.
    const { keys, calls } = scanAll(t, 'COUNT', '1');
    expect([...keys].sort()).toEqual(['', 'a1', 'a2', 'b1', 'list']);
    expect(calls).toBeGreaterThanOrEqual(5);
  });

  it('returns every key exactly once in a quiet database of 5000 keys', () => {
    const t = setup();
    for (let i = 0; i < 5000; i++) t.db.set(`key:${i}`, 'v');
    const { keys } = scanAll(t, 'COUNT', '7');
    expect(keys.length).toBe(5000);
    expect(new Set(keys).size).toBe(5000);
  });

  it('skips and removes expired keys', () => {
    const t = setup();
    for (let i = 0; i < 100; i++) t.run('SET', `k${i}`, 'v', 'PX', i < 50 ? '10' : '100000');
    t.clock.advance(10);
    const { keys } = scanAll(t, 'COUNT', '5');
    expect(new Set(keys).size).toBe(50);
    expect(keys.every((k) => Number(k.slice(1)) >= 50)).toBe(true);
    expect(t.db.size).toBe(50);
  });

  it('keeps its guarantee while keys come and go, cursors are retried, and iterators are dropped', () => {
    type Step =
      | { op: 'scan'; count: number }
      | { op: 'add'; n: number }
      | { op: 'del'; n: number }
      | { op: 'drop' }
      | { op: 'retry' };
    const step: fc.Arbitrary<Step> = fc.oneof(
      { weight: 5, arbitrary: fc.integer({ min: 1, max: 12 }).map((count) => ({ op: 'scan' as const, count })) },
      { weight: 3, arbitrary: fc.nat(800).map((n) => ({ op: 'add' as const, n })) },
      { weight: 5, arbitrary: fc.nat(800).map((n) => ({ op: 'del' as const, n })) },
      { weight: 2, arbitrary: fc.constant({ op: 'drop' as const }) },
      { weight: 2, arbitrary: fc.constant({ op: 'retry' as const }) },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 800 }), fc.array(step, { minLength: 1, maxLength: 400 }), (initial, steps) => {
        const t = setup();
        for (let i = 0; i < initial; i++) t.db.set(`k${i}`, 'v');
        const touched = new Set<string>(); // deleted (or re-added) at some point during the scan
        const everPresent = new Set<string>();
        for (let i = 0; i < initial; i++) everPresent.add(`k${i}`);
        const returned = new Set<string>();
        let cursor = '0';
        let previous = '0';
        let started = false;
        let s = 0;
        for (let guard = 0; guard < 100_000; guard++) {
          const st: Step = s < steps.length ? steps[s++]! : { op: 'scan', count: 10 };
          if (st.op === 'add') {
            const k = `k${st.n}`;
            if (t.db.lookup(k) === undefined) { t.db.set(k, 'v'); touched.add(k); everPresent.add(k); }
          } else if (st.op === 'del') {
            if (t.db.delete(`k${st.n}`)) touched.add(`k${st.n}`);
          } else if (st.op === 'drop') {
            dropLiveCursors(t.db);
          } else {
            const from = st.op === 'retry' && started ? previous : cursor;
            const [next, batch] = t.run('SCAN', from, 'COUNT', String(st.op === 'scan' ? st.count : 10)) as [string, string[]];
            for (const k of batch) {
              if (!everPresent.has(k)) return false; // never a key that did not exist
              returned.add(k);
            }
            previous = from;
            cursor = next;
            started = true;
            if (cursor === '0') break;
          }
        }
        expect(cursor).toBe('0');
        for (let i = 0; i < initial; i++) {
          const k = `k${i}`;
          if (!touched.has(k) && !returned.has(k)) throw new Error(`missed ${k}`);
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });

  it('resumes without its live iterator when many scans run at once (no livelock)', () => {
    const t = setup();
    // `k` keys stay; `d` keys, interleaved with them, are deleted while the scans run.
    for (let i = 0; i < 500; i++) { t.db.set(`d${i}`, 'v'); t.db.set(`k${i}`, 'v'); }
    // 300 concurrent scans, more than the live-iterator table holds, advanced round-robin,
    // so every call resumes by position.
    const cursors: string[] = Array.from({ length: 300 }, () => '0');
    const seen = cursors.map(() => new Set<string>());
    let done = 0;
    let calls = 0;
    let deleted = 0;
    for (let round = 0; done < cursors.length && round < 10_000; round++) {
      for (let i = 0; i < cursors.length; i++) {
        if (round > 0 && cursors[i] === '0') continue;
        const [next, batch] = t.run('SCAN', cursors[i]!, 'COUNT', '10') as [string, string[]];
        for (const k of batch) seen[i]!.add(k);
        cursors[i] = next;
        if (next === '0') done++;
        // Churn, slower than the scans advance (like Redis, a SCAN of a keyspace that grows
        // faster than the scan reads need not end): deletions shift positions.
        if (++calls % 60 === 0) {
          t.db.delete(`d${(deleted++ * 7919) % 500}`);
          t.db.set(`new${deleted}`, 'v');
        }
      }
    }
    expect(done).toBe(cursors.length);
    expect(deleted).toBeGreaterThan(250);
    const missed: string[] = [];
    for (const s of seen) {
      for (let i = 0; i < 500; i++) if (!s.has(`k${i}`)) missed.push(`k${i}`);
    }
    expect(missed).toEqual([]);
  });

  /** `n` keys that all live in shard 0, so a scan's position there is predictable. */
  function shardZeroKeys(t: Harness, n: number): string[] {
    const keys: string[] = [];
    for (let i = 0; keys.length < n; i++) if (shardIndex(`x${i}`) === 0) keys.push(`x${i}`);
    for (const k of keys) t.db.set(k, 'v');
    return keys;
  }

  function finish(t: Harness, cursor: string, into: Set<string>): void {
    for (let guard = 0; cursor !== '0' && guard < 10_000; guard++) {
      const [next, batch] = t.run('SCAN', cursor, 'COUNT', '3') as [string, string[]];
      for (const k of batch) into.add(k);
      cursor = next;
    }
  }

  it('a cursor reissued after deletions before its position still resumes safely by position', () => {
    const t = setup();
    const x = shardZeroKeys(t, 40);
    const seen = new Set<string>();
    const [c1, b1] = t.run('SCAN', '0', 'COUNT', '10') as [string, string[]];
    b1.forEach((k) => seen.add(k));
    for (const k of x.slice(0, 5)) t.db.delete(k); // already returned, before the position
    const [c2, b2] = t.run('SCAN', c1, 'COUNT', '10') as [string, string[]]; // live iterator
    b2.forEach((k) => seen.add(k));
    dropLiveCursors(t.db); // the next call resumes by position
    finish(t, c2, seen);
    expect(x.slice(5).filter((k) => !seen.has(k))).toEqual([]);
  });

  it('two scans issued the same cursor string at different places both resume correctly', () => {
    const t = setup();
    const x = shardZeroKeys(t, 40);
    const seenA = new Set<string>();
    const [cB1] = t.run('SCAN', '0', 'COUNT', '10') as [string, string[]]; // B after x[9]
    for (const k of x.slice(30, 35)) t.db.delete(k); // after both positions
    const [cA, bA] = t.run('SCAN', '0', 'COUNT', '15') as [string, string[]]; // A after x[14]
    bA.forEach((k) => seenA.add(k));
    const [cB2] = t.run('SCAN', cB1, 'COUNT', '10') as [string, string[]]; // B after x[19], bound 15
    expect(cB2).toBe(cA); // the same string for different places
    finish(t, cA, seenA);
    expect(x.filter((k, i) => (i < 30 || i >= 35) && !seenA.has(k))).toEqual([]);
  });

  it('a cursor survives FLUSHDB and SWAPDB (it just ends or restarts a shard)', () => {
    const t = setup();
    for (let i = 0; i < 500; i++) t.db.set(`k${i}`, 'v');
    const [c1] = t.run('SCAN', '0', 'COUNT', '20') as [string, string[]];
    expect(c1).not.toBe('0');
    t.run('FLUSHDB');
    expect(t.run('SCAN', c1)).toEqual(['0', []]);
    for (let i = 0; i < 500; i++) t.dbs[1]!.set(`j${i}`, 'v');
    const [c2] = t.run('SCAN', '0', 'COUNT', '20') as [string, string[]];
    t.run('SWAPDB', '0', '1');
    const keys = new Set<string>();
    let cursor = c2;
    while (cursor !== '0') {
      const [next, batch] = t.run('SCAN', cursor) as [string, string[]];
      for (const k of batch) keys.add(k);
      cursor = next;
    }
    expect([...keys].every((k) => k.startsWith('j'))).toBe(true);
  });
});

describe('RANDOMKEY', () => {
  it('answers nil on an empty database', () => {
    const t = setup();
    expect(t.run('RANDOMKEY')).toBeNull();
  });

  it('never returns an expired key, and removes those it meets', () => {
    const t = setup();
    for (let i = 0; i < 300; i++) t.run('SET', `dead${i}`, 'v', 'PX', '5');
    t.run('SET', 'alive', 'v');
    t.clock.advance(5);
    for (let i = 0; i < 50; i++) expect(t.run('RANDOMKEY')).toBe('alive');
    expect(t.db.size).toBeLessThan(301);
    t.run('DEL', 'alive');
    expect(t.run('RANDOMKEY')).toBeNull();
    expect(t.db.size).toBe(0);
  });

  it('reaches every key of a small database and spreads over a large one', () => {
    const t = setup();
    for (let i = 0; i < 20; i++) t.db.set(`k${i}`, 'v');
    const seen = new Set<Reply>();
    for (let i = 0; i < 2000; i++) seen.add(t.run('RANDOMKEY'));
    expect(seen.size).toBe(20);
    const big = setup();
    for (let i = 0; i < 100_000; i++) big.db.set(`k${i}`, 'v');
    const picks = new Set<Reply>();
    for (let i = 0; i < 1000; i++) picks.add(big.run('RANDOMKEY'));
    expect(picks.size).toBeGreaterThan(900);
  });
});

// ------------------------------------------------------------------ databases

describe('DBSIZE, FLUSHDB, FLUSHALL, SWAPDB', () => {
  it('DBSIZE counts the keys of the selected database', () => {
    const t = setup();
    t.run('SET', 'a', '1');
    t.run('SET', 'b', '1');
    expect(t.run('DBSIZE')).toBe(2);
    t.run('SELECT', '1');
    expect(t.run('DBSIZE')).toBe(0);
  });

  it('FLUSHDB clears one database, FLUSHALL all; ASYNC and SYNC accepted', () => {
    const t = setup();
    t.run('SET', 'a', '1', 'EX', '100');
    t.dbs[5]!.set('b', '1');
    expect(t.run('FLUSHDB', 'foo')).toEqual(err(SYNTAX));
    expect(t.run('FLUSHDB', 'async', 'sync')).toEqual(err(SYNTAX));
    expect(t.run('FLUSHALL', 'sync', 'async')).toEqual(err(SYNTAX));
    expect(t.db.size).toBe(1);
    expect(t.run('FLUSHDB', 'ASYNC')).toEqual(OK);
    expect(t.db.size).toBe(0);
    expect(t.db.expiresCount).toBe(0);
    expect(t.dbs[5]!.size).toBe(1);
    expect(t.run('FLUSHDB', 'sync')).toEqual(OK);
    expect(t.run('FLUSHALL', 'Async')).toEqual(OK);
    expect(t.dbs[5]!.size).toBe(0);
    expect(t.run('FLUSHALL')).toEqual(OK);
  });

  it('SWAPDB checks both indexes and swaps contents under the same client', () => {
    const t = setup();
    expect(t.run('SWAPDB', 'a', 'b')).toEqual(err('ERR invalid first DB index'));
    expect(t.run('SWAPDB', '0', 'b')).toEqual(err('ERR invalid second DB index'));
    expect(t.run('SWAPDB', '2147483648', '0')).toEqual(err('ERR invalid first DB index'));
    expect(t.run('SWAPDB', '0', '1.5')).toEqual(err('ERR invalid second DB index'));
    expect(t.run('SWAPDB', '0', '16')).toEqual(err(DB_RANGE));
    expect(t.run('SWAPDB', '-1', '0')).toEqual(err(DB_RANGE));
    t.run('SET', 'in0', 'a', 'PX', '9000');
    expect(t.run('SWAPDB', '0', '0')).toEqual(OK);
    expect(t.run('GET', 'in0')).toBe('a');
    expect(t.run('SWAPDB', '0', '1')).toEqual(OK);
    expect(t.run('GET', 'in0')).toBeNull();
    t.run('SELECT', '1');
    expect(t.run('GET', 'in0')).toBe('a');
    expect(t.run('PTTL', 'in0')).toBe(9000);
  });
});

// ------------------------------------------------------------------ OBJECT

describe('OBJECT', () => {
  it('HELP prints Redis text as status lines; unknown subcommands and arity are checked', () => {
    const t = setup();
    const help = t.run('OBJECT', 'HELP') as SimpleString[];
    expect(help[0]).toEqual(new SimpleString('OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:'));
    expect(help.map((l) => l.value)).toContain('    Return the idle time of the <key>, that is the approximated number of');
    expect(help).toHaveLength(15);
    expect(t.run('OBJECT', 'help', 'x')).toEqual(err("ERR wrong number of arguments for 'object|help' command"));
    expect(t.run('OBJECT')).toEqual(err("ERR wrong number of arguments for 'object' command"));
    expect(t.run('OBJECT', 'foo')).toEqual(err("ERR unknown subcommand 'foo'. Try OBJECT HELP."));
    expect(t.run('OBJECT', 'Encoding', 'k', 'x')).toEqual(err("ERR wrong number of arguments for 'object|encoding' command"));
  });

  it('answers nil for a missing key, whatever the subcommand and policy', () => {
    const t = setup();
    for (const sub of ['ENCODING', 'REFCOUNT', 'IDLETIME', 'FREQ']) expect(t.run('OBJECT', sub, 'nokey')).toBeNull();
  });

  it('ENCODING and REFCOUNT report what Redis reports', () => {
    const t = setup();
    const cases: [string, string, number][] = [
      ['123', 'int', 2147483647], ['9999', 'int', 2147483647], ['10000', 'int', 1], ['-5', 'int', 1],
      ['0', 'int', 2147483647], ['01', 'embstr', 1], ['-0', 'embstr', 1], ['hello', 'embstr', 1],
      ['9223372036854775808', 'embstr', 1], ['a'.repeat(44), 'embstr', 1], ['a'.repeat(45), 'raw', 1],
    ];
    for (const [value, encoding, refcount] of cases) {
      t.run('SET', 'k', value);
      expect(t.run('OBJECT', 'ENCODING', 'k'), value).toBe(encoding);
      expect(t.run('OBJECT', 'REFCOUNT', 'k'), value).toBe(refcount);
    }
    t.run('APPEND', 'k', 'x');
    expect(t.run('OBJECT', 'encoding', 'k')).toBe('raw');
    t.db.set('l', new FakeList());
    expect(t.run('OBJECT', 'ENCODING', 'l')).toBe('quicklist');
    expect(t.run('OBJECT', 'REFCOUNT', 'l')).toBe(1);
  });

  it('IDLETIME needs an LRU policy (nodis keeps no access times otherwise); FREQ an LFU one', () => {
    const t = setup();
    t.run('SET', 'k', 'v');
    expect(t.run('OBJECT', 'IDLETIME', 'k')).toEqual(err(
      'ERR An LRU maxmemory policy is not selected, access time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.'));
    expect(t.run('OBJECT', 'FREQ', 'k')).toEqual(err(
      'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.'));
    t.engine.config.set('maxmemory-policy', 'allkeys-lfu');
    expect(t.run('OBJECT', 'IDLETIME', 'k')).toEqual(err(
      'ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.'));
    t.run('SET', 'f', 'v');
    expect(t.run('OBJECT', 'FREQ', 'f')).toBe(5); // LFU_INIT_VAL
    for (let i = 0; i < 200; i++) t.run('GET', 'f');
    const freq = t.run('OBJECT', 'FREQ', 'f') as number;
    expect(freq).toBeGreaterThan(5);
    expect(freq).toBeLessThan(30); // logarithmic
    t.clock.advance(3 * 60_000); // decays one step a minute (lfu-decay-time 1)
    expect(t.run('OBJECT', 'FREQ', 'f')).toBe(freq - 3);
  });

  it('IDLETIME counts seconds since the last access under an LRU policy; TYPE and TTL do not touch', () => {
    const t = setup();
    t.engine.config.set('maxmemory-policy', 'allkeys-lru');
    t.run('SET', 'k', 'v');
    t.clock.advance(5000);
    expect(t.run('OBJECT', 'IDLETIME', 'k')).toBe(5);
    t.run('TYPE', 'k');
    t.run('TTL', 'k');
    t.run('EXISTS', 'k');
    expect(t.run('OBJECT', 'IDLETIME', 'k')).toBe(5);
    t.run('GET', 'k');
    expect(t.run('OBJECT', 'IDLETIME', 'k')).toBe(0);
    t.clock.advance(2000);
    t.run('TOUCH', 'k');
    expect(t.run('OBJECT', 'IDLETIME', 'k')).toBe(0);
    t.clock.advance(3000);
    t.run('RENAME', 'k', 'k2'); // the rename reads k: an access
    t.clock.advance(1000);
    expect(t.run('OBJECT', 'IDLETIME', 'k2')).toBe(1);
  });
});

// ------------------------------------------------------------------ expiry

describe('EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT', () => {
  it('reads options first, with Redis errors for conflicts and unknown options', () => {
    const t = setup();
    t.run('SET', 'k', 'v');
    const NX = 'ERR NX and XX, GT or LT options at the same time are not compatible';
    expect(t.run('EXPIRE', 'k', '10', 'nx', 'xx')).toEqual(err(NX));
    expect(t.run('EXPIRE', 'k', '10', 'NX', 'GT')).toEqual(err(NX));
    expect(t.run('EXPIRE', 'k', '10', 'gt', 'lt', 'nx')).toEqual(err(NX));
    expect(t.run('EXPIRE', 'k', '10', 'gt', 'lt')).toEqual(err('ERR GT and LT options at the same time are not compatible'));
    expect(t.run('EXPIRE', 'k', '10', 'foo')).toEqual(err('ERR Unsupported option foo'));
    expect(t.run('EXPIRE', 'k', '10', 'nx', 'foo')).toEqual(err('ERR Unsupported option foo'));
    expect(t.run('EXPIRE', 'k', '10', '')).toEqual(err('ERR Unsupported option '));
    expect(t.run('EXPIRE', 'k', '10', 'a\r\nb')).toEqual(err('ERR Unsupported option a  b'));
    expect(t.run('EXPIRE', 'k', 'abc', 'foo')).toEqual(err('ERR Unsupported option foo'));
    expect(t.run('EXPIRE', 'k', 'abc', 'nx', 'xx')).toEqual(err(NX));
    expect(t.run('EXPIRE', 'nokey', '10', 'foo')).toEqual(err('ERR Unsupported option foo'));
    for (const bad of ['abc', '', ' 1', '+1', '01', '1.5', '9223372036854775808']) {
      expect(t.run('EXPIRE', 'k', bad), bad).toEqual(err(NOT_INTEGER));
    }
    expect(t.run('TTL', 'k')).toBe(-1);
  });

  it('refuses times that overflow int64 in Redis arithmetic', () => {
    const t = setup();
    t.run('SET', 'k', 'v');
    const bad = (cmd: string) => err(`ERR invalid expire time in '${cmd}' command`);
    expect(t.run('EXPIRE', 'k', '9223372036854775807')).toEqual(bad('expire'));
    expect(t.run('EXPIRE', 'k', '9223372036854775')).toEqual(bad('expire'));
    expect(t.run('EXPIRE', 'k', '9223372036854774')).toEqual(bad('expire')); // * 1000 + now overflows
    expect(t.run('EXPIRE', 'k', '-9223372036854775808')).toEqual(bad('expire'));
    expect(t.run('PEXPIRE', 'k', '9223372036854775807')).toEqual(bad('pexpire'));
    expect(t.run('EXPIREAT', 'k', '9223372036854776')).toEqual(bad('expireat'));
    expect(t.run('expire', 'k', '9223372036854775807')).toEqual(bad('expire'));
    expect(t.run('EXISTS', 'k')).toBe(1);
    expect(t.run('PEXPIREAT', 'k', '9223372036854775807')).toBe(1);
    // Stored as the nearest double (documented): milliseconds beyond 2^53 are approximate.
    const pexpiretime = t.run('PEXPIRETIME', 'k') as bigint;
    expect(pexpiretime - 9223372036854775807n).toBeLessThanOrEqual(1024n);
    expect(t.run('EXPIRETIME', 'k')).toBe(9223372036854776n);
    expect(t.run('EXPIREAT', 'k', '9223372036854775')).toBe(1);
    expect(t.run('EXPIRETIME', 'k')).toBe(9223372036854775n);
    expect(t.run('PEXPIRE', 'k', '-9223372036854775808')).toBe(1); // far past: deleted
    expect(t.run('EXISTS', 'k')).toBe(0);
    t.run('SET', 'k', 'v');
    expect(t.run('EXPIRE', 'k', '-9223372036854775')).toBe(1);
    expect(t.run('EXISTS', 'k')).toBe(0);
  });

  it('answers 0 for a missing key and deletes on a time not in the future', () => {
    const t = setup();
    expect(t.run('EXPIRE', 'nokey', '10')).toBe(0);
    expect(t.run('EXPIRE', 'nokey', '-10')).toBe(0);
    for (const argv of [['EXPIRE', 'k', '0'], ['PEXPIRE', 'k', '-1'], ['EXPIREAT', 'k', '-1'],
      ['PEXPIREAT', 'k', String(t.clock.now)], ['EXPIREAT', 'k', '1']]) {
      t.run('SET', 'k', 'v');
      expect(t.run(...argv), argv.join(' ')).toBe(1);
      expect(t.run('EXISTS', 'k')).toBe(0);
    }
    expect(t.engine.stats.expiredKeys).toBe(0); // a deletion, not an expiry
  });

  it('sets relative and absolute times; TTL rounds to the nearest second', () => {
    const t = setup();
    t.run('SET', 'k', 'v');
    expect(t.run('EXPIRE', 'k', '10')).toBe(1);
    expect(t.run('TTL', 'k')).toBe(10);
    expect(t.run('PTTL', 'k')).toBe(10000);
    expect(t.run('EXPIRETIME', 'k')).toBe(t.clock.now / 1000 + 10);
    expect(t.run('PEXPIRETIME', 'k')).toBe(t.clock.now + 10000);
    t.clock.advance(4501);
    expect(t.run('PTTL', 'k')).toBe(5499);
    expect(t.run('TTL', 'k')).toBe(5); // (5499 + 500) / 1000
    t.clock.advance(1);
    expect(t.run('TTL', 'k')).toBe(6 - 1); // 5498 → 5
    expect(t.run('PEXPIRE', 'k', '1500')).toBe(1);
    expect(t.run('TTL', 'k')).toBe(2);
    expect(t.run('EXPIREAT', 'k', String(t.clock.now / 1000 + 100 + 0.5 | 0))).toBe(1);
    expect(t.run('PEXPIREAT', 'k', String(t.clock.now + 1234))).toBe(1);
    expect(t.run('PTTL', 'k')).toBe(1234);
    t.clock.advance(1234);
    expect(t.run('PTTL', 'k')).toBe(-2);
    expect(t.run('TTL', 'k')).toBe(-2);
    expect(t.run('EXPIRETIME', 'k')).toBe(-2);
    expect(t.run('PEXPIRETIME', 'k')).toBe(-2);
    expect(t.engine.stats.expiredKeys).toBe(1);
  });

  it('NX, XX, GT and LT compare with the current TTL; none counts as infinite', () => {
    const t = setup();
    t.run('SET', 'k', 'v');
    expect(t.run('EXPIRE', 'k', '10', 'GT')).toBe(0);
    expect(t.run('EXPIRE', 'k', '10', 'XX')).toBe(0);
    expect(t.run('EXPIRE', 'k', '10', 'LT')).toBe(1);
    expect(t.run('EXPIRE', 'k', '10', 'NX')).toBe(0);
    expect(t.run('EXPIRE', 'k', '20', 'XX')).toBe(1);
    expect(t.run('EXPIRE', 'k', '5', 'gt')).toBe(0);
    expect(t.run('EXPIRE', 'k', '20', 'gt')).toBe(0); // equal is not greater
    expect(t.run('EXPIRE', 'k', '5', 'lt')).toBe(1);
    expect(t.run('EXPIRE', 'k', '30', 'Gt', 'gt')).toBe(1);
    expect(t.run('EXPIRE', 'k', '30', 'XX', 'LT')).toBe(0);
    expect(t.run('TTL', 'k')).toBe(30);
    expect(t.run('EXPIRE', 'k', '-5', 'GT')).toBe(0);
    expect(t.run('EXISTS', 'k')).toBe(1);
    expect(t.run('EXPIRE', 'k', '-5', 'LT')).toBe(1);
    expect(t.run('EXISTS', 'k')).toBe(0);
    t.run('SET', 'k', 'v');
    expect(t.run('EXPIRE', 'k', '-5', 'XX')).toBe(0);
    expect(t.run('EXPIRE', 'k', '-5', 'nx')).toBe(1);
    expect(t.run('EXISTS', 'k')).toBe(0);
  });

  it('works on every type; the key expires on the manual clock', () => {
    const t = setup();
    t.db.set('l', new FakeList());
    expect(t.run('PEXPIRE', 'l', '50')).toBe(1);
    t.clock.advance(49);
    expect(t.run('TYPE', 'l')).toEqual(new SimpleString('list'));
    t.clock.advance(1);
    expect(t.run('TYPE', 'l')).toEqual(new SimpleString('none'));
  });
});

describe('TTL family and PERSIST', () => {
  it('PERSIST removes a TTL once; -1 without TTL, -2 without key', () => {
    const t = setup();
    expect(t.run('PERSIST', 'nokey')).toBe(0);
    t.run('SET', 'k', 'v', 'EX', '100');
    expect(t.run('PERSIST', 'k')).toBe(1);
    expect(t.run('PERSIST', 'k')).toBe(0);
    expect(t.run('TTL', 'k')).toBe(-1);
    expect(t.run('PTTL', 'k')).toBe(-1);
    expect(t.run('EXPIRETIME', 'k')).toBe(-1);
    expect(t.run('PEXPIRETIME', 'k')).toBe(-1);
    expect(t.run('TTL', 'nokey')).toBe(-2);
    expect(t.db.expiresCount).toBe(0);
  });

  it('an expired key cannot be persisted', () => {
    const t = setup();
    t.run('SET', 'k', 'v', 'PX', '10');
    t.clock.advance(10);
    expect(t.run('PERSIST', 'k')).toBe(0);
    expect(t.run('EXISTS', 'k')).toBe(0);
  });
});

describe('specs', () => {
  it('match COMMAND INFO of Redis 7.0 for flags, arity and keys', () => {
    const t = setup();
    const info = (name: string) => t.engine.table.get(name)!.command;
    expect([info('del').arity, info('del').flags, info('del').keys]).toEqual([-2, ['write'], [1, -1, 1]]);
    expect([info('object').arity, info('object').flags]).toEqual([-2, []]);
    expect(info('object').subcommands!.map((s) => s.name).sort()).toEqual(['encoding', 'freq', 'help', 'idletime', 'refcount']);
    expect(info('scan').tips).toEqual(['nondeterministic_output', 'request_policy:special']);
    expect(info('rename').keySpecs!.map((k) => k.flags)).toEqual([['RW', 'access', 'delete'], ['OW', 'update']]);
    expect(info('flushall').group).toBe('server');
  });
});

// ------------------------------------------------------------------ against real Redis

const redis: { process: RedisProcess; conn: RespTestClient } | undefined = redisServerPath
  ? await (async () => {
    const process = await startRedis();
    return { process, conn: await RespTestClient.connect(process.port) };
  })()
  : undefined;
if (!redis) console.warn('NOTE: redis-server is not installed: the keyspace differential tests against real Redis are SKIPPED');

afterAll(async () => {
  redis?.conn.socket.destroy();
  await redis?.process.stop();
});


describe('differential against real Redis', () => {
  it.skipIf(!redis)('COMMAND INFO and COMMAND DOCS of every keyspace command', async () => {
    const conn = redis!.conn;
    const t = setup();
    const names = ['del', 'unlink', 'exists', 'touch', 'type', 'rename', 'renamenx', 'copy', 'move', 'keys', 'scan',
      'randomkey', 'dbsize', 'flushdb', 'flushall', 'swapdb', 'object', 'expire', 'pexpire', 'expireat', 'pexpireat',
      'ttl', 'pttl', 'expiretime', 'pexpiretime', 'persist'];
    // Redis lists subcommands in its dict's order, which varies between processes: sort them.
    const normalize = (r: Reply): unknown => JSON.parse(JSON.stringify(canon(r), (_k, v: unknown) => {
      if (Array.isArray(v) && v.length > 0 && v.every((e) => Array.isArray(e) && typeof e[0] === 'string' && e[0].includes('|'))) {
        return [...v].sort((a, b) => String(a[0]).localeCompare(String(b[0])));
      }
      return v;
    }));
    for (const name of names) {
      const [info, docs] = await conn.pipeline([['COMMAND', 'INFO', name], ['COMMAND', 'DOCS', name]]);
      expect(normalize(t.run('COMMAND', 'INFO', name)), `COMMAND INFO ${name}`).toEqual(normalize(info!));
      const ours = t.run('COMMAND', 'DOCS', name) as Reply[];
      const theirs = docs as Reply[];
      if (name !== 'object') {
        expect(canon(ours), `COMMAND DOCS ${name}`).toEqual(canon(theirs));
        continue;
      }
      // OBJECT's subcommands come as a map in dict order: compare it as a set of pairs.
      const pairs = (r: Reply[]) => {
        const doc = r[1] as Reply[];
        const i = doc.indexOf('subcommands');
        const subs = doc[i + 1] as Reply[];
        const out: string[] = [];
        for (let j = 0; j < subs.length; j += 2) out.push(JSON.stringify([subs[j], canon(subs[j + 1]!)]));
        return [JSON.stringify(canon(doc.slice(0, i))), ...out.sort()];
      };
      expect(pairs(ours), 'COMMAND DOCS object').toEqual(pairs(theirs));
    }
  });

  it.skipIf(!redis)('replies and error strings byte for byte', async () => {
    const conn = redis!.conn;
    // Replies that depend on the clock (PTTL values) are avoided; TTLs are whole hours.
    const groups: string[][][] = [
      [['SET', 'a', '1'], ['RENAME', 'a', 'a'], ['RENAMENX', 'a', 'a'], ['RENAME', 'nokey', 'a'], ['RENAMENX', 'nokey', 'x'],
        ['SET', 'b', '2'], ['RENAMENX', 'a', 'b'], ['EXPIRE', 'a', '3600'], ['RENAME', 'a', 'c'], ['TTL', 'c'], ['RENAMENX', 'c', 'd'],
        ['TTL', 'd'], ['RENAME', 'd', 'b'], ['GET', 'b'], ['TTL', 'b'], ['RENAME', 'b'], ['RENAMENX', 'x', 'y', 'z']],
      [['SET', 'b', 'v'], ['COPY', 'b', 'b'], ['COPY', 'b', 'b', 'db', '0'], ['COPY', 'nokey', 'nokey'], ['COPY', 'nokey', 'x'],
        ['COPY', 'b', 'x', 'db', 'abc'], ['COPY', 'b', 'x', 'db', '16'], ['COPY', 'b', 'x', 'db', '-1'], ['COPY', 'b', 'x', 'DB', '2147483648'],
        ['COPY', 'b', 'x', 'foo'], ['COPY', 'b', 'x', 'db'], ['COPY', 'b', 'x', 'replace', 'replace'], ['COPY', 'b', 'x'],
        ['COPY', 'b', 'x', 'REPLACE'], ['EXPIRE', 'b', '7200'], ['COPY', 'b', 'y'], ['TTL', 'y'], ['SET', 'r', 'abc'],
        ['APPEND', 'r', 'd'], ['COPY', 'r', 'r2'], ['OBJECT', 'ENCODING', 'r2']],
      [['SET', 'x', '1'], ['MOVE', 'x', 'abc'], ['MOVE', 'x', '16'], ['MOVE', 'x', '-1'], ['MOVE', 'x', '2147483648'],
        ['MOVE', 'x', '0'], ['MOVE', 'nokey', '0'], ['MOVE', 'nokey', '5'], ['SWAPDB', 'a', 'b'], ['SWAPDB', '0', 'b'],
        ['SWAPDB', '0', '16'], ['SWAPDB', '-1', '0'], ['SWAPDB', '2147483648', '0'], ['SWAPDB', '0', '0'], ['DBSIZE']],
      [['SET', 'k', 'v'], ['EXPIRE', 'k', '10', 'nx', 'xx'], ['EXPIRE', 'k', '10', 'gt', 'lt'], ['EXPIRE', 'k', '10', 'xx', 'gt'],
        ['EXPIRE', 'k', '10', 'foo'], ['EXPIRE', 'k', 'abc'], ['EXPIRE', 'k', 'abc', 'foo'], ['EXPIRE', 'k', '9223372036854775807'],
        ['EXPIRE', 'k', '9223372036854774'], ['EXPIRE', 'k', '-9223372036854775808'], ['PEXPIRE', 'k', '9223372036854775807'],
        ['EXPIREAT', 'k', '9223372036854776'], ['EXPIREAT', 'k', '9223372036854775'], ['EXPIRETIME', 'k'], ['PERSIST', 'k'],
        ['PEXPIREAT', 'k', '9223372036854775807'], ['EXPIRETIME', 'k'], ['EXPIRE', 'k', '3600', 'LT'], ['TTL', 'k'],
        ['EXPIRE', 'k', '7200', 'GT'], ['TTL', 'k'], ['EXPIRE', 'k', '60', 'GT'], ['EXPIRE', 'k', '0'], ['EXISTS', 'k'],
        ['TTL', 'k'], ['PTTL', 'k'], ['EXPIRETIME', 'k'], ['PERSIST', 'k'], ['EXPIRE', 'nokey', '10', 'foo']],
      [['SET', 'i', '123'], ['SET', 'j', '12345'], ['SET', 'e', 'hello'], ['SET', 'n', '-5'], ['SET', 'l', '01'],
        ['OBJECT', 'ENCODING', 'i'], ['OBJECT', 'REFCOUNT', 'i'], ['OBJECT', 'ENCODING', 'j'], ['OBJECT', 'REFCOUNT', 'j'],
        ['OBJECT', 'ENCODING', 'e'], ['OBJECT', 'ENCODING', 'n'], ['OBJECT', 'REFCOUNT', 'n'], ['OBJECT', 'ENCODING', 'l'],
        ['OBJECT', 'ENCODING', 'nokey'], ['OBJECT', 'FREQ', 'i'], ['OBJECT', 'FREQ', 'nokey'], ['OBJECT', 'IDLETIME', 'nokey'],
        ['OBJECT', 'HELP'], ['OBJECT', 'help', 'x'], ['OBJECT'], ['OBJECT', 'foo'], ['TYPE', 'i'], ['TYPE', 'nokey'],
        ['EXISTS', 'i', 'i', 'nokey'], ['TOUCH', 'i', 'nokey'], ['DEL', 'i', 'i', 'j'], ['UNLINK', 'nokey'], ['DBSIZE']],
      [['SET', 'hello', '1'], ['SET', 'hallo', '1'], ['SET', '', '1'], ['KEYS', 'h[a]llo'], ['KEYS', ''], ['KEYS', 'x*'],
        ['SCAN', 'abc'], ['SCAN', '-'], ['SCAN', '0', 'COUNT', '0'], ['SCAN', '0', 'COUNT', 'abc'], ['SCAN', '0', 'MATCH'],
        ['SCAN', '0', 'foo', 'bar'], ['SCAN', '0', 'TYPE', 'nosuchtype'], ['SCAN', '0', 'MATCH', 'hel*'],
        ['SCAN', '0', 'TYPE', 'list'], ['SCAN', '18446744073709551616'], ['FLUSHDB', 'foo'], ['FLUSHDB', 'async', 'sync'],
        ['FLUSHALL', 'foo'], ['FLUSHDB', 'ASYNC'], ['RANDOMKEY'], ['KEYS', '*'], ['SCAN', '0'], ['FLUSHALL', 'sync']],
    ];
    for (const group of groups) {
      await conn.pipeline([['FLUSHALL']]);
      const t = setup();
      const expected = await conn.pipeline(group);
      const actual = group.map((argv) => t.run(...argv));
      for (let i = 0; i < group.length; i++) {
        expect(canon(actual[i]!), group[i]!.join(' ')).toEqual(canon(expected[i]!));
      }
    }
  });
});
