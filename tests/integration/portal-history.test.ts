/**
 * The lab history: timeline entries (who, when, status, model version,
 * dataset, target, duration, comment and pin counts), the URL filters, the
 * activity per UTC day by status and by person, live progress, access, and
 * the page's handling of filters it cannot apply.
 */
import { createElement, isValidElement, type ReactElement, type ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { beforeAll, describe, expect, it } from 'vitest';
import { actAs, callRoute, useTestDatabase } from '../helpers/db';
import { seedMembers } from '../helpers/lab-fixture';
import { db } from '../../lib/db/client';
import { createApiToken } from '../../lib/server/labs';
import * as history from '../../app/api/v1/labs/[lab]/history/route';
import * as live from '../../app/api/v1/labs/[lab]/history/live/route';
import HistoryPage from '../../app/labs/[lab]/history/(timeline)/page';
import { Timeline } from '../../app/labs/[lab]/history/Timeline';
import { ActivityChart } from '../../app/labs/[lab]/history/ActivityChart';

useTestDatabase();

const DAY = 86_400_000;
const today = new Date().toISOString().slice(0, 10);
const dayOf = (offset: number) => new Date(Date.parse(`${today}T00:00:00Z`) + offset * DAY).toISOString().slice(0, 10);
/** Noon UTC `offset` days from today, plus minutes. */
const at = (offset: number, minutes = 0) => new Date(Date.parse(`${dayOf(offset)}T12:00:00Z`) + minutes * 60_000);

const tokens: Record<string, string> = {};
const users: Record<string, string> = {};
const ids: Record<string, string> = {};
let otherAnalysis = '';

beforeAll(async () => {
  const lab = await db.lab.create({ data: { slug: 'hist', name: 'History lab' } });
  Object.assign(users, await seedMembers(lab.id, [['ada', 'Ada', 'owner'], ['bob', 'Bob', 'member'], ['vic', 'Vic', 'viewer']]));
  for (const [key, id] of Object.entries(users)) tokens[key] = (await createApiToken(id, 't')).token;
  const layers = [{ name: 'conv1', channels: 4 }];
  const mk = async (name: string, versions: number) => {
    const m = await db.model.create({ data: { labId: lab.id, name, createdById: users.ada } });
    const vs = [];
    for (let v = 1; v <= versions; v++) {
      vs.push(await db.modelVersion.create({ data: { modelId: m.id, version: v, format: 'onnx', storagePath: `${name}${v}`, sha256: 'x', sizeBytes: 1n, layers, inputShape: [1, 28, 28], createdById: users.ada } }));
    }
    return { model: m, versions: vs };
  };
  const netA = await mk('net-a', 2);
  const netB = await mk('net-b', 1);
  ids.netA = netA.model.id;
  ids.netB = netB.model.id;
  const digits = await db.dataset.create({ data: { labId: lab.id, name: 'digits', kind: 'mnist', spec: {}, classes: [], counts: {}, createdById: users.ada } });
  const air = await db.dataset.create({ data: { labId: lab.id, name: 'air', kind: 'csv', spec: {}, classes: [], counts: {}, createdById: users.ada } });
  ids.digits = digits.id;
  ids.air = air.id;

  const add = async (key: string, o: { by: string; day: number; min?: number; status: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled'; mv: string; ds: string; target?: object; seconds?: number; progress?: number }) => {
    const createdAt = at(o.day, o.min ?? 0);
    const startedAt = o.status === 'queued' ? null : new Date(createdAt.getTime() + 30_000);
    const finishedAt = startedAt && o.seconds !== undefined ? new Date(startedAt.getTime() + o.seconds * 1000) : null;
    const a = await db.analysis.create({
      data: {
        labId: lab.id, modelVersionId: o.mv, datasetId: o.ds, title: key, target: (o.target ?? { kind: 'class', index: 3 }) as never, layers: 'all', options: {},
        status: o.status, progress: o.progress ?? (o.status === 'completed' ? 1 : 0), currentLayer: o.status === 'running' ? 'conv1' : null, etaSeconds: o.status === 'running' ? 90 : null,
        createdById: users[o.by], createdAt, startedAt, finishedAt, error: o.status === 'failed' ? 'out of memory' : null,
      },
    });
    ids[key] = a.id;
  };
  const [a1, a2] = netA.versions.map((v) => v.id);
  const b1 = netB.versions[0].id;
  await add('old', { by: 'ada', day: -40, status: 'completed', mv: a1, ds: digits.id, seconds: 3600 });
  await add('tenth', { by: 'bob', day: -10, status: 'failed', mv: b1, ds: air.id, target: { kind: 'regression', source: 'dataset' }, seconds: 12 });
  await add('third-1', { by: 'ada', day: -3, status: 'completed', mv: a2, ds: digits.id, seconds: 185 });
  await add('third-2', { by: 'bob', day: -3, min: 5, status: 'completed', mv: a2, ds: digits.id, seconds: 60 });
  await add('third-3', { by: 'bob', day: -3, min: 10, status: 'cancelled', mv: b1, ds: digits.id, seconds: 5 });
  await add('running', { by: 'bob', day: 0, min: -60, status: 'running', mv: a2, ds: digits.id, progress: 0.42 });
  await add('queued', { by: 'ada', day: 0, min: -30, status: 'queued', mv: b1, ds: air.id, target: { kind: 'regression', index: 1 } });

  await db.comment.createMany({
    data: [
      { labId: lab.id, analysisId: ids['third-1'], authorId: users.bob, body: 'nice' },
      { labId: lab.id, analysisId: ids['third-1'], authorId: users.ada, body: 'thanks', layerName: 'conv1', channelIndex: 2 },
    ],
  });
  await db.pin.create({ data: { labId: lab.id, analysisId: ids['third-1'], layerName: 'conv1', channelIndex: 2, userId: users.ada, note: 'watch this one' } });

  // Another lab with an analysis the history must never show.
  const other = await db.lab.create({ data: { slug: 'other', name: 'Other' } });
  const om = await db.model.create({ data: { labId: other.id, name: 'x', createdById: users.ada } });
  const omv = await db.modelVersion.create({ data: { modelId: om.id, version: 1, format: 'onnx', storagePath: 'o', sha256: 'o', sizeBytes: 1n, layers, inputShape: [1, 28, 28], createdById: users.ada } });
  const ods = await db.dataset.create({ data: { labId: other.id, name: 'd', kind: 'mnist', spec: {}, classes: [], counts: {}, createdById: users.ada } });
  otherAnalysis = (await db.analysis.create({ data: { labId: other.id, modelVersionId: omv.id, datasetId: ods.id, target: {}, layers: 'all', options: {}, status: 'running', createdById: users.ada } })).id;
});

const get = (query: Record<string, string> = {}, who = 'vic', lab = 'hist') => callRoute(history.GET as never, '', { token: tokens[who], params: { lab }, query });
const titles = (body: { analyses: { title: string }[] }) => body.analyses.map((a) => a.title);

describe('history API', () => {
  it('lists the timeline newest first with who, when, model, dataset, target, duration and counts', async () => {
    const res = await get();
    expect(res.status).toBe(200);
    expect(titles(res.body)).toEqual(['queued', 'running', 'third-3', 'third-2', 'third-1', 'tenth', 'old']);
    expect(res.body).toMatchObject({ total: 7, more: false });
    const byTitle = Object.fromEntries(res.body.analyses.map((a: { title: string }) => [a.title, a]));
    expect(byTitle['third-1']).toMatchObject({
      id: ids['third-1'], status: 'completed', person: { id: users.ada, name: 'Ada' }, model: { id: ids.netA, name: 'net-a', version: 2 },
      dataset: { id: ids.digits, name: 'digits', kind: 'mnist' }, targetLabel: 'class 3', durationSeconds: 185, comments: 2, pins: 1, createdAt: at(-3).toISOString(),
    });
    expect(byTitle.running).toMatchObject({ progress: 0.42, currentLayer: 'conv1', etaSeconds: 90, durationSeconds: null, finishedAt: null });
    expect(byTitle.tenth).toMatchObject({ targetLabel: 'regression (dataset target)', error: 'out of memory', durationSeconds: 12 });
    expect(byTitle.queued).toMatchObject({ targetLabel: 'regression (output 1)', startedAt: null, durationSeconds: null });
    expect(res.body.pins).toMatchObject([{ layer: 'conv1', channel: 2, note: 'watch this one', analysisId: ids['third-1'], analysisTitle: 'third-1' }]);
  });

  it('filters by status, model, dataset, person and date range, and pages with limit', async () => {
    expect(titles((await get({ status: 'completed' })).body)).toEqual(['third-2', 'third-1', 'old']);
    expect(titles((await get({ model: ids.netB })).body)).toEqual(['queued', 'third-3', 'tenth']);
    expect(titles((await get({ dataset: ids.air })).body)).toEqual(['queued', 'tenth']);
    expect(titles((await get({ person: users.bob })).body)).toEqual(['running', 'third-3', 'third-2', 'tenth']);
    expect(titles((await get({ from: dayOf(-3), to: dayOf(-3) })).body)).toEqual(['third-3', 'third-2', 'third-1']);
    expect(titles((await get({ from: dayOf(-10) })).body)).toHaveLength(6);
    expect(titles((await get({ to: dayOf(-10) })).body)).toEqual(['tenth', 'old']);
    expect(titles((await get({ person: users.bob, model: ids.netA, status: 'completed' })).body)).toEqual(['third-2']);
    expect(titles((await get({ person: users.vic })).body)).toEqual([]);
    const page = await get({ limit: '2' });
    expect(page.body).toMatchObject({ total: 7, more: true });
    expect(titles(page.body)).toEqual(['queued', 'running']);
    // Another lab's model id simply matches nothing here.
    expect((await get({ model: 'someone-elses-model' })).body.total).toBe(0);
  });

  it('counts analyses per UTC day by status, zero days included', async () => {
    const { activity } = (await get()).body;
    // No date filter: from the first analysis (40 days ago) to today.
    expect(activity).toMatchObject({ group: 'status', from: dayOf(-40), to: today, clipped: false });
    expect(activity.days).toHaveLength(41);
    expect(activity.series.map((s: { key: string }) => s.key)).toEqual(['completed', 'running', 'queued', 'failed', 'cancelled']);
    const day = (d: string) => activity.days.find((x: { day: string }) => x.day === d);
    expect(day(dayOf(-3))).toEqual({ day: dayOf(-3), total: 3, counts: { completed: 2, running: 0, queued: 0, failed: 0, cancelled: 1 } });
    expect(day(today)).toMatchObject({ total: 2, counts: { running: 1, queued: 1 } });
    expect(day(dayOf(-4)).total).toBe(0);
    expect(activity.days.reduce((s: number, d: { total: number }) => s + d.total, 0)).toBe(7);
  });

  it('counts by person, busiest first, and follows the filters and range', async () => {
    const { activity } = (await get({ group: 'person', from: dayOf(-5), to: dayOf(-1) })).body;
    expect(activity).toMatchObject({ group: 'person', from: dayOf(-5), to: dayOf(-1) });
    expect(activity.days.map((d: { day: string }) => d.day)).toEqual([-5, -4, -3, -2, -1].map(dayOf));
    expect(activity.series).toEqual([
      { key: users.bob, label: 'Bob' },
      { key: users.ada, label: 'Ada' },
    ]);
    expect(activity.days[2].counts).toEqual({ [users.bob]: 2, [users.ada]: 1 });
    const failedOnly = (await get({ status: 'failed' })).body.activity;
    expect(failedOnly.days.reduce((s: number, d: { total: number }) => s + d.total, 0)).toBe(1);
    // Nothing matches: the chart still spans two weeks ending today.
    const none = (await get({ person: users.vic })).body.activity;
    expect(none).toMatchObject({ from: dayOf(-13), to: today });
    expect(none.days.every((d: { total: number }) => d.total === 0)).toBe(true);
    const long = (await get({ from: '2020-01-01', to: today })).body.activity;
    expect(long).toMatchObject({ clipped: true, from: dayOf(-365) });
    expect(long.days).toHaveLength(366);
  });

  it('refuses filters it cannot apply, saying which', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ status: 'done' }, 'status must be one of completed, running, queued, failed, cancelled'],
      [{ from: '2026-13-01' }, "from must be a date as YYYY-MM-DD, not '2026-13-01'"],
      [{ to: 'yesterday' }, "to must be a date as YYYY-MM-DD, not 'yesterday'"],
      [{ from: '2026-02-10', to: '2026-02-01' }, 'the date range is empty: from (2026-02-10) is after to (2026-02-01)'],
      [{ group: 'model' }, 'group must be one of status, person'],
      [{ limit: '0' }, 'limit must be between 1 and 500'],
      [{ limit: 'ten' }, 'limit must be a whole number'],
      [{ person: "x' OR 1=1" }, 'person is not a valid id'],
    ];
    for (const [query, error] of cases) expect(await get(query), JSON.stringify(query)).toMatchObject({ status: 400, body: { error } });
  });

  it('is readable by viewers only in their own lab; 401 signed out', async () => {
    expect((await get({}, 'vic', 'other')).status).toBe(404);
    expect((await callRoute(history.GET as never, '', { params: { lab: 'hist' } })).status).toBe(401);
  });
});

describe('live progress', () => {
  it("returns this lab's analyses' progress and ignores others' ids", async () => {
    const res = await callRoute(live.GET as never, '', { token: tokens.vic, params: { lab: 'hist' }, query: { ids: `${ids.running},${ids.queued},${otherAnalysis}` } });
    expect(res.status).toBe(200);
    const byId = Object.fromEntries(res.body.analyses.map((a: { id: string }) => [a.id, a]));
    expect(Object.keys(byId).sort()).toEqual([ids.running, ids.queued].sort());
    expect(byId[ids.running]).toMatchObject({ status: 'running', progress: 0.42, currentLayer: 'conv1', etaSeconds: 90 });
    await db.analysis.update({ where: { id: ids.running }, data: { progress: 0.9 } });
    const again = await callRoute(live.GET as never, '', { token: tokens.vic, params: { lab: 'hist' }, query: { ids: ids.running } });
    expect(again.body.analyses[0].progress).toBe(0.9);
    const many = Array.from({ length: 201 }, (_, i) => `id${i}`).join(',');
    expect(await callRoute(live.GET as never, '', { token: tokens.vic, params: { lab: 'hist' }, query: { ids: many } })).toMatchObject({ status: 400, body: { error: 'at most 200 ids at a time' } });
    expect((await callRoute(live.GET as never, '', { params: { lab: 'hist' }, query: { ids: ids.running } })).status).toBe(401);
  });
});

/** Elements of a given component in a page's returned tree (server components are not rendered here). */
function findAll(node: ReactNode, type: unknown, out: ReactElement<Record<string, unknown>>[] = []) {
  if (Array.isArray(node)) for (const n of node) findAll(n, type, out);
  else if (isValidElement<Record<string, unknown>>(node)) {
    if (node.type === type) out.push(node);
    findAll(node.props.children as ReactNode, type, out);
  }
  return out;
}

describe('history page', () => {
  const render = (search: Record<string, string>) => HistoryPage({ params: Promise.resolve({ lab: 'hist' }), searchParams: Promise.resolve(search) });

  it('hands the filtered timeline and activity to its components', async () => {
    await actAs(users.vic);
    const tree = await render({ status: 'completed', group: 'person' });
    const [timeline] = findAll(tree, Timeline);
    expect((timeline.props.entries as { title: string }[]).map((e) => e.title)).toEqual(['third-2', 'third-1', 'old']);
    const [chart] = findAll(tree, ActivityChart);
    expect(chart.props.activity).toMatchObject({ group: 'person' });
    // A click on a day keeps the other filters and narrows to that day.
    expect(chart.props.dayHref).toBe('/labs/hist/history?status=completed&from={day}&to={day}&group=person');
  });

  it('explains a filter it cannot apply instead of failing', async () => {
    await actAs(users.vic);
    const html = renderToStaticMarkup(createElement('div', null, await render({ from: '2026-02-30' })));
    expect(html).toContain('These filters cannot be applied: from must be a date as YYYY-MM-DD, not &#x27;2026-02-30&#x27;.');
    expect(html).toContain('href="/labs/hist/history"');
  });
});
