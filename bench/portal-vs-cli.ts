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
 * queueing to completion (watched every 250 ms through one plain connection:
 * Prisma's queries would add CPU-seconds beside the run). The CLI is timed as
 * a process (wall) and by its own total (timings.total_seconds, without the
 * process start); the ratios use the latter, the stricter. Each run also
 * prints the CPU seconds it took by process (the CLI under time(1); the
 * worker, its model processes, the PostgreSQL backends of the database and
 * the bench from /proc; with two workers, each one's group too), when the
 * claim, the model process and the first and last stored layer came (over all
 * workers, then per worker with its group's end, forward pass and own time),
 * and how long storing each layer took.
 * `--max-layers 2,1` adds portal runs with one worker whose groups hold at
 * most that many layers (PCACE_WORKER_MAX_LAYERS; 1: one layer per forward
 * pass, as workers ran before groups). Every portal run's seed-independent
 * scores (score_pc1, score_multiple, rsq of every channel) are checked against
 * the CLI's results. Rounds alternate the order of the runs.
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
import pg from 'pg';
import { machineReport } from './machine';
import { procCpu, treeCpu, type ProcCpu } from './proc-cpu';
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
  /** CPU seconds (user + system) over the timed interval, by process. */
  cpu?: Record<string, number>;
  /** Seconds from queueing to: the claim, the model process's start, the first and the last layer stored. */
  timeline?: Record<string, number>;
  /** Milliseconds each layer took to store (persistLayer), in the order stored. */
  stores?: number[];
  /** Work-taking lines of the workers: what a worker took of the other's group, or why it took nothing. */
  takes?: string[];
  /** Each worker's own timeline: seconds from queueing, and its group's forward pass and own time. */
  perWorker?: Record<string, number>[];
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
  // Under time(1) for (a) and (b): the CPU seconds of the process, its threads included (the ceiling's runs as they were).
  const timeFile = values.only === 'ceiling' ? null : `${out}.time`;
  const child = spawn(
    timeFile ? '/usr/bin/time' : process.execPath,
    [
      ...(timeFile ? ['-f', '%U %S', '-o', timeFile, process.execPath] : []),
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
  const [user, sys] = timeFile ? readFileSync(timeFile, 'utf8').trim().split(/\s+/).slice(-2).map(Number) : [NaN, NaN];
  return {
    kind: oneThread ? 'cli 1 thread' : 'cli', seconds, inner: result.timings.total_seconds, passes: result.timings.forward_passes, loadStart, loadEnd: load(),
    ...(timeFile ? { cpu: { 'pcace rank': user + sys } } : {}),
  };
}

/**
 * (b)'s ceiling on this machine: one 1-thread `pcace rank` alone, then two at
 * once (each the whole spec), `--rounds` times. Two processes at once finish
 * two runs' work in the slower one's time, so a perfect split of one run's
 * work between them takes half of it.
 */
async function runCeiling(): Promise<void> {
  const alone: number[] = [];
  const together: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const one = await runCli(true);
    report(one);
    alone.push(one.inner!);
    const both = await Promise.all([runCli(true, path.join(work, 'cli-1.json')), runCli(true, path.join(work, 'cli-2.json'))]);
    for (const r of both) report({ ...r, kind: 'cli 1 thread, two at once' });
    together.push(Math.max(...both.map((r) => r.inner!)));
  }
  const avg = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  console.log(
    `\n(b) ceiling over ${ROUNDS} round${ROUNDS === 1 ? '' : 's'}: two 1-thread runs at once took ${(avg(together) / avg(alone)).toFixed(3)}× one alone (own totals, the slower of the two), ` +
      `so two 1-thread processes finish one run's work at most ${((2 * avg(alone)) / avg(together)).toFixed(3)}× faster than one`,
  );
}

async function runPortal({ kind, workers, threads, maxLayers }: Portal, lab: Awaited<ReturnType<typeof benchLab>>): Promise<Run> {
  // Room for every worker of the run (the lab's limit counts workers).
  await db.lab.update({ where: { id: lab.ctx.lab.id }, data: { maxRunningTasks: Math.max(2, workers) } });
  const started: BenchWorker[] = [];
  const cleanup: (() => Promise<void>)[] = [];
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
    // Watched through one plain connection: the bench's own queries every 250 ms cost the machine little beside the run.
    const observer = new pg.Client({ connectionString: fresh.url });
    await observer.connect();
    cleanup.push(() => observer.end());
    const cpuBefore = await cpuSnapshot(started);
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
        const { rows: [a] } = await observer.query<{ status: string; error: string | null }>('SELECT status::text AS status, error FROM "Analysis" WHERE id = $1', [analysis.id]);
        if (a.status === 'failed') throw new Error(`analysis failed: ${a.error}\n${started.map((w) => w.log()).join('\n')}`);
        return a.status === 'completed';
      },
      'the analysis',
      6 * 3600_000,
    );
    const seconds = (performance.now() - t0) / 1000;
    const cpu = cpuDelta(cpuBefore, await cpuSnapshot(started), started);
    const groups = started.flatMap((w) => [...w.log().matchAll(new RegExp(`ran ${analysis.id}/.+ in (\\d+) forward pass.* ([\\d.]+) s in all`, 'g'))]);
    const ran = groups.map((m) => Number(m[1]));
    const tasks = await db.layerTask.findMany({ where: { analysisId: analysis.id }, select: { lockedBy: true, takenFrom: true } });
    const split = started.map((_, i) => tasks.filter((t) => t.lockedBy === `bench-${i + 1}`).length);
    const groupSeconds = groups.map((m) => Number(m[2]));
    const at = (re: RegExp, last = false) => {
      const hits = started.flatMap((w) => w.lines()).filter((l) => re.test(l.line)).map((l) => (l.at - t0) / 1000);
      return hits.length ? (last ? Math.max(...hits) : Math.min(...hits)) : NaN;
    };
    // Where a run's time goes beside its groups: when each worker claimed, got its model process, stored its first and last layer, logged its group's end.
    const perWorker = started.map((w) => {
      const when = (re: RegExp, last = false) => {
        const hits = w.lines().filter((l) => re.test(l.line)).map((l) => (l.at - t0) / 1000);
        return hits.length ? (last ? Math.max(...hits) : Math.min(...hits)) : NaN;
      };
      const ranLine = new RegExp(`ran ${analysis.id}/.+ \\(([\\d.]+) s forward, ([\\d.]+) s in all\\)`);
      const ranMatch = w.lines().map((l) => ranLine.exec(l.line)).find(Boolean);
      return {
        claimed: when(new RegExp(`claimed ${analysis.id}/`)),
        'model process': when(new RegExp(`model process \\d+ runs ${analysis.id}/`)),
        'first stored': when(new RegExp(`completed ${analysis.id}/`)),
        'last stored': when(new RegExp(`completed ${analysis.id}/`), true),
        'group ended': when(new RegExp(`ran ${analysis.id}/`)),
        forward: ranMatch ? Number(ranMatch[1]) : NaN,
        'group own': ranMatch ? Number(ranMatch[2]) : NaN,
        // Work-taking (lib/queue/work-taking.ts): when it took layers of the other's group, how many, and when its last group ended.
        took: when(new RegExp(`took (?!nothing).+ of ${analysis.id} from`)),
        'layers taken': tasks.filter((t) => t.takenFrom !== null && t.lockedBy === `bench-${started.indexOf(w) + 1}`).length || NaN,
        'last group ended': when(new RegExp(`ran ${analysis.id}/`), true),
      };
    });
    const timeline = {
      claimed: at(new RegExp(`claimed ${analysis.id}/`)),
      'model process': at(new RegExp(`model process \\d+ runs ${analysis.id}/`)),
      'first layer stored': at(new RegExp(`completed ${analysis.id}/`)),
      'last layer stored': at(new RegExp(`completed ${analysis.id}/`), true),
    };
    return {
      kind, seconds, groups: ran.length, passes: ran.reduce((a, b) => a + b, 0), split, groupSeconds, loadStart, loadEnd: load(), mismatches: await mismatches(analysis.id),
      cpu, timeline, perWorker,
      takes: started.flatMap((w, i) => w.lines().filter((l) => l.line.includes(`of ${analysis.id} from`)).map((l) => `worker ${i + 1} at ${((l.at - t0) / 1000).toFixed(2)} s: ${l.line.replace(/^.*?\] /, '')}`)),
      stores: started.flatMap((w) => [...w.log().matchAll(new RegExp(`completed ${analysis.id}/\\S+ \\(stored in (\\d+) ms\\)`, 'g'))].map((m) => Number(m[1]))),
    };
  } finally {
    for (const w of started) await w.stop();
    for (const f of cleanup) await f();
  }
}

interface CpuSnapshot {
  /** The bench process itself. */
  bench: NodeJS.CpuUsage;
  /** Each worker's process tree: the worker, its model processes, and its ended children's sum. */
  workers: Map<number, ProcCpu>[];
  /** PostgreSQL backends connected to the bench's database. */
  backends: Map<number, ProcCpu>;
}

async function cpuSnapshot(workers: BenchWorker[]): Promise<CpuSnapshot> {
  const rows = await db.$queryRaw<{ pid: number }[]>`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`;
  const backends = new Map<number, ProcCpu>();
  for (const { pid } of rows) {
    const c = procCpu(pid);
    if (c) backends.set(pid, c);
  }
  return { bench: process.cpuUsage(), workers: workers.map((w) => treeCpu(w.child.pid!)), backends };
}

/**
 * CPU seconds spent between two snapshots: the worker processes, their model
 * processes (the one that ran the group, and any other: the spare started for
 * the next job), PostgreSQL's backends of the database (those that ended
 * between the snapshots are missing) and the bench process.
 */
function cpuDelta(a: CpuSnapshot, b: CpuSnapshot, workers: BenchWorker[]): Record<string, number> {
  const out: Record<string, number> = { worker: 0, 'model process (group)': 0, 'model process (spare)': 0, 'ended children': 0, postgres: 0, bench: 0 };
  workers.forEach((w, i) => {
    const pid = w.child.pid!;
    const ran = new Set([...w.log().matchAll(/model process (\d+) runs/g)].map((m) => Number(m[1])));
    for (const [p, c] of b.workers[i]) {
      const before = a.workers[i].get(p) ?? { self: 0, children: 0 };
      if (p === pid) {
        out.worker += c.self - before.self;
        out['ended children'] += c.children - before.children;
      } else {
        const kind = ran.has(p) ? 'model process (group)' : 'model process (spare)';
        out[kind] += c.self - before.self;
        // Per worker too: the slower group's CPU bounds the run on an idle machine.
        if (workers.length > 1 && ran.has(p)) out[`group of worker ${i + 1}`] = (out[`group of worker ${i + 1}`] ?? 0) + c.self - before.self;
      }
    }
  });
  for (const [p, c] of b.backends) out.postgres += c.self - (a.backends.get(p)?.self ?? 0);
  out.bench = (b.bench.user + b.bench.system - a.bench.user - a.bench.system) / 1e6;
  return out;
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
  const list = (o: Record<string, number>, unit: string) =>
    Object.entries(o)
      .filter(([, v]) => Number.isFinite(v))
      .map(([k, v]) => (k === 'layers taken' ? `${k} ${v}` : `${k} ${v.toFixed(2)}${unit}`))
      .join(', ');
  if (r.cpu) console.log(`${''.padEnd(33)}CPU s: ${list(r.cpu, '')}`);
  if (r.timeline) console.log(`${''.padEnd(33)}after queueing: ${list(r.timeline, ' s')}`);
  if (r.perWorker) r.perWorker.forEach((w, i) => console.log(`${''.padEnd(33)}worker ${i + 1}: ${list(w, ' s')}`));
  for (const t of r.takes ?? []) console.log(`${''.padEnd(33)}${t}`);
  if (r.stores?.length) {
    const sum = r.stores.reduce((a, b) => a + b, 0);
    console.log(`${''.padEnd(33)}storing the layers: ${sum} ms in all (${r.stores.join(', ')} ms)`);
  }
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
