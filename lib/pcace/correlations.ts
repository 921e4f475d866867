import { pearson } from './stats';

/** |corr(φ₁, θ)| (published code) and |corr(Σφ_i, θ)| (paper's text) of one ACE fit. */
export function aceCorrelations(tx: Float64Array[], ty: Float64Array): { pc1: number; multiple: number } {
  const n = ty.length;
  const sum = new Float64Array(n);
  for (const col of tx) for (let i = 0; i < n; i++) sum[i] += col[i];
  return { pc1: Math.abs(pearson(tx[0], ty)), multiple: Math.abs(pearson(sum, ty)) };
}
