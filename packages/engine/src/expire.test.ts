import { describe, expect, it } from 'vitest';
import { createTestEngine } from './testing.js';
import { ActiveExpireCycle } from './expire.js';

/** Calls cron until `done()` or `max` calls; returns the number of calls made. */
function cronUntil(engine: { cron(): void }, done: () => boolean, max = 10_000): number {
  let calls = 0;
  while (!done() && calls < max) { engine.cron(); calls++; }
  return calls;
}

describe('active expiry', () => {
  it('removes 100k keys with short TTLs that nobody reads; a key without TTL and a later one survive', () => {
    const t = createTestEngine();
    const db = t.engine.dbs[0]!;
    const at = t.clock.now + 1000;
    for (let i = 0; i < 100_000; i++) {
      db.set(`session:${i}`, 'v');
      db.setExpire(`session:${i}`, at);
    }
    db.set('forever', 'v');
    db.set('later', 'v');
    db.setExpire('later', t.clock.now + 60_000);
    t.engine.cron();
    expect(db.size).toBe(100_002); // nothing is due yet
    t.clock.advance(1000);
    const calls = cronUntil(t.engine, () => db.size === 2);
    expect(db.size).toBe(2);
    expect(calls).toBeLessThan(10_000);
    expect(t.engine.stats.expiredKeys).toBe(100_000);
    expect(db.lookup('forever')).toBe('v');
    expect(db.lookup('later')).toBe('v');
    expect(db.expiresCount).toBe(1);
  });

  it('visits every database, round-robin', () => {
    const t = createTestEngine();
    for (const db of t.engine.dbs) {
      for (let i = 0; i < 500; i++) { db.set(`k${i}`, 'v'); db.setExpire(`k${i}`, t.clock.now + 10); }
    }
    t.clock.advance(10);
    cronUntil(t.engine, () => t.engine.dbs.every((db) => db.size === 0));
    expect(t.engine.dbs.map((db) => db.size)).toEqual(t.engine.dbs.map(() => 0));
    expect(t.engine.stats.expiredKeys).toBe(500 * t.engine.dbs.length);
  });

  it('looks at few keys when few have expired, yet eventually reaches a lone expired key', () => {
    const t = createTestEngine();
    const db = t.engine.dbs[0]!;
    for (let i = 0; i < 10_000; i++) { db.set(`k${i}`, 'v'); db.setExpire(`k${i}`, t.clock.now + 3_600_000); }
    db.setExpire('k7777', t.clock.now + 5);
    t.clock.advance(5);
    t.engine.time = t.clock.now; // what engine.cron() does before its tasks
    const cycle = new ActiveExpireCycle(t.engine);
    cycle.run();
    expect(cycle.keysSampled).toBeLessThanOrEqual(20 * 2); // one sample, maybe a second
    let runs = 0;
    while (db.size === 10_000 && runs < 5_000) { cycle.run(); runs++; }
    expect(db.size).toBe(9_999);
    expect(db.peek('k7777')).toBeUndefined();
    expect(runs).toBeLessThanOrEqual(10_000 / 20 + 1); // one pass over the keys with a TTL
  });

  it('stops when its time budget (25% of a cron period) is spent, and resumes next run', () => {
    const t = createTestEngine({ config: { hz: '10' } });
    const db = t.engine.dbs[0]!;
    for (let i = 0; i < 5_000; i++) { db.set(`k${i}`, 'v'); db.setExpire(`k${i}`, t.clock.now + 1); }
    t.clock.advance(1);
    t.engine.time = t.clock.now;
    let fakeNow = 0;
    // Each reading of the budget clock advances it 1 ms: the 25 ms budget allows ~25 samples.
    const cycle = new ActiveExpireCycle(t.engine, { now: () => fakeNow++ });
    const first = cycle.run();
    expect(cycle.timeCapReached).toBe(1);
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThanOrEqual(30 * 20);
    let runs = 1;
    while (db.size > 0 && runs < 1_000) { cycle.run(); runs++; }
    expect(db.size).toBe(0);
  });

  it('keeps going after SWAPDB and FLUSHALL move or empty the Maps it walks', () => {
    const t = createTestEngine();
    const [db0, db1] = t.engine.dbs;
    for (let i = 0; i < 2_000; i++) { db0!.set(`a${i}`, 'v'); db0!.setExpire(`a${i}`, t.clock.now + 1); }
    t.clock.advance(1);
    t.engine.time = t.clock.now;
    const cycle = new ActiveExpireCycle(t.engine, { now: (() => { let n = 0; return () => (n += 5); })() });
    cycle.run();
    t.run('SWAPDB', '0', '1');
    for (let i = 0; i < 50 && db1!.size > 0; i++) cycle.run();
    expect(db1!.size).toBe(0);
    for (let i = 0; i < 100; i++) { db0!.set(`b${i}`, 'v'); db0!.setExpire(`b${i}`, t.clock.now + 1); }
    cycle.run();
    t.run('FLUSHALL');
    cycle.run();
    expect(db0!.size).toBe(0);
  });
});
