import { describe, expect, it } from 'vitest';
import { createTestEngine, type EngineHarness } from './testing.js';
import { CapturingWriter, ReplyError, ReplyPush, ReplyVerbatim, SimpleString, type Reply } from './reply.js';
import type { Client } from './client.js';

/**
 * Pub/Sub in the engine (pubsub.ts, commands/pubsub.ts): replies and counts, glob patterns,
 * delivery and its order, the RESP2 subscriber context, PUBSUB introspection, and that a
 * client's subscriptions go with it (RESET, disconnect). Every expected reply below was checked
 * against redis-server 7.0.15 (test/compat/pubsub-tx.test.ts compares them over the wire).
 */

interface Peer {
  client: Client;
  writer: CapturingWriter;
  /** Runs one command; every reply written for this client since the last call (its own and messages). */
  send(...argv: string[]): Reply[];
  /** Messages written for this client by other clients' commands, since the last call. */
  inbox(): Reply[];
  deferred: number;
}

function peer(t: EngineHarness, protocol: 2 | 3 = 2): Peer {
  const writer = new CapturingWriter(protocol);
  const client = t.engine.createClient({ reply: writer, kind: 'tcp', addr: '127.0.0.1:1', laddr: '127.0.0.1:2' });
  const p: Peer = {
    client, writer, deferred: 0,
    send(...argv) { t.engine.execute(client, argv); return writer.take(); },
    inbox() { return writer.take(); },
  };
  client.onDeferredReply = () => { p.deferred++; };
  return p;
}

/** RESP2 arrays and RESP3 pushes as plain arrays, so one expectation serves both. */
function items(r: Reply): Reply[] {
  if (r instanceof ReplyPush) return r.items;
  if (Array.isArray(r)) return r;
  throw new Error(`not an array or push: ${String(r)}`);
}
const flat = (rs: Reply[]) => rs.map(items);

describe.each([2, 3] as const)('RESP%i subscribe / unsubscribe replies', (protocol) => {
  const kindOf = (r: Reply) => (protocol === 3 ? r instanceof ReplyPush : Array.isArray(r));

  it('SUBSCRIBE confirms each channel in order with the running count; a repeat keeps the count', () => {
    const t = createTestEngine();
    const s = peer(t, protocol);
    const replies = s.send('SUBSCRIBE', 'a', 'a', 'b');
    expect(replies.every(kindOf)).toBe(true);
    expect(flat(replies)).toEqual([['subscribe', 'a', 1], ['subscribe', 'a', 1], ['subscribe', 'b', 2]]);
  });

  it('patterns count with channels; shard channels count alone', () => {
    const t = createTestEngine();
    const s = peer(t, protocol);
    s.send('SUBSCRIBE', 'a');
    expect(flat(s.send('PSUBSCRIBE', 'p*', 'q?'))).toEqual([['psubscribe', 'p*', 2], ['psubscribe', 'q?', 3]]);
    expect(flat(s.send('SSUBSCRIBE', 's1', 's2', 's1'))).toEqual([['ssubscribe', 's1', 1], ['ssubscribe', 's2', 2], ['ssubscribe', 's1', 2]]);
    expect(flat(s.send('PUNSUBSCRIBE', 'q?', 'nope'))).toEqual([['punsubscribe', 'q?', 2], ['punsubscribe', 'nope', 2]]);
    expect(flat(s.send('SUNSUBSCRIBE', 's1'))).toEqual([['sunsubscribe', 's1', 1]]);
    expect(flat(s.send('UNSUBSCRIBE', 'a'))).toEqual([['unsubscribe', 'a', 1]]);
    expect(flat(s.send('PUNSUBSCRIBE'))).toEqual([['punsubscribe', 'p*', 0]]);
    expect(flat(s.send('SUNSUBSCRIBE'))).toEqual([['sunsubscribe', 's2', 0]]);
  });

  it('UNSUBSCRIBE without arguments drops every channel; with none left it answers a nil name', () => {
    const t = createTestEngine();
    const s = peer(t, protocol);
    s.send('SUBSCRIBE', 'x', 'y', 'z');
    const replies = flat(s.send('UNSUBSCRIBE'));
    expect(replies.map((r) => r[1]).sort()).toEqual(['x', 'y', 'z']);
    expect(replies.map((r) => r[2])).toEqual([2, 1, 0]);
    expect(flat(s.send('UNSUBSCRIBE'))).toEqual([['unsubscribe', null, 0]]);
    expect(flat(s.send('PUNSUBSCRIBE'))).toEqual([['punsubscribe', null, 0]]);
    expect(flat(s.send('SUNSUBSCRIBE'))).toEqual([['sunsubscribe', null, 0]]);
    // Not subscribed to it: still confirmed, count unchanged.
    expect(flat(s.send('UNSUBSCRIBE', 'never'))).toEqual([['unsubscribe', 'never', 0]]);
    expect(t.engine.pubsub.channels.size).toBe(0);
  });

  it('SUBSCRIBE without a channel is an arity error', () => {
    const t = createTestEngine();
    const s = peer(t, protocol);
    expect(s.send('SUBSCRIBE')).toEqual([new ReplyError("ERR wrong number of arguments for 'subscribe' command")]);
    expect(s.send('PSUBSCRIBE')).toEqual([new ReplyError("ERR wrong number of arguments for 'psubscribe' command")]);
    expect(s.send('SSUBSCRIBE')).toEqual([new ReplyError("ERR wrong number of arguments for 'ssubscribe' command")]);
    expect(s.send('PUBLISH', 'a')).toEqual([new ReplyError("ERR wrong number of arguments for 'publish' command")]);
  });
});

describe('PUBLISH delivery', () => {
  it('counts every receiving subscription: a client on a channel and two matching patterns counts three', () => {
    const t = createTestEngine();
    const s = peer(t, 3);
    const other = peer(t, 2);
    const pub = peer(t);
    s.send('SUBSCRIBE', 'news.tech');
    s.send('PSUBSCRIBE', 'news.*', '*.tech', 'sport.*');
    other.send('PSUBSCRIBE', 'news.*');
    expect(pub.send('PUBLISH', 'news.tech', 'hello')).toEqual([4]);
    expect(flat(s.inbox())).toEqual([
      ['message', 'news.tech', 'hello'],
      ['pmessage', 'news.*', 'news.tech', 'hello'],
      ['pmessage', '*.tech', 'news.tech', 'hello'],
    ]);
    expect(s.inbox()).toEqual([]);
    expect(other.inbox()).toEqual([['pmessage', 'news.*', 'news.tech', 'hello']]);
    expect(pub.send('PUBLISH', 'nobody', 'x')).toEqual([0]);
    expect(pub.send('PUBLISH', 'sport.tech', 'y')).toEqual([2]);
    // The host is told to flush each receiver (onDeferredReply), once per message.
    expect(s.deferred).toBe(5);
    expect(other.deferred).toBe(1);
  });

  it('RESP2 messages are arrays, RESP3 messages are pushes', () => {
    const t = createTestEngine();
    const r2 = peer(t, 2);
    const r3 = peer(t, 3);
    r2.send('SUBSCRIBE', 'c');
    r3.send('SUBSCRIBE', 'c');
    peer(t).send('PUBLISH', 'c', 'm');
    expect(r2.inbox()).toEqual([['message', 'c', 'm']]);
    expect(r3.inbox()).toEqual([new ReplyPush(['message', 'c', 'm'])]);
  });

  it('keeps every publisher\'s order, interleaved as published, and is binary safe', () => {
    const t = createTestEngine();
    const subs = [peer(t, 2), peer(t, 3), peer(t, 2)];
    for (const s of subs) { s.send('SUBSCRIBE', 'bin\x00\r\n'); s.send('PSUBSCRIBE', 'bin*'); }
    const pubs = [peer(t), peer(t), peer(t)];
    const sent: string[] = [];
    for (let i = 0; i < 300; i++) {
      const msg = `p${i % 3}:${i}\x00\xff\r\n`;
      sent.push(msg);
      expect(pubs[i % 3]!.send('PUBLISH', 'bin\x00\r\n', msg)).toEqual([6]);
    }
    for (const s of subs) {
      const got = flat(s.inbox());
      expect(got.filter((m) => m[0] === 'message').map((m) => m[2])).toEqual(sent);
      expect(got.filter((m) => m[0] === 'pmessage').map((m) => m[3])).toEqual(sent);
      // Each message: the channel delivery, then the pattern one.
      expect(got.map((m) => m[0])).toEqual(sent.flatMap(() => ['message', 'pmessage']));
    }
  });

  it('matches patterns as Redis\'s glob', () => {
    // [pattern, channel, matches] — each checked with PSUBSCRIBE/PUBLISH on redis-server 7.0.15.
    const cases: [string, string, boolean][] = [
      ['h?llo', 'hello', true], ['h?llo', 'heello', false], ['h*llo', 'hllo', true], ['h*llo', 'heeeello', true],
      ['h[ae]llo', 'hallo', true], ['h[ae]llo', 'hillo', false], ['h[^e]llo', 'hallo', true], ['h[^e]llo', 'hello', false],
      ['h[a-b]llo', 'hbllo', true], ['h[a-b]llo', 'hcllo', false], ['h\\*llo', 'h*llo', true], ['h\\*llo', 'hxllo', false],
            // Redis 7.0's quirks: `*` does not match the empty channel; `!` does not negate a class.
      ['[a-', 'a', true], ['*', '', false], ['', '', true], ['a*', 'A', false], ['news.[!x]', 'news.y', false],
      ['*a*a*a*a*b', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', false],
    ];
    const t = createTestEngine();
    const pub = peer(t);
    for (const [pattern, channel, matches] of cases) {
      const s = peer(t);
      s.send('PSUBSCRIBE', pattern);
      expect(pub.send('PUBLISH', channel, 'x'), `${pattern} ~ ${JSON.stringify(channel)}`).toEqual([matches ? 1 : 0]);
      expect(s.inbox()).toEqual(matches ? [['pmessage', pattern, channel, 'x']] : []);
      s.send('PUNSUBSCRIBE');
    }
  });

  it('SPUBLISH reaches shard subscribers only; PUBLISH never reaches them', () => {
    const t = createTestEngine();
    const shard = peer(t);
    const plain = peer(t);
    shard.send('SSUBSCRIBE', 'orders');
    plain.send('SUBSCRIBE', 'orders');
    plain.send('PSUBSCRIBE', '*');
    const pub = peer(t);
    expect(pub.send('SPUBLISH', 'orders', 'o1')).toEqual([1]);
    expect(shard.inbox()).toEqual([['smessage', 'orders', 'o1']]);
    expect(plain.inbox()).toEqual([]);
    expect(pub.send('PUBLISH', 'orders', 'o2')).toEqual([2]);
    expect(shard.inbox()).toEqual([]);
    expect(pub.send('SPUBLISH', 'none', 'x')).toEqual([0]);
  });

  it('a message for the client whose command is running comes after that command\'s reply', () => {
    const t = createTestEngine();
    const s = peer(t, 3);
    s.send('SUBSCRIBE', 'self');
    // Redis 7.0 writes it before the :1 (7.2 fixed that); a push inside a reply breaks clients.
    expect(s.send('PUBLISH', 'self', 'hi')).toEqual([1, new ReplyPush(['message', 'self', 'hi'])]);
    s.send('MULTI');
    s.send('PUBLISH', 'self', 'a');
    s.send('PUBLISH', 'self', 'b');
    expect(s.send('EXEC')).toEqual([[1, 1], new ReplyPush(['message', 'self', 'a']), new ReplyPush(['message', 'self', 'b'])]);
    // Never counted as deferred replies of another command.
    expect(s.deferred).toBe(0);
  });
});

describe('the RESP2 subscriber context', () => {
  const refused = (cmd: string) => new ReplyError(`ERR Can't execute '${cmd}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`);

  it('refuses other commands while subscribed; PING answers [pong, msg]; it ends with the last subscription', () => {
    const t = createTestEngine();
    const s = peer(t, 2);
    s.send('SUBSCRIBE', 'a');
    expect(s.send('GET', 'k')).toEqual([refused('get')]);
    expect(s.send('PUBLISH', 'a', 'x')).toEqual([refused('publish')]);
    expect(s.send('MULTI')).toEqual([refused('multi')]);
    expect(s.send('CLIENT', 'LIST')).toEqual([refused('client|list')]);
    expect(s.send('PING')).toEqual([['pong', '']]);
    expect(s.send('PING', 'hi')).toEqual([['pong', 'hi']]);
    s.send('PSUBSCRIBE', 'x*');
    s.send('UNSUBSCRIBE');
    expect(s.send('GET', 'k')).toEqual([refused('get')]);
    s.send('PUNSUBSCRIBE');
    expect(s.send('GET', 'k')).toEqual([null]);
    expect(s.send('PING')).toEqual([new SimpleString('PONG')]);
  });

  it('shard subscriptions enter it too; unknown commands and arity errors come first', () => {
    const t = createTestEngine();
    const s = peer(t, 2);
    s.send('SSUBSCRIBE', 's');
    expect(s.send('SET', 'k', 'v')).toEqual([refused('set')]);
    expect(s.send('NOSUCH')).toEqual([new ReplyError("ERR unknown command 'NOSUCH', with args beginning with: ")]);
    expect(s.send('GET')).toEqual([new ReplyError("ERR wrong number of arguments for 'get' command")]);
    s.send('SUNSUBSCRIBE');
    expect(s.send('SET', 'k', 'v')).toEqual([new SimpleString('OK')]);
  });

  it('RESP3 clients run any command while subscribed; HELLO 2 brings the context back', () => {
    const t = createTestEngine();
    const s = peer(t, 3);
    s.send('SUBSCRIBE', 'a');
    expect(s.send('SET', 'k', 'v')).toEqual([new SimpleString('OK')]);
    expect(s.send('PING')).toEqual([new SimpleString('PONG')]);
    s.send('HELLO', '2');
    expect(s.send('GET', 'k')).toEqual([refused('get')]);
  });

  it('QUIT is allowed', () => {
    const t = createTestEngine();
    const s = peer(t, 2);
    s.send('SUBSCRIBE', 'a');
    expect(s.send('QUIT')).toEqual([new SimpleString('OK')]);
    expect(s.client.closeAfterReply).toBe(true);
  });
});

describe('subscriptions end with the client', () => {
  it('RESET drops every subscription and leaves the context', () => {
    const t = createTestEngine();
    const s = peer(t, 3);
    s.send('SUBSCRIBE', 'a', 'b');
    s.send('PSUBSCRIBE', 'p*');
    s.send('SSUBSCRIBE', 's');
    expect(s.send('RESET')).toEqual([new SimpleString('RESET')]);
    const pub = peer(t);
    expect(pub.send('PUBLISH', 'a', 'x')).toEqual([0]);
    expect(pub.send('PUBLISH', 'px', 'x')).toEqual([0]);
    expect(pub.send('SPUBLISH', 's', 'x')).toEqual([0]);
    expect(s.inbox()).toEqual([]);
    expect(s.send('GET', 'k')).toEqual([null]);
    const ps = t.engine.pubsub;
    expect([ps.channels.size, ps.patterns.size, ps.shardChannels.size]).toEqual([0, 0, 0]);
  });

  it('a disconnected client is forgotten by every registry; the others keep theirs', () => {
    const t = createTestEngine();
    const gone = peer(t);
    const stays = peer(t);
    gone.send('SUBSCRIBE', 'a', 'only-gone');
    gone.send('PSUBSCRIBE', 'a*');
    gone.send('SSUBSCRIBE', 's');
    stays.send('SUBSCRIBE', 'a');
    stays.send('PSUBSCRIBE', 'a*');
    t.engine.removeClient(gone.client);
    const pub = peer(t);
    expect(pub.send('PUBLISH', 'a', 'x')).toEqual([2]);
    expect(pub.send('PUBSUB', 'NUMSUB', 'a', 'only-gone')).toEqual([['a', 1, 'only-gone', 0]]);
    expect(pub.send('PUBSUB', 'CHANNELS')).toEqual([['a']]);
    expect(pub.send('PUBSUB', 'NUMPAT')).toEqual([1]);
    expect(pub.send('PUBSUB', 'SHARDCHANNELS')).toEqual([[]]);
    expect(gone.inbox()).toEqual([]);
    t.engine.removeClient(stays.client);
    expect(t.engine.pubsub.channels.size + t.engine.pubsub.patterns.size).toBe(0);
  });

  it('100,000 channels in one SUBSCRIBE, then UNSUBSCRIBE: all confirmed, nothing left behind', () => {
    const t = createTestEngine();
    const s = peer(t, 2);
    const names = Array.from({ length: 100_000 }, (_, i) => `ch:${i}`);
    const subscribed = s.send('SUBSCRIBE', ...names);
    expect(subscribed).toHaveLength(100_000);
    expect(subscribed[99_999]).toEqual(['subscribe', 'ch:99999', 100_000]);
    expect(peer(t).send('PUBSUB', 'NUMSUB', 'ch:0', 'ch:99999', 'ch:100000')).toEqual([['ch:0', 1, 'ch:99999', 1, 'ch:100000', 0]]);
    const dropped = s.send('UNSUBSCRIBE');
    expect(dropped).toHaveLength(100_000);
    expect(dropped[99_999]).toEqual(['unsubscribe', expect.any(String), 0]);
    expect(t.engine.pubsub.channels.size).toBe(0);
  });
});

describe('PUBSUB introspection', () => {
  it('CHANNELS and SHARDCHANNELS list active names, optionally filtered by a glob', () => {
    const t = createTestEngine();
    const a = peer(t);
    const b = peer(t);
    a.send('SUBSCRIBE', 'news.tech', 'news.art', 'weather');
    b.send('SUBSCRIBE', 'news.tech');
    b.send('PSUBSCRIBE', 'news.*');
    a.send('SSUBSCRIBE', 'shard.1', 'other');
    const q = peer(t);
    const sorted = (r: Reply[]) => (r[0] as string[]).slice().sort();
    expect(sorted(q.send('PUBSUB', 'CHANNELS'))).toEqual(['news.art', 'news.tech', 'weather']);
    expect(sorted(q.send('PUBSUB', 'CHANNELS', 'news.*'))).toEqual(['news.art', 'news.tech']);
    expect(q.send('PUBSUB', 'CHANNELS', 'nothing*')).toEqual([[]]);
    expect(sorted(q.send('PUBSUB', 'SHARDCHANNELS'))).toEqual(['other', 'shard.1']);
    expect(q.send('PUBSUB', 'SHARDCHANNELS', 'sh*')).toEqual([['shard.1']]);
    // Patterns are not channels.
    expect(q.send('PUBSUB', 'CHANNELS', 'news.\\*')).toEqual([[]]);
  });

  it('NUMSUB and SHARDNUMSUB count per name, in the order asked; NUMPAT counts unique patterns', () => {
    const t = createTestEngine();
    const a = peer(t);
    const b = peer(t);
    a.send('SUBSCRIBE', 'x', 'y');
    b.send('SUBSCRIBE', 'x');
    a.send('PSUBSCRIBE', 'p*', 'q*');
    b.send('PSUBSCRIBE', 'p*');
    b.send('SSUBSCRIBE', 'x');
    const q = peer(t);
    expect(q.send('PUBSUB', 'NUMSUB', 'y', 'x', 'zz', 'x')).toEqual([['y', 1, 'x', 2, 'zz', 0, 'x', 2]]);
    expect(q.send('PUBSUB', 'NUMSUB')).toEqual([[]]);
    expect(q.send('PUBSUB', 'NUMPAT')).toEqual([2]);
    expect(q.send('PUBSUB', 'SHARDNUMSUB', 'x', 'y')).toEqual([['x', 1, 'y', 0]]);
  });

  it('answers Redis\'s errors for bad subcommands and argument counts', () => {
    const t = createTestEngine();
    const q = peer(t);
    expect(q.send('PUBSUB', 'CHANNELS', 'a', 'b')).toEqual([new ReplyError("ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.")]);
    expect(q.send('PUBSUB', 'SHARDCHANNELS', 'a', 'b')).toEqual([new ReplyError("ERR unknown subcommand or wrong number of arguments for 'SHARDCHANNELS'. Try PUBSUB HELP.")]);
    expect(q.send('PUBSUB', 'FOO')).toEqual([new ReplyError("ERR unknown subcommand 'FOO'. Try PUBSUB HELP.")]);
    expect(q.send('PUBSUB')).toEqual([new ReplyError("ERR wrong number of arguments for 'pubsub' command")]);
    expect(q.send('PUBSUB', 'NUMPAT', 'x')).toEqual([new ReplyError("ERR wrong number of arguments for 'pubsub|numpat' command")]);
    const help = q.send('PUBSUB', 'HELP')[0] as Reply[];
    expect(help[0]).toEqual(new SimpleString('PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:'));
  });

  it('INFO stats counts channels, patterns and shard channels', () => {
    const t = createTestEngine();
    const a = peer(t);
    const b = peer(t);
    a.send('SUBSCRIBE', 'x', 'y');
    b.send('SUBSCRIBE', 'y');
    a.send('PSUBSCRIBE', 'p*');
    b.send('PSUBSCRIBE', 'p*', 'q*');
    b.send('SSUBSCRIBE', 's');
    const info = String(peer(t).send('INFO', 'stats')[0]);
    expect(info).toContain('pubsub_channels:2\r\n');
    expect(info).toContain('pubsub_patterns:2\r\n');
    expect(info).toContain('pubsubshard_channels:1\r\n');
  });

  it('CLIENT LIST shows flag P and the sub / psub / ssub counts', () => {
    const t = createTestEngine();
    const s = peer(t, 3);
    const line = () => (s.send('CLIENT', 'INFO')[0] as ReplyVerbatim).text;
    expect(line()).toMatch(/ flags=N .* sub=0 psub=0 ssub=0 multi=-1 /);
    s.send('SUBSCRIBE', 'a', 'b');
    s.send('PSUBSCRIBE', 'c*');
    s.send('SSUBSCRIBE', 'd');
    expect(line()).toMatch(/ flags=P .* sub=2 psub=1 ssub=1 multi=-1 /);
    s.send('UNSUBSCRIBE');
    s.send('PUNSUBSCRIBE');
    expect(line()).toMatch(/ flags=P .* sub=0 psub=0 ssub=1 /);
    s.send('SUNSUBSCRIBE');
    expect(line()).toMatch(/ flags=N .* sub=0 psub=0 ssub=0 /);
    // CLIENT LIST TYPE pubsub selects subscribed clients.
    const other = peer(t);
    other.send('SUBSCRIBE', 'z');
    const listed = (s.send('CLIENT', 'LIST', 'TYPE', 'pubsub')[0] as ReplyVerbatim).text;
    expect(listed.trim().split('\n')).toHaveLength(1);
    expect(listed).toContain(`id=${other.client.id} `);
  });
});
