/**
 * An analysis from form to ranking, in Debian Chromium with a real worker:
 * register the reference MNIST CNN and MNIST digit 3 through the UI, queue a
 * small analysis through the form (errors shown in place first), watch the
 * progress bar, then read the result: sorted-score chart with one point per
 * channel (32 and 64), histograms, the ranked table re-sorted by another
 * measure, the view in the URL, the verdicts (the rule in words, q and
 * effect columns, charts coloured by verdict with a legend naming the rule,
 * "not calibrated" for an analysis stored without them), keyboard tooltips,
 * and the CSV/JSON/SVG/PNG exports. Screenshots go to test-artifacts/analysis-*.png.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { registerMnistInBrowser, signUpInBrowser, usePortal } from '../helpers/portal';
import { db } from '../../lib/db/client';
import { PIPELINE_DIR } from '../helpers/reference';

const portal = usePortal({ workers: 1 });

interface ExportedChannel {
  index: number;
  score_multiple: number;
  score_crossfit?: number;
  p_value?: number;
  q_value?: number;
  beats_noise?: boolean;
}

describe('an analysis in the browser', () => {
  let page: Page;
  let slug = '';
  let analysisUrl = '';

  beforeAll(async () => {
    page = await portal.page();
  });

  it('signs up, uploads the reference model and registers MNIST digit 3 through the UI', async () => {
    slug = await signUpInBrowser(page, portal.base, { name: 'Grace Hopper', email: 'grace@example.org', password: 'compiler-pioneer' });

    await page.goto(`${portal.base}/labs/${slug}/models/new`);
    await page.getByLabel('Name').fill('mnist-cnn');
    await page.getByLabel(/Model files/).setInputFiles(path.join(PIPELINE_DIR, 'mnist_cnn.onnx'));
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.waitForURL(/\/models\/(?!new$)[a-z0-9]+$/);

    await registerMnistInBrowser(page, portal.base, slug, 'threes', 3);
  });

  it('shows the form with the model’s outputs and layers, and errors in place without losing input', async () => {
    await page.goto(`${portal.base}/labs/${slug}/analyses/new`);
    expect(await page.getByLabel('Model version').locator('option:checked').textContent()).toBe('mnist-cnn v1 (onnx) — latest');
    expect(await page.locator('label[for="an-classIndex"]').textContent()).toContain('the model has 10 outputs: 0 … 9');
    // MNIST digit 3 holds one class: the class index is suggested from it.
    expect(await page.getByLabel(/Class index/).inputValue()).toBe('3');
    expect((await page.locator('.pa-layer-list label').allTextContents()).map((t) => t.trim())).toEqual(['conv1 32 channels · 26×26', 'conv2 64 channels · 24×24']);
    expect(await page.locator('.pa-layer-list input:checked').count()).toBe(2);
    expect(await page.locator('.pa-help').count()).toBeGreaterThanOrEqual(14);

    await page.getByLabel('Number of images').fill('5');
    await page.getByLabel('Ranking score').selectOption('z_multiple');
    await page.getByRole('button', { name: 'Queue analysis' }).click();
    await page.locator('#an-images-err').waitFor();
    expect(await page.locator('#an-images-err').textContent()).toBe('must be between 10 and 100,000');
    expect(await page.locator('#an-rankBy-err').textContent()).toMatch(/needs permutations ≥ 2/);
    expect(await page.getByLabel('Number of images').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('Number of images').inputValue()).toBe('5');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('an-images');
    expect(page.url()).toMatch(/\/analyses\/new$/);
    await portal.screenshot(page, 'analysis-form-errors');

    await page.getByLabel('Number of images').fill('60');
    await page.getByLabel('Ranking score').selectOption('crossfit');
    await page.getByLabel('Permutations').fill('39');
    await page.getByLabel('Bootstrap replicates').fill('8');
    await page.getByLabel('Title').fill('Threes, small run');
    expect(await page.locator('.pa-field-error').count()).toBe(0);
    await page.getByRole('button', { name: 'Queue analysis' }).click();
    await page.waitForURL(/\/analyses\/(?!new$)[a-z0-9]+$/);
    analysisUrl = page.url();
  });

  it('shows live progress without a reload until every layer is done', async () => {
    const bar = page.getByRole('progressbar', { name: 'Analysis progress' });
    await bar.waitFor();
    const seen: number[] = [];
    let shot = false;
    // A full reload would lose this marker; router refreshes of the results keep it.
    await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
    const deadline = Date.now() + 180_000;
    for (;;) {
      const now = Number(await bar.getAttribute('aria-valuenow'));
      seen.push(now);
      if (!shot && now > 0 && now < 100) {
        await portal.screenshot(page, 'analysis-progress');
        shot = true;
      }
      if (now === 100 && (await page.locator('.pa-live .badge').textContent()) === 'completed') break;
      if (Date.now() > deadline) throw new Error(`no completion; progress seen: ${seen.join(', ')}`);
      await page.waitForTimeout(150);
    }
    // Monotone, and it moved on this page (ends at 100 whatever it started at).
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]);
    expect(seen.at(-1)).toBe(100);
    expect(new Set(seen).size > 1 || seen[0] === 100).toBe(true);
    console.log(`progress values seen on the page: ${[...new Set(seen)].join(' → ')}`);
    expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
    expect(await page.locator('.pa-tasks tbody tr').evaluateAll((rows) => rows.map((r) => r.querySelector('.pa-task-status')?.textContent))).toEqual([
      'completed',
      'completed',
    ]);
    // No cancel button once the analysis is over.
    expect(await page.getByRole('button', { name: 'Cancel analysis' }).count()).toBe(0);
  });

  it('draws the sorted scores of both layers with axis labels, histograms and the ranked table', async () => {
    const chart = page.locator('svg[data-chart="sorted-curves"]');
    await chart.locator('g[data-series="conv2"] circle').first().waitFor();
    expect(await chart.locator('g[data-series="conv1"] circle[data-point]').count()).toBe(32);
    expect(await chart.locator('g[data-series="conv2"] circle[data-point]').count()).toBe(64);
    expect(await chart.locator('[data-axis-label="x"]').textContent()).toBe('Channel rank, normalised (0 = best, 1 = worst)');
    expect(await chart.locator('[data-axis-label="y"]').textContent()).toBe('Cross-fitted multiple correlation');
    expect(await chart.locator('[data-legend] text').allTextContents()).toEqual(['conv1', 'conv2']);
    expect(await page.locator('svg[data-chart="histogram"]').evaluateAll((s) => s.map((x) => x.getAttribute('data-values')))).toEqual(['32', '64']);
    expect(await page.locator('table.pa-channels tbody tr').count()).toBe(32);
    expect(await page.locator('table.pa-channels thead th').allTextContents()).toEqual([
      'Rank',
      'Channel',
      'Verdict',
      'PC1',
      'Multiple',
      'Cross-fit ▼',
      'p',
      'q',
      'Effect [95 % CI]',
      'z',
      'Rank interval · across k',
      'Ablation',
      'Mean act.',
      'Max act.',
      'Weight mean',
      'Reverse',
    ]);
    await portal.screenshot(page, 'analysis-results');
  });

  it('gives exact values on keyboard focus', async () => {
    await page.locator('svg[data-chart="sorted-curves"] circle[data-point="0-0"]').focus();
    await page.keyboard.press('ArrowRight');
    const tip = page.locator('.pc-chart-tip').first();
    await tip.waitFor();
    expect(await tip.textContent()).toMatch(/^conv1channel \d+rank 2 of 32 \(x = 0\.032\)Cross-fitted multiple correlation: -?\d/);
    await page.keyboard.press('ArrowDown');
    expect(await tip.textContent()).toMatch(/^conv2channel \d+rank \d+ of 64/);
  });

  it('exports the results as CSV and JSON through the same access check', async () => {
    const csvHref = await page.getByRole('link', { name: 'CSV', exact: true }).getAttribute('href');
    const jsonHref = await page.getByRole('link', { name: 'JSON', exact: true }).getAttribute('href');
    const csv = await page.request.get(`${portal.base}${csvHref}`);
    expect(csv.status()).toBe(200);
    expect(csv.headers()['content-type']).toBe('text/csv; charset=utf-8');
    const lines = (await csv.text()).trimEnd().split('\r\n');
    expect(lines[0].startsWith('layer,layer_index,channel,rank,score_pc1,score_multiple,rsq,score_crossfit,mcse,crossfit_repeats,p_value,p_value_empirical,q_value,q_value_network,beats_noise,effect,effect_ci_low,effect_ci_high')).toBe(true);
    expect(lines[0].endsWith(',verdict_rule,verdict_alpha,verdict_correction,layer_null_B,layer_null_pooled,layer_null_mean,layer_null_sd,layer_null_q50,layer_null_q95,layer_null_q99,layer_null_max,sanity_statistic,random_filters,random_filter_mean,random_filter_auc,random_filter_auc_ci_low,random_filter_auc_ci_high,random_filter_verdict,cascading_rho,cascading_rho_ci_low,cascading_rho_ci_high,independent_rho,independent_rho_ci_low,independent_rho_ci_high,layer_reliability,layer_reliability_ci_low,layer_reliability_ci_high,layer_reliability_images')).toBe(true);
    expect(lines).toHaveLength(1 + 32 + 64);
    const json = await (await page.request.get(`${portal.base}${jsonHref}`)).json();
    expect(json.complete).toBe(true);
    expect(json.layers.map((l: { name: string; channels: unknown[] }) => [l.name, l.channels.length])).toEqual([
      ['conv1', 32],
      ['conv2', 64],
    ]);
    // Signed out, the same link is refused.
    const anon = await portal.page();
    expect((await anon.request.get(`${portal.base}${csvHref}`)).status()).toBe(401);

    // The table marks exactly the stored verdicts (q < α under the layer's rule), never p < 0.05 or score > 0.
    const conv1: ExportedChannel[] = json.layers[0].channels;
    const rule = json.layers[0].verdict_rule.text as string;
    expect(rule).toMatch(/^q < 0\.05 \(BH per layer\) against a pooled permutation null of the cross-fitted score, B = \d+/);
    const noisy = conv1.filter((c) => c.beats_noise === false).map((c) => String(c.index)).sort();
    const beating = conv1.filter((c) => c.beats_noise === true).map((c) => String(c.index)).sort();
    expect(noisy.length + beating.length).toBe(32);
    const rows = (v: string) => page.locator(`table.pa-channels tbody tr[data-verdict="${v}"]`).evaluateAll((rs) => rs.map((r) => r.getAttribute('data-channel')));
    expect((await rows('noise')).sort()).toEqual(noisy);
    expect((await rows('beats')).sort()).toEqual(beating);
    const note = page.locator('.pa-noise-note');
    expect(await note.getAttribute('data-verdict-rule')).toBe(rule);
    expect(await note.getAttribute('data-beats-count')).toBe(String(beating.length));
    expect(await note.textContent()).toContain(`A channel beats noise when its q-value is below 0.05 (${rule}).`);
    // The q column shows each channel's stored q.
    const first = conv1.find((c) => c.index === Number((beating[0] ?? noisy[0])))!;
    const qCell = page.locator(`table.pa-channels tbody tr[data-channel="${first.index}"] td`).nth(7);
    const q = first.q_value!;
    expect(await qCell.textContent()).toBe(q < 0.001 ? q.toExponential(1) : q.toFixed(3));
    // Sorting by q: smallest first.
    await page.getByRole('button', { name: 'Rank by q-value', exact: true }).click();
    await expect.poll(() => page.url()).toMatch(/[?&]measure=q_value$/);
    const byQ = [...conv1].sort((a, b) => a.q_value! - b.q_value! || a.index - b.index)[0];
    expect(await page.locator('table.pa-channels tbody tr').first().getAttribute('data-channel')).toBe(String(byQ.index));
    // Histograms coloured by verdict, the legend naming the rule; sorted curves with hollow points for ≈ noise.
    const hist = page.locator('svg[data-chart="histogram"]').first();
    expect(await hist.locator('[data-legend] text').allTextContents()).toEqual(['beats noise', '≈ noise', 'q < 0.05, BH per layer']);
    expect(await hist.locator('[data-legend] title').textContent()).toBe(rule);
    const curves = page.locator('svg[data-chart="sorted-curves"]');
    expect(await curves.locator('g[data-series="conv1"] circle[data-verdict="not"]').count()).toBe(noisy.length);
    expect(await curves.locator('[data-verdict-legend] [data-legend-rule]').allTextContents()).toEqual(['q < 0.05, BH per layer']);
    await portal.screenshot(page, 'analysis-verdicts');

    // Re-sort by another measure: the client ranks from the same data.
    await page.getByLabel('Layer', { exact: true }).selectOption('conv2');
    await page.getByLabel('Ranking measure').selectOption('score_multiple');
    await expect.poll(() => page.url()).toMatch(/[?&]layer=conv2&measure=score_multiple$/);
    const conv2: ExportedChannel[] = json.layers[1].channels;
    const best = [...conv2].sort((a, b) => b.score_multiple - a.score_multiple || a.index - b.index)[0];
    expect(await page.locator('table.pa-channels tbody tr').count()).toBe(64);
    expect(await page.locator('table.pa-channels tbody tr').first().getAttribute('data-channel')).toBe(String(best.index));
    expect(await page.locator('svg[data-chart="sorted-curves"] [data-axis-label="y"]').textContent()).toBe('Multiple correlation |corr(Σφ, θ)|');
    await portal.screenshot(page, 'analysis-table-conv2-multiple');

    // The link reproduces the view.
    const link = page.url();
    const again = await portal.page();
    await again.goto(`${portal.base}/signin`);
    await again.getByLabel('Email').fill('grace@example.org');
    await again.getByLabel('Password').fill('compiler-pioneer');
    await again.getByRole('button', { name: 'Sign in' }).click();
    await again.waitForURL(/\/labs/);
    await again.goto(link);
    expect(await again.getByLabel('Layer', { exact: true }).inputValue()).toBe('conv2');
    expect(await again.getByLabel('Ranking measure').inputValue()).toBe('score_multiple');
    expect(await again.locator('table.pa-channels tbody tr').first().getAttribute('data-channel')).toBe(String(best.index));
    expect(analysisUrl).toBe(link.split('?')[0]);
  });

  it('downloads each chart as SVG and PNG in the browser', async () => {
    const figure = page.locator('figure.pc-chart').first();
    const [svgDl] = await Promise.all([page.waitForEvent('download'), figure.getByRole('button', { name: /as SVG$/ }).click()]);
    expect(svgDl.suggestedFilename()).toMatch(/^analysis-[a-z0-9]+-sorted-score_multiple\.svg$/);
    const svg = readFileSync((await svgDl.path())!, 'utf8');
    expect(svg.startsWith('<?xml')).toBe(true);
    expect((svg.match(/<circle [^>]*data-point=/g) ?? []).length).toBe(96);
    expect(svg).not.toContain('tabindex');
    const [pngDl] = await Promise.all([page.waitForEvent('download'), figure.getByRole('button', { name: /as PNG$/ }).click()]);
    const png = readFileSync((await pngDl.path())!);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    // 2× the 880-wide viewBox.
    expect(png.readUInt32BE(16)).toBe(1760);
    const hist = page.locator('figure.pc-chart').nth(1);
    const [histDl] = await Promise.all([page.waitForEvent('download'), hist.getByRole('button', { name: /as SVG$/ }).click()]);
    expect(histDl.suggestedFilename()).toMatch(/conv1-histogram-score_multiple\.svg$/);
  });
  it('cancels a running analysis from its page, and shows a failure with its reason', async () => {
    await page.goto(`${portal.base}/labs/${slug}/analyses/new`);
    await page.getByLabel('Title').fill('Long run to cancel');
    await page.getByLabel('Number of images').fill('300');
    await page.getByLabel('Permutations').fill('500');
    await page.getByRole('button', { name: 'Queue analysis' }).click();
    await page.waitForURL(/\/analyses\/(?!new$)[a-z0-9]+$/);
    const id = page.url().split('/').pop()!;
    const badge = page.locator('.pa-live .badge');
    await expect.poll(() => badge.textContent(), { timeout: 60_000 }).toBe('running');
    await expect.poll(async () => Number(await page.getByRole('progressbar').getAttribute('aria-valuenow')), { timeout: 60_000 }).toBeGreaterThan(0);
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Cancel analysis' }).click();
    await expect.poll(() => badge.textContent(), { timeout: 60_000 }).toBe('cancelled');
    expect(await page.getByRole('button', { name: 'Cancel analysis' }).count()).toBe(0);
    expect(await page.locator('.pa-live').textContent()).toContain('Cancelled');
    expect((await db.analysis.findUniqueOrThrow({ where: { id } })).status).toBe('cancelled');

    // A failed run says why, in place (the worker writes the reason; here it is set directly).
    await db.analysis.update({ where: { id }, data: { status: 'failed', error: 'layer conv2: out of memory' } });
    await page.reload();
    expect(await page.getByRole('alert').filter({ hasText: 'The analysis failed' }).textContent()).toContain('layer conv2: out of memory');
    expect(await page.getByRole('progressbar').getAttribute('data-status')).toBe('failed');
    await portal.screenshot(page, 'analysis-failed');
  });

  it('shows an analysis stored without verdicts as not calibrated: no beats-noise colours, no "> 0" rule', async () => {
    const done = await db.analysis.findFirstOrThrow({ where: { title: 'Threes, small run' } });
    const old = await db.analysis.create({
      data: {
        labId: done.labId,
        createdById: done.createdById,
        modelVersionId: done.modelVersionId,
        datasetId: done.datasetId,
        title: 'Stored before verdicts',
        target: done.target as object,
        layers: ['conv1'],
        // An older analysis: per-channel permutations and cross-fitting, no null of the ranking statistic.
        options: { images: 60, permutations: 19, crossFitRepeats: 1, rankBy: 'crossfit' },
        status: 'completed',
        progress: 1,
        finishedAt: new Date(),
      },
    });
    const { saveLayerResult } = await import('../../lib/queue/result-rows');
    await saveLayerResult(db, old.id, 0, {
      name: 'conv1',
      shape: [60, 3, 26, 26],
      seconds: 1,
      warnings: [],
      channels: [0.4, 0.05, -0.02].map((crossfit, i) => ({
        index: i, rank: i + 1, score_pc1: 0.5, score_multiple: 0.6, rsq: 0.36, score_crossfit: crossfit, p_value: [0.01, 0.2, 0.6][i], components: 5, explained_variance: 0.8, mean_activation: 0.1, max_activation: 1, flags: [],
      })),
    });
    await page.goto(`${portal.base}/labs/${slug}/analyses/${old.id}`);
    await page.locator('table.pa-channels tbody tr').first().waitFor();
    expect(await page.locator('.pa-noise-note').getAttribute('data-verdict-rule')).toBe('none');
    expect(await page.locator('.pa-noise-note').textContent()).toContain('Verdict: not calibrated.');
    expect(await page.locator('table.pa-channels tbody tr[data-verdict="none"]').count()).toBe(3);
    expect(await page.locator('table.pa-channels tbody tr[data-verdict="beats"], table.pa-channels tbody tr[data-verdict="noise"]').count()).toBe(0);
    expect(await page.locator('svg[data-chart="histogram"] [data-legend]').count()).toBe(0);
    expect(await page.locator('svg[data-chart="sorted-curves"] [data-verdict-legend], svg[data-chart="sorted-curves"] circle[data-verdict]').count()).toBe(0);
    expect(await page.locator('[data-verdict-summary]').textContent()).toContain('verdicts: not calibrated');
    await portal.screenshot(page, 'analysis-not-calibrated');
  });
});
