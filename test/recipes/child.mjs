// Shared plumbing of the recipe fixtures: each fixture is a real child process, started by
// test/recipes.test.ts with child_process.fork(fixture, [url, ...args]). It connects with the
// transport its URL names (resp over TCP or a Unix socket, or nodis's native socket), reports to
// the parent over the IPC channel, and exits by itself.
import { connect } from '@nodis/client';

/** Connects to the server named by argv[2] (redis://…, redis+unix://… or unix://… native). */
export function open() {
  return connect(process.argv[2], { connectTimeout: 5000 });
}

/** Sends a message to the parent and waits until it has left. */
export function report(message) {
  return new Promise((resolve, reject) => process.send(message, (e) => (e ? reject(e) : resolve())));
}

/**
 * Start line: tells the parent "ready", then waits (bounded) until the parent pushes a token to
 * `key`. All children of a test start hammering within the same millisecond or so, so their
 * commands really interleave instead of one process finishing before the next has started.
 */
export async function barrier(db, key) {
  await report({ ready: true });
  if ((await db.blpop(key, 10)) === null) throw new Error(`no start signal on '${key}' within 10 s`);
}

/** Runs the fixture's body; an error goes to the parent and to the exit code. */
export function run(body) {
  body().then(
    () => process.exit(0),
    async (e) => {
      try { await report({ error: e instanceof Error ? e.stack ?? e.message : String(e) }); } catch { /* parent gone */ }
      process.exit(1);
    },
  );
}

/** Never settles: a process "stuck" in its work, for the parent to kill. */
export const hang = () => new Promise(() => { setInterval(() => {}, 1 << 30); });
