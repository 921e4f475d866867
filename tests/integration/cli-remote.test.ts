/**
 * `pcace rank --server --token`: the CLI process submits to the portal's API
 * route handlers (served over HTTP by a small router here), a real worker
 * computes the analysis, and the CLI writes the results.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pcace } from '../helpers/cli';
import { useTestDatabase } from '../helpers/db';
import { PIPELINE_DIR } from '../helpers/reference';
import { startWorker, type WorkerProcess } from '../helpers/worker-process';
import * as labs from '../../app/api/v1/labs/route';
import * as models from '../../app/api/v1/labs/[lab]/models/route';
import * as datasets from '../../app/api/v1/labs/[lab]/datasets/route';
import * as analyses from '../../app/api/v1/labs/[lab]/analyses/route';
import * as analysis from '../../app/api/v1/labs/[lab]/analyses/[analysisId]/route';
import * as results from '../../app/api/v1/labs/[lab]/analyses/[analysisId]/results/route';
import { createApiToken } from '../../lib/server/labs';
import { signUp } from '../../lib/server/signup';

type Handler = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;
const ROUTES: [RegExp, string[], Record<string, Handler | undefined>][] = [
  [/^\/api\/v1\/labs$/, [], labs as never],
  [/^\/api\/v1\/labs\/([^/]+)\/models$/, ['lab'], models as never],
  [/^\/api\/v1\/labs\/([^/]+)\/datasets$/, ['lab'], datasets as never],
  [/^\/api\/v1\/labs\/([^/]+)\/analyses$/, ['lab'], analyses as never],
  [/^\/api\/v1\/labs\/([^/]+)\/analyses\/([^/]+)$/, ['lab', 'analysisId'], analysis as never],
  [/^\/api\/v1\/labs\/([^/]+)\/analyses\/([^/]+)\/results$/, ['lab', 'analysisId'], results as never],
];

const testDb = useTestDatabase();
let server: Server;
let base = '';
let token = '';
let worker: WorkerProcess;

beforeAll(async () => {
  const { user } = await signUp({ name: 'Remote', email: 'remote@example.org', password: 'remote-password-1' }, new Headers());
  token = (await createApiToken(user.id, 'cli')).token;
  server = createServer(async (req, res) => {
    const url = new URL(req.url!, 'http://localhost');
    const route = ROUTES.find(([re]) => re.test(url.pathname));
    const handler = route?.[2][req.method!];
    if (!route || !handler) {
      res.writeHead(404).end('{"error":"no route"}');
      return;
    }
    const m = route[0].exec(url.pathname)!;
    const params = Object.fromEntries(route[1].map((k, i) => [k, decodeURIComponent(m[i + 1])]));
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length ? Buffer.concat(chunks) : undefined;
    const request = new Request(url, { method: req.method, headers: req.headers as Record<string, string>, body });
    const response = await handler(request, { params: Promise.resolve(params) });
    const headers: Record<string, string> = {};
    response.headers.forEach((v, k) => (headers[k] = v));
    res.writeHead(response.status, headers);
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  worker = startWorker({ DATABASE_URL: testDb.current.url, STORAGE_DIR: testDb.current.storageDir }, 'remote-worker');
});

afterAll(async () => {
  worker?.child.kill('SIGTERM');
  await worker?.exited;
  await new Promise((r) => server?.close(r));
});

describe('pcace rank --server', () => {
  it('submits, waits for the workers and writes the results', async () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'pcace-remote-')), 'r.json');
    const args = ['rank', '--server', base, '--token', token, '--model', path.join(PIPELINE_DIR, 'mnist_cnn.onnx'), '--data', 'mnist:3', '--n', '40', '--layers', 'conv1', '--quiet', '--out', out];
    const first = await pcace(args);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/completed/);
    const result = JSON.parse(readFileSync(out, 'utf8')) as { analysis: { status: string }; layers: { name: string; channels: unknown[] }[] };
    expect(result.analysis.status).toBe('completed');
    expect(result.layers.map((l) => [l.name, l.channels.length])).toEqual([['conv1', 32]]);
    // A second submission reuses the identical model version and the dataset.
    const again = await pcace([...args.slice(0, -2), '--no-wait']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/queued: http.*\/analyses\//);
    const listed = await (await fetch(`${base}/api/v1/labs`, { headers: { authorization: `Bearer ${token}` } })).json();
    const slug = listed.labs[0].slug;
    const m = await (await fetch(`${base}/api/v1/labs/${slug}/models`, { headers: { authorization: `Bearer ${token}` } })).json();
    expect(m.models).toHaveLength(1);
    expect(m.models[0].versions).toHaveLength(1);
  });

  it('exits 2 with the server message on a bad token or lab', async () => {
    const model = path.join(PIPELINE_DIR, 'mnist_cnn.onnx');
    const bad = await pcace(['rank', '--server', base, '--token', 'pcl_wrong', '--model', model, '--data', 'mnist:3', '--out', 'x.json']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/GET \/labs: 401/);
    const noLab = await pcace(['rank', '--server', base, '--token', token, '--lab', 'elsewhere', '--model', model, '--data', 'mnist:3', '--out', 'x.json']);
    expect(noLab.code).toBe(2);
    expect(noLab.stderr).toMatch(/no lab 'elsewhere'/);
    const noToken = await pcace(['rank', '--server', base, '--model', model, '--data', 'mnist:3', '--out', 'x.json']);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/--server needs --token/);
  });
});
