/**
 * Security finding: errors. `results?top=1e21` and `history?to=9999-12-31`
 * answered 500, and 400s forwarded engine messages with server paths
 * (`.data/storage/tmp/<uuid>/…`) and ONNX Runtime internals. Bad input is
 * now a 400 with a message; one mapper (lib/server/errors.ts) strips paths
 * from every message that reaches the caller and turns unexpected errors into
 * a 500 with a generic message and a request id, the detail logged only.
 * Through the API route handlers, as the portal serves them.
 */
import { tmpdir } from 'node:os';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { callRoute, fileBlob, formOf, useTestDatabase } from '../helpers/db';
import { labOwner } from '../helpers/lab-fixture';
import { buildOnnx } from '../fixtures/tfjs/onnx-builder';
import { PIPELINE_DIR } from '../helpers/reference';
import { seedNetwork } from '../../bench/compare-seed';
import * as results from '../../app/api/v1/labs/[lab]/analyses/[analysisId]/results/route';
import * as history from '../../app/api/v1/labs/[lab]/history/route';
import * as models from '../../app/api/v1/labs/[lab]/models/route';
import * as datasets from '../../app/api/v1/labs/[lab]/datasets/route';
import { db } from '../../lib/db/client';
import { errorResponse, publicMessage } from '../../lib/server/errors';

const testDb = useTestDatabase();

let token = '';
let slug = '';
let analysisId = '';

beforeAll(async () => {
  const owner = await labOwner({ name: 'Errors', email: 'errors@example.org', password: 'granite-osprey-lullaby' });
  ({ slug, token } = owner);
  analysisId = (await seedNetwork(db, { labId: owner.lab.id, userId: owner.user.id, modelName: 'tiny', layers: [['conv1', 8, 6]], classIndex: 0, runSeed: 1 })).analysisId;
});

/** A file-system path in a message: '/'-rooted with at least two segments, or the data directory. */
function leaksPath(message: string): string | null {
  const rooted = /(?:^|[\s:'"(=])(\/[^\s/'"]+\/[^\s'"]*)/.exec(message);
  if (rooted) return rooted[1];
  for (const needle of ['.data/', testDb.current.storageDir, tmpdir() + '/', 'onnxruntime::', '.cc:']) if (message.includes(needle)) return needle;
  return null;
}

describe('bad query values are 400s with a message', () => {
  it('results?top=1e21 (and other non-counts)', async () => {
    const ok = await callRoute(results.GET as never, `/api/v1/labs/${slug}/analyses/${analysisId}/results`, { token, params: { lab: slug, analysisId }, query: { top: '3' } });
    expect(ok.status).toBe(200);
    expect(ok.body.layers[0].channels).toHaveLength(3);
    for (const top of ['1e21', '0x10', '1.5', '-1', '0', '99999999999']) {
      const res = await callRoute(results.GET as never, `/api/v1/labs/${slug}/analyses/${analysisId}/results`, { token, params: { lab: slug, analysisId }, query: { top } });
      expect(res.status, top).toBe(400);
      expect(res.body.error).toMatch(/^top must be a whole number/);
    }
  });

  it('history?to=9999-12-31 (and other dates out of range)', async () => {
    const queries: Record<string, string>[] = [{ to: '9999-12-31' }, { from: '0001-01-01' }, { from: '9999-12-30', to: '9999-12-31' }];
    for (const query of queries) {
      const res = await callRoute(history.GET as never, `/api/v1/labs/${slug}/history`, { token, params: { lab: slug }, query });
      expect(res.status, JSON.stringify(query)).toBe(400);
      expect(res.body.error).toMatch(/^(to|from) must be between 1970-01-01 and 2999-12-31$/);
    }
    const fine = await callRoute(history.GET as never, `/api/v1/labs/${slug}/history`, { token, params: { lab: slug }, query: { to: '2999-12-31' } });
    expect(fine.status).toBe(200);
  });
});

describe('engine errors reach the caller without server paths', () => {
  const mnist = readFileSync(path.join(PIPELINE_DIR, 'mnist_cnn.onnx'));
  // Valid protobuf, valid ops, but a Conv whose weights expect 3 input channels on a 1-channel input:
  // ONNX Runtime refuses it while loading, with its own diagnostics.
  const mismatched = buildOnnx({
    input: [1, 1, 8, 8],
    nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], attrs: { kernel_shape: [3, 3] } }],
    floats: { w: [4, 3, 3, 3] },
    output: 'y',
  });
  const broken: [string, Uint8Array][] = [
    ['random.onnx', new Uint8Array(5000).map((_, i) => (i * 37) % 256)],
    ['half.onnx', mnist.subarray(0, mnist.length >> 1)],
    ['mismatched.onnx', mismatched],
  ];

  for (const [name, bytes] of broken) {
    it(`an unusable model (${name}) is a 400 whose message names no path`, async () => {
      const res = await callRoute(models.POST as never, `/api/v1/labs/${slug}/models`, { token, params: { lab: slug }, form: formOf({ name: 'broken', file: [fileBlob(bytes), name] }) });
      expect(res.status).toBe(400);
      expect(typeof res.body.error).toBe('string');
      expect(res.body.error.length).toBeGreaterThan(10);
      expect(leaksPath(res.body.error)).toBeNull();
    });
  }
});

describe('dataset errors reach the caller without server paths', () => {
  // The dataset reader named the upload's scratch file (<storage>/tmp/<uuid>/data.npy) in its message.
  it('a .npy that is not one is a 400 whose message names no path', async () => {
    const res = await callRoute(datasets.POST as never, `/api/v1/labs/${slug}/datasets`, {
      token,
      params: { lab: slug },
      form: formOf({ name: 'not-npy', kind: 'npy', file: [fileBlob(new Uint8Array(100)), 'x.npy'] }),
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/not a NumPy \.npy file/);
    expect(leaksPath(res.body.error)).toBeNull();
  });
});

describe('the error mapper', () => {
  it('strips paths from messages that reach the caller', () => {
    const storage = testDb.current.storageDir;
    const msg = publicMessage(
      `not a usable ONNX model: Load model from ${storage}/tmp/6f1c2a9e-1b7c-4d0e-9b1f-0c4b9c7d2e11/model.onnx failed:Node (/conv1/Conv) at /onnxruntime_src/onnxruntime/core/graph/graph.cc:1452 onnxruntime::Graph::Resolve() and .data/storage/tmp/abc/x.bin`,
    );
    for (const leak of [storage, '/tmp/', '.data/', 'onnxruntime_src', 'graph.cc', 'onnxruntime::']) expect(msg).not.toContain(leak);
    expect(msg).toContain('model.onnx');
    // Not paths: ONNX tensor names stay readable.
    expect(msg).toContain('/conv1/Conv');
  });

  it('turns unexpected errors into a 500 with a generic message and a request id, logging the detail', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const res = errorResponse(new Error(`ENOENT: no such file or directory, open '${testDb.current.storageDir}/ab/cd'`));
    expect(res.status).toBe(500);
    const body = await res.json();
    expect(body.error).toMatch(/^internal error \(request id [0-9a-f-]{36}\)/);
    expect(body.requestId).toBe(res.headers.get('x-request-id'));
    expect(leaksPath(body.error)).toBeNull();
    expect(String(logged.mock.calls[0]?.[0])).toContain(body.requestId);
    expect(String(logged.mock.calls[0]?.[1])).toContain('ENOENT');
    logged.mockRestore();
  });
});
