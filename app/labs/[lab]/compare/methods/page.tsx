import type { Metadata } from 'next';
import { MethodsView } from '@/app/_components/compare/MethodsView';
import { COMPARE_PAGES, ComparePage, type ComparePageProps } from '@/app/labs/[lab]/compare/ComparePage';

export const metadata: Metadata = { title: COMPARE_PAGES.methods.title };

export default function Page(props: ComparePageProps) {
  return <ComparePage {...props} view="methods" View={MethodsView} />;
}
