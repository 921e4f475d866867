import { withLab } from '@/lib/server/access';
import { labRecord } from '@/lib/server/labs';
import { labLimitsView, updateLabLimits } from '@/lib/server/limits';
import { labJson } from '@/lib/server/serialize';
import { readJsonBody } from '@/lib/server/uploads';

/** GET /api/v1/labs/:lab — the lab, your role, its limits (own values and defaults) and what it uses. */
export const GET = withLab(
  async (_req, ctx) => {
    const lab = await labRecord(ctx.lab.id);
    return Response.json({ lab: labJson(lab, ctx.role), ...(await labLimitsView(ctx.lab.id)) });
  },
  { role: 'viewer' },
);

/**
 * PATCH /api/v1/labs/:lab — owners only: JSON { maxRunningTasks?, maxQueuedAnalyses?,
 * maxCpuHoursPerAnalysis?, storageQuotaMb? }, each a number or null (back to the default).
 */
export const PATCH = withLab(
  async (req, ctx) => {
    const body = await readJsonBody(req, 16 * 1024);
    const view = await updateLabLimits(ctx, body);
    const lab = await labRecord(ctx.lab.id);
    return Response.json({ lab: labJson(lab, ctx.role), ...view });
  },
  { role: 'owner' },
);
