/**
 * A test file's analysis of the constructed network (tests/fixtures/constructed-network.ts)
 * through the real path (runAnalysis, its ONNX model process): run once before the file's
 * tests in a temporary directory, which is removed after them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { OptionName } from '../../lib/analysis/options';
import { runAnalysis } from '../../lib/analysis/run-analysis';
import type { AnalysisResult } from '../../lib/analysis/types';
import { constructedSpec, writeConstructedFixture } from '../fixtures/constructed-network';

/**
 * Registers the analysis of `images` constructed images (drawn with `seed`) with `options`
 * (one thread, one model thread); returns what reads, inside the tests, its result and the
 * temporary directory (for more files that are to go when the tests end).
 */
export function useConstructedAnalysis(prefix: string, images: number, seed: number, options: Partial<Record<OptionName, unknown>>, timeoutMs: number): { result: () => AnalysisResult; dir: () => string } {
  let dir = '';
  let result: AnalysisResult | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), prefix));
    const files = writeConstructedFixture(dir, images, seed);
    result = await runAnalysis(constructedSpec(files, { images, ...options }), { threads: 1, modelThreads: 1 });
  }, timeoutMs);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return { result: () => result!, dir: () => dir };
}
