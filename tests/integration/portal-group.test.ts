/**
 * Group PCACE of picked channels through the portal's real path: an analysis
 * of the MNIST CNN's conv1 queued over the API and run by a real worker; a
 * member picks channels over the API, the same worker computes the group
 * artifact in its model process, and its joint score and members' own scores
 * equal groupScore run here directly on the layer's maps of the same images.
 * Bad picks are refused with 400 and the reason before any row is queued.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callRoute, useTestDatabase } from '../helpers/db';
import { completeOnWorker, joinLab, mnistCnnLab, queueAnalysis, type MnistLab } from '../helpers/lab-fixture';
import { waitFor, workerPool } from '../helpers/worker-process';
import * as groupRoute from '../../app/api/v1/labs/[lab]/analyses/[analysisId]/layers/[layer]/group/route';
import * as fileRoute from '../../app/api/v1/labs/[lab]/analyses/[analysisId]/layers/[layer]/artifacts/[artifactId]/[file]/route';
import { forwardBatches, openAnalysisInputs } from '../../lib/analysis/inputs';
import { groupOptions } from '../../lib/analysis/importance/groups';
import type { GroupArtifactDetails } from '../../lib/analysis/artifacts/types';
import { writeTargets } from '../../lib/analysis/response';
import { groupScore } from '../../lib/pcace/group';
import { specFromRow } from '../../lib/queue/spec-from-db';
import { createApiToken } from '../../lib/server/labs';
import { db } from '../../lib/db/client';

const testDb = useTestDatabase();
const workers = workerPool(() => ({ DATABASE_URL: testDb.current.url, STORAGE_DIR: testDb.current.storageDir }));
// 60 images and 3 components per member: ACE takes 12 predictors, so groups of 2 to 4 channels.
const OPTIONS = { images: 60, components: 3, crossFitRepeats: 2, crossFitCap: 2, nullPermutations: 20, seed: 5 };
let lab: MnistLab;
let viewerToken = '';
let analysisId = '';

beforeAll(async () => {
  lab = await mnistCnnLab({ name: 'Groups', email: 'groups@example.org', password: 'groups-password-1x' });
  const viewer = await joinLab(lab.lab.id, { name: 'Group Viewer', email: 'group-viewer@example.org', password: 'group-viewer-password-1' }, 'viewer');
  viewerToken = (await createApiToken(viewer, 'tests')).token;
  analysisId = await queueAnalysis(lab, { layers: ['conv1'], options: OPTIONS });
  // The worker stays up: it computes the groups too.
  await completeOnWorker(workers, 'w-group', [analysisId], 300_000);
}, 420_000);

afterAll(workers.stopAll);

const call = (method: 'GET' | 'POST', opts: { layer?: string; json?: unknown; query?: Record<string, string>; token?: string } = {}) =>
  callRoute(groupRoute[method] as never, '/api', {
    method,
    token: opts.token ?? lab.token,
    params: { lab: lab.slug, analysisId, layer: opts.layer ?? 'conv1' },
    json: opts.json,
    query: opts.query,
  });

/** conv1's maps [n, 32, 26·26] and the class-3 score of the analysis' own images, captured here. */
async function layerMaps() {
  const row = await db.analysis.findUniqueOrThrow({ where: { id: analysisId }, include: { modelVersion: true, dataset: true } });
  const local = await specFromRow(row as never, 'conv1');
  const opened = await openAnalysisInputs(local.spec, { threads: 1 });
  try {
    const n = (await opened.dataset()).samples.length;
    const layer = opened.model.listConvLayers().find((l) => l.name === 'conv1')!;
    const positions = layer.mapHeight * layer.mapWidth;
    const data = new Float32Array(n * layer.channels * positions);
    const y = new Float64Array(n);
    await forwardBatches(opened.model, opened.load, n, 16, ['conv1'], (out, start, count) => {
      data.set(out.activations.get('conv1')!.data, start * layer.channels * positions);
      writeTargets(y, out.output.data, start, count, local.spec);
    });
    return { input: { data, n, channels: layer.channels, positions }, y, spec: local.spec };
  } finally {
    await opened.close();
    await local.release();
  }
}

describe('group PCACE of picked channels', () => {
  it('says what a group may hold; refuses bad picks with 400 and the reason, queueing nothing', async () => {
    const info = await call('GET');
    expect(info.status).toBe(200);
    expect(info.body.limits).toEqual({ channels: 32, images: 60, componentsPerMember: 3, maxMembers: 4 });
    expect(info.body.groups).toEqual([]);
    const refused: [unknown, RegExp][] = [
      [[3], /at least 2 channels/],
      [[3, 3], /channel 3 is picked twice/],
      [[3, 32], /channel 32 is not in this layer \(channels 0–31\)/],
      [[1, 2, 3, 4, 5], /at most 4 channels: each channel brings up to 3 components and ACE takes at most 12 predictors/],
      ['3, x', /"x" is not a channel number/],
      [[-1, 2], /channel -1 is not in this layer/],
      [[1.5, 2], /1\.5 is not a channel number/],
    ];
    for (const [channels, message] of refused) {
      const res = await call('POST', { json: { channels } });
      expect(res.status, JSON.stringify(channels)).toBe(400);
      expect(res.body.error).toMatch(message);
      expect(res.body.field).toBe('channels');
    }
    expect((await call('POST', { json: {} })).status).toBe(400);
    expect((await call('GET', { query: { channels: '7' } })).status).toBe(400);
    expect((await call('POST', { layer: 'conv9', json: { channels: [1, 2] } })).status).toBe(404);
    expect((await call('POST', { json: { channels: [1, 2] }, token: viewerToken })).status).toBe(403);
    expect(await db.channelArtifact.count({ where: { kind: 'group' } })).toBe(0);
  });

  it('a worker scores the picked set as groupScore does on the same maps, with each member alone on the same splits', async () => {
    const first = await call('POST', { json: { channels: '17, 3, 9' } });
    expect(first.status).toBe(202);
    expect(first.body.artifact).toMatchObject({ kind: 'group', channel: -1, variant: '3,9,17' });
    // The same set in another order is the same row, computed once.
    expect((await call('POST', { json: { channels: [9, 17, 3] } })).body.artifact.variant).toBe('3,9,17');
    const done = await waitFor('the group artifact', async () => {
      const res = await call('GET', { query: { channels: '3,9,17' }, token: viewerToken });
      if (res.body.artifact.status === 'failed') throw new Error(res.body.artifact.error);
      return res.body.artifact.status === 'completed' && res.body.artifact;
    }, 180_000, 250);
    expect(await db.channelArtifact.count({ where: { kind: 'group' } })).toBe(1);
    const d = done.values.details as GroupArtifactDetails;

    const { input, y, spec } = await layerMaps();
    const options = groupOptions(spec);
    const direct = groupScore(input, [3, 9, 17], y, options);
    expect(d.channels).toEqual([3, 9, 17]);
    expect(d.images).toBe(60);
    expect(d.components).toBe(direct.components);
    expect(d.score_crossfit).toBeCloseTo(direct.score_crossfit!, 6);
    expect(d.score_multiple).toBeCloseTo(direct.score_multiple, 6);
    expect(d.crossfit_repeats).toBe(direct.crossfit_repeats);
    for (const m of d.members) {
      const alone = groupScore(input, [m.channel], y, options);
      expect(m.score_crossfit, `channel ${m.channel}`).toBeCloseTo(alone.score_crossfit!, 6);
    }
    const best = Math.max(...d.members.map((m) => m.score_crossfit!));
    expect(d.best_single!.score).toBe(best);
    expect(d.gain).toBeCloseTo(d.score_crossfit! - best, 12);

    // The layer's list shows it to viewers, and its values download as JSON.
    const list = await call('GET', { token: viewerToken });
    expect(list.body.groups.map((g: { variant: string; status: string }) => [g.variant, g.status])).toEqual([['3,9,17', 'completed']]);
    const json = await callRoute(fileRoute.GET as never, '/api', { token: viewerToken, params: { lab: lab.slug, analysisId, layer: 'conv1', artifactId: done.id, file: 'values.json' } });
    expect(json.status).toBe(200);
    expect(json.body.details.channels).toEqual([3, 9, 17]);
  });
});
