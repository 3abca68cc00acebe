import { describe, expect, it } from 'vitest';
import { Config } from './config.js';
import {
  Database, LFU_INIT_VAL, SHARD_COUNT, accessTrackingFor, installAccessTracking, shardIndex,
  type CollectionValue, type KeyspaceHost,
} from './keyspace.js';

/** A host with a settable clock that records what the database reports. */
class Host implements KeyspaceHost {
  time = 1_700_000_000_000;
  expired: string[] = [];
  modified: string[] = [];
  onExpired(_db: Database, key: string): void { this.expired.push(key); }
  onKeyModified(_db: Database, key: string): void { this.modified.push(key); }
}

function setup(): { host: Host; db: Database } {
  const host = new Host();
  return { host, db: new Database(0, host) };
}

const totalDeletions = (db: Database) => db.shards.reduce((n, s) => n + s.deletions, 0);

describe('Database', () => {
  it('spreads keys over every shard', () => {
    const { db } = setup();
    for (let i = 0; i < 10_000; i++) db.set(`key:${i}`, 'v');
    const sizes = db.shards.map((s) => s.data.size);
    expect(sizes.every((n) => n > 80 && n < 240)).toBe(true);
    expect(db.size).toBe(10_000);
    for (let i = 0; i < 10_000; i += 997) expect(db.shards[shardIndex(`key:${i}`)]!.data.has(`key:${i}`)).toBe(true);
  });

  it('removes expired keys lazily on lookup and peek, reporting them', () => {
    const { host, db } = setup();
    db.set('a', '1');
    db.setExpire('a', host.time + 10);
    db.set('b', '2');
    db.setExpire('b', host.time + 10);
    expect(db.lookup('a')).toBe('1');
    host.time += 10;
    expect(db.size).toBe(2);
    expect(db.lookup('a')).toBeUndefined();
    expect(db.peek('b')).toBeUndefined();
    expect(host.expired).toEqual(['a', 'b']);
    expect(db.size).toBe(0);
    expect(db.expiresCount).toBe(0);
  });

  it('set drops the TTL unless keepTtl; delete reports existence', () => {
    const { host, db } = setup();
    db.set('k', 'v');
    db.setExpire('k', host.time + 100);
    db.set('k', 'w', true);
    expect(db.getExpire('k')).toBe(host.time + 100);
    db.set('k', 'x');
    expect(db.getExpire('k')).toBeUndefined();
    expect(db.delete('k')).toBe(true);
    expect(db.delete('k')).toBe(false);
    expect(host.modified).toEqual(['k', 'k', 'k', 'k', 'k']);
  });

  it('counts every removal from data in the shard deletion counters (SCAN relies on it)', () => {
    const { host, db } = setup();
    const start = totalDeletions(db);
    for (let i = 0; i < 100; i++) db.set(`k${i}`, 'v');
    db.set('k1', 'overwrite'); // not a removal
    expect(totalDeletions(db)).toBe(start);
    db.delete('k0');
    db.setExpire('k2', host.time);
    db.lookup('k2'); // lazy expiry
    db.rename('k3', 'k4'); // removes k3 and the old k4
    db.clear(); // 97 left
    expect(totalDeletions(db)).toBe(start + 1 + 1 + 2 + 97);
  });

  it('rename moves value and TTL and replaces the target', () => {
    const { host, db } = setup();
    db.set('a', '1');
    db.setExpire('a', host.time + 500);
    db.set('b', '2');
    db.setExpire('b', host.time + 900);
    db.rename('a', 'b');
    expect(db.lookup('a')).toBeUndefined();
    expect(db.lookup('b')).toBe('1');
    expect(db.getExpire('b')).toBe(host.time + 500);
    db.set('c', '3');
    db.rename('c', 'b');
    expect(db.getExpire('b')).toBeUndefined();
    expect(db.size).toBe(1);
  });

  it('moveTo carries the TTL into another database', () => {
    const { host, db } = setup();
    const other = new Database(1, host);
    db.set('k', 'v');
    db.setExpire('k', host.time + 50);
    db.moveTo('k', other);
    expect(db.size).toBe(0);
    expect(other.lookup('k')).toBe('v');
    expect(other.getExpire('k')).toBe(host.time + 50);
  });

  it('swapWith exchanges contents', () => {
    const { host, db } = setup();
    const other = new Database(1, host);
    db.set('mine', '1');
    other.set('theirs', '2');
    db.swapWith(other);
    expect(db.lookup('theirs')).toBe('2');
    expect(other.lookup('mine')).toBe('1');
    expect(db.lookup('mine')).toBeUndefined();
  });

  it('keeps working under heavy delete/insert churn', () => {
    const { db } = setup();
    const live = 20_000;
    for (let i = 0; i < live; i++) db.set(`k${i}`, 'v');
    let failedDeletes = 0;
    for (let i = 0; i < 400_000; i++) {
      if (!db.delete(`k${i}`)) failedDeletes++;
      db.set(`k${i + live}`, 'v');
    }
    expect(failedDeletes).toBe(0);
    expect(db.size).toBe(live);
    expect(db.lookup(`k${400_000}`)).toBe('v');
    expect(db.lookup(`k${399_999}`)).toBeUndefined();
  });
});

describe('randomKey', () => {
  it('is undefined when empty and never returns an expired key', () => {
    const { host, db } = setup();
    expect(db.randomKey()).toBeUndefined();
    for (let i = 0; i < 500; i++) { db.set(`dead${i}`, 'v'); db.setExpire(`dead${i}`, host.time + 1); }
    db.set('alive', 'v');
    host.time += 1;
    for (let i = 0; i < 20; i++) expect(db.randomKey()).toBe('alive');
    db.delete('alive');
    expect(db.randomKey()).toBeUndefined();
    expect(db.size).toBe(0);
    expect(host.expired.length).toBe(500);
  });

  it('returns every key over enough calls, roughly evenly', () => {
    const { db } = setup();
    const n = 2000;
    for (let i = 0; i < n; i++) db.set(`k${i}`, 'v');
    const counts = new Map<string, number>();
    for (let i = 0; i < 100_000; i++) {
      const k = db.randomKey()!;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    expect(counts.size).toBe(n);
    // 50 expected per key; the persistent walk keeps it close to even.
    expect(Math.max(...counts.values())).toBeLessThan(200);
  });
});

describe('access tracking', () => {
  it('is off by default and keeps no per-key data', () => {
    const { db } = setup();
    for (let i = 0; i < 100; i++) { db.set(`k${i}`, 'v'); db.lookup(`k${i}`); }
    expect(db.accessTracking).toBe('off');
    expect(db.shards.every((s) => s.access.size === 0)).toBe(true);
  });

  it('LRU: writes and lookups stamp, peek does not; idle counts whole seconds', () => {
    const { host, db } = setup();
    db.setAccessTracking('lru');
    db.set('k', 'v');
    host.time += 4_999;
    expect(db.idleSeconds('k')).toBe(4); // seconds resolution, like Redis's LRU clock
    host.time += 1;
    db.peek('k');
    expect(db.idleSeconds('k')).toBe(5);
    db.lookup('k');
    expect(db.idleSeconds('k')).toBe(0);
    host.time += 2_000;
    db.rename('k', 'k2'); // the stamp moves with the key
    expect(db.idleSeconds('k2')).toBe(2);
    db.delete('k2');
    expect(db.shards.every((s) => s.access.size === 0)).toBe(true);
  });

  it('keys from before tracking began count as idle since then (a true lower bound)', () => {
    const { host, db } = setup();
    db.set('old', 'v');
    host.time += 60_000;
    db.setAccessTracking('lru');
    host.time += 3_000;
    expect(db.idleSeconds('old')).toBe(3);
  });

  it('LFU: new keys start at LFU_INIT_VAL, accesses raise the counter logarithmically, minutes decay it', () => {
    const { host, db } = setup();
    db.setAccessTracking('lfu');
    db.set('k', 'v');
    expect(db.frequency('k')).toBe(LFU_INIT_VAL);
    for (let i = 0; i < 1000; i++) db.lookup('k');
    const f = db.frequency('k');
    expect(f).toBeGreaterThan(LFU_INIT_VAL + 3);
    expect(f).toBeLessThan(40);
    db.set('k', 'overwritten'); // an overwrite keeps the counter (as Redis's dbSetValue)
    expect(db.frequency('k')).toBe(f);
    host.time += 2 * 60_000;
    expect(db.frequency('k')).toBe(f - 2);
    host.time += 300 * 60_000;
    expect(db.frequency('k')).toBe(0);
    db.lfuDecayTime = 0; // no decay
    expect(db.frequency('k')).toBe(f);
  });

  it('changing the mode drops the stamps; off frees them', () => {
    const { db } = setup();
    db.setAccessTracking('lru');
    db.set('k', 'v');
    expect(db.shards.some((s) => s.access.size === 1)).toBe(true);
    db.setAccessTracking('lfu');
    expect(db.shards.every((s) => s.access.size === 0)).toBe(true);
    db.lookup('k');
    db.setAccessTracking('off');
    expect(db.shards.every((s) => s.access.size === 0)).toBe(true);
  });

  it('follows maxmemory-policy (and the LFU parameters where defined)', () => {
    const host = new Host();
    const config = new Config();
    config.define({ name: 'lfu-decay-time', value: '1' });
    const dbs = [new Database(0, host), new Database(1, host)];
    installAccessTracking({ config, dbs });
    expect(dbs.map((d) => d.accessTracking)).toEqual(['off', 'off']);
    config.set('maxmemory-policy', 'volatile-lru');
    expect(dbs.map((d) => d.accessTracking)).toEqual(['lru', 'lru']);
    config.set('maxmemory-policy', 'allkeys-lfu');
    expect(dbs[1]!.accessTracking).toBe('lfu');
    config.set('lfu-decay-time', '7');
    expect(dbs[0]!.lfuDecayTime).toBe(7);
    config.set('maxmemory-policy', 'allkeys-random');
    expect(dbs[0]!.accessTracking).toBe('off');
    expect(accessTrackingFor('volatile-ttl')).toBe('off');
  });
});

describe('collections', () => {
  it('a collection value is stored as is and typed by its own field', () => {
    const { db } = setup();
    const list: CollectionValue = { type: 'list', encoding: () => 'quicklist' };
    db.set('l', list);
    expect(db.lookup('l')).toBe(list);
    expect(SHARD_COUNT).toBe(64);
  });
});
