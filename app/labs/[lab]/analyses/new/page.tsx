import type { Metadata } from 'next';
import Link from 'next/link';
import { requireLab } from '@/lib/server/access';
import { pickableDatasets, usableImages } from '@/lib/server/datasets';
import { pickableVersions, type StoredLayer } from '@/lib/server/models';
import { LabHeader } from '@/app/labs/[lab]/LabNav';
import { queueAnalysisAction } from './actions';
import { AnalysisForm, type DatasetChoice, type VersionChoice } from './AnalysisForm';

export const metadata: Metadata = { title: 'New analysis' };

/** The one class a dataset shows, as a number: an MNIST digit, or a single numeric class folder. */
function datasetClass(spec: unknown, classes: unknown): number | null {
  const digit = (spec as { kind?: string; digit?: unknown } | null)?.digit;
  if (typeof digit === 'number' && Number.isInteger(digit)) return digit;
  const list = Array.isArray(classes) ? (classes as string[]) : [];
  return list.length === 1 && /^\d+$/.test(list[0]) ? Number(list[0]) : null;
}

/** The name of the one class a dataset shows (its class folder, or the class chosen from a zip), else null. */
function datasetClassName(spec: unknown, classes: unknown): string | null {
  const chosen = (spec as { className?: unknown } | null)?.className;
  if (typeof chosen === 'string') return chosen;
  const list = Array.isArray(classes) ? (classes as string[]) : [];
  return list.length === 1 ? list[0] : null;
}

/** `?model=<version id>` (the model page's "Analyse this model") preselects that version. */
export default async function NewAnalysisPage({ params, searchParams }: { params: Promise<{ lab: string }>; searchParams?: Promise<{ model?: string | string[] }> }) {
  const { lab: slug } = await params;
  const { model: asked } = (await searchParams) ?? {};
  const ctx = await requireLab(slug, 'member', `/labs/${slug}/analyses/new`);
  // Archived models and datasets are kept for their analyses but not offered for new ones.
  const [rows, datasetRows] = await Promise.all([pickableVersions(ctx.lab.id), pickableDatasets(ctx.lab.id)]);

  const latestOfModel = new Map<string, number>();
  for (const v of rows) latestOfModel.set(v.model.name, Math.max(latestOfModel.get(v.model.name) ?? 0, v.version));
  const versions: VersionChoice[] = rows.map((v) => ({
    id: v.id,
    modelName: v.model.name,
    version: v.version,
    format: v.format,
    latest: latestOfModel.get(v.model.name) === v.version,
    outputs: Array.isArray(v.outputShape) ? (v.outputShape as number[]).reduce((a, b) => a * b, 1) : null,
    layers: (v.layers as unknown as StoredLayer[]).map((l) => ({ name: l.name, channels: l.channels, mapHeight: l.mapHeight, mapWidth: l.mapWidth })),
    classes: Array.isArray((v.modelCard as { classes?: unknown } | null)?.classes) ? ((v.modelCard as { classes: unknown[] }).classes.map(String)) : null,
  }));
  // The version asked for, else the most recently uploaded one: usually the one just uploaded to be analysed.
  const chosen = rows.find((v) => v.id === asked);
  const newest = rows.reduce<(typeof rows)[number] | undefined>((best, v) => (!best || v.createdAt > best.createdAt ? v : best), undefined);
  const datasets: DatasetChoice[] = datasetRows.map((d) => ({
    id: d.id,
    name: d.name,
    kind: d.kind,
    classes: Array.isArray(d.classes) ? (d.classes as string[]) : [],
    total: usableImages(d) ?? 0,
    digit: datasetClass(d.spec, d.classes),
    className: datasetClassName(d.spec, d.classes),
  }));

  return (
    <>
      <LabHeader ctx={ctx} title="New analysis" />
      {versions.length === 0 || datasets.length === 0 ? (
        <p className="empty">
          An analysis needs a model and a dataset: <Link href={`/labs/${slug}/models/new`}>upload a model</Link>,{' '}
          <Link href={`/labs/${slug}/datasets/new`}>register a dataset</Link>.
        </p>
      ) : (
        <>
          <p className="muted">
            PCACE ranks each conv channel by how well its activation maps (reduced with PCA) explain the target through ACE&apos;s optimal transforms.
            The defaults are the measured best; each option says when to change it.
          </p>
          <AnalysisForm lab={slug} action={queueAnalysisAction} versions={versions} defaultVersionId={(chosen ?? newest)!.id} datasets={datasets} />
        </>
      )}
    </>
  );
}
