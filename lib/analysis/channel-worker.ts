/** Worker thread: scores the channels the pool hands it, from a shared activation buffer. */
import { parentPort, workerData } from 'node:worker_threads';
import { ChannelScratch, runChannelTask, type ChannelTaskOptions, type LayerTensor } from './channel-task';
import { createGramSession, type GramSession } from '../models/gram-kernel';

interface Init {
  data: Float32Array;
  n: number;
  channels: number;
  positions: number;
  y: Float64Array;
  options: ChannelTaskOptions;
}

const init = workerData as Init;
const layer: LayerTensor = { data: init.data, n: init.n, channels: init.channels, positions: init.positions };
// One GEMM session per thread, created on the first channel that needs a Gram matrix.
let session: Promise<GramSession> | null = null;
const gram = (x: Float64Array, n: number, p: number) => (session ??= createGramSession()).then((s) => s.gram(x, n, p));
const scratch = new ChannelScratch();

// The pool sends the next channel only after this one's answer, so channels never overlap in a thread.
parentPort!.on('message', async (c: number) => {
  try {
    parentPort!.postMessage({ ok: true, result: await runChannelTask(layer, c, init.y, init.options, gram, scratch) });
  } catch (err) {
    parentPort!.postMessage({ ok: false, index: c, message: (err as Error).message, name: (err as Error).name });
  }
});
