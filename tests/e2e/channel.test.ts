/**
 * Channel and layer pages in Chromium with a real worker: the MNIST CNN ranked
 * on digit 3, then a channel page whose pictures are requested on opening and
 * appear without a reload, the layer strip with its ten maps linking to their
 * channels, a group of picked channels scored together, a viewer who sees
 * computed pictures but cannot request, and a failed picture with its reason
 * and a retry.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { usePortal } from '../helpers/portal';
import { PIPELINE_DIR } from '../helpers/reference';
import { joinLab, labOwner } from '../helpers/lab-fixture';
import { waitFor } from '../helpers/worker-process';
import { db } from '../../lib/db/client';

const portal = usePortal({ workers: 1 });

describe('channel pages in a browser', () => {
  let slug = '';
  let analysisId = '';
  let top = 0;
  let memberId = '';
  let viewerId = '';
  let layerUrl = '';

  const api = async (token: string, path: string, init: RequestInit = {}) => {
    const res = await fetch(`${portal.base}/api/v1/labs/${slug}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) } });
    const body = await res.json();
    if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
    return body;
  };
  /** Every picture of the page has loaded (a broken image has naturalWidth 0). */
  const loadedImages = (page: Page, selector: string) =>
    page.locator(selector).evaluateAll((imgs) => Promise.all(imgs.map((i) => (i as HTMLImageElement).decode().then(() => (i as HTMLImageElement).naturalWidth, () => 0))));

  beforeAll(async () => {
    const member = await labOwner({ name: 'Maria Member', email: 'maria@example.org', password: 'maria-password-1' });
    memberId = member.user.id;
    slug = member.slug;
    viewerId = await joinLab(member.lab.id, { name: 'Victor Viewer', email: 'victor@example.org', password: 'victor-password-1' }, 'viewer');
    const token = member.token;

    const form = new FormData();
    form.append('name', 'mnist-cnn');
    form.append('file', new Blob([readFileSync(`${PIPELINE_DIR}/mnist_cnn.onnx`)]), 'mnist_cnn.onnx');
    const model = await api(token, '/models', { method: 'POST', body: form });
    const dataset = await api(token, '/datasets', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'threes', kind: 'mnist', digit: 3 }) });
    const analysis = await api(token, '/analyses', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ modelVersionId: model.version.id, datasetId: dataset.dataset.id, target: { kind: 'class', index: 3 }, layers: 'all', options: { images: 60, crossFitRepeats: 1 } }),
    });
    analysisId = analysis.analysis.id;
    await waitFor('the analysis to complete', async () => {
      const a = await db.analysis.findUniqueOrThrow({ where: { id: analysisId } });
      if (a.status === 'failed') throw new Error(`analysis failed: ${a.error}`);
      return a.status === 'completed';
    }, 240_000);
    top = (await db.channelResult.findFirstOrThrow({ where: { layerResult: { analysisId, name: 'conv2' }, rank: 1 } })).channel;
    layerUrl = `${portal.base}/labs/${slug}/analyses/${analysisId}/layers/conv2`;
  }, 300_000);

  it('requests a channel’s pictures on opening and shows them when the worker is done', async () => {
    const page = await portal.pageAs(memberId);
    await page.goto(`${layerUrl}/channels/${top}`);
    expect(await page.locator('h1').textContent()).toBe(`Channel ${top} · conv2`);
    expect(await page.locator('.ch-scores dt').allTextContents()).toEqual(expect.arrayContaining(['Rank', 'Cross-fitted score', 'Multiple correlation', 'PC1 score', 'ACE R²', 'Mean activation', 'q-value (layer)', 'q-value (network)', 'Effect']));
    // The verdict in words with q, the effect's interval and the layer's rule (the analysis keeps the default null).
    expect(await page.locator('.ch-verdict').textContent()).toMatch(
      /^(Beats noise|Does not beat noise): q = [\d.e-]+ \(network-wide [\d.e-]+\), effect -?[\d.]+ \[-?[\d.]+, -?[\d.]+\] null standard deviations\. Rule: q < 0\.05 \(BH per layer\) against a pooled permutation null/,
    );
    // Without a reload: each section goes from not computed / queued / running to completed.
    for (const kind of ['maps', 'gradcam', 'actmax', 'top']) {
      await page.locator(`section[data-kind="${kind}"][data-status="completed"]`).waitFor({ timeout: 120_000 });
    }
    const widths = await loadedImages(page, 'img.ch-img');
    expect(widths).toHaveLength(12 + 12 + 1 + 18);
    expect(widths.every((w) => w > 0)).toBe(true);
    expect(await page.locator('section[data-kind="maps"] img[data-role="map"]').count()).toBe(6);
    expect(await page.locator('section[data-kind="gradcam"]').textContent()).toMatch(/CAM not available/);

    // Hovering a map shows the activation under the pointer.
    await page.locator('section[data-kind="maps"] img[data-role="map"]').first().hover({ position: { x: 80, y: 80 } });
    expect(await page.locator('.ch-tip').textContent()).toMatch(/^activation -?[\d.e+-]+ at row \d+, col \d+$/);

    // Exports: a PNG per picture, the values as JSON.
    const png = await page.request.get(portal.base + (await page.locator('section[data-kind="maps"] a.ch-dl').first().getAttribute('href'))!);
    expect([png.status(), png.headers()['content-type'], png.headers()['content-disposition']]).toEqual([200, 'image/png', expect.stringMatching(/^attachment; filename=".*\.png"$/)]);
    const json = await page.request.get(portal.base + (await page.locator('section[data-kind="maps"]').getByRole('link', { name: 'values (JSON)' }).getAttribute('href'))!);
    expect((await json.json()).rows).toHaveLength(6);
    await portal.screenshot(page, 'channel-page');
  });

  it('shows the layer strip: ten maps on the chosen image, each opening its channel', async () => {
    const page = await portal.pageAs(memberId);
    await page.goto(layerUrl);
    const third = page.locator('.ch-picker a').nth(2);
    const id = decodeURIComponent((await third.getAttribute('href'))!.split('image=')[1]);
    await third.click();
    await page.waitForURL((u) => u.searchParams.get('image') === id);
    await page.locator('section[data-kind="strip"][data-status="completed"]').waitFor({ timeout: 120_000 });
    expect(await page.locator('.ch-picker a[aria-current="true"]').getAttribute('title')).toBe(id);
    expect(await page.locator('.ch-strip-input figcaption').textContent()).toContain(id);
    const maps = page.locator('.ch-strip-row img.ch-img');
    expect(await maps.count()).toBe(10);
    expect((await loadedImages(page, '.ch-strip img.ch-img')).every((w) => w > 0)).toBe(true);
    expect(await page.locator('.ch-strip-row').first().locator('figcaption').first().textContent()).toMatch(new RegExp(`^ch ${top} · rank 1PNG$`));
    await portal.screenshot(page, 'layer-strip');
    await maps.first().click();
    await page.waitForURL(new RegExp(`/layers/conv2/channels/${top}$`));
  });

  it('scores channels a member picks together, beside the best of them alone; a bad pick says why', async () => {
    const second = (await db.channelResult.findFirstOrThrow({ where: { layerResult: { analysisId, name: 'conv2' }, rank: 2 } })).channel;
    const page = await portal.pageAs(memberId);
    await page.goto(layerUrl);
    // 60 images: ACE takes 12 predictors, 5 components per member, so two channels.
    expect(await page.getByTestId('group-section').textContent()).toMatch(/Up to 2 channels of 0–63 \(60 images/);
    const ask = async (text: string) => {
      await page.getByTestId('group-channels').fill(text);
      await page.getByRole('button', { name: 'Score these channels together' }).click();
    };
    await ask(`${top}`);
    expect(await page.getByTestId('group-error').textContent()).toMatch(/pick at least 2 channels .*\(400\)$/);
    await ask(`${second}, ${top}`);
    await page.locator('[data-testid="group-result"][data-status="completed"]').waitFor({ timeout: 120_000 });
    const [lo, hi] = [top, second].sort((a, b) => a - b);
    expect(await page.getByTestId('group-joint').textContent()).toMatch(new RegExp(`^Channels ${lo}, ${hi} together: -?\\d\\.\\d{3} cross-fitted`));
    expect(await page.getByTestId('group-best').textContent()).toMatch(/^Best alone: channel \d+, -?\d\.\d{3}; the others add [+−]\d\.\d{3}\.$/);
    expect(await page.getByTestId('group-members').locator('tbody tr').count()).toBe(2);
    expect((await db.channelArtifact.findFirstOrThrow({ where: { analysisId, kind: 'group' } })).variant).toBe(`${lo},${hi}`);
    await portal.screenshot(page, 'layer-group');
    // The section passes axe-core (WCAG 2.1 A/AA, serious or critical) and fits a phone screen.
    const axe = await new AxeBuilder({ page: page as never }).include('[data-testid="group-section"]').withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([]);
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.getByTestId('group-section').evaluate((e) => e.getBoundingClientRect().right)).toBeLessThanOrEqual(390);
  });

  it('lets a viewer see computed pictures, with a clear message where none exist', async () => {
    const page = await portal.pageAs(viewerId);
    await page.goto(`${layerUrl}/channels/${top}`);
    expect((await loadedImages(page, 'img.ch-img')).filter((w) => w > 0)).toHaveLength(43);
    const other = (await db.channelResult.findFirstOrThrow({ where: { layerResult: { analysisId, name: 'conv1' }, rank: 2 } })).channel;
    await page.goto(`${portal.base}/labs/${slug}/analyses/${analysisId}/layers/conv1/channels/${other}`);
    expect(await page.locator('.ch-viewer').textContent()).toMatch(/only members can ask the workers/);
    expect(await page.locator('[data-testid="viewer-note"]').count()).toBe(4); // no conv1 picture exists, Grad-CAM included
    expect(await page.getByRole('button', { name: /^Compute/ }).count()).toBe(0);
    await portal.screenshot(page, 'channel-viewer');
    expect(await db.channelArtifact.count({ where: { layerName: 'conv1' } })).toBe(0);
  });

  it('shows why a picture failed and retries it on request', async () => {
    const channel = (await db.channelResult.findFirstOrThrow({ where: { layerResult: { analysisId, name: 'conv1' }, rank: 1 } })).channel;
    await db.channelArtifact.create({ data: { analysisId, layerName: 'conv1', channel, kind: 'actmax', status: 'failed', attempts: 3, error: 'the worker computing this stopped 3 times (crash or out of memory)' } });
    const page = await portal.pageAs(memberId);
    await page.goto(`${portal.base}/labs/${slug}/analyses/${analysisId}/layers/conv1/channels/${channel}`);
    const failed = page.locator('section[data-kind="actmax"] .alert.error');
    expect(await failed.textContent()).toMatch(/Failed: the worker computing this stopped 3 times \(crash or out of memory\) \(after 3 attempts\)/);
    await portal.screenshot(page, 'channel-failed');
    await failed.getByRole('button', { name: 'Retry' }).click();
    await page.locator('section[data-kind="actmax"][data-status="completed"]').waitFor({ timeout: 120_000 });
    expect((await loadedImages(page, 'section[data-kind="actmax"] img.ch-img'))[0]).toBeGreaterThan(0);
    const seconds = await db.channelArtifact.findMany({ where: { status: 'completed' }, select: { kind: true, layerName: true, seconds: true } });
    console.log('[channel e2e] artifact seconds:', JSON.stringify(seconds.map((s) => [s.kind, s.layerName, Number(s.seconds?.toFixed(3))])));
  });
});
