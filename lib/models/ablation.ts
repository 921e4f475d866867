/**
 * Channel ablation: zero one output channel of a conv layer at a time and
 * measure, over a batch of images, how much the target class score (logit)
 * and the accuracy drop against the unablated model.
 *
 * Two executors, same numbers:
 *  - ablateLayerOrt: the ONNX graph is edited so the conv output passes
 *    through a per-channel mask and fill that are graph inputs (layer-edit.ts);
 *    one ORT session then serves every channel, changing only the mask. This
 *    is the fast path for ONNX models (ORT's forward is ~10× TF.js wasm's).
 *  - ablateLayer: any DifferentiableModel (TF.js layers models, or the ONNX
 *    translation), with the mask applied as a forward-pass edit.
 * The baseline runs through the same path with a mask of ones, so a channel
 * whose output is already zero shows a drop of exactly 0.
 */
import * as tf from '@tensorflow/tfjs';
import { LayerEditor } from './layer-edit';
import type { DifferentiableModel } from './tfjs-model';
import { concatArrays } from './concat';

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
    return { logits: concatArrays(parts, (n) => new Float32Array(n)), classes };
  };
  return ablate(run, layer.channels, opts, model.backend);
}

export interface OrtAblationOptions extends AblationOptions {
  intraOpNumThreads?: number;
  /** Graph output holding the logits; default the first. */
  outputName?: string;
}

/**
 * Zero-ablation of an ONNX model's conv channels with ONNX Runtime, through a
 * LayerEditor (mask 0, fill 0). split (default true) runs the network up to
 * the layer once per chunk and only the rest per channel; false runs the
 * whole edited graph per channel.
 */
export async function ablateLayerOrt(model: string | Uint8Array, opts: OrtAblationOptions & { split?: boolean }): Promise<AblationResult> {
  const editor = await LayerEditor.open(model, {
    layer: opts.layer,
    images: opts.images,
    count: opts.count,
    chunk: opts.chunk,
    split: opts.split,
    intraOpNumThreads: opts.intraOpNumThreads,
    outputName: opts.outputName,
  });
  try {
    const zeros = new Float32Array(editor.channels);
    return await ablate(async (mask) => ({ logits: await editor.run(mask, zeros), classes: editor.classes }), editor.channels, opts, editor.method);
  } finally {
    await editor.release();
  }
}
