/**
 * Verdicts through the real path: `pcace rank` runs the model, scores the
 * channels on worker threads, builds each layer's pooled permutation null and
 * writes p, q (per layer and network-wide), beats_noise, effects, Monte Carlo
 * errors, rank confidence sets and the verdict rule into results.json.
 * With default options the demo MNIST CNN's class-3 score beats noise in most
 * conv2 channels, while a target independent of the same kind of images
 * (seeded Gaussian values in a CSV beside real MNIST digits) flags almost none.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AnalysisResult } from '../../lib/analysis/types';
import { mnistImage } from '../../lib/datasets/mnist';
import { benjaminiHochberg } from '../../lib/pcace/multiple-testing';
import { randomTarget } from '../../bench/real-layers';
import { encode, writeFiles } from '../fixtures/datasets/images';
import { pcace, ROOT } from '../helpers/cli';

const tmp = mkdtempSync(path.join(tmpdir(), 'pcace-verdicts-'));
const MNIST_CNN = path.join(ROOT, 'models/demo/mnist-cnn.onnx');

/** `count` MNIST test digits as PNGs with a seeded standard-normal target each: a response independent of the images. */
async function randomTargetCsv(count: number, seed: number): Promise<string> {
  const dir = path.join(tmp, `random-${seed}`);
  const y = randomTarget(count, seed);
  const files: Record<string, Buffer> = {};
  const rows = ['image,target'];
  for (let i = 0; i < count; i++) {
    const img = mnistImage('test', i);
    files[`digits/${i}.png`] = await encode(img.data, img.width, img.height, 1);
    rows.push(`digits/${i}.png,${y[i]}`);
  }
  writeFiles(dir, { ...files, 'targets.csv': rows.join('\n') });
  return path.join(dir, 'targets.csv');
}

/** Channels with beats_noise per layer: [name, flagged, channels]. */
const flagged = (r: AnalysisResult) => r.layers.map((l) => [l.name, l.channels.filter((c) => c.beats_noise).length, l.channels.length] as const);

describe('pcace rank verdicts', () => {
  it('writes per-channel verdicts, network q-values and the rule of every layer', async () => {
    const out = path.join(tmp, 'v.json');
    const { code, stderr } = await pcace([
      'rank', '--model', MNIST_CNN, '--data', 'mnist:3', '--n', '80', '--components', '3',
      '--crossfit-cap', '4', '--null', '12', '--bootstrap', '5', '--threads', '2', '--quiet', '--out', out,
    ]);
    expect(code, stderr).toBe(0);
    const result = JSON.parse(readFileSync(out, 'utf8')) as AnalysisResult;
    const allP: number[] = [];
    for (const layer of result.layers) {
      expect(layer.verdict_rule!.text).toBe('q < 0.05 (BH per layer) against a pooled permutation null of the cross-fitted score, B = 12 (normal-fit tail beyond the largest draw)');
      expect(layer.null).toMatchObject({ B: 12, pooled: true });
      // The null's quantiles, in order.
      const { q50, q95, q99, max } = layer.null!;
      expect(q50).toBeLessThanOrEqual(q95);
      expect(q95).toBeLessThanOrEqual(q99);
      expect(q99).toBeLessThanOrEqual(max);
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

  it('with default options: most conv2 channels beat noise for class 3, almost none for a random target', async () => {
    const real = path.join(tmp, 'class3.json');
    const a = await pcace(['rank', '--model', MNIST_CNN, '--data', 'mnist:3', '--quiet', '--out', real]);
    expect(a.code, a.stderr).toBe(0);
    const r = JSON.parse(readFileSync(real, 'utf8')) as AnalysisResult;
    expect(r.dataset.images).toBe(300);
    expect(r.layers.every((l) => l.verdict_rule?.text.startsWith('q < 0.05 (BH per layer) against a pooled permutation null of the cross-fitted score'))).toBe(true);
    const [, conv2Beats, conv2Channels] = flagged(r)[1];
    expect(conv2Channels).toBe(64);
    expect(conv2Beats, JSON.stringify(flagged(r))).toBeGreaterThan(conv2Channels / 2);

    const noise = path.join(tmp, 'random.json');
    const b = await pcace(['rank', '--model', MNIST_CNN, '--data', await randomTargetCsv(300, 1), '--regression', '--target', 'dataset', '--quiet', '--out', noise]);
    expect(b.code, b.stderr).toBe(0);
    const n = JSON.parse(readFileSync(noise, 'utf8')) as AnalysisResult;
    expect(n.dataset.images).toBe(300);
    expect(n.layers.every((l) => l.verdict_rule !== undefined)).toBe(true);
    console.log(`beats noise [layer, flagged, channels]: class 3 ${JSON.stringify(flagged(r))}; random target ${JSON.stringify(flagged(n))}`);
    // "Almost none": at most 5 % of the 96 channels (the benchmark's criterion for the mean over seeds).
    const total = flagged(n).reduce((s, [, f]) => s + f, 0);
    expect(total, JSON.stringify(flagged(n))).toBeLessThanOrEqual(Math.floor(0.05 * 96));
    expect(flagged(n)[1][1]).toBeLessThan(conv2Beats / 10);
  }, 600_000);

  it('exits 2 with a clear message on bad verdict options', async () => {
    for (const [flag, value, msg] of [['--alpha', '1.5', /--alpha must lie in \(0, 1\)/], ['--null', '2', /--null must be 'auto', 0 or an integer ≥ 3/]] as const) {
      const { code, stderr } = await pcace(['rank', '--model', MNIST_CNN, '--data', 'mnist:3', flag, value, '--out', path.join(tmp, 'x.json')]);
      expect(code).toBe(2);
      expect(stderr).toMatch(msg);
    }
  }, 120_000);
});
