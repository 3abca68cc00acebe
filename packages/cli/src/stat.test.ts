import { describe, expect, it } from 'vitest';
import { bytesToHuman, formatFixed2 } from '@nodis/protocol';
import { infoNumber, STAT_HEADER, statLine } from './stat.js';
import { formatLatency } from './latency.js';

/*
 * --stat's and --latency's formatting. Expected strings are redis-cli 7.0.15's: the header and
 * column widths as `redis-cli --stat` printed them (cat -A), and %.2f as glibc's printf prints
 * it (`printf '%.2f' 1.125` → 1.12: exact ties round to even).
 */

const INFO = [
  '# Server', 'redis_version:7.0.15', '', '# Clients', 'connected_clients:3', 'blocked_clients:1', '',
  '# Memory', 'used_memory:1142784', 'used_memory_human:1.09M', '',
  '# Persistence', 'loading:0', 'rdb_bgsave_in_progress:1', 'aof_rewrite_in_progress:0', '',
  '# Stats', 'total_connections_received:21', 'total_commands_processed:31', '',
  '# Keyspace', 'db0:keys=1,expires=0,avg_ttl=0', 'db3:keys=12,expires=2,avg_ttl=0', 'db15:keys=100,expires=0,avg_ttl=0', '',
].join('\r\n');

describe('--stat', () => {
  it('prints redis-cli\'s header', () => {
    expect(STAT_HEADER).toBe('------- data ------ --------------------- load -------------------- - child -\n'
      + 'keys       mem      clients blocked requests            connections          \n');
  });

  it('lays a line out in redis-cli\'s columns, +0 before a previous total, SAVE while a child saves', () => {
    expect(statLine(INFO, 0)).toEqual({ text: '113        1.09M    3       1       31 (+0)             21          SAVE', requests: 31 });
    expect(statLine(INFO, 29).text).toContain('31 (+2)             21');
    // Redis 7.0 names it rdb_bgsave_in_progress: redis-cli's substring lookup still finds it.
    expect(statLine(INFO.replace('rdb_bgsave_in_progress:1', 'rdb_bgsave_in_progress:0'), 0).text.endsWith('21          ')).toBe(true);
    expect(statLine(INFO.replace('loading:0', 'loading:1').replace('rdb_bgsave_in_progress:1', 'rdb_bgsave_in_progress:0'), 0).text.endsWith('LOAD')).toBe(true);
  });

  it('a field the server lacks counts as 0', () => {
    expect(statLine('# Server\r\nredis_version:7.0.15\r\n', 0).text).toBe('0          0B       0       0       0 (+0)              0           ');
  });

  it('reads INFO fields as redis-cli: first occurrence, up to CR or comma, as strtol', () => {
    expect(infoNumber(INFO, 'db3:keys')).toBe(12);
    expect(infoNumber(INFO, 'used_memory')).toBe(1142784);
    expect(infoNumber(INFO, 'nope')).toBeUndefined();
    expect(infoNumber('x:12abc\r\n', 'x')).toBe(12);
  });

  it('prints sizes as Redis\'s bytesToHuman', () => {
    expect(['1023B', '1.00K', '1.12K', '1.38K', '1.09M', '1.00G', '2.50T'])
      .toEqual([1023, 1024, 1152, 1408, 1142784, 1024 ** 3, 2.5 * 1024 ** 4].map(bytesToHuman));
    expect(bytesToHuman(0)).toBe('0B');
  });

  it('%.2f rounds an exact tie to even, and anything else to nearest', () => {
    expect([0.125, 0.375, 0.625, 0.875, 2.5, 0.126, 0.07, 1 / 3, 0].map(formatFixed2)).toEqual(['0.12', '0.38', '0.62', '0.88', '2.50', '0.13', '0.07', '0.33', '0.00']);
  });
});

describe('--latency lines', () => {
  it('has redis-cli\'s format for every output mode', () => {
    expect(formatLatency({ output: 'standard' }, 0, 1, 0.19, 339)).toBe('min: 0, max: 1, avg: 0.19 (339 samples)');
    expect(formatLatency({ output: 'raw' }, 0, 1, 0.125, 8)).toBe('0 1 0.12 8\n');
    expect(formatLatency({ output: 'csv' }, 0, 1, 0.18, 98)).toBe('0,1,0.18,98\n');
    expect(formatLatency({ output: 'json' }, 0, 2, 0.07, 99)).toBe('{"min": 0, "max": 2, "avg": 0.07, "count": 99}\n');
    expect(formatLatency({ output: 'quoted-json' }, 0, 2, 0.07, 99)).toBe('');
  });
});
