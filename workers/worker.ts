/**
 * A queue worker: claims a group of layer tasks of one analysis at a time
 * (lib/queue/layer-tasks.ts sizes it so that free workers share the
 * analysis), runs it with lib/analysis as one run in a model process
 * (lib/models/sandbox: capped memory, time and threads), renews the tasks'
 * leases, honours cancel requests within a second by killing that process,
 * and writes each layer through lib/queue as soon as it is scored. Any number
 * may run, on any machines that reach the database.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { PrismaClient } from '../lib/db/generated/client';
import { AnalysisCancelled } from '../lib/analysis/run-analysis';
import { prestartAnalysisProcess, runLayerGroupSandboxed } from '../lib/analysis/sandboxed';
import { stopSpareProcesses } from '../lib/models/sandbox/process';
import { cleanOrphanSpills } from '../lib/models/sandbox/spill';
import { PcaceInputError } from '../lib/pcace/validate';
import { queueConfig, TASKS_CHANNEL, type QueueConfig } from '../lib/queue/config';
import { cancelAnalysis, failAnalysis, failTask, releaseTask, startAnalysis } from '../lib/queue/analysis-status';
import { claimTasks, WORKER_APPLICATION_NAME, type ClaimedTask } from '../lib/queue/layer-tasks';
import { specFromRow } from '../lib/queue/spec-from-db';
import { takeTasks, type GroupPace } from '../lib/queue/work-taking';
import { Wakeup } from '../lib/queue/wakeup';
import { ArtifactRunner } from './artifacts';
import { LayerGroup } from './layer-group';

export interface WorkerOptions {
  db: PrismaClient;
  databaseUrl: string;
  id?: string;
  config?: QueueConfig;
  /** Statistics threads per task (default: all cores). */
  threads?: number;
  log?: (line: string) => void;
}

export class Worker {
  readonly id: string;
  private readonly cfg: QueueConfig;
  private stopping = false;
  /** Set by a notification or stop(), also when it arrives mid-claim (wakeup.ts). */
  private readonly wakeup = new Wakeup();
  private listener: pg.Client | null = null;
  /** The listening connection is up: cancel polls use it (a plain query costs a fraction of a Prisma one). */
  private listening = false;
  private readonly log: (line: string) => void;
  /** Artifacts (maps, Grad-CAM, groups, an analysis' network-wide curves) run only when no layer task is waiting. */
  private readonly artifacts: ArtifactRunner;

  constructor(private readonly opts: WorkerOptions) {
    this.id = opts.id ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.cfg = opts.config ?? queueConfig();
    this.log = opts.log ?? ((line) => process.stdout.write(`[worker ${this.id}] ${line}\n`));
    this.artifacts = new ArtifactRunner({ db: opts.db, workerId: this.id, config: this.cfg, threads: opts.threads, log: this.log });
  }

  /** Runs until stop(); resolves when the current group of tasks (if any) has ended. */
  async run(): Promise<void> {
    // Spill folders of workers on this host that were killed: nobody else removes them.
    for (const dir of cleanOrphanSpills()) this.log(`removed the orphaned spill folder ${dir}`);
    const loading = prestartAnalysisProcess(this.opts.threads);
    await this.listen();
    // Ready once the first group's model process has loaded: work claimed before would wait for it.
    await loading;
    this.log('ready');
    /** The group this worker ran last, while it may take layers of the same analysis from another worker. */
    let last: { analysisId: string; pace: GroupPace } | null = null;
    while (!this.stopping) {
      this.wakeup.clear();
      let tasks: ClaimedTask[] = [];
      try {
        tasks = await claimTasks(this.opts.db, this.id, this.cfg, { maxTasks: this.cfg.maxGroupLayers });
        // Nothing queued for any lab: layers of the analysis it just ran that another worker has not started.
        if (!tasks.length && last) tasks = await takeTasks(this.opts.db, this.id, last.analysisId, this.cfg, last.pace, { log: this.log });
      } catch (err) {
        this.log(`claim failed: ${(err as Error).message}`);
      }
      if (tasks.length) {
        const pace = await this.execute(tasks);
        last = pace && { analysisId: tasks[0].analysisId, pace };
        continue;
      }
      last = null;
      // The next group's model process, loaded while the worker waits (after any take: beside the other worker's group it would take CPU).
      void prestartAnalysisProcess(this.opts.threads);
      if (!(await this.artifacts.runOne())) await this.wakeup.wait(this.cfg.pollSeconds * 1000);
    }
    await this.listener?.end().catch(() => {});
    stopSpareProcesses();
    this.log('stopped');
  }

  /** Finish the current group of tasks, then stop (SIGTERM). */
  stop(): void {
    this.stopping = true;
    this.wakeup.signal();
  }

  private async listen(): Promise<void> {
    // Named, so claims count the live workers in pg_stat_activity (on every machine) to size their groups.
    const client = new pg.Client({ connectionString: this.opts.databaseUrl, application_name: WORKER_APPLICATION_NAME });
    client.on('notification', () => this.wakeup.signal());
    // A lost listener only costs latency: the poll still finds work, and cancel polls go through Prisma.
    client.on('error', (err) => {
      this.listening = false;
      this.log(`listener error: ${err.message}`);
    });
    client.on('end', () => (this.listening = false));
    await client.connect();
    await client.query(`LISTEN ${TASKS_CHANNEL}`);
    this.listener = client;
    this.listening = true;
  }

  /** The analysis' cancel flag, through the listening connection while it is up. */
  private readonly cancelFlag = async (analysisId: string): Promise<boolean> => {
    if (this.listener && this.listening) {
      const { rows } = await this.listener.query<{ cancelRequested: boolean }>('SELECT "cancelRequested" FROM "Analysis" WHERE id = $1', [analysisId]);
      return rows[0]?.cancelRequested ?? false;
    }
    const rows = await this.opts.db.$queryRaw<{ cancelRequested: boolean }[]>`SELECT "cancelRequested" FROM "Analysis" WHERE id = ${analysisId}`;
    return rows[0]?.cancelRequested ?? false;
  };

  /**
   * Runs a claimed group of layer tasks of one analysis as one run in a model
   * process (one forward pass for all its layers), storing each layer as the
   * process sends it (layer-group.ts). Returns its pace when it ran to its end
   * (what a take of the same analysis' layers is judged by), else null.
   */
  private async execute(tasks: ClaimedTask[]): Promise<GroupPace | null> {
    const { db } = this.opts;
    const group = new LayerGroup(db, this.id, tasks, this.log, this.cancelFlag);
    const { analysisId } = group;
    this.log(`claimed ${group.label}`);
    await startAnalysis(db, analysisId);
    group.start(this.cfg);
    try {
      const row = await db.analysis.findUniqueOrThrow({ where: { id: analysisId }, include: { modelVersion: true, dataset: true } });
      // The model and dataset as local files: a worker on another machine fetches them from the store once.
      const local = await specFromRow(row as never, group.layerNames);
      const timings = await runLayerGroupSandboxed(local.spec, {
        threads: this.opts.threads,
        shouldStop: group.shouldStop,
        onProgress: group.onProgress,
        onLayer: group.onLayer,
        onStart: (pid) => this.log(`model process ${pid} runs ${group.label}`),
        log: this.log,
        warm: true,
        // Groups of one analysis share a model process: same model and images, warm runtime and data.
        reuseKey: analysisId,
        mayScoreLayer: group.mayScoreLayer,
      }).finally(() => local.release());
      await group.settle();
      if (group.storeError) throw group.storeError;
      const missing = group.unfinished();
      if (missing.length) throw new Error(`the model process ended without the results of ${missing.map((t) => t.layerName).join(', ')}`);
      const taken = group.takenLayers;
      const pace = group.pace(timings.total_seconds);
      this.log(
        `ran ${analysisId}/${group.layerNames.filter((l) => !taken.includes(l)).join(', ')} in ${timings.forward_passes} forward pass${timings.forward_passes === 1 ? '' : 'es'} ` +
          `(${timings.forward_seconds.toFixed(1)} s forward, ${timings.total_seconds.toFixed(1)} s in all)` +
          (pace ? `, ${pace.overheadSeconds.toFixed(1)} s of it outside its layers` : '') +
          (taken.length ? `; another worker took ${taken.join(', ')}` : ''),
      );
      return pace;
    } catch (err) {
      await group.settle();
      await this.handleFailure(group, group.storeError ?? (err as Error)).catch((e) =>
        this.log(`could not record the end of ${group.label}: ${(e as Error).stack ?? (e as Error).message}`),
      );
      return null;
    }
  }

  /** The group stopped early: its tasks still ours and not stored are cancelled, released for another attempt or failed. */
  private async handleFailure(group: LayerGroup, err: Error): Promise<void> {
    const { db } = this.opts;
    const { analysisId } = group;
    const open = group.unfinished();
    if (group.cancelRequested || (err instanceof AnalysisCancelled && !group.lost)) {
      await cancelAnalysis(db, analysisId);
      this.log(`cancelled ${analysisId}`);
      return;
    }
    if (group.lost) {
      // Another worker took a task over (our leases lapsed): it carries on, and the rest go back to the queue.
      for (const t of open) await releaseTask(db, t.id, this.id, 'another task of its group was taken over by another worker');
      this.log(`gave up ${group.label}: a task was taken over by another worker`);
      return;
    }
    if (err instanceof PcaceInputError) {
      // The input is wrong: retrying cannot help, and the other layers would fail alike.
      // Only while a task is still ours: otherwise its new holder decides.
      if (open.length && (await failTask(db, open[0].id, this.id, err.message))) await failAnalysis(db, analysisId, err.message);
      this.log(`failed ${group.label}: ${err.message}`);
      return;
    }
    this.log(`error in ${group.label}: ${err.stack ?? err.message}`);
    for (const t of open) {
      if (t.attempts >= this.cfg.maxAttempts) {
        if (await failTask(db, t.id, this.id, err.message)) await failAnalysis(db, analysisId, `layer ${t.layerName}: ${err.message}`);
      } else {
        await releaseTask(db, t.id, this.id, err.message);
      }
    }
  }
}
