/**
 * Cost estimate and lab limits in Debian Chromium against the production
 * build: the new-analysis form shows the estimate and follows the options,
 * shows the refusal past the CPU-hours limit (and queueing is refused with the
 * same words), members see the limits read-only, an owner raises one on the
 * members page and the form then allows the analysis.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { usePortal } from '../helpers/portal';
import { joinLab, mnistCnnLab } from '../helpers/lab-fixture';
import { db } from '../../lib/db/client';

const portal = usePortal();

describe('cost estimate and limits in the browser', () => {
  let slug = '';
  let ownerId = '';
  let memberId = '';

  const estimate = (page: Page) => page.getByTestId('estimate');
  const waitEstimate = (page: Page, re: RegExp) =>
    page.waitForFunction(([src, flags]) => new RegExp(src, flags).test(document.querySelector('[data-testid="estimate"]')?.textContent ?? ''), [re.source, re.flags] as const, { timeout: 30_000 });

  beforeAll(async () => {
    // Registered in this process through the same route handlers (the browser part is the form and the members page).
    const owner = await mnistCnnLab({ name: 'Olga Owner', email: 'olga@example.org', password: 'olga-password-1' });
    ownerId = owner.user.id;
    slug = owner.slug;
    memberId = await joinLab(owner.lab.id, { name: 'Mo Member', email: 'mo@example.org', password: 'mo-password-1' }, 'member');
  });

  it('shows the estimate on the form, follows the options, and shows the refusal past the limit', async () => {
    const page = await portal.pageAs(memberId);
    await page.goto(`${portal.base}/labs/${slug}/analyses/new`);
    await waitEstimate(page, /Estimated cost: ≈ .* CPU \(≈ .* on \d+ threads?\): 2 layers, 96 channels × 300 images — /);
    expect(await estimate(page).textContent()).toMatch(/Lab limit: 8 CPU-hours per analysis/);

    await page.getByLabel('Number of images').fill('1000');
    await waitEstimate(page, /96 channels × 1,000 images/);
    await page.locator('.pa-layer-list input').first().uncheck();
    await waitEstimate(page, /1 layer, 64 channels × 1,000 images/);

    // The threes hold 1,010 images (the form refuses more at the field): the permutations and replicates pass the limit.
    await page.getByLabel('Permutations').fill('10000');
    await page.getByLabel('Bootstrap replicates').fill('5000');
    await waitEstimate(page, /above this lab's limit of 8 CPU-hours per analysis/);
    const refusal = (await estimate(page).textContent()) ?? '';
    expect(refusal).toMatch(/^this analysis is estimated at [\d.,]+ CPU-hours \(≈ .*permutations \d+ %/);
    await portal.screenshot(page, 'limits-form-refusal');

    await page.getByRole('button', { name: 'Queue analysis' }).click();
    await page.locator('.alert.error[role="alert"]').waitFor();
    expect(await page.locator('.alert.error[role="alert"]').textContent()).toContain('above this lab\'s limit of 8 CPU-hours per analysis');
    expect(await db.analysis.count()).toBe(0);
  });

  it('shows the limits to members read-only; an owner raises one and the form then allows the analysis', async () => {
    const member = await portal.pageAs(memberId);
    await member.goto(`${portal.base}/labs/${slug}/members`);
    const table = member.locator('table.limits');
    expect(await table.locator('tbody tr').allTextContents()).toEqual([
      expect.stringMatching(/Workers at once2 workers \(default\)0 running/),
      expect.stringMatching(/Queued or running analyses20 analyses \(default\)0 queued or running/),
      expect.stringMatching(/Estimated CPU-hours per analysis8 CPU-hours \(default\)/),
      expect.stringMatching(/Storage \(models and datasets\)5,120 MB \(default\)[\d.]+ MB used/),
    ]);
    expect(await member.getByRole('button', { name: 'Save limits' }).count()).toBe(0);

    const owner = await portal.pageAs(ownerId);
    await owner.goto(`${portal.base}/labs/${slug}/members`);
    await owner.getByLabel(/Estimated CPU-hours per analysis/).fill('500');
    await owner.getByRole('button', { name: 'Save limits' }).click();
    await owner.getByText('Limits saved.').waitFor();
    expect((await db.lab.findFirstOrThrow({ where: { slug } })).maxCpuHoursPerAnalysis).toBe(500);

    await member.goto(`${portal.base}/labs/${slug}/analyses/new`);
    await member.getByLabel('Number of images').fill('1000');
    await member.getByLabel('Permutations').fill('10000');
    await member.getByLabel('Bootstrap replicates').fill('5000');
    await waitEstimate(member, /Estimated cost: ≈ .* 96 channels × [\d,]+ images .*Lab limit: 500 CPU-hours per analysis/);
    await portal.screenshot(member, 'limits-form-estimate');
  });
});
