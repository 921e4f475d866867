import type { Metadata } from 'next';
import { requireLab } from '@/lib/server/access';
import { listCandidates } from '@/lib/server/compare';
import { CompareNav } from '@/app/_components/compare/CompareNav';
import { CompareLanding } from '@/app/_components/compare/Landing';
import { LabHeader } from '@/app/labs/[lab]/LabNav';

export const metadata: Metadata = { title: 'Compare' };

export default async function ComparePage({ params }: { params: Promise<{ lab: string }> }) {
  const { lab: slug } = await params;
  const ctx = await requireLab(slug, 'viewer', `/labs/${slug}/compare`);
  const candidates = await listCandidates(ctx.lab.id);
  return (
    <>
      <LabHeader ctx={ctx} title="Compare" />
      <CompareNav lab={slug} />
      <p className="muted cmp-intro">
        The PCACE paper compared architectures, classes and methods by eye; these views put numbers on it, from the lab&apos;s {candidates.length} completed{' '}
        {candidates.length === 1 ? 'analysis' : 'analyses'}. Every view has its own address: share the URL to share the comparison.
      </p>
      <CompareLanding lab={slug} candidates={candidates} />
    </>
  );
}
