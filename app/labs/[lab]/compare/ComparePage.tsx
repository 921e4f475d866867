import type { ComponentType } from 'react';
import { preload } from 'react-dom';
import { requireLab } from '@/lib/server/access';
import { listCandidates, type AnalysisInfo } from '@/lib/server/compare';
import { CompareNav, initialQuery, returnTo } from '@/app/_components/compare/CompareNav';
import { viewApiUrl, withDefaults, type Query, type View } from '@/app/_components/compare/defaults';
import { LabHeader } from '@/app/labs/[lab]/LabNav';

export type ComparePageProps = { params: Promise<{ lab: string }>; searchParams?: Promise<Record<string, string | string[] | undefined>> };

/** Each compare view's title and the sentence that says what it compares. */
export const COMPARE_PAGES: Record<View, { title: string; intro: string }> = {
  architectures: {
    title: 'Compare architectures',
    intro: "Two completed analyses, e.g. ResNet-18 and VGG-16 on the same class. Layers are placed by relative depth (position among the model's conv layers), so networks of different length line up.",
  },
  classes: {
    title: 'Compare classes',
    intro: "Analyses of one model version that differ by target class: do the classes rank a layer's channels alike? Spearman's ρ of every pair of rankings, its p-value, and how many of the top k channels they share.",
  },
  runs: {
    title: 'Compare runs',
    intro: "Two runs of the same model — another image sample, seed, number of components, ACE flavour or a later date: how stable is each layer's ranking?",
  },
  methods: {
    title: 'Compare methods',
    intro: 'For one analysis and layer: is the statistical ranking the one that matters to the output? The PCACE score against the ablation drop (the class score lost when the channel is zeroed) and the mean activation.',
  },
};

/**
 * The page of one compare view: viewer access, the lab's candidate analyses,
 * the URL's query with the view's defaults, and the view's data preloaded.
 */
export async function ComparePage({
  params,
  searchParams,
  view,
  View: ViewComponent,
}: ComparePageProps & {
  view: View;
  View: ComponentType<{ lab: string; candidates: AnalysisInfo[]; initial: Query }>;
}) {
  const { title, intro } = COMPARE_PAGES[view];
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
