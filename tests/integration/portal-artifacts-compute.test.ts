/**
 * lib/analysis/artifacts/ beyond the MNIST CNN the portal test uses: CAM on
 * a model that ends in a global average pool, a .npy dataset, TF.js layers
 * models (differentiable) and graph models (not), and the input errors that
 * fail an artifact at once instead of retrying it.
 */
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ArtifactStopped, computeArtifact } from '../../lib/analysis/artifacts/compute';
import { computeArtifactSandboxed } from '../../lib/analysis/sandboxed';
import { DEFAULT_ANALYSIS } from '../../lib/analysis/defaults';
import type { AnalysisSpec } from '../../lib/analysis/types';
import { PcaceInputError } from '../../lib/pcace/validate';

const FIX = path.resolve(import.meta.dirname, '../fixtures');
const resnet: AnalysisSpec = {
  ...DEFAULT_ANALYSIS,
  images: 10,
  model: { path: path.join(FIX, 'resnet18-w4/model.onnx'), format: 'onnx' },
  dataset: { kind: 'npy', path: path.join(FIX, 'resnet18-w4/input.npy') },
  target: { kind: 'class', index: 7 },
};
const tfjs = (folder: string): AnalysisSpec => ({ ...resnet, model: { path: path.join(FIX, 'tfjs', folder, 'model.json'), format: 'tfjs' } });

describe('channel artifacts on other models', () => {
  it('adds CAM beside Grad-CAM when the model ends in a global average pool and a linear classifier', async () => {
    const out = await computeArtifact(resnet, { kind: 'gradcam', layer: 'layer4.1.conv2', channel: -1 });
    expect(out.values.notes).toEqual([]);
    expect(out.values.details).toMatchObject({ classIndex: 7 });
    expect(out.values.rows).toHaveLength(2); // the .npy holds two images
    expect(out.values.rows[0].pictures.map((p) => p.role)).toEqual(['input', 'gradcam', 'cam']);
    expect(out.values.channel).toBe(-1);
    // 32×32 inputs shown 7× enlarged.
    const meta = await sharp(out.files.find((f) => f.name === 'cam-0.png')!.png).metadata();
    expect([meta.width, meta.height]).toEqual([224, 224]);
  });

  it('draws maps from a .npy dataset with the values behind them', async () => {
    const out = await computeArtifact(resnet, { kind: 'maps', layer: 'conv1', channel: 3 });
    expect(out.values.notes).toEqual(['the analysis sample has only 2 images']);
    const map = out.values.rows[0].pictures[1];
    expect(map.grid!.values).toHaveLength(out.values.mapSize[0] * out.values.mapSize[1]);
    expect(map.scale!.lo).toBe(-map.scale!.hi);
    expect(out.values.rows[0].stats.max).toBeLessThanOrEqual(map.scale!.hi);
  });

  it('maximises a channel of a TF.js layers model; refuses a TF.js graph model with the reason', async () => {
    const out = await computeArtifact(tfjs('tiny-cnn'), { kind: 'actmax', layer: 'conv2', channel: 1 });
    const stats = out.values.rows[0].stats;
    expect(stats.finalActivation!).toBeGreaterThan(stats.startActivation!);
    expect((await sharp(out.files[0].png).metadata()).width).toBe(224); // 16 px × 14
    const refused = computeArtifact(tfjs('tiny-cnn-graph'), { kind: 'actmax', layer: 'conv2', channel: 1 });
    await expect(refused).rejects.toBeInstanceOf(PcaceInputError);
    await expect(refused).rejects.toThrow(/graph models cannot be differentiated/);
  });

  it('fails at once on requests that cannot succeed', async () => {
    const cases: [Parameters<typeof computeArtifact>[1], RegExp][] = [
      [{ kind: 'maps', layer: 'conv1', channel: 99 }, /channel must be in 0\.\.\d+/],
      [{ kind: 'top', layer: 'fc', channel: 0 }, /unknown layer 'fc'/],
      [{ kind: 'strip', layer: 'conv1', channel: -1, ranking: [] }, /has no ranking/],
      [{ kind: 'strip', layer: 'conv1', channel: -1, image: 'npy:9', ranking: [{ channel: 0, rank: 1 }, { channel: 1, rank: 2 }] }, /not in the analysis' sample/],
    ];
    for (const [req, message] of cases) {
      const run = computeArtifact(resnet, req);
      await expect(run, JSON.stringify(req)).rejects.toBeInstanceOf(PcaceInputError);
      await expect(run).rejects.toThrow(message);
    }
  });

  it('runs artifacts in a model process: the caller keeps running, a stop ends it, input errors keep their class', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 50);
    try {
      const t0 = performance.now();
      const out = await computeArtifactSandboxed(tfjs('tiny-cnn'), { kind: 'actmax', layer: 'conv2', channel: 1 });
      expect(out.files[0].png.subarray(1, 4).toString()).toBe('PNG');
      // The event loop here stayed free while the model process optimised (heartbeats would have been sent).
      expect(ticks).toBeGreaterThan((performance.now() - t0) / 50 / 3);
      let stop = false;
      setTimeout(() => (stop = true), 100);
      await expect(computeArtifactSandboxed(resnet, { kind: 'actmax', layer: 'conv1', channel: 0 }, { shouldStop: () => stop })).rejects.toBeInstanceOf(ArtifactStopped);
      await expect(computeArtifactSandboxed(resnet, { kind: 'gradcam', layer: 'fc', channel: -1 })).rejects.toBeInstanceOf(PcaceInputError);
    } finally {
      clearInterval(timer);
    }
  });
});
