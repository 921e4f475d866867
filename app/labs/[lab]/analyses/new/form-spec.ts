/**
 * The "new analysis" form's fields → the body of createAnalysis
 * (POST /api/v1/labs/:lab/analyses). Pure, so the browser runs it for
 * instant errors next to each field and the server action runs it again
 * (never trusting the browser) before createAnalysis validates the rest.
 */
import { DEFAULT_ANALYSIS, OPTION_BOUNDS as B } from '@/lib/server/shared/analysis-defaults';

export type FieldName =
  | 'title'
  | 'modelVersionId'
  | 'datasetId'
  | 'classIndex'
  | 'outputIndex'
  | 'regressionSource'
  | 'layers'
  | 'images'
  | 'components'
  | 'flavour'
  | 'rankBy'
  | 'permutations'
  | 'crossFitRepeats'
  | 'bootstrap'
  | 'stability'
  | 'seed'
  | 'ablation';

export type FieldErrors = Partial<Record<FieldName, string>>;

type Components = number | 'half' | { varianceFraction: number };

export interface AnalysisBody {
  modelVersionId: string;
  datasetId: string;
  title?: string;
  target: { kind: 'class'; index: number } | { kind: 'regression'; source: 'output' | 'dataset'; index?: number };
  layers: 'all' | string[];
  options: {
    images: number;
    components: Components;
    flavour: 'acepack' | 'pcace-2021';
    rankBy: 'crossfit' | 'multiple' | 'pc1' | 'z_multiple' | 'z_pc1';
    permutations: number;
    crossFitRepeats: number;
    bootstrap: number;
    stabilityComponents: Components[];
    seed: number;
    ablation: boolean;
  };
}

/** What the browser knows about the chosen model and dataset (the server checks these again). */
export interface FormContext {
  outputs?: number;
  datasetKind?: string;
  format?: 'onnx' | 'tfjs';
}

export const RANK_BY = ['crossfit', 'multiple', 'pc1', 'z_multiple', 'z_pc1'] as const;
export const FLAVOURS = ['acepack', 'pcace-2021'] as const;

interface FormLike {
  get(name: string): FormDataEntryValue | null;
  getAll(name: string): FormDataEntryValue[];
}

const text = (f: FormLike, k: string) => {
  const v = f.get(k);
  return typeof v === 'string' ? v.trim() : '';
};

/** Components as typed: an integer k, 'half', or a fraction with a decimal point (0.9 = 90 % of the variance). */
export function parseComponents(s: string): { value: Components } | { error: string } {
  const v = s.trim().toLowerCase();
  if (v === 'half') return { value: 'half' };
  if (/^\d+$/.test(v)) {
    const k = Number(v);
    return k >= B.components.min && k <= B.components.max ? { value: k } : { error: `must be between ${B.components.min} and ${B.components.max}` };
  }
  if (/^(0?\.\d+|1\.0*)$/.test(v)) {
    const f = Number(v);
    return f > 0 && f <= 1 ? { value: { varianceFraction: f } } : { error: 'a variance fraction must be in (0, 1]' };
  }
  return { error: `'${s.trim()}' is not an integer, 'half' or a fraction like 0.9` };
}

export function parseAnalysisForm(form: FormLike, ctx: FormContext = {}): { body: AnalysisBody | null; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const int = (name: FieldName, min: number, max: number, fallback: number): number => {
    const s = text(form, name);
    if (s === '') return fallback;
    const n = Number(s);
    if (!Number.isInteger(n)) errors[name] = 'must be a whole number';
    else if (n < min || n > max) errors[name] = `must be between ${min} and ${max.toLocaleString('en-US')}`;
    return n;
  };

  const modelVersionId = text(form, 'modelVersionId');
  if (!modelVersionId) errors.modelVersionId = 'choose a model version';
  const datasetId = text(form, 'datasetId');
  if (!datasetId) errors.datasetId = 'choose a dataset';
  const title = text(form, 'title');
  if (title.length > 200) errors.title = 'is longer than 200 characters';

  let target: AnalysisBody['target'];
  if (text(form, 'targetKind') === 'regression') {
    const source = text(form, 'regressionSource') === 'dataset' ? 'dataset' : 'output';
    if (source === 'dataset' && ctx.datasetKind && ctx.datasetKind !== 'csv') {
      errors.regressionSource = 'the dataset target needs a CSV dataset (image,target); this dataset has no targets';
    }
    const outMax = Math.max(0, (ctx.outputs ?? 100_000) - 1);
    target = source === 'output' ? { kind: 'regression', source, index: int('outputIndex', 0, outMax, 0) } : { kind: 'regression', source };
  } else {
    const max = Math.max(0, (ctx.outputs ?? 100_000) - 1);
    if (text(form, 'classIndex') === '') errors.classIndex = 'enter the class index (the output whose pre-softmax score is explained)';
    target = { kind: 'class', index: int('classIndex', 0, max, 0) };
  }

  // layerMode=pick comes from the form; without it (API-like posts) all layers are meant.
  const picked = form.getAll('layers').map(String).filter(Boolean);
  let layers: AnalysisBody['layers'] = 'all';
  if (text(form, 'layerMode') === 'pick') {
    if (picked.length === 0) errors.layers = 'choose at least one layer';
    layers = picked;
  }

  const images = int('images', B.images.min, B.images.max, DEFAULT_ANALYSIS.images);
  let components: Components = DEFAULT_ANALYSIS.components;
  const mode = text(form, 'componentsMode') || 'k';
  if (mode === 'half') components = 'half';
  else if (form.get(mode === 'fraction' ? 'componentsFraction' : 'componentsK') !== null) {
    // Absent (a post without the field) means the default; present but empty is a mistake.
    const raw = text(form, mode === 'fraction' ? 'componentsFraction' : 'componentsK');
    if (raw === '') errors.components = mode === 'fraction' ? 'enter a fraction of the variance, e.g. 0.9' : 'enter the number of components';
    else if (mode === 'fraction' && !/\./.test(raw) && raw !== '1') errors.components = 'a fraction needs a decimal point, e.g. 0.9';
    else {
      const c = parseComponents(raw);
      if ('error' in c) errors.components = c.error;
      else components = c.value;
    }
  }

  const flavourText = text(form, 'flavour') || DEFAULT_ANALYSIS.flavour;
  if (!(FLAVOURS as readonly string[]).includes(flavourText)) errors.flavour = `must be one of ${FLAVOURS.join(', ')}`;
  const rankText = text(form, 'rankBy') || DEFAULT_ANALYSIS.rankBy;
  if (!(RANK_BY as readonly string[]).includes(rankText)) errors.rankBy = `must be one of ${RANK_BY.join(', ')}`;
  const permutations = int('permutations', B.permutations.min, B.permutations.max, DEFAULT_ANALYSIS.permutations);
  const crossFitRepeats = int('crossFitRepeats', B.crossFitRepeats.min, B.crossFitRepeats.max, DEFAULT_ANALYSIS.crossFitRepeats);
  const bootstrap = int('bootstrap', B.bootstrap.min, B.bootstrap.max, DEFAULT_ANALYSIS.bootstrap);
  const seed = int('seed', 0, 2 ** 31 - 1, DEFAULT_ANALYSIS.seed);
  if (!errors.rankBy && rankText.startsWith('z_') && !errors.permutations && permutations < 2) {
    errors.rankBy = `ranking by ${rankText} needs permutations ≥ 2: the z is measured against the permutation null`;
  }
  if (!errors.rankBy && rankText === 'crossfit' && !errors.crossFitRepeats && crossFitRepeats < 1) {
    errors.rankBy = 'ranking by the cross-fitted score needs cross-fit repeats ≥ 1';
  }

  const stabilityComponents: Components[] = [];
  const stab = text(form, 'stability');
  if (stab) {
    const parts = stab.split(/[\s,;]+/).filter(Boolean);
    if (parts.length > B.stabilityComponents.max) errors.stability = `at most ${B.stabilityComponents.max} values`;
    for (const p of parts) {
      const c = parseComponents(p);
      if ('error' in c) {
        errors.stability = c.error;
        break;
      }
      stabilityComponents.push(c.value);
    }
  }
  const ablation = form.get('ablation') !== null && text(form, 'ablation') !== 'false';
  if (ablation && ctx.format && ctx.format !== 'onnx') errors.ablation = 'ablation is available for ONNX models only';

  if (Object.keys(errors).length > 0) return { body: null, errors };
  return {
    errors,
    body: {
      modelVersionId,
      datasetId,
      ...(title ? { title } : {}),
      target,
      layers,
      options: {
        images,
        components,
        flavour: flavourText as AnalysisBody['options']['flavour'],
        rankBy: rankText as AnalysisBody['options']['rankBy'],
        permutations,
        crossFitRepeats,
        bootstrap,
        stabilityComponents,
        seed,
        ablation,
      },
    },
  };
}

/** The field a server-side error is about (createAnalysis / zod messages), to show it in place. */
export function fieldOfServerError(message: string): FieldName | null {
  const m = /options\.(\w+)/.exec(message);
  if (m) {
    const key = m[1] === 'stabilityComponents' ? 'stability' : m[1];
    return key as FieldName;
  }
  if (/unknown layer|layers[:.]/.test(message)) return 'layers';
  if (/target class index|target(\.index)?:/.test(message)) return 'classIndex';
  if (/regression target taken from the dataset/.test(message)) return 'regressionSource';
  if (/model version not found|modelVersionId/.test(message)) return 'modelVersionId';
  if (/dataset not found|datasetId/.test(message)) return 'datasetId';
  if (/title/.test(message)) return 'title';
  return null;
}

/** One line for the alert above the form: what is wrong, field by field. */
export function summariseErrors(errors: FieldErrors, labels: Record<FieldName, string>): string {
  const entries = Object.entries(errors) as [FieldName, string][];
  return `${entries.length === 1 ? 'One field needs' : `${entries.length} fields need`} attention: ${entries.map(([k, v]) => `${labels[k]} ${v}`).join('; ')}`;
}
