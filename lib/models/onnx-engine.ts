/**
 * ModelEngine on onnxruntime-node.
 *
 * ORT only returns graph outputs, so the model is decoded with onnx-proto and
 * every Conv output is declared as an extra graph output before the session is
 * created from the edited bytes. Each run() then fetches only the model output
 * and the layers asked for. ORT computes every node of a session whatever is
 * fetched, so a run that needs no model output goes through a prefix of the
 * graph that ends at its last layer (OnnxEngineOptions.prefixRuns).
 */
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import {
  checkBatch,
  resolveLayers,
  type ConvLayerInfo,
  type InputInfo,
  type ModelEngine,
  type OutputInfo,
  type RunOptions,
  type RunResult,
  type TensorData,
} from './engine';
import {
  decodeOnnx,
  findConvNodes,
  graphInputs,
  graphOutputNames,
  producerOp,
  withExtraOutputs,
  type ConvNode,
  type ModelProto,
} from './onnx-graph';
import { prefixModel } from './graph-split';
import { checkInputSize } from './input-limits';
import { isolatedSessionOptions } from './onnx-policy';
import { executionProviders, type ExecutionProvider, type ProviderSelection } from './execution-providers';

export interface OnnxEngineOptions {
  /** ORT intra-op threads; default: all cores (os.availableParallelism()). */
  intraOpNumThreads?: number;
  /**
   * Per-sample input shape [C, H, W]. Required when the model declares
   * symbolic spatial dims; must agree with any dims the model does fix.
   */
  inputShape?: number[];
  /** Which graph output is the model's response; default: the first one. */
  outputName?: string;
  /** ORT graph optimisation level; default 'all'. */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * Return memory to the system after each run instead of keeping ORT's arena
   * at its high-water mark (network-wide analyses of big models stay within
   * their memory budget this way; small models run faster with the arena).
   */
  releaseArena?: boolean;
  /** Execution providers; default: this machine's (execution-providers.ts: CUDA when present, else CPU). */
  providers?: ProviderSelection;
  /**
   * Keep the graph up to its last Conv (its weights copied: VGG-16's 59 MB of
   * 553, ResNet-18's 45 of 47) so that runs without the model output go
   * through a prefix ending at their last layer: capturing VGG-16's first
   * layer then costs one convolution instead of the whole network.
   */
  prefixRuns?: boolean;
}

/**
 * The graph up to its last Conv, with every Conv output a graph output, and
 * each Conv output's node index: a prefix cut from it at a layer computes
 * that layer bit for bit as the whole edited graph does, since every Conv
 * before the cut stays a graph output there too (so ORT fuses nothing into
 * it, as in the full session: BatchNormalization stays unfolded).
 */
interface Trunk {
  bytes: Uint8Array;
  nodeOf: Map<string, number>;
  convOutputs: string[];
  options: OnnxEngineOptions;
}

const TENSOR_FLOAT = 1;

function toTensorData(t: Tensor): TensorData {
  if (t.type !== 'float32') throw new Error(`expected a float32 tensor, ORT returned ${t.type}`);
  return { data: t.data as Float32Array, dims: t.dims.map(Number) };
}

export class OnnxEngine implements ModelEngine {
  readonly backend = 'onnxruntime-node';

  /** The session of the last prefix run, for the next run with the same last layer. */
  private prefix: { cut: number; session: InferenceSession } | null = null;

  private constructor(
    private session: InferenceSession | null,
    readonly input: InputInfo,
    readonly output: OutputInfo,
    private readonly layers: ConvLayerInfo[],
    /** 'cuda' or 'cpu': where the forward passes run. */
    readonly executionProvider: string,
    private readonly trunk: Trunk | null = null,
  ) {}

  /** Load a model file (.onnx). */
  static async fromFile(path: string, options: OnnxEngineOptions = {}): Promise<OnnxEngine> {
    const bytes = await readFile(path);
    return OnnxEngine.fromBytes(bytes, options, path);
  }

  /**
   * Build an engine from model bytes. Creates the session and runs one
   * all-zero sample to learn every conv layer's map size: ORT's shapes are the
   * ground truth, where re-implementing shape inference for every op on the
   * path (pooling, padding modes, ceil_mode...) would be a second, driftable copy.
   */
  static async fromBytes(bytes: Uint8Array, options: OnnxEngineOptions = {}, source = 'model'): Promise<OnnxEngine> {
    const model = decodeOnnx(bytes, source);
    const convs = findConvNodes(model);
    if (convs.length === 0) throw new Error(`${source}: the model has no Conv layers`);

    const inputs = graphInputs(model);
    if (inputs.length !== 1) {
      throw new Error(
        `${source}: expected exactly one image input, found ${inputs.length} (${inputs.map((i) => i.name).join(', ')})`,
      );
    }
    const gi = inputs[0];
    if (gi.elemType !== TENSOR_FLOAT) {
      throw new Error(`${source}: input '${gi.name}' must be float32 (ONNX elem type 1), found type ${gi.elemType}`);
    }
    const { shape, fixedBatchSize } = resolveInputShape(gi.name, gi.dims, options.inputShape, source);

    const outputs = graphOutputNames(model);
    const outputName = options.outputName ?? outputs[0];
    if (!outputs.includes(outputName)) {
      throw new Error(`${source}: no graph output '${outputName}'; outputs: ${outputs.join(', ')}`);
    }

    const edited = withExtraOutputs(
      model,
      convs.map((c) => c.outputName),
    );
    let session: InferenceSession;
    let provider: string;
    try {
      // `edited` is the re-encoding of the checked model, never the caller's bytes.
      ({ session, provider } = await createOrtSession(edited, options));
    } catch (err) {
      throw new Error(`${source}: onnxruntime could not load the model: ${(err as Error).message}`);
    }

    try {
      const probeN = fixedBatchSize ?? 1;
      const probe = new Float32Array(probeN * shape.reduce((a, b) => a * b, 1));
      const res = await session.run({ [gi.name]: new Tensor('float32', probe, [probeN, ...shape]) }, [
        outputName,
        ...convs.map((c) => c.outputName),
      ]);
      const layers = convs
        .map((c) => describeLayer(c, res[c.outputName].dims.map(Number)))
        // Conv1d/Conv3d outputs have no H×W map; PCACE ranks 2-D feature maps only.
        .filter((l): l is ConvLayerInfo => l !== null);
      if (layers.length === 0) throw new Error(`${source}: the model has no 2-D Conv layers`);
      const out: OutputInfo = {
        name: outputName,
        shape: res[outputName].dims.slice(1).map(Number),
        softmax: producerOp(model, outputName) === 'Softmax',
      };
      return new OnnxEngine(session, { name: gi.name, shape, fixedBatchSize }, out, layers, provider, options.prefixRuns ? trunkOf(model, convs, options) : null);
    } catch (err) {
      await session.release();
      throw err;
    }
  }

  listConvLayers(): ConvLayerInfo[] {
    return this.layers.map((l) => ({ ...l }));
  }

  async run(batch: Float32Array, batchSize: number, layers: readonly string[], into?: ReadonlyMap<string, Float32Array>, options: RunOptions = {}): Promise<RunResult> {
    if (!this.session) throw new Error('engine has been disposed');
    checkBatch(this.input, batch, batchSize);
    const wanted = resolveLayers(this.layers, layers);
    const prefix = options.output === false && wanted.length > 0 ? await this.prefixSession(wanted) : null;
    // Fetch only what was asked for: ORT then skips copying the other conv
    // outputs (it computes every node of a session either way, hence the
    // prefix sessions). ORT's own output
    // buffers are freed only when the garbage collector finalises their
    // tensors, long after a caller has copied them out (VGG-16's first layer:
    // 103 MB per batch of 8), so a caller's buffers are written in place.
    const fetches: Record<string, Tensor | null> = prefix ? {} : { [this.output.name]: null };
    for (const l of wanted) {
      const buffer = into?.get(l.name);
      const dims = [batchSize, l.channels, l.mapHeight, l.mapWidth];
      if (buffer && buffer.length !== dims.reduce((a, b) => a * b, 1)) {
        throw new Error(`output buffer for ${l.name} has ${buffer.length} values, expected ${dims.join('×')}`);
      }
      fetches[l.outputName] = buffer ? new Tensor('float32', buffer, dims) : null;
    }
    const feeds = { [this.input.name]: new Tensor('float32', batch, [batchSize, ...this.input.shape]) };
    const res = await (prefix ?? this.session).run(feeds, fetches);
    const activations = new Map<string, TensorData>();
    for (const l of wanted) {
      const t = toTensorData(res[l.outputName]);
      // ORT hands back a view of the caller's buffer; the buffer itself is what the caller keeps alive.
      const buffer = into?.get(l.name);
      activations.set(l.name, buffer ? { data: buffer, dims: t.dims } : t);
    }
    return { activations, output: prefix ? { data: new Float32Array(0), dims: [batchSize, 0] } : toTensorData(res[this.output.name]) };
  }

  /**
   * The prefix session ending at the last of `wanted`, null without a trunk.
   * One is kept: a capture pass runs all its batches with the same layers.
   */
  private async prefixSession(wanted: readonly ConvLayerInfo[]): Promise<InferenceSession | null> {
    const trunk = this.trunk;
    if (!trunk) return null;
    const cut = Math.max(...wanted.map((l) => trunk.nodeOf.get(l.outputName)!)) + 1;
    if (this.prefix?.cut === cut) return this.prefix.session;
    await this.releasePrefix();
    const outputs = trunk.convOutputs.filter((o) => trunk.nodeOf.get(o)! < cut);
    const { session } = await createOrtSession(prefixModel(decodeOnnx(trunk.bytes), cut, outputs), trunk.options);
    this.prefix = { cut, session };
    return session;
  }

  private async releasePrefix(): Promise<void> {
    const p = this.prefix;
    this.prefix = null;
    if (p) await p.session.release();
  }

  async dispose(): Promise<void> {
    await this.releasePrefix();
    const s = this.session;
    this.session = null;
    if (s) await s.release();
  }
}

/**
 * An ORT session on this machine's execution providers (CUDA when present,
 * else the CPU; a CUDA session that fails to load falls back to the CPU when
 * the selection allows), with the engine's threading, optimisation and arena
 * options. Returns the session and where it runs ('cuda' or 'cpu').
 */
export async function createOrtSession(
  bytes: Uint8Array,
  options: Pick<OnnxEngineOptions, 'intraOpNumThreads' | 'graphOptimizationLevel' | 'releaseArena' | 'providers'> = {},
): Promise<{ session: InferenceSession; provider: string }> {
  const selection = options.providers ?? executionProviders();
  const create = (providers: ExecutionProvider[]) =>
    InferenceSession.create(
      bytes,
      isolatedSessionOptions({
        executionProviders: providers,
        intraOpNumThreads: options.intraOpNumThreads ?? availableParallelism(),
        graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
        ...(options.releaseArena ? { enableCpuMemArena: false, enableMemPattern: false } : {}),
      }),
    );
  if (selection.providers[0] === 'cpu') return { session: await create(selection.providers), provider: 'cpu' };
  try {
    return { session: await create(selection.providers), provider: 'cuda' };
  } catch (err) {
    if (!selection.fallbackToCpu) throw err;
    // A GPU that is present but unusable (driver, CUDA or cuDNN version) must not stop the analysis.
    process.stderr.write(`[pcace] CUDA session failed (${(err as Error).message.split('\n')[0]}); running on the CPU\n`);
    return { session: await create(['cpu']), provider: 'cpu' };
  }
}

/** The trunk of a decoded model (consumed: its nodes and initializers are cut). */
function trunkOf(model: ModelProto, convs: ConvNode[], options: OnnxEngineOptions): Trunk {
  const nodes = model.graph!.node!;
  const nodeOf = new Map(convs.map((c) => [c.outputName, nodes.findIndex((n) => n.output?.includes(c.outputName))]));
  const convOutputs = convs.map((c) => c.outputName);
  // Encoded afresh: the bytes copy the kept weights, so the model file itself can be collected.
  const bytes = prefixModel(model, Math.max(...nodeOf.values()) + 1, convOutputs);
  return { bytes, nodeOf, convOutputs, options };
}

/** Convenience: OnnxEngine.fromFile for paths, fromBytes for buffers. */
export function createOnnxEngine(model: string | Uint8Array, options: OnnxEngineOptions = {}): Promise<OnnxEngine> {
  return typeof model === 'string' ? OnnxEngine.fromFile(model, options) : OnnxEngine.fromBytes(model, options);
}

/**
 * Combine the model's declared input dims with the caller's [C, H, W]: fixed
 * model dims win, and a disagreement is an error rather than a guess.
 */
function resolveInputShape(
  name: string,
  dims: (number | null)[],
  given: number[] | undefined,
  source: string,
): { shape: number[]; fixedBatchSize: number | null } {
  if (dims.length !== 4) {
    throw new Error(`${source}: input '${name}' has rank ${dims.length}; an NCHW image input (rank 4) is required`);
  }
  const [n, ...chw] = dims;
  if (given !== undefined) {
    if (given.length !== 3 || given.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new Error(`inputShape must be [C, H, W] of positive integers, got [${given.join(', ')}]`);
    }
    chw.forEach((d, i) => {
      if (d !== null && d !== given[i]) {
        throw new Error(
          `input shape mismatch: model input '${name}' is [N, ${chw.map((x) => x ?? '?').join(', ')}], inputShape is [${given.join(', ')}]`,
        );
      }
    });
  } else if (chw.some((d) => d === null)) {
    throw new Error(
      `${source}: input '${name}' has symbolic dims [N, ${chw.map((x) => x ?? '?').join(', ')}]; pass inputShape [C, H, W]`,
    );
  }
  const shape = given ? [...given] : (chw as number[]);
  // The declared dims were capped when the model was decoded; a caller's
  // inputShape fills in symbolic dims and must respect the same cap.
  checkInputSize(name, shape, source);
  return { shape, fixedBatchSize: n };
}

function pair(v: number[], fallback: number): [number, number] {
  return [v[0] ?? fallback, v[1] ?? fallback];
}

function describeLayer(c: ConvNode, dims: number[]): ConvLayerInfo | null {
  if (dims.length !== 4) return null;
  const [, channels, h, w] = dims;
  // ONNX pads are [top, left, bottom, right] for 2-D: begins then ends.
  const p = c.pads.length === 4 ? c.pads : [0, 0, 0, 0];
  return {
    name: c.name,
    outputName: c.outputName,
    channels,
    mapHeight: h,
    mapWidth: w,
    kernelSize: pair(c.kernelSize, 1),
    stride: pair(c.stride, 1),
    dilation: pair(c.dilation, 1),
    padding: [p[0], p[1], p[2], p[3]],
    groups: c.groups,
    weightMean: c.weightMean && c.weightMean.length === channels ? c.weightMean : null,
  };
}
