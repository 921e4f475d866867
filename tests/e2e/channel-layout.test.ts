/**
 * The channel page's charts in Debian Chromium: no axis label overlaps a tick
 * label, and every axis label lies inside its chart. The MNIST CNN ranked on
 * digit 3 with importance measures (so the deletion-curve chart shows beside
 * the activation-maximisation trace and the mean-activation histogram), by a
 * real worker; boxes are the browser's own, with the fonts it renders. The
 * top-activating images come from all ten digits, and the page says which.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { usePortal } from '../helpers/portal';
import { PIPELINE_DIR } from '../helpers/reference';
import { labOwner } from '../helpers/lab-fixture';
import { waitFor } from '../helpers/worker-process';
import { db } from '../../lib/db/client';

const portal = usePortal({ workers: 1 });

interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}
interface ChartBoxes {
  chart: string;
  svg: Box;
  labels: { text: string; box: Box }[];
  ticks: { text: string; box: Box }[];
}

const intersects = (a: Box, b: Box) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
const inside = (a: Box, outer: Box) => a.left >= outer.left - 0.5 && a.right <= outer.right + 0.5 && a.top >= outer.top - 0.5 && a.bottom <= outer.bottom + 0.5;

describe('the channel page’s chart axes and top images', () => {
  let userId = '';
  let url = '';

  beforeAll(async () => {
    const owner = await labOwner({ name: 'Lena Layout', email: 'lena@example.org', password: 'lena-password-1' });
    userId = owner.user.id;
    const api = async (path: string, init: RequestInit = {}) => {
      const res = await fetch(`${portal.base}/api/v1/labs/${owner.slug}${path}`, { ...init, headers: { authorization: `Bearer ${owner.token}`, ...(init.headers ?? {}) } });
      const body = await res.json();
      if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
      return body;
    };
    const form = new FormData();
    form.append('name', 'mnist-cnn');
    form.append('file', new Blob([readFileSync(`${PIPELINE_DIR}/mnist_cnn.onnx`)]), 'mnist_cnn.onnx');
    const model = await api('/models', { method: 'POST', body: form });
    const dataset = await api('/datasets', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'threes', kind: 'mnist', digit: 3 }) });
    const analysis = await api('/analyses', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ modelVersionId: model.version.id, datasetId: dataset.dataset.id, target: { kind: 'class', index: 3 }, layers: 'all', options: { images: 60, crossFitRepeats: 1, ablation: true, curveRandomOrders: 2 } }),
    });
    const analysisId = analysis.analysis.id as string;
    await waitFor('the analysis to complete', async () => {
      const a = await db.analysis.findUniqueOrThrow({ where: { id: analysisId } });
      if (a.status === 'failed') throw new Error(`analysis failed: ${a.error}`);
      return a.status === 'completed';
    }, 300_000);
    const top = (await db.channelResult.findFirstOrThrow({ where: { layerResult: { analysisId, name: 'conv2' }, rank: 1 } })).channel;
    url = `${portal.base}/labs/${owner.slug}/analyses/${analysisId}/layers/conv2/channels/${top}`;
  }, 360_000);

  it('keeps every axis label clear of the tick labels and inside its chart, and names the classes of the top images', async () => {
    const page = await portal.pageAs(userId);
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(url);
    for (const kind of ['actmax', 'top']) await page.locator(`section[data-kind="${kind}"][data-status="completed"]`).waitFor({ timeout: 180_000 });
    await page.getByTestId('ch-deletion').locator('svg').first().waitFor();
    await page.evaluate(() => document.fonts.ready);

    const charts: ChartBoxes[] = await page.locator('svg:has([data-axis-label])').evaluateAll((svgs) => {
      const box = (el: Element) => {
        const r = el.getBoundingClientRect();
        return { left: r.left, right: r.right, top: r.top, bottom: r.bottom };
      };
      return svgs.map((svg) => ({
        chart: svg.getAttribute('aria-label') ?? svg.closest('figure,section')?.querySelector('h2,h3,figcaption')?.textContent ?? '?',
        svg: box(svg),
        labels: Array.from(svg.querySelectorAll('[data-axis-label]')).map((t) => ({ text: t.textContent ?? '', box: box(t) })),
        ticks: Array.from(svg.querySelectorAll('[data-axis] > g > text')).map((t) => ({ text: t.textContent ?? '', box: box(t) })),
      }));
    });
    // The trace, the histogram and the deletion curves, each with both axes labelled and ticked.
    expect(charts.length).toBeGreaterThanOrEqual(3);
    for (const c of charts) {
      expect(c.labels.length, c.chart).toBe(2);
      expect(c.ticks.length, c.chart).toBeGreaterThanOrEqual(4);
    }
    const overlaps = charts.flatMap((c) => c.labels.flatMap((l) => c.ticks.filter((t) => intersects(l.box, t.box)).map((t) => `${c.chart}: "${l.text}" overlaps tick "${t.text}"`)));
    expect(overlaps).toEqual([]);
    const outside = charts.flatMap((c) => c.labels.filter((l) => !inside(l.box, c.svg)).map((l) => `${c.chart}: "${l.text}" leaves the chart`));
    expect(outside).toEqual([]);
    // The top images of a digit-3 analysis, drawn across the ten digits: their classes in words.
    const tally = await page.getByTestId('top-classes').textContent();
    expect(tally).toMatch(/^Classes among these images: class \d ×\d(, class \d ×\d)+ \(of 10 in the dataset\)$/);
    const counts = [...tally!.matchAll(/×(\d)/g)].reduce((s, m) => s + Number(m[1]), 0);
    expect(counts).toBe(9);
    expect(await page.locator('section[data-kind="top"] .ch-note').textContent()).toBe("drawn from 60 images across the dataset's 10 classes, not only the analysis' images");
    await portal.screenshot(page, 'channel-layout');
  });
});
