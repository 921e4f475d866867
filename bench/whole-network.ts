/**
 * Network-scale runs of `pcace rank`, timed with peak RSS:
 * - ResNet-18 layer1.0.conv1 (64 channels, 56×56), 300 images at 224×224, k = 10,
 *   pcace-2021 flavour, the published statistic: against the published pipeline's
 *   106 s (activations computed once) and ~24 min more for rerunning the network
 *   per channel (tests/reference/pipeline/README.md);
 * - every conv layer of ResNet-18 and VGG-16, 300 images at 224×224, defaults.
 *
 *   npx tsx bench/whole-network.ts [--only layer|resnet18|vgg16] [--layers NAME,NAME] [--n N] [--memory MB] [--trace] [--plain-batches 4,8,16,32]
 * --layers and --n narrow the network runs (e.g. VGG-16's features.0, whose
 * 3.9 GB of maps set the peak); --memory is passed to pcace rank; --trace runs
 * it with PCACE_MEMORY_TRACE=1 and prints, after each phase line, the peak
 * resident size sampled every 100 ms since the line before.
 * Each network run is timed against a plain ONNX Runtime forward pass of the
 * same images in the same run (bench/plain-forward.ts: before and after the
 * analysis, their mean), at the analysis' own forward batch size (read from
 * the plan line PCACE_MEMORY_TRACE prints) and at the fastest of a few: the
 * ratio "whole analysis / plain pass" is what the issue's goals bound (≤ 10×
 * for ResNet-18, ≤ 5× for VGG-16).
 * Needs .data/bench/{resnet18,vgg16}.onnx (scripts/export-torchvision.py) and GNU time.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { machineReport } from './machine';
import { fastest, plainForward, rankImages, type PlainPass } from './plain-forward';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    layers: { type: 'string' },
    n: { type: 'string' },
    memory: { type: 'string' },
    trace: { type: 'boolean', default: false },
    'plain-batches': { type: 'string' },
  },
});
/**
 * The batch sizes a plain pass is timed at besides the analysis' own (--plain-batches 8,16:
 * VGG-16's plain pass takes ~45 s at each size and setting, and the batch size moves it by
 * a few per cent, so fewer sizes keep a quiet window for the analysis itself).
 */
const PLAIN_BATCHES = values['plain-batches'] ? values['plain-batches'].split(',').map(Number) : [4, 8, 16, 32];
if (PLAIN_BATCHES.some((b) => !Number.isInteger(b) || b < 1)) {
  console.error(`--plain-batches takes batch sizes (positive integers, comma-separated), not ${values['plain-batches']}`);
  process.exit(2);
}
const PUBLISHED_LAYER_SECONDS = 106;
const PUBLISHED_CODE_SECONDS = 106 + 24 * 60;

interface Run {
  seconds: number;
  cpuSeconds: number;
  rssGiB: number;
  /** The analysis' forward batch size (its plan line). */
  batchSize: number;
  result: { timings: { forward_seconds: number; forward_passes: number; statistics_seconds: number }; layers: unknown[] };
}

/** Resident MB of the process GNU time started (its only child), or 0 once gone. */
function childRssMb(timePid: number): number {
  try {
    const child = readFileSync(`/proc/${timePid}/task/${timePid}/children`, 'utf8').trim().split(/\s+/)[0];
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

async function rank(model: string, extra: string[]): Promise<Run> {
  for (const f of [model, '/usr/bin/time']) {
    if (!existsSync(f)) {
      console.error(`missing ${f}${f.endsWith('.onnx') ? ` (run /usr/bin/python3 scripts/export-torchvision.py ${f.includes('vgg') ? 'vgg16' : 'resnet18'} ${f})` : ''}`);
      process.exit(2);
    }
  }
  const out = `/tmp/pcace-bench-${process.pid}.json`;
  const args = ['rank', '--model', model, '--data', 'mnist:all', '--class', '0', '--n', values.n ?? '300', '--quiet', '--out', out, ...extra];
  if (values.memory) args.push('--memory', values.memory);
  const child = spawn('/usr/bin/time', ['-f', 'TIME %e %M %U %S', process.execPath, 'bin/pcace.js', ...args], {
    env: { ...process.env, PCACE_MEMORY_TRACE: '1' },
  });
  let stderr = '';
  let peak = 0;
  const t0 = performance.now();
  console.log(`\npcace ${args.join(' ')}\nload average at the start: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const sampler = values.trace ? setInterval(() => (peak = Math.max(peak, childRssMb(child.pid!))), 100) : null;
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    stderr += d;
    if (!values.trace) return;
    for (const line of d.split('\n')) {
      if (!line.startsWith('[pcace memory]')) continue;
      console.log(`${((performance.now() - t0) / 1000).toFixed(1).padStart(7)} s  peak since last ${Math.round(peak)} MB  ${line.slice(15)}`);
      peak = 0;
    }
  });
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (sampler) clearInterval(sampler);
  if (values.trace) console.log(`${((performance.now() - t0) / 1000).toFixed(1).padStart(7)} s  peak since last ${Math.round(peak)} MB  (results written, exit)`);
  console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  if (status !== 0) throw new Error(`pcace rank failed (${status}):\n${stderr}`);
  const m = /TIME ([\d.]+) (\d+) ([\d.]+) ([\d.]+)/.exec(stderr)!;
  const batch = /plan: .*batches of (\d+)/.exec(stderr);
  return {
    seconds: Number(m[1]),
    cpuSeconds: Number(m[3]) + Number(m[4]),
    rssGiB: Number(m[2]) / 2 ** 20,
    batchSize: batch ? Number(batch[1]) : 0,
    result: JSON.parse(readFileSync(out, 'utf8')),
  };
}

/** Plain passes at each batch size, before and after `during`, averaged: a change of load between them hits both sides. */
async function aroundPlain(model: string, sizes: number[], during: () => Promise<Run>): Promise<{ run: Run; plain: PlainPass[] }> {
  const images = await rankImages('mnist:all', Number(values.n ?? 300), [3, 224, 224]);
  const before = await plainForward(model, images, [3, 224, 224], sizes);
  const run = await during();
  const batches = [...new Set([run.batchSize, ...sizes])].filter((b) => b > 0);
  const after = await plainForward(model, images, [3, 224, 224], batches);
  const plain = after.map((a) => {
    const b = before.find((x) => x.batchSize === a.batchSize);
    return b ? { batchSize: a.batchSize, threads: a.threads, seconds: (a.seconds + b.seconds) / 2, cpuSeconds: (a.cpuSeconds + b.cpuSeconds) / 2 } : a;
  });
  console.log(`plain ONNX Runtime passes (wall / CPU s, mean of before and after where both): ${plain.map((p) => `batch ${p.batchSize} ${p.seconds.toFixed(1)} / ${p.cpuSeconds.toFixed(1)} (${p.threads || 'default'} threads)`).join(', ')}`);
  return { run, plain };
}

console.log(machineReport({ images: '300 MNIST digits resized to 224×224 (ImageNet preprocessing)' }));
if (!values.only || values.only === 'layer') {
  const r = await rank('.data/bench/resnet18.onnx', ['--layers', 'layer1.0.conv1', '--components', '10', '--flavour', 'pcace-2021', '--rank-by', 'pc1', '--crossfit', '0']);
  console.log(
    `\nResNet-18 layer1.0.conv1, k = 10, pcace-2021: ${r.seconds.toFixed(1)} s wall (forward ${r.result.timings.forward_seconds.toFixed(1)} s, statistics ${r.result.timings.statistics_seconds.toFixed(1)} s), peak RSS ${r.rssGiB.toFixed(2)} GiB\n` +
      `  vs published statistic with activations computed once (${PUBLISHED_LAYER_SECONDS} s): ×${(PUBLISHED_LAYER_SECONDS / r.seconds).toFixed(1)}\n` +
      `  vs published code rerunning the network per channel (~${(PUBLISHED_CODE_SECONDS / 60).toFixed(0)} min): ×${(PUBLISHED_CODE_SECONDS / r.seconds).toFixed(0)}`,
  );
}
const GOAL: Record<string, number> = { resnet18: 10, vgg16: 5 };
for (const arch of ['resnet18', 'vgg16']) {
  if (values.only && values.only !== arch) continue;
  const model = `.data/bench/${arch}.onnx`;
  const { run: r, plain } = await aroundPlain(model, PLAIN_BATCHES, () => rank(model, values.layers ? ['--layers', values.layers] : []));
  const same = plain.find((p) => p.batchSize === r.batchSize)!;
  const best = fastest(plain);
  console.log(
    `\n${arch}, ${values.layers ?? `all ${r.result.layers.length} conv layers`}, ${values.n ?? 300} images, defaults (k = 5, acepack, cross-fitted): ${(r.seconds / 60).toFixed(1)} min ` +
      `(forward ${r.result.timings.forward_seconds.toFixed(0)} s in ${r.result.timings.forward_passes} passes, statistics ${r.result.timings.statistics_seconds.toFixed(0)} s), ` +
      `CPU ${r.cpuSeconds.toFixed(0)} s, peak RSS ${r.rssGiB.toFixed(2)} GiB\n` +
      `  whole analysis / plain pass at its batch of ${r.batchSize} (${same.seconds.toFixed(1)} s): ×${(r.seconds / same.seconds).toFixed(1)} wall, ×${(r.cpuSeconds / same.cpuSeconds).toFixed(1)} CPU\n` +
      `  whole analysis / fastest plain pass (batch ${best.batchSize}, ${best.seconds.toFixed(1)} s): ×${(r.seconds / best.seconds).toFixed(1)} wall; capture stage alone ×${(r.result.timings.forward_seconds / best.seconds).toFixed(1)}` +
      (values.layers || values.n ? '' : `; goal ≤ ${GOAL[arch]}×`),
  );
}
