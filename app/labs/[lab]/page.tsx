import type { Metadata } from 'next';
import Link from 'next/link';
import { requireLab, roleAtLeast } from '@/lib/server/access';
import { recentAnalyses } from '@/lib/server/analysis-results';
import { listDatasets } from '@/lib/server/datasets';
import { listModelsWithLatest } from '@/lib/server/models';
import { formatDate } from '@/app/_components/format';
import { LabHeader } from './LabNav';
import { TableHead } from '@/app/_components/TableHead';

export const metadata: Metadata = { title: 'Lab' };

export default async function LabHome({ params }: { params: Promise<{ lab: string }> }) {
  const { lab: slug } = await params;
  const ctx = await requireLab(slug);
  const canWrite = roleAtLeast(ctx.role, 'member');
  const base = `/labs/${slug}`;
  const [models, datasets, analyses] = await Promise.all([listModelsWithLatest(ctx.lab.id), listDatasets(ctx.lab.id), recentAnalyses(ctx.lab.id, 50)]);

  return (
    <>
      <LabHeader ctx={ctx} title={ctx.lab.name} />

      <section aria-labelledby="analyses-h">
        <div className="spread">
          <h2 id="analyses-h">Analyses</h2>
          {canWrite && models.length > 0 && datasets.length > 0 ? <Link href={`${base}/analyses/new`}>New analysis</Link> : null}
        </div>
        {analyses.length === 0 ? (
          <p className="empty">No analyses yet{canWrite ? ': upload a model and register a dataset, then start one.' : '.'}</p>
        ) : (
          <table>
            <TableHead columns={['Analysis', 'Model', 'Dataset', 'Status', 'Created']} />
            <tbody>
              {analyses.map((a) => (
                <tr key={a.id}>
                  <td>
                    <Link href={`${base}/analyses/${a.id}`}>{a.title ?? a.id}</Link>
                  </td>
                  <td>
                    {a.modelVersion.model.name} v{a.modelVersion.version}
                  </td>
                  <td>{a.dataset.name}</td>
                  <td>
                    <span className={`badge ${a.status}`}>{a.status}</span>
                    {a.status === 'running' ? <span className="small muted"> {Math.round(a.progress * 100)}%</span> : null}
                  </td>
                  <td className="small">{formatDate(a.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <div className="grid2">
        <section aria-labelledby="models-h">
          <div className="spread">
            <h2 id="models-h">Models</h2>
            {canWrite ? <Link href={`${base}/models/new`}>Upload a model</Link> : null}
          </div>
          {models.length === 0 ? (
            <p className="empty">No models yet.</p>
          ) : (
            <table>
              <TableHead columns={['Name', 'Latest']} />
              <tbody>
                {models.map((m) => (
                  <tr key={m.id}>
                    <td>
                      <Link href={`${base}/models/${m.id}`}>{m.name}</Link>
                      {m.archivedAt ? <span className="badge cancelled"> archived</span> : null}
                    </td>
                    <td className="small">{m.versions[0] ? `v${m.versions[0].version} · ${m.versions[0].format}` : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>

        <section aria-labelledby="datasets-h">
          <div className="spread">
            <h2 id="datasets-h">Datasets</h2>
            {canWrite ? <Link href={`${base}/datasets/new`}>Register a dataset</Link> : null}
          </div>
          {datasets.length === 0 ? (
            <p className="empty">No datasets yet.</p>
          ) : (
            <table>
              <TableHead columns={['Name', 'Kind', { label: 'Images', num: true }]} />
              <tbody>
                {datasets.map((d) => (
                  <tr key={d.id}>
                    <td>
                      <Link href={`${base}/datasets/${d.id}`}>{d.name}</Link>
                      {d.archivedAt ? <span className="badge cancelled"> archived</span> : null}
                    </td>
                    <td>{d.kind}</td>
                    <td className="num">{(d.counts as { total?: number }).total ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </div>
    </>
  );
}
