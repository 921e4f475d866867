/**
 * What a model version's page says about it (its model card): the
 * architecture, the input and output it takes and gives, how images are
 * preprocessed for it, its conv layers, and the free-form card fields given
 * at upload. A version uploaded without a preprocessing is analysed with the
 * one derived from its input shape, so that is what the card shows, marked
 * as derived.
 */
import { defaultPreprocessing } from '../datasets/preprocess';
import type { Preprocessing } from '../datasets/types';
import type { StoredLayer } from './models';

export interface ModelCardView {
  architecture: string;
  input: string;
  output: string;
  preprocessing: { given: boolean; text: string };
  layers: string;
  /** The card's other fields, as given at upload: [field, text]. */
  fields: [string, string][];
}

interface VersionRow {
  format: string;
  backend: string | null;
  inputShape: unknown;
  outputShape: unknown;
  layers: unknown;
  preprocessing: unknown;
  modelCard: unknown;
}

const shapeText = (shape: unknown) => (Array.isArray(shape) ? `[${shape.join(', ')}]` : 'unknown');
const valueText = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
const plural = (n: number, one: string) => `${n.toLocaleString('en')} ${one}${n === 1 ? '' : 's'}`;

/** "28×28, 1 channel, centred on a zero canvas, pixels ÷ 255, mean [0], std [1], RGB". */
export function describePreprocessing(p: Preprocessing): string {
  const resize = p.resize === 'pad' ? 'centred on a zero canvas' : p.resize === 'stretch' ? 'stretched' : `shorter side to ${p.resizeTo ?? Math.max(p.width, p.height)}, centre-cropped`;
  return `${p.width}×${p.height}, ${plural(p.channels, 'channel')}, ${resize}, pixels ÷ ${p.scale}, mean [${p.mean.join(', ')}], std [${p.std.join(', ')}], ${p.channelOrder}`;
}

export function modelCardView(v: VersionRow): ModelCardView {
  const card = v.modelCard && typeof v.modelCard === 'object' && !Array.isArray(v.modelCard) ? (v.modelCard as Record<string, unknown>) : {};
  const layers = (v.layers as StoredLayer[] | null) ?? [];
  const engine = `${v.format === 'onnx' ? 'ONNX' : 'TF.js'}${v.backend ? ` (${v.backend})` : ''}`;
  const architecture = typeof card.architecture === 'string' && card.architecture.trim() ? `${card.architecture} · ${engine}` : engine;
  let preprocessing: ModelCardView['preprocessing'];
  if (v.preprocessing) preprocessing = { given: true, text: describePreprocessing(v.preprocessing as Preprocessing) };
  else {
    try {
      preprocessing = { given: false, text: describePreprocessing(defaultPreprocessing(v.inputShape as [number, number, number])) };
    } catch (err) {
      preprocessing = { given: false, text: (err as Error).message };
    }
  }
  return {
    architecture,
    input: shapeText(v.inputShape),
    output: shapeText(v.outputShape),
    preprocessing,
    layers: `${plural(layers.length, 'conv layer')}, ${plural(
      layers.reduce((s, l) => s + l.channels, 0),
      'channel',
    )}${layers.length ? ` (${layers[0].name} … ${layers[layers.length - 1].name})` : ''}`,
    fields: Object.entries(card)
      .filter(([k, val]) => k !== 'architecture' && val !== undefined && val !== null)
      .map(([k, val]) => [k, valueText(val)]),
  };
}
