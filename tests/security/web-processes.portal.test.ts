/**
 * The production server with PCACE_WEB_PROCESSES=2 (scripts/web-processes.ts):
 * the requests are served by both web processes (their CPU time, read from
 * /proc: nothing about the processes shows in responses); a web process
 * killed with SIGKILL is replaced while requests keep being answered; SIGTERM
 * to the main process ends every web process before it exits.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { usePortal } from '../helpers/portal';

const portal = usePortal({ browser: false, env: { PCACE_WEB_PROCESSES: '2' } });

/** The web processes: children of the main process running scripts/dev.ts (the queue workers are off). */
function webPids(): number[] {
  const primary = portal.server.pid!;
  const pids: number[] = [];
  for (const tid of readdirSync(`/proc/${primary}/task`)) {
    for (const child of readFileSync(`/proc/${primary}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean)) {
      const state = readFileSync(`/proc/${child}/stat`, 'utf8').split(') ')[1]?.[0];
      if (state !== 'Z' && readFileSync(`/proc/${child}/cmdline`, 'utf8').includes('scripts/dev.ts')) pids.push(Number(child));
    }
  }
  return pids.sort((a, b) => a - b);
}

/** User + system CPU time of `pid` in clock ticks. */
function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]);
}

const alive = (pid: number) => existsSync(`/proc/${pid}`) && readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';

/** GET /api/v1/me on a connection of its own (the primary hands each connection to a web process in turn). */
function request(): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(`${portal.base}/api/v1/me`, { agent: false, timeout: 15_000 }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      })
      .on('timeout', function (this: http.ClientRequest) {
        this.destroy(new Error('no answer in 15 s'));
      })
      .on('error', reject);
  });
}

/** `n` requests, `concurrency` at a time: their status codes. */
async function requests(n: number, concurrency: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i += concurrency) statuses.push(...(await Promise.all(Array.from({ length: Math.min(concurrency, n - i) }, request))));
  return statuses;
}

describe('several web processes (PCACE_WEB_PROCESSES=2)', () => {
  it('share the requests', async () => {
    const pids = webPids();
    expect(pids).toHaveLength(2);
    const before = pids.map(cpuTicks);
    const statuses = await requests(400, 20);
    expect(new Set(statuses)).toEqual(new Set([401]));
    const used = pids.map((pid, i) => cpuTicks(pid) - before[i]);
    expect(used.every((t) => t > 0), `CPU ticks per web process: ${used.join(', ')}`).toBe(true);
  });

  it('replace one killed with SIGKILL while requests keep being answered', async () => {
    const [victim, survivor] = webPids();
    let log = '';
    for (const s of [portal.server.stdout!, portal.server.stderr!]) s.on('data', (b: Buffer) => (log += b.toString()));
    process.kill(victim, 'SIGKILL');
    // A connection handed to the process as it died is lost with it; once the main process
    // has seen it exit (and says so), every connection must be answered.
    await expect.poll(() => log.includes(`web process ${victim} exited (SIGKILL)`), { timeout: 10_000, interval: 20 }).toBe(true);
    // Requests meanwhile: the survivor answers them all.
    const statuses: number[] = [];
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline && !/web process \d+ serving in place of/.test(log)) {
      statuses.push(...(await requests(4, 4)));
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(statuses.length).toBeGreaterThan(0);
    expect(new Set(statuses)).toEqual(new Set([401]));
    const fresh = Number(/web process (\d+) serving in place of (\d+)/.exec(log)?.[1]);
    expect(log).toContain(`serving in place of ${victim}`);
    expect(webPids()).toEqual([survivor, fresh].sort((a, b) => a - b));
    // The replacement takes its share of new connections again.
    const before = [survivor, fresh].map(cpuTicks);
    expect(new Set(await requests(400, 20))).toEqual(new Set([401]));
    const used = [survivor, fresh].map((pid, i) => cpuTicks(pid) - before[i]);
    expect(used[1], `CPU ticks survivor / replacement: ${used.join(' / ')}`).toBeGreaterThan(0.2 * (used[0] + used[1]));
  }, 300_000);

  it('all end on SIGTERM to the main process', async () => {
    const pids = webPids();
    expect(pids).toHaveLength(2);
    const exited = new Promise<number | null>((r) => portal.server.once('exit', (code) => r(code)));
    portal.server.kill('SIGTERM');
    expect(await exited).toBe(0);
    // The main process waits for them: none is left once it has exited.
    expect(pids.filter(alive)).toEqual([]);
  }, 60_000);
});
