/** Queue timing: a task whose worker stops heart-beating for `leaseSeconds` may be taken over. */
export interface QueueConfig {
  leaseSeconds: number;
  heartbeatSeconds: number;
  /** Claims of one task (each crash counts) before it fails for good. */
  maxAttempts: number;
  /** Fallback poll when no notification arrives. */
  pollSeconds: number;
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
  };
}

/** Running tasks per lab unless the lab sets its own (lib/server/limits.ts shows and edits them). */
export const DEFAULT_MAX_RUNNING_TASKS = 2;

/** The operator's default for labs without their own running-task limit: PCACE_LAB_MAX_RUNNING_TASKS. */
export function defaultMaxRunningTasks(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.PCACE_LAB_MAX_RUNNING_TASKS);
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : DEFAULT_MAX_RUNNING_TASKS;
}

/** NOTIFY channel that wakes idle workers when tasks are queued or released. */
export const TASKS_CHANNEL = 'pcace_layer_tasks';
