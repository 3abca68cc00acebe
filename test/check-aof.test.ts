import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AofBatchBuilder, SnapshotJob, createTestEngine } from '@nodis/engine';
import { checkAof as checkAofInProcess } from '../packages/server/src/persist/check-aof.js';

/**
 * `nodis-server --check-aof [--fix] FILE` (packages/server/src/persist/check-aof.ts), run as
 * the built binary (packages/server/dist/bin.js: `npx turbo run build` first) on files made
 * with the engine's own encoders: valid, truncated at every byte of the last batch, damaged in
 * the middle, random bytes, a damaged batch length, a Redis-style file without checksums, and
 * a manifest directory (snapshot base + incr files). stdin is a pipe, so --fix never asks.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
const serverBin = path.join(here, '..', 'packages', 'server', 'dist', 'bin.js');
const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'nodis-check-aof-'));
let seq = 0;

beforeAll(() => {
  if (!fs.existsSync(serverBin)) throw new Error(`${serverBin} is missing: run npx turbo run build --output-logs=errors-only`);
});
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));

interface Run { code: number | null; out: string }

function checkAof(...args: string[]): Run {
  const r = spawnSync(process.execPath, [serverBin, '--check-aof', ...args], { input: '', encoding: 'utf8', timeout: 20_000 });
  if (r.error) throw r.error;
  return { code: r.status, out: r.stdout + r.stderr };
}

function file(name: string, bytes: Buffer): string {
  const dir = path.join(tmpRoot, `case-${++seq}`);
  fs.mkdirSync(dir, { recursive: true });
  const f = path.join(dir, name);
  fs.writeFileSync(f, bytes);
  return f;
}

/** Batches of one command each, as the AOF writes them (a SELECT in the first only). */
function batches(n: number, db = 0): Buffer[] {
  const builder = new AofBatchBuilder();
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    builder.append(db, ['SET', `key:${i}`, `value-${i}-\r\n-binary\x00\xff`]);
    out.push(builder.take());
  }
  return out;
}

const lines = (b: Buffer, upTo: number) => b.subarray(0, upTo).toString('latin1').split('\n').length;

function analyzed(name: string, size: number, okUpTo: number, line: number): string {
  return `AOF analyzed: filename=${name}, size=${size}, ok_up_to=${okUpTo}, ok_up_to_line=${line}, diff=${size - okUpTo}`;
}

describe('nodis-server --check-aof on one incr file', () => {
  const parts = batches(4);
  const whole = Buffer.concat(parts);

  it('reports a valid file as valid (exit 0) in redis-check-aof\'s words', () => {
    const f = file('valid.aof', whole);
    const r = checkAof(f);
    expect(r.code).toBe(0);
    expect(r.out).toContain(analyzed(f, whole.length, whole.length, lines(whole, whole.length)));
    expect(r.out).toContain(`AOF ${f} is valid`);
  });

  it('reports an empty file as empty and valid', () => {
    const f = file('empty.aof', Buffer.alloc(0));
    const r = checkAof(f);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`AOF ${f} is empty`);
  });

  it('finds a tail cut at every byte of the last batch (in-process), and --fix truncates it to the batches before', async () => {
    const before = whole.length - parts[3]!.length;
    // Every offset through the function the binary runs (a process per offset costs seconds)...
    for (let cut = before + 1; cut < whole.length; cut++) {
      const f = file('torn.aof', whole.subarray(0, cut));
      const r = await checkAofInProcess(f);
      expect(r.exitCode, `cut at ${cut}`).toBe(1);
      expect(r.output, `cut at ${cut}`).toContain(analyzed(f, cut, before, lines(whole, before)));
      expect(r.output).toContain('torn tail');
      expect(fs.statSync(f).size).toBe(cut);
    }
    // ...and a few through the binary: inside the checksum line, just after it, inside the body.
    const header = parts[3]!.indexOf('\r\n') + 2;
    for (const cut of [before + 3, before + header, before + header + 7, whole.length - 1]) {
      const f = file('torn.aof', whole.subarray(0, cut));
      const r = checkAof(f);
      expect(r.code, `cut at ${cut}`).toBe(1);
      expect(r.out).toContain(analyzed(f, cut, before, lines(whole, before)));
      expect(r.out).toContain(`AOF ${f} is not valid. Use the --fix option to try fixing it.`);
      const fixed = checkAof('--fix', f);
      expect(fixed.code).toBe(0);
      expect(fixed.out).toContain(`This will shrink the AOF ${f} from ${cut} bytes, with ${cut - before} bytes, to ${before} bytes`);
      expect(fixed.out).toContain('(stdin is not a terminal: --fix goes ahead without asking)');
      expect(fixed.out).toContain(`Successfully truncated AOF ${f}`);
      expect(fs.readFileSync(f).equals(whole.subarray(0, before))).toBe(true);
      expect(checkAof(f).code).toBe(0);
    }
  });

  it('asks before truncating when a confirm callback is given (a terminal), and a No keeps the file', async () => {
    const before = whole.length - parts[3]!.length;
    const f = file('ask.aof', whole.subarray(0, whole.length - 2));
    const questions: string[] = [];
    const no = await checkAofInProcess(f, { fix: true, confirm: async (q) => { questions.push(q); return false; } });
    expect(questions).toEqual(['Continue? [y/N]: ']);
    expect(no.exitCode).toBe(1);
    expect(no.output).toContain('Aborting...');
    expect(fs.statSync(f).size).toBe(whole.length - 2);
    const yes = await checkAofInProcess(f, { fix: true, confirm: async () => true });
    expect(yes.exitCode).toBe(0);
    expect(fs.statSync(f).size).toBe(before);
  });

  it('reports a damaged batch in the middle with its offset and what --fix loses; --fix truncates there', () => {
    const damagedAt = parts[0]!.length;
    const bytes = Buffer.from(whole);
    // A byte inside the second batch's value: its checksum fails, with intact batches after it.
    bytes[damagedAt + parts[1]!.length - 6]! ^= 0x20;
    const f = file('middle.aof', bytes);
    const r = checkAof(f);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`0x${damagedAt.toString(16).padStart(16)}: a batch of`);
    expect(r.out).toContain(analyzed(f, bytes.length, damagedAt, lines(bytes, damagedAt)));
    expect(r.out).toContain(`The damage at offset ${damagedAt} is before the end of the file: the server refuses to load it.`);
    expect(r.out).toContain(`From offset ${damagedAt + parts[1]!.length} on, 2 commands in 2 batches pass their checksums: --fix drops them too.`);
    expect(r.out).toContain('is not valid. Use the --fix option to try fixing it.');

    const fixed = checkAof(f, '--fix');
    expect(fixed.code).toBe(0);
    expect(fixed.out).toContain(`Everything after offset ${damagedAt} is lost, not only the damaged batch.`);
    expect(fixed.out).toContain(`Successfully truncated AOF ${f}`);
    expect(fs.readFileSync(f).equals(whole.subarray(0, damagedAt))).toBe(true);
    expect(checkAof(f).out).toContain(`AOF ${f} is valid`);
  });

  it('reports a batch whose length was damaged past the end as damage, not as a torn tail', () => {
    // The third batch claims more bytes than the file holds: it looks torn, but the fourth
    // batch is intact after it (the loader would otherwise drop an acknowledged write).
    const third = parts[2]!.toString('latin1');
    const header = third.slice(0, third.indexOf('\r\n'));
    const length = Number(header.split(' ')[2]);
    const damaged = header.replace(/ \d+$/, ` ${length + parts[3]!.length + 100}`);
    const bytes = Buffer.concat([parts[0]!, parts[1]!, Buffer.from(damaged + third.slice(header.length), 'latin1'), parts[3]!]);
    const at = parts[0]!.length + parts[1]!.length;
    const f = file('length.aof', bytes);
    const r = checkAof(f);
    expect(r.code).toBe(1);
    expect(r.out).toContain(analyzed(f, bytes.length, at, lines(bytes, at)));
    expect(r.out).not.toContain('torn tail');
    expect(r.out).toContain(`The damage at offset ${at} is before the end of the file`);
    expect(r.out).toContain(`From offset ${at + damaged.length + 2 + length} on, 1 command in 1 batch pass their checksums`);
  });

  it('reports random bytes as not valid from offset 0; --fix empties the file', () => {
    const bytes = Buffer.alloc(300);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 151 + 7) & 0xff;
    bytes[0] = 0xe0;
    const f = file('random.aof', bytes);
    const r = checkAof(f);
    expect(r.code).toBe(1);
    expect(r.out).toContain(analyzed(f, 300, 0, 1));
    expect(r.out).toContain('bad file format');
    const fixed = checkAof('--fix', f);
    expect(fixed.code).toBe(0);
    expect(fs.statSync(f).size).toBe(0);
  });

  it('reads a Redis-style file without checksum lines, and finds its truncated last command', () => {
    const resp = '*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nset\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$4\r\nincr\r\n$1\r\nc\r\n';
    const valid = file('redis.aof', Buffer.from(resp, 'latin1'));
    expect(checkAof(valid).code).toBe(0);
    const cut = resp.length - 5;
    const torn = file('redis-torn.aof', Buffer.from(resp.slice(0, cut), 'latin1'));
    const r = checkAof(torn);
    expect(r.code).toBe(1);
    const ok = resp.indexOf('*2\r\n$4');
    expect(r.out).toContain(analyzed(torn, cut, ok, resp.slice(0, ok).split('\n').length));
  });

  it('prints the usage and exits 1 without a file, and says so when the file is missing', () => {
    const usage = checkAof();
    expect(usage.code).toBe(1);
    expect(usage.out).toContain('Usage: nodis-server --check-aof [--fix]');
    const missing = checkAof(path.join(tmpRoot, 'nope.aof'));
    expect(missing.code).toBe(1);
    expect(missing.out).toContain('No such file or directory');
  });
});

describe('nodis-server --check-aof on a manifest (appendonlydir)', () => {
  /** A base snapshot (3 keys, one with a TTL, one in db 5) and two incr files. */
  function makeDir(): { dir: string; incr1: Buffer; incr2: Buffer } {
    const dir = path.join(tmpRoot, `aofdir-${++seq}`);
    fs.mkdirSync(dir, { recursive: true });
    const { engine, run } = createTestEngine();
    run('SET', 'a', '1');
    run('SET', 'b', '2', 'PX', '3600000');
    run('SELECT', '5');
    run('RPUSH', 'list', 'x', 'y');
    const chunks: Buffer[] = [];
    const job = new SnapshotJob(engine, { write: (b) => chunks.push(Buffer.from(b)), server: 'test' });
    job.step(Infinity);
    fs.writeFileSync(path.join(dir, 'appendonly.aof.1.base.snapshot'), Buffer.concat(chunks));
    const incr1 = Buffer.concat(batches(3));
    const incr2 = Buffer.concat(batches(2, 3));
    fs.writeFileSync(path.join(dir, 'appendonly.aof.1.incr.aof'), incr1);
    fs.writeFileSync(path.join(dir, 'appendonly.aof.2.incr.aof'), incr2);
    fs.writeFileSync(path.join(dir, 'appendonly.aof.manifest'),
      'file appendonly.aof.1.base.snapshot seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\nfile appendonly.aof.2.incr.aof seq 2 type i\n');
    return { dir, incr1, incr2 };
  }

  it('checks the base snapshot and every incr file, given the directory or the manifest', () => {
    const { dir, incr2 } = makeDir();
    // The appendonlydir, its manifest, or the data directory that holds the appendonlydir.
    const dataDir = path.join(tmpRoot, `data-${++seq}`);
    fs.mkdirSync(dataDir);
    fs.cpSync(dir, path.join(dataDir, 'appendonlydir'), { recursive: true });
    for (const target of [dir, path.join(dir, 'appendonly.aof.manifest'), dataDir]) {
      const r = checkAof(target);
      expect(r.code, r.out).toBe(0);
      expect(r.out).toContain('Start checking Multi Part AOF');
      expect(r.out).toContain('[info] 3 keys read');
      expect(r.out).toContain('[info] 1 expires');
      expect(r.out).toContain('BASE AOF appendonly.aof.1.base.snapshot is valid');
      expect(r.out).toContain('INCR AOF appendonly.aof.1.incr.aof is valid');
      expect(r.out).toContain(analyzed('appendonly.aof.2.incr.aof', incr2.length, incr2.length, lines(incr2, incr2.length)));
      expect(r.out).toContain('All AOF files and manifest are valid');
    }
  });

  it('truncates only the last incr file with --fix', () => {
    const { dir, incr1, incr2 } = makeDir();
    const last = path.join(dir, 'appendonly.aof.2.incr.aof');
    fs.truncateSync(last, incr2.length - 3);
    expect(checkAof(dir).code).toBe(1);
    const fixed = checkAof('--fix', dir);
    expect(fixed.code, fixed.out).toBe(0);
    expect(fixed.out).toContain('Successfully truncated AOF appendonly.aof.2.incr.aof');
    expect(fixed.out).toContain('All AOF files and manifest are valid');
    expect(fs.statSync(last).size).toBe(batches(2, 3)[0]!.length);

    const first = path.join(dir, 'appendonly.aof.1.incr.aof');
    fs.truncateSync(first, incr1.length - 3);
    const refused = checkAof('--fix', dir);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain('Failed to truncate AOF appendonly.aof.1.incr.aof because it is not the last file');
    expect(fs.statSync(first).size).toBe(incr1.length - 3);
    // Named on its own (as the server's error message names it), it is still not the last file.
    const alone = checkAof('--fix', first);
    expect(alone.code).toBe(1);
    expect(alone.out).toContain(`Failed to truncate AOF ${first} because it is not the last file`);
    expect(fs.statSync(first).size).toBe(incr1.length - 3);
  });

  it('refuses a damaged base snapshot (it cannot be fixed) and a missing file', () => {
    const { dir } = makeDir();
    const base = path.join(dir, 'appendonly.aof.1.base.snapshot');
    const bytes = fs.readFileSync(base);
    bytes[bytes.length - 40]! ^= 0x01;
    fs.writeFileSync(base, bytes);
    const r = checkAof('--fix', dir);
    expect(r.code).toBe(1);
    expect(r.out).toContain('--- SNAPSHOT ERROR DETECTED ---');
    expect(r.out).toContain('The snapshot base of the AOF is not sane, aborting.');
    expect(fs.readFileSync(base).equals(bytes)).toBe(true);

    const other = makeDir().dir;
    fs.rmSync(path.join(other, 'appendonly.aof.2.incr.aof'));
    const missing = checkAof(other);
    expect(missing.code).toBe(1);
    expect(missing.out).toMatch(/Cannot open file .*appendonly\.aof\.2\.incr\.aof: No such file or directory, aborting/);
  });

  it('rejects a manifest it cannot parse', () => {
    const { dir } = makeDir();
    fs.writeFileSync(path.join(dir, 'appendonly.aof.manifest'), 'file appendonly.aof.1.incr.aof seq x type i\n');
    const r = checkAof(dir);
    expect(r.code).toBe(1);
    expect(r.out).toContain('Invalid AOF manifest file format');
  });
});
