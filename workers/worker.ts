/**
 * A queue worker: claims one layer task at a time, runs it with lib/analysis
 * in a model process (lib/models/sandbox: capped memory, time and threads),
 * renews its lease, honours cancel requests within a second by killing that
 * process, and writes the layer through lib/queue. Any number may run, on any
 * machines that reach the database.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { PrismaClient } from '../lib/db/generated/client';
import { AnalysisCancelled } from '../lib/analysis/run-analysis';
import { prestartAnalysisProcess, runAnalysisSandboxed } from '../lib/analysis/sandboxed';
import { stopSpareProcesses } from '../lib/models/sandbox/process';
import { cleanOrphanSpills } from '../lib/models/sandbox/spill';
import { PcaceInputError } from '../lib/pcace/validate';
import { queueConfig, TASKS_CHANNEL, type QueueConfig } from '../lib/queue/config';
import { cancelAnalysis, failAnalysis, failTask, LeaseLost, releaseTask, startAnalysis } from '../lib/queue/analysis-status';
import { claimTask, heartbeat, type ClaimedTask } from '../lib/queue/layer-tasks';
import { persistLayer, refreshProgress } from '../lib/queue/persist';
import { specFromRow } from '../lib/queue/spec-from-db';
import { ArtifactRunner } from './artifacts';

const CANCEL_POLL_MS = 500;

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
  private wake: (() => void) | null = null;
  private listener: pg.Client | null = null;
  private readonly log: (line: string) => void;
  /** Artifacts (maps, Grad-CAM, groups, an analysis' network-wide curves) run only when no layer task is waiting. */
  private readonly artifacts: ArtifactRunner;

  constructor(private readonly opts: WorkerOptions) {
    this.id = opts.id ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.cfg = opts.config ?? queueConfig();
    this.log = opts.log ?? ((line) => process.stdout.write(`[worker ${this.id}] ${line}\n`));
    this.artifacts = new ArtifactRunner({ db: opts.db, workerId: this.id, config: this.cfg, threads: opts.threads, log: this.log });
  }

  /** Runs until stop(); resolves when the current task (if any) has ended. */
  async run(): Promise<void> {
    // Spill folders of workers on this host that were killed: nobody else removes them.
    for (const dir of cleanOrphanSpills()) this.log(`removed the orphaned spill folder ${dir}`);
    prestartAnalysisProcess();
    await this.listen();
    this.log('ready');
    while (!this.stopping) {
      let task: ClaimedTask | null = null;
      try {
        task = await claimTask(this.opts.db, this.id, this.cfg);
      } catch (err) {
        this.log(`claim failed: ${(err as Error).message}`);
      }
      if (task) await this.execute(task);
      else if (!(await this.artifacts.runOne())) await this.idle();
    }
    await this.listener?.end().catch(() => {});
    stopSpareProcesses();
    this.log('stopped');
  }

  /** Finish the current task, then stop (SIGTERM). */
  stop(): void {
    this.stopping = true;
    this.wake?.();
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.opts.databaseUrl });
    client.on('notification', () => this.wake?.());
    // A lost listener only costs latency: the poll still finds work.
    client.on('error', (err) => this.log(`listener error: ${err.message}`));
    await client.connect();
    await client.query(`LISTEN ${TASKS_CHANNEL}`);
    this.listener = client;
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.cfg.pollSeconds * 1000);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }

  private async execute(task: ClaimedTask): Promise<void> {
    const { db } = this.opts;
    this.log(`claimed ${task.analysisId}/${task.layerName} (attempt ${task.attempts})`);
    await startAnalysis(db, task.analysisId);
    let progress = 0;
    let lost = false;
    let cancel = false;
    let beating = Promise.resolve();
    const beat = setInterval(() => {
      beating = heartbeat(db, task.id, this.id, progress)
        .then(async (hb) => {
          lost ||= !hb.stillOurs;
          cancel ||= hb.cancelRequested;
          if (hb.stillOurs) await refreshProgress(db, task.analysisId, task.layerName, null);
        })
        .catch((err) => this.log(`heartbeat failed: ${(err as Error).message}`));
    }, this.cfg.heartbeatSeconds * 1000);
    // The lease needs a beat every few seconds; a cancel should act within one.
    let polling = false;
    const cancelPoll = setInterval(() => {
      if (polling || cancel) return;
      polling = true;
      db.analysis
        .findUnique({ where: { id: task.analysisId }, select: { cancelRequested: true } })
        .then((a) => void (cancel ||= a?.cancelRequested ?? false))
        .catch(() => {})
        .finally(() => (polling = false));
    }, CANCEL_POLL_MS);
    const stopTimers = () => {
      clearInterval(beat);
      clearInterval(cancelPoll);
    };
    try {
      const row = await db.analysis.findUniqueOrThrow({
        where: { id: task.analysisId },
        include: { modelVersion: true, dataset: true },
      });
      // The model and dataset as local files: a worker on another machine fetches them from the store once.
      const local = await specFromRow(row as never, task.layerName);
      const result = await runAnalysisSandboxed(local.spec, {
        threads: this.opts.threads,
        shouldStop: () => lost || cancel,
        onProgress: (p) => {
          progress = p.fraction;
        },
        onStart: (pid) => this.log(`model process ${pid} runs ${task.analysisId}/${task.layerName}`),
        log: this.log,
        warm: true,
        // Layers of one analysis share a model process: same model and images, warm runtime and data.
        reuseKey: task.analysisId,
      }).finally(() => local.release());
      stopTimers();
      await beating;
      if (lost) throw new LeaseLost(task.id);
      const layer = result.layers[0];
      const { analysisCompleted } = await persistLayer(db, task, this.id, layer, result);
      this.log(`completed ${task.analysisId}/${task.layerName}${analysisCompleted ? ' (analysis complete)' : ''}`);
    } catch (err) {
      stopTimers();
      await beating;
      // Stopped because the lease was lost: the new holder carries on (and honours a cancel request itself).
      await this.handleFailure(task, lost ? new LeaseLost(task.id) : (err as Error), cancel).catch((e) =>
        this.log(`could not record the end of ${task.analysisId}/${task.layerName}: ${(e as Error).stack ?? (e as Error).message}`),
      );
    }
  }

  private async handleFailure(task: ClaimedTask, err: Error, cancelRequested: boolean): Promise<void> {
    const { db } = this.opts;
    if (err instanceof LeaseLost) {
      this.log(`gave up ${task.analysisId}/${task.layerName}: ${err.message}`);
      return;
    }
    if (err instanceof AnalysisCancelled || cancelRequested) {
      await cancelAnalysis(db, task.analysisId);
      this.log(`cancelled ${task.analysisId}`);
      return;
    }
    if (err instanceof PcaceInputError) {
      // The input is wrong: retrying cannot help, and the other layers would fail alike.
      // Only while the task is still ours: otherwise its new holder decides.
      if (await failTask(db, task.id, this.id, err.message)) await failAnalysis(db, task.analysisId, err.message);
      this.log(`failed ${task.analysisId}/${task.layerName}: ${err.message}`);
      return;
    }
    this.log(`error in ${task.analysisId}/${task.layerName} (attempt ${task.attempts}): ${err.stack ?? err.message}`);
    if (task.attempts >= this.cfg.maxAttempts) {
      if (await failTask(db, task.id, this.id, err.message)) await failAnalysis(db, task.analysisId, `layer ${task.layerName}: ${err.message}`);
    } else {
      await releaseTask(db, task.id, this.id, err.message);
    }
  }
}
