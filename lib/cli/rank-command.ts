/** `pcace rank`: a whole analysis from the command line, results as JSON. */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ACE_FLAVOURS, RANKING_SCORES, type AceFlavour, type ComponentsSpec, type RankingScore } from '../pcace/index';
import { DEFAULT_ANALYSIS } from '../analysis/defaults';
import { runAnalysis } from '../analysis/run-analysis';
import { addNetworkQValues } from '../analysis/results';
import type { AnalysisSpec, TargetSpec } from '../analysis/types';
import { guessFormat } from '../models/open-model';
import { parseDataArg } from './data-arg';
import { UsageError } from './errors';
import { progressBar } from './progress-bar';
import { positiveInt } from './ace-command';

export const RANK_USAGE = `pcace rank --model FILE --data SOURCE --class C --out results.json [options]

  --model FILE         .onnx file or TF.js model.json
  --data SOURCE        mnist:DIGIT | mnist:all | DIR (one folder per class) | FILE.zip | FILE.csv (image,target) | FILE.npy (NCHW, preprocessed)
  --class C            output index whose pre-softmax score is the response (default: the MNIST digit)
  --regression         the response is a regression value: output index --class (default 0),
                       or the CSV's target column with --target dataset
  --target SRC         output (default) | dataset
  --data-class NAME    use only this class folder of DIR/zip
  --mix A:W,B:W        weighted mix of classes
  --split S            MNIST split: train (default) | test
  --layers L           all (default) | NAME,NAME
  --n N                images (default ${DEFAULT_ANALYSIS.images})
  --components K       integer, 'half' or a variance fraction like 0.9 (default ${DEFAULT_ANALYSIS.components})
  --flavour F          acepack (default) | pcace-2021 (reproduces the published code)
  --rank-by S          ${RANKING_SCORES.join(' | ')} (default ${DEFAULT_ANALYSIS.rankBy})
  --permutations B     permutation null per channel (default 0)
  --crossfit R         repeated 2-fold splits for the cross-fitted score (default ${DEFAULT_ANALYSIS.crossFitRepeats}; 0 = off)
  --crossfit-cap R     most cross-fit repeats: added until the Monte Carlo SE < 0.005 (default ${DEFAULT_ANALYSIS.crossFitCap})
  --null B             permutation draws of the ranking statistic's null per layer, pooled over its channels;
                       auto (default: max(20, channels/4)) | 0 (no verdicts) | B ≥ 3
  --per-channel-null   B draws for every channel instead of one pooled null per layer
  --alpha A            false-discovery level of beats_noise (q < A, BH per layer; default ${DEFAULT_ANALYSIS.alpha})
  --pi0                sharpen BH with Storey's π₀
  --bootstrap B        bootstrap replicates for rank confidence sets (default 0)
  --stability K,K,...  also rank at these k and report rank agreement
  --ablation           also measure each channel's ablation drop (class score and accuracy; ONNX models)
  --seed S             (default ${DEFAULT_ANALYSIS.seed})
  --threads T          statistics threads (default: all cores)
  --memory MB          activation memory budget per forward pass (default 768)
  --out FILE           where to write results.json (required unless --no-wait)
  --server URL         submit to a PCACE Lab portal instead of computing here (with --token)
  --token T            API token (portal → Settings → API tokens); or env PCACE_TOKEN
  --lab SLUG           the portal lab (default: the first one the token can write to)
  --no-wait            with --server: queue and print the analysis URL, do not wait
  --quiet              no progress bar`;

export async function rankCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      data: { type: 'string' },
      class: { type: 'string' },
      regression: { type: 'boolean', default: false },
      target: { type: 'string', default: 'output' },
      'data-class': { type: 'string' },
      mix: { type: 'string' },
      split: { type: 'string' },
      layers: { type: 'string', default: 'all' },
      n: { type: 'string' },
      components: { type: 'string' },
      flavour: { type: 'string', default: DEFAULT_ANALYSIS.flavour },
      'rank-by': { type: 'string' },
      permutations: { type: 'string', default: '0' },
      crossfit: { type: 'string' },
      bootstrap: { type: 'string', default: '0' },
      'crossfit-cap': { type: 'string' },
      null: { type: 'string' },
      'per-channel-null': { type: 'boolean', default: false },
      alpha: { type: 'string' },
      pi0: { type: 'boolean', default: false },
      stability: { type: 'string' },
      seed: { type: 'string', default: String(DEFAULT_ANALYSIS.seed) },
      ablation: { type: 'boolean', default: false },
      threads: { type: 'string' },
      memory: { type: 'string' },
      out: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      server: { type: 'string' },
      token: { type: 'string' },
      lab: { type: 'string' },
      'no-wait': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    out(RANK_USAGE);
    return 0;
  }
  if (!values.model) throw new UsageError('--model is required');
  if (!values.data) throw new UsageError('--data is required');
  const remote = values.server !== undefined;
  if (!values.out && !(remote && values['no-wait'])) throw new UsageError('--out is required');
  const token = values.token ?? process.env.PCACE_TOKEN;
  if (remote && !token) throw new UsageError('--server needs --token (or PCACE_TOKEN)');
  const format = (() => {
    try {
      return guessFormat(values.model);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  })();
  const dataset = parseDataArg(values.data, { split: values.split, className: values['data-class'], mix: values.mix });
  const target = parseTarget(values, dataset);
  const flavour = values.flavour as AceFlavour;
  if (!ACE_FLAVOURS.includes(flavour)) throw new UsageError(`--flavour must be one of ${ACE_FLAVOURS.join(', ')}`);
  const permutations = nonNegativeInt(values.permutations, '--permutations');
  const crossFitRepeats = values.crossfit === undefined ? DEFAULT_ANALYSIS.crossFitRepeats : nonNegativeInt(values.crossfit, '--crossfit');
  const rankBy = (values['rank-by'] ?? (crossFitRepeats > 0 ? DEFAULT_ANALYSIS.rankBy : 'multiple')) as RankingScore;
  if (!RANKING_SCORES.includes(rankBy)) throw new UsageError(`--rank-by must be one of ${RANKING_SCORES.join(', ')}`);
  if (rankBy === 'crossfit' && crossFitRepeats === 0) throw new UsageError('--rank-by crossfit needs --crossfit ≥ 1');
  if (rankBy.startsWith('z_') && permutations < 2) throw new UsageError(`--rank-by ${rankBy} needs --permutations ≥ 2`);

  const spec: AnalysisSpec = {
    ...DEFAULT_ANALYSIS,
    model: { path: values.model, format },
    dataset,
    target,
    layers: values.layers === 'all' ? 'all' : values.layers.split(',').map((s) => s.trim()).filter(Boolean),
    images: values.n === undefined ? DEFAULT_ANALYSIS.images : positiveInt(values.n, '--n'),
    components: values.components === undefined ? DEFAULT_ANALYSIS.components : parseComponents(values.components, '--components'),
    flavour,
    rankBy,
    permutations,
    crossFitRepeats,
    bootstrap: nonNegativeInt(values.bootstrap, '--bootstrap'),
    stabilityComponents: values.stability ? values.stability.split(',').map((k) => parseComponents(k.trim(), '--stability')) : [],
    seed: nonNegativeInt(values.seed, '--seed'),
    ablation: values.ablation,
    crossFitCap: values['crossfit-cap'] === undefined ? DEFAULT_ANALYSIS.crossFitCap : positiveInt(values['crossfit-cap'], '--crossfit-cap'),
    nullPermutations: values.null === undefined || values.null === 'auto' ? DEFAULT_ANALYSIS.nullPermutations : nullDraws(values.null),
    perChannelNull: values['per-channel-null'],
    alpha: values.alpha === undefined ? DEFAULT_ANALYSIS.alpha : alphaLevel(values.alpha),
    pi0: values.pi0,
  };
  if (spec.ablation && format !== 'onnx') throw new UsageError('--ablation is available for ONNX models');
  if (remote) {
    const { submitRemote } = await import('./remote');
    const run = await submitRemote(spec, { server: values.server!, token: token!, lab: values.lab, wait: !values['no-wait'], onProgress: values.quiet ? undefined : progressBar() });
    if (run.result) writeFileSync(values.out!, JSON.stringify(run.result, null, 1));
    out(run.result ? `analysis ${run.url} completed → ${values.out}` : `queued: ${run.url}`);
    return 0;
  }
  const result = await runAnalysis(spec, {
    onProgress: values.quiet ? undefined : progressBar(),
    threads: values.threads === undefined ? undefined : nonNegativeInt(values.threads, '--threads'),
    memoryBudgetBytes: values.memory === undefined ? undefined : positiveInt(values.memory, '--memory') * 2 ** 20,
  });
  addNetworkQValues(result.layers);
  writeFileSync(values.out!, JSON.stringify(result, null, 1));
  const channels = result.layers.reduce((s, l) => s + l.channels.length, 0);
  out(`ranked ${channels} channels in ${result.layers.length} layer(s) over ${result.dataset.images} images in ${result.timings.total_seconds.toFixed(1)} s → ${values.out}`);
  return 0;
}

function parseTarget(values: { class?: string; regression?: boolean; target?: string }, dataset: AnalysisSpec['dataset']): TargetSpec {
  const source = values.target;
  if (source !== 'output' && source !== 'dataset') throw new UsageError(`--target must be output or dataset, got ${JSON.stringify(source)}`);
  if (values.regression) {
    if (source === 'dataset') {
      if (dataset.kind !== 'csv') throw new UsageError('--target dataset needs a CSV dataset with a target column');
      return { kind: 'regression', source: 'dataset' };
    }
    return { kind: 'regression', index: values.class === undefined ? 0 : nonNegativeInt(values.class, '--class'), source: 'output' };
  }
  if (source === 'dataset') throw new UsageError('--target dataset is for --regression');
  if (values.class !== undefined) return { kind: 'class', index: nonNegativeInt(values.class, '--class') };
  if (dataset.kind === 'mnist' && dataset.digit !== undefined) return { kind: 'class', index: dataset.digit };
  throw new UsageError('--class is required (the output index of the class score)');
}

export function parseComponents(s: string, flag: string): ComponentsSpec {
  if (s === 'half') return 'half';
  const v = Number(s);
  if (Number.isInteger(v) && v >= 1) return v;
  if (v > 0 && v < 1) return { varianceFraction: v };
  throw new UsageError(`${flag} must be a positive integer, 'half' or a variance fraction in (0, 1), got ${JSON.stringify(s)}`);
}

function nonNegativeInt(s: string, flag: string): number {
  const v = Number(s);
  if (!Number.isInteger(v) || v < 0) throw new UsageError(`${flag} must be an integer ≥ 0, got ${JSON.stringify(s)}`);
  return v;
}

function nullDraws(v: string): number {
  const b = Number(v);
  if (!Number.isInteger(b) || (b !== 0 && b < 3)) throw new UsageError("--null must be 'auto', 0 or an integer ≥ 3");
  return b;
}

function alphaLevel(v: string): number {
  const a = Number(v);
  if (!(a > 0 && a < 1)) throw new UsageError('--alpha must lie in (0, 1)');
  return a;
}
