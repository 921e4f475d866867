/**
 * The measurement behind PCACE Lab's defaults (number of components, ranking
 * statistic). On a synthetic layer with known ground truth it asks, for each
 * k and statistic: does the ranking follow the true signal strength (Spearman),
 * does it put signal channels above pure-noise ones (AUC), and does it stay put
 * when k changes? On the real MNIST CNN it measures the rank agreement between
 * k = 5 and k = 10 for each statistic.
 *
 *   npx tsx bench/choose-defaults.ts [--channels 48] [--permutations 30]
 */
import { parseArgs } from 'node:util';
import { scoreLayer } from '../lib/analysis/layer-scorer';
import { spearman, type RankingScore, rankingValue } from '../lib/pcace/index';
import { syntheticLayer } from '../tests/fixtures/synthetic-layer';
import { createOnnxEngine } from '../lib/models/onnx-engine';
import { readNpy } from '../lib/datasets/npy';
import { PIPELINE_DIR } from '../tests/helpers/reference';
import { machineReport } from './machine';

const { values } = parseArgs({ options: { channels: { type: 'string', default: '48' }, permutations: { type: 'string', default: '30' } } });
const channels = Number(values.channels);
const B = Number(values.permutations);
const ks = [2, 3, 5, 10, 20];
const stats: RankingScore[] = ['pc1', 'multiple', 'crossfit', 'z_multiple'];

console.log(machineReport());
const layer = syntheticLayer({ n: 300, channels, height: 10, width: 10, seed: 11 });
const input = { data: layer.data, n: 300, channels, positions: 100, y: layer.y };
const truth = layer.strength;
console.log(`\nsynthetic layer: ${channels} channels (¼ pure noise), 300 images, 10×10; acepack flavour, B = ${B}`);
console.log('k   ' + stats.map((s) => `${s.padEnd(10)} ρ(truth)  AUC `).join(' | '));
const byK = new Map<number, Map<RankingScore, number[]>>();
for (const k of ks) {
  const res = await scoreLayer(input, { components: k, flavour: 'acepack', rankBy: 'multiple', permutations: B, crossFitRepeats: 2, bootstrap: 0, stabilityComponents: [], seed: 3 });
  const row: string[] = [];
  const m = new Map<RankingScore, number[]>();
  for (const s of stats) {
    const v = res.channels.map((c) => rankingValue(c.score, s)!);
    m.set(s, v);
    row.push(`${''.padEnd(10)} ${spearman(v, truth).rho.toFixed(3).padStart(7)}  ${auc(v, truth).toFixed(3)}`);
  }
  byK.set(k, m);
  console.log(String(k).padEnd(4) + row.join(' | '));
}
console.log('\nrank agreement between neighbouring k (Spearman):');
for (const s of stats) {
  const pairs = ks.slice(1).map((k, i) => spearman(byK.get(ks[i])!.get(s)!, byK.get(k)!.get(s)!).rho.toFixed(2));
  console.log(`  ${s.padEnd(10)} ${ks.slice(1).map((k, i) => `${ks[i]}↔${k}: ${pairs[i]}`).join('  ')}`);
}

// Real model: the published MNIST CNN, conv1, digit 3.
const engine = await createOnnxEngine(`${PIPELINE_DIR}/mnist_cnn.onnx`);
const images = readNpy(`${PIPELINE_DIR}/inputs_digit3.npy`);
const n = images.shape[0];
const out = await engine.run(images.data, n, ['conv1', 'conv2']);
const y = Float64Array.from({ length: n }, (_, i) => out.output.data[i * 10 + 3]);
await engine.dispose();
for (const name of ['conv1', 'conv2']) {
  const t = out.activations.get(name)!;
  const [, C, H, W] = t.dims;
  const real = { data: t.data, n, channels: C, positions: H * W, y };
  const scored = new Map<number, Awaited<ReturnType<typeof scoreLayer>>>();
  for (const k of [5, 10]) {
    scored.set(k, await scoreLayer(real, { components: k, flavour: 'acepack', rankBy: 'multiple', permutations: B, crossFitRepeats: 2, bootstrap: 0, stabilityComponents: [], seed: 3 }));
  }
  console.log(`\nMNIST CNN ${name} (digit 3, ${C} channels): statistic, Spearman(k=5, k=10), channels with p < 0.05 at k=5 / k=10`);
  for (const s of stats) {
    const a = scored.get(5)!.channels.map((c) => rankingValue(c.score, s)!);
    const b = scored.get(10)!.channels.map((c) => rankingValue(c.score, s)!);
    const sig = (k: number) =>
      scored.get(k)!.channels.filter((c) => (s === 'pc1' ? c.score.permutation!.p_pc1 : c.score.permutation!.p_multiple) < 0.05).length;
    console.log(`  ${s.padEnd(10)} ${spearman(a, b).rho.toFixed(2)}   ${s === 'crossfit' ? '-' : `${sig(5)} / ${sig(10)}`}`);
  }
}

function auc(score: number[], strength: Float64Array): number {
  let wins = 0;
  let total = 0;
  score.forEach((si, i) => {
    if (strength[i] === 0) return;
    score.forEach((sj, j) => {
      if (strength[j] !== 0) return;
      total++;
      wins += si > sj ? 1 : si === sj ? 0.5 : 0;
    });
  });
  return wins / total;
}
