import type { Metadata } from 'next';
import Link from 'next/link';
import { requireLab } from '../../../../../lib/server/access';
import { db } from '../../../../../lib/server/db';
import type { StoredLayer } from '../../../../../lib/server/models';
import { createAnalysisAction } from '../../../../actions/analyses';
import { LabHeader } from '../../LabNav';
import { AnalysisForm } from './AnalysisForm';

export const metadata: Metadata = { title: 'New analysis' };

export default async function NewAnalysisPage({ params }: { params: Promise<{ lab: string }> }) {
  const { lab: slug } = await params;
  const ctx = await requireLab(slug, 'member', `/labs/${slug}/analyses/new`);
  const [versions, datasets] = await Promise.all([
    db.modelVersion.findMany({
      where: { model: { labId: ctx.lab.id } },
      orderBy: [{ model: { name: 'asc' } }, { version: 'desc' }],
      include: { model: { select: { name: true } } },
    }),
    db.dataset.findMany({ where: { labId: ctx.lab.id }, orderBy: { name: 'asc' } }),
  ]);
  return (
    <>
      <LabHeader ctx={ctx} title="New analysis" />
      {versions.length === 0 || datasets.length === 0 ? (
        <p className="empty">
          An analysis needs a model and a dataset: <Link href={`/labs/${slug}/models/new`}>upload a model</Link>,{' '}
          <Link href={`/labs/${slug}/datasets/new`}>register a dataset</Link>.
        </p>
      ) : (
        <AnalysisForm
          lab={slug}
          action={createAnalysisAction}
          versions={versions.map((v) => ({
            id: v.id,
            label: `${v.model.name} v${v.version} (${v.format})`,
            layers: (v.layers as unknown as StoredLayer[]).map((l) => ({ name: l.name, channels: l.channels })),
            outputs: ((v.outputShape as number[] | null) ?? [1]).reduce((a, b) => a * b, 1),
          }))}
          datasets={datasets.map((d) => ({ id: d.id, label: `${d.name} (${d.kind})`, kind: d.kind }))}
        />
      )}
    </>
  );
}
