/**
 * Shared contract of the two ACE flavours (acepack 1.4.1 and the Python `ace`
 * package the published PCACE code used). Data is column-major: one typed
 * array per predictor, all of length n.
 */

/** How ACE may transform a variable (acepack's `l` codes 1..5 without 0). */
export type VarType = 'orderable' | 'categorical' | 'linear' | 'monotone';

export interface AceOptions {
  /** One entry per predictor; default 'orderable' for all. */
  xTypes?: readonly VarType[];
  /** Type of the response; default 'orderable'. */
  yType?: VarType;
  /** Case weights (length n, non-negative); default all 1. */
  weights?: Float64Array;
  /** Maximum outer iterations (acepack default 20; Python flavour 200). */
  maxit?: number;
  /** Outer-loop tolerance on rsq (acepack default 0.01). */
  delrsq?: number;
  /**
   * pcace-2021 flavour only. 'float32': x and y hold float32 values and are treated as
   * the NumPy float32 arrays the Python package would receive under NumPy 1.x promotion
   * rules (θ's standardisation and the smoothers' first-window means in float32,
   * everything else float64). Default 'float64'.
   */
  precision?: 'float64' | 'float32';
  /**
   * acepack flavour only: the sorting permutation of each predictor, then of y, where the
   * caller already knows it (null: sorted here). Each must be exactly what acepack's
   * sort returns: cross-fitting passes them only for values without ties, whose
   * ascending order is unique, filtered from one sort of the whole sample.
   */
  orders?: readonly (Int32Array | null)[];
}

export interface AceResult {
  /** φ_i(x_i) at every observation: p arrays of length n. */
  tx: Float64Array[];
  /** θ(y) at every observation (mean 0, weighted variance 1). */
  ty: Float64Array;
  /** Fraction of var(θ) explained by Σφ_i (acepack's `rsq`, 1 − e²). */
  rsq: number;
  /** Outer iterations performed. */
  iterations: number;
  /** Inner (backfitting) sweeps summed over all outer iterations. */
  innerIterations: number;
}

export type AceFlavour = 'acepack' | 'pcace-2021';
