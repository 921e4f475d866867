/**
 * The compare views in Debian Chromium, on synthetic full networks stored
 * through saveLayerResult (ResNet-18: 20 conv layers, 4,800 channels; VGG-16:
 * 13 layers, 4,224): what each view draws is counted against the data.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { RESNET18, seedNetwork, VGG16 } from '../../bench/compare-seed';
import { db } from '../../lib/db/client';
import { signUp } from '../../lib/server/signup';
import { usePortal } from '../helpers/portal';

const portal = usePortal();
const ids: Record<string, string> = {};
let slug = '';
let userId = '';

beforeAll(async () => {
  const { user, lab } = await signUp({ name: 'Compare Viewer', email: 'compare@example.org', password: 'compare-password' }, new Headers());
  slug = lab.slug;
  userId = user.id;
  const base = { labId: lab.id, userId: user.id };
  ids.vgg = (await seedNetwork(db, { ...base, modelName: 'vgg16', layers: VGG16, classIndex: 0, runSeed: 1, title: 'VGG-16 cat' })).analysisId;
  ids.r0 = (await seedNetwork(db, { ...base, modelName: 'resnet18', layers: RESNET18, classIndex: 0, runSeed: 1, permutations: 99, title: 'ResNet-18 cat' })).analysisId;
  for (const c of [1, 2, 3]) ids[`r${c}`] = (await seedNetwork(db, { ...base, modelName: 'resnet18', layers: RESNET18, classIndex: c, runSeed: 1, title: `ResNet-18 class ${c}` })).analysisId;
  ids.run2 = (await seedNetwork(db, { ...base, modelName: 'resnet18', layers: RESNET18, classIndex: 0, runSeed: 2, images: 500, title: 'ResNet-18 cat, second sample' })).analysisId;
  ids.abl = (await seedNetwork(db, { ...base, modelName: 'resnet18', layers: RESNET18, classIndex: 4, runSeed: 3, ablation: true, title: 'ResNet-18 with ablation' })).analysisId;
  const empty = await db.lab.create({ data: { slug: 'empty-lab', name: 'Empty lab' } });
  await db.membership.create({ data: { labId: empty.id, userId: user.id, role: 'viewer' } });
}, 300_000);

const signedIn = () => portal.pageAs(userId);

const drawn = (page: Page) => page.locator('.cmp-view[data-drawn="true"]').waitFor({ timeout: 30_000 });
const attr = async (page: Page, selector: string, name: string) => Number(await page.locator(selector).getAttribute(name));

describe('compare views in a browser', () => {
  it('lists the four comparisons with pickers of the completed analyses, and opens one', async () => {
    const page = await signedIn();
    await page.goto(`${portal.base}/labs/${slug}`);
    await page.getByRole('navigation', { name: 'Lab' }).getByRole('link', { name: 'Compare' }).click();
    await page.waitForURL(/\/compare$/);
    expect(await page.locator('.cmp-landing h2').allTextContents()).toEqual(['Architectures', 'Classes', 'Runs', 'Methods']);
    expect(await page.getByLabel('Network A').locator('option').count()).toBe(7);
    expect(await page.locator('.cmp-links a').allTextContents()).toEqual([expect.stringMatching(/^resnet18 v1: 6 analyses \(class \d/)]);
    await portal.screenshot(page, 'compare-landing');
    await page.getByLabel('Network A').selectOption(ids.r0);
    await page.getByLabel('Network B').selectOption(ids.vgg);
    await page.getByRole('button', { name: 'Compare architectures' }).click();
    await page.waitForURL(new RegExp(`/compare/architectures\\?a=${ids.r0}&b=${ids.vgg}$`));
    await drawn(page);
  });

  it('compares architectures: curves, boxes and maxima for every layer of both networks, and a summary', async () => {
    const page = await signedIn();
    await page.goto(`${portal.base}/labs/${slug}/compare/architectures?a=${ids.r0}&b=${ids.vgg}`);
    await drawn(page);
    const render = await page.evaluate(() => performance.getEntriesByName('cmp:chart-drawn')[0]?.startTime);
    console.log(`architectures: chart drawn ${Math.round(render)} ms after navigation start`);
    const curves = '[data-testid="cmp-depth-curves"]';
    expect(await attr(page, `${curves} path[data-series="0"]`, 'data-points')).toBe(4800);
    expect(await attr(page, `${curves} path[data-series="1"]`, 'data-points')).toBe(4224);
    expect(await page.locator(`${curves} [data-axis-label="x"]`).textContent()).toBe('relative depth (layer position / conv layers)');
    expect(await page.locator(`${curves} [data-axis-label="y"]`).textContent()).toBe('cross-fitted score');
    expect(await attr(page, '[data-testid="cmp-depth-boxes"] g[data-series="0"]', 'data-boxes')).toBe(20);
    expect(await attr(page, '[data-testid="cmp-depth-boxes"] g[data-series="1"]', 'data-boxes')).toBe(13);
    expect(await attr(page, '[data-testid="cmp-max-depth"] g[data-series="0"]', 'data-points')).toBe(20);
    expect(await attr(page, '[data-testid="cmp-max-depth"] g[data-series="1"]', 'data-points')).toBe(13);
    const rows = page.locator('[data-testid="cmp-summary"] tbody tr');
    expect(await rows.count()).toBe(2);
    // Channels beating noise under each layer's stored rule (q < α, BH per layer); the VGG run has no null: not calibrated.
    expect(await rows.nth(0).locator('td').allTextContents()).toEqual([
      '20',
      '4,800',
      expect.any(String),
      expect.stringMatching(/\(\d(\.\d+)?\)$/),
      expect.stringMatching(/% of 4,800$/),
      expect.stringMatching(/^q < 0\.05 \(BH per layer\) against a pooled permutation null of the cross-fitted score, B = \d+/),
    ]);
    expect(await rows.nth(1).locator('td').allTextContents()).toEqual(['13', '4,224', expect.any(String), expect.any(String), 'not calibrated', 'not calibrated']);

    // Exact values: keyboard along the ResNet curve, then the mouse.
    await page.locator(`${curves} svg`).focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.locator(`${curves} .pc-chart-tip`).textContent()).toMatch(/conv1 \(depth 0\.05\)channel \d+: rank 2 of 64cross-fitted score: -?\d\.\d+/);
    await page.keyboard.press('ArrowDown');
    expect(await page.locator(`${curves} .pc-chart-tip`).textContent()).toMatch(/^vgg16 v1 · class 0features\.0/);
    await page.locator('[data-testid="cmp-max-depth"] g[data-series="1"] circle').last().hover();
    expect(await page.locator('[data-testid="cmp-max-depth"] .pc-chart-tip').textContent()).toMatch(/^vgg16 v1 · class 0features\.28 \(depth 1\)best channel \d+cross-fitted score: /);
    await portal.screenshot(page, 'compare-architectures');

    // Exports: the plotted points as CSV, the chart as SVG and PNG.
    const csv = await download(page, () => page.getByRole('button', { name: 'Download the data of Sorted scores by relative depth as CSV' }).click());
    expect(csv.name).toBe('sorted-scores-by-depth.csv');
    const lines = csv.text.trim().split('\r\n');
    expect(lines[0]).toBe('network,layer,depth,rank,channel,score');
    expect(lines).toHaveLength(1 + 4800 + 4224);
    const svg = await download(page, () => page.getByRole('button', { name: 'Download Sorted scores by relative depth as SVG' }).click());
    expect(svg.text).toMatch(/^<\?xml[\s\S]*<svg[\s\S]*data-points="4800"/);
    const png = await download(page, () => page.getByRole('button', { name: 'Download Maximum score by depth as PNG' }).click());
    expect(png.bytes.subarray(1, 4).toString()).toBe('PNG');
  });

  it('compares classes: a classes² heatmap with p-values, kept in the URL', async () => {
    const page = await signedIn();
    const four = [ids.r0, ids.r1, ids.r2, ids.r3].join(',');
    await page.goto(`${portal.base}/labs/${slug}/compare/classes?analyses=${four}&layer=layer4.1.conv2&k=20`);
    await drawn(page);
    expect(await page.locator('[data-testid="cmp-class-heatmap"] [data-cell]').count()).toBe(16);
    expect(await page.locator('[data-testid="cmp-class-overlap"] [data-cell]').count()).toBe(16);
    expect(await page.locator('[data-testid="cmp-class-heatmap"] [data-axis-label="row"]').allTextContents()).toEqual(['class 0', 'class 1', 'class 2', 'class 3']);
    expect(await page.locator('[data-testid="cmp-class-pairs"] tbody tr').count()).toBe(6);
    expect(await page.getByTestId('cmp-verdict').textContent()).toMatch(/Layer layer4\.1\.conv2, 512 channels ranked by the cross-fitted score: \d of 6 class pairs have p < 0\.05 \(\d after Bonferroni correction for 6 tests\)/);
    expect(await page.locator('[data-testid="cmp-class-heatmap"] [data-cell="0-0"] text').textContent()).toBe('1.00');
    await page.locator('[data-testid="cmp-class-heatmap"] svg').focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.locator('[data-testid="cmp-class-heatmap"] .pc-chart-tip').textContent()).toMatch(/^class 0 × class 1ρ = -?0\.\d+p = [\d.e-]+ \(t approximation\)512 channels$/);
    await portal.screenshot(page, 'compare-classes');

    // Unticking a class redraws 3 × 3 and the URL follows; Back restores 4 × 4.
    await page.getByRole('checkbox', { name: /class 3/ }).uncheck();
    await expect.poll(() => page.locator('[data-testid="cmp-class-heatmap"] [data-cell]').count()).toBe(9);
    expect(new URL(page.url()).searchParams.get('analyses')).toBe([ids.r0, ids.r1, ids.r2].join(','));
    await page.goBack();
    await expect.poll(() => page.locator('[data-testid="cmp-class-heatmap"] [data-cell]').count()).toBe(16);
  });

  it('compares runs: rank against rank per layer, movers and agreement', async () => {
    const page = await signedIn();
    await page.goto(`${portal.base}/labs/${slug}/compare/runs?a=${ids.r0}&b=${ids.run2}`);
    await drawn(page);
    expect(await page.locator('[data-testid="cmp-agreement"] tbody tr').count()).toBe(20);
    expect(await attr(page, '[data-testid="cmp-rank-scatter"] g[data-points]', 'data-points')).toBe(64);
    expect(await page.locator('[data-testid="cmp-rank-scatter"] [data-axis-label]').allTextContents()).toEqual(['rank in run B', 'rank in run A']);
    expect(await page.locator('[data-testid="cmp-differences"] tbody th').allTextContents()).toEqual(expect.arrayContaining(['images', 'seed', 'permutations']));
    await page.getByRole('button', { name: 'layer4.1.conv2' }).click();
    await expect.poll(() => attr(page, '[data-testid="cmp-rank-scatter"] g[data-points]', 'data-points')).toBe(512);
    expect(new URL(page.url()).searchParams.get('layer')).toBe('layer4.1.conv2');
    expect(await page.locator('[data-testid="cmp-movers"] tbody tr').count()).toBe(15);
    const rho = await page.locator('[data-testid="cmp-agreement"] tr.cmp-selected td').nth(2).textContent();
    expect(Number(rho!.split(' ')[0])).toBeGreaterThan(0.8);
    await portal.screenshot(page, 'compare-runs');
  });

  it('compares methods: score against ablation and activation; explains a missing ablation', async () => {
    const page = await signedIn();
    await page.goto(`${portal.base}/labs/${slug}/compare/methods?analysis=${ids.abl}&layer=layer4.1.conv2`);
    await drawn(page);
    const scatters = page.locator('[data-testid^="cmp-scatter-"]');
    expect(await scatters.count()).toBe(4);
    for (let i = 0; i < 4; i++) expect(Number(await scatters.nth(i).locator('g[data-points]').getAttribute('data-points'))).toBe(512);
    expect(await page.locator('[data-testid="cmp-scatter-score_crossfit-ablation_drop"] [data-axis-label]').allTextContents()).toEqual(['zero-ablation drop (class score)', 'PCACE cross-fitted score']);
    expect(await page.locator('[data-testid="cmp-methods-matrix"] [data-cell]').count()).toBe(16);
    await portal.screenshot(page, 'compare-methods');

    await page.getByRole('combobox', { name: /^Analysis/ }).selectOption(ids.vgg);
    await page.getByTestId('cmp-no-ablation').waitFor();
    expect(await page.getByTestId('cmp-no-ablation').textContent()).toMatch(/ran without ablation.*"ablation": true.*--ablation/);
    await expect.poll(() => page.locator('[data-testid="cmp-methods-matrix"] [data-cell]').count()).toBe(4);
    expect(await page.locator('[data-testid^="cmp-scatter-"]').count()).toBe(1);
    expect(new URL(page.url()).searchParams.get('analysis')).toBe(ids.vgg);
    await portal.screenshot(page, 'compare-methods-no-ablation');
  });

  it('shows loading, error and empty states in place', async () => {
    const page = await signedIn();
    await page.route('**/compare/runs?*', async (route) => {
      await new Promise((r) => setTimeout(r, 800));
      await route.continue();
    });
    await page.goto(`${portal.base}/labs/${slug}/compare/runs?a=${ids.r0}&b=${ids.run2}`);
    await page.getByText('Loading the comparison…').waitFor();
    await drawn(page);
    await page.goto(`${portal.base}/labs/${slug}/compare/architectures?a=${ids.r0}&b=nope`);
    expect(await page.locator('.cmp-error').textContent()).toMatch(/analysis not found \(404\)Try again/);
    await page.goto(`${portal.base}/labs/${slug}/compare/runs?a=${ids.r0}&b=${ids.vgg}`);
    expect(await page.locator('.cmp-error').textContent()).toMatch(/runs must be of the same model.*\(400\)/);
    await page.goto(`${portal.base}/labs/${slug}/compare/architectures?a=${ids.r0}&b=${ids.vgg}&score=z`);
    expect(await page.locator('.cmp-error').textContent()).toMatch(/has no z_score: it ran without a permutation test/);
    await portal.screenshot(page, 'compare-error');
    await page.goto(`${portal.base}/labs/empty-lab/compare`);
    expect(await page.locator('.empty').textContent()).toMatch(/No completed analyses yet/);
    await page.goto(`${portal.base}/labs/empty-lab/compare/classes`);
    expect(await page.locator('.empty').textContent()).toMatch(/needs two completed analyses of one model version/);
  });
});

async function download(page: Page, click: () => Promise<void>): Promise<{ name: string; text: string; bytes: Buffer }> {
  const [dl] = await Promise.all([page.waitForEvent('download'), click()]);
  const bytes = readFileSync((await dl.path())!);
  return { name: dl.suggestedFilename(), text: bytes.toString('utf8'), bytes };
}
