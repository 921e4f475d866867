/**
 * Exported charts carry their heading in Debian Chromium: the SVG and PNG
 * downloads of the analysis page's charts start with the chart's title (for a
 * histogram, its layer), then the analysis, the statistic it is ranked by and
 * the day of the export. The PNG's heading band is checked for drawn text.
 * Results are stored as a worker stores them (bench/compare-seed.ts).
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { seedNetwork } from '../../bench/compare-seed';
import { db } from '../../lib/db/client';
import { signUp } from '../../lib/server/signup';
import { usePortal } from '../helpers/portal';

const portal = usePortal();
let slug = '';
let userId = '';
let analysisId = '';

beforeAll(async () => {
  const { user, lab } = await signUp({ name: 'Barbara McClintock', email: 'barbara@example.org', password: 'jumping-genes-maize-1983' }, new Headers());
  [slug, userId] = [lab.slug, user.id];
  analysisId = (
    await seedNetwork(db, {
      labId: lab.id,
      userId: user.id,
      modelName: 'mnist-cnn',
      layers: [
        ['conv1', 16, 24],
        ['conv2', 32, 12],
      ],
      classIndex: 3,
      runSeed: 1,
      permutations: 99,
      title: 'Threes for the slides',
    })
  ).analysisId;
}, 120_000);

async function download(page: Page, figure: Locator, kind: 'SVG' | 'PNG') {
  const [dl] = await Promise.all([page.waitForEvent('download'), figure.getByRole('button', { name: new RegExp(`as ${kind}$`) }).click()]);
  return { name: dl.suggestedFilename(), bytes: readFileSync((await dl.path())!) };
}

/** The heading lines of an exported SVG, in order. */
const headingOf = (svg: string) => [...svg.matchAll(/<text [^>]*data-export-heading=""[^>]*>([^<]*)<\/text>/g)].map((m) => m[1].replace(/&amp;/g, '&'));

describe('exported charts', () => {
  it('carry the chart, the analysis, the statistic and the date in SVG and PNG', async () => {
    const page = await portal.pageAs(userId);
    await page.goto(`${portal.base}/labs/${slug}/analyses/${analysisId}`);
    await page.locator('svg[data-chart="sorted-curves"] circle[data-point]').first().waitFor();
    const a = await db.analysis.findUniqueOrThrow({ where: { id: analysisId }, include: { dataset: true } });
    const today = new Date().toISOString().slice(0, 10);
    const about = `Threes for the slides (mnist-cnn v1 × ${a.dataset.name}, class 3 (pre-softmax score)) · ranked by cross-fitted score · exported ${today} from PCACE Lab`;

    const sorted = page.locator('figure.pc-chart').first();
    const svg = await download(page, sorted, 'SVG');
    expect(headingOf(svg.bytes.toString('utf8'))).toEqual(['Sorted scores, all layers', about]);

    const hist = page.locator('figure.pc-chart', { has: page.locator('svg[data-chart="histogram"]') }).nth(1);
    const histSvg = await download(page, hist, 'SVG');
    expect(histSvg.name).toMatch(/conv2-histogram-score_crossfit\.svg$/);
    expect(headingOf(histSvg.bytes.toString('utf8'))).toEqual(['conv2 — 32 channels', about]);

    // The PNG: 2× the plot plus the two-line heading band (12 + 17 × 2 units), with text drawn in that band.
    const png = await download(page, sorted, 'PNG');
    const plotHeight = await sorted.locator('svg[data-chart="sorted-curves"]').evaluate((s) => (s as SVGSVGElement).viewBox.baseVal.height);
    expect(png.bytes.readUInt32BE(20)).toBe(2 * (plotHeight + 46));
    const inkInBand = await page.evaluate(async (b64) => {
      const img = await createImageBitmap(new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], { type: 'image/png' }));
      const canvas = new OffscreenCanvas(img.width, img.height);
      const g = canvas.getContext('2d')!;
      g.drawImage(img, 0, 0);
      const band = g.getImageData(0, 0, img.width, 2 * 46).data;
      let dark = 0;
      for (let i = 0; i < band.length; i += 4) if (band[i] + band[i + 1] + band[i + 2] < 3 * 140) dark++;
      return dark;
    }, png.bytes.toString('base64'));
    expect(inkInBand).toBeGreaterThan(500);
    await portal.screenshot(page, 'export-titles-analysis');
  });
});
