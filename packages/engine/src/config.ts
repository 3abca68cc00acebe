/**
 * Run-time configuration: the parameters CONFIG GET/SET know, with redis-server's names and
 * value formats. nodis-server's flags and config file feed the same table.
 */

export interface ConfigParam {
  name: string;
  /** Current value, formatted as CONFIG GET prints it. */
  value: string;
  /** Parameters that cannot change at run time (CONFIG SET answers Redis's error). */
  immutable?: boolean;
  /** Normalises and validates a new value; returns the stored form or throws an Error whose message is the reason. */
  parse?: (raw: string) => string;
  /** Other accepted names (e.g. `hash-max-ziplist-entries` for `hash-max-listpack-entries`). */
  aliases?: string[];
}

export function integerParam(min: number, max: number): (raw: string) => string {
  return (raw) => {
    const n = Number(raw);
    if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(n)) throw new Error('argument couldn\'t be parsed into an integer');
    if (n < min || n > max) throw new Error(`argument must be between ${min} and ${max} inclusive`);
    return String(n);
  };
}

export function enumParam(...values: string[]): (raw: string) => string {
  return (raw) => {
    const v = raw.toLowerCase();
    if (!values.includes(v)) throw new Error('argument(s) must be one of the following: ' + values.join(', '));
    return v;
  };
}

export const yesNo = enumParam('yes', 'no');

/** Memory sizes as Redis accepts them: 100, 1k, 1kb, 1m, 1mb, 1g, 1gb (k = 1000, kb = 1024). */
export function memoryParam(raw: string): string {
  const m = /^(\d+)(k|kb|m|mb|g|gb)?$/i.exec(raw);
  if (!m) throw new Error('argument must be a memory value');
  const unit = (m[2] ?? '').toLowerCase();
  const mult = { '': 1, k: 1e3, kb: 1024, m: 1e6, mb: 1024 ** 2, g: 1e9, gb: 1024 ** 3 }[unit]!;
  return String(Number(m[1]) * mult);
}

export function defaultParams(): ConfigParam[] {
  return [
    { name: 'requirepass', value: '' },
    { name: 'port', value: '7379', immutable: true, parse: integerParam(0, 65535) },
    { name: 'bind', value: '127.0.0.1', immutable: true },
    { name: 'unixsocket', value: '', immutable: true },
    { name: 'unixsocketperm', value: '0', immutable: true },
    { name: 'dir', value: process.cwd(), immutable: true },
    { name: 'dbfilename', value: 'dump.rdb' },
    { name: 'databases', value: '16', immutable: true, parse: integerParam(1, 1 << 20) },
    { name: 'maxclients', value: '10000', parse: integerParam(1, 1 << 30) },
    { name: 'timeout', value: '0', parse: integerParam(0, 2 ** 31 - 1) },
    { name: 'hz', value: '10', parse: integerParam(1, 500) },
    { name: 'maxmemory', value: '0', parse: memoryParam },
    { name: 'maxmemory-policy', value: 'noeviction', parse: enumParam('volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl', 'allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'noeviction') },
    { name: 'appendonly', value: 'no', parse: yesNo },
    { name: 'appendfsync', value: 'everysec', parse: enumParam('always', 'everysec', 'no') },
    { name: 'save', value: '' },
    { name: 'proto-max-bulk-len', value: String(512 * 1024 * 1024), parse: memoryParam },
    { name: 'protected-mode', value: 'yes', parse: yesNo },
    { name: 'loglevel', value: 'notice', parse: enumParam('debug', 'verbose', 'notice', 'warning', 'nothing') },
    { name: 'notify-keyspace-events', value: '' },
  ];
}

export class Config {
  private readonly params = new Map<string, ConfigParam>();
  private readonly aliases = new Map<string, string>();
  /** Listeners run after a successful set (e.g. the server applies `timeout`). */
  private readonly listeners = new Map<string, ((value: string) => void)[]>();

  constructor(params: ConfigParam[] = defaultParams()) {
    for (const p of params) this.define(p);
  }

  define(p: ConfigParam): void {
    this.params.set(p.name, { ...p });
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

  getNumber(name: string): number { return Number(this.get(name)); }

  /** Sets a value (validating it); `force` also sets immutable ones (startup). Throws Error(reason). */
  set(name: string, raw: string, force = false): void {
    const p = this.param(name);
    if (!p) throw new Error(`Unknown option or number of arguments for CONFIG SET - '${name}'`);
    if (p.immutable && !force) throw new Error("can't set immutable config");
    p.value = p.parse ? p.parse(raw) : raw;
    for (const l of this.listeners.get(p.name) ?? []) l(p.value);
  }

  onChange(name: string, listener: (value: string) => void): void {
    const list = this.listeners.get(name) ?? [];
    list.push(listener);
    this.listeners.set(name, list);
  }

  all(): IterableIterator<ConfigParam> { return this.params.values(); }
}
