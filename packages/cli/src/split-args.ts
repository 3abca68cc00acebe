/**
 * A command line to its words, as redis-cli splits what you type (sdssplitargs):
 *   set "a b" 'it''s'   → set, a b, ...     words are separated by spaces, tabs, CR, LF
 *   "\x00\n\t\"\\"      → double quotes take \xHH, \n \r \t \b \a and \<any> escapes
 *   'it\'s'             → single quotes take only \'
 *   a"b c"              → a quote inside a word starts quoting (the word is `ab c`)
 * A closing quote must end the word, and every quote must close: otherwise the line is
 * refused (null), and redis-cli prints "Invalid argument(s)".
 *
 * Works on bytes: the input is a latin1 string (one char per byte: UTF-8 text converted with
 * toBytes()), and so are the words, ready for the transport.
 */

/** UTF-8 text (what a terminal gives) to a latin1 byte string. */
export function toBytes(text: string): string {
  // ASCII needs no conversion (the usual case, and a 10 MB line should not be copied twice).
  return /^[\x00-\x7f]*$/.test(text) ? text : Buffer.from(text, 'utf8').toString('latin1');
}

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c;
const isHex = (c: number): boolean => (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', a: '\x07' };

export interface SplitWord {
  /** The word's bytes, quotes and escapes resolved. */
  value: string;
  /** Where the word starts and ends in the line (end: one past its last char). */
  start: number;
  end: number;
}

/** Words with their positions, or null for unbalanced quotes. Positions serve completion and hints. */
export function splitWords(line: string): SplitWord[] | null {
  const words: SplitWord[] = [];
  const n = line.length;
  let i = 0;
  for (;;) {
    while (i < n && isSpace(line.charCodeAt(i))) i++;
    if (i >= n) return words;
    const start = i;
    // Pieces are collected and joined once: a 10 MB word is not built a char at a time.
    const pieces: string[] = [];
    let runStart = i;
    let inDouble = false;
    let inSingle = false;
    for (;;) {
      if (i >= n) {
        if (inDouble || inSingle) return null; // unterminated quotes
        pieces.push(line.slice(runStart, i));
        break;
      }
      const c = line.charCodeAt(i);
      if (inDouble) {
        if (c === 0x5c /* \ */ && i + 3 < n && line.charCodeAt(i + 1) === 0x78 /* x */ && isHex(line.charCodeAt(i + 2)) && isHex(line.charCodeAt(i + 3))) {
          pieces.push(line.slice(runStart, i), String.fromCharCode(Number.parseInt(line.slice(i + 2, i + 4), 16)));
          i += 4;
          runStart = i;
        } else if (c === 0x5c && i + 1 < n) {
          const e = line[i + 1]!;
          pieces.push(line.slice(runStart, i), ESCAPES[e] ?? e);
          i += 2;
          runStart = i;
        } else if (c === 0x22 /* " */) {
          // The closing quote must be followed by a space or the end of the line.
          if (i + 1 < n && !isSpace(line.charCodeAt(i + 1))) return null;
          pieces.push(line.slice(runStart, i));
          i++;
          break;
        } else {
          i++;
        }
      } else if (inSingle) {
        if (c === 0x5c && i + 1 < n && line.charCodeAt(i + 1) === 0x27 /* ' */) {
          pieces.push(line.slice(runStart, i), "'");
          i += 2;
          runStart = i;
        } else if (c === 0x27) {
          if (i + 1 < n && !isSpace(line.charCodeAt(i + 1))) return null;
          pieces.push(line.slice(runStart, i));
          i++;
          break;
        } else {
          i++;
        }
      } else if (isSpace(c)) {
        pieces.push(line.slice(runStart, i));
        break;
      } else if (c === 0x22 || c === 0x27) {
        pieces.push(line.slice(runStart, i));
        if (c === 0x22) inDouble = true;
        else inSingle = true;
        i++;
        runStart = i;
      } else {
        i++;
      }
    }
    words.push({ value: pieces.length === 1 ? pieces[0]! : pieces.join(''), start, end: i });
  }
}

/** The words of a line (bytes in, bytes out), or null for unbalanced quotes. */
export function splitArgs(line: string): string[] | null {
  const words = splitWords(line);
  return words === null ? null : words.map((w) => w.value);
}
