/**
 * The options of an analysis are declared once (lib/analysis/options.ts); every
 * place that reads, checks, fills in or shows them is derived from that
 * declaration. This checks each declared option in each place — the API's
 * schema, the form, the CLI's flags and --help, withDefaults, the spec echoed
 * in results.json — and that a refused combination is refused by the API
 * schema, the CLI (exit 2) and the worker's validation with the same message.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pcace, ROOT } from '../helpers/cli';
import {
  OPTION_LIST,
  REFUSALS,
  flagOf,
  formatValue,
  nounOf,
  validateOptions,
  withDefaults,
  type FullOptions,
  type OptionDecl,
  type OptionName,
} from '../../lib/analysis/options';
import { estimateAnalysisCost } from '../../lib/analysis/cost';
import { echoSpec } from '../../lib/analysis/results';
import { runAnalysis } from '../../lib/analysis/run-analysis';
import type { AnalysisSpec } from '../../lib/analysis/types';
import { parseOptionFlags } from '../../lib/cli/rank-command';
import { analysisOptionKeys, analysisOptionsSchema, createAnalysisSchema } from '../../lib/server/schemas';
import { parseAnalysisForm } from '../../app/labs/[lab]/analyses/new/form-spec';

/** A valid value other than the default, and how a person types it, for each type of option. */
function sample(d: OptionDecl): { value: unknown; text: string } {
  switch (d.type) {
    case 'int': {
      const v = d.default === d.min! + 1 ? d.min! + 2 : d.min! + 1;
      return { value: v, text: String(v) };
    }
    case 'number': {
      const v = ((d.default as number) + d.max!) / 2;
      return { value: v, text: String(v) };
    }
    case 'enum': {
      const v = d.choices!.find((c) => c.value !== d.default)!.value;
      return { value: v, text: v };
    }
    case 'boolean':
      return { value: !d.default, text: String(!d.default) };
    case 'components':
      return { value: 7, text: '7' };
    case 'components-list':
      return { value: [3, 'half'], text: '3,half' };
    case 'int-or-auto':
      return { value: d.min! + 9, text: String(d.min! + 9) };
  }
}

const samples = Object.fromEntries(OPTION_LIST.map((d) => [d.name, sample(d).value])) as FullOptions;

const minimalSpec = (options: Partial<FullOptions> = {}): AnalysisSpec =>
  ({ model: { path: path.join(ROOT, 'no-such-model.onnx'), format: 'onnx' }, dataset: { kind: 'mnist', split: 'train', digit: 3 }, target: { kind: 'class', index: 3 }, layers: 'all', ...options }) as AnalysisSpec;

describe('every declared option in every derived place', () => {
  it('the samples are a valid analysis, different from the defaults', () => {
    expect(validateOptions(samples)).toEqual([]);
    for (const d of OPTION_LIST) expect(samples[d.name], d.name).not.toEqual(d.default);
  });

  it('the API schema: a key per option, each value accepted and checked', () => {
    expect([...analysisOptionKeys].sort()).toEqual([...OPTION_LIST.map((d) => d.name)].sort());
    expect(analysisOptionsSchema.parse(samples)).toEqual(samples);
    for (const d of OPTION_LIST) {
      const bad = analysisOptionsSchema.safeParse({ [d.name]: 'nonsense-value' });
      expect(bad.success, d.name).toBe(false);
      expect(bad.error!.issues[0].path).toEqual([d.name]);
    }
  });

  it('the form: a field per option, parsed into the body the API gets', () => {
    const form = new FormData();
    for (const [k, v] of Object.entries({ modelVersionId: 'mv', datasetId: 'ds', targetKind: 'class', classIndex: '3' })) form.set(k, v);
    for (const d of OPTION_LIST) {
      const s = sample(d);
      if (d.type === 'components') {
        form.set('componentsMode', 'k');
        form.set('componentsK', s.text);
      } else if (d.type === 'boolean') {
        if (s.value) form.set(d.form.field, 'true');
      } else form.set(d.form.field, s.text);
    }
    const parsed = parseAnalysisForm(form);
    expect(parsed.errors).toEqual({});
    expect(parsed.body!.options).toEqual(samples);
    // What the form sends, the API accepts as it is.
    expect(createAnalysisSchema.parse(parsed.body).options).toEqual(samples);
  });

  it("the CLI's flags: each parsed into its option", () => {
    const values: Record<string, string | boolean> = {};
    for (const d of OPTION_LIST) {
      const s = sample(d);
      values[d.cli.flag.slice(2)] = d.type === 'boolean' ? (s.value as boolean) : s.text;
    }
    expect(parseOptionFlags(values)).toEqual(samples);
  });

  it("`pcace rank --help` shows each option's flag, meaning and default", async () => {
    const { code, stdout } = await pcace(['rank', '--help']);
    expect(code).toBe(0);
    for (const d of OPTION_LIST) {
      const line = stdout.split('\n').findIndex((l) => l.startsWith(`  ${d.cli.flag} `) || l === `  ${d.cli.flag}`);
      expect(line, d.cli.flag).toBeGreaterThan(-1);
      const text = stdout.split('\n').slice(line, line + 2).join(' ');
      expect(text, d.cli.flag).toContain(d.meaning);
      if (d.type !== 'boolean') expect(text, d.cli.flag).toContain(`default ${d.defaultText ?? formatValue(d.default)}`);
    }
  });

  it('withDefaults: every option, given values kept', () => {
    const filled = withDefaults({});
    expect(Object.keys(filled).sort()).toEqual(OPTION_LIST.map((d) => d.name).sort());
    for (const d of OPTION_LIST) expect(filled[d.name], d.name).toEqual(d.default);
    expect(withDefaults(samples)).toEqual(samples);
    // The one dependent default: no cross-fitted score to rank by.
    expect(withDefaults({ crossFitRepeats: 0 }).rankBy).toBe('multiple');
    expect(withDefaults({ crossFitRepeats: 0, rankBy: 'pc1' }).rankBy).toBe('pc1');
  });

  it("results.json's spec: every option with the value used, from a minimal spec", () => {
    const minimal = minimalSpec();
    expect(validateOptions(minimal, { format: 'onnx', target: minimal.target, datasetKind: minimal.dataset.kind })).toEqual([]);
    const echoed = echoSpec(minimal) as unknown as Record<string, unknown>;
    for (const d of OPTION_LIST) expect(echoed[d.name], d.name).toEqual(d.default);
    expect(echoSpec(minimalSpec(samples))).toMatchObject(samples);
  });
});

describe('a refused combination, refused everywhere with the declared message', () => {
  /** The message with option names in the API's words, whatever surface said it. */
  const inApiWords = (s: string) => OPTION_LIST.reduce((t, d) => t.split(d.cli.flag).join(d.noun), s);
  const zNeedsPermutations = REFUSALS.find((r) => r.id === 'z-needs-permutations')!;
  const given = { rankBy: 'z_multiple', permutations: 1 } as const;
  const declared = zNeedsPermutations.message(withDefaults(given), nounOf);

  it('the API schema refuses it at the ranking score', () => {
    const res = analysisOptionsSchema.safeParse(given);
    expect(res.success).toBe(false);
    expect(res.error!.issues).toEqual([expect.objectContaining({ path: ['rankBy'], message: declared })]);
  });

  it('the worker refuses it before opening anything (runAnalysis, as the queue runs it)', async () => {
    await expect(runAnalysis(minimalSpec(given))).rejects.toThrow(declared);
  });

  it('the CLI exits 2 with the same message, naming its flags', async () => {
    const { code, stderr } = await pcace(['rank', '--model', path.join(ROOT, 'models/demo/mnist-cnn.onnx'), '--data', 'mnist:3', '--rank-by', 'z_multiple', '--permutations', '1', '--out', 'x.json']);
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(`pcace rank: ${zNeedsPermutations.message(withDefaults(given), flagOf)}`);
    expect(inApiWords(stderr.trim().replace(/^pcace rank: /, ''))).toBe(declared);
  });

  it('a combination with the model (ablation of a TF.js model): the CLI and the worker, same message', async () => {
    const r = REFUSALS.find((x) => x.id === 'ablation-onnx-only')!;
    const declaredAblation = r.message(withDefaults({ ablation: true }), nounOf);
    expect(validateOptions({ ablation: true }, { format: 'tfjs' })).toEqual([{ option: 'ablation', message: declaredAblation, refusal: r.id }]);
    // Not known to the schema (it does not know the model): the server checks it with validateOptions once it does.
    expect(analysisOptionsSchema.safeParse({ ablation: true }).success).toBe(true);
    await expect(runAnalysis({ ...minimalSpec({ ablation: true }), model: { path: 'model.json', format: 'tfjs' } })).rejects.toThrow(declaredAblation);
    const { code, stderr } = await pcace(['rank', '--model', path.join(ROOT, 'no-such', 'model.json'), '--data', 'mnist:3', '--ablation', '--out', 'x.json']);
    expect(code).toBe(2);
    expect(inApiWords(stderr.trim().replace(/^pcace rank: /, ''))).toBe(declaredAblation);
  });

  it('the form shows it at the ranking score, in the API words', () => {
    const form = new FormData();
    for (const [k, v] of Object.entries({ modelVersionId: 'mv', datasetId: 'ds', targetKind: 'class', classIndex: '3', rankBy: 'z_multiple', permutations: '1' })) form.set(k, v);
    expect(parseAnalysisForm(form).errors).toEqual({ rankBy: declared });
  });

  it('values outside the declared bounds are refused by each, with the bound', async () => {
    const d = OPTION_LIST.find((o) => o.name === ('images' satisfies OptionName))!;
    expect(analysisOptionsSchema.safeParse({ images: d.max! + 1 }).error!.issues[0].message).toBe('must be between 10 and 100,000');
    await expect(runAnalysis(minimalSpec({ images: d.max! + 1 }))).rejects.toThrow('images must be between 10 and 100,000');
    const { code, stderr } = await pcace(['rank', '--model', 'm.onnx', '--data', 'mnist:3', '--n', String(d.max! + 1), '--out', 'x.json']);
    expect(code).toBe(2);
    expect(stderr).toContain('--n must be between 10 and 100,000');
  });
});

describe('the cost estimate reads the declared cost terms', () => {
  const model = { layers: [{ name: 'conv1', channels: 32, mapHeight: 26, mapWidth: 26, kernelSize: [3, 3] as [number, number], groups: 1 }], inputShape: [1, 28, 28], format: 'onnx' as const };
  const estimate = (o: Partial<FullOptions>) => estimateAnalysisCost({ model, layers: 'all', options: withDefaults(o), threads: 2 });

  it('names the options behind the largest parts, biggest first, in the declared words', () => {
    expect(estimate({ permutations: 2000 }).advice).toMatch(/^permutations \(\d+ %\)/);
    const mixed = estimate({ bootstrap: 50, permutations: 1000 }).advice;
    expect(mixed).toMatch(/bootstrap replicates \(\d+ %\)/);
    expect(mixed).toMatch(/permutations \(\d+ %\)/);
    const shares = [...mixed.matchAll(/\((\d+) %\)/g)].map((m) => Number(m[1]));
    expect(shares).toEqual([...shares].sort((a, b) => b - a));
    // Every costly option with a cost term shows up once it dominates.
    for (const d of OPTION_LIST.filter((o) => o.costly && o.costTerm && o.type !== 'boolean' && o.type !== 'enum')) {
      const heavy: Partial<FullOptions> = d.type === 'components-list' ? { stabilityComponents: [50, 60, 70, 80, 90, 100, 110, 120, 130, 140] } : d.type === 'components' ? { components: 600 } : { [d.name]: d.max };
      // An option that only matters with a switch on (the importance measures' steps and orders) is priced with it on.
      if (d.appliesTo?.unless && d.appliesTo.unless.in.includes(false)) Object.assign(heavy, { [d.appliesTo.unless.option]: true });
      expect(estimate(heavy).advice, d.name).toContain(d.noun);
    }
  });
});
