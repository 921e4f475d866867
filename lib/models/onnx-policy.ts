/**
 * What an uploaded ONNX model may contain before any runtime sees it. Models
 * come from lab members and are untrusted input, so the check is an allow-list
 * applied by decodeOnnx on every open (upload probe, worker, CLI):
 *
 *  - no tensor anywhere may keep its data outside the model file: ONNX Runtime
 *    resolves such "external data" as a file path (relative to the working
 *    directory when a model is loaded from bytes), so a Constant pointing at
 *    a server file, feeding Pad amounts before a Conv, leaks that file through
 *    the conv map sizes the portal reports;
 *  - only the operators a CNN image classifier exported from PyTorch or
 *    TensorFlow uses, in the standard ONNX domain: every op here runs in time
 *    bounded by its tensor sizes, which Loop/If/Scan do not;
 *  - bounded graph size and nesting, and a bounded declared input size.
 *
 * The walk covers every place a TensorProto or a subgraph can sit in the
 * schema onnx-proto knows. Fields that onnx-proto does not know (newer ONNX
 * additions such as FunctionProto.attribute_proto) are dropped when the model
 * is re-encoded, and ONNX Runtime only ever receives the re-encoded bytes of
 * a checked model (see OnnxEngine.fromBytes and ablation.ts), never the upload.
 */
import onnxProto from 'onnx-proto';
import type { InferenceSession } from 'onnxruntime-node';
import { inputLimitsFromEnv, checkInputSize, type Env, type InputLimits } from './input-limits';

type ModelProto = InstanceType<typeof onnxProto.onnx.ModelProto>;
type GraphProto = onnxProto.onnx.IGraphProto;
type NodeProto = onnxProto.onnx.INodeProto;
type TensorProto = onnxProto.onnx.ITensorProto;
type SparseTensorProto = onnxProto.onnx.ISparseTensorProto;
type AttributeProto = onnxProto.onnx.IAttributeProto;

/**
 * Operators of CNN image classifiers as torch.onnx and tf2onnx export them
 * (convolutions, normalisation, activations, pooling, the shape arithmetic
 * around flatten/reshape, resizing, elementwise maths). All are free of
 * control flow and of any file or network access.
 */
export const IMAGE_CLASSIFIER_OPS: ReadonlySet<string> = new Set([
  // convolution, normalisation
  'Conv', 'ConvTranspose', 'BatchNormalization', 'InstanceNormalization', 'LayerNormalization', 'GroupNormalization',
  'LRN', 'LpNormalization',
  // activations
  'Relu', 'LeakyRelu', 'PRelu', 'Sigmoid', 'Tanh', 'Clip', 'HardSigmoid', 'HardSwish', 'Gelu', 'Erf', 'Elu', 'Selu',
  'Celu', 'Softplus', 'Softsign', 'ThresholdedRelu', 'Mish', 'Softmax', 'LogSoftmax', 'Hardmax',
  // pooling
  'MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'LpPool', 'GlobalLpPool',
  // structure and shape arithmetic
  'Dropout', 'Identity', 'Flatten', 'Reshape', 'Squeeze', 'Unsqueeze', 'Transpose', 'Concat', 'Split', 'Slice',
  'Gather', 'GatherElements', 'Shape', 'Size', 'Constant', 'ConstantOfShape', 'Pad', 'Expand', 'Tile', 'Range',
  'Resize', 'Upsample', 'DepthToSpace', 'SpaceToDepth', 'Cast', 'CastLike',
  // elementwise maths and comparisons
  'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Sqrt', 'Reciprocal', 'Neg', 'Abs', 'Exp', 'Log', 'Floor', 'Ceil', 'Round',
  'Sign', 'Max', 'Min', 'Sum', 'Mean', 'Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'Not', 'And',
  'Or', 'Where',
  // reductions, dense layers, class outputs
  'ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL2', 'ReduceSumSquare', 'ArgMax', 'ArgMin',
  'MatMul', 'Gemm', 'Einsum',
]);

/** Ops whose run time is not bounded by the model's size; allowed only by PCACE_ALLOW_CONTROL_FLOW=1. */
export const CONTROL_FLOW_OPS: ReadonlySet<string> = new Set(['Loop', 'If', 'Scan']);

export interface OnnxPolicy extends InputLimits {
  /** Total nodes over the graph, nested graphs, functions and training graphs. */
  maxNodes: number;
  /** How deep graphs may nest inside node attributes (a Loop body is depth 1). */
  maxGraphDepth: number;
  /** Highest default-domain opset a model may import (ONNX Runtime 1.30 knows 23). */
  maxOpset: number;
  allowControlFlow: boolean;
}

export function onnxPolicyFromEnv(env: Env = process.env): OnnxPolicy {
  return {
    ...inputLimitsFromEnv(env),
    maxNodes: 100_000,
    maxGraphDepth: 8,
    maxOpset: 100,
    allowControlFlow: env.PCACE_ALLOW_CONTROL_FLOW === '1',
  };
}

const DATA_LOCATION_DEFAULT = 0;

const EXTERNAL_REFUSED =
  'is refused: tensor data kept outside the model file makes ONNX Runtime read files on the server; re-export the model as a single file';

/** A tensor whose values live outside the model bytes (a file path, or a memory address tag). */
function isExternal(t: TensorProto | null | undefined): boolean {
  if (!t) return false;
  return (t.dataLocation != null && t.dataLocation !== DATA_LOCATION_DEFAULT) || (t.externalData?.length ?? 0) > 0;
}

/** Names come from the upload and end up in messages: keep them short. */
const clip = (s: string | null | undefined): string => {
  const v = s ?? '';
  return v.length > 80 ? `${v.slice(0, 77)}...` : v;
};
const nodeName = (n: NodeProto): string => clip(n.name || n.output?.[0] || '?');
const nodeLabel = (n: NodeProto): string => `${clip(n.opType) || '(no op type)'} node '${nodeName(n)}'`;

/**
 * Throws with the reason when the model breaks the policy; `source` prefixes
 * every message (a file name, or 'model').
 */
export function checkOnnxPolicy(model: ModelProto, source: string, policy: OnnxPolicy = onnxPolicyFromEnv()): void {
  const fail = (msg: string): never => {
    throw new Error(`${source}: ${msg}`);
  };
  const opsets = model.opsetImport ?? [];
  if (opsets.length > 32) fail(`the model imports ${opsets.length} operator sets; at most 32 are accepted`);
  for (const o of opsets) {
    const v = Number(o.version ?? 0);
    if ((!o.domain || o.domain === 'ai.onnx') && (!Number.isFinite(v) || v < 1 || v > policy.maxOpset)) {
      fail(`opset version ${v} of the ONNX domain is not a real opset (1–${policy.maxOpset})`);
    }
  }

  let nodes = 0;
  // External data is reported before any op problem, wherever it sits (a
  // Constant inside a refused Loop body is still named as external data).
  let opProblem: string | null = null;
  const tensor = (t: TensorProto | null | undefined, where: string) => {
    if (isExternal(t)) fail(`external data in ${where} ${EXTERNAL_REFUSED}`);
  };
  const sparse = (s: SparseTensorProto | null | undefined, where: string) => {
    if (!s) return;
    tensor(s.values, `${where} (values)`);
    tensor(s.indices, `${where} (indices)`);
  };
  /**
   * `ops`: whether the graph's operators are executed by an inference session
   * and so must pass the op policy (training graphs are not run, but may
   * still not hold external data).
   */
  const graph = (g: GraphProto | null | undefined, prefix: string, depth: number, ops: boolean) => {
    if (!g) return;
    if (depth > policy.maxGraphDepth) fail(`${prefix}graphs nest more than ${policy.maxGraphDepth} levels deep`);
    for (const t of g.initializer ?? []) tensor(t, `${prefix}graph initializer '${clip(t.name)}'`);
    for (const s of g.sparseInitializer ?? []) {
      sparse(s, `${prefix}sparse initializer '${clip(s.values?.name || s.indices?.name || '?')}'`);
    }
    nodeList(g.node ?? [], prefix, depth, ops);
  };
  const nodeList = (list: NodeProto[], prefix: string, depth: number, ops: boolean) => {
    nodes += list.length;
    if (nodes > policy.maxNodes) fail(`the model has more than ${policy.maxNodes} nodes; that is no image classifier`);
    for (const n of list) {
      if (ops) checkOp(n, prefix);
      for (const a of n.attribute ?? []) attribute(n, a, prefix, depth, ops);
    }
  };
  const attribute = (n: NodeProto, a: AttributeProto, prefix: string, depth: number, ops: boolean) => {
    const where = `${prefix}${nodeLabel(n)} attribute '${clip(a.name)}'`;
    tensor(a.t, where);
    (a.tensors ?? []).forEach((t, i) => tensor(t, `${where} [${i}]`));
    sparse(a.sparseTensor, where);
    (a.sparseTensors ?? []).forEach((s, i) => sparse(s, `${where} [${i}]`));
    graph(a.g, `${where} > `, depth + 1, ops);
    (a.graphs ?? []).forEach((g, i) => graph(g, `${where} [${i}] > `, depth + 1, ops));
  };
  const checkOp = (n: NodeProto, prefix: string) => {
    if (opProblem === null) opProblem = opRefusal(n, prefix, policy);
  };

  graph(model.graph, '', 0, true);
  for (const f of model.functions ?? []) {
    // Local functions are only reachable through a custom-domain call, which
    // the op check refuses; their bodies are still walked, so nothing in the
    // file escapes the external-data check.
    nodeList(f.node ?? [], `function '${clip(`${f.domain ? f.domain + '.' : ''}${f.name ?? ''}`)}' > `, 1, true);
  }
  (model.trainingInfo ?? []).forEach((ti, i) => {
    graph(ti.initialization, `training info ${i} initialization > `, 1, false);
    graph(ti.algorithm, `training info ${i} algorithm > `, 1, false);
  });

  if (opProblem !== null) fail(opProblem);

  for (const vi of realInputs(model)) {
    const dims = (vi.type?.tensorType?.shape?.dim ?? []).map((d) => {
      const v = d.dimValue == null ? 0 : Number(d.dimValue);
      return d.dimParam || !(v > 0) ? null : v;
    });
    checkInputSize(vi.name ?? '', dims.slice(1), source, policy, dims);
  }
}

/** Why a node's op is refused, or null when it is allowed. */
function opRefusal(n: NodeProto, prefix: string, policy: OnnxPolicy): string | null {
  const op = n.opType ?? '';
  if (n.domain && n.domain !== 'ai.onnx') {
    return `op '${clip(`${n.domain}.${op}`)}' in ${prefix}node '${nodeName(n)}' is not allowed: only the standard ONNX operator set is accepted, not custom domains`;
  }
  if (CONTROL_FLOW_OPS.has(op)) {
    if (policy.allowControlFlow) return null;
    return `control-flow op ${op} (${prefix}${nodeLabel(n)}) is not allowed: a model's run time must be bounded by its size (PCACE_ALLOW_CONTROL_FLOW=1 allows it)`;
  }
  return IMAGE_CLASSIFIER_OPS.has(op) ? null : `op ${clip(op) || '(empty)'} (${prefix}${nodeLabel(n)}) is not in the image-classifier op set`;
}

/** Graph inputs that are fed (IR < 4 models also list initializers as inputs). */
function realInputs(model: ModelProto) {
  const g = model.graph;
  const inits = new Set((g?.initializer ?? []).map((t) => t.name));
  return (g?.input ?? []).filter((vi) => !inits.has(vi.name));
}

/**
 * Where ONNX Runtime would look for external data files of a model loaded
 * from bytes: a directory that cannot exist (nothing can live under the
 * /dev/null device), so even a tensor that slipped past the static check
 * could not resolve a relative path against the server's working directory.
 * ORT itself refuses absolute and '..' locations.
 */
export const NO_EXTERNAL_DATA_DIR = '/dev/null/pcace-external-data-is-refused';

/** Session options for an untrusted model: the caller's, with external data resolution pinned to nowhere. */
export function isolatedSessionOptions(options: InferenceSession.SessionOptions): InferenceSession.SessionOptions {
  const extra = options.extra ?? {};
  const session = (extra.session as Record<string, unknown> | undefined) ?? {};
  return {
    ...options,
    extra: { ...extra, session: { ...session, model_external_initializers_file_folder_path: NO_EXTERNAL_DATA_DIR } },
  };
}
