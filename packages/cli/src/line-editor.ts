import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The REPL's line editor: linenoise's single-line mode (what redis-cli uses), written for a
 * Node TTY in raw mode. Why not node:readline: it has no inline hints, its completion lists
 * candidates where redis-cli cycles through them, and it renders the whole line on every key,
 * which a pasted 10 MB line turns quadratic.
 *
 *   keys: printable text · ←/→ ^B/^F · Home/End ^A/^E · ↑/↓ ^P/^N history · Backspace ^H ·
 *         Delete · ^D (delete, or end of input on an empty line) · ^K ^U ^W (kill to end, to
 *         start, a word) · ^T (transpose) · ^L (clear screen) · Tab (cycle completions; Esc
 *         restores the line) · Enter · ^C (cancel the line; on an empty line, quit)
 *   A line wider than the terminal scrolls sideways around the cursor. The hint (the rest of
 *   the command's syntax) shows dimmed after the text when the cursor is at the end.
 *
 * Raw mode stays on for the whole session: keys typed while a command runs are kept for the
 * next line (typeahead), and ^C then reaches onInterrupt (cancel a blocking command) instead
 * of killing the process. Output keeps ONLCR in libuv's raw mode, so '\n' still ends a line.
 */

export interface Completion { start: number; candidates: string[] }

export interface LineEditorOptions {
  input: NodeJS.ReadStream;
  output: NodeJS.WriteStream;
  history?: History;
  /** Candidates for the word at the cursor: replace line.slice(start, cursor) by one. */
  complete?: (line: string, cursor: number) => Completion;
  /** The dimmed rest of the syntax after the line, '' for none. */
  hint?: (line: string) => string;
}

/** Lines longer than this get no hint (computing one reads the whole line on every key). */
const HINT_MAX_LINE = 4096;
/** A line longer than this is not kept in the history (nor its file). */
const HISTORY_MAX_LINE = 64 * 1024;

/**
 * The line's text. Text appended at the end (typing, a paste arriving in chunks) is kept as
 * pieces and joined once, when the whole line is needed: rendering reads only the last screen
 * width of it, so a 10 MB paste costs linear time, not a copy per chunk.
 */
class LineText {
  private flat = '';
  private pieces: string[] = [];
  private piecesLength = 0;

  get length(): number { return this.flat.length + this.piecesLength; }

  append(s: string): void {
    if (s.length === 0) return;
    this.pieces.push(s);
    this.piecesLength += s.length;
  }

  /** The last n chars, without joining the pieces. */
  last(n: number): string {
    let out = '';
    for (let i = this.pieces.length - 1; i >= 0 && out.length < n; i--) out = this.pieces[i]! + out;
    if (out.length < n) out = this.flat.slice(Math.max(0, this.flat.length - (n - out.length))) + out;
    return out.length > n ? out.slice(out.length - n) : out;
  }

  toString(): string {
    if (this.pieces.length !== 0) {
      this.flat += this.pieces.join('');
      this.pieces = [];
      this.piecesLength = 0;
    }
    return this.flat;
  }

  set(s: string): void {
    this.flat = s;
    this.pieces = [];
    this.piecesLength = 0;
  }
}

/**
 * The history: ~/.nodis_history by default, one line each (as linenoise's file: lines with a
 * newline cannot be kept, and are not). The file is appended to after each line and rewritten
 * when it grows past twice the limit.
 */
export class History {
  readonly lines: string[] = [];
  private written = 0;

  constructor(readonly file: string | undefined, readonly max = 1000) {
    if (file === undefined) return;
    try {
      const text = readFileSync(file, 'utf8');
      for (const l of text.split('\n')) if (l !== '') this.lines.push(l);
      if (this.lines.length > max) this.lines.splice(0, this.lines.length - max);
      this.written = this.lines.length;
    } catch {
      // No history yet (or unreadable): start empty.
    }
  }

  add(line: string): void {
    if (line === '' || line.length > HISTORY_MAX_LINE || /[\r\n]/.test(line)) return;
    if (this.lines[this.lines.length - 1] === line) return;
    this.lines.push(line);
    if (this.lines.length > this.max) this.lines.shift();
    if (this.file === undefined) return;
    try {
      if (this.written + 1 > this.max * 2) {
        mkdirSync(path.dirname(this.file), { recursive: true });
        writeFileSync(this.file, this.lines.join('\n') + '\n', { mode: 0o600 });
        this.written = this.lines.length;
      } else {
        appendFileSync(this.file, line + '\n', { mode: 0o600 });
        this.written++;
      }
    } catch {
      // A history that can't be saved must not stop the session.
    }
  }
}

/** Printable width of a prompt (its escape sequences take none). */
function visibleWidth(s: string): number {
  return s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').length;
}

type Key =
  | { kind: 'text'; text: string }
  | { kind: 'key'; name: string };

/** Splits raw terminal input into runs of text and named keys (escape sequences, control keys). */
export function parseKeys(data: string): Key[] {
  const keys: Key[] = [];
  let i = 0;
  const n = data.length;
  while (i < n) {
    const c = data.charCodeAt(i);
    if (c >= 0x20 && c !== 0x7f) {
      // A run of printable chars (a paste) is one key event: inserted and rendered once.
      let j = i + 1;
      while (j < n) {
        const d = data.charCodeAt(j);
        if (d < 0x20 || d === 0x7f) break;
        j++;
      }
      keys.push({ kind: 'text', text: data.slice(i, j) });
      i = j;
      continue;
    }
    if (c === 0x1b) {
      const next = data[i + 1];
      if (next === '[' || next === 'O') {
        // CSI / SS3: parameters, then one final byte in @..~.
        let j = i + 2;
        while (j < n && /[0-9;]/.test(data[j]!)) j++;
        const seq = data.slice(i, j + 1);
        i = j + 1;
        keys.push({ kind: 'key', name: ESCAPES[seq] ?? 'unknown' });
        continue;
      }
      if (next === 'b' || next === 'f' || next === 'd' || next === '\x7f') {
        keys.push({ kind: 'key', name: next === 'b' ? 'word-left' : next === 'f' ? 'word-right' : next === 'd' ? 'kill-word-right' : 'kill-word' });
        i += 2;
        continue;
      }
      keys.push({ kind: 'key', name: 'escape' });
      i++;
      continue;
    }
    keys.push({ kind: 'key', name: CONTROL[c] ?? 'unknown' });
    i++;
  }
  return keys;
}

const ESCAPES: Record<string, string> = {
  '\x1b[A': 'up', '\x1b[B': 'down', '\x1b[C': 'right', '\x1b[D': 'left',
  '\x1bOA': 'up', '\x1bOB': 'down', '\x1bOC': 'right', '\x1bOD': 'left',
  '\x1b[H': 'home', '\x1b[F': 'end', '\x1bOH': 'home', '\x1bOF': 'end',
  '\x1b[1~': 'home', '\x1b[7~': 'home', '\x1b[4~': 'end', '\x1b[8~': 'end',
  '\x1b[3~': 'delete', '\x1b[1;5C': 'word-right', '\x1b[1;5D': 'word-left',
};

const CONTROL: Record<number, string> = {
  0x01: 'home', 0x02: 'left', 0x03: 'interrupt', 0x04: 'eof', 0x05: 'end', 0x06: 'right',
  0x08: 'backspace', 0x09: 'tab', 0x0a: 'enter', 0x0b: 'kill-right', 0x0c: 'clear',
  0x0d: 'enter', 0x0e: 'down', 0x10: 'up', 0x14: 'transpose', 0x15: 'kill-left',
  0x17: 'kill-word', 0x7f: 'backspace',
};

interface Reading {
  prompt: string;
  resolve: (line: string | null) => void;
}

export class LineEditor {
  /** ^C while no line is being read (a command is running). */
  onInterrupt: (() => void) | undefined;
  private readonly text = new LineText();
  private pos = 0;
  private reading: Reading | undefined;
  /** Keys that arrived while no line was read (typeahead). */
  private queued: Key[] = [];
  /** History browsing: index into history.lines (length = the line being edited). */
  private historyIndex = 0;
  private editedLine = '';
  /** Tab cycling: the line before completion, the candidates, which one shows (-1 = none). */
  private cycling: { line: string; cursor: number; completion: Completion; index: number } | undefined;
  private renderScheduled = false;
  private closed = false;

  constructor(private readonly o: LineEditorOptions) {
    o.input.setEncoding('utf8');
    o.input.setRawMode(true);
    o.input.on('data', this.onData);
    o.output.on('resize', this.onResize);
    o.input.resume();
  }

  /** Reads one line: its text, or null at the end of input (^D on an empty line, ^C on an empty line). */
  readLine(prompt: string): Promise<string | null> {
    return new Promise((resolve) => {
      if (this.closed) return resolve(null);
      this.reading = { prompt, resolve };
      this.text.set('');
      this.pos = 0;
      this.cycling = undefined;
      this.historyIndex = this.o.history?.lines.length ?? 0;
      this.editedLine = '';
      this.render();
      const queued = this.queued;
      this.queued = [];
      this.handleKeys(queued);
    });
  }

  /** Writes text above the line being edited (or just writes it when none is). */
  write(s: string): void {
    if (this.reading === undefined) {
      this.o.output.write(s);
      return;
    }
    this.o.output.write('\r\x1b[0K' + s);
    this.render();
  }

  clearScreen(): void {
    this.o.output.write('\x1b[H\x1b[2J');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.o.input.off('data', this.onData);
    this.o.output.off('resize', this.onResize);
    try { this.o.input.setRawMode(false); } catch { /* the terminal is gone */ }
    this.o.input.pause();
    const r = this.reading;
    this.reading = undefined;
    r?.resolve(null);
  }

  private readonly onResize = (): void => { if (this.reading !== undefined) this.render(); };

  private readonly onData = (data: string): void => {
    const keys = parseKeys(data);
    if (this.reading === undefined) {
      // A command runs: ^C goes to it now, everything else waits for the next prompt.
      for (const k of keys) {
        if (k.kind === 'key' && k.name === 'interrupt') {
          this.queued = [];
          this.onInterrupt?.();
        } else {
          this.queued.push(k);
        }
      }
      return;
    }
    this.handleKeys(keys);
  };

  private handleKeys(keys: Key[]): void {
    for (let i = 0; i < keys.length; i++) {
      if (this.reading === undefined) {
        // Enter finished the line: the rest is typeahead for the next one.
        this.queued.push(...keys.slice(i));
        return;
      }
      this.handleKey(keys[i]!);
    }
    // One render per chunk of input, however many keys it held.
    if (this.reading !== undefined) this.scheduleRender();
  }

  private scheduleRender(): void {
    if (this.renderScheduled) return;
    this.renderScheduled = true;
    queueMicrotask(() => {
      this.renderScheduled = false;
      if (this.reading !== undefined) this.render();
    });
  }

  private handleKey(k: Key): void {
    if (this.cycling !== undefined) {
      if (k.kind === 'key' && k.name === 'tab') return this.nextCompletion();
      if (k.kind === 'key' && k.name === 'escape') {
        this.text.set(this.cycling.line);
        this.pos = this.cycling.cursor;
        this.cycling = undefined;
        return;
      }
      // Any other key accepts the candidate shown, then acts as usual.
      this.cycling = undefined;
    }
    if (k.kind === 'text') return this.insert(k.text);
    switch (k.name) {
      case 'enter': return this.finish(this.text.toString());
      case 'interrupt': {
        if (this.text.length === 0) {
          this.o.output.write('\r\n');
          return this.resolve(null);
        }
        // At the end of the line, without the hint, which ^C would be written over.
        this.pos = this.text.length;
        this.render(false);
        this.o.output.write('^C\r\n');
        this.text.set('');
        this.pos = 0;
        return;
      }
      case 'eof': {
        if (this.text.length === 0) {
          this.o.output.write('\r\n');
          return this.resolve(null);
        }
        return this.deleteAt(this.pos);
      }
      case 'left': this.pos = Math.max(0, this.pos - 1); return;
      case 'right': this.pos = Math.min(this.text.length, this.pos + 1); return;
      case 'home': this.pos = 0; return;
      case 'end': this.pos = this.text.length; return;
      case 'word-left': this.pos = this.wordStart(this.pos); return;
      case 'word-right': this.pos = this.wordEnd(this.pos); return;
      case 'backspace': if (this.pos > 0) { this.pos--; this.deleteAt(this.pos); } return;
      case 'delete': return this.deleteAt(this.pos);
      case 'kill-right': this.edit((s) => s.slice(0, this.pos)); return;
      case 'kill-left': this.edit((s) => s.slice(this.pos)); this.pos = 0; return;
      case 'kill-word': {
        const start = this.wordStart(this.pos);
        const end = this.pos;
        this.edit((s) => s.slice(0, start) + s.slice(end));
        this.pos = start;
        return;
      }
      case 'kill-word-right': {
        const end = this.wordEnd(this.pos);
        this.edit((s) => s.slice(0, this.pos) + s.slice(end));
        return;
      }
      case 'transpose': {
        if (this.pos === 0 || this.text.length < 2) return;
        const p = this.pos === this.text.length ? this.pos - 1 : this.pos;
        this.edit((s) => s.slice(0, p - 1) + s[p] + s[p - 1] + s.slice(p + 1));
        this.pos = Math.min(this.text.length, p + 1);
        return;
      }
      case 'clear': this.clearScreen(); return;
      case 'up': return this.browseHistory(-1);
      case 'down': return this.browseHistory(1);
      case 'tab': return this.startCompletion();
      default: return; // escape alone, unknown sequences and control keys do nothing
    }
  }

  private edit(f: (s: string) => string): void {
    this.text.set(f(this.text.toString()));
    this.pos = Math.min(this.pos, this.text.length);
  }

  private insert(s: string): void {
    if (this.pos === this.text.length) this.text.append(s);
    else {
      const line = this.text.toString();
      this.text.set(line.slice(0, this.pos) + s + line.slice(this.pos));
    }
    this.pos += s.length;
  }

  private deleteAt(p: number): void {
    if (p >= this.text.length) return;
    this.edit((s) => s.slice(0, p) + s.slice(p + 1));
  }

  private wordStart(p: number): number {
    const s = this.text.toString();
    while (p > 0 && s[p - 1] === ' ') p--;
    while (p > 0 && s[p - 1] !== ' ') p--;
    return p;
  }

  private wordEnd(p: number): number {
    const s = this.text.toString();
    while (p < s.length && s[p] === ' ') p++;
    while (p < s.length && s[p] !== ' ') p++;
    return p;
  }

  private browseHistory(step: number): void {
    const lines = this.o.history?.lines;
    if (lines === undefined || lines.length === 0) return;
    const next = this.historyIndex + step;
    if (next < 0 || next > lines.length) return;
    if (this.historyIndex === lines.length) this.editedLine = this.text.toString();
    this.historyIndex = next;
    this.text.set(next === lines.length ? this.editedLine : lines[next]!);
    this.pos = this.text.length;
  }

  private startCompletion(): void {
    const complete = this.o.complete;
    if (complete === undefined) return;
    const line = this.text.toString();
    const completion = complete(line, this.pos);
    if (completion.candidates.length === 0) {
      this.o.output.write('\x07');
      return;
    }
    this.cycling = { line, cursor: this.pos, completion, index: -1 };
    this.nextCompletion();
  }

  /** Shows the next candidate; after the last one, the line as it was typed (as linenoise). */
  private nextCompletion(): void {
    const c = this.cycling!;
    const { candidates, start } = c.completion;
    c.index = (c.index + 1) % (candidates.length + (candidates.length > 1 ? 1 : 0));
    if (c.index === candidates.length) {
      this.text.set(c.line);
      this.pos = c.cursor;
      return;
    }
    const head = c.line.slice(0, start) + candidates[c.index]!;
    this.text.set(head + c.line.slice(c.cursor));
    this.pos = head.length;
  }

  private finish(line: string): void {
    this.pos = this.text.length;
    this.render(false);
    this.o.output.write('\r\n');
    this.resolve(line);
  }

  private resolve(line: string | null): void {
    const r = this.reading;
    this.reading = undefined;
    r?.resolve(line);
  }

  /** Redraws the prompt and the visible part of the line, with the hint when the cursor is at the end. */
  private render(withHint = true): void {
    const r = this.reading;
    if (r === undefined) return;
    const cols = Math.max(10, this.o.output.columns || 80);
    const promptWidth = visibleWidth(r.prompt);
    // Leave the last column free: writing into it would wrap on some terminals.
    const room = Math.max(1, cols - promptWidth - 1);
    const length = this.text.length;
    const start = this.pos >= room ? this.pos - room + 1 : 0;
    const visible = this.pos === length && start > 0
      ? this.text.last(length - start)
      : this.text.toString().slice(start, start + room);
    let hint = '';
    if (withHint && this.pos === length && length <= HINT_MAX_LINE && this.o.hint !== undefined) {
      const h = this.o.hint(this.text.toString());
      const left = room - visible.length;
      if (h !== '' && left > 1) hint = `\x1b[0;90;49m${h.slice(0, left)}\x1b[0m`;
    }
    const column = promptWidth + (this.pos - start);
    this.o.output.write(`\r${r.prompt}${visible}${hint}\x1b[0K\r${column > 0 ? `\x1b[${column}C` : ''}`);
  }
}
