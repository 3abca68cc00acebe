import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import {
  RingBacklog, RingReader, RingWriter, ringBytes, RING_HEAD, RING_TAIL, RING_CONSUMER_PARKED, RING_PRODUCER_PARKED,
  RING_HEADER_BYTES, RING_MIN_CAPACITY, RING_MAX_CAPACITY,
} from './ring.js';
import * as layout from './thread-layout.js';

/**
 * The SPSC byte ring: wrap-around at every offset, full/partial writes, the accounting of free
 * and used bytes across the 2^32 wrap of the indices, the parking flags, the layout constants
 * both threads rely on, and a real two-thread stress run.
 */

function ring(capacity = 64, offset = 0): { writer: RingWriter; reader: RingReader; sab: SharedArrayBuffer } {
  const sab = new SharedArrayBuffer(offset + ringBytes(capacity));
  return { writer: new RingWriter(sab, offset, capacity), reader: new RingReader(sab, offset, capacity), sab };
}

function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (seed * 131 + i * 7 + 1) & 255;
  return b;
}

/** Everything readable, copied out, and the number of views it came in. */
function readAll(reader: RingReader, limit?: number): { data: Buffer; views: number } {
  const views: Buffer[] = [];
  const n = reader.peek(views, limit);
  const data = Buffer.concat(views);
  expect(data.length).toBe(n);
  return { data, views: views.length };
}

describe('ring layout (a cross-thread format)', () => {
  // Both ends of a ring, and the owner and its clients, may be different builds of nodis in one
  // process only if these agree; changing one is a protocol change (bump THREAD_PROTOCOL_VERSION).
  const FORMAT = 'these constants are a cross-thread format shared by the owner and every client thread: '
    + 'changing one breaks compatibility; bump THREAD_PROTOCOL_VERSION and update this golden test on purpose';

  it('pins the ring header offsets', () => {
    expect({
      RING_HEAD, RING_TAIL, RING_CONSUMER_PARKED, RING_PRODUCER_PARKED, RING_HEADER_BYTES, RING_MIN_CAPACITY, RING_MAX_CAPACITY,
    }, FORMAT).toEqual({
      RING_HEAD: 0, RING_TAIL: 16, RING_CONSUMER_PARKED: 32, RING_PRODUCER_PARKED: 48, RING_HEADER_BYTES: 256,
      RING_MIN_CAPACITY: 64, RING_MAX_CAPACITY: 2 ** 30,
    });
  });

  it('pins the control block, connection header and state values', () => {
    const pinned = Object.fromEntries(Object.entries(layout)
      .filter(([name, v]) => typeof v === 'number' && /^(CONTROL_|CONN_|OWNER_|CLIENT_|THREAD_PROTOCOL_VERSION$)/.test(name)));
    expect(pinned, FORMAT).toEqual({
      CONTROL_DOORBELL: 0, CONTROL_OWNER_PARKED: 16, CONTROL_OWNER_STATE: 32, CONTROL_BYTES: 256,
      OWNER_RUNNING: 1, OWNER_STOPPED: 2,
      CONN_CLIENT_STATE: 0, CONN_OWNER_STATE: 16, CONN_REFUSED_REASON: 32, CONN_HEADER_BYTES: 256,
      CLIENT_OPEN: 0, CLIENT_CLOSED: 1,
      CONN_PENDING: 0, CONN_ACCEPTED: 1, CONN_CLOSED: 2, CONN_REFUSED: 3,
      THREAD_PROTOCOL_VERSION: 1,
    });
  });

  it('keeps every header word on its own 64-byte line', () => {
    const words = [RING_HEAD, RING_TAIL, RING_CONSUMER_PARKED, RING_PRODUCER_PARKED].map((i) => Math.floor((i * 4) / 64));
    expect(new Set(words).size, FORMAT).toBe(4);
    const control = [layout.CONTROL_DOORBELL, layout.CONTROL_OWNER_PARKED, layout.CONTROL_OWNER_STATE].map((i) => Math.floor((i * 4) / 64));
    expect(new Set(control).size, FORMAT).toBe(3);
  });

  it('sizes connections as header + two rings', () => {
    expect(ringBytes(64)).toBe(RING_HEADER_BYTES + 64);
    expect(layout.connectionBytes(1024, 4096)).toBe(256 + (256 + 1024) + (256 + 4096));
    expect(layout.connectionRings(1024)).toEqual({ request: 256, reply: 256 + 256 + 1024 });
  });
});

describe('ring capacity and placement', () => {
  it('refuses capacities that are not a power of two within bounds', () => {
    for (const bad of [0, 32, 63, 65, 100, 1.5, NaN, 2 ** 31]) {
      expect(() => ringBytes(bad), String(bad)).toThrow(RangeError);
    }
    expect(ringBytes(2 ** 30)).toBe(2 ** 30 + RING_HEADER_BYTES);
  });

  it('refuses an offset off a 64-byte line or a ring that does not fit its buffer', () => {
    const sab = new SharedArrayBuffer(1024);
    expect(() => new RingWriter(sab, 32, 64)).toThrow(/does not fit/);
    expect(() => new RingReader(sab, 768, 512)).toThrow(/does not fit/);
    expect(() => new RingReader(sab, 512, 256)).not.toThrow();
  });

  it('two rings in one buffer do not touch each other', () => {
    const sab = new SharedArrayBuffer(2 * ringBytes(64));
    const a = new RingWriter(sab, 0, 64);
    const b = new RingWriter(sab, ringBytes(64), 64);
    const ra = new RingReader(sab, 0, 64);
    const rb = new RingReader(sab, ringBytes(64), 64);
    a.write(Buffer.alloc(64, 0xaa));
    b.write(Buffer.alloc(64, 0xbb));
    expect(readAll(ra).data).toEqual(Buffer.alloc(64, 0xaa));
    expect(readAll(rb).data).toEqual(Buffer.alloc(64, 0xbb));
  });
});

describe('ring write / peek / consume', () => {
  it('round-trips every length at every starting offset of a 64-byte ring', () => {
    for (let offset = 0; offset < 64; offset++) {
      for (let len = 1; len <= 64; len++) {
        const { writer, reader } = ring(64);
        // Move both indices to `offset`.
        if (offset > 0) {
          expect(writer.write(bytes(offset, 999))).toBe(offset);
          reader.consume(offset);
        }
        expect(writer.used).toBe(0);
        const payload = bytes(len, offset * 100 + len);
        expect(writer.write(payload)).toBe(len);
        expect(writer.free).toBe(64 - len);
        expect(reader.used).toBe(len);
        const { data, views } = readAll(reader);
        expect(data.equals(payload), `offset ${offset} length ${len}`).toBe(true);
        expect(views, `offset ${offset} length ${len}`).toBe(offset + len > 64 ? 2 : 1);
        reader.consume(len);
        expect(reader.used).toBe(0);
        expect(writer.free).toBe(64);
        expect(reader.peek([])).toBe(0);
      }
    }
  });

  it('streams many records through the same ring without reset, wrapping many times', () => {
    const { writer, reader } = ring(64);
    const sent: Buffer[] = [];
    const got: Buffer[] = [];
    let seed = 1;
    for (let round = 0; round < 2000; round++) {
      const len = (round * 37) % 50 + 1;
      const payload = bytes(len, seed++);
      let at = 0;
      while (at < len) {
        const n = writer.write(payload, at);
        at += n;
        if (n === 0 || round % 3 === 0) {
          // Consume part of what is there, as a slow reader would.
          const { data } = readAll(reader, 1 + (round % 40));
          got.push(data);
          reader.consume(data.length);
        }
      }
      sent.push(payload);
    }
    const { data } = readAll(reader);
    got.push(data);
    reader.consume(data.length);
    expect(Buffer.concat(got).equals(Buffer.concat(sent))).toBe(true);
    expect(reader.used).toBe(0);
  });

  it('a full ring accepts nothing, a nearly full one only what fits', () => {
    const { writer, reader } = ring(64);
    expect(writer.write(bytes(40, 1))).toBe(40);
    expect(writer.write(bytes(40, 2))).toBe(24);
    expect(writer.free).toBe(0);
    expect(writer.used).toBe(64);
    expect(writer.write(bytes(1, 3))).toBe(0);
    expect(writer.write(Buffer.alloc(0))).toBe(0);
    const { data } = readAll(reader);
    expect(data.equals(Buffer.concat([bytes(40, 1), bytes(40, 2).subarray(0, 24)]))).toBe(true);
    reader.consume(10);
    expect(writer.free).toBe(10);
    expect(writer.write(bytes(40, 2), 24)).toBe(10);
    expect(writer.free).toBe(0);
  });

  it('writes the [start, end) slice it is given', () => {
    const { writer, reader } = ring(64);
    const src = bytes(30, 5);
    expect(writer.write(src, 10, 20)).toBe(10);
    expect(writer.write(src, 20, 20)).toBe(0);
    expect(readAll(reader).data.equals(src.subarray(10, 20))).toBe(true);
  });

  it('peek honours its limit and consume frees exactly n bytes', () => {
    const { writer, reader } = ring(64);
    writer.write(bytes(50, 9));
    expect(readAll(reader, 7).data.equals(bytes(50, 9).subarray(0, 7))).toBe(true);
    reader.consume(7);
    expect(reader.used).toBe(43);
    expect(writer.free).toBe(21);
    reader.consume(0);
    expect(reader.used).toBe(43);
    expect(readAll(reader).data.equals(bytes(50, 9).subarray(7))).toBe(true);
  });

  it('keeps its accounting across the 2^32 wrap of head and tail', () => {
    for (const start of [2 ** 32 - 1, 2 ** 32 - 10, 2 ** 31 - 5, 2 ** 31]) {
      const { writer, reader } = ring(64);
      // Both indices sit just before the wrap (stored as int32, as the ring does).
      Atomics.store(writer.header, RING_HEAD, start | 0);
      Atomics.store(writer.header, RING_TAIL, start | 0);
      expect(writer.free, String(start)).toBe(64);
      const payload = bytes(50, start % 97);
      expect(writer.write(payload)).toBe(50);
      expect(reader.used, String(start)).toBe(50);
      expect(writer.free).toBe(14);
      expect(readAll(reader).data.equals(payload), String(start)).toBe(true);
      reader.consume(50);
      expect(reader.used).toBe(0);
      expect(Atomics.load(writer.header, RING_TAIL) >>> 0).toBe((start + 50) % 2 ** 32);
    }
  });
});

describe('RingBacklog', () => {
  it('keeps what does not fit, in order, and writes it on as room appears', () => {
    const { writer, reader } = ring(64);
    const backlog = new RingBacklog();
    const a = bytes(50, 1);
    const b = bytes(40, 2);
    const c = bytes(10, 3);
    expect(backlog.offer(writer, a, false)).toBe(50);
    expect(backlog.empty).toBe(true);
    expect(backlog.offer(writer, b, true)).toBe(14); // the rest of b waits
    expect(backlog.bytes).toBe(26);
    b.fill(0); // a copy was kept: the caller may reuse b
    expect(backlog.offer(writer, c, false)).toBe(0); // behind b's rest, never before it
    expect(backlog.bytes).toBe(36);
    expect(backlog.drainTo(writer)).toBe(0); // still full
    const first = readAll(reader);
    reader.consume(first.data.length);
    expect(backlog.drainTo(writer)).toBe(36);
    expect(backlog.empty).toBe(true);
    const rest = readAll(reader).data;
    expect(Buffer.concat([first.data, rest]).equals(Buffer.concat([a, bytes(40, 2), c]))).toBe(true);
  });
});

describe('ring parking', () => {
  it('the flags are written by their own end only, a new non-zero generation per parking', () => {
    const { writer, reader } = ring(64);
    writer.park('wait');
    const p1 = Atomics.load(writer.header, RING_PRODUCER_PARKED);
    expect(p1).not.toBe(0);
    expect(Atomics.load(writer.header, RING_CONSUMER_PARKED)).toBe(0);
    reader.park('wait');
    const c1 = Atomics.load(reader.header, RING_CONSUMER_PARKED);
    expect(c1).not.toBe(0);
    writer.park('awake');
    reader.park('awake');
    expect(Atomics.load(writer.header, RING_PRODUCER_PARKED)).toBe(0);
    expect(Atomics.load(reader.header, RING_CONSUMER_PARKED)).toBe(0);
    writer.park('wait');
    reader.park('wait');
    expect(Atomics.load(writer.header, RING_PRODUCER_PARKED)).not.toBe(p1);
    expect(Atomics.load(reader.header, RING_CONSUMER_PARKED)).not.toBe(c1);
    expect(Atomics.load(writer.header, RING_PRODUCER_PARKED)).not.toBe(0);
    expect(Atomics.load(reader.header, RING_CONSUMER_PARKED)).not.toBe(0);
  });

  it('notifies a parked consumer once per parking, and again after it parks anew', async () => {
    const { writer, reader } = ring(64);
    reader.park('wait');
    const first = Atomics.waitAsync(reader.header, RING_TAIL, reader.seenTail, 5000);
    writer.write(bytes(1, 1));
    writer.wakeConsumer();
    expect(await first.value).toBe('ok');
    // Same parking (the flag still holds the same generation): no second notify.
    const same = Atomics.waitAsync(reader.header, RING_TAIL, reader.seenTail, 50);
    writer.write(bytes(1, 2));
    writer.wakeConsumer();
    expect(await same.value).toBe('timed-out');
    // A new parking is woken again.
    reader.park('awake');
    reader.park('wait');
    const again = Atomics.waitAsync(reader.header, RING_TAIL, reader.seenTail, 5000);
    writer.write(bytes(1, 3));
    writer.wakeConsumer();
    expect(await again.value).toBe('ok');
  });

  it("a 'remote' parking is not notified: the waker is told once per parking to wake it its own way", async () => {
    const { writer, reader } = ring(64);
    reader.park('remote');
    expect(Atomics.load(reader.header, RING_CONSUMER_PARKED)).toBeLessThan(0);
    const waiter = Atomics.waitAsync(reader.header, RING_TAIL, reader.seenTail, 50);
    writer.write(bytes(1, 1));
    expect(writer.wakeConsumer()).toBe(true);
    expect(writer.wakeConsumer()).toBe(false); // same parking: once
    expect(await waiter.value).toBe('timed-out'); // nobody called Atomics.notify
    reader.park('remote');
    expect(writer.wakeConsumer()).toBe(true); // a new parking
    reader.park('awake');
    expect(writer.wakeConsumer()).toBe(false);
    writer.park('remote');
    expect(reader.wakeProducer()).toBe(true);
    expect(reader.wakeProducer()).toBe(false);
  });

  it('seenTail / seenHead are the words to wait on', () => {
    const { writer, reader } = ring(64);
    writer.write(bytes(5, 1));
    expect(reader.seenTail).toBe(5);
    reader.consume(3);
    expect(writer.seenHead).toBe(3);
  });

  it('wakeConsumer notifies only a parked consumer', async () => {
    const { writer, reader } = ring(64);
    // Not parked: no notify, the wait times out.
    const idle = Atomics.waitAsync(reader.header, RING_TAIL, reader.seenTail, 50);
    expect(idle.async).toBe(true);
    writer.write(bytes(1, 1));
    writer.wakeConsumer();
    // The value changed but nobody notified: waitAsync only wakes on notify.
    expect(await idle.value).toBe('timed-out');
    reader.consume(1);

    reader.park('wait');
    const parked = Atomics.waitAsync(reader.header, RING_TAIL, reader.seenTail, 5000);
    expect(parked.async).toBe(true);
    writer.write(bytes(1, 2));
    writer.wakeConsumer();
    expect(await parked.value).toBe('ok');
  });

  it('wakeProducer notifies only a parked producer', async () => {
    const { writer, reader } = ring(64);
    writer.write(bytes(64, 1));
    const idle = Atomics.waitAsync(writer.header, RING_HEAD, writer.seenHead, 50);
    reader.consume(10);
    reader.wakeProducer();
    expect(await idle.value).toBe('timed-out');

    writer.park('wait');
    const parked = Atomics.waitAsync(writer.header, RING_HEAD, writer.seenHead, 5000);
    reader.consume(10);
    reader.wakeProducer();
    expect(await parked.value).toBe('ok');
  });
});

/**
 * The producer thread: plain JS (a worker cannot run TypeScript), importing the built package.
 * Records are [seq u32][len u32][payload], the payload drawn from xorshift32 seeded by seq, so
 * the reader can regenerate and check every byte.
 */
const PRODUCER = `
const { workerData } = require('node:worker_threads');
import('@nodis/protocol').then(({ RingWriter, RING_HEAD }) => {
  const { sab, capacity, totalBytes, status, deadline } = workerData;
  const st = new Int32Array(status);
  try {
    const w = new RingWriter(sab, 0, capacity);
    const record = (seq) => {
      let x = (Math.imul(seq, 2654435761) ^ 0x9e3779b9) | 0 || 1;
      const next = () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return x >>> 0; };
      const len = next() % (capacity * 3);
      const b = Buffer.alloc(8 + len);
      b.writeUInt32LE(seq, 0);
      b.writeUInt32LE(len, 4);
      for (let i = 0; i < len; i++) b[8 + i] = next() & 255;
      return b;
    };
    let sent = 0;
    let seq = 0;
    while (sent < totalBytes) {
      const b = record(seq++);
      let at = 0;
      while (at < b.length) {
        const n = w.write(b, at);
        if (n > 0) { at += n; w.wakeConsumer(); continue; }
        if (Date.now() > deadline) throw new Error('producer: reader stalled');
        w.park('wait');
        const seen = w.seenHead;
        if (w.free === 0) Atomics.wait(w.header, RING_HEAD, seen, 50);
        w.park('awake');
      }
      sent += b.length;
    }
    Atomics.store(st, 1, seq);
    Atomics.store(st, 0, 1);
  } catch (e) {
    Atomics.store(st, 0, 2);
    console.error(e);
  }
  Atomics.notify(new Int32Array(sab, 0, 64), 16);
}, (e) => {
  Atomics.store(new Int32Array(workerData.status), 0, 2);
  console.error(e);
});
`;

/**
 * Vitest runs this file with `--conditions source` (TypeScript sources); a worker must not
 * inherit it (Node cannot run the .ts files) and needs no other flag: it gets none.
 */
const workerExecArgv = (): string[] => [];

function expectedRecord(seq: number, capacity: number): { len: number; payload: Buffer } {
  let x = (Math.imul(seq, 2654435761) ^ 0x9e3779b9) | 0 || 1;
  const next = (): number => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return x >>> 0; };
  const len = next() % (capacity * 3);
  const payload = Buffer.alloc(len);
  for (let i = 0; i < len; i++) payload[i] = next() & 255;
  return { len, payload };
}

describe('ring across two threads', () => {
  it('carries a few MB of variable-size records intact through a 256-byte ring', async () => {
    const capacity = 256;
    const totalBytes = 3 << 20;
    const sab = new SharedArrayBuffer(ringBytes(capacity));
    const status = new SharedArrayBuffer(8);
    const st = new Int32Array(status);
    const deadline = Date.now() + 20_000;
    const worker = new Worker(PRODUCER, { eval: true, execArgv: workerExecArgv(), workerData: { sab, capacity, totalBytes, status, deadline } });
    const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
    const reader = new RingReader(sab, 0, capacity);
    const views: Buffer[] = [];
    let pending = Buffer.alloc(0);
    let seq = 0;
    let received = 0;
    let mismatch: string | undefined;
    let parks = 0;
    let workerGone = false;
    void exited.then(() => { workerGone = true; });
    try {
      for (;;) {
        const n = reader.peek(views);
        if (n > 0) {
          pending = Buffer.concat([pending, ...views]);
          reader.consume(n);
          reader.wakeProducer();
          received += n;
          // Parse every complete record.
          let at = 0;
          while (pending.length - at >= 8) {
            const gotSeq = pending.readUInt32LE(at);
            const len = pending.readUInt32LE(at + 4);
            if (pending.length - at < 8 + len) break;
            const want = expectedRecord(seq, capacity);
            if (gotSeq !== seq || len !== want.len || !pending.subarray(at + 8, at + 8 + len).equals(want.payload)) {
              mismatch = `record ${seq}: got seq ${gotSeq} len ${len}, expected len ${want.len}`;
              break;
            }
            seq++;
            at += 8 + len;
          }
          if (mismatch !== undefined) break;
          pending = pending.subarray(at);
          continue;
        }
        const done = Atomics.load(st, 0);
        if (done !== 0 && reader.used === 0) break;
        // Now and then let the event loop run (the worker's exit and error events).
        if ((++parks & 63) === 0) await new Promise((r) => setImmediate(r));
        if (workerGone) throw new Error(`reader: the producer thread exited early (status ${done})`);
        if (Date.now() > deadline) throw new Error(`reader: producer stalled after ${received} bytes, record ${seq}`);
        reader.park('wait');
        const seen = reader.seenTail;
        if (reader.used === 0) Atomics.wait(reader.header, RING_TAIL, seen, 50);
        reader.park('awake');
      }
    } finally {
      if (mismatch !== undefined || Atomics.load(st, 0) !== 1) await worker.terminate();
    }
    expect(mismatch).toBeUndefined();
    expect(Atomics.load(st, 0), 'producer finished without error').toBe(1);
    expect(seq).toBe(Atomics.load(st, 1));
    expect(pending.length).toBe(0);
    expect(received).toBeGreaterThanOrEqual(totalBytes);
    expect(await exited).toBe(0);
  });
});
