import type { Metadata } from 'next';
import { limits } from '@/lib/server/config';
import { UploadForm } from '@/app/_components/UploadForm';
import { Field } from '@/app/_components/Field';
import { LabHeader } from '@/app/labs/[lab]/LabNav';
import { labPage } from '@/app/labs/[lab]/labPage';

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
      <UploadForm endpoint={`/api/v1/labs/${slug}/models`} submitLabel="Upload" redirectTo={`/labs/${slug}/models/{model.id}`}>
        <div className="field">
          <label htmlFor="model-name">Name</label>
          <input id="model-name" name="name" required maxLength={100} placeholder="mnist-cnn" />
        </div>
        <Field id="model-file" label="Model files" hint="one .onnx, or model.json + .bin shards">
          <input id="model-file" name="file" type="file" required multiple accept=".onnx,.json,.bin" />
        </Field>
        <Field id="model-shape" label="Input shape" hint="optional, [C, H, W] — only for models with symbolic input dims">
          <input id="model-shape" name="inputShape" placeholder="[3, 224, 224]" />
        </Field>
        <Field id="model-pre" label="Preprocessing" hint="optional JSON (width, height, channels, resize, scale, mean, std, channelOrder)">
          <textarea id="model-pre" name="preprocessing" rows={3} className="mono" />
        </Field>
        <Field id="model-card" label="Model card" hint="optional JSON: description, training data, classes…">
          <textarea id="model-card" name="modelCard" rows={3} className="mono" />
        </Field>
      </UploadForm>
    </>
  );
}
