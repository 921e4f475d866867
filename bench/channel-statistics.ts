/**
 * The default statistics of a layer's channels on one thread, in CPU time: the
 * full-sample ACE fit and the adaptive cross-fitting (k = 5, 2 to 20 repeats,
 * acepack), channel after channel as a scoring thread runs them. With several
 * `--root` checkouts of the repository the same channels are scored by each
 * checkout's lib/pcace in turn, rounds alternating, so their CPU-time ratio is
 * measured under the same load; a digest of every score (score_multiple,
 * score_pc1, rsq, each cross-fit repeat's value) shows whether the checkouts
 * agree bit for bit.
 *
 *   npx tsx bench/channel-statistics.ts [--root /work/main --root .] [--channels 48] [--rounds 3]
 */
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { syntheticLayer } from '../tests/fixtures/synthetic-layer';
import { machineReport } from './machine';
import type * as Score from '../lib/pcace/score';
import { channelPca } from '../lib/pcace/pca';

const { values } = parseArgs({
  options: {
    root: { type: 'string', multiple: true, default: ['.'] },
    channels: { type: 'string', default: '48' },
    side: { type: 'string', default: '14' },
    rounds: { type: 'string', default: '3' },
  },
});
const channels = Number(values.channels);
const side = Number(values.side);
const rounds = Number(values.rounds);
const n = 300;
const positions = side * side;

console.log(machineReport({ load: loadavg().map((v) => v.toFixed(2)).join(' ') }));
console.log(`layer: ${channels} channels × ${n} images × ${side}×${side}; k = 5, acepack, cross-fit 2 to 20 repeats\n`);
const options = { components: 5, flavour: 'acepack' as const, crossFitRepeats: 2, crossFitCap: 20, seed: 1 };
const layer = syntheticLayer({ n, channels, height: side, width: side, seed: 7 });
// PCA is done once here (with this checkout's code): only the statistics are timed.
const pcas = Array.from({ length: channels }, (_, c) => {
  const m = new Float64Array(n * positions);
  for (let i = 0; i < n; i++) for (let j = 0; j < positions; j++) m[i * positions + j] = layer.data[(i * channels + c) * positions + j];
  return channelPca(m, n, positions, options.components);
});

const roots = values.root.map((r) => path.resolve(r));
const modules: (typeof Score)[] = [];
for (const r of roots) modules.push((await import(pathToFileURL(path.join(r, 'lib/pcace/score.ts')).href)) as typeof Score);

function run(mod: typeof Score): { cpu: number; digest: string; repeats: number } {
  const hash = createHash('sha256');
  let repeats = 0;
  const t0 = process.cpuUsage();
  for (const pca of pcas) {
    const s = mod.scoreComponents(pca, layer.y, options);
    hash.update(new Float64Array([s.score_multiple, s.score_pc1, s.rsq, s.score_crossfit ?? NaN]));
    hash.update(s.crossfit_values ?? new Float64Array(0));
    repeats += s.crossfit_repeats ?? 0;
  }
  const t = process.cpuUsage(t0);
  return { cpu: (t.user + t.system) / 1e6, digest: hash.digest('hex').slice(0, 16), repeats };
}

// One unmeasured round per checkout first: the JIT's warm-up is not what is compared.
for (const mod of modules) run(mod);
const cpu = roots.map(() => [] as number[]);
for (let r = 0; r < rounds; r++) {
  for (let i = 0; i < roots.length; i++) {
    const res = run(modules[i]);
    cpu[i].push(res.cpu);
    console.log(`round ${r + 1}  ${roots[i].padEnd(16)} ${res.cpu.toFixed(2)} s CPU  digest ${res.digest}  ${(res.repeats / channels).toFixed(1)} repeats/channel`);
  }
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
for (let i = 0; i < roots.length; i++) {
  const ratio = median(cpu[0]) / median(cpu[i]);
  console.log(`${roots[i].padEnd(16)} median ${median(cpu[i]).toFixed(2)} s CPU  (${roots[0]} / this: ×${ratio.toFixed(2)})`);
}
console.log(`load average after: ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
