import type { Metadata } from 'next';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { requireLab, roleAtLeast } from '@/lib/server/access';
import { analysisTable } from '@/lib/server/analysis-table';
import { publicDemoLab, type DemoLab } from '@/lib/server/demo';
import { listLabPins } from '@/lib/server/pins';
import { AnalysisTable } from '@/app/_components/analysis/AnalysisTable';
import { PinnedChannels } from '@/app/_components/discussion/PinnedChannels';
import { listDatasets } from '@/lib/server/datasets';
import { listModelsWithLatest } from '@/lib/server/models';
import { LabHeader } from './LabNav';
import { TableHead } from '@/app/_components/TableHead';

export const metadata: Metadata = { title: 'Lab' };

export default async function LabHome({ params }: { params: Promise<{ lab: string }> }) {
  const { lab: slug } = await params;
  const ctx = await requireLab(slug);
  const canWrite = roleAtLeast(ctx.role, 'member');
  const base = `/labs/${slug}`;
  const [models, datasets, analyses, pins] = await Promise.all([listModelsWithLatest(ctx.lab.id), listDatasets(ctx.lab.id), analysisTable(ctx.lab.id, 100), listLabPins(ctx, { take: 20 })]);
  const demo = analyses.length === 0 ? await publicDemoLab() : null;

  return (
    <>
      <LabHeader ctx={ctx} title={ctx.lab.name} />

      {analyses.length === 0 && demo && demo.slug !== slug ? <DemoCard demo={demo} /> : null}

      <ListSection id="analyses-h" title="Analyses" action={canWrite && models.length > 0 && datasets.length > 0 ? <Link href={`${base}/analyses/new`}>New analysis</Link> : null} empty={analyses.length === 0 ? <>No analyses yet{canWrite ? ': upload a model and register a dataset, then start one.' : '.'}</> : null}>
        <AnalysisTable lab={slug} rows={analyses} />
      </ListSection>

      {pins.length > 0 ? <PinnedChannels lab={slug} pins={pins} showAnalysis headingId="lab-pins-h" /> : null}

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

/** For a lab without analyses: the public demo lab, whose results can be opened at once without uploading anything. */
function DemoCard({ demo }: { demo: DemoLab }) {
  const href = demo.featured ? `/labs/${demo.slug}/analyses/${demo.featured.id}` : `/labs/${demo.slug}`;
  return (
    <section aria-labelledby="demo-h" className="panel demo-card">
      <h2 id="demo-h">Try it now: the demo lab</h2>
      <p>
        The public demo lab holds MNIST models already analysed ({demo.completed} completed {demo.completed === 1 ? 'analysis' : 'analyses'}): ranked channels, the
        channels that beat noise, what each channel responds to, and comparisons. You can read everything there; to run your own, upload a model
        here.
      </p>
      <Link className="button" href={href} data-testid="demo-open">
        {demo.featured ? `Open "${demo.featured.title}"` : `Open ${demo.name}`}
      </Link>
    </section>
  );
}
