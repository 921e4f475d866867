/**
 * The sanity checks (lib/analysis/sanity.ts), measured:
 *
 *   npx tsx bench/sanity.ts cost --model PATH [--images 300] [--class 0]
 *     the same analysis (every conv layer, default options) without and with
 *     the sanity checks, one after the other in this process; prints both wall
 *     times, the ratio, and the sanity seconds per layer; then the floor
 *     (bench/sanity-floor.ts): a plain forward pass timed, each layer's share
 *     of the network's MACs from it on and after it, the least forward time
 *     of the randomised models, the checks' own forward passes timed alone,
 *     and the best ratio achievable with the rescoring as measured;
 *
 *   npx tsx bench/sanity.ts forward --model PATH [--images 300]
 *     the sanity checks' forward passes alone, every conv layer: a plain pass,
 *     the floor, the former whole-model passes and the current ones, timed in
 *     one run;
 *
 *   npx tsx bench/sanity.ts validate [--images 300] [--classes 3,7] [--models mnist-cnn,resnet18-mnist,vgg16-mnist]
 *     the validation report's sanity columns on the demo models (models/demo),
 *     every conv layer, each class: the trained-vs-random AUC with its 95 %
 *     interval and verdict, and Spearman ρ with its interval under cascading
 *     and independent randomisation, as Markdown rows.
 *
 *   npx tsx bench/sanity.ts calibrate [--layers 40] [--images 200]
 *     random-vs-random layers, where the truth is known: the constructed
 *     network (tests/fixtures/constructed-network.ts) with conv1's filters
 *     re-drawn (seed per layer), so its channels and the baseline's random
 *     filters come from the same distribution: the AUC is ½ and the channels'
 *     baseline p-values are uniform. Prints how often the AUC interval covers
 *     ½ and the share of p-values below 0.05, 0.1 and 0.25.
 *
 * Every report starts with the machine, the versions and the load.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { withDefaults } from '../lib/analysis/options';
import { openAnalysisInputs } from '../lib/analysis/inputs';
import { defaultBatchSize, runAnalysis } from '../lib/analysis/run-analysis';
import type { AnalysisResult, AnalysisSpec } from '../lib/analysis/types';
import { machineReport } from './machine';
import { plainPassSeconds, preload, sanityRunSeconds, suffixFractions } from './sanity-floor';
import { randomisedModel } from '../lib/models/randomise';
import { CONSTRUCTED_TARGET, constructedNetwork, writeConstructedFixture } from '../tests/fixtures/constructed-network';
import { wholeModelRuns } from '../tests/fixtures/whole-model-runs';
import { sanityChannelCount } from '../lib/analysis/sanity-plan';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    model: { type: 'string' },
    images: { type: 'string', default: '300' },
    class: { type: 'string', default: '0' },
    classes: { type: 'string', default: '3,7' },
    models: { type: 'string', default: 'mnist-cnn,resnet18-mnist,vgg16-mnist' },
    layers: { type: 'string', default: '40' },
  },
});
const images = Number(values.images);
const load = () => loadavg().map((v) => v.toFixed(1)).join(' ');

function spec(model: string, digit: number | undefined, target: number, sanityChecks: boolean): AnalysisSpec {
  return {
    model: { path: model, format: 'onnx' },
    dataset: { kind: 'mnist', split: 'test', digit },
    target: { kind: 'class', index: target },
    layers: 'all',
    ...withDefaults({ images, sanityChecks }),
  };
}

async function timed(s: AnalysisSpec): Promise<{ seconds: number; result: AnalysisResult }> {
  const t0 = performance.now();
  const result = await runAnalysis(s);
  return { seconds: (performance.now() - t0) / 1000, result };
}

async function cost() {
  if (!values.model) throw new Error('cost needs --model PATH');
  const target = Number(values.class);
  console.log(machineReport({ model: values.model, images: `${images} MNIST test digits (all classes), target class ${target}`, load: load() }));
  console.log(`\nplain analysis: starting (load ${load()})`);
  const plain = await timed(spec(values.model, undefined, target, false));
  console.log(`plain analysis: ${plain.seconds.toFixed(1)} s (forward ${plain.result.timings.forward_seconds.toFixed(1)} s, statistics ${plain.result.timings.statistics_seconds.toFixed(1)} s); load ${load()}`);
  const sanitySpec = spec(values.model, undefined, target, true);
  const withSanity = await timed(sanitySpec);
  const sanitySeconds = withSanity.result.layers.reduce((s, l) => s + (l.sanity?.seconds ?? 0), 0);
  console.log(`with sanity checks: ${withSanity.seconds.toFixed(1)} s, of which sanity checks ${sanitySeconds.toFixed(1)} s; load ${load()}`);
  console.log(`ratio (with / plain): ×${(withSanity.seconds / plain.seconds).toFixed(2)}; sanity share of the plain time: ${((100 * sanitySeconds) / plain.seconds).toFixed(0)} %`);
  for (const l of withSanity.result.layers) {
    const p = plain.result.layers.find((x) => x.name === l.name)!;
    console.log(`  ${l.name.padEnd(24)} plain ${p.seconds.toFixed(1).padStart(6)} s  sanity ${l.sanity!.seconds.toFixed(1).padStart(6)} s  ${row(l)}`);
  }
  await floor(sanitySpec, withSanity.result, plain.seconds, sanitySeconds, withSanity.seconds);
}

/** The floor of the checks' forward passes on this model, and the best ratio it allows with the rescoring as measured. */
async function floor(s: AnalysisSpec, result: AnalysisResult, plainSeconds: number, sanitySeconds: number, withSeconds: number) {
  const opened = await openAnalysisInputs(s);
  try {
    const ds = await opened.dataset();
    const n = ds.samples.length;
    const layers = opened.model.listConvLayers();
    const shape = opened.model.input.shape;
    const batches = await preload(opened.load, n, defaultBatchSize(opened.model));
    const fractions = await suffixFractions(s.model.path, layers);
    const share = fractions.reduce((a, x) => a + x.independent + x.cascading, 0);
    const pass = await plainPassSeconds(s.model.path, batches, shape);
    const requests = layers.map((layer) => ({ layer, subset: result.layers.find((l) => l.name === layer.name)!.sanity!.channels }));
    const runs = await sanityRunSeconds(s, batches, n, shape, requests);
    const lower = share * pass;
    const rescoring = Math.max(0, sanitySeconds - runs);
    console.log(`\nfloor (load ${load()}): plain forward pass of the ${n} images ${pass.toFixed(2)} s (trained model, output only, images preloaded)`);
    for (const x of fractions) console.log(`  ${x.name.padEnd(24)} from the layer on ${x.independent.toFixed(3)}  after it ${x.cascading.toFixed(3)}`);
    console.log(`randomised suffixes: ${share.toFixed(2)} plain passes' worth over ${fractions.length} layers (two whole models per layer: ${2 * fractions.length}) → least forward time ${lower.toFixed(1)} s`);
    console.log(`these sanity forward passes alone (sanity-runs.ts, same subsets, images preloaded): ${runs.toFixed(1)} s = ${(runs / pass).toFixed(2)} plain passes, ${(runs / lower).toFixed(2)}× the floor`);
    console.log(`rescoring as measured (sanity seconds − forward passes): ${rescoring.toFixed(1)} s`);
    console.log(`best achievable ratio: (plain ${plainSeconds.toFixed(1)} + floor ${lower.toFixed(1)} + rescoring ${rescoring.toFixed(1)}) / plain = ×${((plainSeconds + lower + rescoring) / plainSeconds).toFixed(2)}; measured ×${(withSeconds / plainSeconds).toFixed(2)}; load ${load()}`);
  } finally {
    await opened.close();
  }
}

const f = (v: number | null | undefined, d = 2) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d));
const ci = (c: [number, number] | null | undefined) => (c ? `[${f(c[0])}, ${f(c[1])}]` : '');

function row(l: AnalysisResult['layers'][number]): string {
  const s = l.sanity!;
  const rf = s.random_filters;
  const rho = (c: typeof s.cascading) => (c.rho === null ? `— (${c.note})` : `${f(c.rho)} ${ci(c.rho_ci)}`);
  return `| ${l.name} | ${rf.trained} vs ${rf.count} | ${f(rf.auc)} ${ci(rf.auc_ci)} | ${rf.verdict ?? '—'} | ${rho(s.cascading)} | ${rho(s.independent)} |`;
}

/**
 * The forward passes alone, in one run: a plain pass, the floor, the checks'
 * former passes (each randomised model whole, tests/fixtures/whole-model-runs.ts)
 * and the current ones (sanity-runs.ts), on every conv layer with the first
 * max(16, C/8) channels kept. Minutes where `cost` takes the whole analysis twice.
 */
async function forward() {
  if (!values.model) throw new Error('forward needs --model PATH');
  const s = spec(values.model, undefined, Number(values.class), true);
  console.log(machineReport({ model: values.model, images: `${images} MNIST test digits (all classes)`, load: load() }));
  const opened = await openAnalysisInputs(s);
  try {
    const n = (await opened.dataset()).samples.length;
    const layers = opened.model.listConvLayers();
    const shape = opened.model.input.shape;
    const batches = await preload(opened.load, n, defaultBatchSize(opened.model));
    const fractions = await suffixFractions(s.model.path, layers);
    const share = fractions.reduce((a, x) => a + x.independent + x.cascading, 0);
    const requests = layers.map((layer) => ({ layer, subset: Array.from({ length: sanityChannelCount(layer.channels) }, (_, i) => i) }));
    const before = await plainPassSeconds(s.model.path, batches, shape);
    console.log(`\nplain forward pass: ${before.toFixed(2)} s; the randomised suffixes are ${share.toFixed(2)} plain passes' worth over ${layers.length} layers → floor ${(share * before).toFixed(1)} s; load ${load()}`);
    const whole = await sanityRunSeconds(s, batches, n, shape, requests, wholeModelRuns);
    console.log(`former passes (each randomised model whole): ${whole.toFixed(1)} s = ${(whole / before).toFixed(1)} plain passes; load ${load()}`);
    const split = await sanityRunSeconds(s, batches, n, shape, requests);
    console.log(`current passes (trained prefix shared, randomised suffixes): ${split.toFixed(1)} s = ${(split / before).toFixed(1)} plain passes; load ${load()}`);
    const after = await plainPassSeconds(s.model.path, batches, shape);
    const pass = (before + after) / 2;
    console.log(`plain forward pass again: ${after.toFixed(2)} s; with their mean ${pass.toFixed(2)} s the floor is ${(share * pass).toFixed(1)} s`);
    console.log(`current / former ${(split / whole).toFixed(2)}; former / floor ${(whole / (share * pass)).toFixed(2)}; current / floor ${(split / (share * pass)).toFixed(2)}; load ${load()}`);
  } finally {
    await opened.close();
  }
}

async function validate() {
  const dir = path.resolve('models/demo');
  console.log(machineReport({ images: `${images} MNIST test digits of the target class`, load: load() }));
  for (const name of values.models!.split(',')) {
    for (const digit of values.classes!.split(',').map(Number)) {
      const { seconds, result } = await timed(spec(path.join(dir, `${name}.onnx`), digit, digit, true));
      console.log(`\n### ${name}, class ${digit} (${seconds.toFixed(0)} s, load ${load()})\n`);
      console.log('| layer | trained vs random | AUC [95 %] | verdict | cascading ρ [95 %] | independent ρ [95 %] |');
      console.log('| --- | --- | --- | --- | --- | --- |');
      for (const l of result.layers) console.log(row(l));
    }
  }
}

async function calibrate() {
  const layers = Number(values.layers);
  const n = Number(values.images === '300' ? 200 : values.images);
  console.log(machineReport({ layers: `${layers} random-vs-random conv1 layers of the constructed network`, images: `${n}`, load: load() }));
  const dir = mkdtempSync(path.join(tmpdir(), 'sanity-calibration-'));
  try {
    const data = writeConstructedFixture(dir, n, 1);
    let covered = 0;
    let verdictNull = 0;
    const levels = [0.05, 0.1, 0.25];
    const below = levels.map(() => 0);
    let channels = 0;
    const aucs: number[] = [];
    for (let s = 1; s <= layers; s++) {
      const model = path.join(dir, `random-${s}.onnx`);
      writeFileSync(model, randomisedModel(constructedNetwork(), 'conv1', 'independent', 1000 + s).bytes);
      const result = await runAnalysis(
        { model: { path: model, format: 'onnx' }, dataset: { kind: 'npy', path: data.datasetPath }, target: CONSTRUCTED_TARGET, layers: ['conv1'], ...withDefaults({ images: n, seed: s, sanityChecks: true, nullPermutations: 0 }) },
        { threads: 0, modelThreads: 1 },
      );
      const l = result.layers[0];
      const rf = l.sanity!.random_filters;
      aucs.push(rf.auc!);
      if (rf.auc_ci![0] <= 0.5 && 0.5 <= rf.auc_ci![1]) covered++;
      if (rf.verdict === 'not distinguishable from random filters') verdictNull++;
      for (const c of l.channels) {
        if (c.flags.includes('constant')) continue;
        channels++;
        levels.forEach((a, i) => (below[i] += c.baseline_p! <= a ? 1 : 0));
      }
    }
    const mean = aucs.reduce((a, b) => a + b, 0) / aucs.length;
    console.log(`\nAUC: mean ${mean.toFixed(3)} over ${layers} layers; the 95 % interval covers ½ in ${covered}/${layers} (${((100 * covered) / layers).toFixed(0)} %); verdict "not distinguishable" in ${verdictNull}/${layers}`);
    console.log(`baseline p over ${channels} channels: ${levels.map((a, i) => `P(p ≤ ${a}) = ${(below[i] / channels).toFixed(3)}`).join(', ')}; load ${load()}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const command = positionals[0];
const commands: Record<string, () => Promise<void>> = { cost, forward, validate, calibrate };
(commands[command] ? commands[command]() : Promise.reject(new Error('usage: bench/sanity.ts cost|forward|validate|calibrate …'))).catch((err) => {
  console.error(err);
  process.exit(1);
});
