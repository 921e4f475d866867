/**
 * In-process cost of the compare API per request: the route handlers called
 * directly (no HTTP server, no Next.js routing), on the database of
 * compare-load.ts. For each mode — GET /api/v1/me (the token check alone), the
 * architectures view with its cache, and without it (PCACE_COMPARE_CACHE_MB=0:
 * a first opening from the two stored parts) — it measures, in alternating
 * rounds:
 *   - Node CPU time per request (process.cpuUsage, user + system), one request
 *     after another and with 50 in flight;
 *   - PostgreSQL CPU time per request (the database's backends, /proc/<pid>/stat);
 *   - wall time per request, one after another (only meaningful on a quiet machine).
 * CPU time per request does not depend on what else the machine runs (much), so
 * before/after ratios hold on a shared machine; at 50 connections the
 * throughput is what the two CPU times allow.
 *
 *   npx tsx bench/compare-inproc.ts [--rounds 3] [--requests 200] [--concurrent 50] [--only uncached]
 */
import { loadavg } from 'node:os';
import { createCompareBenchDb } from './compare-db';
import { procCpu } from './proc-cpu';

const args = process.argv.slice(2);
const opt = (name: string, fallback: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const ROUNDS = opt('--rounds', 3);
const REQUESTS = opt('--requests', 200);
const CONCURRENT = opt('--concurrent', 50);

type Handler = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;

/** CPU time (ms) of every backend process of the database, summed. */
async function pgCpu(db: { $queryRawUnsafe<T>(q: string): Promise<T> }, name: string): Promise<Map<number, number>> {
  const rows = await db.$queryRawUnsafe<{ pid: number }[]>(`SELECT pid FROM pg_stat_activity WHERE datname = '${name}'`);
  const out = new Map<number, number>();
  for (const { pid } of rows) {
    const cpu = procCpu(pid);
    if (cpu) out.set(pid, 1000 * cpu.self); // else exited meanwhile
  }
  return out;
}

const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

async function main() {
  const loadBefore = loadavg().map((x) => x.toFixed(2)).join(' ');
  const fx = await createCompareBenchDb();
  const { db, closeDb } = await import('../lib/db/client');
  try {
    const arch = (await import('../app/api/v1/labs/[lab]/compare/architectures/route')).GET as unknown as Handler;
    const me = (await import('../app/api/v1/me/route')).GET as unknown as Handler;
    const headers = { authorization: `Bearer ${fx.token}` };
    const archUrl = `http://bench.local/api/v1/labs/${fx.lab.slug}/compare/architectures?a=${fx.a}&b=${fx.b}`;
    const modes: { name: string; cacheMb: string; call: () => Promise<Response> }[] = [
      { name: 'GET /api/v1/me', cacheMb: '64', call: () => me(new Request('http://bench.local/api/v1/me', { headers }), { params: Promise.resolve({}) }) },
      { name: 'architectures, cached', cacheMb: '64', call: () => arch(new Request(archUrl, { headers }), { params: Promise.resolve({ lab: fx.lab.slug }) }) },
      { name: 'architectures, uncached (stored parts)', cacheMb: '0', call: () => arch(new Request(archUrl, { headers }), { params: Promise.resolve({ lab: fx.lab.slug }) }) },
    ];
    // --only <text>: the modes whose name contains it (e.g. for node --cpu-prof).
    const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : '';
    modes.splice(0, modes.length, ...modes.filter((m) => m.name.includes(only)));
    const one = async (call: () => Promise<Response>) => {
      const res = await call();
      const body = await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`status ${res.status}: ${new TextDecoder().decode(body)}`);
      return body.byteLength;
    };
    const stats = new Map<string, { seqCpu: number[]; seqWall: number[]; conCpu: number[]; conPg: number[]; conRps: number[]; bytes: number }>();
    for (const m of modes) {
      process.env.PCACE_COMPARE_CACHE_MB = m.cacheMb;
      let bytes = 0;
      for (let i = 0; i < 30; i++) bytes = await one(m.call); // warm-up: JIT, pool, cache
      stats.set(m.name, { seqCpu: [], seqWall: [], conCpu: [], conPg: [], conRps: [], bytes });
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const m of modes) {
        process.env.PCACE_COMPARE_CACHE_MB = m.cacheMb;
        const s = stats.get(m.name)!;
        let c0 = process.cpuUsage();
        let t0 = performance.now();
        for (let i = 0; i < REQUESTS; i++) await one(m.call);
        s.seqWall.push((performance.now() - t0) / REQUESTS);
        s.seqCpu.push(cpuMs(process.cpuUsage(c0)) / REQUESTS);
        // CONCURRENT requests in flight, REQUESTS × 2 in all.
        const total = REQUESTS * 2;
        const pg0 = await pgCpu(db, fx.name);
        c0 = process.cpuUsage();
        t0 = performance.now();
        let next = 0;
        await Promise.all(
          Array.from({ length: CONCURRENT }, async () => {
            while (next < total) {
              next++;
              // Each request starts in its own macrotask, as requests read from different sockets
              // do: Prisma batches findUnique calls made in the same tick, which HTTP rarely allows.
              await new Promise((r) => setImmediate(r));
              await one(m.call);
            }
          }),
        );
        const wall = performance.now() - t0;
        s.conCpu.push(cpuMs(process.cpuUsage(c0)) / total);
        const pg1 = await pgCpu(db, fx.name);
        let pg = 0;
        for (const [pid, v] of pg1) pg += v - (pg0.get(pid) ?? 0);
        s.conPg.push(pg / total);
        s.conRps.push((total / wall) * 1000);
      }
    }
    const med = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)];
    console.log(`load average before / after: ${loadBefore} / ${loadavg().map((x) => x.toFixed(2)).join(' ')}; Node ${process.version}; ${fx.pgVersion}`);
    console.log(`${ROUNDS} rounds, each: ${REQUESTS} requests one after another, then ${REQUESTS * 2} with ${CONCURRENT} in flight; medians over rounds`);
    console.log('| mode | Node CPU ms/req, sequential | Node CPU ms/req, 50 in flight | PostgreSQL CPU ms/req, 50 in flight | wall ms/req, sequential | req/s, 50 in flight | body KiB |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const [name, s] of stats) {
      console.log(`| ${name} | ${med(s.seqCpu).toFixed(2)} | ${med(s.conCpu).toFixed(2)} | ${med(s.conPg).toFixed(2)} | ${med(s.seqWall).toFixed(2)} | ${med(s.conRps).toFixed(0)} | ${(s.bytes / 1024).toFixed(0)} |`);
    }
  } finally {
    await closeDb();
    await fx.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
