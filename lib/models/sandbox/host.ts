/**
 * Entry of a model process (started by process.ts). Receives jobs one at a
 * time, runs each and reports back; the parent kills the process once it has
 * the answer, or keeps it for the next job of the same analysis. Every
 * ONNX Runtime session created here is held to the thread cap and has its
 * loads and runs reported as model calls, whichever code path creates it.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { setCallReporter, modelCall } from './calls';
import type { FromChild, SandboxContext, ToChild } from './protocol';

const send = (m: FromChild) => process.send!(m);

async function capOnnxRuntime(threads: number): Promise<void> {
  const ort = await import('onnxruntime-node');
  const Session = ort.InferenceSession as unknown as {
    create: (...a: unknown[]) => Promise<unknown>;
    prototype: { run: (...a: unknown[]) => Promise<unknown> };
  };
  const create = Session.create.bind(Session);
  Session.create = (...a: unknown[]) => {
    // create(bytes | path, options?) or create(buffer, offset, length, options?)
    const i = a.findIndex((x, k) => k > 0 && x !== null && typeof x === 'object' && !ArrayBuffer.isView(x));
    const given = (i >= 0 ? a[i] : {}) as { intraOpNumThreads?: number; interOpNumThreads?: number };
    const capped = { ...given, intraOpNumThreads: Math.min(given.intraOpNumThreads || threads, threads), interOpNumThreads: 1 };
    const args = i >= 0 ? a.map((x, k) => (k === i ? capped : x)) : [...a, capped];
    return modelCall('loading the model', () => create(...args));
  };
  const run = Session.prototype.run;
  Session.prototype.run = function (this: unknown, ...a: unknown[]) {
    return modelCall('a forward pass', () => run.apply(this, a));
  };
}

let root = '';
/** Questions of the running job waiting for the parent's answer, by id. */
const asked = new Map<number, (value: unknown) => void>();
let nextQuestion = 0;

function ask(value: unknown): Promise<unknown> {
  const id = nextQuestion++;
  return new Promise((resolve) => {
    asked.set(id, resolve);
    send({ type: 'ask', id, value });
  });
}
let ready: Promise<void> = Promise.resolve();

async function run(m: Extract<ToChild, { type: 'run' }>): Promise<void> {
  try {
    await ready;
    const mod = (await import(pathToFileURL(path.join(root, m.job.module)).href)) as Record<string, unknown>;
    const fn = mod[m.job.fn];
    if (typeof fn !== 'function') throw new Error(`${m.job.module} exports no function ${m.job.fn}`);
    const ctx: SandboxContext = {
      progress: (value) => send({ type: 'progress', value }),
      part: (value) => send({ type: 'part', value }),
      ask,
      threads: m.limits.threads,
      memoryMb: m.limits.memoryMb,
    };
    const value = await (fn as (args: unknown, ctx: SandboxContext) => Promise<unknown>)(m.job.args, ctx);
    send({ type: 'result', value });
  } catch (err) {
    const e = err as Error;
    send({ type: 'error', name: e?.name ?? 'Error', message: e?.message ?? String(err), stack: e?.stack });
  }
}

process.on('message', (m: ToChild) => {
  if (m.type === 'preload') {
    root = m.root;
    setCallReporter((msg) => send(msg));
    // Loaded while the process waits for its job; a failure here surfaces when the job imports the module.
    ready = capOnnxRuntime(m.threads)
      .then(() => Promise.all(m.modules.map((mod) => import(pathToFileURL(path.join(root, mod)).href).catch(() => {}))))
      .then(async () => {
        if (!m.warm) return;
        const { module, fn, args } = m.warm;
        const mod = (await import(pathToFileURL(path.join(root, module)).href)) as Record<string, unknown>;
        if (typeof mod[fn] === 'function') await (mod[fn] as (a: unknown) => unknown)(args);
      })
      // A warm-up that fails costs the job only its head start: the job prepares what it needs itself.
      .catch(() => {})
      .then(() => {
        send({ type: 'preloaded' });
      });
  } else if (m.type === 'run') {
    void run(m);
  } else if (m.type === 'answer') {
    asked.get(m.id)?.(m.value);
    asked.delete(m.id);
  }
});
// The parent is gone (a worker killed, or a spare no longer wanted): nothing to report to.
process.on('disconnect', () => process.exit(0));
