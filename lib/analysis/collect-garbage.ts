/**
 * A full garbage collection at the one moment an analysis has just dropped
 * hundreds of MB at once: once ONNX Runtime holds the model, the file's bytes
 * and their checked re-encoding (lib/models/onnx-engine.ts) are garbage, 1.1 GB
 * for VGG-16, and V8, whose own heap is a few MB, kept them resident until the
 * end of the run (bench/README.md, "Network scale"). A program run with
 * --expose-gc has globalThis.gc; otherwise the flag is set for the moment it
 * takes to obtain the function.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | null = null;

export function collectGarbage(): void {
  if (!gc) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (exposed) gc = exposed;
    else {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
      setFlagsFromString('--no-expose-gc');
    }
  }
  // Array buffers are freed by a sweep that runs after the collection; the
  // next collection finishes it first (measured: one left VGG-16's 1.1 GB
  // resident, two 813 MB in all).
  gc();
  gc();
}
