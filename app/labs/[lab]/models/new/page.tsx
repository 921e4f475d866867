import type { Metadata } from 'next';
import { limits } from '@/lib/server/config';
import { LabHeader } from '@/app/labs/[lab]/LabNav';
import { labPage } from '@/app/labs/[lab]/labPage';
import { ModelForm } from './ModelForm';

export const metadata: Metadata = { title: 'Upload a model' };

export default async function NewModelPage({ params }: { params: Promise<{ lab: string }> }) {
  const { slug, ctx } = await labPage(params, 'member', () => 'models/new');
  return (
    <>
      <LabHeader
        ctx={ctx}
        title="Upload a model"
        intro={
          <>
            An ONNX file, or a TF.js model (<code>model.json</code> and its weight shards). The model is loaded with the engine before it is
            stored; uploading under an existing name adds a new version. Limit {Math.round(limits.modelBytes / 1024 / 1024)} MB.
          </>
        }
      />
      <ModelForm lab={slug} />
    </>
  );
}
