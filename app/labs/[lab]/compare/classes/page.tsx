import type { Metadata } from 'next';
import { ClassesView } from '@/app/_components/compare/ClassesView';
import { ComparePage, type ComparePageProps } from '@/app/labs/[lab]/compare/ComparePage';

export const metadata: Metadata = { title: 'Compare classes' };

export default function Page(props: ComparePageProps) {
  return (
    <ComparePage
      {...props}
      view="classes"
      title="Compare classes"
      intro={"Analyses of one model version that differ by target class: do the classes rank a layer's channels alike? Spearman's ρ of every pair of rankings, its p-value, and how many of the top k channels they share."}
      View={ClassesView}
    />
  );
}
