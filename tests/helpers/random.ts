/** Random draws with a known truth, for the calibration tests of statistics. */
import type { Rng } from '../../lib/pcace/random';

/**
 * n pairs (a[i], b[i]) from a standard bivariate normal with correlation `rho`:
 * a[i] = u, b[i] = rho·u + √(1 − rho²)·v with u, v standard normal, drawn from
 * `rng` in that order (u then v, pair after pair).
 */
export function correlatedNormals(n: number, rho: number, rng: Rng): { a: Float64Array; b: Float64Array } {
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.normal();
    a[i] = u;
    b[i] = rho * u + Math.sqrt(1 - rho * rho) * rng.normal();
  }
  return { a, b };
}
