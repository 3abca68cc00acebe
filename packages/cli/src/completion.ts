/**
 * Tab completion and inline hints for the REPL line, from the command table.
 *
 * Both start by splitting the line into words the way redis-cli does (double quotes with
 * escapes, single quotes with \' only) but leniently: an unclosed quote makes the rest of the
 * line one word still being typed, instead of an error. Then the words after the command
 * are matched against its argument tree (`ArgMatcher` below): required arguments in order,
 * a run of optional arguments in any order (Redis's options are), tokens, oneof, blocks and
 * `multiple` repeats. The match tells completion which tokens may come next and tells the
 * hint what remains of the syntax.
 *
 * The work is bounded for huge lines (a 10 MB paste): words are found with native regex
 * scans rather than a loop per character, a long word is never copied (only short words can
 * be command names or tokens), and past MAX_WORDS words there is no hint and no completion.
 */
import {
  findSubcommand, repeatSyntax, argSyntax, subcommandName, tokenOf,
  type ArgDoc, type CommandDoc, type CommandTable,
} from './docs.js';

/** Replace line.slice(start, cursor) by one of the candidates. */
export interface Completion { start: number; candidates: string[] }

/** Beyond this many words a line gets no hint and no completion (the match would be useless). */
export const MAX_WORDS = 4096;
/** Longer words are not read: no command name or token is this long. */
const MAX_WORD_VALUE = 64;

// ---------------------------------------------------------------------------------------------
// Words

export interface LineWord {
  start: number;
  end: number;
  /** The word, quotes and escapes resolved; undefined for a word too long to be a name or token. */
  value: string | undefined;
  /** Holds a quote: never completed (it is a key or a value). */
  quoted: boolean;
}

export interface ScannedLine {
  words: LineWord[];
  /** The last word is still open: the line ends inside quotes or right after a word. */
  lastWordOpen: boolean;
  /** A closing quote followed by a non-space: redis-cli refuses such a line. */
  invalid: boolean;
  /** More than MAX_WORDS words. */
  overflow: boolean;
}

// Whitespace as C's isspace(): space \t \n \v \f \r.
const SPACE = /[^ \t\n\v\f\r]/g;
const WORD_STOP = /[ \t\n\v\f\r"']/g;
const isSpaceCode = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);

/** Splits a line into words with their positions, tolerating unbalanced quotes. */
export function scanLine(line: string, maxWords = MAX_WORDS): ScannedLine {
  const words: LineWord[] = [];
  const n = line.length;
  let i = 0;
  let lastWordOpen = false;
  // The next backslash at or after i (-1: none left), remembered across words so that each
  // part of the line is searched once, whatever the number of quoted words.
  let backslash = -2;
  for (;;) {
    SPACE.lastIndex = i;
    const next = SPACE.exec(line);
    if (next === null) return { words, lastWordOpen: false, invalid: false, overflow: false };
    if (words.length === maxWords) return { words, lastWordOpen: false, invalid: false, overflow: true };
    const start = next.index;
    i = start;
    let quoted = false;
    // Scan one word: runs of plain chars, and quoted parts started by a quote inside it.
    for (;;) {
      WORD_STOP.lastIndex = i;
      const stop = WORD_STOP.exec(line);
      if (stop === null) { i = n; lastWordOpen = true; break; }
      i = stop.index;
      const c = line.charCodeAt(i);
      if (isSpaceCode(c)) break;
      quoted = true;
      const quote = c === 0x22 ? '"' : "'";
      let closed = false;
      // Jump from quote to quote with indexOf (native), stopping at backslashes on the way.
      for (i++; ;) {
        const q = line.indexOf(quote, i);
        if (q === -1) break;
        if (backslash !== -1 && backslash < i) backslash = line.indexOf('\\', i);
        if (backslash === -1 || backslash > q) { closed = true; i = q + 1; break; }
        // Double quotes: \ escapes the next char (\xHH's digits are never quotes).
        // Single quotes: only \' is an escape.
        i = backslash + (c === 0x22 || line.charCodeAt(backslash + 1) === 0x27 ? 2 : 1);
      }
      if (!closed) { i = n; lastWordOpen = true; break; }
      if (i < n && !isSpaceCode(line.charCodeAt(i))) {
        return { words, lastWordOpen: false, invalid: true, overflow: false };
      }
      break;
    }
    const value = i - start <= MAX_WORD_VALUE ? wordValue(line.slice(start, i)) : undefined;
    words.push({ start, end: i, value, quoted });
    if (lastWordOpen || i >= n) return { words, lastWordOpen: true, invalid: false, overflow: false };
  }
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', a: '\x07' };

/** A short raw word with its quotes and escapes resolved (an unclosed quote runs to the end). */
function wordValue(raw: string): string {
  if (!/["']/.test(raw)) return raw;
  let out = '';
  let quote = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (quote === '"' && ch === '\\' && i + 1 < raw.length) {
      const hex = /^x[0-9a-fA-F]{2}/.exec(raw.slice(i + 1, i + 4));
      if (hex) { out += String.fromCharCode(Number.parseInt(hex[0].slice(1), 16)); i += 3; }
      else { const e = raw[i + 1]!; out += ESCAPES[e] ?? e; i++; }
    } else if (quote === "'" && ch === '\\' && raw[i + 1] === "'") {
      out += "'";
      i++;
    } else if (quote !== '' && ch === quote) {
      quote = '';
    } else if (quote === '' && (ch === '"' || ch === "'")) {
      quote = ch;
    } else {
      out += ch;
    }
  }
  return out;
}

const same = (word: string | undefined, token: string): boolean => word !== undefined && word.toUpperCase() === token.toUpperCase();

// ---------------------------------------------------------------------------------------------
// Matching words against an argument tree
//
// Every feed function either consumes the word (and updates its state) or returns false and
// changes nothing, so a failed attempt can be followed by another. Recursion follows the
// argument tree (a few levels), never the words.

interface ArgState {
  arg: ArgDoc;
  /** The token of this instance was typed (pure tokens: the whole argument). */
  tokenSeen: boolean;
  /** The current instance's body (what follows the token); undefined until begun. */
  body: BodyState | undefined;
}

type BodyState =
  | { kind: 'value' }
  | { kind: 'oneof'; choice: ArgState }
  | { kind: 'block'; seq: SeqState };

interface SeqState {
  args: readonly ArgDoc[];
  /** Arguments before pos are behind us (matched or skipped). */
  pos: number;
  /** Optional arguments from pos on that were already used (options come in any order). */
  used: Set<number>;
  /** The last argument begun: it may still be incomplete, or take more (a block's options, a repeat). */
  open: ArgState | undefined;
}

const newSeq = (args: readonly ArgDoc[]): SeqState => ({ args, pos: 0, used: new Set(), open: undefined });

function hasToken(arg: ArgDoc): boolean {
  return arg.token !== undefined || arg.type === 'pure-token';
}

/** Tokens that can begin the argument. */
function firstTokens(arg: ArgDoc, out: Set<string>): void {
  const token = tokenOf(arg);
  if (token !== undefined) out.add(token);
  else bodyFirstTokens(arg, out);
}

function bodyFirstTokens(arg: ArgDoc, out: Set<string>): void {
  if (arg.type === 'oneof') for (const alt of arg.arguments ?? []) firstTokens(alt, out);
  else if (arg.type === 'block') seqFirstTokens(arg.arguments ?? [], 0, out);
}

function seqFirstTokens(args: readonly ArgDoc[], from: number, out: Set<string>): void {
  for (let i = from; i < args.length; i++) {
    firstTokens(args[i]!, out);
    if (!args[i]!.optional) return;
  }
}

/** Can the argument begin with an arbitrary word (a value rather than a token)? */
function acceptsAnyFirst(arg: ArgDoc): boolean {
  return hasToken(arg) ? false : bodyAcceptsAny(arg);
}

function bodyAcceptsAny(arg: ArgDoc): boolean {
  if (arg.type === 'pure-token') return false;
  if (arg.type === 'oneof') return (arg.arguments ?? []).some(acceptsAnyFirst);
  if (arg.type === 'block') {
    for (const a of arg.arguments ?? []) {
      if (acceptsAnyFirst(a)) return true;
      if (!a.optional) return false;
    }
    return false;
  }
  return true;
}

function startArg(arg: ArgDoc, word: string | undefined): ArgState | undefined {
  const state: ArgState = { arg, tokenSeen: false, body: undefined };
  return feedArg(state, word) ? state : undefined;
}

function feedArg(state: ArgState, word: string | undefined): boolean {
  const arg = state.arg;
  const token = tokenOf(arg);
  if (token !== undefined && !state.tokenSeen) {
    if (!same(word, token)) return false;
    state.tokenSeen = true;
    return true;
  }
  if (arg.type === 'pure-token') return false;
  if (state.body === undefined) {
    const body = startBody(arg, word);
    if (body === undefined) return false;
    state.body = body;
    return true;
  }
  if (!bodyComplete(state.body)) return feedBody(state.body, word);
  if (feedBody(state.body, word)) return true; // a block's trailing options, an inner repeat
  if (!arg.multiple) return false;
  if (arg.multipleToken && token !== undefined) {
    if (!same(word, token)) return false;
    state.body = undefined; // a new instance: token, then its body
    return true;
  }
  const body = startBody(arg, word);
  if (body === undefined) return false;
  state.body = body;
  return true;
}

function startBody(arg: ArgDoc, word: string | undefined): BodyState | undefined {
  if (arg.type === 'oneof') {
    const alts = arg.arguments ?? [];
    // A token match wins over an alternative that takes any word.
    for (const alt of alts) {
      const tokens = new Set<string>();
      firstTokens(alt, tokens);
      if ([...tokens].some((t) => same(word, t))) {
        const choice = startArg(alt, word);
        if (choice !== undefined) return { kind: 'oneof', choice };
      }
    }
    for (const alt of alts) {
      if (!acceptsAnyFirst(alt)) continue;
      const choice = startArg(alt, word);
      if (choice !== undefined) return { kind: 'oneof', choice };
    }
    return undefined;
  }
  if (arg.type === 'block') {
    const seq = newSeq(arg.arguments ?? []);
    return feedSeq(seq, word) ? { kind: 'block', seq } : undefined;
  }
  return { kind: 'value' }; // one word, whatever it is
}

function feedBody(body: BodyState, word: string | undefined): boolean {
  if (body.kind === 'oneof') return feedArg(body.choice, word);
  if (body.kind === 'block') return feedSeq(body.seq, word);
  return false;
}

function bodyComplete(body: BodyState): boolean {
  if (body.kind === 'oneof') return argComplete(body.choice);
  if (body.kind === 'block') return seqComplete(body.seq);
  return true;
}

function argComplete(state: ArgState): boolean {
  if (hasToken(state.arg) && !state.tokenSeen) return false;
  if (state.arg.type === 'pure-token') return true;
  return state.body !== undefined && bodyComplete(state.body);
}

function seqComplete(seq: SeqState): boolean {
  if (seq.open !== undefined && !argComplete(seq.open)) return false;
  for (let i = seq.pos; i < seq.args.length; i++) {
    if (!seq.args[i]!.optional && !seq.used.has(i)) return false;
  }
  return true;
}

/** The optional arguments that may come next (from pos, not used), then the next required one. */
function nextCandidates(seq: SeqState): { optional: number[]; required: number | undefined } {
  const optional: number[] = [];
  for (let i = seq.pos; i < seq.args.length; i++) {
    if (!seq.args[i]!.optional) return { optional, required: i };
    if (!seq.used.has(i)) optional.push(i);
  }
  return { optional, required: undefined };
}

function feedSeq(seq: SeqState, word: string | undefined): boolean {
  if (seq.open !== undefined) {
    if (feedArg(seq.open, word)) return true;
    if (!argComplete(seq.open)) return false;
  }
  const { optional, required } = nextCandidates(seq);
  const begin = (i: number, positional: boolean): boolean => {
    const state = startArg(seq.args[i]!, word);
    if (state === undefined) return false;
    if (positional) {
      seq.pos = i + 1;
      seq.used = new Set();
    } else {
      seq.used.add(i);
    }
    seq.open = state;
    return true;
  };
  // 1. A token names its argument: an option of the run, or the required argument.
  const tokenHolders = required === undefined ? optional : [...optional, required];
  for (const i of tokenHolders) {
    const tokens = new Set<string>();
    firstTokens(seq.args[i]!, tokens);
    if ([...tokens].some((t) => same(word, t)) && begin(i, i === required)) return true;
  }
  // 2. Any other word is the next required argument, if it takes one ...
  if (required !== undefined && acceptsAnyFirst(seq.args[required]!)) return begin(required, true);
  // 3. ... or an optional positional argument (`LPOP key [count]`).
  for (const i of optional) {
    if (acceptsAnyFirst(seq.args[i]!) && begin(i, true)) return true;
  }
  return false;
}

/** Tokens the sequence accepts as its next word. */
function seqNextTokens(seq: SeqState, out: Set<string>): void {
  if (seq.open !== undefined) {
    argNextTokens(seq.open, out);
    if (!argComplete(seq.open)) return;
  }
  const { optional, required } = nextCandidates(seq);
  for (const i of optional) firstTokens(seq.args[i]!, out);
  if (required !== undefined) firstTokens(seq.args[required]!, out);
}

function argNextTokens(state: ArgState, out: Set<string>): void {
  const arg = state.arg;
  const token = tokenOf(arg);
  if (token !== undefined && !state.tokenSeen) { out.add(token); return; }
  if (arg.type === 'pure-token') return;
  if (state.body === undefined) { bodyFirstTokens(arg, out); return; }
  if (state.body.kind === 'oneof') argNextTokens(state.body.choice, out);
  else if (state.body.kind === 'block') seqNextTokens(state.body.seq, out);
  if (!bodyComplete(state.body) || !arg.multiple) return;
  if (arg.multipleToken && token !== undefined) out.add(token);
  else bodyFirstTokens(arg, out);
}

/** What remains of the sequence's syntax: the open argument's rest first, then the others in order. */
function seqRemaining(seq: SeqState): string {
  const parts: string[] = [];
  if (seq.open !== undefined) {
    const rest = argRemaining(seq.open);
    if (rest !== '') parts.push(rest);
  }
  for (let i = seq.pos; i < seq.args.length; i++) {
    if (!seq.used.has(i)) parts.push(argSyntax(seq.args[i]!));
  }
  return parts.join(' ');
}

function argRemaining(state: ArgState): string {
  const arg = state.arg;
  if (arg.type === 'pure-token') return '';
  const parts: string[] = [];
  const repeat = repeatSyntax(arg);
  if (state.body === undefined) {
    if (repeat !== '') parts.push(repeat);
  } else {
    const rest = state.body.kind === 'oneof' ? argRemaining(state.body.choice)
      : state.body.kind === 'block' ? seqRemaining(state.body.seq) : '';
    if (rest !== '') parts.push(rest);
  }
  if (arg.multiple) {
    const token = tokenOf(arg);
    parts.push(`[${arg.multipleToken && token !== undefined ? `${token} ` : ''}${repeat} ...]`);
  }
  return parts.join(' ');
}

// ---------------------------------------------------------------------------------------------
// The line: command, subcommand, arguments

interface LineMatch {
  doc: CommandDoc;
  /** Words naming the command (1, or 2 with a subcommand). */
  nameWords: number;
  seq: SeqState;
}

/**
 * Matches whole words (the command's and its arguments) against the table. undefined when the
 * command is unknown or a word does not fit its syntax. A container without its subcommand
 * word comes back with no seq (see callers).
 */
function matchWords(table: CommandTable, words: readonly LineWord[]): LineMatch | 'container' | undefined {
  const first = words[0]?.value;
  if (first === undefined) return undefined;
  const top = table.get(first);
  if (top === undefined || first.includes('|')) return undefined;
  let doc = top;
  let nameWords = 1;
  if (top.subcommands.length > 0) {
    if (words.length === 1) return 'container';
    const word = words[1]!.value;
    const sub = word === undefined ? undefined : findSubcommand(top, word);
    if (sub === undefined) return undefined;
    doc = sub;
    nameWords = 2;
  }
  const seq = newSeq(doc.arguments);
  for (let i = nameWords; i < words.length; i++) {
    if (!feedSeq(seq, words[i]!.value)) return undefined;
  }
  return { doc, nameWords, seq };
}

/** The REPL's own help command (redis-cli also takes `?`), unless the server has a HELP. */
const isHelp = (table: CommandTable, word: string | undefined): boolean =>
  word === '?' || (word !== undefined && word.toLowerCase() === 'help' && table.get('help') === undefined);

/**
 * The inline hint for a line (redis-cli shows it dim after the cursor), '' when none.
 * As redis-cli: it appears as soon as the command name is complete, with a leading space when
 * the line does not end with one (`set` → ` key value [NX|XX] ...`). Unlike redis-cli 7.0,
 * which only drops leading words, the typed words are matched against the syntax: options
 * already given disappear, and after a token its value comes first (`set k v ex` →
 * ` seconds [NX|XX] [GET]`). A container shows its subcommands (`config ` →
 * `GET|HELP|RESETSTAT|REWRITE|SET`). A line that does not fit the syntax gets no hint.
 */
export function hintFor(table: CommandTable, line: string): string {
  const scanned = scanLine(line);
  if (scanned.invalid || scanned.overflow || scanned.words.length === 0) return '';
  if (isHelp(table, scanned.words[0]!.value)) return '';
  const match = matchWords(table, scanned.words);
  if (match === undefined) return '';
  let hint: string;
  if (match === 'container') {
    const top = table.get(scanned.words[0]!.value!)!;
    hint = top.subcommands.map(subcommandName).join('|');
  } else {
    hint = seqRemaining(match.seq);
  }
  if (hint === '') return '';
  return scanned.lastWordOpen ? ` ${hint}` : hint;
}

/**
 * Candidates for the word at the cursor: command names, subcommands (`config g` → get), the
 * tokens the syntax accepts at that position (`set k v e` → ex exat), and after `help` the
 * groups (`@hash`) and command names. Keys and values are never completed. Candidates are
 * sorted, without duplicates, in the case the user types: the case of the word begun, or of
 * the command name when the word is empty.
 */
export function completeLine(table: CommandTable, line: string, cursor: number = line.length): Completion {
  const at = Math.max(0, Math.min(cursor, line.length));
  const none: Completion = { start: at, candidates: [] };
  const scanned = scanLine(line.slice(0, at));
  if (scanned.invalid || scanned.overflow) return none;
  const words = scanned.words;
  const current = scanned.lastWordOpen ? words[words.length - 1]! : undefined;
  if (current !== undefined && (current.quoted || current.value === undefined)) return none;
  const done = current === undefined ? words : words.slice(0, -1);
  const prefix = current?.value ?? '';
  const start = current?.start ?? at;
  const upper = prefix === '' ? isUpper(done[0]?.value ?? 'A') : isUpper(prefix);
  const finish = (names: Iterable<string>, keepCase = false): Completion => {
    const p = prefix.toUpperCase();
    const out = new Set<string>();
    for (const name of names) {
      if (name === '' || !name.toUpperCase().startsWith(p)) continue; // '' : MIGRATE's empty-key token
      out.add(keepCase ? name : upper ? name.toUpperCase() : name.toLowerCase());
    }
    return { start, candidates: [...out].sort() };
  };

  if (done.length === 0) return finish(table.all().map((d) => d.name));
  if (isHelp(table, done[0]!.value)) {
    if (done.length === 1) {
      const groups = finish(table.groups().map((g) => `@${g}`), true).candidates;
      const names = finish(table.all().map((d) => d.name)).candidates;
      return { start, candidates: [...groups, ...names].sort() };
    }
    const top = done.length === 2 && done[1]!.value !== undefined ? table.get(done[1]!.value) : undefined;
    return top === undefined || done[1]!.value!.includes('|') ? none : finish(top.subcommands.map(subcommandName));
  }
  const match = matchWords(table, done);
  if (match === undefined) return none;
  if (match === 'container') {
    return finish(table.get(done[0]!.value!)!.subcommands.map(subcommandName));
  }
  const tokens = new Set<string>();
  seqNextTokens(match.seq, tokens);
  return finish(tokens);
}

/** Upper case when the word's first letter is (a word without letters counts as upper). */
function isUpper(word: string): boolean {
  const letter = /[a-zA-Z]/.exec(word);
  return letter === null || letter[0] <= 'Z';
}
