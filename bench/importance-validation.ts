/**
 * Validation report of PCACE against causal and gradient importance
 * (bench/README.md "Does a ranking mean something"): the demo models (every
 * conv layer, two classes each) and, when given, a torchvision export.
 *
 *   npx tsx bench/importance-validation.ts [--models mnist-cnn,resnet18-mnist,vgg16-mnist] [--classes 3,7]
 *       [--n 150] [--steps 4] [--orders 10] [--extra path/to/model.onnx:mnistDigit[,mnistDigit…]] [--extra-layers a,b]
 *
 * --extra-layers limits the extra model to those layers: per-channel ablation of a
 * 224² network costs a pass of the network above the layer per channel, which is
 * seconds for ResNet-18's layer4 and hours for its first layers.
 *
 * Per layer: Spearman of each ranking (PCACE, mean |activation|, filter L1,
 * Taylor, conductance) with the mean-ablation drop and with the mean-ablation
 * RMS change, with BCa bootstrap intervals (lib/pcace/agreement.ts), and the
 * area under each top-first deletion curve of the RMS change against the
 * random orders' median. Results go to .data/bench/importance-validation.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runAnalysis } from '../lib/analysis/run-analysis';
import { withDefaults } from '../lib/analysis/options';
import type { AnalysisSpec, LayerResult } from '../lib/analysis/types';
import { rankAgreement } from '../lib/pcace/agreement';
import { machineReport } from './machine';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const models = arg('models', 'mnist-cnn,resnet18-mnist,vgg16-mnist').split(',').filter(Boolean);
const classes = arg('classes', '3,7').split(',').map(Number);
const n = Number(arg('n', '150'));
const steps = Number(arg('steps', '4'));
const orders = Number(arg('orders', '10'));
const extra = arg('extra', '');
const extraLayers = arg('extra-layers', '').split(',').filter(Boolean);

const RANKERS = ['score_crossfit', 'mean_abs_activation', 'filter_l1', 'taylor', 'conductance'] as const;
const LABEL: Record<string, string> = { score_crossfit: 'PCACE', mean_abs_activation: '|act|', filter_l1: 'L1', taylor: 'Taylor', conductance: 'cond.' };

function column(l: LayerResult, key: string): number[] {
  return [...l.channels].sort((a, b) => a.index - b.index).map((c) => ((c as unknown as Record<string, number | undefined>)[key] ?? NaN));
}

interface Row {
  model: string;
  target: number;
  layer: string;
  channels: number;
  vsDrop: Record<string, [number, number, number] | null>;
  vsRms: Record<string, [number, number, number] | null>;
  aucRms: Record<string, number>;
  randomAucRms: [number, number, number] | null;
  seconds: number;
}

function agree(a: number[], b: number[]): [number, number, number] | null {
  try {
    const r = rankAgreement(a, b, { seed: 1 }).spearman;
    return [r.estimate, r.lo, r.hi];
  } catch {
    return null;
  }
}

async function run(model: string, file: string, target: number, layers: string[] | 'all' = 'all'): Promise<Row[]> {
  const spec = {
    ...withDefaults({ images: n, ablation: true, conductanceSteps: steps, curveRandomOrders: orders, nullPermutations: 0 }),
    model: { path: file, format: 'onnx' },
    dataset: { kind: 'mnist', split: 'test', digit: target },
    target: { kind: 'class', index: target },
    layers,
  } as AnalysisSpec;
  const t0 = performance.now();
  const result = await runAnalysis(spec, {});
  console.error(`${model} class ${target}: ${((performance.now() - t0) / 1000).toFixed(0)} s, load ${os.loadavg().map((v) => v.toFixed(1)).join(' ')}`);
  return result.layers.map((l) => {
    const drop = column(l, 'mean_ablation_drop');
    const rms = column(l, 'mean_ablation_rms');
    const imp = l.importance!;
    const top = (k: string) => imp.curves.curves.find((c) => c.measure === k && c.direction === 'top');
    const r = imp.curves.random;
    return {
      model,
      target,
      layer: l.name,
      channels: l.channels.length,
      vsDrop: Object.fromEntries(RANKERS.map((k) => [k, agree(column(l, k), drop)])),
      vsRms: Object.fromEntries(RANKERS.map((k) => [k, agree(column(l, k), rms)])),
      aucRms: Object.fromEntries([...RANKERS, 'mean_ablation_rms'].map((k) => [k, top(k)?.auc_rms ?? NaN])),
      randomAucRms: r ? [r.auc_rms.q05, r.auc_rms.q50, r.auc_rms.q95] : null,
      seconds: l.seconds,
    };
  });
}

const f2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '—');
const ci = (v: [number, number, number] | null) => (v ? `${f2(v[0])} [${f2(v[1])}, ${f2(v[2])}]` : '—');

async function main() {
  const rows: Row[] = [];
  const jobs: [string, string, number, string[] | 'all'][] = [];
  for (const m of models) for (const c of classes) jobs.push([m, path.resolve('models/demo', `${m}.onnx`), c, 'all']);
  if (extra) {
    const [file, digits] = extra.split(':');
    for (const d of (digits ?? '3').split(',')) jobs.push([path.basename(file, '.onnx'), path.resolve(file), Number(d), extraLayers.length ? extraLayers : 'all']);
  }
  for (const [m, file, c, layers] of jobs) {
    rows.push(...(await run(m, file, c, layers)));
    mkdirSync('.data/bench', { recursive: true });
    writeFileSync('.data/bench/importance-validation.json', JSON.stringify({ machine: machineReport(), n, steps, orders, rows }, null, 1));
  }
  console.log(machineReport({ load: os.loadavg().map((v) => v.toFixed(1)).join(' ') }));
  console.log(`\nn = ${n} images per analysis, conductance ${steps} steps, ${orders} random orders; Spearman ρ with the mean-ablation drop [95 % BCa]:\n`);
  console.log(`| model | class | layer | C | ${RANKERS.map((k) => LABEL[k]).join(' | ')} |`);
  console.log(`| --- | --: | --- | --: | ${RANKERS.map(() => '--:').join(' | ')} |`);
  for (const r of rows) console.log(`| ${r.model} | ${r.target} | ${r.layer} | ${r.channels} | ${RANKERS.map((k) => ci(r.vsDrop[k])).join(' | ')} |`);
  console.log('\nSpearman ρ with the mean-ablation RMS change:\n');
  console.log(`| model | class | layer | ${RANKERS.map((k) => LABEL[k]).join(' | ')} |`);
  console.log(`| --- | --: | --- | ${RANKERS.map(() => '--:').join(' | ')} |`);
  for (const r of rows) console.log(`| ${r.model} | ${r.target} | ${r.layer} | ${RANKERS.map((k) => ci(r.vsRms[k])).join(' | ')} |`);
  console.log('\nArea under the top-first deletion curve of the RMS change (larger = finds what matters sooner); random orders 5/50/95 %:\n');
  console.log(`| model | class | layer | oracle (RMS order) | ${RANKERS.map((k) => LABEL[k]).join(' | ')} | random |`);
  console.log(`| --- | --: | --- | --: | ${RANKERS.map(() => '--:').join(' | ')} | --: |`);
  for (const r of rows) {
    const rand = r.randomAucRms ? `${f2(r.randomAucRms[1])} [${f2(r.randomAucRms[0])}, ${f2(r.randomAucRms[2])}]` : '—';
    console.log(`| ${r.model} | ${r.target} | ${r.layer} | ${f2(r.aucRms.mean_ablation_rms)} | ${RANKERS.map((k) => f2(r.aucRms[k])).join(' | ')} | ${rand} |`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
