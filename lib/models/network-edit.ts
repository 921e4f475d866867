/**
 * Runs an ONNX model with several conv layers' outputs edited at once, each
 * by out_c = mask_c · conv_c + fill_c (layer-edit.ts's edit, with its own
 * pair of inputs per layer): the network-wide deletion curves remove channels
 * of every analysed layer together. One unedited pass gives every layer's
 * mean maps over the images (what a removed channel is replaced by) and the
 * unedited logits. Each run is the whole graph: an edit in the first layer
 * changes everything after it.
 */
import { availableParallelism } from 'node:os';
import { readFile } from 'node:fs/promises';
import onnxProto from 'onnx-proto';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { decodeOnnx, graphInputs, withExtraOutputs } from './onnx-graph';
import { isolatedSessionOptions } from './onnx-policy';
import { concatArrays } from './concat';
import { insertChannelEdit } from './layer-edit';

const { onnx } = onnxProto;

export interface EditedLayer {
  name: string;
  channels: number;
  mapHeight: number;
  mapWidth: number;
  /** Mean map of every channel over the images, [C, H, W]. */
  meanMaps: Float32Array;
}

export interface NetworkEditorOptions {
  layers: string[];
  /** NCHW float32 images, `count` of them. */
  images: Float32Array;
  count: number;
  /** Images per run; default 64. */
  chunk?: number;
  intraOpNumThreads?: number;
}

export class NetworkEditor {
  private constructor(
    private readonly session: InferenceSession,
    private readonly names: { mask: string; fill: string }[],
    private readonly chunks: Record<string, Tensor>[],
    private readonly outName: string,
    readonly layers: EditedLayer[],
    /** Unedited logits [count, classes]. */
    readonly baseline: Float32Array,
    readonly classes: number,
  ) {}

  static async open(model: string | Uint8Array, opts: NetworkEditorOptions): Promise<NetworkEditor> {
    if (opts.layers.length === 0) throw new Error('no layers to edit');
    const bytes = typeof model === 'string' ? await readFile(model) : model;
    const decoded = decodeOnnx(bytes);
    const input = graphInputs(decoded)[0];
    const dims = input.dims.slice(1);
    if (dims.some((d) => d === null)) throw new Error('layer edits need a model input with fixed C, H, W');
    const per = (dims as number[]).reduce((a, b) => a * b, 1);
    if (opts.images.length !== opts.count * per) throw new Error(`images: expected ${opts.count}×${dims.join('×')} floats`);
    const names = opts.layers.map((_, i) => ({ mask: `pcace_network_mask_${i}`, fill: `pcace_network_fill_${i}` }));
    const edits = opts.layers.map((layer, i) => insertChannelEdit(decoded, layer, names[i]));
    const rawNames = edits.map((e) => e.rawName);
    const sessionOptions = isolatedSessionOptions({ intraOpNumThreads: opts.intraOpNumThreads ?? availableParallelism(), graphOptimizationLevel: 'all' });
    const editedBytes = onnx.ModelProto.encode(decoded).finish();
    const session = await InferenceSession.create(withExtraOutputs(decodeOnnx(editedBytes), rawNames), sessionOptions);
    try {
      const outName = session.outputNames.find((o) => !rawNames.includes(o))!;
      const chunk = opts.chunk ?? 64;
      const chunks: Record<string, Tensor>[] = [];
      const logits: Float32Array[] = [];
      const sums: (Float64Array | null)[] = edits.map(() => null);
      const shapes: [number, number][] = edits.map(() => [0, 0]);
      const identity = NetworkEditor.identityFeeds(names, edits.map((e) => e.conv.channels));
      let classes = 0;
      for (let s = 0; s < opts.count; s += chunk) {
        const e = Math.min(opts.count, s + chunk);
        const feeds = { [input.name]: new Tensor('float32', opts.images.subarray(s * per, e * per), [e - s, ...(dims as number[])]) };
        const res = await session.run({ ...feeds, ...identity }, [outName, ...rawNames]);
        edits.forEach((edit, l) => {
          const raw = res[edit.rawName];
          const C = edit.conv.channels;
          const H = Number(raw.dims[2]);
          const W = Number(raw.dims[3]);
          shapes[l] = [H, W];
          const sum = (sums[l] ??= new Float64Array(C * H * W));
          const v = raw.data as Float32Array;
          for (let i = 0; i < (e - s) * C * H * W; i++) sum[i % (C * H * W)] += v[i];
        });
        const out = res[outName];
        classes = out.dims.slice(1).reduce((a, b) => a * Number(b), 1);
        logits.push(out.data as Float32Array);
        chunks.push(feeds);
      }
      const layers = edits.map((edit, l) => ({
        name: opts.layers[l],
        channels: edit.conv.channels,
        mapHeight: shapes[l][0],
        mapWidth: shapes[l][1],
        meanMaps: Float32Array.from(sums[l]!, (x) => x / opts.count),
      }));
      return new NetworkEditor(session, names, chunks, outName, layers, concatArrays(logits, (n) => new Float32Array(n)), classes);
    } catch (err) {
      await session.release();
      throw err;
    }
  }

  /** mask 1 and fill 0 for every layer: the unedited network. */
  private static identityFeeds(names: { mask: string; fill: string }[], channels: number[]): Record<string, Tensor> {
    const feeds: Record<string, Tensor> = {};
    names.forEach((n, l) => {
      feeds[n.mask] = new Tensor('float32', new Float32Array(channels[l]).fill(1), [1, channels[l], 1, 1]);
      feeds[n.fill] = new Tensor('float32', new Float32Array(channels[l]), [1, channels[l], 1, 1]);
    });
    return feeds;
  }

  /** Logits [count, classes] with, per layer l, the channels removed[l] replaced by their mean maps. */
  async runRemoved(removed: readonly (readonly number[])[]): Promise<Float32Array> {
    const feeds: Record<string, Tensor> = {};
    this.layers.forEach((layer, l) => {
      const C = layer.channels;
      const P = layer.mapHeight * layer.mapWidth;
      const mask = new Float32Array(C).fill(1);
      const gone = removed[l] ?? [];
      if (gone.length === 0) {
        feeds[this.names[l].mask] = new Tensor('float32', mask, [1, C, 1, 1]);
        feeds[this.names[l].fill] = new Tensor('float32', new Float32Array(C), [1, C, 1, 1]);
        return;
      }
      const fill = new Float32Array(C * P);
      for (const c of gone) {
        mask[c] = 0;
        fill.set(layer.meanMaps.subarray(c * P, (c + 1) * P), c * P);
      }
      feeds[this.names[l].mask] = new Tensor('float32', mask, [1, C, 1, 1]);
      feeds[this.names[l].fill] = new Tensor('float32', fill, [1, C, layer.mapHeight, layer.mapWidth]);
    });
    const outs: Float32Array[] = [];
    for (const c of this.chunks) outs.push((await this.session.run({ ...c, ...feeds }, [this.outName]))[this.outName].data as Float32Array);
    return concatArrays(outs, (n) => new Float32Array(n));
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
