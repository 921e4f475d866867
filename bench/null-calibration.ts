/**
 * Are "beats noise" verdicts calibrated? On layers whose response is independent
 * of the images, default options must flag ≤ 5 % of channels on average and
 * flag anything in ≤ 10 % of layers (criterion in bench/README.md "Null
 * calibration", fixed before the run). Also: is pooling the null over a
 * layer's channels valid (per-channel vs pooled null quantiles, KS), how much
 * the adaptive cross-fit and the null cost, and the power on signal layers.
 *
 *   npx tsx bench/null-calibration.ts [--seeds 20] [--threads 1] [--pooling-draws 60] [--null auto|B] [--only noise,real,power,cost,pooling]
 */
import { parseArgs } from 'node:util';
import { channelTaskOptions, scoreLayer, type LayerScoring } from '../lib/analysis/layer-scorer';
import { DEFAULT_ANALYSIS } from '../lib/analysis/defaults';
import type { AnalysisSpec } from '../lib/analysis/types';
import type { ChannelTaskOptions } from '../lib/analysis/channel-task';
import { ksTwoSample } from '../lib/pcace/pooled-null';
import { quantile, sortedCopy, mean } from '../lib/pcace/stats';
import { syntheticLayer } from '../tests/fixtures/synthetic-layer';
import { mnistCnnLayers, randomTarget } from './real-layers';
import { machineReport } from './machine';

const { values } = parseArgs({
  options: { seeds: { type: 'string', default: '20' }, threads: { type: 'string', default: '1' }, 'pooling-draws': { type: 'string', default: '60' }, only: { type: 'string' }, null: { type: 'string', default: 'auto' } },
});
const seeds = Number(values.seeds);
const threads = Number(values.threads);
const poolingDraws = Number(values['pooling-draws']);
const only = values.only?.split(',');
const want = (s: string) => !only || only.includes(s);

interface Layer {
  data: Float32Array;
  n: number;
  channels: number;
  positions: number;
  y: Float64Array;
}

function options(channels: number, overrides: Partial<typeof DEFAULT_ANALYSIS> = {}): ChannelTaskOptions & { threads: number } {
  const nullPermutations = values.null === 'auto' ? DEFAULT_ANALYSIS.nullPermutations : Number(values.null);
  const spec = { ...DEFAULT_ANALYSIS, nullPermutations, ...overrides };
  return { ...channelTaskOptions(spec as AnalysisSpec, channels), threads };
}

interface Tally {
  layers: number;
  layersFlagged: number;
  fractions: number[];
  uncorrected: number[];
  empiricalUncorrected: number[];
  seconds: number;
  ks: number[];
  repeats: number[];
  mcse: number[];
}
const tally = (): Tally => ({ layers: 0, layersFlagged: 0, fractions: [], uncorrected: [], empiricalUncorrected: [], seconds: 0, ks: [], repeats: [], mcse: [] });

function record(t: Tally, res: LayerScoring): void {
  const v = res.verdicts!;
  const m = v.beats.length;
  const flagged = v.beats.filter(Boolean).length;
  t.layers++;
  if (flagged > 0) t.layersFlagged++;
  t.fractions.push(flagged / m);
  t.uncorrected.push(Array.from(v.p).filter((p) => p < 0.05).length / m);
  t.empiricalUncorrected.push(Array.from(v.p_empirical).filter((p) => p < 0.05).length / m);
  t.seconds += res.seconds;
  t.ks.push(v.null.ks_normal);
  for (const c of res.channels) {
    t.repeats.push(c.score.crossfit_repeats ?? 0);
    t.mcse.push(c.score.crossfit_mcse ?? 0);
  }
}

function report(name: string, t: Tally): void {
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const r = sortedCopy(t.repeats);
  const s = sortedCopy(t.mcse);
  console.log(
    `${name}: layers ${t.layers}; mean fraction flagged (q < 0.05) ${pct(mean(t.fractions))}; layers with any flagged ${pct(t.layersFlagged / t.layers)}; ` +
      `uncorrected p < 0.05 ${pct(mean(t.uncorrected))} (verdict p) / ${pct(mean(t.empiricalUncorrected))} (empirical); ` +
      `null KS vs normal median ${quantile(sortedCopy(t.ks), 0.5).toFixed(3)}; repeats median ${quantile(r, 0.5)} (share at cap ${pct(t.repeats.filter((x) => x >= 20).length / t.repeats.length)}); ` +
      `MCSE median ${quantile(s, 0.5).toFixed(4)} p90 ${quantile(s, 0.9).toFixed(4)}; ${t.seconds.toFixed(0)} s`,
  );
}

console.log(machineReport({ seeds: String(seeds), threads: String(threads) }));
const real = want('real') || want('power') || want('pooling') || want('cost') ? await mnistCnnLayers(300) : undefined;

if (want('noise')) {
  // Synthetic pure-noise layers: every channel is nuisance only, the response is independent.
  const t = tally();
  for (let s = 1; s <= seeds; s++) {
    const L = syntheticLayer({ n: 300, channels: 24, height: 10, width: 10, seed: 1000 + s, strength: () => 0 });
    record(t, await scoreLayer({ data: L.data, n: 300, channels: 24, positions: 100, y: L.y }, options(24, { seed: s })));
  }
  report('synthetic pure-noise layers (24 ch, 300 images, 10×10)', t);
}

if (want('real')) {
  for (const layer of real!.layers) {
    const t = tally();
    for (let s = 1; s <= seeds; s++) {
      const input: Layer = { ...layer, y: randomTarget(real!.n, s) };
      record(t, await scoreLayer(input, options(layer.channels, { seed: s })));
    }
    report(`MNIST CNN ${layer.name} (${layer.channels} ch), random Gaussian targets`, t);
  }
}

if (want('power')) {
  const t = tally();
  let signalFlagged = 0;
  let signalTotal = 0;
  let noiseFlagged = 0;
  let noiseTotal = 0;
  for (let s = 1; s <= Math.min(seeds, 5); s++) {
    const L = syntheticLayer({ n: 300, channels: 24, height: 10, width: 10, seed: 2000 + s });
    const res = await scoreLayer({ data: L.data, n: 300, channels: 24, positions: 100, y: L.y }, options(24, { seed: s }));
    record(t, res);
    res.verdicts!.beats.forEach((b, c) => {
      if (L.strength[c] > 0) {
        signalTotal++;
        if (b) signalFlagged++;
      } else {
        noiseTotal++;
        if (b) noiseFlagged++;
      }
    });
  }
  console.log(`synthetic signal layers: power ${signalFlagged}/${signalTotal} signal channels flagged; ${noiseFlagged}/${noiseTotal} noise channels flagged`);
  for (const layer of real!.layers) {
    const res = await scoreLayer({ ...layer, y: real!.class3 }, options(layer.channels));
    const v = res.verdicts!;
    console.log(`MNIST CNN ${layer.name} class-3 score: ${v.beats.filter(Boolean).length}/${v.beats.length} beat noise; rule: ${v.rule.text}; null mean ${v.null.mean.toFixed(3)} sd ${v.null.sd.toFixed(3)}`);
  }
}

if (want('cost')) {
  // What the null and the adaptive repeats cost, against the same layer without them.
  for (const layer of real!.layers) {
    for (const [name, y] of [['class 3', real!.class3], ['random', randomTarget(real!.n, 1)]] as const) {
      const base = await scoreLayer({ ...layer, y }, { ...options(layer.channels), nullDraws: undefined });
      const full = await scoreLayer({ ...layer, y }, options(layer.channels));
      const two = await scoreLayer({ ...layer, y }, { ...options(layer.channels), nullDraws: undefined, crossFitCap: 2 });
      console.log(
        `cost ${layer.name} ${name}: 2 repeats ${two.seconds.toFixed(1)} s; adaptive (cap 20) ${base.seconds.toFixed(1)} s; adaptive + null (B = ${full.verdicts!.null.B}) ${full.seconds.toFixed(1)} s = ${(full.seconds / base.seconds).toFixed(2)}× adaptive`,
      );
    }
  }
}

if (want('pooling')) {
  // Per-channel nulls (poolingDraws each) against the pool of all their draws.
  const cases: [string, Layer, number[]][] = [];
  for (const layer of real!.layers) cases.push([`${layer.name} random target`, { ...layer, y: randomTarget(real!.n, 1) }, [0, 1, 2, 3]]);
  const noise = syntheticLayer({ n: 300, channels: 4, height: 10, width: 10, seed: 77, strength: () => 0 });
  cases.push(['synthetic noise', { data: noise.data, n: 300, channels: 4, positions: 100, y: noise.y }, [0, 1, 2, 3]]);
  for (const [name, layer, chans] of cases) {
    const opts = { ...options(layer.channels), nullDraws: { B: poolingDraws, layerChannels: layer.channels, perChannel: true } };
    const sub = sliceChannels(layer, chans);
    const res = await scoreLayer(sub, opts);
    const per = res.channels.map((c) => sortedCopy(c.nullDraws!.value));
    const pooled = sortedCopy(per.flatMap((v) => Array.from(v)));
    const line = per
      .map((v, i) => `ch${chans[i]} q95 ${quantile(v, 0.95).toFixed(3)} q99 ${quantile(v, 0.99).toFixed(3)} mean ${mean(v).toFixed(3)} KS ${ksTwoSample(v, pooled).toFixed(3)}`)
      .join('; ');
    console.log(`pooling ${name} (B = ${poolingDraws} per channel): pooled q95 ${quantile(pooled, 0.95).toFixed(3)} q99 ${quantile(pooled, 0.99).toFixed(3)} mean ${mean(pooled).toFixed(3)}; ${line}`);
  }
}

function sliceChannels(layer: Layer, chans: number[]): Layer {
  const out = new Float32Array(layer.n * chans.length * layer.positions);
  for (let i = 0; i < layer.n; i++) {
    chans.forEach((c, j) => {
      const src = (i * layer.channels + c) * layer.positions;
      out.set(layer.data.subarray(src, src + layer.positions), (i * chans.length + j) * layer.positions);
    });
  }
  return { data: out, n: layer.n, channels: chans.length, positions: layer.positions, y: layer.y };
}
