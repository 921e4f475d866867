import type { Metadata } from 'next';
import { ClassesView } from '@/app/_components/compare/ClassesView';
import { COMPARE_PAGES, ComparePage, type ComparePageProps } from '@/app/labs/[lab]/compare/ComparePage';

export const metadata: Metadata = { title: COMPARE_PAGES.classes.title };

// Called, not rendered as an element: the access check (404 / sign-in redirect) then runs before
// anything streams, so another lab's page answers with the right status.
export default async function Page(props: ComparePageProps) {
  return ComparePage({ ...props, view: 'classes', View: ClassesView });
}
