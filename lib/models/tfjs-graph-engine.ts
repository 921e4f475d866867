/**
 * ModelEngine for TF.js graph models (tfjs-converter output). Conv layers are
 * the graph's Conv2D / _FusedConv2D nodes. GraphModel.execute can fetch any
 * node's output, but the converter fuses bias and activation into
 * _FusedConv2D, whose pre-activation value no node holds: for those the
 * conv input is fetched and conv + bias recomputed here with the node's own
 * weights and attributes. A plain Conv2D followed by BiasAdd is read at the
 * BiasAdd. The output is the logits: a final Softmax node is skipped.
 * Not differentiable through taps/edits (use a layers model or ONNX for Grad-CAM).
 */
import * as tf from '@tensorflow/tfjs';
import { checkInputSize } from './input-limits';
import { checkBatch, resolveLayers, type ConvLayerInfo, type InputInfo, type ModelEngine, type OutputInfo, type RunResult, type TensorData } from './engine';

interface GNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, { s?: string; i?: string; f?: number; list?: { i?: string[]; s?: string[] } }>;
}

interface GraphConv {
  info: ConvLayerInfo;
  /** Tensor read directly, or null when the pre-activation is recomputed. */
  fetch: string | null;
  recompute: { input: string; filter: tf.Tensor4D; bias: tf.Tensor | null; strides: [number, number]; pad: 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]]; dilations: [number, number] } | null;
}

const clean = (n: string) => n.replace(/^\^/, '').replace(/:0$/, '');
const str = (b64?: string) => (b64 ? Buffer.from(b64, 'base64').toString('utf8') : '');
const intsOf = (a?: { list?: { i?: string[] } }) => (a?.list?.i ?? []).map(Number);

export class TfjsGraphEngine implements ModelEngine {
  readonly backend: string;

  private constructor(
    private model: tf.GraphModel | null,
    readonly input: InputInfo,
    readonly output: OutputInfo,
    private readonly outputTensor: string,
    private readonly convs: GraphConv[],
  ) {
    this.backend = `tfjs-${tf.getBackend()}`;
  }

  static create(gm: tf.GraphModel, artifacts: tf.io.ModelArtifacts, source: string, inputShape?: number[]): TfjsGraphEngine {
    const nodes = ((artifacts.modelTopology as { node?: GNode[] }).node ?? []) as GNode[];
    const byName = new Map(nodes.map((n) => [n.name, n]));
    const consumers = new Map<string, GNode[]>();
    for (const n of nodes) for (const i of n.input ?? []) consumers.set(clean(i), [...(consumers.get(clean(i)) ?? []), n]);
    if (gm.inputs.length !== 1) throw new Error(`${source}: expected one input, found ${gm.inputs.length}`);
    const gi = gm.inputs[0];
    const s = gi.shape ?? [];
    const chw = inputShape ?? [s[3], s[1], s[2]];
    if (s.length !== 4 || chw.some((d) => d == null || d < 1)) {
      throw new Error(`${source}: input '${gi.name}' must be an NHWC image with known H, W, C (or pass inputShape)`);
    }
    checkInputSize(gi.name, chw, source);
    const input: InputInfo = { name: gi.name, shape: chw, fixedBatchSize: s[0] != null && s[0] > 0 ? s[0] : null };
    let outputTensor = clean(gm.outputs[0].name);
    const producer = byName.get(outputTensor);
    if (producer?.op === 'Softmax') outputTensor = clean(producer.input![0]);

    const weights = gm.weights;
    const convs: GraphConv[] = [];
    for (const n of nodes) {
      if (n.op !== 'Conv2D' && n.op !== '_FusedConv2D') continue;
      if (str(n.attr?.data_format?.s) === 'NCHW') throw new Error(`${source}: NCHW conv '${n.name}' is not supported`);
      const filter = weights[clean(n.input![1])]?.[0] as tf.Tensor4D | undefined;
      if (!filter) throw new Error(`${source}: conv '${n.name}' has no constant filter`);
      const fused = (n.attr?.fused_ops?.list?.s ?? []).map(str);
      const strides = intsOf(n.attr?.strides);
      const dil = intsOf(n.attr?.dilations);
      const padding = str(n.attr?.padding?.s) || 'VALID';
      const ep = intsOf(n.attr?.explicit_paddings);
      const st: [number, number] = [strides[1] ?? 1, strides[2] ?? 1];
      const dl: [number, number] = [dil[1] ?? 1, dil[2] ?? 1];
      let fetch: string | null = n.name;
      let recompute: GraphConv['recompute'] = null;
      if (n.op === '_FusedConv2D' && !(fused.length === 1 && fused[0] === 'BiasAdd')) {
        if (fused[0] !== 'BiasAdd') throw new Error(`${source}: fused conv '${n.name}' (${fused.join('+')}) is not supported`);
        fetch = null;
        recompute = {
          input: clean(n.input![0]),
          filter,
          bias: weights[clean(n.input![2])]?.[0] ?? null,
          strides: st,
          pad: padding === 'EXPLICIT' ? [[0, 0], [ep[2], ep[3]], [ep[4], ep[5]], [0, 0]] : (padding.toLowerCase() as 'same' | 'valid'),
          dilations: dl,
        };
      } else if (n.op === 'Conv2D') {
        const next = consumers.get(n.name) ?? [];
        if (next.length === 1 && next[0].op === 'BiasAdd') fetch = next[0].name;
      }
      const [kh, kw, , cout] = filter.shape;
      const mean = new Float64Array(cout);
      const vals = filter.dataSync();
      for (let i = 0; i < vals.length; i++) mean[i % cout] += vals[i];
      for (let m = 0; m < cout; m++) mean[m] /= vals.length / cout;
      convs.push({
        info: {
          name: n.name, outputName: fetch ?? n.name, channels: cout, mapHeight: 0, mapWidth: 0,
          kernelSize: [kh, kw], stride: st, dilation: dl,
          padding: padding === 'EXPLICIT' ? [ep[2], ep[4], ep[3], ep[5]] : [0, 0, 0, 0],
          groups: 1, weightMean: mean,
        },
        fetch,
        recompute,
      });
    }
    const out: OutputInfo = { name: outputTensor, shape: [], softmax: false };
    const engine = new TfjsGraphEngine(gm, input, out, outputTensor, convs);
    // Probe one zero sample for map sizes and the output shape.
    const zeros = tf.zeros([input.fixedBatchSize ?? 1, ...chw]) as unknown as tf.Tensor4D;
    const probe = engine.exec(zeros, convs.map((c) => c.info.name));
    (out as { shape: number[] }).shape = probe.output.shape.slice(1);
    for (const c of convs) {
      const t = probe.acts.get(c.info.name)!;
      c.info.mapHeight = t.shape[2];
      c.info.mapWidth = t.shape[3];
    }
    tf.dispose([zeros, probe.output, ...probe.acts.values()]);
    return engine;
  }

  listConvLayers(): ConvLayerInfo[] {
    return this.convs.map((c) => ({ ...c.info, weightMean: c.info.weightMean?.slice() ?? null }));
  }

  /** x NCHW → NCHW activations of the named convs and the output. */
  private exec(x: tf.Tensor4D, names: readonly string[]): { acts: Map<string, tf.Tensor4D>; output: tf.Tensor } {
    if (!this.model) throw new Error('engine has been disposed');
    const model = this.model;
    const want = this.convs.filter((c) => names.includes(c.info.name));
    // tidy keeps only tensors in arrays/objects it can walk, not in a Map.
    const kept = tf.tidy(() => {
      const fetches = [this.outputTensor, ...want.map((c) => c.fetch ?? c.recompute!.input)];
      const res = model.execute({ [this.input.name]: tf.transpose(x, [0, 2, 3, 1]) }, fetches) as tf.Tensor | tf.Tensor[];
      const list = Array.isArray(res) ? res : [res];
      const acts = want.map((c, i) => {
        let t = list[i + 1] as tf.Tensor4D;
        const r = c.recompute;
        if (r) {
          t = tf.conv2d(t, r.filter, r.strides, r.pad, 'NHWC', r.dilations);
          if (r.bias) t = tf.add(t, r.bias);
        }
        return tf.transpose(t, [0, 3, 1, 2]) as tf.Tensor4D;
      });
      const o = list[0];
      return { acts, output: o.rank === 4 ? tf.transpose(o, [0, 3, 1, 2]) : o };
    });
    return { acts: new Map(want.map((c, i) => [c.info.name, kept.acts[i]])), output: kept.output };
  }

  async run(batch: Float32Array, batchSize: number, layers: readonly string[]): Promise<RunResult> {
    checkBatch(this.input, batch, batchSize);
    resolveLayers(this.listConvLayers(), layers);
    const x = tf.tensor4d(batch, [batchSize, ...this.input.shape] as [number, number, number, number]);
    const r = this.exec(x, layers);
    x.dispose();
    const data = async (t: tf.Tensor): Promise<TensorData> => ({ data: (await t.data()) as Float32Array, dims: [...t.shape] });
    try {
      const activations = new Map<string, TensorData>();
      for (const name of layers) activations.set(name, await data(r.acts.get(name)!));
      return { activations, output: await data(r.output) };
    } finally {
      tf.dispose([r.output, ...r.acts.values()]);
    }
  }

  async dispose(): Promise<void> {
    this.model?.dispose();
    this.model = null;
  }
}
