import type { Metadata } from 'next';
import { MethodsView } from '@/app/_components/compare/MethodsView';
import { ComparePage, type ComparePageProps } from '@/app/labs/[lab]/compare/ComparePage';

export const metadata: Metadata = { title: 'Compare methods' };

export default function Page(props: ComparePageProps) {
  return (
    <ComparePage
      {...props}
      view="methods"
      title="Compare methods"
      intro={'For one analysis and layer: is the statistical ranking the one that matters to the output? The PCACE score against the ablation drop (the class score lost when the channel is zeroed) and the mean activation.'}
      View={MethodsView}
    />
  );
}
