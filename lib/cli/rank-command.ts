/** `pcace rank`: a whole analysis from the command line, results as JSON. */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { cliHelpLines, expectation, flagOf, issueText, OPTION_LIST, parseOptionText, validateOptions, withDefaults, type FullOptions } from '../analysis/options';
import { runAnalysis } from '../analysis/run-analysis';
import { addNetworkQValues } from '../analysis/results';
import type { AnalysisSpec, TargetSpec } from '../analysis/types';
import { guessFormat } from '../models/open-model';
import { parseDataArg } from './data-arg';
import { UsageError } from './errors';
import { progressBar } from './progress-bar';
import { positiveInt } from './ace-command';

/** Flags that are not analysis options (what to analyse, where, how to run it). */
const USAGE_HEAD = `pcace rank --model FILE --data SOURCE --class C --out results.json [options]

  --model FILE         .onnx file or TF.js model.json
  --data SOURCE        mnist:DIGIT | mnist:all | DIR (one folder per class) | FILE.zip | FILE.csv (image,target) | FILE.npy (NCHW, preprocessed)
  --class C            output index whose pre-softmax score is the response (default: the MNIST digit)
  --regression         the response is a regression value: output index --class (default 0),
                       or the CSV's target column with --target dataset
  --target SRC         output (default) | dataset
  --data-class NAME    use only this class folder of DIR/zip
  --mix A:W,B:W        weighted mix of classes
  --split S            MNIST split: train (default) | test
  --layers L           all (default) | NAME,NAME`;

const USAGE_TAIL = `  --threads T          statistics threads (default: all cores; fewer when --memory cannot hold them)
  --memory MB          resident memory the analysis plans for (default PCACE_MEMORY_MB, else 3072):
                       layers whose maps do not fit are spilled to disk in channel chunks
  --out FILE           where to write results.json (required unless --no-wait)
  --server URL         submit to a PCACE Lab portal instead of computing here (with --token)
  --token T            API token (portal → Settings → API tokens); or env PCACE_TOKEN
  --lab SLUG           the portal lab (default: the first one the token can write to)
  --no-wait            with --server: queue and print the analysis URL, do not wait
  --quiet              no progress bar`;

/** `pcace rank --help`: the analysis options' part comes from their declaration (lib/analysis/options.ts). */
export const RANK_USAGE = [USAGE_HEAD, '', 'analysis options:', ...cliHelpLines(), '', USAGE_TAIL].join('\n');

/** parseArgs entries of the declared options: booleans are bare flags, the rest take a value. */
export const OPTION_FLAGS = Object.fromEntries(
  OPTION_LIST.map((d) => [d.cli.flag.slice(2), { type: d.type === 'boolean' ? ('boolean' as const) : ('string' as const) }]),
);

/** The options given on the command line (absent flags stay absent: withDefaults fills them). */
export function parseOptionFlags(values: Record<string, string | boolean | undefined>): Partial<FullOptions> {
  const out: Record<string, unknown> = {};
  for (const d of OPTION_LIST) {
    const raw = values[d.cli.flag.slice(2)];
    if (raw === undefined || raw === false) continue;
    if (typeof raw === 'boolean') {
      out[d.name] = true;
      continue;
    }
    const parsed = parseOptionText(d, raw);
    if ('error' in parsed) {
      const problem = parsed.error.startsWith('must') ? parsed.error : `must be ${expectation(d)}`;
      throw new UsageError(`${d.cli.flag} ${problem}, got ${JSON.stringify(raw)}`);
    }
    out[d.name] = parsed.value;
  }
  return out as Partial<FullOptions>;
}

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
      ...OPTION_FLAGS,
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
  const options = withDefaults(parseOptionFlags(values));
  const issues = validateOptions(options, { format, target, datasetKind: dataset.kind }, flagOf);
  if (issues.length) throw new UsageError(issues.map((i) => issueText(i, flagOf)).join('; '));
  const spec: AnalysisSpec = {
    model: { path: values.model, format },
    dataset,
    target,
    layers: values.layers === 'all' ? 'all' : values.layers.split(',').map((s) => s.trim()).filter(Boolean),
    ...options,
  };
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
    memoryLimitBytes: values.memory === undefined ? undefined : positiveInt(values.memory, '--memory') * 2 ** 20,
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
    // A dataset target on a dataset without targets is a declared refusal (validateOptions).
    if (source === 'dataset') return { kind: 'regression', source: 'dataset' };
    return { kind: 'regression', index: values.class === undefined ? 0 : nonNegativeInt(values.class, '--class'), source: 'output' };
  }
  if (source === 'dataset') throw new UsageError('--target dataset is for --regression');
  if (values.class !== undefined) return { kind: 'class', index: nonNegativeInt(values.class, '--class') };
  if (dataset.kind === 'mnist' && dataset.digit !== undefined) return { kind: 'class', index: dataset.digit };
  throw new UsageError('--class is required (the output index of the class score)');
}

function nonNegativeInt(s: string, flag: string): number {
  const v = Number(s);
  if (!Number.isInteger(v) || v < 0) throw new UsageError(`${flag} must be an integer ≥ 0, got ${JSON.stringify(s)}`);
  return v;
}
