'use client';

import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';
import { useFormAction } from '../../../../_components/useFormAction';
import type { AnalysisFormState } from '../../../../actions/analyses';

export interface VersionChoice {
  id: string;
  label: string;
  layers: { name: string; channels: number }[];
  outputs: number;
}

export function AnalysisForm({
  lab,
  versions,
  datasets,
  action,
}: {
  lab: string;
  versions: VersionChoice[];
  datasets: { id: string; label: string; kind: string }[];
  action: (prev: AnalysisFormState, form: FormData) => Promise<AnalysisFormState>;
}) {
  const { state, formAction, pending, onSubmit } = useFormAction(action);
  const [versionId, setVersionId] = useState(versions[0]?.id ?? '');
  const [targetKind, setTargetKind] = useState<'class' | 'regression'>('class');
  const router = useRouter();
  const version = versions.find((v) => v.id === versionId);
  useEffect(() => {
    if (state?.ok) router.push(`/labs/${lab}/analyses/${state.data.id}`);
  }, [state, lab, router]);

  return (
    <form action={formAction} onSubmit={onSubmit} className="panel">
      {state && !state.ok ? (
        <p className="alert error" role="alert">
          {state.error}
        </p>
      ) : null}
      <input type="hidden" name="lab" value={lab} />
      <div className="field">
        <label htmlFor="an-title">
          Title <span className="hint">optional</span>
        </label>
        <input id="an-title" name="title" maxLength={200} />
      </div>
      <div className="grid2">
        <div className="field">
          <label htmlFor="an-model">Model version</label>
          <select id="an-model" name="modelVersionId" value={versionId} onChange={(e) => setVersionId(e.target.value)}>
            {versions.map((v) => (
              <option key={v.id} value={v.id}>
                {v.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="an-dataset">Dataset</label>
          <select id="an-dataset" name="datasetId">
            {datasets.map((d) => (
              <option key={d.id} value={d.id}>
                {d.label}
              </option>
            ))}
          </select>
        </div>
      </div>
      <fieldset>
        <legend>Target</legend>
        <label className="row" style={{ fontWeight: 400 }}>
          <input type="radio" name="targetKind" value="class" checked={targetKind === 'class'} onChange={() => setTargetKind('class')} /> Class score
          (pre-softmax)
        </label>
        <label className="row" style={{ fontWeight: 400 }}>
          <input type="radio" name="targetKind" value="regression" checked={targetKind === 'regression'} onChange={() => setTargetKind('regression')} />{' '}
          Regression output
        </label>
        {targetKind === 'class' ? (
          <div className="field">
            <label htmlFor="an-class">
              Class index <span className="hint">0 … {Math.max(0, (version?.outputs ?? 1) - 1)}</span>
            </label>
            <input id="an-class" name="classIndex" type="number" min={0} max={Math.max(0, (version?.outputs ?? 1) - 1)} defaultValue={0} required />
          </div>
        ) : (
          <div className="field">
            <label htmlFor="an-reg">Regression target from</label>
            <select id="an-reg" name="regressionSource" defaultValue="output">
              <option value="output">the model output</option>
              <option value="dataset">the dataset (CSV target column)</option>
            </select>
          </div>
        )}
      </fieldset>
      <div className="field">
        <label htmlFor="an-layers">
          Layers <span className="hint">none selected = all conv layers</span>
        </label>
        <select id="an-layers" name="layers" multiple size={Math.min(8, Math.max(2, version?.layers.length ?? 2))}>
          {(version?.layers ?? []).map((l) => (
            <option key={l.name} value={l.name}>
              {l.name} ({l.channels} channels)
            </option>
          ))}
        </select>
      </div>
      <div className="row">
        <div className="field">
          <label htmlFor="an-images">Images</label>
          <input id="an-images" name="images" type="number" min={10} placeholder="300" />
        </div>
        <div className="field">
          <label htmlFor="an-k">Components k</label>
          <input id="an-k" name="components" type="number" min={1} placeholder="5" />
        </div>
        <div className="field">
          <label htmlFor="an-perm">Permutations</label>
          <input id="an-perm" name="permutations" type="number" min={0} placeholder="0" />
        </div>
        <div className="field">
          <label htmlFor="an-rank">Rank by</label>
          <select id="an-rank" name="rankBy" defaultValue="">
            <option value="">default (cross-fitted)</option>
            <option value="crossfit">cross-fitted multiple correlation</option>
            <option value="multiple">multiple correlation</option>
            <option value="pc1">first component</option>
            <option value="z_multiple">z vs permutation null (multiple)</option>
            <option value="z_pc1">z vs permutation null (pc1)</option>
          </select>
        </div>
      </div>
      <button type="submit" disabled={pending}>
        {pending ? 'Queueing…' : 'Queue analysis'}
      </button>
    </form>
  );
}
