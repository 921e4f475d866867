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
  if (backendName === 'wasm' && fastWasmConvBackpropInput()) added.push('Conv2DBackpropInput (stride 1 via Conv2D)');
  for (const name of GRADIENT_KERNELS) {
    if (tf.getKernel(name, backendName)) continue;
    if (!tf.getKernel(name, 'cpu')) continue; // nothing to delegate to
    tf.registerKernel(cpuDelegate(name, backendName));
    added.push(name);
  }
  return added;
}

/**
 * wasm's own Conv2DBackpropInput is a plain loop, ~8× slower than its XNNPACK
 * forward conv (6.1 vs 0.7 ms on MNIST conv2 for one image), and it is the
 * hot kernel of Grad-CAM and activation maximisation. For stride 1 the input
 * gradient is itself a convolution: dy convolved with the filter rotated 180°
 * and its in/out channels swapped, padded by k − 1 − pad. That case is
 * routed to wasm's Conv2D; anything else (strides, odd pads) keeps the
 * original kernel. Returns whether the override was installed.
 */
export function fastWasmConvBackpropInput(): boolean {
  const orig = tf.getKernel('Conv2DBackpropInput', 'wasm');
  const conv = tf.getKernel('Conv2D', 'wasm');
  const reverse = tf.getKernel('Reverse', 'wasm');
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (!orig || !conv || !reverse || !transpose || (orig as { pcaceFast?: boolean }).pcaceFast) return false;
  tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
  const config: tf.KernelConfig & { pcaceFast?: boolean } = {
    kernelName: 'Conv2DBackpropInput',
    backendName: 'wasm',
    pcaceFast: true,
    kernelFunc: (args) => {
      const { inputs, attrs, backend } = args;
      const { dy, filter } = inputs as { dy: Info; filter: Info };
      const a = attrs as unknown as { strides: number | number[]; pad: 'same' | 'valid' | number | [number, number][]; dataFormat: string; dimRoundingMode?: 'floor' | 'round' | 'ceil'; inputShape: number[] };
      const [sh, sw] = typeof a.strides === 'number' ? [a.strides, a.strides] : a.strides;
      if (sh !== 1 || sw !== 1 || a.dataFormat !== 'NHWC') return orig.kernelFunc(args);
      const info = tf.backend_util.computeConv2DInfo(
        a.inputShape as [number, number, number, number], filter.shape as [number, number, number, number], 1, 1,
        a.pad as 'same', a.dimRoundingMode, false, 'channelsLast',
      );
      const { top, left, bottom, right } = info.padInfo;
      const [kh, kw] = filter.shape;
      const p = [kh - 1 - top, kh - 1 - bottom, kw - 1 - left, kw - 1 - right];
      if (p.some((v) => v < 0)) return orig.kernelFunc(args);
      const b = backend as tf.KernelBackend;
      const rotated = reverse.kernelFunc({ inputs: { x: filter }, attrs: { dims: [0, 1] }, backend }) as Info;
      const swapped = transpose.kernelFunc({ inputs: { x: rotated }, attrs: { perm: [0, 1, 3, 2] }, backend }) as Info;
      try {
        return conv.kernelFunc({
          inputs: { x: dy, filter: swapped },
          attrs: { strides: [1, 1], pad: [[0, 0], [p[0], p[1]], [p[2], p[3]], [0, 0]], dataFormat: 'NHWC', dilations: [1, 1] },
          backend,
        });
      } finally {
        b.disposeData(rotated.dataId);
        b.disposeData(swapped.dataId);
      }
    },
  };
  tf.registerKernel(config);
  return true;
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
