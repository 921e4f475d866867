import type { Metadata } from 'next';
import Link from 'next/link';
import type { ReactNode } from 'react';
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

      <ListSection id="analyses-h" title="Analyses" action={canWrite && models.length > 0 && datasets.length > 0 ? <Link href={`${base}/analyses/new`}>New analysis</Link> : null} empty={analyses.length === 0 ? <>No analyses yet{canWrite ? ': upload a model and register a dataset, then start one.' : '.'}</> : null}>
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
      </ListSection>

      <div className="grid2">
        <ListSection id="models-h" title="Models" action={canWrite ? <Link href={`${base}/models/new`}>Upload a model</Link> : null} empty={models.length === 0 ? 'No models yet.' : null}>
          <table>
            <TableHead columns={['Name', 'Latest']} />
            <tbody>
              {models.map((m) => (
                <tr key={m.id}>
                  <EntryName href={`${base}/models/${m.id}`} entry={m} />
                  <td className="small">{m.versions[0] ? `v${m.versions[0].version} · ${m.versions[0].format}` : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ListSection>

        <ListSection id="datasets-h" title="Datasets" action={canWrite ? <Link href={`${base}/datasets/new`}>Register a dataset</Link> : null} empty={datasets.length === 0 ? 'No datasets yet.' : null}>
          <table>
            <TableHead columns={['Name', 'Kind', { label: 'Images', num: true }]} />
            <tbody>
              {datasets.map((d) => (
                <tr key={d.id}>
                  <EntryName href={`${base}/datasets/${d.id}`} entry={d} />
                  <td>{d.kind}</td>
                  <td className="num">{(d.counts as { total?: number }).total ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ListSection>
      </div>
    </>
  );
}

/** A section of the lab page: its heading with an action beside it, then its table, or what to say when it has no rows. */
function ListSection({ id, title, action, empty, children }: { id: string; title: string; action: ReactNode; empty: ReactNode; children: ReactNode }) {
  return (
    <section aria-labelledby={id}>
      <div className="spread">
        <h2 id={id}>{title}</h2>
        {action}
      </div>
      {empty ? <p className="empty">{empty}</p> : children}
    </section>
  );
}

/** A catalog entry's name cell: a link to its page, marked when archived. */
function EntryName({ href, entry }: { href: string; entry: { name: string; archivedAt: Date | null } }) {
  return (
    <td>
      <Link href={href}>{entry.name}</Link>
      {entry.archivedAt ? <span className="badge cancelled"> archived</span> : null}
    </td>
  );
}
