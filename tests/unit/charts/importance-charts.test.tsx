/** Snapshots of the deletion curves (methods view and channel page) on fixed data, and what they must draw. */
import { describe, expect, it } from 'vitest';
import { DeletionCurves } from '../../../app/_components/charts/DeletionCurves';
import { chartSvg, seeded } from './render';

const fractions = [0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];
const rand = seeded(7);
const round = (v: number) => Math.round(v * 1e4) / 1e4;
/** A curve that rises to 1 with a given steepness (an RMS change). */
const rising = (k: number) => fractions.map((f) => round(1 - Math.exp(-k * f) + (f === 0 ? 0 : 0.02 * rand())));
const series = [
  { key: 'score_crossfit', label: 'PCACE (crossfit)', values: rising(6), area: 0.81 },
  { key: 'mean_ablation_rms', label: 'mean-ablation change (RMS)', values: rising(9), area: 0.87 },
  { key: 'filter_l1', label: 'filter L1 norm', values: rising(2), area: 0.55 },
];
const band = { q05: rising(1.5), q50: rising(2.2), q95: rising(3), label: '10 random orders, 5–95 %' };

describe('deletion curves', () => {
  it('curves, random band, legend and a channel marker', async () => {
    const svg = chartSvg(
      <DeletionCurves title="Deletion curves, conv2" fractions={fractions} series={series} band={band} yLabel="RMS change of the class score" marker={{ series: 'score_crossfit', fraction: 0.15, label: 'channel 7' }} />,
    );
    expect(svg).toContain('data-chart="deletion-curves"');
    expect(svg.match(/data-point="/g)).toHaveLength(series.length * fractions.length);
    expect(svg).toContain('data-band=""');
    expect(svg).toContain('channel 7');
    await expect(svg).toMatchFileSnapshot('./__snapshots__/deletion-curves.svg');
  });

  it('without a band or a marker draws only the curves', () => {
    const svg = chartSvg(<DeletionCurves title="Deletion curves" fractions={fractions} series={series.slice(0, 1)} yLabel="Mean class score" />);
    expect(svg).not.toContain('data-band=""');
    expect(svg).not.toContain('data-marker=""');
    expect(svg.match(/data-point="/g)).toHaveLength(fractions.length);
  });
});
