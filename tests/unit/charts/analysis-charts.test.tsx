/** Snapshots of the analysis page's charts (sorted curves, histogram) on fixed data. */
import { describe, expect, it } from 'vitest';
import { Histogram } from '../../../app/_components/charts/Histogram';
import { SortedCurves } from '../../../app/_components/charts/SortedCurves';
import { chartSvg, seeded } from './render';

const rand = seeded(7);
const layer = (n: number, scale: number) => Array.from({ length: n }, (_, i) => ({ id: i, value: Math.round(rand() * scale * 1e4) / 1e4, note: i % 5 === 0 ? 'does not beat the permutation null' : undefined }));
const RULE = 'q < 0.05 (BH per layer) against a pooled permutation null of the cross-fitted score, B = 20 (normal-fit tail beyond the largest draw)';
/** Points with verdicts: the lowest third of each layer does not beat noise. */
const judged = (n: number, scale: number) =>
  layer(n, scale).map((p, _, all) => {
    const cut = [...all].sort((a, b) => a.value - b.value)[Math.floor(n / 3)].value;
    return { ...p, note: undefined, verdict: p.value >= cut };
  });

describe('chart snapshots: analysis', () => {
  it('sorted curves of two layers, points filled or hollow by verdict, with a legend naming the rule', async () => {
    const svg = chartSvg(
      <SortedCurves
        title="Sorted scores"
        yLabel="Cross-fitted multiple correlation"
        series={[
          { key: 'conv1', label: 'conv1', points: judged(12, 0.8) },
          { key: 'conv2', label: 'conv2', points: judged(20, 0.6) },
        ]}
        verdictLegend={{ beats: 'beats noise', not: '≈ noise', rule: 'q < 0.05, BH per layer', title: RULE }}
      />,
    );
    expect(svg).toContain('data-axis-label="x"');
    expect(svg).toContain('data-verdict-legend=""');
    expect(svg).toContain(`<title>${RULE.replace("<", "&lt;")}</title>`);
    expect(svg.match(/data-verdict="not"/g)).toHaveLength(4 + 6);
    expect(svg.match(/data-verdict="beats"/g)).toHaveLength(8 + 14);
    await expect(svg).toMatchFileSnapshot('./__snapshots__/sorted-curves.svg');
  });

  it('sorted p-values, smallest first, one curve', async () => {
    const svg = chartSvg(<SortedCurves title="p-values" yLabel="p" order="asc" yDomain={[0, 1]} series={[{ key: 'conv1', label: 'conv1', points: layer(16, 1) }]} />);
    await expect(svg).toMatchFileSnapshot('./__snapshots__/sorted-curves-asc.svg');
  });

  it('a histogram coloured by verdict, the legend naming the rule, with the null 95th percentile', async () => {
    const values = Array.from({ length: 64 }, () => rand() * 0.9 - 0.1);
    const svg = chartSvg(
      <Histogram
        title="conv2"
        xLabel="cross-fitted score"
        values={values}
        marked={values.map((v) => v < 0.2)}
        markedLabel="≈ noise"
        unmarkedLabel="beats noise"
        legendNote="q < 0.05, BH per layer"
        legendTitle={RULE}
        reference={{ value: 0.07, label: 'null 95th pct' }}
      />,
    );
    expect(svg).toContain('data-values="64"');
    expect(svg).toContain('q &lt; 0.05, BH per layer</text>');
    expect(svg).toContain('beats noise</text>');
    await expect(svg).toMatchFileSnapshot('./__snapshots__/histogram.svg');
  });

  it('a histogram on a shared domain', async () => {
    const svg = chartSvg(<Histogram title="conv1" xLabel="score" values={[0.1, 0.12, 0.3, 0.31, 0.33, 0.5, 0.8]} domain={[0, 1]} bins={10} />);
    await expect(svg).toMatchFileSnapshot('./__snapshots__/histogram-domain.svg');
  });
});
