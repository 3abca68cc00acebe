// Helper threads of bench/counters/worker.js.
//   mode 'counter': the postMessage row's owner thread; it keeps a counter and answers every
//                   message with the incremented value (one postMessage each way).
//   mode 'atomics': the second thread of the two-thread Atomics.add row; it waits for START,
//                   adds to the shared counter until STOP, then reports its count and sets DONE.
import { parentPort, workerData } from 'node:worker_threads';
import { addLoop, CONTROL_INTS, DONE, PEER_OPS, START } from './atomics.js';

if (workerData.mode === 'counter') {
  let count = 0;
  parentPort.on('message', () => { parentPort.postMessage(++count); });
} else if (workerData.mode === 'atomics') {
  const ctrl = new Int32Array(workerData.sab);
  // Warm addLoop on a private block first: the measured loop should not include its compilation.
  addLoop(new Int32Array(new SharedArrayBuffer(CONTROL_INTS * 4)), performance.now() + 50, 1e9);
  parentPort.postMessage('ready');
  // Bounded: if the measuring thread never says START, give up after 30 s.
  if (Atomics.wait(ctrl, START, 0, 30_000) !== 'timed-out') {
    const ops = addLoop(ctrl, performance.now() + workerData.maxSeconds * 1000, workerData.maxOps);
    Atomics.store(ctrl, PEER_OPS, ops);
  }
  Atomics.store(ctrl, DONE, 1);
  Atomics.notify(ctrl, DONE);
} else {
  throw new Error(`peer.js: unknown mode ${workerData.mode}`);
}
