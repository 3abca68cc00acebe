import type { Command } from './command.js';
import type { Client } from './client.js';
import { WRONGTYPE, unknownCommand, unknownSubcommand, wrongArity } from './errors.js';
import { typeOf } from './keyspace.js';

/**
 * The dispatch table and the checks every command goes through before its handler, in
 * Redis 7.0's order: unknown command, unknown subcommand, arity, authentication, key types.
 */

export interface ResolvedCommand {
  command: Command;
  /** `get` or `object|encoding`: the name in arity errors, CLIENT LIST's cmd=, COMMAND INFO. */
  fullName: string;
  /** Flag set for quick checks. */
  flags: ReadonlySet<string>;
}

export class CommandTable {
  private readonly byName = new Map<string, ResolvedCommand>();
  private readonly subByName = new Map<string, Map<string, ResolvedCommand>>();
  private readonly aliases = new Map<string, ResolvedCommand>();

  constructor(readonly commands: readonly Command[]) {
    for (const c of commands) {
      const name = c.name.toLowerCase();
      if (this.byName.has(name)) throw new Error(`command ${name} is defined twice`);
      const resolved: ResolvedCommand = { command: c, fullName: name, flags: new Set(c.flags) };
      // Clients send names upper-case (redis-cli, redis-benchmark) or lower-case (most
      // libraries): both forms hit directly, so only mixed case pays for toLowerCase().
      this.byName.set(name, resolved);
      this.aliases.set(name.toUpperCase(), resolved);
      if (c.subcommands) {
        const subs = new Map<string, ResolvedCommand>();
        for (const s of c.subcommands) {
          subs.set(s.name.toLowerCase(), { command: s, fullName: `${name}|${s.name.toLowerCase()}`, flags: new Set(s.flags) });
        }
        this.subByName.set(name, subs);
      }
    }
  }

  get(name: string): ResolvedCommand | undefined {
    return this.byName.get(name) ?? this.aliases.get(name) ?? this.byName.get(name.toLowerCase());
  }

  subcommands(name: string): Map<string, ResolvedCommand> | undefined {
    return this.subByName.get(name);
  }

  /** All top-level commands, for COMMAND and COMMAND COUNT. */
  all(): IterableIterator<ResolvedCommand> { return this.byName.values(); }

  /**
   * Finds the command for argv. When there is none or the arity is wrong, `refuse` answers
   * (with the command's full name, for its arity error) and undefined is returned.
   */
  resolve(ctx: Client, argv: string[], refuse: (ctx: Client, fullName: string, message: string) => void): ResolvedCommand | undefined {
    const name = argv[0]!;
    let resolved = this.get(name);
    if (resolved === undefined) {
      refuse(ctx, '', unknownCommand(name, argv.slice(1)));
      return undefined;
    }
    const subs = resolved.command.subcommands && argv.length >= 2 ? this.subByName.get(resolved.fullName) : undefined;
    if (subs) {
      const subName = argv[1]!;
      const sub = subs.get(subName) ?? subs.get(subName.toLowerCase());
      if (sub === undefined) {
        refuse(ctx, resolved.fullName, unknownSubcommand(subName, resolved.fullName));
        return undefined;
      }
      resolved = sub;
    }
    const arity = resolved.command.arity;
    if ((arity > 0 && argv.length !== arity) || argv.length < -arity) {
      refuse(ctx, resolved.fullName, wrongArity(resolved.fullName));
      return undefined;
    }
    return resolved;
  }
}

/**
 * WRONGTYPE on typed keys, checked centrally before the handler runs (inside EXEC too, where
 * it is a runtime error of that command, not a reason to abort the transaction).
 */
export function checkKeyTypes(ctx: Client, resolved: ResolvedCommand, argv: string[]): boolean {
  const c = resolved.command;
  if (c.keyType !== undefined) {
    const [first, last, step] = c.typedKeys ?? c.keys;
    if (first > 0) {
      const end = last < 0 ? argv.length + last : last;
      for (let i = first; i <= end; i += step) {
        const v = ctx.db.lookup(argv[i]!);
        if (v !== undefined && typeOf(v) !== c.keyType) {
          ctx.reply.error(WRONGTYPE);
          return false;
        }
      }
    }
  }
  return true;
}
