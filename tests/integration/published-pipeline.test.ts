/**
 * The published PCACE statistic on the MNIST CNN of tests/reference/pipeline, end to end:
 * onnxruntime conv activations (before ReLU) → channelPca (StandardScaler with population
 * std, PCA(k)) → acePcace2021 → |corr(φ₁, θ)|, response = logit of class 3.
 *
 * What this does and does not establish. published_scores.json is NOT reproduced to 1e-4
 * per channel, and no data path found reproduces it exactly. Searched (Python ace 0.3.3
 * rebuilt from its sources, NumPy 1.24, scikit-learn 1.2.1, torch 1.13): activations from
 * torch batched / one image at a time / channels-last / without oneDNN / oneDNN limited to
 * AVX2, AVX, SSE4.1 / float64, and from onnxruntime with and without graph optimisation;
 * logits from each of those; StandardScaler and PCA in float32 and float64 (full SVD, fit
 * then transform, arpack, randomized, NumPy SVD, covariance and Gram eigendecompositions,
 * either sign convention), OpenBLAS instead of reference LAPACK; ACE handed lists, float64
 * or float32 arrays for x and y, under NumPy 1.x and 2.x promotion. No combination
 * reproduces a whole layer: each matches some channels to 1e-7 or better (never to the
 * ~1e-12 an exact replica gives on all of them) and leaves a different third of the k = 5
 * channels off by more than 1e-4.
 *
 * The reason is the statistic, not a missing detail: Python ace's stopping rule ("repeat
 * while the error strictly decreases") and the supersmoother's per-point span choice flip
 * under float32-rounding-sized changes of its inputs. On identical PCA scores, running ACE
 * in float64 and in float32 arithmetic (both faithful to the Python package; see the
 * float32 check below) disagree by up to 3.9e-3 (conv1, k = 5) and 5.4e-2 (conv1, k = 10)
 * — as large as our distance to the published numbers. With float64 ACE on exact PCA
 * scores the published values are out of reach of any rounding-level change of the logits
 * (a linear fit over the stable channels needs coordinated changes of ~12 ulp per logit),
 * so they came from some float32 computation upstream whose exact rounding is unknown.
 *
 * So the assertions below are looser than 1e-4 on purpose and say so: they pin the
 * agreement actually achieved (rank agreement, median and maximum differences per layer
 * and k), which catches a broken pipeline, while the strict per-channel goal stays a todo.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createOnnxEngine, type OnnxEngine } from '../../lib/models/onnx-engine';
import { readNpy } from '../../lib/datasets/npy';
import { channelPca } from '../../lib/pcace/pca';
import { acePcace2021 } from '../../lib/pcace/ace/pcace2021';
import { PIPELINE_DIR } from '../helpers/reference';
import { pearson } from '../../lib/pcace/stats';

interface Published {
  class_index: number;
  layers: Record<string, { shape: number[]; k5: { scores: number[] }; k10: { scores: number[] } }>;
  conv1_weight_mean: number[];
}

const published: Published = JSON.parse(
  readFileSync(path.join(PIPELINE_DIR, 'published_scores.json'), 'utf8'),
);


function ranks(v: readonly number[]): number[] {
  const order = v.map((x, i) => [x, i] as const).sort((p, q) => p[0] - q[0]);
  const r = new Array<number>(v.length);
  order.forEach(([, i], j) => {
    r[i] = j;
  });
  return r;
}

function spearman(a: readonly number[], b: readonly number[]): number {
  const ra = ranks(a);
  const rb = ranks(b);
  const n = a.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += (ra[i] - rb[i]) ** 2;
  return 1 - (6 * s) / (n * (n * n - 1));
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))];
}

/**
 * Agreement achieved with float64 ACE (the default), measured on this machine; the bounds
 * leave room for ~2× drift, far below what a wrong layer, class, PCA or ACE would give
 * (those move the median by 1e-2 and more).
 */
const ACHIEVED: Record<string, { median: number; max: number; spearman: number; within1e4: number }> = {
  conv1_k5: { median: 3e-5, max: 8e-3, spearman: 0.99, within1e4: 14 },   // 1.1e-5, 3.9e-3, 0.998, 18/32
  conv1_k10: { median: 3e-3, max: 0.1, spearman: 0.97, within1e4: 1 },     // 1.3e-3, 5.3e-2, 0.986, 3/32
  conv2_k5: { median: 1e-5, max: 5e-3, spearman: 0.999, within1e4: 45 },   // 2.7e-6, 2.1e-3, 0.9998, 51/64
  conv2_k10: { median: 1e-3, max: 0.15, spearman: 0.97, within1e4: 14 },   // 4.1e-4, 7.7e-2, 0.987, 20/64
};

describe('the published PCACE pipeline on the MNIST CNN', () => {
  let engine: OnnxEngine;
  const scores = new Map<string, number[]>();

  beforeAll(async () => {
    engine = await createOnnxEngine(path.join(PIPELINE_DIR, 'mnist_cnn.onnx'));
    const inputs = readNpy(path.join(PIPELINE_DIR, 'inputs_digit3.npy'));
    const n = inputs.shape[0];
    const { output, activations } = await engine.run(inputs.data, n, ['conv1', 'conv2']);
    const classes = output.dims[1];
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) y[i] = output.data[i * classes + published.class_index];

    for (const layer of ['conv1', 'conv2']) {
      const t = activations.get(layer)!;
      const [, channels, h, w] = t.dims;
      const positions = h * w;
      const maps = new Float64Array(n * positions);
      for (const k of [5, 10]) scores.set(`${layer}_k${k}`, []);
      for (let c = 0; c < channels; c++) {
        for (let i = 0; i < n; i++) {
          const src = (i * channels + c) * positions;
          for (let p = 0; p < positions; p++) maps[i * positions + p] = t.data[src + p];
        }
        for (const k of [5, 10]) {
          const pca = channelPca(maps, n, positions, k);
          const fit = acePcace2021(pca.scores, y);
          scores.get(`${layer}_k${k}`)!.push(Math.abs(pearson(fit.tx[0], fit.ty)));
        }
      }
    }
  });

  afterAll(async () => {
    await engine?.dispose();
  });

  it('has the published conv1 weight means (the reverse-channel criterion)', () => {
    const conv1 = engine.listConvLayers()[0];
    expect(conv1.name).toBe('conv1');
    const wm = conv1.weightMean!;
    expect(wm).toHaveLength(32);
    // The published means are float32 NumPy means; ours are float64.
    for (let c = 0; c < 32; c++) expect(Math.abs(wm[c] - published.conv1_weight_mean[c])).toBeLessThan(1e-7);
  });

  it('scores every channel of conv1 and conv2 for k = 5 and k = 10', () => {
    expect(published.layers.conv1.shape).toEqual([300, 32, 26, 26]);
    expect(published.layers.conv2.shape).toEqual([300, 64, 24, 24]);
    for (const layer of ['conv1', 'conv2']) {
      for (const k of [5, 10]) {
        const ours = scores.get(`${layer}_k${k}`)!;
        expect(ours).toHaveLength(published.layers[layer].shape[1]);
        for (const v of ours) expect(v >= 0 && v <= 1).toBe(true);
      }
    }
  });

  for (const layer of ['conv1', 'conv2']) {
    for (const k of [5, 10] as const) {
      const key = `${layer}_k${k}`;
      it(`reproduces the published ${layer} scores for k = ${k} up to the statistic's own instability (not 1e-4 per channel)`, () => {
        const ours = scores.get(key)!;
        const ref = published.layers[layer][`k${k}`].scores;
        const diffs = ours.map((v, c) => Math.abs(v - ref[c])).sort((a, b) => a - b);
        const bound = ACHIEVED[key];
        expect(quantile(diffs, 0.5)).toBeLessThan(bound.median);
        expect(diffs[diffs.length - 1]).toBeLessThan(bound.max);
        expect(diffs.filter((d) => d < 1e-4).length).toBeGreaterThanOrEqual(bound.within1e4);
        expect(spearman(ours, ref)).toBeGreaterThan(bound.spearman);
      });
    }
  }

  it.todo(
    'every channel within 1e-4 of published_scores.json — not reachable: the published numbers depend on ' +
      'float32 rounding upstream of ACE that could not be identified (see the header of this file)',
  );
});

/**
 * The float32 precision of the pcace-2021 flavour against Python ace 0.3.3 handed NumPy
 * float32 arrays (NumPy 1.24): expected values were computed with the Python package on
 * exactly these inputs. The same data in float64 gives a different fit (one more inner
 * sweep), so the check tells the two precisions apart.
 */
describe('acePcace2021 precision float32 against Python ace on float32 arrays', () => {
  // Park–Miller draws (exact in float64 in both languages), then float32 values.
  const n = 200;
  const x: Float64Array[] = [new Float64Array(n), new Float64Array(n), new Float64Array(n)];
  const y = new Float64Array(n);
  let state = 20210;
  const draw = () => {
    state = (16807 * state) % 2147483647;
    return state / 2147483647;
  };
  for (let i = 0; i < n; i++) {
    const u1 = draw();
    const u2 = draw();
    const u3 = draw();
    const u4 = draw();
    x[0][i] = Math.fround(u1 * 4 - 2);
    x[1][i] = Math.fround(u2 * 4 - 2);
    x[2][i] = Math.fround(u3 - 0.5);
    y[i] = Math.fround(x[0][i] * x[0][i] + 0.5 * x[1][i] + 0.25 * u4);
  }

  it('builds the same float32 inputs as the Python run', () => {
    expect(x[0][0]).toBe(-1.3673163652420044);
    expect(y[0]).toBe(1.706742286682129);
    expect(y[199]).toBe(1.0603259801864624);
  });

  /** What the Python run printed for one fit: iteration counts, θ at rows 0, 1 and 199, each φ at row 7, |cor(φ₁, θ)|. */
  const expectFit = (fit: ReturnType<typeof acePcace2021>, want: { outer: number; inner: number; ty: number[]; tx7: number[]; cor: number }) => {
    expect([fit.iterations, fit.innerIterations]).toEqual([want.outer, want.inner]);
    expect([fit.ty[0], fit.ty[1], fit.ty[199]]).toEqual(want.ty);
    expect(fit.tx.map((t) => t[7])).toEqual(want.tx7);
    expect(Math.abs(Math.abs(pearson(fit.tx[0], fit.ty)) - want.cor)).toBeLessThan(1e-12);
  };

  it('matches the Python transforms bit for bit', () => {
    const want = { outer: 4, inner: 24, ty: [0.19684269190603929, -0.5788355297943022, -0.32449283863655604], tx7: [-0.7499168682576458, -0.7219666812740675, -0.007997590492917478], cor: 0.8910519525763317 };
    expectFit(acePcace2021(x, y, { precision: 'float32' }), want);
  });

  it('differs from the float64 fit of the same values, which matches Python on float64 lists', () => {
    const want = { outer: 4, inner: 23, ty: [0.1968475185837891, -0.5788337093346322, -0.3244901222007985], tx7: [-0.749916056055854, -0.7219705717279881, -0.00799530501872903], cor: 0.8910503678198854 };
    expectFit(acePcace2021(x, y), want);
  });

  it('rejects values that are not float32 in float32 precision', () => {
    const bad = Float64Array.from(y);
    bad[3] = 0.1;
    expect(() => acePcace2021(x, bad, { precision: 'float32' })).toThrow(/needs float32 values, but y\[3\] = 0.1/);
    expect(() => acePcace2021(x, y, { precision: 'half' as never })).toThrow(/precision must be 'float64' or 'float32'/);
  });
});
