/**
 * What running layer tasks in model processes costs: the demo ResNet-18
 * (models/demo/resnet18-mnist.onnx, 32×32 MNIST) analysed layer by layer the
 * way workers do, once in this process (runAnalysis, as workers did before)
 * and once per layer in a model process (runAnalysisSandboxed: process start,
 * TypeScript loader, ONNX Runtime, model load, the result sent back; as in a
 * worker, the next task's process is started ahead while a task runs). The two
 * alternate per layer, so a change in machine load hits both alike.
 *
 *   npx tsx bench/sandbox-overhead.ts [--layers all|a,b,c] [--images 300] [--no-reuse]
 */
import { loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_ANALYSIS } from '../lib/analysis/defaults';
import { runAnalysis } from '../lib/analysis/run-analysis';
import { prestartAnalysisProcess, runAnalysisSandboxed } from '../lib/analysis/sandboxed';
import { stopSpareProcesses } from '../lib/models/sandbox/process';
import type { AnalysisSpec } from '../lib/analysis/types';
import { openModel } from '../lib/models/open-model';
import { machineReport } from './machine';

const { values } = parseArgs({ options: { layers: { type: 'string', default: 'all' }, images: { type: 'string', default: '300' }, 'no-reuse': { type: 'boolean', default: false } } });
// As workers do: the layer tasks of one analysis run one after another in one model process.
const reuse = !values['no-reuse'];
const MODEL = path.resolve('models/demo/resnet18-mnist.onnx');

const engine = await openModel(MODEL, 'onnx');
const all = engine.listConvLayers().map((l) => l.name);
await engine.dispose();
const layers = values.layers === 'all' ? all : values.layers!.split(',');
const images = Number(values.images);

console.log(machineReport({ model: `models/demo/resnet18-mnist.onnx (${all.length} conv layers)`, images: `${images} MNIST test digits`, 'load average at start': loadavg().map((x) => x.toFixed(1)).join(' ') }));

const spec = (layer: string): AnalysisSpec => ({
  ...DEFAULT_ANALYSIS,
  images,
  layers: [layer],
  model: { path: MODEL, format: 'onnx' },
  dataset: { kind: 'mnist', split: 'test' },
  target: { kind: 'class', index: 0 },
});

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return (performance.now() - t0) / 1000;
}

// As a worker does when it starts.
prestartAnalysisProcess();
let inProcess = 0;
let sandboxed = 0;
console.log('\nlayer                 in-process   model process');
for (let i = 0; i < layers.length; i++) {
  const s = spec(layers[i]);
  const runIn = () => timed(() => runAnalysis(s));
  const runOut = () => timed(() => runAnalysisSandboxed(s, { warm: true, reuseKey: reuse ? 'one analysis' : undefined }));
  let a: number;
  let b: number;
  if (i % 2 === 0) {
    a = await runIn();
    b = await runOut();
  } else {
    b = await runOut();
    a = await runIn();
  }
  inProcess += a;
  sandboxed += b;
  console.log(`${layers[i].padEnd(20)} ${a.toFixed(2).padStart(10)} s ${b.toFixed(2).padStart(13)} s`);
}
console.log(`${'total'.padEnd(20)} ${inProcess.toFixed(1).padStart(10)} s ${sandboxed.toFixed(1).padStart(13)} s`);
console.log(`\nmodel process / in-process: ×${(sandboxed / inProcess).toFixed(3)} (${(((sandboxed - inProcess) / inProcess) * 100).toFixed(1)} % overhead, ${((sandboxed - inProcess) / layers.length).toFixed(2)} s per layer task)`);
console.log(`load average at end: ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
stopSpareProcesses();
