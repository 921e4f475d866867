/** Queue timing: a task whose worker stops heart-beating for `leaseSeconds` may be taken over. */
export interface QueueConfig {
  leaseSeconds: number;
  heartbeatSeconds: number;
  /** Claims of one task (each crash counts) before it fails for good. */
  maxAttempts: number;
  /** Fallback poll when no notification arrives. */
  pollSeconds: number;
  /**
   * Most layer tasks a worker claims as one group (default: no bound). A bound
   * trades forward passes for finer sharing: a lone idle worker otherwise takes
   * a whole analysis, and a worker that frees up later cannot join it.
   */
  maxGroupLayers?: number;
}

export function queueConfig(env: NodeJS.ProcessEnv = process.env): QueueConfig {
  const num = (name: string, fallback: number) => {
    const v = Number(env[name]);
    return Number.isFinite(v) && v > 0 ? v : fallback;
  };
  const leaseSeconds = num('PCACE_TASK_LEASE_SECONDS', 30);
  return {
    leaseSeconds,
    heartbeatSeconds: num('PCACE_TASK_HEARTBEAT_SECONDS', Math.max(0.5, leaseSeconds / 6)),
    maxAttempts: num('PCACE_TASK_MAX_ATTEMPTS', 3),
    pollSeconds: num('PCACE_QUEUE_POLL_SECONDS', 2),
    maxGroupLayers: Number(env.PCACE_WORKER_MAX_LAYERS) >= 1 ? Math.floor(Number(env.PCACE_WORKER_MAX_LAYERS)) : undefined,
  };
}

/** Workers on a lab's tasks at once unless the lab sets its own (lib/server/limits.ts shows and edits them). */
export const DEFAULT_MAX_RUNNING_TASKS = 2;

/** The operator's default for labs without their own worker limit (workers on the lab's tasks at once): PCACE_LAB_MAX_RUNNING_TASKS. */
export function defaultMaxRunningTasks(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.PCACE_LAB_MAX_RUNNING_TASKS);
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : DEFAULT_MAX_RUNNING_TASKS;
}

/** NOTIFY channel that wakes idle workers when tasks are queued or released. */
export const TASKS_CHANNEL = 'pcace_layer_tasks';
