/**
 * A running portal for browser tests: a fresh test database, the production
 * server (scripts/dev.ts --production) on a free port, optionally real queue
 * workers, and Debian Chromium driven by playwright-core. Screenshots go to
 * test-artifacts/ (kept by CI as artifacts).
 *
 *   const portal = usePortal({ workers: 1 });
 *   const page = await portal.page();   // inside tests
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { freePort } from './ports';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { SESSION_COOKIE, sessionToken, useTestDatabase, type TestDatabase } from './db';
import { startWorker, type WorkerProcess } from './worker-process';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = path.join(ROOT, 'test-artifacts');

export interface Portal {
  readonly base: string;
  /** The server's main process (`node --import tsx scripts/dev.ts --production`, as `npm start`). */
  readonly server: ChildProcess;
  readonly db: TestDatabase;
  /** A new page in a fresh browser context (own cookies), 1280×800. */
  page(): Promise<Page>;
  /** A new page signed in as `userId` (the session cookie next-auth sets after sign-in). */
  pageAs(userId: string): Promise<Page>;
  /** Save a screenshot of `page` as test-artifacts/<name>.png. */
  screenshot(page: Page, name: string): Promise<string>;
}

/**
 * `env`: extra environment for the server (e.g. PCACE_TRUST_PROXY=1).
 * `browser: false`: tests that only make HTTP requests (no Chromium needed).
 */
export function usePortal(opts: { workers?: number; env?: Record<string, string>; browser?: boolean } = {}): Portal {
  const withBrowser = opts.browser !== false;
  const testDb = useTestDatabase();
  let server: ChildProcess | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  const workers: WorkerProcess[] = [];
  let base = '';

  beforeAll(async () => {
    if (withBrowser && !existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
    const port = await freePort();
    base = `http://localhost:${port}`;
    // One web process unless a test asks for more: each is a Next.js server of its own (memory, start-up time).
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: testDb.current.url, STORAGE_DIR: testDb.current.storageDir, NEXTAUTH_URL: base, NODE_ENV: 'production', PCACE_NO_WORKER: '1', PCACE_NO_SEED: '1', PCACE_WEB_PROCESSES: '1', ...opts.env };
    server = spawn(process.execPath, ['--import', 'tsx', 'scripts/dev.ts', '--production', '--port', String(port), '--host', '127.0.0.1'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (b: Buffer) => {
        log += b.toString();
        if (log.includes('server on')) resolve();
      };
      server!.stdout!.on('data', onData);
      server!.stderr!.on('data', onData);
      server!.on('exit', (code) => reject(new Error(`portal exited with ${code}:\n${log}`)));
    });
    for (let i = 0; i < (opts.workers ?? 0); i++) {
      workers.push(startWorker({ DATABASE_URL: testDb.current.url, STORAGE_DIR: testDb.current.storageDir, PCACE_WORKER_THREADS: '2' }, `e2e-worker-${i}`));
    }
    if (!withBrowser) return;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
    });
  }, 300_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    for (const w of workers) {
      if (w.child.exitCode === null) w.child.kill('SIGTERM');
      await w.exited;
    }
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server!.once('exit', r));
    }
  });

  async function page(): Promise<Page> {
    const context = await browser!.newContext({ viewport: { width: 1280, height: 800 } });
    contexts.push(context);
    return context.newPage();
  }

  return {
    get base() {
      return base;
    },
    get server() {
      return server!;
    },
    get db() {
      return testDb.current;
    },
    page,
    async pageAs(userId) {
      const p = await page();
      await p.context().addCookies([{ name: SESSION_COOKIE, value: await sessionToken(userId), url: base }]);
      return p;
    },
    async screenshot(page, name) {
      mkdirSync(ARTIFACTS, { recursive: true });
      const file = path.join(ARTIFACTS, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
  };
}

/** `who` signs up through the sign-up page on `page` and lands in a lab of their own; returns its slug. */
export async function signUpInBrowser(page: Page, base: string, who: { name: string; email: string; password: string }): Promise<string> {
  await page.goto(`${base}/signup`);
  await page.getByLabel('Name').fill(who.name);
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel(/^Password/).fill(who.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL(/\/labs\/[a-z0-9-]+$/);
  return page.url().split('/labs/')[1];
}

/** Registers the built-in MNIST test images of `digit` as dataset `name` of lab `slug` through the form on `page`, and waits for the dataset's page. */
export async function registerMnistInBrowser(page: Page, base: string, slug: string, name: string, digit: number): Promise<void> {
  await page.goto(`${base}/labs/${slug}/datasets/new`);
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Digit').selectOption(String(digit));
  await page.getByRole('button', { name: 'Register dataset' }).click();
  await page.waitForURL(/\/datasets\/(?!new$)[a-z0-9]+$/);
}
