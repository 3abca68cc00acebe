import { ReplyParser, RequestWriter } from '@nodis/protocol';
import { StreamTransport, type StreamCodec, type StreamConnectOptions, type StreamTarget } from './stream.js';

/**
 * The resp transport: RESP over TCP or a Unix socket, to nodis's RESP port or to a real Redis
 * or Valkey, so code moves between them unchanged.
 *
 *   redis://[[user]:password@]host[:port][/db]        (port 6379 unless given)
 *   redis+unix:///path/to.sock[?db=N][&username=U][&password=P]
 *     (as redis-py's unix:// URLs: a URL cannot carry credentials without a host)
 *
 * Pipelining, reconnection, timeouts and aborts: stream.ts.
 */

export type RespConnectOptions = StreamConnectOptions;

/** Parses a URL's credentials and database: redis:// (db in the path) and *+unix:// (db in the query). */
export function parseStreamUrl(url: string, schemes: { tcp?: string; unix: string }): StreamTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TypeError(`nodis: '${url}' is not a URL (redis://host:port/db, redis+unix:///path or unix:///path)`);
  }
  const username = u.username ? decodeURIComponent(u.username) : undefined;
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  const auth = { ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}) };
  const dbOf = (s: string | null): number => {
    if (s === null || s === '') return 0;
    if (!/^\d+$/.test(s)) throw new TypeError(`nodis: database '${s}' in '${url}' is not a number`);
    return Number(s);
  };
  if (schemes.tcp !== undefined && u.protocol === schemes.tcp) {
    return {
      host: u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1', port: u.port ? Number(u.port) : 6379,
      db: dbOf(u.pathname.replace(/^\//, '')), display: `${u.hostname}:${u.port || 6379}`, ...auth,
    };
  }
  if (u.protocol === schemes.unix) {
    if (!u.pathname) throw new TypeError(`nodis: '${url}' names no socket path`);
    const path = decodeURIComponent(u.pathname);
    const user = u.searchParams.get('username') ?? auth.username;
    const pass = u.searchParams.get('password') ?? auth.password;
    return {
      path, host: '', port: 0, db: dbOf(u.searchParams.get('db')), display: path,
      ...(user != null ? { username: user } : {}), ...(pass != null ? { password: pass } : {}),
    };
  }
  const names = [schemes.tcp, schemes.unix].filter(Boolean).map((s) => `${s}//`).join(' or ');
  throw new TypeError(`nodis: '${u.protocol}' URLs are not this transport's (${names})`);
}

export function parseRespUrl(url: string): StreamTarget {
  return parseStreamUrl(url, { tcp: 'redis:', unix: 'redis+unix:' });
}

const respCodec: StreamCodec = {
  kind: 'resp',
  encoder: () => new RequestWriter(),
  parser: () => new ReplyParser({ copyInput: true }),
};

export function openResp(url: string, options: RespConnectOptions = {}): Promise<StreamTransport> {
  return new StreamTransport(respCodec, parseRespUrl(url), options).open();
}
