/**
 * One conv layer scored end to end: 512 channels × 300 images × 14×14 maps,
 * k = 10, on all cores, without calibration, then the cost of B = 100
 * permutations per channel. Baseline in the same run: the same layer on one
 * thread, so the ratio shows what the thread pool buys on this machine.
 *
 *   npx tsx bench/layer-scoring.ts [--channels 512] [--permutation-channels 64]
 */
import { parseArgs } from 'node:util';
import { availableParallelism } from 'node:os';
import { scoreLayer } from '../lib/analysis/layer-scorer';
import { syntheticLayer } from '../tests/fixtures/synthetic-layer';
import { machineReport } from './machine';
import type { AceFlavour } from '../lib/pcace/index';

const { values } = parseArgs({
  options: {
    channels: { type: 'string', default: '512' },
    'permutation-channels': { type: 'string', default: '64' },
    permutations: { type: 'string', default: '100' },
  },
});
const channels = Number(values.channels);
const permChannels = Number(values['permutation-channels']);
const B = Number(values.permutations);
const n = 300;
const side = 14;

console.log(machineReport());
console.log(`layer: ${channels} channels × ${n} images × ${side}×${side}, k = 10\n`);
const layer = syntheticLayer({ n, channels, height: side, width: side, seed: 7 });
const input = { data: layer.data, n, channels, positions: side * side, y: layer.y };
const base = { components: 10, rankBy: 'multiple' as const, bootstrap: 0, stabilityComponents: [], seed: 1 };

for (const flavour of ['acepack', 'pcace-2021'] as AceFlavour[]) {
  const all = await scoreLayer(input, { ...base, flavour, threads: availableParallelism() });
  const one = await scoreLayer(input, { ...base, flavour, threads: 1 });
  console.log(
    `${flavour.padEnd(10)} all cores (${availableParallelism()} threads): ${all.seconds.toFixed(2)} s   ` +
      `1 thread: ${one.seconds.toFixed(2)} s   speed-up ×${(one.seconds / all.seconds).toFixed(2)}`,
  );
}

const sub = syntheticLayer({ n, channels: permChannels, height: side, width: side, seed: 7 });
const subInput = { data: sub.data, n, channels: permChannels, positions: side * side, y: sub.y };
for (const flavour of ['acepack', 'pcace-2021'] as AceFlavour[]) {
  const plain = await scoreLayer(subInput, { ...base, flavour });
  const perm = await scoreLayer(subInput, { ...base, flavour, permutations: B });
  const perChannel = perm.seconds / permChannels;
  console.log(
    `${flavour.padEnd(10)} B = ${B} permutations: ${perm.seconds.toFixed(2)} s for ${permChannels} channels ` +
      `(×${(perm.seconds / plain.seconds).toFixed(1)} the uncalibrated cost) → ${(perChannel * channels).toFixed(0)} s projected for ${channels} channels`,
  );
}
