/**
 * Verdicts a lab can publish: "this channel beats noise" as q < α after a
 * false-discovery correction, never as "score > 0" or an uncorrected p < 0.05.
 * A layer's verdicts come with a record of the rule that produced them
 * (statistic, null, correction, α), so a published claim says exactly what
 * was tested.
 */
import { benjaminiHochberg, storeyPi0 } from './multiple-testing';

export interface VerdictOptions {
  /** FDR level (default 0.05). */
  alpha: number;
  /** Multiply BH by Storey's π₀ estimate (default off). */
  pi0: boolean;
}

export const DEFAULT_VERDICT_OPTIONS: VerdictOptions = { alpha: 0.05, pi0: false };

export interface Verdicts {
  q: Float64Array;
  beats: boolean[];
  /** The π₀ used (1 without Storey). */
  pi0: number;
}

/** BH q-values of one family of p-values and the verdict q < α. */
export function verdictsFor(p: ArrayLike<number>, options: VerdictOptions): Verdicts {
  const pi0 = options.pi0 ? storeyPi0(p) : 1;
  const q = benjaminiHochberg(p, pi0);
  return { q, beats: Array.from(q, (v) => v < options.alpha), pi0 };
}

/**
 * Network-wide q-values: one BH family over every channel of every layer. Needs
 * all layers, so it runs where they are all known (the CLI's whole result, or
 * the portal once an analysis completes). Returns q per layer, in input order.
 */
export function networkQValues(pPerLayer: ArrayLike<number>[], options: VerdictOptions): Float64Array[] {
  const flat: number[] = [];
  for (const p of pPerLayer) for (let i = 0; i < p.length; i++) flat.push(p[i]);
  const { q } = verdictsFor(flat, options);
  const out: Float64Array[] = [];
  let at = 0;
  for (const p of pPerLayer) {
    out.push(q.slice(at, at + p.length));
    at += p.length;
  }
  return out;
}

export interface VerdictRule {
  statistic: 'pc1' | 'multiple' | 'crossfit';
  null: {
    kind: 'permutation';
    /** Draws per null (per layer when pooled, per channel otherwise). */
    B: number;
    pooled: boolean;
    /** How p is read from the draws. */
    /** 'empirical+normal-t': empirical p, fitted normal tail beyond the largest draw. */
    tail: 'empirical+normal-t' | 'empirical';
  };
  correction: 'BH' | 'BH-Storey';
  scope: 'layer';
  alpha: number;
  pi0: number;
  /** One line for people, e.g. "q < 0.05 (BH per layer) against a pooled permutation null of the cross-fitted score, B = 16". */
  text: string;
}

const STATISTIC_NAMES = { pc1: 'first-component correlation (pc1)', multiple: 'multiple correlation', crossfit: 'cross-fitted score' } as const;

/** The rule in the few words a chart legend has room for: "q < 0.05, BH per layer" (or "BH with π₀ = 0.83 per layer"). */
export function ruleShort(rule: Pick<VerdictRule, 'alpha' | 'correction' | 'pi0'>): string {
  return `q < ${rule.alpha}, ${rule.correction === 'BH-Storey' ? `BH with π₀ = ${rule.pi0.toFixed(2)}` : 'BH'} per layer`;
}

export function verdictRule(
  statistic: VerdictRule['statistic'],
  nullInfo: VerdictRule['null'],
  options: VerdictOptions,
  pi0: number,
): VerdictRule {
  const correction = options.pi0 ? 'BH-Storey' : 'BH';
  const nullText = `${nullInfo.pooled ? 'a pooled' : 'a per-channel'} permutation null of the ${STATISTIC_NAMES[statistic]}, B = ${nullInfo.B}${nullInfo.tail === 'empirical+normal-t' ? ' (normal-fit tail beyond the largest draw)' : ''}`;
  const corrText = options.pi0 ? `BH with Storey π₀ = ${pi0.toFixed(2)} per layer` : 'BH per layer';
  return {
    statistic,
    null: nullInfo,
    correction,
    scope: 'layer',
    alpha: options.alpha,
    pi0,
    text: `q < ${options.alpha} (${corrText}) against ${nullText}`,
  };
}
