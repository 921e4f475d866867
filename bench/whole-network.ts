/**
 * Network-scale runs of `pcace rank`, timed with peak RSS:
 * - ResNet-18 layer1.0.conv1 (64 channels, 56×56), 300 images at 224×224, k = 10,
 *   pcace-2021 flavour, the published statistic: against the published pipeline's
 *   106 s (activations computed once) and ~24 min more for rerunning the network
 *   per channel (tests/reference/pipeline/README.md);
 * - every conv layer of ResNet-18 and VGG-16, 300 images at 224×224, defaults.
 *
 *   npx tsx bench/whole-network.ts [--only layer|resnet18|vgg16]
 * Needs .data/bench/{resnet18,vgg16}.onnx (scripts/export-torchvision.py) and GNU time.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { machineReport } from './machine';

const { values } = parseArgs({ options: { only: { type: 'string' } } });
const PUBLISHED_LAYER_SECONDS = 106;
const PUBLISHED_CODE_SECONDS = 106 + 24 * 60;

interface Run {
  seconds: number;
  rssGiB: number;
  result: { timings: { forward_seconds: number; statistics_seconds: number }; layers: unknown[] };
}

function rank(model: string, extra: string[]): Run {
  for (const f of [model, '/usr/bin/time']) {
    if (!existsSync(f)) {
      console.error(`missing ${f}${f.endsWith('.onnx') ? ` (run /usr/bin/python3 scripts/export-torchvision.py ${f.includes('vgg') ? 'vgg16' : 'resnet18'} ${f})` : ''}`);
      process.exit(2);
    }
  }
  const out = `/tmp/pcace-bench-${process.pid}.json`;
  const run = spawnSync('/usr/bin/time', ['-f', 'TIME %e %M', process.execPath, 'bin/pcace.js', 'rank', '--model', model, '--data', 'mnist:all', '--class', '0', '--n', '300', '--quiet', '--out', out, ...extra], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const stderr = run.stderr;
  if (run.status !== 0) throw new Error(`pcace rank failed (${run.status}):\n${stderr}`);
  const m = /TIME ([\d.]+) (\d+)/.exec(stderr)!;
  return { seconds: Number(m[1]), rssGiB: Number(m[2]) / 2 ** 20, result: JSON.parse(readFileSync(out, 'utf8')) };
}

console.log(machineReport({ images: '300 MNIST digits resized to 224×224 (ImageNet preprocessing)' }));
if (!values.only || values.only === 'layer') {
  const r = rank('.data/bench/resnet18.onnx', ['--layers', 'layer1.0.conv1', '--components', '10', '--flavour', 'pcace-2021', '--rank-by', 'pc1', '--crossfit', '0']);
  console.log(
    `\nResNet-18 layer1.0.conv1, k = 10, pcace-2021: ${r.seconds.toFixed(1)} s wall (forward ${r.result.timings.forward_seconds.toFixed(1)} s, statistics ${r.result.timings.statistics_seconds.toFixed(1)} s), peak RSS ${r.rssGiB.toFixed(2)} GiB\n` +
      `  vs published statistic with activations computed once (${PUBLISHED_LAYER_SECONDS} s): ×${(PUBLISHED_LAYER_SECONDS / r.seconds).toFixed(1)}\n` +
      `  vs published code rerunning the network per channel (~${(PUBLISHED_CODE_SECONDS / 60).toFixed(0)} min): ×${(PUBLISHED_CODE_SECONDS / r.seconds).toFixed(0)}`,
  );
}
for (const arch of ['resnet18', 'vgg16']) {
  if (values.only && values.only !== arch) continue;
  const r = rank(`.data/bench/${arch}.onnx`, []);
  console.log(
    `\n${arch}, all ${r.result.layers.length} conv layers, defaults (k = 5, acepack, cross-fitted): ${(r.seconds / 60).toFixed(1)} min ` +
      `(forward ${r.result.timings.forward_seconds.toFixed(0)} s, statistics ${r.result.timings.statistics_seconds.toFixed(0)} s), peak RSS ${r.rssGiB.toFixed(2)} GiB`,
  );
}
