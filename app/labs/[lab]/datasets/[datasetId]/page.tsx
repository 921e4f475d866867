import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { roleAtLeast } from '@/lib/server/access';
import { datasetDetail } from '@/lib/server/datasets';
import { CatalogActions } from '@/app/_components/CatalogActions';
import { formatBytes, formatDate } from '@/app/_components/format';
import { LabHeader } from '@/app/labs/[lab]/LabNav';
import { labPage } from '@/app/labs/[lab]/labPage';
import { THUMBNAILS } from '@/lib/server/thumbnails';
import { TableHead } from '@/app/_components/TableHead';

export const metadata: Metadata = { title: 'Dataset' };

export default async function DatasetPage({ params }: { params: Promise<{ lab: string; datasetId: string }> }) {
  const { slug, datasetId, ctx } = await labPage(params, 'viewer', (p) => `datasets/${p.datasetId}`);
  const d = await datasetDetail(ctx.lab.id, datasetId);
  if (!d) notFound();
  const counts = d.counts as { total?: number; skipped?: number; perClass?: Record<string, number> };
  return (
    <>
      <LabHeader ctx={ctx} title={d.name} />
      <p className="small muted">
        {d.kind} · {counts.total ?? '—'} images · {formatBytes(d.sizeBytes)} · registered by {d.createdBy.name}, {formatDate(d.createdAt)}
        {d.archivedAt ? ` · archived ${formatDate(d.archivedAt)}: not offered for new analyses` : ''}
      </p>
      {ctx.role === 'owner' || (roleAtLeast(ctx.role, 'member') && d.createdById === ctx.user.id) ? (
        <CatalogActions kind="dataset" lab={slug} id={d.id} name={d.name} archived={d.archivedAt !== null} />
      ) : null}
      <h2>Sample images</h2>
      <div className="thumbs" aria-label="Sample images">
        {Array.from({ length: Math.min(THUMBNAILS, counts.total ?? THUMBNAILS) }, (_, i) => (
          // eslint-disable-next-line @next/next/no-img-element
          <img key={i} src={`/api/v1/labs/${slug}/datasets/${d.id}/thumbnails/${i}`} alt={`sample ${i + 1}`} width={64} height={64} loading="lazy" />
        ))}
      </div>
      <h2>Classes</h2>
      <table>
        <TableHead columns={['Class', { label: 'Images', num: true }]} />
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
