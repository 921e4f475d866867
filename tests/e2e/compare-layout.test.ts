/**
 * The compare views' layout in Debian Chromium. Classes: it opens on one
 * analysis per class (the newest), rows and columns in ascending class order
 * whatever order the analyses were made or picked in, every row labelled
 * differently (two analyses of one class with one title too), and cell text
 * of at least 11 px on a desktop screen. Architectures: a layer sits at one x
 * in the three charts. Results are stored as a worker
 * stores them (bench/compare-seed.ts). Screenshots go to test-artifacts/.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { seedNetwork } from '../../bench/compare-seed';
import { db } from '../../lib/db/client';
import { signUp } from '../../lib/server/signup';
import { usePortal } from '../helpers/portal';

const portal = usePortal();
let slug = '';
let userId = '';
const byClass = new Map<number, string>();
let threeAgain = '';
let vgg = '';

beforeAll(async () => {
  const { user, lab } = await signUp({ name: 'Lise Meitner', email: 'lise@example.org', password: 'fission-barium-krypton' }, new Headers());
  [slug, userId] = [lab.slug, user.id];
  const base = { labId: lab.id, userId: user.id, modelName: 'mnist-cnn', layers: [['conv1', 16, 24] as [string, number, number], ['conv2', 32, 12] as [string, number, number]] };
  // Made 9 … 0, then class 3 once more under the same title: the newest first is 3, 0, 1, …, 9.
  for (const d of [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]) byClass.set(d, (await seedNetwork(db, { ...base, classIndex: d, runSeed: 1, title: `digit ${d}` })).analysisId);
  threeAgain = (await seedNetwork(db, { ...base, classIndex: 3, runSeed: 2, title: 'digit 3' })).analysisId;
  vgg = (
    await seedNetwork(db, {
      ...base,
      modelName: 'vgg-mini',
      layers: [
        ['features.0', 16, 28],
        ['features.3', 24, 14],
        ['features.6', 32, 7],
      ],
      classIndex: 3,
      runSeed: 1,
      title: 'VGG-mini digit 3',
    })
  ).analysisId;
  // Finished in that order, a second apart (the VGG analysis is of another model: no class comparison of it).
  const ids = [...byClass.values(), threeAgain];
  for (const [i, id] of ids.entries()) await db.analysis.update({ where: { id }, data: { createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)), finishedAt: new Date(Date.UTC(2026, 0, 1, 0, 1, i)) } });
}, 180_000);

const rowLabels = (page: Page, testId: string) => page.locator(`[data-testid="${testId}"] text[data-axis-label="row"]`).allTextContents();

describe('the compare views’ layout', () => {
  it('opens on one analysis per class, in class order, with cell text of 11 px or more', async () => {
    const page = await portal.pageAs(userId);
    await page.goto(`${portal.base}/labs/${slug}/compare/classes`);
    await page.locator('.cmp-view[data-drawn="true"]').waitFor({ timeout: 30_000 });
    const labels = await rowLabels(page, 'cmp-class-heatmap');
    expect(labels).toEqual(Array.from({ length: 10 }, (_, d) => `class ${d}`));
    // The newest analysis of class 3 is the one shown.
    expect(new URL(page.url()).searchParams.get('analyses')?.split(',')).toContain(threeAgain);
    expect(await page.locator('[data-testid="cmp-class-pairs"] tbody tr').first().locator('td').allTextContents().then((t) => t.slice(0, 2))).toEqual(['class 0', 'class 1']);
    // Text drawn in the cells, as large on screen as its font size says at least 11 px.
    const sizes = await page.locator('[data-testid="cmp-class-heatmap"] [data-cell] text').evaluateAll((texts) =>
      texts.map((t) => Number(t.getAttribute('font-size')) * ((t as SVGTextElement).ownerSVGElement!.getScreenCTM()!.a)),
    );
    expect(sizes.length).toBe(100);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(11);
    await portal.screenshot(page, 'classes-layout-default');
  });

  it('labels every row differently, also two analyses of one class with one title, in class order whatever the pick order', async () => {
    const page = await portal.pageAs(userId);
    const picked = [byClass.get(7)!, threeAgain, byClass.get(1)!, byClass.get(3)!];
    await page.goto(`${portal.base}/labs/${slug}/compare/classes?analyses=${picked.join(',')}&layer=conv2`);
    await page.locator('.cmp-view[data-drawn="true"]').waitFor({ timeout: 30_000 });
    const labels = await rowLabels(page, 'cmp-class-overlap');
    expect(new Set(labels).size).toBe(4);
    expect(labels[0]).toBe('class 1');
    expect(labels[3]).toBe('class 7');
    // The older class-3 analysis first; the two share a title, so they are numbered.
    expect(labels.slice(1, 3)).toEqual(['class 3 · digit 3 #1', 'class 3 · digit 3 #2']);
    const pairs = await page.locator('[data-testid="cmp-class-pairs"] tbody tr').evaluateAll((rows) => rows.map((r) => Array.from(r.querySelectorAll('td')).slice(0, 2).map((td) => td.textContent).join(' × ')));
    expect(pairs[0]).toBe('class 1 × class 3 · digit 3 #1');
    await portal.screenshot(page, 'classes-layout-labels');
  });

  it('puts a layer at the same x in the three architecture charts', async () => {
    const page = await portal.pageAs(userId);
    await page.goto(`${portal.base}/labs/${slug}/compare/architectures?a=${byClass.get(3)}&b=${vgg}`);
    await page.locator('.cmp-view[data-drawn="true"]').waitFor({ timeout: 30_000 });
    const placed = await page.evaluate(() => {
      const out: { s: number; layer: string; box: number; max: number; curve: number }[] = [];
      for (const s of [0, 1]) {
        // The curve of a network: one "M…" run of points per layer, in model order.
        const d = document.querySelector(`[data-testid="cmp-depth-curves"] path[data-series="${s}"]`)!.getAttribute('d')!;
        const runs = d.split('M').filter(Boolean).map((run) => run.split('L').map((pt) => Number(pt.split(',')[0])));
        const boxes = Array.from(document.querySelectorAll(`[data-testid="cmp-depth-boxes"] g[data-series="${s}"] g[data-layer]`));
        boxes.forEach((g, l) => {
          const layer = g.getAttribute('data-layer')!;
          const max = document.querySelector(`[data-testid="cmp-max-depth"] g[data-series="${s}"] circle[data-layer="${layer}"]`)!;
          out.push({ s, layer, box: Number(g.querySelector('line')!.getAttribute('x1')), max: Number(max.getAttribute('cx')), curve: (Math.min(...runs[l]) + Math.max(...runs[l])) / 2 });
        });
      }
      return out;
    });
    expect(placed.map((p) => p.layer)).toEqual(['conv1', 'conv2', 'features.0', 'features.3', 'features.6']);
    for (const p of placed) {
      expect(p.max, `${p.layer}: maximum`).toBeCloseTo(p.box, 6);
      expect(Math.abs(p.curve - p.box), `${p.layer}: curve`).toBeLessThan(0.5);
    }
    await portal.screenshot(page, 'compare-layout-architectures');
  });
});
