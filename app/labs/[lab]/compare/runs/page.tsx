import type { Metadata } from 'next';
import { RunsView } from '@/app/_components/compare/RunsView';
import { COMPARE_PAGES, ComparePage, type ComparePageProps } from '@/app/labs/[lab]/compare/ComparePage';

export const metadata: Metadata = { title: COMPARE_PAGES.runs.title };

// Called, not rendered as an element: the access check (404 / sign-in redirect) then runs before
// anything streams, so another lab's page answers with the right status.
export default async function Page(props: ComparePageProps) {
  return ComparePage({ ...props, view: 'runs', View: RunsView });
}
