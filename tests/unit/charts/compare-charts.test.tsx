/** Snapshots of the compare views' charts on fixed data: architectures (curves, boxes, maxima by depth), classes and methods (heatmaps), runs and methods (scatters). */
import * as d3 from 'd3';
import { describe, expect, it } from 'vitest';
import { DepthBoxes, DepthCurves, layered, MaxByDepth } from '../../../app/_components/compare/ArchitectureCharts';
import { Heatmap } from '../../../app/_components/compare/Heatmap';
import { Scatter } from '../../../app/_components/compare/Scatter';
import type { AnalysisInfo, ArchitectureSide } from '../../../lib/server/shared/compare';
import { chartSvg, seeded } from './render';

const rand = seeded(42);
const round = (v: number) => Math.round(v * 1e4) / 1e4;

function info(name: string, layerCount: number): AnalysisInfo {
  return {
    id: `a-${name}`,
    title: name,
    status: 'completed',
    model: { id: `m-${name}`, name, versionId: `v-${name}`, version: 1, format: 'onnx', layerCount },
    dataset: { id: 'd', name: 'mnist 3' },
    target: { class: 3 },
    targetLabel: 'class 3',
    options: { rankBy: 'crossfit', images: 300, components: 5, flavour: 'acepack', seed: 1, permutations: 100, crossFitRepeats: 1, ablation: false },
    scoreField: 'score_crossfit',
    layers: [],
    channels: 0,
    createdAt: '2026-01-05T10:00:00.000Z',
    finishedAt: '2026-01-05T10:05:00.000Z',
  };
}

/** A network with `sizes[l]` channels in conv layer l: scores sorted best first, box statistics as the server computes them. */
function side(name: string, sizes: number[]): ArchitectureSide {
  const L = sizes.length;
  const layers: ArchitectureSide['layers'] = { name: [], index: [], depth: [], n: [], withVerdict: [], beatNoise: [], rule: [], min: [], q1: [], median: [], q3: [], max: [], lo: [], hi: [] };
  const channel: number[] = [];
  const score: number[] = [];
  const beats: boolean[] = [];
  sizes.forEach((n, l) => {
    const s = Array.from({ length: n }, () => round(rand() * (0.3 + (0.5 * l) / L))).sort((a, b) => b - a);
    const asc = [...s].reverse();
    const [q1, med, q3] = [0.25, 0.5, 0.75].map((q) => d3.quantileSorted(asc, q)!);
    const iqr = q3 - q1;
    layers.name.push(`conv${l + 1}`);
    layers.index.push(l);
    layers.depth.push((l + 1) / L);
    layers.n.push(n);
    layers.withVerdict.push(n);
    layers.beatNoise.push(s.filter((v) => v > 0.2).length);
    layers.rule.push('q < 0.05 (BH per layer) against a pooled permutation null of the cross-fitted score, B = 20');
    layers.min.push(asc[0]);
    layers.q1.push(q1);
    layers.median.push(med);
    layers.q3.push(q3);
    layers.max.push(asc[n - 1]);
    layers.lo.push(asc.find((v) => v >= q1 - 1.5 * iqr)!);
    layers.hi.push([...asc].reverse().find((v) => v <= q3 + 1.5 * iqr)!);
    s.forEach((v, r) => {
      channel.push((r * 7) % n);
      score.push(v);
      beats.push(v > 0.2);
    });
  });
  return {
    analysis: info(name, L),
    layers,
    channel,
    score,
    beats,
    summary: { layers: L, channels: score.length, median: d3.median(score)!, max: d3.max(score)!, maxDepth: 1, withVerdict: score.length, beatNoise: 0.5, rule: 'q < 0.05 (BH per layer) against a pooled permutation null of the cross-fitted score, B = 20', ruleShort: 'q < 0.05, BH per layer' },
  };
}

const data = layered([side('resnet-mini', [8, 8, 16, 16, 32]), side('vgg-mini', [8, 16, 32])], ['resnet-mini v1 · class 3', 'vgg-mini v1 · class 3']);

describe('chart snapshots: compare architectures', () => {
  it('sorted scores by relative depth', async () => {
    const svg = chartSvg(<DepthCurves data={data} scoreLabel="cross-fitted score" />);
    expect(svg).toContain('data-points="80"');
    // Channels that do not beat noise are dashed; the legend names the one rule both networks share.
    const noise = data[0].side.beats.filter((b) => b === false).length;
    expect(svg).toContain(`data-verdict="not" data-side="0" data-points="${noise}"`);
    expect(svg).toMatch(/data-legend-rule="">q &lt; 0\.05, BH per layer</);
    await expect(svg).toMatchFileSnapshot('./__snapshots__/depth-curves.svg');
  });

  it('score boxes per layer, a panel per network', async () => {
    const svg = chartSvg(<DepthBoxes data={data} scoreLabel="cross-fitted score" />);
    expect(svg).toContain('data-boxes="5"');
    await expect(svg).toMatchFileSnapshot('./__snapshots__/depth-boxes.svg');
  });

  it('maximum score by depth', async () => {
    const svg = chartSvg(<MaxByDepth data={data} scoreLabel="cross-fitted score" />);
    await expect(svg).toMatchFileSnapshot('./__snapshots__/max-by-depth.svg');
  });
});

const labels = ['class 0', 'class 1', 'class 2 (a long class name that is clipped)', 'class 3'];
const rho = labels.map((_, i) => labels.map((__, j) => (i === j ? 1 : round(Math.cos(i + 2 * j) * 0.9))));
const fraction = labels.map((_, i) => labels.map((__, j) => (i === j ? 1 : round(((i + 1) * (j + 1)) / 17))));
const noRows = () => [];

describe('chart snapshots: compare classes and methods', () => {
  it('a diverging heatmap (Spearman ρ) with a missing cell', async () => {
    const values = rho.map((r, i) => r.map((v, j) => (i === 1 && j === 3 ? null : v)));
    const svg = chartSvg(
      <Heatmap
        title="Spearman ρ"
        file="classes-rho"
        labels={labels}
        values={values}
        scale="diverging"
        legendLabel="ρ"
        cellText={(i, j) => (values[i][j] === null ? '—' : values[i][j]!.toFixed(2))}
        tipLines={(i, j) => [`${labels[i]} × ${labels[j]}`]}
        rows={noRows}
        ariaLabel="Spearman correlation between classes"
      />,
    );
    expect(svg).toContain('data-cells="16"');
    await expect(svg).toMatchFileSnapshot('./__snapshots__/heatmap-diverging.svg');
  });

  it('a sequential heatmap (top-k overlap)', async () => {
    const svg = chartSvg(
      <Heatmap
        title="Top-k overlap"
        file="classes-overlap"
        labels={labels.slice(0, 3)}
        values={fraction.slice(0, 3).map((r) => r.slice(0, 3))}
        scale="sequential"
        legendLabel="shared fraction"
        cellText={(i, j) => fraction[i][j].toFixed(2)}
        tipLines={() => []}
        rows={noRows}
        ariaLabel="Top-k overlap between classes"
      />,
    );
    await expect(svg).toMatchFileSnapshot('./__snapshots__/heatmap-sequential.svg');
  });
});

describe('chart snapshots: compare runs and methods', () => {
  const n = 24;
  const rankA = d3.shuffler(seeded(3))(d3.range(1, n + 1));
  const rankB = rankA.map((r, i) => Math.max(1, Math.min(n, r + ((i * 5) % 7) - 3)));

  it('rank against rank with the identity line and the biggest movers', async () => {
    const svg = chartSvg(
      <Scatter
        title="Ranks in conv2"
        file="ranks-conv2"
        xLabel="rank in run A"
        yLabel="rank in run B"
        x={rankA}
        y={rankB}
        ids={d3.range(n)}
        identity
        integer
        highlight={new Set([0, 5, 9])}
        rows={noRows}
        ariaLabel="Rank of each channel in run A against run B"
      />,
    );
    expect(svg).toContain(`data-points="${n}"`);
    await expect(svg).toMatchFileSnapshot('./__snapshots__/scatter-runs.svg');
  });

  it('one measure against another, channels with a missing value left out', async () => {
    const x = d3.range(n).map((i) => (i === 4 ? null : round(rand() * 0.8)));
    const y = x.map((v, i) => (v === null || i === 7 ? null : round(v * 0.05 + rand() * 0.02 - 0.005)));
    const svg = chartSvg(<Scatter title="ablation drop against PCACE" file="methods" xLabel="PCACE cross-fitted score" yLabel="ablation drop (class score)" x={x} y={y} ids={d3.range(n)} rows={noRows} ariaLabel="ablation drop against PCACE" />);
    expect(svg).toContain(`data-points="${n - 2}"`);
    await expect(svg).toMatchFileSnapshot('./__snapshots__/scatter-methods.svg');
  });

  it('filled and hollow points by verdict, with a legend naming the rule', async () => {
    const x = d3.range(n).map(() => round(rand() * 0.8));
    const y = x.map((v) => round(v * 0.05 + rand() * 0.02 - 0.005));
    const verdict = x.map((v, i) => (i === 3 ? null : v > 0.4));
    const rule = { rule: 'q < 0.05, BH per layer', title: 'q < 0.05 (BH per layer) against a pooled permutation null of the cross-fitted score, B = 20' };
    const svg = chartSvg(<Scatter title="verdicts" file="methods-verdicts" xLabel="PCACE cross-fitted score" yLabel="ablation drop (class score)" x={x} y={y} ids={d3.range(n)} verdict={verdict} verdictLegend={rule} rows={noRows} ariaLabel="ablation drop against PCACE" />);
    expect(svg.match(/data-verdict="noise"/g)).toHaveLength(verdict.filter((v) => v === false).length);
    expect(svg.match(/data-verdict="beats"/g)).toHaveLength(verdict.filter((v) => v === true).length);
    expect(svg).toContain('data-legend-rule="">q &lt; 0.05, BH per layer</text>');
    await expect(svg).toMatchFileSnapshot('./__snapshots__/scatter-methods-verdicts.svg');
  });
});
