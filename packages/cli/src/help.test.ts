import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAvailable, startRedis, type RedisProcess } from '../../../test/helpers/redis.js';
import { RespTestClient } from '../../../test/helpers/resp-client.js';
import { CommandTable } from './docs.js';
import { commandHelp, helpText } from './help.js';

// The expected texts below are the exact bytes redis-cli 7.0.15 wrote in its REPL on a
// terminal (connected to redis-server 7.0.15; recorded through tmux pipe-pane, line endings
// checked in a run with the tty's onlcr off, so "\r\n" and "\n" are redis-cli's own): the general help uses "\n", a
// command's help "\r\n", bold names, dim (90) parameters, yellow (33) labels.

const REDIS_CLI_GENERAL_HELP =
  'redis-cli 7.0.15\n'
  + 'To get help about Redis commands type:\n'
  + '      "help @<group>" to get a list of commands in <group>\n'
  + '      "help <command>" for help on <command>\n'
  + '      "help <tab>" to get a list of possible help topics\n'
  + '      "quit" to exit\n'
  + '\n'
  + 'To set redis-cli preferences:\n'
  + '      ":set hints" enable online hints\n'
  + '      ":set nohints" disable online hints\n'
  + 'Set your preferences in ~/.redisclirc\n';

const HELP_SET =
  '\r\n'
  + '  \x1b[1mSET\x1b[0m \x1b[90mkey value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]\x1b[0m\r\n'
  + '  \x1b[33msummary:\x1b[0m Set the string value of a key\r\n'
  + '  \x1b[33msince:\x1b[0m 1.0.0\r\n'
  + '  \x1b[33mgroup:\x1b[0m string\r\n'
  + '\r\n';

const HELP_CONFIG_GET =
  '\r\n'
  + '  \x1b[1mCONFIG GET\x1b[0m \x1b[90mparameter [parameter ...]\x1b[0m\r\n'
  + '  \x1b[33msummary:\x1b[0m Get the values of configuration parameters\r\n'
  + '  \x1b[33msince:\x1b[0m 2.0.0\r\n'
  + '  \x1b[33mgroup:\x1b[0m server\r\n'
  + '\r\n';

const HELP_CONFIG =
  '\r\n'
  + '  \x1b[1mCONFIG\x1b[0m \x1b[90m\x1b[0m\r\n'
  + '  \x1b[33msummary:\x1b[0m A container for server configuration commands\r\n'
  + '  \x1b[33msince:\x1b[0m 2.0.0\r\n'
  + '  \x1b[33mgroup:\x1b[0m server\r\n'
  + '\r\n'
  + '  \x1b[1mCONFIG GET\x1b[0m \x1b[90mparameter [parameter ...]\x1b[0m\r\n'
  + '  \x1b[33msummary:\x1b[0m Get the values of configuration parameters\r\n'
  + '  \x1b[33msince:\x1b[0m 2.0.0\r\n'
  + '  \x1b[33mgroup:\x1b[0m server\r\n'
  + '\r\n'
  + '  \x1b[1mCONFIG HELP\x1b[0m \x1b[90m\x1b[0m\r\n'
  + '  \x1b[33msummary:\x1b[0m Show helpful text about the different subcommands\r\n'
  + '  \x1b[33msince:\x1b[0m 5.0.0\r\n'
  + '  \x1b[33mgroup:\x1b[0m server\r\n'
  + '\r\n'
  + '  \x1b[1mCONFIG RESETSTAT\x1b[0m \x1b[90m\x1b[0m\r\n'
  + '  \x1b[33msummary:\x1b[0m Reset the stats returned by INFO\r\n'
  + '  \x1b[33msince:\x1b[0m 2.0.0\r\n'
  + '  \x1b[33mgroup:\x1b[0m server\r\n'
  + '\r\n'
  + '  \x1b[1mCONFIG REWRITE\x1b[0m \x1b[90m\x1b[0m\r\n'
  + '  \x1b[33msummary:\x1b[0m Rewrite the configuration file with the in memory configuration\r\n'
  + '  \x1b[33msince:\x1b[0m 2.8.0\r\n'
  + '  \x1b[33mgroup:\x1b[0m server\r\n'
  + '\r\n'
  + '  \x1b[1mCONFIG SET\x1b[0m \x1b[90mparameter value [parameter value ...]\x1b[0m\r\n'
  + '  \x1b[33msummary:\x1b[0m Set configuration parameters to the given values\r\n'
  + '  \x1b[33msince:\x1b[0m 2.0.0\r\n'
  + '  \x1b[33mgroup:\x1b[0m server\r\n'
  + '\r\n';

const HELP_AT_HASH =
  '\r\n'
  + '  \x1b[1mHDEL\x1b[0m \x1b[90mkey field [field ...]\x1b[0m\r\n'
  + '  \x1b[33msummary:\x1b[0m Delete one or more hash fields\r\n'
  + '  \x1b[33msince:\x1b[0m 2.0.0\r\n'
  + '\r\n'
  + '  \x1b[1mHEXISTS\x1b[0m \x1b[90mkey field\x1b[0m\r\n'
  + '  \x1b[33msummary:\x1b[0m Determine if a hash field exists\r\n'
  + '  \x1b[33msince:\x1b[0m 2.0.0\r\n'
  + '\r\n'
  + '  \x1b[1mHGET\x1b[0m \x1b[90mkey field\x1b[0m\r\n'
  + '  \x1b[33msummary:\x1b[0m Get the value of a hash field\r\n'
  + '  \x1b[33msince:\x1b[0m 2.0.0\r\n'
  + '\r\n'
  + '  \x1b[1mHGETALL\x1b[0m \x1b[90mkey\x1b[0m\r\n'
  + '  \x1b[33msummary:\x1b[0m Get all the fields and values in a hash\r\n'
  + '  \x1b[33msince:\x1b[0m 2.0.0\r\n'
  + '\r\n'
  + '  \x1b[1mHINCRBY\x1b[0m \x1b[90mkey field increment\x1b[0m\r\n'
  + '  \x1b[33msummary:\x1b[0m Increment the integer value of a hash field by the given number\r\n'
  + '  \x1b[33msince:\x1b[0m 2.0.0\r\n'
  + '\r\n'
  + '  \x1b[1mHINCRBYFLOAT\x1b[0m \x1b[90mkey field increment\x1b[0m\r\n'
  + '  \x1b[33msummary:\x1b[0m Increment the float value of a hash field by the given amount\r\n'
  + '  \x1b[33msince:\x1b[0m 2.6.0\r\n'
  + '\r\n'
  + '  \x1b[1mHKEYS\x1b[0m \x1b[90mkey\x1b[0m\r\n'
  + '  \x1b[33msummary:\x1b[0m Get all the fields in a hash\r\n'
  + '  \x1b[33msince:\x1b[0m 2.0.0\r\n'
  + '\r\n'
  + '  \x1b[1mHLEN\x1b[0m \x1b[90mkey\x1b[0m\r\n'
  + '  \x1b[33msummary:\x1b[0m Get the number of fields in a hash\r\n'
  + '  \x1b[33msince:\x1b[0m 2.0.0\r\n'
  + '\r\n'
  + '  \x1b[1mHMGET\x1b[0m \x1b[90mkey field [field ...]\x1b[0m\r\n'
  + '  \x1b[33msummary:\x1b[0m Get the values of all the given hash fields\r\n'
  + '  \x1b[33msince:\x1b[0m 2.0.0\r\n'
  + '\r\n'
  + '  \x1b[1mHMSET\x1b[0m \x1b[90mkey field value [field value ...]\x1b[0m\r\n'
  + '  \x1b[33msummary:\x1b[0m Set multiple hash fields to multiple values\r\n'
  + '  \x1b[33msince:\x1b[0m 2.0.0\r\n'
  + '\r\n'
  + '  \x1b[1mHRANDFIELD\x1b[0m \x1b[90mkey [count [WITHVALUES]]\x1b[0m\r\n'
  + '  \x1b[33msummary:\x1b[0m Get one or multiple random fields from a hash\r\n'
  + '  \x1b[33msince:\x1b[0m 6.2.0\r\n'
  + '\r\n'
  + '  \x1b[1mHSCAN\x1b[0m \x1b[90mkey cursor [MATCH pattern] [COUNT count]\x1b[0m\r\n'
  + '  \x1b[33msummary:\x1b[0m Incrementally iterate hash fields and associated values\r\n'
  + '  \x1b[33msince:\x1b[0m 2.8.0\r\n'
  + '\r\n'
  + '  \x1b[1mHSET\x1b[0m \x1b[90mkey field value [field value ...]\x1b[0m\r\n'
  + '  \x1b[33msummary:\x1b[0m Set the string value of a hash field\r\n'
  + '  \x1b[33msince:\x1b[0m 2.0.0\r\n'
  + '\r\n'
  + '  \x1b[1mHSETNX\x1b[0m \x1b[90mkey field value\x1b[0m\r\n'
  + '  \x1b[33msummary:\x1b[0m Set the value of a hash field, only if the field does not exist\r\n'
  + '  \x1b[33msince:\x1b[0m 2.0.0\r\n'
  + '\r\n'
  + '  \x1b[1mHSTRLEN\x1b[0m \x1b[90mkey field\x1b[0m\r\n'
  + '  \x1b[33msummary:\x1b[0m Get the length of the value of a hash field\r\n'
  + '  \x1b[33msince:\x1b[0m 3.2.0\r\n'
  + '\r\n'
  + '  \x1b[1mHVALS\x1b[0m \x1b[90mkey\x1b[0m\r\n'
  + '  \x1b[33msummary:\x1b[0m Get all the values in a hash\r\n'
  + '  \x1b[33msince:\x1b[0m 2.0.0\r\n'
  + '\r\n';

/** redis-cli's general help with our name in it (the rest is redis-cli's word for word). */
const GENERAL_HELP = REDIS_CLI_GENERAL_HELP
  .replace('redis-cli 7.0.15', 'nodis-cli 0.1.0')
  .replace('To set redis-cli preferences', 'To set nodis-cli preferences')
  .replace('~/.redisclirc', '~/.nodisclirc');

describe('helpText', () => {
  const table = CommandTable.fromSpecs();

  it('prints the general help for `help` alone', () => {
    expect(GENERAL_HELP).not.toBe(REDIS_CLI_GENERAL_HELP);
    expect(helpText(table, [], '0.1.0')).toBe(GENERAL_HELP);
  });

  it('prints a command, case-insensitively', () => {
    expect(helpText(table, ['set'], '0.1.0')).toBe(HELP_SET);
    expect(helpText(table, ['SeT'], '0.1.0')).toBe(HELP_SET);
  });

  it('prints a subcommand, by two words (and by config|get, a nodis addition)', () => {
    expect(helpText(table, ['config', 'get'], '0.1.0')).toBe(HELP_CONFIG_GET);
    expect(helpText(table, ['CONFIG', 'Get'], '0.1.0')).toBe(HELP_CONFIG_GET);
    expect(helpText(table, ['config|get'], '0.1.0')).toBe(HELP_CONFIG_GET);
  });

  it('prints a container with all its subcommands', () => {
    expect(helpText(table, ['config'], '0.1.0')).toBe(HELP_CONFIG);
  });

  it('prints a group without the group lines, case-insensitively', () => {
    expect(helpText(table, ['@hash'], '0.1.0')).toBe(HELP_AT_HASH);
    expect(helpText(table, ['@HASH', 'ignored'], '0.1.0')).toBe(HELP_AT_HASH);
  });

  it('prints an empty line for an unknown topic, as redis-cli does', () => {
    for (const words of [['nosuch'], ['@nosuch'], ['config', 'nosuch'], ['set', 'extra'], ['config', 'get', 'extra'], ['@']]) {
      expect(helpText(table, words, '0.1.0')).toBe('\r\n');
    }
  });

  it('leaves out the since line when the server did not give one', () => {
    const text = commandHelp({ name: 'X', summary: 's', since: '', group: 'g', arguments: [], subcommands: [] }, true);
    expect(text).toBe('\r\n  \x1b[1mX\x1b[0m \x1b[90m\x1b[0m\r\n  \x1b[33msummary:\x1b[0m s\r\n  \x1b[33mgroup:\x1b[0m g\r\n');
  });
});

describe.skipIf(!redisAvailable)('helpText from a real redis-server\'s COMMAND DOCS', () => {
  let redis: RedisProcess;
  let table: CommandTable;
  beforeAll(async () => {
    redis = await startRedis();
    const client = await RespTestClient.connect(redis.port);
    table = new CommandTable();
    table.addCommandDocs(await client.call('COMMAND', 'DOCS'));
    client.close();
  });
  afterAll(async () => { await redis?.stop(); });

  it('is byte for byte what redis-cli printed', () => {
    expect(helpText(table, ['set'], '0.1.0')).toBe(HELP_SET);
    expect(helpText(table, ['config', 'get'], '0.1.0')).toBe(HELP_CONFIG_GET);
    expect(helpText(table, ['config'], '0.1.0')).toBe(HELP_CONFIG);
    expect(helpText(table, ['@hash'], '0.1.0')).toBe(HELP_AT_HASH);
    expect(helpText(table, ['nosuch'], '0.1.0')).toBe('\r\n');
  });
});
