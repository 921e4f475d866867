import type { Metadata } from 'next';
import { preload } from 'react-dom';
import { requireLab } from '@/lib/server/access';
import { listCandidates } from '@/lib/server/compare';
import { CompareNav, initialQuery, returnTo } from '@/app/_components/compare/CompareNav';
import { viewApiUrl, withDefaults } from '@/app/_components/compare/defaults';
import { ArchitecturesView } from '@/app/_components/compare/ArchitecturesView';
import { LabHeader } from '@/app/labs/[lab]/LabNav';

export const metadata: Metadata = { title: 'Compare architectures' };

type Props = { params: Promise<{ lab: string }>; searchParams?: Promise<Record<string, string | string[] | undefined>> };

export default async function Page({ params, searchParams }: Props) {
  const { lab: slug } = await params;
  const initial = await initialQuery(searchParams);
  const ctx = await requireLab(slug, 'viewer', returnTo(`/labs/${slug}/compare/architectures`, initial));
  const candidates = await listCandidates(ctx.lab.id);
  const query = withDefaults('architectures', initial, candidates);
  const api = viewApiUrl(slug, 'architectures', query);
  // The data loads beside the page's scripts instead of after them; the view's fetch picks it up.
  if (api) preload(api, { as: 'fetch', crossOrigin: 'anonymous' });
  return (
    <>
      <LabHeader ctx={ctx} title="Compare architectures" />
      <CompareNav lab={slug} current="architectures" />
      <p className="muted cmp-intro">Two completed analyses, e.g. ResNet-18 and VGG-16 on the same class. Layers are placed by relative depth (position among the model's conv layers), so networks of different length line up.</p>
      <ArchitecturesView lab={slug} candidates={candidates} initial={query} />
    </>
  );
}
