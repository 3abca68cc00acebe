import net from 'node:net';
import {
  ReplyDouble, ReplyError, ReplyMap, ReplyParser, ReplyPush, ReplySet, ReplyVerbatim, SimpleString, type Reply,
} from '@nodis/protocol';

/**
 * A minimal RESP client for tests: sends argv as multibulk (latin1 bytes), resolves replies
 * in order as protocol values (bulk strings as latin1 strings), so nodis and redis-server
 * replies compare byte for byte. `raw()` sends bytes and collects everything until close.
 */
export class RespTestClient {
  private readonly parser = new ReplyParser();
  private readonly waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void }[] = [];
  private closedError: Error | undefined;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk) => {
      this.parser.feed(chunk, (reply) => this.waiting.shift()?.resolve(reply));
    });
    const fail = (e: Error) => {
      this.closedError = e;
      for (const w of this.waiting.splice(0)) w.reject(e);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RespTestClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host, noDelay: true }, () => { s.off('error', reject); resolve(new RespTestClient(s)); });
      s.once('error', reject);
    });
  }

  static connectUnix(path: string): Promise<RespTestClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(path, () => { s.off('error', reject); resolve(new RespTestClient(s)); });
      s.once('error', reject);
    });
  }

  static encode(argv: readonly string[]): Buffer {
    let out = `*${argv.length}\r\n`;
    for (const a of argv) out += `$${a.length}\r\n${a}\r\n`;
    return Buffer.from(out, 'latin1');
  }

  /** Sends one command and resolves its reply. */
  call(...argv: string[]): Promise<Reply> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.socket.write(RespTestClient.encode(argv));
    });
  }

  /** Sends many commands in one write; resolves all replies. */
  pipeline(commands: readonly string[][]): Promise<Reply[]> {
    const promises = commands.map(() => new Promise<Reply>((resolve, reject) => this.waiting.push({ resolve, reject })));
    this.socket.write(Buffer.concat(commands.map((c) => RespTestClient.encode(c))));
    return Promise.all(promises);
  }

  close(): void { this.socket.destroy(); }
}

/** Opens a connection, writes raw bytes, and resolves what came back until the server closed or `ms` passed. */
export function rawExchange(port: number, bytes: Buffer | string, ms = 500): Promise<{ data: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let data = '';
    let closed = false;
    const timer = setTimeout(() => { s.destroy(); resolve({ data, closed }); }, ms);
    s.on('data', (c) => { data += c.toString('latin1'); });
    s.on('error', () => {});
    s.on('close', () => { closed = true; clearTimeout(timer); resolve({ data, closed }); });
    s.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  });
}

/**
 * A reply in a comparable form that keeps kinds apart (+OK vs "OK", :1 vs "1", a RESP3 double
 * vs a bulk), for differential tests comparing nodis's replies with redis-server's.
 */
export function canon(r: Reply): unknown {
  if (r === null || typeof r === 'boolean') return r;
  if (r instanceof SimpleString) return { simple: r.value };
  if (r instanceof ReplyError) return { error: r.message };
  if (typeof r === 'number' || typeof r === 'bigint') return { int: String(r) };
  if (typeof r === 'string') return r;
  if (r instanceof Uint8Array) return Buffer.from(r).toString('latin1');
  if (Array.isArray(r)) return r.map(canon);
  if (r instanceof ReplyMap) return { map: r.entries.map(([k, v]) => [canon(k), canon(v)]) };
  if (r instanceof ReplySet) return { set: r.items.map(canon) };
  if (r instanceof ReplyPush) return { push: r.items.map(canon) };
  if (r instanceof ReplyDouble) return { double: r.value };
  if (r instanceof ReplyVerbatim) return { verbatim: [r.format, r.text] };
  return { unknown: String(r) };
}
