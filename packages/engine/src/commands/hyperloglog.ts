import type { Client } from '../client.js';
import { defineCommand, type Command } from '../command.js';
import { HLL_CORRUPTED, HLL_WRONGTYPE, WRONGTYPE } from '../errors.js';
import { typeOf, type Value } from '../keyspace.js';
import { type ArgumentSpec, keySpec } from '../spec.js';
import {
  HLL_DENSE, HLL_REGISTERS, byteAfterEnd, cachedCardinality, createHll, hllAdd, hllCardinality, hllEncoding,
  hllMerge, hllStoreRegisters, invalidateCachedCardinality, isHll, registersCardinality,
  setCachedCardinality,
} from '../types/hyperloglog.js';
import { RawString, type StringValue } from '../types/string.js';
import { NOTIFY_STRING, lookupRead, notify } from '../notify.js';

/**
 * The HyperLogLog family: PFADD, PFCOUNT, PFMERGE. An HLL is a string value in Redis's byte
 * format (types/hyperloglog.ts), so GET/SET move it to and from redis-server unchanged.
 *
 * Type checks happen in the handlers, key by key in argument order, as Redis does: a non-string
 * answers the usual WRONGTYPE, a string that is not an HLL the HLL-specific one, whichever
 * comes first. A value being modified (or getting its cardinality cached) becomes a RawString
 * first: the in-place representation, which OBJECT ENCODING reports as `raw`, as Redis does
 * after these commands.
 */

const KEY: ArgumentSpec = { name: 'key', type: 'key' };


function sparseMaxBytes(ctx: Client): number {
  return ctx.engine.config.getNumber('hll-sparse-max-bytes');
}

/** The HLL at an existing key's value, or undefined after answering the right WRONGTYPE. */
function checkHll(ctx: Client, v: Value): StringValue | undefined {
  if (typeOf(v) !== 'string') {
    ctx.reply.error(WRONGTYPE);
    return undefined;
  }
  const s = v as StringValue;
  const ok = typeof s === 'string' ? isHll(Buffer.from(s.slice(0, 16), 'latin1'), s.length) : isHll(s.buf, s.length);
  if (!ok) {
    ctx.reply.error(HLL_WRONGTYPE);
    return undefined;
  }
  return s;
}

/** Bytes to read an HLL from without changing it, and the byte past its end (see byteAfterEnd). */
function bytesOf(v: StringValue): { buf: Buffer; length: number; after: number } {
  return typeof v === 'string'
    ? { buf: Buffer.from(v, 'latin1'), length: v.length, after: 0 }
    : { buf: v.buf, length: v.length, after: byteAfterEnd(v) };
}

/**
 * The value as a RawString to modify in place. A latin1 string (set by SET) is replaced by its
 * RawString copy under the same key without counting as a modification: the content is the
 * same, only the representation changes (Redis's dbUnshareStringValue). Room for a sparse
 * edit's growth is reserved.
 */
function unshare(ctx: Client, key: string, v: StringValue): RawString {
  if (typeof v !== 'string') return v;
  const raw = new RawString(v, v.length + 4);
  ctx.db.replaceRepresentation(key, raw);
  return raw;
}

// PFADD key [element [element ...]]
export const pfadd = defineCommand({
  name: 'pfadd', arity: -2, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1],
  group: 'hyperloglog', since: '2.8.9', summary: 'Adds the specified elements to the specified HyperLogLog.',
  complexity: 'O(1) to add every element.',
  keySpecs: [keySpec(['RW', 'insert'])],
  arguments: [KEY, { name: 'element', type: 'string', optional: true, multiple: true }],
  reply: 'integer: 1 if a register changed or the key was created, else 0',
  run(ctx, argv) {
    const key = argv[1]!;
    const v = ctx.db.lookup(key);
    let raw: RawString;
    let updated = 0;
    if (v === undefined) {
      raw = createHll();
      ctx.db.set(key, raw);
      updated++;
    } else {
      const s = checkHll(ctx, v);
      if (s === undefined) return;
      raw = unshare(ctx, key, s);
    }
    const max = sparseMaxBytes(ctx);
    for (let i = 2; i < argv.length; i++) {
      const r = hllAdd(raw, argv[i]!, max);
      if (r < 0) {
        // Registers changed before the corruption was met stay changed, as in Redis; unlike
        // Redis 7.0 we count that as a change, so the log (which replays to the same point)
        // does not lose it.
        if (updated > 0 && v !== undefined) ctx.db.host.onKeyModified(ctx.db, key);
        return ctx.reply.error(HLL_CORRUPTED);
      }
      updated += r;
    }
    if (updated > 0) {
      invalidateCachedCardinality(raw.buf);
      if (v !== undefined) ctx.db.host.onKeyModified(ctx.db, key);
      notify(ctx, NOTIFY_STRING, 'pfadd', key);
    }
    ctx.reply.int(updated > 0 ? 1 : 0);
  },
});

// PFCOUNT key [key ...]
export const pfcount = defineCommand({
  name: 'pfcount', arity: -2, flags: ['readonly'], keys: [1, -1, 1],
  group: 'hyperloglog', since: '2.8.9',
  summary: 'Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).',
  complexity: 'O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.',
  keySpecs: [keySpec(['RW', 'access'], 1, -1, 'RW because it may change the internal representation of the key, and propagate to replicas')],
  arguments: [{ ...KEY, multiple: true }],
  reply: 'integer: the estimated number of distinct elements',
  run(ctx, argv) {
    if (argv.length > 2) return countUnion(ctx, argv);
    const key = argv[1]!;
    const v = lookupRead(ctx, key);
    if (v === undefined) return ctx.reply.int(0);
    const s = checkHll(ctx, v);
    if (s === undefined) return;
    const raw = unshare(ctx, key, s);
    const cached = cachedCardinality(raw.buf);
    if (cached !== undefined) return ctx.reply.int(cached);
    const card = hllCardinality(raw.buf, raw.length, byteAfterEnd(raw));
    if (card === undefined) return ctx.reply.error(HLL_CORRUPTED);
    // The cache is part of the value's bytes: storing it is a modification (Redis signals it too).
    setCachedCardinality(raw.buf, card);
    ctx.db.host.onKeyModified(ctx.db, key);
    ctx.reply.int(card);
  },
});

/** PFCOUNT of several keys: the estimate of their union, merged in a scratch array (no writes). */
function countUnion(ctx: Client, argv: string[]): void {
  const max = new Uint8Array(HLL_REGISTERS);
  for (let i = 1; i < argv.length; i++) {
    const v = lookupRead(ctx, argv[i]!);
    if (v === undefined) continue; // a missing key counts as an empty HLL
    const s = checkHll(ctx, v);
    if (s === undefined) return;
    const { buf, length, after } = bytesOf(s);
    if (!hllMerge(buf, length, max, after)) return ctx.reply.error(HLL_CORRUPTED);
  }
  ctx.reply.int(registersCardinality(max));
}

// PFMERGE destkey sourcekey [sourcekey ...]
export const pfmerge = defineCommand({
  name: 'pfmerge', arity: -2, flags: ['write', 'denyoom'], keys: [1, -1, 1],
  group: 'hyperloglog', since: '2.8.9', summary: 'Merge N different HyperLogLogs into a single one.',
  complexity: 'O(N) to merge N HyperLogLogs, but with high constant times.',
  keySpecs: [keySpec(['RW', 'access', 'insert']), keySpec(['RO', 'access'], 2, -1)],
  arguments: [
    { name: 'destkey', type: 'key' },
    { name: 'sourcekey', type: 'key', multiple: true },
  ],
  reply: 'simple string: OK',
  run(ctx, argv) {
    // The destination is an input too: its registers are part of the union.
    const max = new Uint8Array(HLL_REGISTERS);
    let dense = false;
    for (let i = 1; i < argv.length; i++) {
      const v = lookupRead(ctx, argv[i]!);
      if (v === undefined) continue;
      const s = checkHll(ctx, v);
      if (s === undefined) return;
      const { buf, length, after } = bytesOf(s);
      if (hllEncoding(buf) === HLL_DENSE) dense = true;
      if (!hllMerge(buf, length, max, after)) return ctx.reply.error(HLL_CORRUPTED);
    }
    const key = argv[1]!;
    const v = ctx.db.lookup(key) as StringValue | undefined;
    let raw: RawString;
    if (v === undefined) {
      raw = createHll();
      ctx.db.set(key, raw);
    } else {
      raw = unshare(ctx, key, v);
    }
    // The result is dense when any input was; all-sparse inputs give a sparse result (which
    // may still turn dense as registers are raised), as in Redis.
    if (!hllStoreRegisters(raw, max, dense, sparseMaxBytes(ctx))) return ctx.reply.error(HLL_CORRUPTED);
    ctx.db.host.onKeyModified(ctx.db, key);
    notify(ctx, NOTIFY_STRING, 'pfadd', key);
    ctx.reply.simple('OK');
  },
});

export const hyperloglogCommands: Command[] = [pfadd, pfcount, pfmerge];
