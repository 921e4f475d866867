'use client';

import { useState } from 'react';
import { UploadForm } from '@/app/_components/UploadForm';

type Kind = 'mnist' | 'zip' | 'csv' | 'npy';

export function DatasetForm({ lab, maxMb }: { lab: string; maxMb: number }) {
  const [kind, setKind] = useState<Kind>('mnist');
  return (
    <UploadForm
      endpoint={`/api/v1/labs/${lab}/datasets`}
      submitLabel="Register dataset"
      redirectTo={`/labs/${lab}/datasets/{dataset.id}`}
      asJson={(form) =>
        kind === 'mnist'
          ? {
              name: form.get('name'),
              kind: 'mnist',
              split: form.get('split'),
              ...(form.get('digit') ? { digit: Number(form.get('digit')) } : {}),
            }
          : null
      }
    >
      <fieldset>
        <legend>Source</legend>
        {(
          [
            ['mnist', 'Built-in MNIST'],
            ['zip', 'Zip of class folders'],
            ['csv', 'Regression CSV + images zip'],
            ['npy', 'Preprocessed .npy'],
          ] as [Kind, string][]
        ).map(([k, label]) => (
          <label key={k} className="row" style={{ fontWeight: 400 }}>
            <input type="radio" name="kind" value={k} checked={kind === k} onChange={() => setKind(k)} /> {label}
          </label>
        ))}
      </fieldset>
      <div className="field">
        <label htmlFor="ds-name">Name</label>
        <input id="ds-name" name="name" required maxLength={100} />
      </div>
      {kind === 'mnist' ? (
        <div className="row">
          <div className="field">
            <label htmlFor="ds-split">Split</label>
            <select id="ds-split" name="split" defaultValue="test">
              <option value="test">test (10,000)</option>
              <option value="train">train (60,000)</option>
            </select>
          </div>
          <div className="field">
            <label htmlFor="ds-digit">
              Digit <span className="hint">optional</span>
            </label>
            <select id="ds-digit" name="digit" defaultValue="">
              <option value="">all digits</option>
              {Array.from({ length: 10 }, (_, d) => (
                <option key={d} value={d}>
                  {d}
                </option>
              ))}
            </select>
          </div>
        </div>
      ) : (
        <>
          <div className="field">
            <label htmlFor="ds-file">
              {kind === 'zip' ? 'Zip archive' : kind === 'csv' ? 'CSV (columns image,target)' : '.npy array [N, C, H, W]'}{' '}
              <span className="hint">up to {maxMb} MB</span>
            </label>
            <input id="ds-file" name="file" type="file" required accept={kind === 'zip' ? '.zip' : kind === 'csv' ? '.csv' : '.npy'} />
          </div>
          {kind === 'csv' ? (
            <div className="field">
              <label htmlFor="ds-images">
                Images zip <span className="hint">the CSV&apos;s image paths are relative to its root</span>
              </label>
              <input id="ds-images" name="images" type="file" required accept=".zip" />
            </div>
          ) : null}
        </>
      )}
    </UploadForm>
  );
}
