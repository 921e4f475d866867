/**
 * Small ONNX models that are expensive to execute, built with onnx-proto:
 *  - loopModel: a Conv, then a Loop of `iterations` scalar additions added to
 *    the logits (681 bytes of model, tens of seconds of run time);
 *  - dataLoopModel: the same Loop, its trip count max(x) × `perUnit`, so the
 *    all-zero upload probe finishes at once and real images hang the run;
 *  - hugeInputModel: a Conv over a declared 1×3×side×side input (gigabytes).
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
const FLOAT = 1;
const INT64 = 7;
const BOOL = 9;

const valueInfo = (name: string, elemType: number, dims: (number | string)[]) => ({
  name,
  type: {
    tensorType: {
      elemType,
      shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
    },
  },
});

const floats = (name: string, dims: number[], value: (i: number) => number) => {
  const n = dims.reduce((a, b) => a * b, 1);
  return { name, dims, dataType: FLOAT, rawData: new Uint8Array(Float32Array.from({ length: n }, (_, i) => value(i)).buffer) };
};

function encode(graph: onnxProto.onnx.IGraphProto): Uint8Array {
  return onnx.ModelProto.encode({ irVersion: 8, producerName: 'pcace-tests', opsetImport: [{ domain: '', version: 13 }], graph }).finish();
}

/** Body of the Loop: (i, cond, v) → (cond, v + 1). */
function loopBody(): onnxProto.onnx.IGraphProto {
  return {
    name: 'body',
    node: [
      { opType: 'Identity', input: ['cond_in'], output: ['cond_out'] },
      { opType: 'Constant', output: ['one'], attribute: [{ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: floats('one_t', [], () => 1) }] },
      { opType: 'Add', input: ['v_in', 'one'], output: ['v_out'] },
    ],
    input: [valueInfo('i', INT64, []), valueInfo('cond_in', BOOL, []), valueInfo('v_in', FLOAT, [])],
    output: [valueInfo('cond_out', BOOL, []), valueInfo('v_out', FLOAT, [])],
  };
}

/** [N,1,side,side] → Conv(4 channels) → Flatten, plus a Loop's scalar. */
function loopGraph(tripCount: onnxProto.onnx.INodeProto[], side: number): Uint8Array {
  const G = onnx.AttributeProto.AttributeType;
  return encode({
    name: 'loop',
    node: [
      { opType: 'Conv', name: 'conv1', input: ['x', 'w', 'b'], output: ['c'], attribute: [{ name: 'kernel_shape', type: G.INTS, ints: [3, 3] }, { name: 'pads', type: G.INTS, ints: [1, 1, 1, 1] }] },
      { opType: 'Flatten', input: ['c'], output: ['flat'], attribute: [{ name: 'axis', type: G.INT, i: 1 }] },
      { opType: 'Gemm', input: ['flat', 'fc_w', 'fc_b'], output: ['logits'], attribute: [{ name: 'transB', type: G.INT, i: 1 }] },
      ...tripCount,
      { opType: 'Loop', name: 'spin', input: ['M', 'cond', 'v0'], output: ['v_final'], attribute: [{ name: 'body', type: G.GRAPH, g: loopBody() }] },
      { opType: 'Add', input: ['logits', 'v_final'], output: ['y'] },
    ],
    initializer: [
      floats('w', [4, 1, 3, 3], (i) => ((i % 5) - 2) / 10),
      floats('b', [4], () => 0.1),
      floats('fc_w', [10, 4 * side * side], (i) => ((i % 7) - 3) / 100),
      floats('fc_b', [10], () => 0),
      { name: 'cond', dims: [], dataType: BOOL, int32Data: [1] },
      floats('v0', [], () => 0),
    ],
    input: [valueInfo('x', FLOAT, ['N', 1, side, side])],
    output: [valueInfo('y', FLOAT, ['N', 10])],
  });
}

/** A Loop of a fixed `iterations` count: every run, the probe included, spins. */
export function loopModel(iterations: number, side = 8): Uint8Array {
  return loopGraph([{ opType: 'Constant', output: ['M'], attribute: [{ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: { name: 'M_t', dims: [], dataType: INT64, int64Data: [iterations] } }] }], side);
}

/** A Loop of max(x) × perUnit iterations: nothing on all-zero input, forever on images. */
export function dataLoopModel(perUnit: number, side = 28): Uint8Array {
  const G = onnx.AttributeProto.AttributeType;
  return loopGraph(
    [
      { opType: 'ReduceMax', input: ['x'], output: ['xmax'], attribute: [{ name: 'keepdims', type: G.INT, i: 0 }] },
      { opType: 'Abs', input: ['xmax'], output: ['xabs'] },
      { opType: 'Constant', output: ['scale'], attribute: [{ name: 'value', type: G.TENSOR, t: floats('scale_t', [], () => perUnit) }] },
      { opType: 'Mul', input: ['xabs', 'scale'], output: ['mf'] },
      { opType: 'Cast', input: ['mf'], output: ['M'], attribute: [{ name: 'to', type: G.INT, i: INT64 }] },
    ],
    side,
  );
}

/** One Conv over a declared [1, 3, side, side] input. */
export function hugeInputModel(side = 8192): Uint8Array {
  const G = onnx.AttributeProto.AttributeType;
  return encode({
    name: 'huge',
    node: [
      { opType: 'Conv', name: 'conv1', input: ['x', 'w'], output: ['c'], attribute: [{ name: 'kernel_shape', type: G.INTS, ints: [3, 3] }] },
      { opType: 'ReduceMean', input: ['c'], output: ['m'], attribute: [{ name: 'axes', type: G.INTS, ints: [2, 3] }, { name: 'keepdims', type: G.INT, i: 0 }] },
    ],
    initializer: [floats('w', [16, 3, 3, 3], (i) => ((i % 5) - 2) / 10)],
    input: [valueInfo('x', FLOAT, [1, 3, side, side])],
    output: [valueInfo('m', FLOAT, [1, 16])],
  });
}
