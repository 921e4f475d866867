import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { roleAtLeast } from '@/lib/server/access';
import { modelDetail, type StoredLayer } from '@/lib/server/models';
import { CatalogActions } from '@/app/_components/CatalogActions';
import { formatBytes, formatDate } from '@/app/_components/format';
import { LabHeader } from '@/app/labs/[lab]/LabNav';
import { labPage } from '@/app/labs/[lab]/labPage';
import { TableHead } from '@/app/_components/TableHead';

export const metadata: Metadata = { title: 'Model' };

export default async function ModelPage({ params }: { params: Promise<{ lab: string; modelId: string }> }) {
  const { slug, modelId, ctx } = await labPage(params, 'viewer', (p) => `models/${p.modelId}`);
  const model = await modelDetail(ctx.lab.id, modelId);
  if (!model) notFound();
  return (
    <>
      <LabHeader ctx={ctx} title={model.name} />
      {model.archivedAt ? <p className="small muted">Archived {formatDate(model.archivedAt)}: not offered for new analyses, kept for the analyses that used it.</p> : null}
      {ctx.role === 'owner' || (roleAtLeast(ctx.role, 'member') && model.createdById === ctx.user.id) ? (
        <CatalogActions kind="model" lab={slug} id={model.id} name={model.name} archived={model.archivedAt !== null} />
      ) : null}
      {roleAtLeast(ctx.role, 'member') ? (
        <p>
          <Link href={`/labs/${slug}/models/new`}>Upload a new version</Link>
        </p>
      ) : null}
      {model.versions.map((v) => {
        const layers = v.layers as unknown as StoredLayer[];
        return (
          <section key={v.id} aria-labelledby={`v-${v.version}`}>
            <h2 id={`v-${v.version}`}>
              Version {v.version} <span className="badge">{v.format}</span>
            </h2>
            <p className="small muted">
              {formatBytes(v.sizeBytes)} · input [{(v.inputShape as number[]).join(', ')}] · output [{((v.outputShape as number[] | null) ?? []).join(', ')}] ·{' '}
              {v.backend} · sha256 <span className="mono">{v.sha256.slice(0, 12)}</span> · {v.createdBy.name}, {formatDate(v.createdAt)}
            </p>
            <table>
              <caption className="sr-only">Conv layers of version {v.version}</caption>
              <TableHead columns={['Conv layer', { label: 'Channels', num: true }, { label: 'Map', num: true }, { label: 'Kernel', num: true }, { label: 'Stride', num: true }]} />
              <tbody>
                {layers.map((l) => (
                  <tr key={l.name}>
                    <td className="mono">{l.name}</td>
                    <td className="num">{l.channels}</td>
                    <td className="num">
                      {l.mapHeight}×{l.mapWidth}
                    </td>
                    <td className="num">{l.kernelSize.join('×')}</td>
                    <td className="num">{l.stride.join('×')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        );
      })}
    </>
  );
}
