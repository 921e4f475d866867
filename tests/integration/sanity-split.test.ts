/**
 * The sanity checks' randomised models run from the layer on, after a shared
 * trained prefix (lib/analysis/sanity-runs.ts). Their maps, targets and the
 * whole sanity block must be those of running each randomised model whole
 * over every image, as the checks did before the split, up to ORT's fusions
 * at the cut: checked on the constructed network (tests/fixtures) and on the
 * demo models, the ResNet's residual blocks giving boundaries of two tensors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { forwardBatches, openAnalysisInputs } from '../../lib/analysis/inputs';
import { withDefaults } from '../../lib/analysis/options';
import { defaultBatchSize, runAnalysis } from '../../lib/analysis/run-analysis';
import { addSanityChecks, type SanityContext } from '../../lib/analysis/sanity';
import { randomisedRuns, type LayerRuns, type SanityRequest, type SanityRunContext } from '../../lib/analysis/sanity-runs';
import type { AnalysisSpec, LayerResult } from '../../lib/analysis/types';
import { CONSTRUCTED_TARGET, writeConstructedFixture } from '../fixtures/constructed-network';
import { wholeModelRuns } from '../fixtures/whole-model-runs';

/** Largest |a − b| relative to the largest |b|. */
function relativeGap(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let gap = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    gap = Math.max(gap, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return gap / Math.max(scale, 1e-12);
}

interface Setup {
  ctx: SanityContext;
  layers: { layer: SanityRequest['layer']; result: LayerResult }[];
  close(): Promise<void>;
}

/** The analysis scored without sanity checks, and what the checks need to run on it. */
async function scored(spec: AnalysisSpec): Promise<Setup> {
  const plain = await runAnalysis({ ...spec, sanityChecks: false }, { threads: 0, modelThreads: 1 });
  const opened = await openAnalysisInputs(spec, { threads: 1 });
  const ds = await opened.dataset();
  const n = ds.samples.length;
  const infos = opened.model.listConvLayers();
  const ctx: SanityContext = {
    spec,
    n,
    y: new Float64Array(n),
    load: opened.load,
    batchSize: defaultBatchSize(opened.model),
    inputShape: opened.model.input.shape,
    fixedBatchSize: opened.model.input.fixedBatchSize,
    memoryBudgetBytes: 768 << 20,
    threads: 0,
    modelThreads: 1,
    stop: () => {},
  };
  // The trained target, as the analysis computed it: the model's output on the same images.
  await forwardBatches(opened.model, opened.load, n, ctx.batchSize, [], (out, start, count) => {
    const width = out.output.data.length / count;
    for (let b = 0; b < count; b++) ctx.y[start + b] = out.output.data[b * width + (spec.target.kind === 'class' ? spec.target.index : 0)];
  });
  return { ctx, layers: plain.layers.map((result) => ({ layer: infos.find((l) => l.name === result.name)!, result })), close: () => opened.close() };
}

const clone = (layers: Setup['layers']) => layers.map((l) => ({ layer: l.layer, result: structuredClone(l.result) }));

async function compareBlocks(setup: Setup, tolerance: number): Promise<void> {
  const split = clone(setup.layers);
  const whole = clone(setup.layers);
  await addSanityChecks(split, setup.ctx);
  await addSanityChecks(whole, { ...setup.ctx, runs: wholeModelRuns });
  for (let i = 0; i < split.length; i++) {
    const a = split[i].result.sanity!;
    const b = whole[i].result.sanity!;
    expect(a.channels).toEqual(b.channels);
    expect(a.independent.randomised).toEqual(b.independent.randomised);
    expect(a.cascading.randomised).toEqual(b.cascading.randomised);
    expect(a.random_filters.scores.length).toBe(b.random_filters.scores.length);
    expect(relativeGap(a.random_filters.scores, b.random_filters.scores)).toBeLessThan(tolerance);
    for (const k of ['independent', 'cascading'] as const) {
      expect(a[k].scores.length).toBe(b[k].scores.length);
      expect(relativeGap(a[k].scores, b[k].scores)).toBeLessThan(tolerance);
      if (b[k].rho === null) expect(a[k].rho).toBeNull();
      else expect(Math.abs(a[k].rho! - b[k].rho!)).toBeLessThan(tolerance);
    }
    if (b.random_filters.auc === null) expect(a.random_filters.auc).toBeNull();
    else expect(Math.abs(a.random_filters.auc! - b.random_filters.auc!)).toBeLessThan(tolerance);
    expect(split[i].result.channels.map((c) => c.flags)).toEqual(whole[i].result.channels.map((c) => c.flags));
  }
}

describe('sanity checks from the layer on equal the whole randomised models', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sanity-split-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('constructed network: maps and targets within float rounding, the same sanity block, whatever the grouping', async () => {
    const f = writeConstructedFixture(dir, 120, 3);
    const spec: AnalysisSpec = {
      model: { path: f.modelPath, format: 'onnx' },
      dataset: { kind: 'npy', path: f.datasetPath },
      target: CONSTRUCTED_TARGET,
      layers: 'all',
      ...withDefaults({ images: 120, nullPermutations: 0 }),
    };
    const setup = await scored(spec);
    try {
      const requests = setup.layers.map(({ layer }) => ({ layer, subset: Array.from({ length: Math.min(6, layer.channels) }, (_, i) => i) }));
      const collect = async (ctx: SanityRunContext, via: typeof randomisedRuns) => {
        const out: LayerRuns[] = [];
        await via(ctx, requests, async (r, runs) => {
          out[r] = runs;
        });
        return out;
      };
      const whole = await collect(setup.ctx, wholeModelRuns);
      // One group sharing the prefix, and a budget so small every layer is its own group.
      for (const budget of [768 << 20, 1]) {
        const split = await collect({ ...setup.ctx, memoryBudgetBytes: budget }, randomisedRuns);
        for (let r = 0; r < requests.length; r++) {
          for (const k of ['independent', 'cascading'] as const) {
            expect(split[r][k].randomised).toEqual(whole[r][k].randomised);
            expect(relativeGap(split[r][k].maps, whole[r][k].maps)).toBeLessThan(1e-5);
            expect(relativeGap(split[r][k].y, whole[r][k].y)).toBeLessThan(1e-5);
          }
          expect(split[r].independent.randomFilters).toBeDefined();
          expect(relativeGap(split[r].independent.randomFilters!, whole[r].independent.randomFilters!)).toBeLessThan(1e-5);
        }
      }
      // The randomised models really differ from the trained one: the comparison is not of equal inputs.
      expect(relativeGap(whole[0].cascading.y, setup.ctx.y)).toBeGreaterThan(1e-2);
      await compareBlocks(setup, 1e-4);
    } finally {
      await setup.close();
    }
  });

  for (const name of ['mnist-cnn', 'resnet18-mnist']) {
    it(`${name}: the same sanity block on every conv layer`, async () => {
      const spec: AnalysisSpec = {
        model: { path: path.resolve('models/demo', `${name}.onnx`), format: 'onnx' },
        dataset: { kind: 'mnist', split: 'test', digit: 3 },
        target: { kind: 'class', index: 3 },
        layers: 'all',
        ...withDefaults({ images: 40, nullPermutations: 0, crossFitRepeats: 0, rankBy: 'pc1' }),
      };
      const setup = await scored(spec);
      try {
        await compareBlocks(setup, 1e-3);
      } finally {
        await setup.close();
      }
    }, 300_000);
  }
});
