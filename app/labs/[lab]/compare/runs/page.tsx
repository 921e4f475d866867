import type { Metadata } from 'next';
import { RunsView } from '@/app/_components/compare/RunsView';
import { COMPARE_PAGES, ComparePage, type ComparePageProps } from '@/app/labs/[lab]/compare/ComparePage';

export const metadata: Metadata = { title: COMPARE_PAGES.runs.title };

export default function Page(props: ComparePageProps) {
  return <ComparePage {...props} view="runs" View={RunsView} />;
}
