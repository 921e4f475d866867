/** Worker thread: scores the channels the pool hands it, from a shared activation buffer. */
import { parentPort, workerData } from 'node:worker_threads';
import { runChannelTask, type ChannelTaskOptions, type LayerTensor } from './channel-task';

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

parentPort!.on('message', (c: number) => {
  try {
    parentPort!.postMessage({ ok: true, result: runChannelTask(layer, c, init.y, init.options) });
  } catch (err) {
    parentPort!.postMessage({ ok: false, index: c, message: (err as Error).message, name: (err as Error).name });
  }
});
