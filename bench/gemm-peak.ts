/**
 * Practical FP32 peak of this machine: a large single-precision GEMM through
 * ONNX Runtime's MLAS kernels, per thread count. Convolution throughput is
 * reported as a fraction of this (a nominal clock × SIMD width figure is not
 * reliable on CPUs that boost or throttle).
 */
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';

const { onnx } = onnxProto;

function matmulModel(): Uint8Array {
  const f = onnx.TensorProto.DataType.FLOAT;
  const io = (name: string) => onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: f, shape: { dim: [{ dimParam: 'm' }, { dimParam: 'n' }] } } } });
  const graph = onnx.GraphProto.create({
    name: 'gemm',
    node: [onnx.NodeProto.create({ opType: 'MatMul', input: ['a', 'b'], output: ['c'] })],
    input: [io('a'), io('b')],
    output: [io('c')],
  });
  return onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph })).finish();
}

/** GFLOP/s of an n×n×n single-precision matrix product, median of `repeats`. */
export async function gemmPeak(threads: number, n = 2048, repeats = 5): Promise<number> {
  const session = await ort.InferenceSession.create(matmulModel(), { intraOpNumThreads: threads, interOpNumThreads: 1 });
  const a = new ort.Tensor('float32', new Float32Array(n * n).fill(0.5), [n, n]);
  const b = new ort.Tensor('float32', new Float32Array(n * n).fill(0.25), [n, n]);
  await session.run({ a, b });
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    await session.run({ a, b });
    times.push((performance.now() - t0) / 1000);
  }
  await session.release();
  times.sort((x, y) => x - y);
  return (2 * n ** 3) / times[Math.floor(times.length / 2)] / 1e9;
}
