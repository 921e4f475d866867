/** Analyses over the API: validated creation (queued), listing, results in the lib/analysis shape, cancellation. */
import { beforeAll, describe, expect, it } from 'vitest';
import { callRoute, formOf, useTestDatabase } from '../helpers/db';
import { mnistCnnLab } from '../helpers/lab-fixture';
import * as analyses from '../../app/api/v1/labs/[lab]/analyses/route';
import * as analysis from '../../app/api/v1/labs/[lab]/analyses/[analysisId]/route';
import * as results from '../../app/api/v1/labs/[lab]/analyses/[analysisId]/results/route';
import * as cancel from '../../app/api/v1/labs/[lab]/analyses/[analysisId]/cancel/route';
import type { LayerResult } from '../../lib/analysis/types';
import { DEFAULT_ANALYSIS } from '../../lib/analysis/defaults';
import { saveLayerResult } from '../../lib/queue/result-rows';
import { db } from '../../lib/db/client';

useTestDatabase();

let token = '';
let slug = '';
let versionId = '';
let datasetId = '';

beforeAll(async () => {
  ({ token, slug, versionId, datasetId } = await mnistCnnLab({ name: 'Analyst', email: 'analyst@example.org', password: 'analyst-password' }));
});

const create = (json: unknown) => callRoute(analyses.POST as never, '', { token, params: { lab: slug }, json });

describe('analyses', () => {
  let id = '';

  it('are created queued, with the defaults filled in', async () => {
    const res = await create({ modelVersionId: versionId, datasetId, target: { kind: 'class', index: 3 }, layers: ['conv2'], options: { permutations: 20 } });
    expect(res.status).toBe(201);
    id = res.body.analysis.id;
    expect(res.body.analysis).toMatchObject({
      status: 'queued',
      progress: 0,
      layers: ['conv2'],
      target: { kind: 'class', index: 3 },
      title: 'mnist-cnn v1 × threes',
      options: { ...Object.fromEntries(Object.entries(DEFAULT_ANALYSIS).filter(([k]) => k !== 'layers')), permutations: 20 },
    });
    const got = await callRoute(analysis.GET as never, '', { token, params: { lab: slug, analysisId: id } });
    expect(got.body.analysis).toMatchObject({ id, model: { name: 'mnist-cnn', version: 1 }, dataset: { name: 'threes' } });
    const list = await callRoute(analyses.GET as never, '', { token, params: { lab: slug }, query: { status: 'queued' } });
    expect(list.body.analyses.map((a: { id: string }) => a.id)).toEqual([id]);
  });

  it('refuse bad input with messages that say what is wrong', async () => {
    const cases: [unknown, RegExp][] = [
      [{ modelVersionId: versionId, datasetId, target: { kind: 'class', index: 3 }, layers: ['conv9'] }, /unknown layer 'conv9'; mnist-cnn v1 has: conv1, conv2/],
      [{ modelVersionId: versionId, datasetId, target: { kind: 'class', index: 10 } }, /target class index 10 is out of range: the model has 10 outputs/],
      [{ modelVersionId: versionId, datasetId }, /invalid analysis: target: /],
      [{ modelVersionId: versionId, datasetId, target: { kind: 'class', index: 1 }, options: { images: 3 } }, /options\.images: /],
      [{ modelVersionId: versionId, datasetId, target: { kind: 'class', index: 1 }, options: { colour: 'red' } }, /options: .*colour/],
      [{ modelVersionId: versionId, datasetId, target: { kind: 'regression', source: 'dataset' } }, /needs a CSV dataset/],
    ];
    for (const [body, message] of cases) {
      const res = await create(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error).toMatch(message);
    }
    const notJson = await callRoute(analyses.POST as never, '', { token, params: { lab: slug }, headers: { 'content-type': 'application/json' }, form: formOf({ a: 'b' }) });
    expect(notJson.status).toBe(400);
    expect((await create({ modelVersionId: 'nope', datasetId, target: { kind: 'class', index: 1 } })).status).toBe(404);
    expect(await db.analysis.count()).toBe(1);
  });

  it('serve stored results in the shape the analysis produces', async () => {
    const layer: LayerResult = {
      name: 'conv2',
      shape: [300, 64, 24, 24],
      kernel: [3, 3],
      seconds: 12.5,
      warnings: ['2 constant channels'],
      channels: [
        { index: 5, rank: 2, score_pc1: 0.4, score_multiple: 0.5, rsq: 0.25, score_crossfit: 0.45, components: 5, explained_variance: 0.8, mean_activation: 0.1, max_activation: 2, weight_mean: -0.01, reverse: true, p_value: 0.02, z_score: 2.1, null_q95: 0.3, flags: [] },
        { index: 7, rank: 1, score_pc1: 0.7, score_multiple: 0.8, rsq: 0.64, components: 5, explained_variance: 0.9, mean_activation: 0.2, max_activation: 3, flags: ['constant'], ablation_drop: 0.3 },
      ],
    };
    await saveLayerResult(db, id, 1, layer);
    const res = await callRoute(results.GET as never, '', { token, params: { lab: slug, analysisId: id } });
    expect(res.status).toBe(200);
    expect(res.body.layers).toHaveLength(1);
    const l = res.body.layers[0];
    expect(l).toMatchObject({ name: 'conv2', index: 1, shape: layer.shape, kernel: [3, 3], seconds: 12.5, warnings: layer.warnings });
    expect(l.channels).toEqual([layer.channels[1], layer.channels[0]]);
    const top = await callRoute(results.GET as never, '', { token, params: { lab: slug, analysisId: id }, query: { top: '1' } });
    expect(top.body.layers[0].channels.map((c: { index: number }) => c.index)).toEqual([7]);
    expect((await callRoute(results.GET as never, '', { token, params: { lab: slug, analysisId: id }, query: { top: '0' } })).status).toBe(400);
  });

  it('cancel a queued analysis at once; a finished one cannot be cancelled', async () => {
    const res = await callRoute(cancel.POST as never, '', { token, method: 'POST', params: { lab: slug, analysisId: id } });
    expect(res.body.analysis).toMatchObject({ status: 'cancelled', cancelRequested: true });
    const again = await callRoute(cancel.POST as never, '', { token, method: 'POST', params: { lab: slug, analysisId: id } });
    expect(again).toMatchObject({ status: 400, body: { error: 'analysis is cancelled; only queued or running analyses can be cancelled' } });
  });
});
