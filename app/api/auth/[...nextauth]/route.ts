import NextAuth from 'next-auth';
import { authOptions } from '@/lib/server/auth';

type Ctx = { params: Promise<{ nextauth: string[] }> };

// next-auth v4 in the App Router: NextAuth(req, ctx, options) handles the request.
// The options depend on the request: Secure cookies when it came over HTTPS.
async function handler(req: Request, ctx: Ctx): Promise<Response> {
  return NextAuth(req as never, ctx as never, authOptions(req.headers)) as Promise<Response>;
}

export { handler as GET, handler as POST };
