/**
 * A researcher's journeys in Debian Chromium, on one server: the landing page
 * with a real result, sign-up straight into the public demo lab's results, a
 * dataset too small for the requested images refused at its field, compare
 * views opening on a comparable pair (and saying when a pair is not), a chart
 * point opening its channel, a channel page holding its pin and comments, the
 * analysis table's ticks opening the comparison they make, phone width
 * without sideways scrolling, and axe-core on the main pages. Results are
 * stored through saveLayerResult as a worker stores them (bench/compare-seed.ts),
 * so no worker runs here. Screenshots go to test-artifacts/.
 */
import AxeBuilder from '@axe-core/playwright';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { seedNetwork } from '../../bench/compare-seed';
import { db } from '../../lib/db/client';
import { createApiToken } from '../../lib/server/labs';
import { signUp } from '../../lib/server/signup';
import { classFiles } from '../fixtures/datasets/images';
import { buildZip } from '../fixtures/datasets/zip-writer';
import { SESSION_COOKIE, sessionToken } from '../helpers/db';
import { registerMnistInBrowser, usePortal } from '../helpers/portal';

const portal = usePortal();

const SMALL_CNN: [string, number, number][] = [
  ['conv1', 16, 24],
  ['conv2', 32, 12],
];
const OTHER_CNN: [string, number, number][] = [
  ['features.0', 16, 28],
  ['features.3', 24, 14],
  ['features.6', 32, 7],
];

const demo: Record<string, string> = {};
const own: Record<string, string> = {};
let demoSlug = '';
let ownSlug = '';
let userId = '';

/** The demo lab: a featured calibrated run first; the two newest analyses explain different classes. */
async function seedDemoLab() {
  const { user, lab } = await signUp({ name: 'Demo Researcher', email: 'demo@pcace.lab', password: 'demo-lab-password-7' }, new Headers());
  await db.lab.update({ where: { id: lab.id }, data: { name: 'PCACE demo lab', publicDemo: true } });
  demoSlug = lab.slug;
  const base = { labId: lab.id, userId: user.id };
  demo.featured = (await seedNetwork(db, { ...base, modelName: 'mnist-cnn', layers: SMALL_CNN, classIndex: 3, runSeed: 1, permutations: 99, ablation: true, title: 'MNIST CNN × digit 3, calibrated' })).analysisId;
  demo.other3 = (await seedNetwork(db, { ...base, modelName: 'vgg-mini', layers: OTHER_CNN, classIndex: 3, runSeed: 1, permutations: 99, title: 'VGG-mini × digit 3' })).analysisId;
  demo.other7 = (await seedNetwork(db, { ...base, modelName: 'vgg-mini', layers: OTHER_CNN, classIndex: 7, runSeed: 1, permutations: 99, title: 'VGG-mini × digit 7' })).analysisId;
  demo.cnn5 = (await seedNetwork(db, { ...base, modelName: 'mnist-cnn', layers: SMALL_CNN, classIndex: 5, runSeed: 1, permutations: 99, title: 'MNIST CNN × digit 5' })).analysisId;
}

async function signedIn(id = userId): Promise<Page> {
  const page = await portal.page();
  await page.context().addCookies([{ name: SESSION_COOKIE, value: await sessionToken(id), url: portal.base }]);
  return page;
}

/** Serious and critical axe-core violations of the page as it is now (WCAG 2.0/2.1 A and AA rules). */
async function axeProblems(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page: page as never }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

/** The outermost elements that reach past the viewport's right edge (what makes a page scroll sideways). */
const widest = (page: Page) =>
  page.evaluate(() => {
    const past = (e: Element | null) => !!e && e.getBoundingClientRect().right > window.innerWidth + 0.5;
    const out = Array.from(document.querySelectorAll('body *')).filter((e) => past(e) && !past(e.parentElement));
    return out.slice(0, 5).map((e) => `${e.tagName.toLowerCase()}.${String(e.getAttribute('class') ?? '').replace(/ /g, '.')} → ${Math.round(e.getBoundingClientRect().right)} px`).join('; ');
  });

const chartDrawn = (page: Page) => page.locator('svg[data-chart="sorted-curves"] circle[data-point]').first().waitFor();

beforeAll(async () => {
  await seedDemoLab();
}, 120_000);

describe('a researcher in the portal', () => {
  it('sees on the landing page what the product is for and a real result', async () => {
    const page = await portal.page();
    await page.goto(portal.base);
    expect(await page.locator('h1').textContent()).toBe('PCACE Lab');
    expect(await page.locator('#landing-demo-h').textContent()).toBe('A real result: MNIST CNN × digit 3, calibrated');
    expect(await page.locator('svg[data-chart="sorted-curves"] g[data-series]').evaluateAll((gs) => gs.map((g) => Number(g.getAttribute('data-count'))))).toEqual([16, 32]);
    expect(await page.locator('.landing-demo p').first().textContent()).toMatch(/\d+ of 48 channels beat noise/);
    await portal.screenshot(page, 'researcher-landing');
  });

  it('signs up and opens a first result without uploading anything', async () => {
    const page = await portal.page();
    await page.goto(`${portal.base}/signup`);
    await page.getByLabel('Name').fill('Rosalind Franklin');
    await page.getByLabel('Email').fill('rosalind@example.org');
    await page.getByLabel(/^Password/).fill('photo-fifty-one-helix');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(/\/labs\/[a-z0-9-]+$/);
    ownSlug = page.url().split('/labs/')[1];
    userId = (await db.user.findUniqueOrThrow({ where: { email: 'rosalind@example.org' } })).id;
    await portal.screenshot(page, 'researcher-new-lab');
    await page.getByTestId('demo-open').click();
    await page.waitForURL(new RegExp(`/labs/${demoSlug}/analyses/${demo.featured}$`));
    await chartDrawn(page);
    expect(await page.locator('h1').textContent()).toBe('MNIST CNN × digit 3, calibrated');
    expect(await page.getByText('you are viewer').count()).toBe(1);
    expect(await page.locator('.pa-table-scroll tbody tr, table tbody tr').count()).toBeGreaterThan(10);
    await portal.screenshot(page, 'researcher-first-result');
    // Read-only: a visitor of the demo lab cannot queue analyses there, and its members are not listed.
    await page.goto(`${portal.base}/labs/${demoSlug}/analyses/new`);
    expect(await page.locator('h1').textContent()).toBe('Not allowed');
    await page.goto(`${portal.base}/labs/${demoSlug}/members`);
    expect(await page.locator('.empty').textContent()).toMatch(/public demo lab/);
    expect(await page.content()).not.toContain('demo@pcace.lab');
  });

  it('opens a channel from a point of the sorted-scores chart, by mouse and by keyboard', async () => {
    const page = await signedIn();
    const top = await db.channelResult.findFirstOrThrow({ where: { layerResult: { analysisId: demo.featured, name: 'conv2' }, rank: 1 } });
    await page.goto(`${portal.base}/labs/${demoSlug}/analyses/${demo.featured}`);
    await chartDrawn(page);
    await page.locator('svg[data-chart="sorted-curves"] g[data-series="conv2"] circle[data-point="1-0"]').click();
    await page.waitForURL(new RegExp(`/layers/conv2/channels/${top.channel}$`));
    expect(await page.locator('h1').textContent()).toBe(`Channel ${top.channel} · conv2`);
    expect(await page.getByTestId('ch-target').textContent()).toBe('class 3');
    await page.goBack();
    await chartDrawn(page);
    const second = await db.channelResult.findFirstOrThrow({ where: { layerResult: { analysisId: demo.featured, name: 'conv1' }, rank: 2 } });
    await page.locator('svg[data-chart="sorted-curves"] [data-point="0-0"]').focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`/layers/conv1/channels/${second.channel}$`));
  });

  it('opens compare on a comparable pair and says when a pair is not', async () => {
    const page = await signedIn();
    await page.goto(`${portal.base}/labs/${demoSlug}/compare/architectures`);
    await page.locator('.cmp-view[data-drawn="true"]').waitFor({ timeout: 30_000 });
    // The two newest analyses explain classes 5 and 7; the default pair explains one class with two models.
    const a = await page.getByLabel('Network A').inputValue();
    const b = await page.getByLabel('Network B').inputValue();
    const targets = await db.analysis.findMany({ where: { id: { in: [a, b] } }, select: { target: true, modelVersion: { select: { modelId: true } } } });
    expect(targets).toHaveLength(2);
    expect(targets[0].target).toEqual(targets[1].target);
    expect(targets[0].modelVersion.modelId).not.toBe(targets[1].modelVersion.modelId);
    expect(await page.getByTestId('cmp-mismatch').count()).toBe(0);
    await portal.screenshot(page, 'researcher-compare-default');
    await page.goto(`${portal.base}/labs/${demoSlug}/compare/architectures?a=${demo.cnn5}&b=${demo.other7}`);
    await page.locator('.cmp-view[data-drawn="true"]').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('cmp-mismatch').textContent()).toMatch(/their targets differ \(class 5 vs class 7\)/);
    await portal.screenshot(page, 'researcher-compare-mismatch');
  });

  it('refuses a dataset smaller than the requested images at the images field', async () => {
    const lab = await db.lab.findUniqueOrThrow({ where: { slug: ownSlug } });
    const page = await signedIn();
    // A zip of class folders holding 12 images, registered through the form.
    const files = await classFiles({ cats: 7, dogs: 5 });
    const zip = buildZip(Object.entries(files).map(([name, data]) => ({ name, data })));
    await page.goto(`${portal.base}/labs/${ownSlug}/datasets/new`);
    await page.getByLabel('Zip of class folders').check();
    await page.getByLabel('Name').fill('pets');
    await page.locator('#ds-file').setInputFiles({ name: 'pets.zip', mimeType: 'application/zip', buffer: zip });
    await page.getByRole('button', { name: 'Register dataset' }).click();
    await page.waitForURL(/\/datasets\/(?!new$)[a-z0-9]+$/);
    // The built-in MNIST digit 3 holds that digit's images only.
    await registerMnistInBrowser(page, portal.base, ownSlug, 'threes', 3);
    const threes = await db.dataset.findFirstOrThrow({ where: { labId: lab.id, name: 'threes' } });
    expect(Object.keys((threes.counts as { perClass: Record<string, number> }).perClass)).toEqual(['3']);

    own.run1 = (await seedNetwork(db, { labId: lab.id, userId, modelName: 'mnist-cnn', layers: SMALL_CNN, classIndex: 3, runSeed: 1, permutations: 99, ablation: true, title: 'CNN run 1' })).analysisId;
    const pets = await db.dataset.findFirstOrThrow({ where: { labId: lab.id, name: 'pets' } });
    await page.goto(`${portal.base}/labs/${ownSlug}/analyses/new`);
    await page.getByLabel('Dataset').selectOption(pets.id);
    await page.getByLabel(/Number of images/).fill('300');
    await page.getByRole('button', { name: 'Queue analysis' }).click();
    const field = page.locator('#an-images');
    await expect.poll(() => field.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#an-images-err').textContent()).toMatch(/the dataset has 12 images for this analysis: ask for 12 or fewer/);
    expect(await page.locator('#an-images-help').textContent()).toMatch(/The chosen dataset has 12 images/);
    expect(page.url()).toMatch(/\/analyses\/new$/);
    await portal.screenshot(page, 'researcher-images-refused');

    // The server refuses it too, naming the field (the API and the form share createAnalysis).
    const token = (await createApiToken(userId, 'e2e')).token;
    const version = await db.modelVersion.findFirstOrThrow({ where: { model: { labId: lab.id } } });
    const res = await fetch(`${portal.base}/api/v1/labs/${ownSlug}/analyses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ modelVersionId: version.id, datasetId: pets.id, target: { kind: 'class', index: 3 }, options: { images: 300 } }),
    });
    const body = await res.json();
    expect([res.status, body.field]).toEqual([400, 'images']);
    expect(body.error).toMatch(/300 images asked for, but dataset 'pets' has 12 images for this analysis/);
  });

  it('holds comments, a pin with a note, flags in words and copy-link on the channel page', async () => {
    const lab = await db.lab.findUniqueOrThrow({ where: { slug: ownSlug } });
    const layer = await db.layerResult.findFirstOrThrow({ where: { analysisId: own.run1, name: 'conv2' } });
    const row = await db.channelResult.findFirstOrThrow({ where: { layerResultId: layer.id, rank: 1 } });
    // The layer's top channel, made inactive: never positive, and with fewer components than asked.
    await db.channelResult.update({ where: { id: row.id }, data: { maxActivation: -0.25, meanActivation: -0.8, ablationDrop: 0, flags: ['components_capped'] } });
    const page = await signedIn();
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: portal.base });
    const url = `${portal.base}/labs/${ownSlug}/analyses/${own.run1}/layers/conv2/channels/${row.channel}`;
    await page.goto(url);
    expect(await page.locator('[data-flag="inactive"]').textContent()).toMatch(/^Inactive: its activation is never positive on any image.*ablation drop 0/);
    expect(await page.locator('[data-flag="components_capped"]').textContent()).toMatch(/^Components capped: fewer principal components were used than asked/);
    // Pictures come before the 24 numbers.
    const order = await page.evaluate(() => [document.querySelector('.ch-artifacts'), document.querySelector('.ch-scores-section')].map((e) => (e ? e.getBoundingClientRect().top + window.scrollY : -1)));
    expect(order[0]).toBeGreaterThan(0);
    expect(order[0]).toBeLessThan(order[1]);

    await page.getByRole('button', { name: 'Copy link to this channel' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(url);

    await page.getByRole('button', { name: `Pin conv2 channel ${row.channel}` }).click();
    await page.getByLabel(`Note for conv2 channel ${row.channel}`).fill('inactive but ranked first: check the ReLU');
    await page.getByRole('button', { name: 'Pin', exact: true }).click();
    await page.locator('.disc-pin[data-pinned="true"]').waitFor();
    await page.getByLabel(`Comment on conv2 channel ${row.channel}`).fill('Ranked first with no activation at all.');
    await page.getByRole('button', { name: 'Post comment' }).click();
    await page.getByText('Ranked first with no activation at all.').first().waitFor();
    await page.reload();
    expect(await page.locator('.disc-pin-note').textContent()).toContain('inactive but ranked first: check the ReLU');
    expect(await page.getByText('Ranked first with no activation at all.').count()).toBeGreaterThan(0);
    const stored = await db.comment.findFirstOrThrow({ where: { labId: lab.id } });
    expect([stored.layerName, stored.channelIndex]).toEqual(['conv2', row.channel]);
    await portal.screenshot(page, 'researcher-channel-page');
    // The lab overview lists the pin with its note.
    await page.goto(`${portal.base}/labs/${ownSlug}`);
    expect(await page.locator('#lab-pins-h').count()).toBe(1);
    expect(await page.locator('.disc-pins').textContent()).toContain('inactive but ranked first');
  });

  it('sorts the analysis table and opens the comparison the ticked analyses make', async () => {
    const lab = await db.lab.findUniqueOrThrow({ where: { slug: ownSlug } });
    own.run2 = (await seedNetwork(db, { labId: lab.id, userId, modelName: 'mnist-cnn', layers: SMALL_CNN, classIndex: 3, runSeed: 2, permutations: 99, title: 'CNN run 2' })).analysisId;
    own.other = (await seedNetwork(db, { labId: lab.id, userId, modelName: 'vgg-mini', layers: OTHER_CNN, classIndex: 3, runSeed: 1, title: 'VGG-mini uncalibrated' })).analysisId;
    const page = await signedIn();
    await page.goto(`${portal.base}/labs/${ownSlug}`);
    const table = page.getByTestId('analysis-table');
    expect(await table.locator('thead th').allTextContents()).toEqual(['Tick to compare', 'Analysis', 'Model', 'Dataset', 'Target', 'Statistic', 'Beat noise', 'Top channel', 'Median score', 'Duration', 'Who', 'Created ▼']);
    const run1 = table.locator(`tr[data-analysis="${own.run1}"]`);
    expect(await run1.locator('td[data-col="beat-noise"]').textContent()).toMatch(/^\d+ of 48$/);
    expect(await table.locator(`tr[data-analysis="${own.other}"] td[data-col="beat-noise"]`).textContent()).toBe('not calibrated');
    expect(await run1.locator('td[data-col="top"]').textContent()).toMatch(/^conv\d #\d+ \(0\.\d{3}\)$/);
    await table.getByRole('button', { name: 'Analysis' }).click();
    expect(await table.locator('tbody tr td:nth-child(2) a').allTextContents()).toEqual(['CNN run 1', 'CNN run 2', 'VGG-mini uncalibrated']);
    expect(await table.locator('th[aria-sort="ascending"]').textContent()).toMatch(/^Analysis/);

    await page.getByRole('checkbox', { name: 'Tick CNN run 1 to compare' }).check();
    await page.getByRole('checkbox', { name: 'Tick VGG-mini uncalibrated to compare' }).check();
    expect(await page.getByTestId('compare-ticked').textContent()).toBe('Compare architectures');
    await page.getByRole('checkbox', { name: 'Tick VGG-mini uncalibrated to compare' }).uncheck();
    await page.getByRole('checkbox', { name: 'Tick CNN run 2 to compare' }).check();
    expect(new URL(page.url()).searchParams.get('tick')).toBe(`${own.run1},${own.run2}`);
    await portal.screenshot(page, 'researcher-analysis-table');
    await page.getByTestId('compare-ticked').click();
    await page.waitForURL(new RegExp(`/compare/runs\\?a=${own.run1}&b=${own.run2}$`));
    await page.locator('.cmp-view[data-drawn="true"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-testid="cmp-agreement"] tbody tr').count()).toBe(2);
  });

  /** The signed-in pages that the phone-width and the axe-core checks both visit, as [name, path]. */
  const mainPages = (): [string, string][] => [
    ['lab-home', `/labs/${ownSlug}`],
    ['analysis', `/labs/${demoSlug}/analyses/${demo.featured}`],
    ['channel', `/labs/${ownSlug}/analyses/${own.run1}/layers/conv2/channels/0`],
    ['compare-architectures', `/labs/${demoSlug}/compare/architectures`],
    ['compare-runs', `/labs/${ownSlug}/compare/runs?a=${own.run1}&b=${own.run2}`],
    ['new-analysis', `/labs/${ownSlug}/analyses/new`],
    ['members', `/labs/${ownSlug}/members`],
  ];
  /** Opens page `name` at `path`; a compare view ('compare-…') is waited for until it has drawn. */
  async function open(page: Page, name: string, path: string): Promise<void> {
    await page.goto(portal.base + path);
    if (name.startsWith('compare-')) await page.locator('.cmp-view[data-drawn="true"]').waitFor({ timeout: 30_000 });
  }

  it('fits a 390 px phone screen without sideways scrolling', async () => {
    const page = await signedIn();
    await page.setViewportSize({ width: 390, height: 844 });
    const pages: [string, string][] = [...mainPages(), ['compare', `/labs/${demoSlug}/compare`]];
    const wide: string[] = [];
    for (const [name, path] of pages) {
      await open(page, name, path);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      if (width > 390) wide.push(`${name}: ${width} px (${await widest(page)})`);
      if (['lab-home', 'analysis', 'compare-architectures', 'channel'].includes(name)) await portal.screenshot(page, `researcher-390-${name}`);
    }
    const anon = await portal.page();
    await anon.setViewportSize({ width: 390, height: 844 });
    await anon.goto(portal.base);
    const landing = await anon.evaluate(() => document.documentElement.scrollWidth);
    if (landing > 390) wide.push(`landing: ${landing} px (${await widest(anon)})`);
    expect(wide).toEqual([]);
  });

  it('passes axe-core on the main pages with no serious or critical violation', async () => {
    const page = await signedIn();
    const pages: [string, string][] = [...mainPages(), ['history', `/labs/${ownSlug}/history`], ['tokens', '/settings/tokens']];
    const problems: string[] = [];
    for (const [name, path] of pages) {
      await open(page, name, path);
      for (const p of await axeProblems(page)) problems.push(`${name}: ${p}`);
    }
    const anon = await portal.page();
    for (const [name, path] of [
      ['landing', '/'],
      ['sign up', '/signup'],
    ]) {
      await anon.goto(portal.base + path);
      for (const p of await axeProblems(anon)) problems.push(`${name}: ${p}`);
    }
    console.log(`[axe] ${pages.length + 2} pages checked; serious or critical violations: ${problems.length}`);
    expect(problems).toEqual([]);
  });
});
