import { describe, it, expect } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeNpy, parseNpy, readNpy, writeNpy } from '../../lib/datasets/npy';

/** Build an .npy by hand so headers other than the writer's own get exercised. */
function handMade(opts: {
  version?: number;
  header: string;
  payload: Uint8Array;
}): Uint8Array {
  const version = opts.version ?? 1;
  const prefix = version === 1 ? 10 : 12;
  const total = Math.ceil((prefix + opts.header.length + 1) / 64) * 64;
  const headerLen = total - prefix;
  const header = opts.header.padEnd(headerLen - 1, ' ') + '\n';
  const out = new Uint8Array(total + opts.payload.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const dv = new DataView(out.buffer);
  if (version === 1) dv.setUint16(8, headerLen, true);
  else dv.setUint32(8, headerLen, true);
  out.set(new TextEncoder().encode(header), prefix);
  out.set(opts.payload, total);
  return out;
}

function f64Bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Float64Array(values).buffer);
}
function f32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

describe('npy', () => {
  it('roundtrips float32 through encode/parse', () => {
    const data = Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => i / 7 - 1);
    const bytes = encodeNpy(data, [2, 3, 4]);
    // NumPy aligns the data start to 64 bytes; readers may rely on it.
    expect((bytes.length - data.length * 4) % 64).toBe(0);
    const back = parseNpy(bytes);
    expect(back.shape).toEqual([2, 3, 4]);
    expect(back.dtype).toBe('float32');
    expect(Array.from(back.data)).toEqual(Array.from(data));
  });

  it('roundtrips through a file, 1-d and 0-d shapes', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'npy-'));
    try {
      const file = path.join(dir, 'a.npy');
      writeNpy(file, new Float32Array([1.5, -2, 3]), [3]);
      expect(readNpy(file)).toMatchObject({ shape: [3], dtype: 'float32' });
      expect(Array.from(readNpy(file).data)).toEqual([1.5, -2, 3]);
      writeNpy(file, new Float32Array([42]), []);
      const scalar = readNpy(file);
      expect(scalar.shape).toEqual([]);
      expect(Array.from(scalar.data)).toEqual([42]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes the header NumPy writes', () => {
    const bytes = encodeNpy(new Float32Array(6), [2, 3]);
    const len = new DataView(bytes.buffer).getUint16(8, true);
    const header = new TextDecoder('latin1').decode(bytes.subarray(10, 10 + len));
    expect(header.trimEnd()).toBe("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
    expect(header.endsWith('\n')).toBe(true);
  });

  it('reads float64 (narrowed to float32) and v2/v3 headers', () => {
    const vals = [0.1, -1e-3, 12345.678, 2];
    const f8 = parseNpy(
      handMade({ header: "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", payload: f64Bytes(vals) }),
    );
    expect(f8.dtype).toBe('float64');
    expect(f8.shape).toEqual([2, 2]);
    expect(Array.from(f8.data)).toEqual(Array.from(new Float32Array(vals)));

    for (const version of [2, 3]) {
      const a = parseNpy(
        handMade({
          version,
          header: "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }",
          payload: f32Bytes(vals),
        }),
      );
      expect(a.shape).toEqual([4]);
      expect(Array.from(a.data)).toEqual(Array.from(new Float32Array(vals)));
    }
  });

  it('reads data at an unaligned Buffer offset', () => {
    const bytes = encodeNpy(new Float32Array([1, 2, 3]), [3]);
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect(Array.from(parseNpy(shifted.subarray(1)).data)).toEqual([1, 2, 3]);
  });

  it('rejects bad magic', () => {
    expect(() => parseNpy(new TextEncoder().encode('PK\x03\x04 this is a zip file'))).toThrow(/bad magic/);
    expect(() => parseNpy(new Uint8Array(3))).toThrow(/not a NumPy \.npy file/);
  });

  it('rejects truncated data and truncated headers', () => {
    const bytes = encodeNpy(new Float32Array(12), [3, 4]);
    expect(() => parseNpy(bytes.subarray(0, bytes.length - 4))).toThrow(/truncated data.*needs 48 bytes.*has 44/);
    expect(() => parseNpy(bytes.subarray(0, 40))).toThrow(/truncated header/);
  });

  it('rejects unsupported dtypes, big-endian and fortran order', () => {
    const mk = (descr: string, fortran = 'False') =>
      handMade({ header: `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': (2,), }`, payload: f64Bytes([1, 2]) });
    expect(() => parseNpy(mk('<i8'))).toThrow(/unsupported dtype '<i8'/);
    expect(() => parseNpy(mk('|u1'))).toThrow(/unsupported dtype '\|u1'/);
    expect(() => parseNpy(mk('>f4'))).toThrow(/unsupported dtype '>f4'.*little-endian/);
    expect(() => parseNpy(mk('<f4', 'True'))).toThrow(/fortran_order=True is not supported/);
  });

  it('rejects a malformed header and unknown versions', () => {
    expect(() => parseNpy(handMade({ header: "{'descr': '<f4'}", payload: new Uint8Array(0) }))).toThrow(
      /malformed header/,
    );
    const bytes = encodeNpy(new Float32Array(1), [1]);
    bytes[6] = 9;
    expect(() => parseNpy(bytes)).toThrow(/unsupported format version 9/);
  });

  it('names the file in errors', () => {
    expect(() => parseNpy(new Uint8Array(20), '/data/x.npy')).toThrow(/npy \(\/data\/x\.npy\)/);
  });

  it('rejects a shape that does not match the data when writing', () => {
    expect(() => encodeNpy(new Float32Array(5), [2, 3])).toThrow(/6 elements but data has 5/);
  });
});
