/**
 * Every option of an analysis, declared once. After scikit-learn's parameter
 * validation (sklearn/utils/_param_validation.py): the constraints are data, and
 * everything that checks, explains or fills in an option is derived from them —
 * the API's zod schema (lib/server/schemas.ts), the new-analysis form's fields
 * (app/labs/[lab]/analyses/new, through lib/server/shared/analysis-options.ts),
 * the CLI's flags and `--help` (lib/cli/rank-command.ts), the validation the
 * server and the worker run (validateOptions), defaults (withDefaults) and the
 * spec echoed in results.json (lib/analysis/results.ts echoSpec). Adding an
 * option here is enough for all of them; tests/unit/analysis-options.test.ts
 * checks that each place has each option.
 *
 * Client-safe on purpose: no node: imports and no server code, so the form can
 * run the same checks in the browser.
 *
 * Defaults were chosen by measurement (bench/choose-defaults.ts, bench/README.md
 * "Choosing the defaults" and "Null calibration"): over four generator designs
 * and 20 held-out seeds no k or statistic ranked significantly better than k = 5
 * by the cross-fitted score (k = 3, k = 10 and pc1 ranked worse); the cross-fitted
 * score is calibrated without a null (noise sits at ≈ 0), with repeats added
 * until its Monte Carlo SE < 0.005; the verdicts test a permutation null pooled
 * per layer with BH at α = 0.05.
 */
import type { AnalysisSpec } from './types';

/** The options of an analysis: everything of AnalysisSpec but what to analyse. */
export type AnalysisOptions = Omit<AnalysisSpec, 'model' | 'dataset' | 'target' | 'layers'>;
export type OptionName = keyof AnalysisOptions;
/** Options with every default filled in (what withDefaults returns and what is stored). */
export type FullOptions = Required<AnalysisOptions>;

/** Parts of the cost estimate an option can drive (the keys of lib/analysis/cost.ts CostBreakdown). */
export type CostTerm = 'pca' | 'fit' | 'crossfit' | 'permutations' | 'bootstrap' | 'stability' | 'null' | 'ablation' | 'sanity' | 'retest';
export type OptionType = 'int' | 'number' | 'enum' | 'boolean' | 'components' | 'components-list' | 'int-or-auto';
export type TargetKind = 'class' | 'regression';
export type ModelFormat = 'onnx' | 'tfjs';

/** What an option is used for, when it is not every analysis. */
export interface Applicability {
  rankBy?: readonly AnalysisOptions['rankBy'][];
  flavour?: readonly AnalysisOptions['flavour'][];
  target?: readonly TargetKind[];
  format?: readonly ModelFormat[];
  /** Only meaningful while another option is not one of these values (e.g. alpha needs a null). */
  unless?: { option: OptionName; in: readonly unknown[] };
  /** The same, said in words (CLI help, form help). */
  text: string;
}

export interface OptionDecl<K extends OptionName = OptionName> {
  name: K;
  type: OptionType;
  default: FullOptions[K];
  /** The default in words, when it depends on other options (withDefaults applies it). */
  defaultText?: string;
  /** Bounds of an int/number (a components' k; an int-or-auto's non-zero draws). The maxima protect the shared queue. */
  min?: number;
  max?: number;
  /** Number bounds are open: min < v < max. */
  open?: boolean;
  /** int-or-auto: 0 is allowed below min (it turns the feature off). */
  zero?: boolean;
  /** Enum values with the words the form shows. */
  choices?: readonly { value: string; label: string }[];
  /** components-list: most entries. */
  maxItems?: number;
  /** Form label. */
  label: string;
  /** How messages name the option ("cross-fit repeats"). */
  noun: string;
  /** One line: what it does. */
  meaning: string;
  /** One line: how it scales the cost (lib/analysis/cost.ts prices it). */
  cost: string;
  /** Does raising it raise the cost estimate? */
  costly?: boolean;
  /** The part of the cost estimate it drives (lib/analysis/cost.ts CostBreakdown): a lab past its CPU-hours limit is told to lower the options behind the largest parts. */
  costTerm?: CostTerm;
  appliesTo?: Applicability;
  cli: { flag: `--${string}`; arg?: string };
  form: { field: string; group: 'statistics' | 'calibration' | 'verdicts'; placeholder?: string; step?: string; /** A checkbox's words. */ caption?: string };
}

const int = { type: 'int' } as const;
/** Options that only mean something when the importance measures run. */
const withImportance = { unless: { option: 'ablation', in: [false] }, text: 'with importance measures' } as const;
/** Options that edit or run the model in ways only the ONNX engine offers (REFUSALS refuses them for other formats: onnxOnly). */
const onnxModels = { format: ['onnx'], text: 'ONNX models' } as const;

/**
 * Declares option `name`: its form field (named `name` unless `form` renames it)
 * in `group`, its CLI flag as '--flag ARG'; the rest is its constraints and words.
 */
function option<K extends OptionName>(
  name: K,
  group: OptionDecl['form']['group'],
  cli: `--${string}`,
  d: Omit<OptionDecl<K>, 'name' | 'cli' | 'form'> & { form?: Partial<OptionDecl['form']> },
): OptionDecl<K> {
  const [flag, arg] = cli.split(' ') as [`--${string}`, string | undefined];
  const { form, ...rest } = d;
  return { name, ...rest, cli: arg ? { flag, arg } : { flag }, form: { field: name, group, ...form } };
}

/**
 * An off-by-default switch of extra work, priced under `d.costTerm`: a check
 * box in the calibration group whose caption says what ticking it adds.
 */
function costlySwitch<K extends OptionName>(
  name: K,
  cli: `--${string}`,
  caption: string,
  d: Pick<OptionDecl<K>, 'label' | 'noun' | 'meaning' | 'cost' | 'costTerm' | 'appliesTo'>,
): OptionDecl<K> {
  return option(name, 'calibration', cli, { type: 'boolean', default: false as OptionDecl<K>['default'], costly: true, ...d, form: { caption } });
}

/** The declaration, in the order the CLI's help and the form show them. */
export const OPTIONS: { readonly [K in OptionName]: OptionDecl<K> } = {
  images: option('images', 'statistics', '--n N', {
    ...int, default: 300, min: 10, max: 100_000, label: 'Number of images', noun: 'images',
    meaning: 'images fed to the model; more give steadier scores and a narrower null (ACE wants a few hundred)',
    cost: 'linear: every forward pass and every fit is over all images', costly: true,
  }),
  components: option('components', 'statistics', '--components K', {
    type: 'components', default: 5, min: 1, max: 1000, label: 'Components', noun: 'components',
    meaning: "PCA components per channel fed to ACE: an integer k, 'half' the positions or a variance fraction like 0.9",
    cost: 'ACE fits grow with k + 1; a variance fraction resolves every component first', costly: true, costTerm: 'pca',
  }),
  flavour: option('flavour', 'statistics', '--flavour F', {
    type: 'enum', default: 'acepack',
    choices: [
      { value: 'acepack', label: 'acepack (default)' },
      { value: 'pcace-2021', label: 'pcace-2021 (published code)' },
    ],
    label: 'ACE flavour', noun: 'flavour',
    meaning: "acepack is R's reference ACE; pcace-2021 reproduces the published code, for comparisons with the paper",
    cost: 'pcace-2021 runs each ACE sweep to its stopping rule: about 3× the fits', costTerm: 'fit',
  }),
  rankBy: option('rankBy', 'statistics', '--rank-by S', {
    type: 'enum', default: 'crossfit',
    choices: [
      { value: 'crossfit', label: 'cross-fitted multiple correlation (default)' },
      { value: 'multiple', label: 'multiple correlation' },
      { value: 'pc1', label: 'first component (pc1)' },
      { value: 'z_multiple', label: 'z vs permutation null (multiple)' },
      { value: 'z_pc1', label: 'z vs permutation null (pc1)' },
    ],
    label: 'Ranking score', noun: 'ranking score',
    meaning: "cross-fitted puts noise channels near 0; pc1/multiple are the paper's in-sample scores; z_* rank by distance from each channel's own permutation null (Permutations), not the null the verdicts test",
    defaultText: 'crossfit (multiple when cross-fit repeats = 0)',
    cost: 'crossfit makes each null draw and bootstrap replicate refit every cross-fit repeat',
  }),
  permutations: option('permutations', 'calibration', '--permutations B', {
    ...int, default: 0, min: 0, max: 10_000, label: 'Permutations', noun: 'permutations',
    meaning: "B shuffles of the target per channel, refitting the in-sample scores: an uncorrected p and a z per channel, which the z_* scores rank by. Not the verdicts' null: whether a channel beats noise is decided by the null draws of the ranking statistic, BH-corrected (an analysis with null draws reports their p instead)",
    cost: 'B extra ACE fits per channel (permuted responses take ~1.5× the iterations)', costly: true, costTerm: 'permutations',
  }),
  crossFitRepeats: option('crossFitRepeats', 'calibration', '--crossfit R', {
    ...int, default: 2, min: 0, max: 100, label: 'Cross-fit repeats', noun: 'cross-fit repeats',
    meaning: 'half/half splits: transforms fit on one half, scored on the other; 0 turns the cross-fitted score off',
    cost: 'one more ACE fit per channel and repeat (two fits on half the images)', costly: true, costTerm: 'crossfit',
  }),
  crossFitCap: option('crossFitCap', 'calibration', '--crossfit-cap R', {
    ...int, default: 20, min: 1, max: 100, label: 'Most cross-fit repeats', noun: 'the cross-fit cap',
    meaning: 'repeats are added until the Monte Carlo SE of the cross-fitted score < 0.005, up to this many',
    cost: 'at most this many cross-fit fits per channel (usually far fewer)',
    appliesTo: { unless: { option: 'crossFitRepeats', in: [0] }, text: 'with cross-fit repeats ≥ 1' },
  }),
  bootstrap: option('bootstrap', 'calibration', '--bootstrap B', {
    ...int, default: 0, min: 0, max: 10_000, label: 'Bootstrap replicates', noun: 'bootstrap replicates',
    meaning: 'resampled images give each channel a rank confidence set: how sure its place is',
    cost: "each replicate redoes every channel's PCA and ranking statistic on the resampled images", costly: true, costTerm: 'bootstrap',
  }),
  stabilityComponents: option('stabilityComponents', 'calibration', '--stability K,K,...', {
    type: 'components-list', default: [], min: 1, max: 1000, maxItems: 10, label: 'Stability k list', noun: 'stability components',
    meaning: 'also rank at these k and report how much the ranking moves when k changes',
    cost: 'one more PCA and ACE fit per channel and k', costly: true, costTerm: 'stability',
    form: { field: 'stability', placeholder: '3, 10' },
  }),
  seed: option('seed', 'calibration', '--seed S', {
    ...int, default: 1, min: 0, max: 2 ** 31 - 1, label: 'Seed', noun: 'seed',
    meaning: 'same seed, same images, splits and permutations: a rerun reproduces the numbers',
    cost: 'none',
  }),
  ablation: costlySwitch('ablation', '--ablation', 'measure importance beside PCACE (ablation, gradients, deletion curves)', {
    label: 'Importance measures', noun: 'importance measures', costTerm: 'ablation', appliesTo: onnxModels,
    meaning: 'beside PCACE: mean- and zero-ablation drops (score and accuracy), mean |activation|, filter L1, Taylor, conductance; deletion curves in each order; agreement with PCACE',
    cost: 'four passes per channel from the layer on (the whole model when the layer does not fit in memory), plus the conductance steps and the curves',
  }),
  conductanceSteps: option('conductanceSteps', 'calibration', '--conductance-steps S', {
    ...int, default: 8, min: 0, max: 64, label: 'Conductance steps', noun: 'conductance steps',
    meaning: "points of the path from each channel's mean map to its activation that the conductance integrates over (midpoint rule); 0 = no conductance",
    cost: 'S + S per channel passes from the layer on', costly: true, costTerm: 'ablation',
    appliesTo: withImportance,
  }),
  curveRandomOrders: option('curveRandomOrders', 'calibration', '--curve-random R', {
    ...int, default: 10, min: 0, max: 200, label: 'Random deletion orders', noun: 'random deletion orders',
    meaning: 'random removal orders whose 5–95 % band any ranking should beat on the deletion curves; 0 = no band',
    cost: '10 passes from the layer on per order', costly: true, costTerm: 'ablation',
    appliesTo: withImportance,
  }),
  sanityChecks: costlySwitch('sanityChecks', '--sanity', 'random-filter baseline and model randomisation', {
    label: 'Sanity checks', noun: 'sanity checks', costTerm: 'sanity', appliesTo: onnxModels,
    meaning: 'per layer: score random filters of the same shape and norm (baseline, trained-vs-random AUC) and rerank under cascading and independent model randomisation (Spearman with the trained ranking)',
    cost: 'per layer, the randomised models run from the layer on after one trained pass (the whole model plus the part from the layer on, once more), and three scorings of max(16, channels/8) channels',
  }),
  retest: costlySwitch('retest', '--retest', 'rank a second, disjoint image sample', {
    label: 'Test–retest', noun: 'test–retest', costTerm: 'retest',
    meaning: "also rank every layer on a second sample of as many images, disjoint from the first (the dataset needs twice the images), and store how well the two rankings agree: the ranking's reliability, which the class comparison corrects for",
    cost: 'a second forward pass and ranking statistic for every channel: about the cost of an uncalibrated analysis again (no null, bootstrap or stability on the second sample)',
  }),
  nullPermutations: option('nullPermutations', 'verdicts', '--null B', {
    type: 'int-or-auto', default: 'auto', min: 3, max: 10_000, zero: true, label: 'Null draws', noun: 'null permutations',
    meaning: "permutation draws of the ranking statistic's null per layer, pooled over its channels, that the verdicts (beats noise, q, effect) are tested against: auto = max(20, channels/4); 0 = no verdicts",
    cost: 'each draw refits one channel (per-channel null: every channel) on a shuffled response', costly: true, costTerm: 'null',
    form: { placeholder: 'auto' },
  }),
  perChannelNull: option('perChannelNull', 'verdicts', '--per-channel-null', {
    type: 'boolean', default: false, label: 'Per-channel null', noun: 'the per-channel null',
    meaning: 'B draws for every channel instead of one pooled null per layer',
    cost: "multiplies the null's draws by the layer's channels", costly: true, costTerm: 'null',
    appliesTo: { unless: { option: 'nullPermutations', in: [0] }, text: 'with null draws ≠ 0' },
    form: { caption: 'a null for every channel' },
  }),
  alpha: option('alpha', 'verdicts', '--alpha A', {
    type: 'number', default: 0.05, min: 0, max: 1, open: true, label: 'False-discovery level α', noun: 'alpha',
    meaning: 'a channel beats noise when its BH q-value within the layer is below α',
    cost: 'none',
    appliesTo: { unless: { option: 'nullPermutations', in: [0] }, text: 'with null draws ≠ 0' },
    form: { step: '0.01' },
  }),
  pi0: option('pi0', 'verdicts', '--pi0', {
    type: 'boolean', default: false, label: "Storey's π₀", noun: 'pi0',
    meaning: "sharpen BH with Storey's estimate of the share of null channels",
    cost: 'none',
    appliesTo: { unless: { option: 'nullPermutations', in: [0] }, text: 'with null draws ≠ 0' },
    form: { caption: "sharpen BH with Storey's π₀" },
  }),
};

export const OPTION_LIST: readonly OptionDecl[] = Object.values(OPTIONS) as OptionDecl[];
export const OPTION_NAMES = OPTION_LIST.map((o) => o.name);

// ---------------------------------------------------------------- refused combinations

/** What validation knows besides the options: the model's format, the target, the dataset's kind. */
export interface OptionContext {
  format?: ModelFormat;
  target?: { kind: TargetKind; source?: 'output' | 'dataset' };
  datasetKind?: string;
}

/** Names options in a message: the API and the worker say "cross-fit repeats", the CLI "--crossfit". */
export type Namer = (option: OptionName) => string;
export const nounOf: Namer = (o) => OPTIONS[o].noun;
export const flagOf: Namer = (o) => OPTIONS[o].cli.flag;

export interface Refusal {
  id: string;
  /** The option (or the target) the message is about: the form shows it at that field. */
  field: OptionName | 'target';
  /** The options it judges (besides the field): a form holding a bad value in one of them says that first. */
  involves: readonly OptionName[];
  /** Context it needs; without it (e.g. a zod schema that does not know the model) it is checked later. */
  needs?: keyof OptionContext;
  refused(o: FullOptions, ctx: OptionContext): boolean;
  message(o: FullOptions, name: Namer): string;
}

/**
 * The refusal of switch `field` for a model that is not ONNX (the option edits or
 * runs the model in ways only the ONNX engine offers): "<field> is/are available for ONNX models only".
 */
function onnxOnly(id: string, field: 'ablation' | 'sanityChecks', verb: 'is' | 'are'): Refusal {
  return {
    id,
    field,
    involves: [],
    needs: 'format',
    refused: (o, ctx) => o[field] && ctx.format !== 'onnx',
    message: (_o, n) => `${n(field)} ${verb} available for ONNX models only`,
  };
}

export const REFUSALS: readonly Refusal[] = [
  {
    id: 'z-needs-permutations',
    field: 'rankBy',
    involves: ['permutations'],
    refused: (o) => o.rankBy.startsWith('z_') && o.permutations < 2,
    message: (o, n) => `ranking by ${o.rankBy} needs ${n('permutations')} ≥ 2: the z is measured against the permutation null`,
  },
  {
    id: 'crossfit-needs-repeats',
    field: 'rankBy',
    involves: ['crossFitRepeats'],
    refused: (o) => o.rankBy === 'crossfit' && o.crossFitRepeats < 1,
    message: (_o, n) => `ranking by crossfit needs ${n('crossFitRepeats')} ≥ 1: the score is fit on one half of the images and measured on the other`,
  },
  onnxOnly('ablation-onnx-only', 'ablation', 'is'),
  onnxOnly('sanity-onnx-only', 'sanityChecks', 'are'),
  {
    id: 'dataset-target-needs-csv',
    field: 'target',
    involves: [],
    needs: 'datasetKind',
    refused: (_o, ctx) => ctx.target?.kind === 'regression' && ctx.target.source === 'dataset' && ctx.datasetKind !== 'csv',
    message: () => 'a regression target taken from the dataset needs a CSV dataset (image,target)',
  },
];

// ---------------------------------------------------------------- values

const fmt = (v: number) => v.toLocaleString('en-US');
type Components = FullOptions['components'];

function isComponents(v: unknown, d: OptionDecl): v is Components {
  if (v === 'half') return true;
  if (typeof v === 'number') return Number.isInteger(v) && v >= d.min! && v <= d.max!;
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const keys = Object.keys(v);
    const f = (v as { varianceFraction?: unknown }).varianceFraction;
    return keys.length === 1 && typeof f === 'number' && f > 0 && f <= 1;
  }
  return false;
}

/** What a valid value looks like, in words ("a whole number between 10 and 100,000"). */
export function expectation(d: OptionDecl): string {
  switch (d.type) {
    case 'int':
      return `a whole number between ${fmt(d.min!)} and ${fmt(d.max!)}`;
    case 'number':
      return d.open ? `a number in (${d.min}, ${d.max})` : `a number in [${d.min}, ${d.max}]`;
    case 'enum':
      return `one of ${d.choices!.map((c) => c.value).join(', ')}`;
    case 'boolean':
      return 'true or false';
    case 'components':
      return `a whole number between ${fmt(d.min!)} and ${fmt(d.max!)}, 'half' or a variance fraction in (0, 1]`;
    case 'components-list':
      return `at most ${d.maxItems} values, each a whole number between ${fmt(d.min!)} and ${fmt(d.max!)}, 'half' or a variance fraction in (0, 1]`;
    case 'int-or-auto':
      return `'auto', 0 or an integer ≥ ${fmt(d.min!)} (at most ${fmt(d.max!)})`;
  }
}

/** null when the value fits the declaration, else what is wrong ("must be between 10 and 100,000"). */
export function checkValue(d: OptionDecl, v: unknown): string | null {
  switch (d.type) {
    case 'int':
      if (typeof v !== 'number' || !Number.isFinite(v)) return `must be ${expectation(d)}`;
      if (!Number.isInteger(v)) return 'must be a whole number';
      return v < d.min! || v > d.max! ? `must be between ${fmt(d.min!)} and ${fmt(d.max!)}` : null;
    case 'number': {
      if (typeof v !== 'number' || !Number.isFinite(v)) return `must be ${expectation(d)}`;
      const inside = d.open ? v > d.min! && v < d.max! : v >= d.min! && v <= d.max!;
      return inside ? null : `must lie in ${d.open ? `(${d.min}, ${d.max})` : `[${d.min}, ${d.max}]`}`;
    }
    case 'enum':
      return typeof v === 'string' && d.choices!.some((c) => c.value === v) ? null : `must be ${expectation(d)}`;
    case 'boolean':
      return typeof v === 'boolean' ? null : 'must be true or false';
    case 'components':
      return isComponents(v, d) ? null : `must be ${expectation(d)}`;
    case 'components-list':
      return Array.isArray(v) && v.length <= d.maxItems! && v.every((x) => isComponents(x, d)) ? null : `must be ${expectation(d)}`;
    case 'int-or-auto':
      return v === 'auto' || v === 0 || (typeof v === 'number' && Number.isInteger(v) && v >= d.min! && v <= d.max!) ? null : `must be ${expectation(d)}`;
  }
}

/** Components as typed (form or CLI): a whole number k, 'half', or a fraction with a decimal point (0.9 = 90 % of the variance). */
export function parseComponentsText(s: string, d: OptionDecl = OPTIONS.components): { value: Components } | { error: string } {
  const v = s.trim().toLowerCase();
  if (v === 'half') return { value: 'half' };
  if (/^\d+$/.test(v)) {
    const k = Number(v);
    return k >= d.min! && k <= d.max! ? { value: k } : { error: `must be between ${fmt(d.min!)} and ${fmt(d.max!)}` };
  }
  if (/^(0?\.\d+|1\.0*)$/.test(v)) {
    const f = Number(v);
    return f > 0 && f <= 1 ? { value: { varianceFraction: f } } : { error: 'a variance fraction must be in (0, 1]' };
  }
  return { error: `'${s.trim()}' is not an integer, 'half' or a fraction like 0.9` };
}

/**
 * An option's value from text (a CLI flag's argument, a form field): the value,
 * or what is wrong with the text. Booleans are not text (a flag's presence, a
 * checked box) and pass through parseBoolean.
 */
export function parseOptionText(d: OptionDecl, text: string): { value: unknown } | { error: string } {
  const s = text.trim();
  switch (d.type) {
    case 'int':
    case 'number': {
      const n = s === '' ? NaN : Number(s);
      if (Number.isNaN(n)) return { error: `must be ${expectation(d)}` };
      const bad = checkValue(d, n);
      return bad ? { error: bad } : { value: n };
    }
    case 'int-or-auto': {
      const v = s.toLowerCase() === 'auto' ? 'auto' : s === '' ? NaN : Number(s);
      const bad = checkValue(d, v);
      return bad ? { error: bad } : { value: v };
    }
    case 'enum':
      return checkValue(d, s) ? { error: `must be ${expectation(d)}` } : { value: s };
    case 'boolean':
      return s === 'true' || s === 'false' ? { value: s === 'true' } : { error: 'must be true or false' };
    case 'components':
      return parseComponentsText(s, d);
    case 'components-list': {
      const parts = s.split(/[\s,;]+/).filter(Boolean);
      if (parts.length > d.maxItems!) return { error: `at most ${d.maxItems} values` };
      const out: Components[] = [];
      for (const p of parts) {
        const c = parseComponentsText(p, d);
        if ('error' in c) return c;
        out.push(c.value);
      }
      return { value: out };
    }
  }
}

// ---------------------------------------------------------------- defaults, validation

/**
 * Every declared option, each given value kept and the rest at its default;
 * keys that are not options are dropped. One dependent default: without a
 * rankBy, cross-fit repeats = 0 rank by the in-sample multiple correlation
 * (there is no cross-fitted score to rank by).
 */
export function withDefaults(given: Partial<Record<OptionName, unknown>> | null | undefined = {}): FullOptions {
  const src = (given ?? {}) as Partial<FullOptions>;
  const out = {} as Record<OptionName, unknown>;
  for (const d of OPTION_LIST) out[d.name] = src[d.name] !== undefined ? src[d.name] : structuredClone(d.default);
  if (src.rankBy === undefined && out.crossFitRepeats === 0) out.rankBy = 'multiple';
  return out as FullOptions;
}

export interface OptionIssue {
  option: OptionName | 'target';
  message: string;
  /** Set for a refused combination (REFUSALS id). */
  refusal?: string;
}

/**
 * The one validation of an analysis's options, run by the server (create and
 * estimate) and by the worker before it computes: each given value against its
 * declaration, then (when the values are valid) the refused combinations whose
 * context is known. Keys that are not options are ignored here (the API's
 * schema refuses them). Messages name options with `name` (CLI: flags).
 */
export function validateOptions(given: Partial<Record<OptionName, unknown>>, ctx: OptionContext = {}, name: Namer = nounOf): OptionIssue[] {
  const issues: OptionIssue[] = [];
  for (const d of OPTION_LIST) {
    const v = given[d.name];
    if (v === undefined) continue;
    const bad = checkValue(d, v);
    if (bad) issues.push({ option: d.name, message: bad });
  }
  if (issues.length) return issues;
  const full = withDefaults(given);
  for (const r of REFUSALS) {
    if (r.needs && ctx[r.needs] === undefined) continue;
    if (r.refused(full, ctx)) issues.push({ option: r.field, message: r.message(full, name), refusal: r.id });
  }
  return issues;
}

/** An issue in a surface's words: a refusal says itself; a bad value is prefixed with the option's name (noun or flag). */
export function issueText(issue: OptionIssue, name: Namer = nounOf): string {
  return issue.refusal || issue.option === 'target' ? issue.message : `${name(issue.option)} ${issue.message}`;
}

/** Does the option matter for these options and this model/target? (The form hides those that do not.) */
export function applies(d: OptionDecl, o: Partial<FullOptions>, ctx: OptionContext = {}): boolean {
  const a = d.appliesTo;
  if (!a) return true;
  if (a.rankBy && o.rankBy !== undefined && !a.rankBy.includes(o.rankBy)) return false;
  if (a.flavour && o.flavour !== undefined && !a.flavour.includes(o.flavour)) return false;
  if (a.target && ctx.target && !a.target.includes(ctx.target.kind)) return false;
  if (a.format && ctx.format && !a.format.includes(ctx.format)) return false;
  if (a.unless && o[a.unless.option] !== undefined && a.unless.in.includes(o[a.unless.option])) return false;
  return true;
}

/** A default as the CLI and the form print it. */
export function formatValue(v: unknown): string {
  if (Array.isArray(v)) return v.length ? v.map(formatValue).join(',') : 'none';
  if (v && typeof v === 'object') return String((v as { varianceFraction: number }).varianceFraction);
  return String(v);
}

/** The options' part of `pcace rank --help`: one entry per declared option. */
export function cliHelpLines(width = 23): string[] {
  return OPTION_LIST.flatMap((d) => {
    const head = `  ${d.cli.flag}${d.cli.arg ? ` ${d.cli.arg}` : ''}`;
    const details = [
      d.type === 'boolean' ? null : `default ${d.defaultText ?? formatValue(d.default)}`,
      d.type === 'int' || d.type === 'int-or-auto' || d.type === 'number' || d.type === 'components' ? expectation(d) : null,
      d.appliesTo ? d.appliesTo.text : null,
      `cost: ${d.cost}`,
    ].filter(Boolean);
    return [`${head.padEnd(width)}${d.meaning}`, `${' '.repeat(width)}(${details.join('; ')})`];
  });
}
