/**
 * Channel artifacts end to end on real PostgreSQL with real worker processes:
 * requested through the API, computed by `workers/main.ts`, stored as PNGs of
 * the right size; computed exactly once under two workers (and after a
 * worker's lease lapses); failures carry their reason and are retried on a new
 * request; viewers read but cannot request; other labs' ids are 404.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callRoute, fileBlob, formOf, useTestDatabase } from '../helpers/db';
import { PIPELINE_DIR } from '../helpers/reference';
import { startWorker, waitFor, type WorkerProcess } from '../helpers/worker-process';
import * as analyses from '../../app/api/v1/labs/[lab]/analyses/route';
import * as models from '../../app/api/v1/labs/[lab]/models/route';
import * as datasets from '../../app/api/v1/labs/[lab]/datasets/route';
import * as channelRoute from '../../app/api/v1/labs/[lab]/analyses/[analysisId]/layers/[layer]/channels/[channel]/artifacts/route';
import * as stripRoute from '../../app/api/v1/labs/[lab]/analyses/[analysisId]/layers/[layer]/strip/route';
import * as fileRoute from '../../app/api/v1/labs/[lab]/analyses/[analysisId]/layers/[layer]/artifacts/[artifactId]/[file]/route';
import * as samplesRoute from '../../app/api/v1/labs/[lab]/analyses/[analysisId]/layers/[layer]/samples/route';
import * as thumbRoute from '../../app/api/v1/labs/[lab]/analyses/[analysisId]/layers/[layer]/samples/[index]/route';
import { db } from '../../lib/db/client';
import { createApiToken } from '../../lib/server/labs';
import { signUp } from '../../lib/server/signup';
import { claimArtifact } from '../../lib/queue/artifact-tasks';
import { completeArtifact, LeaseLost } from '../../lib/queue/analysis-status';
import { queueConfig } from '../../lib/queue/config';

const testDb = useTestDatabase();
const tokens = { member: '', viewer: '', outsider: '' };
let slug = '';
let outsiderSlug = '';
let analysisId = '';
let topChannel = 0;
const workers: WorkerProcess[] = [];

const spawnWorker = (id: string) => {
  const w = startWorker({ DATABASE_URL: testDb.current.url, STORAGE_DIR: testDb.current.storageDir }, id);
  workers.push(w);
  return w;
};
const stopAll = async () => {
  for (const w of workers.splice(0)) {
    if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
    await w.exited;
  }
};

type Json = any;
const channelCall = (method: 'GET' | 'POST', who: keyof typeof tokens, layer: string, channel: number | string, opts: { lab?: string; analysis?: string; json?: unknown } = {}) =>
  callRoute(channelRoute[method] as never, '/x', {
    method,
    token: tokens[who],
    params: { lab: opts.lab ?? slug, analysisId: opts.analysis ?? analysisId, layer, channel: String(channel) },
    json: opts.json,
  });
const fileCall = (who: keyof typeof tokens, layer: string, artifactId: string, file: string, lab = slug) =>
  callRoute(fileRoute.GET as never, '/x', { token: tokens[who], params: { lab, analysisId, layer, artifactId, file } });

/** Raw bytes of a file route response (callRoute parses text). */
async function fileBytes(layer: string, artifactId: string, file: string): Promise<Buffer> {
  const res = await fileRoute.GET(new Request('http://localhost/x', { headers: { authorization: `Bearer ${tokens.viewer}` } }), {
    params: Promise.resolve({ lab: slug, analysisId, layer, artifactId, file }),
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('image/png');
  return Buffer.from(await res.arrayBuffer());
}

const byKind = (list: Json[]) => Object.fromEntries(list.map((a: Json) => [a.kind, a]));
async function settled(layer: string, channel: number): Promise<Record<string, Json>> {
  return waitFor(`artifacts of ${layer}/${channel}`, async () => {
    const res = await channelCall('GET', 'viewer', layer, channel);
    const asked = (res.body.artifacts as Json[]).filter((a) => a.status !== 'missing');
    return asked.length > 0 && asked.every((a) => a.status === 'completed' || a.status === 'failed') && byKind(res.body.artifacts);
  }, 120_000, 250);
}

beforeAll(async () => {
  const owner = await signUp({ name: 'Owner', email: 'owner@example.org', password: 'owner-password-1' }, new Headers());
  slug = owner.lab.slug;
  tokens.member = (await createApiToken(owner.user.id, 'tests')).token;
  const viewer = await signUp({ name: 'Viewer', email: 'viewer@example.org', password: 'viewer-password-1' }, new Headers());
  await db.membership.create({ data: { labId: owner.lab.id, userId: viewer.user.id, role: 'viewer' } });
  tokens.viewer = (await createApiToken(viewer.user.id, 'tests')).token;
  const outsider = await signUp({ name: 'Outsider', email: 'outsider@example.org', password: 'outsider-password-1' }, new Headers());
  outsiderSlug = outsider.lab.slug;
  tokens.outsider = (await createApiToken(outsider.user.id, 'tests')).token;

  const m = await callRoute(models.POST as never, '', {
    token: tokens.member,
    params: { lab: slug },
    form: formOf({ name: 'mnist-cnn', file: [fileBlob(readFileSync(`${PIPELINE_DIR}/mnist_cnn.onnx`)), 'm.onnx'] }),
  });
  const d = await callRoute(datasets.POST as never, '', { token: tokens.member, params: { lab: slug }, json: { name: 'threes', kind: 'mnist', digit: 3 } });
  const a = await callRoute(analyses.POST as never, '', {
    token: tokens.member,
    params: { lab: slug },
    json: { modelVersionId: m.body.version.id, datasetId: d.body.dataset.id, target: { kind: 'class', index: 3 }, layers: 'all', options: { images: 40, crossFitRepeats: 1 } },
  });
  analysisId = a.body.analysis.id;
  spawnWorker('w-analysis');
  await waitFor('the analysis', async () => (await db.analysis.findUniqueOrThrow({ where: { id: analysisId } })).status === 'completed', 240_000);
  await stopAll();
  topChannel = (await db.channelResult.findFirstOrThrow({ where: { layerResult: { analysisId, name: 'conv2' }, rank: 1 } })).channel;
}, 300_000);
afterAll(stopAll);

describe('channel artifacts', () => {
  it('lets viewers read but not request, and hides other labs', async () => {
    const read = await channelCall('GET', 'viewer', 'conv2', topChannel);
    expect(read.status).toBe(200);
    expect(read.body.artifacts.map((x: Json) => [x.kind, x.status, x.channel])).toEqual([
      ['maps', 'missing', topChannel],
      ['gradcam', 'missing', -1],
      ['actmax', 'missing', topChannel],
      ['top', 'missing', topChannel],
    ]);
    const denied = await channelCall('POST', 'viewer', 'conv2', topChannel);
    expect(denied.status).toBe(403);
    expect(denied.body.error).toMatch(/needs the member role.*you are a viewer/);
    expect((await callRoute(stripRoute.POST as never, '/x', { token: tokens.viewer, params: { lab: slug, analysisId, layer: 'conv2' } })).status).toBe(403);

    // The outsider through our lab's address, and through their own lab with our ids.
    for (const lab of [slug, outsiderSlug]) {
      for (const method of ['GET', 'POST'] as const) {
        const res = await channelCall(method, 'outsider', 'conv2', topChannel, { lab });
        expect(res.status, `${method} via ${lab}`).toBe(404);
      }
      expect((await callRoute(stripRoute.GET as never, '/x', { token: tokens.outsider, params: { lab, analysisId, layer: 'conv2' } })).status).toBe(404);
      expect((await callRoute(samplesRoute.GET as never, '/x', { token: tokens.outsider, params: { lab, analysisId, layer: 'conv2' } })).status).toBe(404);
    }
    // Layers and channels outside the results are not found either.
    expect((await channelCall('GET', 'member', 'fc1', 0)).status).toBe(404);
    expect((await channelCall('POST', 'member', 'conv2', 64)).status).toBe(404);
    expect((await channelCall('POST', 'member', 'conv2', '1e1')).status).toBe(404);
    expect((await channelCall('POST', 'member', 'conv2', 0, { json: { kinds: ['strip'] } })).status).toBe(400);
    expect(await db.channelArtifact.count()).toBe(0);
  });

  it('computes requested pictures with a worker, stored as PNGs of the right size, shown to viewers', async () => {
    // Three concurrent requests of the same pictures make one row per kind.
    const posts = await Promise.all([0, 1, 2].map(() => channelCall('POST', 'member', 'conv2', topChannel)));
    expect(posts.map((p) => p.status)).toEqual([202, 202, 202]);
    const strip = await callRoute(stripRoute.POST as never, '/x', { token: tokens.member, params: { lab: slug, analysisId, layer: 'conv2' } });
    expect(strip.status).toBe(202);
    expect(await db.channelArtifact.count()).toBe(5);
    expect(posts[0].body.artifacts.every((x: Json) => x.status === 'queued')).toBe(true);

    spawnWorker('w-artifacts');
    const done = await settled('conv2', topChannel);
    for (const kind of ['maps', 'gradcam', 'actmax', 'top']) expect(done[kind].status, `${kind}: ${done[kind].error}`).toBe('completed');

    const expectPngs = async (art: Json, count: number) => {
      const pngs = Object.keys(art.files).filter((f) => f.endsWith('.png'));
      expect(pngs).toHaveLength(count);
      const row = await db.channelArtifact.findUniqueOrThrow({ where: { id: art.id } });
      for (const f of pngs) {
        expect(existsSync(path.join(testDb.current.storageDir, row.resultPath!, f))).toBe(true);
        const meta = await sharp(await fileBytes('conv2', art.id, f)).metadata();
        // 28×28 MNIST inputs shown 8× enlarged.
        expect([meta.format, meta.width, meta.height], f).toEqual(['png', 224, 224]);
      }
    };
    await expectPngs(done.maps, 12); // 6 inputs + 6 maps
    await expectPngs(done.gradcam, 12); // 6 inputs + 6 Grad-CAM overlays (no CAM: no global pool)
    await expectPngs(done.actmax, 1);
    await expectPngs(done.top, 18); // 9 inputs + 9 maps

    const maps = done.maps.values;
    expect(maps.mapSize).toEqual([24, 24]);
    expect(maps.rows).toHaveLength(6);
    expect(maps.rows[0].pictures[1].grid.values).toHaveLength(24 * 24);
    expect(maps.rows[0].sample.id).toMatch(/^mnist:test:\d+$/);
    expect(done.gradcam.values.notes.join(' ')).toMatch(/CAM not available: .*no global average pool/);
    expect(done.gradcam.values.details.classIndex).toBe(3);
    const top = done.top.values;
    const means = top.rows.map((r: Json) => r.stats.mean);
    expect(means).toEqual([...means].sort((x: number, y: number) => y - x));
    expect(top.details.histogram.counts.reduce((s: number, c: number) => s + c, 0)).toBe(40);
    // A digit-3 analysis: the maps show its own images (all threes); the top images come from
    // a same-sized sample of all ten digits, each titled with its class.
    expect(new Set(maps.rows.map((r: Json) => r.sample.label))).toEqual(new Set(['3']));
    expect(top.details.allClasses).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(top.notes).toEqual(["drawn from 40 images across the dataset's 10 classes, not only the analysis' images"]);
    expect(new Set(top.rows.map((r: Json) => r.sample.label)).size).toBeGreaterThan(1);
    for (const r of top.rows) expect(r.title).toMatch(new RegExp(`^#\\d · mnist:test:\\d+ \\(class ${r.sample.label}\\)$`));
    console.log('[portal-artifacts] top-image classes:', top.rows.map((r: Json) => r.sample.label).join(' '));
    expect(done.actmax.values.rows[0].stats.finalActivation).toBeGreaterThan(done.actmax.values.rows[0].stats.startActivation);

    // values.json is the export; viewers may read it, outsiders may not.
    const json = await fileCall('viewer', 'conv2', done.maps.id, 'values.json');
    expect(json.status).toBe(200);
    expect(json.body.rows[0].stats).toEqual(maps.rows[0].stats);
    expect((await fileCall('outsider', 'conv2', done.maps.id, 'values.json')).status).toBe(404);
    expect((await fileCall('outsider', 'conv2', done.maps.id, 'values.json', outsiderSlug)).status).toBe(404);
    expect((await fileCall('viewer', 'conv2', done.maps.id, '../../etc/passwd')).status).toBe(404);
    expect((await fileCall('viewer', 'conv1', done.maps.id, 'values.json')).status).toBe(404);

    // Grad-CAM belongs to the layer: another channel of conv2 finds it computed already.
    const other = byKind((await channelCall('GET', 'viewer', 'conv2', (topChannel + 1) % 64)).body.artifacts);
    expect(other.gradcam).toMatchObject({ status: 'completed', id: done.gradcam.id });
    expect(other.maps.status).toBe('missing');

    // The strip: the input and the top-5 / bottom-5 ranked channels on the first sample image.
    // It is a task of its own: the worker may still be computing it when the channel's pictures are done.
    const s = await waitFor('the conv2 strip', async () => {
      const a = (await callRoute(stripRoute.GET as never, '/x', { token: tokens.viewer, params: { lab: slug, analysisId, layer: 'conv2' } })).body.artifact;
      return (a.status === 'completed' || a.status === 'failed') && a;
    }, 120_000, 250);
    expect(s.status, s.error).toBe('completed');
    const rows = s.values.rows;
    expect(rows).toHaveLength(11);
    expect(rows.slice(1).map((r: Json) => [r.group, r.rank])).toEqual([
      ...[1, 2, 3, 4, 5].map((r) => ['top', r]),
      ...[60, 61, 62, 63, 64].map((r) => ['bottom', r]),
    ]);
    expect(rows[1].channel).toBe(topChannel);
    const samples = (await callRoute(samplesRoute.GET as never, '/x', { token: tokens.viewer, params: { lab: slug, analysisId, layer: 'conv2' } })).body.samples;
    expect(samples).toHaveLength(40);
    expect(s.variant).toBe(samples[0].id);
    const thumb = await thumbRoute.GET(new Request('http://localhost/x', { headers: { authorization: `Bearer ${tokens.viewer}` } }), {
      params: Promise.resolve({ lab: slug, analysisId, layer: 'conv2', index: '3' }),
    });
    expect(thumb.headers.get('content-type')).toBe('image/png');
    const bad = await callRoute(stripRoute.POST as never, '/x', { token: tokens.member, params: { lab: slug, analysisId, layer: 'conv2' }, json: { image: 'mnist:test:99999' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/not in the analysis' sample/);

    const seconds = await db.channelArtifact.findMany({ select: { kind: true, seconds: true } });
    console.log('[artifacts] seconds per kind (worker, MNIST CNN conv2):', JSON.stringify(seconds.map((x) => [x.kind, Number(x.seconds?.toFixed(3))])));
    await stopAll();
  });

  it('computes each artifact exactly once under two workers', async () => {
    // Both workers listening before the requests arrive, so both are woken and race for every row.
    const pair = [spawnWorker('w-a'), spawnWorker('w-b')];
    await waitFor('both workers', async () => pair.every((w) => w.output().includes('ready')));
    const channels = Array.from({ length: 16 }, (_, i) => i);
    for (const c of channels) expect((await channelCall('POST', 'member', 'conv1', c, { json: { kinds: ['maps', 'top'] } })).status).toBe(202);
    await waitFor('all conv1 artifacts', async () => (await db.channelArtifact.count({ where: { layerName: 'conv1', status: 'completed' } })) === 32, 120_000);
    const rows = await db.channelArtifact.findMany({ where: { layerName: 'conv1' } });
    expect(rows).toHaveLength(32);
    expect(rows.every((r) => r.status === 'completed' && r.attempts === 1)).toBe(true);
    expect(new Set(rows.map((r) => r.lockedBy))).toEqual(new Set(['w-a', 'w-b']));
    // One folder per artifact: no attempt left files behind.
    const folders = readdirSync(path.join(testDb.current.storageDir, 'artifacts', analysisId));
    expect(folders.sort()).toEqual((await db.channelArtifact.findMany({ where: { status: 'completed' } })).map((r) => path.basename(r.resultPath!)).sort());
    await stopAll();
  });

  it('takes over an artifact whose worker stopped renewing its lease; the late worker cannot complete it', async () => {
    await channelCall('POST', 'member', 'conv1', 20, { json: { kinds: ['maps'] } });
    const ghost = await claimArtifact(db, 'ghost', { ...queueConfig(), leaseSeconds: 3 });
    expect(ghost).toMatchObject({ layerName: 'conv1', channel: 20, kind: 'maps', attempts: 1 });
    spawnWorker('w-rescuer');
    const row = await waitFor('the takeover', async () => {
      const r = await db.channelArtifact.findUniqueOrThrow({ where: { id: ghost!.id } });
      return r.status === 'completed' && r;
    }, 60_000);
    expect(row).toMatchObject({ attempts: 2, lockedBy: 'w-rescuer' });
    await expect(completeArtifact(db, ghost!.id, 'ghost', { resultPath: 'nowhere', values: {}, seconds: 0 })).rejects.toBeInstanceOf(LeaseLost);
    expect((await db.channelArtifact.findUniqueOrThrow({ where: { id: ghost!.id } })).resultPath).toBe(row.resultPath);
    await stopAll();
  });

  it('shows why an artifact failed, and a new request retries it', async () => {
    // The model file damaged in storage after the analysis ran: the worker cannot load it.
    const version = await db.modelVersion.findFirstOrThrow({ where: { analyses: { some: { id: analysisId } } } });
    const file = path.join(testDb.current.storageDir, version.storagePath);
    const good = readFileSync(file);
    writeFileSync(file, 'garbage');
    try {
      await channelCall('POST', 'member', 'conv1', 30, { json: { kinds: ['actmax'] } });
      spawnWorker('w-fail');
      const failed = await settled('conv1', 30).then((k) => k.actmax);
      expect(failed.status).toBe('failed');
      expect(failed.error).toMatch(/cannot load the model/);
      expect(failed.files).toEqual({});
    } finally {
      writeFileSync(file, good);
    }
    // With no worker running, the retried request is seen queued afresh.
    await stopAll();
    const retried = byKind((await channelCall('POST', 'member', 'conv1', 30, { json: { kinds: ['actmax'] } })).body.artifacts);
    expect(retried.actmax).toMatchObject({ status: 'queued', error: null, attempts: 0 });
    spawnWorker('w-retry');
    const done = (await settled('conv1', 30)).actmax;
    expect(done.status).toBe('completed');
    await stopAll();
  });
});
