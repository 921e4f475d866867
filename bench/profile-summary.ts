/**
 * Where a run's CPU time goes: sums the self time of every function over the
 * V8 CPU profiles of one run (the main thread and each worker thread write
 * their own with `node --cpu-prof --cpu-prof-dir=DIR`) and prints the top
 * functions and the share of each project file.
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof bin/pcace.js rank --model … --out r.json
 *   npx tsx bench/profile-summary.ts /tmp/prof [--top 30]
 *
 * Native time (ONNX Runtime's kernels, the GEMM of lib/models/gram-kernel.ts)
 * shows as "(program)" or the JavaScript function that called into it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const { positionals, values } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '30' } } });
const dir = positionals[0];
if (!dir) {
  console.error('usage: npx tsx bench/profile-summary.ts DIR [--top N]');
  process.exit(2);
}

const byFunction = new Map<string, number>();
const byFile = new Map<string, number>();
let total = 0;
let idle = 0;
const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
for (const f of files) {
  const p = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as CpuProfile;
  const nodes = new Map(p.nodes.map((n) => [n.id, n]));
  p.samples.forEach((id, i) => {
    const us = p.timeDeltas[i] ?? 0;
    const { functionName, url, lineNumber } = nodes.get(id)!.callFrame;
    if (functionName === '(idle)') {
      idle += us;
      return;
    }
    total += us;
    const file = url ? path.relative(process.cwd(), url.replace(/^file:\/\//, '')) : '(native)';
    const key = `${functionName || '(anonymous)'}  ${file}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    byFile.set(file, (byFile.get(file) ?? 0) + us);
  });
}

const s = (us: number) => `${(us / 1e6).toFixed(1)} s`;
const pct = (us: number) => `${((100 * us) / total).toFixed(1)} %`;
console.log(`${files.length} profiles, ${s(total)} of CPU (idle ${s(idle)} not counted)\n`);
console.log('| function (self time) | CPU | share |\n| --- | --: | --: |');
for (const [k, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) console.log(`| \`${k}\` | ${s(us)} | ${pct(us)} |`);
console.log('\n| file | CPU | share |\n| --- | --: | --: |');
for (const [k, us] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`| \`${k}\` | ${s(us)} | ${pct(us)} |`);
