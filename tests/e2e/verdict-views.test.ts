/**
 * The verdicts on every view that shows them, in Debian Chromium, on networks
 * stored through saveLayerResult (bench/compare-seed.ts: verdicts made as the
 * worker makes them, BH within each layer against a pooled null): the analysis
 * page, a channel page and the architectures, methods and runs comparisons
 * each show q, the rule and the effect with its 95 % interval; the charts
 * colour channels by their verdict, and every verdict legend names the rule.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { seedNetwork } from '../../bench/compare-seed';
import { db } from '../../lib/db/client';
import { signUp } from '../../lib/server/signup';
import { usePortal } from '../helpers/portal';

const portal = usePortal();
const ids: Record<string, string> = {};
let slug = '';
let userId = '';

/** Small networks: 3 conv layers of 16, 32 and 48 channels. */
const MINI: [string, number, number][] = [
  ['conv1', 16, 16],
  ['conv2', 32, 8],
  ['conv3', 48, 4],
];
const SHORT = 'q < 0.05, BH per layer';
const RULE = /^q < 0\.05 \(BH per layer\) against a pooled permutation null of the cross-fitted score, B = 99/;
/** The effect with its interval as the tables write it: "2.31 [1.81, 2.81]". */
const EFFECT_CI = /^-?\d+\.\d\d \[-?\d+\.\d\d, -?\d+\.\d\d\]$/;

beforeAll(async () => {
  const { user, lab } = await signUp({ name: 'Verdict Reader', email: 'verdicts@example.org', password: 'verdict-password-1' }, new Headers());
  slug = lab.slug;
  userId = user.id;
  const base = { labId: lab.id, userId: user.id, layers: MINI, classIndex: 0 };
  ids.run1 = (await seedNetwork(db, { ...base, modelName: 'mini-a', runSeed: 1, permutations: 99, ablation: true, title: 'mini-a run 1' })).analysisId;
  ids.run2 = (await seedNetwork(db, { ...base, modelName: 'mini-a', runSeed: 2, permutations: 99, title: 'mini-a run 2' })).analysisId;
  ids.plain = (await seedNetwork(db, { ...base, modelName: 'mini-b', runSeed: 1, title: 'mini-b without a null' })).analysisId;
}, 120_000);

const signedIn = () => portal.pageAs(userId);

/** A layer's stored channels of run 1, by channel index. */
async function stored(layer: string) {
  const rows = await db.channelResult.findMany({ where: { layerResult: { analysisId: ids.run1, name: layer } }, select: { channel: true, extra: true } });
  return new Map(rows.map((r) => [r.channel, r.extra as { q_value: number; beats_noise: boolean; effect: number; effect_ci: [number, number] }]));
}

describe('verdicts on every view', () => {
  it('analysis page: q and effect [CI] columns, the rule in words, histograms and curves coloured by verdict with the rule in their legends', async () => {
    const page = await signedIn();
    await page.goto(`${portal.base}/labs/${slug}/analyses/${ids.run1}?layer=conv2`);
    await page.locator('table.pa-channels tbody tr').first().waitFor();
    const conv2 = await stored('conv2');
    const rule = (await db.layerResult.findFirstOrThrow({ where: { analysisId: ids.run1, name: 'conv2' } })).extra as { verdict_rule: { text: string } };
    expect(rule.verdict_rule.text).toMatch(RULE);
    expect(await page.locator('.pa-noise-note').textContent()).toContain(`A channel beats noise when its q-value is below 0.05 (${rule.verdict_rule.text}).`);
    const heads = await page.locator('table.pa-channels thead th').allTextContents();
    const qCol = heads.findIndex((h) => /^q\b/.test(h.trim()));
    const effectCol = heads.findIndex((h) => h.includes('Effect [95 % CI]'));
    expect(qCol).toBeGreaterThan(0);
    expect(effectCol).toBeGreaterThan(0);
    const rows = page.locator('table.pa-channels tbody tr');
    expect(await rows.count()).toBe(32);
    for (let i = 0; i < 32; i += 7) {
      const row = rows.nth(i);
      const c = conv2.get(Number(await row.getAttribute('data-channel')))!;
      expect(await row.getAttribute('data-verdict')).toBe(c.beats_noise ? 'beats' : 'noise');
      const q = c.q_value;
      expect(await row.locator('td').nth(qCol).textContent()).toBe(q < 0.001 ? q.toExponential(1) : q.toFixed(3));
      const effect = await row.locator('td').nth(effectCol).textContent();
      expect(effect).toMatch(EFFECT_CI);
      expect(effect).toBe(`${c.effect.toFixed(2)} [${c.effect_ci[0].toFixed(2)}, ${c.effect_ci[1].toFixed(2)}]`);
    }
    const hist = page.locator('svg[data-chart="histogram"]').first();
    expect(await hist.locator('[data-legend] [data-legend-rule]').textContent()).toBe(SHORT);
    const curves = page.locator('svg[data-chart="sorted-curves"]');
    const noise = [...conv2.values()].filter((c) => !c.beats_noise).length;
    expect(noise).toBeGreaterThan(0);
    expect(await curves.locator('g[data-series="conv2"] circle[data-verdict="not"]').count()).toBe(noise);
    expect(await curves.locator('[data-verdict-legend] [data-legend-rule]').allTextContents()).toEqual([SHORT]);
  });

  it('channel page: the verdict with q, the effect and its interval, and the rule', async () => {
    const conv3 = await stored('conv3');
    const [channel, c] = [...conv3.entries()].find(([, v]) => v.beats_noise)!;
    const page = await signedIn();
    await page.goto(`${portal.base}/labs/${slug}/analyses/${ids.run1}/layers/conv3/channels/${channel}`);
    const text = (await page.locator('.ch-verdict').textContent())!;
    expect(text).toMatch(/^Beats noise: q = [\d.e-]+/);
    expect(text).toContain(`effect ${c.effect.toFixed(2)} [${c.effect_ci[0].toFixed(2)}, ${c.effect_ci[1].toFixed(2)}] null standard deviations`);
    expect(text).toMatch(/Rule: q < 0\.05 \(BH per layer\) against a pooled permutation null of the cross-fitted score, B = 99/);
  });

  it('compare architectures: the curves dash the channels that do not beat noise, the legend names each network’s rule', async () => {
    const page = await signedIn();
    await page.goto(`${portal.base}/labs/${slug}/compare/architectures?a=${ids.run1}&b=${ids.plain}`);
    await page.locator('.cmp-view[data-drawn="true"]').waitFor({ timeout: 30_000 });
    const curves = '[data-testid="cmp-depth-curves"]';
    let noise = 0;
    for (const [name] of MINI) noise += [...(await stored(name)).values()].filter((c) => !c.beats_noise).length;
    expect(await page.locator(`${curves} path[data-verdict="not"][data-side="0"]`).getAttribute('data-points')).toBe(String(noise));
    // The network without a null has no verdicts: nothing dashed.
    expect(await page.locator(`${curves} path[data-verdict="not"][data-side="1"]`).count()).toBe(0);
    expect(await page.locator(`${curves} [data-verdict-legend] [data-legend-rule]`).textContent()).toBe(`mini-a v1 · class 0: ${SHORT}; mini-b v1 · class 0: not calibrated`);
    expect(await page.locator(`${curves} [data-verdict-legend] title`).textContent()).toMatch(/^mini-a v1 · class 0: q < 0\.05 \(BH per layer\) against a pooled permutation null/);
    const cells = await page.locator('[data-testid="cmp-summary"] tbody tr').first().locator('td').allTextContents();
    expect(cells[cells.length - 1]).toMatch(RULE);
  });

  it('compare methods: q, verdict and effect [CI] per channel, scatters coloured by verdict with the rule in their legend', async () => {
    const page = await signedIn();
    await page.goto(`${portal.base}/labs/${slug}/compare/methods?analysis=${ids.run1}&layer=conv3`);
    await page.locator('.cmp-view[data-drawn="true"]').waitFor({ timeout: 30_000 });
    const conv3 = await stored('conv3');
    const beating = [...conv3.values()].filter((c) => c.beats_noise).length;
    expect(await page.getByTestId('cmp-methods-rule').textContent()).toMatch(new RegExp(`^${beating} of 48 channels beat noise\\. Beats noise means: q < 0\\.05 \\(BH per layer\\) against a pooled permutation null`));
    const scatter = page.locator('[data-testid^="cmp-scatter-"]').first();
    expect(await scatter.locator('circle[data-verdict="beats"]').count()).toBe(beating);
    expect(await scatter.locator('circle[data-verdict="noise"]').count()).toBe(48 - beating);
    expect(await scatter.locator('[data-verdict-legend] [data-legend-rule]').textContent()).toBe(SHORT);
    expect(await scatter.locator('[data-verdict-legend] title').textContent()).toMatch(RULE);
    const table = page.getByTestId('cmp-methods-verdicts');
    expect(await table.locator('caption').textContent()).toMatch(/q < 0\.05 \(BH per layer\) against a pooled permutation null/);
    const cells = await table.locator('tbody tr').first().locator('td').allTextContents();
    const channel = Number(cells[0]);
    const c = conv3.get(channel)!;
    // Lowest q first.
    expect(c.q_value).toBe(Math.min(...[...conv3.values()].map((v) => v.q_value)));
    expect(cells).toContain(`${c.effect.toFixed(2)} [${c.effect_ci[0].toFixed(2)}, ${c.effect_ci[1].toFixed(2)}]`);
  });

  it('compare runs: both runs’ rules, and q and effect [CI] of each for the biggest movers', async () => {
    const page = await signedIn();
    await page.goto(`${portal.base}/labs/${slug}/compare/runs?a=${ids.run1}&b=${ids.run2}&layer=conv3`);
    await page.locator('.cmp-view[data-drawn="true"]').waitFor({ timeout: 30_000 });
    const rules = (await page.getByTestId('cmp-runs-rules').textContent())!;
    expect(rules).toMatch(/^Beats noise means, in run A: q < 0\.05 \(BH per layer\) against a pooled permutation null.*; in run B: q < 0\.05 \(BH per layer\) against a pooled permutation null/);
    const heads = await page.locator('[data-testid="cmp-movers"] thead th').allTextContents();
    const qCol = heads.findIndex((h) => h.startsWith('q A / B'));
    const effectCol = heads.findIndex((h) => h.startsWith('Effect A / B'));
    const row = page.locator('[data-testid="cmp-movers"] tbody tr').first();
    const channel = Number(await row.locator('td').first().textContent());
    const c = (await stored('conv3')).get(channel)!;
    const [qA, qB] = (await row.locator('td').nth(qCol).textContent())!.split(' / ');
    // fmtP writes 4 decimals (2 significant digits below 1e-4).
    expect(Math.abs(Number(qA) - c.q_value)).toBeLessThanOrEqual(c.q_value < 1e-4 ? c.q_value * 0.05 : 1e-4);
    expect(Number(qB)).toBeGreaterThan(0);
    const [effA, effB] = (await row.locator('td').nth(effectCol).textContent())!.split(' / ');
    expect(effA).toBe(`${c.effect.toFixed(2)} [${c.effect_ci[0].toFixed(2)}, ${c.effect_ci[1].toFixed(2)}]`);
    expect(effB).toMatch(EFFECT_CI);
  });
});
