/** Input checks shared by every entry point: bad numbers fail loudly, never as NaN scores. */

export class PcaceInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PcaceInputError';
  }
}

/** Throws naming the first non-finite entry of `values` (`what` says which input it is). */
export function assertFinite(values: ArrayLike<number>, what: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      throw new PcaceInputError(`${what} has a non-finite value (${v}) at index ${i}`);
    }
  }
}

export function assertInteger(value: number, what: string, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new PcaceInputError(`${what} must be an integer ≥ ${min}, got ${value}`);
  }
}
