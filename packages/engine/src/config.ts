import { parseInt64 } from './args.js';

/**
 * Run-time configuration: the parameters CONFIG GET/SET know, with redis-server's names,
 * defaults, value formats and validation messages (Redis 7.0). nodis-server's flags and
 * config file feed the same table.
 */

export interface ConfigParam {
  name: string;
  /** Current value, formatted as CONFIG GET prints it. */
  value: string;
  /** Parameters that cannot change at run time: CONFIG SET answers "can't set immutable config". */
  immutable?: boolean;
  /**
   * Parameters Redis 7.0 refuses at run time unless `enable-protected-configs` is set (dir,
   * dbfilename): CONFIG SET answers "can't set protected config".
   */
  protected?: boolean;
  /** Normalises and validates a new value; returns the stored form or throws an Error whose message is the reason. */
  parse?: (raw: string, current: string) => string;
  /** Other accepted names (e.g. `hash-max-ziplist-entries` for `hash-max-listpack-entries`). */
  aliases?: string[];
}

/** Integers as Redis's numeric configs read them: strict string2ll, then a range check. */
export function integerParam(min: number | bigint, max: number | bigint): (raw: string) => string {
  return (raw) => {
    const n = parseInt64(raw);
    if (n === undefined) throw new Error("argument couldn't be parsed into an integer");
    if (n < min || n > max) throw new Error(`argument must be between ${min} and ${max} inclusive`);
    return String(n);
  };
}

/** Enum configs: case-insensitive, stored lower case; the message lists the values in Redis's order. */
export function enumParam(...values: string[]): (raw: string) => string {
  return (raw) => {
    const v = raw.toLowerCase();
    if (!values.includes(v)) throw new Error('argument(s) must be one of the following: ' + values.join(', '));
    return v;
  };
}

export function yesNo(raw: string): string {
  const v = raw.toLowerCase();
  if (v !== 'yes' && v !== 'no') throw new Error("argument must be 'yes' or 'no'");
  return v;
}

const MEMORY_UNITS: Record<string, bigint> = {
  '': 1n, b: 1n, k: 1000n, kb: 1024n, m: 1000n ** 2n, mb: 1024n ** 2n, g: 1000n ** 3n, gb: 1024n ** 3n,
};

/**
 * Memory sizes as Redis's memtoull reads them: 100, 1k, 1kb, 1m, 1mb, 1g, 1gb (k = 1000,
 * kb = 1024), case-insensitive; stored as the byte count.
 */
export function memoryParam(min = 0n, max = 2n ** 64n - 1n): (raw: string) => string {
  return (raw) => {
    const m = /^(\d+)([a-z]*)$/i.exec(raw);
    const unit = m ? ownEntry(MEMORY_UNITS, m[2]!.toLowerCase()) : undefined;
    if (!m || unit === undefined) throw new Error('argument must be a memory value');
    const n = BigInt(m[1]!) * unit;
    if (n > 2n ** 64n - 1n) throw new Error('argument must be a memory value');
    if (n < min || n > max) throw new Error(`argument must be between ${min} and ${max} inclusive`);
    return String(n);
  };
}

/** `hz`: Redis accepts 0..INT_MAX and clamps to 1..500. */
function hzParam(raw: string): string {
  const n = Number(integerParam(0, 2147483647)(raw));
  return String(Math.min(500, Math.max(1, n)));
}

/** Redis 7.0's levels; `nothing` (7.2) is accepted too because nodis-server uses it to silence tests. */
function loglevelParam(raw: string): string {
  const v = raw.toLowerCase();
  return v === 'nothing' ? v : enumParam('debug', 'verbose', 'notice', 'warning')(raw);
}

/** `save`: "" or pairs of "<seconds> <changes>" separated by single spaces. */
function saveParam(raw: string): string {
  if (raw === '') return '';
  const parts = raw.split(' ');
  if (parts.length % 2 !== 0) throw new Error('Invalid save parameters');
  for (const p of parts) {
    const n = parseInt64(p);
    if (n === undefined || n < 0) throw new Error('Invalid save parameters');
  }
  return raw;
}

/** Keyspace notification classes, in the order Redis prints them back. */
const EVENT_CLASSES = 'g$lshzxetd';
const EVENT_ALL = new Set(EVENT_CLASSES);

/** `notify-keyspace-events`: validated and printed back in Redis's canonical order (KEA → AKE). */
export function notifyKeyspaceEventsParam(raw: string): string {
  const seen = new Set<string>();
  for (const ch of raw) {
    if (ch === 'A') for (const c of EVENT_ALL) seen.add(c);
    else if ('g$lshzxeKEtmdn'.includes(ch)) seen.add(ch);
    else throw new Error("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
  }
  let out = '';
  if ([...EVENT_ALL].every((c) => seen.has(c))) out = 'A';
  else for (const c of EVENT_CLASSES + 'n') if (seen.has(c)) out += c;
  for (const c of 'KEm') if (seen.has(c)) out += c;
  return out;
}

/** One client class's output buffer limits, in bytes and seconds (0: no limit). */
export interface OutputBufferLimit { hard: number; soft: number; softSeconds: number }
export type OutputBufferClass = 'normal' | 'replica' | 'pubsub';

const OUTPUT_CLASSES: Record<string, OutputBufferClass> = { normal: 'normal', slave: 'replica', replica: 'replica', pubsub: 'pubsub' };

const U64_MAX = 2n ** 64n - 1n;

/** A table's own entry (a word such as `constructor` must not find Object.prototype's). */
function ownEntry<T>(table: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/**
 * A hard or soft limit as Redis's memtoull reads it (kept byte for byte, quirks included, so
 * CONFIG SET answers and CONFIG GET prints what redis-server would): ASCII digits (none reads
 * as 0; 128 or more are refused), then an optional unit as memoryParam's; a number past 2^64-1
 * saturates, and the unit multiplies modulo 2^64.
 */
function bufferLimitBytes(word: string): bigint | undefined {
  let i = 0;
  while (i < word.length && word.charCodeAt(i) >= 0x30 && word.charCodeAt(i) <= 0x39) i++;
  const unit = ownEntry(MEMORY_UNITS, word.slice(i).toLowerCase());
  if (unit === undefined || i >= 128) return undefined;
  let n = i === 0 ? 0n : BigInt(word.slice(0, i));
  if (n > U64_MAX) n = U64_MAX;
  return (n * unit) & U64_MAX;
}

/**
 * Soft seconds as Redis reads them: C strtoll (leading whitespace, a sign, saturating at the
 * int64 limits; the empty word reads as 0), stored in a C int (the low 32 bits, so 4294967296
 * reads as 0), and refused when negative.
 */
function bufferLimitSeconds(word: string): number | undefined {
  if (word === '') return 0;
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)$/.exec(word);
  if (!m) return undefined;
  let n = BigInt(m[1]!);
  if (n > 2n ** 63n - 1n) n = 2n ** 63n - 1n;
  if (n < -(2n ** 63n)) n = -(2n ** 63n);
  const seconds = Number(BigInt.asIntN(32, n));
  return seconds < 0 ? undefined : seconds;
}

/**
 * `client-output-buffer-limit <class> <hard> <soft> <soft seconds> ...`: Redis's format and
 * messages. A value naming some classes changes only those (the empty value changes none);
 * CONFIG GET prints all three. Words are split on single spaces as Redis does, so a doubled
 * space is an (empty) word.
 */
function outputBufferLimitParam(raw: string, current: string): string {
  const words = raw === '' ? [] : raw.split(' ');
  if (words.length % 4 !== 0) throw new Error('Wrong number of arguments in buffer limit configuration.');
  const stored = current.split(' ');
  const shown: Record<OutputBufferClass, string> = { normal: '0 0 0', replica: '0 0 0', pubsub: '0 0 0' };
  for (let i = 0; i + 3 < stored.length; i += 4) {
    const cls = ownEntry(OUTPUT_CLASSES, stored[i]!);
    if (cls !== undefined) shown[cls] = stored.slice(i + 1, i + 4).join(' ');
  }
  for (let i = 0; i < words.length; i += 4) {
    const cls = ownEntry(OUTPUT_CLASSES, words[i]!.toLowerCase());
    if (cls === undefined) throw new Error('Invalid client class specified in buffer limit configuration.');
    const hard = bufferLimitBytes(words[i + 1]!);
    const soft = bufferLimitBytes(words[i + 2]!);
    const seconds = bufferLimitSeconds(words[i + 3]!);
    if (hard === undefined || soft === undefined || seconds === undefined) {
      throw new Error('Error in hard, soft or soft_seconds setting in buffer limit configuration.');
    }
    shown[cls] = `${hard} ${soft} ${seconds}`;
  }
  return `normal ${shown.normal} slave ${shown.replica} pubsub ${shown.pubsub}`;
}

/** The stored form of client-output-buffer-limit, per class. */
export function parseOutputBufferLimits(value: string): Record<OutputBufferClass, OutputBufferLimit> {
  const out: Record<OutputBufferClass, OutputBufferLimit> = {
    normal: { hard: 0, soft: 0, softSeconds: 0 },
    replica: { hard: 0, soft: 0, softSeconds: 0 },
    pubsub: { hard: 0, soft: 0, softSeconds: 0 },
  };
  const w = value.split(' ');
  for (let i = 0; i + 3 < w.length; i += 4) {
    const cls = ownEntry(OUTPUT_CLASSES, w[i]!);
    if (cls !== undefined) out[cls] = { hard: Number(w[i + 1]), soft: Number(w[i + 2]), softSeconds: Number(w[i + 3]) };
  }
  return out;
}

export function defaultParams(): ConfigParam[] {
  const intMax = 2147483647;
  const longMax = 2n ** 63n - 1n;
  return [
    { name: 'requirepass', value: '' },
    // Mutable in Redis; nodis's listeners cannot rebind at run time.
    { name: 'port', value: '7379', immutable: true, parse: integerParam(0, 65535) },
    { name: 'bind', value: '127.0.0.1', immutable: true },
    { name: 'unixsocket', value: '', immutable: true },
    { name: 'unixsocketperm', value: '0', immutable: true },
    // nodis's own: the native protocol's Unix socket (the socket transport, unix:// URLs).
    { name: 'nativesocket', value: '', immutable: true },
    { name: 'nativesocketperm', value: '0', immutable: true },
    // ms a native client has to send its hello before it is closed.
    { name: 'native-hello-timeout', value: '10000', parse: integerParam(1, intMax) },
    { name: 'client-output-buffer-limit', value: 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60', parse: outputBufferLimitParam },
    { name: 'dir', value: process.cwd(), protected: true },
    { name: 'dbfilename', value: 'dump.rdb', protected: true },
    { name: 'appendfilename', value: 'appendonly.aof', immutable: true },
    { name: 'appenddirname', value: 'appendonlydir', immutable: true },
    { name: 'databases', value: '16', immutable: true, parse: integerParam(1, intMax) },
    { name: 'maxclients', value: '10000', parse: integerParam(1, 4294967295) },
    { name: 'timeout', value: '0', parse: integerParam(0, intMax) },
    { name: 'hz', value: '10', parse: hzParam },
    { name: 'maxmemory', value: '0', parse: memoryParam() },
    { name: 'maxmemory-policy', value: 'noeviction', parse: enumParam('volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl', 'allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'noeviction') },
    { name: 'maxmemory-samples', value: '5', parse: integerParam(1, intMax) },
    { name: 'appendonly', value: 'no', parse: yesNo },
    { name: 'appendfsync', value: 'everysec', parse: enumParam('everysec', 'always', 'no') },
    { name: 'save', value: '', parse: saveParam },
    { name: 'auto-aof-rewrite-percentage', value: '100', parse: integerParam(0, intMax) },
    { name: 'auto-aof-rewrite-min-size', value: String(64 * 1024 * 1024), parse: memoryParam(0n, 2n ** 63n - 1n) },
    { name: 'aof-load-truncated', value: 'yes', parse: yesNo },
    { name: 'stop-writes-on-bgsave-error', value: 'yes', parse: yesNo },
    { name: 'aof-use-rdb-preamble', value: 'yes', parse: yesNo },
    { name: 'aof-timestamp-enabled', value: 'no', parse: yesNo },
    { name: 'proto-max-bulk-len', value: String(512 * 1024 * 1024), parse: memoryParam(1024n * 1024n, 2n ** 63n - 1n) },
    { name: 'protected-mode', value: 'yes', parse: yesNo },
    { name: 'loglevel', value: 'notice', parse: loglevelParam },
    { name: 'notify-keyspace-events', value: '', parse: notifyKeyspaceEventsParam },
    // Encoding thresholds (OBJECT ENCODING of the collection types), Redis 7.0 defaults and aliases.
    { name: 'hash-max-listpack-entries', value: '512', parse: integerParam(0, longMax), aliases: ['hash-max-ziplist-entries'] },
    { name: 'hash-max-listpack-value', value: '64', parse: integerParam(0, longMax), aliases: ['hash-max-ziplist-value'] },
    { name: 'zset-max-listpack-entries', value: '128', parse: integerParam(0, longMax), aliases: ['zset-max-ziplist-entries'] },
    { name: 'zset-max-listpack-value', value: '64', parse: integerParam(0, longMax), aliases: ['zset-max-ziplist-value'] },
    { name: 'set-max-intset-entries', value: '512', parse: integerParam(0, longMax) },
    { name: 'list-max-listpack-size', value: '-2', parse: integerParam(-2147483648, intMax), aliases: ['list-max-ziplist-size'] },
    { name: 'list-compress-depth', value: '0', parse: integerParam(0, intMax) },
    // HyperLogLog: a sparse HLL that would grow past this many bytes becomes dense.
    { name: 'hll-sparse-max-bytes', value: '3000', parse: memoryParam(0n, 2n ** 63n - 1n) },
  ];
}

export class Config {
  private readonly params = new Map<string, ConfigParam>();
  private readonly aliases = new Map<string, string>();
  /** Listeners run after a successful set (e.g. the server applies `timeout`). */
  private readonly listeners = new Map<string, ((value: string, raw: string) => void)[]>();
  /**
   * getNumber's answers by the name asked, cleared on every change: commands read encoding
   * limits (zset-max-listpack-entries ...) on every call, and a lookup here is one Map.get
   * instead of lower-casing, two Map lookups and a Number() parse.
   */
  private readonly numbers = new Map<string, number>();

  constructor(params: ConfigParam[] = defaultParams()) {
    for (const p of params) this.define(p);
  }

  define(p: ConfigParam): void {
    this.params.set(p.name, { ...p });
    this.numbers.clear();
    for (const a of p.aliases ?? []) this.aliases.set(a, p.name);
  }

  param(name: string): ConfigParam | undefined {
    const n = name.toLowerCase();
    return this.params.get(n) ?? this.params.get(this.aliases.get(n) ?? '');
  }

  get(name: string): string {
    const p = this.param(name);
    if (!p) throw new Error(`unknown config parameter ${name}`);
    return p.value;
  }

  getNumber(name: string): number {
    let n = this.numbers.get(name);
    if (n === undefined) {
      n = Number(this.get(name));
      this.numbers.set(name, n);
    }
    return n;
  }

  /** Sets a value (validating it); `force` also sets immutable ones (startup). Throws Error(reason). */
  set(name: string, raw: string, force = false): void {
    const p = this.param(name);
    if (!p) throw new Error(`Unknown option or number of arguments for CONFIG SET - '${name}'`);
    if (p.immutable && !force) throw new Error("can't set immutable config");
    if (p.protected && !force) throw new Error("can't set protected config");
    p.value = p.parse ? p.parse(raw, p.value) : raw;
    this.numbers.clear();
    for (const l of this.listeners.get(p.name) ?? []) l(p.value, raw);
  }

  /**
   * CONFIG SET's atomic multi-set: every value is parsed first; nothing changes unless all
   * parse. Names must already be checked (known, settable). Throws ConfigSetError naming the
   * argument that failed.
   */
  setAll(pairs: readonly [name: string, raw: string][]): void {
    const parsed: [ConfigParam, string, string][] = [];
    for (const [name, raw] of pairs) {
      const p = this.param(name);
      if (!p) throw new ConfigSetError(name, 'unknown parameter');
      try {
        parsed.push([p, p.parse ? p.parse(raw, p.value) : raw, raw]);
      } catch (e) {
        throw new ConfigSetError(name, e instanceof Error ? e.message : String(e));
      }
    }
    for (const [p, value] of parsed) p.value = value;
    this.numbers.clear();
    for (const [p, value, raw] of parsed) for (const l of this.listeners.get(p.name) ?? []) l(value, raw);
  }

  /** `listener(value, raw)`: the stored form, and the value as given (before parse normalised it). */
  onChange(name: string, listener: (value: string, raw: string) => void): void {
    const list = this.listeners.get(name) ?? [];
    list.push(listener);
    this.listeners.set(name, list);
  }

  all(): IterableIterator<ConfigParam> { return this.params.values(); }

  /** Every accepted name (canonical and alias) with its parameter, for CONFIG GET's glob matching. */
  *names(): IterableIterator<[string, ConfigParam]> {
    for (const p of this.params.values()) {
      yield [p.name, p];
      for (const a of p.aliases ?? []) yield [a, p];
    }
  }
}

/** A CONFIG SET value that did not parse: `argument` as the user typed it, `reason` Redis's text. */
export class ConfigSetError extends Error {
  constructor(readonly argument: string, readonly reason: string) {
    super(reason);
    this.name = 'ConfigSetError';
  }
}
