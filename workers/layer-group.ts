/**
 * A claimed group of layer tasks of one analysis while the worker runs it as
 * one run in a model process (one forward pass for all its layers). Each task
 * keeps its own lease, renewed together by one heartbeat, and its own
 * progress; each layer is stored (persistLayer) as soon as the model process
 * sends it, while the next is scored. So progress, cancellation and crash
 * recovery stay per layer: a killed worker leaves its stored layers done and
 * the others to lapse and be taken over. The model process asks before each
 * layer (mayScoreLayer), which marks it started: a layer a free worker took
 * first (lib/queue/work-taking.ts) is skipped, and the group goes on.
 */
import type { PrismaClient } from '../lib/db/generated/client';
import type { AnalysisProgress, LayerResult, RunSummary } from '../lib/analysis/types';
import type { QueueConfig } from '../lib/queue/config';
import { LeaseLost } from '../lib/queue/analysis-status';
import { heartbeat, type ClaimedTask } from '../lib/queue/layer-tasks';
import { persistLayer, refreshProgress } from '../lib/queue/persist';
import { markLayerStarted, type GroupPace } from '../lib/queue/work-taking';

const CANCEL_POLL_MS = 500;

interface TaskState {
  task: ClaimedTask;
  /** 0..1 of the layer's channels scored. */
  progress: number;
  /** Its layer is being written, or was: a heartbeat no longer finding it running is no loss. */
  storing: boolean;
  stored: boolean;
  /** The stored layer's own seconds (LayerResult.seconds). */
  seconds: number;
  /** Taken over by another worker, or ended with its analysis. */
  lost: boolean;
  /** Taken by a free worker before we started it (work-taking.ts): skipped, the group goes on. */
  taken: boolean;
}

export class LayerGroup {
  readonly analysisId: string;
  /** A person asked to cancel the analysis. */
  cancelRequested = false;
  /** Storing a layer failed for a reason other than a lost lease (the run is stopped). */
  storeError: Error | null = null;
  private readonly states: TaskState[];
  private storing: Promise<void> = Promise.resolve();
  private beating: Promise<void> = Promise.resolve();
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly db: PrismaClient,
    private readonly workerId: string,
    tasks: ClaimedTask[],
    private readonly log: (line: string) => void,
    /** Reads the analysis' cancel flag (the worker's cheapest way: a poll runs twice a second). */
    private readonly cancelFlag: (analysisId: string) => Promise<boolean>,
  ) {
    this.analysisId = tasks[0].analysisId;
    this.states = tasks.map((task) => ({ task, progress: 0, storing: false, stored: false, lost: false, taken: false, seconds: 0 }));
  }

  get layerNames(): string[] {
    return this.states.map((s) => s.task.layerName);
  }

  /** "<analysis>/conv1, conv2 (attempt 1)", for logs. */
  get label(): string {
    const attempts = [...new Set(this.states.map((s) => s.task.attempts))].join('/');
    return `${this.analysisId}/${this.layerNames.join(', ')} (attempt ${attempts})`;
  }

  /** Renews the leases every heartbeat and polls for a cancel request: the lease needs a beat every few seconds, a cancel should act within one. */
  start(cfg: QueueConfig): void {
    this.timers.push(
      setInterval(() => {
        const open = this.states.filter((s) => !s.storing && !s.stored && !s.lost && !s.taken);
        this.beating = heartbeat(this.db, this.workerId, open.map((s) => ({ id: s.task.id, progress: s.progress })))
          .then(async (hb) => {
            for (const s of open) {
              if (hb.ours.has(s.task.id) || s.storing || s.stored) continue;
              if (hb.taken.has(s.task.id)) s.taken = true;
              else s.lost = true;
            }
            this.cancelRequested ||= hb.cancelRequested;
            if (hb.ours.size) await refreshProgress(this.db, this.analysisId, null, null);
          })
          .catch((err) => this.log(`heartbeat failed: ${(err as Error).message}`));
      }, cfg.heartbeatSeconds * 1000),
    );
    let polling = false;
    this.timers.push(
      setInterval(() => {
        if (polling || this.cancelRequested) return;
        polling = true;
        this.cancelFlag(this.analysisId)
          .then((flag) => void (this.cancelRequested ||= flag))
          .catch(() => {})
          .finally(() => (polling = false));
      }, CANCEL_POLL_MS),
    );
  }

  /** Stops the timers and waits for the last heartbeat and every layer being stored. */
  async settle(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.beating;
    await this.storing;
  }

  /** True when the run must stop: cancelled, a task lost, or a layer that could not be stored. */
  readonly shouldStop = (): boolean => this.cancelRequested || this.storeError !== null || this.states.some((s) => s.lost);

  get lost(): boolean {
    return this.states.some((s) => s.lost);
  }

  /** Tasks still ours whose layer is not stored. */
  unfinished(): ClaimedTask[] {
    return this.states.filter((s) => !s.stored && !s.lost && !s.taken).map((s) => s.task);
  }

  /** Layers a free worker took from this group. */
  get takenLayers(): string[] {
    return this.states.filter((s) => s.taken).map((s) => s.task.layerName);
  }

  /**
   * Asked by the model process before it scores a layer: marks the layer
   * started while it is still ours (a started layer is never taken); false
   * when it was taken (the process skips it) or lost (the run stops).
   */
  readonly mayScoreLayer = async (name: string): Promise<boolean> => {
    const s = this.states.find((x) => x.task.layerName === name);
    if (!s || s.lost || s.taken) return false;
    try {
      const mark = await markLayerStarted(this.db, s.task.id, this.workerId);
      if (mark === 'taken') s.taken = true;
      else if (mark === 'lost') s.lost = true;
      return mark === 'ours';
    } catch (err) {
      // Unsure whether it is ours: the run stops and the group's tasks go back to the queue.
      this.storeError ??= err as Error;
      return false;
    }
  };

  /** The stored layers' own seconds and the run's seconds outside them (`totalSeconds`: the run's), for a later take. */
  pace(totalSeconds: number): GroupPace | null {
    const stored = this.states.filter((s) => s.stored);
    if (!stored.length) return null;
    const layerSeconds = stored.reduce((sum, s) => sum + s.seconds, 0);
    return { layerNames: stored.map((s) => s.task.layerName), layerSeconds, overheadSeconds: Math.max(0, totalSeconds - layerSeconds) };
  }

  readonly onProgress = (p: AnalysisProgress): void => {
    if (p.layer === undefined || p.layerFraction === undefined) return;
    const s = this.states.find((x) => x.task.layerName === p.layer);
    // Done only once stored.
    if (s && !s.stored) s.progress = Math.min(0.99, p.layerFraction);
  };

  /** A finished layer from the model process: stored in order, one transaction each, while the run goes on. */
  readonly onLayer = (layer: LayerResult, run: RunSummary): void => {
    const s = this.states.find((x) => x.task.layerName === layer.name);
    if (!s) {
      this.storeError ??= new Error(`the model process sent layer ${layer.name}, which is not one of the claimed tasks`);
      return;
    }
    s.storing = true;
    this.storing = this.storing.then(async () => {
      try {
        const t0 = performance.now();
        const { analysisCompleted } = await persistLayer(this.db, s.task, this.workerId, layer, run);
        s.stored = true;
        s.seconds = layer.seconds;
        this.log(`completed ${this.analysisId}/${layer.name} (stored in ${Math.round(performance.now() - t0)} ms)${analysisCompleted ? ' (analysis complete)' : ''}`);
      } catch (err) {
        s.storing = false;
        if (err instanceof LeaseLost) s.lost = true;
        else this.storeError ??= err as Error;
      }
    });
  };
}
