import { withLab } from '@/lib/server/access';
import { channelArtifacts, optionalJson, requestChannelArtifacts } from '@/lib/server/artifacts';

type Params = { lab: string; analysisId: string; layer: string; channel: string };
const ref = (ctx: { lab: { slug: string }; params: Params }) => ({ slug: ctx.lab.slug, analysisId: ctx.params.analysisId, layer: ctx.params.layer });

/**
 * GET /api/v1/labs/:lab/analyses/:analysisId/layers/:layer/channels/:channel/artifacts
 * The channel's pictures, one entry per kind (maps, gradcam, actmax, top), each
 * 'missing', queued, running (with progress), completed (files and values) or failed (error).
 */
export const GET = withLab<Params>(
  async (_req, ctx) => Response.json({ artifacts: await channelArtifacts(ctx.lab.id, ref(ctx), ctx.params.channel) }),
  { role: 'viewer' },
);

/**
 * POST … {"kinds": ["maps", "gradcam", "actmax", "top"]} (default: all) — queues the
 * missing and failed ones for the workers; existing ones are kept (cached).
 */
export const POST = withLab<Params>(
  async (req, ctx) => {
    const artifacts = await requestChannelArtifacts(ctx.lab.id, ref(ctx), ctx.params.channel, await optionalJson(req));
    return Response.json({ artifacts }, { status: 202 });
  },
  { role: 'member' },
);
