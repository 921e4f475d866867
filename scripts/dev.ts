/**
 * Run the portal with its database:
 *   npm run dev     — development server (hot reload)
 *   npm start       — production server (runs `next build` first when there is no build)
 * Options: --port N (default $PORT or 3000), --host H (default $HOST or 0.0.0.0),
 * --keep-db (leave the embedded PostgreSQL running on exit; `npm run db:stop` stops it).
 *
 * Without DATABASE_URL the embedded PostgreSQL in .data/postgres is started
 * (initialised on first use); the committed migrations are applied either way.
 *
 * Production serves from several web processes sharing the port (node:cluster;
 * PCACE_WEB_PROCESSES, default the available cores up to 4; 1 = Next.js in this
 * process). This process — the primary — starts the database, applies the
 * migrations, seeds, supervises the queue workers and the web processes
 * (replacing one that dies, with a growing delay), and on SIGINT/SIGTERM stops
 * the web processes, then the workers, then the embedded PostgreSQL. A web
 * process runs startPortalServer only (scripts/web-processes.ts).
 *
 * Next.js runs behind a plain HTTP server that sets
 * X-Forwarded-For to the connection's address, so the sign-in rate limit
 * counts real client addresses: Next.js itself keeps a client-sent header.
 * Behind N reverse proxies set PCACE_TRUSTED_PROXIES=N; their entries are kept
 * and the socket address appended.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import cluster from 'node:cluster';
import { existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { stopEmbeddedPostgres } from '../lib/db/embedded';
import { PROJECT_ROOT } from '../lib/db/migrate';
import { ensureDatabase } from './db-start';
import { trustProxy } from '../lib/server/https';
import { stopChild } from './stop-child';
import { webProcessCount, WebProcessSupervisor } from './web-processes';

/** The address chain Next.js will see: only the socket address unless proxies are trusted. */
export function forwardedFor(clientHeader: string | string[] | undefined, remote: string | undefined): string {
  const hops = Math.max(0, Number(process.env.PCACE_TRUSTED_PROXIES ?? 0) || 0);
  const socket = remote ?? 'unknown';
  if (hops === 0 || !clientHeader) return socket;
  return `${Array.isArray(clientHeader) ? clientHeader.join(', ') : clientHeader}, ${socket}`;
}

export interface PortalServer {
  url: string;
  close(): Promise<void>;
}

/** Start Next.js (production build or dev) behind the header-normalising HTTP server. */
export async function startPortalServer(opts: { port: number; host?: string; production: boolean }): Promise<PortalServer> {
  const { default: next } = await import('next');
  const app = next({ dev: !opts.production, dir: PROJECT_ROOT, port: opts.port, hostname: opts.host, turbopack: true });
  await app.prepare();
  const handle = app.getRequestHandler();
  const server = http.createServer((req, res) => {
    req.headers['x-forwarded-for'] = forwardedFor(req.headers['x-forwarded-for'], req.socket.remoteAddress);
    // X-Forwarded-Proto decides Secure cookies and HSTS: only a trusted proxy may set it (lib/server/https.ts).
    if (!trustProxy()) delete req.headers['x-forwarded-proto'];
    void handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    url: `http://localhost:${opts.port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.close();
    },
  };
}

/** `next build` in a child process (its own memory, like the CLI). */
export function nextBuild(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const bin = path.join(PROJECT_ROOT, 'node_modules', 'next', 'dist', 'bin', 'next');
  const child = spawn(process.execPath, [bin, 'build'], { cwd: PROJECT_ROOT, env, stdio: 'inherit' });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}

function options() {
  const args = process.argv.slice(2);
  const arg = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  return {
    production: args.includes('--production'),
    keepDb: args.includes('--keep-db') || process.env.PCACE_KEEP_DB === '1',
    port: Number(arg('--port') ?? process.env.PORT ?? 3000),
    host: arg('--host') ?? process.env.HOST ?? '0.0.0.0',
  };
}

/** A web process forked by the primary (same arguments, the primary's environment): Next.js only. */
async function webProcess() {
  const { port, host } = options();
  let portal: PortalServer | null = null;
  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    void (portal?.close() ?? Promise.resolve()).catch(() => {}).finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  portal = await startPortalServer({ port, host, production: true });
  if (closing) await portal.close();
}

async function main() {
  if (cluster.isWorker) return webProcess();
  const { production, keepDb, port, host } = options();
  let webCount: number;
  try {
    webCount = webProcessCount(production);
  } catch (err) {
    console.error(`[portal] ${(err as Error).message}`);
    process.exit(2);
  }

  // A wrong storage setting stops here, before the database starts, with its reason.
  const { checkStorageSettings } = await import('../lib/storage/backend');
  let storage: string;
  try {
    storage = await checkStorageSettings();
  } catch (err) {
    console.error(`[portal] ${(err as Error).message}`);
    process.exit(2);
  }
  const { url, startedEmbedded } = await ensureDatabase();
  process.env.DATABASE_URL = url;
  console.log(`[portal] storage: ${storage}`);
  process.env.NEXTAUTH_URL ??= `http://localhost:${port}`;
  process.env.NEXT_TELEMETRY_DISABLED = '1';
  (process.env as Record<string, string>).NODE_ENV = production ? 'production' : 'development';

  let portal: PortalServer | null = null;
  let stopping = false;
  const web = webCount > 1 ? new WebProcessSupervisor(webCount, () => stopping) : null;
  const workers = new WorkerSupervisor(Number(process.env.PCACE_WORKERS ?? 1), () => stopping);
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await portal?.close().catch(() => {});
    await web?.stop();
    await workers.stop();
    if (startedEmbedded && !keepDb) {
      await stopEmbeddedPostgres().catch((err) => console.error(`[db] ${(err as Error).message}`));
      console.log('[db] embedded PostgreSQL stopped');
    }
    process.exit(code);
  };
  // npm start runs this file with `node --import tsx`, not the tsx command: tsx's parent process relays
  // Ctrl-C and SIGKILLs its child when the child's acknowledgement takes over 30 ms (a loaded machine),
  // which cut this shutdown short and left the embedded PostgreSQL running.
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    console.log(`[portal] ${signal}: stopping the web server${web ? 's' : ''}, the workers${startedEmbedded && !keepDb ? ' and the embedded PostgreSQL' : ''}…`);
    void shutdown(0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  if (production && !existsSync(path.join(PROJECT_ROOT, process.env.PCACE_NEXT_DIST || '.next', 'BUILD_ID'))) {
    console.log('[portal] no build yet: next build');
    const code = await nextBuild();
    if (code !== 0) return shutdown(code);
  }
  const credentials = process.env.PCACE_NO_SEED === '1' ? null : await (await import('./seed-demo')).seedDemo();
  if (process.env.PCACE_NO_WORKER !== '1') workers.start();
  let address: string;
  if (web) {
    try {
      await web.start();
    } catch (err) {
      console.error(`[portal] ${(err as Error).message}`);
      return shutdown(1);
    }
    address = `http://localhost:${port}`;
  } else {
    portal = await startPortalServer({ port, host, production });
    address = portal.url;
  }
  console.log(`[portal] ${production ? 'production' : 'development'} server on ${address}${web ? ` (${webCount} web processes)` : ''}`);
  if (credentials) console.log(`[portal] demo lab: sign in as ${credentials.email} / ${credentials.password}`);
}

/**
 * Queue workers beside the web server (PCACE_WORKERS, default 1; 0 or
 * PCACE_NO_WORKER=1 for none), restarted if one dies. More workers, on this or
 * other machines: `npm run worker` with the same DATABASE_URL.
 */
class WorkerSupervisor {
  private readonly children = new Set<ChildProcess>();

  constructor(
    private readonly count: number,
    private readonly stopping: () => boolean,
  ) {}

  start(): void {
    for (let i = 0; i < this.count; i++) this.spawnOne(i);
  }

  private spawnOne(i: number): void {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'workers/main.ts')], {
      cwd: PROJECT_ROOT,
      env: process.env,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    this.children.add(child);
    child.on('exit', (code, signal) => {
      this.children.delete(child);
      if (this.stopping()) return;
      console.error(`[worker] exited (${signal ?? code}); restarting in 2 s`);
      setTimeout(() => !this.stopping() && this.spawnOne(i), 2000);
    });
  }

  async stop(): Promise<void> {
    // A worker finishes its current layer on SIGTERM; do not wait forever.
    await Promise.all([...this.children].map((c) => stopChild(c, 15_000)));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err) => {
    console.error(`[portal] ${(err as Error).stack ?? err}`);
    process.exit(1);
  });
}
