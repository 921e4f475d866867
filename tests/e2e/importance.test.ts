/**
 * Does a ranking mean something, in Chromium with a real worker: the MNIST
 * CNN ranked on digit 3 with the sanity checks and the importance measures on
 * (queued through the API, computed in the worker's model process). The
 * analysis page shows each layer's sanity verdict; the channel page the
 * baseline-corrected score, the flags in words and the channel's place on
 * the deletion curves; the methods view every measure, PCACE's agreement
 * with each and the curves against the random band, and the network-wide
 * curves the worker runs across both layers after the last.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { usePortal } from '../helpers/portal';
import { analysisCompleted, mnistCnnLab, queueAnalysis, resultLayers } from '../helpers/lab-fixture';
import { waitFor } from '../helpers/worker-process';
import { networkCurvesOf } from '../../lib/queue/network-curves';
import { db } from '../../lib/db/client';
import { orderOf } from '../../lib/analysis/importance/curves';
import { IMPORTANCE_MEASURES } from '../../lib/analysis/importance/types';
import type { StoredLayerView } from '../../lib/server/shared/payloads';

const portal = usePortal({ workers: 1 });
const RANDOM_ORDERS = 4;

describe('sanity checks and importance measures in a browser', () => {
  let slug = '';
  let analysisId = '';
  let memberId = '';
  let layers: StoredLayerView[] = [];

  const analysisUrl = () => `${portal.base}/labs/${slug}/analyses/${analysisId}`;

  beforeAll(async () => {
    const lab = await mnistCnnLab({ name: 'Irene Importance', email: 'irene@example.org', password: 'irene-password-1' });
    memberId = lab.user.id;
    slug = lab.slug;
    analysisId = await queueAnalysis(lab, {
      layers: ['conv1', 'conv2'],
      options: { images: 80, crossFitRepeats: 1, sanityChecks: true, ablation: true, conductanceSteps: 2, curveRandomOrders: RANDOM_ORDERS },
    });
    await analysisCompleted(analysisId, 480_000);
    layers = await resultLayers(lab, analysisId);
    // The worker runs the network-wide curves after the last layer.
    await waitFor('the network-wide curves', async () => networkCurvesOf((await db.analysis.findUniqueOrThrow({ where: { id: analysisId } })).summary), 240_000, 500);
  }, 600_000);

  it('the analysis page shows each layer’s sanity verdict with the AUC and the randomisation ρ', async () => {
    const page = await portal.pageAs(memberId);
    await page.goto(analysisUrl());
    const rows = page.locator('.pa-sanity tbody tr');
    expect(await rows.count()).toBe(2);
    for (const [i, l] of layers.entries()) {
      const rf = l.sanity!.random_filters;
      const row = rows.nth(i);
      expect(await row.getAttribute('data-layer')).toBe(l.name);
      expect(await row.getAttribute('data-verdict')).toBe(rf.verdict);
      const cells = await row.locator('td').allTextContents();
      expect(cells[0]).toBe(`${rf.auc!.toFixed(2)} [${rf.auc_ci![0].toFixed(2)}, ${rf.auc_ci![1].toFixed(2)}] (${rf.trained} vs ${rf.count})`);
      expect(cells[1]).toMatch(/random filters/);
      expect(cells[2]).toMatch(new RegExp(`^${l.sanity!.cascading.rho!.toFixed(2).replace('.', '\\.')} \\[`));
    }
    await portal.screenshot(page, 'analysis-sanity');
  });

  it('the channel page shows the baseline-corrected score, the flags in words and the channel’s place on the deletion curves', async () => {
    const conv2 = layers.find((l) => l.name === 'conv2')!;
    const byIndex = [...conv2.channels].sort((a, b) => a.index - b.index);
    // A channel the sanity checks flag (on this network most are: the measurement).
    const flagged = byIndex.find((c) => c.flags.includes('not_above_random_filters'));
    expect(flagged, 'no conv2 channel is flagged not above random filters').toBeDefined();
    const c = flagged!;
    const page = await portal.pageAs(memberId);
    await page.goto(`${analysisUrl()}/layers/conv2/channels/${c.index}`);
    const baseline = page.locator('.ch-baseline');
    expect(await baseline.getAttribute('data-baseline')).toBe('not-above');
    expect(await baseline.textContent()).toContain(`baseline-corrected score ${c.baseline_corrected!.toFixed(3)}`);
    expect(await page.locator('.ch-flags [data-flag="not_above_random_filters"]').textContent()).toMatch(/^Not above random filters: random filters of the same shape and norm/);
    expect(await page.locator('.ch-flags').textContent()).not.toMatch(/Flag not_above_random_filters/);

    const section = page.getByTestId('ch-deletion');
    const position = orderOf(byIndex.map((x) => x.score_crossfit ?? NaN), 'top').indexOf(byIndex.indexOf(c)) + 1;
    expect(await section.locator('p').first().textContent()).toContain(`at position ${position} of ${byIndex.length}`);
    // A row per order (PCACE and every measure), a marker on PCACE's curve, the random band behind.
    expect(await section.locator('tbody tr').count()).toBe(1 + IMPORTANCE_MEASURES.length);
    expect(await section.locator('[data-marker]').count()).toBe(1);
    expect(await section.locator('[data-band]').count()).toBe(1);
    await portal.screenshot(page, 'channel-sanity-deletion');
  });

  it('the methods view shows every measure, the agreement with its intervals and the curves against random orders', async () => {
    const page = await portal.pageAs(memberId);
    await page.goto(`${portal.base}/labs/${slug}/compare/methods?analysis=${analysisId}&layer=conv2`);
    await page.locator('.cmp-view[data-drawn="true"]').waitFor({ timeout: 30_000 });
    const agreement = page.getByTestId('cmp-agreement');
    expect(await agreement.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-measure')))).toEqual([...IMPORTANCE_MEASURES]);
    const stored = layers.find((l) => l.name === 'conv2')!.importance!.agreement;
    const first = await agreement.locator('tbody tr').first().locator('td').allTextContents();
    expect(first[1]).toBe(`[${stored[0].spearman.lo.toFixed(2)}, ${stored[0].spearman.hi.toFixed(2)}]`);
    // Every measure is a column of the verdict table and a row of the Spearman matrix.
    const heads = await page.locator('[data-testid="cmp-methods-verdicts"] thead th').allTextContents();
    for (const label of ['mean-ablation drop', 'mean-ablation change (RMS)', 'Taylor', 'conductance', 'filter L1 norm', 'mean |activation|']) expect(heads.join('|')).toContain(label);
    const curves = page.getByTestId('cmp-deletion');
    expect(await curves.locator('g[data-series]').count()).toBe(1 + IMPORTANCE_MEASURES.length);
    expect(await curves.locator('[data-band]').count()).toBe(1);
    expect(await curves.textContent()).toContain(`${RANDOM_ORDERS} random orders`);
    await page.getByTestId('cmp-deletion-direction').selectOption('bottom');
    await expect.poll(() => curves.locator('g[data-series]').count()).toBe(1 + IMPORTANCE_MEASURES.length);
    // The network-wide curves: both layers' channels in PCACE's global order (by effect) and every measure's.
    const network = page.getByTestId('cmp-network');
    expect(await network.locator('p').first().textContent()).toMatch(/^The channels of all 2 analysed layers \(conv1, conv2: 96 channels\) removed together/);
    const networkCurves = page.getByTestId('cmp-network-deletion');
    expect(await networkCurves.locator('g[data-series]').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-series')))).toEqual(['effect', ...IMPORTANCE_MEASURES]);
    expect(await networkCurves.locator('[data-band]').count()).toBe(1);
    await portal.screenshot(page, 'methods-importance');
  });
});
