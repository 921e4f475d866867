/**
 * The production portal's web processes (PCACE_WEB_PROCESSES): node:cluster
 * workers sharing the primary's port, each running Next.js behind
 * startPortalServer. One Node.js process spends about 2 ms of CPU on a cached
 * API request, which caps it near 500 requests/s whatever the cores; several
 * processes use the cores. State the processes must share lives in PostgreSQL
 * (sessions, sign-in rate limits) or in files (the session secret); what each
 * keeps in memory (view cache, token stamp throttle, sample lists) is checked
 * against the database per request or only saves work.
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { stopChild } from './stop-child';

/** At most this many by default: beyond it memory (a Next.js server each) grows faster than throughput. */
const DEFAULT_CAP = 4;

/**
 * How many web processes to run: PCACE_WEB_PROCESSES, else (production) the
 * available cores up to 4. Development (hot reload) is always one process.
 * Throws on a value that is not a whole number ≥ 1.
 */
export function webProcessCount(production: boolean, value = process.env.PCACE_WEB_PROCESSES): number {
  if (value !== undefined && value.trim() !== '') {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`PCACE_WEB_PROCESSES must be a whole number ≥ 1, not '${value}'`);
    return production ? n : 1;
  }
  return production ? Math.min(availableParallelism(), DEFAULT_CAP) : 1;
}

/**
 * Forks the web processes and keeps their number: one that dies is replaced,
 * after a delay doubling (1 s up to 30 s) while replacements die within a
 * minute, so a process that cannot start does not spin the machine.
 */
export class WebProcessSupervisor {
  private readonly live = new Set<Worker>();
  private failures = 0;
  private started = false;

  constructor(
    private readonly count: number,
    private readonly stopping: () => boolean,
  ) {}

  /** Resolves once every process listens; rejects if one exits before that (a port in use, a broken build). */
  async start(): Promise<void> {
    await Promise.all(Array.from({ length: this.count }, () => this.forkOne()));
    this.started = true;
  }

  get pids(): number[] {
    return [...this.live].map((w) => w.process.pid!).filter(Boolean);
  }

  private forkOne(replacing?: number): Promise<void> {
    const worker = cluster.fork();
    const born = Date.now();
    this.live.add(worker);
    return new Promise<void>((resolve, reject) => {
      let listening = false;
      worker.once('listening', () => {
        listening = true;
        if (replacing) console.log(`[portal] web process ${worker.process.pid} serving in place of ${replacing}`);
        resolve();
      });
      worker.once('exit', (code, signal) => {
        this.live.delete(worker);
        if (!listening) reject(new Error(`a web process exited before listening (${signal ?? code})`));
        // At start-up the primary gives up (and says why) instead of retrying.
        if (this.stopping() || !this.started) return;
        this.failures = Date.now() - born < 60_000 ? this.failures + 1 : 0;
        const delay = Math.min(30_000, 1000 * 2 ** Math.max(0, this.failures - 1));
        console.error(`[portal] web process ${worker.process.pid} exited (${signal ?? code}); replacing it in ${delay / 1000} s`);
        setTimeout(() => {
          if (this.stopping()) return;
          this.forkOne(worker.process.pid).catch((err) => console.error(`[portal] ${(err as Error).message}`));
        }, delay);
      });
    });
  }

  /** SIGTERM to each (it closes its connections and Next.js), SIGKILL after 10 s. */
  async stop(): Promise<void> {
    await Promise.all([...this.live].map((w) => stopChild(w.process, 10_000)));
  }
}
