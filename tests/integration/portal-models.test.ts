/**
 * Model uploads through POST /api/v1/labs/:lab/models: the engine loads the
 * model before anything is stored; same name → next version; files stored
 * once by sha256; every malformed upload is a 400/413 that stores nothing.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { callRoute, fileBlob, formOf, useTestDatabase } from '../helpers/db';
import { useUploader } from '../helpers/upload';
import { buildOnnx } from '../fixtures/tfjs/onnx-builder';
import { PIPELINE_DIR } from '../helpers/reference';
import * as models from '../../app/api/v1/labs/[lab]/models/route';
import * as model from '../../app/api/v1/labs/[lab]/models/[modelId]/route';
import { db } from '../../lib/db/client';
import { createApiToken } from '../../lib/server/labs';
import { signUp } from '../../lib/server/signup';

const testDb = useTestDatabase();

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures');
const mnist = readFileSync(path.join(PIPELINE_DIR, 'mnist_cnn.onnx'));
const resnet = readFileSync(path.join(FIXTURES, 'resnet18-w4/model.onnx'));
const tfjsJson = readFileSync(path.join(FIXTURES, 'tfjs/tiny-cnn/model.json'));
const tfjsBin = readFileSync(path.join(FIXTURES, 'tfjs/tiny-cnn/weights.bin'));
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

const owner = useUploader({ name: 'Modeller', email: 'models@example.org', password: 'model-uploader' }, () => testDb.current.storageDir);
const { uploadModel: upload, storedFiles } = owner;

describe('model upload', () => {
  it('stores an ONNX model under its sha256 with the layers the engine lists', async () => {
    const res = await upload({ name: 'mnist-cnn', file: [fileBlob(mnist), 'mnist_cnn.onnx'] });
    expect(res.status).toBe(201);
    const v = res.body.version;
    expect(v).toMatchObject({ version: 1, format: 'onnx', sha256: sha(mnist), sizeBytes: mnist.length, inputShape: [1, 28, 28], outputShape: [10] });
    expect(v.layers.map((l: { name: string }) => l.name)).toEqual(['conv1', 'conv2']);
    expect(v.layers[0]).toMatchObject({ channels: 32, mapHeight: 26, mapWidth: 26, kernelSize: [3, 3] });
    expect(storedFiles()).toEqual([`models/${sha(mnist)}.onnx`]);
    expect(readFileSync(path.join(testDb.current.storageDir, `models/${sha(mnist)}.onnx`)).equals(mnist)).toBe(true);
    const row = await db.modelVersion.findFirstOrThrow({ where: { sha256: sha(mnist) } });
    expect(row.storagePath).toBe(`models/${sha(mnist)}.onnx`);
  });

  it('adds versions under the same name; identical bytes are stored once', async () => {
    const v2 = await upload({ name: 'mnist-cnn', file: [fileBlob(resnet), 'resnet.onnx'] });
    expect(v2.status).toBe(201);
    expect(v2.body.version).toMatchObject({ version: 2, sha256: sha(resnet), inputShape: [3, 32, 32] });
    expect(v2.body.version.layers.length).toBe(20);
    const v3 = await upload({ name: 'mnist-cnn', file: [fileBlob(mnist), 'again.onnx'], modelCard: '{"description":"same weights"}' });
    expect(v3.body.version).toMatchObject({ version: 3, sha256: sha(mnist), modelCard: { description: 'same weights' } });
    expect(v2.body.model.id).toBe(v3.body.model.id);
    expect(storedFiles()).toEqual([`models/${sha(mnist)}.onnx`, `models/${sha(resnet)}.onnx`].sort());

    const one = await callRoute(model.GET as never, '', { token: owner.token, params: { lab: owner.slug, modelId: v3.body.model.id } });
    expect(one.status).toBe(200);
    expect(one.body.model.versions.map((x: { version: number }) => x.version)).toEqual([3, 2, 1]);
    const list = await callRoute(models.GET as never, '', { token: owner.token, params: { lab: owner.slug } });
    expect(list.body.models).toHaveLength(1);
  });

  it('numbers concurrent uploads of one name without gaps or duplicates', async () => {
    const results = await Promise.all([1, 2, 3].map(() => upload({ name: 'racer', file: [fileBlob(resnet), 'r.onnx'] })));
    expect(results.map((r) => r.status)).toEqual([201, 201, 201]);
    expect(results.map((r) => r.body.version.version).sort()).toEqual([1, 2, 3]);
  });

  it('accepts a TF.js model (model.json + shards) checked by the TF.js engine', async () => {
    const res = await upload({ name: 'tiny-tfjs', file: [[fileBlob(tfjsJson), 'model.json'] as const, [fileBlob(tfjsBin), 'weights.bin'] as const] });
    expect(res.status).toBe(201);
    expect(res.body.version.format).toBe('tfjs');
    expect(res.body.version.layers.length).toBeGreaterThan(0);
    const dir = path.join(testDb.current.storageDir, 'models', res.body.version.sha256);
    expect(readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
  });

  it('needs the member role: viewers get 403, other labs 404, no credentials 401', async () => {
    const { user: other } = await signUp({ name: 'Stranger', email: 'stranger@example.org', password: 'stranger-pass-7302' }, new Headers());
    const strangerToken = (await createApiToken(other.id, 't')).token;
    const res = await callRoute(models.POST as never, '', { token: strangerToken, params: { lab: owner.slug }, form: formOf({ name: 'x', file: [fileBlob(mnist), 'm.onnx'] }) });
    expect(res.status).toBe(404);
    const anon = await callRoute(models.POST as never, '', { params: { lab: owner.slug }, form: formOf({ name: 'x', file: [fileBlob(mnist), 'm.onnx'] }) });
    expect(anon.status).toBe(401);
  });
});

describe('malformed model uploads store nothing', () => {
  let before: { files: string[]; models: number; versions: number };
  const snapshot = async () => ({ files: storedFiles(), models: await db.model.count(), versions: await db.modelVersion.count() });

  afterEach(async () => {
    expect(await snapshot()).toEqual(before);
    delete process.env.PCACE_MAX_MODEL_MB;
  });

  const noConv = buildOnnx({ input: [1, 1, 4, 4], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }], output: 'y' });
  const cases: [string, () => Parameters<typeof formOf>[0], number, RegExp][] = [
    ['random bytes named .onnx', () => ({ name: 'bad', file: [fileBlob(new Uint8Array(5000).map((_, i) => (i * 37) % 256)), 'x.onnx'] }), 400, /not a usable ONNX model/],
    ['a truncated ONNX file', () => ({ name: 'bad', file: [fileBlob(mnist.subarray(0, mnist.length >> 1)), 'half.onnx'] }), 400, /not a usable ONNX model/],
    ['an empty .onnx file', () => ({ name: 'bad', file: [fileBlob(new Uint8Array(0)), 'empty.onnx'] }), 400, /not a usable ONNX model/],
    ['an ONNX model without conv layers', () => ({ name: 'bad', file: [fileBlob(noConv), 'relu.onnx'] }), 400, /no Conv layers/],
    ['a file that is no model', () => ({ name: 'bad', file: [fileBlob('hello'), 'notes.txt'] }), 400, /expected an \.onnx file or one TF\.js model\.json/],
    ['two ONNX files', () => ({ name: 'bad', file: [[fileBlob(mnist), 'a.onnx'] as const, [fileBlob(resnet), 'b.onnx'] as const] }), 400, /one \.onnx file per upload/],
    ['a TF.js model.json without its shard', () => ({ name: 'bad', file: [fileBlob(tfjsJson), 'model.json'] }), 400, /not a usable TF\.js model: .*weights\.bin/],
    ['a model.json that is not JSON', () => ({ name: 'bad', file: [[fileBlob('{nope'), 'model.json'] as const, [fileBlob(tfjsBin), 'weights.bin'] as const] }), 400, /not a usable TF\.js model/],
    ['no file at all', () => ({ name: 'bad' }), 400, /no model file/],
    ['no name', () => ({ file: [fileBlob(mnist), 'm.onnx'] }), 400, /model name: .*is required/],
    ['a name with a slash', () => ({ name: '../evil', file: [fileBlob(mnist), 'm.onnx'] }), 400, /model name: may use letters/],
    ['preprocessing that is not JSON', () => ({ name: 'bad', file: [fileBlob(mnist), 'm.onnx'], preprocessing: '{' }), 400, /field 'preprocessing' is not valid JSON/],
    [
      'preprocessing for another input size',
      () => ({
        name: 'bad',
        file: [fileBlob(mnist), 'm.onnx'],
        preprocessing: JSON.stringify({ width: 32, height: 32, channels: 1, resize: 'pad', scale: 255, mean: [0], std: [1], channelOrder: 'RGB' }),
      }),
      400,
      /model input is 28×28/,
    ],
    ['an inputShape that contradicts the model', () => ({ name: 'bad', file: [fileBlob(mnist), 'm.onnx'], inputShape: '[3, 28, 28]' }), 400, /input shape mismatch/],
  ];

  for (const [what, fields, status, message] of cases) {
    it(`refuses ${what}`, async () => {
      before = await snapshot();
      const res = await upload(fields());
      expect(res.status).toBe(status);
      expect(res.body.error).toMatch(message);
    });
  }

  it('names the form field a refusal is about, so that forms show it there', async () => {
    before = await snapshot();
    const notJson = await upload({ name: 'bad', file: [fileBlob(mnist), 'm.onnx'], preprocessing: '{' });
    const notRecord = await upload({ name: 'bad', file: [fileBlob(mnist), 'm.onnx'], modelCard: '[1]' });
    const badName = await upload({ name: '../evil', file: [fileBlob(mnist), 'm.onnx'] });
    const engine = await upload({ name: 'bad', file: [fileBlob(new Uint8Array(0)), 'empty.onnx'] });
    expect([notJson.body.field, notRecord.body.field, badName.body.field, engine.body.field]).toEqual(['preprocessing', 'modelCard', 'name', undefined]);
  });

  it('refuses an upload over the size limit with 413', async () => {
    before = await snapshot();
    process.env.PCACE_MAX_MODEL_MB = '1';
    const res = await upload({ name: 'big', file: [fileBlob(mnist), 'big.onnx'] });
    expect(res.status).toBe(413);
    expect(res.body.error).toMatch(/exceeds the limit of 1 MB/);
  });

  it('refuses a body that is not multipart', async () => {
    before = await snapshot();
    const res = await callRoute(models.POST as never, '', { token: owner.token, params: { lab: owner.slug }, json: { name: 'x' } });
    expect(res).toMatchObject({ status: 400, body: { error: 'expected a multipart/form-data upload' } });
  });
});
