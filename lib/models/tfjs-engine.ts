/**
 * ModelEngine (and DifferentiableModel) for TF.js layers models; graph models
 * are handed to tfjs-graph-engine.ts. The network is executed layer by layer
 * here rather than through model.predict, for three reasons:
 *  - Conv2D layers fuse their activation: PCACE wants the conv output before
 *    it, so each Conv2D is computed as conv2d + bias and its activation applied
 *    after the tap (this also keeps TF.js's fused-conv gradient, which always
 *    computes the filter gradient, off the Grad-CAM path);
 *  - taps and edits (Grad-CAM, ablation) need to read or replace any layer's
 *    value mid-network;
 *  - a final layer with a softmax activation is called with its activation
 *    swapped for 'linear', so the output is the logits.
 * Images come in NCHW like every engine; inside they are NHWC, as TF.js
 * layers models expect.
 */
import * as tf from '@tensorflow/tfjs';
import { initTfBackend } from './backend';
import { checkInputSize, inputLimitsFromEnv } from './input-limits';
import type { ConvLayerInfo, InputInfo, ModelEngine, OutputInfo, RunResult } from './engine';
import { readTfjsArtifacts, type TfjsSource } from './tfjs-files';
import { TfjsGraphEngine } from './tfjs-graph-engine';
import { runForward, type DifferentiableModel, type ForwardOptions, type ForwardResult } from './tfjs-model';

// The layers API types keep these internals private; they are stable across 4.x.
interface SymTensor {
  id: number;
  shape: (number | null)[];
}
interface LayerNode {
  inputTensors: SymTensor[];
  outputTensors: SymTensor[];
}
type Layer = tf.layers.Layer & { inboundNodes: LayerNode[]; activation?: { apply(x: tf.Tensor): tf.Tensor; getClassName(): string } };

interface Step {
  layer: Layer;
  name: string;
  inputs: number[];
  output: number;
  conv: boolean;
}

const toNCHW = (t: tf.Tensor): tf.Tensor4D => tf.transpose(t, [0, 3, 1, 2]) as tf.Tensor4D;
const toNHWC = (t: tf.Tensor): tf.Tensor4D => tf.transpose(t, [0, 2, 3, 1]) as tf.Tensor4D;

/** TF 'SAME' padding as explicit [top, left, bottom, right]. */
function samePads(inHW: number[], k: number[], s: number[], d: number[]): [number, number, number, number] {
  const p = [0, 1].map((i) => {
    const out = Math.ceil(inHW[i] / s[i]);
    return Math.max(0, (out - 1) * s[i] + (k[i] - 1) * d[i] + 1 - inHW[i]);
  });
  return [Math.floor(p[0] / 2), Math.floor(p[1] / 2), p[0] - Math.floor(p[0] / 2), p[1] - Math.floor(p[1] / 2)];
}
const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [v[0], v[1] ?? v[0]] : [Number(v ?? 1), Number(v ?? 1)]);

export class TfjsLayersEngine implements ModelEngine, DifferentiableModel {
  readonly backend: string;
  readonly input: InputInfo;
  readonly output: OutputInfo;
  readonly poolFeature: string | null;
  private readonly steps: Step[] = [];
  private readonly layers: ConvLayerInfo[] = [];
  /** How the logits are obtained: as is, by a linear call of the last layer, or from its input. */
  private readonly logitsMode: 'as-is' | 'linear-call' | 'input';
  private model: tf.LayersModel | null;

  constructor(model: tf.LayersModel, source: string) {
    this.model = model;
    this.backend = `tfjs-${tf.getBackend()}`;
    if (model.inputs.length !== 1 || model.outputs.length !== 1) {
      throw new Error(`${source}: expected one input and one output, found ${model.inputs.length} and ${model.outputs.length}`);
    }
    const inShape = model.inputs[0].shape;
    if (inShape.length !== 4 || inShape.slice(1).some((d) => d == null)) {
      throw new Error(`${source}: the input must be a fixed-size NHWC image [N, H, W, C], found [${inShape.join(', ')}]`);
    }
    const [, h, w, c] = inShape as number[];
    checkInputSize(model.inputs[0].name, [c, h, w], source, inputLimitsFromEnv(), inShape);
    this.input = { name: model.inputs[0].name, shape: [c, h, w], fixedBatchSize: inShape[0] ?? null };

    const known = new Set<number>([(model.inputs[0] as unknown as SymTensor).id]);
    let gap: string | null = null;
    for (const l of model.layers as Layer[]) {
      if (l.getClassName() === 'InputLayer') continue;
      const node = l.inboundNodes.find((n) => n.inputTensors.every((t) => known.has(t.id)));
      if (!node || node.outputTensors.length !== 1) {
        throw new Error(`${source}: layer '${l.name}' is shared, nested oddly or has several outputs; not supported`);
      }
      const conv = l.getClassName() === 'Conv2D';
      this.steps.push({ layer: l, name: l.name, inputs: node.inputTensors.map((t) => t.id), output: node.outputTensors[0].id, conv });
      known.add(node.outputTensors[0].id);
      if (conv) this.layers.push(describeConv(l, node, source));
      if (l.getClassName() === 'GlobalAveragePooling2D') gap = `${l.name}:input`;
    }
    this.poolFeature = gap;

    const last = this.steps[this.steps.length - 1].layer;
    const act = last.activation?.getClassName();
    const cls = last.getClassName();
    this.logitsMode =
      cls === 'Softmax' || (cls === 'Activation' && act === 'softmax') ? 'input' : act === 'softmax' ? 'linear-call' : 'as-is';
    const outShape = model.outputs[0].shape.slice(1) as number[];
    this.output = { name: model.outputs[0].name, shape: outShape, softmax: false };
  }

  listConvLayers(): ConvLayerInfo[] {
    return this.layers.map((l) => ({ ...l, weightMean: l.weightMean ? l.weightMean.slice() : null }));
  }

  /**
   * Taps/edits: a Conv2D layer name (its pre-activation output), any other
   * layer name (its output), or 'layer:input' (its input). Rank-4 values are
   * exchanged in NCHW.
   */
  forward(x: tf.Tensor4D, options: ForwardOptions = {}): ForwardResult {
    if (!this.model) throw new Error('engine has been disposed');
    const taps = new Map<string, tf.Tensor4D>();
    const wanted = new Set(options.taps ?? []);
    const edits = options.edit ?? new Map();
    const names = new Set(this.steps.flatMap((s) => [s.name, `${s.name}:input`]));
    for (const n of [...wanted, ...edits.keys()]) {
      if (!names.has(n)) throw new Error(`unknown layer '${n}'; conv layers: ${this.layers.map((l) => l.name).join(', ')}`);
    }
    const touch = (key: string, v: tf.Tensor): tf.Tensor => {
      const edit = edits.get(key);
      if (edit) v = v.rank === 4 ? toNHWC(edit(toNCHW(v))) : (edit(v as tf.Tensor4D) as tf.Tensor);
      if (wanted.has(key)) taps.set(key, v.rank === 4 ? toNCHW(v) : (v as tf.Tensor4D));
      return v;
    };
    const vals = new Map<number, tf.Tensor>([[(this.model.inputs[0] as unknown as SymTensor).id, toNHWC(x)]]);
    let out: tf.Tensor | null = null;
    for (let i = 0; i < this.steps.length; i++) {
      if (options.stopAtTaps && taps.size === wanted.size) return { taps, output: null };
      const s = this.steps[i];
      const ins = s.inputs.map((id) => vals.get(id)!);
      if (ins.length === 1) ins[0] = touch(`${s.name}:input`, ins[0]);
      const isLast = i === this.steps.length - 1;
      let y: tf.Tensor;
      if (s.conv) {
        y = s.layer.activation!.apply(touch(s.name, convPre(s.layer, ins[0])));
      } else {
        if (isLast && this.logitsMode === 'input') {
          out = ins[0];
          break;
        }
        y = isLast && this.logitsMode === 'linear-call' ? linearCall(s.layer, ins[0]) : this.apply(s.layer, ins);
        y = touch(s.name, y);
      }
      vals.set(s.output, y);
      if (isLast) out = y;
    }
    if (options.stopAtTaps && taps.size === wanted.size) return { taps, output: null };
    const o = out as tf.Tensor | null;
    if (!o) throw new Error('the model produced no output');
    return { taps, output: o.rank === 4 ? toNCHW(o) : o };
  }

  private apply(layer: Layer, ins: tf.Tensor[]): tf.Tensor {
    return layer.apply(ins.length === 1 ? ins[0] : ins, { training: false }) as tf.Tensor;
  }

  run(batch: Float32Array, batchSize: number, layers: readonly string[]): Promise<RunResult> {
    return runForward(this, batch, batchSize, layers);
  }

  async dispose(): Promise<void> {
    this.model?.dispose();
    this.model = null;
  }
}

/** Conv2D output before its activation: conv2d + bias with the layer's own weights. */
function convPre(layer: Layer, x: tf.Tensor): tf.Tensor {
  const cfg = layer.getConfig();
  const [kernel, bias] = layer.getWeights();
  const y = tf.conv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, pair(cfg.strides), cfg.padding as 'same' | 'valid', 'NHWC', pair(cfg.dilationRate));
  return cfg.useBias === false || !bias ? y : tf.add(y, bias);
}

/** Call a layer with its activation temporarily linear (synchronous, so nothing else sees the swap). */
let linearAct: Layer['activation'] | undefined;
const linear = () =>
  (linearAct ??= (tf.layers.activation({ activation: 'linear' }) as unknown as { activation: Layer['activation'] }).activation);
function linearCall(layer: Layer, x: tf.Tensor): tf.Tensor {
  const saved = layer.activation;
  layer.activation = linear();
  try {
    return layer.apply(x, { training: false }) as tf.Tensor;
  } finally {
    layer.activation = saved;
  }
}

function describeConv(l: Layer, node: LayerNode, source: string): ConvLayerInfo {
  const cfg = l.getConfig();
  if (cfg.dataFormat === 'channelsFirst') throw new Error(`${source}: channelsFirst Conv2D '${l.name}' is not supported`);
  const inS = node.inputTensors[0].shape as number[];
  const outS = node.outputTensors[0].shape as number[];
  const k = pair(cfg.kernelSize);
  const s = pair(cfg.strides);
  const d = pair(cfg.dilationRate);
  const kernel = l.getWeights()[0];
  const cout = kernel.shape[3] as number;
  // Kernel [kh, kw, cin, cout]: channel m's weights are every cout-th value.
  const vals = kernel.dataSync();
  const mean = new Float64Array(cout);
  for (let i = 0; i < vals.length; i++) mean[i % cout] += vals[i];
  for (let m = 0; m < cout; m++) mean[m] /= vals.length / cout;
  return {
    name: l.name,
    outputName: l.name,
    channels: cout,
    mapHeight: outS[1] as number,
    mapWidth: outS[2] as number,
    kernelSize: k,
    stride: s,
    dilation: d,
    padding: cfg.padding === 'same' ? samePads([inS[1], inS[2]], k, s, d) : [0, 0, 0, 0],
    groups: 1,
    weightMean: mean,
  };
}

export interface TfjsEngineOptions {
  /** Graph models: per-sample [C, H, W] when the input has unknown dims. */
  inputShape?: number[];
}

/**
 * Load a TF.js model from a folder, a model.json path, or in-memory files.
 * Layers models give a TfjsLayersEngine (differentiable); graph models a
 * TfjsGraphEngine (inference and conv activations only).
 */
export async function createTfjsEngine(
  src: TfjsSource,
  options: TfjsEngineOptions = {},
): Promise<TfjsLayersEngine | TfjsGraphEngine> {
  await initTfBackend();
  const { kind, artifacts, source } = await readTfjsArtifacts(src);
  const handler = tf.io.fromMemory(artifacts);
  if (kind === 'graph') {
    const gm = await tf.loadGraphModel(handler).catch((err) => {
      throw new Error(`${source}: cannot load the TF.js graph model: ${(err as Error).message}`);
    });
    return TfjsGraphEngine.create(gm, artifacts, source, options.inputShape);
  }
  const model = await tf.loadLayersModel(handler).catch((err) => {
    throw new Error(`${source}: cannot load the TF.js layers model: ${(err as Error).message}`);
  });
  try {
    return new TfjsLayersEngine(model, source);
  } catch (err) {
    model.dispose();
    throw err;
  }
}
