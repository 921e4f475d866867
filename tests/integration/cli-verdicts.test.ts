/**
 * Verdicts through the real path: `pcace rank` runs the model, scores the
 * channels on worker threads, builds each layer's pooled permutation null and
 * writes p, q (per layer and network-wide), beats_noise, effects, Monte Carlo
 * errors, rank confidence sets and the verdict rule into results.json.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { AnalysisResult } from '../../lib/analysis/types';
import { benjaminiHochberg } from '../../lib/pcace/multiple-testing';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/pcace.js');
const tmp = mkdtempSync(path.join(tmpdir(), 'pcace-verdicts-'));

async function pcace(args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await run(process.execPath, [BIN, ...args], { maxBuffer: 64 << 20 });
    return { code: 0, stderr };
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

describe('pcace rank verdicts', () => {
  it('writes per-channel verdicts, network q-values and the rule of every layer', async () => {
    const out = path.join(tmp, 'v.json');
    const { code, stderr } = await pcace([
      'rank', '--model', path.join(ROOT, 'models/demo/mnist-cnn.onnx'), '--data', 'mnist:3', '--n', '80', '--components', '3',
      '--crossfit-cap', '4', '--null', '12', '--bootstrap', '5', '--threads', '2', '--quiet', '--out', out,
    ]);
    expect(code, stderr).toBe(0);
    const result = JSON.parse(readFileSync(out, 'utf8')) as AnalysisResult;
    const allP: number[] = [];
    for (const layer of result.layers) {
      expect(layer.verdict_rule!.text).toBe('q < 0.05 (BH per layer) against a pooled permutation null of the cross-fitted score, B = 12 (normal-fit tail beyond the largest draw)');
      expect(layer.null).toMatchObject({ B: 12, pooled: true });
      const p = layer.channels.map((c) => c.p_value!);
      const q = benjaminiHochberg(p);
      layer.channels.forEach((c, i) => {
        expect(c.q_value).toBeCloseTo(q[i], 14);
        expect(c.beats_noise).toBe(c.q_value! < 0.05);
        expect(c.p_value_empirical).toBeGreaterThanOrEqual(1 / 13);
        expect(c.crossfit_repeats).toBeGreaterThanOrEqual(2);
        expect(c.crossfit_repeats).toBeLessThanOrEqual(4);
        expect(c.mcse).toBeGreaterThanOrEqual(0);
        expect(c.effect_ci![0]).toBeLessThanOrEqual(c.effect!);
        expect(c.effect_ci![1]).toBeGreaterThanOrEqual(c.effect!);
        expect(c.rank_ci![0]).toBeLessThanOrEqual(c.rank);
        expect(c.rank_ci_simultaneous![0]).toBeLessThanOrEqual(c.rank_ci![0]);
        expect(c.rank_ci_simultaneous![1]).toBeGreaterThanOrEqual(c.rank_ci![1]);
      });
      allP.push(...p);
    }
    const network = benjaminiHochberg(allP);
    expect(result.layers.flatMap((l) => l.channels.map((c) => c.q_value_network))).toEqual(Array.from(network));
    // The class-3 score of a trained MNIST CNN is carried by its channels.
    expect(result.layers[1].channels.filter((c) => c.beats_noise).length).toBeGreaterThan(0);
  }, 600_000);

  it('exits 2 with a clear message on bad verdict options', async () => {
    for (const [flag, value, msg] of [['--alpha', '1.5', /--alpha must lie in \(0, 1\)/], ['--null', '2', /--null must be 'auto', 0 or an integer ≥ 3/]] as const) {
      const { code, stderr } = await pcace(['rank', '--model', path.join(ROOT, 'models/demo/mnist-cnn.onnx'), '--data', 'mnist:3', flag, value, '--out', path.join(tmp, 'x.json')]);
      expect(code).toBe(2);
      expect(stderr).toMatch(msg);
    }
  }, 120_000);
});
