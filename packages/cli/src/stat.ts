import { setTimeout as sleep } from 'node:timers/promises';
import { bytesToHuman, ReplyError, ReplyVerbatim, type Reply } from '@nodis/protocol';
import type { CliOptions } from './options.js';
import { ReconnectingSession } from './reconnect.js';

/**
 * --stat: redis-cli's rolling statistics, one line per -i seconds (default 1) from INFO, a
 * header every 20 lines, until interrupted:
 *
 *   ------- data ------ --------------------- load -------------------- - child -
 *   keys       mem      clients blocked requests            connections
 *   3          1.09M    1       0       29 (+1)             21
 *
 * Columns and widths are redis-cli 7.0's (printf %-11s %-8s ' %-8s' %-8s %-19s ' %-12s'),
 * fields are looked up in the INFO text as redis-cli does (the first occurrence of the name),
 * and the request delta is +0 until a previous total is known. A field the server lacks counts
 * as 0 (redis-cli would print LONG_MIN).
 */
export async function runStat(o: CliOptions): Promise<number> {
  const session = await ReconnectingSession.open(o);
  if (session === undefined) return 1;
  const intervalMs = (o.interval > 0 ? o.interval : 1) * 1000;
  let requests = 0;
  for (let line = 0; ; line++) {
    const reply = await session.send(['INFO']);
    if (reply instanceof ReplyError) {
      process.stderr.write(`ERROR: ${reply.message}\n`);
      await session.close();
      return 1;
    }
    const info = textOf(reply);
    if (line % 20 === 0) process.stdout.write(STAT_HEADER);
    const { text, requests: total } = statLine(info, requests);
    requests = total;
    process.stdout.write(`${text}\n`);
    await sleep(intervalMs);
  }
}

export const STAT_HEADER =
  '------- data ------ --------------------- load -------------------- - child -\n'
  + 'keys       mem      clients blocked requests            connections          \n';

/** One data line from an INFO text, given the previous total of commands (0: none yet). */
export function statLine(info: string, previousRequests: number): { text: string; requests: number } {
  let keys = 0;
  for (let db = 0; db < 20; db++) keys += infoNumber(info, `db${db}:keys`) ?? 0;
  const field = (name: string): number => infoNumber(info, name) ?? 0;
  const requests = field('total_commands_processed');
  const children = field('bgsave_in_progress') | (field('aof_rewrite_in_progress') << 1) | (field('loading') << 2);
  const text = String(keys).padEnd(11)
    + bytesToHuman(field('used_memory')).padEnd(8)
    + ` ${String(field('connected_clients')).padEnd(8)}`
    + String(field('blocked_clients')).padEnd(8)
    + `${requests} (+${previousRequests === 0 ? 0 : requests - previousRequests})`.padEnd(19)
    + ` ${String(field('total_connections_received')).padEnd(12)}`
    + (CHILDREN[children] ?? '');
  return { text, requests };
}

const CHILDREN: Record<number, string> = { 1: 'SAVE', 2: 'AOF', 3: 'SAVE+AOF', 4: 'LOAD' };

/**
 * redis-cli's getLongInfoField: the text after the FIRST occurrence of `name` and one more
 * character, up to a CR or a comma, as strtol reads it; undefined when the name is absent.
 * (A substring match, so `bgsave_in_progress` finds `rdb_bgsave_in_progress`, as it does for redis-cli.)
 */
export function infoNumber(info: string, name: string): number | undefined {
  const at = info.indexOf(name);
  if (at === -1) return undefined;
  const from = at + name.length + 1;
  let to = from;
  while (to < info.length && info[to] !== '\r' && info[to] !== ',' && info[to] !== '\n') to++;
  const m = /^\s*([+-]?\d+)/.exec(info.slice(from, to));
  return m ? Number(m[1]) : 0;
}

/** INFO's text, whatever shape the protocol gave it (a RESP3 verbatim string under -3). */
function textOf(reply: Reply): string {
  if (typeof reply === 'string') return reply;
  if (reply instanceof ReplyVerbatim) return reply.text;
  if (reply instanceof Uint8Array) return Buffer.from(reply).toString('latin1');
  return String(reply);
}
