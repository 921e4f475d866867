/**
 * Forward passes on the GPU against the CPU, in the same run: the torchvision
 * ResNet-18 (random weights) over 300 images at 224², batches of 8, with the
 * layer capture a one-layer analysis uses (`layer1.0.conv1` fetched beside
 * the logits), once through the CUDA execution provider and once on the CPU.
 * On a machine without a usable GPU it prints why (the selection's reason)
 * and exits 0 without timing anything.
 *
 *   npx tsx bench/gpu-forward.ts [--images 300] [--batch 8]
 * Needs .data/bench/resnet18.onnx (scripts/export-torchvision.py) and, for the
 * GPU, onnxruntime-node's CUDA provider (README "Workers on a GPU machine").
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createOnnxEngine } from '../lib/models/onnx-engine';
import { probeProviderEnvironment, selectExecutionProviders } from '../lib/models/execution-providers';
import { machineReport } from './machine';

const { values } = parseArgs({ options: { images: { type: 'string', default: '300' }, batch: { type: 'string', default: '8' } } });
const MODEL = '.data/bench/resnet18.onnx';
const n = Number(values.images);
const batch = Number(values.batch);

const gpu = selectExecutionProviders({ ...probeProviderEnvironment(), request: 'auto' });
console.log(machineReport({ providers: gpu.reason }));
if (gpu.providers[0] === 'cpu') {
  console.log(`\nno GPU benchmark on this machine: ${gpu.reason}`);
  process.exit(0);
}
if (!existsSync(MODEL)) {
  console.error(`missing ${MODEL}: run /usr/bin/python3 scripts/export-torchvision.py resnet18 ${MODEL}`);
  process.exit(2);
}

const per = 3 * 224 * 224;
const input = new Float32Array(batch * per).map((_, i) => ((i * 2654435761) % 1000) / 1000 - 0.5);
const cpu = { providers: ['cpu' as const], fallbackToCpu: false, reason: 'cpu' };
const seconds: Record<string, number> = {};
for (const [name, providers] of [['cuda', { ...gpu, fallbackToCpu: false }], ['cpu', cpu]] as const) {
  const engine = await createOnnxEngine(MODEL, { providers });
  await engine.run(input, batch, ['layer1.0.conv1']); // warm-up (CUDA: kernels and memory)
  const t0 = performance.now();
  for (let done = 0; done < n; done += batch) {
    const count = Math.min(batch, n - done);
    await engine.run(input.subarray(0, count * per), count, ['layer1.0.conv1']);
  }
  seconds[name] = (performance.now() - t0) / 1000;
  await engine.dispose();
  console.log(`${name}: ${seconds[name].toFixed(2)} s for ${n} images (${(n / seconds[name]).toFixed(1)} img/s), layer1.0.conv1 captured`);
}
console.log(`GPU / CPU throughput: ×${(seconds.cpu / seconds.cuda).toFixed(1)}`);
