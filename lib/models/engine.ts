/**
 * The contract every model backend implements (ONNX Runtime now, TF.js later).
 * PCACE needs three things from a network: which conv layers it has, their
 * activations for a batch of images (before any activation function), and the
 * model's output for the same batch (the response ACE explains).
 */

/** A dense float32 tensor in row-major order. */
export interface TensorData {
  data: Float32Array;
  dims: number[];
}

/** Where a conv layer sits and its shape: what is stored with a model version (lib/server/models.ts). */
export interface ConvGeometry {
  /**
   * PyTorch module name as exported ('conv1', 'layer1.0.conv1', 'features.0').
   * This is the key `run` takes. A module executed twice gets 'name#2'.
   */
  name: string;
  /** Backend tensor name of the conv output (ONNX: '/layer1/layer1.0/conv1/Conv_output_0'). */
  outputName: string;
  /** Output channels. */
  channels: number;
  /** Output map height and width for the model's input size. */
  mapHeight: number;
  mapWidth: number;
  /** [kH, kW] */
  kernelSize: [number, number];
  /** [sH, sW] */
  stride: [number, number];
  /** [dH, dW] */
  dilation: [number, number];
  /** Explicit padding [top, left, bottom, right] (zeros when the backend pads implicitly). */
  padding: [number, number, number, number];
  groups: number;
}

export interface ConvLayerInfo extends ConvGeometry {
  /**
   * Mean of each output channel's kernel weights (length `channels`), the
   * paper's "reverse channel" criterion: a negative mean marks a channel whose
   * response is inverted. null when the weights are not constants in the model.
   */
  weightMean: Float64Array | null;
}

export interface InputInfo {
  name: string;
  /** Per-sample shape, NCHW without N: [C, H, W]. */
  shape: number[];
  /** Set when the model was exported with a fixed batch dimension; run() must use it. */
  fixedBatchSize: number | null;
}

export interface OutputInfo {
  name: string;
  /** Per-sample shape, e.g. [10] for ten logits, [1] for a regression value. */
  shape: number[];
  /**
   * True when the output comes straight from a Softmax: PCACE wants pre-softmax
   * logits, so callers should warn (probabilities saturate and distort ACE).
   */
  softmax: boolean;
}

export interface RunOptions {
  /** False: the model output is not needed (default true). */
  output?: boolean;
}

export interface RunResult {
  /** NCHW activations keyed by the requested layer names. */
  activations: Map<string, TensorData>;
  /** Model output for the batch, [N, ...output.shape]. */
  output: TensorData;
}

export interface ModelEngine {
  /** Which backend this is, for logs and reports ('onnxruntime-node', 'tfjs-wasm', ...). */
  readonly backend: string;
  readonly input: InputInfo;
  readonly output: OutputInfo;
  /** Conv layers in execution order. */
  listConvLayers(): ConvLayerInfo[];
  /**
   * Run one batch. `batch` is NCHW float32 of length batchSize × C × H × W,
   * already preprocessed. Only the named layers are returned (and computed
   * where the backend allows), so ask for what you need.
   *
   * `into` optionally gives, per named layer, a buffer of exactly batchSize ×
   * channels × H × W values that a backend able to write in place fills and
   * returns as that layer's data (ONNX Runtime), so a caller running many
   * batches reuses its memory instead of leaving one output buffer per batch
   * to the garbage collector; the buffers are overwritten by the next call.
   * Other backends may ignore it and return fresh arrays.
   *
   * `options.output` false says the caller reads only the layers: a backend
   * may then run only the part of the network up to the last of them (ONNX
   * Runtime: a prefix of the graph) and return an empty output ([batchSize, 0]).
   */
  run(batch: Float32Array, batchSize: number, layers: readonly string[], into?: ReadonlyMap<string, Float32Array>, options?: RunOptions): Promise<RunResult>;
  /** Release native resources; the engine is unusable afterwards. */
  dispose(): Promise<void>;
}

/**
 * Map requested layer names to layers, failing on the first unknown name with
 * the list of valid ones (shared so every backend words it the same way).
 */
export function resolveLayers(
  available: readonly ConvLayerInfo[],
  requested: readonly string[],
): ConvLayerInfo[] {
  const byName = new Map(available.map((l) => [l.name, l]));
  return requested.map((name) => {
    const layer = byName.get(name);
    if (!layer) {
      throw new Error(
        `unknown layer '${name}'; available conv layers: ${available.map((l) => l.name).join(', ')}`,
      );
    }
    return layer;
  });
}

/**
 * Check that a batch has exactly batchSize samples of the input shape; a
 * mismatch otherwise surfaces as an opaque runtime error or, worse, as a
 * silently reinterpreted tensor.
 */
export function checkBatch(input: InputInfo, batch: Float32Array, batchSize: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  }
  if (input.fixedBatchSize !== null && batchSize !== input.fixedBatchSize) {
    throw new Error(
      `input shape mismatch: the model was exported with a fixed batch size of ${input.fixedBatchSize}, got ${batchSize}`,
    );
  }
  const per = input.shape.reduce((a, b) => a * b, 1);
  if (batch.length !== batchSize * per) {
    throw new Error(
      `input shape mismatch: expected ${batchSize}×${input.shape.join('×')} = ${batchSize * per} floats ` +
        `for input '${input.name}', got ${batch.length}` +
        (batch.length % per === 0 ? ` (that is ${batch.length / per} samples)` : ''),
    );
  }
}
