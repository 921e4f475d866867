import type { Metadata } from 'next';
import { preload } from 'react-dom';
import { requireLab } from '@/lib/server/access';
import { listCandidates } from '@/lib/server/compare';
import { CompareNav, initialQuery, returnTo } from '@/app/_components/compare/CompareNav';
import { viewApiUrl, withDefaults } from '@/app/_components/compare/defaults';
import { MethodsView } from '@/app/_components/compare/MethodsView';
import { LabHeader } from '@/app/labs/[lab]/LabNav';

export const metadata: Metadata = { title: 'Compare methods' };

type Props = { params: Promise<{ lab: string }>; searchParams?: Promise<Record<string, string | string[] | undefined>> };

export default async function Page({ params, searchParams }: Props) {
  const { lab: slug } = await params;
  const initial = await initialQuery(searchParams);
  const ctx = await requireLab(slug, 'viewer', returnTo(`/labs/${slug}/compare/methods`, initial));
  const candidates = await listCandidates(ctx.lab.id);
  const query = withDefaults('methods', initial, candidates);
  const api = viewApiUrl(slug, 'methods', query);
  // The data loads beside the page's scripts instead of after them; the view's fetch picks it up.
  if (api) preload(api, { as: 'fetch', crossOrigin: 'anonymous' });
  return (
    <>
      <LabHeader ctx={ctx} title="Compare methods" />
      <CompareNav lab={slug} current="methods" />
      <p className="muted cmp-intro">For one analysis and layer: is the statistical ranking the one that matters to the output? The PCACE score against the ablation drop (the class score lost when the channel is zeroed) and the mean activation.</p>
      <MethodsView lab={slug} candidates={candidates} initial={query} />
    </>
  );
}
