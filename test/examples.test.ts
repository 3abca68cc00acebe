import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The examples are documentation that runs: each one is started as its own Node process, the
 * way its README says (`node examples/.../main.mjs` from the repository root, against the built
 * packages), and must exit 0 and print its exact totals. The examples check their totals
 * themselves too; asserting the printed line here keeps their output honest as well.
 */

const root = fileURLToPath(new URL('..', import.meta.url));

/** code is null when the process was killed (the timeout): signal says by what. */
interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

function runExample(script: string): Promise<Run> {
  return new Promise((resolve) => {
    // The examples run plain Node against dist/: vitest's `--conditions source` must not leak in.
    const env = { ...process.env, NODE_OPTIONS: '' };
    execFile(process.execPath, [script], { cwd: root, env, timeout: 15_000, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, signal: error?.signal ?? null, stdout, stderr });
    });
  });
}

/** The output's lines, for exact comparisons. */
const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');

describe('examples', () => {
  it('piscina-pool: tasks share counters and a work queue, totals exact', async () => {
    const r = await runExample('examples/piscina-pool/main.mjs');
    expect(r.code, `exit ${r.code ?? r.signal}; stderr:\n${r.stderr}`).toBe(0);
    const out = lines(r.stdout);
    expect(out).toContain('tasks run: 8 produce, 2 consume');
    expect(out).toContain('jobs: 200 queued, 200 done, 200 results, 0 pending');
    expect(out).toContain('totals: tasks=10 jobs=200 results=200 sum=2686700 pending=0');
    // The consumers split the 200 jobs between them, whichever way the race went.
    const split = out.find((l) => l.startsWith('jobs per consumer: '));
    const counts = /^jobs per consumer: (\d+), (\d+) /.exec(split ?? '');
    expect(counts).not.toBeNull();
    expect(Number(counts![1]) + Number(counts![2])).toBe(200);
  });

  it('worker-threads-hash: HINCRBY from 4 workers loses nothing, HGETALL printed', async () => {
    const r = await runExample('examples/worker-threads-hash/main.mjs');
    expect(r.code, `exit ${r.code ?? r.signal}; stderr:\n${r.stderr}`).toBe(0);
    // Worker i starts its page rotation at page i, so the split per page is fixed.
    expect(lines(r.stdout)).toEqual([
      'hits:/         1334',
      'hits:/about    1333',
      'hits:/pricing  1333',
      'worker:0       done 1000',
      'worker:1       done 1000',
      'worker:2       done 1000',
      'worker:3       done 1000',
      'totals: hits=4000 workers done=4/4',
    ]);
  });
});
