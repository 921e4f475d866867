/** API/JSON shapes of the database rows (no hashes, no storage internals, BigInt → number). */
import type { StoredLayer } from './models';

type Row = Record<string, unknown>;

const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : (d ?? null));
const num = (v: unknown) => (typeof v === 'bigint' ? Number(v) : (v ?? null));

export function labJson(l: { id: string; slug: string; name: string; createdAt: Date }, role?: string) {
  return { id: l.id, slug: l.slug, name: l.name, createdAt: iso(l.createdAt), ...(role ? { role } : {}) };
}

export function modelVersionJson(v: Row) {
  return {
    id: v.id,
    version: v.version,
    format: v.format,
    sha256: v.sha256,
    sizeBytes: num(v.sizeBytes),
    inputShape: v.inputShape,
    outputShape: v.outputShape ?? null,
    backend: v.backend ?? null,
    layers: (v.layers as StoredLayer[] | null) ?? [],
    preprocessing: v.preprocessing ?? null,
    modelCard: v.modelCard ?? null,
    createdAt: iso(v.createdAt),
  };
}

export function modelJson(m: Row & { versions?: Row[] }) {
  return {
    id: m.id,
    name: m.name,
    createdAt: iso(m.createdAt),
    archivedAt: m.archivedAt ? iso(m.archivedAt) : null,
    ...(m.versions ? { versions: m.versions.map(modelVersionJson) } : {}),
  };
}

export function datasetJson(d: Row) {
  return {
    id: d.id,
    name: d.name,
    kind: d.kind,
    spec: d.spec,
    classes: d.classes,
    counts: d.counts,
    sha256: d.sha256 ?? null,
    sizeBytes: num(d.sizeBytes),
    createdAt: iso(d.createdAt),
    archivedAt: d.archivedAt ? iso(d.archivedAt) : null,
  };
}

export function analysisJson(a: Row) {
  return {
    id: a.id,
    title: a.title ?? null,
    modelVersionId: a.modelVersionId,
    datasetId: a.datasetId,
    target: a.target,
    layers: a.layers,
    options: a.options,
    status: a.status,
    progress: a.progress,
    currentLayer: a.currentLayer ?? null,
    etaSeconds: a.etaSeconds ?? null,
    error: a.error ?? null,
    cancelRequested: a.cancelRequested,
    createdAt: iso(a.createdAt),
    startedAt: iso(a.startedAt),
    finishedAt: iso(a.finishedAt),
    codeVersion: a.codeVersion ?? null,
    engineVersion: a.engineVersion ?? null,
  };
}
