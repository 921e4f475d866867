import type { Metadata } from 'next';
import { RunsView } from '@/app/_components/compare/RunsView';
import { ComparePage, type ComparePageProps } from '@/app/labs/[lab]/compare/ComparePage';

export const metadata: Metadata = { title: 'Compare runs' };

export default function Page(props: ComparePageProps) {
  return (
    <ComparePage
      {...props}
      view="runs"
      title="Compare runs"
      intro={"Two runs of the same model — another image sample, seed, number of components, ACE flavour or a later date: how stable is each layer's ranking?"}
      View={RunsView}
    />
  );
}
