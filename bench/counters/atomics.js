// The Atomics.add loop of bench/counters.js's physical-limit rows, shared by the measuring
// thread and its peer so both run the same (equally warmed) code.
//
// Control block layout (Int32 indices, 16 ints = 64 bytes apart so the flags do not share the
// counter's cache line; only COUNTER is contended, on purpose):
export const COUNTER = 0;
export const START = 16;
export const STOP = 32;
export const DONE = 48;
export const PEER_OPS = 64;
export const CONTROL_INTS = 80;

/** Adds per clock/flag check: ≈ 0.2–0.5 ms of work, so the checks cost nothing measurable. */
const CHUNK = 16384;

/** Atomics.add(ctrl[COUNTER], 1) until STOP is set, the deadline passes or maxOps is reached. */
export function addLoop(ctrl, deadlineMs, maxOps) {
  let ops = 0;
  while (ops < maxOps && Atomics.load(ctrl, STOP) === 0 && performance.now() < deadlineMs) {
    for (let j = 0; j < CHUNK; j++) Atomics.add(ctrl, COUNTER, 1);
    ops += CHUNK;
  }
  return ops;
}
