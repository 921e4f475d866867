import type { Metadata } from 'next';
import { requireLab } from '@/lib/server/access';
import { limits } from '@/lib/server/config';
import { UploadForm } from '@/app/_components/UploadForm';
import { LabHeader } from '@/app/labs/[lab]/LabNav';

export const metadata: Metadata = { title: 'Upload a model' };

export default async function NewModelPage({ params }: { params: Promise<{ lab: string }> }) {
  const { lab: slug } = await params;
  const ctx = await requireLab(slug, 'member', `/labs/${slug}/models/new`);
  return (
    <>
      <LabHeader ctx={ctx} title="Upload a model" />
      <p className="muted">
        An ONNX file, or a TF.js model (<code>model.json</code> and its weight shards). The model is loaded with the engine before it is
        stored; uploading under an existing name adds a new version. Limit {Math.round(limits.modelBytes / 1024 / 1024)} MB.
      </p>
      <UploadForm endpoint={`/api/v1/labs/${slug}/models`} submitLabel="Upload" redirectTo={`/labs/${slug}/models/{model.id}`}>
        <div className="field">
          <label htmlFor="model-name">Name</label>
          <input id="model-name" name="name" required maxLength={100} placeholder="mnist-cnn" />
        </div>
        <div className="field">
          <label htmlFor="model-file">
            Model files <span className="hint">one .onnx, or model.json + .bin shards</span>
          </label>
          <input id="model-file" name="file" type="file" required multiple accept=".onnx,.json,.bin" />
        </div>
        <div className="field">
          <label htmlFor="model-shape">
            Input shape <span className="hint">optional, [C, H, W] — only for models with symbolic input dims</span>
          </label>
          <input id="model-shape" name="inputShape" placeholder="[3, 224, 224]" />
        </div>
        <div className="field">
          <label htmlFor="model-pre">
            Preprocessing <span className="hint">optional JSON (width, height, channels, resize, scale, mean, std, channelOrder)</span>
          </label>
          <textarea id="model-pre" name="preprocessing" rows={3} className="mono" />
        </div>
        <div className="field">
          <label htmlFor="model-card">
            Model card <span className="hint">optional JSON: description, training data, classes…</span>
          </label>
          <textarea id="model-card" name="modelCard" rows={3} className="mono" />
        </div>
      </UploadForm>
    </>
  );
}
