/** Snapshots of the channel page's small charts and the history's activity chart on fixed data. */
import { describe, expect, it, vi } from 'vitest';
import { MeanHistogram, TraceChart } from '../../../app/_components/channel/charts';
import { ActivityChart } from '../../../app/labs/[lab]/history/ActivityChart';
import type { Activity } from '../../../lib/server/shared/payloads';
import { chartSvg } from './render';

// The chart only navigates on Enter or a click; rendering needs no app router.
vi.mock('next/navigation', () => ({ useRouter: () => ({ push: () => undefined }) }));

describe('chart snapshots: channel page', () => {
  it('the activation-maximisation trace', async () => {
    const trace = Array.from({ length: 21 }, (_, i) => 0.2 + 3.1 * (1 - Math.exp(-i / 5)));
    const svg = chartSvg(<TraceChart trace={trace} steps={200} />);
    await expect(svg).toMatchFileSnapshot('./__snapshots__/channel-trace.svg');
  });

  it('the mean-activation histogram with the top images marked', async () => {
    const edges = Array.from({ length: 13 }, (_, i) => -0.5 + i * 0.25);
    const counts = [1, 3, 8, 20, 41, 60, 52, 38, 21, 9, 4, 2];
    const svg = chartSvg(<MeanHistogram edges={edges} counts={counts} cut={1.75} />);
    expect(svg.match(/ch-bar-top/g)).toHaveLength(3);
    await expect(svg).toMatchFileSnapshot('./__snapshots__/channel-mean-histogram.svg');
  });
});

describe('chart snapshots: history', () => {
  const days = Array.from({ length: 21 }, (_, i) => {
    const day = new Date(Date.UTC(2026, 0, 1 + i)).toISOString().slice(0, 10);
    const counts = { completed: (i * 3) % 5, failed: i % 7 === 3 ? 1 : 0, running: i === 20 ? 2 : 0 };
    return { day, counts, total: counts.completed + counts.failed + counts.running };
  });
  const activity: Activity = {
    group: 'status',
    from: days[0].day,
    to: days[days.length - 1].day,
    series: [
      { key: 'completed', label: 'completed' },
      { key: 'running', label: 'running' },
      { key: 'failed', label: 'failed' },
    ],
    days,
    clipped: false,
  };

  it('analyses per day stacked by status, axes drawn with the first render', async () => {
    const svg = chartSvg(<ActivityChart activity={activity} dayHref="/labs/demo/history?day={day}" />);
    expect(svg).toContain('data-axis="x"');
    expect(svg).toContain('>Jan 1</text>');
    await expect(svg).toMatchFileSnapshot('./__snapshots__/activity.svg');
  });
});
