/**
 * Model calls as the supervising process sees them. Inside a model process,
 * every call into a runtime (an ONNX Runtime session load or run, a TF.js
 * forward pass or gradient) is bracketed by 'call-start' and 'call-end'
 * messages, so the parent can time each call: a runtime call is synchronous
 * native or WebAssembly code, and once it hangs the child can no longer say so.
 * The start message leaves before the call begins (an IPC write to an idle pipe
 * is made at once). Outside a model process these are no-ops.
 */
let report: ((m: { type: 'call-start'; what: string } | { type: 'call-end' }) => void) | null = null;
let depth = 0;

/** Installed by the model process's host. */
export function setCallReporter(f: typeof report): void {
  report = f;
}

export function callStarted(what: string): void {
  if (report && depth++ === 0) report({ type: 'call-start', what });
}

export function callEnded(): void {
  if (report && depth > 0 && --depth === 0) report({ type: 'call-end' });
}

/** Brackets `f` as one model call. */
export async function modelCall<T>(what: string, f: () => Promise<T> | T): Promise<T> {
  callStarted(what);
  try {
    return await f();
  } finally {
    callEnded();
  }
}

/** The same for synchronous code (TF.js kernels run synchronously). */
export function modelCallSync<T>(what: string, f: () => T): T {
  callStarted(what);
  try {
    return f();
  } finally {
    callEnded();
  }
}
