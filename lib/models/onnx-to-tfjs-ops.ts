/**
 * ONNX operators as TF.js ops, for onnx-to-tfjs.ts.
 *
 * Layout: ONNX is NCHW, but TF.js conv/pool kernels (and every wasm kernel)
 * are NHWC. Rank-4 tensors therefore carry a flag saying which layout they are
 * in: conv, pool, BN and elementwise ops keep NHWC, and a tensor is moved back
 * to NCHW only where layout matters (Flatten, Reshape, Gemm, Shape, taps), so
 * a conv stack costs no transposes between its layers.
 * Integer tensors (shapes for Reshape, Gather indices) live on the host as JS
 * arrays: torch exports compute `x.view(x.size(0), -1)` with Shape → Gather →
 * Unsqueeze → Concat, which is bookkeeping, not tensor math.
 */
import * as tf from '@tensorflow/tfjs';
import onnxProto from 'onnx-proto';
import { tensorValues } from './onnx-graph';

type NodeProto = onnxProto.onnx.INodeProto;
type TensorProto = onnxProto.onnx.ITensorProto;
type AttributeProto = onnxProto.onnx.IAttributeProto;

/** A float tensor; `nhwc` is meaningful for rank 4 only. */
export interface TVal {
  t: tf.Tensor;
  nhwc: boolean;
}
/** A host-side integer tensor (int64/int32 in the model). */
export interface IVal {
  ints: number[];
  dims: number[];
}
export type Val = TVal | IVal;
export const isInts = (v: Val): v is IVal => (v as IVal).ints !== undefined;

type Int64 = number | { toNumber(): number };
const num = (v: Int64 | null | undefined): number => (v == null ? 0 : typeof v === 'number' ? v : v.toNumber());

const FLOAT_TYPES = new Set([1, 10, 11]); // float, float16 (not decodable here), double
const INT_TYPES = new Set([6, 7, 2, 3, 4, 5, 12, 13, 9]); // int32, int64, (u)int8/16/32/64, bool

/** Decode a constant: float → tf tensor (NCHW semantics), integer → host ints. */
export function constantVal(t: TensorProto, what: string): Val {
  const dims = (t.dims ?? []).map((d) => num(d as Int64));
  const type = t.dataType ?? 0;
  if (FLOAT_TYPES.has(type)) {
    const v = tensorValues(t);
    if (!v) throw new Error(`${what}: cannot decode float tensor of ONNX type ${type}`);
    return { t: tf.tensor(Float32Array.from(v), dims, 'float32'), nhwc: false };
  }
  if (INT_TYPES.has(type)) return { ints: intValues(t, what), dims };
  throw new Error(`${what}: unsupported ONNX tensor type ${type}`);
}

function intValues(t: TensorProto, what: string): number[] {
  const count = (t.dims ?? []).reduce((a: number, d) => a * num(d as Int64), 1);
  if (t.int64Data && t.int64Data.length) return t.int64Data.map((v) => num(v as Int64));
  if (t.int32Data && t.int32Data.length) return [...t.int32Data];
  const raw = t.rawData;
  if (!raw || raw.length === 0) return count === 0 ? [] : Array(count).fill(0);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const width = raw.length / Math.max(count, 1);
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    if (width === 8) out.push(Number(dv.getBigInt64(8 * i, true)));
    else if (width === 4) out.push(dv.getInt32(4 * i, true));
    else if (width === 1) out.push(dv.getInt8(i));
    else throw new Error(`${what}: cannot decode integer tensor (${raw.length} bytes for ${count} values)`);
  }
  return out;
}

// ---- attributes -----------------------------------------------------------
export function attrOf(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute?.find((a) => a.name === name);
}
export const attrInts = (node: NodeProto, name: string, dflt: number[]): number[] => {
  const a = attrOf(node, name);
  return a?.ints && a.ints.length ? a.ints.map((v) => num(v as Int64)) : dflt;
};
export const attrInt = (node: NodeProto, name: string, dflt: number): number => {
  const a = attrOf(node, name);
  return a ? num(a.i as Int64) : dflt;
};
export const attrFloat = (node: NodeProto, name: string, dflt: number): number => {
  const a = attrOf(node, name);
  return a ? (a.f ?? dflt) : dflt;
};
export const attrStr = (node: NodeProto, name: string, dflt: string): string => {
  const s = attrOf(node, name)?.s;
  return s && s.length ? new TextDecoder().decode(s) : dflt;
};

// ---- layout ---------------------------------------------------------------
export function toNHWC(v: TVal): tf.Tensor {
  return v.t.rank === 4 && !v.nhwc ? tf.transpose(v.t, [0, 2, 3, 1]) : v.t;
}
export function toNCHW(v: TVal): tf.Tensor {
  return v.t.rank === 4 && v.nhwc ? tf.transpose(v.t, [0, 3, 1, 2]) : v.t;
}
/** The shape the ONNX graph sees (NCHW), whatever the storage layout. */
export function logicalShape(v: TVal): number[] {
  const s = v.t.shape as number[];
  return v.t.rank === 4 && v.nhwc ? [s[0], s[3], s[1], s[2]] : [...s];
}

// ---- spatial helpers --------------------------------------------------------
/**
 * ONNX pads [top, left, bottom, right] for auto_pad, or the explicit ones.
 * SAME_UPPER puts the odd pixel at the end (as TF's 'same'), SAME_LOWER at the start.
 */
export function spatialPads(
  autoPad: string, pads: number[], inHW: number[], k: number[], s: number[], d: number[],
): [number, number, number, number] {
  if (autoPad === 'NOTSET') return [pads[0] ?? 0, pads[1] ?? 0, pads[2] ?? 0, pads[3] ?? 0];
  if (autoPad === 'VALID') return [0, 0, 0, 0];
  const before: number[] = [];
  const after: number[] = [];
  for (let i = 0; i < 2; i++) {
    const out = Math.ceil(inHW[i] / s[i]);
    const total = Math.max(0, (out - 1) * s[i] + (k[i] - 1) * d[i] + 1 - inHW[i]);
    const small = Math.floor(total / 2);
    before.push(autoPad === 'SAME_LOWER' ? total - small : small);
    after.push(autoPad === 'SAME_LOWER' ? small : total - small);
  }
  return [before[0], before[1], after[0], after[1]];
}

export const explicit = (p: readonly number[]): [[number, number], [number, number], [number, number], [number, number]] => [
  [0, 0],
  [p[0] ?? 0, p[2] ?? 0],
  [p[1] ?? 0, p[3] ?? 0],
  [0, 0],
];

/**
 * A dilated filter as an ordinary one with zeros between the taps. TF.js has
 * no gradient for dilated convs ("dilation rates greater than 1 are not yet
 * supported in gradients") and refuses dilation together with stride, so
 * dilation is folded into the filter once, at load time; the extra
 * multiply-adds by zero are the price, and dilated convs are rare in the
 * classifiers PCACE looks at.
 */
function dilateFilter(f: tf.Tensor4D, d: number[]): tf.Tensor4D {
  const [kh, kw, ci, co] = f.shape;
  const eh = (kh - 1) * d[0] + 1;
  const ew = (kw - 1) * d[1] + 1;
  const src = f.dataSync();
  const out = new Float32Array(eh * ew * ci * co);
  const block = ci * co;
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++) out.set(src.subarray((y * kw + x) * block, (y * kw + x + 1) * block), (y * d[0] * ew + x * d[1]) * block);
  return tf.tensor4d(out, [eh, ew, ci, co]);
}

/** A prepared Conv: filter in TF.js layout, split by group when needed. */
export interface ConvPlan {
  kind: 'conv' | 'depthwise' | 'grouped';
  filters: tf.Tensor4D[]; // [kh, kw, cin/g, cout/g] (depthwise: [kh, kw, cin, mult])
  bias: tf.Tensor1D | null;
  /** Effective kernel size (dilation folded into the filter). */
  kernel: number[];
  stride: number[];
  pads: number[];
  autoPad: string;
  groups: number;
}

export function planConv(node: NodeProto, weight: TVal, bias: TVal | null, where: string): ConvPlan {
  const w = weight.t; // ONNX [M, C/g, kh, kw]
  if (w.rank !== 4) throw new Error(`${where}: only 2-D Conv is supported (weight rank ${w.rank})`);
  const [m, cg, kh, kw] = w.shape;
  const groups = attrInt(node, 'group', 1);
  const hwio = tf.transpose(w, [2, 3, 1, 0]) as tf.Tensor4D; // [kh, kw, C/g, M]
  let kind: ConvPlan['kind'] = 'conv';
  let filters: tf.Tensor4D[] = [hwio];
  if (groups > 1 && cg === 1) {
    // Depthwise: output channel o reads input channel floor(o / mult), the
    // same order as TF's depthwise [kh, kw, C, mult] filter flattened.
    kind = 'depthwise';
    filters = [tf.reshape(hwio, [kh, kw, groups, m / groups]) as tf.Tensor4D];
    hwio.dispose();
  } else if (groups > 1) {
    kind = 'grouped';
    filters = tf.split(hwio, groups, 3) as tf.Tensor4D[];
    hwio.dispose();
  }
  const d = attrInts(node, 'dilations', [1, 1]);
  if (d[0] > 1 || d[1] > 1) {
    filters = filters.map((f) => {
      const g = dilateFilter(f, d);
      f.dispose();
      return g;
    });
  }
  return {
    kind,
    filters,
    bias: bias ? (bias.t as tf.Tensor1D) : null,
    kernel: [(kh - 1) * d[0] + 1, (kw - 1) * d[1] + 1],
    stride: attrInts(node, 'strides', [1, 1]),
    pads: attrInts(node, 'pads', [0, 0, 0, 0]),
    autoPad: attrStr(node, 'auto_pad', 'NOTSET'),
    groups,
  };
}

export function runConv(p: ConvPlan, x: tf.Tensor4D): tf.Tensor4D {
  const pads = spatialPads(p.autoPad, p.pads, [x.shape[1], x.shape[2]], p.kernel, p.stride, [1, 1]);
  const stride = p.stride;
  const pad = pads.every((v) => v === 0) ? 'valid' : explicit(pads);
  const one = (inp: tf.Tensor4D, f: tf.Tensor4D) =>
    p.kind === 'depthwise'
      ? tf.depthwiseConv2d(inp, f, stride as [number, number], pad)
      : tf.conv2d(inp, f, stride as [number, number], pad);
  let y: tf.Tensor4D;
  if (p.kind === 'grouped') {
    const xs = tf.split(x, p.groups, 3) as tf.Tensor4D[];
    y = tf.concat(xs.map((xi, i) => one(xi, p.filters[i])), 3);
  } else y = one(x, p.filters[0]);
  return p.bias ? tf.add(y, p.bias) : y;
}

/**
 * MaxPool / AveragePool in NHWC. ceil_mode is done with extra bottom/right
 * padding, which TF.js pooling ignores (max) or leaves out of the count (avg),
 * as ONNX does; count_include_pad=1 zero-pads the explicit pads beforehand.
 */
export function runPool(node: NodeProto, x: tf.Tensor4D, kind: 'max' | 'avg', where: string): tf.Tensor4D {
  const k = attrInts(node, 'kernel_shape', []);
  if (k.length !== 2) throw new Error(`${where}: only 2-D pooling is supported`);
  const s = attrInts(node, 'strides', [1, 1]);
  const d = attrInts(node, 'dilations', [1, 1]);
  if (d.some((v) => v !== 1)) throw new Error(`${where}: pooling with dilations is not supported`);
  const inHW = [x.shape[1], x.shape[2]];
  const pads = spatialPads(attrStr(node, 'auto_pad', 'NOTSET'), attrInts(node, 'pads', [0, 0, 0, 0]), inHW, k, s, d);
  if (kind === 'avg' && attrInt(node, 'count_include_pad', 0) === 1 && pads.some((v) => v > 0)) {
    x = tf.pad(x, explicit(pads)) as tf.Tensor4D;
    inHW[0] += pads[0] + pads[2];
    inHW[1] += pads[1] + pads[3];
    pads.fill(0);
  }
  if (attrInt(node, 'ceil_mode', 0) === 1) {
    for (let i = 0; i < 2; i++) {
      const span = inHW[i] + pads[i] + pads[i + 2] - k[i];
      let out = Math.ceil(span / s[i]) + 1;
      // PyTorch/ONNX: the last window must start inside the input or left padding.
      if ((out - 1) * s[i] >= inHW[i] + pads[i]) out--;
      pads[i + 2] += Math.max(0, (out - 1) * s[i] + k[i] - (inHW[i] + pads[i] + pads[i + 2]));
    }
  }
  const pad = pads.every((v) => v === 0) ? 'valid' : explicit(pads);
  const f = kind === 'max' ? tf.maxPool : tf.avgPool;
  return f(x, k as [number, number], s as [number, number], pad);
}

/** Elementwise binary op with numpy broadcasting, in whichever layout both operands share. */
export function binary(a: TVal, b: TVal, f: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor): TVal {
  if (a.t.rank === 4 && b.t.rank === 4 && a.nhwc === b.nhwc) return { t: f(a.t, b.t), nhwc: a.nhwc };
  // Scalars broadcast the same in any layout.
  if (a.t.size === 1 && a.t.rank <= 1) return { t: f(a.t, b.t), nhwc: b.nhwc };
  if (b.t.size === 1 && b.t.rank <= 1) return { t: f(a.t, b.t), nhwc: a.nhwc };
  return { t: f(toNCHW(a), toNCHW(b)), nhwc: false };
}

/** Map an ONNX (NCHW) axis to the storage axis of a rank-4 NHWC tensor. */
export const nhwcAxis = (axis: number): number => [0, 3, 1, 2][axis];

/** Normalise a possibly negative axis. */
export const normAxis = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);
