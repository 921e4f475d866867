import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { requireLab } from '../../../../../lib/server/access';
import { db } from '../../../../../lib/server/db';
import { formatBytes, formatDate } from '../../../../_components/format';
import { LabHeader } from '../../LabNav';

export const metadata: Metadata = { title: 'Dataset' };

export default async function DatasetPage({ params }: { params: Promise<{ lab: string; datasetId: string }> }) {
  const { lab: slug, datasetId } = await params;
  const ctx = await requireLab(slug, 'viewer', `/labs/${slug}/datasets/${datasetId}`);
  const d = await db.dataset.findFirst({ where: { id: datasetId, labId: ctx.lab.id }, include: { createdBy: { select: { name: true } } } });
  if (!d) notFound();
  const counts = d.counts as { total?: number; skipped?: number; perClass?: Record<string, number> };
  return (
    <>
      <LabHeader ctx={ctx} title={d.name} />
      <p className="small muted">
        {d.kind} · {counts.total ?? '—'} images · {formatBytes(d.sizeBytes)} · registered by {d.createdBy.name}, {formatDate(d.createdAt)}
      </p>
      <table>
        <thead>
          <tr>
            <th scope="col">Class</th>
            <th scope="col" className="num">
              Images
            </th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(counts.perClass ?? {}).map(([name, n]) => (
            <tr key={name}>
              <td>{name}</td>
              <td className="num">{n}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
