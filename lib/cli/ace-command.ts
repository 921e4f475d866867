/** `pcace ace`: one ACE fit on CSV files, as acepack's ace(x, y) would run it. */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { ace, ACE_FLAVOURS, type AceFlavour, type VarType } from '../pcace/ace/index';
import { readNumericCsv, toColumns } from './csv';
import { UsageError } from './errors';

export const ACE_USAGE = `pcace ace --x X.csv --y Y.csv [options]

  --x FILE          predictors: n rows × p columns, no header
  --y FILE          response: n rows, one column, no header
  --cat LIST        0-based predictor columns that are categorical, e.g. 0,2
  --monotone LIST   predictor columns constrained monotone
  --linear LIST     predictor columns kept linear
  --flavour NAME    acepack (default) | pcace-2021
  --maxit N         outer iterations (default: 20 acepack, 200 pcace-2021)
  --delrsq D        outer tolerance on rsq (default 0.01)
  --repeat N        refit N times and report the median seconds per fit
  --json            print {"rsq", "tx", "ty", "iterations", ...} as JSON`;

/** Flags that take a value, parsed later (parseArgs only collects the text). */
function textFlags<K extends string>(...names: K[]): Record<K, { type: 'string' }> {
  return Object.fromEntries(names.map((n) => [n, { type: 'string' as const }])) as Record<K, { type: 'string' }>;
}

export function aceCommand(argv: string[], out: (s: string) => void): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...textFlags('x', 'y', 'cat', 'monotone', 'linear', 'maxit', 'delrsq', 'repeat'),
      flavour: { type: 'string', default: 'acepack' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    out(ACE_USAGE);
    return 0;
  }
  if (!values.x || !values.y) throw new UsageError('both --x and --y are required');
  const flavour = values.flavour as AceFlavour;
  if (!ACE_FLAVOURS.includes(flavour)) throw new UsageError(`--flavour must be one of ${ACE_FLAVOURS.join(', ')}`);

  const xRows = readNumericCsv(values.x);
  const yRows = readNumericCsv(values.y);
  if (yRows[0].length !== 1) throw new UsageError(`${values.y} must have one column, found ${yRows[0].length}`);
  if (yRows.length !== xRows.length) throw new UsageError(`${values.x} has ${xRows.length} rows but ${values.y} has ${yRows.length}`);
  const x = toColumns(xRows);
  const y = Float64Array.from(yRows, (r) => r[0]);
  const p = x.length;

  const xTypes: VarType[] = new Array(p).fill('orderable');
  const setType = (list: string | undefined, type: VarType, flag: string) => {
    for (const j of parseIndexList(list, p, flag)) xTypes[j] = type;
  };
  setType(values.cat, 'categorical', '--cat');
  setType(values.monotone, 'monotone', '--monotone');
  setType(values.linear, 'linear', '--linear');
  if (flavour === 'pcace-2021' && xTypes.some((t) => t !== 'orderable')) {
    throw new UsageError('the pcace-2021 flavour only supports orderable predictors (the Python ace package had no variable types)');
  }
  const maxit = values.maxit === undefined ? undefined : positiveInt(values.maxit, '--maxit');
  const delrsq = values.delrsq === undefined ? undefined : positiveNumber(values.delrsq, '--delrsq');
  const repeat = values.repeat === undefined ? 1 : positiveInt(values.repeat, '--repeat');

  const options = { xTypes, maxit, delrsq };
  let fit = ace(flavour, x, y, options);
  const seconds: number[] = [];
  if (values.repeat !== undefined) {
    for (let r = 0; r < repeat; r++) {
      const t0 = performance.now();
      fit = ace(flavour, x, y, options);
      seconds.push((performance.now() - t0) / 1000);
    }
  }

  const n = y.length;
  const tx = Array.from({ length: n }, (_, i) => fit.tx.map((col) => col[i]));
  const result: Record<string, unknown> = {
    flavour,
    rsq: fit.rsq,
    tx,
    ty: Array.from(fit.ty),
    iterations: fit.iterations,
    inner_iterations: fit.innerIterations,
  };
  if (seconds.length) {
    seconds.sort((a, b) => a - b);
    result.seconds_per_fit = seconds[Math.floor(seconds.length / 2)];
    result.repeats = seconds.length;
  }
  if (values.json) {
    out(JSON.stringify(result));
  } else {
    out(`ACE (${flavour}) on n = ${n}, p = ${p}: rsq = ${fit.rsq.toFixed(6)} after ${fit.iterations} iterations`);
    if (result.seconds_per_fit !== undefined) out(`median seconds per fit: ${result.seconds_per_fit}`);
    out('use --json for the transforms');
  }
  return 0;
}

function parseIndexList(list: string | undefined, p: number, flag: string): number[] {
  if (list === undefined || list.trim() === '') return [];
  return list.split(',').map((s) => {
    const j = Number(s.trim());
    if (!Number.isInteger(j) || j < 0 || j >= p) throw new UsageError(`${flag}: ${JSON.stringify(s)} is not a predictor column (0..${p - 1})`);
    return j;
  });
}

export function positiveInt(s: string, flag: string): number {
  const v = Number(s);
  if (!Number.isInteger(v) || v < 1) throw new UsageError(`${flag} must be a positive integer, got ${JSON.stringify(s)}`);
  return v;
}

export function positiveNumber(s: string, flag: string): number {
  const v = Number(s);
  if (!(v > 0) || !Number.isFinite(v)) throw new UsageError(`${flag} must be a positive number, got ${JSON.stringify(s)}`);
  return v;
}
