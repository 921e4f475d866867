/**
 * The portal against `pcace rank` on the same whole-network spec, and one
 * worker against two, timed in the same run:
 *  (a) `pcace rank` (a process: bin/pcace.js) vs the portal with one worker
 *      (all cores, as both default to);
 *  (b) one worker process with 1 thread vs two worker processes with 1 thread
 *      each (PCACE_WORKER_THREADS = PCACE_MODEL_THREADS = 1).
 * One fresh database: the model and a .npy of MNIST train digits 3
 * preprocessed for it are stored through the portal's upload code; each
 * portal run starts its workers, waits until they listen, queues an analysis
 * of every conv layer (the options' defaults, `--images`), and is timed from
 * queueing to completion. The CLI is timed as a process (wall) and by its own
 * total (timings.total_seconds, without the process start); the ratios use the
 * latter, the stricter. `--max-layers 2,1` adds portal runs with one worker
 * whose groups hold at most that many layers (PCACE_WORKER_MAX_LAYERS; 1: one
 * layer per forward pass, as workers ran before groups). Every portal run's seed-independent scores
 * (score_pc1, score_multiple, rsq of every channel) are checked against the
 * CLI's results. Rounds alternate the order of the runs.
 *
 * `--only ceiling` measures what two single-thread processes can gain on the
 * machine at all: `pcace rank` with 1 thread alone, then two such runs at
 * once; a perfect split of the work between two 1-thread processes finishes in
 * half the concurrent runs' time, so 2 × alone / concurrent bounds (b) for any
 * design.
 *
 *   npx tsx bench/portal-vs-cli.ts [--model resnet18-mnist] [--images 300] [--rounds 1] [--max-layers 2,1] [--only a|b|ceiling]
 *   npx tsx bench/portal-vs-cli.ts --onnx .data/bench/resnet18.onnx --size 224 --images 100
 *     (torchvision ResNet-18: `/usr/bin/python3 scripts/export-torchvision.py resnet18 .data/bench/resnet18.onnx`)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { machineReport } from './machine';
import { benchLab, demoModel, freshDatabase, startWorker, waitFor, writeDigitsNpy, type BenchWorker, type DemoModel } from './portal-fixture';
import type { AnalysisResult } from '../lib/analysis/types';
import { closeDb, db } from '../lib/db/client';
import { PROJECT_ROOT } from '../lib/db/migrate';
import { createAnalysis } from '../lib/server/analysis-create';
import { closeStore } from '../lib/storage/backend';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'resnet18-mnist' },
    onnx: { type: 'string' },
    size: { type: 'string', default: '224' },
    images: { type: 'string', default: '300' },
    rounds: { type: 'string', default: '1' },
    'max-layers': { type: 'string', default: '' },
    only: { type: 'string', default: '' },
  },
});
const IMAGES = Number(values.images);
const ROUNDS = Math.max(1, Number(values.rounds));
const DIGIT = 3;
const load = () => loadavg()[0];

/** A demo model, or an ImageNet-style ONNX file fed MNIST digits stretched to size² and replicated to RGB. */
const model: DemoModel = values.onnx
  ? {
      name: path.basename(values.onnx, '.onnx'),
      file: path.basename(values.onnx),
      path: path.resolve(values.onnx),
      preprocessing: { width: Number(values.size), height: Number(values.size), channels: 3, resize: 'stretch', scale: 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], channelOrder: 'RGB' },
    }
  : demoModel(values.model!);

/** A portal configuration: workers, threads each (null: all cores) and the most layers a worker's group holds (null: no bound). */
interface Portal {
  kind: string;
  workers: number;
  threads: number | null;
  maxLayers: number | null;
}

const PORTAL_A: Portal = { kind: 'portal 1 worker', workers: 1, threads: null, maxLayers: null };
const ONE_THREAD: Portal = { kind: '1 worker × 1 thread', workers: 1, threads: 1, maxLayers: null };
const TWO_THREADS: Portal = { kind: '2 workers × 1 thread', workers: 2, threads: 1, maxLayers: null };
const LIMITED: Portal[] = values['max-layers']!
  .split(',')
  .filter(Boolean)
  .map((l) => ({ kind: `portal 1 worker, groups of ≤ ${Number(l)} layers`, workers: 1, threads: null, maxLayers: Number(l) }));

type Kind = string;

interface Run {
  kind: Kind;
  seconds: number;
  /** The CLI's own total (without the process start). */
  inner?: number;
  /** Groups run and forward passes made, over all workers. */
  groups?: number;
  passes?: number;
  /** Layers per worker. */
  split?: number[];
  /** Each group's own run time (its model process: load, passes, statistics), seconds. */
  groupSeconds?: number[];
  loadStart: number;
  loadEnd: number;
  /** Channels whose seed-independent scores differ from the CLI's. */
  mismatches?: number;
}

const work = mkdtempSync(path.join(tmpdir(), 'pcace-bench-portal-cli-'));
const npy = path.join(work, 'digits.npy');
await writeDigitsNpy(npy, model.preprocessing, IMAGES, DIGIT);
const fresh = await freshDatabase('pcace_bench_portal_cli');
process.env.DATABASE_URL = fresh.url;
process.env.PCACE_STORAGE = 'directory';
process.env.STORAGE_DIR = path.join(work, 'storage');
process.env.PCACE_NO_SEED = '1';

console.log(
  machineReport({
    model: `${model.path} (every conv layer, default options)`,
    images: `${IMAGES} MNIST train digits ${DIGIT}, uploaded as .npy (${(readFileSync(npy).length / 2 ** 20).toFixed(1)} MB)`,
    'load average at start': loadavg().map((x) => x.toFixed(1)).join(' '),
  }),
);

let cliResult: AnalysisResult | null = null;

/** `pcace rank` on the spec as a process; `oneThread`: 1 statistics thread and 1 ONNX Runtime thread, as a 1-thread worker; `out` names its results. */
async function runCli(oneThread = false, out = path.join(work, 'cli.json')): Promise<Run> {
  const loadStart = load();
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [
      path.join(PROJECT_ROOT, 'bin/pcace.js'), 'rank', '--model', model.path, '--data', npy, '--class', String(DIGIT), '--n', String(IMAGES), '--out', out, '--quiet',
      ...(oneThread ? ['--threads', '1'] : []),
    ],
    { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...(oneThread ? { PCACE_MODEL_THREADS: '1' } : {}) } },
  );
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  if (code !== 0) throw new Error(`pcace rank failed (${code}):\n${log}`);
  const seconds = (performance.now() - t0) / 1000;
  const result = JSON.parse(readFileSync(out, 'utf8')) as AnalysisResult;
  if (!oneThread) cliResult = result;
  return { kind: oneThread ? 'cli 1 thread' : 'cli', seconds, inner: result.timings.total_seconds, passes: result.timings.forward_passes, loadStart, loadEnd: load() };
}

/** (b)'s ceiling on this machine: one 1-thread `pcace rank` alone, then two at once (each the whole spec). */
async function runCeiling(): Promise<void> {
  const alone = await runCli(true);
  report(alone);
  const both = await Promise.all([runCli(true, path.join(work, 'cli-1.json')), runCli(true, path.join(work, 'cli-2.json'))]);
  for (const r of both) report({ ...r, kind: 'cli 1 thread, two at once' });
  const concurrent = Math.max(...both.map((r) => r.inner!));
  console.log(
    `\n(b) ceiling: two 1-thread runs at once took ${(concurrent / alone.inner!).toFixed(3)}× one alone (own totals), ` +
      `so two 1-thread processes finish one run's work at most ${((2 * alone.inner!) / concurrent).toFixed(3)}× faster than one`,
  );
}

async function runPortal({ kind, workers, threads, maxLayers }: Portal, lab: Awaited<ReturnType<typeof benchLab>>): Promise<Run> {
  // Room for every worker of the run (the lab's limit counts workers).
  await db.lab.update({ where: { id: lab.ctx.lab.id }, data: { maxRunningTasks: Math.max(2, workers) } });
  const started: BenchWorker[] = [];
  try {
    for (let i = 0; i < workers; i++) {
      started.push(
        startWorker({
          DATABASE_URL: fresh.url,
          PCACE_STORAGE: 'directory',
          STORAGE_DIR: path.join(work, 'storage'),
          PCACE_WORKER_ID: `bench-${i + 1}`,
          ...(threads ? { PCACE_WORKER_THREADS: String(threads), PCACE_MODEL_THREADS: String(threads) } : {}),
          ...(maxLayers ? { PCACE_WORKER_MAX_LAYERS: String(maxLayers) } : {}),
        }),
      );
    }
    // Listening, so that the first claim sees every worker and leaves the others their share.
    await waitFor(async () => started.every((w) => w.log().includes('] ready')), 'the workers', 120_000);
    const loadStart = load();
    const t0 = performance.now();
    const analysis = await createAnalysis(lab.ctx, {
      modelVersionId: lab.version.id,
      datasetId: lab.dataset.id,
      target: { kind: 'class', index: DIGIT },
      layers: 'all',
      options: { images: IMAGES },
      title: kind,
    });
    await waitFor(
      async () => {
        const a = await db.analysis.findUniqueOrThrow({ where: { id: analysis.id }, select: { status: true, error: true } });
        if (a.status === 'failed') throw new Error(`analysis failed: ${a.error}\n${started.map((w) => w.log()).join('\n')}`);
        return a.status === 'completed';
      },
      'the analysis',
      6 * 3600_000,
    );
    const seconds = (performance.now() - t0) / 1000;
    const groups = started.flatMap((w) => [...w.log().matchAll(new RegExp(`ran ${analysis.id}/.+ in (\\d+) forward pass.* ([\\d.]+) s in all`, 'g'))]);
    const ran = groups.map((m) => Number(m[1]));
    const tasks = await db.layerTask.findMany({ where: { analysisId: analysis.id }, select: { lockedBy: true } });
    const split = started.map((_, i) => tasks.filter((t) => t.lockedBy === `bench-${i + 1}`).length);
    const groupSeconds = groups.map((m) => Number(m[2]));
    return { kind, seconds, groups: ran.length, passes: ran.reduce((a, b) => a + b, 0), split, groupSeconds, loadStart, loadEnd: load(), mismatches: await mismatches(analysis.id) };
  } finally {
    for (const w of started) await w.stop();
  }
}

/** Channels whose score_pc1, score_multiple or rsq differ from the CLI's in the digits stored (needs a CLI run first). */
async function mismatches(analysisId: string): Promise<number | undefined> {
  if (!cliResult) return undefined;
  const stored = await db.layerResult.findMany({ where: { analysisId }, include: { channels: true } });
  let bad = 0;
  for (const layer of cliResult.layers) {
    const rows = new Map(stored.find((l) => l.name === layer.name)?.channels.map((c) => [c.channel, c]) ?? []);
    for (const c of layer.channels) {
      const r = rows.get(c.index);
      // To the 16 significant digits stored rows keep; they hold 0 where the JSON has null (a score that is not finite).
      const same = (stored: number, cli: number | null) => stored.toPrecision(16) === (cli ?? 0).toPrecision(16);
      if (!r || !same(r.scorePc1, c.score_pc1) || !same(r.scoreMultiple, c.score_multiple) || !same(r.rsq, c.rsq)) bad++;
    }
  }
  return bad;
}

const runs: Run[] = [];
try {
  if (values.only === 'ceiling') await runCeiling();
  else {
    const lab = await benchLab('bench-portal-cli@pcace.lab', model, npy);
    const portals = values.only === 'b' ? [ONE_THREAD, TWO_THREADS] : values.only === 'a' ? [PORTAL_A, ...LIMITED] : [PORTAL_A, ...LIMITED, ONE_THREAD, TWO_THREADS];
    for (let round = 0; round < ROUNDS; round++) {
      // The CLI first in every round: the portal runs are checked against its latest results.
      if (values.only !== 'b') {
        runs.push(await runCli());
        report(runs[runs.length - 1]);
      }
      for (const portal of round % 2 === 0 ? portals : [...portals].reverse()) {
        const r = await runPortal(portal, lab);
        runs.push(r);
        report(r);
      }
    }
  }
} finally {
  await closeStore();
  await closeDb();
  await fresh.drop();
  rmSync(work, { recursive: true, force: true });
}

function report(r: Run): void {
      const detail =
        r.kind.startsWith('cli')
          ? `(its own total ${r.inner!.toFixed(1)} s, ${r.passes} forward pass${r.passes === 1 ? '' : 'es'})`
          : `(${r.groups} group${r.groups === 1 ? '' : 's'}, ${r.passes} forward passes, layers per worker ${r.split!.join(' + ')}, ` +
            `groups' own times ${r.groupSeconds!.map((x) => x.toFixed(1)).join(' / ')} s; channels differing from the CLI: ${r.mismatches ?? 'not checked'})`;
  console.log(`${r.kind.padEnd(32)} ${r.seconds.toFixed(1).padStart(8)} s ${detail}; load ${r.loadStart.toFixed(1)} → ${r.loadEnd.toFixed(1)}`);
}

const mean = (k: Kind, f: (r: Run) => number = (r) => r.seconds) => {
  const xs = runs.filter((r) => r.kind === k).map(f);
  return xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : NaN;
};
const cliInner = mean('cli', (r) => r.inner!);
if (values.only !== 'b' && values.only !== 'ceiling') console.log(`\n(a) portal, 1 worker / CLI: ${(mean('portal 1 worker') / cliInner).toFixed(3)} against the CLI's own total, ${(mean('portal 1 worker') / mean('cli')).toFixed(3)} against its process`);
for (const p of LIMITED) console.log(`    ${p.kind} / CLI: ${(mean(p.kind) / cliInner).toFixed(3)}`);
if (values.only !== 'a' && values.only !== 'ceiling') console.log(`(b) 1 worker × 1 thread / 2 workers × 1 thread: ${(mean('1 worker × 1 thread') / mean('2 workers × 1 thread')).toFixed(3)}× faster with two`);
console.log(`load average at end: ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
