/**
 * The upload check, as a model-process job: open the model with the engine
 * analyses will use (which runs one all-zero sample) and describe it. The web
 * server runs it through lib/models/sandbox with the probe limits, never itself.
 */
import { readFile } from 'node:fs/promises';
import type { ConvLayerInfo, ModelEngine } from './engine';

/** The uploaded files: an .onnx file, or a TF.js model.json and its shards ([file name, path]). */
export type InspectArgs = ({ format: 'onnx'; path: string } | { format: 'tfjs'; files: [string, string][] }) & { inputShape?: number[] };

export interface InspectedModel {
  backend: string;
  inputShape: number[];
  outputShape: number[];
  layers: Omit<ConvLayerInfo, 'weightMean'>[];
  softmaxOutput: boolean;
}

export async function inspectModelJob(args: InspectArgs): Promise<InspectedModel> {
  let engine: ModelEngine;
  if (args.format === 'onnx') {
    const { createOnnxEngine } = await import('./onnx-engine');
    // From bytes, so the engine's messages name 'model' and not a server path.
    engine = await createOnnxEngine(await readFile(args.path), { inputShape: args.inputShape, intraOpNumThreads: 1 });
  } else {
    const { createTfjsEngine } = await import('./tfjs-engine');
    const files = new Map<string, Uint8Array>();
    for (const [name, file] of args.files) files.set(name, await readFile(file));
    engine = await createTfjsEngine(files, { inputShape: args.inputShape });
  }
  try {
    return {
      backend: engine.backend,
      inputShape: [...engine.input.shape],
      outputShape: [...engine.output.shape],
      layers: engine.listConvLayers().map(({ weightMean: _w, ...rest }) => rest),
      softmaxOutput: engine.output.softmax,
    };
  } finally {
    await engine.dispose();
  }
}
