/**
 * Cutting an ONNX graph at a node, so the part before it runs once and the
 * part after it runs many times (layer edits, layer-edit.ts) or in several
 * variants (the sanity checks' randomised models, which share everything
 * before the layer with the trained network).
 *
 * The boundary at node `at` is every tensor that node `at` or a later node
 * reads and that an earlier node or a graph input produces: with a residual
 * connection the block input is read again after the layer, so the boundary
 * can hold more than the layer's input. ONNX lists nodes in topological
 * order, so nothing after the cut feeds anything before it.
 */
import onnxProto from 'onnx-proto';
import { elementCount, graphInputs, withExtraOutputs, type ModelProto } from './onnx-graph';

const { onnx } = onnxProto;

/** The tensors the nodes from `at` on read from before the cut; graph inputs named in `keepInputs` stay inputs of the suffix and are not boundary. */
export function boundaryAt(model: ModelProto, at: number, keepInputs: readonly string[] = []): string[] {
  const nodes = model.graph!.node!;
  const produced = new Set(nodes.slice(0, at).flatMap((n) => n.output ?? []));
  for (const gi of graphInputs(model)) if (!keepInputs.includes(gi.name)) produced.add(gi.name);
  return [...new Set(nodes.slice(at).flatMap((n) => n.input ?? []))].filter((t) => produced.has(t));
}

/** Keeps only the initializers the remaining nodes read (ORT warns about each unused one). */
function dropUnusedInitializers(model: ModelProto): void {
  const g = model.graph!;
  const used = new Set(g.node!.flatMap((n) => n.input ?? []));
  g.initializer = g.initializer!.filter((t) => used.has(t.name ?? ''));
}

/**
 * The suffix of `model` from node `at`: its inputs are `keepInputs` (as
 * declared) and the boundary tensors, typed by `types` (ONNX element types,
 * known once a prefix has run); its outputs the model's plus `extraOutputs`.
 * `model` is consumed (its node and initializer lists are cut).
 */
export function suffixModel(
  model: ModelProto,
  at: number,
  boundary: readonly string[],
  types: ReadonlyMap<string, number>,
  keepInputs: readonly string[] = [],
  extraOutputs: readonly string[] = [],
): Uint8Array {
  const g = model.graph!;
  g.node = g.node!.slice(at);
  dropUnusedInitializers(model);
  g.input = [
    ...g.input!.filter((i) => keepInputs.includes(i.name ?? '')),
    ...boundary.map((name) => onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: types.get(name) ?? 1 } } })),
  ];
  return withExtraOutputs(model, extraOutputs);
}

/**
 * The prefix of `model` before node `at`, whose outputs are `outputs` (tensors
 * its nodes produce; a graph input cannot also be an output, so the caller
 * feeds those on directly). `model` is consumed.
 */
export function prefixModel(model: ModelProto, at: number, outputs: readonly string[]): Uint8Array {
  const g = model.graph!;
  g.node = g.node!.slice(0, at);
  const inits = new Set(g.initializer!.map((t) => t.name));
  dropUnusedInitializers(model);
  // Older models also list their initializers as graph inputs: a dropped one would become an input to feed.
  const kept = new Set(g.initializer!.map((t) => t.name));
  g.input = g.input!.filter((i) => !inits.has(i.name) || kept.has(i.name));
  g.output = [];
  return withExtraOutputs(model, outputs);
}

/** Bytes of the initializers the nodes from `at` on read: the weights a suffix session holds. */
export function initializerBytesFrom(model: ModelProto, at: number): number {
  const used = new Set(model.graph!.node!.slice(at).flatMap((n) => n.input ?? []));
  let bytes = 0;
  for (const t of model.graph!.initializer!) {
    if (!used.has(t.name ?? '')) continue;
    // Raw bytes when stored raw; else listed values, counted as float32.
    bytes += t.rawData?.length || 4 * elementCount(t);
  }
  return bytes;
}

/** ONNX element type of an onnxruntime tensor type, for typing boundary inputs. */
export const ONNX_ELEM_TYPE: Readonly<Record<string, number>> = { float32: 1, int64: 7, int32: 6, bool: 9, float64: 11 };
