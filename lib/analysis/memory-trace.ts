/**
 * PCACE_MEMORY_TRACE=1: one stderr line per phase boundary of an analysis
 * with the process' resident size and the main thread's JavaScript memory,
 * so where a big network's memory goes is measured rather than guessed
 * (bench/whole-network.ts --trace samples the resident size in between).
 */
const on = () => process.env.PCACE_MEMORY_TRACE === '1';
const mb = (b: number) => `${Math.round(b / 2 ** 20)} MB`;

export function traceMemory(label: string): void {
  if (!on()) return;
  const m = process.memoryUsage();
  process.stderr.write(`[pcace memory] ${label}: rss ${mb(m.rss)}, heap ${mb(m.heapUsed)}, array buffers ${mb(m.arrayBuffers)}\n`);
}
