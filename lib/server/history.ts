/**
 * The lab's history: analyses as a timeline with the filters the history page
 * keeps in its URL (status, model, dataset, person, date range), the activity
 * per day for its chart, and what the filter menus offer. Days are UTC days,
 * the same for every member wherever they are.
 */
import { db, Prisma, type AnalysisStatus } from '../db/client';
import { badRequest } from './errors';
import type { LabContext } from './access';
import type { Activity, ActivityGroup, ActivitySeries, HistoryEntry, LiveState } from './shared/payloads';

export const STATUSES: AnalysisStatus[] = ['completed', 'running', 'queued', 'failed', 'cancelled'];
export const GROUPS: readonly ActivityGroup[] = ['status', 'person'];
const DAY_MS = 86_400_000;
/** The chart never spans more days than this (a year of bars is already thin at 1280 px). */
export const MAX_CHART_DAYS = 366;
/** Without a date filter the chart starts at the first analysis, within these bounds. */
export const DEFAULT_CHART_DAYS = 90;
export const MIN_CHART_DAYS = 14;
export const PAGE_SIZE = 50;
export const MAX_LIMIT = 500;
/** Dates outside these are refused (400), not turned into invalid timestamps. */
export const MIN_DAY = '1970-01-01';
export const MAX_DAY = '2999-12-31';

export interface HistoryFilters {
  status?: AnalysisStatus;
  model?: string;
  dataset?: string;
  person?: string;
  /** YYYY-MM-DD, inclusive (UTC). */
  from?: string;
  to?: string;
  group: ActivityGroup;
  limit: number;
}

type QueryInput = URLSearchParams | Record<string, string | string[] | undefined>;

function getParam(q: QueryInput, key: string): string | undefined {
  const v = q instanceof URLSearchParams ? (q.get(key) ?? undefined) : q[key];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s.trim() === '' ? undefined : s.trim();
}

function parseDay(key: string, v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const d = new Date(`${v}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== v) {
    throw badRequest(`${key} must be a date as YYYY-MM-DD, not '${v.slice(0, 40)}'`);
  }
  // The range is shifted by days (the day after `to`, the chart's first day): keep it far from Date's limits.
  if (v < MIN_DAY || v > MAX_DAY) throw badRequest(`${key} must be between ${MIN_DAY} and ${MAX_DAY}`);
  return v;
}

function parseId(key: string, v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (v.length > 64 || !/^[A-Za-z0-9_-]+$/.test(v)) throw badRequest(`${key} is not a valid id`);
  return v;
}

/** The filters from a URL query (page or API); unknown values are 400 with a message saying which. */
export function parseHistoryFilters(q: QueryInput): HistoryFilters {
  const status = getParam(q, 'status');
  if (status !== undefined && !(STATUSES as string[]).includes(status)) throw badRequest(`status must be one of ${STATUSES.join(', ')}`);
  const group = getParam(q, 'group') ?? 'status';
  if (!(GROUPS as readonly string[]).includes(group)) throw badRequest(`group must be one of ${GROUPS.join(', ')}`);
  const limitRaw = getParam(q, 'limit');
  if (limitRaw !== undefined && !/^\d{1,4}$/.test(limitRaw)) throw badRequest('limit must be a whole number');
  const limit = limitRaw === undefined ? PAGE_SIZE : Number(limitRaw);
  if (limit < 1 || limit > MAX_LIMIT) throw badRequest(`limit must be between 1 and ${MAX_LIMIT}`);
  const from = parseDay('from', getParam(q, 'from'));
  const to = parseDay('to', getParam(q, 'to'));
  if (from && to && from > to) throw badRequest(`the date range is empty: from (${from}) is after to (${to})`);
  return {
    status: status as AnalysisStatus | undefined,
    model: parseId('model', getParam(q, 'model')),
    dataset: parseId('dataset', getParam(q, 'dataset')),
    person: parseId('person', getParam(q, 'person')),
    from,
    to,
    group: group as ActivityGroup,
    limit,
  };
}

/** The URL query for these filters, defaults left out (so links stay short and stable). */
export function historyQuery(f: Partial<HistoryFilters>): string {
  const q = new URLSearchParams();
  for (const key of ['status', 'model', 'dataset', 'person', 'from', 'to'] as const) if (f[key]) q.set(key, f[key]!);
  if (f.group && f.group !== 'status') q.set('group', f.group);
  if (f.limit && f.limit !== PAGE_SIZE) q.set('limit', String(f.limit));
  const s = q.toString();
  return s ? `?${s}` : '';
}

const dayStart = (day: string) => new Date(`${day}T00:00:00Z`);
const addDays = (day: string, n: number) => new Date(dayStart(day).getTime() + n * DAY_MS).toISOString().slice(0, 10);
const today = () => new Date().toISOString().slice(0, 10);

function whereOf(labId: string, f: HistoryFilters): Prisma.AnalysisWhereInput {
  return {
    labId,
    ...(f.status ? { status: f.status } : {}),
    ...(f.model ? { modelVersion: { modelId: f.model } } : {}),
    ...(f.dataset ? { datasetId: f.dataset } : {}),
    ...(f.person ? { createdById: f.person } : {}),
    ...(f.from || f.to ? { createdAt: { ...(f.from ? { gte: dayStart(f.from) } : {}), ...(f.to ? { lt: dayStart(addDays(f.to, 1)) } : {}) } } : {}),
  };
}

export function targetLabel(t: unknown): string {
  const target = (t ?? {}) as { kind?: string; index?: number; source?: string };
  if (target.kind === 'class') return `class ${target.index}`;
  if (target.kind === 'regression') return target.source === 'dataset' ? 'regression (dataset target)' : `regression (output ${target.index ?? 0})`;
  return '—';
}

/** Newest first; `more` says whether a longer list (a higher limit) would show more. */
export async function listHistory(ctx: LabContext, f: HistoryFilters): Promise<{ entries: HistoryEntry[]; more: boolean; total: number }> {
  const where = whereOf(ctx.lab.id, f);
  const [rows, total] = await Promise.all([
    db.analysis.findMany({
      where,
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: f.limit + 1,
      include: {
        modelVersion: { select: { version: true, model: { select: { id: true, name: true } } } },
        dataset: { select: { id: true, name: true, kind: true } },
        createdBy: { select: { id: true, name: true } },
        _count: { select: { comments: true, pins: true } },
      },
    }),
    db.analysis.count({ where }),
  ]);
  const entries = rows.slice(0, f.limit).map((a) => ({
    id: a.id,
    title: a.title,
    status: a.status,
    progress: a.progress,
    currentLayer: a.currentLayer,
    etaSeconds: a.etaSeconds,
    error: a.error,
    cancelRequested: a.cancelRequested,
    createdAt: a.createdAt.toISOString(),
    startedAt: a.startedAt?.toISOString() ?? null,
    finishedAt: a.finishedAt?.toISOString() ?? null,
    durationSeconds: a.startedAt && a.finishedAt ? Math.max(0, (a.finishedAt.getTime() - a.startedAt.getTime()) / 1000) : null,
    person: a.createdBy,
    model: { id: a.modelVersion.model.id, name: a.modelVersion.model.name, version: a.modelVersion.version },
    dataset: a.dataset,
    target: a.target,
    targetLabel: targetLabel(a.target),
    comments: a._count.comments,
    pins: a._count.pins,
  }));
  return { entries, more: rows.length > f.limit, total };
}

/**
 * Analyses created per UTC day, by status or by person, over the filter's
 * date range — or, without one, from the first matching analysis to today,
 * between MIN_CHART_DAYS and DEFAULT_CHART_DAYS long (an empty lab still gets
 * an axis, an old one the recent past).
 */
export async function activity(ctx: LabContext, f: HistoryFilters): Promise<Activity> {
  const to = f.to ?? today();
  let from = f.from;
  if (!from) {
    const first = await db.analysis.findFirst({ where: whereOf(ctx.lab.id, { ...f, from: undefined }), orderBy: { createdAt: 'asc' }, select: { createdAt: true } });
    const earliest = addDays(to, -(DEFAULT_CHART_DAYS - 1));
    const latest = addDays(to, -(MIN_CHART_DAYS - 1));
    const firstDay = first?.createdAt.toISOString().slice(0, 10) ?? latest;
    from = firstDay < earliest ? earliest : firstDay > latest ? latest : firstDay;
  }
  let clipped = false;
  if ((dayStart(to).getTime() - dayStart(from).getTime()) / DAY_MS + 1 > MAX_CHART_DAYS) {
    from = addDays(to, -(MAX_CHART_DAYS - 1));
    clipped = true;
  }

  const conds: Prisma.Sql[] = [Prisma.sql`a."labId" = ${ctx.lab.id}`, Prisma.sql`a."createdAt" >= ${dayStart(from)}`, Prisma.sql`a."createdAt" < ${dayStart(addDays(to, 1))}`];
  if (f.status) conds.push(Prisma.sql`a.status = ${f.status}::"AnalysisStatus"`);
  if (f.model) conds.push(Prisma.sql`mv."modelId" = ${f.model}`);
  if (f.dataset) conds.push(Prisma.sql`a."datasetId" = ${f.dataset}`);
  if (f.person) conds.push(Prisma.sql`a."createdById" = ${f.person}`);
  const keyExpr = f.group === 'person' ? Prisma.sql`a."createdById"` : Prisma.sql`a.status::text`;
  // "createdAt" is a timestamp without time zone holding UTC: date_trunc gives the UTC day.
  const rows = await db.$queryRaw<{ day: string; key: string; n: number }[]>`
    SELECT to_char(date_trunc('day', a."createdAt"), 'YYYY-MM-DD') AS day, ${keyExpr} AS key, count(*)::int AS n
    FROM "Analysis" a JOIN "ModelVersion" mv ON mv.id = a."modelVersionId"
    WHERE ${Prisma.join(conds, ' AND ')}
    GROUP BY 1, 2`;

  const totals = new Map<string, number>();
  for (const r of rows) totals.set(r.key, (totals.get(r.key) ?? 0) + r.n);
  let series: ActivitySeries[];
  if (f.group === 'status') {
    series = STATUSES.map((s) => ({ key: s, label: s }));
  } else {
    const ids = [...totals.keys()];
    const users = await db.user.findMany({ where: { id: { in: ids } }, select: { id: true, name: true } });
    const names = new Map(users.map((u) => [u.id, u.name]));
    // Busiest person at the bottom of the stack, ties by name: a stable, readable order.
    series = ids
      .map((id) => ({ key: id, label: names.get(id) ?? 'former member' }))
      .sort((x, y) => totals.get(y.key)! - totals.get(x.key)! || x.label.localeCompare(y.label));
  }
  const byDay = new Map<string, Record<string, number>>();
  for (const r of rows) {
    const counts = byDay.get(r.day) ?? {};
    counts[r.key] = r.n;
    byDay.set(r.day, counts);
  }
  const days: Activity['days'] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) {
    const counts = Object.fromEntries(series.map((s) => [s.key, byDay.get(d)?.[s.key] ?? 0]));
    days.push({ day: d, counts, total: Object.values(counts).reduce((a, b) => a + b, 0) });
  }
  return { group: f.group, from, to, series, days, clipped };
}

/** What the filter menus offer: the lab's models, datasets, and everyone who is or was active in it. */
export async function historyFacets(ctx: LabContext) {
  const [models, datasets, people] = await Promise.all([
    db.model.findMany({ where: { labId: ctx.lab.id }, select: { id: true, name: true }, orderBy: { name: 'asc' } }),
    db.dataset.findMany({ where: { labId: ctx.lab.id }, select: { id: true, name: true }, orderBy: { name: 'asc' } }),
    db.user.findMany({
      where: { OR: [{ memberships: { some: { labId: ctx.lab.id } } }, { analyses: { some: { labId: ctx.lab.id } } }] },
      select: { id: true, name: true },
      orderBy: { name: 'asc' },
    }),
  ]);
  return { models, datasets, people };
}

/** Current progress of these analyses (this lab's only; other ids are simply absent). */
export async function liveStates(ctx: LabContext, ids: string[]): Promise<LiveState[]> {
  if (ids.length > 200) throw badRequest('at most 200 ids at a time');
  const rows = await db.analysis.findMany({
    where: { labId: ctx.lab.id, id: { in: ids } },
    select: { id: true, status: true, progress: true, currentLayer: true, etaSeconds: true, startedAt: true, finishedAt: true },
  });
  return rows.map((a) => ({
    ...a,
    startedAt: a.startedAt?.toISOString() ?? null,
    finishedAt: a.finishedAt?.toISOString() ?? null,
    durationSeconds: a.startedAt && a.finishedAt ? Math.max(0, (a.finishedAt.getTime() - a.startedAt.getTime()) / 1000) : null,
  }));
}
