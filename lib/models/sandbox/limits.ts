/**
 * Limits of the processes that execute models (uploads' probe, layer tasks,
 * artifacts). Read from the environment on each use, so a deployment (and a
 * test) can change them without code; every figure is documented in README.md.
 *
 * Defaults: an analysis plans its memory for PCACE_MEMORY_MB (3 GiB, within
 * which a whole VGG-16 at 224×224 runs: bench/README.md), so 12 GiB is a cap
 * for what a plan does not model (a model's own size, a runaway), leaving room
 * on a 24 GiB machine while still stopping a model that would take it down.
 */
import { availableParallelism } from 'node:os';

const num = (name: string, fallback: number): number => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};

export interface SandboxLimits {
  /** Resident memory of the model process (MB); above it the process is killed. */
  memoryMb: number;
  /** Wall time of one model call (a forward pass, a session load, a gradient) in seconds. */
  callSeconds: number;
  /** Wall time of the whole job in seconds. */
  budgetSeconds: number;
  /** Threads the model runtime and the statistics may use. */
  threads: number;
  /** What the job is and the variables these came from, for the messages users read. */
  names: { job: string; memory: string; call: string; budget: string };
}

/** Layer tasks and artifacts (worker side). */
export function taskLimits(): SandboxLimits {
  return {
    memoryMb: num('PCACE_MODEL_MEMORY_MB', 12288),
    callSeconds: num('PCACE_MODEL_CALL_SECONDS', 300),
    budgetSeconds: num('PCACE_TASK_BUDGET_SECONDS', 4 * 3600),
    threads: Math.max(1, Math.floor(num('PCACE_MODEL_THREADS', availableParallelism()))),
    names: { job: 'the task', memory: 'PCACE_MODEL_MEMORY_MB', call: 'PCACE_MODEL_CALL_SECONDS', budget: 'PCACE_TASK_BUDGET_SECONDS' },
  };
}

/** The upload check run for the web server: loads the model and runs one all-zero sample. */
export function probeLimits(): SandboxLimits {
  const seconds = num('PCACE_PROBE_SECONDS', 60);
  return {
    memoryMb: num('PCACE_PROBE_MEMORY_MB', 2048),
    callSeconds: seconds,
    budgetSeconds: seconds,
    threads: 1,
    names: { job: 'checking the model', memory: 'PCACE_PROBE_MEMORY_MB', call: 'PCACE_PROBE_SECONDS', budget: 'PCACE_PROBE_SECONDS' },
  };
}
