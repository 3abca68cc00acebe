import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DeadlineTimer, Engine } from '@nodis/engine';
import { SocketListener } from './listen.js';
import { RingService } from './ring-service.js';
import type { ThreadHandle } from '@nodis/protocol';
import { createLogger, type Logger } from './log.js';
import { Persistence } from './persist/persistence.js';
import { SERVER_VERSION } from './connection.js';

/**
 * The owner: the worker thread that holds the engine and serves every client. Started by
 * startServer() (index.ts); talks to its parent with a few plain messages:
 *   parent → owner: { type: 'shutdown' }
 *   owner → parent: { type: 'ready', port, unixsocket } | { type: 'error', message } | { type: 'closed' }
 */

export interface OwnerOptions {
  /** CONFIG name → value (port, bind, unixsocket, dir, requirepass, ...). */
  config: Record<string, string>;
  configFile?: string;
  /** Log level threshold or 'nothing'. */
  logLevel?: string;
  /** What `port 0` means: an ephemeral port (Node's listen(0), the default) or no TCP (redis-server's). */
  portZero?: 'ephemeral' | 'off';
}

export type OwnerMessage =
  | { type: 'ready'; port: number; unixsocket: string; nativesocket: string; handle: ThreadHandle }
  | { type: 'error'; message: string }
  | { type: 'closed' };

export async function runOwner(options: OwnerOptions, post: (m: OwnerMessage) => void): Promise<() => Promise<void>> {
  const log: Logger = createLogger(options.config.loglevel ?? options.logLevel ?? 'notice');
  let closing: Promise<void> | undefined;
  let listener: SocketListener;
  let rings: RingService | undefined;
  let cron: NodeJS.Timeout | undefined;

  const shutdown = (save?: boolean): Promise<void> => {
    closing ??= (async () => {
      log('warning', 'User requested shutdown...');
      if (cron) clearInterval(cron);
      wakeTimer.cancel();
      try {
        persistence.shutdown(save);
      } catch (e) {
        log('warning', `Error saving at shutdown: ${e instanceof Error ? e.message : String(e)}`);
      }
      rings?.close();
      await listener.close();
      log('warning', 'nodis is now ready to exit, bye bye...');
      post({ type: 'closed' });
    })();
    return closing;
  };

  const engine: Engine = new Engine({
    config: options.config,
    hooks: {
      shutdown: (o) => { void shutdown(o.save); },
      persistence: (which) => persistence.command(which),
      wakeAt: (ms) => wakeTimer.schedule(ms),
      onInternalError: (command, e) => log('warning', `Internal error in '${command}': ${e instanceof Error ? e.stack ?? e.message : String(e)}`),
      info: (): Record<string, Record<string, string | number>> => ({
        server: {
          process_id: process.pid,
          tcp_port: Number(engine.config.get('port')),
          executable: process.argv[1] ?? '',
          config_file: options.configFile ?? '',
        },
        persistence: persistence.info(),
      }),
    },
  });
  const persistence = new Persistence({ engine, log, serverVersion: SERVER_VERSION });
  listener = new SocketListener(engine, log);
  engine.replyBarrier = persistence;

  const wakeTimer = new DeadlineTimer(Date.now, () => engine.expireBlocked());

  const dir = path.resolve(engine.config.get('dir'));
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new Error(`Can't create the data directory ${dir}: ${e instanceof Error ? e.message : String(e)}`);
  }

  const requestedPort = Number(engine.config.get('port'));
  let port = 0;
  if (requestedPort !== 0 || (options.config.port === '0' && options.portZero !== 'off')) {
    const binds = engine.config.get('bind').split(/\s+/).filter(Boolean);
    for (const host of binds) port = await listener.listenTcp(host, port || requestedPort);
    // Report the real port (an ephemeral `--port 0` in tests) through CONFIG GET port.
    engine.config.set('port', String(port), true);
  }
  let unixsocket = engine.config.get('unixsocket');
  if (unixsocket !== '') {
    unixsocket = path.resolve(dir, unixsocket);
    await listener.listenUnix(unixsocket, parseInt(engine.config.get('unixsocketperm'), 8) || 0);
  }
  let nativesocket = engine.config.get('nativesocket');
  if (nativesocket !== '') {
    nativesocket = path.resolve(dir, nativesocket);
    await listener.listenUnix(nativesocket, parseInt(engine.config.get('nativesocketperm'), 8) || 0, 'native');
  }

  rings = new RingService(engine, log);
  await rings.start();
  const ringService = rings;
  process.on('exit', () => ringService.markStopped());

  const hz = () => Math.max(1, engine.config.getNumber('hz'));
  const tick = () => {
    engine.cron();
    persistence.cron(Date.now());
    listener.closeIdle(engine.time, engine.config.getNumber('timeout'));
  };
  cron = setInterval(tick, 1000 / hz());
  engine.config.onChange('hz', () => {
    if (cron) clearInterval(cron);
    cron = setInterval(tick, 1000 / hz());
  });

  // Clients may connect while the data set loads: they get -LOADING until it is done.
  // startServer() resolves after it (on 'ready').
  try {
    await persistence.load();
  } catch (e) {
    log('warning', e instanceof Error ? e.message : String(e));
    if (cron) clearInterval(cron);
    rings.close();
    await listener.close();
    throw e;
  }
  log('notice', `Ready to accept connections${port ? ` tcp ${engine.config.get('bind')}:${port}` : ''}${unixsocket ? ` unix ${unixsocket}` : ''}${nativesocket ? ` native ${nativesocket}` : ''}`);
  post({ type: 'ready', port, unixsocket, nativesocket, handle: rings.handle });
  return shutdown;
}

if (!isMainThread && parentPort && (workerData as { nodisOwner?: boolean } | undefined)?.nodisOwner) {
  const port = parentPort;
  const options = (workerData as { options: OwnerOptions }).options;
  runOwner(options, (m) => port.postMessage(m)).then(
    (shutdown) => {
      port.on('message', (m: { type?: string }) => {
        if (m.type === 'shutdown') void shutdown();
      });
    },
    (e: unknown) => {
      port.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e) });
    },
  );
}
