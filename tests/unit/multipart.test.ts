/**
 * The streaming multipart parser against the platform's own encoder: bodies
 * made by Request(FormData) are fed in chunks of every awkward size (so
 * boundaries split across chunks), and the fields, file bytes and digests
 * must match; malformed bodies are 400s that leave the files closed.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { boundaryOf, parseMultipart } from '../../lib/server/multipart';

const root = mkdtempSync(path.join(tmpdir(), 'multipart-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => {
  const dir = path.join(root, String(n++));
  mkdirSync(dir);
  return dir;
};
const limits = { maxBytes: 1 << 30, maxFieldBytes: 1 << 20, maxParts: 100 };
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function encode(form: FormData): Promise<{ bytes: Uint8Array; type: string }> {
  const req = new Request('http://x/', { method: 'POST', body: form });
  return { bytes: new Uint8Array(await req.arrayBuffer()), type: req.headers.get('content-type')! };
}

function chunked(bytes: Uint8Array, size: (i: number) => number): ReadableStream<Uint8Array> {
  let off = 0;
  let i = 0;
  return new ReadableStream({
    pull(c) {
      if (off >= bytes.length) return c.close();
      const len = Math.max(1, size(i++));
      c.enqueue(bytes.slice(off, off + len));
      off += len;
    },
  });
}

const binary = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 131 + (i >> 8)) % 256);
// Bytes that look like a boundary start inside the file: "\r\n--" must not end it.
binary.set(new TextEncoder().encode('\r\n--\r\n------'), 1000);

describe('parseMultipart', () => {
  for (const [what, size] of [
    ['one byte at a time', () => 1],
    ['7-byte chunks', () => 7],
    ['random chunk sizes', (i: number) => ((i * 7919) % 4099) + 1],
    ['one chunk', () => 1 << 30],
  ] as const) {
    it(`matches the platform encoder, ${what}`, async () => {
      const form = new FormData();
      form.append('name', 'résumé "quoted"');
      form.append('json', '{"a":[1,2,3]}');
      form.append('file', new Blob([binary]), 'model.onnx');
      form.append('files', new Blob(['{"x":1}']), 'model.json');
      form.append('files', new Blob([]), 'empty.bin');
      // Sent without a filename by this encoder: an empty text field, as Response.formData() reads it.
      form.append('none', new Blob([]), '');
      const { bytes, type } = await encode(form);
      const dir = freshDir();
      const got = await parseMultipart(chunked(bytes, size), boundaryOf(type), dir, limits);
      expect(Object.fromEntries(got.fields)).toEqual({ name: 'résumé "quoted"', json: '{"a":[1,2,3]}', none: '' });
      expect(got.files.map((f) => [f.field, f.name, f.size])).toEqual([
        ['file', 'model.onnx', binary.length],
        ['files', 'model.json', 7],
        ['files', 'empty.bin', 0],
      ]);
      expect(readFileSync(got.files[0].path).equals(Buffer.from(binary))).toBe(true);
      expect(got.files[0].sha256).toBe(sha(binary));
      expect(readFileSync(got.files[1].path, 'utf8')).toBe('{"x":1}');
      expect(path.extname(got.files[0].path)).toBe('.onnx');
      expect(readdirSync(dir).length).toBe(3);
    });
  }

  it('reads quoted boundaries, a preamble, RFC 5987 file names, and drops a browser\'s empty file input', async () => {
    const b = 'a b:c';
    const body = [
      'ignored preamble\r\n',
      `--${b}\r\n`,
      `Content-Disposition: form-data; name="f"; filename*=UTF-8''%E2%82%AC%20rates.csv\r\n\r\n`,
      'x,y\r\n',
      `--${b}\r\n`,
      'Content-Disposition: form-data; name="images"; filename=""\r\nContent-Type: application/octet-stream\r\n\r\n',
      `\r\n--${b}--\r\nepilogue`,
    ].join('');
    const dir = freshDir();
    const got = await parseMultipart(chunked(new TextEncoder().encode(body), () => 5), boundaryOf(`multipart/form-data; boundary="${b}"`), dir, limits);
    expect(got.files.map((f) => [f.name, f.size])).toEqual([['€ rates.csv', 3]]);
    expect(readFileSync(got.files[0].path, 'utf8')).toBe('x,y');
    expect(readdirSync(dir)).toHaveLength(1);
  });

  const refusals: [string, string, number, RegExp][] = [
    ['a body without the closing boundary', '--B\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue', 400, /ends before the closing boundary/],
    ['a part without a name', '--B\r\nContent-Type: text/plain\r\n\r\nvalue\r\n--B--', 400, /without a form-data name/],
    ['garbage after a boundary', '--Bxyz\r\n\r\n--B--', 400, /bad boundary line/],
    ['an empty body', '', 400, /ends before the closing boundary/],
  ];
  for (const [what, body, status, message] of refusals) {
    it(`refuses ${what}`, async () => {
      const err = await parseMultipart(chunked(new TextEncoder().encode(body), () => 3), 'B', freshDir(), limits).catch((e) => e);
      expect(err).toMatchObject({ status, message: expect.stringMatching(message) });
    });
  }

  it('refuses a text field over its limit and a body over its limit with 413, and stops reading', async () => {
    const form = new FormData();
    form.append('big', 'x'.repeat(5000));
    const { bytes, type } = await encode(form);
    const err = await parseMultipart(chunked(bytes, () => 100), boundaryOf(type), freshDir(), { ...limits, maxFieldBytes: 1000 }).catch((e) => e);
    expect(err).toMatchObject({ status: 413, message: "form field 'big' exceeds the limit of 1 KB" });

    let pulled = 0;
    let cancelled = false;
    const endless = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('--B\r\nContent-Disposition: form-data; name="f"; filename="x.bin"\r\n\r\n'));
      },
      pull(c) {
        pulled += 65536;
        c.enqueue(new Uint8Array(65536));
      },
      cancel() {
        cancelled = true;
      },
    });
    const dir = freshDir();
    const tooBig = await parseMultipart(endless, 'B', dir, { ...limits, maxBytes: 1 << 20 }).catch((e) => e);
    expect(tooBig).toMatchObject({ status: 413, message: 'upload exceeds the limit of 1 MB' });
    expect(cancelled).toBe(true);
    expect(pulled).toBeLessThan(2 << 20);
  });

  it('refuses too many parts', async () => {
    const form = new FormData();
    for (let i = 0; i < 5; i++) form.append(`f${i}`, 'v');
    const { bytes, type } = await encode(form);
    const err = await parseMultipart(chunked(bytes, () => 64), boundaryOf(type), freshDir(), { ...limits, maxParts: 3 }).catch((e) => e);
    expect(err).toMatchObject({ status: 400, message: 'too many parts in the upload (limit 3)' });
  });

  it('needs a boundary', () => {
    expect(() => boundaryOf('multipart/form-data')).toThrow(/without a valid boundary/);
  });
});
