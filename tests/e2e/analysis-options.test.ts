/**
 * The new-analysis form built from the options' declaration
 * (lib/analysis/options.ts), in Debian Chromium against the production build:
 * a field per declared option with its label, default and bounds; fields that
 * do not apply hidden (the verdict options without a null, the cross-fit cap
 * without cross-fit repeats); a refused combination shown at its field with the
 * declared message; and the queued analysis storing every option.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { usePortal } from '../helpers/portal';
import { mnistCnnLab } from '../helpers/lab-fixture';
import { db } from '../../lib/db/client';
import { OPTION_LIST, REFUSALS, applies, formatValue, nounOf, withDefaults } from '../../lib/analysis/options';

const portal = usePortal();

describe('the analysis options on the form', () => {
  let slug = '';
  let userId = '';

  const open = async (): Promise<Page> => {
    const page = await portal.pageAs(userId);
    await page.goto(`${portal.base}/labs/${slug}/analyses/new`);
    await page.locator('#an-images').waitFor();
    return page;
  };
  const shown = (page: Page, field: string) => page.locator(`#an-${field}`).count().then((n) => n > 0);

  beforeAll(async () => {
    const owner = await mnistCnnLab({ name: 'Otto Options', email: 'otto@example.org', password: 'otto-password-1' });
    userId = owner.user.id;
    slug = owner.slug;
  });

  it('has a field per declared option, with its label and default', async () => {
    const page = await open();
    // Options that only apply once a boolean option is on (the importance measures' sub-options)
    // are hidden at the defaults: the checked fields then come in two rounds.
    const defaults = withDefaults({});
    const hidden = OPTION_LIST.filter((d) => !applies(d, defaults, { format: 'onnx' }));
    expect(hidden.map((d) => d.name).sort()).toEqual(['conductanceSteps', 'curveRandomOrders']);
    for (const d of OPTION_LIST.filter((o) => !hidden.includes(o))) await expectField(page, d);
    for (const d of hidden) expect(await page.locator(`#an-${d.form.field}`).count(), d.name).toBe(0);
    await page.locator('#an-ablation').check();
    for (const d of hidden) {
      await page.locator(`#an-${d.form.field}`).waitFor();
      await expectField(page, d);
    }
  });

  const expectField = async (page: Page, d: (typeof OPTION_LIST)[number]) => {
    const label = page.locator(`label[for="an-${d.form.field}"]`);
    expect(await label.count(), d.name).toBe(1);
    expect(await label.textContent(), d.name).toContain(d.label);
    const control = page.locator(`#an-${d.form.field}`);
    if (d.type === 'boolean') expect(await control.isChecked(), d.name).toBe(d.default);
    else if (d.type !== 'components-list') expect(await control.inputValue(), d.name).toBe(formatValue(d.default));
    if (d.type === 'int') expect(await control.getAttribute('max'), d.name).toBe(String(d.max));
  };

  it('hides the options that do not apply, and shows them again', async () => {
    const page = await open();
    const verdictFields = OPTION_LIST.filter((d) => d.appliesTo?.unless?.option === 'nullPermutations').map((d) => d.form.field);
    expect(verdictFields.sort()).toEqual(['alpha', 'perChannelNull', 'pi0']);
    await page.locator('#an-nullPermutations').fill('0');
    await page.waitForFunction(() => !document.querySelector('#an-alpha'));
    for (const f of verdictFields) expect(await shown(page, f), f).toBe(false);
    await page.locator('#an-nullPermutations').fill('auto');
    await page.locator('#an-alpha').waitFor();
    for (const f of verdictFields) expect(await shown(page, f), f).toBe(true);

    await page.locator('#an-crossFitRepeats').fill('0');
    await page.waitForFunction(() => !document.querySelector('#an-crossFitCap'));
    await page.locator('#an-crossFitRepeats').fill('2');
    await page.locator('#an-crossFitCap').waitFor();
  });

  it('shows a refused combination at its field with the declared message, and queues every option', async () => {
    const page = await open();
    await page.getByLabel('Ranking score').selectOption('z_multiple');
    await page.locator('#an-permutations').fill('1');
    await page.getByRole('button', { name: 'Queue analysis' }).click();
    const declared = REFUSALS.find((r) => r.id === 'z-needs-permutations')!.message(withDefaults({ rankBy: 'z_multiple', permutations: 1 }), nounOf);
    await page.locator('#an-rankBy-err').waitFor();
    expect(await page.locator('#an-rankBy-err').textContent()).toBe(declared);

    // Fixed, with verdict options set on the form: stored as given, the rest at their defaults.
    await page.locator('#an-permutations').fill('3');
    await page.locator('#an-images').fill('40');
    await page.locator('#an-nullPermutations').fill('12');
    await page.locator('#an-alpha').fill('0.1');
    await page.locator('#an-pi0').check();
    await page.getByRole('button', { name: 'Queue analysis' }).click();
    await page.waitForURL(/\/analyses\/(?!new)[^/]+$/, { timeout: 30_000 });
    const a = await db.analysis.findFirstOrThrow({ where: { lab: { slug } }, orderBy: { createdAt: 'desc' } });
    expect(a.options).toEqual(withDefaults({ rankBy: 'z_multiple', permutations: 3, images: 40, nullPermutations: 12, alpha: 0.1, pi0: true }));
  });
});
