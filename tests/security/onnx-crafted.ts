/**
 * Crafted ONNX models for the upload policy, built with onnx-proto:
 *  - leakModel: a Constant whose tensor is "external data" (a file path ONNX
 *    Runtime resolves against the working directory), two of its bytes used
 *    as Pad amounts before a Conv, so the conv map size spells the bytes;
 *  - classifier: a small valid CNN (Conv → Relu → Flatten → Gemm) that the
 *    other builders extend with one hostile piece each;
 *  - refusal: what the policy check alone says of a model (null: accepted).
 */
import onnxProto from 'onnx-proto';
import { checkOnnxPolicy, onnxPolicyFromEnv } from '../../lib/models/onnx-policy';
import { concatArrays } from '../../lib/models/concat';

const { onnx } = onnxProto;
const A = onnx.AttributeProto.AttributeType;
export const FLOAT = 1;
const UINT8 = 2;
export const INT64 = 7;
const BOOL = 9;

type Graph = onnxProto.onnx.IGraphProto;
type Node = onnxProto.onnx.INodeProto;
type Tensor = onnxProto.onnx.ITensorProto;
type Model = onnxProto.onnx.IModelProto;

export const valueInfo = (name: string, elemType: number, dims: (number | string)[]) => ({
  name,
  type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
});

export const floats = (name: string, dims: number[], value = 0.1): Tensor => ({
  name,
  dims,
  dataType: FLOAT,
  rawData: new Uint8Array(Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => value).buffer),
});

const int64s = (name: string, values: number[]): Tensor => ({ name, dims: [values.length], dataType: INT64, int64Data: values });

/** A tensor whose bytes ONNX Runtime reads from `location` (relative to the working directory for byte-loaded models). */
export function externalTensor(name: string, location: string, offset: number, length: number, dataType = UINT8): Tensor {
  return {
    name,
    dims: [length],
    dataType,
    dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
    externalData: [
      { key: 'location', value: location },
      { key: 'offset', value: String(offset) },
      { key: 'length', value: String(length) },
    ],
  };
}

export const constantNode = (output: string, t: Tensor, name = output): Node => ({
  opType: 'Constant',
  name,
  output: [output],
  attribute: [{ name: 'value', type: A.TENSOR, t }],
});

export function encodeModel(graph: Graph, extra: Partial<Model> = {}): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 8,
    producerName: 'pcace-tests',
    opsetImport: [{ domain: '', version: 13 }],
    graph,
    ...extra,
  }).finish();
}

/** Input side of leakModel; the conv map is (SIDE + byte0) × (SIDE + byte1). */
export const LEAK_SIDE = 4;

/**
 * x [N,1,4,4] → Pad(top = byte0, left = byte1 of `location` at `offset`) →
 * Conv 1×1 'leak' → Flatten → Gemm logits. Every op is an ordinary classifier
 * op: only the external data makes it hostile.
 */
export function leakModel(location = 'README.md', offset = 0): Uint8Array {
  return encodeModel({
    name: 'leak',
    node: [
      constantNode('secret', externalTensor('secret', location, offset, 2), 'x'),
      { opType: 'Cast', input: ['secret'], output: ['secret64'], attribute: [{ name: 'to', type: A.INT, i: INT64 }] },
      constantNode('zeros2', int64s('zeros2', [0, 0])),
      constantNode('zeros4', int64s('zeros4', [0, 0, 0, 0])),
      { opType: 'Concat', input: ['zeros2', 'secret64', 'zeros4'], output: ['pads'], attribute: [{ name: 'axis', type: A.INT, i: 0 }] },
      { opType: 'Pad', input: ['x_in', 'pads'], output: ['padded'] },
      { opType: 'Conv', name: '/leak/Conv', input: ['padded', 'leak.weight'], output: ['c'] },
      { opType: 'ReduceMean', input: ['c'], output: ['logits'], attribute: [{ name: 'axes', type: A.INTS, ints: [2, 3] }, { name: 'keepdims', type: A.INT, i: 0 }] },
    ],
    initializer: [floats('leak.weight', [1, 1, 1, 1], 1)],
    input: [valueInfo('x_in', FLOAT, ['N', 1, LEAK_SIDE, LEAK_SIDE])],
    output: [valueInfo('logits', FLOAT, ['N', 1])],
  });
}

/** A small valid classifier on x [N,1,side,side]: conv1 → Relu → global pool → Flatten → Gemm → logits. */
export function classifierGraph(extraNodes: Node[] = [], side: number | string = 8, extra: Partial<Graph> = {}): Graph {
  return {
    name: 'classifier',
    node: [
      { opType: 'Conv', name: '/conv1/Conv', input: ['x', 'conv1.weight'], output: ['c'], attribute: [{ name: 'pads', type: A.INTS, ints: [1, 1, 1, 1] }] },
      { opType: 'Relu', input: ['c'], output: ['r'] },
      { opType: 'GlobalAveragePool', input: ['r'], output: ['pooled'] },
      { opType: 'Flatten', input: ['pooled'], output: ['flat'] },
      { opType: 'Gemm', input: ['flat', 'fc.weight'], output: ['logits'], attribute: [{ name: 'transB', type: A.INT, i: 1 }] },
      ...extraNodes,
    ],
    initializer: [floats('conv1.weight', [2, 1, 3, 3]), floats('fc.weight', [3, 2])],
    input: [valueInfo('x', FLOAT, ['N', 1, side, side])],
    output: [valueInfo('logits', FLOAT, ['N', 3])],
    ...extra,
  };
}

/** A Loop that adds 1 `trips` times; its body may carry extra nodes. */
export function loopNodes(trips: number, bodyExtra: Node[] = []): Node[] {
  const body: Graph = {
    name: 'body',
    node: [
      { opType: 'Identity', input: ['cond_in'], output: ['cond_out'] },
      constantNode('one', { dims: [], dataType: FLOAT, floatData: [1] }),
      { opType: 'Add', input: ['v_in', 'one'], output: ['v_out'] },
      ...bodyExtra,
    ],
    input: [valueInfo('i', INT64, []), valueInfo('cond_in', BOOL, []), valueInfo('v_in', FLOAT, [])],
    output: [valueInfo('cond_out', BOOL, []), valueInfo('v_out', FLOAT, [])],
  };
  return [
    constantNode('trips', { dims: [], dataType: INT64, int64Data: [trips] }),
    constantNode('cond', { dims: [], dataType: BOOL, int32Data: [1] }),
    constantNode('v0', { dims: [], dataType: FLOAT, floatData: [0] }),
    { opType: 'Loop', name: 'spin', input: ['trips', 'cond', 'v0'], output: ['spun'], attribute: [{ name: 'body', type: A.GRAPH, g: body }] },
  ];
}

/** Protobuf varint, for splicing fields onnx-proto does not know into encoded bytes. */
export function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

export function lengthDelimited(field: number, payload: Uint8Array): Uint8Array {
  return Uint8Array.from([...varint((field << 3) | 2), ...varint(payload.length), ...payload]);
}

export const concatBytes = (...parts: Uint8Array[]): Uint8Array => concatArrays(parts, (n) => new Uint8Array(n));

export { onnx, A as AttributeType };

/** The policy check alone on `bytes` (as 'm.onnx', under the policy `env` sets): its message, or null when it accepts. */
export function refusal(bytes: Uint8Array, env: Record<string, string> = {}): string | null {
  try {
    checkOnnxPolicy(onnx.ModelProto.decode(bytes), 'm.onnx', onnxPolicyFromEnv(env));
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}
