import { PIPELINE_DIR } from '../helpers/reference';
import { maxAbsDiff } from '../helpers/arrays';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { OnnxEngine } from '../../lib/models/onnx-engine';
import { moduleNameFromNode } from '../../lib/models/onnx-graph';
import { readNpy } from '../../lib/datasets/npy';

const { onnx } = onnxProto;
const REF = PIPELINE_DIR;
const MNIST = path.join(REF, 'mnist_cnn.onnx');
const RESNET_FIXTURE = path.resolve(__dirname, '../fixtures/resnet18-w4');

/** Initializer as float64, read straight from the protobuf (independent of lib/models). */
function initializer(model: InstanceType<typeof onnx.ModelProto>, name: string): { dims: number[]; data: Float64Array } {
  const t = model.graph!.initializer!.find((x) => x.name === name)!;
  const raw = t.rawData!;
  const f32 = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  return { dims: t.dims!.map(Number), data: Float64Array.from(f32) };
}

describe('OnnxEngine on the published MNIST CNN', () => {
  let engine: OnnxEngine;
  const inputs = readNpy(path.join(REF, 'inputs_digit3.npy'));
  const published = JSON.parse(readFileSync(path.join(REF, 'published_scores.json'), 'utf8'));

  beforeAll(async () => {
    engine = await OnnxEngine.fromFile(MNIST, { intraOpNumThreads: 1 });
  });
  afterAll(async () => {
    await engine?.dispose();
  });

  it('lists conv1 and conv2 with shapes and kernel geometry', () => {
    const layers = engine.listConvLayers();
    expect(layers.map((l) => l.name)).toEqual(['conv1', 'conv2']);
    expect(layers[0]).toMatchObject({
      outputName: '/conv1/Conv_output_0',
      channels: 32,
      mapHeight: 26,
      mapWidth: 26,
      kernelSize: [3, 3],
      stride: [1, 1],
      padding: [0, 0, 0, 0],
      groups: 1,
    });
    expect(layers[1]).toMatchObject({ channels: 64, mapHeight: 24, mapWidth: 24, kernelSize: [3, 3] });
    expect(engine.input).toEqual({ name: 'input', shape: [1, 28, 28], fixedBatchSize: null });
    expect(engine.output).toEqual({ name: 'logits', shape: [10], softmax: false });
  });

  it('computes the published per-channel weight means of conv1', () => {
    const wm = engine.listConvLayers()[0].weightMean!;
    const ref: number[] = published.conv1_weight_mean;
    expect(wm).toHaveLength(32);
    expect(maxAbsDiff(wm, ref)).toBeLessThan(1e-6);
    expect(engine.listConvLayers()[1].weightMean).toHaveLength(64);
  });

  it('returns logits [N,10] that classify the digit-3 set as 3', async () => {
    const n = inputs.shape[0];
    expect(inputs.shape).toEqual([300, 1, 28, 28]);
    const { output, activations } = await engine.run(inputs.data, n, []);
    expect(output.dims).toEqual([n, 10]);
    expect(activations.size).toBe(0);
    let threes = 0;
    for (let i = 0; i < n; i++) {
      const row = Array.from(output.data.subarray(i * 10, i * 10 + 10));
      if (row.indexOf(Math.max(...row)) === 3) threes++;
    }
    // Held-out accuracy of this model is 0.959 over all digits.
    expect(threes / n).toBeGreaterThan(0.9);
  });

  it('returns conv1 outputs before ReLU, equal to a direct convolution', async () => {
    const model = onnx.ModelProto.decode(readFileSync(MNIST));
    const w = initializer(model, 'conv1.weight');
    const b = initializer(model, 'conv1.bias');
    expect(w.dims).toEqual([32, 1, 3, 3]);

    const picks = [0, 117];
    const per = 28 * 28;
    const batch = new Float32Array(picks.length * per);
    picks.forEach((p, i) => batch.set(inputs.data.subarray(p * per, (p + 1) * per), i * per));
    const { activations, output } = await engine.run(batch, picks.length, ['conv1', 'conv2']);
    const conv1 = activations.get('conv1')!;
    expect(conv1.dims).toEqual([2, 32, 26, 26]);
    expect(activations.get('conv2')!.dims).toEqual([2, 64, 24, 24]);
    expect(output.dims).toEqual([2, 10]);

    const expected = new Float64Array(2 * 32 * 26 * 26);
    for (let n = 0; n < 2; n++)
      for (let c = 0; c < 32; c++)
        for (let y = 0; y < 26; y++)
          for (let x = 0; x < 26; x++) {
            let s = b.data[c];
            for (let ky = 0; ky < 3; ky++)
              for (let kx = 0; kx < 3; kx++) s += w.data[c * 9 + ky * 3 + kx] * batch[n * per + (y + ky) * 28 + x + kx];
            expected[((n * 32 + c) * 26 + y) * 26 + x] = s;
          }
    expect(maxAbsDiff(conv1.data, expected)).toBeLessThan(1e-4);
    // Pre-activation: a ReLU output would have no negative values.
    expect(conv1.data.some((v) => v < 0)).toBe(true);
  });

  it('gives the same logits batched and one image at a time', async () => {
    const per = 28 * 28;
    const four = inputs.data.subarray(0, 4 * per);
    const all = await engine.run(four, 4, []);
    const one = await engine.run(inputs.data.slice(2 * per, 3 * per), 1, []);
    expect(maxAbsDiff(one.output.data, all.output.data.subarray(20, 30))).toBeLessThan(1e-5);
  });

  it("writes a layer into the caller's buffer, with the bits of a fresh output", async () => {
    const per = 28 * 28;
    const four = inputs.data.subarray(0, 4 * per);
    const fresh = await engine.run(four, 4, ['conv1', 'conv2']);
    const [c1, c2] = engine.listConvLayers();
    const buffer = new Float32Array(4 * c2.channels * c2.mapHeight * c2.mapWidth).fill(Number.NaN);
    const into = await engine.run(four, 4, ['conv1', 'conv2'], new Map([['conv2', buffer]]));
    // The same memory comes back (nothing allocated per batch for it), holding the layer.
    expect(into.activations.get('conv2')!.data).toBe(buffer);
    expect(Array.from(buffer)).toEqual(Array.from(fresh.activations.get('conv2')!.data));
    expect(into.activations.get('conv2')!.dims).toEqual([4, c2.channels, c2.mapHeight, c2.mapWidth]);
    expect(Array.from(into.activations.get('conv1')!.data)).toEqual(Array.from(fresh.activations.get('conv1')!.data));
    expect(Array.from(into.output.data)).toEqual(Array.from(fresh.output.data));
    await expect(engine.run(four, 4, ['conv1'], new Map([['conv1', new Float32Array(c1.channels)]]))).rejects.toThrow(/output buffer for conv1 has/);
  });

  it('rejects an unknown layer name, listing the available ones', async () => {
    await expect(engine.run(inputs.data.subarray(0, 784), 1, ['conv3'])).rejects.toThrow(
      "unknown layer 'conv3'; available conv layers: conv1, conv2",
    );
  });

  it('rejects a batch whose size does not match the input shape', async () => {
    await expect(engine.run(inputs.data.subarray(0, 784 * 3), 2, [])).rejects.toThrow(
      /input shape mismatch: expected 2×1×28×28 = 1568 floats for input 'input', got 2352 \(that is 3 samples\)/,
    );
    await expect(engine.run(new Float32Array(784), 0, [])).rejects.toThrow(/batchSize must be a positive integer/);
    await expect(OnnxEngine.fromFile(MNIST, { inputShape: [3, 28, 28] })).rejects.toThrow(
      /input shape mismatch: model input 'input' is \[N, 1, 28, 28\], inputShape is \[3, 28, 28\]/,
    );
  });
});

describe('OnnxEngine errors on bad models', () => {
  it('rejects bytes that are not ONNX', async () => {
    await expect(OnnxEngine.fromBytes(new TextEncoder().encode('definitely not a model'), {}, 'x.onnx')).rejects.toThrow(
      /^x\.onnx: not an ONNX model/,
    );
    await expect(OnnxEngine.fromBytes(new Uint8Array(0))).rejects.toThrow(/not an ONNX model/);
    await expect(OnnxEngine.fromFile(path.join(REF, 'inputs_digit3.npy'))).rejects.toThrow(/inputs_digit3\.npy: not an ONNX model/);
  });

  it('rejects a valid ONNX model without Conv layers', async () => {
    const vi = (name: string) =>
      onnx.ValueInfoProto.create({
        name,
        type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'N' }, { dimValue: 4 }] } } },
      });
    const model = onnx.ModelProto.create({
      irVersion: 7,
      opsetImport: [{ domain: '', version: 13 }],
      graph: {
        name: 'relu-only',
        node: [{ opType: 'Relu', input: ['x'], output: ['y'], name: 'relu' }],
        input: [vi('x')],
        output: [vi('y')],
      },
    });
    const bytes = onnx.ModelProto.encode(model).finish();
    await expect(OnnxEngine.fromBytes(bytes, {}, 'relu.onnx')).rejects.toThrow('relu.onnx: the model has no Conv layers');
  });
});

describe('moduleNameFromNode', () => {
  it('rebuilds PyTorch module names from exporter scope paths', () => {
    expect(moduleNameFromNode('/conv1/Conv')).toBe('conv1');
    expect(moduleNameFromNode('/layer1/layer1.0/conv1/Conv')).toBe('layer1.0.conv1');
    expect(moduleNameFromNode('/layer2/layer2.0/downsample/downsample.0/Conv')).toBe('layer2.0.downsample.0');
    expect(moduleNameFromNode('/features/features.0/Conv')).toBe('features.0');
    expect(moduleNameFromNode('Conv_12')).toBeNull();
  });
});

describe('OnnxEngine on a residual network (torchvision resnet18, width 1/16, 32×32)', () => {
  const modelPath = path.join(RESNET_FIXTURE, 'model.onnx');
  const input = readNpy(path.join(RESNET_FIXTURE, 'input.npy'));
  const expectedNames = [
    'conv1',
    ...[1, 2, 3, 4].flatMap((s) => [
      `layer${s}.0.conv1`,
      `layer${s}.0.conv2`,
      ...(s > 1 ? [`layer${s}.0.downsample.0`] : []),
      `layer${s}.1.conv1`,
      `layer${s}.1.conv2`,
    ]),
  ];
  const side = (name: string) => (name === 'conv1' ? 16 : 32 / 2 ** (Number(name[5]) + 1));

  it('lists the 20 convs under their PyTorch names with map sizes', async () => {
    const engine = await OnnxEngine.fromFile(modelPath);
    try {
      const layers = engine.listConvLayers();
      expect(layers.map((l) => l.name)).toEqual(expectedNames);
      for (const l of layers) {
        expect([l.name, l.mapHeight, l.mapWidth]).toEqual([l.name, side(l.name), side(l.name)]);
      }
      const ds = layers.find((l) => l.name === 'layer2.0.downsample.0')!;
      expect(ds).toMatchObject({ channels: 8, kernelSize: [1, 1], stride: [2, 2] });
    } finally {
      await engine.dispose();
    }
  });

  // The reference .npy files are PyTorch forward-hook outputs of each Conv2d
  // module: this ties every engine layer name to the module PyTorch means by it.
  async function checkAgainstPyTorch(bytes: Uint8Array) {
    const engine = await OnnxEngine.fromBytes(bytes);
    try {
      const names = engine.listConvLayers().map((l) => l.name);
      expect(names).toEqual(expectedNames);
      const { activations, output } = await engine.run(input.data, input.shape[0], names);
      for (const name of names) {
        const ref = readNpy(path.join(RESNET_FIXTURE, `${name}.npy`));
        const got = activations.get(name)!;
        expect(got.dims).toEqual(ref.shape);
        expect(maxAbsDiff(got.data, ref.data), name).toBeLessThan(1e-4);
      }
      const logits = readNpy(path.join(RESNET_FIXTURE, 'logits.npy'));
      expect(maxAbsDiff(output.data, logits.data)).toBeLessThan(1e-4);
    } finally {
      await engine.dispose();
    }
  }

  it('reproduces PyTorch conv-module outputs and logits', async () => {
    await checkAgainstPyTorch(readFileSync(modelPath));
  });

  it('names layers from node scopes when initializers have exporter names', async () => {
    // BN-folded exports name weights 'onnx::Conv_193'; rename every initializer
    // that way and the layer names must come out unchanged.
    const model = onnx.ModelProto.decode(readFileSync(modelPath));
    const renames = new Map<string, string>();
    model.graph!.initializer!.forEach((t, i) => {
      renames.set(t.name!, `onnx::Param_${i}`);
      t.name = `onnx::Param_${i}`;
    });
    for (const node of model.graph!.node!) node.input = node.input!.map((x) => renames.get(x) ?? x);
    await checkAgainstPyTorch(onnx.ModelProto.encode(model).finish());
  });

  it('gives every layer the same bits from a prefix run (no model output) as from the whole graph', async () => {
    const engine = await OnnxEngine.fromFile(modelPath, { prefixRuns: true, releaseArena: true });
    try {
      for (const name of expectedNames) {
        const whole = await engine.run(input.data, input.shape[0], [name]);
        const prefix = await engine.run(input.data, input.shape[0], [name], undefined, { output: false });
        expect(prefix.output.dims).toEqual([input.shape[0], 0]);
        const a = whole.activations.get(name)!.data;
        const b = prefix.activations.get(name)!.data;
        expect(b.length, name).toBe(a.length);
        expect(a.every((v, i) => Object.is(v, b[i])), name).toBe(true);
      }
      // Two layers: the prefix ends at the later one (layer2.0.downsample.0 comes after layer2.0.conv2 in the graph).
      const both = await engine.run(input.data, input.shape[0], ['conv1', 'layer2.0.downsample.0'], undefined, { output: false });
      const whole = await engine.run(input.data, input.shape[0], ['conv1', 'layer2.0.downsample.0']);
      for (const name of ['conv1', 'layer2.0.downsample.0']) {
        expect(Buffer.from(both.activations.get(name)!.data.buffer).equals(Buffer.from(whole.activations.get(name)!.data.buffer)), name).toBe(true);
      }
    } finally {
      await engine.dispose();
    }
  });

  it('leaves the model output unchanged by the extra conv outputs', async () => {
    const plain = await InferenceSession.create(modelPath);
    try {
      const res = await plain.run({ input: new Tensor('float32', input.data, input.shape) });
      const engine = await OnnxEngine.fromFile(modelPath);
      const mine = await engine.run(input.data, input.shape[0], ['layer3.0.downsample.0']);
      await engine.dispose();
      expect(maxAbsDiff(mine.output.data, res.logits.data as Float32Array)).toBeLessThan(1e-6);
    } finally {
      await plain.release();
    }
  });
});

// Full-size torchvision export, made by scripts/export-torchvision.py (not committed: 47 MB).
const FULL_RESNET = process.env.PCACE_RESNET18_ONNX ?? '/tmp/resnet18.onnx';
describe.skipIf(!existsSync(FULL_RESNET))('OnnxEngine on a full torchvision resnet18 at 224×224', () => {
  it('lists 20 convs with 224-input map sizes', async () => {
    const engine = await OnnxEngine.fromFile(FULL_RESNET);
    try {
      const byName = new Map(engine.listConvLayers().map((l) => [l.name, l]));
      expect(byName.size).toBe(20);
      expect(byName.get('conv1')).toMatchObject({ channels: 64, mapHeight: 112, mapWidth: 112, kernelSize: [7, 7] });
      expect(byName.get('layer1.0.conv1')).toMatchObject({ channels: 64, mapHeight: 56, mapWidth: 56 });
      expect(byName.get('layer2.0.downsample.0')).toMatchObject({ channels: 128, mapHeight: 28, mapWidth: 28 });
      expect(byName.get('layer4.1.conv2')).toMatchObject({ channels: 512, mapHeight: 7, mapWidth: 7 });
    } finally {
      await engine.dispose();
    }
  });
});
