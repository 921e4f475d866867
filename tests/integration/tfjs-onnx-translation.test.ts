import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import path from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import * as tf from '@tensorflow/tfjs';
import { OnnxEngine } from '../../lib/models/onnx-engine';
import { OnnxTfjsModel } from '../../lib/models/onnx-to-tfjs';
import { readNpy } from '../../lib/datasets/npy';
import { PIPELINE_DIR } from '../helpers/reference';
import { maxAbsDiff } from '../helpers/arrays';
import { buildOnnx, seeded, type GraphSpec } from '../fixtures/tfjs/onnx-builder';

const MNIST = path.join(PIPELINE_DIR, 'mnist_cnn.onnx');
const RESNET = path.resolve(__dirname, '../fixtures/resnet18-w4');

/** Every conv activation and the logits of the translation against ORT. */
async function compareWithOrt(modelPath: string, batch: Float32Array, n: number) {
  const ort = await OnnxEngine.fromFile(modelPath, { intraOpNumThreads: 1 });
  const mine = await OnnxTfjsModel.create(modelPath);
  try {
    const names = ort.listConvLayers().map((l) => l.name);
    expect(mine.listConvLayers()).toEqual(ort.listConvLayers());
    expect(mine.output).toEqual(ort.output);
    const a = await ort.run(batch, n, names);
    const b = await mine.run(batch, n, names);
    for (const name of names) {
      expect(b.activations.get(name)!.dims, name).toEqual(a.activations.get(name)!.dims);
      expect(maxAbsDiff(b.activations.get(name)!.data, a.activations.get(name)!.data), name).toBeLessThanOrEqual(1e-4);
    }
    expect(b.output.dims).toEqual(a.output.dims);
    expect(maxAbsDiff(b.output.data, a.output.data)).toBeLessThanOrEqual(1e-4);
  } finally {
    await ort.dispose();
    await mine.dispose();
  }
}

describe('ONNX → TF.js translation against ONNX Runtime', () => {
  it('matches every conv activation and the logits of the MNIST CNN (32 images)', async () => {
    const x = readNpy(path.join(PIPELINE_DIR, 'inputs_digit3.npy'));
    await compareWithOrt(MNIST, x.data.slice(0, 32 * 784), 32);
  });

  it('matches all 20 convs and the logits of the resnet18-w4 fixture', async () => {
    const x = readNpy(path.join(RESNET, 'input.npy'));
    await compareWithOrt(path.join(RESNET, 'model.onnx'), x.data, x.shape[0]);
  });

  it('finds the feature map entering the global average pool (for CAM)', async () => {
    const m = await OnnxTfjsModel.create(path.join(RESNET, 'model.onnx'));
    const mn = await OnnxTfjsModel.create(MNIST);
    expect(m.poolFeature).toBe('/layer4/layer4.1/relu_1/Relu_output_0');
    expect(mn.poolFeature).toBeNull();
    await m.dispose();
    await mn.dispose();
  });
});

// Small graphs that exercise what the two fixtures do not: groups, dilation with
// stride, auto_pad, asymmetric pads, ceil_mode, count_include_pad, torch's
// flatten bookkeeping, Concat, MatMul, Gemm alpha/beta, BN, Clip, Softmax.
const X = [2, 4, 9, 9];
const CASES: Record<string, GraphSpec> = {
  'grouped conv, asymmetric pads, strides 2×1': {
    input: X,
    floats: { w: [6, 2, 3, 3], b: [6] },
    nodes: [{ op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: { group: 2, pads: [1, 0, 2, 1], strides: [2, 1] } }],
    output: 'y',
  },
  'depthwise conv with dilation 2 and stride 2': {
    input: X,
    floats: { w: [8, 1, 3, 3] },
    nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], attrs: { group: 4, dilations: [2, 2], strides: [2, 2], pads: [2, 2, 2, 2] } }],
    output: 'y',
  },
  'auto_pad SAME_UPPER and SAME_LOWER (even kernel)': {
    input: X,
    floats: { w1: [5, 4, 3, 3], w2: [3, 5, 4, 4] },
    nodes: [
      { op: 'Conv', inputs: ['x', 'w1'], outputs: ['a'], attrs: { auto_pad: 'SAME_UPPER', strides: [2, 2] } },
      { op: 'Conv', inputs: ['a', 'w2'], outputs: ['y'], attrs: { auto_pad: 'SAME_LOWER' } },
    ],
    output: 'y',
  },
  'BatchNormalization, LeakyRelu, Clip': {
    input: X,
    floats: {
      w: [6, 4, 3, 3],
      s: [6],
      bb: [6],
      mu: [6],
      var: { dims: [6], values: [0.5, 1, 2, 0.1, 3, 0.7] },
      lo: { dims: [], values: [0] },
      hi: { dims: [], values: [0.6] },
    },
    nodes: [
      { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'] },
      { op: 'BatchNormalization', inputs: ['c', 's', 'bb', 'mu', 'var'], outputs: ['n'], attrs: { epsilon: { f: 1e-3 } } },
      { op: 'LeakyRelu', inputs: ['n'], outputs: ['l'], attrs: { alpha: { f: 0.2 } } },
      { op: 'Clip', inputs: ['l', 'lo', 'hi'], outputs: ['y'] },
    ],
    output: 'y',
  },
  'MaxPool and AveragePool with ceil_mode, pads, count_include_pad': {
    input: X,
    nodes: [
      { op: 'MaxPool', inputs: ['x'], outputs: ['a'], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 } },
      { op: 'AveragePool', inputs: ['x'], outputs: ['b'], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1, count_include_pad: 1 } },
      { op: 'AveragePool', inputs: ['x'], outputs: ['c'], attrs: { kernel_shape: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1] } },
      { op: 'Add', inputs: ['a', 'b'], outputs: ['ab'] },
      { op: 'Add', inputs: ['ab', 'c'], outputs: ['y'] },
    ],
    output: 'y',
  },
  'torch flatten (Shape, Gather, Unsqueeze, Concat, Reshape), MatMul, Gemm alpha/beta, Softmax': {
    input: X,
    floats: { w: [324, 7], b: [7], g: [3, 7], gc: [3] },
    ints: { zero: { dims: [], values: [0] }, minus1: [-1], ax0: [0] },
    nodes: [
      { op: 'Shape', inputs: ['x'], outputs: ['s'] },
      { op: 'Gather', inputs: ['s', 'zero'], outputs: ['n'] },
      { op: 'Unsqueeze', inputs: ['n', 'ax0'], outputs: ['n1'] },
      { op: 'Concat', inputs: ['n1', 'minus1'], outputs: ['shape'], attrs: { axis: 0 } },
      { op: 'Reshape', inputs: ['x', 'shape'], outputs: ['f'] },
      { op: 'MatMul', inputs: ['f', 'w'], outputs: ['m'] },
      { op: 'Add', inputs: ['m', 'b'], outputs: ['mb'] },
      { op: 'Gemm', inputs: ['mb', 'g', 'gc'], outputs: ['z'], attrs: { transB: 1, alpha: { f: 0.5 }, beta: { f: 2 } } },
      { op: 'Softmax', inputs: ['z'], outputs: ['y'] },
    ],
    output: 'y',
  },
  'Concat of conv maps, Dropout, Identity, per-channel Sub/Mul/Div, ReduceMean': {
    input: X,
    floats: { w1: [3, 4, 1, 1], w2: [2, 4, 3, 3], k: [5, 1, 1], m: { dims: [5, 1, 1], values: [1, 2, 3, 4, 5] } },
    nodes: [
      { op: 'Conv', inputs: ['x', 'w1'], outputs: ['a'] },
      { op: 'Conv', inputs: ['x', 'w2'], outputs: ['b'], attrs: { pads: [1, 1, 1, 1] } },
      { op: 'Concat', inputs: ['a', 'b'], outputs: ['c'], attrs: { axis: 1 } },
      { op: 'Dropout', inputs: ['c'], outputs: ['d'] },
      { op: 'Identity', inputs: ['d'], outputs: ['e'] },
      { op: 'Sub', inputs: ['e', 'k'], outputs: ['f'] },
      { op: 'Mul', inputs: ['f', 'm'], outputs: ['g'] },
      { op: 'Div', inputs: ['g', 'm'], outputs: ['h'] },
      { op: 'ReduceMean', inputs: ['h'], outputs: ['y'], attrs: { axes: [2, 3], keepdims: 0 } },
    ],
    output: 'y',
  },
};

describe('ONNX → TF.js op coverage against ONNX Runtime', () => {
  const rand = seeded(7);
  const x = Float32Array.from({ length: X.reduce((a, b) => a * b, 1) }, () => rand());
  for (const [name, spec] of Object.entries(CASES)) {
    it(name, async () => {
      const bytes = buildOnnx(spec);
      const session = await InferenceSession.create(bytes);
      const ref = (await session.run({ x: new Tensor('float32', x, X) }))[spec.output];
      await session.release();
      const model = await OnnxTfjsModel.create(bytes, { logits: false });
      try {
        const got = tf.tidy(() => model.forward(tf.tensor4d(x, X as [number, number, number, number])).output!);
        expect(got.shape).toEqual(ref.dims.map(Number));
        expect(maxAbsDiff(await got.data(), ref.data as Float32Array)).toBeLessThanOrEqual(1e-5);
        got.dispose();
      } finally {
        await model.dispose();
      }
    });
  }
});

describe('ONNX → TF.js gradients', () => {
  // Convs are linear, so a finite difference of sum(output) is exact up to rounding.
  for (const name of ['grouped conv, asymmetric pads, strides 2×1', 'depthwise conv with dilation 2 and stride 2']) {
    it(`differentiates through ${name}`, async () => {
      const model = await OnnxTfjsModel.create(buildOnnx(CASES[name]));
      const rand = seeded(11);
      const x = tf.tensor4d(Float32Array.from({ length: 2 * 4 * 81 }, () => rand()), X as [number, number, number, number]);
      const f = (t: tf.Tensor) => tf.sum(model.forward(t as tf.Tensor4D).output!);
      const g = tf.grad(f)(x).dataSync();
      for (const i of [0, 40, 200, 647]) {
        const e = tf.oneHot(tf.tensor1d([i], 'int32'), x.size).reshape(X).mul(0.5);
        const fd = (f(x.add(e)).dataSync()[0] - f(x.sub(e)).dataSync()[0]) / 1;
        expect(g[i]).toBeCloseTo(fd, 3);
      }
      await model.dispose();
    });
  }
});

describe('ONNX → TF.js errors', () => {
  let before = 0;
  beforeAll(async () => {
    await tf.ready();
    before = tf.memory().numTensors;
  });
  afterAll(() => {
    // A rejected model must not leak the weights it had already decoded.
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects an unsupported op when loading, naming the op and the node', async () => {
    const bytes = buildOnnx({
      input: X,
      floats: { w: [2, 4, 3, 3] },
      nodes: [
        { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'] },
        { op: 'Erf', inputs: ['c'], outputs: ['y'], name: '/gelu/Erf' },
      ],
      output: 'y',
    });
    await expect(OnnxTfjsModel.create(bytes)).rejects.toThrow("unsupported ONNX op 'Erf' in node '/gelu/Erf'");
  });

  it('rejects ops from other domains', async () => {
    const bytes = buildOnnx({ input: X, nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'], name: 'r' }], output: 'y' });
    const { default: onnxProto } = await import('onnx-proto');
    const model = onnxProto.onnx.ModelProto.decode(bytes);
    model.graph!.node![0].domain = 'com.microsoft';
    model.graph!.node![0].opType = 'FusedGelu';
    await expect(OnnxTfjsModel.create(onnxProto.onnx.ModelProto.encode(model).finish())).rejects.toThrow(
      "op 'com.microsoft.FusedGelu' in node 'r' is not allowed: only the standard ONNX operator set is accepted",
    );
  });
});
