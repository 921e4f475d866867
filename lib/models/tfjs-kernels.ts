/**
 * Gradient kernels some TF.js backends lack. The wasm backend (4.22) has no
 * Conv2DBackpropFilter and no depthwise backprop kernels, so tf.grad through a
 * depthwise conv, or with respect to conv weights, throws there. Input
 * gradients of ordinary convs (Conv2DBackpropInput), pooling grads and ReLU's
 * Step do exist, and those are all Grad-CAM and activation maximisation use.
 *
 * The missing kernels are registered as delegates to the cpu backend's own
 * implementation: inputs are copied out of wasm memory, the cpu kernel runs,
 * the result is copied back. Chosen over an im2col + matMul re-implementation
 * because it is correct by construction (the same code the cpu backend runs)
 * and the copies are small next to the kernel itself; these kernels sit off
 * the hot path (weight gradients, depthwise nets) of what this project does.
 */
import * as tf from '@tensorflow/tfjs';

/** Kernels that gradient code may need and some backend may not have. */
export const GRADIENT_KERNELS = [
  'Conv2DBackpropInput',
  'Conv2DBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
  'MaxPoolGrad',
  'AvgPoolGrad',
  'Step',
] as const;

type Info = tf.TensorInfo;

/** Register cpu delegates for every missing gradient kernel; returns their names. */
export function ensureGradientKernels(backendName: string): string[] {
  if (backendName === 'cpu') return [];
  const added: string[] = [];
  for (const name of GRADIENT_KERNELS) {
    if (tf.getKernel(name, backendName)) continue;
    if (!tf.getKernel(name, 'cpu')) continue; // nothing to delegate to
    tf.registerKernel(cpuDelegate(name, backendName));
    added.push(name);
  }
  return added;
}

/** Kernels in `names` that the backend cannot run (neither native nor delegated). */
export function missingKernels(names: readonly string[], backendName = tf.getBackend()): string[] {
  return names.filter((n) => !tf.getKernel(n, backendName));
}

function cpuDelegate(kernelName: string, backendName: string): tf.KernelConfig {
  return {
    kernelName,
    backendName,
    kernelFunc: ({ inputs, attrs, backend: b }) => {
      const backend = b as tf.KernelBackend;
      const cpu = tf.engine().findBackend('cpu');
      const cpuKernel = tf.getKernel(kernelName, 'cpu');
      if (!cpu || !cpuKernel) throw new Error(`${kernelName}: cpu backend unavailable for the ${backendName} fallback`);
      const temp: tf.DataId[] = [];
      const cpuInputs: Record<string, Info> = {};
      for (const [key, info] of Object.entries(inputs)) {
        if (!info) continue;
        // Copy: a wasm read may alias the wasm heap, which later allocations move.
        const values = (backend.readSync(info.dataId) as tf.TypedArray).slice();
        const dataId = cpu.write(values, info.shape, info.dtype);
        temp.push(dataId);
        cpuInputs[key] = { dataId, shape: info.shape, dtype: info.dtype };
      }
      try {
        const out = cpuKernel.kernelFunc({ inputs: cpuInputs, attrs, backend: cpu });
        const outs = Array.isArray(out) ? out : [out];
        const back = outs.map((o) => {
          const values = cpu.readSync(o.dataId) as tf.TypedArray;
          cpu.disposeData(o.dataId);
          return { dataId: backend.write(values, o.shape, o.dtype), shape: o.shape, dtype: o.dtype };
        });
        return Array.isArray(out) ? back : back[0];
      } finally {
        for (const d of temp) cpu.disposeData(d);
      }
    },
  };
}
