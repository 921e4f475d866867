import { withUser } from '@/lib/server/access';

/** GET /api/v1/me — who the token or session belongs to, and a token's scope. */
export const GET = withUser(async (_req, ctx) => Response.json({ user: ctx.user, via: ctx.via, ...(ctx.tokenScope ? { token: ctx.tokenScope } : {}) }));
