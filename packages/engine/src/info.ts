import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { bytesToHuman } from '@nodis/protocol';
import type { Client } from './client.js';
import type { Engine } from './engine.js';

/**
 * INFO's text and CLIENT LIST's lines, in Redis 7.0's formats (field names, order, `# Section`
 * headers, CRLF). Values come from engine state; what nodis does not have (replication, forks,
 * allocator internals) reads as Redis reports it when idle. The host adds or overrides fields
 * through engine.hooks.info().
 */

/** What HELLO and INFO report as the Redis version, so clients gating features on it behave. */
export const REDIS_COMPAT_VERSION = '7.0.15';
/** nodis's own version (INFO server `nodis_version`). */
export const NODIS_VERSION = '0.1.0';

type Fields = [string, string | number][];

/** Every section in output order, with its INFO name and header. */
const SECTIONS = [
  ['server', 'Server'], ['clients', 'Clients'], ['memory', 'Memory'], ['persistence', 'Persistence'],
  ['stats', 'Stats'], ['replication', 'Replication'], ['cpu', 'CPU'], ['modules', 'Modules'],
  ['commandstats', 'Commandstats'], ['errorstats', 'Errorstats'], ['latencystats', 'Latencystats'],
  ['cluster', 'Cluster'], ['keyspace', 'Keyspace'],
] as const;

type SectionName = (typeof SECTIONS)[number][0];

const DEFAULT_SECTIONS: ReadonlySet<string> = new Set<SectionName>([
  'server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'modules',
  'errorstats', 'cluster', 'keyspace',
]);

/** Per-engine values that INFO keeps between calls. */
interface InfoState { runId: string; replId: string; peakMemory: number }
const states = new WeakMap<Engine, InfoState>();
function stateOf(engine: Engine): InfoState {
  let s = states.get(engine);
  if (!s) {
    s = { runId: randomBytes(20).toString('hex'), replId: randomBytes(20).toString('hex'), peakMemory: 0 };
    states.set(engine, s);
  }
  return s;
}

/**
 * The INFO reply for the requested section names (none = `default`); `all` is every section,
 * `everything` too (nodis has no module sections). Unknown names are ignored, as in Redis.
 */
export function infoText(engine: Engine, requested: readonly string[]): string {
  const wanted = new Set<string>();
  const extra = engine.hooks.info?.() ?? {};
  const extraNames = Object.keys(extra).map((s) => s.toLowerCase());
  const names = requested.length === 0 ? ['default'] : requested.map((s) => s.toLowerCase());
  for (const name of names) {
    if (name === 'default') { for (const s of DEFAULT_SECTIONS) wanted.add(s); for (const s of extraNames) wanted.add(s); }
    else if (name === 'all' || name === 'everything') {
      for (const [s] of SECTIONS) wanted.add(s);
      for (const s of extraNames) wanted.add(s);
    } else wanted.add(name);
  }
  const parts: string[] = [];
  const emit = (header: string, fields: Fields): void => {
    let text = `# ${header}\r\n`;
    for (const [k, v] of fields) text += `${k}:${v}\r\n`;
    parts.push(text);
  };
  for (const [name, header] of SECTIONS) {
    if (!wanted.has(name)) continue;
    emit(header, merge(sectionFields(engine, name), extra[name]));
  }
  // Sections only the host knows, after ours, headed by their name capitalised.
  for (const [name, fields] of Object.entries(extra)) {
    const lower = name.toLowerCase();
    if (SECTIONS.some(([s]) => s === lower) || !wanted.has(lower)) continue;
    emit(name.charAt(0).toUpperCase() + name.slice(1), Object.entries(fields));
  }
  return parts.join('\r\n');
}

/** Host fields replace ours in place; new ones follow ours. */
function merge(fields: Fields, extra: Record<string, string | number> | undefined): Fields {
  if (!extra) return fields;
  const index = new Map(fields.map(([k], i) => [k, i]));
  for (const [k, v] of Object.entries(extra)) {
    const i = index.get(k);
    if (i === undefined) fields.push([k, v]);
    else fields[i] = [k, v];
  }
  return fields;
}

function sectionFields(engine: Engine, name: SectionName): Fields {
  switch (name) {
    case 'server': return serverFields(engine);
    case 'clients': return clientsFields(engine);
    case 'memory': return memoryFields(engine);
    case 'persistence': return persistenceFields(engine);
    case 'stats': return statsFields(engine);
    case 'replication': return replicationFields(engine);
    case 'cpu': return cpuFields();
    case 'cluster': return [['cluster_enabled', 0]];
    case 'keyspace': return keyspaceFields(engine);
    // Per-command and per-error statistics are not kept (yet): the sections are present but empty.
    case 'modules': case 'commandstats': case 'errorstats': case 'latencystats': return [];
  }
}

function serverFields(engine: Engine): Fields {
  const now = engine.clock();
  const uptime = Math.max(0, Math.floor((now - engine.stats.startTime) / 1000));
  const hz = engine.config.get('hz');
  return [
    ['redis_version', REDIS_COMPAT_VERSION],
    ['redis_git_sha1', '00000000'],
    ['redis_git_dirty', 0],
    ['redis_build_id', '0'],
    ['redis_mode', 'standalone'],
    ['os', `${os.type()} ${os.release()} ${os.machine()}`],
    ['arch_bits', process.arch.endsWith('64') ? 64 : 32],
    ['monotonic_clock', 'POSIX clock_gettime'],
    ['multiplexing_api', 'libuv'],
    ['atomicvar_api', 'c11-builtin'],
    ['gcc_version', '0.0.0'],
    ['process_id', process.pid],
    ['process_supervised', 'no'],
    ['run_id', stateOf(engine).runId],
    ['tcp_port', engine.config.get('port')],
    ['server_time_usec', Math.floor(now * 1000)],
    ['uptime_in_seconds', uptime],
    ['uptime_in_days', Math.floor(uptime / 86400)],
    ['hz', hz],
    ['configured_hz', hz],
    ['lru_clock', Math.floor(now / 1000) & 0xffffff],
    ['executable', process.execPath],
    ['config_file', ''],
    ['io_threads_active', 0],
    ['nodis_version', NODIS_VERSION],
    ['node_version', process.versions.node],
  ];
}

function clientsFields(engine: Engine): Fields {
  return [
    ['connected_clients', engine.clients.size],
    ['cluster_connections', 0],
    ['maxclients', engine.config.get('maxclients')],
    ['client_recent_max_input_buffer', 0],
    ['client_recent_max_output_buffer', 0],
    ['blocked_clients', engine.blocking.blockedCount],
    ['tracking_clients', 0],
    ['clients_in_timeout_table', 0],
  ];
}

function memoryFields(engine: Engine): Fields {
  const mem = process.memoryUsage();
  const used = mem.heapUsed + mem.external;
  const state = stateOf(engine);
  state.peakMemory = Math.max(state.peakMemory, used);
  const peak = state.peakMemory;
  const maxmemory = engine.config.getNumber('maxmemory');
  const total = os.totalmem();
  const ratio = (a: number, b: number): string => (b > 0 ? a / b : 0).toFixed(2);
  return [
    ['used_memory', used],
    ['used_memory_human', bytesToHuman(used)],
    ['used_memory_rss', mem.rss],
    ['used_memory_rss_human', bytesToHuman(mem.rss)],
    ['used_memory_peak', peak],
    ['used_memory_peak_human', bytesToHuman(peak)],
    ['used_memory_peak_perc', `${((used * 100) / peak).toFixed(2)}%`],
    ['used_memory_overhead', 0],
    ['used_memory_startup', 0],
    ['used_memory_dataset', used],
    ['used_memory_dataset_perc', '100.00%'],
    ['allocator_allocated', mem.heapUsed],
    ['allocator_active', mem.heapTotal],
    ['allocator_resident', mem.rss],
    ['total_system_memory', total],
    ['total_system_memory_human', bytesToHuman(total)],
    ['used_memory_lua', 0],
    ['used_memory_vm_eval', 0],
    ['used_memory_lua_human', '0B'],
    ['used_memory_scripts_eval', 0],
    ['number_of_cached_scripts', 0],
    ['number_of_functions', 0],
    ['number_of_libraries', 0],
    ['used_memory_vm_functions', 0],
    ['used_memory_vm_total', 0],
    ['used_memory_vm_total_human', '0B'],
    ['used_memory_functions', 0],
    ['used_memory_scripts', 0],
    ['used_memory_scripts_human', '0B'],
    ['maxmemory', maxmemory],
    ['maxmemory_human', bytesToHuman(maxmemory)],
    ['maxmemory_policy', engine.config.get('maxmemory-policy')],
    ['allocator_frag_ratio', ratio(mem.heapTotal, mem.heapUsed)],
    ['allocator_frag_bytes', mem.heapTotal - mem.heapUsed],
    ['allocator_rss_ratio', ratio(mem.rss, mem.heapTotal)],
    ['allocator_rss_bytes', mem.rss - mem.heapTotal],
    ['rss_overhead_ratio', '1.00'],
    ['rss_overhead_bytes', 0],
    ['mem_fragmentation_ratio', ratio(mem.rss, used)],
    ['mem_fragmentation_bytes', mem.rss - used],
    ['mem_not_counted_for_evict', 0],
    ['mem_replication_backlog', 0],
    ['mem_total_replication_buffers', 0],
    ['mem_clients_slaves', 0],
    ['mem_clients_normal', 0],
    ['mem_cluster_links', 0],
    ['mem_aof_buffer', 0],
    ['mem_allocator', `v8-${process.versions.v8}`],
    ['active_defrag_running', 0],
    ['lazyfree_pending_objects', 0],
    ['lazyfreed_objects', 0],
  ];
}

/** Persistence as an engine without a host sees it; the host's persistence overrides these fields. */
function persistenceFields(engine: Engine): Fields {
  return [
    ['loading', 0],
    ['async_loading', 0],
    ['current_cow_peak', 0],
    ['current_cow_size', 0],
    ['current_cow_size_age', 0],
    ['current_fork_perc', '0.00'],
    ['current_save_keys_processed', 0],
    ['current_save_keys_total', 0],
    ['rdb_changes_since_last_save', 0],
    ['rdb_bgsave_in_progress', 0],
    ['rdb_last_save_time', Math.floor(engine.stats.startTime / 1000)],
    ['rdb_last_bgsave_status', 'ok'],
    ['rdb_last_bgsave_time_sec', -1],
    ['rdb_current_bgsave_time_sec', -1],
    ['rdb_saves', 0],
    ['rdb_last_cow_size', 0],
    ['rdb_last_load_keys_expired', 0],
    ['rdb_last_load_keys_loaded', 0],
    ['aof_enabled', engine.config.get('appendonly') === 'yes' ? 1 : 0],
    ['aof_rewrite_in_progress', 0],
    ['aof_rewrite_scheduled', 0],
    ['aof_last_rewrite_time_sec', -1],
    ['aof_current_rewrite_time_sec', -1],
    ['aof_last_bgrewrite_status', 'ok'],
    ['aof_rewrites', 0],
    ['aof_rewrites_consecutive_failures', 0],
    ['aof_last_write_status', 'ok'],
    ['aof_last_cow_size', 0],
    ['module_fork_in_progress', 0],
    ['module_fork_last_cow_size', 0],
  ];
}

function statsFields(engine: Engine): Fields {
  const s = engine.stats;
  return [
    ['total_connections_received', s.totalConnections],
    ['total_commands_processed', s.totalCommands],
    ['instantaneous_ops_per_sec', 0],
    ['total_net_input_bytes', s.netInputBytes],
    ['total_net_output_bytes', s.netOutputBytes],
    ['total_net_repl_input_bytes', 0],
    ['total_net_repl_output_bytes', 0],
    ['instantaneous_input_kbps', '0.00'],
    ['instantaneous_output_kbps', '0.00'],
    ['instantaneous_input_repl_kbps', '0.00'],
    ['instantaneous_output_repl_kbps', '0.00'],
    ['rejected_connections', s.rejectedConnections],
    ['sync_full', 0],
    ['sync_partial_ok', 0],
    ['sync_partial_err', 0],
    ['expired_keys', s.expiredKeys],
    ['expired_stale_perc', '0.00'],
    ['expired_time_cap_reached_count', 0],
    ['expire_cycle_cpu_milliseconds', 0],
    ['evicted_keys', 0],
    ['evicted_clients', 0],
    ['total_eviction_exceeded_time', 0],
    ['current_eviction_exceeded_time', 0],
    ['keyspace_hits', s.keyspaceHits],
    ['keyspace_misses', s.keyspaceMisses],
    ['pubsub_channels', engine.pubsub.channels.size],
    ['pubsub_patterns', engine.pubsub.patterns.size],
    ['pubsubshard_channels', engine.pubsub.shardChannels.size],
    ['latest_fork_usec', 0],
    ['total_forks', 0],
    ['migrate_cached_sockets', 0],
    ['slave_expires_tracked_keys', 0],
    ['active_defrag_hits', 0],
    ['active_defrag_misses', 0],
    ['active_defrag_key_hits', 0],
    ['active_defrag_key_misses', 0],
    ['total_active_defrag_time', 0],
    ['current_active_defrag_time', 0],
    ['tracking_total_keys', 0],
    ['tracking_total_items', 0],
    ['tracking_total_prefixes', 0],
    ['unexpected_error_replies', 0],
    ['total_error_replies', 0],
    ['dump_payload_sanitizations', 0],
    ['total_reads_processed', 0],
    ['total_writes_processed', 0],
    ['io_threaded_reads_processed', 0],
    ['io_threaded_writes_processed', 0],
    ['reply_buffer_shrinks', 0],
    ['reply_buffer_expands', 0],
  ];
}

function replicationFields(engine: Engine): Fields {
  return [
    ['role', 'master'],
    ['connected_slaves', 0],
    ['master_failover_state', 'no-failover'],
    ['master_replid', stateOf(engine).replId],
    ['master_replid2', '0000000000000000000000000000000000000000'],
    ['master_repl_offset', 0],
    ['second_repl_offset', -1],
    ['repl_backlog_active', 0],
    ['repl_backlog_size', 1048576],
    ['repl_backlog_first_byte_offset', 0],
    ['repl_backlog_histlen', 0],
  ];
}

function cpuFields(): Fields {
  const cpu = process.cpuUsage();
  const seconds = (us: number): string => (us / 1e6).toFixed(6);
  return [
    ['used_cpu_sys', seconds(cpu.system)],
    ['used_cpu_user', seconds(cpu.user)],
    ['used_cpu_sys_children', '0.000000'],
    ['used_cpu_user_children', '0.000000'],
    ['used_cpu_sys_main_thread', seconds(cpu.system)],
    ['used_cpu_user_main_thread', seconds(cpu.user)],
  ];
}

function keyspaceFields(engine: Engine): Fields {
  const out: Fields = [];
  for (const db of engine.dbs) {
    const keys = db.size;
    if (keys === 0) continue;
    out.push([`db${db.index}`, `keys=${keys},expires=${db.expiresCount},avg_ttl=0`]);
  }
  return out;
}

/** Redis's fixed per-client reply buffer; replies beyond it go to a list of 16 KiB blocks. */
const REPLY_BUFFER = 16 * 1024;

/**
 * One CLIENT LIST / CLIENT INFO line (with its trailing newline), fields in Redis 7.0's order.
 * Output figures are read as Redis lays them out: the first 16 KiB of unsent replies in the
 * fixed buffer (obl), the rest as blocks of 16 KiB (oll, omem). Other buffer and memory
 * figures nodis does not track read 0.
 */
export function clientInfoLine(client: Client, now: number): string {
  let flags = '';
  const subs = client.pubsub;
  if (subs !== undefined && subs.total !== 0) flags += 'P';
  if (client.multi !== undefined) flags += 'x';
  if (client.blocked) flags += 'b';
  if (client.watch?.dirty === true) flags += 'd';
  if (client.closeAfterReply) flags += 'c';
  if (client.kind === 'unix') flags += 'U';
  if (client.noEvict) flags += 'e';
  if (flags === '') flags = 'N';
  const age = Math.max(0, Math.floor((now - client.createdAt) / 1000));
  const idle = Math.max(0, Math.floor((now - client.lastInteraction) / 1000));
  const output = client.outputBytes?.() ?? 0;
  const obl = Math.min(output, REPLY_BUFFER);
  const omem = output - obl;
  const oll = Math.ceil(omem / REPLY_BUFFER);
  return `id=${client.id} addr=${client.addr} laddr=${client.laddr} fd=${client.fd} name=${client.name}`
    + ` age=${age} idle=${idle} flags=${flags} db=${client.db.index} sub=${subs?.channels.size ?? 0} psub=${subs?.patterns.size ?? 0} ssub=${subs?.shardChannels.size ?? 0} multi=${client.multi?.commands.length ?? -1}`
    + ` qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=${obl} oll=${oll} omem=${omem} tot-mem=${omem} events=r`
    + ` cmd=${client.lastCommand} user=default redir=-1 resp=${client.protocol}\n`;
}
