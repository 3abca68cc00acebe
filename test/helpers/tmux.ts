import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';

/**
 * A pseudo-terminal for tests of interactive programs: tmux on a server of its own (-L), so
 * tests never touch a person's sessions. send() types keys (tmux key names: Enter, Tab, Up,
 * C-c …; literal text with { literal: true }), screen() reads what the terminal shows, and
 * waitFor() polls the screen until a condition holds (bounded).
 */

const run = promisify(execFile);

export const tmuxAvailable = spawnSync('sh', ['-c', 'command -v tmux'], { encoding: 'utf8' }).status === 0;
if (!tmuxAvailable) {
  process.stderr.write('NOTE: tmux is not installed: the REPL tests in a pseudo-terminal are SKIPPED (apt-get install tmux)\n');
}

let sessions = 0;

export class TmuxSession {
  private constructor(readonly socket: string, readonly name: string) {}

  /** Starts `command` (a shell command line) in a new detached terminal of the given size. */
  static async start(command: string, options: { width?: number; height?: number; env?: Record<string, string> } = {}): Promise<TmuxSession> {
    const socket = `nodis-test-${process.pid}`;
    const name = `s${++sessions}`;
    const env = Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${shellQuote(v)}`).join(' ');
    // `; sleep` keeps the pane open after the program exits, so its last words stay readable.
    const line = `${env ? `env ${env} ` : ''}${command}; echo "[exited $?]"; sleep 60`;
    await run('tmux', ['-L', socket, '-f', '/dev/null', 'new-session', '-d', '-s', name, '-x', String(options.width ?? 160), '-y', String(options.height ?? 50), line]);
    return new TmuxSession(socket, name);
  }

  /** Types keys: tmux key names (`Enter`, `Tab`, `Up`, `C-c`), or literal text. */
  async send(...keys: string[]): Promise<void> {
    await run('tmux', ['-L', this.socket, 'send-keys', '-t', this.name, ...keys]);
  }

  async type(text: string): Promise<void> {
    await run('tmux', ['-L', this.socket, 'send-keys', '-t', this.name, '-l', text]);
  }

  /** Pastes a file's contents as if typed (tmux's paste buffer: big inputs). */
  async paste(file: string): Promise<void> {
    await run('tmux', ['-L', this.socket, 'load-buffer', '-b', this.name, file]);
    await run('tmux', ['-L', this.socket, 'paste-buffer', '-d', '-b', this.name, '-t', this.name]);
  }

  /** The visible screen, lines joined by \n, trailing blank lines dropped. */
  async screen(escapes = false): Promise<string> {
    const { stdout } = await run('tmux', ['-L', this.socket, 'capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', this.name], { maxBuffer: 16 * 1024 * 1024 });
    return stdout.replace(/\n+$/, '');
  }

  /** The screen's last non-empty line (where the prompt usually is). */
  async lastLine(escapes = false): Promise<string> {
    const lines = (await this.screen(escapes)).split('\n');
    return lines[lines.length - 1] ?? '';
  }

  /**
   * The last line as typed: the dimmed inline hint (colour 90, as redis-cli and nodis-cli draw
   * it) and every other escape removed, trailing spaces dropped.
   */
  async typedLine(): Promise<string> {
    const line = await this.lastLine(true);
    const hint = line.search(/\x1b\[(?:[0-9;]*;)?90(?:;[0-9;]*)?m/);
    return (hint < 0 ? line : line.slice(0, hint)).replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').trimEnd();
  }

  /** Polls typedLine() until it equals `text` (or passes the test). */
  async waitForTyped(text: string | ((line: string) => boolean), timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = await this.typedLine();
      if (typeof text === 'string' ? line === text : text(line)) return line;
      if (Date.now() > deadline) throw new Error(`the input line never became what was expected; it is:\n${line}`);
      await new Promise((r) => setTimeout(r, 40));
    }
  }

  /** Polls the screen until `test` holds; throws with the screen after `timeoutMs`. */
  async waitFor(test: (screen: string) => boolean, timeoutMs = 10_000, escapes = false): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      last = await this.screen(escapes);
      if (test(last)) return last;
      if (Date.now() > deadline) throw new Error(`the terminal never showed what was expected; it shows:\n${last}`);
      await new Promise((r) => setTimeout(r, 40));
    }
  }

  async waitForText(text: string | RegExp, timeoutMs?: number): Promise<string> {
    return this.waitFor((s) => (typeof text === 'string' ? s.includes(text) : text.test(s)), timeoutMs);
  }

  async kill(): Promise<void> {
    await run('tmux', ['-L', this.socket, 'kill-session', '-t', this.name]).catch(() => {});
  }

  /** Ends the tmux server of this test file (every session). */
  static async killServer(): Promise<void> {
    await run('tmux', ['-L', `nodis-test-${process.pid}`, 'kill-server']).catch(() => {});
  }
}

export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
