/**
 * A single-producer / single-consumer byte ring over a SharedArrayBuffer: the pipe between a
 * client thread and the owner. One ring carries requests (client → owner), another replies
 * (owner → client); both carry plain RESP, so a ring is to the owner what a socket is: the same
 * parser, the same limits, the same dispatcher. A message larger than the ring simply streams
 * through it in pieces, as through a socket.
 *
 *   offset 0          64          128                 192                 256
 *   ┌──────────────┬───────────┬───────────────────┬───────────────────┬──────────────────────┐
 *   │ head (u32)   │ tail (u32)│ consumerParked    │ producerParked    │ data: capacity bytes │
 *   │ consumer     │ producer  │ (i32) consumer    │ (i32) producer    │ (a power of two)     │
 *   │ writes       │ writes    │ writes            │ writes            │                      │
 *   └──────────────┴───────────┴───────────────────┴───────────────────┴──────────────────────┘
 *     each field alone on its own 64-byte line: two threads writing one line cost 3–8×
 *     (PERFORMANCE.md, false sharing).
 *
 * head and tail count bytes ever consumed / produced, modulo 2^32; the unread bytes are
 * [head, tail) and sit at (index & mask) in the data area, wrapping at its end. The capacity is
 * at most 2^30, so `(tail - head) >>> 0` is never ambiguous.
 *
 * Publishing: the producer copies the payload into the data area first and only then moves
 * tail with Atomics.store; the consumer loads tail before it reads the payload. A producer
 * killed in the middle of a copy therefore never publishes a torn record (RELIABILITY.md: 0
 * torn records in 60 trials this way, 60 of 60 the other way round). The consumer frees space
 * the same way with head.
 *
 * Full ring: write() copies what fits and returns how much; the caller keeps the rest and
 * retries once the consumer has made room. Nobody ever blocks inside this class.
 *
 * Parking: a consumer that wants to sleep sets consumerParked to a new non-zero generation
 * number, checks tail once more, and then Atomics.wait()s on the tail word; the producer, after
 * publishing, notifies the tail word if it sees consumerParked set. Atomics are sequentially
 * consistent, so either the producer sees the flag or the consumer sees the new tail: no
 * wake-up is lost. The producer notifies each generation once: a sleeper needs one wake-up,
 * and Atomics.notify costs a lock and often a syscall, too much to pay for every chunk written
 * while the consumer is still waking. producerParked and the head word do the same for a
 * producer waiting for room.
 *
 * A negative generation means "parked, but not in Atomics.wait: wake me some other way"
 * (wakeConsumer/wakeProducer return true, and the caller does). Threads waiting without
 * blocking use that instead of Atomics.waitAsync: notifying a waitAsync waiter whose thread
 * is being terminated crashed Node 20 in our tests (a null libuv handle inside
 * Atomics.notify, 2 in ≈ 800 terminations).
 */

/** Int32 indices of the header fields. */
export const RING_HEAD = 0;
export const RING_TAIL = 16;
export const RING_CONSUMER_PARKED = 32;
export const RING_PRODUCER_PARKED = 48;
export const RING_HEADER_BYTES = 256;
export const RING_MIN_CAPACITY = 64;
export const RING_MAX_CAPACITY = 1 << 30;

/** Bytes of SharedArrayBuffer a ring of `capacity` data bytes occupies. */
export function ringBytes(capacity: number): number {
  checkCapacity(capacity);
  return RING_HEADER_BYTES + capacity;
}

function checkCapacity(capacity: number): void {
  if (!Number.isInteger(capacity) || capacity < RING_MIN_CAPACITY || capacity > RING_MAX_CAPACITY || (capacity & (capacity - 1)) !== 0) {
    throw new RangeError(`nodis: a ring's capacity must be a power of two between ${RING_MIN_CAPACITY} and 2^30 bytes, not ${capacity}`);
  }
}

/** The view both ends share: header words and data bytes of one ring. */
class RingView {
  readonly header: Int32Array;
  readonly data: Buffer;
  readonly capacity: number;
  protected readonly mask: number;

  constructor(readonly sab: SharedArrayBuffer, readonly offset: number, capacity: number) {
    checkCapacity(capacity);
    if (offset % 64 !== 0 || offset + RING_HEADER_BYTES + capacity > sab.byteLength) {
      throw new RangeError('nodis: the ring does not fit its SharedArrayBuffer at that offset');
    }
    this.header = new Int32Array(sab, offset, RING_HEADER_BYTES / 4);
    this.data = Buffer.from(sab, offset + RING_HEADER_BYTES, capacity);
    this.capacity = capacity;
    this.mask = capacity - 1;
  }

  /** Published bytes not yet consumed. */
  get used(): number {
    return (Atomics.load(this.header, RING_TAIL) - Atomics.load(this.header, RING_HEAD)) >>> 0;
  }
}

/** Next parking generation: never 0 (0 means awake). */
function nextGeneration(g: number): number {
  return g >= 0x3fffffff ? 1 : g + 1;
}

/** How a parked end wants to be woken: not parked, Atomics.notify, or by the caller's means. */
export type Parking = 'awake' | 'wait' | 'remote';

function parkedValue(generation: number, how: Parking): number {
  return how === 'awake' ? 0 : how === 'wait' ? generation : -generation;
}

/** Wakes the end parked in `slot` once per parking: notifies waiters, or returns true for remote. */
function wake(header: Int32Array, slot: number, word: number, last: { notified: number }): boolean {
  const g = Atomics.load(header, slot);
  if (g === 0 || g === last.notified) return false;
  last.notified = g;
  if (g > 0) {
    Atomics.notify(header, word);
    return false;
  }
  return true;
}

/** The producer's end: the only writer of tail and producerParked. */
export class RingWriter extends RingView {
  private generation = 0;
  notified = 0;
  /** The consumer's head as last read (see write()). */
  private knownHead = Atomics.load(this.header, RING_HEAD) >>> 0;

  /** Bytes the consumer has made room for. */
  get free(): number {
    return this.capacity - this.used;
  }

  /**
   * Copies as much of bytes[start, end) as fits, then publishes it. Returns the count copied
   * (0 when full). Does not wake the consumer: call wakeConsumer() after a batch of writes.
   */
  write(bytes: Uint8Array, start = 0, end = bytes.length): number {
    const header = this.header;
    const tail = Atomics.load(header, RING_TAIL) >>> 0;
    // head only grows, so a stale copy understates the room: re-read the consumer's line
    // (a cache miss: the other thread writes it) only when the copy says we lack room.
    let free = this.capacity - ((tail - this.knownHead) >>> 0);
    if (free < end - start) {
      this.knownHead = Atomics.load(header, RING_HEAD) >>> 0;
      free = this.capacity - ((tail - this.knownHead) >>> 0);
    }
    const n = Math.min(free, end - start);
    if (n <= 0) return 0;
    const at = tail & this.mask;
    const first = Math.min(n, this.capacity - at);
    this.data.set(first === bytes.length && start === 0 ? bytes : bytes.subarray(start, start + first), at);
    if (first < n) this.data.set(bytes.subarray(start + first, start + n), 0);
    Atomics.store(header, RING_TAIL, (tail + n) | 0);
    return n;
  }

  /**
   * Wakes a consumer parked on this ring, if any (once per parking). Cheap when none is.
   * True when the consumer parked 'remote': the caller must wake it by its own means.
   */
  wakeConsumer(): boolean {
    return wake(this.header, RING_CONSUMER_PARKED, RING_TAIL, this);
  }

  /** Parks (a new generation) or unparks: the consumer wakes us after freeing room. */
  park(how: Parking): void {
    if (how !== 'awake') this.generation = nextGeneration(this.generation);
    Atomics.store(this.header, RING_PRODUCER_PARKED, parkedValue(this.generation, how));
  }

  /** The head value to wait on (Atomics.wait(header, RING_HEAD, seenHead)). */
  get seenHead(): number {
    return Atomics.load(this.header, RING_HEAD);
  }
}

/** The consumer's end: the only writer of head and consumerParked. */
export class RingReader extends RingView {
  private generation = 0;
  notified = 0;

  /**
   * The published bytes as at most two views into the ring (the second when they wrap), valid
   * until consume(). Returns how many bytes are readable; views are written to `out`.
   */
  peek(out: Buffer[], limit = Infinity): number {
    const header = this.header;
    const head = Atomics.load(header, RING_HEAD) >>> 0;
    const n = Math.min(limit, ((Atomics.load(header, RING_TAIL) >>> 0) - head) >>> 0);
    out.length = 0;
    if (n === 0) return 0;
    const at = head & this.mask;
    const first = Math.min(n, this.capacity - at);
    out.push(this.data.subarray(at, at + first));
    if (first < n) out.push(this.data.subarray(0, n - first));
    return n;
  }

  /** Frees n bytes (after their views are no longer needed). */
  consume(n: number): void {
    if (n === 0) return;
    const head = Atomics.load(this.header, RING_HEAD);
    Atomics.store(this.header, RING_HEAD, (head + n) | 0);
  }

  /** Wakes a producer waiting for room, if any (once per parking); true for a 'remote' one. */
  wakeProducer(): boolean {
    return wake(this.header, RING_PRODUCER_PARKED, RING_HEAD, this);
  }

  /** Parks (a new generation) or unparks: the producer wakes us after publishing. */
  park(how: Parking): void {
    if (how !== 'awake') this.generation = nextGeneration(this.generation);
    Atomics.store(this.header, RING_CONSUMER_PARKED, parkedValue(this.generation, how));
  }

  /** The tail value to wait on (Atomics.wait(header, RING_TAIL, seenTail)). */
  get seenTail(): number {
    return Atomics.load(this.header, RING_TAIL);
  }
}

/**
 * The bytes a producer could not publish yet because the ring was full, in order; written on
 * as the consumer makes room. Both ends of the thread transport keep one: the owner for replies
 * (it never blocks on a slow reader), a client for requests.
 */
export class RingBacklog {
  private readonly pieces: Buffer[] = [];
  private offset = 0;
  /** Bytes waiting. */
  bytes = 0;

  get empty(): boolean { return this.pieces.length === 0; }

  /**
   * Publishes bytes after whatever already waits: as much as fits goes into the ring now (only
   * when nothing waits, to keep the order), the rest waits. `copy`: the caller reuses `bytes`,
   * so keep a copy of what waits. Returns how many bytes went into the ring.
   */
  offer(ring: RingWriter, bytes: Buffer, copy: boolean): number {
    const n = this.pieces.length === 0 ? ring.write(bytes) : 0;
    if (n === bytes.length) return n;
    const rest = n === 0 ? bytes : bytes.subarray(n);
    this.pieces.push(copy ? Buffer.from(rest) : rest);
    this.bytes += rest.length;
    return n;
  }

  /** Writes what waits as room allows. Returns how many bytes moved. */
  drainTo(ring: RingWriter): number {
    let moved = 0;
    while (this.pieces.length !== 0) {
      const head = this.pieces[0]!;
      const n = ring.write(head, this.offset);
      if (n === 0) break;
      moved += n;
      this.offset += n;
      if (this.offset === head.length) {
        this.pieces.shift();
        this.offset = 0;
      }
    }
    this.bytes -= moved;
    return moved;
  }

  clear(): void {
    this.pieces.length = 0;
    this.offset = 0;
    this.bytes = 0;
  }
}
