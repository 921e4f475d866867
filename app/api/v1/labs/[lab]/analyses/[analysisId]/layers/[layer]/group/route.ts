import { withLab } from '@/lib/server/access';
import { optionalJson } from '@/lib/server/artifacts';
import { groupArtifact, layerGroups, requestGroup } from '@/lib/server/group-artifacts';

type Params = { lab: string; analysisId: string; layer: string };
const ref = (ctx: { lab: { slug: string }; params: Params }) => ({ slug: ctx.lab.slug, analysisId: ctx.params.analysisId, layer: ctx.params.layer });

/**
 * GET /api/v1/labs/:lab/analyses/:analysisId/layers/:layer/group?channels=3,17,42
 * Group PCACE of those channels of the layer: {artifact} with its status and, once a worker
 * computed it, values.details (the joint cross-fitted score, each member's own, the best member).
 * Without ?channels: {limits, stored, groups} — what a group may hold, the layer's own top-k
 * groups (importance measures) and the groups scored so far.
 */
export const GET = withLab<Params>(
  async (req, ctx) => {
    const channels = new URL(req.url).searchParams.get('channels');
    if (channels === null) return Response.json(await layerGroups(ctx.lab.id, ref(ctx)));
    return Response.json({ artifact: await groupArtifact(ctx.lab.id, ref(ctx), channels) });
  },
  { role: 'viewer' },
);

/**
 * POST … {"channels": [3, 17, 42]} or {"channels": "3, 17, 42"} — queues the group (kept once
 * computed). 400 with the reason for a pick of fewer than 2 or more than limits.maxMembers
 * channels, a channel outside the layer, or one picked twice.
 */
export const POST = withLab<Params>(
  async (req, ctx) => Response.json({ artifact: await requestGroup(ctx.lab.id, ref(ctx), await optionalJson(req)) }, { status: 202 }),
  { role: 'member' },
);
