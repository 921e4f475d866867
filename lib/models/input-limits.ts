/**
 * Cap on the image size a model may declare or be given. Every engine probes
 * a model with one zero sample of its input shape, so a model declaring an
 * 8192×8192 input would make the server allocate and convolve gigabytes
 * before anyone asked for an analysis. Shared by the ONNX and TF.js engines.
 */

/** Environment variables (process.env, or a test's own). */
export type Env = Readonly<Record<string, string | undefined>>;

export interface InputLimits {
  /** Values per sample (C×H×W). */
  maxInputElements: number;
  /** Largest height or width. */
  maxInputSide: number;
}

export const DEFAULT_MAX_INPUT_ELEMENTS = 3 * 1024 * 1024;
export const DEFAULT_MAX_INPUT_SIDE = 2048;

function positiveInt(env: Env, name: string, dflt: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return dflt;
  const v = Number(raw);
  if (!Number.isSafeInteger(v) || v < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return v;
}

export function inputLimitsFromEnv(env: Env = process.env): InputLimits {
  return {
    maxInputElements: positiveInt(env, 'PCACE_MAX_INPUT_PIXELS', DEFAULT_MAX_INPUT_ELEMENTS),
    maxInputSide: positiveInt(env, 'PCACE_MAX_INPUT_SIDE', DEFAULT_MAX_INPUT_SIDE),
  };
}

const fmt = (dims: readonly (number | null)[]) => `[${dims.map((d) => d ?? '?').join(', ')}]`;

/**
 * Refuse a per-sample shape over the limits. `perSample` is [C, H, W] for
 * images (unknown dims null: only the known ones are checked; other ranks get
 * the element cap only). `declared`, when given, is the full shape to quote.
 */
export function checkInputSize(
  name: string,
  perSample: readonly (number | null)[],
  source: string,
  limits: InputLimits = inputLimitsFromEnv(),
  declared: readonly (number | null)[] = perSample,
): void {
  const shown = `input '${name}' ${declared === perSample ? 'shape' : 'declares'} ${fmt(declared)}`;
  if (perSample.length === 3) {
    const [, h, w] = perSample;
    for (const [side, v] of [['height', h], ['width', w]] as const) {
      if (v != null && v > limits.maxInputSide) {
        throw new Error(`${source}: ${shown}: its ${side} ${v} is above the limit of ${limits.maxInputSide} (PCACE_MAX_INPUT_SIDE)`);
      }
    }
  }
  const elements = perSample.reduce((a: number, d) => a * (d ?? 1), 1);
  if (elements > limits.maxInputElements) {
    throw new Error(
      `${source}: ${shown}: ${elements} values per image is above the limit of ${limits.maxInputElements} (PCACE_MAX_INPUT_PIXELS)`,
    );
  }
}
