/**
 * The portal in Debian Chromium: sign-up, keyboard access, model upload (and a
 * broken one), dataset registration, queueing, API tokens.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { registerMnistInBrowser, signUpInBrowser, usePortal } from '../helpers/portal';
import { PIPELINE_DIR } from '../helpers/reference';
import { db } from '../../lib/db/client';

const portal = usePortal();

describe('portal in a browser', () => {
  let page: Page;
  let slug = '';

  beforeAll(async () => {
    page = await portal.page();
  });

  it('signs up and lands in a lab of their own', async () => {
    slug = await signUpInBrowser(page, portal.base, { name: 'Ada Lovelace', email: 'ada@example.org', password: 'analytical-engine' });
    expect(await page.locator('h1').textContent()).toBe("Ada Lovelace's lab");
  });

  it('is keyboard accessible: the first Tab reaches the skip link', async () => {
    await page.goto(`${portal.base}/labs/${slug}`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
  });

  it('uploads a model through the form and shows its conv layers', async () => {
    await page.goto(`${portal.base}/labs/${slug}/models/new`);
    await page.getByLabel('Name').fill('mnist-cnn');
    await page.getByLabel(/Model files/).setInputFiles(path.join(PIPELINE_DIR, 'mnist_cnn.onnx'));
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.waitForURL(/\/models\/(?!new$)[a-z0-9]+$/);
    expect(await page.locator('td.mono').allTextContents()).toEqual(['conv1', 'conv2']);
  });

  it('shows the engine error for a broken model and stays on the form', async () => {
    await page.goto(`${portal.base}/labs/${slug}/models/new`);
    await page.getByLabel('Name').fill('broken');
    await page.getByLabel(/Model files/).setInputFiles({ name: 'broken.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from('not a model') });
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.locator('.alert.error').waitFor();
    expect(await page.locator('.alert.error').textContent()).toMatch(/not a usable ONNX model.*\(400\)/);
    expect(page.url()).toMatch(/\/models\/new$/);
  });

  it('registers MNIST and queues an analysis', async () => {
    await registerMnistInBrowser(page, portal.base, slug, 'mnist-test', 3);
    await page.goto(`${portal.base}/labs/${slug}/analyses/new`);
    await page.getByLabel(/Class index/).fill('3');
    await page.getByRole('button', { name: 'Queue analysis' }).click();
    await page.waitForURL(/\/analyses\/(?!new$)[a-z0-9]+$/);
    expect(await page.locator('.badge').first().textContent()).toBe('queued');
  });

  it('creates an API token shown once, which works on the API', async () => {
    await page.goto(`${portal.base}/settings/tokens`);
    await page.getByLabel('Token name').fill('scripts');
    await page.getByRole('button', { name: 'Create token' }).click();
    const token = (await page.getByLabel('New API token').textContent())!.trim();
    expect(token).toMatch(/^pcl_/);
    const res = await fetch(`${portal.base}/api/v1/labs/${slug}/models`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    await page.reload();
    expect(await page.content()).not.toContain(token);
  });

  it('invites a viewer, who signs up through the link and cannot write', async () => {
    await page.goto(`${portal.base}/labs/${slug}/members`);
    await page.getByLabel('Email').fill('vic@example.org');
    await page.getByLabel('Role', { exact: true }).selectOption('viewer');
    await page.getByRole('button', { name: 'Create invitation' }).click();
    const link = (await page.getByLabel('Invitation link').textContent())!.trim();
    expect(link).toMatch(/\/invite\/[A-Za-z0-9_-]+$/);

    const other = await portal.page();
    await other.goto(link);
    await other.getByRole('link', { name: 'Create an account' }).click();
    await other.getByLabel('Name').fill('Vic Viewer');
    await other.getByLabel(/^Password/).fill('viewer-password');
    expect(await other.getByLabel('Email').inputValue()).toBe('vic@example.org');
    await other.getByRole('button', { name: 'Create account' }).click();
    await other.waitForURL(new RegExp(`/labs/${slug}$`));
    expect(await other.getByText('you are viewer').count()).toBe(1);
    await other.goto(`${portal.base}/labs/${slug}/models/new`);
    expect(await other.locator('h1').textContent()).toBe('Not allowed');
    // The link has been used: it now only points its owner to the lab.
    await other.goto(link);
    expect(await other.getByRole('link', { name: /Go to/ }).count()).toBe(1);
  });

  it('signs out', async () => {
    await page.goto(`${portal.base}/signout`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${portal.base}/`);
    await page.goto(`${portal.base}/labs`);
    expect(page.url()).toMatch(/\/signin\?callbackUrl=%2Flabs$/);
  });

  it('refuses sign-in after 5 failures with a 429 message', async () => {
    const anon = await portal.page();
    await anon.goto(`${portal.base}/signin`);
    for (let i = 0; i < 6; i++) {
      await anon.getByLabel('Email').fill('ada@example.org');
      await anon.getByLabel('Password').fill(i < 5 ? `wrong-${i}` : 'analytical-engine');
      await anon.getByRole('button', { name: 'Sign in' }).click();
      if (i < 5) {
        // Wait until this failure is counted, then for the form to be ready again.
        await expect.poll(() => db.rateLimitEvent.count({ where: { bucket: 'login', key: 'ada@example.org|127.0.0.1' } })).toBe(i + 1);
        await anon.getByRole('button', { name: 'Sign in' }).waitFor();
        expect(await anon.locator('.alert.error').textContent()).toMatch(/Invalid email or password/);
      } else {
        const alert = anon.locator('.alert.error').filter({ hasText: 'Too many' });
        await alert.waitFor();
        expect(await alert.textContent()).toMatch(/Too many failed sign-in attempts \(429\)\. Try again in 15 minutes\./);
      }
    }
  });
});
