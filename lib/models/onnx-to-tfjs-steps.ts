/**
 * One step per ONNX node: a closure over the node's prepared constants that
 * maps input values to output values (see onnx-to-tfjs-ops.ts for layouts).
 * makeStep returns null for an op it does not know, so the caller can name
 * the op and node in one error at load time.
 */
import * as tf from '@tensorflow/tfjs';
import onnxProto from 'onnx-proto';
import {
  attrFloat, attrInt, attrInts, binary, isInts, logicalShape, nhwcAxis, normAxis, planConv, runConv, runPool,
  toNCHW, toNHWC, type IVal, type TVal, type Val,
} from './onnx-to-tfjs-ops';

type NodeProto = onnxProto.onnx.INodeProto;
export type Step = (inputs: (Val | undefined)[]) => Val[];

export interface StepContext {
  consts: Map<string, Val>;
  opset: number;
  where: string;
  /** Register a tensor the model owns (freed on dispose). */
  own: (t: tf.Tensor) => tf.Tensor;
}

const T = (v: Val | undefined, where: string): TVal => {
  if (!v || isInts(v)) throw new Error(`${where}: expected a float tensor input`);
  return v;
};
const I = (v: Val | undefined, where: string): IVal => {
  if (!v || !isInts(v)) throw new Error(`${where}: expected a constant integer input (shape or axes)`);
  return v;
};
const unary = (f: (t: tf.Tensor) => tf.Tensor, where: string): Step => (ins) => {
  const v = T(ins[0], where);
  return [{ t: f(v.t), nhwc: v.nhwc }];
};
const prod = (a: number[]) => a.reduce((x, y) => x * y, 1);

/** A compile-time constant float scalar from an optional input, else a default. */
function scalarInput(ctx: StepContext, node: NodeProto, i: number, dflt: number): number {
  const name = node.input?.[i];
  if (!name) return dflt;
  const v = ctx.consts.get(name);
  if (!v || isInts(v)) throw new Error(`${ctx.where}: input ${i} must be a float constant`);
  return v.t.dataSync()[0];
}

/** Axes from the attribute (older opsets) or from a constant input (newer ones). */
function axesOf(ctx: StepContext, node: NodeProto, ins: (Val | undefined)[], inputIndex: number): number[] | null {
  const a = attrInts(node, 'axes', []);
  if (a.length) return a;
  const v = ins[inputIndex];
  return v ? I(v, ctx.where).ints : null;
}

export function makeStep(node: NodeProto, ctx: StepContext): Step | null {
  const { where, consts } = ctx;
  const op = node.opType ?? '';
  switch (op) {
    case 'Conv': {
      const w = consts.get(node.input![1]);
      if (!w || isInts(w)) throw new Error(`${where}: the weight must be a constant (initializer)`);
      const b = node.input![2] ? consts.get(node.input![2]) : undefined;
      if (b && isInts(b)) throw new Error(`${where}: integer bias`);
      const plan = planConv(node, w, b ?? null, where);
      plan.filters.forEach(ctx.own);
      return (ins) => [{ t: runConv(plan, toNHWC(T(ins[0], where)) as tf.Tensor4D), nhwc: true }];
    }
    case 'BatchNormalization': {
      if (attrInt(node, 'training_mode', 0) !== 0) throw new Error(`${where}: training_mode BatchNormalization`);
      const [scale, bias, mean, variance] = node.input!.slice(1).map((n) => consts.get(n));
      if ([scale, bias, mean, variance].some((v) => !v || isInts(v))) {
        throw new Error(`${where}: scale, bias, mean and variance must be constants`);
      }
      const eps = attrFloat(node, 'epsilon', 1e-5);
      // Inference BN is an affine map per channel: fold it once.
      const s = ctx.own(tf.tidy(() => tf.div((scale as TVal).t, tf.sqrt(tf.add((variance as TVal).t, eps)))));
      const sh = ctx.own(tf.tidy(() => tf.sub((bias as TVal).t, tf.mul((mean as TVal).t, s))));
      return (ins) => {
        const v = T(ins[0], where);
        if (v.t.rank === 4) return [{ t: tf.add(tf.mul(toNHWC(v), s), sh), nhwc: true }];
        if (v.t.rank === 2) return [{ t: tf.add(tf.mul(v.t, s), sh), nhwc: false }];
        throw new Error(`${where}: BatchNormalization on rank ${v.t.rank} is not supported`);
      };
    }
    case 'Relu':
      return unary(tf.relu, where);
    case 'LeakyRelu': {
      const alpha = attrFloat(node, 'alpha', 0.01);
      return unary((t) => tf.leakyRelu(t, alpha), where);
    }
    case 'Sigmoid':
      return unary(tf.sigmoid, where);
    case 'Tanh':
      return unary(tf.tanh, where);
    case 'Clip': {
      const lo = ctx.opset < 11 ? attrFloat(node, 'min', -Infinity) : scalarInput(ctx, node, 1, -Infinity);
      const hi = ctx.opset < 11 ? attrFloat(node, 'max', Infinity) : scalarInput(ctx, node, 2, Infinity);
      return unary((t) => tf.clipByValue(t, Math.max(lo, -3.4e38), Math.min(hi, 3.4e38)), where);
    }
    case 'MaxPool':
    case 'AveragePool': {
      if (node.output!.length > 1 && node.output![1]) throw new Error(`${where}: MaxPool indices output is not supported`);
      const kind = op === 'MaxPool' ? 'max' : 'avg';
      return (ins) => [{ t: runPool(node, toNHWC(T(ins[0], where)) as tf.Tensor4D, kind, where), nhwc: true }];
    }
    case 'GlobalAveragePool':
    case 'GlobalMaxPool': {
      const f = op === 'GlobalAveragePool' ? tf.mean : tf.max;
      return (ins) => {
        const v = T(ins[0], where);
        if (v.t.rank !== 4) throw new Error(`${where}: only 4-D input is supported`);
        return [{ t: f(toNHWC(v), [1, 2], true), nhwc: true }];
      };
    }
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div': {
      const f = { Add: tf.add, Sub: tf.sub, Mul: tf.mul, Div: tf.div }[op];
      return (ins) => [binary(T(ins[0], where), T(ins[1], where), (a, b) => f(a, b))];
    }
    case 'Gemm': {
      const alpha = attrFloat(node, 'alpha', 1);
      const beta = attrFloat(node, 'beta', 1);
      const ta = attrInt(node, 'transA', 0) === 1;
      const tb = attrInt(node, 'transB', 0) === 1;
      return (ins) => {
        let y = tf.matMul(toNCHW(T(ins[0], where)) as tf.Tensor2D, T(ins[1], where).t as tf.Tensor2D, ta, tb) as tf.Tensor;
        if (alpha !== 1) y = tf.mul(y, alpha);
        if (ins[2]) y = tf.add(y, beta === 1 ? T(ins[2], where).t : tf.mul(T(ins[2], where).t, beta));
        return [{ t: y, nhwc: false }];
      };
    }
    case 'MatMul':
      return (ins) => [{ t: tf.matMul(toNCHW(T(ins[0], where)), toNCHW(T(ins[1], where))), nhwc: false }];
    case 'Flatten': {
      const axisAttr = attrInt(node, 'axis', 1);
      return (ins) => {
        const v = T(ins[0], where);
        const s = logicalShape(v);
        const axis = normAxis(axisAttr, s.length);
        return [{ t: tf.reshape(toNCHW(v), [prod(s.slice(0, axis)), prod(s.slice(axis))]), nhwc: false }];
      };
    }
    case 'Reshape': {
      const allowZero = attrInt(node, 'allowzero', 0) === 1;
      return (ins) => {
        const v = T(ins[0], where);
        const s = logicalShape(v);
        const target = (ctx.opset < 5 ? attrInts(node, 'shape', []) : I(ins[1], where).ints).map((d, i) =>
          d === 0 && !allowZero ? s[i] : d,
        );
        return [{ t: tf.reshape(toNCHW(v), target), nhwc: false }];
      };
    }
    case 'Concat': {
      const axisAttr = attrInt(node, 'axis', 0);
      return (ins) => {
        const vals = ins.filter((v): v is Val => v !== undefined);
        if (vals.every(isInts)) {
          const ints = vals.flatMap((v) => (v as IVal).ints);
          return [{ ints, dims: [ints.length] }];
        }
        const ts = vals.map((v) => T(v, where));
        const rank = ts[0].t.rank;
        const axis = normAxis(axisAttr, rank);
        if (rank === 4 && ts.every((v) => v.nhwc)) return [{ t: tf.concat(ts.map((v) => v.t), nhwcAxis(axis)), nhwc: true }];
        return [{ t: tf.concat(ts.map(toNCHW), axis), nhwc: false }];
      };
    }
    case 'Dropout':
    case 'Identity':
      if (node.output!.length > 1 && node.output![1]) throw new Error(`${where}: Dropout mask output is not supported`);
      return (ins) => [ins[0]!];
    case 'Shape': {
      const start = attrInt(node, 'start', 0);
      const endAttr = node.attribute?.some((a) => a.name === 'end') ? attrInt(node, 'end', 0) : null;
      return (ins) => {
        const v = ins[0]!;
        const s = isInts(v) ? v.dims : logicalShape(v);
        const ints = s.slice(normAxis(start, s.length), endAttr === null ? s.length : normAxis(endAttr, s.length));
        return [{ ints, dims: [ints.length] }];
      };
    }
    case 'Gather': {
      const axisAttr = attrInt(node, 'axis', 0);
      return (ins) => {
        const idx = I(ins[1], where);
        const data = ins[0]!;
        if (isInts(data)) {
          if (data.dims.length !== 1) throw new Error(`${where}: Gather on a constant of rank ${data.dims.length}`);
          const n = data.ints.length;
          const ints = idx.ints.map((i) => data.ints[i < 0 ? i + n : i]);
          return [{ ints, dims: idx.dims }];
        }
        const t = toNCHW(data);
        const axis = normAxis(axisAttr, t.rank);
        const n = t.shape[axis];
        const ids = tf.tensor(idx.ints.map((i) => (i < 0 ? i + n : i)), idx.dims, 'int32');
        return [{ t: tf.gather(t, ids, axis), nhwc: false }];
      };
    }
    case 'Unsqueeze':
    case 'Squeeze':
      return (ins) => {
        const v = ins[0]!;
        const s = isInts(v) ? v.dims : logicalShape(v);
        const axes = axesOf(ctx, node, ins, 1);
        let out: number[];
        if (op === 'Unsqueeze') {
          if (!axes) throw new Error(`${where}: Unsqueeze without axes`);
          const rank = s.length + axes.length;
          const ax = new Set(axes.map((a) => normAxis(a, rank)));
          out = [];
          for (let i = 0, j = 0; i < rank; i++) out.push(ax.has(i) ? 1 : s[j++]);
        } else {
          const ax = new Set((axes ?? s.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0)).map((a) => normAxis(a, s.length)));
          out = s.filter((_, i) => !ax.has(i));
        }
        return [isInts(v) ? { ints: v.ints, dims: out } : { t: tf.reshape(toNCHW(v), out), nhwc: false }];
      };
    case 'Cast': {
      const to = attrInt(node, 'to', 1);
      return (ins) => {
        const v = ins[0]!;
        if (isInts(v)) return [to === 1 || to === 11 ? { t: tf.tensor(v.ints, v.dims, 'float32'), nhwc: false } : v];
        if (to === 1 || to === 11) return [v];
        const t = toNCHW(v);
        return [{ ints: Array.from(t.dataSync(), Math.trunc), dims: [...t.shape] }];
      };
    }
    case 'Softmax':
    case 'LogSoftmax': {
      const axisAttr = attrInt(node, 'axis', ctx.opset < 13 ? 1 : -1);
      return (ins) => {
        const t = toNCHW(T(ins[0], where));
        if (normAxis(axisAttr, t.rank) !== t.rank - 1) throw new Error(`${where}: ${op} only over the last axis`);
        return [{ t: op === 'Softmax' ? tf.softmax(t) : tf.logSoftmax(t), nhwc: false }];
      };
    }
    case 'Transpose': {
      const perm = attrInts(node, 'perm', []);
      return (ins) => {
        const t = toNCHW(T(ins[0], where));
        return [{ t: tf.transpose(t, perm.length ? perm : undefined), nhwc: false }];
      };
    }
    case 'ReduceMean': {
      const keep = attrInt(node, 'keepdims', 1) === 1;
      return (ins) => {
        const t = toNCHW(T(ins[0], where));
        const axes = axesOf(ctx, node, ins, 1);
        return [{ t: tf.mean(t, axes ? axes.map((a) => normAxis(a, t.rank)) : undefined, keep), nhwc: false }];
      };
    }
    case 'Pad': {
      if ((attrOfMode(node) ?? 'constant') !== 'constant') throw new Error(`${where}: only constant Pad is supported`);
      return (ins) => {
        const t = toNCHW(T(ins[0], where));
        const p = ctx.opset < 11 ? attrInts(node, 'pads', []) : I(ins[1], where).ints;
        const value = ctx.opset < 11 ? attrFloat(node, 'value', 0) : scalarInput(ctx, node, 2, 0);
        const r = t.rank;
        return [{ t: tf.pad(t, Array.from({ length: r }, (_, i) => [p[i], p[i + r]] as [number, number]), value), nhwc: false }];
      };
    }
    default:
      return null;
  }
}

function attrOfMode(node: NodeProto): string | null {
  const s = node.attribute?.find((a) => a.name === 'mode')?.s;
  return s && s.length ? new TextDecoder().decode(s) : null;
}
