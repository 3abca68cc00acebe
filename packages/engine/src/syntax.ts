import type { ArgumentSpec, CommandSpecData } from './spec.js';

/**
 * A command's syntax line from its spec, as Redis's documentation prints it:
 *   SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | ...]
 * Used by the client's generated method docs and the CLI's help and hints.
 */
export function commandSyntax(spec: CommandSpecData, parent?: string): string {
  const name = (parent ? `${parent} ${spec.name}` : spec.name).toUpperCase();
  const args = (spec.arguments ?? []).map(argumentSyntax).join(' ');
  return args ? `${name} ${args}` : name;
}

export function argumentSyntax(a: ArgumentSpec): string {
  let body: string;
  if (a.type === 'pure-token') body = a.token ?? a.name.toUpperCase();
  else if (a.type === 'oneof') body = (a.arguments ?? []).map(argumentSyntax).join(' | ');
  else if (a.type === 'block') body = (a.arguments ?? []).map(argumentSyntax).join(' ');
  else body = a.displayText ?? a.name;
  if (a.token && a.type !== 'pure-token') body = `${a.token} ${body}`;
  if (a.multiple) {
    const again = a.multipleToken && a.token ? body : body.replace(a.token ? `${a.token} ` : '', '');
    body = `${body} [${again} ...]`;
  }
  return a.optional ? `[${body}]` : a.type === 'oneof' && !a.optional ? `<${body}>` : body;
}
