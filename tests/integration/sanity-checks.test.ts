/**
 * Sanity checks through the real path (runAnalysis → ONNX graph edits → ONNX
 * Runtime → scoring) on the constructed network, where the answer is known
 * (tests/fixtures/constructed-network.ts), and the graph edits behind them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import os from 'node:os';
import path from 'node:path';
import { runAnalysis } from '../../lib/analysis/run-analysis';
import { withDefaults } from '../../lib/analysis/options';
import { NOT_ABOVE_RANDOM_FILTERS } from '../../lib/analysis/sanity';
import { decodeOnnx, findConvNodes, tensorValues } from '../../lib/models/onnx-graph';
import { addRandomFilterBranch, parameterisedLayers, randomisedModel, RANDOM_FILTERS } from '../../lib/models/randomise';
import { OnnxEngine } from '../../lib/models/onnx-engine';
import type { AnalysisResult } from '../../lib/analysis/types';
import { CONSTRUCTED_TARGET, CONSTRUCTED_TRUTH, constructedNetwork, writeConstructedFixture } from '../fixtures/constructed-network';

const norms = (bytes: Uint8Array, name: string) => {
  const p = parameterisedLayers(decodeOnnx(bytes)).find((l) => (l.convName ?? l.nodeName) === name)!;
  const w = tensorValues(p.weight)!;
  const rows = Number(p.weight.dims![0]);
  const per = w.length / rows;
  return Array.from({ length: rows }, (_, r) => Math.hypot(...w.subarray(r * per, (r + 1) * per)));
};

describe('model randomisation on the ONNX graph', () => {
  const bytes = constructedNetwork();

  it('re-draws the chosen layers with the same shapes and per-filter norms, keeping biases', () => {
    const cascade = randomisedModel(bytes, 'conv1', 'cascading', 5);
    expect(cascade.randomised).toEqual(['conv2', '/fc/Gemm']);
    const independent = randomisedModel(bytes, 'conv1', 'independent', 5);
    expect(independent.randomised).toEqual(['conv1']);
    expect(randomisedModel(bytes, 'conv2', 'cascading', 5).randomised).toEqual(['/fc/Gemm']);

    for (const name of ['conv1', 'conv2', '/fc/Gemm']) {
      const before = norms(bytes, name);
      const after = norms((name === 'conv1' ? independent : cascade).bytes, name);
      after.forEach((v, i) => expect(v).toBeCloseTo(before[i], 5));
    }
    const m = decodeOnnx(independent.bytes);
    const w = tensorValues(m.graph!.initializer!.find((t) => t.name === 'conv1.weight')!)!;
    const w0 = tensorValues(decodeOnnx(bytes).graph!.initializer!.find((t) => t.name === 'conv1.weight')!)!;
    // Channel 0 read input channel 0 only; its random twin reads all three.
    expect(Math.max(...Array.from(w.subarray(9, 27), Math.abs))).toBeGreaterThan(0.05);
    expect(Array.from(w)).not.toEqual(Array.from(w0));
    const bias = (b: Uint8Array) => Array.from(tensorValues(decodeOnnx(b).graph!.initializer!.find((t) => t.name === 'conv1.bias')!)!);
    expect(bias(independent.bytes)).toEqual(bias(bytes));
    // Zero filters stay zero (the dead constant channels).
    expect(norms(independent.bytes, 'conv1').slice(8, 10)).toEqual([0, 0]);
    // The same seed gives the same model.
    expect(randomisedModel(bytes, 'conv1', 'cascading', 5).bytes).toEqual(cascade.bytes);
  });

  it('adds a random-filter branch with the layer geometry and its non-zero norms', async () => {
    const m = decodeOnnx(bytes);
    expect(addRandomFilterBranch(m, 'conv1', 20, 3)).toBe(true);
    const convs = findConvNodes(m);
    const branch = convs.find((c) => c.name === RANDOM_FILTERS)!;
    const layer = convs.find((c) => c.name === 'conv1')!;
    expect([branch.channels, branch.kernelSize, branch.stride, branch.pads]).toEqual([20, layer.kernelSize, layer.stride, layer.pads]);
    const trained = new Set(norms(bytes, 'conv1').filter((v) => v > 0).map((v) => v.toFixed(4)));
    const edited = onnxProto.onnx.ModelProto.encode(m).finish();
    const drawn = norms(edited, RANDOM_FILTERS);
    expect(drawn).toHaveLength(20);
    for (const v of drawn) expect(trained.has(v.toFixed(4))).toBe(true);
    const engine = await OnnxEngine.fromBytes(edited, { intraOpNumThreads: 1 });
    try {
      const l = engine.listConvLayers().find((c) => c.name === RANDOM_FILTERS)!;
      expect([l.channels, l.mapHeight, l.mapWidth]).toEqual([20, 2, 2]);
    } finally {
      await engine.dispose();
    }
  });
});

describe('sanity checks on the constructed network', () => {
  let dir: string;
  let result: AnalysisResult;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sanity-'));
    const f = writeConstructedFixture(dir, 160, 2);
    result = await runAnalysis(
      {
        model: { path: f.modelPath, format: 'onnx' },
        dataset: { kind: 'npy', path: f.datasetPath },
        target: CONSTRUCTED_TARGET,
        layers: 'all',
        ...withDefaults({ images: 160, sanityChecks: true, nullPermutations: 0 }),
      },
      { threads: 0, modelThreads: 1 },
    );
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const name of ['conv1', 'conv2'] as const) {
    it(`${name}: the wired channel beats its random filters, the input-only and dead channels do not`, () => {
      const truth = CONSTRUCTED_TRUTH[name];
      const layer = result.layers.find((l) => l.name === name)!;
      const s = layer.sanity!;
      expect(s.random_filters.count).toBe(16);
      const [wired] = truth.wired;
      const ch = (c: number) => layer.channels.find((x) => x.index === c)!;
      expect(ch(wired).baseline_p!).toBeLessThan(0.01);
      expect(ch(wired).flags).not.toContain(NOT_ABOVE_RANDOM_FILTERS);
      expect(ch(wired).baseline_corrected!).toBeGreaterThan(0.5);
      for (const c of [...truth.inputOnly, ...truth.dead]) {
        expect(ch(c).flags).toContain(NOT_ABOVE_RANDOM_FILTERS);
        expect(ch(c).baseline_corrected!).toBeLessThan(ch(wired).baseline_corrected!);
      }
      // Constant channels take no part in the AUC or the randomisation.
      for (const c of truth.constant) expect(s.channels).not.toContain(c);
      expect(s.random_filters.trained).toBe(truth.channels - truth.constant.length);
      // One wired channel among many input-only ones: as a whole the layer's scores are those of random filters.
      expect(s.random_filters.verdict).toBe('not distinguishable from random filters');
      expect(s.random_filters.auc_ci![0]).toBeLessThan(0.5);
      expect(s.random_filters.auc_ci![1]).toBeGreaterThan(0.5);
    });
  }

  it('conv1 under randomisation: the cascade takes the wired channel off the top, re-drawing conv1 keeps its wired slot on top', () => {
    const layer = result.layers.find((l) => l.name === 'conv1')!;
    const s = layer.sanity!;
    const at = s.channels.indexOf(0);
    expect(at).toBeGreaterThanOrEqual(0);
    const trained = layer.channels.find((c) => c.index === 0)!.score_crossfit!;
    // Everything after conv1 re-drawn: logit₀ is a random function of every channel, no longer of channel 0 alone.
    expect(s.cascading.randomised).toEqual(['conv2', '/fc/Gemm']);
    expect(s.cascading.scores[at]).toBeLessThan(trained - 0.4);
    expect(s.cascading.rho_ci![1]).toBeLessThan(1);
    // conv1 alone re-drawn: slot 0 still feeds logit₀ alone, so whatever filter sits there ranks first.
    expect(s.independent.randomised).toEqual(['conv1']);
    expect(Math.max(...s.independent.scores)).toBe(s.independent.scores[at]);
    expect(s.independent.scores[at]).toBeGreaterThan(0.8);
    // conv2 has 3 non-constant channels: too few for a Spearman interval, and it says so.
    const conv2 = result.layers.find((l) => l.name === 'conv2')!.sanity!;
    expect(conv2.cascading.rho).toBeNull();
    expect(conv2.cascading.note).toMatch(/at least 4/);
  });

  it('results.json carries the block and the per-channel columns, as JSON', () => {
    const json = JSON.parse(JSON.stringify(result));
    expect(json.spec.sanityChecks).toBe(true);
    const l = json.layers[0];
    expect(Object.keys(l.sanity).sort()).toEqual(['cascading', 'channels', 'independent', 'random_filters', 'seconds', 'statistic']);
    expect(l.sanity.statistic).toBe('crossfit');
    for (const c of l.channels) expect(typeof c.baseline_p).toBe('number');
  });
});
