/**
 * The "new analysis" form's fields → the body of createAnalysis
 * (POST /api/v1/labs/:lab/analyses). Pure, so the browser runs it for
 * instant errors next to each field and the server action runs it again
 * (never trusting the browser) before createAnalysis validates the rest.
 */
import {
  OPTION_LIST,
  REFUSALS,
  applies,
  parseOptionText,
  validateOptions,
  withDefaults,
  type FullOptions,
  type OptionDecl,
  type OptionName,
} from '@/lib/server/shared/analysis-options';

/** The form's fields that are analysis options: one per declared option (lib/analysis/options.ts), named by its form.field. */
export type OptionField = OptionName | 'stability';
export const OPTION_FIELDS: readonly { field: OptionField; decl: OptionDecl }[] = OPTION_LIST.map((d) => ({ field: d.form.field as OptionField, decl: d }));

export type FieldName = 'title' | 'modelVersionId' | 'datasetId' | 'classIndex' | 'outputIndex' | 'regressionSource' | 'layers' | OptionField;

export type FieldErrors = Partial<Record<FieldName, string>>;

export interface AnalysisBody {
  modelVersionId: string;
  datasetId: string;
  title?: string;
  target: { kind: 'class'; index: number } | { kind: 'regression'; source: 'output' | 'dataset'; index?: number };
  layers: 'all' | string[];
  /** Every option (withDefaults): the fields the form showed, defaults for the rest. */
  options: FullOptions;
}

/** What the browser knows about the chosen model and dataset (the server checks these again). */
export interface FormContext {
  outputs?: number;
  datasetKind?: string;
  format?: 'onnx' | 'tfjs';
  /** Images the chosen dataset holds for an analysis (lib/server/datasets.ts usableImages). */
  datasetImages?: number;
}


interface FormLike {
  get(name: string): FormDataEntryValue | null;
  getAll(name: string): FormDataEntryValue[];
}

const text = (f: FormLike, k: string) => {
  const v = f.get(k);
  return typeof v === 'string' ? v.trim() : '';
};

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

  // The options: each field the form holds, parsed as its declaration says; absent fields take the default.
  const given: Partial<Record<OptionName, unknown>> = {};
  for (const { field, decl } of OPTION_FIELDS) {
    if (decl.type === 'components') {
      const c = componentsField(form);
      if ('error' in c) errors[field] = c.error;
      else if (c.value !== undefined) given[decl.name] = c.value;
      continue;
    }
    if (decl.type === 'boolean') {
      // A checkbox: present (and not "false") means on; hidden or unchecked means the default.
      if (form.get(field) !== null) given[decl.name] = text(form, field) !== 'false';
      continue;
    }
    const raw = text(form, field);
    if (raw === '') continue;
    const parsed = parseOptionText(decl, raw);
    if ('error' in parsed) errors[field] = parsed.error;
    else given[decl.name] = parsed.value;
  }
  const options = withDefaults(given);
  // Refused combinations as the server and the worker judge them (with what the browser knows of the model and dataset),
  // shown at their field; one that involves a field already in error waits until that field is right.
  const fieldOf = (o: OptionName | 'target'): FieldName => (o === 'target' ? 'regressionSource' : OPTION_FIELDS.find((f) => f.decl.name === o)!.field);
  const ctxKnown = { format: ctx.format, datasetKind: ctx.datasetKind, target: ctx.datasetKind ? target : undefined };
  for (const issue of validateOptions(options, ctxKnown)) {
    const refusal = REFUSALS.find((r) => r.id === issue.refusal);
    if (refusal?.involves.some((o) => errors[fieldOf(o)])) continue;
    if (!errors[fieldOf(issue.option)]) errors[fieldOf(issue.option)] = issue.message;
  }

  if (ctx.datasetImages !== undefined && options.images > ctx.datasetImages && !errors.images) {
    errors.images = `the dataset has ${ctx.datasetImages.toLocaleString('en-US')} image${ctx.datasetImages === 1 ? '' : 's'} for this analysis: ask for ${ctx.datasetImages.toLocaleString('en-US')} or fewer`;
  }
  if (Object.keys(errors).length > 0) return { body: null, errors };
  return {
    errors,
    body: {
      modelVersionId,
      datasetId,
      ...(title ? { title } : {}),
      target,
      layers,
      options,
    },
  };
}

/** Components as the form holds them: a mode (k, half, fraction) and a value; undefined = not on the form (the default). */
function componentsField(form: FormLike): { value: FullOptions['components'] | undefined } | { error: string } {
  const mode = text(form, 'componentsMode') || 'k';
  if (mode === 'half') return { value: 'half' };
  const name = mode === 'fraction' ? 'componentsFraction' : 'componentsK';
  // Absent (a post without the field) means the default; present but empty is a mistake.
  if (form.get(name) === null) return { value: undefined };
  const raw = text(form, name);
  if (raw === '') return { error: mode === 'fraction' ? 'enter a fraction of the variance, e.g. 0.9' : 'enter the number of components' };
  if (mode === 'fraction' && !/\./.test(raw) && raw !== '1') return { error: 'a fraction needs a decimal point, e.g. 0.9' };
  const c = parseOptionText(OPTION_LIST.find((d) => d.type === 'components')!, raw);
  return 'error' in c ? c : { value: c.value as FullOptions['components'] };
}

/** Values of the option fields as the form holds them now (for showing only the fields that apply). */
export function currentOptions(form: FormLike): Partial<FullOptions> {
  const out: Record<string, unknown> = {};
  for (const { field, decl } of OPTION_FIELDS) {
    if (decl.type === 'boolean') out[decl.name] = form.get(field) !== null;
    else if (decl.type !== 'components' && decl.type !== 'components-list') {
      const raw = text(form, field);
      const parsed = raw === '' ? null : parseOptionText(decl, raw);
      if (parsed && 'value' in parsed) out[decl.name] = parsed.value;
    }
  }
  return out as Partial<FullOptions>;
}

export { applies };

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

/**
 * The output index to explain by default: the dataset's one class, when the
 * model has that output — its digit, or its class folder's name found among
 * the model card's class names ("cat" → 3), or a number leading the folder
 * name ("03_cat" → 3).
 */
export function suggestedClass(d: { digit: number | null; className: string | null } | undefined, v: { outputs: number | null; classes: string[] | null } | undefined): string | null {
  if (!d) return null;
  const fits = (i: number) => (v?.outputs === null || v?.outputs === undefined || i < v.outputs ? String(i) : null);
  if (d.digit !== null) return fits(d.digit);
  if (d.className === null) return null;
  const name = d.className.trim().toLowerCase();
  const named = v?.classes?.findIndex((c) => c.trim().toLowerCase() === name) ?? -1;
  if (named >= 0) return fits(named);
  const lead = /^(\d+)(?:[\s_.-]|$)/.exec(name);
  return lead ? fits(Number(lead[1])) : null;
}
