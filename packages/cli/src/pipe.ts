import net from 'node:net';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { CliOptions } from './options.js';

/**
 * --pipe: redis-cli's mass insertion. Raw RESP from stdin goes to the server as is, over a
 * plain socket; replies are counted while the input is still flowing, with a scanner that
 * finds where each top-level reply ends without building it. At the end of the input an
 * ECHO of a random 20-byte marker follows; when the marker comes back, every reply has been
 * read. Output as redis-cli 7.0:
 *   stdout  All data transferred. Waiting for the last reply...
 *           Last reply received from server.
 *           errors: N, replies: M
 *   stderr  the message of every error reply, one a line
 * exit code 1 when any reply was an error (or no reply came for --pipe-timeout seconds).
 *
 * Unlike redis-cli, which exits 1 silently when the server goes away mid-stream, a lost
 * connection is said on stderr (exit code 1 too).
 */

export async function runPipe(o: CliOptions): Promise<number> {
  const target = pipeTarget(o);
  if (typeof target === 'string') {
    process.stderr.write(`${target}\n`);
    return 1;
  }
  const socket = await new Promise<net.Socket | undefined>((resolve) => {
    const s = target.path !== undefined ? net.connect(target.path) : net.connect(target.port, target.host);
    s.once('connect', () => { s.removeAllListeners('error'); resolve(s); });
    s.once('error', () => resolve(undefined));
  });
  if (socket === undefined) {
    // The session's connection words the failure (with its hint where nodis's default port is
    // refused). It is loaded only now: the client transport it brings costs ≈ 50 ms of start-up.
    const { CliConnection, ConnectError, reasonOf } = await import('./connection.js');
    const message = await new CliConnection(o, () => {}).connect().then(
      () => `Could not connect to Redis at ${target.display}: the connection was refused, then accepted`,
      (e: unknown) => (e instanceof ConnectError ? e.message : `Could not connect to Redis at ${target.display}: ${reasonOf(e)}`),
    );
    process.stderr.write(`${message}\n`);
    return 1;
  }
  return new MassInsertion(o, socket, setupCommands(o)).run();
}

interface PipeTarget { path?: string; host: string; port: number; display: string }

/** Where the plain socket goes, or why --pipe can't go there. */
function pipeTarget(o: CliOptions): PipeTarget | string {
  if (o.uri !== undefined) {
    const u = new URL(o.uri);
    if (u.protocol === 'unix:') {
      return `--pipe sends raw RESP and needs a RESP connection; ${o.uri} speaks nodis's native protocol.\n`
        + 'Use the RESP socket instead: -s /path/to/nodis.sock, -u redis+unix:///path/to/nodis.sock, or -h/-p.';
    }
    const path = decodeURIComponent(u.pathname);
    return { path, host: '', port: 0, display: path };
  }
  if (o.socket !== undefined) return { path: o.socket, host: '', port: 0, display: o.socket };
  return { host: o.host, port: o.port, display: `${o.host}:${o.port}` };
}

/** AUTH, HELLO 3 and SELECT, as the session would send them, for the plain socket. */
function setupCommands(o: CliOptions): string[][] {
  let { user, password } = o;
  if (o.uri !== undefined) {
    const u = new URL(o.uri);
    user = u.searchParams.get('username') ?? (u.username ? decodeURIComponent(u.username) : user);
    password = u.searchParams.get('password') ?? (u.password ? decodeURIComponent(u.password) : password);
  }
  const steps: string[][] = [];
  if (password !== undefined) steps.push(user !== undefined ? ['AUTH', user, password] : ['AUTH', password]);
  if (o.resp === 3) steps.push(['HELLO', '3']);
  if (o.db !== 0) steps.push(['SELECT', String(o.db)]);
  return steps;
}

function encodeCommand(argv: readonly (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${argv.length}\r\n`)];
  for (const a of argv) {
    const b = typeof a === 'string' ? Buffer.from(a, 'utf8') : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

class MassInsertion {
  private readonly marker = randomBytes(20);
  private readonly scanner: ReplyScanner;
  private errors = 0;
  private lastReplyAt = Date.now();
  private inputDone = false;
  private finished = false;
  private timer: NodeJS.Timeout | undefined;
  private resolve: (code: number) => void = () => {};
  private readonly input: Readable = process.stdin;

  constructor(private readonly o: CliOptions, private readonly socket: net.Socket, private readonly setup: string[][]) {
    this.scanner = new ReplyScanner(setup.length, this.marker, (message, setupStep) => {
      if (setupStep !== undefined) {
        // As the session reports its set-up: "AUTH failed: …", and the pipe goes on.
        const argv = setup[setupStep]!;
        const name = argv[0] === 'AUTH' ? 'AUTH' : argv.join(' ');
        process.stderr.write(Buffer.concat([Buffer.from(`${name} failed: `), message, NEWLINE]));
        return;
      }
      this.errors++;
      process.stderr.write(Buffer.concat([message, NEWLINE]));
    });
  }

  run(): Promise<number> {
    const { socket, input } = this;
    socket.setNoDelay(true);
    return new Promise<number>((resolve) => {
      this.resolve = resolve;
      socket.on('data', (chunk: Buffer) => {
        const before = this.scanner.replies;
        try {
          this.scanner.feed(chunk);
        } catch (e) {
          this.fail('Error reading from the server', e instanceof Error ? e.message : String(e));
          return;
        }
        if (this.scanner.replies !== before || this.scanner.markerSeen) this.lastReplyAt = Date.now();
        if (this.scanner.markerSeen) this.succeed();
      });
      socket.on('error', (e) => this.fail(`Error ${this.inputDone ? 'reading from' : 'writing to'} the server`, e));
      socket.on('close', () => this.fail('Error reading from the server', `Server closed the connection (after ${this.scanner.replies} replies)`));

      if (this.setup.length > 0) socket.write(Buffer.concat(this.setup.map(encodeCommand)));
      // Backpressure: stdin waits while the socket's buffer is over its mark, so a file of
      // any size streams through a bounded amount of memory.
      input.on('data', (chunk: Buffer | string) => {
        if (!socket.write(chunk)) {
          input.pause();
          socket.once('drain', () => { if (!this.finished) input.resume(); });
        }
      });
      input.on('end', () => this.allSent());
      input.on('error', (e) => this.fail('Error reading from stdin', e));
    });
  }

  /** The input is all written: the marker follows (after a CRLF, which Redis skips, so a truncated last command can't swallow it). */
  private allSent(): void {
    if (this.finished) return;
    this.inputDone = true;
    this.socket.write(Buffer.concat([Buffer.from('\r\n'), encodeCommand(['ECHO', this.marker])]));
    process.stdout.write('All data transferred. Waiting for the last reply...\n');
    const timeoutMs = this.o.pipeTimeout * 1000;
    if (timeoutMs > 0) {
      const check = (): void => {
        if (this.finished) return;
        const idle = Date.now() - this.lastReplyAt;
        if (idle > timeoutMs) {
          process.stderr.write(`No replies for ${this.o.pipeTimeout} seconds: exiting.\n`);
          this.errors++;
          this.finish();
          this.resolve(this.summary());
          return;
        }
        this.timer = setTimeout(check, Math.max(10, timeoutMs - idle + 1));
      };
      check();
    }
  }

  private succeed(): void {
    if (this.finished) return;
    process.stdout.write('Last reply received from server.\n');
    this.finish();
    this.resolve(this.summary());
  }

  private summary(): number {
    process.stdout.write(`errors: ${this.errors}, replies: ${this.scanner.replies}\n`);
    return this.errors > 0 ? 1 : 0;
  }

  /** Ends with `what: why` on stderr; an errno error is worded as strerror does (by connection.ts, loaded only now). */
  private fail(what: string, why: string | Error): void {
    if (this.finished) return;
    this.finish();
    const reason = typeof why === 'string' ? Promise.resolve(why) : import('./connection.js').then((m) => m.reasonOf(why));
    void reason.then((r) => {
      process.stderr.write(`${what}: ${r}\n`);
      this.resolve(1);
    });
  }

  private finish(): void {
    this.finished = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.socket.removeAllListeners('close');
    this.socket.on('error', () => {});
    this.socket.destroy();
    // Stop reading stdin (a terminal or a pipe still open would keep the process alive).
    this.input.removeAllListeners('data');
    this.input.on('error', () => {});
    this.input.destroy();
  }
}

const NEWLINE = Buffer.from('\n');
const CR = 13;
const LF = 10;

/**
 * Finds where each top-level RESP2/RESP3 reply ends in a byte stream cut anywhere, counting
 * replies without building them: lines are scanned for their LF, bulk payloads skipped by
 * length, aggregates tracked as a stack of remaining element counts. It keeps only what it
 * must: the message of a top-level error, and a top-level 20-byte bulk (the marker?).
 */
export class ReplyScanner {
  /** Top-level replies counted (the first `ignore` and the marker's are not). */
  replies = 0;
  /** The marker's reply came back. */
  markerSeen = false;
  /** Elements still due in each open aggregate, innermost last. */
  private readonly remaining: number[] = [];
  /** Whether each open aggregate is an attribute (|), which precedes a reply and is no element. */
  private readonly isAttribute: boolean[] = [];
  /** A line cut by the end of a chunk. */
  private partialLine: Buffer | undefined;
  /** Bytes of a bulk payload (with its CRLF) still to skip. */
  private skip = 0;
  /** A top-level bulk being kept: its bytes so far, its length and type. */
  private kept: Buffer[] | undefined;
  private keptLength = 0;
  private keptType = 0;

  private setupSeen = 0;

  constructor(private ignore: number, private readonly marker: Buffer, private readonly onError: (message: Buffer, setupStep?: number) => void) {}

  feed(buf: Buffer): void {
    let pos = 0;
    const end = buf.length;
    while (pos < end && !this.markerSeen) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, end - pos);
        if (this.kept !== undefined) this.kept.push(buf.subarray(pos, pos + n));
        pos += n;
        this.skip -= n;
        if (this.skip === 0) this.bulkDone();
        continue;
      }
      if (this.partialLine !== undefined) {
        const nl = buf.indexOf(LF, pos);
        if (nl === -1) {
          this.partialLine = Buffer.concat([this.partialLine, buf.subarray(pos)]);
          if (this.partialLine.length > 1 << 20) throw new Error('Protocol error: a reply line longer than 1 MB');
          return;
        }
        const line = Buffer.concat([this.partialLine, buf.subarray(pos, nl + 1)]);
        this.partialLine = undefined;
        pos = nl + 1;
        this.line(line, 0, line.length - 1);
        continue;
      }
      // Reply lines are short: a plain loop beats a native indexOf call per line.
      let nl = pos;
      while (nl < end && buf[nl] !== LF) nl++;
      if (nl === end) {
        this.partialLine = Buffer.from(buf.subarray(pos));
        return;
      }
      const start = pos;
      pos = nl + 1;
      this.line(buf, start, nl);
    }
  }

  /** One line, from its type byte at `start` to its LF at `lf`. */
  private line(b: Buffer, start: number, lf: number): void {
    const stop = lf > start && b[lf - 1] === CR ? lf - 1 : lf;
    const type = b[start];
    switch (type) {
      case 43: case 58: case 44: case 35: case 95: case 40: // + : , # _ (
        this.done();
        return;
      case 45: // -
        this.done(this.remaining.length === 0 ? Buffer.from(b.subarray(start + 1, stop)) : undefined);
        return;
      case 36: case 61: case 33: { // $ = !
        const n = intOf(b, start + 1, stop);
        if (n < 0) {
          this.done();
          return;
        }
        // Keep a top-level blob error (to print it) or a 20-byte bulk (the marker?).
        if (this.remaining.length === 0 && (type === 33 || (n === 20 && type === 36))) {
          this.kept = [];
          this.keptLength = n;
          this.keptType = type;
        }
        this.skip = n + 2;
        return;
      }
      case 42: case 126: case 62: case 37: case 124: { // * ~ > % |
        let n = intOf(b, start + 1, stop);
        if (type === 37 || type === 124) n *= 2;
        if (n <= 0) {
          if (type !== 124) this.done();
          return;
        }
        this.remaining.push(n);
        this.isAttribute.push(type === 124);
        return;
      }
      default:
        throw new Error(`Protocol error, got ${JSON.stringify(String.fromCharCode(type ?? 0))} as reply type byte`);
    }
  }

  private bulkDone(): void {
    const kept = this.kept;
    if (kept === undefined) {
      this.done();
      return;
    }
    this.kept = undefined;
    const payload = Buffer.concat(kept).subarray(0, this.keptLength);
    if (this.keptType === 33) {
      this.done(payload);
    } else if (this.ignore === 0 && payload.equals(this.marker)) {
      this.markerSeen = true;
    } else {
      this.done();
    }
  }

  /** An element ended (with its message when it is a top-level error): close what it completes. */
  private done(error?: Buffer): void {
    for (;;) {
      const depth = this.remaining.length;
      if (depth === 0) {
        if (this.ignore > 0) {
          // A set-up reply (AUTH, HELLO, SELECT): not the input's, not counted.
          this.ignore--;
          if (error !== undefined) this.onError(error, this.setupSeen);
          this.setupSeen++;
          return;
        }
        this.replies++;
        if (error !== undefined) this.onError(error);
        return;
      }
      const left = this.remaining[depth - 1]! - 1;
      if (left > 0) {
        this.remaining[depth - 1] = left;
        return;
      }
      this.remaining.pop();
      // An attribute is metadata for the reply that follows: completing it completes nothing.
      if (this.isAttribute.pop()) return;
    }
  }
}

/** The signed decimal in b[start, stop) (a RESP length). */
function intOf(b: Buffer, start: number, stop: number): number {
  let i = start;
  let negative = false;
  if (b[i] === 45) {
    negative = true;
    i++;
  }
  if (i >= stop) throw new Error('Protocol error: bad length in a reply');
  let n = 0;
  for (; i < stop; i++) {
    const d = b[i]! - 48;
    if (d < 0 || d > 9) throw new Error('Protocol error: bad length in a reply');
    n = n * 10 + d;
  }
  return negative ? -n : n;
}
