'use client';

import { Field } from '@/app/_components/Field';
import { UploadField, UploadForm } from '@/app/_components/UploadForm';

/** The model upload form: a refusal about the name or a JSON field shows under that field. */
export function ModelForm({ lab }: { lab: string }) {
  return (
    <UploadForm endpoint={`/api/v1/labs/${lab}/models`} submitLabel="Upload" redirectTo={`/labs/${lab}/models/{model.id}`}>
      <UploadField id="model-name" name="name" label="Name">
        {(a11y) => <input {...a11y} required maxLength={100} placeholder="mnist-cnn" />}
      </UploadField>
      <Field id="model-file" label="Model files" hint="one .onnx, or model.json + .bin shards">
        <input id="model-file" name="file" type="file" required multiple accept=".onnx,.json,.bin" />
      </Field>
      <UploadField id="model-shape" name="inputShape" label="Input shape" hint="optional, [C, H, W] — only for models with symbolic input dims">
        {(a11y) => <input {...a11y} placeholder="[3, 224, 224]" />}
      </UploadField>
      <UploadField id="model-pre" name="preprocessing" label="Preprocessing" hint="optional JSON (width, height, channels, resize, scale, mean, std, channelOrder)">
        {(a11y) => <textarea {...a11y} rows={3} className="mono" />}
      </UploadField>
      <UploadField id="model-card" name="modelCard" label="Model card" hint="optional JSON: description, architecture, training data, classes…">
        {(a11y) => <textarea {...a11y} rows={3} className="mono" />}
      </UploadField>
    </UploadForm>
  );
}
