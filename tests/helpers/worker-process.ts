/** Worker processes for queue tests: real `workers/main.ts` children on the test database. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code / signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startWorker(env: Record<string, string>, id: string): WorkerProcess {
  // `node --import tsx` keeps the worker in this one process, so a SIGKILL hits it.
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'workers/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, PCACE_WORKER_ID: id, PCACE_TASK_LEASE_SECONDS: '3', PCACE_QUEUE_POLL_SECONDS: '0.5', PCACE_WORKER_THREADS: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, output: () => out, exited };
}

export async function waitFor<T>(what: string, f: () => Promise<T | null | undefined | false>, timeoutMs = 120_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Workers a test starts by name and stops together (SIGTERM, then waits for
 * each exit): `env()` is read at each start, so it may use the test database
 * made in beforeAll. Register `stopAll` with afterAll so none outlives the file.
 */
export function workerPool(env: () => Record<string, string>) {
  const workers: WorkerProcess[] = [];
  return {
    spawn(id: string): WorkerProcess {
      const w = startWorker(env(), id);
      workers.push(w);
      return w;
    },
    async stopAll(): Promise<void> {
      for (const w of workers.splice(0)) {
        if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
        await w.exited;
      }
    },
  };
}
