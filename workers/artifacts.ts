/**
 * The worker's artifact side: when no layer task is waiting, a worker claims
 * one requested channel artifact, computes it with lib/analysis/artifacts/
 * under a renewed lease, writes its PNGs under a key prefix of its own in the
 * store and then records the result — only if the lease is still its own, so a
 * worker that was too slow (or presumed dead) leaves no trace.
 */
import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '../lib/db/generated/client';
import { ArtifactStopped } from '../lib/analysis/artifacts/compute';
import { computeArtifactSandboxed } from '../lib/analysis/sandboxed';
import { PcaceInputError } from '../lib/pcace/validate';
import type { QueueConfig } from '../lib/queue/config';
import { completeArtifact, failArtifact, LeaseLost, releaseArtifact } from '../lib/queue/analysis-status';
import { artifactHeartbeat, claimArtifact, type ClaimedArtifact } from '../lib/queue/artifact-tasks';
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
    // A folder per attempt: a worker that loses its lease never overwrites the winner's files.
    const rel = joinKey('artifacts', task.analysisId, `${task.id}-${task.attempts}-${randomUUID().slice(0, 8)}`);
    const store = await getStore();
    try {
      const row = await db.analysis.findUniqueOrThrow({ where: { id: task.analysisId }, include: { modelVersion: true, dataset: true } });
      const ranking =
        task.kind === 'strip'
          ? (await db.channelResult.findMany({ where: { layerResult: { analysisId: task.analysisId, name: task.layerName } }, select: { channel: true, rank: true } }))
          : undefined;
      // Every kind executes the model, so every kind runs in a model process (capped, killable):
      // the heartbeats keep beating meanwhile, and a lost lease kills the process.
      const local = await specFromRow(row as never, task.layerName);
      const out = await computeArtifactSandboxed(
        local.spec,
        { kind: task.kind, layer: task.layerName, channel: task.channel, image: task.variant || undefined, ranking },
        { threads: this.opts.threads, shouldStop: () => lost, onProgress: (f) => (progress = f), log },
      ).finally(() => local.release());
      clearInterval(beat);
      await beating;
      if (lost) throw new LeaseLost(task.id);
      for (const f of out.files) await store.put(joinKey(rel, f.name), f.png);
      const seconds = (performance.now() - t0) / 1000;
      await completeArtifact(db, task.id, workerId, { resultPath: rel, values: out.values, seconds });
      log(`completed artifact ${what} in ${seconds.toFixed(2)} s`);
    } catch (err) {
      clearInterval(beat);
      await beating;
      await store.deleteTree(rel).catch(() => {});
      await this.handleFailure(task, what, err as Error).catch((e) => log(`could not record the end of artifact ${what}: ${(e as Error).stack ?? (e as Error).message}`));
    }
  }

  private async handleFailure(task: ClaimedArtifact, what: string, err: Error): Promise<void> {
    const { db, workerId, config, log } = this.opts;
    if (err instanceof LeaseLost || err instanceof ArtifactStopped) {
      log(`gave up artifact ${what}: another worker has it`);
      return;
    }
    if (err instanceof PcaceInputError) {
      // The analysis, model or request is wrong: another attempt would fail alike.
      await failArtifact(db, task.id, workerId, err.message);
      log(`failed artifact ${what}: ${err.message}`);
      return;
    }
    log(`error in artifact ${what} (attempt ${task.attempts}): ${err.stack ?? err.message}`);
    if (task.attempts >= config.maxAttempts) await failArtifact(db, task.id, workerId, err.message);
    else await releaseArtifact(db, task.id, workerId, err.message);
  }
}
