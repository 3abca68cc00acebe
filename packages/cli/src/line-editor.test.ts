import { describe, expect, it } from 'vitest';
import { parseKeys } from './line-editor.js';

describe('parseKeys', () => {
  it('keeps runs of text together (one insert and one render per paste)', () => {
    expect(parseKeys('set foo bar')).toEqual([{ kind: 'text', text: 'set foo bar' }]);
    expect(parseKeys('a\tb\r')).toEqual([
      { kind: 'text', text: 'a' }, { kind: 'key', name: 'tab' }, { kind: 'text', text: 'b' }, { kind: 'key', name: 'enter' },
    ]);
  });

  it('names arrows, Home/End, Delete and control keys in both xterm encodings', () => {
    const names = (s: string): string[] => parseKeys(s).map((k) => (k.kind === 'key' ? k.name : `text:${k.text}`));
    expect(names('\x1b[A\x1b[B\x1b[C\x1b[D')).toEqual(['up', 'down', 'right', 'left']);
    expect(names('\x1bOA\x1bOH\x1b[1~\x1b[4~\x1b[3~')).toEqual(['up', 'home', 'home', 'end', 'delete']);
    expect(names('\x01\x05\x03\x04\x7f\x08\x0b\x15\x17\x0c')).toEqual([
      'home', 'end', 'interrupt', 'eof', 'backspace', 'backspace', 'kill-right', 'kill-left', 'kill-word', 'clear',
    ]);
    expect(names('\x1b')).toEqual(['escape']);
    expect(names('\x1b[1;5C\x1b[1;5D')).toEqual(['word-right', 'word-left']);
    // An unknown sequence is consumed whole, not typed.
    expect(names('\x1b[15~x')).toEqual(['unknown', 'text:x']);
  });
});
