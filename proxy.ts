/**
 * Runs before every page request and next-auth's routes (Next.js 16 "proxy",
 * formerly middleware): a Content-Security-Policy with a per-request nonce,
 * HSTS over HTTPS, renewal of day-old session cookies (rolling sessions), and
 * a 400 for any request whose callbackUrl is not a path of this site (sign-in
 * links crafted to send people elsewhere after signing in).
 * Not for the data API (/api/v1/…): none of that concerns it. Its responses are
 * JSON, CSV, event streams and images: no nonce to put on scripts (they get a
 * fixed CSP that allows none, next.config.js, and HSTS from their wrappers,
 * lib/server/access.ts); it never redirects, so a callbackUrl means nothing there;
 * sessions are renewed by the page loads that the API's browser callers come
 * from. Running the proxy cost each API request about 0.5–0.8 ms of server CPU,
 * a quarter of what /api/v1/me or a cached compare view costs (bench/README.md).
 * Next.js takes the nonce from the CSP header of the request it renders and
 * puts it on its own inline and bundled scripts; the layout is rendered per
 * request (force-dynamic), so every page gets a fresh one.
 */
import { NextResponse, type NextRequest } from 'next/server';
import { sameOriginPath } from './lib/server/safe-url';
import { securityHeadersFor } from './lib/server/security-headers';
import { renewSessionCookie } from './lib/server/session-renewal';

function badCallbackUrl(request: NextRequest, headers: Record<string, string>): NextResponse {
  const message = 'callbackUrl must be a path on this site (like /labs); this link would have sent you elsewhere after signing in.';
  if (request.nextUrl.pathname.startsWith('/api/')) return NextResponse.json({ error: message }, { status: 400, headers });
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Bad sign-in link · PCACE Lab</title></head><body><h1>Bad sign-in link</h1><p>${message}</p><p><a href="/signin">Sign in</a></p></body></html>`;
  return new NextResponse(html, { status: 400, headers: { ...headers, 'content-type': 'text/html; charset=utf-8' } });
}

export async function proxy(request: NextRequest): Promise<NextResponse> {
  const { nonce, https, headers } = securityHeadersFor(request.headers);
  if (request.nextUrl.searchParams.getAll('callbackUrl').some((v) => sameOriginPath(v, '') === '')) return badCallbackUrl(request, headers);
  const forwarded = new Headers(request.headers);
  forwarded.set('x-nonce', nonce);
  forwarded.set('content-security-policy', headers['Content-Security-Policy']);
  const response = NextResponse.next({ request: { headers: forwarded } });
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);

  // API calls with a bearer token carry no session; page loads renew a day-old cookie.
  const renewed = await renewSessionCookie(request.cookies.getAll()).catch(() => null);
  if (renewed) {
    response.cookies.set(renewed.name, renewed.value, {
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
      maxAge: renewed.maxAge,
      secure: renewed.secure || https,
    });
  }
  return response;
}

export const config = {
  matcher: [
    // Everything but build assets (immutable files: no CSP or cookies needed) and the
    // data API (above). That also keeps the model and dataset uploads out: in front of a
    // proxy, Next.js buffers the request body in memory and cuts it at 10 MB
    // (experimental.proxyClientMaxBodySize), while those handlers stream uploads of
    // hundreds of MB to disk.
    '/((?!_next/static|_next/image|favicon.ico|api/v1/).*)',
  ],
};
