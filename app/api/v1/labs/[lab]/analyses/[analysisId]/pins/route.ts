import { withLab } from '@/lib/server/access';
import { channelFromQuery, readJsonBody } from '@/lib/server/comments';
import { listPins, pinChannel } from '@/lib/server/pins';

type P = { lab: string; analysisId: string };

/** GET /api/v1/labs/:lab/analyses/:analysisId/pins[?layer=conv1&channel=3] — everyone's pins in this analysis. */
export const GET = withLab<P>(
  async (req, ctx) => {
    const pins = await listPins(ctx, ctx.params.analysisId, channelFromQuery(new URL(req.url).searchParams));
    return Response.json({ pins });
  },
  { role: 'viewer' },
);

/** POST …/pins — JSON { layer, channel, note? }: pins the channel for the caller (201), or updates the note of their pin (200). */
export const POST = withLab<P>(
  async (req, ctx) => {
    const { pin, created } = await pinChannel(ctx, ctx.params.analysisId, await readJsonBody(req));
    return Response.json({ pin }, { status: created ? 201 : 200 });
  },
  { role: 'member' },
);
