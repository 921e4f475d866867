import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { roleAtLeast } from '@/lib/server/access';
import { modelCardView } from '@/lib/server/model-card';
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
  const latest = model.versions[0];
  return (
    <>
      <LabHeader ctx={ctx} title={model.name} />
      {model.archivedAt ? <p className="small muted">Archived {formatDate(model.archivedAt)}: not offered for new analyses, kept for the analyses that used it.</p> : null}
      {ctx.role === 'owner' || (roleAtLeast(ctx.role, 'member') && model.createdById === ctx.user.id) ? (
        <CatalogActions kind="model" lab={slug} id={model.id} name={model.name} archived={model.archivedAt !== null} />
      ) : null}
      {roleAtLeast(ctx.role, 'member') ? (
        <p className="row">
          {model.archivedAt || !latest ? null : (
            <Link className="button" href={`/labs/${slug}/analyses/new?model=${latest.id}`} data-testid="analyse-model">
              Analyse this model
            </Link>
          )}
          <Link href={`/labs/${slug}/models/new`}>Upload a new version</Link>
        </p>
      ) : null}
      {model.versions.map((v) => {
        const layers = v.layers as unknown as StoredLayer[];
        const card = modelCardView(v);
        return (
          <section key={v.id} aria-labelledby={`v-${v.version}`}>
            <h2 id={`v-${v.version}`}>
              Version {v.version} <span className="badge">{v.format}</span>
            </h2>
            <p className="small muted">
              {formatBytes(v.sizeBytes)} · sha256 <span className="mono">{v.sha256.slice(0, 12)}</span> · {v.createdBy.name}, {formatDate(v.createdAt)}
            </p>
            <h3 id={`card-${v.version}`}>Model card</h3>
            <dl className="pa-dl small" aria-labelledby={`card-${v.version}`} data-testid={`model-card-${v.version}`}>
              <dt>Architecture</dt>
              <dd data-card="architecture">{card.architecture}</dd>
              <dt>Input</dt>
              <dd data-card="input">{card.input} per image</dd>
              <dt>Output</dt>
              <dd data-card="output">{card.output}</dd>
              <dt>Preprocessing</dt>
              <dd data-card="preprocessing">
                {card.preprocessing.text}
                {card.preprocessing.given ? null : <span className="muted"> (none given at upload: derived from the input shape)</span>}
              </dd>
              <dt>Layers</dt>
              <dd data-card="layers">{card.layers}</dd>
              {card.fields.map(([k, text]) => (
                <div key={k} className="pa-dl-row">
                  <dt>{k}</dt>
                  <dd data-card={k} className={text.startsWith('{') || text.startsWith('[') ? 'mono' : undefined}>
                    {text}
                  </dd>
                </div>
              ))}
            </dl>
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
