import type { Metadata } from 'next';
import { preload } from 'react-dom';
import { requireLab } from '@/lib/server/access';
import { listCandidates } from '@/lib/server/compare';
import { CompareNav, initialQuery, returnTo } from '@/app/_components/compare/CompareNav';
import { viewApiUrl, withDefaults } from '@/app/_components/compare/defaults';
import { ClassesView } from '@/app/_components/compare/ClassesView';
import { LabHeader } from '@/app/labs/[lab]/LabNav';

export const metadata: Metadata = { title: 'Compare classes' };

type Props = { params: Promise<{ lab: string }>; searchParams?: Promise<Record<string, string | string[] | undefined>> };

export default async function Page({ params, searchParams }: Props) {
  const { lab: slug } = await params;
  const initial = await initialQuery(searchParams);
  const ctx = await requireLab(slug, 'viewer', returnTo(`/labs/${slug}/compare/classes`, initial));
  const candidates = await listCandidates(ctx.lab.id);
  const query = withDefaults('classes', initial, candidates);
  const api = viewApiUrl(slug, 'classes', query);
  // The data loads beside the page's scripts instead of after them; the view's fetch picks it up.
  if (api) preload(api, { as: 'fetch', crossOrigin: 'anonymous' });
  return (
    <>
      <LabHeader ctx={ctx} title="Compare classes" />
      <CompareNav lab={slug} current="classes" />
      <p className="muted cmp-intro">Analyses of one model version that differ by target class: do the classes rank a layer's channels alike? Spearman's ρ of every pair of rankings, its p-value, and how many of the top k channels they share.</p>
      <ClassesView lab={slug} candidates={candidates} initial={query} />
    </>
  );
}
