import type { Metadata } from 'next';
import { ClassesView } from '@/app/_components/compare/ClassesView';
import { COMPARE_PAGES, ComparePage, type ComparePageProps } from '@/app/labs/[lab]/compare/ComparePage';

export const metadata: Metadata = { title: COMPARE_PAGES.classes.title };

export default function Page(props: ComparePageProps) {
  return <ComparePage {...props} view="classes" View={ClassesView} />;
}
