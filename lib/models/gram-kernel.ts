/**
 * Gram matrices XXᵀ of float64 matrices through ONNX Runtime's own GEMM.
 *
 * PCA of a channel with more map positions than images works from the n × n
 * Gram matrix of its standardised maps (lib/pcace/pca.ts): for a 56×56 layer
 * over 300 images that is 2.8·10⁸ multiply-adds per channel, which JavaScript
 * loops run at about 1 GFLOP/s and ORT's blocked double-precision GEMM at
 * 10–20 GFLOP/s on one core. The product stays in float64 from end to end
 * (the published statistic moves under relative perturbations of 1e-6, so a
 * float32 product would change results); it differs from the loop's sums only
 * in summation order, i.e. by a few units in the last place.
 *
 * The session runs on one intra-op thread: callers score channels on all
 * cores, one channel per thread, and a one-thread GEMM gives the same bits
 * whatever the machine's core count.
 */
import onnxProto from 'onnx-proto';
import { InferenceSession, Tensor } from 'onnxruntime-node';

const { onnx } = onnxProto;
const TENSOR_DOUBLE = 11;
const ATTRIBUTE_INT = 2;

export type GramKernel = (x: Float64Array, n: number, p: number) => Promise<Float64Array>;

/** A one-node ONNX graph: g = Gemm(x, x, transB = 1) = x·xᵀ, for any n × p. */
export function gramModelBytes(): Uint8Array {
  const tensor = (name: string, dims: string[]) => ({
    name,
    type: { tensorType: { elemType: TENSOR_DOUBLE, shape: { dim: dims.map((d) => ({ dimParam: d })) } } },
  });
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'gram',
      node: [{ opType: 'Gemm', input: ['x', 'x'], output: ['g'], attribute: [{ name: 'transB', type: ATTRIBUTE_INT, i: 1 }] }],
      input: [tensor('x', ['n', 'p'])],
      output: [tensor('g', ['n', 'n'])],
    },
  }).finish();
}

export interface GramSession {
  gram: GramKernel;
  release(): Promise<void>;
}

export async function createGramSession(): Promise<GramSession> {
  const session = await InferenceSession.create(gramModelBytes(), { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  return {
    async gram(x, n, p) {
      if (x.length !== n * p) throw new Error(`Gram input has ${x.length} values, expected ${n}×${p}`);
      const out = await session.run({ x: new Tensor('float64', x, [n, p]) });
      const g = out.g.data as Float64Array;
      // XXᵀ is symmetric in exact arithmetic; the GEMM's blocks can round the
      // two triangles differently, and Lanczos assumes exact symmetry.
      for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) g[j * n + i] = g[i * n + j];
      return g;
    },
    release: () => session.release(),
  };
}
