// One pub/sub row of bench/pubsub.js: a publisher and N subscribers, all in this thread (the
// load thread), against one server. Used by the parent for the thread row (in its own main
// thread, beside the owner) and by the forked load process for the other rows.
//
// The publisher sends PUBLISH in pipelines of BATCH (one write each, as an application batching
// its events would), one pipeline after another for `seconds`; every subscriber counts the
// messages and checks that their sequence numbers arrive in order. The row ends when every
// subscriber has every message; its rate is messages published per second up to that point
// (deliveries per second = that × subscribers).
import { connect } from '@nodis/client';
import Redis from 'ioredis';

const BATCH = 100;
/**
 * The publisher stays at most this many messages ahead of the slowest subscriber: the rate
 * measured is what a subscriber can sustain, and no row is cut off by the pubsub output
 * buffer limit (a publisher left to run ahead fills a slower subscriber's 32 MiB).
 */
const WINDOW = 20_000;
/** Subscribers must have everything this long after the last PUBLISH was answered, or the row fails. */
const DRAIN_TIMEOUT_MS = 30_000;

/**
 * target: { client: 'ours', url } (ours over resp/socket, or a thread handle as `handle`)
 *       | { client: 'ioredis', path } (a Unix socket)
 */
async function open(target) {
  if (target.client === 'ioredis') {
    const r = new Redis({ path: target.path, lazyConnect: true, maxRetriesPerRequest: 0 });
    await r.connect();
    return {
      async publishBatch(channel, from, n, payload) {
        const p = r.pipeline();
        for (let i = 0; i < n; i++) p.publish(channel, `${from + i}:${payload}`);
        const replies = await p.exec();
        for (const [err] of replies) if (err) throw err;
        return replies[0][1];
      },
      async subscribe(channel, onMessage) {
        const s = r.duplicate();
        s.on('message', (_ch, message) => onMessage(message));
        await s.subscribe(channel);
        return () => s.quit();
      },
      close: () => r.quit(),
    };
  }
  const db = await connect(target.handle ?? target.url);
  const subs = [];
  return {
    async publishBatch(channel, from, n, payload) {
      const p = db.pipeline();
      for (let i = 0; i < n; i++) p.publish(channel, `${from + i}:${payload}`);
      const replies = await p.exec();
      for (const [err] of replies) if (err) throw err;
      return replies[0][1];
    },
    async subscribe(channel, onMessage) {
      // One client object per subscriber: each has its own subscriber connection.
      const own = await connect(target.handle ?? target.url);
      const sub = await own.subscribe(channel);
      subs.push(own);
      // (A Subscription ended by an error, e.g. the store stopping, ends this loop quietly.)
      const done = (async () => { for await (const m of sub) onMessage(m.message); })().catch(() => {});
      return async () => { await sub.close(); await done; await own.close(); };
    },
    close: async () => { await db.close(); },
  };
}

/** Runs one row; resolves to { published, seconds, rate, deliveries, inOrder }. */
export async function runRow(target, { subscribers, seconds, payloadBytes, channel }) {
  const client = await open(target);
  const payload = 'x'.repeat(payloadBytes);
  const counts = new Array(subscribers).fill(0);
  let disorder = 0;
  /** Resolved when the slowest subscriber has caught up to within WINDOW (see below). */
  let caughtUp;
  let waitingFor = -1;
  let allDone;
  const allReceived = new Promise((r) => { allDone = r; });
  let published = Infinity;
  const check = () => {
    if (counts.every((c) => c >= published)) allDone();
  };
  const closers = [];
  try {
    return await measure();
  } finally {
    for (const close of closers) await close().catch(() => {});
    await client.close().catch(() => {});
  }

  async function measure() {
    for (let s = 0; s < subscribers; s++) {
      closers.push(await client.subscribe(channel, (message) => {
        const seq = Number(message.slice(0, message.indexOf(':')));
        if (seq !== counts[s]) disorder++;
        counts[s]++;
        if (counts[s] >= published) check();
        if (caughtUp !== undefined && counts[s] >= waitingFor && Math.min(...counts) >= waitingFor) {
          const go = caughtUp;
          caughtUp = undefined;
          go();
        }
      }));
    }
    // Every subscriber is confirmed (subscribe resolved): a probe batch must reach them all.
    const start = performance.now();
    const deadline = start + seconds * 1000;
    let sent = 0;
    let receivers = 0;
    while (performance.now() < deadline) {
      if (sent - Math.min(...counts) > WINDOW) {
        waitingFor = sent - WINDOW;
        await new Promise((r) => { caughtUp = r; });
      }
      receivers = await client.publishBatch(channel, sent, BATCH, payload);
      sent += BATCH;
    }
    published = sent;
    check();
    let timer;
    await Promise.race([
      allReceived,
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`subscribers got ${counts.join(', ')} of ${sent} messages ${DRAIN_TIMEOUT_MS / 1000} s after the last PUBLISH`)), DRAIN_TIMEOUT_MS); }),
    ]).finally(() => clearTimeout(timer));
    const elapsed = (performance.now() - start) / 1000;
    if (receivers !== subscribers) throw new Error(`PUBLISH reported ${receivers} receivers, expected ${subscribers}`);
    return { published: sent, seconds: elapsed, rate: sent / elapsed, deliveries: (sent * subscribers) / elapsed, inOrder: disorder === 0 };
  }
}

// As a forked load process: { type: 'run', id, target, options } → { type: 'result', id, result } | { type: 'error', id, message }.
if (process.send !== undefined && process.argv[1]?.endsWith('load.mjs')) {
  process.on('message', (m) => {
    if (m.type === 'stop') { process.exit(0); }
    if (m.type !== 'run') return;
    runRow(m.target, m.options).then(
      (result) => process.send({ type: 'result', id: m.id, result }),
      (e) => process.send({ type: 'error', id: m.id, message: e instanceof Error ? e.message : String(e) }),
    );
  });
  process.send({ type: 'ready' });
}
