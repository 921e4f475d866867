/**
 * Forward throughput of the ONNX engine against PyTorch CPU on the same model,
 * batch and thread count, in one run; also as a fraction of the machine's peak
 * FP32 FLOP/s (estimated from the CPU flags and clock).
 *
 *   npx tsx bench/forward-throughput.ts [--arch resnet18] [--batch 8] [--repeats 10]
 * Needs .data/bench/ARCH.onnx (scripts/export-torchvision.py ARCH .data/bench/ARCH.onnx)
 * and Debian's python3-torch / python3-torchvision for the baseline.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { createOnnxEngine } from '../lib/models/onnx-engine';
import { machineReport } from './machine';
import { gemmPeak } from './gemm-peak';

const { values } = parseArgs({ options: { arch: { type: 'string', default: 'resnet18' }, batch: { type: 'string', default: '8' }, repeats: { type: 'string', default: '10' } } });
const arch = values.arch!;
const batch = Number(values.batch);
const repeats = Number(values.repeats);
const model = `.data/bench/${arch}.onnx`;
if (!existsSync(model)) {
  console.error(`missing ${model}: run /usr/bin/python3 scripts/export-torchvision.py ${arch} ${model}`);
  process.exit(2);
}
// Multiply–accumulates per 224×224 image (torchvision reference figures).
const GMACS: Record<string, number> = { resnet18: 1.814, vgg16: 15.47 };
const flopsPerImage = 2 * GMACS[arch] * 1e9;

console.log(machineReport({ model: `${arch} (random weights), batch ${batch}, 224×224` }));
console.log('peak = a 2048³ FP32 GEMM through ONNX Runtime at the same thread count\n');

const input = new Float32Array(batch * 3 * 224 * 224).map((_, i) => ((i * 2654435761) % 1000) / 1000);
for (const threads of [1, cpus().length]) {
  const engine = await createOnnxEngine(model, { intraOpNumThreads: threads });
  await engine.run(input, batch, []);
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    await engine.run(input, batch, []);
    times.push((performance.now() - t0) / 1000);
  }
  await engine.dispose();
  times.sort((a, b) => a - b);
  const ort = times[Math.floor(times.length / 2)];
  let torchLine = 'PyTorch baseline unavailable (install python3-torch python3-torchvision)';
  let ratio = '';
  try {
    const out = JSON.parse(execFileSync('/usr/bin/python3', ['bench/torch_forward.py', arch, String(batch), String(threads), String(repeats)], { encoding: 'utf8' })) as { seconds_per_batch: number; torch: string };
    torchLine = `PyTorch ${out.torch}: ${out.seconds_per_batch.toFixed(3)} s/batch`;
    ratio = `  ORT/PyTorch throughput ×${(out.seconds_per_batch / ort).toFixed(2)}`;
  } catch {
    /* baseline missing: report ORT alone */
  }
  const achieved = (flopsPerImage * batch) / ort / 1e9;
  const peak = await gemmPeak(threads);
  console.log(
    `${threads} thread(s): ORT ${ort.toFixed(3)} s/batch (${(batch / ort).toFixed(1)} img/s, ${achieved.toFixed(0)} GFLOP/s = ${((100 * achieved) / peak).toFixed(0)} % of the ${peak.toFixed(0)} GFLOP/s GEMM peak)   ${torchLine}${ratio}`,
  );
}
