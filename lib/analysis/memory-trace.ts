/**
 * PCACE_MEMORY_TRACE=1: one stderr line per phase boundary of an analysis
 * with the process' resident size, the main thread's JavaScript memory and the
 * process' CPU seconds so far (every thread) and its wall seconds since it
 * started, so where a big network's memory
 * and time go is measured rather than guessed (bench/whole-network.ts --trace
 * samples the resident size in between).
 */
const on = () => process.env.PCACE_MEMORY_TRACE === '1';
const mb = (b: number) => `${Math.round(b / 2 ** 20)} MB`;

export function traceMemory(label: string): void {
  if (!on()) return;
  const m = process.memoryUsage();
  const c = process.cpuUsage();
  const cpu = ((c.user + c.system) / 1e6).toFixed(1);
  // performance.now() counts from the process' start, as its CPU seconds do.
  const wall = (performance.now() / 1000).toFixed(1);
  process.stderr.write(`[pcace memory] ${label}: rss ${mb(m.rss)}, heap ${mb(m.heapUsed)}, array buffers ${mb(m.arrayBuffers)}, cpu ${cpu} s, wall ${wall} s\n`);
}
