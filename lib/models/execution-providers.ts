/**
 * Which ONNX Runtime execution provider runs forward passes: CUDA when the
 * machine has an NVIDIA GPU and onnxruntime-node has its CUDA provider
 * library (installed with `npm ci --onnxruntime-node-install=cuda12`, which
 * downloads it; the npm package does not bundle it), else the CPU.
 *
 * PCACE_EXECUTION_PROVIDER chooses: `auto` (default) as above, falling back
 * to the CPU when the CUDA session cannot be created (driver or CUDA/cuDNN
 * version mismatch); `cuda` insists (an error says what is missing); `cpu`
 * never touches the GPU. PCACE_CUDA_DEVICE picks the device (default 0).
 *
 * Only forward passes move to the GPU. The statistics' float64 GEMMs
 * (gram-kernel.ts) stay on one CPU thread: their bits must not depend on the
 * machine an analysis ran on.
 */
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export type ProviderRequest = 'auto' | 'cuda' | 'cpu';

/** What the selection looks at; probeProviderEnvironment() reads it from the machine. */
export interface ProviderEnvironment {
  /** PCACE_EXECUTION_PROVIDER (unset = auto). */
  request?: string;
  /** PCACE_CUDA_DEVICE (unset = 0). */
  device?: string;
  /** CUDA_VISIBLE_DEVICES as set ('' or '-1' hides every GPU). */
  cudaVisibleDevices?: string;
  /** An NVIDIA device node exists (/dev/nvidia0, /dev/nvidiactl). */
  gpuDevicePresent: boolean;
  /** onnxruntime-node lists 'cuda' among its backends. */
  cudaBackendListed: boolean;
  /** libonnxruntime_providers_cuda.so sits beside the binding. */
  cudaLibraryPresent: boolean;
}

export type ExecutionProvider = 'cpu' | { name: 'cuda'; deviceId: number };

export interface ProviderSelection {
  /** For InferenceSession.create, in order of preference. */
  providers: ExecutionProvider[];
  /** True when a CUDA session that fails to load may fall back to the CPU. */
  fallbackToCpu: boolean;
  /** One line for logs and reports: what was chosen and why. */
  reason: string;
}

export class ProviderConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProviderConfigError';
  }
}

export function selectExecutionProviders(env: ProviderEnvironment): ProviderSelection {
  const request = (env.request ?? '').trim().toLowerCase() || 'auto';
  if (request !== 'auto' && request !== 'cuda' && request !== 'cpu') {
    throw new ProviderConfigError(`PCACE_EXECUTION_PROVIDER must be auto, cuda or cpu, got ${JSON.stringify(env.request)}`);
  }
  const deviceText = (env.device ?? '').trim() || '0';
  const deviceId = Number(deviceText);
  if (!Number.isInteger(deviceId) || deviceId < 0) {
    throw new ProviderConfigError(`PCACE_CUDA_DEVICE must be a GPU index (0, 1, …), got ${JSON.stringify(env.device)}`);
  }
  if (request === 'cpu') return { providers: ['cpu'], fallbackToCpu: false, reason: 'cpu (PCACE_EXECUTION_PROVIDER=cpu)' };

  const hidden = env.cudaVisibleDevices !== undefined && ['', '-1'].includes(env.cudaVisibleDevices.trim());
  const missing: string[] = [];
  if (!env.gpuDevicePresent) missing.push('no NVIDIA GPU device (/dev/nvidia0)');
  else if (hidden) missing.push(`CUDA_VISIBLE_DEVICES=${JSON.stringify(env.cudaVisibleDevices)} hides every GPU`);
  if (!env.cudaBackendListed) missing.push('this onnxruntime-node build lists no CUDA backend');
  else if (!env.cudaLibraryPresent) missing.push('the CUDA provider library is not installed (npm ci --onnxruntime-node-install=cuda12)');

  if (missing.length === 0) {
    return {
      providers: [{ name: 'cuda', deviceId }, 'cpu'],
      fallbackToCpu: request === 'auto',
      reason: `cuda device ${deviceId}${request === 'auto' ? ' (found a GPU and the CUDA provider)' : ' (PCACE_EXECUTION_PROVIDER=cuda)'}`,
    };
  }
  if (request === 'cuda') throw new ProviderConfigError(`PCACE_EXECUTION_PROVIDER=cuda, but ${missing.join('; ')}`);
  return { providers: ['cpu'], fallbackToCpu: false, reason: `cpu (${missing.join('; ')})` };
}

/** The machine's answers to what selectExecutionProviders asks. */
export function probeProviderEnvironment(processEnv: Record<string, string | undefined> = process.env): ProviderEnvironment {
  let cudaBackendListed = false;
  let cudaLibraryPresent = false;
  try {
    const req = createRequire(import.meta.url);
    const ort = req('onnxruntime-node') as { listSupportedBackends?: () => { name: string }[] };
    cudaBackendListed = (ort.listSupportedBackends?.() ?? []).some((b) => b.name === 'cuda');
    const bin = path.join(path.dirname(req.resolve('onnxruntime-node/package.json')), 'bin');
    cudaLibraryPresent = existsSync(bin) && readdirSync(bin).some((napi) => existsSync(path.join(bin, napi, process.platform, process.arch, 'libonnxruntime_providers_cuda.so')));
  } catch {
    // No onnxruntime-node at all: the engine reports that itself when it loads.
  }
  return {
    request: processEnv.PCACE_EXECUTION_PROVIDER,
    device: processEnv.PCACE_CUDA_DEVICE,
    cudaVisibleDevices: processEnv.CUDA_VISIBLE_DEVICES,
    gpuDevicePresent: existsSync('/dev/nvidia0') || existsSync('/dev/nvidiactl'),
    cudaBackendListed,
    cudaLibraryPresent,
  };
}

let cached: ProviderSelection | null = null;

/** This process's selection (probed once). */
export function executionProviders(): ProviderSelection {
  return (cached ??= selectExecutionProviders(probeProviderEnvironment()));
}
