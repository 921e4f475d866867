/**
 * Speed of the pcace-2021 ACE flavour: median seconds per fit for n = 300 and
 * p = 1, 5, 10, on a structured response and on pure noise. Cost per fit is roughly
 * proportional to (p + 1) × inner sweeps, so iteration counts are printed too; CPU time
 * is shown beside wall time because shared machines make the latter noisy.
 * Run: npx tsx bench/pcace2021-speed.ts
 */
import os from 'node:os';
import { acePcace2021 } from '../lib/pcace/ace/pcace2021';
import { seededUniform } from '../lib/pcace/random';

function gaussian(rand: () => number): number {
  const u = 1 - rand();
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

function makeCase(n: number, p: number, noiseOnly: boolean, seed: number) {
  const rand = seededUniform(seed);
  const x = Array.from({ length: p }, () => Float64Array.from({ length: n }, () => gaussian(rand)));
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0.5 * gaussian(rand);
    if (!noiseOnly) for (let k = 0; k < p; k++) v += Math.sin(x[k][i] * (k + 1)) + 0.3 * x[k][i] ** 2;
    y[i] = v;
  }
  return { x, y };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const n = 300;
const fits = 40;
console.log(`node ${process.version} on ${os.cpus()[0]?.model ?? 'unknown CPU'} (${os.cpus().length} logical CPUs), ${os.platform()} ${os.arch()}`);
for (const noiseOnly of [false, true]) {
  for (const p of [1, 5, 10]) {
    const cases = Array.from({ length: fits }, (_, s) => makeCase(n, p, noiseOnly, 1000 * p + s));
    for (let w = 0; w < 5; w++) acePcace2021(cases[w].x, cases[w].y); // warm-up
    const times: number[] = [];
    const cpu: number[] = [];
    const outer: number[] = [];
    const inner: number[] = [];
    for (const c of cases) {
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      const fit = acePcace2021(c.x, c.y);
      times.push(Number(process.hrtime.bigint() - t0) / 1e9);
      const used = process.cpuUsage(c0);
      cpu.push((used.user + used.system) / 1e6);
      outer.push(fit.iterations);
      inner.push(fit.innerIterations);
    }
    console.log(
      `${noiseOnly ? 'noise     ' : 'structured'} n=${n} p=${String(p).padStart(2)}: ` +
        `median ${median(times).toExponential(3)} s/fit wall, ${median(cpu).toExponential(3)} s CPU ` +
        `(min ${Math.min(...times).toExponential(2)}, max ${Math.max(...times).toExponential(2)}; ` +
        `median outer ${median(outer)}, inner sweeps ${median(inner)}; ${fits} fits)`,
    );
  }
}
