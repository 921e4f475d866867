'use client';

import { useRouter } from 'next/navigation';
import { startTransition, useActionState, useEffect, useRef, useState, type ChangeEvent, type FormEvent, type ReactNode } from 'react';
import { withDefaults, type FullOptions } from '@/lib/server/shared/analysis-options';
import type { QueueAnalysisState } from './actions';
import { EstimateLine, useCostEstimate } from './CostEstimate';
import { Field } from './Field';
import { applies, currentOptions, OPTION_FIELDS, parseAnalysisForm, type FieldErrors, type FieldName, type FormContext } from './form-spec';
import { OptionField, optionHelp } from './OptionField';
import { suggestedClass } from './form-spec';
import { LayerPicker, type LayerChoice } from './LayerPicker';

export interface VersionChoice {
  id: string;
  modelName: string;
  version: number;
  format: 'onnx' | 'tfjs';
  latest: boolean;
  /** Size of the output vector, when the engine knew it. */
  outputs: number | null;
  layers: LayerChoice[];
  /** The model card's class names, output by output, when it has them. */
  classes: string[] | null;
}

export interface DatasetChoice {
  id: string;
  name: string;
  kind: string;
  classes: string[];
  total: number;
  /** The class the images show, when the dataset holds one (MNIST digit 3 → 3). */
  digit: number | null;
  /** The name of that class (a zip's class folder), when there is one. */
  className: string | null;
}


export function AnalysisForm({
  lab,
  versions,
  defaultVersionId,
  datasets,
  action,
}: {
  lab: string;
  versions: VersionChoice[];
  defaultVersionId: string;
  datasets: DatasetChoice[];
  action: (prev: QueueAnalysisState, form: FormData) => Promise<QueueAnalysisState>;
}) {
  const router = useRouter();
  const formRef = useRef<HTMLFormElement>(null);
  const [state, formAction, pending] = useActionState(action, null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [versionId, setVersionId] = useState(defaultVersionId);
  const [datasetId, setDatasetId] = useState(datasets[0]?.id ?? '');
  const version = versions.find((v) => v.id === versionId);
  const dataset = datasets.find((d) => d.id === datasetId);
  const [targetKind, setTargetKind] = useState<'class' | 'regression'>(dataset?.kind === 'csv' ? 'regression' : 'class');
  const [regressionSource, setRegressionSource] = useState<'output' | 'dataset'>(dataset?.kind === 'csv' ? 'dataset' : 'output');
  const [classIndex, setClassIndex] = useState(suggestedClass(dataset, version) ?? '0');
  const [classTouched, setClassTouched] = useState(false);
  const [layers, setLayers] = useState<Set<string>>(new Set(version?.layers.map((l) => l.name)));
  // The option values the form holds now: which fields apply, and the warnings some help lines give.
  const [current, setCurrent] = useState<Partial<FullOptions>>(() => withDefaults({}));

  useEffect(() => {
    if (state?.ok) router.push(`/labs/${lab}/analyses/${state.data.id}`);
    else if (state) setErrors(state.fields ?? {});
  }, [state, lab, router]);

  const ctxRef = useRef<FormContext>({});
  const { estimate, refreshEstimate } = useCostEstimate(lab, formRef, ctxRef);
  useEffect(() => {
    refreshEstimate();
  }, [refreshEstimate, versionId, datasetId, layers, targetKind, regressionSource, classIndex]);

  const clear = (name: FieldName) => setErrors((e) => (e[name] ? (({ [name]: _, ...rest }) => rest)(e) : e));
  /** A new model version: all its layers, and (unless the class was set by hand) the class its outputs suggest. */
  const chooseVersion = (id: string) => {
    const v = versions.find((x) => x.id === id);
    setVersionId(id);
    setLayers(new Set(v?.layers.map((l) => l.name)));
    if (!classTouched) setClassIndex(suggestedClass(dataset, v) ?? '0');
  };
  /** A new dataset: the class it suggests, and the model output as target when it has no target column. */
  const chooseDataset = (id: string) => {
    const d = datasets.find((x) => x.id === id);
    setDatasetId(id);
    if (!classTouched) setClassIndex(suggestedClass(d, version) ?? '0');
    if (d?.kind !== 'csv' && regressionSource === 'dataset') setRegressionSource('output');
    clear('regressionSource');
  };
  /** A controlled field: its name and value, and on change the new value, then its error cleared. */
  const bound = (name: FieldName, value: string, change: (v: string) => void) => ({
    name,
    value,
    onChange: (e: ChangeEvent<HTMLInputElement | HTMLSelectElement>) => {
      change(e.target.value);
      clear(name);
    },
  });
  /** A controlled select in its Field; `options` are its <option>s. */
  const selectField = (name: FieldName, label: string, help: string, value: string, change: (v: string) => void, options: ReactNode) => (
    <Field name={name} label={label} help={help} error={errors[name]}>
      {(a) => (
        <select {...a} {...bound(name, value, change)}>
          {options}
        </select>
      )}
    </Field>
  );
  const ctx = { outputs: version?.outputs ?? undefined, datasetKind: dataset?.kind, format: version?.format, datasetImages: dataset?.total };
  ctxRef.current = ctx;

  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const parsed = parseAnalysisForm(form, ctx);
    setErrors(parsed.errors);
    if (!parsed.body) {
      // Take the person to the first problem; the messages sit next to each field.
      const first = Object.keys(parsed.errors)[0];
      formRef.current?.querySelector<HTMLElement>(`#an-${first}`)?.focus();
      return;
    }
    startTransition(() => formAction(form));
  };

  const rankBy = current.rankBy ?? '';
  const permutations = current.permutations ?? 0;
  const zNeedsPerms = rankBy.startsWith('z_') && !(permutations >= 2);
  const onFormChange = () => {
    refreshEstimate();
    if (formRef.current) setCurrent(currentOptions(new FormData(formRef.current)));
  };
  // Editing an option clears its error, and the ranking score's (whose refusals name other options).
  const editOption = (field: FieldName) => (clear(field), clear('rankBy'));
  const optionFields = (group: 'statistics' | 'calibration' | 'verdicts') =>
    OPTION_FIELDS.filter(({ decl }) => decl.form.group === group && applies(decl, current, {})).map(({ field, decl }) => (
      <OptionField
        key={field}
        decl={decl}
        error={errors[field]}
        onEdit={editOption}
        disabled={!applies(decl, current, { format: version?.format })}
        help={
          field === 'rankBy' && zNeedsPerms && !errors.rankBy
            ? 'z scores are measured against the permutation null: set permutations ≥ 2 below.'
            : field === 'permutations' && permutations > 0 && permutations < 20
              ? `With ${permutations} permutations the smallest possible p is ${(1 / (permutations + 1)).toFixed(3)}: no channel can reach p < 0.05. Use 99 or more.`
              : field === 'images' && dataset
                ? `${optionHelp(decl)} The chosen dataset has ${dataset.total.toLocaleString('en-US')} image${dataset.total === 1 ? '' : 's'} for this analysis.`
                : optionHelp(decl)
        }
      />
    ));
  const serverAlert = state && !state.ok ? state : null;
  const errorCount = Object.keys(errors).length;
  const outputsText = version?.outputs ? `the model has ${version.outputs} outputs: 0 … ${version.outputs - 1}` : 'output size unknown';

  return (
    <form ref={formRef} action={formAction} onSubmit={onSubmit} onChange={onFormChange} className="panel pa-form" noValidate>
      {serverAlert || errorCount > 0 ? (
        <p className="alert error" role="alert">
          {serverAlert && !serverAlert.fields ? serverAlert.error : `${errorCount === 1 ? 'One field needs' : `${errorCount} fields need`} attention (marked below).`}
          {serverAlert && serverAlert.status !== 400 ? <span className="small muted"> ({serverAlert.status})</span> : null}
        </p>
      ) : null}
      <input type="hidden" name="lab" value={lab} />

      <fieldset>
        <legend>What to explain</legend>
        <Field name="title" label="Title" hint="optional" help="Shown in the lab's list; defaults to “model vN × dataset”." error={errors.title}>
          {(a) => <input {...a} name="title" maxLength={200} onChange={() => clear('title')} />}
        </Field>
        <div className="grid2">
          {selectField(
            'modelVersionId',
            'Model version',
            'Any stored version can be analysed; the one whose page you came from, else the newest, is chosen.',
            versionId,
            chooseVersion,
            [...new Set(versions.map((v) => v.modelName))].map((model) => (
              <optgroup key={model} label={model}>
                {versions
                  .filter((v) => v.modelName === model)
                  .map((v) => (
                    <option key={v.id} value={v.id}>
                      {v.modelName} v{v.version} ({v.format}){v.latest ? ' — latest' : ''}
                    </option>
                  ))}
              </optgroup>
            )),
          )}
          {selectField(
            'datasetId',
            'Dataset',
            'The images fed to the model; for a class target, images of that class.',
            datasetId,
            chooseDataset,
            datasets.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name} ({d.kind}, {d.total.toLocaleString('en-US')} images{d.digit !== null ? `, class ${d.digit}` : ''})
              </option>
            )),
          )}
        </div>
        <div className="pa-radios" role="radiogroup" aria-label="Target">
          <span className="pa-radios-label">Target</span>
          <label className="pa-check">
            <input type="radio" name="targetKind" value="class" checked={targetKind === 'class'} onChange={() => setTargetKind('class')} /> Class score (pre-softmax)
          </label>
          <label className="pa-check">
            <input type="radio" name="targetKind" value="regression" checked={targetKind === 'regression'} onChange={() => setTargetKind('regression')} /> Regression
          </label>
        </div>
        {targetKind === 'class' ? (
          <Field
            name="classIndex"
            label="Class index"
            hint={`(${outputsText})`}
            help="Each channel is correlated with this output's pre-softmax score, so the ranking explains this class."
            error={errors.classIndex}
          >
            {(a) => (
              <input
                {...a}
                type="number"
                inputMode="numeric"
                min={0}
                max={version?.outputs ? version.outputs - 1 : undefined}
                {...bound('classIndex', classIndex, (v) => {
                  setClassIndex(v);
                  setClassTouched(true);
                })}
              />
            )}
          </Field>
        ) : (
          <div className="grid2">
            {selectField(
              'regressionSource',
              'Regression target from',
              "The model's own output, or the target column of a CSV dataset (image,target).",
              regressionSource,
              (v) => setRegressionSource(v as 'output' | 'dataset'),
              <>
                <option value="output">the model output</option>
                <option value="dataset" disabled={dataset?.kind !== 'csv'}>
                  the dataset's target column{dataset?.kind !== 'csv' ? ' (CSV datasets only)' : ''}
                </option>
              </>,
            )}
            {regressionSource === 'output' ? (
              <Field name="outputIndex" label="Output index" hint={`(${outputsText})`} help="Which element of the output vector is the regressed value." error={errors.outputIndex}>
                {(a) => <input {...a} name="outputIndex" type="number" inputMode="numeric" min={0} defaultValue={0} onChange={() => clear('outputIndex')} />}
              </Field>
            ) : null}
          </div>
        )}
        <p className="pa-help">Class mixes are chosen when the dataset is registered (MNIST digit or class folders), not here.</p>
      </fieldset>

      <LayerPicker
        layers={version?.layers ?? []}
        checked={layers}
        onChange={(next) => {
          setLayers(next);
          clear('layers');
        }}
        error={errors.layers}
      />

      {/* The options, one field per declared option (lib/analysis/options.ts), shown while they apply. */}
      <fieldset>
        <legend>Statistics</legend>
        <div className="grid2">{optionFields('statistics')}</div>
      </fieldset>

      <fieldset>
        <legend>Calibration and reproducibility</legend>
        <div className="grid2">{optionFields('calibration')}</div>
      </fieldset>

      <fieldset>
        <legend>Which channels beat noise</legend>
        <div className="grid2">{optionFields('verdicts')}</div>
      </fieldset>
      <EstimateLine state={estimate} />
      <button type="submit" disabled={pending || state?.ok === true}>
        {pending ? 'Queueing…' : state?.ok ? 'Opening the analysis…' : 'Queue analysis'}
      </button>
    </form>
  );
}
