import type { RunsVerdicts } from '@/lib/server/shared/compare';

/** A channel's null-standardised effect with its 95 % interval, "2.31 [1.80, 2.82]"; '—' without a verdict. */
export function effectText(v: Pick<RunsVerdicts, 'effect' | 'effectLow' | 'effectHigh'> | null, i: number): string {
  if (!v || v.effect[i] === null) return '—';
  return `${v.effect[i]!.toFixed(2)} [${v.effectLow[i]?.toFixed(2) ?? '—'}, ${v.effectHigh[i]?.toFixed(2) ?? '—'}]`;
}
