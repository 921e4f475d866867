import type { ComponentType } from 'react';
import { preload } from 'react-dom';
import { requireLab } from '@/lib/server/access';
import { listCandidates, type AnalysisInfo } from '@/lib/server/compare';
import { CompareNav, initialQuery, returnTo } from '@/app/_components/compare/CompareNav';
import { viewApiUrl, withDefaults, type Query, type View } from '@/app/_components/compare/defaults';
import { LabHeader } from '@/app/labs/[lab]/LabNav';

export type ComparePageProps = { params: Promise<{ lab: string }>; searchParams?: Promise<Record<string, string | string[] | undefined>> };

/**
 * The page of one compare view: viewer access, the lab's candidate analyses,
 * the URL's query with the view's defaults, and the view's data preloaded.
 */
export async function ComparePage({
  params,
  searchParams,
  view,
  title,
  intro,
  View: ViewComponent,
}: ComparePageProps & {
  view: View;
  title: string;
  intro: string;
  View: ComponentType<{ lab: string; candidates: AnalysisInfo[]; initial: Query }>;
}) {
  const { lab: slug } = await params;
  const initial = await initialQuery(searchParams);
  const ctx = await requireLab(slug, 'viewer', returnTo(`/labs/${slug}/compare/${view}`, initial));
  const candidates = await listCandidates(ctx.lab.id);
  const query = withDefaults(view, initial, candidates);
  const api = viewApiUrl(slug, view, query);
  // The data loads beside the page's scripts instead of after them; the view's fetch picks it up.
  if (api) preload(api, { as: 'fetch', crossOrigin: 'anonymous' });
  return (
    <>
      <LabHeader ctx={ctx} title={title} />
      <CompareNav lab={slug} current={view} />
      <p className="muted cmp-intro">{intro}</p>
      <ViewComponent lab={slug} candidates={candidates} initial={query} />
    </>
  );
}
