import { firstNonFinite } from '../stats';

/**
 * The checks both ACE flavours make of (x, y) before fitting: typed predictor
 * columns of y's length, at least 2 observations, all values finite. Each
 * flavour words its messages its own way (`fail` prefixes them, `columns` names
 * x, `position` names where a bad value sits).
 */
export function checkAceInputs(
  x: Float64Array[],
  y: Float64Array,
  words: { fail: (message: string) => never; columns: string; position: string },
): void {
  const { fail } = words;
  const checkFinite = (values: Float64Array, what: string) => {
    const i = firstNonFinite(values);
    if (i >= 0) fail(`${what} has a non-finite value (${values[i]}) at ${words.position} ${i}`);
  };
  if (!(y instanceof Float64Array)) fail('y must be a Float64Array');
  if (!Array.isArray(x) || x.length === 0) fail(`x must be a non-empty array of ${words.columns}`);
  const n = y.length;
  if (n < 2) fail(`need at least 2 observations, got ${n}`);
  checkFinite(y, 'y');
  for (let i = 0; i < x.length; i++) {
    const col = x[i];
    if (!(col instanceof Float64Array)) fail(`x[${i}] must be a Float64Array`);
    if (col.length !== n) fail(`x[${i}] has length ${col.length} but y has length ${n}`);
    checkFinite(col, `x[${i}]`);
  }
}
