import { setTimeout as sleep } from 'node:timers/promises';
import { formatFixed2 } from '@nodis/protocol';
import type { CliOptions } from './options.js';
import { ReconnectingSession } from './reconnect.js';

/**
 * --latency and --latency-history: PING round trips, one every 10 ms, in whole milliseconds
 * (redis-cli 7.0 measures with mstime(), so a fast server reads as min 0, max 0 or 1).
 *
 *  - On a terminal (output `standard`): a live line, rewritten in place with ESC[0G ESC[2K:
 *      min: 0, max: 1, avg: 0.19 (339 samples)
 *    until Ctrl-C; with --latency-history, every -i seconds (default 15) the line is closed
 *    with ` -- 15.00 seconds range` and the figures start again.
 *  - Otherwise (--raw, --csv, --json, or stdout not a terminal), --latency samples for -i
 *    seconds (default 1), prints one line (`0 1 0.19 98`, `0,1,0.19,98`, or
 *    `{"min": 0, "max": 1, "avg": 0.19, "count": 98}`) and exits 0; --latency-history prints
 *    such a line after every sample and the range line every -i seconds.
 * An error reply (NOAUTH …) is a sample like any other, as in redis-cli. --quoted-json prints
 * nothing, as redis-cli 7.0 does (it has no format for it).
 */
export async function runLatency(o: CliOptions): Promise<number> {
  const session = await ReconnectingSession.open(o);
  if (session === undefined) return 1;
  const out = (s: string): void => { process.stdout.write(s); };
  const interactive = o.output === 'standard';
  const historyMs = o.interval > 0 ? o.interval * 1000 : 15_000;
  const runMs = o.interval > 0 ? o.interval * 1000 : 1000;
  let min = 0;
  let max = 0;
  let total = 0;
  let count = 0;
  let historyStart = Date.now();
  for (;;) {
    const start = Date.now();
    await session.send(['PING']);
    const latency = Date.now() - start;
    count++;
    if (count === 1) {
      min = max = total = latency;
    } else {
      if (latency < min) min = latency;
      if (latency > max) max = latency;
      total += latency;
    }
    const avg = total / count;
    if (interactive) {
      out(`\x1b[0G\x1b[2K${formatLatency(o, min, max, avg, count)}`);
    } else if (o.latencyHistory) {
      out(formatLatency(o, min, max, avg, count));
    } else if (Date.now() - historyStart > runMs) {
      out(formatLatency(o, min, max, avg, count));
      await session.close();
      return 0;
    }
    if (o.latencyHistory && Date.now() - historyStart > historyMs) {
      out(` -- ${formatFixed2((Date.now() - historyStart) / 1000)} seconds range\n`);
      historyStart = Date.now();
      min = max = total = count = 0;
    }
    await sleep(10);
  }
}

/** One report in the output's format (redis-cli's latencyModePrint). */
export function formatLatency(o: Pick<CliOptions, 'output'>, min: number, max: number, avg: number, count: number): string {
  const a = formatFixed2(avg);
  switch (o.output) {
    case 'standard': return `min: ${min}, max: ${max}, avg: ${a} (${count} samples)`;
    case 'csv': return `${min},${max},${a},${count}\n`;
    case 'raw': return `${min} ${max} ${a} ${count}\n`;
    case 'json': return `{"min": ${min}, "max": ${max}, "avg": ${a}, "count": ${count}}\n`;
    default: return '';
  }
}
