/**
 * Preprocessing published beside a model: a `models.json` manifest in the
 * model's folder (the demo models ship one) that names the file and says how
 * its inputs were prepared during training.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Preprocessing } from '../datasets/types';

interface ManifestPreprocessing {
  resize?: [number, number] | null;
  padTo?: [number, number] | null;
  scale: number;
  channels: 1 | 3;
  mean: number[];
  std: number[];
}

interface ManifestEntry {
  name: string;
  file: string;
  preprocessing: ManifestPreprocessing;
  input?: { shape?: number[] };
}

/** The preprocessing a manifest beside `modelPath` declares for it, if any. */
export function sidecarPreprocessing(modelPath: string): Preprocessing | undefined {
  const manifest = path.join(path.dirname(modelPath), 'models.json');
  if (!existsSync(manifest)) return undefined;
  let entries: ManifestEntry[];
  try {
    const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { models?: ManifestEntry[] } | ManifestEntry[];
    entries = Array.isArray(parsed) ? parsed : parsed.models ?? [];
  } catch {
    return undefined;
  }
  const entry = entries.find((e) => path.basename(e.file) === path.basename(modelPath));
  return entry ? fromManifest(entry.preprocessing) : undefined;
}

export function fromManifest(p: ManifestPreprocessing): Preprocessing {
  const size = p.padTo ?? p.resize ?? [28, 28];
  return {
    height: size[0],
    width: size[1],
    channels: p.channels,
    resize: p.padTo ? 'pad' : 'stretch',
    // The manifest stores the multiplier (1/255); Preprocessing divides.
    scale: 1 / p.scale,
    mean: p.mean,
    std: p.std,
    channelOrder: 'RGB',
  };
}
