/**
 * What nodis-cli knows about commands, for help, hints and completion: one model built from
 * our own specs (`@nodis/engine/specs`, no server needed) and refreshed from the server's
 * `COMMAND DOCS` when connected, so a newer server's commands appear as redis-cli 7.0 does.
 *
 * Names are upper case and full (`SET`, `CONFIG GET`), as redis-cli's help entries are.
 */
import { commandSpecs, type ArgumentSpec, type CommandSpecData } from '@nodis/engine/specs';
import { ReplyMap, ReplySet, ReplyPush, SimpleString, type Reply } from '@nodis/protocol';

export interface ArgDoc {
  name: string;
  /** string integer double key pattern unix-time pure-token oneof block (as COMMAND DOCS says). */
  type: string;
  token?: string;
  optional?: boolean;
  multiple?: boolean;
  multipleToken?: boolean;
  displayText?: string;
  arguments?: ArgDoc[];
}

export interface CommandDoc {
  /** Upper case, full: 'SET', 'CONFIG GET'. */
  name: string;
  summary: string;
  /** '' when the server did not say. */
  since: string;
  group: string;
  complexity?: string;
  arguments: ArgDoc[];
  /** [] when none; container commands (CONFIG, CLIENT, OBJECT, COMMAND, PUBSUB, ...). */
  subcommands: CommandDoc[];
}

export class CommandTable {
  private readonly commands = new Map<string, CommandDoc>();
  private sorted: CommandDoc[] | undefined;
  private flat: CommandDoc[] | undefined;

  /** The table from our specs (`commandSpecs` of '@nodis/engine/specs'). */
  static fromSpecs(): CommandTable {
    const table = new CommandTable();
    for (const spec of commandSpecs) table.put(docFromSpec(spec, undefined));
    return table;
  }

  /** Adds or replaces one command (top level; its subcommands come with it). */
  put(doc: CommandDoc): void {
    this.commands.set(doc.name, doc);
    this.sorted = undefined;
    this.flat = undefined;
  }

  /**
   * Merges a `COMMAND DOCS` reply: RESP2 (flat name/doc arrays) or RESP3 (maps), bulk strings
   * as latin1 JS strings, statuses as SimpleString. Commands the server knows are added or
   * replace ours, so help shows what this server really runs. Anything malformed is skipped,
   * never thrown: the reply comes from whatever server we are connected to.
   * Returns how many commands were read.
   */
  addCommandDocs(reply: Reply): number {
    let count = 0;
    for (const [nameReply, docReply] of pairs(reply)) {
      const name = text(nameReply);
      if (name === undefined || name === '' || name.includes('|')) continue;
      const doc = docFromReply(name, docReply);
      if (doc === undefined) continue;
      this.put(doc);
      count++;
    }
    return count;
  }

  /** Case-insensitive; 'config get' or 'config|get' finds the subcommand. */
  get(name: string): CommandDoc | undefined {
    const parts = name.trim().split(/[\s|]+/);
    if (parts.length > 2) return undefined;
    const top = this.commands.get((parts[0] ?? '').toUpperCase());
    if (top === undefined || parts.length === 1) return top;
    return findSubcommand(top, parts[1] ?? '');
  }

  /** Top-level commands, sorted by name. */
  all(): CommandDoc[] {
    this.sorted ??= [...this.commands.values()].sort(byName);
    return this.sorted;
  }

  /**
   * Every command and every subcommand (containers included), sorted by full name with
   * strcmp's order: redis-cli's list of help entries, which `help` walks.
   */
  entries(): CommandDoc[] {
    if (this.flat === undefined) {
      const flat: CommandDoc[] = [];
      for (const doc of this.commands.values()) flat.push(doc, ...doc.subcommands);
      this.flat = flat.sort(byName);
    }
    return this.flat;
  }

  /** Group names present (of commands and subcommands), sorted. */
  groups(): string[] {
    return [...new Set(this.entries().map((d) => d.group))].filter((g) => g !== '').sort();
  }
}

/** A container's subcommand by its own name (`get` of CONFIG), case-insensitive. */
export function findSubcommand(parent: CommandDoc, word: string): CommandDoc | undefined {
  const full = `${parent.name} ${word.toUpperCase()}`;
  return parent.subcommands.find((s) => s.name === full);
}

/** The subcommand's own name: `GET` of `CONFIG GET`. */
export function subcommandName(doc: CommandDoc): string {
  const space = doc.name.indexOf(' ');
  return space === -1 ? doc.name : doc.name.slice(space + 1);
}

// strcmp order (code units), which is what redis-cli's qsort of help entries gives.
const byName = (a: CommandDoc, b: CommandDoc): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * A command's parameters as redis-cli 7.0 prints them in help and hints (built there from
 * COMMAND DOCS): the compact style, `|` without spaces between alternatives, no `<...>` around
 * a required oneof, argument names (never display text):
 *   key value [NX|XX] [GET] [EX seconds|PX milliseconds|...|KEEPTTL]
 */
export function paramsSyntax(args: readonly ArgDoc[]): string {
  return args.map(argSyntax).join(' ');
}

export function argSyntax(arg: ArgDoc): string {
  const repeat = repeatSyntax(arg);
  let token = arg.type === 'pure-token' ? tokenOf(arg) : arg.token;
  if (token === '') token = '""'; // MIGRATE's empty-key token, as redis-cli shows it
  let s = arg.optional ? '[' : '';
  if (token !== undefined) s += repeat === '' ? token : `${token} `;
  s += repeat;
  if (arg.multiple) s += ` [${arg.multipleToken && token !== undefined ? `${token} ` : ''}${repeat} ...]`;
  return arg.optional ? `${s}]` : s;
}

/** The part of an argument after its token: what a `multiple` argument repeats. */
export function repeatSyntax(arg: ArgDoc): string {
  switch (arg.type) {
    case 'pure-token': return '';
    case 'oneof': return (arg.arguments ?? []).map(argSyntax).join('|');
    case 'block': return (arg.arguments ?? []).map(argSyntax).join(' ');
    default: return arg.name;
  }
}

/** The word a token argument matches (a pure-token without a token is named by its name). */
export function tokenOf(arg: ArgDoc): string | undefined {
  if (arg.token !== undefined) return arg.token;
  return arg.type === 'pure-token' ? arg.name.toUpperCase() : undefined;
}

// ---- from our specs ----

function docFromSpec(spec: CommandSpecData, parent: string | undefined): CommandDoc {
  const name = (parent === undefined ? spec.name : `${parent} ${spec.name}`).toUpperCase();
  const doc: CommandDoc = {
    name,
    summary: spec.summary,
    since: spec.since,
    group: spec.group,
    arguments: (spec.arguments ?? []).map(argFromSpec),
    subcommands: (spec.subcommands ?? []).map((s) => docFromSpec(s, name)).sort(byName),
  };
  if (spec.complexity !== undefined) doc.complexity = spec.complexity;
  return doc;
}

function argFromSpec(spec: ArgumentSpec): ArgDoc {
  const arg: ArgDoc = { name: spec.name, type: spec.type };
  if (spec.token !== undefined) arg.token = spec.token;
  if (spec.optional) arg.optional = true;
  if (spec.multiple) arg.multiple = true;
  if (spec.multipleToken) arg.multipleToken = true;
  if (spec.displayText !== undefined) arg.displayText = spec.displayText;
  if (spec.arguments !== undefined) arg.arguments = spec.arguments.map(argFromSpec);
  return arg;
}

// ---- from a COMMAND DOCS reply ----

/** Nesting bound for arguments: Redis's deepest is 4; a hostile reply must not recurse deep. */
const MAX_ARGUMENT_DEPTH = 16;

function docFromReply(key: string, reply: Reply): CommandDoc | undefined {
  const fields = fieldMap(reply);
  if (fields === undefined) return undefined;
  const name = key.split('|').join(' ').toUpperCase();
  const doc: CommandDoc = {
    name,
    summary: text(fields.get('summary')) ?? '',
    since: text(fields.get('since')) ?? '',
    // Module commands carry `module` instead of a group; redis-cli files them under "module".
    group: text(fields.get('group')) ?? 'module',
    arguments: argsFromReply(fields.get('arguments'), 0),
    subcommands: [],
  };
  const complexity = text(fields.get('complexity'));
  if (complexity !== undefined) doc.complexity = complexity;
  for (const [subName, subDoc] of pairs(fields.get('subcommands'))) {
    const sub = text(subName);
    if (sub === undefined || sub.split('|').length !== 2) continue;
    const parsed = docFromReply(sub, subDoc);
    if (parsed !== undefined && parsed.name.startsWith(`${name} `)) doc.subcommands.push(parsed);
  }
  doc.subcommands.sort(byName);
  return doc;
}

function argsFromReply(reply: Reply | undefined, depth: number): ArgDoc[] {
  const args: ArgDoc[] = [];
  if (depth >= MAX_ARGUMENT_DEPTH) return args;
  for (const item of list(reply)) {
    const fields = fieldMap(item);
    if (fields === undefined) continue;
    const name = text(fields.get('name'));
    const type = text(fields.get('type'));
    if (name === undefined || type === undefined) continue;
    const arg: ArgDoc = { name, type };
    const token = text(fields.get('token'));
    if (token !== undefined) arg.token = token;
    for (const flag of list(fields.get('flags'))) {
      const f = text(flag);
      if (f === 'optional') arg.optional = true;
      else if (f === 'multiple') arg.multiple = true;
      else if (f === 'multiple_token') arg.multipleToken = true;
    }
    const display = text(fields.get('display_text')); // Redis 7.2+
    if (display !== undefined) arg.displayText = display;
    if (type === 'oneof' || type === 'block') arg.arguments = argsFromReply(fields.get('arguments'), depth + 1);
    args.push(arg);
  }
  return args;
}

/** A reply's text: bulk strings are latin1 bytes, decoded here as the UTF-8 they hold. */
function text(reply: Reply | undefined): string | undefined {
  let bytes: string;
  if (typeof reply === 'string') bytes = reply;
  else if (reply instanceof SimpleString) bytes = reply.value;
  else if (reply instanceof Uint8Array) return Buffer.from(reply.buffer, reply.byteOffset, reply.byteLength).toString('utf8');
  else return undefined;
  return /^[\x00-\x7f]*$/.test(bytes) ? bytes : Buffer.from(bytes, 'latin1').toString('utf8');
}

function list(reply: Reply | undefined): Reply[] {
  if (Array.isArray(reply)) return reply;
  if (reply instanceof ReplySet || reply instanceof ReplyPush) return reply.items;
  return [];
}

/** Key/value pairs of a RESP3 map or a RESP2 flat array (an odd last element is dropped). */
function pairs(reply: Reply | undefined): [Reply, Reply][] {
  if (reply instanceof ReplyMap) return reply.entries;
  if (!Array.isArray(reply)) return [];
  const out: [Reply, Reply][] = [];
  for (let i = 0; i + 1 < reply.length; i += 2) out.push([reply[i]!, reply[i + 1]!]);
  return out;
}

function fieldMap(reply: Reply | undefined): Map<string, Reply> | undefined {
  if (!(reply instanceof ReplyMap) && !Array.isArray(reply)) return undefined;
  const fields = new Map<string, Reply>();
  for (const [k, v] of pairs(reply)) {
    const key = text(k);
    if (key !== undefined) fields.set(key, v);
  }
  return fields;
}
