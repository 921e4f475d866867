import type { Metadata } from 'next';
import { ArchitecturesView } from '@/app/_components/compare/ArchitecturesView';
import { COMPARE_PAGES, ComparePage, type ComparePageProps } from '@/app/labs/[lab]/compare/ComparePage';

export const metadata: Metadata = { title: COMPARE_PAGES.architectures.title };

export default function Page(props: ComparePageProps) {
  return <ComparePage {...props} view="architectures" View={ArchitecturesView} />;
}
