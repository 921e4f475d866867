/**
 * An ONNX CNN translated into a function of TF.js ops, so that gradients can
 * be taken (ONNX Runtime has no backward pass). Supports the op set of
 * torchvision-style CNNs — Conv (groups, pads, auto_pad, strides, dilations),
 * BatchNormalization, Relu/LeakyRelu/Clip/Sigmoid/Tanh, MaxPool, AveragePool,
 * GlobalAverage/MaxPool, Add/Sub/Mul/Div, Gemm, MatMul, Flatten, Reshape,
 * Concat, Dropout, Identity, Pad, ReduceMean, Softmax/LogSoftmax, Transpose,
 * plus the shape bookkeeping torch exports emit (Constant, Shape, Gather,
 * Unsqueeze, Squeeze, Cast). Anything else is rejected when the model is
 * loaded, naming the op and the node, never half-way through a run.
 *
 * For inference alone use the ORT engine (onnx-engine.ts): it is ~10× faster
 * than TF.js wasm. This model also implements ModelEngine so the two can be
 * compared tensor for tensor.
 */
import * as tf from '@tensorflow/tfjs';
import { readFile } from 'node:fs/promises';
import onnxProto from 'onnx-proto';
import { initTfBackend } from './backend';
import type { ConvLayerInfo, InputInfo, ModelEngine, OutputInfo, RunResult } from './engine';
import { checkInputSize } from './input-limits';
import { decodeOnnx, findConvNodes, graphInputs, graphOutputNames, type ModelProto } from './onnx-graph';
import { makeStep, type Step } from './onnx-to-tfjs-steps';
import { constantVal, isInts, toNCHW, type TVal, type Val } from './onnx-to-tfjs-ops';
import { runForward, type DifferentiableModel, type ForwardOptions, type ForwardResult } from './tfjs-model';

type NodeProto = onnxProto.onnx.INodeProto;

export interface OnnxToTfjsOptions {
  /**
   * Per-sample [C, H, W]: required when the model's spatial dims are
   * symbolic; may also override fixed ones, since the translated ops take
   * their sizes from the tensors (fine for global-pool heads, an error at the
   * first Gemm/Reshape otherwise).
   */
  inputShape?: number[];
  /** Graph output to use; default: the first. */
  outputName?: string;
  /**
   * When the output comes from a Softmax, return the Softmax's input (the
   * logits) instead, as PCACE and Grad-CAM want. Default true.
   */
  logits?: boolean;
}

interface Compiled {
  consts: Map<string, Val>;
  steps: { node: NodeProto; step: Step }[];
  owned: tf.Tensor[];
}

/** Turn every node into a step; constants (initializers, Constant, Identity of a constant) are decoded once. */
function compile(model: ModelProto, source: string): Compiled {
  const graph = model.graph!;
  const opset = model.opsetImport?.find((o) => !o.domain || o.domain === 'ai.onnx')?.version;
  const opsetVersion = opset == null ? 13 : Number(opset);
  const consts = new Map<string, Val>();
  const owned: tf.Tensor[] = [];
  const keep = (v: Val): Val => {
    if (!isInts(v)) owned.push(v.t);
    return v;
  };
  try {
    for (const t of graph.initializer ?? []) consts.set(t.name ?? '', keep(constantVal(t, `${source}: initializer '${t.name}'`)));
    const steps: Compiled['steps'] = [];
    for (const node of graph.node ?? []) {
      const where = `${source}: node '${node.name || node.output?.[0]}' (${node.opType})`;
      if (node.domain && node.domain !== 'ai.onnx') {
        throw new Error(`${source}: unsupported ONNX op '${node.domain}.${node.opType}' in node '${node.name}'`);
      }
      if (node.opType === 'Constant') {
        consts.set(node.output![0], keep(constantNodeVal(node, where)));
        continue;
      }
      if (node.opType === 'Identity' && consts.has(node.input![0])) {
        consts.set(node.output![0], consts.get(node.input![0])!);
        continue;
      }
      const step = makeStep(node, { consts, opset: opsetVersion, where, own: (t) => (owned.push(t), t) });
      if (!step) throw new Error(`${source}: unsupported ONNX op '${node.opType}' in node '${node.name || node.output?.[0]}'`);
      steps.push({ node, step });
    }
    return { consts, steps, owned };
  } catch (err) {
    tf.dispose(owned);
    throw err;
  }
}

function constantNodeVal(node: NodeProto, where: string): Val {
  const a = node.attribute?.[0];
  if (!a) throw new Error(`${where}: Constant without a value`);
  if (a.name === 'value' && a.t) return constantVal(a.t, where);
  if (a.name === 'value_float') return { t: tf.scalar(a.f ?? 0), nhwc: false };
  if (a.name === 'value_floats') return { t: tf.tensor1d(a.floats ?? []), nhwc: false };
  if (a.name === 'value_int') return { ints: [Number(a.i)], dims: [] };
  if (a.name === 'value_ints') return { ints: (a.ints ?? []).map(Number), dims: [a.ints?.length ?? 0] };
  throw new Error(`${where}: Constant '${a.name}' attribute is not supported`);
}

export class OnnxTfjsModel implements ModelEngine, DifferentiableModel {
  readonly backend: string;
  private disposed = false;

  private constructor(
    private readonly compiled: Compiled,
    readonly input: InputInfo,
    readonly output: OutputInfo,
    private readonly outputTensor: string,
    private readonly layers: ConvLayerInfo[],
    /** Conv layer name → the tensor its output is. */
    private readonly tapTensor: Map<string, string>,
    readonly poolFeature: string | null,
  ) {
    this.backend = `tfjs-${tf.getBackend()}`;
  }

  static async create(model: string | Uint8Array, options: OnnxToTfjsOptions = {}): Promise<OnnxTfjsModel> {
    await initTfBackend();
    const source = typeof model === 'string' ? model : 'model';
    const proto = decodeOnnx(typeof model === 'string' ? await readFile(model) : model, source);
    const inputs = graphInputs(proto);
    if (inputs.length !== 1) throw new Error(`${source}: expected exactly one image input, found ${inputs.length}`);
    const gi = inputs[0];
    const shape = options.inputShape ?? gi.dims.slice(1).map((d) => d ?? NaN);
    if (shape.length !== 3 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new Error(`${source}: input '${gi.name}' needs a fixed [C, H, W]; pass inputShape`);
    }
    checkInputSize(gi.name, shape, source);
    const outputs = graphOutputNames(proto);
    let outputTensor = options.outputName ?? outputs[0];
    if (!outputs.includes(outputTensor)) throw new Error(`${source}: no graph output '${outputTensor}'`);
    const producer = proto.graph!.node!.find((n) => n.output?.includes(outputTensor));
    const isSoftmax = producer?.opType === 'Softmax';
    if (isSoftmax && options.logits !== false) outputTensor = producer!.input![0];

    const compiled = compile(proto, source);
    const convs = findConvNodes(proto);
    const tapTensor = new Map(convs.map((c) => [c.name, c.outputName]));
    const gaps = proto.graph!.node!.filter((n) => n.opType === 'GlobalAveragePool');
    const poolFeature = gaps.length ? gaps[gaps.length - 1].input![0] : null;
    const input: InputInfo = { name: gi.name, shape, fixedBatchSize: gi.dims[0] };
    const out: OutputInfo = { name: outputTensor, shape: [], softmax: isSoftmax && options.logits === false };
    const m = new OnnxTfjsModel(compiled, input, out, outputTensor, [], tapTensor, poolFeature);
    try {
      m.describe(convs);
    } catch (err) {
      m.release();
      throw err;
    }
    return m;
  }

  /** Probe one zero sample for every conv's map size and the output shape. */
  private describe(convs: ReturnType<typeof findConvNodes>): void {
    let probe = { out: [] as number[], maps: new Map<string, number[]>() };
    tf.tidy(() => {
      const x = tf.zeros([this.input.fixedBatchSize ?? 1, ...this.input.shape]) as unknown as tf.Tensor4D;
      const r = this.forward(x, { taps: [...this.tapTensor.values()] });
      probe = { out: r.output!.shape.slice(1), maps: new Map([...r.taps].map(([k, t]) => [k, [...t.shape]])) };
    });
    (this.output as { shape: number[] }).shape = probe.out;
    for (const c of convs) {
      const dims = probe.maps.get(c.outputName);
      if (!dims || dims.length !== 4) continue; // Conv1d/3d: not a 2-D feature map
      const p = c.pads.length === 4 ? c.pads : [0, 0, 0, 0];
      this.layers.push({
        name: c.name,
        outputName: c.outputName,
        channels: dims[1],
        mapHeight: dims[2],
        mapWidth: dims[3],
        kernelSize: [c.kernelSize[0] ?? 1, c.kernelSize[1] ?? 1],
        stride: [c.stride[0] ?? 1, c.stride[1] ?? 1],
        dilation: [c.dilation[0] ?? 1, c.dilation[1] ?? 1],
        padding: [p[0], p[1], p[2], p[3]],
        groups: c.groups,
        weightMean: c.weightMean && c.weightMean.length === dims[1] ? c.weightMean : null,
      });
    }
  }

  listConvLayers(): ConvLayerInfo[] {
    return this.layers.map((l) => ({ ...l }));
  }

  /** Tap names may be conv layer names or any tensor name of the graph. */
  forward(x: tf.Tensor4D, options: ForwardOptions = {}): ForwardResult {
    if (this.disposed) throw new Error('model has been disposed');
    const byTensor = (name: string) => this.tapTensor.get(name) ?? name;
    const wanted = new Map((options.taps ?? []).map((n) => [byTensor(n), n]));
    const edits = new Map([...(options.edit ?? new Map()).entries()].map(([n, f]) => [byTensor(n), f]));
    for (const t of [...wanted.keys(), ...edits.keys()]) {
      if (!this.compiled.steps.some((s) => s.node.output?.includes(t))) {
        throw new Error(`unknown layer or tensor '${t}'; conv layers: ${[...this.tapTensor.keys()].join(', ')}`);
      }
    }
    const env = new Map<string, Val>(this.compiled.consts);
    env.set(this.input.name, { t: x, nhwc: false });
    const taps = new Map<string, tf.Tensor4D>();
    for (const { node, step } of this.compiled.steps) {
      const outs = step(node.input!.map((n) => (n === '' ? undefined : env.get(n))));
      node.output!.forEach((name, i) => {
        if (!name) return;
        let v = outs[i];
        const edit = edits.get(name);
        if (edit) v = { t: edit(toNCHW(v as TVal) as tf.Tensor4D), nhwc: false };
        env.set(name, v);
        const tap = wanted.get(name);
        if (tap !== undefined) taps.set(tap, toNCHW(v as TVal) as tf.Tensor4D);
      });
      if (options.stopAtTaps && taps.size === wanted.size) return { taps, output: null };
    }
    const out = env.get(this.outputTensor);
    if (!out || isInts(out)) throw new Error(`output '${this.outputTensor}' was not computed as a float tensor`);
    return { taps, output: toNCHW(out) };
  }

  run(batch: Float32Array, batchSize: number, layers: readonly string[]): Promise<RunResult> {
    return runForward(this, batch, batchSize, layers);
  }

  private release(): void {
    this.disposed = true;
    tf.dispose(this.compiled.owned);
    this.compiled.owned.length = 0;
  }

  async dispose(): Promise<void> {
    this.release();
  }
}

/** Translate an ONNX model (path or bytes) into a differentiable TF.js model. */
export function createOnnxTfjsModel(model: string | Uint8Array, options: OnnxToTfjsOptions = {}): Promise<OnnxTfjsModel> {
  return OnnxTfjsModel.create(model, options);
}
