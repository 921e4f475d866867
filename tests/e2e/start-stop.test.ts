/**
 * `npm start` stopped with Ctrl-C: the terminal sends SIGINT to the whole
 * process group (npm, the shell, the portal, its worker). The portal must
 * still close the web server, stop its worker and the embedded PostgreSQL it
 * started, and say so; nothing of the group may be left running. Runs the
 * real command on a fresh data directory (its own cluster and port) against
 * the production build of this run.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isEmbeddedRunning, stopEmbeddedPostgres, type EmbeddedPostgresConfig } from '../../lib/db/embedded';
import { embeddedConfigAt } from '../helpers/env';
import { freePort } from '../helpers/ports';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const root = mkdtempSync(path.join(tmpdir(), 'pcace-start-stop-'));
chmodSync(root, 0o755); // as root, the cluster runs as the `postgres` system user

let cfg: EmbeddedPostgresConfig | undefined;

afterAll(async () => {
  if (cfg && (await isEmbeddedRunning(cfg))) await stopEmbeddedPostgres(cfg).catch(() => {});
  rmSync(root, { recursive: true, force: true });
});

describe('npm start', () => {
  it('Ctrl-C (SIGINT to the process group) stops the worker, the web server and the embedded PostgreSQL, and prints the stopped line', async () => {
    const [port, pgPort] = [await freePort(), await freePort()];
    cfg = embeddedConfigAt(root, pgPort);
    const env: NodeJS.ProcessEnv = { ...process.env, PCACE_DATA_DIR: root, PCACE_PG_PORT: String(pgPort), STORAGE_DIR: path.join(root, 'storage'), PCACE_NO_SEED: '1', PCACE_WORKERS: '1', PCACE_WORKER_THREADS: '1' };
    for (const k of ['DATABASE_URL', 'NEXTAUTH_URL', 'PCACE_NO_WORKER', 'NODE_ENV']) delete env[k];
    // Its own process group, as a terminal gives a foreground job.
    const npm = spawn('npm', ['start', '--', '--port', String(port), '--host', '127.0.0.1'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    let npmExitedAt = 0;
    let stoppedAt = 0;
    npm.on('exit', () => (npmExitedAt = Date.now()));
    const closed = new Promise<void>((resolve) => {
      let open = 2;
      for (const s of [npm.stdout!, npm.stderr!]) {
        s.on('data', (b: Buffer) => {
          log += b.toString();
          if (!stoppedAt && log.includes('[db] embedded PostgreSQL stopped')) stoppedAt = Date.now();
        });
        s.on('close', () => --open === 0 && resolve());
      }
    });
    await expect.poll(() => log.includes('server on') && /\[worker \S+\] ready/.test(log), { timeout: 240_000, interval: 500 }).toBe(true);
    expect(await isEmbeddedRunning(cfg)).toBe(true);

    process.kill(-npm.pid!, 'SIGINT');
    // Every writer of the output (npm, the portal, its worker) has exited when both pipes close.
    await closed;
    expect(log).toMatch(/\[worker \S+\] stopped/);
    expect(log).toContain('[db] embedded PostgreSQL stopped');
    expect(await isEmbeddedRunning(cfg)).toBe(false);
    // No process of the group is left: one killed at shutdown (a spare model process) may take a moment to be reaped.
    const groupGone = () => {
      try {
        process.kill(-npm.pid!, 0);
        return false;
      } catch (e) {
        return (e as NodeJS.ErrnoException).code === 'ESRCH';
      }
    };
    await expect.poll(groupGone, { timeout: 5_000, interval: 100 }).toBe(true);
    // npm gives the terminal back only once the portal has stopped: nothing keeps running behind the prompt.
    expect(npmExitedAt).toBeGreaterThanOrEqual(stoppedAt);
  }, 300_000);
});
