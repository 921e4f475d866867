/**
 * Activation spill files: under PCACE_SPILL_DIR, refused up front with the
 * numbers when the disk is too small, removed with a killed model process,
 * and orphans of dead workers removed when a worker starts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../helpers/db';
import { PIPELINE_DIR } from '../helpers/reference';
import { startWorker, waitFor } from '../helpers/worker-process';
import { DEFAULT_ANALYSIS } from '../../lib/analysis/defaults';
import { AnalysisCancelled, runAnalysis } from '../../lib/analysis/run-analysis';
import { runAnalysisSandboxed } from '../../lib/analysis/sandboxed';
import type { AnalysisSpec } from '../../lib/analysis/types';
import { PcaceInputError } from '../../lib/pcace/validate';

const testDb = useTestDatabase();

const spec: AnalysisSpec = {
  ...DEFAULT_ANALYSIS,
  layers: ['conv1'],
  images: 40,
  rankBy: 'multiple',
  crossFitRepeats: 0,
  nullPermutations: 0,
  model: { path: path.join(PIPELINE_DIR, 'mnist_cnn.onnx'), format: 'onnx' },
  dataset: { kind: 'mnist', split: 'test', digit: 3 },
  target: { kind: 'class', index: 3 },
};
/** conv1 for 40 images is 3.4 MB: far over this budget, so its channel chunks spill. */
const TINY_BUDGET = 100_000;

let root = '';
const saved = process.env.PCACE_SPILL_DIR;
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'pcace-spill-test-'));
  process.env.PCACE_SPILL_DIR = root;
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});
afterAll(() => {
  if (saved === undefined) delete process.env.PCACE_SPILL_DIR;
  else process.env.PCACE_SPILL_DIR = saved;
});

function spillFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.f32'));
}

describe('activation spill', () => {
  it('spills under PCACE_SPILL_DIR and leaves nothing behind', async () => {
    let seen = 0;
    const result = await runAnalysis(spec, {
      memoryBudgetBytes: TINY_BUDGET,
      threads: 1,
      onProgress: (p) => {
        if (p.phase === 'statistics') seen = Math.max(seen, spillFiles(root).length);
      },
    });
    expect(seen).toBeGreaterThan(0);
    expect(result.layers[0].channels).toHaveLength(32);
    expect(readdirSync(root)).toEqual([]);
  }, 120_000);

  it('refuses before the pass when the spill disk is too small, with the numbers', async () => {
    // A 1 MB tmpfs where this machine allows mounting one; else the same figure through the seam.
    const small = path.join(root, 'small');
    mkdirSync(small);
    const mounted = process.getuid?.() === 0 && spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', small]).status === 0;
    try {
      const run = runAnalysis(spec, { memoryBudgetBytes: TINY_BUDGET, threads: 1, spillDir: small, freeSpace: mounted ? undefined : () => 1 << 20 });
      await expect(run).rejects.toBeInstanceOf(PcaceInputError);
      await expect(run).rejects.toThrow(/needs 3 MB, the spill disk \(PCACE_SPILL_DIR\) has 1 MB free/);
      expect(spillFiles(small)).toEqual([]);
    } finally {
      if (mounted) execFileSync('umount', [small]);
    }
  }, 120_000);

  it('removes a killed model process\'s spill folder', async () => {
    let stop = false;
    let seen = 0;
    let pid = 0;
    const run = runAnalysisSandboxed(spec, {
      threads: 1,
      memoryBudgetBytes: TINY_BUDGET,
      shouldStop: () => stop,
      onStart: (p) => (pid = p),
      onProgress: (p) => {
        if (p.phase !== 'statistics') return;
        seen = spillFiles(root).length;
        if (seen > 0) stop = true;
      },
    });
    await expect(run).rejects.toBeInstanceOf(AnalysisCancelled);
    expect(seen).toBeGreaterThan(0);
    expect(pid).toBeGreaterThan(0);
    expect(() => process.kill(pid, 0)).toThrow();
    expect(readdirSync(root)).toEqual([]);
  }, 120_000);

  it('removes the folders of dead workers on this host when a worker starts', async () => {
    const host = hostname().replace(/[^\w.-]/g, '_');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const orphan = path.join(root, `${host}-${dead}-0a0a0a0a`, 'analysis-x');
    mkdirSync(orphan, { recursive: true });
    writeFileSync(path.join(orphan, 'conv1-0-0.f32'), new Uint8Array(4096));
    const live = path.join(root, `${host}-${process.pid}-1b1b1b1b`);
    const elsewhere = path.join(root, `another-machine-${dead}-2c2c2c2c`);
    mkdirSync(live);
    mkdirSync(elsewhere);
    const w = startWorker({ DATABASE_URL: testDb.current.url, STORAGE_DIR: testDb.current.storageDir, PCACE_SPILL_DIR: root }, 'w-spill');
    try {
      await waitFor('the worker to be ready', async () => w.output().includes('ready'), 60_000);
      expect(w.output()).toContain(`removed the orphaned spill folder ${host}-${dead}-0a0a0a0a`);
      expect(existsSync(path.dirname(orphan))).toBe(false);
      // A live worker's folder and another machine's stay (the worker's own model process has one too).
      expect(existsSync(live)).toBe(true);
      expect(existsSync(elsewhere)).toBe(true);
    } finally {
      w.child.kill('SIGTERM');
      await w.exited;
    }
  }, 120_000);
});
