import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { createTfjsEngine, TfjsLayersEngine } from '../../lib/models/tfjs-engine';
import { TfjsGraphEngine } from '../../lib/models/tfjs-graph-engine';
import { readTfjsArtifacts } from '../../lib/models/tfjs-files';
import { maxAbsDiff } from '../helpers/arrays';

const FIX = path.resolve(__dirname, '../fixtures/tfjs');
const LAYERS = path.join(FIX, 'tiny-cnn');
const GRAPH = path.join(FIX, 'tiny-cnn-graph');
const buf = readFileSync(path.join(FIX, 'input.bin'));
const INPUT = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
const N = 4;
const PER = 3 * 16 * 16;

describe('TF.js layers engine on the tiny CNN fixture', () => {
  let engine: TfjsLayersEngine;
  let reference: tf.LayersModel;
  beforeAll(async () => {
    engine = (await createTfjsEngine(LAYERS)) as TfjsLayersEngine;
    reference = await tf.loadLayersModel(tf.io.fromMemory((await readTfjsArtifacts(LAYERS)).artifacts));
  });
  afterAll(async () => {
    await engine?.dispose();
    reference?.dispose();
  });

  it('describes the input (NCHW), the output and both Conv2D layers', () => {
    expect(engine).toBeInstanceOf(TfjsLayersEngine);
    expect(engine.backend).toMatch(/^tfjs-(wasm|cpu|tensorflow)$/);
    expect(engine.input.shape).toEqual([3, 16, 16]);
    expect(engine.output).toMatchObject({ shape: [5], softmax: false });
    const layers = engine.listConvLayers();
    expect(layers.map((l) => l.name)).toEqual(['conv1', 'conv2']);
    expect(layers[0]).toMatchObject({ channels: 4, mapHeight: 16, mapWidth: 16, kernelSize: [3, 3], stride: [1, 1], padding: [1, 1, 1, 1] });
    expect(layers[1]).toMatchObject({ channels: 6, mapHeight: 14, mapWidth: 14, padding: [0, 0, 0, 0] });
    // Weight mean per output channel, from the [kh, kw, cin, cout] kernel.
    const k = reference.getLayer('conv1').getWeights()[0].arraySync() as number[][][][];
    for (let m = 0; m < 4; m++) {
      let s = 0;
      for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) for (let c = 0; c < 3; c++) s += k[a][b][c][m];
      expect(layers[0].weightMean![m]).toBeCloseTo(s / 27, 6);
    }
  });

  it('returns conv1 before ReLU, in NCHW, equal to a direct convolution', async () => {
    const { activations } = await engine.run(INPUT, N, ['conv1']);
    const a = activations.get('conv1')!;
    expect(a.dims).toEqual([N, 4, 16, 16]);
    const [kT, bT] = reference.getLayer('conv1').getWeights();
    const k = kT.dataSync(); // [3, 3, 3, 4]
    const b = bT.dataSync();
    let worst = 0;
    for (let n = 0; n < N; n++)
      for (let m = 0; m < 4; m++)
        for (let y = 0; y < 16; y++)
          for (let x = 0; x < 16; x++) {
            let s = b[m];
            for (let ky = 0; ky < 3; ky++)
              for (let kx = 0; kx < 3; kx++) {
                const iy = y + ky - 1;
                const ix = x + kx - 1;
                if (iy < 0 || iy >= 16 || ix < 0 || ix >= 16) continue;
                for (let c = 0; c < 3; c++) s += k[((ky * 3 + kx) * 3 + c) * 4 + m] * INPUT[n * PER + (c * 16 + iy) * 16 + ix];
              }
            worst = Math.max(worst, Math.abs(s - a.data[((n * 4 + m) * 16 + y) * 16 + x]));
          }
    expect(worst).toBeLessThan(1e-5);
    expect(a.data.some((v) => v < 0)).toBe(true);
  });

  it('returns logits whose softmax is the model prediction, and conv2 whose ReLU is the layer output', async () => {
    const { activations, output } = await engine.run(INPUT, N, ['conv2']);
    expect(output.dims).toEqual([N, 5]);
    const x = tf.transpose(tf.tensor4d(INPUT, [N, 3, 16, 16]), [0, 2, 3, 1]);
    const probs = (reference.predict(x) as tf.Tensor).dataSync();
    const mine = tf.softmax(tf.tensor2d(output.data, [N, 5])).dataSync();
    expect(maxAbsDiff(mine, probs)).toBeLessThan(1e-5);
    // Logits, not probabilities: rows do not sum to 1.
    expect(Math.abs(output.data.slice(0, 5).reduce((a, b) => a + b, 0) - 1)).toBeGreaterThan(1e-3);
    const sub = tf.model({ inputs: reference.inputs, outputs: reference.getLayer('conv2').output as tf.SymbolicTensor });
    const post = tf.transpose(sub.predict(x) as tf.Tensor, [0, 3, 1, 2]).dataSync();
    const pre = activations.get('conv2')!;
    expect(pre.dims).toEqual([N, 6, 14, 14]);
    expect(maxAbsDiff(pre.data.map((v) => Math.max(0, v)), post)).toBeLessThan(1e-5);
    tf.dispose(x);
  });

  it('loads the same model from model.json and from in-memory files', async () => {
    const files = { 'model.json': readFileSync(path.join(LAYERS, 'model.json')), 'weights.bin': readFileSync(path.join(LAYERS, 'weights.bin')) };
    const base = await engine.run(INPUT, N, ['conv2']);
    for (const src of [path.join(LAYERS, 'model.json'), files, new Map(Object.entries(files))]) {
      const e = await createTfjsEngine(src);
      const r = await e.run(INPUT, N, ['conv2']);
      expect(maxAbsDiff(r.output.data, base.output.data)).toBe(0);
      expect(maxAbsDiff(r.activations.get('conv2')!.data, base.activations.get('conv2')!.data)).toBe(0);
      await e.dispose();
    }
  });

  it('rejects unknown layers, bad batches, missing shards and non-models', async () => {
    await expect(engine.run(INPUT, N, ['conv3'])).rejects.toThrow("unknown layer 'conv3'; available conv layers: conv1, conv2");
    await expect(engine.run(INPUT, 3, [])).rejects.toThrow(/input shape mismatch/);
    await expect(createTfjsEngine({ 'model.json': readFileSync(path.join(LAYERS, 'model.json')) })).rejects.toThrow(
      "in-memory model: weight shard 'weights.bin' is missing",
    );
    await expect(createTfjsEngine({ 'model.json': '{"hello": 1}' })).rejects.toThrow('not a TF.js model (no modelTopology)');
    await expect(createTfjsEngine(FIX)).rejects.toThrow(/cannot read the TF.js model.json/);
  });

  it('frees its tensors on dispose', async () => {
    const before = tf.memory().numTensors;
    const e = await createTfjsEngine(LAYERS);
    await e.run(INPUT, N, ['conv1', 'conv2']);
    await e.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('TF.js graph engine on the same network as a graph model', () => {
  it('lists the Conv2D/_FusedConv2D nodes and matches the layers engine', async () => {
    const g = await createTfjsEngine(GRAPH);
    const l = await createTfjsEngine(LAYERS);
    try {
      expect(g).toBeInstanceOf(TfjsGraphEngine);
      const layers = g.listConvLayers();
      expect(layers.map((c) => c.name)).toEqual(['conv1/Relu', 'conv2/Conv2D']);
      expect(layers.map((c) => [c.channels, c.mapHeight, c.mapWidth])).toEqual([[4, 16, 16], [6, 14, 14]]);
      expect(g.output.shape).toEqual([5]);
      const ref = await l.run(INPUT, N, ['conv1', 'conv2']);
      const got = await g.run(INPUT, N, ['conv1/Relu', 'conv2/Conv2D']);
      // conv1 is a fused conv+bias+relu node: its pre-activation is recomputed.
      expect(maxAbsDiff(got.activations.get('conv1/Relu')!.data, ref.activations.get('conv1')!.data)).toBeLessThan(1e-5);
      expect(got.activations.get('conv1/Relu')!.data.some((v) => v < 0)).toBe(true);
      expect(maxAbsDiff(got.activations.get('conv2/Conv2D')!.data, ref.activations.get('conv2')!.data)).toBeLessThan(1e-5);
      expect(maxAbsDiff(got.output.data, ref.output.data)).toBeLessThan(1e-5);
    } finally {
      await g.dispose();
      await l.dispose();
    }
  });
});
