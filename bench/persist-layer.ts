/**
 * What storing a whole network's layers costs a worker (lib/queue/persist.ts:
 * the task's completion, the layer's rows and the analysis' progress, or its
 * completion, in one transaction per layer), apart from the run that scores
 * them: the CPU of this process (the worker's side) and of its PostgreSQL
 * backends, the wall time, and the size and cost of each layer's message from
 * the model process (structured clone, as the IPC channel serialises it).
 *
 * The layers are those of a `pcace rank` results file, stored `--rounds` times
 * into fresh analyses of the same model (every conv layer, claimed as one
 * worker's group). Make the file with e.g.
 *   node bin/pcace.js rank --model models/demo/resnet18-mnist.onnx --data mnist:3 --class 3 --n 100 --out /tmp/r.json
 *   npx tsx bench/persist-layer.ts /tmp/r.json [--rounds 5]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { deserialize, serialize } from 'node:v8';
import { machineReport } from './machine';
import { benchLab, demoModel, freshDatabase, writeDigitsNpy } from './portal-fixture';
import { procCpu } from './proc-cpu';
import type { AnalysisResult } from '../lib/analysis/types';
import { closeDb, db } from '../lib/db/client';
import { queueConfig } from '../lib/queue/config';
import { startAnalysis } from '../lib/queue/analysis-status';
import { claimTasks } from '../lib/queue/layer-tasks';
import { persistLayer } from '../lib/queue/persist';
import { createAnalysis } from '../lib/server/analysis-create';
import { closeStore } from '../lib/storage/backend';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { rounds: { type: 'string', default: '5' }, model: { type: 'string', default: 'resnet18-mnist' } } });
const result = JSON.parse(readFileSync(positionals[0], 'utf8')) as AnalysisResult;
const ROUNDS = Number(values.rounds);

// The layer messages: what the model process's `part` messages carry (lib/analysis/sandbox-jobs.ts).
const run = { model: result.model, dataset: result.dataset, versions: result.versions };
let bytes = 0;
const t0 = process.cpuUsage();
for (let i = 0; i < 10; i++) {
  for (const layer of result.layers) {
    const message = serialize({ type: 'part', value: { layer, run } });
    deserialize(message);
    bytes += message.length;
  }
}
const ipc = process.cpuUsage(t0);

const work = mkdtempSync(path.join(tmpdir(), 'pcace-bench-persist-'));
const fresh = await freshDatabase('pcace_bench_persist');
process.env.DATABASE_URL = fresh.url;
process.env.PCACE_STORAGE = 'directory';
process.env.STORAGE_DIR = path.join(work, 'storage');
process.env.PCACE_NO_SEED = '1';
const model = demoModel(values.model!);
const channels = result.layers.reduce((s, l) => s + l.channels.length, 0);
console.log(
  machineReport({
    results: `${positionals[0]}: ${result.layers.length} layers, ${channels} channels`,
    'load average at start': loadavg().map((x) => x.toFixed(1)).join(' '),
  }),
);
console.log(
  `layer messages: ${(bytes / 10 / 2 ** 10).toFixed(0)} KiB per network (largest layer ${(Math.max(...result.layers.map((layer) => serialize({ layer, run }).length)) / 2 ** 10).toFixed(0)} KiB); ` +
    `serialising and reading them back ${((ipc.user + ipc.system) / 10 / 1000).toFixed(1)} ms CPU per network`,
);

try {
  const npy = path.join(work, 'digits.npy');
  await writeDigitsNpy(npy, model.preprocessing, 20, 3);
  const lab = await benchLab('bench-persist@pcace.lab', model, npy);
  await db.lab.update({ where: { id: lab.ctx.lab.id }, data: { maxRunningTasks: 100 } });
  const cfg = queueConfig();
  const rows: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const analysis = await createAnalysis(lab.ctx, { modelVersionId: lab.version.id, datasetId: lab.dataset.id, target: { kind: 'class', index: 3 }, layers: 'all', options: { images: 20 } });
    const tasks = await claimTasks(db, 'bench-persist', cfg);
    if (tasks.length !== result.layers.length || tasks.some((t) => t.analysisId !== analysis.id)) throw new Error('the claimed group is not the analysis of the results file');
    await startAnalysis(db, analysis.id);
    const backends = await db.$queryRaw<{ pid: number }[]>`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`;
    const pgCpu = () => backends.reduce((s, b) => s + (procCpu(b.pid)?.self ?? 0), 0);
    const pg0 = pgCpu();
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    const each: number[] = [];
    for (const [i, t] of tasks.entries()) {
      const l0 = performance.now();
      await persistLayer(db, t, 'bench-persist', result.layers[i], run);
      each.push(performance.now() - l0);
    }
    const c = process.cpuUsage(c0);
    const wall = performance.now() - w0;
    const status = await db.analysis.findUniqueOrThrow({ where: { id: analysis.id }, select: { status: true } });
    if (status.status !== 'completed') throw new Error(`the analysis is ${status.status} after its last layer`);
    rows.push(
      `| ${round + 1} | ${((c.user + c.system) / 1000).toFixed(0)} | ${((pgCpu() - pg0) * 1000).toFixed(0)} | ${wall.toFixed(0)} | ${each.slice(0, -1).reduce((a, b) => Math.max(a, b), 0).toFixed(0)} | ${each[each.length - 1].toFixed(0)} |`,
    );
  }
  console.log(`\n| round | worker CPU ms | PostgreSQL CPU ms | wall ms | slowest layer ms | last layer (completion) ms |\n| ---: | ---: | ---: | ---: | ---: | ---: |\n${rows.join('\n')}`);
  console.log(`load average at end: ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
} finally {
  await closeStore();
  await closeDb();
  await fresh.drop();
  rmSync(work, { recursive: true, force: true });
}
