/**
 * Runs an ONNX model with one conv layer's output edited per channel:
 * out_c = mask_c · conv_c + fill_c, where mask is [1, C, 1, 1] and fill
 * [1, C, H, W] are graph inputs. Every causal importance measure is an edit:
 *  - zero-ablation: mask_c = 0, fill_c = 0;
 *  - mean-ablation: mask_c = 0, fill_c = the channel's mean map over the
 *    images (neutral where zero is not: after a folded BatchNorm a zero
 *    output is far from anything the next layer has seen);
 *  - a directional derivative along the channel's own activation (Taylor):
 *    mask_c = 1 ± ε;
 *  - a point on the straight path from the mean maps to the activations
 *    (conductance): mask = α, fill = (1 − α)·mean.
 * One ORT session serves them all, changing only the two inputs.
 *
 * With `split` (the default) the network up to the edit runs once per chunk
 * of images and its boundary tensors are kept; each run then costs only the
 * part after the layer. Without it (a layer too big to keep) the whole
 * graph runs per edit.
 */
import { availableParallelism } from 'node:os';
import { readFile } from 'node:fs/promises';
import onnxProto from 'onnx-proto';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { decodeOnnx, findConvNodes, graphInputs, withExtraOutputs, type ConvNode } from './onnx-graph';
import { isolatedSessionOptions } from './onnx-policy';
import { concatArrays } from './concat';
import { boundaryAt, ONNX_ELEM_TYPE, suffixModel } from './graph-split';

const { onnx } = onnxProto;

export const MASK_INPUT = 'pcace_channel_mask';
export const FILL_INPUT = 'pcace_channel_fill';

/**
 * Inserts out = mask · conv + fill after conv `layer` of a decoded model, with
 * `names.mask` [1, C, 1, 1] and `names.fill` [1, C, h, w] as new graph inputs.
 * Consumers keep reading the original tensor name, which now holds the edited
 * value; the unedited output is `rawName`. Several layers can be edited in one
 * model with distinct names (network-edit.ts).
 */
export function insertChannelEdit(
  model: ReturnType<typeof decodeOnnx>,
  layer: string,
  names: { mask: string; fill: string } = { mask: MASK_INPUT, fill: FILL_INPUT },
): { conv: ConvNode & { channels: number }; rawName: string; firstEditNode: string } {
  const conv = findConvNodes(model).find((c) => c.name === layer);
  if (!conv) throw new Error(`unknown layer '${layer}'; conv layers: ${findConvNodes(model).map((c) => c.name).join(', ')}`);
  if (!conv.channels) throw new Error(`layer '${layer}': channel count unknown (weight is not a constant)`);
  const graph = model.graph!;
  const nodes = graph.node!;
  const at = nodes.findIndex((n) => n.output?.[0] === conv.outputName);
  const raw = `${conv.outputName}__unedited`;
  const scaled = `${conv.outputName}__masked`;
  nodes[at].output![0] = raw;
  const firstEditNode = `${conv.nodeName}/pcace_mask`;
  nodes.splice(
    at + 1,
    0,
    onnx.NodeProto.create({ opType: 'Mul', name: firstEditNode, input: [raw, names.mask], output: [scaled] }),
    onnx.NodeProto.create({ opType: 'Add', name: `${conv.nodeName}/pcace_fill`, input: [scaled, names.fill], output: [conv.outputName] }),
  );
  const tensorType = (dims: ({ dimValue: number } | { dimParam: string })[]) => ({ tensorType: { elemType: 1, shape: { dim: dims } } });
  graph.input!.push(
    onnx.ValueInfoProto.create({ name: names.mask, type: tensorType([1, conv.channels, 1, 1].map((d) => ({ dimValue: d }))) }),
    onnx.ValueInfoProto.create({
      name: names.fill,
      type: tensorType([{ dimValue: 1 }, { dimValue: conv.channels }, { dimParam: `${names.fill}_h` }, { dimParam: `${names.fill}_w` }]),
    }),
  );
  return { conv: conv as ConvNode & { channels: number }, rawName: raw, firstEditNode };
}

/** Copy of an ONNX model whose conv `layer` output passes through mask · x + fill (insertChannelEdit). */
export function withChannelEdit(bytes: Uint8Array, layer: string): { bytes: Uint8Array; conv: ConvNode & { channels: number }; input: string; rawName: string; firstEditNode: string } {
  const model = decodeOnnx(bytes);
  const edit = insertChannelEdit(model, layer);
  return { bytes: onnx.ModelProto.encode(model).finish(), ...edit, input: graphInputs(decodeOnnx(bytes))[0].name };
}

/**
 * The edited model split at the edit: the tensors the rest of the network
 * reads (the boundary) and the suffix model that starts at the Mul.
 */
function splitAtEdit(edited: Uint8Array, firstEditNode: string) {
  const model = decodeOnnx(edited);
  const at = model.graph!.node!.findIndex((n) => n.name === firstEditNode);
  const keep = [MASK_INPUT, FILL_INPUT];
  const boundary = boundaryAt(model, at, keep);
  return {
    boundary,
    /** Suffix model bytes, given the element types of the boundary tensors (known after a prefix run). */
    suffix: (types: Map<string, number>): Uint8Array => suffixModel(decodeOnnx(edited), at, boundary, types, keep),
  };
}

export interface LayerEditorOptions {
  layer: string;
  /** NCHW float32 images, `count` of them. */
  images: Float32Array;
  count: number;
  /** Images per run; default 128. */
  chunk?: number;
  /** Keep the boundary tensors and run only the suffix per edit (default true). */
  split?: boolean;
  intraOpNumThreads?: number;
  /** Graph output holding the logits; default the first. */
  outputName?: string;
}

export class LayerEditor {
  private constructor(
    private readonly full: InferenceSession,
    private suffix: InferenceSession | null,
    private readonly parts: ReturnType<typeof splitAtEdit> | null,
    private readonly chunks: { feeds: Record<string, Tensor>; boundary: Record<string, Tensor> | null }[],
    private readonly outName: string,
    readonly conv: ConvNode & { channels: number },
    readonly count: number,
    /** The layer's map size. */
    readonly mapHeight: number,
    readonly mapWidth: number,
    /** Mean map of every channel over the images, [C, H, W]. */
    readonly meanMaps: Float32Array,
    /** Mean over images and positions of |conv output| per channel. */
    readonly meanAbs: Float64Array,
    /** Unedited logits [count, classes]. */
    readonly baseline: Float32Array,
    readonly classes: number,
    readonly method: string,
  ) {}

  get channels(): number {
    return this.conv.channels;
  }

  /** Positions of one map (H·W). */
  get positions(): number {
    return this.mapHeight * this.mapWidth;
  }

  static async open(model: string | Uint8Array, opts: LayerEditorOptions): Promise<LayerEditor> {
    const bytes = typeof model === 'string' ? await readFile(model) : model;
    const edited = withChannelEdit(bytes, opts.layer);
    const dims = graphInputs(decodeOnnx(bytes))[0].dims.slice(1);
    if (dims.some((d) => d === null)) throw new Error('layer edits need a model input with fixed C, H, W');
    const per = (dims as number[]).reduce((a, b) => a * b, 1);
    if (opts.images.length !== opts.count * per) throw new Error(`images: expected ${opts.count}×${dims.join('×')} floats`);
    const sessionOptions = isolatedSessionOptions({ intraOpNumThreads: opts.intraOpNumThreads ?? availableParallelism(), graphOptimizationLevel: 'all' });
    const split = opts.split !== false;
    const parts = split ? splitAtEdit(edited.bytes, edited.firstEditNode) : null;
    const extra = [edited.rawName, ...(parts?.boundary ?? [])];
    const full = await InferenceSession.create(withExtraOutputs(decodeOnnx(edited.bytes), extra), sessionOptions);
    const outName = opts.outputName ?? full.outputNames[0];
    const C = edited.conv.channels;
    let suffix: InferenceSession | null = null;
    try {
      const chunk = opts.chunk ?? 128;
      const chunks: { feeds: Record<string, Tensor>; boundary: Record<string, Tensor> | null }[] = [];
      const logits: Float32Array[] = [];
      let sum: Float64Array | null = null;
      let abs: Float64Array | null = null;
      let positions = 0;
      let mapHeight = 0;
      let classes = 0;
      const mask = new Tensor('float32', new Float32Array(C).fill(1), [1, C, 1, 1]);
      const fill = new Tensor('float32', new Float32Array(C), [1, C, 1, 1]);
      for (let s = 0; s < opts.count; s += chunk) {
        const e = Math.min(opts.count, s + chunk);
        const feeds = { [edited.input]: new Tensor('float32', opts.images.subarray(s * per, e * per), [e - s, ...(dims as number[])]) };
        // The unedited pass (mask 1, fill 0): the baseline logits, the
        // channel statistics from the raw conv output, and the boundary.
        const res = await full.run({ ...feeds, [MASK_INPUT]: mask, [FILL_INPUT]: fill }, [outName, ...extra]);
        const raw = res[edited.rawName];
        mapHeight = Number(raw.dims[2]);
        positions = mapHeight * Number(raw.dims[3]);
        sum ??= new Float64Array(C * positions);
        abs ??= new Float64Array(C);
        const v = raw.data as Float32Array;
        for (let i = 0; i < e - s; i++) {
          for (let c = 0; c < C; c++) {
            const base = (i * C + c) * positions;
            let a = 0;
            for (let j = 0; j < positions; j++) {
              sum[c * positions + j] += v[base + j];
              a += Math.abs(v[base + j]);
            }
            abs[c] += a;
          }
        }
        const out = res[outName];
        classes = out.dims.slice(1).reduce((a, b) => a * Number(b), 1);
        logits.push(out.data as Float32Array);
        let boundary: Record<string, Tensor> | null = null;
        if (parts) {
          boundary = Object.fromEntries(parts.boundary.map((b) => [b, res[b]]));
          suffix ??= await InferenceSession.create(parts.suffix(new Map(parts.boundary.map((b) => [b, ONNX_ELEM_TYPE[res[b].type] ?? 1]))), sessionOptions);
        }
        chunks.push({ feeds, boundary });
      }
      const meanMaps = Float32Array.from(sum!, (x) => x / opts.count);
      const meanAbs = Float64Array.from(abs!, (x) => x / (opts.count * positions));
      const method = split ? 'onnxruntime-node (split at layer)' : 'onnxruntime-node';
      return new LayerEditor(full, suffix, parts, chunks, outName, edited.conv, opts.count, mapHeight, positions / mapHeight, meanMaps, meanAbs, concatArrays(logits, (n) => new Float32Array(n)), classes, method);
    } catch (err) {
      await full.release();
      await (suffix as InferenceSession | null)?.release();
      throw err;
    }
  }

  /** Logits [count, classes] with the layer's output edited: mask [C], fill [C·H·W] (or [C], broadcast over positions). */
  async run(mask: Float32Array, fill: Float32Array): Promise<Float32Array> {
    const C = this.channels;
    if (mask.length !== C) throw new Error(`mask: ${mask.length} values for ${C} channels`);
    if (fill.length !== C && fill.length !== C * this.positions) throw new Error(`fill: ${fill.length} values, expected ${C} or ${C * this.positions}`);
    const maskT = new Tensor('float32', mask, [1, C, 1, 1]);
    const fillT = new Tensor('float32', fill, fill.length === C ? [1, C, 1, 1] : [1, C, this.mapHeight, this.mapWidth]);
    const outs: Float32Array[] = [];
    for (const c of this.chunks) {
      const res =
        this.parts && this.suffix && c.boundary
          ? await this.suffix.run({ ...c.boundary, [MASK_INPUT]: maskT, [FILL_INPUT]: fillT }, [this.outName])
          : await this.full.run({ ...c.feeds, [MASK_INPUT]: maskT, [FILL_INPUT]: fillT }, [this.outName]);
      outs.push(res[this.outName].data as Float32Array);
    }
    return concatArrays(outs, (n) => new Float32Array(n));
  }

  async release(): Promise<void> {
    await this.full.release();
    await this.suffix?.release();
  }
}
