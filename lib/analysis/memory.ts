/**
 * A full garbage collection between the phases of a network-wide analysis.
 * ONNX Runtime hands each batch's activations back as fresh ArrayBuffers (up to
 * ~128 MB a batch); V8 counts them as external memory and may let several
 * passes' worth pile up before collecting, which on VGG-16 at 224×224 pushed
 * the peak resident size past 5 GiB. Collecting at pass boundaries keeps the
 * peak at what is actually in use.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

let gc: (() => void) | null | undefined;

export function collectGarbage(): void {
  if (gc === undefined) {
    try {
      v8.setFlagsFromString('--expose_gc');
      gc = vm.runInNewContext('gc') as () => void;
    } catch {
      gc = null;
    }
  }
  gc?.();
}
