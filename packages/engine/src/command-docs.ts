import { parseInt64 } from './args.js';
import type { ReplyWriter } from './reply.js';
import type { ArgumentSpec, CommandFlag, CommandGroup, CommandSpecData, KeySpec } from './spec.js';

/**
 * COMMAND INFO, COMMAND DOCS and COMMAND GETKEYS, rendered from the specs alone, in Redis
 * 7.0's shapes: what Redis keeps in its command table (ACL categories, key specs) is derived
 * here from the flags, the group and `keys` unless the spec states it.
 */

/** Flags in the order Redis prints them; sentinel, only_sentinel and protected are never shown. */
const FLAG_ORDER: readonly CommandFlag[] = [
  'write', 'readonly', 'denyoom', 'module', 'admin', 'pubsub', 'noscript', 'blocking', 'loading',
  'stale', 'skip_monitor', 'skip_slowlog', 'asking', 'fast', 'no_auth', 'may_replicate',
  'no_mandatory_keys', 'touches_arbitrary_keys', 'no_async_loading', 'no_multi', 'movablekeys', 'allow_busy',
];

/** ACL categories in the order Redis prints them (ACL CAT). */
export const ACL_CATEGORIES: readonly string[] = [
  'keyspace', 'read', 'write', 'set', 'sortedset', 'list', 'hash', 'string', 'bitmap', 'hyperloglog',
  'geo', 'stream', 'pubsub', 'admin', 'fast', 'slow', 'blocking', 'dangerous', 'connection',
  'transaction', 'scripting',
];

/** The category Redis's command files give the commands of each group (containers excepted). */
const GROUP_CATEGORY: Partial<Record<CommandGroup, string>> = {
  generic: 'keyspace', string: 'string', list: 'list', set: 'set', 'sorted-set': 'sortedset',
  hash: 'hash', transactions: 'transaction', connection: 'connection',
  scripting: 'scripting', hyperloglog: 'hyperloglog', geo: 'geo', stream: 'stream', bitmap: 'bitmap',
};

export function commandFlags(spec: CommandSpecData): string[] {
  const set = new Set(spec.flags);
  return FLAG_ORDER.filter((f) => set.has(f));
}

/**
 * ACL categories (without '@'): the group's category, the spec's extra ones, and those
 * Redis derives from flags (write, readonly → read, admin → admin + dangerous, pubsub, fast,
 * blocking, and slow for every command that is not fast).
 */
export function aclCategories(spec: CommandSpecData): string[] {
  const cats = new Set<string>(spec.aclCategories ?? []);
  const group = GROUP_CATEGORY[spec.group];
  // Containers (CONFIG, CLIENT, OBJECT ...) carry no group category of their own in Redis.
  // (@pubsub comes from the pubsub flag: PUBSUB HELP, in the group, has no @pubsub.)
  if (group !== undefined && !spec.subcommands?.length) cats.add(group);
  const flags = new Set(spec.flags);
  if (flags.has('write')) cats.add('write');
  if (flags.has('readonly') && !cats.has('scripting')) cats.add('read');
  if (flags.has('admin')) { cats.add('admin'); cats.add('dangerous'); }
  if (flags.has('pubsub')) cats.add('pubsub');
  if (flags.has('fast')) cats.add('fast');
  if (flags.has('blocking')) cats.add('blocking');
  if (!cats.has('fast')) cats.add('slow');
  const ordered = ACL_CATEGORIES.filter((c) => cats.has(c));
  for (const c of cats) if (!ACL_CATEGORIES.includes(c)) ordered.push(c);
  return ordered;
}

/**
 * The spec's key specs, or one derived from `keys`: keys from index `first` up to `last`
 * (negative: from the end) every `step`, flagged by the most common access of such commands
 * (RO access for readonly ones, RW update for writes). Families state `keySpecs` where that
 * guess is wrong or the keys move (numkeys, keywords).
 */
export function keySpecsOf(spec: CommandSpecData): KeySpec[] {
  if (spec.keySpecs) return spec.keySpecs;
  const [first, last, step] = spec.keys;
  if (first <= 0) return [];
  const flags = spec.flags.includes('write') ? ['RW', 'update'] : ['RO', 'access'];
  return [{
    flags,
    beginSearch: { index: first },
    findKeys: { lastKey: last < 0 ? last : last - first, keyStep: step, limit: 0 },
  }];
}

function writeKeySpec(w: ReplyWriter, ks: KeySpec): void {
  w.map(ks.notes !== undefined ? 4 : 3);
  if (ks.notes !== undefined) { w.bulk('notes'); w.bulk(ks.notes); }
  w.bulk('flags');
  w.set(ks.flags.length);
  for (const f of ks.flags) w.simple(f);
  w.bulk('begin_search');
  w.map(2);
  const bs = ks.beginSearch;
  if (bs === 'unknown') {
    w.bulk('type'); w.bulk('unknown'); w.bulk('spec'); w.map(0);
  } else if ('index' in bs) {
    w.bulk('type'); w.bulk('index'); w.bulk('spec'); w.map(1); w.bulk('index'); w.int(bs.index);
  } else {
    w.bulk('type'); w.bulk('keyword'); w.bulk('spec'); w.map(2);
    w.bulk('keyword'); w.bulk(bs.keyword); w.bulk('startfrom'); w.int(bs.startFrom);
  }
  w.bulk('find_keys');
  w.map(2);
  const fk = ks.findKeys;
  if (fk === 'unknown') {
    w.bulk('type'); w.bulk('unknown'); w.bulk('spec'); w.map(0);
  } else if ('lastKey' in fk) {
    w.bulk('type'); w.bulk('range'); w.bulk('spec'); w.map(3);
    w.bulk('lastkey'); w.int(fk.lastKey); w.bulk('keystep'); w.int(fk.keyStep); w.bulk('limit'); w.int(fk.limit);
  } else {
    w.bulk('type'); w.bulk('keynum'); w.bulk('spec'); w.map(3);
    w.bulk('keynumidx'); w.int(fk.keyNumIdx); w.bulk('firstkey'); w.int(fk.firstKey); w.bulk('keystep'); w.int(fk.keyStep);
  }
}

/** One COMMAND INFO entry: [name, arity, flags, first, last, step, acl, tips, key specs, subcommands]. */
export function writeCommandInfo(w: ReplyWriter, spec: CommandSpecData, fullName: string): void {
  w.array(10);
  w.bulk(fullName);
  w.int(spec.arity);
  const flags = commandFlags(spec);
  w.set(flags.length);
  for (const f of flags) w.simple(f);
  w.int(spec.keys[0]);
  w.int(spec.keys[1]);
  w.int(spec.keys[2]);
  const acl = aclCategories(spec);
  w.set(acl.length);
  for (const c of acl) w.simple('@' + c);
  const tips = spec.tips ?? [];
  w.set(tips.length);
  for (const t of tips) w.bulk(t);
  const specs = keySpecsOf(spec);
  w.set(specs.length);
  for (const ks of specs) writeKeySpec(w, ks);
  const subs = spec.subcommands ?? [];
  if (subs.length === 0) {
    w.set(0);
  } else {
    w.array(subs.length);
    for (const s of subs) writeCommandInfo(w, s, `${fullName}|${s.name.toLowerCase()}`);
  }
}

/** One COMMAND DOCS value (the map after the name). */
export function writeCommandDocs(w: ReplyWriter, spec: CommandSpecData, fullName: string): void {
  const history = spec.history ?? [];
  const args = spec.arguments ?? [];
  const subs = spec.subcommands ?? [];
  const deprecated = spec.deprecatedSince !== undefined;
  const fields = 3 + (spec.complexity !== undefined ? 1 : 0) + (deprecated ? 2 : 0)
    + (spec.replacedBy !== undefined ? 1 : 0) + (history.length ? 1 : 0) + (args.length ? 1 : 0)
    + (subs.length ? 1 : 0);
  w.map(fields);
  w.bulk('summary'); w.bulk(spec.summary);
  w.bulk('since'); w.bulk(spec.since);
  w.bulk('group'); w.bulk(spec.group);
  if (spec.complexity !== undefined) { w.bulk('complexity'); w.bulk(spec.complexity); }
  if (deprecated) {
    w.bulk('doc_flags'); w.set(1); w.simple('deprecated');
    w.bulk('deprecated_since'); w.bulk(spec.deprecatedSince!);
  }
  if (spec.replacedBy !== undefined) { w.bulk('replaced_by'); w.bulk(spec.replacedBy); }
  if (history.length) {
    w.bulk('history');
    w.set(history.length);
    for (const [version, change] of history) { w.array(2); w.bulk(version); w.bulk(change); }
  }
  if (args.length) {
    w.bulk('arguments');
    writeArguments(w, args, { next: 0 }, keySpecsOf(spec).length);
  }
  if (subs.length) {
    w.bulk('subcommands');
    w.map(subs.length);
    for (const s of subs) {
      const name = `${fullName}|${s.name.toLowerCase()}`;
      w.bulk(name);
      writeCommandDocs(w, s, name);
    }
  }
}

/**
 * Arguments as COMMAND DOCS lists them. A key argument's key_spec_index is stated or else its
 * order among the key arguments (clamped to the last spec): SMOVE's source 0, destination 1.
 */
function writeArguments(w: ReplyWriter, args: readonly ArgumentSpec[], keyCounter: { next: number }, specCount: number): void {
  w.array(args.length);
  for (const a of args) {
    const flags: string[] = [];
    if (a.optional) flags.push('optional');
    if (a.multiple) flags.push('multiple');
    if (a.multipleToken) flags.push('multiple_token');
    const isKey = a.type === 'key';
    const nested = a.arguments ?? [];
    const hasNested = a.type === 'oneof' || a.type === 'block';
    w.map(2 + (a.displayText !== undefined ? 1 : 0) + (isKey ? 1 : 0) + (a.token !== undefined ? 1 : 0)
      + (a.since !== undefined ? 1 : 0) + (a.deprecatedSince !== undefined ? 1 : 0)
      + (flags.length ? 1 : 0) + (hasNested ? 1 : 0));
    w.bulk('name'); w.bulk(a.name);
    w.bulk('type'); w.bulk(a.type);
    if (a.displayText !== undefined) { w.bulk('display_text'); w.bulk(a.displayText); }
    if (isKey) {
      const index = a.keySpecIndex ?? Math.min(keyCounter.next, Math.max(0, specCount - 1));
      keyCounter.next++;
      w.bulk('key_spec_index'); w.int(index);
    }
    if (a.token !== undefined) { w.bulk('token'); w.bulk(a.token); }
    if (a.since !== undefined) { w.bulk('since'); w.bulk(a.since); }
    if (a.deprecatedSince !== undefined) { w.bulk('deprecated_since'); w.bulk(a.deprecatedSince); }
    if (flags.length) {
      w.bulk('flags');
      w.set(flags.length);
      for (const f of flags) w.simple(f);
    }
    if (hasNested) {
      w.bulk('arguments');
      writeArguments(w, nested, keyCounter, specCount);
    }
  }
}

/** Whether COMMAND GETKEYS has anything to look for. */
export function hasKeyArguments(spec: CommandSpecData): boolean {
  return keySpecsOf(spec).length > 0;
}

export interface FoundKey { index: number; flags: string[] }

/**
 * The key positions in argv (argv[0] the command name) by walking the key specs as Redis
 * does; undefined when a key count is not a number or reaches past the arguments.
 */
export function findKeys(spec: CommandSpecData, argv: readonly string[]): FoundKey[] | undefined {
  const out: FoundKey[] = [];
  const argc = argv.length;
  for (const ks of keySpecsOf(spec)) {
    const bs = ks.beginSearch;
    const fk = ks.findKeys;
    if (bs === 'unknown' || fk === 'unknown') continue;
    let first: number;
    if ('index' in bs) {
      first = bs.index;
    } else {
      // Keyword search: forwards from startFrom, or backwards from the end when negative.
      const keyword = bs.keyword.toUpperCase();
      const start = bs.startFrom >= 0 ? bs.startFrom : argc + bs.startFrom;
      const end = bs.startFrom >= 0 ? argc - 1 : 0;
      const dir = bs.startFrom >= 0 ? 1 : -1;
      let found = -1;
      for (let i = start; dir > 0 ? i <= end : i >= end; i += dir) {
        if (argv[i]?.toUpperCase() === keyword) { found = i; break; }
      }
      if (found < 0) continue;
      first = found + 1;
    }
    let last: number;
    let step: number;
    if ('lastKey' in fk) {
      step = fk.keyStep;
      if (fk.lastKey >= 0) last = first + fk.lastKey;
      else if (fk.limit === 0) last = argc + fk.lastKey;
      else last = first + Math.floor((argc - first) / fk.limit) + fk.lastKey;
    } else {
      const countArg = argv[first + fk.keyNumIdx];
      const count = countArg === undefined ? undefined : parseInt64(countArg);
      if (typeof count !== 'number' || count < 0) return undefined;
      first += fk.firstKey;
      step = fk.keyStep;
      last = first + (count - 1) * step;
      if (last >= argc) return undefined;
    }
    for (let i = first; i <= last && step > 0; i += step) {
      if (i >= argc) break; // variadic commands given too few arguments: the handler reports it
      out.push({ index: i, flags: ks.flags });
    }
  }
  return out;
}
