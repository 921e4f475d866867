/**
 * Every mark of a chart opens what it shows, by mouse and by keyboard, in
 * Debian Chromium: a histogram bar lists its channels in the analysis' table,
 * a cell of the classes heatmaps opens the comparison of its pair (the
 * diagonal, its own analysis), a mover row and a point of the runs scatter
 * open their channel. Results are stored as a worker stores them
 * (bench/compare-seed.ts). Screenshots go to test-artifacts/.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { seedNetwork } from '../../bench/compare-seed';
import { db } from '../../lib/db/client';
import { signUp } from '../../lib/server/signup';
import { usePortal } from '../helpers/portal';

const portal = usePortal();
const CNN: [string, number, number][] = [
  ['conv1', 16, 24],
  ['conv2', 32, 12],
];
const runs: Record<string, string> = {};
let slug = '';
let userId = '';

beforeAll(async () => {
  const { user, lab } = await signUp({ name: 'Dorothy Hodgkin', email: 'dorothy@example.org', password: 'penicillin-insulin-b12' }, new Headers());
  [slug, userId] = [lab.slug, user.id];
  const base = { labId: lab.id, userId: user.id, modelName: 'mnist-cnn', layers: CNN, permutations: 99 };
  runs.three = (await seedNetwork(db, { ...base, classIndex: 3, runSeed: 1, title: 'digit 3, run 1' })).analysisId;
  runs.threeAgain = (await seedNetwork(db, { ...base, classIndex: 3, runSeed: 2, title: 'digit 3, run 2' })).analysisId;
  runs.five = (await seedNetwork(db, { ...base, classIndex: 5, runSeed: 1, title: 'digit 5' })).analysisId;
}, 120_000);

const channelUrl = (analysis: string, layer: string) => new RegExp(`/labs/${slug}/analyses/${analysis}/layers/${layer}/channels/(\\d+)$`);
const drawn = (page: Page) => page.locator('.cmp-view[data-drawn="true"]').waitFor({ timeout: 30_000 });

/** The channels of `layer` whose cross-fitted score (the analyses' ranking measure) a bar [x0, x1) — or [x0, x1] — holds. */
async function channelsIn(analysisId: string, layer: string, x0: number, x1: number, closed: boolean): Promise<number[]> {
  const rows = await db.channelResult.findMany({ where: { layerResult: { analysisId, name: layer } }, select: { channel: true, scoreCrossfit: true } });
  return rows
    .filter((r) => r.scoreCrossfit !== null && r.scoreCrossfit >= x0 && (r.scoreCrossfit < x1 || (closed && r.scoreCrossfit <= x1)))
    .map((r) => r.channel)
    .sort((a, b) => a - b);
}

/** What the analysis page's table lists now, and the bar in its URL. */
async function listed(page: Page) {
  const channels = (await page.locator('table.pa-channels tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-channel'))))).sort((a, b) => a - b);
  const [x0, x1, closed] = (new URL(page.url()).searchParams.get('bin') ?? '').split(',');
  return { channels, x0: Number(x0), x1: Number(x1), closed: closed === 'closed', layer: new URL(page.url()).searchParams.get('layer') };
}

describe('chart marks that lead somewhere', () => {
  it('lists a histogram bar’s channels in the table, by click and by Enter', async () => {
    const page = await portal.pageAs(userId);
    await page.goto(`${portal.base}/labs/${slug}/analyses/${runs.three}`);
    const hists = page.locator('svg[data-chart="histogram"]');
    await hists.first().waitFor();
    // conv2's tallest bar, by mouse.
    const conv2 = hists.nth(1);
    const counts = await conv2.locator('[data-bar]').evaluateAll((bars) => bars.map((b) => Number(/: (\d+) channels/.exec(b.getAttribute('aria-label') ?? '')?.[1] ?? 0)));
    const tallest = counts.indexOf(Math.max(...counts));
    await conv2.locator(`[data-bar="${tallest}"]`).click();
    await expect.poll(() => page.locator('#pa-bin-filter').count()).toBe(1);
    let shown = await listed(page);
    expect(shown.layer).toBe('conv2');
    expect(shown.channels).toHaveLength(counts[tallest]);
    expect(shown.channels).toEqual(await channelsIn(runs.three, 'conv2', shown.x0, shown.x1, shown.closed));
    expect(await page.locator('#pa-bin-filter').textContent()).toMatch(new RegExp(`^Showing the ${counts[tallest]} of 32 channels with cross-fitted`));
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('pa-bin-filter');
    await portal.screenshot(page, 'chart-marks-histogram-bin');

    // The link reproduces the filtered table.
    await page.reload();
    expect((await listed(page)).channels).toEqual(shown.channels);

    // conv1's first non-empty bar after the first, by keyboard: the bars' one tab stop, arrows, Enter.
    const conv1 = hists.nth(0);
    const counts1 = await conv1.locator('[data-bar]').evaluateAll((bars) => bars.map((b) => Number(/: (\d+) channels/.exec(b.getAttribute('aria-label') ?? '')?.[1] ?? 0)));
    const target = counts1.findIndex((c, i) => i > 0 && c > 0);
    expect(target).toBeGreaterThan(0);
    expect(await conv1.locator('[data-bar][tabindex="0"]').count()).toBe(1);
    await conv1.locator('[data-bar][tabindex="0"]').focus();
    for (let i = 0; i < target; i++) await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await listed(page)).layer).toBe('conv1');
    shown = await listed(page);
    expect(shown.channels).toHaveLength(counts1[target]);
    expect(shown.channels).toEqual(await channelsIn(runs.three, 'conv1', shown.x0, shown.x1, shown.closed));

    await page.getByRole('button', { name: 'Show all channels' }).click();
    await expect.poll(() => page.locator('table.pa-channels tbody tr').count()).toBe(16);
    expect(new URL(page.url()).searchParams.get('bin')).toBeNull();
  });

  it('opens the comparison of a heatmap cell’s pair of classes, and a class’s own analysis on the diagonal', async () => {
    const page = await portal.pageAs(userId);
    const classes = `${portal.base}/labs/${slug}/compare/classes?analyses=${runs.three},${runs.five}&layer=conv2`;
    await page.goto(classes);
    await drawn(page);
    const payload = (await (await page.request.get(`${portal.base}/api/v1/labs/${slug}/compare/classes?analyses=${runs.three},${runs.five}&layer=conv2`)).json()) as { analyses: { id: string }[] };
    const [a, b] = payload.analyses.map((x) => x.id);
    expect(new Set([a, b])).toEqual(new Set([runs.three, runs.five]));

    await page.locator('[data-testid="cmp-class-heatmap"] [data-cell="0-1"]').click();
    await page.waitForURL(new RegExp(`/compare/runs\\?a=${a}&b=${b}&layer=conv2$`));
    await drawn(page);
    // Two classes compared as runs: said above the comparison.
    expect(await page.getByTestId('cmp-mismatch').textContent()).toMatch(/their targets differ/);
    await portal.screenshot(page, 'chart-marks-heatmap-pair');

    // By keyboard on the overlap heatmap: its one tab stop starts on the diagonal; → then Enter opens the pair.
    await page.goto(classes);
    await drawn(page);
    const overlap = page.locator('[data-testid="cmp-class-overlap"] svg.pc-chart-svg');
    await overlap.focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`/labs/${slug}/analyses/${a}\\?layer=conv2$`));
    await page.goBack();
    await drawn(page);
    await overlap.focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`/compare/runs\\?a=${a}&b=${b}&layer=conv2$`));
  });

  it('opens a mover’s channel from its row, and a channel from a point of the rank scatter', async () => {
    const page = await portal.pageAs(userId);
    const compare = `${portal.base}/labs/${slug}/compare/runs?a=${runs.three}&b=${runs.threeAgain}&layer=conv2`;
    await page.goto(compare);
    await drawn(page);
    const first = page.locator('[data-testid="cmp-movers"] tbody tr').first();
    const channel = await first.getAttribute('data-channel');
    // A click anywhere on the row (here its "Moved" cell).
    await first.locator('td').nth(3).click();
    await page.waitForURL(channelUrl(runs.three, 'conv2'));
    expect(page.url().endsWith(`/channels/${channel}`)).toBe(true);
    expect(await page.locator('h1').textContent()).toBe(`Channel ${channel} · conv2`);

    // By keyboard: the row's channel link.
    await page.goto(compare);
    await drawn(page);
    const second = page.locator('[data-testid="cmp-movers"] tbody tr').nth(1);
    const secondChannel = await second.getAttribute('data-channel');
    await second.getByRole('link').focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`/analyses/${runs.three}/layers/conv2/channels/${secondChannel}$`));

    // The scatter's keyboard cursor: focus puts it on the leftmost point (rank 1 in run A), Enter opens it.
    await page.goto(compare);
    await drawn(page);
    const top = await db.channelResult.findFirstOrThrow({ where: { layerResult: { analysisId: runs.three, name: 'conv2' }, rank: 1 } });
    await page.locator('[data-testid="cmp-rank-scatter"] svg.pc-chart-svg').focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`/analyses/${runs.three}/layers/conv2/channels/${top.channel}$`));
  });
});
