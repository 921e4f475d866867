/**
 * One layer against the published pipeline, timed in the same run: ResNet-18
 * `layer1.0.conv1` (64 channels, 56×56 maps), 300 images at 224², k = 10, the
 * published statistic |corr(φ₁, θ)| with the pcace-2021 ACE flavour.
 *
 *   npx tsx bench/published-pipeline.ts [--rounds 1] [--python-channels 64]
 *
 * Both sides get the same preprocessed images (300 MNIST digits resized to
 * 224² with ImageNet normalisation, written once to .data/bench/mnist224-300.npy)
 * and the same weights (scripts/export-torchvision.py's seeded ResNet-18, as
 * .onnx for us and rebuilt in PyTorch by bench/published-pipeline.py). Ours is
 * `pcace rank` as a user runs it, whole process under GNU time (start-up, model
 * load, forward pass with capture, statistics); the pipeline's time is its
 * forward pass with the activations kept plus its per-channel statistics.
 * The rounds run ours, then the pipeline, then ours again, so a change of load
 * hits both; the ratio uses the mean of our two runs. With --python-channels C
 * the pipeline scores only C channels and its statistics time is scaled to the
 * layer (a projection, printed as such).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { machineReport } from './machine';
import { openDataset, defaultPreprocessing } from '../lib/datasets/index';
import { writeNpy } from '../lib/datasets/npy';
import { spearman } from '../lib/pcace/ranking';
import { openNpyRows } from '../lib/datasets/npy';
import { plainForward as plainPasses } from './plain-forward';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '1' }, 'python-channels': { type: 'string', default: '64' } } });
const MODEL = '.data/bench/resnet18.onnx';
const IMAGES = '.data/bench/mnist224-300.npy';
const LAYER = 'layer1.0.conv1';
const CHANNELS = 64;

function uptime(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

async function prepareImages(): Promise<void> {
  if (existsSync(IMAGES)) return;
  const ds = await openDataset({ kind: 'mnist', split: 'train' }, { n: 300, seed: 1 });
  try {
    writeNpy(IMAGES, await ds.loadBatch(0, 300, defaultPreprocessing([3, 224, 224])), [300, 3, 224, 224]);
  } finally {
    await ds.close();
  }
}

interface Ours {
  seconds: number;
  rssGiB: number;
  forward: number;
  statistics: number;
  scores: number[];
}

function runOurs(): Ours {
  const out = `/tmp/pcace-bench-layer-${process.pid}.json`;
  const args = ['-f', 'TIME %e %M', process.execPath, 'bin/pcace.js', 'rank', '--model', MODEL, '--data', IMAGES, '--n', '300', '--class', '0'];
  args.push('--layers', LAYER, '--components', '10', '--flavour', 'pcace-2021', '--rank-by', 'pc1', '--crossfit', '0', '--quiet', '--out', out);
  const run = spawnSync('/usr/bin/time', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`pcace rank failed (${run.status}):\n${run.stderr}`);
  const m = /TIME ([\d.]+) (\d+)/.exec(run.stderr)!;
  const result = JSON.parse(readFileSync(out, 'utf8'));
  const channels = result.layers[0].channels as { index: number; score_pc1: number }[];
  const scores = new Array<number>(channels.length);
  for (const c of channels) scores[c.index] = c.score_pc1;
  return { seconds: Number(m[1]), rssGiB: Number(m[2]) / 2 ** 20, forward: result.timings.forward_seconds, statistics: result.timings.statistics_seconds, scores };
}

interface Pipeline {
  seconds: number;
  forward: number;
  statistics: number;
  scores: number[];
}

function runPipeline(channels: number): Pipeline {
  const out = `/tmp/pcace-bench-pipeline-${process.pid}.json`;
  const t0 = performance.now();
  const run = spawnSync('/usr/bin/python3', ['bench/published-pipeline.py', '--images', IMAGES, '--layer', LAYER, '--k', '10', '--target', '0', '--channels', String(channels), '--out', out], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (run.status !== 0) throw new Error(`published pipeline failed (${run.status}):\n${run.stderr}`);
  const wall = (performance.now() - t0) / 1000;
  const r = JSON.parse(readFileSync(out, 'utf8'));
  return { seconds: wall, forward: r.forward_seconds, statistics: r.statistics_seconds, scores: r.scores };
}

/** A plain ONNX Runtime forward pass of the same images (bench/plain-forward.ts) in batches of 8: the floor of any capture pass. */
async function plainForward(): Promise<number> {
  const rows = await openNpyRows(IMAGES);
  const images = await rows.read(0, 300);
  await rows.close();
  return (await plainPasses(MODEL, images, [3, 224, 224], [8]))[0].seconds;
}

async function main() {
  for (const f of [MODEL, '/usr/bin/time', '/usr/bin/python3']) {
    if (!existsSync(f)) {
      console.error(`missing ${f}${f === MODEL ? ` (run /usr/bin/python3 scripts/export-torchvision.py resnet18 ${MODEL})` : ''}`);
      process.exit(2);
    }
  }
  await prepareImages();
  const pyChannels = Math.min(CHANNELS, Number(values['python-channels']));
  console.log(machineReport({ images: '300 MNIST digits at 224² (ImageNet preprocessing), one .npy for both sides', layer: `ResNet-18 ${LAYER}, k = 10, pcace-2021, |corr(φ₁, θ)|` }));
  for (let round = 0; round < Number(values.rounds); round++) {
    const load0 = uptime();
    const a = runOurs();
    const plain = await plainForward();
    const load1 = uptime();
    const py = runPipeline(pyChannels);
    const load2 = uptime();
    const b = runOurs();
    const load3 = uptime();
    const pyLayer = py.forward + (py.statistics * CHANNELS) / py.scores.length;
    const ours = (a.seconds + b.seconds) / 2;
    const diffs = py.scores.map((s, c) => Math.abs(s - a.scores[c])).sort((x, y) => x - y);
    const rho = spearman(Float64Array.from(py.scores), Float64Array.from(a.scores.slice(0, py.scores.length))).rho;
    console.log(
      `\nround ${round + 1} (load average ${load0} → ${load1} → ${load2} → ${load3}):\n` +
        `  ours: ${a.seconds.toFixed(1)} s and ${b.seconds.toFixed(1)} s wall (forward ${a.forward.toFixed(1)} / ${b.forward.toFixed(1)} s, statistics ${a.statistics.toFixed(1)} / ${b.statistics.toFixed(1)} s), peak RSS ${Math.max(a.rssGiB, b.rssGiB).toFixed(2)} GiB\n` +
        `  plain ONNX Runtime forward pass of the same images (no capture, after our first run): ${plain.toFixed(1)} s\n` +
        `  published pipeline: forward ${py.forward.toFixed(1)} s, statistics ${py.statistics.toFixed(1)} s for ${py.scores.length} channels` +
        (py.scores.length < CHANNELS ? ` (${pyLayer.toFixed(1)} s projected to ${CHANNELS})` : '') +
        `, process ${py.seconds.toFixed(1)} s\n` +
        `  ratio (pipeline forward + statistics) / ours: ×${(pyLayer / ours).toFixed(1)}\n` +
        `  agreement on ${py.scores.length} channels: median |Δ| ${diffs[diffs.length >> 1].toExponential(1)}, max ${diffs[diffs.length - 1].toExponential(1)}, Spearman ${rho.toFixed(3)}`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
