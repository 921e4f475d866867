/**
 * The worker's artifact side: when no layer task is waiting, a worker claims
 * one requested artifact under a renewed lease and computes it in a model
 * process — a channel or layer artifact with lib/analysis/artifacts/ (its
 * PNGs written under a key prefix of its own in the store), or an analysis'
 * network-wide deletion curves — and then records the result, only if the
 * lease is still its own, so a worker that was too slow (or presumed dead)
 * leaves no trace.
 */
import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '../lib/db/generated/client';
import { ArtifactStopped, groupChannels } from '../lib/analysis/artifacts/compute';
import { AnalysisCancelled } from '../lib/analysis/run-analysis';
import { computeArtifactSandboxed, networkCurvesSandboxed } from '../lib/analysis/sandboxed';
import { PcaceInputError } from '../lib/pcace/validate';
import type { QueueConfig } from '../lib/queue/config';
import { completeArtifact, failArtifact, LeaseLost, releaseArtifact } from '../lib/queue/analysis-status';
import { artifactHeartbeat, claimArtifact, type ClaimedArtifact } from '../lib/queue/artifact-tasks';
import { completeNetworkCurves, failNetworkCurves, NETWORK_CURVES, networkCurveLayers } from '../lib/queue/network-curves';
import { specFromRow } from '../lib/queue/spec-from-db';
import { getStore } from '../lib/storage/backend';
import { joinKey } from '../lib/storage/store';

export interface ArtifactRunnerOptions {
  db: PrismaClient;
  workerId: string;
  config: QueueConfig;
  threads?: number;
  log: (line: string) => void;
}

type Work = { row: Parameters<typeof specFromRow>[0]; shouldStop: () => boolean; onProgress: (fraction: number) => void };

export class ArtifactRunner {
  constructor(private readonly opts: ArtifactRunnerOptions) {}

  /** Claims and computes one artifact; false when none was waiting. */
  async runOne(): Promise<boolean> {
    let task: ClaimedArtifact | null = null;
    try {
      task = await claimArtifact(this.opts.db, this.opts.workerId, this.opts.config);
    } catch (err) {
      this.opts.log(`artifact claim failed: ${(err as Error).message}`);
    }
    if (!task) return false;
    await this.execute(task);
    return true;
  }

  private async execute(task: ClaimedArtifact): Promise<void> {
    const { db, workerId, config, log } = this.opts;
    const what = `${task.kind} ${task.analysisId}/${task.layerName}${task.channel >= 0 ? `/${task.channel}` : ''}${task.variant ? ` [${task.variant}]` : ''}`;
    log(`claimed artifact ${what} (attempt ${task.attempts})`);
    const t0 = performance.now();
    let progress = 0;
    let lost = false;
    let beating = Promise.resolve();
    const beat = setInterval(() => {
      beating = artifactHeartbeat(db, task.id, workerId, progress)
        .then((ours) => void (lost ||= !ours))
        .catch((err) => log(`artifact heartbeat failed: ${(err as Error).message}`));
    }, config.heartbeatSeconds * 1000);
    const stopBeating = async () => {
      clearInterval(beat);
      await beating;
      if (lost) throw new LeaseLost(task.id);
    };
    try {
      const row = await db.analysis.findUniqueOrThrow({ where: { id: task.analysisId }, include: { modelVersion: true, dataset: true } });
      // Every kind executes the model, so every kind runs in a model process (capped, killable):
      // the heartbeats keep beating meanwhile, and a lost lease kills the process.
      const work: Work = { row: row as never, shouldStop: () => lost, onProgress: (f) => (progress = f) };
      if (task.kind === NETWORK_CURVES) await this.networkCurves(task, work, stopBeating);
      else await this.picture(task, work, stopBeating, t0);
      log(`completed artifact ${what} in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
    } catch (err) {
      clearInterval(beat);
      await beating;
      await this.handleFailure(task, what, lost ? new LeaseLost(task.id) : (err as Error)).catch((e) =>
        log(`could not record the end of artifact ${what}: ${(e as Error).stack ?? (e as Error).message}`),
      );
    }
  }

  /** A channel or layer artifact: its PNGs under a folder of this attempt, then the row. */
  private async picture(task: ClaimedArtifact, work: Work, stopBeating: () => Promise<void>, t0: number): Promise<void> {
    const { db, workerId, log } = this.opts;
    // A folder per attempt: a worker that loses its lease never overwrites the winner's files.
    const rel = joinKey('artifacts', task.analysisId, `${task.id}-${task.attempts}-${randomUUID().slice(0, 8)}`);
    const store = await getStore();
    try {
      const ranking =
        task.kind === 'strip'
          ? await db.channelResult.findMany({ where: { layerResult: { analysisId: task.analysisId, name: task.layerName } }, select: { channel: true, rank: true } })
          : undefined;
      const local = await specFromRow(work.row, task.layerName);
      const kind = task.kind as Exclude<ClaimedArtifact['kind'], typeof NETWORK_CURVES>;
      const out = await computeArtifactSandboxed(
        local.spec,
        {
          kind,
          layer: task.layerName,
          channel: task.channel,
          image: kind === 'strip' ? task.variant || undefined : undefined,
          channels: kind === 'group' ? groupChannels(task.variant) : undefined,
          ranking,
        },
        { threads: this.opts.threads, shouldStop: work.shouldStop, onProgress: work.onProgress, log },
      ).finally(() => local.release());
      await stopBeating();
      for (const f of out.files) await store.put(joinKey(rel, f.name), f.png);
      await completeArtifact(db, task.id, workerId, { resultPath: rel, values: out.values, seconds: (performance.now() - t0) / 1000 });
    } catch (err) {
      await store.deleteTree(rel).catch(() => {});
      throw err;
    }
  }

  /** The analysis' network-wide deletion curves over its stored layers, stored in its summary with the row's completion. */
  private async networkCurves(task: ClaimedArtifact, work: Work, stopBeating: () => Promise<void>): Promise<void> {
    const { db, workerId, log } = this.opts;
    const layers = await networkCurveLayers(db, task.analysisId);
    if (layers.length < 2) throw new PcaceInputError(`the analysis has ${layers.length} stored layer(s): network-wide curves need two or more`);
    const local = await specFromRow(work.row, layers[0].name);
    const curves = await networkCurvesSandboxed({ ...local.spec, layers: layers.map((l) => l.name) }, layers, {
      threads: this.opts.threads,
      shouldStop: work.shouldStop,
      onProgress: work.onProgress,
      onStart: (pid) => log(`model process ${pid} runs the network-wide deletion curves of ${task.analysisId}`),
      log,
    }).finally(() => local.release());
    await stopBeating();
    await completeNetworkCurves(db, task, workerId, curves);
  }

  private async handleFailure(task: ClaimedArtifact, what: string, err: Error): Promise<void> {
    const { db, workerId, config, log } = this.opts;
    if (err instanceof LeaseLost || err instanceof ArtifactStopped || err instanceof AnalysisCancelled) {
      log(`gave up artifact ${what}: another worker has it`);
      return;
    }
    // Network-wide curves that cannot be had store why with the analysis, where the curves would be.
    const fail = (reason: string) => (task.kind === NETWORK_CURVES ? failNetworkCurves(db, task, workerId, reason) : failArtifact(db, task.id, workerId, reason));
    if (err instanceof PcaceInputError) {
      // The analysis, model or request is wrong: another attempt would fail alike.
      await fail(err.message);
      log(`failed artifact ${what}: ${err.message}`);
      return;
    }
    log(`error in artifact ${what} (attempt ${task.attempts}): ${err.stack ?? err.message}`);
    if (task.attempts >= config.maxAttempts) await fail(err.message);
    else await releaseArtifact(db, task.id, workerId, err.message);
  }
}
