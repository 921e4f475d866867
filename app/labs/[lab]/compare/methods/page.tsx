import type { Metadata } from 'next';
import { MethodsView } from '@/app/_components/compare/MethodsView';
import { COMPARE_PAGES, ComparePage, type ComparePageProps } from '@/app/labs/[lab]/compare/ComparePage';

export const metadata: Metadata = { title: COMPARE_PAGES.methods.title };

// Called, not rendered as an element: the access check (404 / sign-in redirect) then runs before
// anything streams, so another lab's page answers with the right status.
export default async function Page(props: ComparePageProps) {
  return ComparePage({ ...props, view: 'methods', View: MethodsView });
}
