/** Machine and version facts every benchmark prints beside its numbers. */
import { cpus, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';

export function machineReport(extra: Record<string, string> = {}): string {
  const cpu = cpus();
  const ortVersion = (() => {
    try {
      return JSON.parse(readFileSync(new URL('../node_modules/onnxruntime-node/package.json', import.meta.url), 'utf8')).version as string;
    } catch {
      return 'not installed';
    }
  })();
  const lines = {
    cpu: `${cpu[0]?.model ?? 'unknown'} × ${cpu.length}`,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    node: process.version,
    'onnxruntime-node': ortVersion,
    date: new Date().toISOString(),
    ...extra,
  };
  return Object.entries(lines)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');
}
