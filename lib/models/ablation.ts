/**
 * Channel ablation: zero one output channel of a conv layer at a time and
 * measure, over a batch of images, how much the target class score (logit)
 * and the accuracy drop against the unablated model.
 *
 * Two executors, same numbers:
 *  - ablateLayerOrt: the ONNX graph is edited so the conv output is multiplied
 *    by a per-channel mask that is a graph input ([1, C, 1, 1]); one ORT
 *    session then serves every channel, changing only the mask. This is the
 *    fast path for ONNX models (ORT's forward is ~10× TF.js wasm's).
 *  - ablateLayer: any DifferentiableModel (TF.js layers models, or the ONNX
 *    translation), with the mask applied as a forward-pass edit.
 * The baseline runs through the same path with a mask of ones, so a channel
 * whose output is already zero shows a drop of exactly 0.
 */
import { availableParallelism } from 'node:os';
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import onnxProto from 'onnx-proto';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { decodeOnnx, findConvNodes, graphInputs, withExtraOutputs } from './onnx-graph';
import { isolatedSessionOptions } from './onnx-policy';
import type { DifferentiableModel } from './tfjs-model';

const { onnx } = onnxProto;

export interface AblationOptions {
  layer: string;
  /** NCHW float32 images, `count` of them. */
  images: Float32Array;
  count: number;
  /** True classes; enables the accuracy columns. */
  labels?: ArrayLike<number>;
  /** Class whose score is tracked: one for all, or per image. Default: labels, else the unablated prediction. */
  targetClass?: number | ArrayLike<number>;
  /** Channels to ablate; default all. */
  channels?: readonly number[];
  /** Images per forward pass; default 128. */
  chunk?: number;
}

export interface ChannelAblation {
  channel: number;
  /** Mean over images of (baseline score − ablated score) of the target class. */
  meanScoreDrop: number;
  /** Accuracy with the channel ablated, and baseline − that; null without labels. */
  accuracy: number | null;
  accuracyDrop: number | null;
}

export interface AblationResult {
  layer: string;
  method: string;
  images: number;
  baseline: { meanScore: number; accuracy: number | null };
  channels: ChannelAblation[];
  /** Wall time of the whole layer (baseline + every channel). */
  ms: number;
}

/** Runs the model on every image with a channel mask; returns logits [count, K] row-major. */
type MaskedRunner = (mask: Float32Array) => Promise<{ logits: Float32Array; classes: number }>;

async function ablate(run: MaskedRunner, channels: number, opts: AblationOptions, method: string): Promise<AblationResult> {
  const t0 = performance.now();
  const n = opts.count;
  if (opts.labels && opts.labels.length !== n) throw new Error(`labels: ${opts.labels.length} for ${n} images`);
  const wanted = opts.channels ?? Array.from({ length: channels }, (_, i) => i);
  for (const c of wanted) if (!Number.isInteger(c) || c < 0 || c >= channels) throw new Error(`channel ${c} is not in 0..${channels - 1}`);
  const ones = new Float32Array(channels).fill(1);
  const base = await run(ones);
  const k = base.classes;
  const argmax = (l: Float32Array, i: number) => {
    let best = 0;
    for (let j = 1; j < k; j++) if (l[i * k + j] > l[i * k + best]) best = j;
    return best;
  };
  const t = opts.targetClass;
  const target = Array.from({ length: n }, (_, i) =>
    t === undefined ? (opts.labels ? Number(opts.labels[i]) : argmax(base.logits, i)) : typeof t === 'number' ? t : Number(t[i]),
  );
  if (target.some((c) => !Number.isInteger(c) || c < 0 || c >= k)) throw new Error(`target classes must be in 0..${k - 1}`);
  const summary = (l: Float32Array) => {
    let score = 0;
    let correct = 0;
    for (let i = 0; i < n; i++) {
      score += l[i * k + target[i]];
      if (opts.labels && argmax(l, i) === Number(opts.labels[i])) correct++;
    }
    return { scores: score, accuracy: opts.labels ? correct / n : null };
  };
  const b = summary(base.logits);
  const out: ChannelAblation[] = [];
  for (const c of wanted) {
    const mask = ones.slice();
    mask[c] = 0;
    const { logits } = await run(mask);
    // Per-image drops summed in float64: the mean of differences, not a
    // difference of float32 means.
    let drop = 0;
    for (let i = 0; i < n; i++) drop += base.logits[i * k + target[i]] - logits[i * k + target[i]];
    const s = summary(logits);
    out.push({
      channel: c,
      meanScoreDrop: drop / n,
      accuracy: s.accuracy,
      accuracyDrop: s.accuracy === null || b.accuracy === null ? null : b.accuracy - s.accuracy,
    });
  }
  return {
    layer: opts.layer,
    method,
    images: n,
    baseline: { meanScore: b.scores / n, accuracy: b.accuracy },
    channels: out,
    ms: performance.now() - t0,
  };
}

/** Ablation on any DifferentiableModel (TF.js layers model or ONNX translation). */
export async function ablateLayer(model: DifferentiableModel, opts: AblationOptions): Promise<AblationResult> {
  const layer = model.listConvLayers().find((l) => l.name === opts.layer);
  if (!layer) throw new Error(`unknown layer '${opts.layer}'; conv layers: ${model.listConvLayers().map((l) => l.name).join(', ')}`);
  const per = model.input.shape.reduce((a, b) => a * b, 1);
  if (opts.images.length !== opts.count * per) throw new Error(`images: expected ${opts.count}×${model.input.shape.join('×')} floats`);
  const chunk = opts.chunk ?? 128;
  const run: MaskedRunner = async (mask) => {
    const m = tf.tensor4d(mask, [1, mask.length, 1, 1]);
    const parts: Float32Array[] = [];
    let classes = 0;
    for (let s = 0; s < opts.count; s += chunk) {
      const e = Math.min(opts.count, s + chunk);
      const out = tf.tidy(() => {
        const x = tf.tensor4d(opts.images.subarray(s * per, e * per), [e - s, ...model.input.shape] as [number, number, number, number]);
        const r = model.forward(x, { edit: new Map([[layer.name, (t: tf.Tensor4D) => tf.mul(t, m) as tf.Tensor4D]]) });
        return tf.reshape(r.output!, [e - s, -1]);
      });
      classes = out.shape[1]!;
      parts.push((await out.data()) as Float32Array);
      out.dispose();
    }
    m.dispose();
    return { logits: concat(parts), classes };
  };
  return ablate(run, layer.channels, opts, model.backend);
}

export interface OrtAblationOptions extends AblationOptions {
  intraOpNumThreads?: number;
  /** Graph output holding the logits; default the first. */
  outputName?: string;
}

const MASK_INPUT = 'pcace_channel_mask';

/**
 * Copy of an ONNX model whose conv `layer` output is multiplied by a new
 * graph input `pcace_channel_mask` [1, C, 1, 1]. Consumers keep reading the
 * original tensor name, which now holds the masked value.
 */
export function withChannelMask(bytes: Uint8Array, layer: string): { bytes: Uint8Array; channels: number; input: string } {
  const model = decodeOnnx(bytes);
  const conv = findConvNodes(model).find((c) => c.name === layer);
  if (!conv) throw new Error(`unknown layer '${layer}'; conv layers: ${findConvNodes(model).map((c) => c.name).join(', ')}`);
  if (!conv.channels) throw new Error(`layer '${layer}': channel count unknown (weight is not a constant)`);
  const graph = model.graph!;
  const nodes = graph.node!;
  const at = nodes.findIndex((n) => n.output?.[0] === conv.outputName);
  const raw = `${conv.outputName}__unmasked`;
  nodes[at].output![0] = raw;
  nodes.splice(at + 1, 0, onnx.NodeProto.create({ opType: 'Mul', name: `${conv.nodeName}/pcace_mask`, input: [raw, MASK_INPUT], output: [conv.outputName] }));
  graph.input!.push(
    onnx.ValueInfoProto.create({
      name: MASK_INPUT,
      type: { tensorType: { elemType: 1, shape: { dim: [1, conv.channels, 1, 1].map((d) => ({ dimValue: d })) } } },
    }),
  );
  return { bytes: onnx.ModelProto.encode(model).finish(), channels: conv.channels, input: graphInputs(decodeOnnx(bytes))[0].name };
}

/**
 * The masked model split at the mask: a prefix (the original graph, also
 * returning every tensor the rest of the network reads) and a suffix (the Mul
 * and everything after it) whose inputs are those tensors. The prefix runs
 * once per chunk of images; each channel then costs only the suffix (for
 * MNIST conv2: ReLU, pool and the dense layers instead of the whole net).
 */
function splitAtMask(masked: Uint8Array, mulName: string) {
  const model = decodeOnnx(masked);
  const graph = model.graph!;
  const nodes = graph.node!;
  const at = nodes.findIndex((n) => n.name === mulName);
  const produced = new Set(nodes.slice(0, at).flatMap((n) => n.output ?? []));
  for (const gi of graphInputs(model)) if (gi.name !== MASK_INPUT) produced.add(gi.name);
  const boundary = [...new Set(nodes.slice(at).flatMap((n) => n.input ?? []))].filter((t) => produced.has(t));
  return {
    boundary,
    /** Suffix model bytes, given the element types of the boundary tensors (known after a prefix run). */
    suffix(types: Map<string, number>): Uint8Array {
      const m = decodeOnnx(masked);
      const g = m.graph!;
      g.node = g.node!.slice(at);
      // Drop the prefix's weights (ORT would warn about each unused one).
      const used = new Set(g.node.flatMap((n) => n.input ?? []));
      g.initializer = g.initializer!.filter((t) => used.has(t.name ?? ''));
      g.input = [
        ...g.input!.filter((i) => i.name === MASK_INPUT),
        ...boundary.map((name) => onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: types.get(name) ?? 1 } } })),
      ];
      return onnx.ModelProto.encode(m).finish();
    },
  };
}

const ELEM: Record<string, number> = { float32: 1, int64: 7, int32: 6, bool: 9, float64: 11 };

/**
 * Ablation of an ONNX model's conv channels with ONNX Runtime and a mask
 * input. split (default true) runs the network up to the layer once per chunk
 * and only the rest per channel; false runs the whole masked graph per channel.
 */
export async function ablateLayerOrt(model: string | Uint8Array, opts: OrtAblationOptions & { split?: boolean }): Promise<AblationResult> {
  const bytes = typeof model === 'string' ? await readFile(model) : model;
  const edited = withChannelMask(bytes, opts.layer);
  const dims = graphInputs(decodeOnnx(bytes))[0].dims.slice(1);
  if (dims.some((d) => d === null)) throw new Error('ablateLayerOrt: the model input needs fixed C, H, W');
  const per = (dims as number[]).reduce((a, b) => a * b, 1);
  if (opts.images.length !== opts.count * per) throw new Error(`images: expected ${opts.count}×${dims.join('×')} floats`);
  const sessionOptions: InferenceSession.SessionOptions = isolatedSessionOptions({
    intraOpNumThreads: opts.intraOpNumThreads ?? availableParallelism(),
    graphOptimizationLevel: 'all',
  });
  const chunk = opts.chunk ?? 128;
  const split = opts.split !== false;
  const mulName = `${findConvNodes(decodeOnnx(bytes)).find((c) => c.name === opts.layer)!.nodeName}/pcace_mask`;
  const parts = split ? splitAtMask(edited.bytes, mulName) : null;
  const full = await InferenceSession.create(parts ? withExtraOutputs(decodeOnnx(edited.bytes), parts.boundary) : edited.bytes, sessionOptions);
  let suffix: InferenceSession | null = null;
  const outName = opts.outputName ?? full.outputNames[0];
  try {
    const chunks: { feeds: Record<string, Tensor>; boundary: Record<string, Tensor> | null }[] = [];
    for (let s = 0; s < opts.count; s += chunk) {
      const e = Math.min(opts.count, s + chunk);
      const x = new Tensor('float32', opts.images.subarray(s * per, e * per), [e - s, ...(dims as number[])]);
      chunks.push({ feeds: { [edited.input]: x }, boundary: null });
    }
    // The boundary tensors of every chunk are kept across channels (the
    // ablate() core loops channels outermost): for MNIST conv1 that is the
    // input and conv1's output, 26 MB for 300 images.
    const run: MaskedRunner = async (mask) => {
      const maskT = new Tensor('float32', mask, [1, mask.length, 1, 1]);
      const outs: Float32Array[] = [];
      let classes = 0;
      for (const c of chunks) {
        let res: InferenceSession.ReturnType;
        if (!parts) res = await full.run({ ...c.feeds, [MASK_INPUT]: maskT }, [outName]);
        else {
          if (!c.boundary) {
            c.boundary = await full.run({ ...c.feeds, [MASK_INPUT]: maskT }, parts.boundary);
            const types = new Map(parts.boundary.map((b) => [b, ELEM[c.boundary![b].type] ?? 1]));
            suffix ??= await InferenceSession.create(parts.suffix(types), sessionOptions);
          }
          res = await suffix!.run({ ...c.boundary, [MASK_INPUT]: maskT }, [outName]);
        }
        const out = res[outName];
        classes = out.dims.slice(1).reduce((a, b) => a * Number(b), 1);
        outs.push(out.data as Float32Array);
      }
      return { logits: concat(outs), classes };
    };
    return await ablate(run, edited.channels, opts, split ? 'onnxruntime-node (split at layer)' : 'onnxruntime-node');
  } finally {
    await full.release();
    await (suffix as InferenceSession | null)?.release();
  }
}

function concat(parts: Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0];
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
