/**
 * computeArtifact in a worker thread. TF.js runs activation maximisation and
 * Grad-CAM as long synchronous loops: on the worker's own thread they would
 * stop its lease heartbeats for the whole computation (minutes on a large
 * model), and another worker would take the artifact over while it is still
 * being computed. In a thread the heartbeats keep beating, and a lost lease
 * ends the computation at once (the thread is terminated).
 *
 * One thread per artifact: its TF.js and ONNX Runtime state is freed with it.
 * Starting it (TypeScript loader, TF.js, model) costs about 1 s, which is why
 * the worker uses it only for the gradient kinds.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { PcaceInputError } from '../pcace/validate';
import type { AnalysisSpec } from './types';
import { ArtifactStopped, computeArtifact, type ArtifactOptions, type ArtifactOutput, type ArtifactRequest } from './artifacts';

/** Marks the threads this module starts (other threads, e.g. a test runner's, import it too). */
const MARK = 'pcaceArtifactThread';

type FromThread =
  | { type: 'progress'; fraction: number }
  | { type: 'done'; output: ArtifactOutput }
  | { type: 'error'; name: string; message: string; stack?: string };

/** Runs the artifact in a fresh thread; `shouldStop` is polled and terminates the thread when true. */
export function computeArtifactInThread(spec: AnalysisSpec, req: ArtifactRequest, opts: ArtifactOptions = {}): Promise<ArtifactOutput> {
  // Threads start without the TypeScript loader: register tsx, then load this file in thread mode.
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  const thread = new Worker(boot, { eval: true, workerData: { [MARK]: true, spec, req, threads: opts.threads } });
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearInterval(poll);
      f();
    };
    const poll = setInterval(() => {
      if (!opts.shouldStop?.()) return;
      void thread.terminate();
      finish(() => reject(new ArtifactStopped()));
    }, 200);
    thread.on('message', (m: FromThread) => {
      if (m.type === 'progress') opts.onProgress?.(m.fraction);
      else if (m.type === 'done') finish(() => resolve({ ...m.output, files: m.output.files.map((f) => ({ name: f.name, png: Buffer.from(f.png) })) }));
      else {
        // Input errors keep their class across the thread boundary: the worker fails those at once.
        const err = m.name === 'PcaceInputError' ? new PcaceInputError(m.message) : Object.assign(new Error(m.message), { name: m.name });
        if (m.stack) err.stack = m.stack;
        finish(() => reject(err));
      }
      if (m.type !== 'progress') void thread.terminate();
    });
    thread.on('error', (err) => finish(() => reject(err)));
    thread.on('exit', (code) => finish(() => reject(new Error(`the artifact thread exited with code ${code} before finishing`))));
  });
}

// ---------------------------------------------------------------- thread side

if (!isMainThread && parentPort && (workerData as Record<string, unknown> | null)?.[MARK]) {
  const port = parentPort;
  const { spec, req, threads } = workerData as { spec: AnalysisSpec; req: ArtifactRequest; threads?: number };
  try {
    const output = await computeArtifact(spec, req, { threads, onProgress: (fraction) => port.postMessage({ type: 'progress', fraction } satisfies FromThread) });
    port.postMessage({ type: 'done', output } satisfies FromThread);
  } catch (err) {
    const e = err as Error;
    port.postMessage({ type: 'error', name: e.name, message: e.message, stack: e.stack } satisfies FromThread);
  }
}
