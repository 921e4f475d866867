import { withLab } from '@/lib/server/access';
import { activity, listHistory, parseHistoryFilters } from '@/lib/server/history';
import { listLabPins } from '@/lib/server/pins';

/**
 * GET /api/v1/labs/:lab/history[?status=&model=&dataset=&person=&from=YYYY-MM-DD&to=YYYY-MM-DD&group=status|person&limit=50]
 * — the timeline (newest first), activity per UTC day for the chart, and the lab's recent pins.
 */
export const GET = withLab(
  async (req, ctx) => {
    const filters = parseHistoryFilters(new URL(req.url).searchParams);
    const [list, act, pins] = await Promise.all([listHistory(ctx, filters), activity(ctx, filters), listLabPins(ctx, { take: 50 })]);
    return Response.json({ analyses: list.entries, total: list.total, more: list.more, activity: act, pins });
  },
  { role: 'viewer' },
);
