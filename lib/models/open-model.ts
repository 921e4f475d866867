/** Opens a model file with the engine its format needs. */
import { createOnnxEngine } from './onnx-engine';
import type { ModelEngine } from './engine';

export type ModelFormat = 'onnx' | 'tfjs';

export interface OpenModelOptions {
  /** Intra-op threads for the forward pass (default: all cores). */
  threads?: number;
}

/** `path`: an .onnx file, or a TF.js model.json (its weight shards beside it). */
export async function openModel(path: string, format: ModelFormat = guessFormat(path), options: OpenModelOptions = {}): Promise<ModelEngine> {
  if (format === 'onnx') return createOnnxEngine(path, { intraOpNumThreads: options.threads, releaseArena: true, prefixRuns: true });
  // Loaded lazily: TF.js is heavy and only TF.js models need it.
  const { createTfjsEngine } = (await import('./tfjs-engine')) as { createTfjsEngine: (p: string) => Promise<ModelEngine> };
  return createTfjsEngine(path);
}

export function guessFormat(path: string): ModelFormat {
  if (/\.onnx$/i.test(path)) return 'onnx';
  if (/model\.json$/i.test(path) || /\.json$/i.test(path)) return 'tfjs';
  throw new Error(`cannot tell the model format of ${path}: expected an .onnx file or a TF.js model.json`);
}
