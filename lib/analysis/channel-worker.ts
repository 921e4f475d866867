/** Statistics thread: holds the layer it is handed and scores the channels the pool sends, from the shared activation buffer. */
import { parentPort } from 'node:worker_threads';
import { ChannelScratch, runChannelTask, type ChannelTaskOptions, type LayerTensor } from './channel-task';
import { createGramSession, type GramSession } from '../models/gram-kernel';
import type { ThreadMessage } from './scoring-threads';

let layer: LayerTensor | null = null;
let y: Float64Array | null = null;
let options: ChannelTaskOptions | null = null;
// One GEMM session per thread for every layer it scores, created on the first channel that needs a Gram matrix.
let session: Promise<GramSession> | null = null;
const gram = (x: Float64Array, n: number, p: number) => (session ??= createGramSession()).then((s) => s.gram(x, n, p));
// Sized by the largest maps scored since the last release that lets it go (once per capture pass): reused from chunk to chunk within a pass.
let scratch = new ChannelScratch();

// Loaded (loader and statistics modules): a pool started ahead of its run waits for this before it says it is ready.
parentPort!.postMessage({ loaded: true });

// The pool sends the next channel only after this one's answer, so channels never overlap in a thread.
parentPort!.on('message', async (msg: ThreadMessage) => {
  if ('layer' in msg) {
    ({ y, options, ...layer } = msg.layer);
    return;
  }
  if ('release' in msg) {
    layer = y = options = null;
    if (!msg.keepScratch) scratch = new ChannelScratch();
    return;
  }
  const c = msg.channel;
  try {
    if (!layer || !y || !options) throw new Error('no layer was handed to this thread');
    parentPort!.postMessage({ ok: true, result: await runChannelTask(layer, c, y, options, gram, scratch) });
  } catch (err) {
    parentPort!.postMessage({ ok: false, index: c, message: (err as Error).message, name: (err as Error).name });
  }
});
