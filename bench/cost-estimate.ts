/**
 * Checks the analysis cost estimate (lib/analysis/cost.ts) against real runs:
 * `pcace rank` on one layer per run (what one queue task does) under GNU time,
 * CPU-seconds (user + system) and wall time against the estimate.
 *
 *   npx tsx bench/cost-estimate.ts [--model models/demo/mnist-cnn.onnx] [--threads 2] [--only NAME]
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_ANALYSIS } from '../lib/analysis/defaults';
import { estimateAnalysisCost, type CostOptions } from '../lib/analysis/cost';
import { openModel } from '../lib/models/open-model';
import { machineReport } from './machine';

const { values } = parseArgs({
  options: { model: { type: 'string', default: 'models/demo/mnist-cnn.onnx' }, threads: { type: 'string', default: '2' }, only: { type: 'string' }, data: { type: 'string', default: 'mnist:3' } },
});
const threads = Number(values.threads);

interface Case {
  name: string;
  layer: string;
  options: Partial<CostOptions>;
}

const CASES: Case[] = [
  { name: 'defaults conv1', layer: 'conv1', options: {} },
  { name: 'defaults conv2', layer: 'conv2', options: {} },
  { name: 'n = 1000, cross-fit 4', layer: 'conv2', options: { images: 1000, crossFitRepeats: 4 } },
  { name: 'permutations 100', layer: 'conv2', options: { permutations: 100 } },
  { name: 'bootstrap 50', layer: 'conv1', options: { bootstrap: 50 } },
  { name: 'k = 20, pcace-2021, multiple', layer: 'conv1', options: { components: 20, flavour: 'pcace-2021', rankBy: 'multiple', crossFitRepeats: 0 } },
  { name: 'stability 3, 10', layer: 'conv2', options: { stabilityComponents: [3, 10] } },
  { name: 'ablation', layer: 'conv1', options: { ablation: true } },
  { name: 'n = 3000, permutations 20', layer: 'conv2', options: { images: 3000, permutations: 20 } },
];

function cliArgs(c: Case): string[] {
  const o = c.options;
  const args = ['--layers', c.layer, '--threads', String(threads)];
  if (o.images) args.push('--n', String(o.images));
  if (o.components !== undefined) args.push('--components', String(o.components));
  if (o.flavour) args.push('--flavour', o.flavour);
  if (o.rankBy) args.push('--rank-by', o.rankBy);
  if (o.permutations) args.push('--permutations', String(o.permutations));
  if (o.crossFitRepeats !== undefined) args.push('--crossfit', String(o.crossFitRepeats));
  if (o.bootstrap) args.push('--bootstrap', String(o.bootstrap));
  if (o.stabilityComponents?.length) args.push('--stability', o.stabilityComponents.join(','));
  if (o.ablation) args.push('--ablation');
  return args;
}

const engine = await openModel(values.model!);
const model = {
  layers: engine.listConvLayers().map((l) => ({ name: l.name, channels: l.channels, mapHeight: l.mapHeight, mapWidth: l.mapWidth, kernelSize: l.kernelSize, groups: l.groups })),
  inputShape: engine.input.shape,
  format: 'onnx' as const,
};
await engine.dispose();

console.log(machineReport({ load: readFileSync('/proc/loadavg', 'utf8').trim(), model: values.model! }));
console.log('| run | estimate CPU s | measured CPU s | ratio | estimate wall s | measured wall s | ratio |');
console.log('| --- | --: | --: | --: | --: | --: | --: |');
const ratios: number[] = [];
for (const c of CASES) {
  if (values.only && !c.name.includes(values.only)) continue;
  const { layers: _l, ...defaults } = DEFAULT_ANALYSIS;
  const options = { ...defaults, ...c.options } as CostOptions;
  const est = estimateAnalysisCost({ model, layers: [c.layer], options, threads });
  const out = `/tmp/pcace-cost-${process.pid}.json`;
  const run = spawnSync('/usr/bin/time', ['-f', 'TIME %e %U %S', process.execPath, 'bin/pcace.js', 'rank', '--model', values.model!, '--data', values.data!, '--quiet', '--out', out, ...cliArgs(c)], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`pcace rank failed for ${c.name}:\n${run.stderr}`);
  const m = /TIME ([\d.]+) ([\d.]+) ([\d.]+)/.exec(run.stderr);
  if (!m) throw new Error(`no GNU time report:\n${run.stderr}`);
  const wall = Number(m[1]);
  const cpu = Number(m[2]) + Number(m[3]);
  ratios.push(est.cpuSeconds / cpu);
  console.log(`| ${c.name} (${c.layer}) | ${est.cpuSeconds.toFixed(1)} | ${cpu.toFixed(1)} | ${(est.cpuSeconds / cpu).toFixed(2)} | ${est.wallSeconds.toFixed(1)} | ${wall.toFixed(1)} | ${(est.wallSeconds / wall).toFixed(2)} |`);
}
const logs = ratios.map(Math.log);
console.log(`\nestimate / measured CPU: geometric mean ${Math.exp(logs.reduce((a, b) => a + b, 0) / logs.length).toFixed(2)}, range ${Math.min(...ratios).toFixed(2)} – ${Math.max(...ratios).toFixed(2)}`);
