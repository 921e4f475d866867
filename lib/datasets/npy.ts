/**
 * Minimal NumPy .npy reader/writer for the arrays this project exchanges with
 * Python (preprocessed image batches, reference activations).
 *
 * Format: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 *   magic "\x93NUMPY", major, minor, header length (uint16 LE for v1, uint32 LE
 *   for v2/v3), then a Python-dict literal header padded with spaces and ending
 *   in '\n', then the raw data.
 *
 * Only little-endian float32/float64 in C order are accepted: that is what
 * PyTorch/NumPy produce on every machine we target, and supporting more dtypes
 * would mean silently converting integer images whose scaling we cannot know.
 */
import { closeSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';

export interface NpyArray {
  /** Values in C (row-major) order, always float32 (float64 input is narrowed). */
  data: Float32Array;
  /** Array shape; [] for a 0-d array (one element). */
  shape: number[];
  /** dtype stored in the file, so callers can tell a narrowing happened. */
  dtype: 'float32' | 'float64';
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const DTYPES: Record<string, { dtype: 'float32' | 'float64'; size: number }> = {
  '<f4': { dtype: 'float32', size: 4 },
  '<f8': { dtype: 'float64', size: 8 },
};

function fail(what: string, source?: string): never {
  throw new Error(`npy${source ? ` (${source})` : ''}: ${what}`);
}

/** Parse the header dict literal; tolerant of spacing, quote style and trailing commas. */
function parseHeader(text: string, source?: string): { descr: string; fortran: boolean; shape: number[] } {
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]+)['"]/.exec(text)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    fail(`malformed header ${JSON.stringify(text.trim())}`, source);
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    // Python writes (300,) for 1-d arrays and may write 10L on very old versions.
    .filter((s) => s.length > 0)
    .map((s) => {
      const v = Number(s.replace(/L$/, ''));
      if (!Number.isInteger(v) || v < 0) fail(`bad shape entry '${s}' in header`, source);
      return v;
    });
  return { descr, fortran: fortran === 'True', shape };
}

/**
 * Decode .npy bytes. `source` (e.g. a file path) only decorates error messages.
 */
export function parseNpy(bytes: Uint8Array, source?: string): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    fail('not a NumPy .npy file (bad magic; expected "\\x93NUMPY")', source);
  }
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail('truncated header', source);
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    fail(`unsupported format version ${major}.${bytes[7]} (supported: 1.x, 2.x, 3.x)`, source);
  }
  const dataStart = headerStart + headerLen;
  if (dataStart > bytes.length) fail(`truncated header (needs ${dataStart} bytes, file has ${bytes.length})`, source);
  // v1/v2 headers are latin1, v3 is utf8; the fields we read are ASCII either way.
  const headerText = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(
    bytes.subarray(headerStart, dataStart),
  );
  const { descr, fortran, shape } = parseHeader(headerText, source);

  const dt = DTYPES[descr];
  if (!dt) {
    fail(`unsupported dtype '${descr}' (supported: '<f4' float32, '<f8' float64, little-endian)`, source);
  }
  if (fortran) {
    fail('fortran_order=True is not supported; save with np.ascontiguousarray(a) first', source);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  const need = count * dt.size;
  const have = bytes.length - dataStart;
  if (have < need) {
    fail(`truncated data: shape [${shape.join(', ')}] ${descr} needs ${need} bytes, file has ${have}`, source);
  }

  const data = new Float32Array(count);
  const absOffset = bytes.byteOffset + dataStart;
  // Fast path: an aligned typed-array view (hosts are little-endian). Otherwise
  // DataView reads, because the data offset is only aligned relative to the
  // file, not to the Buffer's backing store (Node pools small Buffers).
  if (dt.size === 4 && LITTLE_ENDIAN_HOST && absOffset % 4 === 0) {
    data.set(new Float32Array(bytes.buffer, absOffset, count));
  } else if (dt.size === 8 && LITTLE_ENDIAN_HOST && absOffset % 8 === 0) {
    data.set(new Float64Array(bytes.buffer, absOffset, count));
  } else if (dt.size === 4) {
    for (let i = 0; i < count; i++) data[i] = view.getFloat32(dataStart + 4 * i, true);
  } else {
    for (let i = 0; i < count; i++) data[i] = view.getFloat64(dataStart + 8 * i, true);
  }
  return { data, shape, dtype: dt.dtype };
}

export function readNpy(path: string): NpyArray {
  return parseNpy(readFileSync(path), path);
}

/**
 * Shape and dtype from the header alone, for callers that only need to know
 * how many images a large file holds (reading the data would cost its size).
 */
export function readNpyHeader(path: string): { shape: number[]; dtype: 'float32' | 'float64' } {
  const fd = openSync(path, 'r');
  try {
    const prefix = new Uint8Array(12);
    const got = readSync(fd, prefix, 0, 12, 0);
    if (got < 10 || MAGIC.some((b, i) => prefix[i] !== b)) {
      fail('not a NumPy .npy file (bad magic; expected "\\x93NUMPY")', path);
    }
    const major = prefix[6];
    const view = new DataView(prefix.buffer);
    if (major !== 1 && major !== 2 && major !== 3) fail(`unsupported format version ${major}.${prefix[7]}`, path);
    if (major !== 1 && got < 12) fail('truncated header', path);
    const headerStart = major === 1 ? 10 : 12;
    const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
    // Real headers are a few hundred bytes; refuse absurd lengths instead of allocating them.
    if (headerLen > 1 << 20) fail(`header length ${headerLen} is implausible`, path);
    const header = new Uint8Array(headerLen);
    if (readSync(fd, header, 0, headerLen, headerStart) < headerLen) fail('truncated header', path);
    const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(header);
    const { descr, fortran, shape } = parseHeader(text, path);
    const dt = DTYPES[descr];
    if (!dt) fail(`unsupported dtype '${descr}' (supported: '<f4' float32, '<f8' float64, little-endian)`, path);
    if (fortran) fail('fortran_order=True is not supported; save with np.ascontiguousarray(a) first', path);
    return { shape, dtype: dt.dtype };
  } finally {
    closeSync(fd);
  }
}

/** An .npy file opened for positioned reads along its first axis (image i of an [N, C, H, W] batch). */
export interface NpyRows {
  shape: number[];
  dtype: 'float32' | 'float64';
  /** Items along the first axis (1 for a 0-d array). */
  count: number;
  /** Values per item along the first axis. */
  itemValues: number;
  /** `n` consecutive items from `start`, as float32 (float64 is narrowed). */
  read(start: number, n: number): Promise<Float32Array>;
  close(): Promise<void>;
}

/**
 * Open an .npy for reading only the items asked for: the header is parsed
 * and the file size checked against it (a header that promises more data
 * than the file holds is refused here, as parseNpy would), then each read()
 * is one positioned read. Asynchronous throughout, so a large file never
 * blocks the event loop and never has to fit in memory.
 */
export async function openNpyRows(path: string): Promise<NpyRows> {
  const handle = await open(path, 'r');
  try {
    const prefix = new Uint8Array(12);
    const { bytesRead: got } = await handle.read(prefix, 0, 12, 0);
    if (got < 10 || MAGIC.some((b, i) => prefix[i] !== b)) {
      fail('not a NumPy .npy file (bad magic; expected "\\x93NUMPY")', path);
    }
    const major = prefix[6];
    if (major !== 1 && major !== 2 && major !== 3) fail(`unsupported format version ${major}.${prefix[7]} (supported: 1.x, 2.x, 3.x)`, path);
    if (major !== 1 && got < 12) fail('truncated header', path);
    const view = new DataView(prefix.buffer);
    const headerStart = major === 1 ? 10 : 12;
    const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
    if (headerLen > 1 << 20) fail(`header length ${headerLen} is implausible`, path);
    const header = new Uint8Array(headerLen);
    if ((await handle.read(header, 0, headerLen, headerStart)).bytesRead < headerLen) fail('truncated header', path);
    const { descr, fortran, shape } = parseHeader(new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(header), path);
    const dt = DTYPES[descr];
    if (!dt) fail(`unsupported dtype '${descr}' (supported: '<f4' float32, '<f8' float64, little-endian)`, path);
    if (fortran) fail('fortran_order=True is not supported; save with np.ascontiguousarray(a) first', path);
    const dataStart = headerStart + headerLen;
    const total = shape.reduce((a, b) => a * b, 1);
    const need = total * dt.size;
    const have = (await handle.stat()).size - dataStart;
    if (have < need) fail(`truncated data: shape [${shape.join(', ')}] ${descr} needs ${need} bytes, file has ${Math.max(have, 0)}`, path);
    const count = shape.length === 0 ? 1 : shape[0];
    const itemValues = shape.length === 0 ? 1 : shape.slice(1).reduce((a, b) => a * b, 1);
    return {
      shape,
      dtype: dt.dtype,
      count,
      itemValues,
      async read(start: number, n: number): Promise<Float32Array> {
        if (!Number.isInteger(start) || !Number.isInteger(n) || start < 0 || n < 0 || start + n > count) {
          throw new Error(`npy (${path}): items ${start}..${start + n - 1} are outside 0..${count - 1}`);
        }
        const values = n * itemValues;
        // A buffer of its own (offset 0), so the typed-array views below are aligned.
        const bytes = Buffer.allocUnsafeSlow(values * dt.size);
        let off = 0;
        while (off < bytes.length) {
          const { bytesRead } = await handle.read(bytes, off, bytes.length - off, dataStart + start * itemValues * dt.size + off);
          if (bytesRead === 0) fail('file shrank while reading', path);
          off += bytesRead;
        }
        if (dt.size === 4 && LITTLE_ENDIAN_HOST) return new Float32Array(bytes.buffer, 0, values);
        const out = new Float32Array(values);
        if (dt.size === 8 && LITTLE_ENDIAN_HOST) out.set(new Float64Array(bytes.buffer, 0, values));
        else {
          const dv = new DataView(bytes.buffer);
          for (let i = 0; i < values; i++) out[i] = dt.size === 4 ? dv.getFloat32(4 * i, true) : dv.getFloat64(8 * i, true);
        }
        return out;
      },
      close: () => handle.close(),
    };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/**
 * Encode a float32 C-order array as .npy (v1.0 header, or v2.0 if the header
 * would not fit in 64 KiB). The header is padded so data starts at a multiple
 * of 64 bytes, as NumPy itself does, which lets readers memory-map it aligned.
 */
export function encodeNpy(data: Float32Array, shape: readonly number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`npy: bad shape [${shape.join(', ')}]`);
  }
  if (count !== data.length) {
    throw new Error(`npy: shape [${shape.join(', ')}] has ${count} elements but data has ${data.length}`);
  }
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  let version = 1;
  let prefix = 10;
  let total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  if (total - prefix > 0xffff) {
    version = 2;
    prefix = 12;
    total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  }
  const headerLen = total - prefix;
  const header = dict.padEnd(headerLen - 1, ' ') + '\n';

  const out = new Uint8Array(total + data.length * 4);
  out.set(MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, headerLen, true);
  else view.setUint32(8, headerLen, true);
  for (let i = 0; i < header.length; i++) out[prefix + i] = header.charCodeAt(i);
  for (let i = 0; i < data.length; i++) view.setFloat32(total + 4 * i, data[i], true);
  return out;
}

export function writeNpy(path: string, data: Float32Array, shape: readonly number[]): void {
  writeFileSync(path, encodeNpy(data, shape));
}
