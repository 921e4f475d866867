import { describe, expect, it } from 'vitest';
import { probeProviderEnvironment, selectExecutionProviders, type ProviderEnvironment } from '../../lib/models/execution-providers';
import { OnnxEngine } from '../../lib/models/onnx-engine';

const gpuMachine: ProviderEnvironment = { gpuDevicePresent: true, cudaBackendListed: true, cudaLibraryPresent: true };
const cpuMachine: ProviderEnvironment = { gpuDevicePresent: false, cudaBackendListed: true, cudaLibraryPresent: false };

describe('execution provider selection', () => {
  it('uses CUDA then the CPU on a GPU machine with the provider, falling back when auto', () => {
    const s = selectExecutionProviders(gpuMachine);
    expect(s.providers).toEqual([{ name: 'cuda', deviceId: 0 }, 'cpu']);
    expect(s.fallbackToCpu).toBe(true);
    expect(selectExecutionProviders({ ...gpuMachine, device: '1' }).providers[0]).toEqual({ name: 'cuda', deviceId: 1 });
    // Insisting on CUDA gives no silent fallback.
    expect(selectExecutionProviders({ ...gpuMachine, request: 'cuda' }).fallbackToCpu).toBe(false);
  });

  it('runs on the CPU, saying why, when any piece is missing', () => {
    const cases: [Partial<ProviderEnvironment>, RegExp][] = [
      [{ gpuDevicePresent: false }, /no NVIDIA GPU/],
      [{ cudaVisibleDevices: '' }, /CUDA_VISIBLE_DEVICES="" hides/],
      [{ cudaVisibleDevices: '-1' }, /hides every GPU/],
      [{ cudaBackendListed: false }, /lists no CUDA backend/],
      [{ cudaLibraryPresent: false }, /--onnxruntime-node-install=cuda12/],
    ];
    for (const [change, why] of cases) {
      const s = selectExecutionProviders({ ...gpuMachine, ...change });
      expect(s.providers).toEqual(['cpu']);
      expect(s.reason).toMatch(why);
      expect(() => selectExecutionProviders({ ...gpuMachine, ...change, request: 'cuda' })).toThrow(why);
    }
    expect(selectExecutionProviders({ ...gpuMachine, cudaVisibleDevices: '0,1' }).providers[0]).not.toBe('cpu');
  });

  it('never uses the GPU when told cpu, and refuses unknown settings', () => {
    expect(selectExecutionProviders({ ...gpuMachine, request: 'CPU' }).providers).toEqual(['cpu']);
    expect(() => selectExecutionProviders({ ...gpuMachine, request: 'tpu' })).toThrow(/auto, cuda or cpu/);
    expect(() => selectExecutionProviders({ ...gpuMachine, device: 'first' })).toThrow(/PCACE_CUDA_DEVICE/);
  });

  it('probes this machine: no GPU here, so forward passes run on the CPU', async () => {
    const env = probeProviderEnvironment({ PCACE_EXECUTION_PROVIDER: 'auto' });
    const s = selectExecutionProviders(env);
    if (!env.gpuDevicePresent || !env.cudaLibraryPresent) {
      expect(s.providers).toEqual(['cpu']);
      const engine = await OnnxEngine.fromFile('tests/fixtures/resnet18-w4/model.onnx', { providers: s, intraOpNumThreads: 1 });
      expect(engine.executionProvider).toBe('cpu');
      await engine.dispose();
    } else {
      expect(s.providers[0]).toEqual({ name: 'cuda', deviceId: 0 });
    }
    expect(selectExecutionProviders(cpuMachine).providers).toEqual(['cpu']);
  });

  it('falls back to the CPU when a CUDA session cannot be created (auto)', async () => {
    // A CUDA selection on this GPU-less machine: session creation fails, the engine runs on the CPU.
    const forced = { providers: [{ name: 'cuda' as const, deviceId: 0 }, 'cpu' as const], fallbackToCpu: true, reason: 'test' };
    const engine = await OnnxEngine.fromFile('tests/fixtures/resnet18-w4/model.onnx', { providers: forced, intraOpNumThreads: 1 });
    if (!probeProviderEnvironment().gpuDevicePresent) expect(engine.executionProvider).toBe('cpu');
    const out = await engine.run(new Float32Array(3 * 32 * 32), 1, []);
    expect(out.output.data.every(Number.isFinite)).toBe(true);
    await engine.dispose();
    await expect(OnnxEngine.fromFile('tests/fixtures/resnet18-w4/model.onnx', { providers: { ...forced, fallbackToCpu: false } })).rejects.toThrow(/could not load/);
  });
});
