/**
 * Load and render benchmark of the architecture comparison, the heaviest
 * compare view (two full networks, ~9,000 channels):
 *   1. a fresh database with two synthetic full-network analyses (ResNet-18,
 *      4,800 channels; VGG-16, 4,224) stored through saveLayerResult;
 *   2. the production build in .next-compare (built when missing, or --build);
 *   3. the data API under autocannon: 50 connections for 20 s with an API
 *      token, with the view cache (the default; plain and with a browser's
 *      Accept-Encoding) and without it (PCACE_COMPARE_CACHE_MB=0: every
 *      request runs the SQL); revalidation of the cached view (If-None-Match
 *      with its ETag: 304); GET /api/v1/me as the floor of any API route; for
 *      each, the CPU time per request of the server and of its PostgreSQL
 *      backends, which a shared machine changes far less than latency;
 *   4. Chromium (playwright-core) opening the page: performance marks from
 *      navigation start to the data and to the charts drawn.
 *
 * The server runs as `npm start` would: PCACE_WEB_PROCESSES web processes (default: the
 * cores up to 4); each table row says how many served and their shares of the CPU time.
 *
 *   npx tsx bench/compare-load.ts [--build] [--seconds 20] [--connections 50] [--renders 7] [--warmup 5] [--pairs 0] [--cached-only] [--keep-db]
 * (--pairs N: N more (browser-like, plain) pairs of cached rows, in that order; --cached-only: skip the uncached modes.)
 * (PCACE_NEXT_DIST: the build to serve and build into, default .next-compare.)
 * (--warmup: seconds of unrecorded load on each fresh server before its first measured mode.)
 * (--keep-db leaves the seeded database and prints its URL, lab, ids and token.)
 * Needs PostgreSQL at TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres)
 * and Chromium at CHROMIUM_PATH (default /usr/bin/chromium). Results: bench/README.md.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import autocannon from 'autocannon';
import { encode } from 'next-auth/jwt';
import { machineReport } from './machine';
import { createCompareBenchDb } from './compare-db';
import { childPids, postgresCpuMs, procCpu, treeCpu } from './proc-cpu';

const ROOT = path.resolve(import.meta.dirname, '..');
/** The build served; PCACE_NEXT_DIST picks another (e.g. a build of the code before a change, for alternating pairs). */
const DIST = process.env.PCACE_NEXT_DIST ?? '.next-compare';
const args = process.argv.slice(2);
const opt = (name: string, fallback: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const SECONDS = opt('--seconds', 20);
const CONNECTIONS = opt('--connections', 50);
const RENDERS = opt('--renders', 7);
/** Unrecorded load on each fresh server before its first measured mode: JIT and caches of every web process at steady state. */
const WARMUP = opt('--warmup', 5);
/** After the cached rows, this many more pairs of (browser-like, plain) rows, browser-like first: is a row's cost its order or its request? */
const PAIRS = opt('--pairs', 0);
/** Only the cached server (its rows and the page loads), not the uncached modes. */
const CACHED_ONLY = args.includes('--cached-only');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const version = (pkg: string) => JSON.parse(readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')).version as string;
const percentile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The production server (scripts/dev.ts --production) on a free port; resolves once it listens. */
async function startServer(env: NodeJS.ProcessEnv): Promise<{ base: string; child: ChildProcess }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'scripts/dev.ts', '--production', '--port', String(port), '--host', '127.0.0.1'], {
    cwd: ROOT,
    env: { ...env, NEXTAUTH_URL: base, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const on = (b: Buffer) => {
      log += b;
      if (log.includes('server on')) resolve();
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
    child.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${log}`)));
  });
  return { base, child };
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}

/** CPU ms (user + system) of a process and its live descendants (the server runs under tsx's CLI, a child process). */
function treeCpuMs(pid: number): number {
  return [...treeCpu(pid).values()].reduce((ms, c) => ms + 1000 * c.self, 0);
}

/**
 * CPU ms of each web process under `pid` (node:cluster workers of scripts/dev.ts, marked
 * by NODE_UNIQUE_ID in their environment); empty when the server runs Next.js in its main process.
 */
function webProcessCpuMs(pid: number, out = new Map<number, number>()): Map<number, number> {
  for (const child of childPids(pid)) {
    let web: boolean;
    try {
      web = readFileSync(`/proc/${child}/environ`, 'utf8').split('\0').some((e) => e.startsWith('NODE_UNIQUE_ID='));
    } catch {
      continue; // exited meanwhile
    }
    const cpu = web ? procCpu(child) : null;
    if (cpu) out.set(child, 1000 * cpu.self);
    else if (!web) webProcessCpuMs(child, out);
  }
  return out;
}

type LoadResult = { p50: number; p95: number; p99: number; rps: number; requests: number; errors: number; unexpected: number; serverCpu: number; outsideWebCpu: number; pgCpu: number; served: string; load1: number };

/**
 * autocannon with every response time recorded (its own summary has no p95), and the
 * CPU time per request of the server and of its database backends: what a shared
 * machine changes least. Answers other than `expect` (200, or 304 for revalidation) count as unexpected.
 */
/** `seconds` of the same load, not recorded (a fresh server's first seconds are its warm-up, not its steady state). */
async function warmUp(url: string, token: string, seconds: number): Promise<void> {
  if (seconds > 0) await autocannon({ url, connections: CONNECTIONS, duration: seconds, headers: { authorization: `Bearer ${token}`, 'accept-encoding': 'identity' } });
}

async function load(url: string, token: string, server: { pid: number; database: string }, opts: { encoding?: string; ifNoneMatch?: string; expect?: number } = {}): Promise<LoadResult> {
  const times: number[] = [];
  let unexpected = 0;
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'accept-encoding': opts.encoding ?? 'identity' };
  if (opts.ifNoneMatch) headers['if-none-match'] = opts.ifNoneMatch;
  const cpu0 = treeCpuMs(server.pid);
  const web0 = webProcessCpuMs(server.pid);
  const pg0 = postgresCpuMs(server.database);
  const instance = autocannon({ url, connections: CONNECTIONS, duration: SECONDS, headers });
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    times.push(ms);
    if (status !== (opts.expect ?? 200)) unexpected++;
  });
  const result = await instance;
  const serverCpu = (treeCpuMs(server.pid) - cpu0) / result.requests.total;
  const pgCpu = (postgresCpuMs(server.database) - pg0) / result.requests.total;
  // How many web processes served, and each one's share of their CPU time.
  const used = [...webProcessCpuMs(server.pid)].map(([pid, ms]) => ms - (web0.get(pid) ?? 0)).filter((ms) => ms > 0);
  const total = used.reduce((a, b) => a + b, 0);
  // The primary process (and tsx's CLI above it) serves no request: CPU it spends here is start-up or background work.
  const outsideWebCpu = used.length === 0 ? 0 : serverCpu - total / result.requests.total;
  const served = used.length === 0 ? '1 (main process)' : `${used.length} (${used.map((ms) => `${Math.round((100 * ms) / total)}%`).join(' / ')})`;
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 0.5), p95: percentile(times, 0.95), p99: percentile(times, 0.99), rps: result.requests.average, requests: result.requests.total, errors: result.errors, unexpected, serverCpu, outsideWebCpu, pgCpu, served, load1: loadavg()[0] };
}

async function renders(base: string, pageUrl: string, cookie: { name: string; value: string }) {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
  });
  const out: { html: number; hydrated: number; data: number; drawn: number; apiRequests: number }[] = [];
  try {
    for (let i = 0; i < RENDERS; i++) {
      // A fresh context each time: no HTTP cache, no warm JS heap from the previous page.
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      await context.addCookies([{ ...cookie, url: base }]);
      const page = await context.newPage();
      // The page preloads the data; the view's fetch should take that response, not ask again.
      let apiRequests = 0;
      page.on('request', (r) => {
        if (r.url().includes('/api/v1/')) apiRequests++;
      });
      await page.goto(pageUrl);
      await page.locator('.cmp-view[data-drawn="true"]').waitFor({ timeout: 60_000 });
      const marks = await page.evaluate(() => ({
        html: (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).responseEnd,
        // The fetch starts from the view's first effect: the page is hydrated by then.
        hydrated: performance.getEntriesByName('cmp:fetch-start')[0].startTime,
        data: performance.getEntriesByName('cmp:data-loaded')[0].startTime,
        drawn: performance.getEntriesByName('cmp:chart-drawn')[0].startTime,
      }));
      out.push({ ...marks, apiRequests });
      await context.close();
    }
  } finally {
    await browser.close();
  }
  return { runs: out, version: browser.version() };
}

async function main() {
  // The machine may be shared: the load before and after says how much the numbers can be trusted.
  const loadBefore = loadavg().map((x) => x.toFixed(2)).join(' ');
  const t0 = performance.now();
  const fx = await createCompareBenchDb();
  const { databaseUrl, secret, user, lab, token, channels, pgVersion } = fx;
  const a = { analysisId: fx.a };
  const b = { analysisId: fx.b };
  let server: ChildProcess | undefined;
  try {
    await (await import('../lib/db/client')).closeDb();
    if (args.includes('--keep-db')) console.log(`lab ${lab.slug}, a=${a.analysisId}, b=${b.analysisId}, token ${token}, secret ${secret}`);
    console.log(`seeded ${channels} channels in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    if (args.includes('--build') || !existsSync(path.join(ROOT, DIST, 'BUILD_ID'))) {
      console.log(`next build → ${DIST}`);
      execFileSync('npx', ['next', 'build'], { cwd: ROOT, env: { ...process.env, PCACE_NEXT_DIST: DIST, NEXT_TELEMETRY_DISABLED: '1' }, stdio: 'inherit' });
    }
    const env = { ...process.env, DATABASE_URL: databaseUrl, NEXTAUTH_SECRET: secret, PCACE_NEXT_DIST: DIST, PCACE_NO_WORKER: '1', PCACE_NO_SEED: '1' };
    const api = (origin: string) => `${origin}/api/v1/labs/${lab.slug}/compare/architectures?a=${a.analysisId}&b=${b.analysisId}`;

    const results: Record<string, LoadResult> = {};
    let payload = '';
    // 'uncached' is a first opening after completion: no view cache, the two stored parts.
    // 'computed live' is the same with the analyses marked running, so every request
    // aggregates the channel rows (what a first opening did before parts were stored).
    const setStatus = async (status: 'running' | 'completed') => {
      const { db: d, closeDb: close } = await import('../lib/db/client');
      await d.analysis.updateMany({ where: { id: { in: [a.analysisId, b.analysisId] } }, data: { status } });
      await close();
    };
    for (const [mode, extra] of [
      ['cached', {}],
      ['uncached', { PCACE_COMPARE_CACHE_MB: '0' }],
      ['uncached, computed live from the channel rows', { PCACE_COMPARE_CACHE_MB: '0' }],
    ] as const) {
      if (CACHED_ONLY && mode !== 'cached') continue;
      if (mode.startsWith('uncached, computed')) await setStatus('running');
      const s = await startServer({ ...env, ...extra });
      server = s.child;
      let etag: string | null = null;
      // Eight at a time: separate connections, so that every web process fills its own view cache.
      for (let i = 0; i < 5; i++) {
        for (const res of await Promise.all(Array.from({ length: 8 }, () => fetch(api(s.base), { headers: { authorization: `Bearer ${token}` } })))) {
          payload = await res.text();
          etag = res.headers.get('etag');
        }
      }
      const target = { pid: s.child.pid!, database: fx.name };
      await warmUp(api(s.base), token, WARMUP);
      results[mode] = await load(api(s.base), token, target);
      if (mode === 'cached') {
        // What a browser sends (the cached view still goes out uncompressed, see jsonResponse).
        results['cached, Accept-Encoding: gzip (as browsers)'] = await load(api(s.base), token, target, { encoding: 'gzip, deflate, br, zstd' });
        // A browser that holds the view revalidates it (Cache-Control: no-cache): 304, no body.
        if (etag) results['cached, revalidated (If-None-Match → 304)'] = await load(api(s.base), token, target, { ifNoneMatch: etag, expect: 304 });
        // The floor under any lab API route on this machine: Next.js routing plus the token check alone.
        results['reference: GET /api/v1/me'] = await load(`${s.base}/api/v1/me`, token, target);
        for (let i = 1; i <= PAIRS; i++) {
          results[`pair ${i}: cached, browser Accept-Encoding`] = await load(api(s.base), token, target, { encoding: 'gzip, deflate, br, zstd' });
          results[`pair ${i}: cached, plain (identity)`] = await load(api(s.base), token, target);
        }
      }
      if (mode.startsWith('uncached')) {
        await stopServer(s.child);
        if (mode !== 'uncached') await setStatus('completed');
      }
      else {
        const sessionCookie = { name: 'next-auth.session-token', value: await encode({ token: { sub: user.id }, secret }) };
        const page = `${s.base}/labs/${lab.slug}/compare/architectures?a=${a.analysisId}&b=${b.analysisId}`;
        if (RENDERS > 0) (results as Record<string, unknown>).render = await renders(s.base, page, sessionCookie);
        await stopServer(s.child);
      }
    }

    const render = (results as unknown as { render?: Awaited<ReturnType<typeof renders>> }).render;
    console.log('\n' + machineReport({ next: version('next'), react: version('react'), d3: version('d3'), autocannon: version('autocannon'), 'playwright-core': version('playwright-core'), chromium: render?.version ?? '(no page loads)', postgres: pgVersion, 'load average before / after (1, 5, 15 min)': `${loadBefore} / ${loadavg().map((x) => x.toFixed(2)).join(' ')}` }));
    console.log(`\npayload: ${(payload.length / 1024).toFixed(0)} KiB JSON, ${(gzipSync(payload).length / 1024).toFixed(0)} KiB gzipped; ${channels} channels`);
    console.log(`\nGET /compare/architectures, ${CONNECTIONS} connections, ${SECONDS} s:`);
    console.log(`web processes: PCACE_WEB_PROCESSES=${process.env.PCACE_WEB_PROCESSES ?? '(default)'}`);
    console.log('| mode | p50 ms | p95 ms | p99 ms | req/s | server CPU ms/req | of it outside the web processes | PostgreSQL CPU ms/req | requests | errors | unexpected status | web processes that served (CPU share) | load average (1 min) at its end |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|');
    for (const [mode, r] of Object.entries(results)) {
      if (mode === 'render') continue;
      const x = r as LoadResult;
      console.log(`| ${mode} | ${x.p50.toFixed(0)} | ${x.p95.toFixed(0)} | ${x.p99.toFixed(0)} | ${x.rps.toFixed(0)} | ${x.serverCpu.toFixed(2)} | ${x.outsideWebCpu.toFixed(2)} | ${x.pgCpu.toFixed(2)} | ${x.requests} | ${x.errors} | ${x.unexpected} | ${x.served} | ${x.load1.toFixed(2)} |`);
    }
    if (!render) return;
    const drawn = render.runs.map((r) => r.drawn);
    console.log(`\nChromium, ms from navigation start to: HTML received / hydrated (fetch starts) / data loaded / charts drawn, ${RENDERS} page loads:`);
    console.log(render.runs.map((r, i) => `  #${i + 1}: ${r.html.toFixed(0)} / ${r.hydrated.toFixed(0)} / ${r.data.toFixed(0)} / ${r.drawn.toFixed(0)}`).join('\n'));
    console.log(`  median drawn ${median(drawn).toFixed(0)} ms, first (cold) ${drawn[0].toFixed(0)} ms, max ${Math.max(...drawn).toFixed(0)} ms; API requests per page load: ${render.runs.map((r) => r.apiRequests).join(', ')}`);
  } finally {
    if (server) await stopServer(server);
    if (args.includes('--keep-db')) console.log(`\nkept database ${databaseUrl}`);
    else await fx.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
