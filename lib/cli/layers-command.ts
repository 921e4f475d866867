/** `pcace layers`: the conv layers of a model, as the portal lists them. */
import { parseArgs } from 'node:util';
import { guessFormat, openModel } from '../models/open-model';
import { UsageError } from './errors';

export const LAYERS_USAGE = `pcace layers --model FILE [--json]

  --model FILE   .onnx file or TF.js model.json
  --json         machine-readable output`;

export async function layersCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { model: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } },
    strict: true,
  });
  if (values.help) {
    out(LAYERS_USAGE);
    return 0;
  }
  if (!values.model) throw new UsageError('--model is required');
  let format;
  try {
    format = guessFormat(values.model);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  let engine;
  try {
    engine = await openModel(values.model, format);
  } catch (err) {
    throw new UsageError(`cannot load ${values.model}: ${(err as Error).message}`);
  }
  try {
    const layers = engine.listConvLayers();
    if (values.json) {
      out(JSON.stringify({
        backend: engine.backend,
        input: engine.input,
        output: engine.output,
        layers: layers.map((l) => ({
          name: l.name,
          channels: l.channels,
          map: [l.mapHeight, l.mapWidth],
          kernel: l.kernelSize,
          stride: l.stride,
          weight_mean: l.weightMean ? Array.from(l.weightMean) : null,
        })),
      }));
    } else {
      out(`${values.model}: input ${engine.input.name} [${engine.input.shape.join('×')}], output ${engine.output.name} [${engine.output.shape.join('×')}]${engine.output.softmax ? ' (after softmax: PCACE wants logits)' : ''}`);
      out(`${'layer'.padEnd(28)} ${'channels'.padStart(8)}  map        kernel  stride  reverse`);
      for (const l of layers) {
        const reverse = l.weightMean ? Array.from(l.weightMean).filter((w) => w < 0).length : 0;
        out(`${l.name.padEnd(28)} ${String(l.channels).padStart(8)}  ${`${l.mapHeight}×${l.mapWidth}`.padEnd(9)}  ${l.kernelSize.join('×').padEnd(6)}  ${l.stride.join('×').padEnd(6)}  ${reverse}`);
      }
      out(`${layers.length} conv layers, ${layers.reduce((s, l) => s + l.channels, 0)} channels`);
    }
  } finally {
    await engine.dispose();
  }
  return 0;
}
