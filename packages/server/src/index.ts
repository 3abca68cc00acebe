import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import type { OwnerMessage, OwnerOptions } from './owner.js';
import { CONTROL_OWNER_STATE, OWNER_STOPPED, type ThreadHandle } from '@nodis/protocol';

export { parseServerArgs, parseConfigText, ConfigError } from './config.js';
export type { OwnerOptions } from './owner.js';
export type { ThreadHandle } from '@nodis/protocol';

/**
 * startServer: runs the owner worker thread and resolves once it accepts connections.
 *
 *   const server = await startServer({ config: { port: '0', unixsocket: '' } });
 *   // redis-cli -p server.port ...
 *   await server.close();
 */

export interface ServerOptions {
  /** CONFIG name → value, as redis-server's flags: port, bind, unixsocket, dir, requirepass ... */
  config?: Record<string, string>;
  configFile?: string;
  /** 'nothing' silences the log (tests); default 'notice'. */
  logLevel?: string;
  /**
   * What `port: '0'` means: 'ephemeral' (default, Node's convention: a free port, read it from
   * server.port) or 'off' (redis-server's: no TCP at all, e.g. a store only threads use).
   */
  portZero?: 'ephemeral' | 'off';
}

export interface NodisServer {
  /** TCP port (0 when TCP is off). */
  readonly port: number;
  readonly host: string;
  /** Absolute Unix socket path (RESP), or '' when off. */
  readonly unixsocket: string;
  /** Absolute Unix socket path of the native protocol (`connect('unix://' + path)`), or '' when off. */
  readonly nativesocket: string;
  /** Resolves when the owner has stopped (SHUTDOWN, close(), or a crash). */
  readonly closed: Promise<void>;
  /**
   * The thread handle: pass it to any thread of this process (workerData, postMessage, piscina
   * task arguments; no transfer list needed) and `connect(handle)` there, or here.
   */
  handle(): ThreadHandle;
  close(): Promise<void>;
}

/** The compiled owner module (src/*.ts runs under vitest; the worker always loads dist JS). */
function ownerEntry(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL('../dist/owner.js', here) : new URL('./owner.js', here);
}

/**
 * The owner inherits the process's Node flags (--cpu-prof, --inspect ...) except import
 * conditions: it always runs compiled JS, and `--conditions source` (vitest's) would make it
 * import TypeScript sources that Node 20 cannot run.
 */
function ownerExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--conditions' || a === '-C') { i++; continue; }
    if (a.startsWith('--conditions=') || a.startsWith('-C=')) continue;
    out.push(a);
  }
  return out;
}

/**
 * The owner's young generation. Values written by clients are new strings that outlive the
 * scavenges (the keyspace keeps them); with V8's default (16 MB) a stream of 100 KB SETs had the
 * owner spending 30% of its time in scavenges that grew the heap into fresh memory (≈ 36 ms
 * each on this VM). 96 MB: SET 100 KB awaited went 2.4 k/s → 9.9 k/s (bench/processes.js);
 * 48 MB did not help. Reserved, not committed: an idle store does not use it.
 */
const OWNER_YOUNG_GENERATION_MB = 96;

export function startServer(options: ServerOptions = {}): Promise<NodisServer> {
  const config = { ...(options.config ?? {}) };
  if (options.logLevel !== undefined) config.loglevel ??= options.logLevel;
  const ownerOptions: OwnerOptions = {
    config, ...(options.configFile ? { configFile: options.configFile } : {}),
    ...(options.portZero ? { portZero: options.portZero } : {}),
  };
  const spawn = (execArgv: string[]) => new Worker(fileURLToPath(ownerEntry()), {
    workerData: { nodisOwner: true, options: ownerOptions },
    stdout: false,
    stderr: false,
    execArgv,
    resourceLimits: { maxYoungGenerationSizeMb: OWNER_YOUNG_GENERATION_MB },
  });
  let worker: Worker;
  try {
    worker = spawn(ownerExecArgv());
  } catch (e) {
    // Process-wide flags (V8 options such as --single-threaded-gc) are refused for workers;
    // they already apply to the whole process, so the owner simply starts without them.
    if ((e as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw e;
    worker = spawn([]);
  }
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => { resolveClosed = resolve; });
  worker.on('exit', () => resolveClosed());

  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    worker.once('error', onError);
    worker.on('message', (m: OwnerMessage) => {
      if (m.type === 'ready') {
        worker.off('error', onError);
        worker.on('error', (e) => { process.stderr.write(`nodis owner crashed: ${e.stack ?? e}\n`); });
        const handle = m.handle;
        // However the owner thread ends, clients waiting on its rings must learn it.
        worker.on('exit', () => {
          const control = new Int32Array(handle.control);
          Atomics.store(control, CONTROL_OWNER_STATE, OWNER_STOPPED);
          Atomics.notify(control, CONTROL_OWNER_STATE);
        });
        resolve({
          handle: () => handle,
          port: m.port,
          host: (config.bind ?? '127.0.0.1').split(/\s+/)[0]!,
          unixsocket: m.unixsocket,
          nativesocket: m.nativesocket,
          closed,
          async close() {
            worker.postMessage({ type: 'shutdown' });
            await closed;
          },
        });
      } else if (m.type === 'error') {
        void worker.terminate();
        reject(new Error(m.message));
      } else if (m.type === 'closed') {
        void worker.terminate();
      }
    });
  });
}
