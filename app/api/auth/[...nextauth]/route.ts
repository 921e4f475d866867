import NextAuth from 'next-auth';
import { authOptions } from '../../../../lib/server/auth';

type Ctx = { params: Promise<{ nextauth: string[] }> };

// next-auth v4 in the App Router: NextAuth(req, ctx, options) handles the request.
async function handler(req: Request, ctx: Ctx): Promise<Response> {
  return NextAuth(req as never, ctx as never, authOptions()) as Promise<Response>;
}

export { handler as GET, handler as POST };
