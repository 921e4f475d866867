/**
 * What the importance measures cost on a whole network, against the plain
 * analysis (bench/README.md "Does a ranking mean something": the cost line).
 *
 *   npx tsx bench/importance-cost.ts [--model .data/bench/resnet18.onnx] [--n 300] [--probe 16]
 *
 * 1. The cost estimate (lib/analysis/cost.ts) of the whole network with the
 *    defaults, without and with importance measures (and their parts), and
 *    with the sanity checks alone and beside them.
 * 2. A check of the estimate's per-run price: edited runs timed at the first
 *    and the last conv layer on `probe` random images, scaled to n, against
 *    what the estimate charges for one run there.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { estimateAnalysisCost, COST, type CostOptions } from '../lib/analysis/cost';
import { withDefaults } from '../lib/analysis/options';
import { LayerEditor } from '../lib/models/layer-edit';
import { openModel } from '../lib/models/open-model';
import { Rng } from '../lib/pcace/random';
import { machineReport } from './machine';

const { values } = parseArgs({ options: { model: { type: 'string', default: '.data/bench/resnet18.onnx' }, n: { type: 'string', default: '300' }, probe: { type: 'string', default: '16' } } });
const n = Number(values.n);
const probe = Number(values.probe);

const engine = await openModel(values.model!);
const layers = engine.listConvLayers();
const model = {
  layers: layers.map((l) => ({ name: l.name, channels: l.channels, mapHeight: l.mapHeight, mapWidth: l.mapWidth, kernelSize: l.kernelSize, groups: l.groups })),
  inputShape: engine.input.shape,
  format: 'onnx' as const,
};
await engine.dispose();

const base = withDefaults({ images: n }) as unknown as CostOptions;
const est = (o: Partial<CostOptions>) => estimateAnalysisCost({ model, layers: 'all', options: { ...base, ...o }, threads: 2 });
const plain = est({});
const cases: [string, Partial<CostOptions>][] = [
  ['plain analysis (defaults)', {}],
  ['+ ablation, Taylor, activation, L1 (no conductance, no random band)', { ablation: true, conductanceSteps: 0, curveRandomOrders: 0 }],
  ['+ all measures and curves (defaults: 8 conductance steps, 10 random orders)', { ablation: true }],
  ['+ sanity checks only', { sanityChecks: true }],
  ['+ sanity checks and all measures and curves', { sanityChecks: true, ablation: true }],
];
console.log(machineReport({ load: os.loadavg().map((v) => v.toFixed(1)).join(' ') }));
console.log(`\n${values.model}: ${layers.length} conv layers, ${layers.reduce((s, l) => s + l.channels, 0)} channels, n = ${n}\n`);
console.log('| analysis | estimated CPU-h | × plain |');
console.log('| --- | --: | --: |');
for (const [name, o] of cases) {
  const e = est(o);
  console.log(`| ${name} | ${e.cpuHours.toFixed(2)} | ${(e.cpuSeconds / plain.cpuSeconds).toFixed(1)} |`);
}

// The estimate's price of one edited run at a layer: the FLOPs above it over the images.
const cin = [engine.input.shape[0]];
const rng = new Rng(1);
const per = engine.input.shape.reduce((a, b) => a * b, 1);
const images = Float32Array.from({ length: probe * per }, () => rng.normal());
console.log(`\nEdited runs timed on ${probe} images, scaled to ${n}; the estimate's price of one run at the same layer:\n`);
console.log('| layer | channels | measured s per run | estimated s per run | measured / estimated |');
console.log('| --- | --: | --: | --: | --: |');
void cin;
for (const layer of [layers[0], layers[layers.length - 1]]) {
  const editor = await LayerEditor.open(values.model!, { layer: layer.name, images, count: probe });
  const C = editor.channels;
  const mask = new Float32Array(C).fill(1);
  mask[0] = 0;
  const fill = new Float32Array(C * editor.positions);
  await editor.run(mask, fill);
  const t0 = performance.now();
  const reps = 3;
  for (let r = 0; r < reps; r++) await editor.run(mask, fill);
  const seconds = ((performance.now() - t0) / 1000 / reps) * (n / probe);
  await editor.release();
  const one = estimateAnalysisCost({ model, layers: [layer.name], options: { ...base, ablation: true, conductanceSteps: 0, curveRandomOrders: 0 }, threads: 1 });
  const zero = estimateAnalysisCost({ model, layers: [layer.name], options: base, threads: 1 });
  const runs = 1 + 4 * C + 2 + 10 * 2 * 8;
  const estimated = (one.cpuSeconds - zero.cpuSeconds) / runs;
  console.log(`| ${layer.name} | ${C} | ${seconds.toFixed(2)} | ${estimated.toFixed(2)} | ${(seconds / estimated).toFixed(2)} |`);
}
console.log(`\nload after: ${os.loadavg().map((v) => v.toFixed(1)).join(' ')}; COST.forwardFlopsPerSecond = ${COST.forwardFlopsPerSecond / 1e9} G`);
