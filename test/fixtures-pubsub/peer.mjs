// A pub/sub or transaction peer, run as a worker thread (workerData: the thread transport or
// any URL) or as a child process (argv[2]: JSON; socket or resp URLs). Roles:
//   subscriber  subscribes to `channel`, says { ready }, then counts `expected` messages
//               ("<publisher>:<seq>"), checking each publisher's order; says { done, ... }.
//   publisher   says { ready }, waits for 'go', publishes `count` messages in pipelined bursts,
//               says { done, receivers } (the sum of PUBLISH's answers).
//   cas         increments `key` `count` times by GET + SET under WATCH: with db.transaction,
//               or (raw: true) by hand with WATCH / MULTI / EXEC on its own connection;
//               says { done, attempts }.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { connect } from '@nodis/client';

const job = isMainThread ? JSON.parse(process.argv[2]) : workerData;
const send = (m) => (isMainThread ? process.send(m) : parentPort.postMessage(m));
const nextMessage = () => new Promise((resolve) => (isMainThread ? process : parentPort).once('message', resolve));

async function subscriber(db) {
  const sub = await db.subscribe(job.channel);
  send({ ready: true });
  const last = {};
  let received = 0;
  let outOfOrder = 0;
  for await (const m of sub) {
    const at = m.message.lastIndexOf(':');
    const from = m.message.slice(0, at);
    const seq = Number(m.message.slice(at + 1));
    if ((last[from] ?? -1) + 1 !== seq) outOfOrder++;
    last[from] = seq;
    if (++received === job.expected) break;
  }
  send({ done: true, received, outOfOrder, last });
}

async function publisher(db) {
  send({ ready: true });
  await nextMessage();
  let receivers = 0;
  for (let i = 0; i < job.count;) {
    const n = Math.min(job.burst ?? 50, job.count - i);
    const counts = await Promise.all(Array.from({ length: n }, (_, j) => db.publish(job.channel, `${job.id}:${i + j}`)));
    for (const c of counts) receivers += c;
    i += n;
  }
  send({ done: true, receivers });
}

async function cas(db) {
  send({ ready: true });
  await nextMessage();
  let attempts = 0;
  for (let i = 0; i < job.count; i++) {
    if (job.raw) {
      // By hand: this connection is this process's alone, so WATCH on it guards the EXEC.
      for (;;) {
        attempts++;
        await db.call('WATCH', job.key);
        const v = Number(await db.get(job.key) ?? 0);
        if (await db.multi().set(job.key, String(v + 1)).exec() !== null) break;
      }
    } else {
      await db.transaction([job.key], async (tx) => {
        attempts++;
        const v = Number(await tx.get(job.key) ?? 0);
        return tx.multi().set(job.key, String(v + 1));
      }, { retries: 100_000 });
    }
  }
  send({ done: true, attempts });
}

const db = await connect(job.target);
try {
  await { subscriber, publisher, cas }[job.role](db);
} finally {
  await db.close();
}
// A child ends once its IPC channel is closed; a worker once nothing keeps its loop alive
// (the test checks that it does exit: a subscriber connection must not hold it).
if (isMainThread) process.disconnect();
