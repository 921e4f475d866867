/**
 * One TF.js backend per process, chosen once:
 *   1. tfjs-node ('tensorflow') when '@tensorflow/tfjs-node-gpu' (CUDA) or
 *      '@tensorflow/tfjs-node' is importable — native libtensorflow, all
 *      gradient kernels, fastest;
 *   2. wasm (XNNPACK, SIMD) — ~30× faster than pure JS on a ResNet-18 forward
 *      here, but missing a few gradient kernels, which tfjs-kernels.ts adds;
 *   3. cpu (pure JS) — always works, slow.
 * tfjs-node is optional (its postinstall downloads libtensorflow, which fails
 * on machines without internet), so it is probed with a dynamic import whose
 * specifier TypeScript and bundlers cannot resolve statically.
 */
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ensureGradientKernels } from './tfjs-kernels';

export type TfBackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface TfBackendChoice {
  /** tfjs backend name as tf.getBackend() reports it. */
  name: TfBackendName;
  /** Why this one: what was tried and failed before it. */
  reason: string;
  /** Kernels this module registered because the backend lacked them. */
  addedKernels: string[];
}

export interface TfBackendOptions {
  /** Where the single "which backend" line goes; default: one line on stderr. */
  log?: (line: string) => void;
  /**
   * Force a backend (tests, benchmarks). Default: env PCACE_TF_BACKEND, else
   * automatic. Only honoured on the first call: the choice is per process.
   */
  prefer?: TfBackendName;
}

let chosen: Promise<TfBackendChoice> | null = null;

/**
 * Initialise TF.js once and return the choice; later calls return the same
 * promise (whatever options they pass), so every model in the process agrees.
 */
export function initTfBackend(options: TfBackendOptions = {}): Promise<TfBackendChoice> {
  if (!chosen) {
    chosen = choose(options).then((c) => {
      const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'));
      const extra = c.addedKernels.length > 0 ? `; added kernels: ${c.addedKernels.join(', ')}` : '';
      log(`[pcace] tfjs backend: ${c.name} (${c.reason}${extra})`);
      return c;
    });
    // A failed init may be retried (e.g. after fixing a path).
    chosen.catch(() => {
      chosen = null;
    });
  }
  return chosen;
}

async function choose(options: TfBackendOptions): Promise<TfBackendChoice> {
  const prefer = options.prefer ?? (process.env.PCACE_TF_BACKEND as TfBackendName | undefined);
  if (prefer && !['tensorflow', 'wasm', 'cpu'].includes(prefer)) {
    throw new Error(`PCACE_TF_BACKEND must be tensorflow, wasm or cpu, got '${prefer}'`);
  }
  const notes: string[] = [];
  if (!prefer || prefer === 'tensorflow') {
    const err = await tryTfjsNode();
    if (!err) return finish('tensorflow', '@tensorflow/tfjs-node found');
    if (prefer) throw new Error(`PCACE_TF_BACKEND=tensorflow but @tensorflow/tfjs-node is unusable: ${err}`);
    notes.push(`tfjs-node unavailable: ${err}`);
  }
  if (!prefer || prefer === 'wasm') {
    const err = await tryWasm();
    if (!err) return finish('wasm', notes.concat('wasm SIMD').join('; '));
    if (prefer) throw new Error(`PCACE_TF_BACKEND=wasm but the wasm backend failed: ${err}`);
    notes.push(`wasm failed: ${err}`);
  }
  if (!(await tf.setBackend('cpu'))) throw new Error('tfjs: even the cpu backend failed to initialise');
  return finish('cpu', notes.length ? notes.join('; ') : 'requested');
}

function finish(name: TfBackendName, reason: string): TfBackendChoice {
  return { name, reason, addedKernels: ensureGradientKernels(name) };
}

/** Dynamic import hidden from tsc/vite: the package is usually absent. */
async function importOptional(specifier: string): Promise<unknown> {
  return import(/* @vite-ignore */ specifier);
}

/** The GPU build first (it registers the same 'tensorflow' backend, on CUDA), then the CPU build. */
const TFJS_NODE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];

async function tryTfjsNode(): Promise<string | null> {
  const errors: string[] = [];
  for (const pkg of TFJS_NODE_PACKAGES) {
    try {
      // tfjs-node registers its 'tensorflow' backend into the tfjs-core it
      // resolves; that is ours when npm deduplicates the (same-version) packages.
      await importOptional(pkg);
      errors.length = 0;
      break;
    } catch (err) {
      const code = (err as { code?: string }).code;
      errors.push(code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' ? `${pkg} not installed` : `${pkg}: ${(err as Error).message}`);
    }
  }
  if (errors.length) return errors.join('; ');
  if (!tf.findBackendFactory('tensorflow')) {
    return 'imported, but it registered no backend with this @tensorflow/tfjs (version mismatch, two tfjs-core copies?)';
  }
  return (await tf.setBackend('tensorflow')) ? null : 'backend failed to initialise';
}

async function tryWasm(): Promise<string | null> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // The .wasm binaries sit in the package's dist/, wherever npm put it
    // (hoisted, nested, or a workspace): resolve from the package manifest.
    const req = createRequire(import.meta.url);
    const dist = path.join(path.dirname(req.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
    // Node's wasm loader reads the files by path; a trailing separator is
    // required because tfjs appends the file name to the prefix.
    wasm.setWasmPaths(dist + path.sep);
    if (!(await tf.setBackend('wasm'))) return 'backend failed to initialise';
    await tf.ready();
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** For messages and reports: the backend in use, or null before init. */
export function currentTfBackend(): string | null {
  return chosen ? tf.getBackend() : null;
}

