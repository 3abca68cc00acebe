/**
 * Event-loop polling after I/O. A Node thread with nothing to do sleeps in epoll_wait; a peer's
 * write to it must then wake it, and on this VM that wake-up is the biggest part of a small
 * request's round trip (the writer's write(2) shows ≈ 22% of a client's CPU time, and the
 * sleeper takes tens of µs to run again). While a reply or the next request is expected soon,
 * EventLoopPoller keeps the loop turning with setImmediate, so libuv polls with a zero timeout
 * and the bytes are picked up as they land: measured for awaited INCRs from another process,
 * 21 k/s → 30 k/s with both ends polling.
 *
 * The budget adapts, as the rings' spin does (PERFORMANCE.md: spinning must pay for itself):
 * activity that comes later than the budget but within LEARN_MS grows it to 1.5× that gap
 * (polling a bit longer would have caught it); a gap past LEARN_MS halves it (the peer is not
 * in a tight loop, and polling was wasted). A thread with no traffic never polls.
 */

/** Gaps longer than this are idleness, not a peer in a tight loop. */
const LEARN_MS = 1;

export class EventLoopPoller {
  private until = 0;
  private polling = false;
  private budgetMs: number;
  private last = 0;
  private readonly minMs: number;
  private readonly maxMs: number;

  /**
   * @param keep polling goes on only while this says so (a client: while replies are due).
   */
  constructor(minMicros: number, maxMicros: number, private readonly keep: () => boolean = () => true) {
    this.minMs = minMicros / 1000;
    this.maxMs = maxMicros / 1000;
    this.budgetMs = this.maxMs / 2;
  }

  /** Something happened (bytes read or written): poll for the budget from now. */
  touch(): void {
    const now = performance.now();
    const gap = now - this.last;
    this.last = now;
    if (gap > this.budgetMs) {
      if (gap < LEARN_MS) this.budgetMs = Math.min(this.maxMs, gap * 1.5);
      else this.budgetMs = Math.max(this.minMs, this.budgetMs / 2);
    }
    this.until = now + this.budgetMs;
    if (this.polling || this.budgetMs <= 0) return;
    this.polling = true;
    setImmediate(this.poll);
  }

  private readonly poll = (): void => {
    if (this.keep() && performance.now() < this.until) setImmediate(this.poll);
    else this.polling = false;
  };
}
