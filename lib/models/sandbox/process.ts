/**
 * A capped child process for everything that executes a model.
 *
 * A model is code: an ONNX Loop can spin for minutes, a declared 8192×8192
 * input allocates gigabytes, and both run synchronously inside the runtime.
 * In the process that serves the portal or heart-beats a worker's lease, that
 * stalls everything; so models run here instead, in a Node child that
 *  - starts in a fresh empty directory (ONNX Runtime resolves relative paths
 *    against the working directory) with an environment reduced to an
 *    allow-list (no database URL, no secrets, no tokens);
 *  - is killed when its resident memory (sampled from /proc every 100 ms; the
 *    runtime's and the statistics' threads live in the same process) passes
 *    the cap, when one model call outlasts its cap (the child reports each call's
 *    start and end, see calls.ts), when the whole job outlasts its budget, or
 *    when the caller asks it to stop;
 *  - is limited in threads (ONNX Runtime's intra/inter-op pools, statistics).
 * A job is an exported function of a project module (`module`, `fn`), called in
 * the child with `args` (structured-clone serialisation, typed arrays included);
 * it may report progress, and its value or error comes back here.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PcaceInputError } from '../../pcace/validate';
import { ModelLimitExceeded, SandboxCrashed, SandboxStopped } from './errors';
import type { SandboxLimits } from './limits';
import { newSpillDir } from './spill';
import type { FromChild, ToChild } from './protocol';

export interface SandboxJob {
  /** Module path relative to the project root, e.g. 'lib/analysis/sandbox-jobs.ts'. */
  module: string;
  /** Exported function: (args, ctx) => value. */
  fn: string;
  args: unknown;
}

export interface SandboxRunOptions {
  limits: SandboxLimits;
  /** Polled every 100 ms; true kills the process and rejects with SandboxStopped. */
  shouldStop?: () => boolean;
  onProgress?: (value: unknown) => void;
  /**
   * Pieces of the value the job sends ahead of its end, in order (a layer
   * group's finished layers): the caller can act on each while the job runs on.
   */
  onPart?: (value: unknown) => void;
  /**
   * Answers the job's questions (SandboxContext.ask), in the order asked; the
   * job waits for each. Unanswerable (no onAsk, or it throws): null.
   */
  onAsk?: (value: unknown) => Promise<unknown> | unknown;
  /** The process started (its pid, for logs). */
  onStart?: (pid: number) => void;
  /** Output of the child and crash details (never user-facing). */
  log?: (line: string) => void;
  /**
   * Take a process started ahead (startSpareProcess) when one is waiting. The
   * caller starts the next once the job is over: started beside the job, its
   * loading would take CPU from it.
   */
  warm?: boolean;
  /** Modules a process started ahead loads while it waits (besides the job's module). */
  preload?: string[];
  /**
   * Jobs with the same key may run one after another in the same process
   * (a worker's layer tasks of one analysis: same model, same images), which
   * keeps the runtime, the decoded dataset and the loaded modules warm. A
   * process is reused only after a job that ended normally, and never across
   * keys, so one lab's model never runs where another's job ran.
   */
  reuseKey?: string;
}

export interface SandboxStats {
  peakRssMb: number;
  seconds: number;
}

const POLL_MS = 100;

/** The project root: this file's folder when running from source, else the working directory (bundled server). */
function projectRoot(): string {
  try {
    const here = path.dirname(fileURLToPath(import.meta.url));
    if (existsSync(path.join(here, 'host.ts'))) return path.resolve(here, '../../..');
  } catch {
    // bundled: import.meta.url is not a file of the source tree
  }
  return path.resolve(/*turbopackIgnore: true*/ process.cwd());
}

/** Variables a model process may see: none that opens the database or signs sessions. */
function childEnv(limits: SandboxLimits, root: string): Record<string, string> {
  const env: Record<string, string> = {};
  const secret = /SECRET|TOKEN|PASSWORD|PASSWD|KEY|DATABASE|_URL$|CREDENTIAL/i;
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    const allowed = ['PATH', 'HOME', 'TMPDIR', 'TMP', 'TEMP', 'LANG', 'TZ', 'NODE_ENV'].includes(k) || /^(LC_|PCACE_|OMP_|MKL_|OPENBLAS_)/.test(k);
    if (allowed && !secret.test(k)) env[k] = v;
  }
  env.OMP_NUM_THREADS = String(limits.threads);
  env.PCACE_MODEL_THREADS = String(limits.threads);
  env.TSX_TSCONFIG_PATH = path.join(root, 'tsconfig.json');
  return env;
}

function rssMb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** Runs `job` in a capped process; resolves with its value once the process is gone (or kept for the next job of its `reuseKey`). */
export function runSandboxed<T>(job: SandboxJob, opts: SandboxRunOptions): Promise<T> {
  return runSandboxedWithStats<T>(job, opts).then((r) => r.value);
}

interface Spawned {
  child: ChildProcess;
  dir: string;
  pid: number;
  tail: () => string;
  /** Resolves once the process has loaded its modules and warm-up (or has ended). */
  loaded: Promise<void>;
}

/** A warm-up a process started ahead runs after loading its modules (protocol.ts). */
export type Warm = Extract<ToChild, { type: 'preload' }>['warm'];

/** Starts a model process that loads the loader, the runtime and `preload` (then runs `warm`), then waits for its job. */
function spawnHost(limits: SandboxLimits, preload: string[], warm?: Warm): Spawned {
  const root = projectRoot();
  // Registers tsx itself (host-entry.mjs), so that no thread of the process inherits a loader flag.
  const host = path.join(root, 'lib/models/sandbox/host-entry.mjs');
  // One folder per process: its working directory at start (empty), later its spill files.
  const dir = newSpillDir();
  let child: ChildProcess;
  try {
    child = fork(host, [], {
      cwd: dir,
      env: childEnv(limits, root) as NodeJS.ProcessEnv,
      execPath: process.execPath,
      execArgv: [`--max-old-space-size=${Math.max(256, Math.round(limits.memoryMb))}`],
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  let tail = '';
  const keep = (d: Buffer) => {
    tail = (tail + d.toString()).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const loaded = new Promise<void>((resolve) => {
    const onPreloaded = (m: FromChild) => {
      if (m.type !== 'preloaded') return;
      child.off('message', onPreloaded);
      resolve();
    };
    child.on('message', onPreloaded);
    child.once('exit', () => resolve());
  });
  child.send({ type: 'preload', root, modules: preload, threads: limits.threads, warm } satisfies ToChild);
  return { child, dir, pid: child.pid ?? -1, tail: () => tail, loaded };
}

/**
 * Started ahead of need, one per kind of job: a worker's next task finds its
 * process with the loader, ONNX Runtime and the job's modules already loaded
 * (seconds on a busy machine). A process runs one job, or several of one
 * `reuseKey` one after another.
 */
const spares = new Map<string, Spawned>();

const spareKey = (limits: SandboxLimits, modules: string[]) => JSON.stringify([limits.memoryMb, limits.threads, modules]);

function alive(p: Spawned): boolean {
  return p.child.exitCode === null && p.child.signalCode === null && p.child.connected;
}

/** A process waiting for a job (a spare, or one kept for reuse) must not keep its parent alive. */
function detach(p: Spawned): void {
  p.child.unref();
  (p.child as unknown as { channel?: { unref(): void } }).channel?.unref();
}

function takeProcess(limits: SandboxLimits, modules: string[], warm: boolean): Spawned {
  if (!warm) return spawnHost(limits, modules);
  const key = spareKey(limits, modules);
  let p = spares.get(key);
  spares.delete(key);
  if (!p || !alive(p)) {
    p?.child.kill('SIGKILL');
    p = spawnHost(limits, modules);
  }
  return p;
}

/**
 * Starts the process the next `warm` job of this kind will take, if none is
 * waiting; resolves once the waiting one has loaded (a worker says it is ready
 * only then, so its first job does not wait for the loading).
 */
export function startSpareProcess(limits: SandboxLimits, modules: string[], warm?: Warm): Promise<void> {
  const key = spareKey(limits, modules);
  const p = spares.get(key);
  if (p && alive(p)) return p.loaded;
  const next = spawnHost(limits, modules, warm);
  detach(next);
  spares.set(key, next);
  return next.loaded;
}

/** Ends the processes started ahead and the one kept for reuse (a stopping worker). */
export function stopSpareProcesses(): void {
  for (const p of spares.values()) p.child.kill('SIGKILL');
  spares.clear();
  kept?.process.child.kill('SIGKILL');
  kept = null;
}

/** At most one process is kept after a job, for the next job with the same key (bounded memory). */
let kept: { key: string; process: Spawned } | null = null;

/** The kept process when it ran a job of this key and is still alive; any other kept process is ended. */
function takeKept(key: string): Spawned | null {
  const k = kept;
  kept = null;
  if (!k) return null;
  if (k.key === key && alive(k.process)) return k.process;
  k.process.child.kill('SIGKILL');
  return null;
}

function keep(key: string, p: Spawned): void {
  if (kept && kept.process !== p) kept.process.child.kill('SIGKILL');
  detach(p);
  kept = { key, process: p };
}

export function runSandboxedWithStats<T>(job: SandboxJob, opts: SandboxRunOptions): Promise<{ value: T; stats: SandboxStats }> {
  const { limits } = opts;
  const t0 = performance.now();
  const reuseKey = opts.reuseKey ? JSON.stringify([opts.reuseKey, limits.memoryMb, limits.threads, job.module]) : null;
  let spawned: Spawned;
  try {
    spawned = (reuseKey ? takeKept(reuseKey) : null) ?? takeProcess(limits, [job.module, ...(opts.preload ?? [])], opts.warm ?? false);
  } catch (err) {
    return Promise.reject(err);
  }
  const { child, pid } = spawned;
  // A taken spare was unreferenced: while it runs a job it keeps its parent waiting for it.
  child.ref();
  (child as unknown as { channel?: { ref(): void } }).channel?.ref();
  opts.onStart?.(pid);
  const tail = spawned.tail;

  return new Promise((resolve, reject) => {
    let outcome: { ok: true; value: T } | { ok: false; error: Error } | null = null;
    let peak = 0;
    let callTimer: NodeJS.Timeout | null = null;
    let callWhat = '';
    const kill = (error: Error) => {
      if (!outcome) outcome = { ok: false, error };
      child.kill('SIGKILL');
    };
    const poll = setInterval(() => {
      if (opts.shouldStop?.()) return kill(new SandboxStopped());
      const rss = rssMb(pid);
      if (rss !== null) {
        peak = Math.max(peak, rss);
        if (rss > limits.memoryMb) {
          kill(new ModelLimitExceeded(`the model exceeded its memory cap of ${limits.memoryMb} MB (${limits.names.memory}); it was stopped at ${Math.round(rss)} MB`));
        }
      }
    }, POLL_MS);
    const budget = setTimeout(
      () => kill(new ModelLimitExceeded(`${limits.names.job} took longer than its budget of ${limits.budgetSeconds} s (${limits.names.budget}); the model was stopped`)),
      limits.budgetSeconds * 1000,
    );
    const stopWatching = () => {
      clearInterval(poll);
      clearTimeout(budget);
      if (callTimer) clearTimeout(callTimer);
      child.off('message', onMessage);
      child.off('error', onError);
      child.off('exit', onExit);
    };
    const settle = () => {
      const stats = { peakRssMb: peak, seconds: (performance.now() - t0) / 1000 };
      if (outcome!.ok) resolve({ value: (outcome as { value: T }).value, stats });
      else reject((outcome as { error: Error }).error);
    };

    const onMessage = (m: FromChild) => {
      switch (m.type) {
        case 'call-start':
          callWhat = m.what;
          if (callTimer) clearTimeout(callTimer);
          callTimer = setTimeout(
            () => kill(new ModelLimitExceeded(`${callWhat} took longer than ${limits.callSeconds} s (${limits.names.call}); the model was stopped`)),
            limits.callSeconds * 1000,
          );
          break;
        case 'call-end':
          if (callTimer) clearTimeout(callTimer);
          callTimer = null;
          break;
        case 'progress':
          opts.onProgress?.(m.value);
          break;
        case 'part':
          if (!outcome) opts.onPart?.(m.value);
          break;
        case 'ask': {
          const answer = (value: unknown) => {
            if (!outcome && child.connected) child.send({ type: 'answer', id: m.id, value } satisfies ToChild);
          };
          Promise.resolve()
            .then(() => (opts.onAsk ? opts.onAsk(m.value) : null))
            .then(answer, () => answer(null));
          break;
        }
        case 'result':
          if (outcome) break;
          outcome = { ok: true, value: m.value as T };
          if (reuseKey) {
            // Kept for the next job of the same key instead of being killed.
            stopWatching();
            keep(reuseKey, spawned);
            settle();
          } else child.kill('SIGKILL');
          break;
        case 'error':
          if (!outcome) outcome = { ok: false, error: rebuildError(m) };
          child.kill('SIGKILL');
          break;
      }
    };
    const onError = (err: Error) => {
      if (!outcome) outcome = { ok: false, error: err };
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      stopWatching();
      if (!outcome) {
        opts.log?.(`model process ${pid} ended (code ${code}, signal ${signal}); its last output:\n${tail()}`);
        outcome = { ok: false, error: new SandboxCrashed(`the model process ended unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`})`) };
      }
      settle();
    };
    child.on('message', onMessage);
    child.on('error', onError);
    child.on('exit', onExit);
    child.send({ type: 'run', job, limits } satisfies ToChild);
  });
}

/** Errors keep their class across the process boundary where callers act on it. */
function rebuildError(m: Extract<FromChild, { type: 'error' }>): Error {
  const err = m.name === 'PcaceInputError' || m.name === 'ModelLimitExceeded' ? new PcaceInputError(m.message) : new Error(m.message);
  err.name = m.name;
  if (m.stack) err.stack = m.stack;
  return err;
}
