/** Snapshots of the analysis page's charts (sorted curves, histogram) on fixed data. */
import { describe, expect, it } from 'vitest';
import { Histogram } from '../../../app/_components/charts/Histogram';
import { SortedCurves } from '../../../app/_components/charts/SortedCurves';
import { chartSvg, seeded } from './render';

const rand = seeded(7);
const layer = (n: number, scale: number) => Array.from({ length: n }, (_, i) => ({ id: i, value: Math.round(rand() * scale * 1e4) / 1e4, note: i % 5 === 0 ? 'does not beat the permutation null' : undefined }));

describe('chart snapshots: analysis', () => {
  it('sorted curves of two layers with a noise reference', async () => {
    const svg = chartSvg(
      <SortedCurves
        title="Sorted scores"
        yLabel="Cross-fitted multiple correlation"
        series={[
          { key: 'conv1', label: 'conv1', points: layer(12, 0.8) },
          { key: 'conv2', label: 'conv2', points: layer(20, 0.6) },
        ]}
        reference={{ value: 0.1, label: 'noise level' }}
      />,
    );
    expect(svg).toContain('data-axis-label="x"');
    await expect(svg).toMatchFileSnapshot('./__snapshots__/sorted-curves.svg');
  });

  it('sorted p-values, smallest first, one curve', async () => {
    const svg = chartSvg(<SortedCurves title="p-values" yLabel="p" order="asc" yDomain={[0, 1]} series={[{ key: 'conv1', label: 'conv1', points: layer(16, 1) }]} />);
    await expect(svg).toMatchFileSnapshot('./__snapshots__/sorted-curves-asc.svg');
  });

  it('a histogram with marked values and a reference line', async () => {
    const values = Array.from({ length: 64 }, () => rand() * 0.9 - 0.1);
    const svg = chartSvg(
      <Histogram title="conv2" xLabel="cross-fitted score" values={values} marked={values.map((v) => v < 0.2)} markedLabel="p ≥ 0.05" unmarkedLabel="p < 0.05" reference={{ value: 0, label: '0' }} />,
    );
    expect(svg).toContain('data-values="64"');
    await expect(svg).toMatchFileSnapshot('./__snapshots__/histogram.svg');
  });

  it('a histogram on a shared domain', async () => {
    const svg = chartSvg(<Histogram title="conv1" xLabel="score" values={[0.1, 0.12, 0.3, 0.31, 0.33, 0.5, 0.8]} domain={[0, 1]} bins={10} />);
    await expect(svg).toMatchFileSnapshot('./__snapshots__/histogram-domain.svg');
  });
});
