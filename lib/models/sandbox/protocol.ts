/** Messages between a worker (or the web server) and the model process it started. */
import type { SandboxLimits } from './limits';

export type ToChild =
  /**
   * Load `modules` while waiting for a job, then run `warm` (an exported function
   * of one of them, given `args`) to prepare what the job will need, and answer 'preloaded'.
   */
  | { type: 'preload'; root: string; modules: string[]; threads: number; warm?: { module: string; fn: string; args: unknown } }
  | { type: 'run'; job: { module: string; fn: string; args: unknown }; limits: SandboxLimits }
  /** The parent's answer to the job's question `id` (SandboxContext.ask). */
  | { type: 'answer'; id: number; value: unknown };

export type FromChild =
  | { type: 'call-start'; what: string }
  | { type: 'call-end' }
  | { type: 'progress'; value: unknown }
  /** A piece of the job's value sent ahead of its end (a finished layer of a layer group), in order. */
  | { type: 'part'; value: unknown }
  /** A question the job waits on (a layer group asks before each layer whether it is still its own). */
  | { type: 'ask'; id: number; value: unknown }
  | { type: 'result'; value: unknown }
  | { type: 'error'; name: string; message: string; stack?: string }
  /** The preload (and its warm-up) is done: a job sent now starts at once. */
  | { type: 'preloaded' };

/** What a job function receives besides its arguments. */
export interface SandboxContext {
  progress(value: unknown): void;
  /** Sends a piece of the value ahead of the job's end (the parent's onPart). */
  part(value: unknown): void;
  /** Asks the parent (its onAsk) and waits for the answer. */
  ask(value: unknown): Promise<unknown>;
  /** The thread cap of this process. */
  threads: number;
  /** The resident memory cap of this process (MB): above it the process is killed. */
  memoryMb: number;
}
