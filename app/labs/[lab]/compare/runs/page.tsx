import type { Metadata } from 'next';
import { preload } from 'react-dom';
import { requireLab } from '@/lib/server/access';
import { listCandidates } from '@/lib/server/compare';
import { CompareNav, initialQuery, returnTo } from '@/app/_components/compare/CompareNav';
import { viewApiUrl, withDefaults } from '@/app/_components/compare/defaults';
import { RunsView } from '@/app/_components/compare/RunsView';
import { LabHeader } from '@/app/labs/[lab]/LabNav';

export const metadata: Metadata = { title: 'Compare runs' };

type Props = { params: Promise<{ lab: string }>; searchParams?: Promise<Record<string, string | string[] | undefined>> };

export default async function Page({ params, searchParams }: Props) {
  const { lab: slug } = await params;
  const initial = await initialQuery(searchParams);
  const ctx = await requireLab(slug, 'viewer', returnTo(`/labs/${slug}/compare/runs`, initial));
  const candidates = await listCandidates(ctx.lab.id);
  const query = withDefaults('runs', initial, candidates);
  const api = viewApiUrl(slug, 'runs', query);
  // The data loads beside the page's scripts instead of after them; the view's fetch picks it up.
  if (api) preload(api, { as: 'fetch', crossOrigin: 'anonymous' });
  return (
    <>
      <LabHeader ctx={ctx} title="Compare runs" />
      <CompareNav lab={slug} current="runs" />
      <p className="muted cmp-intro">Two runs of the same model — another image sample, seed, number of components, ACE flavour or a later date: how stable is each layer's ranking?</p>
      <RunsView lab={slug} candidates={candidates} initial={query} />
    </>
  );
}
