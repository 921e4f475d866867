/**
 * Model randomisation on the ONNX graph, for the sanity checks (Adebayo et al.
 * 2018): a copy of the model with some parameterised layers' weights replaced
 * by random ones of the same shape and the same norm per output unit (a conv
 * filter, a dense layer's output neuron). Biases and normalisation layers are
 * kept: the layer computes random directions at the trained scale, so the
 * rest of the network sees activations of the usual size.
 *
 * Parameterised layers are Conv, Gemm and MatMul nodes whose weight is a
 * constant of the model, in graph order (exporters write the graph in module
 * order, so "after a layer" is "closer to the logits").
 */
import onnxProto from 'onnx-proto';
import { Rng } from '../pcace/random';
import { constantResolver, decodeOnnx, findConvNodes, tensorValues, type ModelProto } from './onnx-graph';

const { onnx } = onnxProto;
type TensorProto = onnxProto.onnx.ITensorProto;

export interface ParameterisedLayer {
  /** Position in the graph's node list. */
  nodeIndex: number;
  opType: 'Conv' | 'Gemm' | 'MatMul';
  nodeName: string;
  /** Conv layers: the name the analysis uses ('layer1.0.conv1'). */
  convName?: string;
  weight: TensorProto;
  /** How output units lie in the weight: Conv and transposed Gemm weights by rows, MatMul and plain Gemm by columns. */
  unitsBy: 'rows' | 'columns';
}

const num = (v: unknown): number => (typeof v === 'number' ? v : v && typeof (v as { toNumber?: () => number }).toNumber === 'function' ? (v as { toNumber(): number }).toNumber() : Number(v));

export function parameterisedLayers(model: ModelProto): ParameterisedLayer[] {
  const resolve = constantResolver(model);
  const convNames = new Map(findConvNodes(model).map((c) => [c.nodeName + '\u0000' + c.outputName, c.name]));
  const out: ParameterisedLayer[] = [];
  model.graph!.node!.forEach((node, nodeIndex) => {
    const op = node.opType;
    if ((op !== 'Conv' && op !== 'Gemm' && op !== 'MatMul') || (node.domain && node.domain !== 'ai.onnx')) return;
    const w = resolve(node.input?.[1] ?? '');
    if (!w || tensorValues(w.tensor) === null) return;
    const transB = num(node.attribute?.find((a) => a.name === 'transB')?.i ?? 0) === 1;
    out.push({
      nodeIndex,
      opType: op,
      nodeName: node.name ?? '',
      convName: op === 'Conv' ? convNames.get((node.name ?? '') + '\u0000' + (node.output?.[0] ?? '')) : undefined,
      weight: w.tensor,
      unitsBy: op === 'Conv' || (op === 'Gemm' && transB) ? 'rows' : 'columns',
    });
  });
  return out;
}

/**
 * Replaces the weight of every layer in `chosen` by random values: per output
 * unit a standard-normal direction scaled to the unit's trained norm (a zero
 * unit stays zero). A weight shared by several nodes is drawn once.
 */
export function randomiseLayers(chosen: readonly ParameterisedLayer[], seed: number): void {
  const done = new Set<TensorProto>();
  chosen.forEach((layer, k) => {
    const t = layer.weight;
    if (done.has(t)) return;
    done.add(t);
    const values = tensorValues(t)!;
    const dims = (t.dims ?? []).map(num);
    const rows = dims[0] ?? 1;
    const cols = values.length / rows;
    const [units, size] = layer.unitsBy === 'rows' ? [rows, cols] : [cols, rows];
    const at = (u: number, i: number) => (layer.unitsBy === 'rows' ? u * cols + i : i * cols + u);
    const rng = new Rng((seed * 1000003 + k * 7919 + layer.nodeIndex) >>> 0);
    const out = new Float32Array(values.length);
    for (let u = 0; u < units; u++) {
      let norm = 0;
      for (let i = 0; i < size; i++) norm += values[at(u, i)] ** 2;
      if (norm === 0) continue;
      let drawn = 0;
      for (let i = 0; i < size; i++) {
        const v = rng.normal();
        out[at(u, i)] = v;
        drawn += v * v;
      }
      const scale = Math.sqrt(norm / drawn);
      for (let i = 0; i < size; i++) out[at(u, i)] *= scale;
    }
    t.rawData = new Uint8Array(out.buffer);
    t.floatData = [];
    t.doubleData = [];
    t.dataType = 1;
  });
}

export type Randomisation = 'cascading' | 'independent';

/**
 * A copy of the model randomised for the sanity checks of conv layer `layer`:
 *  - 'cascading': every parameterised layer after it (from the logits down to
 *    the layer just above it); the layer and everything before it stay trained;
 *  - 'independent': the layer's own filters only, the rest trained.
 * With randomFilters > 0 the copy also has the random-filter branch beside the
 * layer (addRandomFilterBranch). Returns the bytes, the names of the
 * randomised layers and whether the branch is there.
 */
export function randomisedModel(
  bytes: Uint8Array,
  layer: string,
  how: Randomisation,
  seed: number,
  randomFilters = 0,
): { bytes: Uint8Array; randomised: string[]; randomFilters: boolean } {
  const model = decodeOnnx(bytes);
  // Added first, so the branch's norms are the trained filters'.
  const branch = randomFilters > 0 && addRandomFilterBranch(model, layer, randomFilters, seed);
  const layers = parameterisedLayers(model);
  const at = layers.findIndex((l) => l.convName === layer);
  if (at < 0) throw new Error(`unknown conv layer '${layer}' (or its weight is not a constant of the model)`);
  const chosen = how === 'independent' ? [layers[at]] : layers.filter((l) => l.nodeIndex > layers[at].nodeIndex);
  randomiseLayers(chosen, seed);
  return {
    bytes: onnx.ModelProto.encode(model).finish(),
    randomised: chosen.map((l) => l.convName ?? (l.nodeName || l.opType)),
    randomFilters: branch,
  };
}

/** The layer name the random-filter branch gets (its weight is `${RANDOM_FILTERS}.weight`). */
export const RANDOM_FILTERS = 'pcace.random_filters';
/** The branch's output tensor. */
export const RANDOM_FILTERS_OUTPUT = `${RANDOM_FILTERS}_output`;

/**
 * Adds, beside conv layer `layer`, a conv layer RANDOM_FILTERS that reads the
 * same input with the same kernel, strides, padding and dilation, with `count`
 * random filters: standard-normal directions scaled to the layer's non-zero
 * filter norms (shuffled by the seed, cycled when count exceeds them), no bias.
 * Only for ungrouped convolutions (a grouped layer's random filters would have
 * to come in multiples of its groups): returns false and leaves the model as
 * it was otherwise.
 */
export function addRandomFilterBranch(model: ModelProto, layer: string, count: number, seed: number): boolean {
  const conv = findConvNodes(model).find((c) => c.name === layer);
  const p = parameterisedLayers(model).find((l) => l.convName === layer);
  if (!conv || !p || conv.groups !== 1 || count < 1) return false;
  const graph = model.graph!;
  const at = graph.node!.findIndex((n) => n.name === conv.nodeName && n.output?.[0] === conv.outputName);
  const node = graph.node![at];
  const values = tensorValues(p.weight)!;
  const dims = (p.weight.dims ?? []).map(num);
  const per = values.length / dims[0];
  const norms: number[] = [];
  for (let r = 0; r < dims[0]; r++) {
    let s = 0;
    for (let i = r * per; i < (r + 1) * per; i++) s += values[i] * values[i];
    if (s > 0) norms.push(Math.sqrt(s));
  }
  if (!norms.length) return false;
  const rng = new Rng((seed * 40503 + 0xbeef) >>> 0);
  const order = Int32Array.from(norms.keys());
  rng.shuffle(order);
  const w = new Float32Array(count * per);
  for (let r = 0; r < count; r++) {
    let drawn = 0;
    for (let i = 0; i < per; i++) {
      const v = rng.normal();
      w[r * per + i] = v;
      drawn += v * v;
    }
    const scale = norms[order[r % norms.length]] / Math.sqrt(drawn);
    for (let i = 0; i < per; i++) w[r * per + i] *= scale;
  }
  const weightName = `${RANDOM_FILTERS}.weight`;
  graph.initializer!.push(onnx.TensorProto.create({ name: weightName, dims: [count, ...dims.slice(1)], dataType: 1, rawData: new Uint8Array(w.buffer) }));
  graph.node!.splice(
    at + 1,
    0,
    onnx.NodeProto.create({
      opType: 'Conv',
      name: `/${RANDOM_FILTERS}/Conv`,
      input: [node.input![0], weightName],
      output: [RANDOM_FILTERS_OUTPUT],
      attribute: (node.attribute ?? []).map((a) => onnx.AttributeProto.create(a)),
    }),
  );
  return true;
}
