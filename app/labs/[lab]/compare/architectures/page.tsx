import type { Metadata } from 'next';
import { ArchitecturesView } from '@/app/_components/compare/ArchitecturesView';
import { ComparePage, type ComparePageProps } from '@/app/labs/[lab]/compare/ComparePage';

export const metadata: Metadata = { title: 'Compare architectures' };

export default function Page(props: ComparePageProps) {
  return (
    <ComparePage
      {...props}
      view="architectures"
      title="Compare architectures"
      intro={"Two completed analyses, e.g. ResNet-18 and VGG-16 on the same class. Layers are placed by relative depth (position among the model's conv layers), so networks of different length line up."}
      View={ArchitecturesView}
    />
  );
}
