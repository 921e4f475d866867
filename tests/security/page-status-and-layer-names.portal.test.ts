/**
 * Against the production server (scripts/dev.ts --production):
 *  - history pages: signed-out visitors get a real redirect to sign-in, other
 *    labs' members a 404, a missing analysis a 404 (they used to get 200 with
 *    a body that redirected, because the page streamed behind its loading state);
 *  - layer and channel pages for layer names that need URL encoding: the TF.js
 *    graph fixture's `conv1/Relu`, and names with `<`, `(`, `"`, `%`, spaces
 *    (they answered 404 while the API found the same names).
 * Rows are inserted directly; layer names of the TF.js model come from its engine.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sessionCookie } from '../helpers/db';
import { usePortal } from '../helpers/portal';
import { channelPageHref, layerApiBase, layerPageHref } from '../../app/_components/layer-path';

const portal = usePortal({ browser: false });

const w = { member: '', outsider: '', analysis: '', names: [] as string[] };
const ODD_NAMES = ['block <1> (a) "q"', 'features 0 (conv)', 'rate 50% & more', 'x/y<z>/"w"'];

async function get(url: string, who?: string) {
  const headers: Record<string, string> = {};
  if (who) headers.cookie = await sessionCookie(who);
  const res = await fetch(`${portal.base}${url}`, { headers, redirect: 'manual' });
  return { status: res.status, location: res.headers.get('location'), body: await res.text() };
}

const html = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

beforeAll(async () => {
  const { db } = await import('../../lib/db/client');
  const { createTfjsEngine } = await import('../../lib/models/tfjs-engine');
  const engine = await createTfjsEngine(path.resolve(import.meta.dirname, '../fixtures/tfjs/tiny-cnn-graph'));
  const tfjsLayers = (engine as { listConvLayers(): { name: string; channels: number; mapHeight: number; mapWidth: number }[] }).listConvLayers();
  expect(tfjsLayers.some((l) => l.name.includes('/'))).toBe(true);

  const member = await db.user.create({ data: { email: 'member@example.org', name: 'Member' } });
  const outsider = await db.user.create({ data: { email: 'outsider@example.org', name: 'Outsider' } });
  const lab = await db.lab.create({ data: { slug: 'names', name: 'Names', memberships: { create: { userId: member.id, role: 'member' } } } });
  await db.lab.create({ data: { slug: 'elsewhere', name: 'Elsewhere', memberships: { create: { userId: outsider.id, role: 'owner' } } } });
  const layers = [
    ...tfjsLayers.map((l) => ({ name: l.name, channels: l.channels, mapHeight: l.mapHeight, mapWidth: l.mapWidth })),
    ...ODD_NAMES.map((name) => ({ name, channels: 2, mapHeight: 4, mapWidth: 4 })),
  ];
  const model = await db.model.create({ data: { labId: lab.id, name: 'tiny graph', createdById: member.id } });
  const version = await db.modelVersion.create({
    data: { modelId: model.id, version: 1, format: 'tfjs', storagePath: 'models/none', sha256: 'none', sizeBytes: 1n, layers, inputShape: [1, 18, 18], outputShape: [5], createdById: member.id },
  });
  const dataset = await db.dataset.create({
    data: { labId: lab.id, name: 'digits', kind: 'mnist', spec: { kind: 'mnist', split: 'test' }, classes: ['0'], counts: { total: 10 }, createdById: member.id },
  });
  const analysis = await db.analysis.create({
    data: {
      labId: lab.id,
      modelVersionId: version.id,
      datasetId: dataset.id,
      title: 'Names that need encoding',
      target: { kind: 'class', index: 0 },
      layers: layers.map((l) => l.name),
      options: { images: 8 },
      status: 'completed',
      createdById: member.id,
    },
  });
  for (const [i, l] of layers.entries()) {
    const lr = await db.layerResult.create({ data: { analysisId: analysis.id, name: l.name, index: i, shape: [8, l.channels, l.mapHeight, l.mapWidth], seconds: 1 } });
    for (let c = 0; c < l.channels; c++) {
      await db.channelResult.create({
        data: { layerResultId: lr.id, channel: c, rank: c + 1, scorePc1: 0.5 - c / 10, scoreMultiple: 0.6 - c / 10, rsq: 0.3, components: 5, explainedVariance: 0.9, meanActivation: 0.1, maxActivation: 1 },
      });
    }
  }
  Object.assign(w, { member: member.id, outsider: outsider.id, analysis: analysis.id, names: layers.map((l) => l.name) });
});

describe('history pages answer with the right status', () => {
  it('signed out: a redirect to sign-in', async () => {
    for (const url of ['/labs/names/history', `/labs/names/history/${w.analysis}`]) {
      const res = await get(url);
      expect([303, 307], url).toContain(res.status);
      expect(res.location, url).toMatch(/\/signin\?callbackUrl=/);
    }
  });

  it("another lab's member: 404", async () => {
    for (const url of ['/labs/names/history', `/labs/names/history/${w.analysis}`]) {
      const res = await get(url, w.outsider);
      expect(res.status, url).toBe(404);
      expect(res.body).not.toContain('Names that need encoding');
    }
  });

  it('a member: 200, and 404 for an analysis that does not exist', async () => {
    expect((await get('/labs/names/history', w.member)).status).toBe(200);
    const page = await get(`/labs/names/history/${w.analysis}`, w.member);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Names that need encoding');
    expect((await get('/labs/names/history/no-such-analysis', w.member)).status).toBe(404);
  });
});

describe('layer and channel pages of names that need URL encoding', () => {
  it('answer 200 and show the name, like the API', async () => {
    expect(w.names).toContain('conv1/Relu');
    for (const name of w.names) {
      const layer = await get(layerPageHref('names', w.analysis, name), w.member);
      expect(layer.status, name).toBe(200);
      expect(layer.body, name).toContain(html(name));
      // The page links its channels with the same encoding, and those pages answer too.
      expect(layer.body).toContain(html(channelPageHref('names', w.analysis, name, 0)));
      const channel = await get(channelPageHref('names', w.analysis, name, 1), w.member);
      expect(channel.status, name).toBe(200);
      expect(channel.body, name).toContain(html(name));
      const api = await get(`${layerApiBase('names', w.analysis, name)}/strip`, w.member);
      expect(api.status, name).toBe(200);
    }
  });

  it('other layers and other labs stay 404', async () => {
    expect((await get(layerPageHref('names', w.analysis, 'conv1'), w.member)).status).toBe(404);
    expect((await get(layerPageHref('names', w.analysis, 'conv1/Relu'), w.outsider)).status).toBe(404);
  });
});
