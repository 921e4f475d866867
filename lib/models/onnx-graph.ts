/**
 * Static inspection and editing of ONNX graphs (onnx-proto), independent of
 * any runtime: which Conv layers exist, what PyTorch called them, their
 * weights, and a copy of the model whose conv outputs are graph outputs.
 */
import onnxProto from 'onnx-proto';
import { checkOnnxPolicy } from './onnx-policy';

// onnx-proto is CommonJS; its namespace lives on the default export under ESM.
const { onnx } = onnxProto;
export type ModelProto = InstanceType<typeof onnx.ModelProto>;
type NodeProto = onnxProto.onnx.INodeProto;
type TensorProto = onnxProto.onnx.ITensorProto;
type GraphProto = onnxProto.onnx.GraphProto;

/** Decoded graphs are GraphProto instances, whose repeated fields are always arrays. */
const graphOf = (model: ModelProto): GraphProto => model.graph as GraphProto;

/** protobufjs yields int64 fields as Long objects when the `long` package is installed. */
type Int64 = number | { toNumber(): number };
const num = (v: Int64 | null | undefined): number => (v == null ? 0 : typeof v === 'number' ? v : v.toNumber());

const TENSOR_FLOAT = 1;
const TENSOR_DOUBLE = 11;
const DATA_LOCATION_EXTERNAL = 1;

/**
 * Decode and sanity-check ONNX bytes. Protobuf decoding of arbitrary bytes can
 * "succeed" with garbage, so a graph with nodes and an opset is required too;
 * then the model must pass the upload policy (checkOnnxPolicy).
 */
export function decodeOnnx(bytes: Uint8Array, source = 'model'): ModelProto {
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new Error(`${source}: not an ONNX model (protobuf decoding failed: ${(err as Error).message})`);
  }
  if (!model.graph || graphOf(model).node.length === 0 || model.opsetImport.length === 0) {
    throw new Error(`${source}: not an ONNX model (no graph nodes or opset import found in ${bytes.length} bytes)`);
  }
  // Untrusted input: external data, ops outside the image-classifier set,
  // absurd sizes (see onnx-policy.ts).
  checkOnnxPolicy(model, source);
  return model;
}

/** Static facts about one Conv node, before any shape is known. */
export interface ConvNode {
  /** PyTorch-style module name (see moduleName). Unique within the model. */
  name: string;
  nodeName: string;
  outputName: string;
  /** Name of the weight initializer, or null when the weight is computed at run time. */
  weightName: string | null;
  /** Out channels from the weight shape, or null if the weight is not a constant. */
  channels: number | null;
  /** Spatial rank of the convolution (2 for Conv2d); from the weight or kernel_shape. */
  spatialRank: number | null;
  kernelSize: number[];
  stride: number[];
  dilation: number[];
  /** ONNX pads: [begin..., end...]; all zeros when auto_pad is used. */
  pads: number[];
  autoPad: string;
  groups: number;
  weightMean: Float64Array | null;
  /** Σ|w| of each output channel's kernel: the filter-norm importance baseline. null when the weights are not constants. */
  weightL1: Float64Array | null;
}

/**
 * PyTorch module name from an exporter node name. torch.onnx names nodes after
 * the module scope stack, where child scopes either repeat the parent's
 * qualified name ('/layer1/layer1.0/conv1/Conv') or are relative
 * ('/layer2/layer2.0/downsample/downsample.0/Conv'): a segment that starts with
 * the previous segment plus '.' replaces it, any other segment is appended.
 * Returns null for names that do not look like scope paths (e.g. 'Conv_12').
 */
export function moduleNameFromNode(nodeName: string): string | null {
  if (!nodeName.startsWith('/')) return null;
  const segs = nodeName.split('/').filter((s) => s.length > 0);
  segs.pop(); // trailing op type, e.g. 'Conv' or 'Conv_1'
  if (segs.length === 0) return null;
  const parts: string[] = [];
  for (const s of segs) {
    const prev = parts[parts.length - 1];
    if (prev !== undefined && s.startsWith(prev + '.')) parts[parts.length - 1] = s;
    else parts.push(s);
  }
  return parts.join('.');
}

/**
 * Preferred layer name: the weight initializer's own name when it is a
 * PyTorch parameter name ('layer1.0.conv1.weight' → 'layer1.0.conv1'), which
 * survives any exporter naming of nodes; else the node's scope path; else the
 * node name or output name as exported.
 */
export function convLayerName(node: NodeProto, weightName: string | null): string {
  if (weightName && weightName.endsWith('.weight') && !weightName.startsWith('onnx::')) {
    return weightName.slice(0, -'.weight'.length);
  }
  return moduleNameFromNode(node.name ?? '') ?? (node.name || node.output?.[0] || 'conv');
}

/** Elements of a tensor by its dims (1 for a scalar). */
export function elementCount(t: TensorProto): number {
  return (t.dims ?? []).reduce((a: number, d) => a * num(d), 1);
}

/** Float values of a constant tensor (float or double), or null if not decodable here. */
export function tensorValues(t: TensorProto): Float64Array | null {
  const count = elementCount(t);
  if (t.dataLocation === DATA_LOCATION_EXTERNAL) return null;
  const float = t.dataType === TENSOR_FLOAT;
  if (!float && t.dataType !== TENSOR_DOUBLE) return null;
  const width = float ? 4 : 8;
  const listed = float ? t.floatData : t.doubleData;
  const out = new Float64Array(count);
  if (t.rawData && t.rawData.length > 0) {
    if (t.rawData.length !== count * width) return null;
    const dv = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    for (let i = 0; i < count; i++) out[i] = float ? dv.getFloat32(4 * i, true) : dv.getFloat64(8 * i, true);
  } else if (listed && listed.length === count) {
    for (let i = 0; i < count; i++) out[i] = listed[i];
  } else return null;
  return out;
}

/**
 * Resolve a tensor name to a constant: an initializer, a Constant node's value,
 * or either of those behind Identity nodes (exporters route shared or folded
 * parameters through Identity).
 */
export function constantResolver(model: ModelProto): (name: string) => { name: string; tensor: TensorProto } | null {
  const graph = graphOf(model);
  const inits = new Map(graph.initializer.map((t) => [t.name ?? '', t]));
  const producers = new Map<string, NodeProto>();
  for (const n of graph.node) for (const o of n.output ?? []) producers.set(o, n);
  return (start) => {
    let name = start;
    for (let hops = 0; hops < 16; hops++) {
      const init = inits.get(name);
      if (init) return { name, tensor: init };
      const p = producers.get(name);
      if (!p) return null;
      if (p.opType === 'Identity' && p.input?.[0]) {
        name = p.input[0];
        continue;
      }
      if (p.opType === 'Constant') {
        const t = p.attribute?.find((a) => a.name === 'value')?.t;
        return t ? { name, tensor: t } : null;
      }
      return null;
    }
    return null;
  };
}

function attr(node: NodeProto, name: string) {
  return node.attribute?.find((a) => a.name === name);
}
function intsAttr(node: NodeProto, name: string): number[] | null {
  const a = attr(node, name);
  return a && a.ints && a.ints.length > 0 ? a.ints.map((v) => num(v as Int64)) : null;
}

/** Mean of each output channel's kernel: weight [M, C/g, k...] → M means. */
function channelMeans(values: Float64Array, channels: number): Float64Array {
  const per = values.length / channels;
  const means = new Float64Array(channels);
  for (let m = 0; m < channels; m++) {
    let s = 0;
    for (let i = m * per, end = i + per; i < end; i++) s += values[i];
    means[m] = s / per;
  }
  return means;
}

function channelL1(values: Float64Array, channels: number): Float64Array {
  const per = values.length / channels;
  const out = new Float64Array(channels);
  for (let m = 0; m < channels; m++) for (let i = m * per, end = i + per; i < end; i++) out[m] += Math.abs(values[i]);
  return out;
}

/** Every Conv node in graph order, with names made unique ('x', 'x#2', ...). */
export function findConvNodes(model: ModelProto): ConvNode[] {
  const graph = graphOf(model);
  const resolve = constantResolver(model);
  const seen = new Map<string, number>();
  const out: ConvNode[] = [];
  for (const node of graph.node) {
    // Only the default-domain Conv: QLinearConv/ConvInteger/ConvTranspose have
    // different semantics (quantised or transposed) from the conv layers PCACE ranks.
    if (node.opType !== 'Conv' || (node.domain && node.domain !== 'ai.onnx')) continue;
    const weightIn = node.input?.[1] ?? '';
    const w = resolve(weightIn);
    const wDims = w ? (w.tensor.dims ?? []).map((d) => num(d as Int64)) : null;
    const values = w ? tensorValues(w.tensor) : null;
    const kernelAttr = intsAttr(node, 'kernel_shape');
    const kernelSize = kernelAttr ?? (wDims ? wDims.slice(2) : []);
    const rank = wDims ? wDims.length - 2 : kernelAttr ? kernelAttr.length : null;
    const ones = Array.from({ length: rank ?? 0 }, () => 1);
    const weightName = w ? w.name : null;
    let name = convLayerName(node, weightName);
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    // A module called twice (shared weights) yields two Conv nodes: keep both.
    if (n > 1) name = `${name}#${n}`;
    const channels = wDims ? wDims[0] : null;
    out.push({
      name,
      nodeName: node.name ?? '',
      outputName: node.output?.[0] ?? '',
      weightName,
      channels,
      spatialRank: rank,
      kernelSize,
      stride: intsAttr(node, 'strides') ?? ones,
      dilation: intsAttr(node, 'dilations') ?? ones,
      pads: intsAttr(node, 'pads') ?? [...ones, ...ones].map(() => 0),
      autoPad: (() => {
        const s = attr(node, 'auto_pad')?.s;
        return s && s.length > 0 ? new TextDecoder().decode(s) : 'NOTSET';
      })(),
      groups: num((attr(node, 'group')?.i as Int64 | undefined) ?? 1) || 1,
      weightMean: values && channels ? channelMeans(values, channels) : null,
      weightL1: values && channels ? channelL1(values, channels) : null,
    });
  }
  return out;
}

export interface GraphInput {
  name: string;
  /** Dims as declared: a number, or null for a symbolic/unknown dim. */
  dims: (number | null)[];
  elemType: number;
}

/**
 * The real inputs of the graph. Models with IR < 4 also list every
 * initializer as a graph input; those have defaults and are not fed.
 */
export function graphInputs(model: ModelProto): GraphInput[] {
  const graph = graphOf(model);
  const inits = new Set(graph.initializer.map((t) => t.name));
  return graph.input
    .filter((vi) => !inits.has(vi.name))
    .map((vi) => {
      const tt = vi.type?.tensorType;
      const dims = (tt?.shape?.dim ?? []).map((d) => {
        const v = d.dimValue == null ? 0 : num(d.dimValue as Int64);
        return d.dimParam || v <= 0 ? null : v;
      });
      return { name: vi.name ?? '', dims, elemType: tt?.elemType ?? 0 };
    });
}

export function graphOutputNames(model: ModelProto): string[] {
  return graphOf(model).output.map((o) => o.name ?? '');
}

/** The op type producing a tensor, e.g. to tell logits from a Softmax output. */
export function producerOp(model: ModelProto, tensor: string): string | null {
  return graphOf(model).node.find((n) => n.output?.includes(tensor))?.opType ?? null;
}

/**
 * Encode the model with each named tensor also declared as a graph output, so
 * a runtime returns it beside the regular outputs. The type is left unset: ORT
 * infers it, and declaring a wrong shape would be an error. The outputs are
 * appended only for the duration of the encode (a deep copy of a VGG-16 would
 * cost another 0.5 GB), so `model` is unchanged afterwards.
 */
export function withExtraOutputs(model: ModelProto, tensors: readonly string[]): Uint8Array {
  const outputs = graphOf(model).output;
  const before = outputs.length;
  const have = new Set(outputs.map((o) => o.name));
  try {
    for (const t of tensors) {
      if (have.has(t)) continue;
      outputs.push(onnx.ValueInfoProto.create({ name: t }));
      have.add(t);
    }
    return onnx.ModelProto.encode(model).finish();
  } finally {
    outputs.length = before;
  }
}
