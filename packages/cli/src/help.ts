/**
 * The REPL's `help` command, byte for byte as redis-cli 7.0.15 prints it on a terminal.
 *
 * redis-cli writes the general help with plain "\n" and each command's help with "\r\n" (the
 * terminal is out of raw mode then, so both show the same), bold names, dim (90) parameters
 * and yellow (33) labels. The strings returned here are those exact bytes as a JS string.
 */
import { paramsSyntax, type CommandDoc, type CommandTable } from './docs.js';

const BOLD = '\x1b[1m';
const DIM = '\x1b[90m';
const YELLOW = '\x1b[33m';
const RESET = '\x1b[0m';

/**
 * `words` are what follows `help` on the line:
 *   []                 the general help
 *   ['@hash']          every command of the group (case-insensitive), without the group line
 *   ['set']            that command; ['config'] the container and all its subcommands
 *   ['config', 'get']  the subcommand ('config|get' works too, a nodis addition)
 * Anything else prints what redis-cli prints for an unknown topic: an empty line.
 */
export function helpText(table: CommandTable, words: string[], version: string): string {
  if (words.length === 0) return generalHelp(version);
  const first = words[0]!;
  let out = '';
  if (first.startsWith('@')) {
    // As redis-cli: only the first word counts for a group.
    const group = first.slice(1).toLowerCase();
    for (const doc of table.entries()) {
      if (doc.group.toLowerCase() === group) out += commandHelp(doc, false);
    }
  } else {
    const topic = words.length === 1 && first.includes('|') ? first.split('|') : words;
    const wanted = topic.map((w) => w.toUpperCase());
    // redis-cli's rule: an entry matches when the topic's words are a prefix of its words.
    for (const doc of table.entries()) {
      const entryWords = doc.name.split(' ');
      if (wanted.length <= entryWords.length && wanted.every((w, i) => w === entryWords[i])) out += commandHelp(doc, true);
    }
  }
  return `${out}\r\n`;
}

/** One entry, as redis-cli's cliOutputCommandHelp prints it. */
export function commandHelp(doc: CommandDoc, withGroup: boolean): string {
  let s = `\r\n  ${BOLD}${doc.name}${RESET} ${DIM}${paramsSyntax(doc.arguments)}${RESET}\r\n`;
  s += `  ${YELLOW}summary:${RESET} ${doc.summary}\r\n`;
  if (doc.since !== '') s += `  ${YELLOW}since:${RESET} ${doc.since}\r\n`;
  if (withGroup) s += `  ${YELLOW}group:${RESET} ${doc.group}\r\n`;
  return s;
}

/** redis-cli's text with our name; preferences live in ~/.nodisclirc as history in ~/.nodis_history. */
export function generalHelp(version: string): string {
  return `nodis-cli ${version}\n`
    + 'To get help about Redis commands type:\n'
    + '      "help @<group>" to get a list of commands in <group>\n'
    + '      "help <command>" for help on <command>\n'
    + '      "help <tab>" to get a list of possible help topics\n'
    + '      "quit" to exit\n'
    + '\n'
    + 'To set nodis-cli preferences:\n'
    + '      ":set hints" enable online hints\n'
    + '      ":set nohints" disable online hints\n'
    + 'Set your preferences in ~/.nodisclirc\n';
}
