/**
 * The lab history and discussions in Debian Chromium, on analyses seeded
 * straight into the database: timeline rows, filters in the URL (mouse and
 * keyboard), the activity chart's bars and tooltip, live progress, comments on
 * an analysis and on a channel (a script payload shown as text), pins listed
 * on the discussion and history pages, and what a viewer sees.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { usePortal } from '../helpers/portal';
import { seedMembers } from '../helpers/lab-fixture';
import { db } from '../../lib/db/client';

const portal = usePortal();

const DAY = 86_400_000;
const today = new Date().toISOString().slice(0, 10);
const dayOf = (offset: number) => new Date(Date.parse(`${today}T00:00:00Z`) + offset * DAY).toISOString().slice(0, 10);
const XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>';

const users: Record<string, string> = {};
const ids: Record<string, string> = {};
const SLUG = 'vision';

async function seed() {
  const lab = await db.lab.create({ data: { slug: SLUG, name: 'Vision lab' } });
  Object.assign(users, await seedMembers(lab.id, [['ada', 'Ada Lovelace', 'owner'], ['bob', 'Bob Noyce', 'member'], ['vic', 'Vic Viewer', 'viewer']]));
  const layers = [
    { name: 'conv1', channels: 4 },
    { name: 'conv2', channels: 8 },
  ];
  const model = await db.model.create({ data: { labId: lab.id, name: 'mnist-cnn', createdById: users.ada } });
  const mv = await db.modelVersion.create({ data: { modelId: model.id, version: 2, format: 'onnx', storagePath: 'm', sha256: 'm', sizeBytes: 1n, layers, inputShape: [1, 28, 28], outputShape: [10], createdById: users.ada } });
  const digits = await db.dataset.create({ data: { labId: lab.id, name: 'mnist-test', kind: 'mnist', spec: {}, classes: [], counts: {}, createdById: users.ada } });
  const plan: [string, string, number, 'completed' | 'failed' | 'running' | 'queued' | 'cancelled', number?][] = [
    ['baseline', 'ada', -12, 'completed', 420],
    ['wider net', 'bob', -5, 'completed', 95],
    ['oom run', 'bob', -5, 'failed', 20],
    ['class 7', 'ada', -2, 'completed', 130],
    ['stopped', 'bob', -2, 'cancelled', 3],
    ['live one', 'ada', 0, 'running'],
  ];
  let n = 0;
  for (const [title, by, day, status, seconds] of plan) {
    // Today's run started up to an hour ago: today, and never in the future.
    const createdAt = day === 0 ? new Date(Math.max(Date.parse(`${today}T00:00:00Z`), Date.now() - 3600_000)) : new Date(Date.parse(`${dayOf(day)}T09:00:00Z`) + n++ * 60_000);
    const startedAt = new Date(createdAt.getTime() + 10_000);
    const a = await db.analysis.create({
      data: {
        labId: lab.id, modelVersionId: mv.id, datasetId: digits.id, title, target: { kind: 'class', index: 3 }, layers: 'all', options: {}, status, createdById: users[by], createdAt, startedAt,
        finishedAt: seconds ? new Date(startedAt.getTime() + seconds * 1000) : null, progress: status === 'running' ? 0.3 : 1, currentLayer: status === 'running' ? 'conv2' : null,
        error: status === 'failed' ? 'activation budget exceeded' : null,
      },
    });
    ids[title] = a.id;
  }
  // Results for 'baseline': its top channels, to pin from the table.
  for (const [index, name, channels] of [
    [0, 'conv1', 4],
    [1, 'conv2', 8],
  ] as const) {
    const l = await db.layerResult.create({ data: { analysisId: ids.baseline, name, index, shape: [300, channels, 24, 24], seconds: 2 } });
    await db.channelResult.createMany({
      data: Array.from({ length: channels }, (_, c) => ({ layerResultId: l.id, channel: c, rank: ((c * 3) % channels) + 1, scorePc1: 0.5, scoreMultiple: 0.9 - c / 20, scoreCrossfit: 0.8 - c / 20, rsq: 0.5, pValue: 0.01, components: 5, explainedVariance: 0.9, meanActivation: 0.1, maxActivation: 1 })),
    });
  }
  await db.lab.create({ data: { slug: 'empty-lab', name: 'Empty lab', memberships: { create: { userId: users.ada, role: 'owner' } } } });
}

const signedIn = (who: string) => portal.pageAs(users[who]);

describe('lab history and discussions', () => {
  let page: Page;
  let base = '';

  beforeAll(async () => {
    await seed();
    base = `${portal.base}/labs/${SLUG}`;
    page = await signedIn('ada');
  });

  it('shows the timeline, newest first, with status, model, dataset, person, duration and live progress', async () => {
    await page.goto(`${base}/history`);
    const rows = page.locator('li.hist-entry');
    await rows.first().waitFor();
    expect(await page.locator('.hist-title').allTextContents()).toEqual(['live one', 'stopped', 'class 7', 'oom run', 'wider net', 'baseline']);
    const baseline = page.locator(`li.hist-entry[data-analysis="${ids.baseline}"]`);
    const text = (await baseline.textContent())!;
    for (const part of ['completed', 'mnist-cnn v2', 'mnist-test', 'class 3', 'Ada Lovelace', 'took 7 min 00 s']) expect(text).toContain(part);
    expect(await page.locator(`li.hist-entry[data-analysis="${ids['oom run']}"] .hist-error`).textContent()).toBe('activation budget exceeded');
    const live = page.locator(`li.hist-entry[data-analysis="${ids['live one']}"]`);
    expect(await live.locator('.hist-progress').textContent()).toContain('30% · conv2');
    // The worker moves on: the row follows without a reload.
    await db.analysis.update({ where: { id: ids['live one'] }, data: { progress: 0.75 } });
    await live.locator('.hist-progress', { hasText: '75%' }).waitFor({ timeout: 15_000 });
    expect(await page.getByRole('link', { name: 'History' }).count()).toBeGreaterThan(0);
    await portal.screenshot(page, 'history-timeline');
  });

  it('draws the activity chart with one bar per day and status, and exact values in the tooltip', async () => {
    const bars = page.locator('rect.hist-bar');
    const data = await bars.evaluateAll((els) => els.map((e) => `${e.getAttribute('data-day')} ${e.getAttribute('data-key')} ${e.getAttribute('data-count')}`));
    expect(data.sort()).toEqual(
      [`${dayOf(-12)} completed 1`, `${dayOf(-5)} completed 1`, `${dayOf(-5)} failed 1`, `${dayOf(-2)} completed 1`, `${dayOf(-2)} cancelled 1`, `${today} running 1`].sort(),
    );
    await page.locator(`rect.hist-hit[data-day="${dayOf(-5)}"]`).hover();
    const tip = page.locator('.hist-tip');
    await tip.waitFor();
    const tipText = (await tip.innerText()).replace(/\s+/g, ' ');
    expect(tipText).toMatch(/completed 1/);
    expect(tipText).toMatch(/failed 1/);
    expect(tipText).toMatch(/total 2/);
    await portal.screenshot(page, 'history-chart-tooltip');

    // Keyboard: one tab stop, arrows walk the days, the live region reads them, Enter filters to the day.
    await page.locator('svg.hist-svg').focus();
    await page.keyboard.press('End');
    for (let i = 0; i < 2; i++) await page.keyboard.press('ArrowLeft');
    expect(await page.locator('.hist-chart [aria-live="polite"]').textContent()).toMatch(new RegExp(`2 analyses — 1 completed, 1 cancelled`));
    await page.keyboard.press('Enter');
    await page.waitForURL(`${base}/history?from=${dayOf(-2)}&to=${dayOf(-2)}`);
    await page.locator('.hist-title').first().waitFor();
    expect(await page.locator('.hist-title').allTextContents()).toEqual(['stopped', 'class 7']);
  });

  it('filters through the form into the URL, and from the URL back into the form', async () => {
    await page.goto(`${base}/history`);
    await page.getByLabel('Status', { exact: true }).selectOption('completed');
    await page.getByLabel('Person').selectOption({ label: 'Bob Noyce' });
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(`${base}/history?status=completed&person=${users.bob}`);
    await page.locator('.hist-title', { hasText: 'wider net' }).waitFor();
    expect(await page.locator('.hist-title').allTextContents()).toEqual(['wider net']);

    // A shared link opens the same view; the keyboard reaches every filter.
    const other = await signedIn('ada');
    await other.goto(`${base}/history?status=failed&group=person`);
    expect(await other.locator('.hist-title').allTextContents()).toEqual(['oom run']);
    expect(await other.getByLabel('Status', { exact: true }).inputValue()).toBe('failed');
    expect(await other.getByLabel('Chart by').inputValue()).toBe('person');
    expect(await other.locator('.hist-legend li').allTextContents()).toEqual(['Bob Noyce 1']);
    // Hydration and the first live-progress poll may re-render the form: focus after they settle.
    await other.waitForLoadState('networkidle');
    await other.getByLabel('Status', { exact: true }).focus();
    await expect.poll(() => other.evaluate(() => document.activeElement?.id ?? '')).toBe('hf-status');
    const order: string[] = [];
    // Date inputs take several Tab presses (day, month, year): count each control once.
    for (let i = 0; i < 15 && order.at(-1) !== 'hf-group'; i++) {
      await other.keyboard.press('Tab');
      const id = await other.evaluate(() => document.activeElement?.id ?? '');
      if (order.at(-1) !== id) order.push(id);
    }
    expect(order).toEqual(['hf-model', 'hf-dataset', 'hf-person', 'hf-from', 'hf-to', 'hf-group']);
    await other.getByRole('link', { name: /Clear 1 filter/ }).click();
    await other.waitForURL(`${base}/history`);

    await other.goto(`${base}/history?from=2026-02-31`);
    expect(await other.locator('.hist-bad-filter').textContent()).toMatch(/These filters cannot be applied: from must be a date as YYYY-MM-DD/);
    await other.goto(`${base}/history?person=${users.vic}`);
    expect(await other.locator('.hist-empty').textContent()).toMatch(/No analyses match these filters/);
    await other.goto(`${portal.base}/labs/empty-lab/history`);
    expect(await other.locator('.hist-empty').textContent()).toMatch(/No analyses yet/);
    expect(await other.locator('rect.hist-bar').count()).toBe(0);
    expect(await other.locator('.hist-empty-text').textContent()).toBe('No analyses in this range');
  });

  it('posts a comment on an analysis (shown as text, not HTML) and edits it', async () => {
    await page.goto(`${base}/history`);
    await page.locator(`li.hist-entry[data-analysis="${ids.baseline}"] .hist-counts`).click();
    await page.waitForURL(`${base}/history/${ids.baseline}`);
    await page.getByLabel('Add a comment').fill(`Stable ranks.\n${XSS}`);
    await page.getByRole('button', { name: 'Post comment' }).click();
    const body = page.locator('.disc-comment .disc-body').first();
    await body.waitFor();
    expect(await body.textContent()).toBe(`Stable ranks.\n${XSS}`);
    expect(await page.locator('.disc-comment img, .disc-comment script').count()).toBe(0);
    expect(await page.evaluate(() => (window as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.locator('.disc-comment .disc-author').first().textContent()).toBe('Ada Lovelace');
    expect(await page.locator('.disc-comment time').first().textContent()).toBe('just now');

    await page.getByRole('button', { name: 'Edit comment by Ada Lovelace' }).click();
    await page.getByLabel('Edit your comment').fill('Stable ranks across k = 3..9.');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('.disc-body', { hasText: 'Stable ranks across k = 3..9.' }).waitFor();
    expect(await page.locator('.disc-comment').first().textContent()).toContain('edited');
    // The thread survives a reload (it is stored), and the timeline counts it.
    await page.reload();
    expect(await page.locator('.disc-body').first().textContent()).toBe('Stable ranks across k = 3..9.');
    // The analysis page embeds the same thread (loaded from the comments API).
    await page.goto(`${base}/analyses/${ids.baseline}`);
    const embedded = page.locator(`[data-thread="${ids.baseline}||"]`);
    await embedded.locator('.disc-body').first().waitFor();
    expect(await embedded.locator('.disc-body').allTextContents()).toEqual(['Stable ranks across k = 3..9.']);
    await page.goto(`${base}/history/${ids.baseline}`);
  });

  it('posts a comment on a channel picked by layer and index', async () => {
    await page.getByLabel('Layer').selectOption('conv2');
    await page.getByLabel('Channel', { exact: true }).fill('5');
    await page.getByRole('button', { name: 'Show channel' }).click();
    await page.waitForURL(`${base}/history/${ids.baseline}?layer=conv2&channel=5#channel`);
    await page.getByLabel('Comment on conv2 channel 5').fill('Fires on loops of 6 and 9.');
    await page.getByRole('button', { name: 'Post comment' }).nth(1).click();
    const thread = page.locator('[data-thread$="|conv2|5"]');
    await thread.locator('.disc-body', { hasText: 'Fires on loops' }).waitFor();
    expect(await thread.locator('h4').textContent()).toBe('Comments on conv2 channel 5 (1)');
    // The analysis-level thread does not show channel comments.
    expect(await page.locator(`[data-thread="${ids.baseline}||"] .disc-body`).allTextContents()).toEqual(['Stable ranks across k = 3..9.']);
    await page.goto(`${base}/history/${ids.baseline}?layer=conv2&channel=9`);
    expect(await page.locator('.disc-channel .alert.error').textContent()).toBe('channel 9 is out of range: conv2 has 8 channels (0–7)');
  });

  it('pins a channel with a note and lists it on the discussion and history pages', async () => {
    await page.goto(`${base}/history/${ids.baseline}?layer=conv2&channel=5`);
    const panel = page.locator('.disc-channel-panel');
    await panel.getByRole('button', { name: 'Pin conv2 channel 5' }).click();
    await panel.getByLabel('Note for conv2 channel 5').fill('loop detector');
    await panel.getByRole('button', { name: 'Pin', exact: true }).click();
    const toggle = panel.getByRole('button', { name: 'Pin conv2 channel 5' });
    await expect.poll(() => toggle.getAttribute('aria-pressed')).toBe('true');
    const pinned = page.locator('.disc-pins tr', { hasText: 'conv2 #5' });
    await pinned.waitFor();
    expect(await pinned.textContent()).toContain('loop detector');
    // One-click pin from the top-channels table.
    const row = page.locator('table.disc-top').first().locator('tbody tr').first();
    const channel = (await row.locator('td').nth(1).textContent())!;
    await row.getByRole('button', { name: `Pin conv1 channel ${channel}` }).click();
    await page.locator('.disc-pins tr', { hasText: `conv1 #${channel}` }).waitFor();
    await portal.screenshot(page, 'history-discussion');

    await page.goto(`${base}/history`);
    const lab = page.locator('.disc-pins');
    expect(await lab.locator('tbody tr').count()).toBe(2);
    expect(await lab.textContent()).toContain('loop detector');
    expect(await lab.textContent()).toContain('baseline');
    expect(await page.locator(`li.hist-entry[data-analysis="${ids.baseline}"] .hist-counts`).textContent()).toBe('2 comments · 2 pins');
    // Unpin from the list.
    await lab.getByRole('button', { name: `Unpin conv1 channel ${channel}` }).click();
    await expect.poll(() => lab.locator('tbody tr').count()).toBe(1);
    await portal.screenshot(page, 'history-pins');
  });

  it('lets a viewer read the discussion and pins but not write', async () => {
    const vic = await signedIn('vic');
    await vic.goto(`${base}/history/${ids.baseline}?layer=conv2&channel=5`);
    await vic.locator('.disc-body').first().waitFor();
    expect(await vic.locator('.disc-body').allTextContents()).toEqual(['Stable ranks across k = 3..9.', 'Fires on loops of 6 and 9.']);
    expect(await vic.locator('textarea').count()).toBe(0);
    expect(await vic.getByText('Viewers can read the discussion; members and owners can write.').count()).toBe(2);
    expect(await vic.getByRole('button', { name: /^Pin / }).count()).toBe(0);
    expect(await vic.locator('.disc-pins tbody tr').allTextContents()).toEqual([expect.stringContaining('conv2 #5')]);
    expect(await vic.getByRole('button', { name: /Unpin|Delete|Edit/ }).count()).toBe(0);
  });
});
