import type { Metadata } from 'next';
import { limits } from '@/lib/server/config';
import { LabHeader } from '@/app/labs/[lab]/LabNav';
import { labPage } from '@/app/labs/[lab]/labPage';
import { DatasetForm } from './DatasetForm';

export const metadata: Metadata = { title: 'Register a dataset' };

export default async function NewDatasetPage({ params }: { params: Promise<{ lab: string }> }) {
  const { slug, ctx } = await labPage(params, 'member', () => 'datasets/new');
  return (
    <>
      <LabHeader ctx={ctx} title="Register a dataset" intro="Every source is opened and a few images are decoded before it is registered; unsafe or unreadable archives are refused." />
      <DatasetForm lab={slug} maxMb={Math.round(limits.datasetBytes / 1024 / 1024)} />
    </>
  );
}
