import { withLab } from '@/lib/server/access';
import { optionalJson, requestStrip, stripArtifact } from '@/lib/server/artifacts';

type Params = { lab: string; analysisId: string; layer: string };
const ref = (ctx: { lab: { slug: string }; params: Params }) => ({ slug: ctx.lab.slug, analysisId: ctx.params.analysisId, layer: ctx.params.layer });

/**
 * GET /api/v1/labs/:lab/analyses/:analysisId/layers/:layer/strip[?image=<sample id>]
 * The layer's top-5 and bottom-5 channels on one image of the analysis' sample
 * (default: its first image).
 */
export const GET = withLab<Params>(
  async (req, ctx) => Response.json({ artifact: await stripArtifact(ctx.lab.id, ref(ctx), new URL(req.url).searchParams.get('image')) }),
  { role: 'viewer' },
);

/** POST … {"image": "<sample id>"} — queues the strip for that image (kept once computed). */
export const POST = withLab<Params>(
  async (req, ctx) => Response.json({ artifact: await requestStrip(ctx.lab.id, ref(ctx), await optionalJson(req)) }, { status: 202 }),
  { role: 'member' },
);
